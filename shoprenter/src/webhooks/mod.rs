//! Webhook deliveries (shop → app) and the event names used to register them.
//!
//! Reference: `shoprenter-protocol.md` §5 "Webhooks" — events `order_confirm`,
//! `order_status_change`, `abandoned_cart`, `newsletter_*`; deliveries are `POST` with
//! `Content-Type: multipart/form-data` and the JSON document in form field `data`; order payload
//! `{"orders":{"order":[…]}}` with keys *without* the `order_` prefix; numbers as strings or
//! numbers; deliveries are **not signed**. Test vector (c) 8.
//! The payload does not name its event, so register one URL per event (or carry the event in
//! the URL) and pass it along with the delivery.

use std::fmt;

use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::resources::lenient;

mod envelope;
mod payload;

pub use crate::resources::{
    NewWebHook, NewWebHookParameter, WebHook, WebHookDelay, WebHookParameter,
};
pub use envelope::OrderRef;
pub use payload::{NewsletterSubscriber, OrderEvent, OrderEventProduct, OrderHistory};

/// A webhook event name (§5; WebHook resource `event`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum WebhookEvent {
    /// `order_confirm`: a new order was placed.
    OrderConfirm,
    /// `order_status_change`: an order moved to another status.
    OrderStatusChange,
    /// `abandoned_cart` (added 2026-01-15; the shop must enable it).
    AbandonedCart,
    /// `newsletter_subscribe`.
    NewsletterSubscribe,
    /// `newsletter_unsubscribe`.
    NewsletterUnsubscribe,
    /// `newsletter_update_subscriber`.
    NewsletterUpdateSubscriber,
    /// A name this crate does not know yet, kept verbatim.
    Other(String),
}

impl WebhookEvent {
    /// The order events we register (design.md "Webhooks").
    pub const ORDER_EVENTS: [WebhookEvent; 3] = [
        WebhookEvent::OrderConfirm,
        WebhookEvent::OrderStatusChange,
        WebhookEvent::AbandonedCart,
    ];

    /// Parses a platform event name; unknown names become [`WebhookEvent::Other`].
    pub fn from_name(name: &str) -> Self {
        match name {
            "order_confirm" => Self::OrderConfirm,
            "order_status_change" => Self::OrderStatusChange,
            "abandoned_cart" => Self::AbandonedCart,
            "newsletter_subscribe" => Self::NewsletterSubscribe,
            "newsletter_unsubscribe" => Self::NewsletterUnsubscribe,
            "newsletter_update_subscriber" => Self::NewsletterUpdateSubscriber,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The platform's name for the event.
    pub fn as_str(&self) -> &str {
        match self {
            Self::OrderConfirm => "order_confirm",
            Self::OrderStatusChange => "order_status_change",
            Self::AbandonedCart => "abandoned_cart",
            Self::NewsletterSubscribe => "newsletter_subscribe",
            Self::NewsletterUnsubscribe => "newsletter_unsubscribe",
            Self::NewsletterUpdateSubscriber => "newsletter_update_subscriber",
            Self::Other(name) => name,
        }
    }

    /// Whether deliveries carry `{"orders":…}`.
    pub fn is_order_event(&self) -> bool {
        matches!(
            self,
            Self::OrderConfirm | Self::OrderStatusChange | Self::AbandonedCart
        )
    }
}

impl fmt::Display for WebhookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for WebhookEvent {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_name(s))
    }
}

impl Serialize for WebhookEvent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for WebhookEvent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::from_name(&String::deserialize(d)?))
    }
}

/// Why a delivery body could not be read. Never echoes the body.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// Body over the configured limit.
    #[error("webhook body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    /// Not multipart/form-data, form-urlencoded or JSON.
    #[error("unsupported webhook content type")]
    UnsupportedContentType,
    /// `type=xml` deliveries; we register `json` webhooks only.
    #[error("XML webhook payloads are not supported; register the webhook with type json")]
    XmlPayload,
    /// The form had no `data` field.
    #[error("webhook form has no `data` field")]
    MissingDataField,
    /// The form had more than one `data` field.
    #[error("webhook form has more than one `data` field")]
    RepeatedDataField,
    /// Broken multipart framing (or no boundary).
    #[error("malformed multipart body: {0}")]
    Multipart(String),
    /// The payload is not a JSON object.
    #[error("webhook payload is not valid JSON: {0}")]
    InvalidJson(String),
}

