//! A fingerprint of the validated input: row counts, the date range, and a 128-bit hash of
//! the content. It is computed from [`RawTables`], not from the files, so the same data in
//! CSV or Parquet, in one file or in parts, has the same fingerprint, while any change to a
//! value the pipeline uses changes it. Models record it so a result can be traced to its data.

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use super::{Categorical, RawTables, SurveyKind};
use crate::dates::format_day;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub customers: usize,
    pub orders: usize,
    pub tickets: Option<usize>,
    pub surveys: Option<usize>,
    /// First and last order day, ISO dates.
    pub first_order: Option<String>,
    pub last_order: Option<String>,
    /// The last day of the data (see [`RawTables::data_end`]).
    pub data_end: String,
    /// xxh3-128 of the content, as 32 hex digits.
    pub content_hash: String,
}

/// Bytes gathered before they are handed to the hasher.
const FEED_BYTES: usize = 1 << 16;

/// Feeds values to the hasher with explicit lengths and markers, so that different
/// tables can never hash the same by shifting bytes from one field to the next. Values
/// are gathered into a buffer and hashed 64 KiB at a time: xxh3's streaming state gives
/// the same digest however its input is cut, and one call per 8-byte value cost more than
/// the hashing itself.
struct Feed {
    hash: Xxh3,
    buf: Vec<u8>,
}

impl Feed {
    fn new() -> Feed {
        Feed {
            hash: Xxh3::new(),
            buf: Vec::with_capacity(FEED_BYTES + 64),
        }
    }
    fn put(&mut self, b: &[u8]) {
        if self.buf.len() + b.len() > FEED_BYTES {
            self.hash.update(&self.buf);
            self.buf.clear();
        }
        if b.len() > FEED_BYTES {
            self.hash.update(b);
        } else {
            self.buf.extend_from_slice(b);
        }
    }
    fn digest128(mut self) -> u128 {
        self.hash.update(&self.buf);
        self.hash.digest128()
    }
    fn bytes(&mut self, b: &[u8]) {
        self.put(&(b.len() as u64).to_le_bytes());
        self.put(b);
    }
    fn u64(&mut self, v: u64) {
        self.put(&v.to_le_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.put(&v.to_le_bytes());
    }
    fn opt(&mut self, v: Option<i64>) {
        match v {
            Some(v) => {
                self.put(&[1]);
                self.i64(v);
            }
            None => self.put(&[0]),
        }
    }
    fn categorical(&mut self, c: Option<&Categorical>, n: usize) {
        for idx in 0..n {
            self.bytes(c.and_then(|c| c.get(idx)).unwrap_or("\u{0}null").as_bytes());
        }
    }
}

/// Fingerprints `raw`.
pub fn fingerprint(raw: &RawTables) -> Fingerprint {
    let mut f = Feed::new();
    let c = &raw.customers;
    f.bytes(b"customers");
    f.u64(c.len() as u64);
    for (id, day) in c.ids.iter().zip(&c.signup_day) {
        f.bytes(id.as_bytes());
        f.i64(i64::from(*day));
    }
    f.categorical(c.segment.as_ref(), c.len());
    f.categorical(c.region.as_ref(), c.len());
    match &c.churned_at {
        Some(col) => col.iter().for_each(|d| f.opt(d.map(i64::from))),
        None => f.bytes(b"no churned_at"),
    }
    f.bytes(b"orders");
    f.u64(raw.orders.day.len() as u64);
    raw.orders.offsets.0.iter().for_each(|&o| f.u64(o as u64));
    for (day, amount) in raw.orders.day.iter().zip(&raw.orders.amount) {
        f.i64(i64::from(*day));
        f.u64(amount.to_bits());
    }
    match &raw.tickets {
        Some(t) => {
            f.bytes(b"tickets");
            t.offsets.0.iter().for_each(|&o| f.u64(o as u64));
            for i in 0..t.created.len() {
                f.i64(t.created[i]);
                f.opt(t.resolved[i]);
                f.u64(u64::from(t.priority[i]));
            }
        }
        None => f.bytes(b"no tickets"),
    }
    match &raw.surveys {
        Some(s) => {
            f.bytes(b"surveys");
            s.offsets.0.iter().for_each(|&o| f.u64(o as u64));
            for i in 0..s.at.len() {
                f.i64(s.at[i]);
                f.u64(u64::from(s.kind[i] == SurveyKind::Nps));
                f.u64(u64::from(s.score[i]));
            }
        }
        None => f.bytes(b"no surveys"),
    }
    let days = &raw.orders.day;
    Fingerprint {
        customers: c.len(),
        orders: days.len(),
        tickets: raw.tickets.as_ref().map(|t| t.created.len()),
        surveys: raw.surveys.as_ref().map(|s| s.at.len()),
        first_order: days.iter().min().map(|&d| format_day(d)),
        last_order: days.iter().max().map(|&d| format_day(d)),
        data_end: format_day(raw.data_end),
        content_hash: format!("{:032x}", f.digest128()),
    }
}
