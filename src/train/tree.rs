//! A histogram-based CART decision tree that outputs smoothed probabilities of churn.
//!
//! Input: a [`Binned`] matrix (built once, shared by every tree of a forest), labels and
//! the training row indices (repeats count: a bootstrap sample is just rows drawn with
//! replacement). Output: a [`Tree`].
//!
//! Splits maximise the weighted Gini impurity decrease over the bin boundaries of each
//! candidate feature; ties go to the lowest feature index, then the lowest bin. Every node
//! stores `prob = (positives + smoothing * prior) / (n + smoothing)`, where `prior` is the
//! positive rate of the whole fit, so no leaf says exactly 0 or 1 and a small leaf leans
//! to the base rate. Leaves are never merged when siblings agree: the point of the tree is
//! ranking resolution, not labels.

use std::collections::BTreeMap;

use ndarray::{Array2, ArrayView1, ArrayView2, Axis, Slice};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{check_data, check_shape, TrainError};
use crate::matrix::DesignRows;
use crate::rng::Rng;

/// Default maximum depth of a single tree (the root is depth 0).
pub const DEFAULT_MAX_DEPTH: usize = 8;
/// Default smallest number of training rows (counting repeats) in a leaf.
pub const DEFAULT_MIN_SAMPLES_LEAF: usize = 50;
/// Default number of bins per feature of a single tree: the most there can be, so a
/// feature with up to 65,535 distinct values (in the binning sample) is split exactly, like
/// a sorting CART. 64 quantile bins cost a single tree 0.002 of holdout ROC AUC at 100k
/// customers (BENCHMARKS.md); a forest's averaging does not need them.
pub const DEFAULT_MAX_BINS: usize = MAX_BINS_LIMIT;
/// The most bins a feature may have (bin codes are `u16`).
pub const MAX_BINS_LIMIT: usize = 65_535;
/// Default strength of the prior in the smoothed node probabilities (in rows).
pub const DEFAULT_SMOOTHING: f64 = 1.0;
/// Bin edges are computed from an evenly strided sample of at most this many values.
pub const BIN_SAMPLE_SIZE: usize = 200_000;
/// The seed of the feature sampling of [`fit_single`] (only used with `max_features`).
pub const SINGLE_TREE_SEED: u64 = 0;

/// Rows encoded and binned per parallel task when building a [`Binned`]: a block of a few
/// dozen `f64` columns stays in a core's cache.
const BLOCK_ROWS: usize = 2048;
/// Sampled rows gathered per parallel task for the bin edges.
const SAMPLE_BLOCK_ROWS: usize = 256;
/// Below this many (sample x feature) updates a histogram is built on one thread.
const PAR_HIST_MIN_WORK: usize = 1 << 17;
/// Rows predicted per parallel task.
const PREDICT_CHUNK_ROWS: usize = 1024;

/// The design matrix reduced to small integer bin codes, built once and shared by trees.
///
/// For each feature, up to `max_bins` bins whose edges are quantiles of the data. Bin `b`
/// holds the values `x` with `thresholds[b - 1] < x <= thresholds[b]`; NaN goes to the
/// last bin (which is also where `x <= threshold` sends it at prediction time).
#[derive(Clone, Debug)]
pub struct Binned {
    n_rows: usize,
    /// Per feature, the increasing split points between consecutive bins.
    thresholds: Vec<Vec<f64>>,
    /// Column-major codes: feature `f` is `codes[f * n_rows..(f + 1) * n_rows]`.
    codes: Vec<u16>,
}

impl Binned {
    /// Bins `x` (rows x features) with at most `max_bins` bins per feature: see
    /// [`Self::from_rows`].
    ///
    /// # Errors
    /// As [`Self::from_rows`].
    pub fn new(x: ArrayView2<f64>, max_bins: usize) -> Result<Binned, TrainError> {
        Binned::from_rows(&x, max_bins)
    }

