//! Ranking a list by score: how many churners the top of the list catches, and the
//! confusion counts at a probability threshold.
//!
//! Input: labels and scores (any numbers but NaN; higher = riskier). Output: [`TopK`] rows
//! and [`Confusion`] counts.
//!
//! Invariant: rows are ranked by descending score with ties broken by row order (the
//! earlier row first), so when tied scores straddle the cut of a top-k list the earlier
//! rows are in it and the later ones are not. Every function of the stage that cuts a
//! ranking uses [`descending_order`], so they all agree.

use serde::{Deserialize, Serialize};

use super::{check, EvalError};

/// How the top `share` of a ranked list does.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopK {
    /// The share asked for, in (0, 1].
    pub share: f64,
    /// Rows in the top: `round(share * n)` clamped to [1, n].
    pub k: usize,
    /// Churners among those `k` rows.
    pub churners: usize,
    /// `churners / k`.
    pub precision: f64,
    /// `churners / all churners`.
    pub recall: f64,
    /// `precision / base rate`: how many times better than contacting customers at random.
    pub lift: f64,
}

/// Precision, recall and lift in the top `share` of rows by descending score, for each
/// of `shares` in order. Tied scores at the cut are split by row order.
///
/// # Errors
/// Empty input or mismatched lengths ([`EvalError::Metric`]), a NaN score, a share not in
/// (0, 1], or no churner at all ([`EvalError::NoChurners`]: recall and lift are then
/// undefined).
pub fn top_k(y: &[bool], scores: &[f64], shares: &[f64]) -> Result<Vec<TopK>, EvalError> {
    check::lengths(y, scores)?;
    check::scores(scores)?;
    if let Some(&share) = shares.iter().find(|s| !(**s > 0.0 && **s <= 1.0)) {
        return Err(EvalError::InvalidShare { share });
    }
    let total = check::some_churners(y)?;
    let order = descending_order(scores);
    Ok(shares
        .iter()
        .map(|&share| top_share(y, &order, share, total))
        .collect())
}

/// Row indices by descending score; equal scores keep ascending row order.
pub(super) use crate::metrics::descending_order;

/// The size of the top `share` of `n` rows: `round(share * n)`, at least 1 and at most n.
pub(super) fn cut(share: f64, n: usize) -> usize {
    // Rounded, not ceiled: 10 x 0.3 is 3.0000000000000004 in floating point.
    ((share * n as f64).round() as usize).clamp(1, n.max(1))
}

/// The [`TopK`] of `share`, given the ranking `order` and `total` churners (> 0).
fn top_share(y: &[bool], order: &[usize], share: f64, total: usize) -> TopK {
    let n = y.len();
    let k = cut(share, n);
    let churners = order[..k].iter().filter(|&&row| y[row]).count();
    let precision = churners as f64 / k as f64;
    let base_rate = total as f64 / n as f64;
    TopK {
        share,
        k,
        churners,
        precision,
        recall: churners as f64 / total as f64,
        lift: precision / base_rate,
    }
}

/// (churners, non-churners) per distinct score, from the highest score down.
pub(super) fn tied_groups(y: &[bool], scores: &[f64]) -> Vec<(usize, usize)> {
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut last: Option<f64> = None;
    for row in descending_order(scores) {
        if last != Some(scores[row]) {
            groups.push((0, 0));
            last = Some(scores[row]);
        }
        if let Some(group) = groups.last_mut() {
            if y[row] {
                group.0 += 1;
            } else {
                group.1 += 1;
            }
        }
    }
    groups
}

/// Counts of predictions against outcomes when `p >= threshold` means "will churn".
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Confusion {
    pub threshold: f64,
    /// Predicted churn, churned.
    pub tp: usize,
    /// Predicted churn, stayed.
    pub fp: usize,
    /// Predicted stay, stayed.
    pub tn: usize,
    /// Predicted stay, churned.
    #[serde(rename = "fn")]
    pub fn_: usize,
    /// `tp / (tp + fp)`; `None` when no row is predicted to churn.
    pub precision: Option<f64>,
    /// `tp / (tp + fn)`; `None` when no row churned.
    pub recall: Option<f64>,
}

/// The confusion counts of predicting churn for every row with `p >= threshold`.
///
/// # Errors
/// Empty input or mismatched lengths ([`EvalError::Metric`]), a NaN score or a NaN
/// threshold.
pub fn confusion_at(y: &[bool], p: &[f64], threshold: f64) -> Result<Confusion, EvalError> {
    check::lengths(y, p)?;
    check::scores(p)?;
    if threshold.is_nan() {
        return Err(EvalError::NanThreshold);
    }
    let (mut tp, mut fp, mut tn, mut fn_) = (0, 0, 0, 0);
    for (&churned, &p) in y.iter().zip(p) {
        match (p >= threshold, churned) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, false) => tn += 1,
            (false, true) => fn_ += 1,
        }
    }
    let ratio = |num: usize, den: usize| (den > 0).then(|| num as f64 / den as f64);
    Ok(Confusion {
        threshold,
        tp,
        fp,
        tn,
        fn_,
        precision: ratio(tp, tp + fp),
        recall: ratio(tp, tp + fn_),
    })
}

#[cfg(test)]
#[path = "ranking_tests.rs"]
mod tests;
