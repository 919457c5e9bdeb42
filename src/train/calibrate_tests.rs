use super::*;

const T: bool = true;
const F: bool = false;

/// Six rows shared by the tests (see each test's arithmetic).
const Y: [bool; 6] = [F, T, F, T, T, F];
const P: [f64; 6] = [0.1, 0.2, 0.6, 0.7, 1.0, 0.75];

#[track_caller]
fn close(got: f64, want: f64) {
    assert!((got - want).abs() < 1e-12, "got {got}, want {want}");
}

fn platt(calibrator: &Calibrator) -> (f64, f64) {
    match calibrator {
        Calibrator::Platt { a, b } => (*a, *b),
        other => panic!("not Platt: {other:?}"),
    }
}

#[test]
fn platt_on_symmetric_data() {
    // Targets: N+ = N- = 1, so a churner's is (1 + 1) / (1 + 2) = 2/3 and a stayer's
    // 1 / (1 + 2) = 1/3. The logits are +ln 4 (p = 0.8) and -ln 4 (p = 0.2). The data are
    // symmetric, so b = 0, and the gradient in a vanishes when
    // sigmoid(a ln 4) - 2/3 = 0, i.e. a ln 4 = ln 2, a = 1/2.
    let fitted = Calibrator::fit_platt(&[F, T], &[0.2, 0.8]).unwrap();
    let (a, b) = platt(&fitted);
    assert!((a - 0.5).abs() < 1e-9, "a = {a}");
    assert!(b.abs() < 1e-9, "b = {b}");
    // sigmoid(0.5 ln 4) = sigmoid(ln 2) = 2/3; sigmoid(-ln 2) = 1/3; logit(0.5) = 0.
    assert!((fitted.apply(0.8) - 2.0 / 3.0).abs() < 1e-9);
    assert!((fitted.apply(0.2) - 1.0 / 3.0).abs() < 1e-9);
    assert!((fitted.apply(0.5) - 0.5).abs() < 1e-9);
    // Scores that rank backwards get the mirror image: a = -1/2.
    let (a, b) = platt(&Calibrator::fit_platt(&[T, F], &[0.2, 0.8]).unwrap());
    assert!((a + 0.5).abs() < 1e-9, "a = {a}");
    assert!(b.abs() < 1e-9, "b = {b}");
}

#[test]
fn platt_on_constant_predictions_learns_the_smoothed_base_rate() {
    // Every p = 0.5, so every logit is 0 and only b matters: sigmoid(b) must equal the
    // mean target. N+ = 1, N- = 3: churner target 2/3, stayer target 1/(3 + 2) = 1/5;
    // mean (2/3 + 3/5) / 4 = (10/15 + 9/15) / 4 = 19/60, so b = ln(19/41) and a stays 0.
    let fitted = Calibrator::fit_platt(&[T, F, F, F], &[0.5; 4]).unwrap();
    let (a, b) = platt(&fitted);
    assert_eq!(a, 0.0);
    assert!((b - (19.0f64 / 41.0).ln()).abs() < 1e-9, "b = {b}");
    assert!((fitted.apply(0.5) - 19.0 / 60.0).abs() < 1e-9);
}

#[test]
fn platt_handles_extreme_probabilities() {
    // p = 0 and p = 1 are clamped to 1e-15 and 1 - 1e-15 before the logit, so the fit
    // and the calibrated values stay finite. Two rows and two parameters fit the targets
    // exactly: the gradient in b says (q1 - 2/3) + (q0 - 1/3) = 0 and the one in a
    // (q1 - 2/3) x1 + (q0 - 1/3) x0 = 0 with x1 != x0, so q1 = 2/3 and q0 = 1/3.
    let fitted = Calibrator::fit_platt(&[F, T], &[0.0, 1.0]).unwrap();
    let (a, b) = platt(&fitted);
    assert!(a.is_finite() && a > 0.0 && b.is_finite(), "a {a}, b {b}");
    assert!((fitted.apply(1.0) - 2.0 / 3.0).abs() < 1e-9);
    assert!((fitted.apply(0.0) - 1.0 / 3.0).abs() < 1e-9);
    assert!(fitted.apply(f64::NAN).is_nan());
}

