//! Fetched bytes → `ParsedFeed`: charset decoding, repairs, parsing (feed-rs: RSS 0.9x/1.0/2.0,
//! Atom, JSON Feed), then per item plain-text titles, sanitized HTML, absolute URLs, dates,
//! author, categories, image/enclosure, declared language and a deterministic identity.
//!
//! CPU-bound and synchronous: async callers run it on a blocking thread. Touches no storage.

pub mod charset;
pub mod dates;
mod json;
mod repair;
pub mod shape;
pub mod text;

use chrono::{DateTime, Utc};
use url::Url;

use crate::config::normalize_lang;
use crate::dedup;
use crate::model::{Enclosure, FeedMeta, Item, ParsedFeed};
use text::{first_image, plain_text, sanitize_html, sanitized_text, truncate_chars};

pub use repair::is_xml_char;

#[derive(Debug, thiserror::Error)]
pub enum NormalizeError {
    #[error("not a feed: the document is an HTML page")]
    NotAFeed,
    #[error("empty document")]
    Empty,
    #[error("cannot parse feed: {0}")]
    Parse(String),
    #[error("cannot decode: {0}")]
    Encoding(#[from] charset::CharsetError),
}

impl NormalizeError {
    pub fn class(&self) -> &'static str {
        match self {
            NormalizeError::NotAFeed => "not-a-feed",
            NormalizeError::Empty | NormalizeError::Parse(_) => "parse",
            NormalizeError::Encoding(_) => "encoding",
        }
    }
}

/// At most this many entries are read from one document.
pub const MAX_ITEMS_PER_FEED: usize = 5000;
/// At most this many source categories are kept per item.
const MAX_CATEGORIES: usize = 32;

/// Bump when the same entry would normalize or classify differently: stored fingerprints
/// then stop matching, and every entry is normalized again on its next poll.
const NORMALIZE_REVISION: &str = "1";

/// What an earlier poll of the same feed stored: the fingerprints of its entries and the
/// key of the item each became. An entry whose fingerprint is here is left out of
/// normalization (sanitizing and classifying it again would give the stored item back):
/// on a typical re-poll only the few new entries of a document cost anything.
#[derive(Debug, Default)]
pub struct KnownEntries {
    /// Everything outside the document that decides its items (the feed's configuration,
    /// the classification rules); see [`entry_fingerprint`].
    pub salt: String,
    /// fingerprint → item key.
    pub keys: std::collections::HashMap<String, String>,
}

/// Normalizes one fetched document. `doc_url` is where it was read from (the base for
/// relative URLs); `content_type` is the HTTP header, if any.
pub fn normalize(
    bytes: &[u8],
    content_type: Option<&str>,
    doc_url: &Url,
) -> Result<ParsedFeed, NormalizeError> {
    normalize_with(bytes, content_type, doc_url, &KnownEntries::default())
}

