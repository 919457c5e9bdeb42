//! The ingested copy (`churn ingest`): used only while fresh, exactly equal to reading the
//! files, and never used when stale or damaged.

use std::path::Path;

use churn::data::{self, LoadOptions, RawTables, Source, Tables};
use churn::features::{self, FeatureConfig, FeatureFrame};
use churn::labels::{self, LabelDefinition, LabelSpec};

use crate::support::{day, load, stderr, write_fixture, Workdir, ORDERS, T};

fn open(dir: &Path, opts: &LoadOptions) -> (RawTables, Vec<String>, Source) {
    data::open(dir, opts, true).expect("data opens")
}

fn stale_reason(source: Source) -> String {
    match source {
        Source::FilesOverStaleCopy { reason, .. } => reason,
        other => panic!("expected a stale copy, got {other:?}"),
    }
}

#[test]
fn the_copy_gives_exactly_the_tables_of_the_files() {
    let w = Workdir::new();
    let dir = write_fixture(&w);
    let opts = LoadOptions::default();
    let (_, _, source) = open(&dir, &opts);
    assert_eq!(source, Source::Files, "no copy before `churn ingest`");
    let (ingested, _, path) = data::ingest(&dir, &opts).unwrap();
    assert_eq!(path, dir.join(".churn/tables.bin"));
    let (tables, warnings, source) = open(&dir, &opts);
    assert_eq!(source, Source::Ingested(path));
    assert!(warnings.is_empty());
    let from_files = load(&dir);
    assert_eq!(tables, from_files);
    assert_eq!(ingested, from_files);
    // The fingerprint recorded in the copy is the one of the tables read from the files.
    let (copy, _, _) = data::open_tables(&dir, &opts, true).unwrap();
    assert!(matches!(copy, Tables::Ingested(_)));
    assert_eq!(copy.view().fingerprint(), data::fingerprint(&from_files));
    // The fixture has what a copy must carry: nulls in segment, churned_at and
    // resolved_at, both survey kinds and an extra column.
    assert_eq!(tables.customers.extra_columns, vec!["account_manager"]);
    assert_eq!(tables.customers.segment.as_ref().unwrap().get(6), None);
    assert_eq!(
        tables
            .tickets
            .as_ref()
            .unwrap()
            .resolved
            .iter()
            .flatten()
            .count(),
        4
    );
    // Asked not to use it, the files are read.
    let (_, _, source) = data::open(&dir, &opts, false).unwrap();
    assert_eq!(source, Source::Files);
}

#[test]
fn tables_that_are_absent_stay_absent() {
    let w = Workdir::new();
    let dir = write_fixture(&w);
    std::fs::remove_file(dir.join("tickets.csv")).unwrap();
    std::fs::remove_file(dir.join("surveys.csv")).unwrap();
    let opts = LoadOptions::default();
    let (_, report, _) = data::ingest(&dir, &opts).unwrap();
    let (tables, warnings, source) = open(&dir, &opts);
    assert!(matches!(source, Source::Ingested(_)));
    assert!(tables.tickets.is_none() && tables.surveys.is_none());
    assert_eq!(tables, load(&dir));
    assert_eq!(warnings, report.warnings);
}

