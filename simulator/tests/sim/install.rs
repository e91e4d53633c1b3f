use axum::http::StatusCode;
use simulator::{hmac_message, HmacOrder, SimulatorConfig};

use crate::helpers::*;

/// Independent check: HMAC-SHA256 over the three signed parameters, lower-case hex.
fn verify(pairs: &[(String, String)], order: HmacOrder) -> bool {
    use hmac::{Hmac, Mac};
    let get = |k| param(pairs, k).unwrap_or_default().to_string();
    let (shop, code, ts) = (get("shopname"), get("code"), get("timestamp"));
    let message = match order {
        HmacOrder::Docs => format!("code={code}&shopname={shop}&timestamp={ts}"),
        HmacOrder::DemoApp => format!("shopname={shop}&code={code}&timestamp={ts}"),
    };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes()) == get("hmac")
}

#[test]
fn signing_matches_the_reference_vectors() {
    let m = hmac_message(
        HmacOrder::Docs,
        "example",
        "0907a61c0c8d55e99db179b68161bc00",
        "1337178173",
    );
    assert_eq!(
        m,
        "code=0907a61c0c8d55e99db179b68161bc00&shopname=example&timestamp=1337178173"
    );
    assert_eq!(
        simulator::sign(SECRET, &m),
        "5840f33c953971e1bdcae2769afd608eae1f0348373b96b4c3716d9784caca8b"
    );
    let m = hmac_message(
        HmacOrder::DemoApp,
        "example",
        "0907a61c0c8d55e99db179b68161bc00",
        "1337178173",
    );
    assert_eq!(
        simulator::sign(SECRET, &m),
        "c0bdcec3ae6cfceec642449c9902654b19322cc98efc7b1915073f43917d4f50"
    );
}

async fn browser_install(order: HmacOrder) {
    let app = receiver(StatusCode::OK).await;
    let cfg = SimulatorConfig {
        apps: vec![app_with(&app.url)],
        hmac_order: order,
        ..config(3)
    };
    let h = start(cfg).await;
    let admin = format!("{}/{SHOP}/admin/app/55", h.base_url());
    let c = client();

    let page = c.get(&admin).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"sim-install\"") && page.contains("Telepítés"));

    let r = c.post(format!("{admin}/install")).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&format!(
            "{}/auth/shoprenter/callback?shopname={SHOP}&code=",
            app.url
        )),
        "{location}"
    );
    let q = query_of(&location);
    let keys: Vec<&str> = q.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["shopname", "code", "timestamp", "hmac", "app_url"]);
    assert!(verify(&q, order), "hmac verifies in the configured order");
    let other = if order == HmacOrder::Docs {
        HmacOrder::DemoApp
    } else {
        HmacOrder::Docs
    };
    assert!(!verify(&q, other));
    assert_eq!(param(&q, "app_url"), Some(admin.as_str()));
    let ts: i64 = param(&q, "timestamp").unwrap().parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - ts).abs() <= 2);

    // The app sends the browser back to app_url with its own parameter; ShopRenter opens the
    // EntryPoint with a fresh signature plus that parameter.
    let r = c
        .get(format!("{admin}?sr_install=abc123"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let entry = r.headers()["location"].to_str().unwrap().to_string();
    assert!(entry.starts_with(&format!("{}/integrations/shoprenter/entry?", app.url)));
    let e = query_of(&entry);
    assert!(verify(&e, order));
    assert_ne!(param(&e, "code"), param(&q, "code"), "fresh code");
    assert_eq!(param(&e, "sr_install"), Some("abc123"));
    assert_eq!(param(&e, "app_url"), None);

    // Later admin visits show the installed app with open and uninstall buttons.
    let page = c.get(&admin).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"sim-open\"") && page.contains("id=\"sim-uninstall\""));
    let r = c.get(format!("{admin}/open")).send().await.unwrap();
    assert!(verify(
        &query_of(r.headers()["location"].to_str().unwrap()),
        order
    ));

    let r = c.post(format!("{admin}/uninstall")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("HTTP 200"));
    let hits = app.hits();
    let call = hits
        .iter()
        .find(|h| h.path == "/webhooks/shoprenter/uninstall")
        .expect("uninstall called");
    assert_eq!(call.method, "GET");
    assert!(call.body.is_empty());
    let uq: Vec<(String, String)> =
        url::form_urlencoded::parse(call.query.as_deref().unwrap().as_bytes())
            .into_owned()
            .collect();
    assert!(verify(&uq, order));
    assert_eq!(h.state().uninstall_calls()[0].status, Some(200));
    assert!(!h.state().is_installed(SHOP, "55"));
    assert_eq!(request_token(&h, SHOP, credentials()).await.status(), 401);
    let page = c.get(&admin).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("sim-install"), "can be installed again");
}

#[tokio::test]
async fn browser_install_entry_and_uninstall_signed_in_docs_order() {
    browser_install(HmacOrder::Docs).await;
}

#[tokio::test]
async fn browser_install_entry_and_uninstall_signed_in_demo_app_order() {
    browser_install(HmacOrder::DemoApp).await;
}

#[tokio::test]
async fn uninstall_revokes_tokens_and_removes_the_apps_webhooks() {
    let app = receiver(StatusCode::NO_CONTENT).await;
    let h = start(SimulatorConfig {
        apps: vec![app_with(&app.url)],
        ..config(3)
    })
    .await;
    let token = installed_token(&h).await;
    let (status, _) = api_send(
        &h,
        &token,
        reqwest::Method::POST,
        "webHooks",
        serde_json::json!({"label": "x", "event": "order_confirm", "status": "1", "webHookParameters": [{"type": "json", "url": format!("{}/hook", app.url)}]}),
    )
    .await;
    assert_eq!(status, 200);
    let call = h.state().uninstall(SHOP, "55").await.unwrap();
    assert_eq!(call.status, Some(204));
    assert_eq!(api_get(&h, &token, "orderStatuses").await.0, 401);
    assert!(h.state().webhooks(SHOP).unwrap().is_empty());
}

#[tokio::test]
async fn unknown_shop_or_app_gets_404_page() {
    let h = start(config(1)).await;
    let r = client()
        .get(format!("{}/nincs/admin/app/55", h.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = client()
        .get(format!("{}/{SHOP}/admin/app/99", h.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}
