//! API2 resource payloads, tolerant of the platform's quirks.
//!
//! Reference: `shoprenter-protocol.md` §3 "REST API" (resource names, collections, "all scalar
//! values come back as strings", opaque base64 ids, links `{"href"}`), test vectors (c) 5–7, and
//! the FX-* fixtures. Every type keeps scalars as the text the platform sent (accessors parse
//! them), accepts numbers where strings are documented, treats `null`/`{}` as absent, accepts a
//! single object where an array is expected, and keeps unknown fields in `extra`.

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

mod catalog;
mod customer;
pub mod lenient;
mod order;
mod webhook;

pub use catalog::{
    Category, CategoryDescription, Product, ProductCategoryRelation, ProductDescription,
    ProductPrice,
};
pub use customer::Customer;
pub use order::{Order, OrderProduct, OrderStatus, OrderStatusDescription, OrderTotal};
pub use webhook::{NewWebHook, NewWebHookParameter, WebHook, WebHookDelay, WebHookParameter};

/// Declares a resource struct whose fields follow the lenient rules of this module.
///
/// Groups: `text` fields are `Option<String>` (string, number or bool accepted); `link` fields
/// are `Option<Link>`; `object` fields are `Option<T>`; `list` fields are inlined lists
/// (`Vec<T>`, a bare link yields an empty list). Every struct gets `extra` for unknown fields.
macro_rules! resource {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            text { $( $(#[$tm:meta])* $tf:ident = $tj:literal, )* }
            link { $( $(#[$lm:meta])* $lf:ident = $lj:literal, )* }
            object { $( $(#[$om:meta])* $of:ident : $ot:ty = $oj:literal, )* }
            list { $( $(#[$vm:meta])* $vf:ident : $vt:ty = $vj:literal, )* }
            $( extra_with = $extra_de:literal; )?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(default)]
        pub struct $name {
            $(
                $(#[$tm])*
                #[serde(rename = $tj, deserialize_with = "crate::resources::lenient::opt_string", skip_serializing_if = "Option::is_none")]
                pub $tf: Option<String>,
            )*
            $(
                $(#[$lm])*
                #[serde(rename = $lj, deserialize_with = "crate::resources::lenient::opt_object", skip_serializing_if = "Option::is_none")]
                pub $lf: Option<crate::resources::Link>,
            )*
            $(
                $(#[$om])*
                #[serde(rename = $oj, deserialize_with = "crate::resources::lenient::opt_object", skip_serializing_if = "Option::is_none")]
                pub $of: Option<$ot>,
            )*
            $(
                $(#[$vm])*
                #[serde(rename = $vj, deserialize_with = "crate::resources::lenient::inline_list", skip_serializing_if = "Vec::is_empty")]
                pub $vf: Vec<$vt>,
            )*
            /// Fields this crate does not model, kept as received.
            #[serde(flatten $(, deserialize_with = $extra_de)?)]
            pub extra: serde_json::Map<String, serde_json::Value>,
        }
    };
}
pub(crate) use resource;

/// A link to another resource, `{"href": "…"}`, possibly with the resource inlined (Extend
/// resources and some links carry `id`, `innerId` and more, e.g. `manufacturer`, §3 "IDs").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Link {
    /// Absolute URL of the linked resource (may name the legacy API host, §(d) 5).
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub href: Option<String>,
    /// The linked resource's opaque id, when inlined.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    /// Everything else inlined with the link.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Link {
    /// The linked resource's id: `id` if inlined, else the last path segment of `href`
    /// (`…/orderStatuses/b3JkZXJTdGF0dXMtb3JkZXJfc3RhdHVzX2lkPTE=` → that id). Query-style hrefs
    /// (`…/productDescriptions?productId=…`) have no id.
    pub fn resource_id(&self) -> Option<&str> {
        if let Some(id) = self.id.as_deref().filter(|s| !s.is_empty()) {
            return Some(id);
        }
        let href = self.href.as_deref()?;
        if href.contains('?') {
            return None;
        }
        href.trim_end_matches('/')
            .rsplit('/')
            .next()
            .filter(|s| !s.is_empty() && !s.contains(':'))
    }
}

/// One page of a collection (§3 "Collections / pagination"):
/// `{href, page, limit, [pageCount], first, previous, next, last, items}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: serde::de::DeserializeOwned"))]
pub struct Collection<T> {
    /// This page's URL.
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub href: Option<String>,
    /// 0-based page number (sent as a string).
    #[serde(
        default,
        deserialize_with = "lenient::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub page: Option<u64>,
    /// Page size (≤ 200).
    #[serde(
        default,
        deserialize_with = "lenient::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub limit: Option<u64>,
    /// Number of pages; absent on some resources (orders, customers).
    #[serde(
        rename = "pageCount",
        default,
        deserialize_with = "lenient::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub page_count: Option<u64>,
    /// Item count, only on a few CMS list resources.
    #[serde(
        default,
        deserialize_with = "lenient::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub total: Option<u64>,
    /// Link to the first page.
    #[serde(
        default,
        deserialize_with = "lenient::opt_object",
        skip_serializing_if = "Option::is_none"
    )]
    pub first: Option<Link>,
    /// Link to the previous page, `null` on page 0.
    #[serde(
        default,
        deserialize_with = "lenient::opt_object",
        skip_serializing_if = "Option::is_none"
    )]
    pub previous: Option<Link>,
    /// Link to the next page, `null` on the last one.
    #[serde(
        default,
        deserialize_with = "lenient::opt_object",
        skip_serializing_if = "Option::is_none"
    )]
    pub next: Option<Link>,
    /// Link to the last page.
    #[serde(
        default,
        deserialize_with = "lenient::opt_object",
        skip_serializing_if = "Option::is_none"
    )]
    pub last: Option<Link>,
    /// The records (`full=1`) or `{href}` stubs (`full=0`).
    #[serde(default = "Vec::new", deserialize_with = "lenient::item_list")]
    pub items: Vec<T>,
    /// Unknown fields (e.g. `requestTime` on productExtend).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl<T> Collection<T> {
    /// The page to request next, or `None` when `next` is null.
    ///
    /// Taken from the `page` parameter of `next.href` when present (otherwise this page + 1).
    /// Only the number is used: the href itself is never requested, because it may name a
    /// different (legacy) host and must not receive our bearer token (§(d) 5).
    pub fn next_page(&self) -> Option<u64> {
        let next = self.next.as_ref()?;
        let from_href = next
            .href
            .as_deref()
            .and_then(|h| url::Url::parse(h).ok())
            .and_then(|u| {
                u.query_pairs()
                    .find(|(k, _)| k == "page")
                    .and_then(|(_, v)| v.parse().ok())
            });
        from_href.or_else(|| self.page.map(|p| p + 1)).or(Some(1))
    }
}

/// Decodes an API id for logs and tests (§3 "IDs": base64 of `<entity>-<column>=<innerId>`).
/// Never build ids: Outer IDs replace them freely.
pub fn decode_resource_id(id: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(id).ok()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests;
