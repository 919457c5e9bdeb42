//! Bootstrap confidence intervals: how much a statistic would move on another sample of
//! the same customers.
//!
//! Input: labels, scores, a number of replicates, a seed and a statistic. Output: an
//! [`Interval`] with the statistic on the full sample and the 2.5th and 97.5th
//! percentiles of its values on the replicates.
//!
//! Invariants: replicate `r` resamples `n` rows with replacement using its own stream
//! `Rng::new(seed, r)`, and the replicates run as an indexed parallel iterator, so the
//! interval is bit-identical for any number of threads. A replicate that draws a single
//! class (where the statistic is undefined) is skipped and counted, never turned into a
//! NaN; more than half skipped is an error.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::ranking::{cut, descending_order};
use super::{check, EvalError};
use crate::metrics::MetricError;
use crate::rng::Rng;

/// A statistic of labels and scores, such as [`crate::metrics::roc_auc`] or
/// [`lift_in_top_10`]; [`MetricError::SingleClass`] means "undefined on this sample".
pub type Statistic = fn(&[bool], &[f64]) -> Result<f64, MetricError>;

/// The coverage of the interval: the 2.5th to the 97.5th percentile.
pub const LOWER_PERCENTILE: f64 = 0.025;
pub const UPPER_PERCENTILE: f64 = 0.975;
/// The share of rows whose lift [`lift_in_top_10`] measures.
const TOP_SHARE: f64 = 0.10;

/// A bootstrap percentile interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// The statistic on the full sample.
    pub estimate: f64,
    /// The 2.5th percentile of the replicates' values.
    pub lower: f64,
    /// The 97.5th percentile of the replicates' values.
    pub upper: f64,
    /// Replicates whose statistic was defined: the values behind `lower` and `upper`.
    pub replicates: usize,
    /// Replicates skipped because they drew a single class.
    pub skipped: usize,
}

/// A 95% percentile bootstrap interval of `stat` over `replicates` resamples of the rows.
///
/// Percentiles interpolate linearly between order statistics, as [`percentile`] says.
///
/// # Errors
/// Empty input, mismatched lengths or a NaN score; `replicates == 0`; the statistic
/// undefined on the full sample, or failing on a replicate for any reason other than a
/// single class; a non-finite value; more than half of the replicates undefined
/// ([`EvalError::TooManyUndefined`]).
pub fn bootstrap_ci(
    y: &[bool],
    scores: &[f64],
    replicates: usize,
    seed: u64,
    stat: Statistic,
) -> Result<Interval, EvalError> {
    check::lengths(y, scores)?;
    check::scores(scores)?;
    check::at_least_one(replicates, "the number of bootstrap replicates")?;
    let estimate = stat(y, scores)?;
    if !estimate.is_finite() {
        return Err(EvalError::NonFiniteEstimate { value: estimate });
    }
    let outcomes: Vec<Result<f64, MetricError>> = (0..replicates)
        .into_par_iter()
        .map(|r| replicate(y, scores, seed, r, stat))
        .collect();
    let mut values = Vec::with_capacity(replicates);
    let mut skipped = 0;
    for (r, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Ok(value) if value.is_finite() => values.push(value),
            Ok(value) => {
                return Err(EvalError::NonFiniteStatistic {
                    replicate: r,
                    value,
                })
            }
            Err(MetricError::SingleClass { .. }) => skipped += 1,
            Err(other) => return Err(other.into()),
        }
    }
    // At most half skipped also guarantees at least one value for the percentiles.
    if 2 * skipped > replicates {
        return Err(EvalError::TooManyUndefined {
            undefined: skipped,
            replicates,
        });
    }
    values.sort_by(f64::total_cmp);
    Ok(Interval {
        estimate,
        lower: percentile(&values, LOWER_PERCENTILE),
        upper: percentile(&values, UPPER_PERCENTILE),
        replicates: values.len(),
        skipped,
    })
}

/// The statistic on replicate `r`: `n` rows drawn with replacement from stream `r`.
fn replicate(
    y: &[bool],
    scores: &[f64],
    seed: u64,
    r: usize,
    stat: Statistic,
) -> Result<f64, MetricError> {
    let mut rng = Rng::new(seed, r as u64);
    let n = y.len();
    let mut sample_y = Vec::with_capacity(n);
    let mut sample_scores = Vec::with_capacity(n);
    for _ in 0..n {
        let row = rng.below(n as u64) as usize;
        sample_y.push(y[row]);
        sample_scores.push(scores[row]);
    }
    stat(&sample_y, &sample_scores)
}

/// The `q`-quantile of ascending `sorted` values by linear interpolation between order
/// statistics (Hyndman and Fan's type 7, numpy's default): with `h = q * (m - 1)`, the
/// value is `sorted[floor(h)] + (h - floor(h)) * (sorted[floor(h) + 1] - sorted[floor(h)])`.
/// `q` is clamped to [0, 1]; an empty slice gives NaN (the bootstrap never passes one).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return f64::NAN;
    };
    let h = q.clamp(0.0, 1.0) * last as f64;
    let below = (h.floor() as usize).min(last);
    let above = (below + 1).min(last);
    let fraction = h - below as f64;
    sorted[below] + fraction * (sorted[above] - sorted[below])
}

/// Lift in the top 10% of rows by descending score (ties split by row order), for
/// [`bootstrap_ci`].
///
/// # Errors
/// Empty input, mismatched lengths, or no churner ([`MetricError::SingleClass`] with
/// `churned: false`, so the bootstrap counts it as undefined).
pub fn lift_in_top_10(y: &[bool], scores: &[f64]) -> Result<f64, MetricError> {
    if y.len() != scores.len() {
        return Err(MetricError::LengthMismatch {
            n_labels: y.len(),
            n_scores: scores.len(),
        });
    }
    if y.is_empty() {
        return Err(MetricError::Empty);
    }
    let n = y.len();
    let total = check::churners(y);
    if total == 0 {
        return Err(MetricError::SingleClass { n, churned: false });
    }
    let k = cut(TOP_SHARE, n);
    let caught = descending_order(scores)[..k]
        .iter()
        .filter(|&&row| y[row])
        .count();
    // lift = (caught / k) / (total / n)
    Ok((caught as f64 * n as f64) / (k as f64 * total as f64))
}

#[cfg(test)]
#[path = "bootstrap_tests.rs"]
mod tests;
