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

/// Feeds starting together are spread at about this many per second.
const STARTS_PER_SECOND: f64 = 20.0;

/// The first due time of a feed that has no kept due time (never polled, or missed while
/// bantin was down), when `starting` feeds start together: spread over
/// `starting / 20` seconds (at least one, at most the interval), so 500 feeds do not fire
/// in the same second while a small config starts at once.
pub fn first_due(
    feed: &str,
    cadence: &Cadence,
    starting: usize,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let spread = Duration::from_secs_f64((starting as f64 / STARTS_PER_SECOND).max(1.0));
    let window = match cadence {
        Cadence::Every(d) => (*d).min(spread),
        Cadence::Cron { .. } => spread,
    };
    now + chrono_dur(window.mul_f64(fraction(feed, 0)))
}

/// Adaptive intervals and the publisher's hints stay within these bounds.
pub const MIN_ADAPTIVE: Duration = Duration::from_secs(5 * 60);
pub const MAX_ADAPTIVE: Duration = Duration::from_secs(24 * 3600);

/// What besides the cadence decides the next poll: the feed's publishing rate, its own hints,
/// the server's caching headers and pauses it asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Signals {
    /// The interval from the observed publishing rate (adaptive mode), replacing an `Every`.
    pub adaptive: Option<Duration>,
    /// The document's own minimum interval (`<ttl>`, `sy:updatePeriod`/`updateFrequency`).
    pub ttl: Option<Duration>,
    /// The response's freshness (`Cache-Control: max-age`, `Expires`).
    pub cache: Option<Duration>,
    /// RSS `skipHours` (bit h = hour h GMT) and `skipDays` (bit 0 = Monday).
    pub skip_hours: u32,
    pub skip_days: u8,
    /// Nothing before this (a `Retry-After` from the feed or its host).
    pub not_before: Option<DateTime<Utc>>,
}

/// The interval matching a feed's publishing rate, from its items' publication times: one week
/// divided by the number of items of the last week, clamped to [`MIN_ADAPTIVE`,
/// `MAX_ADAPTIVE`] (as Miniflux's "entry frequency" scheduler). `None` without any item.
pub fn adaptive_interval(published: &[DateTime<Utc>], now: DateTime<Utc>) -> Option<Duration> {
    if published.is_empty() {
        return None;
    }
    let week = chrono::Duration::days(7);
    let recent = published.iter().filter(|t| now - **t <= week).count() as u32;
    if recent == 0 {
        return Some(MAX_ADAPTIVE);
    }
    let per_item = Duration::from_secs(7 * 24 * 3600) / recent;
    Some(per_item.clamp(MIN_ADAPTIVE, MAX_ADAPTIVE))
}

/// When to poll next after a successful poll at `now`.
pub fn next_due(feed: &str, cadence: &Cadence, now: DateTime<Utc>) -> DateTime<Utc> {
    next_due_with(feed, cadence, &Signals::default(), now)
}

/// When to poll next after a successful poll at `now`, honouring `signals`: the adaptive
/// interval replaces an `Every` interval; `<ttl>`/`sy:*` and caching headers are a minimum
/// (at most a day); skipped hours and days are stepped over; a `Retry-After` is never undercut.
pub fn next_due_with(
    feed: &str,
    cadence: &Cadence,
    signals: &Signals,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let floor = signals
        .ttl
        .into_iter()
        .chain(signals.cache)
        .max()
        .unwrap_or(Duration::ZERO)
        .min(MAX_ADAPTIVE);
    // Up to 5 % later than the floor, so feeds with the same hint spread out too.
    let floor = floor.mul_f64(1.0 + 0.05 * fraction(feed, now.timestamp() ^ 0x5eed));
    let due = match cadence {
        Cadence::Every(d) => {
            let d = signals.adaptive.unwrap_or(*d);
            // ±5 % so feeds that share an interval drift apart instead of firing together.
            let jitter = d.mul_f64(0.1 * fraction(feed, now.timestamp()));
            let interval = d.mul_f64(0.95) + jitter;
            now + chrono_dur(interval.max(floor))
        }
        Cadence::Cron { schedule, .. } => schedule
            .after(&(now + chrono_dur(floor)))
            .next()
            .unwrap_or(now + chrono::Duration::hours(24)),
    };
    finish(feed, due, signals)
}

