//! The saved model: `models/<id>/model.json` (everything needed to score and to
//! reproduce) and `models/<id>/model.md` (a one-page card a person reads), plus the
//! `models/current` pointer that `churn score` follows.
//!
//! The JSON holds no wall-clock time, so the same data, flags and seed give the same bytes;
//! floats are written with `serde_json`'s `float_roundtrip` and reload bit for bit. A file
//! written by an incompatible format version is refused with a message saying so.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use super::tune::{self, Tuning};
use super::{FittedModel, Learner, ModelKind, ModelParams, RiskTiers, RowCounts, Trained};
use crate::data::Fingerprint;
use crate::dates::format_day;
use crate::io::{write_atomically, WriteError};
use crate::labels::LabelDefinition;
use crate::metrics::{Metrics, Ranking};
use crate::schema::features::NUMERIC;

/// Bumped whenever a saved model can no longer be read the same way.
pub const FORMAT_VERSION: u32 = 2;
pub const MODEL_FILE: &str = "model.json";
pub const CARD_FILE: &str = "model.md";
/// Holds the id of the current model; replaced atomically by `promote`.
pub const CURRENT_FILE: &str = "current";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshots {
    pub holdout: String,
    pub evaluation_fit: Vec<String>,
    pub final_fit: Vec<String>,
    pub step_days: i32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelArtifact {
    pub format_version: u32,
    pub crate_version: String,
    pub id: String,
    pub kind: ModelKind,
    pub params: ModelParams,
    pub seed: u64,
    /// The design matrix's columns, in order.
    pub features: Vec<String>,
    pub label: LabelDefinition,
    pub horizon_days: i32,
    pub active_days: i32,
    pub snapshots: Snapshots,
    pub rows: RowCounts,
    pub holdout_metrics: Metrics,
    pub recency_baseline: Ranking,
    pub risk_tiers: RiskTiers,
    pub data: Fingerprint,
    /// The model to score with: fitted on `snapshots.final_fit`.
    pub model: FittedModel,
    /// Fitted on `snapshots.evaluation_fit`: reproduces the holdout evaluation.
    pub evaluation_model: FittedModel,
    /// How `params` were chosen with `--tune`; absent (and not written) otherwise, so an
    /// untuned model's file is unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tuning: Option<Tuning>,
}

#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error("cannot read model {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("model {path} was written by churn {written_by} in model format {found}; this churn {running} reads format {expected}: retrain the model with this version")]
    Version {
        path: PathBuf,
        found: u32,
        expected: u32,
        written_by: String,
        running: String,
    },
    #[error(
        "model {path} does not match this version's features: {difference}; retrain the model"
    )]
    Features { path: PathBuf, difference: String },
    #[error("no model {id:?} in {dir}: `churn models list --dir {dir}` shows the ids")]
    UnknownId { id: String, dir: PathBuf },
    #[error("no current model in {0}: train one with `churn train`, or name one with --model")]
    NoCurrent(PathBuf),
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// Just enough of a model file to check its version before parsing the rest.
#[derive(Deserialize)]
struct Header {
    format_version: u32,
    #[serde(default)]
    crate_version: String,
}

impl ModelArtifact {
    /// Packages a training run. The id is derived from the content, never from the clock.
    pub fn new(
        trained: Trained,
        seed: u64,
        step_days: i32,
        active_days: i32,
        horizon_days: i32,
        data: Fingerprint,
    ) -> ModelArtifact {
        let days = |v: &[i32]| v.iter().map(|&d| format_day(d)).collect::<Vec<_>>();
        let mut artifact = ModelArtifact {
            format_version: FORMAT_VERSION,
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
            id: String::new(),
            kind: kind_of(&trained.model.learner),
            params: trained.params.clone(),
            seed,
            features: trained.model.matrix.feature_names(),
            label: trained.label,
            horizon_days,
            active_days,
            snapshots: Snapshots {
                holdout: format_day(trained.plan.holdout),
                evaluation_fit: days(&trained.plan.evaluation_fit),
                final_fit: days(&trained.plan.final_fit),
                step_days,
            },
            rows: trained.rows,
            holdout_metrics: trained.holdout,
            recency_baseline: trained.recency_baseline,
            risk_tiers: trained.tiers,
            data,
            model: trained.model,
            evaluation_model: trained.evaluation_model,
            tuning: None,
        };
        artifact.assign_content_id();
        artifact
    }

