use super::*;
use crate::data::Categorical;
use crate::features::{Values, N_NUMERIC};

const T: bool = true;
const F: bool = false;

#[track_caller]
fn close(got: f64, want: f64) {
    assert!((got - want).abs() < 1e-12, "got {got}, want {want}");
}

/// A frame with the given baseline features, every other numeric feature unknown and no
/// segment column.
pub(super) fn frame(recency: &[f64], orders: &[f64], spend: &[f64]) -> FeatureFrame {
    let n = recency.len();
    let mut numeric = vec![vec![f64::NAN; n]; N_NUMERIC];
    numeric[0] = recency.to_vec();
    numeric[4] = orders.to_vec();
    numeric[6] = spend.to_vec();
    FeatureFrame {
        customer: (0..n as u32).collect(),
        snapshot: vec![0; n],
        numeric: numeric.into_iter().map(Values::from).collect(),
        segment: Categorical {
            codes: vec![NULL_CODE; n],
            levels: Vec::new(),
        },
        region: Categorical {
            codes: vec![NULL_CODE; n],
            levels: Vec::new(),
        },
        populations: Vec::new(),
    }
}

/// Ten customers, three churners (rows 0, 2, 5), base rate 0.3.
const Y: [bool; 10] = [T, F, T, F, F, T, F, F, F, F];
/// Distinct probabilities, descending by row.
const P: [f64; 10] = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05];
const RECENCY: [f64; 10] = [40.0, 50.0, 10.0, 5.0, 30.0, 45.0, 20.0, 1.0, 2.0, 3.0];
const TIERS: RiskTiers = RiskTiers {
    high: 0.7,
    medium: 0.4,
};

/// The ten customers; orders and spend are the same for everyone, so RFM ranks by
/// recency alone. Segments: rows 0-3 `a`, rows 4-6 `b`, rows 7-9 none; level `c` has no
/// rows.
fn customers() -> FeatureFrame {
    let mut f = frame(&RECENCY, &[4.0; 10], &[100.0; 10]);
    let (a, b, none) = (0, 1, NULL_CODE);
    f.segment = Categorical {
        codes: vec![a, a, a, a, b, b, b, none, none, none],
        levels: vec!["a".into(), "b".into(), "c".into()],
    };
    f
}

fn options() -> EvalOptions {
    EvalOptions {
        bootstrap_replicates: 50,
        seed: 1,
        bins: DEFAULT_BINS,
    }
}

#[track_caller]
fn check_top(got: &TopK, k: usize, churners: usize, precision: f64, recall: f64, lift: f64) {
    assert_eq!((got.k, got.churners), (k, churners), "{got:?}");
    close(got.precision, precision);
    close(got.recall, recall);
    close(got.lift, lift);
}

#[test]
fn model_summary_by_hand() {
    let got = evaluate(&customers(), &Y, &P, &TIERS, &options()).unwrap();
    assert_eq!((got.n, got.churners), (10, 3));
    close(got.base_rate, 0.3);
    let model = &got.model;
    assert_eq!(model.name, "model");
    // Stayers are rows 1, 3, 4, 6, 7, 8, 9. Row 0 (0.9) outranks all 7; row 2 (0.7) all
    // but row 1 (0.8): 6; row 5 (0.4) rows 6-9: 4. AUC (7 + 6 + 4) / 21.
    close(model.roc_auc, 17.0 / 21.0);
    // Churners at ranks 1, 3, 6: precision 1, 2/3, 3/6, each for a third of recall.
    close(model.pr_auc, (1.0 + 2.0 / 3.0 + 0.5) / 3.0);
    // Log loss: ln of the probability given to what happened, row by row.
    let ln_sum: f64 = [0.9, 0.2, 0.7, 0.4, 0.5, 0.4, 0.7, 0.8, 0.9, 0.95]
        .iter()
        .map(|q: &f64| q.ln())
        .sum();
    close(model.log_loss.unwrap(), -ln_sum / 10.0);
    // Brier: .01 + .64 + .09 + .36 + .25 + .36 + .09 + .04 + .01 + .0025 = 1.8525.
    close(model.brier.unwrap(), 0.18525);
    // Ten bins, one row each, so ECE is the mean |y - p|:
    // (.1 + .8 + .3 + .6 + .5 + .6 + .3 + .2 + .1 + .05) / 10 = 3.55 / 10.
    close(model.ece.unwrap(), 0.355);
    // Top 5% and 10% are both 1 row (row 0, a churner): lift 1 / 0.3. Top 20% = rows 0
    // and 1: one churner, precision 1/2, lift 5/3.
    check_top(&model.top[0], 1, 1, 1.0, 1.0 / 3.0, 10.0 / 3.0);
    check_top(&model.top[1], 1, 1, 1.0, 1.0 / 3.0, 10.0 / 3.0);
    check_top(&model.top[2], 2, 1, 0.5, 1.0 / 3.0, 5.0 / 3.0);
    assert_eq!(
        model.top.iter().map(|t| t.share).collect::<Vec<_>>(),
        TOP_SHARES
    );
}

