//! The per-shop request window shared by server instances on one PostgreSQL database
//! (`api_rate_windows`, migrations 0010 and 0012).
//!
//! Every instance runs its own API client, each keeping a shop at the platform's limit on its
//! own; two instances working for one shop at once (a sync on one, webhook re-fetches on the
//! other) would together exceed it. Each start is checked and recorded in one statement, on the
//! database's clock, so the instances count as one. SQLite serves a single process, whose client
//! counts in memory.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use futures::future::BoxFuture;
use shoprenter::{SharedWindow, SharedWindowError, ShopName, WindowEntry, WindowSlot};
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

/// Records a start when fewer than `$2` of the shop's entries still count (its first start
/// inserts the row), keeping only the entries that do, and answers the new entry's moment; or how
/// long until the soonest entry stops counting otherwise. Each entry counts until its start plus
/// the `$3`-microsecond window, or one second after its answer ([`ANSWERED`]). Under contention
/// the UPDATE re-checks its condition on the row as the other transaction left it, so two
/// instances cannot both take the last place.
const TRY_START: &str = "
WITH started AS (
    UPDATE api_rate_windows
       SET counted_until = ARRAY(SELECT u FROM unnest(counted_until) AS u WHERE u > clock_timestamp())
                           || (clock_timestamp() + $3 * interval '1 microsecond')
     WHERE shop = $1
       AND (SELECT count(*) FROM unnest(counted_until) AS u WHERE u > clock_timestamp()) < $2
 RETURNING counted_until[cardinality(counted_until)] AS entry
), first AS (
    INSERT INTO api_rate_windows (shop, counted_until)
    SELECT $1, ARRAY[clock_timestamp() + $3 * interval '1 microsecond']
     WHERE NOT EXISTS (SELECT 1 FROM api_rate_windows WHERE shop = $1)
    ON CONFLICT (shop) DO NOTHING
 RETURNING counted_until[1] AS entry
)
SELECT (SELECT entry FROM started UNION ALL SELECT entry FROM first LIMIT 1),
       (SELECT extract(epoch FROM min(u) - clock_timestamp())
          FROM api_rate_windows, unnest(counted_until) AS u
         WHERE shop = $1 AND u > clock_timestamp())::float8";

/// Shortens an entry to one second after now, if that is sooner (the answer to its request has
/// arrived). A no-op when the entry is gone.
const ANSWERED: &str = "
UPDATE api_rate_windows
   SET counted_until = array_replace(counted_until, $2, least($2, clock_timestamp() + interval '1 second'))
 WHERE shop = $1 AND $2 = ANY (counted_until)";

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
            let (entry, wait_secs): (Option<DateTime<Utc>>, Option<f64>) =
                sqlx::query_as(TRY_START)
                    .bind(shop.as_str())
                    .bind(limit)
                    .bind(window_us)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(|e| SharedWindowError(Box::new(e)))?;
            Ok(match entry {
                Some(entry) => WindowSlot::Started {
                    entry: Some(WindowEntry(
                        entry.to_rfc3339_opts(SecondsFormat::Micros, true),
                    )),
                },
                None => {
                    // No wait known: another instance changed the row meanwhile; ask again soon.
                    let wait = wait_secs
                        .filter(|s| s.is_finite() && *s > 0.0)
                        .unwrap_or(0.0);
                    WindowSlot::Full {
                        retry_in: Duration::from_secs_f64(wait.min(window.as_secs_f64())),
                    }
                }
            })
        })
    }

    fn answered<'a>(
        &'a self,
        shop: &'a ShopName,
        entry: &'a WindowEntry,
    ) -> BoxFuture<'a, Result<(), SharedWindowError>> {
        Box::pin(async move {
            let entry = DateTime::parse_from_rfc3339(&entry.0)
                .map_err(|e| SharedWindowError(Box::new(e)))?
                .with_timezone(&Utc);
            sqlx::query(ANSWERED)
                .bind(shop.as_str())
                .bind(entry)
                .execute(&self.pool)
                .await
                .map_err(|e| SharedWindowError(Box::new(e)))?;
            Ok(())
        })
    }
}
