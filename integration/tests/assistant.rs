//! The assistant's queries on every engine (SQLite always, PostgreSQL with `TEST_POSTGRES_URL`),
//! over a cache written by the sync's own write path.

use std::future::Future;

use integration::assistant::model::{
    Availability, CustomerLookupRequest, OrderStatusRequest, ProductSearchQuery,
};
use integration::assistant::testing::{
    deactivate_store, order_json, product_json, seed_customer, seed_orders, seed_products,
    seed_statuses, seed_store,
};
use integration::assistant::{keys, Assistant, AssistantError, StoreScope};
use integration::storage::testing::{engines, TestDb};
use integration::Db;
use secrecy::{ExposeSecret, SecretString};
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

/// Two shops: `alfa` sells coffee and has Anna's order 1001; `beta` has its own order 1001.
async fn two_shops(db: &Db) -> (Uuid, Uuid) {
    let synced = Some(chrono::Utc::now());
    let alfa = seed_store(db, "alfa", synced).await.unwrap();
    let beta = seed_store(db, "beta", synced).await.unwrap();
    seed_products(
        db,
        alfa,
        &[
            product_json(
                "p-1",
                "Kávé szemes 1 kg",
                "KAV-001",
                12990.0,
                7,
                "Frissen pörkölt arabica",
            ),
            product_json(
                "p-2",
                "Őrölt kávé 250 g",
                "KAV-002",
                2490.0,
                0,
                "Espresso őrlés",
            ),
            product_json("p-3", "Teáskanna", "TEA-010", 5990.0, 3, "Üveg, 1 liter"),
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
        &[("Kávé szemes 1 kg", "KAV-001", 2, 12990.0)],
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
    (alfa, beta)
}

async fn scope(db: &Db, store: Uuid) -> (SecretString, StoreScope) {
    let created = keys::create(db, store, "test", None).await.unwrap();
    let scope = Assistant::new(db.clone())
        .authenticate(&created.key)
        .await
        .unwrap();
    (created.key, scope)
}

fn search(q: &str) -> ProductSearchQuery {
    ProductSearchQuery {
        q: q.into(),
        limit: None,
    }
}

#[tokio::test]
async fn search_ignores_accents_and_ranks_names_first() {
    each_engine(|db| async move {
        let (alfa, _) = two_shops(&db).await;
        let (_, scope) = scope(&db, alfa).await;
        let assistant = Assistant::new(db.clone());
        let found = assistant
            .search_products(&scope, &search("kave"))
            .await
            .unwrap();
        let names: Vec<_> = found
            .products
            .iter()
            .filter_map(|p| p.name.as_deref())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.iter().all(|n| n.contains("ávé")), "{names:?}");
        let orolt = assistant
            .search_products(&scope, &search("orolt kave"))
            .await
            .unwrap();
        assert_eq!(orolt.products[0].name.as_deref(), Some("Őrölt kávé 250 g"));
        assert!(found.freshness.store_last_sync_at.is_some());
        assert!(found.freshness.record_updated_at.is_some());
    })
    .await;
}

#[tokio::test]
async fn whole_words_come_before_word_beginnings() {
    each_engine(|db| async move {
        let store = seed_store(&db, "gamma", Some(chrono::Utc::now()))
            .await
            .unwrap();
        seed_products(
            &db,
            store,
            &[
                product_json("g-1", "Teáskanna üveg", "G-1", 5990.0, 3, "Teafőzéshez"),
                product_json("g-2", "Teászsák szett", "G-2", 990.0, 9, ""),
                product_json("g-3", "Zöld tea 100 g", "G-3", 1490.0, 5, "Japán"),
                product_json("g-4", "Matcha por", "ZOLD", 4990.0, 2, "Zöld tea őrlemény"),
            ],
        )
        .await
        .unwrap();
        let (_, scope) = scope(&db, store).await;
        let assistant = Assistant::new(db.clone());
        let names = |found: &integration::assistant::model::ProductSearchResponse| {
            found
                .products
                .iter()
                .filter_map(|p| p.name.clone())
                .collect::<Vec<_>>()
        };
        // The whole word first, then the products it begins a word of.
        let tea = assistant
            .search_products(&scope, &search("tea"))
            .await
            .unwrap();
        let tea = names(&tea);
        assert_eq!(tea.len(), 4, "{tea:?}");
        assert!(tea[..2].contains(&"Zöld tea 100 g".to_owned()), "{tea:?}");
        assert!(tea[..2].contains(&"Matcha por".to_owned()), "{tea:?}");
        // A word beginning alone still finds its products.
        let teas = assistant
            .search_products(&scope, &search("teas"))
            .await
            .unwrap();
        let mut teas = names(&teas);
        teas.sort();
        assert_eq!(teas, ["Teáskanna üveg", "Teászsák szett"]);
        // Enough whole-word matches answer alone.
        let one = assistant
            .search_products(
                &scope,
                &ProductSearchQuery {
                    q: "tea".into(),
                    limit: Some(1),
                },
            )
            .await
            .unwrap();
        assert_eq!(names(&one), ["Zöld tea 100 g"]);
        // An exact SKU answers alone, although its text is a word of other products too.
        let sku = assistant
            .search_products(&scope, &search("zold"))
            .await
            .unwrap();
        assert_eq!(names(&sku), ["Matcha por"]);
    })
    .await;
}

#[tokio::test]
async fn search_by_sku_returns_prices_and_stock() {
    each_engine(|db| async move {
        let (alfa, _) = two_shops(&db).await;
        let (_, scope) = scope(&db, alfa).await;
        let found = Assistant::new(db.clone())
            .search_products(&scope, &search("kav-001"))
            .await
            .unwrap();
        let p = &found.products[0];
        assert_eq!(p.sku.as_deref(), Some("KAV-001"));
        let gross = p.price_gross.as_ref().expect("gross");
        assert_eq!(gross.formatted, "12 990 Ft");
        assert!((p.price_net.as_ref().expect("net").amount - 12990.0 / 1.27).abs() < 0.01);
        assert_eq!((p.stock, p.availability), (Some(7), Availability::InStock));
        let out = Assistant::new(db.clone())
            .search_products(&scope, &search("KAV-002"))
            .await
            .unwrap();
        assert_eq!(out.products[0].availability, Availability::OutOfStock);
        assert_eq!(out.products[0].availability_text.hu, "Nincs raktáron");
    })
    .await;
}

#[tokio::test]
async fn a_key_sees_only_its_own_store() {
    each_engine(|db| async move {
        let (alfa, beta) = two_shops(&db).await;
        let (_, a) = scope(&db, alfa).await;
        let (_, b) = scope(&db, beta).await;
        let assistant = Assistant::new(db.clone());
        let from_a = assistant
            .search_products(&a, &search("titok"))
            .await
            .unwrap();
        assert!(
            from_a.products.is_empty(),
            "beta's product leaked into alfa"
        );
        let from_b = assistant
            .search_products(&b, &search("kave"))
            .await
            .unwrap();
        assert_eq!(from_b.products.len(), 1);
        assert_eq!(from_b.products[0].sku.as_deref(), Some("BETA-1"));
        // Anna's contact does not open beta's order 1001.
        let claim = OrderStatusRequest {
            order_number: "1001".into(),
            phone: Some("06201234567".into()),
            email: None,
        };
        assert!(matches!(
            assistant.order_status(&b, &claim).await,
            Err(AssistantError::OrderNotFound)
        ));
        assert_eq!(
            assistant
                .order_status(&a, &claim)
                .await
                .unwrap()
                .order_number,
            "1001"
        );
    })
    .await;
}

#[tokio::test]
async fn order_status_needs_the_phone_or_email_on_the_order() {
    each_engine(|db| async move {
        let (alfa, _) = two_shops(&db).await;
        let (_, scope) = scope(&db, alfa).await;
        let assistant = Assistant::new(db.clone());
        let ask = |number: &str, phone: Option<&str>, email: Option<&str>| OrderStatusRequest {
            order_number: number.into(),
            phone: phone.map(Into::into),
            email: email.map(Into::into),
        };
        for phone in [
            "+36 20 123 4567",
            "06201234567",
            "+36201234567",
            "06-20-123-4567",
        ] {
            let order = assistant
                .order_status(&scope, &ask("1001", Some(phone), None))
                .await
                .unwrap_or_else(|e| panic!("{phone}: {e}"));
            assert_eq!(order.status.hu, "Teljesítve");
            assert_eq!(order.status.en, "Completed");
            assert_eq!(order.items.len(), 1);
            assert_eq!(order.items[0].quantity, Some(2.0));
            assert_eq!(order.total_gross.as_ref().unwrap().formatted, "25 980 Ft");
            assert!(order.status_changed_at.is_some());
            assert!(order.freshness.record_updated_at.is_some());
        }
        let by_email = assistant
            .order_status(&scope, &ask("#1001", None, Some("ANNA@example.hu")))
            .await
            .unwrap();
        assert_eq!(
            by_email.items[0]
                .unit_price_gross
                .as_ref()
                .unwrap()
                .formatted,
            "12 990 Ft"
        );

        let wrong_phone = assistant
            .order_status(&scope, &ask("1001", Some("+36 30 000 0000"), None))
            .await
            .unwrap_err();
        let no_such_order = assistant
            .order_status(&scope, &ask("9999", Some("+36 20 123 4567"), None))
            .await
            .unwrap_err();
        assert!(matches!(wrong_phone, AssistantError::OrderNotFound));
        assert_eq!(wrong_phone.to_string(), no_such_order.to_string());
        assert!(matches!(
            assistant
                .order_status(&scope, &ask("1001", None, None))
                .await,
            Err(AssistantError::BadInput(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn customer_lookup_by_any_phone_notation() {
    each_engine(|db| async move {
        let (alfa, _) = two_shops(&db).await;
        let (_, scope) = scope(&db, alfa).await;
        let assistant = Assistant::new(db.clone());
        let found = assistant
            .customer_by_phone(
                &scope,
                &CustomerLookupRequest {
                    phone: "+36 20 123 4567".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(found.name.as_deref(), Some("Anna Kiss"));
        assert!(found.has_account);
        assert_eq!(found.recent_orders.len(), 1);
        assert_eq!(found.recent_orders[0].order_number, "1001");
        let unknown = assistant
            .customer_by_phone(
                &scope,
                &CustomerLookupRequest {
                    phone: "06 70 555 1234".into(),
                },
            )
            .await;
        assert!(matches!(unknown, Err(AssistantError::CustomerNotFound)));
    })
    .await;
}

#[tokio::test]
async fn revoked_unknown_and_disconnected_keys_are_refused() {
    each_engine(|db| async move {
        let (alfa, beta) = two_shops(&db).await;
        let assistant = Assistant::new(db.clone());
        let created = keys::create(&db, alfa, "phone bot", None).await.unwrap();
        assert!(created.key.expose_secret().starts_with("sca_"));
        assert!(assistant.authenticate(&created.key).await.is_ok());
        let listed = keys::list(&db, alfa).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].last_used_at.is_some(), "use is recorded");
        assert!(
            !keys::revoke(&db, beta, created.info.id).await.unwrap(),
            "other store cannot revoke"
        );
        assert!(keys::revoke(&db, alfa, created.info.id).await.unwrap());
        assert!(matches!(
            assistant.authenticate(&created.key).await,
            Err(AssistantError::Unauthorized)
        ));
        let forged = SecretString::from(format!("{}x", created.key.expose_secret()));
        assert!(matches!(
            assistant.authenticate(&forged).await,
            Err(AssistantError::Unauthorized)
        ));

        let beta_key = keys::create(&db, beta, "", None).await.unwrap();
        deactivate_store(&db, beta).await.unwrap();
        assert!(matches!(
            assistant.authenticate(&beta_key.key).await,
            Err(AssistantError::StoreInactive)
        ));
    })
    .await;
}

#[tokio::test]
async fn resynced_products_stay_searchable_under_their_new_name() {
    each_engine(|db| async move {
        let (alfa, _) = two_shops(&db).await;
        let (_, scope) = scope(&db, alfa).await;
        seed_products(
            &db,
            alfa,
            &[product_json(
                "p-3",
                "Kotyogó kanna",
                "TEA-010",
                5990.0,
                3,
                "",
            )],
        )
        .await
        .unwrap();
        let assistant = Assistant::new(db.clone());
        assert!(assistant
            .search_products(&scope, &search("teaskanna"))
            .await
            .unwrap()
            .products
            .is_empty());
        let found = assistant
            .search_products(&scope, &search("kotyogo"))
            .await
            .unwrap();
        assert_eq!(found.products.len(), 1);
    })
    .await;
}
