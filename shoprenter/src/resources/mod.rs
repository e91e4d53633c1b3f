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
            $( extra_filter = $extra_filter:path; )?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
        pub struct $name {
            $(
                $(#[$tm])*
                #[serde(rename = $tj, skip_serializing_if = "Option::is_none")]
                pub $tf: Option<String>,
            )*
            $(
                $(#[$lm])*
                #[serde(rename = $lj, skip_serializing_if = "Option::is_none")]
                pub $lf: Option<crate::resources::Link>,
            )*
            $(
                $(#[$om])*
                #[serde(rename = $oj, skip_serializing_if = "Option::is_none")]
                pub $of: Option<$ot>,
            )*
            $(
                $(#[$vm])*
                #[serde(rename = $vj, skip_serializing_if = "Vec::is_empty")]
                pub $vf: Vec<$vt>,
            )*
            /// Fields this crate does not model, kept as received.
            #[serde(flatten)]
            pub extra: serde_json::Map<String, serde_json::Value>,
        }

        // Hand-written rather than derived: a derive with a `flatten`ed `extra` first buffers
        // the whole record into an intermediate tree; this reads each field in place.
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " object"))
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$name, A::Error> {
                        use crate::resources::lenient as l;
                        let mut out = $name::default();
                        while let Some(key) = map.next_key::<l::Key<'de>>()? {
                            match key.as_str() {
                                $( $tj => out.$tf = map.next_value::<l::Text>()?.0, )*
                                $( $lj => out.$lf = map.next_value::<l::Obj<crate::resources::Link>>()?.0, )*
                                $( $oj => out.$of = map.next_value::<l::Obj<$ot>>()?.0, )*
                                $( $vj => out.$vf = map.next_value::<l::List<$vt, true>>()?.0, )*
                                _ => {
                                    let value = map.next_value::<serde_json::Value>()?;
                                    out.extra.insert(key.into_string(), value);
                                }
                            }
                        }
                        $( out.extra = $extra_filter(out.extra); )?
                        Ok(out)
                    }
                }
                d.deserialize_map(V)
            }
        }
    };
}
pub(crate) use resource;

/// A link to another resource, `{"href": "…"}`, possibly with the resource inlined (Extend
/// resources and some links carry `id`, `innerId` and more, e.g. `manufacturer`, §3 "IDs").
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Link {
    /// Absolute URL of the linked resource (may name the legacy API host, §(d) 5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// The linked resource's opaque id, when inlined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Everything else inlined with the link.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

// By hand for the same reason as the `resource!` structs: no buffering for `extra`.
impl<'de> Deserialize<'de> for Link {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Link;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a link object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Link, A::Error> {
                let mut out = Link::default();
                while let Some(key) = map.next_key::<lenient::Key<'de>>()? {
                    match key.as_str() {
                        "href" => out.href = map.next_value::<lenient::Text>()?.0,
                        "id" => out.id = map.next_value::<lenient::Text>()?.0,
                        _ => {
                            let value = map.next_value::<Value>()?;
                            out.extra.insert(key.into_string(), value);
                        }
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Collection<T> {
    /// This page's URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// 0-based page number (sent as a string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u64>,
    /// Page size (≤ 200).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Number of pages; absent on some resources (orders, customers).
    #[serde(rename = "pageCount", skip_serializing_if = "Option::is_none")]
    pub page_count: Option<u64>,
    /// Item count, only on a few CMS list resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Link to the first page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<Link>,
    /// Link to the previous page, `null` on page 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<Link>,
    /// Link to the next page, `null` on the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<Link>,
    /// Link to the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<Link>,
    /// The records (`full=1`) or `{href}` stubs (`full=0`).
    pub items: Vec<T>,
    /// Unknown fields (e.g. `requestTime` on productExtend).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

// By hand: a derive with the `flatten`ed `extra` would buffer the whole page (~600 KB at 200
// full records) into an intermediate tree before reading a single item.
impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Collection<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::de::DeserializeOwned> serde::de::Visitor<'de> for V<T> {
            type Value = Collection<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a collection page")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Collection<T>, A::Error> {
                let mut out = Collection {
                    href: None,
                    page: None,
                    limit: None,
                    page_count: None,
                    total: None,
                    first: None,
                    previous: None,
                    next: None,
                    last: None,
                    items: Vec::new(),
                    extra: Map::new(),
                };
                while let Some(key) = map.next_key::<lenient::Key<'de>>()? {
                    match key.as_str() {
                        "href" => out.href = map.next_value::<lenient::Text>()?.0,
                        "page" => out.page = map.next_value::<lenient::Count>()?.0,
                        "limit" => out.limit = map.next_value::<lenient::Count>()?.0,
                        "pageCount" => out.page_count = map.next_value::<lenient::Count>()?.0,
                        "total" => out.total = map.next_value::<lenient::Count>()?.0,
                        "first" => out.first = map.next_value::<lenient::Obj<Link>>()?.0,
                        "previous" => out.previous = map.next_value::<lenient::Obj<Link>>()?.0,
                        "next" => out.next = map.next_value::<lenient::Obj<Link>>()?.0,
                        "last" => out.last = map.next_value::<lenient::Obj<Link>>()?.0,
                        "items" => out.items = map.next_value::<lenient::List<T, false>>()?.0,
                        _ => {
                            let value = map.next_value::<Value>()?;
                            out.extra.insert(key.into_string(), value);
                        }
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

impl<T> Collection<T> {
    /// The page to request next, or `None` when `next` is null.
    ///
    /// Taken from the `page` parameter of `next.href` when present (otherwise this page + 1).
    /// Only the number is used: the href itself is never requested, because it may name a
    /// different (legacy) host and must not receive our bearer token (§(d) 5).
    pub fn next_page(&self) -> Option<u64> {
        let next = self.next.as_ref()?;
        let from_href = next.href.as_deref().and_then(page_of_href);
        from_href.or_else(|| self.page.map(|p| p + 1)).or(Some(1))
    }

    /// The listing's last page number: `pageCount - 1` where the resource reports a count,
    /// otherwise the `page` parameter of `last.href` (customers and orders have only that).
    pub fn last_page(&self) -> Option<u64> {
        match self.page_count {
            Some(count) => count.checked_sub(1),
            None => self.last.as_ref()?.href.as_deref().and_then(page_of_href),
        }
    }
}

fn page_of_href(href: &str) -> Option<u64> {
    let url = url::Url::parse(href).ok()?;
    let page = url.query_pairs().find(|(k, _)| k == "page")?.1;
    page.parse().ok()
}

/// Decodes an API id for logs and tests (§3 "IDs": base64 of `<entity>-<column>=<innerId>`).
/// Never build ids: Outer IDs replace them freely.
pub fn decode_resource_id(id: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(id).ok()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests;
