//! Typed settings, read once at start-up from the process environment and the `.env`
//! file of the working directory (SPEC §5, guide §1.8). Every problem is reported at
//! once, each naming the variable and what to do about it.

use std::collections::HashMap;
use std::env::VarError;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use subtle::ConstantTimeEq;
use url::Url;

use crate::ciu::{Salt, SaltError};

/// The deployer's settings file, in the working directory.
pub const ENV_FILE: &str = ".env";

/// Where a development run keeps the salt it generated, so codes stay stable between
/// runs.
pub const DEV_SALT_FILE: &str = ".ciu-dev-salt";

const DEFAULT_DATABASE_URL: &str = "sqlite://ciu.db";
const DEFAULT_WEBHOOK_PATH: &str = "/whatsapp/webhook";
const DEFAULT_META_WEBHOOK_PATH: &str = "/whatsapp/meta";
/// Routes the service itself serves: a webhook path may not take one of them.
const RESERVED_PATHS: [&str; 3] = ["/health", "/metrics", "/whatsapp/cleanup"];
const DEFAULT_META_RETRY_BASE_MS: u64 = 1000;
const DEFAULT_APP_NAME: &str = "Générateur de CIU WhatsApp";
const DEFAULT_PORT: u16 = 8000;
const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 30;
const MAX_SESSION_TIMEOUT_MINUTES: u32 = 24 * 60;
const MIN_ADMIN_TOKEN_LEN: usize = 16;

/// A value that must never reach a log or an error message: `Debug` and `Display`
/// print `[redacted]`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Compares a token a caller presented in constant time, so the answer time does
    /// not reveal how much of a guess was right.
    pub fn matches(&self, candidate: &str) -> bool {
        self.0.as_bytes().ct_eq(candidate.as_bytes()).into()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

/// How phone numbers are kept at rest (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneStorage {
    /// A keyed digest: numbers can be matched but not read back.
    Hashed,
    Plain,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaltSource {
    /// `UIC_SALT`, as in production.
    Configured,
    /// Generated for development and kept in [`DEV_SALT_FILE`]. Codes made with it are
    /// not valid for production, so `main` must warn loudly.
    DevelopmentFile { path: PathBuf, created: bool },
}

#[derive(Debug, Clone)]
pub struct TwilioSettings {
    pub account_sid: Option<String>,
    /// Without it (development only) webhook signatures cannot be checked.
    pub auth_token: Option<Secret>,
    /// Normalized to `whatsapp:+<digits>`.
    pub whatsapp_number: Option<String>,
}

/// Meta WhatsApp Cloud API settings.
#[derive(Debug, Clone)]
pub struct MetaSettings {
    /// Bearer token for the Graph API (required in production).
    pub whatsapp_token: Option<Secret>,
    /// The business number's id: the channel exists only with it.
    pub phone_number_id: Option<String>,
    /// Answers Meta's webhook verification handshake.
    pub verify_token: Option<Secret>,
    /// Key of `X-Hub-Signature-256`; without it (development only) signatures are not
    /// checked.
    pub app_secret: Option<Secret>,
    /// Without a trailing slash.
    pub graph_base_url: String,
    pub graph_version: String,
    pub webhook_path: String,
    /// First delay before sending a failed message again (doubled at each attempt).
    pub retry_base: Duration,
}

/// The messaging providers this instance answers (`CHANNELS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Channels {
    pub twilio: bool,
    pub meta: bool,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub environment: Environment,
    pub app_name: String,
    pub app_version: String,
    pub salt: Salt,
    pub salt_source: SaltSource,
    /// Secret because it usually carries the database password; log
    /// [`Settings::database_url_for_logs`] instead.
    pub database_url: Secret,
    pub channels: Channels,
    pub twilio: TwilioSettings,
    pub webhook_path: String,
    /// As written by the deployer, without a trailing slash.
    pub public_base_url: Option<String>,
    /// Overrides the flow file's `session_timeout_minutes` when set.
    pub session_timeout_minutes: Option<u32>,
    pub log_level: tracing::Level,
    pub log_json: bool,
    pub host: IpAddr,
    pub port: u16,
    /// Protects `POST /whatsapp/cleanup`.
    pub admin_token: Option<Secret>,
    pub flow_path: PathBuf,
    pub locales_dir: PathBuf,
    pub phone_storage: PhoneStorage,
    /// Messages accepted per phone per minute; `None` (set to 0) means no limit.
    pub rate_limit_per_minute: Option<NonZeroU32>,
    pub meta: MetaSettings,
    /// Send the code as a QR image too (needs `public_base_url`: the channel downloads
    /// the image from there).
    pub enable_qr_code: bool,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{}", salt_problem(.0))]
    Salt(SaltError),
    #[error("{variable}: {problem}")]
    Invalid {
        variable: &'static str,
        problem: String,
    },
    #[error("{variable} is required when ENVIRONMENT=production: {why}")]
    RequiredInProduction {
        variable: &'static str,
        why: &'static str,
    },
    #[error("{variable} is required: {why}")]
    Required {
        variable: &'static str,
        why: &'static str,
    },
    /// The offending line is not repeated: it may hold a secret.
    #[error("{}: {problem}", file_place(.path, *.line))]
    EnvFile {
        path: PathBuf,
        line: Option<usize>,
        problem: String,
    },
    #[error("{}: {problem}", .path.display())]
    DevSaltFile { path: PathBuf, problem: String },
    #[error("cannot determine the working directory: {0}")]
    WorkingDirectory(String),
}

