//! The webhook inbox: deliveries are persisted here before we answer 200, then processed by the
//! inbox worker.
//!
//! Persisting uses **group commit**: every request hands its row to [`InboxWriter`] and waits; a
//! collector task takes whatever rows have queued up meanwhile and writes them with one multi-row
//! `INSERT` in one transaction, then answers each waiting request. Under load, one disk flush
//! covers hundreds of deliveries (one-commit-per-delivery designs are capped by the disk's
//! fdatasync rate); with a single request in flight it costs one commit as before. A request is
//! answered only after the transaction holding its row has committed.
//!
//! Duplicates (same store, order, status and payload hash) hit the partial unique index on
//! `(store_id, dedupe_key)` and are skipped by `ON CONFLICT DO NOTHING`: the first copy is already
//! durable, so the duplicate is answered 200 too and processed once.

use crate::storage::BeginWrite;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use tokio::sync::{mpsc, oneshot, Notify};
use uuid::Uuid;

use crate::storage::{delete_in_batches, group_commit, Db, SqliteDb, StorageError};
use crate::{with_pool, with_writer};

/// One delivery as persisted.
#[derive(Debug, Clone)]
pub struct InboxRow {
    pub id: Uuid,
    pub store_id: Uuid,
    pub event: String,
    pub content_type: Option<String>,
    /// The JSON document (the multipart `data` field, or the raw body); for a body that could
    /// not be read, a lossy text rendering of it.
    pub payload: String,
    pub dedupe_key: Option<String>,
    /// `pending`, or `failed` for a malformed delivery (kept for inspection, never retried).
    pub status: &'static str,
    pub last_error: Option<String>,
    pub received_at: DateTime<Utc>,
    pub order_ref: Option<String>,
    pub order_inner_id: Option<String>,
    pub order_status: Option<String>,
    pub payload_hash: String,
}

/// Columns per row in the multi-row insert.
const COLUMNS: usize = 13;
/// Rows per statement: well under SQLite's 32 766 and PostgreSQL's 65 535 bind parameters.
const MAX_BATCH: usize = 512;

#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("the inbox writer has stopped")]
    Stopped,
    #[error("inbox commit failed: {0}")]
    Commit(String),
}

struct Pending {
    /// The rows of one delivery (one per order event in it), committed together.
    rows: Vec<InboxRow>,
    done: oneshot::Sender<Result<(), InboxError>>,
}

/// Hands rows to the group-commit collector. Cheap to clone.
#[derive(Clone)]
pub struct InboxWriter {
    tx: mpsc::Sender<Pending>,
}

impl std::fmt::Debug for InboxWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboxWriter").finish_non_exhaustive()
    }
}

impl InboxWriter {
    /// Starts the collector. `committed` is notified after every commit (the inbox worker
    /// listens).
    pub fn start(db: Db, committed: Arc<Notify>) -> Self {
        let (tx, rx) = mpsc::channel(16 * MAX_BATCH);
        tokio::spawn(collect(db, rx, committed));
        Self { tx }
    }

    /// Persists one delivery's rows; returns once they are committed (or failed to be).
    pub async fn persist(&self, rows: Vec<InboxRow>) -> Result<(), InboxError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Pending { rows, done })
            .await
            .map_err(|_| InboxError::Stopped)?;
        wait.await.map_err(|_| InboxError::Stopped)?
    }
}

/// Deliveries commit in batches, one at a time ([`group_commit`]): on PostgreSQL four batches
/// at once measured (c) receive-only 15.9-17.0k deliveries/s at p99 7.1-7.4 ms, one 23.3-24.9k
/// at p99 4.8-5.4 ms (2 pairs; two: 17.7-18.5k). A batch is capped at [`MAX_BATCH`] deliveries
/// (counted in deliveries: one with several orders is rare, and a statement over `MAX_BATCH`
/// rows is split below anyway), so even a 10 ms commit leaves room for ~50k/s.
async fn collect(db: Db, rx: mpsc::Receiver<Pending>, committed: Arc<Notify>) {
    let on_panic = "webhook inbox commit task failed; its deliveries were not answered 200";
    group_commit::commit_batches(rx, MAX_BATCH, on_panic, |batch: Vec<Pending>| {
        let db = db.clone();
        let committed = committed.clone();
        async move {
            let rows: Vec<&InboxRow> = batch.iter().flat_map(|p| &p.rows).collect();
            let result = insert_batch(&db, &rows).await;
            if result.is_ok() {
                committed.notify_one();
            }
            let outcome = result.map_err(|e| {
                tracing::error!(error = %e, rows = batch.len(), "webhook inbox commit failed");
                e.to_string()
            });
            for pending in batch {
                let _ = pending
                    .done
                    .send(outcome.clone().map(|_| ()).map_err(InboxError::Commit));
            }
        }
    })
    .await;
}

