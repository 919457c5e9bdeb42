//! Business KPIs per calendar period: churn and retention, new customers, repeat purchase,
//! order value, a simple customer lifetime value, and churn by satisfaction (CSAT, NPS).
//!
//! Input: [`RawTables`] and a [`KpiConfig`]. Output: a [`KpiTable`], one [`KpiRow`] per
//! period (ascending) and group, as a flat list.
//!
//! # Periods
//! Periods are calendar months or quarters `[start, end)` (quarters start in January, April,
//! July and October). Only full periods inside the data are reported: the first is the
//! first period that starts on or after the first order date, the last is the last period
//! that ends on or before `data_end + 1` (its last day is on or before the last day of the
//! data). A partial period at either end is left out, because its counts would look like a
//! drop in business. `from` and `to` keep only the periods that lie wholly inside
//! `[from, to]` (start on or after `from`, last day on or before `to`).
//!
//! # Definitions
//! As in `features`, a customer is *active* at day T (the end of day T) when they signed up
//! on or before T and placed an order in `(T - active_days, T]`; this is exactly the
//! population the model scores. For a period `[start, end)`, with `T0 = start - 1` (the
//! end of the day before the period) and `T1 = end - 1` (the end of its last day):
//! - `active_start`: customers active at T0.
//! - `churned`: of those, customers not active at T1 (no order in
//!   `(T1 - active_days, T1]`: they lapsed during the period) or whose `churned_at` falls in
//!   `(T0, T1]` (they cancelled during the period). A customer lapses on the day their
//!   last order becomes `active_days` old, so a customer active at T who has the model's
//!   inactivity label (no order in `(T, T + H]`) with `H = active_days` lapses on a day in
//!   `(T, T + H]`: the model predicts "lapses or cancels within H days" and this KPI counts
//!   "lapsed or cancelled within the period". The cancellation part is the model's
//!   cancellation label with T = T0 and H = the period's length. Like the population,
//!   activity ignores `churned_at`: a customer who cancelled but ordered within the window
//!   is still active, so they can count as churned again in the period they lapse.
//! - `churn_rate = churned / active_start`, `retention_rate = 1 - churn_rate`; both `None`
//!   when `active_start` is 0.
//! - `new`: customers whose first order falls in the period.
//! - `orders`, `revenue`: orders placed in the period and their total amount.
//! - `buyers`: customers with an order in the period; `returning_buyers`: those of them
//!   who had ordered before the period (`buyers = new + returning_buyers`);
//!   `repeat_purchase_rate = returning_buyers / buyers`;
//!   `multi_order_rate = multi_order_buyers / buyers`, where a multi-order buyer placed
//!   two or more orders in the period. Both `None` when there are no buyers.
//! - `aov = revenue / orders` (`None` without orders); `purchase_frequency = orders /
//!   buyers` (`None` without buyers).
//! - `clv = aov × purchase_frequency × expected lifetime`, where the expected lifetime in
//!   periods is `1 / churn_rate` (a customer churns with a constant chance per period).
//!   It is revenue per buyer per period over the churn rate; `None` when any part is
//!   undefined or the churn rate is 0. It is undiscounted and margin-free: a comparison
//!   between periods and groups, not a valuation.
//! - CSAT bands at the period start: customers active at T0 whose last CSAT answer was
//!   given by the end of T0, by score `at_risk` (1-6), `satisfied` (7-8), `advocate`
//!   (9-10); NPS categories likewise from the last NPS answer: `detractor` (0-6),
//!   `passive` (7-8), `promoter` (9-10). Each band has its count, how many of it churned
//!   during the period, and that churn rate (`None` for an empty band). The NPS score is
//!   `100 × (promoters - detractors) / respondents`, in [-100, 100], `None` without any.
//!
//! # Groups
//! Without `by`, each period has one row, group `all`. With `by`, each period has the `all`
//! row first, then one row per level of the column (sorted, present even when its counts
//! are zero), then `unknown` for customers with a null, when there are any. The group rows
//! of a period add up to its `all` row (revenue up to rounding).
//!
//! # Invariants
//! No rate is ever NaN: undefined values are `None`. The pass over customers runs in
//! parallel over fixed chunks of customers; counts are integers and revenue is summed per
//! chunk in customer order and then over chunks in chunk order, so the table is
//! bit-identical for any number of threads.

