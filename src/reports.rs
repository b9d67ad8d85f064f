//! What the data manager reads: the monthly statistics of `docs/fr/guide-de-deploiement.md` (`ciu stats`) and the
//! registry as CSV (`ciu export`). Codes and counts only: no phone number, no person
//! key, no answer.

use chrono::SecondsFormat;
use std::io::Write;

use crate::store::{ExportRecord, Stats, Store, StoreError};

/// The exported columns, in order.
pub const CSV_COLUMNS: [&str; 6] = [
    "uic_code",
    "created_at",
    "last_requested_at",
    "request_count",
    "flow_id",
    "flow_version",
];

/// Rows read from the database at a time.
pub const EXPORT_PAGE_ROWS: i64 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("écriture impossible : {0}")]
    Write(#[from] std::io::Error),
}

/// The statistics as the data manager reads them, in French.
pub fn stats_text(stats: &Stats, backend: &str) -> String {
    let mut text = format!(
        "Statistiques des CIU (base de données : {backend})\n\n\
         Nombre total de CIU générés : {}\n\
         Utilisateurs uniques (numéros de téléphone) : {}\n\n\
         CIU par jour (30 derniers jours, dates UTC) :\n",
        stats.total_codes, stats.unique_users
    );
    if stats.per_day.is_empty() {
        text.push_str("  aucun CIU sur cette période\n");
    }
    for (day, count) in &stats.per_day {
        text.push_str(&format!("  {day} : {count}\n"));
    }
    text.push_str("\nCIU par canal (twilio : WhatsApp par Twilio, sms, meta…) :\n");
    if stats.per_channel.is_empty() {
        text.push_str("  aucun CIU\n");
    }
    for (channel, count) in &stats.per_channel {
        let channel = channel
            .as_deref()
            .unwrap_or("non enregistré (avant la migration 0008)");
        text.push_str(&format!("  {channel} : {count}\n"));
    }
    text
}

/// The statistics for scripts, named like the SQL of `docs/fr/guide-de-deploiement.md` (`total_uics`,
/// `unique_users`, `date`, `count`).
pub fn stats_json(stats: &Stats) -> serde_json::Value {
    serde_json::json!({
        "total_uics": stats.total_codes,
        "unique_users": stats.unique_users,
        "per_day": stats.per_day.iter().map(|(day, count)| serde_json::json!({
            "date": day.to_string(),
            "count": count,
        })).collect::<Vec<_>>(),
        "per_channel": stats.per_channel.iter().map(|(channel, count)| serde_json::json!({
            "channel": channel,
            "count": count,
        })).collect::<Vec<_>>(),
    })
}

/// Writes the whole registry as CSV (header first, oldest code first) and returns how
/// many codes were written.
pub async fn write_csv(store: &Store, out: &mut impl Write) -> Result<u64, ExportError> {
    writeln!(out, "{}", CSV_COLUMNS.join(","))?;
    let mut written = 0u64;
    let mut after_id = 0;
    loop {
        let page = store.export_page(after_id, EXPORT_PAGE_ROWS).await?;
        let Some(last) = page.last() else { break };
        after_id = last.id;
        for record in &page {
            writeln!(out, "{}", csv_row(record))?;
            written += 1;
        }
    }
    out.flush()?;
    Ok(written)
}

/// A time as the reports write it: RFC 3339, UTC, to the second.
pub fn timestamp(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// One registry row as a CSV line (without its line end), in [`CSV_COLUMNS`] order.
pub fn csv_row(record: &ExportRecord) -> String {
    [
        csv_field(&record.uic_code),
        timestamp(&record.created_at),
        timestamp(&record.last_requested_at),
        record.request_count.to_string(),
        csv_field(&record.flow_id),
        record.flow_version.to_string(),
    ]
    .join(",")
}

/// RFC 4180 quoting; a leading `= + - @`, tab or carriage return is prefixed with `'`
/// so a spreadsheet shows the value instead of running it as a formula.
pub fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn fields_are_quoted_when_needed() {
        assert_eq!(
            csv_field("985-KINS-15-JEA-KABI-A3F9D"),
            "985-KINS-15-JEA-KABI-A3F9D"
        );
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("\tx"), "'\tx");
    }

    #[test]
    fn stats_read_in_french_and_as_json() {
        let stats = Stats {
            total_codes: 5,
            unique_users: 4,
            per_day: vec![(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(), 3)],
            per_channel: vec![(Some("sms".to_owned()), 3), (None, 2)],
        };
        let text = stats_text(&stats, "sqlite");
        assert!(text.contains("Nombre total de CIU générés : 5"), "{text}");
        assert!(
            text.contains("Utilisateurs uniques (numéros de téléphone) : 4"),
            "{text}"
        );
        assert!(text.contains("  2026-11-24 : 3"), "{text}");
        assert!(text.contains("  sms : 3"), "{text}");
        assert!(
            text.contains("  non enregistré (avant la migration 0008) : 2"),
            "{text}"
        );
        assert_eq!(
            stats_json(&stats),
            serde_json::json!({
                "total_uics": 5,
                "unique_users": 4,
                "per_day": [{"date": "2026-11-24", "count": 3}],
                "per_channel": [{"channel": "sms", "count": 3}, {"channel": null, "count": 2}],
            })
        );
        let empty = Stats {
            total_codes: 0,
            unique_users: 0,
            per_day: Vec::new(),
            per_channel: Vec::new(),
        };
        assert!(stats_text(&empty, "sqlite").contains("aucun CIU sur cette période"));
    }
}