    /// Bins the rows of `x` with at most `max_bins` bins per feature, reading them a block
    /// at a time: with [`crate::matrix::MatrixSpec::rows_of`], the design matrix never
    /// exists whole, only its codes (2 bytes a value instead of 8).
    ///
    /// Edges come from the sorted, evenly strided sample of at most [`BIN_SAMPLE_SIZE`]
    /// rows (row `i * n / m` for `i < m`: deterministic); a feature with at most
    /// `max_bins` distinct values in the sample gets one bin per value. Blocks of rows and
    /// features are processed in parallel; the codes do not depend on the threads.
    ///
    /// # Errors
    /// [`TrainError::EmptyData`] without rows or features, [`TrainError::TooManyRows`]
    /// beyond `u32::MAX` rows, [`TrainError::BadParam`] unless `2 <= max_bins <= 65,535`.
    pub fn from_rows<R: DesignRows + ?Sized>(x: &R, max_bins: usize) -> Result<Binned, TrainError> {
        check_shape(x)?;
        check_max_bins(max_bins)?;
        let (n_rows, n_features) = (x.n_rows(), x.n_columns());
        let sample = strided_sample(x, n_rows.min(BIN_SAMPLE_SIZE));
        let thresholds: Vec<Vec<f64>> = sample
            .par_chunks(sample.len() / n_features)
            .map(|column| bin_edges(column, max_bins))
            .collect();
        drop(sample);
        // Each task encodes a block of rows and codes it feature by feature (one feature's
        // split points stay in cache) straight into its part of every column.
        let mut codes = vec![0u16; n_rows * n_features];
        split_columns(&mut codes, n_rows, BLOCK_ROWS)
            .into_par_iter()
            .enumerate()
            .for_each_init(
                || Array2::zeros((BLOCK_ROWS, n_features)),
                |buffer, (b, mut columns)| {
                    let len = columns[0].len();
                    let mut block = buffer.slice_axis_mut(Axis(0), Slice::from(..len));
                    x.fill(b * BLOCK_ROWS, block.view_mut());
                    for ((column, values), edges) in
                        columns.iter_mut().zip(block.columns()).zip(&thresholds)
                    {
                        for (code, &v) in column.iter_mut().zip(values) {
                            *code = bin_of(edges, v);
                        }
                    }
                },
            );
        Ok(Binned {
            n_rows,
            thresholds,
            codes,
        })
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.thresholds.len()
    }

    /// Number of bins of feature `f` (1 for a constant feature, which can never split).
    pub fn n_bins(&self, f: usize) -> usize {
        self.thresholds[f].len() + 1
    }

    /// The split points of feature `f`: bin `b` is `thresholds[b - 1] < x <= thresholds[b]`.
    pub fn thresholds(&self, f: usize) -> &[f64] {
        &self.thresholds[f]
    }

    /// The bin code of every row for feature `f`.
    pub fn codes(&self, f: usize) -> &[u16] {
        &self.codes[f * self.n_rows..(f + 1) * self.n_rows]
    }
}

/// Rows `i * n / m` for `i < m` of `x` (n rows), column-major: feature `f` is
/// `[f * m..(f + 1) * m]`. Only the rows that hold sampled ones are encoded, a block of at
/// most [`BLOCK_ROWS`] at a time.
pub(super) fn strided_sample<R: DesignRows + ?Sized>(x: &R, m: usize) -> Vec<f64> {
    let (n, k) = (x.n_rows(), x.n_columns());
    let row_of = |i: usize| i * n / m;
    let mut sample = vec![0.0; m * k];
    split_columns(&mut sample, m, SAMPLE_BLOCK_ROWS)
        .into_par_iter()
        .enumerate()
        .for_each_init(
            || Array2::zeros((BLOCK_ROWS, k)),
            |buffer, (b, mut columns)| {
                let first = b * SAMPLE_BLOCK_ROWS;
                let end = first + columns[0].len();
                let mut i = first;
                while i < end {
                    // The rows from sample i's up to the block's last sampled one.
                    let start = row_of(i);
                    let len = (row_of(end - 1) + 1 - start).min(BLOCK_ROWS);
                    let mut rows = buffer.slice_axis_mut(Axis(0), Slice::from(..len));
                    x.fill(start, rows.view_mut());
                    while i < end && row_of(i) < start + len {
                        for (column, &v) in columns.iter_mut().zip(rows.row(row_of(i) - start)) {
                            column[i - first] = v;
                        }
                        i += 1;
                    }
                }
            },
        );
    sample
}

