//! The `caseflow` command: parses the command line, calls the library, maps errors to exit
//! codes. Only this file prints, exits or reads argv.

use std::io::IsTerminal;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use caseflow::batch::{Batch, Runner};
use caseflow::calibrate::{self, CalibrateError, Progress, StopReason};
use caseflow::output::{self, Provenance};
use caseflow::scenario::{self, Scenario};
use caseflow::shard::Shard;

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

mod experiment_commands;

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

/// What `screen` and `ensemble` read, as `calibrate` does: a scenario, the targets, FREE.toml
/// and the years to fit.
#[derive(clap::Args)]
struct FitInputs {
    /// The scenario file (TOML), usually a fitted one.
    scenario: PathBuf,
    /// Targets file: series,year,value,unit,kind,source,note.
    #[arg(long)]
    targets: PathBuf,
    /// The free parameters, their bounds (the ensemble's prior) and how candidates run.
    #[arg(long)]
    free: PathBuf,
    /// Use the targets of these years (default: FREE.toml's targets_years).
    #[arg(long, value_parser = calibrate::parse_years)]
    fit_years: Option<RangeInclusive<i32>>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

#[derive(Subcommand)]
enum Command {
    /// Tell the stories of a few cases, stage by stage: who decided, the options with their
    /// utilities and chances, the draw, the outcome, and the incentive that pushed hardest.
    Trace {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// How many cases (a random sample of those registered in the year).
        #[arg(long, default_value_t = 3)]
        cases: usize,
        /// Master seed; the stories are of run 0.
        #[arg(long = "seed", default_value_t = 1)]
        seed: u64,
        /// Only cases of this crime kind (as named in the scenario), e.g. theft.
        #[arg(long)]
        kind: Option<String>,
        /// Cases registered in this year (default: the first reported year).
        #[arg(long)]
        year: Option<i32>,
        /// Only cases that reached a trial.
        #[arg(long)]
        tried: bool,
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Serve the workshop page: participants move incentive weights and rules of a year, run,
    /// and see their variant beside the baseline, with a few case stories.
    Serve {
        /// The baseline scenario (default: scenarios/kazakhstan.toml).
        scenario: Option<PathBuf>,
        /// Port (0: any free port).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Address to listen on; 0.0.0.0 serves a classroom on the LAN.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Seeds per run (each answer runs this many seeds of the scaled-down scenario).
        #[arg(long, default_value_t = caseflow::serve::DEFAULT_SEEDS)]
        seeds: u64,
        /// Scale of the runs: inflow and staff multiplied by it, counts divided by it.
        #[arg(long, default_value_t = caseflow::serve::DEFAULT_SCALE)]
        scale: f64,
    },
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
        /// Compute only shard I of N (0 <= I < N) of the runs, into OUT/shard-IIII-of-NNNN;
        /// `caseflow merge` joins the shards. Default: from SLURM_ARRAY_TASK_ID and
        /// SLURM_ARRAY_TASK_COUNT when set, else every run.
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        /// Run over a parameter ensemble (`ensemble.csv` of `caseflow ensemble`): run i takes
        /// member i mod K, with its own random stream, so the p05-p95 band holds parameter and
        /// run-to-run uncertainty.
        #[arg(long, value_name = "ENSEMBLE.csv")]
        ensemble: Option<PathBuf>,
    },
    /// Join the shards of a batch (`run --shard`, a Slurm job array) into the result one
    /// machine writes; lists missing shards and the sbatch line that reruns them.
    Merge {
        /// Shard directories, or a directory holding shard-* directories.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Output directory of the merged results.
        #[arg(long)]
        out: PathBuf,
        /// Overwrite results already in the output directory.
        #[arg(long)]
        force: bool,
        /// The job script named in the rerun line for missing shards.
        #[arg(long, default_value = "scripts/slurm/caseflow-array.sh")]
        job_script: String,
    },
    /// Validate a scenario without running it.
    Check {
        /// The scenario file (TOML).
        scenario: PathBuf,
    },
    /// Compare a run's results with the published targets: hits, misses and loss per target.
    Compare {
        /// Results directory written by `caseflow run` (summary.csv and provenance.toml).
        results: PathBuf,
        /// Targets file: series,year,value,unit,kind,source,note.
        #[arg(long, default_value = "data/targets.csv")]
        targets: PathBuf,
        /// Compare only the targets of these years, e.g. 2008-2012.
        #[arg(long, value_parser = calibrate::parse_years)]
        years: Option<RangeInclusive<i32>>,
        /// The years the scenario was fitted to, e.g. 2000-2009: their hits and those of the
        /// later years (forecasts: band, 25%, or 0.03 for shares) are reported apart.
        #[arg(long, value_parser = calibrate::parse_years)]
        fit_years: Option<RangeInclusive<i32>>,
        /// Where to write the CSV (default: RESULTS/compare.csv).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write one self-contained HTML page of a run's results against the published figures
    /// (opens offline), and an SVG figure per series with published figures beside it.
    Report {
        /// Results directory written by `caseflow run` (summary.csv and provenance.toml).
        results: PathBuf,
        /// The HTML file (default: RESULTS/report.html).
        #[arg(short = 'o', long)]
        out: Option<PathBuf>,
        /// Targets file: series,year,value,unit,kind,source,note.
        #[arg(long, default_value = "data/targets.csv")]
        targets: PathBuf,
        /// Count hits only for the targets of these years, e.g. 2008-2012.
        #[arg(long, value_parser = calibrate::parse_years)]
        years: Option<RangeInclusive<i32>>,
        /// Where the SVG figures go (default: <stem of the HTML file>-svg/ beside it).
        #[arg(long)]
        svg_dir: Option<PathBuf>,
        /// Overwrite a report and figures already there.
        #[arg(long)]
        force: bool,
    },
    /// Fit the parameters named in FREE.toml to the targets (sep-CMA-ES, method of simulated
    /// moments); resumes from the output directory's state.toml. See docs/calibration.md.
    Calibrate {
        /// The scenario file (TOML) to start from.
        scenario: PathBuf,
        /// Targets file: series,year,value,unit,kind,source,note.
        #[arg(long)]
        targets: PathBuf,
        /// The free parameters, their bounds and the calibration settings.
        #[arg(long)]
        free: PathBuf,
        /// Candidate evaluations allowed in total, the starting point included (at least 1;
        /// each runs `seeds` runs).
        #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
        budget: u64,
        /// Fit only the targets of these years (e.g. 2000-2009), instead of FREE.toml's
        /// `targets_years`; the report gives the later years' hits apart, as forecasts.
        #[arg(long, value_parser = calibrate::parse_years)]
        fit_years: Option<RangeInclusive<i32>>,
        /// Output directory (default: results/calibration/<scenario>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads (default: one per core). Results do not depend on it.
        #[arg(long, default_value_t = 0)]
        threads: usize,
    },
    /// Screen the parameters of FREE.toml before a fit: Morris elementary effects of the
    /// calibration loss, each parameter moved near the scenario's value; writes the ranking
    /// and a FREE.toml without the parameters that hardly matter. See docs/calibration.md.
    Screen {
        #[command(flatten)]
        inputs: FitInputs,
        /// Morris trajectories: the screen evaluates trajectories x (parameters + 1) points.
        #[arg(long, default_value_t = 4)]
        trajectories: usize,
        /// Grid levels of the Morris design (even).
        #[arg(long, default_value_t = 4)]
        levels: usize,
        /// Half-width of each parameter's window around its value, as a share of its bounds.
        #[arg(long, default_value_t = 0.2)]
        radius: f64,
        /// Parameters with mu* below this share of the largest are proposed to be fixed.
        #[arg(long, default_value_t = 0.1)]
        threshold: f64,
        /// Seed of the design.
        #[arg(long = "seed", default_value_t = 1)]
        seed: u64,
        /// Output directory (default: results/calibration/<scenario>-screening).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace a screen already in the output directory.
        #[arg(long)]
        force: bool,
    },
    /// Parameter uncertainty: an ensemble of parameter sets that fit the targets (a synthetic
    /// likelihood, uniform prior on FREE.toml's bounds, sampled by tempered sequential Monte
    /// Carlo or population Monte Carlo); `run --ensemble` and `diff --ensemble` run over it.
    /// See docs/calibration.md.
    Ensemble {
        #[command(flatten)]
        inputs: FitInputs,
        /// The sampler: `smc` (tempering with Metropolis moves) or `pmc` (population Monte
        /// Carlo, importance weights).
        #[arg(long, value_enum, default_value_t = SamplerArg::Smc)]
        sampler: SamplerArg,
        /// What a target row's error costs: `synthetic`, all of it (a posterior); `tolerant`,
        /// only what lies beyond the compare hit rule's tolerance (15%, or 0.02 for shares).
        #[arg(long, value_enum, default_value_t = ErrorsArg::Synthetic)]
        errors: ErrorsArg,
        /// Candidates per generation (the particles; at least 2).
        #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(2..))]
        particles: u64,
        /// SMC: Metropolis moves of every particle after each tempering step (at least 1).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
        moves: u64,
        /// The model's own error as a share of each published figure (default: estimated from
        /// the scenario's misfit by the method of moments; at least 0).
        #[arg(long, value_parser = non_negative)]
        discrepancy: Option<f64>,
        /// PMC: generations (default 3); SMC: the most tempering steps, the last reaching
        /// the posterior whatever its effective sample size (default 8). At least 1.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        generations: Option<u64>,
        /// First proposal: sd around the scenario's values as a share of the bounds; 0 draws
        /// from the prior.
        #[arg(long, default_value_t = 0.05, value_parser = non_negative)]
        width: f64,
        /// Parameter sets written to ensemble.csv (default: --particles; at least 1).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        members: Option<u64>,
        /// Seed of the sampler.
        #[arg(long = "seed", default_value_t = 1)]
        seed: u64,
        /// Output directory (default: results/calibration/<scenario>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace an ensemble already in the output directory.
        #[arg(long)]
        force: bool,
    },
    /// What a change does: run two scenarios on the same runs (common random numbers) and
    /// report, per series and year, the paired difference with a 90% interval. See
    /// docs/experiments.md.
    Diff {
        /// The base scenario (TOML).
        base: PathBuf,
        /// The alternative scenario: the base with the change.
        alt: PathBuf,
        /// Runs per scenario; run indices 0..N.
        #[arg(long, default_value_t = 8)]
        seeds: u64,
        /// Master seed, the same for both scenarios.
        #[arg(long = "seed", default_value_t = 1)]
        master_seed: u64,
        /// Output directory (default: results/diffs/<base>-vs-<alt>-seed<S>-n<N>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads (default: one per core). Results do not depend on it.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Run the alternative on other runs (indices N..2N) instead: an unpaired difference,
        /// with Welch's interval and its width relative to the paired one.
        #[arg(long)]
        independent: bool,
        /// Overwrite results already in the output directory.
        #[arg(long)]
        force: bool,
        /// Run both scenarios over a parameter ensemble (`ensemble.csv`): run i of each takes
        /// member i mod K, so the interval holds parameter uncertainty too.
        #[arg(long, value_name = "ENSEMBLE.csv")]
        ensemble: Option<PathBuf>,
    },
    /// Run every point of a sweep file's design on the same runs, streaming the results to
    /// one HDF5 file; resumes an interrupted sweep. See docs/experiments.md.
    Sweep {
        /// The sweep file (TOML).
        sweep: PathBuf,
        /// Output directory (default: results/sweeps/<sweep file name>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads (default: one per core). Results do not depend on it.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Start over: forget finished points and overwrite the results.
        #[arg(long)]
        force: bool,
        /// Compute only shard I of N (0 <= I < N) of the points, into OUT/shard-IIII-of-NNNN;
        /// `caseflow merge` joins the shards. Default: from SLURM_ARRAY_TASK_ID and
        /// SLURM_ARRAY_TASK_COUNT when set, else every point.
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
    },
    /// Sobol' (S1, ST) or Morris (mu, mu*, sigma) indices of a sweep's outputs, with bootstrap
    /// intervals as SALib computes them; exports the design and outputs in SALib's row order.
    Sensitivity {
        /// A sweep's output directory (or its sweep.h5).
        results: PathBuf,
        /// What is measured at each point: SERIES (mean over the sweep's years), SERIES:YEAR or
        /// SERIES:Y1-Y2 (mean over those years); each point's value is the mean over its runs.
        /// Repeat for several outputs.
        #[arg(long = "output", required = true)]
        outputs: Vec<caseflow::experiment::sensitivity::OutputSpec>,
        /// Output directory (default: the sweep's).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Bootstrap resamples for the intervals (SALib's default 100).
        #[arg(long, default_value_t = 100)]
        resamples: usize,
        /// Level of the intervals (SALib's conf_level).
        #[arg(long, default_value_t = 0.95)]
        conf_level: f64,
        /// Seed of the bootstrap draws.
        #[arg(long = "seed", default_value_t = 1)]
        seed: u64,
        /// Overwrite an earlier analysis in the output directory.
        #[arg(long)]
        force: bool,
    },
    /// How much of the change of each series between two years each dated change in between
    /// explains: Shapley values over the [[rules]], [[incentives]], [[staff_change]] entries
    /// dated after FROM up to the end of TO, the campaigns that start or end, and the inflow.
    Attribute {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// The year the change is measured from.
        #[arg(long)]
        from: i32,
        /// The year the change is measured to.
        #[arg(long)]
        to: i32,
        /// Series to attribute, comma-separated (default: every series).
        #[arg(long, value_delimiter = ',')]
        series: Option<Vec<String>>,
        /// Runs per coalition; run indices 0..N, the same for every coalition.
        #[arg(long, default_value_t = 8)]
        seeds: u64,
        /// Master seed, the same for every coalition.
        #[arg(long = "seed", default_value_t = 1)]
        master_seed: u64,
        /// Beyond 12 players: permutations sampled (their own seed is --permutation-seed).
        #[arg(long, default_value_t = 64)]
        permutations: usize,
        #[arg(long, default_value_t = 1)]
        permutation_seed: u64,
        /// Output directory (default: results/attribution/<scenario>-<from>-<to>-seed<S>-n<N>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads (default: one per core). Results do not depend on it.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Overwrite results already in the output directory.
        #[arg(long)]
        force: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Trace { scenario, cases, seed, kind, year, tried, json } => {
            let s = match load(&scenario) {
                Ok(s) => s,
                Err(code) => return code,
            };
            let request = caseflow::story::StoryRequest { cases, seed, kind, year, tried };
            match caseflow::story::tell(&s, &request) {
                Ok(stories) => {
                    if json {
                        say!("{:#}", caseflow::story::to_json(&s, &stories));
                    } else {
                        say!("{}", caseflow::story::to_text(&s, &stories).trim_end());
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    esay!("error: {e}");
                    ExitCode::from(EXIT_BAD_INPUT)
                }
            }
        }
        Command::Serve { scenario, port, host, seeds, scale } => {
            let path = scenario.unwrap_or_else(|| PathBuf::from("scenarios/kazakhstan.toml"));
            let config = caseflow::serve::Config { scenario: path, host, port, seeds, scale };
            let server = match caseflow::serve::Server::new(&config) {
                Ok(s) => s,
                Err(e) => {
                    esay!("{e}");
                    return ExitCode::from(EXIT_BAD_INPUT);
                }
            };
            let result = server.run(|addr| {
                say!("workshop page: http://{addr}/  (Ctrl-C to stop)");
            });
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    esay!("error: {e}");
                    ExitCode::from(EXIT_FAILURE)
                }
            }
        }
        Command::Check { scenario } => match load(&scenario) {
            Ok(s) => {
                say!(
                    "{}: ok: scenario `{}`, {} provinces, {}-{} (reported from {}), {} rule regimes, {} incentive regimes, {} staff changes, {} campaigns, {} amnesties",
                    scenario.display(),
                    s.name,
                    s.provinces.len(),
                    s.calendar.first_year,
                    s.calendar.last_year,
                    s.calendar.first_reported_year,
                    s.rules.len(),
                    s.incentives.len(),
                    s.staffing.len() - 1,
                    s.campaigns.len(),
                    s.amnesties.len()
                );
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Command::Run { scenario, seeds, master_seed, threads, out, force, timings, shard, ensemble } => {
            let s = match load(&scenario) {
                Ok(s) => s,
                Err(code) => return code,
            };
            let members = match ensemble.as_deref().map(|e| ensemble_members(&s, &scenario, e)).transpose() {
                Ok(m) => m,
                Err(code) => return code,
            };
            let shard = match shard_choice(shard.as_deref(), seeds) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let threads = match threads_from(threads) {
                Ok(t) => t,
                Err(code) => return code,
            };
            let over = members.as_ref().map(|(e, m)| (e, m.as_slice()));
            run(&s, &scenario, seeds, master_seed, threads, out, force, timings, shard, over)
        }
        Command::Merge { shards, out, force, job_script } => merge_command(shards, out, force, job_script),
        Command::Screen { inputs, trajectories, levels, radius, threshold, seed, out, force } => {
            let options = |name: &str, threads| calibrate::ScreenOptions {
                trajectories,
                levels,
                radius,
                threshold,
                seed,
                out_dir: out.clone().unwrap_or_else(|| calibrate::default_screen_dir(name)),
                threads,
                command_line: command_line(),
            };
            let label = inputs.scenario.display().to_string();
            fit_command(inputs, |s, spec, rows, threads| {
                let o = options(&s.name, threads);
                let out = fit_out(
                    &o.out_dir,
                    &[calibrate::SCREENING_CSV, calibrate::SCREENING_MD, calibrate::SCREENED_FREE],
                    force,
                    "a screen",
                )?;
                let progress = candidates_bar();
                let outcome = calibrate::screen(&s.source_text, &label, spec, rows, &o, &|p| progress.tick(p));
                progress.bar.finish_and_clear();
                let outcome = outcome.map_err(|e| out.failed(&e))?;
                say!(
                    "screen of {} parameters ({} points): mu* of the loss, largest first",
                    outcome.params.len(),
                    outcome.points
                );
                for p in &outcome.params {
                    say!(
                        "  {:<60} {:>9.5} ± {:.5}  {}",
                        p.key,
                        p.mu_star,
                        p.mu_star_conf,
                        if p.keep { "free" } else { "fixed" }
                    );
                }
                let kept = outcome.params.iter().filter(|p| p.keep).count();
                say!("{kept} of {} stay free; written:", outcome.params.len());
                for f in &outcome.files {
                    say!("  {}", f.display());
                }
                Ok(())
            })
        }
        Command::Ensemble {
            inputs,
            sampler,
            errors,
            particles,
            moves,
            discrepancy,
            generations,
            width,
            members,
            seed,
            out,
            force,
        } => {
            let label = inputs.scenario.display().to_string();
            fit_command(inputs, |s, spec, rows, threads| {
                let o = calibrate::EnsembleOptions {
                    sampler: match sampler {
                        SamplerArg::Smc => calibrate::Sampler::Smc,
                        SamplerArg::Pmc => calibrate::Sampler::Pmc,
                    },
                    errors: match errors {
                        ErrorsArg::Synthetic => calibrate::ErrorModel::Synthetic,
                        ErrorsArg::Tolerant => calibrate::ErrorModel::Tolerant,
                    },
                    moves: moves as usize,
                    generations: generations.map_or(
                        match sampler {
                            SamplerArg::Smc => 8,
                            SamplerArg::Pmc => 3,
                        },
                        |g| g as usize,
                    ),
                    particles: particles as usize,
                    discrepancy,
                    width,
                    members: members.unwrap_or(particles) as usize,
                    seed,
                    out_dir: out.clone().unwrap_or_else(|| calibrate::default_out_dir(&s.name)),
                    threads,
                    command_line: command_line(),
                };
                let out = fit_out(
                    &o.out_dir,
                    &[calibrate::ENSEMBLE_CSV, calibrate::PARTICLES_CSV, calibrate::ENSEMBLE_MD],
                    force,
                    "an ensemble",
                )?;
                let progress = candidates_bar();
                let outcome = calibrate::ensemble(&s.source_text, &label, spec, rows, &o, &|p| progress.tick(p));
                progress.bar.finish_and_clear();
                let outcome = outcome.map_err(|e| out.failed(&e))?;
                say!("discrepancy: {:.4} of each published figure", outcome.discrepancy);
                for g in &outcome.generations {
                    let tempering = match (g.temperature, g.acceptance) {
                        (Some(t), Some(a)) => format!(", temperature {t:.4}, moves accepted {a:.2}"),
                        (Some(t), None) => format!(", temperature {t:.4}"),
                        _ => String::new(),
                    };
                    say!(
                        "generation {}: {} candidates, best log likelihood {:.3}, effective sample size {:.1}, \
                         {} distinct{tempering}",
                        g.generation,
                        g.candidates,
                        g.best_log_likelihood,
                        g.ess,
                        g.distinct
                    );
                }
                say!("{} members over {} parameters; written:", outcome.members.len(), outcome.keys.len());
                for f in &outcome.files {
                    say!("  {}", f.display());
                }
                Ok(())
            })
        }
        Command::Compare { results, targets, years, fit_years, out } => {
            compare(&results, &targets, years, fit_years, out.as_deref())
        }
        Command::Report { results, out, targets, years, svg_dir, force } => {
            report_command(caseflow::report::ReportRequest {
                results,
                targets,
                years,
                out,
                svg_dir,
                force,
                command_line: command_line(),
            })
        }
        Command::Calibrate { scenario, targets, free, budget, fit_years, out, threads } => {
            match threads_from(threads) {
                Ok(threads) => calibrate_command(&scenario, &targets, &free, budget, fit_years, out, threads),
                Err(code) => code,
            }
        }
        Command::Diff { base, alt, seeds, master_seed, out, threads, independent, force, ensemble } => {
            experiment_commands::diff(
                &base,
                &alt,
                seeds,
                master_seed,
                out,
                threads,
                independent,
                force,
                ensemble.as_deref(),
            )
        }
        Command::Sweep { sweep, out, threads, force, shard } => {
            experiment_commands::sweep(&sweep, out, threads, force, shard.as_deref())
        }
        Command::Sensitivity { results, outputs, out, resamples, conf_level, seed, force } => {
            if resamples < 2 || !(conf_level > 0.0 && conf_level < 1.0) {
                esay!("error: --resamples must be at least 2 and --conf-level between 0 and 1");
                return ExitCode::from(EXIT_BAD_INPUT);
            }
            let boot = caseflow::experiment::sensitivity::Bootstrap { resamples, conf_level, seed };
            experiment_commands::sensitivity(&results, &outputs, out, boot, force)
        }
        Command::Attribute {
            scenario,
            from,
            to,
            series,
            seeds,
            master_seed,
            permutations,
            permutation_seed,
            out,
            threads,
            force,
        } => {
            let spec = caseflow::experiment::attribution::AttributionSpec {
                from,
                to,
                series,
                master_seed,
                seeds,
                permutations,
                permutation_seed,
            };
            experiment_commands::attribute(&scenario, &spec, out, threads, force)
        }
    }
}

/// Bad input for results that would be overwritten, a runtime failure otherwise.
/// An output directory made ready for a command's files (refusing, without `--force`, to
/// overwrite any of `names`): on error the message is printed and the exit code returned.
fn prepare_out<'a>(dir: &'a Path, force: bool, names: &[&str]) -> Result<PreparedOut<'a>, ExitCode> {
    match output::prepare_dir_for(dir, force, names) {
        Ok(created) => Ok(PreparedOut { dir, created }),
        Err(e) => {
            esay!("error: {e}");
            Err(ExitCode::from(output_exit_code(&e)))
        }
    }
}

/// A prepared output directory and whether the command made it.
struct PreparedOut<'a> {
    dir: &'a Path,
    created: bool,
}

