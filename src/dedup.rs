//! Identity: which stored item an incoming entry is (its key within a feed), and which URLs
//! are the same page (canonical URLs, the first rule of story identity across sources).
//!
//! Keys must be deterministic: feed-rs invents a random id for some entries, so bantin never
//! stores the parser's id, only the source's own guid or what is derived here.

use url::Url;

/// Query parameters that only track the reader and never select content.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "yclid",
    "igshid", "_hsenc", "_hsmi", "ref_src", "cmpid", "icid", "spm",
];

/// The canonical form of a URL: lower-case scheme and host (the `url` crate does that), no
/// default port, no fragment, no tracking parameters, no leading `www.`; the path is kept as
/// is (a trailing slash can select a different page on some sites).
pub fn canonical_url(u: &str) -> Option<String> {
    let mut url = Url::parse(u.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.set_fragment(None);
    if let Some(host) = url.host_str().map(str::to_string)
        && let Some(bare) = host.strip_prefix("www.")
    {
        url.set_host(Some(bare)).ok()?;
    }
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            !k.starts_with("utm_") && !TRACKING_PARAMS.contains(&k.as_str())
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    // http and https serve the same article on news sites.
    let s = url.to_string();
    Some(
        s.strip_prefix("http://")
            .map(|r| format!("https://{r}"))
            .unwrap_or(s),
    )
}

/// The identity of an entry within its feed: its guid, else its canonical link, else a hash
/// of its title and date.
pub fn item_key(guid: Option<&str>, link: Option<&str>, title: &str, date: Option<&str>) -> String {
    if let Some(g) = guid.map(str::trim).filter(|g| !g.is_empty()) {
        return format!("g:{g}");
    }
    if let Some(l) = link.and_then(canonical_url) {
        return format!("l:{l}");
    }
    let mut h = blake3::Hasher::new();
    h.update(title.as_bytes());
    h.update(b"\0");
    h.update(date.unwrap_or("").as_bytes());
    format!("h:{}", &h.finalize().to_hex()[..32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_urls() {
        assert_eq!(
            canonical_url("HTTP://WWW.VnExpress.net:80/a-1.html?utm_source=rss&id=3&fbclid=x#top")
                .as_deref(),
            Some("https://vnexpress.net/a-1.html?id=3")
        );
        assert_eq!(
            canonical_url("https://e.vnexpress.net:443/news/x").as_deref(),
            Some("https://e.vnexpress.net/news/x")
        );
        assert_eq!(canonical_url("javascript:alert(1)"), None);
    }

    #[test]
    fn keys_prefer_guid_then_link_then_hash() {
        assert_eq!(
            item_key(Some(" 42 "), Some("http://a/x"), "t", None),
            "g:42"
        );
        assert_eq!(
            item_key(None, Some("http://a/x?utm_medium=rss"), "t", None),
            "l:https://a/x"
        );
        let h1 = item_key(None, None, "t", Some("2026-01-01"));
        assert_eq!(h1, item_key(None, None, "t", Some("2026-01-01")));
        assert_ne!(h1, item_key(None, None, "t", Some("2026-01-02")));
    }
}
