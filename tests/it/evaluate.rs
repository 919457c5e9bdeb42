//! `churn evaluate`: reproduces the out-of-time numbers of training and refuses dates
//! whose outcomes the model has seen.

use crate::support::*;

fn json(out: &std::process::Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", stderr(out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn evaluate_reproduces_training_and_refuses_seen_outcomes() {
    let w = Workdir::new();
    let run = w.run(&[
        "generate",
        "--customers",
        "2500",
        "--seed",
        "5",
        "--out",
        "d",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let trained = json(&w.run(&[
        "train",
        "--data",
        "d",
        "--model",
        "tree",
        "--snapshots",
        "2",
        "--json",
    ]));
    let e = json(&w.run(&["evaluate", "--data", "d", "--json", "--bootstrap", "50"]));
    assert_eq!(e["model_used"], "evaluation");
    assert_eq!(e["as_of"], trained["snapshots"]["holdout"]);
    let ev = &e["evaluation"];
    // The same model on the same snapshot: the very same numbers, bit for bit.
    for metric in ["roc_auc", "pr_auc", "log_loss", "brier"] {
        assert_eq!(ev["model"][metric], trained["holdout"][metric], "{metric}");
    }
    assert_eq!(ev["n"], trained["holdout"]["n"]);
    assert_eq!(ev["baselines"][0]["name"], "recency");
    assert_eq!(
        ev["baselines"][0]["roc_auc"],
        trained["recency_baseline"]["roc_auc"]
    );
    let ci = &ev["roc_auc_ci"];
    let auc = ev["model"]["roc_auc"].as_f64().unwrap();
    assert!(ci["lower"].as_f64().unwrap() <= auc && auc <= ci["upper"].as_f64().unwrap());
    let bins = ev["reliability"].as_array().unwrap();
    let counted: u64 = bins.iter().map(|b| b["n"].as_u64().unwrap()).sum();
    assert_eq!(
        counted,
        ev["n"].as_u64().unwrap(),
        "every customer in one bin"
    );

    // The saved model was refitted on the latest snapshots: a day before its training
    // labels end is refused, naming the dates.
    let holdout = trained["snapshots"]["holdout"].as_str().unwrap();
    let day_before = churn::dates::format_day(day(holdout) - 1);
    let run = w.run(&["evaluate", "--data", "d", "--as-of", &day_before]);
    assert_eq!(run.status.code(), Some(1));
    let err = stderr(&run);
    assert!(err.contains("has seen the outcomes of"), "{err}");
    assert!(err.contains(holdout), "{err}");
}

#[test]
fn backtest_folds_walk_back_and_the_first_equals_training() {
    let w = Workdir::new();
    let run = w.run(&[
        "generate",
        "--customers",
        "2000",
        "--seed",
        "8",
        "--out",
        "d",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let trained = json(&w.run(&[
        "train",
        "--data",
        "d",
        "--model",
        "logistic",
        "--snapshots",
        "2",
        "--json",
    ]));
    let b = json(&w.run(&[
        "backtest",
        "--data",
        "d",
        "--model",
        "logistic,tree",
        "--folds",
        "2",
        "--snapshots",
        "2",
        "--json",
    ]));
    let folds = b["folds"].as_array().unwrap();
    assert_eq!(folds.len(), 4, "2 folds x 2 kinds");
    let holdout = trained["snapshots"]["holdout"].as_str().unwrap();
    assert_eq!(folds[0]["date"], holdout);
    assert_eq!(folds[0]["kind"], "logistic");
    // Fold 0 is exactly training's out-of-time evaluation.
    assert_eq!(folds[0]["roc_auc"], trained["holdout"]["roc_auc"]);
    assert_eq!(
        folds[2]["date"].as_str().unwrap(),
        churn::dates::format_day(day(holdout) - 30)
    );
    let auc = |i: usize| folds[i]["roc_auc"].as_f64().unwrap();
    let s = &b["summary"][0];
    assert_eq!(s["kind"], "logistic");
    let mean = (auc(0) + auc(2)) / 2.0;
    assert!((s["roc_auc_mean"].as_f64().unwrap() - mean).abs() < 1e-12);
    // Sample sd of two values is |a - b| / sqrt(2).
    let sd = (auc(0) - auc(2)).abs() / 2f64.sqrt();
    assert!((s["roc_auc_sd"].as_f64().unwrap() - sd).abs() < 1e-12);
}
