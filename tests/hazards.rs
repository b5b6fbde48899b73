//! The hazard corpus (`tests/hazards/`, expectations in `expectations.toml`) plus big cases
//! generated while the test runs (compression bombs, 200 MiB bodies, 10k/100k-item feeds,
//! a redirect and images pointing at the trap, XXE aimed at a canary file), all served over
//! loopback HTTP to the real `bantin run` process, which polls them into a real SQLite file.
//!
//! Checked, for each hazard: the daemon survives (clean exit on SIGTERM, no panic in its log);
//! `/healthz` answers within 1 s while the hazard is fetched and processed (polled every
//! 25 ms, worst latency per hazard); the daemon's resident memory during each big case stays
//! under `RSS_BOUND_KIB` (the big cases are served one at a time so each one's figure is its
//! own); the stored items meet the case's expectations; every rendered output (every output
//! of the config, three formats, first pages and older pages) is well-formed XML with no
//! character XML 1.0 forbids or valid JSON, and the HTML it carries, parsed with html5ever,
//! holds no dangerous markup; every URL the outputs carry is http(s); nothing connects to
//! the trap listener; no line of `/etc/passwd` and nothing of the canary file appears in the
//! store or the outputs; a re-poll (`bantin poll`) stores nothing new.

mod checks;
mod common;
mod hazard_server;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bantin::config::Config;
use bantin::store::Store;
use common::{FeedEntry, write_config};
use hazard_server::{Body, Route, Server};
use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

/// The most resident memory the daemon may use while any hazard is processed (debug build;
/// the daemon idles at about 30-60 MiB with this corpus).
const RSS_BOUND_KIB: u64 = 256 * 1024;
/// The slowest `/healthz` answer allowed while a hazard is processed.
const HEALTHZ_BOUND: Duration = Duration::from_secs(1);
/// `[poll] max_body` default: 16 MiB.
const MAX_BODY: u64 = 16 << 20;
/// Older pages followed per output document (`rel="next"`, `next_url`).
const PAGES: usize = 3;

#[derive(Debug, Deserialize)]
struct Expectations {
    case: Vec<Case>,
}

#[derive(Debug, Clone, Deserialize)]
struct Case {
    file: String,
    content_type: Option<String>,
    outcome: String,
    error_class: Option<String>,
    min_items: Option<usize>,
    max_items: Option<usize>,
    #[serde(default)]
    title_contains: Vec<String>,
    #[serde(default)]
    output_contains: Vec<String>,
    #[serde(default)]
    forbidden: Vec<String>,
    #[serde(default)]
    forbidden_cs: Vec<String>,
    #[serde(default)]
    no_network: bool,
    /// The `[[feed]]` name the test gives it: neutral (`hazard-53`), so that the case's
    /// forbidden words ("javascript") do not come back from the test's own naming in the
    /// "also reported by" credits.
    #[serde(skip)]
    feed: String,
}

impl Case {
    fn generated(file: &str, outcome: &str, class: Option<&str>, items: Option<usize>) -> Case {
        Case {
            file: file.into(),
            content_type: None,
            outcome: outcome.into(),
            error_class: class.map(str::to_string),
            min_items: items,
            max_items: items,
            title_contains: vec![],
            output_contains: vec![],
            forbidden: vec![],
            forbidden_cs: vec![],
            no_network: false,
            feed: file.into(),
        }
    }
}

fn hazards_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hazards")
}

fn default_content_type(file: &str) -> &'static str {
    if file.ends_with(".json") {
        "application/feed+json"
    } else if file.ends_with(".html") {
        "text/html"
    } else {
        "application/rss+xml"
    }
}

