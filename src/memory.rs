//! Keeps the daemon's memory flat on glibc.
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

/// Returns freed heap pages to the system (after a poll burst and its render).
pub fn release() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; it is safe to call at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}
