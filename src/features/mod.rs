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

/// Work units computed before their rows are moved into the frame's columns (32 x 4,096
/// customers): the row-major intermediate rows never hold more than one wave of the base,
/// so the peak is about one frame, not two.
const WAVE_CHUNKS: usize = 32;

/// The rows of one snapshot, column-major, as they are gathered.
struct Stack {
    customer: Vec<u32>,
    numeric: Vec<Vec<f64>>,
}

/// Builds the features of every snapshot in `as_of` (any order; output is ascending).
pub fn build(raw: &RawTables, as_of: &[i32], config: FeatureConfig) -> FeatureFrame {
    let mut snapshots = as_of.to_vec();
    snapshots.sort_unstable();
    snapshots.dedup();
    let n_customers = raw.customers.len();
    let mut stacks: Vec<Stack> = snapshots
        .iter()
        .map(|_| Stack {
            customer: Vec::new(),
            numeric: vec![Vec::new(); N_NUMERIC],
        })
        .collect();
    let mut populations: Vec<Population> = snapshots
        .iter()
        .map(|&t| Population {
            as_of: t,
            ..Population::default()
        })
        .collect();
    let chunk_ids: Vec<usize> = (0..n_customers.div_ceil(CHUNK)).collect();
    for wave in chunk_ids.chunks(WAVE_CHUNKS) {
        type Chunk = (Vec<Vec<compute::Row>>, Vec<Population>);
        let chunks: Vec<Chunk> = wave
            .par_iter()
            .map(|&chunk| {
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
        // Chunks in customer order, so each snapshot's rows stay in customer order.
        for (rows, counts) in chunks {
            for (s, rows) in rows.into_iter().enumerate() {
                let stack = &mut stacks[s];
                for row in rows {
                    stack.customer.push(row.customer);
                    for (column, value) in stack.numeric.iter_mut().zip(row.values) {
                        column.push(value);
                    }
                }
                populations[s].active += counts[s].active;
                populations[s].lapsed += counts[s].lapsed;
                populations[s].never_ordered += counts[s].never_ordered;
            }
        }
    }

    // Stack the snapshots column by column, freeing each snapshot's column once copied:
    // the peak is the frame plus one column of one snapshot.
    let n_rows: usize = stacks.iter().map(|s| s.customer.len()).sum();
    let mut snapshot = Vec::with_capacity(n_rows);
    for (stack, &t) in stacks.iter().zip(&snapshots) {
        snapshot.extend(std::iter::repeat_n(t, stack.customer.len()));
    }
    let numeric = (0..N_NUMERIC)
        .map(|j| {
            let parts = stacks.iter_mut().map(|s| std::mem::take(&mut s.numeric[j]));
            concat_freeing(parts, n_rows)
        })
        .collect();
    let customer = concat_freeing(
        stacks.iter_mut().map(|s| std::mem::take(&mut s.customer)),
        n_rows,
    );
    FeatureFrame {
        segment: select(raw.customers.segment.as_ref(), &customer),
        region: select(raw.customers.region.as_ref(), &customer),
        customer,
        snapshot,
        numeric,
        populations,
    }
}

/// Concatenates `parts`, dropping each as soon as it is copied.
fn concat_freeing<T: Copy>(parts: impl Iterator<Item = Vec<T>>, len: usize) -> Vec<T> {
    let mut out = Vec::with_capacity(len);
    for part in parts {
        out.extend_from_slice(&part);
    }
    out
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
