//! The generator: deterministic for a seed, readable as CSV and Parquet with identical
//! features, and with the intended character.

use churn::features::{self, FeatureConfig};
use churn::labels::{self, LabelDefinition, LabelSpec};

use crate::support::*;

fn generate(w: &Workdir, out: &str, extra: &[&str]) {
    let mut args = vec![
        "generate",
        "--customers",
        "3000",
        "--seed",
        "7",
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    let run = w.run(&args);
    assert!(run.status.success(), "{}", stderr(&run));
}

fn read_all(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn same_seed_same_bytes_and_a_new_seed_differs() {
    let w = Workdir::new();
    generate(&w, "a", &["--truth"]);
    generate(&w, "b", &["--truth", "--threads", "1"]);
    let a = read_all(&w.join("a"));
    assert_eq!(
        a.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        [
            "customers.csv",
            "orders.csv",
            "surveys.csv",
            "tickets.csv",
            "truth.csv"
        ]
    );
    assert!(a == read_all(&w.join("b")), "same seed, different bytes");
    let run = w.run(&[
        "generate",
        "--customers",
        "3000",
        "--seed",
        "8",
        "--out",
        "c",
    ]);
    assert!(run.status.success());
    assert_ne!(read_all(&w.join("a"))[1], read_all(&w.join("c"))[1]);
    // An existing directory is never overwritten without --force.
    let run = w.run(&["generate", "--customers", "10", "--out", "a"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(stderr(&run).contains("already exists and is not empty; pass --force"));
}

#[test]
fn csv_and_parquet_give_identical_features() {
    let w = Workdir::new();
    generate(&w, "csv", &[]);
    generate(&w, "parquet", &["--format", "parquet"]);
    let a = load(&w.join("csv"));
    let b = load(&w.join("parquet"));
    assert_eq!(a, b, "the raw tables differ");
    assert_eq!(churn::data::fingerprint(&a), churn::data::fingerprint(&b));
    let dates = [a.data_end - 120, a.data_end - 90];
    let fa = features::build(&a, &dates, FeatureConfig::default());
    let fb = features::build(&b, &dates, FeatureConfig::default());
    assert_eq!(fa.customer, fb.customer);
    for (x, y) in fa.numeric.iter().zip(&fb.numeric) {
        assert_eq!(x.bits(), y.bits());
    }
}

#[test]
fn the_data_behaves_like_a_business() {
    let w = Workdir::new();
    let run = w.run(&[
        "generate",
        "--customers",
        "8000",
        "--seed",
        "1",
        "--out",
        "d",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let raw = load(&w.join("d"));
    let t = labels::latest_labelable(raw.data_end, 90);
    let frame = features::build(&raw, &[t], FeatureConfig::default());
    let labels = labels::build(
        &raw,
        &frame,
        LabelSpec {
            horizon_days: 90,
            definition: LabelDefinition::Either,
        },
    )
    .unwrap();
    let n = labels.len();
    let churned = labels.iter().filter(|&&l| l).count();
    let rate = churned as f64 / n as f64;
    assert!(n > 2000, "population {n}");
    assert!((0.10..=0.40).contains(&rate), "churn rate {rate}");

    let mean_by = |name: &str, want: bool| {
        let col = frame.column(name).unwrap();
        let vals: Vec<f64> = col
            .iter()
            .zip(&labels)
            .filter(|(v, l)| **l == want && !v.is_nan())
            .map(|(v, _)| v)
            .collect();
        vals.iter().sum::<f64>() / vals.len() as f64
    };
    let (rec_c, rec_s) = (
        mean_by("recency_days", true),
        mean_by("recency_days", false),
    );
    let (tick_c, tick_s) = (mean_by("tickets_90d", true), mean_by("tickets_90d", false));
    assert!(
        rec_c > rec_s * 1.3,
        "recency: churners {rec_c}, stayers {rec_s}"
    );
    assert!(
        tick_c > tick_s,
        "tickets: churners {tick_c}, stayers {tick_s}"
    );
    // Surveys are sparse: most customers have none.
    let csat = frame.column("csat_last").unwrap();
    let known = csat.iter().filter(|v| !v.is_nan()).count() as f64 / n as f64;
    assert!((0.05..0.8).contains(&known), "csat known for {known}");
    // Some churners cancel explicitly.
    let cancelled = raw
        .customers
        .churned_at
        .as_ref()
        .unwrap()
        .iter()
        .filter(|c| c.is_some())
        .count();
    assert!(cancelled > 100, "{cancelled} explicit cancellations");
}

#[test]
fn large_data_sets_are_written_as_part_files() {
    let w = Workdir::new();
    let run = w.run(&[
        "generate",
        "--customers",
        "50001",
        "--seed",
        "3",
        "--out",
        "big",
        "--format",
        "parquet",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(w.join("big/orders/part-00000.parquet").exists());
    assert!(w.join("big/orders/part-00001.parquet").exists());
    let raw = load(&w.join("big"));
    assert_eq!(raw.customers.len(), 50_001);
    assert_eq!(raw.customers.ids[50_000], "C0050001");
}