impl PreparedOut<'_> {
    /// When nothing ends up written, removes the directory the command made (`remove_dir`
    /// removes only an empty one), so a failed command leaves nothing behind.
    fn discard(&self) {
        if self.created {
            let _ = std::fs::remove_dir(self.dir);
        }
    }
}

fn output_exit_code(e: &output::OutputError) -> u8 {
    match e {
        output::OutputError::Exists { .. } => EXIT_BAD_INPUT,
        _ => EXIT_FAILURE,
    }
}

/// Refuses (exit 2) a call whose `runs` runs of `s` would keep more results in memory than
/// the machine has available (Linux's MemAvailable; elsewhere only absurd counts are caught):
/// every run's series are held until they are written, so too many runs would end in an
/// allocation failure, not an error message.
fn runs_fit_in_memory(s: &Scenario, runs: u64) -> Result<(), ExitCode> {
    // Bytes a run keeps: a value per series and reported year, with room for the containers.
    const OVERHEAD: f64 = 1.5;
    const GB: f64 = 1e9;
    let years = s.calendar.reported_years().count() as f64;
    let per_run = caseflow::record::series_defs(s).len() as f64 * years * 8.0 * OVERHEAD;
    let need = per_run * runs as f64;
    let available = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        m.lines()
            .find_map(|l| l.strip_prefix("MemAvailable:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kib| kib * 1024.0)
    });
    let limit = available.unwrap_or(f64::INFINITY).min(per_run * 1e9);
    if need <= limit {
        return Ok(());
    }
    let have = available.map_or_else(String::new, |a| format!(", more than the {:.1} GB available", a / GB));
    esay!(
        "error: {runs} runs would keep about {:.1} GB of results in memory{have}; run fewer --seeds, or \
         split them into shards (--shard I/N, then `caseflow merge`)",
        need / GB
    );
    Err(ExitCode::from(EXIT_BAD_INPUT))
}

