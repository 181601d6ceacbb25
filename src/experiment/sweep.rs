//! Running a sweep (`caseflow sweep`): every point of the design on the same runs (common
//! random numbers), each point's values appended to the journal as soon as its runs are done,
//! and, once every point is done, `sweep.h5` written from the journal in point order.
//!
//! Points go to the batch runner a few at a time (four per worker thread), so memory holds
//! only the points under way, whatever the size of the design. A sweep stopped by Ctrl-C
//! finishes the points under way and keeps them; a sweep killed outright loses only those.
//! Running the same command again resumes: the points in the journal are not run again, and
//! the file written at the end is the same, byte for byte, as that of a sweep never
//! interrupted (it holds no timestamp, and is written in one pass in point order).

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use super::design::Point;
use super::journal::{Journal, JournalError};
use super::record::{Record, ScenarioRecord};
use super::sweep_file::SweepPlan;
use super::sweep_h5::{SweepH5, write_sweep_h5};
use crate::batch::{Batch, Runner, Series};
use crate::output::merge::MergeError;
use crate::output::{self, CRATE_VERSION, Content, GIT_REVISION, OutputError, Provenance, sha256_hex};
use crate::scenario::{self, Scenario};
use crate::shard::{ENV_SHARD_BASE, ENV_SHARD_COUNT, Shard, array_spec};

/// The file names a sweep writes in its output directory.
pub const SWEEP_H5: &str = "sweep.h5";
pub const JOURNAL: &str = "sweep.journal";

/// Why a sweep could not run or finish.
#[derive(Debug)]
pub enum SweepError {
    /// A point's scenario does not load (found before anything runs).
    BadPoint(String),
    Journal(JournalError),
    Output(OutputError),
    Other(String),
}

impl SweepError {
    /// True when the user's input is at fault (exit status 2).
    pub fn is_bad_input(&self) -> bool {
        matches!(self, Self::BadPoint(_) | Self::Journal(JournalError::Mismatch { .. }))
            || matches!(self, Self::Output(OutputError::Exists { .. }))
    }
}

impl std::fmt::Display for SweepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadPoint(m) | Self::Other(m) => f.write_str(m),
            Self::Journal(e) => write!(f, "{e}"),
            Self::Output(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for SweepError {}

/// Progress of a sweep, reported from the calling thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweepProgress {
    /// The journal ended in damaged or cut-short records, cut off (this many bytes): the points
    /// they held, and any after them, run again.
    Repaired { dropped_bytes: u64 },
    /// Before any run: points already in the journal, and in all.
    Started { done: usize, total: usize },
    /// A point's runs are done and journaled.
    PointDone { done: usize, total: usize },
    /// Every point is done; the results file is being written.
    Writing,
}

/// How a sweep ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepOutcome {
    pub out_dir: PathBuf,
    /// `sweep.h5`, when every point is done.
    pub results: Option<PathBuf>,
    pub points_done: usize,
    pub points: usize,
    /// Points found in the journal at the start.
    pub resumed: usize,
}

/// What the journal's values depend on: the sweep file, the scenario, the caseflow build.
fn fingerprint(plan: &SweepPlan) -> String {
    let text = format!(
        "{}\0{}\0{}\0{}\0{}",
        plan.spec.text,
        plan.scenario_text,
        CRATE_VERSION,
        GIT_REVISION,
        plan.series.join(",")
    );
    sha256_hex(text.as_bytes())
}