#[test]
fn baselines_by_hand() {
    let got = evaluate(&customers(), &Y, &P, &TIERS, &options()).unwrap();
    let [recency, rfm] = &got.baselines[..] else {
        panic!("two baselines expected: {:?}", got.baselines);
    };
    assert_eq!(
        (recency.name.as_str(), rfm.name.as_str()),
        ("recency", "rfm")
    );
    assert_eq!(
        (recency.log_loss, recency.brier, recency.ece),
        (None, None, None)
    );
    // Recency: churners at 40, 10, 45 days; stayers at 50, 5, 30, 20, 1, 2, 3.
    // 40 beats 6 stayers, 10 beats 4, 45 beats 6: 16 / 21.
    close(recency.roc_auc, 16.0 / 21.0);
    // Descending: 50 (stayer), 45 (churner: precision 1/2), 40 (churner: 2/3), 30, 20,
    // 10 (churner: 3/6): AP = (1/2 + 2/3 + 1/2) / 3 = 5/9.
    close(recency.pr_auc, 5.0 / 9.0);
    // The top row is row 1 (50 days), a stayer: nothing caught at 5% or 10%.
    check_top(&recency.top[0], 1, 0, 0.0, 0.0, 0.0);
    check_top(&recency.top[2], 2, 1, 0.5, 1.0 / 3.0, 5.0 / 3.0);

    // RFM: F = M = 1 for everyone (all tied), R = 1 + floor(rank / 2) by recency from the
    // oldest: rows 1, 5 -> 1; 0, 4 -> 2; 6, 2 -> 3; 3, 9 -> 4; 8, 7 -> 5. Risk 14 - R:
    // [12, 13, 11, 10, 12, 13, 11, 9, 9, 10].
    // Churner 12 (row 0): beats 10, 11, 9, 9, 10, ties 12, loses to 13: 5.5. Churner 11
    // (row 2): beats 10, 9, 9, 10, ties 11: 4.5. Churner 13 (row 5): beats 6, ties 13:
    // 6.5. AUC 16.5 / 21.
    close(rfm.roc_auc, 16.5 / 21.0);
    // Groups 13 {stayer, churner}, 12 {churner, stayer}, 11 {churner, stayer}:
    // precision 1/2 at each third of recall.
    close(rfm.pr_auc, 0.5);
    // Top row: the tie at 13 goes to row 1, a stayer.
    check_top(&rfm.top[1], 1, 0, 0.0, 0.0, 0.0);
    // The model's 17/21 is above both.
    assert!(got.beats_baselines);
}

#[test]
fn a_model_no_better_than_recency_does_not_beat_the_baselines() {
    // Probabilities proportional to recency rank exactly like it: AUC 16/21 both, and a
    // tie is not a win.
    let p: Vec<f64> = RECENCY.iter().map(|r| r / 50.0).collect();
    let got = evaluate(&customers(), &Y, &p, &TIERS, &options()).unwrap();
    close(got.model.roc_auc, 16.0 / 21.0);
    assert!(!got.beats_baselines);
}

#[test]
fn confusion_and_reliability_by_hand() {
    let got = evaluate(&customers(), &Y, &P, &TIERS, &options()).unwrap();
    // High (p >= 0.7): rows 0, 1, 2: tp 2, fp 1; missed row 5: fn 1; tn 6.
    let high = got.confusion[0];
    assert_eq!(
        (high.threshold, high.tp, high.fp, high.tn, high.fn_),
        (0.7, 2, 1, 6, 1)
    );
    // Medium (p >= 0.4): rows 0-5: tp 3, fp 3, tn 4, fn 0.
    let medium = got.confusion[1];
    assert_eq!(
        (
            medium.threshold,
            medium.tp,
            medium.fp,
            medium.tn,
            medium.fn_
        ),
        (0.4, 3, 3, 4, 0)
    );
    assert_eq!((medium.precision, medium.recall), (Some(0.5), Some(1.0)));
    // One probability per bin: bin 9 holds row 0 (0.9, churned), bin 0 row 9 (0.05).
    assert_eq!(got.reliability.len(), 10);
    assert!(got.reliability.iter().all(|b| b.n == 1));
    close(got.reliability[9].mean_predicted, 0.9);
    close(got.reliability[9].observed_rate, 1.0);
    close(got.reliability[0].mean_predicted, 0.05);
    close(got.reliability[0].observed_rate, 0.0);
}

