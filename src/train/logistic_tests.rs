use linfa::traits::Fit;
use linfa::DatasetBase;
use linfa_logistic::LogisticRegression;
use ndarray::{array, Array1, Array2};

use super::*;
use crate::rng::Rng;

/// Rows drawn from `logit P(churn) = intercept + sum_j coefs[j] * z_j` with `z_j`
/// standard normal; the stored feature is `offsets[j] + scales[j] * z_j`, so the true
/// coefficients on the standardised scale are (close to) `coefs`.
fn simulate(
    n_rows: usize,
    coefs: &[f64],
    intercept: f64,
    offsets: &[f64],
    scales: &[f64],
    seed: u64,
) -> (Array2<f64>, Vec<bool>) {
    let n_features = coefs.len();
    let mut x = Array2::zeros((n_rows, n_features));
    let mut y = Vec::with_capacity(n_rows);
    let mut rng = Rng::new(seed, 0);
    for i in 0..n_rows {
        let mut z_sum = intercept;
        for j in 0..n_features {
            let z = rng.normal();
            z_sum += coefs[j] * z;
            x[[i, j]] = offsets[j] + scales[j] * z;
        }
        y.push(rng.uniform() < sigmoid(z_sum));
    }
    (x, y)
}

fn params(alpha: f64) -> ValidLogisticParams {
    LogisticParams {
        alpha,
        ..LogisticParams::default()
    }
    .check()
    .unwrap()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn rate(y: &[bool]) -> f64 {
    y.iter().filter(|&&c| c).count() as f64 / y.len() as f64
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// Moves the rows so that row 0 has label `first`, keeping everything else.
fn with_first_label(x: &Array2<f64>, y: &[bool], first: bool) -> (Array2<f64>, Vec<bool>) {
    let k = y.iter().position(|&c| c == first).unwrap();
    let order: Vec<usize> = std::iter::once(k)
        .chain((0..y.len()).filter(|&i| i != k))
        .collect();
    (
        x.select(ndarray::Axis(0), &order),
        order.iter().map(|&i| y[i]).collect(),
    )
}

#[test]
fn recovers_signs_order_and_values_of_known_coefficients() {
    let truth = [1.5, -0.8, 0.3];
    let (x, y) = simulate(
        20_000,
        &truth,
        -1.0,
        &[10.0, -3.0, 0.0],
        &[4.0, 0.5, 1.0],
        1,
    );
    let model = fit_logistic(x.view(), &y, &params(1e-3)).unwrap();
    let b = model.coefficients();
    assert!(b[0] > 0.0 && b[1] < 0.0 && b[2] > 0.0, "signs: {b:?}");
    assert!(
        b[0].abs() > b[1].abs() && b[1].abs() > b[2].abs(),
        "order: {b:?}"
    );
    for (fitted, true_b) in b.iter().zip(truth) {
        assert!((fitted - true_b).abs() < 0.15, "{b:?} vs {truth:?}");
    }
    assert!(
        (model.intercept() + 1.0).abs() < 0.15,
        "{}",
        model.intercept()
    );
    // On the original scale a unit of feature 0 is a quarter of a standard deviation.
    let original = model.coefficients_original_scale();
    assert!((original[0] - 1.5 / 4.0).abs() < 0.15 / 4.0, "{original:?}");
}

#[test]
fn a_binary_feature_without_penalty_gives_each_group_its_churn_rate() {
    // x = 0: 2 of 8 churned; x = 1: 6 of 8 churned. The unpenalised maximum-likelihood
    // fit reproduces both rates: logit 0.25 = -ln 3 and logit 0.75 = ln 3.
    let x = Array2::from_shape_fn((16, 1), |(i, _)| f64::from(u8::from(i >= 8)));
    let y: Vec<bool> = (0..16).map(|i| matches!(i, 0 | 1 | 8..=13)).collect();
    let model = fit_logistic(x.view(), &y, &params(0.0)).unwrap();
    let p0 = model.predict(array![0.0].view());
    let p1 = model.predict(array![1.0].view());
    assert!((p0 - 0.25).abs() < 1e-9, "{p0}");
    assert!((p1 - 0.75).abs() < 1e-9, "{p1}");
    // On the original scale the slope is ln 3 - (-ln 3) = 2 ln 3 per unit of x.
    let slope = model.coefficients_original_scale()[0];
    assert!((slope - 2.0 * 3f64.ln()).abs() < 1e-8, "{slope}");
    assert!((model.intercept_original_scale() + 3f64.ln()).abs() < 1e-8);
}

#[test]
fn the_fit_meets_the_optimality_conditions() {
    // At the optimum of sum(log loss) + alpha/2 |b|^2 the gradient is zero:
    // sum(p - y) = 0 (the intercept is not penalised) and, per standardised feature j,
    // sum((p - y) * z_j) + alpha * b_j = 0.
    let (x, y) = simulate(
        5_000,
        &[1.2, -0.7, 0.0],
        -1.5,
        &[10.0, -3.0, 0.0],
        &[5.0, 0.2, 1.0],
        21,
    );
    let alpha = 3.0;
    let model = fit_logistic(x.view(), &y, &params(alpha)).unwrap();
    let probs = model.predict_batch(x.view());
    let residual: Vec<f64> = probs
        .iter()
        .zip(&y)
        .map(|(p, &c)| p - f64::from(u8::from(c)))
        .collect();
    let intercept_gradient: f64 = residual.iter().sum();
    assert!(intercept_gradient.abs() < 1e-6, "{intercept_gradient}");
    assert!((mean(&probs) - rate(&y)).abs() < 1e-9);
    for j in 0..3 {
        let gradient: f64 = residual
            .iter()
            .enumerate()
            .map(|(i, r)| r * (x[[i, j]] - model.means()[j]) / model.stds()[j])
            .sum::<f64>()
            + alpha * model.coefficients()[j];
        assert!(gradient.abs() < 1e-6, "feature {j}: {gradient}");
    }
}

#[test]
fn agrees_with_linfa_logistic_on_the_same_problem() {
    // An independent implementation of the same loss (L-BFGS, summed log loss,
    // alpha / 2 |b|^2) as the oracle, on standardised features.
    let (x, y) = simulate(4_000, &[0.9, -0.4, 0.2], -1.2, &[0.0; 3], &[1.0; 3], 33);
    let alpha = 2.0;
    let ours = fit_logistic(x.view(), &y, &params(alpha)).unwrap();
    let standardised = Array2::from_shape_fn(x.dim(), |(i, j)| {
        (x[[i, j]] - ours.means()[j]) / ours.stds()[j]
    });
    let targets: Array1<bool> = y.iter().copied().collect();
    let theirs = LogisticRegression::default()
        .alpha(alpha)
        .max_iterations(1_000)
        .gradient_tolerance(1e-8)
        .fit(&DatasetBase::new(standardised, targets))
        .unwrap();
    // linfa models the log-odds of the more frequent label, here "retained".
    assert!(!theirs.labels().pos.class);
    for (a, b) in ours.coefficients().iter().zip(theirs.params()) {
        assert!((a + b).abs() < 1e-5, "{a} vs {}", -b);
    }
    assert!((ours.intercept() + theirs.intercept()).abs() < 1e-5);
}

#[test]
fn coefficients_are_log_odds_of_churn_whatever_the_label_order() {
    // Minority churn (25%), majority churn (75%) and an exact tie.
    for intercept in [-1.1, 1.1] {
        let (x, y) = simulate(4_000, &[1.0], intercept, &[0.0], &[1.0], 2);
        check_churn_direction(&x, &y);
    }
    let x = Array2::from_shape_fn((200, 1), |(i, _)| (i % 100) as f64);
    let y: Vec<bool> = (0..200).map(|i| (i % 100) >= 40 + i / 100 * 20).collect();
    assert_eq!(rate(&y), 0.5);
    check_churn_direction(&x, &y);
}

#[track_caller]
fn check_churn_direction(x: &Array2<f64>, y: &[bool]) {
    let p = params(1e-3);
    for first in [true, false] {
        let (x, y) = with_first_label(x, y, first);
        let model = fit_logistic(x.view(), &y, &p).unwrap();
        let b = model.coefficients()[0];
        assert!(b > 0.5, "first = {first}: coefficient {b}");
        let probs = model.predict_batch(x.view());
        assert!(
            (mean(&probs) - rate(&y)).abs() < 0.02,
            "first = {first}: mean P {} vs churn rate {}",
            mean(&probs),
            rate(&y)
        );

        let flipped: Vec<bool> = y.iter().map(|c| !c).collect();
        let (x, flipped) = with_first_label(&x, &flipped, first);
        let flipped_model = fit_logistic(x.view(), &flipped, &p).unwrap();
        let flipped_b = flipped_model.coefficients()[0];
        assert!((flipped_b + b).abs() < 1e-3 * b.abs(), "{flipped_b} vs {b}");
        let flipped_probs = flipped_model.predict_batch(x.view());
        assert!((mean(&flipped_probs) - rate(&flipped)).abs() < 0.02);
    }
}

#[test]
fn scaling_a_feature_changes_nothing_but_its_original_scale_coefficient() {
    let (x, y) = simulate(5_000, &[1.0, -0.5], -0.5, &[2.0, 0.0], &[1.0, 3.0], 3);
    let mut scaled = x.clone();
    scaled.column_mut(1).mapv_inplace(|v| v * 1000.0);
    let p = params(1.0);
    let model = fit_logistic(x.view(), &y, &p).unwrap();
    let scaled_model = fit_logistic(scaled.view(), &y, &p).unwrap();
    for (a, b) in model
        .predict_batch(x.view())
        .iter()
        .zip(scaled_model.predict_batch(scaled.view()))
    {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
    let original = model.coefficients_original_scale();
    let scaled_original = scaled_model.coefficients_original_scale();
    assert!((scaled_original[0] - original[0]).abs() < 1e-6 * original[0].abs());
    assert!(
        (scaled_original[1] * 1000.0 - original[1]).abs() < 1e-6 * original[1].abs(),
        "{scaled_original:?} vs {original:?}"
    );
}

#[test]
fn a_constant_column_gives_no_nan() {
    let (mut x, y) = simulate(2_000, &[1.0, 0.0], -1.0, &[0.0, 0.0], &[1.0, 1.0], 4);
    // 0.1 is not exact in binary, so a computed mean and deviation would carry noise.
    x.column_mut(1).fill(0.1);
    let model = fit_logistic(x.view(), &y, &params(1.0)).unwrap();
    assert_eq!(model.means()[1], 0.1);
    assert_eq!(model.stds()[1], 1.0);
    assert_eq!(model.coefficients()[1], 0.0);
    let original = model.coefficients_original_scale();
    let all = model
        .means()
        .iter()
        .chain(model.stds())
        .chain(model.coefficients())
        .chain(&original)
        .copied()
        .chain([model.intercept(), model.intercept_original_scale()])
        .chain(model.predict_batch(x.view()))
        .chain(model.contributions(x.row(0), x.row(1)));
    for v in all {
        assert!(v.is_finite(), "{v}");
    }
    // A column of zeros, without any penalty to hold its coefficient down.
    x.column_mut(1).fill(0.0);
    let model = fit_logistic(x.view(), &y, &params(0.0)).unwrap();
    assert!(model.predict_batch(x.view()).iter().all(|p| p.is_finite()));
}

#[test]
fn balanced_weights_make_the_weighted_mean_probability_one_half() {
    let (x, y) = simulate(5_000, &[1.0, 0.5], -2.8, &[0.0, 0.0], &[1.0, 1.0], 5);
    let churn_rate = rate(&y);
    assert!((churn_rate - 0.1).abs() < 0.03, "{churn_rate}");
    let plain = fit_logistic(x.view(), &y, &params(1.0)).unwrap();
    let balanced_params = LogisticParams {
        class_weight: ClassWeight::Balanced,
        ..LogisticParams::default()
    }
    .check()
    .unwrap();
    let balanced = fit_logistic(x.view(), &y, &balanced_params).unwrap();
    let plain_mean = mean(&plain.predict_batch(x.view()));
    assert!((plain_mean - churn_rate).abs() < 1e-9, "{plain_mean}");
    // Weights n / (2 n_c): the intercept's optimality condition makes the weighted mean
    // of the probabilities exactly one half.
    let n = y.len() as f64;
    let n_churned = y.iter().filter(|&&c| c).count() as f64;
    let weight = |c: bool| {
        if c {
            n / (2.0 * n_churned)
        } else {
            n / (2.0 * (n - n_churned))
        }
    };
    let weighted: f64 = balanced
        .predict_batch(x.view())
        .iter()
        .zip(&y)
        .map(|(p, &c)| weight(c) * p)
        .sum::<f64>()
        / n;
    assert!((weighted - 0.5).abs() < 1e-9, "{weighted}");
    // A well-specified model keeps (nearly) its slopes and moves its intercept by about
    // ln(n_retained / n_churned).
    for (b, p) in balanced.coefficients().iter().zip(plain.coefficients()) {
        assert!((b - p).abs() < 0.1, "{b} vs {p}");
    }
    let shift = ((1.0 - churn_rate) / churn_rate).ln();
    let moved = balanced.intercept() - plain.intercept();
    assert!((moved - shift).abs() < 0.2, "{moved} vs {shift}");
}

#[test]
fn contributions_add_up_to_the_change_in_log_odds() {
    let (x, y) = simulate(
        3_000,
        &[1.0, -0.7, 0.2],
        -1.0,
        &[5.0, 1.0, -2.0],
        &[2.0, 0.1, 10.0],
        6,
    );
    let model = fit_logistic(x.view(), &y, &params(1.0)).unwrap();
    let reference = Array1::from(model.means().to_vec());
    for row_idx in [0, 1, 17, 2_999] {
        let row = x.row(row_idx);
        let contributions: Vec<f64> = model.contributions(row, reference.view()).collect();
        assert_eq!(contributions.len(), 3);
        let expected = logit(model.predict(row)) - logit(model.predict(reference.view()));
        let sum: f64 = contributions.iter().sum();
        assert!((sum - expected).abs() < 1e-9, "{sum} vs {expected}");
        assert!((sum - (model.log_odds(row) - model.intercept())).abs() < 1e-9);
    }
    // Raising only feature 0 (positive coefficient) gives one positive contribution.
    let mut risky = reference.clone();
    risky[0] += 2.0;
    let c: Vec<f64> = model
        .contributions(risky.view(), reference.view())
        .collect();
    assert!(c[0] > 0.0 && c[1] == 0.0 && c[2] == 0.0, "{c:?}");
}

#[test]
fn predict_batch_matches_predict_and_probabilities_are_in_range() {
    let (x, y) = simulate(3_001, &[4.0, -3.0], 0.0, &[0.0, 0.0], &[1.0, 1.0], 7);
    let model = fit_logistic(x.view(), &y, &params(1.0)).unwrap();
    let batch = model.predict_batch(x.view());
    assert_eq!(batch.len(), 3_001);
    for (i, p) in batch.iter().enumerate() {
        assert_eq!(p.to_bits(), model.predict(x.row(i)).to_bits());
        assert!((0.0..=1.0).contains(p));
    }
    // Extreme rows neither overflow nor give NaN.
    let far = array![1e6, -1e6];
    assert_eq!(model.predict(far.view()), 1.0);
    assert_eq!(model.predict((-&far).view()), 0.0);
}

#[test]
fn serde_round_trip_predicts_bit_identically() {
    let (x, y) = simulate(2_000, &[0.9, -0.4], -1.0, &[3.0, 0.0], &[0.3, 7.0], 8);
    let model = fit_logistic(x.view(), &y, &params(1.0)).unwrap();
    let json = serde_json::to_string(&model).unwrap();
    let loaded: Logistic = serde_json::from_str(&json).unwrap();
    assert_eq!(loaded, model);
    let before = model.predict_batch(x.view());
    let after = loaded.predict_batch(x.view());
    assert!(before
        .iter()
        .zip(&after)
        .all(|(a, b)| a.to_bits() == b.to_bits()));
}

#[test]
fn inconsistent_json_is_refused() {
    #[track_caller]
    fn check(json: &str, expected: &str) {
        let err = serde_json::from_str::<Logistic>(json).unwrap_err();
        assert!(err.to_string().contains(expected), "{err}");
    }
    check(
        r#"{"means":[0.0,1.0],"stds":[1.0],"coefficients":[0.5,0.2],"intercept":0.0}"#,
        "inconsistent lengths: 2 coefficients, 2 means, 1 stds",
    );
    check(
        r#"{"means":[0.0],"stds":[1.0],"coefficients":[0.5,0.2],"intercept":0.0}"#,
        "inconsistent lengths",
    );
    check(
        r#"{"means":[],"stds":[],"coefficients":[],"intercept":0.0}"#,
        "at least one coefficient",
    );
    check(
        r#"{"means":[0.0],"stds":[0.0],"coefficients":[0.5],"intercept":0.0}"#,
        "stds must be finite and positive",
    );
    check(
        r#"{"means":[0.0],"stds":[1.0],"coefficients":[0.5]}"#,
        "missing field `intercept`",
    );
    let ok = r#"{"means":[0.0],"stds":[2.0],"coefficients":[0.5],"intercept":-1.0}"#;
    let model: Logistic = serde_json::from_str(ok).unwrap();
    assert_eq!(model.coefficients_original_scale(), vec![0.25]);
}

#[test]
fn bad_data_is_refused() {
    let p = params(1.0);
    let x = array![[1.0], [2.0], [3.0]];
    assert_eq!(
        fit_logistic(x.view(), &[true, true, true], &p),
        Err(TrainError::SingleClass {
            n_rows: 3,
            churned: true
        })
    );
    assert_eq!(
        fit_logistic(x.view(), &[false, false, false], &p),
        Err(TrainError::SingleClass {
            n_rows: 3,
            churned: false
        })
    );
    assert_eq!(
        fit_logistic(x.view(), &[true, false], &p),
        Err(TrainError::LabelLengthMismatch {
            n_rows: 3,
            n_labels: 2
        })
    );
    assert_eq!(
        fit_logistic(Array2::zeros((0, 2)).view(), &[], &p),
        Err(TrainError::EmptyData {
            n_rows: 0,
            n_features: 2
        })
    );
    let with_nan = array![[1.0, 0.0], [2.0, f64::NAN], [3.0, 1.0]];
    let err = fit_logistic(with_nan.view(), &[true, false, true], &p).unwrap_err();
    assert!(matches!(
        err,
        TrainError::NonFiniteValue {
            row: 1,
            feature: 1,
            ..
        }
    ));
}

#[test]
fn bad_params_name_the_parameter() {
    #[track_caller]
    fn check(params: LogisticParams, name: &str) {
        match params.check() {
            Err(TrainError::BadParam { name: found, .. }) => assert_eq!(found, name),
            other => panic!("expected BadParam {name}, got {other:?}"),
        }
    }
    let d = LogisticParams::default;
    check(LogisticParams { alpha: -1.0, ..d() }, "alpha");
    check(
        LogisticParams {
            alpha: f64::NAN,
            ..d()
        },
        "alpha",
    );
    check(
        LogisticParams {
            alpha: f64::INFINITY,
            ..d()
        },
        "alpha",
    );
    check(
        LogisticParams {
            max_iterations: 0,
            ..d()
        },
        "max_iterations",
    );
    check(
        LogisticParams {
            tolerance: 0.0,
            ..d()
        },
        "tolerance",
    );
    check(
        LogisticParams {
            tolerance: -1e-3,
            ..d()
        },
        "tolerance",
    );
    check(
        LogisticParams {
            tolerance: f64::NAN,
            ..d()
        },
        "tolerance",
    );
    let err = LogisticParams { alpha: -1.0, ..d() }.check().unwrap_err();
    assert_eq!(
        err.to_string(),
        "bad training parameter alpha = -1: must be finite and at least 0"
    );
    let ok = LogisticParams { alpha: 0.0, ..d() }.check().unwrap();
    assert_eq!(ok.alpha(), 0.0);
    assert_eq!(ok.max_iterations(), DEFAULT_MAX_ITERATIONS);
    assert_eq!(ok.tolerance(), DEFAULT_TOLERANCE);
    assert_eq!(ok.class_weight(), ClassWeight::None);
}

#[test]
fn fitting_twice_gives_identical_json() {
    // More rows than one block of the solver, so the blocks run on several threads.
    let (x, y) = simulate(
        9_000,
        &[0.8, -0.3, 0.1],
        -1.0,
        &[0.0; 3],
        &[1.0, 2.0, 3.0],
        9,
    );
    let p = params(1.0);
    let fit_json = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| serde_json::to_string(&fit_logistic(x.view(), &y, &p).unwrap()).unwrap())
    };
    let first = fit_json(1);
    assert_eq!(first, fit_json(1));
    assert_eq!(first, fit_json(4));
}

#[test]
fn standardisation_over_many_blocks_is_the_plain_mean_and_deviation() {
    // 5,000 rows: two whole blocks of the solver and a partial third.
    let (x, y) = simulate(
        5_000,
        &[0.8, -0.5, 0.0],
        -1.0,
        &[100.0, -3.0, 0.25],
        &[20.0, 0.5, 4.0],
        11,
    );
    let model = fit_logistic(x.view(), &y, &params(1.0)).unwrap();
    for j in 0..3 {
        let col = x.column(j).to_vec();
        let m = mean(&col);
        let sd = (col.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / col.len() as f64).sqrt();
        assert!(
            (model.means()[j] - m).abs() <= 1e-12 * m.abs().max(1.0),
            "mean {j}"
        );
        assert!((model.stds()[j] - sd).abs() <= 1e-12 * sd, "std {j}");
    }
    // The first bad value in row-major order is named, whichever block holds it.
    let mut bad = x.clone();
    bad[[4_100, 0]] = f64::NAN;
    bad[[3_000, 2]] = f64::INFINITY;
    bad[[3_000, 1]] = f64::NEG_INFINITY;
    assert_eq!(
        fit_logistic(bad.view(), &y, &params(1.0)),
        Err(TrainError::NonFiniteValue {
            row: 3_000,
            feature: 1,
            value: f64::NEG_INFINITY
        })
    );
}