/// Column-major `data` (`n_rows` rows per column) cut into blocks of `block_rows` rows:
/// block `b` holds its rows of every column, in column order, so that blocks can be
/// written in parallel.
fn split_columns<T>(data: &mut [T], n_rows: usize, block_rows: usize) -> Vec<Vec<&mut [T]>> {
    let n_columns = data.len() / n_rows;
    let mut blocks: Vec<Vec<&mut [T]>> = (0..n_rows.div_ceil(block_rows))
        .map(|_| Vec::with_capacity(n_columns))
        .collect();
    for column in data.chunks_mut(n_rows) {
        for (block, part) in blocks.iter_mut().zip(column.chunks_mut(block_rows)) {
            block.push(part);
        }
    }
    blocks
}

fn check_max_bins(max_bins: usize) -> Result<(), TrainError> {
    if (2..=MAX_BINS_LIMIT).contains(&max_bins) {
        Ok(())
    } else {
        Err(TrainError::BadParam {
            name: "max_bins",
            value: max_bins.to_string(),
            reason: "must be between 2 and 65535",
        })
    }
}

/// Quantile split points of one feature from its sampled values, at most `max_bins - 1`
/// of them.
fn bin_edges(values: &[f64], max_bins: usize) -> Vec<f64> {
    let mut sample: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sample.sort_unstable_by(f64::total_cmp);
    // Distinct values with their counts (-0.0 and 0.0 are one value).
    let mut distinct: Vec<(f64, usize)> = Vec::new();
    for &v in &sample {
        match distinct.last_mut() {
            Some((d, c)) if *d == v => *c += 1,
            _ => distinct.push((v, 1)),
        }
    }
    if distinct.len() < 2 {
        return Vec::new();
    }
    let cut_after: Vec<usize> = if distinct.len() <= max_bins {
        (0..distinct.len() - 1).collect()
    } else {
        // Cut after the distinct value where the cumulative count first reaches each
        // k / max_bins quantile; a heavy value swallows the quantiles it spans.
        let total = sample.len();
        let mut cuts = Vec::with_capacity(max_bins - 1);
        let mut cum = 0;
        let mut k = 1;
        for (j, &(_, count)) in distinct[..distinct.len() - 1].iter().enumerate() {
            cum += count;
            if cum * max_bins >= k * total {
                cuts.push(j);
                while k * total <= cum * max_bins {
                    k += 1;
                }
                if cuts.len() == max_bins - 1 {
                    break;
                }
            }
        }
        cuts
    };
    cut_after
        .into_iter()
        .map(|j| split_point(distinct[j].0, distinct[j + 1].0))
        .collect()
}

/// A finite point `t` with `a <= t < b` (the midpoint where possible), for `a < b`.
fn split_point(a: f64, b: f64) -> f64 {
    let mid = a / 2.0 + b / 2.0;
    let t = if a <= mid && mid < b { mid } else { a };
    // Keep thresholds finite so that models serialise to JSON.
    if t == f64::NEG_INFINITY && f64::MIN < b {
        f64::MIN
    } else {
        t
    }
}

/// The bin of `v`: the number of split points below it; NaN goes to the last bin.
fn bin_of(thresholds: &[f64], v: f64) -> u16 {
    let bin = if v.is_nan() {
        thresholds.len()
    } else {
        thresholds.partition_point(|&t| t < v)
    };
    bin as u16
}

/// Parameters of a single tree, as given (see [`TreeParams::check`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TreeParams {
    /// Maximum depth; the root is depth 0 (default [`DEFAULT_MAX_DEPTH`]).
    pub max_depth: usize,
    /// Smallest number of training rows in a leaf, repeats counted (default
    /// [`DEFAULT_MIN_SAMPLES_LEAF`]).
    pub min_samples_leaf: usize,
    /// Bins per feature, 2 to 65,535 (default [`DEFAULT_MAX_BINS`]).
    pub max_bins: usize,
    /// Features drawn at random at each node; `None` = all (the forest sets this).
    pub max_features: Option<usize>,
    /// Prior strength: a node's probability is
    /// `(positives + smoothing * prior) / (n + smoothing)` (default [`DEFAULT_SMOOTHING`]).
    pub smoothing: f64,
}

impl Default for TreeParams {
    fn default() -> TreeParams {
        TreeParams {
            max_depth: DEFAULT_MAX_DEPTH,
            min_samples_leaf: DEFAULT_MIN_SAMPLES_LEAF,
            max_bins: DEFAULT_MAX_BINS,
            max_features: None,
            smoothing: DEFAULT_SMOOTHING,
        }
    }
}

