//! Wiring for `bantin run`: opens the store, runs the scheduler (which polls due feeds through
//! `pipeline`), re-renders outputs when a poll changed something, prunes old items, reloads
//! the config on request, talks to systemd (notify, watchdog), and serves HTTP until the
//! shutdown future resolves. Holds no business rules of its own.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use crate::config::{Config, FeedConfig};
use crate::metrics::{Health, Metrics};
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
/// How often retention runs.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// The scheduler wakes at least this often; the watchdog expects a beat within twice that.
const SCHEDULER_TICK: Duration = Duration::from_secs(30);

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
    let store = tokio::task::spawn_blocking(move || Store::open(&path)).await??;
    sync_feeds(&store, config).await?;
    Ok(store)
}

async fn sync_feeds(store: &Store, config: &Config) -> Result<(), DaemonError> {
    let feeds: Vec<(String, String)> = config
        .feeds
        .iter()
        .map(|f| (f.name.clone(), f.source.to_string()))
        .collect();
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        store.sync_feeds(feeds.iter().map(|(n, u)| (n.as_str(), u.clone())))
    })
    .await??;
    Ok(())
}

/// Tells systemd about a state change; a no-op when not started by systemd.
fn notify(states: &[sd_notify::NotifyState]) {
    if std::env::var_os("NOTIFY_SOCKET").is_some()
        && let Err(e) = sd_notify::notify(states)
    {
        tracing::warn!("sd_notify failed: {e}");
    }
}

/// Runs the daemon on `listener` until `shutdown` resolves. Config reloads are not possible.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), DaemonError> {
    let (_never, reload) = mpsc::channel(1);
    run_with_reload(config, listener, shutdown, reload).await
}

/// Runs the daemon; each message on `reload` re-reads the config file and applies it live.
pub async fn run_with_reload(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
    mut reload: mpsc::Receiver<()>,
) -> Result<(), DaemonError> {
    let store = open_store(&config).await?;
    let metrics = Arc::new(Metrics::default());
    let health = Arc::new(Health::default());
    let cache = Arc::new(RenderCache::default());
    {
        let (cache, store, config) = (cache.clone(), store.clone(), config.clone());
        tokio::task::spawn_blocking(move || cache.refresh(&store, &config)).await??;
    }
    let source_path = config.source_path.clone();
    let (config_tx, config_rx) = watch::channel(Arc::new(config));
    let changed = Arc::new(Notify::new());
    let (stop_tx, stop_rx) = watch::channel(false);

    let mut tasks = JoinSet::new();
    tasks.spawn(scheduler(
        config_rx.clone(),
        store.clone(),
        metrics.clone(),
        health.clone(),
        changed.clone(),
        stop_rx.clone(),
    ));
    let (hubs_tx, hubs_rx) = watch::channel(config_rx.borrow().publish.hubs.clone());
    let (published_tx, published_rx) = mpsc::unbounded_channel();
    tasks.spawn(crate::websub::run(hubs_rx, published_rx, stop_rx.clone()));
    tasks.spawn(renderer(
        config_rx.clone(),
        store.clone(),
        cache.clone(),
        metrics.clone(),
        changed,
        published_tx,
        hubs_tx,
        stop_rx.clone(),
    ));
    tasks.spawn(retention(config_rx.clone(), store.clone(), stop_rx.clone()));
    if let Some(period) = sd_notify::watchdog_enabled() {
        tasks.spawn(watchdog(
            period,
            store.clone(),
            health.clone(),
            stop_rx.clone(),
        ));
    }
    {
        let (store, metrics, mut stop) = (store.clone(), metrics.clone(), stop_rx.clone());
        tasks.spawn(async move {
            loop {
                tokio::select! {
                    msg = reload.recv() => match msg {
                        Some(()) => apply_reload(&source_path, &config_tx, &store, &metrics).await,
                        None => return,
                    },
                    _ = stop.changed() => return,
                }
            }
        });
    }

    let app = server::router(AppState {
        cache,
        config: config_rx.clone(),
        metrics,
        health,
        store,
    });
    tracing::info!(
        listen = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(),
        feeds = config_rx.borrow().feeds.len(),
        "serving"
    );
    notify(&[sd_notify::NotifyState::Ready]);
    let header_timeout = config_rx.borrow().server.header_timeout;
    server::serve(listener, app, header_timeout, shutdown).await;

    tracing::info!("shutting down");
    notify(&[sd_notify::NotifyState::Stopping]);
    let _ = stop_tx.send(true);
    while tasks.join_next().await.is_some() {}
    tracing::info!("stopped");
    Ok(())
}