#[cfg(test)]
mod tests;

use std::ops::Range;

use rayon::prelude::*;
use serde::{Serialize, Serializer};

use crate::data::{Categorical, RawTables, SurveyKind, NULL_CODE};
use crate::dates::{civil_from_days, days_from_civil, format_day, SECONDS_PER_DAY};
use crate::features::DEFAULT_ACTIVE_DAYS;

/// Scores at or below this are CSAT `at_risk` and NPS detractors.
pub const LOW_BAND_MAX: u8 = 6;
/// Scores above [`LOW_BAND_MAX`] and at or below this are CSAT `satisfied` and NPS passives;
/// higher scores are CSAT `advocate`s and NPS promoters.
pub const MIDDLE_BAND_MAX: u8 = 8;

/// Customers per parallel work unit. It is fixed (not derived from the thread count) so
/// that revenue is always summed in the same order.
const CHUNK: usize = 4096;

/// The length of a reporting period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    #[default]
    Month,
    Quarter,
}

impl Period {
    /// `month` or `quarter`.
    pub fn name(self) -> &'static str {
        match self {
            Period::Month => "month",
            Period::Quarter => "quarter",
        }
    }

    fn months(self) -> u32 {
        match self {
            Period::Month => 1,
            Period::Quarter => 3,
        }
    }

    /// The first day of the first period that starts on or after `day`.
    fn first_start_on_or_after(self, day: i32) -> i32 {
        let (year, month, _) = civil_from_days(day);
        let first_month = (month - 1) / self.months() * self.months() + 1;
        let start = days_from_civil(year, first_month, 1);
        if start == day {
            start
        } else {
            self.next_start(start)
        }
    }

    /// The first day of the period after the one starting on `start`.
    fn next_start(self, start: i32) -> i32 {
        let (year, month, _) = civil_from_days(start);
        let month0 = month - 1 + self.months();
        days_from_civil(year + (month0 / 12) as i32, month0 % 12 + 1, 1)
    }

    /// `2025-04` for a month, `2025-Q2` for a quarter.
    fn label(self, start: i32) -> String {
        let (year, month, _) = civil_from_days(start);
        match self {
            Period::Month => format!("{year:04}-{month:02}"),
            Period::Quarter => format!("{year:04}-Q{}", (month - 1) / 3 + 1),
        }
    }
}

/// The customer column the rows are split by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    Segment,
    Region,
}

impl GroupBy {
    /// `segment` or `region`, the column's name in the data contract.
    pub fn name(self) -> &'static str {
        match self {
            GroupBy::Segment => crate::schema::SEGMENT,
            GroupBy::Region => crate::schema::REGION,
        }
    }

    fn column(self, raw: &RawTables) -> Option<&Categorical> {
        match self {
            GroupBy::Segment => raw.customers.segment.as_ref(),
            GroupBy::Region => raw.customers.region.as_ref(),
        }
    }
}

impl std::fmt::Display for GroupBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What to report. The default is monthly, ungrouped, with the features' 90-day activity
/// window, over every full period of the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KpiConfig {
    pub period: Period,
    pub by: Option<GroupBy>,
    /// The activity window in days (see the module doc); at least 1.
    pub active_days: i32,
    /// Keep only periods starting on or after this day.
    pub from: Option<i32>,
    /// Keep only periods whose last day is on or before this day.
    pub to: Option<i32>,
}

impl Default for KpiConfig {
    fn default() -> Self {
        KpiConfig {
            period: Period::Month,
            by: None,
            active_days: DEFAULT_ACTIVE_DAYS,
            from: None,
            to: None,
        }
    }
}

/// Why no KPI table could be computed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KpiError {
    #[error("the activity window must be at least one day, got {0}")]
    BadActiveDays(i32),
    #[error("the orders table is empty, so there is no period to report on")]
    NoOrders,
    #[error("grouping by {0} needs a {0} column in the customers table, and it has none")]
    NoGroupColumn(GroupBy),
    #[error(
        "the date range is empty: its start ({}) is after its end ({})",
        format_day(*.from), format_day(*.to)
    )]
    EmptyRange { from: i32, to: i32 },
    #[error("{}", describe_no_full_period(*.period, *.first_order, *.data_end))]
    NoFullPeriod {
        period: Period,
        first_order: i32,
        data_end: i32,
    },
    #[error(
        "no full {} lies within {} to {}; the full {}s of the data run from {} to {}",
        .period.name(), bound(.from, "the start"), bound(.to, "the end"),
        .period.name(), format_day(*.first_start), format_day(.last_end - 1)
    )]
    NoPeriodInRange {
        period: Period,
        from: Option<i32>,
        to: Option<i32>,
        /// First day of the data's first full period.
        first_start: i32,
        /// Day after the data's last full period.
        last_end: i32,
    },
}

