//! Output checks shared by `tests/properties.rs` and the fuzz targets in `fuzz/` (which
//! include this file by path): XML well-formedness with quick-xml, and dangerous markup in
//! HTML found by parsing it with html5ever (as a browser would), not by grepping.

#![allow(dead_code)]

use std::rc::Rc;

use html5ever::tendril::TendrilSink;
use html5ever::{QualName, local_name, ns};
use markup5ever_rcdom::{Handle, NodeData, RcDom};
use quick_xml::XmlVersion;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// A character XML 1.0 allows in a document.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{a}' | '\u{d}' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..='\u{10ffff}')
}

/// Parses `doc` as XML 1.0: one root element, matching end tags, bound namespace prefixes,
/// valid attributes (no duplicates), known entity and character references, no DOCTYPE, no
/// character XML forbids. Returns the HTML carried in CDATA sections (the item bodies), in
/// document order.
pub fn well_formed_xml(doc: &str) -> Result<Vec<String>, String> {
    if let Some((at, c)) = doc.char_indices().find(|(_, c)| !is_xml_char(*c)) {
        return Err(format!("forbidden character {c:?} at byte {at}"));
    }
    let mut reader = NsReader::from_str(doc);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.check_comments = true;
    config.allow_unmatched_ends = false;
    config.allow_dangling_amp = false;
    let mut depth = 0usize;
    let mut roots = 0usize;
    let mut cdata = Vec::new();
    loop {
        let pos = reader.buffer_position();
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| format!("at byte {pos}: {e}"))?;
        if let ResolveResult::Unknown(prefix) = ns {
            return Err(format!(
                "at byte {pos}: unbound namespace prefix {prefix:?}"
            ));
        }
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if depth == 0 {
                    roots += 1;
                    if roots > 1 {
                        return Err(format!("at byte {pos}: a second root element"));
                    }
                }
                for attr in e.attributes() {
                    let attr = attr.map_err(|e| format!("at byte {pos}: attribute: {e}"))?;
                    attr.normalized_value(XmlVersion::Implicit1_0)
                        .map_err(|e| format!("at byte {pos}: attribute value: {e}"))?;
                    if let (ResolveResult::Unknown(prefix), _) =
                        reader.resolver().resolve_attribute(attr.key)
                    {
                        return Err(format!(
                            "at byte {pos}: unbound attribute prefix {prefix:?}"
                        ));
                    }
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                }
            }
            Event::End(_) => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| format!("at byte {pos}: end tag without start"))?;
            }
            Event::Text(t) => {
                if depth == 0 && !t.xml10_content().trim().is_empty() {
                    return Err(format!("at byte {pos}: text outside the root element"));
                }
            }
            Event::GeneralRef(r) => {
                if depth == 0 {
                    return Err(format!("at byte {pos}: reference outside the root element"));
                }
                if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) if is_xml_char(c) => {}
                        other => {
                            return Err(format!(
                                "at byte {pos}: bad character reference {:?}: {other:?}",
                                &*r
                            ));
                        }
                    }
                } else if !matches!(&*r.xml10_content(), "amp" | "lt" | "gt" | "quot" | "apos") {
                    return Err(format!(
                        "at byte {pos}: undeclared entity &{};",
                        r.xml10_content()
                    ));
                }
            }
            Event::CData(c) => {
                if depth == 0 {
                    return Err(format!("at byte {pos}: CDATA outside the root element"));
                }
                cdata.push(c.xml10_content().into_owned());
            }
            Event::DocType(_) => return Err(format!("at byte {pos}: DOCTYPE in output")),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if depth != 0 {
        return Err(format!("{depth} element(s) left open at the end"));
    }
    if roots != 1 {
        return Err("no root element".into());
    }
    Ok(cdata)
}

/// Elements no sanitized HTML may contain, in any namespace.
const FORBIDDEN_ELEMENTS: &[&str] = &[
    "script",
    "style",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "base",
    "meta",
    "link",
    "svg",
    "math",
    "template",
    "noscript",
    "xmp",
    "plaintext",
    "noembed",
    "noframes",
    "portal",
    "marquee",
];

/// Attributes that hold URLs (including SVG's `xlink:href`, seen as local name `href`).
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "background",
    "poster",
    "cite",
    "data",
    "lowsrc",
    "dynsrc",
    "longdesc",
    "ping",
    "srcset",
    "usemap",
    "codebase",
    "manifest",
    "xmlns",
];

