//! `churn evaluate`: a saved model judged on outcomes it never saw, beside the baselines.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::{parse_date_arg, DataArgs, ModelArgs, Ui};
use churn::dates::format_day;
use churn::evaluate::{self, Assessment, EvalOptions, ModelUsed, ScoreSummary};
use churn::model::artifact::ModelArtifact;

#[derive(Args, Debug)]
pub struct EvaluateArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    model: ModelArgs,
    /// A labelable date: the model's holdout (default), or a date after its training
    /// labels end (new data).
    #[arg(long, value_parser = parse_date_arg, value_name = "YYYY-MM-DD")]
    as_of: Option<i32>,
    /// Bootstrap replicates for the 95% intervals.
    #[arg(long, default_value_t = evaluate::DEFAULT_BOOTSTRAP_REPLICATES)]
    bootstrap: usize,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = evaluate::DEFAULT_SEED)]
    seed: u64,
    /// Print everything as JSON on stdout.
    #[arg(long)]
    json: bool,
}

pub fn run(args: EvaluateArgs, ui: &Ui) -> Result<ExitCode> {
    let artifact = args.model.load()?;
    let tables = args.data.open(ui)?;
    let options = EvalOptions {
        bootstrap_replicates: args.bootstrap,
        seed: args.seed,
        bins: evaluate::DEFAULT_BINS,
    };
    let step = ui.step("scoring and evaluating");
    let a = evaluate::assess(tables.view(), &artifact, args.as_of, &options)?;
    drop(step);
    if args.json {
        out!("{}", serde_json::to_string_pretty(&to_json(&artifact, &a))?);
    } else {
        out_raw!("{}", text(&artifact, &a));
    }
    let e = &a.evaluation;
    ui.info(format!(
        "{} on {}: ROC AUC {:.4} (95% CI {:.4}-{:.4}), {}",
        artifact.id,
        format_day(a.as_of),
        e.model.roc_auc,
        e.roc_auc_ci.lower,
        e.roc_auc_ci.upper,
        if e.beats_baselines {
            "beats the recency and RFM baselines"
        } else {
            "does NOT beat every baseline"
        }
    ));
    Ok(ExitCode::SUCCESS)
}

/// The JSON summary: the evaluation as computed, with what was evaluated.
pub fn to_json(artifact: &ModelArtifact, a: &Assessment) -> serde_json::Value {
    serde_json::json!({
        "model": artifact.id,
        "kind": artifact.kind,
        "as_of": format_day(a.as_of),
        "model_used": a.model_used,
        "label": artifact.label,
        "horizon_days": artifact.horizon_days,
        "calibration": {
            "method": artifact.model.calibrator.as_ref().map(calibrator_name),
            "ece_before": a.ece_uncalibrated,
            "ece_after": a.evaluation.model.ece,
        },
        "evaluation": a.evaluation,
    })
}

fn calibrator_name(c: &churn::train::calibrate::Calibrator) -> &'static str {
    match c {
        churn::train::calibrate::Calibrator::Platt { .. } => "platt",
        churn::train::calibrate::Calibrator::Isotonic { .. } => "isotonic",
    }
}

fn opt(v: Option<f64>, places: usize) -> String {
    v.map_or_else(|| "–".to_string(), |v| format!("{v:.places$}"))
}

fn row(s: &ScoreSummary) -> String {
    let lift = |i: usize| {
        s.top
            .get(i)
            .map_or("–".to_string(), |t| format!("{:.2}", t.lift))
    };
    format!(
        "  {:<10} {:>7.4} {:>7.4} {:>8} {:>7} {:>7} {:>7} {:>8} {:>8}\n",
        s.name,
        s.roc_auc,
        s.pr_auc,
        opt(s.log_loss, 4),
        opt(s.brier, 4),
        opt(s.ece, 4),
        lift(0),
        lift(1),
        lift(2)
    )
}

/// The report a person reads in the terminal.
pub fn text(artifact: &ModelArtifact, a: &Assessment) -> String {
    let e = &a.evaluation;
    let mut out = format!(
        "model {} ({}) on {}: {} customers, {} churned within {} days ({:.1}%)\n",
        artifact.id,
        match a.model_used {
            ModelUsed::Evaluation => format!(
                "fitted on {} only, out of time",
                artifact.snapshots.evaluation_fit.join(", ")
            ),
            ModelUsed::Final => "the saved model, on data after its training".to_string(),
        },
        format_day(a.as_of),
        e.n,
        e.churners,
        artifact.horizon_days,
        100.0 * e.base_rate
    );
    out.push_str(&format!(
        "\n  {:<10} {:>7} {:>7} {:>8} {:>7} {:>7} {:>7} {:>8} {:>8}\n",
        "", "ROC AUC", "PR AUC", "log loss", "Brier", "ECE", "lift@5%", "lift@10%", "lift@20%"
    ));
    out.push_str(&row(&e.model));
    for b in &e.baselines {
        out.push_str(&row(b));
    }
    out.push_str(&format!(
        "\n  95% bootstrap intervals ({} replicates): ROC AUC {:.4}-{:.4}, lift@10% {:.2}-{:.2}\n",
        e.roc_auc_ci.replicates,
        e.roc_auc_ci.lower,
        e.roc_auc_ci.upper,
        e.lift10_ci.lower,
        e.lift10_ci.upper
    ));
    out.push_str(&format!(
        "  calibration error (ECE, 10 bins): {:.4} before calibration, {} after\n",
        a.ece_uncalibrated,
        opt(e.model.ece, 4)
    ));
    if !e.beats_baselines {
        out.push_str("  warning: the model does NOT beat every baseline on ROC AUC\n");
    }
    out.push_str("\n  top of the ranking   customers  churners  precision  recall  lift\n");
    for t in &e.model.top {
        out.push_str(&format!(
            "  top {:>3.0}%             {:>9}  {:>8}  {:>8.1}%  {:>5.1}%  {:.2}\n",
            100.0 * t.share,
            t.k,
            t.churners,
            100.0 * t.precision,
            100.0 * t.recall,
            t.lift
        ));
    }
    out.push_str(
        "\n  risk tier cut        predicted  TP      FP      FN      TN      precision  recall\n",
    );
    for (name, c) in ["high", "medium+"].iter().zip(&e.confusion) {
        out.push_str(&format!(
            "  {:<7} p >= {:.3}  {:>9}  {:<6}  {:<6}  {:<6}  {:<6}  {:>8}  {:>6}\n",
            name,
            c.threshold,
            c.tp + c.fp,
            c.tp,
            c.fp,
            c.fn_,
            c.tn,
            opt(c.precision.map(|p| 100.0 * p), 1),
            opt(c.recall.map(|r| 100.0 * r), 1)
        ));
    }
    out.push_str("\n  reliability     customers  predicted  observed\n");
    for b in e.reliability.iter().filter(|b| b.n > 0) {
        let range = format!("{:.0}-{:.0}%", 100.0 * b.lower, 100.0 * b.upper);
        out.push_str(&format!(
            "  {range:<13}  {:>9}  {:>8.1}%  {:>7.1}%\n",
            b.n,
            100.0 * b.mean_predicted,
            100.0 * b.observed_rate
        ));
    }
    out.push_str("\n  segment         customers  churners  ROC AUC  lift@10%\n");
    for s in &e.segments {
        out.push_str(&format!(
            "  {:<14}  {:>9}  {:>8}  {:>7}  {:>8}\n",
            s.segment,
            s.n,
            s.churners,
            opt(s.roc_auc, 4),
            opt(s.lift10, 2)
        ));
    }
    out
}
