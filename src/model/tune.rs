//! `--tune`: choose a learner's main parameters on a small grid, out of time, without
//! ever looking at the holdout.
//!
//! Input: [`RawTables`] and the [`TrainConfig`] of a training run (its parameters are the
//! base that the grid varies). Output: a [`Tuning`]: every grid point with its validation
//! ROC AUC and log loss, and the index of the chosen one.
//!
//! With horizon H, the run's holdout date is `holdout` (see [`super::plan`]). Tuning moves
//! the whole out-of-time procedure one horizon back: the validation date is
//! `holdout − H`, and each grid point is fitted on the K snapshots ending at
//! `holdout − 2H` and scored on the validation date, exactly as
//! [`super::evaluate_out_of_time`] does at `as_of = holdout − H`. The validation labels end
//! on the holdout date, so they were known when the evaluation model was trained, and the
//! holdout's outcomes never influence the choice.
//!
//! Invariants:
//! - The chosen point has the highest validation ROC AUC; ties go to the lower log loss,
//!   then to the earlier grid point ([`choose`]).
//! - The result is the same for any number of threads: features are built once, grid
//!   points are scored with an indexed parallel iterator, and each point's randomness
//!   comes from its own parameters' seed.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::plan::{self, PlanError, SnapshotPlan};
use super::{out_of_time, Labelled, ModelError, ModelParams, TrainConfig};
use crate::data::RawTables;
use crate::dates::format_day;
use crate::matrix::MatrixSpec;
use crate::schema::features::{CATEGORICAL, NUMERIC};

/// The validation metric the grid is ranked by.
pub const METRIC: &str = "roc_auc";

/// Logistic L2 penalties tried. The solver penalises the *summed* loss, so a given
/// `alpha` matters less the more rows a fit has; the grid spans four orders of magnitude
/// so that it still bites on tens of thousands of rows.
pub const LOGISTIC_ALPHAS: [f64; 5] = [0.1, 1.0, 10.0, 100.0, 1000.0];
/// Single-tree depths tried (crossed with [`TREE_MIN_LEAVES`]).
pub const TREE_DEPTHS: [usize; 4] = [4, 6, 8, 10];
/// Single-tree smallest leaves tried.
pub const TREE_MIN_LEAVES: [usize; 3] = [20, 50, 200];
/// Forest sizes tried (crossed with [`FOREST_DEPTHS`] and the two feature counts); kept
/// small because every grid point fits a whole forest.
pub const FOREST_TREES: [usize; 2] = [50, 100];
/// Forest depths tried.
pub const FOREST_DEPTHS: [usize; 3] = [8, 10, 12];

/// The fewest columns any design matrix has: every numeric feature, and for each
/// categorical feature at least its `other` column. A feature count at most this can be
/// drawn from any fit, whatever its missing-value indicators and vocabularies.
const MIN_MATRIX_COLUMNS: usize = NUMERIC.len() + CATEGORICAL.len();

/// One grid point and how it scored on the validation date.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GridPoint {
    pub params: ModelParams,
    pub roc_auc: f64,
    pub log_loss: f64,
}

/// The outcome of [`tune`]: the grid in order, and which point was chosen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tuning {
    /// The date the grid was scored on: the run's holdout date minus the horizon.
    pub validation_date: String,
    /// Always [`METRIC`].
    pub metric: String,
    pub grid: Vec<GridPoint>,
    /// Index into `grid` of the chosen point.
    pub chosen: usize,
}

impl Tuning {
    /// The chosen grid point; `None` only for a hand-edited file whose `chosen` is not an
    /// index into `grid` (a [`Tuning`] made by [`tune`] always has one).
    pub fn chosen_point(&self) -> Option<&GridPoint> {
        self.grid.get(self.chosen)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TuneError {
    /// The run's own plan is impossible (for instance an unlabelable `--as-of`).
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The data starts after the earliest snapshot the validation fit needs.
    #[error(
        "--tune needs {needed_days} days of history before the data end {}: it scores the grid on {} \
         (the holdout {} minus the {horizon_days}-day horizon) with models fitted on snapshots \
         from {} (the validation date minus the horizon minus {} × {step_days} days), but the \
         first order is on {}; use fewer --snapshots, a shorter --step-days or --horizon-days, or train without --tune",
        format_day(*.data_end),
        format_day(*.validation_date),
        format_day(.validation_date + .horizon_days),
        format_day(*.earliest_snapshot),
        .snapshots.saturating_sub(1),
        .first_order.map_or_else(|| "never (there are no orders)".to_string(), format_day)
    )]
    NotEnoughHistory {
        needed_days: i32,
        data_end: i32,
        validation_date: i32,
        earliest_snapshot: i32,
        first_order: Option<i32>,
        horizon_days: i32,
        snapshots: usize,
        step_days: i32,
    },
    /// Building the validation data or scoring a grid point failed.
    #[error("tuning on the validation date {date}: {source}")]
    Validation {
        date: String,
        #[source]
        source: ModelError,
    },
}