fn describe_no_full_period(period: Period, first_order: i32, data_end: i32) -> String {
    let start = period.first_start_on_or_after(first_order);
    let end = period.next_start(start);
    format!(
        "the data holds no full {}: orders start on {} and the data ends on {}, \
         but the first full {} runs from {} to {}",
        period.name(),
        format_day(first_order),
        format_day(data_end),
        period.name(),
        format_day(start),
        format_day(end - 1)
    )
}

fn bound(day: &Option<i32>, open: &str) -> String {
    day.map_or_else(|| open.to_string(), format_day)
}

/// Which customers a row counts: everyone, one level of the `by` column, or its nulls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Group {
    All,
    Level(String),
    Unknown,
}

impl Group {
    /// `all`, the level itself, or `unknown`. A level literally named `all` or `unknown`
    /// reads the same as those groups; the row order (all, levels, unknown) tells them apart.
    pub fn name(&self) -> &str {
        match self {
            Group::All => "all",
            Group::Level(level) => level,
            Group::Unknown => "unknown",
        }
    }
}

impl Serialize for Group {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// One satisfaction band at the period start and its churn during the period.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Band {
    pub customers: usize,
    pub churned: usize,
    /// `churned / customers`; `None` for an empty band.
    pub churn_rate: Option<f64>,
}

/// Customers active at the period start, by their last CSAT score (1-10).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CsatBands {
    /// Scores 1-6.
    pub at_risk: Band,
    /// Scores 7-8.
    pub satisfied: Band,
    /// Scores 9-10.
    pub advocate: Band,
}

/// Customers active at the period start, by their last NPS score (0-10).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct NpsBands {
    /// Scores 0-6.
    pub detractor: Band,
    /// Scores 7-8.
    pub passive: Band,
    /// Scores 9-10.
    pub promoter: Band,
    /// `100 × (promoters - detractors) / respondents`; `None` without respondents.
    pub score: Option<f64>,
}

/// The KPIs of one period and group; see the module doc for each definition.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KpiRow {
    /// `2025-04` or `2025-Q2`.
    pub period: String,
    /// First day of the period (an ISO date in JSON).
    #[serde(serialize_with = "iso_day")]
    pub start: i32,
    /// Day after the period's last day (an ISO date in JSON).
    #[serde(serialize_with = "iso_day")]
    pub end: i32,
    pub group: Group,
    pub active_start: usize,
    pub churned: usize,
    pub churn_rate: Option<f64>,
    pub retention_rate: Option<f64>,
    pub new: usize,
    pub orders: usize,
    pub revenue: f64,
    pub buyers: usize,
    pub returning_buyers: usize,
    pub repeat_purchase_rate: Option<f64>,
    pub multi_order_buyers: usize,
    pub multi_order_rate: Option<f64>,
    pub aov: Option<f64>,
    pub purchase_frequency: Option<f64>,
    pub clv: Option<f64>,
    pub csat: CsatBands,
    pub nps: NpsBands,
}

fn iso_day<S: Serializer>(day: &i32, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_day(*day))
}

/// The KPI rows with the settings that produced them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KpiTable {
    pub period: Period,
    pub by: Option<GroupBy>,
    pub active_days: i32,
    rows: Vec<KpiRow>,
}

impl KpiTable {
    /// Rows by period (ascending), then group (`all`, levels, `unknown`).
    pub fn rows(&self) -> &[KpiRow] {
        &self.rows
    }

    /// The rows, in the order of [`KpiTable::rows`].
    pub fn into_rows(self) -> Vec<KpiRow> {
        self.rows
    }
}

