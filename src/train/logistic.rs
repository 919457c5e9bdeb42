//! L2-regularised logistic regression giving the probability of churn.
//!
//! Input: a design matrix (rows x features, finite values) and labels (`true` = churned).
//! Output: a [`Logistic`]: per-feature means and standard deviations learned on the
//! training rows, coefficients on that standardised scale, and an intercept.
//!
//! The optimisation is ours ([`super::newton`]): Newton's method on the penalised loss,
//! in parallel over fixed blocks of rows, so a fit takes a handful of passes over the
//! data and is bit-identical whatever the number of threads. Two modelling choices:
//!
//! - **Standardisation is part of the model.** Features are centred and scaled with the
//!   training rows' mean and standard deviation (on the fly, block by block: the
//!   standardised matrix is never stored), so `alpha` penalises every feature alike
//!   whatever its unit, and the same transform is applied at prediction. A constant
//!   column gets a standard deviation of 1: it becomes all zeros and its coefficient
//!   stays 0.
//! - **Balanced class weights are real weights.** With [`ClassWeight::Balanced`] a row of
//!   class `c` weighs `n / (2 n_c)` in the loss (scikit-learn's `class_weight="balanced"`),
//!   so the weighted mean of the fitted probabilities is one half.
//!
//! The fit is deterministic: the same data and parameters give bit-identical models,
//! whatever the number of threads.

use ndarray::{ArrayView1, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{check_data, newton, TrainError};
use crate::matrix::DesignRows;

/// Default L2 penalty `alpha`.
pub const DEFAULT_ALPHA: f64 = 1.0;
/// Default maximum number of Newton iterations (a fit usually needs 5 to 10).
pub const DEFAULT_MAX_ITERATIONS: u64 = 100;
/// Default gradient-norm tolerance at which the solver stops.
pub const DEFAULT_TOLERANCE: f64 = 1e-6;
/// Rows predicted per parallel task.
const PREDICT_CHUNK_ROWS: usize = 1024;

/// How the two classes are weighted in the fit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClassWeight {
    /// Every row counts once: probabilities are calibrated to the training churn rate.
    #[default]
    None,
    /// Class `c` weighs `n / (2 n_c)`, as if both classes were equally frequent: the
    /// probabilities are no longer the churn rate (their weighted mean is one half).
    Balanced,
}

/// Parameters of a logistic regression, as given (see [`LogisticParams::check`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogisticParams {
    /// L2 penalty on the standardised coefficients (not the intercept), default
    /// [`DEFAULT_ALPHA`]. The loss is the *sum* of the rows' log losses plus
    /// `alpha / 2 * |coefficients|^2`, so the penalty weakens relative to the data as rows
    /// are added (scikit-learn's convention, with `C = 1 / alpha`).
    pub alpha: f64,
    /// Maximum number of Newton iterations (default [`DEFAULT_MAX_ITERATIONS`]). When it is
    /// reached the best parameters so far are kept; no error is raised.
    pub max_iterations: u64,
    /// The solver stops once the norm of the loss's gradient is at most this (default
    /// [`DEFAULT_TOLERANCE`]).
    pub tolerance: f64,
    /// Class weighting (default [`ClassWeight::None`]).
    pub class_weight: ClassWeight,
}

impl Default for LogisticParams {
    fn default() -> LogisticParams {
        LogisticParams {
            alpha: DEFAULT_ALPHA,
            max_iterations: DEFAULT_MAX_ITERATIONS,
            tolerance: DEFAULT_TOLERANCE,
            class_weight: ClassWeight::None,
        }
    }
}

