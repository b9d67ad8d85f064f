//! The typed settings the rest of the service reads.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use subtle::ConstantTimeEq;

use super::database::mask_database_url;
pub use super::ussd::UssdSettings;
use crate::channels::ChannelId;
use crate::code::Salt;

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

/// How phone numbers are kept at rest.
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
    /// Generated for development and kept in [`super::DEV_SALT_FILE`]. Codes made with
    /// it are not valid for production, so the CLI must warn loudly.
    DevelopmentFile { path: PathBuf, created: bool },
}

/// The salt and where it came from.
#[derive(Debug, Clone)]
pub struct SaltSettings {
    pub salt: Salt,
    pub source: SaltSource,
}

/// What the database commands (`migrate`, `cleanup`, `stats`, `export`) need.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub environment: Environment,
    /// Secret because it usually carries the database password; log
    /// [`DatabaseSettings::url_for_logs`] instead.
    pub url: Secret,
}

impl DatabaseSettings {
    /// The database URL with its password masked, for logs and messages.
    pub fn url_for_logs(&self) -> String {
        mask_database_url(self.url.expose())
    }
}

#[derive(Debug, Clone)]
pub struct TwilioSettings {
    pub account_sid: Option<String>,
    /// Without it (development only) webhook signatures cannot be checked.
    pub auth_token: Option<Secret>,
    /// Normalized to `whatsapp:+<digits>`.
    pub whatsapp_number: Option<String>,
    /// Where Twilio posts WhatsApp and SMS messages (`WEBHOOK_PATH`).
    pub webhook_path: String,
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

/// The messaging providers this instance answers (`CHANNELS`). Twilio's webhook carries
/// two channels, WhatsApp and SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Channels {
    pub twilio: bool,
    pub meta: bool,
    /// Africa's Talking's USSD callback (src/config/ussd.rs).
    pub ussd: bool,
}

impl Channels {
    /// Whether messages of `channel` are answered.
    pub fn has(&self, channel: ChannelId) -> bool {
        match channel {
            ChannelId::Twilio | ChannelId::Sms => self.twilio,
            ChannelId::Meta => self.meta,
            ChannelId::Ussd => self.ussd,
        }
    }
}

/// Everything `ciu serve` needs.
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
    /// Opens the staff console (`CONSOLE_PASSWORD`, else `ADMIN_TOKEN`); no console
    /// when `None`.
    pub console_password: Option<Secret>,
    pub flow_path: PathBuf,
    pub locales_dir: PathBuf,
    pub phone_storage: PhoneStorage,
    /// Messages accepted per phone per minute; `None` (set to 0) means no limit.
    pub rate_limit_per_minute: Option<NonZeroU32>,
    pub meta: MetaSettings,
    /// `USSD_PATH` and `USSD_SECRET` (src/config/ussd.rs).
    pub ussd: UssdSettings,
    /// Send the code as a QR image too (needs `public_base_url`: the channel downloads
    /// the image from there).
    pub enable_qr_code: bool,
}

impl Settings {
    /// The database URL with its password masked, for logs and `ciu check`.
    pub fn database_url_for_logs(&self) -> String {
        mask_database_url(self.database_url.expose())
    }

    /// The database part, as the database commands read it.
    pub fn database(&self) -> DatabaseSettings {
        DatabaseSettings {
            environment: self.environment,
            url: self.database_url.clone(),
        }
    }

    /// The URL Twilio signs: the public base followed by the webhook path. `None` only
    /// in development without `PUBLIC_BASE_URL`.
    pub fn twilio_webhook_url(&self) -> Option<String> {
        self.public_base_url
            .as_ref()
            .map(|base| format!("{base}{}", self.twilio.webhook_path))
    }

    pub fn listen_address(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }
}
