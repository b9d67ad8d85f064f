//! `ciu`: one binary for the bot and its tools. Each subcommand is a thin call into the
//! library.

use clap::{Parser, Subcommand};
use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use ciu::ciu::Salt;
use ciu::config::{SaltSource, Settings};
use ciu::flow;
use ciu::reports;
use ciu::simulate::{Simulator, DEVELOPMENT_SALT};
use ciu::startup::{self, Application, FlowErrors};

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

#[derive(clap::Args, Clone)]
struct FlowFiles {
    /// Flow file.
    #[arg(long, env = "FLOW_PATH", default_value = "flows/ciu.yaml")]
    flow: PathBuf,
    /// Folder of the message catalogs (one sub-folder per language).
    #[arg(long, env = "LOCALES_DIR", default_value = "locales")]
    locales: PathBuf,
}

#[derive(Subcommand)]
enum Commands {
    /// Run the WhatsApp webhook server (configuration from the environment and .env).
    Serve,
    /// Create or update the database tables (the guide's init_db).
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

#[derive(clap::Args)]
struct BenchArgs {
    /// The webhook of the server under test.
    #[arg(long, default_value = "http://127.0.0.1:8000/whatsapp/webhook")]
    url: String,
    /// Full conversations to run (8 requests each).
    #[arg(long, default_value_t = 2000)]
    conversations: usize,
    /// Conversations in progress at the same time.
    #[arg(long, default_value_t = 50)]
    in_flight: usize,
    /// Digits after +243 shared by this run's phones (change it between runs on one
    /// database, or every conversation continues a finished one).
    #[arg(long, default_value = "9")]
    phone_prefix: String,
    /// First measure the floor: a bare handler that parses the form and returns a fixed
    /// TwiML, started in this process.
    #[arg(long)]
    floor: bool,
    /// Process id of the server, to report its CPU time and memory after the load.
    #[arg(long)]
    server_pid: Option<u32>,
}

#[derive(clap::ValueEnum, Clone, Copy)]
enum ExportFormat {
    /// uic_code, created_at, last_requested_at, request_count, flow_id, flow_version
    Csv,
}

fn main() -> ExitCode {
    // Make .env values visible to the options below too (FLOW_PATH, LOCALES_DIR); a
    // malformed .env is reported, with its line, when the settings are read.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    match cli.command {
        Commands::Serve => run_async(serve()),
        Commands::Migrate => run_async(migrate()),
        Commands::Cleanup => run_async(cleanup()),
        Commands::Check { files } => check(&files),
        Commands::Simulate { files, script } => simulate(&files, script),
        Commands::Bench(args) => run_async(bench(args)),
        Commands::Salt => {
            print_salt();
            ExitCode::SUCCESS
        }
        Commands::Stats { json } => run_async(stats(json)),
        Commands::Export { format, output } => run_async(export(format, output)),
    }
}

