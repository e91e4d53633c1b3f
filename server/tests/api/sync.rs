//! Background sync and order webhooks against the simulator: seed Test Cases 5 and 7, webhook
//! route rules, fault injection ending with cache == shop. SQLite always, PostgreSQL when
//! `TEST_POSTGRES_URL` is set.

use std::future::Future;
use std::time::Duration;

use integration::sync::{progress_for_store, request_sync_now};
use integration::{with_pool, Db};
use simulator::{Faults, OrderInput, OrderItemInput, ProductInput};
use uuid::Uuid;

use crate::helpers::{engines, spawn_app, TestApp, SHOP};

/// Polls `check` until it returns `Some`, or panics after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until every resource finished a full pass.
pub async fn synced(db: &Db, store_id: Uuid, timeout: Duration) {
    eventually("initial sync", timeout, || async {
        let p = progress_for_store(db, store_id).await.unwrap();
        (p.len() == 5 && p.iter().all(|r| r.status == "done")).then_some(())
    })
    .await;
}

async fn scalar_i64(db: &Db, sql: &str, store_id: Uuid) -> i64 {
    with_pool!(db, |pool| sqlx::query_scalar::<_, i64>(sql)
        .bind(store_id)
        .fetch_one(pool)
        .await
        .unwrap())
}

/// (platform id, inner id / sku, name, price, stock, active) per cached product.
async fn cached_products(
    db: &Db,
    store_id: Uuid,
) -> Vec<(
    String,
    Option<String>,
    Option<String>,
    Option<f64>,
    Option<i64>,
    Option<bool>,
)> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT shoprenter_product_id, sku, name, CAST(price AS DOUBLE PRECISION), CAST(stock AS BIGINT), active
             FROM shoprenter_products_cache WHERE store_id = $1 ORDER BY sku",
        )
        .bind(store_id)
        .fetch_all(pool)
        .await
        .unwrap()
    })
}

async fn cached_ids(db: &Db, table: &str, column: &str, store_id: Uuid) -> Vec<String> {
    let sql = format!("SELECT {column} FROM {table} WHERE store_id = $1 ORDER BY {column}");
    with_pool!(db, |pool| sqlx::query_scalar::<_, String>(&sql)
        .bind(store_id)
        .fetch_all(pool)
        .await
        .unwrap())
}

fn gross(net: u64) -> f64 {
    ((net * 127 + 50) / 100) as f64
}

