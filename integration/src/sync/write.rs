//! Writing one page: the batched upserts and the progress row in one transaction, so a page is
//! either fully in the cache and counted, or neither (a restart resumes at the right page).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::postgres::PgPool;
use sqlx::sqlite::{Sqlite, SqlitePool};
use uuid::Uuid;

use super::resources::{Resource, ORDER_ITEMS};
use super::upsert::{pack_documents, BindRows, Table, Val};
use crate::storage::{BeginWrite, Db, DbKind, StorageError};
use crate::{with_pool, with_writer};

/// Where a page's transaction moves its store's progress row (only for full passes): the
/// pages written so far in the pass, and the page to resume at. Absolute, and applied only if it
/// moves `next_page` forward, because with several pages written at once (PostgreSQL) their
/// transactions may commit in any order.
#[derive(Debug, Clone)]
pub struct PageProgress {
    pub store_id: Uuid,
    pub next_page: i64,
    pub pages_done: i64,
    pub records_done: i64,
    pub estimated_total: Option<i64>,
    pub records_per_sec: Option<f64>,
    pub eta_secs: Option<f64>,
}

/// An order with its item rows; the items get the order row's id once it is known.
pub struct OrderWithItems {
    pub store_id: Uuid,
    pub row: Vec<Val>,
    pub platform_id: String,
    /// Item rows with a placeholder order id (column 1), replaced after the upsert.
    pub items: Vec<Vec<Val>>,
}

impl OrderWithItems {
    /// Packs the order's and its items' documents (see [`crate::storage::documents`]).
    pub fn pack_documents(&mut self) {
        self.row.iter_mut().for_each(Val::pack_document);
        pack_documents(&mut self.items);
    }
}

/// Upserts `rows` into `resource`'s table and, for a full pass, advances its progress row — one
/// transaction. `orders` may belong to several stores (each carries its own).
pub async fn commit_page(
    db: &Db,
    resource: Resource,
    rows: Vec<Vec<Val>>,
    orders: Vec<OrderWithItems>,
    progress: Option<PageProgress>,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let mut page = PageWrite {
        resource,
        rows,
        orders,
        progress,
        now,
    };
    // A full sync packs its pages while mapping them (on a blocking thread, ahead of the write);
    // other writers' few records are packed here.
    pack_documents(&mut page.rows);
    page.orders
        .iter_mut()
        .for_each(OrderWithItems::pack_documents);
    match db {
        Db::Sqlite(sqlite) => {
            // Its own task, so that a caller that stops waiting cannot leave the transaction
            // open on the write connection: the task always ends with COMMIT or ROLLBACK.
            let writer = sqlite.writer.clone();
            match tokio::spawn(async move { page.commit_sqlite(&writer).await }).await {
                Ok(result) => result,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                // Only when the runtime shuts down under it.
                Err(_) => Err(StorageError::Sqlx(sqlx::Error::PoolClosed)),
            }
        }
        Db::Postgres(pool) => page.commit_postgres(pool).await,
    }
}

/// One page's writes, as [`commit_page`] received them.
struct PageWrite {
    resource: Resource,
    rows: Vec<Vec<Val>>,
    orders: Vec<OrderWithItems>,
    progress: Option<PageProgress>,
    now: DateTime<Utc>,
}

/// The progress row's update. Both engines take the same parameters in the same order
/// ([`bind_progress!`]): SQLite binds its `?` in order of appearance, so `next_page` comes twice.
fn progress_sql(kind: DbKind) -> &'static str {
    match kind {
        DbKind::Postgres => {
            "UPDATE sync_progress SET next_page = $1, pages_done = $2, records_done = $3,
                    estimated_total = COALESCE($4, estimated_total), records_per_sec = $5, eta_secs = $6, updated_at = $7
             WHERE store_id = $8 AND resource = $9 AND next_page < $10"
        }
        DbKind::Sqlite => {
            "UPDATE sync_progress SET next_page = ?, pages_done = ?, records_done = ?,
                    estimated_total = COALESCE(?, estimated_total), records_per_sec = ?, eta_secs = ?, updated_at = ?
             WHERE store_id = ? AND resource = ? AND next_page < ?"
        }
    }
}