#[test]
fn segments_by_hand() {
    let got = evaluate(&customers(), &Y, &P, &TIERS, &options()).unwrap();
    let want = [
        // a: y [T, F, T, F], p [.9, .8, .7, .6]. AUC: .9 beats both stayers, .7 beats .6:
        // 3/4. AP: precision 1 then 2/3, half the recall each: 5/6. Top 10% of 4 rows is
        // 1 row (row 0, a churner): lift 1 / (2/4) = 2.
        SegmentEvaluation {
            segment: "a".into(),
            n: 4,
            churners: 2,
            roc_auc: Some(0.75),
            pr_auc: Some(5.0 / 6.0),
            lift10: Some(2.0),
        },
        // b: y [F, T, F], p [.5, .4, .3]. AUC 1/2; AP: precision 1/2 at the churner; the
        // top row is a stayer: lift 0.
        SegmentEvaluation {
            segment: "b".into(),
            n: 3,
            churners: 1,
            roc_auc: Some(0.5),
            pr_auc: Some(0.5),
            lift10: Some(0.0),
        },
        // c has no rows and is left out; rows 7-9 have no segment and no churner.
        SegmentEvaluation {
            segment: UNKNOWN_SEGMENT.into(),
            n: 3,
            churners: 0,
            roc_auc: None,
            pr_auc: None,
            lift10: None,
        },
    ];
    assert_eq!(got.segments.len(), want.len(), "{:?}", got.segments);
    for (g, w) in got.segments.iter().zip(&want) {
        assert_eq!((&g.segment, g.n, g.churners), (&w.segment, w.n, w.churners));
        for (a, b) in [
            (g.roc_auc, w.roc_auc),
            (g.pr_auc, w.pr_auc),
            (g.lift10, w.lift10),
        ] {
            match (a, b) {
                (Some(a), Some(b)) => close(a, b),
                (a, b) => assert_eq!(a, b, "{g:?}"),
            }
        }
    }
}

#[test]
fn intervals_are_centred_on_the_full_sample() {
    let got = evaluate(&customers(), &Y, &P, &TIERS, &options()).unwrap();
    // The estimates are the full-sample ROC AUC (17/21) and top-10% lift (10/3).
    close(got.roc_auc_ci.estimate, 17.0 / 21.0);
    close(got.lift10_ci.estimate, 10.0 / 3.0);
    for ci in [got.roc_auc_ci, got.lift10_ci] {
        assert_eq!(ci.replicates + ci.skipped, 50);
        assert!(ci.lower <= ci.upper, "{ci:?}");
    }
    // Same seed, same resamples: each interval is what bootstrap_ci gives on its own.
    assert_eq!(
        got.roc_auc_ci,
        bootstrap_ci(&Y, &P, 50, 1, metrics::roc_auc).unwrap()
    );
}

#[test]
fn same_evaluation_with_one_or_four_threads() {
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| evaluate(&customers(), &Y, &P, &TIERS, &options()).unwrap())
    };
    let (one, four) = (run(1), run(4));
    // serde_json writes floats so that they read back exactly: equal text, equal bits.
    let json = serde_json::to_string(&one).unwrap();
    assert_eq!(json, serde_json::to_string(&four).unwrap());
    assert_eq!(serde_json::from_str::<Evaluation>(&json).unwrap(), one);
}

#[test]
fn single_class_is_a_clear_error() {
    let got = evaluate(&customers(), &[F; 10], &P, &TIERS, &options());
    assert_eq!(
        got,
        Err(EvalError::SingleClass {
            n: 10,
            churned: false
        })
    );
    assert_eq!(
        got.unwrap_err().to_string(),
        "all 10 rows are non-churners: ranking, lift and calibration need both churners and non-churners"
    );
    assert_eq!(
        evaluate(&customers(), &[T; 10], &P, &TIERS, &options()),
        Err(EvalError::SingleClass {
            n: 10,
            churned: true
        })
    );
}

#[test]
fn bad_input_is_an_error() {
    let f = customers();
    assert_eq!(
        evaluate(&f, &Y[..9], &P[..9], &TIERS, &options()),
        Err(EvalError::FrameMismatch {
            n_frame: 10,
            n_labels: 9
        })
    );
    assert_eq!(
        evaluate(&f, &Y, &P[..9], &TIERS, &options()),
        Err(EvalError::Metric(MetricError::LengthMismatch {
            n_labels: 10,
            n_scores: 9
        }))
    );
    let mut p = P;
    p[3] = 1.2;
    assert_eq!(
        evaluate(&f, &Y, &p, &TIERS, &options()),
        Err(EvalError::Metric(MetricError::NotAProbability {
            row: 3,
            value: 1.2
        }))
    );
    let mut bad_segment = customers();
    bad_segment.segment.codes[2] = 3;
    assert_eq!(
        evaluate(&bad_segment, &Y, &P, &TIERS, &options()),
        Err(EvalError::MalformedSegment {
            n_codes: 10,
            n_rows: 10,
            n_levels: 3
        })
    );
    let no_bins = EvalOptions {
        bins: 0,
        ..options()
    };
    assert_eq!(
        evaluate(&f, &Y, &P, &TIERS, &no_bins),
        Err(EvalError::ZeroCount {
            what: "the number of bins"
        })
    );
    let nan_tier = RiskTiers {
        high: f64::NAN,
        medium: 0.4,
    };
    assert_eq!(
        evaluate(&f, &Y, &P, &nan_tier, &options()),
        Err(EvalError::NanThreshold)
    );
}
