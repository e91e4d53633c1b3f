//! Webhook registration: make the shop's `webHooks` match what we want, idempotently.
//!
//! Reference §5 "Registration": `POST webHooks {label, event, status:"1", webHookParameters:[{type:
//! "json", url}]}`, `PUT`/`DELETE webHooks/{id}`. Deliveries are unsigned, so each URL carries the
//! store's unguessable secret: `{public}/webhooks/shoprenter/{shop}/{secret}?event={event}` (the
//! payload does not name its event, so the URL does).
//!
//! "Ours" means a webhook whose URL starts with our public webhook prefix; anything else in the
//! shop (the merchant's own automations) is never touched.

use crate::storage::BeginWrite;
use chrono::Utc;
use shoprenter::client::ApiError;
use shoprenter::resources::{Collection, NewWebHook, WebHook};
use shoprenter::webhooks::WebhookEvent;
use uuid::Uuid;

use crate::jobs::{kinds, ClaimedJob, JobContext, JobError, JobHandler};
use crate::storage::{stores, Db, StorageError};
use crate::sync::{ApiSession, SyncError};
use crate::tokens::TokenVault;
use crate::{with_pool, with_writer};

/// Label shown in the shop admin's automations list.
const LABEL: &str = "ShopCall.ai";

/// What a reconciliation changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistrationReport {
    pub created: usize,
    pub updated: usize,
    pub deleted: usize,
    pub unchanged: usize,
}

/// Registers and repairs webhooks. Cheap to clone.
#[derive(Clone)]
pub struct WebhookRegistrar {
    db: Db,
    api: shoprenter::client::ApiClient,
    tokens: TokenVault,
    public_base_url: url::Url,
    events: Vec<WebhookEvent>,
}

impl WebhookRegistrar {
    /// `events` defaults to `order_confirm` + `order_status_change` (add `abandoned_cart` when the
    /// shop has it enabled).
    pub fn new(
        db: Db,
        api: shoprenter::client::ApiClient,
        tokens: TokenVault,
        public_base_url: url::Url,
        events: Option<Vec<WebhookEvent>>,
    ) -> Self {
        Self {
            db,
            api,
            tokens,
            public_base_url,
            events: events.unwrap_or_else(|| {
                vec![WebhookEvent::OrderConfirm, WebhookEvent::OrderStatusChange]
            }),
        }
    }

    fn prefix(&self) -> String {
        format!(
            "{}/webhooks/shoprenter/",
            self.public_base_url.as_str().trim_end_matches('/')
        )
    }

    /// The callback URL for one store and event.
    pub fn callback_url(&self, shopname: &str, secret: &str, event: &WebhookEvent) -> String {
        format!(
            "{}{shopname}/{secret}?event={}",
            self.prefix(),
            event.as_str()
        )
    }

    #[tracing::instrument(skip_all, fields(shop = tracing::field::Empty, store = %store_id))]
    pub async fn reconcile(&self, store_id: Uuid) -> Result<RegistrationReport, SyncError> {
        let store = stores::find(&self.db, store_id)
            .await?
            .filter(|s| s.is_active)
            .ok_or(SyncError::StoreGone)?;
        tracing::Span::current().record("shop", store.shopname.as_str());
        let mut session = ApiSession::open(self.api.clone(), self.tokens.clone(), store_id).await?;
        let existing = list_webhooks(&mut session).await?;
        let prefix = self.prefix();
        let mut ours: Vec<WebHook> = existing
            .into_iter()
            .filter(|h| h.urls().any(|u| u.starts_with(&prefix)))
            .collect();
        let mut report = RegistrationReport::default();
        let mut registered = Vec::new();
        for event in &self.events {
            let want = self.callback_url(&store.shopname, &store.webhook_secret, event);
            let (mut same_event, rest): (Vec<WebHook>, Vec<WebHook>) = ours
                .into_iter()
                .partition(|h| h.event().as_ref() == Some(event));
            ours = rest;
            // Prefer one already right; else one to repair; else create.
            same_event.sort_by_key(|h| !(h.is_enabled() && h.urls().any(|u| u == want)));
            let keep = if same_event.is_empty() {
                None
            } else {
                Some(same_event.remove(0))
            };
            let body = NewWebHook::json(LABEL, event.clone(), want.clone());
            let id = match keep {
                Some(h) if h.is_enabled() && h.urls().any(|u| u == want) => {
                    report.unchanged += 1;
                    h.id.clone()
                }
                Some(h) => {
                    let id = h.id.clone().unwrap_or_default();
                    let _: serde_json::Value =
                        put(&mut session, &format!("webHooks/{id}"), &body).await?;
                    report.updated += 1;
                    Some(id)
                }
                None => {
                    let created: WebHook = post(&mut session, "webHooks", &body).await?;
                    report.created += 1;
                    created.id
                }
            };
            // Duplicates of ours for this event.
            for dup in same_event {
                delete(&mut session, dup.id.as_deref()).await?;
                report.deleted += 1;
            }
            registered.push((event.as_str().to_owned(), id, want));
        }
        // Ours, for events we no longer want (or pointing at an old secret of another event).
        for stale in ours {
            delete(&mut session, stale.id.as_deref()).await?;
            report.deleted += 1;
        }
        save_registrations(&self.db, store_id, &registered).await?;
        tracing::info!(?report, "webhooks reconciled");
        Ok(report)
    }
}

