//! bantin: a news feed aggregator that polls sources, normalizes and curates their items,
//! stores them in SQLite and republishes curated RSS / Atom / JSON Feed outputs.
//!
//! Data flows one way; each module owns one step (see ARCHITECTURE.md):
//! `config` → `schedule` → `fetch` → `normalize` → `classify` / `dedup` → `store` → `render` → `server`,
//! wired together by `pipeline` (one feed, one pass) and `daemon` (tasks, signals).

pub mod admin;
pub mod classify;
pub mod commands;
pub mod config;
pub mod daemon;
pub mod dedup;
pub mod fetch;
pub mod memory;
pub mod metrics;
pub mod model;
pub mod normalize;
pub mod pipeline;
pub mod render;
pub mod schedule;
pub mod server;
pub mod store;
pub mod story;
pub mod websub;