/// When to retry after the `errors`-th consecutive failure at `now`: the interval doubled per
/// error (from at least one minute), with ±10 % jitter, capped at a day.
pub fn retry_due(feed: &str, cadence: &Cadence, errors: u32, now: DateTime<Utc>) -> DateTime<Utc> {
    retry_due_with(feed, cadence, errors, &Signals::default(), now)
}

/// `retry_due`, then skipped hours/days and `Retry-After` as in `next_due_with`.
pub fn retry_due_with(
    feed: &str,
    cadence: &Cadence,
    errors: u32,
    signals: &Signals,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let base = match cadence {
        Cadence::Every(d) => *d,
        Cadence::Cron { .. } => Duration::from_secs(15 * 60),
    }
    .max(Duration::from_secs(60));
    let exp = errors.clamp(1, 16) - 1;
    let delay = base.saturating_mul(1u32 << exp);
    let jittered = delay
        .mul_f64(0.9 + 0.2 * fraction(feed, now.timestamp() ^ errors as i64))
        .min(MAX_BACKOFF);
    finish(feed, now + chrono_dur(jittered), signals)
}

fn finish(feed: &str, due: DateTime<Utc>, signals: &Signals) -> DateTime<Utc> {
    let due = skip(feed, due, signals.skip_hours, signals.skip_days);
    match signals.not_before {
        Some(nb) if nb > due => nb,
        _ => due,
    }
}

