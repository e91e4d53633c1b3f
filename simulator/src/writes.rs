//! API2 request bodies (POST/PUT) turned into record changes. Bodies are JSON objects, optionally
//! wrapped in `{"data": {...}}` as older examples do (reference §3 "Headers").

use serde_json::{Map, Value};

use crate::model::{
    CategoryInput, CustomerInput, OrderInput, OrderItemInput, ProductInput, WebHook,
};
use crate::resources::{inner_of, lang_of, Resource};

/// Events a webHook may subscribe to (reference §5).
pub(crate) const WEBHOOK_EVENTS: &[&str] = &[
    "order_confirm",
    "order_status_change",
    "abandoned_cart",
    "newsletter_subscribe",
    "newsletter_unsubscribe",
    "newsletter_update_subscriber",
];

/// A rejected body: ShopRenter's inner code and text (reference D-STAT).
#[derive(Debug)]
pub(crate) struct BodyError(pub u32, pub String);

pub(crate) fn object(body: &[u8]) -> Result<Map<String, Value>, BodyError> {
    let v: Value = serde_json::from_slice(body).map_err(|_| {
        BodyError(
            40005,
            "The given data is empty or not in PHP array format.".into(),
        )
    })?;
    let v = match v {
        Value::Object(mut m) if m.len() == 1 && m.get("data").is_some_and(Value::is_object) => {
            m.remove("data").unwrap_or_default()
        }
        v => v,
    };
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(BodyError(
            40005,
            "The given data is empty or not in PHP array format.".into(),
        )),
    }
}

fn text(m: &Map<String, Value>, k: &str) -> Option<String> {
    match m.get(k)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Numbers arrive as strings ("1990.0000") or numbers.
fn number(m: &Map<String, Value>, k: &str) -> Result<Option<f64>, BodyError> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| not_number(k)),
        Some(_) => Err(not_number(k)),
    }
}

fn not_number(k: &str) -> BodyError {
    BodyError(
        40005,
        format!("The {k} parameter has wrong data. The data is not int."),
    )
}

fn uint(m: &Map<String, Value>, k: &str) -> Result<Option<u64>, BodyError> {
    Ok(number(m, k)?
        .filter(|v| *v >= 0.0)
        .map(|v| v.round() as u64))
}

/// A reference `{"id": "..."}` to another resource.
fn reference(m: &Map<String, Value>, k: &str, res: Resource) -> Result<Option<u32>, BodyError> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            let id = v.get("id").and_then(Value::as_str).unwrap_or_default();
            inner_of(res, id)
                .map(Some)
                .ok_or_else(|| BodyError(40007, format!("The given resource id is wrong: {id}!")))
        }
    }
}

fn array<'a>(m: &'a Map<String, Value>, k: &str) -> Vec<&'a Map<String, Value>> {
    match m.get(k) {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_object).collect(),
        Some(Value::Object(one)) => vec![one],
        _ => Vec::new(),
    }
}

fn language(d: &Map<String, Value>) -> Option<u32> {
    d.get("language")?.get("id")?.as_str().and_then(lang_of)
}

pub(crate) fn product(m: &Map<String, Value>) -> Result<ProductInput, BodyError> {
    let mut input = ProductInput {
        sku: text(m, "sku"),
        price_net: uint(m, "price")?,
        stock: uint(m, "stock1")?.map(|v| v as u32),
        status: uint(m, "status")?.map(|v| v as u8),
        ..ProductInput::default()
    };
    for d in array(m, "productDescriptions") {
        match language(d) {
            Some(2) => {
                input.name_en = text(d, "name");
                input.description_en = text(d, "description");
            }
            _ => {
                input.name_hu = text(d, "name");
                input.description_hu = text(d, "description");
            }
        }
    }
    let relations = array(m, "productCategoryRelations");
    if !relations.is_empty() {
        let mut ids = Vec::new();
        for r in relations {
            if let Some(c) = reference(r, "category", Resource::Categories)? {
                ids.push(c);
            }
        }
        input.category_ids = Some(ids);
    }
    Ok(input)
}

pub(crate) fn product_description(m: &Map<String, Value>, lang: u32) -> ProductInput {
    let (name, description) = (text(m, "name"), text(m, "description"));
    if lang == 2 {
        ProductInput {
            name_en: name,
            description_en: description,
            ..ProductInput::default()
        }
    } else {
        ProductInput {
            name_hu: name,
            description_hu: description,
            ..ProductInput::default()
        }
    }
}

