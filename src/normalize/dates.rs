//! Lenient date parsing for feed timestamps, handed to feed-rs as its timestamp parser.
//!
//! Feeds write RFC 822 and RFC 3339 dates in many odd ways: lower-case `t`/`z`, no seconds,
//! no weekday (or a wrong or localized one), full month names, two-digit years, `GMT+7`,
//! named zones, a space instead of `T`, a bare date. Each spelling is normalized and then
//! parsed strictly, so an impossible date (31 November, 25:61) gives `None` (the store then
//! uses first-seen) and never rolls over into another day.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Dates after this year (or before year 0) are not believed (the store also clamps
/// far-future dates).
const MAX_YEAR: i32 = 9999;

/// Parses a feed timestamp, or `None` when it cannot be read unambiguously.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() || s.len() > 80 {
        return None;
    }
    let d = parse_rfc3339ish(s).or_else(|| parse_rfc822ish(s))?;
    // Year 0 with a positive offset is year -1 in UTC, which RSS dates cannot express.
    (0..=MAX_YEAR)
        .contains(&chrono::Datelike::year(&d))
        .then_some(d)
}

/// `2026-11-20T08:00:00Z`, `…t…z`, `2026-11-20 08:00:00+07:00`, no seconds, no zone (UTC),
/// fractional seconds, `2026-11-20`.
fn parse_rfc3339ish(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() < 10 || !(b[4] == b'-' && b[7] == b'-') || !b[..4].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let date = NaiveDate::parse_from_str(&s[..10], "%Y-%m-%d").ok()?;
    let rest = &s[10..];
    if rest.trim().is_empty() {
        return Some(Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)));
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    // Split the time from the zone.
    let zone_at = rest.find(['Z', 'z', '+', '-', ' ']).unwrap_or(rest.len());
    let (time, zone) = rest.split_at(zone_at);
    let time = NaiveTime::parse_from_str(time, "%H:%M:%S%.f")
        .or_else(|_| NaiveTime::parse_from_str(time, "%H:%M"))
        .ok()?;
    let offset = match zone.trim() {
        "" | "Z" | "z" => 0,
        z => zone_offset(z)?,
    };
    let local = NaiveDateTime::new(date, time);
    FixedOffset::east_opt(offset)?
        .from_local_datetime(&local)
        .single()
        .map(|d| d.to_utc())
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Seconds east of UTC for a zone spelling: `+0700`, `+07:00`, `+7`, `GMT+7`, `UTC-05:30`,
/// `GMT`, `UT`, `Z`, and common abbreviations.
fn zone_offset(z: &str) -> Option<i32> {
    let z = z.trim();
    let upper = z.to_ascii_uppercase();
    let named = match upper.as_str() {
        "GMT" | "UT" | "UTC" | "Z" | "WET" => Some(0),
        "EST" => Some(-5),
        "EDT" => Some(-4),
        "CST" => Some(-6),
        "CDT" => Some(-5),
        "MST" => Some(-7),
        "MDT" => Some(-6),
        "PST" => Some(-8),
        "PDT" => Some(-7),
        "BST" | "CET" | "WEST" => Some(1),
        "CEST" | "EET" => Some(2),
        "EEST" | "MSK" => Some(3),
        "ICT" | "WIB" => Some(7),
        "WITA" | "SGT" | "HKT" | "AWST" | "PHT" => Some(8),
        "WIT" | "JST" | "KST" => Some(9),
        "AEST" => Some(10),
        "AEDT" => Some(11),
        _ => None,
    };
    if let Some(h) = named {
        return Some(h * 3600);
    }
    let signed = upper
        .strip_prefix("GMT")
        .or_else(|| upper.strip_prefix("UTC"))
        .unwrap_or(&upper);
    let (sign, digits) = match signed.chars().next()? {
        '+' => (1, &signed[1..]),
        '-' => (-1, &signed[1..]),
        _ => return None,
    };
    let digits = digits.replace(':', "");
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        3 => (digits[..1].parse().ok()?, digits[1..].parse().ok()?),
        _ => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
    };
    if h > 14 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

