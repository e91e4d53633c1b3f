//! API2 under `/{shopname}/api/{resource}[/{id}]`: bearer auth, rate limit, injected faults,
//! scopes, collections with ShopRenter's paging, item reads and writes (reference §3–§4).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::model::{now, WebHook};
use crate::render::{render, render_json, Href, Links, Record};
use crate::resources::{inner_of, lang_of, list_keys, Filters, Key, Resource};
use crate::state::{lock, Fault, SimState, TokenInfo};
use crate::writes::{self, BodyError};
use crate::SimError;

/// Default page size when `limit` is absent (undocumented; our assumption).
pub const DEFAULT_LIMIT: usize = 25;
/// Largest `limit` ShopRenter accepts (reference §3).
pub const MAX_LIMIT: usize = 200;

/// How the client wants its answer: ShopRenter answers XML unless asked for JSON (reference §3).
#[derive(Clone, Copy)]
struct Format {
    json: bool,
    malformed: bool,
}

fn format_of(headers: &HeaderMap) -> Format {
    let json = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/json"));
    Format {
        json,
        malformed: false,
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A plain element-per-key rendering; the real XML layout is not part of our contract.
pub(crate) fn to_xml(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                out.push_str(&format!("<{k}>"));
                to_xml(v, out);
                out.push_str(&format!("</{k}>"));
            }
        }
        Value::Array(items) => {
            for v in items {
                out.push_str("<item>");
                to_xml(v, out);
                out.push_str("</item>");
            }
        }
        Value::String(s) => out.push_str(&xml_escape(s)),
        Value::Null => {}
        other => out.push_str(&other.to_string()),
    }
}

fn respond(status: StatusCode, body: &impl Serialize, fmt: Format) -> Response {
    if fmt.json {
        let text = serde_json::to_string(body).expect("a rendered body serialises");
        json_response(status, text, fmt)
    } else {
        // XML is the rare case: it goes through a `Value` tree, JSON is written directly.
        let body = serde_json::to_value(body).expect("a rendered body serialises");
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?><response>");
        to_xml(&body, &mut xml);
        xml.push_str("</response>");
        (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/xml"),
            )],
            xml,
        )
            .into_response()
    }
}

fn json_response(status: StatusCode, mut text: String, fmt: Format) -> Response {
    if fmt.malformed {
        // Cut the document in half: a client must survive a broken body on a 200.
        let mut cut = text.len() / 2;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        text,
    )
        .into_response()
}

/// Error bodies: `{"error": <inner code or HTTP status>, "message": …}` (the shape is our
/// assumption; codes and texts are ShopRenter's, reference D-STAT).
fn error(status: StatusCode, code: Option<u32>, message: &str, fmt: Format) -> Response {
    let fmt = Format {
        malformed: false,
        ..fmt
    };
    respond(
        status,
        &json!({"error": code.unwrap_or(u32::from(status.as_u16())), "message": message}),
        fmt,
    )
}

fn body_error(e: BodyError, fmt: Format) -> Response {
    error(StatusCode::BAD_REQUEST, Some(e.0), &e.1, fmt)
}

fn sim_error(e: SimError, res: Resource, fmt: Format) -> Response {
    match e {
        SimError::NotFound => not_found(res, fmt),
        SimError::Invalid(m) => error(StatusCode::BAD_REQUEST, Some(40005), &m, fmt),
        other => {
            tracing::error!(error = %other, "simulator API failure");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                None,
                "Internal Server Error",
                fmt,
            )
        }
    }
}

