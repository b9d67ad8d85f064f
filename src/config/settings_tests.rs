//! The whole of `Settings`, as `ciu serve` reads it, and the smaller layers.

use std::collections::HashMap;
use std::fs;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use crate::code::SaltError;

const SALT: &str = "xY9kL2mN4pQ6rS8tU0vW1xY3zA5bC7dE";
const AUTH_TOKEN: &str = "tok-4f3a9c1e7b2d";
const ADMIN: &str = "admin-9d8c7b6a5f4e3d2c";
const DB_PASSWORD: &str = "MonMotDePasse123";

fn load(vars: &[(&str, &str)], workdir: &Path) -> Result<Settings, ConfigErrors> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    Settings::from_lookup(|name| vars.get(name).cloned(), workdir)
}

fn production_vars() -> Vec<(&'static str, &'static str)> {
    vec![
        ("ENVIRONMENT", "production"),
        ("UIC_SALT", SALT),
        (
            "DATABASE_URL",
            "postgresql://whatsapp_bot:MonMotDePasse123@localhost/whatsapp_uic_db",
        ),
        ("TWILIO_AUTH_TOKEN", AUTH_TOKEN),
        ("PUBLIC_BASE_URL", "https://votre-domaine.cd/"),
        ("ADMIN_TOKEN", ADMIN),
    ]
}

/// `vars` with some variables replaced or added.
fn with<'a>(
    mut vars: Vec<(&'a str, &'a str)>,
    overrides: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    vars.retain(|(name, _)| overrides.iter().all(|(replaced, _)| replaced != name));
    vars.extend_from_slice(overrides);
    vars
}

fn variables_in(errors: &ConfigErrors) -> Vec<&str> {
    errors.0.iter().filter_map(ConfigError::variable).collect()
}

#[test]
fn development_defaults_with_nothing_set() {
    let dir = tempfile::tempdir().unwrap();
    let first = load(&[], dir.path()).unwrap();
    assert_eq!(first.environment, Environment::Development);
    assert_eq!(first.app_name, "Générateur de CIU WhatsApp");
    assert_eq!(first.app_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(first.database_url.expose(), "sqlite://ciu.db");
    assert_eq!(first.twilio.webhook_path, "/whatsapp/webhook");
    assert_eq!(first.session_timeout_minutes, None);
    assert_eq!(first.log_level, tracing::Level::INFO);
    assert!(!first.log_json);
    assert_eq!(first.listen_address(), "127.0.0.1:8000".parse().unwrap());
    assert_eq!(first.flow_path, PathBuf::from("flows/ciu.yaml"));
    assert_eq!(first.locales_dir, PathBuf::from("locales"));
    assert_eq!(first.phone_storage, PhoneStorage::Hashed);
    assert_eq!(first.rate_limit_per_minute, NonZeroU32::new(30));
    assert!(first.twilio.auth_token.is_none());
    assert!(first.admin_token.is_none());
    assert_eq!(first.twilio_webhook_url(), None);
    assert_eq!(first.meta.graph_base_url, "https://graph.facebook.com");
    assert_eq!(first.meta.graph_version, "v21.0");

    let salt_file = dir.path().join(DEV_SALT_FILE);
    assert_eq!(
        first.salt_source,
        SaltSource::DevelopmentFile {
            path: salt_file.clone(),
            created: true
        }
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&salt_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let second = load(&[], dir.path()).unwrap();
    assert_eq!(
        second.salt_source,
        SaltSource::DevelopmentFile {
            path: salt_file,
            created: false
        }
    );
    assert_eq!(
        first.salt.keyed_hex("test", "same"),
        second.salt.keyed_hex("test", "same"),
        "the development salt must be reused so codes stay stable"
    );
}

#[test]
fn a_configured_salt_is_used_and_no_file_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = load(&[("UIC_SALT", SALT)], dir.path()).unwrap();
    assert_eq!(loaded.salt_source, SaltSource::Configured);
    assert!(!dir.path().join(DEV_SALT_FILE).exists());
}

#[test]
fn production_names_every_missing_variable() {
    let dir = tempfile::tempdir().unwrap();
    let errors = load(&[("ENVIRONMENT", "production")], dir.path()).unwrap_err();
    assert_eq!(
        variables_in(&errors),
        [
            "UIC_SALT",
            "DATABASE_URL",
            "TWILIO_AUTH_TOKEN",
            "PUBLIC_BASE_URL",
            "ADMIN_TOKEN"
        ]
    );
    assert!(errors
        .0
        .iter()
        .all(|error| matches!(error, ConfigError::RequiredInProduction { .. })));
    assert!(!dir.path().join(DEV_SALT_FILE).exists());

    for missing in [
        "UIC_SALT",
        "DATABASE_URL",
        "TWILIO_AUTH_TOKEN",
        "PUBLIC_BASE_URL",
        "ADMIN_TOKEN",
    ] {
        let vars: Vec<_> = production_vars()
            .into_iter()
            .filter(|(name, _)| *name != missing)
            .collect();
        let errors = load(&vars, dir.path()).unwrap_err();
        assert_eq!(variables_in(&errors), [missing]);
        assert!(errors.to_string().starts_with(&format!(
            "{missing} est obligatoire avec ENVIRONMENT=production : "
        )));
    }
}

#[test]
fn production_accepts_a_complete_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = load(&production_vars(), dir.path()).unwrap();
    assert_eq!(loaded.environment, Environment::Production);
    assert_eq!(loaded.salt_source, SaltSource::Configured);
    assert_eq!(
        loaded.twilio_webhook_url().as_deref(),
        Some("https://votre-domaine.cd/whatsapp/webhook")
    );
    assert!(loaded.admin_token.as_ref().unwrap().matches(ADMIN));
    assert!(!loaded.admin_token.as_ref().unwrap().matches("admin"));
}

