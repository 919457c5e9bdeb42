//! `churn report`, checked as a person sees it: rendered by headless Chromium, the page is
//! not blank, every chart is there with its title and axes, and its numbers are those of
//! `churn evaluate --json`.
//!
//! Needs Chromium (`apt-get install chromium`; `.ci/run` installs it, or set `CHROMIUM`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

/// The charts every report has (with a backtest and KPIs).
const CHARTS: [&str; 7] = [
    "roc",
    "pr",
    "gains",
    "calibration",
    "scores",
    "drivers",
    "kpis",
];

fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return PathBuf::from(path);
    }
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(out) = Command::new("which").arg(name).output() {
            if out.status.success() {
                return PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            }
        }
    }
    panic!("the report test renders the page in Chromium: install it (apt-get install chromium; .ci/run does) or set CHROMIUM=/path/to/chrome");
}

fn headless(page: &Path, extra: &[&str]) -> std::process::Output {
    let url = format!("file://{}", page.display());
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .args(["--window-size=1280,5200"])
        .args(extra)
        .arg(&url)
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The pixels of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes) as
/// (width, height, channels, bytes). Small on purpose: a PNG crate would change the
/// features of compression crates polars shares, and rebuild polars for the tests.
fn decode_png(bytes: &[u8]) -> (usize, usize, usize, Vec<u8>) {
    use std::io::Read;
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let (mut pos, mut width, mut height, mut channels) = (8, 0, 0, 0);
    let mut compressed = Vec::new();
    while pos + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        let kind = &bytes[pos + 4..pos + 8];
        let data = &bytes[pos + 8..pos + 8 + len];
        match kind {
            b"IHDR" => {
                width = u32::from_be_bytes(data[0..4].try_into().unwrap()) as usize;
                height = u32::from_be_bytes(data[4..8].try_into().unwrap()) as usize;
                assert_eq!(data[8], 8, "8-bit samples");
                assert_eq!(data[12], 0, "not interlaced");
                channels = match data[9] {
                    2 => 3,
                    6 => 4,
                    other => panic!("colour type {other} not handled"),
                };
            }
            b"IDAT" => compressed.extend_from_slice(data),
            _ => {}
        }
        pos += 12 + len;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&compressed[..])
        .read_to_end(&mut raw)
        .unwrap();
    // Undo the per-line filters (PNG spec, section 9).
    let stride = width * channels;
    let mut out = vec![0u8; stride * height];
    for y in 0..height {
        let filter = raw[y * (stride + 1)];
        let line = &raw[y * (stride + 1) + 1..][..stride];
        for x in 0..stride {
            let a = if x >= channels {
                out[y * stride + x - channels]
            } else {
                0
            };
            let b = if y > 0 { out[(y - 1) * stride + x] } else { 0 };
            let c = if x >= channels && y > 0 {
                out[(y - 1) * stride + x - channels]
            } else {
                0
            };
            let predictor = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((a as u16 + b as u16) / 2) as u8,
                4 => {
                    let p = a as i16 + b as i16 - c as i16;
                    let (pa, pb, pc) = (
                        (p - a as i16).abs(),
                        (p - b as i16).abs(),
                        (p - c as i16).abs(),
                    );
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                other => panic!("PNG filter {other}"),
            };
            out[y * stride + x] = line[x].wrapping_add(predictor);
        }
    }
    (width, height, channels, out)
}

/// Share of pixels that are not (nearly) white, in the whole image and in its top half.
fn ink(png_path: &Path) -> (f64, f64) {
    let (w, h, channels, buf) = decode_png(&std::fs::read(png_path).unwrap());
    let mut inked = 0usize;
    let mut inked_top = 0usize;
    for y in 0..h {
        for x in 0..w {
            let px = &buf[(y * w + x) * channels..][..3];
            if px.iter().any(|&c| c < 235) {
                inked += 1;
                if y < h / 2 {
                    inked_top += 1;
                }
            }
        }
    }
    (
        inked as f64 / (w * h) as f64,
        inked_top as f64 / (w * (h / 2)) as f64,
    )
}

/// The `<svg>` element of chart `id` in the rendered DOM.
fn chart<'a>(dom: &'a str, id: &str) -> &'a str {
    let start = dom
        .find(&format!("data-chart=\"{id}\""))
        .unwrap_or_else(|| panic!("chart {id} is missing from the page"));
    let end = dom[start..].find("</svg>").expect("closed svg") + start;
    &dom[start..end]
}

#[test]
fn the_report_renders_with_every_chart_and_the_evaluate_numbers() {
    let w = Workdir::new();
    let run = w.run(&[
        "generate",
        "--customers",
        "2500",
        "--seed",
        "3",
        "--out",
        "d",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let run = w.run(&["train", "--data", "d", "--snapshots", "2"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let run = w.run(&["evaluate", "--data", "d", "--json", "--bootstrap", "50"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let eval: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let run = w.run(&[
        "report",
        "--data",
        "d",
        "--folds",
        "2",
        "--bootstrap",
        "50",
        "--out",
        "r.html",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let html = std::fs::read_to_string(w.join("r.html")).unwrap();
    assert!(!html.contains("<script"), "no scripts");
    assert!(
        !html
            .replace("http://www.w3.org/2000/svg", "")
            .contains("http"),
        "self-contained: no external resources"
    );

    let page = w.join("r.html");
    let shot = w.join("shot.png");
    headless(&page, &[&format!("--screenshot={}", shot.display())]);
    let (all, top) = ink(&shot);
    // A blank page has no ink; this report has about 5% (text, lines and bars on white).
    assert!(all > 0.02, "the page looks blank: {:.1}% ink", 100.0 * all);
    assert!(
        top > 0.05,
        "the top of the page looks blank: {:.1}% ink",
        100.0 * top
    );

    let dom = String::from_utf8(headless(&page, &["--dump-dom"]).stdout).unwrap();
    for id in CHARTS {
        let svg = chart(&dom, id);
        assert!(svg.contains("class=\"chart-title\""), "{id}: no title");
        assert!(svg.contains("class=\"axis x\""), "{id}: no x axis");
        assert!(svg.contains("class=\"axis y\""), "{id}: no y axis");
        assert_eq!(
            svg.matches("class=\"axis-label\"").count(),
            2,
            "{id}: axis labels"
        );
    }

    // The numbers of the page are those of `churn evaluate --json`.
    let e = &eval["evaluation"];
    let num = |v: &serde_json::Value, places: usize| format!("{:.*}", places, v.as_f64().unwrap());
    let must_show = [
        num(&e["model"]["roc_auc"], 4),
        num(&e["model"]["roc_auc"], 3),
        num(&e["model"]["pr_auc"], 4),
        num(&e["model"]["log_loss"], 4),
        num(&e["model"]["brier"], 4),
        num(&e["baselines"][0]["roc_auc"], 4),
        num(&e["baselines"][1]["roc_auc"], 4),
        num(&e["roc_auc_ci"]["lower"], 3),
        num(&e["roc_auc_ci"]["upper"], 3),
        num(&e["model"]["top"][1]["lift"], 2),
        format!("{}", e["model"]["top"][1]["churners"]),
        format!("{:.4}", eval["calibration"]["ece_before"].as_f64().unwrap()),
    ];
    for text in must_show {
        assert!(dom.contains(&text), "the page does not show {text}");
    }
    let n = e["n"].as_u64().unwrap();
    let grouped = if n >= 1000 {
        format!("{},{:03}", n / 1000, n % 1000)
    } else {
        n.to_string()
    };
    assert!(dom.contains(&grouped), "customers evaluated {grouped}");
}
