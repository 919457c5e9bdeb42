use super::*;
use crate::metrics::MetricError;

const T: bool = true;
const F: bool = false;

#[track_caller]
fn close(got: f64, want: f64) {
    assert!((got - want).abs() < 1e-12, "got {got}, want {want}");
}

#[track_caller]
fn check_bin(bin: &Bin, lower: f64, upper: f64, n: usize, mean_predicted: f64, observed: f64) {
    assert_eq!((bin.lower, bin.upper, bin.n), (lower, upper, n), "{bin:?}");
    close(bin.mean_predicted, mean_predicted);
    close(bin.observed_rate, observed);
}

/// Six rows in four bins: two in [0, .25), none in [.25, .5), two in [.5, .75) and two in
/// [.75, 1], one of them exactly 1.0.
const Y: [bool; 6] = [F, T, F, T, T, F];
const P: [f64; 6] = [0.1, 0.2, 0.6, 0.7, 1.0, 0.75];

#[test]
fn reliability_by_hand_with_an_empty_bin_and_p_of_one() {
    let bins = reliability(&Y, &P, 4).unwrap();
    assert_eq!(bins.len(), 4);
    // Rows 0 and 1: mean p (0.1 + 0.2) / 2 = 0.15, one churner of two.
    check_bin(&bins[0], 0.0, 0.25, 2, 0.15, 0.5);
    // Empty: kept, n = 0 and zeros instead of NaN.
    check_bin(&bins[1], 0.25, 0.5, 0, 0.0, 0.0);
    // Rows 2 and 3: mean 0.65, one churner of two.
    check_bin(&bins[2], 0.5, 0.75, 2, 0.65, 0.5);
    // Rows 4 (p = 1.0 goes into the last bin) and 5 (0.75 is the lower edge): mean 0.875.
    check_bin(&bins[3], 0.75, 1.0, 2, 0.875, 0.5);
}

#[test]
fn expected_calibration_error_by_hand() {
    // 2/6 |0.5 - 0.15| + 0 + 2/6 |0.5 - 0.65| + 2/6 |0.5 - 0.875|
    // = (0.35 + 0.15 + 0.375) / 3 = 0.875 / 3.
    close(expected_calibration_error(&Y, &P, 4).unwrap(), 0.875 / 3.0);
    // One bin: |observed 3/6 - mean p 3.35/6| = 0.35/6.
    close(expected_calibration_error(&Y, &P, 1).unwrap(), 0.35 / 6.0);
    // A single class is still calibrated or not: all stayers at p = 0.2 are off by 0.2.
    close(
        expected_calibration_error(&[F, F], &[0.2, 0.2], 10).unwrap(),
        0.2,
    );
}

#[test]
fn bin_edges_agree_with_the_bins() {
    // 0.3 x 10 and 0.7 x 10 round above 3 and 7 in floating point; the edges say
    // 0.3 is in bin 3 and 0.7 in bin 7, and so does bin_index.
    let cases = [
        (0.0, 10, 0),
        (0.1, 10, 1),
        (0.3, 10, 3),
        (0.7, 10, 7),
        (0.99999, 10, 9),
        (1.0, 10, 9),
        (0.5, 1, 0),
        (1.0, 1, 0),
        (0.25, 4, 1),
    ];
    for (p, bins, want) in cases {
        assert_eq!(bin_index(p, bins), want, "p {p}, {bins} bins");
    }
    for i in 0..=1000 {
        let p = i as f64 / 1000.0;
        for bins in [3, 7, 10, 20] {
            let b = bin_index(p, bins);
            let inside = edge(b, bins) <= p && (p < edge(b + 1, bins) || b == bins - 1);
            assert!(inside, "p {p} in bin {b} of {bins}");
        }
    }
}

#[test]
fn reliability_refuses_bad_input() {
    assert_eq!(
        reliability(&Y, &P, 0),
        Err(EvalError::ZeroCount {
            what: "the number of bins"
        })
    );
    assert_eq!(
        reliability(&[T, F], &[0.5, 1.5], 10),
        Err(EvalError::Metric(MetricError::NotAProbability {
            row: 1,
            value: 1.5
        }))
    );
    assert_eq!(
        expected_calibration_error(&[], &[], 10),
        Err(EvalError::Metric(MetricError::Empty))
    );
}
