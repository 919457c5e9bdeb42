"""The Python reference peer of `churn`, for the benchmark.

The same work as the Rust tool, written the way a good data scientist would write it with
polars (lazy API) and scikit-learn, so that the benchmark compares like with like:

- `features`: point-in-time features (and labels) of the population at one or more as-of
  dates, written to CSV or Parquet with the same columns, rows and values as
  `churn features`.
- `train`: the same snapshot plan as `churn train` (out-of-time evaluation on the latest
  labelable date, then a final fit on the latest labelable snapshots), median imputation
  with missing-value indicators and one-hot segment/region, and a logistic regression,
  decision tree or random forest; prints the holdout ROC AUC beside the recency baseline
  and pickles the fitted pipeline.
- `score`: the population at a date scored with a pickled model, ranked, written as
  `rank, customer_id, churn_probability`.

Input: a data directory in the `churn` data contract (README.md of the repository): each
of `customers`, `orders` and optionally `tickets` and `surveys` as `<table>.csv`,
`<table>.parquet` or a directory `<table>/` of part files. The peer does not re-check the
contract; run `churn validate` first.

Invariants shared with the Rust tool:
- T is the end of day T and an N-day window is (T - N, T]; no event after T is read.
- The population at T is the customers who signed up on or before T and ordered in
  (T - active_days, T].
- A label window (T, T + H] must lie inside the data: T + H <= the last day with an order,
  ticket or survey.
- Rows come out ordered by snapshot, then by the customer's position in the customers table.

Every subcommand prints one line of JSON on stdout, with the wall time of each stage in
seconds; errors go to stderr with exit code 1 (2 for bad usage).
"""

import time

# Measured before the heavy imports, so that the reported total includes start-up, as a
# user running the script would experience it.
PROCESS_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import pickle  # noqa: E402
import sys  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import date, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
import sklearn  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

IMPORTED = time.perf_counter()

# The numeric features, in the order of `schema::features::NUMERIC`.
NUMERIC = [
    "recency_days",
    "tenure_days",
    "orders_30d",
    "orders_90d",
    "orders_365d",
    "spend_90d",
    "spend_365d",
    "avg_order_value_365d",
    "order_trend",
    "mean_days_between_orders",
    "tickets_30d",
    "tickets_90d",
    "open_tickets",
    "urgent_tickets_90d",
    "mean_resolution_hours_365d",
    "csat_last",
    "csat_mean_365d",
    "nps_last",
    "nps_detractor",
    "days_since_last_survey",
    "orders_prev_90d",
]
CATEGORICAL = ["segment", "region"]
# Features holding fractions; every other numeric feature is a whole number and is
# written as an integer, as the Rust tool does.
FRACTIONAL = {
    "spend_90d",
    "spend_365d",
    "avg_order_value_365d",
    "order_trend",
    "mean_days_between_orders",
    "mean_resolution_hours_365d",
    "csat_mean_365d",
}
TICKET_FEATURES = [
    "tickets_30d",
    "tickets_90d",
    "open_tickets",
    "urgent_tickets_90d",
    "mean_resolution_hours_365d",
]
# Ticket features that are counts: 0, not unknown, for a customer without tickets.
TICKET_COUNTS = ["tickets_30d", "tickets_90d", "open_tickets", "urgent_tickets_90d"]
# Per-customer survey values that are unknown for everyone without a surveys table.
SURVEY_VALUES = ["csat_last", "csat_mean_365d", "nps_last"]
NPS_DETRACTOR_MAX = 6

DEFAULT_ACTIVE_DAYS = 90
DEFAULT_HORIZON_DAYS = 90
DEFAULT_STEP_DAYS = 30
DEFAULT_TRAIN_SNAPSHOTS = 3
# Learner defaults of the Rust tool (`train/tree.rs`, `train/forest.rs`).
DEFAULT_TREE = {"max_depth": 8, "min_leaf": 50}
DEFAULT_FOREST = {"max_depth": 10, "min_leaf": 20, "trees": 100}

PEER_FORMAT = 1


class PeerError(Exception):
    """A problem with the input or the flags, reported to the user without a traceback."""


class Stopwatch:
    """Wall time per named stage, in seconds, in the order the stages ran."""

    def __init__(self):
        self.seconds = {"startup": round(IMPORTED - PROCESS_START, 4)}
        self._last = time.perf_counter()

    def lap(self, stage):
        now = time.perf_counter()
        self.seconds[stage] = round(now - self._last, 4)
        self._last = now

    def summary(self):
        total = time.perf_counter() - PROCESS_START
        return {**self.seconds, "total": round(total, 4)}


