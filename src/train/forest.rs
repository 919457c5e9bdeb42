//! A random forest of [`Tree`]s whose prediction is the mean of the trees' probabilities.
//!
//! Input: a design matrix (rows x features) and labels. Output: a [`Forest`].
//!
//! The matrix is binned once and shared by every tree. Trees are fitted in parallel; tree
//! `i` takes its bootstrap sample (n rows with replacement) and its per-node feature
//! subsets from `Rng::new(seed, i)` alone, so the forest is the same for any number of
//! threads.

use std::collections::BTreeMap;

use ndarray::{ArrayView1, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::tree::{check_max_features, fit_tree, Binned, Tree, TreeParams, ValidTreeParams};
use super::{check_data, TrainError};
use crate::matrix::DesignRows;
use crate::rng::Rng;

/// Default number of trees.
pub const DEFAULT_N_TREES: usize = 100;
/// Default maximum depth of a forest's trees.
pub const DEFAULT_FOREST_MAX_DEPTH: usize = 10;
/// Default smallest leaf of a forest's trees.
pub const DEFAULT_FOREST_MIN_SAMPLES_LEAF: usize = 20;
/// Default bins per feature of a forest's trees: 64 quantile bins. Averaging 100 trees
/// recovers the resolution a single tree needs exact splits for, at a fraction of the
/// histogram work of nodes that are many and small.
pub const DEFAULT_FOREST_MAX_BINS: usize = 64;
/// Default seed.
pub const DEFAULT_SEED: u64 = 0;
/// Rows predicted per parallel task.
const PREDICT_CHUNK_ROWS: usize = 256;

/// Parameters of a forest, as given (see [`ForestParams::check`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ForestParams {
    /// Number of trees (default [`DEFAULT_N_TREES`]).
    pub n_trees: usize,
    /// Parameters of each tree (default: depth [`DEFAULT_FOREST_MAX_DEPTH`], leaves of at
    /// least [`DEFAULT_FOREST_MIN_SAMPLES_LEAF`] rows, the tree defaults otherwise). Its
    /// `max_features` must be `None`: the forest's own `max_features` sets it.
    pub tree: TreeParams,
    /// Features drawn per node; `None` = `round(sqrt(n_features))`, at least 1.
    pub max_features: Option<usize>,
    /// Whether each tree fits a bootstrap sample (default `true`) or all rows.
    pub bootstrap: bool,
    /// Seed of the trees' random streams (default [`DEFAULT_SEED`]).
    pub seed: u64,
}

impl Default for ForestParams {
    fn default() -> ForestParams {
        ForestParams {
            n_trees: DEFAULT_N_TREES,
            tree: TreeParams {
                max_depth: DEFAULT_FOREST_MAX_DEPTH,
                min_samples_leaf: DEFAULT_FOREST_MIN_SAMPLES_LEAF,
                max_bins: DEFAULT_FOREST_MAX_BINS,
                ..TreeParams::default()
            },
            max_features: None,
            bootstrap: true,
            seed: DEFAULT_SEED,
        }
    }
}

impl ForestParams {
    /// Validates the parameters.
    ///
    /// # Errors
    /// [`TrainError::BadParam`] naming the first bad one: `n_trees` of 0, a bad tree
    /// parameter (see [`TreeParams::check`]), `tree.max_features` set, `max_features` of 0.
    pub fn check(&self) -> Result<ValidForestParams, TrainError> {
        if self.n_trees < 1 {
            return Err(TrainError::BadParam {
                name: "n_trees",
                value: self.n_trees.to_string(),
                reason: "must be at least 1",
            });
        }
        if let Some(k) = self.tree.max_features {
            return Err(TrainError::BadParam {
                name: "tree.max_features",
                value: k.to_string(),
                reason: "a forest draws features per node itself: set ForestParams::max_features instead",
            });
        }
        if self.max_features == Some(0) {
            return Err(TrainError::BadParam {
                name: "max_features",
                value: "0".into(),
                reason: "must be at least 1",
            });
        }
        Ok(ValidForestParams {
            n_trees: self.n_trees,
            tree: self.tree.check()?,
            max_features: self.max_features,
            bootstrap: self.bootstrap,
            seed: self.seed,
        })
    }
}

/// Checked forest parameters: the only kind [`fit_forest`] accepts.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidForestParams {
    n_trees: usize,
    tree: ValidTreeParams,
    max_features: Option<usize>,
    bootstrap: bool,
    seed: u64,
}

impl ValidForestParams {
    /// Number of trees, at least 1.
    pub fn n_trees(&self) -> usize {
        self.n_trees
    }

    /// Parameters of each tree (their `max_features` is `None`; see [`Self::max_features`]).
    pub fn tree(&self) -> &ValidTreeParams {
        &self.tree
    }

    /// Features drawn per node; `None` = `round(sqrt(n_features))`, at least 1.
    pub fn max_features(&self) -> Option<usize> {
        self.max_features
    }

    /// Whether each tree fits a bootstrap sample.
    pub fn bootstrap(&self) -> bool {
        self.bootstrap
    }

    /// Seed of the trees' random streams.
    pub fn seed(&self) -> u64 {
        self.seed
    }
}

/// A fitted random forest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ForestRepr")]
pub struct Forest {
    trees: Vec<Tree>,
}

