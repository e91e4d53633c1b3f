//! The install handshake: pending installs (RedirectUri → EntryPoint) and the replay guard.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use super::stores::{StoreRecord, CACHE_TABLES, PLATFORM};
use super::{BeginWrite, Db, StorageError};
use crate::{with_pool, with_writer};

#[derive(Clone, FromRow)]
pub struct PendingInstall {
    pub id: Uuid,
    pub shopname: String,
    pub code: String,
    pub timestamp: i64,
    pub app_url: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub consumed_at: Option<DateTime<Utc>>,
    pub user_id: Option<Uuid>,
    pub store_id: Option<Uuid>,
    /// The random half of the browser's install ticket (none on rows from before tickets).
    pub secret: Option<Uuid>,
}

/// Leaves the ticket's secret out.
impl std::fmt::Debug for PendingInstall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingInstall")
            .field("id", &self.id)
            .field("shopname", &self.shopname)
            .field("expires_at", &self.expires_at)
            .field("consumed_at", &self.consumed_at)
            .field("user_id", &self.user_id)
            .field("store_id", &self.store_id)
            .finish_non_exhaustive()
    }
}

/// What a signed request was used for; recorded with the replay guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignaturePurpose {
    Install,
    Uninstall,
}

impl SignaturePurpose {
    fn as_str(self) -> &'static str {
        match self {
            SignaturePurpose::Install => "install",
            SignaturePurpose::Uninstall => "uninstall",
        }
    }
}