/// [`normalize`], leaving out the entries `known` says are stored unchanged.
pub fn normalize_with(
    bytes: &[u8],
    content_type: Option<&str>,
    doc_url: &Url,
    known: &KnownEntries,
) -> Result<ParsedFeed, NormalizeError> {
    let decoded = charset::decode(bytes, content_type)?;
    let trimmed = decoded.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if trimmed.is_empty() {
        return Err(NormalizeError::Empty);
    }
    if looks_like_html(trimmed) {
        return Err(NormalizeError::NotAFeed);
    }
    let is_json = trimmed.starts_with('{');
    let doc_base = Some(doc_url.clone()).filter(|u| matches!(u.scheme(), "http" | "https"));
    let shaped = if is_json {
        let coerced = json::coerce(trimmed)
            .map_err(|e| NormalizeError::Parse(format!("invalid JSON: {e}")))?;
        shape::Reshaped {
            text: coerced,
            ..shape::Reshaped::default()
        }
    } else {
        let repaired = repair::repair_xml(trimmed).map_err(NormalizeError::Parse)?;
        shape::reshape(&repair::close_last_tag(&repaired), doc_base.as_ref())
            .map_err(|e| NormalizeError::Parse(e.to_string()))?
    };
    let (source, hints, item_bases) = (shaped.text, shaped.hints, shaped.item_bases);
    // Returning "" marks an entry without an id of its own; see dedup::item_key.
    let parser = feed_rs::parser::Builder::new()
        .sanitize_content(false)
        .id_generator(|_, _, _| String::new())
        .timestamp_parser(dates::parse_date)
        .base_uri(doc_base.as_ref().map(Url::as_str))
        .build();
    let feed = match parser.parse(source.as_bytes()) {
        Ok(feed) => feed,
        // A feed root with nothing feed-rs recognizes inside (e.g. `<rss>` without a channel)
        // is an empty feed, not an error.
        Err(feed_rs::parser::ParseFeedError::ParseError(
            feed_rs::parser::ParseErrorKind::NoFeedRoot,
        )) if !is_json && has_feed_root(&source) => {
            return Ok(ParsedFeed {
                hints,
                ..ParsedFeed::default()
            });
        }
        Err(e) => return Err(NormalizeError::Parse(e.to_string())),
    };

    let site_link = pick_link(&feed.links, doc_base.as_ref());
    // Relative URLs resolve against the document; a local file falls back to the site link.
    let base = doc_base.or_else(|| site_link.as_deref().and_then(|l| Url::parse(l).ok()));
    let meta = FeedMeta {
        title: feed
            .title
            .as_ref()
            .map(|t| plain_text(&t.content))
            .filter(|t| !t.is_empty()),
        site_link,
        lang: feed.language.as_deref().and_then(normalize_lang),
    };
    // The entries normalized, with their place in the document.
    let mut fresh: Vec<(usize, Item)> = Vec::new();
    // Known entries (place, entry, base, fingerprint, stored key), kept aside until it is
    // clear that leaving them out changes nothing (below).
    type Known = (usize, feed_rs::model::Entry, Option<Url>, String, String);
    let mut aside: Vec<Known> = Vec::new();
    let normalize_one = |e, base: Option<Url>, fingerprint| Item {
        source_hash: fingerprint,
        ..normalize_entry(e, base.as_ref())
    };
    for (i, e) in feed
        .entries
        .into_iter()
        .take(MAX_ITEMS_PER_FEED)
        .enumerate()
    {
        // The entry's own xml:base chain (already absolute) beats the document's.
        let entry_base = item_bases
            .get(i)
            .cloned()
            .flatten()
            .or_else(|| base.clone());
        let fingerprint = entry_fingerprint(&known.salt, &meta, entry_base.as_ref(), &e);
        match fingerprint
            .as_ref()
            .and_then(|f| Some((f, known.keys.get(f)?)))
        {
            Some((f, key)) => aside.push((i, e, entry_base, f.clone(), key.clone())),
            None => fresh.push((i, normalize_one(e, entry_base, fingerprint))),
        }
    }
    // Leaving the known entries out must not change the keys the others get: it does not
    // when every key is distinct and no stored key carries a collision suffix (then
    // `distinct_keys` renames nothing). Otherwise the whole document is normalized.
    let mut keys = std::collections::HashSet::new();
    let separable = aside
        .iter()
        .all(|(.., key)| !key.contains('#') && keys.insert(key.as_str()))
        && fresh.iter().all(|(_, item)| keys.insert(item.key.as_str()));
    let unchanged = if separable {
        aside.len()
    } else {
        for (i, e, entry_base, fingerprint, _) in aside {
            fresh.push((i, normalize_one(e, entry_base, Some(fingerprint))));
        }
        fresh.sort_by_key(|(i, _)| *i);
        0
    };
    let fresh = fresh.into_iter().map(|(_, item)| item).collect();
    Ok(ParsedFeed {
        meta,
        items: distinct_keys(fresh),
        hints,
        unchanged,
    })
}

