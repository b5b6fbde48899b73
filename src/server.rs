//! The HTTP endpoint: routes, conditional GET, content negotiation of pre-compressed bytes,
//! caching headers, and connection limits. Serves only what `render::cache` already holds.
//!
//! Connections are accepted by hand (not `axum::serve`) so that hyper's header-read timeout
//! applies: a client that sends half a request is dropped instead of holding a connection.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::config::Config;
use crate::metrics::{Gauges, Health, Metrics};
use crate::render::cache::{RenderCache, Rendered};
use crate::store::Store;

/// Connections beyond the file-descriptor budget are closed at once; this many descriptors
/// stay reserved for the store, fetches and logs.
const RESERVED_FDS: u64 = 512;
/// Open connections get this long to finish when the server stops.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct AppState {
    pub cache: Arc<RenderCache>,
    /// The running config (replaced on reload).
    pub config: tokio::sync::watch::Receiver<Arc<Config>>,
    pub metrics: Arc<Metrics>,
    pub health: Arc<Health>,
    pub store: Store,
}

impl AppState {
    fn max_age(&self) -> Duration {
        self.config.borrow().server.cache_max_age
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/opml", get(opml))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/feeds/{*path}", get(feed))
        .fallback(not_found)
        .with_state(state)
}

async fn index(State(s): State<AppState>, headers: HeaderMap) -> Response {
    page(&s, "index.html", &headers)
}

async fn opml(State(s): State<AppState>, headers: HeaderMap) -> Response {
    page(&s, "opml", &headers)
}

fn page(s: &AppState, name: &str, headers: &HeaderMap) -> Response {
    match s.cache.snapshot().pages.get(name) {
        Some(doc) => respond(doc, headers, s.max_age()),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "starting up, try again shortly\n",
        )
            .into_response(),
    }
}

/// Ready when the store answers, outputs are rendered and every feed was polled once.
async fn readyz(State(s): State<AppState>) -> Response {
    let store = s.store.clone();
    let store_ok = tokio::task::spawn_blocking(move || store.ping())
        .await
        .is_ok_and(|r| r.is_ok());
    let rendered = s.cache.snapshot().ready;
    let polled = s.health.first_pass_done();
    let body = format!(
        "store: {}\noutputs: {}\nfirst poll: {}\n",
        if store_ok { "ok" } else { "unreachable" },
        if rendered { "rendered" } else { "not yet" },
        if polled { "done" } else { "in progress" }
    );
    let status = if store_ok && rendered && polled {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn metrics(State(s): State<AppState>) -> Response {
    let store = s.store.clone();
    let gauges = tokio::task::spawn_blocking(move || {
        let statuses = store.feed_statuses().unwrap_or_default();
        Gauges {
            store_bytes: store.size_bytes(),
            items: store.item_count().unwrap_or(0),
            stories: store.story_count().unwrap_or(0),
            feeds: statuses.len(),
            feeds_failing: statuses.iter().filter(|f| f.error_class.is_some()).count(),
        }
    })
    .await;
    match gauges {
        Ok(g) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            s.metrics.render_text(&g),
        )
            .into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "metrics unavailable\n").into_response(),
    }
}

/// The `?page=N` of a request (RFC 5005 paging), if any.
#[derive(serde::Deserialize)]
struct PageQuery {
    page: Option<String>,
}

async fn feed(
    State(s): State<AppState>,
    Path(path): Path<String>,
    Query(q): Query<PageQuery>,
    // The request itself rather than a `HeaderMap` extractor, which copies every header.
    request: axum::extract::Request,
) -> Response {
    let headers = request.headers();
    let snapshot = s.cache.snapshot();
    let page = match q.page.as_deref().map(str::parse::<u32>) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => {
            return (StatusCode::BAD_REQUEST, "page must be a number from 1\n").into_response();
        }
    };
    let doc = if page == 1 {
        snapshot.docs.get(&path).cloned()
    } else {
        let (cache, store, config, key) = (
            s.cache.clone(),
            s.store.clone(),
            s.config.borrow().clone(),
            path.clone(),
        );
        tokio::task::spawn_blocking(move || cache.page(&store, &config, &key, page))
            .await
            .ok()
            .and_then(Result::ok)
            .flatten()
    };
    match doc {
        Some(doc) => {
            let resp = respond(&doc, headers, s.max_age());
            s.metrics.output_request(resp.status().as_u16());
            resp
        }
        None => {
            s.metrics.output_request(404);
            let mut known: Vec<&str> = snapshot.outputs.iter().map(|o| o.path.as_str()).collect();
            known.truncate(40);
            let what = if page > 1 && snapshot.docs.contains_key(&path) {
                format!("no page {page} of /feeds/{path} (it has fewer older items)")
            } else {
                format!(
                    "no output at /feeds/{}",
                    path.chars().take(200).collect::<String>()
                )
            };
            let body = format!(
                "404 not found: {what}\n\nOutputs are served as /feeds/ID.rss, /feeds/ID.atom and /feeds/ID.json.\nKnown IDs include: {}\nThe index page / lists them all.\n",
                known.join(", ")
            );
            (
                StatusCode::NOT_FOUND,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                body,
            )
                .into_response()
        }
    }
}

