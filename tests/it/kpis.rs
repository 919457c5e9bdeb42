//! `churn kpis`: the KPI table checked by hand on the fixture, and against the raw files
//! of a generated business (2,000 customers) in its text, JSON and CSV forms.

use std::collections::HashMap;

use polars::prelude::{ParquetReader, SerReader};
use serde_json::Value;

use crate::support::*;

/// The activity window the command uses by default.
const ACTIVE_DAYS: i32 = 90;

fn generated(w: &Workdir) {
    let run = w.run(&[
        "generate",
        "--customers",
        "2000",
        "--seed",
        "7",
        "--out",
        "d",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
}

/// Runs `churn kpis` with `args` (after `--data`) and returns stdout and stderr.
#[track_caller]
fn kpis(w: &Workdir, data: &str, args: &[&str]) -> (String, String) {
    let mut all = vec!["kpis", "--data", data];
    all.extend_from_slice(args);
    let run = w.run(&all);
    assert!(run.status.success(), "{}", stderr(&run));
    let log = stderr(&run);
    (String::from_utf8(run.stdout).unwrap(), log)
}

/// The `rows` of `kpis --json`.
#[track_caller]
fn json_rows(w: &Workdir, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let (stdout, _) = kpis(w, "d", &all);
    let table: Value = serde_json::from_str(&stdout).unwrap();
    table["rows"].as_array().unwrap().clone()
}

fn int(row: &Value, field: &str) -> i64 {
    row[field]
        .as_i64()
        .unwrap_or_else(|| panic!("{field} in {row}"))
}

fn float(row: &Value, field: &str) -> Option<f64> {
    row[field].as_f64()
}

fn text<'a>(row: &'a Value, field: &str) -> &'a str {
    row[field].as_str().unwrap()
}

/// `numerator / denominator` as the library computes it, `None` for a zero denominator.
fn ratio(numerator: f64, denominator: i64) -> Option<f64> {
    (denominator > 0).then(|| numerator / denominator as f64)
}

/// June 2025 of the fixture (`support.rs`), with `--active-days 90`: T0 = 2025-05-31 (the
/// end of the day before the month), T1 = 2025-06-30; the window at T0 is (2025-03-02,
/// 2025-05-31], at T1 it is (2025-04-01, 2025-06-30].
/// - C1 (smb): orders 04-01 and 05-31 in T0's window, 05-31 and 06-30 in T1's: active at
///   both, not churned. One order in June (40), after earlier ones: a returning buyer.
///   Last CSAT before June 1 is 9 (2025-01-10; the 4 is on 06-30): an advocate. Last NPS
///   6 (2025-03-01): a detractor.
/// - C3 (consumer): 04-01 is in T0's window but not T1's (it is T1 - 90, excluded): active
///   at the start, lapsed in June, so churned. No order in June, no surveys.
/// - C2 (consumer, first order 06-30, 25), C6 (enterprise, first order 06-15, 200) and C7
///   (no segment, first order 06-01, 15.5): not active on May 31 (no order yet), each a
///   new buyer in June.
/// - C4 (first order in July) and C5 (no orders) count nowhere.
///
/// So `all`: active 2, churned 1 (C3): churn 1/2 = 50.0%, retention 50.0%; new 3; buyers
/// 4, of whom 1 returning: repeat 1/4 = 25.0%; 4 orders, revenue 40 + 25 + 200 + 15.5 =
/// 280.5: AOV 280.5 / 4 = 70.125, shown as 70.12 (the tie is rounded to even); frequency
/// 4 / 4 = 1.00; CLV 70.125 × 1 / 0.5 = 140.25 → 140. CSAT respondents: C1 only, an
/// advocate, so the 1-6 share is 0/1 = 0.0%, its churn undefined (–), the advocates'
/// 0/1 = 0.0%. NPS: one detractor of one respondent: 100 × (0 - 1) / 1 = -100.
///
/// Segments (sorted levels, then `unknown` for C7's null): consumer = C3 (active, churned)
/// and C2 (new, 25); enterprise = C6 (new, 200; nobody active, so churn is undefined);
/// smb = C1; unknown = C7 (new, 15.5). The counts of the four add up to the `all` row.
#[test]
fn one_month_of_the_fixture_worked_by_hand() {
    let w = Workdir::new();
    write_fixture(&w);
    let (stdout, stderr) = kpis(
        &w,
        "data",
        &[
            "--from",
            "2025-06-01",
            "--to",
            "2025-06-30",
            "--by",
            "segment",
        ],
    );
    let expected = "\
period  group      active churned churn% retain%   new buyers repeat%      AOV  freq     CLV csat1-6  churn 1-6/9+  NPS
2025-06 all             2       1  50.0%   50.0%     3      4   25.0%    70.12  1.00     140    0.0%        –/0.0% -100
2025-06 consumer        1       1 100.0%    0.0%     1      1    0.0%    25.00  1.00      25       –           –/–    –
2025-06 enterprise      0       0      –       –     1      1    0.0%   200.00  1.00       –       –           –/–    –
2025-06 smb             1       0   0.0%  100.0%     0      1  100.0%    40.00  1.00       –    0.0%        –/0.0% -100
2025-06 unknown         0       0      –       –     1      1    0.0%    15.50  1.00       –       –           –/–    –
";
    assert_eq!(stdout, expected);
    let summary = stderr.lines().last().unwrap();
    assert_eq!(
        summary,
        "1 month from 2025-06-01 to 2025-06-30, split by segment (active = ordered within 90 days); \
         average monthly churn 50.0%"
    );

    let (stdout, _) = kpis(
        &w,
        "data",
        &["--from", "2025-06-01", "--to", "2025-06-30", "--json"],
    );
    let table: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(table["period"], "month");
    assert_eq!(table["by"], Value::Null);
    assert_eq!(table["active_days"], 90);
    let rows = table["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(
        (text(r, "period"), text(r, "start"), text(r, "end")),
        ("2025-06", "2025-06-01", "2025-07-01")
    );
    assert_eq!(float(r, "revenue"), Some(280.5));
    assert_eq!(float(r, "aov"), Some(70.125));
    assert_eq!(float(r, "clv"), Some(140.25));
    assert_eq!(r["csat"]["at_risk"]["churn_rate"], Value::Null);
    assert_eq!(r["nps"]["score"].as_f64(), Some(-100.0));
}

