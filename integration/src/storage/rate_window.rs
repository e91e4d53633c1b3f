//! The per-shop request window shared by server instances on one PostgreSQL database
//! (`api_rate_windows`, migration 0010).
//!
//! Every instance runs its own API client, each keeping a shop at the platform's limit on its
//! own; two instances working for one shop at once (a sync on one, webhook re-fetches on the
//! other) would together exceed it. Each start is checked and recorded in one statement, on the
//! database's clock, so the instances count as one. SQLite serves a single process, whose client
//! counts in memory.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use shoprenter::{SharedWindow, SharedWindowError, ShopName, WindowSlot};
use sqlx::PgPool;

use super::Db;

/// The shared window for `db`, when other instances may share the database.
pub fn shared_window(db: &Db) -> Option<Arc<dyn SharedWindow>> {
    match db {
        Db::Postgres(pool) => Some(Arc::new(PgRateWindow { pool: pool.clone() })),
        Db::Sqlite(_) => None,
    }
}

struct PgRateWindow {
    pool: PgPool,
}

/// Records a start when the shop had fewer than `$2` within the last `$3` microseconds (its
/// first start inserts the row), and answers how long until the oldest of those leaves the
/// window otherwise. Under contention the UPDATE re-checks its condition on the row as the
/// other transaction left it, so two instances cannot both take the last place.
const TRY_START: &str = "
WITH started AS (
    UPDATE api_rate_windows
       SET starts = (starts || clock_timestamp())[greatest(cardinality(starts) + 2 - $2, 1):]
     WHERE shop = $1
       AND (cardinality(starts) < $2
            OR starts[cardinality(starts) + 1 - $2] + $3 * interval '1 microsecond'
               <= clock_timestamp())
 RETURNING 1
), first AS (
    INSERT INTO api_rate_windows (shop, starts)
    SELECT $1, ARRAY[clock_timestamp()]
     WHERE NOT EXISTS (SELECT 1 FROM api_rate_windows WHERE shop = $1)
    ON CONFLICT (shop) DO NOTHING
 RETURNING 1
)
SELECT (SELECT count(*) FROM started) + (SELECT count(*) FROM first) > 0,
       (SELECT extract(epoch FROM starts[cardinality(starts) + 1 - $2]
                                  + $3 * interval '1 microsecond' - clock_timestamp())
          FROM api_rate_windows WHERE shop = $1)::float8";

impl SharedWindow for PgRateWindow {
    fn try_start<'a>(
        &'a self,
        shop: &'a ShopName,
        limit: u32,
        window: Duration,
    ) -> BoxFuture<'a, Result<WindowSlot, SharedWindowError>> {
        Box::pin(async move {
            let limit = i32::try_from(limit).unwrap_or(i32::MAX);
            let window_us = i64::try_from(window.as_micros()).unwrap_or(i64::MAX);
            let (started, wait_secs): (bool, Option<f64>) = sqlx::query_as(TRY_START)
                .bind(shop.as_str())
                .bind(limit)
                .bind(window_us)
                .fetch_one(&self.pool)
                .await
                .map_err(|e| SharedWindowError(Box::new(e)))?;
            Ok(if started {
                WindowSlot::Started
            } else {
                // No wait known: another instance changed the row meanwhile; ask again soon.
                let wait = wait_secs
                    .filter(|s| s.is_finite() && *s > 0.0)
                    .unwrap_or(0.0);
                WindowSlot::Full {
                    retry_in: Duration::from_secs_f64(wait.min(window.as_secs_f64())),
                }
            })
        })
    }
}
