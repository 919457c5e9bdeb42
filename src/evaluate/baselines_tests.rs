use super::*;
use crate::evaluate::tests::frame;

#[test]
fn baseline_features_are_the_ones_named_in_the_schema() {
    // The constants index `NUMERIC`; this fails if its order changes under them.
    assert_eq!(RECENCY_DAYS, "recency_days");
    assert_eq!(ORDERS_365D, "orders_365d");
    assert_eq!(SPEND_365D, "spend_365d");
}

#[test]
fn recency_fills_unknowns_with_the_largest_known_value() {
    // Known: 5, 30, 12; the largest is 30, which the unknown row gets.
    let f = frame(&[5.0, f64::NAN, 30.0, 12.0], &[0.0; 4], &[0.0; 4]);
    assert_eq!(recency_score(&f).unwrap(), [5.0, 30.0, 30.0, 12.0]);
    // Nothing known: no information, every row 0.
    let f = frame(&[f64::NAN; 2], &[0.0; 2], &[0.0; 2]);
    assert_eq!(recency_score(&f).unwrap(), [0.0, 0.0]);
}

#[test]
fn quintiles_by_hand() {
    // Sorted: 10 (rank 0), 20 (ranks 1, 2: first tie rank 1), 30 (3), 40 (4); m = 5:
    // 1 + floor(5 r / 5) = 1 + r -> 1, 2, 2, 4, 5.
    assert_eq!(quintiles(&[10.0, 20.0, 20.0, 30.0, 40.0]), [1, 2, 2, 4, 5]);
    // Ten distinct values: 1 + floor(5 r / 10) = 1 + floor(r / 2).
    let ten: Vec<f64> = (1..=10).map(f64::from).collect();
    assert_eq!(quintiles(&ten), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    // Unknowns score 3 and are not counted: m = 2, 1 has rank 0 -> 1; 5 has rank 1 ->
    // 1 + floor(5 / 2) = 3.
    assert_eq!(quintiles(&[f64::NAN, 5.0, 1.0]), [3, 3, 1]);
    // All tied: everyone has first rank 0 -> 1.
    assert_eq!(quintiles(&[2.0; 3]), [1, 1, 1]);
}

#[test]
fn rfm_by_hand() {
    let f = frame(
        &[2.0, 10.0, 40.0, 40.0, f64::NAN],
        &[12.0, 3.0, 1.0, 0.0, 5.0],
        &[500.0, 80.0, 20.0, 0.0, 100.0],
    );
    // R ranks -recency among the 4 known: -40 (ranks 0, 1), -10 (2), -2 (3); m = 4:
    // -2 -> 1 + floor(15 / 4) = 4, -10 -> 1 + floor(10 / 4) = 3, -40 -> 1, unknown -> 3.
    // R = [4, 3, 1, 1, 3].
    // F: 0, 1, 3, 5, 12 have ranks 0..4 -> F = [5, 3, 2, 1, 4]; M likewise [5, 3, 2, 1, 4].
    // Sums [14, 9, 5, 3, 11]; risk 16 - sum = [2, 7, 11, 13, 5].
    assert_eq!(rfm_score(&f).unwrap(), [2.0, 7.0, 11.0, 13.0, 5.0]);
}

#[test]
fn missing_features_are_errors() {
    let mut f = frame(&[1.0, 2.0], &[1.0, 2.0], &[1.0, 2.0]);
    f.numeric.clear();
    let missing = Err(EvalError::MissingFeature {
        name: "recency_days",
    });
    assert_eq!(recency_score(&f), missing);
    assert_eq!(rfm_score(&f), missing);
    // A column shorter than the frame is as good as missing.
    let mut f = frame(&[1.0, 2.0], &[1.0, 2.0], &[1.0, 2.0]);
    f.numeric[6].truncate(1);
    assert_eq!(
        rfm_score(&f),
        Err(EvalError::MissingFeature { name: "spend_365d" })
    );
    assert_eq!(
        rfm_score(&f).unwrap_err().to_string(),
        "the feature frame has no column `spend_365d` with one value per row"
    );
}
