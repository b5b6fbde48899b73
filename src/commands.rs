//! The CLI's commands as library calls: each takes the loaded config and writes its human or
//! JSON output to the given writer. `main.rs` only parses arguments and calls these.

use std::io::Write;

use anyhow::{Context as _, Result, bail};
use chrono::SecondsFormat;
use serde_json::json;

use crate::config::Config;
use crate::daemon::open_store;
use crate::pipeline::{Ingest, poll_stream};
use futures_util::StreamExt;

/// `bantin poll [--feed NAME]`: fetches every enabled feed (or one) once, prints a line each.
pub async fn poll(config: &Config, only: Option<&str>, out: &mut impl Write) -> Result<()> {
    let feeds: Vec<_> = match only {
        Some(name) => vec![config.feed(name).cloned().with_context(|| {
            format!("no feed named `{name}` in {}", config.source_path.display())
        })?],
        None => config.feeds.iter().filter(|f| f.enabled).cloned().collect(),
    };
    let store = open_store(config).await?;
    let ingest = Ingest::new(config, store)?;
    // Each line is written (and flushed) when its feed is stored: a line means committed.
    let mut reports = std::pin::pin!(poll_stream(&ingest, &feeds, config.poll.concurrency));
    let (mut count, mut new, mut updated, mut errors) = (0, 0, 0, 0);
    while let Some(r) = reports.next().await {
        let r = r?;
        writeln!(out, "{}", r.summary())?;
        out.flush()?;
        count += 1;
        new += r.counts.new;
        updated += r.counts.updated;
        errors += r.error.is_some() as usize;
    }
    writeln!(
        out,
        "polled {count} feeds: {new} new, {updated} updated, {errors} with errors"
    )?;
    Ok(())
}

/// `bantin items [--json]`: every stored item, newest first.
pub async fn items(
    config: &Config,
    as_json: bool,
    limit: Option<usize>,
    out: &mut impl Write,
) -> Result<()> {
    let store = open_store(config).await?;
    let items = tokio::task::spawn_blocking(move || store.all_items()).await??;
    for item in items.iter().take(limit.unwrap_or(usize::MAX)) {
        if as_json {
            let line = json!({
                "id": item.id,
                "link": item.link,
                "guid": item.guid,
                "title": item.title,
                "feed": item.feed,
                "lang": item.lang,
                "categories": item.categories,
                "story": item.story,
                "published": item.published.to_rfc3339_opts(SecondsFormat::Secs, true),
                "updated": item.updated.to_rfc3339_opts(SecondsFormat::Secs, true),
                "author": item.author,
                "image": item.image,
            });
            writeln!(out, "{line}")?;
        } else {
            writeln!(
                out,
                "{}  {:<3} {:<24} {}",
                item.published.format("%Y-%m-%d %H:%M"),
                item.lang.as_deref().unwrap_or("-"),
                item.feed.chars().take(24).collect::<String>(),
                item.title
            )?;
        }
    }
    Ok(())
}

/// `bantin feeds enable NAME`: polls a feed again after it was gone (410) or paused by a
/// `Retry-After`; it is due at once (a running daemon notices within minutes).
pub async fn enable_feed(config: &Config, name: &str, out: &mut impl Write) -> Result<()> {
    if config.feed(name).is_none() {
        bail!("no feed named `{name}` in {}", config.source_path.display());
    }
    let store = open_store(config).await?;
    let n = name.to_string();
    let found = tokio::task::spawn_blocking(move || store.enable_feed(&n)).await??;
    if !found {
        bail!("feed `{name}` is not in the database yet");
    }
    writeln!(out, "{name}: enabled; it will be polled again")?;
    Ok(())
}

