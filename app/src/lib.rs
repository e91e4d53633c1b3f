//! The merchant-facing UI: Leptos pages rendered on the server and hydrated in the browser.
//!
//! | Module | Concern |
//! |---|---|
//! | [`api`] | thin server functions: take the engine from context, call it, map errors |
//! | [`components`] | the page frame and shared building blocks |
//! | [`pages`] | one module per area: auth, integrations, store, data |
//! | [`i18n`] | every text in Hungarian and English, number/money/date formats |
//! | [`validate`] | input rules shared by the browser and the server functions |
//! | [`error`] | the one error type that crosses the wire (no internal detail) |

pub mod api;
pub mod components;
pub mod error;
pub mod i18n;
pub mod pages;
pub mod validate;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

use components::{AuthCtx, FriendlyError, Layout};
use i18n::{initial_lang, I18n};

/// The HTML document around the app; the server renders it for every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // <html lang> carries the cookie's language to the browser, which reads it back on hydration.
    let lang = initial_lang();
    view! {
        <!DOCTYPE html>
        <html lang=lang.code()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="theme-color" content="#557311"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900 antialiased">
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(I18n {
        lang: RwSignal::new(initial_lang()),
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/shopcall.css"/>
        <Title text="ShopCall.ai"/>
        <Router>
            <Frame/>
        </Router>
    }
}

/// Inside the router, so actions see errors a plain form post carried back in the URL.
#[component]
fn Frame() -> impl IntoView {
    AuthCtx::provide();
    // A marker for tests and styles: the wasm is alive and the page is interactive.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    // Async: the server renders the finished page (no loading flash, no layout jump on hydration,
    // and a sign-in redirect can still set its status).
    view! {
        <Layout>
            <ErrorBoundary fallback=|_| view! { <FriendlyError/> }>
                <Routes fallback=pages::NotFound>
                    <Route path=path!("") view=pages::HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/signin") view=pages::SignInPage ssr=SsrMode::Async/>
                    <Route path=path!("/signup") view=pages::SignUpPage ssr=SsrMode::Async/>
                    <Route path=path!("/integrations") view=pages::IntegrationsPage ssr=SsrMode::Async/>
                    <Route path=path!("/stores/:id") view=pages::StorePage ssr=SsrMode::Async/>
                    <Route path=path!("/stores/:id/products") view=pages::ProductsPage ssr=SsrMode::Async/>
                    <Route path=path!("/stores/:id/customers") view=pages::CustomersPage ssr=SsrMode::Async/>
                    <Route path=path!("/stores/:id/orders") view=pages::OrdersPage ssr=SsrMode::Async/>
                    <Route path=path!("/stores/:id/orders/:order") view=pages::OrderPage ssr=SsrMode::Async/>
                </Routes>
            </ErrorBoundary>
        </Layout>
    }
}
