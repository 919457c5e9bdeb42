use super::*;
use crate::dates::parse_day;
use crate::model::tests::{config, sample};
use crate::model::{evaluate_out_of_time, ModelKind};
use crate::train::forest::ForestParams;
use crate::train::logistic::{ClassWeight, LogisticParams};
use crate::train::tree::TreeParams;

fn point(roc_auc: f64, log_loss: f64) -> GridPoint {
    GridPoint {
        params: ModelParams::Tree(TreeParams::default()),
        roc_auc,
        log_loss,
    }
}

#[track_caller]
fn check_choice(scores: &[(f64, f64)], expected: Option<usize>) {
    let grid: Vec<GridPoint> = scores.iter().map(|&(auc, ll)| point(auc, ll)).collect();
    assert_eq!(choose(&grid), expected, "{scores:?}");
}

#[test]
fn choice_is_best_auc_then_lowest_log_loss_then_grid_order() {
    // 1 and 2 tie on AUC 0.80; 2 has the lower log loss (0.35 < 0.40). 3 ties with 2 on
    // both, so the earlier point, 2, stays. 4's log loss is the lowest of all, but its AUC
    // (0.79) loses before log loss is looked at.
    check_choice(
        &[
            (0.70, 0.30),
            (0.80, 0.40),
            (0.80, 0.35),
            (0.80, 0.35),
            (0.79, 0.10),
        ],
        Some(2),
    );
    // A strictly higher AUC wins even with a worse log loss, wherever it is.
    check_choice(&[(0.60, 0.20), (0.61, 0.90)], Some(1));
    // All equal: the first point.
    check_choice(&[(0.75, 0.30), (0.75, 0.30), (0.75, 0.30)], Some(0));
    // A single point is chosen; an empty grid has no choice.
    check_choice(&[(0.5, 0.69)], Some(0));
    check_choice(&[], None);
}

#[test]
fn tree_grid_is_depth_by_leaf_in_order() {
    let base = TreeParams {
        max_bins: 32,
        ..TreeParams::default()
    };
    let grid = grid(&ModelParams::Tree(base), 30);
    let shape: Vec<(usize, usize)> = grid
        .iter()
        .map(|p| match p {
            ModelParams::Tree(t) => {
                // Untuned fields come from the base.
                assert_eq!(t.max_bins, 32);
                (t.max_depth, t.min_samples_leaf)
            }
            other => panic!("not a tree: {other:?}"),
        })
        .collect();
    assert_eq!(
        shape,
        [
            (4, 20),
            (4, 50),
            (4, 200),
            (6, 20),
            (6, 50),
            (6, 200),
            (8, 20),
            (8, 50),
            (8, 200),
            (10, 20),
            (10, 50),
            (10, 200),
        ]
    );
}

#[test]
fn forest_grid_doubles_the_default_features_per_split() {
    let base = ForestParams {
        seed: 7,
        ..ForestParams::default()
    };
    let shape = |n_features: usize| -> Vec<(usize, usize, Option<usize>)> {
        grid(&ModelParams::Forest(base.clone()), n_features)
            .iter()
            .map(|p| match p {
                ModelParams::Forest(f) => {
                    assert_eq!(f.seed, 7);
                    assert_eq!(f.tree.min_samples_leaf, base.tree.min_samples_leaf);
                    (f.n_trees, f.tree.max_depth, f.max_features)
                }
                other => panic!("not a forest: {other:?}"),
            })
            .collect()
    };
    // 29 columns: sqrt(29) = 5.39 rounds to 5, so twice the default is 10.
    let g = shape(29);
    assert_eq!(g.len(), 12);
    assert_eq!(
        &g[..4],
        [
            (50, 8, None),
            (50, 8, Some(10)),
            (50, 10, None),
            (50, 10, Some(10))
        ]
    );
    assert_eq!(g[11], (100, 12, Some(10)));
    // 35 columns: sqrt(35) = 5.92 rounds to 6, twice is 12.
    assert_eq!(shape(35)[1].2, Some(12));
    // 1000 columns: sqrt = 31.6 -> 32 -> 64, capped at the 21 numeric + 2 `other` columns
    // every matrix has.
    assert_eq!(shape(1000)[1].2, Some(23));
}

#[test]
fn logistic_grid_varies_alpha_only() {
    let base = LogisticParams {
        class_weight: ClassWeight::Balanced,
        ..LogisticParams::default()
    };
    let alphas: Vec<f64> = grid(&ModelParams::Logistic(base), 30)
        .iter()
        .map(|p| match p {
            ModelParams::Logistic(l) => {
                assert_eq!(l.class_weight, ClassWeight::Balanced);
                l.alpha
            }
            other => panic!("not logistic: {other:?}"),
        })
        .collect();
    assert_eq!(alphas, [0.1, 1.0, 10.0, 100.0, 1000.0]);
}

