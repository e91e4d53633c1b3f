//! The job queue's contract, on SQLite always and on PostgreSQL when `TEST_POSTGRES_URL` is set.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use integration::jobs::{
    self, queue, ClaimedJob, JobContext, JobError, JobHandler, WorkerConfig, Workers,
};
use integration::storage::testing::{engines, TestDb};
use integration::{with_pool, Db, DbKind};
use uuid::Uuid;

async fn each_engine<F, Fut>(test: F)
where
    F: Fn(Db, DbKind) -> Fut,
    Fut: Future<Output = ()>,
{
    for kind in engines() {
        let (test_db, db) = TestDb::migrated(kind)
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        eprintln!("running on {kind:?}");
        test(db.clone(), kind).await;
        db.close().await;
        test_db.cleanup().await;
    }
}

/// A user and an active store, inserted directly.
async fn store(db: &Db, shop: &str) -> Uuid {
    let user_id = Uuid::new_v4();
    let store_id = Uuid::new_v4();
    with_pool!(db, |pool| {
        sqlx::query("INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'x')")
            .bind(user_id)
            .bind(format!("{shop}@example.com"))
            .execute(pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO stores (id, user_id, store_name, store_url, shopname, webhook_secret, is_active)
             VALUES ($1, $2, $3, $4, $3, $5, $6)",
        )
        .bind(store_id)
        .bind(user_id)
        .bind(shop)
        .bind(format!("https://{shop}.myshoprenter.hu"))
        .bind(Uuid::new_v4().simple().to_string())
        .bind(true)
        .execute(pool)
        .await
        .unwrap();
    });
    store_id
}

async fn job_row(db: &Db, id: Uuid) -> (String, i32, Option<String>) {
    with_pool!(db, |pool| {
        sqlx::query_as::<_, (String, i32, Option<String>)>(
            "SELECT status, attempts, last_error FROM jobs WHERE id = $1",
        )
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
    })
}

#[tokio::test]
async fn claim_runs_due_jobs_once_and_leases_expire() {
    each_engine(|db, _| async move {
        let store_id = store(&db, "lease").await;
        let now = Utc::now();
        let id = jobs::enqueue_for_store(&db, jobs::kinds::INCREMENTAL_SYNC, store_id, now)
            .await
            .unwrap()
            .unwrap();
        // A second enqueue of the same kind for the same store is deduplicated while one is live.
        assert!(
            jobs::enqueue_for_store(&db, jobs::kinds::INCREMENTAL_SYNC, store_id, now)
                .await
                .unwrap()
                .is_none()
        );
        // Not yet due.
        let later = jobs::enqueue_for_store(
            &db,
            jobs::kinds::RECONCILE_SYNC,
            store_id,
            now + chrono::Duration::hours(1),
        )
        .await
        .unwrap()
        .unwrap();

        let lease = now + chrono::Duration::seconds(30);
        let claimed = queue::claim_next_job(&db, "a", &[], now, lease)
            .await
            .unwrap()
            .expect("claimed");
        assert_eq!(claimed.id, id);
        assert_eq!(claimed.attempts, 1);
        assert!(
            queue::claim_next_job(&db, "b", &[], now, lease)
                .await
                .unwrap()
                .is_none(),
            "leased and not due"
        );

        // Worker a crashes; after its lease, b takes the job over and a can no longer finish it.
        let after_lease = lease + chrono::Duration::seconds(1);
        let again = queue::claim_next_job(
            &db,
            "b",
            &[jobs::kinds::INCREMENTAL_SYNC],
            after_lease,
            after_lease + chrono::Duration::seconds(30),
        )
        .await
        .unwrap()
        .expect("re-claimed after lease expiry");
        assert_eq!(again.id, id);
        assert_eq!(again.attempts, 2);
        assert!(
            !queue::complete_job(&db, id, "a", after_lease)
                .await
                .unwrap(),
            "stale worker cannot complete"
        );
        assert!(!queue::renew_lease(&db, id, "a", after_lease, after_lease)
            .await
            .unwrap());
        assert!(queue::complete_job(&db, id, "b", after_lease)
            .await
            .unwrap());
        assert_eq!(job_row(&db, id).await.0, "done");
        assert_eq!(job_row(&db, later).await.0, "queued");
    })
    .await;
}

