//! The token client against a local HTTP double (`shoprenter-protocol.md` §2, vectors (c) 3–4).

use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use shoprenter::token::{TokenClient, TokenError};
use shoprenter::{ShopName, UrlTemplate};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CLIENT_ID: &str = "60ef06b358a23f1cd4d89d750694799a";
const CLIENT_SECRET: &str =
    "67abd059759611a16a2f2ccb36a7e2c8aa1dc4661c597879d1ad2ce25bc19ea5ea2ba5e7c817b9b6a679";

fn client(server: &MockServer) -> TokenClient {
    let template = UrlTemplate::new(&format!("{}/{{shopname}}/app/token", server.uri())).unwrap();
    TokenClient::new(
        reqwest::Client::new(),
        template,
        CLIENT_ID.into(),
        SecretString::from(CLIENT_SECRET),
    )
}

fn shop() -> ShopName {
    ShopName::parse("pelda").unwrap()
}

#[tokio::test]
async fn client_credentials_request_yields_a_token_with_expiry() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/pelda/app/token"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "token_type": "Bearer",
            "expires_in": 3600,
            "access_token": "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJlMUlFSEhNeW5nQTJWOHQ2WnM1N1ZibWgiLCJzY29wZXMiOlsicHJvZHVjdC5wcm9kdWN0OnJlYWQiXX0.c2ln"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let before = Utc::now();
    let token = client(&server).acquire(&shop()).await.unwrap();
    assert_eq!(token.token_type, "Bearer");
    assert!(token.access_token.expose_secret().starts_with("eyJ0eXAi"));
    let lifetime = token.expires_at - before;
    assert!(
        lifetime >= chrono::Duration::seconds(3595) && lifetime <= chrono::Duration::seconds(3605),
        "{lifetime}"
    );
    assert_eq!(token.scopes, Some(vec!["product.product:read".to_owned()]));
    assert!(!format!("{token:?}").contains("eyJ0eXAi"));
}

#[tokio::test]
async fn invalid_client_is_typed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client", "error_description": "Client authentication failed", "message": "Client authentication failed"
        })))
        .mount(&server)
        .await;
    let err = client(&server).acquire(&shop()).await.unwrap_err();
    assert!(
        matches!(&err, TokenError::InvalidClient { description } if description == "Client authentication failed"),
        "{err:?}"
    );
    assert!(!err.is_transient());
    assert!(!format!("{err} {err:?}").contains(CLIENT_SECRET));
}

#[tokio::test]
async fn invalid_request_keeps_the_hint() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_request", "error_description": "The request is missing a required parameter", "hint": "Check the `client_id` parameter"
        })))
        .mount(&server)
        .await;
    let err = client(&server).acquire(&shop()).await.unwrap_err();
    match err {
        TokenError::InvalidRequest { error, hint, .. } => {
            assert_eq!(error, "invalid_request");
            assert_eq!(hint.as_deref(), Some("Check the `client_id` parameter"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn server_errors_and_bad_bodies_are_typed() {
    let server = MockServer::start().await;
    Mock::given(path("/pelda/app/token"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let err = client(&server).acquire(&shop()).await.unwrap_err();
    assert!(matches!(err, TokenError::Server(503)));
    assert!(err.is_transient());

    let server = MockServer::start().await;
    Mock::given(path("/pelda/app/token"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>"))
        .mount(&server)
        .await;
    assert!(matches!(
        client(&server).acquire(&shop()).await,
        Err(TokenError::Decode(_))
    ));
}
