//! The assistant data API: what ShopCall.ai's phone assistant asks about a shop during a call,
//! answered from the cache (`integration::assistant`). JSON in, JSON out, `Authorization: Bearer`
//! with a store's API key; every answer is scoped to that key's store.
//!
//! Routes live under `/api/assistant/` — more specific than Leptos's `/api/{*fn_name}`, so the
//! router picks them first, and anything else under the prefix is a JSON 404 here rather than a
//! server-function error.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use integration::assistant::model::{
    Availability, CustomerLookupRequest, CustomerLookupResponse, Freshness, Localized, Money,
    OrderItem, OrderStatusRequest, OrderStatusResponse, OrderSummary, ProductHit,
    ProductSearchQuery, ProductSearchResponse,
};
use integration::assistant::{Assistant, AssistantError, StoreScope};
use integration::Db;
use secrecy::SecretString;
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

pub const PREFIX: &str = "/api/assistant";

/// The assistant API's routes, with their own state: merge into any router.
pub fn router<S: Clone + Send + Sync + 'static>(db: Db) -> Router<S> {
    Router::new()
        .route("/api/assistant/v1/products/search", get(search_products))
        .route("/api/assistant/v1/orders/status", post(order_status))
        .route("/api/assistant/v1/customers/lookup", post(customer_lookup))
        .route("/api/assistant/openapi.json", get(openapi_json))
        .route("/api/assistant/tools.json", get(tools_json))
        .route("/api/assistant", axum::routing::any(not_found))
        .route("/api/assistant/{*rest}", axum::routing::any(not_found))
        .with_state(Assistant::new(db))
}

/// `{"error": "..."}`: the only error shape this API sends.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: String,
}

/// The edge's error: internals are logged here and never sent.
#[derive(Debug)]
pub enum ApiError {
    Assistant(AssistantError),
    BadRequest(String),
    NotFound,
}

impl From<AssistantError> for ApiError {
    fn from(e: AssistantError) -> Self {
        ApiError::Assistant(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            ApiError::Assistant(e) => match e {
                AssistantError::Unauthorized => (StatusCode::UNAUTHORIZED, e.to_string()),
                AssistantError::StoreInactive => (StatusCode::FORBIDDEN, e.to_string()),
                AssistantError::BadInput(_) => (StatusCode::BAD_REQUEST, e.to_string()),
                AssistantError::OrderNotFound | AssistantError::CustomerNotFound => {
                    (StatusCode::NOT_FOUND, e.to_string())
                }
                AssistantError::Storage(inner) => {
                    tracing::error!(error = %inner, "assistant API storage failure");
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal error, please retry".to_owned(),
                    )
                }
            },
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "no such endpoint".to_owned()),
        };
        let mut response = (status, Json(ErrorBody { error: message })).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"assistant\""),
            );
        }
        response
    }
}

/// The store the request's bearer key belongs to.
pub struct ApiKey(pub StoreScope);

impl FromRequestParts<Assistant> for ApiKey {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        assistant: &Assistant,
    ) -> Result<Self, ApiError> {
        let key = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Assistant(AssistantError::Unauthorized))?;
        let scope = assistant
            .authenticate(&SecretString::from(key.to_owned()))
            .await?;
        tracing::Span::current().record("shop", scope.shopname.as_str());
        Ok(ApiKey(scope))
    }
}

fn bad_json(rejection: JsonRejection) -> ApiError {
    tracing::debug!(%rejection, "assistant API: unreadable JSON body");
    ApiError::BadRequest("the body must be a JSON object as documented in openapi.json".into())
}

