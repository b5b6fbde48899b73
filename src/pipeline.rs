//! One poll of one feed, end to end: fetch → normalize → classify → store. Also a whole pass
//! over many feeds with bounded concurrency. Failures are recorded on the feed, never raised:
//! one broken source must not stop the others.

use std::sync::Arc;

use chrono::Utc;
use futures_util::StreamExt;
use futures_util::stream;

use crate::classify::Classifier;
use crate::config::{Config, FeedConfig};
use crate::fetch::{Conditional, Fetched, Fetcher};
use crate::model::{FetchOutcome, UpsertCounts};
use crate::normalize::normalize;
use crate::store::{FetchRecord, Store, StoreError};

/// Everything a poll needs, shared by all feeds.
#[derive(Clone)]
pub struct Ingest {
    pub store: Store,
    pub fetcher: Fetcher,
    pub classifier: Arc<Classifier>,
}

impl Ingest {
    pub fn new(config: &Config, store: Store) -> Result<Ingest, crate::fetch::FetchError> {
        Ok(Ingest {
            store,
            fetcher: Fetcher::new(&config.poll)?,
            classifier: Arc::new(Classifier::new(config)),
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
    pub elapsed_ms: u128,
    /// Body bytes received (0 for a 304 or a failed fetch).
    pub bytes: u64,
}

impl FeedReport {
    /// One line for `bantin poll`.
    pub fn summary(&self) -> String {
        match (&self.outcome, &self.error) {
            (FetchOutcome::Error, Some((class, msg))) => {
                format!("{}: error [{class}] {msg}", self.feed)
            }
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

/// Polls one feed once and records the outcome in the store.
pub async fn poll_feed(ingest: &Ingest, feed: &FeedConfig) -> Result<FeedReport, PipelineError> {
    let started = std::time::Instant::now();
    let report = |outcome, counts, error| FeedReport {
        feed: feed.name.clone(),
        outcome,
        counts,
        error,
        elapsed_ms: started.elapsed().as_millis(),
        bytes: 0,
    };
    let store = ingest.store.clone();
    let name = feed.name.clone();
    let status = tokio::task::spawn_blocking(move || store.feed_status(&name)).await??;
    let cond = Conditional {
        etag: status.as_ref().and_then(|s| s.etag.clone()),
        last_modified: status.as_ref().and_then(|s| s.last_modified.clone()),
    };
    let previous_hash = status.and_then(|s| s.body_hash);

    let fetched = ingest.fetcher.fetch(&feed.source, &cond).await;
    let store = ingest.store.clone();
    let name = feed.name.clone();
    let doc = match fetched {
        Err(e) => {
            let (class, msg, status) = (
                e.class().to_string(),
                e.to_string(),
                e.status().map(|s| s.to_string()),
            );
            let (c, m) = (class.clone(), msg.clone());
            tokio::task::spawn_blocking(move || {
                store.record_error(&name, &c, &m, status.as_deref(), Utc::now())
            })
            .await??;
            return Ok(report(
                FetchOutcome::Error,
                UpsertCounts::default(),
                Some((class, msg)),
            ));
        }
        Ok(Fetched::NotModified) => {
            tokio::task::spawn_blocking(move || {
                store.record_not_modified(&name, "304", Utc::now())
            })
            .await??;
            return Ok(report(
                FetchOutcome::NotModified,
                UpsertCounts::default(),
                None,
            ));
        }
        Ok(Fetched::Document(doc)) => doc,
    };

    let bytes = doc.bytes.len() as u64;
    let body_hash = blake3::hash(&doc.bytes).to_hex()[..32].to_string();
    if previous_hash.as_deref() == Some(body_hash.as_str()) {
        // Same bytes as last time: nothing to parse, nothing to write.
        let status = doc.status.clone();
        tokio::task::spawn_blocking(move || store.record_not_modified(&name, &status, Utc::now()))
            .await??;
        return Ok(FeedReport {
            bytes,
            ..report(FetchOutcome::NotModified, UpsertCounts::default(), None)
        });
    }

    let classifier = ingest.classifier.clone();
    let feed_cfg = feed.clone();
    let record = FetchRecord {
        etag: doc.etag.clone(),
        last_modified: doc.last_modified.clone(),
        body_hash: Some(body_hash),
        status: doc.status.clone(),
    };
    let result = tokio::task::spawn_blocking(move || {
        let parsed = normalize(&doc.bytes, doc.content_type.as_deref(), &doc.final_url);
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
                let counts =
                    store.apply_fetch(&name, &record, &parsed.meta, &parsed.items, Utc::now())?;
                Ok(Ok(counts))
            }
        }
    })
    .await??;
    let report = match result {
        Ok(counts) => report(FetchOutcome::Ok, counts, None),
        Err((class, msg)) => report(
            FetchOutcome::Error,
            UpsertCounts::default(),
            Some((class, msg)),
        ),
    };
    Ok(FeedReport { bytes, ..report })
}

/// Polls `feeds` with at most `concurrency` fetches at once, yielding each report as its
/// poll completes.
pub fn poll_stream<'a>(
    ingest: &'a Ingest,
    feeds: &'a [FeedConfig],
    concurrency: usize,
) -> impl futures_util::Stream<Item = Result<FeedReport, PipelineError>> + 'a {
    stream::iter(feeds)
        .map(move |f| poll_feed(ingest, f))
        .buffer_unordered(concurrency.max(1))
}

/// Polls `feeds` with at most `concurrency` fetches at once; reports in completion order.
pub async fn poll_many(
    ingest: &Ingest,
    feeds: &[FeedConfig],
    concurrency: usize,
) -> Result<Vec<FeedReport>, PipelineError> {
    let results: Vec<Result<FeedReport, PipelineError>> =
        poll_stream(ingest, feeds, concurrency).collect().await;
    results.into_iter().collect()
}