/// A digest of an entry as parsed (every field feed-rs read, serialized), of what else its
/// normalization reads (the base URL, the channel's metadata) and of `salt` (what its
/// classification reads). Equal fingerprints give equal items. `None` if the entry cannot
/// be serialized (it always can): such an entry is always normalized.
pub fn entry_fingerprint(
    salt: &str,
    meta: &FeedMeta,
    base: Option<&Url>,
    entry: &feed_rs::model::Entry,
) -> Option<String> {
    let mut h = blake3::Hasher::new();
    for part in [
        NORMALIZE_REVISION,
        env!("CARGO_PKG_VERSION"),
        salt,
        base.map_or("", Url::as_str),
        meta.title.as_deref().unwrap_or(""),
        meta.site_link.as_deref().unwrap_or(""),
        meta.lang.as_deref().unwrap_or(""),
    ] {
        h.update(part.as_bytes());
        h.update(b"\0");
    }
    // serde_json writes in fragments of a few bytes; blake3 wants them in blocks.
    let mut buffered = std::io::BufWriter::with_capacity(8192, &mut h);
    serde_json::to_writer(&mut buffered, entry).ok()?;
    std::io::Write::flush(&mut buffered).ok()?;
    drop(buffered);
    Some(h.finalize().to_hex()[..32].to_string())
}

fn has_feed_root(xml: &str) -> bool {
    repair::root_start(xml).is_some_and(|at| {
        let tag = &xml[at..];
        tag.starts_with("<rss")
            || tag.starts_with("<feed")
            || tag.starts_with("<rdf:RDF")
            || tag.starts_with("<RDF")
    })
}

fn looks_like_html(text: &str) -> bool {
    let head: String = text
        .chars()
        .take(256)
        .collect::<String>()
        .to_ascii_lowercase();
    let head = head.trim_start();
    head.starts_with("<!doctype html") || head.starts_with("<html")
}

/// Resolves `href` against `base`, keeping only http(s) results.
fn absolute(href: &str, base: Option<&Url>) -> Option<String> {
    let href = href.trim();
    let url = match Url::parse(href) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => base?.join(href).ok()?,
        Err(_) => return None,
    };
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

