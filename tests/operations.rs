//! The daemon as an operator runs it: the real binary with signals (SIGHUP reload with a
//! valid and an invalid file, SIGTERM during a poll), sd_notify messages on a real socket,
//! Prometheus metrics that move, health endpoints, backups while running, admin commands
//! that edit feeds.toml without losing its comments, and OPML round trips.

mod common;

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use bantin::config::Config;
use common::{FeedEntry, FixtureServer, Served, raw_client, write_config};

fn rss(items: &[(&str, &str)]) -> String {
    let mut s = String::from(
        "<rss version=\"2.0\"><channel><title>Nguồn</title><link>http://example.test/</link><language>vi</language>",
    );
    for (guid, title) in items {
        s.push_str(&format!(
            "<item><guid>{guid}</guid><title>{title}</title><link>http://example.test/{guid}</link><pubDate>Fri, 20 Nov 2026 08:00:00 +0700</pubDate></item>"
        ));
    }
    s + "</channel></rss>"
}

/// The real `bantin run` process, its address, and its stderr lines collected in a thread.
struct Proc {
    child: Child,
    addr: String,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

fn start(config: &Path, envs: &[(&str, &str)]) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bantin"));
    cmd.arg("--config")
        .arg(config)
        .args(["run", "--listen", "127.0.0.1:0"]);
    cmd.env("BANTIN_LOG", "info");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let (child, addr, log) = common::spawn_run(cmd);
    Proc { child, addr, log }
}

