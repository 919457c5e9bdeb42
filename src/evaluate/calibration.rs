//! Calibration: whether a predicted 30% churns 30% of the time. (The calibrators that fix
//! it are part of the model: `crate::train::calibrate`.)
//!
//! Input: labels and probabilities in [0, 1]. Output: reliability [`Bin`]s and the
//! expected calibration error.
//!
//! Invariants: bin `b` of `bins` holds `b / bins <= p < (b + 1) / bins`, except that the
//! last bin also holds `p = 1.0`; an empty bin is kept, with `n = 0` and 0.0 for its
//! means, so no field is ever NaN.

use serde::{Deserialize, Serialize};

use super::{check, EvalError};

/// One equal-width bin of a reliability diagram.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    pub lower: f64,
    pub upper: f64,
    /// Rows whose probability falls in the bin; 0 for an empty bin.
    pub n: usize,
    /// Mean probability of those rows; 0.0 for an empty bin.
    pub mean_predicted: f64,
    /// Share of those rows that churned; 0.0 for an empty bin.
    pub observed_rate: f64,
}

/// The reliability diagram: `bins` equal-width bins on [0, 1], empty ones included.
///
/// # Errors
/// Empty input or mismatched lengths, a value outside [0, 1]
/// ([`crate::metrics::MetricError`]), or `bins == 0`.
pub fn reliability(y: &[bool], p: &[f64], bins: usize) -> Result<Vec<Bin>, EvalError> {
    check::lengths(y, p)?;
    check::probabilities(p)?;
    check::at_least_one(bins, "the number of bins")?;
    let mut rows = vec![0usize; bins];
    let mut churned = vec![0usize; bins];
    let mut sum_p = vec![0.0; bins];
    for (&c, &p) in y.iter().zip(p) {
        let b = bin_index(p, bins);
        rows[b] += 1;
        churned[b] += usize::from(c);
        sum_p[b] += p;
    }
    Ok((0..bins)
        .map(|b| {
            let mean = |total: f64| {
                if rows[b] == 0 {
                    0.0
                } else {
                    total / rows[b] as f64
                }
            };
            Bin {
                lower: edge(b, bins),
                upper: edge(b + 1, bins),
                n: rows[b],
                mean_predicted: mean(sum_p[b]),
                observed_rate: mean(churned[b] as f64),
            }
        })
        .collect())
}

/// Expected calibration error: the sum over bins of `n_b / n * |observed_b - predicted_b|`,
/// with the bins of [`reliability`].
///
/// # Errors
/// As [`reliability`].
pub fn expected_calibration_error(y: &[bool], p: &[f64], bins: usize) -> Result<f64, EvalError> {
    let n = y.len() as f64;
    Ok(reliability(y, p, bins)?
        .iter()
        .map(|bin| bin.n as f64 / n * (bin.observed_rate - bin.mean_predicted).abs())
        .sum())
}

/// The lower edge of bin `b` (and the upper edge of bin `b - 1`).
fn edge(b: usize, bins: usize) -> f64 {
    b as f64 / bins as f64
}

/// The bin of a probability `p` in [0, 1]; 1.0 goes into the last bin.
pub(super) fn bin_index(p: f64, bins: usize) -> usize {
    let b = ((p * bins as f64).floor() as usize).min(bins - 1);
    // `p * bins` can round across an integer; step back or forward so that the bin
    // agrees with the edges as reported in `Bin`.
    if b > 0 && p < edge(b, bins) {
        b - 1
    } else if b + 1 < bins && p >= edge(b + 1, bins) {
        b + 1
    } else {
        b
    }
}

#[cfg(test)]
#[path = "calibration_tests.rs"]
mod tests;
