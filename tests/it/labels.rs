//! Labels on the edges of the window (T, T + H], for each definition.

use churn::features::{self, FeatureConfig};
use churn::labels::{self, LabelDefinition, LabelError, LabelSpec};

use crate::support::*;

fn labels_at(
    definition: LabelDefinition,
    horizon_days: i32,
) -> Result<Vec<(String, bool)>, LabelError> {
    let w = Workdir::new();
    let raw = load(&write_fixture(&w));
    let frame = features::build(&raw, &[day(T)], FeatureConfig::default());
    let labels = labels::build(
        &raw,
        &frame,
        LabelSpec {
            horizon_days,
            definition,
        },
    )?;
    Ok(frame
        .customer
        .iter()
        .zip(labels)
        .map(|(&c, l)| (raw.customers.ids[c as usize].clone(), l))
        .collect())
}

#[track_caller]
fn check(definition: LabelDefinition, horizon_days: i32, expected: &[(&str, bool)]) {
    let got = labels_at(definition, horizon_days).unwrap();
    let got: Vec<(&str, bool)> = got.iter().map(|(id, l)| (id.as_str(), *l)).collect();
    assert_eq!(got, expected, "{definition:?}, H = {horizon_days}");
}

#[test]
fn inactivity_window_edges() {
    // C1 orders on T+1 (inside); C2 never again; C6 orders on T+90 (inside, the last day);
    // C7 orders on T+91 (outside).
    check(
        LabelDefinition::Inactivity,
        90,
        &[("C1", false), ("C2", true), ("C6", false), ("C7", true)],
    );
    // With one more day, C7's order on T+91 falls inside.
    check(
        LabelDefinition::Inactivity,
        91,
        &[("C1", false), ("C2", true), ("C6", false), ("C7", false)],
    );
}

#[test]
fn cancellation_window_edges() {
    // C6 cancels on T+90 (inside); C7 cancelled on T itself, which is not in (T, T+H].
    check(
        LabelDefinition::Cancellation,
        90,
        &[("C1", false), ("C2", false), ("C6", true), ("C7", false)],
    );
    check(
        LabelDefinition::Cancellation,
        89,
        &[("C1", false), ("C2", false), ("C6", false), ("C7", false)],
    );
}

#[test]
fn either_is_the_union() {
    check(
        LabelDefinition::Either,
        90,
        &[("C1", false), ("C2", true), ("C6", true), ("C7", true)],
    );
}

#[test]
fn default_definition_follows_churned_at() {
    let w = Workdir::new();
    let raw = load(&write_fixture(&w));
    assert_eq!(
        LabelDefinition::default_for(&raw.customers),
        LabelDefinition::Either
    );
}

#[test]
fn a_window_past_the_data_is_not_labelable() {
    // The data ends on 2025-09-29 (C7's last order): H = 91 fits exactly, H = 92 does not.
    assert!(labels_at(LabelDefinition::Inactivity, 91).is_ok());
    let err = labels_at(LabelDefinition::Inactivity, 92).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the snapshot at 2025-06-30 is not labelable: its 92-day label window ends on 2025-09-30, \
         after the last day of the data (2025-09-29); the latest labelable as-of date is 2025-06-29"
    );
}

#[test]
fn the_cli_names_the_latest_labelable_date() {
    let w = Workdir::new();
    write_fixture(&w);
    let out = w.run(&[
        "features",
        "--data",
        "data",
        "--as-of",
        "2025-07-15",
        "--labels",
        "--out",
        "f.csv",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("the latest labelable as-of date is 2025-07-01"),
        "{}",
        stderr(&out)
    );
    assert!(!w.join("f.csv").exists(), "no output on failure");
}
