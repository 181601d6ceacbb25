//! `caseflow merge`: the shards of one batch joined into the result a single machine writes.
//!
//! Each shard directory holds the usual three files, its `provenance.toml` with a `[shard]`
//! table (index, count, the array's first task id, the batch's run count). The merge checks
//! that every shard comes from the same scenario text, master seed, batch size, shard count,
//! crate version and git revision; takes a shard given twice once (after checking that both
//! copies hold the same values); and, when a shard is missing or incomplete, writes nothing and
//! says which, with the `sbatch` line that reruns only those. Otherwise it writes the runs of
//! all shards, in run-index order, with the summary computed from them exactly as `caseflow
//! run` computes it: the same `summary.csv` bytes and the same `/runs/values` as one machine.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use super::provenance::{ProvenanceRecord, ShardRecord, TomlU64, read_provenance_toml};
use super::{
    HDF5_NAME, OutputError, PROVENANCE_NAME, Provenance, ResultsRead, SUMMARY_NAME, Written, check_results_h5,
    read_results_h5, write_results,
};
use crate::shard::{ENV_SHARD_BASE, ENV_SHARD_COUNT, array_spec};
use crate::summary::summarize;

/// What to merge and where.
#[derive(Clone, Debug)]
pub struct MergeRequest {
    /// Shard directories, or directories holding `shard-*` directories.
    pub inputs: Vec<PathBuf>,
    pub out: PathBuf,
    pub force: bool,
    pub command_line: String,
    /// The job script named in the rerun line.
    pub job_script: String,
}

/// Why shards could not be merged.
#[derive(Debug)]
pub enum MergeError {
    /// Unreadable or inconsistent shards: the message names the directories.
    Input(String),
    /// Some shards are missing or incomplete: nothing was written.
    Missing {
        /// One line per missing or incomplete shard.
        lines: Vec<String>,
        /// The `sbatch --array=...` line that reruns only those.
        rerun: String,
    },
    /// Writing the merged result failed.
    Output(OutputError),
}

