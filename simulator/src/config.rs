//! Configuration: which apps are registered, which shops exist and how the platform misbehaves.

use serde::{Deserialize, Serialize};

/// Scopes our app asks for (design.md "Scopes"), granted by default to demo registrations.
pub const DEFAULT_SCOPES: &[&str] = &[
    "product.product:read",
    "product.category:read",
    "customer.customer:read",
    "order.order:read",
    "order.status:read",
    "store.webhook:read",
    "store.webhook:write",
];

/// One app as Partner Support would register it (reference §1 "Registration").
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppRegistration {
    /// The AppId that appears in the admin URL `/admin/app/{app_id}`.
    pub app_id: String,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    pub entry_point: String,
    pub uninstall_uri: String,
    pub scopes: Vec<String>,
}

impl AppRegistration {
    /// A registration pointing at ShopCall's own routes under `backend_url` (design.md steps 2, 3, 5),
    /// with fixed demo credentials and [`DEFAULT_SCOPES`].
    pub fn shopcall_demo(backend_url: &str) -> Self {
        let base = backend_url.trim_end_matches('/');
        Self {
            app_id: "55".into(),
            client_id: "5f1c0dd2a9b84c6e8e3b3f2d6c1a9e70".into(),
            client_secret: "demo-secret-6b9f0c4e2a7d41f8b3e5c9a1d0f2e4b6".into(),
            redirect_uri: format!("{base}/auth/shoprenter/callback"),
            entry_point: format!("{base}/integrations/shoprenter/entry"),
            uninstall_uri: format!("{base}/webhooks/shoprenter/uninstall"),
            scopes: DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// A shop and the size of its deterministic seed data.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ShopSeed {
    /// The shop name (`pelda` for `pelda.myshoprenter.hu`).
    pub name: String,
    pub seed: u64,
    pub products: u32,
    pub customers: u32,
    pub orders: u32,
    pub categories: u32,
}

impl ShopSeed {
    /// A shop with `n` products, customers and orders and a handful of categories.
    pub fn sized(name: &str, seed: u64, n: u32) -> Self {
        Self {
            name: name.into(),
            seed,
            products: n,
            customers: n,
            orders: n,
            categories: n.clamp(1, 40),
        }
    }
}

/// Which message the install/entry/uninstall HMAC is computed over. ShopRenter's docs and its demo
/// apps disagree (reference §1 "HMAC"), so clients must accept both; the simulator signs one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HmacOrder {
    /// `code=..&shopname=..&timestamp=..` (the documentation's alphabetical example).
    #[default]
    Docs,
    /// `shopname=..&code=..&timestamp=..` (all three official demo apps).
    DemoApp,
}

/// Fractions (0.0..=1.0) of API requests / webhook deliveries that misbehave, drawn from a seeded RNG
/// so a test run is repeatable.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    pub error_5xx: f64,
    pub error_429: f64,
    pub slow: f64,
    pub timeout: f64,
    pub malformed_json: f64,
    pub drop_webhook: f64,
    /// Seed of the fault RNG; setting faults re-seeds it.
    pub seed: u64,
    /// Extra latency of a "slow" response.
    pub slow_ms: u64,
    /// How long a "timeout" request hangs before it finally answers 504.
    pub timeout_ms: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            error_5xx: 0.0,
            error_429: 0.0,
            slow: 0.0,
            timeout: 0.0,
            malformed_json: 0.0,
            drop_webhook: 0.0,
            seed: 42,
            slow_ms: 1_500,
            timeout_ms: 30_000,
        }
    }
}

/// Everything the simulator needs to start.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SimulatorConfig {
    pub apps: Vec<AppRegistration>,
    pub shops: Vec<ShopSeed>,
    /// Requests per second per (app, shop); 0 disables the limit. ShopRenter: 3 (reference §4).
    pub rate_limit_per_sec: u32,
    /// `expires_in` of issued tokens (the documented example says 3600).
    pub token_lifetime_secs: u64,
    pub hmac_order: HmacOrder,
    /// The simulator's own external URL when it is mounted under a prefix of another server
    /// (demo mode); `None` means "the address it bound to" (or the request's Host header).
    pub public_base_url: Option<String>,
    /// Delay before each webhook delivery.
    pub webhook_delay_ms: u64,
    pub faults: Faults,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        Self {
            apps: Vec::new(),
            shops: Vec::new(),
            rate_limit_per_sec: 3,
            token_lifetime_secs: 3600,
            hmac_order: HmacOrder::Docs,
            public_base_url: None,
            webhook_delay_ms: 0,
            faults: Faults::default(),
        }
    }
}

impl SimulatorConfig {
    /// Demo mode: one shop `demo-shop` with a few hundred records and the given app.
    pub fn demo(app: AppRegistration) -> Self {
        Self {
            apps: vec![app],
            shops: vec![ShopSeed {
                name: DEMO_SHOP.into(),
                seed: 2024,
                products: 300,
                customers: 200,
                orders: 300,
                categories: 24,
            }],
            ..Self::default()
        }
    }
}

/// Name of the shop [`SimulatorConfig::demo`] creates.
pub const DEMO_SHOP: &str = "demo-shop";