#[tokio::test]
async fn tc5_products_are_cached_and_equal_to_the_shop() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        // Enough products for several pages (200 per page).
        for i in 0..450 {
            app.sim
                .state()
                .create_product(
                    SHOP,
                    ProductInput {
                        sku: Some(format!("TC5-{i:04}")),
                        name_hu: Some(format!("Teszt termék {i}")),
                        price_net: Some(1000 + i),
                        stock: Some((i % 7) as u32),
                        status: Some(if i % 10 == 0 { 0 } else { 1 }),
                        ..ProductInput::default()
                    },
                )
                .unwrap();
        }
        let store_id = app
            .install_for_new_merchant(&app.client, SHOP, "tc5@example.hu")
            .await;
        synced(&app.db, store_id, Duration::from_secs(60)).await;

        let (products, categories, customers, orders) = app.sim.state().counts(SHOP).unwrap();
        let cached = cached_products(&app.db, store_id).await;
        assert_eq!(cached.len(), products, "{kind:?}: every product cached");
        for inner_id in 1..=(products as u32 + 10) {
            let Some(p) = app.sim.state().product(SHOP, inner_id).unwrap() else {
                continue;
            };
            let row = cached
                .iter()
                .find(|r| r.1.as_deref() == Some(p.sku.as_str()))
                .unwrap_or_else(|| panic!("{} missing", p.sku));
            assert_eq!(
                row.2.as_deref(),
                Some(p.text.hu.name.as_str()),
                "{kind:?}: name of {}",
                p.sku
            );
            let price = row.3.unwrap();
            assert!(
                price == gross(p.price_net) || price == p.price_net as f64,
                "{kind:?}: price of {}: {price}",
                p.sku
            );
            assert_eq!(
                row.4,
                Some(i64::from(p.stock)),
                "{kind:?}: stock of {}",
                p.sku
            );
            assert_eq!(row.5, Some(p.status == 1), "{kind:?}: status of {}", p.sku);
        }
        assert_eq!(
            scalar_i64(
                &app.db,
                "SELECT COUNT(*) FROM shoprenter_categories_cache WHERE store_id = $1",
                store_id
            )
            .await as usize,
            categories
        );
        assert_eq!(
            scalar_i64(
                &app.db,
                "SELECT COUNT(*) FROM shoprenter_customers_cache WHERE store_id = $1",
                store_id
            )
            .await as usize,
            customers
        );
        assert_eq!(
            scalar_i64(
                &app.db,
                "SELECT COUNT(*) FROM shoprenter_orders_cache WHERE store_id = $1",
                store_id
            )
            .await as usize,
            orders
        );
        assert!(
            scalar_i64(
                &app.db,
                "SELECT COUNT(*) FROM shoprenter_order_items_cache WHERE store_id = $1",
                store_id
            )
            .await
                > 0
        );
        assert!(
            scalar_i64(
                &app.db,
                "SELECT COUNT(*) FROM shoprenter_order_statuses_cache WHERE store_id = $1",
                store_id
            )
            .await
                > 0
        );

        // Progress: done / total for the UI, and last_sync_at.
        let progress = progress_for_store(&app.db, store_id).await.unwrap();
        let p = progress.iter().find(|p| p.resource == "products").unwrap();
        assert_eq!(p.records_done as usize, products);
        assert_eq!(p.pages_done, 3);
        assert_eq!(p.fraction(), Some(1.0));
        let store = integration::storage::stores::find(&app.db, store_id)
            .await
            .unwrap()
            .unwrap();
        assert!(store.last_sync_at.is_some());
        app.cleanup().await;
    }
}

/// The store's webhook URL for `event`, as registered in the shop.
async fn registered_url(app: &TestApp, store_id: Uuid, event: &str) -> String {
    eventually("webhook registration", Duration::from_secs(30), || async {
        let rows: Vec<(String, String, Option<String>)> = with_pool!(&app.db, |pool| {
            sqlx::query_as("SELECT event, callback_url, shoprenter_webhook_id FROM shoprenter_webhooks WHERE store_id = $1")
                .bind(store_id)
                .fetch_all(pool)
                .await
                .unwrap()
        });
        rows.into_iter().find(|r| r.0 == event && r.2.is_some()).map(|r| r.1)
    })
    .await
}

async fn inbox_rows(db: &Db, store_id: Uuid) -> Vec<(String, Option<String>)> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT status, last_error FROM webhook_inbox WHERE store_id = $1 ORDER BY received_at",
        )
        .bind(store_id)
        .fetch_all(pool)
        .await
        .unwrap()
    })
}

