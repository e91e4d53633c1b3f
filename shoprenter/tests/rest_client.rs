//! The REST client against a local HTTP double (wiremock): limiter, retries, pagination and
//! error mapping (`shoprenter-protocol.md` §3–§4). Timing checks use server-side receipt times
//! with generous tolerance, so a loaded machine does not make them flaky.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use secrecy::SecretString;
use serde_json::{json, Value};
use shoprenter::client::{ApiClient, ApiConfig, ApiError, ListParams};
use shoprenter::resources::Product;
use shoprenter::{ShopName, UrlTemplate};
use wiremock::matchers::{header, method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn shop(name: &str) -> ShopName {
    ShopName::parse(name).unwrap()
}

fn token() -> SecretString {
    SecretString::from("test-token")
}

/// Fast retries so the suite stays quick; the limiter keeps the platform's 3 rps.
fn config(server: &MockServer) -> ApiConfig {
    let mut config =
        ApiConfig::new(UrlTemplate::new(&format!("{}/{{shopname}}/api", server.uri())).unwrap());
    config.base_backoff = Duration::from_millis(10);
    config.max_backoff = Duration::from_millis(50);
    config.max_retries = 3;
    config.request_timeout = Duration::from_millis(500);
    config
}

/// Records when each request reached the server, per path.
#[derive(Clone, Default)]
struct Recorder {
    seen: Arc<Mutex<Vec<(String, Instant)>>>,
    body: Value,
}

impl Respond for Recorder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.seen
            .lock()
            .unwrap()
            .push((request.url.path().to_owned(), Instant::now()));
        ResponseTemplate::new(200).set_body_json(&self.body)
    }
}

impl Recorder {
    fn times(&self, path_prefix: &str) -> Vec<Instant> {
        let mut times: Vec<Instant> = self
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p.starts_with(path_prefix))
            .map(|(_, t)| *t)
            .collect();
        times.sort();
        times
    }
}

#[tokio::test]
async fn limiter_keeps_each_shop_at_three_per_second_and_shops_are_independent() {
    let server = MockServer::start().await;
    let recorder = Recorder {
        body: json!({}),
        ..Default::default()
    };
    Mock::given(method("GET"))
        .and(path_regex(r"^/(alpha|beta)/api/products$"))
        .respond_with(recorder.clone())
        .mount(&server)
        .await;
    let client = ApiClient::new(config(&server)).unwrap();

    const PER_SHOP: usize = 6;
    let calls = (0..PER_SHOP).flat_map(|_| ["alpha", "beta"]).map(|name| {
        // Clones share the limiter, as every task of the integration would.
        let client = client.clone();
        async move {
            client
                .get_json::<Value>(&shop(name), &token(), "products")
                .await
        }
    });
    for result in futures::future::join_all(calls).await {
        result.unwrap();
    }

    let alpha = recorder.times("/alpha/");
    let beta = recorder.times("/beta/");
    assert_eq!((alpha.len(), beta.len()), (PER_SHOP, PER_SHOP));
    for (name, times) in [("alpha", &alpha), ("beta", &beta)] {
        // No four requests within one second (tolerance for scheduling jitter on the receiver).
        for window in times.windows(4) {
            let spread = window[3] - window[0];
            assert!(
                spread >= Duration::from_millis(850),
                "{name}: 4 requests within {spread:?}"
            );
        }
    }
    // Independent: beta did not queue behind alpha. Serialised, 12 requests would need ≥ 3.6 s.
    let first = alpha[0].min(beta[0]);
    let last = alpha[PER_SHOP - 1].max(beta[PER_SHOP - 1]);
    assert!(
        last - first < Duration::from_millis(3000),
        "shops were serialised: {:?}",
        last - first
    );
    assert!(
        beta[0] < alpha[2] && alpha[0] < beta[2],
        "one shop waited for the other"
    );
    assert!(client.stats().throttled > Duration::ZERO);
}

/// Answers 429 (optionally with `Retry-After`) once, then 200; records arrival times.
struct FirstRateLimited {
    retry_after: Option<&'static str>,
    seen: Arc<Mutex<Vec<Instant>>>,
}

impl Respond for FirstRateLimited {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut seen = self.seen.lock().unwrap();
        seen.push(Instant::now());
        if seen.len() == 1 {
            let mut response = ResponseTemplate::new(429);
            if let Some(value) = self.retry_after {
                response = response.insert_header("Retry-After", value);
            }
            response
        } else {
            ResponseTemplate::new(200).set_body_json(json!({"ok": true}))
        }
    }
}

async fn rate_limited_once(
    retry_after: Option<&'static str>,
) -> (Vec<Instant>, shoprenter::ApiStats) {
    let server = MockServer::start().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    Mock::given(method("GET"))
        .and(path("/pelda/api/orderExtend"))
        .respond_with(FirstRateLimited {
            retry_after,
            seen: seen.clone(),
        })
        .mount(&server)
        .await;
    let client = ApiClient::new(config(&server)).unwrap();
    let value: Value = client
        .get_json(&shop("pelda"), &token(), "orderExtend")
        .await
        .unwrap();
    assert_eq!(value, json!({"ok": true}));
    let seen = seen.lock().unwrap().clone();
    (seen, client.stats())
}

