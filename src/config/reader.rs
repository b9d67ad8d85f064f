//! Reads variables and collects every problem instead of stopping at the first.

use super::env_file::EnvFile;
use super::error::{ConfigError, ConfigErrors, Place};

pub(super) struct Reader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    /// Where values may come from, to name their line in errors.
    env_file: Option<&'a EnvFile>,
    pub(super) errors: Vec<ConfigError>,
}

impl<'a> Reader<'a> {
    pub(super) fn new(
        lookup: &'a dyn Fn(&str) -> Option<String>,
        env_file: Option<&'a EnvFile>,
    ) -> Self {
        Reader {
            lookup,
            env_file,
            errors: Vec::new(),
        }
    }

    /// The trimmed value. Blank counts as unset, so `.env.example`'s empty entries are
    /// harmless; a `[...]` placeholder copied from the guide is refused.
    pub(super) fn value(&mut self, variable: &'static str) -> Option<String> {
        let value = (self.lookup)(variable)?.trim().to_owned();
        if value.is_empty() {
            return None;
        }
        if is_placeholder(&value) {
            self.invalid(
                variable,
                "contient encore un modèle du guide (texte entre [crochets]) ; remplacez-le \
                 par la vraie valeur",
            );
            return None;
        }
        Some(value)
    }

    pub(super) fn secret(&mut self, variable: &'static str) -> Option<super::Secret> {
        self.value(variable).map(super::Secret::new)
    }

    /// The parsed value; `None` when unset or invalid (the problem is recorded).
    pub(super) fn parsed<T>(
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

    /// The `.env` line the variable's value comes from, if it comes from there.
    pub(super) fn place(&self, variable: &str) -> Option<Place> {
        let value = (self.lookup)(variable)?;
        self.env_file?.place_of(variable, &value)
    }

    pub(super) fn invalid(&mut self, variable: &'static str, problem: impl Into<String>) {
        let place = self.place(variable);
        self.errors.push(ConfigError::Invalid {
            variable,
            problem: problem.into(),
            place,
        });
    }

    /// Records a missing production variable, unless it was already reported as wrong.
    pub(super) fn require(&mut self, variable: &'static str, present: bool, why: &'static str) {
        if !present && !self.has_error(variable) {
            self.errors
                .push(ConfigError::RequiredInProduction { variable, why });
        }
    }

    /// Records a variable missing in any environment.
    pub(super) fn require_always(
        &mut self,
        variable: &'static str,
        present: bool,
        why: &'static str,
    ) {
        if !present && !self.has_error(variable) {
            self.errors.push(ConfigError::Required { variable, why });
        }
    }

    pub(super) fn has_error(&self, variable: &str) -> bool {
        self.errors
            .iter()
            .any(|error| error.variable() == Some(variable))
    }

    /// `value` when nothing went wrong, else every problem recorded.
    pub(super) fn finish<T>(self, value: Option<T>) -> Result<T, ConfigErrors> {
        match value {
            Some(value) if self.errors.is_empty() => Ok(value),
            _ => Err(ConfigErrors(self.errors)),
        }
    }
}

/// The guide's `.env` ships `"[À COMPLÉTER PAR L'ÉQUIPE CANADIENNE]"` and `[DB_PASSWORD]`.
fn is_placeholder(value: &str) -> bool {
    (value.starts_with('[') && value.ends_with(']')) || value.contains("[DB_PASSWORD]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn errors_point_at_the_env_file_line_only_for_its_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        fs::write(&path, "HOST=localhost\n\nPORT=80a\n").unwrap();
        let file = EnvFile::read(&path).unwrap();
        let lookup = |name: &str| match name {
            "HOST" => Some("ici".to_owned()),
            _ => file.get(name).map(str::to_owned),
        };
        let mut reader = Reader::new(&lookup, Some(&file));
        reader.invalid("PORT", "mauvais");
        reader.invalid("HOST", "mauvais");
        let shown = reader.finish(Some(())).unwrap_err().to_string();
        assert_eq!(
            shown,
            format!("PORT ({}:3) : mauvais\nHOST : mauvais", path.display())
        );
    }

    #[test]
    fn placeholders_are_refused_and_blank_is_unset() {
        let lookup = |name: &str| match name {
            "A" => Some("[À COMPLÉTER]".to_owned()),
            _ => Some("  ".to_owned()),
        };
        let mut reader = Reader::new(&lookup, None);
        assert_eq!(reader.value("A"), None);
        assert_eq!(reader.value("B"), None);
        assert!(reader.has_error("A") && !reader.has_error("B"));
    }
}
