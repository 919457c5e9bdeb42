//! Plain CSV parts read straight into their values, row by row, while each block of the
//! file is in cache: no column of text ranges is built and walked again per column, and
//! nothing is held but the values. This is the path of valid data, the usual case. A part
//! with anything to report (an empty value, a bad date or amount, a negative amount, an
//! unknown customer) is given back at its first such row, and the general path (`read.rs`
//! and the converters in `mod.rs`) reads it again and reports every problem; the values of
//! the two paths are the same (the tests compare them).

use std::collections::HashMap;

use xxhash_rust::xxh3::xxh3_64;

use super::csv::PlainCsv;
use super::{CustomerIndex, EventPart, Lookup};
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
    event: EventPart,
    columns: C,
}

/// Reads an event table's part: `columns` are ours, the event's id and the customer's id
/// first. `row` parses the rest of a row into the table's columns and gives the row's
/// day (for the table's date range); `None` when anything is to be reported, which gives
/// the part back.
fn events<C: Columns>(
    plain: &mut PlainCsv,
    names: &HashMap<&'static str, String>,
    index: &CustomerIndex<'_>,
    columns: &[&str],
    row: impl Fn(&mut C, &[&str]) -> Option<i32> + Sync,
) -> std::io::Result<Option<(EventPart, C)>> {
    let theirs: Option<Vec<String>> = columns.iter().map(|c| names.get(c).cloned()).collect();
    let Some(theirs) = theirs.filter(|_| index.usable()) else {
        return Ok(None);
    };
    let start = |rows| Piece {
        lookup: Lookup::default(),
        event: EventPart {
            numbers: Vec::with_capacity(rows),
            id_hashes: Vec::with_capacity(rows),
            ..EventPart::default()
        },
        columns: C::with_capacity(rows),
    };
    let pieces = plain.fold_rows(&theirs, start, |piece, fields| {
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
        piece.event.numbers.push(Some(number));
        piece.event.id_hashes.push(xxh3_64(id.as_bytes()));
        piece.event.range.add(day);
        true
    })?;
    let Some(pieces) = pieces else {
        return Ok(None);
    };
    let rows = pieces.iter().map(|p| p.event.numbers.len()).sum();
    let mut part = EventPart::default();
    part.numbers.reserve_exact(rows);
    part.id_hashes.reserve_exact(rows);
    let mut columns = C::with_capacity(rows);
    for piece in pieces {
        part.numbers.extend(piece.event.numbers);
        part.id_hashes.extend(piece.event.id_hashes);
        part.range.merge(&piece.event.range);
        columns.append(piece.columns);
    }
    Ok(Some((part, columns)))
}

/// An amount as the general path reads it (`read::numbers`): finite, and here also not
/// negative (a negative amount is a problem to report).
fn parse_amount(text: &str) -> Option<f64> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|a| a.is_finite() && *a >= 0.0)
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
        |(days, amounts): &mut OrderColumns, row| {
            let [day, amount] = row else {
                return None;
            };
            let (day, amount) = (dates::parse_date_or_timestamp(day)?, parse_amount(amount)?);
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
        pool.install(|| reader(&mut plain, &names, &index(ids)))
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
            let hashes: Vec<u64> = (0..9)
                .map(|i| xxh3_64(format!("O{i}").as_bytes()))
                .collect();
            assert_eq!(part.id_hashes, hashes);
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
            assert_eq!(part.id_hashes[2], xxh3_64(b"T3"));
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
}