#[test]
fn channels_default_to_twilio_and_meta_once_its_number_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = load(&[], dir.path()).unwrap();
    assert_eq!(
        loaded.channels,
        Channels {
            twilio: true,
            meta: false,
            ussd: false
        }
    );
    assert_eq!(loaded.meta.webhook_path, "/whatsapp/meta");
    assert_eq!(loaded.meta.retry_base, Duration::from_secs(1));

    let loaded = load(&[("META_PHONE_NUMBER_ID", "106540352242922")], dir.path()).unwrap();
    assert_eq!(
        loaded.channels,
        Channels {
            twilio: true,
            meta: true,
            ussd: false
        }
    );

    let loaded = load(
        &[
            ("CHANNELS", " Meta "),
            ("META_PHONE_NUMBER_ID", "106540352242922"),
            ("META_WEBHOOK_PATH", "/whatsapp/webhook"),
            ("META_RETRY_BASE_MS", "20"),
        ],
        dir.path(),
    )
    .unwrap();
    assert_eq!(
        loaded.channels,
        Channels {
            twilio: false,
            meta: true,
            ussd: false
        }
    );
    assert_eq!(loaded.meta.retry_base, Duration::from_millis(20));
}

#[test]
fn the_meta_channel_needs_its_number_and_a_free_path() {
    let dir = tempfile::tempdir().unwrap();
    let errors = load(&[("CHANNELS", "twilio,meta")], dir.path()).unwrap_err();
    assert_eq!(variables_in(&errors), ["META_PHONE_NUMBER_ID"]);
    assert!(errors
        .to_string()
        .starts_with("META_PHONE_NUMBER_ID est obligatoire : "));

    for path in ["/whatsapp/webhook", "/health"] {
        let errors = load(
            &[
                ("META_PHONE_NUMBER_ID", "106540352242922"),
                ("META_WEBHOOK_PATH", path),
            ],
            dir.path(),
        )
        .unwrap_err();
        assert_eq!(variables_in(&errors), ["META_WEBHOOK_PATH"], "{path}");
    }
    for (value, hint) in [("sms", "n'est pas un canal"), (",", "ne nomme aucun canal")] {
        let errors = load(&[("CHANNELS", value)], dir.path()).unwrap_err();
        assert_eq!(variables_in(&errors), ["CHANNELS"]);
        assert!(errors.to_string().contains(hint), "{errors}");
    }
}

