//! The HDF5 file of a sweep, `sweep.h5`.
//!
//! Layout (strings variable-length UTF-8):
//! - root attributes: the provenance as every experiment records it (`experiment::record`:
//!   `kind = "caseflow sweep"`, crate version, git revision, command line, `design`, the sweep
//!   file's path and SHA-256, the base scenario's name, path, SHA-256 and master seed), and the
//!   sizes as integers (`master_seed`, `runs`, `design_seed`, `points`, `base_samples`,
//!   `morris_levels`);
//! - `/provenance/scenario_text`, `/provenance/sweep_text` (scalar strings),
//!   `/provenance/run_indices` (u64 `[runs]`);
//! - `/series/names`, `/series/units` (string `[series]`), `/years` (i32 `[years]`);
//! - `/design/keys` (string `[factors]`), `/design/bounds` (f64 `[factors, 2]`: min and max,
//!   NaN for a list of values), `/design/unit` (f64 `[points, factors]`: coordinates
//!   in the unit cube), `/design/values` (f64 `[points, factors]`: the values set, booleans
//!   0/1, NaN for strings), `/design/real` (f64 `[points, factors]`: `min + u (max - min)`
//!   before integer rounding, SALib's X; NaN for lists), `/design/labels` (string `[points, factors]`: the values as written
//!   into the scenario);
//! - `/points/values` (f64 `[points, runs, series, years]`), chunked one point per chunk and
//!   extendable along points; `/points/mean` (f64 `[points, series, years]`, the mean over the
//!   runs of each point, NaN values left out), chunked likewise.
//!
//! The file holds no timestamp and object times are not tracked, and it is written in one pass
//! in point order, so the same sweep gives the same bytes, however many times it was
//! interrupted on the way (the points come from the journal).

use std::path::Path;

use hdf5::File;
use hdf5::types::VarLenUnicode;

use crate::output::h5::{
    append, create_file, dataset, extendable, group, scalar_attr, scalar_string, string_attr, strings, to_varlen,
};

/// Everything a sweep file holds besides the points' values.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepH5 {
    /// String attributes of the root, in this order (provenance: names, hashes, versions).
    pub text_attrs: Vec<(String, String)>,
    /// Integer attributes of the root.
    pub int_attrs: Vec<(String, u64)>,
    pub scenario_text: String,
    pub sweep_text: String,
    pub run_indices: Vec<u64>,
    pub series: Vec<String>,
    pub units: Vec<String>,
    pub years: Vec<i32>,
    pub keys: Vec<String>,
    /// Each factor's min and max (NaN for a list of values).
    pub bounds: Vec<(f64, f64)>,
    /// `[points][factors]`.
    pub unit: Vec<Vec<f64>>,
    pub values: Vec<Vec<f64>>,
    /// `[points][factors]`: `min + u (max - min)` before rounding (NaN for lists).
    pub real: Vec<Vec<f64>>,
    pub labels: Vec<Vec<String>>,
}

impl SweepH5 {
    fn cells(&self) -> usize {
        self.series.len() * self.years.len()
    }
}

/// The mean over runs of each (series, year) of one point (`values` run-major, each run
/// `cells` long), NaN values left out; NaN where every run is NaN.
pub fn point_means(values: &[f64], cells: usize) -> Vec<f64> {
    let mut sums = vec![0.0; cells];
    let mut counts = vec![0usize; cells];
    for run in values.chunks_exact(cells.max(1)) {
        for (c, v) in run.iter().enumerate() {
            if v.is_finite() {
                sums[c] += v;
                counts[c] += 1;
            }
        }
    }
    sums.iter().zip(&counts).map(|(s, &n)| if n == 0 { f64::NAN } else { s / n as f64 }).collect()
}

