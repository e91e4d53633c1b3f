//! API2 resources: names, opaque ids, scopes, allowed methods and list filters (reference §3).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::NaiveDateTime;

use crate::model::{Shop, ORDER_STATUSES};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resource {
    ProductExtend,
    ProductDescriptions,
    Categories,
    CategoryExtend,
    CategoryDescriptions,
    Customers,
    Orders,
    OrderExtend,
    OrderStatuses,
    OrderStatusDescriptions,
    WebHooks,
}

/// Language ids: 1 = Hungarian, 2 = English (as in the productExtend fixture).
pub(crate) const LANGS: [(u32, &str); 2] = [(1, "hu"), (2, "en")];

/// A record key: the inner id, plus a language id for description resources (else 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key(pub u32, pub u32);

impl Resource {
    pub fn parse(path: &str) -> Option<Self> {
        Some(match path {
            "productExtend" => Self::ProductExtend,
            "productDescriptions" => Self::ProductDescriptions,
            "categories" => Self::Categories,
            "categoryExtend" => Self::CategoryExtend,
            "categoryDescriptions" => Self::CategoryDescriptions,
            "customers" => Self::Customers,
            "orders" => Self::Orders,
            "orderExtend" => Self::OrderExtend,
            "orderStatuses" => Self::OrderStatuses,
            "orderStatusDescriptions" => Self::OrderStatusDescriptions,
            // Every URL example writes `webHooks`; scopes.json writes `webhooks` (reference §5).
            "webHooks" | "webhooks" => Self::WebHooks,
            _ => return None,
        })
    }

    pub fn path(self) -> &'static str {
        match self {
            Self::ProductExtend => "productExtend",
            Self::ProductDescriptions => "productDescriptions",
            Self::Categories => "categories",
            Self::CategoryExtend => "categoryExtend",
            Self::CategoryDescriptions => "categoryDescriptions",
            Self::Customers => "customers",
            Self::Orders => "orders",
            Self::OrderExtend => "orderExtend",
            Self::OrderStatuses => "orderStatuses",
            Self::OrderStatusDescriptions => "orderStatusDescriptions",
            Self::WebHooks => "webHooks",
        }
    }

    /// Scope area (reference §6 "Typical mapping"); `:read` / `:write` is appended per method.
    pub fn scope_area(self) -> &'static str {
        match self {
            Self::ProductExtend | Self::ProductDescriptions => "product.product",
            Self::Categories | Self::CategoryExtend | Self::CategoryDescriptions => {
                "product.category"
            }
            Self::Customers => "customer.customer",
            Self::Orders | Self::OrderExtend => "order.order",
            Self::OrderStatuses | Self::OrderStatusDescriptions => "order.status",
            Self::WebHooks => "store.webhook",
        }
    }

    /// `pageCount` appears for productExtend/orderExtend, not for orders/customers (fixtures);
    /// for the others it is our guess.
    pub fn has_page_count(self) -> bool {
        matches!(
            self,
            Self::ProductExtend | Self::OrderExtend | Self::CategoryExtend
        )
    }

    /// Which methods exist besides GET: orderExtend and the status resources are read-only,
    /// orders cannot be deleted (reference §3 "Methods").
    pub fn allows(self, method: &str) -> bool {
        match (self, method) {
            (_, "GET") => true,
            (Self::OrderExtend | Self::OrderStatuses | Self::OrderStatusDescriptions, _) => false,
            (Self::Orders, "DELETE") => false,
            (Self::ProductDescriptions | Self::CategoryDescriptions, "POST" | "DELETE") => false,
            (_, "POST" | "PUT" | "DELETE") => true,
            _ => false,
        }
    }

    fn id_prefix(self) -> &'static str {
        match self {
            Self::ProductExtend => "product-product_id=",
            Self::ProductDescriptions => "productDescription-product_id=",
            Self::Categories | Self::CategoryExtend => "category-category_id=",
            Self::CategoryDescriptions => "categoryDescription-category_id=",
            Self::Customers => "customer-customer_id=",
            Self::Orders | Self::OrderExtend => "order-order_id=",
            Self::OrderStatuses => "orderStatus-order_status_id=",
            Self::OrderStatusDescriptions => "orderStatusDescription-order_status_id=",
            Self::WebHooks => "webHook-notification_id=",
        }
    }

    fn has_language(self) -> bool {
        matches!(
            self,
            Self::ProductDescriptions | Self::CategoryDescriptions | Self::OrderStatusDescriptions
        )
    }

    /// `base64("product-product_id=2451")`, the form every API id takes (reference (c) 5).
    pub fn id(self, key: Key) -> String {
        let raw = if self.has_language() {
            format!("{}{}&language_id={}", self.id_prefix(), key.0, key.1)
        } else {
            format!("{}{}", self.id_prefix(), key.0)
        };
        STANDARD.encode(raw)
    }

    pub fn decode(self, id: &str) -> Option<Key> {
        let raw = String::from_utf8(STANDARD.decode(id).ok()?).ok()?;
        let rest = raw.strip_prefix(self.id_prefix())?;
        if self.has_language() {
            let (a, b) = rest.split_once("&language_id=")?;
            Some(Key(a.parse().ok()?, b.parse().ok()?))
        } else {
            Some(Key(rest.parse().ok()?, 0))
        }
    }
}

