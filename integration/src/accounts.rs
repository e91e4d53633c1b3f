//! Merchant accounts: sign up, sign in (argon2id, rate limited), sessions.
//!
//! Sessions are `tower-sessions` sessions stored in the database ([`crate::storage::SessionStore`]);
//! the HTTP edge installs the layer, this module decides what a session holds: the user id only.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, LazyLock};

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::storage::{users, Db};

pub const MIN_PASSWORD_LEN: usize = 8;
pub const MAX_PASSWORD_LEN: usize = 256;
const SESSION_USER_KEY: &str = "user_id";

/// A merchant account as the rest of the code sees it (no password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub created_at: DateTime<Utc>,
}

impl From<users::UserRecord> for User {
    fn from(r: users::UserRecord) -> Self {
        User {
            id: r.id,
            email: r.email,
            created_at: r.created_at,
        }
    }
}

/// A syntactically plausible, normalised (trimmed, lower-cased) e-mail address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self> {
        let email = input.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if valid {
            Ok(Email(email))
        } else {
            Err(Error::InvalidEmail)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Used when the e-mail address is unknown, so a miss costs as much time as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    hash_password(&SecretString::from("dummy password for timing")).expect("hashing works")
});

fn hash_password(password: &SecretString) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))
}

fn verify_password(password: &SecretString, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.expose_secret().as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Runs argon2 (deliberately slow) off the async worker threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(format!("blocking task failed: {e}")))
}

#[derive(Clone)]
pub struct Accounts {
    db: Db,
    /// Sign-in attempts per (client address, e-mail): slows down password guessing without letting
    /// one attacker lock a merchant out from everywhere.
    limiter: Arc<DefaultKeyedRateLimiter<String>>,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accounts").finish_non_exhaustive()
    }
}

impl Accounts {
    /// `attempts_per_minute` sign-in attempts per (address, e-mail), with the same burst.
    pub fn new(db: Db, attempts_per_minute: u32) -> Self {
        let n = NonZeroU32::new(attempts_per_minute.max(1)).expect("at least 1");
        Self {
            db,
            limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(n).allow_burst(n))),
        }
    }

    pub async fn sign_up(&self, email: &str, password: &SecretString) -> Result<User> {
        let email = Email::parse(email)?;
        let len = password.expose_secret().chars().count();
        if !(MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&len) {
            return Err(Error::WeakPassword {
                min: MIN_PASSWORD_LEN,
                max: MAX_PASSWORD_LEN,
            });
        }
        let password = password.clone();
        let hash = blocking(move || hash_password(&password)).await??;
        match users::insert(&self.db, email.as_str(), &hash, Utc::now()).await? {
            Some(record) => {
                tracing::info!(user_id = %record.id, "account created");
                Ok(record.into())
            }
            None => Err(Error::EmailTaken),
        }
    }

    /// Checks the password; `client` is the caller's address for rate limiting.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &SecretString,
        client: Option<IpAddr>,
    ) -> Result<User> {
        let email = Email::parse(email).map_err(|_| Error::InvalidCredentials)?;
        let key = format!(
            "{}|{}",
            client.map(|ip| ip.to_string()).unwrap_or_default(),
            email.as_str()
        );
        if self.limiter.check_key(&key).is_err() {
            tracing::warn!("sign-in rate limit hit");
            return Err(Error::RateLimited);
        }
        let record = users::find_by_email(&self.db, email.as_str()).await?;
        let phc = record
            .as_ref()
            .map(|r| r.password_hash.clone())
            .unwrap_or_else(|| DUMMY_HASH.clone());
        let password = password.clone();
        let ok = blocking(move || verify_password(&password, &phc)).await?;
        match record {
            Some(record) if ok => Ok(record.into()),
            _ => Err(Error::InvalidCredentials),
        }
    }

    pub async fn find_user(&self, id: Uuid) -> Result<Option<User>> {
        Ok(users::find_by_id(&self.db, id).await?.map(User::from))
    }

    /// Binds the session to `user`, with a new session id (no session fixation).
    pub async fn start_session(&self, session: &Session, user: &User) -> Result<()> {
        session
            .cycle_id()
            .await
            .map_err(|e| Error::Session(e.to_string()))?;
        session
            .insert(SESSION_USER_KEY, user.id)
            .await
            .map_err(|e| Error::Session(e.to_string()))
    }

    /// The signed-in merchant, if any.
    pub async fn current_user(&self, session: &Session) -> Result<Option<User>> {
        let id: Option<Uuid> = session
            .get(SESSION_USER_KEY)
            .await
            .map_err(|e| Error::Session(e.to_string()))?;
        match id {
            Some(id) => self.find_user(id).await,
            None => Ok(None),
        }
    }

    /// Like [`current_user`](Self::current_user), but an error when nobody is signed in.
    pub async fn require_user(&self, session: &Session) -> Result<User> {
        self.current_user(session).await?.ok_or(Error::NotSignedIn)
    }

    /// Deletes the session (server-side record and cookie).
    pub async fn end_session(&self, session: &Session) -> Result<()> {
        session
            .flush()
            .await
            .map_err(|e| Error::Session(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Anna@Example.HU ").unwrap().as_str(),
            "anna@example.hu"
        );
        for bad in [
            "",
            "anna",
            "anna@",
            "@example.hu",
            "a@b",
            "a b@example.hu",
            "a@b@example.hu",
            "a@.hu",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password(&SecretString::from("correct horse")).unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&SecretString::from("correct horse"), &hash));
        assert!(!verify_password(&SecretString::from("wrong horse"), &hash));
        assert!(!verify_password(&SecretString::from("x"), "not a hash"));
    }
}
