//! Per-shop rate limiting (`shoprenter-protocol.md` §4: 3 requests/s per app per shop, 429 on
//! excess).
//!
//! One process keeps its shops' latest request starts in memory. Several processes calling the
//! same shops as the same app (server instances on one database) must count together: a
//! [`SharedWindow`] keeps the starts where all of them see it, and the limiter asks it before each
//! request, falling back to its own memory when it cannot answer.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::time::Instant;

use crate::ShopName;

/// Margin added to the limiter's one-second window, so network and scheduling jitter cannot
/// squeeze a fourth request into the platform's window. It is per window, not per request
/// (the old design added 10 ms to every request's spacing, i.e. 30 ms per window at 3/s, and
/// capped a high limit at 100/s). Measured on the loaded 2-core dev box: 8 ms let one request in
/// ~300 arrive as a fourth in a window; 30 ms keeps the old safety at 3/s.
pub(super) const WINDOW_MARGIN: Duration = Duration::from_millis(30);

/// What a [`SharedWindow`] answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowSlot {
    /// The start was recorded: the request may go now.
    Started,
    /// `limit` requests started within the window; ask again after this long.
    Full { retry_in: Duration },
}

/// Why a [`SharedWindow`] could not answer. The limiter then limits this process alone.
#[derive(Debug, thiserror::Error)]
#[error("shared rate window unavailable: {0}")]
pub struct SharedWindowError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

/// Request starts per shop, shared by every process that calls the API as this app.
pub trait SharedWindow: Send + Sync {
    /// Records that a request to `shop` starts now if fewer than `limit` started within the last
    /// `window` in any process sharing this log; otherwise says when to ask again. Checking and
    /// recording must be one atomic step, and "now" one clock for every process.
    fn try_start<'a>(
        &'a self,
        shop: &'a ShopName,
        limit: u32,
        window: Duration,
    ) -> BoxFuture<'a, Result<WindowSlot, SharedWindowError>>;
}

/// A per-shop sliding-window limiter: at most `limit` requests start within any window of one
/// second (plus [`WINDOW_MARGIN`]), which is exactly what the platform counts. A request may start
/// at once while the shop has had fewer than `limit` requests in the last window, else one window
/// after the `limit`-th latest; in a steady stream that spaces requests evenly at
/// `(1 s + margin) / limit`. Callers queue per shop (a fair lock held while waiting for the
/// slot), and each start is recorded when it really happens, after the wait: a task that wakes
/// late under load pushes the later requests back instead of eating into the margin.
/// A limit of 0 disables limiting (simulators, benchmarks).
///
/// With a [`SharedWindow`], each start is recorded there instead, so that the processes sharing
/// it together keep the limit; this process still queues its own callers per shop, so it asks
/// one question at a time per shop.
pub(super) struct Limiter {
    limit: usize,
    window: Duration,
    shared: Option<Arc<dyn SharedWindow>>,
    /// Per shop, the start times of its latest `limit` requests, oldest first.
    shops: Mutex<HashMap<ShopName, Arc<tokio::sync::Mutex<VecDeque<Instant>>>>>,
}

impl Limiter {
    pub(super) fn new(requests_per_second: u32, shared: Option<Arc<dyn SharedWindow>>) -> Self {
        Self {
            limit: requests_per_second as usize,
            window: Duration::from_secs(1) + WINDOW_MARGIN,
            shared,
            shops: Mutex::new(HashMap::new()),
        }
    }

    /// Waits until a request to `shop` may start and records that it starts now.
    pub(super) async fn acquire(&self, shop: &ShopName) {
        if self.limit == 0 {
            return;
        }
        let cell = {
            let mut shops = self.shops.lock().unwrap_or_else(|e| e.into_inner());
            shops.entry(shop.clone()).or_default().clone()
        };
        let mut starts = cell.lock().await;
        // Shared starts are recorded here too, so a fallback still knows the recent ones.
        if !self.started_in_shared_window(shop).await && starts.len() >= self.limit {
            tokio::time::sleep_until(starts[starts.len() - self.limit] + self.window).await;
        }
        starts.push_back(Instant::now());
        while starts.len() > self.limit {
            starts.pop_front();
        }
    }

    /// Waits until the shared window records a start; false without one, or when it fails.
    async fn started_in_shared_window(&self, shop: &ShopName) -> bool {
        let Some(shared) = &self.shared else {
            return false;
        };
        let limit = u32::try_from(self.limit).unwrap_or(u32::MAX);
        loop {
            match shared.try_start(shop, limit, self.window).await {
                Ok(WindowSlot::Started) => return true,
                Ok(WindowSlot::Full { retry_in }) => {
                    tokio::time::sleep(retry_in.clamp(Duration::from_millis(1), self.window)).await;
                }
                Err(error) => {
                    tracing::warn!(%shop, %error, "limiting this process alone for this request");
                    return false;
                }
            }
        }
    }

