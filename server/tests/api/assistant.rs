//! The assistant data API over HTTP, on every engine: bearer keys scoped to one store, search,
//! order status without an existence oracle, customer lookup, OpenAPI and tool descriptions.

use chrono::Utc;
use integration::accounts::User;
use integration::assistant::testing::{
    order_json, product_json, seed_customer, seed_orders, seed_products, seed_store,
};
use integration::storage::stores;
use integration::Error;
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{engines, spawn_app, TestApp};

struct Shops {
    alfa: Uuid,
    beta: Uuid,
    alfa_key: String,
    beta_key: String,
}

async fn owner(app: &TestApp, store: Uuid) -> User {
    let record = stores::find(&app.db, store).await.unwrap().unwrap();
    User {
        id: record.user_id,
        email: "owner@example.test".into(),
        created_at: Utc::now(),
    }
}

/// `alfa` sells coffee and has Anna's order 1001; `beta` has a product and an order 1001 of its own.
async fn seed(app: &TestApp) -> Shops {
    let db = &app.db;
    let alfa = seed_store(db, "alfa", Some(Utc::now())).await.unwrap();
    let beta = seed_store(db, "beta", Some(Utc::now())).await.unwrap();
    seed_products(
        db,
        alfa,
        &[
            product_json("p-1", "Kávé szemes 1 kg", "KAV-001", 12990.0, 7, "Arabica"),
            product_json("p-2", "Teáskanna", "TEA-010", 5990.0, 0, "Üveg"),
        ],
    )
    .await
    .unwrap();
    seed_products(
        db,
        beta,
        &[product_json("b-1", "Titkos kávé", "BETA-1", 990.0, 1, "")],
    )
    .await
    .unwrap();
    let statuses = [("st-4", "Teljesítve")];
    let anna = order_json(
        "o-1",
        "1001",
        ("Anna", "Kiss"),
        "+36 20 123 4567",
        "anna@example.hu",
        "st-4",
        &[("Kávé szemes 1 kg", "KAV-001", 1, 12990.0)],
    );
    seed_orders(db, alfa, &[anna], &statuses).await.unwrap();
    let bela = order_json(
        "bo-1",
        "1001",
        ("Béla", "Nagy"),
        "06 30 999 8888",
        "bela@example.hu",
        "st-4",
        &[("Titkos kávé", "BETA-1", 1, 990.0)],
    );
    seed_orders(db, beta, &[bela], &statuses).await.unwrap();
    seed_customer(db, alfa, "c-1", ("Anna", "Kiss"), "06201234567")
        .await
        .unwrap();
    let alfa_owner = owner(app, alfa).await;
    let beta_owner = owner(app, beta).await;
    let alfa_key = app
        .engine
        .create_assistant_key(&alfa_owner, alfa, "phone bot")
        .await
        .unwrap();
    let beta_key = app
        .engine
        .create_assistant_key(&beta_owner, beta, "phone bot")
        .await
        .unwrap();
    Shops {
        alfa,
        beta,
        alfa_key: alfa_key.key.expose_secret().to_owned(),
        beta_key: beta_key.key.expose_secret().to_owned(),
    }
}

/// An API client: no cookies, no `Origin` (not a browser).
fn api() -> reqwest::Client {
    reqwest::Client::new()
}

async fn search(app: &TestApp, key: Option<&str>, query: &str) -> (StatusCode, Value) {
    let mut request = api().get(app.url(&format!("/api/assistant/v1/products/search?{query}")));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.unwrap();
    (
        response.status(),
        response.json().await.unwrap_or(Value::Null),
    )
}

