//! Seeding a store's cache for tests and the benchmark, through the sync's own write path
//! (`sync::resources` rows + `sync::write::commit_page`), so what the assistant reads is exactly
//! what a real sync would have written — the search triggers and phone normalisation included.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use shoprenter::resources::{Order, OrderStatus, Product};
use uuid::Uuid;

use crate::storage::{users, Db, StorageError};
use crate::sync::resources::{self as rows, Resource};
use crate::sync::write::{self, OrderWithItems};
use crate::with_writer;

/// A merchant with one connected store named `shopname`; returns the store id.
pub async fn seed_store(
    db: &Db,
    shopname: &str,
    last_sync_at: Option<DateTime<Utc>>,
) -> Result<Uuid, StorageError> {
    let now = Utc::now();
    let user = users::insert(db, &format!("{shopname}@example.test"), "x", now)
        .await?
        .ok_or_else(|| StorageError::Sqlx(sqlx::Error::RowNotFound))?;
    let id = Uuid::new_v4();
    with_writer!(db, |pool| sqlx::query(
        "INSERT INTO stores (id, user_id, store_name, store_url, shopname, is_active, connected_at,
                             last_sync_at, webhook_secret, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $3, $5, $6, $7, $8, $6, $6)"
    )
    .bind(id)
    .bind(user.id)
    .bind(shopname)
    .bind(format!("https://{shopname}.myshoprenter.hu"))
    .bind(true)
    .bind(now)
    .bind(last_sync_at)
    .bind(Uuid::new_v4().simple().to_string())
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(id)
}

/// Marks a store disconnected (as uninstall does).
pub async fn deactivate_store(db: &Db, store_id: Uuid) -> Result<(), StorageError> {
    with_writer!(db, |pool| sqlx::query(
        "UPDATE stores SET is_active = $1 WHERE id = $2"
    )
    .bind(false)
    .bind(store_id)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// A product as `productExtend` returns it (prices as strings, names in descriptions).
pub fn product_json(
    id: &str,
    name: &str,
    sku: &str,
    gross: f64,
    stock: i64,
    description: &str,
) -> Value {
    json!({
        "id": id,
        "innerId": id.trim_start_matches(|c: char| !c.is_ascii_digit()),
        "sku": sku,
        "price": format!("{:.4}", gross / 1.27),
        "status": "1",
        "orderable": "1",
        "stock1": stock.to_string(),
        "dateUpdated": "2024-05-01T10:00:00",
        "productDescriptions": [{ "name": name, "shortDescription": description }],
        "productPrices": [{
            "net": format!("{:.4}", gross / 1.27),
            "gross": format!("{gross:.4}"),
            "currencyCode": "HUF",
            "customerGroup": { "href": "https://x/customerGroups/1", "default": true }
        }]
    })
}

/// An order as `orderExtend` returns it, with one line per `(name, sku, quantity, gross unit)`.
pub fn order_json(
    id: &str,
    number: &str,
    (firstname, lastname): (&str, &str),
    phone: &str,
    email: &str,
    status_id: &str,
    lines: &[(&str, &str, i64, f64)],
) -> Value {
    let gross_total: f64 = lines.iter().map(|l| l.2 as f64 * l.3).sum();
    let products: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, (name, sku, qty, gross))| {
            json!({
                "id": format!("{id}-line-{i}"),
                "name": name,
                "sku": sku,
                "price": format!("{:.4}", gross / 1.27),
                "grossPrice": format!("{gross:.4}"),
                "quantity": qty.to_string(),
            })
        })
        .collect();
    json!({
        "id": id,
        "innerId": number,
        "firstname": firstname,
        "lastname": lastname,
        "phone": phone,
        "email": email,
        "total": format!("{:.4}", gross_total / 1.27),
        "dateCreated": "2024-05-02T09:00:00",
        "dateUpdated": "2024-05-03T12:30:00",
        "orderStatus": { "href": format!("https://x/orderStatuses/{status_id}") },
        "orderProducts": products,
        "orderTotals": [{ "type": "TOTAL", "value": format!("{gross_total:.4}") }],
    })
}