impl fmt::Display for MergeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Input(m) => f.write_str(m),
            Self::Missing { lines, rerun } => {
                writeln!(f, "cannot merge: {} shard(s) missing or incomplete:", lines.len())?;
                for line in lines {
                    writeln!(f, "  {line}")?;
                }
                write!(f, "rerun only those with:\n  {rerun}")
            }
            Self::Output(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for MergeError {}

/// What was merged.
#[derive(Debug)]
pub struct Merged {
    pub written: Written,
    pub shards: u64,
    pub runs: u64,
    pub scenario_name: String,
    pub master_seed: u64,
    /// Notes for the user: duplicates taken once, directories without results.
    pub notes: Vec<String>,
}

/// One shard directory read.
struct ShardDir {
    dir: PathBuf,
    record: ProvenanceRecord,
    shard: ShardRecord,
}

/// Merges the shards of `request.inputs` into `request.out`.
///
/// # Errors
/// See [`MergeError`].
pub fn merge(request: &MergeRequest) -> Result<Merged, MergeError> {
    let mut notes = Vec::new();
    let dirs = expand(&request.inputs)?;
    let mut shards = Vec::new();
    // Directories with result files but no provenance.toml: a run killed while writing them
    // (provenance.toml, the commit marker, is renamed in last), with the shard results.h5 says.
    let mut damaged: Vec<(PathBuf, Option<(u64, u64)>)> = Vec::new();
    for dir in dirs {
        let path = dir.join(PROVENANCE_NAME);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if [HDF5_NAME, SUMMARY_NAME].iter().any(|f| dir.join(f).symlink_metadata().is_ok()) {
                    let shard = super::h5::shard_attrs(&dir.join(HDF5_NAME));
                    damaged.push((dir, shard));
                } else {
                    notes.push(format!("{}: no results (a shard that did not finish?)", dir.display()));
                }
                continue;
            }
            Err(e) => return Err(MergeError::Input(format!("cannot read {}: {e}", path.display()))),
        };
        let record = read_provenance_toml(&text)
            .map_err(|e| MergeError::Input(format!("{}: not a caseflow provenance file: {e}", path.display())))?;
        let Some(shard) = record.shard.clone() else {
            return Err(MergeError::Input(format!(
                "{}: not a shard's results (no [shard] table): results of `caseflow run --shard I/N` or a job array \
                 are expected",
                path.display()
            )));
        };
        shards.push(ShardDir { dir, record, shard });
    }
    let Some(first) = shards.first() else {
        let damaged_note = if damaged.is_empty() {
            String::new()
        } else {
            format!(
                " ({}: {}; rerun those shards with --force)",
                damaged_text(),
                damaged.iter().map(|(d, _)| d.display().to_string()).collect::<Vec<_>>().join(", ")
            )
        };
        return Err(MergeError::Input(format!(
            "no shard results among {}{damaged_note}",
            request.inputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        )));
    };
    for other in &shards[1..] {
        same_batch(first, other)?;
    }
    let count = first.shard.count;
    let batch_runs = first.shard.batch_runs;
    let base = first.shard.task_base;

    // By shard index: the first complete copy, read; later copies checked against it.
    let mut done: BTreeMap<u64, (PathBuf, ResultsRead)> = BTreeMap::new();
    let mut incomplete: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    let mut unplaced = Vec::new();
    for (dir, shard) in &damaged {
        let line = format!("{} ({})", dir.display(), damaged_text());
        match shard {
            Some((index, of)) if *of == count && *index < count => incomplete.entry(*index).or_default().push(line),
            _ => unplaced.push(line),
        }
    }
    for s in &shards {
        let own = crate::shard::Shard { index: s.shard.index, count, base }.runs(batch_runs);
        let indices: Vec<String> = s.record.run_indices.iter().map(ToString::to_string).collect();
        let expected: Vec<String> = own.clone().map(|i| i.to_string()).collect();
        if s.shard.index >= count {
            return Err(MergeError::Input(format!(
                "{}: shard index {} is not below its count {count}",
                s.dir.display(),
                s.shard.index
            )));
        }
        if !s.record.complete || indices != expected {
            incomplete.entry(s.shard.index).or_default().push(format!(
                "{} (incomplete: {} of {} runs)",
                s.dir.display(),
                indices.len(),
                expected.len()
            ));
            continue;
        }
        let h5 = s.dir.join(HDF5_NAME);
        // results.h5 must be the one this provenance.toml was written with.
        if let Err(e) = check_results_h5(&h5, &s.record) {
            return Err(MergeError::Input(format!(
                "{} (shard {}/{count}) is damaged: {e}. Rerun that shard with --force before merging",
                s.dir.display(),
                s.shard.index
            )));
        }
        // Each file against the SHA-256 the provenance records: a results.h5 changed in place
        // (a byte of a value) still opens and would be merged.
        if let Err(e) = super::check_result_files(&s.dir, &s.record, &[], &[HDF5_NAME]) {
            return Err(MergeError::Input(format!(
                "{} (shard {}/{count}) is damaged: {e}. Rerun that shard with --force before merging",
                s.dir.display(),
                s.shard.index
            )));
        }
        let read = read_results_h5(&h5).map_err(|e| MergeError::Input(format!("cannot read {}: {e}", h5.display())))?;
        if super::sha256_hex(read.scenario_text.as_bytes()) != s.record.scenario_sha256 {
            return Err(MergeError::Input(format!(
                "{}: the scenario text does not match its provenance's scenario_sha256",
                h5.display()
            )));
        }
        if read.runs.iter().map(|r| r.run_index).ne(own.clone()) {
            return Err(MergeError::Input(format!(
                "{}: its runs are not the runs {own:?} its provenance names",
                h5.display()
            )));
        }
        match done.get(&s.shard.index) {
            Some((kept, kept_read)) => {
                if !same_values(kept_read, &read) {
                    return Err(MergeError::Input(format!(
                        "{} and {} are both shard {}/{count} but hold different values",
                        kept.display(),
                        s.dir.display(),
                        s.shard.index
                    )));
                }
                notes.push(format!(
                    "shard {}/{count} given twice ({} and {}): taken once",
                    s.shard.index,
                    kept.display(),
                    s.dir.display()
                ));
            }
            None => {
                if let Some((_, r0)) = done.values().next() {
                    if (&r0.series, &r0.units, &r0.years) != (&read.series, &read.units, &read.years) {
                        return Err(MergeError::Input(format!(
                            "{}: its series or years differ from the other shards'",
                            s.dir.display()
                        )));
                    }
                }
                done.insert(s.shard.index, (s.dir.clone(), read));
            }
        }
    }

    let missing: Vec<u64> = (0..count).filter(|i| !done.contains_key(i)).collect();
    if missing.is_empty() {
        notes.extend(unplaced);
    } else {
        let mut lines: Vec<String> = missing
            .iter()
            .map(|&i| {
                let task = base + i;
                match incomplete.get(&i) {
                    Some(dirs) => format!("shard {i}/{count} (array task {task}): {}", dirs.join("; ")),
                    None => format!("shard {i}/{count} (array task {task}): missing"),
                }
            })
            .collect();
        lines.extend(unplaced);
        let ids: Vec<u64> = missing.iter().map(|i| base + i).collect();
        let rerun = format!(
            "sbatch --array={} --export=ALL,{ENV_SHARD_COUNT}={count},{ENV_SHARD_BASE}={base} {}",
            array_spec(&ids),
            request.job_script
        );
        return Err(MergeError::Missing { lines, rerun });
    }

    let mut parts = done.into_values().map(|(_, r)| r);
    let Some(mut all) = parts.next() else { unreachable!("count >= 1 and no shard is missing") };
    for part in parts {
        all.runs.extend(part.runs);
    }
    let summary = summarize(&all.series, &all.years, &all.runs);
    let master_seed = toml_u64(&first.record.master_seed)
        .ok_or_else(|| MergeError::Input(format!("{}: master_seed is not a u64", first.dir.display())))?;
    let prov = Provenance {
        scenario_name: first.record.scenario_name.clone(),
        scenario_path: first.record.scenario_path.clone(),
        scenario_text: all.scenario_text.clone(),
        master_seed,
        run_indices: all.runs.iter().map(|r| r.run_index).collect(),
        command_line: request.command_line.clone(),
        complete: true,
        shard: None,
        // Every shard ran the same command over the same ensemble (the scenario text and the
        // seeds are checked; the ensemble is carried from the first).
        ensemble: first.record.ensemble.as_ref().map(|e| crate::output::EnsembleOf {
            file: e.file.clone(),
            sha256: e.sha256.clone(),
            members: e.members,
        }),
    };
    let written =
        write_results(&request.out, request.force, &prov, &all.series, &all.units, &all.years, &all.runs, &summary)
            .map_err(MergeError::Output)?;
    Ok(Merged { written, shards: count, runs: batch_runs, scenario_name: prov.scenario_name, master_seed, notes })
}

