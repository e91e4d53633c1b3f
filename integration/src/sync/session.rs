//! An API session for one store: the shared client (one rate limiter per shop for the whole
//! process) plus the store's current token, re-acquired once after a 401 (design.md "Tokens").

use secrecy::SecretString;
use serde::de::DeserializeOwned;
use shoprenter::client::{ApiClient, ApiError};
use shoprenter::ShopName;
use uuid::Uuid;

use super::SyncError;
use crate::tokens::TokenVault;

pub struct ApiSession {
    pub api: ApiClient,
    pub store_id: Uuid,
    pub shop: ShopName,
    pub token: SecretString,
    tokens: TokenVault,
}

impl ApiSession {
    pub async fn open(
        api: ApiClient,
        tokens: TokenVault,
        store_id: Uuid,
    ) -> Result<Self, SyncError> {
        let token = tokens.get(store_id).await.map_err(SyncError::from_engine)?;
        Ok(Self {
            api,
            store_id,
            shop: token.shop,
            token: token.access_token,
            tokens,
        })
    }

    /// After a 401: a new token (or the one another task already got).
    pub async fn reauthorize(&mut self) -> Result<(), SyncError> {
        let token = self
            .tokens
            .invalidate_and_reacquire(self.store_id, &self.token)
            .await
            .map_err(SyncError::from_engine)?;
        self.token = token.access_token;
        Ok(())
    }

    /// `GET` with one re-authorization on 401.
    pub async fn get_json<T: DeserializeOwned>(&mut self, path: &str) -> Result<T, SyncError> {
        match self.api.get_json(&self.shop, &self.token, path).await {
            Err(ApiError::Unauthorized { .. }) => {
                self.reauthorize().await?;
                Ok(self.api.get_json(&self.shop, &self.token, path).await?)
            }
            other => Ok(other?),
        }
    }
}
