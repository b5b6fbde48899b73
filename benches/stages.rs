//! Criterion benchmarks of bantin's pure stages: normalize (parse + sanitize) of a 100-item
//! news RSS document, charset decoding, rendering a 50-item output in each format, and the
//! store's upsert of 100 new and of 100 unchanged items.
//!
//! `cargo bench --bench stages`; the inputs come from the same generator as
//! `examples/loadgen` (deterministic, vi/en/id, CDATA HTML, ~1 KB content:encoded).

#[path = "../examples/loadgen/synth.rs"]
mod synth;

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use bantin::config::Config;
use bantin::model::{FeedMeta, Item, StoredItem};
use bantin::normalize::{charset, normalize};
use bantin::render::{Context, Format, catalog};
use bantin::store::{FetchRecord, ItemQuery, Store};
use chrono::{TimeZone, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use url::Url;

const CT: Option<&str> = Some("application/rss+xml; charset=utf-8");

fn doc_url() -> Url {
    Url::parse("https://news-0.example/rss/0.xml").unwrap()
}

/// A config with the shipped taxonomy and one feed, so classify and render see real rules.
fn config(dir: &Path) -> Config {
    let shipped = include_str!("../feeds.toml");
    let start = shipped.find("\n[[category]]").unwrap();
    let end = shipped[start..]
        .find("\n[[feed]]")
        .map_or(shipped.len(), |e| start + e);
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nbase_url = \"https://bantin.example\"\n[storage]\npath = \"bench.db\"\n[classify]\nlanguages = [\"vi\", \"en\", \"id\"]\n{}\n[[feed]]\nname = \"synth-0\"\nurl = \"https://news-0.example/rss/0.xml\"\n",
        &shipped[start..end]
    );
    Config::parse(&text, &dir.join("feeds.toml")).unwrap()
}

fn classified(config: &Config, n_items: usize, rev: usize) -> (FeedMeta, Vec<Item>) {
    let xml = synth::feed_xml(0, n_items, rev, "https://news-0.example");
    let parsed = normalize(xml.as_bytes(), CT, &doc_url()).unwrap();
    let classifier = bantin::classify::Classifier::new(config);
    let feed = &config.feeds[0];
    let mut items = parsed.items;
    for item in &mut items {
        classifier.classify(feed, &parsed.meta, item);
    }
    (parsed.meta, items)
}

fn record() -> FetchRecord {
    FetchRecord {
        etag: Some("\"x\"".into()),
        last_modified: None,
        body_hash: Some("h".into()),
        status: "200".into(),
        ..FetchRecord::default()
    }
}

fn fresh_store(dir: &Path, n: usize) -> Store {
    let store = Store::open(&dir.join(format!("s{n}.db"))).unwrap();
    store
        .sync_feeds([("synth-0", "https://news-0.example/rss/0.xml".to_string())])
        .unwrap();
    store
}

fn normalize_bench(c: &mut Criterion) {
    let xml = synth::feed_xml(0, 100, 0, "https://news-0.example");
    let mut g = c.benchmark_group("normalize");
    g.throughput(Throughput::Bytes(xml.len() as u64));
    g.bench_function("rss_100_items", |b| {
        b.iter(|| normalize(black_box(xml.as_bytes()), CT, &doc_url()).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("charset");
    g.throughput(Throughput::Bytes(xml.len() as u64));
    g.bench_function("utf8_declared", |b| {
        b.iter(|| charset::decode(black_box(xml.as_bytes()), CT))
    });
    g.bench_function("utf8_sniffed", |b| {
        b.iter(|| charset::decode(black_box(xml.as_bytes()), None))
    });
    let declared = xml.replace("encoding=\"UTF-8\"", "encoding=\"windows-1258\"");
    let w1258 = encoding_rs::WINDOWS_1258.encode(&declared).0.into_owned();
    g.bench_function("windows1258_declared", |b| {
        b.iter(|| charset::decode(black_box(&w1258), None))
    });
    g.finish();
}

fn render_bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let (meta, items) = classified(&config, 100, 0);
    let store = fresh_store(dir.path(), 0);
    let now = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
    store
        .apply_fetch("synth-0", &record(), &meta, &items, now)
        .unwrap();
    let stored: Vec<StoredItem> = store
        .query_items(&ItemQuery {
            lang: Some("vi".into()),
            limit: 50,
            ..ItemQuery::default()
        })
        .unwrap();
    assert_eq!(stored.len(), 50);
    let outputs = catalog::outputs(&config);
    let spec = outputs.iter().find(|o| o.path == "vi").unwrap();
    let ctx = Context {
        config: &config,
        base_url: &config.server.base_url,
    };
    let mut g = c.benchmark_group("render_50_items");
    for format in Format::ALL {
        g.bench_function(format.extension(), |b| {
            b.iter(|| bantin::render::render(&ctx, spec, black_box(&stored), format))
        });
    }
    let body = bantin::render::render(&ctx, spec, &stored, Format::Rss);
    g.bench_function("rss_with_gzip_brotli", |b| {
        b.iter(|| bantin::render::cache::Rendered::new("application/rss+xml", body.clone(), now))
    });
    g.finish();
}

fn store_bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let (meta, items) = classified(&config, 100, 0);
    let now = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
    let mut g = c.benchmark_group("store");
    g.throughput(Throughput::Elements(items.len() as u64));
    let mut n = 0;
    g.bench_function("upsert_100_new", |b| {
        b.iter_batched_ref(
            || {
                n += 1;
                fresh_store(dir.path(), n)
            },
            |store| {
                let counts = store
                    .apply_fetch("synth-0", &record(), &meta, &items, now)
                    .unwrap();
                assert_eq!(counts.new, 100);
            },
            BatchSize::PerIteration,
        )
    });
    let store = fresh_store(dir.path(), 0);
    store
        .apply_fetch("synth-0", &record(), &meta, &items, now)
        .unwrap();
    g.bench_function("reupsert_100_unchanged", |b| {
        b.iter(|| {
            let counts = store
                .apply_fetch("synth-0", &record(), &meta, &items, now)
                .unwrap();
            assert_eq!(counts.unchanged, 100);
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = normalize_bench, render_bench, store_bench
}
criterion_main!(benches);
