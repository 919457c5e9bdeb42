//! The feature formulas for one customer at one as-of date. Every window is found by
//! binary search in the customer's time-sorted events, so the cost per snapshot is
//! logarithmic in the customer's history plus the events inside the windows.

use super::N_NUMERIC;
use crate::data::{RawTables, SurveyKind};
use crate::dates::{day_of, SECONDS_PER_DAY};
use crate::schema::{NPS_DETRACTOR_MAX, URGENT};

// Positions in `schema::features::NUMERIC` (checked by a test).
pub(crate) const RECENCY_DAYS: usize = 0;
pub(crate) const TENURE_DAYS: usize = 1;
pub(crate) const ORDERS_30D: usize = 2;
pub(crate) const ORDERS_90D: usize = 3;
pub(crate) const ORDERS_365D: usize = 4;
pub(crate) const SPEND_90D: usize = 5;
pub(crate) const SPEND_365D: usize = 6;
pub(crate) const AVG_ORDER_VALUE_365D: usize = 7;
pub(crate) const ORDER_TREND: usize = 8;
pub(crate) const MEAN_DAYS_BETWEEN_ORDERS: usize = 9;
pub(crate) const TICKETS_30D: usize = 10;
pub(crate) const TICKETS_90D: usize = 11;
pub(crate) const OPEN_TICKETS: usize = 12;
pub(crate) const URGENT_TICKETS_90D: usize = 13;
pub(crate) const MEAN_RESOLUTION_HOURS_365D: usize = 14;
pub(crate) const CSAT_LAST: usize = 15;
pub(crate) const CSAT_MEAN_365D: usize = 16;
pub(crate) const NPS_LAST: usize = 17;
pub(crate) const NPS_DETRACTOR: usize = 18;
pub(crate) const DAYS_SINCE_LAST_SURVEY: usize = 19;
pub(crate) const ORDERS_PREV_90D: usize = 20;

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub customer: u32,
    pub values: [f64; N_NUMERIC],
}

/// Where a customer stands at an as-of date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    NotSignedUp,
    NeverOrdered,
    Lapsed,
    /// In the population: the features are in the caller's buffer.
    Active,
}

/// Number of events with `key <= bound` in a sorted slice.
fn upto<T: Copy + PartialOrd>(sorted: &[T], bound: T) -> usize {
    sorted.partition_point(|&v| v <= bound)
}

/// First second after the end of day `t`: events before it happened on or before day `t`.
fn end_of_day(t: i32) -> i64 {
    (i64::from(t) + 1) * SECONDS_PER_DAY
}

/// Classifies `customer` at as-of day `t` and, if it is active, computes its features into
/// `v` (a buffer the caller reuses: no allocation per customer).
pub fn classify(
    raw: &RawTables,
    customer: usize,
    t: i32,
    active_days: i32,
    v: &mut [f64; N_NUMERIC],
) -> Status {
    if raw.customers.signup_day[customer] > t {
        return Status::NotSignedUp;
    }
    let range = raw.orders.offsets.of(customer);
    let days = &raw.orders.day[range.clone()];
    let amounts = &raw.orders.amount[range];
    let n_known = upto(days, t);
    if n_known == 0 {
        return Status::NeverOrdered;
    }
    let last = days[n_known - 1];
    if last <= t - active_days {
        return Status::Lapsed;
    }
    *v = [f64::NAN; N_NUMERIC];
    let count_since = |n: i32| (n_known - upto(days, t - n)) as f64;
    let spend_since = |n: i32| amounts[upto(days, t - n)..n_known].iter().sum::<f64>();

    v[RECENCY_DAYS] = f64::from(t - last);
    v[TENURE_DAYS] = f64::from(t - raw.customers.signup_day[customer]);
    v[ORDERS_30D] = count_since(30);
    v[ORDERS_90D] = count_since(90);
    v[ORDERS_365D] = count_since(365);
    v[SPEND_90D] = spend_since(90);
    v[SPEND_365D] = spend_since(365);
    if v[ORDERS_365D] > 0.0 {
        v[AVG_ORDER_VALUE_365D] = v[SPEND_365D] / v[ORDERS_365D];
    }
    let previous = count_since(180) - v[ORDERS_90D];
    v[ORDERS_PREV_90D] = previous;
    let both = v[ORDERS_90D] + previous;
    if both > 0.0 {
        // In [-1, 1]: 1 = every order in the last 90 days, -1 = none of them.
        v[ORDER_TREND] = (v[ORDERS_90D] - previous) / both;
    }
    if n_known >= 2 {
        v[MEAN_DAYS_BETWEEN_ORDERS] = f64::from(last - days[0]) / (n_known - 1) as f64;
    }
    if let Some(tickets) = &raw.tickets {
        ticket_features(tickets, customer, t, v);
    }
    if let Some(surveys) = &raw.surveys {
        survey_features(surveys, customer, t, v);
    }
    Status::Active
}

