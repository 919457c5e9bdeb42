//! The report page: a complete, self-contained HTML5 document built from sections of
//! blocks (key-number tiles, tables, charts, paragraphs, notes).
//!
//! Input: a [`Page`] value. Output: the document as a `String` from [`Page::render`].
//!
//! Invariants:
//! - One file: the style sheet is embedded, charts are inline SVG, nothing is fetched.
//! - Caller text is escaped everywhere; only [`Block::Chart`] is written as given, because
//!   it holds SVG made by [`super::svg`].
//! - The same page value gives the same bytes: there is no timestamp unless the caller
//!   puts one in the footer or subtitle.
//! - It reads on a laptop (content at most 1100px wide, two charts side by side in a
//!   [`Block::Grid`]) and prints on A4 or Letter (black text, one column, no page break
//!   inside a chart, tile row or table row).

use super::{escape, format_number, format_percent, ReportError, MISSING};

/// A report page: a title, an optional subtitle, sections and a footer line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    pub title: String,
    pub subtitle: Option<String>,
    pub sections: Vec<Section>,
    pub footer: Option<String>,
}

/// A headed part of the page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Section {
    pub heading: String,
    /// A short lead paragraph under the heading.
    pub intro: Option<String>,
    pub blocks: Vec<Block>,
}

/// One piece of a section's content.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// Big key numbers in a row of cards.
    Tiles(Vec<Tile>),
    Table(Table),
    /// An `<svg>` from [`super::svg`], written into the page as it is.
    Chart(String),
    /// Blocks side by side on wide screens (two per row), stacked on narrow screens and
    /// in print.
    Grid(Vec<Block>),
    /// A paragraph of plain text (escaped).
    Paragraph(String),
    /// A highlighted remark: a caveat, or how to read a chart.
    Note(String),
}

/// A key number: `label` above a big `value`, with an optional `note` under it.
#[derive(Clone, Debug, PartialEq)]
pub struct Tile {
    pub label: String,
    pub value: String,
    pub note: Option<String>,
}

impl Tile {
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Tile {
        Tile {
            label: label.into(),
            value: value.into(),
            note: None,
        }
    }

    pub fn note(mut self, note: impl Into<String>) -> Tile {
        self.note = Some(note.into());
        self
    }
}

/// One table cell: its text, and whether it is a number (numbers are right-aligned in
/// tabular figures so their digits line up).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    text: String,
    numeric: bool,
}

impl Cell {
    /// Text, left-aligned.
    pub fn text(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            numeric: false,
        }
    }

    /// Text that is a number the caller already formatted (a currency amount, `12 days`).
    pub fn numeric(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            numeric: true,
        }
    }

    /// A number with `decimals` decimals and thousands separators; a dash if not finite.
    pub fn number(value: f64, decimals: usize) -> Cell {
        Cell::numeric(format_number(value, decimals))
    }

    /// A count.
    pub fn count(value: u64) -> Cell {
        Cell::numeric(format_number(value as f64, 0))
    }

    /// A share as a percentage: `0.256, 1` -> `25.6%`; a dash if not finite.
    pub fn percent(share: f64, decimals: usize) -> Cell {
        Cell::numeric(format_percent(share, decimals))
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn is_numeric(&self) -> bool {
        self.numeric
    }

    fn is_blank(&self) -> bool {
        let text = self.text.trim();
        text.is_empty() || text == MISSING
    }
}

/// A table with a caption, column headers and rows of exactly one cell per header. A
/// column of numbers (blanks and dashes allowed) is right-aligned, header included.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    caption: String,
    headers: Vec<String>,
    rows: Vec<Vec<Cell>>,
    highlight: Option<usize>,
}

impl Table {
    /// # Errors
    /// [`ReportError::RowLength`] when a row has more or fewer cells than there are headers.
    pub fn new(
        caption: impl Into<String>,
        headers: Vec<String>,
        rows: Vec<Vec<Cell>>,
    ) -> Result<Table, ReportError> {
        let caption = caption.into();
        if let Some((row, cells)) = rows
            .iter()
            .enumerate()
            .find(|(_, cells)| cells.len() != headers.len())
        {
            return Err(ReportError::RowLength {
                table: caption,
                row,
                expected: headers.len(),
                found: cells.len(),
            });
        }
        Ok(Table {
            caption,
            headers,
            rows,
            highlight: None,
        })
    }

    /// Marks row `row` (0-based, headers not counted) to stand out, such as the chosen
    /// model in a comparison.
    ///
    /// # Errors
    /// [`ReportError::HighlightOutOfRange`] when the table has no such row.
    pub fn highlight(mut self, row: usize) -> Result<Table, ReportError> {
        if row >= self.rows.len() {
            return Err(ReportError::HighlightOutOfRange {
                table: self.caption,
                row,
                n_rows: self.rows.len(),
            });
        }
        self.highlight = Some(row);
        Ok(self)
    }

