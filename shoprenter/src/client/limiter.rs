//! Per-shop rate limiting (`shoprenter-protocol.md` §4: 3 requests/s per app per shop, 429 on
//! excess).
//!
//! One process keeps its shops' latest request starts in memory. Several processes calling the
//! same shops as the same app (server instances on one database) must count together: a
//! [`SharedWindow`] keeps the starts where all of them see it, and the limiter asks it before each
//! request, falling back to its own memory when it cannot answer.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};
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

const ONE_SECOND: Duration = Duration::from_secs(1);

/// What a [`SharedWindow`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowSlot {
    /// The start was recorded: the request may go now. `entry` names it for
    /// [`SharedWindow::answered`] (`None`: the window does not track answers).
    Started { entry: Option<WindowEntry> },
    /// `limit` requests started within the window; ask again after this long.
    Full { retry_in: Duration },
}

/// A start recorded in a [`SharedWindow`], as that window names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowEntry(pub String);

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

    /// Records that the answer to the request of `entry` has arrived: the platform has counted
    /// that request by now, so it may stop counting one second after now, if that is sooner
    /// than its window. The default ignores answers (the window then always runs in full).
    fn answered<'a>(
        &'a self,
        shop: &'a ShopName,
        entry: &'a WindowEntry,
    ) -> BoxFuture<'a, Result<(), SharedWindowError>> {
        let _ = (shop, entry);
        Box::pin(std::future::ready(Ok(())))
    }
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
/// The margin covers a request reaching the platform later than it started here. Once its answer
/// has arrived, the platform has certainly counted it by then, so when the answer came within the
/// margin, the window runs from the answer instead ([`Start::answered`]): as safe as the margin,
/// without its cost when the platform answers fast.
///
/// With a [`SharedWindow`], each start is recorded there instead, so that the processes sharing
/// it together keep the limit; this process still queues its own callers per shop, so it asks
/// one question at a time per shop.
pub(super) struct Limiter {
    limit: usize,
    window: Duration,
    shared: Option<Arc<dyn SharedWindow>>,
    /// Per shop, its latest `limit` requests, oldest first.
    shops: Mutex<HashMap<ShopName, Arc<tokio::sync::Mutex<VecDeque<Started>>>>>,
}

/// A request the limiter let start, and when its answer arrived (if it has).
struct Started {
    at: Instant,
    answered: Arc<OnceLock<Instant>>,
}

/// A request's place in its shop's window, returned by [`Limiter::acquire`].
pub(super) struct Start {
    answered: Option<Arc<OnceLock<Instant>>>,
    shared: Option<SharedEntry>,
}

/// How the shared window took a start.
enum SharedStart {
    /// No shared window, or it could not answer: this process limits the request alone.
    Alone,
    /// Recorded there; with its entry when the window tracks answers.
    Recorded(Option<SharedEntry>),
}

/// Where a start sits in the shared window.
struct SharedEntry {
    window: Arc<dyn SharedWindow>,
    shop: ShopName,
    entry: WindowEntry,
}

impl Start {
    /// Records that the request's answer (its status line) has arrived. Call it only then: a
    /// request that got no answer may still reach the platform later.
    pub(super) fn answered(self) {
        if let Some(answered) = &self.answered {
            let _ = answered.set(Instant::now());
        }
        if let Some(SharedEntry {
            window,
            shop,
            entry,
        }) = self.shared
        {
            // Off the request's path: until it lands, the window just runs in full.
            tokio::spawn(async move {
                if let Err(error) = window.answered(&shop, &entry).await {
                    tracing::debug!(%shop, %error, "could not record an answer in the shared window");
                }
            });
        }
    }
}

impl Limiter {
    pub(super) fn new(requests_per_second: u32, shared: Option<Arc<dyn SharedWindow>>) -> Self {
        Self {
            limit: requests_per_second as usize,
            window: ONE_SECOND + WINDOW_MARGIN,
            shared,
            shops: Mutex::new(HashMap::new()),
        }
    }

