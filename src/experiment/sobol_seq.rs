//! Sobol' points: the low-discrepancy sequence of Sobol' (1967) with the direction numbers of
//! Joe and Kuo (2008, "new-joe-kuo-6.21201", criterion D6), first 100 dimensions, generated in
//! Gray-code order as in Joe and Kuo's own code and in SciPy's `scipy.stats.qmc.Sobol`, so the
//! unshifted points are SciPy's unscrambled ones.
//!
//! In-house rather than the `sobol` or `sobol-qmc` crate: `sobol` (1.0.2, 2020) is dormant and
//! panics on too many dimensions; `sobol-qmc` (2.5.1) pulls in statrs with its default features,
//! i.e. nalgebra and a second, older version of rand, for what is 60 lines and a table here. A
//! sweep's Saltelli design needs `2 D` dimensions for `D` parameters, so 100 dimensions allow 50
//! parameters, more than a Sobol' analysis of this model can afford to run.
//!
//! The points can be randomised by a digital shift (each coordinate's 32 bits XORed with a
//! seeded random mask per dimension): it keeps the sequence's stratification (every `2^m`
//! consecutive points from the start still fill each dyadic interval of length `2^-m` in each
//! dimension once) and moves the first point off the origin. SALib's default sampler scrambles
//! too (SciPy's LMS + shift); the indices do not depend on which randomisation was used.
//!
//! Direction numbers: Copyright (c) 2008, Frances Y. Kuo and Stephen Joe, distributed under a
//! BSD-style licence (<https://web.maths.unsw.edu.au/~fkuo/sobol/>).

use rand::Rng;

use crate::engine::draws::chacha8;

/// Dimensions available.
pub const MAX_DIMS: usize = 100;

/// Bits per coordinate.
const BITS: usize = 32;

