//! Small presentational components: cards, badges, alerts, fields, progress, pagination.

use leptos::prelude::*;

use crate::error::AppError;
use crate::i18n::{use_i18n, Key};

/// Primary action: brand green dark enough for white text (WCAG AA).
pub const BTN_PRIMARY: &str = "inline-flex items-center justify-center gap-2 rounded-lg bg-brand-700 px-4 py-2.5 text-sm font-semibold text-white shadow-sm transition hover:bg-brand-800 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600 disabled:cursor-not-allowed disabled:opacity-60";
pub const BTN_SECONDARY: &str = "inline-flex items-center justify-center gap-2 rounded-lg border border-slate-300 bg-white px-4 py-2.5 text-sm font-semibold text-slate-800 shadow-sm transition hover:bg-slate-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600 disabled:cursor-not-allowed disabled:opacity-60";
pub const BTN_DANGER: &str = "inline-flex items-center justify-center gap-2 rounded-lg bg-red-700 px-4 py-2.5 text-sm font-semibold text-white shadow-sm transition hover:bg-red-800 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-600 disabled:cursor-not-allowed disabled:opacity-60";
pub const INPUT: &str = "block w-full rounded-lg border border-slate-300 bg-white px-3 py-2.5 text-slate-900 shadow-sm placeholder:text-slate-400 focus:border-brand-600 focus:outline-none focus:ring-2 focus:ring-brand-500/40 aria-[invalid=true]:border-red-500 aria-[invalid=true]:ring-red-200";
pub const LINK: &str = "font-medium text-brand-800 underline-offset-2 hover:underline focus-visible:rounded focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-600";

#[component]
pub fn Card(
    #[prop(optional, into)] class: String,
    #[prop(optional, into)] id: Option<String>,
    children: Children,
) -> impl IntoView {
    view! {
        <section id=id class=format!("rounded-xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6 {class}")>
            {children()}
        </section>
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Green,
    Amber,
    Red,
    Slate,
    Blue,
}

impl Tone {
    fn classes(self) -> &'static str {
        match self {
            Tone::Green => "bg-brand-50 text-brand-800 ring-brand-600/30",
            Tone::Amber => "bg-amber-50 text-amber-900 ring-amber-600/30",
            Tone::Red => "bg-red-50 text-red-800 ring-red-600/30",
            Tone::Slate => "bg-slate-100 text-slate-700 ring-slate-500/30",
            Tone::Blue => "bg-sky-50 text-sky-800 ring-sky-600/30",
        }
    }
}

#[component]
pub fn Badge(tone: Tone, text: Key, #[prop(optional, into)] id: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <span id=id class=format!("inline-flex items-center gap-1.5 rounded-full px-2.5 py-0.5 text-xs font-semibold ring-1 ring-inset {}", tone.classes())>
            <span aria-hidden="true" class="h-1.5 w-1.5 rounded-full bg-current"></span>
            {i18n.t(text)}
        </span>
    }
}

/// An error or notice box; `role="alert"` so screen readers announce it.
#[component]
pub fn Alert(tone: Tone, children: Children) -> impl IntoView {
    let classes = match tone {
        Tone::Red => "border-red-200 bg-red-50 text-red-800",
        Tone::Amber => "border-amber-200 bg-amber-50 text-amber-900",
        Tone::Green => "border-brand-100 bg-brand-50 text-brand-800",
        _ => "border-slate-200 bg-slate-50 text-slate-800",
    };
    view! {
        <div role="alert" class=format!("rounded-lg border px-4 py-3 text-sm {classes}")>{children()}</div>
    }
}

/// The merchant-facing text of a server function error.
#[component]
pub fn ErrorText(error: AppError) -> impl IntoView {
    let i18n = use_i18n();
    view! { <Alert tone=Tone::Red>{i18n.t(error.message())}</Alert> }
}

#[component]
pub fn Spinner() -> impl IntoView {
    view! {
        <svg class="h-4 w-4 animate-spin" viewBox="0 0 24 24" fill="none" aria-hidden="true">
            <circle class="opacity-25" cx="12" cy="12" r="10" stroke="currentColor" stroke-width="4"></circle>
            <path class="opacity-75" fill="currentColor" d="M4 12a8 8 0 018-8v4a4 4 0 00-4 4H4z"></path>
        </svg>
    }
}

/// A placeholder of the same height as the content it stands for, so nothing jumps.
#[component]
pub fn Loading(#[prop(default = 3)] lines: usize) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="animate-pulse space-y-3" aria-busy="true" aria-live="polite">
            <span class="sr-only">{i18n.t(Key::Loading)}</span>
            {(0..lines).map(|i| view! {
                <div class=if i == 0 { "h-5 w-1/3 rounded bg-slate-200" } else { "h-4 rounded bg-slate-100" }></div>
            }).collect_view()}
        </div>
    }
}

