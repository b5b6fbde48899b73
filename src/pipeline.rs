//! One poll of one feed, end to end: fetch → normalize → classify → store. Also a whole pass
//! over many feeds with bounded concurrency. Failures are recorded on the feed, never raised:
//! one broken source must not stop the others.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use futures_util::stream;

use crate::classify::Classifier;
use url::Url;

use crate::config::{Config, FeedConfig, FeedSource};
use crate::fetch::{Conditional, FetchError, Fetched, Fetcher};
use crate::model::{FeedStatus, FetchOutcome, UpsertCounts};
use crate::normalize::{KnownEntries, normalize_with};
use crate::store::{FetchRecord, Store, StoreError};

/// Normalizing, classifying and storing a document is CPU-bound: at most one per core (and
/// one more, to cover a thread waiting for the store's lock) runs at once. Without a bound,
/// every poll whose body had arrived got its own blocking thread: at 1,000 feeds up to 64
/// documents were parsed at once on 2 cores, each holding its body, text and parse tree.
static CPU_SLOTS: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()) + 1)
});

/// Everything a poll needs, shared by all feeds.
#[derive(Clone)]
pub struct Ingest {
    pub store: Store,
    pub fetcher: Fetcher,
    pub classifier: Arc<Classifier>,
    /// `classifier.fingerprint()`, computed once.
    rules: Arc<str>,
}

impl Ingest {
    pub fn new(config: &Config, store: Store) -> Result<Ingest, crate::fetch::FetchError> {
        let classifier = Classifier::new(config);
        Ok(Ingest {
            store,
            fetcher: Fetcher::new(&config.poll)?,
            rules: classifier.fingerprint().into(),
            classifier: Arc::new(classifier),
        })
    }
}

/// What one poll of one feed did.
#[derive(Debug, Clone)]
pub struct FeedReport {
    pub feed: String,
    pub outcome: FetchOutcome,
    pub counts: UpsertCounts,
    /// (cause class, message) when the poll failed.
    pub error: Option<(String, String)>,
    /// For `Deferred`: when the pause asked for (`Retry-After`) ends.
    pub until: Option<DateTime<Utc>>,
    pub elapsed_ms: u128,
    /// Body bytes received (0 for a 304 or a failed fetch).
    pub bytes: u64,
}

impl FeedReport {
    /// One line for `bantin poll`.
    pub fn summary(&self) -> String {
        match (&self.outcome, &self.error) {
            (FetchOutcome::Gone, _) => format!(
                "{}: gone (HTTP 410); not polled until `bantin feeds enable {:?}`",
                self.feed, self.feed
            ),
            (FetchOutcome::Error, Some((class, msg))) => {
                format!("{}: error [{class}] {msg}", self.feed)
            }
            (FetchOutcome::Deferred, _) => format!(
                "{}: deferred until {} (the server asked to wait)",
                self.feed,
                self.until
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                    .unwrap_or_default()
            ),
            (FetchOutcome::NotModified, _) => format!("{}: unchanged (not modified)", self.feed),
            _ => format!(
                "{}: {} new, {} updated, {} unchanged",
                self.feed, self.counts.new, self.counts.updated, self.counts.unchanged
            ),
        }
    }
}

/// Failures of the pipeline itself (as opposed to a feed's failure, which is a report).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("worker thread failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// Runs `f` on the store from a blocking thread.
async fn on_store<T: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, PipelineError> {
    let store = store.clone();
    Ok(tokio::task::spawn_blocking(move || f(&store)).await??)
}

/// Where to fetch `feed` from: its permanent new address when it moved, else the config's.
fn effective_source(feed: &FeedConfig, status: Option<&FeedStatus>) -> FeedSource {
    match (&feed.source, status.and_then(|s| s.moved_url.as_deref())) {
        (FeedSource::Http(_), Some(moved)) => Url::parse(moved)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(FeedSource::Http)
            .unwrap_or_else(|| feed.source.clone()),
        _ => feed.source.clone(),
    }
}

