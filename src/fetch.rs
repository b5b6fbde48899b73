//! Retrieval of a feed's bytes: HTTP(S) with conditional GET, redirects checked hop by hop,
//! a total deadline and a body cap counted after decompression; local files too.
//!
//! It hands back bytes and response metadata; it never parses them.

pub mod address;
pub mod hosts;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};
use tokio::time::{Instant, timeout_at};
use url::Url;

use crate::config::{FeedSource, PollConfig};
use address::{AddressPolicy, FilteringResolver};
use hosts::{Blocked, HostLimiter};

pub const USER_AGENT: &str = concat!(
    "bantin/",
    env!("CARGO_PKG_VERSION"),
    " (news aggregator; +https://github.com/bantin/bantin)"
);

const ACCEPT: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
    application/rdf+xml;q=0.9, application/json;q=0.8, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1";

/// A `Retry-After` longer than this is read as this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Why a fetch failed. `class()` gives the short cause shown by `bantin feeds`.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("HTTP status {0}")]
    Status(u16),
    /// 429 or 503 with a usable `Retry-After`: nothing more to that URL (or host) before `until`.
    #[error("HTTP status {status}, retry after {}", until.to_rfc3339())]
    RetryAfter {
        status: u16,
        until: DateTime<Utc>,
        /// The whole host was held back, not only this URL.
        host_wide: bool,
    },
    /// Not sent: the host asked for a pause (`Retry-After`) that is not over.
    #[error("host {host} asked to wait until {}", until.to_rfc3339())]
    HostBlocked { host: String, until: DateTime<Utc> },
    #[error("redirect problem: {0}")]
    Redirect(String),
    #[error("address refused: {0} (add it to [poll] allow_private to permit it)")]
    AddressBlocked(String),
    #[error("body larger than {0} bytes")]
    TooLarge(u64),
    #[error("TLS error: {0}")]
    Tls(String),
    #[error("network error: {0}")]
    Network(String),
    #[error("cannot read {path}: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl FetchError {
    pub fn class(&self) -> &'static str {
        match self {
            FetchError::Timeout(_) => "timeout",
            FetchError::Status(_) | FetchError::RetryAfter { .. } => "status",
            FetchError::HostBlocked { .. } => "deferred",
            FetchError::Redirect(_) => "redirect",
            FetchError::AddressBlocked(_) => "address-blocked",
            FetchError::TooLarge(_) => "size",
            FetchError::Tls(_) => "tls",
            FetchError::Network(_) | FetchError::File { .. } => "network",
        }
    }

    /// The HTTP status, when the server answered with one.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status(s) | FetchError::RetryAfter { status: s, .. } => Some(*s),
            _ => None,
        }
    }
}

/// Validators from the previous successful fetch.
#[derive(Debug, Clone, Default)]
pub struct Conditional {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A fetched document.
#[derive(Debug, Clone)]
pub struct Document {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Where the document was finally read from (after redirects): the base for relative URLs.
    pub final_url: Url,
    /// "200", or "file" for local sources.
    pub status: String,
    /// The target of the leading run of permanent redirects (301/308), if any: the feed's
    /// new address. A temporary redirect (302/307) ends the run.
    pub moved_to: Option<Url>,
    /// How long the server says the response stays fresh (`Cache-Control: max-age`, `Expires`).
    pub max_age: Option<Duration>,
}

#[derive(Debug, Clone)]
pub enum Fetched {
    /// The server answered 304 Not Modified.
    NotModified {
        moved_to: Option<Url>,
        max_age: Option<Duration>,
    },
    Document(Box<Document>),
}

/// An HTTP client configured for polite, bounded polling.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    policy: Arc<AddressPolicy>,
    hosts: Arc<HostLimiter>,
    retry_after_host: bool,
    max_body: u64,
    max_redirects: usize,
    timeout: Duration,
}

/// Installs the process-wide TLS crypto provider (ring) once.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// What one request of a redirect chain gave.
enum Hop {
    Redirect(StatusCode, Url),
    NotModified(Option<Duration>),
    Document(Box<Document>),
}

impl Fetcher {
    pub fn new(poll: &PollConfig) -> Result<Fetcher, FetchError> {
        install_crypto_provider();
        let policy = Arc::new(AddressPolicy::new(poll.allow_private.clone()));
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(poll.connect_timeout)
            .timeout(poll.timeout)
            .no_proxy()
            .dns_resolver(FilteringResolver {
                policy: policy.clone(),
            })
            .build()
            .map_err(|e| FetchError::Network(e.to_string()))?;
        Ok(Fetcher {
            client,
            policy,
            hosts: Arc::new(HostLimiter::new(
                poll.concurrency,
                poll.per_host,
                poll.host_gap,
            )),
            retry_after_host: poll.retry_after_host,
            max_body: poll.max_body,
            max_redirects: poll.max_redirects,
            timeout: poll.timeout,
        })
    }

    /// The per-host politeness state shared by every clone of this fetcher.
    pub fn hosts(&self) -> &HostLimiter {
        &self.hosts
    }

