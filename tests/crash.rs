//! Crash safety: `bantin poll` is killed with SIGKILL at pseudo-random points while it writes
//! many feeds, over and over on the same database. After every kill the database passes
//! `PRAGMA integrity_check`, every feed the process acknowledged (a line on stdout is written
//! only after its transaction committed) has all its items, nothing is duplicated, and the
//! next poll completes normally.
//!
//! The poll is slow by construction, not by calibration: the fixture server sends half of
//! feed `f`'s body, then waits `f × STAGGER` before the rest, and one anchor feed waits
//! `ANCHOR` (longer than the last kill point). Feeds therefore commit one after another over
//! the whole kill window in any build and under any load, and no poll can finish before its
//! kill: every round is killed mid-poll, with some feeds committed and others not.
//!
//! Rounds: 20 by default (CI); `BANTIN_CRASH_ROUNDS=100 cargo test --release --test crash`
//! for the longer run documented in RELIABILITY.md.

mod common;

use std::collections::HashMap;
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use common::{FeedEntry, write_config};

/// Feed `f` pauses `f × STAGGER` in the middle of its body.
const STAGGER: Duration = Duration::from_millis(120);
/// The anchor feed's pause: longer than any kill point.
const ANCHOR: Duration = Duration::from_millis(3_000);
/// Kill points fall in [50 ms, 50 ms + KILL_WINDOW).
const KILL_WINDOW_MS: u64 = 2_400;

type Routes = Arc<Mutex<HashMap<String, (Bytes, Duration)>>>;

/// Sends the first half of the body, waits, then the rest.
async fn drip(State(routes): State<Routes>, uri: Uri) -> Response {
    let Some((body, pause)) = routes.lock().unwrap().get(uri.path()).cloned() else {
        return (StatusCode::NOT_FOUND, "no such feed").into_response();
    };
    let half = body.len() / 2;
    let parts = futures_util::stream::unfold(0u8, move |step| {
        let body = body.clone();
        async move {
            match step {
                0 => Some((Ok::<_, std::io::Error>(body.slice(..half)), 1)),
                1 => {
                    tokio::time::sleep(pause).await;
                    Some((Ok(body.slice(half..)), 2))
                }
                _ => None,
            }
        }
    });
    (
        [(header::CONTENT_TYPE, "application/rss+xml")],
        Body::from_stream(parts),
    )
        .into_response()
}

async fn drip_server() -> (String, Routes) {
    let routes: Routes = Arc::default();
    let app = Router::new().fallback(drip).with_state(routes.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), routes)
}

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
    // F0 … F19 staggered, F20 the anchor.
    const FEEDS: usize = 21;
    const ITEMS: usize = 24;
    let (origin, routes) = drip_server().await;
    let dir = tempfile::tempdir().unwrap();
    let entries: Vec<FeedEntry> = (0..FEEDS)
        .map(|f| FeedEntry {
            name: format!("F{f}"),
            url: format!("{origin}/f{f}.rss"),
            lang: Some("vi".into()),
            categories: vec![],
        })
        .collect();
    let path = write_config(dir.path(), &entries, "");
    // Every feed's fetch runs at once (one host): the pauses overlap instead of adding up.
    let toml = std::fs::read_to_string(&path)
        .unwrap()
        .replace("concurrency = 4", "concurrency = 32\nper_host = 16");
    std::fs::write(&path, toml).unwrap();
    let db = dir.path().join("data/bantin.db");
    let serve_round = |round: usize, drip: bool| -> Vec<Vec<String>> {
        let mut served = Vec::new();
        let mut r = routes.lock().unwrap();
        for f in 0..FEEDS {
            let (doc, guids) = feed_doc(f, round, ITEMS);
            let pause = if !drip {
                Duration::ZERO
            } else if f == FEEDS - 1 {
                ANCHOR
            } else {
                STAGGER * f as u32
            };
            r.insert(format!("/f{f}.rss"), (Bytes::from(doc), pause));
            served.push(guids);
        }
        served
    };
    let mut kills = 0;
    let mut partial_rounds = 0;
    let mut acknowledged_total = 0;
    // A simple LCG: reproducible "random" kill points.
    let mut seed: u64 = 0x5eed;
    for round in 0..rounds {
        let served = serve_round(round, true);
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = Duration::from_millis(50 + (seed >> 33) % KILL_WINDOW_MS);
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
        let mut acknowledged = 0;
        for line in out.lines() {
            // The closing "polled N feeds: …" line names no feed.
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
            acknowledged += 1;
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
        if acknowledged > 0 && acknowledged < FEEDS {
            partial_rounds += 1;
        }
        acknowledged_total += acknowledged;
    }
    println!(
        "{rounds} rounds, {kills} killed mid-poll, {partial_rounds} with some feeds committed and others not, {acknowledged_total} acknowledged feed polls verified"
    );
    // The anchor feed keeps every poll running past its kill point, whatever the build/load.
    assert_eq!(kills, rounds, "every round is killed mid-poll");
    // Kills land between commits, not only before the first one.
    assert!(
        partial_rounds >= rounds / 4,
        "only {partial_rounds}/{rounds} rounds killed after a feed committed"
    );

    // The next poll completes normally (no pauses: nothing to kill any more).
    let served = serve_round(rounds, false);
    let final_started = std::time::Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_bantin"))
            .arg("--config")
            .arg(&path)
            .arg("poll")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success());
    println!("final poll in {:?}", final_started.elapsed());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!("polled {FEEDS} feeds")) && text.contains("0 with errors"),
        "{text}"
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    for (f, guids) in served.iter().enumerate() {
        for guid in guids {
            let n: i64 = conn
                .query_row(
                    "SELECT COUNT(*) FROM items i JOIN feeds fd ON fd.id = i.feed_id WHERE fd.name = ?1 AND i.guid = ?2",
                    rusqlite::params![format!("F{f}"), guid],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, 1, "after the final poll: F{f} {guid}");
        }
    }
}