    /// Records how the parameters were tuned; the id is derived again, so it covers the
    /// tuning too.
    pub fn with_tuning(mut self, tuning: Tuning) -> ModelArtifact {
        self.tuning = Some(tuning);
        self.assign_content_id();
        self
    }

    /// Sets the id to `<kind>-<final fit date>-<hash of the content without the id>`.
    fn assign_content_id(&mut self) {
        self.id.clear();
        let content = serde_json::to_vec(&*self).expect("a model serialises");
        self.id = format!(
            "{}-{}-{:08x}",
            self.kind.name(),
            self.snapshots.final_fit.last().cloned().unwrap_or_default(),
            xxh3_64(&content) as u32
        );
    }

    /// Pretty JSON, as saved.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a model serialises") + "\n"
    }

    /// Reads and checks a model file.
    ///
    /// # Errors
    /// Unreadable or malformed JSON, another format version, or features that this
    /// version does not compute.
    pub fn load(path: &Path) -> Result<ModelArtifact, ArtifactError> {
        let read_err = |message: String| ArtifactError::Read {
            path: path.to_path_buf(),
            message,
        };
        let text = fs::read_to_string(path).map_err(|e| read_err(e.to_string()))?;
        let header: Header = serde_json::from_str(&text).map_err(|e| read_err(e.to_string()))?;
        if header.format_version != FORMAT_VERSION {
            return Err(ArtifactError::Version {
                path: path.to_path_buf(),
                found: header.format_version,
                expected: FORMAT_VERSION,
                written_by: if header.crate_version.is_empty() {
                    "(unknown)".into()
                } else {
                    header.crate_version
                },
                running: env!("CARGO_PKG_VERSION").to_string(),
            });
        }
        let artifact: ModelArtifact =
            serde_json::from_str(&text).map_err(|e| read_err(e.to_string()))?;
        artifact.check_features(path)?;
        Ok(artifact)
    }

    /// The model must use exactly the numeric features this version computes, in order.
    fn check_features(&self, path: &Path) -> Result<(), ArtifactError> {
        let ours: Vec<&str> = NUMERIC.to_vec();
        let theirs: Vec<&str> = self
            .model
            .matrix
            .numeric
            .iter()
            .map(String::as_str)
            .collect();
        if ours == theirs && self.features == self.model.matrix.feature_names() {
            return Ok(());
        }
        let missing: Vec<&str> = ours
            .iter()
            .filter(|f| !theirs.contains(f))
            .copied()
            .collect();
        let unknown: Vec<&str> = theirs
            .iter()
            .filter(|f| !ours.contains(f))
            .copied()
            .collect();
        let difference = if missing.is_empty() && unknown.is_empty() {
            "the same features in a different order, or a feature list that disagrees with the preprocessing".to_string()
        } else {
            format!(
                "the model lacks [{}] and has [{}], which this version does not compute",
                missing.join(", "),
                unknown.join(", ")
            )
        };
        Err(ArtifactError::Features {
            path: path.to_path_buf(),
            difference,
        })
    }

    /// Writes `dir/<id>/model.json` and `model.md`, each atomically. Returns the folder.
    ///
    /// # Errors
    /// Any write failure; nothing half-written is left.
    pub fn save(&self, dir: &Path) -> Result<PathBuf, ArtifactError> {
        let folder = dir.join(&self.id);
        write_atomically(&folder.join(MODEL_FILE), |out| {
            use std::io::Write;
            out.write_all(self.to_json().as_bytes())
                .map_err(|source| WriteError::Io {
                    path: folder.join(MODEL_FILE),
                    source,
                })
        })?;
        let card = self.card();
        write_atomically(&folder.join(CARD_FILE), |out| {
            use std::io::Write;
            out.write_all(card.as_bytes())
                .map_err(|source| WriteError::Io {
                    path: folder.join(CARD_FILE),
                    source,
                })
        })?;
        Ok(folder)
    }

    /// The strongest drivers: (matrix feature, weight), strongest first. For the logistic
    /// model the weight is the coefficient per standard deviation (signed); for trees the
    /// share of impurity decrease.
    pub fn drivers(&self) -> Vec<(String, f64)> {
        let n = self.features.len();
        let weights: Vec<f64> = match &self.model.learner {
            Learner::Logistic(m) => m.coefficients().to_vec(),
            Learner::Tree(m) => m.feature_importance(n),
            Learner::Forest(m) => m.feature_importance(n),
        };
        let mut drivers: Vec<(String, f64)> = self.features.iter().cloned().zip(weights).collect();
        drivers.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then_with(|| a.0.cmp(&b.0)));
        drivers
    }

    /// The one-page model card.
    pub fn card(&self) -> String {
        let m = &self.holdout_metrics;
        let b = &self.recency_baseline;
        let rate = m.churners as f64 / m.n.max(1) as f64;
        let verdict = if m.roc_auc > b.roc_auc {
            "beats"
        } else {
            "does NOT beat"
        };
        let mut card = format!(
            "# Churn model `{id}`\n\n\
             **What it predicts.** The probability that a customer who ordered in the last {active} days \
             churns within the next {horizon} days ({label}: {label_text}).\n\n\
             **Model.** {kind}, seed {seed}, churn {version}, model format {format}. Parameters: `{params}`.\n\n\
             **Data.** {customers} customers, {orders} orders, data up to {end} (content hash `{hash}`).\n\n\
             **How well, out of time.** Fitted on the snapshots {eval} ({eval_rows} rows) and scored on \
             {holdout} ({holdout_rows} customers, {rate:.1}% churned), exactly as if trained on that date:\n\n\
             | | ROC AUC | PR AUC | log loss | Brier |\n|---|---|---|---|---|\n\
             | this model | {auc:.4} | {ap:.4} | {ll:.4} | {brier:.4} |\n\
             | recency alone (days since last order) | {bauc:.4} | {bap:.4} | | |\n\n\
             The model {verdict} the recency baseline on ROC AUC.\n\n\
             **The saved model** is refitted on the latest labelable snapshots {final_fit} ({final_rows} rows).\n\n\
             **Risk tiers** (cut points from the holdout): high at P(churn) >= {high:.4} (about the riskiest 10%), \
             medium at >= {medium:.4} (the next 20%).\n\n\
             ## Strongest drivers\n\n| feature | {weight} |\n|---|---|\n",
            id = self.id,
            active = self.active_days,
            horizon = self.horizon_days,
            label = self.label.name(),
            label_text = match self.label {
                LabelDefinition::Inactivity => "no order in the window",
                LabelDefinition::Cancellation => "an explicit cancellation in the window",
                LabelDefinition::Either => "no order, or an explicit cancellation, in the window",
            },
            kind = self.kind.name(),
            seed = self.seed,
            version = self.crate_version,
            format = self.format_version,
            params = serde_json::to_string(&self.params).unwrap_or_default(),
            customers = self.data.customers,
            orders = self.data.orders,
            end = self.data.data_end,
            hash = self.data.content_hash,
            eval = self.snapshots.evaluation_fit.join(", "),
            eval_rows = self.rows.evaluation_fit,
            holdout = self.snapshots.holdout,
            holdout_rows = m.n,
            rate = rate * 100.0,
            auc = m.roc_auc,
            ap = m.pr_auc,
            ll = m.log_loss,
            brier = m.brier,
            bauc = b.roc_auc,
            bap = b.pr_auc,
            final_fit = self.snapshots.final_fit.join(", "),
            final_rows = self.rows.final_fit,
            high = self.risk_tiers.high,
            medium = self.risk_tiers.medium,
            weight = match self.kind {
                ModelKind::Logistic => "coefficient (log-odds of churn per standard deviation)",
                _ => "importance (share of impurity decrease)",
            },
        );
        for (name, w) in self.drivers().into_iter().take(10) {
            let w = match self.kind {
                ModelKind::Logistic => format!("{w:+.4}"),
                _ => format!("{w:.4}"),
            };
            card.push_str(&format!("| {name} | {w} |\n"));
        }
        if let Some(tuning) = &self.tuning {
            card.push_str(&self.tuning_section(tuning));
        }
        card
    }

    /// The card's account of `--tune`: every grid point, the chosen one marked.
    fn tuning_section(&self, tuning: &Tuning) -> String {
        let mut section = format!(
            "\n## Tuning\n\n\
             The parameters were chosen on a grid by ROC AUC on {date} (the holdout minus the \
             {horizon}-day horizon), each point fitted on snapshots whose labels end by that date; \
             ties go to the lower log loss, then the earlier point. The holdout played no part.\n\n\
             | | parameters | validation ROC AUC | validation log loss |\n|---|---|---|---|\n",
            date = tuning.validation_date,
            horizon = self.horizon_days,
        );
        for (idx, point) in tuning.grid.iter().enumerate() {
            section.push_str(&format!(
                "| {mark} | {params} | {auc:.4} | {ll:.4} |\n",
                mark = if idx == tuning.chosen {
                    "**chosen**"
                } else {
                    ""
                },
                params = tune::describe(&point.params),
                auc = point.roc_auc,
                ll = point.log_loss,
            ));
        }
        section
    }
}

