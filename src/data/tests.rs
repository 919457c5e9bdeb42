use std::path::Path;

use super::*;

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn part(dir: &Path, rel: &str) -> Part {
    Part {
        path: dir.join(rel),
        format: read::Format::Csv,
    }
}

#[test]
fn equal_hashes_of_different_ids_are_not_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "orders/a.csv", "order_id\nx\ny\n");
    write(dir.path(), "orders/b.csv", "order_id\nz\nx\n");
    let check = |parts: Vec<(Part, Vec<u64>)>| {
        let mut problems = Vec::new();
        IdHashes { parts }.check(
            Table::Orders,
            schema::ORDER_ID,
            &LoadOptions::default(),
            &mut problems,
        );
        problems
    };
    // Pretend x, y and z collide: only the second x (b.csv, row 2) is a duplicate.
    let problems = check(vec![
        (part(dir.path(), "orders/a.csv"), vec![7, 7]),
        (part(dir.path(), "orders/b.csv"), vec![7, 7]),
    ]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].file, dir.path().join("orders/b.csv"));
    assert_eq!(problems[0].first_row, Some(2));
    assert_eq!(problems[0].first_value.as_deref(), Some("x"));
    assert_eq!(problems[0].count, 1);
    // x and y collide and nothing repeats: no problem at all.
    assert!(check(vec![(part(dir.path(), "orders/a.csv"), vec![7, 7])]).is_empty());
}

#[test]
fn repeated_hashes_are_found_across_parts_and_buckets() {
    let dir = tempfile::tempdir().unwrap();
    let hashes = |from: u64, to: u64| -> Vec<u64> {
        (from..to)
            .map(|i| xxh3_64(format!("O{i}").as_bytes()))
            .collect()
    };
    let repeated = |parts: Vec<Vec<u64>>| {
        let parts = parts
            .into_iter()
            .map(|h| (part(dir.path(), "orders/a.csv"), h))
            .collect();
        let mut found: Vec<u64> = IdHashes { parts }.repeated().into_iter().collect();
        found.sort_unstable();
        found
    };
    // 100k distinct ids spread over all 4,096 buckets: nothing repeats.
    assert!(repeated(vec![hashes(0, 60_000), hashes(60_000, 100_000)]).is_empty());
    // Ids 59,990..60,010 are in both parts, and id 5 twice in the first.
    let mut first = hashes(0, 60_010);
    first.push(xxh3_64(b"O5"));
    let mut expected = hashes(59_990, 60_010);
    expected.push(xxh3_64(b"O5"));
    expected.sort_unstable();
    assert_eq!(repeated(vec![first, hashes(59_990, 100_000)]), expected);
    // Hashes in the lowest and highest buckets.
    assert_eq!(
        repeated(vec![vec![0, u64::MAX, 0], vec![u64::MAX]]),
        [0, u64::MAX]
    );
    // Empty parts around one that repeats a hash, and a hash repeated three parts apart.
    assert_eq!(
        repeated(vec![
            vec![],
            vec![3, 3],
            vec![],
            vec![9, 1 << 63],
            vec![1 << 63]
        ]),
        [3, 1 << 63]
    );
}

#[test]
fn a_column_found_only_in_a_later_part_is_null_in_the_earlier_ones() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "customers/part-0.csv",
        "customer_id,signup_date\nC1,2025-01-01\nC2,2025-01-02\n",
    );
    write(
        dir.path(),
        "customers/part-1.csv",
        "customer_id,signup_date,segment\nC3,2025-01-03,smb\n",
    );
    write(
        dir.path(),
        "customers/part-2.csv",
        "customer_id,signup_date\nC4,2025-01-04\n",
    );
    write(
        dir.path(),
        "orders.csv",
        "order_id,customer_id,order_date,amount\no1,C3,2025-02-01,10\no2,C1,2025-02-02,5\n",
    );
    let (tables, _) = load(dir.path(), &LoadOptions::default()).unwrap();
    let segment = tables.customers.segment.unwrap();
    let segments: Vec<Option<&str>> = (0..4).map(|i| segment.get(i)).collect();
    assert_eq!(segments, [None, None, Some("smb"), None]);
    assert_eq!(tables.customers.ids, ["C1", "C2", "C3", "C4"]);
    assert_eq!(tables.orders.offsets.0, [0, 1, 1, 2, 2]);
}

