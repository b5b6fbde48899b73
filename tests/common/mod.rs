//! Test harness: an in-process HTTP server on 127.0.0.1 that serves fixture feeds (with ETag
//! and 304 support), config files written to a temporary folder, and bantin's daemon started
//! on port 0.

#![allow(dead_code)]

pub mod fixtures;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

/// What the fixture server answers at one path.
#[derive(Clone)]
pub struct Served {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    /// Send an ETag and honour If-None-Match.
    pub etag: bool,
}

impl Served {
    pub fn feed(content_type: &str, body: impl Into<Vec<u8>>) -> Served {
        Served {
            status: 200,
            content_type: content_type.to_string(),
            body: body.into(),
            etag: true,
        }
    }
}

#[derive(Default)]
struct Inner {
    routes: HashMap<String, Served>,
    hits: HashMap<String, usize>,
    not_modified: usize,
}

/// A loopback HTTP server whose answers tests change while it runs.
#[derive(Clone)]
pub struct FixtureServer {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

fn etag_of(body: &[u8]) -> String {
    format!("\"{}\"", &blake3::hash(body).to_hex()[..16])
}

async fn handle(State(inner): State<Arc<Mutex<Inner>>>, uri: Uri, headers: HeaderMap) -> Response {
    let mut inner = inner.lock().unwrap();
    let path = uri.path().to_string();
    *inner.hits.entry(path.clone()).or_default() += 1;
    let Some(s) = inner.routes.get(&path).cloned() else {
        return (StatusCode::NOT_FOUND, "no such fixture").into_response();
    };
    let status = StatusCode::from_u16(s.status).unwrap();
    if s.etag && status == StatusCode::OK {
        let tag = etag_of(&s.body);
        if headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            == Some(tag.as_str())
        {
            inner.not_modified += 1;
            return (StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response();
        }
        return (
            status,
            [(header::CONTENT_TYPE, s.content_type), (header::ETAG, tag)],
            s.body,
        )
            .into_response();
    }
    (status, [(header::CONTENT_TYPE, s.content_type)], s.body).into_response()
}

impl FixtureServer {
    pub async fn start() -> FixtureServer {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new().fallback(handle).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FixtureServer { addr, inner }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    pub fn set(&self, path: &str, served: Served) {
        self.inner
            .lock()
            .unwrap()
            .routes
            .insert(path.to_string(), served);
    }

    pub fn hits(&self, path: &str) -> usize {
        self.inner
            .lock()
            .unwrap()
            .hits
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    pub fn not_modified_count(&self) -> usize {
        self.inner.lock().unwrap().not_modified
    }
}

/// A `[[feed]]` entry for a generated config.
#[derive(Clone)]
pub struct FeedEntry {
    pub name: String,
    pub url: String,
    pub lang: Option<String>,
    pub categories: Vec<String>,
}

/// The shipped taxonomy, so tests classify like production does.
pub fn shipped_categories() -> String {
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("feeds.toml")).unwrap();
    let start = shipped
        .find("\n[[category]]")
        .expect("shipped feeds.toml has categories");
    let end = shipped[start..]
        .find("\n[[feed]]")
        .map(|e| start + e)
        .unwrap_or(shipped.len());
    // Keep only [[category]] tables (comments between them are fine).
    shipped[start..end].to_string()
}

/// Writes a config for `feeds` into `dir` and returns its path.
pub fn write_config(dir: &Path, feeds: &[FeedEntry], extra: &str) -> PathBuf {
    let mut toml = String::new();
    toml.push_str("[server]\nlisten = \"127.0.0.1:0\"\nbase_url = \"http://news.test\"\n\n");
    toml.push_str("[storage]\npath = \"data/bantin.db\"\n\n");
    toml.push_str("[poll]\ninterval = \"15m\"\ntimeout = \"10s\"\nconcurrency = 4\nhost_gap = \"0s\"\nallow_private = [\"127.0.0.1\"]\n\n");
    toml.push_str("[classify]\nlanguages = [\"vi\", \"en\", \"id\"]\n\n");
    toml.push_str(extra);
    toml.push('\n');
    toml.push_str(&shipped_categories());
    toml.push('\n');
    for f in feeds {
        toml.push_str(&format!(
            "[[feed]]\nname = {:?}\nurl = {:?}\n",
            f.name, f.url
        ));
        if let Some(l) = &f.lang {
            toml.push_str(&format!("lang = {l:?}\n"));
        }
        if !f.categories.is_empty() {
            toml.push_str(&format!("categories = {:?}\n", f.categories));
        }
        toml.push('\n');
    }
    let path = dir.join("feeds.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

/// Serves every feed of `set` from `server` at `/{lang}/{i}.{ext}` and returns config entries.
pub fn serve_set(server: &FixtureServer, set: &[fixtures::FixtureFeed]) -> Vec<FeedEntry> {
    set.iter()
        .enumerate()
        .map(|(i, f)| {
            let ext = match f.format {
                fixtures::FixtureFormat::Rss2 => "rss",
                fixtures::FixtureFormat::Atom => "atom",
                fixtures::FixtureFormat::JsonFeed => "json",
            };
            let path = format!("/{}/{i}.{ext}", f.lang);
            let url = server.url(&path);
            server.set(
                &path,
                Served::feed(fixtures::content_type(&f.format), fixtures::render(f, &url)),
            );
            FeedEntry {
                name: format!("{} #{i}", f.title),
                url,
                lang: None,
                categories: vec![],
            }
        })
        .collect()
}

/// The daemon running in-process on an ephemeral port.
pub struct Daemon {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<Result<(), bantin::daemon::DaemonError>>,
}

impl Daemon {
    pub async fn start(config: bantin::config::Config) -> Daemon {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(bantin::daemon::run(config, listener, async move {
            let _ = rx.await;
        }));
        Daemon {
            addr,
            stop: Some(tx),
            handle,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.handle.await.unwrap().unwrap();
    }
}

/// Runs `bantin poll` through the library and returns its output lines.
pub async fn poll(config: &bantin::config::Config) -> Vec<String> {
    let mut out = Vec::new();
    bantin::commands::poll(config, None, &mut out)
        .await
        .unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Runs `bantin items --json` through the library.
pub async fn items_json(config: &bantin::config::Config) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    bantin::commands::items(config, true, None, &mut out)
        .await
        .unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A client that neither follows redirects nor decompresses, to see exact responses.
pub fn raw_client() -> reqwest::Client {
    bantin::fetch::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .no_gzip()
        .no_brotli()
        .no_deflate()
        .build()
        .unwrap()
}

/// Waits until `url` answers 200 with a body that `ready` accepts (bounded: ~20 s).
pub async fn wait_for(url: &str, ready: impl Fn(&str) -> bool) -> String {
    let client = raw_client();
    for _ in 0..400 {
        if let Ok(r) = client.get(url).send().await
            && r.status() == 200
        {
            let body = r.text().await.unwrap();
            if ready(&body) {
                return body;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{url} never became ready");
}

/// Runs `../shared/tools/validate-feed` on `file` when it exists; returns its output, or None
/// when the tool is absent. Panics when a validator that ran reports FAIL.
pub fn validate_feed(file: &Path) -> Option<String> {
    let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/validate-feed");
    if !tool.exists() {
        return None;
    }
    let out = std::process::Command::new(&tool).arg(file).output().ok()?;
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "validate-feed failed on {}:\n{text}",
        file.display()
    );
    Some(text)
}

/// Spawns `cmd` (a `bantin run --listen 127.0.0.1:0`), waits for the address it prints, and
/// keeps its stderr lines: for tests that need the real binary (signals, exit status, memory).
pub fn spawn_run(
    mut cmd: std::process::Command,
) -> (std::process::Child, String, Arc<Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader};
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let lines = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("bantin: serving on http://") {
                let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_string());
            }
            lines.lock().unwrap().push(line);
        }
    });
    let addr = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the daemon prints its address");
    (child, addr, log)
}
