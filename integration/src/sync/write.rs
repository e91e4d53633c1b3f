//! Writing one page: the batched upserts and the progress row in one transaction, so a page is
//! either fully in the cache and counted, or neither (a restart resumes at the right page).

use crate::storage::BeginWrite;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::resources::{Resource, ORDER_ITEMS};
use super::upsert::{BindRows, Val};
use crate::storage::{Db, StorageError};
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
    let table = resource.table();
    let kind = db.kind();
    with_writer!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        for chunk in rows.chunks(table.max_rows()) {
            let sql = table.upsert_sql(kind, chunk, None);
            sqlx::query(&sql)
                .bind_rows(chunk)?
                .execute(&mut *tx)
                .await?;
        }
        if !orders.is_empty() {
            // Orders: upsert, learn each row's id, then replace its items.
            let (order_rows, orders): (Vec<Vec<Val>>, Vec<_>) = orders
                .into_iter()
                .map(|o| (o.row, (o.store_id, o.platform_id, o.items)))
                .unzip();
            let proposed: std::collections::HashSet<Uuid> = order_rows
                .iter()
                .filter_map(|row| match row.first() {
                    Some(Val::Uuid(id)) => Some(*id),
                    _ => None,
                })
                .collect();
            let mut ids = std::collections::HashMap::with_capacity(orders.len());
            for chunk in order_rows.chunks(table.max_rows()) {
                let sql = table.upsert_sql(kind, chunk, Some("id, store_id, shoprenter_order_id"));
                let returned: Vec<(Uuid, Uuid, String)> =
                    sqlx::query_as::<_, (Uuid, Uuid, String)>(&sql)
                        .bind_rows(chunk)?
                        .fetch_all(&mut *tx)
                        .await?;
                ids.extend(
                    returned
                        .into_iter()
                        .map(|(id, store, ext)| ((store, ext), id)),
                );
            }
            // Only an order that was already cached can have items to replace: a new row keeps
            // the id this page proposed. In a first sync on PostgreSQL this DELETE ran as a scan
            // of the whole items table for every page (`pg_stat_user_tables`: 103 scans, 2.2M
            // rows read for 20k orders) instead of using the (order_id, …) unique index.
            let mut order_ids: Vec<Uuid> = ids
                .values()
                .copied()
                .filter(|id| !proposed.contains(id))
                .collect();
            order_ids.sort_unstable();
            for chunk in order_ids.chunks(500) {
                let placeholders: Vec<String> =
                    (1..=chunk.len()).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "DELETE FROM shoprenter_order_items_cache WHERE order_id IN ({})",
                    placeholders.join(",")
                );
                let mut q = sqlx::query(&sql);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.execute(&mut *tx).await?;
            }
            let mut items: Vec<Vec<Val>> = Vec::new();
            for (store_id, platform_id, order_items) in orders {
                let Some(order_id) = ids.get(&(store_id, platform_id)) else {
                    continue;
                };
                for mut item in order_items {
                    item[1] = Val::Uuid(*order_id);
                    items.push(item);
                }
            }
            for chunk in items.chunks(ORDER_ITEMS.max_rows()) {
                let sql = ORDER_ITEMS.upsert_sql(kind, chunk, None);
                sqlx::query(&sql)
                    .bind_rows(chunk)?
                    .execute(&mut *tx)
                    .await?;
            }
        }
        if let Some(p) = progress {
            sqlx::query(
                "UPDATE sync_progress SET next_page = $3, pages_done = $4, records_done = $5,
                        estimated_total = COALESCE($6, estimated_total), records_per_sec = $7, eta_secs = $8, updated_at = $9
                 WHERE store_id = $1 AND resource = $2 AND next_page < $3",
            )
            .bind(p.store_id)
            .bind(resource.as_str())
            .bind(p.next_page as i32)
            .bind(p.pages_done as i32)
            .bind(p.records_done)
            .bind(p.estimated_total)
            .bind(p.records_per_sec)
            .bind(p.eta_secs)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    })?;
    Ok(())
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