impl TreeParams {
    /// Validates the parameters.
    ///
    /// # Errors
    /// [`TrainError::BadParam`] naming the first bad one: `max_depth` or
    /// `min_samples_leaf` below 1, `max_bins` outside 2..=65,535, `smoothing` negative or not
    /// finite, `max_features` of 0.
    pub fn check(&self) -> Result<ValidTreeParams, TrainError> {
        let bad = |name, value: String, reason| {
            Err(TrainError::BadParam {
                name,
                value,
                reason,
            })
        };
        if self.max_depth < 1 {
            return bad(
                "max_depth",
                self.max_depth.to_string(),
                "must be at least 1",
            );
        }
        if self.min_samples_leaf < 1 {
            return bad(
                "min_samples_leaf",
                self.min_samples_leaf.to_string(),
                "must be at least 1",
            );
        }
        check_max_bins(self.max_bins)?;
        if !(self.smoothing.is_finite() && self.smoothing >= 0.0) {
            return bad(
                "smoothing",
                self.smoothing.to_string(),
                "must be a finite number >= 0",
            );
        }
        if self.max_features == Some(0) {
            return bad("max_features", "0".into(), "must be at least 1");
        }
        Ok(ValidTreeParams {
            max_depth: self.max_depth,
            min_samples_leaf: self.min_samples_leaf,
            max_bins: self.max_bins,
            max_features: self.max_features,
            smoothing: self.smoothing,
        })
    }
}

/// Checked tree parameters: the only kind [`fit_tree`] and [`fit_single`] accept.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidTreeParams {
    max_depth: usize,
    min_samples_leaf: usize,
    max_bins: usize,
    max_features: Option<usize>,
    smoothing: f64,
}

impl ValidTreeParams {
    /// Maximum depth (root = 0), at least 1.
    pub fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// Smallest leaf, in training rows counting repeats, at least 1.
    pub fn min_samples_leaf(&self) -> usize {
        self.min_samples_leaf
    }

    /// Bins per feature, 2 to 65,535.
    pub fn max_bins(&self) -> usize {
        self.max_bins
    }

    /// Features drawn per node (`None` = all), at least 1.
    pub fn max_features(&self) -> Option<usize> {
        self.max_features
    }

    /// Prior strength, finite and >= 0.
    pub fn smoothing(&self) -> f64 {
        self.smoothing
    }

    /// The same parameters drawing `max_features` features per node.
    pub(crate) fn with_max_features(&self, max_features: Option<usize>) -> ValidTreeParams {
        ValidTreeParams {
            max_features,
            ..self.clone()
        }
    }
}

/// One node of a [`Tree`]. `n` counts training rows with repeats; `prob` is the smoothed
/// training probability of churn of the rows that reached the node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Node {
    /// An inner node: rows with `x[feature] <= threshold` (NaN never) go to `left`.
    Split {
        /// The feature's column in the design matrix.
        feature: u32,
        /// Rows with `x[feature] <= threshold` go left, the others (NaN too) right.
        threshold: f64,
        /// Index of the left child in [`Tree::nodes`].
        left: u32,
        /// Index of the right child in [`Tree::nodes`].
        right: u32,
        /// Smoothed training probability of churn at this node.
        prob: f64,
        /// Training rows (repeats counted) that reached this node.
        n: u64,
        /// Weighted Gini decrease `n * G - n_left * G_left - n_right * G_right`, in rows.
        gain: f64,
    },
    /// A leaf.
    Leaf {
        /// Smoothed training probability of churn: the tree's prediction here.
        prob: f64,
        /// Training rows (repeats counted) that reached this leaf.
        n: u64,
        /// How many of those rows churned.
        positives: u64,
    },
}

impl Node {
    /// The node's smoothed training probability.
    pub fn prob(&self) -> f64 {
        match *self {
            Node::Split { prob, .. } | Node::Leaf { prob, .. } => prob,
        }
    }

    /// The number of training rows (with repeats) that reached the node.
    pub fn n(&self) -> u64 {
        match *self {
            Node::Split { n, .. } | Node::Leaf { n, .. } => n,
        }
    }
}