impl ConfigError {
    /// The environment variable the error is about, if it is about one.
    pub fn variable(&self) -> Option<&str> {
        match self {
            ConfigError::Salt(_) => Some("UIC_SALT"),
            ConfigError::Invalid { variable, .. }
            | ConfigError::RequiredInProduction { variable, .. }
            | ConfigError::Required { variable, .. } => Some(variable),
            _ => None,
        }
    }
}

/// The guide's wording comes first, so deployers find the fix in its section 1.15.2.
fn salt_problem(error: &SaltError) -> String {
    match error {
        SaltError::TooShort => format!("{error} (UIC_SALT; `ciu salt` prints a suitable one)"),
        SaltError::TooSimple => format!("{error} (UIC_SALT)"),
    }
}

fn file_place(path: &Path, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("{}, line {line}", path.display()),
        None => path.display().to_string(),
    }
}

/// Every configuration problem found, one per line when displayed.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl Settings {
    /// Reads the process environment, completed by `.env` in the working directory if
    /// there is one. As with dotenvy's loader, a variable already in the environment
    /// wins over the file; the file is read without being exported, so nothing else in
    /// the process depends on it.
    pub fn from_env() -> Result<Settings, ConfigErrors> {
        let single = |error| ConfigErrors(vec![error]);
        let workdir = std::env::current_dir()
            .map_err(|error| single(ConfigError::WorkingDirectory(error.to_string())))?;
        let file_values = read_env_file(&workdir.join(ENV_FILE)).map_err(single)?;
        let lookup = |name: &str| match std::env::var(name) {
            Ok(value) => Some(value),
            Err(VarError::NotUnicode(raw)) => Some(raw.to_string_lossy().into_owned()),
            Err(VarError::NotPresent) => file_values.get(name).cloned(),
        };
        Settings::from_lookup(lookup, &workdir)
    }

    /// Builds the settings from any source of variables; `workdir` is where a
    /// development salt file is kept.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        workdir: &Path,
    ) -> Result<Settings, ConfigErrors> {
        let mut reader = Reader {
            lookup: &lookup,
            errors: Vec::new(),
        };

        let environment = reader.parsed("ENVIRONMENT", parse_environment);
        // With an unknown ENVIRONMENT neither mode's rules can be applied safely.
        let environment = if reader.has_error("ENVIRONMENT") {
            None
        } else {
            Some(environment.unwrap_or(Environment::Development))
        };
        let production = environment == Some(Environment::Production);

        let salt = match reader.value("UIC_SALT") {
            Some(value) => match Salt::new(&value) {
                Ok(salt) => Some((salt, SaltSource::Configured)),
                Err(error) => {
                    reader.errors.push(ConfigError::Salt(error));
                    None
                }
            },
            None if reader.has_error("UIC_SALT") => None,
            None => match environment {
                Some(Environment::Development) => match development_salt(workdir) {
                    Ok(salt) => Some(salt),
                    Err(error) => {
                        reader.errors.push(error);
                        None
                    }
                },
                Some(Environment::Production) => {
                    reader.require(
                        "UIC_SALT",
                        false,
                        "codes must come from the programme's secret salt; generate one \
                         with `ciu salt`, put it in .env and keep a safe copy",
                    );
                    None
                }
                None => None,
            },
        };

        let explicit_database_url = reader.value("DATABASE_URL");
        if let Some(url) = &explicit_database_url {
            if let Err(problem) = check_database_url(url) {
                reader.invalid("DATABASE_URL", problem);
            }
        }
        let public_base_url = reader.parsed("PUBLIC_BASE_URL", parse_public_base_url);
        if production
            && public_base_url.as_deref().is_some_and(|url| {
                !url.get(..8)
                    .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
            })
        {
            reader.invalid(
                "PUBLIC_BASE_URL",
                "must start with https:// in production (the address Twilio calls, \
                 served by nginx with the certificate)",
            );
        }
        let admin_token = reader.secret("ADMIN_TOKEN");
        if production
            && admin_token
                .as_ref()
                .is_some_and(|token| token.expose().chars().count() < MIN_ADMIN_TOKEN_LEN)
        {
            reader.invalid(
                "ADMIN_TOKEN",
                format!(
                    "must be at least {MIN_ADMIN_TOKEN_LEN} characters in production; \
                     `ciu salt` prints a suitable one"
                ),
            );
        }
        let twilio = TwilioSettings {
            account_sid: reader.parsed("TWILIO_ACCOUNT_SID", check_account_sid),
            auth_token: reader.secret("TWILIO_AUTH_TOKEN"),
            whatsapp_number: reader.parsed("TWILIO_WHATSAPP_NUMBER", parse_whatsapp_number),
        };

        let meta = MetaSettings {
            whatsapp_token: reader.secret("META_WHATSAPP_TOKEN"),
            phone_number_id: reader.value("META_PHONE_NUMBER_ID"),
            verify_token: reader.secret("META_VERIFY_TOKEN"),
            app_secret: reader.secret("META_APP_SECRET"),
            graph_base_url: reader
                .parsed("META_GRAPH_BASE_URL", parse_http_base_url)
                .unwrap_or_else(|| "https://graph.facebook.com".to_owned()),
            graph_version: reader
                .value("META_GRAPH_VERSION")
                .unwrap_or_else(|| "v21.0".to_owned()),
            webhook_path: reader
                .parsed("META_WEBHOOK_PATH", |v| {
                    parse_route_path(v, DEFAULT_META_WEBHOOK_PATH)
                })
                .unwrap_or_else(|| DEFAULT_META_WEBHOOK_PATH.to_owned()),
            retry_base: reader
                .parsed("META_RETRY_BASE_MS", parse_retry_base)
                .unwrap_or(Duration::from_millis(DEFAULT_META_RETRY_BASE_MS)),
        };
        // Unset: Twilio, and Meta as soon as its number id is filled in.
        let channels = reader
            .parsed("CHANNELS", parse_channels)
            .unwrap_or(Channels {
                twilio: true,
                meta: meta.phone_number_id.is_some(),
            });
        let webhook_path = reader
            .parsed("WEBHOOK_PATH", |v| {
                parse_route_path(v, DEFAULT_WEBHOOK_PATH)
            })
            .unwrap_or_else(|| DEFAULT_WEBHOOK_PATH.to_owned());
        if channels.meta {
            reader.require_always(
                "META_PHONE_NUMBER_ID",
                meta.phone_number_id.is_some(),
                "CHANNELS includes meta: replies are sent from this WhatsApp number \
                 (developers.facebook.com > your app > WhatsApp > API Setup)",
            );
            let clashes = RESERVED_PATHS.contains(&meta.webhook_path.as_str())
                || (channels.twilio && meta.webhook_path == webhook_path);
            if clashes {
                reader.invalid(
                    "META_WEBHOOK_PATH",
                    format!(
                        "'{}' is already served (WEBHOOK_PATH, /health, /metrics or \
                         /whatsapp/cleanup); use another path (default {DEFAULT_META_WEBHOOK_PATH})",
                        meta.webhook_path
                    ),
                );
            }
        }

        if production {
            reader.require(
                "DATABASE_URL",
                explicit_database_url.is_some(),
                "set it explicitly, e.g. postgresql://whatsapp_bot:PASSWORD@localhost/whatsapp_uic_db \
                 or sqlite:///var/lib/ciu-whatsapp/ciu.db, so the data never lands by accident in a \
                 file next to the program",
            );
            if channels.twilio {
                reader.require(
                    "TWILIO_AUTH_TOKEN",
                    twilio.auth_token.is_some(),
                    "webhook signatures are always checked in production; copy the Auth Token \
                     from https://console.twilio.com/",
                );
                reader.require(
                    "PUBLIC_BASE_URL",
                    public_base_url.is_some(),
                    "Twilio signs the public address it calls (e.g. https://votre-domaine.cd), \
                     which cannot be read from the request behind nginx",
                );
            }
            if channels.meta {
                reader.require(
                    "META_APP_SECRET",
                    meta.app_secret.is_some(),
                    "Meta's webhook signatures are always checked in production; copy the App \
                     Secret from developers.facebook.com > your app > App settings > Basic",
                );
                reader.require(
                    "META_WHATSAPP_TOKEN",
                    meta.whatsapp_token.is_some(),
                    "replies are sent through the Graph API with this access token \
                     (developers.facebook.com > your app > WhatsApp > API Setup)",
                );
                reader.require(
                    "META_VERIFY_TOKEN",
                    meta.verify_token.is_some(),
                    "Meta checks the webhook with it; choose a long random value (`ciu salt` \
                     prints one) and enter the same one in Meta's webhook configuration",
                );
            }
            reader.require(
                "ADMIN_TOKEN",
                admin_token.is_some(),
                "it protects POST /whatsapp/cleanup; `ciu salt` prints a suitable one",
            );
        }

        // `DEBUG`, from the guide's Python-era .env, is deliberately never read: it may
        // stay in the file, and LOG_LEVEL already says how verbose to be.
        let app_name = reader
            .value("APP_NAME")
            .unwrap_or_else(|| DEFAULT_APP_NAME.to_owned());
        let app_version = reader
            .value("APP_VERSION")
            .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_owned());
        let session_timeout_minutes =
            reader.parsed("SESSION_TIMEOUT_MINUTES", parse_session_timeout);
        let log_level = reader
            .parsed("LOG_LEVEL", parse_log_level)
            .unwrap_or(tracing::Level::INFO);
        let log_json = reader.parsed("LOG_JSON", parse_bool).unwrap_or(false);
        let host = reader
            .parsed("HOST", parse_host)
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let port = reader.parsed("PORT", parse_port).unwrap_or(DEFAULT_PORT);
        let flow_path = reader
            .value("FLOW_PATH")
            .map_or_else(|| PathBuf::from("flows/ciu.yaml"), PathBuf::from);
        let locales_dir = reader
            .value("LOCALES_DIR")
            .map_or_else(|| PathBuf::from("locales"), PathBuf::from);
        let phone_storage = reader
            .parsed("PHONE_STORAGE", parse_phone_storage)
            .unwrap_or(PhoneStorage::Hashed);
        let rate_limit_per_minute = reader
            .parsed("RATE_LIMIT_PER_MINUTE", parse_rate_limit)
            .unwrap_or(NonZeroU32::new(DEFAULT_RATE_LIMIT_PER_MINUTE));

        let enable_qr_code = reader.parsed("ENABLE_QR_CODE", parse_bool).unwrap_or(false);

        match (environment, salt) {
            (Some(environment), Some((salt, salt_source))) if reader.errors.is_empty() => {
                Ok(Settings {
                    environment,
                    app_name,
                    app_version,
                    salt,
                    salt_source,
                    database_url: Secret::new(
                        explicit_database_url.unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
                    ),
                    channels,
                    twilio,
                    webhook_path,
                    public_base_url,
                    session_timeout_minutes,
                    log_level,
                    log_json,
                    host,
                    port,
                    admin_token,
                    flow_path,
                    locales_dir,
                    phone_storage,
                    rate_limit_per_minute,
                    meta,
                    enable_qr_code,
                })
            }
            _ => Err(ConfigErrors(reader.errors)),
        }
    }

    /// The database URL with its password masked, for logs and `ciu check`.
    pub fn database_url_for_logs(&self) -> String {
        mask_database_url(self.database_url.expose())
    }

    /// The URL Twilio signs: the public base followed by the webhook path. `None` only
    /// in development without `PUBLIC_BASE_URL`.
    pub fn twilio_webhook_url(&self) -> Option<String> {
        self.public_base_url
            .as_ref()
            .map(|base| format!("{base}{}", self.webhook_path))
    }

    pub fn listen_address(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }
}

