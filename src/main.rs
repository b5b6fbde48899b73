//! The `bantin` command line: parses arguments, sets up logging, and calls the library.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use bantin::config::{Config, ConfigError};

#[derive(Parser)]
#[command(
    name = "bantin",
    version,
    about = "Aggregates news feeds and republishes curated ones"
)]
struct Cli {
    /// The configuration file.
    #[arg(
        long,
        short,
        global = true,
        env = "BANTIN_CONFIG",
        default_value = "feeds.toml"
    )]
    config: PathBuf,
    /// Log line format (logs go to standard error).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Validate the configuration; prints PATH:LINE:COL: message for every problem.
    Check,
    /// Fetch every enabled feed once now, store the items, print a line per feed.
    Poll {
        /// Poll only this feed (by name).
        #[arg(long)]
        feed: Option<String>,
    },
    /// Run the daemon: poll on schedule and serve the outputs over HTTP.
    Run {
        /// Listen here instead of [server] listen.
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
    /// List stored items, newest first.
    Items {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// At most this many items.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Explain an item's language, categories and story.
    Explain {
        /// The item's id (from `items --json`), link or guid.
        item: String,
    },
    /// Show each feed's fetch state, or enable/disable one.
    Feeds {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        action: Option<FeedsAction>,
    },
    /// Validate the config and ask the running daemon to apply it (SIGHUP).
    Reload,
    /// Write a consistent copy of the database to PATH (safe while the daemon runs).
    Backup { path: PathBuf },
    /// Add the sources of an OPML file (Miniflux, FreshRSS, Feedly exports…) to the config.
    ImportOpml { file: PathBuf },
    /// Print the configured sources as OPML 2.0.
    ExportOpml,
    /// Summarize what the database holds.
    Stats,
}

#[derive(Subcommand)]
enum FeedsAction {
    /// Set `enabled = true` on the feed in the config file (comments are kept).
    Enable { name: String },
    /// Set `enabled = false` on the feed in the config file (comments are kept).
    Disable { name: String },
}

fn init_logging(format: LogFormat, default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("BANTIN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    // Under systemd the journal adds its own timestamps.
    let under_systemd = std::env::var_os("JOURNAL_STREAM").is_some();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match (format, under_systemd) {
        (LogFormat::Json, _) => builder.json().init(),
        (LogFormat::Text, true) => builder.without_time().with_ansi(false).init(),
        (LogFormat::Text, false) => builder.init(),
    }
}

fn load(path: &std::path::Path) -> Result<Config, ConfigError> {
    Config::load(path)
}

async fn run(cli: Cli) -> Result<()> {
    let config = load(&cli.config)?;
    let mut stdout = std::io::stdout().lock();
    match cli.command {
        Command::Check => bantin::commands::check(&config, &mut stdout),
        Command::Poll { feed } => {
            bantin::commands::poll(&config, feed.as_deref(), &mut stdout).await
        }
        Command::Items { json, limit } => {
            bantin::commands::items(&config, json, limit, &mut stdout).await
        }
        Command::Feeds { json, action: None } => {
            bantin::commands::feeds(&config, json, &mut stdout).await
        }
        Command::Feeds {
            action: Some(FeedsAction::Enable { name }),
            ..
        } => bantin::commands::set_enabled(&config, &name, true, &mut stdout).await,
        Command::Feeds {
            action: Some(FeedsAction::Disable { name }),
            ..
        } => bantin::commands::set_enabled(&config, &name, false, &mut stdout).await,
        Command::Reload => bantin::commands::reload(&config, &mut stdout),
        Command::Backup { path } => bantin::commands::backup(&config, &path, &mut stdout).await,
        Command::ImportOpml { file } => bantin::commands::import_opml(&config, &file, &mut stdout),
        Command::ExportOpml => bantin::commands::export_opml(&config, &mut stdout),
        Command::Stats => bantin::commands::stats(&config, &mut stdout).await,
        Command::Explain { item } => bantin::commands::explain(&config, &item, &mut stdout).await,
        Command::Run { listen } => {
            drop(stdout);
            let addr = listen.unwrap_or(config.server.listen);
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            eprintln!(
                "bantin: serving on http://{} (feeds at {}/feeds/…)",
                listener.local_addr()?,
                config.server.base_url.as_str().trim_end_matches('/')
            );
            bantin::commands::run(config, listener).await
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    bantin::memory::tune();
    let level = match cli.command {
        Command::Run { .. } => "info",
        _ => "warn",
    };
    init_logging(cli.log_format, level);
    let runtime = match bantin::memory::runtime_builder().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bantin: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Config errors are already `PATH:LINE:COL: message` lines.
            if let Some(ce) = e.downcast_ref::<ConfigError>() {
                eprintln!("{ce}");
            } else {
                eprintln!("bantin: {e:#}");
            }
            ExitCode::FAILURE
        }
    }
}
