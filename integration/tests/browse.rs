//! Browsing the cache (`integration::browse`) on every engine (SQLite always, PostgreSQL with
//! `TEST_POSTGRES_URL`), over a cache written by the sync's own write path.

use std::future::Future;

use integration::assistant::testing::{
    order_json, product_json, seed_customer, seed_orders, seed_products, seed_statuses, seed_store,
};
use integration::browse;
use integration::storage::testing::{engines, TestDb};
use integration::Db;
use uuid::Uuid;

async fn each_engine<F, Fut>(test: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    for kind in engines() {
        let (test_db, db) = TestDb::migrated(kind)
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        eprintln!("running on {kind:?}");
        test(db.clone()).await;
        db.close().await;
        test_db.cleanup().await;
    }
}

const STATUSES: &[(&str, &str)] = &[("st-1", "Függőben lévő"), ("st-4", "Teljesítve")];

/// Two shops: `alfa` sells coffee (and a product whose name and SKU hold `%` and `_`), has Anna
/// as a customer and her order 1001; `beta` has one product, one customer and its own order 1001.
async fn two_shops(db: &Db) -> (Uuid, Uuid) {
    let synced = Some(chrono::Utc::now());
    let alfa = seed_store(db, "alfa", synced).await.unwrap();
    let beta = seed_store(db, "beta", synced).await.unwrap();
    seed_products(
        db,
        alfa,
        &[
            product_json("p-1", "Kávé szemes 1 kg", "KAV-001", 12990.0, 7, ""),
            product_json("p-2", "Kávé őrölt 250 g", "KAV-002", 2490.0, 0, ""),
            product_json("p-3", "Teáskanna", "TEA-010", 5990.0, 3, ""),
            product_json("p-4", "Bögre 50% akció", "MUG_01", 990.0, 12, ""),
            product_json("p-5", "Bögre 500 ml", "MUGX01", 1490.0, 4, ""),
        ],
    )
    .await
    .unwrap();
    seed_products(
        db,
        beta,
        &[product_json("b-1", "Kávé titok", "BETA-1", 1.0, 1, "")],
    )
    .await
    .unwrap();
    seed_statuses(db, alfa, STATUSES).await.unwrap();
    let anna = order_json(
        "o-1",
        "1001",
        ("Anna", "Kiss"),
        "+36 20 123 4567",
        "anna@example.hu",
        "st-4",
        &[
            ("Teáskanna", "TEA-010", 1, 5990.0),
            ("Kávé szemes 1 kg", "KAV-001", 2, 12990.0),
        ],
    );
    seed_orders(db, alfa, &[anna], STATUSES).await.unwrap();
    let bela = order_json(
        "bo-1",
        "1001",
        ("Béla", "Nagy"),
        "06 30 999 8888",
        "bela@example.hu",
        "st-1",
        &[("Kávé titok", "BETA-1", 1, 1.0)],
    );
    seed_orders(db, beta, &[bela], &[]).await.unwrap();
    seed_customer(db, alfa, "c-1", ("Anna", "Kiss"), "06201234567")
        .await
        .unwrap();
    seed_customer(db, beta, "bc-1", ("Béla", "Nagy"), "06309998888")
        .await
        .unwrap();
    (alfa, beta)
}

async fn product_skus(db: &Db, store: Uuid, q: &str) -> Vec<String> {
    browse::products(db, store, Some(q), 1, 50)
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|p| p.sku)
        .collect()
}

