//! The inbox worker: claims pending deliveries, re-fetches each order from the API (deliveries
//! are unsigned, reference §5, so the payload is never trusted), upserts it into the cache and
//! records the outcome. Several deliveries of one order in a batch cost one fetch; a batch's
//! orders (of every store in it) are written in one transaction, and its outcomes in another.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use shoprenter::client::{ApiClient, ApiError};
use shoprenter::resources::{Collection, Order};
use tokio::sync::{watch, Notify};
use uuid::Uuid;

use super::inbox::{self, ClaimedDelivery, DeliveryOutcome};
use crate::jobs::backoff;
use crate::storage::{stores, Db, StorageError};
use crate::sync::write::{self, OrderWithItems};
use crate::sync::{order_with_items, ApiSession, SyncError};
use crate::tokens::TokenVault;

/// Tuning of the inbox worker.
#[derive(Debug, Clone)]
pub struct InboxWorkerConfig {
    pub batch: i64,
    pub lease: Duration,
    pub idle_poll: Duration,
    /// Concurrent order fetches per shop (the client's limiter still paces them).
    pub fetch_concurrency: usize,
    /// Attempts before a delivery is marked failed.
    pub max_attempts: i32,
    /// Batches in flight at once (each claims its own deliveries; their round trips to the
    /// database and the API overlap instead of queueing behind one another).
    pub loops: usize,
    pub worker_id: String,
}

impl Default for InboxWorkerConfig {
    fn default() -> Self {
        Self {
            batch: 256,
            lease: Duration::from_secs(120),
            idle_poll: Duration::from_secs(1),
            fetch_concurrency: 16,
            max_attempts: 10,
            loops: 4,
            worker_id: format!("inbox-{}", &Uuid::new_v4().simple().to_string()[..12]),
        }
    }
}

/// One store's part of a batch: each delivery's outcome if the batch's orders commit, and the
/// orders to write.
struct StoreDone {
    store: Option<Uuid>,
    outcomes: Vec<(ClaimedDelivery, DeliveryOutcome)>,
    orders: Vec<OrderWithItems>,
}

#[derive(Clone)]
pub struct InboxWorker {
    db: Db,
    api: ApiClient,
    tokens: TokenVault,
    config: InboxWorkerConfig,
}

impl InboxWorker {
    pub fn new(db: Db, api: ApiClient, tokens: TokenVault, config: InboxWorkerConfig) -> Self {
        Self {
            db,
            api,
            tokens,
            config,
        }
    }

    /// Runs until `shutdown`; `wake` is notified by the inbox writer after each commit.
    /// `config.loops` batch loops run side by side, each with its own worker id.
    pub async fn run(self, wake: Arc<Notify>, shutdown: watch::Receiver<bool>) {
        let loops = self.config.loops.max(1);
        if loops == 1 {
            return self.run_loop(wake, shutdown).await;
        }
        let handles: Vec<_> = (0..loops)
            .map(|k| {
                let mut worker = self.clone();
                worker.config.worker_id = format!("{}-{k}", self.config.worker_id);
                tokio::spawn(worker.run_loop(wake.clone(), shutdown.clone()))
            })
            .collect();
        for h in handles {
            let _ = h.await;
        }
    }

