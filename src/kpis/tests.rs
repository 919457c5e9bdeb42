//! KPIs checked against values worked out by hand on small data sets.

use super::*;
use crate::data::{Customers, Offsets, Orders, Surveys};
use crate::features::{self, FeatureConfig};
use crate::rng::Rng;

/// A day of 2025.
fn day(month: u32, d: u32) -> i32 {
    days_from_civil(2025, month, d)
}

/// A second on a day of 2025.
fn at(month: u32, d: u32, hour: i64, minute: i64, second: i64) -> i64 {
    i64::from(day(month, d)) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second
}

#[derive(Clone, Debug, Default)]
struct Customer {
    signup: i32,
    segment: Option<&'static str>,
    churned_at: Option<i32>,
    orders: Vec<(i32, f64)>,
    surveys: Vec<(i64, SurveyKind, u8)>,
}

/// `RawTables` as `data::load` builds them: customers numbered in order, events grouped
/// by customer and sorted by time, `data_end` the last day of any event.
fn tables(customers: &[Customer]) -> RawTables {
    let (mut orders, mut surveys) = (Orders::default(), Surveys::default());
    let (mut order_offsets, mut survey_offsets) = (vec![0], vec![0]);
    for c in customers {
        let mut own = c.orders.clone();
        own.sort_by_key(|o| o.0);
        for (d, amount) in own {
            orders.day.push(d);
            orders.amount.push(amount);
        }
        order_offsets.push(orders.day.len());
        let mut own = c.surveys.clone();
        own.sort_by_key(|s| s.0);
        for (when, kind, score) in own {
            surveys.at.push(when);
            surveys.kind.push(kind);
            surveys.score.push(score);
        }
        survey_offsets.push(surveys.at.len());
    }
    orders.offsets = Offsets(order_offsets);
    surveys.offsets = Offsets(survey_offsets);
    let mut levels: Vec<String> = customers
        .iter()
        .filter_map(|c| c.segment.map(str::to_string))
        .collect();
    levels.sort();
    levels.dedup();
    let codes = customers
        .iter()
        .map(|c| match c.segment {
            Some(s) => levels.iter().position(|l| l == s).unwrap() as u32,
            None => NULL_CODE,
        })
        .collect();
    let last_order = orders.day.iter().copied().max();
    let last_survey = surveys.at.iter().map(|&a| crate::dates::day_of(a)).max();
    RawTables {
        customers: Customers {
            ids: (0..customers.len()).map(|i| format!("C{i}")).collect(),
            signup_day: customers.iter().map(|c| c.signup).collect(),
            segment: Some(Categorical { codes, levels }),
            churned_at: Some(customers.iter().map(|c| c.churned_at).collect()),
            ..Customers::default()
        },
        data_end: last_order.max(last_survey).unwrap_or(0),
        orders,
        tickets: None,
        surveys: Some(surveys),
    }
}

