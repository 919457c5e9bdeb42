//! `churn report`: the evaluation, backtest and business KPIs as one self-contained HTML
//! page.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;

use super::{parse_date_arg, DataArgs, ModelArgs, Ui};
use churn::evaluate::{self, backtest, EvalOptions};
use churn::io;
use churn::kpis::{self, KpiConfig};
use churn::model::artifact::ModelArtifact;
use churn::model::TrainConfig;
use churn::report::churn::{render, ReportInputs};
use churn::train::calibrate::{CalibrationMethod, Calibrator};

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The data the model is evaluated on (the artifact holds no customer-level data).
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    model: ModelArgs,
    /// As for `churn evaluate`: the model's holdout date (default) or a later labelable date.
    #[arg(long, value_parser = parse_date_arg, value_name = "YYYY-MM-DD")]
    as_of: Option<i32>,
    /// Backtest folds of the model's own kind and parameters (0 to leave the section out).
    #[arg(long, default_value_t = 3)]
    folds: usize,
    #[arg(long, default_value_t = evaluate::DEFAULT_BOOTSTRAP_REPLICATES)]
    bootstrap: usize,
    /// The page to write (.html).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// The model's own training procedure, to backtest.
fn procedure(artifact: &ModelArtifact) -> TrainConfig {
    TrainConfig {
        params: artifact.params.clone(),
        label: churn::labels::LabelSpec {
            horizon_days: artifact.horizon_days,
            definition: artifact.label,
        },
        features: churn::features::FeatureConfig {
            active_days: artifact.active_days,
        },
        snapshots: artifact.snapshots.final_fit.len().max(1),
        step_days: artifact.snapshots.step_days,
        as_of: None,
        calibration: match &artifact.model.calibrator {
            Some(Calibrator::Platt { .. }) => CalibrationMethod::Platt,
            Some(Calibrator::Isotonic { .. }) => CalibrationMethod::Isotonic,
            None => CalibrationMethod::None,
        },
    }
}

pub fn run(args: ReportArgs, ui: &Ui) -> Result<ExitCode> {
    if args.out.extension().and_then(|e| e.to_str()) != Some("html") {
        bail!("--out {} must end in .html", args.out.display());
    }
    let artifact = args.model.load()?;
    let raw = args.data.load(ui)?;
    let options = EvalOptions {
        bootstrap_replicates: args.bootstrap,
        ..EvalOptions::default()
    };
    let step = ui.step("evaluating");
    let assessment = evaluate::assess((&raw).into(), &artifact, args.as_of, &options)?;
    step.bar
        .set_message(format!("backtesting {} folds", args.folds));
    let folds = if args.folds == 0 {
        Vec::new()
    } else {
        let config = procedure(&artifact);
        backtest::backtest(
            &raw,
            &[config],
            assessment.as_of,
            args.folds,
            artifact.snapshots.step_days,
        )
        .context("backtesting the model's procedure (use --folds 0 to leave it out)")?
    };
    step.bar.set_message("business KPIs");
    let kpis = kpis::compute(
        &raw,
        &KpiConfig {
            active_days: artifact.active_days,
            ..KpiConfig::default()
        },
    )?;
    let page = render(&ReportInputs {
        artifact: &artifact,
        assessment: &assessment,
        backtest: &folds,
        kpis: kpis.rows(),
    })?;
    io::write_text(&args.out, &page)?;
    drop(step);
    ui.info(format!(
        "wrote {} ({} KB): model {} on {}, ROC AUC {:.4}, {} backtest folds, {} KPI months",
        args.out.display(),
        page.len() / 1024,
        artifact.id,
        churn::dates::format_day(assessment.as_of),
        assessment.evaluation.model.roc_auc,
        folds.len(),
        kpis.rows().len()
    ));
    Ok(ExitCode::SUCCESS)
}
