//! Client configuration and counters (`shoprenter-protocol.md` §3–§4; design.md "Rate limit").

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use crate::template::{UrlTemplate, DEFAULT_API_URL_TEMPLATE};

/// How the client talks to the API.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// API base URL template (default `https://{shopname}.api2.myshoprenter.hu/api`).
    pub api_url: UrlTemplate,
    /// Requests per second per shop (platform limit: 3): at most this many start within any
    /// one-second window (plus a 30 ms margin); 0 disables limiting (simulators, benchmarks).
    pub requests_per_second: u32,
    /// Retries after the first attempt (429, and for idempotent methods 5xx/timeouts).
    pub max_retries: u32,
    /// First backoff step for 5xx/timeouts; doubles per attempt.
    pub base_backoff: Duration,
    /// Upper bound for one backoff step.
    pub max_backoff: Duration,
    /// Upper bound for an honoured `Retry-After`.
    pub max_retry_after: Duration,
    /// Per-attempt timeout, including reading the body.
    pub request_timeout: Duration,
    /// `User-Agent` sent with every request.
    pub user_agent: String,
}

impl ApiConfig {
    /// Defaults for `api_url`: 3 rps, 5 retries, 500 ms … 30 s backoff, 60 s max `Retry-After`,
    /// 30 s timeout.
    pub fn new(api_url: UrlTemplate) -> Self {
        Self {
            api_url,
            requests_per_second: 3,
            max_retries: 5,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
            user_agent: concat!("shopcall-shoprenter/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self::new(
            UrlTemplate::new(DEFAULT_API_URL_TEMPLATE).expect("default API template is valid"),
        )
    }
}

/// Counters for callers and benchmarks (e.g. how many 429s a sync met).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApiStats {
    /// HTTP attempts sent (including retries).
    pub requests: u64,
    /// 429 responses received.
    pub rate_limited: u64,
    /// 5xx responses received.
    pub server_errors: u64,
    /// Timeouts and connection failures.
    pub transport_errors: u64,
    /// Attempts repeated after a retryable failure.
    pub retries: u64,
    /// Total time spent waiting for the rate limiter.
    pub throttled: Duration,
}

#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) requests: AtomicU64,
    pub(super) rate_limited: AtomicU64,
    pub(super) server_errors: AtomicU64,
    pub(super) transport_errors: AtomicU64,
    pub(super) retries: AtomicU64,
    pub(super) throttled_nanos: AtomicU64,
}
