//! Bounds on a document's shape before the feed parser sees it, and the feed's polling hints.
//!
//! One streaming pass with quick-xml over the repaired text checks that the document is
//! complete (a truncated body is an error, so none of its partial items is stored) and rewrites
//! it within limits, the way a careful reader skips what it cannot use:
//!
//! * elements nested deeper than [`MAX_DEPTH`] are dropped with their content;
//! * an element keeps at most [`MAX_ATTRIBUTES`] attributes, and namespace declarations whose
//!   prefix is never used are dropped (quick-xml refuses more than 128 bindings in scope, and
//!   feed-rs turns that into "no feed");
//! * a parent keeps at most [`MAX_CATEGORIES`] `category`/`subject` children;
//! * an element's text is cut after [`MAX_TEXT_BYTES`];
//! * comments, processing instructions and the DOCTYPE are dropped (internal entities were
//!   expanded, within a budget, by `repair`); anything after the root element is ignored.
//!
//! The same pass reads the channel's polling hints: RSS `<ttl>`, `<skipHours>`, `<skipDays>`,
//! and `sy:updatePeriod`/`sy:updateFrequency`.

use std::collections::HashSet;
use std::time::Duration;

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;
use url::Url;

use crate::model::FeedHints;

/// Elements deeper than this are dropped with their subtrees.
pub const MAX_DEPTH: usize = 64;
/// Attributes kept per element (namespace declarations that are used do not count).
pub const MAX_ATTRIBUTES: usize = 64;
/// `category` (or `dc:subject`) children kept per parent.
pub const MAX_CATEGORIES: usize = 64;
/// Text kept per element, in bytes of source text.
pub const MAX_TEXT_BYTES: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum ShapeError {
    #[error("truncated document: <{0}> is never closed")]
    Truncated(String),
    #[error("malformed XML at byte {at}: {message}")]
    Malformed { at: u64, message: String },
    #[error("no root element")]
    NoRoot,
}

fn prefix_of(qname: &str) -> Option<&str> {
    qname.find(':').map(|at| &qname[..at])
}

fn local_lower(qname: &str) -> String {
    let local = match qname.rfind(':') {
        Some(at) => &qname[at + 1..],
        None => qname,
    };
    local.to_ascii_lowercase()
}

fn reader(xml: &str) -> Reader<&[u8]> {
    let mut r = Reader::from_reader(xml.as_bytes());
    let c = r.config_mut();
    c.check_end_names = true;
    c.expand_empty_elements = false;
    c.trim_text(false);
    r
}

fn malformed(r: &Reader<&[u8]>, e: impl std::fmt::Display) -> ShapeError {
    ShapeError::Malformed {
        at: r.buffer_position(),
        message: e.to_string(),
    }
}

/// Prefixes used by element or attribute names anywhere in the document (first pass).
fn used_prefixes(xml: &str) -> Result<HashSet<String>, ShapeError> {
    let mut r = reader(xml);
    let mut used: HashSet<String> = HashSet::new();
    let mut depth = 0usize;
    let mut open: Vec<String> = Vec::new();
    let mut seen_root = false;
    loop {
        let ev = r.read_event().map_err(|e| malformed(&r, e))?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                seen_root = true;
                if let Some(p) = prefix_of(e.name().as_ref()) {
                    used.insert(p.to_string());
                }
                for a in e.attributes().with_checks(false).flatten() {
                    let key = a.key.as_ref();
                    if let Some(p) = prefix_of(key)
                        && p != "xmlns"
                    {
                        used.insert(p.to_string());
                    }
                }
                if matches!(ev, Event::Start(_)) {
                    depth += 1;
                    if open.len() < MAX_DEPTH + 1 {
                        open.push(e.name().as_ref().to_string());
                    }
                } else if depth == 0 {
                    break; // an empty root element
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if open.len() > depth {
                    open.truncate(depth);
                }
                if depth == 0 {
                    break;
                }
            }
            Event::Eof => {
                if depth > 0 {
                    let name = open.last().cloned().unwrap_or_default();
                    return Err(ShapeError::Truncated(name));
                }
                if !seen_root {
                    return Err(ShapeError::NoRoot);
                }
                break;
            }
            _ => {}
        }
    }
    Ok(used)
}

fn push_escaped_attr(out: &mut String, raw: &str) {
    // Raw attribute text is already escaped, except for the quote it was not delimited by.
    for c in raw.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            c => out.push(c),
        }
    }
}

