//! Stage 7, score: the ranked at-risk list.
//!
//! Input: [`RawTables`] (or [`TablesRef`]: the ingested copy is read a block of customers at
//! a time), a saved [`ModelArtifact`] and an as-of date. Output: a [`Ranking`]: every
//! customer of the population at that date, ranked, with their probability of churn, risk
//! tier and the revenue at stake; the reasons that push their risk up are made for a range
//! of rows at a time, when asked for. Scoring never trains: everything it needs is in the
//! artifact.
//!
//! Value at risk = P(churn) × expected revenue over the next 12 months, estimated from the
//! last year's spend (annualised for customers younger than a year, counting at least 30
//! days of tenure so that a brand-new customer's first order is not multiplied by 365).

pub mod reasons;
mod table;

pub use table::{column_names, to_csv, to_dataframe};

use std::ops::Range;

use ndarray::{Array1, Axis};
use rayon::prelude::*;

use crate::data::{Customers, DataError, RawTables, TablesRef};
use crate::features::{self, FeatureConfig, FeatureFrame, Population};
use crate::matrix;
use crate::model::artifact::ModelArtifact;
use crate::schema::features::{numeric_index, KEY, KEY_INDEX};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortBy {
    Probability,
    Value,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ScoreConfig {
    pub as_of: i32,
    /// Keep only the first N rows after sorting.
    pub top: Option<usize>,
    pub min_probability: Option<f64>,
    pub sort: SortBy,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AtRiskRow<'a> {
    /// Row of the scored feature frame.
    pub row: usize,
    pub customer: u32,
    pub probability: f64,
    pub tier: &'static str,
    /// Why the customer is at risk: up to [`reasons::TOP_REASONS`] reasons, strongest
    /// first, separated by [`reasons::SEPARATOR`] (the list's `top_reasons` cell).
    pub reasons: String,
    pub expected_revenue: f64,
    pub value_at_risk: f64,
    /// The customer's values of the [`KEY`] features, in that order (`None`: unknown):
    /// the list shows them beside the reasons.
    pub key: [Option<f64>; KEY.len()],
    pub segment: Option<&'a str>,
    pub region: Option<&'a str>,
}

/// The scored population, ranked, ready to be explained a slice of rows at a time: the
/// listed rows and their reasons are made when asked for ([`Ranking::rows`]), so a list of
/// the whole base need never be held in memory at once.
pub struct Ranking<'a> {
    pub as_of: i32,
    /// The scored population's features (all of it, not only the listed rows).
    pub frame: FeatureFrame,
    pub population: Population,
    /// Over the whole scored population, before `top` and `min_probability`.
    pub scored: usize,
    pub high_risk: usize,
    pub total_value_at_risk: f64,
    /// The listed rows in rank order (after `top` and `min_probability`).
    ranked: Vec<Scored>,
    artifact: &'a ModelArtifact,
    /// The scored population's mean design row: "average customer" for the linear model.
    reference: Array1<f64>,
    reason_keys: reasons::ReasonKeys,
    /// Population medians of the raw features, quoted in the reasons.
    medians: Vec<f64>,
}

/// Median of the known values of a feature in the scored population.
fn medians(frame: &FeatureFrame) -> Vec<f64> {
    frame
        .numeric
        .par_iter()
        .map(|col| matrix::median_of(col.iter()).unwrap_or(f64::NAN))
        .collect()
}

/// Expected revenue over the next 12 months from the last year's spend.
pub fn expected_revenue(spend_365d: f64, tenure_days: f64) -> f64 {
    if spend_365d.is_nan() {
        return 0.0;
    }
    let days_seen = tenure_days.clamp(30.0, 365.0);
    spend_365d * 365.0 / days_seen
}

/// Rows encoded and predicted per parallel task: the design matrix exists only a slice at
/// a time (16k rows x ~40 columns = 5 MB), so memory does not grow with the base beyond
/// the feature frame itself.
const CHUNK_ROWS: usize = 16_384;

/// One scored row before it is explained: enough to rank, tier and sum.
struct Scored {
    row: usize,
    probability: f64,
    expected_revenue: f64,
}

/// Scores the population at `config.as_of` with `artifact`.
///
/// Every customer is predicted (in parallel, a slice of rows at a time) and ranked; rows
/// are explained with reasons only when asked for ([`Ranking::rows`]).
pub fn score<'a>(
    raw: &RawTables,
    artifact: &'a ModelArtifact,
    config: &ScoreConfig,
) -> Ranking<'a> {
    let frame = features::build(raw, &[config.as_of], feature_config(artifact));
    rank(&raw.customers, frame, artifact, config, CHUNK_ROWS)
}

/// [`score`] over `tables`, which may be the ingested copy: its events are read a block of
/// customers at a time and never held whole.
///
/// # Errors
/// The ingested copy cannot be read.
pub fn score_tables<'a>(
    tables: TablesRef,
    artifact: &'a ModelArtifact,
    config: &ScoreConfig,
) -> Result<Ranking<'a>, DataError> {
    let frame = features::build_tables(tables, &[config.as_of], feature_config(artifact))?;
    Ok(rank(
        tables.customers(),
        frame,
        artifact,
        config,
        CHUNK_ROWS,
    ))
}

fn feature_config(artifact: &ModelArtifact) -> FeatureConfig {
    FeatureConfig {
        active_days: artifact.active_days,
    }
}

