//! Rendered bytes for every output and format, pre-compressed, swapped in atomically.
//!
//! `RenderCache::refresh` runs after a poll changed something: it renders every output from
//! the store and keeps the previous bytes (and their compressed forms and ETag) for documents
//! that came out identical, so a reader's ETag stays valid until the content really changes.
//! Requests only ever read the current snapshot: nothing is rendered per request.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};

use super::catalog::{self, OutputSpec};
use super::stories::Related;
use super::{Context, Format};
use crate::config::Config;
use crate::model::StoredItem;
use crate::store::{Store, StoreError};

/// One document ready to serve. Only its compressed forms are kept: nearly every feed reader
/// and browser accepts gzip, and the rare identity request is inflated from the gzip bytes
/// ([`Rendered::body`]). Keeping the plain bytes too was 60 % of the cache's memory, twice
/// over while a refresh builds the next snapshot beside the current one.
#[derive(Debug)]
pub struct Rendered {
    pub content_type: &'static str,
    pub gzip: bytes::Bytes,
    pub br: bytes::Bytes,
    /// Hex digest of the document's bytes; the strong ETag is derived from it per encoding.
    pub digest: String,
    /// The validators as sent, made once rather than per request: the quoted ETag of the
    /// identity, gzip and brotli forms, and `last_modified` as an HTTP date.
    pub etags: [bytes::Bytes; 3],
    pub last_modified_http: bytes::Bytes,
    /// The newest item's date (the render time for documents without items).
    pub last_modified: DateTime<Utc>,
}

/// The digest [`Rendered::digest`] holds for a document of these bytes.
pub fn digest_of(body: &str) -> String {
    blake3::hash(body.as_bytes()).to_hex()[..24].to_string()
}

impl Rendered {
    /// The document's bytes, uncompressed (inflated from the gzip form on each call).
    pub fn body(&self) -> bytes::Bytes {
        let mut out = Vec::new();
        // Our own gzip of our own bytes, in memory: failing is a bug, reported rather than
        // taking the request's task down.
        if let Err(e) =
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&self.gzip[..]), &mut out)
        {
            tracing::error!("a cached document's gzip form does not inflate: {e}");
        }
        out.into()
    }

    pub fn new(content_type: &'static str, body: String, last_modified: DateTime<Utc>) -> Rendered {
        let digest = digest_of(&body);
        let gzip = {
            // Level 6: 0.5 % larger than 9 and 1.4× faster (stages bench, 94 KB RSS).
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
            let _ = enc.write_all(body.as_bytes());
            enc.finish().unwrap_or_default()
        };
        let br = {
            let mut out = Vec::new();
            // Quality 5: 6 % larger than 9 and 8× faster; a 512 KiB window covers any
            // output and keeps the encoder's memory small.
            let params = brotli::enc::BrotliEncoderParams {
                quality: 5,
                lgwin: 19,
                ..Default::default()
            };
            let _ = brotli::BrotliCompress(&mut body.as_bytes(), &mut out, &params);
            out
        };
        // Kept for as long as the document is current: without the spare capacity that
        // building them left (up to half of each buffer).
        let exact = |v: Vec<u8>| bytes::Bytes::from(v.into_boxed_slice());
        let etags = [
            format!("\"{digest}\""),
            format!("\"{digest}-gz\""),
            format!("\"{digest}-br\""),
        ]
        .map(bytes::Bytes::from);
        let last_modified_http = bytes::Bytes::from(httpdate::fmt_http_date(
            std::time::UNIX_EPOCH
                + std::time::Duration::from_secs(last_modified.timestamp().max(0) as u64),
        ));
        Rendered {
            content_type,
            etags,
            last_modified_http,
            gzip: exact(gzip),
            br: exact(br),
            digest,
            last_modified,
        }
    }
}

/// Everything published at one moment.
#[derive(Default)]
pub struct Snapshot {
    pub outputs: Vec<OutputSpec>,
    /// Keyed by the request path under `/feeds/`: `vi.rss`, `vi/sports.atom`.
    pub docs: HashMap<String, Arc<Rendered>>,
    /// The index page and OPML, keyed by their path (`index.html`, `opml`).
    pub pages: HashMap<&'static str, Arc<Rendered>>,
    /// False until the first refresh completed.
    pub ready: bool,
}

#[derive(Default)]
pub struct RenderCache {
    current: RwLock<Arc<Snapshot>>,
    /// Older pages (`?page=N`), rendered on first request and kept until the next change.
    paged: Mutex<HashMap<(String, u32), Arc<Rendered>>>,
}

/// Applies an output's `include`/`exclude` keyword filters (case-insensitive, on title and
/// summary).
fn filter(spec: &OutputSpec, items: Vec<StoredItem>) -> Vec<StoredItem> {
    if spec.include.is_empty() && spec.exclude.is_empty() {
        return items;
    }
    let include: Vec<Vec<String>> = spec
        .include
        .iter()
        .map(|k| crate::classify::words(k))
        .collect();
    let exclude: Vec<Vec<String>> = spec
        .exclude
        .iter()
        .map(|k| crate::classify::words(k))
        .collect();
    let has = |words: &[String], kw: &[String]| {
        !kw.is_empty() && words.windows(kw.len()).any(|w| w == kw)
    };
    items
        .into_iter()
        .filter(|i| {
            let words = crate::classify::words(&format!(
                "{} {}",
                i.title,
                i.summary
                    .as_deref()
                    .map(crate::normalize::text::plain_text)
                    .unwrap_or_default()
            ));
            (include.is_empty() || include.iter().any(|k| has(&words, k)))
                && !exclude.iter().any(|k| has(&words, k))
        })
        .collect()
}

