//! The daily counters of the staff console (`daily_counters`,
//! migrations/*/0009_console.sql) inside a message's transaction: the message's
//! additions are kept and written at commit, with its other writes, in one upsert.
//!
//! A busy counter is one row per shard: the shard comes from the phone, so one person's
//! messages always add to the same row and different people's (on several `serve`
//! processes) mostly to different rows, and rarely wait for each other's lock. A
//! message's rows are written in one order (day, then name), so two messages locking
//! some of the same rows never deadlock. A counter is the sum of its shards
//! ([`Store::counters_between`](crate::store::Store::counters_between)).

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::types::ToSql;
use sqlx::postgres::{PgArguments, Postgres};
use sqlx::query::Query;

use super::{StoreTx, TxConn};
use crate::phone::PhoneKey;
use crate::store::StoreError;

/// Rows per counter and day, at most.
pub const SHARDS: u16 = 16;

/// The additions of one transaction not yet written: by day, then counter name (the
/// order the rows are written, and locked, in).
#[derive(Debug, Default)]
pub(super) struct PendingCounts(BTreeMap<(NaiveDate, String), i64>);

impl PendingCounts {
    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// PostgreSQL: `statement`, whose parameters are `$1`..`$params`, with the upsert of
    /// these counters in front of it (a data-modifying `WITH`), its parameters numbered
    /// after; bound by [`PendingCounts::bind_postgres`]. Nothing to count: `statement`
    /// as it is.
    pub(super) fn postgres_before<'s>(&self, statement: &'s str, params: usize) -> Cow<'s, str> {
        if self.is_empty() {
            return Cow::Borrowed(statement);
        }
        let upsert = upsert_sql(params + 1, self.0.len());
        match statement.strip_prefix("WITH ") {
            Some(rest) => format!("WITH counted AS ({upsert}), {rest}").into(),
            None => format!("WITH counted AS ({upsert}) {statement}").into(),
        }
    }

    /// Binds the parameters of the upsert made by [`PendingCounts::postgres_before`]
    /// (or of [`upsert_sql`]), after those of the statement.
    pub(super) fn bind_postgres<'q>(
        &'q self,
        mut query: Query<'q, Postgres, PgArguments>,
        shard: i16,
    ) -> Query<'q, Postgres, PgArguments> {
        if self.is_empty() {
            return query;
        }
        query = query.bind(shard);
        for ((day, counter), value) in &self.0 {
            query = query.bind(*day).bind(counter.as_str()).bind(*value);
        }
        query
    }

    /// PostgreSQL, with nothing else to write: the upsert alone.
    pub(super) fn postgres_alone(&self) -> Option<String> {
        (!self.is_empty()).then(|| upsert_sql(1, self.0.len()))
    }
}

/// The multi-row upsert of `rows` counters: the shard is `$first`, then each row's day,
/// counter and value.
fn upsert_sql(first: usize, rows: usize) -> String {
    let mut sql = String::with_capacity(160 + rows * 24);
    sql.push_str("INSERT INTO daily_counters (day, counter, shard, value) VALUES ");
    for row in 0..rows {
        let day = first + 1 + 3 * row;
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("(${day}, ${}, ${first}, ${})", day + 1, day + 2));
    }
    sql.push_str(
        " ON CONFLICT (day, counter, shard) DO UPDATE SET value = daily_counters.value + excluded.value",
    );
    sql
}

/// The shard of a phone's counters, in `0..SHARDS`: the same in every process (FNV-1a
/// of the stored key, which is itself a keyed hash in the default `hashed` mode).
pub fn shard_of(phone: &PhoneKey) -> i16 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in phone.as_str().bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    (hash % u32::from(SHARDS)) as i16
}

impl StoreTx {
    /// Adds one to each counter of `counters` (a name given twice adds two) for the UTC
    /// day of `now`, on this phone's shard. Written at commit, with the message's other
    /// writes; nothing is written when nothing was counted. Names are made of step ids,
    /// channel labels and language codes (src/flow/funnel.rs, src/service.rs): never an
    /// answer.
    pub fn count<S: AsRef<str>>(
        &mut self,
        now: DateTime<Utc>,
        counters: impl IntoIterator<Item = S>,
    ) {
        let day = now.date_naive();
        for counter in counters {
            *self
                .pending_counts
                .0
                .entry((day, counter.as_ref().to_owned()))
                .or_default() += 1;
        }
    }

    /// SQLite: writes the kept counters on the writer's connection.
    pub(super) fn sqlite_write_pending_counts(&mut self) -> Result<(), StoreError> {
        let counts = std::mem::take(&mut self.pending_counts);
        if counts.is_empty() {
            return Ok(());
        }
        let shard = i64::from(shard_of(&self.phone));
        let TxConn::Sqlite(sqlite) = &mut self.conn else {
            unreachable!("called for SQLite only");
        };
        let conn = sqlite.conn()?;
        let sql = upsert_sql(1, counts.0.len());
        let mut statement = conn.prepare_cached(&sql)?;
        let rows: Vec<(String, &str, i64)> = counts
            .0
            .iter()
            .map(|((day, counter), value)| (day.to_string(), counter.as_str(), *value))
            .collect();
        let mut values: Vec<&dyn ToSql> = vec![&shard];
        for (day, counter, value) in &rows {
            values.extend([
                day as &dyn ToSql,
                counter as &dyn ToSql,
                value as &dyn ToSql,
            ]);
        }
        // By name, as everywhere on the writer (see `sqlite_writer::bind`).
        for (number, value) in values.iter().enumerate() {
            let name = format!("${}", number + 1);
            let index = statement.parameter_index(&name)?.ok_or_else(|| {
                StoreError::Query(format!("parameter {name} is not in the statement").into())
            })?;
            statement.raw_bind_parameter(index, value)?;
        }
        statement.raw_execute()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upsert_numbers_its_parameters_after_the_statement() {
        assert_eq!(
            upsert_sql(1, 2),
            "INSERT INTO daily_counters (day, counter, shard, value) VALUES \
             ($2, $3, $1, $4), ($5, $6, $1, $7) ON CONFLICT (day, counter, shard) \
             DO UPDATE SET value = daily_counters.value + excluded.value"
        );
        let mut counts = PendingCounts::default();
        let day = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
        counts.0.insert((day, "b".into()), 1);
        let sql = counts.postgres_before("WITH saved AS (x RETURNING 1) UPDATE y", 8);
        assert!(
            sql.starts_with("WITH counted AS (INSERT INTO daily_counters (day, counter, shard, value) VALUES ($10, $11, $9, $12) ON CONFLICT"),
            "{sql}"
        );
        assert!(
            sql.ends_with("), saved AS (x RETURNING 1) UPDATE y"),
            "{sql}"
        );
        let sql = counts.postgres_before("INSERT INTO z VALUES ($1)", 1);
        assert!(sql.starts_with("WITH counted AS (INSERT"), "{sql}");
        assert!(sql.ends_with(") INSERT INTO z VALUES ($1)"), "{sql}");
        assert_eq!(
            PendingCounts::default().postgres_before("UPDATE y", 2),
            "UPDATE y"
        );
    }

    #[test]
    fn shards_are_stable_and_spread() {
        let shards: std::collections::HashSet<i16> = (0..200)
            .map(|i| shard_of(&PhoneKey::from_stored(format!("phone-{i}"))))
            .collect();
        assert_eq!(shards.len(), usize::from(SHARDS));
        assert!(shards.iter().all(|s| (0..SHARDS as i16).contains(s)));
        let key = PhoneKey::from_stored("+243990000001");
        assert_eq!(shard_of(&key), shard_of(&key.clone()));
    }
}