/// Polls one feed once and records the outcome in the store.
pub async fn poll_feed(ingest: &Ingest, feed: &FeedConfig) -> Result<FeedReport, PipelineError> {
    let started = std::time::Instant::now();
    let report = |outcome, counts, error, until| FeedReport {
        feed: feed.name.clone(),
        outcome,
        counts,
        error,
        until,
        elapsed_ms: started.elapsed().as_millis(),
        bytes: 0,
    };
    let store = &ingest.store;
    let name = feed.name.clone();
    let status = on_store(store, move |s| s.feed_status(&name)).await?;
    let now = Utc::now();
    if status.as_ref().is_some_and(|s| s.gone_at.is_some()) {
        return Ok(report(
            FetchOutcome::Gone,
            UpsertCounts::default(),
            None,
            None,
        ));
    }
    if let Some(until) = status
        .as_ref()
        .and_then(|s| s.retry_after)
        .filter(|t| *t > now)
    {
        return Ok(report(
            FetchOutcome::Deferred,
            UpsertCounts::default(),
            None,
            Some(until),
        ));
    }
    let source = effective_source(feed, status.as_ref());
    let host = match &source {
        FeedSource::Http(u) => u.host_str().map(str::to_ascii_lowercase),
        FeedSource::File(_) => None,
    };
    if let Some(host) = host.clone() {
        // A pause asked for by the host (possibly before a restart) holds every feed on it.
        let h = host.clone();
        if let Some(until) = on_store(store, move |s| s.host_pause(&h, now)).await? {
            let wait = (until - now).to_std().unwrap_or_default();
            ingest.fetcher.hosts().block(&host, wait, until);
            return Ok(report(
                FetchOutcome::Deferred,
                UpsertCounts::default(),
                None,
                Some(until),
            ));
        }
    }
    let cond = Conditional {
        etag: status.as_ref().and_then(|s| s.etag.clone()),
        last_modified: status.as_ref().and_then(|s| s.last_modified.clone()),
    };
    let previous_hash = status.as_ref().and_then(|s| s.body_hash.clone());

    let fetched = ingest.fetcher.fetch(&source, &cond).await;
    let name = feed.name.clone();
    let (doc, moved_to, max_age) = match fetched {
        Err(FetchError::HostBlocked { until, .. }) => {
            tracing::debug!(feed = %feed.name, "deferred: host paused until {until}");
            return Ok(report(
                FetchOutcome::Deferred,
                UpsertCounts::default(),
                None,
                Some(until),
            ));
        }
        Err(e) => {
            let (class, msg, code) = (
                e.class().to_string(),
                e.to_string(),
                e.status().map(|s| s.to_string()),
            );
            let (c, m) = (class.clone(), msg.clone());
            let gone = e.status() == Some(410);
            let retry = match &e {
                FetchError::RetryAfter {
                    until, host_wide, ..
                } => Some((*until, *host_wide)),
                _ => None,
            };
            let host = host.clone();
            on_store(store, move |s| {
                s.record_error(&name, &c, &m, code.as_deref(), Utc::now())?;
                if gone {
                    s.mark_gone(&name, Utc::now())?;
                }
                if let Some((until, host_wide)) = retry {
                    s.set_retry_after(&name, until)?;
                    if let (true, Some(host)) = (host_wide, host) {
                        s.set_host_pause(&host, until)?;
                    }
                }
                Ok(())
            })
            .await?;
            if gone {
                tracing::warn!(feed = %feed.name, "feed is gone (410): polling stops until `bantin feeds enable`");
            }
            return Ok(report(
                if gone {
                    FetchOutcome::Gone
                } else {
                    FetchOutcome::Error
                },
                UpsertCounts::default(),
                Some((class, msg)),
                retry.map(|(u, _)| u),
            ));
        }
        Ok(Fetched::NotModified { moved_to, max_age }) => (None, moved_to, max_age),
        Ok(Fetched::Document(doc)) => {
            let (moved, age) = (doc.moved_to.clone(), doc.max_age);
            (Some(doc), moved, age)
        }
    };

    // Bookkeeping every answered request does: a permanent move, the caching headers.
    let moved = moved_to
        .filter(|m| !matches!(&source, FeedSource::Http(u) if u == m))
        .map(|m| m.to_string());
    if let Some(m) = &moved {
        tracing::info!(feed = %feed.name, from = %source, to = %m, "feed moved permanently; polling the new address");
    }
    let cache_secs = max_age.map(|d| d.as_secs().min(i64::MAX as u64) as i64);
    let n = name.clone();
    on_store(store, move |s| {
        if let Some(m) = moved {
            s.set_moved(&n, &m)?;
        }
        s.set_cache_secs(&n, cache_secs)
    })
    .await?;

    let Some(doc) = doc else {
        on_store(store, move |s| {
            s.record_not_modified(&name, "304", Utc::now())
        })
        .await?;
        return Ok(report(
            FetchOutcome::NotModified,
            UpsertCounts::default(),
            None,
            None,
        ));
    };

    let bytes = doc.bytes.len() as u64;
    let body_hash = blake3::hash(&doc.bytes).to_hex()[..32].to_string();
    if previous_hash.as_deref() == Some(body_hash.as_str()) {
        // Same bytes as last time: nothing to parse, nothing to write.
        let status = doc.status.clone();
        on_store(store, move |s| {
            s.record_not_modified(&name, &status, Utc::now())
        })
        .await?;
        return Ok(FeedReport {
            bytes,
            ..report(
                FetchOutcome::NotModified,
                UpsertCounts::default(),
                None,
                None,
            )
        });
    }

    let classifier = ingest.classifier.clone();
    let feed_cfg = feed.clone();
    let mut record = FetchRecord {
        etag: doc.etag.clone(),
        last_modified: doc.last_modified.clone(),
        body_hash: Some(body_hash),
        status: doc.status.clone(),
        ..FetchRecord::default()
    };
    let store2 = store.clone();
    // What classification reads besides the document: the rules, the feed's `lang` and
    // default `categories`.
    let salt = format!("{}\0{:?}\0{:?}", ingest.rules, feed.lang, feed.categories);
    let cpu = CPU_SLOTS
        .acquire()
        .await
        .expect("the semaphore is never closed");
    let result = tokio::task::spawn_blocking(move || {
        let store = store2;
        // Held while the store is written too: releasing it before the write let parsed
        // documents queue for the store (+8 MiB peak in loadgen) for no gain in time.
        let _cpu = cpu;
        let known = KnownEntries {
            salt,
            keys: store.known_entries(&name)?,
        };
        let parsed = normalize_with(
            &doc.bytes,
            doc.content_type.as_deref(),
            &doc.final_url,
            &known,
        );
        match parsed {
            Err(e) => {
                store.record_error(
                    &name,
                    e.class(),
                    &e.to_string(),
                    Some(&doc.status),
                    Utc::now(),
                )?;
                Ok::<_, StoreError>(Err((e.class().to_string(), e.to_string())))
            }
            Ok(mut parsed) => {
                for item in &mut parsed.items {
                    classifier.classify(&feed_cfg, &parsed.meta, item);
                }
                record.hints = parsed.hints;
                let mut counts =
                    store.apply_fetch(&name, &record, &parsed.meta, &parsed.items, Utc::now())?;
                counts.unchanged += parsed.unchanged;
                Ok(Ok(counts))
            }
        }
    })
    .await??;
    let report = match result {
        Ok(counts) => report(FetchOutcome::Ok, counts, None, None),
        Err((class, msg)) => report(
            FetchOutcome::Error,
            UpsertCounts::default(),
            Some((class, msg)),
            None,
        ),
    };
    Ok(FeedReport { bytes, ..report })
}