fn kind_of(learner: &Learner) -> ModelKind {
    match learner {
        Learner::Logistic(_) => ModelKind::Logistic,
        Learner::Tree(_) => ModelKind::Tree,
        Learner::Forest(_) => ModelKind::Forest,
    }
}

/// The folder of model `id` in `dir`, or of the current model when `id` is `None`. A path
/// to a `model.json` or to a model folder is accepted as the id too.
///
/// # Errors
/// An unknown id or no current model.
pub fn locate(dir: &Path, id: Option<&str>) -> Result<PathBuf, ArtifactError> {
    let id = match id {
        Some(id) => {
            let as_path = Path::new(id);
            if as_path.is_file() {
                return Ok(as_path.to_path_buf());
            }
            if as_path.join(MODEL_FILE).is_file() {
                return Ok(as_path.join(MODEL_FILE));
            }
            id.to_string()
        }
        None => fs::read_to_string(dir.join(CURRENT_FILE))
            .map_err(|_| ArtifactError::NoCurrent(dir.to_path_buf()))?
            .trim()
            .to_string(),
    };
    let path = dir.join(&id).join(MODEL_FILE);
    if path.is_file() {
        Ok(path)
    } else {
        Err(ArtifactError::UnknownId {
            id,
            dir: dir.to_path_buf(),
        })
    }
}

/// Makes `id` the current model: one atomic rename of the pointer file.
///
/// # Errors
/// An unknown id or a failed write.
pub fn promote(dir: &Path, id: &str) -> Result<(), ArtifactError> {
    let path = locate(dir, Some(id))?;
    ModelArtifact::load(&path)?;
    write_atomically(&dir.join(CURRENT_FILE), |out| {
        use std::io::Write;
        writeln!(out, "{id}").map_err(|source| WriteError::Io {
            path: dir.join(CURRENT_FILE),
            source,
        })
    })?;
    Ok(())
}

/// The current model's id, if any.
pub fn current(dir: &Path) -> Option<String> {
    fs::read_to_string(dir.join(CURRENT_FILE))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Every readable model in `dir`, sorted by id; unreadable ones are returned as errors
/// beside them so a listing can show them.
pub fn list(dir: &Path) -> Vec<Result<ModelArtifact, ArtifactError>> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path().join(MODEL_FILE)))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    paths.iter().map(|p| ModelArtifact::load(p)).collect()
}
