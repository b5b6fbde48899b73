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
/// HTML nested deeper than this is flattened before sanitizing (ammonia is quadratic in depth).
pub const MAX_HTML_DEPTH: usize = 100;

/// Elements that never have content, so never deepen the tree.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// Drops the tags (keeping their text) of elements nested deeper than `max`, so that the
/// sanitizer's cost stays linear. A cheap scan, not a parser: the sanitizer still fixes
/// whatever structure is left.
pub fn flatten_deep_html(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    // Cheap exit: fewer tags than the limit cannot nest deeper than it.
    if s.bytes().filter(|b| *b == b'<').count() <= max {
        return s.into();
    }
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    // Start tags dropped because too deep, whose end tags must be dropped too.
    let mut dropped = 0usize;
    let mut flattened = false;
    let mut i = 0;
    let mut copied = 0;
    while let Some(off) = s[i..].find('<') {
        let lt = i + off;
        let rest = &s[lt..];
        // Find the end of this markup (quotes respected inside tags).
        let end = if rest.starts_with("<!--") {
            rest.find("-->").map(|e| lt + e + 3)
        } else {
            let mut quote: Option<u8> = None;
            let mut found = None;
            for (k, &b) in bytes[lt + 1..].iter().enumerate() {
                match (quote, b) {
                    (Some(q), b) if b == q => quote = None,
                    (Some(_), _) => {}
                    (None, b'"' | b'\'') => quote = Some(b),
                    (None, b'>') => {
                        found = Some(lt + 1 + k + 1);
                        break;
                    }
                    _ => {}
                }
            }
            found
        };
        let Some(end) = end else { break };
        let tag = &s[lt..end];
        let closing = tag.starts_with("</");
        let name: String = tag[if closing { 2 } else { 1 }..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let mut keep = true;
        if !name.is_empty() {
            if closing {
                if dropped > 0 {
                    dropped -= 1;
                    keep = false;
                } else {
                    depth = depth.saturating_sub(1);
                }
            } else if !tag.ends_with("/>") && !VOID.contains(&name.as_str()) {
                if depth >= max {
                    dropped += 1;
                    keep = false;
                } else {
                    depth += 1;
                }
            }
        }
        if !keep {
            out.push_str(&s[copied..lt]);
            copied = end;
            flattened = true;
        }
        i = end;
    }
    if !flattened {
        return s.into();
    }
    out.push_str(&s[copied..]);
    out.into()
}

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
        html_to_text(&flatten_deep_html(
            &truncate_bytes(s, MAX_HTML_BYTES),
            MAX_HTML_DEPTH,
        ))
    } else {
        s.to_string()
    };
    strip_illegal(&nfc(collapse_whitespace(&s)))
}

/// `s` in Unicode NFC. Feeds are nearly always NFC already: the quick check (no allocation)
/// skips the decompose/recompose pass for them.
pub fn nfc(s: String) -> String {
    match nfc_str(&s) {
        std::borrow::Cow::Borrowed(_) => s,
        std::borrow::Cow::Owned(composed) => composed,
    }
}

/// [`nfc`] of a borrowed string: borrowed back when it is NFC already (item text always is,
/// so story profiles and classification only check).
pub fn nfc_str(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_ascii()
        || unicode_normalization::is_nfc_quick(s.chars())
            == unicode_normalization::IsNormalized::Yes
    {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(s.nfc().collect())
    }
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

/// Elements a browser lays out as their own block or line: their text never runs into the
/// text around them.
const BREAKING: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "tr",
    "ul",
];

/// A space before every tag of a `BREAKING` element, so that `<p>one</p><p>two</p>` reads
/// "one two", not "onetwo" (the tags themselves are removed afterwards).
fn space_out_blocks(s: &str) -> std::borrow::Cow<'_, str> {
    let breaking_at = |at: usize| {
        let rest = s[at + 1..].strip_prefix('/').unwrap_or(&s[at + 1..]);
        let name_len = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        let follows = rest[name_len..].chars().next();
        name_len > 0
            && matches!(
                follows,
                None | Some('>' | '/' | ' ' | '\t' | '\n' | '\r' | '\x0c')
            )
            && BREAKING.contains(&rest[..name_len].to_ascii_lowercase().as_str())
    };
    if !s.match_indices('<').any(|(at, _)| breaking_at(at)) {
        return s.into();
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut copied = 0;
    for (at, _) in s.match_indices('<') {
        if breaking_at(at) {
            out.push_str(&s[copied..at]);
            out.push(' ');
            copied = at;
        }
    }
    out.push_str(&s[copied..]);
    out.into()
}