/// Writes the sweep file at `path` (created or truncated): the header, then each point's
/// values in point order, as `point(i)` gives them (runs x series x years, run-major), one at
/// a time, so memory does not grow with the number of points.
///
/// # Errors
/// HDF5 failures, and whatever `point` returns.
pub fn write_sweep_h5(
    path: &Path,
    h: &SweepH5,
    mut point: impl FnMut(usize) -> hdf5::Result<Vec<f64>>,
) -> hdf5::Result<()> {
    let file = create_file(path)?;
    write_header(&file, h)?;
    let runs = h.run_indices.len();
    let inner = [runs, h.series.len(), h.years.len()];
    let points = group(&file, "points")?;
    let values = extendable(&points, "values", &inner)?;
    let means = extendable(&points, "mean", &inner[1..])?;
    for i in 0..h.unit.len() {
        let v = point(i)?;
        if v.len() != runs * h.cells() {
            return Err(hdf5::Error::from(format!("point {i} has {} values, expected {}", v.len(), runs * h.cells())));
        }
        append(&values, i, &inner, &v)?;
        append(&means, i, &inner[1..], &point_means(&v, h.cells()))?;
    }
    drop((values, means, points));
    file.flush()?;
    file.close()
}

fn write_header(file: &File, h: &SweepH5) -> hdf5::Result<()> {
    for (name, value) in &h.text_attrs {
        string_attr(file, name, value)?;
    }
    for (name, value) in &h.int_attrs {
        scalar_attr(file, name, value)?;
    }
    let prov = group(file, "provenance")?;
    for (name, text) in [("scenario_text", &h.scenario_text), ("sweep_text", &h.sweep_text)] {
        scalar_string(&prov, name, text)?;
    }
    dataset(&prov, "run_indices", &[h.run_indices.len()], &h.run_indices)?;
    let series = group(file, "series")?;
    strings(&series, "names", "series name", &h.series)?;
    strings(&series, "units", "series unit", &h.units)?;
    dataset(file, "years", &[h.years.len()], &h.years)?;
    let design = group(file, "design")?;
    let (p, d) = (h.unit.len(), h.keys.len());
    strings(&design, "keys", "key", &h.keys)?;
    let bounds: Vec<f64> = h.bounds.iter().flat_map(|&(a, b)| [a, b]).collect();
    dataset(&design, "bounds", &[d, 2], &bounds)?;
    let flat = |rows: &[Vec<f64>]| rows.iter().flatten().copied().collect::<Vec<f64>>();
    dataset(&design, "unit", &[p, d], &flat(&h.unit))?;
    dataset(&design, "values", &[p, d], &flat(&h.values))?;
    dataset(&design, "real", &[p, d], &flat(&h.real))?;
    let labels: Vec<String> = h.labels.iter().flatten().cloned().collect();
    let labels = labels.iter().map(|l| to_varlen("value", l)).collect::<hdf5::Result<Vec<_>>>()?;
    dataset(&design, "labels", &[p, d], &labels)?;
    Ok(())
}

/// What the sensitivity analysis reads back from a sweep file.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepRead {
    pub design: String,
    /// Morris levels (0 for other designs).
    pub levels: usize,
    pub base_samples: usize,
    pub runs: usize,
    pub keys: Vec<String>,
    pub bounds: Vec<(f64, f64)>,
    pub unit: Vec<Vec<f64>>,
    pub values: Vec<Vec<f64>>,
    /// The design in real units before integer rounding (`min + u (max - min)`).
    pub real: Vec<Vec<f64>>,
    pub series: Vec<String>,
    pub years: Vec<i32>,
    pub complete: bool,
    path: std::path::PathBuf,
}

fn read_string_attr(file: &File, name: &str) -> hdf5::Result<String> {
    Ok(file.attr(name)?.read_scalar::<VarLenUnicode>()?.as_str().to_string())
}

fn rows(flat: Vec<f64>, d: usize) -> Vec<Vec<f64>> {
    if d == 0 { Vec::new() } else { flat.chunks_exact(d).map(<[f64]>::to_vec).collect() }
}

