//! Stage 1, ingest: the four raw tables of a data directory, read (plain CSV by `csv.rs`,
//! anything else by polars), checked against the data contract (see `schema`), and turned
//! into compact per-customer arrays.
//!
//! Input: a directory holding `customers`, `orders` and optionally `tickets` and `surveys`,
//! each as `<table>.csv`, `<table>.parquet` or a directory `<table>/` of part files.
//! Output: [`RawTables`], in which customers are numbered `0..n` in file order and every
//! event table is grouped by that number (CSR offsets) and sorted by time within a
//! customer. Later stages never see a string id or a bad value.
//!
//! Every check runs before anything is returned: [`inspect`] reports all problems found
//! (for `churn validate`), [`load`] refuses data with any problem and names the file,
//! column, first row and value of each.

mod csv;
mod direct;
mod fingerprint;
mod mapping;
mod problem;
mod read;
mod store;

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::OnceLock;

use polars::prelude::PolarsError;
use rayon::prelude::*;
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

pub use fingerprint::{fingerprint, Fingerprint};
pub use mapping::{ColumnMap, MappingError};
use problem::Tally;
pub use problem::{Problem, ProblemKind};
use read::{ColumnRef, Origin, Part};
pub use store::{store_path, IngestedCopy};

use crate::dates;
use crate::schema::{self, Table};

/// Marks a null in a [`Categorical`]'s codes.
pub const NULL_CODE: u32 = u32::MAX;

/// A text column coded as integers; `levels` are sorted, so codes are stable.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Categorical {
    pub codes: Vec<u32>,
    pub levels: Vec<String>,
}

impl Categorical {
    /// Codes the values: each label numbered where it first appears, then the few
    /// distinct labels sorted and the codes renumbered.
    #[cfg(test)]
    fn from_values(values: Vec<Option<String>>) -> Categorical {
        let mut coder = Coder::default();
        coder.append(Coder::part(values.iter().map(Option::as_deref)), 0);
        coder.finish(values.len())
    }

    /// The level of row `idx`, or `None` for a null.
    pub fn get(&self, idx: usize) -> Option<&str> {
        self.level(self.codes[idx])
    }

    /// The level of `code` (of this column, or of a slice or a selection of its rows,
    /// which keep its levels), or `None` for a null.
    pub fn level(&self, code: u32) -> Option<&str> {
        (code != NULL_CODE).then(|| self.levels[code as usize].as_str())
    }

    /// The rows in `range`, with the same levels (so codes keep their meaning).
    pub fn slice(&self, range: Range<usize>) -> Categorical {
        Categorical {
            codes: self.codes[range].to_vec(),
            levels: self.levels.clone(),
        }
    }
}

/// A label column coded part by part: each part codes its own values while it is read (in
/// parallel with other parts), then its few levels are renumbered into the column's as
/// the parts are merged in file order. No label is held as a string per row.
#[derive(Default)]
struct Coder {
    codes: Vec<u32>,
    /// In the order first seen; sorted by [`Coder::finish`].
    levels: Vec<String>,
    seen: HashMap<String, u32>,
}

/// One part's codes, into its own levels (in the order first seen).
type PartCodes = (Vec<u32>, Vec<String>);

