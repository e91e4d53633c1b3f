//! Merchant accounts over plain HTML forms (work without JavaScript): sign up, sign in, sign out.
//!
//! Failures re-render the form with a status (400/401/409/429) and a generic message; successes
//! answer 303 to a same-site `next` path.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use integration::Error;
use secrecy::SecretString;
use serde::Deserialize;
use tower_sessions::Session;

use super::error::{AppError, Result};
use super::install::pending_install_shop;
use super::pages::{self, AuthForm};
use crate::startup::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/signin", get(sign_in_page).post(sign_in))
        .route("/auth/signup", get(sign_up_page).post(sign_up))
        .route("/auth/signout", post(sign_out))
}

/// The caller's address as the listener saw it (used for sign-in rate limiting).
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip()),
        ))
    }
}

/// Only local absolute paths are followed after sign-in: never `//host`, `/\host` or a URL.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.chars().any(|c| c.is_control()) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct Credentials {
    email: String,
    password: String,
    next: Option<String>,
}

/// The sign-in and sign-up pages are the Leptos ones (`app/src/pages/auth.rs`); these paths keep
/// only the no-JavaScript form posts, so a GET is sent on to the page with its `next`.
async fn sign_in_page(Query(q): Query<NextQuery>) -> Response {
    to_page("/signin", q.next.as_deref())
}

async fn sign_up_page(Query(q): Query<NextQuery>) -> Response {
    to_page("/signup", q.next.as_deref())
}

fn to_page(page: &str, next: Option<&str>) -> Response {
    let next = url::form_urlencoded::byte_serialize(safe_next(next).as_bytes()).collect::<String>();
    Redirect::to(&format!("{page}?next={next}")).into_response()
}

/// Re-renders the form for a refusal the merchant can fix; anything else is an [`AppError`].
async fn refused(
    state: &AppState,
    session: &Session,
    form: AuthForm,
    next: &str,
    error: Error,
) -> Result<Response> {
    let status = AppError(error).status();
    let message = match status.as_u16() {
        400 => "Please enter a valid e-mail address and a password of at least 8 characters.",
        401 | 403 => "The e-mail address or password is wrong.",
        409 => "An account with this e-mail address already exists. Please sign in.",
        429 => "Too many sign-in attempts. Please wait a minute and try again.",
        _ => {
            return Err(AppError(Error::Internal(format!(
                "unexpected refusal status {status}"
            ))))
        }
    };
    tracing::info!(status = status.as_u16(), "account form refused");
    let shop = pending_install_shop(state, session).await;
    Ok((
        status,
        pages::auth_form(form, next, Some(message), shop.as_deref()),
    )
        .into_response())
}

async fn sign_in(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    Form(form): Form<Credentials>,
) -> Result<Response> {
    let next = safe_next(form.next.as_deref());
    let accounts = state.engine.accounts();
    match accounts
        .sign_in(&form.email, &SecretString::from(form.password), ip)
        .await
    {
        Ok(user) => {
            accounts.start_session(&session, &user).await?;
            tracing::info!(user_id = %user.id, "signed in");
            Ok(Redirect::to(&next).into_response())
        }
        Err(e @ (Error::InvalidCredentials | Error::RateLimited | Error::InvalidEmail)) => {
            refused(&state, &session, AuthForm::SignIn, &next, e).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn sign_up(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<Credentials>,
) -> Result<Response> {
    let next = safe_next(form.next.as_deref());
    let accounts = state.engine.accounts();
    match accounts
        .sign_up(&form.email, &SecretString::from(form.password))
        .await
    {
        Ok(user) => {
            accounts.start_session(&session, &user).await?;
            Ok(Redirect::to(&next).into_response())
        }
        Err(e @ (Error::InvalidEmail | Error::WeakPassword { .. } | Error::EmailTaken)) => {
            refused(&state, &session, AuthForm::SignUp, &next, e).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn sign_out(State(state): State<AppState>, session: Session) -> Result<Response> {
    state.engine.accounts().end_session(&session).await?;
    Ok(Redirect::to("/").into_response())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_a_local_path_or_home() {
        assert_eq!(safe_next(Some("/stores/1?x=2")), "/stores/1?x=2");
        for hostile in [
            "//evil.com",
            "/\\evil.com",
            "https://evil.com",
            "evil",
            "/\nx",
            "",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/", "{hostile:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