fn not_found(res: Resource, fmt: Format) -> Response {
    error(
        StatusCode::NOT_FOUND,
        Some(40401),
        &format!("Resource not found! {}", res.path()),
        fmt,
    )
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Everything that happens before a request reaches its resource, in the platform's likely
/// order: shop, token, rate limit, (injected faults), resource, method, scope.
async fn gate(
    state: &SimState,
    shop: &str,
    resource: &str,
    method: &Method,
    headers: &HeaderMap,
) -> Result<(Resource, TokenInfo, Format), Response> {
    let mut fmt = format_of(headers);
    if state.check_shop(shop).is_err() {
        return Err(error(
            StatusCode::NOT_FOUND,
            Some(40401),
            "Resource not found! shop",
            fmt,
        ));
    }
    let token = bearer(headers).and_then(|t| lock(&state.tokens).get(t).cloned());
    let now_secs = chrono::Utc::now().timestamp();
    let token = match token {
        Some(t) if t.shop == shop && t.expires_at > now_secs => t,
        _ => {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                None,
                "Unauthorized: the access token is missing, invalid or expired",
                fmt,
            ))
        }
    };
    if !state.admit(&token.client_id, shop) {
        return Err(error(
            StatusCode::TOO_MANY_REQUESTS,
            None,
            "Too Many Requests",
            fmt,
        ));
    }
    if let Some((fault, cfg)) = state.roll_api_fault() {
        match fault {
            Fault::Error5xx => {
                return Err(error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    None,
                    "Service Unavailable",
                    fmt,
                ));
            }
            Fault::Error429 => {
                return Err(error(
                    StatusCode::TOO_MANY_REQUESTS,
                    None,
                    "Too Many Requests",
                    fmt,
                ))
            }
            Fault::Slow => tokio::time::sleep(Duration::from_millis(cfg.slow_ms)).await,
            Fault::Timeout => {
                tokio::time::sleep(Duration::from_millis(cfg.timeout_ms)).await;
                return Err(error(
                    StatusCode::GATEWAY_TIMEOUT,
                    None,
                    "Gateway Timeout",
                    fmt,
                ));
            }
            Fault::MalformedJson => fmt.malformed = true,
        }
    }
    let Some(res) = Resource::parse(resource) else {
        return Err(error(
            StatusCode::NOT_FOUND,
            Some(40401),
            &format!("Resource not found! {resource}"),
            fmt,
        ));
    };
    if !res.allows(method.as_str()) {
        return Err(error(
            StatusCode::METHOD_NOT_ALLOWED,
            None,
            "Method Not Allowed",
            fmt,
        ));
    }
    let access = if *method == Method::GET {
        "read"
    } else {
        "write"
    };
    let needed = format!("{}:{access}", res.scope_area());
    if !token.scopes.contains(&needed) {
        return Err(error(
            StatusCode::FORBIDDEN,
            None,
            &format!("Forbidden: missing scope {needed}"),
            fmt,
        ));
    }
    Ok((res, token, fmt))
}

impl SimState {
    /// Renders every record a full sync lists with `full=1` (productExtend, categoryExtend,
    /// customers, orderExtend) into the shop's render cache, for links on this simulator's base
    /// URL; returns how many. A benchmark calls it before timing a sync, so that the figure
    /// measures the integration rather than the simulator generating and printing documents (a
    /// real platform does that on its own machines, not on the integration's two cores).
    pub fn prerender(&self, shop: &str) -> Result<usize, SimError> {
        let l = links_for(self, None, shop);
        let mut data = self.shop(shop)?;
        let (mut rendered, mut already) = (0, 0);
        for res in [
            Resource::ProductExtend,
            Resource::CategoryExtend,
            Resource::Customers,
            Resource::OrderExtend,
        ] {
            for key in list_keys(&data, res, &Filters::default()) {
                rendered +=
                    usize::from(render_json(&mut data, res, key, &l, &mut already).is_some());
            }
        }
        Ok(rendered)
    }
}

fn links(state: &SimState, headers: &HeaderMap, shop: &str) -> Links {
    links_for(state, crate::host_of(headers), shop)
}

/// Links as a request with `host` (if any) sees them.
fn links_for(state: &SimState, host: Option<&str>, shop: &str) -> Links {
    Links {
        api: format!("{}/{shop}/api", state.base_for(host)),
        shop: shop.to_string(),
    }
}

/// Datetime filters: `2019-01-01T00:00:00` (documented), plus a few forms clients send anyway.
fn parse_datetime(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S"))
        .ok()
        .or_else(|| DateTime::parse_from_rfc3339(s).ok().map(|d| d.naive_utc()))
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
}

