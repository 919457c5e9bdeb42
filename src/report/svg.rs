//! SVG charts for the report: line charts (ROC, gains, calibration, trends), horizontal
//! bar charts (model drivers) and histograms of two or more groups (scores of churners and
//! stayers).
//!
//! Input: a chart value ([`LineChart`], [`BarChart`], [`Histogram`]). Output: one `<svg>`
//! element as a `String`, sized by its `viewBox` (640 wide) so it scales to its container.
//!
//! Invariants:
//! - The root carries `class="chart"`, `data-chart="<id>"`, `role="img"`, an `aria-label`
//!   and a `<title>`; the visible title is `<text class="chart-title">`; the axes are
//!   `<g class="axis x">` and `<g class="axis y">`, each with its `<text class="axis-label">`
//!   when the label is not empty. A browser test can find every part by class.
//! - Coordinates are written with at most 2 decimals; non-finite points are skipped and
//!   lines are clipped to the plot area, so no `NaN`, `inf` or far-off coordinate is written.
//! - Colours come from the Okabe-Ito palette, which stays distinguishable for the common
//!   forms of colour blindness; line styles (solid, dashed, dotted) also survive grey print.
//! - Rendering cannot fail: everything that could make a chart meaningless is refused
//!   when its [`Range`] or [`Histogram`] is built.

use super::{escape, format_number, format_percent, ReportError};

/// Width of every chart's `viewBox`.
pub const WIDTH: f64 = 640.0;
/// Height of the line chart's and histogram's `viewBox`; a bar chart grows with its bars.
pub const HEIGHT: f64 = 400.0;

/// Okabe-Ito colours in the order series and groups use them. Yellow is left out because
/// it is unreadable as a thin line on white.
pub const PALETTE: [&str; 7] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
];
/// Bars that raise the outcome (for drivers: raise the risk of churn).
pub const POSITIVE_COLOUR: &str = "#D55E00";
/// Bars that lower it.
pub const NEGATIVE_COLOUR: &str = "#0072B2";

const FONT_STACK: &str =
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
const TITLE_COLOUR: &str = "#1a1a1a";
const LABEL_COLOUR: &str = "#333333";
const TICK_COLOUR: &str = "#555555";
const AXIS_COLOUR: &str = "#666666";
const GRID_COLOUR: &str = "#e4e4e4";
const DIAGONAL_COLOUR: &str = "#9a9a9a";

/// Font size of tick labels, legend and axis labels, in viewBox units.
const FONT_SIZE: f64 = 13.0;
const TITLE_Y: f64 = 26.0;
const LEGEND_Y: f64 = 48.0;
const LEGEND_ROW: f64 = 18.0;
/// A series or histogram with at most this many points also gets a marker on each point,
/// so short curves (deciles, calibration bins) show where their values are.
const MARKER_MAX_POINTS: usize = 12;
const X_MAX_TICKS: usize = 8;
const Y_MAX_TICKS: usize = 6;

/// How tick labels and values are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TickFormat {
    /// Plain numbers with thousands separators: `0.25`, `1,500`.
    #[default]
    Number,
    /// Shares as percentages: `0.25` -> `25%`.
    Percent,
}

impl TickFormat {
    /// The decimals a tick label needs when ticks are `10^exponent` times 1, 2 or 5 apart:
    /// a step of 0.2 needs 1 decimal as a number and 0 as a percentage (20%).
    fn decimals(self, exponent: i32) -> usize {
        let exponent = match self {
            TickFormat::Number => exponent,
            TickFormat::Percent => exponent + 2,
        };
        usize::try_from(-exponent).unwrap_or(0)
    }

    fn write(self, value: f64, decimals: usize) -> String {
        match self {
            TickFormat::Number => format_number(value, decimals),
            TickFormat::Percent => format_percent(value, decimals),
        }
    }
}

/// A checked axis range: both ends finite and `min < max`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    min: f64,
    max: f64,
}

impl Range {
    /// # Errors
    /// [`ReportError::InvalidRange`] when an end is not finite or `min >= max`.
    pub fn new(min: f64, max: f64) -> Result<Range, ReportError> {
        if min.is_finite() && max.is_finite() && min < max {
            Ok(Range { min, max })
        } else {
            Err(ReportError::InvalidRange { min, max })
        }
    }

    /// The range 0 to 1, for probabilities and shares.
    pub fn unit() -> Range {
        Range { min: 0.0, max: 1.0 }
    }

    pub fn min(&self) -> f64 {
        self.min
    }

    pub fn max(&self) -> f64 {
        self.max
    }
}

/// Evenly spaced "nice" ticks covering `[min, max]`: the smallest step of 1, 2 or 5 times a
/// power of ten that needs at most `max_ticks` ticks, from the last multiple of the step at
/// or below `min` to the first at or above `max`. `0, 1, 6` -> `[0, 0.2, 0.4, 0.6, 0.8, 1]`.
///
/// `min > max` is read as the same range reversed. A range with `min == max` is widened by
/// a tenth of the value each way (by 1 each way around zero) so it still gets an axis.
/// `max_ticks` below 3 is read as 3, the fewest that can always cover a range that straddles
/// zero. Non-finite ends, or a range too wide or too far from zero for `f64` to step through
/// exactly, give an empty list.
pub fn nice_ticks(min: f64, max: f64, max_ticks: usize) -> Vec<f64> {
    nice_scale(min, max, max_ticks)
        .map(|scale| scale.ticks)
        .unwrap_or_default()
}

