//! Typed contents of webhook deliveries (`shoprenter-protocol.md` §5 "Delivery format":
//! `{"orders":{"order":[…]}}` with keys without the `order_` prefix, `orderProducts` wrapped as
//! `{"orderProduct":[…]}`, numbers as strings or numbers; newsletter events
//! `{"newsletter":{"subscriber":[…]}}`).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::resources::lenient::{self, parse_f64, parse_i64};

/// One order in an order-event delivery. Untrusted: re-fetch the order by
/// [`OrderEvent::api_resource_id`] before acting on it (deliveries are unsigned, §5).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OrderEvent {
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub store_name: Option<String>,
    /// Order number (`"247"`).
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub inner_id: Option<String>,
    /// `orders/<base64 id>`.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub inner_resource_id: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub outer_resource_id: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub firstname: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub lastname: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub phone: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub email: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub shipping_method_name: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub payment_method_name: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub language_code: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub comment: Option<String>,
    /// Net total.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub total: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_gross: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub currency: Option<String>,
    /// The status the order is now in.
    #[serde(
        deserialize_with = "lenient::opt_object",
        skip_serializing_if = "Option::is_none"
    )]
    pub order_history: Option<OrderHistory>,
    /// Delivered as `{"orderProduct":[…]}`; an array or single object is accepted too.
    #[serde(
        deserialize_with = "wrapped_order_products",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub order_products: Vec<OrderEventProduct>,
    /// Everything else (addresses, prices…), as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `innerResourceId` (`orders/{id}`) without its prefix.
pub(super) fn resource_id_of(inner_resource_id: Option<&str>) -> Option<&str> {
    let id = inner_resource_id?.rsplit('/').next()?;
    (!id.is_empty()).then_some(id)
}

impl OrderEvent {
    /// `innerId` as a number.
    pub fn inner_id(&self) -> Option<i64> {
        parse_i64(self.inner_id.as_deref())
    }

    /// The id to fetch `orderExtend/{id}` with: `innerResourceId` without its `orders/` prefix.
    pub fn api_resource_id(&self) -> Option<&str> {
        resource_id_of(self.inner_resource_id.as_deref())
    }

    /// The status value reported in `orderHistory.status`.
    pub fn status(&self) -> Option<&str> {
        self.order_history
            .as_ref()
            .and_then(|h| h.status.as_deref())
    }

    /// Gross total as a number.
    pub fn total_gross(&self) -> Option<f64> {
        parse_f64(self.total_gross.as_deref())
    }

    /// Idempotency key `storeName:innerId:status` (§5 recommendation).
    pub fn dedupe_key(&self) -> String {
        format!(
            "{}:{}:{}",
            self.store_name.as_deref().unwrap_or(""),
            self.inner_id.as_deref().unwrap_or(""),
            self.status().unwrap_or("")
        )
    }
}

/// `orderHistory` of an order event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OrderHistory {
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub status: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub status_text: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub comment: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub date_added: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An `orderProduct` of an order event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OrderEventProduct {
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub inner_id: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub inner_resource_id: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub sku: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub price: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub currency: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub tax_rate: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub quantity: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl OrderEventProduct {
    /// Quantity as a number.
    pub fn quantity(&self) -> Option<i64> {
        parse_i64(self.quantity.as_deref())
    }
}

/// A `subscriber` of a newsletter event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewsletterSubscriber {
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub email: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub status: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn wrapped_order_products<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<OrderEventProduct>, D::Error> {
    let value = match Value::deserialize(d)? {
        Value::Object(mut map) if map.contains_key("orderProduct") => {
            map.remove("orderProduct").unwrap_or(Value::Null)
        }
        other => other,
    };
    lenient::values_to_list(value).map_err(serde::de::Error::custom)
}