/// Six customers over January to April 2025, used with a 30-day activity window, so that
/// active at T means an order in (T - 30, T]:
/// - at 2025-01-31 (before February): an order in 01-02..01-31;
/// - at 2025-02-28 (end of February, before March): an order in 01-30..02-28;
/// - at 2025-03-31 (end of March): an order in 03-02..03-31.
///
/// The first order is on 01-10 and the data ends on 04-10, so the full months are
/// February and March.
fn shop() -> Vec<Customer> {
    use SurveyKind::{Csat, Nps};
    vec![
        // C0: a loyal customer, active throughout; CSAT 9 and NPS 10 in January.
        Customer {
            signup: day(1, 1),
            segment: Some("retail"),
            orders: vec![
                (day(1, 10), 50.0),
                (day(2, 5), 30.0),
                (day(2, 20), 40.0),
                (day(3, 10), 60.0),
            ],
            surveys: vec![
                (at(1, 25, 12, 0, 0), Csat, 9),
                (at(1, 30, 12, 0, 0), Nps, 10),
            ],
            ..Customer::default()
        },
        // C1: lapses in February (last order 01-15); CSAT 4 in January, 9 in February.
        Customer {
            signup: day(1, 1),
            segment: Some("retail"),
            orders: vec![(day(1, 15), 100.0), (day(4, 10), 20.0)],
            surveys: vec![
                (at(1, 20, 12, 0, 0), Csat, 4),
                (at(2, 10, 12, 0, 0), Csat, 9),
            ],
            ..Customer::default()
        },
        // C2: still ordering, but cancels on 03-20; CSAT 7 in January, NPS 3 in February.
        Customer {
            signup: day(1, 1),
            segment: Some("wholesale"),
            churned_at: Some(day(3, 20)),
            orders: vec![(day(1, 20), 200.0), (day(2, 10), 100.0), (day(3, 5), 50.0)],
            surveys: vec![
                (at(1, 28, 12, 0, 0), Csat, 7),
                (at(2, 20, 12, 0, 0), Nps, 3),
            ],
        },
        // C3: signs up 02-01, first order 02-12; NPS 8 in the last second of February,
        // CSAT 5 in the first second of March.
        Customer {
            signup: day(2, 1),
            segment: Some("wholesale"),
            orders: vec![(day(2, 12), 80.0), (day(2, 25), 20.0), (day(3, 15), 100.0)],
            surveys: vec![
                (at(2, 28, 23, 59, 59), Nps, 8),
                (at(3, 1, 0, 0, 0), Csat, 5),
            ],
            ..Customer::default()
        },
        // C4: no segment; first order 03-03.
        Customer {
            signup: day(1, 5),
            segment: None,
            orders: vec![(day(3, 3), 70.0)],
            ..Customer::default()
        },
        // C5: signs up 03-01 and never orders.
        Customer {
            signup: day(3, 1),
            segment: Some("retail"),
            ..Customer::default()
        },
    ]
}

fn config_30() -> KpiConfig {
    KpiConfig {
        active_days: 30,
        ..KpiConfig::default()
    }
}

fn band_of_counts(customers: usize, churned: usize, churn_rate: Option<f64>) -> Band {
    Band {
        customers,
        churned,
        churn_rate,
    }
}

/// Compares two rows field by field through their JSON form, numbers within 1e-9, so
/// that a hand-worked 270 matches a computed 270.00000000000006.
#[track_caller]
fn assert_rows_match(actual: &KpiRow, expected: &KpiRow) {
    let actual_json = serde_json::to_value(actual).unwrap();
    let expected_json = serde_json::to_value(expected).unwrap();
    assert_json_match(&actual_json, &expected_json, "row");
}

#[track_caller]
fn assert_json_match(actual: &serde_json::Value, expected: &serde_json::Value, path: &str) {
    use serde_json::Value;
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            assert_eq!(a.len(), e.len(), "{path}: different fields");
            for (key, e_value) in e {
                let a_value = a.get(key).unwrap_or_else(|| panic!("{path}.{key} missing"));
                assert_json_match(a_value, e_value, &format!("{path}.{key}"));
            }
        }
        (Value::Number(a), Value::Number(e)) => {
            let (a, e) = (a.as_f64().unwrap(), e.as_f64().unwrap());
            assert!(
                (a - e).abs() <= 1e-9 * e.abs().max(1.0),
                "{path}: {a} != {e}"
            );
        }
        _ => assert_eq!(actual, expected, "{path}"),
    }
}

