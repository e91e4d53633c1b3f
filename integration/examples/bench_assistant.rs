//! Assistant query latency over a store with 100 000 products and 100 000 orders.
//!
//! Seeds a fresh database through the sync's write path (so the search index is built by the
//! same triggers as in production), then times product search and order lookup one after the
//! other and prints p50/p99. SQLite always; PostgreSQL too when `TEST_POSTGRES_URL` is set.
//!
//! ```text
//! TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo run --release -p integration --example bench_assistant [products] [orders]
//! ```
//!
//! `BENCH_ASSISTANT_KEEP=1` keeps the seeded databases (SQLite `$TMPDIR/shopcall-bench/
//! assistant.db`, PostgreSQL database `bench_assistant` next to `TEST_POSTGRES_URL`) and reuses
//! them on the next run after applying any new migrations, so a query change is measured in
//! seconds instead of a 3–4 minute seed per engine. Delete them to reseed.

use std::time::{Duration, Instant};

use integration::assistant::model::{OrderStatusRequest, ProductSearchQuery};
use integration::assistant::testing::{
    order_json, product_json, seed_orders, seed_products, seed_statuses, seed_store,
};
use integration::assistant::{keys, Assistant};
use integration::storage::testing::{engines, postgres_base_url, TestDb};
use integration::storage::Db;
use integration::DbKind;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const NOUNS: &[&str] = &[
    "kávé",
    "tea",
    "bögre",
    "teáskanna",
    "pohár",
    "tányér",
    "serpenyő",
    "fazék",
    "kés",
    "villa",
    "kanál",
    "törölköző",
    "párna",
    "takaró",
    "lámpa",
    "gyertya",
    "váza",
    "kosár",
    "doboz",
    "táska",
    "pénztárca",
    "öv",
    "sapka",
    "sál",
    "kesztyű",
    "zokni",
    "póló",
    "pulóver",
    "kabát",
    "cipő",
    "papucs",
    "esernyő",
    "óra",
    "fülhallgató",
    "telefontok",
    "töltő",
    "kábel",
    "egér",
    "billentyűzet",
    "jegyzetfüzet",
    "toll",
    "ceruza",
    "radír",
    "vonalzó",
    "szappan",
    "sampon",
    "krém",
    "parfüm",
    "fogkefe",
    "fésű",
    "tükör",
    "játék",
    "puzzle",
    "labda",
    "kötél",
    "sátor",
    "hátizsák",
    "kulacs",
    "termosz",
    "méz",
];
const ADJECTIVES: &[&str] = &[
    "piros",
    "kék",
    "zöld",
    "fekete",
    "fehér",
    "sárga",
    "lila",
    "barna",
    "szürke",
    "rózsaszín",
    "nagy",
    "kicsi",
    "könnyű",
    "erős",
    "puha",
    "kemény",
    "klasszikus",
    "modern",
    "bio",
    "prémium",
    "őrölt",
    "szemes",
    "illatos",
    "vízálló",
    "összecsukható",
    "kézműves",
    "magyar",
    "olasz",
    "japán",
    "skandináv",
    "retró",
    "elegáns",
    "sportos",
    "gyerek",
    "női",
    "férfi",
    "mini",
    "maxi",
    "duplafalú",
    "üveg",
];

fn product(i: usize, rng: &mut StdRng) -> serde_json::Value {
    let noun = NOUNS[i % NOUNS.len()];
    let adj = ADJECTIVES[(i / NOUNS.len()) % ADJECTIVES.len()];
    let adj2 = ADJECTIVES[rng.gen_range(0..ADJECTIVES.len())];
    let name = format!("{adj} {noun} {}", i / (NOUNS.len() * ADJECTIVES.len()) + 1);
    let description = format!("{adj2} {noun}, kiváló minőség, gyors szállítás. Cikkszám {i}.");
    let gross = (rng.gen_range(5..2000) * 10) as f64 - 10.0;
    product_json(
        &format!("p-{i}"),
        &name,
        &format!("SKU-{i:06}"),
        gross,
        rng.gen_range(-2..40),
        &description,
    )
}

fn phone_of(i: usize) -> String {
    format!("+36 20 {:03} {:04}", (i / 10_000) % 1000, i % 10_000)
}

