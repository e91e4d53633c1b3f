//! Order status (only for a caller who knows the phone or e-mail on the order) and customer
//! lookup by phone.

use chrono::{DateTime, Utc};
use shoprenter::resources::lenient::parse_f64;
use shoprenter::resources::{Order, OrderProduct};
use sqlx::FromRow;
use uuid::Uuid;

use super::format::{money, status_text};
use super::model::{OrderItem, OrderStatusRequest, OrderSummary};
use super::phone::normalize_phone;
use super::AssistantError;
use crate::storage::documents::StoredDocument;
use crate::storage::{Db, StorageError};
use crate::with_pool;

const RECENT_ORDERS: i64 = 5;
const MAX_ORDER_NUMBER_CHARS: usize = 64;

/// The caller's claim: an order number plus the phone and/or e-mail that must be on the order.
#[derive(Debug)]
pub(crate) struct OrderClaim {
    /// As typed, and its digits alone (`SR-1234` → `1234`, `#1234` → `1234`).
    numbers: [String; 2],
    phone: Option<String>,
    email: Option<String>,
}

impl OrderClaim {
    pub(crate) fn parse(request: &OrderStatusRequest) -> Result<Self, AssistantError> {
        let number = request.order_number.trim().trim_start_matches('#').trim();
        if number.is_empty() || number.chars().count() > MAX_ORDER_NUMBER_CHARS {
            return Err(AssistantError::BadInput(
                "order_number is missing or too long",
            ));
        }
        let digits: String = number.chars().filter(char::is_ascii_digit).collect();
        let phone = match request
            .phone
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            Some(p) => Some(
                normalize_phone(p)
                    .ok_or(AssistantError::BadInput("phone is not a phone number"))?,
            ),
            None => None,
        };
        let email = request
            .email
            .as_deref()
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty());
        if phone.is_none() && email.is_none() {
            return Err(AssistantError::BadInput(
                "give the phone number or e-mail address on the order",
            ));
        }
        let digits = if digits.is_empty() {
            number.to_owned()
        } else {
            digits
        };
        Ok(Self {
            numbers: [number.to_owned(), digits],
            phone,
            email,
        })
    }
}

const ORDER_COLUMNS: &str =
    "o.id, o.inner_id, o.customer_name, o.customer_email, o.customer_phone, \
    o.phone_normalized, coalesce(o.status_name, st.name) AS status_name, \
    CAST(o.total_gross AS DOUBLE PRECISION) AS total_gross, o.currency, o.ordered_at, \
    o.raw_data, o.source_updated_at, o.last_synced_at, o.status_changed_at";

const ORDER_FROM: &str = "FROM shoprenter_orders_cache o
    LEFT JOIN shoprenter_order_statuses_cache st
        ON st.store_id = o.store_id AND st.shoprenter_order_status_id = o.status_id";

#[derive(FromRow)]
pub(crate) struct OrderRow {
    id: Uuid,
    inner_id: Option<String>,
    pub(crate) customer_name: Option<String>,
    customer_email: Option<String>,
    customer_phone: Option<String>,
    phone_normalized: Option<String>,
    status_name: Option<String>,
    total_gross: Option<f64>,
    currency: Option<String>,
    ordered_at: Option<DateTime<Utc>>,
    raw_data: Option<StoredDocument>,
    source_updated_at: Option<DateTime<Utc>>,
    last_synced_at: DateTime<Utc>,
    status_changed_at: Option<DateTime<Utc>>,
}

impl OrderRow {
    pub(crate) fn updated_at(&self) -> DateTime<Utc> {
        self.source_updated_at.unwrap_or(self.last_synced_at)
    }

    /// Whether the caller's phone or e-mail is the one on the order. Both sides go through the
    /// same normalisation, so whatever notation the shop or the sync stored still matches.
    fn matches(&self, claim: &OrderClaim) -> bool {
        let phone_ok = claim.phone.as_deref().is_some_and(|wanted| {
            [&self.phone_normalized, &self.customer_phone]
                .into_iter()
                .filter_map(|p| p.as_deref().and_then(normalize_phone))
                .any(|p| p == wanted)
        });
        let email_ok = claim.email.as_deref().is_some_and(|wanted| {
            self.customer_email
                .as_deref()
                .is_some_and(|e| e.trim().to_lowercase() == wanted)
        });
        phone_ok || email_ok
    }

    pub(crate) fn order_number(&self) -> String {
        self.inner_id.clone().unwrap_or_default()
    }

    pub(crate) fn summary(&self) -> OrderSummary {
        OrderSummary {
            order_number: self.order_number(),
            status: status_text(self.status_name.as_deref()),
            ordered_at: self.ordered_at,
            total_gross: self.total_gross.map(|t| money(t, self.currency.as_deref())),
        }
    }

    pub(crate) fn status_changed_at(&self) -> Option<DateTime<Utc>> {
        self.status_changed_at
    }

    /// The net total from the platform's record, when the cache kept it.
    pub(crate) fn total_net(&self) -> Option<super::model::Money> {
        let raw: Order = serde_json::from_str(&self.raw_data.as_ref()?.text()?).ok()?;
        raw.total().map(|t| money(t, self.currency.as_deref()))
    }
}

