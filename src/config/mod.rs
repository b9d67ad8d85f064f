//! Typed settings, read at start-up from the process environment and the `.env` file
//! of the working directory (`.env.example` lists every variable). Every problem is
//! reported at once, in French, each naming the variable, the `.env` line it came
//! from, and what to do.
//!
//! Each command reads only the layer it uses: [`DatabaseSettings`] for the database
//! commands, [`SaltSettings::for_simulation_from_env`] for `simulate`, and the whole
//! [`Settings`] (with production's rules) for `serve`.

mod channels;
mod database;
mod env_file;
mod error;
mod load;
mod meta;
mod production;
mod reader;
mod salt;
mod twilio;
mod types;
mod ussd;
mod values;

#[cfg(test)]
mod settings_tests;

pub use env_file::EnvFile;
pub use error::{ConfigError, ConfigErrors, Place};
pub use load::DerivationSettings;
pub use types::{
    Channels, DatabaseSettings, Environment, MetaSettings, PhoneStorage, SaltSettings, SaltSource,
    Secret, Settings, TwilioSettings, UssdSettings,
};
pub use values::is_https;

/// The deployer's settings file, in the working directory.
pub const ENV_FILE: &str = ".env";

/// Where a development run keeps the salt it generated, so codes stay stable between
/// runs (and `serve` and `simulate` agree).
pub const DEV_SALT_FILE: &str = ".ciu-dev-salt";
