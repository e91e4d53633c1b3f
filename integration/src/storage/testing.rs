//! Fresh, throw-away databases for tests (the storage suite and the server's API tests).
//!
//! SQLite: a new file in the temp folder. PostgreSQL: `CREATE DATABASE test_<uuid>` on the server
//! named by `TEST_POSTGRES_URL`, dropped again by [`TestDb::cleanup`], so parallel tests never
//! share state.

use super::{Db, DbKind, SqliteDb, StorageError};

/// The engines to run a test on: SQLite always, PostgreSQL when `TEST_POSTGRES_URL` is set.
pub fn engines() -> Vec<DbKind> {
    let mut kinds = vec![DbKind::Sqlite];
    if postgres_base_url().is_some() {
        kinds.push(DbKind::Postgres);
    }
    kinds
}

pub fn postgres_base_url() -> Option<String> {
    std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
}

pub struct TestDb {
    pub kind: DbKind,
    /// The URL of the fresh database (what `DATABASE_URL` would be).
    pub url: String,
    name: String,
    file: Option<std::path::PathBuf>,
}

impl TestDb {
    /// Creates an empty database (not migrated) and returns its URL.
    pub async fn create(kind: DbKind) -> Result<Self, StorageError> {
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        match kind {
            DbKind::Sqlite => {
                let file = std::env::temp_dir()
                    .join("shopcall-tests")
                    .join(format!("{name}.db"));
                Ok(Self {
                    kind,
                    url: format!("sqlite://{}", file.display()),
                    name,
                    file: Some(file),
                })
            }
            DbKind::Postgres => {
                let base = postgres_base_url().ok_or(StorageError::UnsupportedUrl)?;
                let admin = Db::connect(&base).await?;
                crate::with_pool!(&admin, |pool| {
                    sqlx::query(&format!("CREATE DATABASE {name}"))
                        .execute(pool)
                        .await
                        .map(|_| ())
                })?;
                admin.close().await;
                let mut url = url::Url::parse(&base).map_err(|_| StorageError::UnsupportedUrl)?;
                url.set_path(&name);
                Ok(Self {
                    kind,
                    url: url.to_string(),
                    name,
                    file: None,
                })
            }
        }
    }

    /// Creates, connects and migrates.
    pub async fn migrated(kind: DbKind) -> Result<(Self, Db), StorageError> {
        let test_db = Self::create(kind).await?;
        let db = Db::connect(&test_db.url).await?;
        db.migrate().await?;
        Ok((test_db, db))
    }

    /// The SQLite file, if this is one (tests grep it for plaintext secrets).
    pub fn sqlite_file(&self) -> Option<&std::path::Path> {
        self.file.as_deref()
    }

    /// Removes the database. Close its pools first.
    pub async fn cleanup(self) {
        if let Some(file) = &self.file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
            return;
        }
        if let Some(base) = postgres_base_url() {
            if let Ok(admin) = Db::connect(&base).await {
                let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
                let _ = crate::with_pool!(&admin, |pool| sqlx::query(&sql)
                    .execute(pool)
                    .await
                    .map(|_| ()));
                admin.close().await;
            }
        }
    }
}

/// Moves a pending install's expiry into the past (tests of the 15-minute TTL).
pub async fn expire_pending_install(db: &Db, id: uuid::Uuid) -> Result<(), StorageError> {
    let past = chrono::Utc::now() - chrono::Duration::minutes(1);
    crate::with_writer!(db, |pool| {
        sqlx::query("UPDATE pending_installs SET expires_at = $2 WHERE id = $1")
            .bind(id)
            .bind(past)
            .execute(pool)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

/// Sets a stored token's expiry (tests of re-acquisition before expiry).
pub async fn set_token_expiry(
    db: &Db,
    store_id: uuid::Uuid,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), StorageError> {
    crate::with_writer!(db, |pool| {
        sqlx::query("UPDATE shoprenter_tokens SET expires_at = $2 WHERE store_id = $1")
            .bind(store_id)
            .bind(at)
            .execute(pool)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

/// Every text value stored in the database, for "no plaintext secret at rest" checks.
pub async fn dump_text(db: &Db) -> Result<String, StorageError> {
    let tables: Vec<String> = match db {
        Db::Sqlite(SqliteDb { pool, .. }) => {
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
                .fetch_all(pool)
                .await?
        }
        Db::Postgres(pool) => sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
        )
        .fetch_all(pool)
        .await?,
    };
    let mut out = String::new();
    for table in tables {
        let rows: Vec<String> = match db {
            Db::Sqlite(SqliteDb { pool, .. }) => {
                let cols: Vec<String> =
                    sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}')"))
                        .fetch_all(pool)
                        .await?;
                let mut rows = Vec::new();
                for c in cols {
                    let values: Vec<Option<Vec<u8>>> = sqlx::query_scalar(&format!(
                        "SELECT CAST(\"{c}\" AS BLOB) FROM \"{table}\""
                    ))
                    .fetch_all(pool)
                    .await?;
                    rows.extend(
                        values
                            .into_iter()
                            .flatten()
                            .map(|v| String::from_utf8_lossy(&v).into_owned()),
                    );
                }
                rows
            }
            Db::Postgres(pool) => {
                sqlx::query_scalar(&format!("SELECT CAST(t AS TEXT) FROM \"{table}\" t"))
                    .fetch_all(pool)
                    .await?
            }
        };
        out.push_str(&rows.join("\n"));
        out.push('\n');
    }
    Ok(out)
}
