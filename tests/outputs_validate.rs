//! Outputs fetched from the running daemon are judged by third-party validators and
//! consumers (`../shared/tools/validate-feed`: RFC 4287 RELAX NG via jing, xmllint,
//! feedparser and whatever else is installed), and JSON Feed outputs by the spec's rules.

mod common;

use bantin::config::Config;
use common::fixtures::{self, FixtureFormat};
use common::{Daemon, FeedEntry, FixtureServer, Served, poll, raw_client, serve_set, write_config};

fn installed(cmd: &str) -> bool {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {cmd}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A feed whose content tries to break the writers: markup in titles, `]]>` in HTML,
/// control characters, relative URLs, quotes and ampersands.
fn awkward_feed(base: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Báo &amp; "Khó"</title><link>{base}/</link><language>vi</language>
<item><title>&lt;b&gt;Đậm&lt;/b&gt; &amp; ]]&gt; "trích dẫn" 'nháy' &#x1;</title><link>{base}/a?x=1&amp;y=2</link><guid>awk-1</guid>
<pubDate>Sat, 21 Nov 2026 10:00:00 +0700</pubDate>
<description><![CDATA[<p>Đoạn ]]]]><![CDATA[> có <a href="/rel">liên kết</a> và <img src="img.png"> <script>alert(1)</script></p>]]></description>
<category>Thể thao</category></item>
<item><title>Không có liên kết</title><guid>awk-2</guid><pubDate>Sat, 21 Nov 2026 11:00:00 +0700</pubDate><description>Chỉ văn bản &amp; ký tự</description></item>
</channel></rss>"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_output_validates() {
    let server = FixtureServer::start().await;
    let mut set: Vec<_> = fixtures::acceptance_set(&server.base_url())
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % 6 < 3)
        .map(|(_, f)| f)
        .collect();
    set.push(fixtures::make_feed(
        9,
        "en",
        FixtureFormat::Rss2,
        10,
        &server.base_url(),
    ));
    let mut entries = serve_set(&server, &set);
    server.set(
        "/awkward.rss",
        Served::feed("application/rss+xml", awkward_feed(&server.base_url())),
    );
    entries.push(FeedEntry {
        name: "Báo <Khó> & \"Lạ\"".into(),
        url: server.url("/awkward.rss"),
        lang: None,
        categories: vec!["sports".into()],
    });
    let dir = tempfile::tempdir().unwrap();
    let config = Config::load(&write_config(dir.path(), &entries, "")).unwrap();
    let lines = poll(&config).await;
    assert!(
        lines.last().unwrap().contains("0 with errors"),
        "{lines:#?}"
    );

    let daemon = Daemon::start(config).await;
    let client = raw_client();
    let tool_present = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/tools/validate-feed")
        .exists();
    let mut validated = 0;
    for path in ["vi", "en", "id", "vi/sports", "en/business", "id/travel"] {
        for ext in ["rss", "atom", "json"] {
            let url = daemon.url(&format!("/feeds/{path}.{ext}"));
            let resp = client.get(&url).send().await.unwrap();
            assert_eq!(resp.status(), 200, "{url}");
            let body = resp.bytes().await.unwrap();
            let text = std::str::from_utf8(&body).expect("outputs are UTF-8");
            assert!(
                !text.contains("<script") && !text.contains("alert(1)"),
                "{url} leaks script"
            );
            assert!(!text.contains("\u{1}"), "{url} has a control character");
            if ext == "json" {
                check_json_feed(&url, text);
                continue;
            }
            // Relative URLs never reach an output.
            assert!(
                !text.contains("href=\"/rel\"") && !text.contains("src=\"img.png\""),
                "{url}"
            );
            let file = dir.path().join(format!("{}.{ext}", path.replace('/', "-")));
            std::fs::write(&file, &body).unwrap();
            if let Some(report) = common::validate_feed(&file) {
                validated += 1;
                if ext == "atom" && installed("jing") {
                    assert!(
                        report.contains("atom-rng-jing")
                            && report
                                .lines()
                                .any(|l| l.contains("atom-rng-jing") && l.contains("PASS")),
                        "{report}"
                    );
                }
                if installed("xmllint") {
                    assert!(
                        report
                            .lines()
                            .any(|l| l.contains("xmllint-wellformed") && l.contains("PASS")),
                        "{report}"
                    );
                }
            }
        }
    }
    if tool_present {
        assert_eq!(validated, 12);
    }
    daemon.stop().await;
}

/// The rules of JSON Feed 1.1 that readers rely on.
fn check_json_feed(url: &str, text: &str) {
    let v: serde_json::Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{url}: invalid JSON: {e}"));
    assert_eq!(v["version"], "https://jsonfeed.org/version/1.1", "{url}");
    assert!(v["title"].as_str().is_some_and(|t| !t.is_empty()), "{url}");
    assert!(
        v["feed_url"]
            .as_str()
            .unwrap()
            .starts_with("http://news.test/feeds/"),
        "{url}"
    );
    let items = v["items"].as_array().unwrap();
    assert!(
        !items.is_empty() || url.matches('/').count() > 4,
        "{url}: a language output is never empty here"
    );
    for item in items {
        assert!(item["id"].as_str().is_some_and(|s| !s.is_empty()), "{url}");
        assert!(item["content_html"].is_string(), "{url}");
        let date = item["date_published"].as_str().unwrap();
        chrono::DateTime::parse_from_rfc3339(date)
            .unwrap_or_else(|e| panic!("{url}: bad date {date}: {e}"));
        if let Some(u) = item["url"].as_str() {
            assert!(u.starts_with("http"), "{url}: relative item url {u}");
        }
        assert!(
            item["_bantin"]["source"]["title"].is_string(),
            "{url}: no attribution"
        );
    }
}
