//! The engine's cost per case against the bare loop's, alternated in one process.
//!
//! On a shared or virtual machine the speed of a core drifts by 10-20% over minutes, so two
//! benchmarks run a few minutes apart (`cargo bench --bench engine` and `--bench minimal_loop`)
//! can disagree about a ratio by as much as the goal they are checked against (issue 24: the
//! engine within 1.6 times the bare loop). Here each round times the bare loop
//! (`bare_loop::sequential_10`, 3.6 M cases) and then one seed of the national scenario
//! (`Model::simulate`, as criterion's `national` group), back to back, and takes their ratio
//! of time per case; a drift slower than a round (about 1.2 s) moves both sides of a ratio
//! alike. Then, as a second measure, each round times the batch runner on 4 seeds with 1 and
//! with 2 worker threads (criterion's `scaling` group) and takes their ratio.
//!
//! Prints every round and the median, minimum and maximum of each ratio. Criterion is not
//! used: its statistics are for one function at a time, and what is wanted here is the
//! distribution of a ratio of paired measurements.
//!
//! Run: `cargo bench --bench ratio` (about a minute on 2 cores); `-- --rounds N` for more or
//! fewer rounds (default 8).

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use caseflow::batch::{Batch, Runner};
use caseflow::engine::Model;
use caseflow::experiment::stats::median;
use caseflow::scenario::load_path;

// The other variants serve `minimal_loop`.
#[allow(dead_code)]
#[path = "bare_loop/mod.rs"]
mod bare_loop;

const MASTER_SEED: u64 = 1;
const SCALING_SEEDS: u64 = 4;
const DEFAULT_ROUNDS: usize = 8;

/// Seconds `f` takes, and what it returns.
fn timed<R>(f: impl FnOnce() -> R) -> (f64, R) {
    let started = Instant::now();
    let r = black_box(f());
    (started.elapsed().as_secs_f64(), r)
}

/// Median, minimum and maximum.
fn spread(xs: &[f64]) -> (f64, f64, f64) {
    let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (median(xs.iter().copied()), min, max)
}

fn rounds_from_args() -> usize {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == "--rounds") {
        None => DEFAULT_ROUNDS,
        Some(i) => match args.get(i + 1).and_then(|n| n.parse::<usize>().ok()) {
            Some(n) if n > 0 => n,
            _ => {
                eprintln!("ratio: --rounds takes a whole number of at least 1");
                std::process::exit(2);
            }
        },
    }
}

fn main() {
    let rounds = rounds_from_args();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/kazakhstan.toml");
    let scenario = load_path(&path).unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display()));
    let model = Model::new(&scenario);
    let runners = [Runner::new(1).expect("a thread starts"), Runner::new(2).expect("threads start")];
    let batch = |threads: usize| runners[threads - 1].run(&scenario, &Batch::new(MASTER_SEED, 0..SCALING_SEEDS));

    // Warm-up: each measured thing once (caches, page tables, the threads' first work).
    let bare_cases = bare_loop::N_CASES as f64;
    black_box(bare_loop::sequential_10());
    let cases = model.simulate(MASTER_SEED, 0).created as f64;
    black_box(batch(2));

    println!("bare loop: {bare_cases} cases (sequential_10); engine: {cases} cases (national, 1 seed)");
    println!("round  bare s  engine s  bare M/s  engine M/s  ratio | 4 seeds 1 thread s  2 threads s  speed-up");
    let (mut ratios, mut speedups) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        let (t_bare, _) = timed(bare_loop::sequential_10);
        let (t_engine, out) = timed(|| model.simulate(MASTER_SEED, 0));
        assert_eq!(out.created as f64, cases, "the same seed makes the same cases");
        let ratio = (t_engine / cases) / (t_bare / bare_cases);
        let (t1, r1) = timed(|| batch(1));
        let (t2, r2) = timed(|| batch(2));
        assert!(r1.complete && r2.complete && r1.cases == r2.cases);
        let speedup = t1 / t2;
        println!(
            "{round:5}  {t_bare:6.3}  {t_engine:8.3}  {:8.2}  {:10.2}  {ratio:5.2} | {t1:18.3}  {t2:11.3}  {speedup:8.2}",
            bare_cases / t_bare / 1e6,
            cases / t_engine / 1e6,
        );
        ratios.push(ratio);
        speedups.push(speedup);
    }
    let (m, lo, hi) = spread(&ratios);
    println!("engine / bare loop, time per case: median {m:.3} (min {lo:.3}, max {hi:.3}) over {rounds} rounds");
    let (m, lo, hi) = spread(&speedups);
    println!("2 threads / 1 thread, 4 seeds: median {m:.3} (min {lo:.3}, max {hi:.3}) over {rounds} rounds");
}
