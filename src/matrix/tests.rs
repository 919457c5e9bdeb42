use super::*;
use crate::data::NULL_CODE;

const NAN: f64 = f64::NAN;

/// A frame with `rows` rows where numeric feature 0 is `first`, feature 1 is all NaN and
/// the others are 1.0; segments by code into levels a, b, c. Feature 0 is kept as `f64`,
/// the others as whole numbers (`f32`), as the features stage keeps them.
fn frame(first: &[f64], segment_codes: &[u32]) -> FeatureFrame {
    let n = first.len();
    let mut numeric = vec![Values::Whole(vec![1.0; n]); NUMERIC.len()];
    numeric[0] = Values::from(first.to_vec());
    numeric[1] = Values::Whole(vec![f32::NAN; n]);
    FeatureFrame {
        customer: (0..n as u32).collect(),
        snapshot: vec![0; n],
        numeric,
        segment: Categorical {
            codes: segment_codes.to_vec(),
            levels: vec!["a".into(), "b".into(), "c".into()],
        },
        region: Categorical {
            codes: vec![NULL_CODE; n],
            levels: vec![],
        },
        populations: vec![],
    }
}

#[test]
fn medians_indicators_and_one_hot() {
    let train = frame(&[4.0, NAN, 1.0, 10.0], &[0, 1, 1, NULL_CODE]);
    let spec = MatrixSpec::fit(&train);
    // Median of 1, 4, 10 is 4; the all-unknown feature imputes 0.
    assert_eq!(spec.medians[0], 4.0);
    assert_eq!(spec.medians[1], 0.0);
    assert_eq!(spec.medians[2], 1.0);
    assert_eq!(spec.indicators[..3], [true, true, false]);
    // Level c never occurs in training, so it gets no column of its own.
    assert_eq!(
        spec.categories[0],
        (
            "segment".to_string(),
            vec!["a".to_string(), "b".to_string()]
        )
    );

    let names = spec.feature_names();
    let n_numeric = NUMERIC.len();
    assert_eq!(names[0], "recency_days");
    assert_eq!(names[n_numeric], "recency_days_missing");
    assert_eq!(names[n_numeric + 1], "tenure_days_missing");
    assert_eq!(
        names[n_numeric + 2..],
        ["segment=a", "segment=b", "segment=other", "region=other"]
    );

    let scored = frame(&[NAN, 7.0], &[2, 0]);
    let m = spec.transform(&scored, Some(&[true, false]));
    assert_eq!(m.x.ncols(), names.len());
    let row0 = m.x.row(0).to_vec();
    let row1 = m.x.row(1).to_vec();
    assert_eq!(row0[0], 4.0, "unknown value takes the training median");
    assert_eq!(row1[0], 7.0);
    assert_eq!(
        row0[n_numeric..],
        [1.0, 1.0, 0.0, 0.0, 1.0, 1.0],
        "unseen level c goes to other"
    );
    assert_eq!(row1[n_numeric..], [0.0, 1.0, 1.0, 0.0, 0.0, 1.0]);
    assert_eq!(m.y.unwrap().to_vec(), vec![true, false]);
}

#[test]
fn even_count_median_is_the_mean_of_the_middle_two() {
    assert_eq!(median(&[3.0, 1.0, NAN, 2.0, 10.0]), Some(2.5));
    assert_eq!(median(&[NAN]), None);
}

#[test]
fn transforming_a_slice_of_rows_equals_slicing_the_whole_matrix() {
    let train = frame(&[4.0, NAN, 1.0, 10.0], &[0, 1, 1, NULL_CODE]);
    let spec = MatrixSpec::fit(&train);
    let whole = spec.transform(&train, None).x;
    let part = spec.transform_rows(&train, 1..3);
    assert_eq!(part.nrows(), 2);
    assert_eq!(part.row(0), whole.row(1));
    assert_eq!(part.row(1), whole.row(2));
    assert_eq!(spec.transform_rows(&train, 2..2).nrows(), 0);
}

