//! Mapping the user's column names onto the contract's. Real extracts never arrive in
//! our names, so a small file (`--columns FILE`) or flags (`--map orders.amount=total`)
//! say which of their columns is which of ours. The file is a small subset of TOML:
//!
//! ```toml
//! # comments are allowed
//! [orders]
//! order_date = "created"
//! amount = "total_eur"
//!
//! customers.customer_id = "account_id"   # dotted keys work too
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use crate::schema::Table;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MappingError {
    #[error("{origin}: line {line}: {message}")]
    Syntax {
        origin: String,
        line: usize,
        message: String,
    },
    #[error("cannot read column mapping {path}: {message}")]
    Io { path: String, message: String },
}

/// Our column name -> theirs, per table. Columns not mentioned keep our name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ColumnMap {
    renames: BTreeMap<(Table, String), String>,
}

impl ColumnMap {
    /// The user's name for `column` of `table`.
    pub fn source_name<'a>(&'a self, table: Table, column: &'a str) -> &'a str {
        self.renames
            .get(&(table, column.to_string()))
            .map_or(column, String::as_str)
    }

    /// Adds one `table.column=their_name` pair, as given to `--map`.
    pub fn add_flag(&mut self, flag: &str) -> Result<(), MappingError> {
        self.add_line(flag, "--map", 1, None)
    }

    /// Reads a mapping file (see the module docs for the format).
    pub fn read(path: &Path) -> Result<ColumnMap, MappingError> {
        let text = std::fs::read_to_string(path).map_err(|e| MappingError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let mut map = ColumnMap::default();
        map.parse(&text, &path.display().to_string())?;
        Ok(map)
    }

    pub fn parse(&mut self, text: &str, origin: &str) -> Result<(), MappingError> {
        let mut section: Option<Table> = None;
        for (idx, raw) in text.lines().enumerate() {
            let line = strip_comment(raw).trim();
            if line.is_empty() {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = Some(parse_table(name.trim(), origin, idx + 1)?);
                continue;
            }
            self.add_line(line, origin, idx + 1, section)?;
        }
        Ok(())
    }

    fn add_line(
        &mut self,
        line: &str,
        origin: &str,
        line_no: usize,
        section: Option<Table>,
    ) -> Result<(), MappingError> {
        let syntax = |message: String| MappingError::Syntax {
            origin: origin.to_string(),
            line: line_no,
            message,
        };
        let (key, value) = line.split_once('=').ok_or_else(|| {
            syntax(format!(
                "expected `table.column = \"name\"`, found `{line}`"
            ))
        })?;
        let key = key.trim();
        let value = value.trim().trim_matches('"').trim();
        let (table, column) = match key.split_once('.') {
            Some((t, c)) => (parse_table(t.trim(), origin, line_no)?, c.trim()),
            None => match section {
                Some(t) => (t, key),
                None => {
                    return Err(syntax(format!(
                        "`{key}` needs a table: write `[table]` above it or `table.{key}`"
                    )))
                }
            },
        };
        if !table.columns().iter().any(|c| c.name == column) {
            let known: Vec<&str> = table.columns().iter().map(|c| c.name).collect();
            return Err(syntax(format!(
                "table {table} has no column `{column}` (its columns: {})",
                known.join(", ")
            )));
        }
        if value.is_empty() {
            return Err(syntax(format!("empty name for {table}.{column}")));
        }
        self.renames
            .insert((table, column.to_string()), value.to_string());
        Ok(())
    }
}

fn strip_comment(line: &str) -> &str {
    // A `#` inside a quoted name is part of the name.
    let mut in_quotes = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            '#' if !in_quotes => return &line[..i],
            _ => {}
        }
    }
    line
}

fn parse_table(name: &str, origin: &str, line: usize) -> Result<Table, MappingError> {
    Table::from_name(name).ok_or_else(|| MappingError::Syntax {
        origin: origin.to_string(),
        line,
        message: format!("unknown table `{name}` (tables: customers, orders, tickets, surveys)"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_dotted_keys_and_flags() {
        let mut map = ColumnMap::default();
        map.parse(
            "# ours = theirs\n[orders]\namount = \"total # eur\"  # gross\ncustomers.customer_id = \"account\"\n",
            "map.toml",
        )
        .unwrap();
        map.add_flag("orders.order_date=created").unwrap();
        assert_eq!(map.source_name(Table::Orders, "amount"), "total # eur");
        assert_eq!(map.source_name(Table::Customers, "customer_id"), "account");
        assert_eq!(map.source_name(Table::Orders, "order_date"), "created");
        assert_eq!(map.source_name(Table::Orders, "order_id"), "order_id");
    }

    #[test]
    fn errors_name_the_line() {
        let err = ColumnMap::default()
            .parse("[orders]\nprice = \"p\"\n", "map.toml")
            .unwrap_err();
        assert!(err
            .to_string()
            .starts_with("map.toml: line 2: table orders has no column `price`"));
        let err = ColumnMap::default()
            .parse("amount = \"x\"", "m")
            .unwrap_err();
        assert!(err.to_string().contains("needs a table"));
        let err = ColumnMap::default()
            .add_flag("invoices.amount=x")
            .unwrap_err();
        assert!(err.to_string().contains("unknown table `invoices`"));
    }
}
