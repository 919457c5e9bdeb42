//! Plain CSV parts read straight into their values, row by row, while each block of the
//! file is in cache: no column of text ranges is built and walked again per column, and
//! nothing is held but the values. This is the path of valid data, the usual case. A part
//! with anything to report (an empty value, a bad date or amount, a negative amount, an
//! unknown customer) is given back at its first such row, and the general path (`read.rs`
//! and the converters in `mod.rs`) reads it again and reports every problem; the values of
//! the two paths are the same (the tests compare them).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use super::csv::PlainCsv;
use super::{hash_id, CustomerIndex, EventPart, IdRun, Lookup, PartIds};
use crate::dates;
use crate::schema;

/// What a direct reader gives for a part.
pub(super) struct Direct<T> {
    pub rows: usize,
    /// Empty values, by the file's column name (none in columns not listed).
    pub nulls: Vec<(String, usize)>,
    /// What the general path's conversion gives for the part.
    pub value: T,
}

/// An event table's own columns, as the general path's conversion gives them.
trait Columns: Send {
    fn with_capacity(rows: usize) -> Self;
    /// Appends the rows of `later`, the next piece of the part.
    fn append(&mut self, later: Self);
}

/// One piece of a part: the customer lookup's state, what every event table has, and
/// the table's own columns.
struct Piece<C> {
    lookup: Lookup,
    ids: PieceIds,
    event: EventPart,
    columns: C,
}

/// How a piece follows its ids: while they increase, or by hashing each.
enum PieceIds {
    Run(IdRun),
    Hashes(Vec<u64>),
}

/// Reads an event table's part: `columns` are ours, the event's id and the customer's id
/// first. `row` parses the rest of a row into the table's columns and gives the row's
/// day (for the table's date range); `None` when anything is to be reported, which gives
/// the part back.
///
/// The ids are first followed while they increase (see [`PartIds`]); at the first that
/// does not, the part is read again hashing every id, and so are the table's later parts
/// (`hashed` is set for them).
fn events<C: Columns>(
    plain: &mut PlainCsv,
    names: &HashMap<&'static str, String>,
    index: &CustomerIndex<'_>,
    columns: &[&str],
    hashed: &AtomicBool,
    row: impl Fn(&mut C, &[&str]) -> Option<i32> + Sync,
) -> std::io::Result<Option<(EventPart, C)>> {
    let theirs: Option<Vec<String>> = columns.iter().map(|c| names.get(c).cloned()).collect();
    let Some(theirs) = theirs.filter(|_| index.usable()) else {
        return Ok(None);
    };
    let mut read = follow(plain, &theirs, index, hashed.load(Ordering::Relaxed), &row)?;
    if let Followed::OutOfOrder = read {
        hashed.store(true, Ordering::Relaxed);
        read = follow(plain, &theirs, index, true, &row)?;
    }
    Ok(match read {
        Followed::Read(part, columns) => Some((part, columns)),
        Followed::OutOfOrder | Followed::Refused => None,
    })
}

/// What one reading of a part gave.
enum Followed<C> {
    Read(EventPart, C),
    /// An id did not follow the one before: read the part again, hashing.
    OutOfOrder,
    /// A row has something to report.
    Refused,
}

