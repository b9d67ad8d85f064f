//! /console/export: the registry's CSV (the columns of `ciu export`, src/reports.rs) as
//! a download, for the codes created between two days (UTC), both included. The file
//! is streamed page by page: a registry of millions does not sit in memory.

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use minijinja::context;
use serde::Deserialize;

use super::Staff;
use crate::http::AppState;
use crate::reports::{csv_row, CSV_COLUMNS, EXPORT_PAGE_ROWS};
use crate::store::{CreatedBetween, Store};

#[derive(Deserialize, Default)]
pub struct RangeQuery {
    #[serde(default)]
    du: String,
    #[serde(default)]
    au: String,
}

/// GET /console/export: the form.
pub async fn page(State(state): State<AppState>, staff: Staff) -> Response {
    form(&state, &staff, StatusCode::OK, &RangeQuery::default(), None)
}

fn form(
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    range: &RangeQuery,
    problem: Option<&str>,
) -> Response {
    let console = state
        .console
        .as_ref()
        .expect("the console's routes exist only with it");
    let problem = problem.map(|id| console.pages.text(staff.lang, id, None));
    console.pages.render_with_status(
        status,
        "export.html",
        &staff.frame(state, "export", "/console/export"),
        context! { from => &range.du, to => &range.au, problem => problem },
    )
}

/// The days asked for, both included; `None`: no bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Days {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// How a day may be written: the date field's own format, and by hand (a browser
/// without a calendar shows a text field) the French day-first ones.
const DAY_FORMATS: [&str; 4] = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"];

fn parse_day(text: &str) -> Result<Option<NaiveDate>, &'static str> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    DAY_FORMATS
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
        .map(Some)
        .ok_or("export-bad-date")
}

/// Reads the form's days: empty means no bound.
pub fn parse_range(range: &RangeQuery) -> Result<Days, &'static str> {
    let days = Days {
        from: parse_day(&range.du)?,
        to: parse_day(&range.au)?,
    };
    if let (Some(from), Some(to)) = (days.from, days.to) {
        if from > to {
            return Err("export-bad-range");
        }
    }
    Ok(days)
}

impl Days {
    /// The instants of the store's query: from the first day's midnight to the midnight
    /// after the last day (UTC).
    pub fn between(&self) -> CreatedBetween {
        let midnight = |day: NaiveDate| day.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
        let mut between = CreatedBetween::default();
        if let Some(from) = self.from {
            between.from = midnight(from);
        }
        if let Some(to) = self.to {
            between.until = midnight(to + Duration::days(1));
        }
        between
    }

    /// `registre-ciu-<du>-<au>.csv`, or `registre-ciu-<today>.csv` for the whole registry.
    fn file_name(&self, now: DateTime<Utc>) -> String {
        match (self.from, self.to) {
            (None, None) => format!("registre-ciu-{}.csv", now.date_naive()),
            (from, to) => format!(
                "registre-ciu-{}-{}.csv",
                from.map_or_else(|| "debut".into(), |d| d.to_string()),
                to.unwrap_or_else(|| now.date_naive())
            ),
        }
    }
}

/// A bound for the log: the day, or "-".
fn or_all(day: Option<NaiveDate>) -> String {
    day.map_or_else(|| "-".into(), |d| d.to_string())
}

/// GET /console/export.csv?du=AAAA-MM-JJ&au=AAAA-MM-JJ.
pub async fn download(
    State(state): State<AppState>,
    staff: Staff,
    Query(range): Query<RangeQuery>,
) -> Response {
    let days = match parse_range(&range) {
        Ok(days) => days,
        Err(problem) => {
            return form(
                &state,
                &staff,
                StatusCode::BAD_REQUEST,
                &range,
                Some(problem),
            )
        }
    };
    // The first page is read before answering, so a database problem is a page that
    // says so rather than a cut file.
    let store = state.bot.store.clone();
    let between = days.between();
    let first = match store
        .export_page_between(0, &between, EXPORT_PAGE_ROWS)
        .await
    {
        Ok(first) => first,
        Err(e) => {
            tracing::error!(error = %e, "console: export not read");
            let console = state
                .console
                .as_ref()
                .expect("the console's routes exist only with it");
            return console.unavailable(staff.lang);
        }
    };
    // Codes are personal data: when which part of the registry left is kept in the log.
    tracing::info!(
        from = %or_all(days.from),
        to = %or_all(days.to),
        "console: registry exported"
    );
    let header_line = format!("{}\n", CSV_COLUMNS.join(","));
    let body = Body::from_stream(pages(store, between, first, header_line));
    let name = days.file_name(Utc::now());
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// The CSV, one chunk per page of the registry.
fn pages(
    store: Store,
    between: CreatedBetween,
    first: Vec<crate::store::ExportRecord>,
    header_line: String,
) -> impl futures_util::Stream<Item = Result<String, crate::store::StoreError>> {
    let start = (Some(header_line), Some(first), 0i64);
    futures_util::stream::unfold(start, move |(header_line, page, after_id)| {
        let store = store.clone();
        async move {
            if let Some(line) = header_line {
                return Some((Ok(line), (None, page, after_id)));
            }
            let page = match page {
                Some(page) => page,
                None => match store
                    .export_page_between(after_id, &between, EXPORT_PAGE_ROWS)
                    .await
                {
                    Ok(page) => page,
                    Err(e) => {
                        tracing::error!(error = %e, "console: export cut short");
                        return Some((Err(e), (None, Some(Vec::new()), i64::MAX)));
                    }
                },
            };
            let last = page.last()?.id;
            let mut chunk = String::with_capacity(page.len() * 80);
            for record in &page {
                chunk.push_str(&csv_row(record));
                chunk.push('\n');
            }
            Some((Ok(chunk), (None, None, last)))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(du: &str, au: &str) -> RangeQuery {
        RangeQuery {
            du: du.into(),
            au: au.into(),
        }
    }

    #[test]
    fn days_are_included_whole_and_bad_ones_are_refused() {
        let between = parse_range(&range("2026-11-01", "2026-11-30"))
            .unwrap()
            .between();
        assert_eq!(between.from.to_rfc3339(), "2026-11-01T00:00:00+00:00");
        assert_eq!(between.until.to_rfc3339(), "2026-12-01T00:00:00+00:00");
        assert_eq!(
            parse_range(&range("", "")).unwrap().between(),
            CreatedBetween::default()
        );
        // Typed by hand, day first as in French: the same days.
        for (du, au) in [("01/11/2026", "30/11/2026"), (" 1.11.2026", "30-11-2026 ")] {
            assert_eq!(parse_range(&range(du, au)).unwrap().between(), between);
        }
        for bad in ["11/31/2026", "2026-13-01", "hier", "1er novembre"] {
            assert_eq!(
                parse_range(&range(bad, "")),
                Err("export-bad-date"),
                "{bad}"
            );
        }
        assert_eq!(
            parse_range(&range("2026-12-01", "2026-11-01")),
            Err("export-bad-range")
        );
    }
}