#[test]
fn february_by_hand() {
    let table = compute(&tables(&shop()), &config_30()).unwrap();
    // February: T0 = 01-31, T1 = 02-28.
    // Active at 01-31: C0 (01-10), C1 (01-15), C2 (01-20); C3 signed up 02-01, C4 has not
    // ordered yet, C5 has not signed up. active_start = 3.
    // Churned: C1 has no order in 01-30..02-28 (lapsed); C0 and C2 ordered in February and
    // C2 cancels in March, not February. churned = 1, churn 1/3, retention 2/3.
    // New: C3 (first order 02-12). Orders in February: C0 02-05 30 + 02-20 40, C2 02-10
    // 100, C3 02-12 80 + 02-25 20: 5 orders, revenue 270, buyers C0, C2, C3 = 3, of whom
    // C0 and C2 ordered before February (repeat 2/3) and C0 and C3 twice (multi 2/3).
    // AOV 270 / 5 = 54; frequency 5 / 3; CLV 54 × 5/3 × 3 = 270.
    // CSAT by 01-31 of the active: C0 9 (advocate), C1 4 (at risk, churned), C2 7
    // (satisfied); C1's 9 came on 02-10. NPS by 01-31: only C0's 10 (promoter).
    // NPS score = 100 × (1 - 0) / 1 = 100.
    let expected = KpiRow {
        period: "2025-02".into(),
        start: day(2, 1),
        end: day(3, 1),
        group: Group::All,
        active_start: 3,
        churned: 1,
        churn_rate: Some(1.0 / 3.0),
        retention_rate: Some(2.0 / 3.0),
        new: 1,
        orders: 5,
        revenue: 270.0,
        buyers: 3,
        returning_buyers: 2,
        repeat_purchase_rate: Some(2.0 / 3.0),
        multi_order_buyers: 2,
        multi_order_rate: Some(2.0 / 3.0),
        aov: Some(54.0),
        purchase_frequency: Some(5.0 / 3.0),
        clv: Some(270.0),
        csat: CsatBands {
            at_risk: band_of_counts(1, 1, Some(1.0)),
            satisfied: band_of_counts(1, 0, Some(0.0)),
            advocate: band_of_counts(1, 0, Some(0.0)),
        },
        nps: NpsBands {
            detractor: band_of_counts(0, 0, None),
            passive: band_of_counts(0, 0, None),
            promoter: band_of_counts(1, 0, Some(0.0)),
            score: Some(100.0),
        },
    };
    assert_rows_match(&table.rows()[0], &expected);
}

#[test]
fn march_by_hand() {
    let table = compute(&tables(&shop()), &config_30()).unwrap();
    // March: T0 = 02-28, T1 = 03-31.
    // Active at 02-28 (an order in 01-30..02-28): C0, C2 (02-10), C3 (02-25); not C1
    // (last 01-15) nor C4. active_start = 3.
    // Churned: C2 cancels on 03-20, inside March, although it still ordered on 03-05;
    // C0 (03-10) and C3 (03-15) stay active. churned = 1, churn 1/3, retention 2/3.
    // New: C4 (first order 03-03). Orders: C4 03-03 70, C2 03-05 50, C0 03-10 60, C3 03-15
    // 100: 4 orders, revenue 280, 4 buyers, 3 returning (C0, C2, C3): 3/4; none twice: 0.
    // AOV 280 / 4 = 70; frequency 4 / 4 = 1; CLV 70 × 1 × 3 = 210.
    // CSAT by 02-28 of the active: C0 9 (advocate), C2 7 (satisfied, churned); C3's CSAT
    // came at 03-01 00:00:00, inside March, so C3 has none. At-risk band empty: None.
    // NPS by 02-28: C0 10 (promoter), C2 3 (detractor, churned), C3 8 at 02-28 23:59:59
    // (passive). NPS score = 100 × (1 - 1) / 3 = 0.
    let expected = KpiRow {
        period: "2025-03".into(),
        start: day(3, 1),
        end: day(4, 1),
        group: Group::All,
        active_start: 3,
        churned: 1,
        churn_rate: Some(1.0 / 3.0),
        retention_rate: Some(2.0 / 3.0),
        new: 1,
        orders: 4,
        revenue: 280.0,
        buyers: 4,
        returning_buyers: 3,
        repeat_purchase_rate: Some(0.75),
        multi_order_buyers: 0,
        multi_order_rate: Some(0.0),
        aov: Some(70.0),
        purchase_frequency: Some(1.0),
        clv: Some(210.0),
        csat: CsatBands {
            at_risk: band_of_counts(0, 0, None),
            satisfied: band_of_counts(1, 1, Some(1.0)),
            advocate: band_of_counts(1, 0, Some(0.0)),
        },
        nps: NpsBands {
            detractor: band_of_counts(1, 1, Some(1.0)),
            passive: band_of_counts(1, 0, Some(0.0)),
            promoter: band_of_counts(1, 0, Some(0.0)),
            score: Some(0.0),
        },
    };
    assert_eq!(table.rows().len(), 2);
    assert_rows_match(&table.rows()[1], &expected);
}