#[tokio::test]
async fn search_matches_name_and_sku_case_insensitively() {
    each_engine(|db| async move {
        let (alfa, _) = two_shops(&db).await;
        assert_eq!(product_skus(&db, alfa, "SZEMES").await, ["KAV-001"]);
        assert_eq!(
            product_skus(&db, alfa, "kav-00").await,
            ["KAV-001", "KAV-002"]
        );
        assert_eq!(product_skus(&db, alfa, "TEÁSKANNA").await, ["TEA-010"]);
        assert!(product_skus(&db, alfa, "nincs ilyen").await.is_empty());
        // No search: every product, by name then SKU.
        let all = browse::products(&db, alfa, None, 1, 50).await.unwrap();
        let names: Vec<_> = all.items.iter().filter_map(|p| p.name.as_deref()).collect();
        assert_eq!(
            names,
            [
                "Bögre 50% akció",
                "Bögre 500 ml",
                "Kávé szemes 1 kg",
                "Kávé őrölt 250 g",
                "Teáskanna"
            ]
        );
        assert_eq!(all.total, 5);
        let mug = &all.items[0];
        assert_eq!(
            (mug.stock, mug.currency.as_deref()),
            (Some(12), Some("HUF"))
        );
        assert!(mug.price.is_some());

        let customers = browse::customers(&db, alfa, Some("KISS ANNA"), 1, 20)
            .await
            .unwrap();
        assert_eq!(customers.total, 1);
        assert_eq!(customers.items[0].full_name(), "Kiss Anna");
        for q in ["anna kiss", "c-1@example", "0620123"] {
            let found = browse::customers(&db, alfa, Some(q), 1, 20).await.unwrap();
            assert_eq!(found.total, 1, "{q}");
        }

        for q in ["1001", "ANNA", "anna@EXAMPLE.hu", "teljesítve"] {
            let found = browse::orders(&db, alfa, Some(q), 1, 20).await.unwrap();
            assert_eq!(found.total, 1, "{q}");
            let order = &found.items[0];
            assert_eq!(order.number(), "1001");
            assert_eq!(order.status_name.as_deref(), Some("Teljesítve"));
        }
    })
    .await;
}

#[tokio::test]
async fn percent_and_underscore_in_a_search_are_literal() {
    each_engine(|db| async move {
        let (alfa, _) = two_shops(&db).await;
        // As LIKE wildcards these would match every product ("%") or "MUGX01" ("mug_0").
        assert_eq!(product_skus(&db, alfa, "%").await, ["MUG_01"]);
        assert_eq!(product_skus(&db, alfa, "50%").await, ["MUG_01"]);
        assert_eq!(product_skus(&db, alfa, "mug_0").await, ["MUG_01"]);
        assert_eq!(product_skus(&db, alfa, "_").await, ["MUG_01"]);
        assert!(product_skus(&db, alfa, "\\").await.is_empty());
        let orders = browse::orders(&db, alfa, Some("%"), 1, 20).await.unwrap();
        assert_eq!(orders.total, 0);
        let customers = browse::customers(&db, alfa, Some("_"), 1, 20)
            .await
            .unwrap();
        assert_eq!(customers.total, 0);
    })
    .await;
}

#[tokio::test]
async fn pages_split_the_matches_and_count_them_all() {
    each_engine(|db| async move {
        let store = seed_store(&db, "sok", None).await.unwrap();
        let products: Vec<_> = (1..=25)
            .map(|i| {
                product_json(
                    &format!("p-{i}"),
                    &format!("Termék {i:02}"),
                    &format!("SKU-{i:02}"),
                    100.0 * f64::from(i),
                    i.into(),
                    "",
                )
            })
            .collect();
        seed_products(&db, store, &products).await.unwrap();

        let first = browse::products(&db, store, None, 1, 10).await.unwrap();
        assert_eq!((first.total, first.page, first.per_page), (25, 1, 10));
        assert_eq!(first.items.len(), 10);
        assert_eq!(first.items[0].sku.as_deref(), Some("SKU-01"));
        let last = browse::products(&db, store, None, 3, 10).await.unwrap();
        let skus: Vec<_> = last.items.iter().filter_map(|p| p.sku.as_deref()).collect();
        assert_eq!(skus, ["SKU-21", "SKU-22", "SKU-23", "SKU-24", "SKU-25"]);
        assert_eq!(last.total, 25);
        let beyond = browse::products(&db, store, None, 4, 10).await.unwrap();
        assert!(beyond.items.is_empty());
        assert_eq!(beyond.total, 25);
        // The total counts matches, not the store's rows.
        let some = browse::products(&db, store, Some("termék 1"), 1, 3)
            .await
            .unwrap();
        assert_eq!((some.total, some.items.len()), (10, 3));
        // Out-of-range paging is clamped rather than sent to the database.
        let clamped = browse::products(&db, store, None, 0, 0).await.unwrap();
        assert_eq!(
            (clamped.page, clamped.per_page, clamped.items.len()),
            (1, 1, 1)
        );
    })
    .await;
}

