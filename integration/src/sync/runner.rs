//! Full passes (initial sync, reconciliation) and incremental passes over one store.
//!
//! Pages are fetched a few at a time once the first page has told how many there are, each
//! decoded and mapped to cache rows on its own task, and written in page order with one
//! transaction per page (two open at once on PostgreSQL). A page's transaction also records the
//! progress of the pages already in the cache, so a restart resumes at the first page missing.
//! Everything to the shop goes through the process-wide [`ApiClient`], whose per-shop limiter
//! keeps us at (never above) 3 requests/s.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use shoprenter::client::{ApiClient, ApiError, ListParams};
use shoprenter::resources::{
    Category, Collection, Customer, Order, OrderStatus, OrderStatusDescription, Product,
};
use shoprenter::ShopName;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::progress;
use super::resources::{self as res, Resource};
use super::session::ApiSession;
use super::upsert::{self, Val};
use super::write::{self, OrderWithItems, PageProgress};
use super::{SyncConfig, SyncError, Syncer};
use crate::jobs::JobContext;
use crate::storage::{stores, DbKind, StorageError};

/// Which kind of full pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FullMode {
    Initial,
    Reconcile,
}

impl FullMode {
    pub fn as_str(self) -> &'static str {
        match self {
            FullMode::Initial => "initial",
            FullMode::Reconcile => "reconcile",
        }
    }
}

/// Rows mapped from one page.
#[derive(Default)]
struct Mapped {
    rows: Vec<Vec<Val>>,
    orders: Vec<OrderWithItems>,
}

impl Mapped {
    fn pack_documents(&mut self) {
        upsert::pack_documents(&mut self.rows);
        self.orders
            .iter_mut()
            .for_each(OrderWithItems::pack_documents);
    }
}

/// A fetched page, already mapped to rows.
struct MappedPage {
    page: u64,
    records: i64,
    page_count: Option<u64>,
    last_page: Option<u64>,
    limit: u32,
    next_page: Option<u64>,
    mapped: Mapped,
}

/// Where a pass stands while it runs.
struct PassState {
    /// The first page not yet in the cache (where a restart resumes).
    page: u64,
    /// Records fetched so far in this pass, written or not.
    records: i64,
    /// Pages and records in the cache so far in this pass.
    pages_written: i64,
    records_written: i64,
    /// The `next_page` the progress row holds (it may trail `page` while writes are pending).
    recorded_page: u64,
    estimated_total: Option<i64>,
    started: Instant,
    records_this_run: i64,
    /// Full passes record progress; incremental ones only count.
    full: bool,
}

impl PassState {
    fn new(page: u64, pages_written: i64, records: i64, full: bool) -> Self {
        Self {
            page,
            records,
            pages_written,
            records_written: records,
            recorded_page: page,
            estimated_total: None,
            started: Instant::now(),
            records_this_run: 0,
            full,
        }
    }

    /// The progress row after `pages` more pages with `records` more records are written, the
    /// last of them followed by `next_page`.
    fn progress(&self, store_id: Uuid, next_page: u64, pages: i64, records: i64) -> PageProgress {
        let rate = self.records_this_run as f64 / self.started.elapsed().as_secs_f64().max(0.001);
        let eta = self
            .estimated_total
            .map(|t| (t - self.records).max(0) as f64 / rate.max(0.001));
        PageProgress {
            store_id,
            next_page: next_page as i64,
            pages_done: self.pages_written + pages,
            records_done: self.records_written + records,
            estimated_total: self.estimated_total,
            records_per_sec: Some(rate),
            eta_secs: eta,
        }
    }
}

/// What a resource pass needs besides the session.
struct PassSpec<'a> {
    resource: Resource,
    filters: Vec<(String, String)>,
    ctx: &'a JobContext,
}