/// A fitted decision tree; node 0 is the root and children come after their parent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "TreeRepr")]
pub struct Tree {
    nodes: Vec<Node>,
}

/// The serialised form of a [`Tree`], checked before it becomes one.
#[derive(Deserialize)]
struct TreeRepr {
    nodes: Vec<Node>,
}

impl TryFrom<TreeRepr> for Tree {
    type Error = String;

    /// Refuses a tree that could make prediction loop or index out of bounds.
    fn try_from(repr: TreeRepr) -> Result<Tree, String> {
        if repr.nodes.is_empty() {
            return Err("a tree needs at least one node".into());
        }
        let len = repr.nodes.len();
        for (i, node) in repr.nodes.iter().enumerate() {
            if let Node::Split { left, right, .. } = *node {
                let ok = |c: u32| (c as usize) > i && (c as usize) < len;
                if !ok(left) || !ok(right) {
                    return Err(format!(
                        "node {i} has children {left} and {right}: each must come after it and be below {len}"
                    ));
                }
            }
        }
        Ok(Tree { nodes: repr.nodes })
    }
}

impl Tree {
    /// The nodes; node 0 is the root.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n, Node::Leaf { .. }))
            .count()
    }

    /// The length of the longest root-to-leaf path (0 for a single leaf).
    pub fn depth(&self) -> usize {
        let mut depth = vec![0usize; self.nodes.len()];
        let mut max = 0;
        // Children always come after their parent, so one forward pass suffices.
        for i in 0..self.nodes.len() {
            max = max.max(depth[i]);
            if let Node::Split { left, right, .. } = self.nodes[i] {
                depth[left as usize] = depth[i] + 1;
                depth[right as usize] = depth[i] + 1;
            }
        }
        max
    }

    /// Calls `visit(feature, parent, child)` for each split on the path of `x`, and
    /// returns the leaf.
    fn walk(&self, x: ArrayView1<f64>, mut visit: impl FnMut(usize, &Node, &Node)) -> &Node {
        let mut node = &self.nodes[0];
        while let Node::Split {
            feature,
            threshold,
            left,
            right,
            ..
        } = *node
        {
            let child = if x[feature as usize] <= threshold {
                &self.nodes[left as usize]
            } else {
                &self.nodes[right as usize]
            };
            visit(feature as usize, node, child);
            node = child;
        }
        node
    }

    /// The probability of churn of one row `x` (features in training order).
    ///
    /// # Panics
    /// If `x` has fewer features than the tree splits on.
    pub fn predict(&self, x: ArrayView1<f64>) -> f64 {
        self.walk(x, |_, _, _| {}).prob()
    }

    /// The probability of churn of each row of `x` (rows x features), in row order;
    /// rows are predicted in parallel.
    ///
    /// # Panics
    /// If `x` has fewer features than the tree splits on.
    pub fn predict_batch(&self, x: ArrayView2<f64>) -> Vec<f64> {
        (0..x.nrows())
            .into_par_iter()
            .with_min_len(PREDICT_CHUNK_ROWS)
            .map(|i| self.predict(x.row(i)))
            .collect()
    }

    /// Why the tree predicts what it does for `x`: for each feature split on along the
    /// decision path, the summed change of probability (child minus parent) it caused,
    /// sorted by feature index. Features not on the path are absent. The changes add up
    /// to `predict(x)` minus the root's probability.
    ///
    /// # Panics
    /// If `x` has fewer features than the tree splits on.
    pub fn path_contributions(&self, x: ArrayView1<f64>) -> Vec<(usize, f64)> {
        let mut by_feature = BTreeMap::new();
        self.add_contributions(x, &mut by_feature);
        by_feature.into_iter().collect()
    }

    /// Adds this tree's path contributions for `x` into `by_feature`.
    pub(crate) fn add_contributions(
        &self,
        x: ArrayView1<f64>,
        by_feature: &mut BTreeMap<usize, f64>,
    ) {
        self.walk(x, |feature, parent, child| {
            *by_feature.entry(feature).or_insert(0.0) += child.prob() - parent.prob();
        });
    }

    /// Total weighted impurity decrease per feature, normalised to sum to 1 (all zeros
    /// for a tree without splits). Splits on features `>= n_features` are left out.
    pub fn feature_importance(&self, n_features: usize) -> Vec<f64> {
        let mut importance = vec![0.0; n_features];
        for node in &self.nodes {
            if let Node::Split { feature, gain, .. } = *node {
                if let Some(slot) = importance.get_mut(feature as usize) {
                    *slot += gain;
                }
            }
        }
        let total: f64 = importance.iter().sum();
        if total > 0.0 {
            importance.iter_mut().for_each(|v| *v /= total);
        }
        importance
    }
}