/// `(s, a, m_1..m_s)` of dimensions 2 to 100: the degree of the primitive polynomial, its
/// coefficients as a bit string, and the initial direction numbers.
#[rustfmt::skip]
const JOE_KUO: [(u32, u32, &[u32]); MAX_DIMS - 1] = [
    (1, 0, &[1]),
    (2, 1, &[1, 3]),
    (3, 1, &[1, 3, 1]),
    (3, 2, &[1, 1, 1]),
    (4, 1, &[1, 1, 3, 3]),
    (4, 4, &[1, 3, 5, 13]),
    (5, 2, &[1, 1, 5, 5, 17]),
    (5, 4, &[1, 1, 5, 5, 5]),
    (5, 7, &[1, 1, 7, 11, 19]),
    (5, 11, &[1, 1, 5, 1, 1]),
    (5, 13, &[1, 1, 1, 3, 11]),
    (5, 14, &[1, 3, 5, 5, 31]),
    (6, 1, &[1, 3, 3, 9, 7, 49]),
    (6, 13, &[1, 1, 1, 15, 21, 21]),
    (6, 16, &[1, 3, 1, 13, 27, 49]),
    (6, 19, &[1, 1, 1, 15, 7, 5]),
    (6, 22, &[1, 3, 1, 15, 13, 25]),
    (6, 25, &[1, 1, 5, 5, 19, 61]),
    (7, 1, &[1, 3, 7, 11, 23, 15, 103]),
    (7, 4, &[1, 3, 7, 13, 13, 15, 69]),
    (7, 7, &[1, 1, 3, 13, 7, 35, 63]),
    (7, 8, &[1, 3, 5, 9, 1, 25, 53]),
    (7, 14, &[1, 3, 1, 13, 9, 35, 107]),
    (7, 19, &[1, 3, 1, 5, 27, 61, 31]),
    (7, 21, &[1, 1, 5, 11, 19, 41, 61]),
    (7, 28, &[1, 3, 5, 3, 3, 13, 69]),
    (7, 31, &[1, 1, 7, 13, 1, 19, 1]),
    (7, 32, &[1, 3, 7, 5, 13, 19, 59]),
    (7, 37, &[1, 1, 3, 9, 25, 29, 41]),
    (7, 41, &[1, 3, 5, 13, 23, 1, 55]),
    (7, 42, &[1, 3, 7, 3, 13, 59, 17]),
    (7, 50, &[1, 3, 1, 3, 5, 53, 69]),
    (7, 55, &[1, 1, 5, 5, 23, 33, 13]),
    (7, 56, &[1, 1, 7, 7, 1, 61, 123]),
    (7, 59, &[1, 1, 7, 9, 13, 61, 49]),
    (7, 62, &[1, 3, 3, 5, 3, 55, 33]),
    (8, 14, &[1, 3, 1, 15, 31, 13, 49, 245]),
    (8, 21, &[1, 3, 5, 15, 31, 59, 63, 97]),
    (8, 22, &[1, 3, 1, 11, 11, 11, 77, 249]),
    (8, 38, &[1, 3, 1, 11, 27, 43, 71, 9]),
    (8, 47, &[1, 1, 7, 15, 21, 11, 81, 45]),
    (8, 49, &[1, 3, 7, 3, 25, 31, 65, 79]),
    (8, 50, &[1, 3, 1, 1, 19, 11, 3, 205]),
    (8, 52, &[1, 1, 5, 9, 19, 21, 29, 157]),
    (8, 56, &[1, 3, 7, 11, 1, 33, 89, 185]),
    (8, 67, &[1, 3, 3, 3, 15, 9, 79, 71]),
    (8, 70, &[1, 3, 7, 11, 15, 39, 119, 27]),
    (8, 84, &[1, 1, 3, 1, 11, 31, 97, 225]),
    (8, 97, &[1, 1, 1, 3, 23, 43, 57, 177]),
    (8, 103, &[1, 3, 7, 7, 17, 17, 37, 71]),
    (8, 115, &[1, 3, 1, 5, 27, 63, 123, 213]),
    (8, 122, &[1, 1, 3, 5, 11, 43, 53, 133]),
    (9, 8, &[1, 3, 5, 5, 29, 17, 47, 173, 479]),
    (9, 13, &[1, 3, 3, 11, 3, 1, 109, 9, 69]),
    (9, 16, &[1, 1, 1, 5, 17, 39, 23, 5, 343]),
    (9, 22, &[1, 3, 1, 5, 25, 15, 31, 103, 499]),
    (9, 25, &[1, 1, 1, 11, 11, 17, 63, 105, 183]),
    (9, 44, &[1, 1, 5, 11, 9, 29, 97, 231, 363]),
    (9, 47, &[1, 1, 5, 15, 19, 45, 41, 7, 383]),
    (9, 52, &[1, 3, 7, 7, 31, 19, 83, 137, 221]),
    (9, 55, &[1, 1, 1, 3, 23, 15, 111, 223, 83]),
    (9, 59, &[1, 1, 5, 13, 31, 15, 55, 25, 161]),
    (9, 62, &[1, 1, 3, 13, 25, 47, 39, 87, 257]),
    (9, 67, &[1, 1, 1, 11, 21, 53, 125, 249, 293]),
    (9, 74, &[1, 1, 7, 11, 11, 7, 57, 79, 323]),
    (9, 81, &[1, 1, 5, 5, 17, 13, 81, 3, 131]),
    (9, 82, &[1, 1, 7, 13, 23, 7, 65, 251, 475]),
    (9, 87, &[1, 3, 5, 1, 9, 43, 3, 149, 11]),
    (9, 91, &[1, 1, 3, 13, 31, 13, 13, 255, 487]),
    (9, 94, &[1, 3, 3, 1, 5, 63, 89, 91, 127]),
    (9, 103, &[1, 1, 3, 3, 1, 19, 123, 127, 237]),
    (9, 104, &[1, 1, 5, 7, 23, 31, 37, 243, 289]),
    (9, 109, &[1, 1, 5, 11, 17, 53, 117, 183, 491]),
    (9, 122, &[1, 1, 1, 5, 1, 13, 13, 209, 345]),
    (9, 124, &[1, 1, 3, 15, 1, 57, 115, 7, 33]),
    (9, 137, &[1, 3, 1, 11, 7, 43, 81, 207, 175]),
    (9, 138, &[1, 3, 1, 1, 15, 27, 63, 255, 49]),
    (9, 143, &[1, 3, 5, 3, 27, 61, 105, 171, 305]),
    (9, 145, &[1, 1, 5, 3, 1, 3, 57, 249, 149]),
    (9, 152, &[1, 1, 3, 5, 5, 57, 15, 13, 159]),
    (9, 157, &[1, 1, 1, 11, 7, 11, 105, 141, 225]),
    (9, 167, &[1, 3, 3, 5, 27, 59, 121, 101, 271]),
    (9, 173, &[1, 3, 5, 9, 11, 49, 51, 59, 115]),
    (9, 176, &[1, 1, 7, 1, 23, 45, 125, 71, 419]),
    (9, 181, &[1, 1, 3, 5, 23, 5, 105, 109, 75]),
    (9, 182, &[1, 1, 7, 15, 7, 11, 67, 121, 453]),
    (9, 185, &[1, 3, 7, 3, 9, 13, 31, 27, 449]),
    (9, 191, &[1, 3, 1, 15, 19, 39, 39, 89, 15]),
    (9, 194, &[1, 1, 1, 1, 1, 33, 73, 145, 379]),
    (9, 199, &[1, 3, 1, 15, 15, 43, 29, 13, 483]),
    (9, 218, &[1, 1, 7, 3, 19, 27, 85, 131, 431]),
    (9, 220, &[1, 3, 3, 3, 5, 35, 23, 195, 349]),
    (9, 227, &[1, 3, 3, 7, 9, 27, 39, 59, 297]),
    (9, 229, &[1, 1, 3, 9, 11, 17, 13, 241, 157]),
    (9, 230, &[1, 3, 7, 15, 25, 57, 33, 189, 213]),
    (9, 234, &[1, 1, 7, 1, 9, 55, 73, 83, 217]),
    (9, 236, &[1, 3, 3, 13, 19, 27, 23, 113, 249]),
    (9, 241, &[1, 3, 5, 3, 23, 43, 3, 253, 479]),
    (9, 244, &[1, 1, 5, 5, 11, 5, 45, 117, 217]),
];