/// Scores the grid around `config.params` on the validation date `holdout − H` and
/// chooses a point (see the module docs). The other fields of `config` (label, features,
/// snapshots, calibration) are used unchanged for every point.
///
/// # Errors
/// The run's plan is impossible ([`TuneError::Plan`]); the data does not reach back to
/// the validation fit's earliest snapshot ([`TuneError::NotEnoughHistory`]); the
/// validation data cannot be labelled or fitted, for instance a single class
/// ([`TuneError::Validation`]).
pub fn tune(raw: &RawTables, config: &TrainConfig) -> Result<Tuning, TuneError> {
    let horizon = config.label.horizon_days;
    let run_plan = plan_of(raw, config, config.as_of)?;
    let validation_config = TrainConfig {
        as_of: Some(run_plan.holdout - horizon),
        ..config.clone()
    };
    let validation_plan = plan_of(raw, config, validation_config.as_of)?;
    check_history(raw, &validation_plan, config)?;
    let failed = |source: ModelError| TuneError::Validation {
        date: format_day(validation_plan.holdout),
        source,
    };
    let mut dates = validation_plan.evaluation_fit.clone();
    dates.push(validation_plan.holdout);
    // One pass over the data, and one copy of the fit's and the holdout's rows, serve every
    // grid point: the features and labels of these dates do not depend on the learner's
    // parameters.
    let data = Labelled::build(raw.into(), &dates, &validation_config).map_err(failed)?;
    let (fit, holdout) = data
        .into_out_of_time_parts(&validation_plan)
        .map_err(failed)?;
    let n_features = MatrixSpec::fit(&fit.frame).feature_names().len();
    let candidates = grid(&config.params, n_features);
    let scored: Vec<Result<GridPoint, ModelError>> = candidates
        .into_par_iter()
        .map(|params| {
            let point_config = TrainConfig {
                params,
                ..validation_config.clone()
            };
            let oot = out_of_time(&fit, &holdout, validation_plan.clone(), &point_config)?;
            Ok(GridPoint {
                params: point_config.params,
                roc_auc: oot.holdout.roc_auc,
                log_loss: oot.holdout.log_loss,
            })
        })
        .collect();
    // Collected in grid order first, so that the error reported is always the first
    // failing point's, whatever the threads did.
    let grid: Vec<GridPoint> = scored
        .into_iter()
        .collect::<Result<_, _>>()
        .map_err(failed)?;
    // `grid` never returns an empty grid, so there is always a choice.
    let chosen = choose(&grid).unwrap_or(0);
    Ok(Tuning {
        validation_date: format_day(validation_plan.holdout),
        metric: METRIC.to_string(),
        grid,
        chosen,
    })
}

fn plan_of(
    raw: &RawTables,
    config: &TrainConfig,
    as_of: Option<i32>,
) -> Result<SnapshotPlan, PlanError> {
    plan::plan(
        raw.data_end,
        config.label.horizon_days,
        config.snapshots,
        config.step_days,
        as_of,
    )
}

/// Refuses a validation fit whose earliest snapshot comes before the first order: no
/// customer could be active on it, and the message can say how much history is needed.
fn check_history(
    raw: &RawTables,
    validation_plan: &SnapshotPlan,
    config: &TrainConfig,
) -> Result<(), TuneError> {
    let earliest_snapshot = validation_plan
        .evaluation_fit
        .first()
        .copied()
        .unwrap_or(validation_plan.holdout);
    let first_order = raw.orders.day.iter().copied().min();
    if first_order.is_some_and(|first| first <= earliest_snapshot) {
        return Ok(());
    }
    Err(TuneError::NotEnoughHistory {
        needed_days: raw.data_end - earliest_snapshot,
        data_end: raw.data_end,
        validation_date: validation_plan.holdout,
        earliest_snapshot,
        first_order,
        horizon_days: config.label.horizon_days,
        snapshots: config.snapshots,
        step_days: config.step_days,
    })
}

