//! The shop's records and their storage: generated records are computed on read, and only what
//! was created, changed or deleted is stored.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::ShopSeed;
use crate::gen;
use crate::resources::Resource;
use crate::SimError;

/// Current time as the platform writes it (`2019-01-01T00:00:00`, no zone; we use UTC).
pub(crate) fn now() -> NaiveDateTime {
    Utc::now().naive_utc().with_nanosecond_zero()
}

trait NoNanos {
    fn with_nanosecond_zero(self) -> Self;
}
impl NoNanos for NaiveDateTime {
    fn with_nanosecond_zero(self) -> Self {
        use chrono::Timelike;
        self.with_nanosecond(0).unwrap_or(self)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Lang2<T> {
    pub hu: T,
    pub en: T,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProductText {
    pub name: String,
    pub short_description: String,
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Product {
    pub inner_id: u32,
    pub sku: String,
    /// Net price in HUF.
    pub price_net: u64,
    pub stock: u32,
    pub status: u8,
    pub category_ids: Vec<u32>,
    pub text: Lang2<ProductText>,
    pub date_created: NaiveDateTime,
    pub date_updated: NaiveDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Category {
    pub inner_id: u32,
    pub parent_id: Option<u32>,
    pub name: Lang2<String>,
    pub sort_order: u32,
    pub status: u8,
    pub date_created: NaiveDateTime,
    pub date_updated: NaiveDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Customer {
    pub inner_id: u32,
    pub firstname: String,
    pub lastname: String,
    pub email: String,
    pub telephone: String,
    pub newsletter: u8,
    pub status: u8,
    pub date_created: NaiveDateTime,
    pub date_updated: NaiveDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OrderLine {
    pub product_id: Option<u32>,
    pub name: String,
    pub sku: String,
    pub price_net: u64,
    pub quantity: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Order {
    pub inner_id: u32,
    pub customer_id: Option<u32>,
    pub firstname: String,
    pub lastname: String,
    pub email: String,
    pub phone: String,
    pub city: String,
    pub postcode: String,
    pub address: String,
    pub shipping_net: u64,
    pub payment_method: String,
    pub status_id: u32,
    pub comment: String,
    pub language: String,
    pub lines: Vec<OrderLine>,
    pub date_created: NaiveDateTime,
    pub date_updated: NaiveDateTime,
}

/// Hungarian VAT, applied to every generated price.
pub const VAT_PERCENT: u64 = 27;

pub(crate) fn gross(net: u64) -> u64 {
    (net * (100 + VAT_PERCENT) + 50) / 100
}

impl Order {
    pub fn subtotal_net(&self) -> u64 {
        self.lines
            .iter()
            .map(|l| l.price_net * u64::from(l.quantity))
            .sum()
    }
    pub fn total_net(&self) -> u64 {
        self.subtotal_net() + self.shipping_net
    }
    pub fn total_gross(&self) -> u64 {
        gross(self.subtotal_net()) + gross(self.shipping_net)
    }
}

/// An order status with its Hungarian and English description (reference: `orderStatuses` +
/// `orderStatusDescriptions`; the names are our assumption, the webhook example shows
/// status 1 = "Függőben lévő" / "Pending").
pub struct OrderStatus {
    pub id: u32,
    pub hu: &'static str,
    pub en: &'static str,
    pub color: &'static str,
}

pub const ORDER_STATUSES: &[OrderStatus] = &[
    OrderStatus {
        id: 1,
        hu: "Függőben lévő",
        en: "Pending",
        color: "#f0ad4e",
    },
    OrderStatus {
        id: 2,
        hu: "Feldolgozás alatt",
        en: "Processing",
        color: "#5bc0de",
    },
    OrderStatus {
        id: 3,
        hu: "Kiszállítás alatt",
        en: "Shipped",
        color: "#337ab7",
    },
    OrderStatus {
        id: 4,
        hu: "Teljesítve",
        en: "Completed",
        color: "#5cb85c",
    },
    OrderStatus {
        id: 5,
        hu: "Visszavonva",
        en: "Cancelled",
        color: "#d9534f",
    },
    OrderStatus {
        id: 6,
        hu: "Visszaküldve",
        en: "Returned",
        color: "#777777",
    },
    OrderStatus {
        id: 7,
        hu: "Fizetésre vár",
        en: "Awaiting payment",
        color: "#f7e1b5",
    },
];

pub fn order_status(id: u32) -> Option<&'static OrderStatus> {
    ORDER_STATUSES.iter().find(|s| s.id == id)
}

/// A registered `webHooks` resource.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WebHook {
    pub inner_id: u32,
    pub label: String,
    pub event: String,
    pub status: String,
    /// `json` or `xml`.
    pub kind: String,
    pub url: String,
    pub fields: Vec<String>,
    /// Client id of the app whose token created it (removed with the app on uninstall).
    pub created_by: Option<String>,
    pub date_created: NaiveDateTime,
    pub date_updated: NaiveDateTime,
}

/// Sizes of the generated part of a shop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sizes {
    pub products: u32,
    pub customers: u32,
    pub orders: u32,
    pub categories: u32,
}

/// Live ids plus the records that differ from the generator.
#[derive(Debug)]
pub(crate) struct Table<T> {
    live: Vec<u32>,
    changed: HashMap<u32, T>,
    next_id: u32,
    rendered: RenderCache,
}

/// Each record's JSON as a listing last rendered it. Generating and printing a record is most of
/// what the simulator spends on a full-sync page, CPU the integration it stands in front of needs
/// on the same machine. An entry is dropped when its record is put or removed (the only ways a
/// record changes), and is only used for the same resource, language and link base.
#[derive(Default)]
pub(crate) struct RenderCache(HashMap<u32, Vec<RenderedJson>>);

struct RenderedJson {
    res: Resource,
    lang: u32,
    api: String,
    json: Arc<str>,
}

impl RenderCache {
    pub fn get(&self, id: u32, res: Resource, lang: u32, api: &str) -> Option<Arc<str>> {
        self.0
            .get(&id)?
            .iter()
            .find(|r| r.res == res && r.lang == lang && r.api == api)
            .map(|r| r.json.clone())
    }

    pub fn keep(&mut self, id: u32, res: Resource, lang: u32, api: &str, json: Arc<str>) {
        let entries = self.0.entry(id).or_default();
        entries.retain(|r| !(r.res == res && r.lang == lang));
        entries.push(RenderedJson {
            res,
            lang,
            api: api.to_owned(),
            json,
        });
    }

    fn forget(&mut self, id: u32) {
        self.0.remove(&id);
    }
}

impl std::fmt::Debug for RenderCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RenderCache({} records)", self.0.len())
    }
}

impl<T: Clone> Table<T> {
    fn generated(n: u32) -> Self {
        Self {
            live: (1..=n).collect(),
            changed: HashMap::new(),
            next_id: n + 1,
            rendered: RenderCache::default(),
        }
    }
    pub fn rendered_mut(&mut self) -> &mut RenderCache {
        &mut self.rendered
    }
    pub fn ids(&self) -> &[u32] {
        &self.live
    }
    pub fn contains(&self, id: u32) -> bool {
        self.live.binary_search(&id).is_ok()
    }
    fn get(&self, id: u32, generate: impl FnOnce(u32) -> T) -> Option<T> {
        if !self.contains(id) {
            return None;
        }
        Some(
            self.changed
                .get(&id)
                .cloned()
                .unwrap_or_else(|| generate(id)),
        )
    }
    fn put(&mut self, id: u32, record: T) {
        if let Err(pos) = self.live.binary_search(&id) {
            self.live.insert(pos, id);
        }
        self.changed.insert(id, record);
        self.rendered.forget(id);
    }
    fn allocate(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }
    fn remove(&mut self, id: u32) -> bool {
        match self.live.binary_search(&id) {
            Ok(pos) => {
                self.live.remove(pos);
                self.changed.remove(&id);
                self.rendered.forget(id);
                true
            }
            Err(_) => false,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ProductInput {
    pub sku: Option<String>,
    pub name_hu: Option<String>,
    pub name_en: Option<String>,
    pub description_hu: Option<String>,
    pub description_en: Option<String>,
    pub price_net: Option<u64>,
    pub stock: Option<u32>,
    pub status: Option<u8>,
    pub category_ids: Option<Vec<u32>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CategoryInput {
    pub name_hu: Option<String>,
    pub name_en: Option<String>,
    pub parent_id: Option<u32>,
    pub status: Option<u8>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomerInput {
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub email: Option<String>,
    pub telephone: Option<String>,
    pub status: Option<u8>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OrderItemInput {
    pub product_id: u32,
    #[serde(default = "one")]
    pub quantity: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderInput {
    pub customer_id: Option<u32>,
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub items: Vec<OrderItemInput>,
    pub status_id: Option<u32>,
    pub comment: Option<String>,
}

pub(crate) struct Shop {
    pub seed: u64,
    pub sizes: Sizes,
    pub products: Table<Product>,
    pub categories: Table<Category>,
    pub customers: Table<Customer>,
    pub orders: Table<Order>,
    pub webhooks: BTreeMap<u32, WebHook>,
    next_webhook: u32,
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

impl Shop {
    pub fn seeded(seed: &ShopSeed) -> Self {
        let sizes = Sizes {
            products: seed.products,
            customers: seed.customers,
            orders: seed.orders,
            categories: seed.categories,
        };
        Self {
            seed: seed.seed,
            sizes,
            products: Table::generated(sizes.products),
            categories: Table::generated(sizes.categories),
            customers: Table::generated(sizes.customers),
            orders: Table::generated(sizes.orders),
            webhooks: BTreeMap::new(),
            next_webhook: 1,
        }
    }

    pub fn product(&self, id: u32) -> Option<Product> {
        self.products
            .get(id, |id| gen::product(self.seed, id, self.sizes.categories))
    }
    pub fn category(&self, id: u32) -> Option<Category> {
        self.categories.get(id, |id| gen::category(self.seed, id))
    }
    pub fn customer(&self, id: u32) -> Option<Customer> {
        self.customers.get(id, |id| gen::customer(self.seed, id))
    }
    pub fn order(&self, id: u32) -> Option<Order> {
        self.orders
            .get(id, |id| gen::order(self.seed, id, &self.sizes))
    }

    pub fn upsert_product(
        &mut self,
        id: Option<u32>,
        input: ProductInput,
    ) -> Result<Product, SimError> {
        let now = now();
        let mut p = match id {
            Some(id) => self.product(id).ok_or(SimError::NotFound)?,
            None => {
                let id = self.products.allocate();
                Product {
                    inner_id: id,
                    sku: format!("NEW-{id:05}"),
                    price_net: 1000,
                    stock: 10,
                    status: 1,
                    category_ids: Vec::new(),
                    text: Lang2 {
                        hu: ProductText {
                            name: format!("Új termék {id}"),
                            short_description: String::new(),
                            description: String::new(),
                        },
                        en: ProductText {
                            name: format!("New product {id}"),
                            short_description: String::new(),
                            description: String::new(),
                        },
                    },
                    date_created: now,
                    date_updated: now,
                }
            }
        };
        if let Some(ids) = &input.category_ids {
            if let Some(bad) = ids.iter().find(|c| !self.categories.contains(**c)) {
                return Err(SimError::Invalid(format!("unknown category {bad}")));
            }
        }
        set(&mut p.sku, input.sku);
        set(&mut p.text.hu.name, input.name_hu);
        set(&mut p.text.en.name, input.name_en);
        set(&mut p.text.hu.description, input.description_hu);
        set(&mut p.text.en.description, input.description_en);
        set(&mut p.price_net, input.price_net);
        set(&mut p.stock, input.stock);
        set(&mut p.status, input.status);
        set(&mut p.category_ids, input.category_ids);
        p.date_updated = now;
        self.products.put(p.inner_id, p.clone());
        Ok(p)
    }

    pub fn upsert_category(
        &mut self,
        id: Option<u32>,
        input: CategoryInput,
    ) -> Result<Category, SimError> {
        let now = now();
        let mut c = match id {
            Some(id) => self.category(id).ok_or(SimError::NotFound)?,
            None => {
                let id = self.categories.allocate();
                Category {
                    inner_id: id,
                    parent_id: None,
                    name: Lang2 {
                        hu: format!("Új kategória {id}"),
                        en: format!("New category {id}"),
                    },
                    sort_order: 0,
                    status: 1,
                    date_created: now,
                    date_updated: now,
                }
            }
        };
        if let Some(parent) = input.parent_id {
            if !self.categories.contains(parent) || parent == c.inner_id {
                return Err(SimError::Invalid(format!(
                    "unknown parent category {parent}"
                )));
            }
            c.parent_id = Some(parent);
        }
        set(&mut c.name.hu, input.name_hu);
        set(&mut c.name.en, input.name_en);
        set(&mut c.status, input.status);
        c.date_updated = now;
        self.categories.put(c.inner_id, c.clone());
        Ok(c)
    }

    pub fn upsert_customer(
        &mut self,
        id: Option<u32>,
        input: CustomerInput,
    ) -> Result<Customer, SimError> {
        let now = now();
        let mut c = match id {
            Some(id) => self.customer(id).ok_or(SimError::NotFound)?,
            None => {
                if input.email.as_deref().unwrap_or("").is_empty() {
                    return Err(SimError::Invalid(
                        "The following fields are required: email!".into(),
                    ));
                }
                let id = self.customers.allocate();
                Customer {
                    inner_id: id,
                    firstname: String::new(),
                    lastname: String::new(),
                    email: String::new(),
                    telephone: String::new(),
                    newsletter: 0,
                    status: 1,
                    date_created: now,
                    date_updated: now,
                }
            }
        };
        set(&mut c.firstname, input.firstname);
        set(&mut c.lastname, input.lastname);
        set(&mut c.email, input.email);
        set(&mut c.telephone, input.telephone);
        set(&mut c.status, input.status);
        c.date_updated = now;
        self.customers.put(c.inner_id, c.clone());
        Ok(c)
    }

    pub fn create_order(&mut self, input: OrderInput) -> Result<Order, SimError> {
        let now = now();
        let customer = match input.customer_id {
            Some(id) => Some(
                self.customer(id)
                    .ok_or_else(|| SimError::Invalid(format!("unknown customer {id}")))?,
            ),
            None => None,
        };
        if input.items.is_empty() {
            return Err(SimError::Invalid("an order needs at least one item".into()));
        }
        let mut lines = Vec::new();
        for item in &input.items {
            let p = self
                .product(item.product_id)
                .ok_or_else(|| SimError::Invalid(format!("unknown product {}", item.product_id)))?;
            lines.push(OrderLine {
                product_id: Some(p.inner_id),
                name: p.text.hu.name,
                sku: p.sku,
                price_net: p.price_net,
                quantity: item.quantity.max(1),
            });
        }
        let status_id = input.status_id.unwrap_or(1);
        if order_status(status_id).is_none() {
            return Err(SimError::Invalid(format!(
                "unknown order status {status_id}"
            )));
        }
        let pick = |given: Option<String>, from: Option<&str>| {
            given.or(from.map(str::to_string)).unwrap_or_default()
        };
        let c = customer.as_ref();
        let order = Order {
            inner_id: self.orders.allocate(),
            customer_id: input.customer_id,
            firstname: pick(input.firstname, c.map(|c| c.firstname.as_str())),
            lastname: pick(input.lastname, c.map(|c| c.lastname.as_str())),
            email: pick(input.email, c.map(|c| c.email.as_str())),
            phone: pick(input.phone, c.map(|c| c.telephone.as_str())),
            city: "Budapest".into(),
            postcode: "1117".into(),
            address: "Fő utca 1.".into(),
            shipping_net: 1290,
            payment_method: "Utánvét".into(),
            status_id,
            comment: input.comment.unwrap_or_default(),
            language: "hu".into(),
            lines,
            date_created: now,
            date_updated: now,
        };
        self.orders.put(order.inner_id, order.clone());
        Ok(order)
    }

    /// Changes the fields of an existing order; the caller fires `order_status_change` when the
    /// status moved.
    pub fn update_order(&mut self, id: u32, input: OrderInput) -> Result<(Order, bool), SimError> {
        let mut o = self.order(id).ok_or(SimError::NotFound)?;
        let old_status = o.status_id;
        if let Some(s) = input.status_id {
            if order_status(s).is_none() {
                return Err(SimError::Invalid(format!("unknown order status {s}")));
            }
            o.status_id = s;
        }
        set(&mut o.firstname, input.firstname);
        set(&mut o.lastname, input.lastname);
        set(&mut o.email, input.email);
        set(&mut o.phone, input.phone);
        set(&mut o.comment, input.comment);
        o.date_updated = now();
        self.orders.put(id, o.clone());
        Ok((o.clone(), o.status_id != old_status))
    }

    pub fn delete_product(&mut self, id: u32) -> bool {
        self.products.remove(id)
    }
    pub fn delete_category(&mut self, id: u32) -> bool {
        self.categories.remove(id)
    }
    pub fn delete_customer(&mut self, id: u32) -> bool {
        self.customers.remove(id)
    }
    pub fn delete_order(&mut self, id: u32) -> bool {
        self.orders.remove(id)
    }

    pub fn add_webhook(&mut self, mut hook: WebHook) -> WebHook {
        hook.inner_id = self.next_webhook;
        self.next_webhook += 1;
        self.webhooks.insert(hook.inner_id, hook.clone());
        hook
    }
}
