//! The deployer's `.env` file: read with dotenvy (as `main` exports it), and the line
//! each variable is defined on, so an error can point at it.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::error::{ConfigError, Place};

/// The variables of one `.env` file, each with its value and line.
#[derive(Debug, Default)]
pub struct EnvFile {
    path: PathBuf,
    values: HashMap<String, (String, Option<usize>)>,
}

impl EnvFile {
    /// Reads `path` (first definition wins, as with dotenvy's loader). A missing file
    /// is empty; a malformed one is an error naming the file and the line.
    pub fn read(path: &Path) -> Result<EnvFile, ConfigError> {
        let file_error = |line: Option<usize>, problem: String| ConfigError::EnvFile {
            path: path.to_owned(),
            line,
            problem,
        };
        let entries = match dotenvy::from_path_iter(path) {
            Ok(entries) => entries,
            Err(error) if error.not_found() => return Ok(EnvFile::default()),
            Err(error) => return Err(file_error(None, unreadable(&error))),
        };
        let text = fs::read_to_string(path).unwrap_or_default();
        let mut values = HashMap::new();
        for entry in entries {
            match entry {
                Ok((name, value)) => {
                    let line = definition_line(&text, &name);
                    values.entry(name).or_insert((value, line));
                }
                Err(dotenvy::Error::LineParse(line, _)) => {
                    return Err(file_error(
                        line_number_of(&text, &line),
                        "cette ligne n'est pas de la forme NOM=valeur ; vérifiez le nom et les \
                         guillemets (une valeur avec des espaces ou un # se met entre \
                         guillemets, une valeur avec un $ entre apostrophes 'comme ceci')"
                            .to_owned(),
                    ));
                }
                Err(error) => return Err(file_error(None, unreadable(&error))),
            }
        }
        Ok(EnvFile {
            path: path.to_owned(),
            values,
        })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(|(value, _)| value.as_str())
    }

    /// The line defining `name`, when the value in use is the file's (a variable of the
    /// process environment wins over the file).
    pub fn place_of(&self, name: &str, value_in_use: &str) -> Option<Place> {
        match self.values.get(name) {
            Some((value, Some(line))) if value == value_in_use => Some(Place {
                path: self.path.clone(),
                line: *line,
            }),
            _ => None,
        }
    }
}

/// `.env` is readable by the service's user only (chmod 600).
fn unreadable(error: &dotenvy::Error) -> String {
    format!(
        "lecture impossible ({error}) ; lancez la commande en tant que propriétaire du \
         fichier, par exemple sudo -u whatsappbot ./ciu ..."
    )
}

/// The first line that reads `NAME=` (or `export NAME=`).
fn definition_line(text: &str, name: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            let line = line.trim_start();
            let line = line.strip_prefix("export ").unwrap_or(line);
            line.split_once('=')
                .is_some_and(|(defined, _)| defined.trim() == name)
        })
        .map(|index| index + 1)
}

/// dotenvy reports the text of a bad line, not its number; find it in the file.
fn line_number_of(text: &str, line: &str) -> Option<usize> {
    let needle = line.trim();
    if needle.is_empty() {
        return None;
    }
    let offset = text.find(needle)?;
    Some(text[..offset].matches('\n').count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_env_file_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        fs::write(
            &path,
            "# commentaire\nAPP_NAME=\"Générateur\"\n\nUIC_SALT=\"pas fermé\nPORT=8000\n",
        )
        .unwrap();
        let error = EnvFile::read(&path).unwrap_err();
        assert!(
            matches!(&error, ConfigError::EnvFile { line: Some(4), .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains(".env:4 : "), "{message}");
        assert!(message.contains("NOM=valeur"), "{message}");
        assert!(!message.contains("pas fermé"), "{message}");

        fs::write(&path, "PORT=8000\nNOT A VARIABLE\n").unwrap();
        let error = EnvFile::read(&path).unwrap_err();
        assert!(
            matches!(&error, ConfigError::EnvFile { line: Some(2), .. }),
            "{error:?}"
        );
    }

    #[test]
    fn a_missing_env_file_is_fine_and_the_first_definition_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        assert!(EnvFile::read(&path).unwrap().values.is_empty());
        fs::write(&path, "# PORT=1\nPORT=8001\nexport PORT=8002\n").unwrap();
        let file = EnvFile::read(&path).unwrap();
        assert_eq!(file.get("PORT"), Some("8001"));
        assert_eq!(
            file.place_of("PORT", "8001"),
            Some(Place {
                path: path.clone(),
                line: 2
            })
        );
        // A value from the process environment is not the file's.
        assert_eq!(file.place_of("PORT", "9000"), None);
        assert_eq!(file.place_of("HOST", "0.0.0.0"), None);
    }
}
