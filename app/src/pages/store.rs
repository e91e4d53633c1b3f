//! One connected shop: status, permissions, token, webhook health, live sync progress, sync now,
//! disconnect, and the assistant's API keys.

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::keys::{list_api_keys, ApiKeyRow};
use crate::api::stores::{
    get_store, Attention, DisconnectStore, GetStore, GetSyncStatus, ProgressState,
    Resource as SyncResource, StoreDetail, StoreState, SyncNow, SyncView, WebhookInfo,
};
use crate::components::{
    Alert, Card, ErrorText, FriendlyError, Loading, ProgressBar, RequireAuth, Spinner, Tone,
    BTN_DANGER, BTN_SECONDARY, LINK,
};
use crate::error::AppError;
use crate::i18n::{format_datetime, format_int, use_i18n, Key, Lang};
use crate::pages::integrations::state_badge;

/// The store page; the install flow's EntryPoint lands here too.
pub fn overview_path(id: &str) -> String {
    format!("/stores/{id}")
}

pub fn use_store_id() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.with(|p| p.get("id")).unwrap_or_default())
}

/// The store's sub-navigation: overview and the three data pages.
#[component]
pub fn StoreTabs(id: String, shopname: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    let tab = |href: String, key: Key| {
        view! {
            <A href=href exact=true attr:class="whitespace-nowrap border-b-2 border-transparent px-1 pb-3 text-sm font-medium text-slate-600 hover:border-slate-300 hover:text-slate-900 aria-[current=page]:border-brand-600 aria-[current=page]:text-brand-800 focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-600">
                {i18n.t(key)}
            </A>
        }
    };
    view! {
        <div class="space-y-4">
            <p class="text-sm"><A href="/integrations" attr:class=LINK>"← "{i18n.t(Key::NavIntegrations)}</A></p>
            {shopname.map(|s| view! { <h1 id="store-title" class="text-2xl font-bold tracking-tight text-slate-900 sm:text-3xl">{format!("{s}.myshoprenter.hu")}</h1> })}
            <nav aria-label=i18n.t(Key::ViewData) class="-mb-px flex gap-6 overflow-x-auto border-b border-slate-200">
                {tab(overview_path(&id), Key::StoreOverview)}
                {tab(format!("/stores/{id}/products"), Key::NavProducts)}
                {tab(format!("/stores/{id}/customers"), Key::NavCustomers)}
                {tab(format!("/stores/{id}/orders"), Key::NavOrders)}
            </nav>
        </div>
    }
}

#[component]
pub fn StorePage() -> impl IntoView {
    view! { <RequireAuth><StoreOverview/></RequireAuth> }
}