/// What a browser would see as the scheme of a URL attribute value (after the HTML parser
/// decoded entities): leading C0/space stripped, TAB/LF/CR removed anywhere, lower-cased.
fn url_scheme(value: &str) -> Option<String> {
    let cleaned: String = value
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let colon = cleaned.find(':')?;
    let head = &cleaned[..colon];
    if head.is_empty() || head.contains(['/', '?', '#']) {
        return None;
    }
    Some(head.to_ascii_lowercase())
}

/// Parses `html` as a fragment in a `<body>` (as a reader shows an item) and returns every
/// dangerous thing found: forbidden elements, `on*` handlers, `style` attributes, URL
/// attributes with a scheme other than http/https/mailto, comments.
pub fn dangerous_markup(html: &str) -> Vec<String> {
    let dom = html5ever::parse_fragment(
        RcDom::default(),
        Default::default(),
        QualName::new(None, ns!(html), local_name!("body")),
        vec![],
        true,
    )
    .one(html);
    let mut found = Vec::new();
    walk(&dom.document, &mut found);
    found
}

fn walk(node: &Handle, found: &mut Vec<String>) {
    match &node.data {
        NodeData::Element {
            name,
            attrs,
            template_contents,
            ..
        } => {
            let tag = name.local.to_ascii_lowercase();
            let tag = tag.as_str();
            if FORBIDDEN_ELEMENTS.contains(&tag) {
                found.push(format!("element <{tag}>"));
            }
            for a in attrs.borrow().iter() {
                let attr = a.name.local.to_ascii_lowercase();
                let attr = attr.as_str();
                if attr.starts_with("on") {
                    found.push(format!("handler {attr}= on <{tag}>"));
                }
                if attr == "style" {
                    found.push(format!("style= on <{tag}>"));
                }
                if URL_ATTRIBUTES.contains(&attr) {
                    // srcset is a list of "URL size" pairs.
                    let values: Vec<&str> = if attr == "srcset" {
                        a.value
                            .split(',')
                            .map(|p| p.split_whitespace().next().unwrap_or(""))
                            .collect()
                    } else {
                        vec![&a.value]
                    };
                    for v in values {
                        if let Some(scheme) = url_scheme(v)
                            && !matches!(scheme.as_str(), "http" | "https" | "mailto")
                        {
                            found.push(format!("{attr}=\"{v}\" on <{tag}>"));
                        }
                    }
                }
            }
            if let Some(t) = template_contents.borrow().as_ref() {
                walk(t, found);
            }
        }
        NodeData::Comment { .. } => found.push("comment".into()),
        NodeData::ProcessingInstruction { .. } => found.push("processing instruction".into()),
        _ => {}
    }
    for child in node.children.borrow().iter() {
        walk(&Rc::clone(child), found);
    }
}

// ---------------------------------------------------------------------------------------------
// bantin-specific properties, shared by the proptest harness and the fuzz targets.

use bantin::config::Config;
use bantin::model::{Enclosure, ParsedFeed, StoredItem};
use bantin::render::catalog::{OutputKind, OutputSpec};
use bantin::render::{Context, Format, Page};
use chrono::{DateTime, Utc};
use url::Url;

/// The base every synthetic item's URLs are resolved against.
pub const BASE: &str = "https://news.example/rss/home.rss";

/// A small valid config with two languages, two categories and a hub.
pub fn render_config() -> Config {
    let text = r#"
[server]
listen = "127.0.0.1:0"
base_url = "http://news.test/bản-tin"
[classify]
languages = ["vi", "en"]
[publish]
hubs = ["https://hub.example/"]
[[category]]
id = "thoi-su"
name = { vi = "Thời sự", en = "News & <Politics>" }
[[category]]
id = "the-thao"
name = { vi = "Thể thao" }
[[feed]]
name = "a"
url = "https://news.example/rss"
lang = "vi"
"#;
    Config::parse(text, std::path::Path::new("/nonexistent/feeds.toml"))
        .unwrap_or_else(|e| panic!("render config: {e}"))
}

/// Raw, arbitrary material for one stored item (what a fuzzer or a strategy produces).
#[derive(Debug, Clone, Default)]
pub struct RawItem {
    pub feed: String,
    pub feed_title: Option<String>,
    pub key: String,
    pub guid: Option<String>,
    /// Resolved against `BASE`; kept only when the result is http(s), like `normalize` does.
    pub link: Option<String>,
    pub title: String,
    /// HTML, sanitized before it becomes the stored summary/content (as the pipeline does).
    pub summary: Option<String>,
    pub content: Option<String>,
    pub author: Option<String>,
    pub image: Option<String>,
    pub enclosure: Option<(String, String, Option<u64>)>,
    pub lang: Option<String>,
    pub categories: Vec<String>,
    pub published: i64,
    pub updated: i64,
}