#[tokio::test]
async fn failing_job_is_retried_with_backoff_then_dead_with_last_error() {
    each_engine(|db, _| async move {
        let store_id = store(&db, "retry").await;
        let now = Utc::now();
        let id = jobs::enqueue_for_store(&db, jobs::kinds::INITIAL_SYNC, store_id, now)
            .await
            .unwrap()
            .unwrap();
        let lease = now + chrono::Duration::seconds(30);
        queue::claim_next_job(&db, "w", &[], now, lease)
            .await
            .unwrap()
            .unwrap();
        let retry_at = now + chrono::Duration::seconds(10);
        assert!(queue::retry_job(&db, id, "w", "HTTP 503", retry_at, now)
            .await
            .unwrap());
        let (status, attempts, error) = job_row(&db, id).await;
        assert_eq!(
            (status.as_str(), attempts, error.as_deref()),
            ("queued", 1, Some("HTTP 503"))
        );
        assert!(
            queue::claim_next_job(&db, "w", &[], now, lease)
                .await
                .unwrap()
                .is_none(),
            "backing off"
        );
        let claimed = queue::claim_next_job(
            &db,
            "w",
            &[],
            retry_at,
            retry_at + chrono::Duration::seconds(30),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(claimed.attempts, 2);
        assert!(queue::bury_job(&db, id, "w", "gave up: HTTP 503", retry_at)
            .await
            .unwrap());
        let (status, _, error) = job_row(&db, id).await;
        assert_eq!(
            (status.as_str(), error.as_deref()),
            ("dead", Some("gave up: HTTP 503"))
        );
        // A dead job no longer blocks a new one of its kind.
        assert!(
            jobs::enqueue_for_store(&db, jobs::kinds::INITIAL_SYNC, store_id, now)
                .await
                .unwrap()
                .is_some()
        );
    })
    .await;
}

/// Records which worker ran which job; fails the first attempt of every third job.
struct Recorder {
    runs: Mutex<Vec<(Uuid, String, i32)>>,
}

#[async_trait::async_trait]
impl JobHandler for Recorder {
    async fn run(&self, job: &ClaimedJob, ctx: &JobContext) -> Result<(), JobError> {
        self.runs
            .lock()
            .unwrap()
            .push((job.id, ctx.worker.clone(), job.attempts));
        tokio::time::sleep(Duration::from_millis(2)).await;
        if job.attempts == 1 && job.id.as_bytes()[0].is_multiple_of(3) {
            return Err(JobError::Retry("first attempt fails".into()));
        }
        Ok(())
    }
}

#[tokio::test]
async fn two_worker_pools_share_the_queue_without_running_a_job_twice() {
    each_engine(|db, kind| async move {
        let n = 60;
        let mut ids = HashSet::new();
        for i in 0..n {
            let store_id = store(&db, &format!("shop{i}")).await;
            ids.insert(
                jobs::enqueue_for_store(&db, jobs::kinds::INCREMENTAL_SYNC, store_id, Utc::now())
                    .await
                    .unwrap()
                    .unwrap(),
            );
        }
        let recorder = Arc::new(Recorder {
            runs: Mutex::default(),
        });
        let config = |name: &str| WorkerConfig {
            concurrency: 4,
            poll_interval: Duration::from_millis(20),
            backoff_base: Duration::from_millis(20),
            backoff_cap: Duration::from_millis(50),
            worker_id: name.into(),
            ..WorkerConfig::default()
        };
        let handlers = || {
            let mut h: HashMap<&'static str, Arc<dyn JobHandler>> = HashMap::new();
            h.insert(jobs::kinds::INCREMENTAL_SYNC, recorder.clone());
            h
        };
        // Two "instances": separate pools (on Postgres separate connection pools too).
        let second_db = match kind {
            DbKind::Postgres => Db::connect(&db_url(&db).await).await.unwrap(),
            DbKind::Sqlite => db.clone(),
        };
        let a = Workers::start(db.clone(), config("a"), handlers());
        let b = Workers::start(second_db, config("b"), handlers());
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let done: i64 = with_pool!(&db, |pool| {
                sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status = 'done'")
                    .fetch_one(pool)
                    .await
                    .unwrap()
            });
            if done == n || std::time::Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        a.shutdown(Duration::from_secs(5)).await;
        b.shutdown(Duration::from_secs(5)).await;
        let runs = recorder.runs.lock().unwrap().clone();
        let mut per_attempt = HashSet::new();
        for (id, _, attempt) in &runs {
            assert!(ids.contains(id));
            assert!(
                per_attempt.insert((*id, *attempt)),
                "job {id} attempt {attempt} ran twice"
            );
        }
        let finished: HashSet<Uuid> = runs.iter().map(|r| r.0).collect();
        assert_eq!(finished.len(), n as usize, "every job ran");
        let workers: HashSet<&str> = runs.iter().map(|r| &r.1[..1]).collect();
        eprintln!("{} runs by instances {workers:?}", runs.len());
    })
    .await;
}

async fn db_url(db: &Db) -> String {
    let name: String = with_pool!(db, |pool| sqlx::query_scalar("SELECT current_database()")
        .fetch_one(pool)
        .await
        .unwrap());
    let mut url =
        url::Url::parse(&integration::storage::testing::postgres_base_url().unwrap()).unwrap();
    url.set_path(&name);
    url.to_string()
}
