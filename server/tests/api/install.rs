//! The install lifecycle against the simulator: seed Test Cases 1–4 plus the hostile cases.

use chrono::Utc;
use integration::install::InstallTicket;
use integration::storage::{jobs, stores, tokens};

use crate::helpers::{
    browser, captured_logs, engines, location, spawn_app, sr_install, store_id_from, SHOP,
};

#[tokio::test]
async fn tc1_successful_installation_connects_the_store() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let merchant = &app.client;
        assert_eq!(app.sign_up(merchant, "anna@example.hu").await.status(), 303);

        // RedirectUri: 303 to the shop's admin app page with our sr_install.
        let response = app.get(merchant, &app.install_url(SHOP)).await;
        assert_eq!(response.status(), 303, "{kind:?}");
        let target = location(&response);
        assert!(
            target.starts_with(&format!("{}/{SHOP}/admin/app/55", app.sim.base_url())),
            "{target}"
        );
        let install = sr_install(&target);

        // EntryPoint with the forwarded parameter: bound, token acquired, jobs queued.
        let response = app
            .get(merchant, &app.entry_url(SHOP, Some(&install)))
            .await;
        assert_eq!(response.status(), 303);
        let store_id = store_id_from(&location(&response));
        let store = stores::find(&app.db, store_id).await.unwrap().unwrap();
        assert!(store.is_active);
        assert_eq!(store.shopname, SHOP);
        assert!(store.needs_attention.is_none());
        assert!(
            store
                .scopes
                .as_ref()
                .is_some_and(|s| s.0.iter().any(|s| s == "product.product:read")),
            "scopes from the JWT"
        );
        let token = tokens::load(&app.db, store_id)
            .await
            .unwrap()
            .expect("token stored");
        assert!(token.is_active && token.access_token.is_some());
        assert!(token.expires_at.unwrap() > Utc::now() + chrono::Duration::minutes(30));
        assert_eq!(app.token_requests().await, 1);
        let queued: Vec<String> = jobs::list_for_store(&app.db, store_id)
            .await
            .unwrap()
            .into_iter()
            .map(|j| j.kind)
            .collect();
        assert!(
            queued.contains(&"register_webhooks".to_string())
                && queued.contains(&"initial_sync".to_string()),
            "{queued:?}"
        );

        // The store page, and a later admin visit just opens it.
        let page = app.get(merchant, &format!("/stores/{store_id}")).await;
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("pelda.myshoprenter.hu"));
        let again = app.get(merchant, &app.entry_url(SHOP, None)).await;
        assert_eq!(location(&again), format!("/stores/{store_id}"));
        assert_eq!(
            app.token_requests().await,
            1,
            "an admin visit acquires nothing"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn entry_without_a_session_goes_through_sign_up_and_back() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let merchant = &app.client;
        let install = app.callback(merchant, SHOP).await;
        let response = app
            .get(merchant, &app.entry_url(SHOP, Some(&install)))
            .await;
        assert_eq!(response.status(), 303);
        let to_sign_in = location(&response);
        assert!(to_sign_in.starts_with("/signin?next="), "{to_sign_in}");
        let page = app.get(merchant, &to_sign_in).await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("name=\"email\""));
        // The page names the shop that signing in will connect; a visitor without one sees none.
        assert!(
            html.contains("id=\"waiting-shop\""),
            "no waiting shop on {to_sign_in}"
        );
        assert!(html.contains(&format!("{SHOP}.myshoprenter.hu")));
        let stranger = app
            .get(&browser(&app.address), "/signin")
            .await
            .text()
            .await
            .unwrap();
        assert!(stranger.contains("name=\"email\"") && !stranger.contains("waiting-shop"));

        let response = app
            .post_form(
                merchant,
                "/auth/signup",
                &[
                    ("email", "new@example.hu"),
                    ("password", crate::helpers::PASSWORD),
                    ("next", "/integrations/shoprenter/continue"),
                ],
            )
            .await;
        assert_eq!(location(&response), "/integrations/shoprenter/continue");
        let response = app.get(merchant, "/integrations/shoprenter/continue").await;
        assert_eq!(response.status(), 303);
        let store_id = store_id_from(&location(&response));
        assert!(
            stores::find(&app.db, store_id)
                .await
                .unwrap()
                .unwrap()
                .is_active
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn tc2_invalid_hmac_is_rejected_with_403_and_logged() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let url = app.install_url(SHOP);
        // Flip the last hex digit of the signature.
        let mut parsed = url::Url::parse(&url).unwrap();
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "hmac" {
                    format!("{}{}", &v[..63], if v.ends_with('0') { '1' } else { '0' })
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
        assert_ne!(parsed.as_str(), url);
        let response = app.get(&app.client, parsed.as_str()).await;
        assert_eq!(response.status(), 403, "{kind:?}");
        assert!(response
            .text()
            .await
            .unwrap()
            .contains("signature is not valid"));
        assert!(
            captured_logs().contains("signature does not match"),
            "rejection is logged"
        );
        assert!(stores::find_by_shopname(&app.db, SHOP)
            .await
            .unwrap()
            .is_none());
        app.cleanup().await;
    }
}

