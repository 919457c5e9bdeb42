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
mod values;

use std::ops::Range;

use rayon::prelude::*;

pub use table::to_dataframe;
pub use values::Values;

use crate::data::{Categorical, Customers, DataError, RawTables, Tables, TablesRef, NULL_CODE};
use crate::schema::features::{numeric_index, NUMERIC};
use values::pick;

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
    /// `numeric[j].get(row)` is feature `schema::features::NUMERIC[j]`.
    pub numeric: Vec<Values>,
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
        FeatureFrame {
            numeric: self.numeric.iter().map(|c| c.pick(rows)).collect(),
            ..self.select_keys(rows)
        }
    }

    /// Frames of the given rows (each set in its order; populations kept whole), taken out
    /// of this frame a column at a time: each column is freed once every part has its rows
    /// of it, so the peak is the parts and one column, not the frame and the parts.
    pub fn split(self, rows: &[&[usize]]) -> Vec<FeatureFrame> {
        let mut parts: Vec<FeatureFrame> = rows.iter().map(|r| self.select_keys(r)).collect();
        for column in self.numeric {
            for (part, r) in parts.iter_mut().zip(rows) {
                part.numeric.push(column.pick(r));
            }
        }
        parts
    }

    /// [`FeatureFrame::select`] without the numeric columns.
    fn select_keys(&self, rows: &[usize]) -> FeatureFrame {
        let codes = |c: &Categorical| Categorical {
            codes: pick(&c.codes, rows),
            levels: c.levels.clone(),
        };
        FeatureFrame {
            customer: pick(&self.customer, rows),
            snapshot: pick(&self.snapshot, rows),
            numeric: Vec::with_capacity(N_NUMERIC),
            segment: codes(&self.segment),
            region: codes(&self.region),
            populations: self.populations.clone(),
        }
    }

    /// The column of a numeric feature by name.
    pub fn column(&self, name: &str) -> Option<&Values> {
        let idx = numeric_index(name)?;
        Some(&self.numeric[idx])
    }
}

/// Customers per parallel work unit: large enough to amortise scheduling, small enough to
/// balance two to sixteen cores.
const CHUNK: usize = 4096;

/// Work units per thread computed before their rows are moved into the frame's columns:
/// enough to keep every core busy, while the row-major intermediate rows of a wave stay
/// small (8 x 4,096 customers on two cores: about 17 MB of rows for 6 snapshots, where 32
/// units came to about 69 MB; the measured peak of `churn features` moved within noise).
const WAVE_CHUNKS_PER_THREAD: usize = 4;

/// The as-of dates of a frame: ascending, each once.
fn snapshot_dates(as_of: &[i32]) -> Vec<i32> {
    let mut snapshots = as_of.to_vec();
    snapshots.sort_unstable();
    snapshots.dedup();
    snapshots
}

/// Builds the features of every snapshot in `as_of` (any order; output is ascending).
pub fn build(raw: &RawTables, as_of: &[i32], config: FeatureConfig) -> FeatureFrame {
    build_range(raw, 0..raw.customers.len(), as_of, config)
}