/// Strips every tag (keeping text, dropping script/style content) and decodes entities.
fn html_to_text(s: &str) -> String {
    let cleaned = TEXT_ONLY.clean(&space_out_blocks(s)).to_string();
    // html5ever's serializer escapes only these in text.
    cleaned
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// Whether a URL (as an attribute value, entities already decoded) would run script or
/// embed a document: `javascript:`, `vbscript:`, `data:` — however it is split by whitespace
/// or control characters, or spelled with `&colon;`.
pub fn is_dangerous_url(value: &str) -> bool {
    // Nearly every URL has nothing to squeeze: then look at each `:` in place, without
    // allocating (the same test as below on the same text).
    if !value.contains('&') && !value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        let b = value.as_bytes();
        return value.match_indices(':').any(|(i, _)| {
            ["javascript", "vbscript", "livescript", "data"]
                .iter()
                .any(|s| {
                    i >= s.len()
                        && b[i - s.len()..i].eq_ignore_ascii_case(s.as_bytes())
                        && (i == s.len() || b[i - s.len() - 1] == b'/')
                })
        });
    }
    let squeezed: String = value
        .replace("&colon;", ":")
        .replace("&#58;", ":")
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    ["javascript:", "vbscript:", "livescript:", "data:"]
        .iter()
        .any(|s| squeezed.starts_with(s) || squeezed.contains(&format!("/{s}")))
}

/// Sanitizes an HTML fragment: a safe subset of tags and attributes, URLs made absolute
/// against `base` (and dropped when they cannot be), only http/https/mailto links, NFC text.
pub fn sanitize_html(s: &str, base: Option<&Url>) -> String {
    sanitize(s, base, true)
}

/// Sanitizes like [`sanitize_html`] but always cleans the output again to check it is stable,
/// never trusting [`may_reparse_differently`]: tests compare the two on real feeds.
#[doc(hidden)]
pub fn sanitize_html_reparsed(s: &str, base: Option<&Url>) -> String {
    sanitize(s, base, false)
}

/// [`sanitize_html`]; `trust_scan` lets [`may_reparse_differently`] skip the second clean.
fn sanitize(s: &str, base: Option<&Url>, trust_scan: bool) -> String {
    let input = truncate_bytes(s, MAX_HTML_BYTES);
    let input = flatten_deep_html(&input, MAX_HTML_DEPTH);
    with_sanitizer(base, |b| {
        // Illegal characters go before trimming, so that what they hid at the ends is trimmed
        // too, and a leading U+FEFF goes as the HTML parser would drop it.
        let clean = |html: &str| {
            let cleaned = b.clean(html).to_string();
            nfc(strip_illegal(&cleaned)
                .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
                .to_string())
        };
        // A sanitized tree does not always serialize to HTML that parses back to it (an `<a>`
        // inside an `<a>` left by the adoption agency, foster-parented table content, a `<p>`
        // around a block once a forbidden wrapper is unwrapped): clean again until nothing
        // changes (one more pass in practice), so that readers parse what was sanitized and
        // sanitizing stays idempotent. The scan tells when nothing can change.
        let mut cleaned = clean(&input);
        for _ in 0..2 {
            if (trust_scan && !may_reparse_differently(&cleaned)) || !cleaned.contains('<') {
                break;
            }
            let again = clean(&cleaned);
            if again == cleaned {
                break;
            }
            cleaned = again;
        }
        cleaned
    })
}

/// Elements whose serialization always parses back to the same tree, as long as none of the
/// nesting rules in [`may_reparse_differently`] applies. Anything else (tables, lists of
/// definitions inside paragraphs, ruby, `pre` and its leading newline, …) takes the slow
/// path.
#[rustfmt::skip]
const PLAIN_NESTING: &[&str] = &[
    "a", "abbr", "acronym", "address", "article", "aside", "b", "bdi", "bdo", "blockquote",
    "br", "center", "cite", "code", "data", "del", "dfn", "div", "em", "figcaption", "figure",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "i", "img", "ins",
    "kbd", "li", "mark", "nav", "ol", "p", "q", "s", "samp", "section", "small", "span",
    "strike", "strong", "sub", "sup", "time", "tt", "u", "ul", "var", "wbr",
];

/// Start tags that close an open `p` (HTML's tree construction, "in body").
#[rustfmt::skip]
const CLOSES_P: &[&str] = &[
    "address", "article", "aside", "blockquote", "center", "div", "figcaption", "figure",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "nav", "ol", "p",
    "section", "ul",
];