/// `bantin feeds`: one line per configured feed with its fetch state.
pub async fn feeds(config: &Config, as_json: bool, out: &mut impl Write) -> Result<()> {
    let store = open_store(config).await?;
    let statuses = tokio::task::spawn_blocking(move || store.feed_statuses()).await??;
    let fmt_time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| "never".into())
    };
    let now = chrono::Utc::now();
    for feed in &config.feeds {
        let Some(s) = statuses.iter().find(|s| s.name == feed.name) else {
            continue;
        };
        let mut state = match (&s.error_class, &s.last_error) {
            (Some(class), Some(msg)) => format!("error [{class}] {msg}"),
            _ => s
                .last_status
                .clone()
                .unwrap_or_else(|| "not fetched".into()),
        };
        if let Some(moved) = &s.moved_url {
            state.push_str(&format!(" (moved permanently to {moved})"));
        }
        let retry_after = s.retry_after.filter(|t| *t > now);
        let next = if !feed.enabled {
            "disabled".into()
        } else if let Some(gone) = s.gone_at {
            format!(
                "gone since {} (HTTP 410): `bantin feeds enable {:?}` to poll again",
                fmt_time(Some(gone)),
                s.name
            )
        } else if let Some(t) = retry_after {
            format!("{} (server asked to wait)", fmt_time(Some(t)))
        } else {
            fmt_time(s.next_due)
        };
        if as_json {
            writeln!(
                out,
                "{}",
                json!({
                    "name": s.name, "url": s.url, "enabled": feed.enabled,
                    "last_fetch": s.last_fetch.map(|t| t.to_rfc3339()),
                    "last_status": s.last_status, "error_class": s.error_class, "last_error": s.last_error,
                    "consecutive_errors": s.consecutive_errors, "items": s.item_count,
                    "next_due": s.next_due.map(|t| t.to_rfc3339()),
                    "moved_url": s.moved_url,
                    "gone": s.gone_at.is_some(),
                    "gone_since": s.gone_at.map(|t| t.to_rfc3339()),
                    "retry_after": retry_after.map(|t| t.to_rfc3339()),
                })
            )?;
        } else {
            writeln!(
                out,
                "{}\t{}\tlast fetch: {}\t{}\titems: {}\tnext: {}",
                s.name,
                s.url,
                fmt_time(s.last_fetch),
                state,
                s.item_count,
                next
            )?;
        }
    }
    Ok(())
}

/// `bantin check`: validates the config (the loading already did) and summarizes it.
pub fn check(config: &Config, out: &mut impl Write) -> Result<()> {
    let outputs = crate::render::catalog::outputs(config);
    writeln!(
        out,
        "{}: ok — {} feeds ({} enabled), {} categories, {} languages, {} outputs",
        config.source_path.display(),
        config.feeds.len(),
        config.feeds.iter().filter(|f| f.enabled).count(),
        config.categories.len(),
        config.classify.languages.len(),
        outputs.len()
    )?;
    if config.feeds.is_empty() {
        bail!("no [[feed]] entries: nothing to poll");
    }
    Ok(())
}

/// Where `bantin run` records its process id, so `bantin reload` can find it.
pub fn pid_file(config: &Config) -> std::path::PathBuf {
    config
        .storage
        .path
        .parent()
        .map(|d| d.join("bantin.pid"))
        .unwrap_or_else(|| "bantin.pid".into())
}

/// `bantin run`: the daemon on `listener`, stopped by SIGTERM/SIGINT, reloaded by SIGHUP.
pub async fn run(config: Config, listener: tokio::net::TcpListener) -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("installing a SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing a SIGINT handler")?;
    let mut hup = signal(SignalKind::hangup()).context("installing a SIGHUP handler")?;
    let (reload_tx, reload_rx) = tokio::sync::mpsc::channel(4);
    let forward = tokio::spawn(async move {
        while hup.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading the configuration");
            if reload_tx.send(()).await.is_err() {
                break;
            }
        }
    });
    let pid_path = pid_file(&config);
    if let Some(dir) = pid_path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Err(e) = std::fs::write(&pid_path, format!("{}\n", std::process::id())) {
        tracing::warn!(
            "cannot write {}: {e} (bantin reload will not find this process)",
            pid_path.display()
        );
    }
    let shutdown = async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM"),
            _ = int.recv() => tracing::info!("SIGINT"),
        }
    };
    let result = crate::daemon::run_with_reload(config, listener, shutdown, reload_rx).await;
    forward.abort();
    let _ = std::fs::remove_file(&pid_path);
    Ok(result?)
}