/// The fixture's full quarters are 2024-Q3 to 2025-Q2: orders start on 2024-06-30, so the
/// first quarter starting on or after it is July; the data ends on 2025-09-29, one day
/// short of 2025-Q3. Active at each quarter's eve, 90-day windows:
/// - 2024-06-30: C1 (its order that day). By 2024-09-30 (window from 07-02, exclusive)
///   C1 has no order: lapsed. Churn 1/1 = 100%.
/// - 2024-09-30: nobody (C1's 07-01 order is just outside), so churn is undefined.
/// - 2024-12-31: C3 (12-01). Next order 2025-04-01, after the quarter: churn 1/1 = 100%.
/// - 2025-03-31: C1 (01-01), still active on 06-30: churn 0/1 = 0%.
///
/// Each quarterly rate q becomes the monthly m with 1 - m = (1 - q)^(1/3): 100% stays
/// 100%, 0% stays 0%, and the undefined quarter is skipped: (1 + 1 + 0) / 3 = 66.7%.
#[test]
fn quarters_of_the_fixture_and_their_monthly_churn() {
    let w = Workdir::new();
    write_fixture(&w);
    let (stdout, stderr) = kpis(&w, "data", &["--period", "quarter"]);
    let periods_and_churn: Vec<(&str, &str)> = stdout
        .lines()
        .skip(1)
        .map(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            (cells[0], cells[4])
        })
        .collect();
    assert_eq!(
        periods_and_churn,
        [
            ("2024-Q3", "100.0%"),
            ("2024-Q4", "–"),
            ("2025-Q1", "100.0%"),
            ("2025-Q2", "0.0%")
        ]
    );
    assert!(
        stderr.ends_with(
            "4 quarters from 2024-07-01 to 2025-06-30 (active = ordered within 90 days); \
             average monthly churn 66.7%\n"
        ),
        "{stderr}"
    );
}

/// One customer of the raw files: what the KPIs are defined on.
#[derive(Default)]
struct Customer {
    signup: i32,
    churned_at: Option<i32>,
    /// (day, amount), sorted by day.
    orders: Vec<(i32, f64)>,
}

