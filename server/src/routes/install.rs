//! ShopRenter's calls on us (RedirectUri, EntryPoint, UninstallUri) and the store page they lead
//! to. Thin: the engine (`integration::install`) decides, these handlers translate to HTTP.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use integration::install::{EntryOutcome, UninstallOutcome, SESSION_PENDING_INSTALL};
use integration::Error;
use tower_sessions::Session;
use uuid::Uuid;

use super::error::Result;
use crate::config::{CALLBACK_PATH, ENTRY_PATH, UNINSTALL_PATH};
use crate::startup::AppState;

/// Where the entry sends a merchant after sign-in to finish binding the install.
pub const CONTINUE_PATH: &str = "/integrations/shoprenter/continue";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(CALLBACK_PATH, get(callback))
        .route(ENTRY_PATH, get(entry))
        .route(CONTINUE_PATH, get(continue_install))
        .route(UNINSTALL_PATH, get(uninstall))
        .route("/stores/{id}/disconnect", post(disconnect))
}

fn store_path(id: Uuid) -> String {
    format!("/stores/{id}")
}

fn sign_in_redirect(next: &str) -> Response {
    let next = url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>();
    Redirect::to(&format!("/signin?next={next}")).into_response()
}

/// RedirectUri: verify, store the pending install, send the browser to the validated `app_url`.
async fn callback(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response> {
    let target = state
        .engine
        .installs()
        .handle_callback(query.as_deref().unwrap_or(""))
        .await?;
    Ok(Redirect::to(target.as_str()).into_response())
}

/// EntryPoint: open the store, or bind the install (after sign-in if needed).
async fn entry(
    State(state): State<AppState>,
    session: Session,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let accounts = state.engine.accounts();
    let user = accounts.current_user(&session).await?;
    let outcome = state
        .engine
        .installs()
        .handle_entry(query.as_deref().unwrap_or(""), user.as_ref())
        .await?;
    match outcome {
        EntryOutcome::OpenStore(id) => Ok(Redirect::to(&store_path(id)).into_response()),
        EntryOutcome::Connected(connected) => {
            Ok(Redirect::to(&store_path(connected.store.id)).into_response())
        }
        EntryOutcome::NeedsSignIn { install_id } => {
            session
                .insert(SESSION_PENDING_INSTALL, install_id)
                .await
                .map_err(|e| Error::Session(e.to_string()))?;
            Ok(sign_in_redirect(CONTINUE_PATH))
        }
    }
}

/// After sign-in: bind the install kept in the session.
async fn continue_install(State(state): State<AppState>, session: Session) -> Result<Response> {
    let accounts = state.engine.accounts();
    let Some(user) = accounts.current_user(&session).await? else {
        return Ok(sign_in_redirect(CONTINUE_PATH));
    };
    let install_id: Option<Uuid> = session
        .remove(SESSION_PENDING_INSTALL)
        .await
        .map_err(|e| Error::Session(e.to_string()))?;
    let install_id = install_id.ok_or(Error::InstallUnavailable)?;
    let connected = state
        .engine
        .installs()
        .complete_install(install_id, &user)
        .await?;
    Ok(Redirect::to(&store_path(connected.store.id)).into_response())
}

/// UninstallUri: 200 for every verified call, known shop or not, first time or not.
async fn uninstall(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response> {
    let outcome = state
        .engine
        .installs()
        .handle_uninstall(query.as_deref().unwrap_or(""))
        .await?;
    let text = match outcome {
        UninstallOutcome::Deactivated(_) => "uninstalled",
        UninstallOutcome::AlreadyInactive(_)
        | UninstallOutcome::UnknownShop
        | UninstallOutcome::Replayed => "ok",
    };
    Ok((StatusCode::OK, text).into_response())
}

/// The merchant disconnects a store from our side.
async fn disconnect(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response> {
    let user = state.engine.accounts().require_user(&session).await?;
    let id = Uuid::parse_str(&id).map_err(|_| Error::StoreNotFound)?;
    state.engine.disconnect_store(&user, id).await?;
    Ok(Redirect::to(&store_path(id)).into_response())
}

/// The shop an install kept in this session is waiting for (shown on the sign-in page).
pub async fn pending_install_shop(state: &AppState, session: &Session) -> Option<String> {
    state
        .engine
        .installs()
        .waiting_shop(session)
        .await
        .ok()
        .flatten()
}
