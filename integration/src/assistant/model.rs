//! What the assistant API answers: the JSON shapes, with their OpenAPI schemas.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// How current an answer is: the assistant can say "as of this morning" instead of guessing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Freshness {
    /// When the store's cache was last synchronised with the shop (null: never).
    pub store_last_sync_at: Option<DateTime<Utc>>,
    /// When the newest record in this answer last changed in the shop, or was last synchronised
    /// when the shop did not say.
    pub record_updated_at: Option<DateTime<Utc>>,
}

/// A text in Hungarian and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Localized {
    pub hu: String,
    pub en: String,
}

/// An amount of money, also as text ready to be read aloud (`12 990 Ft`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Money {
    pub amount: f64,
    /// ISO 4217 code, e.g. `HUF`.
    pub currency: String,
    #[schema(example = "12 990 Ft")]
    pub formatted: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    InStock,
    OutOfStock,
    /// Disabled in the shop or not orderable.
    Unavailable,
    /// The shop does not report stock for this product.
    Unknown,
}

/// One product found by a search.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductHit {
    /// The product's id in ShopRenter.
    pub id: String,
    pub name: Option<String>,
    pub sku: Option<String>,
    /// Price including VAT (what the customer pays), when the shop reports it.
    pub price_gross: Option<Money>,
    /// Price without VAT.
    pub price_net: Option<Money>,
    pub stock: Option<i64>,
    pub availability: Availability,
    pub availability_text: Localized,
    /// When the product last changed in the shop (or was last synchronised).
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductSearchResponse {
    /// Best match first.
    pub products: Vec<ProductHit>,
    pub freshness: Freshness,
}

/// Parameters of a product search.
#[derive(Debug, Clone, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductSearchQuery {
    /// Free text (accents optional: "kave" finds "kávé") or a SKU.
    #[param(example = "kave")]
    pub q: String,
    /// How many products to return (1–20, default 5).
    pub limit: Option<u32>,
}

/// Asks for an order's status. The caller must prove they placed it with the phone number or
/// e-mail address on the order.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct OrderStatusRequest {
    /// The order number the customer sees (e.g. `1234`, `#1234`, `SR-1234`).
    #[schema(example = "1234")]
    pub order_number: String,
    /// The caller's phone number in any common notation.
    #[schema(example = "+36 20 123 4567")]
    pub phone: Option<String>,
    /// The e-mail address on the order.
    pub email: Option<String>,
}

/// The status of an order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderStatusResponse {
    pub order_number: String,
    pub status: Localized,
    /// When the order reached its current status (best knowledge of the cache).
    pub status_changed_at: Option<DateTime<Utc>>,
    pub ordered_at: Option<DateTime<Utc>>,
    pub items: Vec<OrderItem>,
    pub total_gross: Option<Money>,
    pub total_net: Option<Money>,
    pub freshness: Freshness,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderItem {
    pub name: Option<String>,
    pub sku: Option<String>,
    pub quantity: Option<f64>,
    /// Unit price including VAT, as recorded on the order.
    pub unit_price_gross: Option<Money>,
    /// Unit price without VAT.
    pub unit_price_net: Option<Money>,
}

/// Looks a caller up by phone number.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CustomerLookupRequest {
    #[schema(example = "06 20 123 4567")]
    pub phone: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerLookupResponse {
    /// The customer's name as the shop knows it.
    pub name: Option<String>,
    /// True when the shop has a customer account for this number (false: guest orders only).
    pub has_account: bool,
    /// Newest first, at most five.
    pub recent_orders: Vec<OrderSummary>,
    pub freshness: Freshness,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderSummary {
    pub order_number: String,
    pub status: Localized,
    pub ordered_at: Option<DateTime<Utc>>,
    pub total_gross: Option<Money>,
}

/// An API key as the store page lists it (the key itself is shown only once, at creation).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApiKeyInfo {
    pub id: Uuid,
    pub store_id: Uuid,
    pub label: String,
    /// The first characters of the key, e.g. `sca_7Hq2kP…`.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}