/// The grid for `base`'s kind, in the order ties are broken by. Only the tuned fields
/// change; every other field (class weights, seed, bins, ...) is kept from `base`.
///
/// - logistic: `alpha` in [`LOGISTIC_ALPHAS`] (5 points);
/// - tree: [`TREE_DEPTHS`] × [`TREE_MIN_LEAVES`] (12 points);
/// - forest: [`FOREST_TREES`] × [`FOREST_DEPTHS`] × features per node in {the default
///   `round(sqrt(n_features))`, twice that} (12 points). `n_features` is the design
///   matrix's width; twice the default is capped at the width every matrix has, so the
///   same number stays valid for the evaluation and final fits.
pub fn grid(base: &ModelParams, n_features: usize) -> Vec<ModelParams> {
    match base {
        ModelParams::Logistic(p) => LOGISTIC_ALPHAS
            .iter()
            .map(|&alpha| {
                let mut p = p.clone();
                p.alpha = alpha;
                ModelParams::Logistic(p)
            })
            .collect(),
        ModelParams::Tree(p) => cross(&TREE_DEPTHS, &TREE_MIN_LEAVES)
            .map(|(max_depth, min_samples_leaf)| {
                let mut p = p.clone();
                p.max_depth = max_depth;
                p.min_samples_leaf = min_samples_leaf;
                ModelParams::Tree(p)
            })
            .collect(),
        ModelParams::Forest(p) => {
            let features = [None, Some(twice_sqrt(n_features))];
            cross(&FOREST_TREES, &FOREST_DEPTHS)
                .flat_map(|pair| features.iter().map(move |&f| (pair, f)))
                .map(|((n_trees, max_depth), max_features)| {
                    let mut p = p.clone();
                    p.n_trees = n_trees;
                    p.tree.max_depth = max_depth;
                    p.max_features = max_features;
                    ModelParams::Forest(p)
                })
                .collect()
        }
    }
}

/// Every (a, b) pair, `a` varying slowest.
fn cross<'a>(outer: &'a [usize], inner: &'a [usize]) -> impl Iterator<Item = (usize, usize)> + 'a {
    outer
        .iter()
        .flat_map(move |&a| inner.iter().map(move |&b| (a, b)))
}

/// Twice the forest's default features per node, `2 · max(1, round(sqrt(n)))`, capped at
/// [`MIN_MATRIX_COLUMNS`] so that a later fit with fewer columns cannot refuse it.
fn twice_sqrt(n_features: usize) -> usize {
    let default = ((n_features as f64).sqrt().round() as usize).max(1);
    (2 * default).min(MIN_MATRIX_COLUMNS)
}

/// The index of the best point: the highest ROC AUC, then the lowest log loss, then the
/// earliest in the grid. `None` for an empty grid.
pub fn choose(grid: &[GridPoint]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (idx, point) in grid.iter().enumerate() {
        // Only a strictly better point replaces the best so far, so exact ties stay with
        // the earlier grid point.
        if best.is_none_or(|b| beats(point, &grid[b])) {
            best = Some(idx);
        }
    }
    best
}

fn beats(a: &GridPoint, b: &GridPoint) -> bool {
    match a.roc_auc.total_cmp(&b.roc_auc) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => a.log_loss < b.log_loss,
    }
}

/// The tuned parameters of `params` in a few words, e.g. `max_depth=6, min_samples_leaf=50`.
pub fn describe(params: &ModelParams) -> String {
    match params {
        ModelParams::Logistic(p) => format!("alpha={}", p.alpha),
        ModelParams::Tree(p) => format!(
            "max_depth={}, min_samples_leaf={}",
            p.max_depth, p.min_samples_leaf
        ),
        ModelParams::Forest(p) => format!(
            "n_trees={}, max_depth={}, max_features={}",
            p.n_trees,
            p.tree.max_depth,
            p.max_features
                .map_or_else(|| "sqrt".to_string(), |k| k.to_string())
        ),
    }
}

#[cfg(test)]
#[path = "tune_tests.rs"]
mod tests;
