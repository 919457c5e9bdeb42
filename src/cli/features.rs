//! `churn features`: point-in-time features (and labels) for one or more snapshots.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;

use super::{DataArgs, SnapshotArgs, Ui};
use churn::dates::format_day;
use churn::features::{self, FeatureFrame};
use churn::io;
use churn::labels::{self, LabelSpec};
use churn::schema::features::KEY;

#[derive(Args, Debug)]
pub struct FeaturesArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    snapshot: SnapshotArgs,
    /// Add the `churned` label column (needs the label window inside the data).
    #[arg(long)]
    labels: bool,
    /// Output table: .csv or .parquet.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Rows of the table converted and written at a time (a Parquet row group each).
const WRITE_BATCH_ROWS: usize = 131_072;

pub fn run(args: FeaturesArgs, ui: &Ui) -> Result<ExitCode> {
    if io::TableFormat::of(&args.out).is_none() {
        bail!("--out {} must end in .csv or .parquet", args.out.display());
    }
    let s = &args.snapshot;
    let n_snapshots = s.snapshots_or(1)?;
    let tables = args.data.open(ui)?;
    let spec = s.label_spec(tables.customers());
    let latest = if args.labels {
        labels::latest_labelable(tables.data_end(), s.horizon_days)
    } else {
        tables.data_end()
    };
    let as_of = s.as_of.unwrap_or(latest);
    let dates: Vec<i32> = (0..n_snapshots as i32)
        .map(|k| as_of - k * s.step_days)
        .collect();
    let step = ui.step(format!("computing features for {n_snapshots} snapshot(s)"));
    // A block of customers at a time, each block's events freed once its rows are in the
    // frame (the ingested copy is read a block at a time): the frame and all the events
    // are never held together.
    let (frame, labels, customers) = if args.labels {
        let (frame, labels, customers) = labels::build_consuming_with_features::<anyhow::Error>(
            tables,
            &dates,
            s.feature_config(),
            spec,
        )?;
        (frame, Some(labels), customers)
    } else {
        let (frame, _, customers) = features::build_consuming::<(), anyhow::Error>(
            tables,
            &dates,
            s.feature_config(),
            features::no_values,
        )?;
        (frame, None, customers)
    };
    let populations = &frame.populations;
    let feature_summary = summary(&frame, labels.as_deref(), spec);
    step.bar
        .set_message(format!("writing {}", args.out.display()));
    let table = |rows| features::to_dataframe(&frame, rows, &customers, labels.as_deref());
    let schema = table(0..0)?.schema().clone();
    let n = frame.n_rows();
    let batches = (0..n)
        .step_by(WRITE_BATCH_ROWS)
        .map(|start| table(start..(start + WRITE_BATCH_ROWS).min(n)));
    let written = io::write_table_batches(&args.out, &schema, batches)?;
    drop(step);

    if args.json {
        let churned = labels.as_ref().map(|l| l.iter().filter(|&&c| c).count());
        let summary = serde_json::json!({
            "out": args.out.display().to_string(),
            "rows": written,
            "columns": schema.len(),
            "snapshots": populations.iter().map(|p| serde_json::json!({
                "as_of": format_day(p.as_of),
                "active": p.active,
                "lapsed_left_out": p.lapsed,
                "never_ordered_left_out": p.never_ordered,
            })).collect::<Vec<_>>(),
            "label": args.labels.then(|| serde_json::json!({
                "definition": spec.definition.name(),
                "horizon_days": spec.horizon_days,
                "churned": churned,
            })),
        });
        out!("{}", serde_json::to_string_pretty(&summary)?);
    }

    for p in populations {
        ui.info(format!(
            "{}: {} active customers featurised; left out {} lapsed (no order in {} days) and {} who never ordered",
            format_day(p.as_of),
            p.active,
            p.lapsed,
            s.active_days,
            p.never_ordered
        ));
    }
    ui.info(feature_summary);
    ui.info(format!(
        "wrote {} rows x {} columns to {}",
        written,
        schema.len(),
        args.out.display()
    ));
    Ok(ExitCode::SUCCESS)
}

/// A few lines a person can sanity-check: typical values of the key features.
fn summary(frame: &FeatureFrame, labels: Option<&[bool]>, spec: LabelSpec) -> String {
    let stat = |name: &str| -> (f64, f64) {
        let Some(col) = frame.column(name) else {
            return (0.0, 0.0);
        };
        let known: Vec<f64> = col.iter().filter(|v| !v.is_nan()).collect();
        let mean = known.iter().sum::<f64>() / known.len().max(1) as f64;
        (mean, known.len() as f64 / col.len().max(1) as f64)
    };
    let mut text = String::from("feature summary (mean, share known):");
    for name in KEY {
        let (mean, known) = stat(name);
        text.push_str(&format!(
            "\n  {name:<16} {mean:>10.2}  {:>5.1}%",
            known * 100.0
        ));
    }
    if let Some(labels) = labels {
        let churned = labels.iter().filter(|&&l| l).count();
        text.push_str(&format!(
            "\n  churned within {} days ({}): {} of {} ({:.1}%)",
            spec.horizon_days,
            spec.definition.name(),
            churned,
            labels.len(),
            100.0 * churned as f64 / labels.len().max(1) as f64
        ));
    }
    text
}
