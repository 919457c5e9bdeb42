//! Stage 6, model: a learner together with its preprocessing, and the honest training
//! procedure that produces it.
//!
//! Input: the checked tables ([`Tables`]: in memory or the ingested copy) and a
//! [`TrainConfig`]. Output: a [`Trained`] model: the
//! [`FittedModel`] to save and score with (refitted on the latest labelable snapshots),
//! and the out-of-time evaluation of the same procedure on the holdout date, beside the
//! recency baseline. See [`plan`] for which snapshots each fit uses.
//!
//! Preprocessing (the [`MatrixSpec`]: medians, missing indicators, vocabularies) is learned
//! on training rows only, inside each fit, so the holdout never leaks into it.

pub mod artifact;
pub mod plan;
pub mod tune;

use ndarray::{ArrayView1, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{DataError, RawTables, Tables, TablesRef};
use crate::features::{FeatureConfig, FeatureFrame, Values};
use crate::labels::{self, LabelDefinition, LabelError, LabelSpec};
use crate::matrix::MatrixSpec;
use crate::metrics::{MetricError, Metrics, Ranking};
use crate::train::calibrate::{CalibrationMethod, Calibrator};
use crate::train::forest::{fit_forest_rows, Forest, ForestParams};
use crate::train::logistic::{fit_logistic_rows, Logistic, LogisticParams};
use crate::train::tree::{fit_single_rows, Tree, TreeParams};
use crate::train::TrainError;
pub use plan::{PlanError, SnapshotPlan};

/// Rows encoded and predicted per parallel task by [`FittedModel::predict`].
const PREDICT_SLICE_ROWS: usize = 16_384;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    Logistic,
    Tree,
    Forest,
}

impl ModelKind {
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Logistic => "logistic",
            ModelKind::Tree => "tree",
            ModelKind::Forest => "forest",
        }
    }
}

/// The learner's parameters; the kind of model follows from the variant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ModelParams {
    Logistic(LogisticParams),
    Tree(TreeParams),
    Forest(ForestParams),
}

impl ModelParams {
    /// Documented defaults for `kind`; `seed` drives the forest's sampling.
    pub fn defaults(kind: ModelKind, seed: u64) -> ModelParams {
        match kind {
            ModelKind::Logistic => ModelParams::Logistic(LogisticParams::default()),
            ModelKind::Tree => ModelParams::Tree(TreeParams::default()),
            ModelKind::Forest => ModelParams::Forest(ForestParams {
                seed,
                ..ForestParams::default()
            }),
        }
    }

    pub fn kind(&self) -> ModelKind {
        match self {
            ModelParams::Logistic(_) => ModelKind::Logistic,
            ModelParams::Tree(_) => ModelKind::Tree,
            ModelParams::Forest(_) => ModelKind::Forest,
        }
    }
}

/// A fitted learner.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "fitted", rename_all = "lowercase")]
pub enum Learner {
    Logistic(Logistic),
    Tree(Tree),
    Forest(Forest),
}

/// Preprocessing, learner and calibration: everything needed to turn a feature frame into
/// P(churn).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FittedModel {
    pub matrix: MatrixSpec,
    pub learner: Learner,
    /// Maps the learner's probability to a calibrated one; `None` when calibration was
    /// switched off or the fit had a single snapshot (no slice of time to learn it on).
    pub calibrator: Option<Calibrator>,
}

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Label(#[from] LabelError),
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error("scoring the holdout: {0}")]
    Metric(#[from] MetricError),
    #[error("no customers are active on {0}: nothing to train or evaluate on")]
    EmptySnapshot(String),
    #[error("calibrating on the latest training snapshot: {0}")]
    Calibration(MetricError),
}

