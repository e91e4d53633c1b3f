//! The install lifecycle: RedirectUri callback, EntryPoint, UninstallUri, and disconnecting from
//! our side. Reference §1; design.md "What the product does" steps 2, 3 and 5.

use std::time::Duration;

use chrono::Utc;
use rand::RngCore;
use shoprenter::app_url::resolve_app_url;
use shoprenter::signature::{SignedRequest, Verifier};
use shoprenter::{ShopName, UrlTemplate};
use url::Url;
use uuid::Uuid;

use crate::accounts::User;
use crate::error::{Error, Result};
use crate::storage::installs::{
    self, BindInstall, BindOutcome, NewPendingInstall, SignaturePurpose,
};
use crate::storage::jobs::{self, kinds, NewJob};
use crate::storage::stores::{self, DisconnectReason, StoreRecord};
use crate::storage::Db;
use crate::tokens::TokenVault;

/// The parameter we add to `app_url`; ShopRenter forwards it to the EntryPoint (§1 "Custom
/// parameters through app_url").
pub const INSTALL_PARAM: &str = "sr_install";

/// What the EntryPoint should do next.
#[derive(Debug, Clone)]
pub enum EntryOutcome {
    /// The shop is already connected: open its store page (ShopRenter opens the EntryPoint on
    /// every admin visit).
    OpenStore(Uuid),
    /// Nobody is signed in: keep `install_id` (e.g. in the session), send the merchant through
    /// sign-in, then call [`Installs::complete_install`].
    NeedsSignIn { install_id: Uuid },
    /// The shop was bound to the merchant.
    Connected(Box<ConnectedStore>),
}

#[derive(Debug, Clone)]
pub struct ConnectedStore {
    pub store: StoreRecord,
    /// False when no token could be acquired; the store is then marked "needs attention".
    pub token_acquired: bool,
}

/// What an UninstallUri call did; every one of them is answered with 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UninstallOutcome {
    Deactivated(Uuid),
    AlreadyInactive(Uuid),
    UnknownShop,
    /// The same signed request was seen before; nothing was done.
    Replayed,
}

#[derive(Clone)]
pub struct Installs {
    db: Db,
    verifier: Verifier,
    admin_template: UrlTemplate,
    app_id: String,
    client_id: String,
    pending_ttl: Duration,
    vault: TokenVault,
}

impl std::fmt::Debug for Installs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Installs")
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

fn now_unix() -> i64 {
    Utc::now().timestamp()
}

impl Installs {
    pub(crate) fn new(
        db: Db,
        verifier: Verifier,
        admin_template: UrlTemplate,
        app_id: String,
        client_id: String,
        pending_ttl: Duration,
        vault: TokenVault,
    ) -> Self {
        Self {
            db,
            verifier,
            admin_template,
            app_id,
            client_id,
            pending_ttl,
            vault,
        }
    }

    fn verify(&self, raw_query: &str, endpoint: &'static str) -> Result<SignedRequest> {
        match self.verifier.verify(raw_query, now_unix()) {
            Ok(signed) => {
                tracing::info!(
                    shop = %signed.shop,
                    endpoint,
                    variant = ?signed.variant,
                    previous_secret = signed.matched_previous_secret,
                    "signed ShopRenter request verified"
                );
                Ok(signed)
            }
            Err(error) => {
                tracing::warn!(endpoint, %error, "signed ShopRenter request rejected");
                Err(Error::from_verify(error))
            }
        }
    }

    async fn new_pending_install(&self, signed: &SignedRequest, app_url: &str) -> Result<Uuid> {
        let now = Utc::now();
        let fresh = installs::record_signature_once(
            &self.db,
            signed.shop.as_str(),
            &signed.code,
            signed.timestamp,
            SignaturePurpose::Install,
            now,
        )
        .await?;
        if !fresh {
            tracing::warn!(shop = %signed.shop, "replayed install request rejected");
            return Err(Error::Replay);
        }
        let ttl = chrono::Duration::from_std(self.pending_ttl)
            .map_err(|e| Error::Internal(e.to_string()))?;
        Ok(installs::insert_pending(
            &self.db,
            NewPendingInstall {
                shopname: signed.shop.as_str(),
                code: &signed.code,
                timestamp: signed.timestamp,
                app_url,
                now,
                expires_at: now + ttl,
            },
        )
        .await?)
    }

