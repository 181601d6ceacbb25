//! The HDF5 results file.
//!
//! Layout (all strings variable-length UTF-8, readable by h5py, h5dump and the `hdf5` crate):
//! - root attributes: `scenario_name`, `scenario_path`, `scenario_sha256`, `master_seed` (u64),
//!   `crate_version`, `git_revision`, `command_line`, `complete` (u8 0/1), `created_utc`;
//! - `/provenance/scenario_text` (scalar string), `/provenance/run_indices` (u64 `[n_runs]`);
//! - `/series/names`, `/series/units` (string `[n_series]`); `/years` (i32 `[n_years]`);
//! - `/runs/values` (f64 `[n_runs, n_series, n_years]`, runs in ascending run index);
//! - `/summary/{mean,sd,p05,p95}` (f64 `[n_series, n_years]`).
//!
//! Objects are created without tracked times (see the helpers below), so the file depends only
//! on its contents, here including `created_utc`.
//!
//! Datasets are contiguous and uncompressed: simplest to read from any tool, and the sizes
//! involved (runs x series x years doubles) do not call for chunking.

use std::path::Path;
use std::str::FromStr;

use hdf5::types::VarLenUnicode;
use hdf5::{
    Dataset, Extent, Extents, File, Group, H5Type, Hyperslab, Location, Selection, SimpleExtents, SliceOrIndex,
};
use ndarray::{ArrayViewD, IxDyn};

use super::{CRATE_VERSION, GIT_REVISION, Provenance, RunValues, SummaryRow};

/// Everything that goes into the file, already validated and with runs in run-index order.
pub(crate) struct H5Contents<'a> {
    pub prov: &'a Provenance,
    pub scenario_sha256: &'a str,
    pub created_utc: &'a str,
    pub series: &'a [String],
    pub units: &'a [String],
    pub years: &'a [i32],
    /// Ascending by `run_index`, each with `series.len() * years.len()` values.
    pub runs: &'a [&'a RunValues],
    /// `series.len() * years.len()` rows, series-major.
    pub summary: &'a [SummaryRow],
}

/// Creates (or truncates) the HDF5 file at `path` and writes `c` into it, closing it before
/// returning so that the caller may fsync and rename it.
pub(crate) fn write_hdf5(path: &Path, c: &H5Contents<'_>) -> hdf5::Result<()> {
    let file = create_file(path)?;
    write_contents(&file, c)?;
    // Push HDF5's metadata cache to the OS now, so a write error (disk full) surfaces here
    // rather than being lost in a destructor. Every object handle opened above has been
    // dropped, so `close` really closes the file.
    file.flush()?;
    file.close()
}

fn write_contents(file: &File, c: &H5Contents<'_>) -> hdf5::Result<()> {
    let prov = c.prov;
    let n_series = c.series.len();
    let n_years = c.years.len();

    // Root attributes: the provenance a reader sees first (`h5dump -A`, `f.attrs`).
    for (name, value) in [
        ("scenario_name", prov.scenario_name.as_str()),
        ("scenario_path", prov.scenario_path.as_str()),
        ("scenario_sha256", c.scenario_sha256),
        ("crate_version", CRATE_VERSION),
        ("git_revision", GIT_REVISION),
        ("command_line", prov.command_line.as_str()),
        ("created_utc", c.created_utc),
    ] {
        string_attr(file, name, value)?;
    }
    scalar_attr(file, "master_seed", &prov.master_seed)?;
    // HDF5 has no portable boolean; 0/1 in a u8 is what h5py and numpy expect.
    scalar_attr(file, "complete", &u8::from(prov.complete))?;
    if let Some(of) = prov.shard {
        for (name, value) in [
            ("shard_index", of.shard.index),
            ("shard_count", of.shard.count),
            ("shard_task_base", of.shard.base),
            ("batch_runs", of.batch_runs),
        ] {
            scalar_attr(file, name, &value)?;
        }
    }

    if let Some(e) = &prov.ensemble {
        string_attr(file, "ensemble_file", &e.file)?;
        string_attr(file, "ensemble_sha256", &e.sha256)?;
        scalar_attr(file, "ensemble_members", &e.members)?;
    }

    let provenance = group(file, "provenance")?;
    provenance
        .new_dataset::<VarLenUnicode>()
        .obj_track_times(false)
        .shape(())
        .create("scenario_text")?
        .write_scalar(&to_varlen("scenario text", &prov.scenario_text)?)?;
    // Validated by the caller to be the run indices of /runs/values, in the same order.
    let run_indices = &prov.run_indices;
    dataset(&provenance, "run_indices", &[run_indices.len()], run_indices)?;

    let series = group(file, "series")?;
    strings(&series, "names", "series name", c.series)?;
    strings(&series, "units", "series unit", c.units)?;

    dataset(file, "years", &[n_years], c.years)?;

    // Each run's values are already row-major [series, year], so concatenating them in run
    // order gives row-major [run, series, year].
    let runs = group(file, "runs")?;
    let values: Vec<f64> = c.runs.iter().flat_map(|r| r.values.iter().copied()).collect();
    dataset(&runs, "values", &[c.runs.len(), n_series, n_years], &values)?;

    let summary = group(file, "summary")?;
    type Stat = fn(&SummaryRow) -> f64;
    let stats: [(&str, Stat); 4] = [("mean", |r| r.mean), ("sd", |r| r.sd), ("p05", |r| r.p05), ("p95", |r| r.p95)];
    for (name, stat) in stats {
        let column: Vec<f64> = c.summary.iter().map(stat).collect();
        dataset(&summary, name, &[n_series, n_years], &column)?;
    }
    Ok(())
}