#[test]
fn ids_of_every_length_are_found_and_only_themselves() {
    // Short ids are held inline, long ones on the heap; both must hash and compare as
    // their bytes do, including at the boundary and for ids that are prefixes of others.
    let ids: Vec<String> = (0..=40).map(|n| "C".repeat(n)).collect();
    let mut map: HashMap<IdKey, u32, IdHashing> = HashMap::with_hasher(IdHashing);
    for (i, id) in ids.iter().enumerate() {
        assert!(map.insert(IdKey::new(id), i as u32).is_none(), "{id}");
    }
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(map.get(id.as_bytes()), Some(&(i as u32)), "{id}");
        assert_eq!(IdKey::new(id).as_bytes(), id.as_bytes());
    }
    assert!(matches!(IdKey::new(&ids[INLINE_ID]), IdKey::Inline { .. }));
    assert!(matches!(IdKey::new(&ids[INLINE_ID + 1]), IdKey::Heap(_)));
    assert_eq!(map.get("D".as_bytes()), None);
    assert_eq!(map.get("C".repeat(41).as_bytes()), None);
    assert_eq!(map.get("ü".as_bytes()), None);
}

#[test]
fn quoted_or_crlf_files_read_by_polars_give_the_tables_of_plain_ones() {
    // The plain files go through our own splitter, the quoted and CRLF ones through
    // polars: the tables must be the same, and a bad value is named alike.
    let plain = tempfile::tempdir().unwrap();
    write(
        plain.path(),
        "customers.csv",
        "customer_id,signup_date,segment\nC1,2025-01-01,smb\nC2,2025-01-02,\n",
    );
    write(
        plain.path(),
        "orders.csv",
        "order_id,customer_id,order_date,amount\no1,C2,2025-02-01,10.5\no2,C1,2025-02-02,5\n",
    );
    let quoted = tempfile::tempdir().unwrap();
    write(
        quoted.path(),
        "customers.csv",
        "customer_id,signup_date,segment\r\n\"C1\",2025-01-01,\"smb\"\r\nC2,2025-01-02,\r\n",
    );
    write(
        quoted.path(),
        "orders.csv",
        "\"order_id\",customer_id,order_date,amount\r\no1,\"C2\",2025-02-01,10.5\r\no2,C1,2025-02-02,5\r\n",
    );
    // Tickets with an open one (no resolution time): a null, not a problem.
    write(
        plain.path(),
        "tickets.csv",
        "ticket_id,customer_id,created_at,priority,resolved_at\nt1,C1,2025-02-01T10:00:00,high,\nt2,C2,2025-02-03,Low,2025-02-04T08:00:00\n",
    );
    write(
        quoted.path(),
        "tickets.csv",
        "ticket_id,customer_id,created_at,priority,resolved_at\r\nt1,C1,2025-02-01T10:00:00,\"high\",\r\nt2,C2,2025-02-03,Low,2025-02-04T08:00:00\r\n",
    );
    let (from_plain, plain_report) = load(plain.path(), &LoadOptions::default()).unwrap();
    let (from_quoted, quoted_report) = load(quoted.path(), &LoadOptions::default()).unwrap();
    assert_eq!(from_plain, from_quoted);
    assert_eq!(from_plain.customers.ids, ["C1", "C2"]);
    assert_eq!(from_plain.orders.amount, [5.0, 10.5]);
    let tickets = from_plain.tickets.as_ref().expect("tickets");
    assert_eq!(tickets.resolved[0], None);
    assert_eq!(tickets.priority, [2, 0]);
    // The reports count the same rows and nulls, table by table.
    let counts = |report: &DataReport| -> Vec<(usize, Vec<(String, usize)>)> {
        let tables = report.tables.iter();
        tables.map(|t| (t.rows, t.nulls.clone())).collect()
    };
    assert_eq!(counts(&plain_report), counts(&quoted_report));
    let ticket_nulls = &plain_report.tables[2].nulls;
    assert!(
        ticket_nulls.contains(&("resolved_at".to_string(), 1)),
        "{ticket_nulls:?}"
    );

    for dir in [plain.path(), quoted.path()] {
        let text = std::fs::read_to_string(dir.join("orders.csv")).unwrap();
        write(dir, "orders.csv", &text.replace("10.5", "1O.5"));
        let Err(DataError::Invalid { problems, .. }) = load(dir, &LoadOptions::default()) else {
            panic!("a bad amount in {} is refused", dir.display());
        };
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].column.as_deref(), Some("amount"));
        assert_eq!(problems[0].first_row, Some(1));
        assert_eq!(problems[0].first_value.as_deref(), Some("1O.5"));
    }
}

