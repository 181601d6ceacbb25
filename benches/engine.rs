//! Throughput of the simulator, in cases per second.
//!
//! Groups:
//! - `national`: one seed of `scenarios/kazakhstan.toml` (about 3.9 million cases);
//! - `small`: one seed of `tests/fixtures/tiny.toml` (a few thousand cases);
//! - `scaling`: the batch runner on the national scenario, 4 seeds on 1 thread and on 2 threads;
//! - `setup`: what is not the case flow: loading and validating the national scenario,
//!   preparing a scenario for running (`Model::new`), and building one Beta quantile table
//!   (what `Model::new` costs per Beta distribution the process has not seen before).
//!
//! Every throughput is `Throughput::Elements(cases created)`, counted once outside the measured
//! code, so criterion reports cases per second next to the time. A seed is measured as
//! `Model::simulate` (what each run of a batch costs: building the run's world, agents and
//! calendar included); loading the scenario and building the `Model` happen once, outside the
//! measured closure, and are measured on their own in `setup`.
//!
//! Run: `cargo bench --bench engine` (all groups, about 3 minutes on 2 cores), or one group:
//! `cargo bench --bench engine -- national`. The reference limit for work of this shape is
//! `cargo bench --bench minimal_loop`; see results/bench/README.md.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};

use caseflow::batch::{Batch, Runner};
use caseflow::engine::Model;
use caseflow::engine::dist::BetaTable;
use caseflow::scenario::{Beta, Scenario, load_path};

const MASTER_SEED: u64 = 1;
const SCALING_SEEDS: u64 = 4;

fn path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn load(rel: &str) -> Scenario {
    let p = path(rel);
    load_path(&p).unwrap_or_else(|e| panic!("cannot load {}: {e}", p.display()))
}

/// One seed of the scenario at `rel`, throughput in cases. The run that counts the cases is
/// also the warm-up. `settings` sets the group's sampling.
fn one_seed(c: &mut Criterion, group: &str, rel: &str, settings: impl Fn(&mut BenchmarkGroup<'_, WallTime>)) {
    let s = load(rel);
    let model = Model::new(&s);
    let cases = model.simulate(MASTER_SEED, 0).created;
    let mut g = c.benchmark_group(group);
    settings(&mut g);
    g.throughput(Throughput::Elements(cases));
    g.bench_function("one_seed", |b| b.iter(|| black_box(black_box(&model).simulate(MASTER_SEED, 0))));
    g.finish();
}

/// One seed of the national scenario.
fn national(c: &mut Criterion) {
    one_seed(c, "national", "scenarios/kazakhstan.toml", |g| {
        g.sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(20));
    });
}

/// One seed of the small test scenario.
fn small(c: &mut Criterion) {
    one_seed(c, "small", "tests/fixtures/tiny.toml", |g| {
        g.sample_size(20).warm_up_time(Duration::from_secs(2)).measurement_time(Duration::from_secs(10));
    });
}

/// 4 seeds of the national scenario through the batch runner, on 1 and on 2 worker threads
/// (the threads are started outside the timing, as a calibration reuses them). The
/// throughput is the total over the 4 runs, so the speed-up reads directly off cases/s.
fn scaling(c: &mut Criterion) {
    let s = load("scenarios/kazakhstan.toml");
    let runners = [Runner::new(1).expect("a thread starts"), Runner::new(2).expect("threads start")];
    let batch = |threads: usize| runners[threads - 1].run(&s, &Batch::new(MASTER_SEED, 0..SCALING_SEEDS));
    // Counting run (on 2 threads, the faster one), also the warm-up and the timing estimate.
    let started = Instant::now();
    let counted = batch(2);
    let t2 = started.elapsed();
    assert!(counted.complete);
    let cases = counted.cases;
    let mut g = c.benchmark_group("scaling");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .throughput(Throughput::Elements(cases));
    // Criterion's minimum is 10 samples of at least one batch each. A target time just under
    // 10 batches keeps it at one batch per sample (at 10 or more it doubles them): criterion
    // then prints "Unable to complete 10 samples in ...", which is expected here.
    for (threads, estimate) in [(1, 2 * t2), (2, t2)] {
        g.measurement_time(estimate.mul_f64(9.0));
        g.bench_function(format!("seeds{SCALING_SEEDS}_threads{threads}"), |b| {
            b.iter(|| black_box(batch(black_box(threads))).cases)
        });
    }
    g.finish();
}

/// What a batch costs before its first run: loading the scenario (once per command) and
/// preparing it (once per batch). Beta quantile tables are cached per process, so
/// `model_*` measure a prepared scenario whose tables exist; `beta_table_build` asks for a
/// table with new parameters every iteration (a cache miss: what a calibration step that
/// moves a Beta parameter pays, per table).
fn setup(c: &mut Criterion) {
    let national = load("scenarios/kazakhstan.toml");
    let tiny = load("tests/fixtures/tiny.toml");
    let mut g = c.benchmark_group("setup");
    g.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    let p = path("scenarios/kazakhstan.toml");
    g.bench_function("load_national", |b| b.iter(|| black_box(load_path(black_box(&p)).expect("loads"))));
    g.bench_function("model_national", |b| b.iter(|| black_box(Model::new(black_box(&national)))));
    g.bench_function("model_tiny", |b| b.iter(|| black_box(Model::new(black_box(&tiny)))));
    let mut k = 0u32;
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("beta_table_build", |b| {
        b.iter(|| {
            k += 1;
            // A new (a, b) each time, so the cache never answers.
            black_box(BetaTable::new(Beta { a: 2.2 + k as f64 * 1e-9, b: 1.6 }))
        })
    });
    g.finish();
}

criterion_group!(benches, national, small, scaling, setup);
criterion_main!(benches);
