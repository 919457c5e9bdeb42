use super::*;
use crate::metrics::roc_auc;

const T: bool = true;
const F: bool = false;

#[track_caller]
fn close(got: f64, want: f64) {
    assert!((got - want).abs() < 1e-12, "got {got}, want {want}");
}

/// The rows replicate `r` draws, recomputed here straight from the documented contract:
/// `n` draws of `Rng::new(seed, r).below(n)`.
fn drawn_rows(n: usize, seed: u64, r: usize) -> Vec<usize> {
    let mut rng = Rng::new(seed, r as u64);
    (0..n).map(|_| rng.below(n as u64) as usize).collect()
}

#[test]
fn percentile_by_hand() {
    let values = [1.0, 2.0, 3.0, 4.0, 5.0];
    // h = q (m - 1) = 0.025 x 4 = 0.1: 1 + 0.1 x (2 - 1) = 1.1.
    close(percentile(&values, 0.025), 1.1);
    // h = 0.975 x 4 = 3.9: 4 + 0.9 x (5 - 4) = 4.9.
    close(percentile(&values, 0.975), 4.9);
    assert_eq!(percentile(&values, 0.0), 1.0);
    assert_eq!(percentile(&values, 0.5), 3.0);
    assert_eq!(percentile(&values, 1.0), 5.0);
    assert_eq!(percentile(&[7.0], 0.975), 7.0);
    assert!(percentile(&[], 0.5).is_nan());
}

#[test]
fn lift_in_top_10_by_hand() {
    // Ten rows, churners at rows 0 and 5 (base rate 0.2). The top 10% is 1 row, row 0,
    // a churner: precision 1, lift 1 / 0.2 = 5.
    let mut y = [F; 10];
    y[0] = T;
    y[5] = T;
    let descending: Vec<f64> = (0..10).map(|i| 1.0 - i as f64 / 10.0).collect();
    close(lift_in_top_10(&y, &descending).unwrap(), 5.0);
    // All scores tied: row order decides, row 0 is first, lift 5 again.
    close(lift_in_top_10(&y, &[0.5; 10]).unwrap(), 5.0);
    // Ascending scores: the top row is row 9, a stayer: lift 0.
    let ascending: Vec<f64> = descending.iter().rev().copied().collect();
    close(lift_in_top_10(&y, &ascending).unwrap(), 0.0);
    assert_eq!(
        lift_in_top_10(&[F, F], &[0.1, 0.2]),
        Err(MetricError::SingleClass {
            n: 2,
            churned: false
        })
    );
    assert_eq!(lift_in_top_10(&[], &[]), Err(MetricError::Empty));
}

#[test]
fn perfect_ranking_has_a_degenerate_interval_and_counts_single_class_draws() {
    // Every churner scores above every stayer, so any replicate with both classes has
    // ROC AUC 1 and the interval is [1, 1]. A replicate of all churners or all stayers
    // is skipped; count those by redrawing the rows.
    let y = [T, T, F, F, F, F];
    let scores = [0.9, 0.8, 0.4, 0.3, 0.2, 0.1];
    let (replicates, seed) = (60, 11);
    let single_class = (0..replicates)
        .filter(|&r| {
            let churners = drawn_rows(6, seed, r).iter().filter(|&&i| y[i]).count();
            churners == 0 || churners == 6
        })
        .count();
    let got = bootstrap_ci(&y, &scores, replicates, seed, roc_auc).unwrap();
    assert_eq!(
        got,
        Interval {
            estimate: 1.0,
            lower: 1.0,
            upper: 1.0,
            replicates: replicates - single_class,
            skipped: single_class,
        }
    );
}

/// Forty rows whose scores only loosely follow the labels, so replicates differ.
fn noisy_sample() -> (Vec<bool>, Vec<f64>) {
    let y: Vec<bool> = (0..40).map(|i| i % 3 == 0 || i % 7 == 0).collect();
    let scores: Vec<f64> = (0..40)
        .map(|i| ((i * 37) % 41) as f64 / 41.0 + if i % 3 == 0 { 0.3 } else { 0.0 })
        .collect();
    (y, scores)
}

