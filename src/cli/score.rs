//! `churn score`: the ranked at-risk list, with reasons, from a saved model.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};

use super::{parse_date_arg, DataArgs, ModelArgs, Ui};
use churn::dates::format_day;
use churn::report::format_number;

use churn::score::{self, ScoreConfig, SortBy};
use churn::{data, io};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SortArg {
    Probability,
    Value,
}

#[derive(Args, Debug)]
pub struct ScoreArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    model: ModelArgs,
    /// Score the population at this date (default: the last day of the data).
    #[arg(long, value_parser = parse_date_arg, value_name = "YYYY-MM-DD")]
    as_of: Option<i32>,
    /// The at-risk list: .csv or .parquet.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Keep only the first N customers of the ranking.
    #[arg(long)]
    top: Option<usize>,
    /// Keep only customers at or above this probability.
    #[arg(long)]
    min_probability: Option<f64>,
    /// Rank by churn probability or by value at risk.
    #[arg(long, value_enum, default_value = "probability")]
    sort: SortArg,
    /// Extra customer columns to carry through, e.g. `--keep name,email`.
    #[arg(long, value_delimiter = ',')]
    keep: Vec<String>,
    /// How many rows of the list to print (0 for none).
    #[arg(long, default_value_t = 10)]
    show: usize,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Rows of the at-risk list explained and written at a time.
const WRITE_BATCH_ROWS: usize = 131_072;

pub fn run(args: ScoreArgs, ui: &Ui) -> Result<ExitCode> {
    let started = Instant::now();
    if io::TableFormat::of(&args.out).is_none() {
        bail!("--out {} must end in .csv or .parquet", args.out.display());
    }
    if let Some(p) = args.min_probability {
        if !(0.0..=1.0).contains(&p) {
            bail!("--min-probability must be between 0 and 1, got {p}");
        }
    }
    let model = args.model.load()?;
    let tables = args.data.open(ui)?;
    let keep = data::read_customer_columns(&args.data.data, &args.keep)?;
    let config = ScoreConfig {
        as_of: args.as_of.unwrap_or(tables.data_end()),
        top: args.top,
        min_probability: args.min_probability,
        sort: match args.sort {
            SortArg::Probability => SortBy::Probability,
            SortArg::Value => SortBy::Value,
        },
    };
    let step = ui.step(format!("scoring with model {}", model.id));
    let list = score::score_tables(tables.view(), &model, &config)?;
    let customers = tables.into_customers();
    step.bar
        .set_message(format!("writing {}", args.out.display()));
    // The list is explained and written a batch of rows at a time, never whole. CSV lines
    // are formatted by `score::to_csv`, in parallel; Parquet goes through a polars frame.
    let shown = list.rows(0..args.show.min(list.len()));
    let starts = (0..list.len()).step_by(WRITE_BATCH_ROWS);
    let batch = |start: usize| {
        let rows = list.rows(start..(start + WRITE_BATCH_ROWS).min(list.len()));
        (start, rows)
    };
    let written = if io::TableFormat::of(&args.out) == Some(io::TableFormat::Csv) {
        let header = io::csv_header(&score::column_names(&keep));
        let batches = starts
            .map(batch)
            .map(|(start, rows)| (rows.len(), score::to_csv(&rows, start, &customers, &keep)));
        io::write_csv_batches(&args.out, &header, batches)?
    } else {
        let schema = score::to_dataframe(&[], 0, &customers, &keep)?
            .schema()
            .clone();
        let batches = starts
            .map(batch)
            .map(|(start, rows)| score::to_dataframe(&rows, start, &customers, &keep));
        io::write_table_batches(&args.out, &schema, batches)?
    };
    drop(step);

    let p = list.population;
    if args.json {
        let summary = serde_json::json!({
            "model": model.id,
            "as_of": format_day(list.as_of),
            "scored": list.scored,
            "high_risk": list.high_risk,
            "total_value_at_risk": list.total_value_at_risk,
            "lapsed_left_out": p.lapsed,
            "never_ordered_left_out": p.never_ordered,
            "rows_written": written,
            "out": args.out.display().to_string(),
        });
        out!("{}", serde_json::to_string_pretty(&summary)?);
    } else if args.show > 0 {
        for (i, r) in shown.iter().enumerate() {
            out!(
                "{:>5}  {:<12} {:>6.1}%  {:<6}  {:>10.2}  {}",
                i + 1,
                customers.ids[r.customer as usize],
                100.0 * r.probability,
                r.tier,
                r.value_at_risk,
                r.reasons
            );
        }
    }
    ui.info(format!(
        "scored {} customers active on {} with {}: {} high risk, {} total value at risk; left out {} lapsed and {} who never ordered; wrote {} rows to {} in {:.1}s",
        format_number(list.scored as f64, 0),
        format_day(list.as_of),
        model.id,
        format_number(list.high_risk as f64, 0),
        format_number(list.total_value_at_risk, 2),
        format_number(p.lapsed as f64, 0),
        format_number(p.never_ordered as f64, 0),
        format_number(written as f64, 0),
        args.out.display(),
        started.elapsed().as_secs_f64()
    ));
    Ok(ExitCode::SUCCESS)
}
