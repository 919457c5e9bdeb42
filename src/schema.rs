//! The data contract in one place: table names, the columns each table must or may have,
//! and the names of the feature columns. Every other module refers to these constants
//! instead of spelling column names as string literals.

/// The four input tables, in the order they are read and reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Customers,
    Orders,
    Tickets,
    Surveys,
}

impl Table {
    pub const ALL: [Table; 4] = [
        Table::Customers,
        Table::Orders,
        Table::Tickets,
        Table::Surveys,
    ];

    /// The file stem: `orders` for `orders.csv`, `orders.parquet` or `orders/`.
    pub fn name(self) -> &'static str {
        match self {
            Table::Customers => "customers",
            Table::Orders => "orders",
            Table::Tickets => "tickets",
            Table::Surveys => "surveys",
        }
    }

    /// Customers and orders must be present; without tickets or surveys the
    /// corresponding features are null.
    pub fn is_required(self) -> bool {
        matches!(self, Table::Customers | Table::Orders)
    }

    /// The contract's columns of this table, required first.
    pub fn columns(self) -> &'static [ColumnSpec] {
        match self {
            Table::Customers => CUSTOMERS,
            Table::Orders => ORDERS,
            Table::Tickets => TICKETS,
            Table::Surveys => SURVEYS,
        }
    }

    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a contract column holds; decides how it is parsed and checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A string identifier (numbers are accepted and read as their text).
    Id,
    /// Free text, for example a segment name.
    Text,
    /// A calendar date; a timestamp is accepted and truncated to its day.
    Date,
    /// A date and time; a plain date means midnight.
    Timestamp,
    /// A finite number.
    Number,
    /// A whole number.
    Integer,
}

#[derive(Clone, Copy, Debug)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    /// Whether an empty value is allowed in a present column.
    pub nullable: bool,
}

const fn col(name: &'static str, kind: Kind, required: bool, nullable: bool) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        required,
        nullable,
    }
}

pub const CUSTOMER_ID: &str = "customer_id";
pub const SIGNUP_DATE: &str = "signup_date";
pub const SEGMENT: &str = "segment";
pub const REGION: &str = "region";
pub const CHURNED_AT: &str = "churned_at";
pub const ORDER_ID: &str = "order_id";
pub const ORDER_DATE: &str = "order_date";
pub const AMOUNT: &str = "amount";
pub const TICKET_ID: &str = "ticket_id";
pub const CREATED_AT: &str = "created_at";
pub const PRIORITY: &str = "priority";
pub const RESOLVED_AT: &str = "resolved_at";
pub const RESPONDED_AT: &str = "responded_at";
pub const KIND: &str = "kind";
pub const SCORE: &str = "score";

const CUSTOMERS: &[ColumnSpec] = &[
    col(CUSTOMER_ID, Kind::Id, true, false),
    col(SIGNUP_DATE, Kind::Date, true, false),
    col(SEGMENT, Kind::Text, false, true),
    col(REGION, Kind::Text, false, true),
    col(CHURNED_AT, Kind::Date, false, true),
];
const ORDERS: &[ColumnSpec] = &[
    col(ORDER_ID, Kind::Id, true, false),
    col(CUSTOMER_ID, Kind::Id, true, false),
    col(ORDER_DATE, Kind::Date, true, false),
    col(AMOUNT, Kind::Number, true, false),
];
const TICKETS: &[ColumnSpec] = &[
    col(TICKET_ID, Kind::Id, true, false),
    col(CUSTOMER_ID, Kind::Id, true, false),
    col(CREATED_AT, Kind::Timestamp, true, false),
    col(PRIORITY, Kind::Text, true, false),
    col(RESOLVED_AT, Kind::Timestamp, true, true),
];
const SURVEYS: &[ColumnSpec] = &[
    col(CUSTOMER_ID, Kind::Id, true, false),
    col(RESPONDED_AT, Kind::Timestamp, true, false),
    col(KIND, Kind::Text, true, false),
    col(SCORE, Kind::Integer, true, false),
];

/// Ticket priorities, in rising order of severity.
pub const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];
/// Index of `urgent` in [`PRIORITIES`].
pub const URGENT: u8 = 3;