#[test]
fn group_by_segment_splits_the_totals() {
    let config = KpiConfig {
        by: Some(GroupBy::Segment),
        ..config_30()
    };
    let table = compute(&tables(&shop()), &config).unwrap();
    let groups: Vec<(&str, &str)> = table
        .rows()
        .iter()
        .map(|r| (r.period.as_str(), r.group.name()))
        .collect();
    assert_eq!(
        groups,
        [
            ("2025-02", "all"),
            ("2025-02", "retail"),
            ("2025-02", "wholesale"),
            ("2025-02", "unknown"),
            ("2025-03", "all"),
            ("2025-03", "retail"),
            ("2025-03", "wholesale"),
            ("2025-03", "unknown"),
        ]
    );
    // (active_start, churned, new, orders, revenue, buyers, clv) per group, from the
    // customers' notes in `shop`:
    // February retail: C0, C1 active, C1 lapses; C0's 2 orders (70); CLV = 35 × 2 / 0.5.
    // February wholesale: C2 active, not churned (CLV None: churn 0); C2's 100 and C3's
    // 80 + 20, C3 new.
    // February unknown (C4): nothing at all; every rate None.
    // March retail: C0 active and buying 60; churn 0, CLV None.
    // March wholesale: C2, C3 active, C2 cancels; 50 + 100; CLV = 75 × 1 / 0.5 = 150.
    // March unknown: C4 new, 70, not active at the start, so churn and CLV are None.
    type Expected = (usize, usize, usize, usize, f64, usize, Option<f64>);
    let expected: [Expected; 6] = [
        (2, 1, 0, 2, 70.0, 1, Some(140.0)),
        (1, 0, 1, 3, 200.0, 2, None),
        (0, 0, 0, 0, 0.0, 0, None),
        (1, 0, 0, 1, 60.0, 1, None),
        (2, 1, 0, 2, 150.0, 2, Some(150.0)),
        (0, 0, 1, 1, 70.0, 1, None),
    ];
    let group_rows = table.rows().iter().filter(|r| r.group != Group::All);
    for (row, want) in group_rows.zip(expected) {
        let got = (
            row.active_start,
            row.churned,
            row.new,
            row.orders,
            row.revenue,
            row.buyers,
            row.clv,
        );
        assert_eq!(got, want, "{} {}", row.period, row.group.name());
    }
    let unknown_february = &table.rows()[3];
    assert_eq!(unknown_february.churn_rate, None);
    assert_eq!(unknown_february.aov, None);
    assert_eq!(unknown_february.repeat_purchase_rate, None);
    assert_eq!(unknown_february.nps.score, None);
    assert_eq!(table.rows()[2].retention_rate, Some(1.0));

    for period in table.rows().chunks(4) {
        let (all, groups) = (&period[0], &period[1..]);
        let sum = |f: fn(&KpiRow) -> usize| groups.iter().map(f).sum::<usize>();
        assert_eq!(sum(|r| r.active_start), all.active_start);
        assert_eq!(sum(|r| r.churned), all.churned);
        assert_eq!(sum(|r| r.new), all.new);
        assert_eq!(sum(|r| r.orders), all.orders);
        assert_eq!(sum(|r| r.buyers), all.buyers);
        assert_eq!(sum(|r| r.returning_buyers), all.returning_buyers);
        assert_eq!(sum(|r| r.multi_order_buyers), all.multi_order_buyers);
        assert_eq!(
            sum(|r| r.csat.at_risk.customers),
            all.csat.at_risk.customers
        );
        assert_eq!(
            sum(|r| r.csat.satisfied.churned),
            all.csat.satisfied.churned
        );
        assert_eq!(
            sum(|r| r.nps.detractor.customers),
            all.nps.detractor.customers
        );
        assert_eq!(
            sum(|r| r.nps.promoter.customers),
            all.nps.promoter.customers
        );
        let revenue: f64 = groups.iter().map(|r| r.revenue).sum();
        assert_eq!(revenue, all.revenue);
    }
}