impl Customer {
    /// Signed up by the end of day `t` and ordered in `(t - ACTIVE_DAYS, t]`.
    fn is_active(&self, t: i32) -> bool {
        self.signup <= t
            && self
                .orders
                .iter()
                .any(|&(d, _)| d > t - ACTIVE_DAYS && d <= t)
    }
}

/// Reads the generated customers and orders with plain string splitting (the generated
/// files hold no quoted commas), independently of the library's reader.
fn read_raw(w: &Workdir) -> Vec<Customer> {
    let customers = std::fs::read_to_string(w.join("d/customers.csv")).unwrap();
    let mut lines = customers.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (id, signup, churned_at) = (col("customer_id"), col("signup_date"), col("churned_at"));
    let mut index = HashMap::new();
    let mut out = Vec::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        index.insert(cells[id].to_string(), out.len());
        out.push(Customer {
            signup: day(cells[signup]),
            churned_at: (!cells[churned_at].is_empty()).then(|| day(cells[churned_at])),
            orders: Vec::new(),
        });
    }
    let orders = std::fs::read_to_string(w.join("d/orders.csv")).unwrap();
    let mut lines = orders.lines();
    assert_eq!(
        lines.next().unwrap(),
        "order_id,customer_id,order_date,amount"
    );
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let customer = &mut out[index[cells[1]]];
        customer
            .orders
            .push((day(cells[2]), cells[3].parse().unwrap()));
    }
    for c in &mut out {
        c.orders.sort_by_key(|o| o.0);
    }
    out
}

/// Every monthly row, recounted from the raw files with the definitions of the module
/// doc, and every rate recomputed from its counts.
#[test]
fn monthly_rows_agree_with_the_raw_data() {
    let w = Workdir::new();
    generated(&w);
    let customers = read_raw(&w);
    let rows = json_rows(&w, &[]);
    assert!(rows.len() >= 30, "{} months", rows.len());
    for (r, next) in rows.iter().zip(rows.iter().skip(1)) {
        assert_eq!(
            text(r, "end"),
            text(next, "start"),
            "months are consecutive"
        );
    }
    let mut checked_churn = 0;
    for r in &rows {
        assert_eq!(text(r, "group"), "all");
        let (start, end) = (day(text(r, "start")), day(text(r, "end")));
        assert_eq!(text(r, "period"), &text(r, "start")[..7]);
        let (t0, t1) = (start - 1, end - 1);
        let (mut active, mut churned, mut new, mut buyers, mut returning) = (0, 0, 0, 0, 0);
        let mut multi = 0;
        let (mut orders, mut revenue) = (0, 0.0);
        for c in &customers {
            if c.is_active(t0) {
                active += 1;
                let cancelled = c.churned_at.is_some_and(|d| d > t0 && d <= t1);
                churned += i64::from(!c.is_active(t1) || cancelled);
            }
            let in_period: Vec<f64> = c
                .orders
                .iter()
                .filter(|&&(d, _)| d >= start && d < end)
                .map(|&(_, a)| a)
                .collect();
            if !in_period.is_empty() {
                buyers += 1;
                orders += in_period.len() as i64;
                multi += i64::from(in_period.len() >= 2);
                revenue += in_period.iter().sum::<f64>();
                if c.orders[0].0 >= start {
                    new += 1;
                } else {
                    returning += 1;
                }
            }
        }
        let month = text(r, "period");
        assert_eq!(int(r, "active_start"), active, "{month}");
        assert_eq!(int(r, "churned"), churned, "{month}");
        assert_eq!(int(r, "new"), new, "{month}");
        assert_eq!(int(r, "buyers"), buyers, "{month}");
        assert_eq!(int(r, "returning_buyers"), returning, "{month}");
        assert_eq!(int(r, "orders"), orders, "{month}");
        assert_eq!(int(r, "multi_order_buyers"), multi, "{month}");
        assert_eq!(float(r, "multi_order_rate"), ratio(multi as f64, buyers));
        // Sums in another order differ in the last bits only.
        let r_revenue = float(r, "revenue").unwrap();
        assert!((r_revenue - revenue).abs() <= 1e-9 * revenue, "{month}");

        let churn = ratio(churned as f64, active);
        assert_eq!(float(r, "churn_rate"), churn, "{month}");
        assert_eq!(float(r, "retention_rate"), churn.map(|c| 1.0 - c));
        let returning_rate = ratio(returning as f64, buyers);
        assert_eq!(float(r, "repeat_purchase_rate"), returning_rate);
        let aov = ratio(r_revenue, orders);
        let frequency = ratio(orders as f64, buyers);
        assert_eq!(float(r, "aov"), aov);
        assert_eq!(float(r, "purchase_frequency"), frequency);
        let clv = match (aov, frequency, churn) {
            (Some(a), Some(f), Some(c)) if c > 0.0 => Some(a * f / c),
            _ => None,
        };
        assert_eq!(float(r, "clv"), clv, "{month}");
        checked_churn += usize::from(churned > 0);

        for survey in ["csat", "nps"] {
            let bands = r[survey].as_object().unwrap();
            let mut respondents = 0;
            for band in bands.values().filter(|b| b.is_object()) {
                let (n, lost) = (int(band, "customers"), int(band, "churned"));
                assert!(lost <= n, "{month} {survey}");
                assert_eq!(float(band, "churn_rate"), ratio(lost as f64, n));
                respondents += n;
            }
            assert!(respondents <= active, "{month} {survey}");
        }
    }
    assert!(checked_churn >= 25, "churn seen in {checked_churn} months");
}

