//! Stage 9, report: self-contained HTML pages with inline SVG charts.
//!
//! Input: values the caller has already computed (curves, driver weights, binned counts,
//! key numbers, tables). Output: `String`s, SVG fragments from [`svg`] and a complete HTML5
//! document from [`html`]. This layer does no I/O; the command layer writes the page.
//!
//! Invariants:
//! - The page is one file: no scripts, fonts, images or style sheets are fetched; the only
//!   URL it contains is the SVG namespace `http://www.w3.org/2000/svg`.
//! - Every piece of caller text is escaped with [`escape`] before it is written.
//! - Non-finite numbers are never written: chart points that are not finite are skipped,
//!   and table numbers that are not finite show as a dash.
//! - Output is deterministic: the same values give the same bytes (no clock, no map
//!   iteration order, coordinates rounded to 2 decimals).
//! - Inputs that would make a chart meaningless (a reversed axis range, histogram counts
//!   that do not match the bins, shares of an empty group) are refused with a
//!   [`ReportError`] when the value is built, so rendering itself cannot fail.

pub mod churn;
pub mod html;
pub mod svg;

#[cfg(test)]
mod tests;

pub use html::{Block, Cell, Page, Section, Table, Tile};
pub use svg::{
    nice_ticks, Bar, BarChart, Histogram, HistogramGroup, HistogramScale, LineChart, LineStyle,
    Range, Series, TickFormat,
};

/// What was wrong with the values given to a chart or a table.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ReportError {
    #[error("axis range {min}..{max} is not usable: both ends must be finite and min < max")]
    InvalidRange { min: f64, max: f64 },
    #[error("histogram \"{chart}\" needs at least 2 bin edges, got {n_edges}")]
    TooFewEdges { chart: String, n_edges: usize },
    #[error("histogram \"{chart}\": bin edge {index} is {value}, but edges must be finite and strictly increasing (the previous edge is {previous})")]
    BadEdge {
        chart: String,
        index: usize,
        value: f64,
        previous: f64,
    },
    #[error("histogram \"{chart}\" has no groups to draw")]
    NoGroups { chart: String },
    #[error(
        "histogram \"{chart}\": group \"{group}\" has {found} counts but there are {expected} bins"
    )]
    CountsLength {
        chart: String,
        group: String,
        expected: usize,
        found: usize,
    },
    #[error("histogram \"{chart}\": group \"{group}\" has no rows, so its shares are undefined")]
    EmptyGroup { chart: String, group: String },
    #[error("table \"{table}\": row {row} has {found} cells but there are {expected} headers")]
    RowLength {
        table: String,
        row: usize,
        expected: usize,
        found: usize,
    },
    #[error("table \"{table}\": cannot highlight row {row}, the table has {n_rows} rows")]
    HighlightOutOfRange {
        table: String,
        row: usize,
        n_rows: usize,
    },
}

/// Escapes text for HTML and SVG, in element content and in quoted attributes alike:
/// `&`, `<`, `>`, `"` and `'` become entities, and control characters other than tab,
/// newline and carriage return are dropped because XML forbids them, even escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Shown in place of a number that is not finite.
pub const MISSING: &str = "–";

/// `value` with `decimals` decimals and a comma between thousands: `12500.0, 0` ->
/// `"12,500"`, `-0.256, 2` -> `"-0.26"`. A value that rounds to zero is written without a
/// sign, and a non-finite value as [`MISSING`].
pub fn format_number(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return MISSING.to_string();
    }
    let text = format!("{:.*}", decimals, value.abs());
    let (int_part, frac_part) = match text.split_once('.') {
        Some((int_part, frac_part)) => (int_part, Some(frac_part)),
        None => (text.as_str(), None),
    };
    let is_zero = text.bytes().all(|b| b == b'0' || b == b'.');
    let mut out = String::with_capacity(text.len() + 4);
    if value < 0.0 && !is_zero {
        out.push('-');
    }
    out.push_str(&group_thousands(int_part));
    if let Some(frac_part) = frac_part {
        out.push('.');
        out.push_str(frac_part);
    }
    out
}

/// A share (0.25 = 25%) as a percentage with `decimals` decimals: `0.256, 1` -> `"25.6%"`.
/// A non-finite value is written as [`MISSING`].
pub fn format_percent(share: f64, decimals: usize) -> String {
    if !share.is_finite() {
        return MISSING.to_string();
    }
    format!("{}%", format_number(share * 100.0, decimals))
}

/// Inserts a comma every three digits from the right of a string of ASCII digits.
fn group_thousands(digits: &str) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
