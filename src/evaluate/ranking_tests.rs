use super::*;
use crate::metrics::MetricError;

const T: bool = true;
const F: bool = false;

#[track_caller]
fn close(got: f64, want: f64) {
    assert!((got - want).abs() < 1e-12, "got {got}, want {want}");
}

/// Ten rows, three churners (base rate 0.3). Rows 1, 2 and 3 tie at 0.8; in row order the
/// stayer (row 1) comes before the churner (row 2).
const Y: [bool; 10] = [T, F, T, F, F, T, F, F, F, F];
const SCORES: [f64; 10] = [0.9, 0.8, 0.8, 0.8, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0];

#[track_caller]
fn check_top(got: &TopK, k: usize, churners: usize, precision: f64, recall: f64, lift: f64) {
    assert_eq!((got.k, got.churners), (k, churners), "{got:?}");
    close(got.precision, precision);
    close(got.recall, recall);
    close(got.lift, lift);
}

#[test]
fn top_k_by_hand_with_ties_at_the_cut() {
    let got = top_k(&Y, &SCORES, &[0.05, 0.2, 0.3, 1.0]).unwrap();
    // 0.05 x 10 = 0.5 rounds to 1: row 0, a churner. Precision 1/1, recall 1/3,
    // lift 1 / 0.3 = 10/3.
    check_top(&got[0], 1, 1, 1.0, 1.0 / 3.0, 10.0 / 3.0);
    // 0.2 x 10 = 2: rows 0 and 1. The cut falls inside the tie at 0.8 (rows 1, 2, 3) and
    // row order lets in row 1 (a stayer) only: 1 churner, precision 1/2, recall 1/3,
    // lift 0.5 / 0.3 = 5/3.
    check_top(&got[1], 2, 1, 0.5, 1.0 / 3.0, 5.0 / 3.0);
    // 0.3 x 10 = 3.0000000000000004 rounds to 3: rows 0, 1, 2: 2 churners, precision 2/3,
    // recall 2/3, lift (2/3) / 0.3 = 20/9.
    check_top(&got[2], 3, 2, 2.0 / 3.0, 2.0 / 3.0, 20.0 / 9.0);
    // Everyone: precision is the base rate, recall 1, lift 1.
    check_top(&got[3], 10, 3, 0.3, 1.0, 1.0);
    assert_eq!(got[1].share, 0.2);
}

#[test]
fn top_k_ties_follow_row_order() {
    // The same scores with rows 1 and 2 swapped: now the churner is first in the tie and
    // the top 2 (rows 0 and 1) hold 2 churners: precision 1, recall 2/3, lift 10/3.
    let y = [T, T, F, F, F, T, F, F, F, F];
    let got = top_k(&y, &SCORES, &[0.2]).unwrap();
    check_top(&got[0], 2, 2, 1.0, 2.0 / 3.0, 10.0 / 3.0);
}

#[test]
fn top_k_small_shares_take_at_least_one_row_and_all_churners_is_fine() {
    // 0.01 x 10 = 0.1 rounds to 0, clamped to 1 row.
    let got = top_k(&Y, &SCORES, &[0.01]).unwrap();
    check_top(&got[0], 1, 1, 1.0, 1.0 / 3.0, 10.0 / 3.0);
    // All churners: base rate 1. Top half (row 1, score 0.2): precision 1, recall 1/2,
    // lift 1.
    let got = top_k(&[T, T], &[0.1, 0.2], &[0.5]).unwrap();
    check_top(&got[0], 1, 1, 1.0, 0.5, 1.0);
}

