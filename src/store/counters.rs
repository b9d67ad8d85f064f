//! The daily counters of the staff console, read back: each counter per day, summed
//! over its shards (written by each message, src/store/tx/counters.rs).

use chrono::NaiveDate;

use super::{Backend, Store, StoreError};

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
