//! Stage 8, evaluate: how good a model's probabilities are, against baselines.
//!
//! Input: the holdout's [`FeatureFrame`], its labels (`true` = churned), the model's
//! probabilities for the same rows, the model's [`RiskTiers`] and [`EvalOptions`]. Output:
//! an [`Evaluation`], a plain value that the report stage turns into files a person reads.
//! Nothing here reads or writes files.
//!
//! What it holds: ranking quality (ROC AUC, PR AUC, precision, recall and lift in the top
//! 5%, 10% and 20%), probability quality (log loss, Brier, reliability bins and expected
//! calibration error), the same ranking numbers for two baselines that need no model
//! (days since the last order, and a classic RFM score), the confusion counts at the tier
//! cut points, bootstrap confidence intervals for ROC AUC and top-10% lift, and ranking
//! quality per customer segment. The curve helpers ([`roc_curve`], [`pr_curve`],
//! [`gains_curve`], [`score_histogram`]) give the points the report plots.
//!
//! Invariants: a number that is undefined for the input is an error (or `None` where the
//! type says so), never a NaN; one class only in the labels is [`EvalError::SingleClass`].
//! The same input and seed give a bit-identical [`Evaluation`] for any number of threads:
//! bootstrap replicate `r` draws from its own stream `Rng::new(seed, r)`, and ties in a
//! ranking are always broken by row order.

mod assess;
pub mod backtest;
mod baselines;
mod bootstrap;
mod calibration;
mod check;
mod curves;
mod ranking;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use assess::{assess, AssessError, Assessment, ModelUsed};
pub use baselines::{recency_score, rfm_score};
pub use bootstrap::{
    bootstrap_ci, bootstrap_lift_in_top_10, bootstrap_roc_auc, bootstrap_roc_auc_and_lift,
    lift_in_top_10, percentile, Interval, Statistic,
};
pub use calibration::{expected_calibration_error, reliability, Bin};
pub use curves::{gains_curve, pr_curve, roc_curve, score_histogram};
pub use ranking::{confusion_at, top_k, Confusion, TopK};

use crate::data::NULL_CODE;
use crate::features::FeatureFrame;
use crate::metrics::{self, MetricError};
use crate::model::RiskTiers;

/// Default number of bootstrap replicates behind each confidence interval.
pub const DEFAULT_BOOTSTRAP_REPLICATES: usize = 200;
/// Default number of equal-width reliability bins on [0, 1].
pub const DEFAULT_BINS: usize = 10;
/// Default seed of the bootstrap.
pub const DEFAULT_SEED: u64 = 0;
/// The shares of customers, ranked by score, whose precision, recall and lift are reported.
pub const TOP_SHARES: [f64; 3] = [0.05, 0.10, 0.20];
/// The name used for rows whose segment is null.
pub const UNKNOWN_SEGMENT: &str = "unknown";

/// Everything that can make an evaluation impossible. Each message names what was wrong.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EvalError {
    /// Empty input, mismatched lengths or a value that is not a probability.
    #[error(transparent)]
    Metric(#[from] MetricError),
    #[error(
        "all {n} rows are {}: ranking, lift and calibration need both churners and non-churners",
        if *.churned { "churners" } else { "non-churners" }
    )]
    SingleClass { n: usize, churned: bool },
    #[error("none of the {n} rows churned: recall, lift and gains need at least one churner")]
    NoChurners { n: usize },
    #[error("the score at row {row} is NaN: scores must be numbers")]
    NanScore { row: usize },
    #[error("the feature frame has {n_frame} rows but there are {n_labels} labels")]
    FrameMismatch { n_frame: usize, n_labels: usize },
    #[error("the feature frame has no column `{name}` with one value per row")]
    MissingFeature { name: &'static str },
    #[error("the segment column has {n_codes} codes for {n_rows} rows, or a code beyond its {n_levels} levels")]
    MalformedSegment {
        n_codes: usize,
        n_rows: usize,
        n_levels: usize,
    },
    #[error("share {share} of customers is not in (0, 1]")]
    InvalidShare { share: f64 },
    #[error("the threshold is NaN: it must be a number")]
    NanThreshold,
    #[error("{what} must be at least 1")]
    ZeroCount { what: &'static str },
    #[error("{undefined} of {replicates} bootstrap replicates drew a single class: too few churners or non-churners for a confidence interval")]
    TooManyUndefined { undefined: usize, replicates: usize },
    #[error("the statistic is {value} on the full sample, not a finite number")]
    NonFiniteEstimate { value: f64 },
    #[error("the statistic is {value} on bootstrap replicate {replicate}, not a finite number")]
    NonFiniteStatistic { replicate: usize, value: f64 },
}

/// How [`evaluate`] runs; see the `DEFAULT_*` constants for the defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvalOptions {
    /// Replicates behind each bootstrap interval (at least 1).
    pub bootstrap_replicates: usize,
    /// Seed of the bootstrap: replicate `r` resamples with `Rng::new(seed, r)`.
    pub seed: u64,
    /// Equal-width reliability bins on [0, 1] (at least 1).
    pub bins: usize,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            bootstrap_replicates: DEFAULT_BOOTSTRAP_REPLICATES,
            seed: DEFAULT_SEED,
            bins: DEFAULT_BINS,
        }
    }
}

