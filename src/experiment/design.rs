//! Experimental designs: which points of the parameter space a sweep runs.
//!
//! - full grid: every combination of each factor's values (the first factor varies slowest);
//! - Latin hypercube: `samples` points, each factor's range cut into `samples` equal strata
//!   with one point in each, strata paired at random (seeded);
//! - Sobol' with the Saltelli scheme: `N` base points of a `2D`-dimensional Sobol' sequence
//!   (digitally shifted, seeded) give matrices A (first D coordinates) and B (last D); each base
//!   point contributes the rows A, AB_1, ..., AB_D, B (AB_j: A with column j from B), SALib's
//!   order without second-order indices, so `N (D + 2)` points;
//! - Morris: `r` one-at-a-time trajectories on a `p`-level grid, each of `D + 1` points, as
//!   SALib's `morris.sample` without the optimised selection (Morris 1991; Campolongo et al.
//!   2007): a random start on the lower half of the grid, each factor moved once by
//!   `Δ = p / (2 (p - 1))`, up or down at random, in random order.
//!
//! A design works in the unit cube; each factor maps its coordinate to a value: `min + u (max -
//! min)` for a range (rounded for a parameter the scenario wants as an integer), or the list's
//! values on a grid.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::sobol_seq::{TooManyDimensions, sobol_points};
use crate::engine::draws::chacha8;

/// A value written into the scenario at a factor's key.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Number(f64),
    Integer(i64),
    Bool(bool),
    Text(String),
}

impl Value {
    /// The value as a number (booleans 0/1; NaN for text), for the results file.
    pub fn as_f64(&self) -> f64 {
        match self {
            Value::Number(x) => *x,
            Value::Integer(i) => *i as f64,
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Text(_) => f64::NAN,
        }
    }

    /// The value as TOML text, as it goes into the scenario.
    pub fn to_toml(&self) -> String {
        match self {
            Value::Number(x) => crate::scenario::edit::format_number(*x, false),
            Value::Integer(i) => i.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Text(s) => crate::scenario::edit::format_string(s),
        }
    }
}

/// The values a factor may take.
#[derive(Clone, Debug, PartialEq)]
pub enum Domain {
    /// A numeric range; `integral` when the scenario wants an integer at the key (values are
    /// then rounded); `levels` evenly spaced values on a grid.
    Range { min: f64, max: f64, integral: bool, levels: Option<usize> },
    /// Explicit values (grid only).
    List(Vec<Value>),
}

/// One parameter a sweep moves.
#[derive(Clone, Debug, PartialEq)]
pub struct Factor {
    /// The key path in the scenario (see `scenario::edit`).
    pub key: String,
    pub domain: Domain,
}

impl Factor {
    /// The value at unit coordinate `u` of a range (clamped into it).
    fn value_at(&self, u: f64) -> Value {
        match &self.domain {
            Domain::Range { min, max, integral, .. } => {
                let x = min + u.clamp(0.0, 1.0) * (max - min);
                if *integral {
                    Value::Integer(x.round().clamp(min.ceil(), max.floor()) as i64)
                } else {
                    Value::Number(x)
                }
            }
            // Lists are only on grids, which do not call this.
            Domain::List(values) => {
                values[((u * (values.len() - 1) as f64).round() as usize).min(values.len() - 1)].clone()
            }
        }
    }

    /// The unit coordinate mapped to a real value without rounding (`min + u (max - min)`), as
    /// exported for SALib; NaN for a list.
    pub fn real_at(&self, u: f64) -> f64 {
        match &self.domain {
            Domain::Range { min, max, .. } => min + u * (max - min),
            Domain::List(_) => f64::NAN,
        }
    }

    /// The grid values: the list, or `levels` values evenly spaced from min to max.
    fn grid_values(&self) -> Vec<(f64, Value)> {
        match &self.domain {
            Domain::List(values) => {
                let n = values.len();
                values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (if n > 1 { i as f64 / (n - 1) as f64 } else { 0.0 }, v.clone()))
                    .collect()
            }
            Domain::Range { levels, .. } => {
                let n = levels.unwrap_or(2).max(1);
                (0..n)
                    .map(|i| {
                        let u = if n > 1 { i as f64 / (n - 1) as f64 } else { 0.0 };
                        (u, self.value_at(u))
                    })
                    .collect()
            }
        }
    }
}

/// Which design, with its size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DesignKind {
    Grid,
    Lhs { samples: usize },
    Sobol { base_samples: usize },
    Morris { trajectories: usize, levels: usize },
}

