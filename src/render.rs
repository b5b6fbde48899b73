//! Stored items → output documents: RSS 2.0, Atom 1.0 and JSON Feed 1.1, written by hand
//! (plain string building with careful escaping is both the fastest and the easiest to keep
//! valid), plus the catalog of outputs and the cache of rendered bytes.
//!
//! Rendering is a pure function of the items and the output's spec; the cache decides when to
//! call it. Dates come from the items, never the clock, so unchanged items render to
//! identical bytes and keep their ETag.

mod atom;
pub mod cache;
pub mod catalog;
pub mod i18n;
mod index;
mod json;
mod rss;
pub mod stories;

use chrono::{DateTime, Utc};
use url::Url;

use crate::config::Config;
use crate::model::StoredItem;
use catalog::OutputSpec;

/// The formats every output is served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Rss, Format::Atom, Format::Json];

    pub fn extension(self) -> &'static str {
        match self {
            Format::Rss => "rss",
            Format::Atom => "atom",
            Format::Json => "json",
        }
    }

    pub fn from_extension(ext: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.extension() == ext)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }
}

/// What every document needs besides its items.
pub struct Context<'a> {
    pub config: &'a Config,
    pub base_url: &'a Url,
}

impl Context<'_> {
    pub fn url(&self, path: &str) -> String {
        format!(
            "{}/{}",
            self.base_url.as_str().trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    }

    pub fn self_url(&self, spec: &OutputSpec, format: Format) -> String {
        self.url(&format!("feeds/{}.{}", spec.path, format.extension()))
    }
}

/// An item prepared for any format: attribution added, ids derived, names localized.
pub(crate) struct Entry<'a> {
    pub item: &'a StoredItem,
    /// A stable, globally unique id (`tag:` URI) that survives a rebuilt database.
    pub id: String,
    /// The original article, else the source's home page, else bantin's index: readers
    /// expect every item to link somewhere.
    pub link: String,
    /// Sanitized HTML body with the visible "Source: …" line at the end.
    pub html: String,
    /// Category display names in the output's language.
    pub category_names: Vec<String>,
    pub source_name: String,
    /// The origin feed's URL when it is an http(s) URL.
    pub source_feed_url: Option<String>,
    pub source_site: Option<String>,
    /// Other outlets that reported the same story.
    pub related: &'a [stories::Related],
}

pub(crate) fn entries<'a>(
    ctx: &Context,
    spec: &OutputSpec,
    items: &'a [StoredItem],
    related: &'a [Vec<stories::Related>],
) -> Vec<Entry<'a>> {
    let lang = spec.lang.as_deref().unwrap_or("en");
    let strings = i18n::strings(lang);
    let host = ctx.base_url.host_str().unwrap_or("bantin");
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let related: &[stories::Related] = related.get(i).map_or(&[], Vec::as_slice);
            let mut h = blake3::Hasher::new();
            h.update(item.feed.as_bytes());
            h.update(b"\0");
            h.update(item.key.as_bytes());
            let id = format!("tag:{host},2026:{}", &h.finalize().to_hex()[..32]);
            let source_name = item.feed.clone();
            let source_feed_url = Some(item.feed_url.clone()).filter(|u| u.starts_with("http"));
            let source_site = item.feed_site.clone().filter(|u| u.starts_with("http"));
            let body = item
                .content
                .as_deref()
                .or(item.summary.as_deref())
                .unwrap_or("");
            let attribution = match &item.link {
                Some(link) => format!(
                    "<p>{}: <a href=\"{}\">{}</a></p>",
                    strings.source,
                    escape_attr(link),
                    escape_text(&source_name)
                ),
                None => format!("<p>{}: {}</p>", strings.source, escape_text(&source_name)),
            };
            let attribution = if related.is_empty() {
                attribution
            } else {
                let names: Vec<String> = related
                    .iter()
                    .map(|r| match &r.link {
                        Some(l) => format!(
                            "<a href=\"{}\">{}</a>",
                            escape_attr(l),
                            escape_text(&r.source)
                        ),
                        None => escape_text(&r.source),
                    })
                    .collect();
                format!(
                    "{attribution}\n<p>{}: {}</p>",
                    strings.also_reported_by,
                    names.join(", ")
                )
            };
            let html = if body.is_empty() {
                attribution
            } else {
                format!("{body}\n{attribution}")
            };
            let category_names = item
                .categories
                .iter()
                .map(|id| {
                    ctx.config
                        .category(id)
                        .map(|c| c.display_name(lang).to_string())
                        .unwrap_or_else(|| id.clone())
                })
                .collect();
            let link = item
                .link
                .clone()
                .or_else(|| source_site.clone())
                .unwrap_or_else(|| ctx.url(""));
            Entry {
                item,
                id,
                link,
                html,
                category_names,
                source_name,
                source_feed_url,
                source_site,
                related,
            }
        })
        .collect()
}