    async fn run_loop(self, wake: Arc<Notify>, mut shutdown: watch::Receiver<bool>) {
        while !*shutdown.borrow() {
            match self.process_batch().await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "webhook inbox pass failed"),
            }
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(self.config.idle_poll) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// One pass: claim, process per store, record. Returns how many deliveries were handled.
    pub async fn process_batch(&self) -> Result<usize, StorageError> {
        let now = Utc::now();
        let claimed = inbox::claim_deliveries(
            &self.db,
            &self.config.worker_id,
            self.config.batch,
            now,
            self.config.lease,
        )
        .await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let n = claimed.len();
        let mut by_store: HashMap<Option<Uuid>, Vec<ClaimedDelivery>> = HashMap::new();
        for d in claimed {
            by_store.entry(d.store_id).or_default().push(d);
        }
        let results = futures::future::join_all(
            by_store
                .into_iter()
                .map(|(store, deliveries)| self.process_store(store, deliveries)),
        )
        .await;
        // Every store's orders in one transaction: writers queue for SQLite's single write lock
        // (and its busy handler sleeps), so one commit per batch keeps the lag low.
        let mut orders: Vec<OrderWithItems> = Vec::new();
        let mut lists = Vec::with_capacity(results.len());
        for done in results {
            orders.extend(done.orders);
            lists.push((done.store, done.outcomes));
        }
        // One row order for every writer, so concurrent batches never lock rows crosswise.
        orders.sort_by(|a, b| (a.store_id, &a.platform_id).cmp(&(b.store_id, &b.platform_id)));
        let commit_error = match write::commit_orders(&self.db, orders, Utc::now()).await {
            Ok(()) => None,
            Err(e) => Some(e.to_string()),
        };
        let mut outcomes = Vec::with_capacity(n);
        // Ordered by (store, event): two batches update the same webhook rows in the same order,
        // so they cannot deadlock.
        let mut received: BTreeMap<(Uuid, String), (i64, DateTime<Utc>)> = BTreeMap::new();
        for (store, list) in lists {
            for (d, outcome) in list {
                let outcome = match (outcome, &commit_error) {
                    (DeliveryOutcome::Processed, Some(e)) => self.retry_or_fail(&d, e),
                    (outcome, _) => outcome,
                };
                if let (Some(store), DeliveryOutcome::Processed) = (store, &outcome) {
                    let entry = received
                        .entry((store, d.event.clone().unwrap_or_default()))
                        .or_insert((0, d.received_at));
                    entry.0 += 1;
                    entry.1 = entry.1.max(d.received_at);
                }
                outcomes.push((d.id, outcome));
            }
        }
        let received: Vec<inbox::Received> = received
            .into_iter()
            .map(|((store_id, event), (count, last))| inbox::Received {
                store_id,
                event,
                count,
                last,
            })
            .collect();
        inbox::finish_deliveries(
            &self.db,
            &self.config.worker_id,
            &outcomes,
            &received,
            Utc::now(),
        )
        .await?;
        Ok(n)
    }

    #[tracing::instrument(skip_all, fields(shop = tracing::field::Empty, store = ?store_id, deliveries = deliveries.len()))]
    async fn process_store(
        &self,
        store_id: Option<Uuid>,
        deliveries: Vec<ClaimedDelivery>,
    ) -> StoreDone {
        let all = |outcome: DeliveryOutcome, ds: Vec<ClaimedDelivery>| {
            ds.into_iter()
                .map(|d| (d, outcome.clone()))
                .collect::<Vec<_>>()
        };
        let done = |store: Option<Uuid>, outcomes| StoreDone {
            store,
            outcomes,
            orders: Vec::new(),
        };
        let Some(store_id) = store_id else {
            return done(
                None,
                all(
                    DeliveryOutcome::Ignored {
                        reason: "no store".into(),
                    },
                    deliveries,
                ),
            );
        };
        let store = match stores::find(&self.db, store_id).await {
            Ok(Some(s)) if s.is_active => s,
            Ok(_) => {
                return done(
                    Some(store_id),
                    all(
                        DeliveryOutcome::Ignored {
                            reason: "store disconnected".into(),
                        },
                        deliveries,
                    ),
                )
            }
            Err(e) => return done(Some(store_id), self.retry_all(deliveries, &e.to_string())),
        };
        let span = tracing::Span::current();
        span.record("shop", store.shopname.as_str());
        let mut session =
            match ApiSession::open(self.api.clone(), self.tokens.clone(), store_id).await {
                Ok(s) => s,
                Err(SyncError::StoreGone) => {
                    return done(
                        Some(store_id),
                        all(
                            DeliveryOutcome::Ignored {
                                reason: "store disconnected".into(),
                            },
                            deliveries,
                        ),
                    )
                }
                Err(e) => return done(Some(store_id), self.retry_all(deliveries, &e.to_string())),
            };
        // One fetch per order, however many deliveries name it.
        let mut keys: Vec<String> = deliveries.iter().filter_map(order_key).collect();
        keys.sort();
        keys.dedup();
        let mut fetched = self.fetch_orders(&session, &keys).await;
        let unauthorized = fetched
            .values()
            .any(|r| matches!(r, Err(ApiError::Unauthorized { .. })));
        if unauthorized && session.reauthorize().await.is_ok() {
            let again: Vec<String> = fetched
                .iter()
                .filter(|(_, r)| matches!(r, Err(ApiError::Unauthorized { .. })))
                .map(|(k, _)| k.clone())
                .collect();
            fetched.extend(self.fetch_orders(&session, &again).await);
        }
        let names = write::status_names(&self.db, store_id)
            .await
            .unwrap_or_default();
        let now = Utc::now();
        let outcomes = deliveries
            .into_iter()
            .map(|d| {
                let outcome = match order_key(&d).and_then(|k| fetched.get(&k)) {
                    None => DeliveryOutcome::Failed {
                        error: "delivery names no order".into(),
                    },
                    Some(Ok(Some(_))) => DeliveryOutcome::Processed,
                    Some(Ok(None)) | Some(Err(ApiError::NotFound { .. })) => {
                        DeliveryOutcome::Failed {
                            error: "the order does not exist in the shop".into(),
                        }
                    }
                    Some(Err(e)) => self.retry_or_fail(&d, &e.to_string()),
                };
                (d, outcome)
            })
            .collect();
        // After the outcomes, which read `fetched`: the orders are moved out of it, not copied.
        let orders: Vec<OrderWithItems> = fetched
            .into_values()
            .filter_map(|r| r.ok().flatten())
            .filter_map(|o| order_with_items(store_id, o, &names, now))
            .collect();
        StoreDone {
            store: Some(store_id),
            outcomes,
            orders,
        }
    }