/// Moves `due` out of skipped hours (GMT) and days, to a jittered moment in the first
/// allowed hour. A mask that skips everything is ignored.
fn skip(feed: &str, due: DateTime<Utc>, hours: u32, days: u8) -> DateTime<Utc> {
    use chrono::{Datelike, DurationRound, Timelike};
    let hours = if hours & 0xff_ffff == 0xff_ffff {
        0
    } else {
        hours
    };
    let days = if days & 0x7f == 0x7f { 0 } else { days };
    let skipped = |t: DateTime<Utc>| {
        hours & (1 << t.hour()) != 0 || days & (1 << t.weekday().num_days_from_monday()) != 0
    };
    if !skipped(due) {
        return due;
    }
    let mut t = due
        .duration_trunc(chrono::Duration::hours(1))
        .unwrap_or(due);
    for _ in 0..(24 * 8) {
        t += chrono::Duration::hours(1);
        if !skipped(t) {
            let spread = Duration::from_secs(10 * 60).mul_f64(fraction(feed, t.timestamp()));
            return t + chrono_dur(spread);
        }
    }
    due
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
    fn five_hundred_feeds_do_not_fire_together() {
        let now = Utc::now();
        let per_second = |dues: Vec<DateTime<Utc>>| {
            let mut count = std::collections::HashMap::new();
            for d in dues {
                *count.entry(d.timestamp()).or_insert(0) += 1;
            }
            count.into_values().max().unwrap_or(0)
        };
        let names: Vec<String> = (0..500).map(|i| format!("feed-{i}")).collect();
        let first = names
            .iter()
            .map(|n| first_due(n, &every(15), names.len(), now))
            .collect();
        assert!(per_second(first) <= 40, "startup burst");
        let next = names.iter().map(|n| next_due(n, &every(15), now)).collect();
        assert!(per_second(next) <= 20, "steady-state burst");
        let retry = names
            .iter()
            .map(|n| retry_due(n, &every(15), 3, now))
            .collect();
        assert!(per_second(retry) <= 20, "backoff burst");
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let now = Utc::now();
        let d = |n| (retry_due("f", &every(15), n, now) - now).num_seconds();
        assert!((810..=990).contains(&d(1)));
        assert!((1620..=1980).contains(&d(2)));
        assert!(d(20) <= 24 * 3600);
        assert!(d(20) >= 24 * 3600 * 9 / 10);
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn adaptive_interval_follows_the_publishing_rate() {
        let now = at("2026-11-28T12:00:00Z");
        let every = |mins: i64, n: usize| -> Vec<DateTime<Utc>> {
            (0..n)
                .map(|i| now - chrono::Duration::minutes(mins * i as i64))
                .collect()
        };
        assert_eq!(adaptive_interval(&[], now), None);
        // 84 items in the last week: every two hours.
        assert_eq!(
            adaptive_interval(&every(120, 84), now),
            Some(Duration::from_secs(7200))
        );
        // A busy wire service is clamped to 5 minutes, a dormant blog to a day.
        assert_eq!(adaptive_interval(&every(1, 5000), now), Some(MIN_ADAPTIVE));
        assert_eq!(
            adaptive_interval(&[now - chrono::Duration::days(40)], now),
            Some(MAX_ADAPTIVE)
        );
        assert_eq!(
            adaptive_interval(&every(60 * 24 * 3, 3), now),
            Some(MAX_ADAPTIVE)
        );
    }

    #[test]
    fn adaptive_interval_replaces_the_default_interval() {
        let now = at("2026-11-28T12:00:00Z");
        let s = Signals {
            adaptive: Some(Duration::from_secs(7200)),
            ..Signals::default()
        };
        let secs = (next_due_with("f", &every(15), &s, now) - now).num_seconds();
        assert!((6840..=7560).contains(&secs), "{secs}");
    }

    #[test]
    fn ttl_and_cache_headers_are_minimums_capped_at_a_day() {
        let now = at("2026-11-28T12:00:00Z");
        let ttl = Signals {
            ttl: Some(Duration::from_secs(3600)),
            ..Signals::default()
        };
        let secs = (next_due_with("f", &every(15), &ttl, now) - now).num_seconds();
        assert!((3600..=3780).contains(&secs), "{secs}");
        let cache = Signals {
            cache: Some(Duration::from_secs(1800)),
            ttl: Some(Duration::from_secs(60)),
            ..Signals::default()
        };
        let secs = (next_due_with("f", &every(15), &cache, now) - now).num_seconds();
        assert!((1800..=1890).contains(&secs), "{secs}");
        // A week-long ttl is read as a day.
        let week = Signals {
            ttl: Some(Duration::from_secs(7 * 86400)),
            ..Signals::default()
        };
        let secs = (next_due_with("f", &every(15), &week, now) - now).num_seconds();
        assert!((86400..=90720).contains(&secs), "{secs}");
        // An interval longer than the hint wins.
        let short = Signals {
            ttl: Some(Duration::from_secs(60)),
            ..Signals::default()
        };
        let secs = (next_due_with("f", &every(15), &short, now) - now).num_seconds();
        assert!((855..=945).contains(&secs), "{secs}");
    }

    #[test]
    fn skip_hours_and_days_are_stepped_over() {
        // 2026-11-28 is a Saturday.
        let now = at("2026-11-28T21:50:00Z");
        let s = Signals {
            skip_hours: (22..24).map(|h| 1u32 << h).sum::<u32>() | 0b111_1111, // 22-23, 0-6
            ..Signals::default()
        };
        let due = next_due_with("f", &every(15), &s, now);
        assert!(
            due >= at("2026-11-29T07:00:00Z") && due < at("2026-11-29T07:10:00Z"),
            "{due}"
        );
        let s = Signals {
            skip_days: 0b110_0000, // Saturday, Sunday
            ..Signals::default()
        };
        let due = next_due_with("f", &every(15), &s, now);
        assert!(
            due >= at("2026-11-30T00:00:00Z") && due < at("2026-11-30T00:10:00Z"),
            "{due}"
        );
        // Skipping every hour would mean never polling: ignored.
        let s = Signals {
            skip_hours: 0xff_ffff,
            ..Signals::default()
        };
        let secs = (next_due_with("f", &every(15), &s, now) - now).num_seconds();
        assert!((855..=945).contains(&secs), "{secs}");
    }

    #[test]
    fn retry_after_is_never_undercut() {
        let now = at("2026-11-28T12:00:00Z");
        let s = Signals {
            not_before: Some(at("2026-11-28T15:00:00Z")),
            ..Signals::default()
        };
        assert_eq!(
            next_due_with("f", &every(15), &s, now),
            at("2026-11-28T15:00:00Z")
        );
        assert_eq!(
            retry_due_with("f", &every(15), 1, &s, now),
            at("2026-11-28T15:00:00Z")
        );
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
