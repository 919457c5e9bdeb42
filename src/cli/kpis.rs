//! `churn kpis`: business KPIs per month or quarter, for everyone or by segment or region.
//!
//! Input: the data directory and the flags. Output: a table a person reads on stdout (one
//! line per period and group, at most 120 columns wide), or with `--json` the
//! [`KpiTable`] as JSON; with `--out`, the same rows as a flat CSV or Parquet table (one
//! column per field, bands flattened as `csat_at_risk_customers`, ...), written atomically.
//! The summary and a legend go to stderr. The numbers are exactly those of
//! [`churn::kpis::compute`]: this layer only formats and writes them, so the text, JSON
//! and file outputs always agree.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use polars::prelude::*;

use super::{parse_date_arg, DataArgs, Ui};
use churn::dates::format_day;
use churn::features::DEFAULT_ACTIVE_DAYS;
use churn::io;
use churn::kpis::{self, Band, GroupBy, KpiConfig, KpiError, KpiRow, KpiTable, Period};
use churn::report::format_number;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PeriodArg {
    Month,
    Quarter,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum GroupArg {
    Segment,
    Region,
}

#[derive(Args, Debug)]
pub struct KpisArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Report per calendar month or per quarter (only full periods of the data).
    #[arg(long, value_enum, default_value = "month")]
    period: PeriodArg,
    /// Add one row per segment or region under each period's `all` row.
    #[arg(long, value_enum)]
    by: Option<GroupArg>,
    /// A customer is active at a day when they ordered within this many days up to it.
    #[arg(long, default_value_t = DEFAULT_ACTIVE_DAYS)]
    active_days: i32,
    /// Keep only the periods that start on or after this day.
    #[arg(long, value_parser = parse_date_arg, value_name = "YYYY-MM-DD")]
    from: Option<i32>,
    /// Keep only the periods that end on or before this day.
    #[arg(long, value_parser = parse_date_arg, value_name = "YYYY-MM-DD")]
    to: Option<i32>,
    /// Also write the rows as a flat table: .csv or .parquet.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print the KPI table as JSON on stdout instead of the text table.
    #[arg(long)]
    json: bool,
}

impl KpisArgs {
    fn config(&self) -> KpiConfig {
        KpiConfig {
            period: match self.period {
                PeriodArg::Month => Period::Month,
                PeriodArg::Quarter => Period::Quarter,
            },
            by: self.by.map(|by| match by {
                GroupArg::Segment => GroupBy::Segment,
                GroupArg::Region => GroupBy::Region,
            }),
            active_days: self.active_days,
            from: self.from,
            to: self.to,
        }
    }
}

pub fn run(args: KpisArgs, ui: &Ui) -> Result<ExitCode> {
    if let Some(out) = &args.out {
        if io::TableFormat::of(out).is_none() {
            bail!("--out {} must end in .csv or .parquet", out.display());
        }
    }
    let config = args.config();
    check_before_reading(&config)?;
    let raw = args.data.load(ui)?;
    let step = ui.step(format!("computing KPIs per {}", config.period.name()));
    let table = kpis::compute(&raw, &config)
        .with_context(|| format!("computing KPIs for {}", args.data.data.display()))?;
    if let Some(out) = &args.out {
        step.bar.set_message(format!("writing {}", out.display()));
        let mut df = to_dataframe(table.rows())?;
        io::write_table(&mut df, out)?;
    }
    drop(step);

    let mut stdout = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut stdout, &table)?;
        writeln!(stdout)?;
    } else {
        for line in text_table(table.rows()) {
            writeln!(stdout, "{line}")?;
        }
        ui.info(LEGEND);
    }
    stdout.flush()?;
    if let Some(out) = &args.out {
        ui.info(format!(
            "wrote {} rows to {}",
            table.rows().len(),
            out.display()
        ));
    }
    ui.info(summary(&table));
    Ok(ExitCode::SUCCESS)
}

/// Refuses flags that can never give a table before the data is read, which can take a
/// while. It returns the library's own errors, so the messages are those `kpis::compute`
/// would give for the same flags after reading.
fn check_before_reading(config: &KpiConfig) -> Result<(), KpiError> {
    if config.active_days < 1 {
        return Err(KpiError::BadActiveDays(config.active_days));
    }
    if let (Some(from), Some(to)) = (config.from, config.to) {
        if from > to {
            return Err(KpiError::EmptyRange { from, to });
        }
    }
    Ok(())
}

