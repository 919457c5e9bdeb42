//! Scores of probabilistic predictions against labels: ROC AUC, PR AUC (average
//! precision), log loss and Brier score. Pure functions over `(labels, probabilities)`,
//! shared by training (holdout metrics stored in the model) and evaluation.
//!
//! Ties in the scores are handled exactly: ROC AUC counts a tied (churner, stayer) pair as
//! a half, and average precision treats tied scores as one threshold. Input that makes a
//! metric undefined (no rows, one class only, a probability outside [0, 1]) is an error,
//! never a NaN.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Probabilities are clipped to [EPS, 1 - EPS] for log loss, so a confident mistake costs
/// about 34.5 nats instead of infinity.
pub const LOG_LOSS_EPS: f64 = 1e-15;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MetricError {
    #[error("no rows to score")]
    Empty,
    #[error("{n_labels} labels but {n_scores} predictions")]
    LengthMismatch { n_labels: usize, n_scores: usize },
    #[error("all {n} rows are {}: ROC and PR AUC need churners and non-churners", if *.churned { "churners" } else { "non-churners" })]
    SingleClass { n: usize, churned: bool },
    #[error("prediction {value} at row {row} is not a probability in [0, 1]")]
    NotAProbability { row: usize, value: f64 },
}

/// The headline metrics of a set of predictions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub n: usize,
    pub churners: usize,
    pub roc_auc: f64,
    pub pr_auc: f64,
    pub log_loss: f64,
    pub brier: f64,
}

impl Metrics {
    /// All four metrics.
    ///
    /// # Errors
    /// See [`MetricError`].
    pub fn compute(y: &[bool], p: &[f64]) -> Result<Metrics, MetricError> {
        check(y, p)?;
        Ok(Metrics {
            n: y.len(),
            churners: y.iter().filter(|&&c| c).count(),
            roc_auc: roc_auc(y, p)?,
            pr_auc: average_precision(y, p)?,
            log_loss: log_loss(y, p)?,
            brier: brier(y, p)?,
        })
    }
}

/// Ranking quality only, for scores that are not probabilities (baselines such as
/// days since the last order).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ranking {
    pub roc_auc: f64,
    pub pr_auc: f64,
}

impl Ranking {
    /// # Errors
    /// Empty input, mismatched lengths, or a single class.
    pub fn compute(y: &[bool], scores: &[f64]) -> Result<Ranking, MetricError> {
        Ok(Ranking {
            roc_auc: roc_auc(y, scores)?,
            pr_auc: average_precision(y, scores)?,
        })
    }
}

/// Equal, non-zero lengths.
pub(crate) fn check(y: &[bool], p: &[f64]) -> Result<(), MetricError> {
    if y.len() != p.len() {
        return Err(MetricError::LengthMismatch {
            n_labels: y.len(),
            n_scores: p.len(),
        });
    }
    if y.is_empty() {
        return Err(MetricError::Empty);
    }
    Ok(())
}

/// Every value in [0, 1] (which also refuses NaN).
pub(crate) fn check_probabilities(p: &[f64]) -> Result<(), MetricError> {
    match p.iter().position(|v| !(0.0..=1.0).contains(v)) {
        Some(row) => Err(MetricError::NotAProbability { row, value: p[row] }),
        None => Ok(()),
    }
}

/// At least one churner and one non-churner; returns the number of churners.
pub(crate) fn check_both_classes(y: &[bool]) -> Result<usize, MetricError> {
    let positives = y.iter().filter(|&&c| c).count();
    if positives == 0 || positives == y.len() {
        return Err(MetricError::SingleClass {
            n: y.len(),
            churned: positives > 0,
        });
    }
    Ok(positives)
}

/// Row indices by descending score (in the order of `f64::total_cmp`); equal scores keep
/// ascending row order.
pub(crate) fn descending_order(scores: &[f64]) -> Vec<usize> {
    // Sorting (key, row) pairs reads each score once, where sorting rows by their scores
    // would read two scores, far apart in memory, per comparison. The key orders as
    // `total_cmp` does, reversed; rows are distinct, so an unstable sort of the pairs
    // gives the stable order, and the same one on any number of threads.
    let mut keyed: Vec<(u64, usize)> = scores
        .iter()
        .enumerate()
        .map(|(row, &score)| (!total_order_key(score), row))
        .collect();
    keyed.par_sort_unstable();
    keyed.into_iter().map(|(_, row)| row).collect()
}

