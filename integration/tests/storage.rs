//! The storage contract, run on every engine: SQLite always, PostgreSQL when
//! `TEST_POSTGRES_URL` is set (each test gets its own fresh database).

use std::future::Future;

use chrono::{Duration, Utc};
use integration::storage::installs::{
    self, BindInstall, BindOutcome, NewPendingInstall, SignaturePurpose,
};
use integration::storage::jobs::{self, NewJob};
use integration::storage::stores::{self, DisconnectReason};
use integration::storage::testing::{engines, TestDb};
use integration::storage::tokens::{self, NewToken};
use integration::storage::users;
use integration::storage::SessionStore;
use integration::{Db, DbKind};
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

async fn user(db: &Db, email: &str) -> Uuid {
    users::insert(db, email, "$argon2id$fake", Utc::now())
        .await
        .unwrap()
        .expect("new user")
        .id
}

async fn pending(db: &Db, shop: &str, ttl: Duration) -> Uuid {
    let now = Utc::now();
    installs::insert_pending(
        db,
        NewPendingInstall {
            shopname: shop,
            code: &Uuid::new_v4().simple().to_string(),
            timestamp: now.timestamp(),
            app_url: "https://x.myshoprenter.hu/admin/app/1",
            now,
            expires_at: now + ttl,
        },
    )
    .await
    .unwrap()
}

async fn bind(db: &Db, install_id: Uuid, shop: &str, user_id: Uuid) -> BindOutcome {
    installs::bind_install(
        db,
        BindInstall {
            install_id,
            shopname: shop,
            user_id,
            store_url: &format!("https://{shop}.myshoprenter.hu"),
            app_id: "55",
            client_id: "client",
            webhook_secret: &Uuid::new_v4().simple().to_string(),
            now: Utc::now(),
        },
    )
    .await
    .unwrap()
}

async fn installed_store(db: &Db, shop: &str, user_id: Uuid) -> stores::StoreRecord {
    let id = pending(db, shop, Duration::minutes(15)).await;
    match bind(db, id, shop, user_id).await {
        BindOutcome::Bound(store) => *store,
        other => panic!("expected Bound, got {other:?}"),
    }
}

