//! The command layer: flags as typed (clap), checked once, then a handler per subcommand
//! that reads like the pipeline. Errors are `anyhow` here, with context naming the file.

/// Prints a line on stdout, returning an error instead of panicking when stdout is
/// closed (`churn score --json | head`): `main` turns a broken pipe into a quiet exit 0.
macro_rules! out {
    ($($arg:tt)*) => {
        std::io::Write::write_fmt(
            &mut std::io::stdout().lock(),
            format_args!("{}\n", format_args!($($arg)*)),
        )?
    };
}

/// As [`out!`], without the newline.
macro_rules! out_raw {
    ($($arg:tt)*) => {
        std::io::Write::write_fmt(&mut std::io::stdout().lock(), format_args!($($arg)*))?
    };
}

mod backtest;
mod evaluate;
mod features;
mod generate;
mod ingest;
mod kpis;
mod models;
mod report;
mod score;
mod train;
mod validate;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use churn::data::{self, ColumnMap, Customers, LoadOptions, RawTables, Source, Tables};
use churn::dates;
use churn::features::{FeatureConfig, DEFAULT_ACTIVE_DAYS};
use churn::labels::{LabelDefinition, LabelSpec, DEFAULT_HORIZON_DAYS};
use churn::model::artifact::{self, ModelArtifact};

#[derive(Parser, Debug)]
#[command(
    name = "churn",
    version,
    about = "Customer-churn prediction: features, models and a ranked at-risk list"
)]
struct Cli {
    /// Worker threads (default: all cores).
    #[arg(long, global = true)]
    threads: Option<usize>,
    /// Print nothing but errors.
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Write a realistic synthetic data set (customers, orders, tickets, surveys).
    Generate(generate::GenerateArgs),
    /// Check a data directory against the data contract and summarise it.
    Validate(validate::ValidateArgs),
    /// Read and check a data directory once and keep a compact copy of its tables, so
    /// that later commands on the same unchanged files skip parsing and checking them.
    Ingest(ingest::IngestArgs),
    /// Compute point-in-time features (and optionally labels) for one or more snapshots.
    Features(features::FeaturesArgs),
    /// Train a model, evaluate it out of time against the recency baseline, and save it.
    Train(train::TrainArgs),
    /// Walk forward through time: train each model kind on what was known at each fold
    /// date and evaluate it there, to compare kinds and see how stable they are.
    Backtest(backtest::BacktestArgs),
    /// Evaluate a saved model out of time against the recency and RFM baselines.
    Evaluate(evaluate::EvaluateArgs),
    /// Business KPIs per month or quarter: churn and retention, repeat purchase, value,
    /// satisfaction bands.
    Kpis(kpis::KpisArgs),
    /// List the saved models, or make one current.
    Models(models::ModelsArgs),
    /// Write the evaluation, backtest and business KPIs as one self-contained HTML page.
    Report(report::ReportArgs),
    /// Score the customer base with a saved model: the ranked at-risk list with reasons.
    Score(score::ScoreArgs),
}

/// Where the input tables are and how their columns are named.
#[derive(Args, Debug, Clone)]
pub struct DataArgs {
    /// Directory holding customers, orders and optionally tickets and surveys
    /// (each as .csv, .parquet, or a directory of part files).
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Column mapping file: lines like `orders.amount = "total_eur"` (see README).
    #[arg(long, value_name = "FILE")]
    columns: Option<PathBuf>,
    /// Map one column: `--map orders.amount=total_eur` (repeatable).
    #[arg(long = "map", value_name = "TABLE.COLUMN=NAME")]
    maps: Vec<String>,
    /// Drop events of customers missing from the customers table (with a warning)
    /// instead of refusing the data.
    #[arg(long)]
    drop_unknown_customers: bool,
    /// Read and check the table files even when `churn ingest` has left an up-to-date
    /// copy of them (`churn validate` and `churn ingest` always read the files).
    #[arg(long)]
    read_files: bool,
}

impl DataArgs {
    /// The checked tables in memory (with a spinner), printing the data's warnings: from
    /// the ingested copy while it is up to date, else read and checked from the files.
    pub fn load(&self, ui: &Ui) -> Result<RawTables> {
        let tables = self.open(ui)?;
        let _step = ui.step(format!("reading {}", self.data.display()));
        Ok(tables.into_raw()?)
    }

    /// As [`DataArgs::load`], but the ingested copy's events stay on disk until read, for
    /// a command that reads them a block of customers at a time.
    pub fn open(&self, ui: &Ui) -> Result<Tables> {
        let options = self.load_options()?;
        let step = ui.step(format!("reading {}", self.data.display()));
        let (tables, warnings, source) = data::open_tables(&self.data, &options, !self.read_files)?;
        drop(step);
        match source {
            Source::Files => {}
            Source::Ingested(path) => ui.info(format!(
                "read the ingested copy {} (the table files are unchanged since `churn ingest`)",
                path.display()
            )),
            Source::FilesOverStaleCopy { path, reason } => ui.warn(format!(
                "the ingested copy {} is not used: {reason}; read the table files instead \
                 (`churn ingest --data {}` writes it afresh)",
                path.display(),
                self.data.display()
            )),
        }
        for w in &warnings {
            ui.warn(w);
        }
        Ok(tables)
    }

    fn load_options(&self) -> Result<LoadOptions> {
        let mut columns = match &self.columns {
            Some(path) => ColumnMap::read(path)?,
            None => ColumnMap::default(),
        };
        for flag in &self.maps {
            columns.add_flag(flag)?;
        }
        Ok(LoadOptions {
            columns,
            drop_unknown_customers: self.drop_unknown_customers,
        })
    }
}

