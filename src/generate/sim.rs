//! Business simulator behind `churn generate`.
//!
//! Every model and benchmark in this crate is judged on data from here, so the
//! simulation aims to behave like a real subscription/e-commerce business
//! rather than a textbook toy:
//!
//! * **Growth.** Signups fall in `[start_day, end_day - 30]` with an
//!   exponentially rising density (the last year has about twice the signups of
//!   the first: ~40%/year over three years), sampled by inverse CDF.
//! * **Segments and regions.** Consumer (60%), SMB (30%) and enterprise (10%)
//!   differ in order rate, basket size, ticket rate and base churn hazard.
//!   Regions differ mildly in support quality (resolution speed).
//! * **Heterogeneity.** Each customer's order rate is Gamma around the segment
//!   rate, their basket mean lognormal around the segment's, every order amount
//!   lognormal around the customer's mean (times the market's price level).
//! * **Seasonality.** A yearly cycle (±15%, peak in November) plus a December
//!   shopping bump.
//! * **Week steps.** Each week the customer draws Poisson tickets and orders
//!   (on uniform days of the week), maybe an NPS response, and then the churn
//!   hazard for the week is applied.
//! * **Churn.** A proportional weekly hazard, raised by recent bad support
//!   (tickets and urgent tickets in the last 60 days, slow resolution, tickets
//!   still open), low CSAT (<= 6) and detractor NPS (0-6), and by latent causes
//!   no feature shows directly: an individual frailty, a price sensitivity that
//!   reacts to the market's dated shocks (price rises, a competitor's launch in
//!   one region), early-tenure fragility and pure chance. When it fires the
//!   customer becomes *disengaging*: order rate drops to 30-60%, scores sour,
//!   and after a Gamma delay (mean ~38 days) they churn for good and stop
//!   ordering. About 37% of churners also cancel explicitly (`churned_at`).
//! * **Tickets.** Rate follows activity and a per-customer "problem-prone"
//!   latent; priorities low/normal/high/urgent ≈ 30/45/18/7%; resolution time
//!   lognormal in hours (fast for urgent, slow in the south); ~3% never
//!   resolved, and late tickets may still be open at `end_day`.
//! * **Surveys.** Sparse and biased toward engaged customers: a CSAT response
//!   after an order with small probability, an occasional NPS response. Scores
//!   follow a latent satisfaction plus recent support experience.
//!
//! Each customer draws from its own [`Rng`] stream (`Rng::new(seed, index)`), so
//! a customer's records never depend on chunking or thread scheduling.

use crate::dates::civil_from_days;
use crate::rng::Rng;

pub const SEGMENTS: [&str; 3] = ["consumer", "smb", "enterprise"];
pub const REGIONS: [&str; 4] = ["north", "south", "east", "west"];
pub const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];