/// Reads a part for [`events`], following its ids while they increase or, with `hash`,
/// hashing every one.
fn follow<C: Columns>(
    plain: &mut PlainCsv,
    theirs: &[String],
    index: &CustomerIndex<'_>,
    hash: bool,
    row: &(impl Fn(&mut C, &[&str]) -> Option<i32> + Sync),
) -> std::io::Result<Followed<C>> {
    let out_of_order = AtomicBool::new(false);
    let new_ids = |rows| match hash {
        true => PieceIds::Hashes(Vec::with_capacity(rows)),
        false => PieceIds::Run(IdRun::default()),
    };
    let start = |rows| Piece {
        lookup: Lookup::default(),
        ids: new_ids(rows),
        event: EventPart {
            numbers: Vec::with_capacity(rows),
            ..EventPart::default()
        },
        columns: C::with_capacity(rows),
    };
    let pieces = plain.fold_rows(theirs, start, |piece, fields| {
        let [id, customer_id, rest @ ..] = fields else {
            return false;
        };
        // An empty id is a missing value to report (an empty customer id is never a
        // customer, even where the customers table has one).
        if id.is_empty() || customer_id.is_empty() {
            return false;
        }
        let Some(number) = piece.lookup.number(index, customer_id) else {
            return false;
        };
        let Some(day) = row(&mut piece.columns, rest) else {
            return false;
        };
        match &mut piece.ids {
            PieceIds::Run(run) => {
                if !run.push(id) {
                    out_of_order.store(true, Ordering::Relaxed);
                    return false;
                }
            }
            PieceIds::Hashes(hashes) => hashes.push(hash_id(id)),
        }
        piece.event.numbers.push(Some(number));
        piece.event.range.add(day);
        true
    })?;
    if out_of_order.into_inner() {
        return Ok(Followed::OutOfOrder);
    }
    let Some(pieces) = pieces else {
        return Ok(Followed::Refused);
    };
    let rows = pieces.iter().map(|p| p.event.numbers.len()).sum();
    let mut part = EventPart::default();
    part.numbers.reserve_exact(rows);
    let mut ids = new_ids(rows);
    let mut columns = C::with_capacity(rows);
    for piece in pieces {
        match (&mut ids, piece.ids) {
            (PieceIds::Run(run), PieceIds::Run(later)) => {
                if !run.append(later) {
                    return Ok(Followed::OutOfOrder);
                }
            }
            (PieceIds::Hashes(hashes), PieceIds::Hashes(later)) => hashes.extend(later),
            _ => unreachable!("every piece follows its ids as the part does"),
        }
        part.numbers.extend(piece.event.numbers);
        part.range.merge(&piece.event.range);
        columns.append(piece.columns);
    }
    part.ids = match ids {
        PieceIds::Run(run) => match run.finish() {
            Some(ids) => ids,
            None => return Ok(Followed::Refused),
        },
        PieceIds::Hashes(hashes) => PartIds::Hashes(hashes),
    };
    Ok(Followed::Read(part, columns))
}

/// An amount as the general path reads it (`read::numbers`): finite, and here also not
/// negative (a negative amount is a problem to report).
fn parse_amount(text: &str) -> Option<f64> {
    if let Some(amount) = plain_decimal(text.as_bytes()) {
        return Some(amount);
    }
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|a| a.is_finite() && *a >= 0.0)
}

/// Powers of ten that are exact in an `f64`.
const EXACT_POWERS_OF_TEN: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// The value of a plain decimal ("84.58", "3", "0.5": digits, at most one point with a
/// digit on each side, at most 15 digits), as `str::parse` gives it; `None` for anything
/// else. The digits are an integer below 2^53 and the power of ten is exact, so the one
/// division is correctly rounded, as the parse is: the same `f64`, bit for bit (Clinger's
/// fast path, which the standard parser takes after a slower scan).
fn plain_decimal(bytes: &[u8]) -> Option<f64> {
    let mut mantissa: u64 = 0;
    let mut digits = 0;
    // Digits seen before the point, once it is seen.
    let mut point: Option<usize> = None;
    for &b in bytes {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                digits += 1;
            }
            b'.' if point.is_none() => point = Some(digits),
            _ => return None,
        }
    }
    let decimals = match point {
        None => 0,
        Some(before) => digits - before,
    };
    if digits == 0 || digits > 15 || point.is_some_and(|before| before == 0 || decimals == 0) {
        return None;
    }
    Some(mantissa as f64 / EXACT_POWERS_OF_TEN[decimals])
}

/// An orders part's own columns: the order days, the amounts.
type OrderColumns = (Vec<i32>, Vec<f64>);

impl Columns for OrderColumns {
    fn with_capacity(rows: usize) -> Self {
        (Vec::with_capacity(rows), Vec::with_capacity(rows))
    }

    fn append(&mut self, later: Self) {
        self.0.extend(later.0);
        self.1.extend(later.1);
    }
}