#[test]
fn describe_names_the_tuned_parameters() {
    let forest = ForestParams {
        n_trees: 50,
        max_features: Some(10),
        ..ForestParams::default()
    };
    assert_eq!(
        describe(&ModelParams::Forest(forest.clone())),
        "n_trees=50, max_depth=10, max_features=10"
    );
    let sqrt = ForestParams {
        max_features: None,
        ..forest
    };
    assert_eq!(
        describe(&ModelParams::Forest(sqrt)),
        "n_trees=50, max_depth=10, max_features=sqrt"
    );
    assert_eq!(
        describe(&ModelParams::Tree(TreeParams::default())),
        "max_depth=8, min_samples_leaf=50"
    );
    let logistic = LogisticParams {
        alpha: 0.1,
        ..LogisticParams::default()
    };
    assert_eq!(describe(&ModelParams::Logistic(logistic)), "alpha=0.1");
}

#[test]
fn tune_scores_the_grid_one_horizon_before_the_holdout() {
    let (_dir, raw) = sample(3000);
    let base = config(ModelParams::defaults(ModelKind::Tree, 0));
    let tuning = tune(&raw, &base).unwrap();
    // The holdout is the latest labelable date, data end - 90; validation is 90 days
    // before that.
    let validation = raw.data_end - 180;
    assert_eq!(tuning.validation_date, format_day(validation));
    assert_eq!(tuning.metric, "roc_auc");
    assert_eq!(tuning.grid.len(), 12);
    let best_auc = tuning
        .grid
        .iter()
        .map(|p| p.roc_auc)
        .fold(f64::NEG_INFINITY, f64::max);
    let chosen = tuning.chosen_point().unwrap();
    assert_eq!(chosen.roc_auc, best_auc);
    assert_eq!(Some(tuning.chosen), choose(&tuning.grid));

    // Each point's score is exactly `evaluate_out_of_time` at as_of = validation (fitted on
    // validation - 120 and validation - 90, K = 2 and D = 30), though the features were
    // built once for the whole grid.
    for idx in [0, tuning.chosen] {
        let point = &tuning.grid[idx];
        let direct = evaluate_out_of_time(
            &raw,
            &TrainConfig {
                params: point.params.clone(),
                as_of: Some(validation),
                ..base.clone()
            },
        )
        .unwrap();
        assert_eq!(
            direct.plan.evaluation_fit,
            [validation - 120, validation - 90]
        );
        assert_eq!(
            (direct.holdout.roc_auc, direct.holdout.log_loss),
            (point.roc_auc, point.log_loss)
        );
    }

    // One thread or four: the same grid, bit for bit.
    let on = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| tune(&raw, &base).unwrap())
    };
    assert_eq!(on(1), tuning);
    assert_eq!(on(4), tuning);
}

#[test]
fn tune_says_how_much_history_it_needs() {
    let (_dir, raw) = sample(300);
    let d = |s: &str| parse_day(s).unwrap();
    // The generated data ends on 2025-12-31; customers join over time, and the first
    // order of this sample is on 2023-01-17.
    assert_eq!(raw.data_end, d("2025-12-31"));
    assert_eq!(raw.orders.day.iter().min(), Some(&d("2023-01-17")));
    // Holdout 2023-06-30; validation 90 days earlier, 2023-04-01; its fit ends another 90
    // days earlier, 2023-01-01, and starts one 30-day step before that, 2022-12-02: before
    // the first order. From 2022-12-02 to 2025-12-02 is 365 + 366 + 365 = 1096 days, and
    // 29 more to 2025-12-31: 1125 days.
    let config = TrainConfig {
        as_of: Some(d("2023-06-30")),
        ..config(ModelParams::defaults(ModelKind::Tree, 0))
    };
    let err = tune(&raw, &config).unwrap_err();
    assert_eq!(
        err.to_string(),
        "--tune needs 1125 days of history before the data end 2025-12-31: it scores the grid \
         on 2023-04-01 (the holdout 2023-06-30 minus the 90-day horizon) with models fitted on \
         snapshots from 2022-12-02 (the validation date minus the horizon minus 1 × 30 days), \
         but the first order is on 2023-01-17; use fewer --snapshots, a shorter --step-days or \
         --horizon-days, or train without --tune"
    );
    // Holdout 2023-07-16 with one snapshot: validation 2023-04-17, whose fit is the single
    // snapshot 2023-01-17, the day of the first order, which is enough.
    let boundary = TrainConfig {
        as_of: Some(d("2023-07-16")),
        snapshots: 1,
        ..config
    };
    assert!(!matches!(
        tune(&raw, &boundary),
        Err(TuneError::NotEnoughHistory { .. })
    ));
}