/// A key whose unsigned order is the order of [`f64::total_cmp`]: negative numbers have
/// all their bits flipped (the more negative, the smaller), the others their sign bit.
fn total_order_key(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// Row indices sorted by descending score, grouped into runs of equal score:
/// (positives, negatives) per distinct score.
fn tied_groups(y: &[bool], scores: &[f64]) -> Vec<(usize, usize)> {
    let order = descending_order(scores);
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut last: Option<f64> = None;
    for idx in order {
        if last != Some(scores[idx]) {
            groups.push((0, 0));
            last = Some(scores[idx]);
        }
        let g = groups.last_mut().expect("pushed above");
        if y[idx] {
            g.0 += 1;
        } else {
            g.1 += 1;
        }
    }
    groups
}

/// Area under the ROC curve: the probability that a random churner scores above a random
/// non-churner, ties counting a half. Scores need not be probabilities.
///
/// # Errors
/// Empty input, mismatched lengths, or a single class.
pub fn roc_auc(y: &[bool], scores: &[f64]) -> Result<f64, MetricError> {
    check(y, scores)?;
    let positives = check_both_classes(y)?;
    let negatives = y.len() - positives;
    // Walk from the lowest score up, counting negatives already passed.
    let mut below = 0.0;
    let mut wins = 0.0;
    for (pos, neg) in tied_groups(y, scores).into_iter().rev() {
        wins += pos as f64 * (below + 0.5 * neg as f64);
        below += neg as f64;
    }
    Ok(wins / (positives as f64 * negatives as f64))
}

/// Average precision: the sum over thresholds (distinct scores, descending) of the
/// precision at that threshold times the gain in recall, as in scikit-learn.
///
/// # Errors
/// Empty input, mismatched lengths, or a single class.
pub fn average_precision(y: &[bool], scores: &[f64]) -> Result<f64, MetricError> {
    check(y, scores)?;
    let positives = check_both_classes(y)? as f64;
    let (mut tp, mut fp, mut ap) = (0.0, 0.0, 0.0);
    for (pos, neg) in tied_groups(y, scores) {
        tp += pos as f64;
        fp += neg as f64;
        ap += (pos as f64 / positives) * (tp / (tp + fp));
    }
    Ok(ap)
}

/// Mean negative log-likelihood of the labels, in nats.
///
/// # Errors
/// Empty input, mismatched lengths, or a value outside [0, 1].
pub fn log_loss(y: &[bool], p: &[f64]) -> Result<f64, MetricError> {
    check(y, p)?;
    check_probabilities(p)?;
    let total: f64 = y
        .iter()
        .zip(p)
        .map(|(&churned, &p)| {
            let p = p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
            -if churned { p.ln() } else { (1.0 - p).ln() }
        })
        .sum();
    Ok(total / y.len() as f64)
}

/// Mean squared difference between the probability and the outcome (0 or 1).
///
/// # Errors
/// Empty input, mismatched lengths, or a value outside [0, 1].
pub fn brier(y: &[bool], p: &[f64]) -> Result<f64, MetricError> {
    check(y, p)?;
    check_probabilities(p)?;
    let total: f64 = y
        .iter()
        .zip(p)
        .map(|(&churned, &p)| (p - f64::from(u8::from(churned))).powi(2))
        .sum();
    Ok(total / y.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: bool = true;
    const F: bool = false;

    #[track_caller]
    fn close(got: f64, want: f64) {
        assert!((got - want).abs() < 1e-12, "got {got}, want {want}");
    }

    /// Descending in `total_cmp`'s order (NaN above infinity, 0 above -0), ties in row
    /// order; the same as a stable sort of the rows by their scores.
    #[test]
    fn descending_order_by_hand() {
        let nan = f64::NAN;
        let scores = [
            0.5,
            -1.0,
            nan,
            0.0,
            0.5,
            -0.0,
            f64::INFINITY,
            -nan,
            0.5,
            -1.0,
        ];
        assert_eq!(descending_order(&scores), [2, 6, 0, 4, 8, 3, 5, 1, 9, 7]);
        let mut stable: Vec<usize> = (0..scores.len()).collect();
        stable.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
        assert_eq!(descending_order(&scores), stable);
        assert!(descending_order(&[]).is_empty());
    }

    #[test]
    fn roc_auc_by_hand() {
        // Pairs (churner, non-churner): (.9,.8) win, (.9,.3) win, (.4,.8) loss, (.4,.3) win.
        close(roc_auc(&[T, F, T, F], &[0.9, 0.8, 0.4, 0.3]).unwrap(), 0.75);
        // A tie counts a half: (.8,.5) 1, (.8,.1) 1, (.5,.5) 0.5, (.5,.1) 1 -> 3.5 / 4.
        close(
            roc_auc(&[T, T, F, F], &[0.8, 0.5, 0.5, 0.1]).unwrap(),
            0.875,
        );
        close(roc_auc(&[T, F], &[0.5, 0.5]).unwrap(), 0.5);
        close(roc_auc(&[F, T], &[0.1, 7.0]).unwrap(), 1.0);
        close(roc_auc(&[T, F], &[0.1, 0.2]).unwrap(), 0.0);
    }

    #[test]
    fn average_precision_by_hand() {
        // Thresholds .9 (P 1, recall .5), .8 (no recall gain), .4 (P 2/3, recall 1).
        close(
            average_precision(&[T, F, T, F], &[0.9, 0.8, 0.4, 0.3]).unwrap(),
            0.5 + 0.5 * 2.0 / 3.0,
        );
        // Tied scores are one threshold: .8 (P 1, R .5), .5 (P 2/3, R 1).
        close(
            average_precision(&[T, T, F, F], &[0.8, 0.5, 0.5, 0.1]).unwrap(),
            0.5 + 0.5 * 2.0 / 3.0,
        );
        close(average_precision(&[F, T], &[0.1, 0.9]).unwrap(), 1.0);
    }

    #[test]
    fn log_loss_and_brier_by_hand() {
        close(
            log_loss(&[T, F], &[0.8, 0.4]).unwrap(),
            -(0.8f64.ln() + 0.6f64.ln()) / 2.0,
        );
        close(brier(&[T, F], &[0.8, 0.4]).unwrap(), (0.04 + 0.16) / 2.0);
        // A certain mistake is clipped, not infinite.
        close(log_loss(&[T], &[0.0]).unwrap(), -(LOG_LOSS_EPS.ln()));
        close(brier(&[T], &[0.0]).unwrap(), 1.0);
    }

    #[test]
    fn undefined_inputs_are_errors_not_nan() {
        assert_eq!(
            roc_auc(&[T, T], &[0.1, 0.2]),
            Err(MetricError::SingleClass {
                n: 2,
                churned: true
            })
        );
        assert_eq!(
            average_precision(&[F], &[0.1]),
            Err(MetricError::SingleClass {
                n: 1,
                churned: false
            })
        );
        assert_eq!(roc_auc(&[], &[]), Err(MetricError::Empty));
        assert_eq!(
            brier(&[T], &[0.1, 0.2]),
            Err(MetricError::LengthMismatch {
                n_labels: 1,
                n_scores: 2
            })
        );
        assert_eq!(
            log_loss(&[T, F], &[0.5, 1.5]),
            Err(MetricError::NotAProbability { row: 1, value: 1.5 })
        );
        assert!(matches!(
            brier(&[T], &[f64::NAN]),
            Err(MetricError::NotAProbability { row: 0, .. })
        ));
        assert_eq!(
            roc_auc(&[T, T], &[0.1, 0.2]).unwrap_err().to_string(),
            "all 2 rows are churners: ROC and PR AUC need churners and non-churners"
        );
    }

    #[test]
    fn metrics_bundle() {
        let m = Metrics::compute(&[T, F, T, F], &[0.9, 0.8, 0.4, 0.3]).unwrap();
        assert_eq!((m.n, m.churners), (4, 2));
        close(m.roc_auc, 0.75);
        close(m.brier, (0.01 + 0.64 + 0.36 + 0.09) / 4.0);
    }
}
