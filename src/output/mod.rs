//! Results written to disk with their provenance.
//!
//! A batch's results go into one directory as three files:
//! - `results.h5`: every run's values, the summary across runs, and the full provenance
//!   (including the scenario text), for analysis (layout in `h5`'s documentation);
//! - `summary.csv`: mean, sd, p05 and p95 per (series, year), a byte-stable text file that
//!   can be diffed between code versions;
//! - `provenance.toml`: how the results were made, readable without any HDF5 tool.
//!
//! Each file is written atomically (temporary file, fsync, rename), so an interrupted or
//! failed write never leaves a truncated result next to good ones; and `provenance.toml` is
//! the set's commit marker (an old one removed before the first rename, the new one renamed
//! last), so a directory with a `provenance.toml` holds the files it describes, and one
//! without it is refused by every reader as incomplete. [`check_results_h5`] checks the
//! pairing the other way round (a `results.h5` whose attributes disagree with its
//! `provenance.toml`, as a killed write of older versions could leave), and
//! [`check_result_files`] checks each file against the SHA-256 `provenance.toml` records for
//! it (a `summary.csv` cut short when copied still parses, as fewer rows). The same writer
//! ([`write_file_atomic`]) and fingerprint ([`sha256_hex`]) serve the calibration's files,
//! whose sets (a calibration's, a screen's, an ensemble's) each have a marker of their own
//! ([`MarkedSet`]), as `provenance.toml` is a run's.

mod atomic;
mod csv_text;
mod files;
pub(crate) mod h5;
mod marker;
pub mod merge;
mod provenance;

use std::collections::HashSet;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub use atomic::{sync_dir, write_file_atomic};
pub use csv_text::{csv_text, summary_csv};
pub use files::{Content, prepare_dir_for, write_files};
pub use h5::{PairingError, ResultsRead, check_results_h5, read_results_h5};
pub use marker::{COMPLETE, MarkedSet, WRITING};
pub(crate) use provenance::iso8601_utc;
pub use provenance::toml_string as toml_quoted;
pub use provenance::{
    EnsembleOf, EnsembleRecord, Provenance, ProvenanceRecord, ShardOf, ShardRecord, TomlU64, read_provenance_toml,
    sha256_file, sha256_hex,
};

use crate::summary::{RunValues, SummaryRow};

use atomic::TempFiles;
use provenance::ProvenanceFile;

/// The git revision the binary was built from (`<hash>`, `<hash>-dirty` or `unknown`),
/// set by `build.rs`.
pub const GIT_REVISION: &str = env!("CASEFLOW_GIT_REVISION");
/// The crate version from Cargo.toml.
pub const CRATE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// File names inside the output directory.
pub const HDF5_NAME: &str = "results.h5";
pub const SUMMARY_NAME: &str = "summary.csv";
pub const PROVENANCE_NAME: &str = "provenance.toml";
/// Every file a batch writes into its output directory.
pub const RESULT_FILES: [&str; 3] = [HDF5_NAME, SUMMARY_NAME, PROVENANCE_NAME];

/// Paths of the files written by [`write_results`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub dir: PathBuf,
    pub hdf5: PathBuf,
    pub summary_csv: PathBuf,
    pub provenance: PathBuf,
}

/// Why results could not be written.
#[derive(Debug)]
pub enum OutputError {
    /// A result file is already there and overwriting was not asked for.
    Exists { path: PathBuf },
    /// A file-system error (also used, with kind `InvalidInput`, for inconsistent inputs).
    Io { path: PathBuf, source: io::Error },
    /// The HDF5 library refused an operation.
    Hdf5 { path: PathBuf, message: String },
}

impl fmt::Display for OutputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exists { path } => {
                write!(f, "{} already exists; pass --force to overwrite it, or choose another --out", path.display())
            }
            Self::Io { path, source } => {
                write!(f, "cannot write {}: {source}", path.display())
            }
            Self::Hdf5 { path, message } => {
                write!(f, "cannot write HDF5 file {}: {message}", path.display())
            }
        }
    }
}

impl std::error::Error for OutputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Exists { .. } | Self::Hdf5 { .. } => None,
        }
    }
}

