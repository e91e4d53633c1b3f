//! Merchant accounts over the HTML forms: sessions, cookies, CSRF, rate limiting.

use reqwest::header::{ORIGIN, SET_COOKIE};

use crate::helpers::{browser, engines, location, spawn_app, PASSWORD};

#[tokio::test]
async fn sign_up_sign_out_and_sign_in_again() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let client = &app.client;
        let response = app
            .post_form(
                client,
                "/auth/signup",
                &[
                    ("email", " Anna@Example.HU "),
                    ("password", PASSWORD),
                    ("next", "/stores"),
                ],
            )
            .await;
        assert_eq!(response.status(), 303, "{kind:?}");
        assert_eq!(location(&response), "/stores");
        let cookie = response
            .headers()
            .get(SET_COOKIE)
            .expect("session cookie")
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        assert!(!cookie.contains("Secure"), "plain-http test site");
        assert!(
            app.sign_up(client, "anna@example.hu").await.status() == 409,
            "taken, normalised"
        );

        assert_eq!(
            app.post_form(client, "/auth/signout", &[]).await.status(),
            303
        );
        let wrong = app
            .post_form(
                client,
                "/auth/signin",
                &[("email", "anna@example.hu"), ("password", "wrong password")],
            )
            .await;
        assert_eq!(wrong.status(), 401);
        assert!(wrong.text().await.unwrap().contains("wrong"));
        let ok = app
            .post_form(
                client,
                "/auth/signin",
                &[
                    ("email", "anna@example.hu"),
                    ("password", PASSWORD),
                    ("next", "//evil.com"),
                ],
            )
            .await;
        assert_eq!(ok.status(), 303);
        assert_eq!(location(&ok), "/", "no open redirect through next");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn bad_sign_up_input_is_refused() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        for (email, password) in [("not-an-email", PASSWORD), ("a@example.hu", "short")] {
            let response = app
                .post_form(
                    &app.client,
                    "/auth/signup",
                    &[("email", email), ("password", password)],
                )
                .await;
            assert_eq!(response.status(), 400, "{email} on {kind:?}");
        }
        app.cleanup().await;
    }
}

#[tokio::test]
async fn repeated_wrong_passwords_are_rate_limited() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        app.sign_up(&app.client, "anna@example.hu").await;
        let attacker = browser(&app.address);
        let mut statuses = Vec::new();
        for _ in 0..7 {
            let r = app
                .post_form(
                    &attacker,
                    "/auth/signin",
                    &[("email", "anna@example.hu"), ("password", "guess guess")],
                )
                .await;
            statuses.push(r.status().as_u16());
        }
        assert_eq!(&statuses[..5], &[401; 5], "{kind:?}");
        assert_eq!(statuses[6], 429);
        // Even the right password waits out the limit from this address.
        let r = app
            .post_form(
                &attacker,
                "/auth/signin",
                &[("email", "anna@example.hu"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(r.status(), 429);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        app.sign_up(&app.client, "anna@example.hu").await;
        let forged = app
            .client
            .post(app.url("/auth/signout"))
            .header(ORIGIN, "https://evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 403, "{kind:?}");
        let forged = app
            .client
            .post(app.url("/auth/signout"))
            .header("sec-fetch-site", "cross-site")
            .header(ORIGIN, "null")
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 403);
        // A cookie-bearing POST with no origin information at all is refused too.
        let bare = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = bare
            .post(app.url("/auth/signin"))
            .header("cookie", "shopcall_session=x")
            .form(&[("email", "a@b.hu"), ("password", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        // Same-origin works.
        assert_eq!(
            app.post_form(&app.client, "/auth/signout", &[])
                .await
                .status(),
            303
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn store_pages_require_sign_in() {
    for kind in engines() {
        let app = spawn_app(kind).await;
        let id = uuid::Uuid::new_v4();
        // As a browser asks: Leptos answers a page navigation with a real 302.
        let response = app
            .client
            .get(app.url(&format!("/stores/{id}")))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_redirection(),
            "{kind:?} {}",
            response.status()
        );
        assert_eq!(
            location(&response),
            format!("/signin?next=%2Fstores%2F{id}")
        );
        app.cleanup().await;
    }
}
