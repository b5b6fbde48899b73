//! The walking skeleton end to end, through the real parts: fixture feeds served over
//! loopback HTTP, `poll` into a real SQLite file, the daemon's HTTP endpoint, and outputs
//! parsed back with feed-rs.

mod common;

use std::collections::HashSet;

use bantin::config::Config;
use common::fixtures::{self, FixtureFormat};
use common::{
    Daemon, FeedEntry, FixtureServer, Served, items_json, poll, raw_client, serve_set, write_config,
};

fn parse_feed(body: &[u8]) -> feed_rs::model::Feed {
    feed_rs::parser::parse(body).unwrap_or_else(|e| {
        panic!(
            "output does not parse: {e}\n{}",
            String::from_utf8_lossy(body)
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acceptance_eighteen_feeds_three_languages() {
    let server = FixtureServer::start().await;
    let set = fixtures::acceptance_set(&server.base_url());
    assert_eq!(set.iter().map(|f| f.items.len()).sum::<usize>(), 240);
    let entries = serve_set(&server, &set);
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), &entries, "");

    let config = Config::load(&path).unwrap();
    let mut out = Vec::new();
    bantin::commands::check(&config, &mut out).unwrap();

    // First poll: everything is new.
    let lines = poll(&config).await;
    assert_eq!(lines.len(), 19, "{lines:#?}");
    assert!(
        lines
            .last()
            .unwrap()
            .contains("240 new, 0 updated, 0 with errors"),
        "{lines:#?}"
    );
    assert!(dir.path().join("data/bantin.db").exists());

    // Second poll: the server answers 304 to every conditional request; nothing changes.
    let lines = poll(&config).await;
    assert!(
        lines
            .last()
            .unwrap()
            .contains("0 new, 0 updated, 0 with errors"),
        "{lines:#?}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("unchanged (not modified)"))
            .count(),
        18
    );
    assert_eq!(server.not_modified_count(), 18);

    let items = items_json(&config).await;
    assert_eq!(items.len(), 240);
    let guids: HashSet<_> = items
        .iter()
        .map(|i| i["guid"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(guids.len(), 240);
    // Newest first.
    let dates: Vec<_> = items
        .iter()
        .map(|i| i["published"].as_str().unwrap().to_string())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted);
    for item in &items {
        for key in [
            "link",
            "guid",
            "title",
            "feed",
            "lang",
            "story",
            "published",
        ] {
            assert!(!item[key].is_null(), "{key} missing in {item}");
        }
        assert!(item["categories"].is_array());
        assert!(
            item["link"]
                .as_str()
                .unwrap()
                .starts_with("http://127.0.0.1:")
        );
    }
    for lang in ["vi", "en", "id"] {
        assert_eq!(
            items.iter().filter(|i| i["lang"] == lang).count(),
            80,
            "{lang}"
        );
    }
    // Fields match the source exactly, Vietnamese text included.
    let source_item = &set[0].items[0];
    let stored = items
        .iter()
        .find(|i| i["guid"] == source_item.guid.as_str())
        .unwrap();
    assert_eq!(stored["title"], source_item.title.as_str());
    assert_eq!(stored["link"], source_item.link.as_str());

    // The daemon serves every language in every format, with attribution and 304s.
    let daemon = Daemon::start(config.clone()).await;
    let client = raw_client();
    for lang in ["vi", "en", "id"] {
        for ext in ["rss", "atom", "json"] {
            let url = daemon.url(&format!("/feeds/{lang}.{ext}"));
            let resp = client.get(&url).send().await.unwrap();
            assert_eq!(resp.status(), 200, "{url}");
            let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
            assert!(ct.ends_with("charset=utf-8"), "{ct}");
            let etag = resp.headers()["etag"].to_str().unwrap().to_string();
            let body = resp.bytes().await.unwrap();
            let feed = parse_feed(&body);
            assert_eq!(feed.entries.len(), 50, "{url}: default limit 50");
            assert_eq!(feed.language.as_deref(), Some(lang), "{url}");
            let text = String::from_utf8_lossy(&body);
            match ext {
                "rss" => assert!(text.contains("<source url=\"http://127.0.0.1:"), "{url}"),
                "atom" => assert!(text.contains("<source>"), "{url}"),
                _ => assert!(text.contains("\"_bantin\""), "{url}"),
            }
            // Every entry links to the original article on the source's server.
            for e in &feed.entries {
                assert!(
                    e.links
                        .iter()
                        .any(|l| l.href.starts_with(&server.base_url())),
                    "{url}"
                );
            }
            let again = client
                .get(&url)
                .header("If-None-Match", &etag)
                .send()
                .await
                .unwrap();
            assert_eq!(again.status(), 304, "{url}");
        }
    }
    daemon.stop().await;
}

fn rss_doc(items: &[(&str, &str, &str)]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Báo Thử</title><link>http://example.test/</link><language>vi</language>",
    );
    for (guid, title, date) in items {
        s.push_str(&format!(
            "<item><guid>{guid}</guid><title>{title}</title><link>http://example.test/{guid}.html</link><pubDate>{date}</pubDate><description><![CDATA[<p>{title}</p>]]></description></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_item_updates_in_place_and_identical_body_stores_nothing() {
    let server = FixtureServer::start().await;
    let mut served = Served::feed(
        "application/rss+xml",
        rss_doc(&[
            ("a", "Tin thứ nhất", "Fri, 20 Nov 2026 08:00:00 +0700"),
            ("b", "Tin thứ hai", "Fri, 20 Nov 2026 09:00:00 +0700"),
        ]),
    );
    served.etag = false; // no validators: the body hash must catch "unchanged"
    server.set("/f.rss", served.clone());
    let dir = tempfile::tempdir().unwrap();
    let entries = vec![FeedEntry {
        name: "Báo Thử".into(),
        url: server.url("/f.rss"),
        lang: None,
        categories: vec![],
    }];
    let config = Config::load(&write_config(dir.path(), &entries, "")).unwrap();

    assert_eq!(
        poll(&config).await[0],
        "Báo Thử: 2 new, 0 updated, 0 unchanged"
    );
    assert_eq!(poll(&config).await[0], "Báo Thử: unchanged (not modified)");

    served.body = rss_doc(&[
        (
            "a",
            "Tin thứ nhất (cập nhật)",
            "Fri, 20 Nov 2026 08:00:00 +0700",
        ),
        ("b", "Tin thứ hai", "Fri, 20 Nov 2026 09:00:00 +0700"),
        ("c", "Tin thứ ba", "Fri, 20 Nov 2026 10:00:00 +0700"),
    ])
    .into_bytes();
    server.set("/f.rss", served);
    assert_eq!(
        poll(&config).await[0],
        "Báo Thử: 1 new, 1 updated, 1 unchanged"
    );
    let items = items_json(&config).await;
    assert_eq!(items.len(), 3);
    let a = items.iter().find(|i| i["guid"] == "a").unwrap();
    assert_eq!(a["title"], "Tin thứ nhất (cập nhật)");
    assert_eq!(items[0]["guid"], "c", "newest first");
}

/// A re-poll leaves out the entries it stored before (it recognizes them by fingerprint),
/// unless what classifies them changed: here the feed's default categories.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_poll_skips_stored_entries_until_the_feed_config_changes() {
    let server = FixtureServer::start().await;
    let doc = |n: usize| {
        let items = [
            ("a", "Tin thứ nhất", "Fri, 20 Nov 2026 08:00:00 +0700"),
            ("b", "Tin thứ hai", "Fri, 20 Nov 2026 09:00:00 +0700"),
            ("c", "Tin thứ ba", "Fri, 20 Nov 2026 10:00:00 +0700"),
            ("d", "Tin thứ tư", "Fri, 20 Nov 2026 11:00:00 +0700"),
        ];
        Served::feed("application/rss+xml", rss_doc(&items[..n]))
    };
    server.set("/f.rss", doc(2));
    let dir = tempfile::tempdir().unwrap();
    let mut entry = FeedEntry {
        name: "Báo Thử".into(),
        url: server.url("/f.rss"),
        lang: Some("vi".into()),
        categories: vec![],
    };
    let config = Config::load(&write_config(dir.path(), &[entry.clone()], "")).unwrap();
    assert_eq!(
        poll(&config).await[0],
        "Báo Thử: 2 new, 0 updated, 0 unchanged"
    );
    server.set("/f.rss", doc(3));
    assert_eq!(
        poll(&config).await[0],
        "Báo Thử: 1 new, 0 updated, 2 unchanged"
    );

    // The feed now files its items under travel: the stored ones are classified again.
    entry.categories = vec!["travel".into()];
    let config = Config::load(&write_config(dir.path(), &[entry], "")).unwrap();
    server.set("/f.rss", doc(4));
    assert_eq!(
        poll(&config).await[0],
        "Báo Thử: 1 new, 3 updated, 0 unchanged"
    );
    let items = items_json(&config).await;
    assert_eq!(items.len(), 4);
    for item in &items {
        assert_eq!(item["categories"][0], "travel", "{item}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_feeds_are_recorded_and_never_lose_data() {
    let server = FixtureServer::start().await;
    server.set(
        "/good.rss",
        Served::feed(
            "application/rss+xml",
            rss_doc(&[("g1", "Good news", "Fri, 20 Nov 2026 08:00:00 +0700")]),
        ),
    );
    server.set(
        "/flaky.rss",
        Served::feed(
            "application/rss+xml",
            rss_doc(&[("f1", "Flaky", "Fri, 20 Nov 2026 08:00:00 +0700")]),
        ),
    );
    server.set(
        "/html",
        Served::feed(
            "text/html",
            "<!DOCTYPE html><html><body>Not a feed</body></html>",
        ),
    );
    server.set(
        "/broken.rss",
        Served::feed("application/rss+xml", "<rss><channel><item><title>cut"),
    );
    let dir = tempfile::tempdir().unwrap();
    let entries: Vec<FeedEntry> = [
        ("Good", "/good.rss"),
        ("Flaky", "/flaky.rss"),
        ("Html", "/html"),
        ("Broken", "/broken.rss"),
        ("Missing", "/nothing-here"),
    ]
    .iter()
    .map(|(n, p)| FeedEntry {
        name: n.to_string(),
        url: server.url(p),
        lang: Some("en".into()),
        categories: vec![],
    })
    .collect();
    let config = Config::load(&write_config(dir.path(), &entries, "")).unwrap();
    let lines = poll(&config).await;
    assert!(
        lines.contains(
            &"Html: error [not-a-feed] not a feed: the document is an HTML page".to_string()
        ),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("Broken: error [parse]")),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"Missing: error [status] HTTP status 404".to_string()),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"Good: 1 new, 0 updated, 0 unchanged".to_string()),
        "{lines:#?}"
    );

    // The flaky source starts failing: its stored item stays, its error is shown.
    server.set(
        "/flaky.rss",
        Served {
            status: 500,
            content_type: "text/plain".into(),
            body: b"oops".to_vec(),
            etag: false,
        },
    );
    let lines = poll(&config).await;
    assert!(
        lines.contains(&"Flaky: error [status] HTTP status 500".to_string()),
        "{lines:#?}"
    );
    let items = items_json(&config).await;
    assert_eq!(items.len(), 2);
    assert!(items.iter().any(|i| i["guid"] == "f1"));

    let mut out = Vec::new();
    bantin::commands::feeds(&config, false, &mut out)
        .await
        .unwrap();
    let table = String::from_utf8(out).unwrap();
    let flaky = table.lines().find(|l| l.starts_with("Flaky\t")).unwrap();
    assert!(
        flaky.contains("error [status] HTTP status 500") && flaky.contains("items: 1"),
        "{flaky}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_is_refused_unless_allowed() {
    let server = FixtureServer::start().await;
    server.set(
        "/f.rss",
        Served::feed(
            "application/rss+xml",
            rss_doc(&[("x", "X", "Fri, 20 Nov 2026 08:00:00 +0700")]),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let entries = vec![FeedEntry {
        name: "Local".into(),
        url: server.url("/f.rss"),
        lang: None,
        categories: vec![],
    }];
    let path = write_config(dir.path(), &entries, "");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("allow_private = [\"127.0.0.1\"]", "allow_private = []");
    std::fs::write(&path, text).unwrap();
    let config = Config::load(&path).unwrap();
    let lines = poll(&config).await;
    assert!(
        lines[0].starts_with("Local: error [address-blocked]"),
        "{lines:#?}"
    );
    assert_eq!(
        server.hits("/f.rss"),
        0,
        "no request may reach a refused address"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_files_are_sources_too() {
    let dir = tempfile::tempdir().unwrap();
    let feed = fixtures::make_feed(0, "vi", FixtureFormat::Atom, 5, "http://example.test");
    std::fs::write(
        dir.path().join("local.atom"),
        fixtures::render(&feed, "http://example.test/local.atom"),
    )
    .unwrap();
    let entries = vec![FeedEntry {
        name: "Tệp".into(),
        url: "local.atom".into(),
        lang: None,
        categories: vec![],
    }];
    let config = Config::load(&write_config(dir.path(), &entries, "")).unwrap();
    assert_eq!(poll(&config).await[0], "Tệp: 5 new, 0 updated, 0 unchanged");
    assert_eq!(poll(&config).await[0], "Tệp: unchanged (not modified)");
}

#[test]
fn check_reports_bad_keys_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feeds.toml");
    std::fs::write(&path, "[poll]\ninterval = \"15m\"\nintervall = \"5m\"\n\n[[feed]]\nname = \"A\"\nurl = \"http://a.test/rss\"\nschedule = \"every day\"\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bantin"))
        .arg("--config")
        .arg(&path)
        .arg("check")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    let p = path.display();
    assert!(
        err.contains(&format!("{p}:3:1: unknown key `intervall` in [poll]")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{p}:8:12: invalid cron schedule"))
            || err.contains(&format!("{p}:8:12: `every day` has 2 fields")),
        "{err}"
    );

    // BANTIN_CONFIG works as well as --config, and the shipped config is valid.
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("feeds.toml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bantin"))
        .env("BANTIN_CONFIG", &shipped)
        .arg("check")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