/// The batch in one transaction: one multi-row statement, or a few when it is very large.
async fn insert_batch(db: &Db, rows: &[&InboxRow]) -> Result<u64, StorageError> {
    if rows.len() <= MAX_BATCH {
        return insert_rows(db, rows).await;
    }
    let mut total = 0;
    for chunk in rows.chunks(MAX_BATCH) {
        // Rare (only deliveries carrying several orders overflow a batch): each chunk commits on
        // its own, and every waiting request is answered only after all of them committed.
        total += insert_rows(db, chunk).await?;
    }
    Ok(total)
}

/// One multi-row insert, its own transaction (duplicates skipped).
pub async fn insert_rows(db: &Db, rows: &[&InboxRow]) -> Result<u64, StorageError> {
    if rows.is_empty() {
        return Ok(0);
    }
    if let Db::Postgres(pool) = db {
        return insert_rows_unnest(pool, rows).await;
    }
    // SQLite: anonymous `?` placeholders, bound in order. With `$N` SQLite resolves each name
    // through a linear list, so a 512-row batch (6 656 parameters) spent most of its time looking
    // up names (`sqlite3_bind_parameter_name`, perf).
    let row = format!("({}0,{})", "?,".repeat(7), ["?"; COLUMNS - 7 + 1].join(","));
    let mut sql = String::with_capacity(200 + rows.len() * (row.len() + 1));
    sql.push_str(
        "INSERT INTO webhook_inbox (id, store_id, event, content_type, payload, dedupe_key, status, attempts, \
         last_error, received_at, order_ref, order_inner_id, order_status, payload_hash, processed_at) VALUES ",
    );
    for i in 0..rows.len() {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&row);
    }
    sql.push_str(" ON CONFLICT DO NOTHING");
    let inserted = with_writer!(db, |pool| {
        let mut q = sqlx::query(&sql);
        for r in rows {
            q = q
                .bind(r.id)
                .bind(r.store_id)
                .bind(&r.event)
                .bind(&r.content_type)
                .bind(&r.payload)
                .bind(&r.dedupe_key)
                .bind(r.status)
                .bind(&r.last_error)
                .bind(r.received_at)
                .bind(&r.order_ref)
                .bind(&r.order_inner_id)
                .bind(&r.order_status)
                .bind(&r.payload_hash)
                // processed_at: malformed rows are finished on arrival.
                .bind((r.status == "failed").then_some(r.received_at));
        }
        // A single statement is its own transaction on both engines.
        q.execute(pool).await.map(|r| r.rows_affected())
    })?;
    Ok(inserted)
}

