use std::time::Duration;

use crate::helpers::*;

#[tokio::test]
async fn burst_over_three_per_second_gets_429_and_is_counted() {
    let mut cfg = config(3);
    cfg.rate_limit_per_sec = 3;
    let h = start(cfg).await;
    let token = installed_token(&h).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(api_get(&h, &token, "orderStatuses").await.0);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        3,
        "{statuses:?}"
    );
    let stats = h.state().stats();
    assert_eq!(stats.rate_limited_429, 3);
    assert_eq!(stats.shops[SHOP].rate_limited_429, 3);
    assert_eq!(stats.shops[SHOP].max_requests_per_sec, 6);
    assert_eq!(
        stats.faults.error_429, 0,
        "real limit hits are not injected faults"
    );
}

#[tokio::test]
async fn paced_client_never_sees_429() {
    let mut cfg = config(3);
    cfg.rate_limit_per_sec = 3;
    let h = start(cfg).await;
    let token = installed_token(&h).await;
    for _ in 0..2 {
        for _ in 0..3 {
            assert_eq!(api_get(&h, &token, "orderStatuses").await.0, 200);
        }
        tokio::time::sleep(Duration::from_millis(1_050)).await;
    }
    let stats = h.state().stats();
    assert_eq!(stats.rate_limited_429, 0);
    assert!(stats.max_requests_per_sec <= 3, "{stats:?}");
    assert_eq!(stats.api_requests, 6);
}

#[tokio::test]
async fn limit_is_per_app_and_shop_and_can_be_changed() {
    let mut cfg = config(3);
    cfg.rate_limit_per_sec = 1;
    cfg.shops.push(simulator::ShopSeed::sized("masik", 9, 3));
    let h = start(cfg).await;
    let token = installed_token(&h).await;
    h.state().install("masik", "55").unwrap();
    let r = request_token(&h, "masik", credentials()).await;
    let other: serde_json::Value = r.json().await.unwrap();
    let other = other["access_token"].as_str().unwrap();
    assert_eq!(api_get(&h, &token, "orderStatuses").await.0, 200);
    let r = client()
        .get(format!("{}/masik/api/orderStatuses", h.base_url()))
        .bearer_auth(other)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "another shop has its own budget");
    assert_eq!(api_get(&h, &token, "orderStatuses").await.0, 429);
    h.state().set_rate_limit(0);
    assert_eq!(api_get(&h, &token, "orderStatuses").await.0, 200);
}
