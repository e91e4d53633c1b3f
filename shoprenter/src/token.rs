//! Access tokens: the OAuth2 client-credentials request per shop.
//!
//! Reference: `shoprenter-protocol.md` §2 "Token acquisition" (POST JSON
//! `{grant_type: client_credentials, client_id, client_secret}` to
//! `https://oauth.app.shoprenter.net/{shopName}/app/token` → `{token_type, expires_in, access_token}`;
//! no refresh token; 400/401 league/oauth2-server style errors) and test vectors (c) 3–4.
//! The token and the secret never reach a log line or a `Debug` output.

use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::template::UrlTemplate;
use crate::ShopName;

/// A bearer token for one shop.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The JWT. Redacted in `Debug`.
    pub access_token: SecretString,
    /// `Bearer` in every documented response.
    pub token_type: String,
    /// Acquisition time plus `expires_in`.
    pub expires_at: DateTime<Utc>,
    /// The JWT payload's `scopes` claim, when the token is a decodable JWT (JWT-BUNDLE).
    /// Read without verifying the signature: only to tell the merchant what to re-approve.
    pub scopes: Option<Vec<String>>,
}

impl AccessToken {
    /// Whether the token expires within `margin` of `now` (design.md: re-acquire when less
    /// than 5 minutes are left).
    pub fn needs_refresh(&self, now: DateTime<Utc>, margin: Duration) -> bool {
        let margin = chrono::Duration::from_std(margin).unwrap_or(chrono::Duration::MAX);
        now.checked_add_signed(margin)
            .is_none_or(|limit| limit >= self.expires_at)
    }
}

/// Why a token could not be acquired.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// 401 `invalid_client`: wrong ClientId/ClientSecret, or the app is not installed in the shop.
    #[error("token endpoint rejected the client credentials: {description}")]
    InvalidClient { description: String },
    /// 400 `invalid_request` (e.g. hint "Check the `client_id` parameter").
    #[error("token request was invalid: {error}: {description}")]
    InvalidRequest {
        error: String,
        description: String,
        hint: Option<String>,
    },
    /// 5xx from the token endpoint; worth retrying later.
    #[error("token endpoint failed with status {0}")]
    Server(u16),
    /// Any other unexpected status.
    #[error("token endpoint answered with unexpected status {0}")]
    UnexpectedStatus(u16),
    /// The request did not complete (DNS, TLS, timeout…).
    #[error("token request failed: {0}")]
    Transport(#[source] reqwest::Error),
    /// A 200 whose body is not a usable token response. Never includes the body.
    #[error("token response could not be decoded: {0}")]
    Decode(String),
}

impl TokenError {
    /// Whether trying again later might succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, TokenError::Server(_) | TokenError::Transport(_))
    }
}

/// Acquires per-shop tokens with the app's single ClientId/ClientSecret (§2).
#[derive(Clone)]
pub struct TokenClient {
    http: reqwest::Client,
    token_url: UrlTemplate,
    client_id: String,
    client_secret: SecretString,
}

impl std::fmt::Debug for TokenClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenClient")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(serde::Serialize)]
struct TokenRequest<'a> {
    grant_type: &'static str,
    client_id: &'a str,
    client_secret: &'a str,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

#[derive(Deserialize, Default)]
struct OAuthErrorBody {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    hint: Option<String>,
}

impl TokenClient {
    /// `token_url` is usually [`DEFAULT_TOKEN_URL_TEMPLATE`](crate::template::DEFAULT_TOKEN_URL_TEMPLATE).
    /// Give `http` a timeout; this client adds none of its own.
    pub fn new(
        http: reqwest::Client,
        token_url: UrlTemplate,
        client_id: String,
        client_secret: SecretString,
    ) -> Self {
        Self {
            http,
            token_url,
            client_id,
            client_secret,
        }
    }

