//! The HTML index page for people (no JavaScript) and the OPML list for feed readers.

use std::fmt::Write;

use chrono::SecondsFormat;

use super::catalog::{OutputKind, OutputSpec};
use super::{Context, Format, escape_attr, escape_text, i18n};
use crate::model::{FeedStatus, StoredItem};

fn subscribe_links(ctx: &Context, spec: &OutputSpec) -> String {
    Format::ALL
        .iter()
        .map(|f| {
            format!(
                "<a href=\"{}\">{}</a>",
                escape_attr(&ctx.self_url(spec, *f)),
                match f {
                    Format::Rss => "RSS",
                    Format::Atom => "Atom",
                    Format::Json => "JSON",
                }
            )
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

pub fn render(
    ctx: &Context,
    outputs: &[OutputSpec],
    latest: &[(String, Vec<StoredItem>)],
    feeds: &[FeedStatus],
) -> String {
    let mut h = String::with_capacity(16 * 1024);
    let site = i18n::site_name();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(h, "<title>{site}</title>");
    for spec in outputs.iter().filter(|o| o.kind != OutputKind::Category) {
        for (f, mime) in [
            (Format::Rss, "application/rss+xml"),
            (Format::Atom, "application/atom+xml"),
            (Format::Json, "application/feed+json"),
        ] {
            let _ = writeln!(
                h,
                "<link rel=\"alternate\" type=\"{mime}\" title=\"{}\" href=\"{}\">",
                escape_attr(&spec.title),
                escape_attr(&ctx.self_url(spec, f))
            );
        }
    }
    h.push_str("<style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}\
h1{margin-bottom:0}nav{margin:.5rem 0 1rem;font-size:1.05em}h2{border-bottom:2px solid #c00;padding-bottom:.2rem;margin-top:2.5rem}\
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}\
.muted{color:#666;font-size:.9em}.err{color:#a00}a{color:#0645ad}ul{padding-left:1.2rem}</style>\n");
    h.push_str("</head>\n<body>\n");
    let _ = writeln!(
        h,
        "<h1>{site}</h1>\n<p class=\"muted\">{} · <a href=\"{}\">OPML</a></p>",
        escape_text("Vietnamese news, curated per language and category"),
        escape_attr(&ctx.url("opml"))
    );
    let nav: Vec<String> = outputs
        .iter()
        .filter(|o| o.kind == OutputKind::Language)
        .filter_map(|o| o.lang.as_deref())
        .map(|l| {
            format!(
                "<a href=\"#lang-{}\" lang=\"{}\">{}</a>",
                escape_attr(l),
                escape_attr(l),
                escape_text(i18n::language_name(l))
            )
        })
        .collect();
    let _ = writeln!(
        h,
        "<nav>{} · <a href=\"#sources\">Sources</a></nav>",
        nav.join(" · ")
    );
    for lang_spec in outputs.iter().filter(|o| o.kind == OutputKind::Language) {
        let lang = lang_spec.lang.as_deref().unwrap_or("en");
        let t = i18n::strings(lang);
        let _ = writeln!(
            h,
            "<section id=\"lang-{}\" lang=\"{}\">\n<h2>{}</h2>\n<p>{}: {}</p>",
            escape_attr(lang),
            escape_attr(lang),
            escape_text(i18n::language_name(lang)),
            escape_text(t.all_news),
            subscribe_links(ctx, lang_spec)
        );
        let _ = writeln!(h, "<h3>{}</h3>\n<table>", escape_text(t.categories));
        for c in outputs
            .iter()
            .filter(|o| o.kind == OutputKind::Category && o.lang.as_deref() == Some(lang))
        {
            let name = c.title.rsplit(" – ").next().unwrap_or(&c.title);
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td></tr>",
                escape_text(name),
                subscribe_links(ctx, c)
            );
        }
        h.push_str("</table>\n");
        let curated: Vec<_> = outputs
            .iter()
            .filter(|o| o.kind == OutputKind::Curated && o.lang.as_deref() == Some(lang))
            .collect();
        if !curated.is_empty() {
            let _ = writeln!(h, "<h3>{}</h3>\n<table>", escape_text(t.outputs));
            for c in curated {
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td>{}</td></tr>",
                    escape_text(&c.title),
                    subscribe_links(ctx, c)
                );
            }
            h.push_str("</table>\n");
        }
        if let Some((_, items)) = latest.iter().find(|(p, _)| *p == lang_spec.path) {
            let _ = writeln!(h, "<h3>{}</h3>\n<ul>", escape_text(t.latest));
            for item in items {
                let title = escape_text(&item.title);
                let linked = match &item.link {
                    Some(l) => format!(
                        "<a href=\"{}\" rel=\"noopener noreferrer\">{title}</a>",
                        escape_attr(l)
                    ),
                    None => title,
                };
                let _ = writeln!(
                    h,
                    "<li>{linked} <span class=\"muted\">— {} · <time datetime=\"{}\">{}</time></span></li>",
                    escape_text(&item.feed),
                    item.published.to_rfc3339_opts(SecondsFormat::Secs, true),
                    item.published.format("%Y-%m-%d %H:%M UTC")
                );
            }
            h.push_str("</ul>\n");
        }
        h.push_str("</section>\n");
    }
    let others: Vec<_> = outputs
        .iter()
        .filter(|o| o.kind == OutputKind::Curated && o.lang.is_none())
        .collect();
    if !others.is_empty() {
        h.push_str("<h2>More feeds</h2>\n<table>\n");
        for c in others {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td></tr>",
                escape_text(&c.title),
                subscribe_links(ctx, c)
            );
        }
        h.push_str("</table>\n");
    }
    h.push_str("<h2 id=\"sources\">Sources</h2>\n<table>\n<tr><th>Source</th><th>Items</th><th>Last fetch</th><th>Status</th></tr>\n");
    for f in feeds {
        let status = match (&f.error_class, &f.last_error) {
            (Some(class), Some(msg)) => format!(
                "<span class=\"err\">{}: {}</span>",
                escape_text(class),
                escape_text(msg)
            ),
            _ => escape_text(f.last_status.as_deref().unwrap_or("not fetched yet")),
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{status}</td></tr>",
            escape_text(&f.name),
            f.item_count,
            f.last_fetch
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_else(|| "—".into()),
        );
    }
    h.push_str("</table>\n</body>\n</html>\n");
    h
}

