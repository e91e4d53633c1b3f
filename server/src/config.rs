//! Typed settings read once at start-up from the environment (and an optional `.env`).
//!
//! Every variable is documented in `.env.example`. A bad value stops start-up with an error that
//! names the variable; secrets are wrapped in `secrecy` types so they never reach a log or `Debug`.

use std::net::SocketAddr;

use secrecy::{ExposeSecret, SecretBox, SecretString};
use url::Url;

/// Paths ShopRenter calls on us; registered with ShopRenter Partner Support (reference §1).
pub const ENTRY_PATH: &str = "/integrations/shoprenter/entry";
pub const CALLBACK_PATH: &str = "/auth/shoprenter/callback";
pub const UNINSTALL_PATH: &str = "/webhooks/shoprenter/uninstall";

/// Real-platform defaults (reference §2 and §3); every one can be overridden.
pub const DEFAULT_TOKEN_URL: &str = "https://oauth.app.shoprenter.net/{shopname}/app/token";
pub const DEFAULT_API_URL: &str = "https://{shopname}.api2.myshoprenter.hu/api";
pub const DEFAULT_ADMIN_URL: &str = "https://{shopname}.myshoprenter.hu/admin/app/{app_id}";

/// A start-up configuration problem, naming the variable at fault.
#[derive(Debug, thiserror::Error)]
#[error("configuration error in {variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl ConfigError {
    fn new(variable: &'static str, problem: impl Into<String>) -> Self {
        Self {
            variable,
            problem: problem.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// The app's credentials with ShopRenter, issued by Partner Support.
#[derive(Debug)]
pub struct Credentials {
    pub app_id: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// Accepted for signature checks during a secret rotation.
    pub client_secret_previous: Option<SecretString>,
}

/// Whether we talk to the real platform or to the built-in simulator.
#[derive(Debug)]
pub enum Mode {
    Live(Credentials),
    /// No credentials configured: the simulator runs in-process and every URL template points at it.
    Demo,
}

/// URL templates with `{shopname}` (and `{app_id}` for the admin URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlTemplates {
    pub token: String,
    pub api: String,
    pub admin: String,
}

/// Background work: sync cadence and job workers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackgroundSettings {
    /// Seconds between incremental syncs of a store (`updatedAfter` polling; reference §5: the
    /// platform has no product or customer webhooks).
    pub incremental_interval_secs: u64,
    /// Seconds between full reconciliations (deletions and drift).
    pub reconcile_interval_secs: u64,
    pub job_workers: u64,
    /// Page requests one listing keeps outstanding during a sync.
    pub pages_in_flight: u64,
    /// Page transactions one listing keeps open at once (PostgreSQL only).
    pub page_writes: u64,
    /// False for a receive-only instance (accepts webhooks, runs no workers).
    pub run_workers: bool,
    /// Also register the `abandoned_cart` webhook (the shop must have it enabled).
    pub abandoned_cart_webhook: bool,
    /// Days a finished (done, dead or cancelled) job is kept.
    pub job_retention_days: u64,
    /// Days a finished webhook delivery is kept (an order's page lists status changes from them).
    pub webhook_retention_days: u64,
}

#[derive(Debug)]
pub struct Settings {
    pub site_addr: SocketAddr,
    pub database_url: String,
    pub frontend_url: Url,
    pub backend_url: Url,
    pub mode: Mode,
    /// `None` in demo mode until start-up points them at the simulator.
    pub templates: Option<UrlTemplates>,
    pub token_encryption_key: SecretBox<[u8; 32]>,
    pub session_secret: SecretString,
    pub hmac_max_age_secs: u64,
    pub hmac_max_future_secs: u64,
    pub rate_limit_per_sec: u32,
    pub log_format: LogFormat,
    pub background: BackgroundSettings,
}

/// The three URLs to send to ShopRenter Partner Support when registering the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationUrls {
    pub entry_point: String,
    pub redirect_uri: String,
    pub uninstall_uri: String,
}

impl Settings {
    pub fn demo_mode(&self) -> bool {
        matches!(self.mode, Mode::Demo)
    }

    pub fn registration_urls(&self) -> RegistrationUrls {
        RegistrationUrls {
            entry_point: join(&self.frontend_url, ENTRY_PATH),
            redirect_uri: join(&self.backend_url, CALLBACK_PATH),
            uninstall_uri: join(&self.backend_url, UNINSTALL_PATH),
        }
    }

