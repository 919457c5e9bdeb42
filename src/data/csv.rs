//! A fast reader for plain CSV files, the common case of an export: comma-separated, no
//! quote characters, no carriage returns, no byte-order mark, no blank lines and the same
//! number of fields on every line. Such a file is split at its commas and newlines in one
//! vectorised pass, block by block, and the wanted values are located in the file's text,
//! not copied out of it.
//!
//! It gives exactly the values that polars' CSV reader gives for such a file (the tests
//! compare the two), without polars' quote-aware line counting, which runs byte by byte on
//! stable Rust and was the largest single cost of reading, nor its string columns, which
//! copy every value once more. Anything else (a quote
//! anywhere, a ragged line, invalid UTF-8) makes `read` answer `None`, and the caller
//! reads the file with polars, whose behaviour and errors are then the reference.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use memchr::{memchr, memchr2, memrchr};
use rayon::prelude::*;

/// Bytes read at a time. A block is cut at its last newline and split between threads.
const BLOCK_BYTES: usize = 8 << 20;
/// The longest header line looked for.
const HEADER_BYTES: usize = 1 << 20;
/// Bytes read at a time while looking for the header's end.
const HEADER_STEP: usize = 4 << 10;

/// A plain CSV file whose header has been read.
pub struct PlainCsv {
    file: File,
    header: Vec<String>,
    body_start: u64,
}

/// Not a plain file: read it with polars instead.
struct NotPlain;

impl PlainCsv {
    /// Reads the header. `Ok(None)` when the header already shows the file is not plain
    /// (a quote, a carriage return, a byte-order mark, an empty or repeated name, no
    /// newline within the first MiB).
    pub fn open(path: &Path) -> std::io::Result<Option<PlainCsv>> {
        let mut file = File::open(path)?;
        // Read a little at a time: the header is usually a few dozen bytes, and the body
        // is read again from its start anyway.
        let mut head = Vec::with_capacity(HEADER_STEP);
        let end = loop {
            let searched = head.len();
            let read = (&mut file)
                .take(HEADER_STEP as u64)
                .read_to_end(&mut head)?;
            if let Some(at) = memchr(b'\n', &head[searched..]) {
                break searched + at;
            }
            if read < HEADER_STEP || head.len() >= HEADER_BYTES {
                return Ok(None);
            }
        };
        let line = &head[..end];
        if line.starts_with(&[0xEF, 0xBB, 0xBF]) || memchr2(b'"', b'\r', line).is_some() {
            return Ok(None);
        }
        let Ok(line) = std::str::from_utf8(line) else {
            return Ok(None);
        };
        let header: Vec<String> = line.split(',').map(str::to_string).collect();
        let repeated = header
            .iter()
            .enumerate()
            .any(|(i, name)| header[..i].contains(name));
        if header.iter().any(String::is_empty) || repeated {
            return Ok(None);
        }
        Ok(Some(PlainCsv {
            file,
            header,
            body_start: end as u64 + 1,
        }))
    }

    /// The column names, in file order.
    pub fn columns(&self) -> &[String] {
        &self.header
    }

    /// The named columns as text, empty values as nulls, in the order of `names`.
    /// `Ok(None)` when the file turns out not to be plain, or has no rows (polars decides
    /// what an empty file means), or a name is not a column or is asked for twice.
    pub fn read(mut self, names: &[String]) -> std::io::Result<Option<PlainTable>> {
        self.read_by_blocks(names, BLOCK_BYTES)
    }