#[test]
fn production_requires_the_secrets_of_each_enabled_channel() {
    let dir = tempfile::tempdir().unwrap();
    let meta_only = with(
        production_vars(),
        &[
            ("CHANNELS", "meta"),
            ("META_PHONE_NUMBER_ID", "106540352242922"),
        ],
    );
    // Twilio is off: its token and the public address are not needed.
    let vars: Vec<_> = meta_only
        .iter()
        .copied()
        .filter(|(name, _)| !matches!(*name, "TWILIO_AUTH_TOKEN" | "PUBLIC_BASE_URL"))
        .collect();
    let errors = load(&vars, dir.path()).unwrap_err();
    assert_eq!(
        variables_in(&errors),
        [
            "META_APP_SECRET",
            "META_WHATSAPP_TOKEN",
            "META_VERIFY_TOKEN"
        ]
    );
    assert!(errors
        .0
        .iter()
        .all(|error| matches!(error, ConfigError::RequiredInProduction { .. })));

    let complete = with(
        vars,
        &[
            ("META_APP_SECRET", "app-secret-789"),
            ("META_WHATSAPP_TOKEN", "EAAG-meta-token-123"),
            ("META_VERIFY_TOKEN", "verify-me-456"),
        ],
    );
    let loaded = load(&complete, dir.path()).unwrap();
    assert!(!loaded.channels.twilio && loaded.channels.meta);

    // Both channels: both sets of secrets.
    let both = with(
        production_vars(),
        &[("META_PHONE_NUMBER_ID", "106540352242922")],
    );
    let errors = load(&both, dir.path()).unwrap_err();
    assert_eq!(
        variables_in(&errors),
        [
            "META_APP_SECRET",
            "META_WHATSAPP_TOKEN",
            "META_VERIFY_TOKEN"
        ]
    );
}

#[test]
fn production_refuses_plain_http_and_short_admin_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let vars = with(
        production_vars(),
        &[
            ("PUBLIC_BASE_URL", "http://votre-domaine.cd"),
            ("ADMIN_TOKEN", "short"),
        ],
    );
    let errors = load(&vars, dir.path()).unwrap_err();
    assert_eq!(variables_in(&errors), ["PUBLIC_BASE_URL", "ADMIN_TOKEN"]);
}

#[test]
fn weak_salts_are_refused_with_the_guides_wording_in_both_modes() {
    let dir = tempfile::tempdir().unwrap();
    for environment in ["development", "production"] {
        let vars = with(
            production_vars(),
            &[("ENVIRONMENT", environment), ("UIC_SALT", "trop-court")],
        );
        let errors = load(&vars, dir.path()).unwrap_err();
        assert_eq!(
            errors.0,
            [ConfigError::Salt {
                error: SaltError::TooShort,
                place: None
            }]
        );
        assert!(errors
            .to_string()
            .starts_with("Configuration error: UIC salt must be at least 16 characters"));
    }
    let errors = load(&[("UIC_SALT", "aaaaaaaaaaaaaaaaaaaaaaaa")], dir.path()).unwrap_err();
    assert_eq!(
        errors.0,
        [ConfigError::Salt {
            error: SaltError::TooSimple,
            place: None
        }]
    );
    assert!(!dir.path().join(DEV_SALT_FILE).exists());
}