/// Computes the KPIs of every full period of the data (see the module doc).
///
/// # Errors
/// An activity window under one day, no orders, grouping by a column the data lacks,
/// `from` after `to`, data without a full period, or a range holding no full period.
pub fn compute(raw: &RawTables, config: &KpiConfig) -> Result<KpiTable, KpiError> {
    if config.active_days < 1 {
        return Err(KpiError::BadActiveDays(config.active_days));
    }
    let spans = periods(raw, config)?;
    let slots = GroupSlots::new(raw, config.by)?;
    let totals = tally_all(raw, &spans, &slots, config.active_days);
    let mut rows = Vec::with_capacity(totals.len());
    for (p, span) in spans.iter().enumerate() {
        for (slot, group) in slots.reported() {
            let tally = &totals[p * slots.n_slots() + slot];
            rows.push(row(config.period, span, group, tally));
        }
    }
    Ok(KpiTable {
        period: config.period,
        by: config.by,
        active_days: config.active_days,
        rows,
    })
}

/// A period `[start, end)` in day numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start: i32,
    end: i32,
}

/// The full periods of the data, limited to `[from, to]`.
fn periods(raw: &RawTables, config: &KpiConfig) -> Result<Vec<Span>, KpiError> {
    let period = config.period;
    if let (Some(from), Some(to)) = (config.from, config.to) {
        if from > to {
            return Err(KpiError::EmptyRange { from, to });
        }
    }
    let first_order = *raw.orders.day.iter().min().ok_or(KpiError::NoOrders)?;
    let mut all = Vec::new();
    let mut start = period.first_start_on_or_after(first_order);
    loop {
        let end = period.next_start(start);
        if end > raw.data_end + 1 {
            break;
        }
        all.push(Span { start, end });
        start = end;
    }
    let (Some(first), Some(last)) = (all.first().copied(), all.last().copied()) else {
        return Err(KpiError::NoFullPeriod {
            period,
            first_order,
            data_end: raw.data_end,
        });
    };
    let kept: Vec<Span> = all
        .into_iter()
        .filter(|s| config.from.is_none_or(|from| s.start >= from))
        .filter(|s| config.to.is_none_or(|to| s.end - 1 <= to))
        .collect();
    if kept.is_empty() {
        return Err(KpiError::NoPeriodInRange {
            period,
            from: config.from,
            to: config.to,
            first_start: first.start,
            last_end: last.end,
        });
    }
    Ok(kept)
}

/// Where each customer's counts go: slot 0 is `all`; with a `by` column, slot `1 + code`
/// is a level and the last slot holds the nulls.
struct GroupSlots<'a> {
    codes: Option<&'a [u32]>,
    levels: &'a [String],
    has_nulls: bool,
}

impl<'a> GroupSlots<'a> {
    fn new(raw: &'a RawTables, by: Option<GroupBy>) -> Result<GroupSlots<'a>, KpiError> {
        let Some(by) = by else {
            return Ok(GroupSlots {
                codes: None,
                levels: &[],
                has_nulls: false,
            });
        };
        let column = by.column(raw).ok_or(KpiError::NoGroupColumn(by))?;
        Ok(GroupSlots {
            codes: Some(&column.codes),
            levels: &column.levels,
            has_nulls: column.codes.contains(&NULL_CODE),
        })
    }

    fn n_slots(&self) -> usize {
        match self.codes {
            None => 1,
            Some(_) => self.levels.len() + 2,
        }
    }

    /// The group slot of `customer`, if the rows are grouped.
    fn slot_of(&self, customer: usize) -> Option<usize> {
        let code = self.codes?[customer];
        Some(if code == NULL_CODE {
            self.levels.len() + 1
        } else {
            code as usize + 1
        })
    }

    /// The slots that become rows, in row order, with their groups.
    fn reported(&self) -> Vec<(usize, Group)> {
        let mut out = vec![(0, Group::All)];
        if self.codes.is_some() {
            for (code, level) in self.levels.iter().enumerate() {
                out.push((code + 1, Group::Level(level.clone())));
            }
            if self.has_nulls {
                out.push((self.levels.len() + 1, Group::Unknown));
            }
        }
        out
    }
}

/// Customers in a satisfaction band and how many of them churned.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct BandTally {
    customers: usize,
    churned: usize,
}

