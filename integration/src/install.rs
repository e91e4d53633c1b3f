//! The install lifecycle: RedirectUri callback, EntryPoint, UninstallUri, and disconnecting from
//! our side. Reference §1; design.md "What the product does" steps 2, 3 and 5.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::Utc;
use rand::RngCore;
use shoprenter::app_url::resolve_app_url;
use shoprenter::signature::{SignedRequest, Verifier};
use shoprenter::{ShopName, UrlTemplate};
use tokio::sync::{mpsc, oneshot};
use tower_sessions::Session;
use url::Url;
use uuid::Uuid;

use crate::accounts::User;
use crate::error::{Error, Result};
use crate::storage::installs::{
    self, BindInstall, BindOutcome, NewCallback, SignaturePurpose, MAX_CALLBACK_BATCH,
};
use crate::storage::jobs::{self, kinds, NewJob};
use crate::storage::stores::{self, DisconnectReason, StoreRecord};
use crate::storage::{group_commit, Db};
use crate::tokens::TokenVault;

/// Session key under which the EntryPoint keeps an install while the visitor signs in.
pub const SESSION_PENDING_INSTALL: &str = "pending_install";

/// The parameter we add to `app_url`; ShopRenter forwards it to the EntryPoint (§1 "Custom
/// parameters through app_url").
pub const INSTALL_PARAM: &str = "sr_install";

/// The `sr_install` value: the pending install's id and the random secret stored with it,
/// `<id>.<secret>`. The id is time-ordered (so the table's key appends), the secret is what makes
/// the ticket unguessable; it has no index, so it costs a commit nothing. A bare id is what
/// tickets looked like before (their rows have no secret).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct InstallTicket {
    pub id: Uuid,
    pub secret: Option<Uuid>,
}

impl InstallTicket {
    pub fn parse(raw: &str) -> Option<Self> {
        let (id, secret) = match raw.split_once('.') {
            Some((id, secret)) => (id, Some(Uuid::try_parse(secret).ok()?)),
            None => (raw, None),
        };
        Some(Self {
            id: Uuid::try_parse(id).ok()?,
            secret,
        })
    }

    /// Whether this ticket was given out for `pending` (constant time in the secret).
    fn opens(&self, pending: &installs::PendingInstall) -> bool {
        use subtle::ConstantTimeEq;
        self.id == pending.id
            && match (self.secret, pending.secret) {
                (Some(given), Some(stored)) => given.as_bytes().ct_eq(stored.as_bytes()).into(),
                (None, None) => true,
                _ => false,
            }
    }
}

/// Leaves the secret out, so a logged ticket cannot be replayed.
impl std::fmt::Debug for InstallTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstallTicket")
            .field("id", &self.id)
            .field("secret", &self.secret.map(|_| "[redacted]"))
            .finish()
    }
}

impl std::fmt::Display for InstallTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.secret {
            Some(secret) => write!(f, "{}.{}", self.id, secret.simple()),
            None => write!(f, "{}", self.id),
        }
    }
}

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
    /// Group commit for pending installs; started on first use (inside the runtime).
    writer: Arc<OnceLock<CallbackWriter>>,
}

/// One waiting callback: its rows, and where to send its pending install id (`None`: replay).
struct QueuedCallback {
    callback: NewCallback,
    done: oneshot::Sender<std::result::Result<Option<Uuid>, String>>,
}

/// Group commit for install callbacks: every request queues its replay-guard row and pending
/// install; a collector writes whatever has queued up meanwhile in **one transaction**
/// ([`installs::record_callbacks`]) and only then answers each request. Under load one disk
/// flush covers many callbacks (one commit per callback is capped by the disk's fdatasync
/// rate); a lone callback costs one commit, as before. A replay is refused exactly once per
/// reuse: the key's first use (in an earlier commit or earlier in the same batch) wins.
#[derive(Clone)]
struct CallbackWriter {
    tx: mpsc::Sender<QueuedCallback>,
}

impl CallbackWriter {
    fn start(db: Db) -> Self {
        let (tx, rx) = mpsc::channel(16 * MAX_CALLBACK_BATCH);
        tokio::spawn(collect_callbacks(db, rx));
        Self { tx }
    }

    async fn record(&self, callback: NewCallback) -> Result<Option<Uuid>> {
        let (done, wait) = oneshot::channel();
        let stopped = || Error::Internal("the install writer has stopped".into());
        self.tx
            .send(QueuedCallback { callback, done })
            .await
            .map_err(|_| stopped())?;
        wait.await
            .map_err(|_| stopped())?
            .map_err(|e| Error::Internal(format!("install commit failed: {e}")))
    }
}