/// Ticks and the power of ten of their step, which decides how many decimals labels need.
#[derive(Debug)]
struct NiceScale {
    ticks: Vec<f64>,
    exponent: i32,
}

fn nice_scale(min: f64, max: f64, max_ticks: usize) -> Option<NiceScale> {
    if !min.is_finite() || !max.is_finite() {
        return None;
    }
    let (lo, hi) = widen_degenerate(min.min(max), min.max(max));
    let span = hi - lo;
    if !span.is_finite() || span <= 0.0 {
        return None;
    }
    let max_ticks = max_ticks.max(3);
    // Start one decade below the step that would spread max_ticks ticks exactly over the
    // span, so the first step that fits is the smallest one.
    let first_exponent = (span / (max_ticks - 1) as f64).log10().floor() as i32 - 1;
    // A relative tolerance, in steps, so that an end that is a multiple of the step up to
    // rounding (1 / 0.2 = 5.000000000000001) does not get an extra tick.
    const SLACK: f64 = 1e-9;
    for exponent in first_exponent..first_exponent + 40 {
        for mantissa in [1_i64, 2, 5] {
            let step = mantissa as f64 * 10f64.powi(exponent);
            let first = (lo / step + SLACK).floor();
            let last = (hi / step - SLACK).ceil();
            // Beyond 2^53 the tick indexes themselves are no longer exact integers.
            if !(first.abs() < 9.0e15 && last.abs() < 9.0e15) {
                return None;
            }
            if last - first + 1.0 <= max_ticks as f64 {
                let ticks = (first as i64..=last as i64)
                    .map(|i| tick_value(i * mantissa, exponent))
                    .collect::<Vec<f64>>();
                return ticks
                    .iter()
                    .all(|t| t.is_finite())
                    .then_some(NiceScale { ticks, exponent });
            }
        }
    }
    None
}

/// `units * 10^exponent`, computed by one multiplication or division of integers so that
/// ticks print exactly (3 * 2 / 10 = 0.6, where 3 * 0.2 = 0.6000000000000001).
fn tick_value(units: i64, exponent: i32) -> f64 {
    if exponent >= 0 {
        units as f64 * 10f64.powi(exponent)
    } else {
        units as f64 / 10f64.powi(-exponent)
    }
}

fn widen_degenerate(lo: f64, hi: f64) -> (f64, f64) {
    if lo < hi {
        return (lo, hi);
    }
    let pad = if lo == 0.0 { 1.0 } else { lo.abs() / 10.0 };
    (lo - pad, hi + pad)
}

/// One axis: the data range it shows and its labelled ticks.
#[derive(Debug)]
struct Axis {
    min: f64,
    max: f64,
    ticks: Vec<f64>,
    decimals: usize,
    format: TickFormat,
}

impl Axis {
    /// An axis over `explicit` when given (ticks inside it only), otherwise over the nice
    /// ticks around the data's `(min, max)`; `None` when there is nothing to scale.
    fn new(
        data: Option<(f64, f64)>,
        explicit: Option<Range>,
        max_ticks: usize,
        format: TickFormat,
    ) -> Option<Axis> {
        if let Some(range) = explicit {
            let scale = nice_scale(range.min, range.max, max_ticks)?;
            let slack = (range.max - range.min) * 1e-9;
            let ticks = scale
                .ticks
                .into_iter()
                .filter(|t| *t >= range.min - slack && *t <= range.max + slack)
                .collect();
            return Some(Axis {
                min: range.min,
                max: range.max,
                ticks,
                decimals: format.decimals(scale.exponent),
                format,
            });
        }
        let (lo, hi) = data?;
        let scale = nice_scale(lo, hi, max_ticks)?;
        Some(Axis {
            min: *scale.ticks.first()?,
            max: *scale.ticks.last()?,
            decimals: format.decimals(scale.exponent),
            ticks: scale.ticks,
            format,
        })
    }

    /// Maps a data value to the pixel between `from` (at `min`) and `to` (at `max`).
    fn to_px(&self, value: f64, from: f64, to: f64) -> f64 {
        from + (value - self.min) / (self.max - self.min) * (to - from)
    }

    fn label(&self, value: f64) -> String {
        self.format.write(value, self.decimals)
    }

    fn widest_label(&self) -> f64 {
        self.ticks
            .iter()
            .map(|t| text_width(&self.label(*t)))
            .fold(0.0, f64::max)
    }
}

/// The plot area in viewBox units.
#[derive(Clone, Copy, Debug)]
struct Plot {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

/// How a series' line is drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LineStyle {
    #[default]
    Solid,
    Dashed,
    Dotted,
}

impl LineStyle {
    fn dasharray(self) -> Option<&'static str> {
        match self {
            LineStyle::Solid => None,
            LineStyle::Dashed => Some("7 5"),
            // With round caps, a dash of almost nothing draws a dot.
            LineStyle::Dotted => Some("0.5 5"),
        }
    }
}

/// One named line of `(x, y)` points, drawn in the given order.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub style: LineStyle,
}

impl Series {
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>, style: LineStyle) -> Series {
        Series {
            name: name.into(),
            points,
            style,
        }
    }
}

/// A line chart of one or more series. The first series is the primary one (the model):
/// it takes the first colour, is listed first in the legend, is drawn thicker, and is
/// painted last so that baselines never hide it.
#[derive(Clone, Debug, PartialEq)]
pub struct LineChart {
    /// The `data-chart` attribute, for finding the chart in the page.
    pub id: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_format: TickFormat,
    pub y_format: TickFormat,
    pub series: Vec<Series>,
    /// The x range shown; `None` fits nice ticks around the data.
    pub x_range: Option<Range>,
    pub y_range: Option<Range>,
    /// Draws the y = x reference line (random ranking on ROC and gains charts, perfect
    /// calibration on calibration charts).
    pub diagonal: bool,
}

