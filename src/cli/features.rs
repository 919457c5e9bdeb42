//! `churn features`: point-in-time features (and labels) for one or more snapshots.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};

use super::{parse_date_arg, DataArgs, Ui};
use churn::dates::format_day;
use churn::features::{self, FeatureConfig, FeatureFrame, DEFAULT_ACTIVE_DAYS};
use churn::labels::{self, LabelDefinition, LabelSpec, DEFAULT_HORIZON_DAYS};
use churn::{data, io};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LabelArg {
    Inactivity,
    Cancellation,
    Either,
}

impl From<LabelArg> for LabelDefinition {
    fn from(l: LabelArg) -> Self {
        match l {
            LabelArg::Inactivity => LabelDefinition::Inactivity,
            LabelArg::Cancellation => LabelDefinition::Cancellation,
            LabelArg::Either => LabelDefinition::Either,
        }
    }
}

/// Snapshot dates and label definition, shared with the commands that train.
#[derive(Args, Debug, Clone)]
pub struct SnapshotArgs {
    /// As-of date T (end of day). Default: the last day of the data, or with --labels
    /// the latest date whose label window fits in the data.
    #[arg(long, value_parser = parse_date_arg, value_name = "YYYY-MM-DD")]
    as_of: Option<i32>,
    /// The population at T: customers with an order in (T - active_days, T].
    #[arg(long, default_value_t = DEFAULT_ACTIVE_DAYS)]
    active_days: i32,
    /// Stack K snapshots T, T - step, T - 2*step, ... into one table.
    #[arg(long, default_value_t = 1)]
    snapshots: usize,
    #[arg(long, default_value_t = 30)]
    step_days: i32,
    /// Churn = no order (inactivity), churned_at (cancellation), or either, within H days.
    #[arg(long, default_value_t = DEFAULT_HORIZON_DAYS)]
    horizon_days: i32,
    /// Label definition (default: either when customers have churned_at, else inactivity).
    #[arg(long, value_enum)]
    label: Option<LabelArg>,
}

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
}

pub fn run(args: FeaturesArgs, ui: &Ui) -> Result<ExitCode> {
    if io::TableFormat::of(&args.out).is_none() {
        bail!("--out {} must end in .csv or .parquet", args.out.display());
    }
    let s = &args.snapshot;
    if s.active_days < 1 || s.step_days < 1 || s.snapshots < 1 {
        bail!("--active-days, --step-days and --snapshots must be at least 1");
    }
    let (raw, report) = data::load(&args.data.data, &args.data.load_options()?)?;
    for w in &report.warnings {
        ui.warn(w);
    }
    let spec = LabelSpec {
        horizon_days: s.horizon_days,
        definition: s
            .label
            .map_or_else(|| LabelDefinition::default_for(&raw), Into::into),
    };
    let latest = if args.labels {
        labels::latest_labelable(&raw, s.horizon_days)
    } else {
        raw.data_end
    };
    let as_of = s.as_of.unwrap_or(latest);
    let dates: Vec<i32> = (0..s.snapshots as i32)
        .map(|k| as_of - k * s.step_days)
        .collect();
    let frame = features::build(
        &raw,
        &dates,
        FeatureConfig {
            active_days: s.active_days,
        },
    );
    let labels = if args.labels {
        Some(labels::build(&raw, &frame, spec)?)
    } else {
        None
    };
    let mut df = features::to_dataframe(&frame, &raw.customers, labels.as_deref())?;
    io::write_table(&mut df, &args.out)?;

    for p in &frame.populations {
        ui.info(format!(
            "{}: {} active customers featurised; left out {} lapsed (no order in {} days) and {} who never ordered",
            format_day(p.as_of),
            p.active,
            p.lapsed,
            s.active_days,
            p.never_ordered
        ));
    }
    ui.info(summary(&frame, labels.as_deref(), spec));
    ui.info(format!(
        "wrote {} rows x {} columns to {}",
        df.height(),
        df.width(),
        args.out.display()
    ));
    Ok(ExitCode::SUCCESS)
}

/// A few lines a person can sanity-check: typical values of the key features.
fn summary(frame: &FeatureFrame, labels: Option<&[bool]>, spec: LabelSpec) -> String {
    let stat = |name: &str| -> (f64, f64) {
        let col = frame.column(name).unwrap_or(&[]);
        let known: Vec<f64> = col.iter().copied().filter(|v| !v.is_nan()).collect();
        let mean = known.iter().sum::<f64>() / known.len().max(1) as f64;
        (mean, known.len() as f64 / col.len().max(1) as f64)
    };
    let mut text = String::from("feature summary (mean, share known):");
    for name in [
        "recency_days",
        "orders_365d",
        "spend_365d",
        "open_tickets",
        "csat_last",
        "nps_last",
    ] {
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
