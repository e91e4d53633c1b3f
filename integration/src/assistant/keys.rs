//! API keys: one or more per store, shown once, stored as a SHA-256 hash, revocable.
//!
//! A key is 32 random bytes (base64url) behind a recognisable `sca_` prefix. With that much
//! entropy a plain SHA-256 is the right hash (nothing to brute-force, one index lookup per
//! request); argon2 would only add latency to every assistant call.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use sqlx::FromRow;
use uuid::Uuid;

use super::model::ApiKeyInfo;
use crate::accounts::User;
use crate::error::{Error, Result};
use crate::storage::{Db, StorageError};
use crate::{with_pool, with_writer, Engine};

const KEY_PREFIX: &str = "sca_";
/// Characters of the key kept in clear so the merchant can tell keys apart.
const SHOWN_PREFIX_LEN: usize = 12;
const MAX_LABEL_CHARS: usize = 100;
/// `last_used_at` is a hint for the merchant, not an audit log: write it at most this often.
const LAST_USED_RESOLUTION: Duration = Duration::seconds(60);

/// A freshly created key: `key` is the only copy of the secret, shown to the merchant once.
pub struct CreatedApiKey {
    pub info: ApiKeyInfo,
    pub key: SecretString,
}

impl std::fmt::Debug for CreatedApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedApiKey")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// The store a presented key grants access to.
#[derive(Debug, Clone)]
pub struct StoreScope {
    pub key_id: Uuid,
    pub store_id: Uuid,
    pub shopname: String,
    pub store_active: bool,
    pub last_sync_at: Option<DateTime<Utc>>,
}

pub(crate) fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn generate_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

fn clean_label(label: &str) -> String {
    let label: String = label
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_LABEL_CHARS)
        .collect();
    let label = label.trim();
    if label.is_empty() {
        "API key".to_owned()
    } else {
        label.to_owned()
    }
}

const COLUMNS: &str = "id, store_id, label, key_prefix, created_at, last_used_at, revoked_at";

#[derive(FromRow)]
struct KeyRow {
    id: Uuid,
    store_id: Uuid,
    label: String,
    key_prefix: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<KeyRow> for ApiKeyInfo {
    fn from(r: KeyRow) -> Self {
        ApiKeyInfo {
            id: r.id,
            store_id: r.store_id,
            label: r.label,
            prefix: format!("{}…", r.key_prefix),
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        }
    }
}

/// Creates a key for `store_id` (no ownership check: see [`Engine::create_assistant_key`]).
pub async fn create(
    db: &Db,
    store_id: Uuid,
    label: &str,
    created_by: Option<Uuid>,
) -> std::result::Result<CreatedApiKey, StorageError> {
    let key = generate_key();
    let info = ApiKeyInfo {
        id: Uuid::new_v4(),
        store_id,
        label: clean_label(label),
        prefix: format!("{}…", &key[..SHOWN_PREFIX_LEN]),
        created_at: Utc::now(),
        last_used_at: None,
        revoked_at: None,
    };
    with_writer!(db, |pool| {
        sqlx::query(
        "INSERT INTO assistant_api_keys (id, store_id, label, key_prefix, key_hash, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(info.id)
    .bind(store_id)
    .bind(&info.label)
    .bind(&key[..SHOWN_PREFIX_LEN])
    .bind(hash_key(&key))
    .bind(created_by)
    .bind(info.created_at)
    .execute(pool)
    .await
    .map(|_| ())
    })?;
    Ok(CreatedApiKey {
        info,
        key: SecretString::from(key),
    })
}

/// Every key of a store, newest first, revoked ones included (the page shows them struck out).
pub async fn list(db: &Db, store_id: Uuid) -> std::result::Result<Vec<ApiKeyInfo>, StorageError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM assistant_api_keys WHERE store_id = $1 ORDER BY created_at DESC"
    );
    let rows = with_pool!(db, |pool| sqlx::query_as::<_, KeyRow>(&sql)
        .bind(store_id)
        .fetch_all(pool)
        .await)?;
    Ok(rows.into_iter().map(ApiKeyInfo::from).collect())
}

