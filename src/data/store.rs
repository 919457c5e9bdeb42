//! The ingested copy of a data directory: [`RawTables`] after every check, written once by
//! `churn ingest` to `<dir>/.churn/tables.bin` and read back by later commands in a small
//! fraction of the time that parsing and checking the files takes.
//!
//! Input: the data directory, its load options and (to write) its checked tables.
//! Output: an [`IngestedCopy`] and its warnings, or why the copy cannot be used. Opening a
//! copy reads its customers and checks its checksum; the events stay on disk until they
//! are read, all at once ([`IngestedCopy::into_tables`]) or a block of customers at a time
//! ([`IngestedCopy::block`]), so a stage that works by blocks never holds them all.
//! Invariants: a copy is used only while it is *fresh*: the same table files with the same
//! sizes and modification times, the same column mapping and options, and the same format
//! and program version as when it was written. Anything else makes it stale, and the
//! caller reads the files instead, so a stale or damaged copy can cost time but never
//! change a result. The copy is written atomically and ends with an xxh3-128 checksum of
//! everything before it, checked on every read.
//!
//! Layout (all numbers little-endian): the magic `CHURNTB1`, a u64 length and a JSON
//! [`Header`] (with the tables' fingerprint, so that training from the copy never reads
//! every event to hash it), then each column as a u64 count and its values, then
//! `CHURNEND` and the 16-byte checksum.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use super::fingerprint::{fingerprint, Fingerprint};
use super::read::locate;
use super::{
    Categorical, Customers, DataError, LoadOptions, Offsets, Orders, RawTables, SurveyKind,
    Surveys, Tickets, NULL_CODE,
};
use crate::io::{write_atomically, WriteError};
use crate::schema::Table;

const MAGIC: &[u8; 8] = b"CHURNTB1";
const END: &[u8; 8] = b"CHURNEND";
/// Bumped whenever the layout or the meaning of a column changes.
const FORMAT_VERSION: u32 = 2;
/// Values converted per buffer when reading or writing a column.
const CHUNK: usize = 1 << 16;

/// Where the ingested copy of `dir` lives.
pub fn store_path(dir: &Path) -> PathBuf {
    dir.join(".churn").join("tables.bin")
}

/// One table file as it was when the copy was written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// Relative to the data directory.
    pub path: String,
    pub bytes: u64,
    /// Modification time, nanoseconds since the epoch.
    pub modified_ns: u128,
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format_version: u32,
    program_version: String,
    /// The column mapping and options the tables were read with.
    options: String,
    files: Vec<SourceFile>,
    warnings: Vec<String>,
    /// The tables' fingerprint, so that a model trained from the copy records its data
    /// without hashing every event again (format 2 on; a header of format 1 has none and
    /// is stale for its version).
    #[serde(default)]
    fingerprint: Option<Fingerprint>,
}

/// What reading the copy found.
#[derive(Debug)]
pub enum Stored {
    /// No copy: `churn ingest` was never run on this directory.
    Missing,
    /// A copy that must not be used, and why (in words for the user).
    Stale(String),
    Fresh {
        copy: Box<IngestedCopy>,
        warnings: Vec<String>,
    },
}

/// The table files of `dir` as they are now, in a fixed order; `None` when a table's files
/// cannot be listed (reading the files then reports why).
pub fn source_files(dir: &Path) -> Option<Vec<SourceFile>> {
    let mut files = Vec::new();
    for table in Table::ALL {
        for part in locate(dir, table).ok()?.unwrap_or_default() {
            let meta = std::fs::metadata(&part.path).ok()?;
            let modified = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
            let path = part.path.strip_prefix(dir).unwrap_or(&part.path);
            files.push(SourceFile {
                path: path.display().to_string(),
                bytes: meta.len(),
                modified_ns: modified.as_nanos(),
            });
        }
    }
    Some(files)
}

fn options_text(opts: &LoadOptions) -> String {
    format!("{opts:?}")
}