#[test]
fn interval_is_the_percentiles_of_the_replicates() {
    let (y, scores) = noisy_sample();
    let (replicates, seed) = (50, 3);
    // Recompute every replicate's ROC AUC from the documented draws.
    let mut values: Vec<f64> = (0..replicates)
        .filter_map(|r| {
            let rows = drawn_rows(y.len(), seed, r);
            let sample_y: Vec<bool> = rows.iter().map(|&i| y[i]).collect();
            let sample_scores: Vec<f64> = rows.iter().map(|&i| scores[i]).collect();
            roc_auc(&sample_y, &sample_scores).ok()
        })
        .collect();
    values.sort_by(f64::total_cmp);
    let got = bootstrap_ci(&y, &scores, replicates, seed, roc_auc).unwrap();
    assert_eq!(got.estimate, roc_auc(&y, &scores).unwrap());
    assert_eq!(got.lower, percentile(&values, 0.025));
    assert_eq!(got.upper, percentile(&values, 0.975));
    assert_eq!(got.replicates, values.len());
    assert!(got.lower < got.upper, "{got:?}");
}

#[test]
fn same_interval_with_one_or_four_threads() {
    let (y, scores) = noisy_sample();
    let run = |threads: usize, stat: Statistic| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| bootstrap_ci(&y, &scores, 200, 7, stat).unwrap())
    };
    for stat in [roc_auc as Statistic, lift_in_top_10] {
        let (one, four) = (run(1, stat), run(4, stat));
        let bits = |i: Interval| {
            (
                i.estimate.to_bits(),
                i.lower.to_bits(),
                i.upper.to_bits(),
                i.replicates,
                i.skipped,
            )
        };
        assert_eq!(bits(one), bits(four));
    }
    // A different seed draws different replicates.
    let other = bootstrap_ci(&y, &scores, 200, 8, roc_auc).unwrap();
    assert_ne!(run(1, roc_auc), other);
}

/// Defined only when the first drawn row is a churner: with one churner in four rows,
/// about three replicates in four are undefined.
fn first_row_churned(y: &[bool], _scores: &[f64]) -> Result<f64, MetricError> {
    match y.first() {
        Some(true) => Ok(1.0),
        _ => Err(MetricError::SingleClass {
            n: y.len(),
            churned: false,
        }),
    }
}

#[test]
fn more_than_half_undefined_is_an_error() {
    let y = [T, F, F, F];
    let (replicates, seed) = (40, 5);
    // Replicate r is undefined when its first draw is not row 0.
    let undefined = (0..replicates)
        .filter(|&r| drawn_rows(4, seed, r)[0] != 0)
        .count();
    assert!(undefined * 2 > replicates, "the setup needs most undefined");
    assert_eq!(
        bootstrap_ci(&y, &[0.0; 4], replicates, seed, first_row_churned),
        Err(EvalError::TooManyUndefined {
            undefined,
            replicates
        })
    );
}

fn not_a_number(_y: &[bool], _scores: &[f64]) -> Result<f64, MetricError> {
    Ok(f64::NAN)
}

#[test]
fn undefined_or_bad_input_is_an_error() {
    // Undefined on the full sample: no interval at all.
    assert_eq!(
        bootstrap_ci(&[F, F, F], &[0.1, 0.2, 0.3], 10, 0, roc_auc),
        Err(EvalError::Metric(MetricError::SingleClass {
            n: 3,
            churned: false
        }))
    );
    assert_eq!(
        bootstrap_ci(&[T, F], &[0.1, 0.2], 0, 0, roc_auc),
        Err(EvalError::ZeroCount {
            what: "the number of bootstrap replicates"
        })
    );
    assert_eq!(
        bootstrap_ci(&[T, F], &[0.1, f64::NAN], 10, 0, roc_auc),
        Err(EvalError::NanScore { row: 1 })
    );
    assert!(matches!(
        bootstrap_ci(&[T, F], &[0.1, 0.2], 10, 0, not_a_number),
        Err(EvalError::NonFiniteEstimate { value }) if value.is_nan()
    ));
}

