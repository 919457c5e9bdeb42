use super::*;
use crate::data;
use crate::model::tests::{config, sample};
use crate::model::{self, ModelKind, ModelParams};

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
        }
    }
}