/// Runs the sweep `plan` into `out_dir`, resuming from its journal.
///
/// `force`: start over (delete the journal and overwrite `sweep.h5`); otherwise an existing
/// `sweep.h5` is refused, and an existing journal of the same sweep resumed.
///
/// # Errors
/// [`SweepError`]; a point's scenario that does not load is found before anything runs.
pub fn run_sweep(
    plan: &SweepPlan,
    out_dir: &Path,
    force: bool,
    runner: &Runner,
    command_line: &str,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(SweepProgress),
) -> Result<SweepOutcome, SweepError> {
    let points = plan.points();
    plan.check_points(&points).map_err(SweepError::BadPoint)?;
    output::prepare_dir_for(out_dir, force, &[SWEEP_H5]).map_err(SweepError::Output)?;
    let total = points.len();
    let (mut journal, resumed) = run_points(plan, &points, 0..total, out_dir, force, runner, stop, progress)?;
    let mut outcome = SweepOutcome {
        out_dir: out_dir.to_path_buf(),
        results: None,
        points_done: journal.len(),
        points: total,
        resumed,
    };
    if journal.len() < total {
        return Ok(outcome);
    }

    progress(SweepProgress::Writing);
    let header = header(plan, &points, command_line);
    let path = out_dir.join(SWEEP_H5);
    let write = |tmp: &Path| {
        write_sweep_h5(tmp, &header, |i| {
            journal
                .read(i as u64)
                .map_err(|e| hdf5::Error::from(e.to_string()))?
                .ok_or_else(|| hdf5::Error::from(format!("point {i} is missing from the journal")))
        })
    };
    output::write_files(out_dir, force, vec![(SWEEP_H5, Content::Hdf5(Box::new(write)))])
        .map_err(SweepError::Output)?;
    // Everything the journal held is in sweep.h5 now.
    drop(journal);
    let _ = std::fs::remove_file(out_dir.join(JOURNAL));
    outcome.results = Some(path);
    Ok(outcome)
}

/// Runs the points `only` of `points` not yet in `out_dir`'s journal, journaling each as it
/// finishes; returns the journal and the number of points it held at the start.
#[allow(clippy::too_many_arguments)]
fn run_points(
    plan: &SweepPlan,
    points: &[Point],
    only: Range<usize>,
    out_dir: &Path,
    force: bool,
    runner: &Runner,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(SweepProgress),
) -> Result<(Journal, usize), SweepError> {
    let journal_path = out_dir.join(JOURNAL);
    if force {
        let _ = std::fs::remove_file(&journal_path);
    }
    let runs = plan.spec.runs as usize;
    let cells = plan.series.len() * plan.years.len();
    let mut journal = Journal::open(&journal_path, &fingerprint(plan), runs * cells).map_err(SweepError::Journal)?;
    if journal.dropped_bytes() > 0 {
        progress(SweepProgress::Repaired { dropped_bytes: journal.dropped_bytes() });
    }
    let total = only.len();
    let resumed = only.clone().filter(|&i| journal.contains(i as u64)).count();
    progress(SweepProgress::Started { done: resumed, total });

    let pending: Vec<usize> = only.clone().filter(|&i| !journal.contains(i as u64)).collect();
    let series = Series::Only(plan.series.iter().cloned().collect());
    let batch = Batch::new(plan.spec.seed, 0..plan.spec.runs).series(series).until(plan.spec.last_year).stop_on(stop);
    let chunk = (4 * runner.threads()).max(2);
    let mut failure: Option<SweepError> = None;
    let mut done = resumed;
    for ids in pending.chunks(chunk) {
        if stop.load(Ordering::Relaxed) || failure.is_some() {
            break;
        }
        let scenarios: Vec<Scenario> = ids
            .iter()
            .map(|&i| {
                // Every point was loaded once by check_points: a failure now is a bug.
                plan.text_of(&points[i])
                    .and_then(|text| scenario::load_str(&text, &plan.scenario_label).map_err(|e| e.to_string()))
                    .map_err(|e| SweepError::Other(format!("point {i} no longer loads: {e}")))
            })
            .collect::<Result<_, _>>()?;
        let refs: Vec<&Scenario> = scenarios.iter().collect();
        runner.run_each(&refs, &batch, |k, result| {
            if !result.complete || failure.is_some() {
                return;
            }
            let values: Vec<f64> = result.runs.iter().flat_map(|r| r.values.iter().copied()).collect();
            if let Err(e) = journal.append(ids[k] as u64, &values) {
                failure = Some(SweepError::Journal(e));
                return;
            }
            done += 1;
            progress(SweepProgress::PointDone { done, total });
        });
        if let Err(e) = journal.sync() {
            failure.get_or_insert(SweepError::Journal(e));
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok((journal, resumed)),
    }
}

/// The marker a sweep shard writes once all its points are journaled.
pub const SHARD_TOML: &str = "shard.toml";

/// `shard.toml`: which share of which sweep a shard directory's journal holds. Written
/// atomically once every point of the shard is in the journal, so its presence means the
/// shard is complete.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepShardRecord {
    pub kind: String,
    pub crate_version: String,
    pub git_revision: String,
    pub command_line: String,
    /// The sweep file, absolute, for the merge to read the design from.
    pub sweep_path: String,
    /// The sweep file as named on the command line (what `sweep.h5` records).
    pub sweep_file: String,
    pub sweep_sha256: String,
    /// What the journal's values depend on (sweep file, scenario, build, series).
    pub fingerprint: String,
    pub master_seed: u64,
    pub points: u64,
    pub first_point: u64,
    pub end_point: u64,
    pub shard_index: u64,
    pub shard_count: u64,
    pub task_base: u64,
    pub complete: bool,
}

