//! Stage 5, train: model fitting.
//!
//! Input: a design matrix (rows x features, no NaN expected: the matrix stage imputes),
//! held whole as an `ndarray::ArrayView2<f64>` or produced a block of rows at a time
//! ([`crate::matrix::DesignRows`], so that it never exists whole), and one label per row,
//! `&[bool]` (`true` = churned).
//! Output: fitted models that give a probability of churn per row, not just a label.
//!
//! - [`tree`]: a histogram-based CART learner. The matrix is binned once into at most
//!   65,535 quantile bins per feature ([`tree::Binned`]), and every tree of a forest shares
//!   those codes. Every node keeps its smoothed training probability and leaves are never
//!   merged, so a tree ranks customers at full resolution and can explain a prediction as
//!   the change of probability along its decision path.
//! - [`forest`]: a random forest of those trees, fitted in parallel. Tree `i` draws its
//!   bootstrap sample and its feature subsets from its own random stream `(seed, i)`, so a
//!   forest is identical whatever the number of threads.
//!
//! Parameters follow the crate's pattern: `XParams` (documented defaults) -> `check()` ->
//! `ValidXParams`, the only type the fitting functions accept.

pub mod calibrate;
pub mod forest;
pub mod logistic;
mod newton;
pub mod tree;

#[cfg(test)]
mod tests;

use crate::matrix::DesignRows;

/// Why a model could not be fitted.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TrainError {
    /// The design matrix has no rows or no columns.
    #[error(
        "cannot train on empty data: the design matrix has {n_rows} rows and {n_features} features"
    )]
    EmptyData { n_rows: usize, n_features: usize },
    /// The labels do not match the rows one to one.
    #[error("the design matrix has {n_rows} rows but there are {n_labels} labels")]
    LabelLengthMismatch { n_rows: usize, n_labels: usize },
    /// Every label is the same, so there is nothing to learn.
    #[error(
        "all {n_rows} labels are {}: a churn model needs both churned and retained customers",
        if *.churned { "churned" } else { "not churned" }
    )]
    SingleClass { n_rows: usize, churned: bool },
    /// Row indices are `u32`; more rows than that cannot be trained on.
    #[error(
        "too many rows to train on: {n_rows} (at most {} are supported)",
        u32::MAX
    )]
    TooManyRows { n_rows: usize },
    /// A value of the design matrix is NaN or infinite.
    #[error("the design matrix has the non-finite value {value} at row {row}, feature {feature}")]
    NonFiniteValue {
        row: usize,
        feature: usize,
        value: f64,
    },
    /// The logistic-regression solver failed.
    #[error("the logistic regression solver failed: {message}")]
    Solver { message: String },
    /// A training parameter is out of range.
    #[error("bad training parameter {name} = {value}: {reason}")]
    BadParam {
        name: &'static str,
        value: String,
        reason: &'static str,
    },
}

/// Checks that `x` and `y` can be trained on: [`check_shape`], one label per row, both
/// classes present.
fn check_data<R: DesignRows + ?Sized>(x: &R, y: &[bool]) -> Result<(), TrainError> {
    check_shape(x)?;
    let n_rows = x.n_rows();
    if y.len() != n_rows {
        return Err(TrainError::LabelLengthMismatch {
            n_rows,
            n_labels: y.len(),
        });
    }
    let positives = y.iter().filter(|&&churned| churned).count();
    if positives == 0 || positives == n_rows {
        return Err(TrainError::SingleClass {
            n_rows,
            churned: positives == n_rows,
        });
    }
    Ok(())
}

/// Checks that `x` has rows and features, and that its row indices fit in `u32`.
fn check_shape<R: DesignRows + ?Sized>(x: &R) -> Result<(), TrainError> {
    let (n_rows, n_features) = (x.n_rows(), x.n_columns());
    if n_rows == 0 || n_features == 0 {
        return Err(TrainError::EmptyData { n_rows, n_features });
    }
    if n_rows > u32::MAX as usize {
        return Err(TrainError::TooManyRows { n_rows });
    }
    Ok(())
}