/// The alternate (HTML) link among `links`.
fn pick_link(links: &[feed_rs::model::Link], base: Option<&Url>) -> Option<String> {
    let alternate = links
        .iter()
        .find(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        .or_else(|| links.iter().find(|l| l.rel.as_deref() != Some("self")));
    alternate.and_then(|l| absolute(&l.href, base))
}

fn normalize_entry(e: feed_rs::model::Entry, feed_base: Option<&Url>) -> Item {
    // xml:base on the entry overrides the document's base.
    let entry_base = e
        .base
        .as_deref()
        .and_then(|b| match feed_base {
            Some(fb) => fb.join(b).ok(),
            None => Url::parse(b).ok(),
        })
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    let base = entry_base.as_ref().or(feed_base);

    let link = pick_link(&e.links, base);
    let raw_guid = Some(e.id.trim().to_string()).filter(|g| !g.is_empty());
    // A guid is republished; one that is a script or data URL is kept only for identity.
    let guid = raw_guid.clone().filter(|g| !text::is_dangerous_url(g));
    let summary = e
        .summary
        .as_ref()
        .map(|t| sanitize_html(&text_as_html(t), base))
        .filter(|s| !s.is_empty());
    let content = e
        .content
        .as_ref()
        .and_then(|c| c.body.as_deref())
        .map(|b| sanitize_html(b, base))
        .filter(|s| !s.is_empty());
    let mut title = e
        .title
        .as_ref()
        .map(|t| plain_text(&t.content))
        .unwrap_or_default();
    if title.is_empty() {
        // Readers show something; so do we: the start of the text, else the link.
        let body = summary.as_deref().or(content.as_deref()).unwrap_or("");
        title = truncate_chars(&plain_text(body), 80);
    }
    if title.is_empty() {
        title = link.clone().unwrap_or_else(|| "(untitled)".to_string());
    }
    let title = truncate_chars(&title, text::MAX_TITLE_CHARS);

    let published: Option<DateTime<Utc>> = e.published.or(e.updated);
    let updated = e.updated.filter(|u| published.is_none_or(|p| *u >= p));
    let key = dedup::item_key(
        raw_guid.as_deref(),
        link.as_deref(),
        &title,
        published.map(|d| d.to_rfc3339()).as_deref(),
    );

    let mut source_categories: Vec<String> = Vec::new();
    for c in e.categories.iter().take(MAX_CATEGORIES) {
        let label = plain_text(c.label.as_deref().unwrap_or(&c.term));
        if !label.is_empty() && !source_categories.contains(&label) {
            source_categories.push(label);
        }
    }

    let author = e
        .authors
        .iter()
        .find_map(|a| a.name.as_deref().map(plain_text).filter(|n| !n.is_empty()));

    let (image, enclosure) = media(&e, base);
    let image = image
        .or_else(|| summary.as_deref().and_then(first_image))
        .or_else(|| content.as_deref().and_then(first_image));

    Item {
        key,
        guid,
        link,
        title,
        summary_text: summary.as_deref().map(sanitized_text).unwrap_or_default(),
        summary,
        content,
        author,
        source_categories,
        image,
        enclosure,
        published,
        updated,
        declared_lang: e.language.as_deref().and_then(normalize_lang),
        lang: None,
        categories: Vec::new(),
        source_hash: None,
    }
}

/// Plain-text summaries are escaped so the sanitizer keeps them as text, unless they look like
/// markup (then they are sanitized as HTML, as readers would render them).
fn text_as_html(t: &feed_rs::model::Text) -> String {
    if t.content_type.essence().to_string() == "text/plain" && t.content.contains(['<', '&']) {
        let tag_like = t
            .content
            .as_bytes()
            .windows(2)
            .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'!'));
        let looks_like_markup = tag_like
            || t.content.contains("</")
            || t.content.contains("/>")
            || t.content.contains("&#");
        if !looks_like_markup {
            return t.content.replace('&', "&amp;").replace('<', "&lt;");
        }
    }
    t.content.clone()
}

/// The item's image (thumbnail or image enclosure) and its first non-image enclosure.
fn media(e: &feed_rs::model::Entry, base: Option<&Url>) -> (Option<String>, Option<Enclosure>) {
    let mut image = None;
    let mut enclosure = None;
    for m in &e.media {
        if image.is_none() {
            image = m
                .thumbnails
                .iter()
                .find_map(|t| absolute(&t.image.uri, base));
        }
        for c in &m.content {
            let Some(url) = c.url.as_ref().and_then(|u| absolute(u.as_str(), base)) else {
                continue;
            };
            let mime = c
                .content_type
                .as_ref()
                .map(|m| m.to_string())
                .unwrap_or_default();
            if mime.starts_with("image/") || (mime.is_empty() && is_image_url(&url)) {
                image.get_or_insert(url);
            } else if enclosure.is_none() && !mime.is_empty() {
                enclosure = Some(Enclosure {
                    url,
                    mime,
                    length: c.size,
                });
            }
        }
    }
    for l in e
        .links
        .iter()
        .filter(|l| l.rel.as_deref() == Some("enclosure"))
    {
        let Some(url) = absolute(&l.href, base) else {
            continue;
        };
        let mime = l.media_type.clone().unwrap_or_default();
        if mime.starts_with("image/") {
            image.get_or_insert(url);
        } else if enclosure.is_none() {
            enclosure = Some(Enclosure {
                url,
                mime: if mime.is_empty() {
                    "application/octet-stream".into()
                } else {
                    mime
                },
                length: l.length,
            });
        }
    }
    (image, enclosure)
}