/// Re-reads the config file. A valid file replaces the running config (feeds, outputs,
/// rules); an invalid one is logged with the same `PATH:LINE:COL` lines as `check` and the
/// old config keeps running.
async fn apply_reload(
    path: &std::path::Path,
    config_tx: &watch::Sender<Arc<Config>>,
    store: &Store,
    metrics: &Metrics,
) {
    notify(&[
        sd_notify::NotifyState::Reloading,
        sd_notify::NotifyState::monotonic_usec_now()
            .unwrap_or(sd_notify::NotifyState::Status("reloading")),
    ]);
    let p = path.to_path_buf();
    let loaded = tokio::task::spawn_blocking(move || Config::load(&p)).await;
    match loaded {
        Ok(Ok(new)) => {
            let old = config_tx.borrow().clone();
            if new.storage.path != old.storage.path || new.server.listen != old.server.listen {
                tracing::warn!(
                    "[storage] path and [server] listen changes take effect after a restart"
                );
            }
            let old_names: HashSet<&str> = old.feeds.iter().map(|f| f.name.as_str()).collect();
            let new_names: HashSet<&str> = new.feeds.iter().map(|f| f.name.as_str()).collect();
            let added = new_names.difference(&old_names).count();
            let removed = old_names.difference(&new_names).count();
            if let Err(e) = sync_feeds(store, &new).await {
                tracing::error!(
                    "reload: cannot record feeds in the store, keeping the old config: {e}"
                );
                metrics.reload(false);
            } else {
                tracing::info!(
                    feeds = new.feeds.len(),
                    added,
                    removed,
                    outputs = new.outputs.len(),
                    "configuration reloaded"
                );
                let _ = config_tx.send(Arc::new(new));
                metrics.reload(true);
            }
        }
        Ok(Err(e)) => {
            for line in e.to_string().lines() {
                tracing::error!("reload rejected: {line}");
            }
            tracing::error!("the previous configuration keeps running");
            metrics.reload(false);
        }
        Err(e) => tracing::error!("reload failed: {e}"),
    }
    notify(&[sd_notify::NotifyState::Ready]);
}

/// Re-renders outputs after polls changed something or the config changed, debounced, and
/// hands the URLs of outputs that changed to the WebSub publisher.
#[allow(clippy::too_many_arguments)]
async fn renderer(
    mut config: watch::Receiver<Arc<Config>>,
    store: Store,
    cache: Arc<RenderCache>,
    metrics: Arc<Metrics>,
    changed: Arc<Notify>,
    published: mpsc::UnboundedSender<Vec<String>>,
    hubs: watch::Sender<Vec<url::Url>>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = changed.notified() => {}
            r = config.changed() => if r.is_err() { return },
            _ = stop.changed() => return,
        }
        tokio::time::sleep(RENDER_DEBOUNCE).await;
        let current = config.borrow_and_update().clone();
        let _ = hubs.send(current.publish.hubs.clone());
        let (cache, store) = (cache.clone(), store.clone());
        let started = Instant::now();
        match tokio::task::spawn_blocking(move || cache.refresh(&store, &current)).await {
            Ok(Ok(urls)) => {
                if !urls.is_empty() {
                    let _ = published.send(urls);
                }
                metrics.render(started.elapsed());
                tracing::debug!(
                    ms = started.elapsed().as_millis() as u64,
                    "outputs rendered"
                );
            }
            Ok(Err(e)) => tracing::error!("rendering outputs failed: {e}"),
            Err(e) => tracing::error!("render task failed: {e}"),
        }
    }
}

/// Prunes old items on a schedule (see `Store::prune`).
async fn retention(
    config: watch::Receiver<Arc<Config>>,
    store: Store,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(PRUNE_EVERY) => {}
            _ = stop.changed() => return,
        }
        let storage = config.borrow().storage.clone();
        if storage.retain_days == 0 {
            continue;
        }
        let store = store.clone();
        let result = tokio::task::spawn_blocking(move || {
            store.prune(storage.retain_days, storage.keep_per_feed, 500, Utc::now())
        })
        .await;
        match result {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(deleted = n, "pruned old items"),
            Ok(Err(e)) => tracing::error!("pruning failed: {e}"),
            Err(e) => tracing::error!("pruning task failed: {e}"),
        }
    }
}

/// Pings the systemd watchdog while the store answers and the scheduler is alive; a wedged
/// daemon stops pinging and systemd restarts it.
async fn watchdog(
    period: Duration,
    store: Store,
    health: Arc<Health>,
    mut stop: watch::Receiver<bool>,
) {
    let every = period / 2;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        let s = store.clone();
        let store_ok = tokio::time::timeout(every, tokio::task::spawn_blocking(move || s.ping()))
            .await
            .is_ok_and(|r| r.is_ok_and(|r| r.is_ok()));
        let scheduler_ok = health.scheduler_alive(SCHEDULER_TICK * 3);
        if store_ok && scheduler_ok {
            notify(&[sd_notify::NotifyState::Watchdog]);
        } else {
            tracing::error!(
                store_ok,
                scheduler_ok,
                "unhealthy: not pinging the watchdog"
            );
        }
    }
}

