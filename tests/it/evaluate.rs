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