fn http_url(s: &str) -> Option<String> {
    let base = Url::parse(BASE).ok()?;
    let u = base.join(s.trim()).ok()?;
    matches!(u.scheme(), "http" | "https").then(|| u.to_string())
}

/// An instant from a raw number, within what `normalize` produces and the store holds: years
/// 0 to 9999 (`check_parsed` checks that promise on the normalizer's side).
pub fn instant(secs: i64) -> DateTime<Utc> {
    const MIN: i64 = -62_167_219_200; // 0000-01-01T00:00:00Z
    const MAX: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    DateTime::from_timestamp(secs.clamp(MIN, MAX), 0).unwrap_or_default()
}

/// Turns raw material into a `StoredItem` the way the pipeline would (sanitized HTML, http(s)
/// links), keeping every string's oddities (control characters, `]]>`, quotes) otherwise.
pub fn stored_item(id: i64, raw: &RawItem) -> StoredItem {
    let base = Url::parse(BASE).ok();
    let sanitize = |s: &String| bantin::normalize::text::sanitize_html(s, base.as_ref());
    let published = instant(raw.published);
    StoredItem {
        id,
        feed: raw.feed.clone(),
        feed_url: "https://news.example/rss".into(),
        feed_title: raw.feed_title.clone(),
        feed_site: Some("https://news.example/".into()),
        key: raw.key.clone(),
        guid: raw.guid.clone(),
        link: raw.link.as_deref().and_then(http_url),
        title: raw.title.clone(),
        summary: raw.summary.as_ref().map(sanitize).filter(|s| !s.is_empty()),
        content: raw.content.as_ref().map(sanitize).filter(|s| !s.is_empty()),
        author: raw.author.clone(),
        image: raw.image.as_deref().and_then(http_url),
        enclosure: raw.enclosure.as_ref().and_then(|(u, mime, length)| {
            Some(Enclosure {
                url: http_url(u)?,
                mime: mime.clone(),
                length: *length,
            })
        }),
        lang: raw.lang.clone(),
        categories: raw.categories.clone(),
        story: id,
        published,
        updated: instant(raw.updated),
        first_seen: published,
    }
}

/// An output spec with arbitrary title/description (they come from `feeds.toml`).
pub fn output_spec(title: &str, description: &str, lang: Option<&str>) -> OutputSpec {
    OutputSpec {
        path: "vi/thoi-su".into(),
        title: title.into(),
        description: description.into(),
        lang: lang.map(str::to_string),
        categories: vec!["thoi-su".into()],
        limit: 50,
        include: vec![],
        exclude: vec![],
        min_sources: 1,
        kind: OutputKind::Category,
    }
}

/// Renders `items` in every format and checks each document: XML well-formed (quick-xml)
/// with no dangerous markup in the HTML it carries (html5ever), JSON valid; every document
/// re-parses with feed-rs with the same number of items.
pub fn check_render(
    config: &Config,
    spec: &OutputSpec,
    items: &[StoredItem],
    page: Page,
) -> Result<(), String> {
    let base_url = config.server.base_url.clone();
    let ctx = Context {
        config,
        base_url: &base_url,
    };
    for format in Format::ALL {
        let doc = bantin::render::render_page(&ctx, spec, items, &[], format, page);
        let bodies: Vec<String> = match format {
            Format::Rss | Format::Atom => well_formed_xml(&doc)
                .map_err(|e| format!("{format:?} not well-formed: {e}\n{doc}"))?,
            Format::Json => {
                let v: serde_json::Value = serde_json::from_str(&doc)
                    .map_err(|e| format!("JSON does not parse: {e}\n{doc}"))?;
                let list = v["items"].as_array().ok_or("JSON without items")?;
                if list.len() != items.len() {
                    return Err(format!(
                        "JSON has {} items, not {}",
                        list.len(),
                        items.len()
                    ));
                }
                list.iter()
                    .map(|i| i["content_html"].as_str().unwrap_or("").to_string())
                    .collect()
            }
        };
        for html in &bodies {
            let bad = dangerous_markup(html);
            if !bad.is_empty() {
                return Err(format!("{format:?}: dangerous markup {bad:?} in {html:?}"));
            }
        }
        let parsed = feed_rs::parser::parse(doc.as_bytes())
            .map_err(|e| format!("{format:?}: feed-rs cannot re-parse: {e}\n{doc}"))?;
        if parsed.entries.len() != items.len() {
            return Err(format!(
                "{format:?}: feed-rs reads {} items, rendered {}\n{doc}",
                parsed.entries.len(),
                items.len()
            ));
        }
    }
    Ok(())
}

