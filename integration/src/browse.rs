//! The cache as the merchant browses it: searchable, paginated products, customers and orders,
//! and order detail. Read-only.
//!
//! The free functions take a store id the caller has already checked belongs to the merchant;
//! the HTTP edge calls the [`Engine`] methods at the bottom instead, which take the signed-in
//! [`User`] and check ownership via [`Engine::store_of`].
//!
//! Search is a case-insensitive substring match (`LOWER(…) LIKE '%q%'`); `%`, `_` and `\` in the
//! query are literal. Portable SQL, as [`crate::storage`] writes it: the same statements run on
//! SQLite and PostgreSQL.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::accounts::User;
use crate::error::Result;
use crate::storage::{Db, StorageError};
use crate::{with_pool, Engine};

/// The largest page a caller may ask for.
pub const MAX_PER_PAGE: i64 = 100;

/// One page of a list, plus how many rows match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Rows matching the search, over all pages.
    pub total: i64,
    /// 1-based.
    pub page: i64,
    pub per_page: i64,
}

/// A product as the merchant's product list shows it.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ProductListItem {
    pub id: Uuid,
    pub name: Option<String>,
    pub sku: Option<String>,
    /// Gross unit price.
    pub price: Option<f64>,
    pub currency: Option<String>,
    pub stock: Option<i64>,
    pub active: Option<bool>,
}

