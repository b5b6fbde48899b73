//! `feeds.toml`: the schema, its defaults, and validation with `PATH:LINE:COL` errors.
//!
//! The file is parsed with `toml_edit` (which keeps byte spans) and walked by hand rather than
//! deserialized with serde, so that `bantin check` can report *every* problem at once, each
//! with the line and column of the offending key or value. The only I/O here is reading the file.

mod walk;

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use ipnet::IpNet;
use url::Url;

use walk::{Node, Problems};

/// One problem in the config file, located at a line and column (both 1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// Everything wrong with a config file. Displays as one `PATH:LINE:COL: message` per line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", format_problems(path, problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<ConfigProblem>,
    },
}

fn format_problems(path: &Path, problems: &[ConfigProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("{}:{}:{}: {}", path.display(), p.line, p.col, p.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The whole validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file this was read from; relative paths in it are relative to its folder.
    pub source_path: PathBuf,
    pub server: ServerConfig,
    pub storage: StorageConfig,
    pub poll: PollConfig,
    pub classify: ClassifyConfig,
    pub publish: PublishConfig,
    pub categories: Vec<CategoryConfig>,
    pub feeds: Vec<FeedConfig>,
    pub outputs: Vec<OutputConfig>,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Absolute base for self links, always ending without a slash.
    pub base_url: Url,
    /// `Cache-Control: max-age` sent with outputs.
    pub cache_max_age: Duration,
    /// A client must send a request's headers within this time or be disconnected.
    pub header_timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// The SQLite database file, already resolved against the config file's folder.
    pub path: PathBuf,
    /// Items first seen longer ago are pruned (0 keeps everything).
    pub retain_days: u32,
    /// Pruning never takes a feed below its newest this-many items.
    pub keep_per_feed: usize,
}

#[derive(Debug, Clone)]
pub struct PollConfig {
    pub interval: Duration,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub concurrency: usize,
    pub per_host: usize,
    /// Minimum time between two requests to one host (jittered ±20 %).
    pub host_gap: Duration,
    /// Poll feeds without their own `interval`/`schedule` at their observed publishing rate.
    pub adaptive: bool,
    /// A `Retry-After` (429/503) holds back every feed on the same host, not just that URL.
    pub retry_after_host: bool,
    pub max_body: u64,
    pub max_redirects: usize,
    pub allow_private: Vec<AllowRule>,
}

/// An address that may be fetched although it is private, loopback or link-local.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowRule {
    Ip(IpAddr),
    Socket(SocketAddr),
    Net(IpNet),
}

impl AllowRule {
    /// Whether this rule admits `ip`, on `port` when known (`None` means "any port").
    pub fn admits(&self, ip: IpAddr, port: Option<u16>) -> bool {
        match self {
            AllowRule::Ip(a) => *a == ip,
            AllowRule::Net(n) => n.contains(&ip),
            AllowRule::Socket(s) => s.ip() == ip && port.is_none_or(|p| p == s.port()),
        }
    }
}

impl FromStr for AllowRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(AllowRule::Ip(ip));
        }
        if let Ok(sock) = s.parse::<SocketAddr>() {
            return Ok(AllowRule::Socket(sock));
        }
        if let Ok(net) = s.parse::<IpNet>() {
            return Ok(AllowRule::Net(net));
        }
        Err(format!(
            "`{s}` is not an IP address, IP:PORT or CIDR block (e.g. \"127.0.0.1\", \"127.0.0.1:8081\", \"10.0.0.0/8\")"
        ))
    }
}

/// How outputs are published beyond bantin's own endpoint.
#[derive(Debug, Clone)]
pub struct PublishConfig {
    /// WebSub hubs announced in every output and pinged when an output changes.
    pub hubs: Vec<Url>,
    /// RFC 5005 paging: how many pages of `limit` items a reader can go back.
    pub max_pages: u32,
}

