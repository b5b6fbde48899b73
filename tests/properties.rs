//! Property tests (proptest) for the parts of bantin that take hostile input: the normalizer
//! (bytes from any server), the sanitizer and renderers (whatever the normalizer let through)
//! and the config parser (whatever an admin typed). The same properties run as cargo-fuzz
//! targets in `fuzz/` (see RELIABILITY.md); the shared checks live in `tests/checks/`.
//!
//! - `normalize` never panics, on arbitrary bytes and on near-feeds (RSS, Atom, RDF, JSON Feed
//!   with random markup, entities, control characters, `]]>`, charsets and truncation), and
//!   what it returns keeps its promises (no forbidden characters, http(s) links, no dangerous
//!   markup when the HTML is parsed by html5ever).
//! - Rendered RSS/Atom are well-formed XML (quick-xml), JSON Feed parses, and all three
//!   re-parse with feed-rs with the same number of items; the HTML inside is safe.
//! - `sanitize_html` is idempotent and never leaves `<script`, `on*=` handlers or
//!   `javascript:`-like URLs (checked on the parsed tree, not by grepping).
//! - `Config::parse` never panics and every problem is located at line ≥ 1, col ≥ 1.
//!
//! Case counts are small so the file runs in seconds in debug; `PROPTEST_CASES=N` runs N
//! cases of every property for a longer exploration.

mod checks;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use url::Url;

fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    ProptestConfig {
        cases,
        // Shrinking a failure can take long with big inputs; a bounded shrink still gives a
        // small enough case to read.
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    }
}

fn doc_url() -> Url {
    Url::parse("https://news.example/rss/home.rss").unwrap()
}

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

/// One piece of hostile or awkward text.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 ]{0,12}",
        1 => Just("Việt Nam ".to_string()),
        1 => Just("Vie\u{323}\u{302}t Nam (NFD) ".to_string()),
        1 => Just("👩‍👩‍👧 e\u{301}\u{301}\u{301} ".to_string()),
        1 => Just("<script>alert(1)</script>".to_string()),
        1 => Just("<SCRIPT SRC=//x.test/x.js></SCRIPT>".to_string()),
        1 => Just("<img src=x onerror=alert(1)>".to_string()),
        1 => Just("<a href=\"javascript:alert(1)\">j</a>".to_string()),
        1 => Just("<a href=\"jav&#x09;ascript:alert(1)\">j</a>".to_string()),
        1 => Just("<a href=\"&#106;&#97;vascript:alert(1)\">j</a>".to_string()),
        1 => Just("<a href=\" data:text/html,<script>alert(1)</script>\">d</a>".to_string()),
        1 => Just("<a href=\"vbscript:msgbox(1)\">v</a>".to_string()),
        1 => Just("<iframe src=\"https://x.test\"></iframe><object data=x></object>".to_string()),
        1 => Just("<form action=\"javascript:x\"><input name=a></form>".to_string()),
        1 => Just("<p style=\"background:url(javascript:x)\">s</p>".to_string()),
        1 => Just("<style>@import 'x';</style>".to_string()),
        1 => Just("<svg><script>alert(1)</script></svg>".to_string()),
        1 => Just("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>".to_string()),
        1 => Just("<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">".to_string()),
        1 => Just("<table><a href=/x>t</a><td>c".to_string()),
        1 => Just("<a><a><p><b><i>mis</b>nested</a>".to_string()),
        1 => Just("<!-- c --><![CDATA[ x ]]>".to_string()),
        1 => Just("]]>".to_string()),
        1 => Just("<![CDATA[".to_string()),
        1 => Just("&amp; &lt; &nbsp; &eacute; &bogus; & &#0; &#x1F600; &#xD800; &#1114112;".to_string()),
        1 => Just("<".to_string()),
        1 => Just("&".to_string()),
        1 => Just("\"'".to_string()),
        1 => (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap().to_string()),
        1 => Just("\u{7f}\u{85}\u{fffe}\u{ffff}\u{feff}".to_string()),
        1 => any::<char>().prop_map(String::from),
        1 => "&#x?[0-9a-fA-F]{1,7};",
    ]
}

