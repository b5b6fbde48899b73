//! End-to-end ingest benchmark: generates N synthetic news feeds × M items, serves them from an
//! in-process loopback HTTP server (ETag / 304), and measures bantin through its library:
//! a first poll into a fresh SQLite file, a re-poll with nothing changed, a re-poll with 10 %
//! of the items changed, the render of every output, and memory across 10 more re-polls.
//! On the same files it measures the limits (raw quick-xml scan, feed-rs parse, a bare
//! rusqlite insert of the same rows) and Python feedparser, and prints one table.
//!
//! ```sh
//! cargo run --release --example loadgen -- [--feeds 300] [--items 100] [--large] [--write]
//! cargo run --release --example loadgen -- --emit DIR [--feeds 30] [--listen ADDR]
//! ```
//! `--large` is 1,000 feeds; `--write` replaces this section of BENCHMARKS.md; `--emit` only
//! writes the feed files and a feeds.toml reading them from disk (for benches/serve.sh).
//! `--first-poll-only` stops after the first poll, `--changed-poll-only` after the first
//! re-poll with 10 % changed (skipping the phases between), both for `perf record`; with
//! `LOADGEN_PERF_CTL=FIFO` the last phase writes `enable` to perf's control FIFO when it
//! starts (`perf record -D -1 --control fifo:FIFO`), so only that phase is sampled;
//! `LOADGEN_CONCURRENCY=N` sets `[poll] concurrency` and `per_host` (default 8) to compare
//! memory against polls under way.

mod synth;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bantin::config::Config;
use bantin::model::FetchOutcome;
use bantin::pipeline::{FeedReport, Ingest, poll_many};
use bantin::render::cache::RenderCache;
use bantin::render::{Context, Format, catalog};

/// Threads of bantin's runtime carry this name, so their CPU time is told apart from the
/// fixture server's.
const BANTIN_THREADS: &str = "bantin-rt";
const SERVER_THREADS: &str = "loadgen-srv";
const REPOLLS: usize = 10;

struct Args {
    feeds: usize,
    items: usize,
    large: bool,
    write: bool,
    python: bool,
    emit: Option<PathBuf>,
    listen: String,
    /// Stop after the first poll (for profiling it).
    first_only: bool,
    /// Go from the first poll straight to the 10 %-changed re-poll, and stop after it.
    changed_only: bool,
}

fn args() -> Args {
    let mut a = Args {
        feeds: 300,
        items: 100,
        large: false,
        write: false,
        python: true,
        emit: None,
        listen: "127.0.0.1:18080".into(),
        first_only: false,
        changed_only: false,
    };
    let mut feeds = None;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| die(&format!("{arg} needs a value")))
        };
        match arg.as_str() {
            "--feeds" => feeds = Some(value().parse().unwrap_or_else(|_| die("bad --feeds"))),
            "--items" => a.items = value().parse().unwrap_or_else(|_| die("bad --items")),
            "--large" => a.large = true,
            "--write" => a.write = true,
            "--no-python" => a.python = false,
            "--emit" => a.emit = Some(PathBuf::from(value())),
            "--listen" => a.listen = value(),
            "--first-poll-only" => a.first_only = true,
            "--changed-poll-only" => a.changed_only = true,
            "-h" | "--help" => {
                println!(
                    "loadgen [--feeds N] [--items M] [--large] [--write] [--no-python] [--first-poll-only | --changed-poll-only] [--emit DIR [--listen ADDR]]"
                );
                std::process::exit(0);
            }
            other => die(&format!("unknown argument {other}")),
        }
    }
    a.feeds = feeds.unwrap_or(if a.large { 1000 } else { 300 });
    a
}

fn die(msg: &str) -> ! {
    eprintln!("loadgen: {msg}");
    std::process::exit(2)
}

// ---------------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------------

/// CPU seconds of this process's threads, by whether their name starts with `prefix`.
fn thread_cpu(prefix: &str) -> f64 {
    let mut total = 0.0;
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    for t in tasks.flatten() {
        let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
        if !comm.starts_with(prefix) {
            continue;
        }
        let Ok(tid) = t.file_name().to_string_lossy().parse::<libc::pid_t>() else {
            continue;
        };
        // MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED): nanosecond CPU time of any thread of ours.
        let clock = ((!tid) << 3) | 6;
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes into the timespec we own.
        if unsafe { libc::clock_gettime(clock, &mut ts) } == 0 {
            total += ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9;
        }
    }
    total
}

