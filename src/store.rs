//! SQLite storage: schema and migrations, feed fetch state, item upserts, and the queries that
//! rendering and the CLI need. The only module that contains SQL; it knows nothing of HTTP.
//!
//! Times are stored as Unix seconds. Every write of one fetch happens in one `BEGIN IMMEDIATE`
//! transaction, so a reader (or a crash) never sees half a fetch.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, TimeZone, Utc};
use foldhash::HashMapExt;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::dedup::canonical_url;
use crate::model::{Enclosure, FeedHints, FeedMeta, FeedStatus, Item, StoredItem, UpsertCounts};
use crate::story::{self, Candidate, Profile, Rule};

mod memo;

/// The clusterer's maps, looked up a million times a first poll by term id or word: foldhash
/// (seeded per process) instead of SipHash, as in `story`.
type FastMap<K, V> = foldhash::HashMap<K, V>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data folder {path}: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "database {path} has schema version {found}, newer than this bantin knows ({known}); upgrade bantin"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// Migrations, applied in order; `PRAGMA user_version` records how many have run.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE feeds (
    id                 INTEGER PRIMARY KEY,
    name               TEXT NOT NULL UNIQUE,
    url                TEXT NOT NULL,
    title              TEXT,
    site_link          TEXT,
    lang               TEXT,
    etag               TEXT,
    last_modified      TEXT,
    body_hash          TEXT,
    last_fetch         INTEGER,
    last_success       INTEGER,
    last_status        TEXT,
    last_error         TEXT,
    error_class        TEXT,
    consecutive_errors INTEGER NOT NULL DEFAULT 0,
    next_due           INTEGER
);
CREATE TABLE items (
    id                INTEGER PRIMARY KEY,
    feed_id           INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    key               TEXT NOT NULL,
    guid              TEXT,
    link              TEXT,
    title             TEXT NOT NULL,
    summary           TEXT,
    content           TEXT,
    author            TEXT,
    source_categories TEXT NOT NULL DEFAULT '[]',
    image             TEXT,
    enclosure         TEXT,
    lang              TEXT,
    categories        TEXT NOT NULL DEFAULT '[]',
    story             INTEGER,
    published         INTEGER NOT NULL,
    updated           INTEGER NOT NULL,
    first_seen        INTEGER NOT NULL,
    sort_at           INTEGER NOT NULL,
    content_hash      TEXT NOT NULL,
    UNIQUE (feed_id, key)
);
CREATE INDEX items_by_time ON items (sort_at DESC, id DESC);
CREATE INDEX items_by_lang_time ON items (lang, sort_at DESC, id DESC);
CREATE TABLE item_categories (
    item_id  INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    rank     INTEGER NOT NULL,
    PRIMARY KEY (item_id, category)
);
CREATE INDEX item_categories_by_category ON item_categories (category, item_id);
"#,
    r#"
-- Polling state (issue 4): permanent redirects, 410 Gone, Retry-After, the feed's own hints.
ALTER TABLE feeds ADD COLUMN moved_url TEXT;
ALTER TABLE feeds ADD COLUMN gone_at INTEGER;
ALTER TABLE feeds ADD COLUMN retry_after INTEGER;
ALTER TABLE feeds ADD COLUMN ttl_secs INTEGER;
ALTER TABLE feeds ADD COLUMN cache_secs INTEGER;
ALTER TABLE feeds ADD COLUMN skip_hours INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN skip_days INTEGER NOT NULL DEFAULT 0;
CREATE TABLE host_pauses (
    host  TEXT PRIMARY KEY,
    until INTEGER NOT NULL
);
"#,
    // Curation (issue 3): what story clustering and `bantin explain` need. Self-contained so
    // it can run after any other migration.
    r#"
ALTER TABLE items ADD COLUMN declared_lang TEXT;
ALTER TABLE items ADD COLUMN canonical_url TEXT;
ALTER TABLE items ADD COLUMN story_text TEXT;
ALTER TABLE items ADD COLUMN story_rule TEXT;
ALTER TABLE items ADD COLUMN story_score REAL;
ALTER TABLE items ADD COLUMN story_match INTEGER;
ALTER TABLE items ADD COLUMN own_categories TEXT;
ALTER TABLE items ADD COLUMN story_norm REAL;
CREATE INDEX items_by_story ON items (story);
CREATE INDEX items_by_canonical_url ON items (canonical_url) WHERE canonical_url IS NOT NULL;
CREATE TABLE story_terms (
    term    INTEGER NOT NULL,
    day     INTEGER NOT NULL,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    PRIMARY KEY (term, day, item_id)
) WITHOUT ROWID;
CREATE INDEX story_terms_by_item ON story_terms (item_id);
CREATE TABLE story_df (
    term INTEGER PRIMARY KEY,
    df   INTEGER NOT NULL
);
"#,
    // Performance (issue 7): the postings were a third of a first poll's writer time. They
    // lose the foreign key and the by-item index, which doubled every insert: an update
    // deletes its postings by key (it knows its old words), and `prune` drops postings by
    // day. A posting whose item is gone is skipped at lookup.
    r#"
CREATE TABLE story_terms_v4 (
    term    INTEGER NOT NULL,
    day     INTEGER NOT NULL,
    item_id INTEGER NOT NULL,
    PRIMARY KEY (term, day, item_id)
) WITHOUT ROWID;
INSERT INTO story_terms_v4 (term, day, item_id) SELECT term, day, item_id FROM story_terms;
DROP TABLE story_terms;
ALTER TABLE story_terms_v4 RENAME TO story_terms;
"#,
    // Performance (issue 7): the fingerprint of the entry each item was normalized from,
    // so that a re-poll skips entries it already has (see `normalize::KnownEntries`).
    r#"
ALTER TABLE items ADD COLUMN source_hash TEXT;
"#,
];

/// A handle to the database. Cheap to clone; calls block, so async code runs them on a
/// blocking thread.
#[derive(Clone)]
pub struct Store {
    /// The connection that writes (and most reads): one writer at a time.
    conn: Arc<Mutex<Connection>>,
    /// A second connection for the reads a poll does before it writes, so that they do not
    /// queue behind another poll's write (WAL: readers never block the writer).
    reader: Arc<Mutex<Connection>>,
    /// Stops the checkpoint thread when the last handle goes.
    _checkpointer: Arc<Checkpointer>,
    /// Story document frequencies as committed, kept between polls (reading them from
    /// `story_df` was a sixth of the writer's time). Only the writer, holding `conn`, uses it.
    story_df: Arc<Mutex<DfCache>>,
    /// Story profiles of recent items, kept between polls (see `memo`). Only the writer,
    /// holding `conn`, uses it.
    profiles: Arc<Mutex<memo::ProfileMemo>>,
    path: PathBuf,
}

/// Copies the WAL back into the database file on its own thread and connection, every
/// [`CHECKPOINT_EVERY`]. SQLite's automatic checkpoint runs inside the commit that crosses
/// its threshold, i.e. on the one writer every poll waits for: it was a third of a first
/// poll's time.
struct Checkpointer {
    stop: std::sync::mpsc::Sender<()>,
}

/// Locks one of the store's mutexes. A panic while holding it leaves SQLite consistent
/// (transactions roll back on drop) and the df cache marked stale (see
/// [`Store::apply_fetch`]), so a poisoned lock is safe to reuse.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// See [`Store::story_df`].
#[derive(Default)]
struct DfCache {
    df: FastMap<i64, u64>,
    /// `PRAGMA data_version` when the cache was last right: it changes when another
    /// connection (another process) commits, and the cache is then dropped.
    data_version: Option<i64>,
}

/// Beyond this many terms the cache starts over (about 5 MiB).
const DF_CACHE_TERMS: usize = 200_000;

const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

impl Checkpointer {
    fn start(conn: Connection) -> Checkpointer {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let spawned = std::thread::Builder::new()
            .name("bantin-checkpoint".into())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(CHECKPOINT_EVERY)
                {
                    // PASSIVE never blocks the writer or readers; what it cannot copy now
                    // (frames a reader still needs) it copies on a later round.
                    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    {
                        tracing::warn!(error = %e, "WAL checkpoint failed");
                    }
                }
            });
        if let Err(e) = spawned {
            // Without the thread the writer's own backstop threshold still checkpoints.
            tracing::warn!(error = %e, "cannot start the WAL checkpoint thread");
        }
        Checkpointer { stop }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let _ = self.stop.send(());
    }
}

/// What one successful fetch tells the store about the feed, besides its items.
#[derive(Debug, Clone, Default)]
pub struct FetchRecord {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub body_hash: Option<String>,
    /// e.g. "200", "304", "file".
    pub status: String,
    /// What the document says about its polling (`<ttl>`, `sy:*`, `skipHours`, `skipDays`).
    pub hints: FeedHints,
}