#[test]
fn events_find_their_customers_in_any_order() {
    // Events in the customers table's order, against it, and jumping about, with an
    // unknown customer in the middle: each order lands on its own customer.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "customers.csv",
        "customer_id,signup_date\nC1,2025-01-01\nC2,2025-01-01\nC3,2025-01-01\nC4,2025-01-01\nC5,2025-01-01\n",
    );
    let customers = [
        "C1", "C1", "C2", "C3", "C5", "C4", "C9", "C5", "C1", "C2", "C3",
    ];
    let mut orders = String::from("order_id,customer_id,order_date,amount\n");
    for (i, c) in customers.iter().enumerate() {
        orders.push_str(&format!("o{i},{c},2025-02-01,{i}\n"));
    }
    write(dir.path(), "orders.csv", &orders);
    let opts = LoadOptions {
        drop_unknown_customers: true,
        ..LoadOptions::default()
    };
    let (tables, report) = load(dir.path(), &opts).unwrap();
    assert_eq!(tables.orders.offsets.0, [0, 3, 5, 7, 8, 10]);
    // Amounts are the row numbers: per customer, in file order (all on one day).
    assert_eq!(
        tables.orders.amount,
        [0.0, 1.0, 8.0, 2.0, 9.0, 3.0, 10.0, 5.0, 4.0, 7.0]
    );
    assert!(report
        .warnings
        .iter()
        .any(|w| w.contains("dropped 1 orders row")));

    // A repeated customer id: the data is refused as before (the next customer is not
    // tried first when ids repeat, since `ids[k] == id` would not make `id` customer k).
    write(
        dir.path(),
        "customers.csv",
        "customer_id,signup_date\nC1,2025-01-01\nC2,2025-01-01\nC2,2025-01-01\nC3,2025-01-01\nC4,2025-01-01\nC5,2025-01-01\n",
    );
    let Err(DataError::Invalid { problems, .. }) = load(dir.path(), &opts) else {
        panic!("a repeated customer id is refused");
    };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].kind, ProblemKind::DuplicateId);
    assert_eq!(problems[0].first_row, Some(3));
}

/// Levels are the distinct labels sorted, whatever order they first appear in; codes point
/// into them and nulls keep the null code.
#[test]
fn labels_are_coded_by_their_sorted_levels() {
    let values = ["west", "", "east", "west", "north", "east"]
        .iter()
        .map(|v| (!v.is_empty()).then(|| v.to_string()))
        .collect();
    let coded = Categorical::from_values(values);
    assert_eq!(coded.levels, ["east", "north", "west"]);
    assert_eq!(coded.codes, [2, NULL_CODE, 0, 2, 1, 0]);
    assert_eq!(coded.get(4), Some("north"));
    assert_eq!(coded.get(1), None);
    assert_eq!(
        Categorical::from_values(vec![None, None]).levels,
        Vec::<String>::new()
    );
}

