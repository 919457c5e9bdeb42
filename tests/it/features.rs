//! Every feature of the hand-made fixture, computed by hand (see support.rs for the events
//! and the dates around T).

use churn::features::{self, FeatureConfig, FeatureFrame};
use churn::schema::features::NUMERIC;

use crate::support::*;

const NAN: f64 = f64::NAN;

fn frame_at(t: &str) -> (churn::data::RawTables, FeatureFrame) {
    let w = Workdir::new();
    let raw = load(&write_fixture(&w));
    let frame = features::build(&raw, &[day(t)], FeatureConfig::default());
    (raw, frame)
}

/// The features of customer `id` in `frame`, by name, with NaN for unknown.
#[track_caller]
fn check(raw: &churn::data::RawTables, frame: &FeatureFrame, id: &str, expected: &[(&str, f64)]) {
    let customer = raw.customers.ids.iter().position(|c| c == id).unwrap() as u32;
    let row = frame
        .customer
        .iter()
        .position(|&c| c == customer)
        .unwrap_or_else(|| panic!("{id} not in the population"));
    for (name, want) in expected {
        let got = frame
            .column(name)
            .unwrap_or_else(|| panic!("no feature {name}"))
            .get(row);
        let same = (got.is_nan() && want.is_nan()) || (got - want).abs() < 1e-12;
        assert!(same, "{id}.{name}: got {got}, want {want}");
    }
}

#[test]
fn population_at_t() {
    let (raw, frame) = frame_at(T);
    let ids: Vec<&str> = frame
        .customer
        .iter()
        .map(|&c| raw.customers.ids[c as usize].as_str())
        .collect();
    // C3's last order is on T-90, outside (T-90, T]: lapsed. C4 signs up after T. C5 never ordered.
    assert_eq!(ids, ["C1", "C2", "C6", "C7"]);
    let p = frame.populations[0];
    assert_eq!(
        (p.as_of, p.active, p.lapsed, p.never_ordered),
        (day(T), 4, 1, 1)
    );
}

#[test]
fn order_features_by_hand() {
    let (raw, frame) = frame_at(T);
    check(
        &raw,
        &frame,
        "C1",
        &[
            ("recency_days", 0.0),
            ("tenure_days", 546.0),
            // (T-30, T]: only the order on T (late in the day still counts).
            ("orders_30d", 1.0),
            // (T-90, T]: T-30 and T; the order on T-90 does not count.
            ("orders_90d", 2.0),
            // (T-365, T]: the order on T-365 does not count, the one on T+1 is unknown at T.
            ("orders_365d", 5.0),
            ("spend_90d", 50.0),
            ("spend_365d", 150.0),
            ("avg_order_value_365d", 30.0),
            // (T-180, T-90]: only T-90 (T-180 is outside).
            ("orders_prev_90d", 1.0),
            ("order_trend", 1.0 / 3.0),
            // Six known orders from T-365 to T: 365 days / 5 gaps.
            ("mean_days_between_orders", 73.0),
        ],
    );
    check(
        &raw,
        &frame,
        "C2",
        &[
            ("recency_days", 0.0),
            ("tenure_days", 0.0),
            ("orders_365d", 1.0),
            ("avg_order_value_365d", 25.0),
            ("orders_prev_90d", 0.0),
            ("order_trend", 1.0),
            ("mean_days_between_orders", NAN),
        ],
    );
    check(
        &raw,
        &frame,
        "C7",
        &[("recency_days", 29.0), ("spend_90d", 15.5)],
    );
}

#[test]
fn ticket_features_by_hand() {
    let (raw, frame) = frame_at(T);
    check(
        &raw,
        &frame,
        "C1",
        &[
            // t1 (on T) and t3 (T-29); t5 on T-30 is outside.
            ("tickets_30d", 2.0),
            // t1, t3, t5; t2 on T-90 is outside; t4 on T+1 is unknown.
            ("tickets_90d", 3.0),
            // t1 never resolved, t3 resolved after T.
            ("open_tickets", 2.0),
            ("urgent_tickets_90d", 1.0),
            // t2 took 24 h, t5 6 h; t3 was not resolved by T.
            ("mean_resolution_hours_365d", 15.0),
        ],
    );
    // Resolved on T itself: closed at T, 240 hours.
    check(
        &raw,
        &frame,
        "C7",
        &[
            ("open_tickets", 0.0),
            ("tickets_30d", 1.0),
            ("mean_resolution_hours_365d", 240.0),
        ],
    );
    // A customer without tickets has zero counts, and no resolution time.
    check(
        &raw,
        &frame,
        "C2",
        &[
            ("tickets_90d", 0.0),
            ("open_tickets", 0.0),
            ("mean_resolution_hours_365d", NAN),
        ],
    );
}

