//! Load test: bantin's daemon polls many loopback feeds that keep changing while client tasks
//! hammer its outputs; reports output latency during ingest, throughput, status counts, items
//! ingested and peak memory. Everything runs in this process on 127.0.0.1 and stops by itself.
//!
//! ```sh
//! cargo run --release --example load -- --feeds 1000 --seconds 60 --clients 16
//! ```
//!
//! Options: `--feeds N` (1000), `--seconds S` (60), `--clients C` (16), `--items K` per feed
//! (20), `--interval D` (the daemon's `[poll] interval`, "30s"), `--concurrency N` (`[poll]
//! concurrency`, 8), `--hosts H` (100): the feeds are spread over H source hosts, the loopback
//! addresses 127.0.0.2 … 127.0.0.(H+1), so bantin's per-host politeness (one request at a time,
//! 1 s apart, per host) applies as it would to real sources. Exits 1 when any output request
//! got a 5xx or failed, or the database fails its integrity check.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

struct Args {
    feeds: usize,
    seconds: u64,
    clients: usize,
    items: usize,
    interval: String,
    concurrency: usize,
    hosts: usize,
}

fn args() -> Args {
    let mut a = Args {
        feeds: 1000,
        seconds: 60,
        clients: 16,
        items: 20,
        interval: "30s".into(),
        concurrency: 8,
        hosts: 100,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let value = argv.get(i + 1).cloned().unwrap_or_default();
        let num = || -> usize {
            value.parse().unwrap_or_else(|_| {
                eprintln!("{}: not a number: {value:?}", argv[i]);
                std::process::exit(2)
            })
        };
        match argv[i].as_str() {
            "--feeds" => a.feeds = num().max(1),
            "--seconds" => a.seconds = num().clamp(1, 3600) as u64,
            "--clients" => a.clients = num().clamp(1, 1024),
            "--items" => a.items = num().clamp(1, 500),
            "--concurrency" => a.concurrency = num().clamp(1, 256),
            "--hosts" => a.hosts = num().clamp(1, 250),
            "--interval" => a.interval = value,
            "-h" | "--help" => {
                println!(
                    "usage: load [--feeds N] [--seconds S] [--clients C] [--items K] [--interval D] [--concurrency N] [--hosts H]"
                );
                std::process::exit(0);
            }
            other => {
                eprintln!("unknown option {other}");
                std::process::exit(2);
            }
        }
        i += 2;
    }
    a
}

const LANGS: [&str; 3] = ["vi", "en", "id"];
const LABELS: [&str; 10] = [
    "Thời sự",
    "Chính trị",
    "Kinh doanh",
    "Di sản",
    "Du lịch",
    "Địa phương",
    "Thể thao",
    "Công nghệ",
    "Sức khỏe",
    "Môi trường",
];

/// The fixture: feed `n` is a news-like RSS document whose window of items moves every
/// `period`, with strong ETags (so unchanged polls are 304s) and a served-request counter.
struct Fixture {
    start: Instant,
    /// Wall-clock time of `start`: items are dated around it, as a live news site's are.
    start_wall: chrono::DateTime<chrono::Utc>,
    period: Duration,
    items: usize,
    requests: AtomicU64,
    not_modified: AtomicU64,
}

impl Fixture {
    fn epoch(&self) -> u64 {
        (self.start.elapsed().as_millis() / self.period.as_millis().max(1)) as u64
    }

    fn document(&self, feed: usize, epoch: u64) -> String {
        let lang = LANGS[feed % LANGS.len()];
        let mut s = String::with_capacity(self.items * 900);
        let _ = write!(
            s,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel><title>Báo số {feed}</title><link>http://source{feed}.test/</link><language>{lang}</language><description>Tin tức</description>"
        );
        // Three new items per epoch; the newest one's title is revised once.
        let newest = epoch as usize * 3 + self.items;
        for k in 0..self.items {
            let id = newest - k;
            let label = LABELS[(feed + id) % LABELS.len()];
            let revised = if k == 0 && epoch % 2 == 1 {
                " (cập nhật)"
            } else {
                ""
            };
            // One item every 8 s of fixture time, the newest at "now".
            let published =
                self.start_wall + chrono::Duration::seconds(8 * id as i64 - 8 * self.items as i64);
            let day = published.format("%d");
            let _ = write!(
                s,
                "<item><title>Tin {feed}-{id}: Hà Nội, Đà Nẵng và TP.HCM chuẩn bị mùa lễ hội{revised}</title>\
                 <link>http://source{feed}.test/tin/{id}.html</link><guid isPermaLink=\"false\">s{feed}-{id}</guid>\
                 <pubDate>{}</pubDate><category>{label}</category>\
                 <description><![CDATA[<p><img src=\"/anh/{id}.jpg\" alt=\"ảnh\"> Theo phóng viên, chiều {day}/11 \
                 các đơn vị đã hoàn tất kế hoạch. <a href=\"/tin/{id}.html\">Xem thêm</a></p><p>{}</p>]]></description></item>",
                published.to_rfc2822(),
                "Nội dung bài viết dài vừa phải để giống một bản tin thật. ".repeat(6)
            );
        }
        s.push_str("</channel></rss>");
        s
    }
}

