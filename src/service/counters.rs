//! The staff console's daily counters (names of src/flow/funnel.rs), added up in this
//! process after each message has committed and written to the database every second
//! (src/startup.rs), when the service stops, and before the dashboard reads them
//! (src/console/dashboard.rs). One write a second instead of one per message keeps the
//! webhooks as fast as without counters (BENCHMARKS.md, "Staff console").
//!
//! What is counted is never lost while the database is away: a failed write keeps it
//! for the next one. A process killed outright (`kill -9`, power cut) loses its last
//! second of counts; the conversations themselves are never touched by this.

use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::store::{CounterAddition, Store, StoreError, SHARDS};

pub struct DailyCounters {
    pending: Mutex<BTreeMap<(NaiveDate, String), i64>>,
    /// This process's shard of every counter row (src/store/counters.rs).
    shard: i16,
}

impl Default for DailyCounters {
    fn default() -> Self {
        DailyCounters {
            pending: Mutex::default(),
            shard: (rand::random::<u16>() % SHARDS) as i16,
        }
    }
}

impl DailyCounters {
    /// Counts `names` once each on the day (UTC) of `now`.
    pub fn add(&self, now: DateTime<Utc>, names: impl IntoIterator<Item = String>) {
        let day = now.date_naive();
        let mut pending = self.pending.lock().expect("no panic while counting");
        for name in names {
            *pending.entry((day, name)).or_default() += 1;
        }
    }

    /// Writes what was counted since the last write; on failure it is kept for the
    /// next one.
    pub async fn flush(&self, store: &Store) -> Result<(), StoreError> {
        let taken = std::mem::take(&mut *self.pending.lock().expect("no panic while counting"));
        if taken.is_empty() {
            return Ok(());
        }
        let rows: Vec<CounterAddition> = taken
            .iter()
            .map(|((day, counter), value)| CounterAddition {
                day: *day,
                counter: counter.clone(),
                shard: self.shard,
                value: *value,
            })
            .collect();
        if let Err(e) = store.add_counters(&rows).await {
            let mut pending = self.pending.lock().expect("no panic while counting");
            for (key, value) in taken {
                *pending.entry(key).or_default() += value;
            }
            return Err(e);
        }
        Ok(())
    }
}
