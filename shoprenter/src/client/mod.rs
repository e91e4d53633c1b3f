//! The API2 REST client: Bearer auth, JSON headers, a per-shop rate limiter, retries and
//! streamed pagination.
//!
//! Reference: `shoprenter-protocol.md` §3 "REST API" (base `https://{shopName}.api2.myshoprenter.hu/api/`,
//! `Authorization: Bearer`, `Accept: application/json` — the default is XML — and a mandatory
//! `Content-Type`), §4 "Rate limits" (3 requests/s per app per shop, 429 on excess, no documented
//! `Retry-After`) and design.md "Protocol decisions" → API and Rate limit.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::time::Instant;
use url::Url;

use crate::ShopName;

mod config;
mod error;
mod limiter;
mod pagination;
mod retry;

use config::Counters;
pub use config::{ApiConfig, ApiStats};
pub use error::ApiError;
use limiter::{Limiter, Start};
pub use limiter::{SharedWindow, SharedWindowError, WindowEntry, WindowSlot};
pub use pagination::{ListParams, Page, RawPage, MAX_PAGE_LIMIT};

/// A cheaply clonable API2 client. Every clone shares one per-shop rate limiter and one set of
/// counters, so all tasks talking to a shop together stay under its limit.
#[derive(Clone)]
pub struct ApiClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: ApiConfig,
    limiter: Limiter,
    /// Shops that answered 429: nobody sends to them before the instant stored here.
    paused_until: Mutex<HashMap<ShopName, Instant>>,
    counters: Counters,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// Whether a failed attempt may be repeated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Idempotency {
    /// GET, PUT, DELETE: repeat on 429, 5xx, timeouts and connection failures.
    Idempotent,
    /// POST creates: repeat only when the request certainly was not processed (429, connect).
    NotIdempotent,
}

