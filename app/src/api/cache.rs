//! Thin adapters from engine views to the store page's DTOs: webhook health and sync progress.
//! (Browsing the cached products, customers and orders is `integration::browse`, mapped in
//! [`super::data`].)

use integration::Db;
use uuid::Uuid;

use super::stores::{ProgressState, Resource, ResourceProgress, SyncView, WebhookInfo};
use crate::error::AppError;
use integration::storage::stores::StoreRecord;

/// Webhook health from the engine (`integration::webhooks::health`).
pub async fn webhooks(db: &Db, store_id: Uuid) -> Result<Vec<WebhookInfo>, AppError> {
    Ok(integration::webhooks::health(db, store_id)
        .await?
        .into_iter()
        .map(|h| WebhookInfo {
            event: h.event,
            active: h.is_active && h.callback_registered,
            last_received_at: h.last_received_at.map(|t| t.timestamp()),
            total_received: i64::from(h.total_received),
        })
        .collect())
}

/// Progress from the sync engine (`integration::sync::progress_for_store`) plus whether a sync
/// job is still queued or running (`integration::jobs::queue::counts_for_store`).
pub async fn sync_view(db: &Db, store: &StoreRecord) -> Result<SyncView, AppError> {
    let progress = integration::sync::progress_for_store(db, store.id).await?;
    let jobs_live = integration::jobs::queue::counts_for_store(db, store.id)
        .await?
        .into_iter()
        .filter(|(kind, status, _)| {
            SYNC_KINDS.contains(&kind.as_str()) && matches!(status.as_str(), "queued" | "running")
        })
        .map(|(_, _, n)| n)
        .sum::<i64>();
    let resources: Vec<ResourceProgress> = Resource::ALL
        .into_iter()
        .map(|resource| {
            let row = progress.iter().find(|p| p.resource == resource.as_str());
            let state = match row.map(|r| r.status.as_str()) {
                Some("running") => ProgressState::Running,
                Some("done") => ProgressState::Done,
                Some("failed") => ProgressState::Failed,
                _ => ProgressState::Pending,
            };
            ResourceProgress {
                resource,
                state,
                done: row.map(|r| r.records_done).unwrap_or(0),
                total: row.and_then(|r| r.estimated_total),
                cached: row.map(|r| r.records_done).unwrap_or(0),
            }
        })
        .collect();
    let unfinished = resources
        .iter()
        .any(|r| matches!(r.state, ProgressState::Pending | ProgressState::Running));
    Ok(SyncView {
        running: store.is_active && (jobs_live > 0 || (unfinished && !progress.is_empty())),
        resources,
        last_sync_at: store.last_sync_at.map(|t| t.timestamp()),
    })
}

const SYNC_KINDS: [&str; 4] = [
    "initial_sync",
    "incremental_sync",
    "reconcile_sync",
    "acquire_token",
];