fn filters(res: Resource, query: &[(String, String)]) -> Result<Filters, BodyError> {
    let mut f = Filters::default();
    for (k, v) in query {
        let date = || {
            parse_datetime(v).ok_or_else(|| {
                BodyError(
                    40009,
                    format!("The given datetime parameter: {k} is invalid! Valid datetime format is 1990-01-01T00:00:00"),
                )
            })
        };
        let bad_id = || BodyError(40007, format!("The given resource id is wrong: {v}!"));
        match k.as_str() {
            "innerId" => {
                f.inner_id = Some(v.parse().map_err(|_| {
                    BodyError(
                        40005,
                        "The innerId parameter has wrong data. The data is not int.".into(),
                    )
                })?)
            }
            "sku" => f.sku = Some(v.clone()),
            "email" => f.email = Some(v.clone()),
            "updatedAfter" => f.updated_after = Some(date()?),
            "updatedBefore" => f.updated_before = Some(date()?),
            "createdAfter" => f.created_after = Some(date()?),
            "createdBefore" => f.created_before = Some(date()?),
            "updatedAtMin" => f.updated_min = Some(date()?),
            "updatedAtMax" => f.updated_max = Some(date()?),
            "createdAtMin" => f.created_min = Some(date()?),
            "createdAtMax" => f.created_max = Some(date()?),
            "productId" if res == Resource::ProductDescriptions => {
                f.parent_id = Some(inner_of(Resource::ProductExtend, v).ok_or_else(bad_id)?)
            }
            "categoryId" if res == Resource::CategoryDescriptions => {
                f.parent_id = Some(inner_of(Resource::Categories, v).ok_or_else(bad_id)?)
            }
            "languageId" => f.language_id = Some(lang_of(v).ok_or_else(bad_id)?),
            "orderStatusId" => {
                f.order_status_id = Some(inner_of(Resource::OrderStatuses, v).ok_or_else(bad_id)?)
            }
            _ => {}
        }
    }
    Ok(f)
}

fn page_href(base: &str, kept: &[(String, String)], page: usize, limit: usize) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in kept {
        q.append_pair(k, v);
    }
    q.append_pair("page", &page.to_string());
    q.append_pair("limit", &limit.to_string());
    format!("{base}?{}", q.finish())
}

/// A collection page (reference §3).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    href: String,
    page: String,
    limit: String,
    first: Href,
    previous: Option<Href>,
    next: Option<Href>,
    last: Href,
    items: Vec<Record>,
    #[serde(skip_serializing_if = "Option::is_none")]
    page_count: Option<String>,
}

fn list(
    state: &SimState,
    shop: &str,
    res: Resource,
    l: &Links,
    query: &[(String, String)],
    fmt: Format,
) -> Response {
    let bad = |m: &str| error(StatusCode::BAD_REQUEST, Some(40005), m, fmt);
    let number = |k: &str| {
        query
            .iter()
            .rev()
            .find(|(q, _)| q == k)
            .map(|(_, v)| v.parse::<usize>())
    };
    let page = match number("page") {
        None => 0,
        Some(Ok(p)) => p,
        Some(Err(_)) => return bad("The page parameter has wrong data. The data is not int."),
    };
    let limit = match number("limit") {
        None => DEFAULT_LIMIT,
        Some(Ok(l)) if (1..=MAX_LIMIT).contains(&l) => l,
        // Undocumented what happens above 200; refusing makes a client's mistake visible.
        _ => return bad("The limit parameter must be an integer between 1 and 200."),
    };
    let full = query.iter().any(|(k, v)| k == "full" && v == "1");
    let f = match filters(res, query) {
        Ok(f) => f,
        Err(e) => return body_error(e, fmt),
    };
    let Ok(mut shop_data) = state.shop(shop) else {
        return not_found(res, fmt);
    };
    let keys = list_keys(&shop_data, res, &f);
    let page_count = keys.len().div_ceil(limit);
    let last = page_count.saturating_sub(1);
    if page > last {
        return error(
            StatusCode::BAD_REQUEST,
            Some(40008),
            &format!("Page not found! This Resource minimum page is 0 and maximum page is {last}"),
            fmt,
        );
    }
    let kept: Vec<(String, String)> = query
        .iter()
        .filter(|(k, _)| k != "page" && k != "limit")
        .cloned()
        .collect();
    let base = format!("{}/{}", l.api, res.path());
    let href = |p: usize| Href {
        href: page_href(&base, &kept, p, limit),
    };
    let on_page = keys.iter().skip(page * limit).take(limit);
    // A full JSON page is assembled from each record's cached text; XML still goes through a
    // `Value` tree, so it renders the records.
    let (items, rendered): (Vec<Record>, Option<Vec<Arc<str>>>) = if full && fmt.json {
        let mut hits = 0;
        let texts = on_page
            .filter_map(|k| render_json(&mut shop_data, res, *k, l, &mut hits))
            .collect();
        if hits > 0 {
            lock(&state.stats).records_from_render_cache += hits;
        }
        (Vec::new(), Some(texts))
    } else {
        let items = on_page
            .filter_map(|k| {
                if full {
                    render(&shop_data, res, *k, l)
                } else {
                    Some(Record::Link(Href {
                        href: l.href(res, *k),
                    }))
                }
            })
            .collect();
        (items, None)
    };
    drop(shop_data);
    let body = Page {
        href: page_href(&base, &kept, page, limit),
        page: page.to_string(),
        limit: limit.to_string(),
        first: href(0),
        previous: (page > 0).then(|| href(page - 1)),
        next: (page < last).then(|| href(page + 1)),
        last: href(last),
        items,
        page_count: res.has_page_count().then(|| page_count.to_string()),
    };
    match rendered {
        Some(texts) => json_response(StatusCode::OK, page_json(&body, &texts), fmt),
        None => respond(StatusCode::OK, &body, fmt),
    }
}

