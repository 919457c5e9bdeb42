//! A realistic synthetic business, for demos, tests and benchmarks: `simulate` makes the
//! customers and their events (see `sim` for the model), this module writes them as the
//! four tables of the data contract.
//!
//! Customers are simulated in chunks of [`CHUNK_CUSTOMERS`], in parallel, each customer on
//! its own random stream, so the bytes written depend only on the seed and the
//! configuration, never on the number of threads. A data set of one chunk is written as
//! single files (`orders.csv`); a larger one as directories of part files
//! (`orders/part-00000.csv`), which keeps memory bounded by a few chunks at a time. The
//! whole data set is written into a temporary directory and renamed into place at the end.

pub mod sim;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use rayon::prelude::*;

use crate::dates::format_day;
use crate::io::TableFormat;
use crate::schema::{self, Table};
use sim::{Chunk, Market, SimConfig, SurveyKind, PRIORITIES, REGIONS, SEGMENTS};

/// Customers per part file.
pub const CHUNK_CUSTOMERS: usize = 50_000;
pub const DEFAULT_START: &str = "2023-01-01";
pub const DEFAULT_END: &str = "2025-12-31";
pub const DEFAULT_SEED: u64 = 42;

/// Account managers, to show that extra customer columns are carried through.
const ACCOUNT_MANAGERS: [&str; 8] = [
    "a.okafor",
    "b.lindqvist",
    "c.moreau",
    "d.tanaka",
    "e.silva",
    "f.novak",
    "g.haddad",
    "h.kowalski",
];

#[derive(Clone, Debug)]
pub struct GenerateConfig {
    pub sim: SimConfig,
    pub format: TableFormat,
    /// Also write `truth.csv`: each customer's latent churn date.
    pub truth: bool,
    /// Replace an existing output directory.
    pub force: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GenerateSummary {
    pub customers: usize,
    pub orders: usize,
    pub tickets: usize,
    pub surveys: usize,
    pub parts: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("{0} already exists and is not empty; pass --force to replace it")]
    Exists(PathBuf),
    #[error("the date range is empty: --start {start} is not before --end {end}")]
    BadRange { start: String, end: String },
    #[error("need at least one customer")]
    NoCustomers,
    #[error("writing {path}: {message}")]
    Write { path: PathBuf, message: String },
}

