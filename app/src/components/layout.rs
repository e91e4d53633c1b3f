//! The page frame: header (logo, navigation, language switch, account menu), footer, the
//! sign-in guard and the friendly error page.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::{Redirect, A};
use leptos_router::hooks::use_location;

use crate::api::auth::{get_me, Me, SetLanguage, SignOut};
use crate::error::AppError;
use crate::i18n::{use_i18n, Key, Lang};

/// Who is signed in. The sign-in and sign-up actions live in their pages (inside the router's
/// routes, where a plain form post's error comes back from the URL); they bump `changed` so the
/// header refetches.
#[derive(Clone, Copy)]
pub struct AuthCtx {
    pub me: Resource<Result<Option<Me>, AppError>>,
    pub sign_out: ServerAction<SignOut>,
    pub changed: RwSignal<u32>,
}

impl AuthCtx {
    pub fn provide() -> Self {
        let sign_out = ServerAction::<SignOut>::new();
        let changed = RwSignal::new(0);
        let me = Resource::new(
            move || (sign_out.version().get(), changed.get()),
            |_| get_me(),
        );
        let ctx = AuthCtx {
            me,
            sign_out,
            changed,
        };
        provide_context(ctx);
        ctx
    }
}

pub fn use_auth() -> AuthCtx {
    expect_context::<AuthCtx>()
}

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <a href="#main" class="sr-only focus:not-sr-only focus:absolute focus:left-4 focus:top-4 focus:z-50 focus:rounded-lg focus:bg-white focus:px-4 focus:py-2 focus:shadow">
            {i18n.t(Key::SkipToContent)}
        </a>
        <div class="flex min-h-screen flex-col">
            <Header/>
            <main id="main" class="mx-auto w-full max-w-6xl flex-1 px-4 py-6 sm:px-6 sm:py-10">
                {children()}
            </main>
            <footer class="border-t border-slate-200 bg-white">
                <div class="mx-auto flex max-w-6xl flex-col gap-1 px-4 py-5 text-sm text-slate-500 sm:flex-row sm:justify-between sm:px-6">
                    <span>{i18n.t(Key::FooterNote)}</span>
                    <span>"© ShopCall.ai"</span>
                </div>
            </footer>
        </div>
    }
}

#[component]
fn Logo() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <A href="/" attr:class="flex items-center gap-2.5 rounded-lg focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-600" attr:aria-label=i18n.t(Key::AppName)>
            <span class="flex h-9 w-9 items-center justify-center rounded-lg bg-brand-700 text-white shadow-sm" aria-hidden="true">
                <svg class="h-5 w-5" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
                    <path d="M22 16.92v3a2 2 0 01-2.18 2 19.79 19.79 0 01-8.63-3.07 19.5 19.5 0 01-6-6 19.79 19.79 0 01-3.07-8.67A2 2 0 014.11 2h3a2 2 0 012 1.72c.13.96.36 1.9.7 2.81a2 2 0 01-.45 2.11L8.09 9.91a16 16 0 006 6l1.27-1.27a2 2 0 012.11-.45c.91.34 1.85.57 2.81.7A2 2 0 0122 16.92z"/>
                </svg>
            </span>
            <span class="text-lg font-bold tracking-tight text-slate-900">"ShopCall"<span class="text-brand-700">".ai"</span></span>
        </A>
    }
}

#[component]
fn Header() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    view! {
        <header class="sticky top-0 z-30 border-b border-slate-200 bg-white/95 backdrop-blur">
            <div class="mx-auto flex h-16 max-w-6xl items-center justify-between gap-3 px-4 sm:px-6">
                <div class="flex items-center gap-6">
                    <Logo/>
                    <nav aria-label="primary" class="hidden sm:block">
                        <A href="/integrations" attr:class="rounded-md px-2 py-1 text-sm font-medium text-slate-700 hover:text-slate-900 aria-[current=page]:text-brand-800 focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-600">
                            {i18n.t(Key::NavIntegrations)}
                        </A>
                    </nav>
                </div>
                <div class="flex items-center gap-2 sm:gap-3">
                    <LanguageSwitch/>
                    // Transition keeps the header's height while the account loads: no jump.
                    <Transition fallback=|| view! { <span class="inline-block h-9 w-24"></span> }>
                        {move || Suspend::new(async move {
                            match auth.me.await {
                                Ok(Some(me)) => Either::Left(view! { <UserMenu me/> }),
                                _ => Either::Right(view! {
                                    <div class="flex items-center gap-2">
                                        <A href="/signin" attr:class="rounded-md px-2 py-1 text-sm font-medium text-slate-700 hover:text-slate-900 focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-600">{i18n.t(Key::NavSignIn)}</A>
                                        <span class="hidden sm:block"><A href="/signup" attr:class=crate::components::BTN_PRIMARY>{i18n.t(Key::NavSignUp)}</A></span>
                                    </div>
                                }),
                            }
                        })}
                    </Transition>
                </div>
            </div>
        </header>
    }
}