/// What `caseflow merge` reads back from a `results.h5`: the tables, not the provenance
/// (that comes from `provenance.toml`).
#[derive(Debug, Clone, PartialEq)]
pub struct ResultsRead {
    pub scenario_text: String,
    pub series: Vec<String>,
    pub units: Vec<String>,
    pub years: Vec<i32>,
    /// Ascending run index, as stored.
    pub runs: Vec<RunValues>,
}

/// Reads the scenario text, series, years and every run's values of a `results.h5`.
///
/// # Errors
/// When the file is missing, not HDF5, or lacks a dataset of the layout above, or its shapes
/// disagree.
pub fn read_results_h5(path: &Path) -> hdf5::Result<ResultsRead> {
    let file = File::open(path)?;
    let texts = |name: &str| -> hdf5::Result<Vec<String>> {
        Ok(file.dataset(name)?.read_raw::<VarLenUnicode>()?.iter().map(|s| s.as_str().to_string()).collect())
    };
    let scenario_text = file.dataset("provenance/scenario_text")?.read_scalar::<VarLenUnicode>()?.as_str().to_string();
    let series = texts("series/names")?;
    let units = texts("series/units")?;
    let years = file.dataset("years")?.read_raw::<i32>()?;
    let indices = file.dataset("provenance/run_indices")?.read_raw::<u64>()?;
    let values = file.dataset("runs/values")?;
    let cells = series.len() * years.len();
    let flat = values.read_raw::<f64>()?;
    if flat.len() != indices.len() * cells {
        return Err(hdf5::Error::from(format!(
            "/runs/values holds {} values, expected {} runs x {} series x {} years",
            flat.len(),
            indices.len(),
            series.len(),
            years.len()
        )));
    }
    let runs = indices
        .iter()
        .enumerate()
        .map(|(k, &run_index)| RunValues { run_index, values: flat[k * cells..(k + 1) * cells].to_vec() })
        .collect();
    Ok(ResultsRead { scenario_text, series, units, years, runs })
}

/// Why a `results.h5` cannot be taken with the `provenance.toml` beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairingError {
    /// The file is missing, not HDF5, or lacks an attribute or dataset every `results.h5` has.
    Unreadable(String),
    /// The two files come from different writes: `(field, in results.h5, in provenance.toml)`
    /// for every field on which they disagree.
    Mismatch(Vec<(String, String, String)>),
}

impl std::fmt::Display for PairingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreadable(m) => write!(f, "results.h5 cannot be read: {m}"),
            Self::Mismatch(fields) => {
                let each: Vec<String> = fields
                    .iter()
                    .map(|(name, h5, toml)| format!("{name} is {h5} in results.h5 but {toml} in provenance.toml"))
                    .collect();
                write!(
                    f,
                    "results.h5 and provenance.toml come from different writes (one was interrupted while \
                     replacing the other): {}",
                    each.join("; ")
                )
            }
        }
    }
}