impl LogisticParams {
    /// Validates the parameters.
    ///
    /// # Errors
    /// [`TrainError::BadParam`] naming the first bad one: `alpha` negative or not finite,
    /// `max_iterations` of 0, `tolerance` not finite or not positive.
    pub fn check(&self) -> Result<ValidLogisticParams, TrainError> {
        if !(self.alpha.is_finite() && self.alpha >= 0.0) {
            return Err(TrainError::BadParam {
                name: "alpha",
                value: self.alpha.to_string(),
                reason: "must be finite and at least 0",
            });
        }
        if self.max_iterations < 1 {
            return Err(TrainError::BadParam {
                name: "max_iterations",
                value: self.max_iterations.to_string(),
                reason: "must be at least 1",
            });
        }
        if !(self.tolerance.is_finite() && self.tolerance > 0.0) {
            return Err(TrainError::BadParam {
                name: "tolerance",
                value: self.tolerance.to_string(),
                reason: "must be finite and greater than 0",
            });
        }
        Ok(ValidLogisticParams {
            alpha: self.alpha,
            max_iterations: self.max_iterations,
            tolerance: self.tolerance,
            class_weight: self.class_weight,
        })
    }
}

/// Checked logistic-regression parameters: the only kind [`fit_logistic`] accepts.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidLogisticParams {
    alpha: f64,
    max_iterations: u64,
    tolerance: f64,
    class_weight: ClassWeight,
}

impl ValidLogisticParams {
    /// L2 penalty, finite and at least 0.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Maximum number of Newton iterations, at least 1.
    pub fn max_iterations(&self) -> u64 {
        self.max_iterations
    }

    /// Gradient-norm tolerance, finite and positive.
    pub fn tolerance(&self) -> f64 {
        self.tolerance
    }

    /// Class weighting.
    pub fn class_weight(&self) -> ClassWeight {
        self.class_weight
    }
}

/// A fitted logistic regression: `P(churn | x) = sigmoid(intercept + sum_j
/// coefficients[j] * (x[j] - means[j]) / stds[j])`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "LogisticRepr")]
pub struct Logistic {
    means: Vec<f64>,
    stds: Vec<f64>,
    coefficients: Vec<f64>,
    intercept: f64,
}

/// The serialised form of a [`Logistic`], checked before it becomes one.
#[derive(Deserialize)]
struct LogisticRepr {
    means: Vec<f64>,
    stds: Vec<f64>,
    coefficients: Vec<f64>,
    intercept: f64,
}

impl TryFrom<LogisticRepr> for Logistic {
    type Error = String;

    fn try_from(repr: LogisticRepr) -> Result<Logistic, String> {
        let n = repr.coefficients.len();
        if n == 0 {
            return Err("a logistic model needs at least one coefficient".into());
        }
        if repr.means.len() != n || repr.stds.len() != n {
            return Err(format!(
                "inconsistent lengths: {n} coefficients, {} means, {} stds",
                repr.means.len(),
                repr.stds.len()
            ));
        }
        if !repr.intercept.is_finite()
            || repr
                .means
                .iter()
                .chain(&repr.coefficients)
                .any(|v| !v.is_finite())
        {
            return Err(
                "a logistic model's means, coefficients and intercept must be finite".into(),
            );
        }
        if repr.stds.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
            return Err("a logistic model's stds must be finite and positive".into());
        }
        Ok(Logistic {
            means: repr.means,
            stds: repr.stds,
            coefficients: repr.coefficients,
            intercept: repr.intercept,
        })
    }
}

/// Fits an L2-regularised logistic regression of churn on `x` (rows x features) and labels
/// `y` (`true` = churned).
///
/// Each feature is standardised with the mean and (population) standard deviation of the
/// rows of `x`; a constant feature gets a standard deviation of 1. The coefficients of the
/// result are the log-odds of churn per standard deviation of each feature.
///
/// # Errors
/// Empty data, `y` not one label per row, a single class in `y`, too many rows, a value of
/// `x` that is NaN or infinite ([`TrainError::NonFiniteValue`]), or a failure inside the
/// solver ([`TrainError::Solver`]).
pub fn fit_logistic(
    x: ArrayView2<f64>,
    y: &[bool],
    params: &ValidLogisticParams,
) -> Result<Logistic, TrainError> {
    fit_logistic_rows(&x, y, params)
}