#[derive(Debug, Clone)]
pub struct ClassifyConfig {
    /// Languages the portal publishes (lower-case primary subtags); one automatic output each.
    pub languages: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct CategoryConfig {
    pub id: String,
    /// Display name per language.
    pub name: BTreeMap<String, String>,
    /// Source `<category>` labels that map onto this category.
    pub labels: Vec<String>,
    /// Keywords per language matched on title + summary.
    pub keywords: BTreeMap<String, Vec<String>>,
}

impl CategoryConfig {
    /// The category's name in `lang`, else English, else its id.
    pub fn display_name(&self, lang: &str) -> &str {
        self.name
            .get(lang)
            .or_else(|| self.name.get("en"))
            .map(String::as_str)
            .unwrap_or(&self.id)
    }
}

/// Where a feed is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedSource {
    Http(Url),
    /// A local file (`file://` URL or a plain path, resolved against the config's folder).
    File(PathBuf),
}

impl fmt::Display for FeedSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeedSource::Http(u) => write!(f, "{u}"),
            FeedSource::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// When a feed is polled.
#[derive(Debug, Clone)]
pub enum Cadence {
    Every(Duration),
    /// A cron schedule; `expression` is the text as written, for display.
    Cron {
        expression: String,
        schedule: Box<cron::Schedule>,
    },
}

#[derive(Debug, Clone)]
pub struct FeedConfig {
    pub name: String,
    pub source: FeedSource,
    pub lang: Option<String>,
    pub categories: Vec<String>,
    pub cadence: Cadence,
    pub priority: i64,
    pub enabled: bool,
}

#[derive(Debug, Clone)]
pub struct OutputConfig {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub lang: Option<String>,
    pub categories: Vec<String>,
    pub limit: usize,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub min_sources: usize,
}

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 1000;

impl Config {
    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Validates `text` as if read from `path` (used for locating relative paths and in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let mut problems = Problems::new(text);
        // toml_edit's error recovery panics on some invalid documents ("all items have
        // spans", e.g. `==\n.=`; found by fuzzing, still in toml_edit 0.25). Such a file is
        // invalid either way: report it instead of taking `check` or the reload task down.
        let parsed = std::panic::catch_unwind(|| toml_edit::Document::parse(text));
        let config = match parsed {
            Ok(Ok(doc)) => build(&Node::root(doc.as_table()), path, &mut problems),
            Ok(Err(e)) => {
                problems.at(e.span().map(|s| s.start), e.message().trim().to_string());
                None
            }
            Err(_) => {
                problems.at(None, "not valid TOML (the parser gave up)".to_string());
                None
            }
        };
        match (config, problems.into_vec()) {
            (Some(config), problems) if problems.is_empty() => Ok(config),
            (_, problems) => Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                problems,
            }),
        }
    }

    pub fn feed(&self, name: &str) -> Option<&FeedConfig> {
        self.feeds.iter().find(|f| f.name == name)
    }

    pub fn category(&self, id: &str) -> Option<&CategoryConfig> {
        self.categories.iter().find(|c| c.id == id)
    }
}

/// Parses `"30s"`, `"15m"`, `"2h"`, `"1d"` and sums such as `"1h30m"`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "`{s}` is not a duration: use a number and a unit, like \"30s\", \"15m\", \"2h\" or \"1d\""
        )
    };
    let s = s.trim();
    if s.is_empty() {
        return Err(bad());
    }
    let mut total = 0u64;
    let mut digits = String::new();
    let mut saw_unit = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: u64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => return Err(bad()),
        };
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        saw_unit = true;
    }
    if !digits.is_empty() || !saw_unit {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// Parses sizes such as `"16MiB"`, `"512KiB"`, `"1GiB"`, `"1000000"` (bytes).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a size: use e.g. \"16MiB\", \"512KiB\""))?;
    let mul = match unit.trim() {
        "" | "B" => 1,
        "KiB" | "KB" | "K" => 1 << 10,
        "MiB" | "MB" | "M" => 1 << 20,
        "GiB" | "GB" | "G" => 1 << 30,
        other => {
            return Err(format!(
                "unknown size unit `{other}`: use B, KiB, MiB or GiB"
            ));
        }
    };
    n.checked_mul(mul)
        .ok_or_else(|| format!("`{s}` is too large"))
}