/// `envelope` (serialised with its `items` empty) as JSON, with `items` filled with the records'
/// texts. `"items":[]` can only occur in that text as the key: a quote inside a JSON string is
/// escaped.
fn page_json(envelope: &Page, items: &[Arc<str>]) -> String {
    const EMPTY: &str = "\"items\":[]";
    let text = serde_json::to_string(envelope).expect("a page envelope serialises");
    // Where the records go: just before the empty array's `]`.
    let at = text.find(EMPTY).expect("a page envelope has an items key") + EMPTY.len() - 1;
    let mut out =
        String::with_capacity(text.len() + items.iter().map(|i| i.len() + 1).sum::<usize>());
    out.push_str(&text[..at]);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item);
    }
    out.push_str(&text[at..]);
    out
}

fn show(state: &SimState, shop: &str, res: Resource, key: Key, l: &Links, fmt: Format) -> Response {
    let rendered = state.shop(shop).ok().and_then(|s| render(&s, res, key, l));
    match rendered {
        Some(v) => respond(StatusCode::OK, &v, fmt),
        None => not_found(res, fmt),
    }
}

/// Why a write failed, turned into a response in one place.
enum Failure {
    Body(BodyError),
    Sim(SimError),
    MethodNotAllowed,
}

impl From<BodyError> for Failure {
    fn from(e: BodyError) -> Self {
        Self::Body(e)
    }
}

impl From<SimError> for Failure {
    fn from(e: SimError) -> Self {
        Self::Sim(e)
    }
}

fn failure(f: Failure, res: Resource, fmt: Format) -> Response {
    match f {
        Failure::Body(e) => body_error(e, fmt),
        Failure::Sim(e) => sim_error(e, res, fmt),
        Failure::MethodNotAllowed => error(
            StatusCode::METHOD_NOT_ALLOWED,
            None,
            "Method Not Allowed",
            fmt,
        ),
    }
}

/// POST to a collection: creates a record and returns its key.
fn create(
    state: &Arc<SimState>,
    shop: &str,
    res: Resource,
    obj: &Map<String, Value>,
    client_id: &str,
) -> Result<Key, Failure> {
    let id = match res {
        Resource::ProductExtend => state.create_product(shop, writes::product(obj)?)?.inner_id,
        Resource::Categories | Resource::CategoryExtend => {
            state
                .create_category(shop, writes::category(obj)?)?
                .inner_id
        }
        Resource::Customers => {
            state
                .create_customer(shop, writes::customer(obj)?)?
                .inner_id
        }
        Resource::Orders => state.create_order(shop, writes::order(obj)?)?.inner_id,
        Resource::WebHooks => {
            let t = now();
            let blank = WebHook {
                inner_id: 0,
                label: String::new(),
                event: String::new(),
                status: "1".into(),
                kind: "json".into(),
                url: String::new(),
                fields: Vec::new(),
                created_by: Some(client_id.to_string()),
                date_created: t,
                date_updated: t,
            };
            let hook = writes::webhook(obj, None, blank)?;
            state.shop(shop)?.add_webhook(hook).inner_id
        }
        _ => return Err(Failure::MethodNotAllowed),
    };
    Ok(Key(id, 0))
}

/// PUT (or POST) to an item: changes it in place.
fn modify(
    state: &Arc<SimState>,
    shop: &str,
    res: Resource,
    key: Key,
    obj: &Map<String, Value>,
) -> Result<(), Failure> {
    match res {
        Resource::ProductExtend => {
            drop(state.update_product(shop, key.0, writes::product(obj)?)?)
        }
        Resource::ProductDescriptions => {
            drop(state.update_product(shop, key.0, writes::product_description(obj, key.1))?)
        }
        Resource::Categories | Resource::CategoryExtend => {
            drop(state.update_category(shop, key.0, writes::category(obj)?)?)
        }
        Resource::CategoryDescriptions => {
            drop(state.update_category(shop, key.0, writes::category_description(obj, key.1))?)
        }
        Resource::Customers => drop(state.update_customer(shop, key.0, writes::customer(obj)?)?),
        Resource::Orders => drop(state.update_order(shop, key.0, writes::order(obj)?)?),
        Resource::WebHooks => {
            let mut s = state.shop(shop)?;
            let existing = s.webhooks.get(&key.0).cloned().ok_or(SimError::NotFound)?;
            let mut hook = writes::webhook(obj, Some(&existing), existing.clone())?;
            hook.date_updated = now();
            s.webhooks.insert(key.0, hook);
        }
        _ => return Err(Failure::MethodNotAllowed),
    }
    Ok(())
}