/// [`fit_logistic`] on rows produced a block at a time: with
/// [`crate::matrix::MatrixSpec::rows_of`], a frame is encoded as the solver reads it and
/// its design matrix never exists whole. The same rows give the same model.
///
/// # Errors
/// As [`fit_logistic`].
pub fn fit_logistic_rows<R: DesignRows + ?Sized>(
    x: &R,
    y: &[bool],
    params: &ValidLogisticParams,
) -> Result<Logistic, TrainError> {
    check_data(x, y)?;
    let (means, stds) = standardisation(x)?;
    let n_churned = y.iter().filter(|&&churned| churned).count() as f64;
    let n_rows = y.len() as f64;
    let class_weights = match params.class_weight {
        ClassWeight::None => [1.0, 1.0],
        ClassWeight::Balanced => [
            n_rows / (2.0 * (n_rows - n_churned)),
            n_rows / (2.0 * n_churned),
        ],
    };
    let solution = newton::Problem {
        x,
        y,
        means: &means,
        stds: &stds,
        class_weights,
        alpha: params.alpha,
    }
    .solve(params.max_iterations, params.tolerance);
    if let Some(bad) = solution.theta.iter().find(|v| !v.is_finite()) {
        return Err(TrainError::Solver {
            message: format!(
                "a parameter became {bad} after {} iterations",
                solution.iterations
            ),
        });
    }
    Ok(Logistic {
        means,
        stds,
        coefficients: solution.theta[1..].to_vec(),
        intercept: solution.theta[0],
    })
}

/// What one block of rows adds to [`standardisation`]'s first pass.
struct BlockSums {
    /// The block's first value (in row-major order) that is NaN or infinite.
    first_bad: Option<(usize, usize, f64)>,
    sums: Vec<f64>,
    min: Vec<f64>,
    max: Vec<f64>,
}

/// Per-feature mean and population standard deviation of the columns of `x`, with 1 in
/// place of the deviation of a constant column. Two passes over fixed blocks of rows
/// (sums, then squared deviations from the mean), added in block order: the same
/// figures whatever the number of threads.
///
/// # Errors
/// [`TrainError::NonFiniteValue`] for the first NaN or infinite value, in row-major order.
fn standardisation<R: DesignRows + ?Sized>(x: &R) -> Result<(Vec<f64>, Vec<f64>), TrainError> {
    let k = x.n_columns();
    let blocks = newton::map_blocks(x, 0, |start, block| {
        let mut part = BlockSums {
            first_bad: None,
            sums: vec![0.0; k],
            min: vec![f64::INFINITY; k],
            max: vec![f64::NEG_INFINITY; k],
        };
        for (i, row) in block.rows().into_iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                if !v.is_finite() && part.first_bad.is_none() {
                    part.first_bad = Some((start + i, j, v));
                }
                part.sums[j] += v;
                part.min[j] = part.min[j].min(v);
                part.max[j] = part.max[j].max(v);
            }
        }
        part
    });
    if let Some((row, feature, value)) = blocks.iter().find_map(|b| b.first_bad) {
        return Err(TrainError::NonFiniteValue {
            row,
            feature,
            value,
        });
    }
    let n_rows = x.n_rows() as f64;
    let mut sums = vec![0.0; k];
    let mut min = vec![f64::INFINITY; k];
    let mut max = vec![f64::NEG_INFINITY; k];
    for b in &blocks {
        for j in 0..k {
            sums[j] += b.sums[j];
            min[j] = min[j].min(b.min[j]);
            max[j] = max[j].max(b.max[j]);
        }
    }
    // Exactly constant: a computed deviation could be rounding noise, which would blow the
    // column up instead of zeroing it; its mean is its value, not a rounded sum.
    let constant: Vec<bool> = min.iter().zip(&max).map(|(lo, hi)| lo == hi).collect();
    let means: Vec<f64> = (0..k)
        .map(|j| {
            if constant[j] {
                min[j]
            } else {
                sums[j] / n_rows
            }
        })
        .collect();
    let squares = newton::map_blocks(x, 0, |_, block| {
        let mut part = vec![0.0; k];
        for row in block.rows() {
            for ((p, &v), &m) in part.iter_mut().zip(row).zip(&means) {
                *p += (v - m) * (v - m);
            }
        }
        part
    });
    let mut stds = vec![0.0; k];
    for part in &squares {
        for (s, p) in stds.iter_mut().zip(part) {
            *s += p;
        }
    }
    for (s, &c) in stds.iter_mut().zip(&constant) {
        let std = (*s / n_rows).sqrt();
        *s = if !c && std > 0.0 { std } else { 1.0 };
    }
    Ok((means, stds))
}

