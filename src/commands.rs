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

/// `bantin explain <item-link-or-id>`: why an item got its language, categories and story.
pub async fn explain(config: &Config, key: &str, out: &mut impl Write) -> Result<()> {
    use crate::classify::Classifier;
    use crate::model::{FeedMeta, Item};
    use crate::story::{self, Profile};

    let store = open_store(config).await?;
    let key_owned = key.to_string();
    let s = store.clone();
    let item = tokio::task::spawn_blocking(move || s.find_item(&key_owned))
        .await??
        .with_context(|| format!("no stored item has the id, link or guid `{key}`"))?;
    let s = store.clone();
    let id = item.id;
    let record = tokio::task::spawn_blocking(move || s.curation_record(id))
        .await??
        .context("the item vanished")?;
    let s = store.clone();
    let story_id = item.story;
    let members = tokio::task::spawn_blocking(move || s.story_members(&[story_id])).await??;

    let feed = config.feed(&item.feed).cloned().unwrap_or_else(|| {
        // A feed no longer configured: judge it as if it had no settings.
        crate::config::FeedConfig {
            name: item.feed.clone(),
            source: crate::config::FeedSource::File(item.feed_url.clone().into()),
            lang: None,
            categories: vec![],
            cadence: crate::config::Cadence::Every(config.poll.interval),
            priority: 0,
            enabled: false,
        }
    });
    let meta = FeedMeta {
        title: record.feed_title.clone(),
        site_link: record.feed_site.clone(),
        lang: record.channel_lang.clone(),
    };
    let mut as_item = Item {
        key: item.key.clone(),
        guid: item.guid.clone(),
        link: item.link.clone(),
        title: item.title.clone(),
        summary: item.summary.clone(),
        summary_text: (item.summary.as_deref())
            .map(crate::normalize::text::plain_text)
            .unwrap_or_default(),
        content: item.content.clone(),
        author: item.author.clone(),
        source_categories: record.source_categories.clone(),
        image: item.image.clone(),
        enclosure: item.enclosure.clone(),
        published: Some(item.published),
        updated: Some(item.updated),
        declared_lang: record.declared_lang.clone(),
        lang: None,
        categories: vec![],
        source_hash: None,
    };
    let classifier = Classifier::new(config);
    let dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());

    writeln!(out, "item {}: {}", item.id, item.title)?;
    writeln!(
        out,
        "  feed: {}   published: {}   link: {}",
        item.feed,
        item.published.to_rfc3339_opts(SecondsFormat::Secs, true),
        dash(&item.link)
    )?;

    // Language.
    let lang = classifier.language(&feed, &meta, &as_item);
    writeln!(out, "\nlanguage: {}", dash(&item.lang))?;
    writeln!(
        out,
        "  decided by: {}{}",
        lang.rule.describe(),
        if lang.lang != item.lang {
            format!(" (the current rules would say {})", dash(&lang.lang))
        } else {
            String::new()
        }
    )?;
    writeln!(
        out,
        "  [[feed]] lang: {}   item declares: {}   channel declares: {}   configured: {}",
        dash(&lang.configured),
        dash(&lang.item),
        dash(&lang.channel),
        config.classify.languages.join(", ")
    )?;
    match &lang.detected {
        Some(d) => writeln!(
            out,
            "  detected: {} with confidence {:.2} on {} words ({}); {}",
            d.lang,
            d.confidence,
            d.words,
            d.method,
            if d.confident {
                "confident enough to overrule declarations"
            } else {
                "too unsure to overrule a declaration"
            }
        )?,
        None if lang.configured.is_some() => {
            writeln!(out, "  detected: not run (the config sets the language)")?
        }
        None => writeln!(
            out,
            "  detected: nothing (no text in a detectable language)"
        )?,
    }

    // Categories.
    as_item.lang = item.lang.clone();
    let evidence = classifier.all_category_evidence(&feed, &as_item);
    let kept: Vec<String> = classifier
        .category_evidence(&feed, &as_item)
        .into_iter()
        .map(|c| c.id)
        .collect();
    writeln!(out, "\ncategories: {}", item.categories.join(", "))?;
    if evidence.is_empty() {
        writeln!(out, "  no label, keyword or feed default matched")?;
    }
    for c in &evidence {
        writeln!(
            out,
            "  {:<15} score {:>4.1}{}: {}",
            c.id,
            c.score,
            if kept.contains(&c.id) {
                ""
            } else {
                " (below half the best, dropped)"
            },
            c.reasons.join("; ")
        )?;
    }
    if record.own_categories != item.categories {
        writeln!(
            out,
            "  on its own: {}; the story's {} items voted: {}",
            if record.own_categories.is_empty() {
                "none".to_string()
            } else {
                record.own_categories.join(", ")
            },
            members.len(),
            item.categories.join(", ")
        )?;
    }

    // Story.
    let outlets: std::collections::BTreeSet<String> =
        members.iter().map(crate::render::stories::outlet).collect();
    let canonical = crate::render::stories::canonical(config, &members);
    writeln!(
        out,
        "\nstory {}: {} item(s) from {} outlet(s); canonical item: {}",
        item.story,
        members.len(),
        outlets.len(),
        canonical.map_or("-".to_string(), |c| format!("{} ({})", c.id, c.feed))
    )?;
    let rule = story::Rule::parse(&record.story_rule);
    match rule {
        story::Rule::New if item.story == item.id => writeln!(
            out,
            "  this item started the story (no earlier item with its URL or similar enough text)"
        )?,
        story::Rule::New => writeln!(
            out,
            "  this item started a story of its own (no earlier item with its URL or similar \
             enough text); a later item that matched it and this story joined the two (the \
             same article by URL, or a report naming the places that kept them apart)"
        )?,
        story::Rule::Url => writeln!(
            out,
            "  joined by rule url: same canonical URL as item {}",
            record.story_match.map_or("-".into(), |m| m.to_string())
        )?,
        story::Rule::Text => writeln!(
            out,
            "  joined by rule text: similarity {:.3} after the time discount (threshold {}) to item {}",
            record.story_score,
            story::THRESHOLD,
            record.story_match.map_or("-".into(), |m| m.to_string())
        )?,
    }
    writeln!(
        out,
        "  checks: within {} h; similarity × time discount (up to −{:.0} % at {} h) ≥ {}; \
         headline coverage ≥ {:.0} % one way; no veto with the matched item; no story-level \
         veto (a score, month, direction or kind of event that another member contradicts)",
        story::WINDOW_SECS / 3600,
        100.0 * story::TIME_DECAY,
        story::DECAY_SECS / 3600,
        story::THRESHOLD,
        100.0 * story::MIN_COVERAGE,
    )?;
    // Similarity of this item to every other member, with today's document frequencies.
    let lang_code = item.lang.clone().unwrap_or_else(|| "und".into());
    let text_of = |r: &Option<String>| r.clone().unwrap_or_default();
    let mine = text_of(&record.story_text);
    let (h, sm) = story::split_story_text(&mine);
    let profile = Profile::new(&lang_code, h, sm);
    let mut others = Vec::new();
    for m in &members {
        if m.id == item.id {
            continue;
        }
        let s = store.clone();
        let mid = m.id;
        let rec = tokio::task::spawn_blocking(move || s.curation_record(mid)).await??;
        let text = rec.and_then(|r| r.story_text).unwrap_or_default();
        let (h, sm) = story::split_story_text(&text);
        others.push((m, Profile::new(&lang_code, h, sm)));
    }
    let mut terms: Vec<i64> = vec![story::count_id(&lang_code)];
    for p in std::iter::once(&profile).chain(others.iter().map(|(_, p)| p)) {
        terms.extend(p.features.keys().map(|f| story::term_id(&lang_code, f)));
    }
    let s = store.clone();
    let df = tokio::task::spawn_blocking(move || s.story_df(&terms)).await??;
    let n = df.get(&story::count_id(&lang_code)).copied().unwrap_or(0);
    let mut idf = |f: &str| {
        story::idf(
            df.get(&story::term_id(&lang_code, f)).copied().unwrap_or(0),
            n,
        )
    };
    for m in &members {
        let marker = if m.id == item.id { "*" } else { " " };
        let detail = match others.iter().find(|(o, _)| o.id == m.id) {
            None => "this item".to_string(),
            Some((_, p)) => {
                let sim = profile.similarity(p, &mut idf);
                let dt = (m.published - item.published).num_seconds();
                let discounted = sim * story::decay(dt);
                let coverage = (
                    profile.headline_coverage(p, &mut idf),
                    p.headline_coverage(&profile, &mut idf),
                );
                let mut d = format!(
                    "similarity {sim:.3}, time discount ×{:.2} ({:.1} h apart{}) = {discounted:.3}; \
                     headline coverage {:.0} % / {:.0} % (one needs {:.0} %{})",
                    story::decay(dt),
                    dt.abs() as f64 / 3600.0,
                    if dt.abs() > story::WINDOW_SECS {
                        ", outside the window"
                    } else {
                        ""
                    },
                    100.0 * coverage.0,
                    100.0 * coverage.1,
                    100.0 * story::MIN_COVERAGE,
                    if story::covers(&profile, p, &mut idf) {
                        ", met"
                    } else {
                        ", not met"
                    },
                );
                match profile.veto(p) {
                    Some(v) if v.is_factual() => {
                        d.push_str(&format!("; story-level veto: {v}"));
                    }
                    Some(v) => {
                        d.push_str(&format!("; vetoed: {v}"));
                        let via = others
                            .iter()
                            .find(|(o, op)| o.id != m.id && profile.names_reconciled_by(p, op));
                        if let Some((o, _)) = via {
                            d.push_str(&format!(
                                " (reconciled by item {}, which names both)",
                                o.id
                            ));
                        }
                    }
                    None => {}
                }
                d
            }
        };
        writeln!(
            out,
            " {marker} item {:<6} {:<28} {}  {} — {}",
            m.id,
            m.feed.chars().take(28).collect::<String>(),
            m.published.format("%Y-%m-%d %H:%M"),
            m.title,
            detail
        )?;
    }
    Ok(())
}
