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

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use super::design::Point;
use super::journal::{Journal, JournalError};
use super::record::{Record, ScenarioRecord};
use super::sweep_file::SweepPlan;
use super::sweep_h5::{SweepH5, write_sweep_h5};
use crate::batch::{Batch, Runner, Series};
use crate::output::{self, CRATE_VERSION, Content, GIT_REVISION, OutputError, Provenance, sha256_hex};
use crate::scenario::{self, Scenario};

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
    let journal_path = out_dir.join(JOURNAL);
    if force {
        let _ = std::fs::remove_file(&journal_path);
    }
    let runs = plan.spec.runs as usize;
    let cells = plan.series.len() * plan.years.len();
    let mut journal = Journal::open(&journal_path, &fingerprint(plan), runs * cells).map_err(SweepError::Journal)?;
    let total = points.len();
    let resumed = journal.len();
    progress(SweepProgress::Started { done: resumed, total });

    let pending: Vec<usize> = (0..total).filter(|&i| !journal.contains(i as u64)).collect();
    let series = Series::Only(plan.series.iter().cloned().collect());
    let batch = Batch::new(plan.spec.seed, 0..plan.spec.runs).series(series).until(plan.spec.last_year).stop_on(stop);
    let chunk = (4 * runner.threads()).max(2);
    let mut failure: Option<SweepError> = None;
    for ids in pending.chunks(chunk) {
        if stop.load(Ordering::Relaxed) || failure.is_some() {
            break;
        }
        let scenarios: Vec<Scenario> = ids
            .iter()
            .map(|&i| {
                // Every point was loaded once by check_points: a failure now is a bug.
                scenario::load_str(&plan.text_of(&points[i]), &plan.scenario_label)
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
            progress(SweepProgress::PointDone { done: journal.len(), total });
        });
        if let Err(e) = journal.sync() {
            failure.get_or_insert(SweepError::Journal(e));
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
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
    let _ = std::fs::remove_file(&journal_path);
    outcome.results = Some(path);
    Ok(outcome)
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