/// `1 / (1 + exp(-z))` without overflow for large `|z|`.
pub(super) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

impl Logistic {
    /// Number of features the model expects.
    pub fn n_features(&self) -> usize {
        self.coefficients.len()
    }

    /// The training rows' mean of each feature.
    pub fn means(&self) -> &[f64] {
        &self.means
    }

    /// The training rows' standard deviation of each feature (1 for a constant feature).
    pub fn stds(&self) -> &[f64] {
        &self.stds
    }

    /// The change in log-odds of churn per standard deviation of each feature.
    pub fn coefficients(&self) -> &[f64] {
        &self.coefficients
    }

    /// The log-odds of churn of a row at the training means.
    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    /// The change in log-odds of churn per unit of each feature, `coefficients / stds`
    /// (for the model card).
    pub fn coefficients_original_scale(&self) -> Vec<f64> {
        self.coefficients
            .iter()
            .zip(&self.stds)
            .map(|(b, s)| b / s)
            .collect()
    }

    /// The intercept on the original scale: the log-odds of churn of a row of zeros.
    pub fn intercept_original_scale(&self) -> f64 {
        self.intercept
            - self
                .coefficients_original_scale()
                .iter()
                .zip(&self.means)
                .map(|(b, m)| b * m)
                .sum::<f64>()
    }

    /// The log-odds of churn of one row `x` (length [`Self::n_features`]).
    ///
    /// # Panics
    /// If `x` does not have [`Self::n_features`] values.
    pub fn log_odds(&self, x: ArrayView1<f64>) -> f64 {
        assert_eq!(
            x.len(),
            self.n_features(),
            "the row has {} features but the model has {}",
            x.len(),
            self.n_features()
        );
        let mut z = self.intercept;
        for (j, &v) in x.iter().enumerate() {
            z += self.coefficients[j] * (v - self.means[j]) / self.stds[j];
        }
        z
    }

    /// The probability of churn of one row `x`, `sigmoid(log_odds(x))`, in [0, 1].
    ///
    /// # Panics
    /// If `x` does not have [`Self::n_features`] values.
    pub fn predict(&self, x: ArrayView1<f64>) -> f64 {
        sigmoid(self.log_odds(x))
    }

    /// The probability of churn of each row of `x` (rows x features), in row order,
    /// bit-identical to [`Logistic::predict`] row by row; blocks of rows run in parallel.
    ///
    /// # Panics
    /// If `x` does not have [`Self::n_features`] columns.
    pub fn predict_batch(&self, x: ArrayView2<f64>) -> Vec<f64> {
        let mut probs = vec![0.0; x.nrows()];
        probs
            .par_chunks_mut(PREDICT_CHUNK_ROWS)
            .enumerate()
            .for_each(|(c, block)| {
                let start = c * PREDICT_CHUNK_ROWS;
                for (i, p) in block.iter_mut().enumerate() {
                    *p = self.predict(x.row(start + i));
                }
            });
        probs
    }

    /// Why the model predicts what it does for `x` compared with `reference` (typically
    /// the population average row): per feature, `coefficients[j] * (x[j] - reference[j]) /
    /// stds[j]`, the change in log-odds of churn. They add up to
    /// `log_odds(x) - log_odds(reference)`; the largest positive ones are the reasons `x`
    /// is more at risk.
    ///
    /// # Panics
    /// If `x` or `reference` does not have [`Self::n_features`] values.
    pub fn contributions<'a>(
        &'a self,
        x: ArrayView1<'a, f64>,
        reference: ArrayView1<'a, f64>,
    ) -> impl ExactSizeIterator<Item = f64> + 'a {
        let n = self.n_features();
        assert!(
            x.len() == n && reference.len() == n,
            "rows of {} and {} features for a model of {n}",
            x.len(),
            reference.len()
        );
        x.into_iter()
            .zip(reference)
            .zip(self.coefficients.iter().zip(&self.stds))
            .map(|((v, r), (b, s))| b * (v - r) / s)
    }
}

#[cfg(test)]
#[path = "logistic_tests.rs"]
mod tests;