/// Loads a scenario, printing every diagnostic on failure.
fn load(path: &Path) -> Result<Scenario, ExitCode> {
    scenario::load_path(path).map_err(|e| {
        esay!("{e}");
        ExitCode::from(EXIT_BAD_INPUT)
    })
}

/// The shard to compute (`--shard`, else a Slurm job array's variables), said on stderr.
fn shard_choice(flag: Option<&str>, seeds: u64) -> Result<Option<Shard>, ExitCode> {
    shard_of(flag, seeds, "runs", "--seeds")
}

/// The shard of `total` `what` to compute, said on stderr (`flag` names the total's option).
fn shard_of(flag: Option<&str>, seeds: u64, what: &str, total_flag: &str) -> Result<Option<Shard>, ExitCode> {
    let bad = |message: String| {
        esay!("error: {message}");
        ExitCode::from(EXIT_BAD_INPUT)
    };
    let choice = caseflow::shard::choose(flag, |k| std::env::var(k).ok()).map_err(|e| bad(e.to_string()))?;
    let Some(choice) = choice else { return Ok(None) };
    let shard = choice.shard;
    if shard.count > seeds {
        return Err(bad(format!(
            "shard {shard} (from {}): more shards than {what} ({total_flag} {seeds})",
            choice.source
        )));
    }
    let runs = shard.runs(seeds);
    esay!("shard {shard} (from {}): {what} {}..{} of 0..{seeds}", choice.source, runs.start, runs.end);
    Ok(Some(shard))
}