/// The copy read a block of customers at a time gives the blocks of the tables read from
/// the files, with and without the optional tables; the customers are there before any
/// event is read.
#[test]
fn blocks_read_from_the_copy_are_blocks_of_the_tables() {
    let w = Workdir::new();
    let dir = write_fixture(&w);
    let opts = LoadOptions::default();
    for without in [None, Some("tickets.csv"), Some("surveys.csv")] {
        if let Some(file) = without {
            std::fs::remove_file(dir.join(file)).unwrap();
        }
        data::ingest(&dir, &opts).unwrap();
        let whole = load(&dir);
        let n = whole.customers.len();
        assert_eq!(n, 7);
        let (tables, _, source) = data::open_tables(&dir, &opts, true).unwrap();
        assert!(matches!(source, Source::Ingested(_)));
        let Tables::Ingested(copy) = &tables else {
            panic!("the copy is fresh");
        };
        assert_eq!(copy.customers(), &whole.customers);
        assert_eq!(copy.data_end(), whole.data_end);
        for range in [0..0, 0..1, 0..3, 2..7, 6..7, 0..n] {
            assert_eq!(
                copy.block(range.clone()).unwrap(),
                whole.block(range.clone()),
                "customers {range:?} without {without:?}"
            );
        }
        // Features and labels of three snapshots made two customers at a time from the
        // copy are those of the whole tables.
        let config = FeatureConfig::default();
        let spec = LabelSpec {
            horizon_days: 30,
            definition: LabelDefinition::Inactivity,
        };
        let as_of = [day(T) - 60, day(T) - 30, day(T)];
        let frame = features::build(&whole, &as_of, config);
        let labelled = labels::build(&whole, &frame, spec).unwrap();
        assert!(labelled.iter().any(|&c| c) && labelled.iter().any(|&c| !c));
        let (by_blocks, block_labels) = features::build_in_blocks(
            &whole.customers,
            2,
            |range| copy.block(range),
            |raw, frame| Ok(labels::build(raw, frame, spec).unwrap()),
            &as_of,
            config,
        )
        .unwrap();
        assert_eq!(block_labels, labelled, "without {without:?}");
        assert_eq!(by_blocks.customer, frame.customer);
        assert_eq!(by_blocks.snapshot, frame.snapshot);
        let bits =
            |f: &FeatureFrame| -> Vec<u64> { f.numeric.iter().flat_map(|c| c.bits()).collect() };
        assert_eq!(bits(&by_blocks), bits(&frame));
        let block = whole.block(2..5);
        assert_eq!(block.customers.ids, ["C3", "C4", "C5"]);
        assert_eq!(block.orders.offsets.0[0], 0);
        assert_eq!(block.orders.offsets.0.len(), 4);
        assert_eq!(tables.into_raw().unwrap(), whole);
    }
}

#[test]
fn a_changed_new_or_removed_file_makes_the_copy_stale() {
    let w = Workdir::new();
    let dir = write_fixture(&w);
    let opts = LoadOptions::default();
    data::ingest(&dir, &opts).unwrap();
    w.write("data/orders.csv", &format!("{ORDERS}o16,C5,2025-06-01,7\n"));
    let (tables, _, source) = open(&dir, &opts);
    assert_eq!(
        stale_reason(source),
        "orders.csv has changed since it was written"
    );
    assert_eq!(
        tables.orders.day.len(),
        16,
        "the new order is read from the file"
    );

    data::ingest(&dir, &opts).unwrap();
    assert!(matches!(open(&dir, &opts).2, Source::Ingested(_)));
    std::fs::remove_file(dir.join("surveys.csv")).unwrap();
    let (tables, _, source) = open(&dir, &opts);
    assert_eq!(
        stale_reason(source),
        "surveys.csv is gone since it was written"
    );
    assert!(tables.surveys.is_none());

    data::ingest(&dir, &opts).unwrap();
    w.write(
        "data/surveys/part-0.csv",
        "customer_id,responded_at,kind,score\nC1,2025-01-10,csat,9\n",
    );
    assert_eq!(
        stale_reason(open(&dir, &opts).2),
        "surveys/part-0.csv is new since it was written"
    );
}

#[test]
fn other_options_make_the_copy_stale_and_warnings_are_kept() {
    let w = Workdir::new();
    let dir = write_fixture(&w);
    w.write(
        "data/orders.csv",
        &format!("{ORDERS}o16,C99,2025-06-01,7\n"),
    );
    let dropping = LoadOptions {
        drop_unknown_customers: true,
        ..LoadOptions::default()
    };
    let (_, report, _) = data::ingest(&dir, &dropping).unwrap();
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    let (tables, warnings, source) = open(&dir, &dropping);
    assert!(matches!(source, Source::Ingested(_)));
    assert_eq!(
        warnings, report.warnings,
        "the copy repeats the warnings of its reading"
    );
    assert_eq!(tables.orders.day.len(), 15);
    // Without the option the files are read, and refused for the unknown customer.
    let err = data::open(&dir, &LoadOptions::default(), true).unwrap_err();
    assert!(err.to_string().contains("C99"), "{err}");
}

