//! The CLI's configuration rules, through the real binary: each subcommand asks only for
//! the settings it uses, errors are in French and point at the `.env` line, and
//! `simulate` gives the codes `serve` would give in development.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ciu::config::Settings;
use ciu::simulate::Simulator;

const SALT: &str = "Cli-test-salt-0123456789-xyz";
const CHAT: &str = "Bonjour\n1\n1985\nKinshasa\nJean\n15\nKabila\nOui\n";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary in `dir` with only `vars` in its environment (nothing inherited).
fn ciu(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ciu"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(vars.iter().copied())
        .output()
        .unwrap()
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn migrate_in_production_needs_only_the_database_but_serve_needs_every_secret() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ciu.db").display());
    let vars = [
        ("ENVIRONMENT", "production"),
        ("DATABASE_URL", url.as_str()),
        ("UIC_SALT", SALT),
    ];
    let migrated = ciu(dir.path(), &["migrate"], &vars);
    assert!(migrated.status.success(), "{}", stderr_of(&migrated));
    assert!(String::from_utf8_lossy(&migrated.stdout).contains("créées avec succès"));
    for args in [&["stats", "--json"][..], &["cleanup"][..]] {
        let output = ciu(dir.path(), args, &vars);
        assert!(output.status.success(), "{args:?}: {}", stderr_of(&output));
    }

    for args in [&["serve"][..], &["serve", "--check"][..]] {
        let refused = ciu(dir.path(), args, &vars);
        assert!(!refused.status.success(), "{args:?}");
        let stderr = stderr_of(&refused);
        for variable in ["TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL", "ADMIN_TOKEN"] {
            assert!(
                stderr.contains(&format!(
                    "{variable} est obligatoire avec ENVIRONMENT=production : "
                )),
                "{args:?}: {stderr}"
            );
        }
        assert!(stderr.contains("Corrigez le fichier .env"), "{stderr}");
    }

    // Without the database, migrate names it and nothing else.
    let refused = ciu(dir.path(), &["migrate"], &[("ENVIRONMENT", "production")]);
    assert!(!refused.status.success());
    let stderr = stderr_of(&refused);
    assert!(
        stderr.starts_with("DATABASE_URL est obligatoire avec ENVIRONMENT=production : "),
        "{stderr}"
    );
    assert!(
        !stderr.contains("UIC_SALT") && !stderr.contains("TWILIO"),
        "{stderr}"
    );
}

#[test]
fn a_bad_value_in_env_names_the_file_line_and_what_to_write() {
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join(".env");
    std::fs::write(&env_file, "# réglages\nHOST=127.0.0.1\nPORT=80a\n").unwrap();
    let output = ciu(dir.path(), &["serve", "--check"], &[("UIC_SALT", SALT)]);
    assert!(!output.status.success());
    assert_eq!(
        stderr_of(&output).lines().next().unwrap(),
        format!(
            "PORT ({}:3) : « 80a » n'est pas un numéro de port ; mettez un nombre entre 1 et \
             65535 (par exemple 8000).",
            env_file.display()
        )
    );

    // The same value from the process environment names no file.
    std::fs::remove_file(&env_file).unwrap();
    let output = ciu(
        dir.path(),
        &["serve", "--check"],
        &[("UIC_SALT", SALT), ("PORT", "80a")],
    );
    assert!(stderr_of(&output).starts_with("PORT : « 80a » n'est pas un numéro de port"));
}

#[test]
fn serve_check_reads_everything_and_opens_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let flow = root().join("flows/ciu.yaml");
    let locales = root().join("locales");
    let output = ciu(
        dir.path(),
        &["serve", "--check"],
        &[
            ("UIC_SALT", SALT),
            ("FLOW_PATH", flow.to_str().unwrap()),
            ("LOCALES_DIR", locales.to_str().unwrap()),
        ],
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("Configuration du serveur complète"));
    assert!(
        !dir.path().join("ciu.db").exists(),
        "no database is created"
    );
}

