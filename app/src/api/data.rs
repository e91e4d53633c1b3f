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
    let store = engine
        .store_of(&user, super::ctx::parse_id(&store)?)
        .await?;
    let (page, q) = page_and_query(page, q);
    super::cache::products(engine.db(), store.id, q.as_deref(), page).await
}

#[server(prefix = "/api", endpoint = "customers")]
pub async fn list_customers(
    store: String,
    q: Option<String>,
    page: Option<i64>,
) -> Result<Page<CustomerRow>, AppError> {
    let (engine, user) = super::ctx::require_user().await?;
    let store = engine
        .store_of(&user, super::ctx::parse_id(&store)?)
        .await?;
    let (page, q) = page_and_query(page, q);
    super::cache::customers(engine.db(), store.id, q.as_deref(), page).await
}

#[server(prefix = "/api", endpoint = "orders")]
pub async fn list_orders(
    store: String,
    q: Option<String>,
    page: Option<i64>,
) -> Result<Page<OrderRow>, AppError> {
    let (engine, user) = super::ctx::require_user().await?;
    let store = engine
        .store_of(&user, super::ctx::parse_id(&store)?)
        .await?;
    let (page, q) = page_and_query(page, q);
    super::cache::orders(engine.db(), store.id, q.as_deref(), page).await
}

#[server(prefix = "/api", endpoint = "order")]
pub async fn get_order(store: String, order: String) -> Result<OrderDetail, AppError> {
    let (engine, user) = super::ctx::require_user().await?;
    let store = engine
        .store_of(&user, super::ctx::parse_id(&store)?)
        .await?;
    super::cache::order(engine.db(), store.id, super::ctx::parse_id(&order)?)
        .await?
        .ok_or(AppError::NotFound)
}
