//! Everything that runs in the background of one server process, started and stopped together:
//! the job workers (token, webhook registration, syncs), the webhook inbox writer (group commit)
//! and worker, the sync scheduler and SQLite's WAL checkpointer.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use shoprenter::client::{ApiClient, ApiConfig, ApiStats};
use shoprenter::webhooks::WebhookEvent;
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;

use super::kinds;
use super::worker::{JobHandler, WorkerConfig, Workers};
use crate::engine::Engine;
use crate::sync::{Scheduler, SyncConfig, Syncer};
use crate::webhooks::register::WebhookRegistrar;
use crate::webhooks::worker::{InboxWorker, InboxWorkerConfig};
use crate::webhooks::{InboxWriter, WebhookReceiver};

/// Tuning of the background side.
#[derive(Debug, Clone)]
pub struct BackgroundConfig {
    pub workers: WorkerConfig,
    pub sync: SyncConfig,
    pub inbox: InboxWorkerConfig,
    /// Inbox workers (each claims batches; more than one only helps on PostgreSQL).
    pub inbox_workers: usize,
    /// Whether this process runs job and inbox workers at all (a receive-only instance does not).
    pub run_workers: bool,
    pub scheduler_tick: Duration,
    /// Webhook events to register (default: `order_confirm`, `order_status_change`).
    pub webhook_events: Option<Vec<WebhookEvent>>,
}

impl Default for BackgroundConfig {
    fn default() -> Self {
        Self {
            workers: WorkerConfig::default(),
            sync: SyncConfig::default(),
            inbox: InboxWorkerConfig::default(),
            inbox_workers: 1,
            run_workers: true,
            scheduler_tick: Duration::from_secs(30),
            webhook_events: None,
        }
    }
}

/// The running background side. Call [`Background::shutdown`] on the way out.
pub struct Background {
    receiver: WebhookReceiver,
    api: ApiClient,
    workers: Option<Workers>,
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
    job_wake: Arc<Notify>,
}

impl std::fmt::Debug for Background {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Background").finish_non_exhaustive()
    }
}

impl Background {
    /// Starts everything on the engine's database, token vault and platform settings. One
    /// [`ApiClient`] serves the whole process, so its per-shop limiter covers every task; on
    /// PostgreSQL it counts each shop's requests with every other instance on the database.
    pub fn start(engine: &Engine, config: BackgroundConfig) -> Self {
        let db = engine.db().clone();
        let api = api_client(engine);
        let (shutdown, shutdown_rx) = watch::channel(false);
        let mut tasks = JoinSet::new();

        let inbox_committed = Arc::new(Notify::new());
        let writer = InboxWriter::start(db.clone(), inbox_committed.clone());
        let receiver = WebhookReceiver::new(db.clone(), writer);

        let syncer = Syncer::new(
            db.clone(),
            api.clone(),
            engine.tokens().clone(),
            config.sync.clone(),
        );
        let registrar = WebhookRegistrar::new(
            db.clone(),
            api.clone(),
            engine.tokens().clone(),
            engine.public_base_url().clone(),
            config.webhook_events.clone(),
        );
        // Every instance writes (the inbox at least), so every one keeps SQLite's WAL short.
        tasks.spawn(crate::storage::checkpoint::run(
            db.clone(),
            shutdown_rx.clone(),
        ));
        let (workers, job_wake) = if config.run_workers {
            let mut handlers: HashMap<&'static str, Arc<dyn JobHandler>> =
                syncer.handlers().into_iter().collect();
            handlers.insert(kinds::REGISTER_WEBHOOKS, Arc::new(registrar));
            let workers = Workers::start(db.clone(), config.workers.clone(), handlers);
            let wake = workers.notify();
            for n in 0..config.inbox_workers.max(1) {
                let mut inbox_config = config.inbox.clone();
                inbox_config.worker_id = format!("{}-{n}", inbox_config.worker_id);
                let worker = InboxWorker::new(
                    db.clone(),
                    api.clone(),
                    engine.tokens().clone(),
                    inbox_config,
                );
                tasks.spawn(worker.run(inbox_committed.clone(), shutdown_rx.clone()));
            }
            tasks.spawn(Scheduler::run(
                db.clone(),
                config.sync.clone(),
                config.scheduler_tick,
                wake.clone(),
                shutdown_rx.clone(),
            ));
            (Some(workers), wake)
        } else {
            (None, Arc::new(Notify::new()))
        };
        Self {
            receiver,
            api,
            workers,
            shutdown,
            tasks,
            job_wake,
        }
    }

    /// The webhook receiver the HTTP route uses.
    pub fn receiver(&self) -> WebhookReceiver {
        self.receiver.clone()
    }

    /// Wakes idle job workers (after enqueueing from a request in this process).
    pub fn wake_workers(&self) {
        self.job_wake.notify_waiters();
    }

    /// Counters of the process's API client (requests, 429s, retries…).
    pub fn api_stats(&self) -> ApiStats {
        self.api.stats()
    }

    /// Stops the workers (running jobs stop at their next page and are handed back) and the
    /// inbox worker and scheduler. The inbox writer keeps accepting until the process ends.
    pub async fn shutdown(mut self, grace: Duration) {
        let _ = self.shutdown.send(true);
        if let Some(workers) = self.workers.take() {
            workers.shutdown(grace).await;
        }
        let drained = tokio::time::timeout(grace, async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            self.tasks.abort_all();
        }
    }
}

/// The process's API client: the engine's platform settings and HTTP pool, and the window
/// shared across instances when the database has one.
fn api_client(engine: &Engine) -> ApiClient {
    let mut config = ApiConfig::new(engine.api_url().clone());
    config.requests_per_second = engine.rate_limit_per_sec();
    let http = engine.http_client().clone();
    match crate::storage::rate_window::shared_window(engine.db()) {
        Some(window) => ApiClient::with_shared_window(http, config, window),
        None => ApiClient::with_http_client(http, config),
    }
}
