//! Newton's method for the L2-penalised, class-weighted logistic loss.
//!
//! Minimises `L(b0, b) = sum_i w_i [ln(1 + e^z_i) - y_i z_i] + alpha / 2 * |b|^2` with
//! `z_i = b0 + sum_j b_j * (x_ij - m_j) / s_j`: the features are standardised on the fly,
//! block by block, so the standardised matrix never exists whole. Each iteration computes
//! the gradient and the Hessian `sum_i w_i p_i (1 - p_i) a_i a_i^T + alpha I` (`a_i` the
//! standardised row with a leading 1), solves for the Newton direction by Cholesky and
//! backtracks until the loss decreases enough (Armijo). The loss is convex, so a handful of
//! iterations reach the optimum to rounding (7 on a million customers' snapshots). The full
//! step is tried with the derivatives computed in the same pass, since it is nearly always
//! taken; halved steps evaluate the loss alone.
//!
//! Rows are cut into blocks of [`BLOCK_ROWS`] whatever the number of threads; blocks run in
//! parallel and their sums are added in block order, so the result is bit-identical for
//! any thread count.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayViewMut2, Axis, Slice};
use rayon::prelude::*;

use crate::matrix::DesignRows;

/// Rows per block: large enough for the block products to run at full speed, small
/// enough that a thread's two buffers stay in cache-friendly sizes.
const BLOCK_ROWS: usize = 2048;
/// Armijo's sufficient-decrease constant.
const ARMIJO: f64 = 1e-4;
/// Relative error allowed in comparing two losses: a sum over millions of rows is only
/// that accurate, and near the optimum the decrease Armijo asks for is smaller than it.
const LOSS_RESOLUTION: f64 = 1e-12;
/// Halvings of the step before the line search gives up (the loss cannot be decreased
/// at floating-point resolution: the optimum is reached).
const MAX_HALVINGS: u32 = 40;

/// The data and the fixed parts of the loss.
pub(super) struct Problem<'a, R: ?Sized> {
    pub x: &'a R,
    pub y: &'a [bool],
    pub means: &'a [f64],
    pub stds: &'a [f64],
    /// Weight of a retained row and of a churned row.
    pub class_weights: [f64; 2],
    pub alpha: f64,
}

/// The minimiser found: `theta[0]` is the intercept, `theta[1..]` the coefficients on
/// the standardised scale.
#[derive(Debug)]
pub(super) struct Solution {
    pub theta: Vec<f64>,
    pub iterations: u64,
}

/// The loss at one point, with its gradient and Hessian when they were asked for.
struct Evaluation {
    loss: f64,
    derivatives: Option<Derivatives>,
}

struct Derivatives {
    gradient: Array1<f64>,
    hessian: Array2<f64>,
}

/// Runs `f(start, block)` on every block of [`BLOCK_ROWS`] rows of `x` (the last one
/// shorter), in parallel, and returns the results in block order. Each block is a
/// per-thread buffer of `lead + x.n_columns()` columns, the rows' values from column
/// `lead` on; the first `lead` columns are left for `f`.
pub(super) fn map_blocks<R, T, F>(x: &R, lead: usize, f: F) -> Vec<T>
where
    R: DesignRows + ?Sized,
    T: Send,
    F: Fn(usize, ArrayViewMut2<f64>) -> T + Sync,
{
    let n = x.n_rows();
    let width = lead + x.n_columns();
    (0..n.div_ceil(BLOCK_ROWS))
        .into_par_iter()
        .map_init(
            || Array2::zeros((BLOCK_ROWS, width)),
            |buffer, b| {
                let start = b * BLOCK_ROWS;
                let rows = BLOCK_ROWS.min(n - start);
                let mut block = buffer.slice_axis_mut(Axis(0), Slice::from(..rows));
                x.fill(start, block.slice_axis_mut(Axis(1), Slice::from(lead..)));
                f(start, block)
            },
        )
        .collect()
}