/// Worker threads: `--threads`, else SLURM_CPUS_PER_TASK (said on stderr), else one per core.
fn threads_from(flag: usize) -> Result<usize, ExitCode> {
    match caseflow::shard::threads(flag, |k| std::env::var(k).ok()) {
        Ok((n, Some(source))) => {
            esay!("threads: {n} (from {source})");
            Ok(n)
        }
        Ok((n, None)) => Ok(n),
        Err(e) => {
            esay!("error: {e}");
            Err(ExitCode::from(EXIT_BAD_INPUT))
        }
    }
}

/// The scenario of each member of the ensemble in `file`: `s` with the member's values.
fn ensemble_members(s: &Scenario, path: &Path, file: &Path) -> Result<(calibrate::Ensemble, Vec<Scenario>), ExitCode> {
    let ensemble = calibrate::load_ensemble(file).map_err(|e| calibrate_failed(&e))?;
    let members = ensemble.member_scenarios(s, path).map_err(|e| calibrate_failed(&e))?;
    Ok((ensemble, members))
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
    shard: Option<Shard>,
    ensemble: Option<(&calibrate::Ensemble, &[Scenario])>,
) -> ExitCode {
    if seeds == 0 {
        esay!("error: --seeds must be at least 1");
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    let batch_dir =
        out.unwrap_or_else(|| PathBuf::from(format!("results/runs/{}-seed{}-n{}", s.name, master_seed, seeds)));
    // A shard writes into its own directory inside the batch's, so that the tasks of an array
    // can share one --out and `caseflow merge OUT` finds them.
    let out_dir = match shard {
        Some(shard) => batch_dir.join(shard.dir_name()),
        None => batch_dir,
    };
    let run_indices = shard.map_or(0..seeds, |sh| sh.runs(seeds));
    let n_runs = run_indices.end - run_indices.start;
    if let Err(code) = runs_fit_in_memory(s, n_runs) {
        return code;
    }
    // Refuse before running, not after: a long batch must not end in "already exists" or
    // "cannot write".
    let out = match prepare_out(&out_dir, force, &output::RESULT_FILES) {
        Ok(out) => out,
        Err(code) => return code,
    };
    let discard_dir = || out.discard();

    // First Ctrl-C: finish the runs under way, keep them, write them marked incomplete.
    // Second Ctrl-C: leave at once (nothing is half-written: files are renamed into place).
    let stop = stop_on_interrupt("finishing the runs under way, then writing them");
    let runner = match Runner::new(threads) {
        Ok(r) => r,
        Err(e) => {
            esay!("error: {e}");
            discard_dir();
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    // A bar on a terminal; in a log (a Slurm job's output), a line every 30 s or so.
    let progress = Mutex::new((experiment_commands::Progress::new("runs"), 0u64));
    lock(&progress).0.start(0, n_runs);
    let on_done = |_| {
        let mut p = lock(&progress);
        p.1 += 1;
        let done = p.1;
        p.0.set(done, n_runs);
    };
    let started = Instant::now();
    let batch = Batch::new(master_seed, run_indices).stop_on(&stop).on_run_done(&on_done);
    let result = match ensemble {
        None => runner.run(s, &batch),
        Some((_, members)) => runner.run_members(&members.iter().collect::<Vec<_>>(), &batch),
    };
    let elapsed = started.elapsed();
    lock(&progress).0.bar.finish_and_clear();

    if result.runs.is_empty() {
        esay!("interrupted before any run finished: nothing written");
        discard_dir();
        return ExitCode::from(EXIT_INTERRUPTED);
    }
    let summary = result.summary();
    let prov = Provenance {
        scenario_name: s.name.clone(),
        scenario_path: path.display().to_string(),
        scenario_text: s.source_text.clone(),
        master_seed,
        run_indices: result.runs.iter().map(|r| r.run_index).collect(),
        command_line: command_line(),
        complete: result.complete,
        shard: shard.map(|shard| output::ShardOf { shard, batch_runs: seeds }),
        ensemble: ensemble.map(|(e, members)| output::EnsembleOf {
            file: e.file.clone(),
            sha256: e.sha256.clone(),
            members: members.len() as u64,
        }),
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
                esay!("interrupted: {} of {} runs had finished, but could not be written", result.runs.len(), n_runs);
            }
            discard_dir();
            return ExitCode::from(output_exit_code(&e));
        }
    };

    let threads_used = runner.threads();
    say!(
        "{} runs of `{}` (master seed {}), {}-{}: {:.1} s",
        result.runs.len(),
        s.name,
        master_seed,
        s.calendar.first_reported_year,
        s.calendar.last_year,
        elapsed.as_secs_f64()
    );
    if timings {
        let secs = elapsed.as_secs_f64().max(1e-9);
        say!(
            "timings: {} cases in {:.2} s: {:.0} cases/s on {} threads, {:.0} cases/s per thread",
            result.cases,
            secs,
            result.cases as f64 / secs,
            threads_used,
            result.cases as f64 / secs / threads_used as f64
        );
    }
    if let Some(shard) = shard {
        say!("shard {shard} of a batch of {seeds} runs; join the shards with `caseflow merge`");
    }
    say!("results: {}", written.dir.display());
    say!("  summary (mean, sd, p05, p95 across runs): {}", written.summary_csv.display());
    say!("  every run, every year, with provenance:   {}", written.hdf5.display());
    say!("  how it was made:                          {}", written.provenance.display());
    if !result.complete {
        esay!(
            "interrupted: {} of {} runs finished and were written; the results are marked incomplete",
            result.runs.len(),
            n_runs
        );
        return ExitCode::from(EXIT_INTERRUPTED);
    }
    ExitCode::SUCCESS
}

/// A mutex that a panicking holder did not leave unusable (progress only).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Exit status when shards are missing or incomplete (`caseflow merge`): nothing written,
/// rerun the shards listed.
const EXIT_SHARDS_MISSING: u8 = 3;

fn merge_command(shards: Vec<PathBuf>, out: PathBuf, force: bool, job_script: String) -> ExitCode {
    use caseflow::output::merge::{MergeError, MergeRequest, merge};
    let request = MergeRequest { inputs: shards, out, force, command_line: command_line(), job_script };
    // Shards of a sweep (a journal and shard.toml each) or of a run batch?
    let of_sweep = |d: &Path| d.join("shard.toml").exists() || d.join("sweep.journal").exists();
    match caseflow::output::merge::expand(&request.inputs) {
        Ok(dirs) if dirs.iter().any(|d| of_sweep(d)) => {
            // A run's results among a sweep's shards would be left out without a word. (A shard
            // directory with neither, killed before it wrote anything, is the sweep's to report.)
            let of_run = |d: &Path| output::RESULT_FILES.iter().any(|f| d.join(f).exists());
            if let (Some(sweep), Some(other)) =
                (dirs.iter().find(|d| of_sweep(d)), dirs.iter().find(|d| !of_sweep(d) && of_run(d)))
            {
                esay!(
                    "error: {} holds a run's results, not a sweep's shard, but {} is a sweep's: merge a \
                     sweep's shards and a run's shards separately",
                    other.display(),
                    sweep.display()
                );
                return ExitCode::from(EXIT_BAD_INPUT);
            }
            return experiment_commands::merge_sweep(&dirs, &request);
        }
        _ => {}
    }
    match merge(&request) {
        Ok(m) => {
            for note in &m.notes {
                esay!("note: {note}");
            }
            say!(
                "merged {} shards: {} runs of `{}` (master seed {})",
                m.shards,
                m.runs,
                m.scenario_name,
                m.master_seed
            );
            say!("results: {}", m.written.dir.display());
            say!("  summary (mean, sd, p05, p95 across runs): {}", m.written.summary_csv.display());
            say!("  every run, every year, with provenance:   {}", m.written.hdf5.display());
            say!("  how it was made:                          {}", m.written.provenance.display());
            ExitCode::SUCCESS
        }
        Err(MergeError::Output(e)) => {
            esay!("error: {e}");
            ExitCode::from(output_exit_code(&e))
        }
        Err(e @ MergeError::Missing { .. }) => {
            esay!("{e}");
            ExitCode::from(EXIT_SHARDS_MISSING)
        }
        Err(e) => {
            esay!("error: {e}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// Prints a comparison or calibration error and picks the exit status.
/// A flag the first Ctrl-C raises (saying `what` happens next); a second Ctrl-C exits at once.
fn stop_on_interrupt(what: &'static str) -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(EXIT_INTERRUPTED as i32);
        }
        esay!("\ninterrupted: {what} (Ctrl-C again to quit now)");
    });
    stop
}

/// A progress bar of `len` steps on a terminal; hidden when stderr is not one.
fn progress_bar(len: u64, template: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()).progress_chars("=> "),
    );
    bar
}