impl ApiClient {
    /// Builds a client with its own connection pool.
    pub fn new(config: ApiConfig) -> Result<Self, ApiError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.request_timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| ApiError::Transport(e.without_url()))?;
        Ok(Self::with_http_client(http, config))
    }

    /// Builds a client on an existing `reqwest::Client` (shared pool, custom TLS…).
    pub fn with_http_client(http: reqwest::Client, config: ApiConfig) -> Self {
        Self::build(http, config, None)
    }

    /// Like [`ApiClient::with_http_client`], counting each shop's requests in `window` together
    /// with every other process that shares it (server instances on one database).
    pub fn with_shared_window(
        http: reqwest::Client,
        config: ApiConfig,
        window: Arc<dyn SharedWindow>,
    ) -> Self {
        Self::build(http, config, Some(window))
    }

    fn build(
        http: reqwest::Client,
        config: ApiConfig,
        window: Option<Arc<dyn SharedWindow>>,
    ) -> Self {
        let limiter = Limiter::new(config.requests_per_second, window);
        Self {
            inner: Arc::new(Inner {
                http,
                config,
                limiter,
                paused_until: Mutex::new(HashMap::new()),
                counters: Counters::default(),
            }),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &ApiConfig {
        &self.inner.config
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> ApiStats {
        let c = &self.inner.counters;
        ApiStats {
            requests: c.requests.load(Ordering::Relaxed),
            rate_limited: c.rate_limited.load(Ordering::Relaxed),
            server_errors: c.server_errors.load(Ordering::Relaxed),
            transport_errors: c.transport_errors.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            throttled: Duration::from_nanos(c.throttled_nanos.load(Ordering::Relaxed)),
        }
    }

    /// The URL `path_and_query` resolves to for `shop` (e.g. `productExtend?full=1`), checked to
    /// stay under the shop's API base.
    pub fn url_for(&self, shop: &ShopName, path_and_query: &str) -> Result<Url, ApiError> {
        let base = self.inner.config.api_url.render(shop);
        let relative = path_and_query.trim_start_matches('/');
        if relative.contains(['#', '\\'])
            || relative
                .split(['?', '/'])
                .next()
                .is_some_and(|s| s.contains(':'))
        {
            return Err(ApiError::InvalidPath(log_path(path_and_query).to_owned()));
        }
        let joined = format!("{}/{}", base.as_str().trim_end_matches('/'), relative);
        let url = Url::parse(&joined)
            .map_err(|_| ApiError::InvalidPath(log_path(path_and_query).to_owned()))?;
        let base_path = base.path().trim_end_matches('/');
        let stays_under_base = url.scheme() == base.scheme()
            && url.host() == base.host()
            && url.port_or_known_default() == base.port_or_known_default()
            && url.path().starts_with(&format!("{base_path}/"));
        if !stays_under_base {
            return Err(ApiError::InvalidPath(log_path(path_and_query).to_owned()));
        }
        Ok(url)
    }

    /// `GET {api}/{path_and_query}` and decode JSON.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        shop: &ShopName,
        token: &SecretString,
        path_and_query: &str,
    ) -> Result<T, ApiError> {
        let body = self.get_bytes(shop, token, path_and_query).await?;
        decode(path_and_query, &body)
    }

    /// `GET {api}/{path_and_query}`: the body of a 2xx answer, undecoded.
    async fn get_bytes(
        &self,
        shop: &ShopName,
        token: &SecretString,
        path_and_query: &str,
    ) -> Result<bytes::Bytes, ApiError> {
        self.send(
            Method::GET,
            shop,
            token,
            path_and_query,
            None,
            Idempotency::Idempotent,
        )
        .await
    }

    /// `POST` a JSON body and decode the JSON answer. Not retried on 5xx or timeouts, since the
    /// platform may have created the resource (look it up before posting again).
    pub async fn post_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        shop: &ShopName,
        token: &SecretString,
        path_and_query: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        let payload = encode(path_and_query, body)?;
        let body = self
            .send(
                Method::POST,
                shop,
                token,
                path_and_query,
                Some(payload),
                Idempotency::NotIdempotent,
            )
            .await?;
        decode(path_and_query, &body)
    }

    /// `PUT` a JSON body (replaces inlined relations on Extend resources, §3) and decode the answer.
    pub async fn put_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        shop: &ShopName,
        token: &SecretString,
        path_and_query: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        let payload = encode(path_and_query, body)?;
        let body = self
            .send(
                Method::PUT,
                shop,
                token,
                path_and_query,
                Some(payload),
                Idempotency::Idempotent,
            )
            .await?;
        decode(path_and_query, &body)
    }

    /// `DELETE` (the platform answers 204). A 404 is returned as [`ApiError::NotFound`] so
    /// callers can treat "already gone" as they see fit.
    pub async fn delete(
        &self,
        shop: &ShopName,
        token: &SecretString,
        path_and_query: &str,
    ) -> Result<(), ApiError> {
        self.send(
            Method::DELETE,
            shop,
            token,
            path_and_query,
            None,
            Idempotency::Idempotent,
        )
        .await
        .map(|_| ())
    }

    /// Waits until `shop` may receive another request: first any 429 pause, then the limiter.
    async fn throttle(&self, shop: &ShopName) -> Start {
        let started = Instant::now();
        let paused = {
            let mut map = self
                .inner
                .paused_until
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            map.retain(|_, until| *until > started);
            map.get(shop).copied()
        };
        if let Some(until) = paused {
            tokio::time::sleep_until(until).await;
        }
        let start = self.inner.limiter.acquire(shop).await;
        let waited = started.elapsed();
        let c = &self.inner.counters;
        c.throttled_nanos.fetch_add(
            u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        // The limiter keeps a short history per shop; drop idle shops now and then.
        if c.requests.load(Ordering::Relaxed) % 4096 == 4095 {
            self.inner.limiter.forget_idle();
        }
        start
    }

    fn pause_shop(&self, shop: &ShopName, delay: Duration) {
        let until = Instant::now() + delay;
        let mut map = self
            .inner
            .paused_until
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let entry = map.entry(shop.clone()).or_insert(until);
        *entry = (*entry).max(until);
    }

    #[tracing::instrument(skip_all, fields(shop = %shop, method = %method, resource = log_path(path_and_query)))]
    async fn send(
        &self,
        method: Method,
        shop: &ShopName,
        token: &SecretString,
        path_and_query: &str,
        body: Option<Vec<u8>>,
        idempotency: Idempotency,
    ) -> Result<bytes::Bytes, ApiError> {
        let url = self.url_for(shop, path_and_query)?;
        let mut attempt: u32 = 0;
        loop {
            let start = self.throttle(shop).await;
            let outcome = self
                .attempt(&method, &url, token, body.as_deref(), start)
                .await;
            match self.judge(shop, attempt, idempotency, outcome) {
                Next::Done(result) => return result,
                Next::RetryAfter(delay) => {
                    self.inner.counters.retries.fetch_add(1, Ordering::Relaxed);
                    attempt += 1;
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// One HTTP exchange, body included (the per-attempt timeout covers reading it).
    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        token: &SecretString,
        body: Option<&[u8]>,
        start: Start,
    ) -> Result<(StatusCode, HeaderMap, bytes::Bytes), reqwest::Error> {
        let cfg = &self.inner.config;
        self.inner.counters.requests.fetch_add(1, Ordering::Relaxed);
        let mut request = self
            .inner
            .http
            .request(method.clone(), url.clone())
            .bearer_auth(token.expose_secret())
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, &cfg.user_agent)
            .timeout(cfg.request_timeout);
        if let Some(body) = body {
            request = request.body(body.to_vec());
        }
        let response = request.send().await?;
        start.answered();
        let status = response.status();
        let headers = response.headers().clone();
        Ok((status, headers, response.bytes().await?))
    }

    /// Decides what an attempt's outcome means: a result, or another try after a delay.
    fn judge(
        &self,
        shop: &ShopName,
        attempt: u32,
        idempotency: Idempotency,
        outcome: Result<(StatusCode, HeaderMap, bytes::Bytes), reqwest::Error>,
    ) -> Next {
        let cfg = &self.inner.config;
        let c = &self.inner.counters;
        let can_retry = attempt < cfg.max_retries;
        let attempts = attempt + 1;
        match outcome {
            Ok((status, _, bytes)) if status.is_success() => Next::Done(Ok(bytes)),
            Ok((StatusCode::TOO_MANY_REQUESTS, headers, _)) => {
                c.rate_limited.fetch_add(1, Ordering::Relaxed);
                let delay = retry_after(&headers, cfg.max_retry_after)
                    .unwrap_or_else(|| retry::rate_limit_backoff(attempt, cfg.max_backoff));
                // Everyone else talking to this shop waits too, instead of collecting 429s.
                self.pause_shop(shop, delay);
                if !can_retry {
                    return Next::Done(Err(ApiError::RateLimited { attempts }));
                }
                tracing::info!(
                    attempt,
                    delay_ms = delay.as_millis() as u64,
                    "429 from ShopRenter, backing off"
                );
                Next::RetryAfter(delay)
            }
            Ok((status, _, _)) if status.is_server_error() => {
                c.server_errors.fetch_add(1, Ordering::Relaxed);
                if !can_retry || idempotency == Idempotency::NotIdempotent {
                    return Next::Done(Err(ApiError::Server {
                        status: status.as_u16(),
                        attempts,
                    }));
                }
                tracing::warn!(
                    attempt,
                    status = status.as_u16(),
                    "ShopRenter server error, retrying"
                );
                Next::RetryAfter(retry::backoff(attempt, cfg.base_backoff, cfg.max_backoff))
            }
            Ok((status, _, bytes)) => {
                let err = ApiError::from_status(status.as_u16(), &bytes);
                tracing::debug!(
                    status = status.as_u16(),
                    code = err.inner_code(),
                    "ShopRenter API error"
                );
                Next::Done(Err(err))
            }
            Err(e) => {
                c.transport_errors.fetch_add(1, Ordering::Relaxed);
                // A connect failure never reached the platform; anything later might have.
                let retryable = e.is_connect()
                    || (idempotency == Idempotency::Idempotent
                        && (e.is_timeout() || e.is_request() || e.is_body()));
                if !can_retry || !retryable {
                    return Next::Done(Err(if e.is_timeout() {
                        ApiError::Timeout { attempts }
                    } else {
                        ApiError::Transport(e.without_url())
                    }));
                }
                tracing::warn!(
                    attempt,
                    timeout = e.is_timeout(),
                    "ShopRenter request failed, retrying"
                );
                Next::RetryAfter(retry::backoff(attempt, cfg.base_backoff, cfg.max_backoff))
            }
        }
    }
}

/// What to do after an attempt.
enum Next {
    Done(Result<bytes::Bytes, ApiError>),
    RetryAfter(Duration),
}

fn retry_after(headers: &HeaderMap, max: Duration) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    retry::parse_retry_after(value, chrono::Utc::now()).map(|d| d.min(max))
}

/// The resource part of a path, for logs: the query may hold filters such as e-mail addresses.
fn log_path(path_and_query: &str) -> &str {
    path_and_query.split('?').next().unwrap_or("")
}

fn encode<B: Serialize + ?Sized>(path_and_query: &str, body: &B) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(body).map_err(|e| ApiError::Decode {
        resource: log_path(path_and_query).to_owned(),
        message: e.to_string(),
    })
}

