//! The practical limit for work of the simulator's shape (`bare_loop`), measured on the same
//! machine in the same session as the engine (`cargo bench --bench engine`), so the ratio
//! engine / limit means something. `cargo bench --bench ratio` alternates the two in one
//! process, which a VM's drifting speed cannot bias. The variants are described in
//! `bare_loop/mod.rs`.
//!
//! Run: `cargo bench --bench minimal_loop`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};

#[path = "bare_loop/mod.rs"]
mod bare_loop;
use bare_loop::{N_CASES, case_draws, case_words, sequential_10, sequential_64};

fn minimal_loop(c: &mut Criterion) {
    let mut g = c.benchmark_group("minimal_loop");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(12))
        .throughput(Throughput::Elements(N_CASES));
    g.bench_function("sequential_10", |b| b.iter(|| black_box(sequential_10())));
    g.bench_function("sequential_64", |b| b.iter(|| black_box(sequential_64())));
    g.bench_function("case_words", |b| b.iter(|| black_box(case_words())));
    g.bench_function("case_draws", |b| b.iter(|| black_box(case_draws())));
    g.finish();
}

criterion_group!(benches, minimal_loop);
criterion_main!(benches);
