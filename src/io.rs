//! Writing outputs so that a failure never leaves a half-written file: everything is
//! written to a temporary file beside the target and renamed over it only when complete.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use polars::io::parquet::write::{get_encodings, BatchedWriter, ParquetCompression};
use polars::prelude::*;
use polars_parquet::read::ParquetError;
use polars_parquet::write::{
    array_to_columns, CompressedPage, Compressor, Encoding, ParquetType, StatisticsOptions,
    Version, WriteOptions,
};
use rayon::prelude::*;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Polars { path: PathBuf, source: PolarsError },
    #[error("cannot write {0}: the output must end in .csv or .parquet")]
    UnknownFormat(PathBuf),
}

/// Output formats of tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableFormat {
    Csv,
    Parquet,
}

impl TableFormat {
    pub fn of(path: &Path) -> Option<TableFormat> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(TableFormat::Csv),
            "parquet" => Some(TableFormat::Parquet),
            _ => None,
        }
    }
}

/// Calls `write` with a buffered temporary file in the target's directory, then renames
/// it to `path`. On any error the temporary file is removed and `path` is untouched.
pub fn write_atomically<E>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&File>) -> Result<(), E>,
) -> Result<(), WriteError>
where
    E: Into<WriteError>,
{
    let io_err = |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(io_err)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".churn-").suffix(".tmp");
    // Temporary files are private (0600) by default; an output is an ordinary file, as
    // readable by the team as one the user creates (0666 less the umask).
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let tmp = builder.tempfile_in(dir).map_err(io_err)?;
    {
        let mut out = BufWriter::new(tmp.as_file());
        write(&mut out).map_err(Into::into)?;
        out.flush().map_err(io_err)?;
    }
    tmp.as_file().sync_all().map_err(io_err)?;
    tmp.persist(path).map_err(|e| io_err(e.error))?;
    Ok(())
}

/// Writes `text` to `path` atomically (see [`write_atomically`]).
pub fn write_text(path: &Path, text: &str) -> Result<(), WriteError> {
    write_atomically(path, |out| {
        out.write_all(text.as_bytes())
            .map_err(|source| WriteError::Io {
                path: path.to_path_buf(),
                source,
            })
    })
}

/// Writes a table as CSV or Parquet, chosen by the extension of `path`.
pub fn write_table(df: &mut DataFrame, path: &Path) -> Result<(), WriteError> {
    let format =
        TableFormat::of(path).ok_or_else(|| WriteError::UnknownFormat(path.to_path_buf()))?;
    let polars_err = |source| WriteError::Polars {
        path: path.to_path_buf(),
        source,
    };
    write_atomically(path, |out| match format {
        TableFormat::Csv => CsvWriter::new(out)
            .include_header(true)
            .finish(df)
            .map_err(polars_err),
        TableFormat::Parquet => ParquetWriter::new(out)
            .finish(df)
            .map(|_| ())
            .map_err(polars_err),
    })
}

/// Writes a table that comes in batches of rows, each a [`DataFrame`] with `schema`, as
/// CSV or Parquet (by the extension of `path`), holding two batches at a time (the next is
/// made while one is written): the CSV file is the one [`write_table`] writes for the
/// batches stacked; a Parquet file gets a row group per chunk of a batch. Returns the
/// number of rows written.
pub fn write_table_batches(
    path: &Path,
    schema: &Schema,
    batches: impl Iterator<Item = PolarsResult<DataFrame>> + Send,
) -> Result<usize, WriteError> {
    let format =
        TableFormat::of(path).ok_or_else(|| WriteError::UnknownFormat(path.to_path_buf()))?;
    let mut rows = 0;
    write_atomically(path, |out| {
        rows =
            write_batches(out, format, schema, batches).map_err(|source| WriteError::Polars {
                path: path.to_path_buf(),
                source,
            })?;
        Ok::<_, WriteError>(())
    })?;
    Ok(rows)
}