impl DesignKind {
    /// The name used in the sweep file and the results.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Grid => "grid",
            Self::Lhs { .. } => "lhs",
            Self::Sobol { .. } => "sobol",
            Self::Morris { .. } => "morris",
        }
    }

    /// Number of points for `d` factors (grid: the product of the factors' value counts).
    pub fn n_points(&self, factors: &[Factor]) -> usize {
        let d = factors.len();
        match *self {
            Self::Grid => factors.iter().map(|f| f.grid_values().len()).product(),
            Self::Lhs { samples } => samples,
            Self::Sobol { base_samples } => base_samples * (d + 2),
            Self::Morris { trajectories, .. } => trajectories * (d + 1),
        }
    }
}

/// One point of a design.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// Coordinates in the unit cube, one per factor.
    pub unit: Vec<f64>,
    /// The values written into the scenario, one per factor.
    pub values: Vec<Value>,
}

/// The points of a design, in run order (SALib's row order for Sobol' and Morris).
///
/// # Errors
/// When a Sobol' design needs more dimensions than the sequence has (more than 50 factors).
pub fn generate(kind: DesignKind, factors: &[Factor], seed: u64) -> Result<Vec<Point>, TooManyDimensions> {
    let d = factors.len();
    let units: Vec<Vec<f64>> = match kind {
        DesignKind::Grid => return Ok(grid(factors)),
        DesignKind::Lhs { samples } => latin_hypercube(samples, d, seed),
        DesignKind::Sobol { base_samples } => saltelli(base_samples, d, seed)?,
        DesignKind::Morris { trajectories, levels } => morris(trajectories, levels, d, seed),
    };
    Ok(units
        .into_iter()
        .map(|unit| {
            let values = factors.iter().zip(&unit).map(|(f, &u)| f.value_at(u)).collect();
            Point { unit, values }
        })
        .collect())
}

fn grid(factors: &[Factor]) -> Vec<Point> {
    let axes: Vec<Vec<(f64, Value)>> = factors.iter().map(Factor::grid_values).collect();
    let total: usize = axes.iter().map(Vec::len).product();
    (0..total)
        .map(|mut k| {
            // Mixed-radix digits of k, the last factor fastest.
            let mut picks = vec![0; axes.len()];
            for (i, axis) in axes.iter().enumerate().rev() {
                picks[i] = k % axis.len();
                k /= axis.len();
            }
            let (unit, values) = axes.iter().zip(&picks).map(|(axis, &p)| axis[p].clone()).unzip();
            Point { unit, values }
        })
        .collect()
}

/// A uniform integer in `0..n` (Lemire's multiply-and-reject: no modulo bias).
pub(crate) fn below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    debug_assert!(n > 0);
    let threshold = n.wrapping_neg() % n;
    loop {
        let m = u128::from(rng.next_u64()) * u128::from(n);
        if (m as u64) >= threshold {
            return (m >> 64) as u64;
        }
    }
}

/// A uniform float in `[0, 1)` with 53 random bits.
pub(crate) fn unit_f64(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Fisher-Yates shuffle of `0..n`.
pub(crate) fn permutation(rng: &mut ChaCha8Rng, n: usize) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = below(rng, i as u64 + 1) as usize;
        p.swap(i, j);
    }
    p
}

fn latin_hypercube(n: usize, d: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = chacha8(seed, 1);
    let mut points = vec![vec![0.0; d]; n];
    for j in 0..d {
        let strata = permutation(&mut rng, n);
        for (point, &s) in points.iter_mut().zip(&strata) {
            point[j] = (s as f64 + unit_f64(&mut rng)) / n as f64;
        }
    }
    points
}

fn saltelli(n: usize, d: usize, seed: u64) -> Result<Vec<Vec<f64>>, TooManyDimensions> {
    let base = sobol_points(n, 2 * d, Some(seed))?;
    let mut out = Vec::with_capacity(n * (d + 2));
    for row in &base {
        let (a, b) = row.split_at(d);
        out.push(a.to_vec());
        for j in 0..d {
            let mut ab = a.to_vec();
            ab[j] = b[j];
            out.push(ab);
        }
        out.push(b.to_vec());
    }
    Ok(out)
}

/// The Morris step for `p` levels: `p / (2 (p - 1))`.
pub fn morris_delta(levels: usize) -> f64 {
    levels as f64 / (2.0 * (levels as f64 - 1.0))
}

