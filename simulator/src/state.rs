//! Shared simulator state: shops, installs, tokens, rate limiting, faults and the records tests read.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::config::{AppRegistration, Faults, SimulatorConfig};
use crate::model::{
    Category, CategoryInput, Customer, CustomerInput, Order, OrderInput, Product, ProductInput,
    Shop, WebHook,
};
use crate::SimError;

/// Locks a std mutex, ignoring poisoning: a panicking test must not wedge the simulator.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Debug, Clone)]
pub(crate) struct TokenInfo {
    pub client_id: String,
    pub shop: String,
    pub scopes: Vec<String>,
    pub expires_at: i64,
}

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct InstallState {
    pub installed: bool,
    /// Set by install: the next visit of `app_url` opens the EntryPoint even without extra params.
    pub pending_open: bool,
}

/// Per (app, shop): the requests accepted and the requests that arrived in the last second.
#[derive(Debug, Default)]
struct Window {
    accepted: VecDeque<Instant>,
    arrivals: VecDeque<Instant>,
    /// The latest `limit` arrivals, however old.
    latest: VecDeque<Instant>,
}

/// Counters per shop (summed over apps; the max is taken per app-shop pair).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ShopStats {
    pub api_requests: u64,
    pub token_requests: u64,
    /// 429s sent because the rate limit was really exceeded (injected 429s are counted in `faults`).
    pub rate_limited_429: u64,
    /// Most requests that arrived within any one-second window from one app.
    pub max_requests_per_sec: u32,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct FaultCounts {
    pub error_5xx: u64,
    pub error_429: u64,
    pub slow: u64,
    pub timeout: u64,
    pub malformed_json: u64,
    pub dropped_webhooks: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Stats {
    pub api_requests: u64,
    pub token_requests: u64,
    pub tokens_issued: u64,
    pub rate_limited_429: u64,
    pub max_requests_per_sec: u32,
    /// The shortest time in which one app sent one shop one request more than the limit allows
    /// per second, in ms: how close a client came to the limit (≥ 1000 means it kept it).
    #[serde(default)]
    pub tightest_over_limit_ms: Option<f64>,
    /// The longest pause between two requests of one app to one shop, in ms, while the shop has
    /// a rate limit: a client stalled somewhere shows here as a gap well over `1000 / limit`.
    #[serde(default)]
    pub longest_gap_ms: Option<f64>,
    pub webhook_deliveries: u64,
    pub uninstall_calls: u64,
    /// Records of full JSON pages served from their cached rendering (see `prerender`).
    #[serde(default)]
    pub records_from_render_cache: u64,
    pub faults: FaultCounts,
    pub shops: BTreeMap<String, ShopStats>,
}

/// One webhook delivery attempt (or a delivery dropped by fault injection).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WebhookDelivery {
    pub shop: String,
    pub event: String,
    pub webhook_inner_id: u32,
    pub url: String,
    pub order_inner_id: u32,
    /// The JSON sent in the `data` field.
    pub data: String,
    /// Receiver's HTTP status; `None` when dropped or the request failed.
    pub status: Option<u16>,
    pub error: Option<String>,
    pub dropped: bool,
    pub latency_ms: u64,
}

/// One server-side call of an app's UninstallUri.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UninstallCall {
    pub shop: String,
    pub app_id: String,
    pub url: String,
    pub status: Option<u16>,
    pub error: Option<String>,
}

/// A fault chosen for one API request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    Error5xx,
    Error429,
    Slow,
    Timeout,
    MalformedJson,
}

struct FaultRng {
    faults: Faults,
    rng: StdRng,
}

pub struct SimState {
    pub(crate) config: SimulatorConfig,
    base_url: RwLock<Option<String>>,
    shops: HashMap<String, Mutex<Shop>>,
    installs: Mutex<HashMap<(String, String), InstallState>>,
    pub(crate) tokens: Mutex<HashMap<String, TokenInfo>>,
    rate_limit: Mutex<u32>,
    windows: Mutex<HashMap<(String, String), Window>>,
    faults: Mutex<FaultRng>,
    pub(crate) stats: Mutex<Stats>,
    pub(crate) deliveries: Mutex<Vec<WebhookDelivery>>,
    pub(crate) delivery_notify: Notify,
    pub(crate) uninstall_calls: Mutex<Vec<UninstallCall>>,
    pub(crate) http: reqwest::Client,
}