    /// Reads the process environment, after loading `.env` if one exists.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is a configuration error.
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(ConfigError::new(".env", e.to_string())),
        }
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Builds settings from any variable source; `from_env` passes the process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let site_addr: SocketAddr = get("LEPTOS_SITE_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .map_err(|_| {
                ConfigError::new(
                    "LEPTOS_SITE_ADDR",
                    "expected host:port, e.g. 127.0.0.1:3000",
                )
            })?;
        let database_url =
            get("DATABASE_URL").unwrap_or_else(|| "sqlite://data/shopcall.db".into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::new(
                "DATABASE_URL",
                "expected sqlite:… or postgres://…",
            ));
        }
        let frontend_url = match get("FRONTEND_URL") {
            Some(v) => parse_base_url("FRONTEND_URL", &v)?,
            None => parse_base_url("LEPTOS_SITE_ADDR", &format!("http://{site_addr}"))?,
        };
        let backend_url = match get("BACKEND_URL") {
            Some(v) => parse_base_url("BACKEND_URL", &v)?,
            None => frontend_url.clone(),
        };

        let demo = match get("DEMO_MODE")
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("auto") => get("SHOPRENTER_CLIENT_ID").is_none(),
            Some("1" | "true" | "yes") => true,
            Some("0" | "false" | "no") => false,
            Some(_) => {
                return Err(ConfigError::new(
                    "DEMO_MODE",
                    "expected auto, true or false",
                ))
            }
        };
        let mode = if demo {
            Mode::Demo
        } else {
            let required = |name: &'static str| {
                get(name).ok_or_else(|| ConfigError::new(name, "required unless DEMO_MODE is on"))
            };
            Mode::Live(Credentials {
                app_id: required("SHOPRENTER_APP_ID")?,
                client_id: required("SHOPRENTER_CLIENT_ID")?,
                client_secret: SecretString::from(required("SHOPRENTER_CLIENT_SECRET")?),
                client_secret_previous: get("SHOPRENTER_CLIENT_SECRET_PREVIOUS")
                    .map(SecretString::from),
            })
        };

        let templates = if demo {
            None
        } else {
            Some(UrlTemplates {
                token: template(
                    "SHOPRENTER_TOKEN_URL",
                    get("SHOPRENTER_TOKEN_URL"),
                    DEFAULT_TOKEN_URL,
                )?,
                api: template(
                    "SHOPRENTER_API_URL",
                    get("SHOPRENTER_API_URL"),
                    DEFAULT_API_URL,
                )?,
                admin: template(
                    "SHOPRENTER_ADMIN_URL",
                    get("SHOPRENTER_ADMIN_URL"),
                    DEFAULT_ADMIN_URL,
                )?,
            })
        };

        let token_encryption_key = match get("TOKEN_ENCRYPTION_KEY") {
            Some(v) => parse_key("TOKEN_ENCRYPTION_KEY", &v)?,
            // Demo tokens come from the simulator and are re-acquired after a restart.
            None if demo => random_key(),
            None => {
                return Err(ConfigError::new(
                    "TOKEN_ENCRYPTION_KEY",
                    "required: 32 bytes as 64 hex characters",
                ))
            }
        };
        let session_secret = match get("SESSION_SECRET") {
            Some(v) if v.len() >= 32 => SecretString::from(v),
            Some(_) => {
                return Err(ConfigError::new(
                    "SESSION_SECRET",
                    "must be at least 32 characters",
                ))
            }
            None if demo => SecretString::from(hex::encode(random_key().expose_secret())),
            None => {
                return Err(ConfigError::new(
                    "SESSION_SECRET",
                    "required: at least 32 random characters",
                ))
            }
        };

        Ok(Settings {
            site_addr,
            database_url,
            frontend_url,
            backend_url,
            mode,
            templates,
            token_encryption_key,
            session_secret,
            hmac_max_age_secs: number(
                "HMAC_MAX_AGE_SECS",
                get("HMAC_MAX_AGE_SECS"),
                300,
                1..=86_400,
            )?,
            hmac_max_future_secs: number(
                "HMAC_MAX_FUTURE_SECS",
                get("HMAC_MAX_FUTURE_SECS"),
                60,
                0..=3_600,
            )?,
            rate_limit_per_sec: number(
                "SHOPRENTER_RATE_LIMIT_PER_SEC",
                get("SHOPRENTER_RATE_LIMIT_PER_SEC"),
                3,
                1..=1_000,
            )? as u32,
            background: BackgroundSettings {
                incremental_interval_secs: number(
                    "SYNC_INCREMENTAL_INTERVAL_SECS",
                    get("SYNC_INCREMENTAL_INTERVAL_SECS"),
                    300,
                    5..=86_400,
                )?,
                reconcile_interval_secs: number(
                    "SYNC_RECONCILE_INTERVAL_SECS",
                    get("SYNC_RECONCILE_INTERVAL_SECS"),
                    86_400,
                    60..=30 * 86_400,
                )?,
                job_workers: number("JOB_WORKERS", get("JOB_WORKERS"), 4, 1..=64)?,
                pages_in_flight: number(
                    "SYNC_PAGES_IN_FLIGHT",
                    get("SYNC_PAGES_IN_FLIGHT"),
                    3,
                    1..=16,
                )?,
                page_writes: number("SYNC_PAGE_WRITES", get("SYNC_PAGE_WRITES"), 3, 1..=8)?,
                run_workers: flag("BACKGROUND_WORKERS", get("BACKGROUND_WORKERS"), true)?,
                abandoned_cart_webhook: flag(
                    "SHOPRENTER_WEBHOOK_ABANDONED_CART",
                    get("SHOPRENTER_WEBHOOK_ABANDONED_CART"),
                    false,
                )?,
                job_retention_days: number(
                    "JOB_RETENTION_DAYS",
                    get("JOB_RETENTION_DAYS"),
                    30,
                    1..=3_650,
                )?,
                webhook_retention_days: number(
                    "WEBHOOK_RETENTION_DAYS",
                    get("WEBHOOK_RETENTION_DAYS"),
                    90,
                    1..=3_650,
                )?,
            },
            log_format: match get("LOG_FORMAT").as_deref() {
                None | Some("pretty") => LogFormat::Pretty,
                Some("json") => LogFormat::Json,
                Some(_) => return Err(ConfigError::new("LOG_FORMAT", "expected pretty or json")),
            },
        })
    }
}