/// The order this claim proves, or `None` — whether the number is unknown or the contact is
/// wrong, so the caller cannot tell which.
pub(crate) async fn find_claimed(
    db: &Db,
    store_id: Uuid,
    claim: &OrderClaim,
) -> Result<Option<OrderRow>, StorageError> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} {ORDER_FROM}
         WHERE o.store_id = $1 AND o.inner_id IN ($2, $3) LIMIT 5"
    );
    let rows = with_pool!(db, |pool| sqlx::query_as::<_, OrderRow>(&sql)
        .bind(store_id)
        .bind(&claim.numbers[0])
        .bind(&claim.numbers[1])
        .fetch_all(pool)
        .await)?;
    Ok(rows.into_iter().find(|o| o.matches(claim)))
}

#[derive(FromRow)]
struct ItemRow {
    name: Option<String>,
    sku: Option<String>,
    quantity: Option<f64>,
    price: Option<f64>,
    currency: Option<String>,
    raw_data: Option<StoredDocument>,
}

/// The order's lines; `price` is the net unit price (`orderProducts.price`), the gross one is
/// read from the kept record (`grossPrice`).
pub(crate) async fn items(db: &Db, order: &OrderRow) -> Result<Vec<OrderItem>, StorageError> {
    let rows = with_pool!(db, |pool| sqlx::query_as::<_, ItemRow>(
        "SELECT name, sku, CAST(quantity AS DOUBLE PRECISION) AS quantity,
                CAST(price AS DOUBLE PRECISION) AS price, currency,
                raw_data
         FROM shoprenter_order_items_cache WHERE order_id = $1
         ORDER BY shoprenter_order_product_id"
    )
    .bind(order.id)
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let currency = r.currency.as_deref().or(order.currency.as_deref());
            let gross = r
                .raw_data
                .as_ref()
                .and_then(StoredDocument::text)
                .and_then(|raw| serde_json::from_str::<OrderProduct>(&raw).ok())
                .and_then(|p| parse_f64(p.gross_price.as_deref()));
            OrderItem {
                unit_price_gross: gross.map(|g| money(g, currency)),
                unit_price_net: r.price.map(|p| money(p, currency)),
                name: r.name,
                sku: r.sku,
                quantity: r.quantity,
            }
        })
        .collect())
}

/// Phone lookups match both spellings of E.164 (with and without `+`), so a cache written with
/// digits only is still found through the same index.
fn phone_keys(e164: &str) -> [&str; 2] {
    [e164, e164.trim_start_matches('+')]
}

#[derive(FromRow)]
pub(crate) struct CustomerRow {
    pub(crate) firstname: Option<String>,
    pub(crate) lastname: Option<String>,
    source_updated_at: Option<DateTime<Utc>>,
    last_synced_at: DateTime<Utc>,
}

impl CustomerRow {
    pub(crate) fn updated_at(&self) -> DateTime<Utc> {
        self.source_updated_at.unwrap_or(self.last_synced_at)
    }
}

pub(crate) async fn customer_by_phone(
    db: &Db,
    store_id: Uuid,
    e164: &str,
) -> Result<Option<CustomerRow>, StorageError> {
    let [a, b] = phone_keys(e164);
    Ok(with_pool!(db, |pool| sqlx::query_as::<_, CustomerRow>(
        "SELECT firstname, lastname, source_updated_at, last_synced_at
         FROM shoprenter_customers_cache
         WHERE store_id = $1 AND phone_normalized IN ($2, $3)
         ORDER BY last_synced_at DESC LIMIT 1"
    )
    .bind(store_id)
    .bind(a)
    .bind(b)
    .fetch_optional(pool)
    .await)?)
}

pub(crate) async fn recent_orders_by_phone(
    db: &Db,
    store_id: Uuid,
    e164: &str,
) -> Result<Vec<OrderRow>, StorageError> {
    let [a, b] = phone_keys(e164);
    let sql = format!(
        "SELECT {ORDER_COLUMNS} {ORDER_FROM}
         WHERE o.store_id = $1 AND o.phone_normalized IN ($2, $3)
         ORDER BY o.ordered_at DESC NULLS LAST LIMIT $4"
    );
    Ok(with_pool!(db, |pool| sqlx::query_as::<_, OrderRow>(&sql)
        .bind(store_id)
        .bind(a)
        .bind(b)
        .bind(RECENT_ORDERS)
        .fetch_all(pool)
        .await)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(
        number: &str,
        phone: Option<&str>,
        email: Option<&str>,
    ) -> Result<OrderClaim, AssistantError> {
        OrderClaim::parse(&OrderStatusRequest {
            order_number: number.into(),
            phone: phone.map(Into::into),
            email: email.map(Into::into),
        })
    }

    #[test]
    fn order_numbers_are_tried_as_typed_and_as_digits() {
        let c = claim(" #SR-1234 ", Some("06201234567"), None).unwrap();
        assert_eq!(c.numbers, ["SR-1234".to_owned(), "1234".to_owned()]);
        assert_eq!(c.phone.as_deref(), Some("+36201234567"));
    }

    #[test]
    fn a_claim_needs_a_contact_and_a_number() {
        assert!(claim("1234", None, None).is_err());
        assert!(claim("1234", Some(" "), Some("")).is_err());
        assert!(claim("", Some("06201234567"), None).is_err());
        assert!(claim("1234", Some("not a phone"), None).is_err());
        assert!(claim("1234", None, Some(" Anna@Example.hu ")).is_ok());
    }
}
