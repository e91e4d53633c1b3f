//! Order webhooks: registration with the shop, the durable inbox (group commit), and the worker
//! that turns deliveries into fresh cache rows.

pub mod inbox;
pub mod receive;
pub mod register;
pub mod worker;

pub use inbox::{InboxError, InboxRow, InboxWriter};
pub use receive::{Accepted, ReceiveError, WebhookReceiver, MAX_BODY_BYTES};
pub use register::{health, RegistrationReport, WebhookHealth, WebhookRegistrar};
