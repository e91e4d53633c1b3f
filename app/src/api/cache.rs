//! THIN STORAGE CALLS (issue 7). The engine has no read API yet for the cached products,
//! customers and orders as the merchant browses them (search + pages, order detail); these few read-only queries fill that
//! gap until the sync (issue 6) exposes its own. Portable SQL, as `integration::storage` writes it.
//! Every caller has already checked that the store belongs to the signed-in merchant.

use chrono::{DateTime, Utc};
use integration::{with_pool, Db};
use sqlx::FromRow;
use uuid::Uuid;

use super::data::{
    CustomerRow, OrderDetail, OrderItemRow, OrderRow, Page, ProductRow, StatusEvent, PAGE_SIZE,
};
use super::stores::{ProgressState, Resource, ResourceProgress, SyncView, WebhookInfo};
use crate::error::AppError;
use integration::storage::stores::StoreRecord;

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

/// Webhook health from the engine (`integration::webhooks::health`).
pub async fn webhooks(db: &Db, store_id: Uuid) -> Result<Vec<WebhookInfo>, AppError> {
    Ok(integration::webhooks::health(db, store_id)
        .await?
        .into_iter()
        .map(|h| WebhookInfo {
            event: h.event,
            active: h.is_active && h.callback_registered,
            last_received_at: h.last_received_at.map(|t| t.timestamp()),
            total_received: i64::from(h.total_received),
        })
        .collect())
}

/// Progress from the sync engine (`integration::sync::progress_for_store`) plus whether a sync
/// job is still queued or running (`integration::jobs::queue::counts_for_store`).
pub async fn sync_view(db: &Db, store: &StoreRecord) -> Result<SyncView, AppError> {
    let progress = integration::sync::progress_for_store(db, store.id).await?;
    let jobs_live = integration::jobs::queue::counts_for_store(db, store.id)
        .await?
        .into_iter()
        .filter(|(kind, status, _)| {
            SYNC_KINDS.contains(&kind.as_str()) && matches!(status.as_str(), "queued" | "running")
        })
        .map(|(_, _, n)| n)
        .sum::<i64>();
    let resources: Vec<ResourceProgress> = Resource::ALL
        .into_iter()
        .map(|resource| {
            let row = progress.iter().find(|p| p.resource == resource.as_str());
            let state = match row.map(|r| r.status.as_str()) {
                Some("running") => ProgressState::Running,
                Some("done") => ProgressState::Done,
                Some("failed") => ProgressState::Failed,
                _ => ProgressState::Pending,
            };
            ResourceProgress {
                resource,
                state,
                done: row.map(|r| r.records_done).unwrap_or(0),
                total: row.and_then(|r| r.estimated_total),
                cached: row.map(|r| r.records_done).unwrap_or(0),
            }
        })
        .collect();
    let unfinished = resources
        .iter()
        .any(|r| matches!(r.state, ProgressState::Pending | ProgressState::Running));
    Ok(SyncView {
        running: store.is_active && (jobs_live > 0 || (unfinished && !progress.is_empty())),
        resources,
        last_sync_at: store.last_sync_at.map(|t| t.timestamp()),
    })
}

const SYNC_KINDS: [&str; 4] = [
    "initial_sync",
    "incremental_sync",
    "reconcile_sync",
    "acquire_token",
];

async fn count(db: &Db, sql: &str, store_id: Uuid, pattern: &str) -> Result<i64, AppError> {
    Ok(with_pool!(db, |pool| sqlx::query_scalar::<_, i64>(sql)
        .bind(store_id)
        .bind(pattern)
        .fetch_one(pool)
        .await)?)
}

#[derive(FromRow)]
struct ProductDb {
    id: Uuid,
    name: Option<String>,
    sku: Option<String>,
    price: Option<f64>,
    currency: Option<String>,
    stock: Option<i64>,
    active: Option<bool>,
}

