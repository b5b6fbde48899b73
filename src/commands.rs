//! The CLI's commands as library calls: each takes the loaded config and writes its human or
//! JSON output to the given writer. `main.rs` only parses arguments and calls these.

use std::io::Write;

use anyhow::{Context as _, Result, bail};
use chrono::SecondsFormat;
use serde_json::json;

use crate::config::Config;
use crate::daemon::open_store;
use crate::pipeline::{Ingest, poll_many};

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
    let mut reports = poll_many(&ingest, &feeds, config.poll.concurrency).await?;
    reports.sort_by(|a, b| a.feed.cmp(&b.feed));
    let (mut new, mut updated, mut errors) = (0, 0, 0);
    for r in &reports {
        writeln!(out, "{}", r.summary())?;
        new += r.counts.new;
        updated += r.counts.updated;
        errors += r.error.is_some() as usize;
    }
    writeln!(
        out,
        "polled {} feeds: {new} new, {updated} updated, {errors} with errors",
        reports.len()
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

/// `bantin feeds --enable NAME`: polls a feed again after it was gone (410) or paused by a
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
                "gone since {} (HTTP 410): `bantin feeds --enable {:?}` to poll again",
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