impl std::error::Error for PairingError {}

/// Checks that the `results.h5` at `path` was written together with the `provenance.toml`
/// read as `record`: the same master seed, run indices, scenario SHA-256, completeness, shard,
/// ensemble, build, command line and creation time (every write stamps both files with one
/// time). A directory where a write was killed between renames by a caseflow that did not yet
/// use `provenance.toml` as the commit marker holds a new `results.h5` beside an old
/// provenance: this finds it.
///
/// # Errors
/// [`PairingError`].
pub fn check_results_h5(path: &Path, record: &super::ProvenanceRecord) -> Result<(), PairingError> {
    let unreadable = |e: hdf5::Error| PairingError::Unreadable(e.to_string());
    let file = File::open(path).map_err(unreadable)?;
    let text = |name: &str| -> Option<String> {
        file.attr(name).and_then(|a| a.read_scalar::<VarLenUnicode>()).ok().map(|s| s.as_str().to_string())
    };
    let int = |name: &str| -> Option<u64> { file.attr(name).and_then(|a| a.read_scalar::<u64>()).ok() };
    let shown = |v: Option<String>| v.unwrap_or_else(|| "absent".to_string());
    let h5_indices = file.dataset("provenance/run_indices").and_then(|d| d.read_raw::<u64>()).map_err(unreadable)?;
    let complete = file.attr("complete").and_then(|a| a.read_scalar::<u8>()).map_err(unreadable)?;
    let seed = int("master_seed").ok_or_else(|| PairingError::Unreadable("no master_seed attribute".into()))?;
    let list = |items: Vec<String>| format!("[{}]", items.join(", "));
    let shard = record.shard.as_ref();
    let ensemble = record.ensemble.as_ref();
    let fields: [(&str, Option<String>, Option<String>); 14] = [
        ("master_seed", Some(seed.to_string()), Some(record.master_seed.to_string())),
        (
            "run_indices",
            Some(list(h5_indices.iter().map(ToString::to_string).collect())),
            Some(list(record.run_indices.iter().map(ToString::to_string).collect())),
        ),
        ("scenario_sha256", text("scenario_sha256"), Some(record.scenario_sha256.clone())),
        ("complete", Some((complete != 0).to_string()), Some(record.complete.to_string())),
        ("shard index", int("shard_index").map(|v| v.to_string()), shard.map(|s| s.index.to_string())),
        ("shard count", int("shard_count").map(|v| v.to_string()), shard.map(|s| s.count.to_string())),
        ("shard task_base", int("shard_task_base").map(|v| v.to_string()), shard.map(|s| s.task_base.to_string())),
        ("shard batch_runs", int("batch_runs").map(|v| v.to_string()), shard.map(|s| s.batch_runs.to_string())),
        ("ensemble sha256", text("ensemble_sha256"), ensemble.map(|e| e.sha256.clone())),
        ("scenario_name", text("scenario_name"), Some(record.scenario_name.clone())),
        ("crate_version", text("crate_version"), Some(record.crate_version.clone())),
        ("git_revision", text("git_revision"), Some(record.git_revision.clone())),
        ("command_line", text("command_line"), Some(record.command_line.clone())),
        ("created_utc", text("created_utc"), Some(record.created_utc.clone())),
    ];
    let quoted = |name: &str, v: Option<String>| match v {
        Some(v) if !matches!(name, "master_seed" | "run_indices" | "complete") && !name.starts_with("shard") => {
            format!("{v:?}")
        }
        v => shown(v),
    };
    let mismatches: Vec<(String, String, String)> = fields
        .into_iter()
        .filter(|(_, h5, toml)| h5 != toml)
        .map(|(name, h5, toml)| (name.to_string(), quoted(name, h5), quoted(name, toml)))
        .collect();
    if mismatches.is_empty() { Ok(()) } else { Err(PairingError::Mismatch(mismatches)) }
}

/// `(shard_index, shard_count)` of a shard's `results.h5`, when it can be read.
pub(crate) fn shard_attrs(path: &Path) -> Option<(u64, u64)> {
    let file = File::open(path).ok()?;
    let int = |name: &str| file.attr(name).and_then(|a| a.read_scalar::<u64>()).ok();
    Some((int("shard_index")?, int("shard_count")?))
}

