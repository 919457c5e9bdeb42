//! `churn train`: fit a model, evaluate it out of time, save it (and its card).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};

use super::{DataArgs, SnapshotArgs, Ui};
use churn::data::{self, Customers, Tables};
use churn::model::artifact::{self, ModelArtifact};
use churn::model::tune::{self, Tuning};
use churn::model::{self, ModelKind, ModelParams, TrainConfig};
use churn::train::calibrate::CalibrationMethod;
use churn::train::logistic::ClassWeight;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum KindArg {
    Logistic,
    Tree,
    Forest,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CalibrationArg {
    None,
    Platt,
    Isotonic,
}

impl From<CalibrationArg> for CalibrationMethod {
    fn from(c: CalibrationArg) -> Self {
        match c {
            CalibrationArg::None => CalibrationMethod::None,
            CalibrationArg::Platt => CalibrationMethod::Platt,
            CalibrationArg::Isotonic => CalibrationMethod::Isotonic,
        }
    }
}

/// Default number of stacked snapshots per fit.
pub const DEFAULT_SNAPSHOTS: usize = 3;

#[derive(Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    snapshot: SnapshotArgs,
    /// Which learner.
    #[arg(long, value_enum, default_value = "logistic")]
    model: KindArg,
    /// Seed of every random choice (the forest's bootstrap and feature sampling).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Where models are saved: OUT/<id>/model.json and model.md.
    #[arg(long, value_name = "DIR", default_value = "models")]
    out: PathBuf,
    /// logistic: L2 regularisation strength.
    #[arg(long)]
    alpha: Option<f64>,
    /// logistic: weigh churners and stayers equally.
    #[arg(long)]
    balanced: bool,
    /// tree, forest: maximum depth.
    #[arg(long)]
    max_depth: Option<usize>,
    /// tree, forest: minimum training rows in a leaf.
    #[arg(long)]
    min_leaf: Option<usize>,
    /// forest: number of trees.
    #[arg(long)]
    trees: Option<usize>,
    /// Calibrate probabilities on the latest training snapshot with a learner fitted on
    /// the earlier ones: platt (keeps the ranking), isotonic, or none.
    #[arg(long, value_enum, default_value = "platt")]
    calibration: CalibrationArg,
    /// Choose the main parameters on a small grid (logistic: alpha; tree: depth and leaf
    /// size; forest: trees, depth and features per split) by ROC AUC out of time on the
    /// holdout date minus the horizon, so the holdout itself is never looked at.
    #[arg(long, conflicts_with_all = ["alpha", "max_depth", "trees"])]
    tune: bool,
    /// Make the new model current even if another one is.
    #[arg(long)]
    promote: bool,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
}

impl From<KindArg> for ModelKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Logistic => ModelKind::Logistic,
            KindArg::Tree => ModelKind::Tree,
            KindArg::Forest => ModelKind::Forest,
        }
    }
}

impl TrainArgs {
    fn params(&self) -> ModelParams {
        let mut params = ModelParams::defaults(self.model.into(), self.seed);
        match &mut params {
            ModelParams::Logistic(p) => {
                if let Some(alpha) = self.alpha {
                    p.alpha = alpha;
                }
                if self.balanced {
                    p.class_weight = ClassWeight::Balanced;
                }
            }
            ModelParams::Tree(p) => {
                p.max_depth = self.max_depth.unwrap_or(p.max_depth);
                p.min_samples_leaf = self.min_leaf.unwrap_or(p.min_samples_leaf);
            }
            ModelParams::Forest(p) => {
                p.tree.max_depth = self.max_depth.unwrap_or(p.tree.max_depth);
                p.tree.min_samples_leaf = self.min_leaf.unwrap_or(p.tree.min_samples_leaf);
                p.n_trees = self.trees.unwrap_or(p.n_trees);
            }
        }
        params
    }
}

