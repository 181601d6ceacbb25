//! Sequential Monte Carlo with adaptive tempering (Del Moral, Doucet and Jasra 2006; Jasra,
//! Stephens, Doucet and Tsagaris 2011) for `caseflow ensemble --sampler smc`, the default.
//!
//! Why: population Monte Carlo weighs each generation's candidates by importance, and with a
//! synthetic likelihood over a hundred or more target rows the weights fall on a few of them
//! (effective sample sizes of 1-6 of 48 in the refit of issue 20): the ensemble then holds a
//! handful of distinct parameter sets, fewer than its band pretends. Tempering reaches the
//! posterior in steps small enough that the weights never collapse, and Metropolis moves after
//! each step give the particles positions of their own.
//!
//! The bridge runs from the first proposal `q0` (the prior, or a normal around the scenario's
//! values truncated to the bounds) to the posterior `p L` (`p` uniform on the bounds):
//!
//! ```text
//! pi_b(x) ∝ q0(x)^(1 - b) (p(x) L(x))^b,   b from 0 to 1.
//! ```
//!
//! 1. `particles` candidates from `q0`, each with its log likelihood (generation 0).
//! 2. Each step raises `b` by the most, at most to 1, that keeps the effective sample size of
//!    the incremental weights `(p L / q0)^(b' - b)` at [`ESS_KEPT`] of the particles
//!    (bisection); the last step allowed (`generations`) goes to 1 whatever it keeps. The
//!    particles are resampled by weight (systematic), then each makes `moves` random-walk
//!    Metropolis moves that leave `pi_b` unchanged: a normal step of [`STEP_SCALE`]` / sqrt(d)`
//!    times the population's standard deviation per coordinate (Roberts and Rosenthal 2001),
//!    rejected outside the bounds (the prior is 0 there) and otherwise accepted with
//!    probability `min(1, pi_b(y) / pi_b(x))`. Each move is a generation of candidates.
//! 3. At `b = 1` the particles, equally weighted, are a sample of the posterior.
//!
//! A candidate's likelihood is the same function of its values as population Monte Carlo's
//! (every candidate on the same runs of the same master seed), so the bridge and the moves are
//! exact for it; a rejected move costs its runs and changes nothing else. Everything is
//! seeded: the same inputs give the same ensemble, byte for byte, on any number of threads.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::ensemble::{
    EnsembleOptions, GenerationSummary, Likelihood, MIN_KERNEL_SD, Mixture, Particle, Sampled, distinct, systematic,
};
use super::{CalibrateError, Template};
use crate::engine::dist::normal_quantile;
use crate::experiment::design::unit_f64;

/// Each tempering step keeps this share of the particles as effective sample size: the usual
/// choice (Jasra et al. 2011), a step as long as half the population can carry.
pub const ESS_KEPT: f64 = 0.5;

/// The random-walk step in population standard deviations, over `sqrt(d)`: the optimal
/// scaling of a Gaussian random walk in `d` dimensions (Roberts and Rosenthal 2001).
pub const STEP_SCALE: f64 = 2.38;

/// Moves accepted less often than this shrink the next move's step, more often than
/// [`ACCEPT_HIGH`] stretch it, by [`STEP_ADAPT`]: the population changes between steps, so the
/// step follows the acceptance rather than a fixed formula (a rate near 0.23 is optimal).
pub const ACCEPT_LOW: f64 = 0.15;
pub const ACCEPT_HIGH: f64 = 0.4;
pub const STEP_ADAPT: f64 = 1.5;

/// Bisection steps for the next temperature: 2^-50 of the remaining interval.
const BISECTION_STEPS: usize = 50;

/// A standard normal draw (inverse distribution function of a uniform strictly inside (0, 1)).
fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    normal_quantile(((rng.next_u64() >> 11) as f64 + 0.5) * (1.0 / 9_007_199_254_740_992.0))
}

/// The log density of the first proposal at `x` (0 for the prior, uniform on the unit box).
/// Computed in logs: far from the center the density underflows.
fn ln_q0(q0: Option<&Mixture>, x: &[f64]) -> f64 {
    let Some(m) = q0 else { return 0.0 };
    let center = &m.centers[0];
    let ln_norm = 0.5 * (2.0 * std::f64::consts::PI).ln();
    x.iter()
        .zip(center)
        .zip(&m.sd)
        .map(|((&xi, &c), &s)| {
            let mass = super::ensemble::phi_cdf((1.0 - c) / s) - super::ensemble::phi_cdf(-c / s);
            let z = (xi - c) / s;
            -0.5 * z * z - ln_norm - s.ln() - mass.max(1e-300).ln()
        })
        .sum()
}