/// Hostile text: a few fragments glued together.
fn nasty() -> impl Strategy<Value = String> {
    vec(fragment(), 0..5).prop_map(|v| v.concat())
}

/// How a field's text is put into the XML: raw (maybe breaking it), escaped, or as CDATA.
fn embed(text: &str, how: u8) -> String {
    match how % 3 {
        0 => text.to_string(),
        1 => text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;"),
        _ => format!("<![CDATA[{text}]]>"),
    }
}

#[derive(Debug, Clone)]
struct NearItem {
    title: (String, u8),
    link: String,
    guid: Option<String>,
    body: (String, u8),
    date: String,
    category: Option<String>,
    lang: Option<String>,
}

fn near_item() -> impl Strategy<Value = NearItem> {
    (
        (nasty(), any::<u8>()),
        prop_oneof![
            Just("https://news.example/a.html".to_string()),
            Just("/relative/b.html".to_string()),
            Just("javascript:alert(1)".to_string()),
            Just("//proto.example/c".to_string()),
            nasty(),
        ],
        proptest::option::of(nasty()),
        (nasty(), any::<u8>()),
        prop_oneof![
            Just("Fri, 20 Nov 2026 08:15:00 +0700".to_string()),
            Just("2026-11-20T08:15:00Z".to_string()),
            Just("9999-12-31T23:59:59Z".to_string()),
            Just("Thu, 01 Jan 1970 00:00:00 GMT".to_string()),
            Just(String::new()),
            nasty(),
        ],
        proptest::option::of(nasty()),
        proptest::option::of(prop_oneof![
            Just("vi".to_string()),
            Just("en-US".to_string()),
            Just("in".to_string()),
            nasty()
        ]),
    )
        .prop_map(|(title, link, guid, body, date, category, lang)| NearItem {
            title,
            link,
            guid,
            body,
            date,
            category,
            lang,
        })
}

/// A document that is almost a feed: one of four formats, hostile text in every field.
fn near_feed() -> impl Strategy<Value = String> {
    (
        0u8..4,
        (nasty(), any::<u8>()),
        proptest::option::of(prop_oneof![Just("vi-VN".to_string()), nasty()]),
        vec(near_item(), 0..4),
    )
        .prop_map(|(format, (title, how), lang, items)| {
            let lang = lang.unwrap_or_default();
            match format {
                0 => {
                    let mut s = format!(
                        "<rss version=\"2.0\"><channel><title>{}</title><link>https://news.example/</link><language>{}</language>",
                        embed(&title, how),
                        embed(&lang, 1)
                    );
                    for i in &items {
                        s.push_str(&format!(
                            "<item><title>{}</title><link>{}</link>{}<pubDate>{}</pubDate><description>{}</description>{}</item>",
                            embed(&i.title.0, i.title.1),
                            embed(&i.link, 1),
                            i.guid.as_ref().map(|g| format!("<guid>{}</guid>", embed(g, 1))).unwrap_or_default(),
                            embed(&i.date, 1),
                            embed(&i.body.0, i.body.1),
                            i.category.as_ref().map(|c| format!("<category>{}</category>", embed(c, 0))).unwrap_or_default(),
                        ));
                    }
                    s + "</channel></rss>"
                }
                1 => {
                    let mut s = format!(
                        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\" xml:base=\"https://news.example/x/\"><title type=\"html\">{}</title><id>urn:x</id>",
                        embed(&lang, 1).replace('"', "&quot;"),
                        embed(&title, how)
                    );
                    for i in &items {
                        s.push_str(&format!(
                            "<entry{}><title type=\"html\">{}</title><link href=\"{}\"/><id>{}</id><updated>{}</updated><content type=\"html\">{}</content></entry>",
                            i.lang.as_ref().map(|l| format!(" xml:lang=\"{}\"", embed(l, 1).replace('"', "&quot;"))).unwrap_or_default(),
                            embed(&i.title.0, i.title.1),
                            embed(&i.link, 1).replace('"', "&quot;"),
                            embed(i.guid.as_deref().unwrap_or(""), 1),
                            embed(&i.date, 1),
                            embed(&i.body.0, i.body.1),
                        ));
                    }
                    s + "</feed>"
                }
                2 => {
                    let mut s = format!(
                        "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>{}</title></channel>",
                        embed(&title, how)
                    );
                    for i in &items {
                        s.push_str(&format!(
                            "<item rdf:about=\"{}\"><title>{}</title><link>{}</link><description>{}</description><dc:date>{}</dc:date></item>",
                            embed(&i.link, 1).replace('"', "&quot;"),
                            embed(&i.title.0, i.title.1),
                            embed(&i.link, 1),
                            embed(&i.body.0, i.body.1),
                            embed(&i.date, 1),
                        ));
                    }
                    s + "</rdf:RDF>"
                }
                _ => {
                    let items: Vec<serde_json::Value> = items
                        .iter()
                        .map(|i| {
                            serde_json::json!({
                                "id": i.guid,
                                "url": i.link,
                                "title": i.title.0,
                                "content_html": i.body.0,
                                "date_published": i.date,
                                "tags": i.category.iter().collect::<Vec<_>>(),
                                "language": i.lang,
                            })
                        })
                        .collect();
                    serde_json::json!({
                        "version": "https://jsonfeed.org/version/1.1",
                        "title": title,
                        "language": lang,
                        "items": items,
                    })
                    .to_string()
                }
            }
        })
}

