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
//! Datasets are contiguous and uncompressed: simplest to read from any tool, and the sizes
//! involved (runs x series x years doubles) do not call for chunking.

use std::path::Path;
use std::str::FromStr;

use hdf5::types::VarLenUnicode;
use hdf5::{File, Group, H5Type, Location};

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
    let file = File::create(path)?;
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

    let provenance = file.create_group("provenance")?;
    provenance
        .new_dataset::<VarLenUnicode>()
        .shape(())
        .create("scenario_text")?
        .write_scalar(&to_varlen("scenario text", &prov.scenario_text)?)?;
    // Validated by the caller to be the run indices of /runs/values, in the same order.
    let run_indices = &prov.run_indices;
    dataset(&provenance, "run_indices", &[run_indices.len()], run_indices)?;

    let series = file.create_group("series")?;
    let names = c.series.iter().map(|s| to_varlen("series name", s)).collect::<hdf5::Result<Vec<_>>>()?;
    dataset(&series, "names", &[n_series], &names)?;
    let units = c.units.iter().map(|s| to_varlen("series unit", s)).collect::<hdf5::Result<Vec<_>>>()?;
    dataset(&series, "units", &[n_series], &units)?;

    dataset(file, "years", &[n_years], c.years)?;

    // Each run's values are already row-major [series, year], so concatenating them in run
    // order gives row-major [run, series, year].
    let runs = file.create_group("runs")?;
    let values: Vec<f64> = c.runs.iter().flat_map(|r| r.values.iter().copied()).collect();
    dataset(&runs, "values", &[c.runs.len(), n_series, n_years], &values)?;

    let summary = file.create_group("summary")?;
    type Stat = fn(&SummaryRow) -> f64;
    let stats: [(&str, Stat); 4] = [("mean", |r| r.mean), ("sd", |r| r.sd), ("p05", |r| r.p05), ("p95", |r| r.p95)];
    for (name, stat) in stats {
        let column: Vec<f64> = c.summary.iter().map(stat).collect();
        dataset(&summary, name, &[n_series, n_years], &column)?;
    }
    Ok(())
}

/// Writes `data` (row-major, `shape.iter().product()` elements) as dataset `name` in `group`.
fn dataset<T: H5Type>(group: &Group, name: &str, shape: &[usize], data: &[T]) -> hdf5::Result<()> {
    let ds = group.new_dataset::<T>().shape(shape.to_vec()).create(name)?;
    // HDF5 rejects a write of zero elements on some versions; an empty dataset needs none.
    if !data.is_empty() {
        ds.write_raw(data)?;
    }
    Ok(())
}

fn string_attr(loc: &Location, name: &str, value: &str) -> hdf5::Result<()> {
    scalar_attr(loc, name, &to_varlen(name, value)?)
}

fn scalar_attr<T: H5Type>(loc: &Location, name: &str, value: &T) -> hdf5::Result<()> {
    loc.new_attr::<T>().shape(()).create(name)?.write_scalar(value)
}

/// HDF5 strings are NUL-terminated, so a string with an interior NUL cannot be stored;
/// `what` names the string in the error (the string itself may be a whole scenario).
fn to_varlen(what: &str, s: &str) -> hdf5::Result<VarLenUnicode> {
    VarLenUnicode::from_str(s).map_err(|e| {
        hdf5::Error::from(format!("cannot store the {what} as an HDF5 string: {e} (it contains a NUL character)"))
    })
}
