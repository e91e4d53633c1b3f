//! Integrations: the platform cards (ShopRenter live, the others announced) with the ShopRenter
//! connect card of the seed design, and the merchant's connected shops.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::A;

use crate::api::stores::{list_stores, ConnectShoprenter, StoreState, StoreSummary};
use crate::components::{
    Badge, Card, EmptyState, ErrorText, Field, FriendlyError, Loading, RequireAuth, Spinner, Tone,
    BTN_PRIMARY, LINK,
};
use crate::error::AppError;
use crate::i18n::{format_datetime, use_i18n, Key};
use crate::validate;

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    view! { <RequireAuth><Integrations/></RequireAuth> }
}

#[component]
fn Integrations() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="space-y-10">
            <header>
                <h1 class="text-2xl font-bold tracking-tight text-slate-900 sm:text-3xl">{i18n.t(Key::IntegrationsTitle)}</h1>
                <p class="mt-1 text-slate-600">{i18n.t(Key::IntegrationsLead)}</p>
            </header>
            <section aria-labelledby="platforms-title" class="space-y-4">
                <h2 id="platforms-title" class="text-lg font-semibold text-slate-900">{i18n.t(Key::PlatformsTitle)}</h2>
                <div class="grid gap-6 md:grid-cols-3">
                    <div class="md:col-span-2 md:row-span-2"><ShopRenterConnect/></div>
                    <ComingSoonCard name="Shopify" tagline=Key::ShopifyTagline initial="S" color="bg-emerald-600"/>
                    <ComingSoonCard name="WooCommerce" tagline=Key::WooTagline initial="W" color="bg-violet-700"/>
                </div>
            </section>
            <ConnectedStores/>
        </div>
    }
}

#[component]
fn ShopRenterConnect() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<ConnectShoprenter>::new();
    let shopname = RwSignal::new(String::new());
    let touched = RwSignal::new(false);
    let error = Signal::derive(move || {
        if touched.get() {
            if let Err(e) = validate::shop_name(&shopname.get()) {
                return Some(e.message());
            }
        }
        match action.value().get() {
            Some(Err(AppError::Invalid(e))) => Some(e.message()),
            _ => None,
        }
    });
    let other_error = move || match action.value().get() {
        Some(Err(e @ (AppError::NotSignedIn | AppError::Unavailable | AppError::Network))) => {
            Some(e)
        }
        _ => None,
    };
    let pending = action.pending();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        if let Ok(name) = validate::shop_name(&shopname.get_untracked()) {
            action.dispatch(ConnectShoprenter { shopname: name });
        }
    };
    view! {
        <Card id="shoprenter-card" class="h-full ring-2 ring-brand-500/40">
            <div class="flex items-center justify-between gap-3">
                <div class="flex items-center gap-3">
                    <span class="flex h-10 w-10 items-center justify-center rounded-lg bg-brand-500 text-lg font-black text-white" aria-hidden="true">"S"</span>
                    <h3 class="text-lg font-semibold text-slate-900">"ShopRenter"</h3>
                </div>
                <Badge tone=Tone::Green text=Key::Live/>
            </div>
            <p class="mt-2 text-sm text-slate-600">{i18n.t(Key::ShopRenterTagline)}</p>
            <div class="mt-4 grid gap-6 lg:grid-cols-2">
            <form id="connect-form" method="post" action=ConnectShoprenter::PATH novalidate on:submit=on_submit class="space-y-3">
                <Field
                    id="shopname" name="shopname" label=Key::ShopNameLabel placeholder="pelda"
                    suffix=".myshoprenter.hu" help=Some(Key::ShopNameHelp)
                    autocomplete="off" value=shopname error=error
                    on_blur=Callback::new(move |_| { if !shopname.get_untracked().is_empty() { touched.set(true) } })
                />
                {move || other_error().map(|error| view! { <ErrorText error/> })}
                <button id="connect-button" type="submit" class=format!("{BTN_PRIMARY} w-full") disabled=move || pending.get()>
                    {move || pending.get().then(|| view! { <Spinner/> })}
                    {move || if pending.get() { i18n.t(Key::Connecting)() } else { i18n.t(Key::ConnectButton)() }}
                </button>
            </form>
            <div class="rounded-lg bg-slate-50 p-4">
                <h4 class="text-sm font-semibold text-slate-900">{i18n.t(Key::InstallStepsTitle)}</h4>
                <ol class="mt-2 list-inside list-decimal space-y-1 text-sm text-slate-700">
                    <li>{i18n.t(Key::InstallStep1)}</li>
                    <li>{i18n.t(Key::InstallStep2)}</li>
                    <li>{i18n.t(Key::InstallStep3)}</li>
                    <li>{i18n.t(Key::InstallStep4)}</li>
                </ol>
            </div>
            </div>
        </Card>
    }
}