fn calibrate_failed(e: &CalibrateError) -> ExitCode {
    if e.is_bad_input() {
        esay!("{e}");
        ExitCode::from(EXIT_BAD_INPUT)
    } else {
        esay!("error: {e}");
        ExitCode::from(EXIT_FAILURE)
    }
}

fn compare(
    results: &Path,
    targets: &Path,
    years: Option<RangeInclusive<i32>>,
    fit_years: Option<RangeInclusive<i32>>,
    out: Option<&Path>,
) -> ExitCode {
    let command_line = command_line();
    match calibrate::compare_results(results, targets, years, fit_years, out, &command_line) {
        Ok(report) => {
            say!("{}", report.header());
            say!("{}", report.comparison.table().trim_end());
            if let Some(split) = &report.split {
                say!("{}", split.describe().trim_end());
            }
            say!("written: {}", report.csv_path.display());
            ExitCode::SUCCESS
        }
        Err(e) => calibrate_failed(&e),
    }
}

fn report_command(request: caseflow::report::ReportRequest) -> ExitCode {
    match caseflow::report::make_report(&request) {
        Ok(w) => {
            say!("report: {} ({} of {} published figures hit)", w.html.display(), w.hits, w.total);
            say!("  {} SVG figures: {}", w.svgs, w.svg_dir.display());
            if !w.complete {
                esay!("note: the results are incomplete (an interrupted batch); the page says so");
            }
            ExitCode::SUCCESS
        }
        Err(e @ caseflow::report::ReportError::Input(_)) => {
            esay!("{e}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
        Err(e) => {
            esay!("error: {e}");
            ExitCode::from(if e.is_bad_input() { EXIT_BAD_INPUT } else { EXIT_FAILURE })
        }
    }
}

/// A finite number at least 0 (`caseflow ensemble --width`, `--discrepancy`).
fn non_negative(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Ok(_) => Err(format!("`{text}` is not a finite number at least 0")),
        Err(e) => Err(format!("`{text}`: {e}")),
    }
}

/// `caseflow ensemble --sampler`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum SamplerArg {
    Smc,
    Pmc,
}

