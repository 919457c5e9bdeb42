//! What can be wrong with an input table, said so that a person can find and fix it:
//! the file, the column, the first offending row and value, and how many rows share the
//! problem.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::schema::Table;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// The data directory has no file for a required table.
    MissingTable,
    /// A file that is neither CSV nor Parquet where a table was expected.
    NotCsvOrParquet,
    /// The file could not be read as its format (the reader's message).
    Unreadable(String),
    /// The table has no rows.
    EmptyTable,
    MissingColumn,
    /// An empty value in a column that requires one.
    MissingValue,
    BadDate,
    BadNumber,
    BadInteger,
    NegativeAmount,
    /// A value outside its allowed range, e.g. a CSAT score of 11.
    OutOfRange(String),
    /// A value outside a fixed set, e.g. a ticket priority.
    UnknownValue(String),
    DuplicateId,
    ResolvedBeforeCreated,
    UnknownCustomer,
}

impl ProblemKind {
    fn describe(&self) -> String {
        match self {
            ProblemKind::MissingTable => "table not found (expected <table>.csv, <table>.parquet or a directory <table>/ of part files)".into(),
            ProblemKind::NotCsvOrParquet => "not a CSV or Parquet file".into(),
            ProblemKind::Unreadable(why) => format!("cannot be read: {why}"),
            ProblemKind::EmptyTable => "the table has no rows".into(),
            ProblemKind::MissingColumn => "required column is missing".into(),
            ProblemKind::MissingValue => "empty value in a required column".into(),
            ProblemKind::BadDate => "not an ISO 8601 date or timestamp (expected 2025-03-01 or 2025-03-01T14:05:00)".into(),
            ProblemKind::BadNumber => "not a number".into(),
            ProblemKind::BadInteger => "not a whole number".into(),
            ProblemKind::NegativeAmount => "negative amount".into(),
            ProblemKind::OutOfRange(range) => format!("out of range ({range})"),
            ProblemKind::UnknownValue(allowed) => format!("unknown value (allowed: {allowed})"),
            ProblemKind::DuplicateId => "duplicate id (first seen earlier)".into(),
            ProblemKind::ResolvedBeforeCreated => "ticket resolved before it was created".into(),
            ProblemKind::UnknownCustomer => "customer_id not in the customers table".into(),
        }
    }
}

/// One problem in one table, with where it first occurs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub table: Table,
    /// The file (or data directory, for a missing table).
    pub file: PathBuf,
    /// The column as named in the user's file.
    pub column: Option<String>,
    pub kind: ProblemKind,
    /// 1-based data row within `file` (the header is not a row).
    pub first_row: Option<usize>,
    pub first_value: Option<String>,
    /// How many rows have this problem in this file.
    pub count: usize,
    /// CSV files also get a line number (row + 1, for the header).
    pub is_csv: bool,
}

impl Problem {
    pub fn file_level(table: Table, file: PathBuf, kind: ProblemKind) -> Problem {
        Problem {
            table,
            file,
            column: None,
            kind,
            first_row: None,
            first_value: None,
            count: 0,
            is_csv: false,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(column) = &self.column {
            write!(f, ", column `{column}`")?;
        }
        if let Some(row) = self.first_row {
            write!(f, ", row {row}")?;
            if self.is_csv {
                write!(f, " (line {})", row + 1)?;
            }
        }
        write!(f, ": {}", self.kind.describe())?;
        if let Some(value) = &self.first_value {
            write!(f, ": {value:?}")?;
        }
        if self.count > 0 {
            let rows = if self.count == 1 { "row" } else { "rows" };
            write!(f, " [{} {rows} affected]", self.count)?;
        }
        Ok(())
    }
}

/// Counts the rows of one (file, column, kind) and remembers the first.
#[derive(Debug)]
pub(crate) struct Tally {
    problem: Problem,
}

impl Tally {
    pub fn new(table: Table, file: &Path, column: &str, kind: ProblemKind, is_csv: bool) -> Tally {
        Tally {
            problem: Problem {
                table,
                file: file.to_path_buf(),
                column: Some(column.to_string()),
                kind,
                first_row: None,
                first_value: None,
                count: 0,
                is_csv,
            },
        }
    }

    /// Records a bad value at 0-based `row_idx`; rows must arrive in increasing order.
    pub fn hit(&mut self, row_idx: usize, value: impl FnOnce() -> String) {
        if self.problem.count == 0 {
            self.problem.first_row = Some(row_idx + 1);
            self.problem.first_value = Some(value());
        }
        self.problem.count += 1;
    }

    pub fn finish(self, out: &mut Vec<Problem>) {
        if self.problem.count > 0 {
            out.push(self.problem);
        }
    }
}
