//! A misbehaving HTTP server on 127.0.0.1 (raw tokio sockets, in-process, every loop bounded)
//! against bantin's fetcher and pipeline: redirects of each kind and their effect on the
//! stored URL, loops, 410 Gone, 429/503 with both `Retry-After` forms, slow headers, a slow
//! drip, an endless body, gzip/deflate/brotli bombs built at test time, an HTML page, redirects
//! to refused addresses and schemes, and per-host politeness.

mod common;

use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bantin::config::{Config, FeedSource};
use bantin::fetch::{Conditional, FetchError, Fetched, Fetcher};
use bantin::store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Hostile</title><link>https://hostile.example/</link>
<item><title>Only item</title><link>https://hostile.example/1</link><guid>h-1</guid></item>
</channel></rss>"#;

/// What the server does at one path.
#[derive(Clone)]
enum Act {
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Reads the request and says nothing for this long, then closes.
    SlowHeaders(Duration),
    /// Sends headers, then one body byte per interval (at most `bytes`).
    Drip { every: Duration, bytes: usize },
    /// Sends a chunked body of spaces until the client goes away (at most 256 MiB).
    Endless,
}

fn respond(status: u16, headers: &[(&str, &str)], body: impl Into<Vec<u8>>) -> Act {
    Act::Respond {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.into(),
    }
}

fn feed() -> Act {
    respond(200, &[("Content-Type", "application/rss+xml")], FEED)
}

fn redirect(status: u16, to: &str) -> Act {
    respond(status, &[("Location", to)], "")
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Act>,
    hits: HashMap<String, usize>,
    /// (path, start, end) of every request.
    log: Vec<(String, Instant, Instant)>,
    in_flight: usize,
    max_in_flight: usize,
}

#[derive(Clone)]
struct Hostile {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    connections: Arc<AtomicUsize>,
}

impl Hostile {
    async fn start() -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let connections = Arc::new(AtomicUsize::new(0));
        let (s, c) = (state.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                c.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(sock, s.clone()));
            }
        });
        Hostile {
            addr,
            state,
            connections,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn set(&self, path: &str, act: Act) {
        self.state
            .lock()
            .unwrap()
            .routes
            .insert(path.to_string(), act);
    }

    fn hits(&self, path: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .hits
            .get(path)
            .copied()
            .unwrap_or(0)
    }
}

async fn serve(mut sock: TcpStream, state: Arc<Mutex<State>>) {
    // Read the request head (bounded).
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match sock.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head).to_string();
    let path = text.split_whitespace().nth(1).unwrap_or("/").to_string();
    let started = Instant::now();
    let act = {
        let mut s = state.lock().unwrap();
        *s.hits.entry(path.clone()).or_default() += 1;
        s.in_flight += 1;
        s.max_in_flight = s.max_in_flight.max(s.in_flight);
        s.routes.get(&path).cloned()
    };
    match act {
        None => {
            let _ = sock
                .write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .await;
        }
        Some(Act::Respond {
            status,
            headers,
            body,
        }) => {
            // Hold the connection a moment so that overlapping requests would show.
            tokio::time::sleep(Duration::from_millis(30)).await;
            let mut out = format!("HTTP/1.1 {status} X\r\nConnection: close\r\n");
            for (k, v) in &headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
            let _ = sock.write_all(out.as_bytes()).await;
            let _ = sock.write_all(&body).await;
        }
        Some(Act::SlowHeaders(d)) => tokio::time::sleep(d).await,
        Some(Act::Drip { every, bytes }) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {bytes}\r\nConnection: close\r\n\r\n"
            );
            if sock.write_all(head.as_bytes()).await.is_ok() {
                for _ in 0..bytes {
                    if sock.write_all(b" ").await.is_err() {
                        break;
                    }
                    tokio::time::sleep(every).await;
                }
            }
        }
        Some(Act::Endless) => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
            if sock.write_all(head.as_bytes()).await.is_ok() {
                let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, " ".repeat(64 * 1024));
                for _ in 0..(256 * 16) {
                    if sock.write_all(chunk.as_bytes()).await.is_err() {
                        break;
                    }
                }
            }
        }
    }
    let _ = sock.shutdown().await;
    let mut s = state.lock().unwrap();
    s.in_flight -= 1;
    s.log.push((path, started, Instant::now()));
}