/// Labels and heavily tied scores (two decimals), with 0.0 and -0.0 among them.
fn tied_sample(n: usize, seed: u64) -> (Vec<bool>, Vec<f64>) {
    let mut rng = Rng::new(seed, 99);
    (0..n)
        .map(|i| {
            let score = match i % 50 {
                0 => 0.0,
                1 => -0.0,
                _ => (rng.uniform() * 100.0).round() / 100.0,
            };
            (rng.uniform() < 0.2 + 0.6 * score.abs(), score)
        })
        .unzip()
}

#[test]
fn the_counting_bootstraps_equal_the_resampling_one_bit_for_bit() {
    for (n, seed) in [(2_000, 1), (777, 2), (40, 3), (9, 4)] {
        let (y, scores) = tied_sample(n, seed);
        for replicates in [1, 37] {
            let slow = bootstrap_ci(&y, &scores, replicates, seed, roc_auc);
            let fast = bootstrap_roc_auc(&y, &scores, replicates, seed);
            assert_eq!(format!("{slow:?}"), format!("{fast:?}"), "auc n={n}");
            let slow_lift = bootstrap_ci(&y, &scores, replicates, seed, lift_in_top_10);
            let fast = bootstrap_lift_in_top_10(&y, &scores, replicates, seed);
            assert_eq!(format!("{slow_lift:?}"), format!("{fast:?}"), "lift n={n}");
            // Both from one set of draws: each the same as on its own, the ROC AUC's error
            // first.
            let both = bootstrap_roc_auc_and_lift(&y, &scores, replicates, seed)
                .map_err(|e| e.to_string());
            let alone = slow
                .map_err(|e| e.to_string())
                .and_then(|auc| Ok((auc, slow_lift.map_err(|e| e.to_string())?)));
            assert_eq!(format!("{both:?}"), format!("{alone:?}"), "both n={n}");
        }
    }
    // Tiny samples where some replicates draw a single class: skipped alike.
    let y = [true, false, false, false];
    let scores = [0.9, 0.1, 0.1, 0.4];
    let slow = bootstrap_ci(&y, &scores, 40, 5, roc_auc).unwrap();
    let fast = bootstrap_roc_auc(&y, &scores, 40, 5).unwrap();
    assert!(slow.skipped > 0);
    assert_eq!(slow, fast);
    let (auc, lift) = bootstrap_roc_auc_and_lift(&y, &scores, 40, 5).unwrap();
    assert_eq!(auc, slow);
    assert_eq!(
        lift,
        bootstrap_ci(&y, &scores, 40, 5, lift_in_top_10).unwrap()
    );
}

/// A replicate's counts per group are the same whether its rows are counted in a byte per
/// row and summed group by group, or (once a row reaches the limit) draw by draw; limits
/// of 1 and 2 force the second way, which the real limit of 255 never meets here.
#[test]
fn a_draw_counts_the_same_through_bytes_per_row_or_draw_by_draw() {
    let (y, scores) = tied_sample(500, 6);
    let groups = ScoreGroups::new(&y, &scores);
    for r in 0..5 {
        let mut expected = vec![0u32; 2 * groups.score.len()];
        for row in drawn_rows(500, 7, r) {
            let group = groups
                .score
                .iter()
                .position(|s| s.total_cmp(&scores[row]).is_eq())
                .expect("every score has its group");
            expected[2 * group + usize::from(y[row])] += 1;
        }
        assert_eq!(expected.iter().sum::<u32>(), 500);
        for limit in [1, 2, TIMES_LIMIT] {
            let draw = Draw::counted(&groups, 7, r, limit);
            assert_eq!(draw.counts, expected, "replicate {r}, limit {limit}");
        }
        assert_eq!(Draw::new(&groups, 7, r).counts, expected);
    }
}
