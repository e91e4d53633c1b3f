//! The queue's SQL: claim with a lease, renew it, finish, retry with backoff, bury.
//!
//! A job is `queued` until a worker claims it; the claim sets `running`, bumps `attempts` and
//! gives the worker a lease (`lease_until`, `locked_by`). A worker renews its lease while it runs;
//! a crashed worker stops renewing, and once the lease has expired the job is claimable again.
//! Every state change after the claim is conditional on `locked_by`, so a worker that lost its
//! lease can never overwrite the new owner's outcome.
//!
//! On PostgreSQL the claim picks its row with `FOR UPDATE SKIP LOCKED`, so any number of server
//! instances share the table without two of them taking the same job. On SQLite the database has
//! one writer at a time, so the same single statement is already exclusive.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::FromRow;
use uuid::Uuid;

use crate::storage::{delete_in_batches, Db, StorageError};
use crate::{with_pool, with_writer};

/// A job a worker holds the lease on.
#[derive(Debug, Clone, FromRow)]
pub struct ClaimedJob {
    pub id: Uuid,
    pub kind: String,
    pub store_id: Option<Uuid>,
    pub payload: Json<serde_json::Value>,
    /// Including this run (1 on the first run).
    pub attempts: i32,
    pub lease_until: Option<DateTime<Utc>>,
}

const CLAIMABLE: &str =
    "(status = 'queued' AND run_at <= $1) OR (status = 'running' AND lease_until < $1)";

/// Claims the oldest due job (or one whose lease expired) for `worker`, leased until `lease_until`.
pub async fn claim_next_job(
    db: &Db,
    worker: &str,
    kinds: &[&str],
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Option<ClaimedJob>, StorageError> {
    // Kinds are our own constants; they are inlined as literals to keep one statement for both
    // engines (an array bind is spelled differently on each).
    let kinds_sql = if kinds.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = kinds
            .iter()
            .map(|k| format!("'{}'", k.replace('\'', "")))
            .collect();
        format!(" AND kind IN ({})", list.join(", "))
    };
    let lock = match db {
        Db::Postgres(_) => " FOR UPDATE SKIP LOCKED",
        Db::Sqlite(_) => "",
    };
    let sql = format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = $2, locked_by = $3, updated_at = $1
         WHERE id = (SELECT id FROM jobs WHERE ({CLAIMABLE}){kinds_sql} ORDER BY run_at, created_at LIMIT 1{lock})
         RETURNING id, kind, store_id, payload, attempts, lease_until"
    );
    Ok(with_writer!(db, |pool| {
        sqlx::query_as::<_, ClaimedJob>(&sql)
            .bind(now)
            .bind(lease_until)
            .bind(worker)
            .fetch_optional(pool)
            .await
    })?)
}

