//! `churn score`: the ranked at-risk list from a saved model.

use crate::support::*;

fn trained(w: &Workdir) {
    let run = w.run(&[
        "generate",
        "--customers",
        "3000",
        "--seed",
        "21",
        "--out",
        "d",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let run = w.run(&[
        "train",
        "--data",
        "d",
        "--model",
        "forest",
        "--trees",
        "12",
        "--snapshots",
        "2",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
}

fn read_csv(w: &Workdir, file: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(w.join(file)).unwrap();
    let mut lines = text.lines();
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    // top_reasons has no commas, so a plain split is exact here.
    let rows = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    (header, rows)
}

#[test]
fn the_list_is_ranked_explained_and_complete() {
    let w = Workdir::new();
    trained(&w);
    let run = w.run(&[
        "score",
        "--data",
        "d",
        "--out",
        "risk.csv",
        "--keep",
        "account_manager",
        "--show",
        "3",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let log = stderr(&run);
    assert!(
        log.contains("scored ") && log.contains("high risk") && log.contains("lapsed"),
        "{log}"
    );
    let (header, rows) = read_csv(&w, "risk.csv");
    assert_eq!(
        header,
        [
            "rank",
            "customer_id",
            "churn_probability",
            "risk_tier",
            "top_reasons",
            "value_at_risk",
            "recency_days",
            "orders_365d",
            "spend_365d",
            "open_tickets",
            "csat_last",
            "nps_last",
            "segment",
            "region",
            "account_manager"
        ]
    );
    assert!(rows.len() > 500, "{} rows", rows.len());
    let p: Vec<f64> = rows.iter().map(|r| r[2].parse().unwrap()).collect();
    assert!(
        p.windows(2).all(|w| w[0] >= w[1]),
        "not ranked by probability"
    );
    assert!(p.iter().all(|p| (0.0..=1.0).contains(p)));
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r[0], (i + 1).to_string());
        assert!(["high", "medium", "low"].contains(&r[3].as_str()));
        assert!(!r[14].is_empty(), "account manager carried through");
    }
    // Roughly the riskiest tenth is high risk, and every high-risk customer has reasons.
    let high: Vec<&Vec<String>> = rows.iter().filter(|r| r[3] == "high").collect();
    let share = high.len() as f64 / rows.len() as f64;
    assert!((0.03..0.3).contains(&share), "high share {share}");
    assert!(
        high.iter().all(|r| !r[4].is_empty()),
        "a high-risk customer without reasons"
    );
    assert!(high[0][4].split("; ").count() <= 3);
}

#[test]
fn filters_sorting_and_identical_bytes() {
    let w = Workdir::new();
    trained(&w);
    let ok = |args: &[&str]| {
        let run = w.run(args);
        assert!(run.status.success(), "{}", stderr(&run));
    };
    ok(&["score", "--data", "d", "--out", "a.csv", "--show", "0"]);
    ok(&[
        "score",
        "--data",
        "d",
        "--out",
        "b.csv",
        "--show",
        "0",
        "--threads",
        "1",
    ]);
    let same =
        |a: &str, b: &str| std::fs::read(w.join(a)).unwrap() == std::fs::read(w.join(b)).unwrap();
    assert!(same("a.csv", "b.csv"));
    // From the ingested copy (its events read a block of customers at a time) the list
    // is the same, in CSV and in Parquet.
    ok(&["score", "--data", "d", "--out", "a.parquet", "--show", "0"]);
    ok(&["ingest", "--data", "d"]);
    ok(&["score", "--data", "d", "--out", "c.csv", "--show", "0"]);
    ok(&["score", "--data", "d", "--out", "c.parquet", "--show", "0"]);
    assert!(same("a.csv", "c.csv"));
    assert!(same("a.parquet", "c.parquet"));
    // So is the evaluation, whose features and labels are made the same way.
    let evaluate = |extra: &[&str]| {
        let mut args = vec!["evaluate", "--data", "d", "--json", "--bootstrap", "20"];
        args.extend_from_slice(extra);
        let run = w.run(&args);
        assert!(run.status.success(), "{}", stderr(&run));
        (stderr(&run), run.stdout)
    };
    let (note, copied) = evaluate(&[]);
    assert!(note.contains("read the ingested copy"), "{note}");
    let (note, read) = evaluate(&["--read-files"]);
    assert!(!note.contains("ingested copy"), "{note}");
    assert_eq!(copied, read);
    ok(&["score", "--data", "d", "--out", "top.csv", "--top", "5"]);
    assert_eq!(read_csv(&w, "top.csv").1.len(), 5);
    ok(&[
        "score",
        "--data",
        "d",
        "--out",
        "min.csv",
        "--min-probability",
        "0.5",
    ]);
    assert!(read_csv(&w, "min.csv")
        .1
        .iter()
        .all(|r| r[2].parse::<f64>().unwrap() >= 0.5));
    ok(&[
        "score",
        "--data",
        "d",
        "--out",
        "value.csv",
        "--sort",
        "value",
    ]);
    let values: Vec<f64> = read_csv(&w, "value.csv")
        .1
        .iter()
        .map(|r| r[5].parse().unwrap())
        .collect();
    assert!(
        values.windows(2).all(|w| w[0] >= w[1]),
        "not ranked by value"
    );

    let run = w.run(&[
        "score",
        "--data",
        "d",
        "--out",
        "x.csv",
        "--keep",
        "shoe_size",
    ]);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        stderr(&run).contains("has no column \"shoe_size\" to keep (its columns: customer_id"),
        "{}",
        stderr(&run)
    );
    assert!(!w.join("x.csv").exists());
    let run = w.run(&[
        "score",
        "--data",
        "d",
        "--out",
        "x.csv",
        "--model",
        "missing-model",
    ]);
    assert!(
        stderr(&run).contains("no model \"missing-model\""),
        "{}",
        stderr(&run)
    );
}