fn write_batches(
    out: &mut BufWriter<&File>,
    format: TableFormat,
    schema: &Schema,
    batches: impl Iterator<Item = PolarsResult<DataFrame>> + Send,
) -> PolarsResult<usize> {
    let mut batches = batches;
    let mut write_all = |write: &mut (dyn FnMut(&DataFrame) -> PolarsResult<()> + Send)| {
        let mut rows = 0;
        write_overlapped(&mut batches, |batch: PolarsResult<DataFrame>| {
            let batch = batch?;
            rows += batch.height();
            write(&batch)
        })?;
        Ok::<_, PolarsError>(rows)
    };
    match format {
        TableFormat::Csv => {
            let mut w = CsvWriter::new(out).include_header(true).batched(schema)?;
            let rows = write_all(&mut |b| w.write_batch(b))?;
            w.finish().map(|()| rows)
        }
        TableFormat::Parquet => {
            let mut w = ParquetWriter::new(out).batched(schema)?;
            let pages = ParquetPages::new(&mut w, schema)?;
            let rows = write_all(&mut |b| {
                for (rows, group) in pages.row_groups(b)? {
                    w.write_row_group(rows, &group)?;
                }
                Ok(())
            })?;
            w.finish().map(|_| rows)
        }
    }
}

/// Encodes and compresses Parquet pages as polars' batched writer does, with the same
/// options, so the file is byte for byte the one it writes; but all the pages of a row
/// group are made at once, a column per task, where polars' writer compresses them one by
/// one on the thread that writes them (most of `churn features`' writing time).
struct ParquetPages {
    fields: Vec<ParquetType>,
    encodings: Vec<Vec<Encoding>>,
    options: WriteOptions,
}

impl ParquetPages {
    /// The pages' description, from the writer's schema and polars' defaults (those of
    /// `ParquetWriter::new`, which `batched` wrote into the file's metadata).
    fn new<W: Write>(writer: &mut BatchedWriter<W>, schema: &Schema) -> PolarsResult<Self> {
        let arrow = schema.to_arrow(CompatLevel::newest());
        Ok(ParquetPages {
            fields: writer.parquet_schema().fields().to_vec(),
            encodings: get_encodings(&arrow).iter().cloned().collect(),
            options: WriteOptions {
                statistics: StatisticsOptions::default(),
                compression: ParquetCompression::default().into(),
                version: Version::V1,
                data_page_size: None,
            },
        })
    }

    /// One row group per chunk of `frame` (as polars' writer makes them): its number of
    /// rows and, per leaf column, its compressed pages.
    fn row_groups(&self, frame: &DataFrame) -> PolarsResult<Vec<(u64, Vec<Vec<CompressedPage>>)>> {
        frame
            .iter_chunks(CompatLevel::newest(), false)
            .filter(|batch| !batch.is_empty())
            .map(|batch| {
                let columns: Vec<_> = batch
                    .columns()
                    .iter()
                    .zip(&self.fields)
                    .zip(&self.encodings)
                    .collect();
                let leaves: Vec<Vec<Vec<CompressedPage>>> = columns
                    .into_par_iter()
                    .map(|((array, field), encoding)| {
                        array_to_columns(array, field.clone(), self.options, encoding)?
                            .into_iter()
                            .map(|pages| {
                                Compressor::new(
                                    pages.map(|p| p.map_err(to_parquet_error)),
                                    self.options.compression,
                                    Vec::new(),
                                )
                                .collect::<Result<Vec<_>, _>>()
                                .map_err(PolarsError::from)
                            })
                            .collect::<PolarsResult<Vec<_>>>()
                    })
                    .collect::<PolarsResult<_>>()?;
                Ok((batch.len() as u64, leaves.into_iter().flatten().collect()))
            })
            .collect()
    }
}

/// A page that polars could not encode, as polars' writer reports it.
fn to_parquet_error(e: PolarsError) -> ParquetError {
    ParquetError::FeatureNotSupported(format!("reraised in polars: {e}"))
}

/// One cell of a CSV table. [`push_cell`] writes it as polars' CSV writer writes it with
/// its default options, so a table formatted here is byte for byte the file polars writes
/// (the tests compare the two).
#[derive(Clone, Copy, Debug)]
pub enum Cell<'a> {
    Int(Option<i64>),
    Float(Option<f64>),
    Text(Option<&'a str>),
}

