//! The cache as the merchant sees it: products, customers, orders (searchable, paginated) and
//! one order's detail — what the phone assistant knows about the shop.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

pub const PAGE_SIZE: i64 = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    /// 1-based.
    pub page: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductRow {
    pub id: String,
    pub name: String,
    pub sku: Option<String>,
    pub price: Option<f64>,
    pub currency: String,
    pub stock: Option<i64>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerRow {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderRow {
    pub id: String,
    pub number: String,
    pub customer: String,
    pub status: Option<String>,
    pub total: Option<f64>,
    pub currency: String,
    pub ordered_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderItemRow {
    pub name: String,
    pub sku: Option<String>,
    pub quantity: Option<f64>,
    pub price: Option<f64>,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusEvent {
    pub at: i64,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderDetail {
    pub order: OrderRow,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub items: Vec<OrderItemRow>,
    pub history: Vec<StatusEvent>,
}

/// Clamps the page and cleans the search text the same way for every list.
#[cfg(feature = "ssr")]
fn page_and_query(page: Option<i64>, q: Option<String>) -> (i64, Option<String>) {
    let page = page.unwrap_or(1).clamp(1, 100_000);
    let q = q
        .map(|q| q.trim().chars().take(100).collect::<String>())
        .filter(|q| !q.is_empty());
    (page, q)
}

#[server(prefix = "/api", endpoint = "products")]
pub async fn list_products(
    store: String,
    q: Option<String>,
    page: Option<i64>,
) -> Result<Page<ProductRow>, AppError> {
    let (engine, user) = super::ctx::require_user().await?;
    let (page, q) = page_and_query(page, q);
    let found = engine
        .browse_products(
            &user,
            super::ctx::parse_id(&store)?,
            q.as_deref(),
            page,
            PAGE_SIZE,
        )
        .await?;
    Ok(Page::from_engine(found, ProductRow::from))
}

#[server(prefix = "/api", endpoint = "customers")]
pub async fn list_customers(
    store: String,
    q: Option<String>,
    page: Option<i64>,
) -> Result<Page<CustomerRow>, AppError> {
    let (engine, user) = super::ctx::require_user().await?;
    let (page, q) = page_and_query(page, q);
    let found = engine
        .browse_customers(
            &user,
            super::ctx::parse_id(&store)?,
            q.as_deref(),
            page,
            PAGE_SIZE,
        )
        .await?;
    Ok(Page::from_engine(found, CustomerRow::from))
}

#[server(prefix = "/api", endpoint = "orders")]
pub async fn list_orders(
    store: String,
    q: Option<String>,
    page: Option<i64>,
) -> Result<Page<OrderRow>, AppError> {
    let (engine, user) = super::ctx::require_user().await?;
    let (page, q) = page_and_query(page, q);
    let found = engine
        .browse_orders(
            &user,
            super::ctx::parse_id(&store)?,
            q.as_deref(),
            page,
            PAGE_SIZE,
        )
        .await?;
    Ok(Page::from_engine(found, |o| OrderRow::from(&o)))
}

#[server(prefix = "/api", endpoint = "order")]
pub async fn get_order(store: String, order: String) -> Result<OrderDetail, AppError> {
    let (engine, user) = super::ctx::require_user().await?;
    engine
        .order_detail(
            &user,
            super::ctx::parse_id(&store)?,
            super::ctx::parse_id(&order)?,
        )
        .await?
        .map(OrderDetail::from)
        .ok_or(AppError::NotFound)
}

/// The engine's browse types (`integration::browse`) as the UI shows them: ids as text, times
/// as Unix seconds, missing names blank, missing currencies HUF.
#[cfg(feature = "ssr")]
mod from_engine {
    use integration::browse;

    use super::*;

    const DEFAULT_CURRENCY: &str = "HUF";

    fn currency(c: Option<String>) -> String {
        c.unwrap_or_else(|| DEFAULT_CURRENCY.into())
    }

    impl<T> Page<T> {
        pub(super) fn from_engine<E>(page: browse::Page<E>, map: impl FnMut(E) -> T) -> Self {
            Page {
                items: page.items.into_iter().map(map).collect(),
                total: page.total,
                page: page.page,
                per_page: page.per_page,
            }
        }
    }

    impl From<browse::ProductListItem> for ProductRow {
        fn from(p: browse::ProductListItem) -> Self {
            ProductRow {
                id: p.id.to_string(),
                name: p.name.unwrap_or_default(),
                sku: p.sku,
                price: p.price,
                currency: currency(p.currency),
                stock: p.stock,
                active: p.active,
            }
        }
    }

    impl From<browse::CustomerListItem> for CustomerRow {
        fn from(c: browse::CustomerListItem) -> Self {
            CustomerRow {
                id: c.id.to_string(),
                name: c.full_name(),
                email: c.email,
                phone: c.phone,
            }
        }
    }

    impl From<&browse::OrderListItem> for OrderRow {
        fn from(o: &browse::OrderListItem) -> Self {
            OrderRow {
                id: o.id.to_string(),
                number: o.number().to_owned(),
                customer: o.customer_name.clone().unwrap_or_default(),
                status: o.status_name.clone(),
                total: o.total_gross,
                currency: currency(o.currency.clone()),
                ordered_at: o.ordered_at.map(|t| t.timestamp()),
            }
        }
    }

    impl From<browse::OrderDetail> for OrderDetail {
        fn from(d: browse::OrderDetail) -> Self {
            let order = OrderRow::from(&d.order);
            OrderDetail {
                email: d.order.customer_email,
                phone: d.order.customer_phone,
                items: d
                    .items
                    .into_iter()
                    .map(|i| OrderItemRow {
                        name: i.name.unwrap_or_default(),
                        sku: i.sku,
                        quantity: i.quantity,
                        price: i.price,
                        // A line without its own currency is in the order's.
                        currency: i.currency.unwrap_or_else(|| order.currency.clone()),
                    })
                    .collect(),
                history: d
                    .history
                    .into_iter()
                    .map(|h| StatusEvent {
                        at: h.at.timestamp(),
                        status: h.status,
                    })
                    .collect(),
                order,
            }
        }
    }
}
