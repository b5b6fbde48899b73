//! RSS 2.0 writer.

use std::fmt::Write;

use super::catalog::OutputSpec;
use super::{Context, Entry, cdata, escape_attr, escape_text, newest};
use crate::model::StoredItem;

pub(super) fn render(
    ctx: &Context,
    spec: &OutputSpec,
    entries: &[Entry],
    items: &[StoredItem],
    links: &[(&str, String)],
) -> String {
    let mut out = String::with_capacity(2048 + entries.len() * 2048);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel>\n");
    let _ = writeln!(out, "<title>{}</title>", escape_text(&spec.title));
    let _ = writeln!(out, "<link>{}</link>", escape_text(&ctx.url("")));
    let _ = writeln!(
        out,
        "<description>{}</description>",
        escape_text(&spec.description)
    );
    if let Some(lang) = &spec.lang {
        let _ = writeln!(out, "<language>{}</language>", escape_text(lang));
    }
    for (rel, href) in links {
        let kind = if *rel == "hub" {
            ""
        } else {
            " type=\"application/rss+xml\""
        };
        let _ = writeln!(
            out,
            "<atom:link rel=\"{rel}\"{kind} href=\"{}\"/>",
            escape_attr(href)
        );
    }
    let _ = writeln!(
        out,
        "<lastBuildDate>{}</lastBuildDate>",
        newest(items).to_rfc2822()
    );
    let _ = writeln!(
        out,
        "<generator>bantin {}</generator>",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(
        out,
        "<docs>https://www.rssboard.org/rss-specification</docs>"
    );
    for e in entries {
        let item = e.item;
        out.push_str("<item>\n");
        let _ = writeln!(out, "<title>{}</title>", escape_text(&item.title));
        let _ = writeln!(out, "<link>{}</link>", escape_text(&e.link));
        let _ = writeln!(out, "<description>{}</description>", cdata(&e.html));
        if let Some(author) = &item.author {
            let _ = writeln!(out, "<dc:creator>{}</dc:creator>", escape_text(author));
        }
        for name in &e.category_names {
            let _ = writeln!(out, "<category>{}</category>", escape_text(name));
        }
        let _ = writeln!(
            out,
            "<guid isPermaLink=\"false\">{}</guid>",
            escape_text(&e.id)
        );
        let _ = writeln!(out, "<pubDate>{}</pubDate>", item.published.to_rfc2822());
        if let Some(enc) = &item.enclosure {
            let _ = writeln!(
                out,
                "<enclosure url=\"{}\" length=\"{}\" type=\"{}\"/>",
                escape_attr(&enc.url),
                enc.length.unwrap_or(0),
                escape_attr(&enc.mime)
            );
        }
        if let Some(src) = e.source_feed_url.as_ref().or(e.source_site.as_ref()) {
            let _ = writeln!(
                out,
                "<source url=\"{}\">{}</source>",
                escape_attr(src),
                escape_text(&e.source_name)
            );
        }
        // Other outlets that reported the story, machine-readable.
        for r in e.related {
            if let Some(link) = &r.link {
                let _ = writeln!(
                    out,
                    "<atom:link rel=\"related\" type=\"text/html\" href=\"{}\" title=\"{}\"/>",
                    escape_attr(link),
                    escape_attr(&r.source)
                );
            }
        }
        out.push_str("</item>\n");
    }
    out.push_str("</channel>\n</rss>\n");
    out
}