/// A config with the given feeds (name, url) and `[poll]` lines.
fn config(dir: &std::path::Path, poll: &str, feeds: &[(&str, String)]) -> Config {
    let gap = if poll.contains("host_gap") {
        ""
    } else {
        "host_gap = \"0s\"\n"
    };
    let mut toml = format!(
        "[storage]\npath = \"data/bantin.db\"\n\n[poll]\ninterval = \"15m\"\ntimeout = \"2s\"\nconnect_timeout = \"1s\"\nmax_body = \"1MiB\"\n{gap}{poll}\n\n"
    );
    for (name, url) in feeds {
        toml.push_str(&format!("[[feed]]\nname = {name:?}\nurl = {url:?}\n\n"));
    }
    let path = dir.join("feeds.toml");
    std::fs::write(&path, toml).unwrap();
    Config::load(&path).unwrap()
}

fn allow(server: &Hostile) -> String {
    format!("allow_private = [\"127.0.0.1:{}\"]", server.addr.port())
}

async fn poll_one(config: &Config, name: &str) -> String {
    let mut out = Vec::new();
    bantin::commands::poll(config, Some(name), &mut out)
        .await
        .unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string()
}

fn status(config: &Config, name: &str) -> bantin::model::FeedStatus {
    Store::open(&config.storage.path)
        .unwrap()
        .feed_status(name)
        .unwrap()
        .unwrap()
}