#[test]
fn log_levels_follow_the_guides_names() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("DEBUG", tracing::Level::DEBUG),
        ("info", tracing::Level::INFO),
        ("Warning", tracing::Level::WARN),
        ("ERROR", tracing::Level::ERROR),
        ("critical", tracing::Level::ERROR),
    ];
    for (name, level) in cases {
        let loaded = load(&[("LOG_LEVEL", name)], dir.path()).unwrap();
        assert_eq!(loaded.log_level, level, "{name}");
    }
    let errors = load(&[("LOG_LEVEL", "VERBOSE")], dir.path()).unwrap_err();
    assert_eq!(variables_in(&errors), ["LOG_LEVEL"]);
    assert!(errors
        .to_string()
        .contains("DEBUG, INFO, WARNING, ERROR ou CRITICAL"));
}

#[test]
fn parsing_errors_name_the_variable_and_the_accepted_values() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("PORT", "huit-mille", "entre 1 et 65535"),
        ("PORT", "70000", "entre 1 et 65535"),
        ("HOST", "localhost", "127.0.0.1"),
        ("PHONE_STORAGE", "clear", "hashed (par défaut) ou plain"),
        ("WEBHOOK_PATH", "whatsapp/webhook", "doit commencer par /"),
        (
            "WEBHOOK_PATH",
            "/whatsapp/{id}",
            "que des lettres, des chiffres",
        ),
        ("SESSION_TIMEOUT_MINUTES", "0", "entre 1 et 1440"),
        ("SESSION_TIMEOUT_MINUTES", "2000", "entre 1 et 1440"),
        ("RATE_LIMIT_PER_MINUTE", "-1", "0 pour aucune limite"),
        ("LOG_JSON", "peut-être", "True ou False"),
        ("DATABASE_URL", "mysql://u:p@h/db", "postgresql://"),
        ("DATABASE_URL", "sqlite::memory:", "utilisez un fichier"),
        ("PUBLIC_BASE_URL", "votre-domaine.cd", "https://"),
        (
            "PUBLIC_BASE_URL",
            "https://votre-domaine.cd/?x=1",
            "que l'adresse publique",
        ),
        ("TWILIO_ACCOUNT_SID", "AC123", "32 caractères hexadécimaux"),
        (
            "TWILIO_WHATSAPP_NUMBER",
            "14155238886",
            "whatsapp:+14155238886",
        ),
        ("META_GRAPH_BASE_URL", "graph.facebook.com", "https://"),
    ];
    for (variable, value, hint) in cases {
        let errors = load(&[(variable, value)], dir.path()).unwrap_err();
        assert_eq!(variables_in(&errors), [variable], "{variable}={value}");
        let message = errors.to_string();
        assert!(message.starts_with(&format!("{variable} : ")), "{message}");
        assert!(message.contains(hint), "{message}");
    }
    let errors = load(&[("ENVIRONMENT", "staging")], dir.path()).unwrap_err();
    assert_eq!(variables_in(&errors), ["ENVIRONMENT"]);
    assert!(errors.to_string().contains("development ou production"));
}

#[test]
fn accepted_variants_are_normalized() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = load(
        &[
            ("ENVIRONMENT", "Development"),
            ("TWILIO_WHATSAPP_NUMBER", "+14155238886"),
            ("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef"),
            ("RATE_LIMIT_PER_MINUTE", "0"),
            ("SESSION_TIMEOUT_MINUTES", " 20 "),
            ("PHONE_STORAGE", "PLAIN"),
            ("HOST", "0.0.0.0"),
            ("PORT", "8080"),
            ("DEBUG", "False"),
            ("DATABASE_URL", "postgres://bot@localhost/ciu"),
            ("META_GRAPH_BASE_URL", "http://127.0.0.1:9999/"),
        ],
        dir.path(),
    )
    .unwrap();
    assert_eq!(
        loaded.twilio.whatsapp_number.as_deref(),
        Some("whatsapp:+14155238886")
    );
    assert_eq!(loaded.rate_limit_per_minute, None);
    assert_eq!(loaded.session_timeout_minutes, Some(20));
    assert_eq!(loaded.phone_storage, PhoneStorage::Plain);
    assert_eq!(loaded.listen_address(), "0.0.0.0:8080".parse().unwrap());
    assert_eq!(loaded.meta.graph_base_url, "http://127.0.0.1:9999");
}

