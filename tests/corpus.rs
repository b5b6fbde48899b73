//! The normalizer over real test suites in `../shared/corpus/`: gofeed's translator cases
//! (expected JSON) and feedparser's cases (`Expect:` expressions). Each check counts; the test
//! fails when the share of correct answers drops below a floor that is raised as bantin
//! improves. Sanitizing is held to zero tolerance: no script, handler or javascript: URL may
//! survive in any item of feedparser's sanitize suite; the safe text those cases expect is
//! counted too. feedparser's folders counted: wellformed (rss, atom, rdf, amp, base, lang),
//! entities, encoding, illformed (every file: read or refused with a document class) and
//! sanitize; gofeed's translator and universal (format detection) cases.

mod checks;

use std::path::{Path, PathBuf};

use bantin::normalize::normalize;
use bantin::normalize::text::plain_text;
use chrono::{Datelike, Timelike};

fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    p.exists().then_some(p)
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p, ext));
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn doc_url() -> url::Url {
    url::Url::parse("http://example.org/feed.xml").unwrap()
}

#[derive(Default, Debug)]
struct Tally {
    checks: usize,
    passed: usize,
    failures: Vec<String>,
}

impl Tally {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        self.checks += 1;
        if ok {
            self.passed += 1;
        } else if self.failures.len() < 15 {
            self.failures.push(what());
        }
    }

    fn ratio(&self) -> f64 {
        self.passed as f64 / self.checks.max(1) as f64
    }

    fn report(&self, name: &str) {
        println!(
            "{name}: {}/{} checks passed ({:.1} %)",
            self.passed,
            self.checks,
            100.0 * self.ratio()
        );
        for f in &self.failures {
            println!("  e.g. {f}");
        }
    }
}