impl LineChart {
    /// A chart with no series, number axes fitted to the data, and no diagonal.
    pub fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> LineChart {
        LineChart {
            id: id.into(),
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            x_format: TickFormat::Number,
            y_format: TickFormat::Number,
            series: Vec::new(),
            x_range: None,
            y_range: None,
            diagonal: false,
        }
    }

    /// The chart as one `<svg>` element, `640 x 400` in viewBox units.
    pub fn render(&self) -> String {
        let (x_data, y_data) = finite_bounds(self.series.iter().flat_map(|s| &s.points));
        let axes = Axis::new(x_data, self.x_range, X_MAX_TICKS, self.x_format).zip(Axis::new(
            y_data,
            self.y_range,
            Y_MAX_TICKS,
            self.y_format,
        ));
        let has_data = x_data.is_some() && axes.is_some();
        let (x_axis, y_axis) = axes.unwrap_or_else(|| unit_axes(self.x_format, self.y_format));

        let legend: Vec<LegendEntry> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| LegendEntry {
                name: &s.name,
                key: LegendKey::Line {
                    colour: colour(i),
                    width: line_width(i),
                    style: s.style,
                },
            })
            .collect();
        let mut out = open_svg(&self.id, &self.title, HEIGHT);
        let plot = plot_area(&y_axis, legend_rows(&legend, 16.0, WIDTH - 16.0), HEIGHT);
        write_legend(&mut out, &legend, 16.0, WIDTH - 16.0);
        write_grid(&mut out, &plot, &x_axis, &y_axis);
        if self.diagonal {
            write_diagonal(&mut out, &plot, &x_axis, &y_axis);
        }
        // Later series first, so the primary series is painted on top of the others.
        for (i, series) in self.series.iter().enumerate().rev() {
            write_series(&mut out, &plot, &x_axis, &y_axis, series, i);
        }
        write_x_axis(&mut out, &plot, &x_axis, &self.x_label);
        write_y_axis(&mut out, &plot, &y_axis, &self.y_label);
        if !has_data {
            write_no_data(&mut out, &plot);
        }
        out.push_str("</svg>");
        out
    }
}

/// One horizontal bar: a label and a signed value.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
}

impl Bar {
    pub fn new(label: impl Into<String>, value: f64) -> Bar {
        Bar {
            label: label.into(),
            value,
        }
    }
}

/// Horizontal bars around a zero line, top to bottom in the given order: positive values
/// to the right in [`POSITIVE_COLOUR`], negative ones to the left in [`NEGATIVE_COLOUR`],
/// labels left of the plot and each value written at its bar's end. Bars whose value is not
/// finite are left out. The chart is 640 wide and grows 28 units in height per bar.
#[derive(Clone, Debug, PartialEq)]
pub struct BarChart {
    pub id: String,
    pub title: String,
    /// The label under the value axis.
    pub value_label: String,
    /// The label beside the bar labels (may be empty).
    pub category_label: String,
    pub format: TickFormat,
    pub bars: Vec<Bar>,
}

const BAR_ROW: f64 = 28.0;
const BAR_THICKNESS: f64 = 18.0;
/// Longest bar label drawn in full; longer ones are cut with an ellipsis and keep the full
/// text in a tooltip.
const BAR_LABEL_MAX_CHARS: usize = 32;
/// Longest visible title that fits the width at [`TITLE_FONT_SIZE`]; the full title stays
/// in `<title>` and `aria-label`.
const TITLE_MAX_CHARS: usize = 64;
const TITLE_FONT_SIZE: f64 = 17.0;

impl BarChart {
    /// A chart with no bars and number formatting.
    pub fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        value_label: impl Into<String>,
        category_label: impl Into<String>,
    ) -> BarChart {
        BarChart {
            id: id.into(),
            title: title.into(),
            value_label: value_label.into(),
            category_label: category_label.into(),
            format: TickFormat::Number,
            bars: Vec::new(),
        }
    }

    /// The chart as one `<svg>` element.
    pub fn render(&self) -> String {
        let bars: Vec<&Bar> = self.bars.iter().filter(|b| b.value.is_finite()).collect();
        let (lo, hi) = bars.iter().fold((0.0_f64, 0.0_f64), |(lo, hi), b| {
            (lo.min(b.value), hi.max(b.value))
        });
        // Both ends include zero, so the zero line is always a tick; with no bars the axis
        // shows 0 to 1.
        let data = if bars.is_empty() {
            (0.0, 1.0)
        } else {
            (lo, hi)
        };
        let x_axis = Axis::new(Some(data), None, Y_MAX_TICKS, self.format)
            .unwrap_or_else(|| unit_axes(self.format, self.format).0);
        let signed = lo < 0.0;
        let value_texts: Vec<String> = bars
            .iter()
            .map(|b| bar_value_text(b.value, &x_axis, signed))
            .collect();

        let n_rows = bars.len().max(1) as f64;
        let top = 44.0;
        let bottom = top + n_rows * BAR_ROW;
        let height = bottom + 52.0;
        let label_width = bars
            .iter()
            .map(|b| text_width(&truncate(&b.label, BAR_LABEL_MAX_CHARS)))
            .fold(0.0, f64::max);
        let label_right = (32.0 + label_width).ceil();
        let widest = |negative: bool| {
            bars.iter()
                .zip(&value_texts)
                .filter(|(b, _)| (b.value < 0.0) == negative)
                .map(|(_, t)| (text_width(t) + 8.0).ceil())
                .fold(0.0, f64::max)
        };
        let plot = Plot {
            left: label_right + 12.0,
            right: WIDTH - 24.0,
            top,
            bottom,
        };
        // Room for the value written beyond the longest bar on each side.
        let (from, to) = (plot.left + widest(true), plot.right - widest(false));

        let mut out = open_svg(&self.id, &self.title, height);
        write_vertical_grid(&mut out, &plot, &x_axis, from, to);
        let zero = x_axis.to_px(0.0, from, to);
        for (row, (bar, text)) in bars.iter().zip(&value_texts).enumerate() {
            let y = top + row as f64 * BAR_ROW + (BAR_ROW - BAR_THICKNESS) / 2.0;
            let end = x_axis.to_px(bar.value, from, to);
            write_bar(&mut out, zero, end, y, bar.value, text);
        }
        out.push_str(&format!(
            "<line class=\"zero\" x1=\"{z}\" y1=\"{}\" x2=\"{z}\" y2=\"{}\" stroke=\"{AXIS_COLOUR}\" stroke-width=\"1.5\"/>",
            num(top),
            num(bottom),
            z = num(zero)
        ));
        write_bar_x_axis(&mut out, &plot, &x_axis, from, to, &self.value_label);
        write_bar_labels(&mut out, &plot, &bars, label_right, &self.category_label);
        if bars.is_empty() {
            write_no_data(&mut out, &plot);
        }
        out.push_str("</svg>");
        out
    }
}