/// Prepares `dir` to receive results, before a batch is run, so that a mistaken `--out` is
/// reported before any work is done: refuses existing results unless `force`, creates `dir`
/// (and its parents) if missing, deletes temporaries left there by killed runs, and checks
/// that a file can be created in it. Returns whether `dir` was created, so that a caller that
/// ends up writing nothing can remove it again.
///
/// Passing this check does not guarantee that [`write_results`] succeeds (the disk may fill
/// up meanwhile); it still checks everything again.
///
/// # Errors
/// [`OutputError::Exists`] as [`write_results`]; [`OutputError::Io`] when `dir` cannot be
/// created or written to (with a message naming the path component that is in the way).
pub fn prepare_dir(dir: &Path, force: bool) -> Result<bool, OutputError> {
    prepare_dir_for(dir, force, &RESULT_FILES)
}

/// `create_dir_all`, with an error that says which component is in the way when one is a
/// file (the OS says only "Not a directory" or "File exists").
fn create_dir(dir: &Path) -> Result<(), OutputError> {
    std::fs::create_dir_all(dir).map_err(|e| {
        let blocker = dir.ancestors().find(|a| !a.as_os_str().is_empty() && a.exists() && !a.is_dir());
        match blocker {
            Some(file) => OutputError::Io {
                path: dir.to_path_buf(),
                source: io::Error::new(e.kind(), format!("{} is a file, not a directory", file.display())),
            },
            None => io_err(dir)(e),
        }
    })
}