impl Syncer {
    /// Runs (or resumes) a full pass over every resource, then sets `last_sync_at`.
    #[tracing::instrument(skip_all, fields(shop = tracing::field::Empty, store = %store_id, job = %ctx.job_id, mode = mode.as_str()))]
    pub async fn full_sync(
        &self,
        store_id: Uuid,
        mode: FullMode,
        ctx: &JobContext,
    ) -> Result<(), SyncError> {
        let store = stores::find(&self.db, store_id)
            .await?
            .ok_or(SyncError::StoreGone)?;
        if !store.is_active {
            return Err(SyncError::StoreGone);
        }
        tracing::Span::current().record("shop", store.shopname.as_str());
        let mut session = ApiSession::open(self.api.clone(), self.tokens.clone(), store_id).await?;
        for resource in Resource::ALL {
            if ctx.should_stop() {
                return Err(SyncError::Interrupted);
            }
            let existing = progress::load(&self.db, store_id, resource).await?;
            let resumable = existing.as_ref().filter(|p| {
                p.mode == mode.as_str()
                    && matches!(p.status.as_str(), "running" | "failed")
                    && p.pass_started_at.is_some()
            });
            let already_done = mode == FullMode::Initial
                && existing.as_ref().is_some_and(|p| {
                    p.status == "done"
                        && p.mode == "initial"
                        && p.pass_started_at
                            .is_some_and(|t| store.connected_at.is_none_or(|c| t >= c))
                });
            if already_done {
                continue;
            }
            let (start_page, pass_started_at, pages, records, total) = match resumable {
                Some(p) => {
                    progress::resume_pass(&self.db, store_id, resource, Utc::now()).await?;
                    tracing::info!(
                        resource = resource.as_str(),
                        page = p.next_page,
                        "resuming full pass"
                    );
                    (
                        p.next_page.max(0) as u64,
                        p.pass_started_at.expect("filtered"),
                        i64::from(p.pages_done),
                        p.records_done,
                        p.estimated_total,
                    )
                }
                None => {
                    let now = Utc::now();
                    progress::start_pass(&self.db, store_id, resource, mode.as_str(), now).await?;
                    (0, now, 0, 0, None)
                }
            };
            let mut state = PassState::new(start_page, pages, records, true);
            state.estimated_total = total;
            let spec = PassSpec {
                resource,
                filters: Vec::new(),
                ctx,
            };
            if let Err(error) = self.run_resource(&mut session, &spec, &mut state).await {
                if !matches!(error, SyncError::Interrupted) {
                    progress::fail_pass(
                        &self.db,
                        store_id,
                        resource,
                        &error.to_string(),
                        Utc::now(),
                    )
                    .await?;
                }
                return Err(error);
            }
            let deleted =
                write::sweep_unseen(&self.db, store_id, resource, pass_started_at).await?;
            if deleted > 0 {
                tracing::info!(
                    resource = resource.as_str(),
                    deleted,
                    "removed records the shop no longer has"
                );
            }
            let cursor = pass_started_at
                - chrono::Duration::from_std(self.config.cursor_overlap).unwrap_or_default();
            progress::finish_pass(&self.db, store_id, resource, deleted, cursor, Utc::now())
                .await?;
            tracing::info!(
                resource = resource.as_str(),
                records = state.records,
                "full pass done"
            );
        }
        stores::set_last_sync_at(&self.db, store_id, Utc::now()).await?;
        Ok(())
    }

    /// Fetches what changed since each resource's cursor (small resources are re-read whole).
    #[tracing::instrument(skip_all, fields(shop = tracing::field::Empty, store = %store_id, job = %ctx.job_id))]
    pub async fn incremental_sync(
        &self,
        store_id: Uuid,
        ctx: &JobContext,
    ) -> Result<(), SyncError> {
        let store = stores::find(&self.db, store_id)
            .await?
            .ok_or(SyncError::StoreGone)?;
        if !store.is_active {
            return Err(SyncError::StoreGone);
        }
        tracing::Span::current().record("shop", store.shopname.as_str());
        let mut session = ApiSession::open(self.api.clone(), self.tokens.clone(), store_id).await?;
        let mut changed = 0;
        for resource in Resource::ALL {
            if ctx.should_stop() {
                return Err(SyncError::Interrupted);
            }
            let Some(existing) = progress::load(&self.db, store_id, resource).await? else {
                continue; // never fully synced: the initial sync covers it
            };
            let started_at = Utc::now();
            let filters = match (resource.updated_filter(), existing.incremental_cursor) {
                (Some(key), Some(cursor)) => vec![(
                    key.to_owned(),
                    cursor.format("%Y-%m-%dT%H:%M:%S").to_string(),
                )],
                _ => Vec::new(),
            };
            let mut state = PassState::new(0, 0, 0, false);
            let spec = PassSpec {
                resource,
                filters,
                ctx,
            };
            self.run_resource(&mut session, &spec, &mut state).await?;
            changed += state.records;
            let cursor = started_at
                - chrono::Duration::from_std(self.config.cursor_overlap).unwrap_or_default();
            progress::finish_incremental(&self.db, store_id, resource, cursor, Utc::now()).await?;
        }
        stores::set_last_sync_at(&self.db, store_id, Utc::now()).await?;
        tracing::info!(changed, "incremental sync done");
        Ok(())
    }

