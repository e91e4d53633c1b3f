//! A delivery read only as far as receiving it needs: each order's ids and status.
//!
//! The receiving end stores the document as sent and routes each order to a worker, which
//! fetches the order itself. Building the full typed events (every field, `extra` through a
//! `serde_json::Value` tree) cost that hot path about a tenth of the machine's CPU in the
//! delivery benchmark (perf); skipping the rest of the document costs little. The shape rules
//! are [`super::parse_delivery`]'s: `orders.order` or `orders`, a list or a single object,
//! `{}` for none.

use std::fmt;

use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::payload::resource_id_of;
use crate::resources::lenient::{List, Obj, Text};

/// One order event's identity, as [`super::OrderEvent`] would read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderRef {
    /// `innerId`, as text.
    pub inner_id: Option<String>,
    /// `innerResourceId` (`orders/{id}`).
    pub inner_resource_id: Option<String>,
    /// `orderHistory.status`.
    pub status: Option<String>,
}

impl OrderRef {
    /// The id to fetch `orderExtend/{id}` with (see [`super::OrderEvent::api_resource_id`]).
    pub fn api_resource_id(&self) -> Option<&str> {
        resource_id_of(self.inner_resource_id.as_deref())
    }
}

/// `orderHistory`, of which only the status is read.
#[derive(Deserialize, Default)]
#[serde(default)]
struct History {
    #[serde(deserialize_with = "crate::resources::lenient::opt_string")]
    status: Option<String>,
}

/// The keys read in an order object, and `order` in an `orders` object.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum Key {
    Order,
    InnerId,
    InnerResourceId,
    OrderHistory,
    #[serde(other)]
    Other,
}

/// The orders of a delivery's top-level object (none when it has no `orders`).
pub(super) struct Envelope {
    pub orders: Vec<OrderRef>,
}

impl<'de> Deserialize<'de> for Envelope {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(RootVisitor)
    }
}

struct RootVisitor;

impl<'de> Visitor<'de> for RootVisitor {
    type Value = Envelope;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope, A::Error> {
        let mut orders = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "orders" {
                // A repeated key: the last one counts, as in a parsed `Value`.
                orders = map.next_value::<Section>()?.0;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Envelope { orders })
    }
}

/// The value of `orders`: `{"order": …}`, a list, or one order object.
struct Section(Vec<OrderRef>);

impl<'de> Deserialize<'de> for Section {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ListVisitor { section: true })
            .map(Section)
    }
}

/// A list of orders or a single one (`{}`: none; any other value: none). In a `section`, an
/// `order` key holds the list instead.
struct ListVisitor {
    section: bool,
}

impl<'de> Visitor<'de> for ListVisitor {
    type Value = Vec<OrderRef>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("orders")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut orders = Vec::new();
        while let Some(order) = seq.next_element::<OrderRef>()? {
            orders.push(order);
        }
        Ok(orders)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut own = OrderRef::default();
        let mut keys = 0usize;
        let mut nested = None;
        while let Some(key) = map.next_key::<Key>()? {
            keys += 1;
            match key {
                Key::Order if self.section => {
                    // A list or one object, `{}` for none: the platform's lenient list shape.
                    nested = Some(map.next_value::<List<OrderRef, false>>()?.0);
                }
                Key::InnerId => own.inner_id = map.next_value::<Text>()?.0,
                Key::InnerResourceId => own.inner_resource_id = map.next_value::<Text>()?.0,
                Key::OrderHistory => {
                    own.status = map.next_value::<Obj<History>>()?.0.and_then(|h| h.status)
                }
                Key::Order | Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(match nested {
            Some(orders) => orders,
            None if keys == 0 => Vec::new(),
            None => vec![own],
        })
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
}

/// One element of a list of orders: an object (anything else is an error, as for
/// [`super::OrderEvent`]).
impl<'de> Deserialize<'de> for OrderRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(OrderVisitor)
    }
}

struct OrderVisitor;

impl<'de> Visitor<'de> for OrderVisitor {
    type Value = OrderRef;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an order object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<OrderRef, A::Error> {
        // An order's own keys, read like a single order; an `order` key inside is not special.
        let mut orders = ListVisitor { section: false }.visit_map(map)?;
        Ok(orders.pop().unwrap_or_default())
    }
}
