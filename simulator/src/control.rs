//! `/_control/...`: a JSON side door for tests, benchmarks and end-to-end runs. Not part of
//! ShopRenter; it changes data the way a merchant would and reads what the simulator observed.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::config::Faults;
use crate::model::{CategoryInput, CustomerInput, OrderInput, ProductInput};
use crate::state::{RateLimitBody, SimState};
use crate::SimError;

fn fail(e: SimError) -> Response {
    let status = match e {
        SimError::UnknownShop(_) | SimError::UnknownApp(_) | SimError::NotFound => {
            StatusCode::NOT_FOUND
        }
        SimError::Invalid(_) | SimError::NotInstalled { .. } => StatusCode::BAD_REQUEST,
        SimError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (status, Json(json!({"error": e.to_string()}))).into_response()
}

fn reply<T: serde::Serialize>(r: Result<T, SimError>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e) => fail(e),
    }
}

fn deleted(r: Result<(), SimError>) -> Response {
    match r {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => fail(e),
    }
}

type S = State<Arc<SimState>>;
type ShopId = Path<(String, u32)>;

#[derive(Deserialize)]
struct StatusBody {
    status_id: u32,
}

pub(crate) fn router() -> Router<Arc<SimState>> {
    Router::new()
        .route("/stats", get(|State(s): S| async move { Json(s.stats()) }))
        .route(
            "/stats/reset",
            post(|State(s): S| async move {
                s.reset_stats();
                StatusCode::NO_CONTENT
            }),
        )
        .route("/deliveries", get(|State(s): S| async move { Json(s.deliveries()) }))
        .route("/uninstall-calls", get(|State(s): S| async move { Json(s.uninstall_calls()) }))
        .route(
            "/faults",
            get(|State(s): S| async move { Json(s.faults()) }).put(|State(s): S, Json(f): Json<Faults>| async move {
                s.set_faults(f.clone());
                Json(f)
            }),
        )
        .route(
            "/rate-limit",
            get(|State(s): S| async move { Json(json!({"per_sec": s.rate_limit()})) }).put(
                |State(s): S, Json(b): Json<RateLimitBody>| async move {
                    s.set_rate_limit(b.per_sec);
                    Json(json!({"per_sec": b.per_sec}))
                },
            ),
        )
        .route(
            "/shops",
            get(|State(s): S| async move {
                let shops: Vec<_> = s
                    .shop_names()
                    .into_iter()
                    .map(|name| {
                        let counts = s.counts(&name).unwrap_or_default();
                        let installed: Vec<_> = s
                            .config
                            .apps
                            .iter()
                            .filter(|a| s.is_installed(&name, &a.app_id))
                            .map(|a| a.app_id.clone())
                            .collect();
                        json!({"name": name, "products": counts.0, "categories": counts.1,
                               "customers": counts.2, "orders": counts.3, "installed_apps": installed})
                    })
                    .collect();
                Json(shops)
            }),
        )
        .route(
            "/shops/{shop}/apps/{app_id}/install",
            post(|State(s): S, Path((shop, app)): Path<(String, String)>| async move {
                reply(s.install(&shop, &app).map(|url| json!({"redirect_url": url})))
            }),
        )
        .route(
            "/shops/{shop}/apps/{app_id}/uninstall",
            post(|State(s): S, Path((shop, app)): Path<(String, String)>| async move {
                reply(s.uninstall(&shop, &app).await)
            }),
        )
        .route(
            "/shops/{shop}/tokens/expire",
            post(|State(s): S, Path(shop): Path<String>| async move {
                s.expire_tokens(&shop);
                StatusCode::NO_CONTENT
            }),
        )
        .route(
            "/shops/{shop}/webhooks",
            get(|State(s): S, Path(shop): Path<String>| async move { reply(s.webhooks(&shop)) }),
        )
        .route(
            "/shops/{shop}/products",
            post(|State(s): S, Path(shop): Path<String>, Json(i): Json<ProductInput>| async move {
                reply(s.create_product(&shop, i))
            }),
        )
        .route(
            "/shops/{shop}/products/{id}",
            get(|State(s): S, Path((shop, id)): ShopId| async move { reply(s.product(&shop, id)) })
                .put(|State(s): S, Path((shop, id)): ShopId, Json(i): Json<ProductInput>| async move {
                    reply(s.update_product(&shop, id, i))
                })
                .delete(|State(s): S, Path((shop, id)): ShopId| async move { deleted(s.delete_product(&shop, id)) }),
        )
        .route(
            "/shops/{shop}/categories",
            post(|State(s): S, Path(shop): Path<String>, Json(i): Json<CategoryInput>| async move {
                reply(s.create_category(&shop, i))
            }),
        )
        .route(
            "/shops/{shop}/categories/{id}",
            get(|State(s): S, Path((shop, id)): ShopId| async move { reply(s.category(&shop, id)) })
                .put(|State(s): S, Path((shop, id)): ShopId, Json(i): Json<CategoryInput>| async move {
                    reply(s.update_category(&shop, id, i))
                })
                .delete(|State(s): S, Path((shop, id)): ShopId| async move { deleted(s.delete_category(&shop, id)) }),
        )
        .route(
            "/shops/{shop}/customers",
            post(|State(s): S, Path(shop): Path<String>, Json(i): Json<CustomerInput>| async move {
                reply(s.create_customer(&shop, i))
            }),
        )
        .route(
            "/shops/{shop}/customers/{id}",
            get(|State(s): S, Path((shop, id)): ShopId| async move { reply(s.customer(&shop, id)) })
                .put(|State(s): S, Path((shop, id)): ShopId, Json(i): Json<CustomerInput>| async move {
                    reply(s.update_customer(&shop, id, i))
                })
                .delete(|State(s): S, Path((shop, id)): ShopId| async move { deleted(s.delete_customer(&shop, id)) }),
        )
        .route(
            "/shops/{shop}/orders",
            post(|State(s): S, Path(shop): Path<String>, Json(i): Json<OrderInput>| async move {
                reply(s.create_order(&shop, i))
            }),
        )
        .route(
            "/shops/{shop}/orders/{id}",
            get(|State(s): S, Path((shop, id)): ShopId| async move { reply(s.order(&shop, id)) })
                .put(|State(s): S, Path((shop, id)): ShopId, Json(i): Json<OrderInput>| async move {
                    reply(s.update_order(&shop, id, i))
                })
                .delete(|State(s): S, Path((shop, id)): ShopId| async move { deleted(s.delete_order(&shop, id)) }),
        )
        .route(
            "/shops/{shop}/orders/{id}/status",
            put(|State(s): S, Path((shop, id)): ShopId, Json(b): Json<StatusBody>| async move {
                reply(s.set_order_status(&shop, id, b.status_id))
            }),
        )
}