/// PostgreSQL: the batch as one array per column. The statement text is the same for every batch
/// size, so it is parsed and planned once per connection; a `VALUES` list with a different text
/// per size was prepared afresh for almost every batch (6 656 parameters at 512 rows).
async fn insert_rows_unnest(pool: &sqlx::PgPool, rows: &[&InboxRow]) -> Result<u64, StorageError> {
    fn col<'a, T>(rows: &[&'a InboxRow], f: impl Fn(&'a InboxRow) -> T) -> Vec<T> {
        rows.iter().map(|r| f(r)).collect()
    }
    let inserted = sqlx::query(
        "INSERT INTO webhook_inbox (id, store_id, event, content_type, payload, dedupe_key, status, attempts, \
         last_error, received_at, order_ref, order_inner_id, order_status, payload_hash, processed_at) \
         SELECT id, store_id, event, content_type, payload, dedupe_key, status, 0, last_error, received_at, \
                order_ref, order_inner_id, order_status, payload_hash, \
                CASE WHEN status = 'failed' THEN received_at END \
         FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], \
                     $8::text[], $9::timestamptz[], $10::text[], $11::text[], $12::text[], $13::text[]) \
           AS t(id, store_id, event, content_type, payload, dedupe_key, status, last_error, received_at, \
                order_ref, order_inner_id, order_status, payload_hash) \
         ON CONFLICT DO NOTHING",
    )
    .bind(col(rows, |r| r.id))
    .bind(col(rows, |r| r.store_id))
    .bind(col(rows, |r| r.event.as_str()))
    .bind(col(rows, |r| r.content_type.as_deref()))
    .bind(col(rows, |r| r.payload.as_str()))
    .bind(col(rows, |r| r.dedupe_key.as_deref()))
    .bind(col(rows, |r| r.status))
    .bind(col(rows, |r| r.last_error.as_deref()))
    .bind(col(rows, |r| r.received_at))
    .bind(col(rows, |r| r.order_ref.as_deref()))
    .bind(col(rows, |r| r.order_inner_id.as_deref()))
    .bind(col(rows, |r| r.order_status.as_deref()))
    .bind(col(rows, |r| r.payload_hash.as_str()))
    .execute(pool)
    .await?;
    Ok(inserted.rows_affected())
}

/// A pending delivery the inbox worker holds a lease on.
#[derive(Debug, Clone, FromRow)]
pub struct ClaimedDelivery {
    pub id: Uuid,
    pub store_id: Option<Uuid>,
    pub event: Option<String>,
    pub order_ref: Option<String>,
    pub order_inner_id: Option<String>,
    pub attempts: i32,
    pub received_at: DateTime<Utc>,
}

/// Claims up to `limit` due pending deliveries (oldest first) for `worker`.
pub async fn claim_deliveries(
    db: &Db,
    worker: &str,
    limit: i64,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Vec<ClaimedDelivery>, StorageError> {
    let lease_until =
        now + chrono::Duration::from_std(lease).unwrap_or_else(|_| chrono::Duration::seconds(60));
    let lock = match db {
        Db::Postgres(_) => " FOR UPDATE SKIP LOCKED",
        Db::Sqlite(_) => "",
    };
    let sql = format!(
        "UPDATE webhook_inbox SET lease_until = $2, locked_by = $3, attempts = attempts + 1
         WHERE id IN (SELECT id FROM webhook_inbox
                      WHERE status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= $1)
                        AND (lease_until IS NULL OR lease_until < $1)
                      ORDER BY received_at LIMIT $4{lock})
         RETURNING id, store_id, event, order_ref, order_inner_id, attempts, received_at"
    );
    Ok(with_writer!(db, |pool| {
        sqlx::query_as::<_, ClaimedDelivery>(&sql)
            .bind(now)
            .bind(lease_until)
            .bind(worker)
            .bind(limit)
            .fetch_all(pool)
            .await
    })?)
}

/// How processing a delivery ended.
#[derive(Debug, Clone)]
pub enum DeliveryOutcome {
    Processed,
    /// Retry after the given time.
    Retry {
        error: String,
        at: DateTime<Utc>,
    },
    /// Kept with the error, not retried (malformed, order gone, too many attempts).
    Failed {
        error: String,
    },
    /// Nothing to do (store disconnected, non-order payload).
    Ignored {
        reason: String,
    },
}

/// Processed deliveries of one (store, event) in a batch: `total_received` and
/// `last_received_at` of its webhook row move by them.
#[derive(Debug, Clone)]
pub struct Received {
    pub store_id: Uuid,
    pub event: String,
    pub count: i64,
    pub last: DateTime<Utc>,
}

/// Moves each webhook row's counters by a batch (one statement per (store, event); a macro so
/// the same text runs inside either engine's transaction).
macro_rules! record_received {
    ($tx:ident, $received:expr, $now:expr) => {
        for r in $received {
            sqlx::query(
                "UPDATE shoprenter_webhooks SET total_received = total_received + $3,
                        last_received_at = CASE WHEN last_received_at IS NULL OR last_received_at < $4 THEN $4 ELSE last_received_at END,
                        updated_at = $5
                 WHERE store_id = $1 AND event = $2",
            )
            .bind(r.store_id)
            .bind(&r.event)
            .bind(r.count as i32)
            .bind(r.last)
            .bind($now)
            .execute(&mut *$tx)
            .await?;
        }
    };
}

