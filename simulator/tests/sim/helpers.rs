use std::sync::{Arc, Mutex};

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::any;
use axum::Router;
use serde_json::Value;
use simulator::{AppRegistration, ShopSeed, SimulatorConfig, SimulatorHandle, DEFAULT_SCOPES};

pub const SHOP: &str = "pelda";
/// The placeholder ClientSecret of the official plain-PHP demo app (reference (c) 10–11).
pub const SECRET: &str = "13afd849ec2781ca3fb2dd1a";
pub const CLIENT_ID: &str = "test-client-id";

pub fn app_with(base: &str) -> AppRegistration {
    let mut scopes: Vec<String> = DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect();
    scopes.extend(
        [
            "product.product:write",
            "customer.customer:write",
            "order.order:write",
            "product.category:write",
        ]
        .map(String::from),
    );
    AppRegistration {
        app_id: "55".into(),
        client_id: CLIENT_ID.into(),
        client_secret: SECRET.into(),
        redirect_uri: format!("{base}/auth/shoprenter/callback"),
        entry_point: format!("{base}/integrations/shoprenter/entry"),
        uninstall_uri: format!("{base}/webhooks/shoprenter/uninstall"),
        scopes,
    }
}

/// A shop of `n` records per resource, no rate limit (tests that need it turn it on).
pub fn config(n: u32) -> SimulatorConfig {
    SimulatorConfig {
        apps: vec![app_with("https://app.example.com")],
        shops: vec![ShopSeed::sized(SHOP, 7, n)],
        rate_limit_per_sec: 0,
        ..SimulatorConfig::default()
    }
}

pub async fn start(cfg: SimulatorConfig) -> SimulatorHandle {
    simulator::Simulator::start(cfg)
        .await
        .expect("simulator starts")
}

/// A client that shows redirects instead of following them, like a test of a browser flow needs.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub async fn request_token(h: &SimulatorHandle, shop: &str, body: Value) -> reqwest::Response {
    client()
        .post(format!("{}/{shop}/app/token", h.base_url()))
        .json(&body)
        .send()
        .await
        .expect("token request")
}

pub fn credentials() -> Value {
    serde_json::json!({"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET})
}

/// Installs the app in [`SHOP`] and returns a fresh access token.
pub async fn installed_token(h: &SimulatorHandle) -> String {
    h.state().install(SHOP, "55").expect("install");
    let r = request_token(h, SHOP, credentials()).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    v["access_token"].as_str().expect("token").to_string()
}

pub async fn api_get(h: &SimulatorHandle, token: &str, path_and_query: &str) -> (u16, Value) {
    let r = client()
        .get(format!("{}/{SHOP}/api/{path_and_query}", h.base_url()))
        .bearer_auth(token)
        .header("Accept", "application/json")
        .send()
        .await
        .expect("api request");
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub async fn api_send(
    h: &SimulatorHandle,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let r = client()
        .request(method, format!("{}/{SHOP}/api/{path}", h.base_url()))
        .bearer_auth(token)
        .header("Accept", "application/json")
        .json(&body)
        .send()
        .await
        .expect("api request");
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Query parameters of a URL as pairs.
pub fn query_of(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .expect("url")
        .query_pairs()
        .into_owned()
        .collect()
}

pub fn param<'a>(pairs: &'a [(String, String)], k: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == k)
        .map(|(_, v)| v.as_str())
}

/// What a tiny receiver saw.
#[derive(Debug, Clone)]
pub struct Hit {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub fields: Vec<(String, String)>,
    pub body: String,
}

pub struct Receiver {
    pub url: String,
    pub hits: Arc<Mutex<Vec<Hit>>>,
}

impl Receiver {
    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
}

/// A tiny axum server standing in for our app: records every request and answers `status`.
pub async fn receiver(status: StatusCode) -> Receiver {
    let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
    let seen = Arc::clone(&hits);
    let app = Router::new().fallback(any(move |req: Request| {
        let seen = Arc::clone(&seen);
        async move {
            let method = req.method().to_string();
            let path = req.uri().path().to_string();
            let query = req.uri().query().map(str::to_string);
            let headers = req.headers().clone();
            let is_multipart = headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("multipart/form-data"));
            let mut fields = Vec::new();
            let mut body = String::new();
            if is_multipart {
                let mut mp = Multipart::from_request(req, &()).await.expect("multipart");
                while let Some(f) = mp.next_field().await.expect("field") {
                    let name = f.name().unwrap_or_default().to_string();
                    fields.push((name, f.text().await.expect("text")));
                }
            } else {
                let bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
                    .await
                    .unwrap_or_default();
                body = String::from_utf8_lossy(&bytes).into_owned();
            }
            seen.lock().unwrap().push(Hit {
                method,
                path,
                query,
                headers,
                fields,
                body,
            });
            status
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Receiver { url, hits }
}