async fn serve_feed(State(fx): State<Arc<Fixture>>, uri: Uri, headers: HeaderMap) -> Response {
    fx.requests.fetch_add(1, Ordering::Relaxed);
    let Some(feed) = uri
        .path()
        .strip_prefix("/f/")
        .and_then(|p| p.strip_suffix(".rss"))
        .and_then(|n| n.parse::<usize>().ok())
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let epoch = fx.epoch();
    let etag = format!("\"{feed}-{epoch}\"");
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        fx.not_modified.fetch_add(1, Ordering::Relaxed);
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "application/rss+xml".to_string()),
            (header::ETAG, etag),
        ],
        fx.document(feed, epoch),
    )
        .into_response()
}

fn shipped_categories() -> (String, Vec<String>) {
    let shipped = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/feeds.toml"))
        .expect("feeds.toml beside Cargo.toml");
    let start = shipped.find("\n[[category]]").expect("categories");
    let end = shipped[start..]
        .find("\n[[feed]]")
        .map(|e| start + e)
        .unwrap_or(shipped.len());
    let text = shipped[start..end].to_string();
    let ids = text
        .lines()
        .filter_map(|l| l.strip_prefix("id = \""))
        .map(|l| l.trim_end_matches('"').to_string())
        .collect();
    (text, ids)
}

/// A tiny deterministic PRNG per client (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[derive(Default)]
struct ClientStats {
    latencies_us: Vec<u64>,
    statuses: BTreeMap<u16, u64>,
    /// Answers other than 200/304, by URL.
    odd: BTreeMap<(u16, usize), u64>,
    errors: u64,
    bytes: u64,
}

async fn client(
    id: usize,
    base: String,
    urls: Arc<Vec<String>>,
    hot: usize,
    deadline: Instant,
) -> ClientStats {
    let http = reqwest::Client::builder()
        .no_proxy()
        .no_gzip()
        .no_brotli()
        .no_deflate()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(4)
        .build()
        .expect("client");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (id as u64 + 1).wrapping_mul(0x1234_5678_9abc));
    let mut etags: HashMap<usize, String> = HashMap::new();
    let mut stats = ClientStats::default();
    while Instant::now() < deadline {
        // Half the requests go to the language outputs (what most readers subscribe to).
        let which = if rng.below(2) == 0 {
            rng.below(hot)
        } else {
            rng.below(urls.len())
        };
        let mut req = http.get(format!("{base}{}", urls[which]));
        if rng.below(2) == 0
            && let Some(tag) = etags.get(&which)
        {
            req = req.header(header::IF_NONE_MATCH, tag.as_str());
        }
        match rng.below(10) {
            0..=4 => req = req.header(header::ACCEPT_ENCODING, "gzip"),
            5 => req = req.header(header::ACCEPT_ENCODING, "br, gzip"),
            _ => {}
        }
        let started = Instant::now();
        match req.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                if let Some(tag) = resp
                    .headers()
                    .get(header::ETAG)
                    .and_then(|v| v.to_str().ok())
                {
                    etags.insert(which, tag.to_string());
                }
                match resp.bytes().await {
                    Ok(body) => {
                        stats.bytes += body.len() as u64;
                        stats
                            .latencies_us
                            .push(started.elapsed().as_micros() as u64);
                        *stats.statuses.entry(status).or_default() += 1;
                        if status != 200 && status != 304 {
                            *stats.odd.entry((status, which)).or_default() += 1;
                        }
                    }
                    Err(_) => stats.errors += 1,
                }
            }
            Err(_) => stats.errors += 1,
        }
    }
    stats
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn proc_status(key: &str) -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn metric(text: &str, prefix: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(prefix))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .fold(0.0, |a, b| a + b)
}