#[test]
fn survey_features_by_hand() {
    let (raw, frame) = frame_at(T);
    check(
        &raw,
        &frame,
        "C1",
        &[
            // The CSAT of 4 on T is the latest known; the 10 on T+1 is not known yet.
            ("csat_last", 4.0),
            // (T-365, T]: 9 and 4; the 2 on T-365 is outside.
            ("csat_mean_365d", 6.5),
            ("nps_last", 6.0),
            ("nps_detractor", 1.0),
            ("days_since_last_survey", 0.0),
        ],
    );
    check(
        &raw,
        &frame,
        "C6",
        &[
            ("csat_last", NAN),
            ("nps_last", 9.0),
            ("nps_detractor", 0.0),
            ("days_since_last_survey", 149.0),
        ],
    );
    check(
        &raw,
        &frame,
        "C2",
        &[
            ("csat_last", NAN),
            ("nps_detractor", NAN),
            ("days_since_last_survey", NAN),
        ],
    );
}

#[test]
fn one_day_later_the_next_events_count() {
    // At T+1 the order, ticket and survey of T+1 become known.
    let (raw, frame) = frame_at("2025-07-01");
    check(
        &raw,
        &frame,
        "C1",
        &[
            ("recency_days", 0.0),
            ("orders_30d", 2.0),
            ("open_tickets", 2.0),
            ("csat_last", 10.0),
        ],
    );
}

#[test]
fn missing_optional_tables_give_null_features_and_a_warning() {
    let w = Workdir::new();
    w.write("data/customers.csv", CUSTOMERS);
    w.write("data/orders.csv", ORDERS);
    let (raw, report) = churn::data::load(&w.join("data"), &Default::default()).unwrap();
    assert!(raw.tickets.is_none() && raw.surveys.is_none());
    assert_eq!(report.warnings.len(), 2, "{:?}", report.warnings);
    assert!(report.warnings[0].contains("no tickets table"));
    let frame = features::build(&raw, &[day(T)], FeatureConfig::default());
    check(
        &raw,
        &frame,
        "C1",
        &[
            ("tickets_90d", NAN),
            ("open_tickets", NAN),
            ("csat_last", NAN),
            ("orders_90d", 2.0),
        ],
    );
}

#[test]
fn snapshots_stack_in_date_order() {
    let w = Workdir::new();
    let raw = load(&write_fixture(&w));
    let frame = features::build(&raw, &[day(T), day("2025-05-31")], FeatureConfig::default());
    let snapshots: Vec<i32> = frame.snapshot.clone();
    let first_t = snapshots.iter().position(|&s| s == day(T)).unwrap();
    assert!(snapshots[..first_t].iter().all(|&s| s == day("2025-05-31")));
    assert_eq!(frame.populations.len(), 2);
    assert_eq!(frame.populations[1].as_of, day(T));
    // The stacked frame equals the single snapshots computed one at a time.
    let alone = features::build(&raw, &[day(T)], FeatureConfig::default());
    for ((name, stacked), single) in NUMERIC.iter().zip(&frame.numeric).zip(&alone.numeric) {
        assert_eq!(stacked.len() - first_t, single.len());
        let stacked: Vec<u64> = stacked
            .iter_range(first_t..stacked.len())
            .map(f64::to_bits)
            .collect();
        assert_eq!(stacked, single.bits(), "{name}");
    }
}