/// Reads the design and the layout of a sweep file.
///
/// # Errors
/// When the file is not a sweep file written by caseflow, or HDF5 fails.
pub fn read_sweep_h5(path: &Path) -> hdf5::Result<SweepRead> {
    let file = File::open(path)?;
    if read_string_attr(&file, "kind").ok().as_deref() != Some("caseflow sweep") {
        return Err(hdf5::Error::from("not a sweep results file of caseflow (no kind = \"caseflow sweep\")"));
    }
    let int = |name: &str| file.attr(name).and_then(|a| a.read_scalar::<u64>()).unwrap_or(0) as usize;
    let keys: Vec<String> =
        file.dataset("design/keys")?.read_raw::<VarLenUnicode>()?.iter().map(|s| s.as_str().to_string()).collect();
    let d = keys.len();
    Ok(SweepRead {
        design: read_string_attr(&file, "design")?,
        levels: int("morris_levels"),
        base_samples: int("base_samples"),
        runs: int("runs"),
        unit: rows(file.dataset("design/unit")?.read_raw::<f64>()?, d),
        values: rows(file.dataset("design/values")?.read_raw::<f64>()?, d),
        real: rows(file.dataset("design/real")?.read_raw::<f64>()?, d),
        bounds: file.dataset("design/bounds")?.read_raw::<f64>()?.chunks_exact(2).map(|b| (b[0], b[1])).collect(),
        keys,
        series: file
            .dataset("series/names")?
            .read_raw::<VarLenUnicode>()?
            .iter()
            .map(|s| s.as_str().to_string())
            .collect(),
        years: file.dataset("years")?.read_raw::<i32>()?,
        complete: read_string_attr(&file, "complete").ok().as_deref() == Some("true"),
        path: path.to_path_buf(),
    })
}

impl SweepRead {
    /// Per point, the mean over runs of `series` in `years` (each year's mean over the runs,
    /// then the mean over the years), read point by point.
    ///
    /// # Errors
    /// HDF5 failures.
    pub fn output(&self, series: usize, years: std::ops::Range<usize>) -> hdf5::Result<Vec<f64>> {
        let file = File::open(&self.path)?;
        let means = file.dataset("points/mean")?;
        let n_points = means.shape().first().copied().unwrap_or(0);
        let mut out = Vec::with_capacity(n_points);
        for i in 0..n_points {
            let row = means.read_slice_1d::<f64, _>((i, series, years.clone()))?;
            let n = row.len();
            out.push(row.iter().sum::<f64>() / n as f64);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(points: usize) -> SweepH5 {
        SweepH5 {
            text_attrs: vec![
                ("kind".into(), "caseflow sweep".into()),
                ("design".into(), "grid".into()),
                ("complete".into(), "true".into()),
            ],
            int_attrs: vec![("runs".into(), 2)],
            scenario_text: "name = \"x\"\n".into(),
            sweep_text: "runs = 2\n".into(),
            run_indices: vec![0, 1],
            series: vec!["a".into(), "b".into()],
            units: vec!["cases".into(), "share".into()],
            years: vec![2010, 2011, 2012],
            keys: vec!["k".into()],
            bounds: vec![(0.0, 1.0)],
            unit: (0..points).map(|i| vec![i as f64 / points as f64]).collect(),
            values: (0..points).map(|i| vec![i as f64]).collect(),
            real: (0..points).map(|i| vec![i as f64]).collect(),
            labels: (0..points).map(|i| vec![format!("{i}.0")]).collect(),
        }
    }

    fn point(i: usize) -> hdf5::Result<Vec<f64>> {
        Ok((0..12).map(|c| (i * 100 + c) as f64).collect())
    }

    /// Same contents, same bytes: the property resuming an interrupted sweep relies on.
    #[test]
    fn writing_twice_gives_the_same_bytes_and_reads_back() {
        let dir = std::env::temp_dir().join(format!("caseflow-sweep-h5-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (dir.join("a.h5"), dir.join("b.h5"));
        write_sweep_h5(&a, &header(5), point).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        write_sweep_h5(&b, &header(5), point).unwrap();
        assert!(std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(), "two writes of one sweep differ");
        let r = read_sweep_h5(&a).unwrap();
        assert_eq!((r.design.as_str(), r.runs, r.keys.len(), r.unit.len()), ("grid", 2, 1, 5));
        // Point 3, series b (index 1), years 2011-2012: run 0 cells 4, 5 and run 1 cells 10, 11.
        let y = r.output(1, 1..3).unwrap();
        assert_eq!(y[3], ((304.0 + 310.0) / 2.0 + (305.0 + 311.0) / 2.0) / 2.0);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn means_leave_nan_out() {
        assert_eq!(point_means(&[1.0, f64::NAN, 3.0, f64::NAN], 2)[0], 2.0);
        assert!(point_means(&[1.0, f64::NAN, 3.0, f64::NAN], 2)[1].is_nan());
    }
}