    async fn run_resource(
        &self,
        session: &mut ApiSession,
        spec: &PassSpec<'_>,
        state: &mut PassState,
    ) -> Result<(), SyncError> {
        let store_id = session.store_id;
        match spec.resource {
            Resource::OrderStatuses => {
                let names = self.status_descriptions(session, spec.ctx).await?;
                self.pages::<OrderStatus, _>(session, spec, state, move |items, now| Mapped {
                    rows: items
                        .iter()
                        .filter_map(|s| {
                            let name = s.id.as_ref().and_then(|id| names.get(id)).cloned();
                            res::status_row(store_id, s, name, now)
                        })
                        .collect(),
                    orders: Vec::new(),
                })
                .await
            }
            Resource::Categories => {
                self.pages::<Category, _>(session, spec, state, move |items, now| Mapped {
                    rows: items
                        .iter()
                        .filter_map(|c| res::category_row(store_id, c, now))
                        .collect(),
                    orders: Vec::new(),
                })
                .await
            }
            Resource::Products => {
                self.pages::<Product, _>(session, spec, state, move |items, now| Mapped {
                    rows: items
                        .iter()
                        .filter_map(|p| res::product_row(store_id, p, now))
                        .collect(),
                    orders: Vec::new(),
                })
                .await
            }
            Resource::Customers => {
                self.pages::<Customer, _>(session, spec, state, move |items, now| Mapped {
                    rows: items
                        .iter()
                        .filter_map(|c| res::customer_row(store_id, c, now))
                        .collect(),
                    orders: Vec::new(),
                })
                .await
            }
            Resource::Orders => {
                let names = write::status_names(&self.db, store_id).await?;
                self.pages::<Order, _>(session, spec, state, move |items, now| Mapped {
                    rows: Vec::new(),
                    orders: items
                        .into_iter()
                        .filter_map(|o| order_with_items(store_id, o, &names, now))
                        .collect(),
                })
                .await
            }
        }
    }

    /// `orderStatusDescriptions` → status id → name (the first non-empty name per status).
    async fn status_descriptions(
        &self,
        session: &mut ApiSession,
        ctx: &JobContext,
    ) -> Result<HashMap<String, String>, SyncError> {
        let mut names = HashMap::new();
        let mut page = 0u64;
        loop {
            if ctx.should_stop() {
                return Err(SyncError::Interrupted);
            }
            let path = format!(
                "orderStatusDescriptions?page={page}&limit={}&full=1",
                self.config.page_limit
            );
            let collection: Collection<OrderStatusDescription> =
                self.with_retries(session, &path).await?;
            for d in &collection.items {
                if let (Some(status), Some(name)) = (
                    d.order_status.as_ref().and_then(|l| l.resource_id()),
                    d.name.as_ref(),
                ) {
                    if !name.trim().is_empty() {
                        names
                            .entry(status.to_owned())
                            .or_insert_with(|| name.clone());
                    }
                }
            }
            match collection.next_page() {
                Some(next) if next > page && !collection.items.is_empty() => page = next,
                _ => break,
            }
        }
        Ok(names)
    }

    /// A `GET` retried a few times on transient failures and undecodable bodies.
    async fn with_retries<T: DeserializeOwned>(
        &self,
        session: &mut ApiSession,
        path: &str,
    ) -> Result<T, SyncError> {
        let mut attempt = 0;
        loop {
            match session.get_json::<T>(path).await {
                Err(SyncError::Api(e)) if retryable(&e) && attempt < self.config.page_retries => {
                    attempt += 1;
                    tokio::time::sleep(crate::jobs::backoff(
                        attempt as i32,
                        Duration::from_millis(500),
                        Duration::from_secs(10),
                    ))
                    .await;
                }
                other => return other,
            }
        }
    }

