//! The durable job queue: jobs live in the `jobs` table (no extra service).
//!
//! | Kind | Does |
//! |---|---|
//! | [`kinds::ACQUIRE_TOKEN`] | gets an API token for a store ahead of the other jobs |
//! | [`kinds::REGISTER_WEBHOOKS`] | reconciles the shop's webHooks with ours |
//! | [`kinds::INITIAL_SYNC`] | first full pass over every resource |
//! | [`kinds::INCREMENTAL_SYNC`] | `updatedAfter`/`updatedAtMin` pass |
//! | [`kinds::RECONCILE_SYNC`] | full pass that also removes what the shop deleted |
//! | [`kinds::PROCESS_WEBHOOKS`] | drains a store's webhook inbox (the inbox worker does this continuously; the job kind lets an operator force a pass) |
//!
//! Webhook deliveries are *not* one job each: the inbox table is their queue (same lease, retry
//! and dead-state rules), so accepting a delivery costs one row, not two.

pub mod background;
pub mod queue;
pub mod worker;

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use background::{Background, BackgroundConfig};
pub use queue::ClaimedJob;
pub use worker::{backoff, JobContext, JobError, JobHandler, WorkerConfig, Workers};

use crate::storage::jobs::{enqueue, NewJob};
use crate::storage::{Db, StorageError};

/// Job kinds (the install lifecycle's two are shared with `storage::jobs::kinds`).
pub mod kinds {
    pub use crate::storage::jobs::kinds::{INITIAL_SYNC, REGISTER_WEBHOOKS};
    pub const ACQUIRE_TOKEN: &str = "acquire_token";
    pub const INCREMENTAL_SYNC: &str = "incremental_sync";
    pub const RECONCILE_SYNC: &str = "reconcile_sync";
    pub const PROCESS_WEBHOOKS: &str = "process_webhooks";
}

/// Enqueues `kind` for a store unless one is already queued or running (dedupe key
/// `{kind}:{store}`, the convention the install lifecycle uses). Returns the new job's id.
pub async fn enqueue_for_store(
    db: &Db,
    kind: &str,
    store_id: Uuid,
    run_at: DateTime<Utc>,
) -> Result<Option<Uuid>, StorageError> {
    enqueue(
        db,
        NewJob {
            kind,
            store_id: Some(store_id),
            payload: serde_json::json!({}),
            run_at,
            dedupe_key: Some(format!("{kind}:{store_id}")),
        },
        Utc::now(),
    )
    .await
}