/// Ranking (and, for probabilities, calibration) quality of one set of scores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoreSummary {
    /// `model`, `recency` or `rfm`.
    pub name: String,
    pub roc_auc: f64,
    /// Average precision.
    pub pr_auc: f64,
    /// Only for probabilities; `None` for baselines, whose scores are not probabilities.
    pub log_loss: Option<f64>,
    pub brier: Option<f64>,
    pub ece: Option<f64>,
    /// At the shares of [`TOP_SHARES`], in that order.
    pub top: Vec<TopK>,
}

/// Ranking quality within one customer segment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentEvaluation {
    /// The segment's level, or [`UNKNOWN_SEGMENT`] for rows without one.
    pub segment: String,
    pub n: usize,
    pub churners: usize,
    /// `None` when the segment's rows are all churners or all non-churners.
    pub roc_auc: Option<f64>,
    pub pr_auc: Option<f64>,
    /// Lift in the segment's own top 10%; `None` as above.
    pub lift10: Option<f64>,
}

/// The evaluation of a model's probabilities on a labelled set of customers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub n: usize,
    pub churners: usize,
    /// `churners / n`.
    pub base_rate: f64,
    pub model: ScoreSummary,
    /// Recency, then RFM.
    pub baselines: Vec<ScoreSummary>,
    /// Whether the model's ROC AUC is strictly above every baseline's.
    pub beats_baselines: bool,
    /// `EvalOptions::bins` equal-width bins, empty ones included.
    pub reliability: Vec<Bin>,
    /// At `tiers.high`, then at `tiers.medium`.
    pub confusion: Vec<Confusion>,
    pub roc_auc_ci: Interval,
    pub lift10_ci: Interval,
    /// One per segment level that has rows, in level order, then [`UNKNOWN_SEGMENT`] if
    /// any row has no segment.
    pub segments: Vec<SegmentEvaluation>,
}

/// Evaluates probabilities `p` of the rows of `frame` against the labels `y`.
///
/// `y`, `p` and `frame` describe the same rows in the same order. The baselines are
/// computed from `frame`'s `recency_days`, `orders_365d` and `spend_365d`.
///
/// # Errors
/// Mismatched lengths or no rows ([`EvalError::Metric`], [`EvalError::FrameMismatch`]); a
/// value of `p` outside [0, 1] ([`MetricError::NotAProbability`]); labels of a single
/// class ([`EvalError::SingleClass`]); zero bins or replicates; a frame without the
/// baseline features or with a malformed segment column; a NaN tier cut point; more than
/// half of the bootstrap replicates drawing a single class.
pub fn evaluate(
    frame: &FeatureFrame,
    y: &[bool],
    p: &[f64],
    tiers: &RiskTiers,
    options: &EvalOptions,
) -> Result<Evaluation, EvalError> {
    let churners = check_evaluation_input(frame, y, p)?;
    let n = y.len();
    // The parts are independent, so they are worked out side by side; their errors are
    // then taken in the order of the parts.
    let baseline = |name: &str, score: fn(&FeatureFrame) -> Result<Vec<f64>, EvalError>| {
        summarise_scores(name, y, &score(frame)?)
    };
    let ((model, (recency, rfm)), (intervals, segments)) = rayon::join(
        || {
            rayon::join(
                || summarise_probabilities("model", y, p, options.bins),
                || {
                    rayon::join(
                        || baseline("recency", recency_score),
                        || baseline("rfm", rfm_score),
                    )
                },
            )
        },
        || {
            rayon::join(
                || bootstrap_roc_auc_and_lift(y, p, options.bootstrap_replicates, options.seed),
                || evaluate_segments(frame, y, p),
            )
        },
    );
    let model = model?;
    let baselines = vec![recency?, rfm?];
    let beats_baselines = baselines.iter().all(|b| model.roc_auc > b.roc_auc);
    let (roc_auc_ci, lift10_ci) = intervals?;
    Ok(Evaluation {
        n,
        churners,
        base_rate: churners as f64 / n as f64,
        model,
        baselines,
        beats_baselines,
        reliability: reliability(y, p, options.bins)?,
        confusion: vec![
            confusion_at(y, p, tiers.high)?,
            confusion_at(y, p, tiers.medium)?,
        ],
        roc_auc_ci,
        lift10_ci,
        segments: segments?,
    })
}

