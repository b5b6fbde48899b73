//! Crash safety: `bantin poll` is killed with SIGKILL at pseudo-random points while it writes
//! many feeds, over and over on the same database. After every kill the database passes
//! `PRAGMA integrity_check`, every feed the process acknowledged (a line on stdout is written
//! only after its transaction committed) has all its items, nothing is duplicated, and the
//! next poll completes normally.
//!
//! Rounds: 20 by default (CI); `BANTIN_CRASH_ROUNDS=100 cargo test --release --test crash`
//! for the longer run documented in RELIABILITY.md.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{FeedEntry, FixtureServer, Served, write_config};

fn feed_doc(feed: usize, round: usize, n: usize) -> (String, Vec<String>) {
    let mut guids = Vec::new();
    let mut s = format!(
        "<rss version=\"2.0\"><channel><title>Feed {feed}</title><link>http://example.test/{feed}</link><language>vi</language>"
    );
    // Each round moves the window of items by 7, so every round has new and updated items.
    for k in 0..n {
        let id = round * 7 + k;
        let guid = format!("f{feed}-i{id}");
        s.push_str(&format!(
            "<item><guid>{guid}</guid><title>Bản tin {feed}/{id} vòng {round}</title><link>http://example.test/{feed}/{id}</link><pubDate>Fri, 20 Nov 2026 08:{:02}:00 +0700</pubDate><description><![CDATA[<p>{}</p>]]></description></item>",
            id % 60,
            "Nội dung dài ".repeat(40)
        ));
        guids.push(guid);
    }
    (s + "</channel></rss>", guids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_points_loses_and_duplicates_nothing() {
    let rounds: usize = std::env::var("BANTIN_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    const FEEDS: usize = 20;
    const ITEMS: usize = 40;
    let server = FixtureServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let entries: Vec<FeedEntry> = (0..FEEDS)
        .map(|f| FeedEntry {
            name: format!("F{f}"),
            url: server.url(&format!("/f{f}.rss")),
            lang: Some("vi".into()),
            categories: vec![],
        })
        .collect();
    let path = write_config(dir.path(), &entries, "");
    let db = dir.path().join("data/bantin.db");
    let serve_round = |round: usize| -> Vec<Vec<String>> {
        let mut served = Vec::new();
        for f in 0..FEEDS {
            let (doc, guids) = feed_doc(f, round, ITEMS);
            let mut s = Served::feed("application/rss+xml", doc);
            s.etag = false;
            server.set(&format!("/f{f}.rss"), s);
            served.push(guids);
        }
        served
    };
    // Calibrate: kill points are spread over the time one whole poll takes with this build on
    // this machine (a release build polls everything in well under a second).
    serve_round(rounds + 1);
    let started = std::time::Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_bantin"))
        .arg("--config")
        .arg(&path)
        .arg("poll")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let full_poll_ms = (started.elapsed().as_millis() as u64).max(20);
    let mut kills = 0;
    let mut acknowledged_total = 0;
    // A simple LCG: reproducible "random" kill points.
    let mut seed: u64 = 0x5eed;
    for round in 0..rounds {
        let served = serve_round(round);
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = Duration::from_millis(5 + (seed >> 33) % full_poll_ms);
        let mut child = Command::new(env!("CARGO_BIN_EXE_bantin"))
            .arg("--config")
            .arg(&path)
            .arg("poll")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stdout.read_to_string(&mut s);
            s
        });
        tokio::time::sleep(delay).await;
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        if !finished {
            kills += 1;
        }
        let out = reader.join().unwrap();

        let conn = rusqlite::Connection::open(&db).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "round {round}");
        let dups: i64 = conn
            .query_row("SELECT COUNT(*) FROM (SELECT feed_id, guid FROM items GROUP BY feed_id, guid HAVING COUNT(*) > 1)", [], |r| r.get(0))
            .unwrap();
        assert_eq!(dups, 0, "round {round}: duplicated items");
        for line in out.lines() {
            // The closing "polled N feeds: …" line (a round that finished before the kill).
            if line.starts_with("polled ") {
                continue;
            }
            let Some((name, rest)) = line.split_once(": ") else {
                continue;
            };
            if !rest.contains(" new, ") && !rest.starts_with("unchanged") {
                continue;
            }
            let f: usize = name.trim_start_matches('F').parse().unwrap();
            acknowledged_total += 1;
            for guid in &served[f] {
                let n: i64 = conn
                    .query_row(
                        "SELECT COUNT(*) FROM items i JOIN feeds fd ON fd.id = i.feed_id WHERE fd.name = ?1 AND i.guid = ?2",
                        rusqlite::params![name, guid],
                        |r| r.get(0),
                    )
                    .unwrap();
                assert_eq!(
                    n, 1,
                    "round {round}: {name} acknowledged but {guid} missing"
                );
            }
        }
    }
    println!(
        "{rounds} rounds, {kills} killed mid-poll (kill points within a whole poll's {full_poll_ms} ms), {acknowledged_total} acknowledged feed polls verified"
    );
    assert!(
        kills >= rounds / 2,
        "most rounds should be killed mid-poll ({kills}/{rounds})"
    );

    // The next poll completes normally.
    let out = Command::new(env!("CARGO_BIN_EXE_bantin"))
        .arg("--config")
        .arg(&path)
        .arg("poll")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!("polled {FEEDS} feeds")) && text.contains("0 with errors"),
        "{text}"
    );
}
