//! Bootstrap confidence intervals: how much a statistic would move on another sample of
//! the same customers.
//!
//! Input: labels, scores, a number of replicates, a seed and a statistic. Output: an
//! [`Interval`] with the statistic on the full sample and the 2.5th and 97.5th
//! percentiles of its values on the replicates.
//!
//! Invariants: replicate `r` resamples `n` rows with replacement using its own stream
//! `Rng::new(seed, r)`, and the replicates run as an indexed parallel iterator, so the
//! interval is bit-identical for any number of threads. A replicate that draws a single
//! class (where the statistic is undefined) is skipped and counted, never turned into a
//! NaN; more than half skipped is an error.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::ranking::{cut, descending_order};
use super::{check, EvalError};
use crate::metrics::MetricError;
use crate::rng::Rng;

/// A statistic of labels and scores, such as [`crate::metrics::roc_auc`] or
/// [`lift_in_top_10`]; [`MetricError::SingleClass`] means "undefined on this sample".
pub type Statistic = fn(&[bool], &[f64]) -> Result<f64, MetricError>;

/// The coverage of the interval: the 2.5th to the 97.5th percentile.
pub const LOWER_PERCENTILE: f64 = 0.025;
pub const UPPER_PERCENTILE: f64 = 0.975;
/// The share of rows whose lift [`lift_in_top_10`] measures.
const TOP_SHARE: f64 = 0.10;

/// A bootstrap percentile interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// The statistic on the full sample.
    pub estimate: f64,
    /// The 2.5th percentile of the replicates' values.
    pub lower: f64,
    /// The 97.5th percentile of the replicates' values.
    pub upper: f64,
    /// Replicates whose statistic was defined: the values behind `lower` and `upper`.
    pub replicates: usize,
    /// Replicates skipped because they drew a single class.
    pub skipped: usize,
}

/// A 95% percentile bootstrap interval of `stat` over `replicates` resamples of the rows.
///
/// Percentiles interpolate linearly between order statistics, as [`percentile`] says.
///
/// # Errors
/// Empty input, mismatched lengths or a NaN score; `replicates == 0`; the statistic
/// undefined on the full sample, or failing on a replicate for any reason other than a
/// single class; a non-finite value; more than half of the replicates undefined
/// ([`EvalError::TooManyUndefined`]).
pub fn bootstrap_ci(
    y: &[bool],
    scores: &[f64],
    replicates: usize,
    seed: u64,
    stat: Statistic,
) -> Result<Interval, EvalError> {
    let estimate = checked_estimate(y, scores, replicates, stat)?;
    let outcomes: Vec<Result<f64, MetricError>> = (0..replicates)
        .into_par_iter()
        .map(|r| replicate(y, scores, seed, r, stat))
        .collect();
    summarize(estimate, outcomes)
}

/// What a replicate's counts give for one statistic.
type OnDraw = fn(&Draw) -> Result<f64, MetricError>;

const ROC_AUC: (Statistic, OnDraw) = (crate::metrics::roc_auc, |draw| draw.roc_auc());
const LIFT_IN_TOP_10: (Statistic, OnDraw) = (lift_in_top_10, |draw| draw.lift_in_top_10());

/// [`bootstrap_ci`] of [`crate::metrics::roc_auc`], bit-identical to it, in linear time
/// per replicate: the rows are sorted once, and a replicate only counts how many churners
/// and non-churners it draws at each distinct score.
///
/// # Errors
/// As [`bootstrap_ci`].
pub fn bootstrap_roc_auc(
    y: &[bool],
    scores: &[f64],
    replicates: usize,
    seed: u64,
) -> Result<Interval, EvalError> {
    let [auc] = bootstrap_by_counts(y, scores, replicates, seed, [ROC_AUC])?;
    Ok(auc)
}

/// [`bootstrap_ci`] of [`lift_in_top_10`], bit-identical to it, in linear time per
/// replicate (see [`bootstrap_roc_auc`]).
///
/// # Errors
/// As [`bootstrap_ci`].
pub fn bootstrap_lift_in_top_10(
    y: &[bool],
    scores: &[f64],
    replicates: usize,
    seed: u64,
) -> Result<Interval, EvalError> {
    let [lift] = bootstrap_by_counts(y, scores, replicates, seed, [LIFT_IN_TOP_10])?;
    Ok(lift)
}