/// Whether parsing `html` — html5ever's serialization of a sanitized fragment — again could
/// build another tree, so that [`sanitize_html`] must clean it once more to reach a stable
/// result. A conservative scan (false only when it is sure): it follows the elements that are
/// open and answers true on any element outside [`PLAIN_NESTING`] and on the nestings that the
/// parser rewrites: a block start tag inside a `p` (which closes the `p`), an `a` inside an
/// `a` (the adoption agency), a heading inside a heading, an `li` inside an `li`. Serialized
/// trees are otherwise well nested, attribute values are double-quoted, and text escapes
/// `<`, so a second parse rebuilds them as they were. Cleaning again costs a full parse,
/// half of the sanitizer's time.
pub fn may_reparse_differently(html: &str) -> bool {
    if !html.contains('<') {
        return false;
    }
    let mut open: Vec<&str> = Vec::new();
    for piece in SerializedHtml(html) {
        let (name, closing) = match piece {
            Piece::Text(_) => continue,
            Piece::Unterminated => return true,
            Piece::Tag { name, closing } => (name, closing),
        };
        if !PLAIN_NESTING.contains(&name) {
            return true;
        }
        if closing {
            // Serialized trees close what they opened, innermost first.
            if open.pop() != Some(name) {
                return true;
            }
            continue;
        }
        let inside = |n: &str| open.contains(&n);
        let heading = |n: &str| matches!(n, "h1" | "h2" | "h3" | "h4" | "h5" | "h6");
        if (CLOSES_P.contains(&name) && inside("p"))
            || (name == "a" && inside("a"))
            || (heading(name) && open.iter().any(|n| heading(n)))
            || (name == "li" && inside("li"))
        {
            return true;
        }
        if !VOID.contains(&name) {
            open.push(name);
        }
    }
    !open.is_empty()
}

/// The plain text of sanitized HTML (what [`sanitize_html`] returned), the same as
/// [`plain_text`] would make of it, without parsing it again: serialized HTML is regular
/// enough to strip its tags with a scan, and only `&amp;`, `&lt;`, `&gt;` and `&nbsp;` are
/// escaped in text.
pub fn sanitized_text(html: &str) -> String {
    if !html.contains(['<', '&']) {
        return strip_illegal(&nfc(collapse_whitespace(html)));
    }
    let mut text = String::with_capacity(html.len());
    for piece in SerializedHtml(html) {
        match piece {
            Piece::Text(t) => text.push_str(t),
            Piece::Tag { name, .. } if BREAKING.contains(&name.to_ascii_lowercase().as_str()) => {
                text.push(' ')
            }
            Piece::Tag { .. } | Piece::Unterminated => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    strip_illegal(&nfc(collapse_whitespace(&text)))
}

/// A piece of serialized HTML (html5ever's output: attribute values double-quoted, `<` in
/// text escaped, so a tag runs to the first `>` outside quotes).
enum Piece<'a> {
    Text(&'a str),
    Tag {
        name: &'a str,
        closing: bool,
    },
    /// A `<` with no end: not serializer output.
    Unterminated,
}

/// The pieces of serialized HTML, in order.
struct SerializedHtml<'a>(&'a str);

impl<'a> Iterator for SerializedHtml<'a> {
    type Item = Piece<'a>;

    fn next(&mut self) -> Option<Piece<'a>> {
        let rest = self.0;
        if rest.is_empty() {
            return None;
        }
        let at = rest.find('<').unwrap_or(rest.len());
        if at > 0 {
            self.0 = &rest[at..];
            return Some(Piece::Text(&rest[..at]));
        }
        let inner = &rest[1..];
        let mut quoted = false;
        let Some(end) = inner.find(|c: char| {
            if c == '"' {
                quoted = !quoted;
            }
            c == '>' && !quoted
        }) else {
            self.0 = "";
            return Some(Piece::Unterminated);
        };
        self.0 = &inner[end + 1..];
        let tag = &inner[..end];
        let (closing, tag) = match tag.strip_prefix('/') {
            Some(t) => (true, t),
            None => (false, tag),
        };
        let name_len = tag
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(tag.len());
        Some(Piece::Tag {
            name: &tag[..name_len],
            closing,
        })
    }
}

