//! Pages of the merchant UI.

use leptos::prelude::*;

use crate::api::{get_site_info, GetSiteInfo, SiteInfo};

#[component]
pub fn HomePage() -> impl IntoView {
    let info = Resource::new(|| (), |_| get_site_info());
    let check = ServerAction::<GetSiteInfo>::new();
    // Effects run only in the browser, so this flips once the wasm is alive.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <section class="mx-auto max-w-3xl p-6 space-y-6">
            <h1 class="text-3xl font-bold">"ShopCall.ai × ShopRenter"</h1>
            <Suspense fallback=|| view! { <p class="text-slate-500">"Betöltés…"</p> }>
                {move || info.get().map(|result| match result {
                    Ok(info) => view! { <DemoBanner info/> }.into_any(),
                    Err(_) => view! {
                        <p role="alert" class="text-red-700">"A szerver most nem érhető el."</p>
                    }.into_any(),
                })}
            </Suspense>
            <div class="flex items-center gap-4">
                <button
                    id="check-server"
                    class="rounded-md bg-lime-700 px-4 py-2 font-medium text-white hover:bg-lime-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-lime-500"
                    on:click=move |_| { check.dispatch(GetSiteInfo {}); }
                >
                    "Szerver ellenőrzése"
                </button>
                <span id="check-result" aria-live="polite">
                    {move || check.value().get().map(|r| match r {
                        Ok(SiteInfo { database_ready: true, .. }) => "Adatbázis: rendben",
                        Ok(_) => "Adatbázis: nem elérhető",
                        Err(_) => "Hiba történt",
                    })}
                </span>
            </div>
            <p id="status" class="text-xs text-slate-400">
                {move || if hydrated.get() { "hydrated" } else { "not hydrated" }}
            </p>
        </section>
    }
}

#[component]
fn DemoBanner(info: SiteInfo) -> impl IntoView {
    info.demo_mode.then(|| {
        view! {
            <div id="demo-banner" class="rounded-md border border-amber-300 bg-amber-50 p-4 text-amber-900">
                <strong>"Demó mód"</strong>
                " — nincs ShopRenter hozzáférés beállítva, a beépített ShopRenter szimulátor fut."
            </div>
        }
    })
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <section class="mx-auto max-w-3xl p-6">
            <h1 class="text-2xl font-semibold">"Az oldal nem található"</h1>
            <a class="text-lime-800 underline" href="/">"Vissza a kezdőlapra"</a>
        </section>
    }
}