/// Writes a start tag within the limits. An `xml:base` is written resolved against `base`
/// (the element's inherited base), so later stages see absolute bases.
fn write_start(
    out: &mut String,
    e: &BytesStart,
    used: &HashSet<String>,
    empty: bool,
    base: Option<&Url>,
) {
    out.push('<');
    out.push_str(e.name().as_ref());
    let mut kept = 0;
    let mut seen_keys: HashSet<String> = HashSet::new();
    for a in e.attributes().with_checks(false).flatten() {
        let key = a.key.as_ref();
        if !seen_keys.insert(key.to_string()) {
            continue; // a duplicated attribute: the first one wins
        }
        let is_ns_decl = key.starts_with("xmlns:");
        if is_ns_decl {
            if !used.contains(&key[6..]) {
                continue;
            }
        } else if key != "xmlns" {
            if kept == MAX_ATTRIBUTES {
                continue;
            }
            kept += 1;
        }
        out.push(' ');
        out.push_str(key);
        out.push_str("=\"");
        match (key, base) {
            ("xml:base", Some(b)) => match b.join(a.value.trim()) {
                Ok(abs) => push_escaped_attr(out, abs.as_str()),
                Err(_) => push_escaped_attr(out, &a.value),
            },
            _ => push_escaped_attr(out, &a.value),
        }
        out.push('"');
    }
    out.push_str(if empty { "/>" } else { ">" });
}

/// Per open element: its local name, its text so far, how many category children it kept.
struct Open {
    local: String,
    /// The element's effective `xml:base`, when one is declared on it or an ancestor.
    base: Option<Url>,
    text_bytes: usize,
    categories: usize,
    /// Collected text, only for the few elements whose value is a polling hint.
    hint_text: Option<String>,
}

fn is_category(local: &str) -> bool {
    local == "category" || local == "subject"
}

fn wants_hint(stack: &[Open], local: &str) -> bool {
    let parent = stack.last().map(|o| o.local.as_str());
    match local {
        "ttl" | "updateperiod" | "updatefrequency" => parent == Some("channel"),
        "hour" => parent == Some("skiphours"),
        "day" => parent == Some("skipdays"),
        _ => false,
    }
}

fn record_hint(hints: &mut FeedHints, freq: &mut Option<u32>, local: &str, text: &str) {
    let v = text.trim();
    match local {
        "ttl" => {
            if let Ok(mins) = v.parse::<u64>()
                && mins > 0
            {
                hints.ttl = Some(Duration::from_secs(mins.min(525_600) * 60));
            }
        }
        "updateperiod" => {
            let secs = match v.to_ascii_lowercase().as_str() {
                "hourly" => 3600,
                "daily" => 86_400,
                "weekly" => 7 * 86_400,
                "monthly" => 30 * 86_400,
                "yearly" => 365 * 86_400,
                _ => return,
            };
            hints.update_period = Some(Duration::from_secs(secs));
        }
        "updatefrequency" => {
            if let Ok(n) = v.parse::<u32>()
                && n > 0
            {
                *freq = Some(n);
            }
        }
        "hour" => {
            if let Ok(h) = v.parse::<u32>()
                && h <= 24
            {
                hints.skip_hours |= 1 << (h % 24);
            }
        }
        "day" => {
            let d = match v.to_ascii_lowercase().as_str() {
                "monday" => 0,
                "tuesday" => 1,
                "wednesday" => 2,
                "thursday" => 3,
                "friday" => 4,
                "saturday" => 5,
                "sunday" => 6,
                _ => return,
            };
            hints.skip_days |= 1 << d;
        }
        _ => {}
    }
}

/// A document within limits, with what the pass learned on the way.
#[derive(Debug, Default)]
pub struct Reshaped {
    pub text: String,
    pub hints: FeedHints,
    /// Per `item`/`entry`, in document order: its effective `xml:base` (absolute), when one
    /// is declared on it or an ancestor.
    pub item_bases: Vec<Option<Url>>,
}

fn xml_base_of(e: &BytesStart, parent: Option<&Url>) -> Option<Url> {
    let raw = e
        .attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.as_ref() == "xml:base")?
        .value
        .trim()
        .to_string();
    match parent {
        Some(p) => p.join(&raw).ok(),
        None => Url::parse(&raw).ok(),
    }
}