/// Page `page` of one output: its items filtered, one per story (the canonical item),
/// stories carried by fewer than `min_sources` outlets dropped, `limit` per page; with the
/// other outlets of each story, and whether an older page follows.
#[allow(clippy::type_complexity)]
pub fn select(
    store: &Store,
    config: &Config,
    spec: &OutputSpec,
    page: u32,
) -> Result<(Vec<StoredItem>, Vec<Vec<Related>>, bool), StoreError> {
    let page = page.max(1) as usize;
    // Stories up to the end of this page, plus one to know whether another page follows.
    let wanted = page * spec.limit + 1;
    let mut query = spec.query();
    query.limit = query.limit / spec.limit.max(1) * wanted;
    let items = filter(spec, store.query_items(&query)?);
    let mut story_ids: Vec<i64> = Vec::new();
    for i in &items {
        if !story_ids.contains(&i.story) {
            story_ids.push(i.story);
        }
        if story_ids.len() >= wanted * 4 {
            break;
        }
    }
    let members = store.story_members(&story_ids)?;
    let (items, related) =
        super::stories::collapse(config, &items, &members, spec.min_sources, wanted);
    let has_next = items.len() > page * spec.limit;
    let skip = (page - 1) * spec.limit;
    Ok((
        items.into_iter().skip(skip).take(spec.limit).collect(),
        related.into_iter().skip(skip).take(spec.limit).collect(),
        has_next,
    ))
}

impl RenderCache {
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Renders every output from the store; unchanged documents keep their previous bytes.
    /// Returns the self URLs of first pages that changed (none on the first render).
    /// Blocking (SQLite, compression): call it on a blocking thread.
    pub fn refresh(&self, store: &Store, config: &Config) -> Result<Vec<String>, StoreError> {
        let previous = self.snapshot();
        let ctx = Context {
            config,
            base_url: &config.server.base_url,
        };
        let outputs = catalog::outputs(config);
        let mut docs = HashMap::new();
        let mut latest: Vec<(String, Vec<StoredItem>)> = Vec::new();
        let mut changed = Vec::new();
        for spec in &outputs {
            let (items, related, has_next) = select(store, config, spec, 1)?;
            let page = super::Page {
                number: 1,
                has_next: has_next && config.publish.max_pages > 1,
            };
            for format in Format::ALL {
                let key = format!("{}.{}", spec.path, format.extension());
                let body = super::render_page(&ctx, spec, &items, &related, format, page);
                let doc = match previous.docs.get(&key) {
                    Some(old) if old.digest == digest_of(&body) => old.clone(),
                    _ => {
                        if previous.ready {
                            changed.push(ctx.self_url(spec, format));
                        }
                        Arc::new(Rendered::new(
                            format.content_type(),
                            body,
                            super::newest(&items)
                                .max(DateTime::<Utc>::from_timestamp(0, 0).unwrap_or_default()),
                        ))
                    }
                };
                docs.insert(key, doc);
            }
            if spec.kind == catalog::OutputKind::Language {
                latest.push((spec.path.clone(), items.into_iter().take(10).collect()));
            }
        }
        let mut pages = HashMap::new();
        let feeds = store.feed_statuses()?;
        let index = super::index::render(&ctx, &outputs, &latest, &feeds);
        let opml = super::index::render_opml(&ctx, &outputs);
        for (name, ct, body) in [
            ("index.html", "text/html; charset=utf-8", index),
            ("opml", "text/x-opml; charset=utf-8", opml),
        ] {
            let doc = match previous.pages.get(name) {
                Some(old) if old.digest == digest_of(&body) => old.clone(),
                _ => Arc::new(Rendered::new(ct, body, Utc::now())),
            };
            pages.insert(name, doc);
        }
        let snapshot = Arc::new(Snapshot {
            outputs,
            docs,
            pages,
            ready: true,
        });
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = snapshot;
        if !changed.is_empty() || !previous.ready {
            self.paged.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
        // The end of a burst of polls: give the memory they freed back to the system.
        drop(previous);
        crate::memory::release();
        Ok(changed)
    }

    /// Page `page` (≥ 2) of the document at `key` (`vi.rss`), rendered on first request and
    /// cached until the items change. `None` when there is no such output or page.
    pub fn page(
        &self,
        store: &Store,
        config: &Config,
        key: &str,
        page: u32,
    ) -> Result<Option<Arc<Rendered>>, StoreError> {
        if page < 2 || page > config.publish.max_pages {
            return Ok(None);
        }
        let cache_key = (key.to_string(), page);
        if let Some(doc) = self
            .paged
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&cache_key)
        {
            return Ok(Some(doc.clone()));
        }
        let Some((path, ext)) = key.rsplit_once('.') else {
            return Ok(None);
        };
        let Some(format) = Format::from_extension(ext) else {
            return Ok(None);
        };
        let snapshot = self.snapshot();
        let Some(spec) = snapshot.outputs.iter().find(|o| o.path == path) else {
            return Ok(None);
        };
        let (items, related, has_next) = select(store, config, spec, page)?;
        if items.is_empty() {
            return Ok(None);
        }
        let ctx = Context {
            config,
            base_url: &config.server.base_url,
        };
        let has_next = has_next && page < config.publish.max_pages;
        let body = super::render_page(
            &ctx,
            spec,
            &items,
            &related,
            format,
            super::Page {
                number: page,
                has_next,
            },
        );
        let doc = Arc::new(Rendered::new(
            format.content_type(),
            body,
            super::newest(&items),
        ));
        self.paged
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(cache_key, doc.clone());
        Ok(Some(doc))
    }
}
