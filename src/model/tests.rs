use super::*;
use crate::data::{self, LoadOptions};
use crate::features;
use crate::generate::{self, sim::SimConfig, GenerateConfig};
use crate::io::TableFormat;
use crate::train::calibrate::CalibrationMethod;

pub(crate) fn sample(n_customers: usize) -> (tempfile::TempDir, RawTables) {
    let dir = tempfile::tempdir().unwrap();
    let config = GenerateConfig {
        sim: SimConfig {
            n_customers,
            seed: 11,
            start_day: crate::dates::parse_day("2023-01-01").unwrap(),
            end_day: crate::dates::parse_day("2025-12-31").unwrap(),
        },
        format: TableFormat::Csv,
        truth: false,
        force: false,
    };
    let out = dir.path().join("d");
    generate::generate(&config, &out).unwrap();
    let (raw, _) = data::load(&out, &LoadOptions::default()).unwrap();
    (dir, raw)
}

pub(crate) fn config(params: ModelParams) -> TrainConfig {
    TrainConfig {
        params,
        label: LabelSpec {
            horizon_days: 90,
            definition: LabelDefinition::Either,
        },
        features: FeatureConfig::default(),
        snapshots: 2,
        step_days: 30,
        as_of: None,
        calibration: CalibrationMethod::Platt,
    }
}

#[test]
fn tiers_by_hand() {
    let scores: Vec<f64> = (1..=10).map(|i| f64::from(i) / 10.0).collect();
    let tiers = RiskTiers::from_scores(&scores);
    // Top 10% of 10 is the single best score; top 30% ends at the third best.
    assert_eq!((tiers.high, tiers.medium), (1.0, 0.8));
    assert_eq!(tiers.tier(1.0), "high");
    assert_eq!(tiers.tier(0.85), "medium");
    assert_eq!(tiers.tier(0.79), "low");
}

#[test]
fn out_of_time_training_beats_the_recency_baseline() {
    let (_dir, raw) = sample(6000);
    let trained = train(
        raw.clone(),
        &config(ModelParams::defaults(ModelKind::Logistic, 0)),
    )
    .unwrap();
    let p = &trained.plan;
    assert_eq!(p.holdout, raw.data_end - 90);
    assert_eq!(p.evaluation_fit, [p.holdout - 120, p.holdout - 90]);
    assert_eq!(p.final_fit, [p.holdout - 30, p.holdout]);
    assert!(trained.rows.evaluation_fit > 3000 && trained.rows.holdout > 1500);
    let (model, baseline) = (trained.holdout.roc_auc, trained.recency_baseline.roc_auc);
    assert!(model > 0.72, "holdout ROC AUC {model}");
    assert!(
        model > baseline + 0.02,
        "model {model} vs recency {baseline}"
    );
    // The holdout churn rate is what the labels say, and probabilities are calibrated-ish.
    let rate = trained.holdout.churners as f64 / trained.holdout.n as f64;
    assert!((0.08..0.35).contains(&rate), "{rate}");
    assert!(
        trained.holdout.brier < rate * (1.0 - rate),
        "better than predicting the base rate"
    );
    assert!(trained.tiers.high > trained.tiers.medium);
}

#[test]
fn every_kind_trains_and_is_deterministic() {
    let (_dir, raw) = sample(3000);
    for kind in [ModelKind::Tree, ModelKind::Forest] {
        let mut params = ModelParams::defaults(kind, 3);
        if let ModelParams::Forest(f) = &mut params {
            f.n_trees = 20;
        }
        let a = train(raw.clone(), &config(params.clone())).unwrap();
        let b = train(raw.clone(), &config(params)).unwrap();
        assert!(a.holdout.roc_auc > 0.65, "{kind:?}: {}", a.holdout.roc_auc);
        let json = |t: &Trained| serde_json::to_string(&t.model).unwrap();
        assert_eq!(json(&a), json(&b), "{kind:?} is not deterministic");
        let back: FittedModel = serde_json::from_str(&json(&a)).unwrap();
        assert_eq!(back, a.model);
    }
}

#[test]
fn predicting_by_slices_equals_predicting_the_whole_matrix() {
    let (_dir, raw) = sample(2000);
    let trained = train(
        raw.clone(),
        &config(ModelParams::defaults(ModelKind::Logistic, 0)),
    )
    .unwrap();
    let model = &trained.model;
    let frame = features::build(&raw, &[raw.data_end], FeatureConfig::default());
    let whole = model.predict_matrix(model.matrix.transform(&frame, None).x.view());
    assert!(frame.n_rows() > 100, "{} rows", frame.n_rows());
    // 7 does not divide the rows: the last slice is short.
    assert_ne!(frame.n_rows() % 7, 0);
    let sliced = model.predict_by_slices(&frame, 7, |x| model.predict_matrix(x));
    assert_eq!(sliced, whole);
    assert_eq!(model.predict(&frame), whole);
}