thread_local! {
    /// The sanitizer last built on this thread and the base it was built for: building one
    /// fills several hash sets, and consecutive calls (the items of one feed) share a base.
    static SANITIZER: std::cell::RefCell<Option<(Option<Url>, ammonia::Builder<'static>)>> =
        const { std::cell::RefCell::new(None) };
}

fn with_sanitizer<T>(base: Option<&Url>, f: impl FnOnce(&ammonia::Builder<'static>) -> T) -> T {
    SANITIZER.with(|cell| {
        let mut cached = cell.borrow_mut();
        if cached.as_ref().is_none_or(|(b, _)| b.as_ref() != base) {
            *cached = Some((base.cloned(), sanitizer(base)));
        }
        let (_, builder) = cached.as_ref().expect("just set");
        f(builder)
    })
}

/// The sanitizer for fragments whose relative URLs resolve against `base`.
fn sanitizer(base: Option<&Url>) -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer nofollow"))
        .strip_comments(true)
        .attribute_filter(|_element, attribute, value| {
            if matches!(attribute, "href" | "src" | "cite" | "longdesc" | "srcset")
                && is_dangerous_url(value)
            {
                None
            } else {
                Some(value.into())
            }
        });
    match base {
        Some(base) if matches!(base.scheme(), "http" | "https") => {
            b.url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()));
        }
        _ => {
            b.url_relative(ammonia::UrlRelative::Deny);
        }
    }
    b
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
    fn dangerous_urls_fast_path() {
        for (v, bad) in [
            ("https://example.com/a.jpg", false),
            ("JavaScript:alert(1)", true),
            ("/x/javascript:alert(1)", true),
            ("https://x/?q=data:text", false),
            ("https://x/data:text", true),
            ("data:image/png;base64,AAAA", true),
            ("java\tscript:alert(1)", true),
            ("javascript&colon;alert(1)", true),
            ("mailto:a@b.c", false),
            ("xjavascript:1", false),
            ("Việt/vbscript:x", true),
        ] {
            assert_eq!(is_dangerous_url(v), bad, "{v:?}");
        }
    }

    #[test]
    fn serialized_trees_that_reparse_the_same_skip_the_second_clean() {
        for (html, slow) in [
            ("plain text", false),
            ("<p>one</p><p>two <a href=\"/x\">link</a></p>", false),
            ("<ul><li>a</li><li>b</li></ul>", false),
            ("<img alt=\"a > b\" src=\"x.jpg\"><br>", false),
            (
                "<figure><img src=\"x.jpg\"><figcaption>c</figcaption></figure>",
                false,
            ),
            // The parser would rewrite these.
            ("<p><div>block in p</div></p>", true),
            ("<a href=\"x\"><a href=\"y\">nested</a></a>", true),
            ("<h2><h3>heading in heading</h3></h2>", true),
            ("<ul><li><ul><li>nested list</li></ul></li></ul>", true),
            ("<table><tbody><tr><td>c</td></tr></tbody></table>", true),
            ("<pre>\ncode</pre>", true),
            ("<p>unclosed", true),
            ("<b>misnested<i></b></i>", true),
        ] {
            assert_eq!(may_reparse_differently(html), slow, "{html}");
        }
    }

    #[test]
    fn sanitized_text_is_the_parsed_text() {
        for html in [
            "<p>Hà&nbsp;Nội</p><p>hai &amp; ba &lt;b&gt;</p>",
            "un<b>believ</b>able <span>x</span>y<br>z",
            "<a href=\"https://x/?a=1&amp;b=2\" title=\"a > b\">link</a> tail",
            "<ul><li>a</li><li>b</li></ul>c",
            "no markup at all",
        ] {
            assert_eq!(sanitized_text(html), plain_text(html), "{html}");
        }
    }

    #[test]
    fn titles_become_plain_text() {
        assert_eq!(
            plain_text("  <b>Hà&nbsp;Nội</b> &amp; <i>TP.HCM</i>\n"),
            "Hà Nội & TP.HCM"
        );
        assert_eq!(plain_text("a < b"), "a < b");
        assert_eq!(plain_text("x<script>alert(1)</script>y"), "xy");
        // Block boundaries separate words; inline tags do not.
        assert_eq!(
            plain_text("<p>Safe text one</p><p>two</p><ul><li>a<LI>b</ul>c<br/>d<BR>e"),
            "Safe text one two a b c d e"
        );
        assert_eq!(
            plain_text("un<b>believ</b>able <span>x</span>y"),
            "unbelievable xy"
        );
        assert_eq!(plain_text("kết thúc</p><p>Hôm nay"), "kết thúc Hôm nay");
        assert_eq!(plain_text("<pre>a</pre>b <param>c"), "a b c");
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

    #[test]
    fn deep_html_is_flattened_quickly() {
        let deep = format!(
            "<p>Deep HTML follows.</p>{}innermost text{}",
            "<div>".repeat(20_000),
            "</div>".repeat(20_000)
        );
        let started = std::time::Instant::now();
        let got = sanitize_html(&deep, None);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert!(got.contains("Deep HTML follows.") && got.contains("innermost text"));
        assert!(got.matches("<div>").count() <= MAX_HTML_DEPTH);
        // Shallow HTML is left alone.
        let shallow = "<div><p a=\"x>y\">t</p><br></div>";
        assert_eq!(flatten_deep_html(shallow, 2), shallow);
        assert_eq!(flatten_deep_html("<b><i><u>x</u></i></b>", 1), "<b>x</b>");
    }
}
