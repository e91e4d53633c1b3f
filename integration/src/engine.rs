//! [`Engine`]: the one handle the HTTP edge (routes, Leptos server functions) holds.

use std::sync::Arc;
use std::time::Duration;

use secrecy::{SecretBox, SecretString};
use shoprenter::signature::Verifier;
use shoprenter::token::TokenClient;
use shoprenter::UrlTemplate;
use url::Url;
use uuid::Uuid;

use crate::accounts::{Accounts, User};
use crate::crypto::TokenCipher;
use crate::error::{Error, Result};
use crate::install::Installs;
use crate::storage::stores::{self, StoreRecord};
use crate::storage::{Db, SessionStore};
use crate::tokens::TokenVault;

/// Everything the engine needs from configuration.
pub struct EngineSettings {
    pub app_id: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// Accepted for signature checks during a secret rotation.
    pub client_secret_previous: Option<SecretString>,
    pub token_url: UrlTemplate,
    pub api_url: UrlTemplate,
    /// The shop admin's app page, with `{shopname}` and `{app_id}`.
    pub admin_url: UrlTemplate,
    pub hmac_max_age: Duration,
    pub hmac_max_future: Duration,
    pub token_encryption_key: SecretBox<[u8; 32]>,
    /// Requests per second per shop towards the API (reference §4).
    pub rate_limit_per_sec: u32,
    /// Our public base URL (webhook callback URLs are built from it).
    pub public_base_url: Url,
    /// How long a validated RedirectUri call waits for its EntryPoint (15 minutes).
    pub pending_install_ttl: Duration,
    /// Sign-in attempts per minute per (client address, e-mail).
    pub sign_in_attempts_per_minute: u32,
    /// Timeout for calls to the platform.
    pub http_timeout: Duration,
}

impl std::fmt::Debug for EngineSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineSettings")
            .field("app_id", &self.app_id)
            .field("client_id", &self.client_id)
            .field("token_url", &self.token_url)
            .field("api_url", &self.api_url)
            .field("admin_url", &self.admin_url)
            .finish_non_exhaustive()
    }
}

/// How long [`Engine::housekeeping`] keeps finished work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Jobs that are done, dead or cancelled.
    pub finished_jobs: chrono::Duration,
    /// Webhook deliveries processed, ignored or kept as malformed (pending ones always stay).
    pub webhook_deliveries: chrono::Duration,
}

/// What one [`Engine::housekeeping`] run deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Used signatures and expired pending installs.
    pub install_records: u64,
    pub jobs: u64,
    pub deliveries: u64,
}

/// The engine: accounts, the install lifecycle, the token vault and storage, shared by every
/// request through an `Arc<Engine>`.
pub struct Engine {
    db: Db,
    accounts: Accounts,
    installs: Installs,
    tokens: TokenVault,
    sessions: SessionStore,
    http: reqwest::Client,
    api_url: UrlTemplate,
    rate_limit_per_sec: u32,
    public_base_url: Url,
    app_id: String,
    client_id: String,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("db", &self.db.kind())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Builds the engine on a connected, migrated database.
    pub fn new(settings: EngineSettings, db: Db) -> Result<Arc<Self>> {
        let http = reqwest::Client::builder()
            .timeout(settings.http_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Internal(format!("HTTP client: {e}")))?;
        let mut verifier = Verifier::new(settings.client_secret.clone())
            .with_window(settings.hmac_max_age, settings.hmac_max_future);
        if let Some(previous) = settings.client_secret_previous.clone() {
            verifier = verifier.with_previous_secret(previous);
        }
        let token_client = TokenClient::new(
            http.clone(),
            settings.token_url.clone(),
            settings.client_id.clone(),
            settings.client_secret.clone(),
        );
        let tokens = TokenVault::new(
            db.clone(),
            token_client,
            TokenCipher::new(&settings.token_encryption_key),
        );
        let installs = Installs::new(
            db.clone(),
            verifier,
            settings.admin_url.clone(),
            settings.app_id.clone(),
            settings.client_id.clone(),
            settings.pending_install_ttl,
            tokens.clone(),
        );
        Ok(Arc::new(Self {
            accounts: Accounts::new(db.clone(), settings.sign_in_attempts_per_minute),
            sessions: SessionStore::new(&db),
            installs,
            tokens,
            http,
            api_url: settings.api_url,
            rate_limit_per_sec: settings.rate_limit_per_sec,
            public_base_url: settings.public_base_url,
            app_id: settings.app_id,
            client_id: settings.client_id,
            db,
        }))
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    pub fn installs(&self) -> &Installs {
        &self.installs
    }

    pub fn tokens(&self) -> &TokenVault {
        &self.tokens
    }

    /// The `tower-sessions` store the HTTP edge layers in.
    pub fn session_store(&self) -> SessionStore {
        self.sessions.clone()
    }

    /// A client with the configured timeout and no redirect following (for API clients).
    pub fn http_client(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn api_url(&self) -> &UrlTemplate {
        &self.api_url
    }

    pub fn rate_limit_per_sec(&self) -> u32 {
        self.rate_limit_per_sec
    }

    pub fn public_base_url(&self) -> &Url {
        &self.public_base_url
    }

    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The merchant's stores, connected or not.
    pub async fn stores_of(&self, user: &User) -> Result<Vec<StoreRecord>> {
        Ok(stores::list_for_user(&self.db, user.id).await?)
    }

    /// One of the merchant's stores; `StoreNotFound` for someone else's.
    pub async fn store_of(&self, user: &User, store_id: Uuid) -> Result<StoreRecord> {
        stores::find(&self.db, store_id)
            .await?
            .filter(|s| s.user_id == user.id)
            .ok_or(Error::StoreNotFound)
    }

    /// Periodic clean-up: expired sessions, used signatures older than any accepted timestamp
    /// window, pending installs that expired unbound, and finished jobs and webhook deliveries
    /// older than `retention`.
    pub async fn housekeeping(&self, retention: Retention) -> Result<Pruned> {
        use tower_sessions::ExpiredDeletion;
        self.sessions
            .delete_expired()
            .await
            .map_err(|e| Error::Session(e.to_string()))?;
        let now = chrono::Utc::now();
        Ok(Pruned {
            install_records: crate::storage::installs::prune(
                &self.db,
                now - chrono::Duration::days(1),
            )
            .await?,
            jobs: crate::jobs::queue::prune_finished(&self.db, now - retention.finished_jobs)
                .await?,
            deliveries: crate::webhooks::inbox::prune(&self.db, now - retention.webhook_deliveries)
                .await?,
        })
    }

    /// Disconnects one of the merchant's stores (see [`Installs::disconnect`]).
    pub async fn disconnect_store(&self, user: &User, store_id: Uuid) -> Result<bool> {
        self.installs.disconnect(store_id, user).await
    }
}