#[test]
fn median_by_selection_matches_hand_computed_values() {
    assert_eq!(median(&[]), None);
    assert_eq!(median(&[f64::NAN, f64::NAN]), None);
    assert_eq!(median(&[5.0]), Some(5.0));
    assert_eq!(median(&[9.0, f64::NAN, 1.0, 4.0]), Some(4.0));
    // 1, 2, 3, 10: the middle two are 2 and 3.
    assert_eq!(median(&[10.0, 3.0, f64::NAN, 1.0, 2.0]), Some(2.5));
    assert_eq!(median(&[-1.0, -1.0, 7.0, 7.0]), Some(3.0));
    // Against a full sort on many values with duplicates.
    let values: Vec<f64> = (0..10_001u64).map(|i| ((i * 7919) % 1013) as f64).collect();
    for n in [10_000, 10_001] {
        let mut sorted = values[..n].to_vec();
        sorted.sort_by(f64::total_cmp);
        let expected = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        assert_eq!(median(&values[..n]), Some(expected));
    }
}

#[test]
fn n_columns_counts_the_feature_names() {
    let f = frame(&[1.0, NAN, 3.0], &[0, 1, NULL_CODE]);
    let spec = MatrixSpec::fit(&f);
    assert_eq!(spec.n_columns(), spec.feature_names().len());
    assert!(spec.n_columns() > NUMERIC.len());
}

#[test]
fn tiles_and_blocks_encode_every_row_as_the_spec_says() {
    // 2,500 rows cross two whole tiles and end in a partial one. Feature 0 is the row
    // number, unknown on every 7th row; segments cycle through a, b, c and null.
    let n = 2_500;
    let first: Vec<f64> = (0..n)
        .map(|i: usize| if i.is_multiple_of(7) { NAN } else { i as f64 })
        .collect();
    let codes: Vec<u32> = (0..n as u32)
        .map(|i| if i % 4 == 3 { NULL_CODE } else { i % 4 })
        .collect();
    let data = frame(&first, &codes);
    let spec = MatrixSpec::fit(&frame(&[4.0, NAN, 1.0, 10.0], &[0, 1, 1, NULL_CODE]));
    let k = spec.n_columns();
    let n_numeric = NUMERIC.len();
    // What each row must be: numeric, two indicators, segment a, b, other, region other.
    let expected = |i: usize| -> Vec<f64> {
        let mut row = vec![1.0; n_numeric];
        row[0] = if i.is_multiple_of(7) { 4.0 } else { i as f64 };
        row[1] = 0.0;
        row.push(if i.is_multiple_of(7) { 1.0 } else { 0.0 });
        row.push(1.0);
        let mut segment = [0.0; 3];
        segment[[0, 1, 2, 2][i % 4]] = 1.0;
        row.extend(segment);
        row.push(1.0);
        row
    };
    let whole = spec.transform_rows(&data, 0..n);
    assert_eq!(whole.dim(), (n, k));
    for i in 0..n {
        assert_eq!(whole.row(i).to_vec(), expected(i), "row {i}");
    }
    let part = spec.transform_rows(&data, 1_000..2_100);
    assert_eq!(part, whole.slice_axis(Axis(0), Slice::from(1_000..2_100)));
    // Encoded on demand, into a buffer holding stale values (every cell is rewritten).
    let rows = spec.rows_of(&data);
    assert_eq!((rows.n_rows(), rows.n_columns()), (n, k));
    let mut buffer = Array2::from_elem((300, k), 9.0);
    rows.fill(2_200, buffer.view_mut());
    assert_eq!(buffer, whole.slice_axis(Axis(0), Slice::from(2_200..)));
    let view = whole.view();
    let mut copied = Array2::zeros((5, k));
    view.fill(17, copied.view_mut());
    assert_eq!(copied, whole.slice_axis(Axis(0), Slice::from(17..22)));
}