fn decode<T: DeserializeOwned>(path_and_query: &str, body: &[u8]) -> Result<T, ApiError> {
    // `emptyBody=1` and 204 answers have no body; let `()`/`Option` targets accept that.
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| ApiError::Decode {
        resource: log_path(path_and_query).to_owned(),
        message: format!(
            "{} at line {} column {}",
            classify(&e),
            e.line(),
            e.column()
        ),
    })
}

/// serde_json messages can quote values from the body (customer data); keep only the kind.
fn classify(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "I/O error",
        serde_json::error::Category::Syntax => "invalid JSON",
        serde_json::error::Category::Data => "unexpected JSON shape",
        serde_json::error::Category::Eof => "truncated JSON",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> ApiClient {
        ApiClient::new(ApiConfig::default()).unwrap()
    }

    #[test]
    fn urls_stay_under_the_shop_api_base() {
        let c = client();
        let shop = ShopName::parse("pelda").unwrap();
        assert_eq!(
            c.url_for(&shop, "productExtend?full=1&page=0")
                .unwrap()
                .as_str(),
            "https://pelda.api2.myshoprenter.hu/api/productExtend?full=1&page=0"
        );
        assert_eq!(
            c.url_for(&shop, "/webHooks/abc=").unwrap().as_str(),
            "https://pelda.api2.myshoprenter.hu/api/webHooks/abc="
        );
        for hostile in [
            "//evil.example/x",
            "../x",
            "a/../../x",
            "https://evil.example/api/x",
            "x#frag",
            "..\\x",
            "%2e%2e/x",
        ] {
            let r = c.url_for(&shop, hostile);
            assert!(
                matches!(r, Err(ApiError::InvalidPath(_)))
                    || r.as_ref().is_ok_and(|u| u.path().starts_with("/api/")),
                "{hostile} → {r:?}"
            );
            if let Ok(u) = r {
                assert_eq!(u.host_str(), Some("pelda.api2.myshoprenter.hu"));
            }
        }
    }

    #[test]
    fn decode_errors_do_not_quote_the_body() {
        let err = decode::<Vec<u32>>("customers", br#"["jane@example.com"]"#).unwrap_err();
        assert!(!err.to_string().contains("jane"), "{err}");
        assert!(decode::<()>("webHooks/x", b"").is_ok());
    }
}