#[tokio::test]
async fn a_store_never_sees_another_stores_rows() {
    each_engine(|db| async move {
        let (alfa, beta) = two_shops(&db).await;
        assert!(product_skus(&db, alfa, "titok").await.is_empty());
        assert_eq!(product_skus(&db, beta, "").await, ["BETA-1"]);

        let alfa_customers = browse::customers(&db, alfa, None, 1, 20).await.unwrap();
        assert_eq!(alfa_customers.total, 1);
        assert_eq!(alfa_customers.items[0].full_name(), "Kiss Anna");
        let beta_customers = browse::customers(&db, beta, Some("anna"), 1, 20)
            .await
            .unwrap();
        assert_eq!(beta_customers.total, 0);

        // Both shops have an order 1001; each sees only its own.
        let alfa_orders = browse::orders(&db, alfa, Some("1001"), 1, 20)
            .await
            .unwrap();
        let beta_orders = browse::orders(&db, beta, Some("1001"), 1, 20)
            .await
            .unwrap();
        assert_eq!((alfa_orders.total, beta_orders.total), (1, 1));
        assert_eq!(
            alfa_orders.items[0].customer_name.as_deref(),
            Some("Anna Kiss")
        );
        assert_eq!(
            beta_orders.items[0].customer_name.as_deref(),
            Some("Béla Nagy")
        );

        // Beta's order id does not open from alfa, whatever the id.
        let beta_order = beta_orders.items[0].id;
        assert!(browse::order(&db, alfa, beta_order)
            .await
            .unwrap()
            .is_none());
        assert!(browse::order(&db, beta, beta_order)
            .await
            .unwrap()
            .is_some());
        assert!(browse::order(&db, alfa, Uuid::new_v4())
            .await
            .unwrap()
            .is_none());
    })
    .await;
}

#[tokio::test]
async fn order_detail_returns_its_lines() {
    each_engine(|db| async move {
        let (alfa, _) = two_shops(&db).await;
        let listed = browse::orders(&db, alfa, None, 1, 20).await.unwrap();
        assert_eq!(listed.total, 1);
        let detail = browse::order(&db, alfa, listed.items[0].id)
            .await
            .unwrap()
            .expect("alfa's order");
        assert_eq!(detail.order, listed.items[0]);
        assert_eq!(detail.order.number(), "1001");
        assert_eq!(
            detail.order.customer_email.as_deref(),
            Some("anna@example.hu")
        );
        assert!(detail.order.ordered_at.is_some());
        let total = detail.order.total_gross.expect("gross total");
        assert!((total - (2.0 * 12990.0 + 5990.0)).abs() < 0.01, "{total}");
        // Lines by name.
        let lines: Vec<_> = detail
            .items
            .iter()
            .map(|i| (i.name.as_deref(), i.sku.as_deref(), i.quantity))
            .collect();
        assert_eq!(
            lines,
            [
                (Some("Kávé szemes 1 kg"), Some("KAV-001"), Some(2.0)),
                (Some("Teáskanna"), Some("TEA-010"), Some(1.0)),
            ]
        );
        assert!(detail.items.iter().all(|i| i.price.is_some()));
        // No order webhook arrived yet, so no status history.
        assert!(detail.history.is_empty());
    })
    .await;
}