/// Runs shard `shard` of the sweep's points into `out_dir` (a journal, resumable as a whole
/// sweep is), and writes `shard.toml` once they are all done; `caseflow merge` joins shards.
///
/// # Errors
/// As [`run_sweep`].
#[allow(clippy::too_many_arguments)]
pub fn run_sweep_shard(
    plan: &SweepPlan,
    shard: Shard,
    out_dir: &Path,
    force: bool,
    runner: &Runner,
    command_line: &str,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(SweepProgress),
) -> Result<SweepOutcome, SweepError> {
    let points = plan.points();
    plan.check_points(&points).map_err(SweepError::BadPoint)?;
    output::prepare_dir_for(out_dir, force, &[SHARD_TOML]).map_err(SweepError::Output)?;
    if force {
        // shard.toml vouches for the journal: it goes before the journal is started afresh, so
        // a shard killed while rerunning is never taken for a finished one.
        let marker = out_dir.join(SHARD_TOML);
        match std::fs::remove_file(&marker) {
            Ok(()) => output::sync_dir(out_dir),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(SweepError::Output(OutputError::Io { path: marker, source })),
        }
    }
    let only = shard.runs(points.len() as u64);
    let only = only.start as usize..only.end as usize;
    let (journal, resumed) = run_points(plan, &points, only.clone(), out_dir, force, runner, stop, progress)?;
    let done = only.clone().filter(|&i| journal.contains(i as u64)).count();
    let mut outcome =
        SweepOutcome { out_dir: out_dir.to_path_buf(), results: None, points_done: done, points: only.len(), resumed };
    if done < only.len() {
        return Ok(outcome);
    }
    let sweep_path = std::fs::canonicalize(&plan.spec.file).unwrap_or_else(|_| PathBuf::from(&plan.spec.file));
    let q = crate::output::toml_quoted;
    let text = format!(
        "# One shard of a sweep: its points' values are in {JOURNAL}; `caseflow merge` joins the shards.\n\
         kind = \"caseflow sweep shard\"\ncrate_version = {}\ngit_revision = {}\ncommand_line = {}\n\
         sweep_path = {}\nsweep_file = {}\nsweep_sha256 = {}\nfingerprint = {}\nmaster_seed = {}\npoints = {}\n\
         first_point = {}\nend_point = {}\nshard_index = {}\nshard_count = {}\ntask_base = {}\ncomplete = true\n",
        q(CRATE_VERSION),
        q(GIT_REVISION),
        q(command_line),
        q(&sweep_path.display().to_string()),
        q(&plan.spec.file),
        q(&sha256_hex(plan.spec.text.as_bytes())),
        q(&fingerprint(plan)),
        plan.spec.seed,
        points.len(),
        only.start,
        only.end,
        shard.index,
        shard.count,
        shard.base,
    );
    let path = out_dir.join(SHARD_TOML);
    output::write_file_atomic(&path, text.as_bytes())
        .map_err(|source| SweepError::Output(OutputError::Io { path: path.clone(), source }))?;
    outcome.results = Some(path);
    Ok(outcome)
}