/// The final line on stderr: how many periods, their dates, and the average churn.
fn summary(table: &KpiTable) -> String {
    let all: Vec<&KpiRow> = table
        .rows()
        .iter()
        .filter(|r| r.group == kpis::Group::All)
        .collect();
    let (Some(first), Some(last)) = (all.first(), all.last()) else {
        return "no periods to report".to_string();
    };
    let grouping = table
        .by
        .map_or_else(String::new, |by| format!(", split by {by}"));
    let churn = average_monthly_churn(&all, table.period).map_or_else(|| DASH.to_string(), percent);
    let periods = match all.len() {
        1 => format!("1 {}", table.period.name()),
        n => format!("{n} {}s", table.period.name()),
    };
    format!(
        "{periods} from {} to {}{grouping} (active = ordered within {} days); \
         average monthly churn {churn}",
        format_day(first.start),
        format_day(last.end - 1),
        table.active_days,
    )
}

/// The mean churn rate per month over the periods with a defined rate. A quarterly rate
/// `q` is first turned into the monthly rate `m` with the same survival over three months,
/// `1 - m = (1 - q)^(1/3)`, so that months and quarters give comparable figures.
fn average_monthly_churn(rows: &[&KpiRow], period: Period) -> Option<f64> {
    let monthly: Vec<f64> = rows
        .iter()
        .filter_map(|r| r.churn_rate)
        .map(|rate| match period {
            Period::Month => rate,
            Period::Quarter => 1.0 - (1.0 - rate).powf(1.0 / 3.0),
        })
        .collect();
    (!monthly.is_empty()).then(|| monthly.iter().sum::<f64>() / monthly.len() as f64)
}

/// What the headers of the text table mean; printed on stderr under the table, in lines
/// that fit 120 columns.
const LEGEND: &str = "\
active: customers active at the period start; churned, churn%, retain%: of them, who lapsed or cancelled in the period
new: customers whose first order is in the period; buyers: customers who ordered; repeat%: buyers who had ordered before
AOV: revenue per order; freq: orders per buyer; CLV: AOV x freq / churn rate (spend over an expected lifetime)
csat1-6: share of the active CSAT respondents whose last score was 1-6; churn 1-6/9+: churn of scores 1-6 vs 9-10
NPS: % promoters (9-10) - % detractors (0-6) among the active customers' last NPS answers";

/// Shown for a value that is undefined (`None`), e.g. a rate without a denominator.
const DASH: &str = "–";

/// The widest group name shown; longer names are cut with an ellipsis.
const GROUP_WIDTH: usize = 10;

/// The text table's columns: header and minimum width. The widths add up, with a space
/// between columns, to 119, so that a line fits a 120-column terminal.
const COLUMNS: [(&str, usize); 15] = [
    ("period", 7),
    ("group", GROUP_WIDTH),
    ("active", 6),
    ("churned", 7),
    ("churn%", 6),
    ("retain%", 7),
    ("new", 5),
    ("buyers", 6),
    ("repeat%", 7),
    ("AOV", 8),
    ("freq", 5),
    ("CLV", 7),
    ("csat1-6", 7),
    ("churn 1-6/9+", 13),
    ("NPS", 4),
];

/// The header and one line per row.
fn text_table(rows: &[KpiRow]) -> Vec<String> {
    let header: Vec<String> = COLUMNS.iter().map(|(h, _)| h.to_string()).collect();
    std::iter::once(header)
        .chain(rows.iter().map(cells))
        .map(|cells| line(&cells))
        .collect()
}

/// Pads each cell to its column's width: the period and group to the left, numbers to
/// the right so that their digits line up.
fn line(cells: &[String]) -> String {
    let padded: Vec<String> = cells
        .iter()
        .zip(COLUMNS)
        .enumerate()
        .map(|(col, (cell, (_, width)))| {
            if col < 2 {
                format!("{cell:<width$}")
            } else {
                format!("{cell:>width$}")
            }
        })
        .collect();
    padded.join(" ").trim_end().to_string()
}

/// One row's cells, in the order of [`COLUMNS`].
fn cells(r: &KpiRow) -> Vec<String> {
    let csat = &r.csat;
    let respondents = csat.at_risk.customers + csat.satisfied.customers + csat.advocate.customers;
    let at_risk_share =
        (respondents > 0).then(|| csat.at_risk.customers as f64 / respondents as f64);
    vec![
        r.period.clone(),
        shorten(r.group.name(), GROUP_WIDTH),
        count(r.active_start),
        count(r.churned),
        or_dash(r.churn_rate, percent),
        or_dash(r.retention_rate, percent),
        count(r.new),
        count(r.buyers),
        or_dash(r.repeat_purchase_rate, percent),
        or_dash(r.aov, |v| format_number(v, 2)),
        or_dash(r.purchase_frequency, |v| format!("{v:.2}")),
        or_dash(r.clv, |v| format_number(v, 0)),
        or_dash(at_risk_share, percent),
        format!(
            "{}/{}",
            or_dash(csat.at_risk.churn_rate, percent),
            or_dash(csat.advocate.churn_rate, percent)
        ),
        or_dash(r.nps.score, nps),
    ]
}

