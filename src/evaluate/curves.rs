//! The points of the curves the HTML report draws.
//!
//! Input: labels and scores (or probabilities for the histogram). Output: `(x, y)` points
//! in plotting order, or bin counts.
//!
//! Invariants: ROC and precision-recall curves have one point per distinct score, from
//! the highest score down, so tied rows move the curve together (a diagonal step), as the
//! tie handling of [`crate::metrics`] does. The gains curve cuts the ranking at whole
//! rows and splits ties by row order, like [`super::top_k`]. No point is ever NaN: input
//! that would make one undefined is an error.

use super::calibration::bin_index;
use super::ranking::{descending_order, tied_groups};
use super::{check, EvalError};

/// The ROC curve: `(false positive rate, true positive rate)` after each distinct score
/// from the highest down, starting at (0, 0) and ending at (1, 1).
///
/// # Errors
/// Empty input, mismatched lengths, a NaN score, or a single class (a rate would be 0/0).
pub fn roc_curve(y: &[bool], scores: &[f64]) -> Result<Vec<(f64, f64)>, EvalError> {
    check::lengths(y, scores)?;
    check::scores(scores)?;
    let positives = check::both_classes(y)? as f64;
    let negatives = y.len() as f64 - positives;
    let mut points = vec![(0.0, 0.0)];
    let (mut tp, mut fp) = (0usize, 0usize);
    for (churners, stayers) in tied_groups(y, scores) {
        tp += churners;
        fp += stayers;
        points.push((fp as f64 / negatives, tp as f64 / positives));
    }
    Ok(points)
}

/// The precision-recall curve: `(recall, precision)` after each distinct score from the
/// highest down; the last point has recall 1 and precision equal to the base rate. No
/// artificial point at recall 0 is added.
///
/// # Errors
/// Empty input, mismatched lengths, a NaN score, or no churner (recall would be 0/0).
pub fn pr_curve(y: &[bool], scores: &[f64]) -> Result<Vec<(f64, f64)>, EvalError> {
    check::lengths(y, scores)?;
    check::scores(scores)?;
    let positives = check::some_churners(y)? as f64;
    let (mut tp, mut fp) = (0usize, 0usize);
    Ok(tied_groups(y, scores)
        .into_iter()
        .map(|(churners, stayers)| {
            tp += churners;
            fp += stayers;
            (tp as f64 / positives, tp as f64 / (tp + fp) as f64)
        })
        .collect())
}

/// The cumulative gains curve: `(share of customers contacted, share of churners caught)`
/// at shares `i / points` for `i = 0..=points`, contacting `round(i * n / points)` rows
/// (halves rounded up) in descending score order with ties split by row order. It starts
/// at (0, 0) and ends at (1, 1).
///
/// # Errors
/// Empty input, mismatched lengths, a NaN score, `points == 0`, or no churner.
pub fn gains_curve(
    y: &[bool],
    scores: &[f64],
    points: usize,
) -> Result<Vec<(f64, f64)>, EvalError> {
    check::lengths(y, scores)?;
    check::scores(scores)?;
    check::at_least_one(points, "the number of gains-curve points")?;
    let total = check::some_churners(y)? as f64;
    // caught[k] = churners among the top k rows.
    let mut caught = vec![0usize];
    for row in descending_order(scores) {
        caught.push(caught[caught.len() - 1] + usize::from(y[row]));
    }
    let n = y.len();
    Ok((0..=points)
        .map(|i| {
            let k = rows_at_step(i, points, n);
            (i as f64 / points as f64, caught[k] as f64 / total)
        })
        .collect())
}

/// `round(step * n / steps)`, halves up, in integers so that the last step is exactly
/// `n` rows; in u128 because `step * n` can overflow usize when `steps` is large.
fn rows_at_step(step: usize, steps: usize, n: usize) -> usize {
    let (step, steps, n) = (step as u128, steps as u128, n as u128);
    ((2 * step * n + steps) / (2 * steps)) as usize
}

/// Counts of churners and of stayers in `bins` equal-width bins of probability on [0, 1],
/// binned as [`super::reliability`] bins (1.0 goes into the last bin).
///
/// # Errors
/// Empty input, mismatched lengths, a value outside [0, 1], or `bins == 0`.
pub fn score_histogram(
    y: &[bool],
    p: &[f64],
    bins: usize,
) -> Result<(Vec<usize>, Vec<usize>), EvalError> {
    check::lengths(y, p)?;
    check::probabilities(p)?;
    check::at_least_one(bins, "the number of bins")?;
    let mut churners = vec![0; bins];
    let mut stayers = vec![0; bins];
    for (&churned, &p) in y.iter().zip(p) {
        let counts = if churned { &mut churners } else { &mut stayers };
        counts[bin_index(p, bins)] += 1;
    }
    Ok((churners, stayers))
}

#[cfg(test)]
#[path = "curves_tests.rs"]
mod tests;
