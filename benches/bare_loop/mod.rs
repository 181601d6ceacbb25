//! The bare loop: the practical limit for work of the simulator's shape, shared by
//! `benches/minimal_loop.rs` (criterion, each variant on its own) and `benches/ratio.rs` (the
//! reference variant alternated with the engine, so both see the same machine).
//!
//! The loop pushes 3.6 million cases through 8 decision points: per case 10 random draws (one
//! picks the agent, one is the case's merit, eight are the decisions' uniforms) and 8 logistic
//! choices `1 / (1 + exp(-x))` against a draw, each updating a counter of the agent handling
//! the case; 4,000 agents with counters in a `Vec` of structs; ChaCha8. It is written
//! independently of caseflow's engine: nothing here calls it except the `case_words` and
//! `case_draws` variants, which take only caseflow's draw layout.
//!
//! Variants (same decisions, different ways of getting the 10 uniforms):
//! - `sequential_10`: a sequential ChaCha8 stream, 10 words per case (the reference limit);
//! - `sequential_64`: a sequential stream, 64 words per case of which 10 are used (the amount
//!   of keystream caseflow's layout generates per case, without the seeks);
//! - `case_words`: caseflow's counter-based layout, all 64 words of a case's first visit per
//!   case (`RunStream::case_words`: 64 SplitMix64 outputs addressed by (case, slot); until
//!   issue 24 this was a seek to the case's ChaCha8 window and one 4-block refill);
//! - `case_draws`: the same layout as the engine reads it, only the 10 words used
//!   (`RunStream::case_draws`, then `CaseDraws::word` per slot).

use std::hint::black_box;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use caseflow::engine::draws::{CASE_WORDS, CaseId, RunStream};

pub const N_CASES: u64 = 3_600_000;
const N_AGENTS: usize = 4_000;
const N_DECISIONS: usize = 8;
const N_DRAWS: usize = 2 + N_DECISIONS;
const SEED: u64 = 1;

/// An official with counters: cases assigned, and per decision point how often she said yes.
#[derive(Clone, Default)]
struct Agent {
    assigned: u32,
    yes: [u32; N_DECISIONS],
    /// A trait that shifts every decision (drawn once, before the cases).
    lean: f64,
}

/// Intercepts and merit slopes of the 8 decision points.
const INTERCEPT: [f64; N_DECISIONS] = [0.4, -0.8, 1.2, -0.3, 0.0, -1.5, 0.9, -0.1];
const SLOPE: [f64; N_DECISIONS] = [1.5, -0.7, 0.8, 2.0, -1.2, 0.5, 1.1, -0.4];

#[inline]
fn unit(word: u32) -> f64 {
    (word as f64 + 0.5) * (1.0 / 4_294_967_296.0)
}

#[inline]
fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn new_agents() -> Vec<Agent> {
    (0..N_AGENTS).map(|i| Agent { lean: (i % 7) as f64 * 0.1 - 0.3, ..Agent::default() }).collect()
}

/// One case through the 8 decision points, given its 10 uniforms. Each choice depends on the
/// case, on the agent's trait and counters, and on the previous choice (as in a flow).
#[inline(always)]
fn one_case(agents: &mut [Agent], u: &[f64; N_DRAWS]) -> u32 {
    let i = ((u[0] * N_AGENTS as f64) as usize).min(N_AGENTS - 1);
    let a = &mut agents[i];
    a.assigned += 1;
    let merit = u[1] - 0.5;
    let mut prev = 0.0;
    let mut yes = 0;
    for k in 0..N_DECISIONS {
        let x = INTERCEPT[k] + SLOPE[k] * merit + a.lean + 0.3 * prev - 1e-4 * a.yes[k] as f64;
        if u[2 + k] < logistic(x) {
            a.yes[k] += 1;
            yes += 1;
            prev = 1.0;
        } else {
            prev = 0.0;
        }
    }
    yes
}

/// The 10 uniforms of each case from `next`, then the case; returns the total of yes answers
/// (so nothing can be optimised away).
#[inline(always)]
fn run(mut next: impl FnMut(u64) -> [f64; N_DRAWS]) -> u64 {
    let mut agents = new_agents();
    let mut total = 0u64;
    for case in 0..N_CASES {
        let u = next(case);
        total += one_case(&mut agents, &u) as u64;
    }
    black_box(&agents);
    total
}

pub fn sequential_10() -> u64 {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    run(|_| {
        let mut u = [0.0; N_DRAWS];
        for x in &mut u {
            *x = unit(rng.next_u32());
        }
        u
    })
}

pub fn sequential_64() -> u64 {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    run(|_| {
        let mut w = [0u32; CASE_WORDS];
        for x in &mut w {
            *x = rng.next_u32();
        }
        let w = black_box(w);
        std::array::from_fn(|k| unit(w[k]))
    })
}

pub fn case_words() -> u64 {
    let stream = RunStream::new(SEED, 0);
    run(|case| {
        let mut w = [0u32; CASE_WORDS];
        stream.case_words(CaseId(case), &mut w);
        let w = black_box(w);
        std::array::from_fn(|k| unit(w[k]))
    })
}

pub fn case_draws() -> u64 {
    let stream = RunStream::new(SEED, 0);
    run(|case| {
        let d = stream.case_draws(CaseId(case));
        std::array::from_fn(|k| unit(d.word(0, k)))
    })
}