/// What clustering and classification recorded about one item.
#[derive(Debug, Clone)]
pub struct CurationRecord {
    /// `new`, `url` or `text` (see `story::Rule`).
    pub story_rule: String,
    pub story_score: f64,
    /// The earlier item it was matched to.
    pub story_match: Option<i64>,
    pub declared_lang: Option<String>,
    /// Decoration-free headline, newline, summary text (see `story::story_text`).
    pub story_text: Option<String>,
    pub source_categories: Vec<String>,
    /// The categories the item earned on its own (before the story's vote).
    pub own_categories: Vec<String>,
    /// The channel's declared language.
    pub channel_lang: Option<String>,
    pub feed_title: Option<String>,
    pub feed_site: Option<String>,
}

/// Which items an output shows.
#[derive(Debug, Clone, Default)]
pub struct ItemQuery {
    pub lang: Option<String>,
    /// Items in any of these categories (empty: all).
    pub categories: Vec<String>,
    pub limit: usize,
    pub offset: usize,
}

fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

fn from_ts(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(s, 0).single().unwrap_or_default()
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(open_err)?;
        // Only takes effect on a new, empty database: lets retention return space with
        // `PRAGMA incremental_vacuum` instead of a full VACUUM.
        conn.execute_batch("PRAGMA auto_vacuum = INCREMENTAL;")
            .map_err(open_err)?;
        // The checkpoint thread keeps the WAL short; the writer's own threshold is only a
        // backstop (8192 pages, 32 MiB) for when that thread falls behind.
        // `journal_size_limit` gives the file's space back after a burst.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA wal_autocheckpoint = 8192;
             PRAGMA journal_size_limit = 67108864;",
        )
        .map_err(open_err)?;
        migrate(&mut conn, path)?;
        let second = || -> Result<Connection, StoreError> {
            let c = Connection::open(path).map_err(open_err)?;
            c.busy_timeout(std::time::Duration::from_secs(10))
                .map_err(open_err)?;
            // Small page caches: the reader does point lookups, the checkpointer copies
            // pages through the OS (the writer's 2 MiB default is where caching pays).
            c.execute_batch(
                "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;
                 PRAGMA cache_size = -256;",
            )
            .map_err(open_err)?;
            Ok(c)
        };
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
            reader: Arc::new(Mutex::new(second()?)),
            _checkpointer: Arc::new(Checkpointer::start(second()?)),
            story_df: Arc::default(),
            profiles: Arc::default(),
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        lock(&self.conn)
    }

    fn reader(&self) -> MutexGuard<'_, Connection> {
        lock(&self.reader)
    }

    /// Makes sure every configured feed has a row, and records its configured URL.
    pub fn sync_feeds<'a>(
        &self,
        feeds: impl IntoIterator<Item = (&'a str, String)>,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO feeds (name, url) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET url = excluded.url,
                   etag = CASE WHEN feeds.url = excluded.url THEN feeds.etag END,
                   last_modified = CASE WHEN feeds.url = excluded.url THEN feeds.last_modified END,
                   body_hash = CASE WHEN feeds.url = excluded.url THEN feeds.body_hash END,
                   moved_url = CASE WHEN feeds.url = excluded.url THEN feeds.moved_url END,
                   gone_at = CASE WHEN feeds.url = excluded.url THEN feeds.gone_at END,
                   retry_after = CASE WHEN feeds.url = excluded.url THEN feeds.retry_after END",
            )?;
            for (name, url) in feeds {
                stmt.execute(params![name, url])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The stored state of one feed (`None` if it was never synced).
    pub fn feed_status(&self, name: &str) -> Result<Option<FeedStatus>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!("{FEED_STATUS_SQL} WHERE f.name = ?1"))?;
        Ok(stmt.query_row([name], feed_status_row).optional()?)
    }

    /// Every feed's state, by name.
    pub fn feed_statuses(&self) -> Result<Vec<FeedStatus>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!("{FEED_STATUS_SQL} ORDER BY f.name"))?;
        let rows = stmt.query_map([], feed_status_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records a successful fetch: the feed's metadata and validators, and every item, in one
    /// transaction. Returns what changed.
    pub fn apply_fetch(
        &self,
        feed: &str,
        record: &FetchRecord,
        meta: &FeedMeta,
        items: &[Item],
        now: DateTime<Utc>,
    ) -> Result<UpsertCounts, StoreError> {
        // Names the source is known by, to strip ` | Outlet` decorations from headlines.
        let mut outlets: Vec<String> = vec![feed.to_string()];
        outlets.extend(meta.title.clone());
        outlets.extend(
            meta.site_link
                .as_deref()
                .and_then(|l| url::Url::parse(l).ok())
                .and_then(|u| u.host_str().map(str::to_string)),
        );
        let mut clusterer = Clusterer::new(outlets);
        // The story profiles of new and changed items are built before the write lock is
        // taken, so that other polls' writes go on meanwhile (building them inside was 14 %
        // of a first poll's CPU, all of it on the one writer). Unchanged items need none.

        let (hashes, changed) = self.changed_items(feed, items)?;

        clusterer.prepare(items.iter().filter(|i| changed.contains(i.key.as_str())));

        let mut conn = self.conn();

        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let feed_id = feed_id(&tx, feed)?;
        // The document frequencies of earlier polls, unless another process wrote since.
        let mut df_cache = lock(&self.story_df);
        let version: i64 = tx.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        if df_cache.data_version == Some(version) {
            clusterer.df = std::mem::take(&mut df_cache.df);
        }
        df_cache.data_version = None;
        // Kept profiles check their own text, so they survive other processes' writes.
        let mut memo = lock(&self.profiles);
        clusterer.memo = std::mem::take(&mut *memo);
        tx.execute(
            "UPDATE feeds SET title = COALESCE(?2, title), site_link = COALESCE(?3, site_link),
               lang = COALESCE(?4, lang), etag = ?5, last_modified = ?6, body_hash = ?7,
               last_fetch = ?8, last_success = ?8, last_status = ?9, last_error = NULL,
               error_class = NULL, consecutive_errors = 0, retry_after = NULL,
               ttl_secs = ?10, skip_hours = ?11, skip_days = ?12
             WHERE id = ?1",
            params![
                feed_id,
                meta.title,
                meta.site_link,
                meta.lang,
                record.etag,
                record.last_modified,
                record.body_hash,
                ts(now),
                record.status,
                hint_secs(&record.hints),
                record.hints.skip_hours as i64,
                record.hints.skip_days as i64
            ],
        )?;
        let mut counts = UpsertCounts::default();
        for (item, hash) in items.iter().zip(hashes) {
            match upsert_item(&tx, feed_id, item, hash, now, &mut clusterer)? {
                Upserted::New => counts.new += 1,
                Upserted::Updated => counts.updated += 1,
                Upserted::Unchanged => counts.unchanged += 1,
            }
        }

        clusterer.finish(&tx)?;
        tx.commit()?;
        *memo = std::mem::take(&mut clusterer.memo);

        if clusterer.df.len() <= DF_CACHE_TERMS {
            df_cache.df = std::mem::take(&mut clusterer.df);
            df_cache.data_version = Some(version);
        }
        Ok(counts)
    }

    /// The content hash of each of `items`, and the keys of those not stored with the same
    /// content (new or changed): a read outside any write transaction, so only a hint (the
    /// transaction decides again).
    fn changed_items<'i>(
        &self,
        feed: &str,
        items: &'i [Item],
    ) -> Result<(Vec<String>, std::collections::HashSet<&'i str>), StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT i.content_hash FROM items i JOIN feeds f ON f.id = i.feed_id
             WHERE f.name = ?1 AND i.key = ?2",
        )?;
        let mut changed = std::collections::HashSet::new();
        let mut hashes = Vec::with_capacity(items.len());
        for item in items {
            let stored: Option<String> = stmt
                .query_row(params![feed, item.key], |r| r.get(0))
                .optional()?;
            let hash = content_hash(item);
            if stored.as_deref() != Some(hash.as_str()) {
                changed.insert(item.key.as_str());
            }
            hashes.push(hash);
        }
        Ok((hashes, changed))
    }

    /// The fingerprints of `feed`'s stored items and their keys (see
    /// `normalize::KnownEntries`), read before a poll normalizes its document.
    pub fn known_entries(&self, feed: &str) -> Result<HashMap<String, String>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT i.source_hash, i.key FROM items i JOIN feeds f ON f.id = i.feed_id
             WHERE f.name = ?1 AND i.source_hash IS NOT NULL",
        )?;
        let rows = stmt.query_map([feed], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records a fetch that changed nothing (304, identical body).
    pub fn record_not_modified(
        &self,
        feed: &str,
        status: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE feeds SET last_fetch = ?2, last_success = ?2, last_status = ?3,
               last_error = NULL, error_class = NULL, consecutive_errors = 0, retry_after = NULL
             WHERE name = ?1",
            params![feed, ts(now), status],
        )?;
        Ok(())
    }

    /// Records a failed fetch; stored items are untouched.
    pub fn record_error(
        &self,
        feed: &str,
        class: &str,
        message: &str,
        status: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE feeds SET last_fetch = ?2, last_status = ?3, last_error = ?4,
               error_class = ?5, consecutive_errors = consecutive_errors + 1
             WHERE name = ?1",
            params![feed, ts(now), status.unwrap_or("error"), message, class],
        )?;
        Ok(())
    }

    /// Records that the feed moved permanently to `url` (used instead of the configured URL
    /// until that changes).
    pub fn set_moved(&self, feed: &str, url: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE feeds SET moved_url = ?2 WHERE name = ?1",
            params![feed, url],
        )?;
        Ok(())
    }

    /// Marks the feed gone (410): it is not polled again until `enable_feed`.
    pub fn mark_gone(&self, feed: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE feeds SET gone_at = COALESCE(gone_at, ?2) WHERE name = ?1",
            params![feed, ts(now)],
        )?;
        Ok(())
    }

    /// Re-enables a feed an admin wants polled again: clears gone, Retry-After, the error
    /// count and the due time. Returns false when no feed has that name.
    pub fn enable_feed(&self, feed: &str) -> Result<bool, StoreError> {
        let n = self.conn().execute(
            "UPDATE feeds SET gone_at = NULL, retry_after = NULL, consecutive_errors = 0,
               next_due = NULL
             WHERE name = ?1",
            [feed],
        )?;
        Ok(n > 0)
    }

    /// No request to this feed before `until` (its server's `Retry-After`).
    pub fn set_retry_after(&self, feed: &str, until: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE feeds SET retry_after = ?2 WHERE name = ?1",
            params![feed, ts(until)],
        )?;
        Ok(())
    }

    /// No request to `host` before `until`.
    pub fn set_host_pause(&self, host: &str, until: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO host_pauses (host, until) VALUES (?1, ?2)
             ON CONFLICT (host) DO UPDATE SET until = max(until, excluded.until)",
            params![host.to_ascii_lowercase(), ts(until)],
        )?;
        Ok(())
    }

    /// Until when `host` asked not to be contacted, if that is after `now`.
    pub fn host_pause(
        &self,
        host: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT until FROM host_pauses WHERE host = ?1 AND until > ?2",
                params![host.to_ascii_lowercase(), ts(now)],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .map(from_ts))
    }

    /// The freshness the last response declared (`Cache-Control: max-age`, `Expires`).
    pub fn set_cache_secs(&self, feed: &str, secs: Option<i64>) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE feeds SET cache_secs = ?2 WHERE name = ?1",
            params![feed, secs],
        )?;
        Ok(())
    }

    /// Publication times of the feed's most recent `limit` items, newest first (for the
    /// adaptive schedule).
    pub fn recent_publish_times(
        &self,
        feed: &str,
        limit: usize,
    ) -> Result<Vec<DateTime<Utc>>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT i.published FROM items i JOIN feeds f ON f.id = i.feed_id
             WHERE f.name = ?1 ORDER BY i.published DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![feed, limit as i64], |r| r.get::<_, i64>(0))?;
        Ok(rows.map(|r| r.map(from_ts)).collect::<Result<_, _>>()?)
    }

    pub fn set_next_due(&self, feed: &str, due: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE feeds SET next_due = ?2 WHERE name = ?1",
            params![feed, ts(due)],
        )?;
        Ok(())
    }

    /// Items for an output, newest first.
    pub fn query_items(&self, q: &ItemQuery) -> Result<Vec<StoredItem>, StoreError> {
        let mut sql = format!("{ITEM_SQL} WHERE 1 = 1");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(lang) = &q.lang {
            args.push(lang.clone().into());
            sql.push_str(&format!(" AND i.lang = ?{}", args.len()));
        }
        if !q.categories.is_empty() {
            let mut marks = Vec::new();
            for c in &q.categories {
                args.push(c.clone().into());
                marks.push(format!("?{}", args.len()));
            }
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM item_categories c WHERE c.item_id = i.id AND c.category IN ({}))",
                marks.join(", ")
            ));
        }
        args.push((q.limit as i64).into());
        args.push((q.offset as i64).into());
        sql.push_str(&format!(
            " ORDER BY i.sort_at DESC, i.id DESC LIMIT ?{} OFFSET ?{}",
            args.len() - 1,
            args.len()
        ));
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), stored_item_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every stored item, newest first (for `bantin items`).
    pub fn all_items(&self) -> Result<Vec<StoredItem>, StoreError> {
        self.query_items(&ItemQuery {
            limit: i64::MAX as usize,
            ..ItemQuery::default()
        })
    }

    /// Every item of the given stories, oldest first.
    pub fn story_members(&self, stories: &[i64]) -> Result<Vec<StoredItem>, StoreError> {
        let conn = self.conn();
        let mut out = Vec::new();
        for chunk in stories.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("?{i}")).collect();
            let sql = format!(
                "{ITEM_SQL} WHERE i.story IN ({}) ORDER BY i.published, i.id",
                marks.join(", ")
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(chunk), stored_item_row)?;
            for r in rows {
                out.push(r?);
            }
        }
        Ok(out)
    }

    /// The item a user means by `key`: its id, its link (exactly or up to tracking
    /// parameters and `www.`), or its guid.
    pub fn find_item(&self, key: &str) -> Result<Option<StoredItem>, StoreError> {
        let conn = self.conn();
        if let Ok(id) = key.trim().parse::<i64>() {
            let mut stmt = conn.prepare_cached(&format!("{ITEM_SQL} WHERE i.id = ?1"))?;
            if let Some(item) = stmt.query_row([id], stored_item_row).optional()? {
                return Ok(Some(item));
            }
        }
        let canonical = canonical_url(key).unwrap_or_default();
        let mut stmt = conn.prepare_cached(&format!(
            "{ITEM_SQL} WHERE i.link = ?1 OR i.canonical_url = ?2 OR i.guid = ?1
             ORDER BY i.link = ?1 OR i.guid = ?1 DESC, i.id LIMIT 1"
        ))?;
        Ok(stmt
            .query_row(params![key.trim(), canonical], stored_item_row)
            .optional()?)
    }

    /// What clustering and classification recorded about an item (for `bantin explain`).
    pub fn curation_record(&self, id: i64) -> Result<Option<CurationRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT i.story_rule, i.story_score, i.story_match, i.declared_lang, i.story_text,
                    i.source_categories, COALESCE(i.own_categories, i.categories), f.lang,
                    f.title, f.site_link
             FROM items i JOIN feeds f ON f.id = i.feed_id WHERE i.id = ?1",
        )?;
        Ok(stmt
            .query_row([id], |r| {
                let json = |s: String| serde_json::from_str::<Vec<String>>(&s).unwrap_or_default();
                Ok(CurationRecord {
                    story_rule: r
                        .get::<_, Option<String>>(0)?
                        .unwrap_or_else(|| "new".into()),
                    story_score: r.get::<_, Option<f64>>(1)?.unwrap_or(0.0),
                    story_match: r.get(2)?,
                    declared_lang: r.get(3)?,
                    story_text: r.get(4)?,
                    source_categories: json(r.get(5)?),
                    own_categories: json(r.get(6)?),
                    channel_lang: r.get(7)?,
                    feed_title: r.get(8)?,
                    feed_site: r.get(9)?,
                })
            })
            .optional()?)
    }

    /// Document frequencies of clustering features (by `story::term_id`), 0 when unseen.
    pub fn story_df(&self, terms: &[i64]) -> Result<HashMap<i64, u64>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT df FROM story_df WHERE term = ?1")?;
        let mut out = HashMap::new();
        for t in terms {
            let d: Option<i64> = stmt.query_row([t], |r| r.get(0)).optional()?;
            out.insert(*t, d.unwrap_or(0) as u64);
        }
        Ok(out)
    }

    pub fn item_count(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT COUNT(*) FROM items", [], |r| r.get(0))?)
    }
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: version,
            known,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