#[test]
fn the_guides_placeholders_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let guide_placeholder = "[À COMPLÉTER PAR L'ÉQUIPE CANADIENNE]";
    let vars = with(
        production_vars(),
        &[
            ("UIC_SALT", guide_placeholder),
            ("TWILIO_AUTH_TOKEN", guide_placeholder),
            (
                "DATABASE_URL",
                "postgresql://whatsapp_bot:[DB_PASSWORD]@localhost/whatsapp_uic_db",
            ),
        ],
    );
    let errors = load(&vars, dir.path()).unwrap_err();
    assert_eq!(
        variables_in(&errors),
        ["UIC_SALT", "DATABASE_URL", "TWILIO_AUTH_TOKEN"]
    );
    assert!(errors
        .0
        .iter()
        .all(|error| error.to_string().contains("modèle du guide")));
}

#[test]
fn debug_and_errors_never_show_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let vars = with(
        production_vars(),
        &[
            ("META_WHATSAPP_TOKEN", "EAAG-meta-token-123"),
            ("META_VERIFY_TOKEN", "verify-me-456"),
            ("META_APP_SECRET", "app-secret-789"),
        ],
    );
    let loaded = load(&vars, dir.path()).unwrap();
    let shown = format!("{loaded:?}");
    for secret in [
        SALT,
        AUTH_TOKEN,
        ADMIN,
        DB_PASSWORD,
        "EAAG-meta-token-123",
        "verify-me-456",
        "app-secret-789",
    ] {
        assert!(!shown.contains(secret), "{secret} leaked in {shown}");
    }
    assert!(shown.contains("[redacted]"));
    assert_eq!(loaded.database_url.to_string(), "[redacted]");
    assert_eq!(
        loaded.database_url_for_logs(),
        "postgresql://whatsapp_bot:***@localhost/whatsapp_uic_db"
    );

    let errors = load(
        &[("DATABASE_URL", "mysql://bot:MonMotDePasse123@localhost/db")],
        dir.path(),
    )
    .unwrap_err();
    assert!(!errors.to_string().contains(DB_PASSWORD));
}

/// The shipped example must load as it is: in production it asks exactly for the
/// secrets the deployer has to fill in; switched to development it starts.
#[test]
fn the_env_example_lists_everything_and_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(ENV_FILE);
    fs::write(&path, include_str!("../../.env.example")).unwrap();
    let file = EnvFile::read(&path).unwrap();
    for variable in [
        "APP_NAME",
        "APP_VERSION",
        "ENVIRONMENT",
        "DEBUG",
        "UIC_SALT",
        "DATABASE_URL",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_WHATSAPP_NUMBER",
        "WEBHOOK_PATH",
        "PUBLIC_BASE_URL",
        "HOST",
        "PORT",
        "ADMIN_TOKEN",
        "SESSION_TIMEOUT_MINUTES",
        "RATE_LIMIT_PER_MINUTE",
        "PHONE_STORAGE",
        "FLOW_PATH",
        "LOCALES_DIR",
        "LOG_LEVEL",
        "LOG_JSON",
        "META_WHATSAPP_TOKEN",
        "META_PHONE_NUMBER_ID",
        "META_VERIFY_TOKEN",
        "META_APP_SECRET",
        "META_GRAPH_BASE_URL",
        "META_GRAPH_VERSION",
        "META_WEBHOOK_PATH",
        "META_RETRY_BASE_MS",
        "CHANNELS",
    ] {
        assert!(
            file.get(variable).is_some(),
            "{variable} missing from .env.example"
        );
    }

    let errors =
        Settings::from_lookup(|name| file.get(name).map(str::to_owned), dir.path()).unwrap_err();
    assert_eq!(
        variables_in(&errors),
        [
            "UIC_SALT",
            "DATABASE_URL",
            "TWILIO_AUTH_TOKEN",
            "PUBLIC_BASE_URL",
            "ADMIN_TOKEN"
        ]
    );

    let development = |name: &str| match name {
        "ENVIRONMENT" => Some("development".to_owned()),
        _ => file.get(name).map(str::to_owned),
    };
    let loaded = Settings::from_lookup(development, dir.path()).unwrap();
    assert!(matches!(
        loaded.salt_source,
        SaltSource::DevelopmentFile { .. }
    ));
    assert_eq!(loaded.database_url.expose(), "sqlite://ciu.db");
}

