//! Server-side sessions for `tower-sessions`, in the same database as everything else.
//!
//! `tower-sessions-sqlx-store` has one store type per engine; [`SessionStore`] picks the one that
//! matches the [`Db`] so the HTTP edge never sees the engine. The tables are created by our own
//! migrations (`tower_sessions`), not by the stores' `migrate()`.

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use super::{Db, SqliteDb};

const TABLE: &str = "tower_sessions";

#[derive(Debug, Clone)]
pub enum SessionStore {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl SessionStore {
    pub fn new(db: &Db) -> Self {
        match db {
            Db::Sqlite(SqliteDb { pool, .. }) => SessionStore::Sqlite(
                SqliteStore::new(pool.clone())
                    .with_table_name(TABLE)
                    .expect("static table name is a valid identifier"),
            ),
            Db::Postgres(pool) => SessionStore::Postgres(
                PostgresStore::new(pool.clone())
                    .with_schema_name("public")
                    .expect("static schema name is a valid identifier")
                    .with_table_name(TABLE)
                    .expect("static table name is a valid identifier"),
            ),
        }
    }
}

#[async_trait]
impl tower_sessions::SessionStore for SessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            SessionStore::Sqlite(s) => s.create(record).await,
            SessionStore::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            SessionStore::Sqlite(s) => s.save(record).await,
            SessionStore::Postgres(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            SessionStore::Sqlite(s) => s.load(id).await,
            SessionStore::Postgres(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            SessionStore::Sqlite(s) => s.delete(id).await,
            SessionStore::Postgres(s) => s.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for SessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            SessionStore::Sqlite(s) => s.delete_expired().await,
            SessionStore::Postgres(s) => s.delete_expired().await,
        }
    }
}