#[test]
fn platt_refuses_single_class_and_empty_input() {
    assert_eq!(
        Calibrator::fit_platt(&[T, T], &[0.2, 0.8]),
        Err(MetricError::SingleClass {
            n: 2,
            churned: true
        })
    );
    assert_eq!(Calibrator::fit_platt(&[], &[]), Err(MetricError::Empty));
    assert_eq!(
        Calibrator::fit_platt(&[T, F], &[0.2, -0.1]),
        Err(MetricError::NotAProbability {
            row: 1,
            value: -0.1
        })
    );
}

#[test]
fn isotonic_pools_a_violation_by_hand() {
    let y = [F, T, F, F, T, T];
    let p = [0.1, 0.2, 0.3, 0.3, 0.6, 0.8];
    // Ties first: rows 2 and 3 (p = 0.3) are one block. Blocks (rows, churners):
    // 0.1 (1, 0), 0.2 (1, 1), 0.3 (2, 0), 0.6 (1, 1), 0.8 (1, 1).
    // Rate 1 at 0.2 is above rate 0 at 0.3: pooled into (3 rows, 1 churner), rate 1/3,
    // centre (0.2 + 0.3 + 0.3) / 3 = 0.8 / 3. Rate 0 <= 1/3 <= 1; the equal rates at 0.6
    // and 0.8 are no violation and stay apart.
    let fitted = Calibrator::fit_isotonic(&y, &p).unwrap();
    let Calibrator::Isotonic { thresholds, values } = &fitted else {
        panic!("not isotonic: {fitted:?}");
    };
    assert_eq!(thresholds.len(), 4);
    for (got, want) in thresholds.iter().zip([0.1, 0.8 / 3.0, 0.6, 0.8]) {
        close(*got, want);
    }
    for (got, want) in values.iter().zip([0.0, 1.0 / 3.0, 1.0, 1.0]) {
        close(*got, want);
    }
    // Flat beyond the ends.
    close(fitted.apply(0.0), 0.0);
    close(fitted.apply(0.1), 0.0);
    close(fitted.apply(1.0), 1.0);
    // Halfway between centres 0.1 and 0.8/3: halfway between 0 and 1/3 = 1/6.
    close(fitted.apply((0.1 + 0.8 / 3.0) / 2.0), 1.0 / 6.0);
    // Halfway between 0.8/3 and 0.6: 1/3 + (1 - 1/3) / 2 = 2/3.
    close(fitted.apply((0.8 / 3.0 + 0.6) / 2.0), 2.0 / 3.0);
    close(fitted.apply(0.7), 1.0);
    assert!(fitted.apply(f64::NAN).is_nan());
}

#[test]
fn isotonic_pools_ties_before_looking_for_violations() {
    // Rows 0 and 1 tie at 0.5. Pooled first they are one block with rate 1/2; without
    // that, the stayer-then-churner order would leave two blocks at the same p.
    let fitted = Calibrator::fit_isotonic(&[F, T, T], &[0.5, 0.5, 0.9]).unwrap();
    assert_eq!(
        fitted,
        Calibrator::Isotonic {
            thresholds: vec![0.5, 0.9],
            values: vec![0.5, 1.0],
        }
    );
    // Between 0.5 and 0.9, a quarter of the way: 0.5 + 0.25 x 0.5 = 0.625.
    close(fitted.apply(0.6), 0.625);
}

#[test]
fn isotonic_refuses_single_class_and_mismatched_input() {
    assert_eq!(
        Calibrator::fit_isotonic(&[F, F, F], &[0.1, 0.2, 0.3]),
        Err(MetricError::SingleClass {
            n: 3,
            churned: false
        })
    );
    assert_eq!(
        Calibrator::fit_isotonic(&[F, T], &[0.1]),
        Err(MetricError::LengthMismatch {
            n_labels: 2,
            n_scores: 1
        })
    );
    // A calibrator with no blocks (never fitted, only hand-made) has no answer.
    let empty = Calibrator::Isotonic {
        thresholds: vec![],
        values: vec![],
    };
    assert!(empty.apply(0.5).is_nan());
}

#[test]
fn calibrators_round_trip_through_json() {
    for fitted in [
        Calibrator::fit_platt(&Y, &P).unwrap(),
        Calibrator::fit_isotonic(&Y, &P).unwrap(),
    ] {
        let json = serde_json::to_string(&fitted).unwrap();
        let back: Calibrator = serde_json::from_str(&json).unwrap();
        assert_eq!(back, fitted);
        assert_eq!(back.apply(0.42).to_bits(), fitted.apply(0.42).to_bits());
    }
}