/// [`bootstrap_roc_auc`] and [`bootstrap_lift_in_top_10`] with the same seed, each
/// bit-identical to its own, from one set of draws: replicate `r` draws the same rows for
/// both, so they are drawn and counted once.
///
/// # Errors
/// As [`bootstrap_ci`], the ROC AUC's first.
pub fn bootstrap_roc_auc_and_lift(
    y: &[bool],
    scores: &[f64],
    replicates: usize,
    seed: u64,
) -> Result<(Interval, Interval), EvalError> {
    let [auc, lift] = bootstrap_by_counts(y, scores, replicates, seed, [ROC_AUC, LIFT_IN_TOP_10])?;
    Ok((auc, lift))
}

fn bootstrap_by_counts<const K: usize>(
    y: &[bool],
    scores: &[f64],
    replicates: usize,
    seed: u64,
    stats: [(Statistic, OnDraw); K],
) -> Result<[Interval; K], EvalError> {
    let mut estimates = [0.0; K];
    for (estimate, (stat, _)) in estimates.iter_mut().zip(&stats) {
        *estimate = checked_estimate(y, scores, replicates, *stat)?;
    }
    let groups = ScoreGroups::new(y, scores);
    let outcomes: Vec<[Result<f64, MetricError>; K]> = (0..replicates)
        .into_par_iter()
        .map(|r| {
            let draw = Draw::new(&groups, seed, r);
            stats.map(|(_, on_draw)| on_draw(&draw))
        })
        .collect();
    let mut per_stat: [Vec<Result<f64, MetricError>>; K] =
        std::array::from_fn(|_| Vec::with_capacity(replicates));
    for outcome in outcomes {
        for (values, value) in per_stat.iter_mut().zip(outcome) {
            values.push(value);
        }
    }
    let mut intervals = [Interval {
        estimate: f64::NAN,
        lower: f64::NAN,
        upper: f64::NAN,
        replicates: 0,
        skipped: 0,
    }; K];
    for ((interval, values), estimate) in intervals.iter_mut().zip(per_stat).zip(estimates) {
        *interval = summarize(estimate, values)?;
    }
    Ok(intervals)
}

/// The statistic on the full sample, after the input checks every bootstrap makes.
fn checked_estimate(
    y: &[bool],
    scores: &[f64],
    replicates: usize,
    stat: Statistic,
) -> Result<f64, EvalError> {
    check::lengths(y, scores)?;
    check::scores(scores)?;
    check::at_least_one(replicates, "the number of bootstrap replicates")?;
    let estimate = stat(y, scores)?;
    if !estimate.is_finite() {
        return Err(EvalError::NonFiniteEstimate { value: estimate });
    }
    Ok(estimate)
}

/// The interval from the replicates' outcomes, in replicate order.
fn summarize(
    estimate: f64,
    outcomes: Vec<Result<f64, MetricError>>,
) -> Result<Interval, EvalError> {
    let replicates = outcomes.len();
    let mut values = Vec::with_capacity(replicates);
    let mut skipped = 0;
    for (r, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Ok(value) if value.is_finite() => values.push(value),
            Ok(value) => {
                return Err(EvalError::NonFiniteStatistic {
                    replicate: r,
                    value,
                })
            }
            Err(MetricError::SingleClass { .. }) => skipped += 1,
            Err(other) => return Err(other.into()),
        }
    }
    // At most half skipped also guarantees at least one value for the percentiles.
    if 2 * skipped > replicates {
        return Err(EvalError::TooManyUndefined {
            undefined: skipped,
            replicates,
        });
    }
    values.sort_by(f64::total_cmp);
    Ok(Interval {
        estimate,
        lower: percentile(&values, LOWER_PERCENTILE),
        upper: percentile(&values, UPPER_PERCENTILE),
        replicates: values.len(),
        skipped,
    })
}

/// The rows grouped by score once for all replicates: groups are numbered by descending
/// score, and rows in one group have the same score under `total_cmp` (the order in which
/// the metrics rank rows). A row's code packs its group and its label, `2 * group + y`,
/// so a draw reads one number.
struct ScoreGroups {
    code: Vec<u64>,
    score: Vec<f64>,
    /// `(row, code)` of every row, by descending score: a replicate adds up its draws
    /// group by group in this order, reading memory in sequence.
    ranked: Vec<(usize, usize)>,
}

