//! Reading the settings in layers, so each command asks only for what it uses: the
//! database commands read [`DatabaseSettings`], `simulate` reads [`SaltSettings`], and
//! `serve` reads all of [`Settings`], through the same functions.

use std::env::VarError;
use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use super::channels::read_channels;
use super::database::read_database_url;
use super::env_file::EnvFile;
use super::error::{ConfigError, ConfigErrors};
use super::production::{read_admin_token, read_console_password, read_public_base_url};
use super::reader::Reader;
use super::salt::{read_salt, WithoutUicSalt};
use super::values::{
    parse_bool, parse_environment, parse_host, parse_log_level, parse_phone_storage, parse_port,
    parse_rate_limit, parse_session_timeout, DEFAULT_PORT, DEFAULT_RATE_LIMIT_PER_MINUTE,
};
use super::{
    DatabaseSettings, Environment, PhoneStorage, SaltSettings, Secret, Settings, ENV_FILE,
};

const DEFAULT_APP_NAME: &str = "Générateur de CIU WhatsApp";

/// Runs `read` on the process environment, completed by `.env` in the working
/// directory if there is one. As with dotenvy's loader, a variable already in the
/// environment wins over the file; values from the file are named with their line.
fn from_process<T>(
    read: impl FnOnce(Reader, &Path) -> Result<T, ConfigErrors>,
) -> Result<T, ConfigErrors> {
    let single = |error| ConfigErrors(vec![error]);
    let workdir = std::env::current_dir()
        .map_err(|error| single(ConfigError::WorkingDirectory(error.to_string())))?;
    let file = EnvFile::read(&workdir.join(ENV_FILE)).map_err(single)?;
    let lookup = |name: &str| match std::env::var(name) {
        Ok(value) => Some(value),
        Err(VarError::NotUnicode(raw)) => Some(raw.to_string_lossy().into_owned()),
        Err(VarError::NotPresent) => file.get(name).map(str::to_owned),
    };
    read(Reader::new(&lookup, Some(&file)), &workdir)
}

/// `ENVIRONMENT`; `None` when it is wrong (recorded): neither mode's rules can then be
/// applied safely.
fn read_environment(reader: &mut Reader) -> Option<Environment> {
    let environment = reader.parsed("ENVIRONMENT", parse_environment);
    if reader.has_error("ENVIRONMENT") {
        None
    } else {
        Some(environment.unwrap_or(Environment::Development))
    }
}

/// `serve`'s rule for a missing `UIC_SALT`: the development file in development, an
/// error in production.
fn salt_rule(environment: Option<Environment>) -> WithoutUicSalt {
    match environment {
        Some(Environment::Development) => WithoutUicSalt::UseDevelopmentFile,
        Some(Environment::Production) => WithoutUicSalt::Refuse,
        None => WithoutUicSalt::Skip,
    }
}

/// What decides the codes `serve` issues, with its rules: `ENVIRONMENT`, the salt
/// ([`salt_rule`]) and the database (shared by [`Settings`] and
/// [`DerivationSettings`]). Each is `None` when wrong (recorded) or not applicable.
fn read_serve_basics(
    reader: &mut Reader,
    workdir: &Path,
) -> (Option<Environment>, Option<SaltSettings>, Option<Secret>) {
    let environment = read_environment(reader);
    let salt = read_salt(reader, salt_rule(environment), workdir);
    let url = environment.and_then(|environment| read_database_url(reader, environment));
    (environment, salt, url)
}

impl DatabaseSettings {
    /// What `migrate`, `cleanup`, `stats` and `export` need, from the environment and
    /// `.env`: no salt, no channel secret.
    pub fn from_env() -> Result<DatabaseSettings, ConfigErrors> {
        from_process(|reader, _| DatabaseSettings::read(reader))
    }

    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<DatabaseSettings, ConfigErrors> {
        DatabaseSettings::read(Reader::new(&lookup, None))
    }

    fn read(mut reader: Reader) -> Result<DatabaseSettings, ConfigErrors> {
        let environment = read_environment(&mut reader);
        let url = environment.and_then(|environment| read_database_url(&mut reader, environment));
        let settings = environment
            .zip(url)
            .map(|(environment, url)| DatabaseSettings { environment, url });
        reader.finish(settings)
    }
}

impl SaltSettings {
    /// The salt of `ciu simulate`: `UIC_SALT` when set (environment or `.env`), else the
    /// development salt file `serve` uses in development, whatever `ENVIRONMENT` says.
    pub fn for_simulation_from_env() -> Result<SaltSettings, ConfigErrors> {
        from_process(SaltSettings::read_for_simulation)
    }

    pub fn for_simulation(
        lookup: impl Fn(&str) -> Option<String>,
        workdir: &Path,
    ) -> Result<SaltSettings, ConfigErrors> {
        SaltSettings::read_for_simulation(Reader::new(&lookup, None), workdir)
    }

    fn read_for_simulation(
        mut reader: Reader,
        workdir: &Path,
    ) -> Result<SaltSettings, ConfigErrors> {
        let salt = read_salt(&mut reader, WithoutUicSalt::UseDevelopmentFile, workdir);
        reader.finish(salt)
    }
}