/// Reads variables and collects every problem instead of stopping at the first.
struct Reader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    errors: Vec<ConfigError>,
}

impl Reader<'_> {
    /// The trimmed value. Blank counts as unset, so `.env.example`'s empty entries are
    /// harmless; a `[...]` placeholder copied from the guide is refused.
    fn value(&mut self, variable: &'static str) -> Option<String> {
        let value = (self.lookup)(variable)?.trim().to_owned();
        if value.is_empty() {
            return None;
        }
        if is_placeholder(&value) {
            self.invalid(
                variable,
                "still holds a placeholder from the guide (text in [brackets]); replace it \
                 with the real value",
            );
            return None;
        }
        Some(value)
    }

    fn secret(&mut self, variable: &'static str) -> Option<Secret> {
        self.value(variable).map(Secret::new)
    }

    /// The parsed value; `None` when unset or invalid (the problem is recorded).
    fn parsed<T>(
        &mut self,
        variable: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let value = self.value(variable)?;
        match parse(&value) {
            Ok(parsed) => Some(parsed),
            Err(problem) => {
                self.invalid(variable, problem);
                None
            }
        }
    }

    fn invalid(&mut self, variable: &'static str, problem: impl Into<String>) {
        self.errors.push(ConfigError::Invalid {
            variable,
            problem: problem.into(),
        });
    }

    /// Records a missing production variable, unless it was already reported as wrong.
    fn require(&mut self, variable: &'static str, present: bool, why: &'static str) {
        if !present && !self.has_error(variable) {
            self.errors
                .push(ConfigError::RequiredInProduction { variable, why });
        }
    }

    /// Records a variable missing in any environment.
    fn require_always(&mut self, variable: &'static str, present: bool, why: &'static str) {
        if !present && !self.has_error(variable) {
            self.errors.push(ConfigError::Required { variable, why });
        }
    }

    fn has_error(&self, variable: &str) -> bool {
        self.errors
            .iter()
            .any(|error| error.variable() == Some(variable))
    }
}

