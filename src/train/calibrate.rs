//! Probability calibration: maps a learner's probability to one that matches observed
//! churn rates, learned on a calibration slice of training time (never the holdout).
//!
//! Input: labels and probabilities in [0, 1]. Output: a fitted [`Calibrator`] (Platt
//! scaling or isotonic regression). Both are non-decreasing in `p` (Platt's whenever its
//! fitted slope `a` is non-negative, which it is for any score that ranks better than
//! chance), and fitting refuses empty or single-class input.

use serde::{Deserialize, Serialize};

use crate::metrics::{self, MetricError, LOG_LOSS_EPS};

/// Which calibrator to fit, if any.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CalibrationMethod {
    None,
    /// Two parameters; keeps the ranking (and so ROC AUC) exactly.
    #[default]
    Platt,
    /// A non-decreasing step function; more flexible, may tie scores.
    Isotonic,
}

/// Labels and probabilities a calibrator can be fitted on (the metrics' own checks).
fn check(y: &[bool], p: &[f64]) -> Result<(), MetricError> {
    metrics::check(y, p)?;
    metrics::check_probabilities(p)
}

/// A fitted map from a model's probability to a calibrated probability.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Calibrator {
    /// Platt scaling: `p' = 1 / (1 + exp(-(a * logit(p) + b)))`, with `p` clamped to
    /// [1e-15, 1 - 1e-15] first so that the logit is finite.
    Platt { a: f64, b: f64 },
    /// Isotonic regression: `thresholds` are the centres (mean probability) of the blocks
    /// that pool-adjacent-violators left, ascending, and `values` their churn rates,
    /// non-decreasing. A probability between two centres is interpolated linearly; one
    /// below the first or above the last gets the first or last value.
    Isotonic {
        thresholds: Vec<f64>,
        values: Vec<f64>,
    },
}

/// Newton iterations are capped; from Platt's starting point they converge in well under
/// ten on any data seen so far.
const MAX_NEWTON_ITERATIONS: usize = 100;
/// Stop when every gradient component is below this times the number of rows.
const GRADIENT_TOLERANCE: f64 = 1e-12;
/// Give up a line search once the step is this small: no further progress is possible.
const MIN_STEP: f64 = 1e-12;
/// Added to the Hessian's diagonal so that it stays invertible when all logits are equal
/// (Lin, Lin and Weng 2007 do the same).
const RIDGE: f64 = 1e-12;

impl Calibrator {
    /// Fits Platt scaling by Newton's method on the log loss, with Platt's smoothed
    /// targets `(N+ + 1) / (N+ + 2)` for churners and `1 / (N- + 2)` for the others, so
    /// that separable data still gives finite parameters.
    ///
    /// # Errors
    /// Empty input, mismatched lengths, a value outside [0, 1], or a single class.
    pub fn fit_platt(y: &[bool], p: &[f64]) -> Result<Calibrator, MetricError> {
        check(y, p)?;
        let positives = metrics::check_both_classes(y)? as f64;
        let negatives = y.len() as f64 - positives;
        let target_churner = (positives + 1.0) / (positives + 2.0);
        let target_stayer = 1.0 / (negatives + 2.0);
        let x: Vec<f64> = p.iter().map(|&p| clamped_logit(p)).collect();
        let t: Vec<f64> = y
            .iter()
            .map(|&c| if c { target_churner } else { target_stayer })
            .collect();
        // Platt's starting point: slope 0 and the smoothed prior log-odds.
        let start = (0.0, ((positives + 1.0) / (negatives + 1.0)).ln());
        let (a, b) = minimise_platt_loss(&x, &t, start);
        Ok(Calibrator::Platt { a, b })
    }

    /// Fits isotonic regression by pool-adjacent-violators on the rows sorted by `p`;
    /// rows with equal `p` are pooled into one block before any violation is resolved.
    ///
    /// # Errors
    /// Empty input, mismatched lengths, a value outside [0, 1], or a single class.
    pub fn fit_isotonic(y: &[bool], p: &[f64]) -> Result<Calibrator, MetricError> {
        check(y, p)?;
        metrics::check_both_classes(y)?;
        let blocks = pool_adjacent_violators(tied_blocks(y, p));
        Ok(Calibrator::Isotonic {
            thresholds: blocks.iter().map(Block::centre).collect(),
            values: blocks.iter().map(Block::rate).collect(),
        })
    }

    /// The calibrated probability of `p`. A NaN `p` gives NaN, as does an isotonic
    /// calibrator with no blocks (which fitting never produces).
    pub fn apply(&self, p: f64) -> f64 {
        match self {
            Calibrator::Platt { a, b } => sigmoid(a * clamped_logit(p) + b),
            Calibrator::Isotonic { thresholds, values } => interpolate(thresholds, values, p),
        }
    }
}

fn clamped_logit(p: f64) -> f64 {
    let p = p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
    (p / (1.0 - p)).ln()
}

/// The logistic function, without overflow for large |z|.
fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// `ln(1 + exp(z))` without overflow.
fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// Cross-entropy of targets `t` against `sigmoid(a * x + b)`, summed over rows.
fn platt_loss(x: &[f64], t: &[f64], (a, b): (f64, f64)) -> f64 {
    x.iter()
        .zip(t)
        .map(|(&x, &t)| {
            let z = a * x + b;
            softplus(z) - t * z
        })
        .sum()
}

