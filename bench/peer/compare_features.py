"""Checks that the Python peer computes the same features as the Rust tool.

Input: a data directory and the Rust tool's feature table for it (CSV or Parquet, from
`churn features`), or the path of the `churn` binary to make that table. The peer's
`features` command is run with the same snapshot flags.

Output: one line per column (max absolute difference, rows differing beyond the
tolerance, rows where exactly one side is null) and a verdict. Rows are matched on
(snapshot, customer_id); both sides must hold the same set of rows. The exit code is 0
when everything agrees, 1 on any difference, 2 on bad usage.

Run it with the peer's virtual environment, e.g.
`bench/peer/.venv/bin/python bench/peer/compare_features.py --data /tmp/peer_small
 --churn target/debug/churn --labels --snapshots 3`.
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl

from peer import CATEGORICAL, NUMERIC

KEYS = ["snapshot", "customer_id"]
TOLERANCE = 1e-6
PEER = Path(__file__).with_name("peer.py")


def snapshot_flags(args):
    """The flags both tools take, as typed."""
    flags = [
        "--snapshots", str(args.snapshots),
        "--step-days", str(args.step_days),
        "--active-days", str(args.active_days),
        "--horizon-days", str(args.horizon_days),
    ]
    if args.as_of:
        flags += ["--as-of", args.as_of]
    if args.label:
        flags += ["--label", args.label]
    if args.labels:
        flags.append("--labels")
    return flags


def run(command):
    """Runs a command, passing its stdout through to stderr (this script's stdout is the
    report); a failure stops the comparison with the command's exit code."""
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True)
    sys.stderr.write(done.stdout)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed with exit code {done.returncode}")


def read(path):
    frame = pl.read_parquet(path) if path.suffix == ".parquet" else pl.read_csv(
        path, schema_overrides={"customer_id": pl.String}, try_parse_dates=True
    )
    return frame.with_columns(pl.col("snapshot").cast(pl.Date))


def compare_numeric(joined, column):
    """(max |rust - peer| over rows both know, rows differing, rows null on one side)."""
    rust = pl.col(f"{column}_rust").cast(pl.Float64)
    peer = pl.col(column).cast(pl.Float64)
    diff = (rust - peer).abs()
    stats = joined.select(
        diff.max().alias("max_abs"),
        (diff > TOLERANCE).sum().alias("beyond"),
        (rust.is_null() != peer.is_null()).sum().alias("one_null"),
    ).row(0, named=True)
    return stats["max_abs"] or 0.0, stats["beyond"], stats["one_null"]


def compare_exact(joined, column):
    """(rows whose values differ, counting a null against a value as a difference)."""
    rust = pl.col(f"{column}_rust")
    peer = pl.col(column)
    return joined.select((rust.ne_missing(peer)).sum()).item()


def compare(rust, peer):
    """Prints the per-column report; returns the number of problems found."""
    problems = 0
    only_rust = rust.join(peer, on=KEYS, how="anti").height
    only_peer = peer.join(rust, on=KEYS, how="anti").height
    print(f"rows: rust {rust.height}, peer {peer.height}, "
          f"only in rust {only_rust}, only in peer {only_peer}")
    problems += only_rust + only_peer
    missing = sorted(set(rust.columns) ^ set(peer.columns))
    if missing:
        print(f"columns on one side only: {', '.join(missing)}")
        problems += len(missing)
    # The right side's clashing columns get the suffix, so Rust's become `<name>_rust`.
    joined = peer.join(rust, on=KEYS, how="inner", suffix="_rust")
    print(f"{'column':<28} {'max abs diff':>14} {'> 1e-6':>8} {'null on one side':>17}")
    for column in NUMERIC:
        if column not in rust.columns or column not in peer.columns:
            continue
        max_abs, beyond, one_null = compare_numeric(joined, column)
        print(f"{column:<28} {max_abs:>14.3g} {beyond:>8} {one_null:>17}")
        problems += beyond + one_null
    for column in [*CATEGORICAL, "churned"]:
        if column not in rust.columns or column not in peer.columns:
            continue
        differing = compare_exact(joined, column)
        print(f"{column:<28} {'':>14} {differing:>8} {'(exact)':>17}")
        problems += differing
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, metavar="DIR")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--rust-features", type=Path, metavar="FILE",
                        help="the Rust tool's feature table for --data, made with the same flags")
    source.add_argument("--churn", type=Path, metavar="BIN",
                        help="the churn binary: run `churn features` here")
    parser.add_argument("--as-of", metavar="YYYY-MM-DD")
    parser.add_argument("--snapshots", type=int, default=1)
    parser.add_argument("--step-days", type=int, default=30)
    parser.add_argument("--active-days", type=int, default=90)
    parser.add_argument("--horizon-days", type=int, default=90)
    parser.add_argument("--label", choices=["inactivity", "cancellation", "either"])
    parser.add_argument("--labels", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        rust_path = args.rust_features
        if rust_path is None:
            rust_path = Path(tmp) / "rust.csv"
            run([str(args.churn), "--quiet", "features", "--data", str(args.data),
                 *snapshot_flags(args), "--out", str(rust_path)])
        peer_path = Path(tmp) / "peer.csv"
        run([sys.executable, str(PEER), "features", "--data", str(args.data),
             *snapshot_flags(args), "--out", str(peer_path)])
        problems = compare(read(rust_path), read(peer_path))
    if problems:
        print(f"DIFFERENT: {problems} differences")
        return 1
    print("SAME: every row and every value agrees")
    return 0


if __name__ == "__main__":
    sys.exit(main())