/// The values of an orders part: the event part, the order days, the amounts.
pub(super) type OrderValues = (EventPart, Vec<i32>, Vec<f64>);

/// One orders part, or `None` when a row has anything to report.
pub(super) fn orders(
    plain: &mut PlainCsv,
    names: &HashMap<&'static str, String>,
    index: &CustomerIndex<'_>,
    hashed: &AtomicBool,
) -> std::io::Result<Option<Direct<OrderValues>>> {
    let columns = [
        schema::ORDER_ID,
        schema::CUSTOMER_ID,
        schema::ORDER_DATE,
        schema::AMOUNT,
    ];
    let read = events(
        plain,
        names,
        index,
        &columns,
        hashed,
        |(days, amounts): &mut OrderColumns, row| {
            let [day, amount] = row else {
                return None;
            };
            let day =
                dates::parse_plain_day(day).or_else(|| dates::parse_date_or_timestamp(day))?;
            let amount = parse_amount(amount)?;
            days.push(day);
            amounts.push(amount);
            Some(day)
        },
    )?;
    Ok(read.map(|(part, (day, amount))| Direct {
        rows: day.len(),
        nulls: Vec::new(),
        value: (part, day, amount),
    }))
}

/// A tickets part's own columns: the creation times, resolution times and priorities.
type TicketColumns = (Vec<i64>, Vec<Option<i64>>, Vec<u8>);

impl Columns for TicketColumns {
    fn with_capacity(rows: usize) -> Self {
        (
            Vec::with_capacity(rows),
            Vec::with_capacity(rows),
            Vec::with_capacity(rows),
        )
    }

    fn append(&mut self, later: Self) {
        self.0.extend(later.0);
        self.1.extend(later.1);
        self.2.extend(later.2);
    }
}

/// The values of a tickets part: the event part and its own columns.
pub(super) type TicketValues = (EventPart, TicketColumns);