/// Parts are read a batch at a time, each batch merged while the next is read: with 1 to 4
/// threads (batches of 1 to 4 parts) the tables and the report, problems in their order,
/// are the same, and the problems come in file order.
#[test]
fn many_parts_read_the_same_whatever_the_number_of_threads() {
    let dir = tempfile::tempdir().unwrap();
    for p in 0..7 {
        let mut text = String::from("customer_id,signup_date,segment\n");
        for c in [2 * p + 1, 2 * p + 2] {
            let date = if c == 7 { "2025-02-30" } else { "2025-01-01" };
            text += &format!("C{c},{date},{}\n", ["smb", "ent"][c % 2]);
        }
        if p == 5 {
            text += "C2,2025-01-02,smb\n";
        }
        write(dir.path(), &format!("customers/part-{p}.csv"), &text);
    }
    for p in 0..5 {
        let mut text = String::from("order_id,customer_id,order_date,amount\n");
        for k in 0..3 {
            let customer = match (p, k) {
                (1, 2) => "C99".to_string(),
                (4, 0) => "C98".to_string(),
                _ => format!("C{}", 1 + (3 * p + k) % 14),
            };
            let amount = if (p, k) == (2, 1) { "ten" } else { "12.5" };
            text += &format!("o{p}-{k},{customer},2025-03-0{},{amount}\n", 1 + k);
        }
        write(dir.path(), &format!("orders/part-{p}.csv"), &text);
    }
    let read = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            format!(
                "{:?}",
                inspect(dir.path(), &LoadOptions::default()).unwrap()
            )
        })
    };
    let one = read(1);
    for threads in 2..=4 {
        assert_eq!(read(threads), one, "{threads} threads");
    }
    let report = inspect(dir.path(), &LoadOptions::default()).unwrap();
    let found: Vec<(String, ProblemKind, Option<usize>)> = report
        .problems
        .iter()
        .map(|p| {
            let file = p.file.strip_prefix(dir.path()).unwrap();
            (file.display().to_string(), p.kind.clone(), p.first_row)
        })
        .collect();
    let expected = [
        ("customers/part-3.csv", ProblemKind::BadDate, Some(1)),
        ("customers/part-5.csv", ProblemKind::DuplicateId, Some(3)),
        ("orders/part-1.csv", ProblemKind::UnknownCustomer, Some(3)),
        ("orders/part-2.csv", ProblemKind::BadNumber, Some(2)),
        ("orders/part-4.csv", ProblemKind::UnknownCustomer, Some(1)),
    ]
    .map(|(f, k, r)| (f.to_string(), k, r));
    assert_eq!(found, expected);
    assert_eq!(report.tables[0].rows, 15);
    assert_eq!(report.tables[1].rows, 15);
    assert_eq!(report.tables[0].files.len(), 7);
}

/// Rows already listed by customer and time are left where they are (no permutation);
/// otherwise each customer's rows are put in time order, file order among equal times.
#[test]
fn events_are_grouped_by_customer_and_time_and_left_alone_when_they_are() {
    let apply =
        |perm: &Option<Vec<u32>>, n: usize| permute((0..n as u32).collect(), perm.as_deref());
    // In order: customer 1 has no rows, customer 2 two rows at the same time.
    let customer = [0, 0, 2, 2, 3];
    let time = [5, 7, 1, 1, 0];
    let (offsets, perm) = group(&customer, 4, |i| time[i]);
    assert_eq!(offsets.0, [0, 2, 2, 4, 5]);
    assert_eq!(perm, None);
    assert_eq!(apply(&perm, 5), [0, 1, 2, 3, 4]);
    // Customers in order, but one customer's times are not.
    let time = [7, 5, 1, 1, 0];
    let (offsets, perm) = group(&customer, 4, |i| time[i]);
    assert_eq!(offsets.0, [0, 2, 2, 4, 5]);
    assert_eq!(perm.as_deref(), Some(&[1, 0, 2, 3, 4][..]));
    // Customers out of order; equal times keep file order (rows 1 and 4).
    let customer = [3, 0, 2, 0, 0];
    let time = [0, 4, 9, 2, 4];
    let (offsets, perm) = group(&customer, 4, |i| time[i]);
    assert_eq!(offsets.0, [0, 3, 3, 4, 5]);
    assert_eq!(apply(&perm, 5), [3, 1, 4, 2, 0]);
    // No rows at all.
    let (offsets, perm) = group(&[], 2, |_| 0);
    assert_eq!(offsets.0, [0, 0, 0]);
    assert_eq!(perm, None);
}

/// The shortcut of `id_order` (deciding at the first byte that differs) agrees with the
/// order worked out token by token, for every pair of short ids over digits, a letter and
/// a dash, alone and behind a shared start longer than a word (ending in a digit, whose
/// run then holds the difference, and in a dash).
#[test]
fn id_order_decides_at_the_first_difference_as_token_by_token() {
    let alphabet = [b'0', b'1', b'9', b'-', b'A'];
    let mut ids: Vec<Vec<u8>> = vec![Vec::new()];
    let mut last = vec![Vec::new()];
    for _ in 0..4 {
        last = last
            .iter()
            .flat_map(|id: &Vec<u8>| {
                alphabet
                    .iter()
                    .map(move |&c| [id.as_slice(), &[c]].concat())
            })
            .collect();
        ids.extend(last.iter().cloned());
    }
    assert_eq!(ids.len(), 1 + 5 + 25 + 125 + 625);
    for start in ["", "O06903281", "O0690328-"] {
        let ids: Vec<String> = ids
            .iter()
            .map(|id| format!("{start}{}", String::from_utf8_lossy(id)))
            .collect();
        for a in &ids {
            for b in &ids {
                let expected = id_order_by_runs(a.as_bytes(), b.as_bytes(), 0);
                assert_eq!(id_order(a, b), expected, "{a:?} against {b:?}");
            }
        }
    }
}

