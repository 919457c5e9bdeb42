//! The at-risk list as a table: what a customer-success team opens. The columns are
//! defined once ([`cells`]); the same cells become a polars frame (for Parquet) or CSV
//! lines formatted in parallel, byte for byte what polars would write.

use polars::prelude::*;
use rayon::prelude::*;

use super::AtRiskRow;
use crate::data::{Customers, TextColumn};
use crate::io::{push_cell, Cell};
use crate::schema::features::{is_fractional, KEY, REGION, SEGMENT};

fn round(v: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (v * scale).round() / scale
}

/// Rows formatted as CSV by one task.
const CSV_CHUNK_ROWS: usize = 4096;
/// Bytes reserved per CSV line: a line with three reasons is about 180 bytes, so a task's
/// lines fit without being copied to a larger buffer.
const LINE_BYTES: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Int,
    Float,
    Text,
}

/// The list's columns in order: `rank, customer_id, churn_probability, risk_tier,
/// top_reasons, value_at_risk`, the key raw features, `segment, region`, then `keep`
/// (extra customer columns).
fn columns(keep: &[TextColumn]) -> Vec<(&str, Kind)> {
    let mut columns = vec![
        ("rank", Kind::Int),
        ("customer_id", Kind::Text),
        ("churn_probability", Kind::Float),
        ("risk_tier", Kind::Text),
        ("top_reasons", Kind::Text),
        ("value_at_risk", Kind::Float),
    ];
    columns.extend(KEY.into_iter().zip(KEY_KINDS));
    columns.push((SEGMENT, Kind::Text));
    columns.push((REGION, Kind::Text));
    columns.extend(keep.iter().map(|(name, _)| (name.as_str(), Kind::Text)));
    columns
}

/// A key feature is shown as an integer unless it takes fractional values.
const fn key_kind(name: &str) -> Kind {
    if is_fractional(name) {
        Kind::Float
    } else {
        Kind::Int
    }
}

/// The kind of each [`KEY`] feature's column, worked out when compiling rather than for
/// every row written.
const KEY_KINDS: [Kind; KEY.len()] = {
    let mut kinds = [Kind::Int; KEY.len()];
    let mut k = 0;
    while k < KEY.len() {
        kinds[k] = key_kind(KEY[k]);
        k += 1;
    }
    kinds
};

/// The column names of the list, in order.
pub fn column_names(keep: &[TextColumn]) -> Vec<&str> {
    columns(keep).into_iter().map(|(name, _)| name).collect()
}

/// Hands the cells of one row (of customer `id`, with the values `kept` of the `keep`
/// columns) to `put`, in the order of [`columns`].
fn cells<'a>(
    row: &AtRiskRow,
    rank: i64,
    id: &str,
    kept: impl Iterator<Item = Option<&'a str>>,
    put: &mut impl FnMut(Cell<'_>),
) {
    put(Cell::Int(Some(rank)));
    put(Cell::Text(Some(id)));
    put(Cell::Float(Some(round(row.probability, 4))));
    put(Cell::Text(Some(row.tier)));
    put(Cell::Text(Some(&row.reasons)));
    put(Cell::Float(Some(round(row.value_at_risk, 2))));
    for (kind, value) in KEY_KINDS.into_iter().zip(row.key) {
        put(match kind {
            Kind::Float => Cell::Float(value.map(|v| round(v, 2))),
            _ => Cell::Int(value.map(|v| v as i64)),
        });
    }
    put(Cell::Text(row.segment));
    put(Cell::Text(row.region));
    for value in kept {
        put(Cell::Text(value));
    }
}

