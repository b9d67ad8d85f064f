//! The SQLite writer: the one connection through which this process writes
//! conversations and codes, used synchronously (rusqlite) under the writer lock.
//!
//! Why not sqlx here: sqlx runs each SQLite connection on a thread of its own, so every
//! statement is a hand-off between threads, made while every other message waits for
//! the single writer. Measured, those hand-offs were most of a message's cost. A
//! statement here takes microseconds (WAL, no fsync per commit), so it runs right on
//! the task that holds the lock: a message holds the writer for its own work only.
//!
//! Group commit: when other messages are waiting for the writer, a message does not
//! commit; it leaves the transaction open for them and waits for the one that does
//! (the last of the queue, or the 64th). The messages written together share one
//! commit, so the pages they touch in common (the ends of the time-ordered tables and
//! indexes) go to the log once per batch, not once per message. Each message runs in
//! a savepoint: one that fails is undone alone. No reply leaves before its message is
//! committed, and if a commit fails, every message of the batch is told so (503: the
//! provider sends them again).
//!
//! Checkpoints (copying the write-ahead log into the database file, with an fsync)
//! run on a task of their own, beside the writer, instead of inside the commit that
//! crosses SQLite's threshold, which held every message waiting behind it.
//!
//! Values are written as sqlx writes them (timestamps as RFC 3339 text in UTC), so the
//! rest of the store, still on sqlx, reads and compares them alike.

use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use rusqlite::types::ToSql;
use rusqlite::{CachedStatement, Connection, OpenFlags};
use tokio::sync::{watch, Mutex, OwnedMutexGuard};

use super::StoreError;

/// The most messages committed together: bounds how long the first one waits.
const MAX_BATCH: usize = 64;
/// A message that joined a batch and has heard nothing after this long commits the
/// batch itself (the messages expected to continue it were cancelled meanwhile).
const BATCH_WAIT_LIMIT: Duration = Duration::from_millis(50);

/// The writer's connection, opened on first use and again after a failure, and the
/// transaction open on it.
pub struct SqliteWriter {
    path: PathBuf,
    busy_timeout: Duration,
    connection: Option<Connection>,
    batch: Option<Batch>,
    batches_begun: u64,
}

/// Messages written in one transaction, not yet committed.
struct Batch {
    id: u64,
    /// Messages that finished their work and wait for the commit.
    members: usize,
    /// `Some(true)` once committed, `Some(false)` if it failed (nothing of it kept).
    outcome: watch::Sender<Option<bool>>,
}

/// What becomes of a message's savepoint when its transaction ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Savepoint {
    /// The message wrote nothing.
    None,
    Keep,
    Undo,
}

impl SqliteWriter {
    pub fn new(path: &Path, busy_timeout: Duration) -> Self {
        SqliteWriter {
            path: path.to_owned(),
            busy_timeout,
            connection: None,
            batch: None,
            batches_begun: 0,
        }
    }

    /// Opens a savepoint for one message, inside the batch's transaction (begun if
    /// none is open); returns the connection to write with.
    pub fn begin_message(&mut self) -> Result<&Connection, StoreError> {
        if self.batch.is_none() {
            // IMMEDIATE: the write lock at once, so a transaction never reads and then
            // fails to upgrade to writing (another process may write to the file).
            execute(self.connection()?, "BEGIN IMMEDIATE", &[])?;
            self.batches_begun += 1;
            self.batch = Some(Batch {
                id: self.batches_begun,
                members: 0,
                outcome: watch::channel(None).0,
            });
        }
        execute(self.connection()?, "SAVEPOINT message", &[])?;
        self.connection()
    }

    /// Commits the open transaction, if any, and tells the messages waiting for it.
    pub fn commit_batch(&mut self) -> Result<(), StoreError> {
        let Some(batch) = self.batch.take() else {
            return Ok(());
        };
        let committed = self
            .connection()
            .and_then(|connection| execute(connection, "COMMIT", &[]));
        if committed.is_err() {
            let rolled_back = self
                .connection()
                .and_then(|connection| execute(connection, "ROLLBACK", &[]));
            if rolled_back.is_err() {
                self.discard_connection();
            }
        }
        batch.outcome.send_replace(Some(committed.is_ok()));
        committed.map(drop)
    }

    fn end_savepoint(&mut self, savepoint: Savepoint) -> Result<(), StoreError> {
        let statements: &[&str] = match savepoint {
            Savepoint::None => &[],
            Savepoint::Keep => &["RELEASE message"],
            Savepoint::Undo => &["ROLLBACK TO message", "RELEASE message"],
        };
        for sql in statements {
            if let Err(error) = self
                .connection()
                .and_then(|connection| execute(connection, sql, &[]))
            {
                // The transaction is in an unknown state: none of it is kept.
                self.discard_connection();
                return Err(error);
            }
        }
        Ok(())
    }

    pub fn connection(&mut self) -> Result<&Connection, StoreError> {
        if self.connection.is_none() {
            self.connection = Some(self.open()?);
        }
        Ok(self.connection.as_ref().expect("opened just above"))
    }

