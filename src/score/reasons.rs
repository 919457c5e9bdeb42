//! Why a customer is at risk, in words a customer-success manager can act on.
//!
//! The model gives a contribution per matrix column (the logistic model: the change in
//! log-odds against the population average; trees: the change in probability along the
//! decision path). Columns are folded back into the features a person knows (a missing
//! indicator and one-hot columns belong to their feature; related features such as the
//! NPS score and the detractor flag form one reason), the positive ones are ranked, and the
//! strongest few are phrased with the customer's own values beside the population's
//! median: `no order in 142 days (active customers: median 21)`.

use crate::matrix::{MISSING_SUFFIX, OTHER_LEVEL};
use crate::schema::features::numeric_index;

/// How many reasons each customer gets.
pub const TOP_REASONS: usize = 3;
/// Separates reasons in the `top_reasons` column.
pub const SEPARATOR: &str = "; ";

/// The reason a matrix column speaks to: its feature, with related features merged.
pub fn reason_key(column: &str) -> String {
    let base = column.strip_suffix(MISSING_SUFFIX).unwrap_or(column);
    let base = base.split('=').next().unwrap_or(base);
    match base {
        "nps_last" | "nps_detractor" => "nps".to_string(),
        "order_trend" | "orders_prev_90d" => "order_trend".to_string(),
        other => other.to_string(),
    }
}

/// One customer's values, for phrasing: numeric features by name (NaN = unknown) and
/// the categorical levels.
pub struct Customer<'a> {
    pub numeric: &'a [f64],
    pub segment: Option<&'a str>,
    pub region: Option<&'a str>,
}

impl Customer<'_> {
    fn get(&self, name: &str) -> f64 {
        numeric_index(name).map_or(f64::NAN, |i| self.numeric[i])
    }
}

/// The reason of each matrix column, worked out once per model rather than once per
/// customer.
pub struct ReasonKeys {
    /// Distinct reason keys, sorted by name.
    keys: Vec<String>,
    /// For each matrix column, its key's index in `keys`.
    of_column: Vec<usize>,
}

impl ReasonKeys {
    pub fn new(columns: &[String]) -> ReasonKeys {
        let per_column: Vec<String> = columns.iter().map(|c| reason_key(c)).collect();
        let mut keys = per_column.clone();
        keys.sort();
        keys.dedup();
        let of_column = per_column
            .iter()
            .map(|k| keys.binary_search(k).expect("a key of its own column"))
            .collect();
        ReasonKeys { keys, of_column }
    }

    /// Ranks the reasons of one customer: contributions per matrix column in, the
    /// `TOP_REASONS` strongest positive reason keys out (ties broken by name).
    pub fn rank(&self, contributions: &[(usize, f64)]) -> Vec<&str> {
        let mut sums = vec![0.0; self.keys.len()];
        for &(column, value) in contributions {
            sums[self.of_column[column]] += value;
        }
        // Keys are sorted, so ordering by index breaks ties by name.
        let mut positive: Vec<(usize, f64)> = sums
            .into_iter()
            .enumerate()
            .filter(|(_, v)| *v > 0.0)
            .collect();
        positive.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        positive
            .into_iter()
            .take(TOP_REASONS)
            .map(|(k, _)| self.keys[k].as_str())
            .collect()
    }
}

/// A value as the reasons quote it: whole numbers without decimals, others to one.
fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        // Integer formatting is many times faster than `{:.0}`, and prints the same.
        if v == 0.0 {
            return format!("{v:.0}");
        }
        (v as i64).to_string()
    } else {
        format!("{v:.1}")
    }
}

fn plural(n: f64, one: &str, many: &str) -> String {
    if n == 1.0 {
        format!("1 {one}")
    } else {
        format!("{} {many}", num(n))
    }
}