    fn read_by_blocks(
        &mut self,
        names: &[String],
        block_bytes: usize,
    ) -> std::io::Result<Option<PlainTable>> {
        let Some(slot_of_field) = self.slots(names) else {
            return Ok(None);
        };
        let mut table = PlainTable {
            names: names.to_vec(),
            rows: 0,
            texts: Vec::new(),
            pieces: Vec::new(),
        };
        let read = self.for_each_block(block_bytes, |text| {
            let bytes = text.as_bytes();
            let pieces: Vec<(usize, Vec<Ranges>)> = pieces(bytes)
                .into_par_iter()
                .map(|range| {
                    let capacity = range.len() / (8 * slot_of_field.len()).max(1);
                    let mut columns: Vec<Ranges> = (0..names.len())
                        .map(|_| Vec::with_capacity(capacity))
                        .collect();
                    let rows = split_lines(bytes, range, &slot_of_field, |fields| {
                        for (column, &(start, end)) in columns.iter_mut().zip(fields) {
                            // Blocks are at most u32::MAX bytes (`for_each_block`).
                            column.push((start as u32, end as u32));
                        }
                        Ok(())
                    })?;
                    Ok((rows, columns))
                })
                .collect::<Result<_, NotPlain>>()?;
            let block = table.texts.len();
            for (rows, columns) in pieces {
                table.rows += rows;
                table.pieces.push(Piece { block, columns });
            }
            table.texts.push(text);
            Ok(None)
        })?;
        Ok(read.ok().filter(|()| table.rows > 0).map(|()| table))
    }

    /// Hands the named fields of every row, in the order of `names` (an empty value is an
    /// empty string), to `row`, which folds them into a state: one state per piece of
    /// the file (made by `start`, given the piece's number of lines, so that it can
    /// allocate once; pieces are read in parallel), returned in file order.
    /// Nothing of the file's text is kept. `Ok(None)` when the file turns out not to be
    /// plain, has no rows, a name is not a column or is asked for twice, or `row` refuses
    /// a row by answering `false`: the caller then reads the file some other way.
    pub fn fold_rows<S: Send>(
        &mut self,
        names: &[String],
        start: impl Fn(usize) -> S + Sync,
        row: impl Fn(&mut S, &[&str]) -> bool + Sync,
    ) -> std::io::Result<Option<Vec<S>>> {
        self.fold_rows_by_blocks(names, BLOCK_BYTES, start, row)
    }

    fn fold_rows_by_blocks<S: Send>(
        &mut self,
        names: &[String],
        block_bytes: usize,
        start: impl Fn(usize) -> S + Sync,
        row: impl Fn(&mut S, &[&str]) -> bool + Sync,
    ) -> std::io::Result<Option<Vec<S>>> {
        let Some(slot_of_field) = self.slots(names) else {
            return Ok(None);
        };
        let mut states = Vec::new();
        let mut rows = 0;
        let read = self.for_each_block(block_bytes, |text| {
            let bytes = text.as_bytes();
            let folded: Vec<(usize, S)> = pieces(bytes)
                .into_par_iter()
                .map(|range| {
                    let lines = memchr::memchr_iter(b'\n', &bytes[range.clone()]).count();
                    let mut state = start(lines + 1);
                    let mut values = vec![""; names.len()];
                    let rows = split_lines(bytes, range, &slot_of_field, |fields| {
                        for (value, &(start, end)) in values.iter_mut().zip(fields) {
                            *value = &text[start..end];
                        }
                        if row(&mut state, &values) {
                            Ok(())
                        } else {
                            Err(NotPlain)
                        }
                    })?;
                    Ok((rows, state))
                })
                .collect::<Result<_, NotPlain>>()?;
            for (piece_rows, state) in folded {
                rows += piece_rows;
                states.push(state);
            }
            // The text is not kept: its buffer reads the next block.
            Ok(Some(text.into_bytes()))
        })?;
        Ok(read.ok().filter(|()| rows > 0).map(|()| states))
    }

    /// For each field of the file, the position in `names` of the value wanted from it.
    /// `None` when a name is not a column, or is asked for twice: polars' to judge.
    fn slots(&self, names: &[String]) -> Option<Vec<Option<usize>>> {
        let mut slot_of_field = vec![None; self.header.len()];
        for (slot, name) in names.iter().enumerate() {
            match self.header.iter().position(|h| h == name) {
                Some(field) if slot_of_field[field].is_none() => slot_of_field[field] = Some(slot),
                _ => return None,
            }
        }
        Some(slot_of_field)
    }