pub(crate) async fn collection(
    State(state): State<Arc<SimState>>,
    Path((shop, resource)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let (res, token, fmt) = match gate(&state, &shop, &resource, &method, &headers).await {
        Ok(g) => g,
        Err(r) => return r,
    };
    let l = links(&state, &headers, &shop);
    let query: Vec<(String, String)> = query
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    if method == Method::GET {
        // Rendering a full page takes milliseconds of CPU. The simulator often shares a process
        // with the server it serves, whose async workers it must not hold up: a remote
        // platform's work never does.
        return tokio::task::spawn_blocking(move || list(&state, &shop, res, &l, &query, fmt))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    }
    if method != Method::POST {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            None,
            "Method Not Allowed",
            fmt,
        );
    }
    let obj = match writes::object(&body) {
        Ok(o) => o,
        Err(e) => return body_error(e, fmt),
    };
    let created = create(&state, &shop, res, &obj, &token.client_id);
    match created {
        Ok(k) => show(&state, &shop, res, k, &l, fmt),
        Err(f) => failure(f, res, fmt),
    }
}

pub(crate) async fn item(
    State(state): State<Arc<SimState>>,
    Path((shop, resource, id)): Path<(String, String, String)>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (res, _token, fmt) = match gate(&state, &shop, &resource, &method, &headers).await {
        Ok(g) => g,
        Err(r) => return r,
    };
    let l = links(&state, &headers, &shop);
    let Some(key) = res.decode(&id) else {
        return error(
            StatusCode::NOT_FOUND,
            Some(40401),
            &format!("Resource not found! {}", res.path()),
            fmt,
        );
    };
    if method == Method::GET {
        return show(&state, &shop, res, key, &l, fmt);
    }
    if method == Method::DELETE {
        let deleted = match res {
            Resource::ProductExtend => state.delete_product(&shop, key.0),
            Resource::Categories | Resource::CategoryExtend => state.delete_category(&shop, key.0),
            Resource::Customers => state.delete_customer(&shop, key.0),
            Resource::WebHooks => state.delete_webhook(&shop, key.0),
            _ => {
                return error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    None,
                    "Method Not Allowed",
                    fmt,
                )
            }
        };
        return match deleted {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => sim_error(e, res, fmt),
        };
    }
    // PUT, and POST to an item, modify it (reference §3 "Methods").
    let obj = match writes::object(&body) {
        Ok(o) => o,
        Err(e) => return body_error(e, fmt),
    };
    let outcome = modify(&state, &shop, res, key, &obj);
    match outcome {
        Ok(()) => show(&state, &shop, res, key, &l, fmt),
        Err(f) => failure(f, res, fmt),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(s: &str) -> Href {
        Href { href: s.into() }
    }

    fn page(items: Vec<Record>, page_count: Option<String>) -> Page {
        Page {
            href: "http://x/s/api/p?full=1&page=1&limit=2".into(),
            page: "1".into(),
            limit: "2".into(),
            first: link("http://x/s/api/p?\"items\":[]"),
            previous: None,
            next: Some(link("n")),
            last: link("l"),
            items,
            page_count,
        }
    }

    #[test]
    fn a_page_assembled_from_record_texts_is_the_page_serde_writes() {
        for count in [None, Some("3".to_owned())] {
            for n in [0, 1, 3] {
                let records: Vec<Record> = (0..n)
                    .map(|i| Record::Link(link(&format!("r{i}"))))
                    .collect();
                let texts: Vec<Arc<str>> = records
                    .iter()
                    .map(|r| serde_json::to_string(r).unwrap().into())
                    .collect();
                let whole = serde_json::to_string(&page(records, count.clone())).unwrap();
                assert_eq!(page_json(&page(Vec::new(), count.clone()), &texts), whole);
            }
        }
    }
}
