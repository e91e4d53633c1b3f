//! Sign in and sign up: one form component, validated as the merchant types with the same
//! functions the server runs, and posted as a plain form when JavaScript is not (yet) running.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::auth::{waiting_shop, SignIn, SignUp};
use crate::components::layout::use_auth;
use crate::components::{Alert, Card, Field, Spinner, Tone, BTN_PRIMARY, LINK};
use crate::error::AppError;
use crate::i18n::{use_i18n, Key};
use crate::validate::{self, FieldError};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    SignIn,
    SignUp,
}

#[component]
pub fn SignInPage() -> impl IntoView {
    view! { <AuthForm mode=Mode::SignIn/> }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    view! { <AuthForm mode=Mode::SignUp/> }
}

fn is_email_error(e: FieldError) -> bool {
    matches!(e, FieldError::EmailRequired | FieldError::EmailInvalid)
}

#[component]
fn AuthForm(mode: Mode) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let sign_in = ServerAction::<SignIn>::new();
    let sign_up = ServerAction::<SignUp>::new();
    let query = use_query_map();
    // A successful answer changes who is signed in: the header looks again.
    Effect::new(move |_| {
        let ok = match mode {
            Mode::SignIn => sign_in.value().get(),
            Mode::SignUp => sign_up.value().get(),
        };
        if let Some(Ok(())) = ok {
            auth.changed.update(|n| *n += 1);
            // A full page load, not a client-side route change: `next` may be a server route
            // (the install flow's continue step) that the client router would show as a 404,
            // and every page is rendered afresh for the new session.
            #[cfg(feature = "hydrate")]
            {
                let next = query.with_untracked(|q| q.get("next")).unwrap_or_default();
                let _ = window().location().assign(validate::safe_next(&next));
            }
        }
    });
    let next = move || query.with(|q| q.get("next")).unwrap_or_default();
    // A visitor the EntryPoint sent here is told which shop signing in connects.
    let waiting = Resource::new(|| (), |_| waiting_shop());

    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let email_touched = RwSignal::new(false);
    let password_touched = RwSignal::new(false);

    let check_password = move |p: &str| match mode {
        Mode::SignIn => validate::password_present(p),
        Mode::SignUp => validate::new_password(p),
    };

    // The last answer of the server for this form (also filled from the URL after a plain post).
    let server_error = move || -> Option<AppError> {
        match mode {
            Mode::SignIn => sign_in.value().get().and_then(Result::err),
            Mode::SignUp => sign_up.value().get().and_then(Result::err),
        }
    };
    let pending = move || match mode {
        Mode::SignIn => sign_in.pending().get(),
        Mode::SignUp => sign_up.pending().get(),
    };

    let email_error = Signal::derive(move || {
        if email_touched.get() {
            if let Err(e) = validate::email(&email.get()) {
                return Some(e.message());
            }
        }
        match server_error() {
            Some(AppError::Invalid(e)) if is_email_error(e) => Some(e.message()),
            _ => None,
        }
    });
    let password_error = Signal::derive(move || {
        if password_touched.get() {
            if let Err(e) = check_password(&password.get()) {
                return Some(e.message());
            }
        }
        match server_error() {
            Some(AppError::Invalid(e)) if !is_email_error(e) => Some(e.message()),
            _ => None,
        }
    });
    let form_error = move || match server_error() {
        Some(AppError::Invalid(_)) | None => None,
        Some(e) => Some(e.message()),
    };

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        // With JavaScript: validate here, then call the server function in place.
        ev.prevent_default();
        email_touched.set(true);
        password_touched.set(true);
        let Ok(address) = validate::email(&email.get_untracked()) else {
            return;
        };
        let secret = password.get_untracked();
        if check_password(&secret).is_err() {
            return;
        }
        // No `next`: the effect above navigates once the answer is in.
        match mode {
            Mode::SignIn => {
                sign_in.dispatch(SignIn {
                    email: address,
                    password: secret,
                    next: None,
                });
            }
            Mode::SignUp => {
                sign_up.dispatch(SignUp {
                    email: address,
                    password: secret,
                    next: None,
                });
            }
        }
    };

    let (title, lead, button, busy, action_url) = match mode {
        Mode::SignIn => (
            Key::SignInTitle,
            Key::SignInLead,
            Key::SignInButton,
            Key::SigningIn,
            SignIn::PATH,
        ),
        Mode::SignUp => (
            Key::SignUpTitle,
            Key::SignUpLead,
            Key::SignUpButton,
            Key::SigningUp,
            SignUp::PATH,
        ),
    };
    let (other_href, other_text) = match mode {
        Mode::SignIn => ("/signup", Key::NoAccount),
        Mode::SignUp => ("/signin", Key::HaveAccount),
    };
    let other_href = move || {
        let n = next();
        if n.is_empty() {
            other_href.to_owned()
        } else {
            format!("{other_href}?next={}", crate::components::encode_query(&n))
        }
    };

    view! {
        <div class="mx-auto max-w-md">
            <Card>
                <h1 class="text-2xl font-bold tracking-tight text-slate-900">{i18n.t(title)}</h1>
                <p class="mt-1 text-sm text-slate-600">{i18n.t(lead)}</p>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        waiting.await.ok().flatten().map(|shop| view! {
                            <div class="mt-4">
                                <Alert tone=Tone::Blue>
                                    <span id="waiting-shop">{i18n.t(Key::WaitingShop)}" "<strong class="whitespace-nowrap">{format!("{shop}.myshoprenter.hu")}</strong></span>
                                </Alert>
                            </div>
                        })
                    })}
                </Suspense>
                // A real form: before hydration the browser posts it and the server answers with
                // a redirect (to `next`, or back here with the error).
                <form id="auth-form" method="post" action=action_url novalidate on:submit=on_submit class="mt-6 space-y-4">
                    <input type="hidden" name="next" value=move || validate::safe_next(&next()).to_owned()/>
                    {move || form_error().map(|k| view! { <Alert tone=Tone::Red><span id="form-error">{i18n.t(k)}</span></Alert> })}
                    <Field
                        id="email" name="email" label=Key::Email kind="email" autocomplete="email"
                        value=email error=email_error
                        on_blur=Callback::new(move |_| { if !email.get_untracked().is_empty() { email_touched.set(true) } })
                    />
                    <Field
                        id="password" name="password" label=Key::Password kind="password"
                        autocomplete=if mode == Mode::SignUp { "new-password" } else { "current-password" }
                        help=(mode == Mode::SignUp).then_some(Key::PasswordHint)
                        value=password error=password_error
                        on_blur=Callback::new(move |_| { if !password.get_untracked().is_empty() { password_touched.set(true) } })
                    />
                    <button id="auth-submit" type="submit" class=format!("{BTN_PRIMARY} w-full") disabled=pending>
                        {move || if pending() { Some(view! { <Spinner/> }) } else { None }}
                        {move || if pending() { i18n.t(busy)() } else { i18n.t(button)() }}
                    </button>
                </form>
                <p class="mt-6 text-center text-sm">
                    <A href=other_href attr:class=LINK>{i18n.t(other_text)}</A>
                </p>
            </Card>
        </div>
    }
}