    /// Forgets a connection left in an unknown state (a failed rollback); the next
    /// message opens a fresh one, and SQLite rolls back what this one left open: the
    /// messages waiting for that transaction are told it failed.
    fn discard_connection(&mut self) {
        self.connection = None;
        if let Some(batch) = self.batch.take() {
            batch.outcome.send_replace(Some(false));
        }
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
        // Every statement of a message stays prepared (rusqlite keeps 16 by default,
        // fewer than a message that issues a code uses, with the console's counters).
        connection.set_prepared_statement_cache_capacity(64);
        // The same settings as the pool's connections (see `connect_sqlite`).
        connection.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
        )?;
        // Checkpoints are the checkpointer's job (see `start_checkpointer`). If writing
        // ever outpaces it, the writer checkpoints itself once the log reaches 32 MB
        // (SQLite's own rule, at 8 times its default), which bounds the log. After a
        // restart of the log, SQLite trims its file back to 32 MB.
        connection.execute_batch(
            "PRAGMA wal_autocheckpoint = 8192; PRAGMA journal_size_limit = 33554432;",
        )?;
        Ok(connection)
    }
}

/// How often the checkpointer copies the log into the database file.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(200);
/// A log longer than this (4 KB pages: 16 MB) is finished with the writer paused.
const RESTART_LOG_AFTER_FRAMES: i64 = 4096;

/// At most this much of the log is copied with the writer paused (when it can keep up).
const LEFT_FOR_THE_PAUSE: i64 = 512;

/// The write-ahead log after a checkpoint, in pages.
#[derive(Debug, Clone, Copy, Default)]
struct LogState {
    frames: i64,
    copied: i64,
}

/// Stops the checkpointer when the store is dropped.
pub struct Checkpointer {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts copying the log of the database at `path` into its file every 200 ms. The
/// copy runs beside the writer (SQLite allows it) and covers what was committed when it
/// began. The log only starts over from its beginning when a transaction begins with
/// nothing left to copy, which a busy writer never leaves time for: when the log grows
/// past 16 MB, the rest is copied with the writer paused (a few milliseconds).
pub fn start_checkpointer(lock: WriterLock, path: PathBuf) -> Checkpointer {
    let task = tokio::spawn(async move {
        let mut connection = None;
        let mut tick = tokio::time::interval(CHECKPOINT_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let mut log;
            (connection, log) = checkpoint_blocking(connection, path.clone()).await;
            if log.frames > RESTART_LOG_AFTER_FRAMES {
                // Catch up beside the writer until little is left, so that the pause
                // (which waits for that copy and its fsync) stays short.
                for _ in 0..4 {
                    if log.frames - log.copied <= LEFT_FOR_THE_PAUSE {
                        break;
                    }
                    (connection, log) = checkpoint_blocking(connection, path.clone()).await;
                }
                // Commits the open transaction first: the next one begins after the copy.
                let Ok(paused_writer) = lock.lock_for_pool().await else {
                    continue;
                };
                (connection, _) = checkpoint_blocking(connection, path.clone()).await;
                drop(paused_writer);
            }
        }
    });
    Checkpointer { task }
}

/// One passive checkpoint on the checkpointer's connection (opened if needed), off the
/// async threads; returns the connection and the log's state (empty when the
/// checkpoint could not run: tried again at the next tick).
async fn checkpoint_blocking(
    connection: Option<Connection>,
    path: PathBuf,
) -> (Option<Connection>, LogState) {
    let copied = tokio::task::spawn_blocking(move || {
        let connection = match connection {
            Some(connection) => connection,
            None => Connection::open(&path).ok()?,
        };
        let log = connection
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
                Ok(LogState {
                    frames: row.get(1)?,
                    copied: row.get(2)?,
                })
            })
            .unwrap_or_else(|error| {
                tracing::debug!(%error, "SQLite checkpoint failed; tried again shortly");
                LogState::default()
            });
        Some((connection, log))
    })
    .await;
    match copied {
        Ok(Some((connection, log))) => (Some(connection), log),
        _ => (None, LogState::default()),
    }
}

/// The process's writer lock, and how many wait for it (so a message knows whether to
/// leave the transaction open for others).
#[derive(Clone)]
pub struct WriterLock {
    writer: Arc<Mutex<SqliteWriter>>,
    waiting: Arc<AtomicUsize>,
    wait_limit: Duration,
}

impl WriterLock {
    pub fn new(writer: SqliteWriter, wait_limit: Duration) -> Self {
        WriterLock {
            writer: Arc::new(Mutex::new(writer)),
            waiting: Arc::new(AtomicUsize::new(0)),
            wait_limit,
        }
    }

