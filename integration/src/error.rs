//! The engine's one error type. Its `Display` text is for logs; the HTTP edge maps
//! [`Error::kind`] to a status and a generic message.

use shoprenter::signature::VerifyError;
use shoprenter::token::TokenError;

use crate::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    // Accounts.
    #[error("e-mail address is not valid")]
    InvalidEmail,
    #[error("password must be between {min} and {max} characters")]
    WeakPassword { min: usize, max: usize },
    #[error("an account with this e-mail address already exists")]
    EmailTaken,
    #[error("e-mail address or password is wrong")]
    InvalidCredentials,
    #[error("too many sign-in attempts")]
    RateLimited,
    #[error("not signed in")]
    NotSignedIn,
    #[error("session store failed: {0}")]
    Session(String),

    // Signed ShopRenter requests.
    #[error("malformed ShopRenter request: {0}")]
    MalformedRequest(VerifyError),
    #[error("ShopRenter request rejected: {0}")]
    RejectedRequest(VerifyError),
    #[error("ShopRenter request was already used (replay)")]
    Replay,

    // Install lifecycle.
    #[error("the pending install is unknown, expired or already used")]
    InstallUnavailable,
    #[error("the shop is connected to another ShopCall.ai account")]
    ShopClaimedByOther,
    #[error("store not found")]
    StoreNotFound,
    #[error("store is not connected")]
    StoreInactive,

    // Tokens.
    #[error("token acquisition failed: {0}")]
    TokenAcquisition(#[source] TokenError),

    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("internal error: {0}")]
    Internal(String),
}

/// What kind of failure an [`Error`] is, for the HTTP edge's status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad input from the caller (400 / 422).
    BadRequest,
    /// Authentication or signature failure (401 / 403).
    Forbidden,
    /// Not signed in.
    Unauthenticated,
    /// Conflicts with existing state (409).
    Conflict,
    NotFound,
    /// Expired or consumed (410).
    Gone,
    TooManyRequests,
    /// The platform failed (502).
    Upstream,
    Internal,
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidEmail | Error::WeakPassword { .. } | Error::MalformedRequest(_) => {
                ErrorKind::BadRequest
            }
            Error::RejectedRequest(_) | Error::Replay => ErrorKind::Forbidden,
            Error::NotSignedIn | Error::InvalidCredentials => ErrorKind::Unauthenticated,
            Error::EmailTaken | Error::ShopClaimedByOther | Error::StoreInactive => {
                ErrorKind::Conflict
            }
            Error::StoreNotFound => ErrorKind::NotFound,
            Error::InstallUnavailable => ErrorKind::Gone,
            Error::RateLimited => ErrorKind::TooManyRequests,
            Error::TokenAcquisition(_) => ErrorKind::Upstream,
            Error::Session(_) | Error::Storage(_) | Error::Internal(_) => ErrorKind::Internal,
        }
    }

    /// Splits a verifier error into "the request is malformed" and "the request is not genuine".
    pub(crate) fn from_verify(error: VerifyError) -> Self {
        match error {
            VerifyError::MissingParameter(_)
            | VerifyError::RepeatedParameter(_)
            | VerifyError::MalformedQuery
            | VerifyError::MalformedTimestamp
            | VerifyError::MalformedHmac
            | VerifyError::InvalidShopName(_) => Error::MalformedRequest(error),
            VerifyError::BadSignature
            | VerifyError::StaleTimestamp { .. }
            | VerifyError::FutureTimestamp { .. } => Error::RejectedRequest(error),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