/// Ids compare as text with their runs of digits as numbers; a run takes ids while they
/// increase and appends the run that follows it only when that run continues it.
#[test]
fn an_id_run_follows_ids_while_they_increase() {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let increasing = [
        "", "0", "1", "02", "9", "10", "99", "100", "A", "A1", "A9b", "A10", "O9-999", "O9-1000",
        "O10-001", "O10-2", "a", "a-b", "ab", "é",
    ];
    for (i, a) in increasing.iter().enumerate() {
        for (j, b) in increasing.iter().enumerate() {
            assert_eq!(id_order(a, b), i.cmp(&j), "{a:?} against {b:?}");
        }
    }
    // Equal numbers are equal ids in this order, so they never count as increasing.
    assert_eq!(id_order("A01", "A1"), Equal);
    assert_eq!(id_order("x007y", "x7z"), Less);
    assert_eq!(id_order("T0000002-01", "T0000002-1"), Equal);
    assert_eq!(id_order("C0000012", "C0000011"), Greater);
    let mut run = IdRun::default();
    for id in ["9", "10", "11", "A0", "0"] {
        let expected = id != "0";
        assert_eq!(run.push(id), expected, "{id}");
    }
    // Nothing was taken from the refused id.
    let mut later = IdRun::default();
    assert!(later.push("A1") && later.push("A2"));
    let mut copy = IdRun::default();
    assert!(copy.push("A0"));
    assert!(!copy.push("A0"), "a repeated id does not increase");
    assert!(!copy.push("A00"), "nor the same number");
    assert!(run.append(later));
    let Some(PartIds::Increasing { first, last }) = run.finish() else {
        panic!("a run of ids");
    };
    assert_eq!((first.as_str(), last.as_str()), ("9", "A2"));
    let mut run = IdRun::default();
    assert!(run.push("5") && run.push("7"));
    let mut overlapping = IdRun::default();
    assert!(overlapping.push("6"));
    assert!(!run.append(overlapping));
    assert!(run.append(IdRun::default()), "an empty run continues any");
    assert!(IdRun::default().finish().is_none());
}

/// Parts whose ids increase and whose ranges lie apart are known to hold no repeated id
/// without reading anything (their files do not even exist here). Ranges that overlap are
/// read again and hashed, beside parts hashed already, and a repeat is found in its file
/// and row; overlapping ranges without a repeat are not a problem.
#[test]
fn increasing_ids_apart_need_no_hashing_and_overlaps_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let increasing = |first: &str, last: &str| PartIds::Increasing {
        first: first.to_string(),
        last: last.to_string(),
    };
    let check = |parts: Vec<(Part, PartIds)>| {
        let mut problems = Vec::new();
        IdChecks { parts }.check(
            Table::Orders,
            schema::ORDER_ID,
            &LoadOptions::default(),
            &mut problems,
        );
        problems
    };
    let missing = |name: &str| part(dir.path(), &format!("orders/{name}.csv"));
    // Apart in any order of the parts: 9..10 and 100..200 lie after 1..8.
    assert!(check(vec![
        (missing("c"), increasing("100", "200")),
        (missing("a"), increasing("1", "8")),
        (missing("b"), increasing("9", "10")),
    ])
    .is_empty());
    // Touching ranges overlap: the files are read, and the missing ones are unreadable.
    let problems = check(vec![
        (missing("a"), increasing("1", "8")),
        (missing("b"), increasing("8", "10")),
    ]);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems
        .iter()
        .all(|p| matches!(p.kind, ProblemKind::Unreadable(_))));

    write(dir.path(), "orders/a.csv", "order_id\n1\n5\n9\n");
    write(dir.path(), "orders/b.csv", "order_id\n4\n5\n");
    write(dir.path(), "orders/c.csv", "order_id\n7\n3\n");
    let a = || (part(dir.path(), "orders/a.csv"), increasing("1", "9"));
    let b = || (part(dir.path(), "orders/b.csv"), increasing("4", "5"));
    let c_hashed = || {
        let hashes = ["7", "3"].iter().map(|id| hash_id(id)).collect();
        (part(dir.path(), "orders/c.csv"), PartIds::Hashes(hashes))
    };
    // 5 is in a.csv and again in b.csv, row 2.
    for parts in [vec![a(), b()], vec![a(), c_hashed(), b()]] {
        let problems = check(parts);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].kind, ProblemKind::DuplicateId);
        assert_eq!(problems[0].file, dir.path().join("orders/b.csv"));
        assert_eq!(problems[0].first_row, Some(2));
        assert_eq!(problems[0].first_value.as_deref(), Some("5"));
        assert_eq!(problems[0].count, 1);
    }
    // 1, 5, 9 against 7, 3 overlap without a repeat.
    assert!(check(vec![a(), c_hashed()]).is_empty());
}

