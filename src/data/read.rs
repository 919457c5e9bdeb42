//! Finding a table's files in the data directory and reading them (a plain CSV file with
//! our own splitter in `csv.rs`, anything else with polars' lazy scanners, which give the
//! same values), then turning the columns read into plain typed vectors. CSV is read with
//! every column as text so that a bad value can be quoted back to the user exactly;
//! Parquet columns keep their types (date, timestamp, number or text all work).

use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::csv::{PlainColumn, PlainCsv, PlainTable, PlainValues};
use super::problem::{Problem, ProblemKind, Tally};
use crate::dates;
use crate::schema::Table;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Parquet,
}

impl Format {
    fn of(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "parquet" | "pq" => Some(Format::Parquet),
            _ => None,
        }
    }
}

/// One file of a table: a whole table or one part of a directory of parts.
#[derive(Clone, Debug)]
pub struct Part {
    pub path: PathBuf,
    pub format: Format,
}

/// Finds `<table>.csv`, `<table>.parquet` or `<table>/` in `dir`. `Ok(None)` means no
/// file at all; problems are returned for files that are there but unusable.
pub fn locate(dir: &Path, table: Table) -> Result<Option<Vec<Part>>, Box<Problem>> {
    let name = table.name();
    let mut found: Vec<PathBuf> = Vec::new();
    let mut wrong_format: Option<PathBuf> = None;
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Problem::file_level(
            table,
            dir.to_path_buf(),
            ProblemKind::Unreadable(e.to_string()),
        )
    })?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if file_name == name && path.is_dir() {
            found.push(path);
        } else if path.file_stem().and_then(|s| s.to_str()) == Some(name) && path.is_file() {
            if Format::of(&path).is_some() {
                found.push(path);
            } else {
                wrong_format = Some(path);
            }
        }
    }
    match found.len() {
        0 => match wrong_format {
            Some(path) => Err(Box::new(Problem::file_level(
                table,
                path,
                ProblemKind::NotCsvOrParquet,
            ))),
            None => Ok(None),
        },
        1 => {
            let path = found.pop().expect("one path");
            if path.is_dir() {
                list_parts(table, &path).map(Some)
            } else {
                let format = Format::of(&path).expect("checked extension");
                Ok(Some(vec![Part { path, format }]))
            }
        }
        _ => {
            let names: Vec<String> = found.iter().map(|p| p.display().to_string()).collect();
            Err(Box::new(Problem::file_level(
                table,
                dir.to_path_buf(),
                ProblemKind::Unreadable(format!(
                    "table {table} is given more than once ({}); keep one",
                    names.join(", ")
                )),
            )))
        }
    }
}

fn list_parts(table: Table, dir: &Path) -> Result<Vec<Part>, Box<Problem>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Problem::file_level(
            table,
            dir.to_path_buf(),
            ProblemKind::Unreadable(e.to_string()),
        )
    })?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    let mut parts = Vec::new();
    for path in paths {
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // Markers such as _SUCCESS and hidden files are written by many exporters.
        if file_name.starts_with('.') || file_name.starts_with('_') || path.is_dir() {
            continue;
        }
        match Format::of(&path) {
            Some(format) => parts.push(Part { path, format }),
            None => {
                return Err(Box::new(Problem::file_level(
                    table,
                    path,
                    ProblemKind::NotCsvOrParquet,
                )))
            }
        }
    }
    if parts.is_empty() {
        return Err(Box::new(Problem::file_level(
            table,
            dir.to_path_buf(),
            ProblemKind::EmptyTable,
        )));
    }
    Ok(parts)
}

/// A lazy scan of one file. CSV columns are all read as text.
pub(super) fn scan(part: &Part) -> PolarsResult<LazyFrame> {
    let path = part.path.to_str().ok_or_else(
        || polars_err!(ComputeError: "path is not valid UTF-8: {}", part.path.display()),
    )?;
    match part.format {
        Format::Csv => LazyCsvReader::new(PlRefPath::new(path))
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .finish(),
        Format::Parquet => {
            LazyFrame::scan_parquet(PlRefPath::new(path), ScanArgsParquet::default())
        }
    }
}

