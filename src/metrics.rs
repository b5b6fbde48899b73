//! Process metrics in Prometheus text format (exposition format 0.0.4), kept by hand: a few
//! atomic counters and small labelled maps. Label values are bounded by the config (feed
//! hosts, outcome and error classes, HTTP statuses), never per item.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the latency histograms.
const FETCH_BUCKETS: &[f64] = &[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
const RENDER_BUCKETS: &[f64] = &[0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0];

#[derive(Default)]
struct Histogram {
    buckets: Vec<u64>,
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, bounds: &[f64], secs: f64) {
        if self.buckets.len() != bounds.len() {
            self.buckets = vec![0; bounds.len()];
        }
        for (i, b) in bounds.iter().enumerate() {
            if secs <= *b {
                self.buckets[i] += 1;
            }
        }
        self.count += 1;
        self.sum += secs;
    }

    fn write(&self, out: &mut String, name: &str, bounds: &[f64]) {
        for (i, b) in bounds.iter().enumerate() {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{b}\"}} {}",
                self.buckets.get(i).copied().unwrap_or(0)
            );
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(out, "{name}_sum {}", self.sum);
        let _ = writeln!(out, "{name}_count {}", self.count);
    }
}

#[derive(Default)]
struct Labelled {
    polls: BTreeMap<(String, String), u64>,
    host_requests: BTreeMap<String, u64>,
    host_backoff: BTreeMap<String, u64>,
    fetch_latency: Histogram,
    render_time: Histogram,
}

/// All counters of one process.
#[derive(Default)]
pub struct Metrics {
    bytes_fetched: AtomicU64,
    bytes_saved: AtomicU64,
    items_new: AtomicU64,
    items_updated: AtomicU64,
    items_unchanged: AtomicU64,
    reloads_ok: AtomicU64,
    reloads_failed: AtomicU64,
    /// Output requests by HTTP status (index = status − 100): counted without a lock, since
    /// every request of the busiest path counts one and a shared mutex made the two workers
    /// wait on each other.
    output_requests: OutputRequests,
    labelled: Mutex<Labelled>,
}

struct OutputRequests([AtomicU64; 500]);

impl Default for OutputRequests {
    fn default() -> Self {
        OutputRequests(std::array::from_fn(|_| AtomicU64::new(0)))
    }
}

/// Gauges read at scrape time.
pub struct Gauges {
    pub store_bytes: u64,
    pub items: i64,
    pub stories: i64,
    pub feeds: usize,
    pub feeds_failing: usize,
}

impl Metrics {
    fn labelled(&self) -> std::sync::MutexGuard<'_, Labelled> {
        self.labelled.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One finished poll: `outcome` is ok / not-modified / error, `class` the error class.
    #[allow(clippy::too_many_arguments)]
    pub fn poll(
        &self,
        host: &str,
        outcome: &str,
        class: Option<&str>,
        elapsed: Duration,
        bytes: u64,
        saved: u64,
        counts: (usize, usize, usize),
        failing: bool,
    ) {
        self.bytes_fetched.fetch_add(bytes, Ordering::Relaxed);
        self.bytes_saved.fetch_add(saved, Ordering::Relaxed);
        self.items_new.fetch_add(counts.0 as u64, Ordering::Relaxed);
        self.items_updated
            .fetch_add(counts.1 as u64, Ordering::Relaxed);
        self.items_unchanged
            .fetch_add(counts.2 as u64, Ordering::Relaxed);
        let mut l = self.labelled();
        *l.polls
            .entry((outcome.to_string(), class.unwrap_or("").to_string()))
            .or_default() += 1;
        *l.host_requests.entry(host.to_string()).or_default() += 1;
        l.host_backoff.insert(host.to_string(), failing as u64);
        l.fetch_latency
            .observe(FETCH_BUCKETS, elapsed.as_secs_f64());
    }

