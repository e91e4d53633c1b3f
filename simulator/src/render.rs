//! The JSON each record renders to, after the sr-api-docs fixtures quoted in the reference §3
//! (every scalar a string, links as `{"href"}`, ids opaque base64).
//!
//! Each record is a typed struct serialised straight into the response text: building a
//! `serde_json::Value` tree per record and then printing it cost the simulator about a third of
//! the machine's CPU during a full sync benchmark (measured with perf), CPU the integration
//! under test was short of.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::NaiveDateTime;
use serde::Serialize;

use crate::model::{
    gross, order_status, Category, Customer, Order, Product, RenderCache, Shop, WebHook,
    VAT_PERCENT,
};
use crate::resources::{Key, Resource, LANGS};

pub(crate) fn fmt_date(d: NaiveDateTime) -> String {
    d.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn money(v: u64) -> String {
    format!("{v}.0000")
}

/// A link: `{"href": …}`.
#[derive(Serialize)]
pub(crate) struct Href {
    pub href: String,
}

/// Where links point: `{base}/{shop}/api`.
pub(crate) struct Links {
    pub api: String,
    pub shop: String,
}

impl Links {
    pub fn href(&self, res: Resource, key: Key) -> String {
        format!("{}/{}/{}", self.api, res.path(), res.id(key))
    }
    fn link(&self, res: Resource, key: Key) -> Href {
        Href {
            href: self.href(res, key),
        }
    }
    /// The `href` and `id` of a record addressed by its raw (unencoded) id, encoded once.
    fn raw_record(&self, path: &str, raw_id: &str) -> (String, String) {
        let id = STANDARD.encode(raw_id);
        (format!("{}/{path}/{id}", self.api), id)
    }
    fn raw_link(&self, path: &str, raw_id: &str) -> Href {
        Href {
            href: self.raw_record(path, raw_id).0,
        }
    }
    fn language(&self, lang: u32) -> Href {
        self.raw_link("languages", &format!("language-language_id={lang}"))
    }
    fn query_link(&self, path: &str, param: &str, res: Resource, key: Key) -> Href {
        Href {
            href: format!("{}/{path}?{param}={}", self.api, res.id(key)),
        }
    }
}

/// One rendered record (or, in a list without `full=1`, only its link).
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum Record {
    Link(Href),
    Product(Box<ProductJson>),
    ProductDescription(ProductDescriptionJson),
    Category(CategoryJson),
    CategoryDescription(CategoryDescriptionJson),
    Customer(CustomerJson),
    Order(Box<OrderJson>),
    OrderStatus(OrderStatusJson),
    OrderStatusDescription(OrderStatusDescriptionJson),
    WebHook(WebHookJson),
}

/// A nested collection: inlined by the `…Extend` resources, otherwise a link to it.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum Nested<T> {
    Inline(Vec<T>),
    Link(Href),
}

/// The full JSON of one record, or `None` when it does not exist.
pub(crate) fn render(shop: &Shop, res: Resource, key: Key, l: &Links) -> Option<Record> {
    Some(match res {
        Resource::ProductExtend => {
            Record::Product(Box::new(product_extend(shop.product(key.0)?, l)))
        }
        Resource::ProductDescriptions => {
            Record::ProductDescription(product_description(&shop.product(key.0)?, key.1, l)?)
        }
        Resource::Categories => Record::Category(category(&shop.category(key.0)?, l, false)),
        Resource::CategoryExtend => Record::Category(category(&shop.category(key.0)?, l, true)),
        Resource::CategoryDescriptions => {
            Record::CategoryDescription(category_description(&shop.category(key.0)?, key.1, l)?)
        }
        Resource::Customers => Record::Customer(customer(shop.customer(key.0)?, l)),
        Resource::Orders => Record::Order(Box::new(order(shop.order(key.0)?, l, false))),
        Resource::OrderExtend => Record::Order(Box::new(order(shop.order(key.0)?, l, true))),
        Resource::OrderStatuses => {
            let s = order_status(key.0)?;
            Record::OrderStatus(OrderStatusJson {
                href: l.href(res, key),
                id: res.id(key),
                inner_id: s.id.to_string(),
                color: s.color,
                sort_order: s.id.to_string(),
                order_status_descriptions: l.query_link(
                    "orderStatusDescriptions",
                    "orderStatusId",
                    res,
                    key,
                ),
            })
        }
        Resource::OrderStatusDescriptions => {
            let s = order_status(key.0)?;
            let name = match key.1 {
                1 => s.hu,
                2 => s.en,
                _ => return None,
            };
            Record::OrderStatusDescription(OrderStatusDescriptionJson {
                href: l.href(res, key),
                id: res.id(key),
                name,
                color: s.color,
                order_status: l.link(Resource::OrderStatuses, Key(s.id, 0)),
                language: l.language(key.1),
            })
        }
        Resource::WebHooks => Record::WebHook(webhook(shop.webhooks.get(&key.0)?, l)),
    })
}