    /// Streams pages of `T` from `state.page`, writing each one; retries a failed page a few
    /// times (re-authorizing on 401) before giving up (the job then retries later and resumes).
    async fn pages<T, F>(
        &self,
        session: &mut ApiSession,
        spec: &PassSpec<'_>,
        state: &mut PassState,
        map: F,
    ) -> Result<(), SyncError>
    where
        T: DeserializeOwned + Send + 'static,
        F: Fn(Vec<T>, DateTime<Utc>) -> Mapped + Send + Sync + 'static,
    {
        // The cache keeps documents packed (`storage::documents`): packed here, on the blocking
        // thread that maps the page while earlier pages are written, SQLite's one write thread
        // and PostgreSQL's backends get them ready. Packing in `commit_page` instead would stop
        // SQLite's writer for each page's packing.
        let map = Arc::new(move |items: Vec<T>, now: DateTime<Utc>| {
            let mut mapped = map(items, now);
            mapped.pack_documents();
            mapped
        });
        let mut failures = 0u32;
        let mut reauthorized = false;
        'restart: loop {
            let params = ListParams {
                page_start: state.page,
                limit: self.config.page_limit,
                filters: spec.filters.clone(),
            };
            let (tx, mut rx) = mpsc::channel(2);
            let fetcher = PageFetcher {
                api: session.api.clone(),
                shop: session.shop.clone(),
                token: session.token.clone(),
                resource: spec.resource.api_path(),
                params,
                map: map.clone(),
                _records: std::marker::PhantomData,
            };
            let prefetch = tokio::spawn(fetcher.run(self.config.pages_in_flight.max(1), tx));
            let _abort = AbortOnDrop(prefetch);
            let mut writes = PageWrites::new(match self.db.kind() {
                DbKind::Sqlite => 1, // one writer at a time anyway
                DbKind::Postgres => self.config.page_writes.max(1),
            });
            while let Some(item) = rx.recv().await {
                let page = match item {
                    Ok(page) => page,
                    Err(e) => {
                        // What was fetched before the failure is kept; resume after it.
                        self.settle(&mut writes, spec, state, session.store_id)
                            .await?;
                        match e {
                            // Page out of range: records vanished while we paged; the listing is over.
                            ApiError::BadRequest {
                                code: Some(40008), ..
                            } => return Ok(()),
                            ApiError::Unauthorized { .. } if !reauthorized => {
                                reauthorized = true;
                                session.reauthorize().await?;
                                continue 'restart;
                            }
                            e if retryable(&e) && failures < self.config.page_retries => {
                                failures += 1;
                                tracing::warn!(error = %e, page = state.page, failures, "page failed; retrying");
                                tokio::time::sleep(crate::jobs::backoff(
                                    failures as i32,
                                    Duration::from_millis(500),
                                    Duration::from_secs(10),
                                ))
                                .await;
                                continue 'restart;
                            }
                            e => return Err(e.into()),
                        }
                    }
                };
                failures = 0;
                if state.full && state.estimated_total.is_none() {
                    state.estimated_total = match page.page_count {
                        Some(count) => Some((count * u64::from(page.limit)) as i64),
                        None if page.next_page.is_none() => Some(state.records + page.records),
                        // Collections name their last page (the `last` link); a page that does
                        // not leaves the total unknown until the listing ends.
                        None => page
                            .last_page
                            .map(|last| ((last + 1) * u64::from(page.limit)) as i64),
                    };
                }
                let n = page.records;
                let next = page.next_page;
                let follows = next.unwrap_or(page.page + 1);
                state.records += n;
                state.records_this_run += n;
                writes.make_room(state).await?;
                // A page's transaction may record progress only for pages already in the cache:
                // itself included when no earlier write is pending, else those before it.
                let progress = if !state.full {
                    None
                } else if writes.is_empty() {
                    Some(state.progress(session.store_id, follows, 1, n))
                } else if state.recorded_page < state.page {
                    Some(state.progress(session.store_id, state.page, 0, 0))
                } else {
                    None
                };
                let db = self.db.clone();
                let resource = spec.resource;
                let mapped = page.mapped;
                let written = Written {
                    follows,
                    records: n,
                    recorded: progress.as_ref().map(|p| p.next_page as u64),
                };
                writes.push(written, async move {
                    write::commit_page(
                        &db,
                        resource,
                        mapped.rows,
                        mapped.orders,
                        progress,
                        Utc::now(),
                    )
                    .await
                });
                if next.is_none() {
                    self.settle(&mut writes, spec, state, session.store_id)
                        .await?;
                    return Ok(());
                }
                if spec.ctx.should_stop() {
                    self.settle(&mut writes, spec, state, session.store_id)
                        .await?;
                    return Err(SyncError::Interrupted);
                }
            }
            // The stream ended without a last page (only after an error we already handled).
            self.settle(&mut writes, spec, state, session.store_id)
                .await?;
            return Ok(());
        }
    }

    /// Waits for the pending page writes and records the progress their transactions could not.
    async fn settle(
        &self,
        writes: &mut PageWrites,
        spec: &PassSpec<'_>,
        state: &mut PassState,
        store_id: Uuid,
    ) -> Result<(), SyncError> {
        writes.drain(state).await?;
        if state.full && state.recorded_page < state.page {
            let progress = state.progress(store_id, state.page, 0, 0);
            write::commit_page(
                &self.db,
                spec.resource,
                Vec::new(),
                Vec::new(),
                Some(progress),
                Utc::now(),
            )
            .await?;
            state.recorded_page = state.page;
        }
        Ok(())
    }
}

