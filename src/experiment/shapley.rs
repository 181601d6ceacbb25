//! Shapley values of a set function: how much of `v(all) - v(none)` each player contributes,
//! averaged over every order in which the players could be added (Shorrocks 1999/2013), which
//! removes the dependence of a sequential decomposition on the order chosen.
//!
//! A coalition is a bit set (`u64`, bit `i` = player `i`). Up to [`MAX_EXACT`] players every
//! coalition is evaluated and the values are exact; beyond, permutations are sampled (seeded)
//! and each player's value is the mean of its marginal contributions over them, with the
//! standard error of that mean. Both add up exactly to `v(all) - v(none)`: each permutation's
//! contributions telescope.

use std::collections::{BTreeMap, BTreeSet};

use super::design::permutation;
use crate::engine::draws::chacha8;

/// Players up to which every coalition is evaluated (`2^12 = 4096` coalitions).
pub const MAX_EXACT: usize = 12;

/// A set of players as a bit set.
pub type Coalition = u64;

/// The coalition of all `n` players.
pub fn all(n: usize) -> Coalition {
    if n >= 64 { u64::MAX } else { (1u64 << n) - 1 }
}

/// How the values are computed.
#[derive(Clone, Debug, PartialEq)]
pub enum Plan {
    /// Every coalition of `n` players.
    Exact { n: usize },
    /// These permutations of the players.
    Sampled { n: usize, permutations: Vec<Vec<usize>> },
}

impl Plan {
    /// Exact for up to [`MAX_EXACT`] players, else `permutations` orders drawn from ChaCha8 keyed
    /// by `seed` (stream 5).
    pub fn new(n: usize, permutations: usize, seed: u64) -> Plan {
        if n <= MAX_EXACT {
            return Plan::Exact { n };
        }
        let mut rng = chacha8(seed, 5);
        Plan::Sampled { n, permutations: (0..permutations).map(|_| permutation(&mut rng, n)).collect() }
    }

    pub fn players(&self) -> usize {
        match self {
            Plan::Exact { n } | Plan::Sampled { n, .. } => *n,
        }
    }

    /// Every coalition whose value is needed, ascending.
    pub fn coalitions(&self) -> Vec<Coalition> {
        match self {
            Plan::Exact { n } => (0..=all(*n)).collect(),
            Plan::Sampled { n, permutations } => {
                let mut set = BTreeSet::new();
                for p in permutations {
                    let mut s = 0;
                    set.insert(s);
                    for &i in p {
                        s |= 1 << i;
                        set.insert(s);
                    }
                }
                set.insert(all(*n));
                set.into_iter().collect()
            }
        }
    }
}

/// Shapley values with their standard errors (0 when exact).
#[derive(Clone, Debug, PartialEq)]
pub struct Values {
    pub phi: Vec<f64>,
    pub se: Vec<f64>,
}

/// The Shapley values of `v` (given at every coalition `plan.coalitions()` lists).
///
/// # Panics
/// If `v` lacks a coalition the plan needs: a bug in the caller.
pub fn shapley(plan: &Plan, v: &BTreeMap<Coalition, f64>) -> Values {
    let get = |s: Coalition| *v.get(&s).unwrap_or_else(|| panic!("no value for coalition {s:b}"));
    match plan {
        Plan::Exact { n } => {
            let n = *n;
            let w = weights(n, 1);
            let mut phi = vec![0.0; n];
            for (i, p) in phi.iter_mut().enumerate() {
                let bit = 1u64 << i;
                for s in 0..=all(n) {
                    if s & bit == 0 {
                        *p += w[s.count_ones() as usize] * (get(s | bit) - get(s));
                    }
                }
            }
            Values { phi, se: vec![0.0; n] }
        }
        Plan::Sampled { n, permutations } => {
            let m = permutations.len();
            let mut contributions = vec![Vec::with_capacity(m); *n];
            for p in permutations {
                let mut s = 0;
                for &i in p {
                    let next = s | 1 << i;
                    contributions[i].push(get(next) - get(s));
                    s = next;
                }
            }
            let phi: Vec<f64> = contributions.iter().map(|c| c.iter().sum::<f64>() / m as f64).collect();
            let se = contributions
                .iter()
                .zip(&phi)
                .map(|(c, &mean)| {
                    if m < 2 {
                        return f64::NAN;
                    }
                    let var = c.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (m - 1) as f64;
                    (var / m as f64).sqrt()
                })
                .collect();
            Values { phi, se }
        }
    }
}