    /// Waits until a request to `shop` may start and records that it starts now.
    pub(super) async fn acquire(&self, shop: &ShopName) -> Start {
        if self.limit == 0 {
            return Start {
                answered: None,
                shared: None,
            };
        }
        let cell = {
            let mut shops = self.shops.lock().unwrap_or_else(|e| e.into_inner());
            shops.entry(shop.clone()).or_default().clone()
        };
        let mut starts = cell.lock().await;
        // Shared starts are recorded here too, so a fallback still knows the recent ones.
        let shared = self.start_in_shared_window(shop).await;
        if matches!(shared, SharedStart::Alone) && starts.len() >= self.limit {
            let oldest = &starts[starts.len() - self.limit];
            let at = oldest.at;
            tokio::time::sleep_until(at + ONE_SECOND).await;
            // The platform counted the oldest by the time its answer arrived (never before `at`),
            // so one second after the answer is as safe as the margin.
            let mut go = at + self.window;
            if let Some(answered) = oldest.answered.get() {
                go = go.min(*answered + ONE_SECOND);
            }
            tokio::time::sleep_until(go).await;
        }
        let answered = Arc::new(OnceLock::new());
        starts.push_back(Started {
            at: Instant::now(),
            answered: answered.clone(),
        });
        while starts.len() > self.limit {
            starts.pop_front();
        }
        Start {
            answered: Some(answered),
            shared: match shared {
                SharedStart::Recorded(entry) => entry,
                SharedStart::Alone => None,
            },
        }
    }

    /// Waits until the shared window records a start.
    async fn start_in_shared_window(&self, shop: &ShopName) -> SharedStart {
        let Some(shared) = &self.shared else {
            return SharedStart::Alone;
        };
        let limit = u32::try_from(self.limit).unwrap_or(u32::MAX);
        loop {
            match shared.try_start(shop, limit, self.window).await {
                Ok(WindowSlot::Started { entry }) => {
                    return SharedStart::Recorded(entry.map(|entry| SharedEntry {
                        window: shared.clone(),
                        shop: shop.clone(),
                        entry,
                    }))
                }
                Ok(WindowSlot::Full { retry_in }) => {
                    tokio::time::sleep(retry_in.clamp(Duration::from_millis(1), self.window)).await;
                }
                Err(error) => {
                    tracing::warn!(%shop, %error, "limiting this process alone for this request");
                    return SharedStart::Alone;
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
                    .map_or(true, |s| s.back().is_some_and(|t| t.at + self.window > now))
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

    /// An answer that arrived within the margin moves the window to it; a later answer, or none,
    /// leaves the margin in force. On tokio's paused clock, so the times are exact.
    #[tokio::test(start_paused = true)]
    async fn a_fast_answer_replaces_the_margin_and_a_slow_one_does_not() {
        let shop = ShopName::parse("pelda").unwrap();
        let l = Limiter::new(3, None);
        let t0 = Instant::now();
        let first = l.acquire(&shop).await;
        let _second = l.acquire(&shop).await;
        let _third = l.acquire(&shop).await;
        tokio::time::sleep(Duration::from_millis(4)).await;
        first.answered();
        // The fourth waits for the first's answer + 1 s, not for its start + 1 s + margin.
        l.acquire(&shop).await;
        assert_eq!(Instant::now() - t0, Duration::from_millis(1004));
        // The second never answered: the fifth waits for the whole margin.
        l.acquire(&shop).await;
        assert_eq!(Instant::now() - t0, ONE_SECOND + WINDOW_MARGIN);
        // An answer later than the margin: the margin rules.
        let other = ShopName::parse("masik").unwrap();
        let t1 = Instant::now();
        let slow = l.acquire(&other).await;
        l.acquire(&other).await;
        l.acquire(&other).await;
        tokio::time::sleep(WINDOW_MARGIN + Duration::from_millis(5)).await;
        slow.answered();
        l.acquire(&other).await;
        assert_eq!(Instant::now() - t1, ONE_SECOND + WINDOW_MARGIN);
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
                WindowSlot::Started { entry: None }
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
