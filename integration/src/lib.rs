//! ShopCall.ai's engine: everything between our HTTP edge and the ShopRenter protocol.
//!
//! Data flows one way: the HTTP edge (`server`, `app` server functions) calls into this crate, and
//! this crate calls the `shoprenter` protocol crate and the database. Nothing here renders HTML.

pub mod storage;

pub use storage::{Db, DbKind, StorageError};
