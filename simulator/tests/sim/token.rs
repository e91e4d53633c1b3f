use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use crate::helpers::*;

fn claims(jwt: &str) -> (Value, Value) {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "JWT has three segments");
    let decode =
        |s: &str| serde_json::from_slice::<Value>(&URL_SAFE_NO_PAD.decode(s).unwrap()).unwrap();
    (decode(parts[0]), decode(parts[1]))
}

#[tokio::test]
async fn token_is_a_jwt_with_shop_scopes_and_expiry() {
    let mut cfg = config(5);
    cfg.token_lifetime_secs = 120;
    let h = start(cfg).await;
    h.state().install(SHOP, "55").unwrap();
    let r = request_token(&h, SHOP, credentials()).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 120);
    assert!(v.get("refresh_token").is_none());
    let (header, payload) = claims(v["access_token"].as_str().unwrap());
    assert_eq!(header, json!({"typ": "JWT", "alg": "RS256"}));
    assert_eq!(payload["aud"], CLIENT_ID);
    assert_eq!(payload["realm"], SHOP);
    assert!(payload["jti"].as_str().is_some_and(|j| !j.is_empty()));
    let exp = payload["exp"].as_i64().unwrap();
    assert!((exp - chrono::Utc::now().timestamp() - 120).abs() <= 2);
    assert!(payload["scopes"]
        .as_array()
        .unwrap()
        .contains(&json!("product.product:read")));
    assert_eq!(h.state().stats().tokens_issued, 1);
}

#[tokio::test]
async fn wrong_secret_gets_the_documented_401_body() {
    let h = start(config(5)).await;
    h.state().install(SHOP, "55").unwrap();
    let r = request_token(&h, SHOP, json!({"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "nope"})).await;
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "invalid_client");
    assert_eq!(v["error_description"], "Client authentication failed");
    assert_eq!(v["message"], "Client authentication failed");
}

#[tokio::test]
async fn missing_client_id_gets_400_invalid_request_with_hint() {
    let h = start(config(5)).await;
    let r = request_token(
        &h,
        SHOP,
        json!({"grant_type": "client_credentials", "client_secret": SECRET}),
    )
    .await;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "invalid_request");
    assert_eq!(v["hint"], "Check the `client_id` parameter");
}

#[tokio::test]
async fn token_needs_the_app_installed_in_that_shop() {
    let h = start(config(5)).await;
    let r = request_token(&h, SHOP, credentials()).await;
    assert_eq!(r.status(), 401);
    assert_eq!(h.state().stats().token_requests, 1);
}

#[tokio::test]
async fn expired_token_is_refused_and_a_new_one_works() {
    let h = start(config(5)).await;
    let token = installed_token(&h).await;
    assert_eq!(api_get(&h, &token, "orderStatuses").await.0, 200);
    h.state().expire_tokens(SHOP);
    assert_eq!(api_get(&h, &token, "orderStatuses").await.0, 401);
    let fresh = installed_token(&h).await;
    assert_eq!(api_get(&h, &fresh, "orderStatuses").await.0, 200);
}
