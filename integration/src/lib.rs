//! ShopCall.ai's engine: everything between our HTTP edge and the ShopRenter protocol.
//!
//! Data flows one way: the HTTP edge (`server`, `app` server functions) calls into this crate, and
//! this crate calls the `shoprenter` protocol crate and the database. Nothing here renders HTML.
//!
//! | Module | Concern |
//! |---|---|
//! | [`engine`] | [`Engine`], the handle the HTTP edge holds, built from [`EngineSettings`] |
//! | [`accounts`] | merchant sign-up / sign-in (argon2id, rate limited), sessions |
//! | [`install`] | RedirectUri callback, EntryPoint, UninstallUri, disconnect |
//! | [`tokens`] | the token vault: encrypted at rest, single-flight acquisition |
//! | [`storage`] | SQLite / PostgreSQL, one API |

pub mod accounts;
pub mod assistant;
pub mod browse;
pub mod crypto;
pub mod engine;
pub mod error;
pub mod install;
pub mod jobs;
pub mod storage;
pub mod sync;
pub mod tokens;
pub mod webhooks;

pub use engine::{Engine, EngineSettings, Pruned, Retention};
pub use error::{Error, ErrorKind};
pub use storage::{Db, DbKind, StorageError};
