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
use super::{CustomerIndex, DayRange, EventPart};
use crate::dates;
use crate::schema;

/// The customer number of each event's customer id, looked up as the general path does
/// (`customer_numbers`): the previous row's customer first, then the next customer in
/// the customers table's order, then the index.
#[derive(Default)]
struct Lookup {
    previous: Option<u32>,
    in_order: bool,
}

impl Lookup {
    fn number(&mut self, index: &CustomerIndex<'_>, id: &str) -> Option<u32> {
        if let Some(previous) = self.previous {
            if index.unique && index.ids[previous as usize] == id {
                return Some(previous);
            }
        }
        let next = self.previous.map(|n| n as usize + 1);
        let number = index.find(id, next.filter(|_| self.in_order))?;
        self.in_order = next == Some(number as usize);
        self.previous = Some(number);
        Some(number)
    }
}

/// An amount as the general path reads it (`read::numbers`): finite, and here also not
/// negative (a negative amount is a problem to report).
fn amount(text: &str) -> Option<f64> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|a| a.is_finite() && *a >= 0.0)
}

/// The orders of one piece of a part.
#[derive(Default)]
struct Orders {
    customers: Lookup,
    numbers: Vec<Option<u32>>,
    id_hashes: Vec<u64>,
    day: Vec<i32>,
    amount: Vec<f64>,
    range: DayRange,
}

/// What the general path's conversion gives for an orders part: the event part, the
/// order days, the amounts.
pub(super) type OrderValues = (EventPart, Vec<i32>, Vec<f64>);

/// One orders part: its number of rows and values; `None` when a row has anything to
/// report.
pub(super) fn orders(
    plain: &mut PlainCsv,
    names: &HashMap<&'static str, String>,
    index: &CustomerIndex<'_>,
) -> std::io::Result<Option<(usize, OrderValues)>> {
    if !index.usable() {
        return Ok(None);
    }
    let columns = [
        schema::ORDER_ID,
        schema::CUSTOMER_ID,
        schema::ORDER_DATE,
        schema::AMOUNT,
    ];
    let Some(theirs) = columns
        .iter()
        .map(|ours| names.get(ours).cloned())
        .collect::<Option<Vec<String>>>()
    else {
        return Ok(None);
    };
    let pieces = plain.fold_rows(&theirs, Orders::default, |o, row| {
        let [order_id, customer_id, day, value] = row else {
            return false;
        };
        if order_id.is_empty() || customer_id.is_empty() {
            return false;
        }
        let (Some(number), Some(day), Some(value)) = (
            o.customers.number(index, customer_id),
            dates::parse_date_or_timestamp(day),
            amount(value),
        ) else {
            return false;
        };
        o.numbers.push(Some(number));
        o.id_hashes.push(xxh3_64(order_id.as_bytes()));
        o.range.add(day);
        o.day.push(day);
        o.amount.push(value);
        true
    })?;
    let Some(pieces) = pieces else {
        return Ok(None);
    };
    let rows = pieces.iter().map(|p| p.day.len()).sum();
    let mut part = EventPart::default();
    let mut day = Vec::with_capacity(rows);
    let mut amount = Vec::with_capacity(rows);
    part.numbers.reserve_exact(rows);
    part.id_hashes.reserve_exact(rows);
    for piece in pieces {
        part.numbers.extend(piece.numbers);
        part.id_hashes.extend(piece.id_hashes);
        part.range.merge(&piece.range);
        day.extend(piece.day);
        amount.extend(piece.amount);
    }
    Ok(Some((rows, (part, day, amount))))
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

    type Read = Option<(usize, OrderValues)>;

    fn read(text: &str, ids: &[String], threads: usize) -> Read {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.csv");
        std::fs::write(&path, text).unwrap();
        // Their names differ from ours, as a column mapping makes them.
        let names: HashMap<&'static str, String> = [
            (schema::ORDER_ID, "id"),
            (schema::CUSTOMER_ID, "cust"),
            (schema::ORDER_DATE, "when"),
            (schema::AMOUNT, "value"),
        ]
        .into_iter()
        .map(|(ours, theirs)| (ours, theirs.to_string()))
        .collect();
        let mut plain = PlainCsv::open(&path).unwrap().expect("plain");
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| orders(&mut plain, &names, &index(ids)))
            .unwrap()
    }

    const HEADER: &str = "note,value,when,cust,id\n";

    #[test]
    fn valid_rows_are_read_directly_and_anything_to_report_is_given_back() {
        let ids: Vec<String> = ["C1", "C2", "C3", "C4", "C5"]
            .iter()
            .map(|s| s.to_string())
            .collect();
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
            let (n, (part, days, amounts)) = read(&text, &ids, threads).expect("valid rows");
            assert_eq!(n, 9);
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
                assert!(read(&text, &ids, threads).is_none(), "{why}");
            }
        }
        // Without customers (their table failed), every order would be unknown.
        assert!(read(&text, &[], 1).is_none());
        // A file without rows is polars' to judge.
        assert!(read(HEADER, &ids, 1).is_none());
    }
}