/// `w[s] = s! (n - s - k)! / (n - k + 1)!`: the weight of a coalition of size `s` not holding
/// the `k` players considered (k = 1: Shapley values; k = 2: pair interactions).
fn weights(n: usize, k: usize) -> Vec<f64> {
    let ln_fact = |m: usize| (1..=m).map(|i| (i as f64).ln()).sum::<f64>();
    (0..=n.saturating_sub(k)).map(|s| (ln_fact(s) + ln_fact(n - s - k) - ln_fact(n - k + 1)).exp()).collect()
}

/// The Shapley interaction index of every pair (Grabisch 1997): the weighted mean over
/// coalitions `S` without `i` and `j` of `v(S ∪ ij) - v(S ∪ i) - v(S ∪ j) + v(S)`, i.e. how much
/// more (or less) the two do together than apart. Exact plans only; pairs `(i, j)` with `i < j`.
pub fn interactions(n: usize, v: &BTreeMap<Coalition, f64>) -> Vec<(usize, usize, f64)> {
    let get = |s: Coalition| v.get(&s).copied().unwrap_or(f64::NAN);
    let w = weights(n, 2);
    let mut out = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            let (bi, bj) = (1u64 << i, 1u64 << j);
            let mut total = 0.0;
            for s in 0..=all(n) {
                if s & (bi | bj) == 0 {
                    total += w[s.count_ones() as usize] * (get(s | bi | bj) - get(s | bi) - get(s | bj) + get(s));
                }
            }
            out.push((i, j, total));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(n: usize, f: impl Fn(Coalition) -> f64) -> BTreeMap<Coalition, f64> {
        (0..=all(n)).map(|s| (s, f(s))).collect()
    }

    #[test]
    fn additive_games_give_each_player_its_own_part() {
        let part = [3.0, -1.0, 0.5];
        let v = table(3, |s| (0..3).filter(|i| s & (1 << i) != 0).map(|i| part[i]).sum());
        let plan = Plan::new(3, 0, 1);
        let values = shapley(&plan, &v);
        for (p, want) in values.phi.iter().zip(part) {
            assert!((p - want).abs() < 1e-12);
        }
        assert!(interactions(3, &v).iter().all(|&(_, _, x)| x.abs() < 1e-12));
    }

    /// Two players who do something only together split it equally; their interaction is the
    /// whole of it; a third player who does nothing gets nothing.
    #[test]
    fn a_pure_interaction_is_split_equally() {
        let v = table(3, |s| if s & 0b011 == 0b011 { 10.0 } else { 0.0 });
        let values = shapley(&Plan::Exact { n: 3 }, &v);
        assert_eq!(values.phi.iter().map(|p| (p * 1e9).round() / 1e9).collect::<Vec<_>>(), vec![5.0, 5.0, 0.0]);
        let inter = interactions(3, &v);
        assert!((inter[0].2 - 10.0).abs() < 1e-12, "{inter:?}");
        assert!(inter[1].2.abs() < 1e-12 && inter[2].2.abs() < 1e-12);
    }

    /// Sampled permutations: efficient exactly, and close to the exact values with their
    /// standard errors.
    #[test]
    fn sampled_values_are_efficient_and_close() {
        let n = 14;
        let f = |s: Coalition| {
            let k = s.count_ones() as f64;
            (0..n).filter(|i| s & (1 << i) != 0).map(|i| i as f64).sum::<f64>()
                + if s & 0b11 == 0b11 { 7.0 } else { 0.0 }
                + k * k * 0.1
        };
        let plan = Plan::new(n, 400, 3);
        assert!(matches!(plan, Plan::Sampled { .. }));
        let v: BTreeMap<Coalition, f64> = plan.coalitions().into_iter().map(|s| (s, f(s))).collect();
        let values = shapley(&plan, &v);
        let total: f64 = values.phi.iter().sum();
        assert!((total - (f(all(n)) - f(0))).abs() < 1e-9);
        // Exact values: i + (7/2 for players 0 and 1) + 0.1 n (the k² term splits equally: n² / n).
        for (i, (p, se)) in values.phi.iter().zip(&values.se).enumerate() {
            let want = i as f64 + if i < 2 { 3.5 } else { 0.0 } + 0.1 * n as f64;
            assert!((p - want).abs() < 4.0 * se + 1e-9, "player {i}: {p} vs {want} (se {se})");
        }
    }

    #[test]
    fn exact_plans_list_every_coalition() {
        assert_eq!(Plan::new(3, 10, 1).coalitions(), (0..8).collect::<Vec<_>>());
        assert_eq!(all(64), u64::MAX);
    }
}
