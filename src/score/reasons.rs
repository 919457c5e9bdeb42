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

/// One customer's values, for phrasing: numeric features in the order of
/// [`NUMERIC`](crate::schema::features::NUMERIC) (NaN = unknown) and the categorical
/// levels.
pub struct Customer<'a> {
    pub numeric: &'a [f64],
    pub segment: Option<&'a str>,
    pub region: Option<&'a str>,
}

/// The position of a numeric feature named in this file, found when compiling (a name
/// that is not a numeric feature does not compile).
macro_rules! feature {
    ($name:literal) => {
        const {
            match numeric_index($name) {
                Some(i) => i,
                None => panic!("not a numeric feature"),
            }
        }
    };
}

/// A reason: its key, the numeric feature of the same name and the words it is put in
/// (looked up once per model, not once per customer).
#[derive(Clone, Debug, PartialEq)]
pub struct Reason {
    pub key: String,
    feature: Option<usize>,
    words: Words,
}

impl Reason {
    pub fn new(key: &str) -> Reason {
        Reason {
            key: key.to_string(),
            feature: numeric_index(key),
            words: Words::of(key),
        }
    }
}

/// How a reason is put into words, chosen from its key once per model so that phrasing a
/// customer's reasons compares no strings.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Words {
    Recency,
    Tenure,
    /// Orders in the last N days (N as written).
    Orders(&'static str),
    OrderTrend,
    /// Spend in the last N days.
    Spend(&'static str),
    AverageOrder,
    OrderInterval,
    /// Support tickets in the last N days.
    Tickets(&'static str),
    OpenTickets,
    UrgentTickets,
    ResolutionHours,
    CsatLast,
    CsatMean,
    Nps,
    SurveyAge,
    Segment,
    Region,
    /// No words of its own: the key itself.
    Key,
}

impl Words {
    fn of(key: &str) -> Words {
        match key {
            "recency_days" => Words::Recency,
            "tenure_days" => Words::Tenure,
            "orders_30d" => Words::Orders("30"),
            "orders_90d" => Words::Orders("90"),
            "orders_365d" => Words::Orders("365"),
            "order_trend" => Words::OrderTrend,
            "spend_90d" => Words::Spend("90"),
            "spend_365d" => Words::Spend("365"),
            "avg_order_value_365d" => Words::AverageOrder,
            "mean_days_between_orders" => Words::OrderInterval,
            "tickets_30d" => Words::Tickets("30"),
            "tickets_90d" => Words::Tickets("90"),
            "open_tickets" => Words::OpenTickets,
            "urgent_tickets_90d" => Words::UrgentTickets,
            "mean_resolution_hours_365d" => Words::ResolutionHours,
            "csat_last" => Words::CsatLast,
            "csat_mean_365d" => Words::CsatMean,
            "nps" => Words::Nps,
            "days_since_last_survey" => Words::SurveyAge,
            "segment" => Words::Segment,
            "region" => Words::Region,
            _ => Words::Key,
        }
    }
}

/// The reason of each matrix column, worked out once per model rather than once per
/// customer.
pub struct ReasonKeys {
    /// Distinct reasons, sorted by key.
    reasons: Vec<Reason>,
    /// For each matrix column, its reason's index in `reasons`.
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
        ReasonKeys {
            reasons: keys.iter().map(|k| Reason::new(k)).collect(),
            of_column,
        }
    }

    /// Ranks the reasons of one customer: contributions per matrix column in, the
    /// `TOP_REASONS` strongest positive reasons out, strongest first (ties broken by key).
    /// `sums` is scratch space, reused from customer to customer.
    pub fn rank<'k>(
        &'k self,
        contributions: &[(usize, f64)],
        sums: &mut Vec<f64>,
    ) -> impl Iterator<Item = &'k Reason> {
        sums.clear();
        sums.resize(self.reasons.len(), 0.0);
        for &(column, value) in contributions {
            sums[self.of_column[column]] += value;
        }
        // Reasons are visited in key order and a later one moves ahead only of weaker
        // ones, so equal sums stay in key order.
        let mut top: [Option<(usize, f64)>; TOP_REASONS] = [None; TOP_REASONS];
        for (k, &v) in sums.iter().enumerate().filter(|(_, v)| **v > 0.0) {
            if let Some(at) = top.iter().position(|t| t.is_none_or(|(_, w)| w < v)) {
                top[at..].rotate_right(1);
                top[at] = Some((k, v));
            }
        }
        top.into_iter().flatten().map(|(k, _)| &self.reasons[k])
    }
}