fn or_dash(value: Option<f64>, format: impl Fn(f64) -> String) -> String {
    value.map_or_else(|| DASH.to_string(), format)
}

/// `name`, or its first `width - 1` characters and an ellipsis when it is longer.
fn shorten(name: &str, width: usize) -> String {
    if name.chars().count() <= width {
        return name.to_string();
    }
    let kept: String = name.chars().take(width.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// `12.3%` for 0.123.
fn percent(rate: f64) -> String {
    format!("{:.1}%", 100.0 * rate)
}

/// `1,234` for 1234.
fn count(n: usize) -> String {
    format_number(n as f64, 0)
}

/// An NPS score as the whole number it is usually quoted as, with its sign: `+12`, `-100`, `0`.
fn nps(score: f64) -> String {
    let rounded = score.round();
    if rounded == 0.0 {
        "0".to_string()
    } else {
        format!("{rounded:+.0}")
    }
}

/// The rows as a flat table: one column per field of [`KpiRow`], in its order, with the
/// satisfaction bands flattened (`csat_at_risk_customers`, `csat_at_risk_churned`,
/// `csat_at_risk_churn_rate`, ..., `nps_score`). Dates are ISO days, as in the JSON;
/// undefined rates are nulls. Values are not rounded, so the file holds the JSON's numbers.
fn to_dataframe(rows: &[KpiRow]) -> PolarsResult<DataFrame> {
    let mut table = FlatTable::new(rows);
    table.text("period", |r| r.period.clone());
    table.text("start", |r| format_day(r.start));
    table.text("end", |r| format_day(r.end));
    table.text("group", |r| r.group.name().to_string());
    table.count("active_start", |r| r.active_start);
    table.count("churned", |r| r.churned);
    table.number("churn_rate", |r| r.churn_rate);
    table.number("retention_rate", |r| r.retention_rate);
    table.count("new", |r| r.new);
    table.count("orders", |r| r.orders);
    table.number("revenue", |r| Some(r.revenue));
    table.count("buyers", |r| r.buyers);
    table.count("returning_buyers", |r| r.returning_buyers);
    table.number("repeat_purchase_rate", |r| r.repeat_purchase_rate);
    table.count("multi_order_buyers", |r| r.multi_order_buyers);
    table.number("multi_order_rate", |r| r.multi_order_rate);
    table.number("aov", |r| r.aov);
    table.number("purchase_frequency", |r| r.purchase_frequency);
    table.number("clv", |r| r.clv);
    let bands: [(&str, BandOf); 6] = [
        ("csat_at_risk", |r| r.csat.at_risk),
        ("csat_satisfied", |r| r.csat.satisfied),
        ("csat_advocate", |r| r.csat.advocate),
        ("nps_detractor", |r| r.nps.detractor),
        ("nps_passive", |r| r.nps.passive),
        ("nps_promoter", |r| r.nps.promoter),
    ];
    for (prefix, band) in bands {
        table.count(&format!("{prefix}_customers"), |r| band(r).customers);
        table.count(&format!("{prefix}_churned"), |r| band(r).churned);
        table.number(&format!("{prefix}_churn_rate"), |r| band(r).churn_rate);
    }
    table.number("nps_score", |r| r.nps.score);
    DataFrame::new(rows.len(), table.columns)
}

/// Picks one satisfaction band out of a row.
type BandOf = fn(&KpiRow) -> Band;

/// Builds the columns of [`to_dataframe`] one field at a time.
struct FlatTable<'a> {
    rows: &'a [KpiRow],
    columns: Vec<Column>,
}

impl<'a> FlatTable<'a> {
    fn new(rows: &'a [KpiRow]) -> FlatTable<'a> {
        FlatTable {
            rows,
            columns: Vec::new(),
        }
    }

    fn text(&mut self, name: &str, value: impl Fn(&KpiRow) -> String) {
        let column: StringChunked = self.rows.iter().map(|r| Some(value(r))).collect();
        self.columns
            .push(column.with_name(name.into()).into_column());
    }

    fn count(&mut self, name: &str, value: impl Fn(&KpiRow) -> usize) {
        // Counts of customers and orders are far below i64::MAX, so the cast is exact.
        let values = self.rows.iter().map(|r| Some(value(r) as i64));
        self.columns
            .push(Int64Chunked::from_iter_options(name.into(), values).into_column());
    }

    fn number(&mut self, name: &str, value: impl Fn(&KpiRow) -> Option<f64>) {
        let values = self.rows.iter().map(value);
        self.columns
            .push(Float64Chunked::from_iter_options(name.into(), values).into_column());
    }
}