#[tokio::test]
async fn tc3_expired_or_future_timestamps_are_rejected() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let now = Utc::now().timestamp();
        for ts in [now - 301, now - 86_400, now + 120] {
            let query = app.signed_query(SHOP, ts, &[]);
            let response = app
                .get(&app.client, &format!("/auth/shoprenter/callback?{query}"))
                .await;
            assert_eq!(response.status(), 403, "timestamp {ts} on {kind:?}");
            assert!(response.text().await.unwrap().contains("expired"));
        }
        assert!(captured_logs().contains("s old, more than the 300 s allowed"));
        // A fresh one is fine.
        let query = app.signed_query(SHOP, now, &[]);
        assert_eq!(
            app.get(&app.client, &format!("/auth/shoprenter/callback?{query}"))
                .await
                .status(),
            303
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn malformed_requests_get_400() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let now = Utc::now().timestamp();
        for query in [
            String::new(),
            "shopname=pelda&code=x&timestamp=1".to_string(),
            format!("shopname=pelda&code=x&timestamp={now}&hmac=nothex"),
            format!("{}&shopname=masik", app.signed_query(SHOP, now, &[])),
        ] {
            let response = app
                .get(&app.client, &format!("/auth/shoprenter/callback?{query}"))
                .await;
            assert_eq!(response.status(), 400, "{query}");
        }
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_replayed_callback_is_rejected() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let url = app.install_url(SHOP);
        assert_eq!(app.get(&app.client, &url).await.status(), 303);
        let replay = app.get(&app.client, &url).await;
        assert_eq!(replay.status(), 403, "{kind:?}");
        assert!(replay.text().await.unwrap().contains("already used"));
        app.cleanup().await;
    }
}