/// Writes the copy of `tables`, read from `files` (listed *before* the tables were read,
/// so a file changed while it was being read makes the copy stale) with `opts`.
///
/// # Errors
/// The copy's directory or file cannot be written; nothing is left half-written.
pub fn write(
    dir: &Path,
    files: Vec<SourceFile>,
    opts: &LoadOptions,
    tables: &RawTables,
    warnings: &[String],
) -> Result<PathBuf, WriteError> {
    let path = store_path(dir);
    let header = Header {
        format_version: FORMAT_VERSION,
        program_version: env!("CARGO_PKG_VERSION").to_string(),
        options: options_text(opts),
        files,
        warnings: warnings.to_vec(),
        fingerprint: Some(fingerprint(tables)),
    };
    let header = serde_json::to_vec(&header).expect("a header always serialises");
    write_atomically(&path, |out| {
        let mut w = Out {
            w: out,
            hash: Xxh3::new(),
            buf: Vec::with_capacity(CHUNK * 8),
        };
        w.bytes(MAGIC)
            .and_then(|()| w.bytes(&(header.len() as u64).to_le_bytes()))
            .and_then(|()| w.bytes(&header))
            .and_then(|()| w.tables(tables))
            .and_then(|()| w.bytes(END))
            .and_then(|()| w.w.write_all(&w.hash.digest128().to_le_bytes()))
            .map_err(|source| WriteError::Io {
                path: path.clone(),
                source,
            })
    })?;
    Ok(path)
}

/// Opens the copy of `dir` if there is one and it is fresh for `opts`: reads its header
/// and customers, and checks the checksum of the whole file. The checksum is computed on
/// another thread while this one reads the customers and skips over the events, so opening
/// costs about one read of the file, not a read and then a parse.
pub fn read(dir: &Path, opts: &LoadOptions) -> Stored {
    let path = store_path(dir);
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Stored::Missing,
        Err(e) => return Stored::Stale(format!("it cannot be opened ({e})")),
    };
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    let checked = match file.try_clone() {
        Ok(f) => f,
        Err(e) => return Stored::Stale(format!("it cannot be opened ({e})")),
    };
    let mut r = In {
        r: BufReader::with_capacity(1 << 20, file),
        buf: Vec::new(),
        length,
        left: length,
    };
    let header = match r.header() {
        Ok(h) => h,
        Err(e) => return Stored::Stale(format!("it is damaged ({e})")),
    };
    if let Some(reason) = staleness(&header, dir, opts) {
        return Stored::Stale(reason);
    }
    let Some(fingerprint) = header.fingerprint else {
        return Stored::Stale("it is damaged (its header has no fingerprint)".to_string());
    };
    let mut parse = || r.layout().and_then(|l| r.finish().map(|()| l));
    let checksum = || checksum_matches(&checked, length);
    // Reading at an offset leaves the cursor alone on unix only; elsewhere, one at a time.
    let (layout, checksum) = if cfg!(unix) {
        rayon::join(parse, checksum)
    } else {
        (parse(), checksum())
    };
    match layout.and_then(|l| checksum.map(|()| l)) {
        Ok(layout) => Stored::Fresh {
            copy: Box::new(IngestedCopy {
                file: r.r.into_inner(),
                path,
                layout,
                fingerprint,
            }),
            warnings: header.warnings,
        },
        Err(e) => Stored::Stale(format!("it is damaged ({e})")),
    }
}

/// Bytes hashed at a time when checking a copy's checksum.
const CHECKSUM_BLOCK: usize = 8 << 20;

/// Whether the last 16 bytes of the file are the xxh3-128 of everything before them.
fn checksum_matches(file: &File, length: u64) -> ReadResult<()> {
    let body = length
        .checked_sub(16)
        .ok_or_else(|| "it ends early".to_string())?;
    let mut hash = Xxh3::new();
    let mut buf = vec![0u8; CHECKSUM_BLOCK];
    let mut at = 0;
    while at < body {
        let take = (body - at).min(CHECKSUM_BLOCK as u64) as usize;
        read_exact_at(file, &mut buf[..take], at).map_err(|e| e.to_string())?;
        hash.update(&buf[..take]);
        at += take as u64;
    }
    let mut stored = [0u8; 16];
    read_exact_at(file, &mut stored, body).map_err(|e| e.to_string())?;
    if u128::from_le_bytes(stored) != hash.digest128() {
        return Err("its checksum does not match its content".to_string());
    }
    Ok(())
}

/// Where an event column's values lie in the copy: `len` values from byte `at`.
#[derive(Clone, Copy, Debug)]
struct Span {
    at: u64,
    len: usize,
}

#[derive(Debug)]
struct OrderSpans {
    offsets: Offsets,
    day: Span,
    amount: Span,
}

#[derive(Debug)]
struct TicketSpans {
    offsets: Offsets,
    created: Span,
    resolved_present: Span,
    resolved: Span,
    priority: Span,
}