/// Encodes a near-feed: a charset, a declaration that may lie, maybe a BOM, maybe truncated.
fn encoded_near_feed() -> impl Strategy<Value = (Vec<u8>, Option<&'static str>)> {
    (
        near_feed(),
        0u8..6,
        0u8..4,
        any::<bool>(),
        proptest::option::of(0.0f64..1.0),
        0usize..CONTENT_TYPES.len(),
    )
        .prop_map(|(doc, charset, declared, bom, cut, ct)| {
            let names = [
                "utf-8",
                "windows-1252",
                "windows-1258",
                "utf-16le",
                "iso-8859-1",
                "VISCII",
            ];
            let decl = match declared {
                0 => String::new(),
                d => format!(
                    "<?xml version=\"1.0\" encoding=\"{}\"?>\n",
                    names[(charset as usize + d as usize - 1) % names.len()]
                ),
            };
            let text = if doc.starts_with('{') {
                doc
            } else {
                decl + &doc
            };
            let mut bytes = match charset {
                1 => encoding_rs::WINDOWS_1252.encode(&text).0.into_owned(),
                2 => encoding_rs::WINDOWS_1258.encode(&text).0.into_owned(),
                3 => {
                    let mut b = if bom { vec![0xff, 0xfe] } else { vec![] };
                    b.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
                    b
                }
                _ => {
                    let mut b = if bom { vec![0xef, 0xbb, 0xbf] } else { vec![] };
                    b.extend(text.as_bytes());
                    b
                }
            };
            if let Some(f) = cut {
                bytes.truncate((bytes.len() as f64 * f) as usize);
            }
            (bytes, CONTENT_TYPES[ct])
        })
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn normalize_never_panics_on_bytes(
        bytes in vec(any::<u8>(), 0..2_048),
        ct in 0usize..CONTENT_TYPES.len(),
    ) {
        if let Ok(feed) = bantin::normalize::normalize(&bytes, CONTENT_TYPES[ct], &doc_url()) {
            checks::check_parsed(&feed).map_err(TestCaseError::fail)?;
        }
    }

    #[test]
    fn normalize_never_panics_on_near_feeds((bytes, ct) in encoded_near_feed()) {
        if let Ok(feed) = bantin::normalize::normalize(&bytes, ct, &doc_url()) {
            checks::check_parsed(&feed).map_err(TestCaseError::fail)?;
        }
    }
}