#[tokio::test]
async fn ssrf_style_shop_names_are_refused_before_any_outbound_call() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let now = Utc::now().timestamp();
        for shop in [
            "evil.com/",
            "a@b",
            "../",
            "evil.com",
            "pelda.evil.com",
            "127.0.0.1",
            "pelda#x",
            "xn--pelda",
            "-pelda",
            "a/../b",
        ] {
            // Correctly signed, so only the shop-name check can stop it.
            let query = app.signed_query(shop, now, &[]);
            for path in [
                "/auth/shoprenter/callback",
                "/integrations/shoprenter/entry",
                "/webhooks/shoprenter/uninstall",
            ] {
                let response = app.get(&app.client, &format!("{path}?{query}")).await;
                assert_eq!(response.status(), 400, "{shop} at {path} on {kind:?}");
            }
        }
        assert_eq!(app.token_requests().await, 0);
        assert!(stores::list_active(&app.db).await.unwrap().is_empty());
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_hostile_app_url_falls_back_to_the_shops_admin_page() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let fallback = format!("{}/{SHOP}/admin/app/55", app.sim.base_url());
        for hostile in [
            "https://evil.com/admin/app/55",
            "https://pelda.myshoprenter.hu.evil.com/admin/app/55",
            "https://user:pw@pelda.myshoprenter.hu/admin/app/55",
            "https://masik.myshoprenter.hu/admin/app/55",
            "http://pelda.myshoprenter.hu/admin/app/55",
            "https://pelda.myshoprenter.hu/admin/app/56",
            "javascript:alert(1)",
            "//evil.com",
        ] {
            let query = app.signed_query(SHOP, Utc::now().timestamp(), &[("app_url", hostile)]);
            let response = app
                .get(&app.client, &format!("/auth/shoprenter/callback?{query}"))
                .await;
            assert_eq!(response.status(), 303);
            let target = location(&response);
            assert!(
                target.starts_with(&format!("{fallback}?sr_install=")),
                "{hostile} → {target}"
            );
        }
        // The real platform's own admin URL is followed.
        let genuine = "https://pelda.myshoprenter.hu/admin/app/55";
        let query = app.signed_query(SHOP, Utc::now().timestamp(), &[("app_url", genuine)]);
        let target = location(
            &app.get(&app.client, &format!("/auth/shoprenter/callback?{query}"))
                .await,
        );
        assert!(
            target.starts_with(&format!("{genuine}?sr_install=")),
            "{target}"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_shop_claimed_by_another_account_is_refused() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let anna = &app.client;
        let store_id = app
            .install_for_new_merchant(anna, SHOP, "anna@example.hu")
            .await;

        let bela = browser(&app.address);
        assert_eq!(app.sign_up(&bela, "bela@example.hu").await.status(), 303);
        let install = app.callback(&bela, SHOP).await;
        let response = app.get(&bela, &app.entry_url(SHOP, Some(&install))).await;
        assert_eq!(response.status(), 409, "{kind:?}");
        assert!(response
            .text()
            .await
            .unwrap()
            .contains("already connected to a different ShopCall.ai account"));
        let store = stores::find(&app.db, store_id).await.unwrap().unwrap();
        assert!(store.is_active);
        let anna_id = store.user_id;
        assert_ne!(
            stores::find_by_shopname(&app.db, SHOP)
                .await
                .unwrap()
                .unwrap()
                .user_id,
            uuid::Uuid::nil()
        );
        // Béla cannot see Anna's store either.
        assert_eq!(
            app.get(&bela, &format!("/stores/{store_id}"))
                .await
                .status(),
            404
        );
        assert_eq!(store.user_id, anna_id);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn tc4_uninstall_deactivates_store_and_tokens_and_reinstall_works() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let merchant = &app.client;
        let store_id = app
            .install_for_new_merchant(merchant, SHOP, "anna@example.hu")
            .await;

        let call = app
            .sim
            .state()
            .uninstall(SHOP, "55")
            .await
            .expect("uninstall call");
        assert_eq!(call.status, Some(200), "{kind:?}: {call:?}");
        let store = stores::find(&app.db, store_id).await.unwrap().unwrap();
        assert!(!store.is_active);
        assert_eq!(store.disconnect_reason.as_deref(), Some("uninstalled"));
        let token = tokens::load(&app.db, store_id).await.unwrap().unwrap();
        assert!(!token.is_active);
        assert!(token.access_token.is_none(), "ciphertext wiped");
        assert!(jobs::list_for_store(&app.db, store_id)
            .await
            .unwrap()
            .iter()
            .all(|j| j.status == "cancelled"));
        assert!(
            app.engine.tokens().get(store_id).await.is_err(),
            "no token for an uninstalled store"
        );

        // Repeated, unknown-shop and replayed uninstalls all answer 200.
        let query = app.signed_query(SHOP, Utc::now().timestamp(), &[]);
        for _ in 0..2 {
            let response = app
                .get(
                    &app.client,
                    &format!("/webhooks/shoprenter/uninstall?{query}"),
                )
                .await;
            assert_eq!(response.status(), 200);
        }
        let unknown = app.signed_query("ismeretlen", Utc::now().timestamp(), &[]);
        assert_eq!(
            app.get(
                &app.client,
                &format!("/webhooks/shoprenter/uninstall?{unknown}")
            )
            .await
            .status(),
            200
        );
        let bad = format!("{}0", app.signed_query(SHOP, Utc::now().timestamp(), &[]));
        assert_eq!(
            app.get(
                &app.client,
                &format!("/webhooks/shoprenter/uninstall?{bad}")
            )
            .await
            .status(),
            400
        );

        // Reinstall: same store row, active again, new token.
        let install = app.callback(merchant, SHOP).await;
        let response = app
            .get(merchant, &app.entry_url(SHOP, Some(&install)))
            .await;
        assert_eq!(store_id_from(&location(&response)), store_id);
        assert!(
            stores::find(&app.db, store_id)
                .await
                .unwrap()
                .unwrap()
                .is_active
        );
        assert!(tokens::load(&app.db, store_id)
            .await
            .unwrap()
            .unwrap()
            .access_token
            .is_some());
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_merchant_can_disconnect_and_reconnect_by_opening_the_app() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let merchant = &app.client;
        let store_id = app
            .install_for_new_merchant(merchant, SHOP, "anna@example.hu")
            .await;
        let response = app
            .post_form(merchant, &format!("/stores/{store_id}/disconnect"), &[])
            .await;
        assert_eq!(response.status(), 303, "{kind:?}");
        let store = stores::find(&app.db, store_id).await.unwrap().unwrap();
        assert!(!store.is_active);
        assert_eq!(store.disconnect_reason.as_deref(), Some("disconnected"));
        assert!(tokens::load(&app.db, store_id)
            .await
            .unwrap()
            .unwrap()
            .access_token
            .is_none());
        // Someone else's session cannot disconnect it.
        let stranger = browser(&app.address);
        app.sign_up(&stranger, "x@example.hu").await;
        assert_eq!(
            app.post_form(&stranger, &format!("/stores/{store_id}/disconnect"), &[])
                .await
                .status(),
            404
        );
        // Opening the still-installed app in the shop admin reconnects (the entry binds once).
        let response = app.get(merchant, &app.entry_url(SHOP, None)).await;
        assert_eq!(store_id_from(&location(&response)), store_id);
        assert!(
            stores::find(&app.db, store_id)
                .await
                .unwrap()
                .unwrap()
                .is_active
        );
        app.cleanup().await;
    }
}