/// A bar's value with one more decimal than the ticks, and a `+` on positive values when
/// the chart also has negative ones, so the sign reads at a glance.
fn bar_value_text(value: f64, axis: &Axis, signed: bool) -> String {
    let text = axis.format.write(value, axis.decimals + 1);
    if signed && value > 0.0 {
        format!("+{text}")
    } else {
        text
    }
}

fn write_bar(out: &mut String, zero: f64, end: f64, y: f64, value: f64, text: &str) {
    let (class, colour) = if value < 0.0 {
        ("bar negative", NEGATIVE_COLOUR)
    } else {
        ("bar positive", POSITIVE_COLOUR)
    };
    out.push_str(&format!(
        "<rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{colour}\"/>",
        num(zero.min(end)),
        num(y),
        num((end - zero).abs()),
        num(BAR_THICKNESS)
    ));
    let (x, anchor) = if value < 0.0 {
        (end - 6.0, "end")
    } else {
        (end + 6.0, "start")
    };
    out.push_str(&format!(
        "<text class=\"value\" x=\"{}\" y=\"{}\" dy=\"0.35em\" text-anchor=\"{anchor}\" fill=\"{LABEL_COLOUR}\">{}</text>",
        num(x),
        num(y + BAR_THICKNESS / 2.0),
        escape(text)
    ));
}

fn write_bar_x_axis(out: &mut String, plot: &Plot, axis: &Axis, from: f64, to: f64, label: &str) {
    out.push_str("<g class=\"axis x\">");
    out.push_str(&format!(
        "<line x1=\"{}\" y1=\"{b}\" x2=\"{}\" y2=\"{b}\" stroke=\"{AXIS_COLOUR}\"/>",
        num(from),
        num(to),
        b = num(plot.bottom)
    ));
    for tick in &axis.ticks {
        let x = num(axis.to_px(*tick, from, to));
        write_x_tick(out, &x, plot.bottom, &axis.label(*tick));
    }
    write_x_label(out, (from + to) / 2.0, plot.bottom, label);
    out.push_str("</g>");
}

fn write_bar_labels(
    out: &mut String,
    plot: &Plot,
    bars: &[&Bar],
    label_right: f64,
    category_label: &str,
) {
    out.push_str("<g class=\"axis y\">");
    for (row, bar) in bars.iter().enumerate() {
        let y = plot.top + (row as f64 + 0.5) * BAR_ROW;
        let shown = truncate(&bar.label, BAR_LABEL_MAX_CHARS);
        let tooltip = if shown == bar.label {
            String::new()
        } else {
            format!("<title>{}</title>", escape(&bar.label))
        };
        out.push_str(&format!(
            "<text class=\"tick-label\" x=\"{}\" y=\"{}\" dy=\"0.35em\" text-anchor=\"end\" fill=\"{LABEL_COLOUR}\">{tooltip}{}</text>",
            num(label_right),
            num(y),
            escape(&shown)
        ));
    }
    write_y_label(out, plot, category_label);
    out.push_str("</g>");
}

/// Counts of two or more groups over the same bins, drawn as side-by-side bars within each
/// bin (churners and stayers by predicted probability, for example).
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    id: String,
    title: String,
    x_label: String,
    y_label: String,
    x_format: TickFormat,
    edges: Vec<f64>,
    /// Each group's name and its bar heights: counts, or shares of the group's total.
    groups: Vec<(String, Vec<f64>)>,
    scale: HistogramScale,
}

/// One group's counts, one per bin.
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramGroup {
    pub name: String,
    pub counts: Vec<u64>,
}

impl HistogramGroup {
    pub fn new(name: impl Into<String>, counts: Vec<u64>) -> HistogramGroup {
        HistogramGroup {
            name: name.into(),
            counts,
        }
    }
}

/// What a histogram's bars measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistogramScale {
    /// Rows per bin.
    Counts,
    /// Each group's rows per bin divided by the group's rows, so groups of very different
    /// sizes (few churners, many stayers) can be compared; the y axis is in percent.
    Shares,
}

