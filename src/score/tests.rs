use super::*;
use crate::data;
use crate::model::tests::{config, sample};
use crate::model::{self, ModelKind, ModelParams};
use polars::prelude::{CsvWriter, SerWriter};

fn artifact(raw: &RawTables, kind: ModelKind) -> ModelArtifact {
    let c = config(ModelParams::defaults(kind, 0));
    let trained = model::train(raw.clone(), &c).unwrap();
    ModelArtifact::new(trained, 0, c.step_days, 90, 90, data::fingerprint(raw))
}

/// Slicing the base into chunks is an implementation detail: the list, its reasons and
/// its totals are the same for any chunk size, including ones that do not divide the
/// population and a top-N that cuts inside a chunk.
#[test]
fn any_chunk_size_gives_the_same_list() {
    let (_dir, raw) = sample(1500);
    for kind in [ModelKind::Logistic, ModelKind::Tree] {
        let a = artifact(&raw, kind);
        for top in [None, Some(25)] {
            let c = ScoreConfig {
                as_of: raw.data_end,
                top,
                min_probability: None,
                sort: SortBy::Probability,
            };
            let ranked = |chunk| {
                let frame = features::build(&raw, &[c.as_of], feature_config(&a));
                rank(&raw.customers, frame, &a, &c, chunk)
            };
            let whole = ranked(usize::MAX / 2);
            assert!(whole.scored > 500, "{}", whole.scored);
            let all_rows = whole.rows(0..whole.len());
            assert_eq!(all_rows.len(), top.unwrap_or(whole.scored));
            for chunk in [1, 7, 100] {
                let sliced = ranked(chunk);
                assert_eq!(
                    sliced.rows(0..sliced.len()),
                    all_rows,
                    "{kind:?} chunk {chunk} top {top:?}"
                );
                assert_eq!(sliced.scored, whole.scored);
                assert_eq!(sliced.high_risk, whole.high_risk);
                assert_eq!(
                    sliced.total_value_at_risk.to_bits(),
                    whole.total_value_at_risk.to_bits()
                );
            }
            // Rows asked for a range at a time are the rows of the whole list.
            let pieces: Vec<AtRiskRow> = [0..3, 3..10, 10..whole.len()]
                .into_iter()
                .flat_map(|range| whole.rows(range))
                .collect();
            assert_eq!(pieces, all_rows, "{kind:?} top {top:?}");
            // In rank order, each row the row explained alone, with its own key features.
            assert!(all_rows
                .windows(2)
                .all(|w| w[0].probability >= w[1].probability));
            for (k, row) in all_rows.iter().enumerate() {
                assert_eq!(whole.rows(k..k + 1), std::slice::from_ref(row), "rank {k}");
                for (&j, value) in KEY_INDEX.iter().zip(row.key) {
                    let own = whole.frame.numeric[j].get(row.row);
                    assert_eq!(value, Some(own).filter(|v| !v.is_nan()));
                }
            }
        }
    }
}

/// The CSV lines formatted in parallel are the file polars writes for the same rows'
/// frame, header included, across chunk boundaries and with kept columns that need quoting
/// or are missing.
#[test]
fn csv_lines_are_the_file_polars_writes_for_the_frame() {
    let (_dir, raw) = sample(1500);
    let a = artifact(&raw, ModelKind::Logistic);
    let c = ScoreConfig {
        as_of: raw.data_end,
        top: None,
        min_probability: None,
        sort: SortBy::Probability,
    };
    let list = score(&raw, &a, &c);
    let n = raw.customers.len();
    let keep: Vec<data::TextColumn> = vec![
        (
            "email, work".to_string(),
            (0..n)
                .map(|i| match i % 4 {
                    0 => None,
                    1 => Some(String::new()),
                    2 => Some(format!("a\"{i}\",b")),
                    _ => Some(format!("c{i}@x.org")),
                })
                .collect(),
        ),
        ("note".to_string(), vec![Some("line\nbreak".to_string()); n]),
    ];
    // A range that starts inside the list, in chunks of 7 lines and in one.
    let start = 3;
    let rows = list.rows(start..list.len());
    assert!(rows.len() > 500, "{}", rows.len());
    let mut frame = to_dataframe(&rows, start, &raw.customers, &keep).unwrap();
    let mut expected = Vec::new();
    CsvWriter::new(&mut expected)
        .include_header(true)
        .finish(&mut frame)
        .unwrap();
    let mut ours = crate::io::csv_header(&column_names(&keep));
    let half = rows.len() / 2;
    ours.extend(to_csv(&rows[..half], start, &raw.customers, &keep).concat());
    let rest = &rows[half..];
    let pieces = table::csv_lines(rest, start + half, &raw.customers, &keep, 7);
    assert_eq!(pieces.len(), rest.len().div_ceil(7));
    ours.extend(pieces.concat());
    let (ours, expected) = (
        String::from_utf8(ours).unwrap(),
        String::from_utf8(expected).unwrap(),
    );
    assert_eq!(ours, expected);
    let first = ours.lines().nth(1).unwrap();
    assert!(
        first.starts_with(&format!(
            "4,{},",
            raw.customers.ids[rows[0].customer as usize]
        )),
        "{first}"
    );
}