/// Fits a tree on all rows of `x` (rows x features) with labels `y` (`true` = churned):
/// no bootstrap; with `max_features` set, features are drawn from the stream
/// `Rng::new(SINGLE_TREE_SEED, 0)`.
///
/// # Errors
/// Empty data, `y` not one label per row, a single class in `y`, too many rows, or
/// `max_features` above the number of features.
pub fn fit_single(
    x: ArrayView2<f64>,
    y: &[bool],
    params: &ValidTreeParams,
) -> Result<Tree, TrainError> {
    fit_single_rows(&x, y, params)
}

/// [`fit_single`] on rows produced a block at a time ([`Binned::from_rows`]): the same
/// rows give the same tree.
///
/// # Errors
/// As [`fit_single`].
pub fn fit_single_rows<R: DesignRows + ?Sized>(
    x: &R,
    y: &[bool],
    params: &ValidTreeParams,
) -> Result<Tree, TrainError> {
    check_data(x, y)?;
    check_max_features(params.max_features, x.n_columns())?;
    let binned = Binned::from_rows(x, params.max_bins)?;
    let rows: Vec<u32> = (0..x.n_rows() as u32).collect();
    let mut rng = Rng::new(SINGLE_TREE_SEED, 0);
    Ok(fit_tree(&binned, y, &rows, params, &mut rng))
}

/// Refuses `max_features` above the number of features.
pub(crate) fn check_max_features(
    max_features: Option<usize>,
    n_features: usize,
) -> Result<(), TrainError> {
    match max_features {
        Some(k) if k > n_features => Err(TrainError::BadParam {
            name: "max_features",
            value: k.to_string(),
            reason: "exceeds the number of features of the data",
        }),
        _ => Ok(()),
    }
}

/// One distinct training row with its multiplicity and its positives (`w` or 0).
#[derive(Clone, Copy, Debug)]
struct Sample {
    row: u32,
    w: u32,
    pos: u32,
}

/// Histogram cell: rows (with repeats) and positives in one bin of one feature.
#[derive(Clone, Copy, Debug, Default)]
struct Bin {
    n: u64,
    pos: u64,
}

/// The best split found at a node.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    feature: usize,
    bin: usize,
    gain: f64,
    left_n: u64,
    left_pos: u64,
}

/// A node waiting to be grown: its samples are `samples[start..end]`.
struct Task {
    node: usize,
    start: usize,
    end: usize,
    depth: usize,
    n: u64,
    pos: u64,
    /// Histogram over all features, when the parent could derive it by subtraction.
    hist: Option<Vec<Bin>>,
}

/// Fits a tree on the rows `rows` of `binned` (repeats count as that many rows) with
/// labels `y` (`true` = churned, indexed by row). The prior of the smoothed probabilities
/// is the positive rate of `rows`. `rng` draws the per-node feature subsets when
/// `params.max_features()` is set (capped at the number of features); otherwise it is
/// unused. An empty `rows` gives a single leaf with probability 0.5 and `n` = 0.
///
/// # Panics
/// If a row index is not below `binned.n_rows()` or `y` is shorter than that.
pub fn fit_tree(
    binned: &Binned,
    y: &[bool],
    rows: &[u32],
    params: &ValidTreeParams,
    rng: &mut Rng,
) -> Tree {
    let n_rows = binned.n_rows();
    assert!(y.len() >= n_rows, "{} labels for {n_rows} rows", y.len());
    let mut counts = vec![0u32; n_rows];
    for &r in rows {
        counts[r as usize] += 1;
    }
    // Distinct rows in increasing order keep the reads of the code columns local.
    let samples: Vec<Sample> = counts
        .iter()
        .enumerate()
        .filter(|&(_, &w)| w > 0)
        .map(|(row, &w)| Sample {
            row: row as u32,
            w,
            pos: if y[row] { w } else { 0 },
        })
        .collect();
    drop(counts);
    let n: u64 = samples.iter().map(|s| u64::from(s.w)).sum();
    let pos: u64 = samples.iter().map(|s| u64::from(s.pos)).sum();
    if n == 0 {
        return Tree {
            nodes: vec![Node::Leaf {
                prob: 0.5,
                n: 0,
                positives: 0,
            }],
        };
    }
    let n_features = binned.n_features();
    let k = params
        .max_features
        .map_or(n_features, |k| k.min(n_features));
    let grower = Grower {
        binned,
        min_leaf: params.min_samples_leaf as u64,
        max_depth: params.max_depth,
        smoothing: params.smoothing,
        prior: pos as f64 / n as f64,
        k,
        all_features: (0..n_features).collect(),
    };
    grower.grow(samples, n, pos, rng)
}