/// Predicts every row of `frame` (the population at `config.as_of`), `chunk_rows` at a
/// time, and ranks them; ties are broken by customer id.
fn rank<'a>(
    customers: &Customers,
    frame: FeatureFrame,
    artifact: &'a ModelArtifact,
    config: &ScoreConfig,
    chunk_rows: usize,
) -> Ranking<'a> {
    let model = &artifact.model;
    let chunks: Vec<Range<usize>> = (0..frame.n_rows())
        .step_by(chunk_rows)
        .map(|start| start..(start + chunk_rows).min(frame.n_rows()))
        .collect();
    // Probabilities and column sums per slice; sums are added in slice order so the
    // reference row is the same whatever the number of threads.
    let per_chunk: Vec<(Vec<f64>, Array1<f64>)> = chunks
        .par_iter()
        .map(|rows| {
            let x = model.matrix.transform_rows(&frame, rows.clone());
            (model.predict_matrix(x.view()), x.sum_axis(Axis(0)))
        })
        .collect();
    let n_columns = model.matrix.n_columns();
    let mut reference = Array1::<f64>::zeros(n_columns);
    let mut probabilities = Vec::with_capacity(frame.n_rows());
    for (p, sums) in per_chunk {
        probabilities.extend(p);
        reference += &sums;
    }
    reference /= frame.n_rows().max(1) as f64;

    let (spend, tenure) = (feature_index("spend_365d"), feature_index("tenure_days"));
    let mut ranked: Vec<Scored> = probabilities
        .iter()
        .enumerate()
        .map(|(row, &probability)| Scored {
            row,
            probability,
            expected_revenue: expected_revenue(
                frame.numeric[spend].get(row),
                frame.numeric[tenure].get(row),
            ),
        })
        .collect();
    let scored = ranked.len();
    let high_risk = ranked
        .iter()
        .filter(|r| artifact.risk_tiers.tier(r.probability) == "high")
        .count();
    let total_value_at_risk = ranked
        .iter()
        .map(|r| r.probability * r.expected_revenue)
        .sum();
    let ids = &customers.ids;
    let customer_id = |r: &Scored| &ids[frame.customer[r.row] as usize];
    // Customer ids do not repeat, so no two rows compare equal: the unstable (parallel)
    // sort gives the one order there is.
    ranked.par_sort_unstable_by(|a, b| {
        let key = |r: &Scored| match config.sort {
            SortBy::Probability => r.probability,
            SortBy::Value => r.probability * r.expected_revenue,
        };
        key(b)
            .total_cmp(&key(a))
            .then_with(|| customer_id(a).cmp(customer_id(b)))
    });
    if let Some(min) = config.min_probability {
        ranked.retain(|r| r.probability >= min);
    }
    if let Some(top) = config.top {
        ranked.truncate(top);
    }
    Ranking {
        as_of: config.as_of,
        population: frame.populations.first().copied().unwrap_or_default(),
        medians: medians(&frame),
        frame,
        scored,
        high_risk,
        total_value_at_risk,
        ranked,
        artifact,
        reference,
        reason_keys: reasons::ReasonKeys::new(&model.matrix.feature_names()),
    }
}

fn feature_index(name: &str) -> usize {
    numeric_index(name).expect("a feature of the schema")
}

impl Ranking<'_> {
    /// Rows on the list.
    pub fn len(&self) -> usize {
        self.ranked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranked.is_empty()
    }

    /// Rows `range` of the list (0 is the first), with their reasons; explained in
    /// parallel, a slice at a time.
    pub fn rows(&self, range: Range<usize>) -> Vec<AtRiskRow<'_>> {
        self.ranked[range]
            .par_chunks(CHUNK_ROWS)
            .flat_map_iter(|slice| self.explain(slice))
            .collect()
    }

    fn explain(&self, slice: &[Scored]) -> Vec<AtRiskRow<'_>> {
        let picked: Vec<usize> = slice.iter().map(|r| r.row).collect();
        let sub = self.frame.select(&picked);
        let model = &self.artifact.model;
        let x = model.matrix.transform_rows(&sub, 0..sub.n_rows());
        // Scratch space, reused from row to row: a row allocates only its reasons' text.
        let mut contributions = Vec::new();
        let mut sums = Vec::new();
        let mut values = Vec::with_capacity(sub.numeric.len());
        slice
            .iter()
            .enumerate()
            .map(|(i, r)| {
                model
                    .learner
                    .contributions(x.row(i), self.reference.view(), &mut contributions);
                values.clear();
                values.extend(sub.numeric.iter().map(|col| col.get(i)));
                // The levels of the frame, which outlives this slice (`sub` keeps its
                // codes): the list shows them.
                let segment = self.frame.segment.level(sub.segment.codes[i]);
                let region = self.frame.region.level(sub.region.codes[i]);
                let customer = reasons::Customer {
                    numeric: &values,
                    segment,
                    region,
                };
                let mut text = String::with_capacity(REASONS_CAPACITY);
                for (k, reason) in self.reason_keys.rank(&contributions, &mut sums).enumerate() {
                    if k > 0 {
                        text.push_str(reasons::SEPARATOR);
                    }
                    reasons::phrase_into(&mut text, reason, &customer, &self.medians);
                }
                AtRiskRow {
                    key: KEY_INDEX.map(|j| Some(values[j]).filter(|v| !v.is_nan())),
                    row: r.row,
                    customer: sub.customer[i],
                    probability: r.probability,
                    tier: self.artifact.risk_tiers.tier(r.probability),
                    reasons: text,
                    expected_revenue: r.expected_revenue,
                    value_at_risk: r.probability * r.expected_revenue,
                    segment,
                    region,
                }
            })
            .collect()
    }
}

/// Bytes reserved for a row's reasons: three phrases fit without growing the text.
const REASONS_CAPACITY: usize = 192;

#[cfg(test)]
mod tests;