fn is_image_url(u: &str) -> bool {
    let path = u
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    [".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif"]
        .iter()
        .any(|ext| path.ends_with(ext))
}

/// Two entries of one document with the same key (a reused guid) are told apart by link; an
/// entry repeated whole (every field equal) is kept once.
fn distinct_keys(items: Vec<Item>) -> Vec<Item> {
    let mut seen = std::collections::HashSet::new();
    // Items kept so far, by the key they came with (before any `#` suffix): a true repeat
    // (every field equal) necessarily has the same key, so only those are compared.
    let mut by_key: std::collections::HashMap<String, Vec<usize>> =
        std::collections::HashMap::new();
    let mut out: Vec<Item> = Vec::with_capacity(items.len());
    for mut item in items {
        let original_key = item.key.clone();
        if let Some(earlier) = by_key.get(&original_key) {
            let repeat = earlier.iter().any(|&i| {
                let mut kept = out[i].clone();
                kept.key = original_key.clone();
                // Two spellings of one entry are a repeat too.
                kept.source_hash = item.source_hash.clone();
                kept == item
            });
            if repeat {
                continue;
            }
        }
        if !seen.insert(item.key.clone()) {
            let alt = dedup::item_key(None, item.link.as_deref(), &item.title, None);
            item.key = format!("{}#{}", item.key, alt);
            if !seen.insert(item.key.clone()) {
                continue; // an exact repeat within the document
            }
        }
        by_key.entry(original_key).or_default().push(out.len());
        out.push(item);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("https://news.example/rss/home.rss").unwrap()
    }

    fn rss(items: &[(&str, &str, &str)]) -> String {
        let body: String = items
            .iter()
            .map(|(guid, title, text)| {
                format!(
                    "<item><guid>{guid}</guid><title>{title}</title><link>/{guid}.html</link>\
                     <description><![CDATA[<p>{text}</p>]]></description></item>"
                )
            })
            .collect();
        format!("<rss version=\"2.0\"><channel><title>T</title>{body}</channel></rss>")
    }

    fn known(from: &ParsedFeed, salt: &str) -> KnownEntries {
        KnownEntries {
            salt: salt.to_string(),
            keys: from
                .items
                .iter()
                .map(|i| (i.source_hash.clone().unwrap(), i.key.clone()))
                .collect(),
        }
    }

    #[test]
    fn known_entries_are_left_out_and_the_rest_is_as_without_them() {
        let first = rss(&[("a", "One", "x"), ("b", "Two", "y"), ("c", "Three", "z")]);
        let first = normalize(first.as_bytes(), None, &url()).unwrap();
        assert!(first.items.iter().all(|i| i.source_hash.is_some()));
        // b changed, d is new, a and c are as stored.
        let second = rss(&[
            ("d", "Four", "w"),
            ("a", "One", "x"),
            ("b", "Two!", "y"),
            ("c", "Three", "z"),
        ]);
        let full = normalize(second.as_bytes(), None, &url()).unwrap();
        let skipped = normalize_with(second.as_bytes(), None, &url(), &known(&first, "")).unwrap();
        assert_eq!(skipped.unchanged, 2);
        let keys: Vec<&str> = skipped.items.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, ["g:d", "g:b"]);
        let expected: Vec<&Item> = full
            .items
            .iter()
            .filter(|i| i.key != "g:a" && i.key != "g:c")
            .collect();
        assert_eq!(skipped.items.iter().collect::<Vec<_>>(), expected);

        // Another salt (other rules, another `lang`): nothing is known.
        let other =
            normalize_with(second.as_bytes(), None, &url(), &known(&first, "rules")).unwrap();
        assert_eq!((other.unchanged, other.items.len()), (0, 4));
        // Another channel language changes what classification reads: nothing is known.
        let relabelled = second.replace(
            "<title>T</title>",
            "<title>T</title><language>en</language>",
        );
        let relabelled =
            normalize_with(relabelled.as_bytes(), None, &url(), &known(&first, "")).unwrap();
        assert_eq!(relabelled.unchanged, 0);
    }

    #[test]
    fn a_key_collision_with_a_known_entry_normalizes_the_whole_document() {
        let first = rss(&[("a", "One", "x")]);
        let first = normalize(first.as_bytes(), None, &url()).unwrap();
        // A new entry reuses a's guid: `distinct_keys` renames the later of the two, which
        // needs both; leaving a out would give the new one a's key.
        let second = rss(&[("a", "Other", "q"), ("a", "One", "x")]);
        let full = normalize(second.as_bytes(), None, &url()).unwrap();
        let skipped = normalize_with(second.as_bytes(), None, &url(), &known(&first, "")).unwrap();
        assert_eq!(skipped.unchanged, 0);
        assert_eq!(skipped.items, full.items);
        assert_eq!(full.items.len(), 2);
        assert_ne!(full.items[0].key, full.items[1].key);
    }

    #[test]
    fn rss_with_cdata_html() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>VnExpress</title><link>https://vnexpress.net</link><language>vi-VN</language>