    /// `GET /auth/shoprenter/callback`: verifies, records a pending install and returns where to
    /// send the browser (the validated `app_url` with `sr_install=<id>`).
    #[tracing::instrument(skip_all)]
    pub async fn handle_callback(&self, raw_query: &str) -> Result<Url> {
        let signed = self.verify(raw_query, "callback")?;
        let mut target = resolve_app_url(
            signed.app_url.as_deref(),
            &signed.shop,
            &self.app_id,
            &self.admin_template,
            signed.app_url_is_signed(),
        );
        if signed.app_url.is_some() && signed.app_url.as_deref() != Some(target.as_str()) {
            tracing::info!(shop = %signed.shop, "app_url not trusted or normalised; using the admin URL built from the shop name");
        }
        let install_id = self.new_pending_install(&signed, target.as_str()).await?;
        target
            .query_pairs_mut()
            .append_pair(INSTALL_PARAM, &install_id.to_string());
        tracing::info!(shop = %signed.shop, %install_id, "pending install recorded");
        Ok(target)
    }

    /// `GET /integrations/shoprenter/entry`: verifies and decides what to show. `user` is the
    /// signed-in merchant, if any.
    #[tracing::instrument(skip_all)]
    pub async fn handle_entry(&self, raw_query: &str, user: Option<&User>) -> Result<EntryOutcome> {
        let signed = self.verify(raw_query, "entry")?;
        let shop = &signed.shop;
        let install_param = signed.extra_param(INSTALL_PARAM);
        if let Some(store) = stores::find_by_shopname(&self.db, shop.as_str()).await? {
            if store.is_active {
                if let (Some(_), Some(user)) = (install_param, user) {
                    if user.id != store.user_id {
                        tracing::warn!(%shop, "install attempt for a shop connected to another account");
                        return Err(Error::ShopClaimedByOther);
                    }
                }
                return Ok(EntryOutcome::OpenStore(store.id));
            }
        }
        let install_id = match install_param {
            Some(raw) => {
                let id = Uuid::parse_str(raw).map_err(|_| Error::InstallUnavailable)?;
                let pending = installs::find_pending(&self.db, id)
                    .await?
                    .ok_or(Error::InstallUnavailable)?;
                if pending.shopname != shop.as_str()
                    || pending.consumed_at.is_some()
                    || pending.expires_at <= Utc::now()
                {
                    return Err(Error::InstallUnavailable);
                }
                id
            }
            // ShopRenter may not forward our parameter (reference (d) 2): a fresh, signed EntryPoint
            // call for a shop that is not connected is itself proof of an install; it may bind once.
            None => {
                let fallback = self.admin_url(shop);
                match self.new_pending_install(&signed, fallback.as_str()).await {
                    // The same EntryPoint URL again (a reload, or back from sign-in): its install.
                    Err(Error::Replay) => installs::find_open_by_signature(
                        &self.db,
                        shop.as_str(),
                        &signed.code,
                        signed.timestamp,
                        Utc::now(),
                    )
                    .await?
                    .ok_or(Error::Replay)?,
                    other => other?,
                }
            }
        };
        match user {
            None => Ok(EntryOutcome::NeedsSignIn { install_id }),
            Some(user) => Ok(EntryOutcome::Connected(Box::new(
                self.complete_install(install_id, user).await?,
            ))),
        }
    }

