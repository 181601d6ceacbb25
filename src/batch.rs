//! Many seeds in parallel. Each run's random stream is derived from (master seed, run index)
//! alone, runs are reduced to their yearly series as soon as they finish (a run's cases never
//! outlive it), and results are collected in run order, so the output does not depend on the
//! number of threads or on scheduling.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::engine::{Model, N_TERMINALS};
use crate::output::RunValues;
use crate::record::series_defs;
use crate::scenario::Scenario;

/// What to run.
#[derive(Clone, Debug)]
pub struct BatchConfig {
    /// Number of runs; run indices are `0..seeds`.
    pub seeds: u64,
    pub master_seed: u64,
    /// Worker threads (0: one per core).
    pub threads: usize,
}

/// What a batch produced.
pub struct BatchResult {
    pub series: Vec<String>,
    pub units: Vec<String>,
    /// Reported years (warm-up years are simulated but not reported).
    pub years: Vec<i32>,
    /// Completed runs in ascending run index.
    pub runs: Vec<RunValues>,
    /// False when a stop was requested before every run finished.
    pub complete: bool,
    /// Cases created over all completed runs, and terminal states summed over them.
    pub cases: u64,
    pub terminals: [u64; N_TERMINALS],
    pub elapsed: Duration,
}

#[derive(Debug)]
pub struct BatchError(pub String);

impl std::fmt::Display for BatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BatchError {}

/// Runs `config.seeds` runs of `scenario`. `on_run_done` is called (from worker threads) after
/// each run; setting `stop` makes runs not yet started return without running.
pub fn run_batch(
    scenario: &Scenario,
    config: &BatchConfig,
    stop: &AtomicBool,
    on_run_done: &(dyn Fn() + Sync),
) -> Result<BatchResult, BatchError> {
    let started = Instant::now();
    let defs = series_defs(scenario);
    let first_reported = (scenario.calendar.first_reported_year - scenario.calendar.first_year) as usize;
    let years: Vec<i32> = scenario.calendar.reported_years().collect();
    let model = Model::new(scenario);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .build()
        .map_err(|e| BatchError(format!("cannot start {} worker threads: {e}", config.threads)))?;
    let outcomes: Vec<Option<(RunValues, u64, [u64; N_TERMINALS])>> = pool.install(|| {
        (0..config.seeds)
            .into_par_iter()
            .map(|run_index| {
                if stop.load(Ordering::Relaxed) {
                    return None;
                }
                let out = model.simulate(config.master_seed, run_index);
                let mut values = Vec::with_capacity(defs.len() * years.len());
                for def in &defs {
                    for y in 0..years.len() {
                        values.push(def.value(&out.tally, first_reported + y));
                    }
                }
                on_run_done();
                Some((RunValues { run_index, values }, out.created, out.terminals))
            })
            .collect()
    });
    let complete = outcomes.iter().all(Option::is_some);
    let mut runs = Vec::new();
    let mut cases = 0;
    let mut terminals = [0; N_TERMINALS];
    for (run, created, t) in outcomes.into_iter().flatten() {
        runs.push(run);
        cases += created;
        for (a, b) in terminals.iter_mut().zip(t) {
            *a += b;
        }
    }
    Ok(BatchResult {
        series: defs.iter().map(|d| d.name.clone()).collect(),
        units: defs.iter().map(|d| d.unit.to_string()).collect(),
        years,
        runs,
        complete,
        cases,
        terminals,
        elapsed: started.elapsed(),
    })
}