/// An HDF5 error as one line. HDF5's low-level write errors carry a long record (time, file
/// name, descriptor, buffer address, ...) around the system's reason; keep what failed and
/// the reason, e.g. `...: file write failed: No space left on device`.
fn hdf5_message(e: &hdf5::Error) -> String {
    let raw = e.to_string();
    const REASON: &str = "error message = '";
    if let Some(at) = raw.find(REASON) {
        let reason = &raw[at + REASON.len()..];
        if let Some(end) = reason.find('\'') {
            let head = raw.find(": time = ").map_or(&raw[..at], |i| &raw[..i]);
            return format!("{}: {}", head.trim_end_matches([',', ' ']), &reason[..end]);
        }
    }
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Shorthand for the `map_err` of an I/O error on `path`.
fn io_err(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
    move |source| OutputError::Io { path: path.to_path_buf(), source }
}

/// Writes `results.h5`, `summary.csv` and `provenance.toml` into `dir` (created if missing).
///
/// `runs` may come in any order (they are stored by ascending run index); `summary` must be
/// what [`crate::summary::summarize`] returned for the same `series`, `years` and `runs`; `units` gives one
/// unit per series.
///
/// Never leaves a truncated file: each file is written to a hidden temporary in `dir`,
/// fsynced, and renamed into place only once all three are complete; on any error before
/// that the temporaries are removed and previous files, if any, are untouched. Replacing
/// results is all or nothing as readers see it: `provenance.toml` is the commit marker, an
/// old one deleted before the first rename and the new one renamed last, so a write killed
/// between renames leaves a directory without `provenance.toml`, which `compare`, `report`
/// and `merge` refuse as incomplete, never new files beside an old provenance.
///
/// # Errors
/// - [`OutputError::Exists`] if any of the three files exists and `force` is false; nothing
///   is written then.
/// - [`OutputError::Io`] on file-system errors, or (kind `InvalidInput`) when the inputs are
///   inconsistent: a run or `units` of the wrong length, a repeated run index, run indices
///   in `prov` other than those of `runs` in ascending order, a summary not matching
///   `series` x `years`.
/// - [`OutputError::Hdf5`] when the HDF5 library fails.
#[allow(clippy::too_many_arguments)] // The signature is the module's contract with the batch.
pub fn write_results(
    dir: &Path,
    force: bool,
    prov: &Provenance,
    series: &[String],
    units: &[String],
    years: &[i32],
    runs: &[RunValues],
    summary: &[SummaryRow],
) -> Result<Written, OutputError> {
    let written = Written {
        dir: dir.to_path_buf(),
        hdf5: dir.join(HDF5_NAME),
        summary_csv: dir.join(SUMMARY_NAME),
        provenance: dir.join(PROVENANCE_NAME),
    };
    let finals = [&written.hdf5, &written.summary_csv, &written.provenance];

    validate(prov, series, units, years, runs, summary).map_err(|message| invalid_input(&written.hdf5, message))?;

    // Refuse before doing any work, so a mistaken --out costs nothing.
    if !force {
        refuse_existing(&finals)?;
    }
    create_dir(dir)?;
    // Temporaries of runs killed before they could clean up (SIGKILL, power loss).
    atomic::remove_stale(dir, &RESULT_FILES);

    let mut ordered: Vec<&RunValues> = runs.iter().collect();
    ordered.sort_by_key(|r| r.run_index);
    let scenario_sha256 = prov.scenario_sha256();
    // One timestamp for both files that carry it.
    let created_utc = provenance::iso8601_utc(SystemTime::now());

    let csv = summary_csv(summary);
    let files = [HDF5_NAME, SUMMARY_NAME, PROVENANCE_NAME];

    // From here on, every early return drops `temps`, which deletes the temporaries.
    let mut temps = TempFiles::default();

    let h5_tmp = temps.create(dir, HDF5_NAME).map_err(io_err(&written.hdf5))?;
    // HDF5 reports its own errors through the returned Result; its stderr printing would only
    // duplicate them (the crate silences it by default; make sure).
    hdf5::silence_errors(true);
    let contents = h5::H5Contents {
        prov,
        scenario_sha256: &scenario_sha256,
        created_utc: &created_utc,
        series,
        units,
        years,
        runs: &ordered,
        summary,
    };
    h5::write_hdf5(&h5_tmp, &contents)
        .map_err(|e| OutputError::Hdf5 { path: written.hdf5.clone(), message: hdf5_message(&e) })?;
    atomic::sync_file(&h5_tmp).map_err(io_err(&written.hdf5))?;
    // Read back once, as the HDF5 library wrote it (it was just written, so it is in the page
    // cache): a pass over the file, small beside the runs that made it.
    let h5_sha256 = sha256_file(&h5_tmp).map_err(io_err(&written.hdf5))?;

    let csv_tmp = temps.create(dir, SUMMARY_NAME).map_err(io_err(&written.summary_csv))?;
    atomic::write_synced(&csv_tmp, csv.as_bytes()).map_err(io_err(&written.summary_csv))?;

    let toml = provenance::provenance_toml(&ProvenanceFile {
        prov,
        scenario_sha256: &scenario_sha256,
        created_utc: &created_utc,
        files: &files,
        hdf5_name: HDF5_NAME,
        sha256: &[(HDF5_NAME, h5_sha256), (SUMMARY_NAME, sha256_hex(csv.as_bytes()))],
    });
    let toml_tmp = temps.create(dir, PROVENANCE_NAME).map_err(io_err(&written.provenance))?;
    atomic::write_synced(&toml_tmp, toml.as_bytes()).map_err(io_err(&written.provenance))?;

    // Check again: another process may have written results here while we were working.
    if !force {
        refuse_existing(&finals)?;
    }
    // provenance.toml is the commit marker: an old one is deleted before the first rename and
    // the new one renamed last, so it is never beside files it does not describe.
    let pairs = [
        (h5_tmp, written.hdf5.clone()),
        (csv_tmp, written.summary_csv.clone()),
        (toml_tmp, written.provenance.clone()),
    ];
    files::publish_set(&mut temps, dir, &pairs, &mut |_| Ok(()))?;
    Ok(written)
}

/// Checks the result files in `dir` against the SHA-256 its `provenance.toml` (`record`)
/// records for each: a `summary.csv` cut at a line boundary still parses, as fewer rows, so
/// only its fingerprint tells. `read` gives the bytes of files the caller has already read
/// (checked as read, not read again). A file that is absent is skipped unless the caller
/// `need`s it: `compare` and `report` read only `summary.csv`, and a copy of the results
/// without the (large) `results.h5` is still theirs to read. A provenance of earlier versions
/// records no SHA-256: nothing to check then.
///
/// # Errors
/// One line for the first file that is needed and missing, unreadable or does not match,
/// naming it.
pub fn check_result_files(
    dir: &Path,
    record: &ProvenanceRecord,
    read: &[(&str, &[u8])],
    need: &[&str],
) -> Result<(), String> {
    let Some(hashes) = &record.sha256 else { return Ok(()) };
    for (name, want) in hashes {
        // Only the files a run writes: a provenance naming another path is not followed.
        if !RESULT_FILES.contains(&name.as_str()) || name == PROVENANCE_NAME {
            return Err(format!("{PROVENANCE_NAME} records a SHA-256 for `{name}`, which is not a result file"));
        }
        let path = dir.join(name);
        let got = match read.iter().find(|(n, _)| n == name) {
            Some((_, bytes)) => sha256_hex(bytes),
            None => match sha256_file(&path) {
                Ok(h) => h,
                Err(e) if e.kind() == io::ErrorKind::NotFound && !need.contains(&name.as_str()) => continue,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Err(format!("{} is missing ({PROVENANCE_NAME} lists it)", path.display()));
                }
                Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
            },
        };
        if got != *want {
            return Err(format!(
                "{} does not match the SHA-256 {PROVENANCE_NAME} records for it (cut short or changed since \
                 it was written)",
                path.display()
            ));
        }
    }
    Ok(())
}