/// Binds [`progress_sql`]'s parameters for progress `$p` of `$page` (a [`PageWrite`]).
macro_rules! bind_progress {
    ($q:expr, $p:expr, $page:expr) => {
        $q.bind($p.next_page as i32)
            .bind($p.pages_done as i32)
            .bind($p.records_done)
            .bind($p.estimated_total)
            .bind($p.records_per_sec)
            .bind($p.eta_secs)
            .bind($page.now)
            .bind($p.store_id)
            .bind($page.resource.as_str())
            .bind($p.next_page as i32)
    };
}

/// Appends `table`'s upserts of `rows` (as many statements as its bind limit needs) to a batch;
/// bind all of `rows` in order after the batch's earlier parameters.
fn push_upserts(sql: &mut String, table: &Table, rows: &[Vec<Val>], returning: Option<&str>) {
    for chunk in rows.chunks(table.max_rows()) {
        sql.push_str(&table.upsert_sql(DbKind::Sqlite, chunk, returning));
        sql.push_str(";\n");
    }
}

/// The orders' rows, and what is needed after their upsert: which row ids this write proposed
/// (a new order keeps its proposed id) and each order's items by `(store, platform id)`.
struct SplitOrders {
    rows: Vec<Vec<Val>>,
    proposed: HashSet<Uuid>,
    items: Vec<(OrderKey, Vec<Vec<Val>>)>,
}

/// An order's identity across stores: `(store id, platform id)`.
type OrderKey = (Uuid, String);

impl SplitOrders {
    fn new(orders: Vec<OrderWithItems>) -> Self {
        let mut rows = Vec::with_capacity(orders.len());
        let mut proposed = HashSet::with_capacity(orders.len());
        let mut items = Vec::with_capacity(orders.len());
        for o in orders {
            if let Some(Val::Uuid(id)) = o.row.first() {
                proposed.insert(*id);
            }
            rows.push(o.row);
            items.push(((o.store_id, o.platform_id), o.items));
        }
        SplitOrders {
            rows,
            proposed,
            items,
        }
    }

    /// Given the upsert's `(id, store, platform id)` rows: the ids of orders that were already
    /// cached (only those can have items to replace), and every item row with its order's id.
    ///
    /// A new row keeps the id this page proposed. In a first sync on PostgreSQL deleting every
    /// order's items ran as a scan of the whole items table for every page
    /// (`pg_stat_user_tables`: 103 scans, 2.2M rows read for 20k orders) instead of using the
    /// (order_id, …) unique index.
    fn resolve(self, returned: Vec<(Uuid, Uuid, String)>) -> (Vec<Uuid>, Vec<Vec<Val>>) {
        let ids: HashMap<OrderKey, Uuid> = returned
            .into_iter()
            .map(|(id, store, ext)| ((store, ext), id))
            .collect();
        let mut cached: Vec<Uuid> = ids
            .values()
            .copied()
            .filter(|id| !self.proposed.contains(id))
            .collect();
        cached.sort_unstable();
        let mut items = Vec::new();
        for (key, order_items) in self.items {
            let Some(order_id) = ids.get(&key) else {
                continue;
            };
            for mut item in order_items {
                item[1] = Val::Uuid(*order_id);
                items.push(item);
            }
        }
        (cached, items)
    }
}

/// `DELETE` of the items of up to 500 orders, `placeholder(i)` naming the i-th (1-based) id.
fn delete_items_sql(n: usize, placeholder: impl Fn(usize) -> String) -> String {
    let list: Vec<String> = (1..=n).map(placeholder).collect();
    format!(
        "DELETE FROM shoprenter_order_items_cache WHERE order_id IN ({})",
        list.join(",")
    )
}

const ORDER_KEYS: &str = "id, store_id, shoprenter_order_id";

impl PageWrite {
    /// The page as one or two batches of statements on the write connection, each a single
    /// round trip to sqlx's thread for that connection. With one statement per round trip
    /// (BEGIN, upsert, progress, COMMIT) that thread waited ~1.5 s per `bench b` sync for the
    /// next command, each hand-over between it and the sync's task costing ~0.3 ms on two busy
    /// cores; batched, ~0.4 s (`perf sched timehist`).
    async fn commit_sqlite(self, writer: &SqlitePool) -> Result<(), StorageError> {
        let mut conn = writer.acquire().await?;
        let result = self.sqlite_batches(&mut conn).await;
        if result.is_err() {
            // The failed batch stopped at its failing statement, inside the transaction (unless
            // SQLite already rolled it back, when this ROLLBACK fails harmlessly).
            if sqlx::query("ROLLBACK").execute(&mut *conn).await.is_err() {
                tracing::debug!("no transaction to roll back after a failed page write");
            }
        }
        result
    }