/// Joins the shard directories `dirs` of one sweep into `out_dir`: checks that they are shards
/// of the same sweep (same fingerprint: sweep file, scenario, build), lists missing ones with
/// the rerun line, copies their points into `out_dir`'s journal and writes `sweep.h5` as an
/// unsharded sweep does.
///
/// # Errors
/// [`MergeError`]; a sweep error as `MergeError::Input` (bad sweep file) or `Other`.
#[allow(clippy::too_many_arguments)]
pub fn merge_sweep_shards(
    dirs: &[PathBuf],
    out_dir: &Path,
    force: bool,
    runner: &Runner,
    command_line: &str,
    job_script: &str,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(SweepProgress),
) -> Result<SweepOutcome, MergeError> {
    let mut shards: Vec<(PathBuf, SweepShardRecord)> = Vec::new();
    for dir in dirs {
        let path = dir.join(SHARD_TOML);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let record: SweepShardRecord = toml::from_str(&text)
                    .map_err(|e| MergeError::Input(format!("{}: not a sweep shard's marker: {e}", path.display())))?;
                shards.push((dir.clone(), record));
            }
            // Not finished (or not started): missing, below.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(MergeError::Input(format!("cannot read {}: {e}", path.display()))),
        }
    }
    let Some((first_dir, first)) = shards.first().cloned() else {
        return Err(MergeError::Input("no finished sweep shard (shard.toml) among the directories given".into()));
    };
    for (dir, r) in &shards[1..] {
        for (what, a, b) in [
            ("sweep, scenario or build (fingerprint)", &first.fingerprint, &r.fingerprint),
            ("shard count", &first.shard_count.to_string(), &r.shard_count.to_string()),
        ] {
            if a != b {
                return Err(MergeError::Input(format!(
                    "shards of different sweeps: {} has {what} {a}, {} has {b}",
                    first_dir.display(),
                    dir.display()
                )));
            }
        }
    }
    let count = first.shard_count;
    let base = first.task_base;
    let have: std::collections::BTreeSet<u64> = shards.iter().map(|(_, r)| r.shard_index).collect();
    let missing: Vec<u64> = (0..count).filter(|i| !have.contains(i)).collect();
    if !missing.is_empty() {
        let lines = missing
            .iter()
            .map(|i| format!("shard {i}/{count} (array task {}): missing or unfinished", base + i))
            .collect();
        let ids: Vec<u64> = missing.iter().map(|i| base + i).collect();
        let rerun = format!(
            "sbatch --array={} --export=ALL,{ENV_SHARD_COUNT}={count},{ENV_SHARD_BASE}={base} {job_script}",
            array_spec(&ids)
        );
        return Err(MergeError::Missing { lines, rerun });
    }
    let sweep_path = Path::new(&first.sweep_path);
    let mut spec = super::sweep_file::load_sweep(sweep_path).map_err(|problems| {
        MergeError::Input(format!(
            "{}: the sweep file the shards were made from does not load: {}",
            sweep_path.display(),
            problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
        ))
    })?;
    // Recorded as a sweep on one machine records it.
    spec.file.clone_from(&first.sweep_file);
    let scenario_text = std::fs::read_to_string(&spec.scenario)
        .map_err(|e| MergeError::Input(format!("cannot read {}: {e}", spec.scenario.display())))?;
    let label = spec.scenario.display().to_string();
    let plan = SweepPlan::new(spec, &scenario_text, &label).map_err(|problems| {
        MergeError::Input(problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
    })?;
    if fingerprint(&plan) != first.fingerprint {
        return Err(MergeError::Input(format!(
            "{} (or its scenario) changed since the shards were run, or this caseflow is another build:              rerun the shards",
            sweep_path.display()
        )));
    }
    // The shards' points into the merged journal; then the sweep finds them all done.
    output::prepare_dir_for(out_dir, force, &[SWEEP_H5]).map_err(MergeError::Output)?;
    let runs = plan.spec.runs as usize;
    let cells = plan.series.len() * plan.years.len();
    let journal_err = |e: JournalError| MergeError::Input(e.to_string());
    {
        if force {
            let _ = std::fs::remove_file(out_dir.join(JOURNAL));
        }
        let mut merged =
            Journal::open(&out_dir.join(JOURNAL), &first.fingerprint, runs * cells).map_err(journal_err)?;
        let mut taken = std::collections::BTreeSet::new();
        for (dir, r) in &shards {
            if !taken.insert(r.shard_index) {
                continue;
            }
            let mut part = Journal::open(&dir.join(JOURNAL), &r.fingerprint, runs * cells).map_err(journal_err)?;
            for i in r.first_point..r.end_point {
                if merged.contains(i) {
                    continue;
                }
                let values = part.read(i).map_err(journal_err)?.ok_or_else(|| {
                    MergeError::Input(format!("{}: point {i} is missing from the journal", dir.display()))
                })?;
                merged.append(i, &values).map_err(journal_err)?;
            }
        }
        merged.sync().map_err(journal_err)?;
    }
    run_sweep(&plan, out_dir, force, runner, command_line, stop, progress).map_err(|e| match e {
        SweepError::Output(o) => MergeError::Output(o),
        other => MergeError::Input(other.to_string()),
    })
}

