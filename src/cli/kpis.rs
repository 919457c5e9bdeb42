//! `churn kpis`: business KPIs per period (work in progress).

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::{DataArgs, Ui};

#[derive(Args, Debug)]
pub struct KpisArgs {
    #[command(flatten)]
    data: DataArgs,
}

pub fn run(args: KpisArgs, ui: &Ui) -> Result<ExitCode> {
    let _raw = args.data.load(ui)?;
    anyhow::bail!("not implemented yet")
}