/// Finds products by free text (accents optional) or SKU, best match first.
#[utoipa::path(
    get,
    path = "/api/assistant/v1/products/search",
    operation_id = "search_products",
    tag = "assistant",
    params(ProductSearchQuery),
    responses(
        (status = 200, description = "Matching products, best first (possibly none)", body = ProductSearchResponse),
        (status = 400, description = "Missing or invalid parameters", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[tracing::instrument(skip_all, fields(shop = tracing::field::Empty))]
async fn search_products(
    State(assistant): State<Assistant>,
    ApiKey(scope): ApiKey,
    query: Result<Query<ProductSearchQuery>, QueryRejection>,
) -> Result<Json<ProductSearchResponse>, ApiError> {
    let Query(query) = query.map_err(|_| {
        ApiError::BadRequest("q is required; limit must be a number between 1 and 20".into())
    })?;
    Ok(Json(assistant.search_products(&scope, &query).await?))
}

/// The status of an order, for a caller who gives the phone number or e-mail on the order.
/// An unknown order number and a wrong phone/e-mail get the same 404.
#[utoipa::path(
    post,
    path = "/api/assistant/v1/orders/status",
    operation_id = "get_order_status",
    tag = "assistant",
    request_body = OrderStatusRequest,
    responses(
        (status = 200, description = "The order's status, items and totals", body = OrderStatusResponse),
        (status = 400, description = "Missing order number, or neither phone nor e-mail", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody),
        (status = 404, description = "No order with this number and this phone/e-mail", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[tracing::instrument(skip_all, fields(shop = tracing::field::Empty))]
async fn order_status(
    State(assistant): State<Assistant>,
    ApiKey(scope): ApiKey,
    body: Result<Json<OrderStatusRequest>, JsonRejection>,
) -> Result<Json<OrderStatusResponse>, ApiError> {
    let Json(request) = body.map_err(bad_json)?;
    Ok(Json(assistant.order_status(&scope, &request).await?))
}

/// Who is calling: the customer with this phone number and their recent orders.
#[utoipa::path(
    post,
    path = "/api/assistant/v1/customers/lookup",
    operation_id = "lookup_customer_by_phone",
    tag = "assistant",
    request_body = CustomerLookupRequest,
    responses(
        (status = 200, description = "The customer's name and recent orders", body = CustomerLookupResponse),
        (status = 400, description = "Not a phone number", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody),
        (status = 404, description = "No customer or order with this phone number", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[tracing::instrument(skip_all, fields(shop = tracing::field::Empty))]
async fn customer_lookup(
    State(assistant): State<Assistant>,
    ApiKey(scope): ApiKey,
    body: Result<Json<CustomerLookupRequest>, JsonRejection>,
) -> Result<Json<CustomerLookupResponse>, ApiError> {
    let Json(request) = body.map_err(bad_json)?;
    Ok(Json(assistant.customer_by_phone(&scope, &request).await?))
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A store's assistant API key (created on the store page in ShopCall.ai)",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ShopCall.ai assistant data API",
        description = "What the AI phone assistant may ask about one ShopRenter shop, answered from ShopCall.ai's synchronised cache. Every answer carries `freshness`.",
        version = "1"
    ),
    paths(search_products, order_status, customer_lookup),
    components(schemas(
        ErrorBody, Freshness, Localized, Money, Availability, ProductHit, ProductSearchResponse,
        OrderStatusRequest, OrderStatusResponse, OrderItem, OrderSummary, CustomerLookupRequest,
        CustomerLookupResponse
    )),
    modifiers(&BearerAuth),
    tags((name = "assistant", description = "Product, order and customer questions"))
)]
pub struct AssistantApiDoc;

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(AssistantApiDoc::openapi())
}

async fn tools_json() -> Json<Value> {
    Json(function_tools(&AssistantApiDoc::openapi()))
}

/// Function-calling tool descriptions (OpenAI `tools` format) derived from the OpenAPI document,
/// so the two can never disagree. `routes` says which request each tool becomes.
pub fn function_tools(doc: &utoipa::openapi::OpenApi) -> Value {
    let doc = serde_json::to_value(doc).unwrap_or_default();
    let schemas = &doc["components"]["schemas"];
    let mut tools = Vec::new();
    let mut routes = Map::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let Some(name) = op["operationId"].as_str() else {
                continue;
            };
            let description = [op["summary"].as_str(), op["description"].as_str()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            let parameters =
                match op["requestBody"]["content"]["application/json"]["schema"].as_object() {
                    Some(schema) => resolve(&Value::Object(schema.clone()), schemas),
                    None => query_parameters(op),
                };
            tools.push(json!({
                "type": "function",
                "function": { "name": name, "description": description, "parameters": parameters }
            }));
            routes.insert(
                name.to_owned(),
                json!({ "method": method.to_uppercase(), "path": path }),
            );
        }
    }
    json!({ "tools": tools, "routes": routes })
}

fn query_parameters(op: &Value) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for p in op["parameters"].as_array().into_iter().flatten() {
        let Some(name) = p["name"].as_str() else {
            continue;
        };
        let mut schema = p["schema"].clone();
        if let (Some(obj), Some(d)) = (schema.as_object_mut(), p["description"].as_str()) {
            obj.insert("description".into(), d.into());
        }
        properties.insert(name.to_owned(), schema);
        if p["required"].as_bool() == Some(true) {
            required.push(Value::from(name));
        }
    }
    json!({ "type": "object", "properties": properties, "required": required })
}

/// Inlines `$ref`s to component schemas (tool schemas must be self-contained).
fn resolve(schema: &Value, components: &Value) -> Value {
    match schema {
        Value::Object(obj) => {
            if let Some(target) = obj.get("$ref").and_then(Value::as_str) {
                let name = target.rsplit('/').next().unwrap_or_default();
                return resolve(&components[name], components);
            }
            Value::Object(
                obj.iter()
                    .map(|(k, v)| (k.clone(), resolve(v, components)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| resolve(v, components)).collect()),
        other => other.clone(),
    }
}