impl FittedModel {
    /// Learns the preprocessing on `frame`, fits the learner on it, and (unless
    /// `calibration` is `None`) learns a calibrator out of time: a learner fitted on the
    /// frame's earlier snapshots predicts its latest snapshot, and the calibrator maps
    /// those predictions to the outcomes. The learner that is kept is fitted on all rows.
    ///
    /// # Errors
    /// Bad parameters or unusable data (see [`TrainError`]); a calibration slice with a
    /// single class.
    pub fn fit(
        frame: &FeatureFrame,
        labels: &[bool],
        params: &ModelParams,
        calibration: CalibrationMethod,
    ) -> Result<FittedModel, ModelError> {
        let matrix = MatrixSpec::fit(frame);
        // Every learner reads the rows as they are encoded, a block at a time: no design
        // matrix beside the frame (the trees keep only their 2-byte bin codes).
        let rows = matrix.rows_of(frame);
        let learner = match params {
            ModelParams::Logistic(p) => {
                Learner::Logistic(fit_logistic_rows(&rows, labels, &p.check()?)?)
            }
            ModelParams::Tree(p) => Learner::Tree(fit_single_rows(&rows, labels, &p.check()?)?),
            ModelParams::Forest(p) => Learner::Forest(fit_forest_rows(&rows, labels, &p.check()?)?),
        };
        let calibrator = match calibration {
            CalibrationMethod::None => None,
            method => calibrate(frame, labels, params, method)?,
        };
        Ok(FittedModel {
            matrix,
            learner,
            calibrator,
        })
    }

    /// P(churn) for every row of `frame`, in order.
    pub fn predict(&self, frame: &FeatureFrame) -> Vec<f64> {
        self.predict_by_slices(frame, PREDICT_SLICE_ROWS, |x| self.predict_matrix(x))
    }

    /// Encodes `frame` a slice of rows at a time (in parallel) and predicts each slice with
    /// `predict`: the design matrix of a large holdout never exists whole. Each row's
    /// prediction depends on that row alone, so slicing changes no value.
    fn predict_by_slices(
        &self,
        frame: &FeatureFrame,
        slice_rows: usize,
        predict: impl Fn(ArrayView2<f64>) -> Vec<f64> + Sync,
    ) -> Vec<f64> {
        let n = frame.n_rows();
        let slices: Vec<Vec<f64>> = (0..n.div_ceil(slice_rows))
            .into_par_iter()
            .map(|s| {
                let rows = s * slice_rows..((s + 1) * slice_rows).min(n);
                predict(self.matrix.transform_rows(frame, rows).view())
            })
            .collect();
        slices.concat()
    }

    /// P(churn) for the rows of a design matrix encoded by [`FittedModel::matrix`].
    pub fn predict_matrix(&self, x: ArrayView2<f64>) -> Vec<f64> {
        let mut p = self.learner.predict(x);
        if let Some(c) = &self.calibrator {
            p.iter_mut().for_each(|v| *v = c.apply(*v));
        }
        p
    }

    /// The learner's own probabilities, before calibration (for reporting what
    /// calibration changed).
    pub fn predict_uncalibrated(&self, frame: &FeatureFrame) -> Vec<f64> {
        self.predict_by_slices(frame, PREDICT_SLICE_ROWS, |x| self.learner.predict(x))
    }
}

/// Learns a calibrator on the latest snapshot of `frame` from a learner fitted on the
/// earlier ones; `None` when the frame has a single snapshot.
fn calibrate(
    frame: &FeatureFrame,
    labels: &[bool],
    params: &ModelParams,
    method: CalibrationMethod,
) -> Result<Option<Calibrator>, ModelError> {
    let Some(&latest) = frame.snapshot.iter().max() else {
        return Ok(None);
    };
    let (late, early): (Vec<usize>, Vec<usize>) =
        (0..frame.n_rows()).partition(|&r| frame.snapshot[r] == latest);
    if early.is_empty() {
        return Ok(None);
    }
    let pick = |rows: &[usize]| -> Vec<bool> { rows.iter().map(|&r| labels[r]).collect() };
    let earlier = FittedModel::fit(
        &frame.select(&early),
        &pick(&early),
        params,
        CalibrationMethod::None,
    )?;
    let p = earlier.predict(&frame.select(&late));
    let y = pick(&late);
    let calibrator = match method {
        CalibrationMethod::None => return Ok(None),
        CalibrationMethod::Platt => Calibrator::fit_platt(&y, &p),
        CalibrationMethod::Isotonic => Calibrator::fit_isotonic(&y, &p),
    };
    calibrator.map(Some).map_err(ModelError::Calibration)
}