/// An order's cache row and its item rows. Each line's document is kept once, in its item row;
/// the order's document keeps the rest (`orderProducts` taken out), which roughly halves the
/// bytes an order writes.
pub(crate) fn order_with_items(
    store_id: Uuid,
    mut o: Order,
    names: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> Option<OrderWithItems> {
    let lines = std::mem::take(&mut o.order_products);
    let status_name = o.order_status_id().and_then(|id| names.get(id)).cloned();
    let row = res::order_row(store_id, &o, status_name, now)?;
    let currency = res::currency_of(&o);
    let items = lines
        .iter()
        .enumerate()
        .map(|(i, item)| res::order_item_row(store_id, Uuid::nil(), item, i, &currency))
        .collect();
    Some(OrderWithItems {
        store_id,
        row,
        platform_id: o.id.clone()?,
        items,
    })
}

/// Failures worth another try: the client's own retries were exhausted on a transient error, or
/// the body was not valid JSON (the platform — and the simulator's fault injection — sometimes
/// sends a broken page).
pub(crate) fn retryable(e: &ApiError) -> bool {
    e.is_transient() || matches!(e, ApiError::Decode { .. })
}

/// Fetches the pages of one listing for [`Syncer::pages`], in order, with up to `in_flight`
/// requests outstanding, each fetched, decoded and mapped on its own task.
struct PageFetcher<T, F> {
    api: ApiClient,
    shop: ShopName,
    token: SecretString,
    resource: &'static str,
    /// `page_start` is the first page.
    params: ListParams,
    map: Arc<F>,
    _records: std::marker::PhantomData<fn() -> T>,
}

type PageTask = AbortOnDrop<Result<MappedPage, ApiError>>;

impl<T, F> PageFetcher<T, F>
where
    T: DeserializeOwned + Send + 'static,
    F: Fn(Vec<T>, DateTime<Utc>) -> Mapped + Send + Sync + 'static,
{
    /// Sends each page (or the first error) to `tx` in page order. Pages beyond the next one are
    /// requested only up to the last page a page has named (`pageCount` or `last`), and on the
    /// assumption that page n is followed by n + 1; a page whose `next` says otherwise drops the
    /// guesses and goes on from its `next`. A guess past a listing that shrank meanwhile ends
    /// like the sequential walk would: with an empty page or the platform's page-out-of-range
    /// error.
    async fn run(self, in_flight: usize, tx: mpsc::Sender<Result<MappedPage, ApiError>>) {
        let mut queue: VecDeque<(u64, PageTask)> = VecDeque::new();
        queue.push_back((self.params.page_start, self.spawn(self.params.page_start)));
        while let Some((_, task)) = queue.pop_front() {
            let item = task.await;
            if let Ok(page) = &item {
                match page.next_page {
                    Some(next) => {
                        if queue.front().map(|(n, _)| *n) != Some(next) {
                            queue.clear();
                        }
                        while queue.len() < in_flight {
                            let candidate = queue.back().map_or(next, |(n, _)| n + 1);
                            let known_to_exist =
                                queue.is_empty() || page.last_page.is_some_and(|l| candidate <= l);
                            if !known_to_exist {
                                break;
                            }
                            queue.push_back((candidate, self.spawn(candidate)));
                        }
                    }
                    None => queue.clear(),
                }
            }
            let failed = item.is_err();
            if tx.send(item).await.is_err() || failed {
                return;
            }
        }
    }

    fn spawn(&self, page: u64) -> PageTask {
        let api = self.api.clone();
        let shop = self.shop.clone();
        let token = self.token.clone();
        let resource = self.resource;
        let params = ListParams {
            page_start: page,
            ..self.params.clone()
        };
        let map = self.map.clone();
        AbortOnDrop(tokio::spawn(async move {
            let raw = api.fetch_page(&shop, &token, resource, &params).await?;
            // Decoding and mapping a full page takes milliseconds of CPU. On an async worker it
            // would hold up every task queued there, among them requests the rate limiter has
            // already counted as sent (one that leaves late can exceed the platform's limit).
            let decoded = tokio::task::spawn_blocking(move || {
                let page = raw.decode::<T>()?;
                Ok(MappedPage {
                    page: page.page,
                    records: page.items.len() as i64,
                    page_count: page.page_count,
                    last_page: page.last_page,
                    limit: page.limit,
                    next_page: page.next_page,
                    mapped: map(page.items, Utc::now()),
                })
            })
            .await;
            match decoded {
                Ok(page) => page,
                Err(e) => match e.try_into_panic() {
                    Ok(panic) => std::panic::resume_unwind(panic),
                    // Only a runtime shutting down cancels a blocking task.
                    Err(e) => Err(ApiError::Decode {
                        resource: resource.to_owned(),
                        message: e.to_string(),
                    }),
                },
            }
        }))
    }
}

/// What a pending page write will have done once it commits.
struct Written {
    /// The page after it.
    follows: u64,
    records: i64,
    /// The `next_page` its transaction records, if it records progress.
    recorded: Option<u64>,
}

/// The page writes of one listing: up to `limit` transactions at once (PostgreSQL), finished in
/// page order. `state.page` moves past a page only once its write has committed, so a restart
/// resumes at the first page not in the cache; a page's transaction records progress only for
/// pages known to be in the cache when it starts (see [`Syncer::pages`]).
struct PageWrites {
    limit: usize,
    pending: VecDeque<(Written, AbortOnDrop<Result<(), StorageError>>)>,
}

impl PageWrites {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            pending: VecDeque::new(),
        }
    }

    fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Waits for the oldest writes until another may start.
    async fn make_room(&mut self, state: &mut PassState) -> Result<(), StorageError> {
        while self.pending.len() >= self.limit {
            self.finish_oldest(state).await?;
        }
        Ok(())
    }

    /// Starts a page's write (after [`PageWrites::make_room`]).
    fn push(
        &mut self,
        written: Written,
        write: impl std::future::Future<Output = Result<(), StorageError>> + Send + 'static,
    ) {
        self.pending
            .push_back((written, AbortOnDrop(tokio::spawn(write))));
    }

    async fn drain(&mut self, state: &mut PassState) -> Result<(), StorageError> {
        while !self.pending.is_empty() {
            self.finish_oldest(state).await?;
        }
        Ok(())
    }

    async fn finish_oldest(&mut self, state: &mut PassState) -> Result<(), StorageError> {
        if let Some((written, write)) = self.pending.pop_front() {
            write.await?;
            state.page = written.follows;
            state.pages_written += 1;
            state.records_written += written.records;
            if let Some(recorded) = written.recorded {
                state.recorded_page = state.recorded_page.max(recorded);
            }
        }
        Ok(())
    }
}