/// The shard directories among `inputs`: a directory holding `shard-*` directories stands for
/// them (it may also hold their merged results, `caseflow merge OUT --out OUT`); any other is
/// one shard (with no results yet when it did not finish).
pub fn expand(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, MergeError> {
    let mut dirs = Vec::new();
    for input in inputs {
        if !input.is_dir() {
            return Err(MergeError::Input(format!("{}: no such directory", input.display())));
        }
        let mut inner: Vec<PathBuf> = std::fs::read_dir(input)
            .map_err(|e| MergeError::Input(format!("cannot list {}: {e}", input.display())))?
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with("shard-") && e.path().is_dir())
            .map(|e| e.path())
            .collect();
        if inner.is_empty() {
            dirs.push(input.clone());
        } else {
            inner.sort();
            dirs.extend(inner);
        }
    }
    Ok(dirs)
}

/// Refuses shards of different batches, naming both.
fn same_batch(a: &ShardDir, b: &ShardDir) -> Result<(), MergeError> {
    let checks: [(&str, String, String); 6] = [
        ("scenario (scenario_sha256)", a.record.scenario_sha256.clone(), b.record.scenario_sha256.clone()),
        ("master seed", a.record.master_seed.to_string(), b.record.master_seed.to_string()),
        ("batch size (runs)", a.shard.batch_runs.to_string(), b.shard.batch_runs.to_string()),
        ("shard count", a.shard.count.to_string(), b.shard.count.to_string()),
        ("caseflow version", a.record.crate_version.clone(), b.record.crate_version.clone()),
        ("git revision", a.record.git_revision.clone(), b.record.git_revision.clone()),
    ];
    for (what, x, y) in checks {
        if x != y {
            return Err(MergeError::Input(format!(
                "shards of different batches: {} has {what} {x}, {} has {y}",
                a.dir.display(),
                b.dir.display()
            )));
        }
    }
    Ok(())
}

/// Bitwise equality (NaN equals NaN): two copies of one shard.
fn same_values(a: &ResultsRead, b: &ResultsRead) -> bool {
    a.runs.len() == b.runs.len()
        && a.runs.iter().zip(&b.runs).all(|(x, y)| {
            x.run_index == y.run_index
                && x.values.len() == y.values.len()
                && x.values.iter().zip(&y.values).all(|(p, q)| p.to_bits() == q.to_bits())
        })
}

/// How a shard directory with result files but no provenance.toml is described.
fn damaged_text() -> &'static str {
    "damaged: result files without provenance.toml, a run killed while writing them"
}

fn toml_u64(v: &TomlU64) -> Option<u64> {
    match v {
        TomlU64::Integer(n) => Some(*n),
        TomlU64::Text(s) => s.parse().ok(),
    }
}
