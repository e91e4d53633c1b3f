//! Backoff delays (design.md "Rate limit": on 429 honour `Retry-After` if present, else back off
//! ≥ 1 s with jitter; retry 5xx/timeouts with capped exponential backoff).

use std::time::Duration;

use rand::Rng;

/// Capped exponential backoff with "equal jitter": uniformly in `[d/2, d]` where
/// `d = min(max, base · 2^attempt)`, so concurrent retries spread out but never collapse to zero.
pub(crate) fn backoff(attempt: u32, base: Duration, max: Duration) -> Duration {
    let exp = base.saturating_mul(2u32.saturating_pow(attempt.min(20)));
    let capped = exp.min(max).max(Duration::from_millis(1));
    let half = capped / 2;
    half + jitter(capped - half)
}

/// Delay after a 429 without `Retry-After`: at least one second (the platform's window is a
/// second, §4), doubling per attempt up to `max`, plus up to 50 % jitter.
pub(crate) fn rate_limit_backoff(attempt: u32, max: Duration) -> Duration {
    let exp = Duration::from_secs(1).saturating_mul(2u32.saturating_pow(attempt.min(20)));
    let d = exp.min(max.max(Duration::from_secs(1)));
    d + jitter(d / 2)
}

fn jitter(up_to: Duration) -> Duration {
    let nanos = u64::try_from(up_to.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(rand::thread_rng().gen_range(0..=nanos))
}

/// Parses `Retry-After`: delta seconds, or an HTTP date (RFC 9110 §10.2.3). Not documented for
/// ShopRenter (§4), honoured if it ever appears.
pub(crate) fn parse_retry_after(
    value: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (at.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_capped_and_jittered_within_bounds() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(2);
        for attempt in 0..10 {
            let d = backoff(attempt, base, max);
            let full = (base * 2u32.pow(attempt)).min(max);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
    }

    #[test]
    fn rate_limit_backoff_is_at_least_one_second() {
        for attempt in 0..5 {
            let d = rate_limit_backoff(attempt, Duration::from_secs(4));
            assert!(
                d >= Duration::from_secs(1) && d <= Duration::from_secs(6),
                "{d:?}"
            );
        }
        assert!(rate_limit_backoff(0, Duration::from_millis(10)) >= Duration::from_secs(1));
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(parse_retry_after(" 3 ", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Wed, 01 Jan 2025 00:00:05 GMT", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            parse_retry_after("Tue, 31 Dec 2024 23:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }
}
