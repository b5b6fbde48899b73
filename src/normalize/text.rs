//! Text cleanup: plain text from HTML-ish titles, sanitized HTML for summaries and content.

use std::collections::HashSet;
use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;
use url::Url;

use super::repair::strip_illegal;

/// Sanitizing bigger fragments gets slow (ammonia is quadratic on deep nesting) and no reader
/// needs them: longer HTML is cut, at a character boundary, before sanitizing.
pub const MAX_HTML_BYTES: usize = 256 * 1024;
/// Titles longer than this are cut with an ellipsis.
pub const MAX_TITLE_CHARS: usize = 400;

/// Collapses runs of whitespace to one space and trims.
pub fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Turns a title-like string (maybe HTML, maybe with entities) into plain NFC text.
pub fn plain_text(s: &str) -> String {
    let s = if s.contains(['<', '&']) {
        html_to_text(&truncate_bytes(s, MAX_HTML_BYTES))
    } else {
        s.to_string()
    };
    strip_illegal(&collapse_whitespace(&s).nfc().collect::<String>())
}

/// Cuts `s` to at most `max` characters, adding an ellipsis when it was longer.
pub fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((i, _)) => format!("{}…", s[..i].trim_end()),
    }
}

fn truncate_bytes(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if s.len() <= max {
        return s.into();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].into()
}

static TEXT_ONLY: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    b.clean_content_tags(HashSet::from(["script", "style", "template", "noscript"]));
    b
});

/// Strips every tag (keeping text, dropping script/style content) and decodes entities.
fn html_to_text(s: &str) -> String {
    let cleaned = TEXT_ONLY.clean(s).to_string();
    // html5ever's serializer escapes only these in text.
    cleaned
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// Sanitizes an HTML fragment: a safe subset of tags and attributes, URLs made absolute
/// against `base` (and dropped when they cannot be), only http/https/mailto links, NFC text.
pub fn sanitize_html(s: &str, base: Option<&Url>) -> String {
    let input = truncate_bytes(s, MAX_HTML_BYTES);
    let mut b = ammonia::Builder::default();
    b.url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer nofollow"))
        .strip_comments(true);
    match base {
        Some(base) if matches!(base.scheme(), "http" | "https") => {
            b.url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()));
        }
        _ => {
            b.url_relative(ammonia::UrlRelative::Deny);
        }
    }
    let cleaned = b.clean(&input).to_string();
    strip_illegal(cleaned.trim()).nfc().collect()
}

/// The first `<img src>` in sanitized HTML (whose attributes are always double-quoted).
pub fn first_image(html: &str) -> Option<String> {
    let at = html.find("<img ")?;
    let tag = &html[at..at + html[at..].find('>')?];
    let src = tag.find(" src=\"")? + 6;
    let end = tag[src..].find('"')?;
    let url = tag[src..src + end].replace("&amp;", "&");
    url.starts_with("http").then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_become_plain_text() {
        assert_eq!(
            plain_text("  <b>Hà&nbsp;Nội</b> &amp; <i>TP.HCM</i>\n"),
            "Hà Nội & TP.HCM"
        );
        assert_eq!(plain_text("a < b"), "a < b");
        assert_eq!(plain_text("x<script>alert(1)</script>y"), "xy");
        // NFD Vietnamese (as windows-1258 produces) comes out composed.
        assert_eq!(plain_text("Vie\u{323}\u{302}t"), "Việt");
    }

    #[test]
    fn html_is_sanitized_and_urls_absolute() {
        let base = Url::parse("https://vnexpress.net/rss/x.rss").unwrap();
        let got = sanitize_html(
            r#"<p onclick="x()">Hi <img src="/a.jpg"><a href="javascript:alert(1)">j</a><script>bad()</script><a href="b.html">b</a></p>"#,
            Some(&base),
        );
        assert!(
            !got.contains("onclick") && !got.contains("script") && !got.contains("javascript"),
            "{got}"
        );
        assert!(
            got.contains(r#"src="https://vnexpress.net/a.jpg""#),
            "{got}"
        );
        assert!(
            got.contains(r#"href="https://vnexpress.net/rss/b.html""#),
            "{got}"
        );
        assert_eq!(
            first_image(&got).as_deref(),
            Some("https://vnexpress.net/a.jpg")
        );
    }

    #[test]
    fn relative_urls_without_base_are_dropped() {
        let got = sanitize_html(r#"<a href="/x">x</a><img src="y.png">"#, None);
        assert!(
            !got.contains("href=\"/x\"") && !got.contains("y.png"),
            "{got}"
        );
    }
}