#[test]
fn quarters_count_orders_on_their_boundaries() {
    // A orders on 03-31, 04-01, 06-30 and 07-01; B only on 10-05, which ends the data.
    // The first quarter starting on or after 03-31 is Q2 (04-01); Q3 ends 09-30, on or
    // before the data end; Q4 would end 12-31, after it.
    let raw = tables(&[
        Customer {
            signup: day(1, 1),
            segment: Some("a"),
            orders: vec![
                (day(3, 31), 10.0),
                (day(4, 1), 20.0),
                (day(6, 30), 40.0),
                (day(7, 1), 80.0),
            ],
            ..Customer::default()
        },
        Customer {
            signup: day(1, 1),
            segment: Some("b"),
            orders: vec![(day(10, 5), 5.0)],
            ..Customer::default()
        },
    ]);
    let config = KpiConfig {
        period: Period::Quarter,
        ..KpiConfig::default()
    };
    let table = compute(&raw, &config).unwrap();
    let rows = table.rows();
    let periods: Vec<(&str, i32, i32)> = rows
        .iter()
        .map(|r| (r.period.as_str(), r.start, r.end))
        .collect();
    assert_eq!(
        periods,
        [
            ("2025-Q2", day(4, 1), day(7, 1)),
            ("2025-Q3", day(7, 1), day(10, 1))
        ]
    );
    // Q2: the orders of 04-01 and 06-30 (20 + 40), not 03-31's; A is active at 03-31
    // (its order that day) and at 06-30, so no churn; A ordered before Q2, so not new.
    let q2 = &rows[0];
    assert_eq!(
        (q2.orders, q2.revenue, q2.new, q2.returning_buyers),
        (2, 60.0, 0, 1)
    );
    assert_eq!((q2.active_start, q2.churned, q2.clv), (1, 0, None));
    // Q3: only 07-01 (80). A is active at 06-30; at 09-30 the 90-day window is
    // (07-02, 09-30], which misses 07-01, so A lapses: churn 1/1, CLV 80 × 1 / 1 = 80.
    let q3 = &rows[1];
    assert_eq!(
        (q3.orders, q3.revenue, q3.active_start, q3.churned),
        (1, 80.0, 1, 1)
    );
    assert_eq!(
        (q3.churn_rate, q3.retention_rate, q3.clv),
        (Some(1.0), Some(0.0), Some(80.0))
    );
    // No surveys table: empty bands, no NPS score.
    assert_eq!(q3.csat.advocate, band_of_counts(0, 0, None));
    assert_eq!(q3.nps.score, None);
}

/// The period labels of data whose first order is `first_order` and last day `data_end`.
#[track_caller]
fn check_periods(first_order: i32, data_end: i32, period: Period, expected: &[&str]) {
    let raw = tables(&[Customer {
        signup: first_order,
        orders: vec![(first_order, 1.0), (data_end, 1.0)],
        ..Customer::default()
    }]);
    let config = KpiConfig {
        period,
        ..KpiConfig::default()
    };
    let table = compute(&raw, &config).unwrap();
    let labels: Vec<&str> = table.rows().iter().map(|r| r.period.as_str()).collect();
    assert_eq!(labels, expected);
}

#[test]
fn only_full_periods_inside_the_data_are_reported() {
    // Starting mid-January: February is the first full month; ending 04-10: March last.
    check_periods(
        day(1, 10),
        day(4, 10),
        Period::Month,
        &["2025-02", "2025-03"],
    );
    // Starting on a month's first day and ending on a month's last day: both are full.
    check_periods(
        day(2, 1),
        day(3, 31),
        Period::Month,
        &["2025-02", "2025-03"],
    );
    // One day short of the end of March: March is partial.
    check_periods(day(2, 1), day(3, 30), Period::Month, &["2025-02"]);
    // Across the new year.
    let dec_1_2024 = days_from_civil(2024, 12, 1);
    check_periods(
        dec_1_2024,
        day(1, 31),
        Period::Month,
        &["2024-12", "2025-01"],
    );
    // Quarters: from mid-November 2024, Q4 2024 is partial; Q2 2025 ends 06-30.
    let nov_15_2024 = days_from_civil(2024, 11, 15);
    check_periods(
        nov_15_2024,
        day(7, 1),
        Period::Quarter,
        &["2025-Q1", "2025-Q2"],
    );
    // 2025-04-01 starts Q2, so data from that day holds Q2 whole.
    check_periods(day(4, 1), day(6, 30), Period::Quarter, &["2025-Q2"]);
}