/// The ticket's id alone, or with another secret, opens nothing: the id is time-ordered, so
/// only the secret makes the ticket unguessable.
#[tokio::test]
async fn an_install_ticket_with_a_wrong_secret_cannot_be_bound() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let merchant = &app.client;
        app.sign_up(merchant, "anna@example.hu").await;
        let install = app.callback(merchant, SHOP).await;
        let ticket = InstallTicket::parse(&install).unwrap();
        assert!(ticket.secret.is_some(), "{install}");
        let guessed = InstallTicket {
            secret: Some(uuid::Uuid::new_v4()),
            ..ticket
        };
        for forged in [guessed.to_string(), ticket.id.to_string()] {
            let response = app.get(merchant, &app.entry_url(SHOP, Some(&forged))).await;
            assert_eq!(response.status(), 410, "{kind:?} {forged}");
        }
        assert!(stores::find_by_shopname(&app.db, SHOP)
            .await
            .unwrap()
            .is_none());
        // The genuine ticket still binds.
        let response = app
            .get(merchant, &app.entry_url(SHOP, Some(&install)))
            .await;
        assert_eq!(response.status(), 303, "{kind:?}");
        store_id_from(&location(&response));
        app.cleanup().await;
    }
}

#[tokio::test]
async fn an_expired_pending_install_cannot_be_bound() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let merchant = &app.client;
        app.sign_up(merchant, "anna@example.hu").await;
        let install = app.callback(merchant, SHOP).await;
        // Age the pending install past its 15 minutes.
        let id = InstallTicket::parse(&install).unwrap().id;
        integration::storage::testing::expire_pending_install(&app.db, id)
            .await
            .unwrap();
        let response = app
            .get(merchant, &app.entry_url(SHOP, Some(&install)))
            .await;
        assert_eq!(response.status(), 410, "{kind:?}");
        assert!(stores::find_by_shopname(&app.db, SHOP)
            .await
            .unwrap()
            .is_none());
        app.cleanup().await;
    }
}

#[tokio::test]
async fn an_entry_without_sr_install_binds_once_and_survives_a_reload() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let merchant = &app.client;
        app.sim.state().install(SHOP, "55").unwrap();
        // ShopRenter might not forward our parameter: the signed entry itself starts the install.
        let entry = app.entry_url(SHOP, None);
        let first = app.get(merchant, &entry).await;
        assert!(location(&first).starts_with("/signin"), "{kind:?}");
        let reload = app.get(merchant, &entry).await;
        assert!(
            location(&reload).starts_with("/signin"),
            "a reload is not a replay"
        );
        app.sign_up(merchant, "anna@example.hu").await;
        let response = app.get(merchant, "/integrations/shoprenter/continue").await;
        let store_id = store_id_from(&location(&response));
        assert!(
            stores::find(&app.db, store_id)
                .await
                .unwrap()
                .unwrap()
                .is_active
        );
        app.cleanup().await;
    }
}