/// The document's own date: the newest item's update, so unchanged items give equal bytes.
pub(crate) fn newest(items: &[StoredItem]) -> DateTime<Utc> {
    items
        .iter()
        .map(|i| i.updated.max(i.published))
        .max()
        .unwrap_or_else(|| DateTime::<Utc>::from_timestamp(0, 0).unwrap_or_default())
}

/// Renders one output in one format (items as given, nobody else credited).
pub fn render(ctx: &Context, spec: &OutputSpec, items: &[StoredItem], format: Format) -> String {
    render_page(ctx, spec, items, &[], format, Page::default())
}

/// Renders the first page of an output; `related[i]` are the other outlets that reported
/// `items[i]`'s story (see [`stories::collapse`]).
pub fn render_stories(
    ctx: &Context,
    spec: &OutputSpec,
    items: &[StoredItem],
    related: &[Vec<stories::Related>],
    format: Format,
) -> String {
    render_page(ctx, spec, items, related, format, Page::default())
}

/// Which page of an output a document is (RFC 5005 paged feeds: page 1 is the output
/// itself, older items follow on `?page=2`, `?page=3`…).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub number: u32,
    pub has_next: bool,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            number: 1,
            has_next: false,
        }
    }
}

/// The links every document carries besides `alternate`: self, RFC 5005 first / previous /
/// next, and WebSub hubs.
pub(crate) fn nav_links(
    ctx: &Context,
    spec: &OutputSpec,
    format: Format,
    page: Page,
) -> Vec<(&'static str, String)> {
    let url = |n: u32| {
        let base = ctx.self_url(spec, format);
        if n <= 1 {
            base
        } else {
            format!("{base}?page={n}")
        }
    };
    let mut links = vec![("self", url(page.number))];
    if page.number > 1 || page.has_next {
        links.push(("first", url(1)));
    }
    if page.number > 1 {
        links.push(("previous", url(page.number - 1)));
    }
    if page.has_next {
        links.push(("next", url(page.number + 1)));
    }
    for hub in &ctx.config.publish.hubs {
        links.push(("hub", hub.to_string()));
    }
    links
}

/// Renders one page of an output in one format.
pub fn render_page(
    ctx: &Context,
    spec: &OutputSpec,
    items: &[StoredItem],
    related: &[Vec<stories::Related>],
    format: Format,
    page: Page,
) -> String {
    let entries = entries(ctx, spec, items, related);
    let links = nav_links(ctx, spec, format, page);
    match format {
        Format::Rss => rss::render(ctx, spec, &entries, items, &links),
        Format::Atom => atom::render(ctx, spec, &entries, items, &links),
        Format::Json => json::render(ctx, spec, &entries, items, &links),
    }
}

/// Escapes text content for XML, dropping characters XML 1.0 forbids.
pub(crate) fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if crate::normalize::is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
    out
}

/// Escapes an attribute value for XML/HTML (double-quoted).
pub(crate) fn escape_attr(s: &str) -> String {
    escape_text(s).replace('"', "&quot;").replace('\'', "&#39;")
}

/// Wraps HTML in CDATA, splitting any `]]>` so the section cannot end early.
pub(crate) fn cdata(s: &str) -> String {
    let clean: String = s
        .chars()
        .filter(|c| crate::normalize::is_xml_char(*c))
        .collect();
    format!("<![CDATA[{}]]>", clean.replace("]]>", "]]]]><![CDATA[>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_text("a<b>&\u{1}c"), "a&lt;b&gt;&amp;c");
        assert_eq!(escape_attr("\"x'"), "&quot;x&#39;");
        assert_eq!(cdata("a]]>b"), "<![CDATA[a]]]]><![CDATA[>b]]>");
    }
}