/// What to simulate. Days are days since 1970-01-01; `[start_day, end_day]` is
/// the inclusive range of the data.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub n_customers: usize,
    pub seed: u64,
    pub start_day: i32,
    pub end_day: i32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CustomerRecord {
    pub signup_day: i32,
    /// Index into [`SEGMENTS`].
    pub segment: u8,
    /// Index into [`REGIONS`].
    pub region: u8,
    /// Explicit cancellation day (only if <= end_day).
    pub churned_at: Option<i32>,
    /// True churn day if <= end_day (ground truth for tests; never exported as a feature).
    pub latent_churn_day: Option<i32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OrderRecord {
    /// Global customer index.
    pub customer: u32,
    pub day: i32,
    pub amount_cents: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TicketRecord {
    pub customer: u32,
    /// Unix seconds.
    pub created_s: i64,
    /// Index into [`PRIORITIES`].
    pub priority: u8,
    /// None = still open at the end of `end_day`; always >= `created_s`.
    pub resolved_s: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SurveyKind {
    Csat,
    Nps,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SurveyRecord {
    pub customer: u32,
    pub at_s: i64,
    pub kind: SurveyKind,
    /// CSAT 1..=10, NPS 0..=10.
    pub score: u8,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Chunk {
    pub first_customer: u32,
    pub customers: Vec<CustomerRecord>,
    pub orders: Vec<OrderRecord>,
    pub tickets: Vec<TicketRecord>,
    pub surveys: Vec<SurveyRecord>,
}

// ---------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------

const DAY_S: i64 = 86_400;

/// Per-segment parameters.
struct Segment {
    /// Cumulative share used to draw the segment.
    cum_share: f64,
    /// Mean orders per day.
    order_rate: f64,
    /// Gamma shape of the individual order rate (lower = more heterogeneous).
    rate_shape: f64,
    /// Median basket in dollars, between-customer lognormal sigma, within-customer sigma.
    basket_median: f64,
    basket_sigma: f64,
    amount_sigma: f64,
    /// Mean tickets per day at segment-typical activity.
    ticket_rate: f64,
    /// Weekly base hazard of starting to disengage.
    base_hazard: f64,
}

const SEG: [Segment; 3] = [
    Segment {
        cum_share: 0.60,
        order_rate: 0.039,
        rate_shape: 0.85,
        basket_median: 45.0,
        basket_sigma: 0.5,
        amount_sigma: 0.45,
        ticket_rate: 0.0035,
        base_hazard: 0.0040,
    },
    Segment {
        cum_share: 0.90,
        order_rate: 0.070,
        rate_shape: 1.3,
        basket_median: 220.0,
        basket_sigma: 0.6,
        amount_sigma: 0.5,
        ticket_rate: 0.0070,
        base_hazard: 0.0030,
    },
    Segment {
        cum_share: 1.0,
        order_rate: 0.155,
        rate_shape: 1.8,
        basket_median: 1100.0,
        basket_sigma: 0.7,
        amount_sigma: 0.55,
        ticket_rate: 0.0180,
        base_hazard: 0.0020,
    },
];

/// Cumulative region shares and resolution-time multipliers (south: worst support).
const REGION_CUM: [f64; 4] = [0.28, 0.50, 0.76, 1.0];
const REGION_RESOLUTION: [f64; 4] = [1.0, 1.6, 0.85, 1.15];

/// Cumulative priority mix: low 30%, normal 45%, high 18%, urgent 7%.
const PRIORITY_CUM: [f64; 4] = [0.30, 0.75, 0.93, 1.0];
/// Median resolution hours by priority.
const RESOLUTION_MEDIAN_H: [f64; 4] = [30.0, 18.0, 8.0, 3.0];
const RESOLUTION_SIGMA: f64 = 0.9;
const NEVER_RESOLVED: f64 = 0.03;

/// Share of churners who cancel explicitly.
const EXPLICIT_CANCEL: f64 = 0.37;
/// Disengagement-to-churn delay: Gamma(shape, scale) days, mean 38.
const DELAY_SHAPE: f64 = 2.0;
const DELAY_SCALE: f64 = 19.0;

/// CSAT response probability per order and NPS response probability per week,
/// both for a typical customer (scaled by engagement and survey propensity).
const CSAT_PER_ORDER: f64 = 0.011;
const NPS_PER_WEEK: f64 = 0.0018;

// ---------------------------------------------------------------------------
// Market
// ---------------------------------------------------------------------------

/// Market-wide shocks (price rises, a competitor's launch), drawn once from the seed.
pub struct Market {
    start_day: i32,
    /// Prefix sums of the daily seasonal factor: `season_cum[i]` = sum over days `< start_day + i`.
    season_cum: Vec<f64>,
    /// Price level per day (1.0 at start; steps up with each price rise).
    price_level: Vec<f64>,
    /// Shock intensity per day and region (adds `price_sensitivity * x` to the hazard's log).
    shock: Vec<[f32; 4]>,
}

impl Market {
    pub fn new(cfg: &SimConfig) -> Market {
        let span = (cfg.end_day - cfg.start_day + 1).max(1) as usize;
        let mut season_cum = Vec::with_capacity(span + 1);
        season_cum.push(0.0);
        let mut acc = 0.0;
        for i in 0..span {
            acc += season(cfg.start_day + i as i32);
            season_cum.push(acc);
        }

        // Stream u64::MAX is never a customer's (customer indices are u32).
        let mut r = Rng::new(cfg.seed, u64::MAX);
        let mut price_level = vec![1.0; span];
        let mut shock = vec![[0.0f32; 4]; span];
        let n_shocks = 2 + r.below(1 + span as u64 / 365) as usize;
        for _ in 0..n_shocks {
            let price_rise = r.bernoulli(0.5);
            let region = r.below(4) as usize;
            let lead = 60.min(span as u64 / 4);
            let start = (lead + r.below((span as u64 - lead).max(1))) as usize;
            let duration = 7 * (3 + r.below(8)) as usize;
            let intensity = 0.6 + 0.7 * r.uniform();
            for day in shock.iter_mut().skip(start).take(duration) {
                if price_rise {
                    for x in day.iter_mut() {
                        *x += intensity as f32;
                    }
                } else {
                    day[region] += intensity as f32;
                }
            }
            if price_rise {
                let step = 1.04 + 0.06 * r.uniform();
                for p in price_level.iter_mut().skip(start) {
                    *p *= step;
                }
            }
        }
        Market {
            start_day: cfg.start_day,
            season_cum,
            price_level,
            shock,
        }
    }

    #[inline]
    fn idx(&self, day: i32) -> usize {
        ((day - self.start_day).max(0) as usize).min(self.price_level.len() - 1)
    }

    /// Sum of seasonal factors over days `[from, to]`.
    #[inline]
    fn season_sum(&self, from: i32, to: i32) -> f64 {
        let a = self.idx(from);
        let b = self.idx(to) + 1;
        self.season_cum[b] - self.season_cum[a]
    }

    #[inline]
    fn price(&self, day: i32) -> f64 {
        self.price_level[self.idx(day)]
    }

    #[inline]
    fn shock(&self, day: i32, region: usize) -> f64 {
        self.shock[self.idx(day)][region] as f64
    }
}

/// Daily demand factor: yearly cycle ±15% peaking mid-November, plus a
/// December (1st-22nd) shopping bump.
fn season(day: i32) -> f64 {
    let phase = 2.0 * std::f64::consts::PI * (day - 319) as f64 / 365.2425;
    let mut f = 1.0 + 0.15 * phase.cos();
    let (_, m, d) = civil_from_days(day);
    if m == 12 && d <= 22 {
        f *= 1.3;
    }
    f
}

// ---------------------------------------------------------------------------
// Simulation
// ---------------------------------------------------------------------------

/// Simulates customers `range` (global indices). Each customer uses its own Rng stream
/// (Rng::new(cfg.seed, index)), so the result for a customer does not depend on chunking or threads.
pub fn simulate(cfg: &SimConfig, market: &Market, range: std::ops::Range<u32>) -> Chunk {
    let n = range.len();
    let mut chunk = Chunk {
        first_customer: range.start,
        customers: Vec::with_capacity(n),
        orders: Vec::with_capacity(n * 28),
        tickets: Vec::with_capacity(n * 2),
        surveys: Vec::with_capacity(n),
    };
    let mut surveys = Vec::new();
    for idx in range {
        simulate_customer(cfg, market, idx, &mut chunk, &mut surveys);
    }
    chunk
}

/// Inverse CDF of the signup density ∝ exp(g·t) on `[0, len)` days, with `g` set so
/// that the last year of signups has twice the density of the first.
fn signup_day(r: &mut Rng, cfg: &SimConfig) -> i32 {
    let last = (cfg.end_day - 30).max(cfg.start_day);
    let len = (last - cfg.start_day + 1) as f64;
    let g = std::f64::consts::LN_2 / (len - 365.0).max(365.0);
    let x = (1.0 + r.uniform() * ((g * len).exp() - 1.0)).ln() / g;
    (cfg.start_day + x.floor() as i32).min(last)
}

fn pick(cum: &[f64], u: f64) -> usize {
    cum.iter().position(|&c| u < c).unwrap_or(cum.len() - 1)
}

/// Recent support experience at time `now` (unix seconds) from the customer's tickets.
struct Support {
    recent: u32,
    urgent: u32,
    slow: bool,
    open: u32,
}

fn support_at(tickets: &[TicketRecord], now: i64, window_s: i64) -> Support {
    let mut s = Support {
        recent: 0,
        urgent: 0,
        slow: false,
        open: 0,
    };
    for t in tickets.iter().rev() {
        if t.created_s > now {
            continue;
        }
        if t.created_s < now - window_s {
            break;
        }
        s.recent += 1;
        if t.priority == 3 {
            s.urgent += 1;
        }
        match t.resolved_s {
            Some(r) if r <= now => {
                if r - t.created_s > 72 * 3600 {
                    s.slow = true;
                }
            }
            _ => {
                s.open += 1;
                if now - t.created_s > 72 * 3600 {
                    s.slow = true;
                }
            }
        }
    }
    s
}

/// CSAT/NPS penalty from a bad ticket in the 30 days before `at` (high/urgent,
/// slow, or still open).
fn ticket_penalty(tickets: &[TicketRecord], at: i64) -> f64 {
    let mut pen: f64 = 0.0;
    for t in tickets.iter().rev() {
        if t.created_s > at {
            continue;
        }
        if t.created_s < at - 30 * DAY_S {
            break;
        }
        let slow_or_open = match t.resolved_s {
            Some(r) if r <= at => r - t.created_s > 48 * 3600,
            _ => true,
        };
        let p = match (t.priority >= 2, slow_or_open) {
            (true, true) => 2.5,
            (false, true) => 1.6,
            (true, false) => 0.8,
            (false, false) => 0.3,
        };
        pen = pen.max(p);
    }
    pen
}

fn simulate_customer(
    cfg: &SimConfig,
    market: &Market,
    idx: u32,
    chunk: &mut Chunk,
    surveys: &mut Vec<SurveyRecord>,
) {
    let mut r = Rng::new(cfg.seed, idx as u64);
    let end = cfg.end_day;
    let end_s = end as i64 * DAY_S + DAY_S - 1;

    // --- Who the customer is -------------------------------------------------
    let signup = signup_day(&mut r, cfg);
    let segment = pick(&SEG.map(|s| s.cum_share), r.uniform());
    let region = pick(&REGION_CUM, r.uniform());
    let seg = &SEG[segment];

    let rate = r.gamma(seg.rate_shape, seg.order_rate / seg.rate_shape);
    let rel = (rate / seg.order_rate).max(1e-6); // engagement relative to the segment
    let basket_mu = seg.basket_median.ln() + seg.basket_sigma * r.normal();
    let amount_mu = basket_mu - 0.5 * seg.amount_sigma * seg.amount_sigma;
    let frailty = r.normal();
    let satisfaction = -0.3 * frailty + 0.954 * r.normal();
    let problem_prone = r.gamma(1.5, 1.0 / 1.5);
    let price_sensitivity = r.gamma(2.0, 0.3);
    let survey_propensity = r.lognormal(-0.125, 0.5);
    let ticket_rate = seg.ticket_rate * problem_prone;
    let csat_p = CSAT_PER_ORDER * survey_propensity * rel.powf(0.3).min(2.0);
    let nps_p = NPS_PER_WEEK * survey_propensity * rel.sqrt().clamp(0.3, 2.0);
    // Time-invariant part of the hazard's log.
    let lp_static = 0.75 * frailty - 0.25 * satisfaction - 0.2 * rel.ln().clamp(-3.0, 2.0);

    let o0 = chunk.orders.len();
    let t0 = chunk.tickets.len();
    surveys.clear();

    // --- Mutable state ------------------------------------------------------
    let mut churn_day: Option<i32> = None;
    let mut engagement = 1.0;
    let mut score_shift = 0.0;
    let mut complaint = 1.0;
    let mut last_low_csat: Option<i64> = None;
    let mut last_detractor: Option<i64> = None;
    let mut last_promoter: Option<i64> = None;

    // Many customers place an order right at signup.
    if r.bernoulli(0.55) {
        let amount = r.lognormal(amount_mu, seg.amount_sigma) * market.price(signup);
        chunk.orders.push(OrderRecord {
            customer: idx,
            day: signup,
            amount_cents: (amount * 100.0).round() as i64,
        });
    }

    let mut d = signup;
    loop {
        let limit = churn_day.map_or(end, |c| (c - 1).min(end));
        if d > limit {
            break;
        }
        let we = (d + 6).min(limit);
        let ndays = (we - d + 1) as u64;
        let season_sum = market.season_sum(d, we);

        // Tickets: activity-driven plus the problem-prone latent.
        let t_week = chunk.tickets.len();
        let t_lambda =
            ticket_rate * (0.75 + 0.25 * rel.sqrt().min(3.0) * engagement) * complaint * season_sum;
        for _ in 0..r.poisson(t_lambda) {
            let day = d + r.below(ndays) as i32;
            let created_s = day as i64 * DAY_S + r.below(DAY_S as u64) as i64;
            let priority = pick(&PRIORITY_CUM, r.uniform());
            let hours = RESOLUTION_MEDIAN_H[priority]
                * REGION_RESOLUTION[region]
                * r.lognormal(0.0, RESOLUTION_SIGMA);
            let resolved_s = if r.bernoulli(NEVER_RESOLVED) {
                None
            } else {
                Some(created_s + ((hours * 3600.0) as i64).max(60)).filter(|&s| s <= end_s)
            };
            chunk.tickets.push(TicketRecord {
                customer: idx,
                created_s,
                priority: priority as u8,
                resolved_s,
            });
        }
        chunk.tickets[t_week..].sort_by_key(|t| t.created_s);

        // Orders, each maybe followed by a CSAT response within two days.
        let o_week = chunk.orders.len();
        for _ in 0..r.poisson(rate * season_sum * engagement) {
            let day = d + r.below(ndays) as i32;
            let amount = r.lognormal(amount_mu, seg.amount_sigma) * market.price(day);
            chunk.orders.push(OrderRecord {
                customer: idx,
                day,
                amount_cents: (amount * 100.0).round() as i64,
            });
            if r.bernoulli(csat_p) {
                let at_s = (day + r.below(3) as i32) as i64 * DAY_S + r.below(DAY_S as u64) as i64;
                let pen = ticket_penalty(&chunk.tickets[t0..], at_s);
                let x = 8.1 + 1.3 * satisfaction + score_shift - pen + 1.1 * r.normal();
                let score = x.round().clamp(1.0, 10.0) as u8;
                if score <= 6 {
                    last_low_csat = last_low_csat.max(Some(at_s));
                }
                surveys.push(SurveyRecord {
                    customer: idx,
                    at_s,
                    kind: SurveyKind::Csat,
                    score,
                });
            }
        }
        chunk.orders[o_week..].sort_by_key(|o| o.day);

        // An occasional NPS response.
        if r.bernoulli(nps_p * ndays as f64 / 7.0) {
            let at_s = (d + r.below(ndays) as i32) as i64 * DAY_S + r.below(DAY_S as u64) as i64;
            let pen = 0.7 * ticket_penalty(&chunk.tickets[t0..], at_s);
            let x = 7.7 + 1.7 * satisfaction + 1.2 * score_shift - pen + 1.4 * r.normal();
            let score = x.round().clamp(0.0, 10.0) as u8;
            if score <= 6 {
                last_detractor = Some(at_s);
            } else if score >= 9 {
                last_promoter = Some(at_s);
            }
            surveys.push(SurveyRecord {
                customer: idx,
                at_s,
                kind: SurveyKind::Nps,
                score,
            });
        }

        // Churn hazard for the week (only while still engaged).
        if churn_day.is_none() && we < end {
            let now = (we as i64 + 1) * DAY_S;
            let s = support_at(&chunk.tickets[t0..], now, 60 * DAY_S);
            let within =
                |t: Option<i64>, days: i64| t.is_some_and(|t| t <= now && now - t <= days * DAY_S);
            let mut lp = lp_static
                + 0.55 * s.recent.min(4) as f64
                + 0.50 * s.urgent.min(2) as f64
                + 0.50 * s.open.min(2) as f64
                + price_sensitivity * market.shock(we, region);
            if s.slow {
                lp += 0.40;
            }
            if within(last_low_csat, 120) {
                lp += 0.6;
            }
            if within(last_detractor, 180) {
                lp += 0.5;
            } else if within(last_promoter, 180) {
                lp -= 0.3;
            }
            let tenure = (we + 1 - signup) as f64;
            let h =
                seg.base_hazard * (1.0 + 0.8 * (-tenure / 75.0).exp()) * lp.exp() * ndays as f64
                    / 7.0;
            if r.uniform() < -(-h).exp_m1() {
                engagement = 0.3 + 0.3 * r.uniform();
                score_shift = -1.2;
                complaint = 2.2;
                let delay = r.gamma(DELAY_SHAPE, DELAY_SCALE).round() as i32;
                churn_day = Some(we + 1 + delay);
            }
        }
        d = we + 1;
    }

    // Nothing after churn or end_day (a CSAT may have been placed up to 2 days later).
    let last_s = churn_day.map_or(end_s, |c| (c as i64 * DAY_S - 1).min(end_s));
    surveys.retain(|s| s.at_s <= last_s);
    surveys.sort_by_key(|s| s.at_s);
    chunk.surveys.extend_from_slice(surveys);
    debug_assert!(chunk.orders[o0..].windows(2).all(|w| w[0].day <= w[1].day));

    let latent_churn_day = churn_day.filter(|&c| c <= end);
    let churned_at = latent_churn_day.filter(|_| r.bernoulli(EXPLICIT_CANCEL));
    chunk.customers.push(CustomerRecord {
        signup_day: signup,
        segment: segment as u8,
        region: region as u8,
        churned_at,
        latent_churn_day,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2023-01-01 ..= 2025-12-31.
    fn cfg(n: usize) -> SimConfig {
        SimConfig {
            n_customers: n,
            seed: 20_240_601,
            start_day: 19_358,
            end_day: 20_453,
        }
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_358), (2023, 1, 1));
        assert_eq!(civil_from_days(20_453), (2025, 12, 31));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn deterministic_and_chunk_independent() {
        let c = cfg(100);
        let m = Market::new(&c);
        let a = simulate(&c, &m, 0..100);
        assert_eq!(a, simulate(&c, &Market::new(&c), 0..100));
        let x = simulate(&c, &m, 0..50);
        let y = simulate(&c, &m, 50..100);
        assert_eq!(y.first_customer, 50);
        let cat = |f: fn(&Chunk) -> usize| f(&x) + f(&y);
        assert_eq!(a.customers.len(), cat(|c| c.customers.len()));
        assert_eq!([x.customers, y.customers].concat(), a.customers);
        assert_eq!([x.orders, y.orders].concat(), a.orders);
        assert_eq!([x.tickets, y.tickets].concat(), a.tickets);
        assert_eq!([x.surveys, y.surveys].concat(), a.surveys);
        // A different seed gives a different world.
        let other = SimConfig {
            seed: 1,
            ..c.clone()
        };
        assert_ne!(
            simulate(&other, &Market::new(&other), 0..100).orders,
            a.orders
        );
    }

    #[test]
    fn invariants() {
        let c = cfg(3000);
        let m = Market::new(&c);
        let ch = simulate(&c, &m, 1000..4000);
        assert_eq!(ch.first_customer, 1000);
        assert_eq!(ch.customers.len(), 3000);
        let end_s = c.end_day as i64 * DAY_S + DAY_S - 1;
        // Events are grouped by customer in index order.
        for w in ch.orders.windows(2) {
            assert!(
                w[0].customer < w[1].customer
                    || (w[0].customer == w[1].customer && w[0].day <= w[1].day)
            );
        }
        for w in ch.tickets.windows(2) {
            assert!(
                w[0].customer < w[1].customer
                    || (w[0].customer == w[1].customer && w[0].created_s <= w[1].created_s)
            );
        }
        for w in ch.surveys.windows(2) {
            assert!(
                w[0].customer < w[1].customer
                    || (w[0].customer == w[1].customer && w[0].at_s <= w[1].at_s)
            );
        }
        let cust = |i: u32| &ch.customers[(i - ch.first_customer) as usize];
        // Last allowed day: the day before the true churn, or end_day.
        let last_day = |i: u32| {
            cust(i)
                .latent_churn_day
                .map_or(c.end_day, |d| (d - 1).min(c.end_day))
        };
        let start_s = |i: u32| cust(i).signup_day as i64 * DAY_S;
        for cr in &ch.customers {
            assert!(cr.signup_day >= c.start_day && cr.signup_day <= c.end_day - 30);
            assert!((cr.segment as usize) < SEGMENTS.len() && (cr.region as usize) < REGIONS.len());
            if let Some(d) = cr.latent_churn_day {
                assert!(d > cr.signup_day && d <= c.end_day);
            }
            if let Some(d) = cr.churned_at {
                assert_eq!(Some(d), cr.latent_churn_day);
            }
        }
        for o in &ch.orders {
            assert!(
                o.day >= cust(o.customer).signup_day && o.day <= last_day(o.customer),
                "{o:?}"
            );
            assert!(o.amount_cents >= 0);
        }
        for t in &ch.tickets {
            assert!(t.created_s >= start_s(t.customer));
            assert!(
                t.created_s < (last_day(t.customer) as i64 + 1) * DAY_S,
                "{t:?}"
            );
            assert!((t.priority as usize) < PRIORITIES.len());
            if let Some(r) = t.resolved_s {
                assert!(r >= t.created_s && r <= end_s);
            }
        }
        for s in &ch.surveys {
            assert!(s.at_s >= start_s(s.customer));
            assert!(s.at_s < (last_day(s.customer) as i64 + 1) * DAY_S, "{s:?}");
            match s.kind {
                SurveyKind::Csat => assert!((1..=10).contains(&s.score)),
                SurveyKind::Nps => assert!(s.score <= 10),
            }
        }
    }

    /// Probability that a random positive scores above a random negative (ties count half).
    fn auc(pos: &[f64], neg: &[f64]) -> f64 {
        let mut all: Vec<(f64, bool)> = pos
            .iter()
            .map(|&x| (x, true))
            .chain(neg.iter().map(|&x| (x, false)))
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (mut rank_sum, mut i) = (0.0, 0);
        while i < all.len() {
            let mut j = i;
            while j < all.len() && all[j].0 == all[i].0 {
                j += 1;
            }
            let avg_rank = (i + j + 1) as f64 / 2.0; // 1-based average rank
            rank_sum += avg_rank * all[i..j].iter().filter(|x| x.1).count() as f64;
            i = j;
        }
        let (np, nn) = (pos.len() as f64, neg.len() as f64);
        (rank_sum - np * (np + 1.0) / 2.0) / (np * nn)
    }

    #[test]
    fn calibration() {
        let n = 20_000u32;
        let c = cfg(n as usize);
        let m = Market::new(&c);
        let t = std::time::Instant::now();
        let ch = simulate(&c, &m, 0..n);
        let secs = t.elapsed().as_secs_f64();
        println!(
            "simulated {n} customers in {secs:.2}s ({:.0} customers/s, this build profile)",
            n as f64 / secs
        );

        let nf = n as f64;
        let orders_per = ch.orders.len() as f64 / nf;
        let tickets_per = ch.tickets.len() as f64 / nf;
        let cust_years: f64 = ch
            .customers
            .iter()
            .map(|cr| {
                (cr.latent_churn_day.unwrap_or(c.end_day + 1) - cr.signup_day) as f64 / 365.25
            })
            .sum();
        let surveys_per_year = ch.surveys.len() as f64 / cust_years;
        let mean_amount = ch.orders.iter().map(|o| o.amount_cents as f64).sum::<f64>()
            / ch.orders.len() as f64
            / 100.0;
        println!(
            "orders/customer {orders_per:.2}, tickets/customer {tickets_per:.2}, surveys/customer {:.2} \
             ({surveys_per_year:.2} per active customer-year, {:.2} per 3 years), mean order ${mean_amount:.2}",
            ch.surveys.len() as f64 / nf,
            3.0 * surveys_per_year
        );
        assert!(
            (18.0..=30.0).contains(&orders_per),
            "orders/customer {orders_per}"
        );
        assert!(
            (0.8..=2.5).contains(&(3.0 * surveys_per_year)),
            "surveys per 3 customer-years"
        );

        // Growth: last signup year roughly twice the first.
        let y1 = ch
            .customers
            .iter()
            .filter(|cr| cr.signup_day < c.start_day + 365)
            .count() as f64;
        let y3 = ch
            .customers
            .iter()
            .filter(|cr| cr.signup_day >= c.end_day - 30 - 365)
            .count() as f64;
        println!(
            "signups first year {y1}, last year {y3}, ratio {:.2}",
            y3 / y1
        );
        assert!((1.7..=2.3).contains(&(y3 / y1)));

        // Priority mix and resolution.
        let nt = ch.tickets.len() as f64;
        let mix: Vec<f64> = (0..4)
            .map(|p| ch.tickets.iter().filter(|t| t.priority == p).count() as f64 / nt)
            .collect();
        let open = ch.tickets.iter().filter(|t| t.resolved_s.is_none()).count() as f64 / nt;
        println!("priority mix {mix:.3?}, unresolved {open:.3}");
        assert!((mix[0] - 0.30).abs() < 0.03 && (mix[1] - 0.45).abs() < 0.03);
        assert!((mix[2] - 0.18).abs() < 0.02 && (mix[3] - 0.07).abs() < 0.015);
        assert!((0.025..0.08).contains(&open));

        // Survey scores.
        let csat: Vec<u8> = ch
            .surveys
            .iter()
            .filter(|s| s.kind == SurveyKind::Csat)
            .map(|s| s.score)
            .collect();
        let nps: Vec<u8> = ch
            .surveys
            .iter()
            .filter(|s| s.kind == SurveyKind::Nps)
            .map(|s| s.score)
            .collect();
        let low_csat = csat.iter().filter(|&&s| s <= 6).count() as f64 / csat.len() as f64;
        let detractors = nps.iter().filter(|&&s| s <= 6).count() as f64 / nps.len() as f64;
        let promoters = nps.iter().filter(|&&s| s >= 9).count() as f64 / nps.len() as f64;
        println!(
            "CSAT n={} (<=6: {low_csat:.3}), NPS n={} (detractors {detractors:.3}, promoters {promoters:.3})",
            csat.len(),
            nps.len()
        );
        assert!(
            (0.12..=0.30).contains(&low_csat),
            "CSAT<=6 share {low_csat}"
        );
        assert!(
            (0.22..=0.40).contains(&detractors),
            "NPS detractor share {detractors}"
        );

        // Churn as seen from a cut-off date T.
        let tcut = c.end_day - 180;
        let first = ch.first_customer;
        let mut last_before = vec![None::<i32>; n as usize];
        let mut after = vec![false; n as usize];
        for o in &ch.orders {
            let i = (o.customer - first) as usize;
            if o.day < tcut {
                last_before[i] = Some(o.day);
            } else if o.day < tcut + 90 {
                after[i] = true;
            }
        }
        let mut tickets_before = vec![0u32; n as usize];
        let mut tickets_all = vec![0u32; n as usize];
        for t in &ch.tickets {
            let i = (t.customer - first) as usize;
            tickets_all[i] += 1;
            if t.created_s < tcut as i64 * DAY_S && t.created_s >= (tcut as i64 - 90) * DAY_S {
                tickets_before[i] += 1;
            }
        }
        let active: Vec<usize> = (0..n as usize)
            .filter(|&i| last_before[i].is_some_and(|d| d >= tcut - 90))
            .collect();
        let lapsed = active.iter().filter(|&&i| !after[i]).count() as f64 / active.len() as f64;
        let churners: Vec<usize> = active
            .iter()
            .copied()
            .filter(|&i| {
                ch.customers[i]
                    .latent_churn_day
                    .is_some_and(|d| d < tcut + 90)
            })
            .collect();
        let stayers: Vec<usize> = active
            .iter()
            .copied()
            .filter(|&i| {
                ch.customers[i]
                    .latent_churn_day
                    .is_none_or(|d| d >= tcut + 90)
            })
            .collect();
        let recency = |i: usize| (tcut - last_before[i].unwrap()) as f64;
        let mean = |v: &[usize], f: &dyn Fn(usize) -> f64| {
            v.iter().map(|&i| f(i)).sum::<f64>() / v.len() as f64
        };
        let rec_c = mean(&churners, &recency);
        let rec_s = mean(&stayers, &recency);
        let tk = |i: usize| tickets_before[i] as f64;
        let (tk_c, tk_s) = (mean(&churners, &tk), mean(&stayers, &tk));
        let rec_pos: Vec<f64> = churners.iter().map(|&i| recency(i)).collect();
        let rec_neg: Vec<f64> = stayers.iter().map(|&i| recency(i)).collect();
        let auc_rec = auc(&rec_pos, &rec_neg);
        let tk_pos: Vec<f64> = churners.iter().map(|&i| tk(i)).collect();
        let tk_neg: Vec<f64> = stayers.iter().map(|&i| tk(i)).collect();
        let auc_tk = auc(&tk_pos, &tk_neg);
        println!(
            "at T=end-180: active {} , no order in next 90d {lapsed:.3}, latent churn within 90d {:.3}",
            active.len(),
            churners.len() as f64 / active.len() as f64
        );
        println!("  recency churners {rec_c:.1}d vs stayers {rec_s:.1}d (AUC {auc_rec:.3})");
        let lapse_pos: Vec<f64> = active
            .iter()
            .filter(|&&i| !after[i])
            .map(|&i| recency(i))
            .collect();
        let lapse_neg: Vec<f64> = active
            .iter()
            .filter(|&&i| after[i])
            .map(|&i| recency(i))
            .collect();
        let auc_lapse = auc(&lapse_pos, &lapse_neg);
        println!("  recency AUC for the 'no order in next 90d' label {auc_lapse:.3}");
        println!("  tickets in last 90d churners {tk_c:.3} vs stayers {tk_s:.3} (AUC {auc_tk:.3})");
        assert!(
            (0.10..=0.40).contains(&lapsed),
            "active lapse share {lapsed}"
        );
        assert!(rec_c > 1.5 * rec_s, "recency {rec_c} vs {rec_s}");
        assert!(
            (0.6..=0.9).contains(&auc_lapse),
            "recency alone must not reveal lapse: AUC {auc_lapse}"
        );
        assert!(tk_c > 1.2 * tk_s, "tickets {tk_c} vs {tk_s}");
        assert!(
            (0.6..=0.9).contains(&auc_rec),
            "recency alone must not reveal churn: AUC {auc_rec}"
        );

        // Lifetime tickets per active week: churners vs stayers.
        let per_week = |i: usize| {
            let cr = &ch.customers[i];
            let stop = cr.latent_churn_day.unwrap_or(c.end_day + 1);
            tickets_all[i] as f64 / ((stop - cr.signup_day).max(1) as f64 / 7.0)
        };
        let all: Vec<usize> = (0..n as usize).collect();
        let ever: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&i| ch.customers[i].latent_churn_day.is_some())
            .collect();
        let never: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&i| ch.customers[i].latent_churn_day.is_none())
            .collect();
        let (tw_c, tw_s) = (mean(&ever, &per_week), mean(&never, &per_week));
        let explicit = ch
            .customers
            .iter()
            .filter(|cr| cr.churned_at.is_some())
            .count() as f64
            / ever.len() as f64;
        println!(
            "churned by end: {:.3} of customers, explicit cancel {explicit:.3}; tickets/active week churners {tw_c:.4} vs stayers {tw_s:.4}",
            ever.len() as f64 / nf
        );
        assert!(
            tw_c > 1.15 * tw_s,
            "tickets per active week {tw_c} vs {tw_s}"
        );
        assert!((0.30..=0.45).contains(&explicit));
    }
}