/// Checks `xml` is a complete document and rewrites it within the limits described in the
/// module docs; `doc_url` is where it was read from (the outermost `xml:base`).
pub fn reshape(xml: &str, doc_url: Option<&Url>) -> Result<Reshaped, ShapeError> {
    let used = used_prefixes(xml)?;
    let mut item_bases: Vec<Option<Url>> = Vec::new();
    let mut r = reader(xml);
    let mut out = String::with_capacity(xml.len());
    let mut hints = FeedHints::default();
    let mut freq: Option<u32> = None;
    let mut stack: Vec<Open> = Vec::new();
    // Depth of the element being skipped (too deep, or a category over the cap), if any.
    let mut skipping_from: Option<usize> = None;
    let mut depth = 0usize;
    loop {
        let ev = r.read_event().map_err(|e| malformed(&r, e))?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_start = matches!(ev, Event::Start(_));
                let local = local_lower(e.name().as_ref());
                let mut skip = skipping_from.is_some() || depth >= MAX_DEPTH;
                if !skip && is_category(&local) {
                    if let Some(parent) = stack.last_mut() {
                        parent.categories += 1;
                        skip = parent.categories > MAX_CATEGORIES;
                    }
                }
                let inherited = stack.last().and_then(|o| o.base.clone());
                let base = if skip {
                    None
                } else {
                    xml_base_of(e, inherited.as_ref().or(doc_url)).or(inherited.clone())
                };
                if !skip && (local == "item" || local == "entry") {
                    item_bases.push(base.clone());
                }
                if is_start {
                    if skip && skipping_from.is_none() {
                        skipping_from = Some(depth);
                    }
                    if !skip {
                        write_start(&mut out, e, &used, false, inherited.as_ref().or(doc_url));
                        let hint_text = wants_hint(&stack, &local).then(String::new);
                        stack.push(Open {
                            local,
                            base,
                            text_bytes: 0,
                            categories: 0,
                            hint_text,
                        });
                    }
                    depth += 1;
                } else if !skip {
                    write_start(&mut out, e, &used, true, inherited.as_ref().or(doc_url));
                    if depth == 0 {
                        break; // an empty root element
                    }
                }
            }
            Event::End(ref e) => {
                depth = depth.saturating_sub(1);
                if skipping_from == Some(depth) {
                    skipping_from = None;
                } else if skipping_from.is_none() {
                    if let Some(open) = stack.pop()
                        && let Some(text) = &open.hint_text
                    {
                        record_hint(&mut hints, &mut freq, &open.local, text);
                    }
                    out.push_str("</");
                    out.push_str(e.name().as_ref());
                    out.push('>');
                }
                if depth == 0 {
                    break;
                }
            }
            Event::Text(ref t) if skipping_from.is_none() && depth > 0 => {
                push_text(&mut out, stack.last_mut(), t, false);
            }
            Event::CData(ref t) if skipping_from.is_none() && depth > 0 => {
                push_text(&mut out, stack.last_mut(), t, true);
            }
            Event::GeneralRef(ref g) if skipping_from.is_none() && depth > 0 => {
                let name: &str = g;
                if let Some(open) = stack.last_mut()
                    && open.text_bytes < MAX_TEXT_BYTES
                {
                    open.text_bytes += name.len() + 2;
                    out.push('&');
                    out.push_str(name);
                    out.push(';');
                }
            }
            Event::Eof => {
                return Err(match stack.last() {
                    Some(open) if depth > 0 => ShapeError::Truncated(open.local.clone()),
                    _ if depth > 0 => ShapeError::Truncated("?".into()),
                    _ => ShapeError::NoRoot,
                });
            }
            // Comments, processing instructions, the declaration, the DOCTYPE, text outside
            // the root: dropped.
            _ => {}
        }
    }
    if let (Some(n), Some(period)) = (freq, hints.update_period) {
        hints.update_period = Some(period / n);
    }
    Ok(Reshaped {
        text: out,
        hints,
        item_bases,
    })
}