/// Which saved model to use.
#[derive(Args, Debug, Clone)]
pub struct ModelArgs {
    /// Model id, or a path to a model folder or model.json (default: the current model).
    #[arg(long)]
    model: Option<String>,
    /// Where models are kept.
    #[arg(long, value_name = "DIR", default_value = "models")]
    models_dir: PathBuf,
}

impl ModelArgs {
    pub fn load(&self) -> Result<ModelArtifact> {
        let path = artifact::locate(&self.models_dir, self.model.as_deref())?;
        Ok(ModelArtifact::load(&path)?)
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LabelArg {
    Inactivity,
    Cancellation,
    Either,
}

impl From<LabelArg> for LabelDefinition {
    fn from(l: LabelArg) -> Self {
        match l {
            LabelArg::Inactivity => LabelDefinition::Inactivity,
            LabelArg::Cancellation => LabelDefinition::Cancellation,
            LabelArg::Either => LabelDefinition::Either,
        }
    }
}

/// Snapshot dates and label definition, shared with the commands that train.
#[derive(Args, Debug, Clone)]
pub struct SnapshotArgs {
    /// As-of date T (end of day). Default: the last day of the data, or with --labels
    /// the latest date whose label window fits in the data.
    #[arg(long, value_parser = parse_date_arg, value_name = "YYYY-MM-DD")]
    pub as_of: Option<i32>,
    /// The population at T: customers with an order in (T - active_days, T].
    #[arg(long, default_value_t = DEFAULT_ACTIVE_DAYS)]
    pub active_days: i32,
    /// Stack K snapshots T, T - step, T - 2*step, ... into one table.
    /// (default: 1 for features, 3 for training).
    #[arg(long)]
    pub snapshots: Option<usize>,
    #[arg(long, default_value_t = 30)]
    pub step_days: i32,
    /// Churn = no order (inactivity), churned_at (cancellation), or either, within H days.
    #[arg(long, default_value_t = DEFAULT_HORIZON_DAYS)]
    pub horizon_days: i32,
    /// Label definition (default: either when customers have churned_at, else inactivity).
    #[arg(long, value_enum)]
    pub label: Option<LabelArg>,
}

impl SnapshotArgs {
    /// The number of snapshots, checking every count of days on the way.
    pub fn snapshots_or(&self, default: usize) -> Result<usize> {
        let n = self.snapshots.unwrap_or(default);
        if self.active_days < 1 || self.step_days < 1 || self.horizon_days < 1 || n < 1 {
            bail!("--active-days, --step-days, --horizon-days and --snapshots must be at least 1");
        }
        Ok(n)
    }

    /// The label definition: as asked, or the default for this data.
    pub fn label_spec(&self, customers: &Customers) -> LabelSpec {
        LabelSpec {
            horizon_days: self.horizon_days,
            definition: self
                .label
                .map_or_else(|| LabelDefinition::default_for(customers), Into::into),
        }
    }

    pub fn feature_config(&self) -> FeatureConfig {
        FeatureConfig {
            active_days: self.active_days,
        }
    }
}

/// Parses `2025-03-01` for clap.
pub fn parse_date_arg(text: &str) -> std::result::Result<i32, String> {
    dates::parse_day(text).ok_or_else(|| format!("`{text}` is not a date like 2025-03-01"))
}

/// How a command talks to the person running it: summaries, warnings and progress on
/// stderr, so that stdout stays clean for `--json` and pipes.
pub struct Ui {
    quiet: bool,
    /// Spinners only when a person is watching: stderr is a terminal and not `--quiet`.
    progress: bool,
}

/// A step someone is waiting for: a spinner with its name and the time elapsed, cleared
/// when the step is dropped. Hidden (and free) when nobody is watching.
pub struct Step {
    pub bar: ProgressBar,
}

impl Drop for Step {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

impl Ui {
    fn new(quiet: bool) -> Ui {
        Ui {
            quiet,
            progress: !quiet && std::io::stderr().is_terminal(),
        }
    }

    /// Starts a spinner for a step that may take more than a moment.
    pub fn step(&self, message: impl Into<String>) -> Step {
        if !self.progress {
            return Step {
                bar: ProgressBar::hidden(),
            };
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(message.into());
        bar.enable_steady_tick(Duration::from_millis(100));
        Step { bar }
    }

    pub fn info(&self, text: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", text.as_ref());
        }
    }

    pub fn warn(&self, text: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("warning: {}", text.as_ref());
        }
    }
}

fn configure_threads(threads: Option<usize>) -> Result<()> {
    let Some(n) = threads else {
        return Ok(());
    };
    if n == 0 {
        bail!("--threads must be at least 1");
    }
    // polars reads this when its pool first starts, which is after this point.
    std::env::set_var("POLARS_MAX_THREADS", n.to_string());
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global()
        .context("starting the thread pool")?;
    Ok(())
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let ui = Ui::new(cli.quiet);
    let result = configure_threads(cli.threads).and_then(|()| match cli.command {
        Command::Generate(args) => generate::run(args, &ui),
        Command::Validate(args) => validate::run(args, &ui),
        Command::Ingest(args) => ingest::run(args, &ui),
        Command::Features(args) => features::run(args, &ui),
        Command::Train(args) => train::run(args, &ui),
        Command::Backtest(args) => backtest::run(args, &ui),
        Command::Evaluate(args) => evaluate::run(args, &ui),
        Command::Kpis(args) => kpis::run(args, &ui),
        Command::Models(args) => models::run(args, &ui),
        Command::Report(args) => report::run(args, &ui),
        Command::Score(args) => score::run(args, &ui),
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "error: {e}");
            for cause in e.chain().skip(1) {
                let _ = writeln!(stderr, "  caused by: {cause}");
            }
            ExitCode::from(1)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
