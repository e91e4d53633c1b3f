//! The job table (`jobs`). This module only enqueues and lists; workers that claim and run jobs
//! belong to the sync.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::FromRow;
use uuid::Uuid;

use super::{Db, StorageError};
use crate::{with_pool, with_writer};

/// Job kinds the install lifecycle enqueues.
pub mod kinds {
    pub const REGISTER_WEBHOOKS: &str = "register_webhooks";
    pub const INITIAL_SYNC: &str = "initial_sync";
}

#[derive(Debug, Clone, FromRow)]
pub struct JobRecord {
    pub id: Uuid,
    pub kind: String,
    pub store_id: Option<Uuid>,
    pub payload: Json<serde_json::Value>,
    /// `queued`, `running`, `done`, `dead` or `cancelled`.
    pub status: String,
    pub attempts: i32,
    pub run_at: DateTime<Utc>,
    pub lease_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub dedupe_key: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub struct NewJob<'a> {
    pub kind: &'a str,
    pub store_id: Option<Uuid>,
    pub payload: serde_json::Value,
    pub run_at: DateTime<Utc>,
    /// At most one queued or running job per key; `None` for no limit.
    pub dedupe_key: Option<String>,
}

/// Enqueues a job; `None` when a live job with the same dedupe key already exists.
pub async fn enqueue(
    db: &Db,
    job: NewJob<'_>,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, StorageError> {
    let id = Uuid::new_v4();
    let done = with_writer!(db, |pool| {
        sqlx::query(
            "INSERT INTO jobs (id, kind, store_id, payload, status, attempts, run_at, dedupe_key, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, $7, $7)
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(job.kind)
        .bind(job.store_id)
        .bind(Json(&job.payload))
        .bind(job.run_at)
        .bind(job.dedupe_key.as_deref())
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok((done == 1).then_some(id))
}

pub async fn list_for_store(db: &Db, store_id: Uuid) -> Result<Vec<JobRecord>, StorageError> {
    Ok(with_pool!(db, |pool| {
        sqlx::query_as::<_, JobRecord>(
            "SELECT id, kind, store_id, payload, status, attempts, run_at, lease_until, last_error, dedupe_key, created_at
             FROM jobs WHERE store_id = $1 ORDER BY created_at, kind",
        )
        .bind(store_id)
        .fetch_all(pool)
        .await
    })?)
}