/// Parts code their labels on their own; merged in file order, their levels are
/// renumbered into the column's, rows of parts without the column are null, and the
/// finished column's levels are sorted whatever order the parts saw them in.
#[test]
fn label_codes_of_parts_merge_into_sorted_levels() {
    let part = |values: &[&str]| Coder::part(values.iter().map(|v| (!v.is_empty()).then_some(*v)));
    let first = part(&["west", "", "east", "west"]);
    assert_eq!(
        first,
        (
            vec![0, NULL_CODE, 1, 0],
            vec!["west".to_string(), "east".to_string()]
        )
    );
    let mut coder = Coder::default();
    // Two rows of an earlier part lacked the column.
    coder.append(first, 2);
    // The next part (rows 6..8) sees a new level and an old one; the part after it (rows
    // 8..9) lacks the column, and so do the last rows.
    coder.append(part(&["north", "east"]), 6);
    let coded = coder.finish(10);
    assert_eq!(coded.levels, ["east", "north", "west"]);
    let n = NULL_CODE;
    assert_eq!(coded.codes, [n, n, 2, n, 0, 2, 1, 0, n, n]);
    assert_eq!(Coder::default().finish(2).codes, [n, n]);
}

/// Sorted ids are searched from the customer after the last one found (the first
/// customer for a part's first lookup): near and far ahead, to the last id and past it,
/// without a hash table. The table is built on the first lookup the order cannot answer
/// (a step back, an unknown id), and finds the same numbers.
#[test]
fn a_sorted_index_searches_forward_and_builds_its_table_only_when_needed() {
    // "C0-9" < "C0-10" < "C1-1": runs of digits count as numbers.
    let ids: Vec<String> = (0..40)
        .map(|k| format!("C{}-{}", k / 6, [1, 2, 9, 10, 11, 20][k % 6]))
        .collect();
    assert!(
        ids.windows(2).all(|w| id_order(&w[0], &w[1]).is_lt()),
        "{ids:?}"
    );
    let index = CustomerIndex::sorted(&ids);
    for (k, id) in ids.iter().enumerate() {
        assert_eq!(index.search_from(0, id), Some(k), "{id}");
        assert_eq!(index.search_from(k, id), Some(k), "{id} from itself");
        assert_eq!(index.search_from(k + 1, id), None, "{id} from after it");
    }
    assert_eq!(
        index.search_from(0, "C0-01"),
        None,
        "equal in the order, not the same id"
    );
    assert_eq!(index.search_from(0, "C9-1"), None);
    assert_eq!(index.search_from(40, "C0-1"), None);
    assert_eq!(index.search_from(41, "C0-1"), None);

    let mut lookup = Lookup {
        previous: Some(0),
        in_order: true,
    };
    // Ahead by 1, by 9 (past the look-ahead), by 21, to the end, the same again.
    for k in [1, 10, 31, 39, 39] {
        assert_eq!(lookup.number(&index, &ids[k]), Some(k as u32), "{}", ids[k]);
    }
    assert!(
        index.map.get().is_none(),
        "found in order, without the table"
    );
    // A step back needs the table, and the steps after it find the same numbers.
    for k in [3, 4, 30, 2] {
        assert_eq!(lookup.number(&index, &ids[k]), Some(k as u32), "{}", ids[k]);
    }
    assert_eq!(index.map.get().map(HashMap::len), Some(40));
    assert_eq!(lookup.number(&index, "C9-1"), None);

    // A part's first lookup starts from the first customer, without the table.
    let index = CustomerIndex::sorted(&ids);
    let mut lookup = Lookup::default();
    for k in [25, 26, 38] {
        assert_eq!(lookup.number(&index, &ids[k]), Some(k as u32), "{}", ids[k]);
    }
    assert!(index.map.get().is_none());
    // An unknown id builds it, and so does a lookup with nowhere to start from.
    assert_eq!(lookup.number(&index, "C0-01"), None);
    assert!(index.map.get().is_some());
    let index = CustomerIndex::sorted(&ids);
    assert_eq!(index.find(&ids[5], None), Some(5));
    assert!(index.map.get().is_some());
}