/// What `ciu derivation` and `ciu check` need to compare this configuration's codes
/// with the ones already issued: the database, and the salt `serve` would use.
#[derive(Debug, Clone)]
pub struct DerivationSettings {
    pub database: DatabaseSettings,
    pub salt: SaltSettings,
}

impl DerivationSettings {
    /// From the environment and `.env`, with `serve`'s rules: in production `UIC_SALT`
    /// is required; in development the salt file `serve` uses (created if absent).
    pub fn from_env() -> Result<DerivationSettings, ConfigErrors> {
        from_process(DerivationSettings::read)
    }

    fn read(mut reader: Reader, workdir: &Path) -> Result<DerivationSettings, ConfigErrors> {
        let (environment, salt, url) = read_serve_basics(&mut reader, workdir);
        let settings = match (environment, url, salt) {
            (Some(environment), Some(url), Some(salt)) => Some(DerivationSettings {
                database: DatabaseSettings { environment, url },
                salt,
            }),
            _ => None,
        };
        reader.finish(settings)
    }
}

/// The settings of the server process itself, with their defaults.
struct ServerOptions {
    app_name: String,
    app_version: String,
    session_timeout_minutes: Option<u32>,
    log_level: tracing::Level,
    log_json: bool,
    host: IpAddr,
    port: u16,
    flow_path: PathBuf,
    locales_dir: PathBuf,
    phone_storage: PhoneStorage,
    rate_limit_per_minute: Option<NonZeroU32>,
    enable_qr_code: bool,
}

fn read_server_options(reader: &mut Reader) -> ServerOptions {
    // `DEBUG`, from the guide's Python-era .env, is deliberately never read: it may
    // stay in the file, and LOG_LEVEL already says how verbose to be.
    ServerOptions {
        app_name: reader
            .value("APP_NAME")
            .unwrap_or_else(|| DEFAULT_APP_NAME.to_owned()),
        app_version: reader
            .value("APP_VERSION")
            .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_owned()),
        session_timeout_minutes: reader.parsed("SESSION_TIMEOUT_MINUTES", parse_session_timeout),
        log_level: reader
            .parsed("LOG_LEVEL", parse_log_level)
            .unwrap_or(tracing::Level::INFO),
        log_json: reader.parsed("LOG_JSON", parse_bool).unwrap_or(false),
        host: reader
            .parsed("HOST", parse_host)
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        port: reader.parsed("PORT", parse_port).unwrap_or(DEFAULT_PORT),
        flow_path: reader
            .value("FLOW_PATH")
            .map_or_else(|| PathBuf::from("flows/ciu.yaml"), PathBuf::from),
        locales_dir: reader
            .value("LOCALES_DIR")
            .map_or_else(|| PathBuf::from("locales"), PathBuf::from),
        phone_storage: reader
            .parsed("PHONE_STORAGE", parse_phone_storage)
            .unwrap_or(PhoneStorage::Hashed),
        rate_limit_per_minute: reader
            .parsed("RATE_LIMIT_PER_MINUTE", parse_rate_limit)
            .unwrap_or(NonZeroU32::new(DEFAULT_RATE_LIMIT_PER_MINUTE)),
        enable_qr_code: reader.parsed("ENABLE_QR_CODE", parse_bool).unwrap_or(false),
    }
}

impl Settings {
    /// Everything `ciu serve` needs, from the environment and `.env`; every problem is
    /// reported at once.
    pub fn from_env() -> Result<Settings, ConfigErrors> {
        from_process(Settings::read)
    }

    /// Builds the settings from any source of variables; `workdir` is where a
    /// development salt file is kept.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        workdir: &Path,
    ) -> Result<Settings, ConfigErrors> {
        Settings::read(Reader::new(&lookup, None), workdir)
    }

    fn read(mut reader: Reader, workdir: &Path) -> Result<Settings, ConfigErrors> {
        let (environment, salt, database_url) = read_serve_basics(&mut reader, workdir);
        let public_base_url = read_public_base_url(&mut reader, environment);
        let channels = read_channels(&mut reader, environment, public_base_url.as_deref());
        let salt_value = salt.as_ref().map(|s| &s.salt);
        let admin_token = read_admin_token(&mut reader, environment, salt_value);
        let console_password =
            read_console_password(&mut reader, environment, salt_value, admin_token.as_ref());
        let server = read_server_options(&mut reader);
        let settings = match (environment, salt, database_url) {
            (Some(environment), Some(salt), Some(database_url)) => Some(Settings {
                environment,
                app_name: server.app_name,
                app_version: server.app_version,
                salt: salt.salt,
                salt_source: salt.source,
                database_url,
                channels: channels.channels,
                twilio: channels.twilio,
                public_base_url,
                session_timeout_minutes: server.session_timeout_minutes,
                log_level: server.log_level,
                log_json: server.log_json,
                host: server.host,
                port: server.port,
                admin_token,
                console_password,
                flow_path: server.flow_path,
                locales_dir: server.locales_dir,
                phone_storage: server.phone_storage,
                rate_limit_per_minute: server.rate_limit_per_minute,
                meta: channels.meta,
                ussd: channels.ussd,
                enable_qr_code: server.enable_qr_code,
            }),
            _ => None,
        };
        reader.finish(settings)
    }
}
