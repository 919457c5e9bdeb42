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
            let whole = score_in_chunks(&raw, &a, &c, usize::MAX / 2);
            assert!(whole.scored > 500, "{}", whole.scored);
            for chunk in [1, 7, 100] {
                let sliced = score_in_chunks(&raw, &a, &c, chunk);
                assert_eq!(
                    sliced.rows, whole.rows,
                    "{kind:?} chunk {chunk} top {top:?}"
                );
                assert_eq!(sliced.scored, whole.scored);
                assert_eq!(sliced.high_risk, whole.high_risk);
                assert_eq!(
                    sliced.total_value_at_risk.to_bits(),
                    whole.total_value_at_risk.to_bits()
                );
            }
        }
    }
}