fn simulate(dir: &Path, vars: &[(&str, &str)]) -> Output {
    std::fs::write(dir.join("chat.txt"), CHAT).unwrap();
    let flow = root().join("flows/ciu.yaml");
    let locales = root().join("locales");
    let args = [
        "simulate",
        "--flow",
        flow.to_str().unwrap(),
        "--locales",
        locales.to_str().unwrap(),
        "--script",
        "chat.txt",
    ];
    let output = ciu(dir, &args, vars);
    assert!(output.status.success(), "{}", stderr_of(&output));
    output
}

/// The transcript `serve`'s salt gives, through the same engine.
fn transcript_with_the_servers_salt(dir: &Path, vars: &[(&str, &str)]) -> String {
    let settings = Settings::from_lookup(
        |name| {
            vars.iter()
                .find(|(variable, _)| *variable == name)
                .map(|(_, value)| value.to_string())
        },
        dir,
    )
    .unwrap();
    let loaded = ciu::flow::load(&root().join("flows/ciu.yaml"), &root().join("locales")).unwrap();
    Simulator::new(&loaded.flow, &settings.salt, chrono::Utc::now()).run_script(CHAT)
}

#[test]
fn simulate_and_serve_give_one_code_for_the_same_answers() {
    let dir = tempfile::tempdir().unwrap();
    let first = simulate(dir.path(), &[]);
    let stderr = stderr_of(&first);
    assert!(
        stderr.contains("sel de DÉVELOPPEMENT créé dans"),
        "{stderr}"
    );
    assert!(
        stderr.contains("codes non valables en production"),
        "{stderr}"
    );
    let transcript = String::from_utf8(first.stdout).unwrap();
    assert!(
        transcript.contains("Votre CIU a été généré"),
        "{transcript}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let salt_file = dir.path().join(".ciu-dev-salt");
        let mode = std::fs::metadata(salt_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let second = simulate(dir.path(), &[("ENVIRONMENT", "production")]);
    assert!(stderr_of(&second).contains("sel de DÉVELOPPEMENT repris dans"));
    assert_eq!(String::from_utf8(second.stdout).unwrap(), transcript);
    assert_eq!(
        transcript_with_the_servers_salt(dir.path(), &[]),
        transcript
    );

    // With UIC_SALT both use it, and the code is another one.
    let configured = simulate(dir.path(), &[("UIC_SALT", SALT)]);
    assert!(stderr_of(&configured).contains("— UIC_SALT]"));
    let with_salt = String::from_utf8(configured.stdout).unwrap();
    assert_ne!(with_salt, transcript);
    assert_eq!(
        transcript_with_the_servers_salt(dir.path(), &[("UIC_SALT", SALT)]),
        with_salt
    );
}

/// `serve` with these variables: whether it would start (the real build path, port 0).
fn serve_builds(dir: &Path, vars: &[(&str, &str)]) -> Result<(), String> {
    let mut all: Vec<(&str, &str)> = vec![("PORT", "0"), ("HOST", "127.0.0.1")];
    all.extend_from_slice(vars);
    let settings = Settings::from_lookup(
        |name| {
            all.iter()
                .find(|(variable, _)| *variable == name)
                .map(|(_, value)| value.to_string())
        },
        dir,
    )
    .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime
        .block_on(ciu::startup::Application::build(settings))
        .map(drop)
        .map_err(|e| format!("{e:#}"))
}

#[test]
fn a_changed_derivation_stops_serve_until_the_deployer_confirms_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ciu.db").display());
    let flow = root().join("flows/ciu.yaml").display().to_string();
    let locales = root().join("locales").display().to_string();
    let vars = |salt: &'static str| -> Vec<(&'static str, String)> {
        vec![
            ("DATABASE_URL", url.clone()),
            ("UIC_SALT", salt.to_owned()),
            ("FLOW_PATH", flow.clone()),
            ("LOCALES_DIR", locales.clone()),
        ]
    };
    let run = |args: &[&str], vars: &[(&'static str, String)]| {
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        ciu(dir.path(), args, &vars)
    };
    let serve = |vars: &[(&'static str, String)]| {
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        serve_builds(dir.path(), &vars)
    };
    let old = vars(SALT);
    let seeded = run(&["bench", "--seed", "30"], &old);
    assert!(seeded.status.success(), "{}", stderr_of(&seeded));

    // Same configuration: nothing to confirm anywhere.
    let same = run(&["derivation"], &old);
    assert!(same.status.success(), "{}", stderr_of(&same));
    let shown = String::from_utf8_lossy(&same.stdout).into_owned();
    assert!(shown.contains("30 code(s)"), "{shown}");
    assert!(shown.contains("Les codes ne changent pas"), "{shown}");
    assert!(run(&["check"], &old).status.success());
    assert!(serve(&old).is_ok());

    // Another salt: check fails, derivation explains, serve refuses to start.
    let new = vars("Another-cli-salt-9876543210-abc");
    let check = run(&["check"], &new);
    assert!(!check.status.success());
    assert!(
        stderr_of(&check).contains("a changé"),
        "{}",
        stderr_of(&check)
    );
    let refused = run(&["derivation"], &new);
    assert!(!refused.status.success());
    let explained = stderr_of(&refused);
    assert!(explained.contains("AUTRE code"), "{explained}");
    let stdout = String::from_utf8_lossy(&refused.stdout).into_owned();
    let fingerprint = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Empreinte de la dérivation de cette configuration : "))
        .unwrap()
        .to_owned();
    assert!(explained.contains(&format!("ciu derivation --accept {fingerprint}")));
    let error = serve(&new).unwrap_err();
    assert!(error.contains("ciu derivation --accept"), "{error}");

    // A fingerprint other than the one shown is not a confirmation.
    let wrong = run(&["derivation", "--accept", "0123456789abcdef"], &new);
    assert!(!wrong.status.success());
    assert!(serve(&new).is_err());

    // Confirmed: serve starts, check passes.
    let accepted = run(&["derivation", "--accept", &fingerprint], &new);
    assert!(accepted.status.success(), "{}", stderr_of(&accepted));
    assert!(serve(&new).is_ok());
    assert!(run(&["check"], &new).status.success());
}

#[test]
fn spell_shows_what_answers_become_and_whether_they_give_one_code() {
    let dir = tempfile::tempdir().unwrap();
    let flow = root().join("flows/ciu.yaml").display().to_string();
    let locales = root().join("locales").display().to_string();
    let spell = |args: &[&str]| {
        let mut all = vec!["spell", "--flow", &flow, "--locales", &locales];
        all.extend_from_slice(args);
        ciu(dir.path(), &all, &[])
    };
    let same = spell(&["last_name", "Tchisekedi", "Tshisekedi"]);
    assert!(same.status.success(), "{}", stderr_of(&same));
    let shown = String::from_utf8_lossy(&same.stdout).into_owned();
    assert!(
        shown.contains("TCH → TSH (") && shown.contains("spelling.yaml:"),
        "{shown}"
    );
    assert!(shown.contains("forme canonique    : TSHISEKEDI"), "{shown}");
    assert!(shown.contains("fragment du code   : TSHI"), "{shown}");
    assert!(shown.contains("le même code"), "{shown}");

    // A former name of a place: the gazetteer's place, with its line.
    let place = spell(&["mother_birthplace", "Léopoldville"]);
    let shown = String::from_utf8_lossy(&place.stdout).into_owned();
    assert!(shown.contains("lieu du répertoire : Kinshasa ("), "{shown}");
    assert!(shown.contains("fragment du code   : KINS"), "{shown}");

    // Gendered forms stay apart.
    let apart = spell(&["first_name", "Jean", "Jeanne"]);
    let shown = String::from_utf8_lossy(&apart.stdout).into_owned();
    assert!(shown.contains("des codes différents"), "{shown}");

    // A refused answer says why, as the person would read it; an unknown step lists the
    // real ones.
    let refused = spell(&["birth_year", "3000"]);
    assert!(!refused.status.success());
    assert!(
        stderr_of(&refused).contains("4 chiffres"),
        "{}",
        stderr_of(&refused)
    );
    let unknown = spell(&["nom", "Kabila"]);
    assert!(!unknown.status.success());
    assert!(stderr_of(&unknown).contains("birth_year, mother_birthplace"));
}
