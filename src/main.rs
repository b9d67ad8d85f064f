//! `ciu`: one binary for the bot and its tools. Each subcommand is a thin call into the
//! library.

use clap::{Parser, Subcommand};
use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use ciu::ciu::Salt;
use ciu::flow;
use ciu::simulate::{Simulator, DEVELOPMENT_SALT};

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Commands::Check { files } => check(&files),
        Commands::Simulate { files, script } => simulate(&files, script),
        Commands::Salt => {
            print_salt();
            ExitCode::SUCCESS
        }
    }
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