impl SimState {
    /// Builds the state; generated records cost nothing until read.
    pub fn new(config: SimulatorConfig) -> Result<Arc<Self>, SimError> {
        let mut shops = HashMap::new();
        for seed in &config.shops {
            if seed.name.is_empty() || shops.contains_key(&seed.name) {
                return Err(SimError::Invalid(format!(
                    "bad or duplicate shop name {:?}",
                    seed.name
                )));
            }
            shops.insert(seed.name.clone(), Mutex::new(Shop::seeded(seed)));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| SimError::Invalid(format!("http client: {e}")))?;
        let faults = FaultRng {
            rng: StdRng::seed_from_u64(config.faults.seed),
            faults: config.faults.clone(),
        };
        Ok(Arc::new(Self {
            base_url: RwLock::new(
                config
                    .public_base_url
                    .clone()
                    .map(|u| u.trim_end_matches('/').to_string()),
            ),
            rate_limit: Mutex::new(config.rate_limit_per_sec),
            config,
            shops,
            installs: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            windows: Mutex::new(HashMap::new()),
            faults: Mutex::new(faults),
            stats: Mutex::new(Stats::default()),
            deliveries: Mutex::new(Vec::new()),
            delivery_notify: Notify::new(),
            uninstall_calls: Mutex::new(Vec::new()),
            http,
        }))
    }

    pub(crate) fn set_base_url(&self, url: String) {
        let mut base = self.base_url.write().unwrap_or_else(|e| e.into_inner());
        if base.is_none() {
            *base = Some(url);
        }
    }

    /// The simulator's external base URL (`public_base_url`, else the bound address).
    pub fn base_url(&self) -> String {
        self.base_url
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_else(|| "http://localhost".into())
    }