/// `Err(Exists)` for the first of `paths` that exists (as anything, even a dangling link).
fn refuse_existing(paths: &[&PathBuf]) -> Result<(), OutputError> {
    for path in paths {
        match std::fs::symlink_metadata(path) {
            Ok(_) => {
                return Err(OutputError::Exists { path: path.to_path_buf() });
            }
            // A parent that is a regular file: nothing exists here; creating the directory
            // reports the problem, naming the file in the way.
            Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => {}
            // Cannot even tell (e.g. permission denied on a parent): report that.
            Err(e) => return Err(io_err(path)(e)),
        }
    }
    Ok(())
}

fn invalid_input(path: &Path, message: String) -> OutputError {
    OutputError::Io { path: path.to_path_buf(), source: io::Error::new(io::ErrorKind::InvalidInput, message) }
}

/// Checks that the inputs describe one consistent table, so the HDF5 datasets get the shapes
/// they claim.
fn validate(
    prov: &Provenance,
    series: &[String],
    units: &[String],
    years: &[i32],
    runs: &[RunValues],
    summary: &[SummaryRow],
) -> Result<(), String> {
    let n_years = years.len();
    let n_cells = series.len() * n_years;
    if units.len() != series.len() {
        return Err(format!("{} units given for {} series", units.len(), series.len()));
    }
    let mut seen = HashSet::with_capacity(runs.len());
    for run in runs {
        if run.values.len() != n_cells {
            return Err(format!(
                "run {} holds {} values, expected {} series x {} years",
                run.run_index,
                run.values.len(),
                series.len(),
                n_years
            ));
        }
        if !seen.insert(run.run_index) {
            return Err(format!("run index {} appears twice", run.run_index));
        }
    }
    // The provenance must list exactly the runs stored, in the order they are stored.
    let mut indices: Vec<u64> = runs.iter().map(|r| r.run_index).collect();
    indices.sort_unstable();
    if prov.run_indices != indices {
        return Err(format!(
            "the provenance's run_indices ({} entries) must be the indices of the {} runs \
             given, in ascending order",
            prov.run_indices.len(),
            runs.len()
        ));
    }
    if summary.len() != n_cells {
        return Err(format!(
            "summary has {} rows, expected {} series x {} years",
            summary.len(),
            series.len(),
            n_years
        ));
    }
    for (i, row) in summary.iter().enumerate() {
        let (name, year) = (&series[i / n_years], years[i % n_years]);
        if row.series != *name || row.year != year {
            return Err(format!(
                "summary row {i} is ({}, {}), expected ({name}, {year}): rows must be in series then year order",
                row.series, row.year
            ));
        }
    }
    Ok(())
}
