//! Accounts: who is signed in, sign up, sign in, sign out, and the language cookie.
//!
//! The forms post here as plain HTML forms before hydration (server functions answer a form post
//! with a redirect, carrying an error in the URL), and through fetch after it.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::i18n::Lang;

/// The signed-in merchant as the header shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub email: String,
}

#[server(prefix = "/api", endpoint = "me")]
pub async fn get_me() -> Result<Option<Me>, AppError> {
    let user = super::ctx::current_user().await?;
    Ok(user.map(|u| Me { email: u.email }))
}

/// The shop a ShopRenter install waits to connect once this visitor signs in or signs up (the
/// EntryPoint keeps it in the session), for the sign-in and sign-up pages to name.
#[server(prefix = "/api", endpoint = "waiting_shop")]
pub async fn waiting_shop() -> Result<Option<String>, AppError> {
    let engine = super::ctx::engine()?;
    let session = super::ctx::session().await?;
    Ok(engine.installs().waiting_shop(&session).await?)
}

#[server(prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use crate::validate;
    let email = validate::email(&email)?;
    validate::password_present(&password)?;
    let engine = super::ctx::engine()?;
    let session = super::ctx::session().await?;
    let accounts = engine.accounts();
    let user = accounts
        .sign_in(
            &email,
            &secrecy::SecretString::from(password),
            super::ctx::client_ip(),
        )
        .await?;
    accounts.start_session(&session, &user).await?;
    tracing::info!(user_id = %user.id, "signed in (web UI)");
    redirect_after_sign_in(next);
    Ok(())
}

#[server(prefix = "/api", endpoint = "sign_up")]
pub async fn sign_up(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use crate::validate;
    let email = validate::email(&email)?;
    validate::new_password(&password)?;
    let engine = super::ctx::engine()?;
    let session = super::ctx::session().await?;
    let accounts = engine.accounts();
    let user = accounts
        .sign_up(&email, &secrecy::SecretString::from(password))
        .await?;
    accounts.start_session(&session, &user).await?;
    redirect_after_sign_in(next);
    Ok(())
}

#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let engine = super::ctx::engine()?;
    let session = super::ctx::session().await?;
    engine.accounts().end_session(&session).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Keeps the language in a cookie for a year; the page re-renders in place (or, without
/// JavaScript, the browser comes back to the page it was on).
#[server(prefix = "/api", endpoint = "set_language")]
pub async fn set_language(lang: String) -> Result<Lang, AppError> {
    use crate::i18n::LANG_COOKIE;
    let lang = Lang::parse(&lang).unwrap_or_default();
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        let cookie = format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            lang.code()
        );
        if let Ok(value) = http::HeaderValue::from_str(&cookie) {
            response.append_header(http::header::SET_COOKIE, value);
        }
    }
    Ok(lang)
}

/// A plain form post (no JavaScript yet) always sends `next` (the page's default when the URL had
/// none) and follows this redirect. The hydrated form sends none and loads the next page itself
/// (see pages/auth.rs).
#[cfg(feature = "ssr")]
fn redirect_after_sign_in(next: Option<String>) {
    if let Some(next) = next {
        leptos_axum::redirect(crate::validate::safe_next(&next));
    }
}