/// The additive counts behind one row.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Tally {
    active_start: usize,
    churned: usize,
    new: usize,
    orders: usize,
    revenue: f64,
    buyers: usize,
    returning_buyers: usize,
    multi_order_buyers: usize,
    /// Indexed by [`band`]: low, middle, high.
    csat: [BandTally; 3],
    nps: [BandTally; 3],
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.active_start += other.active_start;
        self.churned += other.churned;
        self.new += other.new;
        self.orders += other.orders;
        self.revenue += other.revenue;
        self.buyers += other.buyers;
        self.returning_buyers += other.returning_buyers;
        self.multi_order_buyers += other.multi_order_buyers;
        for (mine, theirs) in self.csat.iter_mut().zip(&other.csat) {
            mine.customers += theirs.customers;
            mine.churned += theirs.churned;
        }
        for (mine, theirs) in self.nps.iter_mut().zip(&other.nps) {
            mine.customers += theirs.customers;
            mine.churned += theirs.churned;
        }
    }
}

/// 0 for scores up to [`LOW_BAND_MAX`], 1 up to [`MIDDLE_BAND_MAX`], 2 above.
fn band(score: u8) -> usize {
    if score <= LOW_BAND_MAX {
        0
    } else if score <= MIDDLE_BAND_MAX {
        1
    } else {
        2
    }
}

/// Tallies of every (period, slot), indexed `period * n_slots + slot`.
fn tally_all(raw: &RawTables, spans: &[Span], slots: &GroupSlots, active_days: i32) -> Vec<Tally> {
    let n_customers = raw.customers.len();
    let chunks: Vec<Vec<Tally>> = (0..n_customers.div_ceil(CHUNK))
        .into_par_iter()
        .map(|chunk| {
            let customers = chunk * CHUNK..((chunk + 1) * CHUNK).min(n_customers);
            tally_chunk(raw, customers, spans, slots, active_days)
        })
        .collect();
    let mut totals = vec![Tally::default(); spans.len() * slots.n_slots()];
    for chunk in &chunks {
        for (total, part) in totals.iter_mut().zip(chunk) {
            total.add(part);
        }
    }
    totals
}

fn tally_chunk(
    raw: &RawTables,
    customers: Range<usize>,
    spans: &[Span],
    slots: &GroupSlots,
    active_days: i32,
) -> Vec<Tally> {
    let n_slots = slots.n_slots();
    let mut tallies = vec![Tally::default(); spans.len() * n_slots];
    for customer in customers {
        let history = History::of(raw, customer);
        let group = slots.slot_of(customer);
        let mut scores = LastScores::default();
        for (p, span) in spans.iter().enumerate() {
            scores.advance(&history, span.start);
            let one = tally_customer(&history, span, active_days, &scores);
            tallies[p * n_slots].add(&one);
            if let Some(slot) = group {
                tallies[p * n_slots + slot].add(&one);
            }
        }
    }
    tallies
}

/// One customer's time-sorted events.
struct History<'a> {
    signup: i32,
    order_days: &'a [i32],
    amounts: &'a [f64],
    churned_at: Option<i32>,
    survey_at: &'a [i64],
    survey_kind: &'a [SurveyKind],
    survey_score: &'a [u8],
}

