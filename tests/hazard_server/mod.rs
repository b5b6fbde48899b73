//! The hazard test's loopback server: static corpus files, generated big bodies streamed
//! without being held in memory (compression bombs, 200 MiB, 10k/100k-item feeds), pacing
//! (drip) between chunks, headers that lie, redirects; a gate that serves the big cases one
//! at a time so each one's memory and `/healthz` latency can be told apart; and the trap
//! listener that counts every connection it accepts.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body as AxumBody;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use flate2::{Compress, Compression, FlushCompress};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How a body is produced.
#[derive(Clone)]
pub enum Body {
    /// A whole body (the committed corpus, small generated cases).
    Static(Bytes),
    /// `head`, then `chunk` `count` times, then `tail`: streamed, never concatenated.
    Repeat {
        head: Bytes,
        chunk: Bytes,
        count: u64,
        tail: Bytes,
    },
    /// An RSS feed of `total` generated items, formatted batch by batch while it is sent.
    Items { total: usize },
}

impl Body {
    /// The exact number of bytes the body has (for an honest `Content-Length`).
    pub fn len(&self) -> u64 {
        match self {
            Body::Static(b) => b.len() as u64,
            Body::Repeat {
                head,
                chunk,
                count,
                tail,
            } => head.len() as u64 + chunk.len() as u64 * count + tail.len() as u64,
            Body::Items { total } => {
                let mut n = items_head().len() + items_tail().len();
                for i in 0..*total {
                    n += item(i, *total).len();
                }
                n as u64
            }
        }
    }
}

#[derive(Clone)]
pub struct Route {
    pub status: u16,
    pub content_type: String,
    pub content_encoding: Option<&'static str>,
    /// A `Content-Length` header to send (honest or a lie); none: chunked or exact.
    pub content_length: Option<u64>,
    pub location: Option<String>,
    pub body: Body,
    /// Pause between two chunks of a streamed body.
    pub pace: Option<Duration>,
    /// Served one at a time (see `Server::release`).
    pub big: bool,
}

impl Route {
    pub fn feed(content_type: &str, body: Vec<u8>) -> Route {
        Route {
            status: 200,
            content_type: content_type.to_string(),
            content_encoding: None,
            content_length: None,
            location: None,
            body: Body::Static(Bytes::from(body)),
            pace: None,
            big: false,
        }
    }
}

#[derive(Default)]
struct Inner {
    routes: HashMap<String, Route>,
    /// When the first request for a path was answered (for a big route: let through the gate).
    started: HashMap<String, Instant>,
    requests: HashMap<String, usize>,
    /// Body bytes handed to the connection per path (all requests together).
    sent: HashMap<String, Arc<AtomicU64>>,
    /// The big route being served now and its permit.
    holder: Option<(String, OwnedSemaphorePermit)>,
}

#[derive(Clone)]
pub struct Server {
    inner: Arc<Mutex<Inner>>,
    gate: Arc<Semaphore>,
    gate_on: Arc<AtomicBool>,
}

impl Server {
    /// Serves the same routes on each of `ips` (port chosen by the system for each).
    pub async fn start(ips: &[&str]) -> (Server, Vec<SocketAddr>) {
        let server = Server {
            inner: Arc::default(),
            gate: Arc::new(Semaphore::new(1)),
            gate_on: Arc::new(AtomicBool::new(true)),
        };
        let mut addrs = Vec::new();
        for ip in ips {
            let app = Router::new().fallback(handle).with_state(server.clone());
            let listener = tokio::net::TcpListener::bind(format!("{ip}:0"))
                .await
                .unwrap();
            addrs.push(listener.local_addr().unwrap());
            tokio::spawn(async move {
                axum::serve(listener, app).await.unwrap();
            });
        }
        (server, addrs)
    }

    pub fn set(&self, path: &str, route: Route) {
        self.inner
            .lock()
            .unwrap()
            .routes
            .insert(path.to_string(), route);
    }

    pub fn started(&self) -> HashMap<String, Instant> {
        self.inner.lock().unwrap().started.clone()
    }

