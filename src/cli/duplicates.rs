//! `ciu duplicates`: pairs of codes whose answers agree on all but one (a slip such as
//! Kabika for Kabila), for the data manager to look at. Codes, the step that differs
//! and the dates only: no answer, no phone, no person key (src/store/duplicates.rs).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use ciu::reports::{csv_field, timestamp, ExportError};
use ciu::store::{DuplicateCursor, DuplicatePair, Store};

#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
pub enum DuplicatesFormat {
    /// Tableau à lire à l'écran.
    Table,
    /// CSV : code_a, code_b, differing_step, created_a, created_b
    Csv,
}

/// The CSV columns, in order.
pub const CSV_COLUMNS: [&str; 5] = [
    "code_a",
    "code_b",
    "differing_step",
    "created_a",
    "created_b",
];

/// Pairs read from the database at a time: memory stays flat at any registry size.
const PAGE_ROWS: i64 = 5000;

pub async fn run(format: DuplicatesFormat, output: Option<PathBuf>) -> ExitCode {
    let Some(store) = super::open_store().await else {
        return ExitCode::FAILURE;
    };
    let outcome = super::write_report(output.as_deref(), async |out| {
        write_pairs(&store, format, out).await
    })
    .await;
    match outcome {
        None => ExitCode::FAILURE,
        Some(Ok(count)) => {
            if let Some(path) = &output {
                eprintln!(
                    "{count} paires de doublons possibles écrites dans {}",
                    path.display()
                );
            }
            ExitCode::SUCCESS
        }
        Some(Err(e)) => {
            eprintln!("Échec du rapport des doublons possibles : {e}");
            ExitCode::FAILURE
        }
    }
}

/// Writes every pair, page by page in the store's order, and returns how many.
async fn write_pairs(
    store: &Store,
    format: DuplicatesFormat,
    out: &mut dyn Write,
) -> Result<u64, ExportError> {
    let mut table = (format == DuplicatesFormat::Table).then(|| Table::new(store));
    if table.is_none() {
        writeln!(out, "{}", CSV_COLUMNS.join(","))?;
    }
    let mut written = 0u64;
    let mut cursor = DuplicateCursor::default();
    loop {
        let page = store.duplicates_page(&cursor, PAGE_ROWS).await?;
        let Some(last) = page.last() else { break };
        cursor = DuplicateCursor {
            record_a: last.record_a,
            record_b: last.record_b,
            differing_step: last.differing_step.clone(),
        };
        for pair in &page {
            match &mut table {
                Some(table) => table.row(out, pair)?,
                None => writeln!(out, "{}", csv_row(pair))?,
            }
            written += 1;
        }
    }
    if let Some(table) = &table {
        table.finish(out, written)?;
    }
    out.flush()?;
    Ok(written)
}

fn csv_row(pair: &DuplicatePair) -> String {
    [
        csv_field(&pair.code_a),
        csv_field(&pair.code_b),
        csv_field(&pair.differing_step),
        timestamp(&pair.created_a),
        timestamp(&pair.created_b),
    ]
    .join(",")
}

/// The screen form: a title, then aligned columns. Widths come from the first pair, so
/// rows are written as they arrive (codes of one flow all have the same length).
struct Table {
    title: String,
    widths: Option<[usize; 3]>,
}

const TABLE_COLUMNS: [&str; 5] = [
    "Code A",
    "Code B",
    "Réponse différente",
    "Créé (A)",
    "Créé (B)",
];

impl Table {
    fn new(store: &Store) -> Table {
        Table {
            title: format!(
                "Doublons possibles : paires de codes dont les réponses ne diffèrent que \
                 par une seule (base de données : {})\n\
                 Chaque paire est à vérifier auprès des personnes : ce peut être une \
                 faute de frappe ou deux personnes différentes.\n",
                store.backend_name()
            ),
            widths: None,
        }
    }

    fn row(&mut self, out: &mut dyn Write, pair: &DuplicatePair) -> std::io::Result<()> {
        let widths = match self.widths {
            Some(widths) => widths,
            None => {
                let width =
                    |header: &str, value: &str| header.chars().count().max(value.chars().count());
                let widths = [
                    width(TABLE_COLUMNS[0], &pair.code_a),
                    width(TABLE_COLUMNS[1], &pair.code_b),
                    width(TABLE_COLUMNS[2], &pair.differing_step),
                ];
                writeln!(out, "{}", self.title)?;
                write_line(out, &widths, TABLE_COLUMNS.map(str::to_owned))?;
                self.widths = Some(widths);
                widths
            }
        };
        write_line(
            out,
            &widths,
            [
                pair.code_a.clone(),
                pair.code_b.clone(),
                pair.differing_step.clone(),
                timestamp(&pair.created_a),
                timestamp(&pair.created_b),
            ],
        )
    }

    fn finish(&self, out: &mut dyn Write, written: u64) -> std::io::Result<()> {
        if self.widths.is_none() {
            writeln!(out, "{}", self.title)?;
            writeln!(out, "Aucun doublon possible.")
        } else {
            writeln!(out, "\n{written} paire(s) de doublons possibles.")
        }
    }
}

fn write_line(out: &mut dyn Write, widths: &[usize; 3], cells: [String; 5]) -> std::io::Result<()> {
    let [a, b, step, created_a, created_b] = cells;
    let pad = |cell: String, width: usize| {
        let fill = width.saturating_sub(cell.chars().count());
        cell + &" ".repeat(fill)
    };
    writeln!(
        out,
        "{}  {}  {}  {}  {}",
        pad(a, widths[0]),
        pad(b, widths[1]),
        pad(step, widths[2]),
        pad(created_a, 20),
        created_b
    )
}