// Helpers for every HDF5 file caseflow writes (these results, and the experiments' diff.h5 and
// sweep.h5). Objects are created without tracked times (HDF5 stamps each object header with
// its creation time by default), so the same contents give the same bytes: a resumed sweep
// must end with the file an uninterrupted one writes.

/// Creates (or truncates) an HDF5 file at `path`, its root group's times untracked.
pub(crate) fn create_file(path: &Path) -> hdf5::Result<File> {
    File::with_options().with_fcpl(|p| p.obj_track_times(false)).create(path)
}

/// A group of `parent`, its times untracked.
pub(crate) fn group(parent: &Group, name: &str) -> hdf5::Result<Group> {
    parent.create_group_builder().obj_track_times(false).create(name)
}

/// Writes `data` (row-major, `shape.iter().product()` elements) as dataset `name` in `group`.
pub(crate) fn dataset<T: H5Type>(group: &Group, name: &str, shape: &[usize], data: &[T]) -> hdf5::Result<()> {
    let ds = group.new_dataset::<T>().obj_track_times(false).shape(shape.to_vec()).create(name)?;
    // HDF5 rejects a write of zero elements on some versions; an empty dataset needs none.
    if !data.is_empty() {
        ds.write_raw(data)?;
    }
    Ok(())
}

/// A scalar string dataset (e.g. a scenario's text).
pub(crate) fn scalar_string(group: &Group, name: &str, text: &str) -> hdf5::Result<()> {
    group
        .new_dataset::<VarLenUnicode>()
        .obj_track_times(false)
        .shape(())
        .create(name)?
        .write_scalar(&to_varlen(name, text)?)
}

/// A string dataset `[items.len()]`; `what` names the strings in an error.
pub(crate) fn strings(group: &Group, name: &str, what: &str, items: &[String]) -> hdf5::Result<()> {
    let values = items.iter().map(|s| to_varlen(what, s)).collect::<hdf5::Result<Vec<_>>>()?;
    dataset(group, name, &[items.len()], &values)
}

pub(crate) fn string_attr(loc: &Location, name: &str, value: &str) -> hdf5::Result<()> {
    scalar_attr(loc, name, &to_varlen(name, value)?)
}

pub(crate) fn scalar_attr<T: H5Type>(loc: &Location, name: &str, value: &T) -> hdf5::Result<()> {
    loc.new_attr::<T>().shape(()).create(name)?.write_scalar(value)
}

/// An extendable f64 dataset of `inner`-shaped items, one item per chunk, none yet.
pub(crate) fn extendable(group: &Group, name: &str, inner: &[usize]) -> hdf5::Result<Dataset> {
    let mut shape = vec![Extent::resizable(0)];
    let mut chunk = vec![1];
    for &n in inner {
        shape.push(Extent::fixed(n));
        chunk.push(n.max(1));
    }
    group
        .new_dataset::<f64>()
        .obj_track_times(false)
        .chunk(chunk)
        .shape(Extents::Simple(SimpleExtents::from_vec(shape)))
        .create(name)
}

/// Appends `data` (one item, `inner`-shaped, row-major) as item `i` of an extendable dataset.
pub(crate) fn append(ds: &Dataset, i: usize, inner: &[usize], data: &[f64]) -> hdf5::Result<()> {
    let mut shape = vec![i + 1];
    shape.extend_from_slice(inner);
    ds.resize(shape)?;
    let mut one = vec![1];
    one.extend_from_slice(inner);
    let view = ArrayViewD::from_shape(IxDyn(&one), data).map_err(|e| hdf5::Error::from(e.to_string()))?;
    let slices: Vec<SliceOrIndex> =
        std::iter::once(SliceOrIndex::from(i..i + 1)).chain(inner.iter().map(|_| SliceOrIndex::from(..))).collect();
    ds.write_slice(view, Selection::from(Hyperslab::from(slices)))
}

/// HDF5 strings are NUL-terminated, so a string with an interior NUL cannot be stored;
/// `what` names the string in the error (the string itself may be a whole scenario).
pub(crate) fn to_varlen(what: &str, s: &str) -> hdf5::Result<VarLenUnicode> {
    VarLenUnicode::from_str(s).map_err(|e| {
        hdf5::Error::from(format!("cannot store the {what} as an HDF5 string: {e} (it contains a NUL character)"))
    })
}