/// Everything `sweep.h5` holds besides the values.
fn header(plan: &SweepPlan, points: &[Point], command_line: &str) -> SweepH5 {
    let spec = &plan.spec;
    let (levels, base_samples) = match spec.kind {
        super::design::DesignKind::Morris { levels, .. } => (levels as u64, 0),
        super::design::DesignKind::Sobol { base_samples } => (0, base_samples as u64),
        _ => (0, 0),
    };
    let scenario_name =
        scenario::load_str(&plan.scenario_text, &plan.scenario_label).map(|s| s.name).unwrap_or_default();
    // The provenance as every experiment records it: the command, the build, the base scenario.
    let mut record = Record::new("sweep", command_line);
    record.set("design", spec.kind.name());
    record.set("sweep_path", &spec.file);
    record.set("sweep_sha256", sha256_hex(spec.text.as_bytes()));
    let prov = Provenance {
        scenario_name,
        scenario_path: plan.scenario_label.clone(),
        scenario_text: plan.scenario_text.clone(),
        master_seed: spec.seed,
        run_indices: (0..spec.runs).collect(),
        command_line: command_line.to_string(),
        complete: true,
        shard: None,
        ensemble: None,
    };
    record.scenario.push(ScenarioRecord::new("base", &prov));
    SweepH5 {
        text_attrs: record.h5_attrs(),
        int_attrs: [
            ("master_seed", spec.seed),
            ("runs", spec.runs),
            ("design_seed", spec.design_seed),
            ("points", points.len() as u64),
            ("base_samples", base_samples),
            ("morris_levels", levels),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        scenario_text: plan.scenario_text.clone(),
        sweep_text: spec.text.clone(),
        run_indices: (0..spec.runs).collect(),
        series: plan.series.clone(),
        units: plan.units.clone(),
        years: plan.years.clone(),
        keys: plan.factors.iter().map(|f| f.key.clone()).collect(),
        bounds: plan
            .factors
            .iter()
            .map(|f| match f.domain {
                super::design::Domain::Range { min, max, .. } => (min, max),
                super::design::Domain::List(_) => (f64::NAN, f64::NAN),
            })
            .collect(),
        unit: points.iter().map(|p| p.unit.clone()).collect(),
        values: points.iter().map(|p| p.values.iter().map(super::design::Value::as_f64).collect()).collect(),
        real: points.iter().map(|p| plan.factors.iter().zip(&p.unit).map(|(f, &u)| f.real_at(u)).collect()).collect(),
        labels: points.iter().map(|p| p.values.iter().map(super::design::Value::to_toml).collect()).collect(),
    }
}