async fn not_found(method: Method) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
            "method not allowed\n",
        )
            .into_response();
    }
    (
        StatusCode::NOT_FOUND,
        "404 not found; see / for the list of feeds\n",
    )
        .into_response()
}

#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

/// Picks the best encoding the client accepts (q > 0), preferring brotli.
fn negotiate(headers: &HeaderMap) -> Encoding {
    let Some(accept) = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return Encoding::Identity;
    };
    let accepts = |name: &str| {
        accept.split(',').any(|part| {
            let mut it = part.split(';');
            let coding = it.next().unwrap_or("").trim();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (coding.eq_ignore_ascii_case(name) || coding == "*") && q > 0.0
        })
    };
    if accepts("br") {
        Encoding::Brotli
    } else if accepts("gzip") {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

fn etag(doc: &Rendered, enc: Encoding) -> &bytes::Bytes {
    match enc {
        Encoding::Identity => &doc.etags[0],
        Encoding::Gzip => &doc.etags[1],
        Encoding::Brotli => &doc.etags[2],
    }
}

/// Whether the client's validators match: `If-None-Match` wins over `If-Modified-Since`.
fn not_modified(doc: &Rendered, headers: &HeaderMap) -> bool {
    if let Some(inm) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        return inm.split(',').any(|t| {
            let t = t.trim().trim_start_matches("W/");
            // Any encoding's tag names the same content.
            t == "*" || t.trim_matches('"').split('-').next() == Some(doc.digest.as_str())
        });
    }
    if let Some(ims) = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
    {
        let ims: DateTime<Utc> = ims.into();
        return doc.last_modified.timestamp() <= ims.timestamp();
    }
    false
}

fn respond(doc: &Rendered, headers: &HeaderMap, max_age: Duration) -> Response {
    let enc = negotiate(headers);
    let mut h = HeaderMap::with_capacity(8);
    let set = |h: &mut HeaderMap, k: header::HeaderName, v: bytes::Bytes| {
        if let Ok(v) = HeaderValue::from_maybe_shared(v) {
            h.insert(k, v);
        }
    };
    set(&mut h, header::ETAG, etag(doc, enc).clone());
    set(
        &mut h,
        header::LAST_MODIFIED,
        doc.last_modified_http.clone(),
    );
    set(
        &mut h,
        header::CACHE_CONTROL,
        format!("public, max-age={}", max_age.as_secs()).into(),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if not_modified(doc, headers) {
        return (StatusCode::NOT_MODIFIED, h).into_response();
    }
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(doc.content_type),
    );
    let body = match enc {
        Encoding::Identity => doc.body(),
        Encoding::Gzip => {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            doc.gzip.clone()
        }
        Encoding::Brotli => {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
            doc.br.clone()
        }
    };
    (StatusCode::OK, h, Body::from(body)).into_response()
}

/// Raises the soft open-files limit to the hard one (systemd and shells often start services
/// at 1024) and returns how many client connections fit in it.
pub fn connection_budget() -> usize {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut lim = getrlimit(Resource::Nofile);
    if lim.current != lim.maximum {
        lim.current = lim.maximum;
        let _ = setrlimit(Resource::Nofile, lim);
    }
    let soft = getrlimit(Resource::Nofile).current.unwrap_or(65_536);
    soft.saturating_sub(RESERVED_FDS).clamp(64, 65_536) as usize
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets open requests finish
/// (bounded by `SHUTDOWN_GRACE`). A client gets `header_timeout` to send each request's
/// headers; idle and half-sent connections are dropped after it.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let budget = connection_budget();
    tracing::debug!(connections = budget, "connection budget");
    let slots = Arc::new(Semaphore::new(budget));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Usually EMFILE: back off briefly instead of spinning.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    continue; // over the limit: close it
                };
                let _ = stream.set_nodelay(true);
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(header_timeout)
                    .max_buf_size(64 * 1024)
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                    drop(slot);
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("some connections did not finish within {SHUTDOWN_GRACE:?}");
        }
    }
}
