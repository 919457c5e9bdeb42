use super::*;

// ---------------------------------------------------------------------------------------
// nice_ticks. The rule: the smallest step of 1, 2 or 5 x 10^k such that the ticks from
// floor(min / step) * step to ceil(max / step) * step number at most max_ticks.

#[track_caller]
fn check_ticks(min: f64, max: f64, max_ticks: usize, expected: &[f64]) {
    assert_eq!(nice_ticks(min, max, max_ticks), expected, "{min}..{max}");
}

#[test]
fn nice_ticks_on_hand_computed_ranges() {
    // 0..1, at most 6: step 0.1 needs 0..10 = 11 ticks; step 0.2 needs 0..5 = 6.
    check_ticks(0.0, 1.0, 6, &[0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
    // 0..0.73: step 0.1 needs 0..ceil(7.3) = 9 ticks; step 0.2 needs 0..ceil(3.65) = 5,
    // so the last tick, 0.8, lies above the data.
    check_ticks(0.0, 0.73, 6, &[0.0, 0.2, 0.4, 0.6, 0.8]);
    // 3..97: step 10 needs 0..10 = 11 ticks; step 20 needs floor(0.15) = 0 to
    // ceil(4.85) = 5, 6 ticks.
    check_ticks(3.0, 97.0, 6, &[0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
    // -0.35..0.12: step 0.1 needs floor(-3.5) = -4 to ceil(1.2) = 2, 7 ticks; step 0.2
    // needs floor(-1.75) = -2 to ceil(0.6) = 1, 4 ticks.
    check_ticks(-0.35, 0.12, 6, &[-0.4, -0.2, 0.0, 0.2]);
    // 0..12500: step 2000 needs 0..ceil(6.25) = 8 ticks; step 5000 needs 0..3, 4 ticks.
    check_ticks(0.0, 12_500.0, 6, &[0.0, 5_000.0, 10_000.0, 15_000.0]);
    // A reversed range is the same range.
    check_ticks(1.0, 0.0, 6, &[0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
}

#[test]
fn nice_ticks_on_degenerate_ranges() {
    // 5..5 widens by 5 / 10 each way to 4.5..5.5: step 0.2 needs floor(22.5) = 22 to
    // ceil(27.5) = 28, 7 ticks; step 0.5 needs 9..11, 3 ticks.
    check_ticks(5.0, 5.0, 6, &[4.5, 5.0, 5.5]);
    // 0..0 widens by 1 each way: step 0.2 needs -5..5 = 11 ticks; step 0.5 needs -2..2.
    check_ticks(0.0, 0.0, 6, &[-1.0, -0.5, 0.0, 0.5, 1.0]);
    // Fewer than 3 ticks are read as 3: step 0.2 needs 6; step 0.5 needs 0..2, 3 ticks.
    check_ticks(0.0, 1.0, 0, &[0.0, 0.5, 1.0]);
    // Non-finite ends have no ticks.
    check_ticks(0.0, f64::NAN, 6, &[]);
    check_ticks(f64::NEG_INFINITY, 1.0, 6, &[]);
    // The span of -1e308..1e308 overflows to infinity.
    check_ticks(-1e308, 1e308, 6, &[]);
}

// ---------------------------------------------------------------------------------------
// Number formatting and escaping.

#[test]
fn numbers_and_percentages_are_formatted_for_people() {
    assert_eq!(format_number(12_500.0, 0), "12,500");
    assert_eq!(format_number(1_234_567.891, 1), "1,234,567.9");
    assert_eq!(format_number(999.6, 0), "1,000");
    assert_eq!(format_number(-0.256, 2), "-0.26");
    // -0.001 rounds to 0.00, which has no sign.
    assert_eq!(format_number(-0.001, 2), "0.00");
    assert_eq!(format_number(f64::NAN, 2), MISSING);
    assert_eq!(format_percent(0.256, 1), "25.6%");
    assert_eq!(format_percent(1.0, 0), "100%");
    assert_eq!(format_percent(f64::INFINITY, 0), MISSING);
}

#[test]
fn escape_covers_the_five_characters_and_drops_control_characters() {
    assert_eq!(escape(r#"a<&>"'b"#), "a&lt;&amp;&gt;&quot;&#39;b");
    // The bell character (U+0007) is not allowed in XML even as an entity.
    assert_eq!(escape("a\u{7}b\tc\nd"), "ab\tc\nd");
}

// ---------------------------------------------------------------------------------------
// Line charts. With both ranges 0..1 and a percent y axis, the layout is: the widest
// y tick label "100%" is 3 digits of 12/20 em and a % of 18/20 em, 54/20 x 13 = 35.1
// units at font size 13, so the plot's left edge is ceil(44 + 35.1) = 80; its right edge
// 640 - 24 = 616 (536 wide); one legend row puts its top at 46 + 18 = 64 and its bottom
// is 400 - 56 = 344 (280 high). So x maps to 80 + 536 x and y to 344 - 280 y.

fn unit_chart(series: Vec<Series>) -> LineChart {
    let mut chart = LineChart::new("roc", "ROC curve", "False positive rate", "Recall");
    chart.y_format = TickFormat::Percent;
    chart.x_range = Some(Range::unit());
    chart.y_range = Some(Range::unit());
    chart.series = series;
    chart
}

#[test]
fn line_chart_maps_points_to_the_plot_area() {
    let svg = unit_chart(vec![Series::new(
        "Model",
        vec![(0.0, 0.0), (1.0, 1.0)],
        LineStyle::Solid,
    )])
    .render();
    // (0, 0) is the bottom-left corner (80, 344); (1, 1) the top-right corner (616, 64).
    assert!(svg.contains(r#"<path d="M80 344L616 64""#), "{svg}");
    assert!(svg.contains(r#"<circle cx="80" cy="344""#), "{svg}");
    assert!(svg.contains(r#"<circle cx="616" cy="64""#), "{svg}");

    // (0.25, 0.5) -> (80 + 134, 344 - 140) = (214, 204);
    // (0.75, 0.25) -> (80 + 402, 344 - 70) = (482, 274).
    let svg = unit_chart(vec![Series::new(
        "Model",
        vec![(0.25, 0.5), (0.75, 0.25)],
        LineStyle::Solid,
    )])
    .render();
    assert!(svg.contains(r#"<path d="M214 204L482 274""#), "{svg}");
}

#[test]
fn line_chart_fits_nice_axes_to_the_data() {
    // x 3..97 with at most 8 ticks: step 10 needs 11, step 20 needs 0..100 (6 ticks).
    // y 10..40 with at most 6: step 5 needs 2..8 (7), step 10 needs 1..4 (4 ticks).
    // Labels "10".."40" are 24/20 x 13 = 15.6 units wide, so the left edge is
    // ceil(max(44 + 15.6, 56)) = 60 and the plot is 556 wide.
    // x 3 -> 60 + 0.03 * 556 = 76.68; x 97 -> 60 + 0.97 * 556 = 599.32.
    let mut chart = LineChart::new("trend", "Trend", "Week", "Customers");
    chart.series = vec![Series::new(
        "Active",
        vec![(3.0, 10.0), (97.0, 40.0)],
        LineStyle::Solid,
    )];
    let svg = chart.render();
    assert!(svg.contains(r#"<path d="M76.68 344L599.32 64""#), "{svg}");
    assert!(svg.contains(">100</text>"), "{svg}");
    assert!(svg.contains(">40</text>"), "{svg}");
}

#[test]
fn line_chart_labels_percent_ticks() {
    let svg = unit_chart(vec![]).render();
    // Percent ticks 0.2 apart are whole percentages; number ticks keep one decimal.
    for label in [">0%<", ">20%<", ">100%<", ">0.0<", ">0.4<", ">1.0<"] {
        assert!(svg.contains(label), "{label} missing in {svg}");
    }
}

#[test]
fn line_chart_clips_segments_to_an_explicit_range() {
    // (0.5, 0.5) -> (1.5, 0.5) leaves the plot at x = 1: (348, 204) to (616, 204).
    // (1.5, 0.5) -> (0.5, 0.25) re-enters at t = 0.5, y = 0.5 - 0.125 = 0.375, which is
    // (616, 344 - 105) = (616, 239), and ends at (348, 274): a new sub-path.
    let svg = unit_chart(vec![Series::new(
        "Model",
        vec![(0.5, 0.5), (1.5, 0.5), (0.5, 0.25)],
        LineStyle::Solid,
    )])
    .render();
    assert!(
        svg.contains(r#"d="M348 204L616 204M616 239L348 274""#),
        "{svg}"
    );
    // The point outside has no marker: its x would be 80 + 1.5 * 536 = 884.
    assert!(svg.contains(r#"<circle cx="348" cy="204""#), "{svg}");
    assert!(!svg.contains(r#"cx="884""#), "{svg}");
}

#[test]
fn line_chart_skips_non_finite_points() {
    let svg = unit_chart(vec![Series::new(
        "Model",
        vec![
            (0.0, 0.0),
            (f64::NAN, 0.5),
            (1.0, f64::INFINITY),
            (1.0, 1.0),
        ],
        LineStyle::Solid,
    )])
    .render();
    // Only (0, 0) and (1, 1) remain, joined directly.
    assert!(svg.contains(r#"<path d="M80 344L616 64""#), "{svg}");
    assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");

    // With nothing finite and no ranges, the chart says so on 0..1 axes.
    let mut chart = LineChart::new("empty", "Empty", "x", "y");
    chart.series = vec![Series::new(
        "Model",
        vec![(f64::NAN, 1.0)],
        LineStyle::Solid,
    )];
    let svg = chart.render();
    assert!(svg.contains("No data to show"), "{svg}");
    assert!(!svg.contains("<path"), "{svg}");
}

#[test]
fn line_chart_draws_the_primary_series_thicker_and_on_top() {
    let mut chart = unit_chart(vec![
        Series::new("Model", vec![(0.0, 0.0), (1.0, 1.0)], LineStyle::Solid),
        Series::new(
            "Recency baseline",
            vec![(0.0, 0.0), (1.0, 0.5)],
            LineStyle::Dashed,
        ),
    ]);
    chart.diagonal = true;
    let svg = chart.render();
    let model = svg.find(r#"data-series="Model""#).unwrap();
    let baseline = svg.find(r#"data-series="Recency baseline""#).unwrap();
    assert!(baseline < model, "the model must be painted last: {svg}");
    assert!(
        svg.contains(r##"stroke="#0072B2" stroke-width="3""##),
        "{svg}"
    );
    assert!(svg.contains(r##"stroke="#D55E00" stroke-width="2" stroke-linejoin="round" stroke-linecap="round" stroke-dasharray="7 5""##), "{svg}");
    // y = x over 0..1 runs from the bottom-left to the top-right corner.
    assert!(
        svg.contains(r#"class="diagonal" x1="80" y1="344" x2="616" y2="64""#),
        "{svg}"
    );
}

#[test]
fn chart_text_is_escaped_and_parts_are_findable() {
    let mut chart = unit_chart(vec![Series::new(
        "<b>model</b>",
        vec![(0.0, 0.0)],
        LineStyle::Dotted,
    )]);
    chart.id = "a\"b".to_string();
    chart.title = r#"Lift <&>"'"#.to_string();
    let svg = chart.render();
    let escaped = "Lift &lt;&amp;&gt;&quot;&#39;";
    assert!(svg.contains(&format!("<title>{escaped}</title>")), "{svg}");
    assert!(svg.contains(&format!(r#"aria-label="{escaped}""#)), "{svg}");
    assert!(svg.contains(r#"class="chart-title""#), "{svg}");
    assert!(svg.contains(r#"data-chart="a&quot;b""#), "{svg}");
    assert!(svg.contains("&lt;b&gt;model&lt;/b&gt;"), "{svg}");
    assert!(!svg.contains("<b>") && !svg.contains("<&>"), "{svg}");
    assert!(svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart""#));
    assert!(svg.contains(r#"role="img""#));
    assert!(svg.contains(r#"<g class="axis x">"#) && svg.contains(r#"<g class="axis y">"#));
    assert_eq!(svg.matches(r#"class="axis-label""#).count(), 2, "{svg}");
    assert!(svg.ends_with("</svg>"));
}

#[test]
fn range_refuses_reversed_empty_and_non_finite_ranges() {
    assert_eq!(
        Range::new(1.0, 0.0),
        Err(ReportError::InvalidRange { min: 1.0, max: 0.0 })
    );
    assert!(Range::new(0.5, 0.5).is_err());
    assert!(Range::new(0.0, f64::INFINITY).is_err());
    assert!(Range::new(f64::NAN, 1.0).is_err());
    let range = Range::new(-1.0, 2.0).unwrap();
    assert_eq!((range.min(), range.max()), (-1.0, 2.0));
}

// ---------------------------------------------------------------------------------------
// Bar charts.

#[test]
fn bar_chart_puts_negative_values_left_of_the_zero_line() {
    let mut chart = BarChart::new("drivers", "What drives risk", "Effect on log-odds", "");
    chart.bars = vec![
        Bar::new("Recency", 0.5),
        Bar::new("Tickets", -0.25),
        Bar::new("Broken", f64::NAN),
    ];
    let svg = chart.render();
    // Values -0.25..0.5 with 0 included: step 0.1 needs floor(-2.5) = -3 to 5 (9 ticks);
    // step 0.2 needs -2..3 (6): the axis is -0.4..0.6 and values get 1 + 1 = 2 decimals.
    // In twentieths of the font size, "Recency" is R 14 + 6 lowercase x 11 = 80 (52 units
    // at size 13) and "Tickets" 72, so labels end at 32 + 52 = 84 and the plot spans
    // 96..616. The values need room beyond the bars: "+0.50" is 12 + 12 + 6 + 12 + 12 = 54
    // (35.1), plus 8 is 43.1, rounded up 44; "-0.25" is 7 + 12 + 6 + 12 + 12 = 49 (31.85),
    // plus 8 rounded up 40. So the axis runs from 96 + 40 = 136 to 616 - 44 = 572.
    // Zero: 136 + 0.4 * 436 = 310.4. 0.5: 136 + 0.9 * 436 = 528.4. -0.25: 136 + 0.15 *
    // 436 = 201.4. Rows are 28 high from y 44, bars 18 thick, centred: y 49 and 77.
    assert!(svg.contains(r#"<line class="zero" x1="310.4" y1="44" x2="310.4" y2="100""#));
    assert!(
        svg.contains(r#"class="bar positive" x="310.4" y="49" width="218" height="18""#),
        "{svg}"
    );
    assert!(
        svg.contains(r#"class="bar negative" x="201.4" y="77" width="109" height="18""#),
        "{svg}"
    );
    // The negative bar ends at 201.4 + 109 = 310.4, the zero line.
    assert!(
        svg.contains(">+0.50</text>") && svg.contains(">-0.25</text>"),
        "{svg}"
    );
    // The bar that is not a number is left out: two rows, 44 + 56 + 52 = 152 high.
    assert!(svg.contains(r#"viewBox="0 0 640 152""#), "{svg}");
    assert!(!svg.contains("Broken") && !svg.contains("NaN"), "{svg}");
}

#[test]
fn bar_chart_without_bars_says_so() {
    let svg = BarChart::new("drivers", "Drivers", "Effect", "Feature").render();
    assert!(svg.contains("No data to show"), "{svg}");
    assert!(!svg.contains("<rect class=\"bar"), "{svg}");
}

#[test]
fn bar_chart_cuts_long_labels_and_keeps_them_in_a_tooltip() {
    let long = "Days since the customer's most recent order";
    let mut chart = BarChart::new("drivers", "Drivers", "Effect", "");
    chart.bars = vec![Bar::new(long, 1.0)];
    let svg = chart.render();
    // The first 31 characters, "Days since the customer's most ", without the trailing
    // space, and an ellipsis.
    assert!(
        svg.contains(">Days since the customer&#39;s most…</text>"),
        "{svg}"
    );
    assert!(svg.contains("<title>Days since the customer&#39;s most recent order</title>"));
}

// ---------------------------------------------------------------------------------------
// Histograms.

fn two_groups(churners: Vec<u64>, stayers: Vec<u64>) -> Vec<HistogramGroup> {
    vec![
        HistogramGroup::new("Churners", churners),
        HistogramGroup::new("Stayers", stayers),
    ]
}

#[test]
fn histogram_draws_shares_side_by_side() {
    // Churners 1 and 3 of 4: shares 0.25, 0.75; stayers 6 and 2 of 8: 0.75, 0.25.
    let chart = Histogram::new(
        "scores",
        "Scores",
        vec![0.0, 0.5, 1.0],
        two_groups(vec![1, 3], vec![6, 2]),
        HistogramScale::Shares,
    )
    .unwrap()
    .labels("Predicted probability", "Share of group");
    let svg = chart.render();
    // y 0..0.75: step 0.1 needs 9 ticks, step 0.2 needs 0..4 (5): the axis is 0..0.8.
    // The widest label "80%" is 12 + 12 + 18 = 42 twentieths, 27.3 units, so the left edge
    // is ceil(44 + 27.3) = 72; the plot is 544 wide and 64..344 high. Bin 0 spans 72..344,
    // less a gap of min(0.08 * 272, 3) = 3 each side, so each group gets (272 - 6) / 2 =
    // 133. Churners, bin 0: 0.25 / 0.8 * 280 = 87.5 high, from y = 256.5, at x = 75.
    assert!(
        svg.contains(r#"<rect x="75" y="256.5" width="133" height="87.5"/>"#),
        "{svg}"
    );
    // Stayers, bin 0: 0.75 / 0.8 * 280 = 262.5 high, at x = 75 + 133 = 208.
    assert!(
        svg.contains(r#"<rect x="208" y="81.5" width="133" height="262.5"/>"#),
        "{svg}"
    );
    assert!(svg.contains(">80%</text>"), "{svg}");
    assert!(
        svg.contains(r##"data-group="Stayers" fill="#D55E00""##),
        "{svg}"
    );
}

#[test]
fn histogram_refuses_inconsistent_input() {
    let build = |edges: Vec<f64>, groups, scale| Histogram::new("h", "H", edges, groups, scale);
    let counts = HistogramScale::Counts;
    assert_eq!(
        build(vec![0.0], two_groups(vec![], vec![]), counts).unwrap_err(),
        ReportError::TooFewEdges {
            chart: "H".into(),
            n_edges: 1
        }
    );
    assert_eq!(
        build(
            vec![0.0, 0.5, 0.5],
            two_groups(vec![1, 1], vec![1, 1]),
            counts
        )
        .unwrap_err(),
        ReportError::BadEdge {
            chart: "H".into(),
            index: 2,
            value: 0.5,
            previous: 0.5
        }
    );
    assert!(matches!(
        build(vec![0.0, f64::NAN], two_groups(vec![1], vec![1]), counts),
        Err(ReportError::BadEdge { index: 1, .. })
    ));
    assert_eq!(
        build(vec![0.0, 1.0], vec![], counts).unwrap_err(),
        ReportError::NoGroups { chart: "H".into() }
    );
    assert_eq!(
        build(vec![0.0, 0.5, 1.0], two_groups(vec![1, 2], vec![3]), counts).unwrap_err(),
        ReportError::CountsLength {
            chart: "H".into(),
            group: "Stayers".into(),
            expected: 2,
            found: 1
        }
    );
    // No churners at all: their shares would be 0 / 0.
    let error = build(
        vec![0.0, 0.5, 1.0],
        two_groups(vec![0, 0], vec![3, 1]),
        HistogramScale::Shares,
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "histogram \"H\": group \"Churners\" has no rows, so its shares are undefined"
    );
    // The same counts are fine as counts.
    assert!(build(
        vec![0.0, 0.5, 1.0],
        two_groups(vec![0, 0], vec![3, 1]),
        counts
    )
    .is_ok());
}

// ---------------------------------------------------------------------------------------
// The page.

fn demo_page() -> Page {
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
    let curve = |power: f64| {
        (0..=50)
            .map(|i| i as f64 / 50.0)
            .map(move |x| (x, x.powf(power)))
    };
    roc.series = vec![
        Series::new(
            "Gradient forest (AUC 0.84)",
            curve(0.3).collect(),
            LineStyle::Solid,
        ),
        Series::new(
            "Days since last order (AUC 0.71)",
            curve(0.55).collect(),
            LineStyle::Dashed,
        ),
    ];

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
        (0..10)
            .map(|i| {
                let p = (i as f64 + 0.5) / 10.0;
                (p, (p * 0.9 + 0.03).min(1.0))
            })
            .collect(),
        LineStyle::Solid,
    )];

    let mut drivers = BarChart::new(
        "drivers",
        "What moves the risk of churn",
        "Change in log-odds of churn",
        "",
    );
    drivers.bars = vec![
        Bar::new("Days since last order", 0.82),
        Bar::new("Support tickets, last 90 days", 0.41),
        Bar::new("Orders, last 90 days", -0.56),
        Bar::new("Satisfaction score", -0.33),
        Bar::new("Tenure (days)", -0.12),
    ];

    let histogram = Histogram::new(
        "score-distribution",
        "Predicted risk of churners and stayers",
        (0..=10).map(|i| i as f64 / 10.0).collect(),
        vec![
            HistogramGroup::new("Stayed", vec![180, 150, 110, 80, 52, 30, 18, 9, 4, 2]),
            HistogramGroup::new("Churned", vec![2, 4, 6, 9, 12, 15, 18, 16, 11, 7]),
        ],
        HistogramScale::Shares,
    )
    .unwrap()
    .labels("Predicted probability of churn", "Share of group")
    .x_format(TickFormat::Percent);

    let comparison = Table::new(
        "Holdout metrics, snapshot 2024-03-31 (4,812 customers)",
        ["Model", "ROC AUC", "PR AUC", "Log loss", "Brier"]
            .map(String::from)
            .to_vec(),
        vec![
            vec![
                Cell::text("Gradient forest"),
                Cell::number(0.8412, 3),
                Cell::number(0.5931, 3),
                Cell::number(0.3817, 3),
                Cell::number(0.1204, 3),
            ],
            vec![
                Cell::text("Logistic regression"),
                Cell::number(0.8105, 3),
                Cell::number(0.5502, 3),
                Cell::number(0.4021, 3),
                Cell::number(0.1288, 3),
            ],
            vec![
                Cell::text("Days since last order"),
                Cell::number(0.7133, 3),
                Cell::number(0.4110, 3),
                Cell::number(f64::NAN, 3),
                Cell::text(""),
            ],
        ],
    )
    .unwrap()
    .highlight(0)
    .unwrap();

    Page::new("Customer churn report")
        .subtitle("Model gradient-forest-7, trained on data up to 2024-06-30 <draft>")
        .section(
            Section::new("Summary")
                .intro("How well the model finds the customers who are about to leave.")
                .block(Block::Tiles(vec![
                    Tile::new("Customers scored", "12,480").note("active on 2024-06-30"),
                    Tile::new("Expected to churn", "1,310").note("10.5% of customers"),
                    Tile::new("ROC AUC", "0.84").note("baseline 0.71"),
                    Tile::new("Value at risk", "$412,900"),
                ]))
                .block(Block::Paragraph(
                    "The model ranks a churner above a stayer 84% of the time; \"days since \
                     last order\" alone does so 71% of the time."
                        .to_string(),
                )),
        )
        .section(
            Section::new("How good is the ranking?")
                .block(Block::Grid(vec![
                    Block::Chart(roc.render()),
                    Block::Chart(calibration.render()),
                ]))
                .block(Block::Note(
                    "The dashed grey line is what a random ranking (left) or a perfectly \
                     calibrated model (right) would draw."
                        .to_string(),
                ))
                .block(Block::Table(comparison)),
        )
        .section(Section::new("What drives the risk").block(Block::Grid(vec![
            Block::Chart(drivers.render()),
            Block::Chart(histogram.render()),
        ])))
        .footer("churn 0.1.0 · data fingerprint 3f9a…c2 · report made 2024-07-01")
}

#[test]
fn page_is_complete_well_formed_and_self_contained() {
    let html = demo_page().render();
    assert!(
        html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"),
        "{html}"
    );
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("<meta name=\"viewport\""));
    assert!(html.contains("@media print"));
    assert!(html.trim_end().ends_with("</html>"));

    for heading in [
        "Summary",
        "How good is the ranking?",
        "What drives the risk",
    ] {
        let tag = format!("<h2>{}</h2>", escape(heading));
        assert_eq!(html.matches(&tag).count(), 1, "{heading}");
    }
    // Four charts, each closed; one table, closed.
    assert_eq!(html.matches("<svg").count(), 4);
    assert_eq!(html.matches("</svg>").count(), 4);
    assert_eq!(html.matches("<table>").count(), 1);
    assert_eq!(html.matches("</table>").count(), 1);
    assert_eq!(
        html.matches("<section>").count(),
        html.matches("</section>").count()
    );
    assert_eq!(
        html.matches("<figure").count(),
        html.matches("</figure>").count()
    );
    assert_eq!(html.matches("<div").count(), html.matches("</div>").count());

    // The only URL is the SVG namespace, on each chart.
    let namespace = "http://www.w3.org/2000/svg";
    assert_eq!(html.matches(namespace).count(), 4);
    let rest = html.replace(namespace, "");
    assert!(!rest.contains("http://") && !rest.contains("https://"));
    assert!(!rest.contains("<script") && !rest.contains("<link") && !rest.contains("@import"));

    // Caller text is escaped.
    assert!(html.contains("2024-06-30 &lt;draft&gt;</p>"));
    assert!(html.contains("&quot;days since last order&quot;"));
    assert!(html.contains("<footer>churn 0.1.0 · data fingerprint 3f9a…c2"));

    // Writes the page for a look in a browser when asked to:
    // CHURN_REPORT_DEMO=/tmp/report_demo.html cargo test --lib report
    if let Some(path) = std::env::var_os("CHURN_REPORT_DEMO") {
        std::fs::write(path, &html).unwrap();
    }
}

#[test]
fn table_aligns_numbers_and_highlights_a_row() {
    let table = Table::new(
        "Tiers",
        vec!["Tier".into(), "Customers".into(), "Share".into()],
        vec![
            vec![Cell::text("High"), Cell::count(1250), Cell::percent(0.1, 0)],
            vec![
                Cell::text("Low"),
                Cell::count(11230),
                Cell::percent(f64::NAN, 0),
            ],
        ],
    )
    .unwrap()
    .highlight(1)
    .unwrap();
    let html = Page::new("T")
        .section(Section::new("S").block(Block::Table(table)))
        .render();
    // Customers and Share hold numbers only, so their headers align right too.
    assert!(html.contains(
        r#"<thead><tr><th scope="col">Tier</th><th scope="col" class="num">Customers</th><th scope="col" class="num">Share</th></tr></thead>"#
    ));
    assert!(html.contains(
        r#"<tr><td>High</td><td class="num">1,250</td><td class="num">10%</td></tr><tr class="highlight"><td>Low</td><td class="num">11,230</td><td class="num">–</td></tr>"#
    ), "{html}");
}

#[test]
fn table_refuses_ragged_rows_and_missing_highlight_rows() {
    let headers = vec!["A".to_string(), "B".to_string()];
    assert_eq!(
        Table::new("T", headers.clone(), vec![vec![Cell::text("x")]]).unwrap_err(),
        ReportError::RowLength {
            table: "T".into(),
            row: 0,
            expected: 2,
            found: 1
        }
    );
    let table = Table::new("T", headers, vec![vec![Cell::text("x"), Cell::text("y")]]).unwrap();
    assert_eq!(
        table.highlight(1).unwrap_err().to_string(),
        "table \"T\": cannot highlight row 1, the table has 1 rows"
    );
}

#[test]
fn empty_page_has_no_sections_and_no_footer() {
    let html = Page::new("Nothing yet").render();
    assert!(html.contains("<h1>Nothing yet</h1>"));
    assert!(html.contains("<main>\n</main>"));
    assert!(!html.contains("<footer>") && !html.contains("<h2>"));
}
