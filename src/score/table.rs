//! The at-risk list as a table: what a customer-success team opens.

use polars::prelude::*;

use super::{reasons::SEPARATOR, AtRiskRow, Ranking};
use crate::data::{Customers, TextColumn};
use crate::schema::features::{KEY, NUMERIC, REGION, SEGMENT};

fn round(v: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (v * scale).round() / scale
}

/// `rows` of `ranking` (made by [`Ranking::rows`]; the first is at 0-based position
/// `first` of the list) as a table. Columns: `rank, customer_id, churn_probability,
/// risk_tier, top_reasons, value_at_risk`, the key raw features, `segment, region`, then
/// `keep` (extra customer columns, one value per customer number).
pub fn to_dataframe(
    ranking: &Ranking,
    rows: &[AtRiskRow],
    first: usize,
    customers: &Customers,
    keep: &[TextColumn],
) -> PolarsResult<DataFrame> {
    let n = rows.len();
    let frame = &ranking.frame;
    let mut columns: Vec<Column> = Vec::new();
    let ints = |name: &str, v: Vec<Option<i64>>| {
        Int64Chunked::from_iter_options(name.into(), v.into_iter()).into_column()
    };
    let floats = |name: &str, v: Vec<Option<f64>>| {
        Float64Chunked::from_iter_options(name.into(), v.into_iter()).into_column()
    };
    let texts = |name: &str, v: Vec<Option<String>>| {
        let c: StringChunked = v.iter().map(|s| s.as_deref()).collect();
        c.with_name(name.into()).into_column()
    };
    let first = first as i64 + 1;
    columns.push(ints("rank", (first..first + n as i64).map(Some).collect()));
    columns.push(texts(
        "customer_id",
        rows.iter()
            .map(|r| Some(customers.ids[r.customer as usize].clone()))
            .collect(),
    ));
    columns.push(floats(
        "churn_probability",
        rows.iter().map(|r| Some(round(r.probability, 4))).collect(),
    ));
    columns.push(texts(
        "risk_tier",
        rows.iter().map(|r| Some(r.tier.to_string())).collect(),
    ));
    columns.push(texts(
        "top_reasons",
        rows.iter()
            .map(|r| Some(r.reasons.join(SEPARATOR)))
            .collect(),
    ));
    columns.push(floats(
        "value_at_risk",
        rows.iter()
            .map(|r| Some(round(r.value_at_risk, 2)))
            .collect(),
    ));
    for name in KEY {
        let j = NUMERIC
            .iter()
            .position(|n| *n == name)
            .expect("key feature");
        let col = &frame.numeric[j];
        let values = rows
            .iter()
            .map(|r| Some(col[r.row]).filter(|v| !v.is_nan()));
        if name == "spend_365d" {
            columns.push(floats(
                name,
                values.map(|v| v.map(|v| round(v, 2))).collect(),
            ));
        } else {
            columns.push(ints(name, values.map(|v| v.map(|v| v as i64)).collect()));
        }
    }
    columns.push(texts(
        SEGMENT,
        rows.iter()
            .map(|r| frame.segment.get(r.row).map(str::to_string))
            .collect(),
    ));
    columns.push(texts(
        REGION,
        rows.iter()
            .map(|r| frame.region.get(r.row).map(str::to_string))
            .collect(),
    ));
    for (name, values) in keep {
        columns.push(texts(
            name,
            rows.iter()
                .map(|r| values[r.customer as usize].clone())
                .collect(),
        ));
    }
    DataFrame::new(n, columns)
}