fn order(i: usize, rng: &mut StdRng) -> serde_json::Value {
    let lines: Vec<(String, String, i64, f64)> = (0..rng.gen_range(1..4))
        .map(|_| {
            let p = rng.gen_range(0..100_000);
            (
                format!("termék {p}"),
                format!("SKU-{p:06}"),
                rng.gen_range(1..4),
                (rng.gen_range(5..2000) * 10) as f64,
            )
        })
        .collect();
    let lines: Vec<(&str, &str, i64, f64)> = lines
        .iter()
        .map(|(n, s, q, p)| (n.as_str(), s.as_str(), *q, *p))
        .collect();
    order_json(
        &format!("o-{i}"),
        &(100_000 + i).to_string(),
        ("Vevő", &format!("{i}")),
        &phone_of(i),
        &format!("vevo{i}@example.hu"),
        ["st-1", "st-2", "st-4"][i % 3],
        &lines,
    )
}

struct Stats(Vec<Duration>);

impl Stats {
    fn line(mut self, what: &str) -> String {
        self.0.sort();
        let q = |p: f64| self.0[((self.0.len() as f64 * p) as usize).min(self.0.len() - 1)];
        format!(
            "{what:<28} n={:<5} p50={:>7.3} ms  p99={:>7.3} ms  max={:>7.3} ms",
            self.0.len(),
            q(0.50).as_secs_f64() * 1000.0,
            q(0.99).as_secs_f64() * 1000.0,
            self.0.last().unwrap().as_secs_f64() * 1000.0
        )
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let products = args.first().copied().unwrap_or(100_000);
    let orders = args.get(1).copied().unwrap_or(100_000);
    let keep = std::env::var("BENCH_ASSISTANT_KEEP").is_ok_and(|v| v == "1");
    for kind in engines() {
        let (test_db, db) = if keep {
            (None, kept_db(kind).await?)
        } else {
            let (test_db, db) = TestDb::migrated(kind).await?;
            (Some(test_db), db)
        };
        let mut rng = StdRng::seed_from_u64(8);
        let statuses = [
            ("st-1", "Függőben lévő"),
            ("st-2", "Feldolgozás alatt"),
            ("st-4", "Teljesítve"),
        ];
        let seeded: Option<uuid::Uuid> = if keep {
            integration::with_pool!(&db, |pool| sqlx::query_scalar(
                "SELECT id FROM stores WHERE shopname = 'bench'"
            )
            .fetch_optional(pool)
            .await)?
        } else {
            None
        };
        let store = match seeded {
            Some(store) => {
                println!("{kind:?}: reusing the seeded database");
                store
            }
            None => seed(&db, kind, &mut rng, &statuses, products, orders).await?,
        };
        bench(&db, store, &mut rng, products, orders).await?;
        db.close().await;
        if let Some(test_db) = test_db {
            test_db.cleanup().await;
        }
    }
    Ok(())
}

/// The kept benchmark database of one engine, created if missing, migrated.
async fn kept_db(kind: DbKind) -> Result<Db, Box<dyn std::error::Error>> {
    let url = match kind {
        DbKind::Sqlite => format!(
            "sqlite://{}",
            std::env::temp_dir()
                .join("shopcall-bench")
                .join("assistant.db")
                .display()
        ),
        DbKind::Postgres => {
            let base = postgres_base_url().ok_or("TEST_POSTGRES_URL is not set")?;
            let admin = Db::connect(&base).await?;
            let exists: Option<i32> = integration::with_pool!(&admin, |pool| sqlx::query_scalar(
                "SELECT 1 FROM pg_database WHERE datname = 'bench_assistant'"
            )
            .fetch_optional(pool)
            .await)?;
            if exists.is_none() {
                integration::with_pool!(&admin, |pool| sqlx::query(
                    "CREATE DATABASE bench_assistant"
                )
                .execute(pool)
                .await
                .map(|_| ()))?;
            }
            admin.close().await;
            let mut url = url::Url::parse(&base)?;
            url.set_path("bench_assistant");
            url.to_string()
        }
    };
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    Ok(db)
}

async fn seed(
    db: &Db,
    kind: DbKind,
    rng: &mut StdRng,
    statuses: &[(&str, &str)],
    products: usize,
    orders: usize,
) -> Result<uuid::Uuid, Box<dyn std::error::Error>> {
    {
        let store = seed_store(db, "bench", Some(chrono::Utc::now())).await?;
        seed_statuses(db, store, statuses).await?;
        let started = Instant::now();
        for start in (0..products).step_by(1_000) {
            let page: Vec<_> = (start..(start + 1_000).min(products))
                .map(|i| product(i, rng))
                .collect();
            seed_products(db, store, &page).await?;
        }
        for start in (0..orders).step_by(1_000) {
            let page: Vec<_> = (start..(start + 1_000).min(orders))
                .map(|i| order(i, rng))
                .collect();
            seed_orders(db, store, &page, statuses).await?;
        }
        if kind == DbKind::Postgres {
            integration::with_pool!(db, |pool| sqlx::query("ANALYZE")
                .execute(pool)
                .await
                .map(|_| ()))?;
        }
        println!(
            "{kind:?}: seeded {products} products + {orders} orders in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        Ok(store)
    }
}

async fn bench(
    db: &Db,
    store: uuid::Uuid,
    rng: &mut StdRng,
    products: usize,
    orders: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let runs = 2_000;
    {
        let assistant = Assistant::new(db.clone());
        let key = keys::create(db, store, "bench", None).await?.key;
        let scope = assistant.authenticate(&key).await?;
        let mut search_text = Vec::new();
        let mut search_sku = Vec::new();
        let mut lookups = Vec::new();
        let mut refused = Vec::new();
        let mut auth = Vec::new();
        for round in 0..(runs + 200) {
            let warm = round >= 200;
            // Free text as a caller says it: no accents, one or two words.
            let noun = deunicode(NOUNS[rng.gen_range(0..NOUNS.len())]);
            let q = if round % 2 == 0 {
                noun
            } else {
                format!(
                    "{} {noun}",
                    deunicode(ADJECTIVES[rng.gen_range(0..ADJECTIVES.len())])
                )
            };
            let t = Instant::now();
            let found = assistant
                .search_products(&scope, &ProductSearchQuery { q, limit: Some(5) })
                .await?;
            if warm {
                search_text.push(t.elapsed());
            }
            assert!(!found.products.is_empty());

            let sku = format!("sku-{:06}", rng.gen_range(0..products));
            let t = Instant::now();
            let found = assistant
                .search_products(
                    &scope,
                    &ProductSearchQuery {
                        q: sku,
                        limit: Some(5),
                    },
                )
                .await?;
            if warm {
                search_sku.push(t.elapsed());
            }
            assert_eq!(found.products.len(), 1);

            let i = rng.gen_range(0..orders);
            let request = OrderStatusRequest {
                order_number: (100_000 + i).to_string(),
                phone: Some(phone_of(i).replace("+36 ", "06")),
                email: None,
            };
            let t = Instant::now();
            assistant.order_status(&scope, &request).await?;
            if warm {
                lookups.push(t.elapsed());
            }
            let wrong = OrderStatusRequest {
                phone: Some("+36 30 000 0000".into()),
                ..request
            };
            let t = Instant::now();
            assert!(assistant.order_status(&scope, &wrong).await.is_err());
            if warm {
                refused.push(t.elapsed());
            }
            let t = Instant::now();
            assistant.authenticate(&key).await?;
            if warm {
                auth.push(t.elapsed());
            }
        }
        println!("{}", Stats(search_text).line("search: free text"));
        println!("{}", Stats(search_sku).line("search: SKU"));
        println!("{}", Stats(lookups).line("order status (match)"));
        println!("{}", Stats(refused).line("order status (wrong phone)"));
        println!("{}", Stats(auth).line("API key check"));
    }
    Ok(())
}

/// Drops Hungarian accents the way a speech-to-text transcript often does.
fn deunicode(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'á' => 'a',
            'é' => 'e',
            'í' => 'i',
            'ó' | 'ö' | 'ő' => 'o',
            'ú' | 'ü' | 'ű' => 'u',
            c => c,
        })
        .collect()
}