#[tokio::test]
async fn migrations_apply_and_the_database_is_ready() {
    each_engine(|db| async move {
        assert!(db.is_ready().await.unwrap());
        // Migrating twice is a no-op.
        db.migrate().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn users_have_unique_emails() {
    each_engine(|db| async move {
        let id = user(&db, "anna@example.hu").await;
        assert!(users::insert(&db, "anna@example.hu", "x", Utc::now())
            .await
            .unwrap()
            .is_none());
        let found = users::find_by_email(&db, "anna@example.hu")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.id, id);
        assert_eq!(
            users::find_by_id(&db, id).await.unwrap().unwrap().email,
            "anna@example.hu"
        );
        assert!(users::find_by_email(&db, "nobody@example.hu")
            .await
            .unwrap()
            .is_none());
    })
    .await;
}

#[tokio::test]
async fn a_signature_is_accepted_once() {
    each_engine(|db| async move {
        let now = Utc::now();
        assert!(installs::record_signature_once(
            &db,
            "pelda",
            "c1",
            100,
            SignaturePurpose::Install,
            now
        )
        .await
        .unwrap());
        assert!(!installs::record_signature_once(
            &db,
            "pelda",
            "c1",
            100,
            SignaturePurpose::Uninstall,
            now
        )
        .await
        .unwrap());
        assert!(installs::record_signature_once(
            &db,
            "pelda",
            "c1",
            101,
            SignaturePurpose::Install,
            now
        )
        .await
        .unwrap());
        assert!(installs::record_signature_once(
            &db,
            "other",
            "c1",
            100,
            SignaturePurpose::Install,
            now
        )
        .await
        .unwrap());
        // Pruning forgets old ones.
        installs::prune(&db, now + Duration::seconds(1))
            .await
            .unwrap();
        assert!(installs::record_signature_once(
            &db,
            "pelda",
            "c1",
            100,
            SignaturePurpose::Install,
            now
        )
        .await
        .unwrap());
    })
    .await;
}

#[tokio::test]
async fn a_pending_install_binds_once_and_creates_an_active_store() {
    each_engine(|db| async move {
        let anna = user(&db, "anna@example.hu").await;
        let install = pending(&db, "pelda", Duration::minutes(15)).await;
        let BindOutcome::Bound(store) = bind(&db, install, "pelda", anna).await else {
            panic!("not bound")
        };
        assert!(store.is_active);
        assert_eq!(store.user_id, anna);
        assert_eq!(store.shopname, "pelda");
        assert_eq!(store.store_url, "https://pelda.myshoprenter.hu");
        assert!(store.connected_at.is_some());
        let record = installs::find_pending(&db, install).await.unwrap().unwrap();
        assert!(record.consumed_at.is_some());
        assert_eq!(record.store_id, Some(store.id));
        assert!(matches!(
            bind(&db, install, "pelda", anna).await,
            BindOutcome::InstallUnavailable
        ));
        assert_eq!(
            stores::find_by_shopname(&db, "pelda")
                .await
                .unwrap()
                .unwrap()
                .id,
            store.id
        );
        assert_eq!(stores::list_for_user(&db, anna).await.unwrap().len(), 1);
        assert_eq!(
            stores::find_by_webhook_secret(&db, &store.webhook_secret)
                .await
                .unwrap()
                .unwrap()
                .id,
            store.id
        );
    })
    .await;
}

#[tokio::test]
async fn expired_or_mismatched_pending_installs_do_not_bind() {
    each_engine(|db| async move {
        let anna = user(&db, "anna@example.hu").await;
        let expired = pending(&db, "pelda", Duration::seconds(-1)).await;
        assert!(matches!(
            bind(&db, expired, "pelda", anna).await,
            BindOutcome::InstallUnavailable
        ));
        let other_shop = pending(&db, "masik", Duration::minutes(15)).await;
        assert!(matches!(
            bind(&db, other_shop, "pelda", anna).await,
            BindOutcome::InstallUnavailable
        ));
        assert!(matches!(
            bind(&db, Uuid::new_v4(), "pelda", anna).await,
            BindOutcome::InstallUnavailable
        ));
        assert!(stores::find_by_shopname(&db, "pelda")
            .await
            .unwrap()
            .is_none());
    })
    .await;
}

#[tokio::test]
async fn a_shop_claimed_by_another_account_is_refused_without_side_effects() {
    each_engine(|db| async move {
        let anna = user(&db, "anna@example.hu").await;
        let bela = user(&db, "bela@example.hu").await;
        let store = installed_store(&db, "pelda", anna).await;
        let install = pending(&db, "pelda", Duration::minutes(15)).await;
        assert!(matches!(
            bind(&db, install, "pelda", bela).await,
            BindOutcome::ClaimedByOther
        ));
        assert!(installs::find_pending(&db, install)
            .await
            .unwrap()
            .unwrap()
            .consumed_at
            .is_none());
        let after = stores::find(&db, store.id).await.unwrap().unwrap();
        assert_eq!(after.user_id, anna);
        assert!(after.is_active);
    })
    .await;
}

async fn save_token(db: &Db, store_id: Uuid, ciphertext: &str) -> bool {
    let mut lock = tokens::lock_for_acquire(db, store_id).await.unwrap();
    let saved = lock
        .save(
            db,
            NewToken {
                store_id,
                shopname: "pelda",
                shop_domain: "pelda.myshoprenter.hu",
                ciphertext,
                token_type: "Bearer",
                expires_at: Utc::now() + Duration::hours(1),
                scopes: &["product.product:read".to_string()],
                now: Utc::now(),
            },
        )
        .await
        .unwrap();
    lock.release().await.unwrap();
    saved
}

#[tokio::test]
async fn tokens_are_upserted_per_store_and_scopes_land_on_the_store() {
    each_engine(|db| async move {
        let anna = user(&db, "anna@example.hu").await;
        let store = installed_store(&db, "pelda", anna).await;
        stores::mark_needs_attention(&db, store.id, "token failed", Utc::now())
            .await
            .unwrap();
        assert!(save_token(&db, store.id, "c1").await);
        assert!(save_token(&db, store.id, "c2").await);
        let row = tokens::load(&db, store.id).await.unwrap().unwrap();
        assert_eq!(row.access_token.as_deref(), Some("c2"));
        assert!(row.is_active);
        assert!(row.expires_at.unwrap() > Utc::now());
        let store = stores::find(&db, store.id).await.unwrap().unwrap();
        assert_eq!(
            store.scopes.unwrap().0,
            vec!["product.product:read".to_string()]
        );
        assert!(
            store.needs_attention.is_none(),
            "a stored token clears needs_attention"
        );
        tokens::wipe(&db, store.id, Utc::now()).await.unwrap();
        assert!(tokens::load(&db, store.id)
            .await
            .unwrap()
            .unwrap()
            .access_token
            .is_none());
    })
    .await;
}

#[tokio::test]
async fn deactivation_wipes_tokens_cancels_jobs_and_is_idempotent() {
    each_engine(|db| async move {
        let anna = user(&db, "anna@example.hu").await;
        let store = installed_store(&db, "pelda", anna).await;
        assert!(save_token(&db, store.id, "ciphertext").await);
        let now = Utc::now();
        let job = |kind: &'static str| NewJob {
            kind,
            store_id: Some(store.id),
            payload: serde_json::json!({}),
            run_at: now,
            dedupe_key: Some(format!("{kind}:{}", store.id)),
        };
        assert!(jobs::enqueue(&db, job("initial_sync"), now)
            .await
            .unwrap()
            .is_some());
        assert!(
            jobs::enqueue(&db, job("initial_sync"), now)
                .await
                .unwrap()
                .is_none(),
            "deduplicated"
        );
        assert!(jobs::enqueue(&db, job("register_webhooks"), now)
            .await
            .unwrap()
            .is_some());
        let leftover = pending(&db, "pelda", Duration::minutes(15)).await;

        assert!(
            stores::deactivate(&db, store.id, DisconnectReason::Uninstalled, now)
                .await
                .unwrap()
        );
        let after = stores::find(&db, store.id).await.unwrap().unwrap();
        assert!(!after.is_active);
        assert_eq!(after.disconnect_reason.as_deref(), Some("uninstalled"));
        let token = tokens::load(&db, store.id).await.unwrap().unwrap();
        assert!(!token.is_active);
        assert!(token.access_token.is_none());
        let all = jobs::list_for_store(&db, store.id).await.unwrap();
        assert_eq!(all.len(), 2);
        assert!(all.iter().all(|j| j.status == "cancelled"));
        assert!(installs::find_pending(&db, leftover)
            .await
            .unwrap()
            .is_none());
        // A token acquired meanwhile is not stored on an inactive store.
        assert!(!save_token(&db, store.id, "late").await);
        assert!(
            !stores::deactivate(&db, store.id, DisconnectReason::Uninstalled, now)
                .await
                .unwrap()
        );
        // A cancelled job no longer blocks a new one with the same key.
        assert!(jobs::enqueue(&db, job("initial_sync"), now)
            .await
            .unwrap()
            .is_some());
    })
    .await;
}

#[tokio::test]
async fn a_reinstall_reactivates_and_a_new_owner_starts_clean() {
    each_engine(|db| async move {
        let anna = user(&db, "anna@example.hu").await;
        let bela = user(&db, "bela@example.hu").await;
        let store = installed_store(&db, "pelda", anna).await;
        assert!(save_token(&db, store.id, "c").await);
        stores::deactivate(&db, store.id, DisconnectReason::Uninstalled, Utc::now())
            .await
            .unwrap();
        let again = installed_store(&db, "pelda", anna).await;
        assert_eq!(again.id, store.id, "same row, reactivated");
        assert!(again.is_active);
        assert!(again.disconnect_reason.is_none());

        // The previous owner's cached shop data, down to order items, must not reach the new one.
        let order = integration::assistant::testing::order_json(
            "b3JkZXItb3JkZXJfaWQ9MQ==",
            "1",
            ("Teszt", "Elek"),
            "+36301234567",
            "teszt@example.hu",
            "1",
            &[("Teáskanna", "SKU-1", 1, 1000.0)],
        );
        integration::assistant::testing::seed_orders(&db, store.id, &[order], &[])
            .await
            .unwrap();
        let cached = |db: Db| async move {
            integration::with_pool!(&db, |pool| sqlx::query_as::<_, (i64, i64)>(
                "SELECT (SELECT count(*) FROM shoprenter_orders_cache),
                        (SELECT count(*) FROM shoprenter_order_items_cache)"
            )
            .fetch_one(pool)
            .await
            .unwrap())
        };
        assert_eq!(cached(db.clone()).await, (1, 1));

        stores::deactivate(&db, store.id, DisconnectReason::Disconnected, Utc::now())
            .await
            .unwrap();
        let taken = installed_store(&db, "pelda", bela).await;
        assert_eq!(taken.user_id, bela);
        assert!(
            tokens::load(&db, store.id).await.unwrap().is_none(),
            "previous owner's token row is gone"
        );
        assert_eq!(
            cached(db.clone()).await,
            (0, 0),
            "previous owner's orders and items"
        );
        assert!(stores::list_for_user(&db, anna).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn sessions_round_trip_through_the_session_store() {
    use tower_sessions::session::{Id, Record};
    use tower_sessions::SessionStore as _;
    each_engine(|db| async move {
        let store = SessionStore::new(&db);
        let mut record = Record {
            id: Id::default(),
            data: [("user_id".to_string(), serde_json::json!("u1"))]
                .into_iter()
                .collect(),
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        };
        store.create(&mut record).await.unwrap();
        let loaded = store.load(&record.id).await.unwrap().expect("stored");
        assert_eq!(loaded.data, record.data);
        store.delete(&record.id).await.unwrap();
        assert!(store.load(&record.id).await.unwrap().is_none());
    })
    .await;
}

#[test]
fn engines_always_include_sqlite() {
    assert_eq!(engines()[0], DbKind::Sqlite);
}