/// A value as the reasons quote it: whole numbers without decimals, others to one.
struct Num(f64);

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.0;
        if v.fract() == 0.0 && v.abs() < 1e15 && v != 0.0 {
            // Integer formatting is many times faster than `{:.0}`, and prints the same.
            f.write_str(itoa::Buffer::new().format(v as i64))
        } else if v == 0.0 {
            // `{:.0}` keeps the sign of -0.
            write!(f, "{v:.0}")
        } else if (v - v.round()).abs() < 0.05 {
            // `{:.1}` would end in ".0": a median of 16.04 days reads "16", not "16.0".
            // (Exact: v - round(v) is computed without rounding, and no double lies between
            // 0.05 and the double nearest it.)
            f.write_str(itoa::Buffer::new().format(v.round() as i64))
        } else {
            write!(f, "{v:.1}")
        }
    }
}

/// `1 order`, `3 orders`.
struct Plural<'a>(f64, &'a str, &'a str);

impl std::fmt::Display for Plural<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Plural(n, one, _) if *n == 1.0 => write!(f, "1 {one}"),
            Plural(n, _, many) => write!(f, "{} {many}", Num(*n)),
        }
    }
}

/// The words for `reason` of customer `c`; `medians` are the population's medians of
/// the numeric features.
pub fn phrase(reason: &Reason, c: &Customer, medians: &[f64]) -> String {
    let mut out = String::new();
    phrase_into(&mut out, reason, c, medians);
    out
}

