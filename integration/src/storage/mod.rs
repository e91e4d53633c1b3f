//! Storage on two engines: SQLite (embedded default) and PostgreSQL (production, several instances).
//!
//! Queries are plain runtime `sqlx::query*` calls with portable SQL (`$1` placeholders work on both
//! engines) and `FromRow` structs; the one storage test suite runs against both engines and is what
//! catches a dialect mistake. The few statements that must differ (row locks, `SKIP LOCKED`) branch
//! on [`Db`] explicitly. Nothing outside this module sees which engine is in use.

pub mod checkpoint;
pub mod documents;
pub(crate) mod group_commit;
pub mod installs;
pub mod jobs;
pub mod rate_window;
pub mod sessions;
pub mod stores;
#[doc(hidden)]
pub mod testing;
pub mod tokens;
pub mod users;

pub use sessions::SessionStore;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// Runs the same expression against whichever pool is active.
///
/// `$pool` is bound to the concrete pool type in each arm, so the expression is type-checked once
/// per engine: a query that only one driver can encode fails to compile.
#[macro_export]
macro_rules! with_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::storage::Db::Sqlite(sqlite) => {
                let $pool = &sqlite.pool;
                $body
            }
            $crate::storage::Db::Postgres($pool) => $body,
        }
    };
}

/// [`with_pool!`] for a statement or transaction that writes: on SQLite `$pool` is the one write
/// connection ([`SqliteDb::writer`]), so a body holding a transaction on it must not wait for
/// another write through this macro (it would wait for itself until the pool's acquire timeout).
#[macro_export]
macro_rules! with_writer {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::storage::Db::Sqlite(sqlite) => {
                let $pool = &sqlite.writer;
                $body
            }
            $crate::storage::Db::Postgres($pool) => $body,
        }
    };
}

/// Opens a transaction that will write.
///
/// On SQLite a plain (deferred) `BEGIN` that reads before it writes fails at once with
/// "database is locked" when another connection committed in between: the busy timeout does not
/// apply to that upgrade. `BEGIN IMMEDIATE` takes the write lock up front and waits for it.
pub trait BeginWrite {
    type Database: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<
        Output = Result<sqlx::Transaction<'static, Self::Database>, sqlx::Error>,
    > + Send;
}