/// The gradient `(d/da, d/db)` and Hessian `[[aa, ab], [ab, bb]]` of [`platt_loss`].
fn platt_derivatives(x: &[f64], t: &[f64], (a, b): (f64, f64)) -> ([f64; 2], [f64; 3]) {
    let mut gradient = [0.0; 2];
    let mut hessian = [0.0; 3];
    for (&x, &t) in x.iter().zip(t) {
        let q = sigmoid(a * x + b);
        let w = q * (1.0 - q);
        gradient[0] += (q - t) * x;
        gradient[1] += q - t;
        hessian[0] += w * x * x;
        hessian[1] += w * x;
        hessian[2] += w;
    }
    (gradient, hessian)
}

/// Newton's method with a backtracking (Armijo) line search; the loss is convex, so this
/// finds its minimum. Falls back to steepest descent where the Hessian, computed in
/// floating point, is not positive definite.
fn minimise_platt_loss(x: &[f64], t: &[f64], start: (f64, f64)) -> (f64, f64) {
    let tolerance = GRADIENT_TOLERANCE * x.len() as f64;
    let mut at = start;
    let mut loss = platt_loss(x, t, at);
    for _ in 0..MAX_NEWTON_ITERATIONS {
        let (g, h) = platt_derivatives(x, t, at);
        if g[0].abs() < tolerance && g[1].abs() < tolerance {
            break;
        }
        let direction = newton_direction(g, h);
        let slope = g[0] * direction.0 + g[1] * direction.1;
        let mut step = 1.0;
        loop {
            let next = (at.0 + step * direction.0, at.1 + step * direction.1);
            let next_loss = platt_loss(x, t, next);
            if next_loss <= loss + 1e-4 * step * slope {
                at = next;
                loss = next_loss;
                break;
            }
            step /= 2.0;
            if step < MIN_STEP {
                return at;
            }
        }
    }
    at
}

/// `-H^-1 g`, or `-g` when the (ridged) Hessian is not positive definite.
fn newton_direction(g: [f64; 2], h: [f64; 3]) -> (f64, f64) {
    let (aa, ab, bb) = (h[0] + RIDGE, h[1], h[2] + RIDGE);
    let det = aa * bb - ab * ab;
    let direction = (
        -(bb * g[0] - ab * g[1]) / det,
        -(aa * g[1] - ab * g[0]) / det,
    );
    let descends = g[0] * direction.0 + g[1] * direction.1 < 0.0;
    if det > 0.0 && direction.0.is_finite() && direction.1.is_finite() && descends {
        direction
    } else {
        (-g[0], -g[1])
    }
}

/// A run of rows pooled by isotonic regression.
#[derive(Clone, Copy, Debug)]
struct Block {
    rows: usize,
    churners: usize,
    sum_p: f64,
}

impl Block {
    fn centre(&self) -> f64 {
        self.sum_p / self.rows as f64
    }

    fn rate(&self) -> f64 {
        self.churners as f64 / self.rows as f64
    }

    /// Whether this block's churn rate is above `next`'s, compared exactly in integers.
    fn violates(&self, next: &Block) -> bool {
        (self.churners as u128) * (next.rows as u128)
            > (next.churners as u128) * (self.rows as u128)
    }

    fn merge(&mut self, other: Block) {
        self.rows += other.rows;
        self.churners += other.churners;
        self.sum_p += other.sum_p;
    }
}

/// One block per distinct `p`, in ascending order of `p`.
fn tied_blocks(y: &[bool], p: &[f64]) -> Vec<Block> {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut blocks: Vec<Block> = Vec::new();
    let mut last: Option<f64> = None;
    for row in order {
        let block = Block {
            rows: 1,
            churners: usize::from(y[row]),
            sum_p: p[row],
        };
        match blocks.last_mut() {
            Some(current) if last == Some(p[row]) => current.merge(block),
            _ => blocks.push(block),
        }
        last = Some(p[row]);
    }
    blocks
}

/// Pool-adjacent-violators: merges neighbouring blocks until churn rates are
/// non-decreasing. Equal neighbouring rates are not a violation and stay separate.
fn pool_adjacent_violators(blocks: Vec<Block>) -> Vec<Block> {
    let mut pooled: Vec<Block> = Vec::with_capacity(blocks.len());
    for block in blocks {
        pooled.push(block);
        while pooled.len() >= 2 && pooled[pooled.len() - 2].violates(&pooled[pooled.len() - 1]) {
            if let Some(last) = pooled.pop() {
                if let Some(previous) = pooled.last_mut() {
                    previous.merge(last);
                }
            }
        }
    }
    pooled
}

/// Linear interpolation of `values` at `p` between the ascending `thresholds`, flat
/// beyond the ends.
fn interpolate(thresholds: &[f64], values: &[f64], p: f64) -> f64 {
    let n = thresholds.len().min(values.len());
    if n == 0 || p.is_nan() {
        return f64::NAN;
    }
    if p <= thresholds[0] {
        return values[0];
    }
    if p >= thresholds[n - 1] {
        return values[n - 1];
    }
    // The clamp only matters for thresholds that are not ascending (a hand-edited
    // artifact); it keeps the indices in range.
    let hi = thresholds[..n].partition_point(|&t| t <= p).clamp(1, n - 1);
    let (t0, t1) = (thresholds[hi - 1], thresholds[hi]);
    if t1 <= t0 {
        return values[hi - 1];
    }
    let w = (p - t0) / (t1 - t0);
    values[hi - 1] + w * (values[hi] - values[hi - 1])
}

#[cfg(test)]
#[path = "calibrate_tests.rs"]
mod tests;