/// Parses a cron expression, accepting standard 5-field crontab lines (minute first) as well
/// as the `cron` crate's 6/7-field form (seconds first).
pub fn parse_cron(expr: &str) -> Result<cron::Schedule, String> {
    let fields = expr.split_whitespace().count();
    let normalized = match fields {
        5 => format!("0 {expr}"),
        6 | 7 => expr.to_string(),
        _ => {
            return Err(format!(
                "`{expr}` has {fields} fields; a cron schedule has 5 (crontab: min hour day month weekday) or 6/7 (with seconds first)"
            ));
        }
    };
    cron::Schedule::from_str(&normalized)
        .map_err(|e| format!("invalid cron schedule `{expr}`: {e}"))
}

/// Normalizes a language tag to its lower-case primary subtag (`en-US` → `en`, `in` → `id`).
pub fn normalize_lang(tag: &str) -> Option<String> {
    let primary = tag
        .trim()
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if !(2..=3).contains(&primary.len()) || !primary.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    // Deprecated ISO 639 codes that feeds still send.
    let primary = match primary.as_str() {
        "in" => "id".to_string(),
        "iw" => "he".to_string(),
        "ji" => "yi".to_string(),
        "vie" => "vi".to_string(),
        "eng" => "en".to_string(),
        "ind" => "id".to_string(),
        _ => primary,
    };
    Some(primary)
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

const TOP_KEYS: &[&str] = &[
    "server", "storage", "poll", "classify", "publish", "category", "feed", "output",
];

fn build(root: &Node, path: &Path, p: &mut Problems) -> Option<Config> {
    root.reject_unknown(TOP_KEYS, p);
    let base_dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let base_dir = if base_dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        base_dir
    };

    let server = build_server(&root.table("server", p), p);
    let storage = build_storage(&root.table("storage", p), &base_dir, p);
    let poll = build_poll(&root.table("poll", p), p);
    let categories = build_categories(root, p);
    let category_ids: HashSet<String> = categories.iter().map(|c| c.id.clone()).collect();
    let feeds = build_feeds(root, &base_dir, &category_ids, p);
    let classify = build_classify(&root.table("classify", p), &feeds, p);
    let publish = build_publish(&root.table("publish", p), p);
    let outputs = build_outputs(root, &category_ids, &classify.languages, p);

    Some(Config {
        source_path: path.to_path_buf(),
        server: server?,
        storage,
        poll,
        classify,
        publish,
        categories,
        feeds,
        outputs,
    })
}

fn build_publish(t: &Node, p: &mut Problems) -> PublishConfig {
    t.reject_unknown(&["hubs", "max_pages"], p);
    let mut hubs = Vec::new();
    for (s, at) in t.string_list("hubs", p) {
        match Url::parse(&s) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => hubs.push(u),
            _ => p.at(
                at,
                format!("publish.hubs: `{s}` is not an absolute http(s) URL"),
            ),
        }
    }
    PublishConfig {
        hubs,
        max_pages: t.count("max_pages", 1, 100, p).unwrap_or(20) as u32,
    }
}

