//! sep-CMA-ES: the covariance matrix adaptation evolution strategy with a diagonal covariance
//! (Ros & Hansen 2008, "A simple modification in CMA-ES achieving linear time and space
//! complexity"), on parameters normalised to the box `[0, 1]^n`.
//!
//! Each generation samples `lambda` points `x = m + sigma * sqrt(C) z` with `z ~ N(0, I)`,
//! mirrored back into the box; the `mu` best are recombined into the new mean, and the step
//! size and the diagonal covariance adapt from the evolution paths. Formulas and default
//! constants follow Hansen, "The CMA Evolution Strategy: A Tutorial" (2016), with the
//! covariance learning rates multiplied by (n + 2) / 3 as Ros & Hansen prescribe for the
//! diagonal variant.
//!
//! Everything is deterministic: the normals of generation `g` come from a ChaCha8 generator
//! keyed by the optimiser's seed on stream `g`, so generation `g` samples the same points
//! whether the run was interrupted and resumed before it or not; ties in the ranking are
//! broken by candidate index.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The state that evolves from generation to generation (all of it is saved for a resume).
#[derive(Clone, Debug, PartialEq)]
pub struct CmaState {
    /// Distribution mean, in the normalised box.
    pub mean: Vec<f64>,
    /// Overall step size.
    pub sigma: f64,
    /// Diagonal of the covariance matrix.
    pub diag_c: Vec<f64>,
    /// Evolution path of the step size (conjugate path).
    pub path_sigma: Vec<f64>,
    /// Evolution path of the covariance.
    pub path_c: Vec<f64>,
    /// Completed generations.
    pub generation: u64,
}

/// Constants derived from the dimension and the population size.
#[derive(Clone, Debug)]
struct Params {
    n: usize,
    lambda: usize,
    weights: Vec<f64>,
    mueff: f64,
    cs: f64,
    ds: f64,
    cc: f64,
    c1: f64,
    cmu: f64,
    /// E||N(0, I)||.
    chi_n: f64,
}

impl Params {
    fn new(n: usize, lambda: usize) -> Params {
        let nf = n as f64;
        let mu = lambda / 2;
        let raw: Vec<f64> = (1..=mu).map(|i| ((lambda as f64 + 1.0) / 2.0).ln() - (i as f64).ln()).collect();
        let sum: f64 = raw.iter().sum();
        let weights: Vec<f64> = raw.iter().map(|w| w / sum).collect();
        let mueff = 1.0 / weights.iter().map(|w| w * w).sum::<f64>();
        let cs = (mueff + 2.0) / (nf + mueff + 5.0);
        let ds = 1.0 + 2.0 * (((mueff - 1.0) / (nf + 1.0)).sqrt() - 1.0).max(0.0) + cs;
        let cc = (4.0 + mueff / nf) / (nf + 4.0 + 2.0 * mueff / nf);
        let c1 = 2.0 / ((nf + 1.3).powi(2) + mueff);
        let cmu = (2.0 * (mueff - 2.0 + 1.0 / mueff) / ((nf + 2.0).powi(2) + mueff)).min(1.0 - c1);
        // sep-CMA-ES: a diagonal has n, not n^2/2, free entries, so it can learn faster.
        let sep = (nf + 2.0) / 3.0;
        let c1 = (c1 * sep).min(1.0);
        let cmu = (cmu * sep).min(1.0 - c1);
        let chi_n = nf.sqrt() * (1.0 - 1.0 / (4.0 * nf) + 1.0 / (21.0 * nf * nf));
        Params { n, lambda, weights, mueff, cs, ds, cc, c1, cmu, chi_n }
    }
}

/// Largest step size: the box has width 1, a larger sigma only makes sampling uniform-ish.
const SIGMA_MAX: f64 = 1.0;

/// The optimiser: constants plus evolving state.
#[derive(Clone, Debug)]
pub struct SepCmaEs {
    params: Params,
    pub state: CmaState,
}

impl SepCmaEs {
    /// Starts at `x0` (in the box) with step size `sigma0` and `lambda` candidates per
    /// generation (at least 2).
    pub fn new(x0: Vec<f64>, sigma0: f64, lambda: usize) -> SepCmaEs {
        let n = x0.len();
        SepCmaEs {
            params: Params::new(n, lambda.max(2)),
            state: CmaState {
                mean: x0,
                sigma: sigma0,
                diag_c: vec![1.0; n],
                path_sigma: vec![0.0; n],
                path_c: vec![0.0; n],
                generation: 0,
            },
        }
    }