#[test]
fn a_damaged_copy_is_never_used() {
    let w = Workdir::new();
    let dir = write_fixture(&w);
    let opts = LoadOptions::default();
    let (_, _, path) = data::ingest(&dir, &opts).unwrap();
    let good = std::fs::read(&path).unwrap();
    let expect = |bytes: &[u8], reason: &str| {
        std::fs::write(&path, bytes).unwrap();
        let (tables, _, source) = open(&dir, &opts);
        let got = stale_reason(source);
        assert!(got.contains(reason), "{got:?} should contain {reason:?}");
        assert_eq!(tables, load(&dir));
    };
    // One value changed near the end (an order amount or later): the checksum catches it.
    let mut flipped = good.clone();
    let at = good.len() - 40;
    flipped[at] ^= 0x10;
    expect(&flipped, "checksum");
    // An order amount (25.0), among the events that opening skips: the checksum,
    // computed beside the parse, catches it too.
    let amount = 25.0f64.to_le_bytes();
    let at = good.windows(8).position(|w| w == amount).unwrap();
    let mut flipped = good.clone();
    flipped[at + 7] ^= 0x01;
    expect(&flipped, "checksum");
    // A byte after the checksum.
    expect(&[good.as_slice(), &[0]].concat(), "checksum is not where");
    expect(&good[..good.len() - 100], "ends early");
    expect(b"customer_id\nC1\n", "not an ingested copy");
    // A copy of an older format (format 1 had no fingerprint) is stale for its version.
    let key = b"\"format_version\":2";
    let at = good.windows(key.len()).position(|w| w == key).unwrap();
    let mut older = good.clone();
    older[at + key.len() - 1] = b'1';
    expect(&older, "(format 1), this is churn");
    std::fs::write(&path, &good).unwrap();
    assert!(matches!(open(&dir, &opts).2, Source::Ingested(_)));
}

#[test]
fn commands_read_the_copy_and_write_the_same_bytes() {
    let w = Workdir::new();
    write_fixture(&w);
    let features = |extra: &[&str], out: &str| {
        let mut args = vec!["features", "--data", "data", "--as-of", T, "--out", out];
        args.extend_from_slice(extra);
        let run = w.run(&args);
        assert!(run.status.success(), "{}", stderr(&run));
        (stderr(&run), std::fs::read(w.join(out)).unwrap())
    };
    let (before, files) = features(&[], "a.csv");
    assert!(!before.contains("ingested copy"), "{before}");
    let out = w.run(&["ingest", "--data", "data", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["customers"], 7);
    assert_eq!(summary["orders"], 15);
    assert_eq!(summary["tickets"], 6);
    assert_eq!(summary["surveys"], 7);
    let size = std::fs::metadata(w.join("data/.churn/tables.bin"))
        .unwrap()
        .len();
    assert_eq!(summary["bytes"], size);
    let (note, copied) = features(&[], "b.csv");
    assert!(note.contains("read the ingested copy"), "{note}");
    assert_eq!(copied, files);
    let (note, read) = features(&["--read-files"], "c.csv");
    assert!(!note.contains("ingested copy"), "{note}");
    assert_eq!(read, files);
    let labelled = ["--labels", "--horizon-days", "30", "--snapshots", "2"];
    let (_, copied) = features(&labelled, "e.csv");
    let mut args = labelled.to_vec();
    args.push("--read-files");
    let (_, read) = features(&args, "f.csv");
    assert_eq!(copied, read);
    assert!(String::from_utf8(read).unwrap().contains(",churned"));
    w.write("data/orders.csv", &format!("{ORDERS}o16,C5,2025-06-01,7\n"));
    let (note, _) = features(&[], "d.csv");
    assert!(
        note.contains(
            "data/.churn/tables.bin is not used: orders.csv has changed since it was written; \
             read the table files instead"
        ),
        "{note}"
    );
}

/// Columns longer than a read chunk (65,536 values) are read in chunks on several threads:
/// whole or by blocks that start and end inside chunks, they are the tables of the files.
#[test]
fn long_columns_read_in_chunks_are_the_columns_of_the_files() {
    let w = Workdir::new();
    let run = w.run(&["generate", "--customers", "6000", "--out", "d"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let dir = w.join("d");
    let opts = LoadOptions::default();
    data::ingest(&dir, &opts).unwrap();
    let whole = load(&dir);
    assert!(
        whole.orders.day.len() > 2 * 65_536,
        "{}",
        whole.orders.day.len()
    );
    let (tables, _, source) = data::open_tables(&dir, &opts, true).unwrap();
    assert!(matches!(source, Source::Ingested(_)));
    let Tables::Ingested(copy) = &tables else {
        panic!("the copy is fresh");
    };
    for range in [0..6000, 1234..5678, 2999..3001] {
        assert_eq!(
            copy.block(range.clone()).unwrap(),
            whole.block(range.clone()),
            "customers {range:?}"
        );
    }
    assert_eq!(tables.into_raw().unwrap(), whole);
    // Megabytes of values go through the fingerprint's buffer: its hash is pinned (from
    // before the buffer), as models record it.
    assert_eq!(
        data::fingerprint(&whole).content_hash,
        "a751871c7ec3fa3cf7d106555279db58"
    );
}
