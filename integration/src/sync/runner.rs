//! Full passes (initial sync, reconciliation) and incremental passes over one store.
//!
//! Pages stream from the API one at a time (the client's `list`), are mapped to cache rows and
//! written with one transaction per page, which also records the next page to fetch. A prefetch
//! task fetches page n+1 while page n is being written. Everything to the shop goes through the
//! process-wide [`ApiClient`], whose per-shop limiter keeps us at (never above) 3 requests/s.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::de::DeserializeOwned;
use shoprenter::client::{ApiError, ListParams};
use shoprenter::resources::{
    Category, Collection, Customer, Order, OrderStatus, OrderStatusDescription, Product,
};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::progress;
use super::resources::{self as res, Resource};
use super::session::ApiSession;
use super::upsert::Val;
use super::write::{self, OrderWithItems, PageProgress};
use super::{SyncConfig, SyncError, Syncer};
use crate::jobs::JobContext;
use crate::storage::stores;

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

/// A fetched page, already mapped to rows.
struct MappedPage {
    records: i64,
    page_count: Option<u64>,
    limit: u32,
    next_page: Option<u64>,
    mapped: Mapped,
}

/// Where a pass stands while it runs.
struct PassState {
    page: u64,
    records: i64,
    estimated_total: Option<i64>,
    started: Instant,
    records_this_run: i64,
    /// Full passes record progress; incremental ones only count.
    full: bool,
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
            let (start_page, pass_started_at, records, total) = match resumable {
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
                        p.records_done,
                        p.estimated_total,
                    )
                }
                None => {
                    let now = Utc::now();
                    progress::start_pass(&self.db, store_id, resource, mode.as_str(), now).await?;
                    (0, now, 0, None)
                }
            };
            let mut state = PassState {
                page: start_page,
                records,
                estimated_total: total,
                started: Instant::now(),
                records_this_run: 0,
                full: true,
            };
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
            let mut state = PassState {
                page: 0,
                records: 0,
                estimated_total: None,
                started: Instant::now(),
                records_this_run: 0,
                full: false,
            };
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
                        .iter()
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
        let map = std::sync::Arc::new(map);
        let mut failures = 0u32;
        let mut reauthorized = false;
        'restart: loop {
            let params = ListParams {
                page_start: state.page,
                limit: self.config.page_limit,
                filters: spec.filters.clone(),
            };
            let stream = session.api.list::<T>(
                &session.shop,
                &session.token,
                spec.resource.api_path(),
                params,
            );
            let (tx, mut rx) = mpsc::channel(2);
            let map = map.clone();
            // Pages are mapped to rows here too, so fetching, parsing and mapping page n+1 runs
            // beside the write of page n (the single SQLite writer was waiting for it).
            let prefetch = tokio::spawn(async move {
                futures::pin_mut!(stream);
                while let Some(item) = stream.next().await {
                    let item = item.map(|page| MappedPage {
                        records: page.items.len() as i64,
                        page_count: page.page_count,
                        limit: page.limit,
                        next_page: page.next_page,
                        mapped: map(page.items, Utc::now()),
                    });
                    let failed = item.is_err();
                    if tx.send(item).await.is_err() || failed {
                        break;
                    }
                }
            });
            let _abort = AbortOnDrop(prefetch);
            while let Some(item) = rx.recv().await {
                match item {
                    Ok(page) => {
                        failures = 0;
                        if state.full && state.estimated_total.is_none() {
                            state.estimated_total = match page.page_count {
                                Some(count) => Some((count * u64::from(page.limit)) as i64),
                                None if page.next_page.is_none() => {
                                    Some(state.records + page.records)
                                }
                                None => self.probe_total(session, spec.resource).await,
                            };
                        }
                        let n = page.records;
                        let next = page.next_page;
                        let mapped = page.mapped;
                        state.records += n;
                        state.records_this_run += n;
                        let progress = state.full.then(|| {
                            let rate = state.records_this_run as f64
                                / state.started.elapsed().as_secs_f64().max(0.001);
                            let eta = state
                                .estimated_total
                                .map(|t| (t - state.records).max(0) as f64 / rate.max(0.001));
                            PageProgress {
                                store_id: session.store_id,
                                next_page: next.unwrap_or(state.page + 1) as i64,
                                records: n,
                                estimated_total: state.estimated_total,
                                records_per_sec: Some(rate),
                                eta_secs: eta,
                            }
                        });
                        write::commit_page(
                            &self.db,
                            spec.resource,
                            mapped.rows,
                            mapped.orders,
                            progress,
                            Utc::now(),
                        )
                        .await?;
                        match next {
                            Some(next) => state.page = next,
                            None => return Ok(()),
                        }
                        if spec.ctx.should_stop() {
                            return Err(SyncError::Interrupted);
                        }
                    }
                    // Page out of range: records vanished while we paged; the listing is over.
                    Err(ApiError::BadRequest {
                        code: Some(40008), ..
                    }) => return Ok(()),
                    Err(ApiError::Unauthorized { .. }) if !reauthorized => {
                        reauthorized = true;
                        session.reauthorize().await?;
                        continue 'restart;
                    }
                    Err(e) if retryable(&e) && failures < self.config.page_retries => {
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
                    Err(e) => return Err(e.into()),
                }
            }
            // The stream ended without a last page (only after an error we already handled).
            return Ok(());
        }
    }

    /// Estimates a resource's size when it reports no `pageCount`: a one-record, `full=0` page
    /// whose `last` link names the last page, i.e. the record count.
    async fn probe_total(&self, session: &mut ApiSession, resource: Resource) -> Option<i64> {
        let path = format!("{}?page=0&limit=1", resource.api_path());
        let collection: Collection<serde_json::Value> = session.get_json(&path).await.ok()?;
        let href = collection.last.as_ref()?.href.as_deref()?;
        let url = url::Url::parse(href).ok()?;
        let last: i64 = url
            .query_pairs()
            .find(|(k, _)| k == "page")?
            .1
            .parse()
            .ok()?;
        Some(last + 1)
    }
}

pub(crate) fn order_with_items(
    store_id: Uuid,
    o: &Order,
    names: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> Option<OrderWithItems> {
    let status_name = o.order_status_id().and_then(|id| names.get(id)).cloned();
    let row = res::order_row(store_id, o, status_name, now)?;
    let currency = res::currency_of(o);
    let items = o
        .order_products
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

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Default tuning.
impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            page_limit: shoprenter::client::MAX_PAGE_LIMIT,
            page_retries: 6,
            cursor_overlap: Duration::from_secs(300),
            incremental_interval: Duration::from_secs(300),
            reconcile_interval: Duration::from_secs(24 * 3600),
        }
    }
}