/// `commit_page`, retried while SQLite reports "database is locked": a running server's job
/// workers write too, and a seeding transaction that loses the race is refused at once.
async fn commit_page(
    db: &Db,
    resource: Resource,
    rows: Vec<Vec<crate::sync::upsert::Val>>,
    orders: Vec<OrderWithItems>,
    progress: Option<write::PageProgress>,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let mut orders = Some(orders);
    for attempt in 0.. {
        let batch = orders.take().unwrap_or_default();
        let kept: Vec<OrderWithItems> = batch
            .iter()
            .map(|o| OrderWithItems {
                store_id: o.store_id,
                row: o.row.clone(),
                platform_id: o.platform_id.clone(),
                items: o.items.clone(),
            })
            .collect();
        let result =
            write::commit_page(db, resource, rows.clone(), batch, progress.clone(), now).await;
        match result {
            Err(StorageError::Sqlx(sqlx::Error::Database(e)))
                if attempt < 50 && e.message().contains("locked") =>
            {
                orders = Some(kept);
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            other => return other,
        }
    }
    unreachable!()
}

fn parse<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, StorageError> {
    serde_json::from_value(v.clone())
        .map_err(|e| StorageError::Sqlx(sqlx::Error::Decode(Box::new(e))))
}

pub async fn seed_products(
    db: &Db,
    store_id: Uuid,
    products: &[Value],
) -> Result<(), StorageError> {
    let now = Utc::now();
    let mut page = Vec::with_capacity(products.len());
    for p in products {
        let product: Product = parse(p)?;
        page.extend(rows::product_row(store_id, &product, now));
    }
    commit_page(db, Resource::Products, page, Vec::new(), None, now).await
}

/// Order statuses as `(id, Hungarian name)`.
pub async fn seed_statuses(
    db: &Db,
    store_id: Uuid,
    statuses: &[(&str, &str)],
) -> Result<(), StorageError> {
    let now = Utc::now();
    let mut page = Vec::new();
    for (id, name) in statuses {
        let status: OrderStatus = parse(&json!({ "id": id }))?;
        page.extend(rows::status_row(
            store_id,
            &status,
            Some((*name).to_owned()),
            now,
        ));
    }
    commit_page(db, Resource::OrderStatuses, page, Vec::new(), None, now).await
}

/// Orders with their items; `status_names` maps status ids to names (the sync's lookup).
pub async fn seed_orders(
    db: &Db,
    store_id: Uuid,
    orders: &[Value],
    status_names: &[(&str, &str)],
) -> Result<(), StorageError> {
    let now = Utc::now();
    let mut page = Vec::with_capacity(orders.len());
    for o in orders {
        let order: Order = parse(o)?;
        let status = order.order_status_id().and_then(|id| {
            status_names
                .iter()
                .find(|(k, _)| *k == id)
                .map(|(_, n)| (*n).to_owned())
        });
        let Some(row) = rows::order_row(store_id, &order, status, now) else {
            continue;
        };
        let currency = rows::currency_of(&order);
        let items = order
            .order_products
            .iter()
            .enumerate()
            .map(|(i, item)| rows::order_item_row(store_id, Uuid::nil(), item, i, &currency))
            .collect();
        page.push(OrderWithItems {
            store_id,
            row,
            platform_id: order.id.clone().unwrap_or_default(),
            items,
        });
    }
    commit_page(db, Resource::Orders, Vec::new(), page, None, now).await
}

/// A customer account as `customers` returns it.
pub async fn seed_customer(
    db: &Db,
    store_id: Uuid,
    id: &str,
    (firstname, lastname): (&str, &str),
    phone: &str,
) -> Result<(), StorageError> {
    let now = Utc::now();
    let customer = parse(&json!({
        "id": id, "firstname": firstname, "lastname": lastname,
        "email": format!("{id}@example.test"), "telephone": phone,
        "dateUpdated": "2024-04-01T08:00:00"
    }))?;
    let page = rows::customer_row(store_id, &customer, now)
        .into_iter()
        .collect();
    commit_page(db, Resource::Customers, page, Vec::new(), None, now).await
}