    /// Fetches `source`, sending `cond` as conditional headers. Bounded by the total timeout,
    /// which starts once the first request may be sent (waiting for a polite slot on a busy
    /// host does not count).
    pub async fn fetch(
        &self,
        source: &FeedSource,
        cond: &Conditional,
    ) -> Result<Fetched, FetchError> {
        match source {
            FeedSource::Http(url) => self.fetch_http(url, cond).await,
            FeedSource::File(path) => self.fetch_file(path).await,
        }
    }

    async fn fetch_file(&self, path: &std::path::Path) -> Result<Fetched, FetchError> {
        let err = |source| FetchError::File {
            path: path.display().to_string(),
            source,
        };
        let meta = tokio::fs::metadata(path).await.map_err(err)?;
        if meta.len() > self.max_body {
            return Err(FetchError::TooLarge(self.max_body));
        }
        let bytes = tokio::fs::read(path).await.map_err(err)?;
        if bytes.len() as u64 > self.max_body {
            return Err(FetchError::TooLarge(self.max_body));
        }
        let final_url = Url::from_file_path(path)
            .or_else(|_| Url::parse("file:///"))
            .map_err(|_| FetchError::Network("bad file path".into()))?;
        Ok(Fetched::Document(Box::new(Document {
            bytes,
            content_type: None,
            etag: None,
            last_modified: None,
            final_url,
            status: "file".into(),
            moved_to: None,
            max_age: None,
        })))
    }

    /// Refuses `url` unless every address it resolves to is permitted.
    async fn check_address(&self, url: &Url) -> Result<(), FetchError> {
        let host = url
            .host_str()
            .ok_or_else(|| FetchError::Redirect(format!("{url} has no host")))?;
        let port = url.port_or_known_default().unwrap_or(80);
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<_> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| FetchError::Network(format!("cannot resolve {host}: {e}")))?
            .collect();
        if addrs.is_empty() {
            return Err(FetchError::Network(format!("{host} has no address")));
        }
        if let Some(bad) = addrs
            .iter()
            .find(|a| !self.policy.permits(a.ip(), Some(port)))
        {
            return Err(FetchError::AddressBlocked(format!(
                "{host} resolves to {}",
                bad.ip()
            )));
        }
        Ok(())
    }

    async fn fetch_http(&self, start: &Url, cond: &Conditional) -> Result<Fetched, FetchError> {
        let mut url = start.clone();
        let mut seen = HashSet::new();
        let mut deadline: Option<Instant> = None;
        // Permanent redirects count only while no temporary one came before them.
        let mut permanent_run = true;
        let mut moved_to: Option<Url> = None;
        let timed_out = |_| FetchError::Timeout(self.timeout);
        for _hop in 0..=self.max_redirects {
            if !seen.insert(url.to_string()) {
                return Err(FetchError::Redirect(format!("redirect loop at {url}")));
            }
            let host = url
                .host_str()
                .ok_or_else(|| FetchError::Redirect(format!("{url} has no host")))?
                .to_string();
            let slot = match deadline {
                None => self.hosts.acquire(&host).await,
                Some(d) => timeout_at(d, self.hosts.acquire(&host))
                    .await
                    .map_err(timed_out)?,
            }
            .map_err(|Blocked(until)| FetchError::HostBlocked {
                host: host.clone(),
                until,
            })?;
            let d = *deadline.get_or_insert_with(|| Instant::now() + self.timeout);
            let hop = timeout_at(d, self.hop(&url, &host, cond))
                .await
                .map_err(timed_out)?;
            drop(slot);
            match hop {
                Err(FetchError::Timeout(_)) => return Err(FetchError::Timeout(self.timeout)),
                Err(e) => return Err(e),
                Ok(Hop::Redirect(status, next)) => {
                    if permanent_run
                        && matches!(
                            status,
                            StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
                        )
                    {
                        moved_to = Some(next.clone());
                    } else {
                        permanent_run = false;
                    }
                    url = next;
                }
                Ok(Hop::NotModified(max_age)) => {
                    return Ok(Fetched::NotModified { moved_to, max_age });
                }
                Ok(Hop::Document(mut doc)) => {
                    doc.moved_to = moved_to;
                    return Ok(Fetched::Document(doc));
                }
            }
        }
        Err(FetchError::Redirect(format!(
            "more than {} redirects",
            self.max_redirects
        )))
    }

    /// One request: checks the address, sends, and reads the answer.
    async fn hop(&self, url: &Url, host: &str, cond: &Conditional) -> Result<Hop, FetchError> {
        self.check_address(url).await?;
        let mut req = self.client.get(url.clone()).header(header::ACCEPT, ACCEPT);
        if let Some(etag) = &cond.etag {
            req = req.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &cond.last_modified {
            req = req.header(header::IF_MODIFIED_SINCE, lm);
        }
        let resp = req.send().await.map_err(classify_reqwest)?;
        let status = resp.status();
        let now = SystemTime::now();
        if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
            let location = resp
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| FetchError::Redirect(format!("{status} without Location")))?;
            let next = url
                .join(location.trim())
                .map_err(|e| FetchError::Redirect(format!("bad Location `{location}`: {e}")))?;
            if !matches!(next.scheme(), "http" | "https") {
                return Err(FetchError::Redirect(format!(
                    "refusing redirect to the {} scheme ({next})",
                    next.scheme()
                )));
            }
            return Ok(Hop::Redirect(status, next));
        }
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Hop::NotModified(cache_lifetime(resp.headers(), now)));
        }
        if matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        ) && let Some(wait) = resp
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, now))
            .filter(|w| !w.is_zero())
        {
            let wait = wait.min(MAX_RETRY_AFTER);
            let until = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
            if self.retry_after_host {
                self.hosts.block(host, wait, until);
            }
            return Err(FetchError::RetryAfter {
                status: status.as_u16(),
                until,
                host_wide: self.retry_after_host,
            });
        }
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        let headers = resp.headers().clone();
        let bytes = self.read_capped(resp).await?;
        Ok(Hop::Document(Box::new(Document {
            bytes,
            content_type: header_string(&headers, header::CONTENT_TYPE),
            etag: header_string(&headers, header::ETAG),
            last_modified: header_string(&headers, header::LAST_MODIFIED),
            final_url: url.clone(),
            status: status.as_u16().to_string(),
            moved_to: None,
            max_age: cache_lifetime(&headers, now),
        })))
    }

    /// Reads the (already decompressed) body, failing as soon as it exceeds the cap.
    async fn read_capped(&self, resp: reqwest::Response) -> Result<Vec<u8>, FetchError> {
        if resp.content_length().is_some_and(|n| n > self.max_body) {
            return Err(FetchError::TooLarge(self.max_body));
        }
        let mut body = Vec::new();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(classify_reqwest)?;
            if (body.len() + chunk.len()) as u64 > self.max_body {
                return Err(FetchError::TooLarge(self.max_body));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// Reads a `Retry-After` value: delay-seconds or an HTTP date. Garbage gives `None`; a date in
/// the past gives zero; an absurd number saturates (callers clamp).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(v.parse::<u64>().unwrap_or(u64::MAX)));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// How long a response says it stays fresh: `Cache-Control: max-age` (ignored with
/// `no-cache`/`no-store`), else `Expires` relative to `Date` (or now).
pub fn cache_lifetime(headers: &HeaderMap<HeaderValue>, now: SystemTime) -> Option<Duration> {
    let cc: Vec<String> = headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|d| d.trim().to_ascii_lowercase())
        .collect();
    if cc.iter().any(|d| d == "no-cache" || d == "no-store") {
        return None;
    }
    if let Some(secs) = cc.iter().find_map(|d| {
        d.strip_prefix("max-age=")
            .and_then(|v| v.trim_matches('"').parse::<u64>().ok())
    }) {
        return Some(Duration::from_secs(secs));
    }
    let date = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v.trim()).ok())
    };
    let expires = date(header::EXPIRES)?;
    let reference = date(header::DATE).unwrap_or(now);
    expires.duration_since(reference).ok()
}