impl Histogram {
    /// A histogram of `groups` over the bins `[edges[i], edges[i + 1])`, with empty axis
    /// labels and number formatting on the x axis (see [`Histogram::labels`] and
    /// [`Histogram::x_format`]).
    ///
    /// # Errors
    /// [`ReportError::TooFewEdges`] with fewer than 2 edges; [`ReportError::BadEdge`] when
    /// an edge is not finite or not above the one before; [`ReportError::NoGroups`];
    /// [`ReportError::CountsLength`] when a group has not one count per bin; and, for
    /// shares, [`ReportError::EmptyGroup`] when a group's counts sum to zero.
    pub fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        edges: Vec<f64>,
        groups: Vec<HistogramGroup>,
        scale: HistogramScale,
    ) -> Result<Histogram, ReportError> {
        let title = title.into();
        check_edges(&title, &edges)?;
        if groups.is_empty() {
            return Err(ReportError::NoGroups { chart: title });
        }
        let n_bins = edges.len() - 1;
        let groups = groups
            .into_iter()
            .map(|g| group_heights(&title, g, n_bins, scale))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Histogram {
            id: id.into(),
            title,
            x_label: String::new(),
            y_label: String::new(),
            x_format: TickFormat::Number,
            edges,
            groups,
            scale,
        })
    }

    /// Sets the axis labels.
    pub fn labels(mut self, x_label: impl Into<String>, y_label: impl Into<String>) -> Self {
        self.x_label = x_label.into();
        self.y_label = y_label.into();
        self
    }

    /// Sets how the bin edges on the x axis are written.
    pub fn x_format(mut self, format: TickFormat) -> Self {
        self.x_format = format;
        self
    }

    /// The chart as one `<svg>` element, `640 x 400` in viewBox units.
    pub fn render(&self) -> String {
        let (first, last) = (self.edges[0], self.edges[self.edges.len() - 1]);
        let x_range = Range::new(first, last).ok();
        let highest = self
            .groups
            .iter()
            .flat_map(|(_, heights)| heights)
            .fold(0.0_f64, |a, &b| a.max(b));
        // All-zero counts still get a 0 to 1 axis rather than one around zero.
        let top_value = if highest > 0.0 { highest } else { 1.0 };
        let y_format = match self.scale {
            HistogramScale::Counts => TickFormat::Number,
            HistogramScale::Shares => TickFormat::Percent,
        };
        let axes = Axis::new(None, x_range, X_MAX_TICKS, self.x_format).zip(Axis::new(
            Some((0.0, top_value)),
            None,
            Y_MAX_TICKS,
            y_format,
        ));
        let (x_axis, y_axis) = axes.unwrap_or_else(|| unit_axes(self.x_format, y_format));

        let legend: Vec<LegendEntry> = self
            .groups
            .iter()
            .enumerate()
            .map(|(i, (name, _))| LegendEntry {
                name,
                key: LegendKey::Swatch { colour: colour(i) },
            })
            .collect();
        let mut out = open_svg(&self.id, &self.title, HEIGHT);
        let plot = plot_area(&y_axis, legend_rows(&legend, 16.0, WIDTH - 16.0), HEIGHT);
        write_legend(&mut out, &legend, 16.0, WIDTH - 16.0);
        write_grid(&mut out, &plot, &x_axis, &y_axis);
        for (g, (name, heights)) in self.groups.iter().enumerate() {
            self.write_group(&mut out, &plot, (&x_axis, &y_axis), g, name, heights);
        }
        write_x_axis(&mut out, &plot, &x_axis, &self.x_label);
        write_y_axis(&mut out, &plot, &y_axis, &self.y_label);
        out.push_str("</svg>");
        out
    }

    fn write_group(
        &self,
        out: &mut String,
        plot: &Plot,
        (x_axis, y_axis): (&Axis, &Axis),
        group: usize,
        name: &str,
        heights: &[f64],
    ) {
        let n_groups = self.groups.len() as f64;
        out.push_str(&format!(
            "<g class=\"group\" data-group=\"{}\" fill=\"{}\">",
            escape(name),
            colour(group)
        ));
        for (bin, &height) in heights.iter().enumerate() {
            if height <= 0.0 {
                continue;
            }
            let a = x_axis.to_px(self.edges[bin], plot.left, plot.right);
            let b = x_axis.to_px(self.edges[bin + 1], plot.left, plot.right);
            // A small gap between bins keeps neighbouring bars of the same colour apart.
            let gap = ((b - a) * 0.08).min(3.0);
            let width = (b - a - 2.0 * gap) / n_groups;
            let y = y_axis.to_px(height, plot.bottom, plot.top);
            out.push_str(&format!(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
                num(a + gap + group as f64 * width),
                num(y),
                num(width),
                num(plot.bottom - y)
            ));
        }
        out.push_str("</g>");
    }
}

fn check_edges(chart: &str, edges: &[f64]) -> Result<(), ReportError> {
    if edges.len() < 2 {
        return Err(ReportError::TooFewEdges {
            chart: chart.to_string(),
            n_edges: edges.len(),
        });
    }
    for (index, &value) in edges.iter().enumerate() {
        let previous = if index == 0 {
            f64::NEG_INFINITY
        } else {
            edges[index - 1]
        };
        if !value.is_finite() || value <= previous {
            return Err(ReportError::BadEdge {
                chart: chart.to_string(),
                index,
                value,
                previous,
            });
        }
    }
    Ok(())
}

