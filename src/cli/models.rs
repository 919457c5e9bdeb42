//! `churn models list|promote`: the saved models and which one scoring uses.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};

use super::Ui;
use churn::model::artifact;

#[derive(Args, Debug)]
pub struct ModelsArgs {
    #[command(subcommand)]
    command: ModelsCommand,
}

#[derive(Subcommand, Debug)]
enum ModelsCommand {
    /// A table of the saved models.
    List {
        #[arg(long, value_name = "DIR", default_value = "models")]
        dir: PathBuf,
    },
    /// Make a model the one `churn score` uses (an atomic switch).
    Promote {
        id: String,
        #[arg(long, value_name = "DIR", default_value = "models")]
        dir: PathBuf,
    },
}

pub fn run(args: ModelsArgs, ui: &Ui) -> Result<ExitCode> {
    match args.command {
        ModelsCommand::List { dir } => {
            let current = artifact::current(&dir);
            let models = artifact::list(&dir);
            if models.is_empty() {
                ui.info(format!("no models in {}", dir.display()));
            } else {
                out!(
                    "{:<1} {:<32} {:<9} {:<25} {:>9} {:>10}",
                    "",
                    "id",
                    "kind",
                    "data",
                    "holdout",
                    "ROC AUC"
                );
            }
            for model in models {
                match model {
                    Ok(m) => {
                        let mark = if current.as_deref() == Some(m.id.as_str()) {
                            "*"
                        } else {
                            ""
                        };
                        let range = format!(
                            "{} to {}",
                            m.data.first_order.as_deref().unwrap_or("?"),
                            m.data.data_end
                        );
                        out!(
                            "{mark:<1} {:<32} {:<9} {range:<25} {:>9} {:>10.4}",
                            m.id,
                            m.kind.name(),
                            m.snapshots.holdout,
                            m.holdout_metrics.roc_auc
                        );
                    }
                    Err(e) => ui.warn(e.to_string()),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ModelsCommand::Promote { id, dir } => {
            artifact::promote(&dir, &id)?;
            ui.info(format!(
                "{id} is now the current model in {}",
                dir.display()
            ));
            Ok(ExitCode::SUCCESS)
        }
    }
}
