//! Many runs in parallel: the one path by which every command runs scenarios (`run`,
//! `calibrate`, and comparisons of several scenarios on the same runs).
//!
//! The unit of work is one (prepared scenario, run index) pair. Each run's random stream is
//! derived from (master seed, run index) alone; a run is reduced to its series values as soon
//! as it finishes (its cases never outlive it, so memory does not grow with the number of
//! runs); and results are put back in the order of the run indices asked for, so they do not
//! depend on the number of threads or on scheduling. The run indices are any set (`0..n`, or a
//! shard of them), and the same ones are used for every scenario of a call: scenarios then
//! differ only through their parameters (common random numbers).
//!
//! A [`Runner`] owns the worker threads; it is built once and serves any number of calls.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use rayon::prelude::*;

use crate::engine::{Model, N_TERMINALS};
use crate::record::{SeriesDef, series_defs};
use crate::scenario::Scenario;
use crate::summary::{RunValues, SummaryRow, summarize};

/// Which series each run is reduced to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Series {
    /// Every series the scenario defines.
    #[default]
    All,
    /// Only these (names the scenario does not define are ignored).
    Only(BTreeSet<String>),
}

impl Series {
    fn keeps(&self, name: &str) -> bool {
        match self {
            Series::All => true,
            Series::Only(names) => names.contains(name),
        }
    }
}

/// A run that has finished, for progress displays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunDone {
    /// Position of the scenario in the call's list.
    pub scenario: usize,
    pub run_index: u64,
}

/// What to run for every scenario of a call.
#[derive(Clone)]
pub struct Batch<'a> {
    master_seed: u64,
    /// Ascending, without repeats.
    run_indices: Vec<u64>,
    series: Series,
    until: Option<i32>,
    stop: Option<&'a AtomicBool>,
    on_run_done: Option<&'a (dyn Fn(RunDone) + Sync)>,
}

impl<'a> Batch<'a> {
    /// Runs `run_indices` (any order, repeats ignored) of `master_seed`, every series, to the
    /// end of the calendar.
    pub fn new(master_seed: u64, run_indices: impl IntoIterator<Item = u64>) -> Batch<'a> {
        let run_indices: BTreeSet<u64> = run_indices.into_iter().collect();
        Batch {
            master_seed,
            run_indices: run_indices.into_iter().collect(),
            series: Series::All,
            until: None,
            stop: None,
            on_run_done: None,
        }
    }

    /// Reduces each run to these series only.
    pub fn series(mut self, series: Series) -> Self {
        self.series = series;
        self
    }

    /// Simulates only up to the end of `last_year` (when it is before the scenario's last
    /// year): a run cut at a year end counts exactly what the full run counts up to it, and
    /// only the reported years up to it are kept.
    pub fn until(mut self, last_year: Option<i32>) -> Self {
        self.until = last_year;
        self
    }

    /// Runs not yet started when `stop` is set are skipped (the result says it is incomplete).
    pub fn stop_on(mut self, stop: &'a AtomicBool) -> Self {
        self.stop = Some(stop);
        self
    }

    /// Called from the worker threads after each run.
    pub fn on_run_done(mut self, callback: &'a (dyn Fn(RunDone) + Sync)) -> Self {
        self.on_run_done = Some(callback);
        self
    }

    pub fn master_seed(&self) -> u64 {
        self.master_seed
    }

    /// The run indices, ascending.
    pub fn run_indices(&self) -> &[u64] {
        &self.run_indices
    }

    fn stopped(&self) -> bool {
        self.stop.is_some_and(|s| s.load(Ordering::Relaxed))
    }
}

/// What the runs of one scenario produced.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioRuns {
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
}

impl ScenarioRuns {
    /// The summary across the completed runs, in series then year order.
    pub fn summary(&self) -> Vec<SummaryRow> {
        summarize(&self.series, &self.years, &self.runs)
    }
}

/// Why a batch could not run.
#[derive(Debug)]
pub struct BatchError(pub String);

impl std::fmt::Display for BatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BatchError {}

/// The worker threads, built once and reused by every call.
pub struct Runner {
    pool: rayon::ThreadPool,
}