/// Polls `feeds`, yielding each report as its poll completes. The fetcher's host limiter
/// enforces `[poll] concurrency` and `per_host`; the stream only keeps enough polls started
/// that a slow host does not idle the others.
pub fn poll_stream<'a>(
    ingest: &'a Ingest,
    feeds: &'a [FeedConfig],
    concurrency: usize,
) -> impl futures_util::Stream<Item = Result<FeedReport, PipelineError>> + 'a {
    stream::iter(feeds)
        .map(move |f| {
            let (ingest, feed) = (ingest.clone(), f.clone());
            // Each poll is a task of its own, so the async parts of many polls (receiving
            // bodies, hashing) run on every worker thread instead of all inside the caller's
            // task; dropping the stream still cancels them.
            let task = AbortOnDrop(tokio::spawn(async move { poll_feed(&ingest, &feed).await }));
            async move {
                let mut task = task;
                (&mut task.0).await?
            }
        })
        .buffer_unordered(concurrency.max(1).saturating_mul(8))
}

/// A spawned task that is cancelled when its handle is dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Polls `feeds`; reports in completion order. The fetcher keeps requests within `[poll]
/// concurrency` and the per-host limits; `concurrency` here bounds the polls under way (a
/// poll waiting for a busy host holds no request slot, so this may be larger).
pub async fn poll_many(
    ingest: &Ingest,
    feeds: &[FeedConfig],
    concurrency: usize,
) -> Result<Vec<FeedReport>, PipelineError> {
    let results: Vec<Result<FeedReport, PipelineError>> =
        poll_stream(ingest, feeds, concurrency).collect().await;
    results.into_iter().collect()
}
