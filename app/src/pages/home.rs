use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::{get_site_info, GetSiteInfo, SiteInfo};
use crate::components::{BTN_PRIMARY, BTN_SECONDARY};
use crate::i18n::{use_i18n, Key};

#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    let info = Resource::new(|| (), |_| get_site_info());
    let check = ServerAction::<GetSiteInfo>::new();
    // Effects run only in the browser, so this flips once the wasm is alive.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    let feature = move |title: Key, text: Key| {
        view! {
            <div class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
                <h2 class="font-semibold text-slate-900">{i18n.t(title)}</h2>
                <p class="mt-1.5 text-sm text-slate-600">{i18n.t(text)}</p>
            </div>
        }
    };

    view! {
        <div class="space-y-10">
            <Suspense fallback=|| view! { <div class="h-0"></div> }>
                {move || info.get().map(|result| match result {
                    Ok(info) => view! { <DemoBanner info/> }.into_any(),
                    Err(_) => view! {
                        <p role="alert" class="text-red-700">{i18n.t(Key::ErrUnavailable)}</p>
                    }.into_any(),
                })}
            </Suspense>
            <section class="grid items-center gap-8 lg:grid-cols-2">
                <div class="space-y-5">
                    <p class="inline-flex rounded-full bg-brand-50 px-3 py-1 text-xs font-semibold text-brand-800 ring-1 ring-brand-600/20">"ShopCall.ai × ShopRenter"</p>
                    <h1 class="text-3xl font-bold tracking-tight text-slate-900 sm:text-4xl">{i18n.t(Key::HomeTitle)}</h1>
                    <p class="text-lg text-slate-600">{i18n.t(Key::HomeLead)}</p>
                    <div class="flex flex-wrap gap-3">
                        <A href="/signup" attr:class=BTN_PRIMARY>{i18n.t(Key::HomeCtaStart)}</A>
                        <A href="/integrations" attr:class=BTN_SECONDARY>{i18n.t(Key::HomeCtaIntegrations)}</A>
                    </div>
                </div>
                <div class="rounded-2xl bg-gradient-to-br from-brand-700 to-brand-800 p-6 text-white shadow-lg">
                    <p class="text-sm font-medium text-brand-100">{i18n.t(Key::Tagline)}</p>
                    <ol class="mt-4 space-y-3 text-sm">
                        <li class="flex gap-3"><span class="flex h-6 w-6 shrink-0 items-center justify-center rounded-full bg-white/15 font-bold">"1"</span>{i18n.t(Key::InstallStep1)}</li>
                        <li class="flex gap-3"><span class="flex h-6 w-6 shrink-0 items-center justify-center rounded-full bg-white/15 font-bold">"2"</span>{i18n.t(Key::InstallStep3)}</li>
                        <li class="flex gap-3"><span class="flex h-6 w-6 shrink-0 items-center justify-center rounded-full bg-white/15 font-bold">"3"</span>{i18n.t(Key::InstallStep4)}</li>
                    </ol>
                </div>
            </section>
            <section class="grid gap-4 sm:grid-cols-3">
                {feature(Key::HomeFeature1Title, Key::HomeFeature1Text)}
                {feature(Key::HomeFeature2Title, Key::HomeFeature2Text)}
                {feature(Key::HomeFeature3Title, Key::HomeFeature3Text)}
            </section>
            <div class="flex flex-wrap items-center gap-4 text-sm">
                <button id="check-server" class=BTN_SECONDARY on:click=move |_| { check.dispatch(GetSiteInfo {}); }>
                    {i18n.t(Key::CheckServer)}
                </button>
                <span id="check-result" aria-live="polite">
                    {move || check.value().get().map(|r| match r {
                        Ok(SiteInfo { database_ready: true, .. }) => i18n.t(Key::DatabaseOk)(),
                        Ok(_) => i18n.t(Key::DatabaseDown)(),
                        Err(_) => i18n.t(Key::SomethingWrong)(),
                    })}
                </span>
                <span id="status" class="text-xs text-slate-400">
                    {move || if hydrated.get() { "hydrated" } else { "not hydrated" }}
                </span>
            </div>
        </div>
    }
}

#[component]
pub fn DemoBanner(info: SiteInfo) -> impl IntoView {
    let i18n = use_i18n();
    info.demo_mode.then(|| {
        view! {
            <div id="demo-banner" class="rounded-lg border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900">
                <strong>{i18n.t(Key::DemoMode)}</strong>
                {i18n.t(Key::DemoModeText)}
            </div>
        }
    })
}