/// One opened file, before its columns are read: a plain CSV file is read by
/// [`PlainCsv`], anything else (or a CSV file that turns out not to be plain) by polars'
/// lazy scanners. Both give the same values.
pub enum Source<'a> {
    Plain(&'a Part, PlainCsv),
    Lazy(Box<LazyFrame>),
}

impl<'a> Source<'a> {
    pub fn open(part: &'a Part) -> PolarsResult<Source<'a>> {
        if part.format == Format::Csv {
            if let Some(plain) = PlainCsv::open(&part.path)? {
                return Ok(Source::Plain(part, plain));
            }
        }
        Ok(Source::Lazy(Box::new(scan(part)?)))
    }

    /// The column names of the file, from its header or metadata.
    pub fn column_names(&mut self) -> PolarsResult<Vec<String>> {
        match self {
            Source::Plain(_, plain) => Ok(plain.columns().to_vec()),
            Source::Lazy(lf) => Ok(lf
                .collect_schema()?
                .iter_names()
                .map(|n| n.to_string())
                .collect()),
        }
    }

    /// Reads the named columns of the file.
    pub fn read_columns(self, names: &[String]) -> PolarsResult<Columns> {
        let lf = match self {
            Source::Plain(part, plain) => match plain.read(names)? {
                Some(table) => return Ok(Columns::Plain(table)),
                None => scan(part)?,
            },
            Source::Lazy(lf) => *lf,
        };
        let exprs: Vec<Expr> = names.iter().map(|n| col(n.as_str())).collect();
        lf.select(exprs).collect().map(Columns::Frame)
    }
}

/// The columns read from one file, in the order asked for: polars' frame, or a plain CSV
/// file's text.
pub enum Columns {
    Frame(DataFrame),
    Plain(PlainTable),
}

impl Columns {
    pub fn height(&self) -> usize {
        match self {
            Columns::Frame(frame) => frame.height(),
            Columns::Plain(table) => table.height(),
        }
    }

    pub fn names(&self) -> Vec<&str> {
        match self {
            Columns::Frame(frame) => frame
                .get_column_names()
                .into_iter()
                .map(|n| n.as_str())
                .collect(),
            Columns::Plain(table) => table.names().iter().map(String::as_str).collect(),
        }
    }

    /// The column named `name`, if it was read.
    pub fn column(&self, name: &str) -> Option<ColumnRef<'_>> {
        match self {
            Columns::Frame(frame) => frame.column(name).ok().map(ColumnRef::Polars),
            Columns::Plain(table) => {
                let index = table.names().iter().position(|n| n == name)?;
                Some(ColumnRef::Plain(table.column(index)))
            }
        }
    }

    /// The columns, in order.
    pub fn iter(&self) -> impl Iterator<Item = ColumnRef<'_>> {
        let width = match self {
            Columns::Frame(frame) => frame.width(),
            Columns::Plain(table) => table.names().len(),
        };
        (0..width).map(move |i| match self {
            Columns::Frame(frame) => ColumnRef::Polars(&frame.columns()[i]),
            Columns::Plain(table) => ColumnRef::Plain(table.column(i)),
        })
    }
}

/// One column of a file as it was read.
#[derive(Clone, Copy)]
pub enum ColumnRef<'a> {
    Polars(&'a Column),
    Plain(PlainColumn<'a>),
}

impl ColumnRef<'_> {
    pub fn null_count(&self) -> usize {
        match self {
            ColumnRef::Polars(column) => column.null_count(),
            ColumnRef::Plain(column) => column.null_count(),
        }
    }

    /// Per row: whether the value is missing.
    pub fn nulls(&self) -> Vec<bool> {
        match self {
            ColumnRef::Polars(column) => column.is_null().iter().map(|n| n == Some(true)).collect(),
            ColumnRef::Plain(column) => column.iter().map(|v| v.is_none()).collect(),
        }
    }
}