/// Customers whose ids increase need no check for repeats; when an id stops following
/// the one before, within a part or at the start of the next, the ids read so far go into
/// the check, and a repeat of any of them is found in its file and row.
#[test]
fn customers_ids_that_stop_increasing_are_checked_for_repeats_from_there() {
    // Ids of a.csv, of b.csv, and the file and row of the repeat.
    type Case<'a> = (&'a [&'a str], &'a [&'a str], Option<(&'a str, usize)>);
    let cases: [Case; 5] = [
        (&["C1", "C2", "C10"], &["C11", "C12"], None),
        (&["C1", "C2", "C10"], &["C11", "C3"], None),
        (
            &["C1", "C2", "C10"],
            &["C11", "C3", "C2"],
            Some(("b.csv", 3)),
        ),
        (&["C1", "C2", "C10"], &["C2", "C11"], Some(("b.csv", 1))),
        (&["C1", "C3", "C2", "C3"], &["C4"], Some(("a.csv", 4))),
    ];
    for (a, b, repeat) in cases {
        let dir = tempfile::tempdir().unwrap();
        for (name, ids) in [("a.csv", a), ("b.csv", b)] {
            let rows: String = ids.iter().map(|id| format!("{id},2025-01-01\n")).collect();
            write(
                dir.path(),
                &format!("customers/{name}"),
                &format!("customer_id,signup_date\n{rows}"),
            );
        }
        write(
            dir.path(),
            "orders.csv",
            "order_id,customer_id,order_date,amount\no1,C1,2025-02-01,5\n",
        );
        let report = inspect(dir.path(), &LoadOptions::default()).unwrap();
        let found: Vec<(String, Option<usize>)> = report
            .problems
            .iter()
            .map(|p| {
                assert_eq!(p.kind, ProblemKind::DuplicateId, "{p:?}");
                let file = p.file.file_name().unwrap().to_string_lossy().to_string();
                (file, p.first_row)
            })
            .collect();
        let expected: Vec<(String, Option<usize>)> = repeat
            .map(|(file, row)| (file.to_string(), Some(row)))
            .into_iter()
            .collect();
        assert_eq!(found, expected, "{a:?} then {b:?}");
    }
}

/// Customers a few after the last are found by looking ahead, farther ones, earlier ones
/// and unknown ones by the hash table, up to the last customer and past it: each id gets
/// its own number whichever way it is found.
#[test]
fn a_lookup_finds_customers_ahead_behind_and_past_the_end() {
    let ids: Vec<String> = (0..30).map(|k| format!("C{k}")).collect();
    let mut map = HashMap::with_hasher(IdHashing);
    for (k, id) in ids.iter().enumerate() {
        map.insert(IdKey::new(id), k as u32);
    }
    let index = CustomerIndex::new(map, &ids);
    let mut lookup = Lookup::default();
    // Ahead by 2, by 8 (the last looked at: 4 to 11 after 3), by 9 (one past it), the
    // same, back, ahead by 8 again and into the end of the list, past the end, back.
    let visits = [0, 1, 3, 11, 20, 20, 5, 6, 14, 22, 29, 29, 28, 29];
    for k in visits {
        assert_eq!(lookup.number(&index, &ids[k]), Some(k as u32), "C{k}");
    }
    assert_eq!(lookup.number(&index, "C30"), None);
    assert_eq!(lookup.number(&index, "C29"), Some(29));
}
