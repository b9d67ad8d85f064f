//! Configuration errors, written in French for the deployer: each names the variable
//! (and the `.env` line it came from) and what to do.

use std::fmt;
use std::path::PathBuf;

use crate::code::SaltError;

/// A line of a settings file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub path: PathBuf,
    pub line: usize,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.path.display(), self.line)
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{}", salt_problem(.error, .place.as_ref()))]
    Salt {
        error: SaltError,
        place: Option<Place>,
    },
    #[error("{variable}{} : {problem}", in_file(.place.as_ref()))]
    Invalid {
        variable: &'static str,
        problem: String,
        place: Option<Place>,
    },
    #[error("{variable} est obligatoire avec ENVIRONMENT=production : {why}")]
    RequiredInProduction {
        variable: &'static str,
        why: &'static str,
    },
    #[error("{variable} est obligatoire : {why}")]
    Required {
        variable: &'static str,
        why: &'static str,
    },
    /// The offending line is not repeated: it may hold a secret.
    #[error("{}{} : {problem}", .path.display(), line_suffix(*.line))]
    EnvFile {
        path: PathBuf,
        line: Option<usize>,
        problem: String,
    },
    #[error("{} : {problem}", .path.display())]
    DevSaltFile { path: PathBuf, problem: String },
    #[error("impossible de connaître le dossier de travail : {0}")]
    WorkingDirectory(String),
}

impl ConfigError {
    /// The environment variable the error is about, if it is about one.
    pub fn variable(&self) -> Option<&str> {
        match self {
            ConfigError::Salt { .. } => Some("UIC_SALT"),
            ConfigError::Invalid { variable, .. }
            | ConfigError::RequiredInProduction { variable, .. }
            | ConfigError::Required { variable, .. } => Some(variable),
            _ => None,
        }
    }
}

/// The guide's English sentence comes first (docs/fr/guide-de-deploiement.md quotes it
/// under « Erreur de configuration du sel »), then what to do, in French.
fn salt_problem(error: &SaltError, place: Option<&Place>) -> String {
    let place = in_file(place);
    match error {
        SaltError::TooShort => format!(
            "{error} — UIC_SALT{place} : le sel doit compter au moins 16 caractères ; \
             générez-en un avec `ciu salt` et mettez-le dans .env (UIC_SALT=\"...\")"
        ),
        SaltError::TooSimple => format!(
            "UIC_SALT{place} : le sel doit mélanger au moins trois sortes de caractères \
             (minuscules, majuscules, chiffres, symboles) ; générez-en un avec `ciu salt`"
        ),
    }
}

fn in_file(place: Option<&Place>) -> String {
    place.map_or_else(String::new, |place| format!(" ({place})"))
}

fn line_suffix(line: Option<usize>) -> String {
    line.map_or_else(String::new, |line| format!(":{line}"))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_variable_and_the_env_file_line() {
        let place = Place {
            path: PathBuf::from("/opt/ciu-whatsapp/.env"),
            line: 12,
        };
        let error = ConfigError::Invalid {
            variable: "PORT",
            problem: "« 80a » n'est pas un numéro de port".to_owned(),
            place: Some(place.clone()),
        };
        assert_eq!(
            error.to_string(),
            "PORT (/opt/ciu-whatsapp/.env:12) : « 80a » n'est pas un numéro de port"
        );
        let salt = ConfigError::Salt {
            error: SaltError::TooShort,
            place: Some(place),
        };
        let message = salt.to_string();
        assert!(
            message.starts_with(
                "Configuration error: UIC salt must be at least 16 characters — \
                 UIC_SALT (/opt/ciu-whatsapp/.env:12) : "
            ),
            "{message}"
        );
        let file = ConfigError::EnvFile {
            path: PathBuf::from(".env"),
            line: None,
            problem: "illisible".to_owned(),
        };
        assert_eq!(file.to_string(), ".env : illisible");
    }
}