impl Learner {
    /// P(churn) for every row of a design matrix encoded by the model's [`MatrixSpec`].
    pub fn predict(&self, x: ArrayView2<f64>) -> Vec<f64> {
        match self {
            Learner::Logistic(m) => m.predict_batch(x),
            Learner::Tree(m) => m.predict_batch(x),
            Learner::Forest(m) => m.predict_batch(x),
        }
    }

    /// How much each matrix column pushes this row's risk up (positive) or down, as
    /// (column, amount) pairs, written over `out` (reused from row to row). The linear
    /// model measures against `reference` (the scored population's mean row) in log-odds;
    /// trees sum the change in probability along the row's decision path.
    pub fn contributions<'a>(
        &'a self,
        x: ArrayView1<'a, f64>,
        reference: ArrayView1<'a, f64>,
        out: &mut Vec<(usize, f64)>,
    ) {
        out.clear();
        match self {
            Learner::Logistic(m) => out.extend(m.contributions(x, reference).enumerate()),
            Learner::Tree(m) => out.extend(m.path_contributions(x)),
            Learner::Forest(m) => out.extend(m.path_contributions(x)),
        }
    }
}

/// How a training run is set up.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    pub params: ModelParams,
    pub label: LabelSpec,
    pub features: FeatureConfig,
    /// Snapshots per fit (K) and the days between them (D).
    pub snapshots: usize,
    pub step_days: i32,
    /// The holdout date; default the latest labelable date.
    pub as_of: Option<i32>,
    pub calibration: CalibrationMethod,
}

/// Risk tiers: `high` for probabilities at or above `high`, `medium` from `medium`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RiskTiers {
    pub high: f64,
    pub medium: f64,
}

/// Default shares of the holdout population in the high and medium tiers.
pub const HIGH_TIER_SHARE: f64 = 0.10;
pub const MEDIUM_TIER_SHARE: f64 = 0.20;

impl RiskTiers {
    /// Cut points so that about `HIGH_TIER_SHARE` of `probabilities` are high and the next
    /// `MEDIUM_TIER_SHARE` medium.
    pub fn from_scores(probabilities: &[f64]) -> RiskTiers {
        let mut sorted = probabilities.to_vec();
        sorted.sort_by(|a, b| b.total_cmp(a));
        let at = |share: f64| {
            // Rounded, not ceiled: 10 x 0.3 is 3.0000000000000004 in floating point.
            let count = (sorted.len() as f64 * share).round() as usize;
            let idx = count.clamp(1, sorted.len().max(1)) - 1;
            sorted.get(idx).copied().unwrap_or(1.0)
        };
        RiskTiers {
            high: at(HIGH_TIER_SHARE),
            medium: at(HIGH_TIER_SHARE + MEDIUM_TIER_SHARE),
        }
    }

    pub fn tier(&self, probability: f64) -> &'static str {
        if probability >= self.high {
            "high"
        } else if probability >= self.medium {
            "medium"
        } else {
            "low"
        }
    }
}

/// Rows used by each part of a training run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowCounts {
    pub evaluation_fit: usize,
    pub holdout: usize,
    pub final_fit: usize,
}