fn group_heights(
    chart: &str,
    group: HistogramGroup,
    n_bins: usize,
    scale: HistogramScale,
) -> Result<(String, Vec<f64>), ReportError> {
    if group.counts.len() != n_bins {
        return Err(ReportError::CountsLength {
            chart: chart.to_string(),
            group: group.name,
            expected: n_bins,
            found: group.counts.len(),
        });
    }
    let counts = group.counts.iter().map(|&c| c as f64);
    let heights = match scale {
        HistogramScale::Counts => counts.collect(),
        HistogramScale::Shares => {
            let total: u64 = group.counts.iter().sum();
            if total == 0 {
                return Err(ReportError::EmptyGroup {
                    chart: chart.to_string(),
                    group: group.name,
                });
            }
            counts.map(|c| c / total as f64).collect()
        }
    };
    Ok((group.name, heights))
}

/// The smallest and largest finite x and y among the points whose x and y are both finite.
type Bounds = Option<(f64, f64)>;

fn finite_bounds<'a>(points: impl Iterator<Item = &'a (f64, f64)>) -> (Bounds, Bounds) {
    let widen = |b: Bounds, v: f64| Some(b.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))));
    points
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .fold((None, None), |(xb, yb), &(x, y)| {
            (widen(xb, x), widen(yb, y))
        })
}

/// Axes from 0 to 1, for a chart that has nothing to scale to.
fn unit_axes(x_format: TickFormat, y_format: TickFormat) -> (Axis, Axis) {
    let unit = |format: TickFormat| Axis {
        min: 0.0,
        max: 1.0,
        ticks: vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
        decimals: format.decimals(-1),
        format,
    };
    (unit(x_format), unit(y_format))
}

fn colour(index: usize) -> &'static str {
    PALETTE[index % PALETTE.len()]
}

fn line_width(index: usize) -> f64 {
    if index == 0 {
        3.0
    } else {
        2.0
    }
}

/// A coordinate with at most 2 decimals and no trailing zeros: `64.0` -> `64`,
/// `12.504` -> `12.5`; `-0.001` -> `0`.
fn num(value: f64) -> String {
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// An estimate of the width of `text` at [`FONT_SIZE`]. SVG cannot measure text before it
/// is drawn, so each character counts a typical advance in twentieths of the font size;
/// summing integers and dividing once keeps the estimate exact and deterministic.
fn text_width(text: &str) -> f64 {
    let units: u32 = text.chars().map(char_units).sum();
    f64::from(units) * FONT_SIZE / 20.0
}

/// A character's advance in twentieths of the font size, roughly as in common sans fonts.
fn char_units(c: char) -> u32 {
    match c {
        '.' | ',' | ':' | ';' | '!' | '|' | '\'' | ' ' => 6,
        '-' | 'i' | 'j' | 'l' | 't' | 'f' | 'r' | '(' | ')' => 7,
        '0'..='9' | '+' | '=' | '<' | '>' | '$' => 12,
        'm' | '%' => 18,
        'w' => 16,
        'M' | 'W' => 17,
        'a'..='z' => 11,
        _ => 14,
    }
}

/// `text` cut to `max_chars` characters, the last one an ellipsis when it was cut.
fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let cut: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    // An ellipsis right after a word reads better than one after a space.
    let mut cut = cut.trim_end().to_string();
    cut.push('…');
    cut
}

/// The root element, its accessible name, a white background (so the chart reads the same
/// on a dark viewer) and the visible title.
fn open_svg(id: &str, title: &str, height: f64) -> String {
    let full_title = escape(title);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" data-chart=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{full_title}\" font-family=\"{FONT_STACK}\" font-size=\"{}\"><title>{full_title}</title><rect class=\"background\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/><text class=\"chart-title\" x=\"16\" y=\"{}\" font-size=\"{}\" font-weight=\"600\" fill=\"{TITLE_COLOUR}\">{}</text>",
        escape(id),
        num(WIDTH),
        num(height),
        num(FONT_SIZE),
        num(WIDTH),
        num(height),
        num(TITLE_Y),
        num(TITLE_FONT_SIZE),
        escape(&truncate(title, TITLE_MAX_CHARS)),
    )
}

/// The plot area left after the title, the legend rows, the y tick labels and the x axis.
fn plot_area(y_axis: &Axis, legend_rows: usize, height: f64) -> Plot {
    // The rotated y label sits in x 10..24; tick labels end 8 units left of the axis.
    let left = (44.0 + y_axis.widest_label()).max(56.0).ceil();
    let top = if legend_rows == 0 {
        44.0
    } else {
        LEGEND_Y - 2.0 + legend_rows as f64 * LEGEND_ROW
    };
    Plot {
        left,
        right: WIDTH - 24.0,
        top,
        bottom: height - 56.0,
    }
}

/// What a legend entry shows beside its name.
enum LegendKey {
    Line {
        colour: &'static str,
        width: f64,
        style: LineStyle,
    },
    Swatch {
        colour: &'static str,
    },
}

struct LegendEntry<'a> {
    name: &'a str,
    key: LegendKey,
}

const LEGEND_KEY_WIDTH: f64 = 24.0;
const LEGEND_GAP: f64 = 20.0;

/// The top-left corner of each entry, left to right, wrapping at `right`.
fn legend_positions(entries: &[LegendEntry], left: f64, right: f64) -> Vec<(f64, usize)> {
    let mut positions = Vec::with_capacity(entries.len());
    let (mut x, mut row) = (left, 0);
    for entry in entries {
        let width = LEGEND_KEY_WIDTH + 6.0 + text_width(entry.name);
        if x > left && x + width > right {
            x = left;
            row += 1;
        }
        positions.push((x, row));
        x += width + LEGEND_GAP;
    }
    positions
}

