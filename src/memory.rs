//! Keeps the daemon's memory flat: glibc tuning, and a bounded blocking pool.
//!
//! A poll allocates a few large, short-lived buffers per feed (the body, its decoded and
//! repaired text: each about the document's size) on whichever blocking thread runs it, while
//! the render cache keeps long-lived documents. With glibc's defaults (one arena per thread,
//! up to 8 × cores, and an mmap threshold that rises after the first large free) the large
//! buffers end up in the arenas between long-lived blocks, and freed memory is kept: RSS grew
//! by ~80 MiB over 10 polls in `examples/loadgen` while the live heap stayed ~45 MiB.
//! [`tune`] caps the arenas and pins the mmap threshold so large buffers go back to the
//! system when freed; [`release`] hands the arenas' free pages back after a burst of work.
//! Elsewhere than Linux/glibc both do nothing.

/// Large allocations at or above this size are served by mmap and unmapped on free.
pub const MMAP_THRESHOLD: i32 = 128 * 1024;

/// Sets the allocator's limits for a long-running process. Call once, early, from `main`.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; it is safe to call at any time.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 2 * MMAP_THRESHOLD);
    }
}

/// Threads of the blocking pool at most. Store calls queue for one SQLite connection, so
/// while a fetch is being written every other poll's small store call (status, 304, error)
/// waited on a thread of its own: tokio's default of 512 let a pass over 300 feeds grow to
/// 130 threads, each keeping its stack and thread-local caches (≈ 20 MiB of RSS in
/// `examples/loadgen`). Parsing is bounded to the cores anyway (`pipeline::CPU_SLOTS`).
pub const MAX_BLOCKING_THREADS: usize = 16;

/// The daemon's tokio runtime, with [`MAX_BLOCKING_THREADS`].
pub fn runtime_builder() -> tokio::runtime::Builder {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .enable_all();
    builder
}

/// Returns freed heap pages to the system (after a poll burst and its render).
pub fn release() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; it is safe to call at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}