/// `rows` of a ranking (made by [`Ranking::rows`]; the first is at 0-based position
/// `first` of the list) as a table with the columns of [`column_names`].
///
/// [`Ranking::rows`]: super::Ranking::rows
pub fn to_dataframe(
    rows: &[AtRiskRow],
    first: usize,
    customers: &Customers,
    keep: &[TextColumn],
) -> PolarsResult<DataFrame> {
    enum Builder {
        Int(Vec<Option<i64>>),
        Float(Vec<Option<f64>>),
        Text(Vec<Option<String>>),
    }
    let columns = columns(keep);
    let mut builders: Vec<Builder> = columns
        .iter()
        .map(|(_, kind)| match kind {
            Kind::Int => Builder::Int(Vec::with_capacity(rows.len())),
            Kind::Float => Builder::Float(Vec::with_capacity(rows.len())),
            Kind::Text => Builder::Text(Vec::with_capacity(rows.len())),
        })
        .collect();
    for (i, row) in rows.iter().enumerate() {
        let mut column = 0;
        cells(
            row,
            (first + i + 1) as i64,
            &customers.ids[row.customer as usize],
            keep.iter()
                .map(|(_, values)| values[row.customer as usize].as_deref()),
            &mut |cell| {
                match (&mut builders[column], cell) {
                    (Builder::Int(v), Cell::Int(x)) => v.push(x),
                    (Builder::Float(v), Cell::Float(x)) => v.push(x),
                    (Builder::Text(v), Cell::Text(x)) => v.push(x.map(str::to_string)),
                    _ => unreachable!("cells follow the kinds of the columns"),
                }
                column += 1;
            },
        );
    }
    let frame_columns = builders
        .into_iter()
        .zip(&columns)
        .map(|(builder, (name, _))| {
            let name = (*name).into();
            match builder {
                Builder::Int(v) => {
                    Int64Chunked::from_iter_options(name, v.into_iter()).into_column()
                }
                Builder::Float(v) => {
                    Float64Chunked::from_iter_options(name, v.into_iter()).into_column()
                }
                Builder::Text(v) => {
                    let c: StringChunked = v.iter().map(|s| s.as_deref()).collect();
                    c.with_name(name).into_column()
                }
            }
        })
        .collect();
    DataFrame::new(rows.len(), frame_columns)
}

/// `rows` of a ranking (as in [`to_dataframe`]) as CSV lines, formatted a chunk of rows
/// per task and returned as those chunks, in order: the file polars would write for
/// [`to_dataframe`]'s frame, without its header.
pub fn to_csv(
    rows: &[AtRiskRow],
    first: usize,
    customers: &Customers,
    keep: &[TextColumn],
) -> Vec<Vec<u8>> {
    csv_lines(rows, first, customers, keep, CSV_CHUNK_ROWS)
}

/// [`to_csv`], `chunk_rows` rows per task.
pub(super) fn csv_lines(
    rows: &[AtRiskRow],
    first: usize,
    customers: &Customers,
    keep: &[TextColumn],
    chunk_rows: usize,
) -> Vec<Vec<u8>> {
    rows.par_chunks(chunk_rows)
        .enumerate()
        .map(|(k, chunk)| {
            // The chunk's ids and kept values, copied into one buffer before any line is
            // formatted: rows in rank order are customers far apart in memory, so each
            // value is a cache miss, and in a loop that does nothing else the misses of
            // successive rows overlap, where between the cells of a line they would come
            // one by one. `ends` has the end of each row's id, then of each kept value
            // (`None` where there is none).
            let mut texts = String::with_capacity(chunk.len() * 16 * (1 + keep.len()));
            let mut ends = Vec::with_capacity(chunk.len() * (1 + keep.len()));
            for row in chunk {
                let c = row.customer as usize;
                texts.push_str(&customers.ids[c]);
                ends.push(Some(texts.len()));
                for (_, values) in keep {
                    ends.push(values[c].as_deref().map(|v| {
                        texts.push_str(v);
                        texts.len()
                    }));
                }
            }
            let mut values = ends.iter().scan(0, |start, &end| {
                Some(end.map(|end| {
                    let text = &texts[*start..end];
                    *start = end;
                    text
                }))
            });
            let mut lines = Vec::with_capacity(chunk.len() * LINE_BYTES);
            for (i, row) in chunk.iter().enumerate() {
                let rank = (first + k * chunk_rows + i + 1) as i64;
                let id = values.next().flatten().expect("every row has an id");
                let mut separator = false;
                cells(
                    row,
                    rank,
                    id,
                    values.by_ref().take(keep.len()),
                    &mut |cell| {
                        if separator {
                            lines.push(b',');
                        }
                        separator = true;
                        push_cell(&mut lines, cell);
                    },
                );
                lines.push(b'\n');
            }
            lines
        })
        .collect()
}
