//! The values of one numeric feature, one per row of a frame, in half the memory where
//! that loses nothing.
//!
//! The frame is most of the peak memory of `churn features` and `churn train` (at 1M
//! customers and 6 snapshots, 3M rows x 21 features). Two thirds of the features are whole
//! numbers (counts, days, survey scores); `f32` holds every whole number up to 2^24
//! exactly, so they are kept as `f32` and read back as the very `f64` that was computed.
//! Every reader sees `f64`: models, matrices and outputs are bit for bit what they were.

use std::ops::Range;

use rayon::prelude::*;

use crate::schema::features::{is_fractional, NUMERIC};

/// A numeric feature's values; NaN is "unknown".
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    /// A whole-number feature, while `f32` holds every one of its values exactly.
    Whole(Vec<f32>),
    /// A feature with fractional values, or a whole-number one with a value `f32` cannot
    /// hold exactly (beyond 2^24).
    Fractional(Vec<f64>),
}

/// Rows picked before a gather is split between threads: below this, scheduling costs
/// more than it saves.
pub(crate) const PARALLEL_PICK_ROWS: usize = 1 << 16;

/// `column[r]` for each of `rows`, in order; a large gather is split between threads (a
/// training split gathers every column of millions of rows, and alone it was serial).
pub(crate) fn pick<T: Copy + Send + Sync>(column: &[T], rows: &[usize]) -> Vec<T> {
    if rows.len() < PARALLEL_PICK_ROWS {
        return rows.iter().map(|&r| column[r]).collect();
    }
    rows.par_iter().map(|&r| column[r]).collect()
}

/// Values as they are, `f64`, whatever the feature (frames built by hand).
impl From<Vec<f64>> for Values {
    fn from(values: Vec<f64>) -> Values {
        Values::Fractional(values)
    }
}

/// `f32` holds `v` exactly (NaN, "unknown", included).
fn fits_f32(v: f64) -> bool {
    v.is_nan() || f64::from(v as f32) == v
}