#[track_caller]
fn check_range(from: Option<i32>, to: Option<i32>, expected: &[&str]) {
    let config = KpiConfig {
        from,
        to,
        ..config_30()
    };
    let table = compute(&tables(&shop()), &config).unwrap();
    let labels: Vec<&str> = table.rows().iter().map(|r| r.period.as_str()).collect();
    assert_eq!(labels, expected);
}

#[test]
fn from_and_to_keep_the_periods_wholly_inside() {
    check_range(None, None, &["2025-02", "2025-03"]);
    check_range(Some(day(3, 1)), None, &["2025-03"]);
    // February starts before 02-02.
    check_range(Some(day(2, 2)), Some(day(3, 31)), &["2025-03"]);
    // March ends after 03-30.
    check_range(None, Some(day(3, 30)), &["2025-02"]);
    check_range(Some(day(1, 1)), Some(day(12, 31)), &["2025-02", "2025-03"]);
    // A limited table has the same March row as the full one.
    let limited = KpiConfig {
        from: Some(day(3, 1)),
        ..config_30()
    };
    let full = compute(&tables(&shop()), &config_30()).unwrap();
    let march = compute(&tables(&shop()), &limited).unwrap();
    assert_eq!(march.rows()[0], full.rows()[1]);
}

#[test]
fn bad_settings_and_data_are_refused_with_what_was_wrong() {
    let raw = tables(&shop());
    let refuse = |config: KpiConfig| compute(&raw, &config).unwrap_err();

    let err = refuse(KpiConfig {
        active_days: 0,
        ..KpiConfig::default()
    });
    assert_eq!(err, KpiError::BadActiveDays(0));

    let err = refuse(KpiConfig {
        from: Some(day(3, 2)),
        to: Some(day(3, 1)),
        ..KpiConfig::default()
    });
    assert_eq!(
        err.to_string(),
        "the date range is empty: its start (2025-03-02) is after its end (2025-03-01)"
    );

    let err = refuse(KpiConfig {
        from: Some(day(4, 1)),
        ..KpiConfig::default()
    });
    assert_eq!(
        err.to_string(),
        "no full month lies within 2025-04-01 to the end; the full months of the data run \
         from 2025-02-01 to 2025-03-31"
    );

    let err = refuse(KpiConfig {
        by: Some(GroupBy::Region),
        ..KpiConfig::default()
    });
    assert_eq!(
        err.to_string(),
        "grouping by region needs a region column in the customers table, and it has none"
    );

    let mut short = shop();
    short.truncate(2);
    for c in &mut short {
        c.orders.retain(|o| o.0 < day(2, 20));
        c.surveys.clear();
    }
    // Orders on 01-10, 01-15 and (C0) 02-05: the data ends 02-05, before February does.
    let err = compute(&tables(&short), &KpiConfig::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the data holds no full month: orders start on 2025-01-10 and the data ends on \
         2025-02-05, but the first full month runs from 2025-02-01 to 2025-02-28"
    );

    let no_orders = tables(&[Customer {
        signup: day(1, 1),
        ..Customer::default()
    }]);
    assert_eq!(
        compute(&no_orders, &KpiConfig::default()).unwrap_err(),
        KpiError::NoOrders
    );
}

#[test]
fn active_start_is_the_feature_population() {
    // The same rule as `features`, so the KPI base is the population the model scores.
    let raw = tables(&shop());
    let table = compute(&raw, &config_30()).unwrap();
    let befores: Vec<i32> = table.rows().iter().map(|r| r.start - 1).collect();
    let frame = features::build(&raw, &befores, FeatureConfig { active_days: 30 });
    let population: Vec<usize> = frame.populations.iter().map(|p| p.active).collect();
    let active_start: Vec<usize> = table.rows().iter().map(|r| r.active_start).collect();
    assert_eq!(active_start, [3, 3]);
    assert_eq!(population, active_start);
}