impl ScoreGroups {
    fn new(y: &[bool], scores: &[f64]) -> ScoreGroups {
        let mut code = vec![0u64; scores.len()];
        let mut score: Vec<f64> = Vec::new();
        let mut ranked = Vec::with_capacity(scores.len());
        for row in descending_order(scores) {
            if score
                .last()
                .is_none_or(|s| s.total_cmp(&scores[row]).is_ne())
            {
                score.push(scores[row]);
            }
            code[row] = 2 * (score.len() as u64 - 1) + u64::from(y[row]);
            ranked.push((row, code[row] as usize));
        }
        ScoreGroups {
            code,
            score,
            ranked,
        }
    }

    fn group_of(&self, row: usize) -> usize {
        (self.code[row] / 2) as usize
    }
}

/// What replicate `r` drew: per score group `g`, how many non-churners (`counts[2g]`)
/// and churners (`counts[2g + 1]`), with the stream to replay the draws in order.
struct Draw<'a> {
    groups: &'a ScoreGroups,
    seed: u64,
    r: usize,
    counts: Vec<u32>,
}

/// The most times a row's byte counts it drawn; a replicate that draws a row more often
/// (as good as never: 256 of its n draws on one row) is counted again draw by draw.
const TIMES_LIMIT: u8 = u8::MAX;