/// Appends `cell` to `line`: a null is empty, an integer in decimal, a float in its
/// shortest round-trip form (`zmij`, as polars), and text as is, unless it is empty or
/// holds a comma, a quote or a line break: then it is quoted, with its quotes doubled.
pub fn push_cell(line: &mut Vec<u8>, cell: Cell<'_>) {
    match cell {
        Cell::Int(None) | Cell::Float(None) | Cell::Text(None) => {}
        Cell::Int(Some(v)) => line.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
        Cell::Float(Some(v)) => line.extend_from_slice(zmij::Buffer::new().format(v).as_bytes()),
        Cell::Text(Some(text)) => {
            let bytes = text.as_bytes();
            if !needs_quotes(bytes) {
                line.extend_from_slice(text.as_bytes());
                return;
            }
            line.push(b'"');
            for part in text.split_inclusive('"') {
                line.extend_from_slice(part.as_bytes());
                if part.ends_with('"') {
                    line.push(b'"');
                }
            }
            line.push(b'"');
        }
    }
}

/// Whether a text cell must be quoted: it is empty, or holds a comma, a quote or a line
/// break. One pass over the cell for all four bytes (the compiler turns it into vector
/// compares), where there were two searches.
fn needs_quotes(bytes: &[u8]) -> bool {
    bytes.is_empty()
        || bytes.iter().fold(false, |found, &b| {
            found | matches!(b, b',' | b'"' | b'\n' | b'\r')
        })
}

/// The header line of a CSV table: the names as text cells.
pub fn csv_header(names: &[&str]) -> Vec<u8> {
    let mut line = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        push_cell(&mut line, Cell::Text(Some(name)));
    }
    line.push(b'\n');
    line
}

/// Writes a CSV table that comes as `header` then batches of whole lines (each with its
/// number of rows, its lines in pieces written in order), holding two batches at a time
/// (the next is made while one is written), atomically (see [`write_atomically`]).
/// Returns the number of rows written.
pub fn write_csv_batches(
    path: &Path,
    header: &[u8],
    batches: impl Iterator<Item = (usize, Vec<Vec<u8>>)> + Send,
) -> Result<usize, WriteError> {
    let mut rows = 0;
    write_atomically(path, |out| {
        let mut write = |bytes: &[u8]| {
            out.write_all(bytes).map_err(|source| WriteError::Io {
                path: path.to_path_buf(),
                source,
            })
        };
        write(header)?;
        write_overlapped(batches, |(batch_rows, pieces)| {
            for lines in &pieces {
                write(lines)?;
            }
            rows += batch_rows;
            Ok::<_, WriteError>(())
        })
    })?;
    Ok(rows)
}