    /// Whether column `col` holds numbers: at least one cell is a number and every other
    /// cell is blank or [`MISSING`], so a dash for "not applicable" does not break the
    /// column's alignment.
    fn numeric_column(&self, col: usize) -> bool {
        let cells = || self.rows.iter().map(|row| &row[col]);
        cells().any(|cell| cell.numeric) && cells().all(|cell| cell.numeric || cell.is_blank())
    }

    fn render(&self, out: &mut String) {
        out.push_str("<div class=\"table-wrap\"><table>");
        if !self.caption.is_empty() {
            out.push_str(&format!("<caption>{}</caption>", escape(&self.caption)));
        }
        let numeric_columns: Vec<bool> = (0..self.headers.len())
            .map(|col| self.numeric_column(col))
            .collect();
        out.push_str("<thead><tr>");
        for (header, &numeric) in self.headers.iter().zip(&numeric_columns) {
            let class = if numeric { " class=\"num\"" } else { "" };
            out.push_str(&format!("<th scope=\"col\"{class}>{}</th>", escape(header)));
        }
        out.push_str("</tr></thead><tbody>");
        for (row_idx, row) in self.rows.iter().enumerate() {
            if self.highlight == Some(row_idx) {
                out.push_str("<tr class=\"highlight\">");
            } else {
                out.push_str("<tr>");
            }
            for (cell, &numeric_column) in row.iter().zip(&numeric_columns) {
                let numeric = cell.numeric || numeric_column;
                let class = if numeric { " class=\"num\"" } else { "" };
                out.push_str(&format!("<td{class}>{}</td>", escape(&cell.text)));
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table></div>\n");
    }
}

impl Section {
    pub fn new(heading: impl Into<String>) -> Section {
        Section {
            heading: heading.into(),
            intro: None,
            blocks: Vec::new(),
        }
    }

    pub fn intro(mut self, intro: impl Into<String>) -> Section {
        self.intro = Some(intro.into());
        self
    }

    pub fn block(mut self, block: Block) -> Section {
        self.blocks.push(block);
        self
    }

    fn render(&self, out: &mut String) {
        out.push_str("<section>\n");
        out.push_str(&format!("<h2>{}</h2>\n", escape(&self.heading)));
        if let Some(intro) = &self.intro {
            out.push_str(&format!("<p class=\"intro\">{}</p>\n", escape(intro)));
        }
        for block in &self.blocks {
            block.render(out);
        }
        out.push_str("</section>\n");
    }
}

impl Block {
    fn render(&self, out: &mut String) {
        match self {
            Block::Tiles(tiles) => render_tiles(tiles, out),
            Block::Table(table) => table.render(out),
            Block::Chart(svg) => {
                out.push_str("<figure class=\"chart-block\">");
                out.push_str(svg);
                out.push_str("</figure>\n");
            }
            Block::Grid(blocks) => {
                out.push_str("<div class=\"grid\">\n");
                for block in blocks {
                    out.push_str("<div class=\"cell\">\n");
                    block.render(out);
                    out.push_str("</div>\n");
                }
                out.push_str("</div>\n");
            }
            Block::Paragraph(text) => out.push_str(&format!("<p>{}</p>\n", escape(text))),
            Block::Note(text) => {
                out.push_str(&format!("<p class=\"note\">{}</p>\n", escape(text)));
            }
        }
    }
}

fn render_tiles(tiles: &[Tile], out: &mut String) {
    out.push_str("<div class=\"tiles\">");
    for tile in tiles {
        out.push_str(&format!(
            "<div class=\"tile\"><div class=\"tile-label\">{}</div><div class=\"tile-value\">{}</div>",
            escape(&tile.label),
            escape(&tile.value)
        ));
        if let Some(note) = &tile.note {
            out.push_str(&format!("<div class=\"tile-note\">{}</div>", escape(note)));
        }
        out.push_str("</div>");
    }
    out.push_str("</div>\n");
}

impl Page {
    pub fn new(title: impl Into<String>) -> Page {
        Page {
            title: title.into(),
            ..Page::default()
        }
    }

    pub fn subtitle(mut self, subtitle: impl Into<String>) -> Page {
        self.subtitle = Some(subtitle.into());
        self
    }

    pub fn section(mut self, section: Section) -> Page {
        self.sections.push(section);
        self
    }

    /// The line at the bottom of the page: what made the report, from which data, when.
    pub fn footer(mut self, footer: impl Into<String>) -> Page {
        self.footer = Some(footer.into());
        self
    }

    /// The whole HTML5 document.
    pub fn render(&self) -> String {
        let title = escape(&self.title);
        let mut out = String::with_capacity(16 * 1024);
        out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        out.push_str(&format!("<title>{title}</title>\n<style>{STYLE}</style>\n"));
        out.push_str("</head>\n<body>\n<div class=\"page\">\n<header>\n");
        out.push_str(&format!("<h1>{title}</h1>\n"));
        if let Some(subtitle) = &self.subtitle {
            out.push_str(&format!("<p class=\"subtitle\">{}</p>\n", escape(subtitle)));
        }
        out.push_str("</header>\n<main>\n");
        for section in &self.sections {
            section.render(&mut out);
        }
        out.push_str("</main>\n");
        if let Some(footer) = &self.footer {
            out.push_str(&format!("<footer>{}</footer>\n", escape(footer)));
        }
        out.push_str("</div>\n</body>\n</html>\n");
        out
    }
}

/// The embedded style sheet. System fonts only (nothing to download); tabular figures in
/// tables and tiles so digits line up; print rules keep charts, tiles and table rows whole
/// and the text black.
const STYLE: &str = r#"
:root {
  --ink: #1b1f24;
  --muted: #59636e;
  --rule: #d5dbe1;
  --zebra: #f5f7f9;
  --accent: #0072b2;
  --highlight: #fff3cd;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0;
  background: #ffffff;
  color: var(--ink);
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 16px;
  line-height: 1.5;
}
.page { max-width: 1100px; margin: 0 auto; padding: 40px 32px 48px; }
header { border-bottom: 3px solid var(--ink); padding-bottom: 14px; margin-bottom: 8px; }
h1 { font-size: 2rem; line-height: 1.2; margin: 0; letter-spacing: -0.01em; }
.subtitle { color: var(--muted); font-size: 1.05rem; margin: 6px 0 0; }
section { margin-top: 40px; }
h2 {
  font-size: 1.4rem;
  line-height: 1.3;
  margin: 0 0 12px;
  padding-bottom: 6px;
  border-bottom: 1px solid var(--rule);
}
p { margin: 0 0 14px; max-width: 75ch; }
.intro { color: var(--muted); font-size: 1.05rem; }
.note {
  border-left: 4px solid var(--accent);
  background: #eef5fa;
  padding: 10px 14px;
  border-radius: 0 6px 6px 0;
  font-size: 0.95rem;
}
.tiles {
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(150px, 1fr));
  gap: 14px;
  margin: 16px 0 22px;
}
.tile { border: 1px solid var(--rule); border-radius: 8px; padding: 14px 18px; background: #fbfcfd; }
.tile-label {
  color: var(--muted);
  font-size: 0.78rem;
  font-weight: 600;
  letter-spacing: 0.05em;
  text-transform: uppercase;
}
.tile-value {
  font-size: 2rem;
  font-weight: 700;
  line-height: 1.25;
  margin-top: 4px;
  font-variant-numeric: tabular-nums;
}
.tile-note { color: var(--muted); font-size: 0.88rem; margin-top: 2px; }
.table-wrap { overflow-x: auto; margin: 16px 0 22px; }
table { border-collapse: collapse; width: 100%; font-size: 0.95rem; font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: 0 0 8px; }
th, td { padding: 7px 12px; text-align: left; vertical-align: top; border-bottom: 1px solid var(--rule); }
th { border-bottom: 2px solid var(--ink); font-weight: 600; white-space: nowrap; }
tbody tr:nth-child(even) { background: var(--zebra); }
tbody tr.highlight { background: var(--highlight); font-weight: 600; }
tbody tr.highlight td:first-child { box-shadow: inset 4px 0 0 #e69f00; }
.num { text-align: right; white-space: nowrap; }
figure { margin: 16px 0 22px; }
svg.chart { display: block; width: 100%; height: auto; max-width: 760px; }
.grid {
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(min(100%, 420px), 1fr));
  gap: 8px 28px;
  align-items: start;
}
.grid > .cell > figure, .grid > .cell > .table-wrap { margin-top: 8px; }
footer {
  margin-top: 48px;
  padding-top: 12px;
  border-top: 1px solid var(--rule);
  color: var(--muted);
  font-size: 0.85rem;
}
@media (max-width: 600px) {
  .page { padding: 24px 16px 32px; }
  h1 { font-size: 1.6rem; }
  .tile-value { font-size: 1.6rem; }
}
@media print {
  @page { margin: 16mm 14mm; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { font-size: 10.5pt; color: #000000; }
  .page { max-width: none; padding: 0; }
  h1, h2, h3, p, .intro, .subtitle, .tile-label, .tile-note, caption, footer, th, td { color: #000000; }
  header { border-bottom-color: #000000; }
  h2 { break-after: avoid; page-break-after: avoid; }
  section { margin-top: 24px; }
  .grid { display: block; }
  figure, .chart-block, svg.chart, .tiles, .tile, .note, table, tr, caption {
    break-inside: avoid;
    page-break-inside: avoid;
  }
  .table-wrap { overflow: visible; }
  thead { display: table-header-group; }
  svg.chart { max-width: 14cm; }
  .tiles { grid-template-columns: repeat(auto-fit, minmax(110px, 1fr)); }
  .tile { padding: 8px 10px; }
  .tile-label { letter-spacing: 0; }
  .tile-value { font-size: 1.5rem; }
  footer { margin-top: 24px; }
  svg.chart text { fill: #000000; }
}
"#;