impl Proc {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }

    fn log_contains(&self, needle: &str) -> bool {
        self.log.lock().unwrap().iter().any(|l| l.contains(needle))
    }

    /// Waits for the process to exit (bounded) and returns its exit code.
    fn wait_exit(&mut self, within: Duration) -> i32 {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            if start.elapsed() > within {
                let _ = self.child.kill();
                panic!("daemon did not exit within {within:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn wait_until<F: Fn() -> bool>(what: &str, f: F) {
    for _ in 0..300 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn get_text(url: &str) -> (u16, String) {
    let r = raw_client().get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_applies_a_valid_config_and_rejects_an_invalid_one() {
    let server = FixtureServer::start().await;
    server.set(
        "/a.rss",
        Served::feed(
            "application/rss+xml",
            rss(&[("a1", "Quốc hội bế mạc kỳ họp thứ mười")]),
        ),
    );
    server.set(
        "/b.rss",
        Served::feed(
            "application/rss+xml",
            rss(&[("b1", "Bão số ba đổ bộ vào Quảng Ninh")]),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let a = FeedEntry {
        name: "A".into(),
        url: server.url("/a.rss"),
        lang: Some("vi".into()),
        categories: vec![],
    };
    let path = write_config(dir.path(), &[a], "");

    let notify_path = dir.path().join("notify.sock");
    let notify = UnixDatagram::bind(&notify_path).unwrap();
    notify
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let proc = start(&path, &[("NOTIFY_SOCKET", notify_path.to_str().unwrap())]);
    let mut buf = [0u8; 512];
    let n = notify.recv(&mut buf).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&buf[..n]).trim(),
        "READY=1",
        "READY=1 once the store is open and the listener bound"
    );

    common::wait_for(&proc.url("/feeds/vi.json"), |b| {
        b.contains("Quốc hội bế mạc kỳ họp thứ mười")
    })
    .await;

    // A valid file with a new feed: applied live, the new feed is polled and published.
    let a = FeedEntry {
        name: "A".into(),
        url: server.url("/a.rss"),
        lang: Some("vi".into()),
        categories: vec![],
    };
    let b = FeedEntry {
        name: "B".into(),
        url: server.url("/b.rss"),
        lang: Some("vi".into()),
        categories: vec![],
    };
    write_config(dir.path(), &[a, b], "");
    proc.signal("-HUP");
    let n = notify.recv(&mut buf).unwrap();
    assert!(
        String::from_utf8_lossy(&buf[..n]).starts_with("RELOADING=1"),
        "{:?}",
        String::from_utf8_lossy(&buf[..n])
    );
    let n = notify.recv(&mut buf).unwrap();
    assert_eq!(String::from_utf8_lossy(&buf[..n]).trim(), "READY=1");
    common::wait_for(&proc.url("/feeds/vi.json"), |b| {
        b.contains("Bão số ba đổ bộ vào Quảng Ninh")
    })
    .await;

    // An invalid file: rejected with PATH:LINE:COL, the old config keeps serving.
    std::fs::write(
        &path,
        std::fs::read_to_string(&path).unwrap() + "\n[poll]\nbogus = 1\n",
    )
    .unwrap();
    proc.signal("-HUP");
    wait_until("the rejection in the log", || {
        proc.log_contains("reload rejected")
    })
    .await;
    assert!(
        proc.log_contains(&format!("{}:", path.display())),
        "error names the file"
    );
    let (status, body) = get_text(&proc.url("/feeds/vi.json")).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("Quốc hội bế mạc kỳ họp thứ mười")
            && body.contains("Bão số ba đổ bộ vào Quảng Ninh")
    );
    let (_, metrics) = get_text(&proc.url("/metrics")).await;
    assert!(
        metrics.contains("bantin_reloads_total{result=\"ok\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("bantin_reloads_total{result=\"rejected\"} 1"),
        "{metrics}"
    );
}

/// A server that sends headers and half a body, then waits before sending the rest (on its
/// first request).
async fn slow_feed_server(body: String, pause: Duration) -> String {
    // Another loopback address: a different host, so per-host politeness does not
    // serialize it with the fixture server's feeds.
    let listener = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        for n in 0..20 {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let body = body.clone();
            // Only the first request is slow: the poll after the restart must succeed.
            let pause = if n == 0 { pause } else { Duration::ZERO };
            tokio::spawn(async move {
                let mut req = [0u8; 4096];
                let _ = sock.read(&mut req).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let half = body.len() / 2;
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(&body.as_bytes()[..half]).await;
                let _ = sock.flush().await;
                tokio::time::sleep(pause).await;
                let _ = sock.write_all(&body.as_bytes()[half..]).await;
            });
        }
    });
    format!("http://{addr}/slow.rss")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_poll_exits_cleanly_without_partial_writes() {
    let server = FixtureServer::start().await;
    let fast: Vec<(String, String)> = (0..30)
        .map(|i| (format!("f{i}"), format!("Tin nhanh {i}")))
        .collect();
    let fast_refs: Vec<(&str, &str)> = fast.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    server.set(
        "/fast.rss",
        Served::feed("application/rss+xml", rss(&fast_refs)),
    );
    let slow_items: Vec<(String, String)> = (0..40)
        .map(|i| (format!("s{i}"), format!("Tin chậm {i}")))
        .collect();
    let slow_refs: Vec<(&str, &str)> = slow_items
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let slow_url = slow_feed_server(rss(&slow_refs), Duration::from_secs(12)).await;
    let dir = tempfile::tempdir().unwrap();
    let feeds = [
        FeedEntry {
            name: "Fast".into(),
            url: server.url("/fast.rss"),
            lang: Some("vi".into()),
            categories: vec![],
        },
        FeedEntry {
            name: "Slow".into(),
            url: slow_url,
            lang: Some("vi".into()),
            categories: vec![],
        },
    ];
    let path = write_config(dir.path(), &feeds, "");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "allow_private = [\"127.0.0.1\"]",
        "allow_private = [\"127.0.0.0/8\"]",
    );
    std::fs::write(&path, text).unwrap();
    let mut proc = start(&path, &[]);
    // Wait until the fast feed is stored, so the slow one is mid-body, then stop.
    for i in 0.. {
        let (_, body) = get_text(&proc.url("/feeds/vi.json")).await;
        if body.contains("Tin nhanh 0") {
            break;
        }
        assert!(
            i < 400,
            "fast feed never published; log:\n{}",
            proc.log.lock().unwrap().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        !proc.log_contains("feed=Slow"),
        "the slow poll should still be running"
    );
    let t = Instant::now();
    proc.signal("-TERM");
    assert_eq!(proc.wait_exit(Duration::from_secs(20)), 0, "clean exit");
    assert!(
        t.elapsed() < Duration::from_secs(15),
        "bounded shutdown: {:?}",
        t.elapsed()
    );

    // The store is intact: the slow feed's items are all there or none, never some.
    let db = dir.path().join("data/bantin.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let slow_count: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM items i JOIN feeds f ON f.id = i.feed_id WHERE f.name = 'Slow'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        slow_count == 0 || slow_count == 40,
        "partial write: {slow_count}"
    );
    let fast_count: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM items i JOIN feeds f ON f.id = i.feed_id WHERE f.name = 'Fast'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(fast_count, 30);
    drop(conn);
    // And the next poll completes normally.
    let config = Config::load(&path).unwrap();
    let lines = common::poll(&config).await;
    assert!(
        lines.last().unwrap().contains("0 with errors"),
        "{lines:#?}"
    );
    assert_eq!(common::items_json(&config).await.len(), 70);
}

/// Parses Prometheus text exposition into (series, value), failing on malformed lines.
fn parse_prometheus(text: &str) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# ") {
            let kind = rest.split_whitespace().next().unwrap();
            assert!(kind == "HELP" || kind == "TYPE", "bad comment line: {line}");
            if kind == "TYPE" {
                let t = rest.split_whitespace().nth(2).unwrap();
                assert!(
                    ["counter", "gauge", "histogram", "summary", "untyped"].contains(&t),
                    "{line}"
                );
            }
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("bad sample line: {line}"));
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name in {line}"
        );
        if name_end < series.len() {
            assert!(series.ends_with('}'), "bad labels in {line}");
            for pair in series[name_end + 1..series.len() - 1].split("\",") {
                let (k, v) = pair
                    .split_once("=\"")
                    .unwrap_or_else(|| panic!("bad label in {line}"));
                assert!(
                    k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "{line}"
                );
                let _ = v;
            }
        }
        let v: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line}"));
        out.push((series.to_string(), v));
    }
    out
}