/// The record's table cache, for the resources whose records live in a [`Table`](crate::model::Table)
/// (order statuses are constants, webhooks a handful).
fn cache_of(shop: &mut Shop, res: Resource) -> Option<&mut RenderCache> {
    Some(match res {
        Resource::ProductExtend | Resource::ProductDescriptions => shop.products.rendered_mut(),
        Resource::Categories | Resource::CategoryExtend | Resource::CategoryDescriptions => {
            shop.categories.rendered_mut()
        }
        Resource::Customers => shop.customers.rendered_mut(),
        Resource::Orders | Resource::OrderExtend => shop.orders.rendered_mut(),
        _ => return None,
    })
}

/// [`render`] as JSON text, rendered once per record and kept in its table until the record
/// changes (see [`RenderCache`]); `hits` counts the records taken from the cache.
pub(crate) fn render_json(
    shop: &mut Shop,
    res: Resource,
    key: Key,
    l: &Links,
    hits: &mut u64,
) -> Option<Arc<str>> {
    if let Some(json) = cache_of(shop, res).and_then(|c| c.get(key.0, res, key.1, &l.api)) {
        *hits += 1;
        return Some(json);
    }
    let record = render(shop, res, key, l)?;
    let json: Arc<str> = serde_json::to_string(&record)
        .expect("a rendered record serialises")
        .into();
    if let Some(cache) = cache_of(shop, res) {
        cache.keep(key.0, res, key.1, &l.api, json.clone());
    }
    Some(json)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderStatusJson {
    href: String,
    id: String,
    inner_id: String,
    color: &'static str,
    sort_order: String,
    order_status_descriptions: Href,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderStatusDescriptionJson {
    href: String,
    id: String,
    name: &'static str,
    color: &'static str,
    order_status: Href,
    language: Href,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProductJson {
    href: String,
    id: String,
    inner_id: String,
    sku: String,
    model_number: &'static str,
    orderable: &'static str,
    price: String,
    multiplier: &'static str,
    multiplier_lock: &'static str,
    loyalty_points: &'static str,
    stock1: String,
    stock2: &'static str,
    stock3: &'static str,
    stock4: &'static str,
    subtract_stock: &'static str,
    main_picture: String,
    width: &'static str,
    height: &'static str,
    length: &'static str,
    weight: &'static str,
    status: String,
    shipped: &'static str,
    minimal_order_number: &'static str,
    maximal_order_number: &'static str,
    minimal_order_number_multiply: &'static str,
    available_date: &'static str,
    quantity: &'static str,
    sort_order: &'static str,
    date_created: String,
    date_updated: String,
    image_alt: &'static str,
    free_shipping: &'static str,
    product_prices: [ProductPrice; 1],
    tax_class: Href,
    all_images: AllImages,
    product_descriptions: Vec<ProductDescriptionJson>,
    product_category_relations: Vec<CategoryRelation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProductPrice {
    customer_group: CustomerGroup,
    net: String,
    net_original: String,
    net_special: Option<String>,
    gross: String,
    gross_original: String,
    gross_special: Option<String>,
    currency_code: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CustomerGroup {
    id: String,
    inner_id: &'static str,
    default: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AllImages {
    main_image: String,
}

#[derive(Serialize)]
struct CategoryRelation {
    href: String,
    id: String,
    product: Href,
    category: Href,
}

fn product_extend(p: Product, l: &Links) -> ProductJson {
    let key = Key(p.inner_id, 0);
    let res = Resource::ProductExtend;
    let product_descriptions = LANGS
        .iter()
        .filter_map(|(lang, _)| product_description(&p, *lang, l))
        .collect();
    let product_category_relations = p
        .category_ids
        .iter()
        .map(|c| {
            let raw = format!("productCategory-product_id={}&category_id={c}", p.inner_id);
            let (href, id) = l.raw_record("productCategoryRelations", &raw);
            CategoryRelation {
                href,
                id,
                product: l.raw_link("products", &format!("product-product_id={}", p.inner_id)),
                category: l.link(Resource::Categories, Key(*c, 0)),
            }
        })
        .collect();
    let picture = p.sku.to_lowercase();
    ProductJson {
        href: l.href(res, key),
        id: res.id(key),
        inner_id: p.inner_id.to_string(),
        model_number: "",
        orderable: "1",
        price: money(p.price_net),
        multiplier: "1.0000",
        multiplier_lock: "0",
        loyalty_points: "0",
        stock1: p.stock.to_string(),
        stock2: "0",
        stock3: "0",
        stock4: "0",
        subtract_stock: "1",
        main_picture: format!("product/{picture}.jpg"),
        width: "0.00",
        height: "0.00",
        length: "0.00",
        weight: "0.00",
        status: p.status.to_string(),
        shipped: "1",
        minimal_order_number: "1",
        maximal_order_number: "0",
        minimal_order_number_multiply: "0",
        available_date: "0000-00-00",
        quantity: "0.0000",
        sort_order: "0",
        date_created: fmt_date(p.date_created),
        date_updated: fmt_date(p.date_updated),
        image_alt: "",
        free_shipping: "0",
        product_prices: [ProductPrice {
            customer_group: CustomerGroup {
                id: STANDARD.encode("customerGroup-customer_group_id=8"),
                inner_id: "8",
                default: true,
            },
            net: p.price_net.to_string(),
            net_original: p.price_net.to_string(),
            net_special: None,
            gross: gross(p.price_net).to_string(),
            gross_original: gross(p.price_net).to_string(),
            gross_special: None,
            currency_code: "HUF",
        }],
        tax_class: l.raw_link("taxClasses", "taxClass-tax_class_id=10"),
        all_images: AllImages {
            main_image: format!(
                "https://{}.shoprenter.hu/custom/{}/image/data/product/{picture}.jpg",
                l.shop, l.shop
            ),
        },
        product_descriptions,
        product_category_relations,
        sku: p.sku,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProductDescriptionJson {
    href: String,
    id: String,
    name: String,
    meta_keywords: &'static str,
    meta_description: &'static str,
    short_description: String,
    description: String,
    parameters: &'static str,
    measurement_unit: &'static str,
    date_created: String,
    date_updated: String,
    product: Href,
    language: Href,
}

fn product_description(p: &Product, lang: u32, l: &Links) -> Option<ProductDescriptionJson> {
    let res = Resource::ProductDescriptions;
    let key = Key(p.inner_id, lang);
    let (text, unit) = match lang {
        1 => (&p.text.hu, "db"),
        2 => (&p.text.en, "pc"),
        _ => return None,
    };
    Some(ProductDescriptionJson {
        href: l.href(res, key),
        id: res.id(key),
        name: text.name.clone(),
        meta_keywords: "",
        meta_description: "",
        short_description: text.short_description.clone(),
        description: text.description.clone(),
        parameters: "",
        measurement_unit: unit,
        date_created: fmt_date(p.date_created),
        date_updated: fmt_date(p.date_updated),
        product: l.raw_link("products", &format!("product-product_id={}", p.inner_id)),
        language: l.language(lang),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CategoryJson {
    href: String,
    id: String,
    inner_id: String,
    picture: &'static str,
    sort_order: String,
    status: String,
    products_status: &'static str,
    date_created: String,
    date_updated: String,
    parent_category: Option<Href>,
    category_descriptions: Nested<CategoryDescriptionJson>,
}

fn category(c: &Category, l: &Links, extend: bool) -> CategoryJson {
    let res = if extend {
        Resource::CategoryExtend
    } else {
        Resource::Categories
    };
    let key = Key(c.inner_id, 0);
    CategoryJson {
        href: l.href(res, key),
        id: res.id(key),
        inner_id: c.inner_id.to_string(),
        picture: "",
        sort_order: c.sort_order.to_string(),
        status: c.status.to_string(),
        products_status: "1",
        date_created: fmt_date(c.date_created),
        date_updated: fmt_date(c.date_updated),
        parent_category: c.parent_id.map(|p| l.link(Resource::Categories, Key(p, 0))),
        category_descriptions: if extend {
            Nested::Inline(
                LANGS
                    .iter()
                    .filter_map(|(lang, _)| category_description(c, *lang, l))
                    .collect(),
            )
        } else {
            Nested::Link(l.query_link(
                "categoryDescriptions",
                "categoryId",
                Resource::Categories,
                key,
            ))
        },
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CategoryDescriptionJson {
    href: String,
    id: String,
    name: String,
    meta_keywords: &'static str,
    meta_description: &'static str,
    description: &'static str,
    category: Href,
    language: Href,
}

fn category_description(c: &Category, lang: u32, l: &Links) -> Option<CategoryDescriptionJson> {
    let res = Resource::CategoryDescriptions;
    let key = Key(c.inner_id, lang);
    let name = match lang {
        1 => &c.name.hu,
        2 => &c.name.en,
        _ => return None,
    };
    Some(CategoryDescriptionJson {
        href: l.href(res, key),
        id: res.id(key),
        name: name.clone(),
        meta_keywords: "",
        meta_description: "",
        description: "",
        category: l.link(Resource::Categories, Key(c.inner_id, 0)),
        language: l.language(lang),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CustomerJson {
    href: String,
    id: String,
    inner_id: String,
    firstname: String,
    lastname: String,
    email: String,
    telephone: String,
    fax: &'static str,
    password: &'static str,
    newsletter: String,
    status: String,
    approved: &'static str,
    free_shipping: &'static str,
    date_created: String,
    date_updated: String,
    customer_group: Href,
    addresses: Href,
}

fn customer(c: Customer, l: &Links) -> CustomerJson {
    let res = Resource::Customers;
    let key = Key(c.inner_id, 0);
    CustomerJson {
        href: l.href(res, key),
        id: res.id(key),
        inner_id: c.inner_id.to_string(),
        fax: "",
        password: "$2y$10$simulatorsimulatorsimulatorsimulatorsimulatorsimula",
        newsletter: c.newsletter.to_string(),
        status: c.status.to_string(),
        approved: "1",
        free_shipping: "0",
        date_created: fmt_date(c.date_created),
        date_updated: fmt_date(c.date_updated),
        customer_group: l.raw_link("customerGroups", "customerGroup-customer_group_id=8"),
        addresses: l.query_link("addresses", "customerId", res, key),
        firstname: c.firstname,
        lastname: c.lastname,
        email: c.email,
        telephone: c.telephone,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderTotalJson {
    href: String,
    id: String,
    name: String,
    value_text: String,
    value: String,
    sort_order: String,
    #[serde(rename = "type")]
    kind: &'static str,
    key: Option<String>,
    description: Option<String>,
    order: Href,
}

fn order_totals(o: &Order, l: &Links) -> Vec<OrderTotalJson> {
    let sub = o.subtotal_net();
    let tax = o.total_gross() - o.total_net();
    let rows = [
        ("Nettó részösszeg:".to_string(), sub, "SUB_TOTAL", 1),
        (
            "Szállítás:".to_string(),
            gross(o.shipping_net),
            "SHIPPING",
            2,
        ),
        (format!("ÁFA ({VAT_PERCENT}%):"), tax, "TAX", 3),
        ("Összesen bruttó:".to_string(), o.total_gross(), "TOTAL", 10),
    ];
    rows.into_iter()
        .enumerate()
        .map(|(i, (name, value, kind, sort))| {
            let raw = format!(
                "orderTotal-order_total_id={}",
                o.inner_id * 10 + i as u32 + 1
            );
            let (href, id) = l.raw_record("orderTotals", &raw);
            OrderTotalJson {
                href,
                id,
                name,
                value_text: format!("{value} Ft"),
                value: money(value),
                sort_order: sort.to_string(),
                kind,
                key: None,
                description: None,
                order: l.link(Resource::Orders, Key(o.inner_id, 0)),
            }
        })
        .collect()
}

pub(crate) fn order_product_raw_id(o: &Order, i: usize) -> String {
    format!(
        "orderProduct-order_product_id={}",
        o.inner_id * 10 + i as u32 + 1
    )
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderProductJson {
    href: String,
    id: String,
    name: String,
    sku: String,
    model_number: Option<String>,
    price: String,
    total: String,
    tax_rate: String,
    stock1: String,
    quantity: String,
    gross_price: String,
    order: Href,
    product: Option<Href>,
}

fn order_products(o: &Order, l: &Links) -> Vec<OrderProductJson> {
    o.lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let raw = order_product_raw_id(o, i);
            let (href, id) = l.raw_record("orderProducts", &raw);
            OrderProductJson {
                href,
                id,
                name: line.name.clone(),
                sku: line.sku.clone(),
                model_number: None,
                price: money(line.price_net),
                total: money(line.price_net * u64::from(line.quantity)),
                tax_rate: format!("{VAT_PERCENT}.0000"),
                stock1: line.quantity.to_string(),
                quantity: line.quantity.to_string(),
                gross_price: money(gross(line.price_net)),
                order: l.link(Resource::Orders, Key(o.inner_id, 0)),
                product: line
                    .product_id
                    .map(|p| l.raw_link("products", &format!("product-product_id={p}"))),
            }
        })
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderJson {
    href: String,
    id: String,
    inner_id: String,
    invoice_id: &'static str,
    invoice_prefix: &'static str,
    firstname: String,
    lastname: String,
    phone: String,
    fax: &'static str,
    email: String,
    shipping_firstname: String,
    shipping_lastname: String,
    shipping_company: &'static str,
    shipping_address1: String,
    shipping_address2: &'static str,
    shipping_city: String,
    shipping_postcode: String,
    shipping_zone_name: &'static str,
    shipping_country_name: &'static str,
    shipping_method_name: &'static str,
    shipping_method_tax_rate: String,
    payment_firstname: String,
    payment_lastname: String,
    payment_address1: String,
    payment_city: String,
    payment_postcode: String,
    payment_country_name: &'static str,
    payment_method_name: String,
    payment_method_code: &'static str,
    tax_number: &'static str,
    comment: String,
    total: String,
    value: &'static str,
    date_created: String,
    date_updated: String,
    ip: &'static str,
    customer: Option<Href>,
    order_status: Href,
    language: Href,
    currency: Href,
    order_totals: Nested<OrderTotalJson>,
    order_products: Nested<OrderProductJson>,
}

fn order(o: Order, l: &Links, extend: bool) -> OrderJson {
    let res = if extend {
        Resource::OrderExtend
    } else {
        Resource::Orders
    };
    let key = Key(o.inner_id, 0);
    let (order_totals, order_products) = if extend {
        (
            Nested::Inline(order_totals(&o, l)),
            Nested::Inline(order_products(&o, l)),
        )
    } else {
        (
            Nested::Link(l.query_link("orderTotals", "orderId", Resource::Orders, key)),
            Nested::Link(l.query_link("orderProducts", "orderId", Resource::Orders, key)),
        )
    };
    OrderJson {
        href: l.href(res, key),
        id: res.id(key),
        inner_id: o.inner_id.to_string(),
        invoice_id: "0",
        invoice_prefix: "",
        firstname: o.firstname.clone(),
        lastname: o.lastname.clone(),
        phone: o.phone.clone(),
        fax: "",
        email: o.email.clone(),
        shipping_firstname: o.firstname.clone(),
        shipping_lastname: o.lastname.clone(),
        shipping_company: "",
        shipping_address1: o.address.clone(),
        shipping_address2: "",
        shipping_city: o.city.clone(),
        shipping_postcode: o.postcode.clone(),
        shipping_zone_name: "",
        shipping_country_name: "Magyarország",
        shipping_method_name: "Házhozszállítás futárszolgálattal",
        shipping_method_tax_rate: format!("{VAT_PERCENT}.0000"),
        payment_firstname: o.firstname.clone(),
        payment_lastname: o.lastname.clone(),
        payment_address1: o.address.clone(),
        payment_city: o.city.clone(),
        payment_postcode: o.postcode.clone(),
        payment_country_name: "Magyarország",
        payment_method_name: o.payment_method.clone(),
        payment_method_code: "cod",
        tax_number: "",
        comment: o.comment.clone(),
        total: money(o.total_gross()),
        value: "1.00000000",
        date_created: fmt_date(o.date_created),
        date_updated: fmt_date(o.date_updated),
        ip: "127.0.0.1",
        customer: o
            .customer_id
            .map(|c| l.link(Resource::Customers, Key(c, 0))),
        order_status: l.link(Resource::OrderStatuses, Key(o.status_id, 0)),
        language: l.language(if o.language == "en" { 2 } else { 1 }),
        currency: l.raw_link("currencies", "currency-currency_id=4"),
        order_totals,
        order_products,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WebHookJson {
    href: String,
    id: String,
    inner_id: String,
    label: String,
    event: String,
    status: String,
    web_hook_parameters: [WebHookParameter; 1],
    web_hook_delay: [(); 0],
    date_created: String,
    date_updated: String,
}

#[derive(Serialize)]
struct WebHookParameter {
    #[serde(rename = "type")]
    kind: String,
    url: String,
    fields: Vec<String>,
}

fn webhook(h: &WebHook, l: &Links) -> WebHookJson {
    let res = Resource::WebHooks;
    let key = Key(h.inner_id, 0);
    WebHookJson {
        href: l.href(res, key),
        id: res.id(key),
        inner_id: h.inner_id.to_string(),
        label: h.label.clone(),
        event: h.event.clone(),
        status: h.status.clone(),
        web_hook_parameters: [WebHookParameter {
            kind: h.kind.clone(),
            url: h.url.clone(),
            fields: h.fields.clone(),
        }],
        web_hook_delay: [],
        date_created: fmt_date(h.date_created),
        date_updated: fmt_date(h.date_updated),
    }
}