/// Sanitizing is idempotent and leaves nothing dangerous, with and without a base URL.
pub fn check_sanitize(raw: &str) -> Result<(), String> {
    let base = Url::parse(BASE).ok();
    for b in [base.as_ref(), None] {
        let once = bantin::normalize::text::sanitize_html(raw, b);
        let twice = bantin::normalize::text::sanitize_html(&once, b);
        if once != twice {
            return Err(format!(
                "not idempotent (base {b:?}):\n input: {raw:?}\n once:  {once:?}\n twice: {twice:?}"
            ));
        }
        // The fast path (no second clean when the output cannot parse differently) agrees
        // with always cleaning again, and the text of the output is what the HTML parser
        // would make of it.
        let reparsed = bantin::normalize::text::sanitize_html_reparsed(raw, b);
        if once != reparsed {
            return Err(format!(
                "the fast path differs (base {b:?}):\n input: {raw:?}\n fast:  {once:?}\n slow:  {reparsed:?}"
            ));
        }
        let text = bantin::normalize::text::sanitized_text(&once);
        let parsed = bantin::normalize::text::plain_text(&once);
        if text != parsed {
            return Err(format!(
                "sanitized_text differs from plain_text:\n html: {once:?}\n scan:  {text:?}\n parse: {parsed:?}"
            ));
        }
        let bad = dangerous_markup(&once);
        if !bad.is_empty() {
            return Err(format!(
                "dangerous markup {bad:?} left in {once:?} (input {raw:?})"
            ));
        }
        if once.chars().any(|c| !is_xml_char(c)) {
            return Err(format!("a character XML forbids left in {once:?}"));
        }
    }
    Ok(())
}

/// What `normalize` promises about every item it returns.
pub fn check_parsed(feed: &ParsedFeed) -> Result<(), String> {
    let clean = |what: &str, s: &str| -> Result<(), String> {
        match s.chars().find(|c| !is_xml_char(*c)) {
            Some(c) => Err(format!("{what} holds {c:?}: {s:?}")),
            None => Ok(()),
        }
    };
    if let Some(t) = &feed.meta.title {
        clean("feed title", t)?;
    }
    for item in &feed.items {
        // The renderers' date formats (RFC 2822, RFC 3339) hold years 0 to 9999.
        for d in [item.published, item.updated].into_iter().flatten() {
            if !(0..=9999).contains(&chrono::Datelike::year(&d)) {
                return Err(format!("date out of range: {d:?}"));
            }
        }
        if item.title.is_empty() {
            return Err("an item without a title".into());
        }
        clean("title", &item.title)?;
        for (what, url) in [("link", &item.link), ("image", &item.image)] {
            if let Some(u) = url
                && !Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
            {
                return Err(format!("{what} is not http(s): {u:?}"));
            }
        }
        for html in [&item.summary, &item.content].into_iter().flatten() {
            clean("html", html)?;
            let bad = dangerous_markup(html);
            if !bad.is_empty() {
                return Err(format!("dangerous markup {bad:?} in {html:?}"));
            }
        }
    }
    Ok(())
}

/// Parses `text` as a config: must not panic, and every problem has a position ≥ 1:1 that
/// lies inside the text (or just past its end).
pub fn check_config(text: &str) -> Result<(), String> {
    match Config::parse(text, std::path::Path::new("/nonexistent/feeds.toml")) {
        Ok(_) => Ok(()),
        Err(bantin::config::ConfigError::Invalid { problems, .. }) => {
            if problems.is_empty() {
                return Err("invalid without a problem".into());
            }
            let lines = text.split('\n').count();
            for p in problems {
                if p.line < 1 || p.col < 1 || p.line > lines.max(1) {
                    return Err(format!(
                        "bad position {}:{} for {:?}",
                        p.line, p.col, p.message
                    ));
                }
                if p.message.trim().is_empty() {
                    return Err(format!("empty message at {}:{}", p.line, p.col));
                }
            }
            Ok(())
        }
        Err(e) => Err(format!("unexpected error: {e}")),
    }
}
