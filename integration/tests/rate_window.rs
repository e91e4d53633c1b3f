//! The per-shop request window shared by server instances on one PostgreSQL database. Needs
//! `TEST_POSTGRES_URL`; skipped without it (SQLite serves one process and has no shared window).

use std::time::Duration;

use chrono::{DateTime, Utc};
use integration::storage::rate_window::shared_window;
use integration::storage::testing::{postgres_base_url, TestDb};
use integration::{Db, DbKind};
use secrecy::SecretString;
use serde_json::Value;
use shoprenter::{ApiClient, ApiConfig, ShopName, TokenClient, UrlTemplate, WindowSlot};
use simulator::{AppRegistration, ShopSeed, Simulator, SimulatorConfig};

const WINDOW: Duration = Duration::from_millis(1030);

async fn postgres() -> Option<(TestDb, Db)> {
    if postgres_base_url().is_none() {
        eprintln!("skipped: set TEST_POSTGRES_URL");
        return None;
    }
    Some(TestDb::migrated(DbKind::Postgres).await.unwrap())
}

#[tokio::test]
async fn a_shop_gets_limit_starts_per_window_and_shops_are_independent() {
    let Some((test_db, db)) = postgres().await else {
        return;
    };
    let window = shared_window(&db).expect("PostgreSQL shares its window");
    let pelda = ShopName::parse("pelda").unwrap();
    let masik = ShopName::parse("masik").unwrap();
    for _ in 0..3 {
        assert!(matches!(
            window.try_start(&pelda, 3, WINDOW).await.unwrap(),
            WindowSlot::Started { entry: Some(_) }
        ));
    }
    match window.try_start(&pelda, 3, WINDOW).await.unwrap() {
        WindowSlot::Full { retry_in } => assert!(
            retry_in > Duration::from_millis(800) && retry_in <= WINDOW,
            "{retry_in:?}"
        ),
        WindowSlot::Started { .. } => panic!("a fourth start within the window"),
    }
    assert!(matches!(
        window.try_start(&masik, 3, WINDOW).await.unwrap(),
        WindowSlot::Started { .. }
    ));
    tokio::time::sleep(WINDOW).await;
    assert!(
        matches!(
            window.try_start(&pelda, 3, WINDOW).await.unwrap(),
            WindowSlot::Started { .. }
        ),
        "the window moved on"
    );
    assert_eq!(
        entries(&db, "pelda").await.len(),
        1,
        "entries that stopped counting are dropped"
    );
    db.close().await;
    test_db.cleanup().await;
}

async fn entries(db: &Db, shop: &str) -> Vec<DateTime<Utc>> {
    let Db::Postgres(pool) = db else {
        unreachable!()
    };
    sqlx::query_scalar("SELECT counted_until FROM api_rate_windows WHERE shop = $1")
        .bind(shop)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// An answer that arrives within the margin makes its entry stop counting one second after the
/// answer instead of a window after the start; a later answer changes nothing.
#[tokio::test]
async fn an_answer_within_the_margin_shortens_its_entry_and_a_late_one_does_not() {
    let Some((test_db, db)) = postgres().await else {
        return;
    };
    let window = shared_window(&db).expect("PostgreSQL shares its window");
    let pelda = ShopName::parse("pelda").unwrap();
    let start = || async {
        match window.try_start(&pelda, 3, WINDOW).await.unwrap() {
            WindowSlot::Started { entry: Some(entry) } => entry,
            other => panic!("{other:?}"),
        }
    };
    let (fast, unanswered) = (start().await, start().await);
    let before = entries(&db, "pelda").await;
    window.answered(&pelda, &fast).await.unwrap();
    let after = entries(&db, "pelda").await;
    // Started a few ms ago: one second after now is ~25 ms sooner than start + 1.03 s.
    assert!(after[0] < before[0], "{before:?} → {after:?}");
    assert!(before[0] - after[0] <= chrono::Duration::milliseconds(30));
    assert_eq!(after[1], before[1], "only the answered entry moves");

    tokio::time::sleep(Duration::from_millis(60)).await;
    window.answered(&pelda, &unanswered).await.unwrap();
    assert_eq!(
        entries(&db, "pelda").await,
        after,
        "a late answer changes nothing"
    );
    db.close().await;
    test_db.cleanup().await;
}

/// Two instances (each its own pool and API client, each keeping 3 requests/s) fetch from one
/// shop at once, as a sync on one and webhook re-fetches on the other would. Unshared they would
/// send 6 within a second. The shop allows 4, one of slack for scheduling jitter on a loaded
/// 2-core machine (a request starting a few ms late can share a second with the next window's).
#[tokio::test]
async fn two_instances_keep_a_shop_under_its_limit_together() {
    let Some((test_db, db_a)) = postgres().await else {
        return;
    };
    let db_b = Db::connect(&test_db.url).await.unwrap();
    let app = AppRegistration::shopcall_demo("http://127.0.0.1:9");
    let sim = Simulator::start(SimulatorConfig {
        apps: vec![app.clone()],
        shops: vec![ShopSeed::sized("pelda", 1, 5)],
        rate_limit_per_sec: 4,
        ..SimulatorConfig::default()
    })
    .await
    .unwrap();
    sim.state().install("pelda", &app.app_id).unwrap();
    let shop = ShopName::parse("pelda").unwrap();
    let http = reqwest::Client::new();
    let token = TokenClient::new(
        http.clone(),
        UrlTemplate::new(&sim.token_url_template()).unwrap(),
        app.client_id.clone(),
        SecretString::from(app.client_secret.clone()),
    )
    .acquire(&shop)
    .await
    .unwrap()
    .access_token;
    let client = |db: &Db| {
        let mut config = ApiConfig::new(UrlTemplate::new(&sim.api_url_template()).unwrap());
        config.max_retries = 0;
        ApiClient::with_shared_window(http.clone(), config, shared_window(db).unwrap())
    };
    let (a, b) = (client(&db_a), client(&db_b));

    const EACH: usize = 4;
    let fetch = |api: ApiClient| {
        let (shop, token) = (shop.clone(), token.clone());
        async move {
            for _ in 0..EACH {
                api.get_json::<Value>(&shop, &token, "productExtend?page=0&limit=1")
                    .await
                    .expect("no 429: the instances share the window");
            }
        }
    };
    let started = std::time::Instant::now();
    tokio::join!(
        fetch(a.clone()),
        fetch(a.clone()),
        fetch(b.clone()),
        fetch(b.clone())
    );
    let took = started.elapsed();

    let stats = sim.state().stats();
    eprintln!("{} requests in {took:?}: {stats:?}", 4 * EACH);
    assert_eq!(stats.rate_limited_429, 0);
    assert_eq!(a.stats().rate_limited + b.stats().rate_limited, 0);
    // 16 requests, 3 per second: the last starts at least 5 s after the first (a window runs
    // from a fast answer rather than for the whole 1.03 s, but never for less than a second).
    assert!(took >= Duration::from_secs(5), "{took:?}");
    db_a.close().await;
    db_b.close().await;
    test_db.cleanup().await;
}
