//! Server functions shared by several pages.

pub mod auth;
#[cfg(feature = "ssr")]
mod cache;
#[cfg(feature = "ssr")]
pub mod ctx;
pub mod data;
pub mod keys;
pub mod stores;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What every page may want to know about this server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteInfo {
    /// True when no ShopRenter credentials are configured and the built-in simulator stands in.
    pub demo_mode: bool,
    /// True when the database answers and its migrations are applied.
    pub database_ready: bool,
}

/// Facts the server puts in context for server functions (see `server/src/startup.rs`).
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct ServerContext {
    pub demo_mode: bool,
    pub db: integration::Db,
    /// Accounts, stores, install lifecycle, tokens (see `integration::Engine`).
    pub engine: std::sync::Arc<integration::Engine>,
}

#[server(prefix = "/api", endpoint = "site_info")]
pub async fn get_site_info() -> Result<SiteInfo, ServerFnError> {
    let ctx = use_context::<ServerContext>()
        .ok_or_else(|| ServerFnError::new("server context missing"))?;
    let database_ready = match ctx.db.is_ready().await {
        Ok(ready) => ready,
        Err(error) => {
            // Internal detail goes to the log, not to the browser.
            tracing::warn!(%error, "database readiness check failed");
            false
        }
    };
    Ok(SiteInfo {
        demo_mode: ctx.demo_mode,
        database_ready,
    })
}
