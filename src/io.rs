//! Writing outputs so that a failure never leaves a half-written file: everything is
//! written to a temporary file beside the target and renamed over it only when complete.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use polars::prelude::*;

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
/// CSV or Parquet (by the extension of `path`), holding one batch at a time: the CSV file
/// is the one [`write_table`] writes for the batches stacked; a Parquet file gets a row
/// group per batch. Returns the number of rows written.
pub fn write_table_batches(
    path: &Path,
    schema: &Schema,
    batches: impl Iterator<Item = PolarsResult<DataFrame>>,
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
    batches: impl Iterator<Item = PolarsResult<DataFrame>>,
) -> PolarsResult<usize> {
    let write_all = |write: &mut dyn FnMut(&DataFrame) -> PolarsResult<()>| {
        let mut rows = 0;
        for batch in batches {
            let batch = batch?;
            rows += batch.height();
            write(&batch)?;
        }
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
            let rows = write_all(&mut |b| w.write_batch(b))?;
            w.finish().map(|_| rows)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