fn process_cpu() -> f64 {
    // SAFETY: getrusage fills the struct we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// The process's peak RSS over the whole run: the highest VmHWM seen, since each phase
/// resets it. (Not `ru_maxrss`: that keeps the RSS of the image the process was forked from
/// before its exec, i.e. of `cargo run` itself, about 88 MiB.)
fn max_rss_kib() -> u64 {
    LIFETIME_PEAK_KIB
        .load(std::sync::atomic::Ordering::Relaxed)
        .max(status_kib("VmHWM:"))
}

/// The highest VmHWM seen before each reset.
static LIFETIME_PEAK_KIB: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Resets VmHWM to the current RSS, so each phase reports its own peak.
fn reset_peak() {
    LIFETIME_PEAK_KIB.fetch_max(status_kib("VmHWM:"), std::sync::atomic::Ordering::Relaxed);
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Starts perf's sampling (see the module doc) when `LOADGEN_PERF_CTL` names its FIFO.
fn perf_enable() {
    if let Ok(fifo) = std::env::var("LOADGEN_PERF_CTL") {
        std::fs::write(&fifo, "enable\n")
            .unwrap_or_else(|e| die(&format!("LOADGEN_PERF_CTL {fifo}: {e}")));
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

struct Phase {
    name: String,
    wall: f64,
    cpu_bantin: f64,
    cpu_process: f64,
    items: usize,
    bytes: u64,
    peak_kib: u64,
    result: String,
}

struct Meter {
    wall: Instant,
    bantin: f64,
    process: f64,
}

impl Meter {
    fn start() -> Meter {
        reset_peak();
        Meter {
            wall: Instant::now(),
            bantin: thread_cpu(BANTIN_THREADS),
            process: process_cpu(),
        }
    }
    fn stop(self, name: &str, items: usize, bytes: u64, result: String) -> Phase {
        Phase {
            name: name.to_string(),
            wall: self.wall.elapsed().as_secs_f64(),
            cpu_bantin: thread_cpu(BANTIN_THREADS) - self.bantin,
            cpu_process: process_cpu() - self.process,
            items,
            bytes,
            peak_kib: status_kib("VmHWM:"),
            result,
        }
    }
}

// ---------------------------------------------------------------------------------------
// The corpus and the loopback server
// ---------------------------------------------------------------------------------------

struct Corpus {
    root: PathBuf,
    n_feeds: usize,
    n_items: usize,
    /// ETag of each feed at the current rev.
    etags: RwLock<Vec<String>>,
    rev: RwLock<usize>,
}

impl Corpus {
    fn dir(&self, rev: usize) -> PathBuf {
        self.root.join(format!("rev{rev}"))
    }

    /// Writes every feed at `rev` to disk (one at a time: the corpus is never held in
    /// memory) and switches the server to it. Returns the total size in bytes.
    fn publish(&self, rev: usize, base: &str) -> u64 {
        let dir = self.dir(rev);
        std::fs::create_dir_all(&dir).unwrap();
        let mut etags = Vec::with_capacity(self.n_feeds);
        let mut total = 0;
        for i in 0..self.n_feeds {
            let xml = synth::feed_xml(i, self.n_items, rev, &format!("{base}/site/{i}"));
            total += xml.len() as u64;
            etags.push(format!(
                "\"{}\"",
                &blake3::hash(xml.as_bytes()).to_hex()[..20]
            ));
            std::fs::write(dir.join(format!("{i}.xml")), xml).unwrap();
        }
        let previous = std::mem::replace(&mut *self.rev.write().unwrap(), rev);
        *self.etags.write().unwrap() = etags;
        // Keep rev 0 (the baselines read it) and the current one.
        if previous != 0 && previous != rev {
            let _ = std::fs::remove_dir_all(self.dir(previous));
        }
        total
    }
}

async fn serve_feed(
    State(corpus): State<Arc<Corpus>>,
    UrlPath(file): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let Some(i) = file
        .strip_suffix(".xml")
        .and_then(|n| n.parse::<usize>().ok())
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(tag) = corpus.etags.read().unwrap().get(i).cloned() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(tag.as_str())
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response();
    }
    let rev = *corpus.rev.read().unwrap();
    match tokio::fs::read(corpus.dir(rev).join(&file)).await {
        Ok(body) => (
            StatusCode::OK,
            [
                (
                    header::CONTENT_TYPE,
                    "application/rss+xml; charset=utf-8".to_string(),
                ),
                (header::ETAG, tag),
            ],
            body,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Starts the fixture server on its own runtime (own threads) and returns its base URL.
fn start_server(corpus: Arc<Corpus>) -> (String, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(SERVER_THREADS)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .route("/rss/{file}", axum::routing::get(serve_feed))
        .with_state(corpus);
    rt.spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), rt)
}

/// The shipped `[[category]]` tables, so classification works as in production.
fn shipped_categories() -> &'static str {
    let shipped = include_str!("../../feeds.toml");
    let start = shipped.find("\n[[category]]").expect("categories");
    let end = shipped[start..]
        .find("\n[[feed]]")
        .map_or(shipped.len(), |e| start + e);
    &shipped[start..end]
}

fn write_config(dir: &Path, feeds: &[(String, String, &str)], extra: &str) -> PathBuf {
    let mut toml = String::new();
    toml.push_str(extra);
    toml.push_str("\n[classify]\nlanguages = [\"vi\", \"en\", \"id\"]\n");
    toml.push_str(shipped_categories());
    toml.push('\n');
    for (name, url, lang) in feeds {
        let _ = writeln!(
            toml,
            "\n[[feed]]\nname = {name:?}\nurl = {url:?}\nlang = {lang:?}"
        );
    }
    let path = dir.join("feeds.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

// ---------------------------------------------------------------------------------------
// Baselines
// ---------------------------------------------------------------------------------------

/// Raw quick-xml event scan of every file (the parse limit). Returns (seconds, events).
fn quick_xml_scan(dir: &Path, n: usize) -> (f64, u64) {
    let mut secs = 0.0;
    let mut events = 0u64;
    for i in 0..n {
        let bytes = std::fs::read(dir.join(format!("{i}.xml"))).unwrap();
        let t = Instant::now();
        let mut reader = quick_xml::Reader::from_reader(&bytes[..]);
        let mut buf = Vec::new();
        loop {
            match reader.read_event_into(&mut buf) {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => events += 1,
                Err(e) => die(&format!("quick-xml: {e}")),
            }
            buf.clear();
        }
        secs += t.elapsed().as_secs_f64();
    }
    (secs, events)
}

/// feed-rs parsing alone (no sanitizing, no store), as bantin configures it.
fn feed_rs_parse(dir: &Path, n: usize) -> f64 {
    let mut secs = 0.0;
    for i in 0..n {
        let bytes = std::fs::read(dir.join(format!("{i}.xml"))).unwrap();
        let t = Instant::now();
        let parser = feed_rs::parser::Builder::new()
            .sanitize_content(false)
            .id_generator(|_, _, _| String::new())
            .build();
        let feed = parser.parse(&bytes[..]).unwrap();
        std::hint::black_box(feed);
        secs += t.elapsed().as_secs_f64();
    }
    secs
}

/// Sanitizing alone: every entry's summary and content through bantin's sanitizer (ammonia,
/// cleaned again when its output could parse differently), and the text of the sanitized
/// summary, as normalize calls them; parsing is not timed. Returns seconds.
fn sanitize_alone(dir: &Path, n: usize) -> f64 {
    use bantin::normalize::text::{sanitize_html, sanitized_text};
    let mut secs = 0.0;
    for i in 0..n {
        let bytes = std::fs::read(dir.join(format!("{i}.xml"))).unwrap();
        let feed = feed_rs::parser::Builder::new()
            .sanitize_content(false)
            .build()
            .parse(&bytes[..])
            .unwrap();
        let base = feed
            .links
            .first()
            .and_then(|l| url::Url::parse(&l.href).ok());
        let t = Instant::now();
        for e in &feed.entries {
            if let Some(summary) = &e.summary {
                let clean = sanitize_html(&summary.content, base.as_ref());
                std::hint::black_box(sanitized_text(&clean));
            }
            if let Some(body) = e.content.as_ref().and_then(|c| c.body.as_deref()) {
                std::hint::black_box(sanitize_html(body, base.as_ref()));
            }
        }
        secs += t.elapsed().as_secs_f64();
    }
    secs
}

/// The same rows bantin stored, inserted with one prepared statement in one transaction into
/// a fresh file with the same table and indexes (the store limit). Returns (seconds, rows).
fn bare_insert(bantin_db: &Path, out: &Path, max_id: i64) -> (f64, usize) {
    let src = rusqlite::Connection::open(bantin_db).unwrap();
    let schema: Vec<String> = src
        .prepare("SELECT sql FROM sqlite_master WHERE tbl_name = 'items' AND sql IS NOT NULL")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let cols = "feed_id, key, guid, link, title, summary, content, author, source_categories, \
                image, enclosure, lang, categories, story, published, updated, first_seen, \
                sort_at, content_hash";
    let mut stmt = src
        .prepare(&format!(
            "SELECT {cols} FROM items WHERE id <= ?1 ORDER BY id"
        ))
        .unwrap();
    let rows: Vec<Vec<rusqlite::types::Value>> = stmt
        .query_map([max_id], |r| {
            (0..19)
                .map(|i| r.get::<_, rusqlite::types::Value>(i))
                .collect()
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let _ = std::fs::remove_file(out);
    let mut dst = rusqlite::Connection::open(out).unwrap();
    dst.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
         CREATE TABLE feeds (id INTEGER PRIMARY KEY);",
    )
    .unwrap();
    for sql in &schema {
        dst.execute_batch(&sql.replace("REFERENCES feeds(id) ON DELETE CASCADE", ""))
            .unwrap();
    }
    let t = Instant::now();
    let tx = dst.transaction().unwrap();
    {
        let marks: Vec<String> = (1..=19).map(|i| format!("?{i}")).collect();
        let mut ins = tx
            .prepare(&format!(
                "INSERT INTO items ({cols}) VALUES ({})",
                marks.join(", ")
            ))
            .unwrap();
        for row in &rows {
            ins.execute(rusqlite::params_from_iter(row.iter())).unwrap();
        }
    }
    tx.commit().unwrap();
    (t.elapsed().as_secs_f64(), rows.len())
}

/// Python feedparser parsing every file (bytes read before the clock starts). Returns CPU
/// seconds of the parse alone, or None when python3/feedparser is missing.
fn feedparser(dir: &Path, n: usize) -> Option<(f64, String)> {
    let script = r#"
import sys, time, feedparser
d, n = sys.argv[1], int(sys.argv[2])
docs = [open(f"{d}/{i}.xml", "rb").read() for i in range(n)]
t = time.process_time()
items = 0
for b in docs:
    items += len(feedparser.parse(b).entries)
print(time.process_time() - t, items, feedparser.__version__)
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(dir)
        .arg(n.to_string())
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "loadgen: feedparser run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mut parts = text.split_whitespace();
    let secs: f64 = parts.next()?.parse().ok()?;
    let _items = parts.next()?;
    Some((secs, format!("feedparser {}", parts.next().unwrap_or("?"))))
}

// ---------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------

fn summarize(reports: &[FeedReport]) -> (usize, usize, usize, usize, usize) {
    let mut new = 0;
    let mut updated = 0;
    let mut not_modified = 0;
    let mut errors = 0;
    let mut unchanged = 0;
    for r in reports {
        new += r.counts.new;
        updated += r.counts.updated;
        unchanged += r.counts.unchanged;
        match r.outcome {
            FetchOutcome::NotModified => not_modified += 1,
            FetchOutcome::Error => {
                errors += 1;
                if errors <= 3 {
                    eprintln!("loadgen: {}", r.summary());
                }
            }
            FetchOutcome::Ok => {}
            FetchOutcome::Deferred | FetchOutcome::Gone => {
                errors += 1;
                eprintln!("loadgen: {}", r.summary());
            }
        }
    }
    (new, updated, unchanged, not_modified, errors)
}

fn emit(args: &Args, dir: &Path) {
    let feeds_dir = dir.join("feeds");
    std::fs::create_dir_all(&feeds_dir).unwrap();
    let mut feeds = Vec::new();
    for i in 0..args.feeds {
        let xml = synth::feed_xml(i, args.items, 0, &format!("https://news-{i}.example"));
        std::fs::write(feeds_dir.join(format!("{i}.xml")), xml).unwrap();
        feeds.push((
            format!("synth-{i:04}"),
            format!("feeds/{i}.xml"),
            synth::lang_of(i),
        ));
    }
    let extra = format!(
        "[server]\nlisten = {:?}\n\n[storage]\npath = \"data/bantin.db\"\n",
        args.listen
    );
    let path = write_config(dir, &feeds, &extra);
    // The same sources disabled: `bantin run` on it serves what `poll` stored, polling nothing.
    let text = std::fs::read_to_string(&path).unwrap();
    let serve = dir.join("serve.toml");
    std::fs::write(
        &serve,
        text.replace("\n[[feed]]\n", "\n[[feed]]\nenabled = false\n"),
    )
    .unwrap();
    println!("{}", path.display());
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() {
    let args = args();
    bantin::memory::tune();
    if let Some(n) = std::env::var("LOADGEN_NORMALIZE_ONLY")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        // For `valgrind --tool=callgrind`: normalize one 100-item feed `n` times, nothing else.
        let xml = synth::feed_xml(0, args.items, 0, "https://news-0.example");
        let url = url::Url::parse("https://news-0.example/rss/0.xml").unwrap();
        for _ in 0..n {
            std::hint::black_box(
                bantin::normalize::normalize(
                    xml.as_bytes(),
                    Some("application/rss+xml; charset=utf-8"),
                    &url,
                )
                .unwrap(),
            );
        }
        return;
    }
    if let Some(dir) = &args.emit {
        emit(&args, dir);
        return;
    }
    let load_before = loadavg();
    let tmp = tempfile::Builder::new()
        .prefix("bantin-loadgen")
        .tempdir()
        .unwrap();
    let corpus = Arc::new(Corpus {
        root: tmp.path().join("corpus"),
        n_feeds: args.feeds,
        n_items: args.items,
        etags: RwLock::new(Vec::new()),
        rev: RwLock::new(0),
    });
    let (base, _server_rt) = start_server(corpus.clone());
    eprintln!(
        "loadgen: generating {} feeds × {} items …",
        args.feeds, args.items
    );
    let corpus_bytes = corpus.publish(0, &base);
    let total_items = args.feeds * args.items;

    let feeds: Vec<(String, String, &str)> = (0..args.feeds)
        .map(|i| {
            (
                format!("synth-{i:04}"),
                format!("{base}/rss/{i}.xml"),
                synth::lang_of(i),
            )
        })
        .collect();
    // `[poll] concurrency` (8 by default, as in bantin): LOADGEN_CONCURRENCY=N to compare.
    let concurrency: usize = std::env::var("LOADGEN_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let extra = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nbase_url = \"https://bantin.example\"\n\n\
         [storage]\npath = \"data/bantin.db\"\n\n\
         [poll]\ntimeout = \"120s\"\nallow_private = [\"127.0.0.1\"]\n\
         concurrency = {concurrency}\n\
         # Every synthetic source is on one loopback host: no politeness gap.\n\
         per_host = {concurrency}\nhost_gap = \"0s\"\n"
    );
    let config = Config::load(&write_config(tmp.path(), &feeds, &extra)).unwrap();

    // bantin's own runtime settings; threads are kept so their CPU time can be read.
    let rt = bantin::memory::runtime_builder()
        .thread_name(BANTIN_THREADS)
        .thread_keep_alive(Duration::from_secs(3600))
        .build()
        .unwrap();

    let mut phases: Vec<Phase> = Vec::new();
    let mut rss_series: Vec<u64> = Vec::new();
    let mut render_rows: Vec<(String, f64, f64, usize)> = Vec::new();
    let mut refresh_note = String::new();
    let mut first_count = 0i64;
    let mut stored_items = 0i64;
    let mut final_rev = 0;
    let mut poll_peak_kib = 0u64;

    rt.block_on(async {
        let store = bantin::daemon::open_store(&config).await.unwrap();
        let ingest = Ingest::new(&config, store.clone()).unwrap();
        let conc = config.poll.concurrency;

        eprintln!("loadgen: first poll …");
        if args.first_only {
            perf_enable();
        }
        let m = Meter::start();
        let reports = poll_many(&ingest, &config.feeds, conc).await.unwrap();
        let (new, updated, _, _, errors) = summarize(&reports);
        let p = m.stop(
            "first poll into a fresh SQLite file",
            total_items,
            corpus_bytes,
            format!("{new} new, {updated} updated, {errors} errors"),
        );
        poll_peak_kib = poll_peak_kib.max(p.peak_kib);
        phases.push(p);
        drop(reports);
        let s = store.clone();
        first_count = tokio::task::spawn_blocking(move || s.item_count().unwrap())
            .await
            .unwrap();
        if args.first_only {
            let p = &phases[0];
            println!(
                "first poll: wall {:.2} s, CPU bantin {:.2} s, process {:.2} s, peak {}",
                p.wall,
                p.cpu_bantin,
                p.cpu_process,
                mib(p.peak_kib)
            );
            std::process::exit(0);
        }

        if args.changed_only {
            corpus.publish(1, &base);
            eprintln!("loadgen: re-poll, 10 % changed …");
            perf_enable();
            let m = Meter::start();
            let reports = poll_many(&ingest, &config.feeds, conc).await.unwrap();
            let (new, updated, unchanged, _, _) = summarize(&reports);
            let p = m.stop("", 0, 0, String::new());
            println!(
                "10 % changed re-poll: wall {:.2} s, CPU bantin {:.2} s, process {:.2} s, peak {}; \
                 {new} new, {updated} updated, {unchanged} unchanged",
                p.wall,
                p.cpu_bantin,
                p.cpu_process,
                mib(p.peak_kib)
            );
            std::process::exit(0);
        }

        eprintln!("loadgen: re-poll, nothing changed …");
        let m = Meter::start();
        let reports = poll_many(&ingest, &config.feeds, conc).await.unwrap();
        let (new, updated, _, nm, errors) = summarize(&reports);
        phases.push(m.stop(
            "re-poll, nothing changed",
            0,
            0,
            format!("{nm} × 304, {new} new, {updated} updated, {errors} errors"),
        ));

        // Render: the whole cache (as the daemon does after a poll), then each output alone.
        let cache = Arc::new(RenderCache::default());
        let m = Meter::start();
        {
            let (cache, store, config) = (cache.clone(), store.clone(), config.clone());
            tokio::task::spawn_blocking(move || cache.refresh(&store, &config).unwrap())
                .await
                .unwrap();
        }
        let docs = cache.snapshot().docs.len();
        phases.push(m.stop(
            "render every output (RenderCache::refresh)",
            0,
            0,
            format!("{docs} documents + index + OPML, compressed"),
        ));
        let m = Meter::start();
        {
            let (cache, store, config) = (cache.clone(), store.clone(), config.clone());
            tokio::task::spawn_blocking(move || cache.refresh(&store, &config).unwrap())
                .await
                .unwrap();
        }
        phases.push(m.stop(
            "refresh again, nothing changed",
            0,
            0,
            format!("{docs} documents reused"),
        ));
        {
            let (store, config) = (store.clone(), config.clone());
            let rows = tokio::task::spawn_blocking(move || per_output_render(&store, &config))
                .await
                .unwrap();
            render_rows = rows;
        }

        eprintln!("loadgen: re-poll, 10 % changed …");
        corpus.publish(1, &base);
        let m = Meter::start();
        let reports = poll_many(&ingest, &config.feeds, conc).await.unwrap();
        let (new, updated, unchanged, nm, errors) = summarize(&reports);
        let p = m.stop(
            "re-poll, 10 % of items changed",
            new + updated + unchanged,
            corpus_bytes,
            format!(
                "{new} new, {updated} updated, {unchanged} unchanged, {nm} × 304, {errors} errors"
            ),
        );
        poll_peak_kib = poll_peak_kib.max(p.peak_kib);
        phases.push(p);
        let m = Meter::start();
        {
            let (cache, store, config) = (cache.clone(), store.clone(), config.clone());
            tokio::task::spawn_blocking(move || cache.refresh(&store, &config).unwrap())
                .await
                .unwrap();
        }
        let reused = cache.snapshot().docs.len();
        phases.push(m.stop(
            "render after the 10 % change",
            0,
            0,
            format!("{reused} documents"),
        ));

        eprintln!("loadgen: {REPOLLS} more re-polls, 10 % changed each …");
        let m = Meter::start();
        let mut changed = 0;
        for rev in 2..2 + REPOLLS {
            corpus.publish(rev, &base);
            let reports = poll_many(&ingest, &config.feeds, conc).await.unwrap();
            let (new, updated, _, _, _) = summarize(&reports);
            changed += new + updated;
            let (cache, store, config) = (cache.clone(), store.clone(), config.clone());
            tokio::task::spawn_blocking(move || cache.refresh(&store, &config).unwrap())
                .await
                .unwrap();
            rss_series.push(status_kib("VmRSS:"));
            final_rev = rev;
        }
        let p = m.stop(
            &format!("{REPOLLS} re-polls + renders, 10 % changed each"),
            0,
            0,
            format!("{changed} items new or updated (feed generation included in wall)"),
        );
        poll_peak_kib = poll_peak_kib.max(p.peak_kib);
        phases.push(p);
        let s = store.clone();
        stored_items = tokio::task::spawn_blocking(move || s.item_count().unwrap())
            .await
            .unwrap();
        refresh_note = format!("{docs} documents");
    });
    let _ = refresh_note;
    let lifetime_peak = max_rss_kib();
    drop(rt);

    eprintln!("loadgen: baselines on the same files …");
    let rev0 = corpus.dir(0);
    let (scan_secs, events) = quick_xml_scan(&rev0, args.feeds);
    let feedrs_secs = feed_rs_parse(&rev0, args.feeds);
    let sanitize_secs = sanitize_alone(&rev0, args.feeds);
    let (insert_secs, insert_rows) = bare_insert(
        &config.storage.path,
        &tmp.path().join("bare.db"),
        first_count,
    );
    let python = if args.python {
        eprintln!("loadgen: Python feedparser (slow) …");
        feedparser(&rev0, args.feeds)
    } else {
        None
    };

    let report = report(&Report {
        args: &args,
        load_before,
        load_after: loadavg(),
        corpus_bytes,
        total_items,
        phases: &phases,
        render_rows: &render_rows,
        rss_series: &rss_series,
        poll_peak_kib,
        lifetime_peak,
        stored_items,
        final_rev,
        scan: (scan_secs, events),
        feedrs_secs,
        sanitize_secs,
        insert: (insert_secs, insert_rows),
        python,
    });
    println!("{report}");
    if args.write {
        write_benchmarks(&report, args.large);
    }
}

/// Renders each output alone, per format: (format, mean ms, max ms, outputs).
fn per_output_render(
    store: &bantin::store::Store,
    config: &Config,
) -> Vec<(String, f64, f64, usize)> {
    let ctx = Context {
        config,
        base_url: &config.server.base_url,
    };
    let outputs = catalog::outputs(config);
    let lists: Vec<_> = outputs
        .iter()
        // The output's items as the cache selects them: one per story, at most `limit`.
        .map(|spec| {
            let (items, related, _) =
                bantin::render::cache::select(store, config, spec, 1).unwrap();
            (items, related)
        })
        .collect();
    let mut rows = Vec::new();
    for format in Format::ALL {
        let mut times = Vec::new();
        for (spec, items) in outputs.iter().zip(&lists) {
            // Best of 5: the machine is shared and noisy.
            let best = (0..5)
                .map(|_| {
                    let t = Instant::now();
                    std::hint::black_box(bantin::render::render_page(
                        &ctx,
                        spec,
                        &items.0,
                        &items.1,
                        format,
                        bantin::render::Page::default(),
                    ));
                    t.elapsed().as_secs_f64()
                })
                .fold(f64::MAX, f64::min);
            times.push(best);
        }
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        let max = times.iter().copied().fold(0.0, f64::max);
        rows.push((
            format.extension().to_string(),
            mean * 1e3,
            max * 1e3,
            times.len(),
        ));
    }
    // Compression of the rendered bytes (gzip best + brotli), done once per changed document.
    let mut times = Vec::new();
    for (spec, items) in outputs.iter().zip(&lists) {
        let body = bantin::render::render_page(
            &ctx,
            spec,
            &items.0,
            &items.1,
            Format::Rss,
            bantin::render::Page::default(),
        );
        let t = Instant::now();
        std::hint::black_box(bantin::render::cache::Rendered::new(
            "application/rss+xml",
            body,
            chrono::Utc::now(),
        ));
        times.push(t.elapsed().as_secs_f64());
    }
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let max = times.iter().copied().fold(0.0, f64::max);
    rows.push((
        "rss: gzip + brotli of the bytes".into(),
        mean * 1e3,
        max * 1e3,
        times.len(),
    ));
    rows
}

struct Report<'a> {
    args: &'a Args,
    load_before: String,
    load_after: String,
    corpus_bytes: u64,
    total_items: usize,
    phases: &'a [Phase],
    render_rows: &'a [(String, f64, f64, usize)],
    rss_series: &'a [u64],
    poll_peak_kib: u64,
    lifetime_peak: u64,
    stored_items: i64,
    final_rev: usize,
    scan: (f64, u64),
    feedrs_secs: f64,
    sanitize_secs: f64,
    insert: (f64, usize),
    python: Option<(f64, String)>,
}

impl Report<'_> {
    /// The least time any pipeline that parses, sanitizes and inserts these files could take
    /// on two cores: the three stages' times spread over both, or the serial insert alone,
    /// whichever is longer.
    fn floor(&self) -> f64 {
        ((self.feedrs_secs + self.sanitize_secs + self.insert.0) / 2.0).max(self.insert.0)
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown CPU".into())
}

fn report(r: &Report) -> String {
    let mb = r.corpus_bytes as f64 / 1e6;
    let mut s = String::new();
    let cmd = format!(
        "cargo run --release --example loadgen --{}{}",
        if r.args.large {
            " --large".to_string()
        } else {
            format!(" --feeds {} --items {}", r.args.feeds, r.args.items)
        },
        if r.args.write { " --write" } else { "" }
    );
    let _ = writeln!(
        s,
        "### {} feeds × {} items{}\n",
        r.args.feeds,
        r.args.items,
        if r.args.large { " (--large)" } else { "" }
    );
    let _ = writeln!(
        s,
        "- machine: {} cores, {}; load average before/after: {} / {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model(),
        r.load_before,
        r.load_after
    );
    let _ = writeln!(
        s,
        "- date: {}; command: `{cmd}`",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    let _ = writeln!(
        s,
        "- corpus: {} RSS 2.0 feeds × {} items = {} items, {:.1} MB ({:.0} B/item: CDATA description with <img>, ~1 KB content:encoded, 1–2 categories; vi/en/id), served over loopback HTTP with ETag/304 by an in-process server on its own thread",
        r.args.feeds,
        r.args.items,
        r.total_items,
        mb,
        r.corpus_bytes as f64 / r.total_items as f64
    );
    let _ = writeln!(
        s,
        "- CPU (bantin) is the CPU time of bantin's runtime threads (tokio workers and blocking pool: fetch, normalize, classify, SQLite); CPU (process) adds the fixture server. Peak RSS is the process's VmHWM during the phase.\n"
    );
    let _ = writeln!(
        s,
        "| phase | wall | CPU (bantin) | CPU (process) | items/s (wall) | MB/s (wall) | peak RSS | result |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---|");
    for p in r.phases {
        let rate = |x: f64| {
            if x > 0.0 && p.wall > 0.0 {
                format!("{:.0}", x / p.wall)
            } else {
                "–".into()
            }
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            p.name,
            secs(p.wall),
            secs(p.cpu_bantin),
            secs(p.cpu_process),
            rate(p.items as f64),
            if p.bytes > 0 {
                format!("{:.1}", p.bytes as f64 / 1e6 / p.wall)
            } else {
                "–".into()
            },
            mib(p.peak_kib),
            p.result
        );
    }
    let _ = writeln!(
        s,
        "\nStored items after the run: {} (first poll: {}; rev {} of every feed).\n",
        r.stored_items, r.total_items, r.final_rev
    );
    let _ = writeln!(
        s,
        "RSS after each of the {REPOLLS} re-polls (+ render): {}; peak during polls {}; peak over the whole run (VmHWM) {}.\n",
        r.rss_series
            .iter()
            .map(|k| format!("{:.1}", *k as f64 / 1024.0))
            .collect::<Vec<_>>()
            .join(", ")
            + " MiB",
        mib(r.poll_peak_kib),
        mib(r.lifetime_peak)
    );
    let _ = writeln!(
        s,
        "| render of one output (≤ 50 items), best of 5 | mean | max | outputs |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|");
    for (name, mean, max, n) in r.render_rows {
        let _ = writeln!(s, "| {name} | {mean:.3} ms | {max:.3} ms | {n} |");
    }

    let first = &r.phases[0];
    let ratio = |base: f64| {
        format!(
            "{:.2}× / {:.2}×",
            first.wall / base,
            first.cpu_bantin / base
        )
    };
    let _ = writeln!(
        s,
        "\n| on the same files (rev 0) | time | throughput | bantin first poll ÷ this (wall / CPU) |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|");
    let _ = writeln!(
        s,
        "| quick-xml raw event scan (parse limit) | {} | {:.0} MB/s, {} events | {} |",
        secs(r.scan.0),
        mb / r.scan.0,
        r.scan.1,
        ratio(r.scan.0)
    );
    let _ = writeln!(
        s,
        "| feed-rs parse alone | {} | {:.0} MB/s | {} |",
        secs(r.feedrs_secs),
        mb / r.feedrs_secs,
        ratio(r.feedrs_secs)
    );
    let _ = writeln!(
        s,
        "| sanitizing alone (ammonia as bantin calls it: summary, content, summary's text) | {} | {:.0} MB/s | {} |",
        secs(r.sanitize_secs),
        mb / r.sanitize_secs,
        ratio(r.sanitize_secs)
    );
    let _ = writeln!(
        s,
        "| bare rusqlite insert of the same rows, one transaction (store limit) | {} | {:.0} rows/s | {} |",
        secs(r.insert.0),
        r.insert.1 as f64 / r.insert.0,
        ratio(r.insert.0)
    );
    let _ = writeln!(
        s,
        "| floor: parse + sanitize + insert spread over 2 cores (the insert is serial) | {} | | {} |",
        secs(r.floor()),
        ratio(r.floor())
    );
    match &r.python {
        Some((py, version)) => {
            let _ = writeln!(
                s,
                "| Python {version}, parse only (CPU) | {} | {:.2} MB/s | {} |",
                secs(*py),
                mb / py,
                ratio(*py)
            );
        }
        None => {
            let _ = writeln!(s, "| Python feedparser | not run | | |");
        }
    }
    if let Some((py, _)) = &r.python {
        let _ = writeln!(
            s,
            "\nThose three stages alone, perfectly spread over both cores, take {:.3}× feedparser's parse time (the first-poll target is 0.05×).",
            r.floor() / py
        );
    }

    let mut targets = Vec::new();
    if let Some((py, _)) = &r.python {
        let x = first.wall / py;
        targets.push(format!(
            "first poll ≤ 0.05× feedparser's parse: {:.3}× wall ({:.3}× CPU) {}",
            x,
            first.cpu_bantin / py,
            mark(x <= 0.05)
        ));
    }
    let repoll = &r.phases[1];
    let x = repoll.wall / first.wall;
    targets.push(format!(
        "unchanged re-poll ≤ 0.05× first poll: {x:.3}× {}",
        mark(x <= 0.05)
    ));
    targets.push(format!(
        "peak RSS while polling < 64 MiB: {} {}",
        mib(r.poll_peak_kib),
        mark(r.poll_peak_kib < 64 * 1024)
    ));
    let grows =
        r.rss_series.len() > 4 && r.rss_series[r.rss_series.len() - 1] > r.rss_series[2] + 8 * 1024;
    targets.push(format!(
        "memory flat across {REPOLLS} polls (last within 8 MiB of the third): {}",
        mark(!grows)
    ));
    let worst = r
        .render_rows
        .iter()
        .take(3)
        .map(|(_, _, max, _)| *max)
        .fold(0.0, f64::max);
    targets.push(format!(
        "render of a 50-item output < 1 ms (worst output, any format): {worst:.3} ms {}",
        mark(worst < 1.0)
    ));
    let _ = writeln!(s, "\nTargets:");
    for t in targets {
        let _ = writeln!(s, "- {t}");
    }
    s
}

fn mark(ok: bool) -> &'static str {
    if ok { "✅" } else { "❌" }
}

fn secs(x: f64) -> String {
    if x >= 1.0 {
        format!("{x:.2} s")
    } else {
        format!("{:.1} ms", x * 1e3)
    }
}

/// Replaces the part of `## End-to-end ingest (loadgen)` for this size in BENCHMARKS.md.
fn write_benchmarks(report: &str, large: bool) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("BENCHMARKS.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|_| "# Benchmarks\n".into());
    let heading = "## End-to-end ingest (loadgen)";
    let (begin, end) = if large {
        ("<!-- loadgen:large:begin -->", "<!-- loadgen:large:end -->")
    } else {
        (
            "<!-- loadgen:default:begin -->",
            "<!-- loadgen:default:end -->",
        )
    };
    let block = format!("{begin}\n{}\n{end}", report.trim_end());
    let new = match (text.find(begin), text.find(end)) {
        (Some(b), Some(e)) if e > b => format!("{}{}{}", &text[..b], block, &text[e + end.len()..]),
        _ => match text.find(heading) {
            Some(h) => {
                // Insert right after the heading's line.
                let line_end = text[h..].find('\n').map_or(text.len(), |i| h + i + 1);
                format!("{}\n{block}\n{}", &text[..line_end], &text[line_end..])
            }
            None => format!("{}\n{heading}\n\n{block}\n", text.trim_end()),
        },
    };
    std::fs::write(&path, new).unwrap();
    eprintln!("loadgen: wrote {}", path.display());
}