fn build_server(t: &Node, p: &mut Problems) -> Option<ServerConfig> {
    t.reject_unknown(
        &["listen", "base_url", "cache_max_age", "header_timeout"],
        p,
    );
    let listen = match t.string("listen", p) {
        Some((s, at)) => match s.parse::<SocketAddr>() {
            Ok(a) => a,
            Err(_) => {
                p.at(
                    at,
                    format!("server.listen: `{s}` is not an address like \"127.0.0.1:8080\""),
                );
                return None;
            }
        },
        None => SocketAddr::from(([127, 0, 0, 1], 8080)),
    };
    let base_url = match t.string("base_url", p) {
        Some((s, at)) => match Url::parse(s.trim_end_matches('/')) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => u,
            _ => {
                p.at(
                    at,
                    format!("server.base_url: `{s}` is not an absolute http(s) URL"),
                );
                return None;
            }
        },
        None => Url::parse(&format!("http://{listen}")).ok()?,
    };
    let cache_max_age = t
        .duration("cache_max_age", p)
        .unwrap_or(Duration::from_secs(300));
    let header_timeout = t
        .duration_min("header_timeout", 1, p)
        .unwrap_or(Duration::from_secs(10));
    Some(ServerConfig {
        listen,
        base_url,
        cache_max_age,
        header_timeout,
    })
}

fn build_storage(t: &Node, base_dir: &Path, p: &mut Problems) -> StorageConfig {
    t.reject_unknown(&["path", "retain_days", "keep_per_feed"], p);
    let rel = t
        .string("path", p)
        .map(|(s, _)| PathBuf::from(s))
        .unwrap_or_else(|| PathBuf::from("data/bantin.db"));
    let path = if rel.is_absolute() {
        rel
    } else {
        base_dir.join(rel)
    };
    StorageConfig {
        path,
        retain_days: t.count("retain_days", 0, 36_500, p).unwrap_or(180) as u32,
        keep_per_feed: t.count("keep_per_feed", 0, 100_000, p).unwrap_or(100),
    }
}

fn build_poll(t: &Node, p: &mut Problems) -> PollConfig {
    t.reject_unknown(
        &[
            "interval",
            "timeout",
            "connect_timeout",
            "concurrency",
            "per_host",
            "host_gap",
            "adaptive",
            "retry_after_host",
            "max_body",
            "max_redirects",
            "allow_private",
        ],
        p,
    );
    let mut allow_private = Vec::new();
    for (s, at) in t.string_list("allow_private", p) {
        match s.parse::<AllowRule>() {
            Ok(r) => allow_private.push(r),
            Err(e) => p.at(at, format!("poll.allow_private: {e}")),
        }
    }
    PollConfig {
        interval: t
            .duration_min("interval", 30, p)
            .unwrap_or(Duration::from_secs(15 * 60)),
        timeout: t
            .duration_min("timeout", 1, p)
            .unwrap_or(Duration::from_secs(30)),
        connect_timeout: t
            .duration_min("connect_timeout", 1, p)
            .unwrap_or(Duration::from_secs(10)),
        concurrency: t.count("concurrency", 1, 256, p).unwrap_or(8),
        per_host: t.count("per_host", 1, 16, p).unwrap_or(1),
        host_gap: t.duration("host_gap", p).unwrap_or(Duration::from_secs(1)),
        adaptive: t.boolean("adaptive", p).unwrap_or(true),
        retry_after_host: t.boolean("retry_after_host", p).unwrap_or(true),
        max_body: t.size("max_body", p).unwrap_or(16 << 20),
        max_redirects: t.count("max_redirects", 0, 10, p).unwrap_or(5),
        allow_private,
    }
}

fn build_classify(t: &Node, feeds: &[FeedConfig], p: &mut Problems) -> ClassifyConfig {
    t.reject_unknown(&["languages"], p);
    let listed = t.string_list("languages", p);
    let mut languages: Vec<String> = Vec::new();
    if listed.is_empty() && !t.has("languages") {
        for f in feeds {
            if let Some(l) = &f.lang
                && !languages.contains(l)
            {
                languages.push(l.clone());
            }
        }
    }
    for (s, at) in listed {
        match normalize_lang(&s) {
            Some(l) if l == s => {
                if !languages.contains(&l) {
                    languages.push(l)
                }
            }
            Some(l) => p.at(at, format!("classify.languages: write `{s}` as `{l}`")),
            None => p.at(
                at,
                format!("classify.languages: `{s}` is not a language code like \"vi\""),
            ),
        }
    }
    ClassifyConfig { languages }
}

