//! The merchant's stores: list, connect (to the shop admin's install page), detail, live sync
//! progress, sync now, disconnect.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoreState {
    Active,
    NeedsAttention,
    Uninstalled,
    Disconnected,
}

/// Why a store needs attention, as a message key rather than the engine's log text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Attention {
    Token,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreSummary {
    pub id: String,
    pub shopname: String,
    pub store_url: String,
    pub state: StoreState,
    pub attention: Option<Attention>,
    pub connected_at: Option<i64>,
    pub last_sync_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookInfo {
    pub event: String,
    pub active: bool,
    pub last_received_at: Option<i64>,
    pub total_received: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreDetail {
    pub summary: StoreSummary,
    pub scopes: Vec<String>,
    pub missing_scopes: Vec<String>,
    pub reapprove_url: Option<String>,
    pub token_expires_at: Option<i64>,
    pub webhooks: Vec<WebhookInfo>,
    /// The sync progress at load time (the page then polls [`get_sync_status`]).
    pub sync: SyncView,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Resource {
    Products,
    Categories,
    Customers,
    Orders,
    OrderStatuses,
}

impl Resource {
    pub const ALL: [Resource; 5] = [
        Resource::Products,
        Resource::Categories,
        Resource::Customers,
        Resource::Orders,
        Resource::OrderStatuses,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Products => "products",
            Resource::Categories => "categories",
            Resource::Customers => "customers",
            Resource::Orders => "orders",
            Resource::OrderStatuses => "order_statuses",
        }
    }

    pub fn parse(s: &str) -> Option<Resource> {
        Resource::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProgressState {
    Pending,
    Running,
    Done,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceProgress {
    pub resource: Resource,
    pub state: ProgressState,
    pub done: i64,
    pub total: Option<i64>,
    /// Rows in the cache now.
    pub cached: i64,
}

impl ResourceProgress {
    /// 0–100; a finished pass is 100 whatever the estimate said.
    pub fn percent(&self) -> u8 {
        match (self.state, self.total) {
            (ProgressState::Done, _) => 100,
            (_, Some(total)) if total > 0 => ((self.done * 100) / total).clamp(0, 99) as u8,
            _ => 0,
        }
    }
}

/// What the store page polls while a sync runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncView {
    /// A sync job is queued or running, or a resource pass is not finished.
    pub running: bool,
    pub resources: Vec<ResourceProgress>,
    pub last_sync_at: Option<i64>,
}

impl SyncView {
    pub fn overall_percent(&self) -> u8 {
        if self.resources.is_empty() {
            return if self.running { 0 } else { 100 };
        }
        let sum: u32 = self.resources.iter().map(|r| r.percent() as u32).sum();
        (sum / self.resources.len() as u32) as u8
    }
}

#[server(prefix = "/api", endpoint = "stores")]
pub async fn list_stores() -> Result<Vec<StoreSummary>, AppError> {
    let (engine, user) = super::ctx::require_user().await?;
    let stores = engine.stores_of(&user).await?;
    Ok(stores.iter().map(server::summary).collect())
}

/// Validates the shop name and sends the browser to the shop admin's page of our app (in demo
/// mode the simulator's), built from the configured template, never from input.
#[server(prefix = "/api", endpoint = "connect_shoprenter")]
pub async fn connect_shoprenter(shopname: String) -> Result<(), AppError> {
    let name = crate::validate::shop_name(&shopname)?;
    let (engine, _user) = super::ctx::require_user().await?;
    let shop = shoprenter::ShopName::parse(&name)
        .map_err(|_| AppError::Invalid(crate::validate::FieldError::ShopNameInvalid))?;
    let url = engine.installs().admin_url(&shop);
    tracing::info!(shop = %shop.as_str(), "sending the merchant to the shop admin to install");
    leptos_axum::redirect(url.as_str());
    Ok(())
}

#[server(prefix = "/api", endpoint = "store")]
pub async fn get_store(id: String) -> Result<StoreDetail, AppError> {
    let (engine, user) = super::ctx::require_user().await?;
    let store = engine.store_of(&user, super::ctx::parse_id(&id)?).await?;
    server::detail(&engine, &store).await
}

#[server(prefix = "/api", endpoint = "sync_status")]
pub async fn get_sync_status(id: String) -> Result<SyncView, AppError> {
    let (engine, user) = super::ctx::require_user().await?;
    let store = engine.store_of(&user, super::ctx::parse_id(&id)?).await?;
    super::cache::sync_view(engine.db(), &store).await
}

#[server(prefix = "/api", endpoint = "sync_now")]
pub async fn sync_now(id: String) -> Result<(), AppError> {
    let (engine, user) = super::ctx::require_user().await?;
    let store = engine.store_of(&user, super::ctx::parse_id(&id)?).await?;
    if !store.is_active {
        return Err(AppError::StoreInactive);
    }
    integration::sync::request_sync_now(engine.db(), store.id).await?;
    tracing::info!(store = %store.id, "sync requested from the web UI");
    Ok(())
}

#[server(prefix = "/api", endpoint = "disconnect_store")]
pub async fn disconnect_store(id: String) -> Result<(), AppError> {
    let (engine, user) = super::ctx::require_user().await?;
    engine
        .disconnect_store(&user, super::ctx::parse_id(&id)?)
        .await?;
    Ok(())
}

#[cfg(feature = "ssr")]
mod server {
    use integration::storage::stores::StoreRecord;
    use integration::Engine;

    use super::*;

    pub fn summary(store: &StoreRecord) -> StoreSummary {
        let state = if store.is_active {
            if store.needs_attention.is_some() {
                StoreState::NeedsAttention
            } else {
                StoreState::Active
            }
        } else if store.disconnect_reason.as_deref() == Some("uninstalled") {
            StoreState::Uninstalled
        } else {
            StoreState::Disconnected
        };
        let attention = store.needs_attention.as_deref().map(|reason| {
            if reason.to_ascii_lowercase().contains("token") {
                Attention::Token
            } else {
                Attention::Other
            }
        });
        StoreSummary {
            id: store.id.to_string(),
            shopname: store.shopname.clone(),
            store_url: store.store_url.clone(),
            state,
            attention,
            connected_at: store.connected_at.map(|t| t.timestamp()),
            last_sync_at: store.last_sync_at.map(|t| t.timestamp()),
        }
    }

    /// The re-approval page: the configured admin app URL with the ClientId in the app's slot and
    /// `/approveScopes` appended (reference §6), as `shoprenter::scopes::approve_scopes_url`
    /// builds it; the engine exposes the rendered admin URL, not its template.
    fn approve_scopes_url(engine: &Engine, shop: &shoprenter::ShopName) -> String {
        let mut url = engine.installs().admin_url(shop);
        url.set_query(None);
        url.set_fragment(None);
        if let Ok(mut segments) = url.path_segments_mut() {
            segments
                .pop_if_empty()
                .pop()
                .push(engine.client_id())
                .push("approveScopes");
        }
        url.to_string()
    }

    pub async fn detail(engine: &Engine, store: &StoreRecord) -> Result<StoreDetail, AppError> {
        let token = integration::storage::tokens::load(engine.db(), store.id).await?;
        let scopes: Vec<String> = store
            .scopes
            .as_ref()
            .map(|s| s.0.clone())
            .or_else(|| {
                token
                    .as_ref()
                    .and_then(|t| t.scopes.as_ref().map(|s| s.0.clone()))
            })
            .unwrap_or_default();
        let missing: Vec<String> = if token.is_some() {
            shoprenter::scopes::missing_scopes(&scopes)
                .into_iter()
                .map(str::to_owned)
                .collect()
        } else {
            Vec::new()
        };
        let reapprove_url = (!missing.is_empty())
            .then(|| shoprenter::ShopName::parse(&store.shopname).ok())
            .flatten()
            .map(|shop| approve_scopes_url(engine, &shop));
        let token_expires_at = token
            .as_ref()
            .filter(|t| t.is_active && t.access_token.is_some())
            .and_then(|t| t.expires_at)
            .map(|t| t.timestamp());
        Ok(StoreDetail {
            summary: summary(store),
            scopes,
            missing_scopes: missing,
            reapprove_url,
            token_expires_at,
            webhooks: super::super::cache::webhooks(engine.db(), store.id).await?,
            sync: super::super::cache::sync_view(engine.db(), store).await?,
        })
    }
}