#[derive(Debug)]
struct SurveySpans {
    offsets: Offsets,
    at: Span,
    kind: Span,
    score: Span,
}

/// What opening a copy keeps in memory: the customers, the events' grouping by customer
/// and where each event column lies.
#[derive(Debug)]
struct Layout {
    customers: Customers,
    orders: OrderSpans,
    tickets: Option<TicketSpans>,
    surveys: Option<SurveySpans>,
    data_end: i32,
}

/// A fresh copy, open, its checksum checked: the customers in memory, the events on disk.
#[derive(Debug)]
pub struct IngestedCopy {
    file: File,
    path: PathBuf,
    layout: Layout,
    fingerprint: Fingerprint,
}

impl IngestedCopy {
    pub fn customers(&self) -> &Customers {
        &self.layout.customers
    }

    /// The tables' [`fingerprint`], computed when the copy was written.
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }

    pub fn data_end(&self) -> i32 {
        self.layout.data_end
    }

    /// Customers `range` (renumbered from 0) with their events, read from disk: equal to
    /// [`RawTables::block`] of the whole tables.
    ///
    /// # Errors
    /// The file cannot be read (it was checked when opened, so this is an I/O failure).
    pub fn block(&self, range: Range<usize>) -> Result<RawTables, DataError> {
        let customers = self.layout.customers.slice(range.clone());
        self.tables(customers, range)
    }

    /// All of the tables in memory.
    ///
    /// # Errors
    /// As [`IngestedCopy::block`].
    pub fn into_tables(mut self) -> Result<RawTables, DataError> {
        let all = 0..self.layout.customers.len();
        let customers = std::mem::take(&mut self.layout.customers);
        self.tables(customers, all)
    }

    /// The customers alone, without reading any event.
    pub fn into_customers(self) -> Customers {
        self.layout.customers
    }

    /// `customers` (customers `range` of the copy) with their events read from disk.
    fn tables(&self, customers: Customers, range: Range<usize>) -> Result<RawTables, DataError> {
        self.read_events(customers, range)
            .map_err(|e| DataError::Read {
                file: self.path.clone(),
                message: format!("the ingested copy could not be read ({e})"),
            })
    }

    fn read_events(&self, customers: Customers, range: Range<usize>) -> std::io::Result<RawTables> {
        let l = &self.layout;
        let (offsets, rows) = l.orders.offsets.slice(range.clone());
        let orders = Orders {
            offsets,
            day: self.values(l.orders.day, rows.clone())?,
            amount: self.values(l.orders.amount, rows)?,
        };
        let tickets = match &l.tickets {
            Some(t) => {
                let (offsets, rows) = t.offsets.slice(range.clone());
                let present: Vec<u8> = self.values(t.resolved_present, rows.clone())?;
                let resolved: Vec<i64> = self.values(t.resolved, rows.clone())?;
                Some(Tickets {
                    offsets,
                    created: self.values(t.created, rows.clone())?,
                    resolved: present
                        .into_iter()
                        .zip(resolved)
                        .map(|(p, v)| (p != 0).then_some(v))
                        .collect(),
                    priority: self.values(t.priority, rows)?,
                })
            }
            None => None,
        };
        let surveys = match &l.surveys {
            Some(s) => {
                let (offsets, rows) = s.offsets.slice(range);
                let kind: Vec<u8> = self.values(s.kind, rows.clone())?;
                Some(Surveys {
                    offsets,
                    at: self.values(s.at, rows.clone())?,
                    kind: kind.into_iter().map(survey_kind).collect(),
                    score: self.values(s.score, rows)?,
                })
            }
            None => None,
        };
        Ok(RawTables {
            customers,
            orders,
            tickets,
            surveys,
            data_end: l.data_end,
        })
    }

    /// Values `rows` of the column at `span` (within it: the offsets were checked against
    /// the column's length when the copy was opened). Chunks of the column are read at
    /// their own offsets and converted on all threads: reading the copy was one thread's
    /// work, most of it the kernel handing out the column's fresh pages.
    fn values<T: Le + Default + Send>(
        &self,
        span: Span,
        rows: Range<usize>,
    ) -> std::io::Result<Vec<T>> {
        debug_assert!(rows.end <= span.len);
        let start = span.at + (rows.start * T::WIDTH) as u64;
        let mut values = vec![T::default(); rows.len()];
        values
            .par_chunks_mut(CHUNK)
            .enumerate()
            .try_for_each_init(Vec::new, |buf, (k, out)| {
                buf.resize(out.len() * T::WIDTH, 0);
                read_exact_at(&self.file, buf, start + (k * CHUNK * T::WIDTH) as u64)?;
                for (value, bytes) in out.iter_mut().zip(buf.chunks_exact(T::WIDTH)) {
                    *value = T::get(bytes);
                }
                Ok::<(), std::io::Error>(())
            })?;
        Ok(values)
    }
}