fn build_categories(root: &Node, p: &mut Problems) -> Vec<CategoryConfig> {
    let mut out: Vec<CategoryConfig> = Vec::new();
    for t in root.array_of_tables("category", p) {
        t.reject_unknown(&["id", "name", "labels", "keywords"], p);
        let Some((id, id_at)) = t.required_string("id", "[[category]]", p) else {
            continue;
        };
        if !is_slug(&id) {
            p.at(
                id_at,
                format!("category id `{id}` must be lower-case letters, digits and `-`"),
            );
        }
        if out.iter().any(|c| c.id == id) {
            p.at(id_at, format!("duplicate category id `{id}`"));
        }
        let name = t.string_map("name", p);
        let labels = t
            .string_list("labels", p)
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        let keywords = t.string_list_map("keywords", p);
        out.push(CategoryConfig {
            id,
            name,
            labels,
            keywords,
        });
    }
    out
}

fn build_feeds(
    root: &Node,
    base_dir: &Path,
    category_ids: &HashSet<String>,
    p: &mut Problems,
) -> Vec<FeedConfig> {
    let mut out: Vec<FeedConfig> = Vec::new();
    for t in root.array_of_tables("feed", p) {
        t.reject_unknown(
            &[
                "name",
                "url",
                "lang",
                "categories",
                "interval",
                "schedule",
                "priority",
                "enabled",
            ],
            p,
        );
        let name = t.required_string("name", "[[feed]]", p);
        let url = t.required_string("url", "[[feed]]", p);
        if let Some((n, at)) = &name {
            if n.trim().is_empty() {
                p.at(*at, "feed name must not be empty".to_string());
            } else if out.iter().any(|f| &f.name == n) {
                p.at(*at, format!("duplicate feed name `{n}`"));
            }
        }
        let source = url.and_then(|(u, at)| match parse_source(&u, base_dir) {
            Ok(s) => Some(s),
            Err(e) => {
                p.at(at, e);
                None
            }
        });
        let lang = t.lang("lang", p);
        let categories = t.category_list("categories", category_ids, p);
        let interval = t.duration_min("interval", 30, p);
        let schedule = t
            .string("schedule", p)
            .and_then(|(s, at)| match parse_cron(&s) {
                Ok(sched) => Some((s, sched)),
                Err(e) => {
                    p.at(at, e);
                    None
                }
            });
        let cadence = match (interval, schedule) {
            (Some(_), Some(_)) => {
                p.at(
                    t.key_at("schedule"),
                    "a feed takes `interval` or `schedule`, not both".into(),
                );
                continue;
            }
            (Some(d), None) => Some(Cadence::Every(d)),
            (None, Some((expression, s))) => Some(Cadence::Cron {
                expression,
                schedule: Box::new(s),
            }),
            (None, None) => None,
        };
        let priority = t.integer("priority", p).unwrap_or(0);
        let enabled = t.boolean("enabled", p).unwrap_or(true);
        if let (Some((name, _)), Some(source)) = (name, source) {
            out.push(FeedConfig {
                name,
                source,
                lang,
                categories,
                // Filled with the [poll] default once that is known; see `resolve_cadence`.
                cadence: cadence.unwrap_or(Cadence::Every(Duration::ZERO)),
                priority,
                enabled,
            });
        }
    }
    out
}

impl FeedConfig {
    /// Whether the feed sets its own `interval` or `schedule` (else `[poll]`'s default, which
    /// adaptive mode may replace).
    pub fn has_own_cadence(&self) -> bool {
        !matches!(&self.cadence, Cadence::Every(d) if d.is_zero())
    }