impl<R: DesignRows + ?Sized> Problem<'_, R> {
    fn n_params(&self) -> usize {
        self.x.n_columns() + 1
    }

    /// Standardises a block's rows in place and puts 1 in the leading column.
    fn standardise(&self, block: &mut ArrayViewMut2<f64>) {
        for mut out in block.rows_mut() {
            // Plain slices let the compiler vectorise this loop, which runs on every row at
            // every pass.
            let out = out.as_slice_mut().expect("a block is row-major");
            out[0] = 1.0;
            let scaled = out[1..].iter_mut().zip(self.means.iter().zip(self.stds));
            for (o, (&m, &s)) in scaled {
                *o = (*o - m) / s;
            }
        }
    }

    /// The sums of one block of rows (its values from column 1 on); a halved step of the
    /// line search asks for the loss alone.
    fn evaluate_block(
        &self,
        theta: &Array1<f64>,
        start: usize,
        mut block: ArrayViewMut2<f64>,
        with_derivatives: bool,
    ) -> Evaluation {
        self.standardise(&mut block);
        let z = block.dot(theta);
        let mut loss = 0.0;
        for (i, &z_i) in z.iter().enumerate() {
            let churned = self.y[start + i];
            // ln(1 + e^z) - y z, without overflow.
            let softplus = z_i.max(0.0) + (-z_i.abs()).exp().ln_1p();
            loss += self.class_weights[usize::from(churned)]
                * (softplus - if churned { z_i } else { 0.0 });
        }
        if !with_derivatives {
            return Evaluation {
                loss,
                derivatives: None,
            };
        }
        let mut residual = Array1::zeros(block.nrows());
        let mut curvature = Array1::zeros(block.nrows());
        for (i, &z_i) in z.iter().enumerate() {
            let churned = self.y[start + i];
            let w = self.class_weights[usize::from(churned)];
            let p = super::logistic::sigmoid(z_i);
            residual[i] = w * (p - f64::from(u8::from(churned)));
            curvature[i] = (w * p * (1.0 - p)).sqrt();
        }
        let gradient = block.t().dot(&residual);
        for (mut row, &c) in block.rows_mut().into_iter().zip(&curvature) {
            row *= c;
        }
        let k = self.n_params();
        let mut hessian = Array2::zeros((k, k));
        general_mat_mul(1.0, &block.t(), &block, 0.0, &mut hessian);
        Evaluation {
            loss,
            derivatives: Some(Derivatives { gradient, hessian }),
        }
    }

    /// Loss (and gradient and Hessian) of the whole problem, penalty included.
    fn evaluate(&self, theta: &Array1<f64>, with_derivatives: bool) -> Evaluation {
        let k = self.n_params();
        let parts = map_blocks(self.x, 1, |start, block| {
            self.evaluate_block(theta, start, block, with_derivatives)
        });
        // Block order, whatever the threads: the sums are bit-identical run to run.
        let mut total = Evaluation {
            loss: 0.0,
            derivatives: with_derivatives.then(|| Derivatives {
                gradient: Array1::zeros(k),
                hessian: Array2::zeros((k, k)),
            }),
        };
        for part in parts {
            total.loss += part.loss;
            if let (Some(sum), Some(d)) = (total.derivatives.as_mut(), part.derivatives) {
                sum.gradient += &d.gradient;
                sum.hessian += &d.hessian;
            }
        }
        let coefficients = theta.slice_axis(Axis(0), Slice::from(1..));
        total.loss += self.alpha / 2.0 * coefficients.dot(&coefficients);
        if let Some(d) = total.derivatives.as_mut() {
            d.gradient
                .slice_axis_mut(Axis(0), Slice::from(1..))
                .scaled_add(self.alpha, &coefficients);
            for j in 1..k {
                d.hessian[[j, j]] += self.alpha;
            }
        }
        total
    }

    /// Minimises the loss from the intercept-only model, stopping once the gradient norm
    /// is at most `tolerance`, after `max_iterations` Newton steps, or when no step can
    /// lower the loss any more.
    pub fn solve(&self, max_iterations: u64, tolerance: f64) -> Solution {
        let k = self.n_params();
        let mut theta = Array1::zeros(k);
        theta[0] = self.start_intercept();
        let (mut loss, mut derivatives) = self.evaluate_with_derivatives(&theta);
        let mut iterations = 0;
        while iterations < max_iterations && norm(&derivatives.gradient) > tolerance {
            iterations += 1;
            let Derivatives { gradient, hessian } = derivatives;
            let direction = newton_direction(hessian, &gradient);
            let slope = gradient.dot(&direction);
            if slope >= 0.0 {
                break;
            }
            let mut step = 1.0;
            let mut accepted = None;
            let noise = LOSS_RESOLUTION * loss.abs();
            for _ in 0..MAX_HALVINGS {
                let candidate = &theta + &(step * &direction);
                // The full step is nearly always taken, so its pass computes the
                // derivatives too: the next iteration needs no pass of its own. A halved
                // step asks for the loss alone.
                let evaluation = self.evaluate(&candidate, step == 1.0);
                if evaluation.loss.is_finite()
                    && evaluation.loss <= loss + ARMIJO * step * slope + noise
                {
                    accepted = Some((candidate, evaluation));
                    break;
                }
                step /= 2.0;
            }
            let Some((next, evaluation)) = accepted else {
                break;
            };
            theta = next;
            (loss, derivatives) = match evaluation.derivatives {
                Some(d) => (evaluation.loss, d),
                None => self.evaluate_with_derivatives(&theta),
            };
        }
        Solution {
            theta: theta.to_vec(),
            iterations,
        }
    }

    fn evaluate_with_derivatives(&self, theta: &Array1<f64>) -> (f64, Derivatives) {
        let evaluation = self.evaluate(theta, true);
        let derivatives = evaluation.derivatives.expect("asked for the derivatives");
        (evaluation.loss, derivatives)
    }

    /// The log-odds of the weighted churn rate: the optimum when every coefficient is 0.
    fn start_intercept(&self) -> f64 {
        let churned = self.y.iter().filter(|&&c| c).count() as f64;
        let retained = self.y.len() as f64 - churned;
        (self.class_weights[1] * churned / (self.class_weights[0] * retained)).ln()
    }
}

