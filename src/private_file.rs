//! Files only their owner can read: exports of the registry and the development salt.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// What to do when the file is already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfExists {
    /// Empty it and write anew (an export written again); it is made private too.
    Replace,
    /// Fail with [`io::ErrorKind::AlreadyExists`] (a salt is never overwritten).
    Refuse,
}

/// Opens `path` for writing, created with mode 0600 on Unix.
pub fn create(path: &Path, if_exists: IfExists) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true);
    match if_exists {
        IfExists::Replace => options.create(true).truncate(true),
        IfExists::Refuse => options.create_new(true),
    };
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    // The mode applies only to a new file; an old export may have been readable.
    #[cfg(unix)]
    if if_exists == IfExists::Replace {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode_of(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn replace_truncates_and_refuse_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.csv");
        std::fs::write(&path, "ancien contenu").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let readable = std::fs::Permissions::from_mode(0o644);
            std::fs::set_permissions(&path, readable).unwrap();
        }

        let error = create(&path, IfExists::Refuse).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "ancien contenu");

        drop(create(&path, IfExists::Replace).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
        #[cfg(unix)]
        assert_eq!(mode_of(&path), 0o600);

        let new = dir.path().join("sel");
        drop(create(&new, IfExists::Refuse).unwrap());
        #[cfg(unix)]
        assert_eq!(mode_of(&new), 0o600);
    }
}