/// The outcome of [`train`].
#[derive(Clone, Debug, PartialEq)]
pub struct Trained {
    pub plan: SnapshotPlan,
    pub params: ModelParams,
    pub label: LabelDefinition,
    /// The model to save: fitted on `plan.final_fit`.
    pub model: FittedModel,
    /// The same procedure fitted on `plan.evaluation_fit`: the model whose holdout
    /// predictions are the honest out-of-time evaluation (kept so that `evaluate` and
    /// `report` can reproduce them).
    pub evaluation_model: FittedModel,
    /// The same procedure fitted on `plan.evaluation_fit`, scored on `plan.holdout`.
    pub holdout: Metrics,
    /// Ranking the holdout by days since the last order alone.
    pub recency_baseline: Ranking,
    /// Cut points chosen on the holdout predictions.
    pub tiers: RiskTiers,
    pub rows: RowCounts,
}

/// The out-of-time evaluation of a training procedure on one holdout date.
#[derive(Clone, Debug, PartialEq)]
pub struct OutOfTime {
    pub plan: SnapshotPlan,
    /// Fitted on `plan.evaluation_fit`.
    pub model: FittedModel,
    pub holdout: Metrics,
    pub recency_baseline: Ranking,
    /// The model's probabilities on the holdout rows.
    pub scores: Vec<f64>,
    pub evaluation_rows: usize,
}

/// Fits and evaluates a model out of time, then refits it on the latest snapshots.
///
/// Takes the tables by value ([`RawTables`] or the ingested copy): the features and labels
/// of every snapshot are built a block of customers at a time, each block's events freed
/// (or, from the ingested copy, read) as the frame grows, so the events never all sit in
/// memory beside the frame; the tables are gone before the first fit (at 10M customers
/// they are gigabytes).
///
/// # Errors
/// An unlabelable holdout, an empty snapshot, a single class in the labels, bad
/// parameters, or the ingested copy cannot be read.
pub fn train(tables: impl Into<Tables>, config: &TrainConfig) -> Result<Trained, ModelError> {
    let tables = tables.into();
    let plan = make_plan(tables.data_end(), config)?;
    let mut dates = plan.evaluation_fit.clone();
    dates.push(plan.holdout);
    dates.extend(&plan.final_fit);
    // One pass over the data for every snapshot of both fits and the holdout, a block of
    // customers at a time, each block's events freed once its rows are in the frame (the
    // ingested copy is read a block at a time): the events are never all in memory beside
    // the frame. The tables are consumed.
    let (frame, labels, _) = labels::build_consuming_with_features::<ModelError>(
        tables,
        &dates,
        config.features,
        config.label,
    )?;
    let data = Labelled { frame, labels };
    // The parts hold every row still needed; the frame of all snapshots is freed as they
    // are taken out of it, before the first fit (at 10M customers it is gigabytes).
    let sets: [&[i32]; 3] = [&plan.evaluation_fit, &[plan.holdout], &plan.final_fit];
    let Ok([fit, holdout, final_part]) = <[Part; 3]>::try_from(data.into_parts(&sets)?) else {
        unreachable!("into_parts gives a part for each set");
    };
    let oot = out_of_time(&fit, &holdout, plan, config)?;
    drop((fit, holdout));
    let tiers = RiskTiers::from_scores(&oot.scores);
    let (final_frame, final_y) = (&final_part.frame, &final_part.y);
    let model = FittedModel::fit(final_frame, final_y, &config.params, config.calibration)?;
    Ok(Trained {
        rows: RowCounts {
            evaluation_fit: oot.evaluation_rows,
            holdout: oot.holdout.n,
            final_fit: final_y.len(),
        },
        plan: oot.plan,
        params: config.params.clone(),
        label: config.label.definition,
        model,
        evaluation_model: oot.model,
        holdout: oot.holdout,
        recency_baseline: oot.recency_baseline,
        tiers,
    })
}

