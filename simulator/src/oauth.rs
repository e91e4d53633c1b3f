//! `POST /{shopname}/app/token`: OAuth2 client_credentials as ShopRenter documents it (reference §2).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::Rng;
use serde_json::{json, Value};

use crate::state::{lock, SimState, TokenInfo};

fn oauth_error(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response()
}

/// The documented 401 body (reference (c) 4), optionally with a hint of ours.
fn invalid_client(hint: Option<&str>) -> Response {
    let mut body = json!({
        "error": "invalid_client",
        "error_description": "Client authentication failed",
        "message": "Client authentication failed",
    });
    if let Some(h) = hint {
        body["hint"] = json!(h);
    }
    oauth_error(StatusCode::UNAUTHORIZED, body)
}

/// The documented 400 shape (league/oauth2-server style, reference (c) 4).
fn invalid_request(param: &str) -> Response {
    let text = "The request is missing a required parameter, includes an invalid parameter value, \
                includes a parameter more than once, or is otherwise malformed.";
    oauth_error(
        StatusCode::BAD_REQUEST,
        json!({
            "error": "invalid_request",
            "error_description": text,
            "hint": format!("Check the `{param}` parameter"),
            "message": text,
        }),
    )
}

fn unsupported_grant() -> Response {
    let text = "The authorization grant type is not supported by the authorization server.";
    oauth_error(
        StatusCode::BAD_REQUEST,
        json!({
            "error": "unsupported_grant_type",
            "error_description": text,
            "hint": "Check that all required parameters have been provided",
            "message": text,
        }),
    )
}

/// A JWT-shaped token: the real header, readable claims, an opaque signature (nobody verifies
/// RS256 against our key; clients only decode the payload).
fn mint_jwt(client_id: &str, shop: &str, scopes: &[String], iat: i64, exp: i64) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"RS256"}"#);
    let jti = hex::encode(rand::thread_rng().gen::<[u8; 20]>());
    let claims = json!({
        "aud": client_id,
        "jti": jti,
        "iat": iat,
        "nbf": iat,
        "exp": exp,
        "sub": "",
        "realm": shop,
        "scopes": scopes,
    });
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signature = URL_SAFE_NO_PAD.encode(rand::thread_rng().gen::<[u8; 32]>());
    format!("{header}.{payload}.{signature}")
}

pub(crate) async fn token(
    State(state): State<Arc<SimState>>,
    Path(shop): Path<String>,
    body: Bytes,
) -> Response {
    {
        let mut stats = lock(&state.stats);
        stats.token_requests += 1;
        stats.shops.entry(shop.clone()).or_default().token_requests += 1;
    }
    if state.check_shop(&shop).is_err() {
        // Unknown shop: not documented; a plain 404 is our assumption.
        return oauth_error(
            StatusCode::NOT_FOUND,
            json!({"error": "not_found", "message": "Shop not found"}),
        );
    }
    // ShopRenter documents a JSON body only (reference (d) 4), so that is all we accept.
    let Ok(Value::Object(req)) = serde_json::from_slice::<Value>(&body) else {
        return invalid_request("grant_type");
    };
    let field = |k: &str| req.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    match field("grant_type") {
        None => return unsupported_grant(),
        Some("client_credentials") => {}
        Some(_) => return unsupported_grant(),
    }
    let Some(client_id) = field("client_id") else {
        return invalid_request("client_id");
    };
    let Some(app) = state.app_by_client(client_id).cloned() else {
        return invalid_client(None);
    };
    let secret_ok =
        field("client_secret").is_some_and(|s| ct_eq(s.as_bytes(), app.client_secret.as_bytes()));
    if !secret_ok {
        return invalid_client(None);
    }
    if !state.is_installed(&shop, &app.app_id) {
        // Undocumented status for "app not installed" (reference (d) 4): we answer like a bad client.
        return invalid_client(Some("The app is not installed in this shop"));
    }
    let lifetime = state.config.token_lifetime_secs;
    let iat = chrono::Utc::now().timestamp();
    let exp = iat + lifetime as i64;
    let jwt = mint_jwt(&app.client_id, &shop, &app.scopes, iat, exp);
    lock(&state.tokens).insert(
        jwt.clone(),
        TokenInfo {
            client_id: app.client_id.clone(),
            shop: shop.clone(),
            scopes: app.scopes.clone(),
            expires_at: exp,
        },
    );
    lock(&state.stats).tokens_issued += 1;
    (
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(json!({"token_type": "Bearer", "expires_in": lifetime, "access_token": jwt})),
    )
        .into_response()
}

/// Constant-time comparison (the simulator holds real-looking secrets in demo mode).
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
