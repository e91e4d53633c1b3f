//! Builds the whole application from [`Settings`]: database, routes, middleware, listener.

use std::time::Duration;

use axum::{
    body::Body,
    extract::{FromRef, MatchedPath, Request, State},
    http::Request as HttpRequest,
    response::IntoResponse,
    routing::post,
    Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use app::api::ServerContext;
use integration::{Db, Engine};

use crate::config::Settings;

/// Shared state for every route.
#[derive(Clone)]
pub struct AppState {
    /// Behind an `Arc`: every request's `State` extractor clones the state, and the options are
    /// a dozen strings (~1.4 % of the install-callback benchmark's CPU went to cloning and
    /// dropping them).
    pub leptos_options: std::sync::Arc<LeptosOptions>,
    pub db: Db,
    pub demo_mode: bool,
    pub engine: std::sync::Arc<Engine>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        (*state.leptos_options).clone()
    }
}

impl AppState {
    fn server_context(&self) -> ServerContext {
        ServerContext {
            demo_mode: self.demo_mode,
            db: self.db.clone(),
            engine: self.engine.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database: {0}")]
    Database(#[from] integration::StorageError),
    #[error("engine: {0}")]
    Engine(#[from] integration::Error),
    #[error("configuration: {0}")]
    Config(String),
    #[error("demo simulator: {0}")]
    Simulator(#[from] simulator::SimError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    port: u16,
    engine: std::sync::Arc<Engine>,
    /// Job workers, webhook inbox, sync scheduler (stopped after the listener).
    background: integration::jobs::Background,
    /// Demo mode's in-process ShopRenter; stops when the application is dropped.
    _simulator: Option<simulator::SimulatorHandle>,
}

impl Application {
    /// Connects and migrates the database, assembles the routes and binds the listener
    /// (`LEPTOS_SITE_ADDR`; port 0 picks a free port, as the API tests do).
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let listener = TcpListener::bind(settings.site_addr)
            .await
            .map_err(|source| StartupError::Bind {
                addr: settings.site_addr,
                source,
            })?;
        Self::build_on(settings, listener).await
    }

    /// [`Application::build`] on a listener the caller has already bound (`site_addr` is then
    /// not bound again). A caller that must know the port before building (the API tests
    /// register it with the simulator first) keeps the socket open from the start, so nothing
    /// else can take the port in between.
    pub async fn build_on(settings: Settings, listener: TcpListener) -> Result<Self, StartupError> {
        let db = Db::connect(&settings.database_url).await?;
        db.migrate().await?;

        let local_addr = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: settings.site_addr,
            source,
        })?;

        let (engine_settings, simulator) =
            crate::routes::wiring::engine_settings(&settings).await?;
        let engine = Engine::new(engine_settings, db.clone())?;
        let days = |n: u64| chrono::Duration::days(n as i64);
        crate::routes::wiring::spawn_housekeeping(
            engine.clone(),
            integration::Retention {
                finished_jobs: days(settings.background.job_retention_days),
                webhook_deliveries: days(settings.background.webhook_retention_days),
            },
        );
        let leptos_options = leptos_options(local_addr);
        let state = AppState {
            leptos_options: std::sync::Arc::new(leptos_options),
            db,
            demo_mode: settings.demo_mode(),
            engine: engine.clone(),
        };
        log_startup(&settings, local_addr);
        let router = crate::routes::wiring::with_accounts_and_install(
            router(state.clone()),
            &state,
            &settings,
        );
        let background =
            integration::jobs::Background::start(&engine, background_config(&settings.background));
        let router = router.merge(crate::routes::webhooks::router(background.receiver()));
        Ok(Self {
            listener,
            router,
            port: local_addr.port(),
            engine,
            background,
            _simulator: simulator,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The engine this application runs on (tests inspect it).
    pub fn engine(&self) -> std::sync::Arc<Engine> {
        self.engine.clone()
    }

    /// Serves until Ctrl-C or SIGTERM, then stops the background side.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves on a spawned task until [`RunningApplication::stop`] (the API tests and the bench
    /// stop each server this way before dropping its database, so no worker still holds a
    /// connection).
    pub fn spawn(self) -> RunningApplication {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(self.run_until(async {
            let _ = stopped.await;
        }));
        RunningApplication { stop, task }
    }

    /// Serves until `stop` completes, then stops the background side.
    pub async fn run_until(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        // Connection info gives sign-in rate limiting the client's address.
        let service = self
            .router
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        let served = axum::serve(self.listener, service)
            .with_graceful_shutdown(stop)
            .await;
        self.background.shutdown(Duration::from_secs(15)).await;
        served
    }
}

/// An application serving on its own task; see [`Application::spawn`].
pub struct RunningApplication {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Why [`RunningApplication::stop`] did not end cleanly.
#[derive(Debug, thiserror::Error)]
pub enum StopError {
    #[error("did not stop within {0:?}")]
    TimedOut(Duration),
    #[error("its task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("serving failed: {0}")]
    Serve(#[from] std::io::Error),
}

impl RunningApplication {
    /// Stops the listener, then the background workers; waits at most `within`.
    pub async fn stop(self, within: Duration) -> Result<(), StopError> {
        let _ = self.stop.send(());
        tokio::time::timeout(within, self.task)
            .await
            .map_err(|_| StopError::TimedOut(within))???;
        Ok(())
    }
}

fn background_config(
    settings: &crate::config::BackgroundSettings,
) -> integration::jobs::BackgroundConfig {
    use shoprenter::webhooks::WebhookEvent;
    let mut config = integration::jobs::BackgroundConfig::default();
    config.sync.incremental_interval = Duration::from_secs(settings.incremental_interval_secs);
    config.sync.reconcile_interval = Duration::from_secs(settings.reconcile_interval_secs);
    config.workers.concurrency = settings.job_workers as usize;
    config.sync.pages_in_flight = settings.pages_in_flight as usize;
    config.sync.page_writes = settings.page_writes as usize;
    config.run_workers = settings.run_workers;
    if settings.abandoned_cart_webhook {
        config.webhook_events = Some(vec![
            WebhookEvent::OrderConfirm,
            WebhookEvent::OrderStatusChange,
            WebhookEvent::AbandonedCart,
        ]);
    }
    config
}

/// Leptos options from cargo-leptos's environment, with our metadata's values as fallback so
/// tests and a bare `target/release/server` work too.
fn leptos_options(addr: std::net::SocketAddr) -> LeptosOptions {
    // cargo-leptos sets LEPTOS_OUTPUT_NAME at build time (and when serving); a plain
    // `cargo build`/`cargo test` has none, and get_configuration(None) would complain.
    let from_cargo_leptos = option_env!("LEPTOS_OUTPUT_NAME").is_some()
        || std::env::var_os("LEPTOS_OUTPUT_NAME").is_some();
    let mut options = from_cargo_leptos
        .then(|| leptos::config::get_configuration(None).ok())
        .flatten()
        .map(|conf| conf.leptos_options)
        .unwrap_or_else(|| {
            LeptosOptions::builder()
                .output_name("shopcall")
                .site_root(
                    std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into()),
                )
                .site_pkg_dir("pkg")
                .build()
        });
    options.site_addr = addr;
    options
}

fn log_startup(settings: &Settings, addr: std::net::SocketAddr) {
    let urls = settings.registration_urls();
    tracing::info!(
        %addr,
        demo_mode = settings.demo_mode(),
        database = if settings.database_url.starts_with("sqlite:") { "sqlite" } else { "postgres" },
        "ShopCall.ai listening on http://{addr}"
    );
    tracing::info!(
        entry_point = %urls.entry_point,
        redirect_uri = %urls.redirect_uri,
        uninstall_uri = %urls.uninstall_uri,
        "ShopRenter registration URLs (send these to partnersupport@shoprenter.hu)"
    );
}

/// The app's routes, generated once per process.
///
/// Generating them renders the app with a process-wide "suppress resource loads" flag set
/// (leptos_server 0.8.8, `IS_SUPPRESSING_RESOURCE_LOAD`): a resource first polled by a request
/// being served meanwhile, by another `Application` in the same process, parks forever and so
/// does that response (leptos issue #4773). The API tests start many applications in one
/// process and hung that way; doing it once, before any application can serve, rules it out.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(app::App)).clone()
}

fn router(state: AppState) -> Router {
    let routes = route_list();
    let page_state = state.clone();
    let fallback_state = state.clone();
    let shell_options = (*state.leptos_options).clone();
    Router::new()
        .route("/api/{*fn_name}", post(server_fn_handler).get(server_fn_handler))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(page_state.server_context()),
            move || app::shell(shell_options.clone()),
        )
        .merge(crate::routes::health::router())
        .merge(crate::routes::assistant::router(state.db.clone()))
        // The 404 page renders the app too: its header asks who is signed in.
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            move || provide_context(fallback_state.server_context()),
            app::shell,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &HttpRequest<Body>| {
                    let path = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map(|p| p.as_str().to_owned())
                        .unwrap_or_else(|| "unmatched".into());
                    tracing::info_span!("request", method = %req.method(), path = %path, status = tracing::field::Empty, latency_ms = tracing::field::Empty)
                })
                .on_response(|res: &axum::http::Response<Body>, latency: Duration, span: &tracing::Span| {
                    span.record("status", res.status().as_u16());
                    span.record("latency_ms", latency.as_secs_f64() * 1000.0);
                    tracing::info!("response");
                }),
        )
        .with_state(state)
}

async fn server_fn_handler(State(state): State<AppState>, req: Request<Body>) -> impl IntoResponse {
    handle_server_fns_with_context(move || provide_context(state.server_context()), req).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