fn header_string(h: &HeaderMap<HeaderValue>, name: header::HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn classify_reqwest(e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        return FetchError::Timeout(Duration::ZERO);
    }
    // Walk the source chain: TLS and policy failures are buried under "connect error".
    let mut text = e.to_string();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(&e);
    while let Some(s) = src {
        text.push_str(": ");
        text.push_str(&s.to_string());
        src = s.source();
    }
    if text.contains("address policy") {
        FetchError::AddressBlocked(text)
    } else if text.contains("certificate") || text.contains("tls") || text.contains("TLS") {
        FetchError::Tls(text)
    } else {
        FetchError::Network(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:51:37 GMT", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("1.5", now), None);
        assert_eq!(parse_retry_after("", now), None);
        // Absurdly large values saturate; the fetcher clamps them to MAX_RETRY_AFTER.
        assert!(parse_retry_after("99999999999999999999999", now).unwrap() > MAX_RETRY_AFTER);
    }

    #[test]
    fn cache_lifetime_from_headers() {
        let now = SystemTime::now();
        let mut h = HeaderMap::new();
        h.insert(
            header::CACHE_CONTROL,
            "public, max-age=600".parse().unwrap(),
        );
        assert_eq!(cache_lifetime(&h, now), Some(Duration::from_secs(600)));
        h.insert(
            header::CACHE_CONTROL,
            "no-cache, max-age=600".parse().unwrap(),
        );
        assert_eq!(cache_lifetime(&h, now), None);
        let mut h = HeaderMap::new();
        h.insert(
            header::DATE,
            "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap(),
        );
        h.insert(
            header::EXPIRES,
            "Sun, 06 Nov 1994 09:49:37 GMT".parse().unwrap(),
        );
        assert_eq!(cache_lifetime(&h, now), Some(Duration::from_secs(3600)));
        h.insert(header::EXPIRES, "0".parse().unwrap());
        assert_eq!(cache_lifetime(&h, now), None);
    }
}
