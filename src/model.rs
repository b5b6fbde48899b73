//! Domain types shared by the pipeline stages, defined once here.
//!
//! `Item` is what `normalize` produces and `classify`/`dedup` complete; `StoredItem` is what
//! `store` gives back to `render` and the CLI; `FeedStatus` is a feed's fetch state.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A media file attached to an item (podcast audio, a PDF…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Enclosure {
    pub url: String,
    pub mime: String,
    pub length: Option<u64>,
}

/// One normalized entry of a source feed, ready to be classified and stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Item {
    /// Identity within its feed (see `dedup::item_key`); stable across polls.
    pub key: String,
    pub guid: Option<String>,
    /// Absolute http(s) link to the original article.
    pub link: Option<String>,
    /// Plain text, NFC, whitespace collapsed; never empty (falls back to a summary excerpt or link).
    pub title: String,
    /// Sanitized HTML with absolute URLs.
    pub summary: Option<String>,
    /// `summary` as plain text (empty without one): what language detection, keyword rules
    /// and story matching read. Derived once by `normalize`; never stored.
    pub summary_text: String,
    /// Sanitized HTML with absolute URLs (the full article when the feed carries it).
    pub content: Option<String>,
    pub author: Option<String>,
    /// The source's own category labels, as plain text.
    pub source_categories: Vec<String>,
    pub image: Option<String>,
    pub enclosure: Option<Enclosure>,
    /// As given by the source; `None` when absent or unparseable (the store then uses first-seen).
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    /// Language declared on the item itself (`xml:lang`, `dc:language`), normalized.
    pub declared_lang: Option<String>,
    /// Decided by `classify`.
    pub lang: Option<String>,
    /// Category ids decided by `classify`, primary first.
    pub categories: Vec<String>,
    /// Fingerprint of the raw entry and of everything else its normalization and
    /// classification read (see `normalize::entry_fingerprint`). Stored, so that the next
    /// poll skips an entry it has already turned into this item.
    pub source_hash: Option<String>,
}

/// What a source feed says about itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedMeta {
    pub title: Option<String>,
    pub site_link: Option<String>,
    /// Channel-level language, normalized.
    pub lang: Option<String>,
}

/// What a feed document says about how often it should be polled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedHints {
    /// RSS `<ttl>`: the channel may be cached this long.
    pub ttl: Option<std::time::Duration>,
    /// `sy:updatePeriod` / `sy:updateFrequency`: how often the publisher updates the feed.
    pub update_period: Option<std::time::Duration>,
    /// RSS `<skipHours>`: bit `h` set means "do not poll during hour `h` (GMT)".
    pub skip_hours: u32,
    /// RSS `<skipDays>`: bit `d` set (0 = Monday … 6 = Sunday) means "do not poll that day".
    pub skip_days: u8,
}

/// The result of normalizing one fetched document.
#[derive(Debug, Clone, Default)]
pub struct ParsedFeed {
    pub meta: FeedMeta,
    /// The entries normalized: new, changed, or all of them without earlier knowledge.
    pub items: Vec<Item>,
    pub hints: FeedHints,
    /// Entries left out of `items` because they are stored already, unchanged (see
    /// `normalize::KnownEntries`).
    pub unchanged: usize,
}

/// An item as stored, joined with the name and links of the feed it came from.
#[derive(Debug, Clone, Serialize)]
pub struct StoredItem {
    pub id: i64,
    pub feed: String,
    pub feed_url: String,
    pub feed_title: Option<String>,
    pub feed_site: Option<String>,
    pub key: String,
    pub guid: Option<String>,
    pub link: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub content: Option<String>,
    pub author: Option<String>,
    pub image: Option<String>,
    pub enclosure: Option<Enclosure>,
    pub lang: Option<String>,
    pub categories: Vec<String>,
    pub story: i64,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub first_seen: DateTime<Utc>,
}

/// How one fetch of a feed ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FetchOutcome {
    /// A document was parsed and stored.
    Ok,
    /// 304, or a body identical to the last one.
    NotModified,
    Error,
    /// Not fetched now: the feed or its host asked for a pause (`Retry-After`).
    Deferred,
    /// Not fetched: the feed answered 410 Gone and waits for an admin to re-enable it.
    Gone,
}

/// Counts of what one poll of one feed changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UpsertCounts {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
}

impl UpsertCounts {
    pub fn changed(&self) -> bool {
        self.new + self.updated > 0
    }
}

/// A feed's fetch state as kept in the store.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FeedStatus {
    pub name: String,
    pub url: String,
    pub title: Option<String>,
    pub site_link: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub body_hash: Option<String>,
    pub last_fetch: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_status: Option<String>,
    pub last_error: Option<String>,
    pub error_class: Option<String>,
    pub consecutive_errors: i64,
    pub next_due: Option<DateTime<Utc>>,
    pub item_count: i64,
    /// Where the feed moved to (leading run of 301/308), used while the configured URL stays.
    pub moved_url: Option<String>,
    /// When the feed answered 410 Gone; polling stops until re-enabled.
    pub gone_at: Option<DateTime<Utc>>,
    /// No request to this feed before this time (its `Retry-After`).
    pub retry_after: Option<DateTime<Utc>>,
    /// The document's own minimum interval (`<ttl>`, `sy:update*`), in seconds.
    pub ttl_secs: Option<i64>,
    /// The last response's freshness (`Cache-Control: max-age`, `Expires`), in seconds.
    pub cache_secs: Option<i64>,
    /// RSS `skipHours` / `skipDays` masks (see `FeedHints`).
    pub skip_hours: i64,
    pub skip_days: i64,
}
