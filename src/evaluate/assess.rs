//! Which saved model may honestly be evaluated on which date, and the evaluation itself.
//!
//! Input: the tables ([`TablesRef`]: in memory, or the ingested copy, read a block of
//! customers at a time), a [`ModelArtifact`] and optionally an as-of date. Output: an
//! [`Assessment`]: the labelled snapshot, the model's probabilities (calibrated and not),
//! and the [`Evaluation`].
//!
//! A model may only be judged on outcomes it never saw:
//! - by default, and on the artifact's holdout date, the *evaluation model* is used (the
//!   same procedure fitted on snapshots whose labels were all known by the holdout): this
//!   reproduces the out-of-time numbers printed at training;
//! - the saved (final) model is used on any labelable date T on or after the end of its
//!   last training label window (last final-fit snapshot + horizon), i.e. on data that
//!   arrived after it was trained;
//! - any other date is refused, because the model has seen those outcomes.

use crate::data::{DataError, TablesRef};
use crate::dates::{format_day, parse_day};
use crate::features::{FeatureConfig, FeatureFrame};
use crate::labels::{self, LabelError, LabelSpec};
use crate::model::artifact::ModelArtifact;
use crate::model::FittedModel;

use super::{evaluate, expected_calibration_error, EvalError, EvalOptions, Evaluation};

/// Which of the artifact's two fitted models was scored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelUsed {
    /// Fitted on `snapshots.evaluation_fit`, scored on `snapshots.holdout`.
    Evaluation,
    /// The saved model, on data that arrived after its training.
    Final,
}

#[derive(Debug, thiserror::Error)]
pub enum AssessError {
    #[error("model {id} has seen the outcomes of {as_of}: its training labels run to {seen_until}. Evaluate it on its holdout date {holdout} (the default) or on a labelable date from {seen_until} on")]
    SeenOutcomes {
        id: String,
        as_of: String,
        seen_until: String,
        holdout: String,
    },
    #[error("model {id} has an unreadable snapshot date {value:?}")]
    BadDate { id: String, value: String },
    #[error("no customers are active on {0}: nothing to evaluate")]
    Empty(String),
    #[error(transparent)]
    Label(#[from] LabelError),
    #[error(transparent)]
    Eval(#[from] EvalError),
    #[error(transparent)]
    Data(#[from] DataError),
}

/// A model scored on a labelled snapshot.
#[derive(Clone, Debug)]
pub struct Assessment {
    pub as_of: i32,
    pub model_used: ModelUsed,
    pub frame: FeatureFrame,
    pub labels: Vec<bool>,
    /// Calibrated probabilities (what the at-risk list shows).
    pub probabilities: Vec<f64>,
    /// The learner's probabilities before calibration.
    pub uncalibrated: Vec<f64>,
    /// Expected calibration error of `uncalibrated`, beside `evaluation.model.ece`.
    pub ece_uncalibrated: f64,
    pub evaluation: Evaluation,
}

/// Scores `artifact` on the snapshot at `as_of` (default: its holdout date) and evaluates
/// it against the baselines.
///
/// # Errors
/// A date whose outcomes the model has seen ([`AssessError::SeenOutcomes`]), an
/// unlabelable date, an empty population, or labels of a single class.
pub fn assess(
    tables: TablesRef,
    artifact: &ModelArtifact,
    as_of: Option<i32>,
    options: &EvalOptions,
) -> Result<Assessment, AssessError> {
    let day = |text: &str| {
        parse_day(text).ok_or_else(|| AssessError::BadDate {
            id: artifact.id.clone(),
            value: text.to_string(),
        })
    };
    let holdout = day(&artifact.snapshots.holdout)?;
    let last_fit = match artifact.snapshots.final_fit.last() {
        Some(d) => day(d)?,
        None => holdout,
    };
    let seen_until = last_fit + artifact.horizon_days;
    let as_of = as_of.unwrap_or(holdout);
    let (model, model_used): (&FittedModel, ModelUsed) = if as_of == holdout {
        (&artifact.evaluation_model, ModelUsed::Evaluation)
    } else if as_of >= seen_until {
        (&artifact.model, ModelUsed::Final)
    } else {
        return Err(AssessError::SeenOutcomes {
            id: artifact.id.clone(),
            as_of: format_day(as_of),
            seen_until: format_day(seen_until),
            holdout: format_day(holdout),
        });
    };
    let spec = LabelSpec {
        horizon_days: artifact.horizon_days,
        definition: artifact.label,
    };
    let config = FeatureConfig {
        active_days: artifact.active_days,
    };
    let (frame, labels) =
        labels::build_with_features::<AssessError>(tables, &[as_of], config, spec)?;
    if frame.n_rows() == 0 {
        return Err(AssessError::Empty(format_day(as_of)));
    }
    let probabilities = model.predict(&frame);
    let uncalibrated = model.predict_uncalibrated(&frame);
    let ece_uncalibrated = expected_calibration_error(&labels, &uncalibrated, options.bins)?;
    let evaluation = evaluate(
        &frame,
        &labels,
        &probabilities,
        &artifact.risk_tiers,
        options,
    )?;
    Ok(Assessment {
        as_of,
        model_used,
        frame,
        labels,
        probabilities,
        uncalibrated,
        ece_uncalibrated,
        evaluation,
    })
}