    /// The feed's cadence, with `Every(0)` meaning "the [poll] default".
    pub fn cadence_or(&self, default: Duration) -> Cadence {
        match &self.cadence {
            Cadence::Every(d) if d.is_zero() => Cadence::Every(default),
            c => c.clone(),
        }
    }
}

fn parse_source(u: &str, base_dir: &Path) -> Result<FeedSource, String> {
    let u = u.trim();
    if u.is_empty() {
        return Err("feed url must not be empty".into());
    }
    match Url::parse(u) {
        Ok(url) => match url.scheme() {
            "http" | "https" if url.host().is_some() => Ok(FeedSource::Http(url)),
            "file" => url
                .to_file_path()
                .map(FeedSource::File)
                .map_err(|_| format!("`{u}` is not a usable file URL")),
            s if s.len() == 1 => Ok(FeedSource::File(PathBuf::from(u))), // a Windows drive letter
            s => Err(format!(
                "unsupported URL scheme `{s}` in `{u}`: use http, https, file or a path"
            )),
        },
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            let path = PathBuf::from(u);
            Ok(FeedSource::File(if path.is_absolute() {
                path
            } else {
                base_dir.join(path)
            }))
        }
        Err(e) => Err(format!("`{u}` is not a valid URL: {e}")),
    }
}

