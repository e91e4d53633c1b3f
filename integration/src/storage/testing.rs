//! Fresh, throw-away databases for tests (the storage suite and the server's API tests).
//!
//! SQLite: a new file in the temp folder. PostgreSQL: `CREATE DATABASE test_<uuid>` on the server
//! named by `TEST_POSTGRES_URL`, dropped again by [`TestDb::cleanup`], so parallel tests never
//! share state.

use super::{Db, DbKind, StorageError};

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