/// Explains a CSV file that polars could not parse: the first line whose number of fields
/// differs from the header's (quote-aware), which is the usual cause. Only called on error.
pub fn diagnose_csv(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let fields = |line: &str| {
        let mut in_quotes = false;
        1 + line
            .chars()
            .filter(|&c| {
                if c == '"' {
                    in_quotes = !in_quotes;
                }
                c == ',' && !in_quotes
            })
            .count()
    };
    let mut lines = text.lines();
    let expected = fields(lines.next()?);
    lines.enumerate().find_map(|(idx, line)| {
        let found = fields(line);
        (found != expected && !line.is_empty()).then(|| {
            format!(
                "row {} (line {}) has {found} fields, the header has {expected}: {line:?} (a decimal comma or an unquoted comma in a value?)",
                idx + 1,
                idx + 2
            )
        })
    })
}

/// Where values come from, for error messages.
pub struct Origin<'a> {
    pub table: Table,
    pub part: &'a Part,
    pub column: &'a str,
}

impl Origin<'_> {
    pub fn tally(&self, kind: ProblemKind) -> Tally {
        Tally::new(
            self.table,
            &self.part.path,
            self.column,
            kind,
            self.part.format == Format::Csv,
        )
    }
}

/// A column's values as text (numbers in their decimal form); nulls stay null.
pub enum Texts<'a> {
    Polars(StringChunked),
    Plain(PlainColumn<'a>),
}

impl<'a> Texts<'a> {
    pub fn len(&self) -> usize {
        match self {
            Texts::Polars(text) => text.len(),
            Texts::Plain(column) => column.len(),
        }
    }

    pub fn iter(&self) -> TextIter<'_> {
        match self {
            Texts::Polars(text) => TextIter::Polars(Box::new(text.iter())),
            Texts::Plain(column) => TextIter::Plain(column.iter()),
        }
    }
}

/// The values of [`Texts`].
pub enum TextIter<'a> {
    Polars(Box<dyn Iterator<Item = Option<&'a str>> + 'a>),
    Plain(PlainValues<'a>),
}

impl<'a> Iterator for TextIter<'a> {
    type Item = Option<&'a str>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            TextIter::Polars(values) => values.next(),
            TextIter::Plain(values) => values.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            TextIter::Polars(values) => values.size_hint(),
            TextIter::Plain(values) => values.size_hint(),
        }
    }
}

/// The column as text (numbers as their decimal form); nulls stay null.
pub fn texts<'a>(column: ColumnRef<'a>) -> PolarsResult<Texts<'a>> {
    match column {
        ColumnRef::Plain(column) => Ok(Texts::Plain(column)),
        ColumnRef::Polars(column) => match column.dtype() {
            DataType::String => Ok(Texts::Polars(column.str()?.clone())),
            _ => Ok(Texts::Polars(
                column.cast(&DataType::String)?.str()?.clone(),
            )),
        },
    }
}

fn seconds_per_unit(unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Nanoseconds => 1_000_000_000,
        TimeUnit::Microseconds => 1_000_000,
        TimeUnit::Milliseconds => 1_000,
    }
}

/// Parses a text column value by value, tallying the values `parse` rejects as `kind`.
fn parse_texts<T>(
    column: ColumnRef,
    origin: &Origin,
    kind: ProblemKind,
    out: &mut Vec<Problem>,
    parse: impl Fn(&str) -> Option<T>,
) -> PolarsResult<Vec<Option<T>>> {
    let mut bad = origin.tally(kind);
    let parsed = texts(column)?
        .iter()
        .enumerate()
        .map(|(row_idx, v)| {
            let v = v?;
            let parsed = parse(v);
            if parsed.is_none() {
                bad.hit(row_idx, || v.to_string());
            }
            parsed
        })
        .collect();
    bad.finish(out);
    Ok(parsed)
}

