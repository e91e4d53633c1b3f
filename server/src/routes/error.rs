//! The HTTP edge's error type: logs the engine's details, answers with a status and a short,
//! generic page (realworld-axum-sqlx style).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use integration::{Error, ErrorKind};

use super::pages;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

#[derive(Debug)]
pub struct AppError(pub Error);

impl From<Error> for AppError {
    fn from(e: Error) -> Self {
        AppError(e)
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self.0.kind() {
            ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Gone => StatusCode::GONE,
            ErrorKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Upstream => StatusCode::BAD_GATEWAY,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the browser is told: a fixed sentence per case, never the error's details.
    fn public_reason(&self) -> (&'static str, &'static str) {
        match &self.0 {
            Error::MalformedRequest(_) => ("Invalid request", "The request from ShopRenter is incomplete or malformed."),
            Error::RejectedRequest(shoprenter::signature::VerifyError::BadSignature) => {
                ("Request rejected", "The request's signature is not valid.")
            }
            Error::RejectedRequest(_) => (
                "Request rejected",
                "The request has expired or its time is wrong. Please open the app again from your ShopRenter admin.",
            ),
            Error::Replay => ("Request rejected", "This link was already used. Please open the app again from your ShopRenter admin."),
            Error::InstallUnavailable => (
                "Installation expired",
                "This installation is unknown, expired or already completed. Please install the app again from your ShopRenter admin.",
            ),
            Error::ShopClaimedByOther => (
                "Shop already connected",
                "This shop is already connected to a different ShopCall.ai account. Sign in with that account, or disconnect the shop there first.",
            ),
            Error::StoreNotFound => ("Not found", "There is no such store in your account."),
            Error::StoreInactive => ("Store disconnected", "This store is not connected."),
            Error::NotSignedIn => ("Sign-in required", "Please sign in."),
            Error::InvalidEmail => ("Invalid e-mail address", "Please enter a valid e-mail address."),
            Error::WeakPassword { .. } => ("Password too short", "Please choose a password of at least 8 characters."),
            Error::EmailTaken => ("Account exists", "An account with this e-mail address already exists."),
            Error::InvalidCredentials => ("Sign-in failed", "The e-mail address or password is wrong."),
            Error::RateLimited => ("Too many attempts", "Too many sign-in attempts. Please wait a minute."),
            Error::TokenAcquisition(_) => ("ShopRenter unavailable", "ShopRenter did not answer as expected. Please try again later."),
            Error::Session(_) | Error::Storage(_) | Error::Internal(_) => ("Something went wrong", "Please try again later."),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self.0, "request failed");
        } else {
            tracing::warn!(error = %self.0, status = status.as_u16(), "request refused");
        }
        let (title, message) = self.public_reason();
        (status, pages::message(title, message)).into_response()
    }
}