fn sample(samples: &[(String, f64)], series: &str) -> f64 {
    samples
        .iter()
        .find(|(s, _)| s == series)
        .map(|(_, v)| *v)
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_parse_and_move_health_endpoints_and_backup_while_running() {
    let server = FixtureServer::start().await;
    server.set(
        "/a.rss",
        Served::feed("application/rss+xml", rss(&[("a1", "Một"), ("a2", "Hai")])),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(
        dir.path(),
        &[FeedEntry {
            name: "A".into(),
            url: server.url("/a.rss"),
            lang: Some("vi".into()),
            categories: vec![],
        }],
        "",
    );
    let proc = start(&path, &[]);
    common::wait_for(&proc.url("/readyz"), |b| b.contains("first poll: done")).await;
    assert_eq!(get_text(&proc.url("/healthz")).await.0, 200);

    let before = parse_prometheus(&get_text(&proc.url("/metrics")).await.1);
    assert_eq!(
        sample(&before, "bantin_polls_total{outcome=\"ok\",class=\"\"}"),
        1.0
    );
    assert_eq!(sample(&before, "bantin_items_total{kind=\"new\"}"), 2.0);
    assert_eq!(sample(&before, "bantin_items"), 2.0);
    let client = raw_client();
    let r = client.get(proc.url("/feeds/vi.rss")).send().await.unwrap();
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let r2 = client
        .get(proc.url("/feeds/vi.rss"))
        .header("If-None-Match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r2.status(), 304);
    let _ = client
        .get(proc.url("/feeds/nope.rss"))
        .send()
        .await
        .unwrap();
    let after = parse_prometheus(&get_text(&proc.url("/metrics")).await.1);
    for (status, n) in [("200", 1.0), ("304", 1.0), ("404", 1.0)] {
        let s = format!("bantin_output_requests_total{{status=\"{status}\"}}");
        assert_eq!(sample(&after, &s) - sample(&before, &s), n, "{s}");
    }
    assert!(sample(&after, "bantin_store_bytes") > 0.0);
    assert!(sample(&after, "bantin_fetch_duration_seconds_count") >= 1.0);

    // A consistent copy while the daemon runs.
    let copy = dir.path().join("copy.db");
    let config = Config::load(&path).unwrap();
    let mut out = Vec::new();
    bantin::commands::backup(&config, &copy, &mut out)
        .await
        .unwrap();
    let conn = rusqlite::Connection::open(&copy).unwrap();
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM items", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2);
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

#[tokio::test]
async fn feeds_disable_and_enable_keep_comments_and_validate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feeds.toml");
    let text = "# Portal sources\n[poll]\ninterval = \"15m\" # default\n\n# The paper of record\n[[feed]]\nname = \"Nhân Dân\"\nurl = \"https://nhandan.vn/rss/home.rss\" # home page feed\n\n[[feed]]\nname = \"VOV\"\nurl = \"https://vov.vn/rss/home.rss\"\n";
    std::fs::write(&path, text).unwrap();
    let config = Config::load(&path).unwrap();
    let mut out = Vec::new();
    bantin::commands::set_enabled(&config, "Nhân Dân", false, &mut out)
        .await
        .unwrap();
    let edited = std::fs::read_to_string(&path).unwrap();
    for keep in [
        "# Portal sources",
        "# The paper of record",
        "# home page feed",
        "interval = \"15m\" # default",
    ] {
        assert!(edited.contains(keep), "lost {keep:?}:\n{edited}");
    }
    let config = Config::load(&path).unwrap();
    assert!(!config.feed("Nhân Dân").unwrap().enabled);
    assert!(config.feed("VOV").unwrap().enabled);
    bantin::commands::set_enabled(&config, "Nhân Dân", true, &mut out)
        .await
        .unwrap();
    let config = Config::load(&path).unwrap();
    assert!(config.feed("Nhân Dân").unwrap().enabled);
    assert!(
        bantin::commands::set_enabled(&config, "Nobody", false, &mut out)
            .await
            .is_err()
    );
}

const MINIFLUX_OPML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
    <head><title>Miniflux</title><dateCreated>Sat, 28 Nov 2026 10:00:00 UTC</dateCreated></head>
    <body>
        <outline text="Thể thao">
            <outline title="VnExpress Thể thao" text="VnExpress Thể thao" xmlUrl="https://vnexpress.net/rss/the-thao.rss" htmlUrl="https://vnexpress.net/the-thao" type="rss"></outline>
        </outline>
        <outline text="All">
            <outline title="Tuổi Trẻ" text="Tuổi Trẻ" xmlUrl="https://tuoitre.vn/rss/tin-moi-nhat.rss" htmlUrl="https://tuoitre.vn" type="rss"></outline>
        </outline>
    </body>
</opml>"#;

const FRESHRSS_OPML: &str = r#"<?xml version="1.0" encoding="UTF-8" ?>
<opml version="2.0" xmlns:frss="https://freshrss.org/opml">
	<head><title>FreshRSS</title></head>
	<body>
		<outline text="Business">
			<outline text="VnExpress International – Business" type="rss" xmlUrl="https://e.vnexpress.net/rss/business.rss" htmlUrl="https://e.vnexpress.net/" description="" frss:cssFullContent=""/>
		</outline>
		<outline text="Uncategorized">
			<outline text="Tuổi Trẻ duplicate" type="rss" xmlUrl="https://tuoitre.vn/rss/tin-moi-nhat.rss" htmlUrl="https://tuoitre.vn"/>
		</outline>
	</body>
</opml>"#;

// Feedly: no version attribute, folders with `title`, feeds without `type`, `&amp;` in URLs.
const FEEDLY_OPML: &str = r#"<opml>
  <head><title>Feedly subscriptions</title></head>
  <body>
    <outline text="Du lịch" title="Du lịch">
      <outline text="Travel &amp; Life" title="Travel &amp; Life" xmlUrl="https://example.vn/rss?cat=travel&amp;lang=vi" htmlUrl="https://example.vn"/>
      <outline text="Nested folder">
        <outline text="Deep" xmlUrl="https://deep.example.vn/feed"/>
      </outline>
    </outline>
  </body>
</opml>"#;

#[test]
fn opml_import_export_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = write_config(dir.path(), &[], "");
    let config = Config::load(&path).unwrap();
    let mut out = Vec::new();
    for (i, opml) in [MINIFLUX_OPML, FRESHRSS_OPML, FEEDLY_OPML]
        .iter()
        .enumerate()
    {
        let f = dir.path().join(format!("{i}.opml"));
        std::fs::write(&f, opml).unwrap();
        bantin::commands::import_opml(&config, &f, &mut out).unwrap();
    }
    let config = Config::load(&path).unwrap();
    let urls: Vec<String> = config.feeds.iter().map(|f| f.source.to_string()).collect();
    assert_eq!(urls.len(), 5, "duplicates skipped: {urls:#?}");
    assert!(urls.contains(&"https://example.vn/rss?cat=travel&lang=vi".to_string()));
    assert!(urls.contains(&"https://deep.example.vn/feed".to_string()));
    // Folder names map to categories through their names and labels.
    assert_eq!(
        config.feed("VnExpress Thể thao").unwrap().categories,
        vec!["sports"]
    );
    assert_eq!(
        config
            .feed("VnExpress International – Business")
            .unwrap()
            .categories,
        vec!["business"]
    );
    assert_eq!(
        config.feed("Travel & Life").unwrap().categories,
        vec!["travel"]
    );
    // The config's category tables (and their comments) are untouched.
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("[[category]]")
    );

    // Export, then import the export into an empty config: the same sources come back.
    let mut exported = Vec::new();
    bantin::commands::export_opml(&config, &mut exported).unwrap();
    let exported = String::from_utf8(exported).unwrap();
    let parsed = bantin::admin::parse_opml(&exported).unwrap();
    let mut back: Vec<String> = parsed.iter().map(|f| f.url.clone()).collect();
    let mut want = urls.clone();
    back.sort();
    want.sort();
    assert_eq!(back, want);
    assert!(bantin::admin::parse_opml("<html><body>no</body></html>").is_err());
}

fn item(key: &str, published: chrono::DateTime<chrono::Utc>) -> bantin::model::Item {
    bantin::model::Item {
        key: key.into(),
        guid: Some(key.into()),
        link: Some(format!("http://example.test/{key}")),
        title: format!("Tin {key}"),
        published: Some(published),
        lang: Some("vi".into()),
        ..Default::default()
    }
}

#[test]
fn retention_prunes_old_items_in_batches_but_keeps_each_feeds_newest() {
    use chrono::{Duration as D, Utc};
    let dir = tempfile::tempdir().unwrap();
    let store = bantin::store::Store::open(&dir.path().join("r.db")).unwrap();
    let long_ago = Utc::now() - D::days(400);
    let record = bantin::store::FetchRecord {
        status: "200".into(),
        ..Default::default()
    };
    // Feed A: 30 items seen 400 days ago; feed B: 5 old items and 3 recent ones.
    let a: Vec<_> = (0..30)
        .map(|i| item(&format!("a{i}"), long_ago + D::minutes(i)))
        .collect();
    store
        .apply_fetch("A", &record, &Default::default(), &a, long_ago)
        .unwrap();
    let b_old: Vec<_> = (0..5)
        .map(|i| item(&format!("b{i}"), long_ago + D::minutes(i)))
        .collect();
    store
        .apply_fetch("B", &record, &Default::default(), &b_old, long_ago)
        .unwrap();
    let b_new: Vec<_> = (5..8)
        .map(|i| item(&format!("b{i}"), Utc::now() - D::hours(i)))
        .collect();
    store
        .apply_fetch("B", &record, &Default::default(), &b_new, Utc::now())
        .unwrap();
    assert_eq!(store.item_count().unwrap(), 38);

    // Keep 180 days but never fewer than 10 per feed; batches of 7 exercise the loop.
    let deleted = store.prune(180, 10, 7, Utc::now()).unwrap();
    assert_eq!(
        deleted, 20,
        "A keeps its newest 10; B keeps all 8 (under the minimum)"
    );
    let items = store.all_items().unwrap();
    assert_eq!(items.iter().filter(|i| i.feed == "A").count(), 10);
    let mut kept: Vec<String> = items
        .iter()
        .filter(|i| i.feed == "A")
        .map(|i| i.key.clone())
        .collect();
    kept.sort();
    let mut newest: Vec<String> = (20..30).map(|i| format!("a{i}")).collect();
    newest.sort();
    assert_eq!(kept, newest, "the newest 10 of A survive");
    assert_eq!(items.iter().filter(|i| i.feed == "B").count(), 8);
    // Nothing recent is ever pruned, whatever the minimum.
    let deleted = store.prune(180, 0, 100, Utc::now()).unwrap();
    assert_eq!(deleted, 15);
    assert_eq!(store.all_items().unwrap().len(), 3);
}
