//! The assistant data API's engine: what ShopCall.ai's phone assistant may ask about one shop,
//! answered from the sync cache only (never the shop's rate-limited API).
//!
//! | Module | Concern |
//! |---|---|
//! | [`keys`] | API keys per store: create / list / revoke (store page), authenticate (API) |
//! | [`products`] | product search: SKU, then accent-insensitive full text, top N |
//! | [`orders`] | order status behind a phone/e-mail check; customer lookup by phone |
//! | [`phone`] | phone numbers to E.164 |
//! | [`format`] | prices (`12 990 Ft`), availability and status texts in HU/EN |
//! | [`model`] | the JSON answers and their OpenAPI schemas |
//!
//! SQL lives here rather than in `storage/` because the search half is engine-specific by nature
//! (FTS5 vs tsvector); everything else is the same portable runtime SQL as the storage layer.

pub mod format;
pub mod keys;
pub mod model;
pub mod orders;
pub mod phone;
pub mod products;
pub mod testing;

use secrecy::SecretString;

pub use keys::{CreatedApiKey, StoreScope};
use model::{
    CustomerLookupRequest, CustomerLookupResponse, Freshness, OrderStatusRequest,
    OrderStatusResponse, ProductSearchQuery, ProductSearchResponse,
};

use crate::storage::{Db, StorageError};

/// Errors of the assistant API. `Display` is safe to send (no internals) except for `Storage`,
/// which the HTTP edge logs and replaces with a generic message.
#[derive(Debug, thiserror::Error)]
pub enum AssistantError {
    #[error("missing or invalid API key")]
    Unauthorized,
    #[error("the store of this API key is not connected")]
    StoreInactive,
    #[error("{0}")]
    BadInput(&'static str),
    /// Deliberately the same for an unknown order number and a wrong phone/e-mail.
    #[error("no order matches this order number and contact")]
    OrderNotFound,
    #[error("no customer with this phone number")]
    CustomerNotFound,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

pub type Result<T, E = AssistantError> = std::result::Result<T, E>;

/// The assistant API's queries over one database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Assistant {
    db: Db,
}

impl Assistant {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The store a bearer key grants access to. Unknown and revoked keys are refused alike.
    #[tracing::instrument(skip_all)]
    pub async fn authenticate(&self, key: &SecretString) -> Result<StoreScope> {
        let scope = keys::authenticate(&self.db, key)
            .await?
            .ok_or(AssistantError::Unauthorized)?;
        if !scope.store_active {
            return Err(AssistantError::StoreInactive);
        }
        Ok(scope)
    }

    #[tracing::instrument(skip_all, fields(shop = %scope.shopname))]
    pub async fn search_products(
        &self,
        scope: &StoreScope,
        query: &ProductSearchQuery,
    ) -> Result<ProductSearchResponse> {
        let search = products::Search::parse(query)?;
        let rows = products::search(&self.db, scope.store_id, &search).await?;
        let record_updated_at = rows.iter().map(|r| r.updated_at()).max();
        Ok(ProductSearchResponse {
            products: rows
                .into_iter()
                .map(products::ProductRow::into_hit)
                .collect(),
            freshness: Freshness {
                store_last_sync_at: scope.last_sync_at,
                record_updated_at,
            },
        })
    }

    /// An order's status, only when the phone or e-mail given is the one on the order. An
    /// unknown number and a wrong contact give the same [`AssistantError::OrderNotFound`].
    #[tracing::instrument(skip_all, fields(shop = %scope.shopname))]
    pub async fn order_status(
        &self,
        scope: &StoreScope,
        request: &OrderStatusRequest,
    ) -> Result<OrderStatusResponse> {
        let claim = orders::OrderClaim::parse(request)?;
        let order = orders::find_claimed(&self.db, scope.store_id, &claim)
            .await?
            .ok_or(AssistantError::OrderNotFound)?;
        let items = orders::items(&self.db, &order).await?;
        let summary = order.summary();
        Ok(OrderStatusResponse {
            order_number: summary.order_number,
            status: summary.status,
            status_changed_at: order.status_changed_at(),
            ordered_at: summary.ordered_at,
            items,
            total_gross: summary.total_gross,
            total_net: order.total_net(),
            freshness: Freshness {
                store_last_sync_at: scope.last_sync_at,
                record_updated_at: Some(order.updated_at()),
            },
        })
    }

    /// Who is calling: the customer with this phone number (or, for guest checkouts, the name
    /// on their orders) and their latest orders.
    #[tracing::instrument(skip_all, fields(shop = %scope.shopname))]
    pub async fn customer_by_phone(
        &self,
        scope: &StoreScope,
        request: &CustomerLookupRequest,
    ) -> Result<CustomerLookupResponse> {
        let e164 = phone::normalize_phone(&request.phone)
            .ok_or(AssistantError::BadInput("phone is not a phone number"))?;
        let customer = orders::customer_by_phone(&self.db, scope.store_id, &e164).await?;
        let recent = orders::recent_orders_by_phone(&self.db, scope.store_id, &e164).await?;
        if customer.is_none() && recent.is_empty() {
            return Err(AssistantError::CustomerNotFound);
        }
        let name = match &customer {
            Some(c) => full_name(c.firstname.as_deref(), c.lastname.as_deref()),
            None => recent
                .iter()
                .find_map(|o| o.customer_name.clone())
                .filter(|n| !n.trim().is_empty()),
        };
        let record_updated_at = customer
            .iter()
            .map(orders::CustomerRow::updated_at)
            .chain(recent.iter().map(orders::OrderRow::updated_at))
            .max();
        Ok(CustomerLookupResponse {
            name,
            has_account: customer.is_some(),
            recent_orders: recent.iter().map(orders::OrderRow::summary).collect(),
            freshness: Freshness {
                store_last_sync_at: scope.last_sync_at,
                record_updated_at,
            },
        })
    }
}

fn full_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    // The same order as the name on orders (`firstname lastname`).
    let parts: Vec<&str> = [first, last]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}
