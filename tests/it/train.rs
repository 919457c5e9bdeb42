//! `churn train` and `churn models`, end to end through the binary.

use crate::support::*;

fn sample(w: &Workdir) {
    let run = w.run(&[
        "generate",
        "--customers",
        "3000",
        "--seed",
        "9",
        "--out",
        "d",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
}

fn train(w: &Workdir, args: &[&str]) -> String {
    let mut all = vec!["train", "--data", "d"];
    all.extend_from_slice(args);
    let run = w.run(&all);
    assert!(run.status.success(), "{}", stderr(&run));
    stderr(&run)
}

fn model_dirs(w: &Workdir, out: &str) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(w.join(out))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    ids.sort();
    ids
}

#[test]
fn train_saves_a_card_and_the_first_model_becomes_current() {
    let w = Workdir::new();
    sample(&w);
    let log = train(&w, &["--model", "tree", "--snapshots", "2"]);
    assert!(log.contains("evaluated out of time: fitted on"), "{log}");
    assert!(log.contains("recency alone          ROC AUC"), "{log}");
    assert!(log.contains("it is the current model"), "{log}");
    let ids = model_dirs(&w, "models");
    assert_eq!(ids.len(), 1);
    let id = &ids[0];
    assert!(id.starts_with("tree-"), "{id}");
    assert_eq!(
        std::fs::read_to_string(w.join("models/current"))
            .unwrap()
            .trim(),
        id
    );
    let card = std::fs::read_to_string(w.join(&format!("models/{id}/model.md"))).unwrap();
    assert!(card.contains("**How well, out of time.**"), "{card}");

    // A second model is saved but not promoted until asked.
    let log = train(
        &w,
        &["--model", "forest", "--trees", "10", "--snapshots", "2"],
    );
    assert!(
        log.contains("make it current with `churn models promote forest-"),
        "{log}"
    );
    let list = w.run(&["models", "list"]);
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(text.contains(&format!("* {id}")), "{text}");
    let forest = model_dirs(&w, "models")
        .into_iter()
        .find(|i| i.starts_with("forest-"))
        .unwrap();
    let run = w.run(&["models", "promote", &forest]);
    assert!(run.status.success(), "{}", stderr(&run));
    let text = String::from_utf8_lossy(&w.run(&["models", "list"]).stdout).into_owned();
    assert!(text.contains(&format!("* {forest}")), "{text}");
    let run = w.run(&["models", "promote", "no-such-model"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(stderr(&run).contains("no model \"no-such-model\""));
}

#[test]
fn same_data_and_seed_give_a_byte_identical_model() {
    let w = Workdir::new();
    sample(&w);
    for (out, threads) in [("a", "2"), ("b", "1")] {
        let args = [
            "--model",
            "forest",
            "--trees",
            "8",
            "--seed",
            "4",
            "--snapshots",
            "2",
        ];
        train(
            &w,
            &[&args[..], &["--out", out, "--threads", threads]].concat(),
        );
    }
    let (a, b) = (model_dirs(&w, "a"), model_dirs(&w, "b"));
    assert_eq!(a, b);
    let read = |dir: &str| std::fs::read(w.join(&format!("{dir}/{}/model.json", a[0]))).unwrap();
    assert!(read("a") == read("b"), "model.json differs");
    // The logistic model reports P(churn): a positive coefficient on recency.
    train(
        &w,
        &["--model", "logistic", "--out", "l", "--snapshots", "2"],
    );
    let id = &model_dirs(&w, "l")[0];
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(w.join(&format!("l/{id}/model.json"))).unwrap(),
    )
    .unwrap();
    let coefficients = json["model"]["learner"]["fitted"]["coefficients"]
        .as_array()
        .unwrap();
    let recency = coefficients[0].as_f64().unwrap();
    assert!(recency > 0.0, "recency coefficient {recency}");
    // From the ingested copy, read a block of customers at a time with the fingerprint its
    // header recorded, the model is the same file, data lineage included.
    let ingest = w.run(&["ingest", "--data", "d"]);
    assert!(ingest.status.success(), "{}", stderr(&ingest));
    let log = train(
        &w,
        &["--model", "logistic", "--out", "m", "--snapshots", "2"],
    );
    assert!(log.contains("read the ingested copy"), "{log}");
    let file = |dir: &str| std::fs::read(w.join(&format!("{dir}/{id}/model.json"))).unwrap();
    assert!(file("l") == file("m"), "model.json from the copy differs");
}

#[test]
fn an_unlabelable_holdout_says_which_date_would_do() {
    let w = Workdir::new();
    sample(&w);
    let run = w.run(&["train", "--data", "d", "--as-of", "2025-12-01"]);
    assert_eq!(run.status.code(), Some(1));
    let err = stderr(&run);
    assert!(
        err.contains("the latest labelable date is 2025-10-02"),
        "{err}"
    );
    assert!(!w.join("models").exists() || model_dirs(&w, "models").is_empty());
}

#[test]
fn tune_chooses_on_the_validation_date_and_saves_the_choice() {
    let w = Workdir::new();
    let run = w.run(&[
        "generate",
        "--customers",
        "2000",
        "--seed",
        "5",
        "--out",
        "d",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let tuned = |out: &str, threads: &str| -> serde_json::Value {
        let run = w.run(&[
            "train",
            "--data",
            "d",
            "--model",
            "tree",
            "--tune",
            "--json",
            "--out",
            out,
            "--threads",
            threads,
        ]);
        assert!(run.status.success(), "{}", stderr(&run));
        let log = stderr(&run);
        assert!(log.contains("tuned on "), "{log}");
        serde_json::from_slice(&run.stdout).unwrap()
    };
    let summary = tuned("a", "1");
    let tuning = &summary["tuning"];
    // The holdout is the latest labelable date; tuning scores 90 days (one horizon) before it.
    let holdout = summary["snapshots"]["holdout"].as_str().unwrap();
    assert_eq!(
        tuning["validation_date"].as_str().unwrap(),
        churn::dates::format_day(day(holdout) - 90)
    );
    assert_eq!(tuning["metric"], "roc_auc");
    let grid = tuning["grid"].as_array().unwrap();
    assert_eq!(grid.len(), 12);
    let auc = |p: &serde_json::Value| p["roc_auc"].as_f64().unwrap();
    let best = grid.iter().map(auc).fold(f64::NEG_INFINITY, f64::max);
    let chosen = &grid[tuning["chosen"].as_u64().unwrap() as usize];
    assert_eq!(auc(chosen), best);

    // The saved model uses the chosen parameters and carries the same tuning block.
    let folder = summary["folder"].as_str().unwrap();
    let saved = std::fs::read(w.path().join(folder).join("model.json")).unwrap();
    let model: serde_json::Value = serde_json::from_slice(&saved).unwrap();
    assert_eq!(model["params"], chosen["params"]);
    assert_eq!(&model["tuning"], tuning);
    let card = std::fs::read_to_string(w.path().join(folder).join("model.md")).unwrap();
    assert!(card.contains("## Tuning"), "{card}");
    assert_eq!(card.matches("| **chosen** |").count(), 1, "{card}");

    // The same run on two threads gives the same bytes.
    let again = tuned("b", "2");
    let folder_b = again["folder"].as_str().unwrap();
    let saved_b = std::fs::read(w.path().join(folder_b).join("model.json")).unwrap();
    assert!(saved == saved_b, "model.json differs between runs");
}

#[test]
fn tune_refuses_flags_it_chooses_itself() {
    let w = Workdir::new();
    let run = w.run(&[
        "train",
        "--data",
        "d",
        "--model",
        "tree",
        "--tune",
        "--max-depth",
        "3",
    ]);
    assert_eq!(run.status.code(), Some(2));
    assert!(stderr(&run).contains("--max-depth"), "{}", stderr(&run));
}
