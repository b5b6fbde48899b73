//! Measured curation: the labelled sets `tests/eval/items.jsonl` (see its README) and the
//! held-out `tests/eval-holdout/items.jsonl` (written before tuning, never tuned on) each go
//! through the real pipeline — each outlet served as an Atom feed from a loopback server
//! (per-entry `xml:lang` as the outlet declares it, right or wrong), polled into a fresh
//! SQLite file through the library, read back with `bantin items --json` — and the decisions
//! are scored against the labels:
//!
//! * story clustering: precision / recall / F1 over same-story pairs, and merges of
//!   hard-negative pairs (look-alike but different events);
//! * language: accuracy overall and on titles of ≤ 4 words;
//! * categories: primary category correct, and any overlap with the labelled ones.
//!
//! Feeds are polled one at a time in six different orders (clustering is online, so the
//! order items arrive in matters); every order must meet the targets. Run with
//! `cargo test --test curation_eval -- --nocapture` to see the figures, and with
//! `BANTIN_EVAL_VERBOSE=1` to also list every mistake.

mod common;

use std::collections::{BTreeMap, HashMap};

use bantin::config::Config;
use bantin::pipeline::{Ingest, poll_feed};
use common::{FeedEntry, FixtureServer, Served, write_config};
use serde_json::Value;

/// The targets. Pair F1 is asserted at the target itself on this set, in every
/// arrival order (measured worst 0.953).
const TARGET_F1: f64 = 0.95;
const F1_FLOOR: f64 = TARGET_F1;
const TARGET_LANG: f64 = 0.98;
const TARGET_CATEGORY: f64 = 0.90;
/// Floors on the held-out set (see `curation_generalizes_to_the_holdout_set`): the measured
/// worst case over the six orders (F1 0.921, category 92.1 %) less a small margin.
const HOLDOUT_F1_FLOOR: f64 = 0.91;
/// One hard-negative group of the held-out set is merged in two of the six orders (four
/// pairs): a company's port investment and, the next day, its stock market debut, whose
/// reports share the company's and its chairman's names and little else that tells the
/// events apart. Any other merge fails.
const HOLDOUT_LANG_FLOOR: f64 = 0.98;
const HOLDOUT_CATEGORY_FLOOR: f64 = 0.88;
const HOLDOUT_MAX_HARD_NEGATIVE_MERGES: usize = 4;

struct Labelled {
    id: String,
    source: String,
    lang: String,
    declared_lang: Option<String>,
    title: String,
    summary: String,
    link: String,
    published: String,
    source_categories: Vec<String>,
    categories: Vec<String>,
    story: String,
    hard_negative_group: Option<String>,
}

fn load(file: &str) -> Vec<Labelled> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            let list = |k: &str| {
                v[k].as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            };
            Labelled {
                id: s("id"),
                source: s("source"),
                lang: s("lang"),
                declared_lang: v["declared_lang"].as_str().map(str::to_string),
                title: s("title"),
                summary: s("summary"),
                link: s("link"),
                published: s("published"),
                source_categories: list("source_categories"),
                categories: list("categories"),
                story: s("story"),
                hard_negative_group: v["hard_negative_group"].as_str().map(str::to_string),
            }
        })
        .collect()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn guid(item: &Labelled) -> String {
    format!("tag:eval.bantin.test,2026:{}", item.id)
}

