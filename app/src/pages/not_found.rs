use leptos::prelude::*;

use crate::components::LINK;
use crate::i18n::{use_i18n, Key};

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    let i18n = use_i18n();
    view! {
        <section class="mx-auto max-w-lg py-16 text-center">
            <p class="text-5xl font-bold text-brand-700">"404"</p>
            <h1 class="mt-4 text-2xl font-semibold">{i18n.t(Key::NotFoundTitle)}</h1>
            <a class=format!("mt-6 inline-block {LINK}") href="/">{i18n.t(Key::BackHome)}</a>
        </section>
    }
}