#[tokio::test]
async fn tc7_a_new_order_reaches_the_cache_through_the_webhook() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let store_id = app
            .install_for_new_merchant(&app.client, SHOP, "tc7@example.hu")
            .await;
        let url = registered_url(&app, store_id, "order_confirm").await;
        registered_url(&app, store_id, "order_status_change").await;
        assert!(
            url.contains("/webhooks/shoprenter/pelda/") && url.ends_with("?event=order_confirm"),
            "{url}"
        );
        let hooks = app.sim.state().webhooks(SHOP).unwrap();
        assert_eq!(
            hooks.len(),
            2,
            "{kind:?}: one webhook per event in the shop"
        );
        synced(&app.db, store_id, Duration::from_secs(30)).await;

        let order = app
            .sim
            .state()
            .create_order(
                SHOP,
                OrderInput {
                    firstname: Some("Teszt".into()),
                    lastname: Some("Elek".into()),
                    email: Some("teszt.elek@example.hu".into()),
                    phone: Some("+36 30 123 4567".into()),
                    items: vec![OrderItemInput {
                        product_id: 1,
                        quantity: 2,
                    }],
                    ..OrderInput::default()
                },
            )
            .unwrap();
        let deliveries = app
            .sim
            .state()
            .wait_for_deliveries(1, Duration::from_secs(10))
            .await;
        assert_eq!(deliveries.len(), 1);
        assert_eq!(
            deliveries[0].status,
            Some(200),
            "{kind:?}: 200 sent to ShopRenter"
        );

        let inner = order.inner_id.to_string();
        let (email, items): (Option<String>, i64) = eventually("order in the cache", Duration::from_secs(10), || async {
            with_pool!(&app.db, |pool| {
                sqlx::query_as::<_, (Option<String>, i64)>(
                    "SELECT o.customer_email, (SELECT COUNT(*) FROM shoprenter_order_items_cache i WHERE i.order_id = o.id)
                     FROM shoprenter_orders_cache o WHERE o.store_id = $1 AND o.inner_id = $2",
                )
                .bind(store_id)
                .bind(&inner)
                .fetch_optional(pool)
                .await
                .unwrap()
            })
        })
        .await;
        assert_eq!(email.as_deref(), Some("teszt.elek@example.hu"));
        assert_eq!(items, 1);
        let received = eventually("total_received", Duration::from_secs(10), || async {
            let n = scalar_i64(
                &app.db,
                "SELECT CAST(total_received AS BIGINT) FROM shoprenter_webhooks WHERE store_id = $1 AND event = 'order_confirm'",
                store_id,
            )
            .await;
            (n > 0).then_some(n)
        })
        .await;
        assert_eq!(received, 1);
        let health = integration::webhooks::health(&app.db, store_id)
            .await
            .unwrap();
        assert!(health
            .iter()
            .any(|h| h.event == "order_confirm" && h.last_received_at.is_some()));

        // The same delivery again is answered 200 and processed once.
        let data = deliveries[0].data.clone();
        let again = multipart(&app, &url, &data).await;
        assert_eq!(again.status(), 200);
        assert_eq!(
            inbox_rows(&app.db, store_id).await.len(),
            1,
            "{kind:?}: duplicate not stored twice"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn housekeeping_deletes_finished_deliveries_and_jobs_past_their_retention_and_keeps_the_cache(
) {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let store_id = app
            .install_for_new_merchant(&app.client, SHOP, "retention@example.hu")
            .await;
        registered_url(&app, store_id, "order_confirm").await;
        synced(&app.db, store_id, Duration::from_secs(30)).await;
        let order = app
            .sim
            .state()
            .create_order(
                SHOP,
                OrderInput {
                    items: vec![OrderItemInput {
                        product_id: 1,
                        quantity: 1,
                    }],
                    ..OrderInput::default()
                },
            )
            .unwrap();
        let inner = order.inner_id.to_string();
        eventually("delivery processed", Duration::from_secs(10), || async {
            let rows = inbox_rows(&app.db, store_id).await;
            (rows.len() == 1 && rows[0].0 == "processed").then_some(())
        })
        .await;
        let finished_jobs = |db: Db| async move {
            with_pool!(&db, |pool| sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM jobs WHERE status IN ('done', 'dead', 'cancelled')"
            )
            .fetch_one(pool)
            .await
            .unwrap())
        };
        assert!(finished_jobs(app.db.clone()).await > 0, "{kind:?}");

        let keep = |days| integration::Retention {
            finished_jobs: chrono::Duration::days(days),
            webhook_deliveries: chrono::Duration::days(days),
        };
        let pruned = app.engine.housekeeping(keep(1)).await.unwrap();
        assert_eq!(
            (pruned.jobs, pruned.deliveries),
            (0, 0),
            "{kind:?}: all recent"
        );
        // A retention of nothing: everything finished before now goes.
        let pruned = app.engine.housekeeping(keep(0)).await.unwrap();
        assert_eq!(pruned.deliveries, 1, "{kind:?}");
        assert!(pruned.jobs > 0, "{kind:?}");
        assert!(inbox_rows(&app.db, store_id).await.is_empty(), "{kind:?}");
        assert_eq!(finished_jobs(app.db.clone()).await, 0, "{kind:?}");
        let cached: Option<String> = with_pool!(&app.db, |pool| {
            sqlx::query_scalar(
            "SELECT inner_id FROM shoprenter_orders_cache WHERE store_id = $1 AND inner_id = $2"
        )
        .bind(store_id)
        .bind(&inner)
        .fetch_optional(pool)
        .await
        .unwrap()
        });
        assert_eq!(
            cached,
            Some(inner),
            "{kind:?}: the cache is not housekeeping's"
        );
        app.cleanup().await;
    }
}