#[test]
fn a_cancelled_customer_who_still_orders_stays_in_the_population() {
    // C2 cancels on 02-15 but ordered on 02-10, so it is active at 02-28 (as in features)
    // and counts as churned in February (cancelled) and again in March (lapsed: no order
    // in 03-02..03-31). Its NPS 3 of 02-20 makes it a churned March detractor.
    let mut customers = shop();
    customers[2].churned_at = Some(day(2, 15));
    customers[2].orders.retain(|o| o.0 < day(3, 1));
    let table = compute(&tables(&customers), &config_30()).unwrap();
    let (february, march) = (&table.rows()[0], &table.rows()[1]);
    // February: C1 lapses and C2 cancels: 2 of 3.
    assert_eq!((february.active_start, february.churned), (3, 2));
    // March: C0, C2, C3 active at 02-28; C2 lapses: 1 of 3.
    assert_eq!((march.active_start, march.churned), (3, 1));
    assert_eq!(march.nps.detractor, band_of_counts(1, 1, Some(1.0)));
}

/// Every rate of a row, to check that none is NaN.
fn rates(row: &KpiRow) -> Vec<Option<f64>> {
    let bands = [
        row.csat.at_risk,
        row.csat.satisfied,
        row.csat.advocate,
        row.nps.detractor,
        row.nps.passive,
        row.nps.promoter,
    ];
    let mut out = vec![
        row.churn_rate,
        row.retention_rate,
        row.repeat_purchase_rate,
        row.multi_order_rate,
        row.aov,
        row.purchase_frequency,
        row.clv,
        row.nps.score,
    ];
    out.extend(bands.iter().map(|b| b.churn_rate));
    out
}

#[test]
fn no_value_is_nan_and_empty_ones_are_none() {
    let config = KpiConfig {
        by: Some(GroupBy::Segment),
        ..config_30()
    };
    let table = compute(&tables(&shop()), &config).unwrap();
    let values: Vec<Option<f64>> = table.rows().iter().flat_map(rates).collect();
    assert_eq!(values.len(), 8 * 14);
    assert!(values.iter().flatten().all(|v| v.is_finite()));
    assert!(table.rows().iter().all(|r| r.revenue.is_finite()));
    // February's unknown group is empty: all 14 of its rates are None, its revenue 0.
    let empty = &table.rows()[3];
    assert_eq!(rates(empty), [None; 14]);
    assert_eq!(empty.revenue, 0.0);
}

#[test]
fn json_carries_dates_groups_and_nulls() {
    let table = compute(&tables(&shop()), &config_30()).unwrap();
    let json = serde_json::to_value(&table).unwrap();
    assert_eq!(json["period"], "month");
    assert_eq!(json["by"], serde_json::Value::Null);
    assert_eq!(json["active_days"], 30);
    let march = &json["rows"][1];
    assert_eq!(march["period"], "2025-03");
    assert_eq!(march["start"], "2025-03-01");
    assert_eq!(march["end"], "2025-04-01");
    assert_eq!(march["group"], "all");
    assert_eq!(
        march["csat"]["at_risk"]["churn_rate"],
        serde_json::Value::Null
    );
    assert_eq!(march["nps"]["detractor"]["customers"], 1);
}

/// Many customers over two years, so that the pass spans several chunks.
fn crowd(n: usize) -> Vec<Customer> {
    let base = days_from_civil(2024, 1, 1);
    (0..n)
        .map(|i| {
            let mut rng = Rng::new(7, i as u64);
            let signup = base + rng.below(300) as i32;
            let mut d = signup;
            let mut orders = Vec::new();
            while orders.len() < 12 {
                d += 1 + rng.below(90) as i32;
                orders.push((d, 1.0 + 100.0 * rng.uniform()));
            }
            let surveys = (0..3)
                .map(|k| {
                    let when = i64::from(signup + 100 * k) * SECONDS_PER_DAY;
                    let kind = if k % 2 == 0 {
                        SurveyKind::Csat
                    } else {
                        SurveyKind::Nps
                    };
                    (when, kind, 1 + rng.below(10) as u8)
                })
                .collect();
            Customer {
                signup,
                segment: [Some("a"), Some("b"), None][i % 3],
                churned_at: rng.bernoulli(0.2).then(|| signup + 200),
                orders,
                surveys,
            }
        })
        .collect()
}