<item><title>Đội tuyển &amp; HLV</title><link>https://vnexpress.net/a-1.html</link>
<guid isPermaLink="false">a-1</guid><pubDate>Fri, 20 Nov 2026 08:15:00 +0700</pubDate>
<description><![CDATA[<a href="/a-1.html"><img src="/i/1.jpg" onerror="x()"></a>Nội dung <script>x()</script>]]></description>
<category>Thể thao</category></item>
<item><title>No guid</title><link>/b.html?utm_source=rss</link></item>
</channel></rss>"#;
        let f = normalize(xml.as_bytes(), Some("text/xml"), &url()).unwrap();
        assert_eq!(f.meta.lang.as_deref(), Some("vi"));
        assert_eq!(f.items.len(), 2);
        let a = &f.items[0];
        assert_eq!(a.title, "Đội tuyển & HLV");
        assert_eq!(a.key, "g:a-1");
        assert_eq!(a.image.as_deref(), Some("https://news.example/i/1.jpg"));
        let s = a.summary.as_deref().unwrap();
        assert!(!s.contains("onerror") && !s.contains("script"), "{s}");
        assert_eq!(a.source_categories, vec!["Thể thao"]);
        assert_eq!(
            a.published.unwrap().to_rfc3339(),
            "2026-11-20T01:15:00+00:00"
        );
        let b = &f.items[1];
        assert_eq!(
            b.link.as_deref(),
            Some("https://news.example/b.html?utm_source=rss")
        );
        assert_eq!(b.key, "l:https://news.example/b.html");
    }

    #[test]
    fn html_page_is_not_a_feed() {
        let e = normalize(
            b"\n<!DOCTYPE html><html><body>hi</body></html>",
            None,
            &url(),
        )
        .unwrap_err();
        assert_eq!(e.class(), "not-a-feed");
    }

    #[test]
    fn bare_ampersand_and_control_chars_recovered() {
        let xml = "<rss version=\"2.0\"><channel><title>T</title><item><title>A & B \u{1}</title><guid>1</guid></item></channel></rss>";
        let f = normalize(xml.as_bytes(), None, &url()).unwrap();
        assert_eq!(f.items[0].title, "A & B");
    }

    #[test]
    fn keys_are_deterministic_without_ids() {
        let xml = "<rss version=\"2.0\"><channel><title>T</title><item><description>only text</description></item></channel></rss>";
        let a = normalize(xml.as_bytes(), None, &url()).unwrap();
        let b = normalize(xml.as_bytes(), None, &url()).unwrap();
        assert_eq!(a.items[0].key, b.items[0].key);
        assert!(a.items[0].key.starts_with("h:"));
    }
}