    async fn sqlite_batches(self, conn: &mut PoolConnection<Sqlite>) -> Result<(), StorageError> {
        let table = self.resource.table();
        // The first batch opens the transaction; for orders it is their upsert alone, whose
        // returned row ids the items need.
        let mut sql = String::from("BEGIN IMMEDIATE;\n");
        let (mut cached, mut items) = (Vec::new(), Vec::new());
        if !self.orders.is_empty() {
            let split = SplitOrders::new(self.orders);
            push_upserts(&mut sql, table, &split.rows, Some(ORDER_KEYS));
            let returned = sqlx::query_as::<_, (Uuid, Uuid, String)>(&sql)
                .bind_rows(&split.rows)?
                .fetch_all(&mut **conn)
                .await?;
            (cached, items) = split.resolve(returned);
            sql.clear();
        }
        push_upserts(&mut sql, table, &self.rows, None);
        for chunk in cached.chunks(500) {
            sql.push_str(&delete_items_sql(chunk.len(), |_| "?".to_string()));
            sql.push_str(";\n");
        }
        push_upserts(&mut sql, &ORDER_ITEMS, &items, None);
        if self.progress.is_some() {
            sql.push_str(progress_sql(DbKind::Sqlite));
            sql.push_str(";\n");
        }
        sql.push_str("COMMIT");
        let mut q = sqlx::query(&sql).bind_rows(&self.rows)?;
        for id in &cached {
            q = q.bind(*id);
        }
        q = q.bind_rows(&items)?;
        if let Some(p) = &self.progress {
            q = bind_progress!(q, p, self);
        }
        q.execute(&mut **conn).await?;
        Ok(())
    }

