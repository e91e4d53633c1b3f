//! What every server function needs from the request: the engine, the session, the merchant.
//! Server-only; the browser build never sees this module.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::ConnectInfo;
use integration::accounts::User;
use integration::Engine;
use leptos::prelude::*;
use tower_sessions::Session;

use super::ServerContext;
use crate::error::AppError;

pub fn server_context() -> Result<ServerContext, AppError> {
    use_context::<ServerContext>().ok_or_else(|| {
        tracing::error!("ServerContext missing from the server function context");
        AppError::Unavailable
    })
}

pub fn engine() -> Result<Arc<Engine>, AppError> {
    Ok(server_context()?.engine)
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|error| {
        tracing::error!(%error, "session layer missing");
        AppError::Unavailable
    })
}

/// The caller's address as the listener saw it (sign-in rate limiting).
pub fn client_ip() -> Option<IpAddr> {
    use_context::<http::request::Parts>()?
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// The signed-in merchant, if any.
pub async fn current_user() -> Result<Option<User>, AppError> {
    let engine = engine()?;
    let session = session().await?;
    Ok(engine.accounts().current_user(&session).await?)
}

/// The signed-in merchant, or [`AppError::NotSignedIn`].
pub async fn require_user() -> Result<(Arc<Engine>, User), AppError> {
    let engine = engine()?;
    let session = session().await?;
    let user = engine.accounts().require_user(&session).await?;
    Ok((engine, user))
}

/// Parses a store id from the browser; anything malformed is simply "not found".
pub fn parse_id(id: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)
}
