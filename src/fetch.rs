//! Retrieval of a feed's bytes: HTTP(S) with conditional GET, redirects checked hop by hop,
//! a total deadline and a body cap counted after decompression; local files too.
//!
//! It hands back bytes and response metadata; it never parses them.

pub mod address;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};
use url::Url;

use crate::config::{FeedSource, PollConfig};
use address::{AddressPolicy, FilteringResolver};

pub const USER_AGENT: &str = concat!(
    "bantin/",
    env!("CARGO_PKG_VERSION"),
    " (news aggregator; +https://github.com/bantin/bantin)"
);

const ACCEPT: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
    application/rdf+xml;q=0.9, application/json;q=0.8, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1";

/// Why a fetch failed. `class()` gives the short cause shown by `bantin feeds`.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("HTTP status {0}")]
    Status(u16),
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
            FetchError::Status(_) => "status",
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
            FetchError::Status(s) => Some(*s),
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
}

#[derive(Debug, Clone)]
pub enum Fetched {
    /// The server answered 304 Not Modified.
    NotModified,
    Document(Box<Document>),
}

/// An HTTP client configured for polite, bounded polling.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    policy: Arc<AddressPolicy>,
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
            max_body: poll.max_body,
            max_redirects: poll.max_redirects,
            timeout: poll.timeout,
        })
    }

    /// Fetches `source`, sending `cond` as conditional headers. Bounded by the total timeout.
    pub async fn fetch(
        &self,
        source: &FeedSource,
        cond: &Conditional,
    ) -> Result<Fetched, FetchError> {
        match source {
            FeedSource::Http(url) => {
                match tokio::time::timeout(self.timeout, self.fetch_http(url, cond)).await {
                    Ok(Err(FetchError::Timeout(_))) | Err(_) => {
                        Err(FetchError::Timeout(self.timeout))
                    }
                    Ok(r) => r,
                }
            }
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
        for _hop in 0..=self.max_redirects {
            if !seen.insert(url.to_string()) {
                return Err(FetchError::Redirect(format!("redirect loop at {url}")));
            }
            self.check_address(&url).await?;
            let mut req = self.client.get(url.clone()).header(header::ACCEPT, ACCEPT);
            if let Some(etag) = &cond.etag {
                req = req.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &cond.last_modified {
                req = req.header(header::IF_MODIFIED_SINCE, lm);
            }
            let resp = req.send().await.map_err(classify_reqwest)?;
            let status = resp.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let location = resp
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| FetchError::Redirect(format!("{status} without Location")))?;
                let next = url
                    .join(location)
                    .map_err(|e| FetchError::Redirect(format!("bad Location `{location}`: {e}")))?;
                if !matches!(next.scheme(), "http" | "https") {
                    return Err(FetchError::Redirect(format!(
                        "refusing redirect to the {} scheme ({next})",
                        next.scheme()
                    )));
                }
                url = next;
                continue;
            }
            if status == StatusCode::NOT_MODIFIED {
                return Ok(Fetched::NotModified);
            }
            if !status.is_success() {
                return Err(FetchError::Status(status.as_u16()));
            }
            let headers = resp.headers().clone();
            let bytes = self.read_capped(resp).await?;
            return Ok(Fetched::Document(Box::new(Document {
                bytes,
                content_type: header_string(&headers, header::CONTENT_TYPE),
                etag: header_string(&headers, header::ETAG),
                last_modified: header_string(&headers, header::LAST_MODIFIED),
                final_url: url,
                status: status.as_u16().to_string(),
            })));
        }
        Err(FetchError::Redirect(format!(
            "more than {} redirects",
            self.max_redirects
        )))
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
