//! The churn model report: one self-contained HTML page a data team shows to people who
//! do not read code.
//!
//! Input: a [`ModelArtifact`], its [`Assessment`] on a labelled snapshot, backtest
//! [`Fold`]s and monthly [`KpiRow`]s. Output: the page as a `String`. Pure and
//! deterministic: no clock, no I/O; the caller writes the file.
//!
//! Every number shown comes from those inputs, formatted once here, so a test can compare
//! the page with `churn evaluate --json`.

use super::html::{Block, Cell, Page, Section, Table, Tile};
use super::svg::{
    Bar, BarChart, Histogram, HistogramGroup, HistogramScale, LineChart, LineStyle, Range, Series,
    TickFormat,
};
use super::{format_number, format_percent, ReportError};
use crate::dates::format_day;
use crate::evaluate::backtest::Fold;
use crate::evaluate::{
    gains_curve, pr_curve, recency_score, rfm_score, roc_curve, score_histogram, Assessment,
    EvalError, ModelUsed, ScoreSummary,
};
use crate::kpis::{Group, KpiRow};
use crate::model::artifact::ModelArtifact;

/// Points kept per curve: enough for a smooth line, few enough for a small file.
const CURVE_POINTS: usize = 200;
/// Bins of the score distribution chart.
const HISTOGRAM_BINS: usize = 20;
/// Drivers shown in the bar chart.
const DRIVERS: usize = 10;
/// Months of KPIs in the trend table.
const KPI_TABLE_MONTHS: usize = 6;