#[component]
pub fn EmptyState(title: Key, text: Key) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="rounded-xl border border-dashed border-slate-300 bg-slate-50/60 px-6 py-10 text-center">
            <svg class="mx-auto h-10 w-10 text-slate-400" fill="none" viewBox="0 0 24 24" stroke="currentColor" aria-hidden="true">
                <path stroke-linecap="round" stroke-linejoin="round" stroke-width="1.5" d="M20 13V6a2 2 0 00-2-2H6a2 2 0 00-2 2v7m16 0v5a2 2 0 01-2 2H6a2 2 0 01-2-2v-5m16 0h-2.586a1 1 0 00-.707.293l-2.414 2.414a1 1 0 01-.707.293h-3.172a1 1 0 01-.707-.293l-2.414-2.414A1 1 0 006.586 13H4"/>
            </svg>
            <p class="mt-3 font-semibold text-slate-800">{i18n.t(title)}</p>
            <p class="mt-1 text-sm text-slate-600">{i18n.t(text)}</p>
        </div>
    }
}

/// A labelled input with its help text and its error, wired with `aria-describedby`.
#[component]
pub fn Field(
    id: &'static str,
    name: &'static str,
    label: Key,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(default = None)] help: Option<Key>,
    #[prop(optional)] placeholder: Option<&'static str>,
    #[prop(optional)] suffix: Option<&'static str>,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<Key>>,
    #[prop(optional)] on_blur: Option<Callback<()>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let help_id = format!("{id}-help");
    let error_id = format!("{id}-error");
    let described = {
        let (h, e) = (help_id.clone(), error_id.clone());
        move || {
            let mut ids = Vec::new();
            if help.is_some() {
                ids.push(h.clone());
            }
            if error.get().is_some() {
                ids.push(e.clone());
            }
            ids.join(" ")
        }
    };
    let input = view! {
        <input
            id=id
            name=name
            type=kind
            autocomplete=autocomplete
            placeholder=placeholder
            class=INPUT
            prop:value=move || value.get()
            on:input=move |ev| value.set(event_target_value(&ev))
            on:blur=move |_| { if let Some(cb) = on_blur { cb.run(()) } }
            aria-invalid=move || error.get().is_some().to_string()
            aria-describedby=described
        />
    };
    view! {
        <div class="space-y-1.5">
            <label for=id class="block text-sm font-medium text-slate-800">{i18n.t(label)}</label>
            {match suffix {
                Some(suffix) => view! {
                    <div class="flex items-stretch gap-2">
                        <div class="flex-1">{input}</div>
                        <span class="flex items-center text-sm text-slate-600">{suffix}</span>
                    </div>
                }.into_any(),
                None => input.into_any(),
            }}
            {help.map(|h| view! { <p id=help_id class="text-sm text-slate-500">{i18n.t(h)}</p> })}
            <p id=error_id class="min-h-5 text-sm font-medium text-red-700" aria-live="polite">
                {move || error.get().map(|k| i18n.t(k)())}
            </p>
        </div>
    }
}

/// A progress bar with its accessible value.
#[component]
pub fn ProgressBar(
    #[prop(into)] percent: Signal<u8>,
    label: String,
    #[prop(optional, into)] id: Option<String>,
) -> impl IntoView {
    view! {
        <div
            id=id
            role="progressbar"
            aria-label=label
            aria-valuemin="0"
            aria-valuemax="100"
            aria-valuenow=move || percent.get().to_string()
            class="h-2.5 w-full overflow-hidden rounded-full bg-slate-200"
        >
            <div
                class="h-full rounded-full bg-brand-500 transition-[width] duration-500"
                style=move || format!("width: {}%", percent.get())
            ></div>
        </div>
    }
}

/// Previous / next links keeping the search; plain links, so they work without JavaScript.
#[component]
pub fn Pagination(
    base: String,
    q: Option<String>,
    page: i64,
    pages: i64,
    total: i64,
) -> impl IntoView {
    let i18n = use_i18n();
    let href = move |p: i64| {
        let mut url = format!("{base}?page={p}");
        if let Some(q) = &q {
            url.push_str("&q=");
            url.push_str(&encode_query(q));
        }
        url
    };
    let prev = (page > 1).then(|| href(page - 1));
    let next = (page < pages).then(|| href(page + 1));
    let lang = i18n.lang;
    view! {
        <nav class="flex items-center justify-between gap-4 pt-4 text-sm" aria-label=i18n.t(Key::PageOf)>
            <p class="text-slate-600">
                {move || format!("{} {} · {page} / {pages} {}", crate::i18n::format_int(lang.get(), total), crate::i18n::t(lang.get(), Key::Results), crate::i18n::t(lang.get(), Key::PageOf))}
            </p>
            <div class="flex gap-2">
                {match prev {
                    Some(h) => view! { <a class=BTN_SECONDARY href=h rel="prev">{i18n.t(Key::Previous)}</a> }.into_any(),
                    None => view! { <span class=format!("{BTN_SECONDARY} pointer-events-none opacity-50") aria-disabled="true">{i18n.t(Key::Previous)}</span> }.into_any(),
                }}
                {match next {
                    Some(h) => view! { <a class=BTN_SECONDARY href=h rel="next">{i18n.t(Key::Next)}</a> }.into_any(),
                    None => view! { <span class=format!("{BTN_SECONDARY} pointer-events-none opacity-50") aria-disabled="true">{i18n.t(Key::Next)}</span> }.into_any(),
                }}
            </div>
        </nav>
    }
}

/// Percent-encodes a query value (space as `+`).
pub fn encode_query(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