    async fn commit_postgres(self, pool: &PgPool) -> Result<(), StorageError> {
        let table = self.resource.table();
        let kind = DbKind::Postgres;
        let mut tx = pool.begin_write().await?;
        for chunk in self.rows.chunks(table.max_rows()) {
            let sql = table.upsert_sql(kind, chunk, None);
            sqlx::query(&sql)
                .bind_rows(chunk)?
                .execute(&mut *tx)
                .await?;
        }
        if !self.orders.is_empty() {
            let split = SplitOrders::new(self.orders);
            let mut returned = Vec::with_capacity(split.rows.len());
            for chunk in split.rows.chunks(table.max_rows()) {
                let sql = table.upsert_sql(kind, chunk, Some(ORDER_KEYS));
                returned.extend(
                    sqlx::query_as::<_, (Uuid, Uuid, String)>(&sql)
                        .bind_rows(chunk)?
                        .fetch_all(&mut *tx)
                        .await?,
                );
            }
            let (cached, items) = split.resolve(returned);
            for chunk in cached.chunks(500) {
                let sql = delete_items_sql(chunk.len(), |i| format!("${i}"));
                let mut q = sqlx::query(&sql);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.execute(&mut *tx).await?;
            }
            for chunk in items.chunks(ORDER_ITEMS.max_rows()) {
                let sql = ORDER_ITEMS.upsert_sql(kind, chunk, None);
                sqlx::query(&sql)
                    .bind_rows(chunk)?
                    .execute(&mut *tx)
                    .await?;
            }
        }
        if let Some(p) = &self.progress {
            bind_progress!(sqlx::query(progress_sql(kind)), p, self)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Upserts orders (of any stores) with their items in one transaction, outside any full pass.
pub async fn commit_orders(
    db: &Db,
    orders: Vec<OrderWithItems>,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    if orders.is_empty() {
        return Ok(());
    }
    commit_page(db, Resource::Orders, Vec::new(), orders, None, now).await
}

/// Removes what a finished full pass did not see (the shop deleted it): every row of the
/// resource not written since the pass started. Returns how many went.
pub async fn sweep_unseen(
    db: &Db,
    store_id: Uuid,
    resource: Resource,
    pass_started_at: DateTime<Utc>,
) -> Result<i64, StorageError> {
    let sql = format!(
        "DELETE FROM {} WHERE store_id = $1 AND last_synced_at < $2",
        resource.table().name
    );
    let n = with_writer!(db, |pool| {
        sqlx::query(&sql)
            .bind(store_id)
            .bind(pass_started_at)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n as i64)
}

/// `platform id → status name` from the statuses cache (orders carry only the status link).
pub async fn status_names(
    db: &Db,
    store_id: Uuid,
) -> Result<std::collections::HashMap<String, String>, StorageError> {
    let rows: Vec<(String, Option<String>)> = with_pool!(db, |pool| {
        sqlx::query_as("SELECT shoprenter_order_status_id, name FROM shoprenter_order_statuses_cache WHERE store_id = $1")
            .bind(store_id)
            .fetch_all(pool)
            .await
    })?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, name)| Some((id, name?)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assistant::testing::{order_json, seed_store};
    use crate::storage::testing::{engines, TestDb};
    use crate::sync::order_with_items;

    /// Order `id` (number `number`) of `store` with `lines`, as the sync writes it; the buyer
    /// and status do not matter to these tests.
    fn order_of(
        store: Uuid,
        (id, number): (&str, &str),
        lines: &[(&str, &str, i64, f64)],
        now: DateTime<Utc>,
    ) -> OrderWithItems {
        let json = order_json(
            id,
            number,
            ("Teszt", "Elek"),
            "+36301234567",
            "teszt@example.hu",
            "1",
            lines,
        );
        let names = std::collections::HashMap::new();
        order_with_items(store, serde_json::from_value(json).unwrap(), &names, now).unwrap()
    }

    /// Page transactions of one pass may commit out of order (two at once on PostgreSQL): a
    /// later commit carrying older progress must not move the resume point back.
    #[tokio::test]
    async fn progress_only_moves_forward() {
        for kind in engines() {
            let (test_db, db) = TestDb::migrated(kind).await.unwrap();
            let now = Utc::now();
            let store_id = seed_store(&db, "elore", None).await.unwrap();
            crate::sync::progress::start_pass(&db, store_id, Resource::Products, "initial", now)
                .await
                .unwrap();
            let at = |next_page: i64, pages_done: i64| PageProgress {
                store_id,
                next_page,
                pages_done,
                records_done: pages_done * 200,
                estimated_total: Some(2_000),
                records_per_sec: None,
                eta_secs: None,
            };
            for progress in [at(1, 1), at(3, 3), at(2, 2)] {
                commit_page(
                    &db,
                    Resource::Products,
                    Vec::new(),
                    Vec::new(),
                    Some(progress),
                    now,
                )
                .await
                .unwrap();
            }
            let p = crate::sync::progress::load(&db, store_id, Resource::Products)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                (p.next_page, p.pages_done, p.records_done),
                (3, 3, 600),
                "{kind:?}"
            );
            db.close().await;
            test_db.cleanup().await;
        }
    }

    /// Both engines keep an order's and its items' documents packed (a fraction of the text's
    /// bytes), and a reader gets back the text the sync mapped.
    #[tokio::test]
    async fn documents_are_packed_and_read_back_as_the_mapped_text() {
        use crate::storage::documents::StoredDocument;
        let json = |row: &[Val]| {
            row.iter()
                .find_map(|v| match v {
                    Val::Json(t) => Some(t.clone()),
                    _ => None,
                })
                .expect("the mapping gives the document as text")
        };
        for kind in engines() {
            let (test_db, db) = TestDb::migrated(kind).await.unwrap();
            let now = Utc::now();
            let store = seed_store(&db, "tomor", None).await.unwrap();
            let lines = [
                ("Teáskanna", "SKU-1", 2, 1000.0),
                ("Bögre", "SKU-2", 1, 500.0),
            ];
            let order = order_of(store, ("b3JkZXItb3JkZXJfaWQ9MQ==", "1"), &lines, now);
            let mut expected = vec![json(&order.row)];
            expected.extend(order.items.iter().map(|i| json(i)));
            commit_orders(&db, vec![order], now).await.unwrap();

            // The order first, then its items in the order the mapping gave them.
            let read = |sql: &'static str| {
                let db = db.clone();
                async move {
                    let docs: Vec<StoredDocument> = with_pool!(&db, |pool| {
                        sqlx::query_scalar(sql).fetch_all(pool).await.unwrap()
                    });
                    docs.iter()
                        .map(|d| d.text().expect("readable").into_owned())
                        .collect::<Vec<_>>()
                }
            };
            let mut docs = read("SELECT raw_data FROM shoprenter_orders_cache").await;
            docs.extend(
                read(
                    "SELECT raw_data FROM shoprenter_order_items_cache
                     ORDER BY shoprenter_order_product_id",
                )
                .await,
            );
            assert_eq!(docs, expected, "{kind:?}");

            let sql = match kind {
                DbKind::Sqlite => {
                    "SELECT typeof(raw_data) || ' ' || length(raw_data) FROM shoprenter_orders_cache
                     UNION ALL SELECT typeof(raw_data) || ' ' || length(raw_data) FROM shoprenter_order_items_cache"
                }
                DbKind::Postgres => {
                    "SELECT pg_typeof(raw_data)::text || ' ' || octet_length(raw_data) FROM shoprenter_orders_cache
                     UNION ALL SELECT pg_typeof(raw_data)::text || ' ' || octet_length(raw_data) FROM shoprenter_order_items_cache"
                }
            };
            let stored: Vec<String> = with_pool!(&db, |pool| {
                sqlx::query_scalar(sql).fetch_all(pool).await.unwrap()
            });
            assert_eq!(stored.len(), 3, "{kind:?}");
            // (How small a realistic document gets is `storage::documents`' test; these are
            // a few hundred bytes.)
            for (s, text) in stored.iter().zip(&expected) {
                let type_name = match kind {
                    DbKind::Postgres => "bytea ",
                    DbKind::Sqlite => "blob ",
                };
                let bytes: usize = s.strip_prefix(type_name).expect(s).parse().unwrap();
                assert!(
                    bytes < text.len(),
                    "{kind:?}: a {}-byte document stored in {bytes} bytes",
                    text.len()
                );
            }
            db.close().await;
            test_db.cleanup().await;
        }
    }

    /// A page that fails part-way leaves nothing behind (no order, item or progress), and the
    /// next page commits: the failed transaction was rolled back, not left open on SQLite's
    /// write connection. Here the orders' upsert succeeds (SQLite's first batch) and the extra
    /// row of a store that does not exist fails its foreign key (the second).
    #[tokio::test]
    async fn a_page_that_fails_part_way_leaves_nothing_and_the_next_one_commits() {
        for kind in engines() {
            let (test_db, db) = TestDb::migrated(kind).await.unwrap();
            let now = Utc::now();
            let store = seed_store(&db, "felbe", None).await.unwrap();
            crate::sync::progress::start_pass(&db, store, Resource::Orders, "initial", now)
                .await
                .unwrap();
            let lines = [("Teáskanna", "SKU-1", 1, 1000.0)];
            let order = || order_of(store, ("b3JkZXItb3JkZXJfaWQ9MQ==", "1"), &lines, now);
            let orphan = order_of(
                Uuid::new_v4(),
                ("b3JkZXItb3JkZXJfaWQ9Mg==", "2"),
                &lines,
                now,
            );
            let progress = PageProgress {
                store_id: store,
                next_page: 1,
                pages_done: 1,
                records_done: 1,
                estimated_total: Some(1),
                records_per_sec: None,
                eta_secs: None,
            };
            let state = || async {
                let counts: (i64, i64) = with_pool!(&db, |pool| {
                    sqlx::query_as(
                        "SELECT (SELECT count(*) FROM shoprenter_orders_cache),
                                (SELECT count(*) FROM shoprenter_order_items_cache)",
                    )
                    .fetch_one(pool)
                    .await
                    .unwrap()
                });
                let p = crate::sync::progress::load(&db, store, Resource::Orders)
                    .await
                    .unwrap()
                    .unwrap();
                (counts, p.next_page)
            };
            let failed = commit_page(
                &db,
                Resource::Orders,
                vec![orphan.row],
                vec![order()],
                Some(progress.clone()),
                now,
            )
            .await;
            assert!(failed.is_err(), "{kind:?}");
            assert_eq!(state().await, ((0, 0), 0), "{kind:?}");
            commit_page(
                &db,
                Resource::Orders,
                Vec::new(),
                vec![order()],
                Some(progress),
                now,
            )
            .await
            .unwrap();
            assert_eq!(state().await, ((1, 1), 1), "{kind:?}");
            db.close().await;
            test_db.cleanup().await;
        }
    }

    /// Writing an order that is already cached replaces its items: a line removed in the shop
    /// leaves the cache, a changed line is rewritten. (A new order has no items to remove, and
    /// the write skips that step for it.)
    #[tokio::test]
    async fn writing_a_cached_order_again_replaces_its_items() {
        for kind in engines() {
            let (test_db, db) = TestDb::migrated(kind).await.unwrap();
            let now = Utc::now();
            let store = seed_store(&db, "elore", None).await.unwrap();
            let order = |lines: &[(&str, &str, i64, f64)]| {
                order_of(store, ("b3JkZXItb3JkZXJfaWQ9Nw==", "7"), lines, now)
            };
            let first = order(&[
                ("Teáskanna", "SKU-1", 1, 1000.0),
                ("Bögre", "SKU-2", 2, 500.0),
            ]);
            commit_orders(&db, vec![first], now).await.unwrap();
            let second = order(&[("Teáskanna, fekete", "SKU-1", 3, 1000.0)]);
            commit_orders(&db, vec![second], now).await.unwrap();
            let items: Vec<(String, String)> = with_pool!(&db, |pool| {
                sqlx::query_as(
                    "SELECT shoprenter_order_product_id, name FROM shoprenter_order_items_cache
                     ORDER BY shoprenter_order_product_id",
                )
                .fetch_all(pool)
                .await
                .unwrap()
            });
            assert_eq!(
                items,
                vec![(
                    "b3JkZXItb3JkZXJfaWQ9Nw==-line-0".to_string(),
                    "Teáskanna, fekete".to_string()
                )],
                "{kind:?}"
            );
            db.close().await;
            test_db.cleanup().await;
        }
    }

    /// Order items have no foreign key of their own to `stores` (their order has one): deleting
    /// a store must still take its items, through its orders, and leave other stores' alone.
    #[tokio::test]
    async fn a_deleted_stores_items_go_with_its_orders() {
        for kind in engines() {
            let (test_db, db) = TestDb::migrated(kind).await.unwrap();
            let now = Utc::now();
            let mut orders = Vec::new();
            let mut stores = Vec::new();
            for shop in ["egyik", "masik"] {
                let store = seed_store(&db, shop, None).await.unwrap();
                let lines = [
                    ("Teáskanna", "SKU-1", 1, 1000.0),
                    ("Bögre", "SKU-2", 2, 500.0),
                ];
                orders.push(order_of(
                    store,
                    ("b3JkZXItb3JkZXJfaWQ9MQ==", "1"),
                    &lines,
                    now,
                ));
                stores.push(store);
            }
            commit_orders(&db, orders, now).await.unwrap();
            let left: Vec<Uuid> = with_writer!(&db, |pool| {
                sqlx::query("DELETE FROM stores WHERE id = $1")
                    .bind(stores[0])
                    .execute(pool)
                    .await
                    .unwrap();
                sqlx::query_scalar("SELECT store_id FROM shoprenter_order_items_cache")
                    .fetch_all(pool)
                    .await
                    .unwrap()
            });
            assert_eq!(left, vec![stores[1]; 2], "{kind:?}");
            db.close().await;
            test_db.cleanup().await;
        }
    }

    /// The webhook worker writes a batch's orders of several shops at once; the same API id in
    /// two shops must keep each shop's items with its own order.
    #[tokio::test]
    async fn orders_of_two_stores_with_the_same_api_id_keep_their_own_items() {
        for kind in engines() {
            let (test_db, db) = TestDb::migrated(kind).await.unwrap();
            let now = Utc::now();
            let mut orders = Vec::new();
            for (shop, item) in [("egyik", "Teáskanna"), ("masik", "Kávéfőző")] {
                let store = seed_store(&db, shop, None).await.unwrap();
                let lines = [(item, "SKU-1", 1, 1000.0)];
                orders.push(order_of(
                    store,
                    ("b3JkZXItb3JkZXJfaWQ9MQ==", "1"),
                    &lines,
                    now,
                ));
            }
            commit_orders(&db, orders, now).await.unwrap();
            let items: Vec<(String, String)> = with_pool!(&db, |pool| {
                sqlx::query_as(
                    "SELECT s.shopname, i.name FROM shoprenter_order_items_cache i
                     JOIN shoprenter_orders_cache o ON o.id = i.order_id
                     JOIN stores s ON s.id = o.store_id AND s.id = i.store_id
                     ORDER BY s.shopname",
                )
                .fetch_all(pool)
                .await
                .unwrap()
            });
            assert_eq!(
                items,
                vec![
                    ("egyik".to_string(), "Teáskanna".to_string()),
                    ("masik".to_string(), "Kávéfőző".to_string())
                ],
                "{kind:?}"
            );
            db.close().await;
            test_db.cleanup().await;
        }
    }
}