impl Runner {
    /// `threads` workers (0: one per core).
    ///
    /// # Errors
    /// When the threads cannot be started.
    pub fn new(threads: usize) -> Result<Runner, BatchError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| BatchError(format!("cannot start {threads} worker threads: {e}")))?;
        Ok(Runner { pool })
    }

    /// The number of worker threads.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// The runs of one scenario.
    pub fn run(&self, scenario: &Scenario, batch: &Batch<'_>) -> ScenarioRuns {
        self.run_all(&[scenario], batch).pop().unwrap_or_else(|| unreachable!("one scenario in, one result out"))
    }

    /// The runs of every scenario, in the order of `scenarios`.
    pub fn run_all(&self, scenarios: &[&Scenario], batch: &Batch<'_>) -> Vec<ScenarioRuns> {
        let mut results: Vec<Option<ScenarioRuns>> = vec![None; scenarios.len()];
        self.run_each(scenarios, batch, |k, runs| results[k] = Some(runs));
        results.into_iter().map(|r| r.unwrap_or_else(|| unreachable!("run_each reports every scenario"))).collect()
    }

    /// The runs of a parameter ensemble: run index `i` runs `members[i % members.len()]`, with
    /// its own random stream as always, so the spread across runs holds both the members'
    /// differences and the chance of each run. The members must differ only in parameter
    /// values (the same series and years), as an ensemble's do.
    pub fn run_members(&self, members: &[&Scenario], batch: &Batch<'_>) -> ScenarioRuns {
        let prepared: Vec<Prepared<'_>> =
            self.pool.install(|| members.par_iter().map(|s| Prepared::new(s, &batch.series, batch.until)).collect());
        let k = prepared.len().max(1) as u64;
        let slots: Vec<Option<RunResult>> = self.pool.install(|| {
            batch
                .run_indices
                .par_iter()
                .map(|&run_index| {
                    if batch.stopped() {
                        return None;
                    }
                    let member = (run_index % k) as usize;
                    let result = prepared[member].run(batch.master_seed, run_index);
                    if let Some(callback) = batch.on_run_done {
                        callback(RunDone { scenario: member, run_index });
                    }
                    Some(result)
                })
                .collect()
        });
        prepared[0].collect(slots)
    }

    /// Runs every (scenario, run index) pair and calls `scenario_done(k, runs)` on the calling
    /// thread as soon as all runs of `scenarios[k]` are done, so a caller can write or
    /// summarise a scenario while others still run. Scenarios may complete in any order; the
    /// runs within each are always in ascending run index.
    pub fn run_each(
        &self,
        scenarios: &[&Scenario],
        batch: &Batch<'_>,
        mut scenario_done: impl FnMut(usize, ScenarioRuns),
    ) {
        // Preparing a scenario (tabulating its distributions) costs about as much as a small
        // run: once per scenario, in parallel.
        let prepared: Vec<Prepared<'_>> =
            self.pool.install(|| scenarios.par_iter().map(|s| Prepared::new(s, &batch.series, batch.until)).collect());
        let n_runs = batch.run_indices.len();
        let mut pending: Vec<Pending> = prepared.iter().map(|_| Pending::new(n_runs)).collect();
        if n_runs == 0 {
            for (k, p) in prepared.iter().enumerate() {
                scenario_done(k, p.collect(Vec::new()));
            }
            return;
        }
        let (tx, rx) = mpsc::channel::<(usize, usize, Option<RunResult>)>();
        let prepared = &prepared;
        std::thread::scope(|scope| {
            scope.spawn(move || {
                self.pool.install(|| {
                    (0..prepared.len() * n_runs).into_par_iter().for_each_with(tx, |tx, job| {
                        let (k, position) = (job / n_runs, job % n_runs);
                        let run_index = batch.run_indices[position];
                        let outcome = if batch.stopped() {
                            None
                        } else {
                            let result = prepared[k].run(batch.master_seed, run_index);
                            if let Some(callback) = batch.on_run_done {
                                callback(RunDone { scenario: k, run_index });
                            }
                            Some(result)
                        };
                        // The receiver lives until every sender is dropped.
                        let _ = tx.send((k, position, outcome));
                    });
                });
            });
            for (k, position, outcome) in rx {
                let p = &mut pending[k];
                p.slots[position] = outcome;
                p.left -= 1;
                if p.left == 0 {
                    let slots = std::mem::take(&mut p.slots);
                    scenario_done(k, prepared[k].collect(slots));
                }
            }
        });
    }
}

/// One run reduced to what is kept of it.
#[derive(Clone, Debug)]
struct RunResult {
    values: RunValues,
    created: u64,
    terminals: [u64; N_TERMINALS],
}

/// The runs of one scenario received so far, by position in the run list.
struct Pending {
    slots: Vec<Option<RunResult>>,
    left: usize,
}

impl Pending {
    fn new(n_runs: usize) -> Pending {
        Pending { slots: vec![None; n_runs], left: n_runs }
    }
}

/// One scenario prepared for its runs, with the series kept of each.
struct Prepared<'s> {
    model: Model<'s>,
    defs: Vec<SeriesDef>,
    years: Vec<i32>,
    /// Index of the first reported year among the simulated years.
    first_reported: usize,
    /// Run only up to the end of this year, when before the scenario's last.
    until: Option<i32>,
}

impl<'s> Prepared<'s> {
    fn new(s: &'s Scenario, series: &Series, until: Option<i32>) -> Prepared<'s> {
        let until = until.filter(|&y| y < s.calendar.last_year);
        Prepared {
            model: Model::new(s),
            defs: series_defs(s).into_iter().filter(|d| series.keeps(&d.name)).collect(),
            years: s.calendar.reported_years().filter(|&y| until.is_none_or(|u| y <= u)).collect(),
            first_reported: (s.calendar.first_reported_year - s.calendar.first_year) as usize,
            until,
        }
    }

    /// One run, reduced to its series values (series-major: `values[s * n_years + y]`).
    fn run(&self, master_seed: u64, run_index: u64) -> RunResult {
        let out = match self.until {
            Some(last_year) => self.model.simulate_until(master_seed, run_index, last_year),
            None => self.model.simulate(master_seed, run_index),
        };
        let mut values = Vec::with_capacity(self.defs.len() * self.years.len());
        for def in &self.defs {
            for y in 0..self.years.len() {
                values.push(def.value(&out.tally, self.first_reported + y));
            }
        }
        RunResult { values: RunValues { run_index, values }, created: out.created, terminals: out.terminals }
    }

    /// The scenario's result from its runs in run-list order (`None`: skipped after a stop).
    fn collect(&self, slots: Vec<Option<RunResult>>) -> ScenarioRuns {
        let complete = slots.iter().all(Option::is_some);
        let mut runs = Vec::with_capacity(slots.len());
        let mut cases = 0;
        let mut terminals = [0; N_TERMINALS];
        for r in slots.into_iter().flatten() {
            cases += r.created;
            for (sum, t) in terminals.iter_mut().zip(r.terminals) {
                *sum += t;
            }
            runs.push(r.values);
        }
        ScenarioRuns {
            series: self.defs.iter().map(|d| d.name.clone()).collect(),
            units: self.defs.iter().map(|d| d.unit.to_string()).collect(),
            years: self.years.clone(),
            runs,
            complete,
            cases,
            terminals,
        }
    }
}