fn push_text(out: &mut String, open: Option<&mut Open>, text: &str, cdata: bool) {
    let Some(open) = open else { return };
    if open.text_bytes >= MAX_TEXT_BYTES {
        return;
    }
    let room = MAX_TEXT_BYTES - open.text_bytes;
    let mut cut = text;
    if text.len() > room {
        let mut end = room;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        cut = &text[..end];
        if !cdata
            && let Some(amp) = cut.rfind('&')
            && !cut[amp..].contains(';')
        {
            cut = &cut[..amp]; // do not cut a character reference in half
        }
    }
    open.text_bytes += cut.len();
    if let Some(h) = open.hint_text.as_mut()
        && h.len() < 64
    {
        h.push_str(cut);
    }
    if cdata {
        out.push_str("<![CDATA[");
        out.push_str(cut);
        out.push_str("]]>");
    } else {
        out.push_str(cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_documents_are_errors() {
        for doc in [
            "<rss version=\"2.0\"><channel><item><title>A</title></item><item><title>B",
            "<rss version=\"2.0\"><channel><item><title>A</title></item>",
            "<rss version=\"2.0\"><channel><item><description><![CDATA[half",
        ] {
            assert!(reshape(doc, None).is_err(), "{doc}");
        }
        assert!(matches!(
            reshape("<rss><channel><item><title>A</title></item>", None),
            Err(ShapeError::Truncated(_))
        ));
    }

    #[test]
    fn deep_subtrees_are_dropped() {
        let deep = "<x>".repeat(5000) + "bottom" + &"</x>".repeat(5000);
        let doc = format!("<rss><channel><item>{deep}<title>kept</title></item></channel></rss>");
        let out = reshape(&doc, None).unwrap().text;
        assert!(out.contains("<title>kept</title>"), "{out}");
        assert!(!out.contains("bottom"));
        assert!(out.len() < 2 * MAX_DEPTH * 4 + 200);
    }

    #[test]
    fn floods_are_capped() {
        let attrs: String = (0..1000).map(|i| format!(" a{i}=\"{i}\"")).collect();
        let ns: String = (0..500)
            .map(|i| format!(" xmlns:n{i}=\"urn:{i}\""))
            .collect();
        let cats = "<category>c</category>".repeat(500);
        let doc = format!(
            "<rss{ns}><channel><item{attrs}><n499:x>used</n499:x>{cats}</item></channel></rss>"
        );
        let out = reshape(&doc, None).unwrap().text;
        assert_eq!(
            out.matches(" xmlns:").count(),
            1,
            "only the used prefix stays"
        );
        assert!(out.contains("xmlns:n499=\"urn:499\""));
        assert_eq!(out.matches("<category>").count(), MAX_CATEGORIES);
        assert!(out.contains(" a63=\"63\"") && !out.contains(" a64=\"64\""));
    }

    #[test]
    fn long_text_is_cut_on_a_boundary() {
        let text = "é&amp;".repeat(MAX_TEXT_BYTES / 4);
        let doc = format!("<rss><channel><title>{text}</title></channel></rss>");
        let out = reshape(&doc, None).unwrap().text;
        assert!(out.len() <= MAX_TEXT_BYTES + 100);
        assert!(
            out.ends_with(";</title></channel></rss>")
                || out.ends_with("é</title></channel></rss>")
        );
    }

    #[test]
    fn channel_hints_are_read() {
        let doc = r#"<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel>
<title>T</title><ttl>60</ttl><sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>
<item><title>i</title><ttl>5</ttl></item>
<skipHours><hour>0</hour><hour>1</hour><hour>24</hour></skipHours>
<skipDays><day>Sunday</day></skipDays></channel></rss>"#;
        let h = reshape(doc, None).unwrap().hints;
        assert_eq!(h.ttl, Some(Duration::from_secs(3600)));
        assert_eq!(h.update_period, Some(Duration::from_secs(6 * 3600)));
        assert_eq!(h.skip_hours, 0b11);
        assert_eq!(h.skip_days, 1 << 6);
    }

    #[test]
    fn content_survives_the_rewrite() {
        let doc = "<?xml version=\"1.0\"?><!-- c --><rss version=\"2.0\"><channel><title a='x\"y'>A &amp; B &#233;</title><item><description><![CDATA[<p>hi</p>]]></description><e/></item></channel></rss>trailing junk <";
        let out = reshape(doc, None).unwrap().text;
        assert_eq!(
            out,
            "<rss version=\"2.0\"><channel><title a=\"x&quot;y\">A &amp; B &#233;</title><item><description><![CDATA[<p>hi</p>]]></description><e/></item></channel></rss>"
        );
    }

    #[test]
    fn xml_base_chains_are_resolved() {
        let doc = r#"<feed xml:base="https://b.example/blog/"><entry xml:base="2026/"><content xml:base="/media/">x</content></entry><entry><title>t</title></entry></feed>"#;
        let doc_url = Url::parse("http://127.0.0.1/f.xml").unwrap();
        let r = reshape(doc, Some(&doc_url)).unwrap();
        assert!(
            r.text
                .contains(r#"<entry xml:base="https://b.example/blog/2026/">"#),
            "{}",
            r.text
        );
        assert!(
            r.text
                .contains(r#"<content xml:base="https://b.example/media/">"#)
        );
        let bases: Vec<_> = r
            .item_bases
            .iter()
            .map(|b| b.as_ref().map(Url::as_str))
            .collect();
        assert_eq!(
            bases,
            [
                Some("https://b.example/blog/2026/"),
                Some("https://b.example/blog/")
            ]
        );
    }
}