/// `caseflow ensemble --errors`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ErrorsArg {
    Synthetic,
    Tolerant,
}

/// The steps `screen` and `ensemble` share: the scenario, FREE.toml (with `--fit-years`) and
/// targets loaded, the threads checked, then `body`; its error is the exit code.
fn fit_command(
    inputs: FitInputs,
    body: impl FnOnce(&Scenario, &calibrate::CalibrationSpec, &[calibrate::TargetRow], usize) -> Result<(), ExitCode>,
) -> ExitCode {
    let prepared = (|| {
        let s = load(&inputs.scenario)?;
        let spec =
            calibrate::load_free(&inputs.free).map_err(|e| calibrate_failed(&e))?.with_fit_years(inputs.fit_years);
        let rows = calibrate::load_targets(&inputs.targets).map_err(|e| calibrate_failed(&e))?;
        let threads = threads_from(inputs.threads)?;
        body(&s, &spec, &rows, threads)
    })();
    match prepared {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

/// The command line as typed, for the provenance of what a command writes.
fn command_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}

/// The output directory of `screen` or `ensemble` (which write their files into it atomically,
/// with their set's marker, as `calibrate` does), made ready: refused (exit 2), unless `force`,
/// when it already holds the files `names` of `what` (an earlier screen or ensemble is a result,
/// not a scratch file); created if need be.
fn fit_out<'a>(dir: &'a Path, names: &[&str], force: bool, what: &str) -> Result<FitOut<'a>, ExitCode> {
    let present: Vec<&str> = names.iter().copied().filter(|n| dir.join(n).exists()).collect();
    if !force && !present.is_empty() {
        esay!(
            "error: {} already holds {what} ({}); --force replaces it, or choose another --out",
            dir.display(),
            present.join(", ")
        );
        return Err(ExitCode::from(EXIT_BAD_INPUT));
    }
    let existed = dir.exists();
    std::fs::create_dir_all(dir).map_err(|e| {
        esay!("error: cannot create {}: {e}", dir.display());
        ExitCode::from(EXIT_FAILURE)
    })?;
    Ok(FitOut { dir, existed })
}

