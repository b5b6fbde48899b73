//! Publishing as readers see it: RFC 5005 paging, WebSub hub links and pings, HTTP caching
//! headers and content negotiation, HEAD, the index page and OPML.

mod common;

use std::io::Read;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::post;
use bantin::config::Config;
use common::{FeedEntry, FixtureServer, Served, raw_client, write_config};

fn rss(prefix: &str, n: usize) -> String {
    let mut s = String::from(
        "<rss version=\"2.0\"><channel><title>Nguồn</title><link>http://example.test/</link><language>vi</language>",
    );
    for i in 0..n {
        // Distinct dates, newest first by index.
        let minute = i % 60;
        let hour = (i / 60) % 24;
        s.push_str(&format!(
            "<item><guid>{prefix}{i}</guid><title>{prefix} tin số {i}</title><link>http://example.test/{prefix}/{i}</link><pubDate>Fri, 20 Nov 2026 {hour:02}:{minute:02}:00 +0000</pubDate><description>Nội dung {i}</description></item>"
        ));
    }
    s + "</channel></rss>"
}

async fn started(config: Config) -> (common::Daemon, Config) {
    let d = common::Daemon::start(config.clone()).await;
    common::wait_for(&d.url("/readyz"), |_| true).await;
    (d, config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_lets_readers_go_back_beyond_the_limit() {
    let server = FixtureServer::start().await;
    server.set("/a.rss", Served::feed("application/rss+xml", rss("a", 120)));
    let dir = tempfile::tempdir().unwrap();
    let entries = vec![FeedEntry {
        name: "A".into(),
        url: server.url("/a.rss"),
        lang: Some("vi".into()),
        categories: vec![],
    }];
    let config = Config::load(&write_config(dir.path(), &entries, "")).unwrap();
    common::poll(&config).await;
    let (daemon, _) = started(config).await;
    let client = raw_client();

    let mut seen = std::collections::HashSet::new();
    let mut url = daemon.url("/feeds/vi.atom");
    let mut pages = 0;
    loop {
        let body = client
            .get(&url)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let feed = feed_rs::parser::parse(&body[..]).unwrap();
        pages += 1;
        for e in &feed.entries {
            assert!(
                seen.insert(e.id.clone()),
                "item repeated across pages: {}",
                e.id
            );
        }
        let file = dir.path().join(format!("page{pages}.atom"));
        std::fs::write(&file, &body).unwrap();
        common::validate_feed(&file);
        match feed.links.iter().find(|l| l.rel.as_deref() == Some("next")) {
            Some(next) => {
                // Links are absolute from base_url; follow them on the test daemon.
                let path = next.href.strip_prefix("http://news.test").unwrap();
                url = daemon.url(path);
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 120, "every item reachable by paging");
    let r = client
        .get(daemon.url("/feeds/vi.atom?page=4"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = client
        .get(daemon.url("/feeds/vi.rss?page=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let json: serde_json::Value = serde_json::from_slice(
        &client
            .get(daemon.url("/feeds/vi.json"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(json["next_url"], "http://news.test/feeds/vi.json?page=2");
    assert_eq!(
        json["items"].as_array().unwrap().len(),
        50,
        "the first page stays small"
    );
    let rss_page2 = client
        .get(daemon.url("/feeds/vi.rss?page=2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        rss_page2.contains("rel=\"previous\"") && rss_page2.contains("rel=\"first\""),
        "{rss_page2}"
    );
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websub_hubs_are_announced_and_pinged_when_outputs_change() {
    // A hub on loopback that records publish pings.
    let pings: Arc<Mutex<Vec<String>>> = Arc::default();
    let p2 = pings.clone();
    let hub = Router::new().route(
        "/hub",
        post(move |body: String| {
            let p = p2.clone();
            async move {
                p.lock().unwrap().push(body);
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let hub_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hub_url = format!("http://{}/hub", hub_listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(hub_listener, hub).await.unwrap() });

    let server = FixtureServer::start().await;
    server.set("/a.rss", Served::feed("application/rss+xml", rss("a", 3)));
    // A different event altogether, so it is its own story and shows in the outputs.
    let b_doc = "<rss version=\"2.0\"><channel><title>Nguồn B</title><link>http://b.example.test/</link><language>vi</language><item><guid>b0</guid><title>Hội An đón lượng khách kỷ lục dịp lễ hội đèn lồng</title><link>http://b.example.test/hoi-an</link><pubDate>Fri, 20 Nov 2026 01:30:00 +0000</pubDate></item></channel></rss>";
    server.set("/b.rss", Served::feed("application/rss+xml", b_doc));
    let dir = tempfile::tempdir().unwrap();
    let extra = format!("[publish]\nhubs = [\"{hub_url}\"]\n");
    let a = FeedEntry {
        name: "A".into(),
        url: server.url("/a.rss"),
        lang: Some("vi".into()),
        categories: vec![],
    };
    let path = write_config(dir.path(), &[a], &extra);
    let config = Config::load(&path).unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (reload_tx, reload_rx) = tokio::sync::mpsc::channel(1);
    let handle = tokio::spawn(bantin::daemon::run_with_reload(
        config,
        listener,
        async move {
            let _ = stop_rx.await;
        },
        reload_rx,
    ));
    let base = format!("http://{addr}");
    common::wait_for(&format!("{base}/feeds/vi.rss"), |b| {
        b.contains("a tin số 0")
    })
    .await;
    let body = raw_client()
        .get(format!("{base}/feeds/vi.atom"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains(&format!("<link rel=\"hub\" href=\"{hub_url}\"/>")),
        "{body}"
    );

    // A new source arrives (by reload): outputs change, the hub hears about them.
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
    write_config(dir.path(), &[a, b], &extra);
    reload_tx.send(()).await.unwrap();
    common::wait_for(&format!("{base}/feeds/vi.rss"), |b| {
        b.contains("Hội An đón lượng khách kỷ lục")
    })
    .await;
    for _ in 0..200 {
        if pings
            .lock()
            .unwrap()
            .iter()
            .any(|p| p.contains("hub.url=http%3A%2F%2Fnews.test%2Ffeeds%2Fvi.rss"))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let got = pings.lock().unwrap().clone();
    assert!(
        got.iter()
            .all(|p| p.starts_with("hub.mode=publish&hub.url=")),
        "{got:?}"
    );
    assert!(got.iter().any(|p| p.ends_with("vi.rss")), "{got:?}");
    assert!(got.iter().any(|p| p.ends_with("vi.atom")), "{got:?}");
    // Outputs that did not change are not announced.
    assert!(!got.iter().any(|p| p.contains("%2Fen.")), "{got:?}");
    let _ = stop_tx.send(());
    handle.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caching_headers_negotiation_head_index_and_opml() {
    let server = FixtureServer::start().await;
    server.set("/a.rss", Served::feed("application/rss+xml", rss("a", 5)));
    let dir = tempfile::tempdir().unwrap();
    let entries = vec![FeedEntry {
        name: "A".into(),
        url: server.url("/a.rss"),
        lang: Some("vi".into()),
        categories: vec!["politics".into()],
    }];
    let config = Config::load(&write_config(dir.path(), &entries, "")).unwrap();
    common::poll(&config).await;
    let (daemon, _) = started(config).await;
    let client = raw_client();
    let url = daemon.url("/feeds/vi.rss");

    let plain = client.get(&url).send().await.unwrap();
    let h = plain.headers().clone();
    assert_eq!(h["content-type"], "application/rss+xml; charset=utf-8");
    assert_eq!(h["cache-control"], "public, max-age=300");
    assert_eq!(h["vary"], "Accept-Encoding");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h.get("content-encoding").is_none());
    let last_modified = h["last-modified"].to_str().unwrap().to_string();
    assert_eq!(
        last_modified, "Fri, 20 Nov 2026 00:04:00 GMT",
        "newest item's date"
    );
    let body = plain.bytes().await.unwrap();

    let gz = client
        .get(&url)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let gz_etag = gz.headers()["etag"].to_str().unwrap().to_string();
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gz.bytes().await.unwrap()[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, body);
    let br = client
        .get(&url)
        .header("Accept-Encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(br.headers()["content-encoding"], "br");
    let mut unbr = Vec::new();
    brotli::Decompressor::new(&br.bytes().await.unwrap()[..], 4096)
        .read_to_end(&mut unbr)
        .unwrap();
    assert_eq!(unbr, body);
    let no_br = client
        .get(&url)
        .header("Accept-Encoding", "br;q=0, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(no_br.headers()["content-encoding"], "gzip");

    // Validators: the gzip ETag is valid for the same content; a date at or after Last-Modified.
    let r = client
        .get(&url)
        .header("If-None-Match", &gz_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert!(r.headers().get("etag").is_some());
    let r = client
        .get(&url)
        .header("If-Modified-Since", &last_modified)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let r = client
        .get(&url)
        .header("If-Modified-Since", "Thu, 19 Nov 2026 00:00:00 GMT")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client
        .get(&url)
        .header("If-None-Match", "\"other\"")
        .header("If-Modified-Since", &last_modified)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "If-None-Match wins over If-Modified-Since");

    let head = client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers()["content-type"],
        "application/rss+xml; charset=utf-8"
    );
    assert!(head.bytes().await.unwrap().is_empty());

    let r = client.post(&url).send().await.unwrap();
    assert_eq!(r.status(), 405);
    let r = client
        .get(daemon.url("/feeds/nope.rss"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("Known IDs include: vi"));

    // The index page: localized sections, subscribe links and autodiscovery.
    let index = client
        .get(daemon.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        index.contains("<h2>Tiếng Việt</h2>")
            && index.contains("<h2>English</h2>")
            && index.contains("<h2>Bahasa Indonesia</h2>")
    );
    assert!(index.contains("Chuyên mục") && index.contains("Kategori"));
    assert!(index.contains("<link rel=\"alternate\" type=\"application/atom+xml\""));
    assert!(index.contains("a tin số 4"), "latest items listed");
    assert!(!index.contains("<script"));

    // OPML lists every output.
    let opml = client
        .get(daemon.url("/opml"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let outlines = bantin::admin::parse_opml(&opml).unwrap();
    assert!(
        outlines
            .iter()
            .any(|o| o.url == "http://news.test/feeds/vi.rss")
    );
    assert!(
        outlines
            .iter()
            .any(|o| o.url == "http://news.test/feeds/id/heritage.rss")
    );
    assert_eq!(outlines.len(), 3 + 3 * 10, "{} outlines", outlines.len());
    daemon.stop().await;
}