    /// Continues from a saved state.
    ///
    /// # Errors
    /// When the state's vectors do not all have `n` entries, or a value is not usable.
    pub fn resume(state: CmaState, n: usize, lambda: usize) -> Result<SepCmaEs, String> {
        for (name, v) in [
            ("mean", &state.mean),
            ("diag_c", &state.diag_c),
            ("path_sigma", &state.path_sigma),
            ("path_c", &state.path_c),
        ] {
            if v.len() != n {
                return Err(format!("`{name}` has {} entries, expected {n} (one per free parameter)", v.len()));
            }
            if v.iter().any(|x| !x.is_finite()) {
                return Err(format!("`{name}` holds a value that is not a finite number"));
            }
        }
        if !(state.sigma.is_finite() && state.sigma > 0.0) || state.diag_c.iter().any(|c| *c <= 0.0) {
            return Err("`sigma` and `diag_c` must be positive".to_string());
        }
        Ok(SepCmaEs { params: Params::new(n, lambda.max(2)), state })
    }

    /// Candidates per generation.
    pub fn lambda(&self) -> usize {
        self.params.lambda
    }

    /// The largest standard deviation of the search distribution along a coordinate, in
    /// normalised units: the scale of the steps still being taken.
    pub fn max_step(&self) -> f64 {
        self.state.sigma * self.state.diag_c.iter().copied().fold(0.0, f64::max).sqrt()
    }

    /// The `lambda` candidates of the next generation (`generation + 1`), in the box.
    pub fn sample(&self, seed: u64) -> Vec<Vec<f64>> {
        let mut normals = Normals::new(seed, self.state.generation + 1);
        let s = &self.state;
        (0..self.params.lambda)
            .map(|_| {
                (0..self.params.n).map(|i| mirror(s.mean[i] + s.sigma * s.diag_c[i].sqrt() * normals.next())).collect()
            })
            .collect()
    }

    /// Updates the distribution from the candidates of the generation just sampled and their
    /// losses (lower is better; NaN ranks last), and counts the generation as completed.
    ///
    /// The update uses the candidates as evaluated, i.e. after mirroring into the box, so the
    /// mean (a weighted average of candidates) stays in the box.
    pub fn tell(&mut self, points: &[Vec<f64>], losses: &[f64]) {
        let p = &self.params;
        let s = &mut self.state;
        let n = p.n;
        let mut order: Vec<usize> = (0..points.len()).collect();
        // Stable sort with a total order: ties keep candidate order, NaN goes last.
        order.sort_by(|&a, &b| rank_key(losses[a]).total_cmp(&rank_key(losses[b])));
        let selected: Vec<Vec<f64>> = order
            .iter()
            .take(p.weights.len())
            .map(|&k| (0..n).map(|i| (points[k][i] - s.mean[i]) / s.sigma).collect())
            .collect();
        let mut y_w = vec![0.0; n];
        for (w, y) in p.weights.iter().zip(&selected) {
            for (acc, yi) in y_w.iter_mut().zip(y) {
                *acc += w * yi;
            }
        }
        for (m, yi) in s.mean.iter_mut().zip(&y_w) {
            *m += s.sigma * yi;
        }
        s.generation += 1;

        let cs_norm = (p.cs * (2.0 - p.cs) * p.mueff).sqrt();
        for ((ps, yi), c) in s.path_sigma.iter_mut().zip(&y_w).zip(&s.diag_c) {
            *ps = (1.0 - p.cs) * *ps + cs_norm * yi / c.sqrt();
        }
        let ps_norm = s.path_sigma.iter().map(|v| v * v).sum::<f64>().sqrt();
        let decay = (1.0 - (1.0 - p.cs).powf(2.0 * s.generation as f64)).sqrt();
        let h_sigma = ps_norm / decay / p.chi_n < 1.4 + 2.0 / (n as f64 + 1.0);
        let cc_norm = (p.cc * (2.0 - p.cc) * p.mueff).sqrt();
        let h = if h_sigma { 1.0 } else { 0.0 };
        for (pc, yi) in s.path_c.iter_mut().zip(&y_w) {
            *pc = (1.0 - p.cc) * *pc + h * cc_norm * yi;
        }
        // Without h_sigma the rank-one update loses the variance the stalled path would have
        // carried; this term puts it back (Hansen 2016, eq. 47 and footnote).
        let delta = (1.0 - h) * p.cc * (2.0 - p.cc);
        for i in 0..n {
            let rank_mu: f64 = p.weights.iter().zip(&selected).map(|(w, y)| w * y[i] * y[i]).sum();
            s.diag_c[i] = (1.0 - p.c1 - p.cmu) * s.diag_c[i]
                + p.c1 * (s.path_c[i] * s.path_c[i] + delta * s.diag_c[i])
                + p.cmu * rank_mu;
        }
        s.sigma = (s.sigma * ((p.cs / p.ds) * (ps_norm / p.chi_n - 1.0)).exp()).min(SIGMA_MAX);
    }
}

