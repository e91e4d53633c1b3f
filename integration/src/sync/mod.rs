//! Keeping the cache true: initial sync, incremental sync, periodic reconciliation.
//!
//! | Piece | Does |
//! |---|---|
//! | [`Syncer::full_sync`] | initial sync / reconciliation: every resource, page by page, resumable, deletions swept |
//! | [`Syncer::incremental_sync`] | `updatedAfter` / `updatedAtMin` since the cursor |
//! | [`Scheduler`] | enqueues incremental syncs and reconciliations per store on their intervals |
//! | [`progress`] | per-resource progress (done / estimated total / rate / ETA) for the UI |

pub mod progress;
pub mod resources;
mod runner;
mod session;
pub mod upsert;
pub mod write;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use shoprenter::client::{ApiClient, ApiError};
use tokio::sync::{watch, Notify};
use uuid::Uuid;

pub use progress::ResourceProgress;
pub use resources::Resource;
pub(crate) use runner::order_with_items;
pub use runner::FullMode;
pub use session::ApiSession;

use crate::jobs::{self, kinds, ClaimedJob, JobContext, JobError, JobHandler};
use crate::storage::{Db, StorageError};
use crate::tokens::TokenVault;

/// Tuning of the sync.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// Records per page (the platform's maximum is 200).
    pub page_limit: u32,
    /// Attempts at one page before the job gives up (and retries later, resuming there).
    pub page_retries: u32,
    /// Page requests a listing keeps outstanding (each still passes the per-shop rate limiter),
    /// so the next pages are fetched and decoded while one is written.
    pub pages_in_flight: usize,
    /// Page transactions a listing keeps open at once on PostgreSQL (its backends can use more
    /// than one core; SQLite has a single writer and always uses one).
    pub page_writes: usize,
    /// How far before a pass's start the next incremental pass looks (clock skew, the platform's
    /// zone-less timestamps, records updated while we paged).
    pub cursor_overlap: Duration,
    /// How often each store gets an incremental sync.
    pub incremental_interval: Duration,
    /// How often each store gets a full reconciliation (deletions, drift).
    pub reconcile_interval: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("store is gone or disconnected")]
    StoreGone,
    #[error("no API token: {0}")]
    Token(String),
    #[error("ShopRenter API: {0}")]
    Api(#[from] ApiError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("interrupted")]
    Interrupted,
}

impl SyncError {
    pub(crate) fn from_engine(e: crate::Error) -> Self {
        match e {
            crate::Error::StoreNotFound | crate::Error::StoreInactive => SyncError::StoreGone,
            crate::Error::Storage(s) => SyncError::Storage(s),
            other => SyncError::Token(other.to_string()),
        }
    }
}

impl From<SyncError> for JobError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Interrupted => JobError::Interrupted,
            SyncError::StoreGone => JobError::Permanent(e.to_string()),
            // Missing scope or a request the platform refuses: retrying soon will not help, but
            // the merchant may fix it (re-approve scopes), so keep retrying on the slow backoff.
            other => JobError::Retry(other.to_string()),
        }
    }
}

/// The sync engine for all stores. Cheap to clone.
#[derive(Clone)]
pub struct Syncer {
    pub(crate) db: Db,
    pub(crate) api: ApiClient,
    pub(crate) tokens: TokenVault,
    pub(crate) config: SyncConfig,
}

impl std::fmt::Debug for Syncer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Syncer")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Syncer {
    pub fn new(db: Db, api: ApiClient, tokens: TokenVault, config: SyncConfig) -> Self {
        Self {
            db,
            api,
            tokens,
            config,
        }
    }

    pub fn config(&self) -> &SyncConfig {
        &self.config
    }

    /// The job handlers this module provides.
    pub fn handlers(&self) -> Vec<(&'static str, Arc<dyn JobHandler>)> {
        let h: Arc<dyn JobHandler> = Arc::new(self.clone());
        vec![
            (kinds::INITIAL_SYNC, h.clone()),
            (kinds::INCREMENTAL_SYNC, h.clone()),
            (kinds::RECONCILE_SYNC, h.clone()),
            (kinds::ACQUIRE_TOKEN, h),
        ]
    }
}

#[async_trait::async_trait]
impl JobHandler for Syncer {
    async fn run(&self, job: &ClaimedJob, ctx: &JobContext) -> Result<(), JobError> {
        let store_id = job
            .store_id
            .ok_or_else(|| JobError::Permanent("job has no store".into()))?;
        match job.kind.as_str() {
            kinds::INITIAL_SYNC => Ok(self.full_sync(store_id, FullMode::Initial, ctx).await?),
            kinds::RECONCILE_SYNC => Ok(self.full_sync(store_id, FullMode::Reconcile, ctx).await?),
            kinds::INCREMENTAL_SYNC => Ok(self.incremental_sync(store_id, ctx).await?),
            kinds::ACQUIRE_TOKEN => {
                ApiSession::open(self.api.clone(), self.tokens.clone(), store_id).await?;
                Ok(())
            }
            other => Err(JobError::Permanent(format!("unknown job kind {other}"))),
        }
    }
}

/// Per-resource progress of a store's sync, in sync order (what the UI's progress bars show).
pub async fn progress_for_store(
    db: &Db,
    store_id: Uuid,
) -> Result<Vec<ResourceProgress>, StorageError> {
    progress::for_store(db, store_id).await
}

/// "Sync now": a full reconciliation pass for the store (deduplicated while one is queued or
/// running). Returns whether a new job was queued.
pub async fn request_sync_now(db: &Db, store_id: Uuid) -> Result<bool, StorageError> {
    Ok(
        jobs::enqueue_for_store(db, kinds::RECONCILE_SYNC, store_id, Utc::now())
            .await?
            .is_some(),
    )
}

/// Enqueues incremental syncs and reconciliations on their intervals. Safe on several instances:
/// the jobs' dedupe key keeps one live job per store and kind.
pub struct Scheduler;

impl Scheduler {
    /// Runs until `shutdown` turns true, checking every `tick`.
    pub async fn run(
        db: Db,
        config: SyncConfig,
        tick: Duration,
        wake: Arc<Notify>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        loop {
            if let Err(error) = Self::tick(&db, &config, &wake).await {
                tracing::warn!(%error, "sync scheduler tick failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(tick) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                return;
            }
        }
    }

    async fn tick(db: &Db, config: &SyncConfig, wake: &Notify) -> Result<(), StorageError> {
        let now = Utc::now();
        let incremental =
            chrono::Duration::from_std(config.incremental_interval).unwrap_or_default();
        let reconcile = chrono::Duration::from_std(config.reconcile_interval).unwrap_or_default();
        let mut queued = 0;
        for s in progress::sync_times(db).await? {
            // Only stores whose every resource finished its first full pass.
            if s.synced_resources < Resource::ALL.len() as i64 {
                continue;
            }
            if s.oldest_full.is_some_and(|t| now - t >= reconcile) {
                queued += jobs::enqueue_for_store(db, kinds::RECONCILE_SYNC, s.store_id, now)
                    .await?
                    .is_some() as usize;
                // Webhooks drift too (a merchant deletes one in the admin): re-check them as well.
                jobs::enqueue_for_store(db, kinds::REGISTER_WEBHOOKS, s.store_id, now).await?;
            } else if s.oldest_incremental.is_some_and(|t| now - t >= incremental) {
                queued += jobs::enqueue_for_store(db, kinds::INCREMENTAL_SYNC, s.store_id, now)
                    .await?
                    .is_some() as usize;
            }
        }
        if queued > 0 {
            wake.notify_waiters();
        }
        Ok(())
    }
}