/// The effective sample size of weights `exp(delta a_i)` (0 for `a_i = -inf`).
fn ess(a: &[f64], delta: f64) -> f64 {
    let top = a.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (mut sum, mut sum2) = (0.0, 0.0);
    for &ai in a {
        let w = if ai == f64::NEG_INFINITY { 0.0 } else { (delta * (ai - top)).exp() };
        sum += w;
        sum2 += w * w;
    }
    if sum2 > 0.0 { sum * sum / sum2 } else { 0.0 }
}

/// Runs the tempered sampler (module documentation).
pub(super) fn tempered_smc(
    o: &EnsembleOptions,
    template: &Template,
    q0: Option<&Mixture>,
    rng: &mut ChaCha8Rng,
    likelihood: &Likelihood,
) -> Result<Sampled, CalibrateError> {
    if o.moves == 0 {
        return Err(CalibrateError::Other("--moves must be at least 1 with --sampler smc".into()));
    }
    let n = o.particles;
    let d = template.dimension();
    let mut generation = 0;
    let mut all: Vec<Particle> = Vec::new();
    let mut summaries = Vec::new();

    // Generation 0: draws from q0, equally weighted (a sample of pi_0).
    let xs: Vec<Vec<f64>> = (0..n)
        .map(|_| match q0 {
            None => (0..d).map(|_| unit_f64(rng)).collect(),
            Some(m) => m.draw(rng),
        })
        .collect();
    let values: Vec<Vec<f64>> = xs.iter().map(|x| template.values(x)).collect();
    let ls = likelihood(generation, &values);
    let mut population: Vec<Particle> = (0..n)
        .map(|i| Particle {
            generation,
            x: xs[i].clone(),
            values: values[i].clone(),
            log_likelihood: ls[i],
            weight: 1.0 / n as f64,
        })
        .collect();
    let best = |pop: &[Particle]| pop.iter().map(|p| p.log_likelihood).fold(f64::NEG_INFINITY, f64::max);
    if best(&population) == f64::NEG_INFINITY {
        return Err(CalibrateError::Other("generation 0: no candidate scenario loads".into()));
    }
    all.extend(population.iter().cloned());
    summaries.push(GenerationSummary {
        generation,
        candidates: n,
        ess: n as f64,
        best_log_likelihood: best(&population),
        temperature: Some(0.0),
        acceptance: None,
        distinct: distinct(population.iter().map(|p| &p.x)),
    });

    let mut b = 0.0;
    let mut scale = STEP_SCALE / (d as f64).sqrt();
    let mut step = 0;
    while b < 1.0 {
        step += 1;
        // The incremental log weight per unit of temperature: ln(p L / q0).
        let a: Vec<f64> = population.iter().map(|p| p.log_likelihood - ln_q0(q0, &p.x)).collect();
        let room = 1.0 - b;
        let wanted = ESS_KEPT * n as f64;
        let delta = if step >= o.generations || ess(&a, room) >= wanted {
            room
        } else {
            let (mut lo, mut hi) = (0.0, room);
            for _ in 0..BISECTION_STEPS {
                let mid = 0.5 * (lo + hi);
                if ess(&a, mid) >= wanted { lo = mid } else { hi = mid }
            }
            // At least a little progress, even where a single particle dominates at once.
            lo.max(room * 1e-6)
        };
        let step_ess = ess(&a, delta);
        b = if delta >= room { 1.0 } else { b + delta };
        let top = a.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let raw: Vec<f64> =
            a.iter().map(|&ai| if ai == f64::NEG_INFINITY { 0.0 } else { (delta * (ai - top)).exp() }).collect();
        let total: f64 = raw.iter().sum();
        let weights: Vec<f64> = raw.iter().map(|w| w / total).collect();
        population = systematic(&weights, n, rng).into_iter().map(|j| population[j].clone()).collect();

        // The target's log density at temperature b.
        let ln_target = |x: &[f64], l: f64| (1.0 - b) * ln_q0(q0, x) + b * l;
        for _ in 0..o.moves {
            generation += 1;
            let sd: Vec<f64> = (0..d)
                .map(|k| {
                    let mean = population.iter().map(|p| p.x[k]).sum::<f64>() / n as f64;
                    let var = population.iter().map(|p| (p.x[k] - mean).powi(2)).sum::<f64>() / n as f64;
                    (scale * var.sqrt()).max(MIN_KERNEL_SD)
                })
                .collect();
            // Every particle proposes (its normals drawn in particle order, then its
            // acceptance uniform), so the draws do not depend on which proposals fall inside.
            let proposals: Vec<Vec<f64>> = population
                .iter()
                .map(|p| p.x.iter().zip(&sd).map(|(&x, &s)| x + s * standard_normal(rng)).collect())
                .collect();
            let accept_draws: Vec<f64> = (0..n).map(|_| unit_f64(rng)).collect();
            let inside: Vec<usize> = (0..n).filter(|&i| proposals[i].iter().all(|v| (0.0..=1.0).contains(v))).collect();
            let values: Vec<Vec<f64>> = inside.iter().map(|&i| template.values(&proposals[i])).collect();
            let ls = likelihood(generation, &values);
            let mut accepted = 0;
            for (k, &i) in inside.iter().enumerate() {
                let l = ls[k];
                let take = l > f64::NEG_INFINITY
                    && accept_draws[i].ln()
                        < ln_target(&proposals[i], l) - ln_target(&population[i].x, population[i].log_likelihood);
                let candidate = Particle {
                    generation,
                    x: proposals[i].clone(),
                    values: values[k].clone(),
                    log_likelihood: l,
                    weight: if take { 1.0 / n as f64 } else { 0.0 },
                };
                all.push(candidate.clone());
                if take {
                    population[i] = candidate;
                    accepted += 1;
                }
            }
            let acceptance = accepted as f64 / n as f64;
            summaries.push(GenerationSummary {
                generation,
                candidates: inside.len(),
                ess: step_ess,
                best_log_likelihood: best(&population),
                temperature: Some(b),
                acceptance: Some(acceptance),
                distinct: distinct(population.iter().map(|p| &p.x)),
            });
            if acceptance < ACCEPT_LOW {
                scale /= STEP_ADAPT;
            } else if acceptance > ACCEPT_HIGH {
                scale *= STEP_ADAPT;
            }
        }
    }
    for p in &mut population {
        p.weight = 1.0 / n as f64;
    }
    Ok(Sampled { generations: summaries, posterior: population, all })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ess_of_equal_and_of_one_dominant_weight() {
        assert!((ess(&[1.0, 1.0, 1.0, 1.0], 3.0) - 4.0).abs() < 1e-12);
        assert!((ess(&[0.0, -1e9, -1e9], 1.0) - 1.0).abs() < 1e-12);
        assert_eq!(ess(&[f64::NEG_INFINITY, 2.0], 1.0), 1.0);
        // Weights e^0 and e^-ln 3 = 1/3: (4/3)^2 / (10/9) = 1.6.
        assert!((ess(&[0.0, -(3f64.ln())], 1.0) - 1.6).abs() < 1e-12);
    }

    #[test]
    fn systematic_resampling_keeps_expected_counts() {
        let mut rng = crate::engine::draws::chacha8(1, 2);
        let picks = systematic(&[0.5, 0.25, 0.25], 8, &mut rng);
        let count = |j| picks.iter().filter(|&&p| p == j).count();
        assert_eq!((count(0), count(1), count(2)), (4, 2, 2));
    }

    #[test]
    fn ln_q0_matches_the_mixtures_density() {
        let m = Mixture { centers: vec![vec![0.3, 0.9]], weights: vec![1.0], sd: vec![0.1, 0.05] };
        for x in [[0.3, 0.9], [0.1, 1.0], [0.55, 0.8]] {
            assert!((ln_q0(Some(&m), &x) - m.density(&x).ln()).abs() < 1e-9, "{x:?}");
        }
        assert_eq!(ln_q0(None, &[0.2, 0.4]), 0.0);
        // Far out, where the density itself underflows, the log stays finite.
        let narrow = Mixture { centers: vec![vec![0.0; 20]], weights: vec![1.0], sd: vec![0.01; 20] };
        assert!(ln_q0(Some(&narrow), &[1.0; 20]).is_finite());
    }
}