/// The fixed context of growing one tree.
struct Grower<'a> {
    binned: &'a Binned,
    min_leaf: u64,
    max_depth: usize,
    smoothing: f64,
    prior: f64,
    /// Features considered per node.
    k: usize,
    all_features: Vec<usize>,
}

impl Grower<'_> {
    fn prob(&self, n: u64, pos: u64) -> f64 {
        (pos as f64 + self.smoothing * self.prior) / (n as f64 + self.smoothing)
    }

    fn grow(&self, mut samples: Vec<Sample>, n: u64, pos: u64, rng: &mut Rng) -> Tree {
        let n_features = self.all_features.len();
        // With every feature considered at every node, a child's histogram is its
        // parent's minus its sibling's, so only the smaller child is counted. With
        // sampled features the parent's histogram lacks the child's features.
        let subtract = self.k == n_features;
        let mut perm = self.all_features.clone();
        let mut scratch = Vec::with_capacity(samples.len());
        let mut nodes = vec![Node::Leaf {
            prob: 0.0,
            n: 0,
            positives: 0,
        }];
        let root_hist = subtract.then(|| self.histogram(&self.all_features, &samples));
        let mut stack = vec![Task {
            node: 0,
            start: 0,
            end: samples.len(),
            depth: 0,
            n,
            pos,
            hist: root_hist,
        }];
        let mut drawn = Vec::with_capacity(self.k);
        while let Some(task) = stack.pop() {
            let prob = self.prob(task.n, task.pos);
            let leaf = Node::Leaf {
                prob,
                n: task.n,
                positives: task.pos,
            };
            if task.depth >= self.max_depth
                || task.n < 2 * self.min_leaf
                || task.pos == 0
                || task.pos == task.n
            {
                nodes[task.node] = leaf;
                continue;
            }
            let node_samples = &mut samples[task.start..task.end];
            let (features, hist): (&[usize], Vec<Bin>) = match task.hist {
                Some(hist) => (&self.all_features, hist),
                None => {
                    // Partial Fisher-Yates: the first k of `perm` are a uniform draw.
                    for i in 0..self.k {
                        let j = i + rng.below((n_features - i) as u64) as usize;
                        perm.swap(i, j);
                    }
                    drawn.clear();
                    drawn.extend_from_slice(&perm[..self.k]);
                    // Ascending order makes ties go to the lowest feature index.
                    drawn.sort_unstable();
                    let hist = self.histogram(&drawn, node_samples);
                    (&drawn, hist)
                }
            };
            let Some(best) = self.best_split(features, &hist, task.n, task.pos) else {
                nodes[task.node] = leaf;
                continue;
            };
            let codes = self.binned.codes(best.feature);
            let n_left_samples = partition(node_samples, &mut scratch, codes, best.bin as u16);
            let mid = task.start + n_left_samples;
            let (left, right) = (nodes.len(), nodes.len() + 1);
            nodes.push(leaf.clone());
            nodes.push(leaf);
            nodes[task.node] = Node::Split {
                feature: best.feature as u32,
                threshold: self.binned.thresholds(best.feature)[best.bin],
                left: left as u32,
                right: right as u32,
                prob,
                n: task.n,
                gain: best.gain,
            };
            let (left_hist, right_hist) = if subtract && task.depth + 1 < self.max_depth {
                let (mut small, large_is_left) = if n_left_samples <= task.end - mid {
                    (self.histogram(features, &samples[task.start..mid]), false)
                } else {
                    (self.histogram(features, &samples[mid..task.end]), true)
                };
                let mut large = hist;
                for (l, s) in large.iter_mut().zip(&small) {
                    l.n -= s.n;
                    l.pos -= s.pos;
                }
                if large_is_left {
                    std::mem::swap(&mut small, &mut large);
                }
                (Some(small), Some(large))
            } else {
                (None, None)
            };
            // Push right first so that the left subtree is grown first.
            stack.push(Task {
                node: right,
                start: mid,
                end: task.end,
                depth: task.depth + 1,
                n: task.n - best.left_n,
                pos: task.pos - best.left_pos,
                hist: right_hist,
            });
            stack.push(Task {
                node: left,
                start: task.start,
                end: mid,
                depth: task.depth + 1,
                n: best.left_n,
                pos: best.left_pos,
                hist: left_hist,
            });
        }
        Tree { nodes }
    }

    /// Histograms of `features` (in that order, `n_bins(f)` cells each) over `samples`.
    fn histogram(&self, features: &[usize], samples: &[Sample]) -> Vec<Bin> {
        let len = features.iter().map(|&f| self.binned.n_bins(f)).sum();
        let mut hist = vec![Bin::default(); len];
        let mut per_feature = Vec::with_capacity(features.len());
        let mut rest = hist.as_mut_slice();
        for &f in features {
            let (cells, tail) = rest.split_at_mut(self.binned.n_bins(f));
            per_feature.push((cells, f));
            rest = tail;
        }
        let fill = |(cells, f): (&mut [Bin], usize)| {
            let codes = self.binned.codes(f);
            for s in samples {
                let cell = &mut cells[codes[s.row as usize] as usize];
                cell.n += u64::from(s.w);
                cell.pos += u64::from(s.pos);
            }
        };
        if samples.len() * features.len() >= PAR_HIST_MIN_WORK {
            per_feature.into_par_iter().for_each(fill);
        } else {
            per_feature.into_iter().for_each(fill);
        }
        hist
    }

    /// The split with the largest Gini decrease that leaves `min_leaf` rows on each
    /// side; `None` when no split improves impurity.
    fn best_split(&self, features: &[usize], hist: &[Bin], n: u64, pos: u64) -> Option<Candidate> {
        let parent = gini_term(n, pos);
        // Decreases this small are rounding noise, not an improvement.
        let mut best_gain = parent * 1e-12;
        let mut best = None;
        let mut start = 0;
        for &f in features {
            let cells = &hist[start..start + self.binned.n_bins(f)];
            start += cells.len();
            let (mut left_n, mut left_pos) = (0u64, 0u64);
            for (bin, cell) in cells[..cells.len() - 1].iter().enumerate() {
                left_n += cell.n;
                left_pos += cell.pos;
                if left_n < self.min_leaf {
                    continue;
                }
                if n - left_n < self.min_leaf {
                    break;
                }
                let gain =
                    parent - (gini_term(left_n, left_pos) + gini_term(n - left_n, pos - left_pos));
                // Strictly greater: the first of equally good splits (lowest feature,
                // then lowest bin) wins.
                if gain > best_gain {
                    best_gain = gain;
                    best = Some(Candidate {
                        feature: f,
                        bin,
                        gain,
                        left_n,
                        left_pos,
                    });
                }
            }
        }
        best
    }
}

/// `n` times the Gini impurity of a node with `n > 0` rows, `pos` of them positive:
/// `n * 2p(1 - p) = 2 * pos * (n - pos) / n`, with the product computed exactly.
fn gini_term(n: u64, pos: u64) -> f64 {
    2.0 * (u128::from(pos) * u128::from(n - pos)) as f64 / n as f64
}

/// Moves the samples whose code is `<= bin` to the front, keeping the order on both
/// sides, and returns how many there are.
fn partition(samples: &mut [Sample], scratch: &mut Vec<Sample>, codes: &[u16], bin: u16) -> usize {
    scratch.clear();
    let mut n_left = 0;
    for i in 0..samples.len() {
        let s = samples[i];
        if codes[s.row as usize] <= bin {
            samples[n_left] = s;
            n_left += 1;
        } else {
            scratch.push(s);
        }
    }
    samples[n_left..].copy_from_slice(scratch);
    n_left
}