/// [`phrase`], appended to `out`.
pub fn phrase_into(out: &mut String, reason: &Reason, c: &Customer, medians: &[f64]) {
    use std::fmt::Write;
    let nan = f64::NAN;
    // The customer's own value and the median of the feature the reason is named after.
    let (own, median) = reason
        .feature
        .map_or((nan, nan), |j| (c.numeric[j], medians[j]));
    let at = |j: usize| c.numeric[j];
    // Writing to a String cannot fail.
    let _ = match reason.words {
        Words::Recency => write!(
            out,
            "no order in {} days (active customers: median {})",
            Num(own),
            Num(median)
        ),
        Words::Tenure => write!(out, "customer for only {} days", Num(own)),
        Words::Orders(days) => write!(
            out,
            "{} in the last {days} days (median {})",
            Plural(own, "order", "orders"),
            Num(median)
        ),
        Words::OrderTrend => {
            let now = at(feature!("orders_90d"));
            let before = at(feature!("orders_prev_90d"));
            if before > 0.0 && now < before {
                write!(
                    out,
                    "order count down {:.0}% vs previous quarter ({} vs {})",
                    100.0 * (before - now) / before,
                    Num(now),
                    Num(before)
                )
            } else {
                write!(
                    out,
                    "{} this quarter vs {} the quarter before",
                    Num(now),
                    Num(before)
                )
            }
        }
        Words::Spend(days) => write!(
            out,
            "spent {own:.2} in the last {days} days (median {median:.2})"
        ),
        Words::AverageOrder => write!(out, "average order {own:.2} (median {median:.2})"),
        Words::OrderInterval if own.is_nan() => write!(out, "only one order so far"),
        Words::OrderInterval => write!(
            out,
            "orders every {} days on average (median {})",
            Num(own),
            Num(median)
        ),
        Words::Tickets(days) => write!(
            out,
            "{} in the last {days} days",
            Plural(own, "support ticket", "support tickets")
        ),
        Words::OpenTickets => write!(
            out,
            "{}",
            Plural(own, "open support ticket", "open support tickets")
        ),
        Words::UrgentTickets => write!(
            out,
            "{} in the last 90 days",
            Plural(own, "urgent ticket", "urgent tickets")
        ),
        Words::ResolutionHours if own.is_nan() => {
            write!(out, "no resolved ticket in the last year")
        }
        Words::ResolutionHours => write!(
            out,
            "tickets took {} hours to resolve on average (median {})",
            Num(own),
            Num(median)
        ),
        Words::CsatLast if own.is_nan() => write!(out, "never answered a CSAT survey"),
        Words::CsatLast => write!(out, "last CSAT {}/10", Num(own)),
        Words::CsatMean if own.is_nan() => write!(out, "no CSAT answer in the last year"),
        Words::CsatMean => write!(out, "average CSAT {}/10 over the last year", Num(own)),
        Words::Nps => {
            let last = at(feature!("nps_last"));
            if last.is_nan() {
                write!(out, "never answered an NPS survey")
            } else if at(feature!("nps_detractor")) == 1.0 {
                write!(out, "NPS detractor (last score {}/10)", Num(last))
            } else {
                write!(out, "last NPS {}/10", Num(last))
            }
        }
        Words::SurveyAge if own.is_nan() => write!(out, "never answered a survey"),
        Words::SurveyAge => write!(out, "no survey answer in {} days", Num(own)),
        Words::Segment => write!(out, "segment {}", c.segment.unwrap_or(OTHER_LEVEL)),
        Words::Region => write!(out, "region {}", c.region.unwrap_or(OTHER_LEVEL)),
        Words::Key => write!(out, "{}", reason.key),
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::features::{NUMERIC, REGION, SEGMENT};

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
        let mut sums = Vec::new();
        let mut rank = |contributions: &[(usize, f64)]| -> Vec<String> {
            keys.rank(contributions, &mut sums)
                .map(|r| r.key.clone())
                .collect()
        };
        assert_eq!(
            rank(&contributions),
            ["recency_days", "nps", "open_tickets"]
        );
        // Ties are broken by name, so the order never depends on the input order.
        assert_eq!(
            rank(&[(1, 0.2), (0, 0.2)]),
            ["open_tickets", "recency_days"]
        );
        // Only the strongest three; a tie at the cut keeps the first by name.
        assert_eq!(
            rank(&[(6, 0.1), (0, 0.3), (2, 0.1), (1, 0.1), (4, 0.4)]),
            ["nps", "recency_days", "csat_last"]
        );
        assert!(rank(&[(0, -1.0)]).is_empty());
        assert!(rank(&[(0, 0.0)]).is_empty());
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
            assert_eq!(Num(v).to_string(), format!("{v:.0}"), "{v}");
        }
        assert_eq!(Num(50.25).to_string(), "50.2");
        assert_eq!(Num(1e15).to_string(), "1000000000000000");
        assert_eq!(Num(16.04).to_string(), "16");
        assert_eq!(Num(16.06).to_string(), "16.1");
        assert_eq!(Num(-0.04).to_string(), "0");
        assert_eq!(Num(2.95).to_string(), "3");
        assert_eq!(Num(2.949).to_string(), "2.9");
        // Wherever `{:.1}` ends in ".0", the number prints without it; elsewhere as `{:.1}`.
        for i in -30_000..30_000 {
            let v = f64::from(i) / 997.0;
            if v.fract() == 0.0 {
                continue;
            }
            let one = format!("{v:.1}");
            let want = match one.strip_suffix(".0") {
                Some("-0") => "0".to_string(),
                Some(whole) => whole.to_string(),
                None => one.clone(),
            };
            assert_eq!(Num(v).to_string(), want, "{v}");
        }
        assert_eq!(Num(f64::INFINITY).to_string(), "inf");
        assert_eq!(Num(-0.0).to_string(), "-0");
        assert_eq!(Num(f64::NAN).to_string(), "NaN");
    }

    #[test]
    fn every_feature_has_words_of_its_own() {
        let keys = NUMERIC
            .iter()
            .chain(&[SEGMENT, REGION])
            .map(|f| reason_key(f));
        for key in keys {
            assert_ne!(Words::of(&key), Words::Key, "{key}");
        }
        assert_eq!(Words::of("orders_90d"), Words::Orders("90"));
        assert_eq!(Words::of("something_new"), Words::Key);
        let values = customer(&[]);
        let c = Customer {
            numeric: &values,
            segment: None,
            region: None,
        };
        assert_eq!(
            phrase(&Reason::new("something_new"), &c, &[]),
            "something_new"
        );
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
        let mut medians = vec![0.0; NUMERIC.len()];
        medians[numeric_index("recency_days").unwrap()] = 21.0;
        medians[numeric_index("mean_resolution_hours_365d").unwrap()] = 12.0;
        let say = |key: &str| phrase(&Reason::new(key), &c, &medians);
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