/// OPML 2.0 listing every output (in RSS form), grouped by language.
pub fn render_opml(ctx: &Context, outputs: &[OutputSpec]) -> String {
    let mut o = String::with_capacity(8 * 1024);
    o.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<opml version=\"2.0\">\n<head>\n");
    let _ = writeln!(o, "<title>{}</title>", escape_text(i18n::site_name()));
    o.push_str("</head>\n<body>\n");
    let mut groups: Vec<Option<&str>> = Vec::new();
    for spec in outputs {
        if !groups.contains(&spec.lang.as_deref()) {
            groups.push(spec.lang.as_deref());
        }
    }
    for lang in groups {
        let label = lang.map(i18n::language_name).unwrap_or("All languages");
        let _ = writeln!(o, "<outline text=\"{}\">", escape_attr(label));
        for spec in outputs.iter().filter(|s| s.lang.as_deref() == lang) {
            let _ = writeln!(
                o,
                "<outline type=\"rss\" text=\"{t}\" title=\"{t}\" xmlUrl=\"{}\" htmlUrl=\"{}\"/>",
                escape_attr(&ctx.self_url(spec, Format::Rss)),
                escape_attr(&ctx.url("")),
                t = escape_attr(&spec.title)
            );
        }
        o.push_str("</outline>\n");
    }
    o.push_str("</body>\n</opml>\n");
    o
}