# ---------------------------------------------------------------------------------------
# Reading the tables
# ---------------------------------------------------------------------------------------


def table_files(data_dir, table):
    """The files of `table` in `data_dir`, in the order the Rust tool reads them.

    A table is `<table>.csv`, `<table>.parquet` (or `.pq`) or a directory `<table>/` of part
    files, where names starting with `.` or `_` (exporters' markers) are skipped. Returns
    None when the table is absent.
    """
    candidates = [data_dir / f"{table}.{ext}" for ext in ("csv", "parquet", "pq")]
    found = [p for p in candidates if p.is_file()]
    folder = data_dir / table
    if folder.is_dir():
        found.append(folder)
    if not found:
        return None
    if len(found) > 1:
        names = ", ".join(str(p) for p in found)
        raise PeerError(f"table {table} is given more than once ({names}); keep one")
    if found[0].is_file():
        return [found[0]]
    parts = sorted(
        p
        for p in found[0].iterdir()
        if p.is_file() and not p.name.startswith((".", "_"))
    )
    if not parts:
        raise PeerError(f"{found[0]} holds no part files")
    return parts


def scan(files, text_columns):
    """A lazy scan of one table's files, with a `row` column numbering rows in file order.

    CSV columns in `text_columns` are read as text and parsed by the caller, because dates
    may be written as dates or as timestamps, and ids may look like numbers.
    """
    if all(f.suffix == ".csv" for f in files):
        lf = pl.scan_csv(
            [str(f) for f in files],
            schema_overrides={c: pl.String for c in text_columns},
            infer_schema_length=10_000,
        )
    elif all(f.suffix in (".parquet", ".pq") for f in files):
        lf = pl.scan_parquet([str(f) for f in files])
    else:
        raise PeerError(f"{files[0].parent} mixes CSV and Parquet part files")
    return lf.with_row_index("row")


def as_day(lf, column):
    """An expression for `column` as a date: text is cut to its first ten characters, so
    that a timestamp counts on its day, as the contract says."""
    dtype = lf.collect_schema()[column]
    expr = pl.col(column)
    if dtype == pl.String:
        return expr.str.strip_chars().str.slice(0, 10).str.to_date("%Y-%m-%d")
    return expr.cast(pl.Date)


def as_timestamp(lf, column):
    """An expression for `column` as a timestamp in whole seconds.

    Text may be `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS[.fff]][Z]` or the same with `T`;
    fractions of a second are dropped and a plain date means midnight, as in the Rust
    tool's parser.
    """
    dtype = lf.collect_schema()[column]
    expr = pl.col(column)
    if dtype != pl.String:
        return expr.cast(pl.Datetime("ms")).dt.truncate("1s")
    text = expr.str.strip_chars().str.replace(" ", "T", literal=True).str.slice(0, 19)
    padded = (
        pl.when(text.str.len_chars() == 10)
        .then(text + "T00:00:00")
        .when(text.str.len_chars() == 16)
        .then(text + ":00")
        .otherwise(text)
    )
    return padded.str.to_datetime("%Y-%m-%dT%H:%M:%S", time_unit="ms")


@dataclass
class Tables:
    """The four tables in memory, parsed; `tickets` and `surveys` may be None."""

    customers: pl.DataFrame
    orders: pl.DataFrame
    tickets: pl.DataFrame | None
    surveys: pl.DataFrame | None
    has_churned_at: bool

    def data_end(self):
        """The last day with any order, ticket or survey: the end of the data."""
        ends = [self.orders["order_date"].max()]
        if self.tickets is not None:
            ends.append(self.tickets["created_at"].max())
        if self.surveys is not None:
            ends.append(self.surveys["responded_at"].max())
        days = [e.date() if isinstance(e, datetime) else e for e in ends if e is not None]
        if not days:
            raise PeerError("the data has no orders, tickets or surveys")
        return max(days)