impl BeginWrite for SqlitePool {
    type Database = sqlx::Sqlite;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<
        Output = Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error>,
    > + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl BeginWrite for PgPool {
    type Database = sqlx::Postgres;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<
        Output = Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error>,
    > + Send {
        self.begin()
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// Errors from the storage layer. Their text is for logs, never for a browser.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("unsupported database URL (expected sqlite:… or postgres://…)")]
    UnsupportedUrl,
    #[error("could not create the database folder {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Rows one statement of [`delete_in_batches`] removes at most: each batch is its own short
/// write transaction, so writers arriving meanwhile (webhook deliveries, job claims) wait for one
/// batch at most.
pub const DELETE_BATCH: i64 = 1000;

/// Runs `delete` — one statement deleting at most the given number of rows — until a run deletes
/// fewer, and returns the total. Housekeeping's deletes from tables that grow without bound.
pub(crate) async fn delete_in_batches<F, Fut>(mut delete: F) -> Result<u64, StorageError>
where
    F: FnMut(i64) -> Fut,
    Fut: std::future::Future<Output = Result<u64, sqlx::Error>>,
{
    let mut total = 0;
    loop {
        let n = delete(DELETE_BATCH).await?;
        total += n;
        if n < DELETE_BATCH as u64 {
            return Ok(total);
        }
        tokio::task::yield_now().await;
    }
}

/// Which engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

/// A connection pool on one of the two supported engines.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqliteDb),
    Postgres(PgPool),
}

/// SQLite's connections: readers in a pool, and one connection for everything that writes.
///
/// SQLite runs one write at a time. With writes spread over the pool, a writer that found the
/// database locked slept in SQLite's busy handler (1, 2, 5, 10, 15... ms) and tried again, so
/// the webhook inbox, its workers, the sync and the install callbacks delayed each other by whole
/// sleeps. Through one write connection they queue in the pool instead and go the moment it is
/// free. Measured (`bench`, paired runs on one machine, pool -> write connection): (d) lag
/// p99 74-97 -> 21-28 ms; (c) with workers 5.8-6.4k -> 7.9-8.1k deliveries/s, p99 34-36 ->
/// 18-20 ms; (c) receive-only 14.4-15.2k -> 16.0-17.9k/s; (b) 19.0-19.3k -> 19.3-20.0k
/// records/s. Use [`with_writer!`] for any statement that writes.
#[derive(Debug, Clone)]
pub struct SqliteDb {
    /// Reads, several at once beside the writer (WAL).
    pub pool: SqlitePool,
    /// The write connection (the pool itself for an in-memory database, which lives in one
    /// connection), kept open for the life of the process.
    pub writer: SqlitePool,
    in_memory: bool,
}

impl Db {
    /// Connects to `url`; for SQLite the file and its folder are created if missing.
    pub async fn connect(url: &str) -> Result<Self, StorageError> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                // WAL lets readers (UI, assistant API) run while the sync writes.
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // A full sync's writer spent much of its time in the kernel (measured, `perf`):
                // re-reading pages with `pread` into SQLite's default 2 MB page cache, and writing
                // each multi-row upsert's statement journal to a temporary file. Reads go through
                // a memory map (address space only: the OS's file cache, shared by every
                // connection), each connection keeps 16 MB of pages, and statement journals stay
                // in memory.
                .pragma("mmap_size", (1u64 << 30).to_string())
                .pragma("cache_size", "-16384")
                .pragma("temp_store", "memory")
                // 8 KB pages for new databases: cache rows carry 2-4 KB documents, which spill
                // into overflow pages at 4 KB. Measured (`bench`, same machine, 4 KB -> 8 KB):
                // full sync 18.2-20.1k -> 20.3-22.3k records/s, webhook ingest 19.3k p99 9.7 ms
                // -> 19.8k p99 7.3 ms, install callbacks 17.9-18.9k p99 17-18 ms -> 16.0-16.6k
                // p99 12 ms. 16 KB measured about the same as 8 KB. Existing files keep theirs.
                .page_size(8192)
                // The server checkpoints in the background (`checkpoint::run`); a commit only
                // checkpoints itself past this backstop. Measured with commits checkpointing at
                // ~4 MB, ~12 MB, ~32 MB of WAL: full sync 10.4k, 11.6k, 12.4k records/s, webhook
                // ingest p99 17, 31, 55 ms (the commit that crosses the mark waits for the copy).
                .pragma("wal_autocheckpoint", checkpoint::BACKSTOP_PAGES.to_string());
            if let Some(parent) = Path::new(options.get_filename()).parent() {
                if !parent.as_os_str().is_empty() && !parent.exists() {
                    std::fs::create_dir_all(parent).map_err(|source| StorageError::CreateDir {
                        path: parent.display().to_string(),
                        source,
                    })?;
                }
            }
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            let pool = SqlitePoolOptions::new()
                // An in-memory database lives only as long as its one connection.
                .max_connections(if in_memory { 1 } else { 8 })
                .min_connections(if in_memory { 1 } else { 0 })
                // No check on checkout (~0.05 ms per query): an in-process SQLite connection does
                // not die while idle. (It was on for a while, suspected in a browser-test flake
                // that turned out to be a hydration panic on the store page.)
                .test_before_acquire(false)
                .idle_timeout(if in_memory {
                    None
                } else {
                    Some(Duration::from_secs(600))
                })
                .max_lifetime(if in_memory {
                    None
                } else {
                    Some(Duration::from_secs(1800))
                })
                .connect_with(options.clone())
                .await?;
            let writer = if in_memory {
                pool.clone()
            } else {
                SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .test_before_acquire(false)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    // A page of orders returns its 200 row ids at once; with sqlx's default
                    // 50-row channel the connection's thread stopped three times per page to
                    // wait for the sync's task to take them. (`bench b`, 4 pairs: orders pass
                    // 1.52 -> 1.48 s on average, about the noise; kept as it costs nothing.)
                    .connect_with(options.row_buffer_size(256))
                    .await?
            };
            Ok(Db::Sqlite(SqliteDb {
                pool,
                writer,
                in_memory,
            }))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                // No ping before every checkout: it doubled the round trips of each query (a
                // one-query assistant lookup is ~0.1 ms of server time, measured). A connection
                // that died while idle fails its next query instead, which the caller's usual
                // error path handles (jobs retry, the API answers 503); idle and lifetime limits
                // keep the pool from holding stale connections long.
                .test_before_acquire(false)
                .connect_with(options)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            Err(StorageError::UnsupportedUrl)
        }
    }

