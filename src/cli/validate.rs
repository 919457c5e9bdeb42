//! `churn validate`: every check of the data contract, without stopping at the first
//! problem, and a summary of each table a data team can read before training.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::{DataArgs, Ui};
use churn::data::{self, DataReport};
use churn::dates::format_day;

#[derive(Args, Debug)]
pub struct ValidateArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

pub fn run(args: ValidateArgs, _ui: &Ui) -> Result<ExitCode> {
    let opts = args.data.load_options()?;
    let report = data::inspect(&args.data.data, &opts)?;
    if args.json {
        out!("{}", serde_json::to_string_pretty(&to_json(&report))?);
    } else {
        out_raw!("{}", render(&report));
    }
    Ok(if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn render(report: &DataReport) -> String {
    let mut out = String::new();
    for table in &report.tables {
        let Some(name) = table.table else { continue };
        out.push_str(&format!("{name}: {} rows", table.rows));
        if let Some((a, b)) = table.date_range {
            out.push_str(&format!(", {} to {}", format_day(a), format_day(b)));
        }
        let files = table.files.len();
        out.push_str(&format!(
            " ({} file{})\n",
            files,
            if files == 1 { "" } else { "s" }
        ));
        for (column, nulls) in &table.nulls {
            let share = if table.rows == 0 {
                0.0
            } else {
                *nulls as f64 / table.rows as f64
            };
            out.push_str(&format!("  {column:<24} nulls {:>6.2}%\n", share * 100.0));
        }
        let problems: Vec<_> = report.problems.iter().filter(|p| p.table == name).collect();
        for p in &problems {
            out.push_str(&format!("  problem: {p}\n"));
        }
    }
    let listed: Vec<_> = report
        .problems
        .iter()
        .filter(|p| !report.tables.iter().any(|t| t.table == Some(p.table)))
        .collect();
    for p in listed {
        out.push_str(&format!("problem: {p}\n"));
    }
    for w in &report.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    if report.problems.is_empty() {
        out.push_str("ok: no problems found\n");
    } else {
        out.push_str(&format!("{} problem(s) found\n", report.problems.len()));
    }
    out
}

fn to_json(report: &DataReport) -> serde_json::Value {
    use serde_json::json;
    let tables: Vec<_> = report
        .tables
        .iter()
        .map(|t| {
            json!({
                "table": t.table.map(|t| t.name()),
                "files": t.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
                "rows": t.rows,
                "date_range": t.date_range.map(|(a, b)| [format_day(a), format_day(b)]),
                "null_share": t.nulls.iter().map(|(c, n)| (c.clone(), json!(if t.rows == 0 { 0.0 } else { *n as f64 / t.rows as f64 }))).collect::<serde_json::Map<_, _>>(),
            })
        })
        .collect();
    let problems: Vec<_> = report
        .problems
        .iter()
        .map(|p| {
            json!({
                "table": p.table.name(),
                "file": p.file.display().to_string(),
                "column": p.column,
                "first_row": p.first_row,
                "first_value": p.first_value,
                "count": p.count,
                "message": p.to_string(),
            })
        })
        .collect();
    json!({ "ok": report.problems.is_empty(), "tables": tables, "problems": problems, "warnings": report.warnings })
}