/// Decodes an id of another resource given in a filter or a body (`{"id": "..."}`).
pub(crate) fn inner_of(resource: Resource, id: &str) -> Option<u32> {
    resource.decode(id).map(|k| k.0)
}

pub(crate) fn lang_of(id: &str) -> Option<u32> {
    let raw = String::from_utf8(STANDARD.decode(id).ok()?).ok()?;
    raw.strip_prefix("language-language_id=")?.parse().ok()
}
/// Filters from the query string (reference §3 "Useful filters"); each applies where the
/// resource has the field and is ignored elsewhere.
#[derive(Debug, Default)]
pub(crate) struct Filters {
    pub inner_id: Option<u32>,
    pub sku: Option<String>,
    pub email: Option<String>,
    pub updated_after: Option<NaiveDateTime>,
    pub updated_before: Option<NaiveDateTime>,
    pub created_after: Option<NaiveDateTime>,
    pub created_before: Option<NaiveDateTime>,
    pub updated_min: Option<NaiveDateTime>,
    pub updated_max: Option<NaiveDateTime>,
    pub created_min: Option<NaiveDateTime>,
    pub created_max: Option<NaiveDateTime>,
    pub parent_id: Option<u32>,
    pub language_id: Option<u32>,
    pub order_status_id: Option<u32>,
}

impl Filters {
    fn dates_match(&self, created: NaiveDateTime, updated: NaiveDateTime) -> bool {
        self.updated_after.is_none_or(|t| updated > t)
            && self.updated_before.is_none_or(|t| updated < t)
            && self.created_after.is_none_or(|t| created > t)
            && self.created_before.is_none_or(|t| created < t)
            && self.updated_min.is_none_or(|t| updated >= t)
            && self.updated_max.is_none_or(|t| updated <= t)
            && self.created_min.is_none_or(|t| created >= t)
            && self.created_max.is_none_or(|t| created <= t)
    }
    fn has_dates(&self) -> bool {
        self.updated_after.is_some()
            || self.updated_before.is_some()
            || self.created_after.is_some()
            || self.created_before.is_some()
            || self.updated_min.is_some()
            || self.updated_max.is_some()
            || self.created_min.is_some()
            || self.created_max.is_some()
    }
    fn id_ok(&self, id: u32) -> bool {
        self.inner_id.is_none_or(|i| i == id)
    }
    fn lang_ok(&self, lang: u32) -> bool {
        self.language_id.is_none_or(|l| l == lang)
    }
}

