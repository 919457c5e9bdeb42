//! The feature frame as a polars table, for writing to CSV or Parquet and for a person to
//! read: ids instead of customer numbers, dates instead of day numbers, whole-number
//! features as integers, and nulls where a value is unknown.

use std::ops::Range;

use polars::prelude::*;

use super::FeatureFrame;
use crate::data::{Categorical, Customers};
use crate::schema::features::{
    is_fractional, CHURNED, CUSTOMER_ID, NUMERIC, REGION, SEGMENT, SNAPSHOT,
};

fn categorical(name: &str, c: &Categorical, rows: Range<usize>) -> Column {
    let values: StringChunked = rows.map(|i| c.get(i)).collect();
    values.with_name(name.into()).into_column()
}

/// Rows `rows` of the frame as a table. Columns: `snapshot, customer_id`, the numeric
/// features, `segment, region`, and `churned` when labels are given (one per row of the
/// frame). A large frame is written a batch of rows at a time, so that the table never
/// exists whole beside the frame (at 10M customers each is gigabytes).
pub fn to_dataframe(
    frame: &FeatureFrame,
    rows: Range<usize>,
    customers: &Customers,
    labels: Option<&[bool]>,
) -> PolarsResult<DataFrame> {
    let mut columns = Vec::with_capacity(NUMERIC.len() + 5);
    let snapshot =
        Int32Chunked::from_slice(SNAPSHOT.into(), &frame.snapshot[rows.clone()]).into_date();
    columns.push(snapshot.into_column());
    let ids: StringChunked = frame.customer[rows.clone()]
        .iter()
        .map(|&c| Some(customers.ids[c as usize].as_str()))
        .collect();
    columns.push(ids.with_name(CUSTOMER_ID.into()).into_column());
    for (name, values) in NUMERIC.iter().zip(&frame.numeric) {
        let values = values.iter_range(rows.clone());
        let column = if is_fractional(name) {
            let values: Float64Chunked = values.map(|v| (!v.is_nan()).then_some(v)).collect();
            values.with_name((*name).into()).into_column()
        } else {
            let values: Int64Chunked = values.map(|v| (!v.is_nan()).then_some(v as i64)).collect();
            values.with_name((*name).into()).into_column()
        };
        columns.push(column);
    }
    columns.push(categorical(SEGMENT, &frame.segment, rows.clone()));
    columns.push(categorical(REGION, &frame.region, rows.clone()));
    if let Some(labels) = labels {
        let labels = BooleanChunked::from_slice(CHURNED.into(), &labels[rows.clone()]);
        columns.push(labels.into_column());
    }
    DataFrame::new(rows.len(), columns)
}