/// Two tiny forms: without JavaScript they post and come back with the cookie set; with it the
/// page switches language in place.
#[component]
fn LanguageSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SetLanguage>::new();
    Effect::new(move |_| {
        if let Some(Ok(lang)) = action.value().get() {
            i18n.lang.set(lang);
        }
    });
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let code = i18n.lang.get().code();
        if let Some(el) = document().document_element() {
            let _ = el.set_attribute("lang", code);
        }
    });
    let button = move |lang: Lang, label: &'static str, name: &'static str| {
        view! {
            <ActionForm action=action attr:class="contents">
                <input type="hidden" name="lang" value=lang.code()/>
                <button
                    type="submit"
                    id=format!("lang-{}", lang.code())
                    aria-label=name
                    aria-pressed=move || (i18n.lang.get() == lang).to_string()
                    class="rounded-md px-2 py-1 text-xs font-bold text-slate-600 hover:text-slate-900 aria-pressed:bg-slate-900 aria-pressed:text-white focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-600"
                >
                    {label}
                </button>
            </ActionForm>
        }
    };
    view! {
        <div role="group" aria-label=i18n.t(Key::LanguageLabel) class="flex items-center rounded-lg border border-slate-200 p-0.5">
            {button(Lang::Hu, "HU", "Magyar")}
            {button(Lang::En, "EN", "English")}
        </div>
    }
}

/// A `<details>` menu: opens with Enter/Space, works without JavaScript.
#[component]
fn UserMenu(me: Me) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let initial = me
        .email
        .chars()
        .next()
        .unwrap_or('?')
        .to_uppercase()
        .to_string();
    view! {
        <details id="user-menu" class="group relative">
            <summary class="flex cursor-pointer list-none items-center gap-2 rounded-lg px-1.5 py-1 hover:bg-slate-100 focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-600 [&::-webkit-details-marker]:hidden" aria-label=i18n.t(Key::UserMenu)>
                <span class="flex h-8 w-8 items-center justify-center rounded-full bg-brand-100 text-sm font-bold text-brand-800" aria-hidden="true">{initial}</span>
                <span class="hidden max-w-40 truncate text-sm text-slate-700 md:inline">{me.email.clone()}</span>
                <svg class="h-4 w-4 text-slate-500 transition group-open:rotate-180" viewBox="0 0 20 20" fill="currentColor" aria-hidden="true"><path d="M5.23 7.21a.75.75 0 011.06.02L10 11.06l3.71-3.83a.75.75 0 111.08 1.04l-4.25 4.39a.75.75 0 01-1.08 0L5.21 8.27a.75.75 0 01.02-1.06z"/></svg>
            </summary>
            <div class="absolute right-0 mt-2 w-64 rounded-xl border border-slate-200 bg-white p-2 shadow-lg">
                <p class="px-3 py-2 text-xs text-slate-500">{i18n.t(Key::SignedInAs)}<br/><span id="user-email" class="text-sm font-medium text-slate-800">{me.email}</span></p>
                <A href="/integrations" attr:class="block rounded-lg px-3 py-2 text-sm text-slate-700 hover:bg-slate-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-600 sm:hidden">{i18n.t(Key::NavIntegrations)}</A>
                <ActionForm action=auth.sign_out>
                    <button id="sign-out" type="submit" class="w-full rounded-lg px-3 py-2 text-left text-sm text-slate-700 hover:bg-slate-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-600">
                        {i18n.t(Key::NavSignOut)}
                    </button>
                </ActionForm>
            </div>
        </details>
    }
}

/// Renders `children` for a signed-in merchant; everyone else goes to sign-in and comes back.
#[component]
pub fn RequireAuth(children: ChildrenFn) -> impl IntoView {
    let auth = use_auth();
    let location = use_location();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <crate::components::Loading/> }>
            {move || Suspend::new(async move {
                match auth.me.await {
                    Ok(Some(_)) => Either::Left(children.with_value(|c| c())),
                    Ok(None) | Err(AppError::NotSignedIn) => {
                        let next = location.pathname.get_untracked();
                        Either::Right(Either::Left(view! {
                            <Redirect path=format!("/signin?next={}", crate::components::encode_query(&next))/>
                        }))
                    }
                    Err(error) => Either::Right(Either::Right(view! { <FriendlyError error/> })),
                }
            })}
        </Suspense>
    }
}

/// What an error boundary shows instead of a blank page.
#[component]
pub fn FriendlyError(#[prop(optional)] error: Option<AppError>) -> impl IntoView {
    let i18n = use_i18n();
    #[cfg(feature = "ssr")]
    if error == Some(AppError::NotFound) {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <div role="alert" class="mx-auto max-w-lg rounded-xl border border-red-200 bg-white p-6 text-center shadow-sm">
            <p class="text-lg font-semibold text-slate-900">{i18n.t(Key::ErrFriendly)}</p>
            <p class="mt-2 text-sm text-slate-600">
                {match error {
                    Some(e) if e != AppError::Unavailable => i18n.t(e.message())(),
                    _ => i18n.t(Key::ErrFriendlyRetry)(),
                }}
            </p>
            <a href="/" class=format!("mt-4 inline-block {}", crate::components::LINK)>{i18n.t(Key::BackHome)}</a>
        </div>
    }
}
