//! Story clustering cost against the size of the store: one new item clustered (candidate
//! lookup through the `story_terms` index, scoring, recording) into a store holding 10k and
//! 100k items, at the same density (2,000 items a day, so 5 vs 50 days of news).
//! Sub-linear means the two cost about the same: only the item's ±2 days are looked at.
//!
//! `cargo bench --bench story` (set `BANTIN_BENCH_SIZES=10000` for a quicker run).

use std::time::{Duration, Instant};

use bantin::model::{FeedMeta, Item};
use bantin::store::{FetchRecord, Store};
use chrono::{DateTime, TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

const PER_DAY: usize = 2_000;

/// A deterministic pseudo-random generator (xorshift), so every run builds the same store.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Zipf-like: small indexes much more often, like words in news.
    fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        ((n as f64).powf(u) as usize).saturating_sub(1).min(n - 1)
    }
}

fn vocabulary() -> Vec<String> {
    let onsets = [
        "b", "c", "d", "đ", "g", "h", "kh", "l", "m", "n", "ng", "nh", "ph", "qu", "s", "t", "th",
        "tr", "v", "x",
    ];
    let rhymes = [
        "a", "á", "à", "ạ", "ăn", "âm", "em", "ế", "iêu", "inh", "o", "ỏ", "ông", "ơi", "u", "ưa",
        "ước", "ương", "ây", "ọc",
    ];
    let syllables: Vec<String> = onsets
        .iter()
        .flat_map(|o| rhymes.iter().map(move |r| format!("{o}{r}")))
        .collect();
    // 20,000 two-syllable words: news vocabulary is large, with a long tail of rare words.
    let mut rng = Rng(7);
    (0..20_000)
        .map(|_| {
            let a = &syllables[(rng.next() as usize) % syllables.len()];
            let b = &syllables[(rng.next() as usize) % syllables.len()];
            format!("{a}{b}")
        })
        .collect()
}

fn sentence(rng: &mut Rng, vocab: &[String], words: usize) -> String {
    (0..words)
        .map(|_| vocab[rng.zipf(vocab.len())].clone())
        .collect::<Vec<_>>()
        .join(" ")
}

fn item(key: String, title: String, summary: String, published: DateTime<Utc>) -> Item {
    Item {
        link: Some(format!("https://bench.example/{key}.html")),
        key,
        title,
        summary_text: summary.clone(),
        summary: Some(summary),
        published: Some(published),
        lang: Some("vi".into()),
        ..Item::default()
    }
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

/// A store holding `n` items over `n / PER_DAY` days; 1 in 3 items retells an earlier story.
fn build(n: usize, dir: &std::path::Path) -> Store {
    let store = Store::open(&dir.join(format!("story-{n}.db"))).unwrap();
    let vocab = vocabulary();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let started = Instant::now();
    let mut recent: Vec<(String, String)> = Vec::new();
    let secs_per_item = 86_400.0 / PER_DAY as f64;
    for batch in 0..n.div_ceil(100) {
        let items: Vec<Item> = (0..100)
            .map(|j| {
                let i = batch * 100 + j;
                let at = start() + Duration::from_secs_f64(i as f64 * secs_per_item);
                let (title, summary) = if !recent.is_empty() && rng.next() % 3 == 0 {
                    let (t, s) = &recent[(rng.next() as usize) % recent.len()];
                    (format!("{t} {}", sentence(&mut rng, &vocab, 2)), s.clone())
                } else {
                    (
                        sentence(&mut rng, &vocab, 10),
                        sentence(&mut rng, &vocab, 30),
                    )
                };
                recent.push((title.clone(), summary.clone()));
                if recent.len() > 500 {
                    recent.remove(0);
                }
                item(format!("i{i}"), title, summary, at)
            })
            .collect();
        let feed = format!("bench-{}", batch % 20);
        store
            .apply_fetch(
                &feed,
                &FetchRecord::default(),
                &FeedMeta::default(),
                &items,
                Utc::now(),
            )
            .unwrap();
    }
    let took = started.elapsed();
    eprintln!(
        "built a store of {n} items in {:.1} s ({:.0} items/s, clustering included)",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64()
    );
    store
}

fn bench(c: &mut Criterion) {
    let sizes: Vec<usize> = std::env::var("BANTIN_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000]);
    let dir = tempfile::tempdir().unwrap();
    let vocab = vocabulary();
    let mut group = c.benchmark_group("story");
    group.sample_size(30);
    for n in sizes {
        let store = build(n, dir.path());
        let mut rng = Rng(42);
        let mut k = 0u64;
        // The new item is published in the middle of the stored period.
        let at = start() + Duration::from_secs((n / PER_DAY).max(1) as u64 * 86_400 / 2);
        group.bench_function(BenchmarkId::new("cluster_one_item", n), |b| {
            b.iter(|| {
                k += 1;
                let it = item(
                    format!("new{k}"),
                    sentence(&mut rng, &vocab, 10),
                    sentence(&mut rng, &vocab, 30),
                    at,
                );
                store
                    .apply_fetch(
                        "bench-new",
                        &FetchRecord::default(),
                        &FeedMeta::default(),
                        &[it],
                        Utc::now(),
                    )
                    .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
