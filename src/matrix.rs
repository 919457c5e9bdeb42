//! Stage 4, matrix: a feature frame as an `ndarray` design matrix with a fixed, named
//! column order, ready for the trainers.
//!
//! Input: a [`FeatureFrame`] (and optionally its labels). Output: a [`DesignMatrix`].
//! The encoding is learned once by [`MatrixSpec::fit`] on training rows and then applied
//! unchanged to any frame by [`MatrixSpec::transform`], so training and scoring see the
//! same columns in the same order:
//! 1. the numeric features in `schema::features::NUMERIC` order, unknown values replaced
//!    by the training median;
//! 2. an indicator `<feature>_missing` (1 = was unknown) for every numeric feature that had
//!    unknown values in training;
//! 3. one-hot columns `segment=<level>` for each level seen in training, and
//!    `segment=other` for unseen levels and nulls (never an error); likewise `region`.

use std::ops::Range;

use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut1, ArrayViewMut2, Axis, Slice, Zip};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::Categorical;
use crate::features::{FeatureFrame, Values};
use crate::schema::features::{CATEGORICAL, NUMERIC};

/// Rows per tile that [`MatrixSpec::transform_rows`] encodes on one thread: a tile of a
/// few dozen columns stays in a core's cache while it is written.
const TILE_ROWS: usize = 1024;
/// Suffix of missing-value indicator columns.
pub const MISSING_SUFFIX: &str = "_missing";
/// The level that collects unseen categories and nulls.
pub const OTHER_LEVEL: &str = "other";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatrixSpec {
    /// Numeric feature names, in matrix order.
    pub numeric: Vec<String>,
    /// Training median of each numeric feature (0 when it was never known).
    pub medians: Vec<f64>,
    /// Whether the feature gets a missing-value indicator column.
    pub indicators: Vec<bool>,
    /// (categorical feature, its training levels in sorted order).
    pub categories: Vec<(String, Vec<String>)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DesignMatrix {
    /// Rows = frame rows, columns = `feature_names`.
    pub x: Array2<f64>,
    /// Labels (`true` = churned) when they were given.
    pub y: Option<Array1<bool>>,
    pub feature_names: Vec<String>,
}

/// Median of the known (non-NaN) values, the mean of the two middle ones for an even
/// count; `None` when there are none.
pub fn median(values: &[f64]) -> Option<f64> {
    median_of(values.iter().copied())
}

/// [`median`] of the values `values` gives.
pub fn median_of(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut known: Vec<f64> = values.filter(|v| !v.is_nan()).collect();
    let n = known.len();
    if n == 0 {
        return None;
    }
    // Selection, not a full sort: linear time on the millions of rows of a nightly score.
    let (below, &mut upper, _) = known.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        return Some(upper);
    }
    let lower = below
        .iter()
        .copied()
        .max_by(f64::total_cmp)
        .expect("an even count of at least 2 has a lower half");
    Some((lower + upper) / 2.0)
}

/// `out[i] = f(values[rows.start + i])`, with the loop specialised to how the values are
/// kept (so it stays a plain loop over a slice).
fn fill_column(
    out: ArrayViewMut1<f64>,
    values: &Values,
    rows: Range<usize>,
    f: impl Fn(f64) -> f64,
) {
    match values {
        Values::Whole(v) => Zip::from(out)
            .and(&v[rows])
            .for_each(|cell, &v| *cell = f(f64::from(v))),
        Values::Fractional(v) => Zip::from(out)
            .and(&v[rows])
            .for_each(|cell, &v| *cell = f(v)),
    }
}

impl MatrixSpec {
    /// Learns medians, indicators and vocabularies from `frame` (the training rows).
    pub fn fit(frame: &FeatureFrame) -> MatrixSpec {
        let mut medians = Vec::with_capacity(NUMERIC.len());
        let mut indicators = Vec::with_capacity(NUMERIC.len());
        for values in &frame.numeric {
            medians.push(median_of(values.iter()).unwrap_or(0.0));
            indicators.push(values.iter().any(|v| v.is_nan()));
        }
        let categories = CATEGORICAL
            .iter()
            .zip([&frame.segment, &frame.region])
            .map(|(name, c)| (name.to_string(), used_levels(c)))
            .collect();
        MatrixSpec {
            numeric: NUMERIC.iter().map(|s| s.to_string()).collect(),
            medians,
            indicators,
            categories,
        }
    }

    /// Number of columns of the design matrix: [`Self::feature_names`]'s length, without
    /// building the names.
    pub fn n_columns(&self) -> usize {
        self.numeric.len()
            + self.indicators.iter().filter(|on| **on).count()
            + self
                .categories
                .iter()
                .map(|(_, levels)| levels.len() + 1)
                .sum::<usize>()
    }

    /// The matrix's column names, in order.
    pub fn feature_names(&self) -> Vec<String> {
        let mut names = self.numeric.clone();
        for (name, on) in self.numeric.iter().zip(&self.indicators) {
            if *on {
                names.push(format!("{name}{MISSING_SUFFIX}"));
            }
        }
        for (name, levels) in &self.categories {
            for level in levels.iter().map(String::as_str).chain([OTHER_LEVEL]) {
                names.push(format!("{name}={level}"));
            }
        }
        names
    }

