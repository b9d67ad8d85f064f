//! The staff console's daily counters written by `ciu bench --seed` (src/bench.rs): 90
//! days of plausible codes and funnel figures to go with the seeded registrations, so
//! the dashboard is measured on a realistic table (BENCHMARKS.md, "Staff console").

use rand::rngs::StdRng;
use rand::Rng;

use crate::channels::ChannelId;
use crate::flow::{funnel, Flow};
use crate::store::{CounterAddition, SHARDS};

/// Of 100 people given a code, how many on each channel (ChannelId::ALL's order:
/// twilio, sms, meta, ussd), and in each of the first four languages.
const CHANNEL_SHARE: [f64; 4] = [0.45, 0.15, 0.25, 0.15];
const LOCALE_SHARE: [f64; 4] = [0.5, 0.2, 0.2, 0.1];
/// Codes given again, per new code.
const RETURNING_SHARE: f64 = 0.12;

/// The console's daily counters of `records` registrations spread evenly over the 90
/// days before `now`, as [`seed_batches`] dates them: codes new (exactly `records` in
/// all) and returning per channel and language, and a funnel for every stage of `flow`
/// that ends in those codes, some people lost at each stage (expiry, stop, refused
/// answers).
pub(super) fn counter_rows(
    flow: &Flow,
    records: u64,
    now: chrono::DateTime<chrono::Utc>,
    rng: &mut StdRng,
) -> Vec<CounterAddition> {
    let start = now - chrono::Duration::days(90);
    let span: u64 = 90 * 86_400;
    let mut new_per_day = std::collections::BTreeMap::<chrono::NaiveDate, i64>::new();
    for i in 0..records {
        let at = start + chrono::Duration::seconds((span * i / records) as i64);
        *new_per_day.entry(at.date_naive()).or_default() += 1;
    }
    let mut cells = Vec::new();
    for (channel, channel_share) in ChannelId::ALL.iter().zip(CHANNEL_SHARE) {
        for (locale, locale_share) in flow.def.locales.iter().zip(LOCALE_SHARE) {
            cells.push((
                channel.label(),
                locale.as_str(),
                channel_share * locale_share,
            ));
        }
    }
    let total_share: f64 = cells.iter().map(|(_, _, share)| share).sum();
    let mut rows = Vec::new();
    for (&day, &new) in &new_per_day {
        // Each code in one cell, drawn by the shares: the day's new codes add up
        // exactly, and the smallest cells get some too.
        let returning = about(rng, new as f64 * RETURNING_SHARE);
        for (is_new, codes) in [(true, new), (false, returning)] {
            let mut in_cell = vec![0; cells.len()];
            for _ in 0..codes {
                let mut pick = rng.gen_range(0.0..total_share);
                let cell = cells
                    .iter()
                    .position(|(_, _, share)| {
                        pick -= share;
                        pick < 0.0
                    })
                    .unwrap_or(cells.len() - 1);
                in_cell[cell] += 1;
            }
            for ((channel, locale, _), codes) in cells.iter().zip(in_cell) {
                let name = funnel::code_counter(is_new, channel, locale);
                spread_over_shards(&mut rows, rng, day, name, codes);
            }
        }
        // The funnel, from its end: those who answer a stage reach the next one, and
        // each stage is left by a few of those who reached it.
        let mut next_reached = (new + returning) as f64;
        for stage in funnel::stages(flow).iter().rev() {
            let is_step = stage != funnel::LANGUAGE && stage != funnel::CONFIRM;
            // Some start again after a finished conversation, without the menu.
            let answered = next_reached * if stage == funnel::LANGUAGE { 0.9 } else { 1.0 };
            let reached = answered * if is_step { 1.07 } else { 1.04 };
            let left = reached - answered;
            let mut counts = vec![
                (funnel::REACHED, reached),
                (funnel::ANSWERED, answered),
                (funnel::LEFT_EXPIRED, left * 0.7),
                (funnel::LEFT_STOPPED, left * 0.2),
            ];
            if is_step {
                counts.push((funnel::REFUSED, reached * 0.12));
                counts.push((funnel::LEFT_ATTEMPTS, left * 0.1));
            }
            for (what, value) in counts {
                let value = about(rng, value);
                spread_over_shards(&mut rows, rng, day, funnel::counter(stage, what), value);
            }
            next_reached = reached;
        }
    }
    rows
}

/// `value` give or take 10 %, from day to day.
fn about(rng: &mut StdRng, value: f64) -> i64 {
    (value * rng.gen_range(0.9..1.1)).round() as i64
}

/// Adds `value` of `counter` on `day`, spread over the shards as different phones
/// would spread it.
fn spread_over_shards(
    rows: &mut Vec<CounterAddition>,
    rng: &mut StdRng,
    day: chrono::NaiveDate,
    counter: String,
    value: i64,
) {
    let shards = i64::from(SHARDS);
    let mut per_shard = vec![value / shards; usize::from(SHARDS)];
    for _ in 0..value % shards {
        per_shard[rng.gen_range(0..usize::from(SHARDS))] += 1;
    }
    for (shard, value) in per_shard.into_iter().enumerate() {
        if value > 0 {
            rows.push(CounterAddition {
                day,
                counter: counter.clone(),
                shard: shard as i16,
                value,
            });
        }
    }
}
