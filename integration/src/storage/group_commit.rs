//! Group commit for writes that must be durable before a request is answered (webhook
//! deliveries, install callbacks): requests queue on a channel, and one collector takes whatever
//! has queued meanwhile (up to a cap) as one batch, committed in one transaction. The disk's
//! sync rate (~7k/s here) would otherwise cap such writes at one commit each.
//!
//! One batch commits at a time, on both engines. SQLite has one writer anyway; on PostgreSQL
//! several batches at once split the same requests into smaller transactions whose fixed costs
//! compete for the same cores (measured in `docs/benchmarks.md`, 2026-12-07).

use std::future::Future;

use tokio::sync::mpsc;

/// Runs until every sender is gone: takes the next request and whatever else has queued, up to
/// `max` in all, and awaits `commit` of that batch before taking the next. `commit` answers each
/// request of its batch itself; `on_panic` is logged when it panicked instead.
pub(crate) async fn commit_batches<T, F, Fut>(
    mut rx: mpsc::Receiver<T>,
    max: usize,
    on_panic: &'static str,
    commit: F,
) where
    F: Fn(Vec<T>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < max {
            match rx.try_recv() {
                Ok(request) => batch.push(request),
                Err(_) => break,
            }
        }
        // Its own task, so that a panic in one commit fails its batch, not the collector.
        if tokio::spawn(commit(batch)).await.is_err() {
            tracing::error!("{on_panic}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// What queued while a batch committed forms the next batch, capped at `max`; a panicking
    /// commit fails only its own batch.
    #[tokio::test]
    async fn queued_requests_form_capped_batches_one_commit_at_a_time() {
        let (tx, rx) = mpsc::channel(16);
        for i in 0..5 {
            tx.send(i).await.unwrap();
        }
        drop(tx);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        commit_batches(rx, 2, "test commit panicked", move |batch: Vec<i32>| {
            let record = record.clone();
            async move {
                if batch.contains(&2) {
                    panic!("this batch fails");
                }
                record.lock().unwrap().push(batch);
            }
        })
        .await;
        assert_eq!(*seen.lock().unwrap(), vec![vec![0, 1], vec![4]]);
    }
}