#[test]
fn same_table_for_any_thread_count() {
    let raw = tables(&crowd(3 * CHUNK + 17));
    let config = KpiConfig {
        by: Some(GroupBy::Segment),
        ..KpiConfig::default()
    };
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let table = pool.install(|| compute(&raw, &config)).unwrap();
        serde_json::to_string(&table).unwrap()
    };
    let one = run(1);
    assert_eq!(one, run(4));
    // The data is not degenerate: someone was active and someone churned.
    let table = compute(&raw, &config).unwrap();
    assert!(table
        .rows()
        .iter()
        .any(|r| r.churned > 0 && r.active_start > r.churned));
}

#[test]
fn bands_follow_the_nps_detractor_threshold() {
    // The NPS detractor cut of the features (score <= 6) is the low band's top.
    assert_eq!(f64::from(LOW_BAND_MAX), crate::schema::NPS_DETRACTOR_MAX);
    let bands: Vec<usize> = (0..=10).map(band).collect();
    assert_eq!(bands, [0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 2]);
}

#[test]
fn a_cancellation_counts_in_the_period_of_its_day() {
    // C2 cancels on 02-28, the last day of February: in (01-31, 02-28], so February has
    // C1 (lapsed) and C2 (cancelled) churned, 2 of 3. In March, C2 is still active at
    // 02-28 (order 02-10) and at 03-31 (order 03-05), and 02-28 is not in (02-28, 03-31],
    // so March has no churn: 0 of 3, retention 1.
    let mut customers = shop();
    customers[2].churned_at = Some(day(2, 28));
    let table = compute(&tables(&customers), &config_30()).unwrap();
    let (february, march) = (&table.rows()[0], &table.rows()[1]);
    assert_eq!((february.active_start, february.churned), (3, 2));
    assert_eq!((march.active_start, march.churned), (3, 0));
    assert_eq!(
        (march.churn_rate, march.retention_rate),
        (Some(0.0), Some(1.0))
    );
}

#[test]
fn the_activity_window_leaves_out_its_first_day() {
    // Two more customers, each with a single order: C6 on 01-29, C7 on 01-30. Both are
    // active at 01-31 (window 01-02..01-31). At 02-28 the window is (01-29, 02-28]: C6's
    // order is on its open end, so C6 lapses in February; C7's is inside, so C7 stays and
    // lapses in March (no order in 03-02..03-31).
    // February: active C0, C1, C2, C6, C7 = 5; churned C1, C6 = 2.
    // March: active C0, C2, C3, C7 = 4; churned C2 (cancelled), C7 = 2.
    // C8 ordered on 01-20 but signed up on 02-05 (the data contract allows it): at 01-31
    // it has not signed up, so it is not active although its order is in the window.
    let mut customers = shop();
    for order_day in [day(1, 29), day(1, 30)] {
        customers.push(Customer {
            signup: day(1, 1),
            segment: Some("retail"),
            orders: vec![(order_day, 10.0)],
            ..Customer::default()
        });
    }
    customers.push(Customer {
        signup: day(2, 5),
        segment: Some("retail"),
        orders: vec![(day(1, 20), 10.0)],
        ..Customer::default()
    });
    let raw = tables(&customers);
    let table = compute(&raw, &config_30()).unwrap();
    let counts: Vec<(usize, usize)> = table
        .rows()
        .iter()
        .map(|r| (r.active_start, r.churned))
        .collect();
    assert_eq!(counts, [(5, 2), (4, 2)]);
    // The features' population agrees at both period starts.
    let frame = features::build(
        &raw,
        &[day(1, 31), day(2, 28)],
        FeatureConfig { active_days: 30 },
    );
    let population: Vec<usize> = frame.populations.iter().map(|p| p.active).collect();
    assert_eq!(population, [5, 4]);
}