/// RFC 822 and its relatives: `[Wkd,] DD Mon YYYY HH:MM[:SS] [zone]`, full month names,
/// two-digit years, weekday with or without a comma, `Mon DD YYYY` order too.
fn parse_rfc822ish(s: &str) -> Option<DateTime<Utc>> {
    let cleaned = s.replace(',', " ");
    let mut words: Vec<&str> = cleaned.split_whitespace().collect();
    // Drop a leading weekday (in any language: words of letters that are not a month).
    while words
        .first()
        .is_some_and(|w| w.chars().all(char::is_alphabetic) && month(w).is_none())
    {
        words.remove(0);
    }
    if words.len() < 4 {
        return None;
    }
    let (day, mon, year) = match (month(words[1]), month(words[0])) {
        (Some(m), _) => (words[0], m, words[2]),
        (None, Some(m)) => (words[1], m, words[2]),
        _ => return None,
    };
    let day: u32 = day.trim_end_matches('.').parse().ok()?;
    let mut year: i32 = year.parse().ok()?;
    if year < 100 {
        year += if year < 50 { 2000 } else { 1900 };
    }
    let date = NaiveDate::from_ymd_opt(year, mon, day)?;
    let time_word = words[3];
    let time = NaiveTime::parse_from_str(time_word, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(time_word, "%H:%M"))
        .ok()?;
    let zone: String = words[4..].concat();
    let offset = if zone.is_empty() {
        0
    } else {
        zone_offset(&zone)?
    };
    FixedOffset::east_opt(offset)?
        .from_local_datetime(&NaiveDateTime::new(date, time))
        .single()
        .map(|d| d.to_utc())
}

fn month(w: &str) -> Option<u32> {
    let w = w.trim_end_matches('.').to_ascii_lowercase();
    if w.len() < 3 {
        return None;
    }
    let at = MONTHS.iter().position(|m| w.starts_with(m))?;
    // Accept "Nov", "November", "Sept"; refuse words that merely start like a month.
    let full = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ][at];
    (w.len() == 3 || full.starts_with(&w) || w == "sept").then_some(at as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<String> {
        parse_date(s).map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    }

    #[test]
    fn odd_spellings_parse() {
        let want = Some("2026-11-20T01:00:00Z".to_string());
        for s in [
            "Fri, 20 Nov 2026 08:00:00 +0700",
            "Fri, 20 Nov 2026 08:00 +0700",
            "20 Nov 2026 08:00 GMT+7",
            "20 Nov 2026 08:00:00 GMT+07:00",
            "Friday, 20 November 2026 08:00:00 ICT",
            "Thu, 20 Nov 2026 08:00:00 +07:00",
            "Fri 20 Nov 26 08:00:00 +0700",
            "Nov 20 2026 08:00:00 +0700",
            "2026-11-20T08:00:00+07:00",
            "2026-11-20t01:00:00z",
            "2026-11-20 01:00:00",
            "2026-11-20T01:00Z",
            "2026-11-20T01:00:00.5Z",
            "  Fri, 20 Nov 2026 01:00:00 GMT  ",
            "Fri, 20 Nov 2026 01:00:00 UT",
            "Thứ Sáu, 20 Nov 2026 01:00:00 Z",
        ] {
            assert_eq!(p(s), want, "{s}");
        }
        assert_eq!(p("2026-11-20").as_deref(), Some("2026-11-20T00:00:00Z"));
        assert_eq!(
            p("Fri, 20 Nov 2026 08:00:00 EST").as_deref(),
            Some("2026-11-20T13:00:00Z")
        );
    }

    #[test]
    fn impossible_dates_are_none() {
        for s in [
            "",
            "   ",
            "Mon, 31 Nov 2026 25:61:00 +0700",
            "Mon, 31 Nov 2026 10:00:00 +0700",
            "20 Nov 2026 25:00 GMT",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "20 Nov 2026 08:00 Mars/Olympus",
            "10000-01-01T00:00:00Z",
        ] {
            assert_eq!(p(s), None, "{s}");
        }
        // The extremes do not overflow.
        assert!(parse_date("9999-12-31T23:59:59-12:00").is_none());
        assert!(parse_date("9999-12-31T23:59:59Z").is_some());
        assert_eq!(
            p("1969-12-31T23:00:00Z").as_deref(),
            Some("1969-12-31T23:00:00Z")
        );
    }
}