/// One outlet's feed: Atom, newest first, each entry with the language its outlet declares.
fn atom(title: &str, site: &str, items: &[&Labelled]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    out.push_str(&format!(
        "<id>{}</id><title>{}</title><updated>2026-11-25T00:00:00Z</updated>\n<link rel=\"alternate\" href=\"{}\"/>\n",
        esc(site),
        esc(title),
        esc(site)
    ));
    let mut sorted: Vec<&&Labelled> = items.iter().collect();
    sorted.sort_by(|a, b| b.published.cmp(&a.published));
    for it in sorted {
        match &it.declared_lang {
            Some(l) => out.push_str(&format!("<entry xml:lang=\"{}\">\n", esc(l))),
            None => out.push_str("<entry>\n"),
        }
        out.push_str(&format!(
            "<id>{}</id><title>{}</title><link rel=\"alternate\" href=\"{}\"/>\n<published>{}</published><updated>{}</updated>\n",
            esc(&guid(it)),
            esc(&it.title),
            esc(&it.link),
            it.published,
            it.published
        ));
        if !it.summary.is_empty() {
            out.push_str(&format!("<summary>{}</summary>\n", esc(&it.summary)));
        }
        for c in &it.source_categories {
            out.push_str(&format!("<category term=\"{}\"/>\n", esc(c)));
        }
        out.push_str("</entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

fn host(link: &str) -> String {
    let h = url::Url::parse(link)
        .unwrap()
        .host_str()
        .unwrap()
        .to_string();
    h.strip_prefix("www.").map(str::to_string).unwrap_or(h)
}

/// The feed an item is published in: its outlet, split by edition (site) when the outlet has
/// several (VietnamPlus in Vietnamese and in English).
fn feed_key(item: &Labelled) -> (String, String) {
    let h = host(&item.link);
    // vnexpress.net and e.vnexpress.net are different outlets' feeds already by name.
    let edition = h.split('.').next().unwrap_or("").to_string();
    (item.source.clone(), edition)
}

struct Scores {
    precision: f64,
    recall: f64,
    f1: f64,
    pairs: usize,
    hard_negative_merges: usize,
    lang: (usize, usize),
    lang_short: (usize, usize),
    primary: (usize, usize),
    any: (usize, usize),
    mistakes: Vec<String>,
}

fn ratio((ok, n): (usize, usize)) -> f64 {
    if n == 0 { 1.0 } else { ok as f64 / n as f64 }
}

async fn run_once(items: &[Labelled], order: &[usize]) -> Scores {
    let server = FixtureServer::start().await;
    let mut groups: BTreeMap<(String, String), Vec<&Labelled>> = BTreeMap::new();
    for it in items {
        groups.entry(feed_key(it)).or_default().push(it);
    }
    let mut sources: HashMap<&str, usize> = HashMap::new();
    for (source, _) in groups.keys() {
        *sources.entry(source.as_str()).or_default() += 1;
    }
    let mut entries = Vec::new();
    for (i, ((source, edition), its)) in groups.iter().enumerate() {
        let name = if sources[source.as_str()] > 1 {
            format!("{source} ({edition})")
        } else {
            source.clone()
        };
        let path = format!("/feeds/{i}.atom");
        let site = format!("https://{}/", host(&its[0].link));
        server.set(
            &path,
            Served::feed("application/atom+xml", atom(source, &site, its)),
        );
        entries.push(FeedEntry {
            name,
            url: server.url(&path),
            lang: None,
            categories: vec![],
        });
    }
    let dir = tempfile::tempdir().unwrap();
    let config = Config::load(&write_config(dir.path(), &entries, "")).unwrap();
    let store = bantin::daemon::open_store(&config).await.unwrap();
    let ingest = Ingest::new(&config, store).unwrap();
    for &i in order {
        let feed = &config.feeds[i % config.feeds.len()];
        let report = poll_feed(&ingest, feed).await.unwrap();
        assert!(report.error.is_none(), "{}", report.summary());
    }
    let out = common::items_json(&config).await;
    assert_eq!(out.len(), items.len(), "every labelled item is stored once");
    let by_guid: HashMap<String, &Value> = out
        .iter()
        .map(|v| (v["guid"].as_str().unwrap().to_string(), v))
        .collect();
    let got = |it: &Labelled| by_guid[&guid(it)];

    let mut mistakes = Vec::new();
    let (mut tp, mut fp, mut fneg, mut hn) = (0usize, 0usize, 0usize, 0usize);
    for (i, a) in items.iter().enumerate() {
        for b in &items[i + 1..] {
            let gold = a.story == b.story;
            let same = got(a)["story"] == got(b)["story"];
            match (gold, same) {
                (true, true) => tp += 1,
                (false, true) => {
                    fp += 1;
                    mistakes.push(format!(
                        "merged   {} + {}: {} | {}",
                        a.id, b.id, a.title, b.title
                    ));
                    if a.hard_negative_group.is_some()
                        && a.hard_negative_group == b.hard_negative_group
                    {
                        hn += 1;
                    }
                }
                (true, false) => {
                    fneg += 1;
                    mistakes.push(format!(
                        "split    {} + {}: {} | {}",
                        a.id, b.id, a.title, b.title
                    ));
                }
                (false, false) => {}
            }
        }
    }
    let precision = if tp + fp == 0 {
        1.0
    } else {
        tp as f64 / (tp + fp) as f64
    };
    let recall = tp as f64 / (tp + fneg).max(1) as f64;
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };

    let (mut lang, mut lang_short, mut primary, mut any) = ((0, 0), (0, 0), (0, 0), (0, 0));
    for it in items {
        let v = got(it);
        let l = v["lang"].as_str().unwrap_or("-");
        let short = it.title.split_whitespace().count() <= 4;
        lang.1 += 1;
        lang_short.1 += short as usize;
        if l == it.lang {
            lang.0 += 1;
            lang_short.0 += short as usize;
        } else {
            mistakes.push(format!(
                "language {}: got {l}, want {} (declared {:?}): {}",
                it.id, it.lang, it.declared_lang, it.title
            ));
        }
        let cats: Vec<&str> = v["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        primary.1 += 1;
        any.1 += 1;
        if cats.first() == Some(&it.categories[0].as_str()) {
            primary.0 += 1;
        } else {
            mistakes.push(format!(
                "category {}: got {cats:?}, want {:?}: {}",
                it.id, it.categories, it.title
            ));
        }
        if cats.iter().any(|c| it.categories.iter().any(|g| g == c)) {
            any.0 += 1;
        }
    }
    Scores {
        precision,
        recall,
        f1,
        pairs: tp + fneg,
        hard_negative_merges: hn,
        lang,
        lang_short,
        primary,
        any,
        mistakes,
    }
}

/// `0..n` in an order fixed by `seed` (Fisher–Yates driven by a splitmix64 sequence: the
/// same orders on every machine, no dependency).
fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        order.swap(i, (next() % (i as u64 + 1)) as usize);
    }
    order
}

/// The floors one labelled set must meet.
struct Floors {
    min_items: usize,
    max_hard_negative_merges: usize,
    f1: f64,
    lang: f64,
    category: f64,
}

/// Polls `file` in six orders, prints the figures as one block (the two sets' tests run in
/// parallel), then asserts `floors`.
async fn evaluate(file: &str, floors: Floors) {
    let items = load(file);
    assert!(
        items.len() >= floors.min_items,
        "{file} has {} items",
        items.len()
    );
    let feeds = {
        let mut keys: Vec<_> = items.iter().map(feed_key).collect();
        keys.sort();
        keys.dedup();
        keys.len()
    };
    // Arrival orders: by feed name, reversed, interleaved, and three fixed shuffles.
    let forward: Vec<usize> = (0..feeds).collect();
    let backward: Vec<usize> = (0..feeds).rev().collect();
    let interleaved: Vec<usize> = (0..feeds).map(|i| (i * 7) % feeds).collect();
    let shuffles: Vec<Vec<usize>> = [1u64, 2, 3]
        .iter()
        .map(|&seed| shuffled(feeds, seed))
        .collect();
    let verbose = std::env::var_os("BANTIN_EVAL_VERBOSE").is_some();
    let mut worst_f1: f64 = 1.0;
    let mut results = Vec::new();
    let mut report = format!(
        "\ncuration evaluation: {} items, {} outlet feeds ({file})\n",
        items.len(),
        feeds
    );
    report.push_str(
        "| feed order | pair precision | pair recall | pair F1 | hard-negative merges | language | language, titles ≤ 4 words | primary category | any category |\n",
    );
    report.push_str("|---|---|---|---|---|---|---|---|---|\n");
    for (name, order) in [
        ("by name", &forward),
        ("reversed", &backward),
        ("interleaved", &interleaved),
        ("shuffle 1", &shuffles[0]),
        ("shuffle 2", &shuffles[1]),
        ("shuffle 3", &shuffles[2]),
    ] {
        let s = run_once(&items, order).await;
        report.push_str(&format!(
            "| {name} | {:.3} | {:.3} | **{:.3}** ({} pairs) | {} | {:.1} % ({}/{}) | {:.1} % ({}/{}) | {:.1} % ({}/{}) | {:.1} % ({}/{}) |\n",
            s.precision,
            s.recall,
            s.f1,
            s.pairs,
            s.hard_negative_merges,
            100.0 * ratio(s.lang),
            s.lang.0,
            s.lang.1,
            100.0 * ratio(s.lang_short),
            s.lang_short.0,
            s.lang_short.1,
            100.0 * ratio(s.primary),
            s.primary.0,
            s.primary.1,
            100.0 * ratio(s.any),
            s.any.0,
            s.any.1,
        ));
        if verbose {
            for m in &s.mistakes {
                report.push_str(&format!("    {m}\n"));
            }
        }
        worst_f1 = worst_f1.min(s.f1);
        results.push((name, s));
    }
    report.push_str(&format!(
        "worst pair F1 over the orders: {worst_f1:.3} (issue target {TARGET_F1}{}; asserted floor {})\n",
        if worst_f1 >= TARGET_F1 {
            ", met"
        } else {
            ", NOT met"
        },
        floors.f1
    ));
    println!("{report}");
    for (name, s) in &results {
        assert!(
            s.hard_negative_merges <= floors.max_hard_negative_merges,
            "{} hard-negative pairs merged, at most {} allowed ({file}, {name})",
            s.hard_negative_merges,
            floors.max_hard_negative_merges
        );
        assert!(
            s.f1 >= floors.f1,
            "pair F1 {:.3} fell below the floor {} ({file}, {name})",
            s.f1,
            floors.f1
        );
        assert!(
            ratio(s.lang) >= floors.lang,
            "language accuracy ({file}, {name})"
        );
        assert!(
            ratio(s.lang_short) >= floors.lang,
            "language accuracy on short titles ({file}, {name})"
        );
        assert!(
            ratio(s.primary) >= floors.category,
            "primary category accuracy ({file}, {name})"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curation_meets_its_targets_on_the_labelled_set() {
    evaluate(
        "tests/eval/items.jsonl",
        Floors {
            min_items: 150,
            max_hard_negative_merges: 0,
            f1: F1_FLOOR,
            lang: TARGET_LANG,
            category: TARGET_CATEGORY,
        },
    )
    .await;
}

/// The held-out set (`tests/eval-holdout`, written before the similarity was tuned and never
/// tuned on): checks that the rules generalize. Its floors are the measured worst case less a
/// margin, not the targets (see [`HOLDOUT_F1_FLOOR`]).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curation_generalizes_to_the_holdout_set() {
    evaluate(
        "tests/eval-holdout/items.jsonl",
        Floors {
            min_items: 120,
            max_hard_negative_merges: HOLDOUT_MAX_HARD_NEGATIVE_MERGES,
            f1: HOLDOUT_F1_FLOOR,
            lang: HOLDOUT_LANG_FLOOR,
            category: HOLDOUT_CATEGORY_FLOOR,
        },
    )
    .await;
}
