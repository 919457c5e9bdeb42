//! Baselines that need no model: what a model has to beat to be worth its keep.
//!
//! Input: a [`FeatureFrame`]. Output: one risk score per row, higher = riskier, never NaN
//! or infinite.
//!
//! - Recency: days since the last order. An unknown recency gets the largest known one
//!   (an unknown is treated as at least as risky as the riskiest known customer), or 0.0
//!   for every row when none is known.
//! - RFM: quintile scores 1 to 5 of recency (more recent = 5), frequency (`orders_365d`,
//!   more = 5) and monetary value (`spend_365d`, more = 5), summed to 3..15; the risk is
//!   `16 - sum`, from 1 to 13. Quintiles are by rank among the known values, ties sharing
//!   the quintile of their first rank: with `m` known values and `rank` the 0-based
//!   position of the first value equal to this one in ascending order,
//!   `quintile = 1 + floor(5 * rank / m)`. An unknown value gets the middle score 3.

use super::EvalError;
use crate::features::FeatureFrame;
use crate::schema::features::{numeric_index, NUMERIC};

/// Days since the last order (`schema::features::NUMERIC[0]`).
const RECENCY_DAYS: &str = NUMERIC[0];
/// Orders in the last 365 days (`NUMERIC[4]`).
const ORDERS_365D: &str = NUMERIC[4];
/// Spend in the last 365 days (`NUMERIC[6]`).
const SPEND_365D: &str = NUMERIC[6];

/// The RFM score of an unknown value: the middle of 1..5.
const UNKNOWN_QUINTILE: u8 = 3;

/// Days since the last order, with unknowns set to the largest known value.
///
/// # Errors
/// [`EvalError::MissingFeature`] when the frame has no `recency_days` column of the right
/// length.
pub fn recency_score(frame: &FeatureFrame) -> Result<Vec<f64>, EvalError> {
    let recency = feature(frame, RECENCY_DAYS)?;
    let worst = recency
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .reduce(f64::max)
        .unwrap_or(0.0);
    Ok(recency
        .iter()
        .map(|&v| if v.is_finite() { v } else { worst })
        .collect())
}

/// The classic RFM risk score, `16 - (R + F + M)`, from 1 (best customers) to 13.
///
/// # Errors
/// [`EvalError::MissingFeature`] when the frame lacks `recency_days`, `orders_365d` or
/// `spend_365d`.
pub fn rfm_score(frame: &FeatureFrame) -> Result<Vec<f64>, EvalError> {
    // Fewer days since the last order is better, so recency is ranked negated.
    let recentness: Vec<f64> = feature(frame, RECENCY_DAYS)?.iter().map(|v| -v).collect();
    let r = quintiles(&recentness);
    let f = quintiles(&feature(frame, ORDERS_365D)?);
    let m = quintiles(&feature(frame, SPEND_365D)?);
    Ok((0..frame.n_rows())
        .map(|row| 16.0 - f64::from(r[row] + f[row] + m[row]))
        .collect())
}

/// A numeric feature's column, checked to have one value per row.
fn feature(frame: &FeatureFrame, name: &'static str) -> Result<Vec<f64>, EvalError> {
    let index = numeric_index(name);
    match index.and_then(|i| frame.numeric.get(i)) {
        Some(column) if column.len() == frame.n_rows() => Ok(column.to_vec()),
        _ => Err(EvalError::MissingFeature { name }),
    }
}

/// Quintile scores 1..5 by rank among the finite values (higher value, higher score);
/// ties share the score of their first rank; non-finite values score 3.
pub(super) fn quintiles(values: &[f64]) -> Vec<u8> {
    let mut known: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    known.sort_by(f64::total_cmp);
    let m = known.len();
    values
        .iter()
        .map(|&v| {
            if !v.is_finite() {
                return UNKNOWN_QUINTILE;
            }
            // The 0-based rank of the first known value equal to v.
            let rank = known.partition_point(|&k| k < v);
            1 + (5 * rank / m) as u8
        })
        .collect()
}

#[cfg(test)]
#[path = "baselines_tests.rs"]
mod tests;
