//! `churn generate`: writes a synthetic data set.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use clap::{Args, ValueEnum};

use super::{parse_date_arg, Ui};
use churn::dates::{format_day, parse_day};
use churn::generate::{
    self, sim::SimConfig, GenerateConfig, DEFAULT_END, DEFAULT_SEED, DEFAULT_START,
};
use churn::io::TableFormat;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormatArg {
    Csv,
    Parquet,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Number of customers.
    #[arg(long, default_value_t = 20_000)]
    customers: usize,
    /// Random seed: the same seed and flags give byte-identical files.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Output directory (refused if it exists and is not empty, unless --force).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    #[arg(long, value_enum, default_value = "csv")]
    format: FormatArg,
    /// First day of the data.
    #[arg(long, value_parser = parse_date_arg, default_value = DEFAULT_START)]
    start: i32,
    /// Last day of the data.
    #[arg(long, value_parser = parse_date_arg, default_value = DEFAULT_END)]
    end: i32,
    /// Also write truth.csv: each customer's latent churn date (for tests).
    #[arg(long)]
    truth: bool,
    /// Replace an existing output directory.
    #[arg(long)]
    force: bool,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
}

pub fn run(args: GenerateArgs, ui: &Ui) -> Result<ExitCode> {
    debug_assert!(parse_day(DEFAULT_START).is_some());
    let config = GenerateConfig {
        sim: SimConfig {
            n_customers: args.customers,
            seed: args.seed,
            start_day: args.start,
            end_day: args.end,
        },
        format: match args.format {
            FormatArg::Csv => TableFormat::Csv,
            FormatArg::Parquet => TableFormat::Parquet,
        },
        truth: args.truth,
        force: args.force,
    };
    let started = Instant::now();
    let step = ui.step(format!("simulating {} customers", args.customers));
    let summary = generate::generate(&config, &args.out)?;
    drop(step);
    if args.json {
        let json = serde_json::json!({
            "out": args.out.display().to_string(),
            "seed": args.seed,
            "start": format_day(args.start),
            "end": format_day(args.end),
            "customers": summary.customers,
            "orders": summary.orders,
            "tickets": summary.tickets,
            "surveys": summary.surveys,
            "part_files_per_table": summary.parts,
        });
        out!("{}", serde_json::to_string_pretty(&json)?);
    }
    ui.info(format!(
        "generated {} customers, {} orders, {} tickets, {} surveys ({} to {}, seed {}) into {} in {:.1}s",
        summary.customers,
        summary.orders,
        summary.tickets,
        summary.surveys,
        format_day(args.start),
        format_day(args.end),
        args.seed,
        args.out.display(),
        started.elapsed().as_secs_f64()
    ));
    Ok(ExitCode::SUCCESS)
}
