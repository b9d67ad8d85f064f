//! `ciu`: one binary for the bot and its tools. This page parses the command line; each
//! subcommand is a file of `src/cli/`.

mod cli;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

use cli::bench::BenchArgs;
use cli::export::ExportFormat;
use cli::{run_async, FlowFiles};

/// jemalloc instead of the system allocator: measured with `bench/run.sh`, ~15 % less
/// CPU per request. The system allocator keeps per-thread arenas that grow the memory
/// of a server with many open connections; one arena, and small per-thread caches,
/// keep `ciu serve` under 40 MB with 500 connections (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc reads its settings from this symbol (the crate prefixes jemalloc's names
/// with `_rjem_`); `_RJEM_MALLOC_CONF` in the environment can still override them.
#[export_name = "_rjem_malloc_conf"]
pub static JEMALLOC_SETTINGS: &[u8; 26] = b"narenas:1,tcache_max:4096\0";

#[derive(Parser)]
#[command(
    name = "ciu",
    version,
    about = "CIU WhatsApp — Code Identificateur Unique over WhatsApp"
)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Subcommand)]
enum Commands {
    /// Run the WhatsApp webhook server (configuration from the environment and .env).
    Serve {
        /// Only check the whole configuration and the flow, then stop (nothing is
        /// opened).
        #[arg(long)]
        check: bool,
    },
    /// Create or update the database tables (the guide's init_db); needs only the
    /// database settings.
    Migrate,
    /// Erase expired conversations now (the server also does it every minute).
    Cleanup,
    /// Check the flow file and the translations; exit status 1 on any error.
    Check {
        #[command(flatten)]
        files: FlowFiles,
    },
    /// Chat with the bot in the terminal (or run a script: one message per line).
    Simulate {
        #[command(flatten)]
        files: FlowFiles,
        /// Read messages from this file ("-" for standard input) and print the transcript.
        #[arg(long)]
        script: Option<PathBuf>,
    },
    /// Print a new strong salt for UIC_SALT.
    Salt,
    /// Print the statistics: codes in total, per day over the last 30 days, unique users.
    Stats {
        /// Print JSON (total_uics, unique_users, per_day) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Export the codes (no phone number, no personal data).
    Export {
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
        /// Write to this file (readable by its owner only) instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Load-test a running server with full conversations (see BENCHMARKS.md).
    Bench(BenchArgs),
}

fn main() -> ExitCode {
    // Make .env values visible to the options below too (FLOW_PATH, LOCALES_DIR); a
    // malformed .env is reported, with its line, when the settings are read.
    let _ = dotenvy::dotenv();
    match Cli::parse().command {
        Commands::Serve { check: true } => cli::serve::check_only(),
        Commands::Serve { check: false } => run_async(cli::serve::run()),
        Commands::Migrate => run_async(cli::migrate::run()),
        Commands::Cleanup => run_async(cli::cleanup::run()),
        Commands::Check { files } => cli::check::run(&files),
        Commands::Simulate { files, script } => cli::simulate::run(&files, script),
        Commands::Salt => cli::salt::run(),
        Commands::Stats { json } => run_async(cli::stats::run(json)),
        Commands::Export { format, output } => run_async(cli::export::run(format, output)),
        Commands::Bench(args) => run_async(cli::bench::run(args)),
    }
}