impl<'a> History<'a> {
    fn of(raw: &'a RawTables, customer: usize) -> History<'a> {
        let orders = raw.orders.offsets.of(customer);
        let (survey_at, survey_kind, survey_score): (&[i64], &[SurveyKind], &[u8]) =
            match &raw.surveys {
                Some(s) => {
                    let r = s.offsets.of(customer);
                    (&s.at[r.clone()], &s.kind[r.clone()], &s.score[r])
                }
                None => (&[], &[], &[]),
            };
        History {
            signup: raw.customers.signup_day[customer],
            order_days: &raw.orders.day[orders.clone()],
            amounts: &raw.orders.amount[orders],
            churned_at: raw.customers.churned_at.as_ref().and_then(|c| c[customer]),
            survey_at,
            survey_kind,
            survey_score,
        }
    }

    /// Number of orders on or before day `t`.
    fn orders_upto(&self, t: i32) -> usize {
        self.order_days.partition_point(|&d| d <= t)
    }

    /// The population rule of `features`: signed up by T and ordered in (T - window, T].
    fn is_active(&self, t: i32, active_days: i32) -> bool {
        self.signup <= t && self.orders_upto(t) > self.orders_upto(t.saturating_sub(active_days))
    }
}

/// The customer's last CSAT and NPS scores answered before a moving instant. Periods are
/// visited in ascending order, so each survey is read once per customer.
#[derive(Debug, Default)]
struct LastScores {
    next: usize,
    csat: Option<u8>,
    nps: Option<u8>,
}

impl LastScores {
    /// Takes in every survey answered before the first second of day `start`.
    fn advance(&mut self, history: &History, start: i32) {
        let before = i64::from(start) * SECONDS_PER_DAY;
        while self.next < history.survey_at.len() && history.survey_at[self.next] < before {
            let score = Some(history.survey_score[self.next]);
            match history.survey_kind[self.next] {
                SurveyKind::Csat => self.csat = score,
                SurveyKind::Nps => self.nps = score,
            }
            self.next += 1;
        }
    }
}

/// One customer's contribution to one period (every count is 0 or 1, except orders).
fn tally_customer(history: &History, span: &Span, active_days: i32, scores: &LastScores) -> Tally {
    let (before, last) = (span.start - 1, span.end - 1);
    let mut tally = Tally::default();
    let earlier = history.orders_upto(before);
    let in_period = earlier..history.orders_upto(last);
    if !in_period.is_empty() {
        tally.orders = in_period.len();
        tally.revenue = history.amounts[in_period.clone()].iter().sum();
        tally.buyers = 1;
        tally.new = usize::from(earlier == 0);
        tally.returning_buyers = usize::from(earlier > 0);
        tally.multi_order_buyers = usize::from(in_period.len() >= 2);
    }
    if history.is_active(before, active_days) {
        let lapsed = !history.is_active(last, active_days);
        let cancelled = history
            .churned_at
            .is_some_and(|day| day > before && day <= last);
        let churned = usize::from(lapsed || cancelled);
        tally.active_start = 1;
        tally.churned = churned;
        if let Some(score) = scores.csat {
            tally.csat[band(score)] = BandTally {
                customers: 1,
                churned,
            };
        }
        if let Some(score) = scores.nps {
            tally.nps[band(score)] = BandTally {
                customers: 1,
                churned,
            };
        }
    }
    tally
}

/// `numerator / denominator`, `None` when the denominator is 0.
fn ratio(numerator: f64, denominator: usize) -> Option<f64> {
    (denominator > 0).then(|| numerator / denominator as f64)
}

fn band_of(tally: &BandTally) -> Band {
    Band {
        customers: tally.customers,
        churned: tally.churned,
        churn_rate: ratio(tally.churned as f64, tally.customers),
    }
}

fn nps_score(nps: &[BandTally; 3]) -> Option<f64> {
    let respondents: usize = nps.iter().map(|b| b.customers).sum();
    let net = nps[2].customers as f64 - nps[0].customers as f64;
    ratio(100.0 * net, respondents)
}

/// Expected lifetime value: spend per buyer per period times the expected number of periods
/// before churning, `1 / churn_rate`.
fn clv(aov: Option<f64>, frequency: Option<f64>, churn_rate: Option<f64>) -> Option<f64> {
    let churn_rate = churn_rate.filter(|&r| r > 0.0)?;
    Some(aov? * frequency? / churn_rate)
}

fn row(period: Period, span: &Span, group: Group, t: &Tally) -> KpiRow {
    let churn_rate = ratio(t.churned as f64, t.active_start);
    let aov = ratio(t.revenue, t.orders);
    let purchase_frequency = ratio(t.orders as f64, t.buyers);
    KpiRow {
        period: period.label(span.start),
        start: span.start,
        end: span.end,
        group,
        active_start: t.active_start,
        churned: t.churned,
        churn_rate,
        retention_rate: churn_rate.map(|r| 1.0 - r),
        new: t.new,
        orders: t.orders,
        revenue: t.revenue,
        buyers: t.buyers,
        returning_buyers: t.returning_buyers,
        repeat_purchase_rate: ratio(t.returning_buyers as f64, t.buyers),
        multi_order_buyers: t.multi_order_buyers,
        multi_order_rate: ratio(t.multi_order_buyers as f64, t.buyers),
        aov,
        purchase_frequency,
        clv: clv(aov, purchase_frequency, churn_rate),
        csat: CsatBands {
            at_risk: band_of(&t.csat[0]),
            satisfied: band_of(&t.csat[1]),
            advocate: band_of(&t.csat[2]),
        },
        nps: NpsBands {
            detractor: band_of(&t.nps[0]),
            passive: band_of(&t.nps[1]),
            promoter: band_of(&t.nps[2]),
            score: nps_score(&t.nps),
        },
    }
}