/// The document's own minimum polling interval: the longer of `<ttl>` and `sy:update*`.
fn hint_secs(h: &FeedHints) -> Option<i64> {
    h.ttl
        .into_iter()
        .chain(h.update_period)
        .max()
        .map(|d| d.as_secs().min(i64::MAX as u64) as i64)
}

fn feed_id(tx: &Transaction, name: &str) -> Result<i64, StoreError> {
    // A feed that was never synced (e.g. a library caller polling directly) gets its row now.
    tx.execute(
        "INSERT INTO feeds (name, url) VALUES (?1, '') ON CONFLICT (name) DO NOTHING",
        [name],
    )?;
    Ok(tx.query_row("SELECT id FROM feeds WHERE name = ?1", [name], |r| r.get(0))?)
}

enum Upserted {
    New,
    Updated,
    Unchanged,
}

/// A digest of everything about an item that, when it changes, makes it "updated".
fn content_hash(item: &Item) -> String {
    let mut h = blake3::Hasher::new();
    let mut field = |s: Option<&str>| {
        let s = s.unwrap_or("\u{0}none");
        h.update(&(s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    field(item.guid.as_deref());
    field(item.link.as_deref());
    field(Some(&item.title));
    field(item.summary.as_deref());
    field(item.content.as_deref());
    field(item.author.as_deref());
    field(item.image.as_deref());
    field(item.enclosure.as_ref().map(|e| e.url.as_str()));
    field(item.lang.as_deref());
    field(Some(&item.categories.join("\u{1}")));
    field(Some(&item.source_categories.join("\u{1}")));
    field(item.published.map(|d| d.to_rfc3339()).as_deref());
    field(item.updated.map(|d| d.to_rfc3339()).as_deref());
    h.finalize().to_hex()[..32].to_string()
}

fn upsert_item(
    tx: &Transaction,
    feed_id: i64,
    item: &Item,
    hash: String,
    now: DateTime<Utc>,
    clusterer: &mut Clusterer,
) -> Result<Upserted, StoreError> {
    let existing: Option<(i64, String, i64, Option<String>)> = tx
        .prepare_cached(
            "SELECT id, content_hash, published, source_hash FROM items
             WHERE feed_id = ?1 AND key = ?2",
        )?
        .query_row(params![feed_id, item.key], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    if let Some((id, old_hash, _, old_source)) = &existing
        && *old_hash == hash
    {
        // The same item from a differently written entry (or stored before fingerprints):
        // the fingerprint is recorded so that the next poll skips the entry.
        if item.source_hash.is_some() && *old_source != item.source_hash {
            tx.prepare_cached("UPDATE items SET source_hash = ?2 WHERE id = ?1")?
                .execute(params![id, item.source_hash])?;
        }
        return Ok(Upserted::Unchanged);
    }
    // An item without a date keeps the first time we saw it, so it never jumps to the top.
    let published = match (item.published, &existing) {
        (Some(p), _) => ts(p),
        (None, Some((_, _, old, _))) => *old,
        (None, None) => ts(now),
    };
    let updated = item.updated.map(ts).unwrap_or(published).max(published);
    // Far-future dates must not pin an item to the top of every output.
    let sort_at = published.min(ts(now));
    let source_categories = serde_json::to_string(&item.source_categories).unwrap_or_default();
    let categories = serde_json::to_string(&item.categories).unwrap_or_default();
    let enclosure = item
        .enclosure
        .as_ref()
        .and_then(|e| serde_json::to_string(e).ok());
    let item_id = match existing {
        None => {
            // The story is decided before the row is written, so that the row (≈5 KB with
            // its content, spilling to overflow pages) is written once rather than three
            // times. The id is the one SQLite would pick; this transaction is the only
            // writer.
            let id: i64 = tx
                .prepare_cached("SELECT COALESCE(MAX(id), 0) + 1 FROM items")?
                .query_row([], |r| r.get(0))?;
            let story = clusterer.assign(tx, id, feed_id, item, published)?;
            tx.prepare_cached(
                "INSERT INTO items (id, feed_id, key, guid, link, title, summary, content, author,
                   source_categories, image, enclosure, lang, categories, own_categories,
                   published, updated, first_seen, sort_at, content_hash, declared_lang,
                   story, story_rule, story_score, story_match, canonical_url, story_text,
                   story_norm, source_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14,
                   ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28)",
            )?
            .execute(params![
                id,
                feed_id,
                item.key,
                item.guid,
                item.link,
                item.title,
                item.summary,
                item.content,
                item.author,
                source_categories,
                item.image,
                enclosure,
                item.lang,
                categories,
                published,
                updated,
                ts(now),
                sort_at,
                hash,
                item.declared_lang,
                story.story,
                story.rule.as_str(),
                story.score,
                story.matched,
                story.canonical,
                story.text,
                story.norm,
                item.source_hash
            ])?;
            insert_categories(tx, id, &item.categories)?;
            // A new story's only member needs no vote.
            if story.story != id {
                apply_story_categories(tx, id)?;
            }
            return Ok(Upserted::New);
        }
        Some((id, ..)) => id,
    };
    // An update whose clustered text changed leaves its story and is assigned again.
    let withdrawn = clusterer.withdraw(tx, item_id, item)?;
    tx.prepare_cached(
        "UPDATE items SET guid = ?2, link = ?3, title = ?4, summary = ?5, content = ?6,
           author = ?7, source_categories = ?8, image = ?9, enclosure = ?10, lang = ?11,
           categories = ?12, own_categories = ?12, published = ?13, updated = ?14,
           sort_at = ?15, content_hash = ?16, declared_lang = ?17, source_hash = ?18
         WHERE id = ?1",
    )?
    .execute(params![
        item_id,
        item.guid,
        item.link,
        item.title,
        item.summary,
        item.content,
        item.author,
        source_categories,
        item.image,
        enclosure,
        item.lang,
        categories,
        published,
        updated,
        sort_at,
        hash,
        item.declared_lang,
        item.source_hash
    ])?;
    tx.prepare_cached("UPDATE items SET updated = ?2 WHERE id = ?1 AND ?3")?
        .execute(params![
            item_id,
            ts(now).max(published),
            item.updated.is_none()
        ])?;
    tx.prepare_cached("DELETE FROM item_categories WHERE item_id = ?1")?
        .execute([item_id])?;
    insert_categories(tx, item_id, &item.categories)?;
    if let Some(rest) = withdrawn {
        clusterer
            .assign(tx, item_id, feed_id, item, published)?
            .write(tx, item_id)?;
        if let Some(member) = rest {
            apply_story_categories(tx, member)?;
        }
    }
    apply_story_categories(tx, item_id)?;
    Ok(Upserted::Updated)
}

fn insert_categories(
    tx: &Transaction,
    item_id: i64,
    categories: &[String],
) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(
        "INSERT OR IGNORE INTO item_categories (item_id, category, rank) VALUES (?1, ?2, ?3)",
    )?;
    for (rank, c) in categories.iter().enumerate() {
        stmt.execute(params![item_id, c, rank as i64])?;
    }
    Ok(())
}

/// Gives every item of `item_id`'s story the story's categories: each member votes for its
/// own categories (2 for its primary, 1 for the others); categories with at least half the
/// best vote are kept, best first. Outlets report one event under one heading, and a terse
/// headline ("Hà Nội mù mịt") gets the category its better-worded siblings earned.
fn apply_story_categories(tx: &Transaction, item_id: i64) -> Result<(), StoreError> {
    // (id, own categories, the story's categories as stored now)
    let members: Vec<(i64, String, String)> = tx
        .prepare_cached(
            "SELECT id, COALESCE(own_categories, categories), categories FROM items
             WHERE story = (SELECT story FROM items WHERE id = ?1)
             ORDER BY published, id",
        )?
        .query_map([item_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    if members.len() < 2 {
        return Ok(());
    }
    let mut votes: Vec<(String, u32)> = Vec::new();
    for (_, cats, _) in &members {
        let cats: Vec<String> = serde_json::from_str(cats).unwrap_or_default();
        for (rank, c) in cats.iter().enumerate() {
            let v = if rank == 0 { 2 } else { 1 };
            match votes.iter_mut().find(|(id, _)| id == c) {
                Some((_, n)) => *n += v,
                None => votes.push((c.clone(), v)),
            }
        }
    }
    votes.sort_by_key(|v| std::cmp::Reverse(v.1)); // stable: ties keep the earliest member's order
    let top = votes.first().map_or(0, |v| v.1);
    let story_categories: Vec<String> = votes
        .into_iter()
        .filter(|(_, n)| *n * 2 >= top)
        .map(|(c, _)| c)
        .collect();
    let json = serde_json::to_string(&story_categories).unwrap_or_default();
    // A member already carrying the story's categories is left alone: a story of forty
    // members that one more report joins mostly keeps its categories, and rewriting every
    // member's row (a few KB each) and its category rows was most of this function's cost.
    for (id, ..) in members.iter().filter(|(_, _, current)| *current != json) {
        tx.prepare_cached("UPDATE items SET categories = ?2 WHERE id = ?1")?
            .execute(params![id, json])?;
        tx.prepare_cached("DELETE FROM item_categories WHERE item_id = ?1")?
            .execute([id])?;
        let mut stmt = tx.prepare_cached(
            "INSERT OR IGNORE INTO item_categories (item_id, category, rank) VALUES (?1, ?2, ?3)",
        )?;
        for (rank, c) in story_categories.iter().enumerate() {
            stmt.execute(params![id, c, rank as i64])?;
        }
    }
    Ok(())
}

/// An item's clustered text and profile, built before the write transaction.
struct Prepared {
    text: String,
    profile: Profile,
    /// The index keys of the profile's features, in the order `profile.features` iterates
    /// (hashing them is work the writer need not do).
    term_ids: Vec<i64>,
}

fn term_ids(lang: &str, profile: &Profile) -> Vec<i64> {
    profile
        .features
        .keys()
        .map(|f| story::term_id(lang, f))
        .collect()
}

/// Story assignment for the new items of one fetch (see `story`): finds candidates through
/// the `story_terms` index (same language-specific words, ±2 days), scores them with the
/// document frequencies of `story_df`, and records the decision on the item.
struct Clusterer {
    outlets: Vec<String>,
    /// Document frequencies as this transaction sees them (stored value plus `pending`), by
    /// term id.
    df: FastMap<i64, u64>,
    /// Changes not yet written to `story_df`. One upsert per distinct term at the end of the
    /// fetch instead of one per item and term: a fetch of 100 items repeats most words.
    pending: FastMap<i64, i64>,
    /// Clustered text and profile of items, by key, built before the transaction.
    prepared: FastMap<String, Prepared>,
    /// `story_terms` rows of this fetch's items, written at the end in term order: inserts
    /// in key order touch each B-tree page once instead of once per item. Nothing in the
    /// fetch reads them: its own items are never each other's candidates (same feed).
    postings: Vec<(i64, i64, i64)>,
    /// Profiles of stored items, kept between fetches (see `memo`).
    memo: memo::ProfileMemo,
}

impl Clusterer {
    fn new(outlets: Vec<String>) -> Clusterer {
        Clusterer {
            outlets,
            df: FastMap::new(),
            pending: FastMap::new(),
            prepared: FastMap::new(),
            postings: Vec::new(),
            memo: memo::ProfileMemo::default(),
        }
    }

    /// Builds the clustered text and profile of `items` ahead of [`Clusterer::assign`].
    fn prepare<'i>(&mut self, items: impl Iterator<Item = &'i Item>) {
        for item in items {
            let text = self.text_of(item);
            let lang = item.lang.as_deref().unwrap_or("und");
            let (headline, summary) = story::split_story_text(&text);
            let profile = Profile::new(lang, headline, summary);
            let term_ids = term_ids(lang, &profile);
            self.prepared.insert(
                item.key.clone(),
                Prepared {
                    text,
                    profile,
                    term_ids,
                },
            );
        }
    }

    /// Writes the postings and document-frequency changes of this fetch (before the commit).
    fn finish(&mut self, tx: &Transaction) -> Result<(), StoreError> {
        self.postings.sort_unstable();
        let mut post = tx.prepare_cached(
            "INSERT OR IGNORE INTO story_terms (term, day, item_id) VALUES (?1, ?2, ?3)",
        )?;
        for (term, day, item) in &self.postings {
            post.execute(params![term, day, item])?;
        }
        let mut stmt = tx.prepare_cached(
            "INSERT INTO story_df (term, df) VALUES (?1, max(?2, 0))
             ON CONFLICT (term) DO UPDATE SET df = max(df + ?2, 0)",
        )?;
        for (term, delta) in self.pending.drain() {
            if delta != 0 {
                stmt.execute(params![term, delta])?;
            }
        }
        Ok(())
    }

    fn df(&mut self, tx: &Transaction, term: i64) -> Result<u64, StoreError> {
        if let Some(d) = self.df.get(&term) {
            return Ok(*d);
        }
        let d: i64 = tx
            .prepare_cached("SELECT df FROM story_df WHERE term = ?1")?
            .query_row([term], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        self.df.insert(term, d as u64);
        Ok(d as u64)
    }

    fn bump_df(&mut self, tx: &Transaction, term: i64) -> Result<(), StoreError> {
        let d = self.df(tx, term)?;
        self.df.insert(term, d + 1);
        *self.pending.entry(term).or_default() += 1;
        Ok(())
    }

    /// The opposite of [`Clusterer::bump_df`], for an item withdrawn from its story.
    fn drop_df(&mut self, tx: &Transaction, term: i64) -> Result<(), StoreError> {
        let d = self.df(tx, term)?;
        if d > 0 {
            self.df.insert(term, d - 1);
            *self.pending.entry(term).or_default() -= 1;
        }
        Ok(())
    }

    /// The text clustered for `item` (see `story::story_text`).
    fn text_of(&self, item: &Item) -> String {
        let outlets: Vec<&str> = self.outlets.iter().map(String::as_str).collect();
        let headline = story::strip_decorations(&item.title, &outlets);
        story::story_text(&headline, &item.summary_text)
    }

    /// Called before an update of item `id` is written: when its clustered text or language
    /// changed (a corrected headline, a summary filled in on a later poll), the item leaves
    /// its story so that `assign` decides it again, as if it were new: its postings and
    /// document frequencies are withdrawn, and the rest of its story keeps together (under
    /// the smallest remaining id if the story was named after this item). Returns `None`
    /// when nothing changed (one row read), else `Some` of a remaining member of the old
    /// story, whose categories need a new vote.
    fn withdraw(
        &mut self,
        tx: &Transaction,
        id: i64,
        item: &Item,
    ) -> Result<Option<Option<i64>>, StoreError> {
        type Row = (Option<String>, Option<String>, Option<i64>, i64);
        let (old_text, old_lang, old_story, old_published): Row = tx
            .prepare_cached("SELECT story_text, lang, story, published FROM items WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        let Some(old_text) = old_text else {
            return Ok(None);
        };
        let text = match self.prepared.get(&item.key) {
            Some(ready) => ready.text.clone(),
            None => self.text_of(item),
        };
        if old_text == text && old_lang == item.lang {
            return Ok(None);
        }
        let old_lang = old_lang.unwrap_or_else(|| "und".to_string());
        let (h, s) = story::split_story_text(&old_text);
        let old_profile = Profile::new(&old_lang, h, s);
        let terms = old_profile
            .features
            .keys()
            .map(|f| story::term_id(&old_lang, f))
            .chain([story::count_id(&old_lang)]);
        for t in terms {
            self.drop_df(tx, t)?;
        }
        let mut unpost = tx.prepare_cached(
            "DELETE FROM story_terms WHERE term = ?1 AND day = ?2 AND item_id = ?3",
        )?;
        let old_day = story::day_of(old_published);
        for f in old_profile.index_terms() {
            unpost.execute(params![story::term_id(&old_lang, f), old_day, id])?;
        }
        let mut rest: Option<i64> = None;
        if let Some(st) = old_story {
            rest = tx
                .prepare_cached("SELECT MIN(id) FROM items WHERE story = ?1 AND id != ?2")?
                .query_row(params![st, id], |r| r.get(0))?;
            if let Some(first) = rest
                && st == id
            {
                tx.prepare_cached("UPDATE items SET story = ?1 WHERE story = ?2 AND id != ?2")?
                    .execute(params![first, id])?;
            }
        }
        tx.prepare_cached("UPDATE items SET story = NULL WHERE id = ?1")?
            .execute([id])?;
        Ok(Some(rest))
    }

    /// Decides the story of the new item `id` and indexes it.
    fn assign(
        &mut self,
        tx: &Transaction,
        id: i64,
        feed_id: i64,
        item: &Item,
        published: i64,
    ) -> Result<Assigned, StoreError> {
        let lang = item.lang.clone().unwrap_or_else(|| "und".to_string());
        let Prepared {
            text,
            profile,
            term_ids,
        } = match self.prepared.remove(&item.key) {
            Some(ready) => ready,
            None => {
                let text = self.text_of(item);
                let (headline, summary) = story::split_story_text(&text);
                let profile = Profile::new(&lang, headline, summary);
                let term_ids = term_ids(&lang, &profile);
                Prepared {
                    text,
                    profile,
                    term_ids,
                }
            }
        };
        let canonical = item.link.as_deref().and_then(canonical_url);

        // Document frequencies include this item.
        self.bump_df(tx, story::count_id(&lang))?;
        let mut ids: FastMap<&str, i64> = FastMap::with_capacity(profile.features.len());
        for (f, t) in profile.features.keys().zip(term_ids) {
            ids.insert(f.as_str(), t);
            self.bump_df(tx, t)?;
        }
        let n_docs = self.df(tx, story::count_id(&lang))?;
        let mut norm = 0.0;
        for (f, w) in &profile.features {
            let x = story::idf(self.df(tx, ids[f.as_str()])?, n_docs) * w;
            norm += x * x;
        }
        let norm = norm.sqrt();

        // 1. The same article (canonical URL) from any feed.
        let mut decision: Option<(i64, Rule, f64, Option<i64>)> = None;
        if let Some(url) = &canonical {
            decision = tx
                .prepare_cached(
                    "SELECT id, story FROM items WHERE canonical_url = ?1 AND id != ?2
                     ORDER BY id LIMIT 1",
                )?
                .query_row(params![url, id], |r| {
                    let (mid, st): (i64, Option<i64>) = (r.get(0)?, r.get(1)?);
                    Ok((st.unwrap_or(mid), Rule::Url, 1.0, Some(mid)))
                })
                .optional()?;
        }

        // 2. Similar text in the same language within the window.
        let terms: Vec<i64> = profile.index_terms().into_iter().map(|t| ids[t]).collect();
        // Candidates come from the item's rarest words (rare words identify a story; common
        // ones would only make long posting lists to read).
        let mut lookup: Vec<(u64, i64)> = Vec::with_capacity(terms.len());
        let cutoff = (story::MAX_DF_SHARE * n_docs as f64).max(story::MIN_DF_CUTOFF);
        // Postings are written only for the words a later item could look this one up by:
        // a word already far above the cutoff (twice it, a margin for a word whose share
        // falls as the store grows) is never looked up, and its postings were most of the
        // index's writes.
        let mut indexed: Vec<i64> = Vec::with_capacity(terms.len());
        for t in &terms {
            let d = self.df(tx, *t)?;
            if d as f64 <= cutoff {
                lookup.push((d, *t));
            }
            if d as f64 <= story::POSTING_DF_MARGIN * cutoff {
                indexed.push(*t);
            }
        }
        lookup.sort_unstable();
        lookup.truncate(story::LOOKUP_TERMS);

        let day = story::day_of(published);
        let span = story::WINDOW_SECS / 86_400 + 1;
        // The text rule also runs after a URL match: an item that is the same article as one
        // story and retells another joins the two (the URL rule alone would leave them apart
        // whenever the retelling arrived first).
        {
            let mut shared: FastMap<i64, usize> = FastMap::new();
            {
                let mut stmt = tx.prepare_cached(
                    "SELECT item_id FROM story_terms WHERE term = ?1 AND day BETWEEN ?2 AND ?3
                     LIMIT ?4",
                )?;
                for (_, term) in &lookup {
                    let ids: Vec<i64> = stmt
                        .query_map(
                            params![term, day - span, day + span, story::MAX_POSTING as i64 + 1],
                            |r| r.get(0),
                        )?
                        .collect::<Result<_, _>>()?;
                    // A word this common in the window identifies nothing.
                    if ids.len() > story::MAX_POSTING {
                        continue;
                    }
                    for i in ids {
                        *shared.entry(i).or_default() += 1;
                    }
                }
            }
            let mut ranked: Vec<(i64, usize)> =
                shared.into_iter().filter(|(i, _)| *i != id).collect();
            ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
            ranked.truncate(story::MAX_CANDIDATES);

            let mut candidates = Vec::with_capacity(ranked.len());
            {
                // A story is one event carried by several sources: two items of the same feed
                // are two items (an outlet's follow-ups and live pages stay separate).
                let own_feed = feed_id;
                let mut stmt = tx.prepare_cached(
                    "SELECT story, published, lang, story_text, story_norm, feed_id FROM items WHERE id = ?1",
                )?;
                type Row = (
                    Option<i64>,
                    i64,
                    Option<String>,
                    Option<String>,
                    Option<f64>,
                    i64,
                );
                for (cid, _) in &ranked {
                    let row: Option<Row> = stmt
                        .query_row([cid], |r| {
                            Ok((
                                r.get(0)?,
                                r.get(1)?,
                                r.get(2)?,
                                r.get(3)?,
                                r.get(4)?,
                                r.get(5)?,
                            ))
                        })
                        .optional()?;
                    let Some((st, pubd, clang, Some(ctext), Some(cnorm), cfeed)) = row else {
                        continue;
                    };
                    let clang = clang.unwrap_or_else(|| "und".to_string());
                    if cfeed == own_feed
                        || clang != lang
                        || (pubd - published).abs() > story::WINDOW_SECS
                    {
                        continue;
                    }
                    candidates.push(Candidate {
                        id: *cid,
                        story: st.unwrap_or(*cid),
                        published: pubd,
                        profile: self.memo.profile(*cid, &clang, &ctext),
                        norm: cnorm,
                    });
                }
            }

            let mut failed: Option<StoreError> = None;
            let mut idf = |f: &str| -> f64 {
                let t = ids
                    .get(f)
                    .copied()
                    .unwrap_or_else(|| story::term_id(&lang, f));
                match self.df(tx, t) {
                    Ok(d) => story::idf(d, n_docs),
                    Err(e) => {
                        failed.get_or_insert(e);
                        0.0
                    }
                }
            };
            let found = story::matches(&profile, norm, published, &candidates, &mut idf);
            if let Some(e) = failed {
                return Err(e);
            }

            // The best match whose whole story admits the item (no member states another
            // fact) gives the item its story (merged with the story of its URL match, if
            // any). A further story that the item also matches is merged into that one only
            // when names alone kept the two apart and the item reconciles them (see
            // `bridges`): a report naming both the river and the province joins the outlet
            // that named the river to the one that named the province. Stories kept apart
            // for lack of similarity stay apart (the month's inflation and its trade figures
            // are both matched by a report on the whole release).
            let mut joined: Vec<i64> = Vec::new();
            let mut joined_members: Vec<Arc<Profile>> = Vec::new();
            let mut text_matched = false;
            if let Some((url_story, ..)) = decision {
                joined.push(url_story);
                joined_members.extend(story_profiles(tx, url_story, &mut self.memo)?);
            }
            let mut refused: Vec<i64> = Vec::new();
            for (i, score) in found {
                let c = &candidates[i];
                if refused.contains(&c.story) || joined.contains(&c.story) {
                    continue;
                }
                let members = story_profiles(tx, c.story, &mut self.memo)?;
                if !story::admits(&profile, members.iter().map(|m| &**m))
                    || (text_matched && !bridges(&profile, &joined_members, &members))
                {
                    refused.push(c.story);
                    continue;
                }
                match decision {
                    None => decision = Some((c.story, Rule::Text, score, Some(c.id))),
                    Some((into, ..)) => {
                        let (keep, gone) = (into.min(c.story), into.max(c.story));
                        tx.prepare_cached("UPDATE items SET story = ?1 WHERE story = ?2")?
                            .execute(params![keep, gone])?;
                        if let Some(d) = decision.as_mut() {
                            d.0 = keep;
                        }
                    }
                }
                text_matched = true;
                joined.push(c.story);
                joined_members.extend(members);
            }
        }
        let (story, rule, score, matched) = decision.unwrap_or((id, Rule::New, 0.0, None));
        // The next reports of this story will have this item as a candidate.
        self.memo.keep(id, &lang, &text, Arc::new(profile));
        self.postings
            .extend(indexed.into_iter().map(|term| (term, day, id)));
        Ok(Assigned {
            story,
            rule,
            score,
            matched,
            canonical,
            text,
            norm,
        })
    }
}

/// What [`Clusterer::assign`] decided for an item: written with the item's row (a new item's
/// row is written once, with its story).
struct Assigned {
    story: i64,
    rule: Rule,
    score: f64,
    matched: Option<i64>,
    canonical: Option<String>,
    text: String,
    norm: f64,
}

impl Assigned {
    /// Records the decision on the stored item `id` (an updated item that changed story).
    fn write(&self, tx: &Transaction, id: i64) -> Result<(), StoreError> {
        tx.prepare_cached(
            "UPDATE items SET story = ?2, story_rule = ?3, story_score = ?4, story_match = ?5,
               canonical_url = ?6, story_text = ?7, story_norm = ?8
             WHERE id = ?1",
        )?
        .execute(params![
            id,
            self.story,
            self.rule.as_str(),
            self.score,
            self.matched,
            self.canonical,
            self.text,
            self.norm
        ])?;
        Ok(())
    }
}

/// Whether `item`, which matches members of two stories, joins them into one: no member of
/// one contradicts a member of the other, and a names veto that `item` reconciles
/// ([`Profile::names_reconciled_by`]) kept at least one pair of them apart, and only such
/// vetoes did.
fn bridges(item: &Profile, story: &[Arc<Profile>], other: &[Arc<Profile>]) -> bool {
    let mut reconciled = false;
    for a in story {
        for b in other {
            match a.veto(b) {
                None => {}
                Some(story::Veto::Names(..)) if a.names_reconciled_by(b, item) => reconciled = true,
                Some(_) => return false,
            }
        }
    }
    reconciled
}

/// The profiles of the stored members of `story` (stories are small: one item per outlet at
/// most; read by `items_by_story`), kept ones where their text is unchanged.
fn story_profiles(
    tx: &Transaction,
    story: i64,
    memo: &mut memo::ProfileMemo,
) -> Result<Vec<Arc<Profile>>, StoreError> {
    let mut stmt = tx.prepare_cached(
        "SELECT id, lang, story_text FROM items
         WHERE story = ?1 AND story_text IS NOT NULL LIMIT 64",
    )?;
    let mut rows = stmt.query([story])?;
    let mut members = Vec::new();
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let lang: Option<String> = r.get(1)?;
        let text: String = r.get(2)?;
        members.push(memo.profile(id, lang.as_deref().unwrap_or("und"), &text));
    }
    Ok(members)
}

const FEED_STATUS_SQL: &str = "SELECT f.name, f.url, f.title, f.site_link, f.etag, f.last_modified,
    f.body_hash, f.last_fetch, f.last_success, f.last_status, f.last_error, f.error_class,
    f.consecutive_errors, f.next_due,
    (SELECT COUNT(*) FROM items i WHERE i.feed_id = f.id),
    f.moved_url, f.gone_at, f.retry_after, f.ttl_secs, f.cache_secs, f.skip_hours, f.skip_days
  FROM feeds f";

fn feed_status_row(r: &rusqlite::Row) -> rusqlite::Result<FeedStatus> {
    Ok(FeedStatus {
        name: r.get(0)?,
        url: r.get(1)?,
        title: r.get(2)?,
        site_link: r.get(3)?,
        etag: r.get(4)?,
        last_modified: r.get(5)?,
        body_hash: r.get(6)?,
        last_fetch: r.get::<_, Option<i64>>(7)?.map(from_ts),
        last_success: r.get::<_, Option<i64>>(8)?.map(from_ts),
        last_status: r.get(9)?,
        last_error: r.get(10)?,
        error_class: r.get(11)?,
        consecutive_errors: r.get(12)?,
        next_due: r.get::<_, Option<i64>>(13)?.map(from_ts),
        item_count: r.get(14)?,
        moved_url: r.get(15)?,
        gone_at: r.get::<_, Option<i64>>(16)?.map(from_ts),
        retry_after: r.get::<_, Option<i64>>(17)?.map(from_ts),
        ttl_secs: r.get(18)?,
        cache_secs: r.get(19)?,
        skip_hours: r.get(20)?,
        skip_days: r.get(21)?,
    })
}

const ITEM_SQL: &str = "SELECT i.id, f.name, f.url, f.title, f.site_link, i.key, i.guid, i.link,
    i.title, i.summary, i.content, i.author, i.image, i.enclosure, i.lang, i.categories,
    i.story, i.published, i.updated, i.first_seen
  FROM items i JOIN feeds f ON f.id = i.feed_id";

fn stored_item_row(r: &rusqlite::Row) -> rusqlite::Result<StoredItem> {
    let enclosure: Option<String> = r.get(13)?;
    let categories: String = r.get(15)?;
    let id: i64 = r.get(0)?;
    Ok(StoredItem {
        id,
        feed: r.get(1)?,
        feed_url: r.get(2)?,
        feed_title: r.get(3)?,
        feed_site: r.get(4)?,
        key: r.get(5)?,
        guid: r.get(6)?,
        link: r.get(7)?,
        title: r.get(8)?,
        summary: r.get(9)?,
        content: r.get(10)?,
        author: r.get(11)?,
        image: r.get(12)?,
        enclosure: enclosure.and_then(|e| serde_json::from_str::<Enclosure>(&e).ok()),
        lang: r.get(14)?,
        categories: serde_json::from_str(&categories).unwrap_or_default(),
        story: r.get::<_, Option<i64>>(16)?.unwrap_or(id),
        published: from_ts(r.get(17)?),
        updated: from_ts(r.get(18)?),
        first_seen: from_ts(r.get(19)?),
    })
}

/// Operations: health, size, retention, backup.
impl Store {
    /// A trivial query: the database answers.
    pub fn ping(&self) -> Result<(), StoreError> {
        self.conn().query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }

    /// Distinct stories among stored items.
    pub fn story_count(&self) -> Result<i64, StoreError> {
        Ok(self.conn().query_row(
            "SELECT COUNT(DISTINCT COALESCE(story, id)) FROM items",
            [],
            |r| r.get(0),
        )?)
    }

    /// Bytes on disk: the database file and its write-ahead log.
    pub fn size_bytes(&self) -> u64 {
        let wal = PathBuf::from(format!("{}-wal", self.path.display()));
        [self.path.as_path(), wal.as_path()]
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    }

    /// Deletes items first seen more than `retain_days` ago, except each feed's newest
    /// `keep_per_feed`, in transactions of at most `batch` items so that readers and the
    /// poller are never held up for long. Returns how many items were deleted.
    pub fn prune(
        &self,
        retain_days: u32,
        keep_per_feed: usize,
        batch: usize,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let cutoff = ts(now) - i64::from(retain_days) * 86_400;
        let mut deleted = 0;
        loop {
            let mut conn = self.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx.execute(
                "DELETE FROM items WHERE id IN (
                   SELECT id FROM (
                     SELECT id, sort_at, first_seen,
                            ROW_NUMBER() OVER (PARTITION BY feed_id ORDER BY sort_at DESC, id DESC) AS rank
                     FROM items)
                   WHERE rank > ?1 AND first_seen < ?2 AND sort_at < ?2
                   LIMIT ?3)",
                params![keep_per_feed as i64, cutoff, batch as i64],
            )?;
            tx.commit()?;
            deleted += n;
            if n < batch {
                break;
            }
        }
        if deleted > 0 {
            let conn = self.conn();
            // Postings have no foreign key (see migration 4): those of the retention
            // period's past go with its items. An item kept by `keep_per_feed` loses its
            // postings too, which only matters to a new item dated that far back.
            let span = story::WINDOW_SECS / 86_400 + 1;
            conn.execute(
                "DELETE FROM story_terms WHERE day < ?1",
                [story::day_of(cutoff) - span],
            )?;
            conn.execute_batch("PRAGMA optimize;")?;
            // Hand freed pages back to the file system a little at a time.
            conn.query_row("PRAGMA incremental_vacuum(2000)", [], |_| Ok(()))
                .optional()?;
        }
        Ok(deleted)
    }

    /// Writes a consistent copy of the database to `dest` with SQLite's online backup API,
    /// while other connections keep reading and writing.
    pub fn backup(&self, dest: &Path) -> Result<(), StoreError> {
        let conn = self.conn();
        conn.backup(rusqlite::MAIN_DB, dest, None)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_upgrade_an_existing_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            // A database as the first release left it.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute(
                "INSERT INTO feeds (name, url) VALUES ('a', 'http://a.example/')",
                [],
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let version: i64 = store
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        let now = Utc::now();
        store.set_moved("a", "http://b.example/").unwrap();
        store.mark_gone("a", now).unwrap();
        store
            .set_host_pause("A.example", now + chrono::Duration::hours(1))
            .unwrap();
        let s = store.feed_status("a").unwrap().unwrap();
        assert_eq!(s.moved_url.as_deref(), Some("http://b.example/"));
        assert!(s.gone_at.is_some());
        assert!(store.host_pause("a.example", now).unwrap().is_some());
        assert!(
            store
                .host_pause("a.example", now + chrono::Duration::hours(2))
                .unwrap()
                .is_none()
        );
        // Same configured URL: the state stays; a new URL resets it.
        store
            .sync_feeds([("a", "http://a.example/".to_string())])
            .unwrap();
        assert!(store.feed_status("a").unwrap().unwrap().gone_at.is_some());
        store
            .sync_feeds([("a", "http://c.example/".to_string())])
            .unwrap();
        let s = store.feed_status("a").unwrap().unwrap();
        assert!(s.moved_url.is_none() && s.gone_at.is_none());
        assert!(store.enable_feed("a").unwrap());
        assert!(!store.enable_feed("nope").unwrap());
    }

    fn news(key: &str, title: &str, summary: &str, published: DateTime<Utc>) -> Item {
        Item {
            key: key.to_string(),
            title: title.to_string(),
            summary: Some(format!("<p>{summary}</p>")),
            summary_text: summary.to_string(),
            lang: Some("en".to_string()),
            published: Some(published),
            ..Item::default()
        }
    }

    /// A fresh store (in a directory kept alive by the caller) with the feeds `names`, each
    /// at `http://NAME.example/`.
    fn store_with_feeds(names: &[&str]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        store
            .sync_feeds(names.iter().map(|n| (*n, format!("http://{n}.example/"))))
            .unwrap();
        (dir, store)
    }

    /// Stores a successful fetch of `items` from `feed`, with no HTTP record or channel data.
    fn fetch(store: &Store, feed: &str, items: &[Item], now: DateTime<Utc>) -> UpsertCounts {
        store
            .apply_fetch(
                feed,
                &FetchRecord::default(),
                &FeedMeta::default(),
                items,
                now,
            )
            .unwrap()
    }

    /// A report of one event (the same headline and summary whatever its key).
    fn bridge_report(key: &str, now: DateTime<Utc>) -> Item {
        news(
            key,
            "Quorvane bridge collapse injures twelve in Tesmarin",
            "The Quorvane bridge in Tesmarin collapsed on Monday, injuring twelve people.",
            now,
        )
    }

    /// The document frequencies in `story_df` (terms counted zero times left out), by term.
    fn stored_df(store: &Store) -> HashMap<i64, i64> {
        store
            .conn()
            .prepare("SELECT term, df FROM story_df WHERE df > 0")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn postings_of(store: &Store, id: i64) -> Vec<(i64, i64)> {
        let conn = store.conn();
        let mut stmt = conn
            .prepare("SELECT term, day FROM story_terms WHERE item_id = ?1 ORDER BY term")
            .unwrap();
        stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// A word far above the lookup cutoff gets no more postings (nothing looks it up), while
    /// rare words still find the same story from another feed.
    #[test]
    fn common_words_get_no_postings_and_rare_ones_still_match() {
        let (_dir, store) = store_with_feeds(&["a", "b"]);
        let now = Utc::now();
        // A name per item: two letters from the index, so no two items share it.
        let name = |i: usize| {
            let l = |k: usize| char::from(b'a' + (k % 26) as u8);
            format!("Zor{}{}vik", l(i / 26), l(i))
        };
        let items: Vec<Item> = (0..150)
            .map(|i| {
                news(
                    &i.to_string(),
                    &format!("Market wrap: {} shares climb", name(i)),
                    &format!("Market traders watched {} closely.", name(i)),
                    now,
                )
            })
            .collect();
        fetch(&store, "a", &items, now);
        let id_of = |key: &str| -> i64 {
            store
                .conn()
                .query_row("SELECT id FROM items WHERE key = ?1", [key], |r| r.get(0))
                .unwrap()
        };
        // The word's feature as the profile spells it (stemmed).
        let feature = crate::story::Profile::new("en", "Market", "")
            .index_terms()
            .first()
            .map(|f| f.to_string())
            .unwrap();
        let market = crate::story::term_id("en", &feature);
        let has_market = |key: &str| {
            postings_of(&store, id_of(key))
                .iter()
                .any(|(t, _)| *t == market)
        };
        assert!(has_market("0"), "a word still rare is indexed");
        assert!(!has_market("149"), "a word in every item is not");
        assert!(postings_of(&store, id_of("149")).len() < postings_of(&store, id_of("0")).len());
        let retold = news(
            "x",
            &format!("{} shares climb after market wrap", name(149)),
            &format!("Traders watched {} closely.", name(149)),
            now,
        );
        fetch(&store, "b", std::slice::from_ref(&retold), now);
        let story_of = |key: &str| -> i64 {
            store
                .conn()
                .query_row("SELECT story FROM items WHERE key = ?1", [key], |r| {
                    r.get(0)
                })
                .unwrap()
        };
        assert_eq!(story_of("x"), story_of("149"));
        assert_ne!(story_of("x"), story_of("148"));
    }

    /// Every member of a story carries the story's categories, in its row and in
    /// `item_categories`, after each report joins, whether the vote changed them or not.
    #[test]
    fn story_members_carry_the_story_categories_after_each_join() {
        let (_dir, store) = store_with_feeds(&["a", "b", "c", "d"]);
        let now = Utc::now();
        let report = |key: &str, cats: &[&str]| Item {
            categories: cats.iter().map(|c| c.to_string()).collect(),
            ..bridge_report(key, now)
        };
        let check = |expected: &[&str]| {
            let conn = store.conn();
            let rows: Vec<(i64, String, i64)> = conn
                .prepare("SELECT id, categories, story FROM items ORDER BY id")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let json = serde_json::to_string(expected).unwrap();
            for (id, cats, story) in &rows {
                assert_eq!(*story, rows[0].2, "one story");
                assert_eq!(cats, &json, "item {id}'s row");
                let linked: Vec<String> = conn
                    .prepare(
                        "SELECT category FROM item_categories WHERE item_id = ?1 ORDER BY rank",
                    )
                    .unwrap()
                    .query_map([id], |r| r.get(0))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
                assert_eq!(linked, expected, "item {id}'s category rows");
            }
        };
        let join = |feed: &str, item: Item| fetch(&store, feed, &[item], now);
        join("a", report("1", &["politics"]));
        join("b", report("2", &["local"]));
        // politics 2, local 2: both, the earliest member's first.
        check(&["politics", "local"]);
        join("c", report("3", &["local", "politics"]));
        // local 4, politics 3: the vote changes the order, so every member is rewritten.
        check(&["local", "politics"]);
        join("d", report("4", &["local", "politics"]));
        // local 6, politics 4: unchanged; the members keep what they carry.
        check(&["local", "politics"]);
    }

    /// A kept profile is never used for an item whose text changed, even when another
    /// process (here a second `Store` on the same file, with its own memo) changed it:
    /// afterwards a report of the old headline no longer joins the item, and one of the new
    /// headline does.
    #[test]
    fn an_item_updated_by_another_process_is_matched_by_its_new_text() {
        let (dir, daemon) = store_with_feeds(&["a", "b", "c"]);
        let cli = Store::open(&dir.path().join("t.db")).unwrap();
        let now = Utc::now();
        let vote = |key: &str| {
            news(
                key,
                "Dalvesh council approves Orlimar harbour budget",
                "The Dalvesh council approved the Orlimar harbour budget after a long debate.",
                now,
            )
        };
        let story_of = |key: &str| -> (i64, i64) {
            daemon
                .conn()
                .query_row("SELECT id, story FROM items WHERE key = ?1", [key], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .unwrap()
        };
        // The daemon keeps item 1's profile; the other process replaces its text.
        fetch(&daemon, "a", &[bridge_report("1", now)], now);
        fetch(&cli, "a", &[vote("1")], now);
        fetch(&daemon, "b", &[bridge_report("2", now)], now);
        let (one, story_one) = story_of("1");
        assert_eq!(story_one, one, "item 1 is its own story");
        let (two, story_two) = story_of("2");
        assert_eq!(story_two, two, "the old headline no longer finds item 1");
        fetch(&daemon, "c", &[vote("3")], now);
        assert_eq!(story_of("3").1, story_one, "the new headline does");
    }

    /// Postings have no foreign key (migration 4): an update removes its old words by key,
    /// retention removes old days, and the cached document frequencies stay equal to
    /// `story_df`.
    #[test]
    fn postings_and_document_frequencies_follow_updates_and_retention() {
        let (_dir, store) = store_with_feeds(&["a", "b"]);
        let now = Utc::now();
        let first = news(
            "1",
            "Floods hit Quang Tri province",
            "Rivers rose overnight in Quang Tri.",
            now,
        );
        fetch(&store, "a", std::slice::from_ref(&first), now);
        let id: i64 = store
            .conn()
            .query_row("SELECT id FROM items WHERE key = '1'", [], |r| r.get(0))
            .unwrap();
        let before = postings_of(&store, id);
        assert!(!before.is_empty());

        // The headline changes: the item's postings are those of its new text only, and
        // there are as many as a fresh store would write for it.
        let later = now + chrono::Duration::days(1);
        let changed = news(
            "1",
            "Typhoon Kajiki nears Ha Tinh coast",
            "Evacuations began in Ha Tinh.",
            later,
        );
        fetch(&store, "a", std::slice::from_ref(&changed), later);
        let after = postings_of(&store, id);
        let fresh_dir = tempfile::tempdir().unwrap();
        let fresh = Store::open(&fresh_dir.path().join("t.db")).unwrap();
        fresh
            .sync_feeds([("a", "http://a.example/".to_string())])
            .unwrap();
        fetch(&fresh, "a", std::slice::from_ref(&changed), later);
        assert_eq!(after, postings_of(&fresh, 1));
        assert!(after.iter().all(|p| !before.contains(p)));

        // Document frequencies: the cache the writer keeps between polls equals the table
        // (another feed's poll reads it), and both equal a fresh store's.
        let other = news(
            "9",
            "Typhoon Kajiki nears Ha Tinh",
            "Ha Tinh evacuates the coast.",
            later,
        );
        fetch(&store, "b", std::slice::from_ref(&other), later);
        let table = stored_df(&store);
        let cached = store.story_df.lock().unwrap();
        assert!(cached.data_version.is_some());
        for (term, df) in &cached.df {
            assert_eq!(
                table.get(term).copied().unwrap_or(0),
                *df as i64,
                "term {term}"
            );
        }
        drop(cached);
        let stories: i64 = store
            .conn()
            .query_row("SELECT COUNT(DISTINCT story) FROM items", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stories, 1, "the two typhoon items are one story");

        // Retention: postings of days past the retention period go with their items.
        let much_later = later + chrono::Duration::days(40);
        assert_eq!(store.prune(30, 0, 100, much_later).unwrap(), 2);
        let left: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM story_terms", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0);
    }

    /// The WAL is copied into the database file by the checkpoint thread, not by the commit
    /// of the poll that crosses a threshold (the writer's own is far above this test's
    /// writes).
    #[test]
    fn the_checkpoint_thread_copies_the_wal_into_the_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let store = Store::open(&path).unwrap();
        store
            .sync_feeds([("a", "http://a.example/".to_string())])
            .unwrap();
        let now = Utc::now();
        let items: Vec<Item> = (0..200)
            .map(|i| {
                let mut item = news(
                    &i.to_string(),
                    &format!("Headline number {i}"),
                    "Body.",
                    now,
                );
                item.content = Some("<p>words</p>".repeat(100));
                item
            })
            .collect();
        let size = || std::fs::metadata(&path).unwrap().len();
        let before = size();
        fetch(&store, "a", &items, now);
        let wal = std::fs::metadata(path.with_extension("db-wal"))
            .unwrap()
            .len();
        assert!(wal > 256 * 1024, "the fetch went to the WAL ({wal} B)");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while size() < before + 256 * 1024 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert!(
            size() >= before + 256 * 1024,
            "database file {} B after the checkpoints (was {before} B)",
            size()
        );
    }

    /// Another process writing the same database makes the writer drop its cached document
    /// frequencies (`PRAGMA data_version`): the cache still equals `story_df` afterwards.
    #[test]
    fn the_df_cache_is_dropped_when_another_process_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let feeds = || {
            [
                ("a", "http://a.example/".to_string()),
                ("b", "http://b.example/".to_string()),
            ]
        };
        let ours = Store::open(&path).unwrap();
        ours.sync_feeds(feeds()).unwrap();
        let theirs = Store::open(&path).unwrap();
        let now = Utc::now();
        let meta = FeedMeta::default();
        let record = FetchRecord::default();
        let item = |key: &str| {
            news(
                key,
                "Typhoon Kajiki nears Ha Tinh",
                "Ha Tinh evacuates.",
                now,
            )
        };
        ours.apply_fetch("a", &record, &meta, &[item("1")], now)
            .unwrap();
        theirs
            .apply_fetch("b", &record, &meta, &[item("2"), item("3")], now)
            .unwrap();
        ours.apply_fetch("a", &record, &meta, &[item("4")], now)
            .unwrap();
        let table = stored_df(&ours);
        let cached = ours.story_df.lock().unwrap();
        assert!(!cached.df.is_empty());
        for (term, df) in &cached.df {
            assert_eq!(
                table.get(term).copied().unwrap_or(0),
                *df as i64,
                "term {term}"
            );
        }
    }
}