async fn multipart(app: &TestApp, url: &str, data: &str) -> reqwest::Response {
    let form = reqwest::multipart::Form::new().text("data", data.to_owned());
    app.client.post(url).multipart(form).send().await.unwrap()
}

#[tokio::test]
async fn webhook_route_rejects_unknown_stores_and_wrong_secrets_and_keeps_malformed_deliveries() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let store_id = app
            .install_for_new_merchant(&app.client, SHOP, "route@example.hu")
            .await;
        let url = registered_url(&app, store_id, "order_confirm").await;
        let secret = url
            .split('/')
            .nth(6)
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        let body = r#"{"orders":{"order":[{"storeName":"pelda","innerId":"1","innerResourceId":"orders/b3JkZXItb3JkZXJfaWQ9MQ==","orderHistory":{"status":"1"}}]}}"#;

        let wrong = app.url(&format!(
            "/webhooks/shoprenter/{SHOP}/{}x?event=order_confirm",
            &secret[..secret.len() - 1]
        ));
        assert_eq!(multipart(&app, &wrong, body).await.status(), 404);
        let unknown = app.url(&format!(
            "/webhooks/shoprenter/nincsilyen/{secret}?event=order_confirm"
        ));
        assert_eq!(multipart(&app, &unknown, body).await.status(), 404);
        assert!(
            inbox_rows(&app.db, store_id).await.is_empty(),
            "{kind:?}: nothing stored for a 404"
        );

        // Raw JSON bodies are accepted too.
        let raw = app
            .client
            .post(&url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(raw.status(), 200);
        // Over the limit: 413, nothing stored.
        let huge = "x".repeat(integration::webhooks::MAX_BODY_BYTES + 1);
        assert_eq!(multipart(&app, &url, &huge).await.status(), 413);
        // Malformed: kept with the error, never retried.
        assert_eq!(multipart(&app, &url, "{not json").await.status(), 200);
        let rows = eventually("processed", Duration::from_secs(10), || async {
            let rows = inbox_rows(&app.db, store_id).await;
            (rows.len() == 2 && rows.iter().all(|r| r.0 != "pending")).then_some(rows)
        })
        .await;
        assert_eq!(rows[0].0, "processed", "{kind:?}: {rows:?}");
        assert_eq!(rows[1].0, "failed");
        assert!(
            rows[1].1.as_deref().unwrap_or("").contains("JSON"),
            "{rows:?}"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn with_faults_injected_the_cache_ends_equal_to_the_shop() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        for i in 0..500 {
            let input = ProductInput {
                sku: Some(format!("F-{i:04}")),
                name_hu: Some(format!("Hibatűrő {i}")),
                price_net: Some(500 + i),
                ..ProductInput::default()
            };
            app.sim.state().create_product(SHOP, input).unwrap();
        }
        app.sim.state().set_faults(Faults {
            error_5xx: 0.2,
            error_429: 0.1,
            timeout: 0.03,
            timeout_ms: 1_500,
            malformed_json: 0.05,
            drop_webhook: 0.3,
            seed: 7,
            ..Faults::default()
        });
        let store_id = app
            .install_for_new_merchant(&app.client, SHOP, "faults@example.hu")
            .await;
        synced(&app.db, store_id, Duration::from_secs(240)).await;
        registered_url(&app, store_id, "order_confirm").await;
        // Failed pages were retried (on PostgreSQL with two page transactions open at once):
        // each page still counted exactly once.
        let (products, _, customers, _) = app.sim.state().counts(SHOP).unwrap();
        let progress = progress_for_store(&app.db, store_id).await.unwrap();
        for (resource, records) in [("products", products), ("customers", customers)] {
            let p = progress.iter().find(|p| p.resource == resource).unwrap();
            assert_eq!(p.records_done as usize, records, "{kind:?}: {resource}");
            assert_eq!(
                p.pages_done as usize,
                records.div_ceil(200).max(1),
                "{kind:?}: {resource}"
            );
        }

        // Changes while running: new orders (some webhooks dropped), a deleted and a changed product.
        for _ in 0..10 {
            let input = OrderInput {
                items: vec![OrderItemInput {
                    product_id: 2,
                    quantity: 1,
                }],
                ..OrderInput::default()
            };
            app.sim.state().create_order(SHOP, input).unwrap();
        }
        app.sim.state().delete_product(SHOP, 1).unwrap();
        app.sim
            .state()
            .update_product(
                SHOP,
                3,
                ProductInput {
                    name_hu: Some("Átnevezve".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
        // The periodic reconciliation, on demand: it catches what the dropped webhooks missed.
        assert!(request_sync_now(&app.db, store_id).await.unwrap());
        eventually("reconciliation", Duration::from_secs(240), || async {
            let n = scalar_i64(&app.db, "SELECT COUNT(*) FROM jobs WHERE store_id = $1 AND kind = 'reconcile_sync' AND status = 'done'", store_id).await;
            (n == 1).then_some(())
        })
        .await;

        let state = app.sim.state();
        let (products, _, customers, orders) = state.counts(SHOP).unwrap();
        let product_ids = cached_ids(&app.db, "shoprenter_products_cache", "sku", store_id).await;
        assert_eq!(product_ids.len(), products, "{kind:?}: products");
        assert_eq!(
            cached_ids(
                &app.db,
                "shoprenter_customers_cache",
                "shoprenter_customer_id",
                store_id
            )
            .await
            .len(),
            customers
        );
        let order_numbers =
            cached_ids(&app.db, "shoprenter_orders_cache", "inner_id", store_id).await;
        assert_eq!(order_numbers.len(), orders, "{kind:?}: orders");
        for inner in 1..=(orders as u32 + 20) {
            if state.order(SHOP, inner).unwrap().is_some() {
                assert!(
                    order_numbers.contains(&inner.to_string()),
                    "{kind:?}: order {inner} missing"
                );
            }
        }
        let renamed: Option<String> = with_pool!(&app.db, |pool| {
            sqlx::query_scalar(
                "SELECT name FROM shoprenter_products_cache WHERE store_id = $1 AND sku = $2",
            )
            .bind(store_id)
            .bind(state.product(SHOP, 3).unwrap().unwrap().sku)
            .fetch_one(pool)
            .await
            .unwrap()
        });
        assert_eq!(renamed.as_deref(), Some("Átnevezve"));
        let faults = state.stats().faults;
        assert!(
            faults.error_5xx > 0 && faults.error_429 > 0 && faults.malformed_json > 0,
            "{faults:?}"
        );
        eprintln!("{kind:?}: faults injected {faults:?}");
        app.cleanup().await;
    }
}