/// A customer account as the merchant's customer list shows it.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct CustomerListItem {
    pub id: Uuid,
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl CustomerListItem {
    /// The name in Hungarian order (family name first), blank parts left out.
    pub fn full_name(&self) -> String {
        [&self.lastname, &self.firstname]
            .into_iter()
            .flatten()
            .map(|s| s.as_str())
            .filter(|s| !s.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// An order as the merchant's order list shows it.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct OrderListItem {
    /// Our cache row's id (what [`order`] takes).
    pub id: Uuid,
    pub shoprenter_order_id: String,
    /// The order number the shop shows its customers.
    pub inner_id: Option<String>,
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    pub customer_phone: Option<String>,
    pub status_name: Option<String>,
    pub total_gross: Option<f64>,
    pub currency: Option<String>,
    pub ordered_at: Option<DateTime<Utc>>,
}

impl OrderListItem {
    /// The shop's order number, or the platform id when the order has none.
    pub fn number(&self) -> &str {
        self.inner_id
            .as_deref()
            .unwrap_or(&self.shoprenter_order_id)
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct OrderItem {
    pub name: Option<String>,
    pub sku: Option<String>,
    pub quantity: Option<f64>,
    pub price: Option<f64>,
    pub currency: Option<String>,
}

/// A status change as an order webhook reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusEvent {
    pub at: DateTime<Utc>,
    pub status: String,
}

/// One order with its lines and status history.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderDetail {
    pub order: OrderListItem,
    /// Ordered by name.
    pub items: Vec<OrderItem>,
    /// Oldest first.
    pub history: Vec<StatusEvent>,
}

/// The `LIKE` pattern for a search: lower-cased, `\`, `%` and `_` escaped (with `ESCAPE '\'`).
fn like(q: Option<&str>) -> String {
    match q {
        Some(q) => {
            let escaped = q
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        }
        None => "%".to_owned(),
    }
}

/// Page numbers start at 1; page sizes are bounded.
fn paging(page: i64, per_page: i64) -> (i64, i64) {
    (page.max(1), per_page.clamp(1, MAX_PER_PAGE))
}

/// One list's SQL: `filter` is its `FROM … WHERE …` with `$1` the store id and `$2` the pattern.
struct List {
    select: &'static str,
    filter: &'static str,
    order_by: &'static str,
}

/// Runs the `COUNT(*)` and the page query (`$3` limit, `$4` offset) of one list.
async fn page_of<T>(
    db: &Db,
    list: &List,
    store_id: Uuid,
    q: Option<&str>,
    page: i64,
    per_page: i64,
) -> std::result::Result<Page<T>, StorageError>
where
    T: Send + Unpin,
    T: for<'r> FromRow<'r, sqlx::sqlite::SqliteRow>,
    T: for<'r> FromRow<'r, sqlx::postgres::PgRow>,
{
    let (page, per_page) = paging(page, per_page);
    let pattern = like(q);
    let List {
        select,
        filter,
        order_by,
    } = list;
    let count_sql = format!("SELECT COUNT(*) {filter}");
    let total: i64 = with_pool!(db, |pool| sqlx::query_scalar(&count_sql)
        .bind(store_id)
        .bind(&pattern)
        .fetch_one(pool)
        .await)?;
    let sql = format!("SELECT {select} {filter} ORDER BY {order_by} LIMIT $3 OFFSET $4");
    let items: Vec<T> = with_pool!(db, |pool| sqlx::query_as(&sql)
        .bind(store_id)
        .bind(&pattern)
        .bind(per_page)
        .bind((page - 1) * per_page)
        .fetch_all(pool)
        .await)?;
    Ok(Page {
        items,
        total,
        page,
        per_page,
    })
}

/// The store's products whose name or SKU contains `q`, by name then SKU.
pub async fn products(
    db: &Db,
    store_id: Uuid,
    q: Option<&str>,
    page: i64,
    per_page: i64,
) -> std::result::Result<Page<ProductListItem>, StorageError> {
    let list = List {
        filter: "FROM shoprenter_products_cache WHERE store_id = $1
        AND (LOWER(COALESCE(name, '')) LIKE $2 ESCAPE '\\' OR LOWER(COALESCE(sku, '')) LIKE $2 ESCAPE '\\')",
        select: "id, name, sku, CAST(price AS DOUBLE PRECISION) AS price, currency,
                CAST(stock AS BIGINT) AS stock, active",
        order_by: "name, sku",
    };
    page_of(db, &list, store_id, q, page, per_page).await
}

/// The store's customers whose name (either order), e-mail or phone contains `q`, by family
/// name then first name.
pub async fn customers(
    db: &Db,
    store_id: Uuid,
    q: Option<&str>,
    page: i64,
    per_page: i64,
) -> std::result::Result<Page<CustomerListItem>, StorageError> {
    let list = List {
        filter: "FROM shoprenter_customers_cache WHERE store_id = $1
        AND (LOWER(COALESCE(lastname, '') || ' ' || COALESCE(firstname, '')) LIKE $2 ESCAPE '\\'
             OR LOWER(COALESCE(firstname, '') || ' ' || COALESCE(lastname, '')) LIKE $2 ESCAPE '\\'
             OR LOWER(COALESCE(email, '')) LIKE $2 ESCAPE '\\'
             OR COALESCE(phone, '') LIKE $2 ESCAPE '\\')",
        select: "id, firstname, lastname, email, phone",
        order_by: "lastname, firstname",
    };
    page_of(db, &list, store_id, q, page, per_page).await
}

const ORDER_COLUMNS: &str = "id, shoprenter_order_id, inner_id, customer_name, customer_email,
    customer_phone, status_name, CAST(total_gross AS DOUBLE PRECISION) AS total_gross, currency, ordered_at";

/// The store's orders whose number, customer name, e-mail or status contains `q`, newest first.
pub async fn orders(
    db: &Db,
    store_id: Uuid,
    q: Option<&str>,
    page: i64,
    per_page: i64,
) -> std::result::Result<Page<OrderListItem>, StorageError> {
    let list = List {
        filter: "FROM shoprenter_orders_cache WHERE store_id = $1
        AND (LOWER(COALESCE(inner_id, '')) LIKE $2 ESCAPE '\\'
             OR LOWER(COALESCE(customer_name, '')) LIKE $2 ESCAPE '\\'
             OR LOWER(COALESCE(customer_email, '')) LIKE $2 ESCAPE '\\'
             OR LOWER(COALESCE(status_name, '')) LIKE $2 ESCAPE '\\')",
        select: ORDER_COLUMNS,
        order_by: "ordered_at DESC, inner_id DESC",
    };
    page_of(db, &list, store_id, q, page, per_page).await
}

/// An order's status changes as its webhooks reported them; `idx_webhook_inbox_order` serves it
/// (the inbox holds every shop's deliveries).
const ORDER_HISTORY: &str = "SELECT received_at, order_status FROM webhook_inbox
     WHERE store_id = $1 AND order_ref = $2 AND order_status IS NOT NULL
     ORDER BY received_at";

#[derive(FromRow)]
struct HistoryRow {
    received_at: DateTime<Utc>,
    order_status: Option<String>,
}

/// One of the store's orders (by our cache id) with its lines and the status changes its
/// webhooks reported; `None` when the store has no such order.
pub async fn order(
    db: &Db,
    store_id: Uuid,
    order_id: Uuid,
) -> std::result::Result<Option<OrderDetail>, StorageError> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM shoprenter_orders_cache WHERE store_id = $1 AND id = $2"
    );
    let row: Option<OrderListItem> = with_pool!(db, |pool| sqlx::query_as(&sql)
        .bind(store_id)
        .bind(order_id)
        .fetch_optional(pool)
        .await)?;
    let Some(order) = row else {
        return Ok(None);
    };
    let items: Vec<OrderItem> = with_pool!(db, |pool| sqlx::query_as(
        "SELECT name, sku, CAST(quantity AS DOUBLE PRECISION) AS quantity,
                CAST(price AS DOUBLE PRECISION) AS price, currency
         FROM shoprenter_order_items_cache WHERE order_id = $1 ORDER BY name"
    )
    .bind(order_id)
    .fetch_all(pool)
    .await)?;
    let history: Vec<HistoryRow> = with_pool!(db, |pool| sqlx::query_as(ORDER_HISTORY)
        .bind(store_id)
        .bind(&order.shoprenter_order_id)
        .fetch_all(pool)
        .await)?;
    Ok(Some(OrderDetail {
        order,
        items,
        history: history
            .into_iter()
            .filter_map(|h| {
                h.order_status.map(|status| StatusEvent {
                    at: h.received_at,
                    status,
                })
            })
            .collect(),
    }))
}

