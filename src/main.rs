//! `ciu`: one binary for the bot and its tools. This page parses the command line; each
//! subcommand is a file of `src/cli/`.

mod cli;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

use cli::bench::BenchArgs;
use cli::duplicates::DuplicatesFormat;
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
    about = "CIU WhatsApp — Code Identificateur Unique sur WhatsApp"
)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Subcommand)]
enum Commands {
    /// Lance le serveur du webhook WhatsApp (configuration : environnement et .env).
    Serve {
        /// Vérifie seulement toute la configuration et le flux, puis s'arrête (rien
        /// n'est ouvert).
        #[arg(long)]
        check: bool,
    },
    /// Crée ou met à jour les tables (l'init_db du guide) ; ne demande que
    /// DATABASE_URL.
    Migrate,
    /// Efface maintenant les conversations expirées (le serveur le fait chaque minute).
    Cleanup,
    /// Vérifie le fichier de flux et les traductions ; code de sortie 1 à la moindre
    /// erreur.
    Check {
        #[command(flatten)]
        files: FlowFiles,
    },
    /// Discute avec le bot dans le terminal (/quitter ou Ctrl+D pour sortir), ou joue un
    /// script (un message par ligne).
    Simulate {
        #[command(flatten)]
        files: FlowFiles,
        /// Lit les messages dans ce fichier (« - » : l'entrée standard) et affiche la
        /// transcription.
        #[arg(long)]
        script: Option<PathBuf>,
    },
    /// Affiche un nouveau sel solide pour UIC_SALT.
    Salt,
    /// Affiche les statistiques : codes au total, par jour sur 30 jours, utilisateurs
    /// uniques.
    Stats {
        /// Affiche du JSON (total_uics, unique_users, per_day) au lieu du texte.
        #[arg(long)]
        json: bool,
    },
    /// Exporte les codes (ni numéro de téléphone, ni donnée personnelle).
    Export {
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
        /// Écrit dans ce fichier (lisible par son propriétaire seul) au lieu de la sortie
        /// standard.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Liste les doublons possibles : les paires de codes dont les réponses ne diffèrent
    /// que par une seule (ni réponse, ni numéro de téléphone).
    Duplicates {
        #[arg(long, value_enum, default_value_t = DuplicatesFormat::Table)]
        format: DuplicatesFormat,
        /// Écrit dans ce fichier (lisible par son propriétaire seul) au lieu de la sortie
        /// standard.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Montre ce que deviennent des réponses à une question : forme normalisée, règles
    /// d'orthographe appliquées, lieu reconnu, forme canonique et fragment du code
    /// (ex. `ciu spell last_name Tchisekedi Tshisekedi`).
    Spell {
        #[command(flatten)]
        files: FlowFiles,
        /// L'identifiant de la question (id: dans le fichier de flux), ex. last_name.
        step: String,
        /// Une ou plusieurs réponses, chacune entre guillemets si elle a des espaces.
        #[arg(required = true)]
        answers: Vec<String>,
    },
    /// Montre quelles dérivations ont émis les codes et si cette configuration (flux,
    /// règles d'orthographe, lieux, sel) donnerait les mêmes ; `--accept` confirme un
    /// changement voulu, sans quoi `serve` refuse de démarrer.
    Derivation {
        #[command(flatten)]
        files: FlowFiles,
        /// Confirme que les codes émis désormais viennent de cette empreinte (celle que
        /// `ciu derivation` affiche).
        #[arg(long, value_name = "EMPREINTE")]
        accept: Option<String>,
    },
    /// Load-test a running server with full conversations (see BENCHMARKS.md; in
    /// English).
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
        Commands::Duplicates { format, output } => run_async(cli::duplicates::run(format, output)),
        Commands::Spell {
            files,
            step,
            answers,
        } => cli::spell::run(&files, &step, &answers),
        Commands::Derivation { files, accept } => run_async(cli::derivation::run(&files, accept)),
        Commands::Bench(args) => run_async(cli::bench::run(args)),
    }
}