    /// Reads the body a block of whole lines at a time (at most `block_bytes`, unless a
    /// line is longer) and hands each block's text to `take`, in file order; `take` may
    /// give the text's buffer back to read a later block into. Stops at the first block
    /// that is not valid UTF-8, too long, or that `take` refuses.
    fn for_each_block(
        &mut self,
        block_bytes: usize,
        mut take: impl FnMut(String) -> Result<Option<Vec<u8>>, NotPlain>,
    ) -> std::io::Result<Result<(), NotPlain>> {
        self.file.seek(SeekFrom::Start(self.body_start))?;
        let mut buffer: Vec<u8> = Vec::with_capacity(block_bytes);
        let mut spare: Option<Vec<u8>> = None;
        let mut at_end = false;
        while !at_end {
            // Fill the buffer to a block (it may start with the previous block's last,
            // unfinished line).
            // Read into the spare capacity, which is never zeroed first.
            let start = buffer.len();
            let wanted = block_bytes.max(start * 2) - start;
            let read = (&mut self.file)
                .take(wanted as u64)
                .read_to_end(&mut buffer)?;
            at_end = read < wanted;
            let complete = if at_end {
                buffer.len()
            } else {
                match memrchr(b'\n', &buffer) {
                    Some(last) => last + 1,
                    None => continue,
                }
            };
            // The block keeps its whole lines; the unfinished one starts the next block.
            let mut next = spare
                .take()
                .unwrap_or_else(|| Vec::with_capacity(block_bytes));
            next.clear();
            next.extend_from_slice(&buffer[complete..]);
            buffer.truncate(complete);
            let block = std::mem::replace(&mut buffer, next);
            // Ranges are held as u32 offsets into their block.
            if block.len() > u32::MAX as usize {
                return Ok(Err(NotPlain));
            }
            let Ok(text) = String::from_utf8(block) else {
                return Ok(Err(NotPlain));
            };
            match take(text) {
                Ok(back) => spare = back,
                Err(not_plain) => return Ok(Err(not_plain)),
            }
        }
        Ok(Ok(()))
    }
}

/// The wanted columns of a plain CSV file: the file's whole lines, a block at a time, and
/// where each wanted value lies in them. Values are not copied out of the file's text.
pub struct PlainTable {
    names: Vec<String>,
    rows: usize,
    /// The blocks of whole lines, in file order.
    texts: Vec<String>,
    /// The rows of each block, split as they were parsed (one piece per thread), in order.
    pieces: Vec<Piece>,
}

/// Per row, the byte range of one column's value in its block (empty for a null).
type Ranges = Vec<(u32, u32)>;

/// Consecutive rows of one block: per wanted column, per row, the value's byte range in
/// the block's text (empty for a null).
struct Piece {
    block: usize,
    columns: Vec<Ranges>,
}

impl PlainTable {
    /// The columns' names, in the order asked for.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn height(&self) -> usize {
        self.rows
    }

    /// The `index`th column asked for.
    pub fn column(&self, index: usize) -> PlainColumn<'_> {
        assert!(index < self.names.len(), "column {index} was not read");
        PlainColumn { table: self, index }
    }
}

/// One column of a [`PlainTable`].
#[derive(Clone, Copy)]
pub struct PlainColumn<'a> {
    table: &'a PlainTable,
    index: usize,
}

impl<'a> PlainColumn<'a> {
    pub fn len(&self) -> usize {
        self.table.rows
    }

    /// The values in row order, `None` for an empty one.
    pub fn iter(&self) -> PlainValues<'a> {
        PlainValues {
            pieces: self.table.pieces.iter(),
            texts: &self.table.texts,
            index: self.index,
            ranges: [].iter(),
            text: "",
            left: self.table.rows,
        }
    }

    pub fn null_count(&self) -> usize {
        self.table
            .pieces
            .iter()
            .flat_map(|p| &p.columns[self.index])
            .filter(|(start, end)| start == end)
            .count()
    }
}

/// The values of a [`PlainColumn`].
pub struct PlainValues<'a> {
    pieces: std::slice::Iter<'a, Piece>,
    texts: &'a [String],
    index: usize,
    /// The rest of the current piece, and its block.
    ranges: std::slice::Iter<'a, (u32, u32)>,
    text: &'a str,
    left: usize,
}