fn run_async(task: impl std::future::Future<Output = ExitCode>) -> ExitCode {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(task),
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Reads the settings; on errors prints each one (variable and what to do).
fn settings() -> Option<Settings> {
    match Settings::from_env() {
        Ok(settings) => {
            if let SaltSource::DevelopmentFile { path, created } = &settings.salt_source {
                eprintln!(
                    "ATTENTION : UIC_SALT n'est pas défini. Sel de DÉVELOPPEMENT {} dans {} : les codes produits ne sont PAS valables en production. En production, générez un sel avec `ciu salt` et mettez-le dans .env (UIC_SALT=...).",
                    if *created { "créé" } else { "repris" },
                    path.display()
                );
            }
            Some(settings)
        }
        Err(errors) => {
            for error in &errors.0 {
                eprintln!("{error}");
            }
            eprintln!("Corrigez le fichier .env (voir .env.example) puis relancez.");
            None
        }
    }
}

async fn serve() -> ExitCode {
    let Some(settings) = settings() else {
        return ExitCode::FAILURE;
    };
    ciu::telemetry::init_logging(settings.log_level, settings.log_json);
    tracing::info!(
        environment = ?settings.environment,
        twilio = settings.channels.twilio,
        meta = settings.channels.meta,
        database = %settings.database_url_for_logs(),
        flow = %settings.flow_path.display(),
        "starting {} {}",
        settings.app_name,
        settings.app_version
    );
    let application = match Application::build(settings).await {
        Ok(app) => app,
        Err(e) => {
            report_startup_error(&e);
            return ExitCode::FAILURE;
        }
    };
    match application.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("server error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn report_startup_error(error: &anyhow::Error) {
    if let Some(FlowErrors(diagnostics)) = error.downcast_ref::<FlowErrors>() {
        for d in diagnostics {
            eprintln!("{d}");
        }
        eprintln!("Le flux a des erreurs : le serveur ne démarre pas. Corrigez-les (ciu check) puis relancez.");
    } else {
        eprintln!("Démarrage impossible : {error:#}");
    }
}

async fn migrate() -> ExitCode {
    let Some(settings) = settings() else {
        return ExitCode::FAILURE;
    };
    match startup::connect_store(&settings).await {
        Ok(store) => {
            println!("Tables de base de données créées avec succès !");
            println!(
                "Base de données ({}) : {}",
                store.backend_name(),
                settings.database_url_for_logs()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("Échec de la migration : {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The settings' database, migrated; errors are printed (variable, or connection).
async fn open_store() -> Option<ciu::store::Store> {
    let settings = settings()?;
    match startup::connect_store(&settings).await {
        Ok(store) => Some(store),
        Err(e) => {
            eprintln!("{e:#}");
            None
        }
    }
}

async fn cleanup() -> ExitCode {
    let Some(store) = open_store().await else {
        return ExitCode::FAILURE;
    };
    match store.cleanup_expired(chrono::Utc::now()).await {
        Ok(n) => {
            println!("{{\"status\":\"success\",\"sessions_cleaned\":{n}}}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

async fn stats(json: bool) -> ExitCode {
    let Some(store) = open_store().await else {
        return ExitCode::FAILURE;
    };
    match store.stats(chrono::Utc::now()).await {
        Ok(stats) if json => {
            println!("{}", reports::stats_json(&stats));
            ExitCode::SUCCESS
        }
        Ok(stats) => {
            print!("{}", reports::stats_text(&stats, store.backend_name()));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

async fn export(format: ExportFormat, output: Option<PathBuf>) -> ExitCode {
    // `--format` names the format so others can be added; CSV is the one there is.
    let ExportFormat::Csv = format;
    let Some(store) = open_store().await else {
        return ExitCode::FAILURE;
    };
    let outcome = match &output {
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            reports::write_csv(&store, &mut out).await
        }
        Some(path) => match create_private_file(path) {
            Ok(file) => {
                let written = reports::write_csv(&store, &mut std::io::BufWriter::new(file)).await;
                if written.is_err() {
                    // A half-written export must not pass for a complete one.
                    let _ = std::fs::remove_file(path);
                }
                written
            }
            Err(e) => {
                eprintln!("impossible de créer {} : {e}", path.display());
                return ExitCode::FAILURE;
            }
        },
    };
    match outcome {
        Ok(count) => {
            if let Some(path) = &output {
                eprintln!("{count} CIU exportés dans {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("Échec de l'export : {e}");
            ExitCode::FAILURE
        }
    }
}

/// A new file only its owner can read: an export is a list of the programme's clients'
/// codes.
fn create_private_file(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn check(files: &FlowFiles) -> ExitCode {
    match flow::load(&files.flow, &files.locales) {
        Ok(loaded) => {
            for warning in &loaded.warnings {
                eprintln!("{warning}");
            }
            let f = &loaded.flow;
            println!(
                "OK : {} — {} questions, langues : {}{}.",
                files.flow.display(),
                f.steps.len(),
                f.def.locales.join(", "),
                if loaded.warnings.is_empty() {
                    String::new()
                } else {
                    format!(" ({} avertissement(s))", loaded.warnings.len())
                }
            );
            compare_derivation(f);
            ExitCode::SUCCESS
        }
        Err(diagnostics) => {
            for d in &diagnostics {
                eprintln!("{d}");
            }
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            eprintln!("{errors} erreur(s) : corrigez-les puis relancez `ciu check`.");
            ExitCode::FAILURE
        }
    }
}

/// With the salt (and the database) at hand, says whether this flow would give the
/// same codes as the ones already issued.
fn compare_derivation(flow: &flow::Flow) {
    let salt = match std::env::var("UIC_SALT") {
        Err(_) => {
            println!("(UIC_SALT non défini : l'empreinte de la dérivation n'est pas comparée aux codes déjà émis.)");
            return;
        }
        Ok(value) => match Salt::new(&value) {
            Ok(salt) => salt,
            Err(e) => {
                eprintln!("UIC_SALT invalide, empreinte non calculée : {e}");
                return;
            }
        },
    };
    let fingerprint = ciu::ciu::derivation_fingerprint(&salt, &flow.derivation);
    println!("Empreinte de la dérivation des codes : {fingerprint}");
    let Ok(url) = std::env::var("DATABASE_URL") else {
        println!("(DATABASE_URL non défini : pas de comparaison avec les codes déjà émis.)");
        return;
    };
    // Never create a database just to look into it.
    if let Some(path) = url.strip_prefix("sqlite://") {
        if !std::path::Path::new(path).exists() {
            println!("(La base {path} n'existe pas encore : aucun code émis à comparer.)");
            return;
        }
    }
    let previous = run_async_value(async {
        let store = ciu::store::Store::connect(&url).await?;
        store.latest_fingerprint(&flow.def.id).await
    });
    match previous {
        Some(Ok(Some(previous))) if previous != fingerprint => {
            eprintln!(
                "{} (base : {previous}, ce flux : {fingerprint})",
                startup::DERIVATION_CHANGED
            );
        }
        Some(Ok(Some(_))) => {
            println!("Identique à celle du dernier code enregistré : les codes ne changent pas.")
        }
        Some(Ok(None)) => println!("(Aucun code encore émis dans la base.)"),
        Some(Err(e)) => {
            eprintln!("Base de données non consultée ({e}) : l'empreinte n'a pas été comparée.")
        }
        None => eprintln!("Base de données non consultée : l'empreinte n'a pas été comparée."),
    }
}

fn run_async_value<T>(task: impl std::future::Future<Output = T>) -> Option<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    Some(runtime.block_on(task))
}

fn simulate(files: &FlowFiles, script: Option<PathBuf>) -> ExitCode {
    let loaded = match flow::load(&files.flow, &files.locales) {
        Ok(l) => l,
        Err(diagnostics) => {
            for d in &diagnostics {
                eprintln!("{d}");
            }
            eprintln!("Le flux a des erreurs : corrigez-les (ciu check) avant de simuler.");
            return ExitCode::FAILURE;
        }
    };
    let (salt, label) = match std::env::var("UIC_SALT") {
        Ok(value) => match Salt::new(&value) {
            Ok(salt) => (salt, "UIC_SALT"),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        },
        Err(_) => (
            Salt::new(DEVELOPMENT_SALT).expect("the development salt is valid"),
            "sel de DÉVELOPPEMENT — codes non valables en production",
        ),
    };
    eprintln!("[simulation de {} — {label}]", files.flow.display());
    let mut simulator = Simulator::new(&loaded.flow, &salt, chrono::Utc::now());
    let interactive = script.is_none() && std::io::stdin().is_terminal();
    if !interactive {
        let mut text = String::new();
        let read = match &script {
            Some(path) if path.as_os_str() != "-" => {
                std::fs::read_to_string(path).map(|t| text = t)
            }
            _ => std::io::stdin().read_to_string(&mut text).map(|_| ()),
        };
        if let Err(e) = read {
            eprintln!("impossible de lire le script : {e}");
            return ExitCode::FAILURE;
        }
        print!("{}", simulator.run_script(&text));
        return ExitCode::SUCCESS;
    }
    eprintln!("Écrivez vos messages (Ctrl+D pour quitter). !wait N avance l'horloge de N minutes, !media envoie une image.");
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout();
    let _ = write!(stdout, "vous> ");
    let _ = stdout.flush();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        simulator.now = simulator.now.max(chrono::Utc::now());
        let transcript = simulator.run_script(&line);
        for l in transcript.lines().filter(|l| l.starts_with('<')) {
            let _ = writeln!(stdout, "bot> {}", l.trim_start_matches('<').trim_start());
        }
        let _ = writeln!(stdout);
        let _ = write!(stdout, "vous> ");
        let _ = stdout.flush();
    }
    let _ = writeln!(stdout);
    ExitCode::SUCCESS
}

async fn bench(args: BenchArgs) -> ExitCode {
    use ciu::bench::{cpu_time, resident_memory, run_load, start_floor_server, LoadPlan};
    let plan = LoadPlan {
        url: args.url,
        conversations: args.conversations,
        in_flight: args.in_flight,
        phone_prefix: args.phone_prefix,
    };
    println!(
        "{} conversations, {} in flight",
        plan.conversations, plan.in_flight
    );
    let mut floor_rate = None;
    if args.floor {
        let floor = match start_floor_server() {
            Ok(url) => {
                run_load(
                    &LoadPlan {
                        url,
                        ..plan.clone()
                    },
                    false,
                )
                .await
            }
            Err(e) => Err(e),
        };
        match floor {
            Ok(report) => {
                println!("{}", report.summary("floor"));
                floor_rate = Some(report.requests_per_second());
            }
            Err(e) => {
                eprintln!("floor: {e:#}");
                return ExitCode::FAILURE;
            }
        }
    }
    let cpu_before = args.server_pid.and_then(cpu_time);
    let report = match run_load(&plan, true).await {
        Ok(report) => report,
        Err(e) => {
            eprintln!("{e:#}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", report.summary("server"));
    if let Some(floor) = floor_rate {
        println!(
            "server / floor: {:.1}%",
            100.0 * report.requests_per_second() / floor
        );
    }
    if let Some(pid) = args.server_pid {
        if let (Some(before), Some(after)) = (cpu_before, cpu_time(pid)) {
            let used = after.saturating_sub(before);
            println!(
                "server CPU: {:.2} s, {:.0} µs per request",
                used.as_secs_f64(),
                used.as_secs_f64() * 1e6 / report.requests.max(1) as f64
            );
        }
        match resident_memory(pid) {
            Some((peak, now)) => println!("server memory: peak {peak}, now {now}"),
            None => eprintln!("cannot read /proc/{pid}/status"),
        }
    }
    for sample in &report.error_samples {
        eprintln!("error: {sample}");
    }
    if report.errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn print_salt() {
    let salt = Salt::generate();
    println!("Sel généré (longueur : {} caractères) :", salt.len());
    println!();
    println!("{salt}");
    println!();
    println!("Ajoutez-le à votre fichier .env :");
    println!("UIC_SALT=\"{salt}\"");
    println!();
    println!("Gardez-le secret et ne le committez jamais. Changer le sel change tous les codes générés ensuite.");
}