/// Revokes a key of this store; false when there is no such live key.
pub async fn revoke(
    db: &Db,
    store_id: Uuid,
    key_id: Uuid,
) -> std::result::Result<bool, StorageError> {
    let done = with_writer!(db, |pool| sqlx::query(
        "UPDATE assistant_api_keys SET revoked_at = $1
         WHERE id = $2 AND store_id = $3 AND revoked_at IS NULL"
    )
    .bind(Utc::now())
    .bind(key_id)
    .bind(store_id)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done > 0)
}

#[derive(FromRow)]
struct AuthRow {
    id: Uuid,
    store_id: Uuid,
    revoked_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
    shopname: String,
    is_active: bool,
    last_sync_at: Option<DateTime<Utc>>,
}

/// The store a presented key belongs to, or `None` for an unknown or revoked key.
pub async fn authenticate(
    db: &Db,
    presented: &SecretString,
) -> std::result::Result<Option<StoreScope>, StorageError> {
    let presented = presented.expose_secret();
    if !presented.starts_with(KEY_PREFIX) || presented.len() > 128 {
        return Ok(None);
    }
    let row = with_pool!(db, |pool| {
        sqlx::query_as::<_, AuthRow>(
        "SELECT k.id, k.store_id, k.revoked_at, k.last_used_at, s.shopname, s.is_active, s.last_sync_at
         FROM assistant_api_keys k JOIN stores s ON s.id = k.store_id
         WHERE k.key_hash = $1"
    )
    .bind(hash_key(presented))
    .fetch_optional(pool)
    .await
    })?;
    let Some(row) = row.filter(|r| r.revoked_at.is_none()) else {
        return Ok(None);
    };
    let now = Utc::now();
    if row
        .last_used_at
        .is_none_or(|at| now - at > LAST_USED_RESOLUTION)
    {
        with_writer!(db, |pool| sqlx::query(
            "UPDATE assistant_api_keys SET last_used_at = $1 WHERE id = $2"
        )
        .bind(now)
        .bind(row.id)
        .execute(pool)
        .await
        .map(|_| ()))?;
    }
    Ok(Some(StoreScope {
        key_id: row.id,
        store_id: row.store_id,
        shopname: row.shopname,
        store_active: row.is_active,
        last_sync_at: row.last_sync_at,
    }))
}

/// API key management for the store page (server functions call these).
impl Engine {
    /// Creates an assistant API key for one of the merchant's connected stores. The returned
    /// `key` is the only copy: show it once.
    #[tracing::instrument(skip_all, fields(user = %user.id, store = %store_id))]
    pub async fn create_assistant_key(
        &self,
        user: &User,
        store_id: Uuid,
        label: &str,
    ) -> Result<CreatedApiKey> {
        let store = self.store_of(user, store_id).await?;
        if !store.is_active {
            return Err(Error::StoreInactive);
        }
        let created = create(self.db(), store.id, label, Some(user.id)).await?;
        tracing::info!(key = %created.info.id, "assistant API key created");
        Ok(created)
    }

    /// The store's keys, newest first, revoked ones included.
    pub async fn list_assistant_keys(
        &self,
        user: &User,
        store_id: Uuid,
    ) -> Result<Vec<ApiKeyInfo>> {
        let store = self.store_of(user, store_id).await?;
        Ok(list(self.db(), store.id).await?)
    }

    /// Revokes one of the store's keys; `Ok(false)` when it was unknown or already revoked.
    #[tracing::instrument(skip_all, fields(user = %user.id, store = %store_id, key = %key_id))]
    pub async fn revoke_assistant_key(
        &self,
        user: &User,
        store_id: Uuid,
        key_id: Uuid,
    ) -> Result<bool> {
        let store = self.store_of(user, store_id).await?;
        let revoked = revoke(self.db(), store.id, key_id).await?;
        if revoked {
            tracing::info!("assistant API key revoked");
        }
        Ok(revoked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_long_random_and_prefixed() {
        let (a, b) = (generate_key(), generate_key());
        assert_ne!(a, b);
        assert!(a.starts_with("sca_") && a.len() == 4 + 43, "{a}");
        assert_eq!(hash_key(&a).len(), 64);
    }

    #[test]
    fn labels_are_trimmed_bounded_and_never_empty() {
        assert_eq!(clean_label("  phone bot \n"), "phone bot");
        assert_eq!(clean_label(""), "API key");
        assert_eq!(
            clean_label(&"x".repeat(500)).chars().count(),
            MAX_LABEL_CHARS
        );
    }
}
