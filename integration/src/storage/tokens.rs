//! API tokens at rest (`shoprenter_tokens`). Only ciphertext reaches this module; the vault
//! (`crate::tokens`) encrypts and decrypts.

use crate::storage::BeginWrite;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{FromRow, Postgres, Transaction};
use uuid::Uuid;

use super::{Db, SqliteDb, StorageError};
use crate::{with_pool, with_writer};

#[derive(Clone, FromRow)]
pub struct TokenRecord {
    pub store_id: Uuid,
    pub shopname: String,
    /// AEAD ciphertext (base64); `None` once wiped.
    pub access_token: Option<String>,
    pub token_type: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub scopes: Option<Json<Vec<String>>>,
    pub is_active: bool,
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for TokenRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRecord")
            .field("store_id", &self.store_id)
            .field("shopname", &self.shopname)
            .field("has_ciphertext", &self.access_token.is_some())
            .field("expires_at", &self.expires_at)
            .field("is_active", &self.is_active)
            .finish_non_exhaustive()
    }
}

const LOAD: &str =
    "SELECT store_id, shopname, access_token, token_type, expires_at, scopes, is_active, updated_at
     FROM shoprenter_tokens WHERE store_id = $1";

const STORE_ACTIVE: &str = "SELECT is_active FROM stores WHERE id = $1";

const UPSERT: &str = "INSERT INTO shoprenter_tokens
        (id, store_id, access_token, token_type, expires_at, scopes, shopname, shop_domain, is_active, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
     ON CONFLICT (store_id) DO UPDATE SET
        access_token = excluded.access_token, token_type = excluded.token_type,
        expires_at = excluded.expires_at, scopes = excluded.scopes, shopname = excluded.shopname,
        shop_domain = excluded.shop_domain, is_active = excluded.is_active, updated_at = excluded.updated_at";

const STORE_SCOPES: &str =
    "UPDATE stores SET scopes = $2, needs_attention = NULL, needs_attention_at = NULL, updated_at = $3 WHERE id = $1";

pub async fn load(db: &Db, store_id: Uuid) -> Result<Option<TokenRecord>, StorageError> {
    Ok(with_pool!(db, |pool| sqlx::query_as::<_, TokenRecord>(
        LOAD
    )
    .bind(store_id)
    .fetch_optional(pool)
    .await)?)
}

/// A freshly acquired token, already encrypted.
pub struct NewToken<'a> {
    pub store_id: Uuid,
    pub shopname: &'a str,
    pub shop_domain: &'a str,
    pub ciphertext: &'a str,
    pub token_type: &'a str,
    pub expires_at: DateTime<Utc>,
    pub scopes: &'a [String],
    pub now: DateTime<Utc>,
}

/// Held while one caller acquires a shop's token.
///
/// On PostgreSQL it is a transaction holding `pg_advisory_xact_lock` for the store, so several
/// server instances acquire one at a time; reads and writes go through that transaction. On SQLite
/// (one process) the vault's in-process lock is enough and no transaction is held across the
/// network call, which would block every other writer.
pub struct AcquireLock {
    tx: Option<Transaction<'static, Postgres>>,
}

/// Takes the cross-instance lock for `store_id` (a no-op on SQLite).
pub async fn lock_for_acquire(db: &Db, store_id: Uuid) -> Result<AcquireLock, StorageError> {
    match db {
        Db::Sqlite(_) => Ok(AcquireLock { tx: None }),
        Db::Postgres(pool) => {
            let mut tx = pool.begin_write().await?;
            let key = i64::from_be_bytes(store_id.as_bytes()[..8].try_into().expect("8 bytes"));
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(key)
                .execute(&mut *tx)
                .await?;
            Ok(AcquireLock { tx: Some(tx) })
        }
    }
}

impl AcquireLock {
    /// Reads the token row, seeing what another instance committed while we waited.
    pub async fn load(
        &mut self,
        db: &Db,
        store_id: Uuid,
    ) -> Result<Option<TokenRecord>, StorageError> {
        match &mut self.tx {
            Some(tx) => Ok(sqlx::query_as::<_, TokenRecord>(LOAD)
                .bind(store_id)
                .fetch_optional(&mut **tx)
                .await?),
            None => load(db, store_id).await,
        }
    }

    /// Stores the token (and its scopes on the store, clearing "needs attention") unless the store
    /// was deactivated meanwhile; returns whether it was stored.
    pub async fn save(&mut self, db: &Db, token: NewToken<'_>) -> Result<bool, StorageError> {
        match &mut self.tx {
            Some(tx) => {
                let active: Option<bool> = sqlx::query_scalar(STORE_ACTIVE)
                    .bind(token.store_id)
                    .fetch_optional(&mut **tx)
                    .await?;
                if active != Some(true) {
                    return Ok(false);
                }
                upsert_query(&token).execute(&mut **tx).await?;
                sqlx::query(STORE_SCOPES)
                    .bind(token.store_id)
                    .bind(Json(token.scopes))
                    .bind(token.now)
                    .execute(&mut **tx)
                    .await?;
                Ok(true)
            }
            None => {
                let Db::Sqlite(SqliteDb { writer: pool, .. }) = db else {
                    unreachable!("a lock without a transaction is only taken on SQLite")
                };
                let mut tx = pool.begin_write().await?;
                let active: Option<bool> = sqlx::query_scalar(STORE_ACTIVE)
                    .bind(token.store_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if active != Some(true) {
                    return Ok(false);
                }
                sqlx::query(UPSERT)
                    .bind(Uuid::new_v4())
                    .bind(token.store_id)
                    .bind(token.ciphertext)
                    .bind(token.token_type)
                    .bind(token.expires_at)
                    .bind(Json(token.scopes))
                    .bind(token.shopname)
                    .bind(token.shop_domain)
                    .bind(true)
                    .bind(token.now)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(STORE_SCOPES)
                    .bind(token.store_id)
                    .bind(Json(token.scopes))
                    .bind(token.now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }
        }
    }

    /// Commits (Postgres) and releases the lock.
    pub async fn release(self) -> Result<(), StorageError> {
        if let Some(tx) = self.tx {
            tx.commit().await?;
        }
        Ok(())
    }
}

fn upsert_query<'q>(
    token: &'q NewToken<'q>,
) -> sqlx::query::Query<'q, Postgres, <Postgres as sqlx::Database>::Arguments<'q>> {
    sqlx::query(UPSERT)
        .bind(Uuid::new_v4())
        .bind(token.store_id)
        .bind(token.ciphertext)
        .bind(token.token_type)
        .bind(token.expires_at)
        .bind(Json(token.scopes))
        .bind(token.shopname)
        .bind(token.shop_domain)
        .bind(true)
        .bind(token.now)
}

/// Replaces a ciphertext that can no longer be decrypted (e.g. after a key change) with nothing, so
/// the next `get` re-acquires.
pub async fn wipe(db: &Db, store_id: Uuid, now: DateTime<Utc>) -> Result<(), StorageError> {
    with_writer!(db, |pool| {
        sqlx::query("UPDATE shoprenter_tokens SET access_token = NULL, expires_at = NULL, updated_at = $2 WHERE store_id = $1")
            .bind(store_id)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}
