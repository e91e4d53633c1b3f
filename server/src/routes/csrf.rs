//! Cross-site request forgery protection for state-changing requests (forms, Leptos server
//! functions — they are POSTs too).
//!
//! Browsers label every request with `Sec-Fetch-Site` and send `Origin` on every POST; a request
//! is refused when it comes from a site other than ours. Requests with neither header and no
//! cookie are not from a browser session (ShopRenter's webhooks, API clients) and pass: there is
//! no ambient authority to abuse. Combined with `SameSite=Lax` session cookies.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use url::Url;

/// The origins (`scheme://host[:port]`) allowed to post to us.
#[derive(Debug, Clone)]
pub struct AllowedOrigins(Arc<Vec<String>>);

impl AllowedOrigins {
    pub fn new(urls: &[&Url]) -> Self {
        let mut origins: Vec<String> = urls
            .iter()
            .map(|u| u.origin().ascii_serialization())
            .collect();
        origins.dedup();
        Self(Arc::new(origins))
    }

    fn allows(&self, origin: &str) -> bool {
        self.0.iter().any(|o| o == origin)
    }
}

pub async fn protect(
    State(allowed): State<AllowedOrigins>,
    request: Request<Body>,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if matches!(fetch_site, Some("same-origin" | "none")) {
        return next.run(request).await;
    }
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .and_then(|r| Url::parse(r).ok())
                .map(|u| u.origin().ascii_serialization())
        });
    let verdict = match origin.as_deref() {
        Some(o) => allowed.allows(o),
        None => !headers.contains_key(header::COOKIE) && fetch_site.is_none(),
    };
    if verdict {
        next.run(request).await
    } else {
        tracing::warn!(
            origin = origin.as_deref().unwrap_or("-"),
            fetch_site = fetch_site.unwrap_or("-"),
            "cross-site request refused"
        );
        (
            StatusCode::FORBIDDEN,
            super::pages::message(
                "Request refused",
                "This request did not come from ShopCall.ai.",
            ),
        )
            .into_response()
    }
}
