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

use ndarray::Axis;
use rayon::prelude::*;

use crate::data::RawTables;
use crate::features::{self, FeatureConfig, FeatureFrame, Population};
use crate::model::artifact::ModelArtifact;
use crate::model::Learner;
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
        .iter()
        .map(|col| {
            let mut known: Vec<f64> = col.iter().copied().filter(|v| !v.is_nan()).collect();
            known.sort_by(f64::total_cmp);
            match known.len() {
                0 => f64::NAN,
                n if n % 2 == 1 => known[n / 2],
                n => (known[n / 2 - 1] + known[n / 2]) / 2.0,
            }
        })
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

/// Scores the population at `config.as_of` with `artifact`.
pub fn score(raw: &RawTables, artifact: &ModelArtifact, config: &ScoreConfig) -> AtRiskList {
    let frame = features::build(
        raw,
        &[config.as_of],
        FeatureConfig {
            active_days: artifact.active_days,
        },
    );
    let model = &artifact.model;
    let design = model.matrix.transform(&frame, None);
    let x = design.x.view();
    let probabilities = model.predict(&frame);
    let reference = x.mean_axis(Axis(0));
    let columns = &design.feature_names;
    let medians = medians(&frame);
    let median = |name: &str| {
        NUMERIC
            .iter()
            .position(|n| *n == name)
            .map_or(f64::NAN, |i| medians[i])
    };
    let idx = |name: &str| {
        NUMERIC
            .iter()
            .position(|n| *n == name)
            .expect("known feature")
    };
    let (spend, tenure) = (idx("spend_365d"), idx("tenure_days"));

    let mut rows: Vec<AtRiskRow> = (0..frame.n_rows())
        .into_par_iter()
        .map(|row| {
            let xr = x.row(row);
            let contributions: Vec<(usize, f64)> = match &model.learner {
                Learner::Logistic(m) => match &reference {
                    Some(r) => m
                        .contributions(xr, r.view())
                        .into_iter()
                        .enumerate()
                        .collect(),
                    None => Vec::new(),
                },
                Learner::Tree(m) => m.path_contributions(xr),
                Learner::Forest(m) => m.path_contributions(xr),
            };
            let values: Vec<f64> = frame.numeric.iter().map(|col| col[row]).collect();
            let customer = reasons::Customer {
                numeric: &values,
                segment: frame.segment.get(row),
                region: frame.region.get(row),
            };
            let reasons = reasons::rank(columns, &contributions)
                .iter()
                .map(|key| reasons::phrase(key, &customer, &median))
                .collect();
            let p = probabilities[row];
            let revenue = expected_revenue(values[spend], values[tenure]);
            AtRiskRow {
                row,
                customer: frame.customer[row],
                probability: p,
                tier: artifact.risk_tiers.tier(p),
                reasons,
                expected_revenue: revenue,
                value_at_risk: p * revenue,
            }
        })
        .collect();
    let scored = rows.len();
    let high_risk = rows.iter().filter(|r| r.tier == "high").count();
    let total_value_at_risk = rows.iter().map(|r| r.value_at_risk).sum();
    let ids = &raw.customers.ids;
    rows.sort_by(|a, b| {
        let key = |r: &AtRiskRow| match config.sort {
            SortBy::Probability => r.probability,
            SortBy::Value => r.value_at_risk,
        };
        key(b)
            .total_cmp(&key(a))
            .then_with(|| ids[a.customer as usize].cmp(&ids[b.customer as usize]))
    });
    if let Some(min) = config.min_probability {
        rows.retain(|r| r.probability >= min);
    }
    if let Some(top) = config.top {
        rows.truncate(top);
    }
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