def read_tables(data_dir):
    """Scans, parses and collects the tables (only the columns the features use).

    The four scans run as one `collect_all`, so polars reads the files in parallel.
    """
    if not data_dir.is_dir():
        raise PeerError(f"data directory {data_dir} does not exist")
    files = {t: table_files(data_dir, t) for t in ("customers", "orders", "tickets", "surveys")}
    for required in ("customers", "orders"):
        if files[required] is None:
            raise PeerError(f"no {required} table in {data_dir}")

    customers = scan(files["customers"], ["customer_id", "signup_date", "churned_at"])
    names = customers.collect_schema().names()
    has_churned_at = "churned_at" in names
    customer_columns = [
        pl.col("row").alias("customer_row"),
        pl.col("customer_id"),
        as_day(customers, "signup_date").alias("signup_date"),
    ]
    for column in CATEGORICAL:
        if column in names:
            customer_columns.append(pl.col(column).cast(pl.String))
        else:
            customer_columns.append(pl.lit(None, pl.String).alias(column))
    if has_churned_at:
        customer_columns.append(as_day(customers, "churned_at").alias("churned_at"))
    queries = [customers.select(customer_columns)]

    orders = scan(files["orders"], ["customer_id", "order_date"])
    queries.append(
        orders.select(
            pl.col("customer_id"),
            as_day(orders, "order_date").alias("order_date"),
            pl.col("amount").cast(pl.Float64),
        )
    )
    if files["tickets"] is not None:
        tickets = scan(files["tickets"], ["customer_id", "created_at", "resolved_at"])
        queries.append(
            tickets.select(
                pl.col("customer_id"),
                as_timestamp(tickets, "created_at").alias("created_at"),
                as_timestamp(tickets, "resolved_at").alias("resolved_at"),
                pl.col("priority").str.strip_chars().str.to_lowercase(),
            )
        )
    if files["surveys"] is not None:
        surveys = scan(files["surveys"], ["customer_id", "responded_at"])
        queries.append(
            surveys.select(
                pl.col("customer_id"),
                pl.col("row"),
                as_timestamp(surveys, "responded_at").alias("responded_at"),
                pl.col("kind").str.strip_chars().str.to_lowercase(),
                pl.col("score").cast(pl.Int64),
            )
        )
    frames = iter(pl.collect_all(queries))
    return Tables(
        customers=next(frames),
        orders=next(frames),
        tickets=next(frames) if files["tickets"] is not None else None,
        surveys=next(frames) if files["surveys"] is not None else None,
        has_churned_at=has_churned_at,
    )


# ---------------------------------------------------------------------------------------
# Features and labels
# ---------------------------------------------------------------------------------------


def count(condition):
    """The number of rows where `condition` holds, as a signed integer (polars counts are
    unsigned, and the order trend subtracts them)."""
    return condition.sum().cast(pl.Int64)


def end_of_day(day):
    """The first instant after day `day`: an event before it happened on or before it."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time())


def order_features(orders, t):
    """Per customer with an order on or before `t`: counts, spend and dates of orders."""
    d = pl.col("order_date")
    amount = pl.col("amount")

    def since(n):
        return d > t - timedelta(days=n)

    return (
        orders.filter(d <= t)
        .group_by("customer_id")
        .agg(
            pl.len().cast(pl.Int64).alias("n_known"),
            d.min().alias("first_order"),
            d.max().alias("last_order"),
            count(since(30)).alias("orders_30d"),
            count(since(90)).alias("orders_90d"),
            count(since(180)).alias("orders_180d"),
            count(since(365)).alias("orders_365d"),
            amount.filter(since(90)).sum().alias("spend_90d"),
            amount.filter(since(365)).sum().alias("spend_365d"),
        )
    )


def ticket_features(tickets, t):
    """Per customer with a ticket created by the end of day `t`: ticket counts, open
    tickets, and the mean resolution time of last year's tickets resolved by then."""
    created = pl.col("created_at")
    resolved = pl.col("resolved_at")
    end = end_of_day(t)

    def since(n):
        return created >= end_of_day(t - timedelta(days=n))

    resolved_in_year = since(365) & (resolved < end)
    resolved_hours = ((resolved - created).dt.total_seconds() / 3600.0).filter(resolved_in_year)
    return (
        tickets.filter(created < end)
        .group_by("customer_id")
        .agg(
            count(since(30)).alias("tickets_30d"),
            count(since(90)).alias("tickets_90d"),
            count((resolved.is_null() | (resolved >= end))).alias("open_tickets"),
            count((since(90) & (pl.col("priority") == "urgent"))).alias("urgent_tickets_90d"),
            resolved_hours.mean().alias("mean_resolution_hours_365d"),
        )
    )


