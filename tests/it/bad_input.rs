//! One test per class of bad input: each must exit 1 (no panic, no output file) with a
//! message naming the file, the column, the first offending row and value, and the count.

use crate::support::*;

/// Writes the fixture with `table` replaced by `text`, runs `features`, and checks that
/// the error contains every one of `expected`.
#[track_caller]
fn check(replace: &[(&str, &str)], expected: &[&str]) {
    let w = Workdir::new();
    write_fixture(&w);
    for (file, text) in replace {
        let path = w.join(&format!("data/{file}"));
        let _ = std::fs::remove_file(&path);
        if !text.is_empty() || file.ends_with(".xlsx") {
            w.write(&format!("data/{file}"), text);
        }
    }
    let out = w.run(&["features", "--data", "data", "--as-of", T, "--out", "f.csv"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "exit code; stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    for e in expected {
        assert!(err.contains(e), "missing {e:?} in:\n{err}");
    }
    assert!(
        !w.join("f.csv").exists(),
        "a failed run must not leave an output"
    );
}

fn orders_with(extra_row: &str) -> String {
    format!("{ORDERS}{extra_row}\n")
}

#[test]
fn missing_required_column() {
    check(
        &[(
            "orders.csv",
            "order_id,customer_id,order_date\no1,C1,2025-01-01\n",
        )],
        &["orders.csv, column `amount`: required column is missing"],
    );
}

#[test]
fn unparseable_date() {
    let orders = orders_with("o16,C1,2025-13-01,5\no17,C1,01/02/2025,5");
    check(
        &[("orders.csv", &orders)],
        &[
            "orders.csv, column `order_date`, row 16 (line 17): not an ISO 8601 date",
            "\"2025-13-01\"",
            "[2 rows affected]",
        ],
    );
}

#[test]
fn unparseable_number() {
    check(
        &[("orders.csv", &orders_with("o16,C1,2025-01-01,12,5"))],
        &["orders.csv: cannot be read: row 16 (line 17) has 5 fields, the header has 4: \"o16,C1,2025-01-01,12,5\""],
    );
    check(
        &[("orders.csv", &orders_with("o16,C1,2025-01-01,twelve"))],
        &["orders.csv, column `amount`, row 16 (line 17): not a number: \"twelve\" [1 row affected]"],
    );
}

#[test]
fn negative_amount() {
    check(
        &[("orders.csv", &orders_with("o16,C1,2025-01-01,-3.5"))],
        &["orders.csv, column `amount`, row 16 (line 17): negative amount: \"-3.5\" [1 row affected]"],
    );
}

#[test]
fn score_out_of_range() {
    let surveys =
        format!("{SURVEYS}C2,2025-06-01,csat,11\nC2,2025-06-02,nps,0\nC2,2025-06-03,csat,0\n");
    check(
        &[("surveys.csv", &surveys)],
        &["surveys.csv, column `score`, row 8 (line 9): out of range (csat scores are 1-10): \"11\" [2 rows affected]"],
    );
}

#[test]
fn duplicate_id() {
    check(
        &[(
            "orders.csv",
            &orders_with("o3,C2,2025-01-01,1\no3,C2,2025-01-02,1"),
        )],
        &[
            "orders.csv, column `order_id`, row 16 (line 17): duplicate id",
            "\"o3\"",
            "[2 rows affected]",
        ],
    );
    let customers = format!("{CUSTOMERS}C2,2025-01-01,smb,north,,x\n");
    check(
        &[("customers.csv", &customers)],
        &[
            "customers.csv, column `customer_id`, row 8 (line 9): duplicate id",
            "\"C2\"",
        ],
    );
}

#[test]
fn ticket_resolved_before_created() {
    let tickets = format!("{TICKETS}t7,C2,2025-06-20T12:00:00,low,2025-06-20T11:59:59\n");
    check(
        &[("tickets.csv", &tickets)],
        &["tickets.csv, column `resolved_at`, row 7 (line 8): ticket resolved before it was created: \"2025-06-20T11:59:59\""],
    );
}

#[test]
fn unknown_priority_and_kind() {
    let tickets = format!("{TICKETS}t7,C2,2025-06-20T12:00:00,critical,\n");
    check(&[("tickets.csv", &tickets)], &["tickets.csv, column `priority`, row 7 (line 8): unknown value (allowed: low, normal, high, urgent): \"critical\""]);
    let surveys = format!("{SURVEYS}C2,2025-06-01,ces,3\n");
    check(&[("surveys.csv", &surveys)], &["surveys.csv, column `kind`, row 8 (line 9): unknown value (allowed: csat, nps): \"ces\""]);
}

#[test]
fn missing_required_value() {
    check(
        &[("orders.csv", &orders_with("o16,,2025-01-01,1"))],
        &["orders.csv, column `customer_id`, row 16 (line 17): empty value in a required column"],
    );
}

#[test]
fn orders_of_unknown_customers() {
    let orders = orders_with("o16,C99,2025-01-01,1\no17,C98,2025-01-01,1");
    check(
        &[("orders.csv", &orders)],
        &["orders.csv, column `customer_id`, row 16 (line 17): customer_id not in the customers table: \"C99\" [2 rows affected]"],
    );
    // With the flag they are dropped, with a warning giving the count.
    let w = Workdir::new();
    write_fixture(&w);
    w.write("data/orders.csv", &orders);
    let out = w.run(&[
        "features",
        "--data",
        "data",
        "--as-of",
        T,
        "--drop-unknown-customers",
        "--out",
        "f.csv",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out)
        .contains("warning: dropped 2 orders rows of customers missing from the customers table"));
}

#[test]
fn empty_table() {
    check(
        &[("orders.csv", "order_id,customer_id,order_date,amount\n")],
        &["orders.csv: the table has no rows"],
    );
    check(&[("orders.csv", " ")], &["orders.csv"]);
}

#[test]
fn not_csv_or_parquet() {
    check(
        &[("orders.csv", ""), ("orders.xlsx", "PK\u{3}\u{4}")],
        &["orders.xlsx: not a CSV or Parquet file"],
    );
}

#[test]
fn missing_required_table() {
    check(
        &[("orders.csv", "")],
        &["table not found (expected <table>.csv"],
    );
}

#[test]
fn data_directory_that_does_not_exist() {
    let w = Workdir::new();
    let out = w.run(&["features", "--data", "nowhere", "--out", "f.csv"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("data directory nowhere does not exist"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn validate_reports_everything_at_once() {
    let w = Workdir::new();
    write_fixture(&w);
    w.write(
        "data/orders.csv",
        &orders_with("o16,C1,2025-01-01,-1\no3,C2,bad,1"),
    );
    w.write(
        "data/surveys.csv",
        &format!("{SURVEYS}C2,2025-06-01,nps,11\n"),
    );
    let out = w.run(&["validate", "--data", "data"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("orders: 17 rows, 2024-06-30 to 2025-09-29 (1 file)"),
        "{text}"
    );
    assert!(text.contains("negative amount"), "{text}");
    assert!(text.contains("duplicate id"), "{text}");
    assert!(text.contains("not an ISO 8601 date"), "{text}");
    assert!(
        text.contains("out of range (nps scores are 0-10)"),
        "{text}"
    );
    assert!(text.contains("4 problem(s) found"), "{text}");
    // A clean directory passes, with per-column null shares.
    write_fixture(&w);
    let out = w.run(&["validate", "--data", "data"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("customers: 7 rows, 2024-01-01 to 2025-07-01 (1 file)"),
        "{text}"
    );
    assert!(
        text.contains("churned_at               nulls  71.43%"),
        "{text}"
    );
    assert!(text.contains("ok: no problems found"), "{text}");
}

#[test]
fn column_mapping_renames_their_columns() {
    let w = Workdir::new();
    write_fixture(&w);
    w.write(
        "data/orders.csv",
        &ORDERS.replacen("order_date,amount", "created,total_eur", 1),
    );
    w.write("map.toml", "[orders]\norder_date = \"created\"\n");
    let out = w.run(&[
        "features",
        "--data",
        "data",
        "--as-of",
        T,
        "--columns",
        "map.toml",
        "--map",
        "orders.amount=total_eur",
        "--out",
        "f.csv",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Without the mapping the error uses their file's view: our name is missing.
    let out = w.run(&["features", "--data", "data", "--as-of", T, "--out", "f.csv"]);
    assert!(stderr(&out).contains("column `order_date`: required column is missing"));
}