    /// Drops shops with no request in the last window and nobody waiting.
    pub(super) fn forget_idle(&self) {
        let now = Instant::now();
        let mut shops = self.shops.lock().unwrap_or_else(|e| e.into_inner());
        shops.retain(|_, cell| {
            Arc::strong_count(cell) > 1
                || cell
                    .try_lock()
                    .map_or(true, |s| s.back().is_some_and(|t| *t + self.window > now))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn limiter_allows_limit_per_window_and_zero_disables_it() {
        let shop = ShopName::parse("pelda").unwrap();
        let other = ShopName::parse("masik").unwrap();
        let l = Limiter::new(3, None);
        let t0 = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..4 {
            l.acquire(&shop).await;
            starts.push(Instant::now());
        }
        // The first three start at once; the fourth a full window after the first.
        assert!(starts[2] - t0 < Duration::from_millis(100));
        assert!(starts[3] - starts[0] >= Duration::from_secs(1) + WINDOW_MARGIN);
        let t1 = Instant::now();
        l.acquire(&other).await;
        assert!(
            t1.elapsed() < Duration::from_millis(100),
            "shops are independent"
        );
        let t2 = Instant::now();
        let unlimited = Limiter::new(0, None);
        for _ in 0..100 {
            unlimited.acquire(&shop).await;
        }
        assert!(t2.elapsed() < Duration::from_millis(100));
    }

    /// An in-memory [`SharedWindow`], as a database would keep it for several processes.
    #[derive(Default)]
    struct MemoryWindow {
        starts: Mutex<HashMap<ShopName, VecDeque<Instant>>>,
    }

    impl SharedWindow for MemoryWindow {
        fn try_start<'a>(
            &'a self,
            shop: &'a ShopName,
            limit: u32,
            window: Duration,
        ) -> BoxFuture<'a, Result<WindowSlot, SharedWindowError>> {
            let now = Instant::now();
            let mut all = self.starts.lock().unwrap();
            let starts = all.entry(shop.clone()).or_default();
            let limit = limit as usize;
            let slot = if starts.len() < limit || starts[starts.len() - limit] + window <= now {
                starts.push_back(now);
                WindowSlot::Started
            } else {
                WindowSlot::Full {
                    retry_in: starts[starts.len() - limit] + window - now,
                }
            };
            Box::pin(std::future::ready(Ok(slot)))
        }
    }

    struct BrokenWindow;

    impl SharedWindow for BrokenWindow {
        fn try_start<'a>(
            &'a self,
            _: &'a ShopName,
            _: u32,
            _: Duration,
        ) -> BoxFuture<'a, Result<WindowSlot, SharedWindowError>> {
            Box::pin(std::future::ready(Err(SharedWindowError("down".into()))))
        }
    }

    async fn three_starts(limiter: &Limiter, shop: &ShopName) -> Vec<Instant> {
        let mut starts = Vec::new();
        for _ in 0..3 {
            limiter.acquire(shop).await;
            starts.push(Instant::now());
        }
        starts
    }

    /// Two processes' limiters on one shared window keep the limit together: 6 requests need
    /// a full window after the first three, where two unshared limiters would start all six.
    #[tokio::test]
    async fn limiters_sharing_a_window_keep_the_limit_together() {
        let shop = ShopName::parse("pelda").unwrap();
        let shared = Arc::new(MemoryWindow::default());
        let a = Limiter::new(3, Some(shared.clone()));
        let b = Limiter::new(3, Some(shared.clone() as Arc<dyn SharedWindow>));
        let t0 = Instant::now();
        let (sa, sb) = tokio::join!(three_starts(&a, &shop), three_starts(&b, &shop));
        let mut starts: Vec<Instant> = sa.into_iter().chain(sb).collect();
        starts.sort();
        assert!(starts[2] - t0 < Duration::from_millis(100));
        assert!(
            starts[3] - starts[0] >= Duration::from_secs(1) + WINDOW_MARGIN,
            "a fourth start within the window"
        );
        assert_eq!(shared.starts.lock().unwrap()[&shop].len(), 6);
    }

    #[tokio::test]
    async fn a_failing_shared_window_falls_back_to_this_process_alone() {
        let shop = ShopName::parse("pelda").unwrap();
        let l = Limiter::new(3, Some(Arc::new(BrokenWindow)));
        let mut starts = Vec::new();
        for _ in 0..4 {
            l.acquire(&shop).await;
            starts.push(Instant::now());
        }
        assert!(starts[3] - starts[0] >= Duration::from_secs(1) + WINDOW_MARGIN);
    }
}