fn enabled_feeds(config: &Config) -> HashMap<String, FeedConfig> {
    config
        .feeds
        .iter()
        .filter(|f| f.enabled)
        .map(|f| (f.name.clone(), f.clone()))
        .collect()
}

/// Polls each enabled feed when it is due, with at most `[poll] concurrency` at once, and
/// follows config reloads (new feeds start, removed ones stop, changed ones are rescheduled).
async fn scheduler(
    mut config_rx: watch::Receiver<Arc<Config>>,
    store: Store,
    metrics: Arc<Metrics>,
    health: Arc<Health>,
    changed: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    let mut config = config_rx.borrow_and_update().clone();
    let mut ingest = match Ingest::new(&config, store.clone()) {
        Ok(i) => i,
        Err(e) => {
            tracing::error!("cannot start polling: {e}");
            return;
        }
    };
    let mut feeds = enabled_feeds(&config);
    let mut due: HashMap<String, DateTime<Utc>> = HashMap::new();
    for (name, feed) in &feeds {
        due.insert(name.clone(), initial_due(&store, &config, feed).await);
    }
    let mut not_yet_polled: HashSet<String> = feeds.keys().cloned().collect();
    if not_yet_polled.is_empty() {
        health.set_first_pass_done();
    }
    let mut last_bytes: HashMap<String, u64> = HashMap::new();

    // Requests are limited inside the fetcher (globally and per host); this bounds the polls
    // under way, most of which wait for a polite slot.
    let mut slots = Arc::new(Semaphore::new(config.poll.concurrency.saturating_mul(8)));
    let mut inflight: JoinSet<(String, Result<FeedReport, PipelineError>)> = JoinSet::new();
    let mut running: HashSet<String> = HashSet::new();
    loop {
        health.beat();
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
            .unwrap_or(SCHEDULER_TICK)
            .min(SCHEDULER_TICK);
        tokio::select! {
            _ = tokio::time::sleep(next_wake) => {}
            Some(joined) = inflight.join_next(), if !inflight.is_empty() => {
                let Ok((name, result)) = joined else { continue };
                running.remove(&name);
                if not_yet_polled.remove(&name) && not_yet_polled.is_empty() {
                    health.set_first_pass_done();
                }
                // A feed removed by a reload while it was being polled is forgotten.
                let Some(feed) = feeds.get(&name) else { continue };
                let (when, did_change) = after_poll(&config, &store, &metrics, &mut last_bytes, feed, result).await;
                due.insert(name, when);
                if did_change {
                    changed.notify_one();
                }
            }
            r = config_rx.changed() => {
                if r.is_err() { continue; }
                let new = config_rx.borrow_and_update().clone();
                match Ingest::new(&new, store.clone()) {
                    Ok(i) => ingest = i,
                    Err(e) => tracing::error!("reload: keeping the previous HTTP client: {e}"),
                }
                if new.poll.concurrency != config.poll.concurrency {
                    slots = Arc::new(Semaphore::new(new.poll.concurrency.saturating_mul(8)));
                }
                let new_feeds = enabled_feeds(&new);
                due.retain(|name, _| new_feeds.contains_key(name));
                for (name, feed) in &new_feeds {
                    let old = feeds.get(name);
                    let source_changed = old.is_none_or(|o| o.source != feed.source);
                    let cadence_changed = old.is_some_and(|o| {
                        format!("{:?}", o.cadence_or(config.poll.interval)) != format!("{:?}", feed.cadence_or(new.poll.interval))
                    });
                    if source_changed {
                        due.insert(name.clone(), schedule::first_due(name, &feed.cadence_or(new.poll.interval), new_feeds.len(), Utc::now()));
                    } else if cadence_changed {
                        due.insert(name.clone(), schedule::next_due(name, &feed.cadence_or(new.poll.interval), Utc::now()));
                    }
                }
                feeds = new_feeds;
                config = new;
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

/// When a feed is first due after start: a due time kept from the last run is honoured; a
/// missed one is spread out again.
async fn initial_due(store: &Store, config: &Config, feed: &FeedConfig) -> DateTime<Utc> {
    let now = Utc::now();
    let s = store.clone();
    let name = feed.name.clone();
    let stored = tokio::task::spawn_blocking(move || s.feed_status(&name))
        .await
        .ok()
        .and_then(Result::ok)
        .flatten()
        .and_then(|s| s.next_due);
    stored.filter(|d| *d > now).unwrap_or_else(|| {
        schedule::first_due(
            &feed.name,
            &feed.cadence_or(config.poll.interval),
            config.feeds.len(),
            now,
        )
    })
}

fn host_of(feed: &FeedConfig) -> String {
    match &feed.source {
        crate::config::FeedSource::Http(u) => u.host_str().unwrap_or("").to_string(),
        crate::config::FeedSource::File(_) => "file".to_string(),
    }
}

/// Most items looked at to estimate a feed's publishing rate.
const ADAPTIVE_SAMPLE: usize = 2100;
/// A gone feed is looked at again this often, to notice `bantin feeds enable`.
const GONE_RECHECK: chrono::Duration = chrono::Duration::minutes(10);

/// Logs the outcome (one line per poll), records metrics, and decides and records when
/// `feed` is due next. Returns that time and whether outputs may have changed.
async fn after_poll(
    config: &Config,
    store: &Store,
    metrics: &Metrics,
    last_bytes: &mut HashMap<String, u64>,
    feed: &FeedConfig,
    result: Result<FeedReport, PipelineError>,
) -> (DateTime<Utc>, bool) {
    let now = Utc::now();
    let cadence = feed.cadence_or(config.poll.interval);
    let host = host_of(feed);
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
    .unwrap_or((None, Vec::new()));
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
        Ok(report) => {
            let elapsed = Duration::from_millis(report.elapsed_ms as u64);
            let counts = (
                report.counts.new,
                report.counts.updated,
                report.counts.unchanged,
            );
            let ms = report.elapsed_ms as u64;
            match report.outcome {
                FetchOutcome::Ok => {
                    tracing::info!(feed = %feed.name, url = %feed.source, status = "ok",
                        new = report.counts.new, updated = report.counts.updated,
                        unchanged = report.counts.unchanged, bytes = report.bytes, ms, "poll");
                    last_bytes.insert(feed.name.clone(), report.bytes);
                    metrics.poll(&host, "ok", None, elapsed, report.bytes, 0, counts, false);
                }
                FetchOutcome::NotModified => {
                    tracing::info!(feed = %feed.name, url = %feed.source, status = "not-modified", ms, "poll");
                    let saved = if report.bytes == 0 {
                        last_bytes.get(&feed.name).copied().unwrap_or(0)
                    } else {
                        0
                    };
                    metrics.poll(
                        &host,
                        "not-modified",
                        None,
                        elapsed,
                        report.bytes,
                        saved,
                        counts,
                        false,
                    );
                }
                FetchOutcome::Deferred => {
                    tracing::info!(feed = %feed.name, url = %feed.source, status = "deferred",
                        until = ?report.until, "poll deferred: the host asked to wait (Retry-After)");
                    metrics.poll(&host, "deferred", None, elapsed, 0, 0, counts, true);
                }
                FetchOutcome::Gone | FetchOutcome::Error => {
                    let (class, msg) = report
                        .error
                        .clone()
                        .unwrap_or_else(|| ("status".into(), "gone".into()));
                    if report.outcome == FetchOutcome::Gone && report.error.is_some() {
                        tracing::warn!(feed = %feed.name, url = %feed.source, class = %class, ms,
                            "feed is gone (410): polling stops until `bantin feeds enable`");
                    } else if report.error.is_some() {
                        tracing::warn!(feed = %feed.name, url = %feed.source, class = %class, ms, "poll failed: {msg}");
                    }
                    if report.error.is_some() {
                        let outcome = if report.outcome == FetchOutcome::Gone {
                            "gone"
                        } else {
                            "error"
                        };
                        metrics.poll(
                            &host,
                            outcome,
                            Some(&class),
                            elapsed,
                            report.bytes,
                            0,
                            counts,
                            true,
                        );
                    }
                }
            }
            match report.outcome {
                FetchOutcome::Ok | FetchOutcome::NotModified => (
                    schedule::next_due_with(&feed.name, &cadence, &signals, now),
                    report.counts.changed(),
                ),
                FetchOutcome::Deferred => {
                    // Right after the pause, spread out so a host's feeds do not all return at once.
                    let until = report.until.unwrap_or(now).max(now);
                    (
                        schedule::first_due(&feed.name, &cadence, config.feeds.len(), until),
                        false,
                    )
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
            }
        }
        Err(e) => {
            tracing::error!(feed = %feed.name, "poll failed inside bantin: {e}");
            metrics.poll(
                &host,
                "error",
                Some("internal"),
                Duration::ZERO,
                0,
                0,
                (0, 0, 0),
                true,
            );
            (schedule::retry_due(&feed.name, &cadence, 1, now), false)
        }
    };
    let store = store.clone();
    let name = feed.name.clone();
    let _ = tokio::task::spawn_blocking(move || store.set_next_due(&name, when)).await;
    (when, did_change)
}
