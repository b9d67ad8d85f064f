//! Problems found when loading the flow and the catalogs, reported as
//! `file:line:column: erreur : sentence` so programme staff can go straight to the spot.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl Diagnostic {
    pub fn error(file: &Path, position: Option<Position>, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, file, position, message)
    }

    pub fn warning(file: &Path, position: Option<Position>, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, file, position, message)
    }

    pub fn new(
        severity: Severity,
        file: &Path,
        position: Option<Position>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity,
            file: file.to_path_buf(),
            line: position.map(|p| p.line),
            column: position.and_then(|p| p.column),
            message: message.into(),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        let label = match self.severity {
            Severity::Error => "erreur",
            Severity::Warning => "avertissement",
        };
        write!(f, ": {label} : {}", self.message)
    }
}

/// A 1-based place in a text file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: Option<usize>,
}

impl Position {
    pub fn at(line: usize, column: usize) -> Self {
        Position {
            line,
            column: Some(column),
        }
    }

    /// The position of a byte offset in `source`.
    pub fn of_offset(source: &str, offset: usize) -> Self {
        let before = &source[..offset.min(source.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Position::at(line, column)
    }
}