    pub fn kind(&self) -> DbKind {
        match self {
            Db::Sqlite(_) => DbKind::Sqlite,
            Db::Postgres(_) => DbKind::Postgres,
        }
    }

    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        match self {
            Db::Sqlite(_) => &SQLITE_MIGRATIONS,
            Db::Postgres(_) => &POSTGRES_MIGRATIONS,
        }
    }

    /// Applies every pending migration for this engine.
    pub async fn migrate(&self) -> Result<(), StorageError> {
        let migrator = self.migrator();
        with_writer!(self, |pool| migrator.run(pool).await)?;
        Ok(())
    }

    /// True when the database answers and every embedded migration has been applied.
    pub async fn is_ready(&self) -> Result<bool, StorageError> {
        let expected = self
            .migrator()
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .count() as i64;
        let applied: i64 = with_pool!(self, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = $1")
                .bind(true)
                .fetch_one(pool)
                .await
        })?;
        Ok(applied >= expected)
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(sqlite) => {
                sqlite.writer.close().await;
                sqlite.pool.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }

    /// (open, idle) connections: open minus idle are checked out right now.
    pub fn connections(&self) -> (u32, usize) {
        match self {
            // An in-memory database's writer is its pool: count it once.
            Db::Sqlite(SqliteDb {
                pool,
                writer,
                in_memory: false,
            }) => (
                pool.size() + writer.size(),
                pool.num_idle() + writer.num_idle(),
            ),
            _ => with_pool!(self, |pool| (pool.size(), pool.num_idle())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_file_and_folder_are_created_and_migrated() {
        let dir = std::env::temp_dir().join(format!("shopcall-db-{}", uuid::Uuid::new_v4()));
        let url = format!("sqlite://{}/nested/shop.db", dir.display());
        let db = Db::connect(&url).await.expect("connect");
        assert!(
            !db.is_ready().await.unwrap_or(false),
            "not ready before migrations"
        );
        db.migrate().await.expect("migrate");
        assert!(db.is_ready().await.expect("ready"));
        assert!(dir.join("nested/shop.db").exists());
        let Db::Sqlite(SqliteDb { pool, .. }) = &db else {
            unreachable!()
        };
        let page_size: i64 = sqlx::query_scalar("PRAGMA page_size")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(page_size, 8192, "set before the file is created");
        db.close().await;
        std::fs::remove_dir_all(dir).ok();
    }

    /// Writes queue for one connection; an in-memory database (one connection) uses it for both.
    #[tokio::test]
    async fn sqlite_writes_go_through_one_connection() {
        let dir = std::env::temp_dir().join(format!("shopcall-db-{}", uuid::Uuid::new_v4()));
        let db = Db::connect(&format!("sqlite://{}/w.db", dir.display()))
            .await
            .expect("connect");
        db.migrate().await.expect("migrate");
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    with_writer!(&db, |pool| {
                        let mut tx = pool.begin_write().await?;
                        sqlx::query("INSERT INTO app_meta (key, value) VALUES ($1, 'v')")
                            .bind(format!("k{i}"))
                            .execute(&mut *tx)
                            .await?;
                        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                        tx.commit().await
                    })
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("join").expect("write transaction");
        }
        let Db::Sqlite(sqlite) = &db else {
            unreachable!()
        };
        assert_eq!(sqlite.writer.size(), 1, "one write connection");
        assert_eq!(sqlite.writer.options().get_max_connections(), 1);
        let written: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM app_meta WHERE key LIKE 'k%'")
            .fetch_one(&sqlite.pool)
            .await
            .unwrap();
        assert_eq!(written, 16, "readers see what the writer committed");
        db.close().await;
        std::fs::remove_dir_all(dir).ok();

        let db = Db::connect("sqlite::memory:").await.expect("connect");
        db.migrate().await.expect("migrate on the write connection");
        assert!(
            db.is_ready().await.expect("read on the pool"),
            "same database"
        );
        db.close().await;
    }

    #[tokio::test]
    async fn write_transactions_wait_for_each_other_instead_of_failing() {
        let dir = std::env::temp_dir().join(format!("shopcall-db-{}", uuid::Uuid::new_v4()));
        let db = Db::connect(&format!("sqlite://{}/w.db", dir.display()))
            .await
            .expect("connect");
        db.migrate().await.expect("migrate");
        let Db::Sqlite(SqliteDb { pool, .. }) = &db else {
            unreachable!()
        };
        // Many read-then-write transactions at once: with a deferred BEGIN some fail with
        // "database is locked"; with begin_write all of them commit.
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let pool = pool.clone();
                tokio::spawn(async move {
                    let mut tx = pool.begin_write().await?;
                    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM app_meta")
                        .fetch_one(&mut *tx)
                        .await?;
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                    sqlx::query("INSERT INTO app_meta (key, value) VALUES ($1, $2)")
                        .bind(format!("k{i}"))
                        .bind(n.to_string())
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("join").expect("write transaction");
        }
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM app_meta")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(n, 16);
        db.close().await;
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn unknown_scheme_is_refused() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert!(matches!(
            rt.block_on(Db::connect("mysql://x")),
            Err(StorageError::UnsupportedUrl)
        ));
    }
}