/// The serialised form of a [`Forest`], checked before it becomes one.
#[derive(Deserialize)]
struct ForestRepr {
    trees: Vec<Tree>,
}

impl TryFrom<ForestRepr> for Forest {
    type Error = &'static str;

    fn try_from(repr: ForestRepr) -> Result<Forest, &'static str> {
        if repr.trees.is_empty() {
            return Err("a forest needs at least one tree");
        }
        Ok(Forest { trees: repr.trees })
    }
}

/// Fits a random forest on `x` (rows x features) and labels `y` (`true` = churned).
///
/// The matrix is binned once; tree `i` uses `Rng::new(seed, i)` for its bootstrap sample
/// (when `bootstrap`) and its feature subsets, and trees are fitted in parallel on the
/// current rayon pool. The result does not depend on the number of threads.
///
/// # Errors
/// Empty data, `y` not one label per row, a single class in `y`, too many rows, or
/// `max_features` above the number of features.
pub fn fit_forest(
    x: ArrayView2<f64>,
    y: &[bool],
    params: &ValidForestParams,
) -> Result<Forest, TrainError> {
    fit_forest_rows(&x, y, params)
}

/// [`fit_forest`] on rows produced a block at a time ([`Binned::from_rows`]): the same
/// rows give the same forest.
///
/// # Errors
/// As [`fit_forest`].
pub fn fit_forest_rows<R: DesignRows + ?Sized>(
    x: &R,
    y: &[bool],
    params: &ValidForestParams,
) -> Result<Forest, TrainError> {
    check_data(x, y)?;
    let (n_rows, n_features) = (x.n_rows(), x.n_columns());
    check_max_features(params.max_features, n_features)?;
    let k = params
        .max_features
        .unwrap_or_else(|| ((n_features as f64).sqrt().round() as usize).max(1));
    let tree_params = params.tree.with_max_features(Some(k));
    let binned = Binned::from_rows(x, params.tree.max_bins())?;
    let trees = (0..params.n_trees)
        .into_par_iter()
        .map(|i| {
            let mut rng = Rng::new(params.seed, i as u64);
            let rows: Vec<u32> = if params.bootstrap {
                (0..n_rows)
                    .map(|_| rng.below(n_rows as u64) as u32)
                    .collect()
            } else {
                (0..n_rows as u32).collect()
            };
            fit_tree(&binned, y, &rows, &tree_params, &mut rng)
        })
        .collect();
    Ok(Forest { trees })
}

impl Forest {
    /// The trees, in the order of their random streams.
    pub fn trees(&self) -> &[Tree] {
        &self.trees
    }

    /// The probability of churn of one row `x`: the mean of the trees' probabilities.
    ///
    /// # Panics
    /// If `x` has fewer features than the forest splits on.
    pub fn predict(&self, x: ArrayView1<f64>) -> f64 {
        let sum = self.trees.iter().fold(0.0, |sum, t| sum + t.predict(x));
        sum / self.trees.len() as f64
    }

    /// The probability of churn of each row of `x` (rows x features), in row order,
    /// bit-identical to [`Forest::predict`] row by row; blocks of rows are predicted in
    /// parallel.
    ///
    /// # Panics
    /// If `x` has fewer features than the forest splits on.
    pub fn predict_batch(&self, x: ArrayView2<f64>) -> Vec<f64> {
        let mut probs = vec![0.0; x.nrows()];
        let n_trees = self.trees.len() as f64;
        // Each tree walks a whole block of rows while its nodes are in cache; every row
        // still adds the trees up in tree order, as `predict` does.
        probs
            .par_chunks_mut(PREDICT_CHUNK_ROWS)
            .enumerate()
            .for_each(|(c, block)| {
                let start = c * PREDICT_CHUNK_ROWS;
                for tree in &self.trees {
                    for (i, sum) in block.iter_mut().enumerate() {
                        *sum += tree.predict(x.row(start + i));
                    }
                }
                block.iter_mut().for_each(|sum| *sum /= n_trees);
            });
        probs
    }

    /// Why the forest predicts what it does for `x`: per feature, the mean over trees of
    /// the tree's path contribution (absent = 0), sorted by feature index. They add up to
    /// `predict(x)` minus the mean of the trees' root probabilities.
    ///
    /// # Panics
    /// If `x` has fewer features than the forest splits on.
    pub fn path_contributions(&self, x: ArrayView1<f64>) -> Vec<(usize, f64)> {
        let mut by_feature = BTreeMap::new();
        for tree in &self.trees {
            tree.add_contributions(x, &mut by_feature);
        }
        let n_trees = self.trees.len() as f64;
        by_feature
            .into_iter()
            .map(|(feature, sum)| (feature, sum / n_trees))
            .collect()
    }

    /// The mean of the trees' normalised impurity-decrease importances, renormalised to
    /// sum to 1 (length `n_features`; all zeros when no tree has a split).
    pub fn feature_importance(&self, n_features: usize) -> Vec<f64> {
        let mut importance = vec![0.0; n_features];
        for tree in &self.trees {
            for (total, v) in importance
                .iter_mut()
                .zip(tree.feature_importance(n_features))
            {
                *total += v;
            }
        }
        // Trees without a split add nothing, so divide by the total, not the tree count.
        let total: f64 = importance.iter().sum();
        if total > 0.0 {
            importance.iter_mut().for_each(|v| *v /= total);
        }
        importance
    }
}
