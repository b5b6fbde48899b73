//! Atom 1.0 (RFC 4287) writer.

use std::fmt::Write;

use chrono::SecondsFormat;

use super::catalog::OutputSpec;
use super::{Context, Entry, Format, cdata, escape_attr, escape_text, newest};
use crate::model::StoredItem;

pub(super) fn render(
    ctx: &Context,
    spec: &OutputSpec,
    entries: &[Entry],
    items: &[StoredItem],
    links: &[(&str, String)],
) -> String {
    let mut out = String::with_capacity(2048 + entries.len() * 2048);
    let self_url = ctx.self_url(spec, Format::Atom);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    match &spec.lang {
        Some(lang) => {
            let _ = writeln!(
                out,
                "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">",
                escape_attr(lang)
            );
        }
        None => out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n"),
    }
    let _ = writeln!(out, "<id>{}</id>", escape_text(&self_url));
    let _ = writeln!(
        out,
        "<title type=\"text\">{}</title>",
        escape_text(&spec.title)
    );
    let _ = writeln!(
        out,
        "<subtitle type=\"text\">{}</subtitle>",
        escape_text(&spec.description)
    );
    let _ = writeln!(
        out,
        "<updated>{}</updated>",
        newest(items).to_rfc3339_opts(SecondsFormat::Secs, true)
    );
    for (rel, href) in links {
        let kind = if *rel == "hub" {
            ""
        } else {
            " type=\"application/atom+xml\""
        };
        let _ = writeln!(
            out,
            "<link rel=\"{rel}\"{kind} href=\"{}\"/>",
            escape_attr(href)
        );
    }
    let _ = writeln!(
        out,
        "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
        escape_attr(&ctx.url(""))
    );
    let _ = writeln!(
        out,
        "<author><name>{}</name></author>",
        escape_text(super::i18n::site_name())
    );
    let _ = writeln!(
        out,
        "<generator version=\"{}\">bantin</generator>",
        env!("CARGO_PKG_VERSION")
    );
    for e in entries {
        let item = e.item;
        out.push_str("<entry>\n");
        let _ = writeln!(out, "<id>{}</id>", escape_text(&e.id));
        let _ = writeln!(
            out,
            "<title type=\"text\">{}</title>",
            escape_text(&item.title)
        );
        let _ = writeln!(
            out,
            "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
            escape_attr(&e.link)
        );
        for r in e.related {
            if let Some(link) = &r.link {
                let _ = writeln!(
                    out,
                    "<link rel=\"related\" type=\"text/html\" href=\"{}\" title=\"{}\"/>",
                    escape_attr(link),
                    escape_attr(&r.source)
                );
            }
        }
        let _ = writeln!(
            out,
            "<published>{}</published>",
            item.published.to_rfc3339_opts(SecondsFormat::Secs, true)
        );
        let _ = writeln!(
            out,
            "<updated>{}</updated>",
            item.updated
                .max(item.published)
                .to_rfc3339_opts(SecondsFormat::Secs, true)
        );
        let _ = writeln!(
            out,
            "<author><name>{}</name></author>",
            escape_text(item.author.as_deref().unwrap_or(&e.source_name))
        );
        for (id, name) in item.categories.iter().zip(&e.category_names) {
            let _ = writeln!(
                out,
                "<category term=\"{}\" label=\"{}\"/>",
                escape_attr(id),
                escape_attr(name)
            );
        }
        let _ = writeln!(out, "<content type=\"html\">{}</content>", cdata(&e.html));
        out.push_str("<source>\n");
        let source_id = e
            .source_feed_url
            .clone()
            .unwrap_or_else(|| format!("{}#source", e.id));
        let _ = writeln!(out, "<id>{}</id>", escape_text(&source_id));
        let _ = writeln!(
            out,
            "<title type=\"text\">{}</title>",
            escape_text(item.feed_title.as_deref().unwrap_or(&e.source_name))
        );
        if let Some(site) = &e.source_site {
            let _ = writeln!(
                out,
                "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
                escape_attr(site)
            );
        }
        if let Some(feed_url) = &e.source_feed_url {
            let _ = writeln!(
                out,
                "<link rel=\"self\" href=\"{}\"/>",
                escape_attr(feed_url)
            );
        }
        out.push_str("</source>\n</entry>\n");
    }
    out.push_str("</feed>\n");
    out
}