    pub fn output_request(&self, status: u16) {
        if let Some(n) =
            (status.checked_sub(100)).and_then(|i| self.output_requests.0.get(i as usize))
        {
            n.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn render(&self, elapsed: Duration) {
        self.labelled()
            .render_time
            .observe(RENDER_BUCKETS, elapsed.as_secs_f64());
    }

    pub fn reload(&self, ok: bool) {
        let c = if ok {
            &self.reloads_ok
        } else {
            &self.reloads_failed
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text.
    pub fn render_text(&self, g: &Gauges) -> String {
        let mut o = String::with_capacity(4096);
        let l = self.labelled();
        let esc = |s: &str| {
            s.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n")
        };
        o.push_str("# HELP bantin_polls_total Feed polls by outcome and error class.\n# TYPE bantin_polls_total counter\n");
        for ((outcome, class), n) in &l.polls {
            let _ = writeln!(
                o,
                "bantin_polls_total{{outcome=\"{}\",class=\"{}\"}} {n}",
                esc(outcome),
                esc(class)
            );
        }
        o.push_str("# HELP bantin_fetch_duration_seconds Time of one poll, fetch to store.\n# TYPE bantin_fetch_duration_seconds histogram\n");
        l.fetch_latency
            .write(&mut o, "bantin_fetch_duration_seconds", FETCH_BUCKETS);
        let counter = |o: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        };
        counter(
            &mut o,
            "bantin_fetched_bytes_total",
            "Body bytes received from sources.",
            self.bytes_fetched.load(Ordering::Relaxed),
        );
        counter(
            &mut o,
            "bantin_saved_bytes_total",
            "Body bytes not transferred thanks to 304 Not Modified (estimated from the last body).",
            self.bytes_saved.load(Ordering::Relaxed),
        );
        o.push_str("# HELP bantin_items_total Items seen in polls, by what happened to them.\n# TYPE bantin_items_total counter\n");
        for (kind, c) in [
            ("new", &self.items_new),
            ("updated", &self.items_updated),
            ("unchanged", &self.items_unchanged),
        ] {
            let _ = writeln!(
                o,
                "bantin_items_total{{kind=\"{kind}\"}} {}",
                c.load(Ordering::Relaxed)
            );
        }
        o.push_str("# HELP bantin_host_requests_total Polls per source host.\n# TYPE bantin_host_requests_total counter\n");
        for (host, n) in &l.host_requests {
            let _ = writeln!(
                o,
                "bantin_host_requests_total{{host=\"{}\"}} {n}",
                esc(host)
            );
        }
        o.push_str("# HELP bantin_host_backoff Whether the last poll to a host failed (the feed is backing off).\n# TYPE bantin_host_backoff gauge\n");
        for (host, n) in &l.host_backoff {
            let _ = writeln!(o, "bantin_host_backoff{{host=\"{}\"}} {n}", esc(host));
        }
        o.push_str("# HELP bantin_output_requests_total Requests for outputs by HTTP status.\n# TYPE bantin_output_requests_total counter\n");
        for (i, n) in self.output_requests.0.iter().enumerate() {
            let n = n.load(Ordering::Relaxed);
            if n > 0 {
                let status = i + 100;
                let _ = writeln!(o, "bantin_output_requests_total{{status=\"{status}\"}} {n}");
            }
        }
        o.push_str("# HELP bantin_render_duration_seconds Time to render every output.\n# TYPE bantin_render_duration_seconds histogram\n");
        l.render_time
            .write(&mut o, "bantin_render_duration_seconds", RENDER_BUCKETS);
        o.push_str("# HELP bantin_reloads_total Configuration reloads by result.\n# TYPE bantin_reloads_total counter\n");
        let _ = writeln!(
            o,
            "bantin_reloads_total{{result=\"ok\"}} {}",
            self.reloads_ok.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            o,
            "bantin_reloads_total{{result=\"rejected\"}} {}",
            self.reloads_failed.load(Ordering::Relaxed)
        );
        let gauge = |o: &mut String, name: &str, help: &str, v: f64| {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        };
        gauge(
            &mut o,
            "bantin_store_bytes",
            "Size of the SQLite database and its WAL.",
            g.store_bytes as f64,
        );
        gauge(&mut o, "bantin_items", "Items stored.", g.items as f64);
        gauge(
            &mut o,
            "bantin_stories",
            "Distinct stories stored.",
            g.stories as f64,
        );
        gauge(
            &mut o,
            "bantin_feeds",
            "Feeds configured and enabled.",
            g.feeds as f64,
        );
        gauge(
            &mut o,
            "bantin_feeds_failing",
            "Feeds whose last poll failed.",
            g.feeds_failing as f64,
        );
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_format() {
        let m = Metrics::default();
        m.poll(
            "a.example",
            "ok",
            None,
            Duration::from_millis(300),
            1000,
            0,
            (2, 1, 3),
            false,
        );
        m.poll(
            "a.example",
            "error",
            Some("timeout"),
            Duration::from_secs(40),
            0,
            0,
            (0, 0, 0),
            true,
        );
        m.output_request(304);
        let t = m.render_text(&Gauges {
            store_bytes: 10,
            items: 5,
            stories: 4,
            feeds: 1,
            feeds_failing: 1,
        });
        assert!(
            t.contains("bantin_polls_total{outcome=\"error\",class=\"timeout\"} 1"),
            "{t}"
        );
        assert!(
            t.contains("bantin_fetch_duration_seconds_bucket{le=\"0.5\"} 1"),
            "{t}"
        );
        assert!(
            t.contains("bantin_fetch_duration_seconds_bucket{le=\"+Inf\"} 2"),
            "{t}"
        );
        assert!(t.contains("bantin_items_total{kind=\"new\"} 2"), "{t}");
        assert!(
            t.contains("bantin_output_requests_total{status=\"304\"} 1"),
            "{t}"
        );
    }
}

/// What `/readyz` and the systemd watchdog judge the process by.
#[derive(Default)]
pub struct Health {
    /// Unix seconds of the scheduler's last loop iteration.
    scheduler_beat: AtomicU64,
    /// Every feed enabled at start has been polled once.
    first_pass_done: std::sync::atomic::AtomicBool,
}

impl Health {
    pub fn beat(&self) {
        self.scheduler_beat.store(
            chrono::Utc::now().timestamp().max(0) as u64,
            Ordering::Relaxed,
        );
    }

    /// The scheduler looped within `within`.
    pub fn scheduler_alive(&self, within: Duration) -> bool {
        let beat = self.scheduler_beat.load(Ordering::Relaxed);
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        beat > 0 && now.saturating_sub(beat) <= within.as_secs()
    }

    pub fn set_first_pass_done(&self) {
        self.first_pass_done.store(true, Ordering::Relaxed);
    }

    pub fn first_pass_done(&self) -> bool {
        self.first_pass_done.load(Ordering::Relaxed)
    }
}