impl Coder {
    /// Codes one part's values; `None` is a null.
    fn part<'a>(values: impl Iterator<Item = Option<&'a str>>) -> PartCodes {
        let mut seen: HashMap<&str, u32> = HashMap::new();
        let mut levels = Vec::new();
        let codes = values
            .map(|v| match v {
                Some(v) => *seen.entry(v).or_insert_with(|| {
                    levels.push(v.to_string());
                    levels.len() as u32 - 1
                }),
                None => NULL_CODE,
            })
            .collect();
        (codes, levels)
    }

    /// Appends a part's codes after `before` rows, the rows of earlier parts without the
    /// column being null.
    fn append(&mut self, (codes, levels): PartCodes, before: usize) {
        self.codes.resize(before, NULL_CODE);
        let ours: Vec<u32> = levels
            .into_iter()
            .map(|level| {
                let next = self.levels.len() as u32;
                *self.seen.entry(level).or_insert_with_key(|level| {
                    self.levels.push(level.clone());
                    next
                })
            })
            .collect();
        self.codes.extend(codes.iter().map(|&c| match c {
            NULL_CODE => NULL_CODE,
            c => ours[c as usize],
        }));
    }

    /// The column of `rows` rows (rows after the last part with the column are null),
    /// its levels sorted so that codes do not depend on the order rows come in.
    fn finish(mut self, rows: usize) -> Categorical {
        self.codes.resize(rows, NULL_CODE);
        let mut order: Vec<u32> = (0..self.levels.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| self.levels[a as usize].cmp(&self.levels[b as usize]));
        let mut sorted_code = vec![0u32; order.len()];
        for (rank, &seen) in order.iter().enumerate() {
            sorted_code[seen as usize] = rank as u32;
        }
        for code in self.codes.iter_mut().filter(|c| **c != NULL_CODE) {
            *code = sorted_code[*code as usize];
        }
        let mut levels: Vec<Option<String>> = self.levels.into_iter().map(Some).collect();
        Categorical {
            codes: self.codes,
            levels: order
                .iter()
                .map(|&seen| levels[seen as usize].take().expect("each level once"))
                .collect(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Customers {
    pub ids: Vec<String>,
    pub signup_day: Vec<i32>,
    /// `None` when the column is absent.
    pub segment: Option<Categorical>,
    pub region: Option<Categorical>,
    /// `None` when the column is absent; otherwise the explicit cancellation day, if any.
    pub churned_at: Option<Vec<Option<i32>>>,
    /// Columns beyond the contract (name, email, ...), as named in the file.
    pub extra_columns: Vec<String>,
}

impl Customers {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Customers `range`, renumbered from 0.
    pub fn slice(&self, range: Range<usize>) -> Customers {
        Customers {
            ids: self.ids[range.clone()].to_vec(),
            signup_day: self.signup_day[range.clone()].to_vec(),
            segment: self.segment.as_ref().map(|c| c.slice(range.clone())),
            region: self.region.as_ref().map(|c| c.slice(range.clone())),
            churned_at: self.churned_at.as_ref().map(|c| c[range].to_vec()),
            extra_columns: self.extra_columns.clone(),
        }
    }
}

/// Event rows grouped by customer: rows `offsets[c]..offsets[c + 1]` belong to customer `c`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Offsets(pub Vec<usize>);

impl Offsets {
    pub fn of(&self, customer: usize) -> Range<usize> {
        self.0[customer]..self.0[customer + 1]
    }

    /// The offsets of customers `range`, renumbered from 0, and the event rows they cover.
    pub fn slice(&self, range: Range<usize>) -> (Offsets, Range<usize>) {
        let bounds = &self.0[range.start..=range.end];
        let first = bounds[0];
        let rows = first..bounds[bounds.len() - 1];
        (Offsets(bounds.iter().map(|&o| o - first).collect()), rows)
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Orders {
    pub offsets: Offsets,
    pub day: Vec<i32>,
    pub amount: Vec<f64>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tickets {
    pub offsets: Offsets,
    /// Seconds since the epoch.
    pub created: Vec<i64>,
    pub resolved: Vec<Option<i64>>,
    /// Index into [`schema::PRIORITIES`].
    pub priority: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SurveyKind {
    Csat,
    Nps,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Surveys {
    pub offsets: Offsets,
    pub at: Vec<i64>,
    pub kind: Vec<SurveyKind>,
    pub score: Vec<u8>,
}

/// The validated input of every later stage.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawTables {
    pub customers: Customers,
    pub orders: Orders,
    /// `None` when the data has no tickets table: ticket features are then null.
    pub tickets: Option<Tickets>,
    pub surveys: Option<Surveys>,
    /// The last day with any order, ticket or survey: the end of the data.
    pub data_end: i32,
}

impl RawTables {
    /// The customers alone, for a stage that has computed all it needs from the events:
    /// orders, tickets and surveys are freed here rather than at the end of the command.
    pub fn into_customers(self) -> Customers {
        self.customers
    }

    /// Customers `range` (renumbered from 0) with their events: what a stage that works
    /// a block of customers at a time sees. The ingested copy reads the same block from
    /// disk without holding the rest ([`IngestedCopy::block`]).
    pub fn block(&self, range: Range<usize>) -> RawTables {
        let (offsets, rows) = self.orders.offsets.slice(range.clone());
        let orders = Orders {
            offsets,
            day: self.orders.day[rows.clone()].to_vec(),
            amount: self.orders.amount[rows].to_vec(),
        };
        let tickets = self.tickets.as_ref().map(|t| {
            let (offsets, rows) = t.offsets.slice(range.clone());
            Tickets {
                offsets,
                created: t.created[rows.clone()].to_vec(),
                resolved: t.resolved[rows.clone()].to_vec(),
                priority: t.priority[rows].to_vec(),
            }
        });
        let surveys = self.surveys.as_ref().map(|s| {
            let (offsets, rows) = s.offsets.slice(range.clone());
            Surveys {
                offsets,
                at: s.at[rows.clone()].to_vec(),
                kind: s.kind[rows.clone()].to_vec(),
                score: s.score[rows].to_vec(),
            }
        });
        RawTables {
            customers: self.customers.slice(range),
            orders,
            tickets,
            surveys,
            data_end: self.data_end,
        }
    }

    /// Drops the events of customers `from..` and gives their memory back: for a stage
    /// that reads the customers from the last to the first and is done with these
    /// (`features::build_consuming`), so the events shrink as its output grows. Afterwards
    /// only the events of customers before `from` may be read.
    pub fn drop_events_from(&mut self, from: usize) {
        fn keep<T>(column: &mut Vec<T>, rows: usize) {
            column.truncate(rows);
            column.shrink_to_fit();
        }
        fn keep_customers(offsets: &mut Offsets, from: usize) -> usize {
            let rows = offsets.0[from];
            keep(&mut offsets.0, from + 1);
            rows
        }
        let rows = keep_customers(&mut self.orders.offsets, from);
        keep(&mut self.orders.day, rows);
        keep(&mut self.orders.amount, rows);
        if let Some(t) = &mut self.tickets {
            let rows = keep_customers(&mut t.offsets, from);
            keep(&mut t.created, rows);
            keep(&mut t.resolved, rows);
            keep(&mut t.priority, rows);
        }
        if let Some(s) = &mut self.surveys {
            let rows = keep_customers(&mut s.offsets, from);
            keep(&mut s.at, rows);
            keep(&mut s.kind, rows);
            keep(&mut s.score, rows);
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    pub columns: ColumnMap,
    /// Drop events of customers missing from the customers table (with a warning)
    /// instead of refusing the data.
    pub drop_unknown_customers: bool,
}

/// What was read, for `churn validate` and for summaries.
#[derive(Clone, Debug, Default)]
pub struct TableReport {
    pub table: Option<Table>,
    pub files: Vec<PathBuf>,
    pub rows: usize,
    /// Range of the table's main date column, as day numbers.
    pub date_range: Option<(i32, i32)>,
    /// (column as named in the file, null count), in file order.
    pub nulls: Vec<(String, usize)>,
}

#[derive(Clone, Debug, Default)]
pub struct DataReport {
    pub tables: Vec<TableReport>,
    pub warnings: Vec<String>,
    pub problems: Vec<Problem>,
}

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{file} has no column {column:?} to keep (its columns: {available})")]
    NoSuchColumn {
        file: PathBuf,
        column: String,
        available: String,
    },
    #[error("reading {file}: {message}")]
    Read { file: PathBuf, message: String },
    #[error("data directory {0} does not exist")]
    NoDataDir(PathBuf),
    #[error("{0} is not a directory")]
    NotADirectory(PathBuf),
    #[error("{}", describe_problems(.problems, .dir))]
    Invalid {
        dir: PathBuf,
        problems: Vec<Problem>,
    },
    #[error(transparent)]
    Write(#[from] crate::io::WriteError),
}

fn describe_problems(problems: &[Problem], dir: &Path) -> String {
    const SHOWN: usize = 10;
    let mut text = format!(
        "the data in {} breaks the data contract ({} problem{}):",
        dir.display(),
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for p in problems.iter().take(SHOWN) {
        text.push_str("\n  - ");
        text.push_str(&p.to_string());
    }
    if problems.len() > SHOWN {
        text.push_str(&format!(
            "\n  ... and {} more; `churn validate --data {}` lists them all",
            problems.len() - SHOWN,
            dir.display()
        ));
    }
    text
}

/// Reads and checks the data directory; refuses it if anything is wrong.
///
/// # Errors
/// [`DataError::Invalid`] listing every problem found, or a missing directory.
pub fn load(dir: &Path, opts: &LoadOptions) -> Result<(RawTables, DataReport), DataError> {
    let (tables, report) = read_all(dir, opts)?;
    if !report.problems.is_empty() {
        return Err(DataError::Invalid {
            dir: dir.to_path_buf(),
            problems: report.problems,
        });
    }
    Ok((tables, report))
}

/// Where the tables given by [`open`] came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Read and checked from the files: there is no ingested copy, or it was not asked for.
    Files,
    /// Read from the fresh ingested copy at this path.
    Ingested(PathBuf),
    /// Read from the files because the ingested copy at `path` is stale or damaged, for
    /// `reason`.
    FilesOverStaleCopy { path: PathBuf, reason: String },
}

/// The checked tables of a data directory: read from the files, or the fresh ingested
/// copy, whose customers are in memory and whose events are read from disk when asked for,
/// all at once or a block of customers at a time.
#[derive(Debug)]
pub enum Tables {
    Loaded(RawTables),
    Ingested(IngestedCopy),
}

/// A borrowed [`Tables`], for the stages that read them: tables in memory (also any
/// [`RawTables`] a caller holds) or the ingested copy.
#[derive(Clone, Copy, Debug)]
pub enum TablesRef<'a> {
    Loaded(&'a RawTables),
    Ingested(&'a IngestedCopy),
}

impl From<RawTables> for Tables {
    fn from(raw: RawTables) -> Self {
        Tables::Loaded(raw)
    }
}

impl<'a> From<&'a RawTables> for TablesRef<'a> {
    fn from(raw: &'a RawTables) -> Self {
        TablesRef::Loaded(raw)
    }
}

impl<'a> TablesRef<'a> {
    pub fn customers(self) -> &'a Customers {
        match self {
            TablesRef::Loaded(raw) => &raw.customers,
            TablesRef::Ingested(copy) => copy.customers(),
        }
    }

    pub fn data_end(self) -> i32 {
        match self {
            TablesRef::Loaded(raw) => raw.data_end,
            TablesRef::Ingested(copy) => copy.data_end(),
        }
    }

    /// The tables' [`Fingerprint`]: hashed from tables in memory, or the one the ingested
    /// copy recorded when it was written (without reading its events).
    pub fn fingerprint(self) -> Fingerprint {
        match self {
            TablesRef::Loaded(raw) => fingerprint(raw),
            TablesRef::Ingested(copy) => copy.fingerprint().clone(),
        }
    }
}

impl Tables {
    pub fn view(&self) -> TablesRef<'_> {
        match self {
            Tables::Loaded(raw) => TablesRef::Loaded(raw),
            Tables::Ingested(copy) => TablesRef::Ingested(copy),
        }
    }

    pub fn customers(&self) -> &Customers {
        self.view().customers()
    }

    pub fn data_end(&self) -> i32 {
        self.view().data_end()
    }

    /// All of the tables in memory.
    ///
    /// # Errors
    /// The ingested copy cannot be read (an I/O failure: it was checked when opened).
    pub fn into_raw(self) -> Result<RawTables, DataError> {
        match self {
            Tables::Loaded(raw) => Ok(raw),
            Tables::Ingested(copy) => copy.into_tables(),
        }
    }

    /// The customers alone; the events are freed (or never read).
    pub fn into_customers(self) -> Customers {
        match self {
            Tables::Loaded(raw) => raw.into_customers(),
            Tables::Ingested(copy) => copy.into_customers(),
        }
    }
}

/// The tables of `dir` as [`load`] gives them, with its warnings: the ingested copy (see
/// `churn ingest`) while it is fresh, else read from the files. With `use_copy` false the
/// files are always read.
///
/// # Errors
/// As [`load`].
pub fn open_tables(
    dir: &Path,
    opts: &LoadOptions,
    use_copy: bool,
) -> Result<(Tables, Vec<String>, Source), DataError> {
    let source = if use_copy {
        match store::read(dir, opts) {
            store::Stored::Fresh { copy, warnings } => {
                return Ok((
                    Tables::Ingested(*copy),
                    warnings,
                    Source::Ingested(store_path(dir)),
                ))
            }
            store::Stored::Stale(reason) => Source::FilesOverStaleCopy {
                path: store_path(dir),
                reason,
            },
            store::Stored::Missing => Source::Files,
        }
    } else {
        Source::Files
    };
    let (tables, report) = load(dir, opts)?;
    Ok((Tables::Loaded(tables), report.warnings, source))
}

/// [`open_tables`], with all of the tables in memory.
///
/// # Errors
/// As [`open_tables`] and [`Tables::into_raw`].
pub fn open(
    dir: &Path,
    opts: &LoadOptions,
    use_copy: bool,
) -> Result<(RawTables, Vec<String>, Source), DataError> {
    let (tables, warnings, source) = open_tables(dir, opts, use_copy)?;
    Ok((tables.into_raw()?, warnings, source))
}

/// Reads and checks the files of `dir` like [`load`], then writes their ingested copy
/// (to [`store_path`]) for later commands; returns the tables, the report and the path.
///
/// # Errors
/// As [`load`], or the copy cannot be written (nothing half-written is left).
pub fn ingest(
    dir: &Path,
    opts: &LoadOptions,
) -> Result<(RawTables, DataReport, PathBuf), DataError> {
    // Listed before reading, so that a file changed meanwhile makes the copy stale.
    let files = store::source_files(dir);
    let (tables, report) = load(dir, opts)?;
    let files = files.ok_or_else(|| DataError::Read {
        file: dir.to_path_buf(),
        message: "the table files could not be listed to record their sizes and times".to_string(),
    })?;
    let path = store::write(dir, files, opts, &tables, &report.warnings)?;
    Ok((tables, report, path))
}

/// Runs every check without stopping at the first problem.
///
/// # Errors
/// Only when the directory itself is missing; problems in the data are in the report.
pub fn inspect(dir: &Path, opts: &LoadOptions) -> Result<DataReport, DataError> {
    read_all(dir, opts).map(|(_, report)| report)
}

/// A named column of optional text values.
pub type TextColumn = (String, Vec<Option<String>>);

/// Reads extra customer columns (as text), one value per customer number, in the order
/// of `load`. Used to carry columns such as name or email through to the at-risk list.
///
/// # Errors
/// A column the customers table does not have (the message lists those it has), or an
/// unreadable file.
pub fn read_customer_columns(dir: &Path, names: &[String]) -> Result<Vec<TextColumn>, DataError> {
    let mut out: Vec<(String, Vec<Option<String>>)> =
        names.iter().map(|n| (n.clone(), Vec::new())).collect();
    if names.is_empty() {
        return Ok(out);
    }
    let parts = match read::locate(dir, Table::Customers) {
        Ok(Some(parts)) => parts,
        Ok(None) => return Err(DataError::NoDataDir(dir.join(Table::Customers.name()))),
        Err(problem) => {
            return Err(DataError::Invalid {
                dir: dir.to_path_buf(),
                problems: vec![*problem],
            })
        }
    };
    for part in &parts {
        let read_err = |e: PolarsError| DataError::Read {
            file: part.path.clone(),
            message: e.to_string(),
        };
        let mut source = read::Source::open(part).map_err(read_err)?;
        let available = source.column_names().map_err(read_err)?;
        if let Some(missing) = names.iter().find(|n| !available.contains(n)) {
            return Err(DataError::NoSuchColumn {
                file: part.path.clone(),
                column: missing.clone(),
                available: available.join(", "),
            });
        }
        let frame = source.read_columns(names).map_err(read_err)?;
        for (column, (_, values)) in frame.iter().zip(out.iter_mut()) {
            let text = read::texts(column).map_err(read_err)?;
            values.extend(text.iter().map(|v| v.map(str::to_string)));
        }
    }
    Ok(out)
}

fn read_all(dir: &Path, opts: &LoadOptions) -> Result<(RawTables, DataReport), DataError> {
    if !dir.exists() {
        return Err(DataError::NoDataDir(dir.to_path_buf()));
    }
    if !dir.is_dir() {
        return Err(DataError::NotADirectory(dir.to_path_buf()));
    }
    let mut report = DataReport::default();
    let mut ctx = Reader {
        dir,
        opts,
        report: &mut report,
    };
    let (customers, map) = ctx.customers();
    let index = match map {
        Some(map) => CustomerIndex::new(map, &customers.ids),
        None => CustomerIndex::sorted(&customers.ids),
    };
    let orders = ctx.orders(&index);
    let tickets = ctx.tickets(&index);
    let surveys = ctx.surveys(&index);
    let data_end = [
        orders.day.iter().copied().max(),
        tickets
            .as_ref()
            .and_then(|t| t.created.iter().copied().max().map(dates::day_of)),
        surveys
            .as_ref()
            .and_then(|s| s.at.iter().copied().max().map(dates::day_of)),
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(0);
    let tables = RawTables {
        customers,
        orders,
        tickets,
        surveys,
        data_end,
    };
    Ok((tables, report))
}

/// Customer id -> customer number.
struct CustomerIndex<'a> {
    /// Customer number -> id.
    ids: &'a [String],
    /// No id repeats, so `ids[k] == id` means that `id` is customer `k`.
    unique: bool,
    /// Each id follows the one before it in [`id_order`] (customers exported by id), so
    /// an id after a known customer can be searched for in `ids` itself.
    sorted: bool,
    /// Id -> number (the first row of a repeated id). Built with the index when the ids
    /// are not sorted, else on the first lookup that the order cannot answer: a step back
    /// to an earlier customer, or an unknown id.
    map: OnceLock<HashMap<IdKey, u32, IdHashing>>,
}

impl<'a> CustomerIndex<'a> {
    fn new(map: HashMap<IdKey, u32, IdHashing>, ids: &'a [String]) -> CustomerIndex<'a> {
        CustomerIndex {
            unique: map.len() == ids.len(),
            sorted: false,
            map: OnceLock::from(map),
            ids,
        }
    }

    /// The index of `ids` that increase in [`id_order`] (so none repeats), without a
    /// hash table until one is needed.
    fn sorted(ids: &'a [String]) -> CustomerIndex<'a> {
        CustomerIndex {
            unique: true,
            sorted: true,
            map: OnceLock::new(),
            ids,
        }
    }

    /// The number of customers.
    fn n(&self) -> usize {
        self.ids.len()
    }

    /// False when the customers table itself failed, so that events are not all reported
    /// as unknown customers.
    fn usable(&self) -> bool {
        !self.ids.is_empty()
    }

    /// The number of `id`. When `next` is given, customers `next` to `next + LOOK_AHEAD - 1`
    /// are tried first: events exported in the order of the customers table go from one
    /// customer to a later one close by (the next, or a few on where customers have no
    /// tickets or surveys), and comparing with those ids (read in order, so from cache)
    /// saves the hash table's cache misses. Sorted ids are then searched from there on.
    fn find(&self, id: &str, next: Option<usize>) -> Option<u32> {
        if let Some(k) = next.filter(|_| self.unique) {
            let mut ahead = self
                .ids
                .get(k..)
                .unwrap_or_default()
                .iter()
                .take(LOOK_AHEAD);
            if let Some(step) = ahead.position(|candidate| candidate == id) {
                return Some((k + step) as u32);
            }
            // Once the table is built, it is the quicker way to a customer far ahead.
            if self.sorted && self.map.get().is_none() {
                if let Some(found) = self.search_from(k + LOOK_AHEAD, id) {
                    return Some(found as u32);
                }
            }
        }
        self.map().get(id.as_bytes()).copied()
    }

    /// Whether a lookup that could start from `next` and found `number` stayed in order,
    /// so that the following lookup starts from `number + 1`: a step within the
    /// look-ahead, or any step forward among sorted ids while they have no table.
    fn in_order(&self, next: usize, number: u32) -> bool {
        let number = number as usize;
        number >= next && (number < next + LOOK_AHEAD || (self.sorted && self.map.get().is_none()))
    }

    /// Where `id` is among the sorted ids from `from` on: steps of 1, 2, 4, ... until an
    /// id not below it, then halving within the last step, so a customer `d` places on is
    /// found in about `2 log2(d)` comparisons of ids near each other.
    fn search_from(&self, from: usize, id: &str) -> Option<usize> {
        let rest = self.ids.get(from..)?;
        let mut end = 1;
        while end < rest.len() && id_order(&rest[end - 1], id).is_lt() {
            end *= 2;
        }
        let (start, end) = (end / 2, end.min(rest.len()));
        let at = start
            + rest[start..end]
                .binary_search_by(|probe| id_order(probe, id))
                .ok()?;
        // Equal in the order ("A01" and "A1") is not the same id.
        (rest[at] == id).then_some(from + at)
    }

    /// The hash table, built on first use when the ids are sorted (they do not repeat).
    fn map(&self) -> &HashMap<IdKey, u32, IdHashing> {
        self.map.get_or_init(|| numbered(self.ids, self.ids.len()))
    }
}

/// Each of `ids` (which do not repeat) to its position, in a table sized for `capacity`.
fn numbered<'s>(
    ids: impl IntoIterator<Item = &'s String>,
    capacity: usize,
) -> HashMap<IdKey, u32, IdHashing> {
    let mut map = HashMap::with_capacity_and_hasher(capacity, IdHashing);
    map.extend(
        ids.into_iter()
            .enumerate()
            .map(|(k, id)| (IdKey::new(id), k as u32)),
    );
    map
}

/// Customers tried in order before the hash table (see [`CustomerIndex::find`]).
const LOOK_AHEAD: usize = 8;

/// Looks up the customer numbers of a part's events row by row. Exports usually list a
/// customer's rows together, so the previous row's customer is tried first (compared
/// with its id, read from the index's list); and often in the customers table's order,
/// so while each new customer has been one of the few after the last, those few are tried
/// before the hash table (and, among sorted ids, the list is searched forward from them).
#[derive(Default)]
struct Lookup {
    previous: Option<u32>,
    in_order: bool,
}

impl Lookup {
    /// The number of customer `id`, `None` for an unknown one.
    fn number(&mut self, index: &CustomerIndex<'_>, id: &str) -> Option<u32> {
        // `previous` came from the index, so it is the number the index gives its id
        // (the first row of a repeated id).
        if let Some(previous) = self.previous {
            if index.ids[previous as usize] == id {
                return Some(previous);
            }
        }
        // A part's first lookup starts from the first customer.
        let next = self.previous.map_or(0, |n| n as usize + 1);
        let in_order = self.in_order || self.previous.is_none();
        let number = index.find(id, in_order.then_some(next))?;
        self.in_order = index.in_order(next, number);
        self.previous = Some(number);
        Some(number)
    }
}

/// Bytes of an id held inside an [`IdKey`] itself.
const INLINE_ID: usize = 22;

/// A customer id as a key of the customer index, held inline when it is short (most
/// exported ids are), so that a lookup compares it in the table's own memory instead of
/// following a pointer to a string: one cache miss per lookup instead of two.
#[derive(Clone, Debug, PartialEq, Eq)]
enum IdKey {
    /// `bytes[..len]` is the id, the rest zeros.
    Inline {
        len: u8,
        bytes: [u8; INLINE_ID],
    },
    Heap(Box<[u8]>),
}

impl IdKey {
    fn new(id: &str) -> IdKey {
        let b = id.as_bytes();
        if b.len() <= INLINE_ID {
            let mut bytes = [0; INLINE_ID];
            bytes[..b.len()].copy_from_slice(b);
            IdKey::Inline {
                len: b.len() as u8,
                bytes,
            }
        } else {
            IdKey::Heap(b.into())
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            IdKey::Inline { len, bytes } => &bytes[..usize::from(*len)],
            IdKey::Heap(b) => b,
        }
    }
}

/// Hashes an id with one-shot xxh3, seeded with its length, where xxhash-rust's streaming
/// hasher would set up its 256-byte buffer for every key.
#[derive(Clone, Copy, Default)]
struct IdHashing;

struct IdHasher(u64);

impl std::hash::BuildHasher for IdHashing {
    type Hasher = IdHasher;

    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0 = xxh3_64_with_seed(bytes, self.0);
    }

    // The length prefix of a slice seeds the hash of its bytes.
    fn write_usize(&mut self, n: usize) {
        self.0 ^= n as u64;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

// Hashes as its bytes do, so the index can be asked with a plain `&[u8]`.
impl std::hash::Hash for IdKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl std::borrow::Borrow<[u8]> for IdKey {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// One file's columns, under our names.
struct PartFrame<'a> {
    part: &'a Part,
    table: Table,
    frame: read::Columns,
    /// Our column name -> the file's name, for columns present in the file.
    names: HashMap<&'static str, String>,
}

impl PartFrame<'_> {
    fn column(&self, ours: &str) -> Option<(ColumnRef<'_>, Origin<'_>)> {
        let theirs = self.names.get(ours)?;
        let column = self.frame.column(theirs)?;
        Some((
            column,
            Origin {
                table: self.table,
                part: self.part,
                column: theirs,
            },
        ))
    }

    fn height(&self) -> usize {
        self.frame.height()
    }
}

struct Reader<'a> {
    dir: &'a Path,
    opts: &'a LoadOptions,
    report: &'a mut DataReport,
}

/// What one part file gave: its row and null counts, the problems found in it, and the
/// converted values (`None` when a required column is missing, so nothing was converted).
struct PartRead<T> {
    rows: usize,
    nulls: Vec<(String, usize)>,
    problems: Vec<Problem>,
    value: Result<Option<T>, PolarsError>,
}

/// The converted values of one part, with the part they came from.
struct Converted<T> {
    part: Part,
    rows: usize,
    value: T,
}

/// Rows with a problem are still pushed (with a placeholder) so that row indexes stay
/// aligned; the data is refused anyway when any problem exists.
impl Reader<'_> {
    /// Locates and reads every part of `table`, converting each with `convert` and handing
    /// the result to `merge`. Parts are read and converted in parallel, a batch of one
    /// part per thread at a time, and merged in file order with their problems, so the
    /// result does not depend on the number of threads. A batch is merged while the next
    /// is read, so memory holds two batches, not the table, of converted parts. Returns
    /// `false` when the table is absent or cannot be located. Missing columns, unreadable
    /// files and empty tables become problems, and such parts are left out.
    fn read_table<T: Send>(
        &mut self,
        table: Table,
        all_columns: bool,
        direct: Option<&DirectRead<T>>,
        convert: impl Fn(&PartFrame, &mut Vec<Problem>) -> Result<T, PolarsError> + Sync,
        mut merge: impl FnMut(Converted<T>) + Send,
    ) -> bool {
        let mut table_report = TableReport {
            table: Some(table),
            ..TableReport::default()
        };
        let parts = match read::locate(self.dir, table) {
            Ok(Some(parts)) => parts,
            Ok(None) => {
                if table.is_required() {
                    self.report.problems.push(Problem::file_level(
                        table,
                        self.dir.join(table.name()),
                        ProblemKind::MissingTable,
                    ));
                } else {
                    self.report.warnings.push(format!(
                        "no {table} table in {}: the {table} features will be empty (null)",
                        self.dir.display()
                    ));
                }
                return false;
            }
            Err(problem) => {
                self.report.problems.push(*problem);
                return false;
            }
        };
        let opts = self.opts;
        let mut readable = true;
        let report = &mut *self.report;
        // Takes in one batch's reads, in file order.
        let mut absorb = |batch: &[Part], reads: Vec<PartRead<T>>| {
            for (part, read) in batch.iter().zip(reads) {
                table_report.files.push(part.path.clone());
                table_report.rows += read.rows;
                for (name, nulls) in read.nulls {
                    match table_report.nulls.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, count)) => *count += nulls,
                        None => table_report.nulls.push((name, nulls)),
                    }
                }
                report.problems.extend(read.problems);
                match read.value {
                    Ok(Some(value)) => merge(Converted {
                        part: part.clone(),
                        rows: read.rows,
                        value,
                    }),
                    Ok(None) => readable = false,
                    Err(e) => {
                        readable = false;
                        let mut why = e.to_string();
                        if part.format == read::Format::Csv {
                            if let Some(diagnosis) = read::diagnose_csv(&part.path) {
                                why = diagnosis;
                            }
                        }
                        let kind = if why.contains("empty") {
                            ProblemKind::EmptyTable
                        } else {
                            ProblemKind::Unreadable(why.lines().next().unwrap_or("").to_string())
                        };
                        report
                            .problems
                            .push(Problem::file_level(table, part.path.clone(), kind));
                    }
                }
            }
        };
        // A batch is taken in (on this thread) while the next is read (on the others).
        let mut pending: Option<(&[Part], Vec<PartRead<T>>)> = None;
        for batch in parts.chunks(rayon::current_num_threads().max(1)) {
            let (reads, ()) = rayon::join(
                || {
                    batch
                        .par_iter()
                        .map(|part| read_part(opts, table, part, all_columns, direct, &convert))
                        .collect::<Vec<_>>()
                },
                || {
                    if let Some((done, reads)) = pending.take() {
                        absorb(done, reads);
                    }
                },
            );
            pending = Some((batch, reads));
        }
        if let Some((done, reads)) = pending {
            absorb(done, reads);
        }
        if readable && table_report.rows == 0 {
            let place = if parts.len() == 1 {
                parts[0].path.clone()
            } else {
                self.dir.join(table.name())
            };
            if table.is_required() {
                report
                    .problems
                    .push(Problem::file_level(table, place, ProblemKind::EmptyTable));
            } else {
                report
                    .warnings
                    .push(format!("{} has no rows", place.display()));
            }
        }
        report.tables.push(table_report);
        true
    }

    /// The customers table, and the index from id to customer number (the first row of a
    /// duplicated id, which is reported); no index when every id follows the one before it
    /// in [`id_order`], so that none repeats.
    fn customers(&mut self) -> (Customers, Option<HashMap<IdKey, u32, IdHashing>>) {
        let opts = self.opts;
        let mut ids: Vec<String> = Vec::new();
        let mut signup_day = Vec::new();
        let mut segment: Option<Coder> = None;
        let mut region: Option<Coder> = None;
        let mut churned_at: Option<Vec<Option<i32>>> = None;
        let mut extra_columns: Vec<String> = Vec::new();
        let mut seen: HashMap<IdKey, u32, IdHashing> = HashMap::with_hasher(IdHashing);
        // While the ids increase, none can repeat, and none goes into `seen`.
        let mut increasing = Some(IdRun::default());
        let mut range = DayRange::default();
        let mut duplicates: Vec<Problem> = Vec::new();
        self.read_table(
            Table::Customers,
            true,
            None,
            |pf, problems| {
                let (column, _) = pf.column(schema::CUSTOMER_ID).expect("required");
                let ids: Vec<String> = read::texts(column)?
                    .iter()
                    .map(|id| id.unwrap_or_default().to_string())
                    .collect();
                let (column, origin) = pf.column(schema::SIGNUP_DATE).expect("required");
                let signup = read::days(column, &origin, problems)?;
                let mut labels = [None, None];
                for (name, slot) in [schema::SEGMENT, schema::REGION].iter().zip(&mut labels) {
                    if let Some((column, _)) = pf.column(name) {
                        let texts = read::texts(column)?;
                        let values = texts
                            .iter()
                            .map(|v| v.map(str::trim).filter(|v| !v.is_empty()));
                        *slot = Some(Coder::part(values));
                    }
                }
                let churned_at = match pf.column(schema::CHURNED_AT) {
                    Some((column, origin)) => Some(read::days(column, &origin, problems)?),
                    None => None,
                };
                let extra: Vec<String> = pf
                    .frame
                    .names()
                    .into_iter()
                    .map(|n| n.to_string())
                    .filter(|name| {
                        !Table::Customers
                            .columns()
                            .iter()
                            .any(|c| opts.columns.source_name(Table::Customers, c.name) == name)
                    })
                    .collect();
                let [segment, region] = labels;
                Ok((ids, signup, segment, region, churned_at, extra))
            },
            |converted| {
                let (part_ids, signup, part_segment, part_region, part_churned, extra) =
                    converted.value;
                let mut dup = Tally::new(
                    Table::Customers,
                    &converted.part.path,
                    opts.columns
                        .source_name(Table::Customers, schema::CUSTOMER_ID),
                    ProblemKind::DuplicateId,
                    converted.part.format == read::Format::Csv,
                );
                let before = ids.len();
                // Rows of the part before `checked` need no check for repeats.
                let mut checked = 0;
                if let Some(run) = increasing.as_mut() {
                    match part_ids.iter().position(|id| !run.push(id)) {
                        None => checked = part_ids.len(),
                        Some(broken) => {
                            // The ids so far increase, so they go in without a check.
                            increasing = None;
                            checked = broken;
                            let so_far = ids.iter().chain(&part_ids[..broken]);
                            seen = numbered(so_far, before + part_ids.len());
                        }
                    }
                }
                // Grown once per part, not by doubling as rows go in.
                seen.reserve(part_ids.len() - checked);
                for (row_idx, id) in part_ids.iter().enumerate().skip(checked) {
                    match seen.entry(IdKey::new(id)) {
                        Entry::Occupied(_) => dup.hit(row_idx, || id.clone()),
                        Entry::Vacant(slot) => {
                            slot.insert((before + row_idx) as u32);
                        }
                    }
                }
                dup.finish(&mut duplicates);
                ids.extend(part_ids);
                range.extend(&signup);
                signup_day.extend(signup.into_iter().map(|d| d.unwrap_or(0)));
                // A column present in only some part files is null in the others.
                for (codes, slot) in [(part_segment, &mut segment), (part_region, &mut region)] {
                    if let Some(codes) = codes {
                        slot.get_or_insert_with(Coder::default)
                            .append(codes, before);
                    }
                }
                append_or_pad(&mut churned_at, part_churned, before, converted.rows);
                for name in extra {
                    if !extra_columns.contains(&name) {
                        extra_columns.push(name);
                    }
                }
            },
        );
        self.report.problems.extend(duplicates);
        let n = ids.len();
        let finish = |coder: Option<Coder>| coder.map(|c| c.finish(n));
        if let Some(c) = churned_at.as_mut() {
            c.resize(n, None);
        }
        self.set_date_range(Table::Customers, range.0);
        let customers = Customers {
            ids,
            signup_day,
            segment: finish(segment),
            region: finish(region),
            churned_at,
            extra_columns,
        };
        (customers, increasing.is_none().then_some(seen))
    }

    fn set_date_range(&mut self, table: Table, range: Option<(i32, i32)>) {
        if let Some(report) = self
            .report
            .tables
            .iter_mut()
            .find(|r| r.table == Some(table))
        {
            report.date_range = range;
        }
    }

    /// Warns of dropped rows, checks the ids and records the date range of an event table
    /// with ids; returns its rows' customer numbers.
    fn finish_events(
        &mut self,
        table: Table,
        id_column: &'static str,
        events: EventColumns,
    ) -> Vec<u32> {
        self.warn_dropped(table, events.dropped);
        events
            .ids
            .check(table, id_column, self.opts, &mut self.report.problems);
        self.set_date_range(table, events.range.0);
        events.customer
    }

    fn warn_dropped(&mut self, table: Table, dropped: usize) {
        if dropped > 0 {
            self.report.warnings.push(format!(
                "dropped {dropped} {table} row{} of customers missing from the customers table",
                if dropped == 1 { "" } else { "s" }
            ));
        }
    }

    fn orders(&mut self, index: &CustomerIndex<'_>) -> Orders {
        let drop_unknown = self.opts.drop_unknown_customers;
        let mut events = EventColumns::default();
        let mut day = Vec::new();
        let mut amount = Vec::new();
        // Each part's vectors are freed as soon as they are merged.
        // Set once a part's ids do not increase: later parts hash theirs from the start.
        let hashed = AtomicBool::new(false);
        let direct = |plain: &mut csv::PlainCsv, names: &HashMap<&'static str, String>| {
            direct::orders(plain, names, index, &hashed)
        };
        self.read_table(
            Table::Orders,
            false,
            Some(&direct),
            |pf, problems| {
                let mut part =
                    EventPart::start(pf, index, drop_unknown, schema::ORDER_ID, problems)?;
                let (column, origin) = pf.column(schema::ORDER_DATE).expect("required");
                let days = read::days(column, &origin, problems)?;
                part.range.extend(&days);
                let (column, origin) = pf.column(schema::AMOUNT).expect("required");
                let amounts = read::numbers(column, &origin, problems)?;
                let mut negative = origin.tally(ProblemKind::NegativeAmount);
                let mut day = Vec::with_capacity(days.len());
                let mut amount = Vec::with_capacity(days.len());
                for (row_idx, ((c, d), a)) in part.numbers.iter().zip(days).zip(amounts).enumerate()
                {
                    if let Some(a) = a.filter(|a| *a < 0.0) {
                        negative.hit(row_idx, || a.to_string());
                    }
                    if c.is_some() {
                        day.push(d.unwrap_or(0));
                        amount.push(a.unwrap_or(0.0));
                    }
                }
                negative.finish(problems);
                Ok((part, day, amount))
            },
            |converted| {
                let (part, part_day, part_amount) = converted.value;
                events.absorb(converted.part, part);
                day.extend(part_day);
                amount.extend(part_amount);
            },
        );
        let customer = self.finish_events(Table::Orders, schema::ORDER_ID, events);
        let (offsets, perm) = group(&customer, index.n(), |i| i64::from(day[i]));
        drop(customer);
        Orders {
            offsets,
            day: permute(day, perm.as_deref()),
            amount: permute(amount, perm.as_deref()),
        }
    }

    fn tickets(&mut self, index: &CustomerIndex<'_>) -> Option<Tickets> {
        let drop_unknown = self.opts.drop_unknown_customers;
        let mut events = EventColumns::default();
        let mut created = Vec::new();
        let mut resolved = Vec::new();
        let mut priority = Vec::new();
        // Set once a part's ids do not increase: later parts hash theirs from the start.
        let hashed = AtomicBool::new(false);
        let direct = |plain: &mut csv::PlainCsv, names: &HashMap<&'static str, String>| {
            direct::tickets(plain, names, index, &hashed)
        };
        let present = self.read_table(
            Table::Tickets,
            false,
            Some(&direct),
            |pf, problems| {
                let mut part =
                    EventPart::start(pf, index, drop_unknown, schema::TICKET_ID, problems)?;
                let (column, origin) = pf.column(schema::CREATED_AT).expect("required");
                let created_at = read::timestamps(column, &origin, problems)?;
                part.range.extend_seconds(&created_at);
                let (column, origin) = pf.column(schema::PRIORITY).expect("required");
                let mut unknown =
                    origin.tally(ProblemKind::UnknownValue(schema::PRIORITIES.join(", ")));
                let priorities: Vec<u8> = read::texts(column)?
                    .iter()
                    .enumerate()
                    .map(|(row_idx, v)| {
                        let v = v.unwrap_or_default();
                        let found = schema::PRIORITIES
                            .iter()
                            .position(|p| p.eq_ignore_ascii_case(v.trim()));
                        if found.is_none() && !v.is_empty() {
                            unknown.hit(row_idx, || v.to_string());
                        }
                        found.unwrap_or(0) as u8
                    })
                    .collect();
                unknown.finish(problems);
                let (column, origin) = pf.column(schema::RESOLVED_AT).expect("required");
                let resolved_at = read::timestamps(column, &origin, problems)?;
                let mut early = origin.tally(ProblemKind::ResolvedBeforeCreated);
                let mut rows = (Vec::new(), Vec::new(), Vec::new());
                for row_idx in 0..pf.height() {
                    if let (Some(c), Some(r)) = (created_at[row_idx], resolved_at[row_idx]) {
                        if r < c {
                            early.hit(row_idx, || dates::format_timestamp(r));
                        }
                    }
                    if part.numbers[row_idx].is_some() {
                        rows.0.push(created_at[row_idx].unwrap_or(0));
                        rows.1.push(resolved_at[row_idx]);
                        rows.2.push(priorities[row_idx]);
                    }
                }
                early.finish(problems);
                Ok((part, rows))
            },
            |converted| {
                let (part, (c, r, p)) = converted.value;
                events.absorb(converted.part, part);
                created.extend(c);
                resolved.extend(r);
                priority.extend(p);
            },
        );
        if !present {
            return None;
        }
        let customer = self.finish_events(Table::Tickets, schema::TICKET_ID, events);
        let (offsets, perm) = group(&customer, index.n(), |i| created[i]);
        drop(customer);
        Some(Tickets {
            offsets,
            created: permute(created, perm.as_deref()),
            resolved: permute(resolved, perm.as_deref()),
            priority: permute(priority, perm.as_deref()),
        })
    }

    fn surveys(&mut self, index: &CustomerIndex<'_>) -> Option<Surveys> {
        let drop_unknown = self.opts.drop_unknown_customers;
        let mut customer = Vec::new();
        let mut at = Vec::new();
        let mut kind = Vec::new();
        let mut score = Vec::new();
        let mut dropped = 0;
        let mut range = DayRange::default();
        let present = self.read_table(
            Table::Surveys,
            false,
            None,
            |pf, problems| {
                let mut dropped = 0;
                let numbers = customer_numbers(pf, index, drop_unknown, problems, &mut dropped)?;
                let mut range = DayRange::default();
                let (column, origin) = pf.column(schema::RESPONDED_AT).expect("required");
                let responded = read::timestamps(column, &origin, problems)?;
                range.extend_seconds(&responded);
                let (column, origin) = pf.column(schema::KIND).expect("required");
                let mut unknown = origin.tally(ProblemKind::UnknownValue(format!(
                    "{}, {}",
                    schema::CSAT,
                    schema::NPS
                )));
                let kinds: Vec<Option<SurveyKind>> = read::texts(column)?
                    .iter()
                    .enumerate()
                    .map(|(row_idx, v)| {
                        let v = v.unwrap_or_default();
                        let k = match v.trim().to_ascii_lowercase().as_str() {
                            schema::CSAT => Some(SurveyKind::Csat),
                            schema::NPS => Some(SurveyKind::Nps),
                            _ => None,
                        };
                        if k.is_none() && !v.is_empty() {
                            unknown.hit(row_idx, || v.to_string());
                        }
                        k
                    })
                    .collect();
                unknown.finish(problems);
                let (column, origin) = pf.column(schema::SCORE).expect("required");
                let scores = read::integers(column, &origin, problems)?;
                let mut csat_range =
                    origin.tally(ProblemKind::OutOfRange("csat scores are 1-10".into()));
                let mut nps_range =
                    origin.tally(ProblemKind::OutOfRange("nps scores are 0-10".into()));
                let mut rows = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
                for row_idx in 0..pf.height() {
                    let (tally, (lo, hi)) = match kinds[row_idx] {
                        Some(SurveyKind::Csat) => (&mut csat_range, schema::CSAT_RANGE),
                        Some(SurveyKind::Nps) => (&mut nps_range, schema::NPS_RANGE),
                        None => continue,
                    };
                    if let Some(s) = scores[row_idx].filter(|s| *s < lo || *s > hi) {
                        tally.hit(row_idx, || s.to_string());
                    }
                    if let Some(c) = numbers[row_idx] {
                        rows.0.push(c);
                        rows.1.push(responded[row_idx].unwrap_or(0));
                        rows.2.push(kinds[row_idx].unwrap_or(SurveyKind::Csat));
                        rows.3.push(scores[row_idx].unwrap_or(0).clamp(0, 10) as u8);
                    }
                }
                csat_range.finish(problems);
                nps_range.finish(problems);
                Ok((rows, dropped, range))
            },
            |converted| {
                let ((c, a, k, s), part_dropped, part_range) = converted.value;
                customer.extend(c);
                at.extend(a);
                kind.extend(k);
                score.extend(s);
                dropped += part_dropped;
                range.merge(&part_range);
            },
        );
        if !present {
            return None;
        }
        self.warn_dropped(Table::Surveys, dropped);
        self.set_date_range(Table::Surveys, range.0);
        let (offsets, perm) = group(&customer, index.n(), |i| at[i]);
        drop(customer);
        Some(Surveys {
            offsets,
            at: permute(at, perm.as_deref()),
            kind: permute(kind, perm.as_deref()),
            score: permute(score, perm.as_deref()),
        })
    }
}

/// A table's direct reader of plain CSV parts (see `direct.rs`): given the file and our
/// column names -> the file's, the number of rows and their converted values, or `None`
/// when the part has anything to report (the general path then reads it).
type DirectRead<'a, T> = dyn Fn(
        &mut csv::PlainCsv,
        &HashMap<&'static str, String>,
    ) -> std::io::Result<Option<direct::Direct<T>>>
    + Sync
    + 'a;