fn rfc3339_utc(d: &chrono::DateTime<chrono::Utc>) -> String {
    d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[test]
fn gofeed_translator_cases() {
    let Some(root) = corpus() else {
        eprintln!("../shared/corpus not present; skipping");
        return;
    };
    let mut t = Tally::default();
    for kind in ["rss", "atom", "json"] {
        let dir = root.join("gofeed/testdata/translator").join(kind);
        let inputs = files(&dir, if kind == "json" { "json" } else { "xml" });
        for input in inputs {
            let name = input.file_name().unwrap().to_string_lossy().to_string();
            if name.ends_with("_expected.json") {
                continue;
            }
            let expected_path = if kind == "json" {
                input.with_file_name(name.replace(".json", "_expected.json"))
            } else {
                input.with_extension("json")
            };
            let Ok(expected) = std::fs::read_to_string(&expected_path) else {
                continue;
            };
            let expected: serde_json::Value = serde_json::from_str(&expected).unwrap();
            let bytes = std::fs::read(&input).unwrap();
            let parsed = normalize(&bytes, None, &doc_url());
            t.check(parsed.is_ok(), || {
                format!("{name}: {:?}", parsed.as_ref().err())
            });
            let Ok(parsed) = parsed else { continue };
            if let Some(title) = expected["title"].as_str().filter(|s| !s.contains('<')) {
                t.check(
                    parsed.meta.title.as_deref() == Some(&plain_text(title)),
                    || format!("{name}: feed title {:?} != {title:?}", parsed.meta.title),
                );
            }
            let Some(items) = expected["items"].as_array() else {
                continue;
            };
            t.check(parsed.items.len() == items.len(), || {
                format!("{name}: {} items != {}", parsed.items.len(), items.len())
            });
            for (want, got) in items.iter().zip(&parsed.items) {
                if let Some(title) = want["title"]
                    .as_str()
                    .filter(|s| !s.contains('<') && !s.trim().is_empty())
                {
                    t.check(got.title == plain_text(title), || {
                        format!("{name}: title {:?} != {title:?}", got.title)
                    });
                }
                if let Some(link) = want["link"].as_str().filter(|l| l.starts_with("http")) {
                    let want_link = url::Url::parse(link)
                        .map(|u| u.to_string())
                        .unwrap_or_default();
                    t.check(got.link.as_deref() == Some(want_link.as_str()), || {
                        format!("{name}: link {:?} != {link:?}", got.link)
                    });
                }
                if let Some(guid) = want["guid"].as_str() {
                    t.check(got.guid.as_deref() == Some(guid.trim()), || {
                        format!("{name}: guid {:?} != {guid:?}", got.guid)
                    });
                }
                if let Some(p) = want["publishedParsed"].as_str() {
                    let ok = got.published.map(|d| rfc3339_utc(&d)) == Some(p.to_string());
                    t.check(ok, || {
                        format!("{name}: published {:?} != {p}", got.published)
                    });
                }
            }
        }
    }
    t.report("gofeed translator");
    // Floor: raise it when the normalizer improves (measured 2026-11-28: 226/234 = 96.6 %,
    // up from 212/221 with JSON Feed version and type coercion).
    assert!(t.checks > 230, "too few checks ran: {}", t.checks);
    assert!(
        t.ratio() >= 0.96,
        "gofeed translator cases regressed: {:.3}",
        t.ratio()
    );
}

/// Decodes a Python string literal (`'…'`, `"…"`, `u'…'`, `"""…"""`) at the start of `s`.
fn python_string(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start().trim_start_matches('u');
    let (quote, body) = if let Some(b) = s.strip_prefix("\"\"\"") {
        ("\"\"\"", b)
    } else if let Some(b) = s.strip_prefix('\'') {
        ("'", b)
    } else if let Some(b) = s.strip_prefix('"') {
        ("\"", b)
    } else {
        return None;
    };
    let mut out = String::new();
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if body[i..].starts_with(quote) {
            return Some((out, &body[i + quote.len()..]));
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let (_, e) = chars.next()?;
        match e {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            '\\' | '\'' | '"' => out.push(e),
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = (0..n)
                    .filter_map(|_| chars.next().map(|(_, c)| c))
                    .collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
            }
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    None
}

/// Reads a Python tuple of integers `(2004, 1, 1, 19, 48, 21, 3, 1, 0)`.
fn python_tuple(s: &str) -> Option<Vec<i64>> {
    let s = s.trim_start().strip_prefix('(')?;
    let end = s.find(')')?;
    s[..end].split(',').map(|n| n.trim().parse().ok()).collect()
}

struct Case {
    header_content_type: Option<String>,
    expect: String,
}

fn read_case(path: &Path, bytes: &[u8]) -> Option<Case> {
    let text = String::from_utf8_lossy(bytes);
    let start = text.find("Expect:")?;
    let expect = text[start + 7..].lines().next()?.trim().to_string();
    let header_content_type = text
        .find("Header:")
        .and_then(|h| text[h + 7..].lines().next())
        .map(str::trim)
        .and_then(|h| {
            h.strip_prefix("Content-type:")
                .or_else(|| h.strip_prefix("Content-Type:"))
        })
        .map(|v| v.trim().to_string());
    let _ = path;
    Some(Case {
        header_content_type,
        expect,
    })
}

#[test]
fn feedparser_cases() {
    let Some(root) = corpus() else {
        eprintln!("../shared/corpus not present; skipping");
        return;
    };
    let base = root.join("feedparser/tests");
    let mut summary = Vec::new();
    let mut all = Tally::default();
    for folder in [
        "wellformed/rss",
        "wellformed/atom10",
        "wellformed/atom",
        "wellformed/rdf",
        "wellformed/amp",
        "wellformed/base",
        "wellformed/lang",
        "entities",
        "encoding",
        "illformed",
    ] {
        let mut t = Tally::default();
        for path in files(&base.join(folder), "xml") {
            let name = path.strip_prefix(&base).unwrap().display().to_string();
            let bytes = std::fs::read(&path).unwrap();
            let Some(case) = read_case(&path, &bytes) else {
                continue;
            };
            let started = std::time::Instant::now();
            let parsed = normalize(&bytes, case.header_content_type.as_deref(), &doc_url());
            if folder.starts_with("illformed") {
                // Broken documents: either read or refused with a document class, quickly.
                let ok = started.elapsed() < std::time::Duration::from_secs(2)
                    && parsed
                        .as_ref()
                        .err()
                        .is_none_or(|e| matches!(e.class(), "parse" | "encoding" | "not-a-feed"));
                t.check(ok, || format!("{name}: {:?}", parsed.as_ref().err()));
            }
            let must_parse = case.expect.starts_with("not bozo") || folder == "entities";
            if must_parse {
                t.check(parsed.is_ok(), || {
                    format!("{name}: {:?}", parsed.as_ref().err())
                });
            }
            let Ok(feed) = parsed else { continue };
            let e0 = feed.items.first();
            // Translate the common shapes of Expect into field checks; skip the rest.
            for clause in case.expect.split(" and ") {
                let clause = clause.trim();
                let (lhs, rhs) = match clause.split_once(" == ") {
                    Some(x) => x,
                    None => continue,
                };
                // `entries[0].link` is `entries[0]['link']`.
                let dotted = lhs
                    .trim()
                    .rsplit_once("].")
                    .map(|(a, b)| format!("{a}]['{b}']"));
                let lhs = dotted.as_deref().unwrap_or(lhs);
                let got: Option<String> = match lhs.trim() {
                    "feed['title']" => feed.meta.title.clone(),
                    "entries[0]['title']" => e0.map(|e| e.title.clone()),
                    "entries[0]['link']" => e0.and_then(|e| e.link.clone()),
                    "entries[0]['id']" => e0.and_then(|e| e.guid.clone()),
                    "entries[0]['summary']" | "entries[0]['description']" => {
                        e0.map(|e| plain_text(e.summary.as_deref().unwrap_or("")))
                    }
                    "entries[0]['published_parsed']" | "entries[0]['updated_parsed']" => {
                        let want = python_tuple(rhs);
                        let d = if lhs.contains("published") {
                            e0.and_then(|e| e.published)
                        } else {
                            e0.and_then(|e| e.updated.or(e.published))
                        };
                        if let (Some(want), Some(d)) = (&want, d) {
                            let ours = [
                                d.year() as i64,
                                d.month() as i64,
                                d.day() as i64,
                                d.hour() as i64,
                                d.minute() as i64,
                                d.second() as i64,
                            ];
                            t.check(want.len() >= 6 && want[..6] == ours, || {
                                format!("{name}: {lhs} {ours:?} != {want:?}")
                            });
                        } else if want.is_some() {
                            t.check(false, || format!("{name}: no date for {lhs}"));
                        }
                        continue;
                    }
                    _ => continue,
                };
                let Some((want, _)) = python_string(rhs) else {
                    continue;
                };
                if want.contains('<') || want.contains("&lt;") {
                    continue; // feedparser keeps markup in some fields; bantin's titles are plain text
                }
                let want_plain = plain_text(&want);
                let ok = match lhs.trim() {
                    "entries[0]['link']" => {
                        got.as_deref().map(|g| g.trim_end_matches('/'))
                            == Some(want.trim_end_matches('/'))
                    }
                    _ => got.as_deref() == Some(want_plain.as_str()),
                };
                let shown = want.clone();
                t.check(ok, || {
                    format!("{name}: {lhs} = {got:?}, expected {shown:?}")
                });
            }
        }
        t.report(folder);
        summary.push((folder, t.passed, t.checks));
        all.checks += t.checks;
        all.passed += t.passed;
    }
    all.report("feedparser (all folders)");
    assert!(all.checks > 1500, "too few checks ran: {}", all.checks);
    // Floor: raise it when the normalizer improves (measured 2026-11-28: 1472/1513 = 97.3 %;
    // before issue 4: 1448/1490 = 97.2 %, illformed counted 2 checks instead of 22).
    assert!(
        all.ratio() >= 0.97,
        "feedparser cases regressed: {:.3} ({summary:?})",
        all.ratio()
    );
}

#[test]
fn feedparser_sanitize_suite_leaves_nothing_dangerous() {
    let Some(root) = corpus() else {
        eprintln!("../shared/corpus not present; skipping");
        return;
    };
    let mut checked = 0;
    let mut leaks = Vec::new();
    for path in files(&root.join("feedparser/tests/wellformed/sanitize"), "xml") {
        let bytes = std::fs::read(&path).unwrap();
        let Ok(feed) = normalize(&bytes, None, &doc_url()) else {
            continue;
        };
        for item in &feed.items {
            for html in [&item.summary, &item.content].into_iter().flatten() {
                checked += 1;
                let lower = html.to_ascii_lowercase();
                let dangerous = [
                    "<script",
                    "javascript:",
                    "vbscript:",
                    "<iframe",
                    "<object",
                    "<embed",
                    "<form",
                    "<style",
                    "expression(",
                    "<meta",
                    "<base",
                ]
                .iter()
                .any(|d| lower.contains(d))
                    || has_event_handler(&lower);
                if dangerous {
                    leaks.push(format!("{}: {html}", path.display()));
                }
            }
            checked += 1;
            if item.title.to_ascii_lowercase().contains("<script") {
                leaks.push(format!("{}: title {}", path.display(), item.title));
            }
        }
    }
    println!(
        "sanitize suite: {checked} fields checked, {} leaks",
        leaks.len()
    );
    assert!(checked > 500, "too few fields checked: {checked}");
    assert!(
        leaks.is_empty(),
        "dangerous markup survived:\n{}",
        leaks.join("\n")
    );
}

/// feedparser's sanitize suite also says what the sanitized HTML should be. bantin's sanitizer
/// differs in markup details (attribute order, allowed attributes), so this compares the text
/// a reader sees: the expected fragment and bantin's, both reduced to plain text.
#[test]
fn feedparser_sanitize_cases_keep_the_safe_text() {
    let Some(root) = corpus() else {
        eprintln!("../shared/corpus not present; skipping");
        return;
    };
    let base = root.join("feedparser/tests");
    let mut t = Tally::default();
    for path in files(&base.join("wellformed/sanitize"), "xml") {
        let name = path.strip_prefix(&base).unwrap().display().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let Some(case) = read_case(&path, &bytes) else {
            continue;
        };
        let Some((lhs, rhs)) = case
            .expect
            .split(" and ")
            .find_map(|c| c.trim().split_once(" == "))
        else {
            continue;
        };
        let Some((want, _)) = python_string(rhs) else {
            continue;
        };
        let parsed = normalize(&bytes, case.header_content_type.as_deref(), &doc_url());
        let Ok(feed) = parsed else {
            t.check(false, || format!("{name}: {:?}", parsed.err()));
            continue;
        };
        let e0 = feed.items.first();
        let got = match lhs.trim() {
            "entries[0]['description']" | "entries[0]['summary']" => {
                e0.and_then(|e| e.summary.clone().or(e.content.clone()))
            }
            "entries[0]['content'][0]['value']" => {
                e0.and_then(|e| e.content.clone().or(e.summary.clone()))
            }
            "entries[0]['title']" => e0.map(|e| e.title.clone()),
            "feed['title']" => feed.meta.title.clone(),
            _ => continue, // tagline, info, copyright: bantin does not keep them
        };
        let mut got = plain_text(got.as_deref().unwrap_or(""));
        let want = plain_text(&want);
        if want.is_empty() && got == "(untitled)" {
            got.clear(); // bantin never leaves a title empty
        }
        t.check(got == want, || format!("{name}: {got:?} != {want:?}"));
    }
    t.report("feedparser sanitize (text)");
    assert!(t.checks > 400, "too few checks ran: {}", t.checks);
    // Floor: raise it when the sanitizer improves (measured 2026-11-28: 567/615 = 92.2 %).
    assert!(
        t.ratio() >= 0.92,
        "sanitize text regressed: {:.3}",
        t.ratio()
    );
}

/// gofeed's format-detection cases: which documents are feeds at all.
#[test]
fn gofeed_universal_cases() {
    let Some(root) = corpus() else {
        eprintln!("../shared/corpus not present; skipping");
        return;
    };
    let dir = root.join("gofeed/testdata/parser/universal");
    let mut t = Tally::default();
    let mut inputs = files(&dir, "xml");
    inputs.extend(files(&dir, "json"));
    for path in inputs {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let parsed = normalize(&bytes, None, &doc_url());
        let must_fail = matches!(
            name.as_str(),
            "empty_feed.xml" | "unknown_feed.xml" | "invalid.json"
        );
        t.check(parsed.is_err() == must_fail, || {
            format!("{name}: {:?}", parsed.as_ref().map(|f| f.items.len()).err())
        });
    }
    t.report("gofeed universal");
    assert!(t.checks >= 12, "too few checks ran: {}", t.checks);
    // Measured 2026-11-28: 12/12.
    assert!(
        t.ratio() >= 0.99,
        "gofeed universal regressed: {:.3}",
        t.ratio()
    );
}

/// Finds an ` on…=` attribute inside a tag (sanitized HTML quotes attributes with `"`).
fn has_event_handler(html: &str) -> bool {
    let mut in_tag = false;
    let bytes = html.as_bytes();
    for i in 0..bytes.len() {
        match bytes[i] {
            b'<' => in_tag = true,
            b'>' => in_tag = false,
            b' ' if in_tag && html[i + 1..].starts_with("on") => {
                let rest = &html[i + 3..];
                let name_len = rest.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
                if name_len > 0 && rest[name_len..].starts_with('=') {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// Every HTML fragment of both corpora and of the hazard feeds (each entry's summary and
/// content, as feed-rs reads them) goes through the sanitizer's checks: safe, idempotent, the fast path equal to
/// always cleaning twice, and the scanned text of the output equal to the parsed one.
#[test]
fn every_corpus_fragment_sanitizes_the_same_on_the_fast_path() {
    let Some(root) = corpus() else {
        eprintln!("../shared/corpus not found: skipped");
        return;
    };
    let (mut fragments, mut failures) = (0usize, Vec::new());
    let hazards = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hazards");
    let mut paths = files(&root, "xml");
    paths.extend(files(&hazards, "xml"));
    // feed-rs panics on a few malformed files (bantin's parser catches that): quietly.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for path in paths {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let parsed = std::panic::catch_unwind(|| {
            feed_rs::parser::Builder::new()
                .sanitize_content(false)
                .build()
                .parse(&bytes[..])
        });
        let Ok(Ok(feed)) = parsed else {
            continue;
        };
        for e in &feed.entries {
            let summary = e.summary.as_ref().map(|t| t.content.as_str());
            let content = e.content.as_ref().and_then(|c| c.body.as_deref());
            for raw in [summary, content].into_iter().flatten() {
                fragments += 1;
                if let Err(why) = checks::check_sanitize(raw) {
                    failures.push(format!("{}: {why}", path.display()));
                }
            }
        }
    }
    std::panic::set_hook(hook);
    assert!(fragments > 500, "only {fragments} fragments found");
    assert!(
        failures.is_empty(),
        "{} of {fragments} fragments failed:\n{}",
        failures.len(),
        failures[..failures.len().min(5)].join("\n")
    );
}
