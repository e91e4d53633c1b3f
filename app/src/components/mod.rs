//! Building blocks every page shares, so the product looks and behaves the same everywhere.

pub mod layout;
pub mod ui;

pub use layout::{AuthCtx, FriendlyError, Layout, RequireAuth};
pub use ui::*;