#[test]
fn top_k_refuses_what_it_cannot_compute() {
    assert_eq!(
        top_k(&[F, F], &[0.1, 0.2], &[0.1]),
        Err(EvalError::NoChurners { n: 2 })
    );
    assert_eq!(
        top_k(&[T, F], &[0.1, 0.2], &[0.0]),
        Err(EvalError::InvalidShare { share: 0.0 })
    );
    assert_eq!(
        top_k(&[T, F], &[0.1, 0.2], &[0.5, 1.5]),
        Err(EvalError::InvalidShare { share: 1.5 })
    );
    assert!(matches!(
        top_k(&[T, F], &[0.1, 0.2], &[f64::NAN]),
        Err(EvalError::InvalidShare { share }) if share.is_nan()
    ));
    assert_eq!(
        top_k(&[T, F], &[0.1, f64::NAN], &[0.5]),
        Err(EvalError::NanScore { row: 1 })
    );
    assert_eq!(
        top_k(&[], &[], &[0.5]),
        Err(EvalError::Metric(MetricError::Empty))
    );
    assert_eq!(
        top_k(&[T], &[0.1, 0.2], &[0.5]),
        Err(EvalError::Metric(MetricError::LengthMismatch {
            n_labels: 1,
            n_scores: 2
        }))
    );
    assert_eq!(
        top_k(&[F, F], &[0.1, 0.2], &[0.1]).unwrap_err().to_string(),
        "none of the 2 rows churned: recall, lift and gains need at least one churner"
    );
}

#[test]
fn order_and_tied_groups_by_hand() {
    // Descending: 0.9 (row 1), then the tie at 0.5 in row order (rows 0, 2), then row 3.
    let scores = [0.5, 0.9, 0.5, 0.1];
    assert_eq!(descending_order(&scores), [1, 0, 2, 3]);
    // (churners, stayers) per distinct score: 0.9 -> row 1 stayer; 0.5 -> row 0 churner
    // and row 2 stayer; 0.1 -> row 3 churner.
    assert_eq!(
        tied_groups(&[T, F, F, T], &scores),
        [(0, 1), (1, 1), (1, 0)]
    );
    assert_eq!(cut(0.3, 10), 3);
    assert_eq!(cut(0.0, 10), 1);
    assert_eq!(cut(1.0, 10), 10);
}

#[track_caller]
fn check_confusion(
    got: Confusion,
    counts: [usize; 4],
    precision: Option<f64>,
    recall: Option<f64>,
) {
    assert_eq!([got.tp, got.fp, got.tn, got.fn_], counts, "{got:?}");
    assert_eq!(got.precision, precision);
    assert_eq!(got.recall, recall);
}

#[test]
fn confusion_by_hand() {
    let y = [T, F, T, F, T];
    let p = [0.9, 0.7, 0.5, 0.5, 0.1];
    // p >= 0.5 (0.5 itself counts): rows 0, 1, 2, 3. Churners among them: rows 0 and 2
    // (tp 2); stayers rows 1 and 3 (fp 2); no stayer below (tn 0); row 4 missed (fn 1).
    // Precision 2/4, recall 2/3.
    let got = confusion_at(&y, &p, 0.5).unwrap();
    assert_eq!(got.threshold, 0.5);
    check_confusion(got, [2, 2, 0, 1], Some(0.5), Some(2.0 / 3.0));
    // Above every p: nothing predicted, precision undefined, recall 0/3.
    check_confusion(
        confusion_at(&y, &p, 0.95).unwrap(),
        [0, 0, 2, 3],
        None,
        Some(0.0),
    );
    // No churners: recall undefined; one false alarm out of one prediction.
    check_confusion(
        confusion_at(&[F, F], &[0.2, 0.8], 0.5).unwrap(),
        [0, 1, 1, 0],
        Some(0.0),
        None,
    );
}

#[test]
fn confusion_refuses_nan() {
    assert_eq!(
        confusion_at(&[T, F], &[0.2, 0.8], f64::NAN),
        Err(EvalError::NanThreshold)
    );
    assert_eq!(
        confusion_at(&[T, F], &[f64::NAN, 0.8], 0.5),
        Err(EvalError::NanScore { row: 0 })
    );
    assert_eq!(
        confusion_at(&[], &[], 0.5),
        Err(EvalError::Metric(MetricError::Empty))
    );
}

#[test]
fn confusion_serialises_fn_by_its_name() {
    let got = confusion_at(&[T, F], &[0.2, 0.8], 0.5).unwrap();
    let json = serde_json::to_string(&got).unwrap();
    assert!(json.contains("\"fn\":1"), "{json}");
    assert_eq!(serde_json::from_str::<Confusion>(&json).unwrap(), got);
}
