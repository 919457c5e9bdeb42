//! Walk-forward backtest: a training procedure evaluated at several fold dates, each time
//! trained only on snapshots whose labels were known by then.
//!
//! Input: [`RawTables`] and one [`TrainConfig`] per model kind. Output: one [`Fold`] per
//! (date, kind), and a [`KindSummary`] per kind (mean and spread over the folds).

use serde::Serialize;

use crate::data::RawTables;
use crate::dates::format_day;
use crate::model::{self, ModelError, TrainConfig};

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

/// Evaluates every config (its `as_of` is replaced) at `folds` dates: `latest`, then
/// every `step_days` before it. Folds are ordered by date (newest first), then config.
///
/// # Errors
/// As [`model::evaluate_out_of_time`]: a fold date without enough history, an empty
/// snapshot, a single class.
pub fn backtest(
    raw: &RawTables,
    configs: &[TrainConfig],
    latest: i32,
    folds: usize,
    step_days: i32,
) -> Result<Vec<Fold>, ModelError> {
    let mut out = Vec::new();
    for k in 0..folds {
        let date = latest - k as i32 * step_days;
        for base in configs {
            let config = TrainConfig {
                as_of: Some(date),
                ..base.clone()
            };
            let oot = model::evaluate_out_of_time(raw, &config)?;
            let m = &oot.holdout;
            out.push(Fold {
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
    Ok(out)
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
