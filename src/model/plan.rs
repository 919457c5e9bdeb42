//! Which snapshots a model is evaluated and fitted on, so that evaluation is honest:
//! exactly as it would have been had the model been trained for real on the holdout date.
//!
//! With horizon H, K snapshots and step D, and the latest labelable date L = data end − H:
//! - the holdout is `--as-of` or L;
//! - the evaluation fit uses the K snapshots holdout − H, holdout − H − D, ...: each one's
//!   label window (t, t + H] ends on or before the holdout date, so nothing the model
//!   learns from was unknown on that date;
//! - the final fit, the model that is saved and used, uses the K latest labelable snapshots
//!   L, L − D, ...: the freshest data.

use serde::{Deserialize, Serialize};

use crate::dates::format_day;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotPlan {
    /// The date the evaluation scores, as a day number.
    pub holdout: i32,
    /// Snapshots of the evaluation fit, ascending.
    pub evaluation_fit: Vec<i32>,
    /// Snapshots of the final fit, ascending.
    pub final_fit: Vec<i32>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("the holdout date {} is not labelable: its {horizon_days}-day label window runs past the data, which ends on {}; the latest labelable date is {}", format_day(*.holdout), format_day(*.data_end), format_day(.data_end - .horizon_days))]
    NotLabelable {
        holdout: i32,
        horizon_days: i32,
        data_end: i32,
    },
    #[error("--snapshots, --step-days and --horizon-days must be at least 1")]
    BadShape,
}

/// Plans the snapshots of one training run.
///
/// # Errors
/// A holdout date whose label window runs past the data, or a non-positive shape.
pub fn plan(
    data_end: i32,
    horizon_days: i32,
    snapshots: usize,
    step_days: i32,
    as_of: Option<i32>,
) -> Result<SnapshotPlan, PlanError> {
    if snapshots < 1 || step_days < 1 || horizon_days < 1 {
        return Err(PlanError::BadShape);
    }
    let latest = data_end - horizon_days;
    let holdout = as_of.unwrap_or(latest);
    if holdout > latest {
        return Err(PlanError::NotLabelable {
            holdout,
            horizon_days,
            data_end,
        });
    }
    let back = |from: i32| -> Vec<i32> {
        (0..snapshots as i32)
            .rev()
            .map(|k| from - k * step_days)
            .collect()
    };
    Ok(SnapshotPlan {
        holdout,
        evaluation_fit: back(holdout - horizon_days),
        final_fit: back(latest),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dates::parse_day;

    fn d(s: &str) -> i32 {
        parse_day(s).unwrap()
    }

    #[test]
    fn default_plan_by_hand() {
        // Data ends 2025-12-31; H = 90 so the latest labelable date is 2025-10-02.
        let p = plan(d("2025-12-31"), 90, 3, 30, None).unwrap();
        assert_eq!(p.holdout, d("2025-10-02"));
        // Training windows end on or before the holdout: 2025-07-04 + 90 = 2025-10-02.
        assert_eq!(
            p.evaluation_fit,
            [d("2025-05-05"), d("2025-06-04"), d("2025-07-04")]
        );
        assert_eq!(
            p.final_fit,
            [d("2025-08-03"), d("2025-09-02"), d("2025-10-02")]
        );
        for t in &p.evaluation_fit {
            assert!(t + 90 <= p.holdout);
        }
    }

    #[test]
    fn explicit_holdout_and_its_limit() {
        let p = plan(d("2025-12-31"), 90, 1, 30, Some(d("2025-06-30"))).unwrap();
        assert_eq!(p.evaluation_fit, [d("2025-04-01")]);
        assert_eq!(p.final_fit, [d("2025-10-02")]);
        let err = plan(d("2025-12-31"), 90, 1, 30, Some(d("2025-10-03"))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the holdout date 2025-10-03 is not labelable: its 90-day label window runs past the data, \
             which ends on 2025-12-31; the latest labelable date is 2025-10-02"
        );
        assert_eq!(plan(0, 90, 0, 30, None), Err(PlanError::BadShape));
    }
}
