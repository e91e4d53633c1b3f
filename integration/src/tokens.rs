//! The token vault: one valid API token per connected shop, encrypted at rest.
//!
//! Reference §2: client-credentials, no refresh token, so "refresh" means acquiring a new token
//! when less than [`REFRESH_MARGIN`] is left or once after a 401. Acquisitions are single-flight
//! per shop: a per-shop mutex in this process, and on PostgreSQL an advisory lock so several
//! instances never ask the platform at the same time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use shoprenter::token::TokenClient;
use shoprenter::ShopName;
use uuid::Uuid;

use crate::crypto::TokenCipher;
use crate::error::{Error, Result};
use crate::storage::tokens::{self as token_rows, NewToken, TokenRecord};
use crate::storage::{stores, Db};

/// Re-acquire when less than this is left (design.md "Tokens").
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// A usable bearer token for one store. The token is redacted in `Debug`.
#[derive(Debug, Clone)]
pub struct StoreToken {
    pub store_id: Uuid,
    pub shop: ShopName,
    pub access_token: SecretString,
    pub expires_at: DateTime<Utc>,
    pub scopes: Vec<String>,
}

#[derive(Clone)]
pub struct TokenVault {
    db: Db,
    client: TokenClient,
    cipher: TokenCipher,
    /// One async mutex per shop; entries are tiny and shops are few, so they are kept.
    locks: Arc<Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>>,
}

impl std::fmt::Debug for TokenVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenVault")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

enum Want<'a> {
    /// Any token with more than the margin left.
    Fresh,
    /// A token other than this one (which the API just rejected with 401).
    Not(&'a SecretString),
}

impl TokenVault {
    pub fn new(db: Db, client: TokenClient, cipher: TokenCipher) -> Self {
        Self {
            db,
            client,
            cipher,
            locks: Arc::default(),
        }
    }

    /// A token with more than five minutes left, acquiring one if needed.
    pub async fn get(&self, store_id: Uuid) -> Result<StoreToken> {
        let store = self.active_store(store_id).await?;
        if let Some(token) = self.usable(
            &store,
            token_rows::load(&self.db, store_id).await?.as_ref(),
            &Want::Fresh,
        )? {
            return Ok(token);
        }
        self.acquire_single_flight(store, Want::Fresh).await
    }

    /// After the API answered 401 with `rejected`: acquire a new token, unless another caller
    /// already replaced it, in which case that newer token is returned.
    pub async fn invalidate_and_reacquire(
        &self,
        store_id: Uuid,
        rejected: &SecretString,
    ) -> Result<StoreToken> {
        let store = self.active_store(store_id).await?;
        self.acquire_single_flight(store, Want::Not(rejected)).await
    }

    async fn active_store(&self, store_id: Uuid) -> Result<stores::StoreRecord> {
        let store = stores::find(&self.db, store_id)
            .await?
            .ok_or(Error::StoreNotFound)?;
        if !store.is_active {
            return Err(Error::StoreInactive);
        }
        Ok(store)
    }

    fn shop_lock(&self, store_id: Uuid) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().expect("lock map is never poisoned");
        locks.entry(store_id).or_default().clone()
    }

    #[tracing::instrument(skip_all, fields(shop = %store.shopname))]
    async fn acquire_single_flight(
        &self,
        store: stores::StoreRecord,
        want: Want<'_>,
    ) -> Result<StoreToken> {
        let shop_lock = self.shop_lock(store.id);
        let _in_process = shop_lock.lock().await;
        let mut lock = token_rows::lock_for_acquire(&self.db, store.id).await?;
        // Whoever held the lock before us may have stored what we need.
        let current = lock.load(&self.db, store.id).await?;
        if let Some(token) = self.usable(&store, current.as_ref(), &want)? {
            lock.release().await?;
            return Ok(token);
        }
        let shop = ShopName::parse(&store.shopname)
            .map_err(|e| Error::Internal(format!("stored shop name is invalid: {e}")))?;
        let acquired = match self.client.acquire(&shop).await {
            Ok(token) => token,
            Err(error) => {
                lock.release().await?;
                let reason = format!("Could not get an API token from ShopRenter: {error}");
                tracing::warn!(%error, "token acquisition failed; store needs attention");
                stores::mark_needs_attention(&self.db, store.id, &reason, Utc::now()).await?;
                return Err(Error::TokenAcquisition(error));
            }
        };
        let scopes = acquired.scopes.clone().unwrap_or_default();
        let ciphertext = self
            .cipher
            .encrypt(&acquired.access_token, store.id.as_bytes());
        let shop_domain = format!("{}.myshoprenter.hu", shop.as_str());
        let saved = lock
            .save(
                &self.db,
                NewToken {
                    store_id: store.id,
                    shopname: shop.as_str(),
                    shop_domain: &shop_domain,
                    ciphertext: &ciphertext,
                    token_type: &acquired.token_type,
                    expires_at: acquired.expires_at,
                    scopes: &scopes,
                    now: Utc::now(),
                },
            )
            .await?;
        lock.release().await?;
        if !saved {
            // Uninstalled while we were asking: do not hand out or keep the token.
            return Err(Error::StoreInactive);
        }
        tracing::info!(expires_at = %acquired.expires_at, scopes = scopes.len(), "API token acquired and stored");
        Ok(StoreToken {
            store_id: store.id,
            shop,
            access_token: acquired.access_token,
            expires_at: acquired.expires_at,
            scopes,
        })
    }

    /// The stored token if it satisfies `want`; an undecryptable one counts as absent.
    fn usable(
        &self,
        store: &stores::StoreRecord,
        row: Option<&TokenRecord>,
        want: &Want<'_>,
    ) -> Result<Option<StoreToken>> {
        let Some(row) = row.filter(|r| r.is_active) else {
            return Ok(None);
        };
        let (Some(ciphertext), Some(expires_at)) = (row.access_token.as_deref(), row.expires_at)
        else {
            return Ok(None);
        };
        let margin = chrono::Duration::from_std(REFRESH_MARGIN).expect("small duration");
        if expires_at - Utc::now() < margin {
            return Ok(None);
        }
        let Ok(plaintext) = self.cipher.decrypt(ciphertext, store.id.as_bytes()) else {
            tracing::warn!(shop = %store.shopname, "stored token cannot be decrypted (key changed?); re-acquiring");
            return Ok(None);
        };
        if let Want::Not(rejected) = want {
            if plaintext.expose_secret() == rejected.expose_secret() {
                return Ok(None);
            }
        }
        let shop = ShopName::parse(&store.shopname)
            .map_err(|e| Error::Internal(format!("stored shop name is invalid: {e}")))?;
        Ok(Some(StoreToken {
            store_id: store.id,
            shop,
            access_token: plaintext,
            expires_at,
            scopes: row.scopes.as_ref().map(|s| s.0.clone()).unwrap_or_default(),
        }))
    }
}
