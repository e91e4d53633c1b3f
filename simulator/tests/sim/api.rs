use reqwest::Method;
use serde_json::{json, Value};
use simulator::{AppRegistration, ProductInput};

use crate::helpers::*;

#[tokio::test]
async fn collection_has_the_documented_shape_and_paging() {
    let h = start(config(12)).await;
    let token = installed_token(&h).await;
    let (status, v) = api_get(&h, &token, "productExtend?full=1&page=0&limit=5").await;
    assert_eq!(status, 200);
    assert_eq!(v["page"], "0");
    assert_eq!(v["limit"], "5");
    assert_eq!(v["pageCount"], "3");
    assert!(v["previous"].is_null());
    assert!(v["href"]
        .as_str()
        .unwrap()
        .ends_with("/pelda/api/productExtend?full=1&page=0&limit=5"));
    assert!(v["next"]["href"]
        .as_str()
        .unwrap()
        .ends_with("page=1&limit=5"));
    assert!(v["last"]["href"]
        .as_str()
        .unwrap()
        .ends_with("page=2&limit=5"));
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    assert_eq!(items[0]["productDescriptions"].as_array().unwrap().len(), 2);

    // Following `next` until null visits every record once.
    let mut url = format!("{}/{SHOP}/api/orders?limit=5", h.base_url());
    let mut seen = 0;
    loop {
        let v: Value = client()
            .get(&url)
            .bearer_auth(&token)
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(v.get("pageCount").is_none(), "orders have no pageCount");
        for item in v["items"].as_array().unwrap() {
            assert_eq!(item.as_object().unwrap().len(), 1, "stubs without full=1");
            assert!(item["href"].as_str().unwrap().contains("/api/orders/"));
            seen += 1;
        }
        match v["next"]["href"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, 12);
}

#[tokio::test]
async fn page_out_of_range_is_400_40008() {
    let h = start(config(12)).await;
    let token = installed_token(&h).await;
    let (status, v) = api_get(&h, &token, "customers?page=3&limit=5").await;
    assert_eq!(status, 400);
    assert_eq!(v["error"], 40008);
    assert_eq!(
        v["message"],
        "Page not found! This Resource minimum page is 0 and maximum page is 2"
    );
    assert_eq!(api_get(&h, &token, "customers?limit=201").await.0, 400);
    assert_eq!(api_get(&h, &token, "customers?limit=200").await.0, 200);
}

#[tokio::test]
async fn bad_token_is_401_and_missing_scope_is_403() {
    let mut cfg = config(5);
    cfg.apps.push(AppRegistration {
        app_id: "77".into(),
        client_id: "narrow".into(),
        client_secret: "narrow-secret".into(),
        scopes: vec!["product.product:read".into()],
        ..cfg.apps[0].clone()
    });
    let h = start(cfg).await;
    assert_eq!(api_get(&h, "not-a-token", "productExtend").await.0, 401);
    h.state().install(SHOP, "77").unwrap();
    let r = request_token(&h, SHOP, json!({"grant_type": "client_credentials", "client_id": "narrow", "client_secret": "narrow-secret"})).await;
    let token = r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(api_get(&h, &token, "productExtend").await.0, 200);
    assert_eq!(api_get(&h, &token, "customers").await.0, 403);
    let (status, _) = api_send(
        &h,
        &token,
        Method::POST,
        "productExtend",
        json!({"sku": "X"}),
    )
    .await;
    assert_eq!(status, 403, "read scope does not allow writes");
}

#[tokio::test]
async fn answers_xml_unless_json_is_asked_for() {
    let h = start(config(3)).await;
    let token = installed_token(&h).await;
    let r = client()
        .get(format!("{}/{SHOP}/api/orderStatuses", h.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("xml"));
    assert!(r.text().await.unwrap().starts_with("<?xml"));
}

#[tokio::test]
async fn filters_find_changes_by_date_sku_email_and_inner_id() {
    let h = start(config(40)).await;
    let token = installed_token(&h).await;
    let s = h.state();
    let since = chrono::Utc::now().naive_utc() - chrono::Duration::seconds(2);
    let since = since.format("%Y-%m-%dT%H:%M:%S").to_string();
    let (_, v) = api_get(&h, &token, &format!("productExtend?updatedAfter={since}")).await;
    assert_eq!(
        v["items"].as_array().unwrap().len(),
        0,
        "seed data is older than now"
    );
    let changed = s
        .update_product(
            SHOP,
            7,
            ProductInput {
                price_net: Some(12_345),
                ..Default::default()
            },
        )
        .unwrap();
    let (_, v) = api_get(
        &h,
        &token,
        &format!("productExtend?full=1&updatedAfter={since}"),
    )
    .await;
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["innerId"], "7");
    assert_eq!(items[0]["price"], "12345.0000");
    assert_eq!(
        items[0]["dateUpdated"],
        changed.date_updated.format("%Y-%m-%dT%H:%M:%S").to_string()
    );

    let sku = s.product(SHOP, 9).unwrap().unwrap().sku;
    let (_, v) = api_get(&h, &token, &format!("productExtend?full=1&sku={sku}")).await;
    assert_eq!(v["items"][0]["innerId"], "9");

    let email = s.customer(SHOP, 11).unwrap().unwrap().email;
    let (_, v) = api_get(
        &h,
        &token,
        &format!("customers?full=1&email={}", urlencode(&email)),
    )
    .await;
    assert_eq!(v["items"][0]["innerId"], "11");

    let (_, v) = api_get(&h, &token, "orderExtend?full=1&innerId=5").await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    assert!(v["items"][0]["orderProducts"].is_array());
    assert!(v["items"][0]["orderTotals"].is_array());

    s.update_customer(SHOP, 3, Default::default()).unwrap();
    let (_, v) = api_get(
        &h,
        &token,
        &format!("customers?updatedAtMin={since}&full=1"),
    )
    .await;
    assert_eq!(v["items"][0]["innerId"], "3");
    let (status, v) = api_get(&h, &token, "customers?updatedAtMin=yesterday").await;
    assert_eq!((status, v["error"].clone()), (400, json!(40009)));
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn statuses_and_descriptions_are_bilingual() {
    let h = start(config(3)).await;
    let token = installed_token(&h).await;
    let (_, v) = api_get(&h, &token, "orderStatusDescriptions?full=1&limit=200").await;
    let names: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Függőben lévő") && names.contains(&"Pending"));
    let (_, v) = api_get(&h, &token, "categoryExtend?full=1&limit=1").await;
    assert_eq!(
        v["items"][0]["categoryDescriptions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let (_, v) = api_get(&h, &token, "productDescriptions?full=1&limit=2").await;
    assert_eq!(v["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn api_writes_create_update_and_delete() {
    let h = start(config(3)).await;
    let token = installed_token(&h).await;
    let hu = "bGFuZ3VhZ2UtbGFuZ3VhZ2VfaWQ9MQ==";
    let (status, p) = api_send(
        &h,
        &token,
        Method::POST,
        "productExtend",
        json!({"sku": "NEW-1", "price": "990", "productDescriptions": [{"name": "Új bögre", "language": {"id": hu}}]}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(p["innerId"], "4");
    assert_eq!(p["productDescriptions"][0]["name"], "Új bögre");
    let id = p["id"].as_str().unwrap();
    let (status, p) = api_send(
        &h,
        &token,
        Method::PUT,
        &format!("productExtend/{id}"),
        json!({"data": {"stock1": "5"}}),
    )
    .await;
    assert_eq!((status, p["stock1"].clone()), (200, json!("5")));
    let (status, _) = api_send(
        &h,
        &token,
        Method::DELETE,
        &format!("productExtend/{id}"),
        json!({}),
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(
        api_get(&h, &token, &format!("productExtend/{id}")).await.0,
        404
    );
    let (status, _) = api_send(
        &h,
        &token,
        Method::DELETE,
        "orders/b3JkZXItb3JkZXJfaWQ9MQ==",
        json!({}),
    )
    .await;
    assert_eq!(status, 405, "orders cannot be deleted");
}

#[tokio::test]
async fn webhooks_resource_round_trip() {
    let h = start(config(3)).await;
    let token = installed_token(&h).await;
    let (status, w) = api_send(
        &h,
        &token,
        Method::POST,
        "webHooks",
        json!({"event": "order_confirm", "status": "1", "label": "Test webhook",
               "webHookParameters": [{"type": "json", "url": "https://webhook.site/x"}]}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        w["id"], "d2ViSG9vay1ub3RpZmljYXRpb25faWQ9MQ==",
        "webHook-notification_id=1"
    );
    assert_eq!(w["webHookDelay"], json!([]));
    let (_, list) = api_get(&h, &token, "webHooks?full=1").await;
    assert_eq!(
        list["items"][0]["webHookParameters"][0]["url"],
        "https://webhook.site/x"
    );
    let id = w["id"].as_str().unwrap();
    let (status, w) = api_send(
        &h,
        &token,
        Method::PUT,
        &format!("webHooks/{id}"),
        json!({"status": "0"}),
    )
    .await;
    assert_eq!((status, w["status"].clone()), (200, json!("0")));
    let (status, v) = api_send(&h, &token, Method::POST, "webHooks", json!({"event": "product_create", "status": "1", "label": "x", "webHookParameters": [{"type": "json", "url": "https://x"}]})).await;
    assert_eq!(
        (status, v["error"].clone()),
        (400, json!(40005)),
        "no product events exist"
    );
    assert_eq!(
        api_send(
            &h,
            &token,
            Method::DELETE,
            &format!("webHooks/{id}"),
            json!({})
        )
        .await
        .0,
        204
    );
    assert!(h.state().webhooks(SHOP).unwrap().is_empty());
}

#[tokio::test]
async fn mounted_router_uses_public_base_url_in_links() {
    let mut cfg = config(3);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/shoprenter-sim", listener.local_addr().unwrap());
    cfg.public_base_url = Some(base.clone());
    let state = simulator::SimState::new(cfg).unwrap();
    let app = axum::Router::new().nest("/shoprenter-sim", simulator::router(state.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    state.install(SHOP, "55").unwrap();
    let r = client()
        .post(format!("{base}/{SHOP}/app/token"))
        .json(&credentials())
        .send()
        .await
        .unwrap();
    let token = r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let v: Value = client()
        .get(format!("{base}/{SHOP}/api/customers?limit=1"))
        .bearer_auth(&token)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(v["items"][0]["href"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{base}/{SHOP}/api/customers/")));
    let redirect = state.install(SHOP, "55").unwrap();
    assert_eq!(
        param(&query_of(&redirect), "app_url"),
        Some(format!("{base}/{SHOP}/admin/app/55").as_str())
    );
}

/// Full JSON pages come from each record's cached text: the same document as the record's own
/// URL (which renders afresh), and a record's change or deletion shows on the next page.
#[tokio::test]
async fn listed_records_match_their_own_documents_through_changes() {
    let h = start(config(4)).await;
    let token = installed_token(&h).await;
    let page = |path: &'static str| {
        let (h, token) = (&h, &token);
        async move {
            let (status, v) = api_get(h, token, path).await;
            assert_eq!(status, 200, "{path}");
            v["items"].as_array().expect("items").clone()
        }
    };
    let assert_same_as_own_documents = |items: Vec<Value>| {
        let (h, token) = (&h, &token);
        async move {
            for item in items {
                let href = item["href"].as_str().expect("href");
                let path = href.split("/api/").nth(1).expect("an API link");
                let (status, own) = api_get(h, token, path).await;
                assert_eq!((status, &own), (200, &item), "{path}");
            }
        }
    };
    // Rendered on the first listing, served from the cache on the second.
    for path in [
        "productExtend?full=1&limit=200",
        "customers?full=1&limit=200",
        "orderExtend?full=1&limit=200",
        "categoryExtend?full=1&limit=200",
    ] {
        let from_cache = || h.state().stats().records_from_render_cache;
        let before = from_cache();
        let first = page(path).await;
        assert!(!first.is_empty(), "{path}");
        assert_eq!(from_cache(), before, "{path}: rendered the first time");
        assert_eq!(page(path).await, first, "{path}");
        assert_eq!(
            from_cache(),
            before + first.len() as u64,
            "{path}: served from the cache the second time"
        );
        assert_same_as_own_documents(first).await;
    }
    let products = page("productExtend?full=1&limit=200").await;
    let id = products[1]["id"].as_str().unwrap().to_owned();
    let (status, _) = api_send(
        &h,
        &token,
        Method::PUT,
        &format!("productExtend/{id}"),
        json!({"data": {"stock1": "4321"}}),
    )
    .await;
    assert_eq!(status, 200);
    let after = page("productExtend?full=1&limit=200").await;
    assert_eq!(
        after[1]["stock1"], "4321",
        "a changed record is not served stale"
    );
    assert_eq!(after[0], products[0], "the other records are unchanged");
    assert_same_as_own_documents(after).await;

    h.state().set_order_status(SHOP, 2, 5).expect("status set");
    let five = page("orderExtend?full=1&limit=200").await[1]["orderStatus"].clone();
    h.state().set_order_status(SHOP, 2, 4).expect("status set");
    let orders = page("orderExtend?full=1&limit=200").await;
    assert_eq!(orders[1]["innerId"], "2");
    assert_ne!(
        orders[1]["orderStatus"], five,
        "a changed order is not served stale"
    );
    assert_same_as_own_documents(orders).await;

    let (status, _) = api_send(
        &h,
        &token,
        Method::DELETE,
        &format!("productExtend/{id}"),
        json!({}),
    )
    .await;
    assert_eq!(status, 204);
    let after = page("productExtend?full=1&limit=200").await;
    assert_eq!(after.len(), products.len() - 1);
    assert!(after.iter().all(|p| p["id"] != id.as_str()));
}

/// `prerender` fills the cache with what a listing would render, and listings then use it.
#[tokio::test]
async fn prerendered_records_are_what_a_listing_renders() {
    let fresh = start(config(3)).await;
    let token = installed_token(&fresh).await;
    let warm = start(config(3)).await;
    let warm_token = installed_token(&warm).await;
    let n = warm.state().prerender(SHOP).expect("prerender");
    assert!(n >= 9, "products, customers and orders at least: {n}");
    let mut listed = 0;
    for path in [
        "productExtend?full=1&limit=200",
        "customers?full=1&limit=200",
        "orderExtend?full=1&limit=200",
    ] {
        let (_, a) = api_get(&fresh, &token, path).await;
        let (_, b) = api_get(&warm, &warm_token, path).await;
        // The two simulators listen on different ports; everything else must match.
        let strip = |v: Value, base: &str| {
            serde_json::from_str::<Value>(&v.to_string().replace(base, "BASE")).unwrap()
        };
        listed += b["items"].as_array().expect("items").len() as u64;
        assert_eq!(
            strip(a["items"].clone(), &fresh.base_url()),
            strip(b["items"].clone(), &warm.base_url()),
            "{path}"
        );
    }
    assert!(listed >= 9);
    assert_eq!(
        warm.state().stats().records_from_render_cache,
        listed,
        "every listed record came from the pre-rendered cache"
    );
    assert_eq!(fresh.state().stats().records_from_render_cache, 0);
}
