//! The SQLite writer: the one connection through which this process writes
//! conversations and codes, used synchronously (rusqlite) under the writer lock.
//!
//! Why not sqlx here: sqlx runs each SQLite connection on a thread of its own, so every
//! statement is a hand-off between threads, made while every other message waits for
//! the single writer. Measured, those hand-offs were most of a message's cost. A
//! statement here takes microseconds (WAL, no fsync per commit), so it runs right on
//! the task that holds the lock: a message holds the writer for its own work only.
//!
//! Values are written as sqlx writes them (timestamps as RFC 3339 text in UTC), so the
//! rest of the store, still on sqlx, reads and compares them alike.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use rusqlite::types::ToSql;
use rusqlite::{CachedStatement, Connection, OpenFlags};

use super::StoreError;

/// The writer's connection, opened on first use and again after a failure.
pub struct SqliteWriter {
    path: PathBuf,
    busy_timeout: Duration,
    connection: Option<Connection>,
}

impl SqliteWriter {
    pub fn new(path: &Path, busy_timeout: Duration) -> Self {
        SqliteWriter {
            path: path.to_owned(),
            busy_timeout,
            connection: None,
        }
    }

    pub fn connection(&mut self) -> Result<&Connection, StoreError> {
        if self.connection.is_none() {
            self.connection = Some(self.open()?);
        }
        Ok(self.connection.as_ref().expect("opened just above"))
    }

    /// Forgets a connection left in an unknown state (a failed rollback); the next
    /// message opens a fresh one, and SQLite rolls back what this one left open.
    pub fn discard_connection(&mut self) {
        self.connection = None;
    }

    fn open(&self) -> Result<Connection, StoreError> {
        let connection = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|error| StoreError::Unavailable(error.into()))?;
        connection.busy_timeout(self.busy_timeout)?;
        // The same settings as the pool's connections (see `connect_sqlite`).
        connection.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
        )?;
        Ok(connection)
    }
}

/// A timestamp as sqlx stores it: `2026-11-24T09:30:00.123456789+00:00`.
pub fn time_text(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// Reads a timestamp written by [`time_text`] (or by sqlx, which writes the same).
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%F %T%.f").map(|time| time.and_utc()))
        .map_err(|_| {
            StoreError::Query(format!("unreadable timestamp in the database: {text:?}").into())
        })
}

/// Prepares `sql` (cached) and binds `values` to its parameters `$1`, `$2`, ... by
/// name: the SQL is shared with PostgreSQL, where `$n` is positional, and SQLite
/// numbers `$n` parameters in order of first appearance, which may differ.
pub fn bind<'c>(
    connection: &'c Connection,
    sql: &str,
    values: &[&dyn ToSql],
) -> Result<CachedStatement<'c>, StoreError> {
    let mut statement = connection.prepare_cached(sql)?;
    for (position, value) in values.iter().enumerate() {
        let name = format!("${}", position + 1);
        let index = statement.parameter_index(&name)?.ok_or_else(|| {
            StoreError::Query(format!("parameter {name} is not in the statement").into())
        })?;
        statement.raw_bind_parameter(index, value)?;
    }
    Ok(statement)
}

/// Runs `sql` with `values`; returns the number of rows changed.
pub fn execute(
    connection: &Connection,
    sql: &str,
    values: &[&dyn ToSql],
) -> Result<usize, StoreError> {
    Ok(bind(connection, sql, values)?.raw_execute()?)
}

/// Runs `sql` with `values` and reads its first row, if any, with `read`.
pub fn query_first<T>(
    connection: &Connection,
    sql: &str,
    values: &[&dyn ToSql],
    read: impl FnOnce(&rusqlite::Row<'_>) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    let mut statement = bind(connection, sql, values)?;
    let mut rows = statement.raw_query();
    match rows.next()? {
        Some(row) => read(row).map(Some),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_are_written_as_sqlx_writes_them_and_read_back() {
        let time = Utc.with_ymd_and_hms(2026, 11, 24, 9, 30, 0).unwrap()
            + chrono::Duration::nanoseconds(123_456_789);
        let text = time_text(time);
        assert_eq!(text, "2026-11-24T09:30:00.123456789+00:00");
        assert_eq!(parse_time(&text).unwrap(), time);
        assert_eq!(
            parse_time("2026-11-24 09:30:00").unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 24, 9, 30, 0).unwrap()
        );
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn parameters_are_bound_by_name_whatever_their_order_in_the_sql() {
        let connection = Connection::open_in_memory().unwrap();
        connection
            .execute_batch("CREATE TABLE t (a TEXT, b TEXT)")
            .unwrap();
        // `$2` appears first: positional binding would swap the values.
        execute(
            &connection,
            "INSERT INTO t (b, a) VALUES ($2, $1)",
            &[&"first", &"second"],
        )
        .unwrap();
        let row = query_first(&connection, "SELECT a, b FROM t", &[], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .unwrap();
        assert_eq!(row, Some(("first".to_owned(), "second".to_owned())));
        let missing = execute(&connection, "DELETE FROM t WHERE a = $1", &[&"x", &"y"]);
        assert!(missing.is_err(), "a value without its parameter is a bug");
    }
}