/// The real `bantin run`, its address and its stderr lines.
struct Daemon {
    child: Child,
    addr: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Daemon {
    fn start(config: &Path) -> Daemon {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_bantin"));
        cmd.arg("--config")
            .arg(config)
            .args(["run", "--listen", "127.0.0.1:0"])
            .env("BANTIN_LOG", "info");
        let (child, addr, log) = common::spawn_run(cmd);
        Daemon { child, addr, log }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, then the exit code (bounded wait) and the log.
    fn stop(mut self) -> (i32, Vec<String>) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let started = Instant::now();
        let code = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status.code().unwrap_or(-1);
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the daemon did not exit within 30 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        std::thread::sleep(Duration::from_millis(100)); // the log thread drains stderr
        let log = self.log.lock().unwrap().clone();
        (code, log)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `VmRSS` or `VmHWM` of `pid`, in KiB.
fn proc_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Strings that must never leave the machine's files: every line of `/etc/passwd` (and its
/// classic first line even where the file differs), and the canary file's content.
fn local_file_markers(canary: &str) -> Vec<String> {
    let mut m = vec!["root:x:0:0".to_string(), canary.to_string()];
    if let Ok(passwd) = std::fs::read_to_string("/etc/passwd") {
        m.extend(passwd.lines().filter(|l| l.len() >= 12).map(str::to_string));
    }
    m
}

/// What the HTML-carrying elements, the URLs and the `next` links of an RSS/Atom document
/// are, after one layer of XML unescaping.
#[derive(Default)]
struct XmlParts {
    html: Vec<String>,
    urls: Vec<String>,
    next: Option<String>,
    /// Every text and attribute value.
    texts: Vec<String>,
}

const HTML_ELEMENTS: &[&str] = &["description", "encoded", "content", "summary", "subtitle"];
const URL_ELEMENTS: &[&str] = &["link", "url", "docs", "comments"];
const URL_ATTRS: &[&str] = &["href", "url", "src", "uri"];

fn xml_parts(doc: &str) -> Result<XmlParts, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(doc);
    let mut parts = XmlParts::default();
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => {
                let local = e.local_name().into_inner().to_string();
                attrs(&e, &mut parts)?;
                stack.push(local);
                text.clear();
            }
            Event::Empty(e) => attrs(&e, &mut parts)?,
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(c) => text.push_str(&c.xml10_content()),
            Event::GeneralRef(r) => {
                if r.is_char_ref() {
                    if let Ok(Some(c)) = r.resolve_char_ref() {
                        text.push(c);
                    }
                } else {
                    let name = r.xml10_content();
                    text.push(match &*name {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => return Err(format!("entity &{other};")),
                    });
                }
            }
            Event::End(_) => {
                let local = stack.pop().unwrap_or_default();
                parts.texts.push(text.clone());
                if HTML_ELEMENTS.contains(&local.as_str()) {
                    parts.html.push(std::mem::take(&mut text));
                } else if URL_ELEMENTS.contains(&local.as_str()) && !text.trim().is_empty() {
                    parts.urls.push(std::mem::take(&mut text));
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(parts)
}

fn attrs(e: &quick_xml::events::BytesStart, parts: &mut XmlParts) -> Result<(), String> {
    let local = e.local_name().into_inner().to_string();
    let mut rel = None;
    let mut href = None;
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        let key = a.key.local_name().into_inner().to_string();
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| e.to_string())?
            .to_string();
        if key == "rel" {
            rel = Some(value.clone());
        }
        if key == "href" {
            href = Some(value.clone());
        }
        if URL_ATTRS.contains(&key.as_str()) {
            parts.urls.push(value.clone());
        }
        parts.texts.push(value);
    }
    if local == "link" && rel.as_deref() == Some("next") {
        parts.next = href;
    }
    Ok(())
}

/// A URL a reader may follow: absolute, http(s) or mailto, after the trimming a browser does.
fn safe_url(u: &str) -> bool {
    url::Url::parse(u.trim()).is_ok_and(|u| matches!(u.scheme(), "http" | "https" | "mailto"))
}

fn json_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| json_strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| json_strings(x, out)),
        _ => {}
    }
}

/// Forbidden strings of `case` found in `s` (ASCII case-insensitive, then case-sensitive).
fn forbidden_in(case: &Case, s: &str) -> Vec<String> {
    let lower = s.to_ascii_lowercase();
    let mut found: Vec<String> = case
        .forbidden
        .iter()
        .filter(|b| lower.contains(&b.to_ascii_lowercase()))
        .cloned()
        .collect();
    found.extend(
        case.forbidden_cs
            .iter()
            .filter(|b| s.contains(b.as_str()))
            .cloned(),
    );
    found
}

/// Renders one case's stored items on their own (no story grouping, so every item is shown,
/// at most 50) in every format and checks the documents: `checks::check_render`
/// (well-formed XML, valid JSON, no dangerous markup in the HTML, feed-rs re-parses them with
/// the same number of items), http(s) URLs only, no local file content, and the case's
/// forbidden strings in the raw bytes and in every text and attribute value.
fn check_case_render(
    config: &Config,
    case: &Case,
    feed_url: &str,
    items: &[bantin::model::StoredItem],
    markers: &[String],
) -> Vec<String> {
    use bantin::render::{Context, Format, Page};
    let mut found = Vec::new();
    let items = &items[..items.len().min(50)];
    let spec = checks::output_spec("Hazard", "The items of one case", None);
    if let Err(e) = checks::check_render(config, &spec, items, Page::default()) {
        found.push(format!("rendered alone: {}", truncate(&e)));
    }
    let ctx = Context {
        config,
        base_url: &config.server.base_url,
    };
    for format in Format::ALL {
        let doc = bantin::render::render_page(&ctx, &spec, items, &[], format, Page::default());
        let (texts, urls) = if matches!(format, Format::Json) {
            let v: serde_json::Value = serde_json::from_str(&doc).unwrap_or_default();
            let mut texts = Vec::new();
            json_strings(&v, &mut texts);
            let mut urls = Vec::new();
            for item in v["items"].as_array().into_iter().flatten() {
                for k in ["url", "external_url", "image", "banner_image"] {
                    urls.extend(item[k].as_str().map(str::to_string));
                }
                for a in item["attachments"].as_array().into_iter().flatten() {
                    urls.extend(a["url"].as_str().map(str::to_string));
                }
            }
            (texts, urls)
        } else {
            match xml_parts(&doc) {
                Ok(p) => (p.texts, p.urls),
                Err(e) => {
                    found.push(format!("{format:?}: {e}"));
                    continue;
                }
            }
        };
        for t in texts.iter().chain(std::iter::once(&doc)) {
            // The source's feed URL is the test's own path (`/hazards/53-xss-javascript-…`).
            let t = &t.replace(feed_url, "");
            for bad in forbidden_in(case, t) {
                found.push(format!(
                    "{format:?}: forbidden {bad:?} in {:?}",
                    truncate(t)
                ));
            }
            for m in markers {
                if t.contains(m.as_str()) {
                    found.push(format!("{format:?}: local file content {m:?}"));
                }
            }
        }
        for u in &urls {
            if !safe_url(u) {
                found.push(format!("{format:?}: unsafe URL {:?}", truncate(u)));
            }
        }
    }
    found
}