/// Why a Sobol' sequence cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooManyDimensions(pub usize);

impl std::fmt::Display for TooManyDimensions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a Sobol' sequence of {} dimensions was asked for; at most {MAX_DIMS} are available", self.0)
    }
}

impl std::error::Error for TooManyDimensions {}

/// The direction numbers `v[dim][bit]`, left-aligned in 32 bits.
fn directions(dims: usize) -> Vec<[u32; BITS]> {
    let mut out = Vec::with_capacity(dims);
    // Dimension 1: the van der Corput sequence in base 2.
    let mut first = [0u32; BITS];
    for (i, v) in first.iter_mut().enumerate() {
        *v = 1 << (BITS - 1 - i);
    }
    out.push(first);
    for &(s, a, m) in JOE_KUO.iter().take(dims.saturating_sub(1)) {
        let s = s as usize;
        let mut v = [0u32; BITS];
        for i in 0..s.min(BITS) {
            v[i] = m[i] << (BITS - 1 - i);
        }
        for i in s..BITS {
            v[i] = v[i - s] ^ (v[i - s] >> s);
            for k in 1..s {
                if (a >> (s - 1 - k)) & 1 == 1 {
                    v[i] ^= v[i - k];
                }
            }
        }
        out.push(v);
    }
    out
}

/// The first `n` points of the `dims`-dimensional Sobol' sequence (point 0 is the origin when
/// unshifted), each in `[0, 1)^dims`; with `shift_seed`, digitally shifted by masks drawn from
/// ChaCha8 keyed by that seed.
///
/// # Errors
/// When `dims` exceeds [`MAX_DIMS`].
pub fn sobol_points(n: usize, dims: usize, shift_seed: Option<u64>) -> Result<Vec<Vec<f64>>, TooManyDimensions> {
    if dims > MAX_DIMS {
        return Err(TooManyDimensions(dims));
    }
    let v = directions(dims);
    let masks: Vec<u32> = match shift_seed {
        // Stream 3 of the seed: the design's other draws use other streams.
        Some(seed) => {
            let mut rng = chacha8(seed, 3);
            (0..dims).map(|_| rng.next_u32()).collect()
        }
        None => vec![0; dims],
    };
    let scale = 1.0 / (1u64 << BITS) as f64;
    let mut x = vec![0u32; dims];
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        if i > 0 {
            // Gray-code order: point i differs from point i - 1 by the direction number of the
            // lowest zero bit of i - 1.
            let c = (!(i - 1)).trailing_zeros() as usize;
            if c >= BITS {
                break;
            }
            for (xd, vd) in x.iter_mut().zip(&v) {
                *xd ^= vd[c];
            }
        }
        out.push(x.iter().zip(&masks).map(|(&xd, &m)| f64::from(xd ^ m) * scale).collect());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_points_are_the_published_ones() {
        let p = sobol_points(8, 3, None).unwrap();
        // Gray-code order, as SciPy's unscrambled Sobol(d=3).random(8).
        let expected = [
            [0.0, 0.0, 0.0],
            [0.5, 0.5, 0.5],
            [0.75, 0.25, 0.25],
            [0.25, 0.75, 0.75],
            [0.375, 0.375, 0.625],
            [0.875, 0.875, 0.125],
            [0.625, 0.125, 0.875],
            [0.125, 0.625, 0.375],
        ];
        for (got, want) in p.iter().zip(expected) {
            assert_eq!(got.as_slice(), want.as_slice());
        }
    }

    /// Every block of `2^m` points from the start fills each interval `[k / 2^m, (k+1) / 2^m)`
    /// once in every dimension, shifted or not: wrong direction numbers break this.
    #[test]
    fn one_dimensional_projections_are_stratified() {
        for shift in [None, Some(7)] {
            let p = sobol_points(256, MAX_DIMS, shift).unwrap();
            for m in [1u32, 4, 8] {
                let n = 1usize << m;
                for d in 0..MAX_DIMS {
                    let mut seen = vec![false; n];
                    for point in &p[..n] {
                        seen[(point[d] * n as f64) as usize] = true;
                    }
                    assert!(seen.iter().all(|&s| s), "dimension {} is not stratified at 2^{m} ({shift:?})", d + 1);
                }
            }
        }
    }

    #[test]
    fn too_many_dimensions_is_an_error() {
        assert_eq!(sobol_points(4, MAX_DIMS + 1, None).unwrap_err(), TooManyDimensions(MAX_DIMS + 1));
    }
}
