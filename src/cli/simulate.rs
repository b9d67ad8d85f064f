//! `ciu simulate`: the bot in a terminal (interactive), or a script's transcript. It
//! uses the salt `serve` would use in development: `UIC_SALT` when set, else the
//! development salt of `.ciu-dev-salt`, so the same answers give the same code.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use ciu::config::{SaltSettings, SaltSource};
use ciu::simulate::Simulator;

use super::FlowFiles;

/// Typed alone on a line, ends an interactive simulation (as does Ctrl+D).
pub const QUIT_COMMAND: &str = "/quitter";

pub fn run(files: &FlowFiles, script: Option<PathBuf>) -> ExitCode {
    let Some(flow) = super::load_flow(files) else {
        return ExitCode::FAILURE;
    };
    let salt = match SaltSettings::for_simulation_from_env() {
        Ok(salt) => salt,
        Err(errors) => {
            super::report_config_errors(&errors);
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "[simulation de {} — {}]",
        files.flow.display(),
        salt_label(&salt.source)
    );
    let mut simulator = Simulator::new(&flow, &salt.salt, chrono::Utc::now());
    if script.is_none() && std::io::stdin().is_terminal() {
        chat(&mut simulator);
        return ExitCode::SUCCESS;
    }
    let mut text = String::new();
    let read = match &script {
        Some(path) if path.as_os_str() != "-" => std::fs::read_to_string(path).map(|t| text = t),
        _ => std::io::stdin().read_to_string(&mut text).map(|_| ()),
    };
    if let Err(e) = read {
        eprintln!("impossible de lire le script : {e}");
        return ExitCode::FAILURE;
    }
    print!("{}", simulator.run_script(&text));
    ExitCode::SUCCESS
}

/// Which salt the codes come from: never production's unless `UIC_SALT` is set.
fn salt_label(source: &SaltSource) -> String {
    match source {
        SaltSource::Configured => "UIC_SALT".to_owned(),
        SaltSource::DevelopmentFile { path, created } => format!(
            "sel de DÉVELOPPEMENT {} dans {}, le même que `ciu serve` sans UIC_SALT — codes \
             non valables en production",
            if *created { "créé" } else { "repris" },
            path.display()
        ),
    }
}

/// The interactive chat: one message per line until Ctrl+D or [`QUIT_COMMAND`].
fn chat(simulator: &mut Simulator) {
    eprintln!("Écrivez vos messages ({QUIT_COMMAND} ou Ctrl+D pour quitter). !wait N avance l'horloge de N minutes, !media envoie une image.");
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout();
    let _ = write!(stdout, "vous> ");
    let _ = stdout.flush();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if is_quit(&line) {
            break;
        }
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
}

/// `STOP`, `quit` and the like are messages to the bot (it has its own words to end a
/// conversation); only the simulator's own command leaves the terminal.
fn is_quit(line: &str) -> bool {
    line.trim().eq_ignore_ascii_case(QUIT_COMMAND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_simulators_command_quits() {
        assert!(is_quit("/quitter"));
        assert!(is_quit("  /QUITTER "));
        for message in ["STOP", "quit", "quitter", "/quitte"] {
            assert!(!is_quit(message), "{message}");
        }
    }
}