/// The guide's `.env` ships `"[À COMPLÉTER PAR L'ÉQUIPE CANADIENNE]"` and `[DB_PASSWORD]`.
fn is_placeholder(value: &str) -> bool {
    (value.starts_with('[') && value.ends_with(']')) || value.contains("[DB_PASSWORD]")
}

fn parse_environment(value: &str) -> Result<Environment, String> {
    match value.to_ascii_lowercase().as_str() {
        "development" => Ok(Environment::Development),
        "production" => Ok(Environment::Production),
        _ => Err(format!(
            "'{value}' is not an environment; use development or production"
        )),
    }
}

/// The guide's Python level names, mapped onto tracing's levels.
fn parse_log_level(value: &str) -> Result<tracing::Level, String> {
    match value.to_ascii_uppercase().as_str() {
        "DEBUG" => Ok(tracing::Level::DEBUG),
        "INFO" => Ok(tracing::Level::INFO),
        "WARNING" | "WARN" => Ok(tracing::Level::WARN),
        "ERROR" | "CRITICAL" => Ok(tracing::Level::ERROR),
        _ => Err(format!(
            "'{value}' is not a log level; use DEBUG, INFO, WARNING, ERROR or CRITICAL"
        )),
    }
}

fn parse_bool(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(format!(
            "'{value}' is not a yes/no value; use True or False (also accepted: 1/0, yes/no)"
        )),
    }
}

