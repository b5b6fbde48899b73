//! Arbitrary item fields → sanitized the way the pipeline does → rendered as RSS, Atom and
//! JSON Feed by `bantin::render` (no store): every XML document is well-formed for quick-xml
//! (no forbidden character, no early CDATA end), the JSON parses, all three re-parse with
//! feed-rs with the same number of items, the HTML inside has nothing dangerous, and
//! sanitizing is idempotent: sanitize(sanitize(x)) == sanitize(x).
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/checks/mod.rs"]
mod checks;

#[derive(Arbitrary, Debug)]
struct Item {
    feed: String,
    feed_title: Option<String>,
    key: String,
    guid: Option<String>,
    link: Option<String>,
    title: String,
    summary: Option<String>,
    content: Option<String>,
    author: Option<String>,
    image: Option<String>,
    enclosure: Option<(String, String, Option<u64>)>,
    lang: Option<String>,
    categories: Vec<String>,
    published: i64,
    updated: i64,
}

#[derive(Arbitrary, Debug)]
struct Input {
    spec_title: String,
    spec_description: String,
    lang: Option<String>,
    page: u32,
    has_next: bool,
    items: Vec<Item>,
}

static CONFIG: LazyLock<bantin::config::Config> = LazyLock::new(checks::render_config);

fuzz_target!(|input: Input| {
    for i in &input.items {
        for html in [&i.summary, &i.content].into_iter().flatten() {
            if let Err(e) = checks::check_sanitize(html) {
                panic!("{e}");
            }
        }
    }
    let items: Vec<_> = input
        .items
        .iter()
        .take(20)
        .enumerate()
        .map(|(n, i)| {
            let raw = checks::RawItem {
                feed: i.feed.clone(),
                feed_title: i.feed_title.clone(),
                key: i.key.clone(),
                guid: i.guid.clone(),
                link: i.link.clone(),
                title: i.title.clone(),
                summary: i.summary.clone(),
                content: i.content.clone(),
                author: i.author.clone(),
                image: i.image.clone(),
                enclosure: i.enclosure.clone(),
                lang: i.lang.clone(),
                categories: i.categories.clone(),
                published: i.published,
                updated: i.updated,
            };
            checks::stored_item(n as i64 + 1, &raw)
        })
        .collect();
    let spec = checks::output_spec(
        &input.spec_title,
        &input.spec_description,
        input.lang.as_deref(),
    );
    let page = bantin::render::Page {
        number: input.page.clamp(1, 1000),
        has_next: input.has_next,
    };
    if let Err(e) = checks::check_render(&CONFIG, &spec, &items, page) {
        panic!("{e}");
    }
});