/// Quarters are named by their first month, and their additive counts are those of their
/// three months; a quarter's population is that of its first month (the same eve).
#[test]
fn quarters_add_up_their_months() {
    let w = Workdir::new();
    generated(&w);
    let months = json_rows(&w, &[]);
    let quarters = json_rows(&w, &["--period", "quarter"]);
    assert!(quarters.len() >= 10, "{} quarters", quarters.len());
    for q in &quarters {
        let start = text(q, "start");
        let month: u32 = start[5..7].parse().unwrap();
        assert_eq!(
            text(q, "period"),
            format!("{}-Q{}", &start[..4], (month - 1) / 3 + 1)
        );
        let first = months
            .iter()
            .position(|m| text(m, "start") == start)
            .unwrap_or_else(|| panic!("no month starts the quarter {start}"));
        let three = &months[first..first + 3];
        assert_eq!(text(&three[2], "end"), text(q, "end"));
        for field in ["new", "orders"] {
            let sum: i64 = three.iter().map(|m| int(m, field)).sum();
            assert_eq!(int(q, field), sum, "{} {field}", text(q, "period"));
        }
        assert_eq!(int(q, "active_start"), int(&three[0], "active_start"));
        let most = three.iter().map(|m| int(m, "buyers")).max().unwrap();
        let sum: i64 = three.iter().map(|m| int(m, "buyers")).sum();
        assert!((most..=sum).contains(&int(q, "buyers")));
    }
}

/// The counts of a period's group rows add up to its `all` row, in the text, JSON and
/// file outputs alike.
#[test]
fn segments_add_up_to_all() {
    let w = Workdir::new();
    generated(&w);
    let rows = json_rows(&w, &["--by", "segment"]);
    let counts = [
        "active_start",
        "churned",
        "new",
        "orders",
        "buyers",
        "returning_buyers",
        "multi_order_buyers",
    ];
    let periods: Vec<&[Value]> = rows.chunk_by(|a, b| a["period"] == b["period"]).collect();
    assert!(periods.len() >= 30);
    for period in periods {
        let groups: Vec<&str> = period.iter().map(|r| text(r, "group")).collect();
        // The generator never leaves a segment empty: no `unknown` row.
        assert_eq!(groups, ["all", "consumer", "enterprise", "smb"]);
        let (all, levels) = (&period[0], &period[1..]);
        for field in counts {
            let sum: i64 = levels.iter().map(|r| int(r, field)).sum();
            assert_eq!(int(all, field), sum, "{} {field}", text(all, "period"));
        }
        for band in ["at_risk", "satisfied", "advocate"] {
            let sum: i64 = levels
                .iter()
                .map(|r| int(&r["csat"][band], "customers"))
                .sum();
            assert_eq!(int(&all["csat"][band], "customers"), sum);
        }
        let revenue: f64 = levels.iter().map(|r| float(r, "revenue").unwrap()).sum();
        let all_revenue = float(all, "revenue").unwrap();
        assert!((all_revenue - revenue).abs() <= 1e-9 * all_revenue);
    }
}

