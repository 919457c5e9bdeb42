//! Stage 7, score: the ranked at-risk list.
//!
//! Input: [`RawTables`], a saved [`ModelArtifact`] and an as-of date. Output: an
//! [`AtRiskList`]: every customer of the population at that date with their probability of
//! churn, risk tier, the reasons that push their risk up, and the revenue at stake, ranked.
//! Scoring never trains: everything it needs is in the artifact.
//!
//! Value at risk = P(churn) × expected revenue over the next 12 months, estimated from the
//! last year's spend (annualised for customers younger than a year, counting at least 30
//! days of tenure so that a brand-new customer's first order is not multiplied by 365).

pub mod reasons;
mod table;

pub use table::to_dataframe;

use std::ops::Range;

use ndarray::{Array1, ArrayView1, Axis};
use rayon::prelude::*;

use crate::data::RawTables;
use crate::features::{self, FeatureConfig, FeatureFrame, Population};
use crate::matrix;
use crate::model::artifact::ModelArtifact;
use crate::schema::features::NUMERIC;

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
pub struct AtRiskRow {
    /// Row of the scored feature frame.
    pub row: usize,
    pub customer: u32,
    pub probability: f64,
    pub tier: &'static str,
    pub reasons: Vec<String>,
    pub expected_revenue: f64,
    pub value_at_risk: f64,
}

#[derive(Clone, Debug)]
pub struct AtRiskList {
    pub as_of: i32,
    /// Ranked rows (after `top` and `min_probability`).
    pub rows: Vec<AtRiskRow>,
    /// The scored population's features (all of it, not only the listed rows).
    pub frame: FeatureFrame,
    pub population: Population,
    /// Over the whole scored population, before `top` and `min_probability`.
    pub scored: usize,
    pub high_risk: usize,
    pub total_value_at_risk: f64,
}

/// Median of the known values of a feature in the scored population.
fn medians(frame: &FeatureFrame) -> Vec<f64> {
    frame
        .numeric
        .par_iter()
        .map(|col| matrix::median(col).unwrap_or(f64::NAN))
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
/// Every customer is predicted (in parallel, a slice of rows at a time); only the rows
/// that make the list (after `top` and `min_probability`) are explained with reasons.
pub fn score(raw: &RawTables, artifact: &ModelArtifact, config: &ScoreConfig) -> AtRiskList {
    score_in_chunks(raw, artifact, config, CHUNK_ROWS)
}

fn score_in_chunks(
    raw: &RawTables,
    artifact: &ModelArtifact,
    config: &ScoreConfig,
    chunk_rows: usize,
) -> AtRiskList {
    let frame = features::build(
        raw,
        &[config.as_of],
        FeatureConfig {
            active_days: artifact.active_days,
        },
    );
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
                frame.numeric[spend][row],
                frame.numeric[tenure][row],
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
    let ids = &raw.customers.ids;
    let customer_id = |r: &Scored| &ids[frame.customer[r.row] as usize];
    ranked.sort_by(|a, b| {
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

    let explain = Explainer {
        frame: &frame,
        artifact,
        reference: reference.view(),
        reason_keys: reasons::ReasonKeys::new(&model.matrix.feature_names()),
        medians: medians(&frame),
    };
    let rows: Vec<AtRiskRow> = ranked
        .par_chunks(chunk_rows)
        .flat_map_iter(|slice| explain.rows(slice))
        .collect();
    AtRiskList {
        as_of: config.as_of,
        rows,
        population: frame.populations.first().copied().unwrap_or_default(),
        frame,
        scored,
        high_risk,
        total_value_at_risk,
    }
}

fn feature_index(name: &str) -> usize {
    NUMERIC
        .iter()
        .position(|n| *n == name)
        .expect("a feature of the schema")
}

/// Turns scored rows into listed rows with their reasons.
struct Explainer<'a> {
    frame: &'a FeatureFrame,
    artifact: &'a ModelArtifact,
    /// The scored population's mean design row: "average customer" for the linear model.
    reference: ArrayView1<'a, f64>,
    reason_keys: reasons::ReasonKeys,
    /// Population medians of the raw features, quoted in the reasons.
    medians: Vec<f64>,
}

impl Explainer<'_> {
    fn rows(&self, slice: &[Scored]) -> Vec<AtRiskRow> {
        let picked: Vec<usize> = slice.iter().map(|r| r.row).collect();
        let sub = self.frame.select(&picked);
        let x = self
            .artifact
            .model
            .matrix
            .transform_rows(&sub, 0..sub.n_rows());
        let median = |name: &str| {
            NUMERIC
                .iter()
                .position(|n| *n == name)
                .map_or(f64::NAN, |i| self.medians[i])
        };
        slice
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let contributions = self
                    .artifact
                    .model
                    .learner
                    .contributions(x.row(i), self.reference);
                let values: Vec<f64> = sub.numeric.iter().map(|col| col[i]).collect();
                let customer = reasons::Customer {
                    numeric: &values,
                    segment: sub.segment.get(i),
                    region: sub.region.get(i),
                };
                let reasons = self
                    .reason_keys
                    .rank(&contributions)
                    .into_iter()
                    .map(|key| reasons::phrase(key, &customer, &median))
                    .collect();
                AtRiskRow {
                    row: r.row,
                    customer: sub.customer[i],
                    probability: r.probability,
                    tier: self.artifact.risk_tiers.tier(r.probability),
                    reasons,
                    expected_revenue: r.expected_revenue,
                    value_at_risk: r.probability * r.expected_revenue,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