/// An output directory [`fit_out`] made ready, and whether it was there before.
struct FitOut<'a> {
    dir: &'a Path,
    existed: bool,
}

impl FitOut<'_> {
    /// The command failed (its inputs refused, or worse): the directory goes again if this
    /// command created it and left it empty; the error is printed.
    fn failed(&self, e: &CalibrateError) -> ExitCode {
        if !self.existed {
            let _ = std::fs::remove_dir(self.dir);
        }
        calibrate_failed(e)
    }
}

/// A bar of candidates evaluated, per generation.
struct CandidatesBar {
    bar: ProgressBar,
}

fn candidates_bar() -> CandidatesBar {
    CandidatesBar { bar: progress_bar(1, "{elapsed_precise} generation {msg} [{bar:30}] {pos}/{len} candidates") }
}

impl CandidatesBar {
    fn tick(&self, p: Progress) {
        match p {
            Progress::GenerationStarted { generation, candidates, .. } => {
                self.bar.set_length(candidates as u64);
                self.bar.set_position(0);
                self.bar.set_message(generation.to_string());
            }
            Progress::CandidateDone { .. } => self.bar.inc(1),
            _ => {}
        }
    }
}

fn calibrate_command(
    scenario_path: &Path,
    targets: &Path,
    free: &Path,
    budget: u64,
    fit_years: Option<RangeInclusive<i32>>,
    out: Option<PathBuf>,
    threads: usize,
) -> ExitCode {
    let s = match load(scenario_path) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let spec = match calibrate::load_free(free) {
        Ok(spec) => spec.with_fit_years(fit_years),
        Err(e) => return calibrate_failed(&e),
    };
    let target_rows = match calibrate::load_targets(targets) {
        Ok(rows) => rows,
        Err(e) => return calibrate_failed(&e),
    };

    // First Ctrl-C: finish the generation under way and save it. Second: leave at once (the
    // last completed generation is already saved, atomically).
    let stop = stop_on_interrupt("finishing the generation under way, then saving it");
    let bar =
        progress_bar(spec.population as u64, "{elapsed_precise} generation {msg} [{bar:30}] {pos}/{len} candidates");
    // Lines go above the bar on a terminal, plainly to stderr otherwise.
    let note = |line: String| if bar.is_hidden() { esay!("{line}") } else { bar.println(line) };
    let progress = |p: Progress| match p {
        Progress::Resumed { generation, evaluations, best_loss } => note(format!(
            "resuming after generation {generation} ({evaluations} evaluations, best loss {best_loss:.6})"
        )),
        Progress::GenerationStarted { generation, candidates, .. } => {
            bar.set_length(candidates as u64);
            bar.set_position(0);
            bar.set_message(generation.to_string());
        }
        Progress::CandidateDone { .. } => bar.inc(1),
        Progress::GenerationDone(g) => note(format!(
            "generation {:>3}: {:>5} evaluations, best loss {:.6}, generation mean {:.6}, sigma {:.4}{}",
            g.generation,
            g.evaluations,
            g.best_loss,
            g.mean_loss,
            g.sigma,
            if g.invalid > 0 { format!(", {} candidates did not load", g.invalid) } else { String::new() }
        )),
        Progress::Finishing { runs } => {
            bar.set_message("report".to_string());
            bar.set_length(2);
            bar.set_position(0);
            note(format!("running the starting and the fitted scenario for the report ({runs} runs)"));
        }
    };
    let options = calibrate::CalibrateOptions {
        budget,
        out_dir: out,
        threads,
        command_line: command_line(),
        targets_label: targets.display().to_string(),
    };
    let label = scenario_path.display().to_string();
    let result = calibrate::calibrate(&s.source_text, &label, &spec, &target_rows, &options, &stop, &progress);
    bar.finish_and_clear();
    let outcome = match result {
        Ok(o) => o,
        Err(e) => return calibrate_failed(&e),
    };
    let dir = outcome.out_dir.display();
    if outcome.reason == StopReason::Interrupted {
        esay!(
            "interrupted after generation {} ({} evaluations, best loss {:.6}): the state is saved in {dir}; \
             run the same command again to resume",
            outcome.generations,
            outcome.evaluations,
            outcome.best_loss
        );
        return ExitCode::from(EXIT_INTERRUPTED);
    }
    let why = match outcome.reason {
        StopReason::Converged => "converged",
        _ => "budget spent",
    };
    say!(
        "calibration of `{}`: {why} after {} generation{} ({} evaluations); loss {:.6} -> {:.6}",
        s.name,
        outcome.generations,
        if outcome.generations == 1 { "" } else { "s" },
        outcome.evaluations,
        outcome.start_loss,
        outcome.best_loss
    );
    for p in &outcome.params {
        say!("  {} = {} (was {}; bounds {} to {})", p.key, p.fitted, p.original, p.min, p.max);
    }
    if let Some(fit) = &outcome.fit {
        say!(
            "hits: {}/{} -> {}/{} in the fitted years, {}/{} -> {}/{} in all years",
            fit.start_fit_years.hits(),
            fit.start_fit_years.total(),
            fit.fitted_fit_years.hits(),
            fit.fitted_fit_years.total(),
            fit.start_all_years.hits(),
            fit.start_all_years.total(),
            fit.fitted_all_years.hits(),
            fit.fitted_all_years.total()
        );
        if let Some(years) = &spec.years {
            say!("{}", fit.fitted_all_years.forecast_split(years.clone()).describe().trim_end());
        }
    }
    say!("results: {dir} (fitted.toml, report.md, generations.csv, fit.csv, state.toml, calibrate.provenance.toml)");
    ExitCode::SUCCESS
}