/// Flattens a JSON row as `--out` names its columns: nested fields joined with `_`.
fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(fields) => {
            for (name, field) in fields {
                let name = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}_{name}")
                };
                flatten(&name, field, out);
            }
        }
        _ => out.push((prefix.to_string(), value.clone())),
    }
}

/// `--out kpis.csv` holds the JSON's rows: the same columns in the same order, and the
/// same numbers to the last bit; its bytes do not depend on the thread count.
#[test]
fn the_file_holds_the_json_numbers() {
    let w = Workdir::new();
    generated(&w);
    let (stdout, stderr) = kpis(
        &w,
        "d",
        &[
            "--by",
            "region",
            "--json",
            "--out",
            "kpis.csv",
            "--threads",
            "1",
        ],
    );
    assert!(stderr.contains("rows to kpis.csv"), "{stderr}");
    let table: Value = serde_json::from_str(&stdout).unwrap();
    let rows = table["rows"].as_array().unwrap();

    let csv = std::fs::read_to_string(w.join("kpis.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header, HEADER);
    let lines: Vec<&str> = lines.collect();
    assert_eq!(lines.len(), rows.len());
    for (line, row) in lines.iter().zip(rows) {
        let mut fields = Vec::new();
        flatten("", row, &mut fields);
        let mut names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        let mut sorted_header = header.clone();
        sorted_header.sort_unstable();
        assert_eq!(names, sorted_header, "one column per JSON field");
        let fields: HashMap<String, Value> = fields.into_iter().collect();
        for (name, cell) in header.iter().zip(line.split(',')) {
            match &fields[*name] {
                Value::Null => assert_eq!(cell, "", "{name}"),
                Value::String(s) => assert_eq!(cell, s, "{name}"),
                Value::Number(n) => {
                    let parsed: f64 = cell.parse().unwrap();
                    assert_eq!(parsed, n.as_f64().unwrap(), "{name} in {line}");
                }
                other => panic!("{name}: unexpected {other}"),
            }
        }
    }
    // Some rate is undefined somewhere (an empty band), so nulls were exercised.
    assert!(lines.iter().any(|l| l.contains(",,")));

    kpis(
        &w,
        "d",
        &["--by", "region", "--out", "again.csv", "--threads", "2"],
    );
    assert!(
        std::fs::read(w.join("kpis.csv")).unwrap() == std::fs::read(w.join("again.csv")).unwrap()
    );

    kpis(&w, "d", &["--by", "region", "--out", "kpis.parquet"]);
    let file = std::fs::File::open(w.join("kpis.parquet")).unwrap();
    let df = ParquetReader::new(file).finish().unwrap();
    let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
    assert_eq!(names, HEADER);
    let churn: Vec<Option<f64>> = df
        .column("churn_rate")
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .collect();
    let expected: Vec<Option<f64>> = rows.iter().map(|r| float(r, "churn_rate")).collect();
    assert_eq!(churn, expected);
}

/// The columns of `--out`: the fields of a JSON row in their order, bands flattened.
const HEADER: [&str; 38] = [
    "period",
    "start",
    "end",
    "group",
    "active_start",
    "churned",
    "churn_rate",
    "retention_rate",
    "new",
    "orders",
    "revenue",
    "buyers",
    "returning_buyers",
    "repeat_purchase_rate",
    "multi_order_buyers",
    "multi_order_rate",
    "aov",
    "purchase_frequency",
    "clv",
    "csat_at_risk_customers",
    "csat_at_risk_churned",
    "csat_at_risk_churn_rate",
    "csat_satisfied_customers",
    "csat_satisfied_churned",
    "csat_satisfied_churn_rate",
    "csat_advocate_customers",
    "csat_advocate_churned",
    "csat_advocate_churn_rate",
    "nps_detractor_customers",
    "nps_detractor_churned",
    "nps_detractor_churn_rate",
    "nps_passive_customers",
    "nps_passive_churned",
    "nps_passive_churn_rate",
    "nps_promoter_customers",
    "nps_promoter_churned",
    "nps_promoter_churn_rate",
    "nps_score",
];

/// The text table fits 120 columns and shows the JSON's values rounded for people.
#[test]
fn the_text_table_is_readable() {
    let w = Workdir::new();
    generated(&w);
    let rows = json_rows(&w, &["--by", "region"]);
    let (stdout, stderr) = kpis(&w, "d", &["--by", "region"]);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), rows.len() + 1);
    assert!(lines[0].starts_with("period  group"));
    assert!(lines.iter().all(|l| l.chars().count() <= 120), "{stdout}");
    let mut grouped = 0;
    for (line, r) in lines[1..].iter().zip(&rows) {
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cells.len(), 15, "{line}");
        assert_eq!((cells[0], cells[1]), (text(r, "period"), text(r, "group")));
        let active = int(r, "active_start");
        assert_eq!(cells[2].replace(',', ""), active.to_string());
        // 1,234: thousands are grouped.
        assert_eq!(cells[2].contains(','), active >= 1000, "{line}");
        grouped += usize::from(active >= 1000);
        let churn =
            float(r, "churn_rate").map_or("–".to_string(), |c| format!("{:.1}%", 100.0 * c));
        assert_eq!(cells[4], churn, "{line}");
    }
    assert!(grouped > 0, "no count reached 1,000");

    let all: Vec<&Value> = rows.iter().filter(|r| r["group"] == "all").collect();
    let rates: Vec<f64> = all.iter().filter_map(|r| float(r, "churn_rate")).collect();
    let mean = rates.iter().sum::<f64>() / rates.len() as f64;
    let expected = format!(
        "{} months from {} to {}, split by region (active = ordered within 90 days); \
         average monthly churn {:.1}%",
        all.len(),
        text(all[0], "start"),
        format_end(text(all[all.len() - 1], "end")),
        100.0 * mean
    );
    assert_eq!(stderr.lines().last().unwrap(), expected);
}

