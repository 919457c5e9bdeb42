use super::*;
use crate::metrics::{average_precision, roc_auc, MetricError};

const T: bool = true;
const F: bool = false;

#[track_caller]
fn check_points(got: &[(f64, f64)], want: &[(f64, f64)]) {
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g.0 - w.0).abs() < 1e-12 && (g.1 - w.1).abs() < 1e-12,
            "got {got:?}, want {want:?}"
        );
    }
}

/// Area under a polyline by trapezoids.
fn area(points: &[(f64, f64)]) -> f64 {
    points
        .windows(2)
        .map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0)
        .sum()
}

#[test]
fn roc_curve_by_hand() {
    // Two churners (P), two stayers (N). From the top: 0.9 churner -> (0, 1/2);
    // 0.8 stayer -> (1/2, 1/2); 0.4 churner -> (1/2, 1); 0.3 stayer -> (1, 1).
    let (y, s) = ([T, F, T, F], [0.9, 0.8, 0.4, 0.3]);
    let got = roc_curve(&y, &s).unwrap();
    check_points(
        &got,
        &[(0.0, 0.0), (0.0, 0.5), (0.5, 0.5), (0.5, 1.0), (1.0, 1.0)],
    );
    // Its area is the ROC AUC: 0.25 + 0.5 = 0.75.
    assert!((area(&got) - roc_auc(&y, &s).unwrap()).abs() < 1e-12);
}

#[test]
fn roc_curve_moves_diagonally_through_ties() {
    // The tie at 0.5 holds one churner and one stayer: one point, from (0, 1/2) to
    // (1/2, 1). Area 0 + 0.5 x (0.5 + 1) / 2 + 0.5 = 0.875, the AUC with the tie as a half.
    let (y, s) = ([T, T, F, F], [0.8, 0.5, 0.5, 0.1]);
    let got = roc_curve(&y, &s).unwrap();
    check_points(&got, &[(0.0, 0.0), (0.0, 0.5), (0.5, 1.0), (1.0, 1.0)]);
    assert!((area(&got) - 0.875).abs() < 1e-12);
    assert_eq!(
        roc_curve(&[T, T], &[0.1, 0.2]),
        Err(EvalError::SingleClass {
            n: 2,
            churned: true
        })
    );
}

#[test]
fn pr_curve_by_hand() {
    // From the top: 0.9 churner (recall 1/2, precision 1/1); 0.8 stayer (1/2, 1/2);
    // 0.4 churner (1, 2/3); 0.3 stayer (1, 2/4).
    let (y, s) = ([T, F, T, F], [0.9, 0.8, 0.4, 0.3]);
    let got = pr_curve(&y, &s).unwrap();
    check_points(
        &got,
        &[(0.5, 1.0), (0.5, 0.5), (1.0, 2.0 / 3.0), (1.0, 0.5)],
    );
    // Summing precision times the gain in recall gives the average precision.
    let mut ap = 0.0;
    let mut recall = 0.0;
    for (r, p) in &got {
        ap += (r - recall) * p;
        recall = *r;
    }
    assert!((ap - average_precision(&y, &s).unwrap()).abs() < 1e-12);
    // Ties are one threshold: 0.8 (1/2, 1), 0.5 (1, 2/3), 0.1 (1, 2/4).
    let got = pr_curve(&[T, T, F, F], &[0.8, 0.5, 0.5, 0.1]).unwrap();
    check_points(&got, &[(0.5, 1.0), (1.0, 2.0 / 3.0), (1.0, 0.5)]);
    assert_eq!(
        pr_curve(&[F, F], &[0.1, 0.2]),
        Err(EvalError::NoChurners { n: 2 })
    );
}

/// Ten rows, churners at rows 0, 2 and 5; rows 1, 2, 3 tie at 0.8, stayer first.
const Y: [bool; 10] = [T, F, T, F, F, T, F, F, F, F];
const SCORES: [f64; 10] = [0.9, 0.8, 0.8, 0.8, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0];

#[test]
fn gains_curve_by_hand() {
    // Five steps of 2 rows. Top 2: rows 0, 1 -> 1 of 3 churners; top 4: rows 0-3 -> 2;
    // top 6: rows 0-5 -> 3; then all.
    check_points(
        &gains_curve(&Y, &SCORES, 5).unwrap(),
        &[
            (0.0, 0.0),
            (0.2, 1.0 / 3.0),
            (0.4, 2.0 / 3.0),
            (0.6, 1.0),
            (0.8, 1.0),
            (1.0, 1.0),
        ],
    );
    // Four steps of 2.5 rows: round(2.5) = 3, round(5) = 5, round(7.5) = 8 rows.
    // Top 3: rows 0, 1, 2 -> 2 churners; top 5: still 2; top 8: 3.
    check_points(
        &gains_curve(&Y, &SCORES, 4).unwrap(),
        &[
            (0.0, 0.0),
            (0.25, 2.0 / 3.0),
            (0.5, 2.0 / 3.0),
            (0.75, 1.0),
            (1.0, 1.0),
        ],
    );
    assert_eq!(
        gains_curve(&Y, &SCORES, 0),
        Err(EvalError::ZeroCount {
            what: "the number of gains-curve points"
        })
    );
    assert_eq!(
        gains_curve(&[F; 3], &[0.1; 3], 4),
        Err(EvalError::NoChurners { n: 3 })
    );
}

#[test]
fn score_histogram_by_hand() {
    // Four bins of width 0.25. Churners at 0.2 (bin 0), 0.7 (bin 2), 1.0 (last bin);
    // stayers at 0.1 (bin 0), 0.6 (bin 2), 0.3 (bin 1).
    let y = [F, T, F, T, T, F];
    let p = [0.1, 0.2, 0.6, 0.7, 1.0, 0.3];
    let (churners, stayers) = score_histogram(&y, &p, 4).unwrap();
    assert_eq!(churners, [1, 0, 1, 1]);
    assert_eq!(stayers, [1, 1, 1, 0]);
    assert_eq!(
        score_histogram(&y, &p, 0),
        Err(EvalError::ZeroCount {
            what: "the number of bins"
        })
    );
    assert!(matches!(
        score_histogram(&[T], &[f64::NAN], 4),
        Err(EvalError::Metric(MetricError::NotAProbability {
            row: 0,
            ..
        }))
    ));
}