/// Records outcomes for deliveries this worker holds (conditional on the lease) and the webhook
/// rows' counters, in one transaction.
///
/// Deliveries with the same outcome (almost always all of them: processed) are finished by one
/// statement, so a batch costs a few statements instead of one per delivery. Pass `received`
/// sorted, so concurrent batches update webhook rows in the same order.
pub async fn finish_deliveries(
    db: &Db,
    worker: &str,
    outcomes: &[(Uuid, DeliveryOutcome)],
    received: &[Received],
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    type Finish<'a> = (&'static str, Option<&'a str>, Option<DateTime<Utc>>);
    let mut groups: Vec<(Finish<'_>, Vec<Uuid>)> = Vec::new();
    for (id, outcome) in outcomes {
        let finish: Finish<'_> = match outcome {
            DeliveryOutcome::Processed => ("processed", None, None),
            DeliveryOutcome::Retry { error, at } => ("pending", Some(error), Some(*at)),
            DeliveryOutcome::Failed { error } => ("failed", Some(error), None),
            DeliveryOutcome::Ignored { reason } => ("ignored", Some(reason), None),
        };
        match groups.iter_mut().find(|(f, _)| *f == finish) {
            Some((_, ids)) => ids.push(*id),
            None => groups.push((finish, vec![*id])),
        }
    }
    match db {
        Db::Postgres(pool) => {
            let mut tx = pool.begin_write().await?;
            for ((status, error, next), ids) in &groups {
                sqlx::query(
                    "UPDATE webhook_inbox SET status = $2, last_error = $3, next_attempt_at = $4, lease_until = NULL,
                            processed_at = CASE WHEN $2 = 'pending' THEN NULL ELSE $5 END
                     WHERE locked_by = $1 AND id = ANY($6)",
                )
                    .bind(worker)
                    .bind(status)
                    .bind(error)
                    .bind(next)
                    .bind(now)
                    .bind(ids)
                    .execute(&mut *tx)
                    .await?;
            }
            record_received!(tx, received, now);
            tx.commit().await?;
        }
        Db::Sqlite(SqliteDb { writer: pool, .. }) => {
            // Anonymous `?` placeholders, bound in order (see `insert_rows`).
            let mut tx = pool.begin_write().await?;
            for ((status, error, next), ids) in &groups {
                for chunk in ids.chunks(500) {
                    let sql = format!(
                        "UPDATE webhook_inbox SET status = ?, last_error = ?, next_attempt_at = ?, lease_until = NULL,
                                processed_at = CASE WHEN ? = 'pending' THEN NULL ELSE ? END
                         WHERE locked_by = ? AND id IN ({})",
                        vec!["?"; chunk.len()].join(",")
                    );
                    let mut q = sqlx::query(&sql)
                        .bind(status)
                        .bind(error)
                        .bind(next)
                        .bind(status)
                        .bind(now)
                        .bind(worker);
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    q.execute(&mut *tx).await?;
                }
            }
            record_received!(tx, received, now);
            tx.commit().await?;
        }
    }
    Ok(())
}

/// Deletes finished deliveries (processed, ignored, failed) received before `before`, in
/// batches; pending ones stay whatever their age. Returns how many went.
///
/// The inbox keeps every delivery inline and would otherwise grow for ever; an order's page lists
/// its status changes from here, so those older than the retention go with them. Deliveries are
/// found through the primary key: ids are time-ordered (v7, taken on arrival), so the old rows are
/// one range of it and the inbox needs no index on `received_at`, which every delivery would pay
/// for. `received_at` is checked too, so a row whose id is not time-ordered is never deleted early.
pub async fn prune(db: &Db, before: DateTime<Utc>) -> Result<u64, StorageError> {
    let floor = v7_floor(before);
    delete_in_batches(|limit| async move {
        with_writer!(db, |pool| {
            sqlx::query(
                "DELETE FROM webhook_inbox WHERE id IN (
                     SELECT id FROM webhook_inbox
                     WHERE id < $1 AND received_at < $2 AND status <> 'pending'
                     ORDER BY id LIMIT $3)",
            )
            .bind(floor)
            .bind(before)
            .bind(limit)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })
    })
    .await
}