def survey_features(surveys, t):
    """Per customer with a survey answered by the end of day `t`: the last CSAT and NPS
    (the latest answer; on equal times the later row of the file), last year's mean CSAT,
    and the day of the last answer of either kind."""
    at = pl.col("responded_at")
    score = pl.col("score")
    kind = pl.col("kind")

    def last_of(k):
        return score.filter(kind == k).last()

    # Sorted by time (then file row) first: a group keeps the order of its rows, so the
    # last answer of a kind is the last row of that kind.
    return (
        surveys.filter(at < end_of_day(t))
        .sort(at, pl.col("row"))
        .group_by("customer_id")
        .agg(
            last_of("csat").alias("csat_last"),
            score.filter((kind == "csat") & (at >= end_of_day(t - timedelta(days=365))))
            .mean()
            .alias("csat_mean_365d"),
            last_of("nps").alias("nps_last"),
            at.max().dt.date().alias("last_survey"),
        )
    )


def churned_within(tables, t, horizon_days, definition):
    """The label at `t`: churned within (t, t + H] under `definition`.

    Returns the per-customer count of orders in the window (to be left-joined onto the
    population, null = none) and the `churned` expression over the joined frame.
    """
    h = timedelta(days=horizon_days)
    d = pl.col("order_date")
    future = (
        tables.orders.lazy()
        .filter((d > t) & (d <= t + h))
        .group_by("customer_id")
        .agg(pl.len().alias("orders_in_horizon"))
    )
    inactive = pl.col("orders_in_horizon").is_null()
    if tables.has_churned_at:
        cancelled = ((pl.col("churned_at") > t) & (pl.col("churned_at") <= t + h)).fill_null(
            False
        )
    else:
        cancelled = pl.lit(False)
    label = {
        "inactivity": inactive,
        "cancellation": cancelled,
        "either": inactive | cancelled,
    }[definition]
    return future, label.alias("churned")


def snapshot_query(tables, t, active_days, labels):
    """The lazy query of the population at `t` with its features (and label).

    `labels` is None or (horizon_days, definition).
    """
    orders = order_features(tables.orders.lazy(), t)
    population = (
        tables.customers.lazy()
        .filter(pl.col("signup_date") <= t)
        .join(orders, on="customer_id", how="inner")
        .filter(pl.col("last_order") > t - timedelta(days=active_days))
    )
    if tables.tickets is not None:
        population = population.join(
            ticket_features(tables.tickets.lazy(), t), on="customer_id", how="left"
        ).with_columns(
            pl.col(c).fill_null(0) for c in TICKET_COUNTS
        )
    else:
        population = population.with_columns(
            pl.lit(None, pl.Float64).alias(c) for c in TICKET_FEATURES
        )
    if tables.surveys is not None:
        population = population.join(
            survey_features(tables.surveys.lazy(), t), on="customer_id", how="left"
        )
    else:
        population = population.with_columns(
            *(pl.lit(None, pl.Float64).alias(c) for c in SURVEY_VALUES),
            pl.lit(None, pl.Date).alias("last_survey"),
        )

    recent = pl.col("orders_90d")
    previous = pl.col("orders_180d") - pl.col("orders_90d")
    both = recent + previous
    features = population.with_columns(
        pl.lit(t).alias("snapshot"),
        (pl.lit(t) - pl.col("last_order")).dt.total_days().alias("recency_days"),
        (pl.lit(t) - pl.col("signup_date")).dt.total_days().alias("tenure_days"),
        pl.when(pl.col("orders_365d") > 0)
        .then(pl.col("spend_365d") / pl.col("orders_365d"))
        .alias("avg_order_value_365d"),
        pl.when(both > 0).then((recent - previous) / both).alias("order_trend"),
        pl.when(pl.col("n_known") >= 2)
        .then(
            (pl.col("last_order") - pl.col("first_order")).dt.total_days()
            / (pl.col("n_known") - 1)
        )
        .alias("mean_days_between_orders"),
        previous.alias("orders_prev_90d"),
        (pl.col("nps_last") <= NPS_DETRACTOR_MAX).cast(pl.Int64).alias("nps_detractor"),
        (pl.lit(t) - pl.col("last_survey")).dt.total_days().alias("days_since_last_survey"),
    )
    columns = [
        "customer_row",
        "snapshot",
        "customer_id",
        *(
            pl.col(c).cast(pl.Float64 if c in FRACTIONAL else pl.Int64)
            for c in NUMERIC
        ),
        *CATEGORICAL,
    ]
    if labels is not None:
        horizon_days, definition = labels
        future, label = churned_within(tables, t, horizon_days, definition)
        features = features.join(future, on="customer_id", how="left").with_columns(label)
        columns.append("churned")
    return features.select(columns)