    pub fn requests(&self, path: &str) -> usize {
        self.inner
            .lock()
            .unwrap()
            .requests
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// Body bytes sent for `path` so far (all requests together).
    pub fn sent(&self, path: &str) -> u64 {
        self.inner
            .lock()
            .unwrap()
            .sent
            .get(path)
            .map_or(0, |n| n.load(Ordering::SeqCst))
    }

    /// The big route being served now.
    pub fn holder(&self) -> Option<String> {
        self.inner
            .lock()
            .unwrap()
            .holder
            .as_ref()
            .map(|(p, _)| p.clone())
    }

    /// Lets the next big route through (the test calls this once the daemon has recorded the
    /// current one's outcome).
    pub fn release(&self) {
        self.inner.lock().unwrap().holder = None;
    }

    /// Stops serving big routes one at a time (for the re-poll).
    pub fn open_gate(&self) {
        self.gate_on.store(false, Ordering::SeqCst);
        self.release();
    }
}

async fn handle(State(server): State<Server>, uri: Uri) -> Response {
    let path = uri.path().to_string();
    let route = server.inner.lock().unwrap().routes.get(&path).cloned();
    let Some(route) = route else {
        return (StatusCode::NOT_FOUND, "no such fixture").into_response();
    };
    if route.big && server.gate_on.load(Ordering::SeqCst) {
        let permit = server.gate.clone().acquire_owned().await.unwrap();
        server.inner.lock().unwrap().holder = Some((path.clone(), permit));
    }
    let sent = {
        let mut inner = server.inner.lock().unwrap();
        inner
            .started
            .entry(path.clone())
            .or_insert_with(Instant::now);
        *inner.requests.entry(path.clone()).or_default() += 1;
        inner.sent.entry(path.clone()).or_default().clone()
    };
    let mut resp = match &route.body {
        Body::Static(b) if route.pace.is_none() => {
            sent.fetch_add(b.len() as u64, Ordering::SeqCst);
            AxumBody::from(b.clone())
        }
        _ => AxumBody::from_stream(stream(route.body.clone(), route.pace, sent)),
    }
    .into_response();
    *resp.status_mut() = StatusCode::from_u16(route.status).unwrap();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&route.content_type).unwrap(),
    );
    if let Some(e) = route.content_encoding {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
    }
    if let Some(n) = route.content_length {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    }
    if let Some(l) = &route.location {
        h.insert(header::LOCATION, HeaderValue::from_str(l).unwrap());
    }
    resp
}

/// The body as a stream of chunks; `pace` between chunks; `sent` counts what was handed on.
fn stream(
    body: Body,
    pace: Option<Duration>,
    sent: Arc<AtomicU64>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    // State: how many chunks were sent so far.
    futures_util::stream::unfold((body, 0u64), move |(body, n)| {
        let sent = sent.clone();
        async move {
            if n > 0
                && let Some(p) = pace
            {
                tokio::time::sleep(p).await;
            }
            let next = match &body {
                Body::Static(b) => {
                    // 256 KiB at a time.
                    let at = (n as usize) * (256 << 10);
                    (at < b.len()).then(|| b.slice(at..(at + (256 << 10)).min(b.len())))
                }
                Body::Repeat {
                    head,
                    chunk,
                    count,
                    tail,
                } => match n {
                    0 => Some(head.clone()),
                    k if k <= *count => Some(chunk.clone()),
                    k if k == count + 1 && !tail.is_empty() => Some(tail.clone()),
                    _ => None,
                },
                Body::Items { total } => {
                    const BATCH: usize = 500;
                    let batches = total.div_ceil(BATCH) as u64;
                    match n {
                        0 => Some(Bytes::from(items_head())),
                        k if k <= batches => {
                            let from = (k as usize - 1) * BATCH;
                            let mut s = String::with_capacity(BATCH * 400);
                            for i in from..(from + BATCH).min(*total) {
                                s.push_str(&item(i, *total));
                            }
                            Some(Bytes::from(s))
                        }
                        k if k == batches + 1 => Some(Bytes::from(items_tail())),
                        _ => None,
                    }
                }
            };
            next.map(|b| {
                sent.fetch_add(b.len() as u64, Ordering::SeqCst);
                (Ok(b), (body, n + 1))
            })
        }
    })
}

fn items_head() -> String {
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Generated big feed</title><link>http://big.example/</link><description>Many items</description><language>en</language>\n".to_string()
}

