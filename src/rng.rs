//! A small, dependency-free deterministic PRNG (for the data generator and the learners).
//!
//! xoshiro256** seeded through splitmix64. The algorithm is fixed here, so the
//! same `(seed, stream)` yields the same numbers forever, whatever happens to
//! the `rand` crate. [`Rng::new`] derives an independent stream per `stream`
//! value (one per customer in the simulator), so results do not depend on how
//! work is split across chunks or threads.

/// splitmix64 step: advances `state` and returns the next output.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256** generator with a few distribution samplers (all `f64`).
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator for `(seed, stream)`; different streams are independent.
    pub fn new(seed: u64, stream: u64) -> Rng {
        // Mix seed and stream separately through splitmix64, then combine, so
        // that neighbouring seeds/streams give unrelated keys.
        let mut a = seed;
        let ka = splitmix64(&mut a);
        let mut b = stream ^ 0x6A09_E667_F3BC_C909;
        let kb = splitmix64(&mut b);
        let mut key = ka ^ kb.rotate_left(23);
        let mut s = [0u64; 4];
        for w in s.iter_mut() {
            *w = splitmix64(&mut key);
        }
        if s == [0; 4] {
            s[0] = 1; // all-zero is the one forbidden xoshiro state
        }
        Rng { s }
    }

    /// Next raw 64-bit output.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1), from the top 53 bits.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in [0, n) without modulo bias (Lemire). Returns 0 for n = 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let mut m = (self.next_u64() as u128) * (n as u128);
        let mut low = m as u64;
        if low < n {
            let threshold = n.wrapping_neg() % n;
            while low < threshold {
                m = (self.next_u64() as u128) * (n as u128);
                low = m as u64;
            }
        }
        (m >> 64) as u64
    }

    /// True with probability `p` (p <= 0 never, p >= 1 always).
    #[inline]
    pub fn bernoulli(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// Standard normal (Marsaglia polar method; the second value is discarded).
    pub fn normal(&mut self) -> f64 {
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                return u * (-2.0 * s.ln() / s).sqrt();
            }
        }
    }

    /// Exponential with the given rate (mean 1/rate).
    pub fn exp(&mut self, rate: f64) -> f64 {
        -(1.0 - self.uniform()).ln() / rate
    }

    /// Gamma(shape, scale), mean shape*scale (Marsaglia-Tsang; shape < 1 via boost).
    pub fn gamma(&mut self, shape: f64, scale: f64) -> f64 {
        if shape <= 0.0 {
            return 0.0;
        }
        if shape < 1.0 {
            let g = self.gamma(shape + 1.0, scale);
            let u = 1.0 - self.uniform(); // (0, 1]
            return g * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = 1.0 + c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = self.uniform();
            let x2 = x * x;
            if u < 1.0 - 0.0331 * x2 * x2 {
                return d * v * scale;
            }
            if u > 0.0 && u.ln() < 0.5 * x2 + d * (1.0 - v + v.ln()) {
                return d * v * scale;
            }
        }
    }

    /// Poisson(lambda): Knuth's multiplication below 30, PTRS (Hörmann) above.
    pub fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda <= 0.0 || lambda.is_nan() {
            return 0;
        }
        if lambda < 30.0 {
            let limit = (-lambda).exp();
            let mut k = 0u64;
            let mut p = self.uniform();
            while p > limit {
                k += 1;
                p *= self.uniform();
            }
            return k;
        }
        // PTRS: transformed rejection with squeeze (Hörmann 1993).
        let slam = lambda.sqrt();
        let loglam = lambda.ln();
        let b = 0.931 + 2.53 * slam;
        let a = -0.059 + 0.02483 * b;
        let inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
        let vr = 0.9277 - 3.6224 / (b - 2.0);
        loop {
            let u = self.uniform() - 0.5;
            let v = self.uniform();
            let us = 0.5 - u.abs();
            let k = ((2.0 * a / us + b) * u + lambda + 0.43).floor();
            if us >= 0.07 && v <= vr {
                return k as u64;
            }
            if k < 0.0 || (us < 0.013 && v > us) {
                continue;
            }
            if v > 0.0
                && v.ln() + inv_alpha.ln() - (a / (us * us) + b).ln()
                    <= -lambda + k * loglam - ln_factorial(k)
            {
                return k as u64;
            }
        }
    }

    /// Lognormal: exp(mu + sigma * N(0,1)).
    pub fn lognormal(&mut self, mu: f64, sigma: f64) -> f64 {
        (mu + sigma * self.normal()).exp()
    }
}