/// HTML built from tags, attributes and text that sanitizers are known to get wrong.
fn html() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![nasty(), fragment()];
    leaf.prop_recursive(4, 64, 6, |inner| {
        (
            prop_oneof![
                Just("p"),
                Just("a"),
                Just("b"),
                Just("div"),
                Just("table"),
                Just("td"),
                Just("tr"),
                Just("img"),
                Just("svg"),
                Just("math"),
                Just("mtext"),
                Just("style"),
                Just("script"),
                Just("noscript"),
                Just("textarea"),
                Just("title"),
                Just("iframe"),
                Just("template"),
                Just("select"),
                Just("option"),
                Just("form"),
                Just("li"),
                Just("pre"),
                Just("xmp"),
                Just("noembed"),
                Just("annotation-xml"),
            ],
            vec(
                (
                    prop_oneof![
                        Just("href"),
                        Just("src"),
                        Just("onerror"),
                        Just("onclick"),
                        Just("style"),
                        Just("title"),
                        Just("alt"),
                        Just("xlink:href"),
                        Just("srcset"),
                        Just("rel"),
                        Just("class"),
                        Just("id"),
                    ],
                    prop_oneof![
                        nasty(),
                        Just("javascript:alert(1)".to_string()),
                        Just("java\tscript:alert(1)".to_string()),
                        Just("&#x6A;avascript:alert(1)".to_string()),
                        Just("/rel/ative.png".to_string()),
                        Just("https://ok.example/x.jpg 2x, javascript:y 1x".to_string()),
                    ],
                ),
                0..3,
            ),
            vec(inner, 0..3),
            any::<bool>(),
        )
            .prop_map(|(tag, attrs, children, close)| {
                let mut s = format!("<{tag}");
                for (k, v) in attrs {
                    s.push_str(&format!(" {k}=\"{}\"", v.replace('"', "&quot;")));
                }
                s.push('>');
                s.push_str(&children.concat());
                if close {
                    s.push_str(&format!("</{tag}>"));
                }
                s
            })
    })
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn sanitize_is_idempotent_and_safe(raw in prop_oneof![html(), nasty()]) {
        checks::check_sanitize(&raw).map_err(TestCaseError::fail)?;
    }
}

fn raw_item() -> impl Strategy<Value = checks::RawItem> {
    let date = prop_oneof![
        3 => 0i64..4_102_444_800, // 1970..2100
        1 => any::<i64>(),
        1 => Just(253_402_300_799i64), // 9999-12-31T23:59:59Z
    ];
    (
        (
            nasty(),
            proptest::option::of(nasty()),
            nasty(),
            proptest::option::of(nasty()),
        ),
        (
            proptest::option::of(nasty()),
            nasty(),
            proptest::option::of(html()),
            proptest::option::of(html()),
        ),
        (
            proptest::option::of(nasty()),
            proptest::option::of(nasty()),
            proptest::option::of((nasty(), nasty(), proptest::option::of(any::<u64>()))),
        ),
        (
            proptest::option::of(nasty()),
            vec(prop_oneof![Just("thoi-su".to_string()), nasty()], 0..3),
            date.clone(),
            date,
        ),
    )
        .prop_map(
            |(
                (feed, feed_title, key, guid),
                (link, title, summary, content),
                (author, image, enclosure),
                (lang, categories, published, updated),
            )| checks::RawItem {
                feed,
                feed_title,
                key,
                guid,
                link,
                title,
                summary,
                content,
                author,
                image,
                enclosure,
                lang,
                categories,
                published,
                updated,
            },
        )
}

proptest! {
    #![proptest_config(config(200))]

    #[test]
    fn rendered_outputs_are_well_formed_and_reparse(
        items in vec(raw_item(), 0..5),
        title in nasty(),
        description in nasty(),
        lang in proptest::option::of(prop_oneof![Just("vi"), Just("en"), Just("zz")]),
        page in 1u32..4,
        has_next in any::<bool>(),
    ) {
        let config = checks::render_config();
        let stored: Vec<_> = items
            .iter()
            .enumerate()
            .map(|(n, i)| checks::stored_item(n as i64 + 1, i))
            .collect();
        let spec = checks::output_spec(&title, &description, lang);
        let page = bantin::render::Page { number: page, has_next };
        checks::check_render(&config, &spec, &stored, page).map_err(TestCaseError::fail)?;
    }
}