/// A reader on its own connection (another process, such as `bantin run` serving while
/// `bantin poll` writes) never sees part of a fetch: each feed's items appear all at once, and
/// an update of every item of a feed is seen entirely or not at all.
#[test]
fn readers_never_see_a_half_written_fetch() {
    use bantin::model::Item;
    use bantin::store::{FetchRecord, ItemQuery, Store};
    use chrono::Utc;
    use std::sync::atomic::{AtomicBool, Ordering};

    const FEEDS: usize = 12;
    const ITEMS: usize = 40;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("isolation.db");
    let writer = Store::open(&path).unwrap();
    let reader = Store::open(&path).unwrap();
    let item = |feed: usize, i: usize, round: usize| Item {
        key: format!("f{feed}-{i}"),
        link: Some(format!("http://example.test/{feed}/{i}")),
        title: format!("round {round} feed {feed} item {i}"),
        published: Some(Utc::now()),
        lang: Some("en".into()),
        ..Item::default()
    };
    let done = Arc::new(AtomicBool::new(false));
    let reads = std::thread::spawn({
        let done = done.clone();
        move || {
            let mut observations = 0;
            while !done.load(Ordering::SeqCst) {
                for status in reader.feed_statuses().unwrap() {
                    assert!(
                        status.item_count == 0 || status.item_count == ITEMS as i64,
                        "{} had {} of {ITEMS} items",
                        status.name,
                        status.item_count
                    );
                }
                let items = reader
                    .query_items(&ItemQuery {
                        limit: FEEDS * ITEMS,
                        ..Default::default()
                    })
                    .unwrap();
                let mut rounds: HashMap<String, std::collections::HashSet<String>> = HashMap::new();
                for i in items {
                    let round = i.title.split(' ').nth(1).unwrap_or_default().to_string();
                    rounds.entry(i.feed).or_default().insert(round);
                }
                for (feed, seen) in rounds {
                    assert_eq!(seen.len(), 1, "{feed}: items of rounds {seen:?} at once");
                }
                observations += 1;
            }
            observations
        }
    });
    let record = FetchRecord {
        status: "200".into(),
        ..Default::default()
    };
    for round in 0..3 {
        for feed in 0..FEEDS {
            let items: Vec<Item> = (0..ITEMS).map(|i| item(feed, i, round)).collect();
            let counts = writer
                .apply_fetch(
                    &format!("feed{feed}"),
                    &record,
                    &Default::default(),
                    &items,
                    Utc::now(),
                )
                .unwrap();
            let expected = if round == 0 { (ITEMS, 0) } else { (0, ITEMS) };
            assert_eq!((counts.new, counts.updated), expected);
        }
    }
    done.store(true, Ordering::SeqCst);
    let observations = reads.join().expect("the reader saw a half-written fetch");
    assert!(observations > 0);
    eprintln!(
        "{observations} consistent reads during {} fetches",
        3 * FEEDS
    );
}
