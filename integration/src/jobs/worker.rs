//! The worker pool: N tasks that claim jobs, keep their leases alive while running them, and
//! record the outcome (done, retry with backoff, dead). Shutdown is graceful: running jobs are
//! asked to stop at their next safe point (a sync stops after the page it is committing) and are
//! handed back to the queue without counting the interrupted attempt.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use rand::Rng;
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use uuid::Uuid;

use super::queue::{self, ClaimedJob};
use crate::storage::Db;

/// How a job run ended, when it did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// A transient failure (platform 5xx, timeout, database hiccup): retried with backoff.
    #[error("{0}")]
    Retry(String),
    /// Retry no earlier than `after` (e.g. the platform asked us to wait).
    #[error("{reason} (retry in {after:?})")]
    RetryAfter { reason: String, after: Duration },
    /// Retrying cannot help (bad payload, store gone): the job goes dead at once.
    #[error("{0}")]
    Permanent(String),
    /// The run stopped at a safe point because of shutdown or a lost lease.
    #[error("interrupted")]
    Interrupted,
}

/// What a handler gets besides the job: the signal to stop at the next safe point.
#[derive(Debug, Clone)]
pub struct JobContext {
    pub job_id: Uuid,
    pub worker: String,
    stop: watch::Receiver<bool>,
}

impl JobContext {
    /// True once the handler should stop (shutdown, or the lease was lost to another worker).
    pub fn should_stop(&self) -> bool {
        *self.stop.borrow()
    }

    /// A context that never asks to stop (tests, one-off runs).
    pub fn detached(job_id: Uuid) -> Self {
        // The sender is dropped at once: the receiver keeps reading `false`.
        let (_, stop) = watch::channel(false);
        Self {
            job_id,
            worker: "detached".into(),
            stop,
        }
    }
}

/// Runs the jobs of some kinds.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync + 'static {
    async fn run(&self, job: &ClaimedJob, ctx: &JobContext) -> Result<(), JobError>;
}

/// Tuning of the pool; the defaults suit the server.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub concurrency: usize,
    pub lease: Duration,
    /// Idle poll interval (enqueues in this process wake workers at once via [`Workers::notify`]).
    pub poll_interval: Duration,
    /// Attempts before a job is dead.
    pub max_attempts: i32,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// Identifies this process's workers in `jobs.locked_by`.
    pub worker_id: String,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            concurrency: 4,
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_secs(1),
            max_attempts: 8,
            backoff_base: Duration::from_secs(2),
            backoff_cap: Duration::from_secs(600),
            worker_id: format!("worker-{}", &Uuid::new_v4().simple().to_string()[..12]),
        }
    }
}

/// Capped exponential backoff with full jitter in the upper half: attempt 1 waits about `base`.
pub fn backoff(attempt: i32, base: Duration, cap: Duration) -> Duration {
    let exp = base
        .saturating_mul(1u32 << (attempt.clamp(1, 20) - 1) as u32)
        .min(cap);
    let half = exp / 2;
    half + Duration::from_millis(rand::thread_rng().gen_range(0..=half.as_millis().max(1) as u64))
}

/// The running pool. Dropping it does not stop the tasks; call [`Workers::shutdown`].
pub struct Workers {
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
    notify: Arc<Notify>,
}

impl Workers {
    /// Starts `config.concurrency` workers for the kinds in `handlers`.
    pub fn start(
        db: Db,
        config: WorkerConfig,
        handlers: HashMap<&'static str, Arc<dyn JobHandler>>,
    ) -> Self {
        let (shutdown, shutdown_rx) = watch::channel(false);
        let notify = Arc::new(Notify::new());
        let handlers = Arc::new(handlers);
        let mut tasks = JoinSet::new();
        for n in 0..config.concurrency.max(1) {
            let worker = Worker {
                db: db.clone(),
                config: config.clone(),
                name: format!("{}-{n}", config.worker_id),
                handlers: handlers.clone(),
                shutdown: shutdown_rx.clone(),
                notify: notify.clone(),
            };
            tasks.spawn(worker.run());
        }
        tracing::info!(workers = config.concurrency, worker_id = %config.worker_id, "job workers started");
        Self {
            shutdown,
            tasks,
            notify,
        }
    }

    /// Wakes idle workers (call after enqueueing in this process).
    pub fn notify(&self) -> Arc<Notify> {
        self.notify.clone()
    }

    /// Asks every worker to stop, waits up to `grace` for running jobs to reach a safe point, then
    /// aborts what is left (its lease expires and another worker picks it up).
    pub async fn shutdown(mut self, grace: Duration) {
        let _ = self.shutdown.send(true);
        self.notify.notify_waiters();
        let drained = tokio::time::timeout(grace, async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!("job workers did not stop in time; aborting (their leases will expire)");
            self.tasks.abort_all();
        }
        tracing::info!("job workers stopped");
    }
}