/// How the payload arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryEncoding {
    /// `multipart/form-data`, field `data` (what the platform sends, §5).
    Multipart,
    /// `application/x-www-form-urlencoded`, field `data`.
    FormUrlEncoded,
    /// A raw JSON body.
    Json,
}

/// What a delivery contained.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryPayload {
    /// `{"orders":{"order":[…]}}` — `order_confirm`, `order_status_change`, `abandoned_cart`.
    Orders(Vec<OrderEvent>),
    /// `{"newsletter":{"subscriber":[…]}}`.
    Newsletter(Vec<NewsletterSubscriber>),
    /// Valid JSON of another shape; see [`WebhookDelivery::raw`].
    Unrecognised,
}

/// A parsed delivery: typed events plus the JSON as received (persist `raw` first, design.md).
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookDelivery {
    /// The typed contents.
    pub payload: DeliveryPayload,
    /// The JSON document, parsed.
    pub raw: Value,
    /// The JSON document's text exactly as received (what the inbox keeps: no re-serialising on
    /// the hot path, and byte-identical re-sends hash alike).
    pub document: String,
    /// How it arrived.
    pub encoding: DeliveryEncoding,
}

impl WebhookDelivery {
    /// The order events, if this was an order delivery.
    pub fn orders(&self) -> &[OrderEvent] {
        match &self.payload {
            DeliveryPayload::Orders(orders) => orders,
            _ => &[],
        }
    }
}

/// Parses a delivery body.
///
/// `content_type` is the request's `Content-Type` header. Accepted: `multipart/form-data` with a
/// `data` field (what ShopRenter sends), `application/x-www-form-urlencoded` with `data`, and a
/// raw JSON body (`application/json`, `text/json`, `text/plain` or no header). Bodies larger
/// than `max_bytes` are refused before any parsing.
pub fn parse_delivery(
    content_type: Option<&str>,
    body: &[u8],
    max_bytes: usize,
) -> Result<WebhookDelivery, WebhookError> {
    let (document, encoding) = delivery_document(content_type, body, max_bytes)?;
    parse_document(&document, encoding)
}

/// A delivery read only as far as receiving it needs ([`read_delivery`]).
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryEnvelope {
    /// Each order's ids and status; empty when the delivery holds no orders.
    pub orders: Vec<OrderRef>,
    /// The JSON document's text exactly as received.
    pub document: String,
    /// How it arrived.
    pub encoding: DeliveryEncoding,
}

/// [`parse_delivery`]'s checks and shape rules, reading of each order only `innerId`,
/// `innerResourceId` and `orderHistory.status`: what a receiver that stores the document and
/// fetches each order later needs, at a fraction of the cost of the full events.
pub fn read_delivery(
    content_type: Option<&str>,
    body: &[u8],
    max_bytes: usize,
) -> Result<DeliveryEnvelope, WebhookError> {
    let (document, encoding) = delivery_document(content_type, body, max_bytes)?;
    let text = document_text(&document)?;
    let envelope: envelope::Envelope =
        serde_json::from_str(text).map_err(|e| WebhookError::InvalidJson(e.to_string()))?;
    Ok(DeliveryEnvelope {
        orders: envelope.orders,
        document: text.to_owned(),
        encoding,
    })
}