/// Only the out-of-time evaluation of [`train`] (no final fit): one fold of a backtest,
/// with the holdout at `config.as_of`.
///
/// # Errors
/// As [`train`].
pub fn evaluate_out_of_time(
    raw: &RawTables,
    config: &TrainConfig,
) -> Result<OutOfTime, ModelError> {
    let plan = make_plan(raw.data_end, config)?;
    let mut dates = plan.evaluation_fit.clone();
    dates.push(plan.holdout);
    let data = Labelled::build(raw.into(), &dates, config)?;
    let (fit, holdout) = data.into_out_of_time_parts(&plan)?;
    out_of_time(&fit, &holdout, plan, config)
}

fn make_plan(data_end: i32, config: &TrainConfig) -> Result<SnapshotPlan, ModelError> {
    Ok(plan::plan(
        data_end,
        config.label.horizon_days,
        config.snapshots,
        config.step_days,
        config.as_of,
    )?)
}

/// Features and labels of several snapshots, built in one pass.
struct Labelled {
    frame: FeatureFrame,
    labels: Vec<bool>,
}

impl Labelled {
    fn build(
        tables: TablesRef,
        dates: &[i32],
        config: &TrainConfig,
    ) -> Result<Labelled, ModelError> {
        let (frame, labels) = labels::build_with_features::<ModelError>(
            tables,
            dates,
            config.features,
            config.label,
        )?;
        Ok(Labelled { frame, labels })
    }

    /// The rows of each set of snapshots (each snapshot must have customers), taken out
    /// of the frame, which is freed a column at a time on the way.
    fn into_parts(self, sets: &[&[i32]]) -> Result<Vec<Part>, ModelError> {
        let mut rows = Vec::with_capacity(sets.len());
        for snapshots in sets {
            let mut of_set = Vec::new();
            for &t in *snapshots {
                let of_t = self.frame.rows_of_snapshot(t);
                if of_t.is_empty() {
                    return Err(ModelError::EmptySnapshot(crate::dates::format_day(t)));
                }
                of_set.extend(of_t);
            }
            rows.push(of_set);
        }
        let ys: Vec<Vec<bool>> = rows
            .iter()
            .map(|r| r.iter().map(|&i| self.labels[i]).collect())
            .collect();
        let slices: Vec<&[usize]> = rows.iter().map(Vec::as_slice).collect();
        let frames = self.frame.split(&slices);
        Ok(frames
            .into_iter()
            .zip(ys)
            .map(|(frame, y)| Part { frame, y })
            .collect())
    }

    /// The rows of the evaluation fit and of the holdout of `plan`.
    fn into_out_of_time_parts(self, plan: &SnapshotPlan) -> Result<(Part, Part), ModelError> {
        let parts = self.into_parts(&[&plan.evaluation_fit, &[plan.holdout]])?;
        let Ok([fit, holdout]) = <[Part; 2]>::try_from(parts) else {
            unreachable!("into_parts gives a part for each set");
        };
        Ok((fit, holdout))
    }
}

/// The features and labels of some snapshots.
struct Part {
    frame: FeatureFrame,
    y: Vec<bool>,
}

/// Fits on `fit` and scores `holdout`, beside the recency baseline.
fn out_of_time(
    fit: &Part,
    holdout: &Part,
    plan: SnapshotPlan,
    config: &TrainConfig,
) -> Result<OutOfTime, ModelError> {
    let model = FittedModel::fit(&fit.frame, &fit.y, &config.params, config.calibration)?;
    let scores = model.predict(&holdout.frame);
    let metrics = Metrics::compute(&holdout.y, &scores)?;
    let recency = holdout
        .frame
        .column(crate::schema::features::NUMERIC[0])
        .map(Values::to_vec)
        .unwrap_or_default();
    let recency_baseline = Ranking::compute(&holdout.y, &recency)?;
    Ok(OutOfTime {
        plan,
        model,
        holdout: metrics,
        recency_baseline,
        scores,
        evaluation_rows: fit.y.len(),
    })
}

#[cfg(test)]
pub(crate) mod tests;