#[derive(Debug, thiserror::Error)]
pub enum ChurnReportError {
    #[error(transparent)]
    Eval(#[from] EvalError),
    #[error(transparent)]
    Render(#[from] ReportError),
}

/// What the report is made of.
pub struct ReportInputs<'a> {
    pub artifact: &'a ModelArtifact,
    pub assessment: &'a Assessment,
    /// Folds of the backtest (any kinds); may be empty.
    pub backtest: &'a [Fold],
    /// Monthly KPIs; only the `all` rows are used. May be empty.
    pub kpis: &'a [KpiRow],
}

/// Every `step`-th point and the last, so a curve keeps its shape with at most `max`
/// points.
fn thin(points: Vec<(f64, f64)>, max: usize) -> Vec<(f64, f64)> {
    if points.len() <= max {
        return points;
    }
    let step = points.len().div_ceil(max - 1);
    let last = *points.last().expect("more than max points");
    let mut kept: Vec<(f64, f64)> = points.into_iter().step_by(step).collect();
    if kept.last() != Some(&last) {
        kept.push(last);
    }
    kept
}

fn auc_label(name: &str, auc: f64) -> String {
    format!("{name} (AUC {})", format_number(auc, 3))
}

/// Renders the report page.
///
/// # Errors
/// Curves that are undefined on the assessment's labels (a single class), or a chart
/// that cannot be drawn.
pub fn render(inputs: &ReportInputs) -> Result<String, ChurnReportError> {
    let a = inputs.assessment;
    let artifact = inputs.artifact;
    let e = &a.evaluation;
    let y = &a.labels;
    let p = &a.probabilities;
    let recency = recency_score(&a.frame)?;
    let rfm = rfm_score(&a.frame)?;
    let baseline = |name: &str| e.baselines.iter().find(|b| b.name == name);
    let recency_auc = baseline("recency").map_or(f64::NAN, |b| b.roc_auc);
    let rfm_auc = baseline("rfm").map_or(f64::NAN, |b| b.roc_auc);
    let top10 = e.model.top.iter().find(|t| (t.share - 0.10).abs() < 1e-9);

    let mut page = Page::new("Churn model report").subtitle(format!(
        "Model {} ({}), evaluated on {} out of time; data {} to {}",
        artifact.id,
        artifact.kind.name(),
        format_day(a.as_of),
        artifact.data.first_order.as_deref().unwrap_or("?"),
        artifact.data.data_end
    ));

    // Summary.
    let mut tiles = vec![
        Tile::new("Customers evaluated", format_number(e.n as f64, 0))
            .note(format!("active on {}", format_day(a.as_of))),
        Tile::new(
            "Churned within horizon",
            format_number(e.churners as f64, 0),
        )
        .note(format!(
            "{} in {} days",
            format_percent(e.base_rate, 1),
            artifact.horizon_days
        )),
        Tile::new("ROC AUC", format_number(e.model.roc_auc, 3)).note(format!(
            "95% CI {}–{}; recency alone {}",
            format_number(e.roc_auc_ci.lower, 3),
            format_number(e.roc_auc_ci.upper, 3),
            format_number(recency_auc, 3)
        )),
    ];
    if let Some(t) = top10 {
        tiles.push(
            Tile::new("Lift in the top 10%", format_number(t.lift, 2)).note(format!(
                "{} of the riskiest 10% churned",
                format_percent(t.precision, 1)
            )),
        );
    }
    let verdict = if e.beats_baselines {
        format!(
            "The model ranks a churner above a stayer {} of the time; days since the last order alone does so {}, and an RFM score {}.",
            format_percent(e.model.roc_auc, 1),
            format_percent(recency_auc, 1),
            format_percent(rfm_auc, 1)
        )
    } else {
        "The model does NOT beat every baseline on this snapshot: do not promote it on this evidence.".to_string()
    };
    let which = match a.model_used {
        ModelUsed::Evaluation => format!(
            "Scored with the model fitted only on {} (labels known by {}), so these are out-of-time numbers; the saved model was refitted on {}.",
            artifact.snapshots.evaluation_fit.join(", "),
            format_day(a.as_of),
            artifact.snapshots.final_fit.join(", ")
        ),
        ModelUsed::Final => "Scored with the saved model on data that arrived after its training.".to_string(),
    };
    page = page.section(
        Section::new("Summary")
            .intro("How well the model finds the customers who are about to leave.")
            .block(Block::Tiles(tiles))
            .block(Block::Paragraph(verdict))
            .block(Block::Note(which)),
    );

    // Ranking.
    let mut roc = LineChart::new(
        "roc",
        "ROC curve",
        "False positive rate",
        "True positive rate",
    );
    roc.x_format = TickFormat::Percent;
    roc.y_format = TickFormat::Percent;
    roc.x_range = Some(Range::unit());
    roc.y_range = Some(Range::unit());
    roc.diagonal = true;
    roc.series = vec![
        Series::new(
            auc_label("Model", e.model.roc_auc),
            thin(roc_curve(y, p)?, CURVE_POINTS),
            LineStyle::Solid,
        ),
        Series::new(
            auc_label("Days since last order", recency_auc),
            thin(roc_curve(y, &recency)?, CURVE_POINTS),
            LineStyle::Dashed,
        ),
        Series::new(
            auc_label("RFM score", rfm_auc),
            thin(roc_curve(y, &rfm)?, CURVE_POINTS),
            LineStyle::Dotted,
        ),
    ];
    let mut pr = LineChart::new(
        "pr",
        "Precision and recall",
        "Recall (share of churners found)",
        "Precision",
    );
    pr.x_format = TickFormat::Percent;
    pr.y_format = TickFormat::Percent;
    pr.x_range = Some(Range::unit());
    pr.y_range = Some(Range::unit());
    pr.series = vec![
        Series::new(
            format!("Model (AP {})", format_number(e.model.pr_auc, 3)),
            thin(pr_curve(y, p)?, CURVE_POINTS),
            LineStyle::Solid,
        ),
        Series::new(
            "Days since last order",
            thin(pr_curve(y, &recency)?, CURVE_POINTS),
            LineStyle::Dashed,
        ),
        Series::new(
            "RFM score",
            thin(pr_curve(y, &rfm)?, CURVE_POINTS),
            LineStyle::Dotted,
        ),
    ];
    let mut gains = LineChart::new(
        "gains",
        "Cumulative gains",
        "Customers contacted, riskiest first",
        "Churners reached",
    );
    gains.x_format = TickFormat::Percent;
    gains.y_format = TickFormat::Percent;
    gains.x_range = Some(Range::unit());
    gains.y_range = Some(Range::unit());
    gains.diagonal = true;
    gains.series = vec![
        Series::new("Model", gains_curve(y, p, 20)?, LineStyle::Solid),
        Series::new(
            "Days since last order",
            gains_curve(y, &recency, 20)?,
            LineStyle::Dashed,
        ),
        Series::new("RFM score", gains_curve(y, &rfm, 20)?, LineStyle::Dotted),
    ];
    page = page.section(
        Section::new("How good is the ranking?")
            .intro("A customer-success team calls the riskiest customers first: what matters is how many of the real churners sit at the top of the list.")
            .block(Block::Grid(vec![Block::Chart(roc.render()), Block::Chart(pr.render())]))
            .block(Block::Grid(vec![Block::Chart(gains.render()), Block::Table(top_table(e)?)]))
            .block(Block::Table(metrics_table(e, a.as_of)?))
            .block(Block::Note("The dashed grey diagonal is what a random ranking would draw.".to_string())),
    );

    // Calibration.
    let mut calibration = LineChart::new(
        "calibration",
        "Calibration",
        "Predicted probability",
        "Observed churn rate",
    );
    calibration.x_format = TickFormat::Percent;
    calibration.y_format = TickFormat::Percent;
    calibration.x_range = Some(Range::unit());
    calibration.y_range = Some(Range::unit());
    calibration.diagonal = true;
    calibration.series = vec![Series::new(
        "Model",
        e.reliability
            .iter()
            .filter(|b| b.n > 0)
            .map(|b| (b.mean_predicted, b.observed_rate))
            .collect(),
        LineStyle::Solid,
    )];
    let (churners, stayers) = score_histogram(y, p, HISTOGRAM_BINS)?;
    let edges: Vec<f64> = (0..=HISTOGRAM_BINS)
        .map(|i| i as f64 / HISTOGRAM_BINS as f64)
        .collect();
    let histogram = Histogram::new(
        "scores",
        "Predicted risk of churners and stayers",
        edges,
        vec![
            HistogramGroup::new("Stayed", stayers.iter().map(|&c| c as u64).collect()),
            HistogramGroup::new("Churned", churners.iter().map(|&c| c as u64).collect()),
        ],
        HistogramScale::Shares,
    )?
    .labels("Predicted probability of churn", "Share of group")
    .x_format(TickFormat::Percent);
    page = page.section(
        Section::new("Can the probabilities be trusted?")
            .intro("Value at risk and the number of customers to call are computed from these probabilities, so a predicted 30% should churn about 30% of the time.")
            .block(Block::Grid(vec![Block::Chart(calibration.render()), Block::Chart(histogram.render())]))
            .block(Block::Paragraph(format!(
                "Expected calibration error (10 bins): {} before calibration, {} after ({}).",
                format_number(a.ece_uncalibrated, 4),
                e.model.ece.map_or("–".to_string(), |v| format_number(v, 4)),
                match &artifact.model.calibrator {
                    Some(crate::train::calibrate::Calibrator::Platt { .. }) => "Platt scaling",
                    Some(crate::train::calibrate::Calibrator::Isotonic { .. }) => "isotonic regression",
                    None => "no calibrator",
                }
            ))),
    );

    // Drivers.
    let mut drivers = BarChart::new(
        "drivers",
        "What moves the risk of churn",
        match artifact.kind {
            crate::model::ModelKind::Logistic => "Coefficient (log-odds per standard deviation)",
            _ => "Importance (share of impurity decrease)",
        },
        "Feature",
    );
    drivers.bars = artifact
        .drivers()
        .into_iter()
        .take(DRIVERS)
        .map(|(name, w)| Bar::new(name, w))
        .collect();
    page = page.section(
        Section::new("What drives the risk")
            .intro("The saved model's strongest inputs. The at-risk list explains each customer with their own values.")
            .block(Block::Chart(drivers.render())),
    );

    if !inputs.backtest.is_empty() {
        page = page.section(
            Section::new("Is it stable over time?")
                .intro("Walk-forward backtest: at each date the model is trained only on what was known then and judged on that date.")
                .block(Block::Table(backtest_table(inputs.backtest)?)),
        );
    }

    let months: Vec<&KpiRow> = inputs
        .kpis
        .iter()
        .filter(|r| r.group == Group::All)
        .collect();
    if !months.is_empty() {
        let mut trend = LineChart::new("kpis", "Monthly churn and retention", "Month", "Rate");
        trend.y_format = TickFormat::Percent;
        trend.y_range = Some(Range::unit());
        let series = |get: fn(&KpiRow) -> Option<f64>| -> Vec<(f64, f64)> {
            months
                .iter()
                .enumerate()
                .filter_map(|(i, r)| get(r).map(|v| (i as f64 + 1.0, v)))
                .collect()
        };
        trend.series = vec![
            Series::new("Churn rate", series(|r| r.churn_rate), LineStyle::Solid),
            Series::new(
                "Repeat-purchase rate",
                series(|r| r.repeat_purchase_rate),
                LineStyle::Dashed,
            ),
        ];
        trend.x_label = format!(
            "Month ({} = 1 … {} = {})",
            months[0].period,
            months.last().map_or("", |r| r.period.as_str()),
            months.len()
        );
        page = page.section(
            Section::new("The business")
                .intro("Of the customers active at the start of each month, the share who lapsed or cancelled during it; and the share of buyers who had bought before.")
                .block(Block::Chart(trend.render()))
                .block(Block::Table(kpi_table(&months)?)),
        );
    }

    let d = &artifact.data;
    let population = a.frame.populations.first().copied().unwrap_or_default();
    page = page.section(Section::new("Data").block(Block::Table(Table::new(
        "The data the model was trained on, and the evaluated snapshot",
        vec!["".to_string(), "value".to_string()],
        vec![
            vec![Cell::text("customers"), Cell::count(d.customers as u64)],
            vec![Cell::text("orders"), Cell::count(d.orders as u64)],
            vec![
                    Cell::text("support tickets"),
                    d.tickets
                        .map_or(Cell::numeric("–"), |t| Cell::count(t as u64)),
                ],
            vec![
                    Cell::text("surveys"),
                    d.surveys
                        .map_or(Cell::numeric("–"), |t| Cell::count(t as u64)),
                ],
            vec![
                Cell::text("orders from"),
                Cell::text(d.first_order.clone().unwrap_or_default()),
            ],
            vec![Cell::text("data ends"), Cell::text(d.data_end.clone())],
            vec![
                Cell::text(format!("active on {}", format_day(a.as_of))),
                Cell::count(population.active as u64),
            ],
            vec![
                Cell::text("lapsed (left out)"),
                Cell::count(population.lapsed as u64),
            ],
            vec![
                Cell::text("churn label"),
                Cell::text(format!(
                    "{} within {} days",
                    artifact.label.name(),
                    artifact.horizon_days
                )),
            ],
            vec![Cell::text("churn rate"), Cell::percent(e.base_rate, 1)],
        ],
    )?)));
    Ok(page
        .footer(format!(
            "churn {} · model {} · data fingerprint {}",
            artifact.crate_version, artifact.id, d.content_hash
        ))
        .render())
}

fn summary_row(s: &ScoreSummary, label: &str) -> Vec<Cell> {
    let opt = |v: Option<f64>| v.map_or(Cell::numeric("–"), |v| Cell::number(v, 4));
    vec![
        Cell::text(label),
        Cell::number(s.roc_auc, 4),
        Cell::number(s.pr_auc, 4),
        opt(s.log_loss),
        opt(s.brier),
        opt(s.ece),
    ]
}

fn metrics_table(e: &crate::evaluate::Evaluation, as_of: i32) -> Result<Table, ReportError> {
    let mut rows = vec![summary_row(&e.model, "Model")];
    for b in &e.baselines {
        rows.push(summary_row(
            b,
            match b.name.as_str() {
                "recency" => "Days since last order",
                "rfm" => "RFM score",
                other => other,
            },
        ));
    }
    Table::new(
        format!(
            "Holdout metrics, snapshot {} ({} customers)",
            format_day(as_of),
            e.n
        ),
        ["", "ROC AUC", "PR AUC", "Log loss", "Brier", "ECE"]
            .map(String::from)
            .to_vec(),
        rows,
    )?
    .highlight(0)
}

fn top_table(e: &crate::evaluate::Evaluation) -> Result<Table, ReportError> {
    let rows = e
        .model
        .top
        .iter()
        .map(|t| {
            vec![
                Cell::text(format!("top {}", format_percent(t.share, 0))),
                Cell::count(t.k as u64),
                Cell::count(t.churners as u64),
                Cell::percent(t.precision, 1),
                Cell::percent(t.recall, 1),
                Cell::number(t.lift, 2),
            ]
        })
        .collect();
    Table::new(
        "If the team calls the riskiest customers first",
        ["", "customers", "churners", "precision", "recall", "lift"]
            .map(String::from)
            .to_vec(),
        rows,
    )
}

fn backtest_table(folds: &[Fold]) -> Result<Table, ReportError> {
    let rows = folds
        .iter()
        .map(|f| {
            vec![
                Cell::text(f.date.clone()),
                Cell::text(f.kind),
                Cell::count(f.customers as u64),
                Cell::percent(f.churners as f64 / f.customers.max(1) as f64, 1),
                Cell::number(f.roc_auc, 4),
                Cell::number(f.pr_auc, 4),
                Cell::number(f.recency_roc_auc, 4),
            ]
        })
        .collect();
    Table::new(
        "Backtest folds",
        [
            "fold date",
            "model",
            "customers",
            "churned",
            "ROC AUC",
            "PR AUC",
            "recency ROC AUC",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    )
}

fn kpi_table(months: &[&KpiRow]) -> Result<Table, ReportError> {
    let pct = |v: Option<f64>| v.map_or(Cell::numeric("–"), |v| Cell::percent(v, 1));
    let rows = months
        .iter()
        .rev()
        .take(KPI_TABLE_MONTHS)
        .rev()
        .map(|r| {
            vec![
                Cell::text(r.period.clone()),
                Cell::count(r.active_start as u64),
                Cell::count(r.churned as u64),
                pct(r.churn_rate),
                Cell::count(r.new as u64),
                pct(r.repeat_purchase_rate),
                r.aov.map_or(Cell::numeric("–"), |v| Cell::number(v, 2)),
                r.clv.map_or(Cell::numeric("–"), |v| Cell::number(v, 0)),
                r.nps
                    .score
                    .map_or(Cell::numeric("–"), |v| Cell::number(v, 0)),
            ]
        })
        .collect();
    Table::new(
        format!("The last {} months", KPI_TABLE_MONTHS.min(months.len())),
        [
            "month",
            "active at start",
            "churned",
            "churn rate",
            "new",
            "repeat purchase",
            "AOV",
            "CLV",
            "NPS",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    )
}
