//! The token vault against the simulator: seed Test Case 6, single flight, no plaintext at rest.

use std::sync::Arc;

use chrono::Utc;
use futures::future::join_all;
use integration::storage::testing::{dump_text, set_token_expiry};
use integration::storage::tokens;
use integration::{DbKind, Engine};
use secrecy::ExposeSecret;

use crate::helpers::{captured_logs, engines, settings_from, spawn_app, SHOP};

#[tokio::test]
async fn tc6_an_expiring_token_is_reacquired_and_stored() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let store_id = app
            .install_for_new_merchant(&app.client, SHOP, "anna@example.hu")
            .await;
        let vault = app.engine.tokens();
        let first = vault.get(store_id).await.unwrap();
        assert_eq!(
            app.token_requests().await,
            1,
            "{kind:?}: the stored token is reused"
        );
        let before = tokens::load(&app.db, store_id).await.unwrap().unwrap();

        // Less than five minutes left: the next caller gets a new token, stored encrypted.
        set_token_expiry(&app.db, store_id, Utc::now() + chrono::Duration::minutes(4))
            .await
            .unwrap();
        let second = vault.get(store_id).await.unwrap();
        assert_eq!(app.token_requests().await, 2);
        assert_ne!(
            first.access_token.expose_secret(),
            second.access_token.expose_secret()
        );
        let after = tokens::load(&app.db, store_id).await.unwrap().unwrap();
        assert_ne!(after.access_token, before.access_token);
        assert!(after.expires_at.unwrap() > Utc::now() + chrono::Duration::minutes(50));

        // After a 401 (the platform revoked it), one re-acquisition; a stale caller gets the new one.
        app.sim.state().expire_tokens(SHOP);
        let third = vault
            .invalidate_and_reacquire(store_id, &second.access_token)
            .await
            .unwrap();
        assert_eq!(app.token_requests().await, 3);
        let again = vault
            .invalidate_and_reacquire(store_id, &second.access_token)
            .await
            .unwrap();
        assert_eq!(
            again.access_token.expose_secret(),
            third.access_token.expose_secret()
        );
        assert_eq!(app.token_requests().await, 3);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn concurrent_callers_cause_exactly_one_token_request() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let store_id = app
            .install_for_new_merchant(&app.client, SHOP, "anna@example.hu")
            .await;
        tokens::wipe(&app.db, store_id, Utc::now()).await.unwrap();
        let before = app.token_requests().await;

        // Two engines on one database stand for two server instances (only PostgreSQL can
        // coordinate across processes; SQLite deployments run one instance).
        let mut engines_: Vec<Arc<Engine>> = vec![app.engine.clone()];
        if kind == DbKind::Postgres {
            let settings = settings_from(&app.vars);
            let (engine_settings, _) = server::routes::wiring::engine_settings(&settings)
                .await
                .unwrap();
            let db = integration::Db::connect(&app.vars["DATABASE_URL"])
                .await
                .unwrap();
            engines_.push(Engine::new(engine_settings, db).unwrap());
        }
        let calls = (0..12).map(|i| {
            let engine = engines_[i % engines_.len()].clone();
            async move { engine.tokens().get(store_id).await }
        });
        let results = join_all(calls).await;
        let tokens: Vec<String> = results
            .into_iter()
            .map(|r| r.unwrap().access_token.expose_secret().to_string())
            .collect();
        assert!(
            tokens.windows(2).all(|w| w[0] == w[1]),
            "everyone got the same token"
        );
        assert_eq!(
            app.token_requests().await - before,
            1,
            "{kind:?}: exactly one token request"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn an_undecryptable_token_is_reacquired() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let store_id = app
            .install_for_new_merchant(&app.client, SHOP, "anna@example.hu")
            .await;
        // The same database read with another TOKEN_ENCRYPTION_KEY (e.g. after a key change).
        let mut vars = app.vars.clone();
        vars.insert("TOKEN_ENCRYPTION_KEY".into(), "11".repeat(32));
        let (engine_settings, _) = server::routes::wiring::engine_settings(&settings_from(&vars))
            .await
            .unwrap();
        let other = Engine::new(engine_settings, app.db.clone()).unwrap();
        let before = app.token_requests().await;
        other.tokens().get(store_id).await.expect("re-acquired");
        assert_eq!(app.token_requests().await, before + 1, "{kind:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_failed_acquisition_marks_the_store_needs_attention() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let store_id = app
            .install_for_new_merchant(&app.client, SHOP, "anna@example.hu")
            .await;
        tokens::wipe(&app.db, store_id, Utc::now()).await.unwrap();
        let mut vars = app.vars.clone();
        vars.insert("SHOPRENTER_CLIENT_SECRET".into(), "wrong-secret".into());
        let (engine_settings, _) = server::routes::wiring::engine_settings(&settings_from(&vars))
            .await
            .unwrap();
        let wrong = Engine::new(engine_settings, app.db.clone()).unwrap();
        assert!(wrong.tokens().get(store_id).await.is_err(), "{kind:?}");
        let store = integration::storage::stores::find(&app.db, store_id)
            .await
            .unwrap()
            .unwrap();
        let reason = store.needs_attention.expect("needs attention");
        assert!(reason.contains("Could not get an API token"), "{reason}");
        // The store page shows it; a later success clears it.
        let page = app
            .get(&app.client, &format!("/stores/{store_id}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("Figyelmet igényel"), "needs-attention badge");
        app.engine.tokens().get(store_id).await.unwrap();
        let store = integration::storage::stores::find(&app.db, store_id)
            .await
            .unwrap()
            .unwrap();
        assert!(store.needs_attention.is_none());
        app.cleanup().await;
    }
}

#[tokio::test]
async fn no_token_plaintext_in_the_database_or_the_logs() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let store_id = app
            .install_for_new_merchant(&app.client, SHOP, "anna@example.hu")
            .await;
        let token = app.engine.tokens().get(store_id).await.unwrap();
        let plaintext = token.access_token.expose_secret().to_string();
        assert!(plaintext.len() > 20);
        // Any recognisable piece of the JWT (its signature part) must not be at rest.
        let needle = plaintext.rsplit('.').next().unwrap().to_string();
        assert!(needle.len() >= 16);
        let dump = dump_text(&app.db).await.unwrap();
        assert!(dump.contains(SHOP), "the dump sees the data");
        assert!(
            !dump.contains(&needle),
            "{kind:?}: token plaintext in the database"
        );
        if let Some(file) = app.sqlite_file() {
            for suffix in ["", "-wal"] {
                let path = format!("{}{suffix}", file.display());
                if let Ok(bytes) = std::fs::read(&path) {
                    assert!(
                        !String::from_utf8_lossy(&bytes).contains(&needle),
                        "plaintext in {path}"
                    );
                }
            }
        }
        let logs = captured_logs();
        assert!(logs.contains("API token acquired"), "logs were captured");
        assert!(!logs.contains(&needle), "token plaintext in the logs");
        assert!(
            !logs.contains(&app.registration.client_secret),
            "client secret in the logs"
        );
        assert!(
            !logs.contains(crate::helpers::PASSWORD),
            "password in the logs"
        );
        app.cleanup().await;
    }
}
