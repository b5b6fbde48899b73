//! JSON Feed 1.1 writer, with a `_bantin` extension carrying the attribution.

use chrono::SecondsFormat;
use serde_json::{Value, json};

use super::catalog::OutputSpec;
use super::{Context, Entry, Format};
use crate::model::StoredItem;

pub(super) fn render(
    ctx: &Context,
    spec: &OutputSpec,
    entries: &[Entry],
    _items: &[StoredItem],
    links: &[(&str, String)],
) -> String {
    let items: Vec<Value> = entries
        .iter()
        .map(|e| {
            let item = e.item;
            let mut v = json!({
                "id": e.id,
                "title": item.title,
                "content_html": e.html,
                "date_published": item.published.to_rfc3339_opts(SecondsFormat::Secs, true),
                "date_modified": item.updated.max(item.published).to_rfc3339_opts(SecondsFormat::Secs, true),
                "authors": [{ "name": item.author.as_deref().unwrap_or(&e.source_name) }],
                "_bantin": {
                    "about": "https://github.com/bantin/bantin#json-feed-extension",
                    "source": {
                        "title": e.source_name,
                        "home_page_url": e.source_site,
                        "feed_url": e.source_feed_url,
                    },
                    "also_reported_by": e.related.iter().map(|r| json!({
                        "title": r.source,
                        "url": r.link,
                    })).collect::<Vec<_>>(),
                },
            });
            let obj = v.as_object_mut().expect("a JSON object");
            obj.insert("url".into(), json!(e.link));
            if let Some(image) = &item.image {
                obj.insert("image".into(), json!(image));
            }
            if let Some(lang) = &item.lang {
                obj.insert("language".into(), json!(lang));
            }
            if !e.category_names.is_empty() {
                obj.insert("tags".into(), json!(e.category_names));
            }
            if let Some(enc) = &item.enclosure {
                let mut a = json!({ "url": enc.url, "mime_type": enc.mime });
                if let Some(len) = enc.length {
                    a["size_in_bytes"] = json!(len);
                }
                obj.insert("attachments".into(), json!([a]));
            }
            v
        })
        .collect();
    let mut feed = json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": spec.title,
        "description": spec.description,
        "home_page_url": ctx.url(""),
        "feed_url": links.iter().find(|(r, _)| *r == "self").map(|(_, h)| h.clone()).unwrap_or_else(|| ctx.self_url(spec, Format::Json)),
        "authors": [{ "name": super::i18n::site_name() }],
        "items": items,
    });
    if let Some(lang) = &spec.lang {
        feed["language"] = json!(lang);
    }
    if let Some((_, next)) = links.iter().find(|(r, _)| *r == "next") {
        feed["next_url"] = json!(next);
    }
    let hubs: Vec<Value> = links
        .iter()
        .filter(|(r, _)| *r == "hub")
        .map(|(_, h)| json!({ "type": "WebSub", "url": h }))
        .collect();
    if !hubs.is_empty() {
        feed["hubs"] = json!(hubs);
    }
    let mut s = serde_json::to_string_pretty(&feed).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}