/// The last day of a period that ends (exclusive) on `end`.
fn format_end(end: &str) -> String {
    churn::dates::format_day(day(end) - 1)
}

#[test]
fn bad_flags_and_impossible_ranges_are_refused() {
    let w = Workdir::new();
    write_fixture(&w);
    let run = w.run(&["kpis", "--data", "data", "--period", "weekly"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(stderr(&run).contains("'weekly'"), "{}", stderr(&run));

    let run = w.run(&[
        "kpis",
        "--data",
        "data",
        "--from",
        "2025-06-01",
        "--to",
        "2025-01-31",
        "--out",
        "k.csv",
    ]);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        stderr(&run).contains("its start (2025-06-01) is after its end (2025-01-31)"),
        "{}",
        stderr(&run)
    );
    assert!(run.stdout.is_empty());
    assert!(!w.join("k.csv").exists());

    // The fixture's full months run from 2024-07 (orders start on 2024-06-30) to 2025-08
    // (the data ends on 2025-09-29).
    let run = w.run(&["kpis", "--data", "data", "--from", "2030-01-01"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        stderr(&run).contains(
            "no full month lies within 2030-01-01 to the end; \
             the full months of the data run from 2024-07-01 to 2025-08-31"
        ),
        "{}",
        stderr(&run)
    );

    let run = w.run(&["kpis", "--data", "data", "--active-days", "0"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(stderr(&run).contains("at least one day, got 0"));

    let run = w.run(&["kpis", "--data", "data", "--out", "k.txt"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(stderr(&run).contains("must end in .csv or .parquet"));

    // January 2024 is a full month of this data, so only the missing column is wrong.
    w.write(
        "plain/customers.csv",
        "customer_id,signup_date\nC1,2024-01-01\n",
    );
    w.write(
        "plain/orders.csv",
        "order_id,customer_id,order_date,amount\no1,C1,2024-01-01,10\no2,C1,2024-02-05,10\n",
    );
    let run = w.run(&["kpis", "--data", "plain", "--by", "region"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        stderr(&run).contains("grouping by region needs a region column"),
        "{}",
        stderr(&run)
    );
}