/// Browsing for the merchant's pages (server functions call these): each checks the store is
/// the signed-in merchant's ([`Error::StoreNotFound`](crate::Error::StoreNotFound) otherwise).
impl Engine {
    /// A page of [`products`].
    pub async fn browse_products(
        &self,
        user: &User,
        store_id: Uuid,
        q: Option<&str>,
        page: i64,
        per_page: i64,
    ) -> Result<Page<ProductListItem>> {
        let store = self.store_of(user, store_id).await?;
        Ok(products(self.db(), store.id, q, page, per_page).await?)
    }

    /// A page of [`customers`].
    pub async fn browse_customers(
        &self,
        user: &User,
        store_id: Uuid,
        q: Option<&str>,
        page: i64,
        per_page: i64,
    ) -> Result<Page<CustomerListItem>> {
        let store = self.store_of(user, store_id).await?;
        Ok(customers(self.db(), store.id, q, page, per_page).await?)
    }

    /// A page of [`orders`].
    pub async fn browse_orders(
        &self,
        user: &User,
        store_id: Uuid,
        q: Option<&str>,
        page: i64,
        per_page: i64,
    ) -> Result<Page<OrderListItem>> {
        let store = self.store_of(user, store_id).await?;
        Ok(orders(self.db(), store.id, q, page, per_page).await?)
    }

    /// One [`order`] with its lines and history; `None` when the store has no such order.
    pub async fn order_detail(
        &self,
        user: &User,
        store_id: Uuid,
        order_id: Uuid,
    ) -> Result<Option<OrderDetail>> {
        let store = self.store_of(user, store_id).await?;
        Ok(order(self.db(), store.id, order_id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plan of `sql` (with `binds`), one line per row, as each engine explains it. On
    /// PostgreSQL sequential scans are priced out, so a tiny test table cannot make a scan look
    /// cheaper than the index the query needs.
    async fn plan_of(db: &Db, sql: &str, binds: (Uuid, &str)) -> String {
        match db {
            Db::Sqlite(sqlite) => {
                let rows: Vec<(i64, i64, i64, String)> =
                    sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
                        .bind(binds.0)
                        .bind(binds.1)
                        .fetch_all(&sqlite.pool)
                        .await
                        .unwrap();
                rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n")
            }
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await.unwrap();
                sqlx::query("SET LOCAL enable_seqscan = off")
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                let rows: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN {sql}"))
                    .bind(binds.0)
                    .bind(binds.1)
                    .fetch_all(&mut *tx)
                    .await
                    .unwrap();
                rows.join("\n")
            }
        }
    }

    #[tokio::test]
    async fn an_orders_history_is_read_through_an_index_not_a_scan_of_the_inbox() {
        for kind in crate::storage::testing::engines() {
            let (test_db, db) = crate::storage::testing::TestDb::migrated(kind)
                .await
                .unwrap();
            let plan = plan_of(&db, ORDER_HISTORY, (Uuid::new_v4(), "b3JkZXI=")).await;
            assert!(
                plan.contains("idx_webhook_inbox_order"),
                "{kind:?} plan:\n{plan}"
            );
            db.close().await;
            test_db.cleanup().await;
        }
    }

    #[test]
    fn like_patterns_escape_wildcards_and_lower_case() {
        assert_eq!(like(None), "%");
        assert_eq!(like(Some("KáVÉ")), "%kávé%");
        assert_eq!(like(Some("50%_off\\")), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn paging_is_bounded() {
        assert_eq!(paging(0, 20), (1, 20));
        assert_eq!(paging(-3, 0), (1, 1));
        assert_eq!(paging(2, 10_000), (2, MAX_PER_PAGE));
    }

    #[test]
    fn full_name_is_family_name_first() {
        let c = CustomerListItem {
            id: Uuid::nil(),
            firstname: Some("Anna".into()),
            lastname: Some("Kiss".into()),
            email: None,
            phone: None,
        };
        assert_eq!(c.full_name(), "Kiss Anna");
        let c = CustomerListItem {
            lastname: Some("  ".into()),
            ..c
        };
        assert_eq!(c.full_name(), "Anna");
    }
}
