//! Merchant accounts (`users`).

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use super::{Db, StorageError};
use crate::{with_pool, with_writer};

/// A user row, password hash included; only the accounts module reads the hash.
#[derive(Clone, FromRow)]
pub struct UserRecord {
    pub id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// Inserts a user; `Ok(None)` when the e-mail address is already taken.
pub async fn insert(
    db: &Db,
    email: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<UserRecord>, StorageError> {
    let id = Uuid::new_v4();
    let row = with_writer!(db, |pool| {
        sqlx::query_as::<_, UserRecord>(
            "INSERT INTO users (id, email, password_hash, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $4)
             ON CONFLICT (email) DO NOTHING
             RETURNING id, email, password_hash, created_at",
        )
        .bind(id)
        .bind(email)
        .bind(password_hash)
        .bind(now)
        .fetch_optional(pool)
        .await
    })?;
    Ok(row)
}

pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<UserRecord>, StorageError> {
    let row = with_pool!(db, |pool| {
        sqlx::query_as::<_, UserRecord>(
            "SELECT id, email, password_hash, created_at FROM users WHERE email = $1",
        )
        .bind(email)
        .fetch_optional(pool)
        .await
    })?;
    Ok(row)
}

pub async fn find_by_id(db: &Db, id: Uuid) -> Result<Option<UserRecord>, StorageError> {
    let row = with_pool!(db, |pool| {
        sqlx::query_as::<_, UserRecord>(
            "SELECT id, email, password_hash, created_at FROM users WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await
    })?;
    Ok(row)
}