async fn post(app: &TestApp, key: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let response = api()
        .post(app.url(path))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    (
        response.status(),
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn search_is_accent_insensitive_and_needs_a_key() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let shops = seed(&app).await;
        let (status, body) = search(&app, Some(&shops.alfa_key), "q=kave").await;
        assert_eq!(status, 200, "{kind:?}: {body}");
        assert_eq!(body["products"][0]["name"], "Kávé szemes 1 kg");
        assert_eq!(body["products"][0]["price_gross"]["formatted"], "12 990 Ft");
        assert_eq!(body["products"][0]["availability"], "in_stock");
        assert_eq!(
            body["products"].as_array().unwrap().len(),
            1,
            "beta's coffee never shows"
        );
        assert!(body["freshness"]["store_last_sync_at"].is_string());

        let (status, body) = search(&app, Some(&shops.alfa_key), "q=tea-010&limit=1").await;
        assert_eq!(
            (status, body["products"][0]["availability"].clone()),
            (StatusCode::OK, json!("out_of_stock"))
        );

        let (status, body) = search(&app, None, "q=kave").await;
        assert_eq!(status, 401);
        assert_eq!(body, json!({"error": "missing or invalid API key"}));
        let (status, _) = search(&app, Some("sca_not-a-real-key"), "q=kave").await;
        assert_eq!(status, 401);
        let (status, body) = search(&app, Some(&shops.alfa_key), "limit=3").await;
        assert_eq!(status, 400);
        assert!(body["error"].is_string());
        let (status, _) = search(&app, Some(&shops.alfa_key), "q=kave&limit=500").await;
        assert_eq!(status, 400);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn order_status_answers_only_the_matching_contact_and_never_reveals_existence() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let shops = seed(&app).await;
        let path = "/api/assistant/v1/orders/status";
        let (status, body) = post(
            &app,
            &shops.alfa_key,
            path,
            json!({"order_number": "1001", "phone": "06 20 123 4567"}),
        )
        .await;
        assert_eq!(status, 200, "{kind:?}: {body}");
        assert_eq!(
            body["status"],
            json!({"hu": "Teljesítve", "en": "Completed"})
        );
        assert_eq!(body["items"][0]["sku"], "KAV-001");
        assert_eq!(body["total_gross"]["formatted"], "12 990 Ft");
        assert!(body["status_changed_at"].is_string());
        assert!(body["freshness"]["record_updated_at"].is_string());

        let wrong_phone = post(
            &app,
            &shops.alfa_key,
            path,
            json!({"order_number": "1001", "phone": "+36 30 999 8888"}),
        )
        .await;
        let no_order = post(
            &app,
            &shops.alfa_key,
            path,
            json!({"order_number": "424242", "phone": "+36 20 123 4567"}),
        )
        .await;
        assert_eq!(wrong_phone.0, 404);
        assert_eq!(
            wrong_phone, no_order,
            "same answer for a wrong phone and no order"
        );

        // Beta's key with Anna's contact: beta's own order 1001 is not Anna's.
        let cross = post(
            &app,
            &shops.beta_key,
            path,
            json!({"order_number": "1001", "email": "anna@example.hu"}),
        )
        .await;
        assert_eq!(cross, no_order);

        let (status, _) = post(&app, &shops.alfa_key, path, json!({"order_number": "1001"})).await;
        assert_eq!(status, 400);
        let response = api()
            .post(app.url(path))
            .bearer_auth(&shops.alfa_key)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn customer_lookup_by_phone_with_recent_orders() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let shops = seed(&app).await;
        let path = "/api/assistant/v1/customers/lookup";
        let (status, body) = post(
            &app,
            &shops.alfa_key,
            path,
            json!({"phone": "+36201234567"}),
        )
        .await;
        assert_eq!(status, 200, "{kind:?}: {body}");
        assert_eq!(body["name"], "Anna Kiss");
        assert_eq!(body["recent_orders"][0]["order_number"], "1001");
        let (status, _) = post(
            &app,
            &shops.beta_key,
            path,
            json!({"phone": "+36201234567"}),
        )
        .await;
        assert_eq!(status, 404, "beta's key does not find alfa's customer");
        let (status, _) = post(&app, &shops.alfa_key, path, json!({"phone": "hello"})).await;
        assert_eq!(status, 400);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn revoked_keys_are_refused_and_only_the_owner_manages_keys() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let shops = seed(&app).await;
        let alfa_owner = owner(&app, shops.alfa).await;
        let beta_owner = owner(&app, shops.beta).await;
        let keys = app
            .engine
            .list_assistant_keys(&alfa_owner, shops.alfa)
            .await
            .unwrap();
        assert_eq!(keys.len(), 1);
        assert!(shops
            .alfa_key
            .starts_with(keys[0].prefix.trim_end_matches('…')));
        assert!(matches!(
            app.engine
                .list_assistant_keys(&beta_owner, shops.alfa)
                .await,
            Err(Error::StoreNotFound)
        ));
        assert!(matches!(
            app.engine
                .revoke_assistant_key(&beta_owner, shops.alfa, keys[0].id)
                .await,
            Err(Error::StoreNotFound)
        ));
        assert_eq!(search(&app, Some(&shops.alfa_key), "q=kave").await.0, 200);
        assert!(app
            .engine
            .revoke_assistant_key(&alfa_owner, shops.alfa, keys[0].id)
            .await
            .unwrap());
        let (status, body) = search(&app, Some(&shops.alfa_key), "q=kave").await;
        assert_eq!(status, 401);
        assert_eq!(body, json!({"error": "missing or invalid API key"}));
        let listed = app
            .engine
            .list_assistant_keys(&alfa_owner, shops.alfa)
            .await
            .unwrap();
        assert!(listed[0].revoked_at.is_some());
        assert!(!app
            .engine
            .revoke_assistant_key(&alfa_owner, shops.alfa, keys[0].id)
            .await
            .unwrap());
        // The key itself is never logged.
        assert!(!crate::helpers::captured_logs().contains(&shops.alfa_key));
        app.cleanup().await;
    }
}

#[tokio::test]
async fn openapi_and_tools_are_served_and_agree() {
    let app = spawn_app(integration::DbKind::Sqlite).await;
    let doc: Value = api()
        .get(app.url("/api/assistant/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/assistant/v1/products/search",
        "/api/assistant/v1/orders/status",
        "/api/assistant/v1/customers/lookup",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    assert!(doc["components"]["securitySchemes"]["api_key"].is_object());

    let tools: Value = api()
        .get(app.url("/api/assistant/tools.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    let order_tool = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["function"]["name"] == "get_order_status")
        .unwrap();
    let params = &order_tool["function"]["parameters"];
    assert!(params["properties"]["order_number"].is_object(), "{params}");
    assert!(
        params.to_string().find("$ref").is_none(),
        "tool schemas are self-contained"
    );
    assert_eq!(tools["routes"]["search_products"]["method"], "GET");

    // Unknown assistant paths are this API's JSON 404, not a Leptos server function.
    let response = api()
        .post(app.url("/api/assistant/v1/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"error": "no such endpoint"})
    );
    // ... while other /api/ paths still reach Leptos's server functions.
    let response = api()
        .post(app.url("/api/not_an_assistant_route"))
        .send()
        .await
        .unwrap();
    assert_ne!(
        response.text().await.unwrap(),
        json!({"error": "no such endpoint"}).to_string()
    );
    app.cleanup().await;
}