/// Records `(shopname, code, timestamp)`; `false` when it was seen before (a replay).
pub async fn record_signature_once(
    db: &Db,
    shopname: &str,
    code: &str,
    timestamp: i64,
    purpose: SignaturePurpose,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let done = with_writer!(db, |pool| {
        sqlx::query(
            "INSERT INTO used_signatures (shopname, code, timestamp, purpose, used_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(shopname)
        .bind(code)
        .bind(timestamp)
        .bind(purpose.as_str())
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

/// Forgets signatures used before `before` (they are outside the timestamp window anyway) and
/// pending installs that expired before it.
pub async fn prune(db: &Db, before: DateTime<Utc>) -> Result<u64, StorageError> {
    let n = with_writer!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let a = sqlx::query("DELETE FROM used_signatures WHERE used_at < $1")
            .bind(before)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let b = sqlx::query(
            "DELETE FROM pending_installs WHERE expires_at < $1 AND consumed_at IS NULL",
        )
        .bind(before)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok::<_, sqlx::Error>(a + b)
    })?;
    Ok(n)
}

pub struct NewPendingInstall<'a> {
    pub shopname: &'a str,
    pub code: &'a str,
    pub timestamp: i64,
    pub app_url: &'a str,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_pending(db: &Db, new: NewPendingInstall<'_>) -> Result<Uuid, StorageError> {
    let id = Uuid::new_v4();
    with_writer!(db, |pool| {
        sqlx::query(
            "INSERT INTO pending_installs (id, shopname, code, timestamp, app_url, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(new.shopname)
        .bind(new.code)
        .bind(new.timestamp)
        .bind(new.app_url)
        .bind(new.now)
        .bind(new.expires_at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(id)
}

pub async fn find_pending(db: &Db, id: Uuid) -> Result<Option<PendingInstall>, StorageError> {
    Ok(with_pool!(db, |pool| {
        sqlx::query_as::<_, PendingInstall>(
            "SELECT id, shopname, code, timestamp, app_url, created_at, expires_at, consumed_at, user_id, store_id, secret
             FROM pending_installs WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await
    })?)
}

/// The open (unconsumed, unexpired) pending install created from this very signed request.
pub async fn find_open_by_signature(
    db: &Db,
    shopname: &str,
    code: &str,
    timestamp: i64,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, StorageError> {
    Ok(with_pool!(db, |pool| {
        sqlx::query_scalar(
            "SELECT id FROM pending_installs
             WHERE shopname = $1 AND code = $2 AND timestamp = $3 AND consumed_at IS NULL AND expires_at > $4",
        )
        .bind(shopname)
        .bind(code)
        .bind(timestamp)
        .bind(now)
        .fetch_optional(pool)
        .await
    })?)
}

/// What binding a pending install to a merchant did.
#[derive(Debug, Clone)]
pub enum BindOutcome {
    /// The shop is now an active store of this merchant.
    Bound(Box<StoreRecord>),
    /// The pending install is unknown, for another shop, expired or already used.
    InstallUnavailable,
    /// The shop is an active store of a different account; nothing was changed.
    ClaimedByOther,
}

pub struct BindInstall<'a> {
    pub install_id: Uuid,
    pub shopname: &'a str,
    pub user_id: Uuid,
    pub store_url: &'a str,
    pub app_id: &'a str,
    pub client_id: &'a str,
    /// Fresh secret for the webhook URL if a store row is created.
    pub webhook_secret: &'a str,
    pub now: DateTime<Utc>,
}

/// Consumes the pending install and makes the shop an active store of the merchant, all in one
/// transaction: a refused bind leaves the pending install unconsumed and nothing else changed.
/// A shop that was uninstalled or disconnected may be reinstalled by the same or another account;
/// on a change of owner the previous owner's cached data is deleted first.
pub async fn bind_install(db: &Db, bind: BindInstall<'_>) -> Result<BindOutcome, StorageError> {
    let select_store = format!(
        "SELECT {} FROM stores WHERE platform_name = $1 AND shopname = $2",
        "id, user_id, shopname, store_name, store_url, is_active, connected_at, disconnected_at, \
         disconnect_reason, needs_attention, needs_attention_at, scopes, last_sync_at, webhook_secret, created_at"
    );
    // An async block so `return` leaves the transaction (rolled back on drop), not the function.
    let outcome = with_writer!(db, |pool| {
        async {
        let mut tx = pool.begin_write().await?;
        let consumed: Option<Uuid> = sqlx::query_scalar(
            "UPDATE pending_installs SET consumed_at = $3, user_id = $4
             WHERE id = $1 AND shopname = $2 AND consumed_at IS NULL AND expires_at > $3
             RETURNING id",
        )
        .bind(bind.install_id)
        .bind(bind.shopname)
        .bind(bind.now)
        .bind(bind.user_id)
        .fetch_optional(&mut *tx)
        .await?;
        if consumed.is_none() {
            return Ok::<_, sqlx::Error>(BindOutcome::InstallUnavailable);
        }
        let existing = sqlx::query_as::<_, StoreRecord>(&select_store)
            .bind(PLATFORM)
            .bind(bind.shopname)
            .fetch_optional(&mut *tx)
            .await?;
        let store_id = match existing {
            Some(store) if store.is_active && store.user_id != bind.user_id => {
                return Ok(BindOutcome::ClaimedByOther);
            }
            Some(store) => {
                if store.user_id != bind.user_id {
                    for table in CACHE_TABLES {
                        sqlx::query(&format!("DELETE FROM {table} WHERE store_id = $1"))
                            .bind(store.id)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                sqlx::query(
                    "UPDATE stores SET user_id = $2, is_active = $3, connected_at = $4, disconnected_at = NULL,
                        disconnect_reason = NULL, needs_attention = NULL, needs_attention_at = NULL,
                        shoprenter_app_id = $5, shoprenter_client_id = $6, updated_at = $4
                     WHERE id = $1",
                )
                .bind(store.id)
                .bind(bind.user_id)
                .bind(true)
                .bind(bind.now)
                .bind(bind.app_id)
                .bind(bind.client_id)
                .execute(&mut *tx)
                .await?;
                store.id
            }
            None => {
                let id = Uuid::new_v4();
                sqlx::query(
                    "INSERT INTO stores (id, user_id, platform_name, store_name, store_url, shopname,
                        shoprenter_app_id, shoprenter_client_id, is_active, connected_at, webhook_secret,
                        created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $4, $6, $7, $8, $9, $10, $9, $9)",
                )
                .bind(id)
                .bind(bind.user_id)
                .bind(PLATFORM)
                .bind(bind.shopname)
                .bind(bind.store_url)
                .bind(bind.app_id)
                .bind(bind.client_id)
                .bind(true)
                .bind(bind.now)
                .bind(bind.webhook_secret)
                .execute(&mut *tx)
                .await?;
                id
            }
        };
        sqlx::query("UPDATE pending_installs SET store_id = $2 WHERE id = $1")
            .bind(bind.install_id)
            .bind(store_id)
            .execute(&mut *tx)
            .await?;
        let store = sqlx::query_as::<_, StoreRecord>(&select_store)
            .bind(PLATFORM)
            .bind(bind.shopname)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(BindOutcome::Bound(Box::new(store)))
    }
    .await
    })?;
    Ok(outcome)
}

/// One install callback to record: its replay-guard key and the pending install it creates.
#[derive(Debug, Clone)]
pub struct NewCallback {
    pub shopname: String,
    pub code: String,
    pub timestamp: i64,
    pub app_url: String,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The random half of the install ticket the browser gets.
    pub secret: Uuid,
}

/// Callbacks per statement (8 bind parameters each; well under both engines' limits).
pub const MAX_CALLBACK_BATCH: usize = 512;

/// Records many install callbacks in **one transaction** (group commit): each one's signature
/// goes into the replay guard and, when it was fresh, its pending install is created. Returns,
/// per callback in order, the new pending install's id, or `None` for a replay (the signature was
/// used before, or by an earlier callback of this very batch). Either everything is committed or
/// nothing is (the caller answers every member with the error).
pub async fn record_callbacks(
    db: &Db,
    callbacks: &[NewCallback],
) -> Result<Vec<Option<Uuid>>, StorageError> {
    use std::collections::HashSet;
    if callbacks.is_empty() {
        return Ok(Vec::new());
    }
    // A new id for the first occurrence of each key within the batch; later ones are replays.
    // Time-ordered, so each commit appends to the table's key; the ticket's secret is the part
    // nobody can guess.
    let mut seen = HashSet::with_capacity(callbacks.len());
    let ids: Vec<Option<Uuid>> = callbacks
        .iter()
        .map(|c| {
            seen.insert((c.shopname.as_str(), c.code.as_str(), c.timestamp))
                .then(Uuid::now_v7)
        })
        .collect();
    let candidates: Vec<(Uuid, &NewCallback)> = ids
        .iter()
        .zip(callbacks)
        .filter_map(|(id, c)| id.map(|id| (id, c)))
        .collect();
    let created: HashSet<Uuid> = match db {
        Db::Postgres(pool) => record_callbacks_pg(pool, &candidates).await?,
        Db::Sqlite(sqlite) => record_callbacks_sqlite(&sqlite.writer, &candidates).await?,
    };
    Ok(ids
        .into_iter()
        .map(|id| id.filter(|id| created.contains(id)))
        .collect())
}

/// PostgreSQL: one statement for the whole batch (its own transaction, one round trip). The
/// replay guard's insert feeds the pending installs' insert, so only fresh signatures get one;
/// arrays keep the statement text the same for every batch size, so it is planned once.
async fn record_callbacks_pg(
    pool: &sqlx::PgPool,
    candidates: &[(Uuid, &NewCallback)],
) -> Result<std::collections::HashSet<Uuid>, StorageError> {
    fn col<'a, T>(
        c: &[(Uuid, &'a NewCallback)],
        f: impl Fn(&(Uuid, &'a NewCallback)) -> T,
    ) -> Vec<T> {
        c.iter().map(f).collect()
    }
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "WITH batch AS (
             SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::text[],
                                  $6::timestamptz[], $7::timestamptz[], $8::uuid[])
                 AS b(id, shopname, code, timestamp, app_url, created_at, expires_at, secret)),
         fresh AS (
             INSERT INTO used_signatures (shopname, code, timestamp, purpose, used_at)
             SELECT shopname, code, timestamp, 'install', created_at FROM batch
             ON CONFLICT DO NOTHING RETURNING shopname, code, timestamp)
         INSERT INTO pending_installs (id, shopname, code, timestamp, app_url, created_at, expires_at, secret)
         SELECT b.id, b.shopname, b.code, b.timestamp, b.app_url, b.created_at, b.expires_at, b.secret
         FROM batch b JOIN fresh f USING (shopname, code, timestamp)
         RETURNING id",
    )
    .bind(col(candidates, |(id, _)| *id))
    .bind(col(candidates, |(_, c)| c.shopname.as_str()))
    .bind(col(candidates, |(_, c)| c.code.as_str()))
    .bind(col(candidates, |(_, c)| c.timestamp))
    .bind(col(candidates, |(_, c)| c.app_url.as_str()))
    .bind(col(candidates, |(_, c)| c.now))
    .bind(col(candidates, |(_, c)| c.expires_at))
    .bind(col(candidates, |(_, c)| c.secret))
    .fetch_all(pool)
    .await?;
    Ok(ids.into_iter().collect())
}

/// SQLite: the replay guard's multi-row insert, then the fresh ones' pending installs, in one
/// write transaction.
async fn record_callbacks_sqlite(
    pool: &sqlx::SqlitePool,
    candidates: &[(Uuid, &NewCallback)],
) -> Result<std::collections::HashSet<Uuid>, StorageError> {
    use std::collections::HashSet;
    let mut fresh_keys: HashSet<(String, String, i64)> = HashSet::with_capacity(candidates.len());
    let mut tx = pool.begin_write().await?;
    for chunk in candidates.chunks(MAX_CALLBACK_BATCH) {
        let mut sql = String::from(
            "INSERT INTO used_signatures (shopname, code, timestamp, purpose, used_at) VALUES ",
        );
        // Anonymous `?` placeholders bound in order: SQLite resolves `$N` names through a
        // linear list, quadratic over a batch.
        let rows = vec!["(?, ?, ?, 'install', ?)"; chunk.len()];
        sql.push_str(&rows.join(","));
        sql.push_str(" ON CONFLICT DO NOTHING RETURNING shopname, code, timestamp");
        let mut q = sqlx::query_as::<_, (String, String, i64)>(&sql);
        for (_, c) in chunk {
            q = q
                .bind(&c.shopname)
                .bind(&c.code)
                .bind(c.timestamp)
                .bind(c.now);
        }
        fresh_keys.extend(q.fetch_all(&mut *tx).await?);
    }
    let inserts: Vec<&(Uuid, &NewCallback)> = candidates
        .iter()
        .filter(|(_, c)| fresh_keys.contains(&(c.shopname.clone(), c.code.clone(), c.timestamp)))
        .collect();
    for chunk in inserts.chunks(MAX_CALLBACK_BATCH) {
        let mut sql = String::from(
            "INSERT INTO pending_installs (id, shopname, code, timestamp, app_url, created_at, expires_at, secret) VALUES ",
        );
        sql.push_str(&vec!["(?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(","));
        let mut q = sqlx::query(&sql);
        for (id, c) in chunk {
            q = q
                .bind(*id)
                .bind(&c.shopname)
                .bind(&c.code)
                .bind(c.timestamp)
                .bind(&c.app_url)
                .bind(c.now)
                .bind(c.expires_at)
                .bind(c.secret);
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(inserts.into_iter().map(|(id, _)| *id).collect())
}
