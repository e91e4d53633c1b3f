use std::time::{Duration, Instant};

use axum::http::StatusCode;
use reqwest::Method;
use serde_json::{json, Value};
use simulator::{OrderInput, OrderItemInput, SimulatorConfig};

use crate::helpers::*;

async fn register(h: &simulator::SimulatorHandle, token: &str, event: &str, url: &str) {
    let (status, _) = api_send(
        h,
        token,
        Method::POST,
        "webHooks",
        json!({"label": event, "event": event, "status": "1", "webHookParameters": [{"type": "json", "url": url}]}),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn order_created_through_the_api_is_delivered_as_multipart() {
    let rx = receiver(StatusCode::OK).await;
    let h = start(config(10)).await;
    let token = installed_token(&h).await;
    register(
        &h,
        &token,
        "order_confirm",
        &format!("{}/webhooks/shoprenter/orders/secret123", rx.url),
    )
    .await;
    register(
        &h,
        &token,
        "order_status_change",
        &format!("{}/status", rx.url),
    )
    .await;

    let (status, order) = api_send(
        &h,
        &token,
        Method::POST,
        "orders",
        json!({"firstname": "Éva", "lastname": "Kiss", "email": "kiss.eva@example.hu", "phone": "+36 30 123 4567",
               "orderProducts": [{"product": {"id": "cHJvZHVjdC1wcm9kdWN0X2lkPTI="}, "quantity": "2"}]}),
    )
    .await;
    assert_eq!(status, 200);
    let inner = order["innerId"].as_str().unwrap().to_string();

    let deliveries = h
        .state()
        .wait_for_deliveries(1, Duration::from_secs(5))
        .await;
    assert_eq!(deliveries.len(), 1, "only the order_confirm hook fires");
    assert_eq!(deliveries[0].status, Some(200));
    assert_eq!(deliveries[0].event, "order_confirm");
    let hit = &rx.hits()[0];
    assert_eq!(hit.method, "POST");
    assert_eq!(hit.path, "/webhooks/shoprenter/orders/secret123");
    assert_eq!(hit.headers["user-agent"], "ShopRenter");
    assert!(hit.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("multipart/form-data; boundary="));
    assert_eq!(hit.fields.len(), 1);
    assert_eq!(hit.fields[0].0, "data");
    let data: Value = serde_json::from_str(&hit.fields[0].1).unwrap();
    let o = &data["orders"]["order"][0];
    assert_eq!(o["storeName"], SHOP);
    assert_eq!(o["innerId"], inner.as_str());
    assert_eq!(
        o["innerResourceId"],
        format!("orders/{}", order["id"].as_str().unwrap())
    );
    assert_eq!(o["firstname"], "Éva");
    assert_eq!(o["phone"], "+36 30 123 4567");
    assert_eq!(o["currency"], "HUF");
    assert_eq!(o["orderHistory"]["status"], "1");
    assert_eq!(o["orderHistory"]["statusText"], "Függőben lévő");
    assert_eq!(o["orderProducts"]["orderProduct"][0]["quantity"], "2");
    assert!(
        o["shippingNetPrice"].is_number(),
        "as in the captured delivery"
    );
    assert!(
        o["totalGross"].as_str().unwrap().parse::<u64>().unwrap()
            > o["total"].as_str().unwrap().parse::<u64>().unwrap()
    );

    // A status change through the control API goes to the status hook.
    let r = client()
        .put(format!(
            "{}/_control/shops/{SHOP}/orders/{inner}/status",
            h.base_url()
        ))
        .json(&json!({"status_id": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let deliveries = h
        .state()
        .wait_for_deliveries(2, Duration::from_secs(5))
        .await;
    assert_eq!(deliveries[1].event, "order_status_change");
    let data: Value = serde_json::from_str(&deliveries[1].data).unwrap();
    assert_eq!(
        data["orders"]["order"][0]["orderHistory"]["statusText"],
        "Kiszállítás alatt"
    );
    assert_eq!(rx.hits()[1].path, "/status");
}

#[tokio::test]
async fn status_change_through_api_put_fires_and_disabled_hooks_do_not() {
    let rx = receiver(StatusCode::INTERNAL_SERVER_ERROR).await;
    let h = start(config(10)).await;
    let token = installed_token(&h).await;
    register(&h, &token, "order_status_change", &format!("{}/on", rx.url)).await;
    let (_, off) = api_send(
        &h,
        &token,
        Method::POST,
        "webHooks",
        json!({"label": "off", "event": "order_status_change", "status": "0", "webHookParameters": [{"type": "json", "url": format!("{}/off", rx.url)}]}),
    )
    .await;
    assert_eq!(off["status"], "0");
    let order_id = "b3JkZXItb3JkZXJfaWQ9NA=="; // order-order_id=4
    let current = h.state().order(SHOP, 4).unwrap().unwrap().status_id;
    let next = if current == 5 { 4 } else { 5 };
    let status_id = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("orderStatus-order_status_id={next}"),
    );
    let (status, _) = api_send(
        &h,
        &token,
        Method::PUT,
        &format!("orders/{order_id}"),
        json!({"orderStatus": {"id": status_id}}),
    )
    .await;
    assert_eq!(status, 200);
    let d = h
        .state()
        .wait_for_deliveries(1, Duration::from_secs(5))
        .await;
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].status, Some(500), "the receiver's answer is recorded");
    assert_eq!(d[0].order_inner_id, 4);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(rx.hits().iter().all(|h| h.path == "/on"));
}

#[tokio::test]
async fn webhook_delay_is_applied() {
    let rx = receiver(StatusCode::OK).await;
    let h = start(SimulatorConfig {
        webhook_delay_ms: 400,
        ..config(5)
    })
    .await;
    let token = installed_token(&h).await;
    register(&h, &token, "order_confirm", &rx.url).await;
    let started = Instant::now();
    h.state()
        .create_order(
            SHOP,
            OrderInput {
                customer_id: Some(1),
                items: vec![OrderItemInput {
                    product_id: 1,
                    quantity: 1,
                }],
                ..Default::default()
            },
        )
        .unwrap();
    assert!(h.state().deliveries().is_empty());
    let d = h
        .state()
        .wait_for_deliveries(1, Duration::from_secs(5))
        .await;
    assert_eq!(d.len(), 1);
    assert!(started.elapsed() >= Duration::from_millis(400));
    let c = h.state().customer(SHOP, 1).unwrap().unwrap();
    let data: Value = serde_json::from_str(&d[0].data).unwrap();
    assert_eq!(
        data["orders"]["order"][0]["email"],
        c.email.as_str(),
        "customer details fill the order"
    );
}