/// `bantin reload`: validates the config, then asks the running daemon to re-read it
/// (SIGHUP to the process recorded in the pid file).
pub fn reload(config: &Config, out: &mut impl Write) -> Result<()> {
    let pid_path = pid_file(config);
    let pid = std::fs::read_to_string(&pid_path).with_context(|| {
        format!(
            "no running daemon found ({} is missing)",
            pid_path.display()
        )
    })?;
    let pid: u32 = pid
        .trim()
        .parse()
        .with_context(|| format!("{} holds no process id", pid_path.display()))?;
    let status = std::process::Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .context("running kill")?;
    if !status.success() {
        bail!("could not signal process {pid} (is the daemon still running?)");
    }
    writeln!(
        out,
        "{}: valid; asked bantin (pid {pid}) to reload it",
        config.source_path.display()
    )?;
    Ok(())
}

/// `bantin backup PATH`: a consistent copy of the database, safe while the daemon runs.
pub async fn backup(config: &Config, dest: &std::path::Path, out: &mut impl Write) -> Result<()> {
    if dest.exists() {
        bail!("{} exists; choose a new file", dest.display());
    }
    let store = open_store(config).await?;
    let d = dest.to_path_buf();
    tokio::task::spawn_blocking(move || store.backup(&d)).await??;
    let size = std::fs::metadata(dest).map(|m| m.len()).unwrap_or(0);
    writeln!(
        out,
        "backed up {} to {} ({size} bytes)",
        config.storage.path.display(),
        dest.display()
    )?;
    Ok(())
}

/// `bantin feeds enable|disable NAME`: edits `enabled` in feeds.toml, keeping its layout.
pub async fn set_enabled(
    config: &Config,
    name: &str,
    enabled: bool,
    out: &mut impl Write,
) -> Result<()> {
    crate::admin::set_enabled(&config.source_path, name, enabled)?;
    if enabled {
        // Also lift what the poller decided on its own: a 410 Gone mark, a Retry-After pause.
        enable_feed(config, name, &mut std::io::sink()).await.ok();
    }
    writeln!(
        out,
        "{} `{name}` in {}; apply it with `bantin reload` (or systemctl reload bantin)",
        if enabled { "enabled" } else { "disabled" },
        config.source_path.display()
    )?;
    Ok(())
}

/// `bantin import-opml FILE`: adds the OPML file's sources to feeds.toml.
pub fn import_opml(config: &Config, file: &std::path::Path, out: &mut impl Write) -> Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let added = crate::admin::import_opml(&config.source_path, &text)?;
    for name in &added {
        writeln!(out, "added {name}")?;
    }
    writeln!(
        out,
        "{} feeds added to {}",
        added.len(),
        config.source_path.display()
    )?;
    Ok(())
}

/// `bantin export-opml`: the configured sources as OPML 2.0.
pub fn export_opml(config: &Config, out: &mut impl Write) -> Result<()> {
    out.write_all(crate::admin::export_opml(config).as_bytes())?;
    Ok(())
}

/// `bantin stats`: what the store holds.
pub async fn stats(config: &Config, out: &mut impl Write) -> Result<()> {
    let store = open_store(config).await?;
    let (items, stories, feeds, size, by_lang) = tokio::task::spawn_blocking(move || {
        let items = store.all_items()?;
        let mut by_lang: std::collections::BTreeMap<String, usize> = Default::default();
        for i in &items {
            *by_lang
                .entry(i.lang.clone().unwrap_or_else(|| "-".into()))
                .or_default() += 1;
        }
        Ok::<_, crate::store::StoreError>((
            items.len(),
            store.story_count()?,
            store.feed_statuses()?,
            store.size_bytes(),
            by_lang,
        ))
    })
    .await??;
    writeln!(
        out,
        "database: {} ({size} bytes)",
        config.storage.path.display()
    )?;
    writeln!(out, "items: {items}, stories: {stories}")?;
    for (lang, n) in by_lang {
        writeln!(out, "  {lang}: {n}")?;
    }
    let failing = feeds.iter().filter(|f| f.error_class.is_some()).count();
    let last = feeds.iter().filter_map(|f| f.last_fetch).max();
    writeln!(
        out,
        "feeds: {} known, {failing} failing, last fetch {}",
        feeds.len(),
        last.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_else(|| "never".into())
    )?;
    Ok(())
}