fn truncate(s: &str) -> String {
    s.chars().take(120).collect()
}

/// One healthz probe: when it was sent and how long the answer took (a failure counts as the
/// client's 5 s timeout).
type Probe = (Instant, Duration);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hazard_corpus_meets_its_expectations() {
    let text = std::fs::read_to_string(hazards_dir().join("expectations.toml")).unwrap();
    let exp: Expectations = toml_edit::de::from_str(&text).unwrap();
    assert!(exp.case.len() >= 70, "{} cases", exp.case.len());
    bantin::fetch::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();

    // Small cases on 127.0.0.1, big ones on 127.0.0.3 (its own per-host slot), the trap on
    // 127.0.0.2, which the config does not allow: a request there is refused by policy, and
    // anything that bypassed the policy (an XML parser resolving an entity) would show up as
    // an accepted connection.
    let (server, addrs) = Server::start(&["127.0.0.1", "127.0.0.3"]).await;
    let (small, big) = (addrs[0], addrs[1]);
    let (trap_addr, trap_hits) = hazard_server::trap("127.0.0.2").await;
    let trap_url = format!("http://{trap_addr}/");
    let canary = format!("bantin-canary-{}", std::process::id());
    let canary_path = dir.path().join("canary.txt");
    std::fs::write(&canary_path, format!("{canary}\n")).unwrap();
    let markers = local_file_markers(&canary);

    let mut cases: Vec<Case> = Vec::new();
    let mut routes: Vec<(Case, Route, bool)> = Vec::new(); // case, route, big
    for c in &exp.case {
        let mut body = std::fs::read(hazards_dir().join(&c.file)).unwrap();
        if c.no_network {
            let text = String::from_utf8_lossy(&body);
            assert!(
                text.contains("http://127.0.0.1:9/"),
                "{}: no trap address",
                c.file
            );
            body = text.replace("http://127.0.0.1:9/", &trap_url).into_bytes();
        }
        let ct = c
            .content_type
            .clone()
            .unwrap_or_else(|| default_content_type(&c.file).to_string());
        // The XXE and XInclude cases once more, aimed at the canary file.
        if body.windows(18).any(|w| w == b"file:///etc/passwd") {
            let s = String::from_utf8_lossy(&body).replace(
                "file:///etc/passwd",
                &format!("file://{}", canary_path.display()),
            );
            let mut cc = c.clone();
            cc.file = format!("canary-{}", c.file);
            cc.feed = format!("hazard-{}-canary", &c.file[..2]);
            cc.forbidden.push(canary.clone());
            routes.push((cc.clone(), Route::feed(&ct, s.into_bytes()), false));
            cases.push(cc);
        }
        let mut c = c.clone();
        c.feed = format!("hazard-{}", &c.file[..2]);
        routes.push((c.clone(), Route::feed(&ct, body), false));
        cases.push(c);
    }

    // Generated cases (see the README's second table).
    let prefix = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Bomb</title><link>http://big.example/</link><description>x</description><item><title>Bomb item</title><description>";
    let bomb = |wrapper: &str, encoding: &'static str| Route {
        content_encoding: Some(encoding),
        body: hazard_server::bomb(prefix, 10 << 30, wrapper),
        pace: Some(Duration::from_millis(40)),
        big: true,
        ..Route::feed("application/rss+xml", vec![])
    };
    let small_feed = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Wrapped</title><link>http://wrapped.example/</link><description>x</description><item><title>Wrapped item</title><link>http://wrapped.example/1</link><guid>wrapped-1</guid></item></channel></rss>";
    let gzip = |b: &[u8]| -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    };
    let padded = hazard_server::padded(200 << 20);
    let items_10k = Body::Items { total: 10_000 };
    let items_100k = Body::Items { total: 100_000 };
    let (len_10k, len_100k) = (items_10k.len(), items_100k.len());
    println!(
        "generated: 10k-item feed {len_10k} bytes, 100k-item feed {len_100k} bytes, max_body {MAX_BODY}"
    );
    // The expectations below rest on these sizes.
    assert!(len_10k < MAX_BODY && len_100k > MAX_BODY);
    assert_eq!(padded.len(), 200 << 20);
    let generated: Vec<(Case, Route, bool)> = vec![
        (
            Case::generated("gen-gzip-bomb", "error", Some("size"), None),
            bomb("gzip", "gzip"),
            true,
        ),
        (
            Case::generated("gen-deflate-bomb", "error", Some("size"), None),
            bomb("zlib", "deflate"),
            true,
        ),
        (
            // reqwest decodes `deflate` as RFC 9110 says (zlib-wrapped); bare deflate fails to
            // decode on its first bytes: a clean network-class error, nothing inflated.
            Case::generated("gen-raw-deflate-bomb", "error", Some("network"), None),
            bomb("raw", "deflate"),
            true,
        ),
        (
            Case::generated("gen-200mib-content-length", "error", Some("size"), None),
            Route {
                content_length: Some(200 << 20),
                body: padded.clone(),
                big: true,
                ..Route::feed("application/rss+xml", vec![])
            },
            true,
        ),
        (
            Case::generated("gen-200mib-chunked", "error", Some("size"), None),
            Route {
                body: padded.clone(),
                pace: Some(Duration::from_millis(4)),
                big: true,
                ..Route::feed("application/rss+xml", vec![])
            },
            true,
        ),
        (
            Case::generated("gen-200mib-lying-length", "error", Some("parse"), None),
            Route {
                content_length: Some(1024),
                body: padded,
                big: true,
                ..Route::feed("application/rss+xml", vec![])
            },
            true,
        ),
        (
            // normalize reads at most MAX_ITEMS_PER_FEED (5,000) entries, the first in
            // document order (the newest, as feeds list them).
            Case::generated(
                "gen-10k-items",
                "ok",
                None,
                Some(bantin::normalize::MAX_ITEMS_PER_FEED),
            ),
            Route {
                body: items_10k,
                pace: Some(Duration::from_millis(20)),
                big: true,
                ..Route::feed("application/rss+xml", vec![])
            },
            true,
        ),
        (
            Case::generated("gen-100k-items", "error", Some("size"), None),
            Route {
                body: items_100k,
                pace: Some(Duration::from_millis(20)),
                big: true,
                ..Route::feed("application/rss+xml", vec![])
            },
            true,
        ),
        (
            // Stacked codings are not undone (reqwest decodes a single one): the compressed
            // bytes fail to parse, nothing is inflated, nothing stored.
            Case::generated("gen-gzip-gzip", "error", Some("parse"), None),
            Route {
                content_encoding: Some("gzip, gzip"),
                ..Route::feed("application/rss+xml", gzip(&gzip(small_feed.as_bytes())))
            },
            false,
        ),
        (
            // A gzip file is not a feed: never inflated without a Content-Encoding.
            Case::generated("gen-gzip-as-file", "error", Some("parse"), None),
            Route::feed("application/gzip", gzip(small_feed.as_bytes())),
            false,
        ),
        (
            Case::generated("gen-redirect-to-trap", "error", Some("address-blocked"), None),
            Route {
                status: 302,
                location: Some(format!("{trap_url}feed.xml")),
                ..Route::feed("text/plain", vec![])
            },
            false,
        ),
        (
            Case {
                min_items: Some(1),
                max_items: Some(1),
                ..Case::generated("gen-images-at-trap", "ok", None, None)
            },
            Route::feed(
                "application/rss+xml",
                format!(
                    "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:media=\"http://search.yahoo.com/mrss/\"><channel><title>Images</title><link>{trap_url}</link><description>x</description><image><url>{trap_url}logo.png</url><title>t</title><link>{trap_url}</link></image><item><title>Pictures elsewhere</title><link>{trap_url}story</link><guid>img-1</guid><description><![CDATA[<p>A picture <img src=\"{trap_url}pixel.gif\" srcset=\"{trap_url}a.png 2x\"> and <a href=\"{trap_url}x\">a link</a>.</p>]]></description><enclosure url=\"{trap_url}a.mp3\" length=\"1\" type=\"audio/mpeg\"/><media:thumbnail url=\"{trap_url}t.jpg\"/><media:content url=\"{trap_url}c.jpg\" medium=\"image\"/></item></channel></rss>"
                )
                .into_bytes(),
            ),
            false,
        ),
    ];
    for (c, r, b) in generated {
        cases.push(c.clone());
        routes.push((c, r, b));
    }

    let mut entries = Vec::new();
    for (c, mut route, is_big) in routes {
        let path = format!("/hazards/{}", c.file);
        route.big = is_big;
        server.set(&path, route);
        let origin = if is_big { big } else { small };
        entries.push(FeedEntry {
            name: c.feed.clone(),
            url: format!("http://{origin}{path}"),
            // The generated feeds declare English; the language is configured so that 10k
            // detections do not dominate a debug build's run (the corpus keeps detection).
            lang: c.file.starts_with("gen-").then(|| "en".to_string()),
            categories: vec![],
        });
    }
    let extra = "[[output]]\nid = \"all-hazards\"\ntitle = \"Every hazard\"\nlimit = 400\n";
    let config_path = write_config(dir.path(), &entries, extra);
    let toml = std::fs::read_to_string(&config_path)
        .unwrap()
        .replace(
            "allow_private = [\"127.0.0.1\"]",
            "allow_private = [\"127.0.0.1\", \"127.0.0.3\"]",
        )
        // The big cases wait for each other inside the server; that wait counts against the
        // fetch deadline.
        .replace("timeout = \"10s\"", "timeout = \"300s\"");
    std::fs::write(&config_path, toml).unwrap();
    let config = Config::load(&config_path).unwrap();
    assert_eq!(config.poll.max_body, MAX_BODY);
    assert_eq!(config.poll.timeout, Duration::from_secs(300));
    let admits = |ip: &str| {
        let ip = ip.parse().unwrap();
        config.poll.allow_private.iter().any(|r| r.admits(ip, None))
    };
    assert!(admits("127.0.0.1") && admits("127.0.0.3") && !admits("127.0.0.2"));
    assert_eq!(
        cases
            .iter()
            .filter(|c| c.file.starts_with("canary-"))
            .count(),
        3,
        "the three file:///etc/passwd cases re-aimed at the canary"
    );
    let db_path = config.storage.path.clone();
    let names: Vec<String> = cases.iter().map(|c| c.feed.clone()).collect();
    let feed_of_path: HashMap<String, String> = cases
        .iter()
        .map(|c| (format!("/hazards/{}", c.file), c.feed.clone()))
        .collect();

    // ---- The daemon polls everything once, probed all along.
    let started = Instant::now();
    let daemon = Daemon::start(&config_path);
    let pid = daemon.pid();
    let probes: Arc<Mutex<Vec<Probe>>> = Arc::default();
    let rss: Arc<Mutex<Vec<(Instant, u64)>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let prober = {
        let (probes, stop, url) = (probes.clone(), stop.clone(), daemon.url("/healthz"));
        tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap();
            while !stop.load(Ordering::SeqCst) {
                let t = Instant::now();
                let ok = match client.get(&url).send().await {
                    Ok(r) => r.status() == 200 && r.text().await.is_ok_and(|b| b == "ok\n"),
                    Err(_) => false,
                };
                let took = if ok {
                    t.elapsed()
                } else {
                    Duration::from_secs(5)
                };
                probes.lock().unwrap().push((t, took));
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        })
    };
    // Samples memory, notices each feed's recorded outcome, and lets the next big case in.
    let mut done: HashMap<String, Instant> = HashMap::new();
    let mut conn: Option<rusqlite::Connection> = None;
    loop {
        if let Some(kib) = proc_kib(pid, "VmRSS:") {
            rss.lock().unwrap().push((Instant::now(), kib));
        }
        if conn.is_none() && db_path.exists() {
            conn = rusqlite::Connection::open_with_flags(
                &db_path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )
            .ok();
            if let Some(c) = &conn {
                c.busy_timeout(Duration::from_secs(5)).unwrap();
            }
        }
        if let Some(c) = &conn
            && let Ok(mut st) = c.prepare("SELECT name FROM feeds WHERE last_fetch IS NOT NULL")
        {
            let now = Instant::now();
            let recorded: Vec<String> = st
                .query_map([], |r| r.get(0))
                .map(|rows| rows.filter_map(Result::ok).collect())
                .unwrap_or_default();
            for n in recorded {
                done.entry(n).or_insert(now);
            }
        }
        if let Some(p) = server.holder()
            && done.contains_key(&feed_of_path[&p])
        {
            server.release();
        }
        if names.iter().all(|n| done.contains_key(n)) {
            break;
        }
        if started.elapsed() > Duration::from_secs(400) {
            let missing: Vec<_> = names.iter().filter(|n| !done.contains_key(*n)).collect();
            panic!("not polled after 400 s: {missing:?}");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    if let Some(kib) = proc_kib(pid, "VmRSS:") {
        rss.lock().unwrap().push((Instant::now(), kib));
    }
    let polled_in = started.elapsed();
    let hwm = proc_kib(pid, "VmHWM:").unwrap_or(0);
    stop.store(true, Ordering::SeqCst);
    prober.await.unwrap();
    let (code, log) = daemon.stop();
    assert_eq!(code, 0, "daemon exit status; log:\n{}", log.join("\n"));
    let panics: Vec<&String> = log.iter().filter(|l| l.contains("panicked")).collect();
    assert!(panics.is_empty(), "panics in the daemon: {panics:#?}");

    // Per hazard: the worst /healthz answer and the most memory while it was in work.
    let probes = probes.lock().unwrap().clone();
    let rss = rss.lock().unwrap().clone();
    let first_request = server.started();
    let mut failures = Vec::new();
    let mut figures = BTreeMap::new();
    for c in &cases {
        let path = format!("/hazards/{}", c.file);
        let (Some(from), Some(to)) = (first_request.get(&path), done.get(&c.feed)) else {
            failures.push(format!("{}: never requested", c.file));
            continue;
        };
        // The probes in flight while the case was in work; for a case shorter than the probe
        // cadence, the first probe sent after it started.
        let mut in_work: Vec<Duration> = probes
            .iter()
            .filter(|(t, took)| *t <= *to && *t + *took >= *from)
            .map(|(_, took)| *took)
            .collect();
        if in_work.is_empty() {
            in_work.extend(probes.iter().find(|(t, _)| t >= from).map(|p| p.1));
        }
        let worst = in_work.iter().max().copied().unwrap_or(Duration::MAX);
        let samples = in_work.len();
        let mut memory: Vec<u64> = rss
            .iter()
            .filter(|(t, _)| t >= from && t <= to)
            .map(|(_, k)| *k)
            .collect();
        if memory.is_empty() {
            memory.extend(rss.iter().find(|(t, _)| t >= from).map(|r| r.1));
        }
        let peak = memory.iter().max().copied().unwrap_or(u64::MAX);
        if worst >= HEALTHZ_BOUND {
            failures.push(format!("{}: /healthz took {worst:?}", c.file));
        }
        if peak >= RSS_BOUND_KIB {
            failures.push(format!("{}: daemon RSS {peak} KiB", c.file));
        }
        figures.insert(
            c.file.clone(),
            (to.saturating_duration_since(*from), worst, peak, samples),
        );
    }
    let (worst_at, worst_all) = probes
        .iter()
        .max_by_key(|p| p.1)
        .map(|(t, took)| (t.saturating_duration_since(started), *took))
        .unwrap_or_default();
    println!(
        "daemon polled {} hazards in {polled_in:?}; {} /healthz probes, worst {worst_all:?} (sent at +{worst_at:.1?}); VmHWM {} MiB",
        cases.len(),
        probes.len(),
        hwm / 1024
    );
    let (worst_case, worst_in_work) = figures
        .iter()
        .max_by_key(|(_, f)| f.1)
        .map(|(file, f)| (file.as_str(), f.1))
        .unwrap_or_default();
    println!("  worst /healthz while a hazard was in work: {worst_in_work:?} ({worst_case})");
    for (file, (took, worst, peak, samples)) in &figures {
        if file.starts_with("gen-") || *worst > Duration::from_millis(250) {
            println!(
                "  {file}: in work {took:.2?}, /healthz worst {worst:.2?} ({samples} probes), RSS peak {} MiB",
                peak / 1024
            );
        }
    }
    assert!(
        !probes.is_empty() && worst_all < HEALTHZ_BOUND,
        "worst /healthz {worst_all:?}"
    );
    assert!(hwm < RSS_BOUND_KIB, "daemon VmHWM {hwm} KiB");

    // ---- Re-poll: nothing new stored, every feed polled again, no panic.
    let count_items = || -> HashMap<String, i64> {
        let c = rusqlite::Connection::open(&db_path).unwrap();
        let mut st = c
            .prepare("SELECT f.name, COUNT(i.id) FROM feeds f LEFT JOIN items i ON i.feed_id = f.id GROUP BY f.name")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let before = count_items();
    server.open_gate();
    let cp = config_path.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_bantin"))
            .arg("--config")
            .arg(&cp)
            .arg("poll")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "re-poll failed:\n{stdout}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stdout.contains(&format!("polled {} feeds: 0 new", cases.len())),
        "re-poll stored something new:\n{stdout}"
    );
    assert_eq!(before, count_items(), "item counts changed on re-poll");

    // ---- Every output of the config, rendered by a fresh daemon on the same store.
    let daemon = Daemon::start(&config_path);
    let client = common::raw_client();
    let case_by_name: HashMap<&str, &Case> = cases.iter().map(|c| (c.feed.as_str(), c)).collect();
    let feed_of_url: HashMap<&str, &Case> = entries
        .iter()
        .map(|e| (e.url.as_str(), case_by_name[e.name.as_str()]))
        .collect();
    let mut documents = 0;
    let mut html_fragments = 0;
    let mut attributed = 0;
    let mut rendered_cases: std::collections::HashSet<String> = Default::default();
    for spec in bantin::render::catalog::outputs(&config) {
        for ext in ["rss", "atom", "json"] {
            let mut next = Some(format!("/feeds/{}.{ext}", spec.path));
            let mut page = 0;
            while let Some(path) = next.take() {
                page += 1;
                let resp = client.get(daemon.url(&path)).send().await.unwrap();
                let status = resp.status();
                let doc = resp.text().await.unwrap();
                if status != 200 {
                    failures.push(format!("{path}: HTTP {status}"));
                    break;
                }
                documents += 1;
                let mut fail = |m: String| failures.push(format!("{path}: {m}"));
                for m in &markers {
                    if doc.contains(m.as_str()) {
                        fail(format!("local file content {m:?}"));
                    }
                }
                let (html, urls, next_link) = if ext == "json" {
                    let v: serde_json::Value = match serde_json::from_str(&doc) {
                        Ok(v) => v,
                        Err(e) => {
                            fail(format!("JSON: {e}"));
                            break;
                        }
                    };
                    let mut html = Vec::new();
                    let mut urls = Vec::new();
                    for k in ["home_page_url", "feed_url", "next_url"] {
                        if let Some(u) = v[k].as_str() {
                            urls.push(u.to_string());
                        }
                    }
                    for item in v["items"].as_array().into_iter().flatten() {
                        html.extend(item["content_html"].as_str().map(str::to_string));
                        for k in ["url", "external_url", "image", "banner_image"] {
                            urls.extend(item[k].as_str().map(str::to_string));
                        }
                        for a in item["attachments"].as_array().into_iter().flatten() {
                            urls.extend(a["url"].as_str().map(str::to_string));
                        }
                        // The item's own case, by its source feed: its forbidden strings,
                        // after one layer of JSON unescaping.
                        if let Some(case) = item["_bantin"]["source"]["feed_url"]
                            .as_str()
                            .and_then(|u| feed_of_url.get(u).copied())
                        {
                            attributed += 1;
                            rendered_cases.insert(case.feed.clone());
                            // Not the `_bantin` attribution, which names the test's own feed
                            // URL (`/hazards/53-xss-javascript-…`).
                            let mut strings = Vec::new();
                            for (k, v) in item.as_object().into_iter().flatten() {
                                if k != "_bantin" {
                                    json_strings(v, &mut strings);
                                }
                            }
                            for s in strings {
                                for bad in forbidden_in(case, &s) {
                                    fail(format!(
                                        "{}: forbidden {bad:?} in {:?}",
                                        case.file,
                                        truncate(&s)
                                    ));
                                }
                            }
                        }
                    }
                    let next = v["next_url"].as_str().map(str::to_string);
                    (html, urls, next)
                } else {
                    if let Err(e) = checks::well_formed_xml(&doc) {
                        fail(format!("not well-formed: {e}"));
                        break;
                    }
                    match xml_parts(&doc) {
                        Ok(p) => (p.html, p.urls, p.next),
                        Err(e) => {
                            fail(format!("XML: {e}"));
                            break;
                        }
                    }
                };
                for h in &html {
                    html_fragments += 1;
                    let bad = checks::dangerous_markup(h);
                    if !bad.is_empty() {
                        fail(format!("dangerous markup {bad:?} in {:?}", truncate(h)));
                    }
                }
                for u in &urls {
                    if !safe_url(u) {
                        fail(format!("unsafe or relative URL {:?}", truncate(u)));
                    }
                }
                if page < PAGES
                    && let Some(n) = next_link
                {
                    let u = url::Url::parse(&n).unwrap();
                    next = Some(format!("{}?{}", u.path(), u.query().unwrap_or("")));
                }
            }
        }
    }
    let (code, log) = daemon.stop();
    assert_eq!(
        code,
        0,
        "second daemon exit status; log:\n{}",
        log.join("\n")
    );
    assert!(!log.iter().any(|l| l.contains("panicked")));
    println!(
        "checked {documents} output documents, {html_fragments} HTML fragments, {attributed} JSON items against their case"
    );
    assert!(documents >= 3 * bantin::render::catalog::outputs(&config).len());
    assert!(
        attributed > 100,
        "{attributed} JSON items attributed to a case"
    );

    // ---- The stored items against each case (and rendered on their own).
    let store = Store::open(&config.storage.path).unwrap();
    let statuses: HashMap<String, _> = store
        .feed_statuses()
        .unwrap()
        .into_iter()
        .map(|s| (s.name.clone(), s))
        .collect();
    let mut items_by_feed: HashMap<String, Vec<bantin::model::StoredItem>> = HashMap::new();
    for item in store.all_items().unwrap() {
        items_by_feed
            .entry(item.feed.clone())
            .or_default()
            .push(item);
    }
    // The daemon's outputs show one item per story: cases whose items all joined another
    // case's story are not shown as such there, hence `check_case_render` for every case.
    let unrendered = cases
        .iter()
        .filter(|c| items_by_feed.contains_key(&c.feed) && !rendered_cases.contains(&c.feed))
        .count();
    println!(
        "{} cases with items shown as themselves in the served JSON outputs, {unrendered} only as credits of another story",
        rendered_cases.len()
    );
    let origin = format!("http://{small}");
    for c in &cases {
        let status = &statuses[&c.feed];
        let items = items_by_feed.get(&c.feed).map(Vec::as_slice).unwrap_or(&[]);
        let mut fail = |m: String| failures.push(format!("{}: {m}", c.file));
        let failed = status.error_class.is_some();
        match (c.outcome.as_str(), failed) {
            ("ok", true) => fail(format!(
                "expected ok, got [{}] {}",
                status.error_class.clone().unwrap_or_default(),
                status.last_error.clone().unwrap_or_default()
            )),
            ("error", false) => fail(format!("expected an error, stored {} items", items.len())),
            _ => {}
        }
        if failed {
            if status.error_class != c.error_class {
                fail(format!(
                    "error class {:?} ({}), expected {:?}",
                    status.error_class,
                    status.last_error.clone().unwrap_or_default(),
                    c.error_class
                ));
            }
            if !items.is_empty() {
                fail(format!("failed but stored {} items", items.len()));
            }
        } else {
            if let Some(min) = c.min_items
                && items.len() < min
            {
                fail(format!("{} items < {min}", items.len()));
            }
            if let Some(max) = c.max_items
                && items.len() > max
            {
                fail(format!("{} items > {max}", items.len()));
            }
            for want in &c.title_contains {
                let want: String = want.nfc().collect();
                if !items.iter().any(|i| i.title.contains(&want)) {
                    let titles: Vec<_> = items
                        .iter()
                        .map(|i| i.title.chars().take(80).collect::<String>())
                        .collect();
                    fail(format!("no title contains {want:?}: {titles:?}"));
                }
            }
            for want in &c.output_contains {
                let want = want.replace("{origin}", &origin);
                let found = items.iter().any(|i| {
                    [&i.link, &i.summary, &i.content, &i.image]
                        .into_iter()
                        .flatten()
                        .any(|f| f.replace("&amp;", "&").contains(&want))
                        || i.enclosure.as_ref().is_some_and(|e| e.url.contains(&want))
                });
                if !found {
                    fail(format!("no stored field contains {want:?}"));
                }
            }
        }
        if !items.is_empty() {
            let feed_url = entries
                .iter()
                .find(|e| e.name == c.feed)
                .map(|e| e.url.as_str())
                .unwrap();
            for m in check_case_render(&config, c, feed_url, items, &markers) {
                fail(m);
            }
        }
        for i in items {
            for u in [&i.link, &i.image]
                .into_iter()
                .flatten()
                .chain(i.enclosure.as_ref().map(|e| &e.url))
            {
                if !safe_url(u) {
                    fail(format!("stored URL {:?}", truncate(u)));
                }
            }
        }
        let fields: Vec<String> = items
            .iter()
            .flat_map(|i| {
                [
                    Some(i.title.clone()),
                    i.summary.clone(),
                    i.content.clone(),
                    i.link.clone(),
                    i.guid.clone(),
                    i.author.clone(),
                    i.image.clone(),
                ]
            })
            .flatten()
            .collect();
        for f in &fields {
            for bad in forbidden_in(c, f) {
                fail(format!("forbidden {bad:?} stored in {:?}", truncate(f)));
            }
            for m in &markers {
                if f.contains(m.as_str()) {
                    fail(format!("local file content {m:?} stored"));
                }
            }
            if f.chars().any(|c| !bantin::normalize::is_xml_char(c)) {
                fail(format!("XML-illegal character stored in {:?}", truncate(f)));
            }
            if f.nfc().collect::<String>() != *f {
                fail(format!("not NFC: {:?}", truncate(f)));
            }
        }
    }
    for c in cases.iter().filter(|c| c.file.starts_with("gen-")) {
        let s = &statuses[&c.feed];
        println!(
            "  {}: {} items, {}",
            c.file,
            s.item_count,
            s.error_class
                .as_ref()
                .map(|e| format!("[{e}] {}", s.last_error.clone().unwrap_or_default()))
                .unwrap_or_else(|| "ok".into())
        );
    }
    // The 10k-item feed: exactly the first (newest) MAX_ITEMS_PER_FEED entries.
    let mut big_guids: Vec<String> = items_by_feed
        .get("gen-10k-items")
        .into_iter()
        .flatten()
        .filter_map(|i| i.guid.clone())
        .collect();
    big_guids.sort();
    let mut want: Vec<String> = (0..bantin::normalize::MAX_ITEMS_PER_FEED)
        .map(|i| format!("big-10000-{i}"))
        .collect();
    want.sort();
    assert!(
        big_guids == want,
        "gen-10k-items: not the first 5,000 entries"
    );
    // Each big body was cut off, not read to the end: one request per poll (no retry), and
    // what the server handed on per request stays near the cap (socket buffers and the chunk
    // in flight), short of the whole body.
    for (name, whole, most) in [
        (
            "gen-gzip-bomb",
            hazard_server::bomb(prefix, 10 << 30, "gzip").len(),
            1u64 << 20,
        ),
        (
            "gen-deflate-bomb",
            hazard_server::bomb(prefix, 10 << 30, "zlib").len(),
            1 << 20,
        ),
        ("gen-200mib-chunked", 200 << 20, MAX_BODY + (8 << 20)),
        ("gen-100k-items", len_100k, MAX_BODY + (8 << 20)),
    ] {
        let path = format!("/hazards/{name}");
        let per_request = server.sent(&path) / 2;
        println!("  {name}: {per_request} body bytes sent per request (whole body {whole})");
        assert_eq!(server.requests(&path), 2, "{name}");
        assert!(
            per_request < most && per_request < whole,
            "{name}: {per_request} bytes sent"
        );
    }
    assert_eq!(
        trap_hits.load(Ordering::SeqCst),
        0,
        "something connected to the trap listener"
    );
    assert!(
        failures.is_empty(),
        "{} hazard expectations failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!(
        "{} hazards passed ({} from the corpus, {} generated or retargeted) in {:?}",
        cases.len(),
        exp.case.len(),
        cases.len() - exp.case.len(),
        started.elapsed()
    );
}

/// The output checks are not vacuous: they find escaped HTML in RSS, Atom and CDATA, the
/// dangerous markup in it, URLs in elements and attributes, and the `next` page.
#[test]
fn output_checks_see_what_they_look_for() {
    let rss = r#"<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title><link>http://a.example/</link><description>d</description><atom:link rel="next" href="http://news.test/feeds/vi.rss?page=2"/><item><title>x</title><link>javascript:alert(1)</link><description>&lt;a href=" jav&amp;#x09;ascript:x"&gt;y&lt;/a&gt;</description><content:encoded><![CDATA[<p onclick="x()">z</p><svg></svg>]]></content:encoded><enclosure url="data:text/html,x" type="text/html" length="1"/></item></channel></rss>"#;
    let p = xml_parts(rss).unwrap();
    assert_eq!(
        p.next.as_deref(),
        Some("http://news.test/feeds/vi.rss?page=2")
    );
    assert_eq!(p.html.len(), 3, "{:?}", p.html); // channel description, description, encoded
    let bad: Vec<String> = p
        .html
        .iter()
        .flat_map(|h| checks::dangerous_markup(h))
        .collect();
    assert!(bad.iter().any(|b| b.starts_with("href=")), "{bad:?}");
    assert!(bad.iter().any(|b| b.contains("onclick")), "{bad:?}");
    assert!(bad.iter().any(|b| b.contains("<svg>")), "{bad:?}");
    let unsafe_urls: Vec<&String> = p.urls.iter().filter(|u| !safe_url(u)).collect();
    assert_eq!(unsafe_urls, ["javascript:alert(1)", "data:text/html,x"]);
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><title>e</title><link href="vbscript:x"/><content type="html">&lt;iframe src="http://x/"&gt;&lt;/iframe&gt;</content></entry></feed>"#;
    let p = xml_parts(atom).unwrap();
    assert!(!checks::dangerous_markup(&p.html[0]).is_empty());
    assert!(!safe_url(&p.urls[0]));
    assert!(checks::well_formed_xml("<rss><channel>\u{1}</channel></rss>").is_err());
}

/// Each hazard normalized on its own, timed: none may take long (debug build), and the bombs
/// must fail or pass in milliseconds.
#[test]
fn every_hazard_normalizes_quickly() {
    let url = url::Url::parse("http://127.0.0.1:1/hazards/x.xml").unwrap();
    let mut slowest = (Duration::ZERO, String::new());
    for entry in std::fs::read_dir(hazards_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !(name.ends_with(".xml") || name.ends_with(".json") || name.ends_with(".html")) {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let started = Instant::now();
        let result = bantin::normalize::normalize(&bytes, None, &url);
        let took = started.elapsed();
        if name.starts_with("01-") || name.starts_with("02-") {
            println!(
                "{name}: {took:?}, {}",
                match &result {
                    Ok(f) => format!("{} items", f.items.len()),
                    Err(e) => format!("[{}] {e}", e.class()),
                }
            );
            assert!(took < Duration::from_millis(200), "{name}: {took:?}");
        }
        if took > slowest.0 {
            slowest = (took, name.clone());
        }
        assert!(took < Duration::from_secs(5), "{name} took {took:?}");
    }
    println!("slowest hazard: {} in {:?}", slowest.1, slowest.0);
}