#[component]
fn ComingSoonCard(
    name: &'static str,
    tagline: Key,
    initial: &'static str,
    color: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Card class="flex flex-col opacity-90">
            <div class="flex items-center justify-between gap-3">
                <div class="flex items-center gap-3">
                    <span class=format!("flex h-10 w-10 items-center justify-center rounded-lg text-lg font-black text-white {color}") aria-hidden="true">{initial}</span>
                    <h3 class="text-lg font-semibold text-slate-900">{name}</h3>
                </div>
                <Badge tone=Tone::Slate text=Key::ComingSoon/>
            </div>
            <p class="mt-2 text-sm text-slate-600">{i18n.t(tagline)}</p>
            <button type="button" disabled class="mt-4 w-full cursor-not-allowed rounded-lg border border-dashed border-slate-300 px-4 py-2.5 text-sm font-medium text-slate-500">
                {i18n.t(Key::ComingSoon)}
            </button>
        </Card>
    }
}

pub fn state_badge(state: StoreState) -> impl IntoView {
    let (tone, key) = match state {
        StoreState::Active => (Tone::Green, Key::StatusActive),
        StoreState::NeedsAttention => (Tone::Amber, Key::StatusNeedsAttention),
        StoreState::Uninstalled => (Tone::Red, Key::StatusUninstalled),
        StoreState::Disconnected => (Tone::Slate, Key::StatusDisconnected),
    };
    view! { <Badge tone text=key id="store-status".to_string()/> }
}

#[component]
fn ConnectedStores() -> impl IntoView {
    let i18n = use_i18n();
    let stores = Resource::new(|| (), |_| list_stores());
    view! {
        <section aria-labelledby="stores-title" class="space-y-4">
            <h2 id="stores-title" class="text-lg font-semibold text-slate-900">{i18n.t(Key::ConnectedStoresTitle)}</h2>
            <Suspense fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match stores.await {
                        Ok(list) if list.is_empty() => view! { <EmptyState title=Key::NoStores text=Key::NoStoresText/> }.into_any(),
                        Ok(list) => view! {
                            <ul id="store-list" class="divide-y divide-slate-200 overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm">
                                {list.into_iter().map(|s| view! { <StoreRow store=s/> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <FriendlyError error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn StoreRow(store: StoreSummary) -> impl IntoView {
    let i18n = use_i18n();
    let href = crate::pages::store::overview_path(&store.id);
    let last_sync = store.last_sync_at;
    view! {
        <li class="flex flex-col gap-3 p-4 sm:flex-row sm:items-center sm:justify-between">
            <div class="min-w-0">
                <div class="flex flex-wrap items-center gap-2">
                    <span class="font-semibold text-slate-900">{format!("{}.myshoprenter.hu", store.shopname)}</span>
                    {state_badge(store.state)}
                </div>
                <p class="mt-1 text-sm text-slate-600">
                    {i18n.t(Key::LastSync)}": "
                    {move || match last_sync {
                        Some(at) => format_datetime(i18n.get(), at),
                        None => i18n.t(Key::Never)().to_owned(),
                    }}
                </p>
            </div>
            <A href=href attr:class=format!("{LINK} text-sm") attr:data-shop=store.shopname.clone()>{i18n.t(Key::OpenStore)}" →"</A>
        </li>
    }
}