fn ticket_features(
    tickets: &crate::data::Tickets,
    customer: usize,
    t: i32,
    v: &mut [f64; N_NUMERIC],
) {
    let range = tickets.offsets.of(customer);
    let created = &tickets.created[range.clone()];
    let resolved = &tickets.resolved[range.clone()];
    let priority = &tickets.priority[range];
    let end = end_of_day(t);
    let n_known = created.partition_point(|&c| c < end);
    let since = |n: i32| created.partition_point(|&c| c < end_of_day(t - n));
    v[TICKETS_30D] = (n_known - since(30)) as f64;
    v[TICKETS_90D] = (n_known - since(90)) as f64;
    v[URGENT_TICKETS_90D] = (since(90)..n_known)
        .filter(|&i| priority[i] == URGENT)
        .count() as f64;
    v[OPEN_TICKETS] = resolved[..n_known]
        .iter()
        .filter(|r| r.is_none_or(|r| r >= end))
        .count() as f64;
    let (mut hours, mut n) = (0.0, 0usize);
    for i in since(365)..n_known {
        if let Some(r) = resolved[i].filter(|&r| r < end) {
            hours += (r - created[i]) as f64 / 3600.0;
            n += 1;
        }
    }
    if n > 0 {
        v[MEAN_RESOLUTION_HOURS_365D] = hours / n as f64;
    }
}

fn survey_features(
    surveys: &crate::data::Surveys,
    customer: usize,
    t: i32,
    v: &mut [f64; N_NUMERIC],
) {
    let range = surveys.offsets.of(customer);
    let at = &surveys.at[range.clone()];
    let kind = &surveys.kind[range.clone()];
    let score = &surveys.score[range];
    let n_known = at.partition_point(|&a| a < end_of_day(t));
    if n_known == 0 {
        return;
    }
    v[DAYS_SINCE_LAST_SURVEY] = f64::from(t - day_of(at[n_known - 1]));
    let year_start = at.partition_point(|&a| a < end_of_day(t - 365));
    let last_of = |k: SurveyKind| (0..n_known).rev().find(|&i| kind[i] == k);
    if let Some(i) = last_of(SurveyKind::Csat) {
        v[CSAT_LAST] = f64::from(score[i]);
    }
    if let Some(i) = last_of(SurveyKind::Nps) {
        let nps = f64::from(score[i]);
        v[NPS_LAST] = nps;
        v[NPS_DETRACTOR] = if nps <= NPS_DETRACTOR_MAX { 1.0 } else { 0.0 };
    }
    let csat: Vec<f64> = (year_start..n_known)
        .filter(|&i| kind[i] == SurveyKind::Csat)
        .map(|i| f64::from(score[i]))
        .collect();
    if !csat.is_empty() {
        v[CSAT_MEAN_365D] = csat.iter().sum::<f64>() / csat.len() as f64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::features::NUMERIC;

    #[test]
    fn positions_match_the_schema() {
        let positions = [
            (RECENCY_DAYS, "recency_days"),
            (TENURE_DAYS, "tenure_days"),
            (ORDERS_30D, "orders_30d"),
            (ORDERS_90D, "orders_90d"),
            (ORDERS_365D, "orders_365d"),
            (SPEND_90D, "spend_90d"),
            (SPEND_365D, "spend_365d"),
            (AVG_ORDER_VALUE_365D, "avg_order_value_365d"),
            (ORDER_TREND, "order_trend"),
            (MEAN_DAYS_BETWEEN_ORDERS, "mean_days_between_orders"),
            (TICKETS_30D, "tickets_30d"),
            (TICKETS_90D, "tickets_90d"),
            (OPEN_TICKETS, "open_tickets"),
            (URGENT_TICKETS_90D, "urgent_tickets_90d"),
            (MEAN_RESOLUTION_HOURS_365D, "mean_resolution_hours_365d"),
            (CSAT_LAST, "csat_last"),
            (CSAT_MEAN_365D, "csat_mean_365d"),
            (NPS_LAST, "nps_last"),
            (NPS_DETRACTOR, "nps_detractor"),
            (DAYS_SINCE_LAST_SURVEY, "days_since_last_survey"),
            (ORDERS_PREV_90D, "orders_prev_90d"),
        ];
        assert_eq!(positions.len(), NUMERIC.len());
        for (idx, name) in positions {
            assert_eq!(NUMERIC[idx], name);
        }
    }
}