    /// Encodes `frame` with this spec. `labels`, if given, must have one entry per row.
    pub fn transform(&self, frame: &FeatureFrame, labels: Option<&[bool]>) -> DesignMatrix {
        DesignMatrix {
            x: self.transform_rows(frame, 0..frame.n_rows()),
            y: labels.map(|l| Array1::from(l.to_vec())),
            feature_names: self.feature_names(),
        }
    }

    /// Encodes the frame rows `rows` only: scoring a large base goes through the matrix
    /// a slice at a time, so the whole design matrix never has to exist at once. Tiles of
    /// [`TILE_ROWS`] rows are encoded in parallel.
    pub fn transform_rows(&self, frame: &FeatureFrame, rows: Range<usize>) -> Array2<f64> {
        let k = self.n_columns();
        let mut x = Array2::<f64>::zeros((rows.len(), k));
        if k == 0 {
            return x;
        }
        x.as_slice_mut()
            .expect("a new matrix is in standard layout")
            .par_chunks_mut(TILE_ROWS * k)
            .enumerate()
            .for_each(|(t, tile)| {
                let tile = ArrayViewMut2::from_shape((tile.len() / k, k), tile)
                    .expect("a tile holds whole rows");
                self.encode_into(frame, rows.start + t * TILE_ROWS, tile);
            });
        x
    }

    /// The frame's rows encoded on demand: a learner that reads its matrix a block at a
    /// time (logistic regression) never needs the whole design matrix.
    pub fn rows_of<'a>(&'a self, frame: &'a FeatureFrame) -> EncodedRows<'a> {
        EncodedRows { spec: self, frame }
    }

    /// Writes the frame rows `start..start + out.nrows()`, encoded, into `out` (one row of
    /// [`Self::n_columns`] values each). Every cell is written. Column by column: each
    /// feature is read as one contiguous run and written down a column of the block, which
    /// stays in cache.
    fn encode_into(&self, frame: &FeatureFrame, start: usize, mut out: ArrayViewMut2<f64>) {
        let rows = start..start + out.nrows();
        let mut col = 0;
        for (values, &median) in frame.numeric.iter().zip(&self.medians) {
            let impute = |v: f64| if v.is_nan() { median } else { v };
            fill_column(out.column_mut(col), values, rows.clone(), impute);
            col += 1;
        }
        for (values, _) in frame
            .numeric
            .iter()
            .zip(&self.indicators)
            .filter(|(_, on)| **on)
        {
            let missing = |v: f64| if v.is_nan() { 1.0 } else { 0.0 };
            fill_column(out.column_mut(col), values, rows.clone(), missing);
            col += 1;
        }
        for ((_, levels), c) in self.categories.iter().zip([&frame.segment, &frame.region]) {
            // Map the frame's codes to this spec's columns once, not per row.
            let column_of: Vec<usize> = c
                .levels
                .iter()
                .map(|l| levels.binary_search(l).unwrap_or(levels.len()))
                .collect();
            let width = levels.len() + 1;
            let mut one_hot = out.slice_axis_mut(Axis(1), Slice::from(col..col + width));
            one_hot.fill(0.0);
            for (i, &code) in c.codes[rows.clone()].iter().enumerate() {
                let k = column_of
                    .get(code as usize)
                    .copied()
                    .unwrap_or(levels.len());
                one_hot[[i, k]] = 1.0;
            }
            col += width;
        }
        debug_assert_eq!(col, out.ncols());
    }
}

/// The rows of a design matrix, produced a block at a time: a matrix held whole
/// (`ArrayView2`), or a frame encoded on the fly ([`EncodedRows`]) so that the matrix
/// never exists whole.
pub trait DesignRows: Sync {
    fn n_rows(&self) -> usize;
    fn n_columns(&self) -> usize;
    /// Writes rows `start..start + out.nrows()` into `out`, which has
    /// [`Self::n_columns`] columns.
    fn fill(&self, start: usize, out: ArrayViewMut2<f64>);
}

impl DesignRows for ArrayView2<'_, f64> {
    fn n_rows(&self) -> usize {
        self.nrows()
    }

    fn n_columns(&self) -> usize {
        self.ncols()
    }

    fn fill(&self, start: usize, mut out: ArrayViewMut2<f64>) {
        out.assign(&self.slice_axis(Axis(0), Slice::from(start..start + out.nrows())));
    }
}

/// A frame's rows encoded by a spec as they are asked for ([`MatrixSpec::rows_of`]):
/// the same values as [`MatrixSpec::transform`]'s.
#[derive(Clone, Copy)]
pub struct EncodedRows<'a> {
    spec: &'a MatrixSpec,
    frame: &'a FeatureFrame,
}

impl DesignRows for EncodedRows<'_> {
    fn n_rows(&self) -> usize {
        self.frame.n_rows()
    }

    fn n_columns(&self) -> usize {
        self.spec.n_columns()
    }

    fn fill(&self, start: usize, out: ArrayViewMut2<f64>) {
        self.spec.encode_into(self.frame, start, out);
    }
}

fn used_levels(c: &Categorical) -> Vec<String> {
    let mut used = vec![false; c.levels.len()];
    for &code in &c.codes {
        if let Some(u) = used.get_mut(code as usize) {
            *u = true;
        }
    }
    c.levels
        .iter()
        .zip(used)
        .filter(|(_, u)| *u)
        .map(|(l, _)| l.clone())
        .collect()
}

#[cfg(test)]
mod tests;
