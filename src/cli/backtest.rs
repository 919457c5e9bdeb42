//! `churn backtest`: walk forward through time, training each model kind only on what was
//! known at each fold date and evaluating it on that date, to see which kind is stable.

use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;

use super::train::{CalibrationArg, KindArg, DEFAULT_SNAPSHOTS};
use super::{DataArgs, SnapshotArgs, Ui};
use churn::data::RawTables;
use churn::evaluate::backtest;
use churn::labels;
use churn::model::{ModelParams, TrainConfig};

#[derive(Args, Debug)]
pub struct BacktestArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    snapshot: SnapshotArgs,
    /// Model kinds to compare, e.g. `logistic,tree,forest`.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "logistic,tree,forest"
    )]
    model: Vec<KindArg>,
    /// Number of fold dates: the latest labelable date (or --as-of) and each --step-days
    /// before it.
    #[arg(long, default_value_t = 6)]
    folds: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[arg(long, value_enum, default_value = "platt")]
    calibration: CalibrationArg,
    /// Print the folds and the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
}

impl BacktestArgs {
    /// One training configuration per kind asked for, and the newest fold date.
    fn configs(&self, raw: &RawTables) -> Result<(Vec<TrainConfig>, i32)> {
        let s = &self.snapshot;
        let snapshots = s.snapshots_or(DEFAULT_SNAPSHOTS)?;
        if self.folds < 1 {
            bail!("--folds must be at least 1");
        }
        let latest = s
            .as_of
            .unwrap_or_else(|| labels::latest_labelable(raw.data_end, s.horizon_days));
        let configs = self
            .model
            .iter()
            .map(|kind| TrainConfig {
                params: ModelParams::defaults((*kind).into(), self.seed),
                label: s.label_spec(&raw.customers),
                features: s.feature_config(),
                snapshots,
                step_days: s.step_days,
                as_of: None,
                calibration: self.calibration.into(),
            })
            .collect();
        Ok((configs, latest))
    }
}

pub fn run(args: BacktestArgs, ui: &Ui) -> Result<ExitCode> {
    let raw = args.data.load(ui)?;
    let (configs, latest) = args.configs(&raw)?;
    let step = ui.step(format!(
        "backtesting {} model kind(s) over {} folds",
        args.model.len(),
        args.folds
    ));
    let folds = backtest::backtest(&raw, &configs, latest, args.folds, args.snapshot.step_days)?;
    drop(step);
    let summary = backtest::summarise(&folds);
    if args.json {
        let json = serde_json::json!({ "folds": folds, "summary": summary });
        out!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(ExitCode::SUCCESS);
    }
    out!(
        "{:<11} {:<9} {:>9} {:>8} {:>8} {:>7} {:>9} {:>8}",
        "fold",
        "model",
        "customers",
        "churned",
        "ROC AUC",
        "PR AUC",
        "log loss",
        "recency"
    );
    for f in &folds {
        out!(
            "{:<11} {:<9} {:>9} {:>7.1}% {:>8.4} {:>7.4} {:>9.4} {:>8.4}",
            f.date,
            f.kind,
            f.customers,
            100.0 * f.churners as f64 / f.customers.max(1) as f64,
            f.roc_auc,
            f.pr_auc,
            f.log_loss,
            f.recency_roc_auc
        );
    }
    out!(
        "\n{:<9} {:>5} {:>17} {:>11} {:>13} {:>14}",
        "model",
        "folds",
        "ROC AUC mean ± sd",
        "PR AUC mean",
        "log loss mean",
        "beats recency"
    );
    for k in &summary {
        out!(
            "{:<9} {:>5} {:>10.4} ± {:.4} {:>11.4} {:>13.4} {:>9} of {}",
            k.kind,
            k.folds,
            k.roc_auc_mean,
            k.roc_auc_sd,
            k.pr_auc_mean,
            k.log_loss_mean,
            k.beats_recency,
            k.folds
        );
    }
    if let Some(best) = summary
        .iter()
        .max_by(|a, b| a.roc_auc_mean.total_cmp(&b.roc_auc_mean))
    {
        ui.info(format!(
            "best mean ROC AUC over {} folds: {} ({:.4} ± {:.4})",
            best.folds, best.kind, best.roc_auc_mean, best.roc_auc_sd
        ));
    }
    Ok(ExitCode::SUCCESS)
}