/// Callbacks commit in batches, one at a time ([`group_commit`]), as webhook deliveries do: on
/// PostgreSQL four batches at once measured 20.4-20.9k callbacks/s at p99 5.3-5.4 ms, one
/// 29.1-30.2k at p99 3.4-3.7 ms (3 and 2 runs; two at once: 25.2-25.9k).
async fn collect_callbacks(db: Db, rx: mpsc::Receiver<QueuedCallback>) {
    let on_panic = "install callback commit task failed; its callbacks were not answered";
    group_commit::commit_batches(rx, MAX_CALLBACK_BATCH, on_panic, |batch: Vec<QueuedCallback>| {
        let db = db.clone();
        async move {
            let callbacks: Vec<NewCallback> = batch.iter().map(|q| q.callback.clone()).collect();
            match installs::record_callbacks(&db, &callbacks).await {
                Ok(ids) => {
                    for (queued, id) in batch.into_iter().zip(ids) {
                        let _ = queued.done.send(Ok(id));
                    }
                }
                Err(error) => {
                    tracing::error!(%error, callbacks = batch.len(), "install callback commit failed");
                    let error = error.to_string();
                    for queued in batch {
                        let _ = queued.done.send(Err(error.clone()));
                    }
                }
            }
        }
    })
    .await;
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
            writer: Arc::default(),
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

    /// Records the signature in the replay guard and creates the pending install, both in one
    /// (group) commit; [`Error::Replay`] when the signature was used before.
    async fn new_pending_install(
        &self,
        signed: &SignedRequest,
        app_url: &str,
    ) -> Result<InstallTicket> {
        let now = Utc::now();
        let ttl = chrono::Duration::from_std(self.pending_ttl)
            .map_err(|e| Error::Internal(e.to_string()))?;
        let writer = self
            .writer
            .get_or_init(|| CallbackWriter::start(self.db.clone()));
        let secret = Uuid::new_v4();
        let recorded = writer
            .record(NewCallback {
                shopname: signed.shop.as_str().to_owned(),
                code: signed.code.clone(),
                timestamp: signed.timestamp,
                app_url: app_url.to_owned(),
                now,
                expires_at: now + ttl,
                secret,
            })
            .await?;
        let id = recorded.ok_or_else(|| {
            tracing::warn!(shop = %signed.shop, "replayed install request rejected");
            Error::Replay
        })?;
        Ok(InstallTicket {
            id,
            secret: Some(secret),
        })
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
        let ticket = self.new_pending_install(&signed, target.as_str()).await?;
        target
            .query_pairs_mut()
            .append_pair(INSTALL_PARAM, &ticket.to_string());
        tracing::info!(shop = %signed.shop, install_id = %ticket.id, "pending install recorded");
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
                let ticket = InstallTicket::parse(raw).ok_or(Error::InstallUnavailable)?;
                let pending = installs::find_pending(&self.db, ticket.id)
                    .await?
                    .ok_or(Error::InstallUnavailable)?;
                if !ticket.opens(&pending)
                    || pending.shopname != shop.as_str()
                    || pending.consumed_at.is_some()
                    || pending.expires_at <= Utc::now()
                {
                    return Err(Error::InstallUnavailable);
                }
                ticket.id
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
                    other => other?.id,
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

    /// The shop an install kept in this session still waits to connect (unconsumed, unexpired),
    /// so the sign-in page the EntryPoint sent a visitor to can name it.
    pub async fn waiting_shop(&self, session: &Session) -> Result<Option<String>> {
        let install: Option<Uuid> = session
            .get(SESSION_PENDING_INSTALL)
            .await
            .map_err(|e| Error::Session(e.to_string()))?;
        let Some(install_id) = install else {
            return Ok(None);
        };
        let now = Utc::now();
        Ok(installs::find_pending(&self.db, install_id)
            .await?
            .filter(|p| p.consumed_at.is_none() && p.expires_at > now)
            .map(|p| p.shopname))
    }

    /// The shop's admin app page, built from the validated name and the configured template.
    pub fn admin_url(&self, shop: &ShopName) -> Url {
        self.admin_template
            .render_with(shop, &[(shoprenter::Placeholder::AppId, &self.app_id)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::testing::{engines, TestDb};
    use crate::with_pool;

    fn callback(shop: &str, code: &str, timestamp: i64) -> NewCallback {
        let now = Utc::now();
        NewCallback {
            shopname: shop.into(),
            code: code.into(),
            timestamp,
            app_url: format!("https://{shop}.myshoprenter.hu/admin/app/1"),
            now,
            expires_at: now + chrono::Duration::minutes(15),
            secret: Uuid::new_v4(),
        }
    }

    fn pending(id: Uuid, secret: Option<Uuid>) -> installs::PendingInstall {
        let now = Utc::now();
        installs::PendingInstall {
            id,
            shopname: "pelda".into(),
            code: "c".into(),
            timestamp: 1,
            app_url: String::new(),
            created_at: now,
            expires_at: now,
            consumed_at: None,
            user_id: None,
            store_id: None,
            secret,
        }
    }

    #[test]
    fn an_install_ticket_opens_only_its_own_pending_install() {
        let (id, secret) = (Uuid::now_v7(), Uuid::new_v4());
        let ticket = InstallTicket {
            id,
            secret: Some(secret),
        };
        let text = ticket.to_string();
        assert_eq!(text, format!("{id}.{}", secret.simple()));
        assert_eq!(InstallTicket::parse(&text), Some(ticket));
        assert!(ticket.opens(&pending(id, Some(secret))));

        assert!(
            !ticket.opens(&pending(id, Some(Uuid::new_v4()))),
            "wrong secret"
        );
        assert!(
            !ticket.opens(&pending(Uuid::now_v7(), Some(secret))),
            "other id"
        );
        let bare = InstallTicket::parse(&id.to_string()).unwrap();
        assert!(!bare.opens(&pending(id, Some(secret))), "secret left off");
        assert!(bare.opens(&pending(id, None)), "a row from before tickets");
        assert!(!ticket.opens(&pending(id, None)));
        let leaks = |debug: String| {
            debug.contains(&secret.to_string()) || debug.contains(&secret.simple().to_string())
        };
        assert!(!leaks(format!("{ticket:?}")), "{ticket:?}");
        assert!(!leaks(format!("{:?}", pending(id, Some(secret)))));
        for bad in [
            "",
            "x",
            &format!("{id}."),
            &format!("{id}.zz"),
            &format!(".{secret}"),
        ] {
            assert_eq!(InstallTicket::parse(bad), None, "{bad}");
        }
    }

    async fn count(db: &Db, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        with_pool!(db, |pool| sqlx::query_scalar::<_, i64>(&sql)
            .fetch_one(pool)
            .await
            .unwrap())
    }

    #[tokio::test]
    async fn a_batch_refuses_each_reuse_exactly_once() {
        for kind in engines() {
            let (test_db, db) = TestDb::migrated(kind).await.unwrap();
            // Used by an earlier commit.
            let earlier = installs::record_callbacks(&db, &[callback("pelda", "old", 1)])
                .await
                .unwrap();
            assert!(earlier[0].is_some(), "{kind:?}");
            let batch = [
                callback("pelda", "a", 1),
                callback("pelda", "old", 1), // replay of the earlier commit
                callback("pelda", "a", 1),   // replay within the batch
                callback("pelda", "a", 2),   // another timestamp: a new request
                callback("masik", "a", 1),   // another shop: a new request
            ];
            let ids = installs::record_callbacks(&db, &batch).await.unwrap();
            let fresh: Vec<bool> = ids.iter().map(Option::is_some).collect();
            assert_eq!(fresh, [true, false, false, true, true], "{kind:?}");
            for id in ids.iter().flatten() {
                let p = installs::find_pending(&db, *id).await.unwrap().unwrap();
                assert!(p.consumed_at.is_none());
            }
            assert_eq!(count(&db, "pending_installs").await, 4, "{kind:?}");
            assert_eq!(count(&db, "used_signatures").await, 4, "{kind:?}");
            db.close().await;
            test_db.cleanup().await;
        }
    }

    #[tokio::test]
    async fn a_failed_batch_stores_nothing_and_fails_every_member() {
        for kind in engines() {
            let (test_db, db) = TestDb::migrated(kind).await.unwrap();
            let writer = CallbackWriter::start(db.clone());
            // The second half of the transaction cannot succeed: the replay-guard rows written
            // by its first half must be rolled back with it.
            with_pool!(&db, |pool| sqlx::query("DROP TABLE pending_installs")
                .execute(pool)
                .await
                .map(|_| ())
                .unwrap());
            let calls = (0..20).map(|i| writer.record(callback("pelda", &format!("c{i}"), 1)));
            let results = futures::future::join_all(calls).await;
            assert!(
                results.iter().all(|r| matches!(r, Err(Error::Internal(_)))),
                "{kind:?}"
            );
            assert_eq!(count(&db, "used_signatures").await, 0, "{kind:?}");
            db.close().await;
            test_db.cleanup().await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callbacks_with_one_replay_refuse_exactly_one() {
        for kind in engines() {
            let (test_db, db) = TestDb::migrated(kind).await.unwrap();
            let writer = CallbackWriter::start(db.clone());
            // 64 distinct callbacks and one more use of callback 7, all at once.
            let mut tasks = Vec::new();
            for i in (0..64).chain([7]) {
                let writer = writer.clone();
                tasks.push(tokio::spawn(async move {
                    writer.record(callback("pelda", &format!("c{i}"), 1)).await
                }));
            }
            let mut ok = 0;
            let mut refused = 0;
            for t in tasks {
                match t.await.unwrap().unwrap() {
                    Some(_) => ok += 1,
                    None => refused += 1,
                }
            }
            assert_eq!((ok, refused), (64, 1), "{kind:?}");
            assert_eq!(count(&db, "pending_installs").await, 64, "{kind:?}");
            db.close().await;
            test_db.cleanup().await;
        }
    }
}