/// The polars column, when it is not text (Parquet's dates, timestamps and numbers).
fn typed(column: ColumnRef<'_>) -> Option<&Column> {
    match column {
        ColumnRef::Polars(column) if column.dtype() != &DataType::String => Some(column),
        _ => None,
    }
}

/// Timestamps in seconds. Dates mean midnight; text is parsed as ISO 8601.
pub fn timestamps(
    column: ColumnRef,
    origin: &Origin,
    out: &mut Vec<Problem>,
) -> PolarsResult<Vec<Option<i64>>> {
    match typed(column).map(|c| (c, c.dtype())) {
        Some((c, DataType::Date)) => Ok(c
            .date()?
            .physical()
            .iter()
            .map(|d| d.map(|d| i64::from(d) * dates::SECONDS_PER_DAY))
            .collect()),
        Some((c, DataType::Datetime(unit, _))) => {
            let per = seconds_per_unit(*unit);
            Ok(c.datetime()?
                .physical()
                .iter()
                .map(|v| v.map(|v| v.div_euclid(per)))
                .collect())
        }
        _ => parse_texts(
            column,
            origin,
            ProblemKind::BadDate,
            out,
            dates::parse_timestamp,
        ),
    }
}

/// Dates as day numbers; a timestamp is truncated to its day.
pub fn days(
    column: ColumnRef,
    origin: &Origin,
    out: &mut Vec<Problem>,
) -> PolarsResult<Vec<Option<i32>>> {
    match typed(column).map(|c| (c, c.dtype())) {
        Some((c, DataType::Date)) => Ok(c.date()?.physical().iter().collect()),
        Some((_, DataType::Datetime(..))) => Ok(timestamps(column, origin, out)?
            .into_iter()
            .map(|s| s.map(dates::day_of))
            .collect()),
        _ => parse_texts(
            column,
            origin,
            ProblemKind::BadDate,
            out,
            dates::parse_date_or_timestamp,
        ),
    }
}

/// Finite numbers. Text is parsed; anything else that is not numeric is a problem.
pub fn numbers(
    column: ColumnRef,
    origin: &Origin,
    out: &mut Vec<Problem>,
) -> PolarsResult<Vec<Option<f64>>> {
    if let Some(c) = typed(column).filter(|c| c.dtype().is_primitive_numeric()) {
        // Parquet floats can hold NaN and infinity, which are not amounts.
        let mut bad = origin.tally(ProblemKind::BadNumber);
        let values = c
            .cast(&DataType::Float64)?
            .f64()?
            .iter()
            .enumerate()
            .map(|(row_idx, v)| {
                let v = v?;
                if v.is_finite() {
                    Some(v)
                } else {
                    bad.hit(row_idx, || v.to_string());
                    None
                }
            })
            .collect();
        bad.finish(out);
        return Ok(values);
    }
    parse_texts(column, origin, ProblemKind::BadNumber, out, |v| {
        v.trim().parse::<f64>().ok().filter(|x| x.is_finite())
    })
}

/// Whole numbers; `7.0` is accepted, `7.5` is not.
pub fn integers(
    column: ColumnRef,
    origin: &Origin,
    out: &mut Vec<Problem>,
) -> PolarsResult<Vec<Option<i64>>> {
    if let Some(c) = typed(column).filter(|c| c.dtype().is_integer()) {
        return Ok(c.cast(&DataType::Int64)?.i64()?.iter().collect());
    }
    parse_texts(column, origin, ProblemKind::BadInteger, out, |v| {
        let t = v.trim();
        t.parse::<i64>().ok().or_else(|| {
            t.parse::<f64>()
                .ok()
                .filter(|x| x.fract() == 0.0 && x.abs() < 1e15)
                .map(|x| x as i64)
        })
    })
}
