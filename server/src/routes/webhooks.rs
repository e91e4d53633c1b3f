//! `POST /webhooks/shoprenter/{shop}/{secret}?event=…` — order webhook deliveries.
//!
//! Reference §5: deliveries are unsigned multipart/form-data (JSON in field `data`; a raw JSON
//! body is accepted too). The secret in the URL is checked in constant time; an unknown shop or a
//! wrong secret is a plain 404 and nothing is stored. A delivery is answered 200 only after it is
//! committed to the inbox (group commit), so an acknowledged delivery survives a crash.
//!
//! This router is merged outside the request-tracing layer on purpose: it is the hot path (tens
//! of thousands of deliveries per second) and logs only what goes wrong.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use integration::webhooks::{Accepted, ReceiveError, WebhookReceiver, MAX_BODY_BYTES};
use serde::Deserialize;

/// The webhook route, with its own state so it can be merged into any router.
pub fn router<S: Clone + Send + Sync + 'static>(receiver: WebhookReceiver) -> Router<S> {
    Router::new()
        .route(
            "/webhooks/shoprenter/{shop}/{secret}",
            post(receive_order_webhook),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(receiver)
}

#[derive(Debug, Deserialize)]
struct EventQuery {
    event: Option<String>,
}

async fn receive_order_webhook(
    State(receiver): State<WebhookReceiver>,
    Path((shop, secret)): Path<(String, String)>,
    Query(query): Query<EventQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    match receiver
        .receive(&shop, &secret, query.event.as_deref(), content_type, &body)
        .await
    {
        Ok(Accepted::Queued { .. }) | Ok(Accepted::Ignored) => {
            (StatusCode::OK, "OK").into_response()
        }
        // Kept for inspection; a 2xx stops the platform from re-sending something that will never parse.
        Ok(Accepted::Malformed { .. }) => (
            StatusCode::OK,
            "OK (malformed delivery kept for inspection)",
        )
            .into_response(),
        Err(ReceiveError::NotFound) => (StatusCode::NOT_FOUND, "Not Found").into_response(),
        Err(ReceiveError::TooLarge { .. }) => {
            (StatusCode::PAYLOAD_TOO_LARGE, "Payload Too Large").into_response()
        }
        Err(error) => {
            // Not persisted: a 5xx makes the sender retry.
            tracing::error!(%error, shop = %shop, "webhook delivery could not be persisted");
            (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response()
        }
    }
}
