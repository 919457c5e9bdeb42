//! Stage 3, labels: did a customer of the population at T churn within the horizon?
//!
//! Input: [`RawTables`] and the (customer, as-of) pairs of a [`FeatureFrame`] (or the
//! tables alone: [`build_with_features`] makes the frame and its labels together, a block
//! of customers at a time from the ingested copy).
//! Output: one `bool` per row, `true` = churned.
//!
//! A customer has churned at T under `inactivity` if they place no order in (T, T + H];
//! under `cancellation` if `churned_at` falls in (T, T + H]; under `either` if either
//! holds. A snapshot is labelable only when its whole window lies within the data:
//! T + H <= the last day of the data.

use crate::data::{Customers, DataError, RawTables, Tables, TablesRef};
use crate::dates::format_day;
use crate::features::{self, FeatureConfig, FeatureFrame};

pub const DEFAULT_HORIZON_DAYS: i32 = 90;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LabelDefinition {
    Inactivity,
    Cancellation,
    Either,
}

impl LabelDefinition {
    /// `either` when the customers table has `churned_at`, otherwise `inactivity`.
    pub fn default_for(customers: &Customers) -> LabelDefinition {
        if customers.churned_at.is_some() {
            LabelDefinition::Either
        } else {
            LabelDefinition::Inactivity
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            LabelDefinition::Inactivity => "inactivity",
            LabelDefinition::Cancellation => "cancellation",
            LabelDefinition::Either => "either",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabelSpec {
    pub horizon_days: i32,
    pub definition: LabelDefinition,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LabelError {
    #[error(
        "the snapshot at {} is not labelable: its {horizon_days}-day label window ends on {}, after the last day of the data ({}); the latest labelable as-of date is {}",
        format_day(*.as_of), format_day(.as_of + .horizon_days), format_day(*.data_end), format_day(.data_end - .horizon_days)
    )]
    NotLabelable {
        as_of: i32,
        horizon_days: i32,
        data_end: i32,
    },
    #[error(
        "--label cancellation needs a churned_at column in the customers table, and it has none"
    )]
    NoCancellationColumn,
    #[error("the horizon must be at least one day, got {0}")]
    BadHorizon(i32),
}

/// The latest as-of date whose label window lies inside data ending on `data_end`.
pub fn latest_labelable(data_end: i32, horizon_days: i32) -> i32 {
    data_end - horizon_days
}

/// The features of every snapshot in `as_of` and their labels, from `tables` (a block of
/// customers at a time from the ingested copy): what [`features::build`] and [`build`]
/// give on the whole tables.
///
/// # Errors
/// As [`build`], or the ingested copy cannot be read ([`DataError`]).
pub fn build_with_features<E: From<LabelError> + From<DataError>>(
    tables: TablesRef,
    as_of: &[i32],
    config: FeatureConfig,
    spec: LabelSpec,
) -> Result<(FeatureFrame, Vec<bool>), E> {
    features::build_with(tables, as_of, config, |raw, frame| {
        build(raw, frame, spec).map_err(E::from)
    })
}

/// [`build_with_features`] over tables that the caller no longer needs
/// ([`features::build_consuming`]: the events are freed a block at a time as the frame
/// grows), giving back their customers.
///
/// # Errors
/// As [`build_with_features`].
pub fn build_consuming_with_features<E: From<LabelError> + From<DataError>>(
    tables: Tables,
    as_of: &[i32],
    config: FeatureConfig,
    spec: LabelSpec,
) -> Result<(FeatureFrame, Vec<bool>, Customers), E> {
    features::build_consuming(tables, as_of, config, |raw, frame| {
        build(raw, frame, spec).map_err(E::from)
    })
}

/// One label per row of `frame`.
///
/// # Errors
/// A snapshot whose window runs past the data, a non-positive horizon, or a cancellation
/// label without `churned_at`.
pub fn build(
    raw: &RawTables,
    frame: &FeatureFrame,
    spec: LabelSpec,
) -> Result<Vec<bool>, LabelError> {
    let h = spec.horizon_days;
    if h < 1 {
        return Err(LabelError::BadHorizon(h));
    }
    if spec.definition == LabelDefinition::Cancellation && raw.customers.churned_at.is_none() {
        return Err(LabelError::NoCancellationColumn);
    }
    if let Some(&as_of) = frame.snapshot.iter().max() {
        if as_of + h > raw.data_end {
            return Err(LabelError::NotLabelable {
                as_of,
                horizon_days: h,
                data_end: raw.data_end,
            });
        }
    }
    let labels = frame
        .customer
        .iter()
        .zip(&frame.snapshot)
        .map(|(&c, &t)| {
            let c = c as usize;
            let days = &raw.orders.day[raw.orders.offsets.of(c)];
            let inactive =
                days.partition_point(|&d| d <= t) == days.partition_point(|&d| d <= t + h);
            let cancelled = raw
                .customers
                .churned_at
                .as_ref()
                .and_then(|col| col[c])
                .is_some_and(|d| d > t && d <= t + h);
            match spec.definition {
                LabelDefinition::Inactivity => inactive,
                LabelDefinition::Cancellation => cancelled,
                LabelDefinition::Either => inactive || cancelled,
            }
        })
        .collect();
    Ok(labels)
}
