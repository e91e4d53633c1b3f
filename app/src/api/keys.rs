//! The phone assistant's API keys for one store: list, create (shown once), revoke.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRow {
    pub id: String,
    pub label: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked: bool,
}

/// A fresh key: `key` is the only time the secret leaves the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiKey {
    pub row: ApiKeyRow,
    pub key: String,
}

#[cfg(feature = "ssr")]
fn row(info: integration::assistant::model::ApiKeyInfo) -> ApiKeyRow {
    ApiKeyRow {
        id: info.id.to_string(),
        label: info.label,
        prefix: info.prefix,
        created_at: info.created_at.timestamp(),
        last_used_at: info.last_used_at.map(|t| t.timestamp()),
        revoked: info.revoked_at.is_some(),
    }
}

#[server(prefix = "/api", endpoint = "api_keys")]
pub async fn list_api_keys(store: String) -> Result<Vec<ApiKeyRow>, AppError> {
    let (engine, user) = super::ctx::require_user().await?;
    let keys = engine
        .list_assistant_keys(&user, super::ctx::parse_id(&store)?)
        .await?;
    Ok(keys.into_iter().map(row).collect())
}

#[server(prefix = "/api", endpoint = "create_api_key")]
pub async fn create_api_key(store: String, label: String) -> Result<NewApiKey, AppError> {
    use secrecy::ExposeSecret;
    let label = crate::validate::key_name(&label)?;
    let (engine, user) = super::ctx::require_user().await?;
    let created = engine
        .create_assistant_key(&user, super::ctx::parse_id(&store)?, &label)
        .await?;
    Ok(NewApiKey {
        key: created.key.expose_secret().to_owned(),
        row: row(created.info),
    })
}

#[server(prefix = "/api", endpoint = "revoke_api_key")]
pub async fn revoke_api_key(store: String, key: String) -> Result<(), AppError> {
    let (engine, user) = super::ctx::require_user().await?;
    engine
        .revoke_assistant_key(
            &user,
            super::ctx::parse_id(&store)?,
            super::ctx::parse_id(&key)?,
        )
        .await?;
    Ok(())
}