#[test]
fn learners_fitted_on_rows_encoded_on_demand_are_the_ones_fitted_on_the_matrix() {
    use crate::train::forest::fit_forest;
    use crate::train::logistic::fit_logistic;
    use crate::train::tree::fit_single;

    let (_dir, raw) = sample(2000);
    let frame = features::build(&raw, &[raw.data_end - 90], FeatureConfig::default());
    let spec = LabelSpec {
        horizon_days: 90,
        definition: LabelDefinition::Either,
    };
    let labels = labels::build(&raw, &frame, spec).unwrap();
    let matrix = MatrixSpec::fit(&frame);
    let design = matrix.transform(&frame, None);
    let (x, rows) = (design.x.view(), matrix.rows_of(&frame));

    let params = LogisticParams::default().check().unwrap();
    let from_matrix = fit_logistic(x, &labels, &params).unwrap();
    assert_eq!(
        fit_logistic_rows(&rows, &labels, &params).unwrap(),
        from_matrix
    );

    // Few enough bins that the quantile cuts, not one bin per value, are compared.
    let tree = TreeParams {
        max_bins: 16,
        ..TreeParams::default()
    }
    .check()
    .unwrap();
    let from_matrix = fit_single(x, &labels, &tree).unwrap();
    assert!(from_matrix.n_leaves() > 8, "{}", from_matrix.n_leaves());
    assert_eq!(fit_single_rows(&rows, &labels, &tree).unwrap(), from_matrix);

    let forest = ForestParams {
        n_trees: 3,
        ..ForestParams::default()
    }
    .check()
    .unwrap();
    let from_matrix = fit_forest(x, &labels, &forest).unwrap();
    assert_eq!(
        fit_forest_rows(&rows, &labels, &forest).unwrap(),
        from_matrix
    );
}

#[test]
fn an_unlabelable_holdout_is_refused() {
    let (_dir, raw) = sample(500);
    let mut c = config(ModelParams::defaults(ModelKind::Logistic, 0));
    c.as_of = Some(raw.data_end - 10);
    let err = train(raw.clone(), &c).unwrap_err();
    assert!(
        matches!(err, ModelError::Plan(PlanError::NotLabelable { .. })),
        "{err}"
    );
}

mod artifacts {
    use super::*;
    use crate::model::artifact::{self, ArtifactError, ModelArtifact, FORMAT_VERSION};

    fn artifact(raw: &RawTables) -> ModelArtifact {
        let c = config(ModelParams::defaults(ModelKind::Logistic, 0));
        let trained = train(raw.clone(), &c).unwrap();
        ModelArtifact::new(trained, 0, c.step_days, 90, 90, data::fingerprint(raw))
    }

    #[test]
    fn save_load_round_trip_and_same_bytes_every_time() {
        let (dir, raw) = sample(2000);
        let a = artifact(&raw);
        assert!(a.id.starts_with("logistic-"), "{}", a.id);
        assert_eq!(a.format_version, FORMAT_VERSION);
        let models = dir.path().join("models");
        let folder = a.save(&models).unwrap();
        let loaded = ModelArtifact::load(&folder.join("model.json")).unwrap();
        assert_eq!(loaded, a);
        // Retraining on the same data gives the same id and byte-identical JSON.
        let b = artifact(&raw);
        assert_eq!(b.id, a.id);
        assert_eq!(
            b.to_json(),
            std::fs::read_to_string(folder.join("model.json")).unwrap()
        );
        let card = std::fs::read_to_string(folder.join("model.md")).unwrap();
        assert!(
            card.contains(&format!(
                "| this model | {:.4} |",
                a.holdout_metrics.roc_auc
            )),
            "{card}"
        );
        assert!(card.contains("recency alone"), "{card}");
        assert!(card.contains("## Strongest drivers"), "{card}");
    }

    #[test]
    fn incompatible_files_are_refused_with_what_differs() {
        let (dir, raw) = sample(1500);
        let a = artifact(&raw);
        let path = dir.path().join("m.json");
        let json = a.to_json();
        std::fs::write(
            &path,
            json.replacen(
                &format!("\"format_version\": {FORMAT_VERSION}"),
                "\"format_version\": 99",
                1,
            ),
        )
        .unwrap();
        let err = ModelArtifact::load(&path).unwrap_err();
        assert!(
            matches!(
                err,
                ArtifactError::Version {
                    found: 99,
                    expected: FORMAT_VERSION,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string().contains("model format 99; this churn"),
            "{err}"
        );
        std::fs::write(&path, json.replace("\"csat_last\"", "\"csat_first\"")).unwrap();
        let err = ModelArtifact::load(&path).unwrap_err().to_string();
        assert!(
            err.contains("the model lacks [csat_last] and has [csat_first]"),
            "{err}"
        );
        std::fs::write(&path, "{ not json").unwrap();
        assert!(matches!(
            ModelArtifact::load(&path),
            Err(ArtifactError::Read { .. })
        ));
    }

    #[test]
    fn promote_switches_the_current_model() {
        let (dir, raw) = sample(1500);
        let models = dir.path().join("models");
        let a = artifact(&raw);
        a.save(&models).unwrap();
        assert!(matches!(
            artifact::locate(&models, None),
            Err(ArtifactError::NoCurrent(_))
        ));
        artifact::promote(&models, &a.id).unwrap();
        assert_eq!(artifact::current(&models).as_deref(), Some(a.id.as_str()));
        assert_eq!(
            artifact::locate(&models, None).unwrap(),
            models.join(&a.id).join("model.json")
        );
        let err = artifact::promote(&models, "nope").unwrap_err().to_string();
        assert!(err.contains("no model \"nope\""), "{err}");
        assert_eq!(artifact::list(&models).len(), 1);
    }
}