/// Reads one part file: the contract's columns (all columns when `all_columns`), their
/// null counts, the null checks, then `convert`. A plain CSV part with every column is
/// first offered to `direct`, which reads valid rows straight into their values. Runs on
/// any thread: it only reads.
fn read_part<T>(
    opts: &LoadOptions,
    table: Table,
    part: &Part,
    all_columns: bool,
    direct: Option<&DirectRead<T>>,
    convert: &impl Fn(&PartFrame, &mut Vec<Problem>) -> Result<T, PolarsError>,
) -> PartRead<T> {
    let mut read = PartRead {
        rows: 0,
        nulls: Vec::new(),
        problems: Vec::new(),
        value: Ok(None),
    };
    /// What reading the file gave.
    enum Read<T> {
        /// The columns, to check and convert, and our names -> the file's.
        Frame(read::Columns, HashMap<&'static str, String>),
        /// The values, read directly.
        Direct(T),
        /// A required column is missing (a problem is recorded): nothing to convert.
        Incomplete,
    }
    let frame = (|| {
        let mut source = read::Source::open(part)?;
        let present = source.column_names()?;
        let mut names = HashMap::new();
        let mut wanted = Vec::new();
        let mut complete = true;
        for spec in table.columns() {
            let theirs = opts.columns.source_name(table, spec.name);
            if present.iter().any(|p| p == theirs) {
                names.insert(spec.name, theirs.to_string());
                wanted.push(theirs.to_string());
            } else if spec.required {
                complete = false;
                let mut problem =
                    Problem::file_level(table, part.path.clone(), ProblemKind::MissingColumn);
                problem.column = Some(theirs.to_string());
                read.problems.push(problem);
            }
        }
        if all_columns {
            for p in &present {
                if !wanted.contains(p) {
                    wanted.push(p.clone());
                }
            }
        }
        if let (true, Some(direct), read::Source::Plain(_, plain)) = (complete, direct, &mut source)
        {
            if let Some(part) = direct(plain, &names)? {
                // Every value was valid, and converted.
                read.rows = part.rows;
                read.nulls = wanted
                    .iter()
                    .map(|name| {
                        let nulls = part.nulls.iter().find(|(n, _)| n == name);
                        (name.clone(), nulls.map_or(0, |(_, count)| *count))
                    })
                    .collect();
                return Ok(Read::Direct(part.value));
            }
        }
        let frame = source.read_columns(&wanted)?;
        read.rows = frame.height();
        read.nulls = frame
            .names()
            .into_iter()
            .zip(frame.iter())
            .map(|(name, c)| (name.to_string(), c.null_count()))
            .collect();
        Ok(match complete {
            true => Read::Frame(frame, names),
            false => Read::Incomplete,
        })
    })();
    let (frame, names) = match frame {
        Ok(Read::Frame(frame, names)) => (frame, names),
        Ok(Read::Direct(value)) => {
            read.value = Ok(Some(value));
            return read;
        }
        Ok(Read::Incomplete) => return read,
        Err(e) => {
            read.value = Err(e);
            return read;
        }
    };
    let part_frame = PartFrame {
        part,
        table,
        frame,
        names,
    };
    for spec in table.columns() {
        if !spec.nullable {
            if let Some((column, origin)) = part_frame.column(spec.name) {
                check_no_nulls(column, &origin, &mut read.problems);
            }
        }
    }
    read.value = convert(&part_frame, &mut read.problems).map(Some);
    read
}

/// Appends one part's values of an optional column to `slot`, creating it (null for the
/// `before` rows of earlier parts) when this is the first part that has the column, and
/// padding with `rows` nulls when this part lacks it.
fn append_or_pad<V>(
    slot: &mut Option<Vec<Option<V>>>,
    values: Option<Vec<Option<V>>>,
    before: usize,
    rows: usize,
) {
    match (slot.as_mut(), values) {
        (Some(all), Some(values)) => all.extend(values),
        (Some(all), None) => all.extend((0..rows).map(|_| None)),
        (None, Some(values)) => {
            let mut all: Vec<Option<V>> = (0..before).map(|_| None).collect();
            all.extend(values);
            *slot = Some(all);
        }
        (None, None) => {}
    }
}

/// What every event table's part has: customer numbers, id hashes, dropped rows and the
/// range of its main date.
#[derive(Default)]
struct EventPart {
    /// Per row: the customer number, `None` for an unknown customer.
    numbers: Vec<Option<u32>>,
    /// What the duplicate check needs of the part's ids.
    ids: PartIds,
    dropped: usize,
    range: DayRange,
}

impl EventPart {
    fn start(
        pf: &PartFrame,
        index: &CustomerIndex<'_>,
        drop_unknown: bool,
        id_column: &str,
        problems: &mut Vec<Problem>,
    ) -> Result<EventPart, PolarsError> {
        let mut dropped = 0;
        let numbers = customer_numbers(pf, index, drop_unknown, problems, &mut dropped)?;
        let (column, _) = pf.column(id_column).expect("required");
        let texts = read::texts(column)?;
        let mut run = IdRun::default();
        let in_order = texts.iter().all(|id| id.is_some_and(|id| run.push(id)));
        let ids = match run.finish().filter(|_| in_order) {
            Some(ids) => ids,
            None => PartIds::Hashes(
                texts
                    .iter()
                    .map(|id| hash_id(id.unwrap_or_default()))
                    .collect(),
            ),
        };
        Ok(EventPart {
            numbers,
            ids,
            dropped,
            range: DayRange::default(),
        })
    }
}

/// What the parts of an event table with ids (orders, tickets) add up to besides their
/// own columns: customer numbers, dropped rows, the date range and the id hashes.
#[derive(Default)]
struct EventColumns {
    customer: Vec<u32>,
    dropped: usize,
    range: DayRange,
    ids: IdChecks,
}

impl EventColumns {
    /// Takes one converted part in, in file order; its vectors are moved or freed.
    fn absorb(&mut self, part: Part, event: EventPart) {
        self.customer.extend(event.numbers.iter().flatten());
        self.dropped += event.dropped;
        self.range.merge(&event.range);
        self.ids.parts.push((part, event.ids));
    }
}

/// Maps a part's customer ids to customer numbers (see [`Lookup`]); `None` marks an
/// unknown customer.
fn customer_numbers(
    pf: &PartFrame,
    index: &CustomerIndex<'_>,
    drop_unknown: bool,
    problems: &mut Vec<Problem>,
    dropped: &mut usize,
) -> Result<Vec<Option<u32>>, PolarsError> {
    let (column, origin) = pf.column(schema::CUSTOMER_ID).expect("required");
    let mut unknown = origin.tally(ProblemKind::UnknownCustomer);
    let texts = read::texts(column)?;
    let mut lookup = Lookup::default();
    let mut numbers = Vec::with_capacity(texts.len());
    for (row_idx, id) in texts.iter().enumerate() {
        let Some(id) = id else {
            numbers.push(None);
            continue;
        };
        let number = lookup.number(index, id);
        if number.is_none() && index.usable() {
            if drop_unknown {
                *dropped += 1;
            } else {
                unknown.hit(row_idx, || id.to_string());
            }
        }
        numbers.push(number);
    }
    unknown.finish(problems);
    Ok(numbers)
}

/// The first and last valid day seen.
#[derive(Default)]
struct DayRange(Option<(i32, i32)>);

impl DayRange {
    fn add(&mut self, day: i32) {
        self.0 = Some(match self.0 {
            Some((a, b)) => (a.min(day), b.max(day)),
            None => (day, day),
        });
    }

    fn extend(&mut self, days: &[Option<i32>]) {
        days.iter().flatten().for_each(|&d| self.add(d));
    }

    fn merge(&mut self, other: &DayRange) {
        if let Some((a, b)) = other.0 {
            self.add(a);
            self.add(b);
        }
    }

    fn extend_seconds(&mut self, seconds: &[Option<i64>]) {
        seconds
            .iter()
            .flatten()
            .for_each(|&s| self.add(dates::day_of(s)));
    }
}

fn check_no_nulls(column: ColumnRef, origin: &Origin, problems: &mut Vec<Problem>) {
    if column.null_count() == 0 {
        return;
    }
    let mut missing = origin.tally(ProblemKind::MissingValue);
    for (row_idx, is_null) in column.nulls().into_iter().enumerate() {
        if is_null {
            missing.hit(row_idx, String::new);
        }
    }
    missing.finish(problems);
}

/// The 64-bit hash of an event id (a missing id hashes as an empty one; it is reported as a
/// missing value, never as a duplicate).
fn hash_id(id: &str) -> u64 {
    xxh3_64(id.as_bytes())
}

/// What the duplicate check knows of a part's ids.
#[derive(Debug)]
enum PartIds {
    /// Per row, the hash of its id ([`hash_id`]).
    Hashes(Vec<u64>),
    /// Every id is present and follows the one before it in [`id_order`], so none repeats
    /// within the part; its first and last ids. Exports usually number their events in
    /// the order they list them, and then no id needs hashing, nor any hash holding.
    Increasing { first: String, last: String },
}

impl Default for PartIds {
    fn default() -> Self {
        PartIds::Hashes(Vec::new())
    }
}

/// The order in which ids are checked to increase: text, with each run of digits compared
/// as the number it spells ("O9-999" < "O9-1000" < "O10-001"), so that ids numbered with
/// or without leading zeros, and counters that outgrow their zeros, increase as their
/// numbers do. It is a strict weak order (runs of digits before bytes above '9', after
/// bytes below '0'; "1" and "01" equal), so an id less than another is never the same id.
fn id_order(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let at = shared_prefix(a, b);
    let digit = |c: Option<&u8>| c.is_some_and(u8::is_ascii_digit);
    let (x, y) = (a.get(at), b.get(at));
    // The usual case, decided at the first difference: there both sides are outside a
    // run of digits (any run before it ended at the same place in both, so with equal
    // numbers), or both are inside runs that go on equally far (runs of one length compare
    // as numbers the way they compare as text). An end of text sorts first, as in the
    // general order.
    if !digit(x) && !digit(y) {
        return x.cmp(&y);
    }
    if digit(x) && digit(y) && digit_run(&a[at..]) == digit_run(&b[at..]) {
        return x.cmp(&y);
    }
    id_order_by_runs(a, b, at)
}

/// [`id_order`] token by token, from the start of the digit run (if any) that holds byte
/// `at`, the first where `a` and `b` differ.
fn id_order_by_runs(a: &[u8], b: &[u8], at: usize) -> std::cmp::Ordering {
    let mut start = at;
    while start > 0 && a[start - 1].is_ascii_digit() {
        start -= 1;
    }
    let (mut a, mut b) = (&a[start..], &b[start..]);
    loop {
        let (x, y) = match (a.first(), b.first()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(&x), Some(&y)) => (x, y),
        };
        if x.is_ascii_digit() && y.is_ascii_digit() {
            let (m, n) = (digit_run(a), digit_run(b));
            let (p, q) = (without_zeros(&a[..m]), without_zeros(&b[..n]));
            let order = p.len().cmp(&q.len()).then_with(|| p.cmp(q));
            if order != std::cmp::Ordering::Equal {
                return order;
            }
            (a, b) = (&a[m..], &b[n..]);
        } else if x != y {
            return x.cmp(&y);
        } else {
            (a, b) = (&a[1..], &b[1..]);
        }
    }
}

