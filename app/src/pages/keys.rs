//! The store page's section for the assistant's API keys.

use leptos::prelude::*;

use crate::api::keys::{ApiKeyRow, CreateApiKey, ListApiKeys, RevokeApiKey};
use crate::components::{Alert, Card, ErrorText, Field, Spinner, Tone, BTN_PRIMARY, BTN_SECONDARY};
use crate::error::AppError;
use crate::i18n::{format_datetime, use_i18n, Key};
use crate::validate;

/// `initial` comes with the page (the store page loads it beside the store, so it is rendered on
/// the server and hydrates as is); after a key is created or revoked the list is fetched again.
/// No resource or `Transition` of its own: with them, nested inside the store page's `Suspend`,
/// hydration panicked in 3 of 10 demo journeys (`tachys` hydration.rs: a marker node was not
/// where the client expected it), and a panicked page stops updating altogether.
#[component]
pub fn ApiKeys(
    id: String,
    active: bool,
    initial: Result<Vec<ApiKeyRow>, AppError>,
) -> impl IntoView {
    let i18n = use_i18n();
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let fetch = ServerAction::<ListApiKeys>::new();
    let keys = RwSignal::new(initial);
    let list_id = StoredValue::new(id.clone());
    Effect::new(move |prev: Option<(usize, usize)>| {
        let now = (create.version().get(), revoke.version().get());
        if prev.is_some_and(|p| p != now) {
            fetch.dispatch(ListApiKeys {
                store: list_id.get_value(),
            });
        }
        now
    });
    Effect::new(move |_| {
        if let Some(list) = fetch.value().get() {
            keys.set(list);
        }
    });
    let label = RwSignal::new(String::new());
    let touched = RwSignal::new(false);
    let error = Signal::derive(move || {
        if touched.get() {
            if let Err(e) = validate::key_name(&label.get()) {
                return Some(e.message());
            }
        }
        match create.value().get() {
            Some(Err(crate::error::AppError::Invalid(e))) => Some(e.message()),
            _ => None,
        }
    });
    let store_id = StoredValue::new(id.clone());
    let create_path = <CreateApiKey as leptos::server_fn::ServerFn>::PATH;
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        if let Ok(name) = validate::key_name(&label.get_untracked()) {
            create.dispatch(CreateApiKey {
                store: store_id.get_value(),
                label: name,
            });
            label.set(String::new());
            touched.set(false);
        }
    };
    view! {
        <Card id="api-keys">
            <h2 class="text-base font-semibold text-slate-900">{i18n.t(Key::ApiKeysTitle)}</h2>
            <p class="mt-1 text-sm text-slate-600">{i18n.t(Key::ApiKeysLead)}</p>
            {active.then(|| view! {
                <form method="post" action=create_path novalidate on:submit=on_submit class="mt-4 flex flex-col gap-3 sm:flex-row sm:items-start">
                    <input type="hidden" name="store" value=id.clone()/>
                    <div class="flex-1">
                        <Field id="key-label" name="label" label=Key::ApiKeyName autocomplete="off" value=label error=error/>
                    </div>
                    <button id="create-key" type="submit" class=format!("{BTN_PRIMARY} sm:mt-7") disabled=move || create.pending().get()>
                        {move || create.pending().get().then(|| view! { <Spinner/> })}
                        {i18n.t(Key::ApiKeyCreate)}
                    </button>
                </form>
            })}
            {move || create.value().get().map(|r| match r {
                Ok(new) => view! {
                    <Alert tone=Tone::Green>
                        <p class="font-semibold">{i18n.t(Key::ApiKeyCreated)}</p>
                        <code id="new-key" class="mt-1 block break-all rounded bg-white px-2 py-1 font-mono text-sm text-slate-900 select-all">{new.key}</code>
                        <p class="mt-1 text-xs">{i18n.t(Key::ApiKeyCopyNow)}</p>
                    </Alert>
                }.into_any(),
                Err(crate::error::AppError::Invalid(_)) => ().into_any(),
                Err(error) => view! { <ErrorText error/> }.into_any(),
            })}
            {move || match keys.get() {
                Ok(list) if list.is_empty() => view! { <p class="mt-4 text-sm text-slate-600">{i18n.t(Key::ApiKeyNone)}</p> }.into_any(),
                Ok(list) => view! {
                    <ul id="key-list" class="mt-4 divide-y divide-slate-100 rounded-lg border border-slate-200">
                        {list.into_iter().map(|k| view! { <KeyRow key_row=k store=store_id.get_value() revoke/> }).collect_view()}
                    </ul>
                }.into_any(),
                Err(error) => view! { <div class="mt-4"><ErrorText error/></div> }.into_any(),
            }}
        </Card>
    }
}

#[component]
fn KeyRow(key_row: ApiKeyRow, store: String, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    let i18n = use_i18n();
    let created = key_row.created_at;
    let last_used = key_row.last_used_at;
    view! {
        <li class="flex flex-col gap-2 p-3 text-sm sm:flex-row sm:items-center sm:justify-between">
            <div class=if key_row.revoked { "text-slate-400 line-through" } else { "" }>
                <span class="font-medium text-slate-900">{key_row.label.clone()}</span>
                <span class="ml-2 font-mono text-xs text-slate-500">{key_row.prefix.clone()}</span>
                <p class="text-xs text-slate-500">
                    {move || format_datetime(i18n.get(), created)}
                    {move || last_used.map(|at| format!(" · {} {}", crate::i18n::t(i18n.get(), Key::ApiKeyLastUsed), format_datetime(i18n.get(), at)))}
                </p>
            </div>
            {if key_row.revoked {
                view! { <span class="text-xs font-semibold text-slate-500">{i18n.t(Key::ApiKeyRevoked)}</span> }.into_any()
            } else {
                view! {
                    <ActionForm action=revoke>
                        <input type="hidden" name="store" value=store/>
                        <input type="hidden" name="key" value=key_row.id.clone()/>
                        <button type="submit" class=format!("{BTN_SECONDARY} text-red-700")>{i18n.t(Key::ApiKeyRevoke)}</button>
                    </ActionForm>
                }.into_any()
            }}
        </li>
    }
}
