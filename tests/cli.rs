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