impl Values {
    /// `len` zeros, kept as feature `NUMERIC[j]` is: whole numbers unless the feature is
    /// [`FRACTIONAL`](crate::schema::features::FRACTIONAL).
    pub fn zeros(j: usize, len: usize) -> Values {
        if is_fractional(NUMERIC[j]) {
            Values::Fractional(vec![0.0; len])
        } else {
            Values::Whole(vec![0.0; len])
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Values::Whole(v) => v.len(),
            Values::Fractional(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of row `row`.
    #[inline]
    pub fn get(&self, row: usize) -> f64 {
        match self {
            Values::Whole(v) => f64::from(v[row]),
            Values::Fractional(v) => v[row],
        }
    }

    /// The values of `rows`, in order.
    pub fn iter_range(&self, rows: Range<usize>) -> impl Iterator<Item = f64> + Clone + '_ {
        let (whole, fractional): (&[f32], &[f64]) = match self {
            Values::Whole(v) => (&v[rows], &[]),
            Values::Fractional(v) => (&[], &v[rows]),
        };
        whole
            .iter()
            .map(|&v| f64::from(v))
            .chain(fractional.iter().copied())
    }

    /// Every value, in order.
    pub fn iter(&self) -> impl Iterator<Item = f64> + Clone + '_ {
        self.iter_range(0..self.len())
    }

    /// Every value, as `f64`.
    pub fn to_vec(&self) -> Vec<f64> {
        self.iter().collect()
    }

    /// The values of `rows`, in order, kept as these are.
    pub fn pick(&self, rows: &[usize]) -> Values {
        match self {
            Values::Whole(v) => Values::Whole(pick(v, rows)),
            Values::Fractional(v) => Values::Fractional(pick(v, rows)),
        }
    }

    /// Writes `values` over the rows from `at` on; whole numbers become `f64` first if
    /// `f32` cannot hold one of them exactly, so no value is ever rounded.
    pub fn write(&mut self, at: usize, values: impl Iterator<Item = f64> + Clone) {
        if let Values::Whole(v) = self {
            // One pass in the usual case: checked as written. The values before a misfit
            // were exact, and all of them are written again once the column is widened.
            if values.clone().zip(v[at..].iter_mut()).all(|(value, cell)| {
                *cell = value as f32;
                fits_f32(value)
            }) {
                return;
            }
            *self = Values::Fractional(v.iter().map(|&x| f64::from(x)).collect());
        }
        if let Values::Fractional(v) = self {
            for (cell, value) in v[at..].iter_mut().zip(values) {
                *cell = value;
            }
        }
    }

    /// Writes rows `rows` of `other` over the rows from `at` on.
    pub fn copy_from(&mut self, at: usize, other: &Values, rows: Range<usize>) {
        let to = at..at + rows.len();
        match (&mut *self, other) {
            (Values::Whole(v), Values::Whole(o)) => v[to].copy_from_slice(&o[rows]),
            (Values::Fractional(v), Values::Fractional(o)) => v[to].copy_from_slice(&o[rows]),
            _ => self.write(at, other.iter_range(rows)),
        }
    }

    /// Moves rows `from` to `at` (`at <= from.start`).
    pub fn copy_within(&mut self, from: Range<usize>, at: usize) {
        match self {
            Values::Whole(v) => v.copy_within(from, at),
            Values::Fractional(v) => v.copy_within(from, at),
        }
    }

    /// Keeps the first `len` rows and gives the rest of the memory back.
    pub fn truncate(&mut self, len: usize) {
        match self {
            Values::Whole(v) => {
                v.truncate(len);
                v.shrink_to_fit();
            }
            Values::Fractional(v) => {
                v.truncate(len);
                v.shrink_to_fit();
            }
        }
    }

    /// The value bits of every row, as `f64`: equal frames, NaN for NaN (tests).
    pub fn bits(&self) -> Vec<u64> {
        self.iter().map(f64::to_bits).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::features::numeric_index;

    /// Whole-number features start as `f32`, fractional ones as `f64`.
    #[test]
    fn a_feature_is_kept_as_its_kind_of_number() {
        for (name, whole) in [
            ("orders_365d", true),
            ("recency_days", true),
            ("csat_last", true),
            ("spend_365d", false),
            ("csat_mean_365d", false),
        ] {
            let zeros = Values::zeros(numeric_index(name).unwrap(), 3);
            assert_eq!(matches!(zeros, Values::Whole(_)), whole, "{name}");
        }
        let whole = NUMERIC
            .iter()
            .enumerate()
            .filter(|(j, _)| matches!(Values::zeros(*j, 1), Values::Whole(_)))
            .count();
        assert_eq!(whole, 14);
    }

    /// Whole numbers read back exactly, NaN as NaN; a value `f32` cannot hold (2^24 + 1,
    /// 0.1) turns the column to `f64` with the values before it unchanged.
    #[test]
    fn whole_numbers_read_back_exactly_and_others_widen_the_column() {
        let mut v = Values::Whole(vec![0.0; 6]);
        v.write(0, [0.0, 16_777_216.0, f64::NAN, -3.0].into_iter());
        assert!(matches!(v, Values::Whole(_)));
        assert_eq!(v.get(1), 16_777_216.0);
        assert!(v.get(2).is_nan());
        assert_eq!(v.get(3), -3.0);
        v.write(4, [16_777_217.0].into_iter());
        assert!(matches!(v, Values::Fractional(_)));
        assert_eq!(v.get(1), 16_777_216.0);
        assert_eq!(v.get(3), -3.0);
        assert_eq!(v.get(4), 16_777_217.0);
        assert_eq!(v.get(5), 0.0);

        let mut w = Values::Whole(vec![0.0; 3]);
        w.copy_from(1, &Values::Fractional(vec![9.0, 0.1, 7.0]), 1..3);
        assert_eq!(w.to_vec(), [0.0, 0.1, 7.0]);
        assert!(matches!(w, Values::Fractional(_)));

        let mut x = Values::Whole(vec![1.0, 2.0, 3.0, 4.0]);
        x.copy_from(0, &Values::Fractional(vec![8.0, 9.0]), 0..2);
        assert!(matches!(x, Values::Whole(_)), "whole values stay f32");
        x.copy_within(2..4, 1);
        x.truncate(3);
        assert_eq!(x.to_vec(), [8.0, 3.0, 4.0]);
        assert_eq!(x.pick(&[2, 0, 2]).to_vec(), [4.0, 8.0, 4.0]);
        assert_eq!(x.iter_range(1..3).collect::<Vec<_>>(), [3.0, 4.0]);
    }

    /// A gather large enough to be split between threads keeps the order of `rows`.
    #[test]
    fn a_large_pick_keeps_the_order_of_its_rows() {
        let n = 3 * PARALLEL_PICK_ROWS;
        let column: Vec<u64> = (0..n as u64).map(|i| i * 3).collect();
        let rows: Vec<usize> = (0..n).rev().step_by(2).chain([7, 7, 0]).collect();
        let picked = pick(&column, &rows);
        assert_eq!(picked.len(), n / 2 + 3);
        assert_eq!(picked[0], 3 * (n as u64 - 1));
        assert_eq!(picked[1], 3 * (n as u64 - 3));
        assert_eq!(&picked[picked.len() - 3..], [21, 21, 0]);
        assert!(picked.iter().zip(&rows).all(|(v, &r)| *v == 3 * r as u64));
    }
}