/// The smallest version-7 id of `at`'s millisecond: every v7 id made earlier sorts below it.
fn v7_floor(at: DateTime<Utc>) -> Uuid {
    let ms = at.timestamp_millis().max(0) as u64;
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    bytes[6] = 0x70; // version 7
    bytes[8] = 0x80; // RFC 4122 variant
    Uuid::from_bytes(bytes)
}

/// Inbox counts for one store: (status, count).
pub async fn counts_for_store(db: &Db, store_id: Uuid) -> Result<Vec<(String, i64)>, StorageError> {
    Ok(with_pool!(db, |pool| {
        sqlx::query_as::<_, (String, i64)>("SELECT status, COUNT(*) FROM webhook_inbox WHERE store_id = $1 GROUP BY status ORDER BY status")
            .bind(store_id)
            .fetch_all(pool)
            .await
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assistant::testing::seed_store;
    use crate::storage::testing::{engines, TestDb};
    use crate::storage::DELETE_BATCH;

    fn row(store_id: Uuid, status: &'static str, dedupe: &str) -> InboxRow {
        InboxRow {
            id: Uuid::new_v4(),
            store_id,
            event: "order_confirm".into(),
            content_type: Some("multipart/form-data".into()),
            payload: "{\"orders\":{}}".into(),
            dedupe_key: Some(dedupe.into()),
            status,
            last_error: (status == "failed").then(|| "unreadable".into()),
            received_at: Utc::now(),
            order_ref: None,
            order_inner_id: Some("1".into()),
            order_status: None,
            payload_hash: "h".into(),
        }
    }

    fn v7_at(t: DateTime<Utc>) -> Uuid {
        let ts = uuid::Timestamp::from_unix(
            uuid::NoContext,
            t.timestamp() as u64,
            t.timestamp_subsec_nanos(),
        );
        Uuid::new_v7(ts)
    }

    #[test]
    fn the_v7_floor_sorts_after_earlier_ids_and_before_later_ones() {
        let t = Utc::now();
        let floor = v7_floor(t);
        assert_eq!(floor.get_version_num(), 7);
        for _ in 0..100 {
            assert!(v7_at(t - chrono::Duration::milliseconds(1)) < floor);
            assert!(floor <= v7_at(t));
        }
    }

    #[tokio::test]
    async fn pruning_deletes_old_finished_deliveries_in_batches_and_keeps_pending_and_recent_ones()
    {
        for kind in engines() {
            let (test_db, db) = TestDb::migrated(kind).await.unwrap();
            let store = seed_store(&db, "prune", None).await.unwrap();
            let now = Utc::now();
            let received = |days_ago: i64, n: usize, status: &'static str| -> Vec<InboxRow> {
                (0..n)
                    .map(|i| {
                        let t = now - chrono::Duration::days(days_ago)
                            + chrono::Duration::milliseconds(i as i64);
                        let mut r = row(store, status, &format!("{status}-{days_ago}-{i}"));
                        r.id = v7_at(t);
                        r.received_at = t;
                        r
                    })
                    .collect()
            };
            // More old processed ones than one batch deletes.
            let mut rows = received(120, DELETE_BATCH as usize + 5, "processed");
            rows.extend(received(100, 3, "failed"));
            rows.extend(received(100, 2, "ignored"));
            rows.extend(received(100, 4, "pending"));
            rows.extend(received(10, 6, "processed"));
            for chunk in rows.chunks(500) {
                let refs: Vec<&InboxRow> = chunk.iter().collect();
                insert_rows(&db, &refs).await.unwrap();
            }
            let before = now - chrono::Duration::days(90);
            assert_eq!(
                prune(&db, before).await.unwrap(),
                DELETE_BATCH as u64 + 5 + 3 + 2,
                "{kind:?}"
            );
            assert_eq!(
                counts_for_store(&db, store).await.unwrap(),
                vec![("pending".to_owned(), 4), ("processed".to_owned(), 6)],
                "{kind:?}"
            );
            assert_eq!(prune(&db, before).await.unwrap(), 0, "{kind:?}");
            db.close().await;
            test_db.cleanup().await;
        }
    }

    #[tokio::test]
    async fn a_batch_skips_duplicates_and_finishes_malformed_rows_on_arrival() {
        for kind in engines() {
            let (test_db, db) = TestDb::migrated(kind).await.unwrap();
            let store = seed_store(&db, "inbox", None).await.unwrap();
            let rows = [
                row(store, "pending", "a"),
                row(store, "failed", "b"),
                row(store, "pending", "a"), // the same delivery again
            ];
            let refs: Vec<&InboxRow> = rows.iter().collect();
            assert_eq!(insert_rows(&db, &refs).await.unwrap(), 2, "{kind:?}");
            let stored: Vec<(String, Option<DateTime<Utc>>)> = with_pool!(&db, |pool| {
                sqlx::query_as("SELECT status, processed_at FROM webhook_inbox ORDER BY dedupe_key")
                    .fetch_all(pool)
                    .await
                    .unwrap()
            });
            assert_eq!(stored.len(), 2, "{kind:?}");
            assert_eq!(
                (stored[0].0.as_str(), stored[0].1.is_none()),
                ("pending", true)
            );
            assert_eq!(
                (stored[1].0.as_str(), stored[1].1.is_some()),
                ("failed", true)
            );
            db.close().await;
            test_db.cleanup().await;
        }
    }

    #[tokio::test]
    async fn finishing_groups_outcomes_and_touches_only_the_workers_own_deliveries() {
        for kind in engines() {
            let (test_db, db) = TestDb::migrated(kind).await.unwrap();
            let store = seed_store(&db, "finish", None).await.unwrap();
            let rows: Vec<InboxRow> = ["a", "b", "c", "d", "e"]
                .iter()
                .map(|k| row(store, "pending", k))
                .collect();
            let refs: Vec<&InboxRow> = rows.iter().collect();
            insert_rows(&db, &refs).await.unwrap();
            let now = Utc::now();
            let lease = Duration::from_secs(60);
            let mine = claim_deliveries(&db, "w1", 4, now, lease).await.unwrap();
            let theirs = claim_deliveries(&db, "w2", 4, now, lease).await.unwrap();
            assert_eq!((mine.len(), theirs.len()), (4, 1), "{kind:?}");
            let retry_at = now + chrono::Duration::seconds(30);
            let mut outcomes: Vec<(Uuid, DeliveryOutcome)> = vec![
                (mine[0].id, DeliveryOutcome::Processed),
                (mine[1].id, DeliveryOutcome::Processed),
                (
                    mine[2].id,
                    DeliveryOutcome::Retry {
                        error: "503".into(),
                        at: retry_at,
                    },
                ),
                (
                    mine[3].id,
                    DeliveryOutcome::Failed {
                        error: "gone".into(),
                    },
                ),
            ];
            // w2's delivery under w1's name: the lease check leaves it alone.
            outcomes.push((theirs[0].id, DeliveryOutcome::Processed));
            finish_deliveries(&db, "w1", &outcomes, &[], now)
                .await
                .unwrap();
            let status_of = |id: Uuid| {
                let db = db.clone();
                async move {
                    with_pool!(&db, |pool| {
                        sqlx::query_as::<_, (String, Option<String>, bool, bool)>(
                            "SELECT status, last_error, next_attempt_at IS NOT NULL, processed_at IS NOT NULL
                             FROM webhook_inbox WHERE id = $1",
                        )
                        .bind(id)
                        .fetch_one(pool)
                        .await
                        .unwrap()
                    })
                }
            };
            let processed = ("processed".to_string(), None, false, true);
            assert_eq!(status_of(mine[0].id).await, processed, "{kind:?}");
            assert_eq!(status_of(mine[1].id).await, processed, "{kind:?}");
            assert_eq!(
                status_of(mine[2].id).await,
                ("pending".into(), Some("503".into()), true, false),
                "{kind:?}"
            );
            assert_eq!(
                status_of(mine[3].id).await,
                ("failed".into(), Some("gone".into()), false, true),
                "{kind:?}"
            );
            assert_eq!(
                status_of(theirs[0].id).await,
                ("pending".into(), None, false, false),
                "{kind:?}"
            );
            db.close().await;
            test_db.cleanup().await;
        }
    }
}