fn parse_host(value: &str) -> Result<IpAddr, String> {
    value.parse().map_err(|_| {
        format!(
            "'{value}' is not an IP address; use 127.0.0.1 behind nginx (the default), or \
             0.0.0.0 to listen on every interface"
        )
    })
}

/// 0 asks the system for any free port (tests, or running several instances).
fn parse_port(value: &str) -> Result<u16, String> {
    match value.parse::<u16>() {
        Ok(port) => Ok(port),
        _ => Err(format!(
            "'{value}' is not a port; use a number from 1 to 65535 (default {DEFAULT_PORT})"
        )),
    }
}

fn parse_session_timeout(value: &str) -> Result<u32, String> {
    match value.parse::<u32>() {
        Ok(minutes) if (1..=MAX_SESSION_TIMEOUT_MINUTES).contains(&minutes) => Ok(minutes),
        _ => Err(format!(
            "'{value}' is not a number of minutes from 1 to {MAX_SESSION_TIMEOUT_MINUTES}; \
             remove the line to use the flow file's value"
        )),
    }
}

/// A comma-separated list of `twilio` and `meta`.
fn parse_channels(value: &str) -> Result<Channels, String> {
    let mut channels = Channels {
        twilio: false,
        meta: false,
    };
    for name in value.split([',', ' ']).filter(|n| !n.is_empty()) {
        match name.to_ascii_lowercase().as_str() {
            "twilio" => channels.twilio = true,
            "meta" => channels.meta = true,
            _ => {
                return Err(format!(
                    "'{name}' is not a channel; use twilio, meta or both (twilio,meta)"
                ))
            }
        }
    }
    if channels.twilio || channels.meta {
        Ok(channels)
    } else {
        Err("names no channel; use twilio, meta or both (twilio,meta)".to_owned())
    }
}

fn parse_retry_base(value: &str) -> Result<Duration, String> {
    match value.parse::<u64>() {
        Ok(ms) if (1..=60_000).contains(&ms) => Ok(Duration::from_millis(ms)),
        _ => Err(format!(
            "'{value}' is not a number of milliseconds from 1 to 60000 \
             (default {DEFAULT_META_RETRY_BASE_MS})"
        )),
    }
}