def build_features(tables, dates, active_days, labels):
    """Features of every snapshot in `dates`, stacked by snapshot (ascending) and, within
    one, in the order of the customers table.

    One lazy query per snapshot, concatenated and collected once, so polars runs the
    snapshots in parallel.
    """
    dates = sorted(set(dates))
    if labels is not None:
        horizon_days, _ = labels
        data_end = tables.data_end()
        latest = data_end - timedelta(days=horizon_days)
        if dates[-1] > latest:
            raise PeerError(
                f"the snapshot at {dates[-1]} is not labelable: its {horizon_days}-day label "
                f"window ends on {dates[-1] + timedelta(days=horizon_days)}, after the last "
                f"day of the data ({data_end}); the latest labelable as-of date is {latest}"
            )
    queries = [snapshot_query(tables, t, active_days, labels) for t in dates]
    return (
        pl.concat(queries)
        .sort("snapshot", "customer_row")
        .drop("customer_row")
        .collect()
    )


def label_definition(tables, name):
    """`name`, or the Rust tool's default: `either` with a churned_at column, else
    `inactivity`."""
    if name is None:
        return "either" if tables.has_churned_at else "inactivity"
    if name == "cancellation" and not tables.has_churned_at:
        raise PeerError(
            "--label cancellation needs a churned_at column in the customers table, "
            "and it has none"
        )
    return name


def snapshot_dates(as_of, snapshots, step_days):
    """`snapshots` dates ending at `as_of`, `step_days` apart, ascending."""
    return [as_of - timedelta(days=k * step_days) for k in reversed(range(snapshots))]


# ---------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------


def make_pipeline(kind, params, seed):
    """The preprocessing and learner of `kind`, mirroring the Rust tool's matrix stage:
    training medians for unknown values, a missing indicator for every feature that had
    unknown values in training, one-hot segment and region."""
    preprocess = ColumnTransformer(
        [
            (
                "numeric",
                SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                NUMERIC,
            ),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
        ]
    )
    if kind == "logistic":
        steps = [
            ("scale", StandardScaler()),
            ("learner", LogisticRegression(solver="lbfgs", C=1.0, max_iter=1000)),
        ]
    elif kind == "tree":
        steps = [
            (
                "learner",
                DecisionTreeClassifier(
                    max_depth=params["max_depth"],
                    min_samples_leaf=params["min_leaf"],
                    random_state=seed,
                ),
            )
        ]
    else:
        steps = [
            (
                "learner",
                RandomForestClassifier(
                    n_estimators=params["trees"],
                    max_depth=params["max_depth"],
                    min_samples_leaf=params["min_leaf"],
                    n_jobs=-1,
                    random_state=seed,
                ),
            )
        ]
    return Pipeline([("preprocess", preprocess), *steps])


def design_frame(features):
    """The model's input columns: numeric features as floats (null = unknown, NaN for
    sklearn) and categories with nulls as the level `other`."""
    return features.select(
        *(pl.col(c).cast(pl.Float64).fill_null(float("nan")) for c in NUMERIC),
        *(pl.col(c).fill_null("other") for c in CATEGORICAL),
    )


def rows_of(features, dates):
    """The rows of `features` taken at `dates`; an empty snapshot is an error."""
    part = features.filter(pl.col("snapshot").is_in(dates))
    counts = part.group_by("snapshot").len()
    missing = set(dates) - set(counts["snapshot"].to_list())
    if missing:
        raise PeerError(f"no active customers at {min(missing)}")
    return part


def fit(kind, params, seed, features):
    """Fits a fresh pipeline on `features` and their `churned` labels."""
    y = features["churned"].to_numpy()
    if y.all() or not y.any():
        raise PeerError("the training labels hold a single class; cannot fit a model")
    model = make_pipeline(kind, params, seed)
    model.fit(design_frame(features), y)
    return model


def churn_probability(model, features):
    """P(churned) of every row of `features`."""
    classes = list(model.classes_)
    return model.predict_proba(design_frame(features))[:, classes.index(True)]