    /// The writer, for a message: a transaction left open by the previous messages
    /// stays open.
    pub async fn lock(&self) -> Result<WriterGuard, StoreError> {
        let waiting = Waiting::count(&self.waiting);
        let locked = tokio::time::timeout(self.wait_limit, self.writer.clone().lock_owned()).await;
        drop(waiting);
        match locked {
            Ok(guard) => Ok(WriterGuard {
                guard,
                lock: self.clone(),
            }),
            // Waiting this long for the writer means the database cannot keep up.
            Err(_) => Err(StoreError::Unavailable(
                "timed out waiting for the SQLite writer".into(),
            )),
        }
    }

    /// The writer, for a write through the pool: the open transaction is committed
    /// first (it holds SQLite's write lock).
    pub async fn lock_for_pool(&self) -> Result<WriterGuard, StoreError> {
        let mut guard = self.lock().await?;
        guard.commit_batch()?;
        Ok(guard)
    }
}

/// Counts one task waiting for the writer, until dropped: also when the wait is
/// cancelled (a client that hung up), or later messages would wait for it forever.
struct Waiting(Arc<AtomicUsize>);

impl Waiting {
    fn count(waiting: &Arc<AtomicUsize>) -> Waiting {
        waiting.fetch_add(1, Ordering::SeqCst);
        Waiting(waiting.clone())
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The writer, held.
pub struct WriterGuard {
    guard: OwnedMutexGuard<SqliteWriter>,
    lock: WriterLock,
}

impl Deref for WriterGuard {
    type Target = SqliteWriter;
    fn deref(&self) -> &SqliteWriter {
        &self.guard
    }
}

impl DerefMut for WriterGuard {
    fn deref_mut(&mut self) -> &mut SqliteWriter {
        &mut self.guard
    }
}

/// How a message learns that its writes are committed.
pub enum Finished {
    /// Committed (or failed) by this message, with the batch before it.
    Now(Result<(), StoreError>),
    /// Left open for the messages waiting for the writer: one of them commits.
    Later(BatchWait),
}

impl WriterGuard {
    /// Ends a message: closes its savepoint, then either leaves the transaction open
    /// for the messages waiting for the writer, or commits it. Releases the writer.
    pub fn finish_message(mut self, savepoint: Savepoint) -> Finished {
        if let Err(error) = self.end_savepoint(savepoint) {
            return Finished::Now(Err(error));
        }
        let others_waiting = self.lock.waiting.load(Ordering::SeqCst) > 0;
        match &mut self.guard.batch {
            // The one that commits is a message of the batch too.
            Some(batch) if others_waiting && batch.members + 1 < MAX_BATCH => {
                if savepoint != Savepoint::Keep {
                    // Nothing of this message to wait for.
                    return Finished::Now(Ok(()));
                }
                batch.members += 1;
                Finished::Later(BatchWait {
                    batch: batch.id,
                    outcome: batch.outcome.subscribe(),
                    lock: self.lock.clone(),
                })
            }
            _ => Finished::Now(self.commit_batch()),
        }
    }
}

/// A message waiting for the commit of the batch it joined.
pub struct BatchWait {
    batch: u64,
    outcome: watch::Receiver<Option<bool>>,
    lock: WriterLock,
}

impl BatchWait {
    pub async fn committed(mut self) -> Result<(), StoreError> {
        loop {
            let heard =
                tokio::time::timeout(BATCH_WAIT_LIMIT, self.outcome.wait_for(Option::is_some))
                    .await
                    // Not the guard itself: it must not be held across the await below.
                    .map(|outcome| outcome.map(|outcome| *outcome == Some(true)));
            match heard {
                Ok(Ok(true)) => return Ok(()),
                Ok(_) => {
                    return Err(StoreError::Unavailable(
                        "the SQLite transaction of this message could not be committed".into(),
                    ))
                }
                Err(_) => {
                    // If even the writer cannot be had, the batch is still on its way:
                    // keep waiting for its outcome rather than report a failure.
                    let Ok(mut writer) = self.lock.lock().await else {
                        continue;
                    };
                    if writer.batch.as_ref().is_some_and(|b| b.id == self.batch) {
                        // Its outcome reaches `self.outcome`, read on the next turn.
                        let _ = writer.commit_batch();
                    }
                }
            }
        }
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

/// The names of the parameters `bind` fills, in order (the longest statement has 8).
const PARAMETER_NAMES: [&str; 8] = ["$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8"];

/// Prepares `sql` (cached) and binds `values` to its parameters `$1`, `$2`, ... by
/// name: the SQL is shared with PostgreSQL, where `$n` is positional, and SQLite
/// numbers `$n` parameters in order of first appearance, which may differ.
pub fn bind<'c>(
    connection: &'c Connection,
    sql: &str,
    values: &[&dyn ToSql],
) -> Result<CachedStatement<'c>, StoreError> {
    let mut statement = connection.prepare_cached(sql)?;
    if values.len() > PARAMETER_NAMES.len() {
        return Err(StoreError::Query(
            format!(
                "{} parameters: at most {}",
                values.len(),
                PARAMETER_NAMES.len()
            )
            .into(),
        ));
    }
    for (value, name) in values.iter().zip(PARAMETER_NAMES) {
        let index = statement.parameter_index(name)?.ok_or_else(|| {
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
