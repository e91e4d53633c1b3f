//! A fake ShopRenter platform for tests, benchmarks and demo mode: OAuth token endpoint, API2
//! resources, the 3 requests/s limit, signed install/entry/uninstall redirects, multipart order
//! webhooks and fault injection. It follows `shared/reference/shoprenter-protocol.md` and is
//! deliberately independent of our `shoprenter` crate, so it can catch that crate's mistakes.

#![recursion_limit = "256"]

mod admin;
mod api;
pub mod config;
mod control;
mod gen;
pub mod model;
mod oauth;
mod render;
mod resources;
pub mod state;
mod webhooks;
mod writes;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::HeaderMap;
use axum::routing::{any, get, post};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use admin::{hmac_message, sign};
pub use api::{DEFAULT_LIMIT, MAX_LIMIT};
pub use config::{
    AppRegistration, Faults, HmacOrder, ShopSeed, SimulatorConfig, DEFAULT_SCOPES, DEMO_SHOP,
};
pub use model::{
    Category, CategoryInput, Customer, CustomerInput, Order, OrderInput, OrderItemInput, Product,
    ProductInput, WebHook, ORDER_STATUSES,
};
pub use state::{FaultCounts, ShopStats, SimState, Stats, UninstallCall, WebhookDelivery};
pub use webhooks::order_payload;

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("unknown shop {0}")]
    UnknownShop(String),
    #[error("unknown app {0}")]
    UnknownApp(String),
    #[error("app {app} is not installed in {shop}")]
    NotInstalled { shop: String, app: String },
    #[error("record not found")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = SimError> = std::result::Result<T, E>;

pub(crate) fn host_of(headers: &HeaderMap) -> Option<&str> {
    headers.get(axum::http::header::HOST)?.to_str().ok()
}

/// All simulator routes, for mounting (demo mode nests it under a prefix and sets
/// `public_base_url` to that prefix's external URL).
pub fn router(state: Arc<SimState>) -> Router {
    Router::new()
        .route("/", get(admin::index))
        .nest("/_control", control::router())
        .route("/{shop}/app/token", post(oauth::token))
        .route("/{shop}/api/{resource}", any(api::collection))
        .route("/{shop}/api/{resource}/{id}", any(api::item))
        .route("/{shop}/admin/app/{app_id}", get(admin::admin_app))
        .route("/{shop}/admin/app/{app_id}/open", get(admin::open_app))
        .route(
            "/{shop}/admin/app/{app_id}/install",
            post(admin::install_app),
        )
        .route(
            "/{shop}/admin/app/{app_id}/uninstall",
            post(admin::uninstall_app),
        )
        .with_state(state)
}

/// Starts simulators.
pub struct Simulator;

impl Simulator {
    /// Seeds the shops and serves on `127.0.0.1:0` in this process.
    pub async fn start(config: SimulatorConfig) -> Result<SimulatorHandle> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Like [`Simulator::start`] on a chosen address (the binary uses a fixed port).
    pub async fn start_on(config: SimulatorConfig, addr: SocketAddr) -> Result<SimulatorHandle> {
        let state = SimState::new(config)?;
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        state.set_base_url(format!("http://{addr}"));
        let app = router(Arc::clone(&state));
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = rx.await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(error = %e, "simulator server stopped");
            }
        });
        Ok(SimulatorHandle {
            addr,
            state,
            shutdown: Some(tx),
            task: Some(task),
        })
    }
}

/// A running simulator; dropping it stops the server too.
pub struct SimulatorHandle {
    addr: SocketAddr,
    state: Arc<SimState>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl SimulatorHandle {
    /// The external base URL (`public_base_url` if configured, else `http://127.0.0.1:<port>`).
    pub fn base_url(&self) -> String {
        self.state.base_url()
    }
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn state(&self) -> Arc<SimState> {
        Arc::clone(&self.state)
    }
    /// `{base}/{shopname}/app/token`
    pub fn token_url_template(&self) -> String {
        format!("{}/{{shopname}}/app/token", self.base_url())
    }
    /// `{base}/{shopname}/api`
    pub fn api_url_template(&self) -> String {
        format!("{}/{{shopname}}/api", self.base_url())
    }
    /// `{base}/{shopname}/admin/app/{app_id}`
    pub fn admin_url_template(&self) -> String {
        format!("{}/{{shopname}}/admin/app/{{app_id}}", self.base_url())
    }
    /// Stops accepting connections and waits for open requests to finish (a hanging "timeout"
    /// fault keeps its connection until it answers).
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimulatorHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