/// ln(k!) for integer-valued k >= 0: exact sum below 10, Stirling series above.
fn ln_factorial(k: f64) -> f64 {
    if k < 10.0 {
        let mut acc = 0.0;
        let mut i = 2.0;
        while i <= k {
            acc += f64::ln(i);
            i += 1.0;
        }
        return acc;
    }
    let n = k + 1.0; // ln Γ(n)
    let n2 = n * n;
    (n - 0.5) * n.ln() - n + 0.5 * (2.0 * std::f64::consts::PI).ln() + 1.0 / (12.0 * n)
        - 1.0 / (360.0 * n * n2)
        + 1.0 / (1260.0 * n2 * n2 * n)
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: usize = 200_000;
    const PINNED: [u64; 3] = [
        6_829_628_520_524_535_892,
        4_987_940_950_239_393_214,
        18_898_220_117_152_455,
    ];

    fn moments(mut f: impl FnMut() -> f64) -> (f64, f64) {
        let mut sum = 0.0;
        let mut sum2 = 0.0;
        for _ in 0..N {
            let x = f();
            sum += x;
            sum2 += x * x;
        }
        let mean = sum / N as f64;
        (mean, sum2 / N as f64 - mean * mean)
    }

    fn close(what: &str, got: f64, want: f64, rel: f64) {
        let tol = rel * want.abs().max(1e-12);
        assert!(
            (got - want).abs() <= tol,
            "{what}: got {got}, want {want} ± {tol}"
        );
    }

    #[test]
    fn deterministic_for_seed_and_stream() {
        let a: Vec<u64> = {
            let mut r = Rng::new(42, 7);
            (0..100).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = Rng::new(42, 7);
            (0..100).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        // Pin the stream: these bytes must never change (same seed => same data forever).
        let mut r = Rng::new(0, 0);
        let got: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        assert_eq!(got, PINNED);
    }

    #[test]
    fn xoshiro_reference_vector() {
        // Reference outputs of xoshiro256** from state [1, 2, 3, 4].
        let mut r = Rng { s: [1, 2, 3, 4] };
        let got: Vec<u64> = (0..4).map(|_| r.next_u64()).collect();
        assert_eq!(got, [11_520, 0, 1_509_978_240, 1_215_971_899_390_074_240]);
        // splitmix64 reference: seed 1234567 → 6457827717110365317.
        let mut sm = 1_234_567u64;
        assert_eq!(splitmix64(&mut sm), 6_457_827_717_110_365_317);
    }

    #[test]
    fn streams_and_seeds_differ() {
        let draw = |seed, stream| {
            let mut r = Rng::new(seed, stream);
            (0..8).map(|_| r.next_u64()).collect::<Vec<_>>()
        };
        let base = draw(1, 0);
        assert_ne!(base, draw(1, 1));
        assert_ne!(base, draw(2, 0));
        assert_ne!(draw(0, 1), draw(1, 0));
        // Neighbouring streams are uncorrelated: agreement of the top bit ~ 50%.
        let (mut r0, mut r1) = (Rng::new(5, 100), Rng::new(5, 101));
        let same = (0..N)
            .filter(|_| (r0.next_u64() >> 63) == (r1.next_u64() >> 63))
            .count();
        close("top-bit agreement", same as f64 / N as f64, 0.5, 0.01);
    }

    #[test]
    fn uniform_moments_and_range() {
        let mut r = Rng::new(1, 1);
        let (m, v) = moments(|| {
            let u = r.uniform();
            assert!((0.0..1.0).contains(&u));
            u
        });
        close("uniform mean", m, 0.5, 0.005);
        close("uniform var", v, 1.0 / 12.0, 0.01);
    }

    #[test]
    fn below_is_uniform() {
        let mut r = Rng::new(3, 3);
        let mut counts = [0usize; 7];
        for _ in 0..N {
            counts[r.below(7) as usize] += 1;
        }
        for c in counts {
            close("below(7) bucket", c as f64, N as f64 / 7.0, 0.03);
        }
        assert_eq!(r.below(1), 0);
        assert_eq!(r.below(0), 0);
        let big = u64::MAX - 3;
        assert!(r.below(big) < big);
    }

    #[test]
    fn bernoulli_rate() {
        let mut r = Rng::new(4, 4);
        let hits = (0..N).filter(|_| r.bernoulli(0.3)).count();
        close("bernoulli(0.3)", hits as f64 / N as f64, 0.3, 0.01);
        assert!(!r.bernoulli(0.0));
        assert!(r.bernoulli(1.0));
    }

    #[test]
    fn normal_moments() {
        let mut r = Rng::new(5, 5);
        let (m, v) = moments(|| r.normal());
        assert!(m.abs() < 0.01, "normal mean {m}");
        close("normal var", v, 1.0, 0.01);
        let mut r = Rng::new(5, 6);
        let (m, v) = moments(|| r.lognormal(0.5, 0.4));
        let want_m = (0.5f64 + 0.08).exp();
        close("lognormal mean", m, want_m, 0.01);
        close(
            "lognormal var",
            v,
            (0.16f64.exp() - 1.0) * want_m * want_m,
            0.04,
        );
    }

    #[test]
    fn exp_moments() {
        let mut r = Rng::new(6, 6);
        let (m, v) = moments(|| r.exp(2.5));
        close("exp mean", m, 0.4, 0.01);
        close("exp var", v, 0.16, 0.03);
    }

    #[test]
    fn gamma_moments() {
        for (i, &(shape, scale)) in [(0.4, 2.0), (1.0, 1.0), (2.5, 0.5), (9.0, 3.0)]
            .iter()
            .enumerate()
        {
            let mut r = Rng::new(7, i as u64);
            let (m, v) = moments(|| {
                let g = r.gamma(shape, scale);
                assert!(g >= 0.0);
                g
            });
            close(
                &format!("gamma({shape},{scale}) mean"),
                m,
                shape * scale,
                0.015,
            );
            close(
                &format!("gamma({shape},{scale}) var"),
                v,
                shape * scale * scale,
                0.04,
            );
        }
    }

    #[test]
    fn poisson_moments_small_and_large() {
        for (i, &lambda) in [0.05, 0.8, 4.0, 25.0, 30.0, 120.0, 2500.0]
            .iter()
            .enumerate()
        {
            let mut r = Rng::new(8, i as u64);
            let (m, v) = moments(|| r.poisson(lambda) as f64);
            close(
                &format!("poisson({lambda}) mean"),
                m,
                lambda,
                0.01_f64.max(0.1 / lambda),
            );
            close(
                &format!("poisson({lambda}) var"),
                v,
                lambda,
                0.03_f64.max(0.2 / lambda),
            );
        }
        let mut r = Rng::new(8, 99);
        assert_eq!(r.poisson(0.0), 0);
        assert_eq!(r.poisson(-1.0), 0);
        // Large-lambda pmf check: P(X = 30) for lambda = 30.
        let hits = (0..N).filter(|_| r.poisson(30.0) == 30).count();
        let p30 = (-30.0 + 30.0 * 30f64.ln() - ln_factorial(30.0)).exp();
        close("poisson(30) pmf at 30", hits as f64 / N as f64, p30, 0.05);
    }

    #[test]
    fn ln_factorial_matches_sum() {
        for k in 0..60u32 {
            let exact: f64 = (2..=k).map(|i| (i as f64).ln()).sum();
            assert!((ln_factorial(k as f64) - exact).abs() < 1e-9, "k={k}");
        }
    }
}
