//! `churn backtest`: walk forward through time, training each model kind only on what was
//! known at each fold date and evaluating it on that date, to see which kind is stable.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::train::{CalibrationArg, KindArg, DEFAULT_SNAPSHOTS};
use super::{DataArgs, SnapshotArgs, Ui};
use churn::dates::format_day;
use churn::labels;
use churn::model::{self, ModelParams, TrainConfig};

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

/// One model kind evaluated at one fold date.
#[derive(Clone, Debug, Serialize)]
pub struct Fold {
    pub date: String,
    pub kind: &'static str,
    pub customers: usize,
    pub churners: usize,
    pub roc_auc: f64,
    pub pr_auc: f64,
    pub log_loss: f64,
    pub brier: f64,
    pub recency_roc_auc: f64,
}

/// Mean and spread of one model kind over the folds.
#[derive(Clone, Debug, Serialize)]
pub struct KindSummary {
    pub kind: &'static str,
    pub folds: usize,
    pub roc_auc_mean: f64,
    pub roc_auc_sd: f64,
    pub pr_auc_mean: f64,
    pub log_loss_mean: f64,
    /// Folds where the model's ROC AUC is above recency's.
    pub beats_recency: usize,
}

/// Runs every kind at every fold date.
pub fn backtest(raw: &churn::data::RawTables, args: &BacktestArgs) -> Result<Vec<Fold>> {
    let s = &args.snapshot;
    let snapshots = s.snapshots_or(DEFAULT_SNAPSHOTS)?;
    if args.folds < 1 {
        anyhow::bail!("--folds must be at least 1");
    }
    let latest = s
        .as_of
        .unwrap_or_else(|| labels::latest_labelable(raw, s.horizon_days));
    let mut folds = Vec::new();
    for k in 0..args.folds {
        let date = latest - k as i32 * s.step_days;
        for kind in &args.model {
            let config = TrainConfig {
                params: ModelParams::defaults((*kind).into(), args.seed),
                label: s.label_spec(raw),
                features: s.feature_config(),
                snapshots,
                step_days: s.step_days,
                as_of: Some(date),
                calibration: args.calibration.into(),
            };
            let oot = model::evaluate_out_of_time(raw, &config)?;
            let m = &oot.holdout;
            folds.push(Fold {
                date: format_day(date),
                kind: config.params.kind().name(),
                customers: m.n,
                churners: m.churners,
                roc_auc: m.roc_auc,
                pr_auc: m.pr_auc,
                log_loss: m.log_loss,
                brier: m.brier,
                recency_roc_auc: oot.recency_baseline.roc_auc,
            });
        }
    }
    Ok(folds)
}

/// Mean and (sample) standard deviation per kind, in the order the kinds were asked for.
pub fn summarise(folds: &[Fold]) -> Vec<KindSummary> {
    let mut kinds: Vec<&'static str> = Vec::new();
    for f in folds {
        if !kinds.contains(&f.kind) {
            kinds.push(f.kind);
        }
    }
    kinds
        .into_iter()
        .map(|kind| {
            let of: Vec<&Fold> = folds.iter().filter(|f| f.kind == kind).collect();
            let n = of.len() as f64;
            let mean = |get: fn(&Fold) -> f64| of.iter().map(|f| get(f)).sum::<f64>() / n;
            let auc = mean(|f| f.roc_auc);
            let var = if of.len() > 1 {
                of.iter().map(|f| (f.roc_auc - auc).powi(2)).sum::<f64>() / (n - 1.0)
            } else {
                0.0
            };
            KindSummary {
                kind,
                folds: of.len(),
                roc_auc_mean: auc,
                roc_auc_sd: var.sqrt(),
                pr_auc_mean: mean(|f| f.pr_auc),
                log_loss_mean: mean(|f| f.log_loss),
                beats_recency: of.iter().filter(|f| f.roc_auc > f.recency_roc_auc).count(),
            }
        })
        .collect()
}

pub fn run(args: BacktestArgs, ui: &Ui) -> Result<ExitCode> {
    let raw = args.data.load(ui)?;
    let step = ui.step(format!(
        "backtesting {} model kind(s) over {} folds",
        args.model.len(),
        args.folds
    ));
    let folds = backtest(&raw, &args)?;
    drop(step);
    let summary = summarise(&folds);
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