/// [`build`] for customers `customers` of `raw` only (the frame's customer numbers are
/// those of `raw`).
fn build_range(
    raw: &RawTables,
    customers: Range<usize>,
    as_of: &[i32],
    config: FeatureConfig,
) -> FeatureFrame {
    let snapshots = snapshot_dates(as_of);
    let mut columns = Columns::<()>::new(snapshots.len(), customers.len(), Order::FirstToLast);
    let mut populations = no_one(&snapshots);
    let chunk_starts: Vec<usize> = customers.clone().step_by(CHUNK).collect();
    let wave_chunks = WAVE_CHUNKS_PER_THREAD * rayon::current_num_threads();
    for wave in chunk_starts.chunks(wave_chunks.max(1)) {
        type Chunk = (Vec<Vec<compute::Row>>, Vec<Population>);
        let chunks: Vec<Chunk> = wave
            .par_iter()
            .map(|&start| {
                let end = (start + CHUNK).min(customers.end);
                let mut rows = vec![Vec::new(); snapshots.len()];
                let mut counts = vec![Population::default(); snapshots.len()];
                let mut values = [f64::NAN; N_NUMERIC];
                for customer in start..end {
                    for (s, &t) in snapshots.iter().enumerate() {
                        match compute::classify(raw, customer, t, config.active_days, &mut values) {
                            compute::Status::Active => {
                                counts[s].active += 1;
                                rows[s].push(compute::Row {
                                    customer: customer as u32,
                                    values,
                                });
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
            for (s, rows) in rows.iter().enumerate() {
                columns.push(s, rows);
                populations[s].add(&counts[s]);
            }
        }
    }
    columns.finish(&snapshots, populations, &raw.customers).0
}

impl Population {
    fn add(&mut self, other: &Population) {
        self.active += other.active;
        self.lapsed += other.lapsed;
        self.never_ordered += other.never_ordered;
    }
}

/// An empty count of each snapshot's population.
fn no_one(snapshots: &[i32]) -> Vec<Population> {
    snapshots
        .iter()
        .map(|&t| Population {
            as_of: t,
            ..Population::default()
        })
        .collect()
}

/// The columns of a frame being filled in customer order (or in reverse, a block of
/// customers at a time: [`Order`]), with a value of type `X` per row. Snapshot s's rows
/// are written from row `s * n_customers` on (backwards: up to row `(s + 1) *
/// n_customers`; no snapshot has more rows than there are customers), so a row goes
/// straight into its place and moves only once, left, when the frame is finished. Space
/// never written is never touched: it costs address space, not memory. Gathering per-snapshot stacks into a new frame instead held
/// the frame twice at its peak (the allocator kept the freed stacks' pages).
struct Columns<X> {
    n_customers: usize,
    order: Order,
    /// Rows written to each snapshot.
    filled: Vec<usize>,
    customer: Vec<u32>,
    numeric: Vec<Values>,
    values: Vec<X>,
}

/// The order in which customers' rows reach a [`Columns`]: by ascending customer, or a
/// block of customers at a time from the last block to the first (each block's rows in
/// customer order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Order {
    FirstToLast,
    LastToFirst,
}

impl<X: Copy + Default> Columns<X> {
    fn new(n_snapshots: usize, n_customers: usize, order: Order) -> Self {
        let len = n_snapshots * n_customers;
        Columns {
            n_customers,
            order,
            filled: vec![0; n_snapshots],
            customer: vec![0; len],
            numeric: (0..N_NUMERIC).map(|j| Values::zeros(j, len)).collect(),
            values: vec![X::default(); len],
        }
    }

    /// Where `len` more rows of snapshot `s` go.
    fn place(&self, s: usize, len: usize) -> usize {
        match self.order {
            Order::FirstToLast => s * self.n_customers + self.filled[s],
            Order::LastToFirst => (s + 1) * self.n_customers - self.filled[s] - len,
        }
    }

    /// Where the rows of each snapshot begin, and how many there are.
    fn spans(&self) -> Vec<(usize, usize)> {
        let n = self.n_customers;
        (self.filled.iter().enumerate())
            .map(|(s, &rows)| match self.order {
                Order::FirstToLast => (s * n, rows),
                Order::LastToFirst => ((s + 1) * n - rows, rows),
            })
            .collect()
    }

    /// The next rows of snapshot `s`, in order (customers reach [`build_range`]'s columns
    /// first to last).
    fn push(&mut self, s: usize, rows: &[compute::Row]) {
        let at = self.place(s, rows.len());
        for (c, row) in self.customer[at..at + rows.len()].iter_mut().zip(rows) {
            *c = row.customer;
        }
        self.numeric
            .par_iter_mut()
            .enumerate()
            .for_each(|(j, column)| column.write(at, rows.iter().map(|row| row.values[j])));
        self.filled[s] += rows.len();
    }

    /// The next rows of snapshot `s` (in the columns' [`Order`]): rows `rows` of `part`,
    /// the frame of a block of customers numbered from `first`, with their `values`.
    fn extend(
        &mut self,
        s: usize,
        part: &FeatureFrame,
        values: &[X],
        rows: Range<usize>,
        first: u32,
    ) {
        let at = self.place(s, rows.len());
        let to = at..at + rows.len();
        for (c, &p) in self.customer[to.clone()]
            .iter_mut()
            .zip(&part.customer[rows.clone()])
        {
            *c = p + first;
        }
        // Column by column in parallel: the first write to a page of a new column costs a
        // page fault, and the faults are shared out among the cores.
        self.numeric
            .par_iter_mut()
            .zip(&part.numeric)
            .for_each(|(column, p)| column.copy_from(at, p, rows.clone()));
        self.values[to].copy_from_slice(&values[rows.clone()]);
        self.filled[s] += rows.len();
    }

    /// The frame of `snapshots` (segment and region taken from `customers`) and the values
    /// of its rows.
    fn finish(
        self,
        snapshots: &[i32],
        populations: Vec<Population>,
        customers: &Customers,
    ) -> (FeatureFrame, Vec<X>) {
        let spans = self.spans();
        let customer = pack(self.customer, &spans);
        let mut snapshot = Vec::with_capacity(customer.len());
        for (&t, &(_, rows)) in snapshots.iter().zip(&spans) {
            snapshot.extend(std::iter::repeat_n(t, rows));
        }
        let frame = FeatureFrame {
            segment: select(customers.segment.as_ref(), &customer),
            region: select(customers.region.as_ref(), &customer),
            numeric: self
                .numeric
                .into_par_iter()
                .map(|mut column| {
                    let len = pack_rows(&spans, |from, at| column.copy_within(from, at));
                    column.truncate(len);
                    column
                })
                .collect(),
            customer,
            snapshot,
            populations,
        };
        (frame, pack(self.values, &spans))
    }
}

/// A column of [`Columns`] with each snapshot's rows (`spans`: start, rows) moved left
/// against the previous snapshot's, and the unused end released.
fn pack<T: Copy>(mut column: Vec<T>, spans: &[(usize, usize)]) -> Vec<T> {
    let len = pack_rows(spans, |from, at| column.copy_within(from, at));
    column.truncate(len);
    column.shrink_to_fit();
    column
}

/// Moves each snapshot's rows of a [`Columns`] column (`spans`: start, rows;
/// `move_rows(from, at)`) left against the previous snapshot's; the packed length.
fn pack_rows(spans: &[(usize, usize)], mut move_rows: impl FnMut(Range<usize>, usize)) -> usize {
    let mut end = 0;
    for &(from, rows) in spans {
        move_rows(from..from + rows, end);
        end += rows;
    }
    end
}

/// Customers per block when the events are read from disk a block at a time (32 work
/// units): a block keeps every core busy and holds about 1/8 of a million-customer base's
/// events.
pub const BLOCK_CUSTOMERS: usize = CHUNK * 32;

/// [`build`] over `tables`: whole when they are in memory; a block of customers at a time
/// when they are the ingested copy, so that only one block's events are ever held.
///
/// # Errors
/// The ingested copy cannot be read.
pub fn build_tables(
    tables: TablesRef,
    as_of: &[i32],
    config: FeatureConfig,
) -> Result<FeatureFrame, DataError> {
    build_with(tables, as_of, config, no_values).map(|(frame, _)| frame)
}

/// A `per_row` for [`build_with`] and [`build_consuming`] that gives no value: for the
/// frame alone.
pub fn no_values<E>(_: &RawTables, frame: &FeatureFrame) -> Result<Vec<()>, E> {
    Ok(vec![(); frame.n_rows()])
}

/// [`build`] over `tables` (as [`build_tables`]), with a value for each row of the frame
/// from `per_row`, which is given a block of customers (renumbered from 0) and its frame;
/// the values are ordered as the frame's rows are (labels are made this way).
///
/// # Errors
/// The ingested copy cannot be read, or `per_row` fails.
pub fn build_with<X: Copy + Default, E: From<DataError>>(
    tables: TablesRef,
    as_of: &[i32],
    config: FeatureConfig,
    mut per_row: impl FnMut(&RawTables, &FeatureFrame) -> Result<Vec<X>, E>,
) -> Result<(FeatureFrame, Vec<X>), E> {
    match tables {
        TablesRef::Loaded(raw) => {
            let frame = build(raw, as_of, config);
            let values = per_row(raw, &frame)?;
            Ok((frame, values))
        }
        TablesRef::Ingested(copy) => build_in_blocks(
            copy.customers(),
            BLOCK_CUSTOMERS,
            |range| Ok(copy.block(range)?),
            per_row,
            as_of,
            config,
        ),
    }
}

/// [`build_with`] over tables that the caller no longer needs, giving back their
/// customers. Tables in memory are read a block of customers at a time from the last
/// block to the first, and each block's events are dropped (their memory
/// given back as soon as its rows are in the frame: [`RawTables::drop_events_from`]), so
/// the events and the frame are never both held whole (at 1M
/// customers and 6 snapshots they are about the same size); the ingested copy is read a
/// block at a time, as by [`build_with`]. The frame and values are those of
/// [`build_with`].
///
/// # Errors
/// As [`build_with`].
pub fn build_consuming<X: Copy + Default, E: From<DataError>>(
    tables: Tables,
    as_of: &[i32],
    config: FeatureConfig,
    per_row: impl FnMut(&RawTables, &FeatureFrame) -> Result<Vec<X>, E>,
) -> Result<(FeatureFrame, Vec<X>, Customers), E> {
    match tables {
        Tables::Loaded(raw) => consume_in_blocks(raw, BLOCK_CUSTOMERS, per_row, as_of, config),
        Tables::Ingested(copy) => {
            let (frame, values) = build_with(TablesRef::Ingested(&copy), as_of, config, per_row)?;
            Ok((frame, values, copy.into_customers()))
        }
    }
}

/// [`build_consuming`] of tables in memory, `block` customers at a time from the last
/// block to the first; `per_row` sees the whole `raw` (its customers numbered as in it),
/// whose events of the customers after the block are gone.
fn consume_in_blocks<X: Copy + Default, E>(
    mut raw: RawTables,
    block: usize,
    mut per_row: impl FnMut(&RawTables, &FeatureFrame) -> Result<Vec<X>, E>,
    as_of: &[i32],
    config: FeatureConfig,
) -> Result<(FeatureFrame, Vec<X>, Customers), E> {
    let snapshots = snapshot_dates(as_of);
    let n_customers = raw.customers.len();
    let mut frame = Blocks::new(&snapshots, n_customers, Order::LastToFirst);
    let starts: Vec<usize> = (0..n_customers).step_by(block.max(1)).collect();
    for &start in starts.iter().rev() {
        let end = (start + block.max(1)).min(n_customers);
        let part = build_range(&raw, start..end, &snapshots, config);
        let values = per_row(&raw, &part)?;
        frame.add(&part, &values, 0);
        raw.drop_events_from(start);
    }
    let (frame, values) = frame.finish(&snapshots, &raw.customers);
    Ok((frame, values, raw.into_customers()))
}

/// [`build`] a block of `block` customers at a time: `load(range)` gives customers `range`
/// of `customers`, renumbered from 0, with their events (as [`RawTables::block`] does), and
/// `per_row` a value for each row of the block's frame. The frame is equal to [`build`] of
/// the whole tables, and the values are in its row order.
///
/// # Errors
/// Those of `load` and `per_row`.
pub fn build_in_blocks<X: Copy + Default, E>(
    customers: &Customers,
    block: usize,
    mut load: impl FnMut(Range<usize>) -> Result<RawTables, E>,
    mut per_row: impl FnMut(&RawTables, &FeatureFrame) -> Result<Vec<X>, E>,
    as_of: &[i32],
    config: FeatureConfig,
) -> Result<(FeatureFrame, Vec<X>), E> {
    let snapshots = snapshot_dates(as_of);
    let n_customers = customers.len();
    let mut frame = Blocks::new(&snapshots, n_customers, Order::FirstToLast);
    for start in (0..n_customers).step_by(block.max(1)) {
        let end = (start + block.max(1)).min(n_customers);
        let raw = load(start..end)?;
        let part = build(&raw, &snapshots, config);
        let values = per_row(&raw, &part)?;
        drop(raw);
        let first = u32::try_from(start).expect("customer numbers fit in u32");
        frame.add(&part, &values, first);
    }
    Ok(frame.finish(&snapshots, customers))
}

/// A frame put together from the frames of blocks of customers, in the blocks' [`Order`].
struct Blocks<X> {
    columns: Columns<X>,
    populations: Vec<Population>,
}

impl<X: Copy + Default> Blocks<X> {
    fn new(snapshots: &[i32], n_customers: usize, order: Order) -> Self {
        Blocks {
            columns: Columns::new(snapshots.len(), n_customers, order),
            populations: no_one(snapshots),
        }
    }

    /// The frame of the next block, its customers numbered from `first`, with a value
    /// per row.
    fn add(&mut self, part: &FeatureFrame, values: &[X], first: u32) {
        // The part's rows of snapshot s follow those of the snapshots before it.
        let mut row = 0;
        for (s, p) in part.populations.iter().enumerate() {
            (self.columns).extend(s, part, values, row..row + p.active, first);
            row += p.active;
            self.populations[s].add(p);
        }
    }

    fn finish(self, snapshots: &[i32], customers: &Customers) -> (FeatureFrame, Vec<X>) {
        self.columns.finish(snapshots, self.populations, customers)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::sample;

    /// Equal frames, NaN for NaN (`PartialEq` on `f64` says NaN != NaN).
    #[track_caller]
    fn assert_same_frame(a: &FeatureFrame, b: &FeatureFrame, what: &str) {
        let bits =
            |f: &FeatureFrame| -> Vec<Vec<u64>> { f.numeric.iter().map(Values::bits).collect() };
        assert_eq!(a.customer, b.customer, "{what}: customers");
        assert_eq!(a.snapshot, b.snapshot, "{what}: snapshots");
        assert_eq!(bits(a), bits(b), "{what}: values");
        assert_eq!(a.segment, b.segment, "{what}: segment");
        assert_eq!(a.region, b.region, "{what}: region");
        assert_eq!(a.populations, b.populations, "{what}: populations");
    }

    /// Blocks are an implementation detail: any block size (1, sizes that do not divide
    /// the base, larger than the base) gives the frame of the whole tables, for several
    /// snapshots at once; an error while loading a block is returned as it is.
    #[test]
    fn any_block_size_gives_the_frame_of_the_whole_tables() {
        let (_dir, raw, as_of, whole) = three_snapshots();
        let config = FeatureConfig::default();
        assert!(
            whole
                .populations
                .iter()
                .all(|p| p.active > 100 && p.lapsed > 0),
            "{:?}",
            whole.populations
        );
        let n = raw.customers.len();
        for block in [1, 7, 256, n, 5000] {
            let mut loaded = 0;
            // Each row's value: its block-local customer number and snapshot, which the
            // gathered values must line up with the frame's rows.
            let (blocks, values) = build_in_blocks(
                &raw.customers,
                block,
                |range| {
                    loaded += range.len();
                    Ok::<_, String>(raw.block(range))
                },
                |_, frame| {
                    Ok(frame
                        .customer
                        .iter()
                        .zip(&frame.snapshot)
                        .map(|(&c, &t)| (c, t))
                        .collect())
                },
                &as_of,
                config,
            )
            .unwrap();
            assert_eq!(loaded, n, "every customer is loaded once (block {block})");
            assert_same_frame(&blocks, &whole, &format!("block {block}"));
            let expected: Vec<(u32, i32)> = whole
                .customer
                .iter()
                .zip(&whole.snapshot)
                .map(|(&c, &t)| (c % block as u32, t))
                .collect();
            assert_eq!(values, expected, "block {block}");
        }
        let failing = build_in_blocks(
            &raw.customers,
            300,
            |range| {
                if range.start == 300 {
                    Err(format!("cannot read {range:?}"))
                } else {
                    Ok(raw.block(range))
                }
            },
            |_, frame| Ok(vec![(); frame.n_rows()]),
            &as_of,
            config,
        );
        assert_eq!(failing.unwrap_err(), "cannot read 300..600");
    }

    /// Tables consumed a block at a time from the end give the frame of the whole tables
    /// and the customers whole, for any block size; each block's values are made while its
    /// customers' events are still there (the labels need them), and the events of the
    /// blocks already done are gone (their memory given back).
    #[test]
    fn consuming_the_tables_block_by_block_gives_the_frame_of_the_whole_tables() {
        let (_dir, raw, as_of, whole) = three_snapshots();
        let config = FeatureConfig::default();
        let n = raw.customers.len();
        // Per row: the customer's number of orders, from the events `per_row` is given.
        let orders_of = |raw: &RawTables, frame: &FeatureFrame| -> Vec<usize> {
            (frame.customer.iter())
                .map(|&c| raw.orders.offsets.of(c as usize).len())
                .collect()
        };
        let expected = orders_of(&raw, &whole);
        assert!(expected.iter().any(|&k| k > 1));
        for block in [1, 7, 256, n, 5000] {
            let mut events_left = Vec::new();
            let (frame, values, customers) = consume_in_blocks(
                raw.clone(),
                block,
                |raw, frame| {
                    events_left.push(raw.orders.offsets.0.len() - 1);
                    Ok::<_, String>(orders_of(raw, frame))
                },
                &as_of,
                config,
            )
            .unwrap();
            assert_same_frame(&frame, &whole, &format!("block {block}"));
            assert_eq!(values, expected, "block {block}");
            assert_eq!(customers, raw.customers, "block {block}");
            // Blocks from the last to the first, each seeing the events up to its end.
            let ends: Vec<usize> = (0..n)
                .step_by(block)
                .map(|start| (start + block).min(n))
                .rev()
                .collect();
            assert_eq!(events_left, ends, "block {block}");
        }
        let mut dropped = raw.clone();
        dropped.drop_events_from(10);
        assert_eq!(dropped.orders.offsets.0, raw.orders.offsets.0[..=10]);
        assert_eq!(dropped.orders.day.len(), raw.orders.offsets.0[10]);
        assert_eq!(dropped.orders.day.capacity(), dropped.orders.day.len());
        let tickets = dropped.tickets.as_ref().unwrap();
        assert_eq!(
            tickets.created.len(),
            raw.tickets.as_ref().unwrap().offsets.0[10]
        );
    }

    /// 700 generated customers, three snapshots given out of order, and their frame.
    fn three_snapshots() -> (tempfile::TempDir, RawTables, [i32; 3], FeatureFrame) {
        let (dir, raw) = sample(700);
        let as_of = [raw.data_end - 200, raw.data_end, raw.data_end - 30];
        let whole = build(&raw, &as_of, FeatureConfig::default());
        (dir, raw, as_of, whole)
    }

    /// 300 generated customers and their frame at the end of the data and 30 days before.
    fn two_snapshots() -> (tempfile::TempDir, RawTables, FeatureFrame) {
        let (dir, raw) = sample(300);
        let as_of = [raw.data_end - 30, raw.data_end];
        let frame = build(&raw, &as_of, FeatureConfig::default());
        (dir, raw, frame)
    }

    /// The table of a range of rows is that range of the whole table, labels included.
    #[test]
    fn the_table_of_a_range_of_rows_is_that_slice_of_the_whole_table() {
        let (_dir, raw, frame) = two_snapshots();
        let n = frame.n_rows();
        assert!(n > 100, "{n}");
        let labels: Vec<bool> = (0..n).map(|i| i % 3 == 0).collect();
        let table = |rows| to_dataframe(&frame, rows, &raw.customers, Some(&labels)).unwrap();
        let whole = table(0..n);
        assert_eq!(whole.height(), n);
        for (start, end) in [(0, 0), (0, 1), (17, 60), (n - 5, n)] {
            let part = table(start..end);
            let expected = whole.slice(start as i64, end - start);
            assert!(part.equals_missing(&expected), "{start}..{end}");
        }
        let first = &raw.customers.ids[frame.customer[17] as usize];
        let one = table(17..18);
        let id = one.column("customer_id").unwrap().get(0).unwrap();
        assert_eq!(id.get_str(), Some(first.as_str()));
    }

    /// Splitting a frame gives what selecting each set of rows gives, sets that share rows
    /// and an empty set included.
    #[test]
    fn split_gives_the_frames_select_gives() {
        let (_dir, raw, frame) = two_snapshots();
        let n = frame.n_rows();
        let sets: Vec<Vec<usize>> = vec![
            (0..n).step_by(2).collect(),
            vec![],
            (n / 2..n).rev().collect(),
            frame.rows_of_snapshot(raw.data_end),
        ];
        let slices: Vec<&[usize]> = sets.iter().map(Vec::as_slice).collect();
        let expected: Vec<FeatureFrame> = sets.iter().map(|r| frame.select(r)).collect();
        let parts = frame.split(&slices);
        assert_eq!(parts.len(), 4);
        for (i, (part, want)) in parts.iter().zip(&expected).enumerate() {
            assert_eq!(part.n_rows(), sets[i].len());
            assert_same_frame(part, want, &format!("set {i}"));
        }
    }
}