fn join(base: &Url, path: &str) -> String {
    format!("{}{}", base.as_str().trim_end_matches('/'), path)
}

fn parse_base_url(variable: &'static str, value: &str) -> Result<Url, ConfigError> {
    let url =
        Url::parse(value).map_err(|e| ConfigError::new(variable, format!("not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(ConfigError::new(
            variable,
            "expected an http(s) URL with a host",
        ));
    }
    Ok(url)
}

/// True for hosts that never leave this machine; only they may use plain http.
pub fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Validates a `{shopname}` URL template: https, or http on a loopback host.
pub fn validate_template(variable: &'static str, value: &str) -> Result<String, ConfigError> {
    if !value.contains("{shopname}") {
        return Err(ConfigError::new(variable, "must contain {shopname}"));
    }
    let probe = value
        .replace("{shopname}", "probe")
        .replace("{app_id}", "1");
    let url =
        Url::parse(&probe).map_err(|e| ConfigError::new(variable, format!("not a URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_host(&url) => {}
        _ => {
            return Err(ConfigError::new(
                variable,
                "must be https (http only for 127.0.0.1, localhost or [::1])",
            ))
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::new(variable, "must not contain credentials"));
    }
    Ok(value.trim_end_matches('/').to_string())
}

fn template(
    variable: &'static str,
    value: Option<String>,
    default: &str,
) -> Result<String, ConfigError> {
    validate_template(variable, value.as_deref().unwrap_or(default))
}

fn number(
    variable: &'static str,
    value: Option<String>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    let n = match value {
        None => default,
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map_err(|_| ConfigError::new(variable, "expected a whole number"))?,
    };
    if !range.contains(&n) {
        return Err(ConfigError::new(
            variable,
            format!("must be between {} and {}", range.start(), range.end()),
        ));
    }
    Ok(n)
}

fn flag(variable: &'static str, value: Option<String>, default: bool) -> Result<bool, ConfigError> {
    match value
        .as_deref()
        .map(str::trim)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None => Ok(default),
        Some("1" | "true" | "yes") => Ok(true),
        Some("0" | "false" | "no") => Ok(false),
        Some(_) => Err(ConfigError::new(variable, "expected true or false")),
    }
}

fn parse_key(variable: &'static str, value: &str) -> Result<SecretBox<[u8; 32]>, ConfigError> {
    let bytes = hex::decode(value.trim())
        .map_err(|_| ConfigError::new(variable, "expected 64 hex characters"))?;
    let key: [u8; 32] = bytes
        .try_into()
        .map_err(|_| ConfigError::new(variable, "expected 32 bytes (64 hex characters)"))?;
    Ok(SecretBox::new(Box::new(key)))
}

fn random_key() -> SecretBox<[u8; 32]> {
    let mut key = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
    SecretBox::new(Box::new(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    const LIVE: &[(&str, &str)] = &[
        ("SHOPRENTER_APP_ID", "55"),
        ("SHOPRENTER_CLIENT_ID", "client"),
        ("SHOPRENTER_CLIENT_SECRET", "secret"),
        (
            "TOKEN_ENCRYPTION_KEY",
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        ),
        ("SESSION_SECRET", "0123456789abcdef0123456789abcdef"),
        ("FRONTEND_URL", "https://shopcall.ai"),
        ("BACKEND_URL", "https://api.shopcall.ai/"),
    ];

    fn live_with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut v: Vec<_> = LIVE.to_vec();
        for (k, val) in extra {
            v.retain(|(key, _)| key != k);
            v.push((k, val));
        }
        v
    }

    #[test]
    fn no_credentials_means_demo_mode_with_defaults() {
        let s = settings(&[]).expect("demo settings");
        assert!(s.demo_mode());
        assert!(s.templates.is_none());
        assert_eq!(s.database_url, "sqlite://data/shopcall.db");
        assert_eq!(s.site_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(
            s.registration_urls().entry_point,
            "http://127.0.0.1:3000/integrations/shoprenter/entry"
        );
    }

    #[test]
    fn live_settings_derive_registration_urls() {
        let s = settings(LIVE).expect("live settings");
        assert!(!s.demo_mode());
        let urls = s.registration_urls();
        assert_eq!(
            urls.entry_point,
            "https://shopcall.ai/integrations/shoprenter/entry"
        );
        assert_eq!(
            urls.redirect_uri,
            "https://api.shopcall.ai/auth/shoprenter/callback"
        );
        assert_eq!(
            urls.uninstall_uri,
            "https://api.shopcall.ai/webhooks/shoprenter/uninstall"
        );
        assert_eq!(s.templates.unwrap().token, DEFAULT_TOKEN_URL);
    }

    #[test]
    fn live_mode_requires_the_encryption_key() {
        let vars: Vec<_> = LIVE
            .iter()
            .copied()
            .filter(|(k, _)| *k != "TOKEN_ENCRYPTION_KEY")
            .collect();
        assert_eq!(
            settings(&vars).unwrap_err().variable,
            "TOKEN_ENCRYPTION_KEY"
        );
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            (
                "SHOPRENTER_TOKEN_URL",
                "http://evil.example/{shopname}/token",
            ),
            ("SHOPRENTER_API_URL", "https://api.example/no-placeholder"),
            ("HMAC_MAX_AGE_SECS", "soon"),
            ("HMAC_MAX_AGE_SECS", "0"),
            ("LOG_FORMAT", "xml"),
            ("DATABASE_URL", "mysql://x"),
            ("FRONTEND_URL", "not a url"),
            ("TOKEN_ENCRYPTION_KEY", "abcd"),
            ("SESSION_SECRET", "short"),
            ("DEMO_MODE", "maybe"),
            ("JOB_WORKERS", "0"),
            ("SYNC_INCREMENTAL_INTERVAL_SECS", "often"),
            ("BACKGROUND_WORKERS", "sometimes"),
            ("JOB_RETENTION_DAYS", "0"),
            ("WEBHOOK_RETENTION_DAYS", "forever"),
        ] {
            let err = settings(&live_with(&[(var, value)])).expect_err(var);
            assert_eq!(err.variable, var, "{value}");
        }
    }

    #[test]
    fn loopback_http_templates_are_allowed() {
        let s = settings(&live_with(&[(
            "SHOPRENTER_API_URL",
            "http://127.0.0.1:9999/{shopname}/api",
        )]))
        .unwrap();
        assert_eq!(
            s.templates.unwrap().api,
            "http://127.0.0.1:9999/{shopname}/api"
        );
    }

    #[test]
    fn secrets_do_not_appear_in_debug_output() {
        let s = settings(LIVE).unwrap();
        let debug = format!("{s:?}");
        assert!(!debug.contains("0123456789abcdef0123456789abcdef"));
        assert!(!debug.contains("\"secret\""));
    }
}