/// The words for reason `key` of `customer`; `median` gives the population's median of a
/// numeric feature.
pub fn phrase(key: &str, c: &Customer, median: &dyn Fn(&str) -> f64) -> String {
    let v = |name: &str| c.get(name);
    let med = |name: &str| num(median(name));
    match key {
        "recency_days" => format!(
            "no order in {} days (active customers: median {})",
            num(v("recency_days")),
            med("recency_days")
        ),
        "tenure_days" => format!("customer for only {} days", num(v("tenure_days"))),
        "orders_30d" | "orders_90d" | "orders_365d" => {
            let days = key.trim_start_matches("orders_").trim_end_matches('d');
            format!(
                "{} in the last {days} days (median {})",
                plural(v(key), "order", "orders"),
                med(key)
            )
        }
        "order_trend" => {
            let (now, before) = (v("orders_90d"), v("orders_prev_90d"));
            if before > 0.0 && now < before {
                format!(
                    "order count down {:.0}% vs previous quarter ({} vs {})",
                    100.0 * (before - now) / before,
                    num(now),
                    num(before)
                )
            } else {
                format!(
                    "{} this quarter vs {} the quarter before",
                    num(now),
                    num(before)
                )
            }
        }
        "spend_90d" | "spend_365d" => {
            let days = key.trim_start_matches("spend_").trim_end_matches('d');
            format!(
                "spent {:.2} in the last {days} days (median {:.2})",
                v(key),
                median(key)
            )
        }
        "avg_order_value_365d" => {
            format!("average order {:.2} (median {:.2})", v(key), median(key))
        }
        "mean_days_between_orders" if v(key).is_nan() => "only one order so far".to_string(),
        "mean_days_between_orders" => format!(
            "orders every {} days on average (median {})",
            num(v(key)),
            med(key)
        ),
        "tickets_30d" | "tickets_90d" => {
            let days = key.trim_start_matches("tickets_").trim_end_matches('d');
            format!(
                "{} in the last {days} days",
                plural(v(key), "support ticket", "support tickets")
            )
        }
        "open_tickets" => plural(v(key), "open support ticket", "open support tickets"),
        "urgent_tickets_90d" => format!(
            "{} in the last 90 days",
            plural(v(key), "urgent ticket", "urgent tickets")
        ),
        "mean_resolution_hours_365d" if v(key).is_nan() => {
            "no resolved ticket in the last year".to_string()
        }
        "mean_resolution_hours_365d" => format!(
            "tickets took {} hours to resolve on average (median {})",
            num(v(key)),
            med(key)
        ),
        "csat_last" if v(key).is_nan() => "never answered a CSAT survey".to_string(),
        "csat_last" => format!("last CSAT {}/10", num(v(key))),
        "csat_mean_365d" if v(key).is_nan() => "no CSAT answer in the last year".to_string(),
        "csat_mean_365d" => format!("average CSAT {}/10 over the last year", num(v(key))),
        "nps" if v("nps_last").is_nan() => "never answered an NPS survey".to_string(),
        "nps" if v("nps_detractor") == 1.0 => {
            format!("NPS detractor (last score {}/10)", num(v("nps_last")))
        }
        "nps" => format!("last NPS {}/10", num(v("nps_last"))),
        "days_since_last_survey" if v(key).is_nan() => "never answered a survey".to_string(),
        "days_since_last_survey" => format!("no survey answer in {} days", num(v(key))),
        "segment" => format!("segment {}", c.segment.unwrap_or(OTHER_LEVEL)),
        "region" => format!("region {}", c.region.unwrap_or(OTHER_LEVEL)),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::features::NUMERIC;

    fn customer(values: &[(&str, f64)]) -> Vec<f64> {
        let mut v = vec![f64::NAN; NUMERIC.len()];
        for (name, x) in values {
            v[numeric_index(name).unwrap()] = *x;
        }
        v
    }

    #[test]
    fn columns_fold_into_reasons() {
        assert_eq!(reason_key("csat_last_missing"), "csat_last");
        assert_eq!(reason_key("segment=smb"), "segment");
        assert_eq!(reason_key("nps_detractor"), "nps");
        assert_eq!(reason_key("orders_prev_90d_missing"), "order_trend");
        let columns: Vec<String> = [
            "recency_days",
            "open_tickets",
            "csat_last",
            "csat_last_missing",
            "nps_last",
            "nps_detractor",
            "segment=smb",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // csat: 0.2 - 0.3 < 0 is dropped; nps: 0.1 + 0.15 = 0.25 ranks above open tickets.
        let contributions = [
            (0, 0.5),
            (1, 0.2),
            (2, 0.2),
            (3, -0.3),
            (4, 0.1),
            (5, 0.15),
            (6, 0.05),
        ];
        let keys = ReasonKeys::new(&columns);
        assert_eq!(
            keys.rank(&contributions),
            ["recency_days", "nps", "open_tickets"]
        );
        // Ties are broken by name, so the order never depends on the input order.
        assert_eq!(
            keys.rank(&[(1, 0.2), (0, 0.2)]),
            ["open_tickets", "recency_days"]
        );
        assert!(keys.rank(&[(0, -1.0)]).is_empty());
    }

    #[test]
    fn whole_numbers_print_as_with_zero_decimals() {
        let wholes = (-2_000..2_000).map(f64::from).chain([
            -0.0,
            1e6,
            123_456_789_012_345.0,
            -999_999_999_999_999.0,
        ]);
        for v in wholes {
            assert_eq!(num(v), format!("{v:.0}"), "{v}");
        }
        assert_eq!(num(50.25), "50.2");
        assert_eq!(num(1e15), "1000000000000000.0");
    }

    #[test]
    fn phrases_by_hand() {
        let values = customer(&[
            ("recency_days", 142.0),
            ("open_tickets", 3.0),
            ("csat_last", 4.0),
            ("orders_90d", 2.0),
            ("orders_prev_90d", 5.0),
            ("nps_last", 3.0),
            ("nps_detractor", 1.0),
            ("tickets_90d", 1.0),
            ("mean_resolution_hours_365d", 50.25),
        ]);
        let c = Customer {
            numeric: &values,
            segment: Some("smb"),
            region: None,
        };
        let median = |name: &str| match name {
            "recency_days" => 21.0,
            "mean_resolution_hours_365d" => 12.0,
            _ => 0.0,
        };
        let say = |key: &str| phrase(key, &c, &median);
        assert_eq!(
            say("recency_days"),
            "no order in 142 days (active customers: median 21)"
        );
        assert_eq!(say("open_tickets"), "3 open support tickets");
        assert_eq!(say("tickets_90d"), "1 support ticket in the last 90 days");
        assert_eq!(say("csat_last"), "last CSAT 4/10");
        assert_eq!(
            say("order_trend"),
            "order count down 60% vs previous quarter (2 vs 5)"
        );
        assert_eq!(say("nps"), "NPS detractor (last score 3/10)");
        assert_eq!(say("csat_mean_365d"), "no CSAT answer in the last year");
        assert_eq!(
            say("mean_resolution_hours_365d"),
            "tickets took 50.2 hours to resolve on average (median 12)"
        );
        assert_eq!(say("segment"), "segment smb");
        assert_eq!(say("region"), "region other");
        assert_eq!(say("orders_90d"), "2 orders in the last 90 days (median 0)");
    }
}