fn legend_rows(entries: &[LegendEntry], left: f64, right: f64) -> usize {
    legend_positions(entries, left, right)
        .last()
        .map_or(0, |&(_, row)| row + 1)
}

fn write_legend(out: &mut String, entries: &[LegendEntry], left: f64, right: f64) {
    if entries.is_empty() {
        return;
    }
    out.push_str("<g class=\"legend\">");
    for (entry, (x, row)) in entries.iter().zip(legend_positions(entries, left, right)) {
        let y = LEGEND_Y + row as f64 * LEGEND_ROW;
        match entry.key {
            LegendKey::Line {
                colour,
                width,
                style,
            } => out.push_str(&format!(
                "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{colour}\" stroke-width=\"{}\" stroke-linecap=\"round\"{}/>",
                num(x + 2.0),
                num(x + LEGEND_KEY_WIDTH - 2.0),
                num(width),
                dash_attribute(style),
                y = num(y)
            )),
            LegendKey::Swatch { colour } => out.push_str(&format!(
                "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{colour}\"/>",
                num(x + 6.0),
                num(y - 6.0)
            )),
        }
        out.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" dy=\"0.35em\" fill=\"{LABEL_COLOUR}\">{}</text>",
            num(x + LEGEND_KEY_WIDTH + 6.0),
            num(y),
            escape(entry.name)
        ));
    }
    out.push_str("</g>");
}

fn dash_attribute(style: LineStyle) -> String {
    style
        .dasharray()
        .map(|d| format!(" stroke-dasharray=\"{d}\""))
        .unwrap_or_default()
}

/// Light gridlines at every tick, under everything else.
fn write_grid(out: &mut String, plot: &Plot, x_axis: &Axis, y_axis: &Axis) {
    out.push_str(&format!(
        "<g class=\"grid\" stroke=\"{GRID_COLOUR}\" stroke-width=\"1\">"
    ));
    for tick in &x_axis.ticks {
        let x = num(x_axis.to_px(*tick, plot.left, plot.right));
        out.push_str(&format!(
            "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/>",
            num(plot.top),
            num(plot.bottom)
        ));
    }
    for tick in &y_axis.ticks {
        let y = num(y_axis.to_px(*tick, plot.bottom, plot.top));
        out.push_str(&format!(
            "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\"/>",
            num(plot.left),
            num(plot.right)
        ));
    }
    out.push_str("</g>");
}

fn write_vertical_grid(out: &mut String, plot: &Plot, axis: &Axis, from: f64, to: f64) {
    out.push_str(&format!(
        "<g class=\"grid\" stroke=\"{GRID_COLOUR}\" stroke-width=\"1\">"
    ));
    for tick in &axis.ticks {
        let x = num(axis.to_px(*tick, from, to));
        out.push_str(&format!(
            "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/>",
            num(plot.top),
            num(plot.bottom)
        ));
    }
    out.push_str("</g>");
}

/// The part of y = x that lies inside both axes' ranges.
fn write_diagonal(out: &mut String, plot: &Plot, x_axis: &Axis, y_axis: &Axis) {
    let lo = x_axis.min.max(y_axis.min);
    let hi = x_axis.max.min(y_axis.max);
    if lo >= hi {
        return;
    }
    out.push_str(&format!(
        "<line class=\"diagonal\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{DIAGONAL_COLOUR}\" stroke-width=\"1.5\" stroke-dasharray=\"5 5\"/>",
        num(x_axis.to_px(lo, plot.left, plot.right)),
        num(y_axis.to_px(lo, plot.bottom, plot.top)),
        num(x_axis.to_px(hi, plot.left, plot.right)),
        num(y_axis.to_px(hi, plot.bottom, plot.top)),
    ));
}

fn write_series(
    out: &mut String,
    plot: &Plot,
    x_axis: &Axis,
    y_axis: &Axis,
    series: &Series,
    index: usize,
) {
    let points: Vec<(f64, f64)> = series
        .points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    let to_px = |(x, y): (f64, f64)| {
        (
            num(x_axis.to_px(x, plot.left, plot.right)),
            num(y_axis.to_px(y, plot.bottom, plot.top)),
        )
    };
    let colour = colour(index);
    out.push_str(&format!(
        "<g class=\"series\" data-series=\"{}\">",
        escape(&series.name)
    ));
    let path = series_path(&points, x_axis, y_axis, to_px);
    if !path.is_empty() {
        out.push_str(&format!(
            "<path d=\"{path}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"{}\" stroke-linejoin=\"round\" stroke-linecap=\"round\"{}/>",
            num(line_width(index)),
            dash_attribute(series.style)
        ));
    }
    if points.len() <= MARKER_MAX_POINTS {
        let inside = |&&(x, y): &&(f64, f64)| {
            (x_axis.min..=x_axis.max).contains(&x) && (y_axis.min..=y_axis.max).contains(&y)
        };
        for &point in points.iter().filter(inside) {
            let (cx, cy) = to_px(point);
            out.push_str(&format!(
                "<circle cx=\"{cx}\" cy=\"{cy}\" r=\"{}\" fill=\"{colour}\" stroke=\"#ffffff\" stroke-width=\"1\"/>",
                num(line_width(index) + 1.0)
            ));
        }
    }
    out.push_str("</g>");
}