fn parse_phone_storage(value: &str) -> Result<PhoneStorage, String> {
    match value.to_ascii_lowercase().as_str() {
        "hashed" => Ok(PhoneStorage::Hashed),
        "plain" => Ok(PhoneStorage::Plain),
        _ => Err(format!(
            "'{value}' is not a storage mode; use hashed (the default) or plain"
        )),
    }
}

fn parse_rate_limit(value: &str) -> Result<Option<NonZeroU32>, String> {
    value.parse::<u32>().map(NonZeroU32::new).map_err(|_| {
        format!(
            "'{value}' is not a number of messages per minute; use a whole number \
             (default {DEFAULT_RATE_LIMIT_PER_MINUTE}, 0 for no limit)"
        )
    })
}

/// Only characters that are plain in a URL path and in axum's route syntax.
fn parse_route_path(value: &str, default: &str) -> Result<String, String> {
    let plain = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.' | '~'));
    if !value.starts_with('/') {
        Err(format!("'{value}' must start with / (default {default})"))
    } else if !plain {
        Err(format!(
            "'{value}' may contain only letters, digits and / - _ . ~ (default {default})"
        ))
    } else {
        Ok(value.to_owned())
    }
}

/// The value is never repeated in the message: it usually holds the password.
fn check_database_url(value: &str) -> Result<(), String> {
    let scheme = value
        .split_once(':')
        .map(|(scheme, _)| scheme.to_ascii_lowercase());
    if !matches!(
        scheme.as_deref(),
        Some("sqlite" | "postgres" | "postgresql")
    ) {
        return Err(
            "must start with sqlite:// (e.g. sqlite://ciu.db) or postgresql:// \
                    (e.g. postgresql://whatsapp_bot:PASSWORD@localhost/whatsapp_uic_db)"
                .to_owned(),
        );
    }
    if crate::store::is_in_memory_sqlite(value) {
        return Err(
            "is an in-memory SQLite database, which forgets every code at each \
                    restart: use a file, e.g. sqlite:///var/lib/ciu-whatsapp/ciu.db"
                .to_owned(),
        );
    }
    Url::parse(value).map(|_| ()).map_err(|error| {
        format!(
            "is not a valid URL ({error}); if the password holds characters such as \
             @ : / # ? %, write them percent-encoded (@ is %40)"
        )
    })
}

fn parse_public_base_url(value: &str) -> Result<String, String> {
    let base = parse_http_base_url(value)?;
    let url = Url::parse(&base).map_err(|error| error.to_string())?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(
            "must be only the public address and an optional path prefix, like \
             https://votre-domaine.cd"
                .to_owned(),
        );
    }
    Ok(base)
}

/// Kept as written (not re-serialized by `Url`, which would rewrite the host and
/// port): Twilio signs the exact address configured in its console.
fn parse_http_base_url(value: &str) -> Result<String, String> {
    let url = Url::parse(value).map_err(|error| {
        format!("is not a URL ({error}); write it like https://votre-domaine.cd")
    })?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return Err("must start with https:// (or http://) followed by a host name".to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain a user name or password".to_owned());
    }
    Ok(value.trim_end_matches('/').to_owned())
}

fn check_account_sid(value: &str) -> Result<String, String> {
    let well_formed = value.len() == 34
        && value.starts_with("AC")
        && value[2..].bytes().all(|byte| byte.is_ascii_hexdigit());
    if well_formed {
        Ok(value.to_owned())
    } else {
        Err(
            "must be AC followed by 32 hexadecimal characters (Twilio console, Account Info)"
                .to_owned(),
        )
    }
}

/// Accepts `whatsapp:+14155238886` or `+14155238886`; returns the first form.
fn parse_whatsapp_number(value: &str) -> Result<String, String> {
    let number = value.strip_prefix("whatsapp:").unwrap_or(value);
    let well_formed = number.strip_prefix('+').is_some_and(|digits| {
        (6..=15).contains(&digits.len()) && digits.bytes().all(|byte| byte.is_ascii_digit())
    });
    if well_formed {
        Ok(format!("whatsapp:{number}"))
    } else {
        Err(format!(
            "'{value}' must be a number in international form, like whatsapp:+14155238886"
        ))
    }
}

