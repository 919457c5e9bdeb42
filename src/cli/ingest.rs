//! `churn ingest`: reads and checks a data directory once and writes the compact copy of
//! its tables that later commands read instead of the files while those are unchanged.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use serde_json::json;

use super::{DataArgs, Ui};
use churn::data;
use churn::report::format_number;

#[derive(Args, Debug)]
pub struct IngestArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
}

pub fn run(args: IngestArgs, ui: &Ui) -> Result<ExitCode> {
    let started = Instant::now();
    let options = args.data.load_options()?;
    let dir = &args.data.data;
    let step = ui.step(format!("reading and checking {}", dir.display()));
    let (raw, report, path) = data::ingest(dir, &options)?;
    drop(step);
    for w in &report.warnings {
        ui.warn(w);
    }
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let seconds = started.elapsed().as_secs_f64();
    let tickets = raw.tickets.as_ref().map(|t| t.created.len());
    let surveys = raw.surveys.as_ref().map(|s| s.at.len());
    if args.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "copy": path.display().to_string(),
                "bytes": bytes,
                "customers": raw.customers.len(),
                "orders": raw.orders.day.len(),
                "tickets": tickets,
                "surveys": surveys,
                "seconds": seconds,
            }))?
        );
    } else {
        let count = |n: usize| format_number(n as f64, 0);
        let optional = |n: Option<usize>, what: &str| {
            n.map_or_else(|| format!("no {what}"), |n| format!("{} {what}", count(n)))
        };
        ui.info(format!(
            "ingested {}: {} customers, {} orders, {}, {} into {} ({} MB) in {seconds:.1} s",
            dir.display(),
            count(raw.customers.len()),
            count(raw.orders.day.len()),
            optional(tickets, "tickets"),
            optional(surveys, "surveys"),
            path.display(),
            format_number(bytes as f64 / 1e6, 1),
        ));
        ui.info(format!(
            "commands with --data {} now read this copy while the table files stay unchanged \
             (--read-files reads the files anyway)",
            dir.display()
        ));
    }
    Ok(ExitCode::SUCCESS)
}