/// Fills `buf` from byte `at` of `file`, without moving (or sharing) its cursor.
#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

/// Fills `buf` from byte `at` of `file` (each read says where it starts, so threads that
/// share the handle do not race on its cursor).
#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut at: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, at) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                at += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn all_of_length(spans: &[Span], rows: usize) -> bool {
    spans.iter().all(|s| s.len == rows)
}

fn survey_kind(code: u8) -> SurveyKind {
    if code == 1 {
        SurveyKind::Nps
    } else {
        SurveyKind::Csat
    }
}

/// Why a copy with `header` does not stand for `dir` read with `opts` now, if it does not.
fn staleness(header: &Header, dir: &Path, opts: &LoadOptions) -> Option<String> {
    let program = env!("CARGO_PKG_VERSION");
    if header.format_version != FORMAT_VERSION || header.program_version != program {
        return Some(format!(
            "it was written by churn {} (format {}), this is churn {program} (format {FORMAT_VERSION})",
            header.program_version, header.format_version
        ));
    }
    if header.options != options_text(opts) {
        return Some("it was read with another column mapping or other options".to_string());
    }
    let Some(now) = source_files(dir) else {
        return Some("the table files cannot be listed".to_string());
    };
    for file in &now {
        match header.files.iter().find(|f| f.path == file.path) {
            None => return Some(format!("{} is new since it was written", file.path)),
            Some(then) if then != file => {
                return Some(format!("{} has changed since it was written", file.path))
            }
            Some(_) => {}
        }
    }
    header
        .files
        .iter()
        .find(|f| !now.iter().any(|n| n.path == f.path))
        .map(|gone| format!("{} is gone since it was written", gone.path))
}

/// A little-endian fixed-width value of a column.
trait Le: Copy {
    const WIDTH: usize;
    fn put(self, out: &mut Vec<u8>);
    fn get(bytes: &[u8]) -> Self;
}

macro_rules! le {
    ($($t:ty),*) => {$(
        impl Le for $t {
            const WIDTH: usize = std::mem::size_of::<$t>();
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get(bytes: &[u8]) -> Self {
                <$t>::from_le_bytes(bytes.try_into().expect("chunk of the value's width"))
            }
        }
    )*};
}
le!(u8, u32, u64, i32, i64, f64);

struct Out<W: Write> {
    w: W,
    hash: Xxh3,
    buf: Vec<u8>,
}

impl<W: Write> Out<W> {
    fn bytes(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.hash.update(b);
        self.w.write_all(b)
    }

    /// A column: its length, then its values, converted a chunk at a time.
    fn column<T: Le, I>(&mut self, values: I) -> std::io::Result<()>
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: ExactSizeIterator,
    {
        let mut values = values.into_iter();
        self.bytes(&(values.len() as u64).to_le_bytes())?;
        let mut buf = std::mem::take(&mut self.buf);
        loop {
            buf.clear();
            for v in (&mut values).take(CHUNK) {
                v.put(&mut buf);
            }
            if buf.is_empty() {
                break;
            }
            self.bytes(&buf)?;
        }
        self.buf = buf;
        Ok(())
    }

    fn texts(&mut self, texts: &[String]) -> std::io::Result<()> {
        self.column(texts.iter().map(|t| t.len() as u64))?;
        self.column(texts.concat().bytes())
    }

    fn flag(&mut self, present: bool) -> std::io::Result<()> {
        self.bytes(&[u8::from(present)])
    }

    fn categorical(&mut self, c: Option<&Categorical>) -> std::io::Result<()> {
        self.flag(c.is_some())?;
        if let Some(c) = c {
            self.column(c.codes.iter().copied())?;
            self.texts(&c.levels)?;
        }
        Ok(())
    }

    fn optional<T: Le + Default>(&mut self, values: &[Option<T>]) -> std::io::Result<()> {
        self.column(values.iter().map(|v| u8::from(v.is_some())))?;
        self.column(values.iter().map(|v| v.unwrap_or_default()))
    }