    /// The app's ClientId (also used in the scope re-approval URL, §6).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Runs the client-credentials grant for `shop`. No retries here: the caller decides
    /// (and keeps acquisitions single-flight per shop, design.md "Tokens").
    #[tracing::instrument(skip_all, fields(shop = %shop))]
    pub async fn acquire(&self, shop: &ShopName) -> Result<AccessToken, TokenError> {
        let url = self.token_url.render(shop);
        let started = Utc::now();
        let response = self
            .http
            .post(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .json(&TokenRequest {
                grant_type: "client_credentials",
                client_id: &self.client_id,
                client_secret: self.client_secret.expose_secret(),
            })
            .send()
            .await
            .map_err(|e| TokenError::Transport(e.without_url()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| TokenError::Transport(e.without_url()))?;
        if status.is_success() {
            let token = parse_token_response(&body, started)?;
            tracing::debug!(expires_at = %token.expires_at, "acquired ShopRenter access token");
            return Ok(token);
        }
        let err: OAuthErrorBody = serde_json::from_slice(&body).unwrap_or_default();
        let description = err.error_description.or(err.message).unwrap_or_default();
        tracing::warn!(
            status = status.as_u16(),
            error = err.error.as_deref().unwrap_or(""),
            "token request rejected"
        );
        Err(match status.as_u16() {
            401 => TokenError::InvalidClient { description },
            400 => TokenError::InvalidRequest {
                error: err.error.unwrap_or_else(|| "invalid_request".into()),
                description,
                hint: err.hint,
            },
            s if status.is_server_error() => TokenError::Server(s),
            s => TokenError::UnexpectedStatus(s),
        })
    }
}

fn parse_token_response(
    body: &[u8],
    acquired_at: DateTime<Utc>,
) -> Result<AccessToken, TokenError> {
    // serde_json's error text quotes no input, so it is safe to keep.
    let raw: TokenResponse =
        serde_json::from_slice(body).map_err(|e| TokenError::Decode(e.to_string()))?;
    if raw.access_token.is_empty() {
        return Err(TokenError::Decode("empty access_token".into()));
    }
    let claims = jwt_claims(&raw.access_token);
    let expires_in = match raw.expires_in.as_ref().and_then(seconds_from_json) {
        Some(secs) => Some(secs),
        None => claims
            .as_ref()
            .and_then(|c| c.get("exp"))
            .and_then(seconds_from_json)
            .map(|exp| exp - acquired_at.timestamp()),
    };
    let expires_in =
        expires_in.ok_or_else(|| TokenError::Decode("no expires_in and no exp claim".into()))?;
    let expires_at = acquired_at
        .checked_add_signed(chrono::Duration::seconds(
            expires_in.clamp(0, 10 * 365 * 86_400),
        ))
        .ok_or_else(|| TokenError::Decode("expires_in out of range".into()))?;
    let scopes = claims
        .as_ref()
        .and_then(|c| c.get("scopes"))
        .and_then(scopes_from_json);
    Ok(AccessToken {
        access_token: SecretString::from(raw.access_token),
        token_type: raw.token_type.unwrap_or_else(|| "Bearer".into()),
        expires_at,
        scopes,
    })
}

fn seconds_from_json(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The JWT payload as JSON, if the token has the `header.payload.signature` shape.
fn jwt_claims(token: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// `scopes` is an array of strings in ShopRenter's bundle; accept a space-separated string too.
fn scopes_from_json(v: &serde_json::Value) -> Option<Vec<String>> {
    match v {
        serde_json::Value::Array(items) => Some(
            items
                .iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect(),
        ),
        serde_json::Value::String(s) => Some(s.split_whitespace().map(str::to_owned).collect()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &serde_json::Value) -> String {
        let enc = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!(
            "{}.{}.sig",
            enc(br#"{"typ":"JWT","alg":"RS256"}"#),
            enc(payload.to_string().as_bytes())
        )
    }

    #[test]
    fn expiry_is_computed_from_expires_in() {
        let now = Utc::now();
        let body = br#"{"token_type":"Bearer","expires_in":3600,"access_token":"opaque"}"#;
        let t = parse_token_response(body, now).unwrap();
        assert_eq!(t.expires_at, now + chrono::Duration::seconds(3600));
        assert_eq!(t.token_type, "Bearer");
        assert_eq!(t.scopes, None);
        assert!(!t.needs_refresh(now, Duration::from_secs(300)));
        assert!(t.needs_refresh(
            now + chrono::Duration::seconds(3301),
            Duration::from_secs(300)
        ));
        assert!(t.needs_refresh(now + chrono::Duration::seconds(3600), Duration::ZERO));
    }

    #[test]
    fn scopes_are_read_from_the_jwt_payload() {
        let now = Utc::now();
        let token = jwt(
            &serde_json::json!({"aud":"e1IEHHMyngA2V8t6Zs57Vbmh","scopes":["product.product:read","order.order:read"]}),
        );
        let body =
            serde_json::json!({"token_type":"Bearer","expires_in":"120","access_token":token})
                .to_string();
        let t = parse_token_response(body.as_bytes(), now).unwrap();
        assert_eq!(
            t.scopes.unwrap(),
            vec!["product.product:read", "order.order:read"]
        );
        assert_eq!(t.expires_at, now + chrono::Duration::seconds(120));
    }

    #[test]
    fn exp_claim_is_used_when_expires_in_is_absent() {
        let now = Utc::now();
        let token = jwt(&serde_json::json!({"exp": now.timestamp() + 50}));
        let body = serde_json::json!({"access_token":token}).to_string();
        let t = parse_token_response(body.as_bytes(), now).unwrap();
        assert_eq!(t.expires_at.timestamp(), now.timestamp() + 50);
        assert!(parse_token_response(br#"{"access_token":"x"}"#, now).is_err());
    }

    #[test]
    fn token_is_redacted_in_debug() {
        let t = parse_token_response(
            br#"{"expires_in":1,"access_token":"very-secret-jwt"}"#,
            Utc::now(),
        )
        .unwrap();
        assert!(!format!("{t:?}").contains("very-secret-jwt"));
    }

    #[test]
    fn decode_errors_do_not_echo_the_body() {
        let err = parse_token_response(br#"{"access_token": 5, "secret":"leak-me"}"#, Utc::now())
            .unwrap_err();
        assert!(!err.to_string().contains("leak-me"));
    }
}