/// The length of the longest common start of `a` and `b`, compared eight bytes at a time.
fn shared_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let word = |t: &[u8], i: usize| u64::from_le_bytes(t[i..i + 8].try_into().expect("8 bytes"));
    let mut i = 0;
    while i + 8 <= n {
        let difference = word(a, i) ^ word(b, i);
        if difference != 0 {
            return i + (difference.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + a[i..n]
        .iter()
        .zip(&b[i..n])
        .take_while(|(x, y)| x == y)
        .count()
}

/// The number of digits `text` starts with.
fn digit_run(text: &[u8]) -> usize {
    text.iter().take_while(|c| c.is_ascii_digit()).count()
}

/// A run of digits without its leading zeros.
fn without_zeros(run: &[u8]) -> &[u8] {
    let zeros = run.iter().take_while(|&&c| c == b'0').count();
    &run[zeros..]
}

/// Follows a part's ids, in file order, while each follows the one before.
#[derive(Default)]
struct IdRun {
    first: Option<String>,
    last: String,
}

impl IdRun {
    /// Takes the next id; `false` (and nothing taken) when it does not follow the last.
    fn push(&mut self, id: &str) -> bool {
        if self.first.is_none() {
            self.first = Some(id.to_string());
        } else if id_order(&self.last, id) != std::cmp::Ordering::Less {
            return false;
        }
        self.last.clear();
        self.last.push_str(id);
        true
    }

    /// Appends the run that follows this one in the file; `false` when it does not
    /// continue it.
    fn append(&mut self, later: IdRun) -> bool {
        match (&self.first, later.first) {
            (_, None) => true,
            (None, first) => {
                *self = IdRun {
                    first,
                    last: later.last,
                };
                true
            }
            (Some(_), Some(first)) => {
                if id_order(&self.last, &first) != std::cmp::Ordering::Less {
                    return false;
                }
                self.last = later.last;
                true
            }
        }
    }

    /// The ids of a part taken whole; `None` when it had none.
    fn finish(self) -> Option<PartIds> {
        let first = self.first?;
        Some(PartIds::Increasing {
            first,
            last: self.last,
        })
    }
}

/// Reads the id column `theirs` of a part again (the duplicate check does, only when it
/// needs the ids themselves) and maps each row's id with `f`.
fn reread_ids<T>(
    part: &Part,
    theirs: &str,
    f: impl Fn(Option<&str>) -> T,
) -> Result<Vec<T>, PolarsError> {
    let columns = read::Source::open(part)?.read_columns(&[theirs.to_string()])?;
    let column = columns.iter().next().expect("one column asked for");
    Ok(read::texts(column)?.iter().map(f).collect())
}

/// The ids of an event table's parts, checked for repeats once all are read.
#[derive(Default)]
struct IdChecks {
    parts: Vec<(Part, PartIds)>,
}

impl IdChecks {
    /// Reports ids that repeat. When every part's ids increase and the parts' ranges of
    /// ids do not overlap, no id can repeat and nothing more is done. Otherwise the
    /// increasing parts' ids are read again and hashed, and all hashes are checked.
    fn check(
        self,
        table: Table,
        column: &'static str,
        opts: &LoadOptions,
        problems: &mut Vec<Problem>,
    ) {
        let mut ranges: Vec<(&str, &str)> = Vec::with_capacity(self.parts.len());
        let mut hashed = false;
        for (_, ids) in &self.parts {
            match ids {
                PartIds::Increasing { first, last } => ranges.push((first, last)),
                PartIds::Hashes(hashes) => hashed |= !hashes.is_empty(),
            }
        }
        if !hashed {
            ranges.sort_unstable_by(|a, b| id_order(a.0, b.0));
            let apart = ranges
                .windows(2)
                .all(|pair| id_order(pair[0].1, pair[1].0) == std::cmp::Ordering::Less);
            if apart {
                return;
            }
        }
        let theirs = opts.columns.source_name(table, column).to_string();
        let parts = self
            .parts
            .into_par_iter()
            .map(|(part, ids)| match ids {
                PartIds::Hashes(hashes) => Ok((part, hashes)),
                PartIds::Increasing { .. } => {
                    let hashes = reread_ids(&part, &theirs, |id| hash_id(id.unwrap_or_default()));
                    match hashes {
                        Ok(hashes) => Ok((part, hashes)),
                        Err(e) => Err(Box::new(Problem::file_level(
                            table,
                            part.path.clone(),
                            ProblemKind::Unreadable(e.to_string()),
                        ))),
                    }
                }
            })
            .collect::<Vec<_>>();
        let mut hashed = IdHashes::default();
        for part in parts {
            match part {
                Ok(part) => hashed.parts.push(part),
                Err(problem) => problems.push(*problem),
            }
        }
        hashed.check(table, column, opts, problems);
    }
}

/// 64-bit hashes of the ids of every part of a table, row by row, to find duplicates across
/// part files without holding every id string. Equal hashes are only candidates: their ids
/// are read back and compared, so a hash collision is never reported as a duplicate.
#[derive(Default)]
struct IdHashes {
    parts: Vec<(Part, Vec<u64>)>,
}

/// Buckets of the duplicate search, by the top bits of the hash: each bucket is sorted on
/// its own (in parallel, in cache) instead of one sort of every hash.
const ID_BUCKET_BITS: u32 = 12;

impl IdHashes {
    /// The hashes that occur more than once, found by a bucket (radix) pass and a
    /// parallel sort of each bucket.
    fn repeated(&self) -> std::collections::HashSet<u64> {
        let bucket = |h: u64| (h >> (64 - ID_BUCKET_BITS)) as usize;
        // Each part counts its hashes per bucket, then scatters them into its own range
        // of each bucket: all the parts at once. Within a bucket the parts come in file
        // order (the sort makes it irrelevant anyway).
        let counts: Vec<Vec<usize>> = self
            .parts
            .par_iter()
            .map(|(_, hashes)| {
                let mut count = vec![0usize; 1 << ID_BUCKET_BITS];
                for &h in hashes {
                    count[bucket(h)] += 1;
                }
                count
            })
            .collect();
        let mut starts = vec![0usize; (1 << ID_BUCKET_BITS) + 1];
        for b in 0..1 << ID_BUCKET_BITS {
            starts[b + 1] = starts[b] + counts.iter().map(|c| c[b]).sum::<usize>();
        }
        let mut all = vec![0u64; starts[1 << ID_BUCKET_BITS]];
        let mut slots: Vec<Vec<&mut [u64]>> = self
            .parts
            .iter()
            .map(|_| Vec::with_capacity(1 << ID_BUCKET_BITS))
            .collect();
        let mut rest = all.as_mut_slice();
        for b in 0..1 << ID_BUCKET_BITS {
            for (part_slots, count) in slots.iter_mut().zip(&counts) {
                let (head, tail) = rest.split_at_mut(count[b]);
                part_slots.push(head);
                rest = tail;
            }
        }
        self.parts
            .par_iter()
            .zip(slots)
            .for_each(|((_, hashes), mut slots)| {
                for &h in hashes {
                    let slot = std::mem::take(&mut slots[bucket(h)]);
                    let (first, rest) = slot.split_first_mut().expect("counted");
                    *first = h;
                    slots[bucket(h)] = rest;
                }
            });
        let mut buckets = Vec::with_capacity(1 << ID_BUCKET_BITS);
        let mut rest = all.as_mut_slice();
        for b in 0..1 << ID_BUCKET_BITS {
            let (head, tail) = rest.split_at_mut(starts[b + 1] - starts[b]);
            buckets.push(head);
            rest = tail;
        }
        buckets
            .into_par_iter()
            .flat_map_iter(|bucket| {
                bucket.sort_unstable();
                bucket
                    .windows(2)
                    .filter(|pair| pair[0] == pair[1])
                    .map(|pair| pair[0])
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn check(
        self,
        table: Table,
        column: &'static str,
        opts: &LoadOptions,
        problems: &mut Vec<Problem>,
    ) {
        let repeated = self.repeated();
        if repeated.is_empty() {
            return;
        }
        // The rare path: where the repeated hashes are, in (hash, part, row) order.
        let mut entries: Vec<(u64, u32, u32)> = Vec::new();
        for (part_idx, (_, hashes)) in self.parts.iter().enumerate() {
            for (row, h) in hashes.iter().enumerate() {
                if repeated.contains(h) {
                    entries.push((*h, part_idx as u32, row as u32));
                }
            }
        }
        entries.sort_unstable();
        let parts: Vec<&Part> = self.parts.iter().map(|(part, _)| part).collect();
        let candidates: Vec<&[(u64, u32, u32)]> = entries.chunk_by(|a, b| a.0 == b.0).collect();
        let theirs = opts.columns.source_name(table, column).to_string();
        // Only now, on the rare path: the ids of the parts involved, as text.
        let mut texts: HashMap<u32, Vec<Option<String>>> = HashMap::new();
        for &(_, part_idx, _) in candidates.iter().flat_map(|g| g.iter()) {
            texts.entry(part_idx).or_insert_with(|| {
                reread_ids(parts[part_idx as usize], &theirs, |id| {
                    id.map(str::to_string)
                })
                .unwrap_or_default()
            });
        }
        let id_at = |part_idx: u32, row: u32| -> Option<&str> {
            texts[&part_idx].get(row as usize)?.as_deref()
        };
        let mut count = 0;
        let mut first: Option<(u32, u32)> = None;
        for group in candidates {
            // Sorted by (part, row) within the group: every id seen again is a duplicate.
            let mut seen = std::collections::HashSet::new();
            for &(_, part_idx, row) in group {
                let Some(id) = id_at(part_idx, row) else {
                    continue;
                };
                if !seen.insert(id) {
                    count += 1;
                    if first.is_none_or(|f| (part_idx, row) < f) {
                        first = Some((part_idx, row));
                    }
                }
            }
        }
        let Some((part_idx, row_idx)) = first else {
            return;
        };
        let part = parts[part_idx as usize];
        problems.push(Problem {
            table,
            file: part.path.clone(),
            column: Some(theirs),
            kind: ProblemKind::DuplicateId,
            first_row: Some(row_idx as usize + 1),
            first_value: id_at(part_idx, row_idx).map(str::to_string),
            count,
            is_csv: part.format == read::Format::Csv,
        });
    }
}

/// Groups rows by customer (a counting sort) and orders each group by `key`, keeping file
/// order for equal keys. Returns the offsets and the permutation to apply to each column,
/// `None` when the rows are in that order already (exports usually list events by
/// customer and time), so that no column is copied.
fn group(
    customer: &[u32],
    n_customers: usize,
    key: impl Fn(usize) -> i64 + Sync,
) -> (Offsets, Option<Vec<u32>>) {
    let mut offsets = vec![0usize; n_customers + 1];
    for &c in customer {
        offsets[c as usize + 1] += 1;
    }
    for i in 0..n_customers {
        offsets[i + 1] += offsets[i];
    }
    let in_order = customer
        .par_windows(2)
        .enumerate()
        .all(|(i, w)| w[0] < w[1] || (w[0] == w[1] && key(i) <= key(i + 1)));
    if in_order {
        return (Offsets(offsets), None);
    }
    let mut next = offsets.clone();
    let mut perm = vec![0u32; customer.len()];
    for (row, &c) in customer.iter().enumerate() {
        perm[next[c as usize]] = row as u32;
        next[c as usize] += 1;
    }
    let mut chunks: Vec<&mut [u32]> = Vec::with_capacity(n_customers);
    let mut rest = perm.as_mut_slice();
    for c in 0..n_customers {
        let (head, tail) = rest.split_at_mut(offsets[c + 1] - offsets[c]);
        chunks.push(head);
        rest = tail;
    }
    chunks
        .into_par_iter()
        .for_each(|rows| rows.sort_by_key(|&r| (key(r as usize), r)));
    (Offsets(offsets), Some(perm))
}

/// The column in the order of `perm` (as it is without one); the unsorted column is freed
/// on return, so the columns of a table are permuted one at a time.
fn permute<T: Clone + Send + Sync>(values: Vec<T>, perm: Option<&[u32]>) -> Vec<T> {
    let Some(perm) = perm else {
        return values;
    };
    perm.par_iter()
        .map(|&i| values[i as usize].clone())
        .collect()
}

#[cfg(test)]
mod tests;
