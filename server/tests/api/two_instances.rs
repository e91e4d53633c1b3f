//! Issue 6: two server instances on one PostgreSQL database sync a shop with no duplicate work.
//!
//! Two `Application`s (each with its job workers, inbox worker and scheduler) share one database;
//! the shop is installed through the first. The same shop is also synced by a single instance, as
//! the baseline. With two instances the shop must see exactly the baseline's API requests (every
//! page fetched once: a job run twice, or a page fetched by both, would add requests), every job
//! must have run once, each resource's progress must count each page once, and the cache must
//! equal the shop. Every API request must also have passed the request window the instances
//! share (`api_rate_windows`; its mechanism is tested in `integration/tests/rate_window.rs`).
//! Needs `TEST_POSTGRES_URL`; skipped without it.

use std::collections::BTreeMap;
use std::time::Duration;

use integration::sync::progress_for_store;
use integration::{with_pool, DbKind};
use simulator::{OrderInput, OrderItemInput, ProductInput};
use uuid::Uuid;

use crate::helpers::{engines, spawn_app, TestApp, SHOP};
use crate::sync::{eventually, synced};

const PRODUCTS: u32 = 650; // 4 product pages of 200
/// New orders after the sync: each fires an `order_confirm` delivery that one of the instances'
/// inbox workers must process (one fetch per order).
const NEW_ORDERS: usize = 30;

/// What one sync of the shop cost and left behind.
#[derive(Debug, PartialEq)]
struct Outcome {
    api_requests: u64,
    /// kind → (jobs, total attempts)
    jobs: BTreeMap<String, (i64, i64)>,
    /// resource → (pages done, records done)
    progress: BTreeMap<String, (i32, i64)>,
    products_cached: i64,
    /// API requests the webhook deliveries of the new orders cost.
    webhook_api_requests: u64,
    /// (status, attempts) → deliveries
    inbox: BTreeMap<(String, i32), i64>,
    /// Whether the shop's requests went through the shared window.
    shared_window_used: bool,
}

async fn seed(app: &TestApp) {
    for i in 0..PRODUCTS {
        app.sim
            .state()
            .create_product(
                SHOP,
                ProductInput {
                    sku: Some(format!("TWO-{i:04}")),
                    name_hu: Some(format!("Termék {i}")),
                    price_net: Some(1000 + u64::from(i)),
                    stock: Some(i % 5),
                    status: Some(1),
                    ..ProductInput::default()
                },
            )
            .unwrap();
    }
}

async fn sync_once(instances: usize, email: &str) -> Outcome {
    let mut app = spawn_app(DbKind::Postgres).await;
    seed(&app).await;
    for _ in 1..instances {
        app.start_another_instance().await;
    }
    let store_id = app.install_for_new_merchant(&app.client, SHOP, email).await;
    synced(&app.db, store_id, Duration::from_secs(120)).await;
    // Webhook registration runs next to the sync; wait for every job to settle.
    let jobs = eventually("jobs settled", Duration::from_secs(60), || async {
        let rows: Vec<(String, String, i32)> = with_pool!(&app.db, |pool| {
            sqlx::query_as("SELECT kind, status, attempts FROM jobs WHERE store_id = $1")
                .bind(store_id)
                .fetch_all(pool)
                .await
                .unwrap()
        });
        rows.iter()
            .all(|(_, status, _)| status == "done")
            .then_some(rows)
    })
    .await;
    // Let a late duplicate (if any) show up in the counters.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut outcome = outcome(&app, store_id, &jobs).await;

    // New orders: the shop sends their deliveries to the first instance; both instances' inbox
    // workers compete for them.
    for i in 0..NEW_ORDERS {
        app.sim
            .state()
            .create_order(
                SHOP,
                OrderInput {
                    email: Some(format!("vevo{i}@example.hu")),
                    items: vec![OrderItemInput {
                        product_id: 1,
                        quantity: 1,
                    }],
                    ..OrderInput::default()
                },
            )
            .unwrap();
    }
    app.sim
        .state()
        .wait_for_deliveries(NEW_ORDERS, Duration::from_secs(30))
        .await;
    let inbox = eventually("deliveries processed", Duration::from_secs(60), || async {
        let rows: Vec<(String, i32, i64)> = with_pool!(&app.db, |pool| {
            sqlx::query_as(
                "SELECT status, attempts, COUNT(*) FROM webhook_inbox WHERE store_id = $1 GROUP BY status, attempts",
            )
            .bind(store_id)
            .fetch_all(pool)
            .await
            .unwrap()
        });
        let total: i64 = rows.iter().map(|r| r.2).sum();
        (total == NEW_ORDERS as i64 && rows.iter().all(|r| r.0 != "pending")).then_some(rows)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    outcome.webhook_api_requests =
        app.sim.state().stats().shops[SHOP].api_requests - outcome.api_requests;
    outcome.inbox = inbox
        .into_iter()
        .map(|(status, attempts, n)| ((status, attempts), n))
        .collect();
    outcome.shared_window_used = with_pool!(&app.db, |pool| {
        sqlx::query_scalar::<_, i32>("SELECT 1 FROM api_rate_windows WHERE shop = $1")
            .bind(SHOP)
            .fetch_optional(pool)
            .await
            .unwrap()
    })
    .is_some();
    app.cleanup().await;
    outcome
}

async fn outcome(app: &TestApp, store_id: Uuid, jobs: &[(String, String, i32)]) -> Outcome {
    let mut by_kind = BTreeMap::new();
    for (kind, _, attempts) in jobs {
        let e = by_kind.entry(kind.clone()).or_insert((0, 0));
        e.0 += 1;
        e.1 += i64::from(*attempts);
    }
    let progress = progress_for_store(&app.db, store_id)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.resource, (p.pages_done, p.records_done)))
        .collect();
    let products_cached: i64 = with_pool!(&app.db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM shoprenter_products_cache WHERE store_id = $1")
            .bind(store_id)
            .fetch_one(pool)
            .await
            .unwrap()
    });
    Outcome {
        api_requests: app.sim.state().stats().shops[SHOP].api_requests,
        jobs: by_kind,
        progress,
        products_cached,
        webhook_api_requests: 0,
        inbox: BTreeMap::new(),
        shared_window_used: false,
    }
}

#[tokio::test]
async fn two_instances_on_one_postgres_sync_a_shop_with_no_duplicate_work() {
    if !engines().contains(&DbKind::Postgres) {
        eprintln!("skipped: set TEST_POSTGRES_URL");
        return;
    }
    let single = sync_once(1, "one@example.hu").await;
    let double = sync_once(2, "two@example.hu").await;
    eprintln!("one instance: {single:?}\ntwo instances: {double:?}");
    for (kind, (jobs, attempts)) in &double.jobs {
        assert_eq!(jobs, attempts, "{kind}: a job ran more than once");
    }
    for (resource, (pages, records)) in &double.progress {
        assert_eq!(
            u64::try_from(*pages).unwrap(),
            u64::try_from(*records).unwrap().div_ceil(200).max(1),
            "{resource}: each page counted once"
        );
    }
    assert!(double.products_cached >= i64::from(PRODUCTS));
    assert_eq!(
        double.webhook_api_requests, NEW_ORDERS as u64,
        "each delivered order fetched once"
    );
    assert_eq!(
        double.inbox,
        BTreeMap::from([(("processed".to_owned(), 1), NEW_ORDERS as i64)]),
        "each delivery processed once, at the first attempt"
    );
    assert!(
        double.shared_window_used,
        "the instances' requests passed their shared window"
    );
    assert_eq!(
        double, single,
        "two instances did more (or other) work than one"
    );
}
