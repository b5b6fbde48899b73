//! Politeness towards the servers bantin polls: at most `per_host` requests to one host at a
//! time, a minimum gap (jittered) between two requests to one host, a global cap on requests in
//! flight, and hosts held back after a `Retry-After`.
//!
//! Every HTTP request (each redirect hop too) takes a [`Slot`] first. Waiting for a busy host
//! does not hold a global slot, so one slow host cannot starve the others. Time is tokio's, so
//! tests run it paused.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

struct HostState {
    permits: Arc<Semaphore>,
    /// The earliest time the next request to this host may start.
    next_start: Instant,
    /// Requests to this host are refused until then (a `Retry-After`).
    blocked_until: Option<(Instant, DateTime<Utc>)>,
}

/// Per-host and global request limits, shared by every clone of a `Fetcher`.
pub struct HostLimiter {
    per_host: usize,
    gap: Duration,
    global: Arc<Semaphore>,
    hosts: Mutex<HashMap<String, HostState>>,
}

/// Permission to send one request; released on drop.
#[derive(Debug)]
pub struct Slot {
    _host: OwnedSemaphorePermit,
    _global: OwnedSemaphorePermit,
}

/// The host is held back by a `Retry-After` until this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blocked(pub DateTime<Utc>);

/// A random factor in [1 - spread, 1 + spread).
fn jitter(spread: f64) -> f64 {
    let n = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let unit = (n >> 11) as f64 / (1u64 << 53) as f64;
    1.0 - spread + 2.0 * spread * unit
}

impl HostLimiter {
    pub fn new(global: usize, per_host: usize, gap: Duration) -> HostLimiter {
        HostLimiter {
            per_host: per_host.max(1),
            gap,
            global: Arc::new(Semaphore::new(global.max(1))),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, HostState>> {
        self.hosts.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn state<'a>(&self, map: &'a mut HashMap<String, HostState>, host: &str) -> &'a mut HostState {
        map.entry(host.to_ascii_lowercase())
            .or_insert_with(|| HostState {
                permits: Arc::new(Semaphore::new(self.per_host)),
                next_start: Instant::now(),
                blocked_until: None,
            })
    }

    /// When `host` is held back by a `Retry-After`, until when.
    pub fn blocked(&self, host: &str) -> Option<DateTime<Utc>> {
        let mut map = self.lock();
        let state = self.state(&mut map, host);
        match state.blocked_until {
            Some((until, wall)) if until > Instant::now() => Some(wall),
            Some(_) => {
                state.blocked_until = None;
                None
            }
            None => None,
        }
    }

    /// Holds `host` back for `wait` (until `wall` in wall-clock time).
    pub fn block(&self, host: &str, wait: Duration, wall: DateTime<Utc>) {
        let until = Instant::now() + wait;
        let mut map = self.lock();
        let state = self.state(&mut map, host);
        if state.blocked_until.is_none_or(|(u, _)| u < until) {
            state.blocked_until = Some((until, wall));
        }
    }

    /// Waits for a free slot for `host`: a per-host permit, the host's gap since the previous
    /// request, then a global permit. Fails at once (and again after waiting) when the host is
    /// held back.
    pub async fn acquire(&self, host: &str) -> Result<Slot, Blocked> {
        if let Some(until) = self.blocked(host) {
            return Err(Blocked(until));
        }
        let permits = {
            let mut map = self.lock();
            self.state(&mut map, host).permits.clone()
        };
        let host_permit = permits
            .acquire_owned()
            .await
            .expect("host semaphores are never closed");
        if let Some(until) = self.blocked(host) {
            return Err(Blocked(until));
        }
        // Reserve the next start time for this host, then wait for it.
        let start = {
            let mut map = self.lock();
            let state = self.state(&mut map, host);
            let start = state.next_start.max(Instant::now());
            state.next_start = start + self.gap.mul_f64(jitter(0.2));
            start
        };
        tokio::time::sleep_until(start).await;
        if let Some(until) = self.blocked(host) {
            return Err(Blocked(until));
        }
        let global = self
            .global
            .clone()
            .acquire_owned()
            .await
            .expect("the global semaphore is never closed");
        Ok(Slot {
            _host: host_permit,
            _global: global,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_to_one_host_keep_their_gap() {
        let limiter = Arc::new(HostLimiter::new(8, 1, Duration::from_secs(10)));
        let t0 = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..4 {
            let slot = limiter.acquire("a.example").await.unwrap();
            starts.push(t0.elapsed());
            drop(slot);
        }
        for pair in starts.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(
                gap >= Duration::from_secs(8) && gap <= Duration::from_secs(12),
                "{starts:?}"
            );
        }
        // Another host is not held up by the first one's gap.
        let t1 = Instant::now();
        drop(limiter.acquire("b.example").await.unwrap());
        assert!(t1.elapsed() < Duration::from_millis(1));
    }

    #[tokio::test(start_paused = true)]
    async fn per_host_limits_concurrency_and_global_caps_all() {
        let limiter = Arc::new(HostLimiter::new(2, 1, Duration::ZERO));
        let held = limiter.acquire("a.example").await.unwrap();
        // A second request to a.example waits for the first to finish.
        let l2 = limiter.clone();
        let waiting = tokio::spawn(async move { l2.acquire("A.example").await.map(|_| ()) });
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(!waiting.is_finished());
        // Other hosts proceed, up to the global cap of 2.
        let b = limiter.acquire("b.example").await.unwrap();
        let l3 = limiter.clone();
        let third = tokio::spawn(async move { l3.acquire("c.example").await.map(|_| ()) });
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(!third.is_finished());
        drop(b);
        third.await.unwrap().unwrap();
        drop(held);
        waiting.await.unwrap().unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_blocks_the_host_until_it_expires() {
        let limiter = HostLimiter::new(8, 1, Duration::ZERO);
        let wall = Utc::now() + chrono::Duration::seconds(120);
        limiter.block("a.example", Duration::from_secs(120), wall);
        assert_eq!(
            limiter.acquire("a.example").await.unwrap_err(),
            Blocked(wall)
        );
        assert!(limiter.acquire("b.example").await.is_ok());
        tokio::time::sleep(Duration::from_secs(121)).await;
        assert!(limiter.acquire("a.example").await.is_ok());
    }
}