pub async fn products(
    db: &Db,
    store_id: Uuid,
    q: Option<&str>,
    page: i64,
) -> Result<Page<ProductRow>, AppError> {
    let pattern = like(q);
    let filter = "FROM shoprenter_products_cache WHERE store_id = $1
        AND (LOWER(COALESCE(name, '')) LIKE $2 ESCAPE '\\' OR LOWER(COALESCE(sku, '')) LIKE $2 ESCAPE '\\')";
    let total = count(db, &format!("SELECT COUNT(*) {filter}"), store_id, &pattern).await?;
    let sql = format!(
        "SELECT id, name, sku, CAST(price AS DOUBLE PRECISION) AS price, currency,
                CAST(stock AS BIGINT) AS stock, active
         {filter} ORDER BY name, sku LIMIT $3 OFFSET $4"
    );
    let rows: Vec<ProductDb> = with_pool!(db, |pool| sqlx::query_as(&sql)
        .bind(store_id)
        .bind(&pattern)
        .bind(PAGE_SIZE)
        .bind((page - 1) * PAGE_SIZE)
        .fetch_all(pool)
        .await)?;
    Ok(Page {
        items: rows
            .into_iter()
            .map(|r| ProductRow {
                id: r.id.to_string(),
                name: r.name.unwrap_or_default(),
                sku: r.sku,
                price: r.price,
                currency: r.currency.unwrap_or_else(|| "HUF".into()),
                stock: r.stock,
                active: r.active,
            })
            .collect(),
        total,
        page,
        per_page: PAGE_SIZE,
    })
}

