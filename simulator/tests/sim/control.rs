use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn control_api_mutates_and_reports() {
    let h = start(config(5)).await;
    let base = format!("{}/_control", h.base_url());
    let c = client();

    let p: Value = c
        .post(format!("{base}/shops/{SHOP}/products"))
        .json(&json!({"name_hu": "Teszt kávé", "price_net": 2500}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(p["inner_id"], 6);
    let p: Value = c
        .put(format!("{base}/shops/{SHOP}/products/6"))
        .json(&json!({"stock": 9}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(p["stock"], 9);
    assert_eq!(
        c.delete(format!("{base}/shops/{SHOP}/products/6"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        c.delete(format!("{base}/shops/{SHOP}/products/6"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    let cu: Value = c.post(format!("{base}/shops/{SHOP}/customers")).json(&json!({"firstname": "Anna", "lastname": "Nagy", "email": "nagy.anna@example.hu", "telephone": "06-20-555-1234"})).send().await.unwrap().json().await.unwrap();
    let cid = cu["inner_id"].as_u64().unwrap();
    let o: Value = c
        .post(format!("{base}/shops/{SHOP}/orders"))
        .json(&json!({"customer_id": cid, "items": [{"product_id": 1, "quantity": 2}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(o["phone"], "06-20-555-1234");
    let oid = o["inner_id"].as_u64().unwrap();
    let o: Value = c
        .put(format!("{base}/shops/{SHOP}/orders/{oid}/status"))
        .json(&json!({"status_id": 4}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(o["status_id"], 4);
    assert_eq!(
        c.put(format!("{base}/shops/{SHOP}/orders/{oid}/status"))
            .json(&json!({"status_id": 99}))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        c.post(format!("{base}/shops/nincs/customers"))
            .json(&json!({"email": "x@y.hu"}))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    let f: Value = c
        .put(format!("{base}/faults"))
        .json(&json!({"error_5xx": 0.25, "seed": 3}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(f["error_5xx"], 0.25);
    assert_eq!(h.state().faults().seed, 3);
    c.put(format!("{base}/rate-limit"))
        .json(&json!({"per_sec": 7}))
        .send()
        .await
        .unwrap();
    assert_eq!(h.state().rate_limit(), 7);

    let install: Value = c
        .post(format!("{base}/shops/{SHOP}/apps/55/install"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(install["redirect_url"].as_str().unwrap().contains("hmac="));
    let shops: Value = c
        .get(format!("{base}/shops"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shops[0]["installed_apps"], json!(["55"]));
    assert_eq!(shops[0]["customers"], 6);

    let stats: Value = c
        .get(format!("{base}/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["api_requests"], 0);
    let deliveries: Value = c
        .get(format!("{base}/deliveries"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(deliveries, json!([]));
}

#[tokio::test]
async fn demo_config_has_one_small_shop() {
    let cfg = simulator::SimulatorConfig::demo(simulator::AppRegistration::shopcall_demo(
        "http://127.0.0.1:3000/",
    ));
    assert_eq!(cfg.shops.len(), 1);
    assert_eq!(cfg.shops[0].name, simulator::DEMO_SHOP);
    assert_eq!(
        cfg.apps[0].redirect_uri,
        "http://127.0.0.1:3000/auth/shoprenter/callback"
    );
    assert_eq!(cfg.rate_limit_per_sec, 3);
    let h = simulator::Simulator::start(cfg).await.unwrap();
    let (products, _, customers, orders) = h.state().counts(simulator::DEMO_SHOP).unwrap();
    assert!((100..=1000).contains(&products) && customers > 0 && orders > 0);
    assert_eq!(
        h.api_url_template(),
        format!("{}/{{shopname}}/api", h.base_url())
    );
    h.shutdown().await;
}
