//! Sync state per (store, resource) in `sync_progress`: where the current full pass is (so a
//! restart resumes from the last committed page), how fast it goes, and the incremental cursor.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;
use uuid::Uuid;

use super::resources::Resource;
use crate::storage::{Db, StorageError};
use crate::{with_pool, with_writer};

/// What the merchant UI shows for one resource.
#[derive(Debug, Clone, Serialize, FromRow)]
pub struct ResourceProgress {
    /// `order_statuses`, `categories`, `products`, `customers` or `orders`.
    pub resource: String,
    /// `initial`, `reconcile` (full passes) or `incremental`.
    pub mode: String,
    /// `pending`, `running`, `done` or `failed` (a failed pass resumes from `next_page`).
    pub status: String,
    pub pass_started_at: Option<DateTime<Utc>>,
    pub next_page: i32,
    pub pages_done: i32,
    /// Records written in the current (or last) full pass.
    pub records_done: i64,
    /// Estimated records in the shop (`pageCount` or the `last` link's page, × limit; the count
    /// itself once the last page is read).
    pub estimated_total: Option<i64>,
    pub records_per_sec: Option<f64>,
    pub eta_secs: Option<f64>,
    /// Rows removed because the shop no longer has them (last full pass).
    pub deleted: i64,
    pub last_full_sync_at: Option<DateTime<Utc>>,
    pub incremental_cursor: Option<DateTime<Utc>>,
    pub last_incremental_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl ResourceProgress {
    /// 0.0–1.0 for a progress bar (`None` while the total is unknown).
    pub fn fraction(&self) -> Option<f64> {
        if self.status == "done" {
            return Some(1.0);
        }
        let total = self.estimated_total.filter(|t| *t > 0)?;
        Some((self.records_done as f64 / total as f64).clamp(0.0, 1.0))
    }
}

const COLUMNS: &str = "resource, mode, status, pass_started_at, next_page, pages_done, records_done, estimated_total, \
    records_per_sec, eta_secs, deleted, last_full_sync_at, incremental_cursor, last_incremental_at, last_error, updated_at, finished_at";

pub async fn load(
    db: &Db,
    store_id: Uuid,
    resource: Resource,
) -> Result<Option<ResourceProgress>, StorageError> {
    let sql = format!("SELECT {COLUMNS} FROM sync_progress WHERE store_id = $1 AND resource = $2");
    Ok(with_pool!(db, |pool| {
        sqlx::query_as::<_, ResourceProgress>(&sql)
            .bind(store_id)
            .bind(resource.as_str())
            .fetch_optional(pool)
            .await
    })?)
}

/// Every resource's progress for a store, in sync order.
pub async fn for_store(db: &Db, store_id: Uuid) -> Result<Vec<ResourceProgress>, StorageError> {
    let sql = format!("SELECT {COLUMNS} FROM sync_progress WHERE store_id = $1");
    let mut rows = with_pool!(db, |pool| sqlx::query_as::<_, ResourceProgress>(&sql)
        .bind(store_id)
        .fetch_all(pool)
        .await)?;
    rows.sort_by_key(|r| {
        Resource::parse(&r.resource).and_then(|res| Resource::ALL.iter().position(|x| *x == res))
    });
    Ok(rows)
}

/// Starts a new full pass from page 0 (cursor and last full sync are kept).
pub async fn start_pass(
    db: &Db,
    store_id: Uuid,
    resource: Resource,
    mode: &str,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    with_writer!(db, |pool| {
        sqlx::query(
            "INSERT INTO sync_progress (store_id, resource, mode, status, pass_started_at, next_page, pages_done, records_done,
                                        estimated_total, records_per_sec, eta_secs, deleted, last_error, updated_at, finished_at)
             VALUES ($1, $2, $3, 'running', $4, 0, 0, 0, NULL, NULL, NULL, 0, NULL, $4, NULL)
             ON CONFLICT (store_id, resource) DO UPDATE SET mode = excluded.mode, status = 'running',
                 pass_started_at = excluded.pass_started_at, next_page = 0, pages_done = 0, records_done = 0,
                 estimated_total = NULL, records_per_sec = NULL, eta_secs = NULL, deleted = 0, last_error = NULL,
                 updated_at = excluded.updated_at, finished_at = NULL",
        )
        .bind(store_id)
        .bind(resource.as_str())
        .bind(mode)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// Marks a resumed pass running again.
pub async fn resume_pass(
    db: &Db,
    store_id: Uuid,
    resource: Resource,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    with_writer!(db, |pool| {
        sqlx::query("UPDATE sync_progress SET status = 'running', last_error = NULL, updated_at = $3 WHERE store_id = $1 AND resource = $2")
            .bind(store_id)
            .bind(resource.as_str())
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

/// The pass stopped with an error; it resumes from `next_page` next time.
pub async fn fail_pass(
    db: &Db,
    store_id: Uuid,
    resource: Resource,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    with_writer!(db, |pool| {
        sqlx::query(
            "UPDATE sync_progress SET status = 'failed', last_error = $3, records_per_sec = NULL, eta_secs = NULL, updated_at = $4
             WHERE store_id = $1 AND resource = $2",
        )
        .bind(store_id)
        .bind(resource.as_str())
        .bind(error)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// The pass went through every page: record it and where the next incremental pass starts.
pub async fn finish_pass(
    db: &Db,
    store_id: Uuid,
    resource: Resource,
    deleted: i64,
    cursor: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    with_writer!(db, |pool| {
        sqlx::query(
            "UPDATE sync_progress SET status = 'done', deleted = $3, eta_secs = 0, last_full_sync_at = $5, finished_at = $5,
                    updated_at = $5, last_error = NULL,
                    incremental_cursor = CASE WHEN incremental_cursor IS NULL OR incremental_cursor < $4 THEN $4 ELSE incremental_cursor END
             WHERE store_id = $1 AND resource = $2",
        )
        .bind(store_id)
        .bind(resource.as_str())
        .bind(deleted)
        .bind(cursor)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// An incremental pass finished: move the cursor.
pub async fn finish_incremental(
    db: &Db,
    store_id: Uuid,
    resource: Resource,
    cursor: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    with_writer!(db, |pool| {
        sqlx::query(
            "UPDATE sync_progress SET incremental_cursor = $3, last_incremental_at = $4, updated_at = $4
             WHERE store_id = $1 AND resource = $2",
        )
        .bind(store_id)
        .bind(resource.as_str())
        .bind(cursor)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// Stores whose every resource finished a full pass, with the oldest incremental and full pass
/// times (for the scheduler).
#[derive(Debug, Clone, FromRow)]
pub struct StoreSyncTimes {
    pub store_id: Uuid,
    pub synced_resources: i64,
    pub oldest_incremental: Option<DateTime<Utc>>,
    pub oldest_full: Option<DateTime<Utc>>,
}

pub async fn sync_times(db: &Db) -> Result<Vec<StoreSyncTimes>, StorageError> {
    Ok(with_pool!(db, |pool| {
        sqlx::query_as::<_, StoreSyncTimes>(
            "SELECT p.store_id, COUNT(p.last_full_sync_at) AS synced_resources,
                    MIN(COALESCE(p.last_incremental_at, p.last_full_sync_at)) AS oldest_incremental,
                    MIN(p.last_full_sync_at) AS oldest_full
             FROM sync_progress p JOIN stores s ON s.id = p.store_id
             WHERE s.is_active = $1
             GROUP BY p.store_id",
        )
        .bind(true)
        .fetch_all(pool)
        .await
    })?)
}