#[derive(FromRow)]
struct CustomerDb {
    id: Uuid,
    firstname: Option<String>,
    lastname: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

/// Hungarian order: family name first.
fn full_name(first: Option<String>, last: Option<String>) -> String {
    [last, first]
        .into_iter()
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

pub async fn customers(
    db: &Db,
    store_id: Uuid,
    q: Option<&str>,
    page: i64,
) -> Result<Page<CustomerRow>, AppError> {
    let pattern = like(q);
    let filter = "FROM shoprenter_customers_cache WHERE store_id = $1
        AND (LOWER(COALESCE(lastname, '') || ' ' || COALESCE(firstname, '')) LIKE $2 ESCAPE '\\'
             OR LOWER(COALESCE(firstname, '') || ' ' || COALESCE(lastname, '')) LIKE $2 ESCAPE '\\'
             OR LOWER(COALESCE(email, '')) LIKE $2 ESCAPE '\\'
             OR COALESCE(phone, '') LIKE $2 ESCAPE '\\')";
    let total = count(db, &format!("SELECT COUNT(*) {filter}"), store_id, &pattern).await?;
    let sql = format!(
        "SELECT id, firstname, lastname, email, phone {filter}
         ORDER BY lastname, firstname LIMIT $3 OFFSET $4"
    );
    let rows: Vec<CustomerDb> = with_pool!(db, |pool| sqlx::query_as(&sql)
        .bind(store_id)
        .bind(&pattern)
        .bind(PAGE_SIZE)
        .bind((page - 1) * PAGE_SIZE)
        .fetch_all(pool)
        .await)?;
    Ok(Page {
        items: rows
            .into_iter()
            .map(|r| CustomerRow {
                id: r.id.to_string(),
                name: full_name(r.firstname, r.lastname),
                email: r.email,
                phone: r.phone,
            })
            .collect(),
        total,
        page,
        per_page: PAGE_SIZE,
    })
}

#[derive(FromRow)]
struct OrderDb {
    id: Uuid,
    shoprenter_order_id: String,
    inner_id: Option<String>,
    customer_name: Option<String>,
    customer_email: Option<String>,
    customer_phone: Option<String>,
    status_name: Option<String>,
    total_gross: Option<f64>,
    currency: Option<String>,
    ordered_at: Option<DateTime<Utc>>,
}

const ORDER_COLUMNS: &str = "id, shoprenter_order_id, inner_id, customer_name, customer_email,
    customer_phone, status_name, CAST(total_gross AS DOUBLE PRECISION) AS total_gross, currency, ordered_at";

fn order_row(r: &OrderDb) -> OrderRow {
    OrderRow {
        id: r.id.to_string(),
        number: r
            .inner_id
            .clone()
            .unwrap_or_else(|| r.shoprenter_order_id.clone()),
        customer: r.customer_name.clone().unwrap_or_default(),
        status: r.status_name.clone(),
        total: r.total_gross,
        currency: r.currency.clone().unwrap_or_else(|| "HUF".into()),
        ordered_at: r.ordered_at.map(|t| t.timestamp()),
    }
}

pub async fn orders(
    db: &Db,
    store_id: Uuid,
    q: Option<&str>,
    page: i64,
) -> Result<Page<OrderRow>, AppError> {
    let pattern = like(q);
    let filter = "FROM shoprenter_orders_cache WHERE store_id = $1
        AND (LOWER(COALESCE(inner_id, '')) LIKE $2 ESCAPE '\\'
             OR LOWER(COALESCE(customer_name, '')) LIKE $2 ESCAPE '\\'
             OR LOWER(COALESCE(customer_email, '')) LIKE $2 ESCAPE '\\'
             OR LOWER(COALESCE(status_name, '')) LIKE $2 ESCAPE '\\')";
    let total = count(db, &format!("SELECT COUNT(*) {filter}"), store_id, &pattern).await?;
    let sql = format!(
        "SELECT {ORDER_COLUMNS} {filter}
         ORDER BY ordered_at DESC, inner_id DESC LIMIT $3 OFFSET $4"
    );
    let rows: Vec<OrderDb> = with_pool!(db, |pool| sqlx::query_as(&sql)
        .bind(store_id)
        .bind(&pattern)
        .bind(PAGE_SIZE)
        .bind((page - 1) * PAGE_SIZE)
        .fetch_all(pool)
        .await)?;
    Ok(Page {
        items: rows.iter().map(order_row).collect(),
        total,
        page,
        per_page: PAGE_SIZE,
    })
}

#[derive(FromRow)]
struct ItemDb {
    name: Option<String>,
    sku: Option<String>,
    quantity: Option<f64>,
    price: Option<f64>,
    currency: Option<String>,
}

#[derive(FromRow)]
struct HistoryDb {
    received_at: DateTime<Utc>,
    order_status: Option<String>,
}

pub async fn order(
    db: &Db,
    store_id: Uuid,
    order_id: Uuid,
) -> Result<Option<OrderDetail>, AppError> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM shoprenter_orders_cache WHERE store_id = $1 AND id = $2"
    );
    let row: Option<OrderDb> = with_pool!(db, |pool| sqlx::query_as(&sql)
        .bind(store_id)
        .bind(order_id)
        .fetch_optional(pool)
        .await)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let items: Vec<ItemDb> = with_pool!(db, |pool| sqlx::query_as(
        "SELECT name, sku, CAST(quantity AS DOUBLE PRECISION) AS quantity,
                CAST(price AS DOUBLE PRECISION) AS price, currency
         FROM shoprenter_order_items_cache WHERE order_id = $1 ORDER BY name"
    )
    .bind(order_id)
    .fetch_all(pool)
    .await)?;
    // Status changes as the order webhooks reported them.
    let history: Vec<HistoryDb> = with_pool!(db, |pool| sqlx::query_as(
        "SELECT received_at, order_status FROM webhook_inbox
         WHERE store_id = $1 AND order_ref = $2 AND order_status IS NOT NULL
         ORDER BY received_at"
    )
    .bind(store_id)
    .bind(&row.shoprenter_order_id)
    .fetch_all(pool)
    .await)?;
    let order = order_row(&row);
    Ok(Some(OrderDetail {
        email: row.customer_email.clone(),
        phone: row.customer_phone.clone(),
        items: items
            .into_iter()
            .map(|i| OrderItemRow {
                name: i.name.unwrap_or_default(),
                sku: i.sku,
                quantity: i.quantity,
                price: i.price,
                currency: i.currency.unwrap_or_else(|| order.currency.clone()),
            })
            .collect(),
        history: history
            .into_iter()
            .filter_map(|h| {
                h.order_status.map(|status| StatusEvent {
                    at: h.received_at.timestamp(),
                    status,
                })
            })
            .collect(),
        order,
    }))
}