impl<'a> Draw<'a> {
    fn new(groups: &'a ScoreGroups, seed: u64, r: usize) -> Draw<'a> {
        Self::counted(groups, seed, r, TIMES_LIMIT)
    }

    /// Counts the draws of replicate `r`: first how many times each row is drawn, a byte
    /// per row (small enough to stay in cache while draws land all over it), then per group,
    /// in the order of `groups.ranked`. A row drawn more than `limit` times sends the
    /// whole replicate to counting each draw straight into its group.
    fn counted(groups: &'a ScoreGroups, seed: u64, r: usize, limit: u8) -> Draw<'a> {
        let n = groups.code.len();
        let mut times = vec![0u8; n];
        let mut saturated = false;
        for row in Self::rows(n, seed, r) {
            let t = &mut times[row];
            if *t < limit {
                *t += 1;
            } else {
                saturated = true;
            }
        }
        let mut counts = vec![0u32; 2 * groups.score.len()];
        if saturated {
            for row in Self::rows(n, seed, r) {
                counts[groups.code[row] as usize] += 1;
            }
        } else {
            for &(row, code) in &groups.ranked {
                counts[code] += u32::from(times[row]);
            }
        }
        Draw {
            groups,
            seed,
            r,
            counts,
        }
    }

    fn churners(&self, g: usize) -> u32 {
        self.counts[2 * g + 1]
    }

    fn others(&self, g: usize) -> u32 {
        self.counts[2 * g]
    }

    /// The rows replicate `r` draws, in the order [`replicate`] draws them.
    fn rows(n: usize, seed: u64, r: usize) -> impl Iterator<Item = usize> {
        let mut rng = Rng::new(seed, r as u64);
        (0..n).map(move |_| rng.below(n as u64) as usize)
    }

    /// How many churners the replicate drew, over all groups.
    fn churners_drawn(&self) -> usize {
        self.counts
            .iter()
            .skip(1)
            .step_by(2)
            .map(|&c| c as usize)
            .sum()
    }

    fn total_churners(&self) -> Result<usize, MetricError> {
        let n = self.groups.code.len();
        let total = self.churners_drawn();
        if total == 0 || total == n {
            return Err(MetricError::SingleClass {
                n,
                churned: total == n,
            });
        }
        Ok(total)
    }

    /// [`crate::metrics::roc_auc`] of the drawn sample, with its arithmetic in its order:
    /// groups of equal scores (`==`) from the lowest up.
    fn roc_auc(&self) -> Result<f64, MetricError> {
        let positives = self.total_churners()?;
        let negatives = self.groups.code.len() - positives;
        let (mut below, mut wins) = (0.0, 0.0);
        let mut current: Option<(f64, usize, usize)> = None;
        for g in (0..self.groups.score.len()).rev() {
            let (pos, neg) = (self.churners(g) as usize, self.others(g) as usize);
            if pos + neg == 0 {
                continue;
            }
            let score = self.groups.score[g];
            match current.as_mut() {
                Some((s, p, q)) if *s == score => {
                    *p += pos;
                    *q += neg;
                }
                _ => {
                    if let Some((_, p, q)) = current {
                        wins += p as f64 * (below + 0.5 * q as f64);
                        below += q as f64;
                    }
                    current = Some((score, pos, neg));
                }
            }
        }
        if let Some((_, p, q)) = current {
            wins += p as f64 * (below + 0.5 * q as f64);
        }
        Ok(wins / (positives as f64 * negatives as f64))
    }

    /// [`lift_in_top_10`] of the drawn sample: whole groups from the top, then the first
    /// draws (in draw order, as ties are split) of the group the cut falls in.
    fn lift_in_top_10(&self) -> Result<f64, MetricError> {
        let n = self.groups.code.len();
        let total = self.churners_drawn();
        if total == 0 {
            return Err(MetricError::SingleClass { n, churned: false });
        }
        let k = cut(TOP_SHARE, n);
        let (mut taken, mut caught) = (0, 0);
        for g in 0..self.groups.score.len() {
            let size = (self.churners(g) + self.others(g)) as usize;
            if taken + size <= k {
                taken += size;
                caught += self.churners(g) as usize;
                if taken == k {
                    break;
                }
                continue;
            }
            let wanted = k - taken;
            caught += Self::rows(n, self.seed, self.r)
                .filter(|&row| self.groups.group_of(row) == g)
                .take(wanted)
                .filter(|&row| self.groups.code[row] % 2 == 1)
                .count();
            break;
        }
        Ok((caught as f64 * n as f64) / (k as f64 * total as f64))
    }
}

/// The statistic on replicate `r`: `n` rows drawn with replacement from stream `r`.
fn replicate(
    y: &[bool],
    scores: &[f64],
    seed: u64,
    r: usize,
    stat: Statistic,
) -> Result<f64, MetricError> {
    let mut rng = Rng::new(seed, r as u64);
    let n = y.len();
    let mut sample_y = Vec::with_capacity(n);
    let mut sample_scores = Vec::with_capacity(n);
    for _ in 0..n {
        let row = rng.below(n as u64) as usize;
        sample_y.push(y[row]);
        sample_scores.push(scores[row]);
    }
    stat(&sample_y, &sample_scores)
}

/// The `q`-quantile of ascending `sorted` values by linear interpolation between order
/// statistics (Hyndman and Fan's type 7, numpy's default): with `h = q * (m - 1)`, the
/// value is `sorted[floor(h)] + (h - floor(h)) * (sorted[floor(h) + 1] - sorted[floor(h)])`.
/// `q` is clamped to [0, 1]; an empty slice gives NaN (the bootstrap never passes one).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return f64::NAN;
    };
    let h = q.clamp(0.0, 1.0) * last as f64;
    let below = (h.floor() as usize).min(last);
    let above = (below + 1).min(last);
    let fraction = h - below as f64;
    sorted[below] + fraction * (sorted[above] - sorted[below])
}

/// Lift in the top 10% of rows by descending score (ties split by row order), for
/// [`bootstrap_ci`].
///
/// # Errors
/// Empty input, mismatched lengths, or no churner ([`MetricError::SingleClass`] with
/// `churned: false`, so the bootstrap counts it as undefined).
pub fn lift_in_top_10(y: &[bool], scores: &[f64]) -> Result<f64, MetricError> {
    if y.len() != scores.len() {
        return Err(MetricError::LengthMismatch {
            n_labels: y.len(),
            n_scores: scores.len(),
        });
    }
    if y.is_empty() {
        return Err(MetricError::Empty);
    }
    let n = y.len();
    let total = check::churners(y);
    if total == 0 {
        return Err(MetricError::SingleClass { n, churned: false });
    }
    let k = cut(TOP_SHARE, n);
    let caught = descending_order(scores)[..k]
        .iter()
        .filter(|&&row| y[row])
        .count();
    // lift = (caught / k) / (total / n)
    Ok((caught as f64 * n as f64) / (k as f64 * total as f64))
}

#[cfg(test)]
#[path = "bootstrap_tests.rs"]
mod tests;