/// Extends the lease; `false` when the job is no longer ours (cancelled, or another worker took
/// it over after our lease expired), in which case the runner must stop.
pub async fn renew_lease(
    db: &Db,
    id: Uuid,
    worker: &str,
    lease_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let n = with_writer!(db, |pool| {
        sqlx::query("UPDATE jobs SET lease_until = $3, updated_at = $4 WHERE id = $1 AND locked_by = $2 AND status = 'running'")
            .bind(id)
            .bind(worker)
            .bind(lease_until)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Marks the job done; `false` when it was no longer ours.
pub async fn complete_job(
    db: &Db,
    id: Uuid,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let n = with_writer!(db, |pool| {
        sqlx::query(
            "UPDATE jobs SET status = 'done', lease_until = NULL, last_error = NULL, finished_at = $3, updated_at = $3
             WHERE id = $1 AND locked_by = $2 AND status = 'running'",
        )
        .bind(id)
        .bind(worker)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Puts the job back in the queue to run at `run_at`, keeping the error.
pub async fn retry_job(
    db: &Db,
    id: Uuid,
    worker: &str,
    error: &str,
    run_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let n = with_writer!(db, |pool| {
        sqlx::query(
            "UPDATE jobs SET status = 'queued', run_at = $3, lease_until = NULL, locked_by = NULL, last_error = $4, updated_at = $5
             WHERE id = $1 AND locked_by = $2 AND status = 'running'",
        )
        .bind(id)
        .bind(worker)
        .bind(run_at)
        .bind(truncate(error))
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Buries the job: no more attempts, the last error kept for inspection.
pub async fn bury_job(
    db: &Db,
    id: Uuid,
    worker: &str,
    error: &str,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let n = with_writer!(db, |pool| {
        sqlx::query(
            "UPDATE jobs SET status = 'dead', lease_until = NULL, last_error = $3, finished_at = $4, updated_at = $4
             WHERE id = $1 AND locked_by = $2 AND status = 'running'",
        )
        .bind(id)
        .bind(worker)
        .bind(truncate(error))
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Gives the job back untouched (graceful shutdown): claimable again at once, and the attempt
/// that was interrupted is not counted.
pub async fn release_job(
    db: &Db,
    id: Uuid,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let n = with_writer!(db, |pool| {
        sqlx::query(
            "UPDATE jobs SET status = 'queued', run_at = $3, attempts = attempts - 1, lease_until = NULL, locked_by = NULL, updated_at = $3
             WHERE id = $1 AND locked_by = $2 AND status = 'running'",
        )
        .bind(id)
        .bind(worker)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Deletes jobs that finished (done, dead or cancelled) before `before`, in batches, and
/// returns how many went. Every store queues an incremental sync per interval, so without this
/// the table grows for ever; queued and running jobs are never touched, and nothing reads a
/// finished job once its store's page has shown the outcome.
pub async fn prune_finished(db: &Db, before: DateTime<Utc>) -> Result<u64, StorageError> {
    delete_in_batches(|limit| async move {
        with_writer!(db, |pool| {
            sqlx::query(
                "DELETE FROM jobs WHERE id IN (
                     SELECT id FROM jobs
                     WHERE status IN ('done', 'dead', 'cancelled') AND updated_at < $1
                     LIMIT $2)",
            )
            .bind(before)
            .bind(limit)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })
    })
    .await
}

/// Job counts by status for one store (for the UI and tests).
pub async fn counts_for_store(
    db: &Db,
    store_id: Uuid,
) -> Result<Vec<(String, String, i64)>, StorageError> {
    Ok(with_pool!(db, |pool| {
        sqlx::query_as::<_, (String, String, i64)>(
            "SELECT kind, status, COUNT(*) FROM jobs WHERE store_id = $1 GROUP BY kind, status ORDER BY kind, status",
        )
        .bind(store_id)
        .fetch_all(pool)
        .await
    })?)
}

/// Error texts are kept short: they are for an operator's eyes, not a log archive.
fn truncate(error: &str) -> String {
    const MAX: usize = 2000;
    if error.len() <= MAX {
        return error.to_owned();
    }
    let mut end = MAX;
    while !error.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &error[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::jobs::{enqueue, NewJob};
    use crate::storage::testing::{engines, TestDb};

    #[tokio::test]
    async fn pruning_deletes_jobs_finished_before_the_cutoff_and_nothing_unfinished() {
        for kind in engines() {
            let (test_db, db) = TestDb::migrated(kind).await.unwrap();
            let now = Utc::now();
            let old = now - chrono::Duration::days(40);
            let recent = now - chrono::Duration::days(5);
            let cases = [
                ("done", old, false),
                ("dead", old, false),
                ("cancelled", old, false),
                ("done", recent, true),
                ("queued", old, true),
                ("running", old, true),
            ];
            for (i, (status, at, _)) in cases.iter().enumerate() {
                let job = NewJob {
                    kind: "incremental_sync",
                    store_id: None,
                    payload: serde_json::json!({ "case": i }),
                    run_at: *at,
                    dedupe_key: None,
                };
                let id = enqueue(&db, job, *at).await.unwrap().unwrap();
                with_writer!(&db, |pool| sqlx::query(
                    "UPDATE jobs SET status = $2, updated_at = $3 WHERE id = $1"
                )
                .bind(id)
                .bind(*status)
                .bind(*at)
                .execute(pool)
                .await
                .map(drop)
                .unwrap());
            }
            let cutoff = now - chrono::Duration::days(30);
            assert_eq!(prune_finished(&db, cutoff).await.unwrap(), 3, "{kind:?}");
            let mut left: Vec<String> =
                with_pool!(&db, |pool| sqlx::query_scalar("SELECT status FROM jobs")
                    .fetch_all(pool)
                    .await
                    .unwrap());
            left.sort();
            let mut kept: Vec<&str> = cases.iter().filter(|c| c.2).map(|c| c.0).collect();
            kept.sort();
            assert_eq!(left, kept, "{kind:?}");
            db.close().await;
            test_db.cleanup().await;
        }
    }
}
