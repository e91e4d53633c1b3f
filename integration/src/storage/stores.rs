//! Connected shops (`stores`) and the clean-up that disconnects one.

use crate::storage::BeginWrite;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::FromRow;
use uuid::Uuid;

use super::{Db, StorageError};
use crate::{with_pool, with_writer};

pub const PLATFORM: &str = "shoprenter";

const COLUMNS: &str = "id, user_id, shopname, store_name, store_url, is_active, connected_at, \
    disconnected_at, disconnect_reason, needs_attention, needs_attention_at, scopes, last_sync_at, \
    webhook_secret, created_at";

#[derive(Clone, FromRow)]
pub struct StoreRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub shopname: String,
    pub store_name: String,
    pub store_url: String,
    pub is_active: bool,
    pub connected_at: Option<DateTime<Utc>>,
    pub disconnected_at: Option<DateTime<Utc>>,
    /// `uninstalled` (ShopRenter told us) or `disconnected` (the merchant did it here).
    pub disconnect_reason: Option<String>,
    /// Why the merchant must act (e.g. the token could not be acquired); `None` when all is well.
    pub needs_attention: Option<String>,
    pub needs_attention_at: Option<DateTime<Utc>>,
    pub scopes: Option<Json<Vec<String>>>,
    pub last_sync_at: Option<DateTime<Utc>>,
    /// Path segment of this store's webhook URL (deliveries are unsigned, reference §5).
    pub webhook_secret: String,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for StoreRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreRecord")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("shopname", &self.shopname)
            .field("is_active", &self.is_active)
            .field("disconnect_reason", &self.disconnect_reason)
            .field("needs_attention", &self.needs_attention)
            .finish_non_exhaustive()
    }
}

pub async fn find(db: &Db, id: Uuid) -> Result<Option<StoreRecord>, StorageError> {
    let sql = format!("SELECT {COLUMNS} FROM stores WHERE id = $1");
    Ok(with_pool!(db, |pool| sqlx::query_as::<_, StoreRecord>(
        &sql
    )
    .bind(id)
    .fetch_optional(pool)
    .await)?)
}

pub async fn find_by_shopname(
    db: &Db,
    shopname: &str,
) -> Result<Option<StoreRecord>, StorageError> {
    let sql = format!("SELECT {COLUMNS} FROM stores WHERE platform_name = $1 AND shopname = $2");
    Ok(with_pool!(db, |pool| {
        sqlx::query_as::<_, StoreRecord>(&sql)
            .bind(PLATFORM)
            .bind(shopname)
            .fetch_optional(pool)
            .await
    })?)
}

pub async fn find_by_webhook_secret(
    db: &Db,
    secret: &str,
) -> Result<Option<StoreRecord>, StorageError> {
    let sql = format!("SELECT {COLUMNS} FROM stores WHERE webhook_secret = $1");
    Ok(with_pool!(db, |pool| sqlx::query_as::<_, StoreRecord>(
        &sql
    )
    .bind(secret)
    .fetch_optional(pool)
    .await)?)
}

pub async fn list_for_user(db: &Db, user_id: Uuid) -> Result<Vec<StoreRecord>, StorageError> {
    let sql =
        format!("SELECT {COLUMNS} FROM stores WHERE user_id = $1 ORDER BY created_at, shopname");
    Ok(with_pool!(db, |pool| sqlx::query_as::<_, StoreRecord>(
        &sql
    )
    .bind(user_id)
    .fetch_all(pool)
    .await)?)
}

pub async fn list_active(db: &Db) -> Result<Vec<StoreRecord>, StorageError> {
    let sql = format!("SELECT {COLUMNS} FROM stores WHERE is_active = $1 ORDER BY shopname");
    Ok(with_pool!(db, |pool| sqlx::query_as::<_, StoreRecord>(
        &sql
    )
    .bind(true)
    .fetch_all(pool)
    .await)?)
}

pub async fn mark_needs_attention(
    db: &Db,
    id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    with_writer!(db, |pool| {
        sqlx::query("UPDATE stores SET needs_attention = $2, needs_attention_at = $3, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(reason)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn clear_needs_attention(
    db: &Db,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    with_writer!(db, |pool| {
        sqlx::query(
            "UPDATE stores SET needs_attention = NULL, needs_attention_at = NULL, updated_at = $2
             WHERE id = $1 AND needs_attention IS NOT NULL",
        )
        .bind(id)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn set_scopes(
    db: &Db,
    id: Uuid,
    scopes: &[String],
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    with_writer!(db, |pool| {
        sqlx::query("UPDATE stores SET scopes = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(Json(scopes))
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Records a finished sync on the store and its token row (the seed keeps it on both).
pub async fn set_last_sync_at(db: &Db, id: Uuid, at: DateTime<Utc>) -> Result<(), StorageError> {
    with_writer!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        sqlx::query("UPDATE stores SET last_sync_at = $2, updated_at = $2 WHERE id = $1")
            .bind(id)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE shoprenter_tokens SET last_sync_at = $2, updated_at = $2 WHERE store_id = $1",
        )
        .bind(id)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    })?;
    Ok(())
}

/// Why a store stops being connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisconnectReason {
    /// ShopRenter called the UninstallUri.
    Uninstalled,
    /// The merchant disconnected the shop from ShopCall.ai.
    Disconnected,
}

impl DisconnectReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::Uninstalled => "uninstalled",
            DisconnectReason::Disconnected => "disconnected",
        }
    }
}

/// Deactivates a store in one transaction: the store, its token (ciphertext wiped), its queued or
/// running jobs (cancelled), its webhooks (inactive) and the shop's unconsumed pending installs.
/// Returns `false` when the store was already inactive (nothing changed), so repeated calls are
/// harmless.
pub async fn deactivate(
    db: &Db,
    id: Uuid,
    reason: DisconnectReason,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let changed = with_writer!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let shopname: Option<String> = sqlx::query_scalar(
            "UPDATE stores SET is_active = $2, disconnected_at = $3, disconnect_reason = $4, updated_at = $3
             WHERE id = $1 AND is_active = $5 RETURNING shopname",
        )
        .bind(id)
        .bind(false)
        .bind(now)
        .bind(reason.as_str())
        .bind(true)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(shopname) = &shopname {
            sqlx::query(
                "UPDATE shoprenter_tokens SET access_token = NULL, expires_at = NULL, is_active = $2, updated_at = $3
                 WHERE store_id = $1",
            )
            .bind(id)
            .bind(false)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE jobs SET status = 'cancelled', lease_until = NULL, last_error = $2, updated_at = $3
                 WHERE store_id = $1 AND status IN ('queued', 'running')",
            )
            .bind(id)
            .bind(format!("cancelled: store {}", reason.as_str()))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE shoprenter_webhooks SET is_active = $2, updated_at = $3 WHERE store_id = $1")
                .bind(id)
                .bind(false)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM pending_installs WHERE shopname = $1 AND consumed_at IS NULL")
                .bind(shopname)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(shopname.is_some())
    })?;
    Ok(changed)
}

/// Deletes a store's cached shop data (used when a shop changes owner). Order items go with
/// their orders (`ON DELETE CASCADE`); they have no index by store.
pub(crate) const CACHE_TABLES: &[&str] = &[
    "shoprenter_orders_cache",
    "shoprenter_order_statuses_cache",
    "shoprenter_customers_cache",
    "shoprenter_categories_cache",
    "shoprenter_products_cache",
    "shoprenter_webhooks",
    "webhook_inbox",
    "jobs",
    "shoprenter_tokens",
];