/// The JSON document of a delivery body, by its content type.
fn delivery_document(
    content_type: Option<&str>,
    body: &[u8],
    max_bytes: usize,
) -> Result<(Bytes, DeliveryEncoding), WebhookError> {
    if body.len() > max_bytes {
        return Err(WebhookError::TooLarge { limit: max_bytes });
    }
    let essence = content_type
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    Ok(match essence.as_str() {
        "multipart/form-data" => {
            let ct = content_type.unwrap_or_default();
            (
                multipart_data_field(ct, body, max_bytes)?,
                DeliveryEncoding::Multipart,
            )
        }
        "application/x-www-form-urlencoded" => {
            (form_data_field(body)?, DeliveryEncoding::FormUrlEncoded)
        }
        "" | "application/json" | "text/json" | "text/plain" => {
            (Bytes::copy_from_slice(body), DeliveryEncoding::Json)
        }
        e if e.ends_with("+json") => (Bytes::copy_from_slice(body), DeliveryEncoding::Json),
        "application/xml" | "text/xml" => return Err(WebhookError::XmlPayload),
        _ => return Err(WebhookError::UnsupportedContentType),
    })
}

/// The document as trimmed UTF-8 text; XML is refused.
fn document_text(document: &[u8]) -> Result<&str, WebhookError> {
    let trimmed = document.trim_ascii_start();
    if trimmed.starts_with(b"<") {
        return Err(WebhookError::XmlPayload);
    }
    Ok(std::str::from_utf8(trimmed)
        .map_err(|e| WebhookError::InvalidJson(e.to_string()))?
        .trim_end())
}

fn parse_document(
    document: &[u8],
    encoding: DeliveryEncoding,
) -> Result<WebhookDelivery, WebhookError> {
    let document = document_text(document)?;
    let raw: Value =
        serde_json::from_str(document).map_err(|e| WebhookError::InvalidJson(e.to_string()))?;
    let Value::Object(root) = &raw else {
        return Err(WebhookError::InvalidJson(
            "top level is not an object".into(),
        ));
    };
    // Typed straight from the parsed document (borrowed, not cloned).
    let section = |outer: &str, inner: &str| root.get(outer).map(|o| o.get(inner).unwrap_or(o));
    let payload = if let Some(orders) = section("orders", "order") {
        DeliveryPayload::Orders(
            lenient::value_to_list(orders).map_err(|e| WebhookError::InvalidJson(e.to_string()))?,
        )
    } else if let Some(subscribers) = section("newsletter", "subscriber") {
        DeliveryPayload::Newsletter(
            lenient::value_to_list(subscribers)
                .map_err(|e| WebhookError::InvalidJson(e.to_string()))?,
        )
    } else {
        DeliveryPayload::Unrecognised
    };
    Ok(WebhookDelivery {
        payload,
        document: document.to_owned(),
        raw,
        encoding,
    })
}

fn form_data_field(body: &[u8]) -> Result<Bytes, WebhookError> {
    let mut found = None;
    for (key, value) in url::form_urlencoded::parse(body) {
        if key == "data" {
            if found.is_some() {
                return Err(WebhookError::RepeatedDataField);
            }
            found = Some(Bytes::from(value.into_owned()));
        }
    }
    found.ok_or(WebhookError::MissingDataField)
}

fn multipart_data_field(
    content_type: &str,
    body: &[u8],
    max_bytes: usize,
) -> Result<Bytes, WebhookError> {
    let boundary =
        multer::parse_boundary(content_type).map_err(|e| WebhookError::Multipart(e.to_string()))?;
    let chunk = Bytes::copy_from_slice(body);
    let stream = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(chunk) });
    let limits = multer::SizeLimit::new()
        .whole_stream(max_bytes as u64)
        .per_field(max_bytes as u64);
    let mut multipart = multer::Multipart::with_constraints(
        stream,
        boundary,
        multer::Constraints::new().size_limit(limits),
    );
    // The whole body is one ready chunk, so this never waits on I/O and can run inline even on
    // an async worker thread.
    futures::executor::block_on(async move {
        let mut found = None;
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| WebhookError::Multipart(e.to_string()))?
        {
            if field.name() == Some("data") {
                if found.is_some() {
                    return Err(WebhookError::RepeatedDataField);
                }
                found = Some(
                    field
                        .bytes()
                        .await
                        .map_err(|e| WebhookError::Multipart(e.to_string()))?,
                );
            }
        }
        found.ok_or(WebhookError::MissingDataField)
    })
}

#[cfg(test)]
mod tests;
