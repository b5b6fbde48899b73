//! When each feed is due: its interval or cron schedule, jitter so feeds with equal intervals
//! spread out, and graduated backoff after errors. Pure functions of time; it never fetches.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::Cadence;

/// Errors back off exponentially from the feed's interval up to this cap.
pub const MAX_BACKOFF: Duration = Duration::from_secs(24 * 3600);

/// A deterministic fraction in [0, 1) from `seed`, for jitter that is spread but reproducible.
fn fraction(seed: &str, salt: i64) -> f64 {
    let mut h = blake3::Hasher::new();
    h.update(seed.as_bytes());
    h.update(&salt.to_le_bytes());
    let b = h.finalize();
    let n = u64::from_le_bytes(b.as_bytes()[..8].try_into().unwrap_or([0; 8]));
    (n >> 11) as f64 / (1u64 << 53) as f64
}

fn chrono_dur(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// The first due time after startup for a feed never polled: spread over the first
/// `min(interval, 5 s)` so a restart does not fire every feed in the same instant (the
/// concurrency limit spreads them further).
pub fn first_due(feed: &str, cadence: &Cadence, now: DateTime<Utc>) -> DateTime<Utc> {
    let window = match cadence {
        Cadence::Every(d) => (*d).min(Duration::from_secs(5)),
        Cadence::Cron { .. } => Duration::from_secs(5),
    };
    now + chrono_dur(window.mul_f64(fraction(feed, 0)))
}

/// When to poll next after a successful poll at `now`.
pub fn next_due(feed: &str, cadence: &Cadence, now: DateTime<Utc>) -> DateTime<Utc> {
    match cadence {
        Cadence::Every(d) => {
            // ±5 % so feeds that share an interval drift apart instead of firing together.
            let jitter = d.mul_f64(0.1 * fraction(feed, now.timestamp()));
            now + chrono_dur(d.mul_f64(0.95)) + chrono_dur(jitter)
        }
        Cadence::Cron { schedule, .. } => schedule
            .after(&now)
            .next()
            .unwrap_or(now + chrono::Duration::hours(24)),
    }
}

/// When to retry after the `errors`-th consecutive failure at `now`: the interval doubled per
/// error (from at least one minute), capped at a day, with ±10 % jitter.
pub fn retry_due(feed: &str, cadence: &Cadence, errors: u32, now: DateTime<Utc>) -> DateTime<Utc> {
    let base = match cadence {
        Cadence::Every(d) => *d,
        Cadence::Cron { .. } => Duration::from_secs(15 * 60),
    }
    .max(Duration::from_secs(60));
    let exp = errors.clamp(1, 16) - 1;
    let delay = base.saturating_mul(1u32 << exp).min(MAX_BACKOFF);
    let jittered = delay.mul_f64(0.9 + 0.2 * fraction(feed, now.timestamp() ^ errors as i64));
    now + chrono_dur(jittered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every(mins: u64) -> Cadence {
        Cadence::Every(Duration::from_secs(mins * 60))
    }

    #[test]
    fn intervals_are_jittered_within_five_percent() {
        let now = Utc::now();
        let mut seen = std::collections::HashSet::new();
        for i in 0..100 {
            let due = next_due(&format!("feed-{i}"), &every(15), now);
            let secs = (due - now).num_seconds();
            assert!((855..=945).contains(&secs), "{secs}");
            seen.insert(secs);
        }
        assert!(
            seen.len() > 30,
            "jitter should spread feeds: {}",
            seen.len()
        );
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let now = Utc::now();
        let d = |n| (retry_due("f", &every(15), n, now) - now).num_seconds();
        assert!((810..=990).contains(&d(1)));
        assert!((1620..=1980).contains(&d(2)));
        assert!(d(20) <= 24 * 3600 * 11 / 10);
        assert!(d(20) >= 24 * 3600 * 9 / 10);
    }

    #[test]
    fn cron_schedules_fire_on_their_marks() {
        let sched = crate::config::parse_cron("*/20 * * * *").unwrap();
        let cadence = Cadence::Cron {
            expression: "*/20 * * * *".into(),
            schedule: Box::new(sched),
        };
        let now = DateTime::parse_from_rfc3339("2026-11-28T10:05:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            next_due("f", &cadence, now).to_rfc3339(),
            "2026-11-28T10:20:00+00:00"
        );
    }
}