/// NaN losses rank after every number (an invalid candidate is the worst).
fn rank_key(loss: f64) -> f64 {
    if loss.is_nan() { f64::INFINITY } else { loss }
}

/// Reflects `x` into [0, 1] (the box's mirror images repeat with period 2).
fn mirror(x: f64) -> f64 {
    if !x.is_finite() {
        return 0.5;
    }
    let t = x.rem_euclid(2.0);
    if t > 1.0 { 2.0 - t } else { t }
}

/// Standard normals from ChaCha8 (seed, stream), by the Box-Muller transform.
struct Normals {
    rng: ChaCha8Rng,
    spare: Option<f64>,
}

impl Normals {
    fn new(seed: u64, stream: u64) -> Normals {
        // The same key expansion as the engine's run streams.
        Normals { rng: crate::engine::draws::chacha8(seed, stream), spare: None }
    }

    /// A uniform in the open interval (0, 1), 53 bits.
    fn uniform(&mut self) -> f64 {
        ((self.rng.next_u64() >> 11) as f64 + 0.5) * (1.0 / 9_007_199_254_740_992.0)
    }

    fn next(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let r = (-2.0 * self.uniform().ln()).sqrt();
        let theta = std::f64::consts::TAU * self.uniform();
        self.spare = Some(r * theta.sin());
        r * theta.cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_folds_into_the_box() {
        assert_eq!(mirror(0.3), 0.3);
        assert!((mirror(1.2) - 0.8).abs() < 1e-12);
        assert!((mirror(-0.2) - 0.2).abs() < 1e-12);
        assert!((mirror(2.3) - 0.3).abs() < 1e-12);
        assert!((mirror(-1.4) - 0.6).abs() < 1e-12);
    }

    #[test]
    fn normals_look_standard() {
        let mut g = Normals::new(7, 1);
        let xs: Vec<f64> = (0..20_000).map(|_| g.next()).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / xs.len() as f64;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "variance {var}");
    }

    /// On a smooth function the strategy must converge to the minimum: the optimiser alone,
    /// without any simulation noise.
    #[test]
    fn minimises_a_shifted_ellipsoid() {
        let target = [0.2, 0.7, 0.45, 0.9];
        let f = |x: &[f64]| x.iter().zip(&target).enumerate().map(|(i, (a, b))| (i + 1) as f64 * (a - b).powi(2)).sum();
        let mut es = SepCmaEs::new(vec![0.5; 4], 0.3, 8);
        for _ in 0..150 {
            let xs = es.sample(3);
            let fs: Vec<f64> = xs.iter().map(|x| f(x)).collect();
            es.tell(&xs, &fs);
        }
        for (m, t) in es.state.mean.iter().zip(&target) {
            assert!((m - t).abs() < 1e-3, "mean {:?}", es.state.mean);
        }
        assert!(es.max_step() < 1e-2);
    }

    #[test]
    fn same_seed_same_samples_and_generations_differ() {
        let es = SepCmaEs::new(vec![0.5; 3], 0.3, 6);
        assert_eq!(es.sample(1), es.sample(1));
        assert_ne!(es.sample(1), es.sample(2));
        let mut later = es.clone();
        later.state.generation = 1;
        assert_ne!(es.sample(1), later.sample(1));
    }
}
