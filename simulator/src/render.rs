//! The JSON each record renders to, after the sr-api-docs fixtures quoted in the reference §3
//! (every scalar a string, links as `{"href"}`, ids opaque base64).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::NaiveDateTime;
use serde_json::{json, Value};

use crate::model::{
    gross, order_status, Category, Customer, Order, Product, Shop, WebHook, VAT_PERCENT,
};
use crate::resources::{Key, Resource, LANGS};

pub(crate) fn fmt_date(d: NaiveDateTime) -> String {
    d.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn money(v: u64) -> String {
    format!("{v}.0000")
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
    fn link(&self, res: Resource, key: Key) -> Value {
        json!({ "href": self.href(res, key) })
    }
    fn raw_link(&self, path: &str, raw_id: &str) -> Value {
        json!({ "href": format!("{}/{path}/{}", self.api, STANDARD.encode(raw_id)) })
    }
    fn language(&self, lang: u32) -> Value {
        self.raw_link("languages", &format!("language-language_id={lang}"))
    }
    fn query_link(&self, path: &str, param: &str, res: Resource, key: Key) -> Value {
        json!({ "href": format!("{}/{path}?{param}={}", self.api, res.id(key)) })
    }
}
/// The full JSON of one record, or `None` when it does not exist.
pub(crate) fn render(shop: &Shop, res: Resource, key: Key, l: &Links) -> Option<Value> {
    Some(match res {
        Resource::ProductExtend => product_extend(&shop.product(key.0)?, l),
        Resource::ProductDescriptions => product_description(&shop.product(key.0)?, key.1, l)?,
        Resource::Categories => category(&shop.category(key.0)?, l, false),
        Resource::CategoryExtend => category(&shop.category(key.0)?, l, true),
        Resource::CategoryDescriptions => category_description(&shop.category(key.0)?, key.1, l)?,
        Resource::Customers => customer(&shop.customer(key.0)?, l),
        Resource::Orders => order(&shop.order(key.0)?, l, false),
        Resource::OrderExtend => order(&shop.order(key.0)?, l, true),
        Resource::OrderStatuses => {
            let s = order_status(key.0)?;
            json!({
                "href": l.href(res, key),
                "id": res.id(key),
                "innerId": s.id.to_string(),
                "color": s.color,
                "sortOrder": s.id.to_string(),
                "orderStatusDescriptions": l.query_link("orderStatusDescriptions", "orderStatusId", res, key),
            })
        }
        Resource::OrderStatusDescriptions => {
            let s = order_status(key.0)?;
            let name = match key.1 {
                1 => s.hu,
                2 => s.en,
                _ => return None,
            };
            json!({
                "href": l.href(res, key),
                "id": res.id(key),
                "name": name,
                "color": s.color,
                "orderStatus": l.link(Resource::OrderStatuses, Key(s.id, 0)),
                "language": l.language(key.1),
            })
        }
        Resource::WebHooks => webhook(shop.webhooks.get(&key.0)?, l),
    })
}

fn product_extend(p: &Product, l: &Links) -> Value {
    let key = Key(p.inner_id, 0);
    let res = Resource::ProductExtend;
    let descriptions: Vec<Value> = LANGS
        .iter()
        .filter_map(|(lang, _)| product_description(p, *lang, l))
        .collect();
    let relations: Vec<Value> = p
        .category_ids
        .iter()
        .map(|c| {
            let raw = format!("productCategory-product_id={}&category_id={c}", p.inner_id);
            let mut rel = l.raw_link("productCategoryRelations", &raw);
            rel["id"] = json!(STANDARD.encode(&raw));
            rel["product"] = l.raw_link("products", &format!("product-product_id={}", p.inner_id));
            rel["category"] = l.link(Resource::Categories, Key(*c, 0));
            rel
        })
        .collect();
    let mut v = json!({
        "href": l.href(res, key),
        "id": res.id(key),
        "innerId": p.inner_id.to_string(),
        "sku": p.sku,
        "modelNumber": "",
        "orderable": "1",
        "price": money(p.price_net),
        "multiplier": "1.0000",
        "multiplierLock": "0",
        "loyaltyPoints": "0",
        "stock1": p.stock.to_string(),
        "stock2": "0",
        "stock3": "0",
        "stock4": "0",
        "subtractStock": "1",
        "mainPicture": format!("product/{}.jpg", p.sku.to_lowercase()),
        "width": "0.00",
        "height": "0.00",
        "length": "0.00",
        "weight": "0.00",
        "status": p.status.to_string(),
        "shipped": "1",
        "minimalOrderNumber": "1",
        "maximalOrderNumber": "0",
        "minimalOrderNumberMultiply": "0",
        "availableDate": "0000-00-00",
        "quantity": "0.0000",
        "sortOrder": "0",
        "dateCreated": fmt_date(p.date_created),
        "dateUpdated": fmt_date(p.date_updated),
        "imageAlt": "",
        "freeShipping": "0",
        "productPrices": [{
            "customerGroup": {
                "id": STANDARD.encode("customerGroup-customer_group_id=8"),
                "innerId": "8",
                "default": true
            },
            "net": p.price_net.to_string(),
            "netOriginal": p.price_net.to_string(),
            "netSpecial": null,
            "gross": gross(p.price_net).to_string(),
            "grossOriginal": gross(p.price_net).to_string(),
            "grossSpecial": null,
            "currencyCode": "HUF"
        }],
        "taxClass": l.raw_link("taxClasses", "taxClass-tax_class_id=10"),
        "allImages": {
            "mainImage": format!("https://{}.shoprenter.hu/custom/{}/image/data/product/{}.jpg", l.shop, l.shop, p.sku.to_lowercase())
        },
    });
    // Moved in, not interpolated: `json!` would deep-copy them through `to_value`.
    v["productDescriptions"] = Value::Array(descriptions);
    v["productCategoryRelations"] = Value::Array(relations);
    v
}

fn product_description(p: &Product, lang: u32, l: &Links) -> Option<Value> {
    let res = Resource::ProductDescriptions;
    let key = Key(p.inner_id, lang);
    let (text, unit) = match lang {
        1 => (&p.text.hu, "db"),
        2 => (&p.text.en, "pc"),
        _ => return None,
    };
    Some(json!({
        "href": l.href(res, key),
        "id": res.id(key),
        "name": text.name,
        "metaKeywords": "",
        "metaDescription": "",
        "shortDescription": text.short_description,
        "description": text.description,
        "parameters": "",
        "measurementUnit": unit,
        "dateCreated": fmt_date(p.date_created),
        "dateUpdated": fmt_date(p.date_updated),
        "product": l.raw_link("products", &format!("product-product_id={}", p.inner_id)),
        "language": l.language(lang),
    }))
}

fn category(c: &Category, l: &Links, extend: bool) -> Value {
    let res = if extend {
        Resource::CategoryExtend
    } else {
        Resource::Categories
    };
    let key = Key(c.inner_id, 0);
    let mut v = json!({
        "href": l.href(res, key),
        "id": res.id(key),
        "innerId": c.inner_id.to_string(),
        "picture": "",
        "sortOrder": c.sort_order.to_string(),
        "status": c.status.to_string(),
        "productsStatus": "1",
        "dateCreated": fmt_date(c.date_created),
        "dateUpdated": fmt_date(c.date_updated),
        "parentCategory": c.parent_id.map(|p| l.link(Resource::Categories, Key(p, 0))),
    });
    v["categoryDescriptions"] = if extend {
        Value::Array(
            LANGS
                .iter()
                .filter_map(|(lang, _)| category_description(c, *lang, l))
                .collect(),
        )
    } else {
        l.query_link(
            "categoryDescriptions",
            "categoryId",
            Resource::Categories,
            key,
        )
    };
    v
}

fn category_description(c: &Category, lang: u32, l: &Links) -> Option<Value> {
    let res = Resource::CategoryDescriptions;
    let key = Key(c.inner_id, lang);
    let name = match lang {
        1 => &c.name.hu,
        2 => &c.name.en,
        _ => return None,
    };
    Some(json!({
        "href": l.href(res, key),
        "id": res.id(key),
        "name": name,
        "metaKeywords": "",
        "metaDescription": "",
        "description": "",
        "category": l.link(Resource::Categories, Key(c.inner_id, 0)),
        "language": l.language(lang),
    }))
}

fn customer(c: &Customer, l: &Links) -> Value {
    let res = Resource::Customers;
    let key = Key(c.inner_id, 0);
    json!({
        "href": l.href(res, key),
        "id": res.id(key),
        "innerId": c.inner_id.to_string(),
        "firstname": c.firstname,
        "lastname": c.lastname,
        "email": c.email,
        "telephone": c.telephone,
        "fax": "",
        "password": "$2y$10$simulatorsimulatorsimulatorsimulatorsimulatorsimula",
        "newsletter": c.newsletter.to_string(),
        "status": c.status.to_string(),
        "approved": "1",
        "freeShipping": "0",
        "dateCreated": fmt_date(c.date_created),
        "dateUpdated": fmt_date(c.date_updated),
        "customerGroup": l.raw_link("customerGroups", "customerGroup-customer_group_id=8"),
        "addresses": l.query_link("addresses", "customerId", res, key),
    })
}

fn order_totals(o: &Order, l: &Links) -> Vec<Value> {
    let sub = o.subtotal_net();
    let tax = o.total_gross() - o.total_net();
    let rows = [
        ("Nettó részösszeg:", sub, "SUB_TOTAL", 1),
        ("Szállítás:", gross(o.shipping_net), "SHIPPING", 2),
        (&*format!("ÁFA ({VAT_PERCENT}%):"), tax, "TAX", 3),
        ("Összesen bruttó:", o.total_gross(), "TOTAL", 10),
    ];
    rows.iter()
        .enumerate()
        .map(|(i, (name, value, kind, sort))| {
            let raw = format!(
                "orderTotal-order_total_id={}",
                o.inner_id * 10 + i as u32 + 1
            );
            let mut v = l.raw_link("orderTotals", &raw);
            v["id"] = json!(STANDARD.encode(&raw));
            v["name"] = json!(name);
            v["valueText"] = json!(format!("{value} Ft"));
            v["value"] = json!(money(*value));
            v["sortOrder"] = json!(sort.to_string());
            v["type"] = json!(kind);
            v["key"] = Value::Null;
            v["description"] = Value::Null;
            v["order"] = l.link(Resource::Orders, Key(o.inner_id, 0));
            v
        })
        .collect()
}

pub(crate) fn order_product_raw_id(o: &Order, i: usize) -> String {
    format!(
        "orderProduct-order_product_id={}",
        o.inner_id * 10 + i as u32 + 1
    )
}

fn order_products(o: &Order, l: &Links) -> Vec<Value> {
    o.lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let raw = order_product_raw_id(o, i);
            let mut v = l.raw_link("orderProducts", &raw);
            v["id"] = json!(STANDARD.encode(&raw));
            v["name"] = json!(line.name);
            v["sku"] = json!(line.sku);
            v["modelNumber"] = Value::Null;
            v["price"] = json!(money(line.price_net));
            v["total"] = json!(money(line.price_net * u64::from(line.quantity)));
            v["taxRate"] = json!(format!("{VAT_PERCENT}.0000"));
            v["stock1"] = json!(line.quantity.to_string());
            v["quantity"] = json!(line.quantity.to_string());
            v["grossPrice"] = json!(money(gross(line.price_net)));
            v["order"] = l.link(Resource::Orders, Key(o.inner_id, 0));
            v["product"] = match line.product_id {
                Some(p) => l.raw_link("products", &format!("product-product_id={p}")),
                None => Value::Null,
            };
            v
        })
        .collect()
}