/// A line of something like `feeds.toml`: headers, known keys with odd values, garbage.
fn config_line() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("listen"),
        Just("base_url"),
        Just("cache_max_age"),
        Just("header_timeout"),
        Just("path"),
        Just("retain_days"),
        Just("keep_per_feed"),
        Just("interval"),
        Just("timeout"),
        Just("concurrency"),
        Just("max_body"),
        Just("allow_private"),
        Just("languages"),
        Just("hubs"),
        Just("max_pages"),
        Just("id"),
        Just("name"),
        Just("labels"),
        Just("keywords"),
        Just("url"),
        Just("lang"),
        Just("categories"),
        Just("schedule"),
        Just("priority"),
        Just("enabled"),
        Just("limit"),
        Just("include"),
        Just("min_sources"),
        Just("nope"),
    ];
    let value = prop_oneof![
        nasty().prop_map(|s| format!("{s:?}")),
        Just("\"15m\"".to_string()),
        Just("\"1h30m\"".to_string()),
        Just("\"0s\"".to_string()),
        Just("\"99999999999999999999d\"".to_string()),
        Just("\"16MiB\"".to_string()),
        Just("\"*/5 * * * *\"".to_string()),
        Just("\"0 0 0 31 2 * 2099\"".to_string()),
        Just("\"61 * * * * *\"".to_string()),
        Just("\"@hourly\"".to_string()),
        Just("[\"127.0.0.1\", \"::1/200\", \"10.0.0.0/8\", \"[::1]:99999\"]".to_string()),
        Just("[\"vi\", \"VI\", \"vie\", \"\"]".to_string()),
        Just("{ vi = \"Thời sự\", xx = 1 }".to_string()),
        Just("\"https://x.test/rss\"".to_string()),
        Just("\"file:///etc/passwd\"".to_string()),
        Just("\"relative/feed.xml\"".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        Just("1e400".to_string()),
        Just("nan".to_string()),
        Just("true".to_string()),
        Just("1979-05-27T07:32:00Z".to_string()),
        Just("\"\"\"\nmulti\n\"\"\"".to_string()),
        Just("[".to_string()),
        Just("{".to_string()),
    ];
    prop_oneof![
        3 => (key, value).prop_map(|(k, v)| format!("{k} = {v}")),
        1 => prop_oneof![
            Just("[server]"), Just("[storage]"), Just("[poll]"), Just("[classify]"),
            Just("[publish]"), Just("[[category]]"), Just("[[feed]]"), Just("[[output]]"),
            Just("[feed]"), Just("[[server]]"), Just("[poll.x]"),
        ].prop_map(str::to_string),
        1 => nasty(),
    ]
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn config_parse_never_panics_and_locates_problems(
        text in prop_oneof![
            vec(config_line(), 0..14).prop_map(|l| l.join("\n")),
            vec(config_line(), 0..14).prop_map(|l| l.join("\r\n")),
            ".{0,200}",
        ]
    ) {
        checks::check_config(&text).map_err(TestCaseError::fail)?;
    }
}

/// Inputs the fuzz targets and the properties above found, kept as plain tests.
mod regressions {
    use super::*;

    fn survives(doc: &[u8]) {
        // Any result is fine (an error is recorded as data); a panic is not.
        let _ = bantin::normalize::normalize(doc, None, &doc_url());
    }

    /// Before the polling merge, `repair_xml` looked for `<!ENTITY` in `text[..4096]`, which
    /// panics when byte 4096 falls inside a multi-byte character (many longer Vietnamese
    /// feeds); the panic became a JoinError that failed the whole poll pass. Found by the
    /// `normalize` fuzz target on hazard 13 within a second.
    #[test]
    fn multibyte_character_across_byte_4096() {
        let mut doc = String::from("<rss version=\"2.0\"><channel><title>T</title><item><title>");
        while doc.len() < 4095 {
            doc.push('a');
        }
        doc.push_str("ệệệ</title><guid>1</guid></item></channel></rss>");
        assert!(!doc.is_char_boundary(4096));
        let feed = bantin::normalize::normalize(doc.as_bytes(), None, &doc_url()).unwrap();
        assert_eq!(feed.items.len(), 1);
    }

    /// Before the polling merge, `has_feed_root` sliced `xml[at..at + 12]` inside a multi-byte
    /// character of an unknown root element's name (fuzz target `normalize`).
    #[test]
    fn multibyte_root_element_name() {
        survives("<rsÿÿÿÿÿÿÿÿs version=\"2.0\"></rsÿÿÿÿÿÿÿÿs>".as_bytes());
    }