#[async_trait::async_trait]
impl JobHandler for WebhookRegistrar {
    async fn run(&self, job: &ClaimedJob, _ctx: &JobContext) -> Result<(), JobError> {
        let store_id = job
            .store_id
            .ok_or_else(|| JobError::Permanent("job has no store".into()))?;
        debug_assert_eq!(job.kind, kinds::REGISTER_WEBHOOKS);
        self.reconcile(store_id).await?;
        Ok(())
    }
}

async fn list_webhooks(session: &mut ApiSession) -> Result<Vec<WebHook>, SyncError> {
    let mut all = Vec::new();
    let mut page = 0u64;
    loop {
        let c: Collection<WebHook> = session
            .get_json(&format!("webHooks?page={page}&limit=200&full=1"))
            .await?;
        let next = c.next_page().filter(|n| *n > page && !c.items.is_empty());
        all.extend(c.items);
        match next {
            Some(n) => page = n,
            None => return Ok(all),
        }
    }
}

async fn post<T: serde::de::DeserializeOwned>(
    session: &mut ApiSession,
    path: &str,
    body: &NewWebHook,
) -> Result<T, SyncError> {
    match session
        .api
        .post_json(&session.shop, &session.token, path, body)
        .await
    {
        Err(ApiError::Unauthorized { .. }) => {
            session.reauthorize().await?;
            Ok(session
                .api
                .post_json(&session.shop, &session.token, path, body)
                .await?)
        }
        other => Ok(other?),
    }
}

async fn put<T: serde::de::DeserializeOwned>(
    session: &mut ApiSession,
    path: &str,
    body: &NewWebHook,
) -> Result<T, SyncError> {
    match session
        .api
        .put_json(&session.shop, &session.token, path, body)
        .await
    {
        Err(ApiError::Unauthorized { .. }) => {
            session.reauthorize().await?;
            Ok(session
                .api
                .put_json(&session.shop, &session.token, path, body)
                .await?)
        }
        other => Ok(other?),
    }
}

async fn delete(session: &mut ApiSession, id: Option<&str>) -> Result<(), SyncError> {
    let Some(id) = id.filter(|i| !i.is_empty()) else {
        return Ok(());
    };
    let path = format!("webHooks/{id}");
    let result = match session
        .api
        .delete(&session.shop, &session.token, &path)
        .await
    {
        Err(ApiError::Unauthorized { .. }) => {
            session.reauthorize().await?;
            session
                .api
                .delete(&session.shop, &session.token, &path)
                .await
        }
        other => other,
    };
    match result {
        // Already gone: that is what we wanted.
        Ok(()) | Err(ApiError::NotFound { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Mirrors the registrations in `shoprenter_webhooks` (one row per store and event); counters of
/// rows that stay are kept.
async fn save_registrations(
    db: &Db,
    store_id: Uuid,
    registered: &[(String, Option<String>, String)],
) -> Result<(), StorageError> {
    let now = Utc::now();
    with_writer!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        for (event, id, url) in registered {
            sqlx::query(
                "INSERT INTO shoprenter_webhooks (id, store_id, shoprenter_webhook_id, event, callback_url, is_active, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
                 ON CONFLICT (store_id, event) DO UPDATE SET shoprenter_webhook_id = excluded.shoprenter_webhook_id,
                     callback_url = excluded.callback_url, is_active = excluded.is_active, updated_at = excluded.updated_at",
            )
            .bind(Uuid::new_v4())
            .bind(store_id)
            .bind(id)
            .bind(event)
            .bind(url)
            .bind(true)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let events: Vec<&str> = registered.iter().map(|r| r.0.as_str()).collect();
        let placeholders: Vec<String> = (0..events.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "DELETE FROM shoprenter_webhooks WHERE store_id = $1{}",
            if events.is_empty() {
                String::new()
            } else {
                format!(" AND event NOT IN ({})", placeholders.join(","))
            }
        );
        let mut q = sqlx::query(&sql).bind(store_id);
        for e in &events {
            q = q.bind(*e);
        }
        q.execute(&mut *tx).await?;
        tx.commit().await
    })?;
    Ok(())
}

/// What the merchant UI shows about a store's webhooks.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct WebhookHealth {
    pub event: String,
    pub callback_registered: bool,
    pub is_active: bool,
    pub last_received_at: Option<chrono::DateTime<Utc>>,
    pub total_received: i32,
}

/// Registered events with their delivery counters.
pub async fn health(db: &Db, store_id: Uuid) -> Result<Vec<WebhookHealth>, StorageError> {
    Ok(with_pool!(db, |pool| {
        sqlx::query_as::<_, WebhookHealth>(
            "SELECT event, shoprenter_webhook_id IS NOT NULL AS callback_registered, is_active, last_received_at, total_received
             FROM shoprenter_webhooks WHERE store_id = $1 ORDER BY event",
        )
        .bind(store_id)
        .fetch_all(pool)
        .await
    })?)
}