fn items_tail() -> String {
    "</channel></rss>\n".to_string()
}

const WORDS: &[&str] = &[
    "harbour", "council", "bridge", "festival", "market", "river", "school", "railway", "museum",
    "airport", "factory", "stadium", "library", "orchard", "village", "province", "forest",
    "island", "theatre", "hospital", "budget", "election", "harvest", "typhoon", "exports",
];

/// Item `i` of a generated feed of `total`: distinct words per item, so the items are not one
/// story; newest first (as feeds are), one minute apart going back from mid-1950, older than
/// every corpus item (the oldest is 1969-12-31T23:00Z), so the outputs lead with the corpus.
pub fn item(i: usize, total: usize) -> String {
    let w = |k: usize| WORDS[(i / WORDS.len().pow(k as u32)) % WORDS.len()];
    let newest = chrono::DateTime::parse_from_rfc3339("1950-06-30T23:59:00Z").unwrap();
    let date = (newest - chrono::Duration::minutes(i as i64)).to_rfc2822();
    format!(
        "<item><title>Item {i} of {total}: {} {} {} report</title><link>http://big.example/{total}/{i}</link><guid>big-{total}-{i}</guid><pubDate>{date}</pubDate><description>&lt;p&gt;Generated item number {i}: the {} near the {} opened, said the {}.&lt;/p&gt;</description></item>\n",
        w(0),
        w(1),
        w(2),
        w(1),
        w(2),
        w(0),
    )
}

/// A compression bomb: `prefix`, then about `total` bytes of spaces, compressed once per
/// 1 MiB block and that block's compressed bytes repeated (a full flush after each block
/// makes every block independent of the one before, so repeating it is valid). `wrapper`:
/// "gzip" (RFC 1952 header), "zlib" (RFC 1950) or "raw" (bare deflate). The trailer
/// (checksum) never comes: no client may read that far.
pub fn bomb(prefix: &str, total: u64, wrapper: &str) -> Body {
    let mut c = Compress::new(Compression::best(), wrapper == "zlib");
    let mut head = Vec::new();
    if wrapper == "gzip" {
        head.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    }
    let mut compress = |input: &[u8]| -> Vec<u8> {
        // Room for the worst case (stored blocks) so one call consumes and flushes it all.
        let mut out = Vec::with_capacity(input.len() + input.len() / 8 + 1024);
        let before = c.total_in();
        c.compress_vec(input, &mut out, FlushCompress::Full)
            .unwrap();
        assert_eq!(c.total_in() - before, input.len() as u64);
        out
    };
    head.extend(compress(prefix.as_bytes()));
    let block = vec![b' '; 1 << 20];
    let chunk = compress(&block);
    let count = total / block.len() as u64;
    Body::Repeat {
        head: Bytes::from(head),
        chunk: Bytes::from(chunk),
        count,
        tail: Bytes::new(),
    }
}

/// A valid RSS document padded to `size` bytes with one huge description, streamed.
pub fn padded(size: u64) -> Body {
    let head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Padded</title><link>http://big.example/</link><description>x</description><item><title>Padded item</title><guid>padded-1</guid><description>";
    let tail = "</description></item></channel></rss>\n";
    let chunk = vec![b'a'; 64 << 10];
    let count = (size - head.len() as u64 - tail.len() as u64) / chunk.len() as u64;
    let mut pad = Vec::new();
    let used = head.len() as u64 + count * chunk.len() as u64 + tail.len() as u64;
    pad.resize((size - used) as usize, b'a');
    let mut tail_bytes = pad;
    tail_bytes.extend_from_slice(tail.as_bytes());
    Body::Repeat {
        head: Bytes::from(head),
        chunk: Bytes::from(chunk),
        count,
        tail: Bytes::from(tail_bytes),
    }
}

/// A listener standing in for addresses nothing may contact: counts the connections it
/// accepts (and answers none).
pub async fn trap(ip: &str) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind(format!("{ip}:0"))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    tokio::spawn(async move {
        while let Ok((_s, _)) = listener.accept().await {
            h.fetch_add(1, Ordering::SeqCst);
        }
    });
    (addr, hits)
}
