use std::time::Duration;

use axum::http::StatusCode;
use reqwest::Method;
use serde_json::json;
use simulator::{Faults, OrderInput, OrderItemInput};

use crate::helpers::*;

async fn statuses(h: &simulator::SimulatorHandle, token: &str, n: usize) -> Vec<u16> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(api_get(h, token, "orderStatuses").await.0);
    }
    out
}

#[tokio::test]
async fn injected_errors_are_repeatable_at_a_fixed_seed() {
    let h = start(config(3)).await;
    let token = installed_token(&h).await;
    let faults = Faults {
        error_5xx: 0.3,
        error_429: 0.2,
        seed: 99,
        ..Faults::default()
    };
    h.state().set_faults(faults.clone());
    let first = statuses(&h, &token, 40).await;
    h.state().set_faults(faults);
    let second = statuses(&h, &token, 40).await;
    assert_eq!(first, second, "same seed, same faults");
    let n503 = first.iter().filter(|s| **s == 503).count();
    let n429 = first.iter().filter(|s| **s == 429).count();
    assert!(n503 > 3 && n429 > 2, "{first:?}");
    assert!(first.contains(&200));
    let stats = h.state().stats();
    assert_eq!(stats.faults.error_5xx as usize, 2 * n503);
    assert_eq!(stats.faults.error_429 as usize, 2 * n429);
    assert_eq!(stats.rate_limited_429, 0);
}

#[tokio::test]
async fn malformed_json_and_timeouts() {
    let h = start(config(3)).await;
    let token = installed_token(&h).await;
    h.state().set_faults(Faults {
        malformed_json: 1.0,
        ..Faults::default()
    });
    let r = client()
        .get(format!("{}/{SHOP}/api/orderStatuses", h.base_url()))
        .bearer_auth(&token)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(serde_json::from_str::<serde_json::Value>(&r.text().await.unwrap()).is_err());

    h.state().set_faults(Faults {
        timeout: 1.0,
        timeout_ms: 3_000,
        ..Faults::default()
    });
    let r = reqwest::Client::new()
        .get(format!("{}/{SHOP}/api/orderStatuses", h.base_url()))
        .bearer_auth(&token)
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(r.unwrap_err().is_timeout());

    h.state().set_faults(Faults {
        slow: 1.0,
        slow_ms: 300,
        ..Faults::default()
    });
    let started = std::time::Instant::now();
    assert_eq!(api_get(&h, &token, "orderStatuses").await.0, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(h.state().stats().faults.slow, 1);
}

#[tokio::test]
async fn dropped_webhooks_are_recorded_not_sent() {
    let rx = receiver(StatusCode::OK).await;
    let h = start(config(5)).await;
    let token = installed_token(&h).await;
    let (status, _) = api_send(
        &h,
        &token,
        Method::POST,
        "webHooks",
        json!({"label": "x", "event": "order_confirm", "status": "1", "webHookParameters": [{"type": "json", "url": rx.url}]}),
    )
    .await;
    assert_eq!(status, 200);
    h.state().set_faults(Faults {
        drop_webhook: 0.5,
        seed: 5,
        ..Faults::default()
    });
    for _ in 0..10 {
        h.state()
            .create_order(
                SHOP,
                OrderInput {
                    items: vec![OrderItemInput {
                        product_id: 2,
                        quantity: 1,
                    }],
                    email: Some("a@b.hu".into()),
                    ..Default::default()
                },
            )
            .unwrap();
    }
    let d = h
        .state()
        .wait_for_deliveries(10, Duration::from_secs(5))
        .await;
    let dropped = d.iter().filter(|d| d.dropped).count();
    assert!(dropped > 0 && dropped < 10, "{dropped} of 10 dropped");
    assert_eq!(rx.hits().len(), 10 - dropped);
    assert_eq!(h.state().stats().faults.dropped_webhooks as usize, dropped);
}