fn mask_database_url(raw: &str) -> String {
    let Ok(mut url) = Url::parse(raw) else {
        return "[unreadable database URL]".to_owned();
    };
    if url.password().is_some() {
        // Only fails for URLs that cannot have a password, which this one has.
        let _ = url.set_password(Some("***"));
    }
    let is_password = |name: &str| name.eq_ignore_ascii_case("password");
    if url.query_pairs().any(|(name, _)| is_password(&name)) {
        let masked: Vec<(String, String)> = url
            .query_pairs()
            .map(|(name, value)| {
                let value = if is_password(&name) {
                    "***".to_owned()
                } else {
                    value.into_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(masked);
    }
    url.set_fragment(None);
    url.into()
}

/// Reads `.env` into a map (first definition wins, as with dotenvy's loader). A
/// missing file is fine; a malformed one is an error naming the file and the line.
fn read_env_file(path: &Path) -> Result<HashMap<String, String>, ConfigError> {
    let file_error = |line: Option<usize>, problem: String| ConfigError::EnvFile {
        path: path.to_owned(),
        line,
        problem,
    };
    let entries = match dotenvy::from_path_iter(path) {
        Ok(entries) => entries,
        Err(error) if error.not_found() => return Ok(HashMap::new()),
        Err(error) => return Err(file_error(None, format!("cannot read it: {error}"))),
    };
    let mut values = HashMap::new();
    for entry in entries {
        match entry {
            Ok((name, value)) => {
                values.entry(name).or_insert(value);
            }
            Err(dotenvy::Error::LineParse(line, _)) => {
                return Err(file_error(
                    line_number_of(path, &line),
                    "this line is not NAME=value; check the name and the quotes (a value \
                     with spaces or # goes in quotes, a value with $ in 'single quotes')"
                        .to_owned(),
                ));
            }
            Err(error) => return Err(file_error(None, format!("cannot read it: {error}"))),
        }
    }
    Ok(values)
}

/// dotenvy reports the text of a bad line, not its number; find it in the file.
fn line_number_of(path: &Path, line: &str) -> Option<usize> {
    let needle = line.trim();
    if needle.is_empty() {
        return None;
    }
    let text = fs::read_to_string(path).ok()?;
    let offset = text.find(needle)?;
    Some(text[..offset].matches('\n').count() + 1)
}

/// Loads the development salt from [`DEV_SALT_FILE`], creating it (readable by the
/// owner only) on the first run.
fn development_salt(workdir: &Path) -> Result<(Salt, SaltSource), ConfigError> {
    let path = workdir.join(DEV_SALT_FILE);
    let problem = |problem: String| ConfigError::DevSaltFile {
        path: path.clone(),
        problem,
    };
    let created = match create_private_file(&path, &Salt::generate()) {
        Ok(()) => true,
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => false,
        Err(error) => {
            return Err(problem(format!(
                "cannot create the development salt: {error}"
            )))
        }
    };
    let stored = fs::read_to_string(&path)
        .map_err(|error| problem(format!("cannot read the development salt: {error}")))?;
    let salt = Salt::new(&stored).map_err(|_| {
        problem(
            "does not hold a valid development salt; delete the file to generate a new one \
             (codes made in development will change) or set UIC_SALT"
                .to_owned(),
        )
    })?;
    Ok((salt, SaltSource::DevelopmentFile { path, created }))
}

fn create_private_file(path: &Path, contents: &str) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    writeln!(file, "{contents}")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(first.webhook_path, "/whatsapp/webhook");
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
                "{missing} is required when ENVIRONMENT=production: "
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
                meta: false
            }
        );
        assert_eq!(loaded.meta.webhook_path, "/whatsapp/meta");
        assert_eq!(loaded.meta.retry_base, Duration::from_secs(1));

        let loaded = load(&[("META_PHONE_NUMBER_ID", "106540352242922")], dir.path()).unwrap();
        assert_eq!(
            loaded.channels,
            Channels {
                twilio: true,
                meta: true
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
                meta: true
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
            .starts_with("META_PHONE_NUMBER_ID is required: "));

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
        for (value, hint) in [("sms", "not a channel"), (",", "names no channel")] {
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
            assert_eq!(errors.0, [ConfigError::Salt(SaltError::TooShort)]);
            assert!(errors
                .to_string()
                .starts_with("Configuration error: UIC salt must be at least 16 characters"));
        }
        let errors = load(&[("UIC_SALT", "aaaaaaaaaaaaaaaaaaaaaaaa")], dir.path()).unwrap_err();
        assert_eq!(errors.0, [ConfigError::Salt(SaltError::TooSimple)]);
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
            .contains("DEBUG, INFO, WARNING, ERROR or CRITICAL"));
    }

    #[test]
    fn log_json_accepts_the_usual_spellings() {
        let dir = tempfile::tempdir().unwrap();
        for (value, expected) in [
            ("True", true),
            ("1", true),
            ("yes", true),
            ("False", false),
            ("0", false),
            ("no", false),
        ] {
            let loaded = load(&[("LOG_JSON", value)], dir.path()).unwrap();
            assert_eq!(loaded.log_json, expected, "{value}");
        }
    }

    #[test]
    fn parsing_errors_name_the_variable_and_the_accepted_values() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("PORT", "huit-mille", "1 to 65535"),
            ("PORT", "70000", "1 to 65535"),
            ("HOST", "localhost", "127.0.0.1"),
            ("PHONE_STORAGE", "clear", "hashed (the default) or plain"),
            ("WEBHOOK_PATH", "whatsapp/webhook", "must start with /"),
            ("WEBHOOK_PATH", "/whatsapp/{id}", "only letters, digits"),
            ("SESSION_TIMEOUT_MINUTES", "0", "1 to 1440"),
            ("SESSION_TIMEOUT_MINUTES", "2000", "1 to 1440"),
            ("RATE_LIMIT_PER_MINUTE", "-1", "0 for no limit"),
            ("LOG_JSON", "peut-être", "True or False"),
            ("DATABASE_URL", "mysql://u:p@h/db", "postgresql://"),
            ("DATABASE_URL", "sqlite::memory:", "use a file"),
            ("PUBLIC_BASE_URL", "votre-domaine.cd", "https://"),
            (
                "PUBLIC_BASE_URL",
                "https://votre-domaine.cd/?x=1",
                "only the public address",
            ),
            ("TWILIO_ACCOUNT_SID", "AC123", "32 hexadecimal"),
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
            assert!(message.starts_with(&format!("{variable}: ")), "{message}");
            assert!(message.contains(hint), "{message}");
        }
        let errors = load(&[("ENVIRONMENT", "staging")], dir.path()).unwrap_err();
        assert_eq!(variables_in(&errors), ["ENVIRONMENT"]);
        assert!(errors.to_string().contains("development or production"));
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
            .all(|error| error.to_string().contains("placeholder")));
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

    #[test]
    fn database_urls_are_masked_for_logs() {
        assert_eq!(mask_database_url("sqlite://ciu.db"), "sqlite://ciu.db");
        assert_eq!(
            mask_database_url("postgres://bot@localhost/ciu?sslmode=require"),
            "postgres://bot@localhost/ciu?sslmode=require"
        );
        assert_eq!(
            mask_database_url("postgres://localhost/ciu?user=bot&password=s3cret"),
            "postgres://localhost/ciu?user=bot&password=***"
        );
    }

    #[test]
    fn a_malformed_env_file_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(ENV_FILE);
        fs::write(
            &path,
            "# commentaire\nAPP_NAME=\"Générateur\"\n\nUIC_SALT=\"pas fermé\nPORT=8000\n",
        )
        .unwrap();
        let error = read_env_file(&path).unwrap_err();
        assert!(
            matches!(&error, ConfigError::EnvFile { line: Some(4), .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains(", line 4: "), "{message}");
        assert!(!message.contains("pas fermé"), "{message}");

        fs::write(&path, "PORT=8000\nNOT A VARIABLE\n").unwrap();
        let error = read_env_file(&path).unwrap_err();
        assert!(
            matches!(&error, ConfigError::EnvFile { line: Some(2), .. }),
            "{error:?}"
        );
    }

    #[test]
    fn a_missing_env_file_is_fine_and_the_first_definition_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(ENV_FILE);
        assert!(read_env_file(&path).unwrap().is_empty());
        fs::write(&path, "PORT=8001\nPORT=8002\n").unwrap();
        assert_eq!(read_env_file(&path).unwrap()["PORT"], "8001");
    }

    /// The shipped example must load as it is: in production it asks exactly for the
    /// secrets the deployer has to fill in; switched to development it starts.
    #[test]
    fn the_env_example_lists_everything_and_loads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(ENV_FILE);
        fs::write(&path, include_str!("../.env.example")).unwrap();
        let values = read_env_file(&path).unwrap();
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
                values.contains_key(variable),
                "{variable} missing from .env.example"
            );
        }

        let errors =
            Settings::from_lookup(|name| values.get(name).cloned(), dir.path()).unwrap_err();
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
            _ => values.get(name).cloned(),
        };
        let loaded = Settings::from_lookup(development, dir.path()).unwrap();
        assert!(matches!(
            loaded.salt_source,
            SaltSource::DevelopmentFile { .. }
        ));
        assert_eq!(loaded.database_url.expose(), DEFAULT_DATABASE_URL);
    }
}