    fn offsets(&mut self, o: &Offsets) -> std::io::Result<()> {
        self.column(o.0.iter().map(|&v| v as u64))
    }

    fn tables(&mut self, t: &RawTables) -> std::io::Result<()> {
        let c = &t.customers;
        self.texts(&c.ids)?;
        self.column(c.signup_day.iter().copied())?;
        self.categorical(c.segment.as_ref())?;
        self.categorical(c.region.as_ref())?;
        self.flag(c.churned_at.is_some())?;
        if let Some(churned) = &c.churned_at {
            self.optional(churned)?;
        }
        self.texts(&c.extra_columns)?;
        self.offsets(&t.orders.offsets)?;
        self.column(t.orders.day.iter().copied())?;
        self.column(t.orders.amount.iter().copied())?;
        self.flag(t.tickets.is_some())?;
        if let Some(k) = &t.tickets {
            self.offsets(&k.offsets)?;
            self.column(k.created.iter().copied())?;
            self.optional(&k.resolved)?;
            self.column(k.priority.iter().copied())?;
        }
        self.flag(t.surveys.is_some())?;
        if let Some(s) = &t.surveys {
            self.offsets(&s.offsets)?;
            self.column(s.at.iter().copied())?;
            self.column(s.kind.iter().map(|k| u8::from(*k == SurveyKind::Nps)))?;
            self.column(s.score.iter().copied())?;
        }
        self.column([t.data_end])
    }
}

/// What went wrong reading a copy, for the "damaged" message.
type ReadResult<T> = Result<T, String>;

struct In {
    r: BufReader<File>,
    buf: Vec<u8>,
    /// Bytes in the file.
    length: u64,
    /// Bytes of the file not read yet: no count read from the file may ask for more.
    left: u64,
}

impl In {
    fn fill(&mut self, n: usize) -> ReadResult<()> {
        if n as u64 > self.left {
            return Err("it ends early".to_string());
        }
        self.buf.resize(n, 0);
        self.r
            .read_exact(&mut self.buf)
            .map_err(|e| e.to_string())?;
        self.left -= n as u64;
        Ok(())
    }

    fn u64(&mut self) -> ReadResult<u64> {
        self.fill(8)?;
        Ok(u64::get(&self.buf))
    }

    fn header(&mut self) -> ReadResult<Header> {
        self.fill(MAGIC.len())?;
        if self.buf != MAGIC {
            return Err("it is not an ingested copy".to_string());
        }
        let n = self.u64()?;
        self.fill(usize::try_from(n).map_err(|e| e.to_string())?)?;
        serde_json::from_slice(&self.buf).map_err(|e| e.to_string())
    }

    fn column<T: Le>(&mut self) -> ReadResult<Vec<T>> {
        let n = self.u64()?;
        if n.saturating_mul(T::WIDTH as u64) > self.left {
            return Err("it ends early: a column is longer than the rest of the file".to_string());
        }
        let n = n as usize;
        let mut values = Vec::with_capacity(n);
        while values.len() < n {
            let take = (n - values.len()).min(CHUNK);
            self.fill(take * T::WIDTH)?;
            values.extend(self.buf.chunks_exact(T::WIDTH).map(T::get));
        }
        Ok(values)
    }

    /// An event column: where its values start and how many there are. The values are
    /// skipped (the checksum is checked on its own), not read.
    fn span<T: Le>(&mut self) -> ReadResult<Span> {
        let n = self.u64()?;
        let bytes = n.saturating_mul(T::WIDTH as u64);
        if bytes > self.left {
            return Err("it ends early: a column is longer than the rest of the file".to_string());
        }
        let at = self.length - self.left;
        let skip = i64::try_from(bytes).map_err(|e| e.to_string())?;
        self.r.seek_relative(skip).map_err(|e| e.to_string())?;
        self.left -= bytes;
        Ok(Span {
            at,
            len: n as usize,
        })
    }

    fn flag(&mut self) -> ReadResult<bool> {
        self.fill(1)?;
        match self.buf[0] {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err("a presence flag is neither 0 nor 1".to_string()),
        }
    }

    fn texts(&mut self) -> ReadResult<Vec<String>> {
        let lengths: Vec<u64> = self.column()?;
        let bytes: Vec<u8> = self.column()?;
        let mut texts = Vec::with_capacity(lengths.len());
        let mut at = 0usize;
        for len in lengths {
            let end = usize::try_from(len)
                .ok()
                .and_then(|l| at.checked_add(l))
                .filter(|&e| e <= bytes.len())
                .ok_or("a text runs past its column")?;
            let text = std::str::from_utf8(&bytes[at..end]).map_err(|e| e.to_string())?;
            texts.push(text.to_string());
            at = end;
        }
        if at != bytes.len() {
            return Err("a text column has bytes left over".to_string());
        }
        Ok(texts)
    }