pub fn run(args: TrainArgs, ui: &Ui) -> Result<ExitCode> {
    let started = Instant::now();
    let s = &args.snapshot;
    let snapshots = s.snapshots_or(DEFAULT_SNAPSHOTS)?;
    if args.tune && args.min_leaf.is_some() && matches!(args.model, KindArg::Tree) {
        bail!("--tune chooses the tree's --min-leaf itself: drop one of the two flags");
    }
    let config_for = |customers: &Customers| TrainConfig {
        params: args.params(),
        label: s.label_spec(customers),
        features: s.feature_config(),
        snapshots,
        step_days: s.step_days,
        as_of: s.as_of,
        calibration: args.calibration.into(),
    };
    // Tuning fits its grid on the tables in memory; training alone reads the ingested
    // copy a block of customers at a time.
    let (tables, config, tuning) = if args.tune {
        let raw = args.data.load(ui)?;
        let mut config = config_for(&raw.customers);
        let tuning = tune_params(&raw, &mut config, ui)?;
        (Tables::from(raw), config, Some(tuning))
    } else {
        let tables = args.data.open(ui)?;
        let config = config_for(tables.customers());
        (tables, config, None)
    };
    let step = ui.step(format!(
        "training {} (out-of-time evaluation, then the final fit)",
        config.params.kind().name()
    ));
    let fingerprint = tables.view().fingerprint();
    let trained = model::train(tables, &config)?;
    drop(step);
    let artifact = ModelArtifact::new(
        trained,
        args.seed,
        s.step_days,
        s.active_days,
        s.horizon_days,
        fingerprint,
    );
    let artifact = match tuning {
        Some(tuning) => artifact.with_tuning(tuning),
        None => artifact,
    };
    let folder = artifact.save(&args.out)?;
    let became_current = args.promote || artifact::current(&args.out).is_none();
    if became_current {
        artifact::promote(&args.out, &artifact.id)?;
    }

    let m = &artifact.holdout_metrics;
    let b = &artifact.recency_baseline;
    if args.json {
        let mut summary = serde_json::json!({
            "id": artifact.id,
            "kind": artifact.kind,
            "folder": folder.display().to_string(),
            "current": became_current,
            "snapshots": artifact.snapshots,
            "rows": artifact.rows,
            "holdout": m,
            "recency_baseline": b,
            "risk_tiers": artifact.risk_tiers,
        });
        if let Some(tuning) = &artifact.tuning {
            summary["tuning"] = serde_json::to_value(tuning)?;
        }
        out!("{}", serde_json::to_string_pretty(&summary)?);
    }
    ui.info(format!(
        "evaluated out of time: fitted on {} ({} rows), scored {} ({} customers, {:.1}% churned)",
        artifact.snapshots.evaluation_fit.join(", "),
        artifact.rows.evaluation_fit,
        artifact.snapshots.holdout,
        m.n,
        100.0 * m.churners as f64 / m.n.max(1) as f64
    ));
    ui.info(format!(
        "  {:<22} ROC AUC {:.4}  PR AUC {:.4}  log loss {:.4}  Brier {:.4}",
        artifact.kind.name(),
        m.roc_auc,
        m.pr_auc,
        m.log_loss,
        m.brier
    ));
    ui.info(format!(
        "  {:<22} ROC AUC {:.4}  PR AUC {:.4}{}",
        "recency alone",
        b.roc_auc,
        b.pr_auc,
        if m.roc_auc > b.roc_auc {
            ""
        } else {
            "   <- the model does NOT beat this baseline"
        }
    ));
    ui.info(format!(
        "saved {} (refitted on {}, {} rows) in {:.1}s; {}",
        folder.display(),
        artifact.snapshots.final_fit.join(", "),
        artifact.rows.final_fit,
        started.elapsed().as_secs_f64(),
        if became_current {
            "it is the current model".to_string()
        } else {
            format!(
                "make it current with `churn models promote {}`",
                artifact.id
            )
        }
    ));
    Ok(ExitCode::SUCCESS)
}

/// Scores the grid around `config.params`, reports the choice, and puts the chosen
/// parameters into `config` for the evaluation and final fits.
fn tune_params(raw: &data::RawTables, config: &mut TrainConfig, ui: &Ui) -> Result<Tuning> {
    let step = ui.step(format!(
        "tuning {}: scoring the grid out of time on the holdout date minus the horizon",
        config.params.kind().name()
    ));
    let tuning = tune::tune(raw, config)?;
    drop(step);
    let Some(chosen) = tuning.chosen_point() else {
        bail!("tuning chose no grid point");
    };
    ui.info(format!(
        "tuned on {}: chose {} (validation ROC AUC {:.4}, log loss {:.4}; best of {} grid points)",
        tuning.validation_date,
        tune::describe(&chosen.params),
        chosen.roc_auc,
        chosen.log_loss,
        tuning.grid.len()
    ));
    config.params = chosen.params.clone();
    Ok(tuning)
}