fn build_outputs(
    root: &Node,
    category_ids: &HashSet<String>,
    languages: &[String],
    p: &mut Problems,
) -> Vec<OutputConfig> {
    let mut out: Vec<OutputConfig> = Vec::new();
    for t in root.array_of_tables("output", p) {
        t.reject_unknown(
            &[
                "id",
                "title",
                "description",
                "lang",
                "categories",
                "limit",
                "include",
                "exclude",
                "min_sources",
            ],
            p,
        );
        let id = t.required_string("id", "[[output]]", p);
        let title = t.required_string("title", "[[output]]", p);
        if let Some((id, at)) = &id {
            if !is_slug(id) {
                p.at(*at, format!("output id `{id}` must be lower-case letters, digits and `-` (it becomes /feeds/{{id}}.rss)"));
            } else if languages.contains(id) {
                p.at(
                    *at,
                    format!(
                        "output id `{id}` collides with the automatic output for language `{id}`"
                    ),
                );
            } else if out.iter().any(|o| &o.id == id) {
                p.at(*at, format!("duplicate output id `{id}`"));
            }
        }
        let description = t.string("description", p).map(|(s, _)| s);
        let lang = t.lang("lang", p);
        let categories = t.category_list("categories", category_ids, p);
        let limit = t.count("limit", 1, MAX_LIMIT, p).unwrap_or(DEFAULT_LIMIT);
        let include = t
            .string_list("include", p)
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        let exclude = t
            .string_list("exclude", p)
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        let min_sources = t.count("min_sources", 1, 100, p).unwrap_or(1);
        if let (Some((id, _)), Some((title, _))) = (id, title) {
            out.push(OutputConfig {
                id,
                title,
                description,
                lang,
                categories,
                limit,
                include,
                exclude,
                min_sources,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match Config::parse(text, Path::new("t.toml")) {
            Ok(_) => vec![],
            Err(ConfigError::Invalid { problems, .. }) => problems
                .into_iter()
                .map(|p| format!("{}:{}: {}", p.line, p.col, p.message))
                .collect(),
            Err(e) => vec![e.to_string()],
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert!(parse_duration("15").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("5 minutes").is_err());
        assert_eq!(parse_size("16MiB").unwrap(), 16 << 20);
    }

    #[test]
    fn cron_accepts_five_and_six_fields() {
        assert!(parse_cron("*/10 * * * *").is_ok());
        assert!(parse_cron("0 */10 * * * *").is_ok());
        assert!(parse_cron("* * *").is_err());
    }

    #[test]
    fn reports_every_problem_with_position() {
        let text = "[server]\nlisten = \"127.0.0.1:8080\"\ncolour = 1\n\n[poll]\ninterval = \"soon\"\n\n[[feed]]\nname = \"A\"\nurl = \"gopher://x\"\nschedule = \"* *\"\n";
        let got = problems(text);
        assert!(
            got.iter()
                .any(|l| l.starts_with("3:1: unknown key `colour`")),
            "{got:?}"
        );
        assert!(
            got.iter()
                .any(|l| l.starts_with("6:12:") && l.contains("not a duration")),
            "{got:?}"
        );
        assert!(
            got.iter()
                .any(|l| l.starts_with("10:7:") && l.contains("gopher")),
            "{got:?}"
        );
        assert!(
            got.iter()
                .any(|l| l.starts_with("11:12:") && l.contains("fields")),
            "{got:?}"
        );
    }

    #[test]
    fn unknown_category_and_lang_are_errors() {
        let text = "[[category]]\nid = \"sports\"\n[[feed]]\nname = \"A\"\nurl = \"http://a.example/rss\"\nlang = \"english\"\ncategories = [\"sport\"]\n";
        let got = problems(text);
        assert!(
            got.iter()
                .any(|l| l.starts_with("6:8:") && l.contains("not a language code")),
            "{got:?}"
        );
        assert!(
            got.iter()
                .any(|l| l.starts_with("7:15:") && l.contains("unknown category `sport`")),
            "{got:?}"
        );
    }

    #[test]
    fn defaults_and_relative_paths() {
        let c = Config::parse("", Path::new("/etc/bantin/feeds.toml")).unwrap();
        assert_eq!(c.storage.path, PathBuf::from("/etc/bantin/data/bantin.db"));
        assert_eq!(c.poll.interval, Duration::from_secs(900));
        assert_eq!(c.server.listen.port(), 8080);
    }

    #[test]
    fn polling_keys() {
        let c = Config::parse("", Path::new("t.toml")).unwrap();
        assert_eq!(c.poll.host_gap, Duration::from_secs(1));
        assert!(c.poll.adaptive && c.poll.retry_after_host);
        assert_eq!(c.poll.per_host, 1);
        let c = Config::parse(
            "[poll]\nhost_gap = \"0s\"\nadaptive = false\nretry_after_host = false\nper_host = 2\n",
            Path::new("t.toml"),
        )
        .unwrap();
        assert_eq!(c.poll.host_gap, Duration::ZERO);
        assert!(!c.poll.adaptive && !c.poll.retry_after_host);
        let got = problems("[poll]\nhost_gap = \"soon\"\nadaptive = \"yes\"\n");
        assert!(
            got.iter()
                .any(|l| l.starts_with("2:12:") && l.contains("not a duration")),
            "{got:?}"
        );
        assert!(
            got.iter()
                .any(|l| l.starts_with("3:12:") && l.contains("true or false")),
            "{got:?}"
        );
    }

    #[test]
    fn syntax_error_has_position() {
        let got = problems("[server]\nlisten = \n");
        assert_eq!(got.len(), 1);
        assert!(got[0].starts_with("2:"), "{got:?}");
    }

    #[test]
    fn allow_rules() {
        let r: AllowRule = "127.0.0.1:9000".parse().unwrap();
        assert!(r.admits("127.0.0.1".parse().unwrap(), Some(9000)));
        assert!(!r.admits("127.0.0.1".parse().unwrap(), Some(9001)));
        let n: AllowRule = "10.0.0.0/8".parse().unwrap();
        assert!(n.admits("10.2.3.4".parse().unwrap(), Some(1)));
        assert!("localhost".parse::<AllowRule>().is_err());
    }

    #[test]
    fn lang_normalization() {
        assert_eq!(normalize_lang("en-US").as_deref(), Some("en"));
        assert_eq!(normalize_lang("in").as_deref(), Some("id"));
        assert_eq!(normalize_lang("VI").as_deref(), Some("vi"));
        assert_eq!(normalize_lang("x"), None);
    }
}