    async fn fetch_orders(
        &self,
        session: &ApiSession,
        keys: &[String],
    ) -> HashMap<String, Result<Option<Order>, ApiError>> {
        futures::stream::iter(keys.iter().cloned())
            .map(|key| async move {
                let result = match key.strip_prefix("inner:") {
                    // No resource id in the delivery: look the order up by its number.
                    Some(inner) => session
                        .api
                        .get_json::<Collection<Order>>(
                            &session.shop,
                            &session.token,
                            &format!("orderExtend?innerId={inner}&full=1&limit=1"),
                        )
                        .await
                        .map(|c| c.items.into_iter().next()),
                    None => session
                        .api
                        .get_json::<Order>(
                            &session.shop,
                            &session.token,
                            &format!("orderExtend/{key}"),
                        )
                        .await
                        .map(Some),
                };
                (key, result)
            })
            .buffer_unordered(self.config.fetch_concurrency.max(1))
            .collect()
            .await
    }

    fn retry_or_fail(&self, d: &ClaimedDelivery, error: &str) -> DeliveryOutcome {
        if d.attempts >= self.config.max_attempts {
            DeliveryOutcome::Failed {
                error: format!("gave up after {} attempts: {error}", d.attempts),
            }
        } else {
            DeliveryOutcome::Retry {
                error: error.to_owned(),
                at: Utc::now()
                    + backoff(d.attempts, Duration::from_secs(1), Duration::from_secs(300)),
            }
        }
    }

    fn retry_all(
        &self,
        deliveries: Vec<ClaimedDelivery>,
        error: &str,
    ) -> Vec<(ClaimedDelivery, DeliveryOutcome)> {
        deliveries
            .into_iter()
            .map(|d| {
                let o = self.retry_or_fail(&d, error);
                (d, o)
            })
            .collect()
    }
}

/// The API id to re-fetch (`orders/<id>` in the delivery), else `inner:<number>`.
fn order_key(d: &ClaimedDelivery) -> Option<String> {
    d.order_ref
        .clone()
        .filter(|r| {
            !r.is_empty()
                && r.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '=' | '-' | '_'))
        })
        .or_else(|| {
            d.order_inner_id
                .as_ref()
                .filter(|i| i.chars().all(|c| c.is_ascii_digit()))
                .map(|i| format!("inner:{i}"))
        })
}