/// Survey kinds and their score ranges.
pub const CSAT: &str = "csat";
pub const NPS: &str = "nps";
pub const CSAT_RANGE: (i64, i64) = (1, 10);
pub const NPS_RANGE: (i64, i64) = (0, 10);
/// NPS scores at or below this are detractors.
pub const NPS_DETRACTOR_MAX: f64 = 6.0;

/// Feature table columns.
pub mod features {
    pub const CUSTOMER_ID: &str = super::CUSTOMER_ID;
    pub const SNAPSHOT: &str = "snapshot";
    pub const CHURNED: &str = "churned";
    pub const SEGMENT: &str = super::SEGMENT;
    pub const REGION: &str = super::REGION;

    /// Numeric features, in the order of the feature table and the matrix.
    pub const NUMERIC: [&str; 21] = [
        "recency_days",
        "tenure_days",
        "orders_30d",
        "orders_90d",
        "orders_365d",
        "spend_90d",
        "spend_365d",
        "avg_order_value_365d",
        "order_trend",
        "mean_days_between_orders",
        "tickets_30d",
        "tickets_90d",
        "open_tickets",
        "urgent_tickets_90d",
        "mean_resolution_hours_365d",
        "csat_last",
        "csat_mean_365d",
        "nps_last",
        "nps_detractor",
        "days_since_last_survey",
        "orders_prev_90d",
    ];

    /// The raw features shown beside a score and in summaries, so a person can check them.
    pub const KEY: [&str; 6] = [
        "recency_days",
        "orders_365d",
        "spend_365d",
        "open_tickets",
        "csat_last",
        "nps_last",
    ];

    /// Numeric features that take fractional values; the others are whole numbers, and
    /// tables show them as integers.
    pub const FRACTIONAL: [&str; 7] = [
        "spend_90d",
        "spend_365d",
        "avg_order_value_365d",
        "order_trend",
        "mean_days_between_orders",
        "mean_resolution_hours_365d",
        "csat_mean_365d",
    ];

    /// The position in [`NUMERIC`] of each [`KEY`] feature, worked out when compiling (a
    /// key feature that is not numeric does not compile).
    pub const KEY_INDEX: [usize; KEY.len()] = {
        let mut index = [0; KEY.len()];
        let mut k = 0;
        while k < KEY.len() {
            index[k] = match numeric_index(KEY[k]) {
                Some(i) => i,
                None => panic!("a key feature that is not numeric"),
            };
            k += 1;
        }
        index
    };

    /// The position of `name` in [`NUMERIC`] (a const fn, so constants can use it too).
    pub const fn numeric_index(name: &str) -> Option<usize> {
        position(&NUMERIC, name)
    }

    /// Whether `name` is one of the [`FRACTIONAL`] features (a const fn, like
    /// [`numeric_index`]).
    pub const fn is_fractional(name: &str) -> bool {
        position(&FRACTIONAL, name).is_some()
    }

    /// The position of `name` in `names`.
    const fn position(names: &[&str], name: &str) -> Option<usize> {
        let mut i = 0;
        while i < names.len() {
            if same(names[i].as_bytes(), name.as_bytes()) {
                return Some(i);
            }
            i += 1;
        }
        None
    }

    const fn same(a: &[u8], b: &[u8]) -> bool {
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }

    /// Categorical features, one-hot encoded by the matrix stage.
    pub const CATEGORICAL: [&str; 2] = [SEGMENT, REGION];
}

#[cfg(test)]
mod tests {
    use super::features::{numeric_index, KEY, KEY_INDEX, NUMERIC};

    #[test]
    fn key_features_point_at_their_numeric_columns() {
        assert_eq!(KEY_INDEX, [0, 4, 6, 12, 15, 17]);
        for (name, j) in KEY.into_iter().zip(KEY_INDEX) {
            assert_eq!(NUMERIC[j], name);
        }
        assert_eq!(numeric_index("csat_last"), Some(15));
        assert_eq!(numeric_index("orders_prev_90d"), Some(20));
        assert_eq!(numeric_index("csat_las"), None);
        assert_eq!(numeric_index("segment"), None);
    }
}