    /// Before the polling merge, a second XML declaration inside the document reached
    /// feed-rs, and quick-xml panicked ("set_encoding() called after prefix buffer was
    /// drained") instead of returning an error (fuzz target `normalize`).
    #[test]
    fn xml_declaration_inside_the_document() {
        survives(
            b"<rss version=\"2.0\"><channel><title>T</title><item><title>a</title><description>x <?xml version=\"1.0\" encoding=\"windows-1258\"?> y</description></item></channel></rss>",
        );
    }

    /// `repair::attr` skipped one byte for the opening quote of `version=`, so an unquoted
    /// value starting with a multi-byte character panicked (fuzz target `normalize`).
    #[test]
    fn multibyte_unquoted_version_attribute() {
        survives("<rss version=é2.0é><channel><title>T</title></channel></rss>".as_bytes());
        survives("<rss version=ỡÍ.0\"><channel><title>T</title></channel></rss>".as_bytes());
    }

    /// toml_edit's error recovery panics ("all items have spans") on some invalid documents;
    /// `Config::parse` reports them as invalid instead (fuzz target `config`, minimized).
    #[test]
    fn toml_parser_panic_is_a_problem() {
        for text in [
            "==\n.=",
            "[poll]\ninterval+=5\"0\\u0000*5\"[poll]\ninterval = \"15m\"",
        ] {
            checks::check_config(text).unwrap();
        }
        let e = bantin::config::Config::parse("==\n.=", std::path::Path::new("feeds.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("feeds.toml:1:1: "), "{e}");
    }

    /// `sanitize_html` trimmed before dropping illegal characters, so a trailing control
    /// character left a trailing space that a second pass removed (property
    /// `sanitize_is_idempotent_and_safe`); and a U+FEFF behind a control character became
    /// leading, which the HTML parser drops on the second pass (fuzz target
    /// `render_roundtrip`).
    #[test]
    fn sanitize_control_characters_at_the_ends() {
        for raw in [
            "Việt Nam \u{1}",
            "\u{1} <b>x</b> \u{b}\u{c}",
            "\u{1}\u{feff}",
            "&#1;\u{feff}x",
            "<script>x</script>\u{feff}y",
        ] {
            checks::check_sanitize(raw).unwrap();
        }
    }

    /// Serializing the sanitized tree of misnested HTML gave markup that parses differently
    /// (here an `<a>` inside an `<a>` after foster parenting), so a second pass changed it
    /// (property `sanitize_is_idempotent_and_safe`).
    #[test]
    fn sanitize_misnested_markup() {
        for raw in [
            "<a><p><table><a href=/x>t</a><td>c",
            "<p><form><div>x</div></form></p>",
            "<b><p>x</b>y</p>",
        ] {
            checks::check_sanitize(raw).unwrap();
        }
    }

    /// A date in year 0 with a positive offset is in year -1 in UTC; RSS's RFC 2822 dates
    /// cannot express it and chrono's `to_rfc2822` panics, in the renderer. `parse_date` only
    /// refused years after 9999 (property `rendered_outputs_are_well_formed_and_reparse`).
    #[test]
    fn year_zero_with_offset_is_not_a_date() {
        let doc = "<rss version=\"2.0\"><channel><title>T</title><item><title>a</title><guid>1</guid><pubDate>0000-01-01T00:00:00+01:00</pubDate></item></channel></rss>";
        let feed = bantin::normalize::normalize(doc.as_bytes(), None, &doc_url()).unwrap();
        checks::check_parsed(&feed).unwrap();
        let item = &feed.items[0];
        let raw = checks::RawItem {
            feed: "a".into(),
            key: item.key.clone(),
            title: item.title.clone(),
            published: item.published.map(|d| d.timestamp()).unwrap_or(0),
            updated: item.updated.map(|d| d.timestamp()).unwrap_or(0),
            ..Default::default()
        };
        let config = checks::render_config();
        let spec = checks::output_spec("T", "D", Some("vi"));
        checks::check_render(
            &config,
            &spec,
            &[checks::stored_item(1, &raw)],
            bantin::render::Page::default(),
        )
        .unwrap();
    }
}
