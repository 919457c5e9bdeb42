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

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn outputs_get_the_permissions_of_a_file_the_user_creates() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.txt");
        File::create(&plain).unwrap();
        let written = dir.path().join("written.txt");
        write_text(&written, "x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&written), mode(&plain));
        assert_eq!(std::fs::read_to_string(&written).unwrap(), "x");
    }
}
