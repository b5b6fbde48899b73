//! Bytes → `bantin::normalize::normalize`: never panics, and every item it returns keeps the
//! promises of `normalize` (plain titles without forbidden characters, http(s) links, HTML with
//! nothing dangerous in it when parsed by html5ever).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/checks/mod.rs"]
mod checks;

/// The first input byte picks the Content-Type header the document arrives with.
const CONTENT_TYPES: [Option<&str>; 8] = [
    None,
    Some("application/rss+xml"),
    Some("text/xml; charset=utf-8"),
    Some("text/xml; charset=windows-1252"),
    Some("application/atom+xml; charset=iso-8859-1"),
    Some("application/feed+json"),
    Some("text/html; charset=windows-1258"),
    Some("text/xml; charset=utf-16"),
];

fuzz_target!(|data: &[u8]| {
    let (content_type, body) = match data.split_first() {
        Some((b, rest)) => (CONTENT_TYPES[*b as usize % CONTENT_TYPES.len()], rest),
        None => (None, data),
    };
    let url = url::Url::parse("https://news.example/rss/home.rss").unwrap();
    if let Ok(feed) = bantin::normalize::normalize(body, content_type, &url)
        && let Err(e) = checks::check_parsed(&feed)
    {
        panic!("{e}");
    }
});