    /// Binds a pending install to `user`, acquires a token and queues webhook registration and
    /// the initial sync. A token failure does not undo the binding: the store is then marked
    /// "needs attention" and the merchant sees why.
    #[tracing::instrument(skip_all, fields(%install_id))]
    pub async fn complete_install(&self, install_id: Uuid, user: &User) -> Result<ConnectedStore> {
        let pending = installs::find_pending(&self.db, install_id)
            .await?
            .ok_or(Error::InstallUnavailable)?;
        let shop = ShopName::parse(&pending.shopname).map_err(|_| Error::InstallUnavailable)?;
        let store_url = format!("https://{}.myshoprenter.hu", shop.as_str());
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let webhook_secret = hex::encode(secret);
        let now = Utc::now();
        let outcome = installs::bind_install(
            &self.db,
            BindInstall {
                install_id,
                shopname: shop.as_str(),
                user_id: user.id,
                store_url: &store_url,
                app_id: &self.app_id,
                client_id: &self.client_id,
                webhook_secret: &webhook_secret,
                now,
            },
        )
        .await?;
        let store = match outcome {
            BindOutcome::Bound(store) => *store,
            BindOutcome::InstallUnavailable => return Err(Error::InstallUnavailable),
            BindOutcome::ClaimedByOther => {
                tracing::warn!(%shop, "shop is connected to another account; install refused");
                return Err(Error::ShopClaimedByOther);
            }
        };
        tracing::info!(%shop, store_id = %store.id, user_id = %user.id, "shop bound to merchant");
        let token_acquired = match self.vault.get(store.id).await {
            Ok(_) => true,
            Err(error) => {
                tracing::warn!(%shop, %error, "no API token after install");
                false
            }
        };
        for kind in [kinds::REGISTER_WEBHOOKS, kinds::INITIAL_SYNC] {
            jobs::enqueue(
                &self.db,
                NewJob {
                    kind,
                    store_id: Some(store.id),
                    payload: serde_json::json!({ "shopname": shop.as_str() }),
                    run_at: now,
                    dedupe_key: Some(format!("{kind}:{}", store.id)),
                },
                now,
            )
            .await?;
        }
        let store = stores::find(&self.db, store.id)
            .await?
            .ok_or(Error::StoreNotFound)?;
        Ok(ConnectedStore {
            store,
            token_acquired,
        })
    }

    /// `GET /webhooks/shoprenter/uninstall`: verifies, then deactivates the store. Unknown shops,
    /// repeated calls and replays are all fine (the caller answers 200).
    #[tracing::instrument(skip_all)]
    pub async fn handle_uninstall(&self, raw_query: &str) -> Result<UninstallOutcome> {
        let signed = self.verify(raw_query, "uninstall")?;
        let now = Utc::now();
        let fresh = installs::record_signature_once(
            &self.db,
            signed.shop.as_str(),
            &signed.code,
            signed.timestamp,
            SignaturePurpose::Uninstall,
            now,
        )
        .await?;
        if !fresh {
            // Acting on a replay could uninstall a shop reinstalled since; answer 200 anyway.
            tracing::warn!(shop = %signed.shop, "replayed uninstall request ignored");
            return Ok(UninstallOutcome::Replayed);
        }
        let Some(store) = stores::find_by_shopname(&self.db, signed.shop.as_str()).await? else {
            tracing::info!(shop = %signed.shop, "uninstall for an unknown shop");
            return Ok(UninstallOutcome::UnknownShop);
        };
        if stores::deactivate(&self.db, store.id, DisconnectReason::Uninstalled, now).await? {
            tracing::info!(shop = %signed.shop, store_id = %store.id, "store uninstalled and deactivated");
            Ok(UninstallOutcome::Deactivated(store.id))
        } else {
            tracing::info!(shop = %signed.shop, store_id = %store.id, "uninstall for an already inactive store");
            Ok(UninstallOutcome::AlreadyInactive(store.id))
        }
    }

    /// The merchant disconnects a store from ShopCall.ai: the same clean-up as an uninstall.
    /// Returns `false` when it was already disconnected. The app stays installed in the shop
    /// until the merchant removes it there; opening it again reconnects.
    #[tracing::instrument(skip_all, fields(%store_id))]
    pub async fn disconnect(&self, store_id: Uuid, user: &User) -> Result<bool> {
        let store = stores::find(&self.db, store_id)
            .await?
            .filter(|s| s.user_id == user.id)
            .ok_or(Error::StoreNotFound)?;
        let changed = stores::deactivate(
            &self.db,
            store.id,
            DisconnectReason::Disconnected,
            Utc::now(),
        )
        .await?;
        tracing::info!(shop = %store.shopname, changed, "store disconnected by the merchant");
        Ok(changed)
    }

    /// The shop's admin app page, built from the validated name and the configured template.
    pub fn admin_url(&self, shop: &ShopName) -> Url {
        self.admin_template
            .render_with(shop, &[(shoprenter::Placeholder::AppId, &self.app_id)])
    }
}