/// A spawned task that is cancelled when its handle is dropped (a restarted or finished listing
/// must not leave requests running).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> std::future::Future for AbortOnDrop<T> {
    type Output = T;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<T> {
        std::pin::Pin::new(&mut self.0)
            .poll(cx)
            .map(|joined| match joined {
                Ok(value) => value,
                // Only a panic gets here (we abort only on drop): pass it on.
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            })
    }
}

/// Default tuning.
impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            page_limit: shoprenter::client::MAX_PAGE_LIMIT,
            page_retries: 6,
            pages_in_flight: 3,
            page_writes: 3,
            cursor_overlap: Duration::from_secs(300),
            incremental_interval: Duration::from_secs(300),
            reconcile_interval: Duration::from_secs(24 * 3600),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use serde_json::{json, Value};
    use shoprenter::client::ApiConfig;
    use shoprenter::UrlTemplate;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

    use super::*;

    /// A listing of `pages` pages of two records each, answered after a delay. Which page links
    /// a page carries is up to the test; every request's page number is recorded.
    #[derive(Clone)]
    struct Listing {
        pages: u64,
        /// Pages past this one come back empty with `next: null` (records vanished).
        shrinks_after: Option<u64>,
        page_count: bool,
        last_link: bool,
        /// `next` of page 0 (default 1).
        next_of_first: Option<u64>,
        requested: Arc<Mutex<Vec<u64>>>,
    }

    impl Listing {
        fn new(pages: u64) -> Self {
            Self {
                pages,
                shrinks_after: None,
                page_count: true,
                last_link: true,
                next_of_first: None,
                requested: Arc::default(),
            }
        }

        fn requested(&self) -> Vec<u64> {
            self.requested.lock().unwrap().clone()
        }
    }

    impl Respond for Listing {
        fn respond(&self, request: &Request) -> ResponseTemplate {
            let page: u64 = request
                .url
                .query_pairs()
                .find(|(k, _)| k == "page")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap();
            self.requested.lock().unwrap().push(page);
            let href =
                |p: u64| json!({ "href": format!("https://x/api/productExtend?page={p}&limit=2") });
            let gone = self.shrinks_after.is_some_and(|s| page > s);
            let next = match page {
                0 => self.next_of_first.unwrap_or(1),
                p => p + 1,
            };
            let mut body = json!({
                "page": page.to_string(),
                "limit": "2",
                "items": if gone { json!([]) } else { json!([{ "n": page * 2 }, { "n": page * 2 + 1 }]) },
                "next": if gone || next >= self.pages { Value::Null } else { href(next) },
            });
            if self.page_count {
                body["pageCount"] = json!(self.pages.to_string());
            }
            if self.last_link {
                body["last"] = href(self.pages - 1);
            }
            ResponseTemplate::new(200)
                .set_body_json(body)
                .set_delay(Duration::from_millis(50))
        }
    }

    /// Runs a fetcher over `listing`; returns the pages it delivered (page, records) and how many
    /// requests the server had seen when the second page was delivered.
    async fn fetch_all(listing: &Listing, in_flight: usize) -> (Vec<(u64, i64)>, usize) {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/pelda/api/productExtend"))
            .respond_with(listing.clone())
            .mount(&server)
            .await;
        let mut config = ApiConfig::new(
            UrlTemplate::new(&format!("{}/{{shopname}}/api", server.uri())).unwrap(),
        );
        config.requests_per_second = 0;
        let fetcher = PageFetcher {
            api: ApiClient::new(config).unwrap(),
            shop: ShopName::parse("pelda").unwrap(),
            token: SecretString::from("t"),
            resource: "productExtend",
            params: ListParams {
                page_start: 0,
                limit: 2,
                filters: Vec::new(),
            },
            map: Arc::new(|items: Vec<Value>, _| Mapped {
                rows: items.iter().map(|_| Vec::new()).collect(),
                orders: Vec::new(),
            }),
            _records: std::marker::PhantomData,
        };
        let (tx, mut rx) = mpsc::channel(2);
        let task = AbortOnDrop(tokio::spawn(fetcher.run(in_flight, tx)));
        let mut pages = Vec::new();
        let mut seen_at_second = 0;
        while let Some(item) = rx.recv().await {
            let page = item.expect("page");
            pages.push((page.page, page.records));
            if pages.len() == 2 {
                seen_at_second = listing.requested.lock().unwrap().len();
            }
        }
        task.await;
        (pages, seen_at_second)
    }

    fn numbers(pages: &[(u64, i64)]) -> Vec<u64> {
        pages.iter().map(|(p, _)| *p).collect()
    }

    /// Writes finish in page order; the resume point stops at the first one that failed, even
    /// when a later one had already committed.
    #[tokio::test]
    async fn a_failed_page_write_holds_the_resume_point_at_that_page() {
        let mut state = PassState::new(10, 10, 2_000, true);
        let mut writes = PageWrites::new(2);
        let page = |follows| Written {
            follows,
            records: 200,
            recorded: None,
        };
        let slow_ok = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok(())
        };
        writes.make_room(&mut state).await.unwrap();
        writes.push(page(11), slow_ok);
        writes.make_room(&mut state).await.unwrap();
        writes.push(page(12), async {
            Err(StorageError::Sqlx(sqlx::Error::PoolTimedOut))
        });
        writes.make_room(&mut state).await.unwrap();
        assert_eq!(
            (state.page, state.pages_written),
            (11, 11),
            "page 10 written"
        );
        writes.push(page(13), async { Ok(()) });
        assert!(writes.drain(&mut state).await.is_err());
        assert_eq!(
            (state.page, state.pages_written, state.records_written),
            (11, 11, 2_200),
            "page 11 failed: page 12 is not counted, a restart resumes at 11"
        );
    }

    #[tokio::test]
    async fn pages_arrive_in_order_with_several_requested_at_once_and_none_past_the_last() {
        let listing = Listing::new(7);
        let (pages, seen_at_second) = fetch_all(&listing, 3).await;
        assert_eq!(numbers(&pages), (0..7).collect::<Vec<_>>());
        assert!(pages.iter().all(|(_, n)| *n == 2));
        let mut requested = listing.requested();
        requested.sort_unstable();
        assert_eq!(requested, (0..7).collect::<Vec<_>>(), "each page once");
        // Pages 1-3 were requested together once page 0 named the last page.
        assert!(seen_at_second >= 4, "{seen_at_second} requests by page 1");
    }

    #[tokio::test]
    async fn the_last_link_is_enough_to_read_ahead_and_without_either_pages_follow_one_by_one() {
        let listing = Listing {
            page_count: false,
            ..Listing::new(5)
        };
        let (pages, seen_at_second) = fetch_all(&listing, 3).await;
        assert_eq!(numbers(&pages), (0..5).collect::<Vec<_>>());
        assert!(seen_at_second >= 4, "{seen_at_second} requests by page 1");

        let listing = Listing {
            page_count: false,
            last_link: false,
            ..Listing::new(5)
        };
        let (pages, seen_at_second) = fetch_all(&listing, 3).await;
        assert_eq!(numbers(&pages), (0..5).collect::<Vec<_>>());
        // Page 2 may just have been requested; pages 3-4 were not guessed.
        assert!(seen_at_second <= 3, "{seen_at_second} requests by page 1");
        assert_eq!(listing.requested(), (0..5).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_next_link_that_skips_drops_the_guesses_and_goes_on_from_there() {
        let listing = Listing {
            next_of_first: Some(3),
            ..Listing::new(6)
        };
        let (pages, _) = fetch_all(&listing, 3).await;
        assert_eq!(numbers(&pages), vec![0, 3, 4, 5]);
    }

    #[tokio::test]
    async fn a_listing_that_shrinks_while_read_ahead_ends_at_its_empty_page() {
        let listing = Listing {
            shrinks_after: Some(2),
            ..Listing::new(8)
        };
        let (pages, _) = fetch_all(&listing, 3).await;
        assert_eq!(numbers(&pages), vec![0, 1, 2, 3]);
        assert_eq!(pages[3].1, 0, "the empty page ends the listing");
    }

    #[test]
    fn an_order_keeps_each_line_once_in_its_item_row() {
        let order: Order = serde_json::from_value(json!({
            "id": "order-1",
            "innerId": "7",
            "total": "3000.0000",
            "orderProducts": [
                {"id": "line-a", "name": "Kanna", "sku": "K-1", "price": "1000.0000", "quantity": "1"},
                {"id": "line-b", "name": "Kábel", "sku": "K-2", "price": "2000.0000", "quantity": "1"}
            ],
            "orderTotals": [{"id": "total-1", "type": "TOTAL", "value": "3000.0000"}]
        }))
        .unwrap();
        let mapped = order_with_items(Uuid::nil(), order, &HashMap::new(), Utc::now()).unwrap();
        let docs = |row: &[Val]| -> Vec<Value> {
            row.iter()
                .filter_map(|v| match v {
                    Val::Json(doc) => Some(serde_json::from_str(doc).unwrap()),
                    _ => None,
                })
                .collect()
        };
        let order_doc = &docs(&mapped.row)[0];
        assert!(order_doc.get("orderProducts").is_none(), "{order_doc}");
        assert_eq!(order_doc["orderTotals"][0]["id"], "total-1");
        assert_eq!(order_doc["innerId"], "7");
        let line_ids: Vec<Value> = mapped
            .items
            .iter()
            .map(|item| docs(item)[0]["id"].clone())
            .collect();
        assert_eq!(line_ids, [json!("line-a"), json!("line-b")]);
    }
}
