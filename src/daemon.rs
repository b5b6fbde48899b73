//! Wiring for `bantin run`: opens the store, runs the scheduler (which polls due feeds through
//! `pipeline`), re-renders outputs when a poll changed something, and serves HTTP until the
//! shutdown future resolves. Holds no business rules of its own.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;

use crate::config::{Config, FeedConfig};
use crate::model::FetchOutcome;
use crate::pipeline::{FeedReport, Ingest, PipelineError, poll_feed};
use crate::render::cache::RenderCache;
use crate::schedule;
use crate::server::{self, AppState};
use crate::store::{Store, StoreError};

/// In-flight polls get this long to finish after shutdown is requested; then they are
/// cancelled (each feed's writes are one transaction, so a cancelled poll writes nothing).
pub const POLL_GRACE: Duration = Duration::from_secs(10);
/// Renders wait this long after a change so that a burst of polls causes one render.
const RENDER_DEBOUNCE: Duration = Duration::from_millis(500);

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot build the HTTP client: {0}")]
    Fetch(#[from] crate::fetch::FetchError),
    #[error("worker thread failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// Opens the store and records the configured feeds in it.
pub async fn open_store(config: &Config) -> Result<Store, DaemonError> {
    let path = config.storage.path.clone();
    let feeds: Vec<(String, String)> = config
        .feeds
        .iter()
        .map(|f| (f.name.clone(), f.source.to_string()))
        .collect();
    Ok(tokio::task::spawn_blocking(move || {
        let store = Store::open(&path)?;
        store.sync_feeds(feeds.iter().map(|(n, u)| (n.as_str(), u.clone())))?;
        Ok::<_, StoreError>(store)
    })
    .await??)
}

/// Runs the daemon on `listener` until `shutdown` resolves.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), DaemonError> {
    let config = Arc::new(config);
    let store = open_store(&config).await?;
    let ingest = Ingest::new(&config, store.clone())?;
    let cache = Arc::new(RenderCache::default());
    {
        let (cache, store, config) = (cache.clone(), store.clone(), config.clone());
        tokio::task::spawn_blocking(move || cache.refresh(&store, &config)).await??;
    }
    let changed = Arc::new(Notify::new());
    let (stop_tx, stop_rx) = watch::channel(false);

    let scheduler = tokio::spawn(scheduler(
        config.clone(),
        ingest,
        changed.clone(),
        stop_rx.clone(),
    ));
    let renderer = tokio::spawn(renderer(
        config.clone(),
        store,
        cache.clone(),
        changed,
        stop_rx,
    ));

    let app = server::router(AppState {
        cache,
        max_age: config.server.cache_max_age,
    });
    tracing::info!(listen = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(),
        feeds = config.feeds.len(), "serving");
    server::serve(listener, app, shutdown).await;

    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    let _ = scheduler.await;
    let _ = renderer.await;
    Ok(())
}

/// Re-renders outputs after polls changed something, debounced.
async fn renderer(
    config: Arc<Config>,
    store: Store,
    cache: Arc<RenderCache>,
    changed: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = changed.notified() => {}
            _ = stop.changed() => return,
        }
        tokio::time::sleep(RENDER_DEBOUNCE).await;
        let (cache, store, config) = (cache.clone(), store.clone(), config.clone());
        let started = std::time::Instant::now();
        match tokio::task::spawn_blocking(move || cache.refresh(&store, &config)).await {
            Ok(Ok(())) => tracing::debug!(
                ms = started.elapsed().as_millis() as u64,
                "outputs rendered"
            ),
            Ok(Err(e)) => tracing::error!("rendering outputs failed: {e}"),
            Err(e) => tracing::error!("render task failed: {e}"),
        }
    }
}