struct Worker {
    db: Db,
    config: WorkerConfig,
    name: String,
    handlers: Arc<HashMap<&'static str, Arc<dyn JobHandler>>>,
    shutdown: watch::Receiver<bool>,
    notify: Arc<Notify>,
}

impl Worker {
    async fn run(mut self) {
        let kinds: Vec<&str> = self.handlers.keys().copied().collect();
        while !*self.shutdown.borrow() {
            let now = Utc::now();
            let lease_until = now + self.config.lease;
            match queue::claim_next_job(&self.db, &self.name, &kinds, now, lease_until).await {
                Ok(Some(job)) => self.run_job(job).await,
                Ok(None) => self.idle().await,
                Err(error) => {
                    tracing::warn!(%error, worker = %self.name, "claiming a job failed");
                    self.idle().await;
                }
            }
        }
    }

    async fn idle(&mut self) {
        tokio::select! {
            _ = tokio::time::sleep(self.config.poll_interval) => {}
            _ = self.notify.notified() => {}
            _ = self.shutdown.changed() => {}
        }
    }

    #[tracing::instrument(skip_all, fields(job = %job.id, kind = %job.kind, store = ?job.store_id, attempt = job.attempts))]
    async fn run_job(&mut self, job: ClaimedJob) {
        let Some(handler) = self.handlers.get(job.kind.as_str()).cloned() else {
            return;
        };
        let (stop_tx, stop_rx) = watch::channel(false);
        let ctx = JobContext {
            job_id: job.id,
            worker: self.name.clone(),
            stop: stop_rx,
        };
        let started = std::time::Instant::now();
        let outcome = {
            let run = handler.run(&job, &ctx);
            tokio::pin!(run);
            let mut heartbeat = tokio::time::interval(self.config.lease / 3);
            heartbeat.tick().await;
            let mut shutdown = self.shutdown.clone();
            loop {
                tokio::select! {
                    result = &mut run => break result,
                    _ = heartbeat.tick() => {
                        let now = Utc::now();
                        match queue::renew_lease(&self.db, job.id, &self.name, now + self.config.lease, now).await {
                            Ok(true) => {}
                            Ok(false) => {
                                tracing::warn!("lease lost (job cancelled or taken over); stopping");
                                let _ = stop_tx.send(true);
                            }
                            Err(error) => tracing::warn!(%error, "lease renewal failed"),
                        }
                    }
                    changed = shutdown.changed(), if !*stop_tx.borrow() => {
                        if changed.is_err() || *shutdown.borrow() {
                            let _ = stop_tx.send(true);
                        }
                    }
                }
            }
        };
        self.record_outcome(&job, outcome, started.elapsed()).await;
    }

    async fn record_outcome(
        &self,
        job: &ClaimedJob,
        outcome: Result<(), JobError>,
        took: Duration,
    ) {
        let now = Utc::now();
        let result = match outcome {
            Ok(()) => {
                tracing::info!(took_ms = took.as_millis() as u64, "job done");
                queue::complete_job(&self.db, job.id, &self.name, now).await
            }
            Err(JobError::Interrupted) => {
                tracing::info!("job interrupted; handing it back");
                queue::release_job(&self.db, job.id, &self.name, now).await
            }
            Err(JobError::Permanent(error)) => {
                tracing::error!(%error, "job failed permanently; dead");
                queue::bury_job(&self.db, job.id, &self.name, &error, now).await
            }
            Err(error) if job.attempts >= self.config.max_attempts => {
                tracing::error!(%error, attempts = job.attempts, "job failed too often; dead");
                queue::bury_job(&self.db, job.id, &self.name, &error.to_string(), now).await
            }
            Err(error) => {
                let wait = match &error {
                    JobError::RetryAfter { after, .. } => *after,
                    _ => backoff(
                        job.attempts,
                        self.config.backoff_base,
                        self.config.backoff_cap,
                    ),
                };
                tracing::warn!(%error, retry_in_ms = wait.as_millis() as u64, "job failed; will retry");
                queue::retry_job(
                    &self.db,
                    job.id,
                    &self.name,
                    &error.to_string(),
                    now + wait,
                    now,
                )
                .await
            }
        };
        match result {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!("job outcome not recorded: it was cancelled or taken over meanwhile")
            }
            Err(error) => {
                tracing::error!(%error, "recording the job outcome failed; its lease will expire")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_secs(2);
        let cap = Duration::from_secs(60);
        for attempt in 1..30 {
            let d = backoff(attempt, base, cap);
            assert!(d <= cap, "attempt {attempt}: {d:?}");
        }
        let first = backoff(1, base, cap);
        assert!(first >= Duration::from_secs(1) && first <= base);
        assert!(backoff(5, base, cap) >= Duration::from_secs(16));
    }
}