/// Hands `batches` to `write` in order, making the next batch while one is written (each
/// batch is itself made in parallel), so that writing overlaps the work instead of
/// following it. Stops at the first error of `write`.
fn write_overlapped<T: Send, E: Send>(
    mut batches: impl Iterator<Item = T> + Send,
    mut write: impl FnMut(T) -> Result<(), E> + Send,
) -> Result<(), E> {
    let mut next = batches.next();
    while let Some(batch) = next {
        let (written, following) = rayon::join(|| write(batch), || batches.next());
        written?;
        next = following;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A text cell is quoted exactly when it is empty or holds a comma, a quote, a line
    /// feed or a carriage return: every byte value at every position of short and long
    /// cells.
    #[test]
    fn a_cell_needs_quotes_for_a_separator_a_quote_or_a_line_break() {
        assert!(needs_quotes(b""));
        for len in [1, 7, 16, 33, 150] {
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut cell = vec![b'a'; len];
                    cell[at] = byte;
                    let special = matches!(byte, b',' | b'"' | b'\n' | b'\r');
                    assert_eq!(needs_quotes(&cell), special, "{byte} at {at} of {len}");
                }
            }
        }
    }

    #[cfg(unix)]
    #[test]
    fn outputs_get_the_permissions_of_a_file_the_user_creates() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.txt");
        File::create(&plain).unwrap();
        let written = dir.path().join("written.txt");
        write_text(&written, "x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&written), mode(&plain));
        assert_eq!(std::fs::read_to_string(&written).unwrap(), "x");
    }

    fn table() -> DataFrame {
        DataFrame::new(
            5,
            vec![
                Column::new("n".into(), [1i64, 2, 3, 4, 5]),
                Column::new("s".into(), [Some("a"), None, Some("c d"), Some("e"), None]),
                Column::new("x".into(), [0.5, 1.25, -2.0, 1e-3, 7.0]),
            ],
        )
        .unwrap()
    }

    /// Cells formatted here are the bytes polars' CSV writer writes for the same table:
    /// nulls, extreme integers, floats that print with an exponent or a trailing `.0`,
    /// and text that needs quoting (empty, commas, quotes, line breaks) or does not.
    #[test]
    fn cells_are_written_as_polars_writes_them() {
        let ints = [
            Some(0i64),
            Some(-7),
            Some(i64::MIN),
            Some(i64::MAX),
            None,
            Some(42),
        ];
        let floats = [
            Some(0.0001),
            Some(43.0),
            Some(1e-7),
            Some(1e21),
            None,
            Some(0.1 + 0.2),
        ];
        let texts = [
            Some("plain"),
            Some(""),
            Some("a,b"),
            Some("say \"hi\" twice \"\""),
            Some("line\nbreak\r"),
            None,
        ];
        let more = [
            Some(" spaced "),
            Some("ünï;"),
            Some("\""),
            Some("-0.5"),
            Some("x"),
            None,
        ];
        let names = ["n", "x,y", "say \"t\"", "plain"];
        let mut df = DataFrame::new(
            ints.len(),
            vec![
                Column::new(names[0].into(), ints),
                Column::new(names[1].into(), floats),
                Column::new(names[2].into(), texts),
                Column::new(names[3].into(), more),
            ],
        )
        .unwrap();
        let mut expected = Vec::new();
        CsvWriter::new(&mut expected)
            .include_header(true)
            .finish(&mut df)
            .unwrap();
        let mut ours = csv_header(&names);
        for i in 0..ints.len() {
            for (j, cell) in [
                Cell::Int(ints[i]),
                Cell::Float(floats[i]),
                Cell::Text(texts[i]),
                Cell::Text(more[i]),
            ]
            .into_iter()
            .enumerate()
            {
                if j > 0 {
                    ours.push(b',');
                }
                push_cell(&mut ours, cell);
            }
            ours.push(b'\n');
        }
        assert_eq!(
            String::from_utf8(ours.clone()).unwrap(),
            String::from_utf8(expected).unwrap()
        );
        // And by hand, for the cases that matter most.
        let text = String::from_utf8(ours).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "n,\"x,y\",\"say \"\"t\"\"\",plain");
        assert_eq!(lines[1], "0,0.0001,plain, spaced ");
        assert_eq!(lines[2], "-7,43.0,\"\",ünï;");
        assert_eq!(lines[3], "-9223372036854775808,1e-7,\"a,b\",\"\"\"\"");

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lines.csv");
        let batches = [
            (1, vec![b"1\n".to_vec()]),
            (0, Vec::new()),
            (2, vec![b"2\n".to_vec(), b"3\n".to_vec()]),
        ];
        assert_eq!(
            write_csv_batches(&path, b"n\n", batches.into_iter()).unwrap(),
            3
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "n\n1\n2\n3\n");
    }

    /// Batches (one of them empty) make the file the whole table makes; no batch at all
    /// makes a table with its header and no rows.
    #[test]
    fn a_table_written_in_batches_is_the_table_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut whole = table();
        let schema = whole.schema().clone();
        let batches = || [(0, 2), (2, 0), (2, 3)].map(|(at, n)| Ok(whole.slice(at, n)));
        let csv = dir.path().join("whole.csv");
        write_table(&mut whole.clone(), &csv).unwrap();
        let batched = dir.path().join("batched.csv");
        let rows = write_table_batches(&batched, &schema, batches().into_iter()).unwrap();
        assert_eq!(rows, 5);
        let text = std::fs::read_to_string(&batched).unwrap();
        assert_eq!(text, std::fs::read_to_string(&csv).unwrap());
        assert_eq!(
            text,
            "n,s,x\n1,a,0.5\n2,,1.25\n3,c d,-2.0\n4,e,0.001\n5,,7.0\n"
        );

        let parquet = dir.path().join("batched.parquet");
        write_table_batches(&parquet, &schema, batches().into_iter()).unwrap();
        let back = ParquetReader::new(File::open(&parquet).unwrap())
            .finish()
            .unwrap();
        assert!(back.equals_missing(&whole), "{back}");

        let empty = dir.path().join("empty.csv");
        assert_eq!(
            write_table_batches(&empty, &schema, std::iter::empty()).unwrap(),
            0
        );
        assert_eq!(std::fs::read_to_string(&empty).unwrap(), "n,s,x\n");
        whole = whole.head(Some(0));
        let empty = dir.path().join("empty.parquet");
        write_table_batches(&empty, &schema, std::iter::empty()).unwrap();
        let back = ParquetReader::new(File::open(&empty).unwrap())
            .finish()
            .unwrap();
        assert!(back.equals_missing(&whole), "{back}");
    }

    /// A Parquet file written here, its pages compressed a column per task, is byte for
    /// byte the file polars' batched writer makes of the same batches: large enough for
    /// several pages a column, with nulls, floats, dictionary-coded text, a low-cardinality
    /// text column, booleans, dates, a batch of two chunks and an empty batch.
    #[test]
    fn parquet_batches_are_the_file_polars_writes() {
        // 250k and 200k rows: 2 MB and 1.6 MB of integers a row group, more than the 1 MiB
        // of a page.
        let n = 600_000;
        let frame = DataFrame::new(
            n,
            vec![
                Column::new(
                    "id".into(),
                    (0..n as i64)
                        .map(|i| i * 7919 % 1_000_003)
                        .collect::<Vec<_>>(),
                ),
                Column::new(
                    "x".into(),
                    (0..n)
                        .map(|i| (i % 11 != 0).then_some(i as f64 / 3.0))
                        .collect::<Vec<_>>(),
                ),
                Column::new(
                    "segment".into(),
                    (0..n)
                        .map(|i| ["smb", "mid", "ent"][i % 3])
                        .collect::<Vec<_>>(),
                ),
                Column::new(
                    "name".into(),
                    (0..n)
                        .map(|i| (i % 5 != 0).then(|| format!("customer-{i}")))
                        .collect::<Vec<_>>(),
                ),
                Column::new(
                    "flag".into(),
                    (0..n).map(|i| i % 4 == 0).collect::<Vec<_>>(),
                ),
                Column::new(
                    "day".into(),
                    (0..n as i32).map(|i| 20_000 + i % 400).collect::<Vec<_>>(),
                )
                .cast(&DataType::Date)
                .unwrap(),
            ],
        )
        .unwrap();
        let schema = frame.schema().clone();
        let mut two_chunks = frame.slice(250_000, 150_000);
        two_chunks
            .vstack_mut(&frame.slice(400_000, 200_000))
            .unwrap();
        assert_eq!(two_chunks.first_col_n_chunks(), 2);
        let batches = || {
            [
                frame.slice(0, 250_000),
                frame.slice(0, 0),
                two_chunks.clone(),
            ]
        };

        let dir = tempfile::tempdir().unwrap();
        let ours = dir.path().join("ours.parquet");
        let rows = write_table_batches(&ours, &schema, batches().into_iter().map(Ok)).unwrap();
        assert_eq!(rows, n);
        let mut theirs = Vec::new();
        let mut w = ParquetWriter::new(&mut theirs).batched(&schema).unwrap();
        for batch in batches() {
            w.write_batch(&batch).unwrap();
        }
        w.finish().unwrap();
        let ours = std::fs::read(&ours).unwrap();
        assert!(
            ours == theirs,
            "{} bytes against polars' {}",
            ours.len(),
            theirs.len()
        );
        let back = ParquetReader::new(std::io::Cursor::new(ours))
            .finish()
            .unwrap();
        assert!(back.equals_missing(&frame));
    }

    /// A batch that fails leaves no file behind.
    #[test]
    fn a_failing_batch_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let whole = table();
        let out = dir.path().join("out.csv");
        let batches = [
            Ok(whole.slice(0, 2)),
            Err(PolarsError::ComputeError("no more rows".into())),
        ];
        let err = write_table_batches(&out, whole.schema(), batches.into_iter()).unwrap_err();
        assert!(err.to_string().contains("no more rows"), "{err}");
        assert!(!out.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