#[component]
fn StoreOverview() -> impl IntoView {
    let id = use_store_id();
    let disconnect = ServerAction::<DisconnectStore>::new();
    // Bumped when a sync finishes: the webhooks card looks again (registration runs meanwhile).
    provide_context(StoreRefresh(RwSignal::new(0u32)));
    let detail = Resource::new(
        move || (id.get(), disconnect.version().get()),
        |(id, _)| get_store(id),
    );
    // Created here, beside `detail`, not inside the `Suspend` below (see `ApiKeys`).
    let keys = Resource::new(move || id.get(), list_api_keys);
    view! {
        <Transition fallback=|| view! { <Loading lines=6/> }>
            {move || Suspend::new(async move {
                let keys = keys.await;
                match detail.await {
                    Ok(d) => view! { <StoreBody detail=d keys disconnect/> }.into_any(),
                    Err(error) => view! { <FriendlyError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[derive(Clone, Copy)]
struct StoreRefresh(RwSignal<u32>);

fn when(lang: Lang, at: Option<i64>) -> String {
    match at {
        Some(at) => format_datetime(lang, at),
        None => crate::i18n::t(lang, Key::Never).to_owned(),
    }
}

#[component]
fn StoreBody(
    detail: StoreDetail,
    keys: Result<Vec<ApiKeyRow>, AppError>,
    disconnect: ServerAction<DisconnectStore>,
) -> impl IntoView {
    let i18n = use_i18n();
    let s = detail.summary.clone();
    let active = matches!(s.state, StoreState::Active | StoreState::NeedsAttention);
    let notice = match (s.state, s.attention) {
        (StoreState::NeedsAttention, Some(Attention::Token)) => {
            Some((Tone::Amber, Key::AttentionReasonToken))
        }
        (StoreState::NeedsAttention, _) => Some((Tone::Amber, Key::AttentionReasonGeneric)),
        (StoreState::Uninstalled, _) => Some((Tone::Red, Key::UninstalledText)),
        (StoreState::Disconnected, _) => Some((Tone::Slate, Key::DisconnectedText)),
        _ => None,
    };
    let token_expires = detail.token_expires_at;
    let connected_at = s.connected_at;
    let (id1, id2, id3, id4, id5) = (
        s.id.clone(),
        s.id.clone(),
        s.id.clone(),
        s.id.clone(),
        s.id.clone(),
    );
    view! {
        <div class="space-y-6">
            <StoreTabs id=id1 shopname=Some(s.shopname.clone())/>
            {notice.map(|(tone, key)| view! { <Alert tone><span id="store-notice">{i18n.t(key)}</span></Alert> })}
            <div class="grid gap-6 lg:grid-cols-3">
                <Card class="lg:col-span-2">
                    <SyncPanel id=id2 active initial=detail.sync.clone()/>
                </Card>
                <Card>
                    <h2 class="text-base font-semibold text-slate-900">{i18n.t(Key::StoreOverview)}</h2>
                    <dl class="mt-4 space-y-3 text-sm">
                        <div class="flex items-center justify-between gap-3">
                            <dt class="text-slate-600">{i18n.t(Key::ColStatus)}</dt>
                            <dd>{state_badge(s.state)}</dd>
                        </div>
                        <div class="flex justify-between gap-3">
                            <dt class="text-slate-600">{i18n.t(Key::ConnectedSince)}</dt>
                            <dd class="text-right text-slate-900">{move || when(i18n.get(), connected_at)}</dd>
                        </div>
                        <div class="flex justify-between gap-3">
                            <dt class="text-slate-600">{i18n.t(Key::TokenExpiry)}</dt>
                            <dd id="token-expiry" class="text-right text-slate-900">
                                {move || match token_expires {
                                    Some(at) => format_datetime(i18n.get(), at),
                                    None => i18n.t(Key::TokenNone)().to_owned(),
                                }}
                            </dd>
                        </div>
                    </dl>
                    {active.then(|| view! { <DisconnectBox id=id3.clone() action=disconnect/> })}
                </Card>
            </div>
            <div class="grid gap-6 lg:grid-cols-2">
                <Card id="scopes-card">
                    <h2 class="text-base font-semibold text-slate-900">{i18n.t(Key::ScopesTitle)}</h2>
                    {if detail.missing_scopes.is_empty() {
                        view! { <p class="mt-3 text-sm text-brand-800">{i18n.t(Key::ScopesAllGranted)}</p> }.into_any()
                    } else {
                        view! {
                            <div class="mt-3 space-y-3 text-sm">
                                <p class="text-amber-900">{i18n.t(Key::ScopesMissing)}</p>
                                <ul class="flex flex-wrap gap-2">
                                    {detail.missing_scopes.iter().map(|m| view! { <li class="rounded bg-amber-50 px-2 py-0.5 font-mono text-xs text-amber-900">{m.clone()}</li> }).collect_view()}
                                </ul>
                                {detail.reapprove_url.clone().map(|href| view! {
                                    <a id="reapprove" class=LINK href=href target="_blank" rel="noopener">{i18n.t(Key::Reapprove)}" ↗"</a>
                                })}
                            </div>
                        }.into_any()
                    }}
                    {(!detail.scopes.is_empty()).then(|| view! {
                        <ul class="mt-4 flex flex-wrap gap-1.5">
                            {detail.scopes.iter().map(|g| view! { <li class="rounded bg-slate-100 px-2 py-0.5 font-mono text-xs text-slate-700">{g.clone()}</li> }).collect_view()}
                        </ul>
                    })}
                </Card>
                <Card id="webhooks-card">
                    <h2 class="text-base font-semibold text-slate-900">{i18n.t(Key::WebhooksTitle)}</h2>
                    <LiveWebhooks id=id5 initial=detail.webhooks.clone()/>
                </Card>
            </div>
            <crate::pages::keys::ApiKeys id=id4 active initial=keys/>
        </div>
    }
}

/// The webhooks table, fetched again (in the browser only) after a sync finishes.
#[component]
fn LiveWebhooks(id: String, initial: Vec<WebhookInfo>) -> impl IntoView {
    let refresh = use_context::<StoreRefresh>().map(|StoreRefresh(r)| r);
    let hooks = RwSignal::new(initial);
    let fetch = ServerAction::<GetStore>::new();
    let id = StoredValue::new(id);
    Effect::new(move |prev: Option<u32>| {
        let n = refresh.map(|r| r.get()).unwrap_or(0);
        if prev.is_some_and(|p| p != n) {
            fetch.dispatch(GetStore { id: id.get_value() });
        }
        n
    });
    Effect::new(move |_| {
        if let Some(Ok(detail)) = fetch.value().get() {
            hooks.set(detail.webhooks);
        }
    });
    move || view! { <Webhooks hooks=hooks.get()/> }
}

#[component]
fn Webhooks(hooks: Vec<WebhookInfo>) -> impl IntoView {
    let i18n = use_i18n();
    if hooks.is_empty() {
        return view! { <p class="mt-3 text-sm text-slate-600">{i18n.t(Key::NoWebhooks)}</p> }
            .into_any();
    }
    view! {
        <div class="mt-3 overflow-x-auto">
            <table class="w-full text-left text-sm">
                <thead class="text-xs uppercase text-slate-500">
                    <tr>
                        <th scope="col" class="py-2 pr-3 font-medium">{i18n.t(Key::WebhookEvent)}</th>
                        <th scope="col" class="py-2 pr-3 font-medium">{i18n.t(Key::WebhookLastReceived)}</th>
                        <th scope="col" class="py-2 text-right font-medium">{i18n.t(Key::WebhookTotal)}</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {hooks.into_iter().map(|h| {
                        let (tone, key) = if !h.active {
                            ("text-slate-500", Key::WebhookInactive)
                        } else if h.last_received_at.is_some() {
                            ("text-brand-800", Key::WebhookHealthy)
                        } else {
                            ("text-slate-600", Key::WebhookNoDeliveries)
                        };
                        let last = h.last_received_at;
                        let total = h.total_received;
                        view! {
                            <tr data-event=h.event.clone()>
                                <td class="py-2 pr-3"><span class="font-mono text-xs">{h.event.clone()}</span><br/><span class=format!("text-xs {tone}")>{i18n.t(key)}</span></td>
                                <td class="py-2 pr-3 text-slate-700">{move || last.map(|at| format_datetime(i18n.get(), at)).unwrap_or_else(|| "—".into())}</td>
                                <td class="py-2 text-right tabular-nums text-slate-900">{move || format_int(i18n.get(), total)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }.into_any()
}

fn resource_key(r: SyncResource) -> Key {
    match r {
        SyncResource::Products => Key::ResProducts,
        SyncResource::Categories => Key::ResCategories,
        SyncResource::Customers => Key::ResCustomers,
        SyncResource::Orders => Key::ResOrders,
        SyncResource::OrderStatuses => Key::ResOrderStatuses,
    }
}

/// The live progress: rendered on the server from the page's first answer, then refreshed through
/// a server function — every second while a sync runs, every few seconds otherwise (a sync queued
/// later, by the scheduler or "sync now", shows up without a reload).
#[component]
fn SyncPanel(id: String, active: bool, initial: SyncView) -> impl IntoView {
    let i18n = use_i18n();
    let poll = ServerAction::<GetSyncStatus>::new();
    let sync_now = ServerAction::<SyncNow>::new();
    let view_now = RwSignal::new(initial);
    let refresh = use_context::<StoreRefresh>();
    Effect::new(move |_| {
        if let Some(Ok(view)) = poll.value().get() {
            let finished = view_now.get_untracked().running && !view.running;
            view_now.set(view);
            if finished {
                if let Some(StoreRefresh(r)) = refresh {
                    r.update(|n| *n += 1);
                }
            }
        }
    });
    let id_for_poll = StoredValue::new(id.clone());
    // After "sync now", look again at once.
    Effect::new(move |_| {
        if sync_now.version().get() > 0 {
            poll.dispatch(GetSyncStatus {
                id: id_for_poll.get_value(),
            });
        }
    });
    // Started from an effect, i.e. only in the browser once this panel has hydrated.
    #[cfg(feature = "hydrate")]
    Effect::new(move |started: Option<bool>| {
        if started.is_some() {
            return true;
        }
        let ticks = std::cell::Cell::new(0u32);
        let handle = set_interval_with_handle(
            move || {
                let n = ticks.get().wrapping_add(1);
                ticks.set(n);
                let running = view_now.get_untracked().running;
                // A poll that has not answered in 10 s is given up on (a dropped connection would
                // otherwise stop the bar for good).
                let waiting = poll.pending().get_untracked() && !n.is_multiple_of(10);
                if (running || n.is_multiple_of(IDLE_POLL_TICKS)) && !waiting {
                    poll.dispatch(GetSyncStatus {
                        id: id_for_poll.get_value(),
                    });
                }
            },
            Duration::from_secs(1),
        );
        if let Ok(handle) = handle {
            on_cleanup(move || handle.clear());
        }
        true
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (Duration::from_secs(1), IDLE_POLL_TICKS);

    let sync_id = id.clone();
    view! {
        <div class="flex flex-wrap items-start justify-between gap-3">
            <div>
                <h2 class="text-base font-semibold text-slate-900">{i18n.t(Key::SyncTitle)}</h2>
            </div>
            {active.then(|| view! {
                <ActionForm action=sync_now>
                    <input type="hidden" name="id" value=sync_id.clone()/>
                    <button id="sync-now" type="submit" class=BTN_SECONDARY disabled=move || sync_now.pending().get()>
                        {move || sync_now.pending().get().then(|| view! { <Spinner/> })}
                        {i18n.t(Key::SyncNow)}
                    </button>
                </ActionForm>
            })}
        </div>
        {move || sync_now.value().get().map(|r| match r {
            Ok(()) => view! { <p class="mt-2 text-sm text-brand-800" role="status">{i18n.t(Key::SyncQueued)}</p> }.into_any(),
            Err(error) => view! { <div class="mt-2"><ErrorText error/></div> }.into_any(),
        })}
        <SyncBars view=view_now.into()/>
    }
}

/// Seconds between polls while no sync runs.
const IDLE_POLL_TICKS: u32 = 5;

#[component]
fn SyncBars(view: Signal<SyncView>) -> impl IntoView {
    let i18n = use_i18n();
    let overall = Signal::derive(move || view.get().overall_percent());
    view! {
        <div class="mt-4 space-y-5">
            <div>
                <div class="mb-1.5 flex items-baseline justify-between text-sm">
                    <span id="sync-state" class="font-medium text-slate-800" aria-live="polite">
                        {move || if view.get().running { i18n.t(Key::SyncRunning)() } else { i18n.t(Key::SyncDone)() }}
                    </span>
                    <span id="sync-percent" class="tabular-nums font-semibold text-slate-900">{move || format!("{}%", overall.get())}</span>
                </div>
                <ProgressBar id="sync-progress" percent=overall label=i18n.t(Key::SyncTitle)().to_owned()/>
                <p class="mt-2 text-xs text-slate-600">
                    {i18n.t(Key::LastSync)}": "
                    <span id="last-sync">{move || when(i18n.get(), view.get().last_sync_at)}</span>
                </p>
            </div>
            <ul class="grid gap-4 sm:grid-cols-2">
                {SyncResource::ALL.into_iter().map(|res| {
                    let row = Memo::new(move |_| view.get().resources.into_iter().find(|r| r.resource == res));
                    let percent = Signal::derive(move || row.get().map(|r| r.percent()).unwrap_or(0));
                    view! {
                        <li data-resource=res.as_str() class="space-y-1.5">
                            <div class="flex items-baseline justify-between gap-2 text-sm">
                                <span class="font-medium text-slate-800">{i18n.t(resource_key(res))}</span>
                                <span class="tabular-nums text-slate-600">
                                    {move || row.get().map(|r| {
                                        let lang = i18n.get();
                                        let state = match r.state {
                                            ProgressState::Done => crate::i18n::t(lang, Key::SyncDone),
                                            ProgressState::Running => crate::i18n::t(lang, Key::SyncRunning),
                                            ProgressState::Failed => crate::i18n::t(lang, Key::SyncFailed),
                                            ProgressState::Pending => crate::i18n::t(lang, Key::SyncPending),
                                        };
                                        let count = match (r.state, r.total) {
                                            (ProgressState::Done, _) | (_, None) => format_int(lang, r.cached.max(r.done)),
                                            (_, Some(total)) => format!("{} / {}", format_int(lang, r.done), format_int(lang, total)),
                                        };
                                        format!("{count} {} · {state}", crate::i18n::t(lang, Key::SyncRecords))
                                    })}
                                </span>
                            </div>
                            <ProgressBar percent label=i18n.t(resource_key(res))().to_owned()/>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </div>
    }
}

/// Disconnecting asks first: a `<details>` disclosure holds the confirmation (keyboard and
/// no-JavaScript friendly).
#[component]
fn DisconnectBox(id: String, action: ServerAction<DisconnectStore>) -> impl IntoView {
    let i18n = use_i18n();
    let details = NodeRef::<leptos::html::Details>::new();
    view! {
        <details node_ref=details class="mt-6 border-t border-slate-100 pt-4">
            <summary id="disconnect" class=format!("{BTN_SECONDARY} cursor-pointer list-none text-red-700 [&::-webkit-details-marker]:hidden")>
                {i18n.t(Key::Disconnect)}
            </summary>
            <div role="dialog" aria-labelledby="disconnect-title" class="mt-3 rounded-lg border border-red-200 bg-red-50 p-4">
                <p id="disconnect-title" class="font-semibold text-red-900">{i18n.t(Key::DisconnectConfirmTitle)}</p>
                <p class="mt-1 text-sm text-red-900/80">{i18n.t(Key::DisconnectConfirmText)}</p>
                <div class="mt-3 flex flex-wrap gap-2">
                    <ActionForm action>
                        <input type="hidden" name="id" value=id/>
                        <button id="disconnect-confirm" type="submit" class=BTN_DANGER disabled=move || action.pending().get()>
                            {move || action.pending().get().then(|| view! { <Spinner/> })}
                            {i18n.t(Key::DisconnectConfirm)}
                        </button>
                    </ActionForm>
                    <button type="button" class=BTN_SECONDARY on:click=move |_| { if let Some(el) = details.get() { el.set_open(false) } }>{i18n.t(Key::Cancel)}</button>
                </div>
                {move || action.value().get().and_then(Result::err).map(|error| view! { <div class="mt-2"><ErrorText error/></div> })}
            </div>
        </details>
    }
}
