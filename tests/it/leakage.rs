//! No leakage: adding or changing any event after T changes no feature at T.

use churn::data::{Customers, Offsets, Orders, RawTables, SurveyKind, Surveys, Tickets};
use churn::features::{self, FeatureConfig};
use proptest::prelude::*;

const DAY: i64 = 86_400;

#[derive(Clone, Debug)]
struct Customer {
    signup: i32,
    orders: Vec<(i32, f64)>,
    tickets: Vec<(i64, u8, Option<i64>)>,
    surveys: Vec<(i64, bool, u8)>,
}

fn tables(customers: &[Customer]) -> RawTables {
    let (mut o, mut t, mut s) = (Orders::default(), Tickets::default(), Surveys::default());
    let (mut oo, mut to, mut so) = (vec![0], vec![0], vec![0]);
    for c in customers {
        let mut orders = c.orders.clone();
        orders.sort_by_key(|o| o.0);
        for (d, a) in orders {
            o.day.push(d);
            o.amount.push(a);
        }
        oo.push(o.day.len());
        let mut tickets = c.tickets.clone();
        tickets.sort_by_key(|t| t.0);
        for (created, p, resolved) in tickets {
            t.created.push(created);
            t.priority.push(p);
            t.resolved.push(resolved);
        }
        to.push(t.created.len());
        let mut surveys = c.surveys.clone();
        surveys.sort_by_key(|s| s.0);
        for (at, csat, score) in surveys {
            s.at.push(at);
            s.kind.push(if csat {
                SurveyKind::Csat
            } else {
                SurveyKind::Nps
            });
            s.score.push(score);
        }
        so.push(s.at.len());
    }
    o.offsets = Offsets(oo);
    t.offsets = Offsets(to);
    s.offsets = Offsets(so);
    RawTables {
        customers: Customers {
            ids: (0..customers.len()).map(|i| format!("C{i}")).collect(),
            signup_day: customers.iter().map(|c| c.signup).collect(),
            ..Customers::default()
        },
        data_end: o.day.iter().copied().max().unwrap_or(0),
        orders: o,
        tickets: Some(t),
        surveys: Some(s),
    }
}

fn customer() -> impl Strategy<Value = Customer> {
    (
        0..400i32,
        prop::collection::vec((0..700i32, 0.0..500.0f64), 0..12),
        prop::collection::vec((0..700 * DAY, 0..4u8, prop::option::of(0..90 * DAY)), 0..5),
        prop::collection::vec((0..700 * DAY, any::<bool>(), 0..=10u8), 0..5),
    )
        .prop_map(|(signup, orders, tickets, surveys)| Customer {
            signup,
            orders,
            tickets: tickets
                .into_iter()
                .map(|(c, p, r)| (c, p, r.map(|r| c + r)))
                .collect(),
            surveys,
        })
}

/// Events strictly after the end of day `t`, and new resolutions of tickets open at `t`.
fn future(t: i32, c: &Customer, seed: u64) -> Customer {
    let after = (i64::from(t) + 1) * DAY;
    let mut c = c.clone();
    let k = (seed % 7) as i32 + 1;
    c.orders.push((t + k, 10.0 * f64::from(k)));
    c.orders.push((t + 90 + k, 1.0));
    // Orders after T may also be changed.
    for o in c.orders.iter_mut().filter(|o| o.0 > t) {
        o.1 += 1.0;
    }
    c.tickets
        .push((after + i64::from(k) * 3600, (seed % 4) as u8, None));
    for ticket in c.tickets.iter_mut() {
        if ticket.2.is_none_or(|r| r >= after) && ticket.0 < after {
            ticket.2 = Some(after + i64::from(k) * 60);
        }
    }
    c.surveys
        .push((after + 5, seed.is_multiple_of(2), (seed % 11) as u8));
    c
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn events_after_t_change_no_feature(
        customers in prop::collection::vec(customer(), 1..8),
        t in 100..600i32,
        seed in any::<u64>(),
    ) {
        let before = features::build(&tables(&customers), &[t], FeatureConfig::default());
        let changed: Vec<Customer> = customers.iter().map(|c| future(t, c, seed)).collect();
        let after = features::build(&tables(&changed), &[t], FeatureConfig::default());
        prop_assert_eq!(&before.customer, &after.customer);
        prop_assert_eq!(&before.populations, &after.populations);
        for (a, b) in before.numeric.iter().zip(&after.numeric) {
            prop_assert_eq!(a.bits(), b.bits());
        }
    }
}
