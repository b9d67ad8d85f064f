//! The daily counters of the staff console (`daily_counters`, migration 0009): added to
//! by each `serve` process every second (src/service/counters.rs) and by `ciu bench
//! --seed`, read back per day, summed over their shards.
//!
//! A process adds to its own shard (one of [`SHARDS`], drawn at start), so several
//! `serve` on one PostgreSQL rarely wait for one another's row locks.

use chrono::NaiveDate;
use rusqlite::{params, TransactionBehavior};
use std::collections::BTreeMap;

use super::{Backend, Store, StoreError};

/// Rows per counter and day, at most.
pub const SHARDS: u16 = 16;

/// An amount to add to one counter on one day and shard ([`Store::add_counters`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterAddition {
    pub day: NaiveDate,
    pub counter: String,
    /// `0..SHARDS`.
    pub shard: i16,
    pub value: i64,
}

/// Parameters: day, counter, shard, value. Added to what is there.
const ADD_COUNTER: &str = "INSERT INTO daily_counters (day, counter, shard, value)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (day, counter, shard) DO UPDATE SET value = daily_counters.value + excluded.value";

/// One counter's value on one day (UTC), all shards together.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CounterSum {
    pub day: NaiveDate,
    /// `funnel|<stage>|<what>` (src/flow/funnel.rs) or
    /// `codes|<new|returning>|<channel>|<locale>` (src/service.rs).
    pub counter: String,
    pub value: i64,
}

impl Store {
    /// Every counter of the days `first` to `last` (both included), ordered by day then
    /// counter name (byte order, whatever the database's collation).
    pub async fn counters_between(
        &self,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<CounterSum>, StoreError> {
        let mut sums: Vec<CounterSum> = with_pool!(self, pool => sqlx::query_as(
            "SELECT day, counter, CAST(SUM(value) AS BIGINT) AS value FROM daily_counters
             WHERE day >= $1 AND day <= $2
             GROUP BY day, counter ORDER BY day, counter",
        )
        .bind(first)
        .bind(last)
        .fetch_all(pool)
        .await)?;
        sums.sort_by(|a, b| (a.day, &a.counter).cmp(&(b.day, &b.counter)));
        Ok(sums)
    }
}

impl Store {
    /// Adds `rows` to the daily counters in one transaction (the same day, counter and
    /// shard twice add up), in one order (day, counter, shard), so that two processes
    /// adding to some of the same rows never deadlock; returns the rows written.
    pub async fn add_counters(&self, rows: &[CounterAddition]) -> Result<u64, StoreError> {
        let mut merged: BTreeMap<(NaiveDate, &str, i16), i64> = BTreeMap::new();
        for row in rows {
            *merged
                .entry((row.day, row.counter.as_str(), row.shard))
                .or_default() += row.value;
        }
        if merged.is_empty() {
            return Ok(0);
        }
        match &self.backend {
            Backend::Sqlite { writer, .. } => {
                let mut writer = writer.lock_for_pool().await?;
                let conn = writer.connection()?;
                let tx =
                    rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
                {
                    let mut add = tx.prepare_cached(ADD_COUNTER)?;
                    for ((day, counter, shard), value) in &merged {
                        add.execute(params![day.to_string(), counter, shard, value])?;
                    }
                }
                tx.commit()?;
            }
            Backend::Postgres { pool, .. } => {
                let mut days = Vec::with_capacity(merged.len());
                let mut counters = Vec::with_capacity(merged.len());
                let mut shards = Vec::with_capacity(merged.len());
                let mut values = Vec::with_capacity(merged.len());
                for ((day, counter, shard), value) in &merged {
                    days.push(*day);
                    counters.push(*counter);
                    shards.push(*shard);
                    values.push(*value);
                }
                sqlx::query(
                    "INSERT INTO daily_counters (day, counter, shard, value)
                     SELECT * FROM UNNEST($1::date[], $2::text[], $3::smallint[], $4::bigint[])
                     ON CONFLICT (day, counter, shard)
                     DO UPDATE SET value = daily_counters.value + excluded.value",
                )
                .bind(&days)
                .bind(&counters)
                .bind(&shards)
                .bind(&values)
                .execute(pool)
                .await?;
            }
        }
        Ok(merged.len() as u64)
    }
}