#[test]
fn the_database_commands_need_only_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let vars = vec![
        ("ENVIRONMENT", "production"),
        ("UIC_SALT", SALT),
        (
            "DATABASE_URL",
            "postgresql://whatsapp_bot:MonMotDePasse123@localhost/db",
        ),
    ];
    let lookup = |name: &str| {
        vars.iter()
            .find(|(variable, _)| *variable == name)
            .map(|(_, value)| value.to_string())
    };
    let database = DatabaseSettings::from_lookup(lookup).unwrap();
    assert_eq!(database.environment, Environment::Production);
    assert_eq!(
        database.url_for_logs(),
        "postgresql://whatsapp_bot:***@localhost/db"
    );
    // The server still wants every secret of production.
    let errors = load(&vars, dir.path()).unwrap_err();
    assert_eq!(
        variables_in(&errors),
        ["TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL", "ADMIN_TOKEN"]
    );

    let errors =
        DatabaseSettings::from_lookup(|name| (name == "ENVIRONMENT").then(|| "production".into()))
            .unwrap_err();
    assert_eq!(variables_in(&errors), ["DATABASE_URL"]);
    let errors = DatabaseSettings::from_lookup(|name| {
        (name == "DATABASE_URL").then(|| "mysql://localhost/db".into())
    })
    .unwrap_err();
    assert_eq!(variables_in(&errors), ["DATABASE_URL"]);
    let development = DatabaseSettings::from_lookup(|_| None).unwrap();
    assert_eq!(development.url.expose(), "sqlite://ciu.db");
}

#[test]
fn simulate_and_serve_share_one_development_salt() {
    let dir = tempfile::tempdir().unwrap();
    let served = load(&[], dir.path()).unwrap();
    let simulated = SaltSettings::for_simulation(|_| None, dir.path()).unwrap();
    assert_eq!(
        simulated.source,
        SaltSource::DevelopmentFile {
            path: dir.path().join(DEV_SALT_FILE),
            created: false
        },
        "the file serve created is reused"
    );
    assert_eq!(
        simulated.salt.keyed_hex("test", "same"),
        served.salt.keyed_hex("test", "same")
    );
    // ENVIRONMENT does not matter to the simulator: it never gives production codes.
    let in_production = SaltSettings::for_simulation(
        |name| (name == "ENVIRONMENT").then(|| "production".into()),
        dir.path(),
    )
    .unwrap();
    assert_eq!(
        in_production.salt.keyed_hex("test", "same"),
        served.salt.keyed_hex("test", "same")
    );

    let configured =
        SaltSettings::for_simulation(|name| (name == "UIC_SALT").then(|| SALT.into()), dir.path())
            .unwrap();
    let served = load(&[("UIC_SALT", SALT)], dir.path()).unwrap();
    assert_eq!(configured.source, SaltSource::Configured);
    assert_eq!(
        configured.salt.keyed_hex("test", "same"),
        served.salt.keyed_hex("test", "same")
    );
    let errors = SaltSettings::for_simulation(
        |name| (name == "UIC_SALT").then(|| "trop-court".into()),
        dir.path(),
    )
    .unwrap_err();
    assert_eq!(variables_in(&errors), ["UIC_SALT"]);
}