fn morris(r: usize, p: usize, d: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = chacha8(seed, 2);
    let delta = morris_delta(p);
    // Starting values: the grid levels i / (p - 1) below 1 - Δ, i.e. the lower p / 2 levels.
    let starts = (p / 2).max(1) as u64;
    let mut out = Vec::with_capacity(r * (d + 1));
    for _ in 0..r {
        let mut x: Vec<f64> = Vec::with_capacity(d);
        let mut up: Vec<bool> = Vec::with_capacity(d);
        for _ in 0..d {
            let start = below(&mut rng, starts) as f64 / (p - 1) as f64;
            let rises = rng.next_u32() & 1 == 1;
            // A factor that falls starts Δ higher, so it stays on the grid within [0, 1].
            x.push(if rises { start } else { start + delta });
            up.push(rises);
        }
        let order = permutation(&mut rng, d);
        out.push(x.clone());
        for &j in &order {
            x[j] = if up[j] { x[j] + delta } else { x[j] - delta };
            out.push(x.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(key: &str, min: f64, max: f64, levels: Option<usize>) -> Factor {
        Factor { key: key.into(), domain: Domain::Range { min, max, integral: false, levels } }
    }

    #[test]
    fn grid_is_the_full_product_last_factor_fastest() {
        let factors = vec![
            range("a", 0.0, 1.0, Some(3)),
            Factor { key: "b".into(), domain: Domain::List(vec![Value::Bool(true), Value::Bool(false)]) },
        ];
        let p = generate(DesignKind::Grid, &factors, 1).unwrap();
        assert_eq!(p.len(), 6);
        assert_eq!(DesignKind::Grid.n_points(&factors), 6);
        assert_eq!(p[0].values, vec![Value::Number(0.0), Value::Bool(true)]);
        assert_eq!(p[1].values, vec![Value::Number(0.0), Value::Bool(false)]);
        assert_eq!(p[5].values, vec![Value::Number(1.0), Value::Bool(false)]);
        assert_eq!(p[2].values[0], Value::Number(0.5));
    }

    #[test]
    fn integral_ranges_round() {
        let f =
            Factor { key: "n".into(), domain: Domain::Range { min: 1.0, max: 4.0, integral: true, levels: Some(4) } };
        let p = generate(DesignKind::Grid, &[f], 1).unwrap();
        let v: Vec<Value> = p.into_iter().map(|p| p.values[0].clone()).collect();
        assert_eq!(v, [1, 2, 3, 4].map(Value::Integer).to_vec());
    }

    #[test]
    fn latin_hypercube_has_one_point_per_stratum_and_is_seeded() {
        let factors = vec![range("a", 0.0, 10.0, None), range("b", -1.0, 1.0, None)];
        let p = generate(DesignKind::Lhs { samples: 20 }, &factors, 5).unwrap();
        for j in 0..2 {
            let mut strata: Vec<usize> = p.iter().map(|p| (p.unit[j] * 20.0) as usize).collect();
            strata.sort_unstable();
            assert_eq!(strata, (0..20).collect::<Vec<_>>());
        }
        assert_eq!(p, generate(DesignKind::Lhs { samples: 20 }, &factors, 5).unwrap());
        assert_ne!(p, generate(DesignKind::Lhs { samples: 20 }, &factors, 6).unwrap());
    }

    #[test]
    fn saltelli_rows_are_a_ab_b() {
        let factors = vec![range("a", 0.0, 1.0, None), range("b", 0.0, 1.0, None), range("c", 0.0, 1.0, None)];
        let p = generate(DesignKind::Sobol { base_samples: 8 }, &factors, 1).unwrap();
        assert_eq!(p.len(), 8 * 5);
        for block in p.chunks(5) {
            let (a, b) = (&block[0].unit, &block[4].unit);
            for j in 0..3 {
                let ab = &block[1 + j].unit;
                for k in 0..3 {
                    assert_eq!(ab[k], if k == j { b[k] } else { a[k] });
                }
            }
        }
    }

    #[test]
    fn morris_trajectories_move_one_factor_by_delta() {
        let factors: Vec<Factor> = (0..4).map(|i| range(&format!("x{i}"), 0.0, 1.0, None)).collect();
        let p = generate(DesignKind::Morris { trajectories: 6, levels: 4 }, &factors, 3).unwrap();
        assert_eq!(p.len(), 6 * 5);
        let delta = morris_delta(4);
        assert!((delta - 2.0 / 3.0).abs() < 1e-15);
        for t in p.chunks(5) {
            let mut moved = [false; 4];
            for step in t.windows(2) {
                let changed: Vec<usize> = (0..4).filter(|&j| step[0].unit[j] != step[1].unit[j]).collect();
                assert_eq!(changed.len(), 1);
                let j = changed[0];
                assert!(((step[1].unit[j] - step[0].unit[j]).abs() - delta).abs() < 1e-12);
                assert!(!moved[j]);
                moved[j] = true;
            }
            for point in t {
                for &u in &point.unit {
                    assert!((-1e-12..=1.0 + 1e-12).contains(&u));
                    // On the grid {0, 1/3, 2/3, 1}.
                    assert!(((u * 3.0) - (u * 3.0).round()).abs() < 1e-9);
                }
            }
        }
    }
}