    fn categorical(&mut self, rows: usize) -> ReadResult<Option<Categorical>> {
        if !self.flag()? {
            return Ok(None);
        }
        let codes: Vec<u32> = self.column()?;
        let levels = self.texts()?;
        let in_range = codes
            .iter()
            .all(|&c| c == NULL_CODE || (c as usize) < levels.len());
        if codes.len() != rows || !in_range {
            return Err("a coded column does not match its customers or levels".to_string());
        }
        Ok(Some(Categorical { codes, levels }))
    }

    fn optional<T: Le>(&mut self) -> ReadResult<Vec<Option<T>>> {
        let present: Vec<u8> = self.column()?;
        let values: Vec<T> = self.column()?;
        if present.len() != values.len() {
            return Err("an optional column's flags and values differ in length".to_string());
        }
        Ok(present
            .into_iter()
            .zip(values)
            .map(|(p, v)| (p != 0).then_some(v))
            .collect())
    }

    /// Offsets of `customers` customers over `rows` events: starting at 0, never
    /// decreasing, ending at `rows`.
    fn offsets(&mut self, customers: usize) -> ReadResult<(Offsets, usize)> {
        let raw: Vec<u64> = self.column()?;
        let ok = raw.len() == customers + 1
            && raw.first() == Some(&0)
            && raw.windows(2).all(|w| w[0] <= w[1]);
        if !ok {
            return Err("an event table's grouping by customer is broken".to_string());
        }
        let rows = *raw.last().expect("checked non-empty") as usize;
        Ok((Offsets(raw.into_iter().map(|v| v as usize).collect()), rows))
    }

    /// The customers in memory; the events located.
    fn layout(&mut self) -> ReadResult<Layout> {
        let ids = self.texts()?;
        let n = ids.len();
        let signup_day: Vec<i32> = self.column()?;
        let segment = self.categorical(n)?;
        let region = self.categorical(n)?;
        let churned_at = if self.flag()? {
            Some(self.optional::<i32>()?)
        } else {
            None
        };
        let extra_columns = self.texts()?;
        if signup_day.len() != n || churned_at.as_ref().is_some_and(|c| c.len() != n) {
            return Err("the customers' columns differ in length".to_string());
        }
        let customers = Customers {
            ids,
            signup_day,
            segment,
            region,
            churned_at,
            extra_columns,
        };
        let (offsets, rows) = self.offsets(n)?;
        let orders = OrderSpans {
            offsets,
            day: self.span::<i32>()?,
            amount: self.span::<f64>()?,
        };
        let mut lengths_ok = all_of_length(&[orders.day, orders.amount], rows);
        let tickets = if self.flag()? {
            let (offsets, rows) = self.offsets(n)?;
            let t = TicketSpans {
                offsets,
                created: self.span::<i64>()?,
                resolved_present: self.span::<u8>()?,
                resolved: self.span::<i64>()?,
                priority: self.span::<u8>()?,
            };
            lengths_ok &= all_of_length(
                &[t.created, t.resolved_present, t.resolved, t.priority],
                rows,
            );
            Some(t)
        } else {
            None
        };
        let surveys = if self.flag()? {
            let (offsets, rows) = self.offsets(n)?;
            let s = SurveySpans {
                offsets,
                at: self.span::<i64>()?,
                kind: self.span::<u8>()?,
                score: self.span::<u8>()?,
            };
            lengths_ok &= all_of_length(&[s.at, s.kind, s.score], rows);
            Some(s)
        } else {
            None
        };
        let data_end: Vec<i32> = self.column()?;
        if !lengths_ok || data_end.len() != 1 {
            return Err("an event table's columns differ in length".to_string());
        }
        Ok(Layout {
            customers,
            orders,
            tickets,
            surveys,
            data_end: data_end[0],
        })
    }

    /// Checks the end marker, and that only the checksum follows it.
    fn finish(&mut self) -> ReadResult<()> {
        self.fill(END.len())?;
        if self.buf != END {
            return Err("its end marker is missing".to_string());
        }
        if self.left != 16 {
            return Err("its checksum is not where its end marker says".to_string());
        }
        Ok(())
    }
}
