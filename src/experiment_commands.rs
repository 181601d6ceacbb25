//! The experiment commands of the binary (`diff`, `sweep`, `sensitivity`, `attribute`): each
//! parses nothing itself (clap did), calls the library's `experiment` module, prints, and maps
//! errors to exit codes as `main` does for `run`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use caseflow::batch::Runner;
use caseflow::experiment::attribution::{self, AttributionError, AttributionSpec};
use caseflow::experiment::diff::{self, DIFF_FILES};
use caseflow::experiment::record::{Record, ScenarioRecord};
use caseflow::experiment::sensitivity::{Bootstrap, OutputSpec, analyze_sweep};
use caseflow::experiment::sweep::{self, SweepProgress};
use caseflow::experiment::sweep_file::{self, SweepPlan};
use caseflow::experiment::sweep_h5::read_sweep_h5;
use caseflow::output::{self, Content, Provenance};
use caseflow::scenario::Scenario;

use super::{
    EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_INTERRUPTED, command_line, load, output_exit_code, prepare_out, progress_bar,
    runs_fit_in_memory, stop_on_interrupt,
};

fn runner(threads: usize) -> Result<Runner, ExitCode> {
    let threads = super::threads_from(threads)?;
    Runner::new(threads).map_err(|e| {
        esay!("error: {e}");
        ExitCode::from(EXIT_FAILURE)
    })
}

/// The provenance of one scenario's runs.
fn provenance(s: &Scenario, path: &Path, master_seed: u64, runs: &[u64], complete: bool) -> Provenance {
    Provenance {
        scenario_name: s.name.clone(),
        scenario_path: path.display().to_string(),
        scenario_text: s.source_text.clone(),
        master_seed,
        run_indices: runs.to_vec(),
        command_line: command_line(),
        complete,
        shard: None,
        ensemble: None,
    }
}