#[tokio::main]
async fn main() {
    let a = args();
    bantin::fetch::install_crypto_provider();
    let dir = tempfile::tempdir().expect("temp dir");

    // Feeds change a little faster than they are polled, so nearly every poll writes.
    let interval = bantin::config::parse_duration(&a.interval).unwrap_or_else(|e| {
        eprintln!("--interval: {e}");
        std::process::exit(2)
    });
    let fixture = Arc::new(Fixture {
        start: Instant::now(),
        start_wall: chrono::Utc::now(),
        period: interval.mul_f64(0.8),
        items: a.items,
        requests: AtomicU64::new(0),
        not_modified: AtomicU64::new(0),
    });
    let app = Router::new()
        .fallback(serve_feed)
        .with_state(fixture.clone());
    let mut hosts = Vec::with_capacity(a.hosts);
    for h in 0..a.hosts {
        let ip = std::net::Ipv4Addr::new(127, 0, 0, 2 + h as u8);
        let listener = tokio::net::TcpListener::bind((ip, 0))
            .await
            .unwrap_or_else(|e| panic!("bind fixture host {ip}: {e}"));
        hosts.push(listener.local_addr().expect("fixture addr"));
        let app = app.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
    }
    let (categories, category_ids) = shipped_categories();
    let mut toml = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nbase_url = \"http://news.test\"\n\n\
         [storage]\npath = \"data/bantin.db\"\n\n\
         [poll]\ninterval = \"{}\"\ntimeout = \"10s\"\nconcurrency = {}\nallow_private = [\"127.0.0.0/8\"]\n\
         # Poll at the configured interval: adaptive mode would stretch it to the publishing rate.\n\
         adaptive = false\n\n\
         [classify]\nlanguages = [\"vi\", \"en\", \"id\"]\n\n{categories}\n",
        a.interval, a.concurrency
    );
    for n in 0..a.feeds {
        let _ = write!(
            toml,
            "[[feed]]\nname = \"Báo số {n}\"\nurl = \"http://{}/f/{n}.rss\"\nlang = \"{}\"\n\n",
            hosts[n % hosts.len()],
            LANGS[n % LANGS.len()]
        );
    }
    let config_path = dir.path().join("feeds.toml");
    std::fs::write(&config_path, toml).expect("write config");
    let config = bantin::config::Config::load(&config_path).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let db_path = config.storage.path.clone();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind daemon");
    let addr = listener.local_addr().expect("daemon addr");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let daemon = tokio::spawn(bantin::daemon::run(config, listener, async move {
        let _ = stop_rx.await;
    }));
    let base = format!("http://{addr}");

    // Wait (bounded) for the first render.
    let probe = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let ready_by = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = probe.get(format!("{base}/feeds/vi.rss")).send().await
            && r.status() == 200
        {
            break;
        }
        if Instant::now() > ready_by {
            eprintln!("daemon never served /feeds/vi.rss");
            std::process::exit(1);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let mut urls = Vec::new();
    for ext in ["rss", "atom", "json"] {
        urls.push(format!("/feeds/vi.{ext}"));
    }
    let hot = urls.len();
    for lang in LANGS {
        for ext in ["rss", "atom", "json"] {
            if lang != "vi" {
                urls.push(format!("/feeds/{lang}.{ext}"));
            }
            for c in &category_ids {
                urls.push(format!("/feeds/{lang}/{c}.{ext}"));
            }
        }
    }
    urls.push("/feeds/vi.rss?page=2".into());
    urls.push("/".into());
    let urls = Arc::new(urls);

    println!(
        "load: {} feeds on {} hosts × {} items (change every {:?}), poll interval {}, concurrency {}, {} clients × {} s, {} output URLs",
        a.feeds,
        a.hosts,
        a.items,
        fixture.period,
        a.interval,
        a.concurrency,
        a.clients,
        a.seconds,
        urls.len()
    );
    let started = Instant::now();
    let deadline = started + Duration::from_secs(a.seconds);

    // Sample RSS and items once a second while the clients run.
    let sampler = {
        let base = base.clone();
        let probe = probe.clone();
        tokio::spawn(async move {
            let mut peak_rss = 0;
            let mut timeline = Vec::new();
            let mut tick = 0u64;
            while Instant::now() < deadline {
                tokio::time::sleep(Duration::from_secs(1)).await;
                tick += 1;
                peak_rss = peak_rss.max(proc_status("VmRSS:").unwrap_or(0));
                if tick % 10 == 0
                    && let Ok(r) = probe.get(format!("{base}/metrics")).send().await
                    && let Ok(text) = r.text().await
                {
                    timeline.push((
                        tick,
                        metric(&text, "bantin_items "),
                        metric(&text, "bantin_polls_total"),
                        proc_status("VmRSS:").unwrap_or(0) / 1024,
                    ));
                }
            }
            (peak_rss, timeline)
        })
    };

    let clients: Vec<_> = (0..a.clients)
        .map(|i| tokio::spawn(client(i, base.clone(), urls.clone(), hot, deadline)))
        .collect();
    let mut all = ClientStats::default();
    for c in clients {
        let s = c.await.expect("client task");
        all.latencies_us.extend(s.latencies_us);
        for (k, v) in s.statuses {
            *all.statuses.entry(k).or_default() += v;
        }
        for (k, v) in s.odd {
            *all.odd.entry(k).or_default() += v;
        }
        all.errors += s.errors;
        all.bytes += s.bytes;
    }
    let elapsed = started.elapsed();
    let (peak_rss_kb, timeline) = sampler.await.expect("sampler");
    let metrics = probe
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics body");

    let _ = stop_tx.send(());
    match tokio::time::timeout(Duration::from_secs(30), daemon).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => eprintln!("daemon error: {e}"),
        Ok(Err(e)) => eprintln!("daemon task: {e}"),
        Err(_) => eprintln!("daemon did not stop within 30 s"),
    }
    let conn = rusqlite::Connection::open(&db_path).expect("open db");
    let items: i64 = conn
        .query_row("SELECT COUNT(*) FROM items", [], |r| r.get(0))
        .unwrap_or(-1);
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap_or_else(|e| e.to_string());

    all.latencies_us.sort_unstable();
    let n = all.latencies_us.len();
    let server_errors: u64 = all
        .statuses
        .iter()
        .filter(|(s, _)| **s >= 500)
        .map(|(_, v)| v)
        .sum();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "?".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);

    println!("machine: {cores} cores, {cpu}");
    println!(
        "requests: {n} in {:.1} s = {:.0} req/s, {:.1} MiB received, {} failed",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
        all.bytes as f64 / 1048576.0,
        all.errors
    );
    println!(
        "latency (ms): p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        percentile(&all.latencies_us, 0.50),
        percentile(&all.latencies_us, 0.90),
        percentile(&all.latencies_us, 0.99),
        percentile(&all.latencies_us, 1.0)
    );
    let statuses: Vec<String> = all
        .statuses
        .iter()
        .map(|(s, v)| format!("{s}: {v}"))
        .collect();
    println!("statuses: {}  (5xx: {server_errors})", statuses.join(", "));
    for ((status, which), n) in &all.odd {
        println!("  {status} × {n}: {}", urls[*which]);
    }
    println!(
        "ingest: {items} items stored; polls {} (ok {}, not-modified {}, error {}); items new {} updated {}; fixture served {} requests ({} × 304)",
        metric(&metrics, "bantin_polls_total"),
        metric(&metrics, "bantin_polls_total{outcome=\"ok\""),
        metric(&metrics, "bantin_polls_total{outcome=\"not-modified\""),
        metric(&metrics, "bantin_polls_total{outcome=\"error\""),
        metric(&metrics, "bantin_items_total{kind=\"new\"}"),
        metric(&metrics, "bantin_items_total{kind=\"updated\"}"),
        fixture.requests.load(Ordering::Relaxed),
        fixture.not_modified.load(Ordering::Relaxed),
    );
    println!(
        "renders: {} full refreshes, {:.2} s rendering in total",
        metric(&metrics, "bantin_render_duration_seconds_count"),
        metric(&metrics, "bantin_render_duration_seconds_sum"),
    );
    println!(
        "memory: peak RSS {:.0} MiB (VmHWM {:.0} MiB, whole process: daemon + fixture + clients)",
        peak_rss_kb as f64 / 1024.0,
        proc_status("VmHWM:").unwrap_or(0) as f64 / 1024.0
    );
    for (t, items, polls, rss) in timeline {
        println!("  t={t:>4}s items {items:>8} polls {polls:>8} rss {rss} MiB");
    }
    println!("database: integrity_check {integrity}");
    if server_errors > 0 || all.errors > 0 || integrity != "ok" {
        std::process::exit(1);
    }
}
