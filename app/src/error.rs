//! The one error type of our server functions. It crosses the wire, so it carries only what the
//! merchant may see; the internal cause is logged on the server and never sent.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::i18n::Key;
use crate::validate::FieldError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("invalid input")]
    Invalid(FieldError),
    #[error("wrong credentials")]
    InvalidCredentials,
    #[error("e-mail taken")]
    EmailTaken,
    #[error("rate limited")]
    RateLimited,
    #[error("not signed in")]
    NotSignedIn,
    #[error("not found")]
    NotFound,
    #[error("shop belongs to another account")]
    ShopTaken,
    #[error("store inactive")]
    StoreInactive,
    /// Anything internal: the details are in the server log.
    #[error("unavailable")]
    Unavailable,
    /// The browser could not reach the server or understand its answer.
    #[error("network")]
    Network,
}

impl AppError {
    /// What the merchant reads.
    pub fn message(&self) -> Key {
        match self {
            AppError::Invalid(field) => field.message(),
            AppError::InvalidCredentials => Key::ErrInvalidCredentials,
            AppError::EmailTaken => Key::ErrEmailTaken,
            AppError::RateLimited => Key::ErrRateLimited,
            AppError::NotSignedIn => Key::ErrNotSignedIn,
            AppError::NotFound => Key::ErrNotFound,
            AppError::ShopTaken => Key::ErrShopTaken,
            AppError::StoreInactive => Key::ErrStoreInactive,
            AppError::Unavailable => Key::ErrUnavailable,
            AppError::Network => Key::ErrNetwork,
        }
    }
}

impl From<FieldError> for AppError {
    fn from(error: FieldError) -> Self {
        AppError::Invalid(error)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Deserialization(_) => {
                AppError::Network
            }
            // Bad arguments are a client bug or a tampered form; details stay in the log.
            other => {
                #[cfg(feature = "ssr")]
                tracing::warn!(error = %other, "server function failed");
                #[cfg(not(feature = "ssr"))]
                let _ = other;
                AppError::Unavailable
            }
        }
    }
}

#[cfg(feature = "ssr")]
impl From<integration::Error> for AppError {
    fn from(error: integration::Error) -> Self {
        use integration::Error as E;
        match error {
            E::InvalidEmail => AppError::Invalid(FieldError::EmailInvalid),
            E::WeakPassword { .. } => AppError::Invalid(FieldError::PasswordTooShort),
            E::EmailTaken => AppError::EmailTaken,
            E::InvalidCredentials => AppError::InvalidCredentials,
            E::RateLimited => AppError::RateLimited,
            E::NotSignedIn => AppError::NotSignedIn,
            E::StoreNotFound => AppError::NotFound,
            E::ShopClaimedByOther => AppError::ShopTaken,
            E::StoreInactive => AppError::StoreInactive,
            other => {
                tracing::error!(error = %other, "engine call failed");
                AppError::Unavailable
            }
        }
    }
}

#[cfg(feature = "ssr")]
impl From<integration::StorageError> for AppError {
    fn from(error: integration::StorageError) -> Self {
        tracing::error!(%error, "storage call failed");
        AppError::Unavailable
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        tracing::error!(%error, "cache query failed");
        AppError::Unavailable
    }
}