fn with_langs(ids: impl Iterator<Item = u32>, f: &Filters) -> Vec<Key> {
    ids.flat_map(|id| {
        LANGS
            .iter()
            .filter(|(l, _)| f.lang_ok(*l))
            .map(move |(l, _)| Key(id, *l))
    })
    .collect()
}

/// Keys of the records matching `f`, in innerId order (the platform's order is undocumented).
pub(crate) fn list_keys(shop: &Shop, res: Resource, f: &Filters) -> Vec<Key> {
    match res {
        Resource::ProductExtend | Resource::ProductDescriptions => {
            let needs_record = f.sku.is_some() || f.has_dates();
            let ids = shop
                .products
                .ids()
                .iter()
                .copied()
                .filter(|id| f.id_ok(*id) && f.parent_id.is_none_or(|p| p == *id))
                .filter(|id| {
                    !needs_record
                        || shop.product(*id).is_some_and(|p| {
                            f.sku.as_deref().is_none_or(|s| s == p.sku)
                                && f.dates_match(p.date_created, p.date_updated)
                        })
                });
            if res == Resource::ProductExtend {
                ids.map(|id| Key(id, 0)).collect()
            } else {
                with_langs(ids, f)
            }
        }
        Resource::Categories | Resource::CategoryExtend | Resource::CategoryDescriptions => {
            let ids = shop.categories.ids().iter().copied().filter(|id| {
                f.id_ok(*id)
                    && (!f.has_dates()
                        || shop
                            .category(*id)
                            .is_some_and(|c| f.dates_match(c.date_created, c.date_updated)))
            });
            if res == Resource::CategoryDescriptions {
                let ids: Vec<u32> = ids
                    .filter(|id| f.parent_id.is_none_or(|p| p == *id))
                    .collect();
                with_langs(ids.into_iter(), f)
            } else {
                ids.map(|id| Key(id, 0)).collect()
            }
        }
        Resource::Customers => {
            let needs_record = f.email.is_some() || f.has_dates();
            shop.customers
                .ids()
                .iter()
                .copied()
                .filter(|id| f.id_ok(*id))
                .filter(|id| {
                    !needs_record
                        || shop.customer(*id).is_some_and(|c| {
                            f.email
                                .as_deref()
                                .is_none_or(|e| e.eq_ignore_ascii_case(&c.email))
                                && f.dates_match(c.date_created, c.date_updated)
                        })
                })
                .map(|id| Key(id, 0))
                .collect()
        }
        Resource::Orders | Resource::OrderExtend => {
            let needs_record = f.email.is_some() || f.has_dates() || f.order_status_id.is_some();
            shop.orders
                .ids()
                .iter()
                .copied()
                .filter(|id| f.id_ok(*id))
                .filter(|id| {
                    !needs_record
                        || shop.order(*id).is_some_and(|o| {
                            f.email
                                .as_deref()
                                .is_none_or(|e| e.eq_ignore_ascii_case(&o.email))
                                && f.order_status_id.is_none_or(|s| s == o.status_id)
                                && f.dates_match(o.date_created, o.date_updated)
                        })
                })
                .map(|id| Key(id, 0))
                .collect()
        }
        Resource::OrderStatuses => ORDER_STATUSES
            .iter()
            .filter(|s| f.id_ok(s.id))
            .map(|s| Key(s.id, 0))
            .collect(),
        Resource::OrderStatusDescriptions => with_langs(
            ORDER_STATUSES
                .iter()
                .map(|s| s.id)
                .filter(|id| f.order_status_id.is_none_or(|s| s == *id)),
            f,
        ),
        Resource::WebHooks => shop
            .webhooks
            .values()
            .filter(|h| f.id_ok(h.inner_id) && f.dates_match(h.date_created, h.date_updated))
            .map(|h| Key(h.inner_id, 0))
            .collect(),
    }
}
