//! Input checks shared by the evaluation functions.
//!
//! Input: labels and scores or probabilities. Output: `Ok` (with the number of churners
//! where that is what was checked) or the [`EvalError`] that names the first problem, so
//! that no function of the stage computes on input that would give a NaN.

use super::EvalError;
use crate::metrics::MetricError;

/// Equal, non-zero lengths.
pub(super) fn lengths(y: &[bool], scores: &[f64]) -> Result<(), EvalError> {
    if y.len() != scores.len() {
        return Err(MetricError::LengthMismatch {
            n_labels: y.len(),
            n_scores: scores.len(),
        }
        .into());
    }
    if y.is_empty() {
        return Err(MetricError::Empty.into());
    }
    Ok(())
}

/// Every value in [0, 1] (which also refuses NaN).
pub(super) fn probabilities(p: &[f64]) -> Result<(), EvalError> {
    match p.iter().position(|v| !(0.0..=1.0).contains(v)) {
        Some(row) => Err(MetricError::NotAProbability { row, value: p[row] }.into()),
        None => Ok(()),
    }
}

/// No NaN: a NaN has no place in a ranking.
pub(super) fn scores(scores: &[f64]) -> Result<(), EvalError> {
    match scores.iter().position(|v| v.is_nan()) {
        Some(row) => Err(EvalError::NanScore { row }),
        None => Ok(()),
    }
}

pub(super) fn churners(y: &[bool]) -> usize {
    y.iter().filter(|&&c| c).count()
}

/// At least one churner and one non-churner; returns the number of churners.
pub(super) fn both_classes(y: &[bool]) -> Result<usize, EvalError> {
    let churners = churners(y);
    if churners == 0 || churners == y.len() {
        return Err(EvalError::SingleClass {
            n: y.len(),
            churned: churners > 0,
        });
    }
    Ok(churners)
}

/// At least one churner; returns the number of churners.
pub(super) fn some_churners(y: &[bool]) -> Result<usize, EvalError> {
    match churners(y) {
        0 => Err(EvalError::NoChurners { n: y.len() }),
        churners => Ok(churners),
    }
}

/// A count that must be at least 1 (bins, replicates, curve points).
pub(super) fn at_least_one(count: usize, what: &'static str) -> Result<(), EvalError> {
    if count == 0 {
        return Err(EvalError::ZeroCount { what });
    }
    Ok(())
}