async fn fetch(config: &Config, url: &str) -> Result<Fetched, FetchError> {
    let fetcher = Fetcher::new(&config.poll).unwrap();
    fetcher
        .fetch(
            &FeedSource::Http(url.parse().unwrap()),
            &Conditional::default(),
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_redirects_move_the_feed_temporary_ones_do_not() {
    let s = Hostile::start().await;
    // 301 → 301 → 302 → 200: the URL after the leading permanent run is /c.
    s.set("/a", redirect(301, "/b"));
    s.set("/b", redirect(301, &s.url("/c")));
    s.set("/c", redirect(302, "/d"));
    s.set("/d", feed());
    // 308 → 200 moves; 307 → 200 does not.
    s.set("/p", redirect(308, "/q"));
    s.set("/q", feed());
    s.set("/t", redirect(307, "/u"));
    s.set("/u", feed());
    let dir = tempfile::tempdir().unwrap();
    let c = config(
        dir.path(),
        &allow(&s),
        &[
            ("chain", s.url("/a")),
            ("perm", s.url("/p")),
            ("temp", s.url("/t")),
        ],
    );
    for name in ["chain", "perm", "temp"] {
        let line = poll_one(&c, name).await;
        assert!(line.contains("1 new"), "{line}");
    }
    assert_eq!(
        status(&c, "chain").moved_url.as_deref(),
        Some(s.url("/c").as_str())
    );
    assert_eq!(
        status(&c, "perm").moved_url.as_deref(),
        Some(s.url("/q").as_str())
    );
    assert_eq!(status(&c, "temp").moved_url, None);

    // The next polls start from the stored URLs.
    for name in ["chain", "perm", "temp"] {
        poll_one(&c, name).await;
    }
    assert_eq!((s.hits("/a"), s.hits("/b"), s.hits("/c")), (1, 1, 2));
    assert_eq!((s.hits("/p"), s.hits("/q")), (1, 2));
    assert_eq!(s.hits("/t"), 2);

    // `bantin feeds` shows the move; changing the configured URL forgets it.
    let mut out = Vec::new();
    bantin::commands::feeds(&c, false, &mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains(&format!("moved permanently to {}", s.url("/c"))),
        "{text}"
    );
    let c2 = config(dir.path(), &allow(&s), &[("chain", s.url("/d"))]);
    bantin::daemon::open_store(&c2).await.unwrap();
    assert_eq!(status(&c2, "chain").moved_url, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_loops_long_chains_and_bad_schemes_fail_as_redirect() {
    let s = Hostile::start().await;
    s.set("/l1", redirect(302, "/l2"));
    s.set("/l2", redirect(301, "/l1"));
    for i in 0..8 {
        s.set(&format!("/r{i}"), redirect(302, &format!("/r{}", i + 1)));
    }
    s.set("/r8", feed());
    s.set("/gopher", redirect(302, "gopher://127.0.0.1/1"));
    s.set("/file", redirect(301, "file:///etc/passwd"));
    s.set("/noloc", respond(302, &[], ""));
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), &allow(&s), &[]);
    for (path, want) in [
        ("/l1", "redirect loop"),
        ("/r0", "more than 5 redirects"),
        ("/gopher", "gopher scheme"),
        ("/file", "file scheme"),
        ("/noloc", "without Location"),
    ] {
        let err = fetch(&c, &s.url(path)).await.unwrap_err();
        assert_eq!(err.class(), "redirect", "{path}: {err}");
        assert!(err.to_string().contains(want), "{path}: {err}");
    }
    assert_eq!(s.hits("/r6"), 0, "stopped after 5 redirects");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_feeds_stop_until_enabled() {
    let s = Hostile::start().await;
    s.set("/gone", respond(410, &[], "gone"));
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), &allow(&s), &[("old", s.url("/gone"))]);
    let line = poll_one(&c, "old").await;
    assert!(line.contains("gone (HTTP 410)"), "{line}");
    assert!(status(&c, "old").gone_at.is_some());
    let line = poll_one(&c, "old").await;
    assert!(line.contains("gone"), "{line}");
    assert_eq!(s.hits("/gone"), 1, "a gone feed is not requested again");

    let mut out = Vec::new();
    bantin::commands::feeds(&c, false, &mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("gone since") && text.contains("feeds enable"),
        "{text}"
    );
    let mut out = Vec::new();
    bantin::commands::feeds(&c, true, &mut out).await.unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(json["gone"], true);
    assert_eq!(json["error_class"], "status");

    // The admin re-enables it; it is back.
    s.set("/gone", feed());
    let mut out = Vec::new();
    bantin::commands::enable_feed(&c, "old", &mut out)
        .await
        .unwrap();
    let line = poll_one(&c, "old").await;
    assert!(line.contains("1 new"), "{line}");
    assert!(status(&c, "old").gone_at.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_holds_back_the_url_and_the_host() {
    let s = Hostile::start().await;
    let in_an_hour =
        httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3600));
    s.set("/busy", respond(429, &[("Retry-After", "120")], ""));
    s.set("/down", respond(503, &[("Retry-After", &in_an_hour)], ""));
    s.set(
        "/garbage",
        respond(429, &[("Retry-After", "soon, maybe")], ""),
    );
    s.set("/huge", respond(503, &[("Retry-After", "99999999999")], ""));
    s.set("/other", feed());
    let dir = tempfile::tempdir().unwrap();
    let c = config(
        dir.path(),
        &format!("{}\nretry_after_host = false", allow(&s)),
        &[
            ("busy", s.url("/busy")),
            ("down", s.url("/down")),
            ("garbage", s.url("/garbage")),
            ("huge", s.url("/huge")),
        ],
    );
    let now = chrono::Utc::now();
    let line = poll_one(&c, "busy").await;
    assert!(
        line.contains("error [status] HTTP status 429, retry after"),
        "{line}"
    );
    let ra = status(&c, "busy").retry_after.unwrap();
    assert!(
        (ra - now).num_seconds() >= 115 && (ra - now).num_seconds() <= 130,
        "{ra}"
    );
    let line = poll_one(&c, "busy").await;
    assert!(line.contains("deferred until"), "{line}");
    assert_eq!(s.hits("/busy"), 1);

    poll_one(&c, "down").await;
    let ra = status(&c, "down").retry_after.unwrap();
    assert!(
        (ra - now).num_seconds() >= 3590 && (ra - now).num_seconds() <= 3610,
        "{ra}"
    );

    let line = poll_one(&c, "garbage").await;
    assert!(line.contains("error [status] HTTP status 429"), "{line}");
    assert!(
        status(&c, "garbage").retry_after.is_none(),
        "garbage is ignored"
    );

    poll_one(&c, "huge").await;
    let ra = status(&c, "huge").retry_after.unwrap();
    assert!(
        (ra - now).num_hours() <= 24,
        "huge values are clamped: {ra}"
    );

    // By default the pause covers the whole host: another feed there waits too.
    let dir = tempfile::tempdir().unwrap();
    let c = config(
        dir.path(),
        &allow(&s),
        &[("busy", s.url("/busy")), ("neighbour", s.url("/other"))],
    );
    poll_one(&c, "busy").await;
    let line = poll_one(&c, "neighbour").await;
    assert!(line.contains("deferred until"), "{line}");
    assert_eq!(s.hits("/other"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_servers_hit_the_total_deadline() {
    let s = Hostile::start().await;
    s.set("/slow-headers", Act::SlowHeaders(Duration::from_secs(6)));
    // 1 byte every 300 ms: a per-read timeout would never fire.
    s.set(
        "/drip",
        Act::Drip {
            every: Duration::from_millis(300),
            bytes: 40,
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), &allow(&s), &[("drip", s.url("/drip"))]);
    for path in ["/slow-headers", "/drip"] {
        let started = Instant::now();
        let err = fetch(&c, &s.url(path)).await.unwrap_err();
        assert_eq!(err.class(), "timeout", "{path}: {err}");
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(1900) && took < Duration::from_millis(3500),
            "{path}: {took:?}"
        );
    }
    let line = poll_one(&c, "drip").await;
    assert!(line.contains("error [timeout]"), "{line}");
}

fn bomb_payload() -> Vec<u8> {
    // A valid RSS prefix, then 16 MiB of spaces: 16× the configured 1 MiB cap.
    let mut v = b"<rss version=\"2.0\"><channel><title>x</title><item><title>".to_vec();
    v.resize(16 << 20, b' ');
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_bodies_and_compression_bombs_hit_the_cap() {
    let s = Hostile::start().await;
    s.set("/endless", Act::Endless);
    let payload = bomb_payload();
    let gz = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&payload).unwrap();
        e.finish().unwrap()
    };
    let zlib = {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&payload).unwrap();
        e.finish().unwrap()
    };
    let raw = {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&payload).unwrap();
        e.finish().unwrap()
    };
    let br = {
        let mut out = Vec::new();
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 1, 18);
        w.write_all(&payload).unwrap();
        drop(w);
        out
    };
    for (name, body) in [("gz", &gz), ("zlib", &zlib), ("raw", &raw), ("br", &br)] {
        assert!(
            body.len() < 200_000,
            "{name} bomb is {} bytes on the wire",
            body.len()
        );
    }
    let enc = |e: &str, body: &Vec<u8>| {
        respond(
            200,
            &[
                ("Content-Type", "application/rss+xml"),
                ("Content-Encoding", e),
            ],
            body.clone(),
        )
    };
    s.set("/gzip", enc("gzip", &gz));
    s.set("/deflate", enc("deflate", &zlib));
    s.set("/deflate-raw", enc("deflate", &raw));
    s.set("/br", enc("br", &br));
    s.set(
        "/big",
        respond(
            200,
            &[("Content-Type", "application/rss+xml")],
            payload.clone(),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), &allow(&s), &[("bomb", s.url("/gzip"))]);
    for path in [
        "/endless",
        "/gzip",
        "/deflate",
        "/deflate-raw",
        "/br",
        "/big",
    ] {
        let started = Instant::now();
        match fetch(&c, &s.url(path)).await {
            Err(e) => assert!(
                e.class() == "size" || (path == "/deflate-raw" && e.class() == "network"),
                "{path}: {e}"
            ),
            Ok(_) => panic!("{path}: a bomb was accepted"),
        }
        assert!(started.elapsed() < Duration::from_secs(5), "{path}");
    }
    let line = poll_one(&c, "bomb").await;
    assert!(line.contains("error [size]"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_pages_are_not_feeds() {
    let s = Hostile::start().await;
    s.set(
        "/page",
        respond(
            200,
            &[("Content-Type", "text/html")],
            "<!DOCTYPE html><html><head><link rel=alternate type=application/rss+xml href=/rss></head><body>hi</body></html>",
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), &allow(&s), &[("page", s.url("/page"))]);
    let line = poll_one(&c, "page").await;
    assert!(line.contains("error [not-a-feed]"), "{line}");
    assert_eq!(status(&c, "page").item_count, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_to_refused_addresses_never_connect() {
    let allowed = Hostile::start().await;
    let other = Hostile::start().await;
    other.set("/secret", feed());
    allowed.set("/to-other-port", redirect(302, &other.url("/secret")));
    allowed.set(
        "/to-mapped",
        redirect(
            301,
            &format!("http://[::ffff:127.0.0.1]:{}/secret", other.addr.port()),
        ),
    );
    allowed.set(
        "/to-metadata",
        redirect(302, "http://[::ffff:169.254.169.254]/latest/meta-data/"),
    );
    allowed.set(
        "/to-localhost",
        redirect(
            302,
            &format!("http://localhost:{}/secret", other.addr.port()),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let c = config(
        dir.path(),
        &allow(&allowed),
        &[("sneaky", allowed.url("/to-other-port"))],
    );
    for path in [
        "/to-other-port",
        "/to-mapped",
        "/to-metadata",
        "/to-localhost",
    ] {
        let err = fetch(&c, &allowed.url(path)).await.unwrap_err();
        assert_eq!(err.class(), "address-blocked", "{path}: {err}");
    }
    let line = poll_one(&c, "sneaky").await;
    assert!(line.contains("error [address-blocked]"), "{line}");
    assert_eq!(
        other.connections.load(Ordering::SeqCst),
        0,
        "the refused port saw a connection"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_request_at_a_time_per_host_with_a_gap() {
    let s = Hostile::start().await;
    let mut feeds = Vec::new();
    for i in 0..4 {
        s.set(&format!("/f{i}"), feed());
        feeds.push((format!("f{i}"), s.url(&format!("/f{i}"))));
    }
    let dir = tempfile::tempdir().unwrap();
    let named: Vec<(&str, String)> = feeds.iter().map(|(n, u)| (n.as_str(), u.clone())).collect();
    let c = config(
        dir.path(),
        &format!("{}\nhost_gap = \"1s\"\nconcurrency = 8", allow(&s)),
        &named,
    );
    let started = Instant::now();
    let mut out = Vec::new();
    bantin::commands::poll(&c, None, &mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("4 new"), "{text}");
    let st = s.state.lock().unwrap();
    assert_eq!(
        st.max_in_flight, 1,
        "more than one request at once to one host"
    );
    let mut starts: Vec<Instant> = st.log.iter().map(|(_, s, _)| *s).collect();
    starts.sort();
    for w in starts.windows(2) {
        let gap = w[1] - w[0];
        assert!(gap >= Duration::from_millis(750), "gap {gap:?}");
    }
    assert!(started.elapsed() >= Duration::from_millis(2400));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caching_headers_are_recorded() {
    let s = Hostile::start().await;
    s.set(
        "/cached",
        respond(
            200,
            &[
                ("Content-Type", "application/rss+xml"),
                ("Cache-Control", "public, max-age=1800"),
            ],
            FEED.replace(
                "<title>Hostile</title>",
                "<title>Hostile</title><ttl>90</ttl><skipDays><day>Sunday</day></skipDays>",
            ),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), &allow(&s), &[("cached", s.url("/cached"))]);
    poll_one(&c, "cached").await;
    let st = status(&c, "cached");
    assert_eq!(st.cache_secs, Some(1800));
    assert_eq!(st.ttl_secs, Some(90 * 60));
    assert_eq!(st.skip_days, 1 << 6);
}