#[tokio::test]
async fn rate_limited_request_honours_retry_after() {
    let (seen, stats) = rate_limited_once(Some("2")).await;
    assert_eq!(seen.len(), 2);
    assert!(
        seen[1] - seen[0] >= Duration::from_millis(1900),
        "retried after {:?}",
        seen[1] - seen[0]
    );
    assert_eq!(
        (stats.rate_limited, stats.retries, stats.requests),
        (1, 1, 2)
    );
}

#[tokio::test]
async fn rate_limited_request_without_retry_after_backs_off_at_least_a_second() {
    let (seen, stats) = rate_limited_once(None).await;
    assert_eq!(seen.len(), 2);
    assert!(
        seen[1] - seen[0] >= Duration::from_millis(950),
        "retried after {:?}",
        seen[1] - seen[0]
    );
    assert_eq!((stats.rate_limited, stats.retries), (1, 1));
}

#[tokio::test]
async fn persistent_rate_limiting_is_surfaced_after_the_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .expect(2)
        .mount(&server)
        .await;
    let mut config = config(&server);
    config.max_retries = 1;
    let client = ApiClient::new(config).unwrap();
    let err = client
        .get_json::<Value>(&shop("pelda"), &token(), "products")
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::RateLimited { attempts: 2 }),
        "{err:?}"
    );
    assert_eq!(client.stats().rate_limited, 2);
}

fn page_body(server: &MockServer, page: u64, last: u64, skus: &[&str]) -> Value {
    let link = |p: u64| json!({"href": format!("{}/pelda/api/productExtend?full=1&page={p}&limit=2", server.uri())});
    json!({
        "href": link(page)["href"],
        "page": page.to_string(),
        "limit": "2",
        "pageCount": (last + 1).to_string(),
        "first": link(0),
        "previous": if page == 0 { Value::Null } else { link(page - 1) },
        "next": if page == last { Value::Null } else { link(page + 1) },
        "last": link(last),
        "items": skus.iter().map(|sku| json!({"id": format!("id-{sku}"), "sku": sku, "price": "100.0000"})).collect::<Vec<_>>(),
    })
}

async fn mount_three_pages(server: &MockServer) {
    for (page, skus) in [(0u64, vec!["a", "b"]), (1, vec!["c", "d"]), (2, vec!["e"])] {
        Mock::given(method("GET"))
            .and(path("/pelda/api/productExtend"))
            .and(query_param("page", page.to_string()))
            .and(query_param("limit", "2"))
            .and(query_param("full", "1"))
            .and(query_param("updatedAfter", "2025-01-01T00:00:00"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(page_body(server, page, 2, &skus)),
            )
            .expect(1)
            .mount(server)
            .await;
    }
}

#[tokio::test]
async fn three_page_listing_streams_page_by_page() {
    let server = MockServer::start().await;
    mount_three_pages(&server).await;
    let client = ApiClient::new(config(&server)).unwrap();
    let params = ListParams {
        limit: 2,
        ..Default::default()
    }
    .filter("updatedAfter", "2025-01-01T00:00:00");
    let mut stream =
        Box::pin(client.list::<Product>(&shop("pelda"), &token(), "productExtend", params));

    let mut seen = Vec::new();
    while let Some(page) = stream.next().await {
        let page = page.unwrap();
        assert_eq!(page.page_count, Some(3));
        seen.push((
            page.page,
            page.next_page,
            page.items
                .iter()
                .map(|p| p.sku.clone().unwrap())
                .collect::<Vec<_>>(),
        ));
    }
    assert_eq!(
        seen,
        vec![
            (0, Some(1), vec!["a".to_owned(), "b".to_owned()]),
            (1, Some(2), vec!["c".to_owned(), "d".to_owned()]),
            (2, None, vec!["e".to_owned()]),
        ]
    );
}

#[tokio::test]
async fn listing_resumes_from_a_given_page() {
    let server = MockServer::start().await;
    for (page, skus) in [(1u64, vec!["c", "d"]), (2, vec!["e"])] {
        Mock::given(method("GET"))
            .and(path("/pelda/api/productExtend"))
            .and(query_param("page", page.to_string()))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(page_body(&server, page, 2, &skus)),
            )
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = ApiClient::new(config(&server)).unwrap();
    let params = ListParams {
        page_start: 1,
        limit: 2,
        filters: vec![],
    };
    let pages: Vec<_> = client
        .list::<Product>(&shop("pelda"), &token(), "productExtend", params)
        .collect()
        .await;
    let numbers: Vec<u64> = pages.into_iter().map(|p| p.unwrap().page).collect();
    assert_eq!(numbers, vec![1, 2]);
}

#[tokio::test]
async fn listing_yields_the_error_and_stops() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(query_param("page", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page_body(
            &server,
            0,
            2,
            &["a", "b"],
        )))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(query_param("page", "1"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let client = ApiClient::new(config(&server)).unwrap();
    let pages: Vec<_> = client
        .list::<Product>(
            &shop("pelda"),
            &token(),
            "productExtend",
            ListParams {
                limit: 2,
                ..Default::default()
            },
        )
        .collect()
        .await;
    assert_eq!(pages.len(), 2);
    assert!(pages[0].is_ok());
    assert!(matches!(pages[1], Err(ApiError::Unauthorized { .. })));
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/pelda/api/orderStatuses"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/pelda/api/orderStatuses"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"items": []})))
        .mount(&server)
        .await;
    let client = ApiClient::new(config(&server)).unwrap();
    let value: Value = client
        .get_json(&shop("pelda"), &token(), "orderStatuses")
        .await
        .unwrap();
    assert_eq!(value, json!({"items": []}));
    let stats = client.stats();
    assert_eq!(
        (stats.server_errors, stats.retries, stats.requests),
        (2, 2, 3)
    );
}