/// One tickets part, or `None` when a row has anything to report (an open ticket, with
/// no resolution time, is not a problem).
pub(super) fn tickets(
    plain: &mut PlainCsv,
    names: &HashMap<&'static str, String>,
    index: &CustomerIndex<'_>,
    hashed: &AtomicBool,
) -> std::io::Result<Option<Direct<TicketValues>>> {
    let columns = [
        schema::TICKET_ID,
        schema::CUSTOMER_ID,
        schema::CREATED_AT,
        schema::PRIORITY,
        schema::RESOLVED_AT,
    ];
    let read = events(
        plain,
        names,
        index,
        &columns,
        hashed,
        |t: &mut TicketColumns, row| {
            let [created, priority, resolved] = row else {
                return None;
            };
            let created = dates::parse_timestamp(created)?;
            let priority = schema::PRIORITIES
                .iter()
                .position(|p| p.eq_ignore_ascii_case(priority.trim()))?;
            let resolved = match resolved.is_empty() {
                true => None,
                false => Some(dates::parse_timestamp(resolved).filter(|r| *r >= created)?),
            };
            t.0.push(created);
            t.1.push(resolved);
            t.2.push(priority as u8);
            Some(dates::day_of(created))
        },
    )?;
    Ok(read.map(|(part, columns)| {
        let open = columns.1.iter().filter(|r| r.is_none()).count();
        let resolved_at = names.get(schema::RESOLVED_AT).cloned().unwrap_or_default();
        Direct {
            rows: columns.0.len(),
            nulls: vec![(resolved_at, open)],
            value: (part, columns),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::super::{IdHashing, IdKey};
    use super::*;

    fn index(ids: &[String]) -> CustomerIndex<'_> {
        let mut map = HashMap::with_hasher(IdHashing);
        for (k, id) in ids.iter().enumerate() {
            map.entry(IdKey::new(id)).or_insert(k as u32);
        }
        CustomerIndex::new(map, ids)
    }

    /// Writes `text` as a part and reads it directly with `reader` on `threads` threads.
    /// Their column names differ from ours, as a column mapping makes them.
    fn read<T>(
        text: &str,
        ids: &[String],
        threads: usize,
        theirs: &[(&'static str, &str)],
        reader: impl Fn(
                &mut PlainCsv,
                &HashMap<&'static str, String>,
                &CustomerIndex<'_>,
                &AtomicBool,
            ) -> std::io::Result<Option<Direct<T>>>
            + Send
            + Sync,
    ) -> Option<Direct<T>>
    where
        T: Send,
    {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part.csv");
        std::fs::write(&path, text).unwrap();
        let names: HashMap<&'static str, String> = theirs
            .iter()
            .map(|(ours, theirs)| (*ours, theirs.to_string()))
            .collect();
        let mut plain = PlainCsv::open(&path).unwrap().expect("plain");
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let hashed = AtomicBool::new(false);
        pool.install(|| reader(&mut plain, &names, &index(ids), &hashed))
            .unwrap()
    }

    fn read_orders(text: &str, ids: &[String], threads: usize) -> Option<Direct<OrderValues>> {
        let theirs = [
            (schema::ORDER_ID, "id"),
            (schema::CUSTOMER_ID, "cust"),
            (schema::ORDER_DATE, "when"),
            (schema::AMOUNT, "value"),
        ];
        read(text, ids, threads, &theirs, orders)
    }

    fn customer_ids() -> Vec<String> {
        ["C1", "C2", "C3", "C4", "C5"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    const HEADER: &str = "note,value,when,cust,id\n";

    #[test]
    fn valid_rows_are_read_directly_and_anything_to_report_is_given_back() {
        let ids = customer_ids();
        // Customers in order, repeated, backwards and jumping; a timestamp for a date, an
        // amount with spaces, in exponent form, and -0 (not negative).
        let rows = [
            ("C1", "2025-02-01", "10.5"),
            ("C1", "2025-02-03T23:59:59", " 7.25 "),
            ("C2", "2025-01-31", "1e2"),
            ("C3", "2025-02-01", "0"),
            ("C5", "2025-02-02", "-0"),
            ("C4", "2025-02-02", "3"),
            ("C5", "2024-12-31", "4"),
            ("C1", "2025-02-01", "5"),
            ("C2", "2025-02-01", "6"),
        ];
        let mut text = String::from(HEADER);
        for (i, (c, d, a)) in rows.iter().enumerate() {
            text.push_str(&format!("n{i},{a},{d},{c},O{i}\n"));
        }
        let day = |y, m, d| dates::days_from_civil(y, m, d);
        for threads in [1, 2, 4] {
            let direct = read_orders(&text, &ids, threads).expect("valid rows");
            assert_eq!(direct.rows, 9);
            assert!(direct.nulls.is_empty());
            let (part, days, amounts) = direct.value;
            let numbers: Vec<Option<u32>> =
                [0, 0, 1, 2, 4, 3, 4, 0, 1].into_iter().map(Some).collect();
            assert_eq!(part.numbers, numbers, "{threads} threads");
            // O0 to O8 increase: none repeats, and none is hashed.
            assert!(
                matches!(&part.ids, PartIds::Increasing { first, last } if first == "O0" && last == "O8"),
                "{:?}",
                part.ids
            );
            assert_eq!(part.dropped, 0);
            assert_eq!(part.range.0, Some((day(2024, 12, 31), day(2025, 2, 3))));
            let feb = |d| day(2025, 2, d);
            assert_eq!(
                days,
                [
                    feb(1),
                    feb(3),
                    day(2025, 1, 31),
                    feb(1),
                    feb(2),
                    feb(2),
                    day(2024, 12, 31),
                    feb(1),
                    feb(1)
                ]
            );
            assert_eq!(amounts, [10.5, 7.25, 100.0, 0.0, -0.0, 3.0, 4.0, 5.0, 6.0]);
        }
        // Anything the general path would report, or reads otherwise, is given back.
        let bad_rows = [
            ("an empty id", "n,1,2025-02-01,C1,\n"),
            ("an empty customer", "n,1,2025-02-01,,O9\n"),
            ("an unknown customer", "n,1,2025-02-01,C9,O9\n"),
            ("an empty date", "n,1,,C1,O9\n"),
            ("a bad date", "n,1,2025-02-30,C1,O9\n"),
            ("an empty amount", "n,,2025-02-01,C1,O9\n"),
            ("a bad amount", "n,1O,2025-02-01,C1,O9\n"),
            ("an infinite amount", "n,inf,2025-02-01,C1,O9\n"),
            ("a negative amount", "n,-1,2025-02-01,C1,O9\n"),
            ("a quote", "n,\"1\",2025-02-01,C1,O9\n"),
        ];
        for (why, bad) in bad_rows {
            let text = format!("{text}{bad}n,2,2025-02-01,C2,O10\n");
            for threads in [1, 2] {
                assert!(read_orders(&text, &ids, threads).is_none(), "{why}");
            }
        }
        // Without customers (their table failed), every order would be unknown.
        assert!(read_orders(&text, &[], 1).is_none());
        // A file without rows is polars' to judge.
        assert!(read_orders(HEADER, &ids, 1).is_none());
    }

    #[test]
    fn tickets_read_directly_keep_open_ones_and_give_back_anything_to_report() {
        let ids = customer_ids();
        let theirs = [
            (schema::TICKET_ID, "ticket"),
            (schema::CUSTOMER_ID, "customer"),
            (schema::CREATED_AT, "opened"),
            (schema::PRIORITY, "prio"),
            (schema::RESOLVED_AT, "closed"),
        ];
        let header = "closed,prio,opened,customer,ticket\n";
        // An open ticket (no resolution), priorities in any case with spaces, a date for
        // a time (midnight), a ticket resolved the second it was opened.
        let valid = "2025-02-02T10:00:00,low,2025-02-01T09:30:00,C2,T1\n\
                     ,URGENT,2025-02-03T00:00:01,C2,T2\n\
                     2025-01-05,  High ,2025-01-04,C4,T3\n\
                     2025-03-01T08:00:00,normal,2025-03-01T08:00:00,C1,T4\n";
        let text = format!("{header}{valid}");
        let t = |y, m, d, seconds: i64| {
            i64::from(dates::days_from_civil(y, m, d)) * dates::SECONDS_PER_DAY + seconds
        };
        for threads in [1, 3] {
            let direct = read(&text, &ids, threads, &theirs, tickets).expect("valid rows");
            assert_eq!(direct.rows, 4);
            assert_eq!(direct.nulls, [("closed".to_string(), 1)]);
            let (part, (created, resolved, priority)) = direct.value;
            assert_eq!(part.numbers, [Some(1), Some(1), Some(3), Some(0)]);
            assert!(
                matches!(&part.ids, PartIds::Increasing { first, last } if first == "T1" && last == "T4")
            );
            assert_eq!(
                created,
                [
                    t(2025, 2, 1, 9 * 3600 + 1800),
                    t(2025, 2, 3, 1),
                    t(2025, 1, 4, 0),
                    t(2025, 3, 1, 8 * 3600)
                ]
            );
            assert_eq!(
                resolved,
                [
                    Some(t(2025, 2, 2, 10 * 3600)),
                    None,
                    Some(t(2025, 1, 5, 0)),
                    Some(t(2025, 3, 1, 8 * 3600))
                ]
            );
            assert_eq!(priority, [0, 3, 2, 1]);
            let day = |y, m, d| dates::days_from_civil(y, m, d);
            assert_eq!(part.range.0, Some((day(2025, 1, 4), day(2025, 3, 1))));
        }
        let bad_rows = [
            (
                "resolved before created",
                "2025-02-01T09:29:59,low,2025-02-01T09:30:00,C1,T9\n",
            ),
            ("an unknown priority", ",soon,2025-02-01,C1,T9\n"),
            ("an empty priority", ",,2025-02-01,C1,T9\n"),
            ("an empty creation time", ",low,,C1,T9\n"),
            ("a bad creation time", ",low,2025-02-01T25:00:00,C1,T9\n"),
            ("a bad resolution time", "2025-02-31,low,2025-02-01,C1,T9\n"),
            ("an unknown customer", ",low,2025-02-01,C7,T9\n"),
            ("an empty id", ",low,2025-02-01,C1,\n"),
        ];
        for (why, bad) in bad_rows {
            let text = format!("{header}{valid}{bad}");
            assert!(read(&text, &ids, 2, &theirs, tickets).is_none(), "{why}");
        }
    }

    /// Ids that do not increase are hashed, wherever the order breaks: within a piece of
    /// the file, between two pieces (read on two threads), or only at the last row; the
    /// values read are those of increasing ids. A repeated id does not increase either.
    #[test]
    fn ids_out_of_order_are_hashed_wherever_the_order_breaks() {
        let ids = customer_ids();
        let text = |order_ids: &[&str]| {
            let mut text = String::from(HEADER);
            for (i, id) in order_ids.iter().enumerate() {
                text.push_str(&format!("n,{i},2025-02-01,C{},{id}\n", 1 + i % 5));
            }
            text
        };
        let cases: [&[&str]; 5] = [
            &["O1", "O0", "O2", "O3", "O4", "O5"],
            &["O3", "O4", "O5", "O0", "O1", "O2"],
            &["O0", "O1", "O2", "O3", "O4", "O0"],
            &["O0", "O1", "O1", "O2", "O3", "O4"],
            &["O10", "O9", "O11", "O12", "O13", "O14"],
        ];
        for order_ids in cases {
            let hashes: Vec<u64> = order_ids.iter().map(|id| hash_id(id)).collect();
            for threads in [1, 2, 4] {
                let direct = read_orders(&text(order_ids), &ids, threads).expect("valid rows");
                let (part, _, amounts) = direct.value;
                assert_eq!(amounts, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
                assert!(
                    matches!(&part.ids, PartIds::Hashes(h) if *h == hashes),
                    "{order_ids:?} on {threads} threads: {:?}",
                    part.ids
                );
            }
        }
        // Digits compare as numbers: O8 to O11 increase.
        let direct = read_orders(&text(&["O8", "O9", "O10", "O11"]), &ids, 2).unwrap();
        assert!(matches!(
            &direct.value.0.ids,
            PartIds::Increasing { first, last } if first == "O8" && last == "O11"
        ));
    }

    /// Plain decimals convert to the `f64` that `str::parse` gives, bit for bit: every
    /// amount of cents up to 10^6 in steps that cover every last digit, long and short
    /// ones, and leading zeros; anything else is left to the parse.
    #[test]
    fn plain_decimals_are_the_parsed_values_bit_for_bit() {
        let same = |text: &str| {
            let fast = plain_decimal(text.as_bytes()).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(
                fast.to_bits(),
                text.parse::<f64>().unwrap().to_bits(),
                "{text}"
            );
        };
        for cents in (0..100_000_000u64).step_by(997).chain(0..2_000) {
            same(&format!("{}.{:02}", cents / 100, cents % 100));
            same(&format!("{}.{}", cents / 10, cents % 10));
            same(&cents.to_string());
        }
        for text in [
            "0.1",
            "0.2",
            "0.3",
            "1.005",
            "2.675",
            "9007199.25474099",
            "123456789012345",
            "99999999999999.9",
            "0.00000000000001",
            "007.50",
            "0.0",
        ] {
            same(text);
        }
        for other in [
            "",
            ".",
            "5.",
            ".5",
            "1.2.3",
            "-1",
            "+1",
            " 1",
            "1 ",
            "1e2",
            "inf",
            "1,5",
            "1234567890123456",
            "0.1234567890123456",
        ] {
            assert_eq!(plain_decimal(other.as_bytes()), None, "{other:?}");
        }
        // What the fast path leaves is still read by the parse.
        assert_eq!(parse_amount(" 7.25 "), Some(7.25));
        assert_eq!(parse_amount("1e2"), Some(100.0));
        assert_eq!(parse_amount("1234567890123456"), Some(1234567890123456.0));
        assert_eq!(parse_amount("-1"), None);
    }
}
