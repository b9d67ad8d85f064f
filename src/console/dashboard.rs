//! GET /console: the dashboard. Codes per day (new and returning) as a chart with its
//! table, by channel and by language, the conversation funnel question by question,
//! possible duplicates, collisions and the outbox. The daily figures come from the
//! counters each message adds to (src/flow/funnel.rs, src/service/counters.rs,
//! src/store/counters.rs): a few hundred rows whatever the size of the registry.

use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{Duration, NaiveDate, Utc};
use fluent_bundle::FluentArgs;
use minijinja::context;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::chart::{self, CodesChartLabels, DayCodes, FunnelBar, FunnelChartLabels};
use super::Staff;
use crate::flow::Flow;
use crate::http::AppState;
use crate::store::{CounterSum, DuplicateCursor, DuplicatePair, RegistryFigures};

/// The periods offered, in days; the first is the default.
const PERIODS: [i64; 2] = [30, 90];
/// Possible-duplicate pairs listed on the page; `ciu duplicates` gives them all.
const DUPLICATES_SHOWN: i64 = 20;

#[derive(Deserialize)]
pub struct PeriodQuery {
    jours: Option<i64>,
}

/// GET /console?jours=30|90.
pub async fn page(
    State(state): State<AppState>,
    staff: Staff,
    Query(query): Query<PeriodQuery>,
) -> Response {
    let console = state
        .console
        .as_ref()
        .expect("the console's routes exist only with it");
    let days = query
        .jours
        .filter(|d| PERIODS.contains(d))
        .unwrap_or(PERIODS[0]);
    let today = Utc::now().date_naive();
    let first = today - Duration::days(days - 1);
    let store = &state.bot.store;
    // What this process counted in the last second, so the page is up to date.
    if let Err(e) = state.bot.counters.flush(store).await {
        tracing::warn!(error = %e, "console counters not written before the dashboard");
    }
    let read = async {
        let counters = store.counters_between(first, today).await?;
        let figures = store.registry_figures().await?;
        let pairs = store
            .duplicates_page(&DuplicateCursor::default(), DUPLICATES_SHOWN)
            .await?;
        Ok::<_, crate::store::StoreError>((counters, figures, pairs))
    };
    let (counters, figures, pairs) = match read.await {
        Ok(read) => read,
        Err(e) => {
            tracing::error!(error = %e, "console: dashboard not read");
            return console.unavailable(staff.lang);
        }
    };
    let word = |id: &str| console.pages.text(staff.lang, id, None);
    let dashboard = Dashboard::build(&state.bot.flow, staff.lang, first, today, &counters, &word);
    let codes_chart = chart::codes_per_day_svg(
        &dashboard.chart_days(),
        &CodesChartLabels {
            new: &word("dash-new"),
            returning: &word("dash-returning"),
            title: &word("dash-codes-chart"),
        },
    );
    let bars: Vec<FunnelBar> = dashboard
        .funnel
        .iter()
        .map(|stage| FunnelBar {
            label: &stage.label,
            reached: stage.reached,
            left: stage.left(),
        })
        .collect();
    let funnel_chart = chart::funnel_svg(
        &bars,
        &FunnelChartLabels {
            stayed: &word("dash-reached-stayed"),
            left: &word("dash-left"),
            title: &word("dash-funnel-chart"),
        },
    );
    let mut args = FluentArgs::new();
    args.set("shown", pairs.len());
    args.set("total", figures.possible_duplicates);
    let duplicates_more = console
        .pages
        .text(staff.lang, "dash-duplicates-more", Some(&args));
    let periods: Vec<_> = PERIODS
        .iter()
        .map(|d| {
            let mut args = FluentArgs::new();
            args.set("days", *d);
            context! {
                days => d,
                label => console.pages.text(staff.lang, "dash-days", Some(&args)),
                current => *d == days,
            }
        })
        .collect();
    let here = format!("/console?jours={days}");
    console.pages.render(
        "dashboard.html",
        &staff.frame(&state, "dashboard", &here),
        context! {
            periods => periods,
            dash => &dashboard,
            figures => figures_view(&figures),
            pairs => pairs.iter().map(|p| pair_view(p, &state.bot.flow, staff.lang)).collect::<Vec<_>>(),
            duplicates_more => (pairs.len() as i64) < figures.possible_duplicates,
            duplicates_more_text => duplicates_more,
            // Drawn here from numbers only (src/console/chart.rs): safe to include.
            codes_chart => minijinja::Value::from_safe_string(codes_chart),
            funnel_chart => minijinja::Value::from_safe_string(funnel_chart),
        },
    )
}