fn norm(v: &Array1<f64>) -> f64 {
    v.dot(v).sqrt()
}

/// Solves `hessian * d = -gradient` by Cholesky. A Hessian that is singular to rounding
/// (no penalty and a constant or separating feature) gets a small ridge, growing tenfold
/// until the factorisation succeeds. A Hessian no ridge can mend (not finite) gives a
/// zero direction, which ends the iterations.
fn newton_direction(hessian: Array2<f64>, gradient: &Array1<f64>) -> Array1<f64> {
    let scale = hessian
        .diag()
        .iter()
        .fold(0.0f64, |m, &v| m.max(v.abs()))
        .max(1.0);
    let mut ridge = 0.0;
    // From 1e-12 of the largest curvature up to 1e12 of it.
    for _ in 0..=25 {
        let mut h = hessian.clone();
        h.diag_mut().map_inplace(|v| *v += ridge);
        if let Some(l) = cholesky(h) {
            return cholesky_solve(&l, &gradient.mapv(|g| -g));
        }
        ridge = if ridge == 0.0 {
            scale * 1e-12
        } else {
            ridge * 10.0
        };
    }
    Array1::zeros(gradient.len())
}

/// The lower-triangular `L` with `L L^T = a`, or `None` when `a` is not positive definite.
fn cholesky(mut a: Array2<f64>) -> Option<Array2<f64>> {
    let n = a.nrows();
    for j in 0..n {
        let mut d = a[[j, j]];
        for k in 0..j {
            d -= a[[j, k]] * a[[j, k]];
        }
        if !(d > 0.0 && d.is_finite()) {
            return None;
        }
        let d = d.sqrt();
        a[[j, j]] = d;
        for i in j + 1..n {
            let mut s = a[[i, j]];
            for k in 0..j {
                s -= a[[i, k]] * a[[j, k]];
            }
            a[[i, j]] = s / d;
        }
    }
    for i in 0..n {
        for j in i + 1..n {
            a[[i, j]] = 0.0;
        }
    }
    Some(a)
}

/// Solves `L L^T x = b` by forward and back substitution.
fn cholesky_solve(l: &Array2<f64>, b: &Array1<f64>) -> Array1<f64> {
    let n = b.len();
    let mut y = b.clone();
    for i in 0..n {
        let s = (0..i).fold(y[i], |s, k| s - l[[i, k]] * y[k]);
        y[i] = s / l[[i, i]];
    }
    for i in (0..n).rev() {
        let s = (i + 1..n).fold(y[i], |s, k| s - l[[k, i]] * y[k]);
        y[i] = s / l[[i, i]];
    }
    y
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    #[test]
    fn cholesky_solves_a_hand_made_system() {
        // [[4, 2], [2, 3]] x = [2, 1]  ->  x = [0.5, 0]
        let l = cholesky(array![[4.0, 2.0], [2.0, 3.0]]).unwrap();
        assert_eq!(l, array![[2.0, 0.0], [1.0, 2f64.sqrt()]]);
        let x = cholesky_solve(&l, &array![2.0, 1.0]);
        assert!((x[0] - 0.5).abs() < 1e-15 && x[1].abs() < 1e-15, "{x}");
        assert!(cholesky(array![[1.0, 2.0], [2.0, 1.0]]).is_none());
    }

    #[test]
    fn a_singular_hessian_gets_a_ridge_and_a_zero_gradient_gives_a_zero_step() {
        let d = newton_direction(array![[2.0, 0.0], [0.0, 0.0]], &array![4.0, 0.0]);
        assert!((d[0] + 2.0).abs() < 1e-9, "{d}");
        assert_eq!(d[1], 0.0);
        let broken = newton_direction(array![[f64::NAN, 0.0], [0.0, 1.0]], &array![1.0, 1.0]);
        assert_eq!(broken, array![0.0, 0.0]);
    }
}