fn write_err(path: &Path, e: impl std::fmt::Display) -> GenerateError {
    GenerateError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Generates the data set into `out`.
///
/// # Errors
/// An existing non-empty `out` without `force`, a bad configuration, or an I/O failure
/// (in which case `out` is left as it was).
pub fn generate(config: &GenerateConfig, out: &Path) -> Result<GenerateSummary, GenerateError> {
    let sim = &config.sim;
    if sim.n_customers == 0 {
        return Err(GenerateError::NoCustomers);
    }
    if sim.start_day + 60 > sim.end_day {
        return Err(GenerateError::BadRange {
            start: format_day(sim.start_day),
            end: format_day(sim.end_day),
        });
    }
    let occupied = out.exists()
        && fs::read_dir(out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true);
    if occupied && !config.force {
        return Err(GenerateError::Exists(out.to_path_buf()));
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| write_err(&parent, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".churn-generate-")
        .tempdir_in(&parent)
        .map_err(|e| write_err(&parent, e))?;
    let summary = write_all(config, staging.path())?;

    // Swap the finished directory in; an old one is only removed once the new one is there.
    let staged = staging.keep();
    if out.exists() {
        let old = parent.join(format!(
            ".churn-old-{}",
            out.file_name().and_then(|n| n.to_str()).unwrap_or("data")
        ));
        let _ = fs::remove_dir_all(&old);
        fs::rename(out, &old).map_err(|e| write_err(out, e))?;
        fs::rename(&staged, out).map_err(|e| write_err(out, e))?;
        fs::remove_dir_all(&old).map_err(|e| write_err(&old, e))?;
    } else {
        fs::rename(&staged, out).map_err(|e| write_err(out, e))?;
    }
    Ok(summary)
}

fn write_all(config: &GenerateConfig, dir: &Path) -> Result<GenerateSummary, GenerateError> {
    let sim = &config.sim;
    let market = Market::new(sim);
    let n_chunks = sim.n_customers.div_ceil(CHUNK_CUSTOMERS);
    let split = n_chunks > 1;
    let ext = match config.format {
        TableFormat::Csv => "csv",
        TableFormat::Parquet => "parquet",
    };
    let mut tables: Vec<&str> = Table::ALL.iter().map(|t| t.name()).collect();
    if config.truth {
        tables.push("truth");
    }
    if split {
        for t in &tables {
            fs::create_dir_all(dir.join(t)).map_err(|e| write_err(dir, e))?;
        }
    }
    let path_of = |table: &str, chunk: usize| {
        if split {
            dir.join(table).join(format!("part-{chunk:05}.{ext}"))
        } else {
            dir.join(format!("{table}.{ext}"))
        }
    };
    let mut summary = GenerateSummary {
        parts: n_chunks,
        ..GenerateSummary::default()
    };
    // A few chunks in flight at a time bounds memory whatever the number of customers.
    let in_flight = rayon::current_num_threads().max(1) * 2;
    let chunk_ids: Vec<usize> = (0..n_chunks).collect();
    for batch in chunk_ids.chunks(in_flight) {
        type Encoded = (Vec<(String, Vec<u8>)>, [usize; 3]);
        let encoded: Vec<Result<Encoded, GenerateError>> = batch
            .par_iter()
            .map(|&chunk| {
                let start = (chunk * CHUNK_CUSTOMERS) as u32;
                let end = ((chunk + 1) * CHUNK_CUSTOMERS).min(sim.n_customers) as u32;
                let data = sim::simulate(sim, &market, start..end);
                let counts = [data.orders.len(), data.tickets.len(), data.surveys.len()];
                let files =
                    encode(&data, config.format, config.truth).map_err(|e| write_err(dir, e))?;
                Ok((files, counts))
            })
            .collect();
        for (&chunk, encoded) in batch.iter().zip(encoded) {
            let (files, [orders, tickets, surveys]) = encoded?;
            summary.orders += orders;
            summary.tickets += tickets;
            summary.surveys += surveys;
            for (table, bytes) in files {
                let path = path_of(&table, chunk);
                let mut file = fs::File::create(&path).map_err(|e| write_err(&path, e))?;
                file.write_all(&bytes).map_err(|e| write_err(&path, e))?;
            }
        }
        for &chunk in batch {
            let start = chunk * CHUNK_CUSTOMERS;
            summary.customers += (sim.n_customers - start).min(CHUNK_CUSTOMERS);
        }
    }
    Ok(summary)
}

fn customer_id(idx: u32) -> String {
    format!("C{:07}", idx + 1)
}

/// One chunk's files: (table name, encoded bytes).
fn encode(data: &Chunk, format: TableFormat, truth: bool) -> PolarsResult<Vec<(String, Vec<u8>)>> {
    let mut frames = frames(data)?;
    if !truth {
        frames.retain(|(name, _)| name != "truth");
    }
    let mut files = Vec::with_capacity(frames.len() + 1);
    for (name, mut df) in frames {
        let mut bytes = Vec::new();
        match format {
            TableFormat::Csv => CsvWriter::new(&mut bytes)
                .include_header(true)
                .finish(&mut df)?,
            TableFormat::Parquet => {
                ParquetWriter::new(&mut bytes).finish(&mut df)?;
            }
        }
        files.push((name, bytes));
    }
    Ok(files)
}

fn date_column(name: &str, days: impl Iterator<Item = Option<i32>>) -> Column {
    let values: Int32Chunked = days.collect();
    values.with_name(name.into()).into_date().into_column()
}

fn timestamp_column(name: &str, seconds: impl Iterator<Item = Option<i64>>) -> Column {
    let values: Int64Chunked = seconds.map(|s| s.map(|s| s * 1000)).collect();
    values
        .with_name(name.into())
        .into_datetime(TimeUnit::Milliseconds, None)
        .into_column()
}

fn text_column<'a>(name: &str, values: impl Iterator<Item = Option<&'a str>>) -> Column {
    let values: StringChunked = values.collect();
    values.with_name(name.into()).into_column()
}

fn owned_text_column(name: &str, values: impl Iterator<Item = String>) -> Column {
    let values: StringChunked = values.map(Some).collect();
    values.with_name(name.into()).into_column()
}

/// Per-customer sequence numbers for event ids (`O0000001-003`).
fn sequence(customers: impl Iterator<Item = u32>) -> Vec<u32> {
    let mut last = u32::MAX;
    let mut k = 0;
    customers
        .map(|c| {
            if c != last {
                last = c;
                k = 0;
            }
            k += 1;
            k
        })
        .collect()
}

fn frames(data: &Chunk) -> PolarsResult<Vec<(String, DataFrame)>> {
    let first = data.first_customer;
    let ids: Vec<u32> = (0..data.customers.len() as u32)
        .map(|i| first + i)
        .collect();
    let customers = DataFrame::new(
        ids.len(),
        vec![
            owned_text_column(schema::CUSTOMER_ID, ids.iter().map(|&i| customer_id(i))),
            date_column(
                schema::SIGNUP_DATE,
                data.customers.iter().map(|c| Some(c.signup_day)),
            ),
            text_column(
                schema::SEGMENT,
                data.customers
                    .iter()
                    .map(|c| Some(SEGMENTS[c.segment as usize])),
            ),
            text_column(
                schema::REGION,
                data.customers
                    .iter()
                    .map(|c| Some(REGIONS[c.region as usize])),
            ),
            date_column(
                schema::CHURNED_AT,
                data.customers.iter().map(|c| c.churned_at),
            ),
            text_column(
                "account_manager",
                ids.iter().map(|&i| {
                    Some(
                        ACCOUNT_MANAGERS
                            [(i as usize * 7 + i as usize / 3) % ACCOUNT_MANAGERS.len()],
                    )
                }),
            ),
        ],
    )?;

    let seq = sequence(data.orders.iter().map(|o| o.customer));
    let orders = DataFrame::new(
        data.orders.len(),
        vec![
            owned_text_column(
                schema::ORDER_ID,
                data.orders
                    .iter()
                    .zip(&seq)
                    .map(|(o, k)| format!("O{:07}-{k:03}", o.customer + 1)),
            ),
            owned_text_column(
                schema::CUSTOMER_ID,
                data.orders.iter().map(|o| customer_id(o.customer)),
            ),
            date_column(schema::ORDER_DATE, data.orders.iter().map(|o| Some(o.day))),
            {
                let cents: Float64Chunked = data
                    .orders
                    .iter()
                    .map(|o| Some(o.amount_cents as f64 / 100.0))
                    .collect();
                cents.with_name(schema::AMOUNT.into()).into_column()
            },
        ],
    )?;

    let seq = sequence(data.tickets.iter().map(|t| t.customer));
    let tickets = DataFrame::new(
        data.tickets.len(),
        vec![
            owned_text_column(
                schema::TICKET_ID,
                data.tickets
                    .iter()
                    .zip(&seq)
                    .map(|(t, k)| format!("T{:07}-{k:02}", t.customer + 1)),
            ),
            owned_text_column(
                schema::CUSTOMER_ID,
                data.tickets.iter().map(|t| customer_id(t.customer)),
            ),
            timestamp_column(
                schema::CREATED_AT,
                data.tickets.iter().map(|t| Some(t.created_s)),
            ),
            text_column(
                schema::PRIORITY,
                data.tickets
                    .iter()
                    .map(|t| Some(PRIORITIES[t.priority as usize])),
            ),
            timestamp_column(
                schema::RESOLVED_AT,
                data.tickets.iter().map(|t| t.resolved_s),
            ),
        ],
    )?;

    let surveys = DataFrame::new(
        data.surveys.len(),
        vec![
            owned_text_column(
                schema::CUSTOMER_ID,
                data.surveys.iter().map(|s| customer_id(s.customer)),
            ),
            timestamp_column(
                schema::RESPONDED_AT,
                data.surveys.iter().map(|s| Some(s.at_s)),
            ),
            text_column(
                schema::KIND,
                data.surveys.iter().map(|s| {
                    Some(match s.kind {
                        SurveyKind::Csat => schema::CSAT,
                        SurveyKind::Nps => schema::NPS,
                    })
                }),
            ),
            {
                let scores: Int32Chunked = data
                    .surveys
                    .iter()
                    .map(|s| Some(i32::from(s.score)))
                    .collect();
                scores.with_name(schema::SCORE.into()).into_column()
            },
        ],
    )?;

    let truth = DataFrame::new(
        ids.len(),
        vec![
            owned_text_column(schema::CUSTOMER_ID, ids.iter().map(|&i| customer_id(i))),
            date_column(
                "latent_churn_date",
                data.customers.iter().map(|c| c.latent_churn_day),
            ),
        ],
    )?;
    Ok(vec![
        ("customers".to_string(), customers),
        ("orders".to_string(), orders),
        ("tickets".to_string(), tickets),
        ("surveys".to_string(), surveys),
        ("truth".to_string(), truth),
    ])
}