pub(crate) fn category(m: &Map<String, Value>) -> Result<CategoryInput, BodyError> {
    let mut input = CategoryInput {
        parent_id: reference(m, "parentCategory", Resource::Categories)?,
        status: uint(m, "status")?.map(|v| v as u8),
        ..CategoryInput::default()
    };
    for d in array(m, "categoryDescriptions") {
        match language(d) {
            Some(2) => input.name_en = text(d, "name"),
            _ => input.name_hu = text(d, "name"),
        }
    }
    Ok(input)
}

pub(crate) fn category_description(m: &Map<String, Value>, lang: u32) -> CategoryInput {
    let name = text(m, "name");
    if lang == 2 {
        CategoryInput {
            name_en: name,
            ..CategoryInput::default()
        }
    } else {
        CategoryInput {
            name_hu: name,
            ..CategoryInput::default()
        }
    }
}

pub(crate) fn customer(m: &Map<String, Value>) -> Result<CustomerInput, BodyError> {
    Ok(CustomerInput {
        firstname: text(m, "firstname"),
        lastname: text(m, "lastname"),
        email: text(m, "email"),
        telephone: text(m, "telephone"),
        status: uint(m, "status")?.map(|v| v as u8),
    })
}

pub(crate) fn order(m: &Map<String, Value>) -> Result<OrderInput, BodyError> {
    let mut items = Vec::new();
    for p in array(m, "orderProducts") {
        let Some(product_id) = reference(p, "product", Resource::ProductExtend)? else {
            return Err(BodyError(
                40003,
                "The following fields are required: product!".into(),
            ));
        };
        let quantity = uint(p, "quantity")?.unwrap_or(1) as u32;
        items.push(OrderItemInput {
            product_id,
            quantity,
        });
    }
    Ok(OrderInput {
        customer_id: reference(m, "customer", Resource::Customers)?,
        firstname: text(m, "firstname"),
        lastname: text(m, "lastname"),
        email: text(m, "email"),
        phone: text(m, "phone"),
        items,
        status_id: reference(m, "orderStatus", Resource::OrderStatuses)?,
        comment: text(m, "comment"),
    })
}

/// Fills a webHook from a body; `existing` is the stored one on PUT (fields are then optional).
pub(crate) fn webhook(
    m: &Map<String, Value>,
    existing: Option<&WebHook>,
    mut hook: WebHook,
) -> Result<WebHook, BodyError> {
    let params = array(m, "webHookParameters");
    if existing.is_none() {
        for field in ["label", "event", "status"] {
            if text(m, field).is_none() {
                return Err(BodyError(
                    40003,
                    format!("The following fields are required: {field}!"),
                ));
            }
        }
        if params.is_empty() {
            return Err(BodyError(
                40003,
                "The following fields are required: webHookParameters!".into(),
            ));
        }
    }
    if let Some(label) = text(m, "label") {
        hook.label = label;
    }
    if let Some(event) = text(m, "event") {
        if !WEBHOOK_EVENTS.contains(&event.as_str()) {
            return Err(BodyError(
                40005,
                "The event parameter has wrong data. This parameter is enum type. Check API documentation for accepted values.".into(),
            ));
        }
        hook.event = event;
    }
    if let Some(status) = text(m, "status") {
        if status != "0" && status != "1" {
            return Err(BodyError(40005, "The status parameter has wrong data. This parameter is enum type. Check API documentation for accepted values.".into()));
        }
        hook.status = status;
    }
    if let Some(p) = params.first() {
        let kind = text(p, "type").unwrap_or_else(|| "json".into());
        if kind != "json" && kind != "xml" {
            return Err(BodyError(40005, "The type parameter has wrong data. This parameter is enum type. Check API documentation for accepted values.".into()));
        }
        let url = text(p, "url").unwrap_or_default();
        if url::Url::parse(&url).is_err() {
            return Err(BodyError(40005, "The url parameter has wrong data.".into()));
        }
        hook.kind = kind;
        hook.url = url;
        hook.fields = match p.get("fields") {
            Some(Value::Array(f)) => f
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
    }
    Ok(hook)
}