#[tokio::test]
async fn server_errors_give_up_after_max_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .expect(4)
        .mount(&server)
        .await;
    let client = ApiClient::new(config(&server)).unwrap();
    let err = client
        .get_json::<Value>(&shop("pelda"), &token(), "products")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Server {
                status: 500,
                attempts: 4
            }
        ),
        "{err:?}"
    );
    assert!(err.is_transient());
}

#[tokio::test]
async fn post_is_not_repeated_after_a_server_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(1)
        .mount(&server)
        .await;
    let client = ApiClient::new(config(&server)).unwrap();
    let err = client
        .post_json::<_, Value>(&shop("pelda"), &token(), "webHooks", &json!({}))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Server {
                status: 500,
                attempts: 1
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn timeouts_are_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(1500)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([1])))
        .mount(&server)
        .await;
    let client = ApiClient::new(config(&server)).unwrap();
    let value: Value = client
        .get_json(&shop("pelda"), &token(), "products")
        .await
        .unwrap();
    assert_eq!(value, json!([1]));
    assert_eq!(client.stats().transport_errors, 1);
}

#[tokio::test]
async fn unauthorized_is_surfaced_without_retry() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"code": 40101, "message": "You have no permission for this operation!"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = ApiClient::new(config(&server)).unwrap();
    let err = client
        .get_json::<Value>(&shop("pelda"), &token(), "products")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Unauthorized {
                code: Some(40101),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.is_transient());
    assert_eq!(client.stats().retries, 0);
}

#[tokio::test]
async fn client_errors_are_typed() {
    let server = MockServer::start().await;
    Mock::given(path("/pelda/api/forbidden"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    Mock::given(path("/pelda/api/missing"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(path("/pelda/api/conflict"))
        .respond_with(ResponseTemplate::new(409))
        .mount(&server)
        .await;
    Mock::given(path("/pelda/api/products"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"code": 40008, "message": "Page not found!"})),
        )
        .mount(&server)
        .await;
    let client = ApiClient::new(config(&server)).unwrap();
    let (s, t) = (shop("pelda"), token());
    assert!(matches!(
        client.get_json::<Value>(&s, &t, "forbidden").await,
        Err(ApiError::Forbidden { .. })
    ));
    assert!(matches!(
        client.delete(&s, &t, "missing").await,
        Err(ApiError::NotFound { .. })
    ));
    assert!(matches!(
        client
            .put_json::<_, Value>(&s, &t, "conflict", &json!({}))
            .await,
        Err(ApiError::Conflict { .. })
    ));
    let err = client
        .get_json::<Value>(&s, &t, "products?page=99")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::BadRequest {
                code: Some(40008),
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn requests_carry_bearer_token_and_json_headers() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/pelda/api/webHooks"))
        .and(header("authorization", "Bearer test-token"))
        .and(header("accept", "application/json"))
        .and(header("content-type", "application/json"))
        .and(wiremock::matchers::body_json(json!({"label": "x"})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "d2ViSG9vay1ub3RpZmljYXRpb25faWQ9Njg="})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/pelda/api/webHooks/abc"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let client = ApiClient::new(config(&server)).unwrap();
    let created: Value = client
        .post_json(&shop("pelda"), &token(), "webHooks", &json!({"label": "x"}))
        .await
        .unwrap();
    assert_eq!(created["id"], "d2ViSG9vay1ub3RpZmljYXRpb25faWQ9Njg=");
    client
        .delete(&shop("pelda"), &token(), "webHooks/abc")
        .await
        .unwrap();
}

#[tokio::test]
async fn paths_cannot_leave_the_shop_api() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let client = ApiClient::new(config(&server)).unwrap();
    for hostile in [
        "../other/api/products",
        "a/../../../other/api/x",
        "%2e%2e/%2e%2e/x",
        "http://evil.example/x",
    ] {
        let err = client
            .get_json::<Value>(&shop("pelda"), &token(), hostile)
            .await
            .unwrap_err();
        assert!(
            matches!(err, ApiError::InvalidPath(_)),
            "{hostile}: {err:?}"
        );
    }
}
