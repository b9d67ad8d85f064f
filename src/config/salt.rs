//! `UIC_SALT`, or the development salt kept in [`DEV_SALT_FILE`]: `serve` (in
//! development) and `simulate` use the same one, so the same answers give the same code.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use super::error::ConfigError;
use super::reader::Reader;
use super::{SaltSettings, SaltSource, DEV_SALT_FILE};
use crate::code::Salt;
use crate::private_file::{self, IfExists};

/// What to do when `UIC_SALT` is not set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum WithoutUicSalt {
    /// Use (or create) the development salt file.
    UseDevelopmentFile,
    /// Production: the programme's salt is required.
    Refuse,
    /// `ENVIRONMENT` is wrong, so neither rule applies (that error is reported).
    Skip,
}

pub(super) fn read_salt(
    reader: &mut Reader,
    without: WithoutUicSalt,
    workdir: &Path,
) -> Option<SaltSettings> {
    if let Some(value) = reader.value("UIC_SALT") {
        return match Salt::new(&value) {
            Ok(salt) => Some(SaltSettings {
                salt,
                source: SaltSource::Configured,
            }),
            Err(error) => {
                let place = reader.place("UIC_SALT");
                reader.errors.push(ConfigError::Salt { error, place });
                None
            }
        };
    }
    if reader.has_error("UIC_SALT") {
        return None;
    }
    match without {
        WithoutUicSalt::UseDevelopmentFile => match development_salt(workdir) {
            Ok(salt) => Some(salt),
            Err(error) => {
                reader.errors.push(error);
                None
            }
        },
        WithoutUicSalt::Refuse => {
            reader.require(
                "UIC_SALT",
                false,
                "les codes doivent venir du sel secret du programme ; générez-en un avec \
                 `ciu salt`, mettez-le dans .env et gardez-en une copie en lieu sûr",
            );
            None
        }
        WithoutUicSalt::Skip => None,
    }
}

/// Loads the development salt from [`DEV_SALT_FILE`], creating it (readable by the
/// owner only) on the first run.
fn development_salt(workdir: &Path) -> Result<SaltSettings, ConfigError> {
    let path = workdir.join(DEV_SALT_FILE);
    let problem = |problem: String| ConfigError::DevSaltFile {
        path: path.clone(),
        problem,
    };
    let created = match write_new_salt(&path) {
        Ok(()) => true,
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => false,
        Err(error) => {
            return Err(problem(format!(
                "impossible de créer le sel de développement ({error}) ; lancez la commande \
                 depuis un dossier où vous pouvez écrire, ou définissez UIC_SALT"
            )))
        }
    };
    let stored = fs::read_to_string(&path).map_err(|error| {
        problem(format!(
            "impossible de lire le sel de développement : {error}"
        ))
    })?;
    let salt = Salt::new(&stored).map_err(|_| {
        problem(
            "ne contient pas un sel de développement valable ; supprimez le fichier pour en \
             générer un nouveau (les codes de développement changeront) ou définissez \
             UIC_SALT"
                .to_owned(),
        )
    })?;
    Ok(SaltSettings {
        salt,
        source: SaltSource::DevelopmentFile { path, created },
    })
}

fn write_new_salt(path: &Path) -> io::Result<()> {
    let mut file = private_file::create(path, IfExists::Refuse)?;
    writeln!(file, "{}", Salt::generate())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn salt_with(
        vars: &[(&str, &str)],
        without: WithoutUicSalt,
        dir: &Path,
    ) -> Option<SaltSettings> {
        let lookup = |name: &str| {
            vars.iter()
                .find(|(variable, _)| *variable == name)
                .map(|(_, value)| value.to_string())
        };
        let mut reader = Reader::new(&lookup, None);
        read_salt(&mut reader, without, dir)
    }

    #[test]
    fn production_refuses_to_make_one() {
        let dir = tempfile::tempdir().unwrap();
        assert!(salt_with(&[], WithoutUicSalt::Refuse, dir.path()).is_none());
        assert!(!dir.path().join(DEV_SALT_FILE).exists());
    }

    #[test]
    fn a_broken_development_file_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(DEV_SALT_FILE), "court\n").unwrap();
        let error = development_salt(dir.path()).unwrap_err();
        assert!(
            error.to_string().contains("supprimez le fichier"),
            "{error}"
        );
    }
}