def learner_params(args):
    """The learner settings of `args`, with the Rust tool's defaults filled in."""
    if args.model == "logistic":
        return {"C": 1.0}
    defaults = DEFAULT_TREE if args.model == "tree" else DEFAULT_FOREST
    params = {
        "max_depth": args.max_depth or defaults["max_depth"],
        "min_leaf": args.min_leaf or defaults["min_leaf"],
    }
    if args.model == "forest":
        params["trees"] = args.trees or defaults["trees"]
    return params


# ---------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------


def parse_date(text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def write_table(frame, out):
    if out.suffix == ".csv":
        frame.write_csv(out)
    elif out.suffix == ".parquet":
        frame.write_parquet(out)
    else:
        raise PeerError(f"--out {out} must end in .csv or .parquet")


def cmd_features(args):
    watch = Stopwatch()
    if args.out.suffix not in (".csv", ".parquet"):
        raise PeerError(f"--out {args.out} must end in .csv or .parquet")
    tables = read_tables(args.data)
    watch.lap("read")
    data_end = tables.data_end()
    labels = None
    latest = data_end
    if args.labels:
        labels = (args.horizon_days, label_definition(tables, args.label))
        latest = data_end - timedelta(days=args.horizon_days)
    as_of = args.as_of or latest
    dates = snapshot_dates(as_of, args.snapshots, args.step_days)
    features = build_features(tables, dates, args.active_days, labels)
    watch.lap("features")
    write_table(features, args.out)
    watch.lap("write")
    summary = {
        "command": "features",
        "out": str(args.out),
        "rows": features.height,
        "columns": features.width,
        "snapshots": [str(d) for d in dates],
        "seconds": watch.summary(),
    }
    if labels is not None:
        summary["label"] = {
            "definition": labels[1],
            "horizon_days": labels[0],
            "churned": int(features["churned"].sum()),
        }
    return summary


def cmd_train(args):
    watch = Stopwatch()
    tables = read_tables(args.data)
    watch.lap("read")
    data_end = tables.data_end()
    h = timedelta(days=args.horizon_days)
    latest = data_end - h
    holdout = args.as_of or latest
    if holdout > latest:
        raise PeerError(
            f"the holdout date {holdout} is not labelable: its {args.horizon_days}-day label "
            f"window runs past the data, which ends on {data_end}; the latest labelable "
            f"date is {latest}"
        )
    evaluation_dates = snapshot_dates(holdout - h, args.snapshots, args.step_days)
    final_dates = snapshot_dates(latest, args.snapshots, args.step_days)
    definition = label_definition(tables, args.label)
    features = build_features(
        tables,
        [*evaluation_dates, holdout, *final_dates],
        args.active_days,
        (args.horizon_days, definition),
    )
    watch.lap("features")

    params = learner_params(args)
    evaluation_rows = rows_of(features, evaluation_dates)
    holdout_rows = rows_of(features, [holdout])
    evaluated = fit(args.model, params, args.seed, evaluation_rows)
    watch.lap("evaluation_fit")
    y = holdout_rows["churned"].to_numpy()
    if y.all() or not y.any():
        raise PeerError(f"the holdout labels at {holdout} hold a single class")
    p = churn_probability(evaluated, holdout_rows)
    recency = holdout_rows["recency_days"].to_numpy().astype(np.float64)
    metrics = {
        "n": int(y.size),
        "churners": int(y.sum()),
        "roc_auc": float(roc_auc_score(y, p)),
        "pr_auc": float(average_precision_score(y, p)),
    }
    baseline = {
        "roc_auc": float(roc_auc_score(y, recency)),
        "pr_auc": float(average_precision_score(y, recency)),
    }
    watch.lap("holdout_predict")

    final_rows = rows_of(features, final_dates)
    model = fit(args.model, params, args.seed, final_rows)
    watch.lap("final_fit")
    artifact = {
        "format": PEER_FORMAT,
        "kind": args.model,
        "params": params,
        "seed": args.seed,
        "numeric": NUMERIC,
        "categorical": CATEGORICAL,
        "active_days": args.active_days,
        "horizon_days": args.horizon_days,
        "label": definition,
        "snapshots": {
            "evaluation_fit": [str(d) for d in evaluation_dates],
            "holdout": str(holdout),
            "final_fit": [str(d) for d in final_dates],
        },
        "holdout": metrics,
        "recency_baseline": baseline,
        "versions": {"polars": pl.__version__, "sklearn": sklearn.__version__},
        "pipeline": model,
    }
    out = args.out or Path(f"peer-{args.model}.pkl")
    with open(out, "wb") as f:
        pickle.dump(artifact, f)
    watch.lap("save")
    return {
        "command": "train",
        "model": args.model,
        "params": params,
        "out": str(out),
        "snapshots": artifact["snapshots"],
        "rows": {
            "evaluation_fit": evaluation_rows.height,
            "holdout": holdout_rows.height,
            "final_fit": final_rows.height,
        },
        "holdout": metrics,
        "recency_baseline": baseline,
        "seconds": watch.summary(),
    }


def load_model(path):
    try:
        with open(path, "rb") as f:
            artifact = pickle.load(f)
    # Unpickling a file that is not a pickle can raise almost any exception.
    except Exception as e:  # noqa: BLE001
        raise PeerError(f"cannot read the model {path}: {e}") from None
    if not isinstance(artifact, dict) or artifact.get("format") != PEER_FORMAT:
        raise PeerError(f"{path} is not a model saved by this peer (format {PEER_FORMAT})")
    if artifact["numeric"] != NUMERIC or artifact["categorical"] != CATEGORICAL:
        raise PeerError(f"{path} was trained on other features than this peer computes")
    return artifact


def cmd_score(args):
    watch = Stopwatch()
    artifact = load_model(args.model)
    watch.lap("load_model")
    tables = read_tables(args.data)
    watch.lap("read")
    as_of = args.as_of or tables.data_end()
    features = build_features(tables, [as_of], artifact["active_days"], None)
    watch.lap("features")
    if features.height == 0:
        raise PeerError(f"no active customers at {as_of}")
    p = churn_probability(artifact["pipeline"], features)
    watch.lap("predict")
    ranked = (
        features.select("customer_id")
        .with_columns(pl.Series("churn_probability", p, dtype=pl.Float64))
        .sort(["churn_probability", "customer_id"], descending=[True, False])
        .with_row_index("rank", offset=1)
    )
    ranked.write_csv(args.out)
    watch.lap("rank_and_write")
    return {
        "command": "score",
        "model": str(args.model),
        "as_of": str(as_of),
        "scored": ranked.height,
        "out": str(args.out),
        "seconds": watch.summary(),
    }


def add_snapshot_flags(parser, default_snapshots):
    parser.add_argument("--data", type=Path, required=True, metavar="DIR")
    parser.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD")
    parser.add_argument("--snapshots", type=positive, default=default_snapshots)
    parser.add_argument("--step-days", type=positive, default=DEFAULT_STEP_DAYS)
    parser.add_argument("--active-days", type=positive, default=DEFAULT_ACTIVE_DAYS)
    parser.add_argument("--horizon-days", type=positive, default=DEFAULT_HORIZON_DAYS)
    parser.add_argument("--label", choices=["inactivity", "cancellation", "either"])


def parser():
    top = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = top.add_subparsers(dest="command", required=True)

    features = commands.add_parser("features", help="point-in-time features (and labels)")
    add_snapshot_flags(features, 1)
    features.add_argument("--labels", action="store_true")
    features.add_argument("--out", type=Path, required=True, metavar="FILE")
    features.set_defaults(run=cmd_features)

    train = commands.add_parser("train", help="evaluate out of time, refit, pickle")
    add_snapshot_flags(train, DEFAULT_TRAIN_SNAPSHOTS)
    train.add_argument("--model", choices=["logistic", "tree", "forest"], default="logistic")
    train.add_argument("--trees", type=positive)
    train.add_argument("--max-depth", type=positive)
    train.add_argument("--min-leaf", type=positive)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", type=Path, metavar="FILE", help="default: peer-<model>.pkl")
    train.set_defaults(run=cmd_train)

    score = commands.add_parser("score", help="rank the population with a pickled model")
    score.add_argument("--data", type=Path, required=True, metavar="DIR")
    score.add_argument("--model", type=Path, required=True, metavar="FILE")
    score.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD")
    score.add_argument("--out", type=Path, default=Path("at_risk.csv"), metavar="FILE")
    score.set_defaults(run=cmd_score)
    return top


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        summary = args.run(args)
    except (PeerError, pl.exceptions.PolarsError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
