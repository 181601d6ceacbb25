//! The `caseflow` command: parses the command line, calls the library, maps errors to exit
//! codes. Only this file prints, exits or reads argv.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use caseflow::batch::{BatchConfig, run_batch};
use caseflow::output::{self, Provenance};
use caseflow::scenario::{self, Scenario};

/// `println!` that ignores a closed stdout (`caseflow run ... | head -1`): the results are on
/// disk by then, and a panic over a report nobody reads would only hide that.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `eprintln!` that ignores a closed stderr, for the same reason.
macro_rules! esay {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Exit status for bad input: a scenario that does not load, results that would be overwritten.
const EXIT_BAD_INPUT: u8 = 2;
/// Exit status for a failure while running or writing (disk full, HDF5 error).
const EXIT_FAILURE: u8 = 1;
/// Exit status after Ctrl-C (128 + SIGINT), as shells report it.
const EXIT_INTERRUPTED: u8 = 130;

#[derive(Parser)]
#[command(name = "caseflow", version, about = "Simulates how criminal cases move through a justice system, and why")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario for many seeds in parallel and write the results.
    Run {
        /// The scenario file (TOML), e.g. scenarios/kazakhstan.toml.
        scenario: PathBuf,
        /// Number of runs (seeds); run indices are 0..N.
        #[arg(long, default_value_t = 8)]
        seeds: u64,
        /// Master seed; each run's stream is derived from (master seed, run index).
        #[arg(long = "seed", default_value_t = 1)]
        master_seed: u64,
        /// Worker threads (default: one per core). Results do not depend on it.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Output directory (default: results/runs/<scenario>-seed<S>-n<N>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Overwrite results already in the output directory.
        #[arg(long)]
        force: bool,
        /// Print throughput: cases simulated per second, per core used.
        #[arg(long)]
        timings: bool,
    },
    /// Validate a scenario without running it.
    Check {
        /// The scenario file (TOML).
        scenario: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { scenario } => match load(&scenario) {
            Ok(s) => {
                say!(
                    "{}: ok: scenario `{}`, {} provinces, {}-{} (reported from {}), {} rule regimes, {} incentive regimes, {} campaigns",
                    scenario.display(),
                    s.name,
                    s.provinces.len(),
                    s.calendar.first_year,
                    s.calendar.last_year,
                    s.calendar.first_reported_year,
                    s.rules.len(),
                    s.incentives.len(),
                    s.campaigns.len()
                );
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Command::Run { scenario, seeds, master_seed, threads, out, force, timings } => {
            let s = match load(&scenario) {
                Ok(s) => s,
                Err(code) => return code,
            };
            run(&s, &scenario, seeds, master_seed, threads, out, force, timings)
        }
    }
}

/// Bad input for results that would be overwritten, a runtime failure otherwise.
fn output_exit_code(e: &output::OutputError) -> u8 {
    match e {
        output::OutputError::Exists { .. } => EXIT_BAD_INPUT,
        _ => EXIT_FAILURE,
    }
}

/// Loads a scenario, printing every diagnostic on failure.
fn load(path: &Path) -> Result<Scenario, ExitCode> {
    scenario::load_path(path).map_err(|e| {
        esay!("{e}");
        ExitCode::from(EXIT_BAD_INPUT)
    })
}

#[allow(clippy::too_many_arguments)]
fn run(
    s: &Scenario,
    path: &Path,
    seeds: u64,
    master_seed: u64,
    threads: usize,
    out: Option<PathBuf>,
    force: bool,
    timings: bool,
) -> ExitCode {
    if seeds == 0 {
        esay!("error: --seeds must be at least 1");
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    let out_dir =
        out.unwrap_or_else(|| PathBuf::from(format!("results/runs/{}-seed{}-n{}", s.name, master_seed, seeds)));
    // Refuse before running, not after: a long batch must not end in "already exists" or
    // "cannot write".
    let created_dir = match output::prepare_dir(&out_dir, force) {
        Ok(created) => created,
        Err(e) => {
            esay!("error: {e}");
            return ExitCode::from(output_exit_code(&e));
        }
    };
    // When nothing ends up written, do not leave behind an empty directory made above
    // (`remove_dir` removes only empty directories).
    let discard_dir = || {
        if created_dir {
            let _ = std::fs::remove_dir(&out_dir);
        }
    };

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        // First Ctrl-C: finish the runs under way, keep them, write them marked incomplete.
        // Second Ctrl-C: leave at once (nothing is half-written: files are renamed into place).
        let _ = ctrlc::set_handler(move || {
            if stop.swap(true, Ordering::SeqCst) {
                std::process::exit(EXIT_INTERRUPTED as i32);
            }
            esay!("\ninterrupted: finishing the runs under way, then writing them (Ctrl-C again to quit now)");
        });
    }

    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(seeds);
        bar.set_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} runs, eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let config = BatchConfig { seeds, master_seed, threads };
    let on_done = || bar.inc(1);
    let result = match run_batch(s, &config, &stop, &on_done) {
        Ok(r) => r,
        Err(e) => {
            bar.abandon();
            esay!("error: {e}");
            discard_dir();
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    bar.finish_and_clear();

    if result.runs.is_empty() {
        esay!("interrupted before any run finished: nothing written");
        discard_dir();
        return ExitCode::from(EXIT_INTERRUPTED);
    }
    let summary = output::summarize(&result.series, &result.years, &result.runs);
    let prov = Provenance {
        scenario_name: s.name.clone(),
        scenario_path: path.display().to_string(),
        scenario_text: s.source_text.clone(),
        master_seed,
        run_indices: result.runs.iter().map(|r| r.run_index).collect(),
        command_line: std::env::args().collect::<Vec<_>>().join(" "),
        complete: result.complete,
    };
    let written = match output::write_results(
        &out_dir,
        force,
        &prov,
        &result.series,
        &result.units,
        &result.years,
        &result.runs,
        &summary,
    ) {
        Ok(w) => w,
        Err(e) => {
            esay!("error: {e}");
            if !result.complete {
                esay!("interrupted: {} of {} runs had finished, but could not be written", result.runs.len(), seeds);
            }
            discard_dir();
            return ExitCode::from(output_exit_code(&e));
        }
    };

    let threads_used = if threads == 0 { rayon::current_num_threads() } else { threads };
    say!(
        "{} runs of `{}` (master seed {}), {}-{}: {:.1} s",
        result.runs.len(),
        s.name,
        master_seed,
        s.calendar.first_reported_year,
        s.calendar.last_year,
        result.elapsed.as_secs_f64()
    );
    if timings {
        let secs = result.elapsed.as_secs_f64().max(1e-9);
        say!(
            "timings: {} cases in {:.2} s: {:.0} cases/s on {} threads, {:.0} cases/s per thread",
            result.cases,
            secs,
            result.cases as f64 / secs,
            threads_used,
            result.cases as f64 / secs / threads_used as f64
        );
    }
    say!("results: {}", written.dir.display());
    say!("  summary (mean, sd, p05, p95 across runs): {}", written.summary_csv.display());
    say!("  every run, every year, with provenance:   {}", written.hdf5.display());
    say!("  how it was made:                          {}", written.provenance.display());
    if !result.complete {
        esay!(
            "interrupted: {} of {} runs finished and were written; the results are marked incomplete",
            result.runs.len(),
            seeds
        );
        return ExitCode::from(EXIT_INTERRUPTED);
    }
    ExitCode::SUCCESS
}