#[test]
fn features_command_writes_the_table() {
    let w = Workdir::new();
    write_fixture(&w);
    let out = w.run(&[
        "features", "--data", "data", "--as-of", T, "--labels", "--out", "f.csv",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(w.join("f.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("snapshot,customer_id,recency_days,tenure_days,orders_30d"));
    assert!(header.ends_with("segment,region,churned"));
    let c7 = lines.find(|l| l.contains(",C7,")).unwrap();
    assert!(c7.starts_with("2025-06-30,C7,29,"), "{c7}");
    // C7's segment is empty in the data: it stays null.
    assert!(c7.ends_with(",,west,true"), "{c7}");
    // A fractional feature keeps its fraction: C1's CSAT answers of the year were 9 and 4.
    let at = header
        .split(',')
        .position(|c| c == "csat_mean_365d")
        .unwrap();
    let c1 = text.lines().find(|l| l.contains(",C1,")).unwrap();
    assert_eq!(c1.split(',').nth(at), Some("6.5"), "{c1}");
    let err = stderr(&out);
    assert!(
        err.contains("4 active customers featurised; left out 1 lapsed"),
        "{err}"
    );
}

#[test]
fn same_bytes_with_one_thread_and_with_four() {
    let w = Workdir::new();
    let run = w.run(&[
        "generate",
        "--customers",
        "3000",
        "--seed",
        "5",
        "--out",
        "d",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    for ext in ["csv", "parquet"] {
        let mut outputs = Vec::new();
        for threads in ["1", "4"] {
            let out = format!("f{threads}.{ext}");
            let run = w.run(&[
                "features",
                "--data",
                "d",
                "--labels",
                "--snapshots",
                "3",
                "--threads",
                threads,
                "--out",
                &out,
            ]);
            assert!(run.status.success(), "{}", stderr(&run));
            outputs.push(std::fs::read(w.join(&out)).unwrap());
        }
        assert!(
            outputs[0] == outputs[1],
            "{ext} output differs between 1 and 4 threads"
        );
    }
}

#[test]
fn fingerprint_counts_and_changes_with_any_value() {
    let w = Workdir::new();
    let raw = load(&write_fixture(&w));
    let f = churn::data::fingerprint(&raw);
    assert_eq!(
        (f.customers, f.orders, f.tickets, f.surveys),
        (7, 15, Some(6), Some(7))
    );
    assert_eq!(f.first_order.as_deref(), Some("2024-06-30"));
    assert_eq!(f.data_end, "2025-09-29");
    // Pinned: models record it, so a change in how it is computed (not in the data) must
    // not change it.
    assert_eq!(f.content_hash, "f447adcc870b39c0f3253fefd2979a88");
    // Reordering rows within a file does not matter; changing one amount does.
    w.write(
        "data/orders.csv",
        &ORDERS.replace("o8,C2,2025-06-30,25", "o8,C2,2025-06-30,25.01"),
    );
    assert_ne!(
        churn::data::fingerprint(&load(&w.join("data"))).content_hash,
        f.content_hash
    );
    let mut lines: Vec<&str> = ORDERS.lines().collect();
    lines[1..].reverse();
    w.write("data/orders.csv", &(lines.join("\n") + "\n"));
    assert_eq!(churn::data::fingerprint(&load(&w.join("data"))), f);
}

/// `--json` summaries are what a batch job parses: they must agree with the files written,
/// stay alone on stdout, and no progress spinner may leak into a log that is not a terminal.
#[test]
fn json_summaries_agree_with_the_files() {
    let w = Workdir::new();
    let run = w.run(&["generate", "--customers", "300", "--out", "d", "--json"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let g: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(g["customers"], 300);
    let lines = |file: &str| {
        std::fs::read_to_string(w.join(file))
            .unwrap()
            .lines()
            .count()
            - 1
    };
    assert_eq!(
        g["orders"].as_u64().unwrap() as usize,
        lines("d/orders.csv")
    );
    assert_eq!(
        g["tickets"].as_u64().unwrap() as usize,
        lines("d/tickets.csv")
    );
    assert!(
        !stderr(&run).contains('\r'),
        "no spinner when stderr is not a terminal"
    );

    let run = w.run(&[
        "features",
        "--data",
        "d",
        "--labels",
        "--snapshots",
        "2",
        "--out",
        "f.csv",
        "--json",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let f: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let snapshots = f["snapshots"].as_array().unwrap();
    assert_eq!(snapshots.len(), 2);
    let active: u64 = snapshots
        .iter()
        .map(|s| s["active"].as_u64().unwrap())
        .sum();
    assert_eq!(f["rows"].as_u64().unwrap(), active);
    assert_eq!(active as usize, lines("f.csv"));
    let churned = std::fs::read_to_string(w.join("f.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| l.ends_with(",true"))
        .count();
    assert_eq!(f["label"]["churned"].as_u64().unwrap() as usize, churned);
    assert_eq!(f["label"]["horizon_days"], 90);
}