/// `caseflow diff BASE ALT`.
#[allow(clippy::too_many_arguments)]
pub fn diff(
    base_path: &Path,
    alt_path: &Path,
    seeds: u64,
    master_seed: u64,
    out: Option<PathBuf>,
    threads: usize,
    independent: bool,
    force: bool,
    ensemble: Option<&Path>,
) -> ExitCode {
    // Both scenarios are checked, and every problem of both printed, before anything runs.
    let (base, alt) = match (load(base_path), load(alt_path)) {
        (Ok(b), Ok(a)) => (b, a),
        _ => return ExitCode::from(EXIT_BAD_INPUT),
    };
    // Over an ensemble: member k of each arm is that scenario with parameter set k.
    let members = match ensemble.map(|file| {
        let e = caseflow::calibrate::load_ensemble(file)?;
        Ok::<_, caseflow::calibrate::CalibrateError>((
            e.member_scenarios(&base, base_path)?,
            e.member_scenarios(&alt, alt_path)?,
            e,
        ))
    }) {
        None => None,
        Some(Ok(m)) => Some(m),
        Some(Err(e)) => {
            esay!("{e}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    if seeds < 2 {
        esay!("error: --seeds must be at least 2 (an interval needs two runs)");
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    if let Err(code) = runs_fit_in_memory(&base, seeds.saturating_mul(2)) {
        return code;
    }
    let out_dir = out.unwrap_or_else(|| {
        let kind = if independent { "-independent" } else { "" };
        PathBuf::from(format!(
            "results/diffs/{}-vs-{}{kind}-seed{master_seed}-n{seeds}",
            stem(base_path),
            stem(alt_path)
        ))
    });
    let out = match prepare_out(&out_dir, force, &DIFF_FILES) {
        Ok(out) => out,
        Err(code) => return code,
    };
    let discard_dir = || out.discard();
    let stop = stop_on_interrupt("finishing the runs under way, then writing them");
    let arms = if independent { 3 } else { 2 };
    let bar = progress_bar(arms * seeds, "{elapsed_precise} [{bar:40}] {pos}/{len} runs, eta {eta}");
    let runner = match runner(threads) {
        Ok(r) => r,
        Err(code) => {
            discard_dir();
            return code;
        }
    };
    let on_done = |_| bar.inc(1);
    let started = Instant::now();
    let runs = diff::DiffRuns { master_seed, seeds, independent };
    let outcome = match &members {
        None => diff::run_diff(&runner, &base, &alt, runs, &stop, &on_done),
        Some((b, a, _)) => diff::run_diff_over(
            &runner,
            &b.iter().collect::<Vec<_>>(),
            &a.iter().collect::<Vec<_>>(),
            runs,
            &stop,
            &on_done,
        ),
    };
    bar.finish_and_clear();
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            esay!("error: {e}");
            discard_dir();
            let interrupted = stop.load(std::sync::atomic::Ordering::Relaxed);
            return ExitCode::from(if interrupted { EXIT_INTERRUPTED } else { EXIT_BAD_INPUT });
        }
    };
    let paired: Vec<u64> = outcome.base.iter().map(|r| r.run_index).collect();
    let mut record = Record::new("diff", &command_line());
    record.complete = outcome.complete;
    record.set("pairing", if independent { "independent runs" } else { "common random numbers (same runs)" });
    record.set(
        "interval",
        if independent {
            "90% Welch t-interval of the difference of means (alternative on runs N..2N)"
        } else {
            "90% Student t-interval of the mean per-run difference"
        },
    );
    if let Some((_, _, e)) = &members {
        record.set(
            "ensemble",
            format!(
                "{} ({} members, sha256 {}): run i takes member i mod {}",
                e.file,
                e.members.len(),
                e.sha256,
                e.members.len()
            ),
        );
    }
    record
        .scenario
        .push(ScenarioRecord::new("base", &provenance(&base, base_path, master_seed, &paired, outcome.complete)));
    let alt_runs: Vec<u64> = match &outcome.other {
        Some(other) => other.iter().map(|r| r.run_index).collect(),
        None => paired.clone(),
    };
    record.scenario.push(ScenarioRecord::new(
        "alternative",
        &provenance(&alt, alt_path, master_seed, &alt_runs, outcome.complete),
    ));
    let texts = [("base", base.source_text.as_str()), ("alternative", alt.source_text.as_str())];
    let written = match diff::write_diff(&out_dir, force, &outcome, &record, &texts) {
        Ok(w) => w,
        Err(e) => {
            esay!("error: {e}");
            discard_dir();
            return ExitCode::from(output_exit_code(&e));
        }
    };
    say!(
        "`{}` vs `{}`: {} runs each (master seed {master_seed}{}), {:.1} s",
        base.name,
        alt.name,
        outcome.base.len(),
        if independent { ", alternative on other runs" } else { ", the same runs" },
        started.elapsed().as_secs_f64()
    );
    say!("\n{}", outcome.table.effects_table(15).trim_end());
    if independent {
        say!(
            "\nInterval widths, independent runs / common random numbers: median {:.2} over every series and year \
             with a paired width above zero (per series in diff.csv, column width_ratio)",
            outcome.table.median_width_ratio()
        );
    }
    say!("\nresults: {}", out_dir.display());
    say!("  per series and year (base, alternative, difference, interval): {}", written[0].display());
    say!("  every run of both scenarios, with provenance:                 {}", written[1].display());
    say!("  how it was made:                                              {}", written[2].display());
    if !outcome.complete {
        esay!(
            "interrupted: the diff covers the {} runs both scenarios finished; marked incomplete",
            outcome.base.len()
        );
        return ExitCode::from(EXIT_INTERRUPTED);
    }
    ExitCode::SUCCESS
}

fn stem(path: &Path) -> String {
    path.file_stem().map_or_else(|| "scenario".to_string(), |s| s.to_string_lossy().into_owned())
}

/// Progress of a long job: a bar on a terminal; otherwise (a batch system's log) one line
/// every 30 seconds with done/total, rate and time left.
pub(crate) struct Progress {
    pub(crate) bar: ProgressBar,
    what: &'static str,
    started: Instant,
    last_line: Instant,
    /// Done when the job started (resumed work), left out of the rate.
    first: u64,
    /// Whether a log line was printed: then the last step gets one too (a short job, none).
    logged: bool,
}

impl Progress {
    pub(crate) fn new(what: &'static str) -> Progress {
        let bar = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(0);
            let template = format!("{{elapsed_precise}} [{{bar:40}}] {{pos}}/{{len}} {what}, {{per_sec}}, eta {{eta}}");
            bar.set_style(
                ProgressStyle::with_template(&template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar
        } else {
            ProgressBar::hidden()
        };
        Progress { bar, what, started: Instant::now(), last_line: Instant::now(), first: 0, logged: false }
    }

    pub(crate) fn start(&mut self, done: u64, total: u64) {
        self.bar.set_length(total);
        self.bar.set_position(done);
        self.bar.reset_eta();
        self.first = done;
        self.started = Instant::now();
        self.last_line = Instant::now();
    }

    pub(crate) fn set(&mut self, done: u64, total: u64) {
        self.bar.set_position(done);
        if self.bar.is_hidden() && (self.last_line.elapsed() >= log_interval() || (done == total && self.logged)) {
            self.last_line = Instant::now();
            self.logged = true;
            let secs = self.started.elapsed().as_secs_f64().max(1e-9);
            let rate = (done - self.first) as f64 / secs;
            let left = if rate > 0.0 { format_duration((total - done) as f64 / rate) } else { "?".to_string() };
            esay!("{done}/{total} {}, {rate:.2}/s, about {left} left", self.what);
        }
    }

    pub(crate) fn note(&self, line: String) {
        if self.bar.is_hidden() { esay!("{line}") } else { self.bar.println(line) }
    }
}

/// How often progress is logged when stderr is not a terminal (a Slurm log): every 30 s, or
/// every `CASEFLOW_PROGRESS_SECONDS` (for tests).
fn log_interval() -> Duration {
    let secs = std::env::var("CASEFLOW_PROGRESS_SECONDS").ok().and_then(|v| v.parse::<f64>().ok());
    Duration::from_secs_f64(secs.filter(|s| s.is_finite() && *s >= 0.0).unwrap_or(30.0))
}

fn format_duration(secs: f64) -> String {
    let s = secs.round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
    }
}

/// Prints located problems (as `caseflow check` does) and returns exit status 2.
fn bad_input(problems: &[caseflow::scenario::Diagnostic]) -> ExitCode {
    for p in problems {
        esay!("{p}");
    }
    let n = problems.len();
    let file = problems.first().map_or("", |p| p.file.as_str());
    esay!("{n} {} in {file}", if n == 1 { "error" } else { "errors" });
    ExitCode::from(EXIT_BAD_INPUT)
}

/// `caseflow sweep SWEEP.toml`.
pub fn sweep(sweep_path: &Path, out: Option<PathBuf>, threads: usize, force: bool, shard: Option<&str>) -> ExitCode {
    let spec = match sweep_file::load_sweep(sweep_path) {
        Ok(s) => s,
        Err(problems) => return bad_input(&problems),
    };
    let scenario_label = spec.scenario.display().to_string();
    let scenario_text = match load(&spec.scenario) {
        Ok(s) => s.source_text,
        Err(code) => return code,
    };
    let plan = match SweepPlan::new(spec, &scenario_text, &scenario_label) {
        Ok(p) => p,
        Err(problems) => return bad_input(&problems),
    };
    let out_dir = out.unwrap_or_else(|| PathBuf::from(format!("results/sweeps/{}", stem(sweep_path))));
    let shard = match super::shard_of(shard, plan.points().len() as u64, "points", "the design's") {
        Ok(s) => s,
        Err(code) => return code,
    };
    let out_dir = match shard {
        Some(s) => out_dir.join(s.dir_name()),
        None => out_dir,
    };
    let runner = match runner(threads) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let stop = stop_on_interrupt("finishing the points under way (they are kept), then stopping");
    let mut progress = Progress::new("points");
    let started = Instant::now();
    let mut on_progress = |p: SweepProgress| match p {
        SweepProgress::Repaired { dropped_bytes } => progress.note(format!(
            "the journal ended in {dropped_bytes} bytes of damaged or cut-short records (a kill while writing?): \
             cut off; the points they held run again"
        )),
        SweepProgress::Started { done, total } => {
            if done > 0 {
                progress.note(format!("resuming: {done} of {total} points are already done"));
            }
            progress.start(done as u64, total as u64);
        }
        SweepProgress::PointDone { done, total } => progress.set(done as u64, total as u64),
        SweepProgress::Writing => progress.note("every point is done: writing the results".to_string()),
    };
    let result = match shard {
        Some(s) => sweep::run_sweep_shard(&plan, s, &out_dir, force, &runner, &command_line(), &stop, &mut on_progress),
        None => sweep::run_sweep(&plan, &out_dir, force, &runner, &command_line(), &stop, &mut on_progress),
    };
    progress.bar.finish_and_clear();
    let outcome = match result {
        Ok(o) => o,
        Err(e) => {
            esay!("{}{e}", if e.is_bad_input() { "" } else { "error: " });
            return ExitCode::from(if e.is_bad_input() { EXIT_BAD_INPUT } else { EXIT_FAILURE });
        }
    };
    match &outcome.results {
        Some(path) => {
            say!(
                "sweep of {} points x {} runs ({} design; {} points run now, {} resumed): {:.1} s",
                outcome.points,
                plan.spec.runs,
                plan.spec.kind.name(),
                outcome.points - outcome.resumed,
                outcome.resumed,
                started.elapsed().as_secs_f64()
            );
            if let Some(s) = shard {
                say!("shard {s} of the sweep's points; join the shards with `caseflow merge`");
            }
            say!("results: {}", path.display());
            ExitCode::SUCCESS
        }
        None => {
            esay!(
                "interrupted: {} of {} points are done and kept in {}; run the same command again to resume",
                outcome.points_done,
                outcome.points,
                outcome.out_dir.join(sweep::JOURNAL).display()
            );
            ExitCode::from(EXIT_INTERRUPTED)
        }
    }
}

/// `caseflow merge` of a sweep's shards.
pub fn merge_sweep(dirs: &[PathBuf], request: &caseflow::output::merge::MergeRequest) -> ExitCode {
    use caseflow::output::merge::MergeError;
    let runner = match runner(1) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let stop = stop_on_interrupt("stopping");
    let mut progress = |_: SweepProgress| {};
    let result = sweep::merge_sweep_shards(
        dirs,
        &request.out,
        request.force,
        &runner,
        &request.command_line,
        &request.job_script,
        &stop,
        &mut progress,
    );
    match result {
        Ok(outcome) => {
            say!("merged the sweep's shards: {} points", outcome.points);
            if let Some(path) = outcome.results {
                say!("results: {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(MergeError::Output(e)) => {
            esay!("error: {e}");
            ExitCode::from(output_exit_code(&e))
        }
        Err(e @ MergeError::Missing { .. }) => {
            esay!("{e}");
            ExitCode::from(super::EXIT_SHARDS_MISSING)
        }
        Err(e) => {
            esay!("error: {e}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// `caseflow sensitivity SWEEP_RESULTS --output SERIES[:YEAR|:Y1-Y2]...`.
pub fn sensitivity(
    results: &Path,
    outputs: &[OutputSpec],
    out: Option<PathBuf>,
    boot: Bootstrap,
    force: bool,
) -> ExitCode {
    let h5 = if results.is_dir() { results.join(sweep::SWEEP_H5) } else { results.to_path_buf() };
    if !h5.is_file() {
        esay!(
            "{}: no such sweep results file (run `caseflow sweep` first; an interrupted sweep resumes with the same command)",
            h5.display()
        );
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    let read = match read_sweep_h5(&h5) {
        Ok(r) => r,
        Err(e) => {
            esay!("{}: {e}", h5.display());
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let analysis = match analyze_sweep(&read, outputs, boot) {
        Ok(a) => a,
        Err(e) => {
            esay!("{}: {e}", h5.display());
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let dir = out.unwrap_or_else(|| h5.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf));
    let (indices_name, indices_csv) = analysis.indices_csv();
    let mut record = Record::new("sensitivity", &command_line());
    record.set("sweep_results", h5.display());
    record.set("sweep_results_sha256", std::fs::read(&h5).map(|b| output::sha256_hex(&b)).unwrap_or_default());
    record.set("design", &analysis.design);
    record.set("runs_per_point", analysis.runs);
    record.set("outputs", outputs.iter().map(|o| o.label.as_str()).collect::<Vec<_>>().join(" "));
    record
        .set("bootstrap", format!("{} resamples, conf_level {}, seed {}", boot.resamples, boot.conf_level, boot.seed));
    let names = [indices_name, "design.csv", "Y.txt", "problem.json", "sensitivity.toml"];
    record.files = names.iter().map(|n| n.to_string()).collect();
    let files = vec![
        (names[0], Content::Bytes(indices_csv.into_bytes())),
        (names[1], Content::Bytes(analysis.design_csv().into_bytes())),
        (names[2], Content::Bytes(analysis.y_txt().into_bytes())),
        (names[3], Content::Bytes(analysis.problem_json().into_bytes())),
        (names[4], Content::Bytes(record.toml().into_bytes())),
    ];
    if let Err(e) = output::write_files(&dir, force, files) {
        esay!("error: {e}");
        return ExitCode::from(output_exit_code(&e));
    }
    say!("{}", analysis.table().trim_end());
    say!("\nwritten in {}: {}", dir.display(), names.join(", "));
    say!("check with SALib: see docs/experiments.md (design.csv, Y.txt and problem.json are in SALib's row order)");
    ExitCode::SUCCESS
}

/// `caseflow attribute SCENARIO --from Y1 --to Y2`.
#[allow(clippy::too_many_arguments)]
pub fn attribute(
    scenario_path: &Path,
    spec: &AttributionSpec,
    out: Option<PathBuf>,
    threads: usize,
    force: bool,
) -> ExitCode {
    let s = match load(scenario_path) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if spec.seeds < 1 {
        esay!("error: --seeds must be at least 1");
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    // Each coalition runs them (and keeps only their series): at least two coalitions.
    if let Err(code) = runs_fit_in_memory(&s, spec.seeds.saturating_mul(2)) {
        return code;
    }
    let out_dir = out.unwrap_or_else(|| {
        PathBuf::from(format!(
            "results/attribution/{}-{}-{}-seed{}-n{}",
            stem(scenario_path),
            spec.from,
            spec.to,
            spec.master_seed,
            spec.seeds
        ))
    });
    let names = ["attribution.csv", "provenance.toml"];
    let out = match prepare_out(&out_dir, force, &names) {
        Ok(out) => out,
        Err(code) => return code,
    };
    let discard_dir = || out.discard();
    let runner = match runner(threads) {
        Ok(r) => r,
        Err(code) => {
            discard_dir();
            return code;
        }
    };
    let stop = stop_on_interrupt("stopping after the coalitions under way (an attribution needs them all)");
    let mut progress = Progress::new("coalitions");
    let mut started = false;
    let mut on_coalition = |done: usize, total: usize| {
        if !started {
            progress.start(0, total as u64);
            started = true;
        }
        progress.set(done as u64, total as u64);
    };
    let clock = Instant::now();
    let result = attribution::attribute(&runner, &s, spec, &stop, &mut on_coalition);
    progress.bar.finish_and_clear();
    let a = match result {
        Ok(a) => a,
        Err(e) => {
            esay!("{e}");
            discard_dir();
            return ExitCode::from(match e {
                AttributionError::Input(_) => EXIT_BAD_INPUT,
                AttributionError::Interrupted => EXIT_INTERRUPTED,
            });
        }
    };
    let mut record = Record::new("attribute", &command_line());
    record.set("from", spec.from);
    record.set("to", spec.to);
    record.set("players", a.players.players.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join("; "));
    record.set(
        "method",
        if a.exact {
            format!("exact Shapley values over all {} coalitions", a.coalitions)
        } else {
            format!(
                "Shapley values from {} sampled permutations (seed {}), {} coalitions",
                a.permutations, spec.permutation_seed, a.coalitions
            )
        },
    );
    let runs: Vec<u64> = (0..spec.seeds).collect();
    record
        .scenario
        .push(ScenarioRecord::new("scenario", &provenance(&s, scenario_path, spec.master_seed, &runs, true)));
    record.files = names.iter().map(|n| n.to_string()).collect();
    let files =
        vec![(names[0], Content::Bytes(a.csv().into_bytes())), (names[1], Content::Bytes(record.toml().into_bytes()))];
    if let Err(e) = output::write_files(&out_dir, force, files) {
        esay!("error: {e}");
        discard_dir();
        return ExitCode::from(output_exit_code(&e));
    }
    say!(
        "attribution of the {}-{} change in `{}` to {} players ({}, {} runs each, master seed {}): {:.1} s\n",
        spec.from,
        spec.to,
        s.name,
        a.players.players.len(),
        if a.exact {
            format!("exact, {} coalitions", a.coalitions)
        } else {
            format!("{} sampled permutations, {} coalitions", a.permutations, a.coalitions)
        },
        spec.seeds,
        spec.master_seed,
        clock.elapsed().as_secs_f64()
    );
    for p in &a.players.players {
        say!("  {}: {}", p.name, p.note);
    }
    say!("");
    let shown: Vec<&caseflow::experiment::attribution::SeriesAttribution> = if spec.series.is_some() {
        a.rows.iter().collect()
    } else {
        // Without --series: the five series whose change is largest relative to FROM.
        let mut rows: Vec<_> =
            a.rows.iter().filter(|r| r.from_value.abs() >= if r.unit == "share" { 0.01 } else { 10.0 }).collect();
        rows.sort_by(|x, y| {
            (x.observed() / x.from_value).abs().total_cmp(&(y.observed() / y.from_value).abs()).reverse()
        });
        rows.truncate(5);
        say!("(every series is in attribution.csv; the five that change most are shown; name some with --series)\n");
        rows
    };
    for r in shown {
        say!("{}", a.table(r));
    }
    say!("results: {} (attribution.csv, provenance.toml)", out_dir.display());
    ExitCode::SUCCESS
}