impl<'a> Iterator for PlainValues<'a> {
    type Item = Option<&'a str>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(&(start, end)) = self.ranges.next() {
                self.left -= 1;
                return Some((start != end).then(|| &self.text[start as usize..end as usize]));
            }
            let piece = self.pieces.next()?;
            self.ranges = piece.columns[self.index].iter();
            self.text = &self.texts[piece.block];
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for PlainValues<'_> {}

/// Where the commas and newlines of up to 64 bytes are (bit i for byte i), and whether
/// any byte is a quote or a carriage return (the file is then not plain). Eight bytes at
/// a time in a `u64` (SWAR): fields are short, so a search that stops at each separator,
/// as `memchr` does, would stop every few bytes.
fn separators(chunk: &[u8]) -> (u64, bool) {
    let mut padded = [0u8; 64];
    let full: &[u8; 64] = match chunk.try_into() {
        Ok(full) => full,
        Err(_) => {
            padded[..chunk.len()].copy_from_slice(chunk);
            &padded
        }
    };
    let mut separators = 0u64;
    let mut odd = 0u64;
    for (k, word) in full.chunks_exact(8).enumerate() {
        let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        let found = bytes_equal(word, b',') | bytes_equal(word, b'\n');
        // The top bit of each byte, gathered into the low eight bits of the result.
        let bits = ((found >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56;
        separators |= bits << (8 * k);
        odd |= bytes_equal(word, b'"') | bytes_equal(word, b'\r');
    }
    (separators, odd != 0)
}

/// The top bit of each byte of `word` that equals `byte`, and no other bit: exact, with
/// no false match from a borrow between bytes.
fn bytes_equal(word: u64, byte: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = word ^ (0x0101_0101_0101_0101 * u64::from(byte));
    !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7)
}

/// A block of whole lines cut into one piece of whole lines per thread. A quote or a
/// carriage return anywhere means the file is not plain: `split_lines` finds them as it
/// splits.
fn pieces(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let pieces = rayon::current_num_threads().max(1);
    let mut bounds = vec![0];
    for k in 1..pieces {
        let from = (bytes.len() * k / pieces).max(*bounds.last().expect("one bound"));
        let cut = memchr(b'\n', &bytes[from..]).map_or(bytes.len(), |p| from + p + 1);
        bounds.push(cut);
    }
    bounds.push(bytes.len());
    bounds.dedup();
    bounds.windows(2).map(|w| w[0]..w[1]).collect()
}

/// Splits the whole lines of `block[range]` (the last may lack its newline) at their
/// commas and hands each line's wanted fields to `row`, as byte ranges in `block` in the
/// order of the wanted slots. Returns the number of lines.
fn split_lines(
    block: &[u8],
    range: std::ops::Range<usize>,
    slot_of_field: &[Option<usize>],
    mut row: impl FnMut(&[(usize, usize)]) -> Result<(), NotPlain>,
) -> Result<usize, NotPlain> {
    let bytes = &block[range.clone()];
    let base = range.start;
    let n_fields = slot_of_field.len();
    let wanted = slot_of_field.iter().flatten().count();
    let mut fields = vec![(0, 0); wanted];
    // A blank line, or a ragged one, is left to polars.
    let whole = |field: usize, start: usize, end: usize| {
        if field + 1 != n_fields || (field == 0 && start == end) {
            return Err(NotPlain);
        }
        Ok(())
    };
    let mut rows = 0;
    let mut field = 0;
    let mut start = 0;
    for (at, chunk) in bytes.chunks(64).enumerate() {
        let (mut separators, odd) = separators(chunk);
        if odd {
            return Err(NotPlain);
        }
        while separators != 0 {
            let pos = at * 64 + separators.trailing_zeros() as usize;
            separators &= separators - 1;
            if let Some(Some(slot)) = slot_of_field.get(field) {
                fields[*slot] = (base + start, base + pos);
            }
            if bytes[pos] == b'\n' {
                whole(field, start, pos)?;
                row(&fields)?;
                rows += 1;
                field = 0;
            } else {
                field += 1;
            }
            start = pos + 1;
        }
    }
    if start < bytes.len() {
        whole(field, start, bytes.len())?;
        if let Some(Some(slot)) = slot_of_field.get(field) {
            fields[*slot] = (base + start, base + bytes.len());
        }
        row(&fields)?;
        rows += 1;
    } else if field != 0 {
        return Err(NotPlain);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::super::read::{scan, texts, Columns, Format, Part, Source};
    use super::*;
    use polars::prelude::*;

    /// The values read, as the loader sees them.
    fn read_values(columns: &Columns) -> Vec<(String, Vec<Option<String>>)> {
        columns
            .names()
            .into_iter()
            .zip(columns.iter())
            .map(|(name, column)| {
                let text = texts(column).unwrap();
                assert_eq!(text.len(), columns.height());
                let values = text.iter().map(|v| v.map(str::to_string)).collect();
                (name.to_string(), values)
            })
            .collect()
    }

    fn plain_values(table: PlainTable) -> Vec<(String, Vec<Option<String>>)> {
        read_values(&Columns::Plain(table))
    }

    /// The rows `fold_rows` hands over, as columns of values (empty ones as nulls), as
    /// `read` gives them.
    fn fold(
        plain: &mut PlainCsv,
        wanted: &[String],
        block: usize,
    ) -> Option<Vec<(String, Vec<Option<String>>)>> {
        let pieces = plain
            .fold_rows_by_blocks(
                wanted,
                block,
                Vec::with_capacity,
                |rows: &mut Vec<Vec<String>>, row| {
                    rows.push(row.iter().map(|v| v.to_string()).collect());
                    true
                },
            )
            .unwrap()?;
        let rows: Vec<Vec<String>> = pieces.into_iter().flatten().collect();
        Some(
            wanted
                .iter()
                .enumerate()
                .map(|(k, name)| {
                    let values = rows
                        .iter()
                        .map(|row| Some(row[k].clone()).filter(|v| !v.is_empty()))
                        .collect();
                    (name.clone(), values)
                })
                .collect(),
        )
    }

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    /// Polars' own frame of the named columns, all text: the reference.
    fn by_polars(part: &Part, wanted: &[String]) -> Vec<(String, Vec<Option<String>>)> {
        let exprs: Vec<Expr> = wanted.iter().map(|n| col(n.as_str())).collect();
        let frame = scan(part).unwrap().select(exprs).collect().unwrap();
        for c in frame.columns() {
            assert_eq!(c.dtype(), &DataType::String, "{}", c.name());
        }
        read_values(&Columns::Frame(frame))
    }

    fn file(text: &[u8]) -> (tempfile::TempDir, Part) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, text).unwrap();
        let part = Part {
            path,
            format: Format::Csv,
        };
        (dir, part)
    }

    #[test]
    fn a_plain_file_reads_as_polars_reads_it_whatever_the_block_size() {
        let text = "id,day,note,amount\n\
                    C1,2024-01-31,,12.50\n\
                    C2,,a note longer than twelve bytes,\n\
                    C3,2024-02-29, spaced ,-1e3\n\
                    ,2024-03-01,Zoë,0\n\
                    C5,2024-03-02,x,7";
        let (_dir, part) = file(text.as_bytes());
        let wanted = names(&["amount", "id", "note"]);
        let expected = by_polars(&part, &wanted);
        // By hand: empty values are nulls, nothing is trimmed, the last line needs no
        // newline, columns come in the order asked for.
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            expected,
            vec![
                (
                    "amount".to_string(),
                    vec![s("12.50"), None, s("-1e3"), s("0"), s("7")]
                ),
                (
                    "id".to_string(),
                    vec![s("C1"), s("C2"), s("C3"), None, s("C5")]
                ),
                (
                    "note".to_string(),
                    vec![
                        None,
                        s("a note longer than twelve bytes"),
                        s(" spaced "),
                        s("Zoë"),
                        s("x")
                    ]
                ),
            ]
        );
        // Blocks of 16 bytes cut inside lines and hold less than one line; 1 MiB holds
        // the file.
        for block in [16, 40, 1 << 20] {
            let mut plain = PlainCsv::open(&part.path).unwrap().expect("plain");
            assert_eq!(plain.columns(), names(&["id", "day", "note", "amount"]));
            let table = plain
                .read_by_blocks(&wanted, block)
                .unwrap()
                .expect("plain");
            assert_eq!(plain_values(table), expected, "blocks of {block} bytes");
            assert_eq!(
                fold(&mut plain, &wanted, block),
                Some(expected.clone()),
                "rows folded in blocks of {block} bytes"
            );
        }
    }

    #[test]
    fn headers_are_found_across_reads_up_to_a_mebibyte() {
        // Headers longer than one read of the header (4 KiB), ending in the second and in
        // the third read, and one too long to look for.
        for width in [5_000, 2 * HEADER_STEP - 1, HEADER_BYTES + 10] {
            let long = "x".repeat(width);
            let (_dir, part) = file(format!("id,{long}\nC1,1\n").as_bytes());
            let plain = PlainCsv::open(&part.path).unwrap();
            if width > HEADER_BYTES {
                assert!(
                    plain.is_none(),
                    "a header of {width} bytes is polars' to find"
                );
                continue;
            }
            let mut plain = plain.expect("plain");
            assert_eq!(plain.columns(), [String::from("id"), long.clone()]);
            let wanted = names(&["id", &long]);
            let expected = vec![
                ("id".to_string(), vec![Some("C1".to_string())]),
                (long.clone(), vec![Some("1".to_string())]),
            ];
            assert_eq!(fold(&mut plain, &wanted, 8), Some(expected.clone()));
            assert_eq!(
                plain_values(plain.read(&wanted).unwrap().unwrap()),
                expected
            );
        }
    }

    #[test]
    fn many_rows_across_blocks_and_threads_keep_their_order() {
        let mut text = String::from("a,b\n");
        for i in 0..5000 {
            if i % 7 == 0 {
                text.push_str(&format!("{i},\n"));
            } else {
                text.push_str(&format!("{i},v{}\n", i * 3));
            }
        }
        let (_dir, part) = file(text.as_bytes());
        let wanted = names(&["b", "a"]);
        let expected = by_polars(&part, &wanted);
        assert_eq!(expected[1].1[4999].as_deref(), Some("4999"));
        assert_eq!(expected[0].1[4999].as_deref(), Some("v14997"));
        assert_eq!(expected[0].1[4998], None);
        for block in [100, 4096, BLOCK_BYTES] {
            let mut plain = PlainCsv::open(&part.path).unwrap().unwrap();
            let table = plain.read_by_blocks(&wanted, block).unwrap().unwrap();
            assert_eq!(plain_values(table), expected, "blocks of {block} bytes");
            assert_eq!(
                fold(&mut plain, &wanted, block),
                Some(expected.clone()),
                "rows folded in blocks of {block} bytes"
            );
        }
        // With several threads a block is folded in pieces, each with its own state.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        let mut plain = PlainCsv::open(&part.path).unwrap().unwrap();
        let states = pool
            .install(|| {
                plain.fold_rows(
                    &wanted,
                    |lines| (lines, 0usize),
                    |(_, n), _| {
                        *n += 1;
                        true
                    },
                )
            })
            .unwrap()
            .unwrap();
        assert_eq!(states.len(), 3);
        assert_eq!(states.iter().map(|(_, n)| n).sum::<usize>(), 5000);
        // Each piece was told its number of lines (one more when its last line ends with
        // a newline) before its rows came.
        for (lines, n) in states {
            assert!(n > 1000 && lines == n + 1, "{lines} lines told, {n} folded");
        }
        // A refused row stops the fold: the caller reads the file another way.
        let refused = plain
            .fold_rows(&wanted, |_| (), |(), row| row[1] != "4321")
            .unwrap();
        assert!(refused.is_none());
    }

    #[test]
    fn files_that_are_not_plain_are_left_to_polars_and_read_the_same() {
        let wanted = names(&["id", "x"]);
        let body = |rest: &str| format!("id,x\nC1,1\n{rest}");
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("a quote", body("\"C,2\",3\n").into_bytes()),
            ("a carriage return", b"id,x\r\nC1,1\r\nC2,2\r\n".to_vec()),
            ("a blank line", body("\nC2,2\n").into_bytes()),
            ("a trailing comma at the end", body("C2,").into_bytes()),
        ];
        for (why, text) in cases {
            let (_dir, part) = file(&text);
            let plain = PlainCsv::open(&part.path).unwrap();
            if let Some(mut plain) = plain {
                assert!(
                    plain.read_by_blocks(&wanted, 8).unwrap().is_none(),
                    "{why}: not plain"
                );
                assert!(fold(&mut plain, &wanted, 8).is_none(), "{why}: not plain");
            }
            let mut source = Source::open(&part).unwrap();
            assert_eq!(source.column_names().unwrap(), wanted, "{why}");
            let columns = source.read_columns(&wanted).unwrap();
            assert!(matches!(columns, Columns::Frame(_)), "{why}");
            assert_eq!(read_values(&columns), by_polars(&part, &wanted), "{why}");
        }
        // Headers that polars must judge: a byte-order mark, a repeated or empty name.
        for header in ["\u{feff}id,x", "id,id", "id,,x", "\"id\",x"] {
            let (_dir, part) = file(format!("{header}\nC1,1\n").as_bytes());
            assert!(PlainCsv::open(&part.path).unwrap().is_none(), "{header}");
        }
        // Ragged lines and invalid UTF-8 are polars' errors (which the loader explains);
        // a header without rows is polars' empty frame.
        for text in [
            &b"id,x\nC1,1,9\n"[..],
            b"id,x\nC1\n",
            b"id,x\nC\xff,1\n",
            b"id,x\n",
        ] {
            let (_dir, part) = file(text);
            let mut plain = PlainCsv::open(&part.path).unwrap().expect("plain header");
            assert!(fold(&mut plain, &wanted, 8).is_none(), "{text:?}");
            assert!(plain.read(&wanted).unwrap().is_none(), "{text:?}");
        }
        // A column asked for twice (two of our columns mapped to one of theirs), or one
        // the file does not have, is polars' to judge too.
        let (_dir, part) = file(b"id,x\nC1,1\n");
        for asked in [names(&["id", "id"]), names(&["id", "y"])] {
            let mut plain = PlainCsv::open(&part.path).unwrap().expect("plain");
            assert!(fold(&mut plain, &asked, 8).is_none(), "{asked:?}");
            assert!(plain.read(&asked).unwrap().is_none(), "{asked:?}");
        }
    }

    /// The separators of every byte value at every position of a 64-byte chunk, and of
    /// short chunks, are found as a byte-by-byte search finds them; quotes and carriage
    /// returns are flagged wherever they are.
    #[test]
    fn separators_are_found_at_every_position_of_a_chunk() {
        let naive = |chunk: &[u8]| {
            let mut bits = 0u64;
            for (i, &b) in chunk.iter().enumerate() {
                if b == b',' || b == b'\n' {
                    bits |= 1 << i;
                }
            }
            (bits, chunk.iter().any(|&b| b == b'"' || b == b'\r'))
        };
        for len in [0, 1, 7, 8, 9, 63, 64] {
            for at in 0..len {
                for byte in 0..=255u8 {
                    // Neighbours that differ from the byte by one bit, or carry into it.
                    let mut chunk: Vec<u8> =
                        (0..len).map(|i| [b'+', b'-', 0x80, 0xff][i % 4]).collect();
                    chunk[at] = byte;
                    assert_eq!(separators(&chunk), naive(&chunk), "{len} {at} {byte}");
                }
            }
        }
        let line = b"a,bb,,ccc\nd,e,f,g\n".repeat(4);
        assert_eq!(separators(&line[..64]), naive(&line[..64]));
    }
}