/// Checks what every part of [`evaluate`] relies on and returns the number of churners.
fn check_evaluation_input(frame: &FeatureFrame, y: &[bool], p: &[f64]) -> Result<usize, EvalError> {
    check::lengths(y, p)?;
    if frame.n_rows() != y.len() {
        return Err(EvalError::FrameMismatch {
            n_frame: frame.n_rows(),
            n_labels: y.len(),
        });
    }
    check::probabilities(p)?;
    check::both_classes(y)
}

/// The summary of probabilities: ranking plus log loss, Brier and calibration error.
fn summarise_probabilities(
    name: &str,
    y: &[bool],
    p: &[f64],
    bins: usize,
) -> Result<ScoreSummary, EvalError> {
    Ok(ScoreSummary {
        log_loss: Some(metrics::log_loss(y, p)?),
        brier: Some(metrics::brier(y, p)?),
        ece: Some(expected_calibration_error(y, p, bins)?),
        ..summarise_scores(name, y, p)?
    })
}

/// The summary of scores that are not probabilities: ranking quality only.
fn summarise_scores(name: &str, y: &[bool], scores: &[f64]) -> Result<ScoreSummary, EvalError> {
    check::scores(scores)?;
    Ok(ScoreSummary {
        name: name.to_string(),
        roc_auc: metrics::roc_auc(y, scores)?,
        pr_auc: metrics::average_precision(y, scores)?,
        log_loss: None,
        brier: None,
        ece: None,
        top: top_k(y, scores, &TOP_SHARES)?,
    })
}

/// Ranking quality within each segment level that has rows, then within the rows
/// without a segment.
fn evaluate_segments(
    frame: &FeatureFrame,
    y: &[bool],
    p: &[f64],
) -> Result<Vec<SegmentEvaluation>, EvalError> {
    let segment = &frame.segment;
    let n_levels = segment.levels.len();
    let malformed = EvalError::MalformedSegment {
        n_codes: segment.codes.len(),
        n_rows: y.len(),
        n_levels,
    };
    if segment.codes.len() != y.len() {
        return Err(malformed);
    }
    // Rows of level `code` go to group `code`; rows without a segment to the last group.
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); n_levels + 1];
    for (row, &code) in segment.codes.iter().enumerate() {
        let group = match code {
            NULL_CODE => n_levels,
            code if (code as usize) < n_levels => code as usize,
            _ => return Err(malformed),
        };
        groups[group].push(row);
    }
    let names = segment
        .levels
        .iter()
        .map(String::as_str)
        .chain([UNKNOWN_SEGMENT]);
    Ok(names
        .zip(&groups)
        .filter(|(_, rows)| !rows.is_empty())
        .map(|(name, rows)| evaluate_segment(name, rows, y, p))
        .collect())
}

fn evaluate_segment(name: &str, rows: &[usize], y: &[bool], p: &[f64]) -> SegmentEvaluation {
    let y: Vec<bool> = rows.iter().map(|&r| y[r]).collect();
    let p: Vec<f64> = rows.iter().map(|&r| p[r]).collect();
    // The inputs were checked as a whole, so the only way a metric can fail on a
    // non-empty subset is a single class, which is what `None` stands for.
    SegmentEvaluation {
        segment: name.to_string(),
        n: y.len(),
        churners: check::churners(&y),
        roc_auc: metrics::roc_auc(&y, &p).ok(),
        pr_auc: metrics::average_precision(&y, &p).ok(),
        lift10: check::both_classes(&y)
            .ok()
            .and_then(|_| lift_in_top_10(&y, &p).ok()),
    }
}
