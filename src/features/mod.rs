//! Stage 2, features: one row per customer of the population at each as-of date.
//!
//! Input: [`RawTables`] and a list of as-of dates. Output: a [`FeatureFrame`], stacked by
//! snapshot (ascending) and, within a snapshot, in customer order.
//!
//! Time is in whole days and an as-of date T means the end of day T: an N-day window is
//! (T - N, T], so an event on day T counts and one on day T - N does not. Only what was
//! known at T is used: orders on or before T, tickets created on or before T (open at T if
//! not resolved by the end of day T), surveys answered on or before T. Nothing after T is
//! ever read, which is what makes the features safe to train on (see the leakage test).
//!
//! The population at T is the customers who signed up on or before T and ordered in
//! (T - active_days, T]; the others are counted in [`Population`], not featurised.
//!
//! All snapshots are computed in one pass: each customer's events are sorted by time, so
//! every window of every snapshot is a pair of binary searches in data already in cache.
//! Customers are independent, so the pass runs in parallel and still gives the same rows
//! in the same order for any number of threads.

mod compute;
mod table;

use rayon::prelude::*;

pub use table::to_dataframe;

use crate::data::{Categorical, RawTables, NULL_CODE};
use crate::schema::features::NUMERIC;

/// Default length of the activity window that defines the population.
pub const DEFAULT_ACTIVE_DAYS: i32 = 90;

/// Number of numeric features.
pub const N_NUMERIC: usize = NUMERIC.len();

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeatureConfig {
    pub active_days: i32,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            active_days: DEFAULT_ACTIVE_DAYS,
        }
    }
}

/// Who was in and out of the population at one as-of date.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Population {
    pub as_of: i32,
    /// Signed up and ordered in the activity window: featurised.
    pub active: usize,
    /// Signed up and ordered before, but not in the activity window (win-back candidates).
    pub lapsed: usize,
    /// Signed up but never ordered by the as-of date.
    pub never_ordered: usize,
}

/// Point-in-time features, column-major. Numeric values use NaN for "unknown" (no
/// survey yet, no tickets table, ...); the matrix stage imputes them and adds indicators.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeatureFrame {
    /// Customer number (row of `RawTables::customers`).
    pub customer: Vec<u32>,
    /// The as-of day of the row's snapshot.
    pub snapshot: Vec<i32>,
    /// `numeric[j][row]` is feature `schema::features::NUMERIC[j]`.
    pub numeric: Vec<Vec<f64>>,
    pub segment: Categorical,
    pub region: Categorical,
    pub populations: Vec<Population>,
}

impl FeatureFrame {
    pub fn n_rows(&self) -> usize {
        self.customer.len()
    }

    /// The rows of the snapshot taken at `as_of`, in order.
    pub fn rows_of_snapshot(&self, as_of: i32) -> Vec<usize> {
        (0..self.n_rows())
            .filter(|&r| self.snapshot[r] == as_of)
            .collect()
    }

    /// A frame of the given rows, in the given order (populations are kept whole).
    pub fn select(&self, rows: &[usize]) -> FeatureFrame {
        let pick_codes = |c: &Categorical| Categorical {
            codes: rows.iter().map(|&r| c.codes[r]).collect(),
            levels: c.levels.clone(),
        };
        FeatureFrame {
            customer: rows.iter().map(|&r| self.customer[r]).collect(),
            snapshot: rows.iter().map(|&r| self.snapshot[r]).collect(),
            numeric: self
                .numeric
                .iter()
                .map(|col| rows.iter().map(|&r| col[r]).collect())
                .collect(),
            segment: pick_codes(&self.segment),
            region: pick_codes(&self.region),
            populations: self.populations.clone(),
        }
    }

    /// The column of a numeric feature by name.
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        let idx = NUMERIC.iter().position(|n| *n == name)?;
        Some(&self.numeric[idx])
    }
}

/// Customers per parallel work unit: large enough to amortise scheduling, small enough to
/// balance two to sixteen cores.
const CHUNK: usize = 4096;

/// Builds the features of every snapshot in `as_of` (any order; output is ascending).
pub fn build(raw: &RawTables, as_of: &[i32], config: FeatureConfig) -> FeatureFrame {
    let mut snapshots = as_of.to_vec();
    snapshots.sort_unstable();
    snapshots.dedup();
    let n_customers = raw.customers.len();
    type Chunk = (Vec<Vec<compute::Row>>, Vec<Population>);
    let chunks: Vec<Chunk> = (0..n_customers.div_ceil(CHUNK))
        .into_par_iter()
        .map(|chunk| {
            let start = chunk * CHUNK;
            let end = (start + CHUNK).min(n_customers);
            let mut rows = vec![Vec::new(); snapshots.len()];
            let mut counts = vec![Population::default(); snapshots.len()];
            for customer in start..end {
                for (s, &t) in snapshots.iter().enumerate() {
                    match compute::classify(raw, customer, t, config.active_days) {
                        compute::Status::Active(row) => {
                            counts[s].active += 1;
                            rows[s].push(*row);
                        }
                        compute::Status::Lapsed => counts[s].lapsed += 1,
                        compute::Status::NeverOrdered => counts[s].never_ordered += 1,
                        compute::Status::NotSignedUp => {}
                    }
                }
            }
            (rows, counts)
        })
        .collect();

    let n_rows: usize = chunks.iter().flat_map(|(rows, _)| rows).map(Vec::len).sum();
    let mut frame = FeatureFrame {
        customer: Vec::with_capacity(n_rows),
        snapshot: Vec::with_capacity(n_rows),
        numeric: (0..N_NUMERIC).map(|_| Vec::with_capacity(n_rows)).collect(),
        ..FeatureFrame::default()
    };
    for (s, &t) in snapshots.iter().enumerate() {
        for (rows, _) in &chunks {
            for row in &rows[s] {
                frame.customer.push(row.customer);
                frame.snapshot.push(t);
                for (column, value) in frame.numeric.iter_mut().zip(row.values) {
                    column.push(value);
                }
            }
        }
    }
    frame.segment = select(raw.customers.segment.as_ref(), &frame.customer);
    frame.region = select(raw.customers.region.as_ref(), &frame.customer);
    frame.populations = snapshots
        .iter()
        .enumerate()
        .map(|(s, &t)| {
            let mut total = Population {
                as_of: t,
                ..Population::default()
            };
            for (_, counts) in &chunks {
                total.active += counts[s].active;
                total.lapsed += counts[s].lapsed;
                total.never_ordered += counts[s].never_ordered;
            }
            total
        })
        .collect();
    frame
}

fn select(source: Option<&Categorical>, customers: &[u32]) -> Categorical {
    match source {
        Some(c) => Categorical {
            codes: customers.iter().map(|&i| c.codes[i as usize]).collect(),
            levels: c.levels.clone(),
        },
        None => Categorical {
            codes: vec![NULL_CODE; customers.len()],
            levels: Vec::new(),
        },
    }
}