fn order(o: &Order, l: &Links, extend: bool) -> Value {
    let res = if extend {
        Resource::OrderExtend
    } else {
        Resource::Orders
    };
    let key = Key(o.inner_id, 0);
    let mut v = json!({
        "href": l.href(res, key),
        "id": res.id(key),
        "innerId": o.inner_id.to_string(),
        "invoiceId": "0",
        "invoicePrefix": "",
        "firstname": o.firstname,
        "lastname": o.lastname,
        "phone": o.phone,
        "fax": "",
        "email": o.email,
        "shippingFirstname": o.firstname,
        "shippingLastname": o.lastname,
        "shippingCompany": "",
        "shippingAddress1": o.address,
        "shippingAddress2": "",
        "shippingCity": o.city,
        "shippingPostcode": o.postcode,
        "shippingZoneName": "",
        "shippingCountryName": "Magyarország",
        "shippingMethodName": "Házhozszállítás futárszolgálattal",
        "shippingMethodTaxRate": format!("{VAT_PERCENT}.0000"),
        "paymentFirstname": o.firstname,
        "paymentLastname": o.lastname,
        "paymentAddress1": o.address,
        "paymentCity": o.city,
        "paymentPostcode": o.postcode,
        "paymentCountryName": "Magyarország",
        "paymentMethodName": o.payment_method,
        "paymentMethodCode": "cod",
        "taxNumber": "",
        "comment": o.comment,
        "total": money(o.total_gross()),
        "value": "1.00000000",
        "dateCreated": fmt_date(o.date_created),
        "dateUpdated": fmt_date(o.date_updated),
        "ip": "127.0.0.1",
        "customer": o.customer_id.map(|c| l.link(Resource::Customers, Key(c, 0))),
        "orderStatus": l.link(Resource::OrderStatuses, Key(o.status_id, 0)),
        "language": l.language(if o.language == "en" { 2 } else { 1 }),
        "currency": l.raw_link("currencies", "currency-currency_id=4"),
    });
    if extend {
        v["orderTotals"] = Value::Array(order_totals(o, l));
        v["orderProducts"] = Value::Array(order_products(o, l));
    } else {
        v["orderTotals"] = l.query_link("orderTotals", "orderId", Resource::Orders, key);
        v["orderProducts"] = l.query_link("orderProducts", "orderId", Resource::Orders, key);
    }
    v
}

fn webhook(h: &WebHook, l: &Links) -> Value {
    let res = Resource::WebHooks;
    let key = Key(h.inner_id, 0);
    json!({
        "href": l.href(res, key),
        "id": res.id(key),
        "innerId": h.inner_id.to_string(),
        "label": h.label,
        "event": h.event,
        "status": h.status,
        "webHookParameters": [{ "type": h.kind, "url": h.url, "fields": h.fields }],
        "webHookDelay": [],
        "dateCreated": fmt_date(h.date_created),
        "dateUpdated": fmt_date(h.date_updated),
    })
}