/// Polls each enabled feed when it is due; the fetcher keeps to `[poll] concurrency`,
/// `per_host` and `host_gap`.
async fn scheduler(
    config: Arc<Config>,
    ingest: Ingest,
    changed: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    let feeds: HashMap<String, FeedConfig> = config
        .feeds
        .iter()
        .filter(|f| f.enabled)
        .map(|f| (f.name.clone(), f.clone()))
        .collect();
    let now = Utc::now();
    let mut due: HashMap<String, DateTime<Utc>> = HashMap::new();
    for (name, feed) in &feeds {
        let cadence = feed.cadence_or(config.poll.interval);
        let store = ingest.store.clone();
        let n = name.clone();
        let stored = tokio::task::spawn_blocking(move || store.feed_status(&n))
            .await
            .ok()
            .and_then(Result::ok)
            .flatten()
            .and_then(|s| s.next_due);
        // A due time kept from the last run is honoured; a missed one is spread out again.
        let when = stored
            .filter(|d| *d > now)
            .unwrap_or_else(|| schedule::first_due(name, &cadence, now));
        due.insert(name.clone(), when);
    }

    // Requests are limited inside the fetcher (globally and per host); this bounds the polls
    // under way, most of which wait for a polite slot.
    let slots = Arc::new(Semaphore::new(config.poll.concurrency.saturating_mul(8)));
    let mut inflight: JoinSet<(String, Result<FeedReport, PipelineError>)> = JoinSet::new();
    let mut running: HashSet<String> = HashSet::new();
    loop {
        let now = Utc::now();
        for (name, feed) in &feeds {
            if running.contains(name) || due.get(name).is_some_and(|d| *d > now) {
                continue;
            }
            running.insert(name.clone());
            let (ingest, feed, slots) = (ingest.clone(), feed.clone(), slots.clone());
            inflight.spawn(async move {
                let _slot = slots.acquire_owned().await;
                let result = poll_feed(&ingest, &feed).await;
                (feed.name.clone(), result)
            });
        }
        let next_wake = due
            .iter()
            .filter(|(n, _)| !running.contains(*n))
            .map(|(_, d)| *d)
            .min()
            .map(|d| (d - now).to_std().unwrap_or(Duration::ZERO))
            .unwrap_or(Duration::from_secs(60))
            .min(Duration::from_secs(60));
        tokio::select! {
            _ = tokio::time::sleep(next_wake) => {}
            Some(joined) = inflight.join_next(), if !inflight.is_empty() => {
                let Ok((name, result)) = joined else { continue };
                running.remove(&name);
                let Some(feed) = feeds.get(&name) else { continue };
                let when = after_poll(&config, &ingest.store, feed, result).await;
                if let Some((when, did_change)) = when {
                    due.insert(name, when);
                    if did_change {
                        changed.notify_one();
                    }
                }
            }
            _ = stop.changed() => break,
        }
    }
    // Let in-flight polls finish, within a bound; then cancel the rest.
    let drain = async { while inflight.join_next().await.is_some() {} };
    if tokio::time::timeout(POLL_GRACE, drain).await.is_err() {
        tracing::warn!("cancelling polls still running after {POLL_GRACE:?}");
        inflight.abort_all();
        while inflight.join_next().await.is_some() {}
    }
}

/// Most items looked at to estimate a feed's publishing rate.
const ADAPTIVE_SAMPLE: usize = 2100;
/// A gone feed is looked at again this often, to notice `bantin feeds --enable`.
const GONE_RECHECK: chrono::Duration = chrono::Duration::minutes(10);

/// Decides and records when `feed` is due next. Returns that time and whether outputs changed.
async fn after_poll(
    config: &Config,
    store: &Store,
    feed: &FeedConfig,
    result: Result<FeedReport, PipelineError>,
) -> Option<(DateTime<Utc>, bool)> {
    let now = Utc::now();
    let cadence = feed.cadence_or(config.poll.interval);
    let adaptive = config.poll.adaptive && !feed.has_own_cadence();
    let (s2, name) = (store.clone(), feed.name.clone());
    let (status, times) = tokio::task::spawn_blocking(move || {
        let status = s2.feed_status(&name).ok().flatten();
        let times = if adaptive {
            s2.recent_publish_times(&name, ADAPTIVE_SAMPLE)
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        (status, times)
    })
    .await
    .ok()?;
    let secs = |s: Option<i64>| s.map(|s| Duration::from_secs(s.max(0) as u64));
    let signals = schedule::Signals {
        adaptive: adaptive
            .then(|| schedule::adaptive_interval(&times, now))
            .flatten(),
        ttl: secs(status.as_ref().and_then(|s| s.ttl_secs)),
        cache: secs(status.as_ref().and_then(|s| s.cache_secs)),
        skip_hours: status.as_ref().map_or(0, |s| s.skip_hours as u32),
        skip_days: status.as_ref().map_or(0, |s| s.skip_days as u8),
        not_before: status
            .as_ref()
            .and_then(|s| s.retry_after)
            .filter(|t| *t > now),
    };
    let (when, did_change) = match result {
        Ok(report) => match report.outcome {
            FetchOutcome::Ok | FetchOutcome::NotModified => (
                schedule::next_due_with(&feed.name, &cadence, &signals, now),
                report.counts.changed(),
            ),
            FetchOutcome::Deferred => {
                // Right after the pause, spread over a minute so a host's feeds do not
                // all return at once.
                let until = report.until.unwrap_or(now).max(now);
                (schedule::first_due(&feed.name, &cadence, until), false)
            }
            FetchOutcome::Gone => (now + GONE_RECHECK, report.error.is_some()),
            FetchOutcome::Error => {
                let errors = status.as_ref().map_or(1, |s| s.consecutive_errors);
                // The index page shows source health, so an error is a change too.
                (
                    schedule::retry_due_with(
                        &feed.name,
                        &cadence,
                        errors.max(1) as u32,
                        &signals,
                        now,
                    ),
                    true,
                )
            }
        },
        Err(e) => {
            tracing::error!(feed = %feed.name, "poll failed inside bantin: {e}");
            (schedule::retry_due(&feed.name, &cadence, 1, now), false)
        }
    };
    let store = store.clone();
    let name = feed.name.clone();
    let _ = tokio::task::spawn_blocking(move || store.set_next_due(&name, when)).await;
    Some((when, did_change))
}