    /// Base URL for links in a response: configured/bound URL, else the request's Host (router
    /// mounted by another server without `public_base_url`).
    pub(crate) fn base_for(&self, host: Option<&str>) -> String {
        if let Some(b) = self
            .base_url
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return b;
        }
        host.map(|h| format!("http://{h}"))
            .unwrap_or_else(|| self.base_url())
    }

    pub fn shop_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.shops.keys().cloned().collect();
        names.sort();
        names
    }

    pub(crate) fn shop(&self, name: &str) -> Result<MutexGuard<'_, Shop>, SimError> {
        self.shops
            .get(name)
            .map(lock)
            .ok_or_else(|| SimError::UnknownShop(name.to_string()))
    }

    pub(crate) fn check_shop(&self, name: &str) -> Result<(), SimError> {
        if self.shops.contains_key(name) {
            Ok(())
        } else {
            Err(SimError::UnknownShop(name.to_string()))
        }
    }

    pub fn app(&self, app_id: &str) -> Result<&AppRegistration, SimError> {
        self.config
            .apps
            .iter()
            .find(|a| a.app_id == app_id)
            .ok_or_else(|| SimError::UnknownApp(app_id.to_string()))
    }

    pub(crate) fn app_by_client(&self, client_id: &str) -> Option<&AppRegistration> {
        self.config.apps.iter().find(|a| a.client_id == client_id)
    }

    pub(crate) fn install_state(&self, shop: &str, app_id: &str) -> InstallState {
        lock(&self.installs)
            .get(&(shop.to_string(), app_id.to_string()))
            .copied()
            .unwrap_or_default()
    }

    pub(crate) fn set_install_state(&self, shop: &str, app_id: &str, state: InstallState) {
        lock(&self.installs).insert((shop.to_string(), app_id.to_string()), state);
    }

    pub fn is_installed(&self, shop: &str, app_id: &str) -> bool {
        self.install_state(shop, app_id).installed
    }

    // ---- rate limit and faults -------------------------------------------------------------

    pub fn set_rate_limit(&self, per_sec: u32) {
        *lock(&self.rate_limit) = per_sec;
    }

    pub fn rate_limit(&self) -> u32 {
        *lock(&self.rate_limit)
    }

    /// Records an API request of `client_id` on `shop` and says whether the limit lets it through.
    /// A strict sliding one-second window: at most `limit` accepted requests in any second
    /// (ShopRenter does not document its algorithm or burst; reference §4).
    pub(crate) fn admit(&self, client_id: &str, shop: &str) -> bool {
        let limit = self.rate_limit();
        let second = Duration::from_secs(1);
        let mut windows = lock(&self.windows);
        // Read the clock under the lock, so each window's times are in order.
        let now = Instant::now();
        let w = windows
            .entry((client_id.to_string(), shop.to_string()))
            .or_default();
        while w
            .arrivals
            .front()
            .is_some_and(|t| now.duration_since(*t) >= second)
        {
            w.arrivals.pop_front();
        }
        while w
            .accepted
            .front()
            .is_some_and(|t| now.duration_since(*t) >= second)
        {
            w.accepted.pop_front();
        }
        w.arrivals.push_back(now);
        let observed = w.arrivals.len() as u32;
        let limit_n = limit as usize;
        let span = (limit > 0 && w.latest.len() == limit_n)
            .then(|| now.duration_since(w.latest[0]).as_secs_f64() * 1000.0);
        let gap = w
            .latest
            .back()
            .map(|t| now.duration_since(*t).as_secs_f64() * 1000.0);
        w.latest.push_back(now);
        while w.latest.len() > limit_n {
            w.latest.pop_front();
        }
        let allowed = limit == 0 || (w.accepted.len() as u32) < limit;
        if allowed {
            w.accepted.push_back(now);
        }
        drop(windows);
        let mut stats = lock(&self.stats);
        stats.api_requests += 1;
        stats.max_requests_per_sec = stats.max_requests_per_sec.max(observed);
        if let Some(span) = span {
            stats.tightest_over_limit_ms =
                Some(stats.tightest_over_limit_ms.map_or(span, |t| t.min(span)));
        }
        if let Some(gap) = gap {
            stats.longest_gap_ms = Some(stats.longest_gap_ms.map_or(gap, |g| g.max(gap)));
        }
        if !allowed {
            stats.rate_limited_429 += 1;
        }
        let s = stats.shops.entry(shop.to_string()).or_default();
        s.api_requests += 1;
        s.max_requests_per_sec = s.max_requests_per_sec.max(observed);
        if !allowed {
            s.rate_limited_429 += 1;
        }
        allowed
    }

    /// Replaces the fault mix and re-seeds its RNG, so the same test sees the same faults.
    pub fn set_faults(&self, faults: Faults) {
        let mut f = lock(&self.faults);
        f.rng = StdRng::seed_from_u64(faults.seed);
        f.faults = faults;
    }

    pub fn faults(&self) -> Faults {
        lock(&self.faults).faults.clone()
    }

    pub(crate) fn roll_api_fault(&self) -> Option<(Fault, Faults)> {
        let mut f = lock(&self.faults);
        let cfg = f.faults.clone();
        let total = cfg.error_5xx + cfg.error_429 + cfg.slow + cfg.timeout + cfg.malformed_json;
        if total <= 0.0 {
            return None;
        }
        let r: f64 = f.rng.gen();
        drop(f);
        let mut edge = 0.0;
        let mut chosen = None;
        for (p, fault) in [
            (cfg.error_5xx, Fault::Error5xx),
            (cfg.error_429, Fault::Error429),
            (cfg.slow, Fault::Slow),
            (cfg.timeout, Fault::Timeout),
            (cfg.malformed_json, Fault::MalformedJson),
        ] {
            edge += p;
            if r < edge {
                chosen = Some(fault);
                break;
            }
        }
        let fault = chosen?;
        let mut stats = lock(&self.stats);
        let c = &mut stats.faults;
        match fault {
            Fault::Error5xx => c.error_5xx += 1,
            Fault::Error429 => c.error_429 += 1,
            Fault::Slow => c.slow += 1,
            Fault::Timeout => c.timeout += 1,
            Fault::MalformedJson => c.malformed_json += 1,
        }
        Some((fault, cfg))
    }

    pub(crate) fn roll_drop_webhook(&self) -> bool {
        let mut f = lock(&self.faults);
        let p = f.faults.drop_webhook;
        p > 0.0 && f.rng.gen::<f64>() < p
    }

    // ---- observations ----------------------------------------------------------------------

    pub fn stats(&self) -> Stats {
        lock(&self.stats).clone()
    }

    /// Zeroes counters and the observed-rate windows (records and installs stay).
    pub fn reset_stats(&self) {
        *lock(&self.stats) = Stats::default();
        lock(&self.windows).clear();
    }

    pub fn deliveries(&self) -> Vec<WebhookDelivery> {
        lock(&self.deliveries).clone()
    }

    /// Waits until at least `n` deliveries (including dropped ones) are recorded, or the timeout.
    pub async fn wait_for_deliveries(&self, n: usize, timeout: Duration) -> Vec<WebhookDelivery> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.delivery_notify.notified();
            let current = self.deliveries();
            if current.len() >= n {
                return current;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.deliveries();
            }
        }
    }

    pub fn uninstall_calls(&self) -> Vec<UninstallCall> {
        lock(&self.uninstall_calls).clone()
    }

    /// Makes every token of `shop` expired, to test re-acquisition after a 401.
    pub fn expire_tokens(&self, shop: &str) {
        for t in lock(&self.tokens).values_mut().filter(|t| t.shop == shop) {
            t.expires_at = 0;
        }
    }

    pub(crate) fn revoke_tokens(&self, shop: &str, client_id: &str) {
        lock(&self.tokens).retain(|_, t| !(t.shop == shop && t.client_id == client_id));
    }

    // ---- records ---------------------------------------------------------------------------

    pub fn product(&self, shop: &str, inner_id: u32) -> Result<Option<Product>, SimError> {
        Ok(self.shop(shop)?.product(inner_id))
    }
    pub fn category(&self, shop: &str, inner_id: u32) -> Result<Option<Category>, SimError> {
        Ok(self.shop(shop)?.category(inner_id))
    }
    pub fn customer(&self, shop: &str, inner_id: u32) -> Result<Option<Customer>, SimError> {
        Ok(self.shop(shop)?.customer(inner_id))
    }
    pub fn order(&self, shop: &str, inner_id: u32) -> Result<Option<Order>, SimError> {
        Ok(self.shop(shop)?.order(inner_id))
    }
    pub fn webhooks(&self, shop: &str) -> Result<Vec<WebHook>, SimError> {
        Ok(self.shop(shop)?.webhooks.values().cloned().collect())
    }
    /// Number of live records per resource: (products, categories, customers, orders).
    pub fn counts(&self, shop: &str) -> Result<(usize, usize, usize, usize), SimError> {
        let s = self.shop(shop)?;
        Ok((
            s.products.ids().len(),
            s.categories.ids().len(),
            s.customers.ids().len(),
            s.orders.ids().len(),
        ))
    }

    pub fn create_product(&self, shop: &str, input: ProductInput) -> Result<Product, SimError> {
        self.shop(shop)?.upsert_product(None, input)
    }
    pub fn update_product(
        &self,
        shop: &str,
        inner_id: u32,
        input: ProductInput,
    ) -> Result<Product, SimError> {
        self.shop(shop)?.upsert_product(Some(inner_id), input)
    }
    pub fn delete_product(&self, shop: &str, inner_id: u32) -> Result<(), SimError> {
        found(self.shop(shop)?.delete_product(inner_id))
    }
    pub fn create_category(&self, shop: &str, input: CategoryInput) -> Result<Category, SimError> {
        self.shop(shop)?.upsert_category(None, input)
    }
    pub fn update_category(
        &self,
        shop: &str,
        inner_id: u32,
        input: CategoryInput,
    ) -> Result<Category, SimError> {
        self.shop(shop)?.upsert_category(Some(inner_id), input)
    }
    pub fn delete_category(&self, shop: &str, inner_id: u32) -> Result<(), SimError> {
        found(self.shop(shop)?.delete_category(inner_id))
    }
    pub fn create_customer(&self, shop: &str, input: CustomerInput) -> Result<Customer, SimError> {
        self.shop(shop)?.upsert_customer(None, input)
    }
    pub fn update_customer(
        &self,
        shop: &str,
        inner_id: u32,
        input: CustomerInput,
    ) -> Result<Customer, SimError> {
        self.shop(shop)?.upsert_customer(Some(inner_id), input)
    }
    pub fn delete_customer(&self, shop: &str, inner_id: u32) -> Result<(), SimError> {
        found(self.shop(shop)?.delete_customer(inner_id))
    }
    pub fn delete_webhook(&self, shop: &str, inner_id: u32) -> Result<(), SimError> {
        found(self.shop(shop)?.webhooks.remove(&inner_id).is_some())
    }
    pub fn delete_order(&self, shop: &str, inner_id: u32) -> Result<(), SimError> {
        found(self.shop(shop)?.delete_order(inner_id))
    }

    /// Creates an order and fires `order_confirm` webhooks (must run inside a tokio runtime).
    pub fn create_order(
        self: &Arc<Self>,
        shop: &str,
        input: OrderInput,
    ) -> Result<Order, SimError> {
        let order = self.shop(shop)?.create_order(input)?;
        self.fire_order_event(shop, "order_confirm", &order);
        Ok(order)
    }

    /// Changes an order; fires `order_status_change` webhooks when its status moved.
    pub fn update_order(
        self: &Arc<Self>,
        shop: &str,
        inner_id: u32,
        input: OrderInput,
    ) -> Result<Order, SimError> {
        let (order, status_changed) = self.shop(shop)?.update_order(inner_id, input)?;
        if status_changed {
            self.fire_order_event(shop, "order_status_change", &order);
        }
        Ok(order)
    }

    /// Sets an order's status and fires `order_status_change` webhooks (even when unchanged, like
    /// an admin re-saving the status).
    pub fn set_order_status(
        self: &Arc<Self>,
        shop: &str,
        inner_id: u32,
        status_id: u32,
    ) -> Result<Order, SimError> {
        let input = OrderInput {
            status_id: Some(status_id),
            ..OrderInput::default()
        };
        let (order, _) = self.shop(shop)?.update_order(inner_id, input)?;
        self.fire_order_event(shop, "order_status_change", &order);
        Ok(order)
    }
}

fn found(deleted: bool) -> Result<(), SimError> {
    if deleted {
        Ok(())
    } else {
        Err(SimError::NotFound)
    }
}

/// Control-API body for a rate limit change.
#[derive(Debug, Deserialize)]
pub(crate) struct RateLimitBody {
    pub per_sec: u32,
}
