//! Wires the engine into the server: [`EngineSettings`] from [`Settings`] (starting the demo
//! simulator when there are no credentials), and the account/install routes with their session
//! and CSRF layers.

use std::time::Duration;

use axum::Router;
use integration::EngineSettings;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use shoprenter::UrlTemplate;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use super::csrf::{self, AllowedOrigins};
use crate::config::{Mode, Settings};
use crate::startup::{AppState, StartupError};

/// A ShopRenter install is bound within this long of its RedirectUri call (sign-up included).
const PENDING_INSTALL_TTL: Duration = Duration::from_secs(15 * 60);
const SIGN_IN_ATTEMPTS_PER_MINUTE: u32 = 5;
const SESSION_INACTIVITY: time::Duration = time::Duration::days(7);

fn template(name: &str, raw: &str) -> Result<UrlTemplate, StartupError> {
    UrlTemplate::new(raw).map_err(|e| StartupError::Config(format!("{name}: {e}")))
}

/// Engine settings for live mode, or for demo mode with a freshly started in-process simulator.
pub async fn engine_settings(
    settings: &Settings,
) -> Result<(EngineSettings, Option<simulator::SimulatorHandle>), StartupError> {
    let key = SecretBox::new(Box::new(*settings.token_encryption_key.expose_secret()));
    let common = |app_id: String,
                  client_id: String,
                  client_secret: SecretString,
                  previous: Option<SecretString>,
                  token_url: UrlTemplate,
                  api_url: UrlTemplate,
                  admin_url: UrlTemplate| EngineSettings {
        app_id,
        client_id,
        client_secret,
        client_secret_previous: previous,
        token_url,
        api_url,
        admin_url,
        hmac_max_age: Duration::from_secs(settings.hmac_max_age_secs),
        hmac_max_future: Duration::from_secs(settings.hmac_max_future_secs),
        token_encryption_key: key,
        rate_limit_per_sec: settings.rate_limit_per_sec,
        public_base_url: settings.backend_url.clone(),
        pending_install_ttl: PENDING_INSTALL_TTL,
        sign_in_attempts_per_minute: SIGN_IN_ATTEMPTS_PER_MINUTE,
        http_timeout: Duration::from_secs(30),
    };
    match (&settings.mode, &settings.templates) {
        (Mode::Live(creds), Some(t)) => Ok((
            common(
                creds.app_id.clone(),
                creds.client_id.clone(),
                creds.client_secret.clone(),
                creds.client_secret_previous.clone(),
                template("SHOPRENTER_TOKEN_URL", &t.token)?,
                template("SHOPRENTER_API_URL", &t.api)?,
                template("SHOPRENTER_ADMIN_URL", &t.admin)?,
            ),
            None,
        )),
        (Mode::Live(_), None) => Err(StartupError::Config(
            "live mode without URL templates".into(),
        )),
        (Mode::Demo, _) => {
            let app = simulator::AppRegistration::shopcall_demo(settings.backend_url.as_str());
            let sim =
                simulator::Simulator::start(simulator::SimulatorConfig::demo(app.clone())).await?;
            tracing::info!(simulator = %sim.base_url(), "demo mode: in-process ShopRenter simulator started");
            let engine = common(
                app.app_id,
                app.client_id,
                SecretString::from(app.client_secret),
                None,
                template("demo token URL", &sim.token_url_template())?,
                template("demo API URL", &sim.api_url_template())?,
                template("demo admin URL", &sim.admin_url_template())?,
            );
            Ok((engine, Some(sim)))
        }
    }
}

/// The cookie-signing key: SESSION_SECRET stretched to the 64 bytes the cookie crate wants.
/// Session ids are already random and server-side; the signature makes a forged or tampered
/// cookie fail before it costs a database lookup.
fn cookie_key(secret: &SecretString) -> tower_sessions::cookie::Key {
    use sha2::{Digest, Sha512};
    let digest = Sha512::digest(secret.expose_secret().as_bytes());
    tower_sessions::cookie::Key::from(digest.as_slice())
}

/// Adds the account and install routes, server-side sessions and CSRF protection around the
/// whole application (Leptos server functions included).
pub fn with_accounts_and_install(app: Router, state: &AppState, settings: &Settings) -> Router {
    let secure = settings.frontend_url.scheme() == "https";
    let sessions = SessionManagerLayer::new(state.engine.session_store())
        .with_name("shopcall_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(SESSION_INACTIVITY))
        .with_signed(cookie_key(&settings.session_secret));
    let origins = AllowedOrigins::new(&[&settings.frontend_url, &settings.backend_url]);
    Router::new()
        .merge(super::auth::router())
        .merge(super::install::router())
        .with_state(state.clone())
        .merge(app)
        .layer(axum::middleware::from_fn_with_state(origins, csrf::protect))
        .layer(sessions)
}

/// Runs [`Engine::housekeeping`](integration::Engine::housekeeping) every hour.
pub fn spawn_housekeeping(
    engine: std::sync::Arc<integration::Engine>,
    retention: integration::Retention,
) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every.tick().await;
            match engine.housekeeping(retention).await {
                Ok(pruned) if pruned == integration::Pruned::default() => {
                    tracing::debug!("housekeeping: nothing to delete")
                }
                Ok(pruned) => tracing::info!(
                    install_records = pruned.install_records,
                    jobs = pruned.jobs,
                    deliveries = pruned.deliveries,
                    "housekeeping deleted expired records"
                ),
                Err(error) => tracing::warn!(%error, "housekeeping failed"),
            }
        }
    });
}