/// The dashboard's figures over one period, ready for the template.
#[derive(Debug, Serialize, PartialEq)]
pub struct Dashboard {
    pub days: Vec<DayRow>,
    pub new_total: i64,
    pub returning_total: i64,
    pub by_channel: Vec<SplitRow>,
    pub by_language: Vec<SplitRow>,
    pub funnel: Vec<StageRow>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct DayRow {
    pub day: NaiveDate,
    pub new: i64,
    pub returning: i64,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct SplitRow {
    pub label: String,
    pub new: i64,
    pub returning: i64,
}

#[derive(Debug, Default, Serialize, PartialEq)]
pub struct StageRow {
    pub label: String,
    pub reached: i64,
    pub answered: i64,
    pub refused: i64,
    pub left_expired: i64,
    pub left_stopped: i64,
    pub left_attempts: i64,
    /// Exits ÷ reached, as a percentage with one decimal; `None` when never reached.
    pub drop_off: Option<String>,
}

impl StageRow {
    pub fn left(&self) -> i64 {
        self.left_expired + self.left_stopped + self.left_attempts
    }
}

impl Dashboard {
    /// Sums the counters of `first..=last` (names of src/flow/funnel.rs: `codes|…`,
    /// `funnel|…`); `word` gives the console's words in the page's language.
    pub fn build(
        flow: &Flow,
        lang: &str,
        first: NaiveDate,
        last: NaiveDate,
        counters: &[CounterSum],
        word: &dyn Fn(&str) -> String,
    ) -> Dashboard {
        let mut per_day: BTreeMap<NaiveDate, (i64, i64)> = first
            .iter_days()
            .take_while(|d| *d <= last)
            .map(|d| (d, (0, 0)))
            .collect();
        let mut channels: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut languages: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut stages: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
        for c in counters.iter().filter(|c| c.day >= first && c.day <= last) {
            let parts: Vec<&str> = c.counter.split('|').collect();
            match parts.as_slice() {
                ["codes", kind @ ("new" | "returning"), channel, locale] => {
                    let new = *kind == "new";
                    for slot in [
                        per_day.entry(c.day).or_default(),
                        channels.entry(channel.to_string()).or_default(),
                        languages.entry(locale.to_string()).or_default(),
                    ] {
                        if new {
                            slot.0 += c.value;
                        } else {
                            slot.1 += c.value;
                        }
                    }
                }
                ["funnel", stage, measure] => {
                    *stages
                        .entry(stage.to_string())
                        .or_default()
                        .entry(measure.to_string())
                        .or_default() += c.value;
                }
                _ => {}
            }
        }
        let days: Vec<DayRow> = per_day
            .into_iter()
            .map(|(day, (new, returning))| DayRow {
                day,
                new,
                returning,
            })
            .collect();
        let split = |rows: BTreeMap<String, (i64, i64)>, label: &dyn Fn(&str) -> String| {
            let mut rows: Vec<SplitRow> = rows
                .into_iter()
                .map(|(key, (new, returning))| SplitRow {
                    label: label(&key),
                    new,
                    returning,
                })
                .collect();
            rows.sort_by_key(|r| std::cmp::Reverse(r.new + r.returning));
            rows
        };
        let channel_label = |key: &str| {
            let id = format!("channel-{key}");
            let text = word(&id);
            if text == id {
                key.to_owned()
            } else {
                text
            }
        };
        let language_label = |key: &str| {
            let name = flow.catalogs.format(key, "language-name", None);
            if name.is_empty() || name == "language-name" {
                key.to_owned()
            } else {
                format!("{name} ({key})")
            }
        };
        Dashboard {
            new_total: days.iter().map(|d| d.new).sum(),
            returning_total: days.iter().map(|d| d.returning).sum(),
            days,
            by_channel: split(channels, &channel_label),
            by_language: split(languages, &language_label),
            funnel: funnel_rows(flow, lang, &stages, word),
        }
    }

    /// The chart's bars, oldest day first.
    pub fn chart_days(&self) -> Vec<DayCodes> {
        self.days
            .iter()
            .map(|d| DayCodes {
                day: d.day,
                new: d.new,
                returning: d.returning,
            })
            .collect()
    }
}

/// One row per stage, in the order a conversation meets them: the language menu (when
/// the flow offers several), each question, the summary (when it is confirmed).
fn funnel_rows(
    flow: &Flow,
    lang: &str,
    stages: &BTreeMap<String, BTreeMap<String, i64>>,
    word: &dyn Fn(&str) -> String,
) -> Vec<StageRow> {
    let mut order: Vec<(String, String)> = Vec::new();
    if flow.def.locales.len() > 1 || stages.contains_key("language") {
        order.push(("language".into(), word("dash-stage-language")));
    }
    for (n, step) in flow.steps.iter().enumerate() {
        let label = flow.catalogs.format(lang, &step.def.label, None);
        order.push((step.def.id.clone(), format!("{}. {label}", n + 1)));
    }
    if flow.def.confirm.enabled() || stages.contains_key("confirm") {
        order.push(("confirm".into(), word("dash-stage-confirm")));
    }
    let empty = BTreeMap::new();
    order
        .into_iter()
        .map(|(id, label)| {
            let m = stages.get(&id).unwrap_or(&empty);
            let get = |k: &str| m.get(k).copied().unwrap_or(0);
            let mut row = StageRow {
                label,
                reached: get("reached"),
                answered: get("answered"),
                refused: get("refused"),
                left_expired: get("left_expired"),
                left_stopped: get("left_stopped"),
                left_attempts: get("left_attempts"),
                drop_off: None,
            };
            if row.reached > 0 {
                let rate = row.left() as f64 * 100.0 / row.reached as f64;
                let rate = format!("{rate:.1}\u{a0}%");
                // French writes a decimal comma.
                row.drop_off = Some(if lang == "fr" {
                    rate.replace('.', ",")
                } else {
                    rate
                });
            }
            row
        })
        .collect()
}

fn figures_view(f: &RegistryFigures) -> minijinja::Value {
    context! {
        codes => f.codes,
        possible_duplicates => f.possible_duplicates,
        collisions => f.collisions,
        outbox_pending => f.outbox_pending,
        outbox_failed => f.outbox_failed,
    }
}

/// A pair as listed: the two codes (no answer: the codes are what staff look up), the
/// question whose answers differ, named as the flow names it, and the days given.
fn pair_view(pair: &DuplicatePair, flow: &Flow, lang: &str) -> minijinja::Value {
    let question = flow
        .steps
        .iter()
        .find(|s| s.def.id == pair.differing_step)
        .map(|s| flow.catalogs.format(lang, &s.def.label, None))
        .unwrap_or_else(|| pair.differing_step.clone());
    context! {
        code_a => &pair.code_a,
        code_b => &pair.code_b,
        question => question,
        day_a => pair.created_a.date_naive().to_string(),
        day_b => pair.created_b.date_naive().to_string(),
    }
}