/// Path data through `points`, each segment clipped to the axes' ranges; a segment that
/// re-enters the plot starts a new sub-path.
fn series_path(
    points: &[(f64, f64)],
    x_axis: &Axis,
    y_axis: &Axis,
    to_px: impl Fn((f64, f64)) -> (String, String),
) -> String {
    let bounds = [x_axis.min, x_axis.max, y_axis.min, y_axis.max];
    let mut path = String::new();
    let mut pen: Option<(String, String)> = None;
    for pair in points.windows(2) {
        let Some((start, end)) = clip_segment(pair[0], pair[1], bounds) else {
            continue;
        };
        let (start, end) = (to_px(start), to_px(end));
        if pen.as_ref() != Some(&start) {
            path.push_str(&format!("M{} {}", start.0, start.1));
        }
        path.push_str(&format!("L{} {}", end.0, end.1));
        pen = Some(end);
    }
    path
}

/// The part of the segment `p`-`q` inside `[x_min, x_max, y_min, y_max]`, by Liang-Barsky;
/// `None` when none of it is.
fn clip_segment(
    p: (f64, f64),
    q: (f64, f64),
    [x_min, x_max, y_min, y_max]: [f64; 4],
) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (q.0 - p.0, q.1 - p.1);
    if !dx.is_finite() || !dy.is_finite() {
        return None;
    }
    let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
    let edges = [
        (-dx, p.0 - x_min),
        (dx, x_max - p.0),
        (-dy, p.1 - y_min),
        (dy, y_max - p.1),
    ];
    for (direction, distance) in edges {
        if direction == 0.0 {
            if distance < 0.0 {
                return None;
            }
            continue;
        }
        let t = distance / direction;
        if direction < 0.0 {
            t0 = t0.max(t);
        } else {
            t1 = t1.min(t);
        }
    }
    if t0 > t1 {
        return None;
    }
    // The ends that were not cut are kept exactly, so joined segments share their point.
    let at = |t: f64| {
        if t == 0.0 {
            p
        } else if t == 1.0 {
            q
        } else {
            (p.0 + t * dx, p.1 + t * dy)
        }
    };
    Some((at(t0), at(t1)))
}

fn write_x_axis(out: &mut String, plot: &Plot, axis: &Axis, label: &str) {
    out.push_str("<g class=\"axis x\">");
    out.push_str(&format!(
        "<line x1=\"{}\" y1=\"{b}\" x2=\"{}\" y2=\"{b}\" stroke=\"{AXIS_COLOUR}\"/>",
        num(plot.left),
        num(plot.right),
        b = num(plot.bottom)
    ));
    for tick in &axis.ticks {
        let x = num(axis.to_px(*tick, plot.left, plot.right));
        write_x_tick(out, &x, plot.bottom, &axis.label(*tick));
    }
    write_x_label(out, (plot.left + plot.right) / 2.0, plot.bottom, label);
    out.push_str("</g>");
}

fn write_x_tick(out: &mut String, x: &str, bottom: f64, label: &str) {
    out.push_str(&format!(
        "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"{AXIS_COLOUR}\"/><text class=\"tick-label\" x=\"{x}\" y=\"{}\" text-anchor=\"middle\" fill=\"{TICK_COLOUR}\">{}</text>",
        num(bottom),
        num(bottom + 5.0),
        num(bottom + 19.0),
        escape(label)
    ));
}

fn write_x_label(out: &mut String, centre: f64, bottom: f64, label: &str) {
    if label.is_empty() {
        return;
    }
    out.push_str(&format!(
        "<text class=\"axis-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"600\" fill=\"{LABEL_COLOUR}\">{}</text>",
        num(centre),
        num(bottom + 42.0),
        escape(label)
    ));
}

fn write_y_axis(out: &mut String, plot: &Plot, axis: &Axis, label: &str) {
    out.push_str("<g class=\"axis y\">");
    out.push_str(&format!(
        "<line x1=\"{l}\" y1=\"{}\" x2=\"{l}\" y2=\"{}\" stroke=\"{AXIS_COLOUR}\"/>",
        num(plot.top),
        num(plot.bottom),
        l = num(plot.left)
    ));
    for tick in &axis.ticks {
        let y = num(axis.to_px(*tick, plot.bottom, plot.top));
        out.push_str(&format!(
            "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{AXIS_COLOUR}\"/><text class=\"tick-label\" x=\"{}\" y=\"{y}\" dy=\"0.35em\" text-anchor=\"end\" fill=\"{TICK_COLOUR}\">{}</text>",
            num(plot.left - 5.0),
            num(plot.left),
            num(plot.left - 8.0),
            escape(&axis.label(*tick))
        ));
    }
    write_y_label(out, plot, label);
    out.push_str("</g>");
}

/// The y axis label, turned to read bottom to top along the left edge.
fn write_y_label(out: &mut String, plot: &Plot, label: &str) {
    if label.is_empty() {
        return;
    }
    let centre = num((plot.top + plot.bottom) / 2.0);
    out.push_str(&format!(
        "<text class=\"axis-label\" x=\"0\" y=\"0\" transform=\"translate(20 {centre}) rotate(-90)\" text-anchor=\"middle\" font-weight=\"600\" fill=\"{LABEL_COLOUR}\">{}</text>",
        escape(label)
    ));
}

fn write_no_data(out: &mut String, plot: &Plot) {
    out.push_str(&format!(
        "<text class=\"no-data\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{TICK_COLOUR}\">No data to show</text>",
        num((plot.left + plot.right) / 2.0),
        num((plot.top + plot.bottom) / 2.0)
    ));
}
