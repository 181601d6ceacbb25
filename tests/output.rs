//! Tests of `caseflow::output`: summary statistics, summary.csv, and the results directory
//! (HDF5 read back, overwrite protection, atomic replacement, provenance).

use std::fs;
use std::io::ErrorKind;
use std::path::Path;
use std::process::Command;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use caseflow::output::{CRATE_VERSION, GIT_REVISION, OutputError, Provenance, Written, summary_csv, write_results};
use caseflow::summary::{RunValues, SummaryRow, summarize};
use hdf5::types::{IntSize, TypeDescriptor, VarLenUnicode};

// ---------------------------------------------------------------- helpers

/// libhdf5 opens files without close-on-exec, so a child process started while another test
/// has an HDF5 file open inherits that descriptor, and with it the file's lock, until the
/// child exits; the other test then fails to reopen its own file ("unable to lock file").
/// Tests that touch HDF5 files hold this lock shared; starting `h5dump` holds it exclusively.
static HDF5_FILES: RwLock<()> = RwLock::new(());

fn hdf5_files_shared() -> RwLockReadGuard<'static, ()> {
    HDF5_FILES.read().unwrap_or_else(PoisonError::into_inner)
}

fn hdf5_files_exclusive() -> RwLockWriteGuard<'static, ()> {
    HDF5_FILES.write().unwrap_or_else(PoisonError::into_inner)
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// Bit-level equality, so that NaN == NaN and 0.0 != -0.0.
fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn row_bits(row: &SummaryRow) -> (String, i32, [u64; 4]) {
    (row.series.clone(), row.year, [row.mean, row.sd, row.p05, row.p95].map(f64::to_bits))
}

/// A small but complete data set: 2 series x 3 years, 3 runs given out of order, with NaNs.
struct Fixture {
    prov: Provenance,
    series: Vec<String>,
    units: Vec<String>,
    years: Vec<i32>,
    runs: Vec<RunValues>,
}

impl Fixture {
    fn new() -> Self {
        let series = names(&["cases registered", "North Kazakhstan, share"]);
        let units = names(&["cases", "ratio"]);
        let years = vec![2015, 2016, 2017];
        let runs = vec![
            RunValues { run_index: 7, values: vec![10.0, 11.0, 12.0, 0.5, f64::NAN, 0.25] },
            RunValues { run_index: 2, values: vec![20.0, 21.0, 22.0, 0.75, f64::NAN, f64::NAN] },
            RunValues { run_index: 4, values: vec![30.5, 31.0, 32.0, 1.0, f64::NAN, 0.125] },
        ];
        let prov = Provenance {
            scenario_name: "Kazakhstan \"baseline\"".to_owned(),
            scenario_path: "scenarios/kazakhstan.toml".to_owned(),
            scenario_text: "name = \"Kazakhstan\"\n# Қазақстан\n[stages]\n".to_owned(),
            master_seed: u64::MAX - 5,
            run_indices: vec![2, 4, 7],
            command_line: "caseflow run scenarios/kazakhstan.toml --runs 3\t--out \"x\"".to_owned(),
            complete: false,
            shard: None,
            ensemble: None,
        };
        Self { prov, series, units, years, runs }
    }

    fn summary(&self) -> Vec<SummaryRow> {
        summarize(&self.series, &self.years, &self.runs)
    }

    fn write(&self, dir: &Path, force: bool) -> Result<Written, OutputError> {
        write_results(dir, force, &self.prov, &self.series, &self.units, &self.years, &self.runs, &self.summary())
    }
}

/// Names in `dir` that look like temporaries left behind.
fn leftover_temporaries(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

fn read_all(w: &Written) -> [Vec<u8>; 3] {
    [&w.hdf5, &w.summary_csv, &w.provenance].map(|p| fs::read(p).expect("result file readable"))
}

fn str_attr(file: &hdf5::File, name: &str) -> String {
    let attr = file.attr(name).unwrap_or_else(|e| panic!("attribute {name}: {e}"));
    assert_eq!(
        attr.dtype().unwrap().to_descriptor().unwrap(),
        TypeDescriptor::VarLenUnicode,
        "attribute {name} must be a variable-length UTF-8 string"
    );
    attr.read_scalar::<VarLenUnicode>().unwrap().as_str().to_owned()
}

fn strings(file: &hdf5::File, path: &str) -> Vec<String> {
    let ds = file.dataset(path).unwrap();
    assert_eq!(ds.dtype().unwrap().to_descriptor().unwrap(), TypeDescriptor::VarLenUnicode);
    ds.read_raw::<VarLenUnicode>().unwrap().iter().map(|s| s.as_str().to_owned()).collect()
}

// ---------------------------------------------------------------- summarize

#[test]
fn summarize_one_to_twenty() {
    let series = names(&["s"]);
    let years = [2020];
    // Run indices and values deliberately out of order.
    let runs: Vec<RunValues> =
        (1..=20u64).rev().map(|i| RunValues { run_index: (i * 7) % 20, values: vec![i as f64] }).collect();
    let rows = summarize(&series, &years, &runs);
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!((r.series.as_str(), r.year), ("s", 2020));
    assert_eq!(r.mean, 10.5);
    // sqrt(sum((i - 10.5)^2) / 19) = sqrt(665 / 19) = sqrt(35).
    assert_eq!(r.sd, 35f64.sqrt());
    // Mathematically 1.95 and 19.05; the bit patterns are numpy 1.24's
    // `np.quantile(np.arange(1, 21.), [0.05, 0.95])`, which the implementation reproduces.
    assert!((r.p05 - 1.95).abs() < 1e-12, "p05 = {}", r.p05);
    assert!((r.p95 - 19.05).abs() < 1e-12, "p95 = {}", r.p95);
    assert_eq!(r.p05, 1.9500000000000002);
    assert_eq!(r.p95, 19.05);
}

#[test]
fn summarize_matches_numpy_on_uneven_values() {
    // numpy: mean 5.0, std(ddof=1) 2.138089935299395, quantiles 2.7 and 8.299999999999999.
    let values = [5.0, 2.0, 4.0, 9.0, 4.0, 7.0, 4.0, 5.0];
    let runs: Vec<RunValues> =
        values.iter().enumerate().map(|(i, &v)| RunValues { run_index: i as u64, values: vec![v] }).collect();
    let r = &summarize(&names(&["s"]), &[1], &runs)[0];
    assert_eq!(r.mean, 5.0);
    assert_eq!(r.sd, 2.138089935299395);
    assert_eq!(r.p05, 2.7);
    assert_eq!(r.p95, 8.299999999999999);

    // A case where numpy's interpolation from the nearer end matters: the textbook
    // `a + (b - a) * t` gives 5.039999999999999 for p95.
    let runs: Vec<RunValues> =
        [4.5, 5.1, 4.3].iter().enumerate().map(|(i, &v)| RunValues { run_index: i as u64, values: vec![v] }).collect();
    let r = &summarize(&names(&["s"]), &[1], &runs)[0];
    assert_eq!(r.mean, 4.633333333333333);
    assert_eq!(r.sd, 0.4163331998932264);
    assert_eq!(r.p05, 4.32);
    assert_eq!(r.p95, 5.04);
}

#[test]
fn summarize_skips_nan_and_orders_cells() {
    let f = Fixture::new();
    let rows = f.summary();
    let cells: Vec<(&str, i32)> = rows.iter().map(|r| (r.series.as_str(), r.year)).collect();
    assert_eq!(
        cells,
        [
            ("cases registered", 2015),
            ("cases registered", 2016),
            ("cases registered", 2017),
            ("North Kazakhstan, share", 2015),
            ("North Kazakhstan, share", 2016),
            ("North Kazakhstan, share", 2017),
        ]
    );

    // Three values 10, 20, 30.5 (run order 2, 4, 7 -> 20, 30.5, 10).
    let r = &rows[0];
    assert_eq!(r.mean, 60.5 / 3.0);
    let m = 60.5 / 3.0;
    let sd = (((20.0 - m) * (20.0 - m) + (30.5 - m) * (30.5 - m) + (10.0 - m) * (10.0 - m)) / 2.0f64).sqrt();
    assert_eq!(r.sd, sd);
    // Sorted 10, 20, 30.5: index 0.1 -> 10 + 10 * 0.1; index 1.9 -> 30.5 - 10.5 * 0.1.
    assert!((r.p05 - 11.0).abs() < 1e-12, "p05 = {}", r.p05);
    assert!((r.p95 - 29.45).abs() < 1e-12, "p95 = {}", r.p95);

    // Every run NaN: all four statistics NaN.
    let r = &rows[4];
    assert!(r.mean.is_nan() && r.sd.is_nan() && r.p05.is_nan() && r.p95.is_nan());

    // One NaN of three: statistics of the other two (0.25 and 0.125).
    let r = &rows[5];
    assert_eq!(r.mean, 0.1875);
    assert_eq!(r.sd, (2.0 * 0.0625f64 * 0.0625 / 1.0).sqrt());
    assert!((r.p05 - (0.125 + 0.125 * 0.05)).abs() < 1e-15);
    assert!((r.p95 - (0.25 - 0.125 * 0.05)).abs() < 1e-15);

    // A single value: sd 0 and both percentiles equal to it.
    let single = summarize(
        &names(&["s"]),
        &[1],
        &[RunValues { run_index: 0, values: vec![f64::NAN] }, RunValues { run_index: 1, values: vec![3.5] }],
    );
    assert_eq!((single[0].mean, single[0].sd), (3.5, 0.0));
    assert_eq!((single[0].p05, single[0].p95), (3.5, 3.5));

    // No runs at all: NaN everywhere, no panic.
    let none = summarize(&names(&["s"]), &[1, 2], &[]);
    assert_eq!(none.len(), 2);
    assert!(none.iter().all(|r| r.mean.is_nan() && r.p95.is_nan()));
}

#[test]
fn summarize_does_not_depend_on_run_order() {
    // Values whose floating-point sum depends on the order of addition.
    let values = [0.1, 1e16, 0.7, -1e16, 0.2, 3.3, 1e-3];
    let runs: Vec<RunValues> =
        values.iter().enumerate().map(|(i, &v)| RunValues { run_index: 100 + i as u64, values: vec![v, -v] }).collect();
    let series = names(&["a", "b"]);
    let expected: Vec<_> = summarize(&series, &[1], &runs).iter().map(row_bits).collect();

    let mut shuffled = runs.clone();
    shuffled.reverse();
    shuffled.swap(1, 4);
    let got: Vec<_> = summarize(&series, &[1], &shuffled).iter().map(row_bits).collect();
    assert_eq!(got, expected);
}

// ---------------------------------------------------------------- summary.csv

#[test]
fn summary_csv_exact_text() {
    let rows = vec![
        SummaryRow { series: "Almaty city".to_owned(), year: 2019, mean: 1.5, sd: 0.1, p05: 1.0, p95: 2.0 },
        SummaryRow {
            series: "Almaty city".to_owned(),
            year: 2020,
            mean: f64::NAN,
            sd: f64::NAN,
            p05: f64::NAN,
            p95: f64::NAN,
        },
        SummaryRow {
            series: "share, \"closed\"".to_owned(),
            year: 2019,
            mean: 1e-7,
            sd: 0.0,
            p05: -2.5,
            p95: 123456789.125,
        },
        SummaryRow {
            series: "share, \"closed\"".to_owned(),
            year: 2020,
            mean: 1.0 / 3.0,
            sd: 1e21,
            p05: 0.30000000000000004,
            p95: 1.0,
        },
    ];
    let expected = "series,year,mean,sd,p05,p95\n\
                    Almaty city,2019,1.5,0.1,1,2\n\
                    Almaty city,2020,NaN,NaN,NaN,NaN\n\
                    \"share, \"\"closed\"\"\",2019,0.0000001,0,-2.5,123456789.125\n\
                    \"share, \"\"closed\"\"\",2020,0.3333333333333333,1000000000000000000000,0.30000000000000004,1\n";
    assert_eq!(summary_csv(&rows), expected);
    // Shortest round-trip formatting: every number parses back to the same bits.
    let reparsed: f64 = "0.3333333333333333".parse().unwrap();
    assert_eq!(reparsed, 1.0 / 3.0);
}

#[test]
fn summary_csv_empty_has_header_only() {
    assert_eq!(summary_csv(&[]), "series,year,mean,sd,p05,p95\n");
}

// ---------------------------------------------------------------- provenance

#[test]
fn scenario_sha256_standard_vectors() {
    let mut prov = Fixture::new().prov;
    prov.scenario_text = String::new();
    assert_eq!(prov.scenario_sha256(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    prov.scenario_text = "abc".to_owned();
    assert_eq!(prov.scenario_sha256(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // 448 bits: the padding needs a second block.
    prov.scenario_text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".to_owned();
    assert_eq!(prov.scenario_sha256(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

#[test]
fn git_revision_is_embedded() {
    assert!(!GIT_REVISION.is_empty());
    if GIT_REVISION != "unknown" {
        let hash = GIT_REVISION.trim_end_matches("-dirty");
        assert!(
            hash.len() >= 40 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
            "unexpected revision {GIT_REVISION:?}"
        );
    }
    assert_eq!(CRATE_VERSION, env!("CARGO_PKG_VERSION"));
}

// ---------------------------------------------------------------- write_results

#[test]
fn hdf5_round_trip_of_every_dataset_and_attribute() {
    let _hdf5 = hdf5_files_shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nested").join("out");
    let f = Fixture::new();
    let summary = f.summary();
    let w = f.write(&dir, false).expect("write_results");
    assert_eq!(w.dir, dir);
    assert_eq!(w.hdf5, dir.join("results.h5"));
    assert_eq!(w.summary_csv, dir.join("summary.csv"));
    assert_eq!(w.provenance, dir.join("provenance.toml"));

    let file = hdf5::File::open(&w.hdf5).unwrap();

    // Root attributes.
    assert_eq!(str_attr(&file, "scenario_name"), f.prov.scenario_name);
    assert_eq!(str_attr(&file, "scenario_path"), f.prov.scenario_path);
    assert_eq!(str_attr(&file, "scenario_sha256"), f.prov.scenario_sha256());
    assert_eq!(str_attr(&file, "crate_version"), CRATE_VERSION);
    assert_eq!(str_attr(&file, "git_revision"), GIT_REVISION);
    assert_eq!(str_attr(&file, "command_line"), f.prov.command_line);
    let created = str_attr(&file, "created_utc");
    assert_eq!(created.len(), "2024-01-01T00:00:00Z".len(), "{created}");
    assert!(created.starts_with("20") && created.ends_with('Z') && created.as_bytes()[10] == b'T');

    let seed = file.attr("master_seed").unwrap();
    assert_eq!(seed.dtype().unwrap().to_descriptor().unwrap(), TypeDescriptor::Unsigned(IntSize::U8));
    assert!(seed.is_scalar());
    assert_eq!(seed.read_scalar::<u64>().unwrap(), f.prov.master_seed);
    let complete = file.attr("complete").unwrap();
    assert_eq!(complete.dtype().unwrap().to_descriptor().unwrap(), TypeDescriptor::Unsigned(IntSize::U1));
    assert_eq!(complete.read_scalar::<u8>().unwrap(), 0);

    let mut attrs = file.attr_names().unwrap();
    attrs.sort();
    assert_eq!(
        attrs,
        [
            "command_line",
            "complete",
            "crate_version",
            "created_utc",
            "git_revision",
            "master_seed",
            "scenario_name",
            "scenario_path",
            "scenario_sha256",
        ]
    );

    // Provenance datasets.
    let text = file.dataset("provenance/scenario_text").unwrap();
    assert!(text.is_scalar());
    assert_eq!(text.read_scalar::<VarLenUnicode>().unwrap().as_str(), f.prov.scenario_text);
    let indices = file.dataset("provenance/run_indices").unwrap();
    assert_eq!(indices.shape(), [3]);
    assert_eq!(indices.read_raw::<u64>().unwrap(), [2, 4, 7]);

    // Series and years.
    assert_eq!(strings(&file, "series/names"), f.series);
    assert_eq!(strings(&file, "series/units"), f.units);
    let years = file.dataset("years").unwrap();
    assert_eq!(years.dtype().unwrap().to_descriptor().unwrap(), TypeDescriptor::Integer(IntSize::U4));
    assert_eq!(years.read_raw::<i32>().unwrap(), f.years);

    // Runs, stored in ascending run index whatever order they were given in.
    let values = file.dataset("runs/values").unwrap();
    assert_eq!(values.shape(), [3, 2, 3]);
    let mut expected = Vec::new();
    for index in [2, 4, 7] {
        let run = f.runs.iter().find(|r| r.run_index == index).unwrap();
        expected.extend_from_slice(&run.values);
    }
    assert!(same_bits(&values.read_raw::<f64>().unwrap(), &expected));

    // Summary matrices.
    type Stat = fn(&SummaryRow) -> f64;
    let stats: [(&str, Stat); 4] = [
        ("summary/mean", |r| r.mean),
        ("summary/sd", |r| r.sd),
        ("summary/p05", |r| r.p05),
        ("summary/p95", |r| r.p95),
    ];
    for (path, stat) in stats {
        let ds = file.dataset(path).unwrap();
        assert_eq!(ds.shape(), [2, 3], "{path}");
        let want: Vec<f64> = summary.iter().map(stat).collect();
        assert!(same_bits(&ds.read_raw::<f64>().unwrap(), &want), "{path}");
    }

    // Nothing but the documented layout.
    let mut members = file.member_names().unwrap();
    members.sort();
    assert_eq!(members, ["provenance", "runs", "series", "summary", "years"]);

    // summary.csv is exactly summary_csv(summary).
    assert_eq!(fs::read_to_string(&w.summary_csv).unwrap(), summary_csv(&summary));
    assert!(leftover_temporaries(&dir).is_empty());
}

#[test]
fn provenance_toml_is_valid_and_complete() {
    let _hdf5 = hdf5_files_shared();
    let tmp = tempfile::tempdir().unwrap();
    let f = Fixture::new();
    let w = f.write(tmp.path(), false).unwrap();
    let text = fs::read_to_string(&w.provenance).unwrap();
    let table: toml::Table = text.parse().unwrap_or_else(|e| panic!("{e}\n{text}"));

    let s = |key: &str| table[key].as_str().unwrap_or_else(|| panic!("{key} not a string"));
    assert_eq!(s("scenario_name"), f.prov.scenario_name);
    assert_eq!(s("scenario_path"), f.prov.scenario_path);
    assert_eq!(s("scenario_sha256"), f.prov.scenario_sha256());
    assert_eq!(s("command_line"), f.prov.command_line);
    assert_eq!(s("crate_version"), CRATE_VERSION);
    assert_eq!(s("git_revision"), GIT_REVISION);
    assert!(s("created_utc").ends_with('Z'));
    // Above i64::MAX, so written as a string.
    assert_eq!(s("master_seed"), (u64::MAX - 5).to_string());
    assert_eq!(table["complete"].as_bool(), Some(false));
    assert_eq!(table["n_runs"].as_integer(), Some(3));
    let indices: Vec<i64> = table["run_indices"].as_array().unwrap().iter().map(|v| v.as_integer().unwrap()).collect();
    assert_eq!(indices, [2, 4, 7]);
    let files: Vec<&str> = table["files"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(files, ["results.h5", "summary.csv", "provenance.toml"]);
    // The scenario text itself stays in the HDF5 file only.
    assert!(!text.contains("[stages]"));
    assert!(text.contains("import h5py"));

    // A seed that fits a TOML integer is written as one.
    let tmp2 = tempfile::tempdir().unwrap();
    let mut f2 = Fixture::new();
    f2.prov.master_seed = 42;
    let w2 = f2.write(tmp2.path(), false).unwrap();
    let table2: toml::Table = fs::read_to_string(&w2.provenance).unwrap().parse().unwrap();
    assert_eq!(table2["master_seed"].as_integer(), Some(42));
}

#[test]
fn summary_csv_file_is_byte_identical_across_writes() {
    let _hdf5 = hdf5_files_shared();
    let f = Fixture::new();
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let wa = f.write(a.path(), false).unwrap();
    // Same inputs with the runs given in another order.
    let mut g = Fixture::new();
    g.runs.reverse();
    let wb = g.write(b.path(), false).unwrap();
    assert_eq!(fs::read(&wa.summary_csv).unwrap(), fs::read(&wb.summary_csv).unwrap());
}

#[test]
fn second_write_without_force_is_refused_and_leaves_files_alone() {
    let _hdf5 = hdf5_files_shared();
    let tmp = tempfile::tempdir().unwrap();
    let f = Fixture::new();
    let w = f.write(tmp.path(), false).unwrap();
    let before = read_all(&w);

    let mut g = Fixture::new();
    g.prov.scenario_name = "another".to_owned();
    g.runs[0].values[0] = 99.0;
    let err = g.write(tmp.path(), false).unwrap_err();
    match &err {
        OutputError::Exists { path } => assert_eq!(path, &w.hdf5),
        other => panic!("expected Exists, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("results.h5 already exists"), "{message}");
    assert!(message.contains("--force"), "{message}");
    assert!(message.contains("--out"), "{message}");

    assert_eq!(read_all(&w), before, "refused write must not touch the files");
    assert!(leftover_temporaries(tmp.path()).is_empty());

    // Any one of the three existing is enough to refuse.
    let other = tempfile::tempdir().unwrap();
    fs::write(other.path().join("provenance.toml"), "mine").unwrap();
    assert!(matches!(
        f.write(other.path(), false),
        Err(OutputError::Exists { path }) if path.ends_with("provenance.toml")
    ));
    assert!(!other.path().join("results.h5").exists());
    assert!(!other.path().join("summary.csv").exists());
    assert_eq!(fs::read_to_string(other.path().join("provenance.toml")).unwrap(), "mine");
}

#[test]
fn force_replaces_previous_results() {
    let _hdf5 = hdf5_files_shared();
    let tmp = tempfile::tempdir().unwrap();
    let f = Fixture::new();
    let w = f.write(tmp.path(), false).unwrap();
    let before = read_all(&w);

    let mut g = Fixture::new();
    g.prov.scenario_name = "replacement".to_owned();
    g.prov.complete = true;
    g.runs[0].values[0] = 99.0;
    let w2 = g.write(tmp.path(), true).unwrap();
    assert_eq!(w2, w);
    let after = read_all(&w);
    assert_ne!(after[0], before[0]);
    assert_ne!(after[1], before[1]);
    assert_ne!(after[2], before[2]);

    let file = hdf5::File::open(&w.hdf5).unwrap();
    assert_eq!(str_attr(&file, "scenario_name"), "replacement");
    assert_eq!(file.attr("complete").unwrap().read_scalar::<u8>().unwrap(), 1);
    assert_eq!(fs::read_to_string(&w.summary_csv).unwrap(), summary_csv(&g.summary()));
    assert!(leftover_temporaries(tmp.path()).is_empty());
}

#[test]
fn unwritable_directory_is_an_io_error_without_leftovers() {
    let _hdf5 = hdf5_files_shared();
    // Tests run as root, so permissions cannot forbid writing; a directory below a regular
    // file cannot be created by anyone.
    let tmp = tempfile::tempdir().unwrap();
    let blocker = tmp.path().join("not-a-dir");
    fs::write(&blocker, "plain file").unwrap();
    let f = Fixture::new();

    for force in [false, true] {
        let err = f.write(&blocker.join("out"), force).unwrap_err();
        assert!(matches!(err, OutputError::Io { .. }), "{err:?}");
        assert!(std::error::Error::source(&err).is_some());
        assert!(err.to_string().contains("not-a-dir"), "{err}");
    }
    // The directory itself being a file fails the same way.
    let err = f.write(&blocker, true).unwrap_err();
    assert!(matches!(err, OutputError::Io { .. }), "{err:?}");

    assert_eq!(fs::read_to_string(&blocker).unwrap(), "plain file");
    assert!(leftover_temporaries(tmp.path()).is_empty());
}

#[test]
fn hdf5_failure_removes_temporaries_and_keeps_previous_files() {
    let _hdf5 = hdf5_files_shared();
    let tmp = tempfile::tempdir().unwrap();
    let f = Fixture::new();
    let w = f.write(tmp.path(), false).unwrap();
    let before = read_all(&w);

    // An interior NUL cannot be stored in an HDF5 string: the failure happens after the
    // temporary HDF5 file was created and partly written.
    let mut g = Fixture::new();
    g.units[1] = "bad\0unit".to_owned();
    let err = g.write(tmp.path(), true).unwrap_err();
    match &err {
        OutputError::Hdf5 { path, message } => {
            assert_eq!(path, &w.hdf5);
            assert!(message.contains("series unit"), "{message}");
        }
        other => panic!("expected Hdf5, got {other:?}"),
    }
    assert!(err.to_string().contains("results.h5"));
    assert_eq!(read_all(&w), before);
    assert!(leftover_temporaries(tmp.path()).is_empty());
}

#[test]
fn rename_failure_removes_temporaries() {
    let _hdf5 = hdf5_files_shared();
    // results.h5 is a non-empty directory: with --force the temporaries are all written,
    // then the first rename fails, before anything was replaced.
    let tmp = tempfile::tempdir().unwrap();
    let squatter = tmp.path().join("results.h5");
    fs::create_dir(&squatter).unwrap();
    fs::write(squatter.join("keep"), "x").unwrap();
    let f = Fixture::new();
    let err = f.write(tmp.path(), true).unwrap_err();
    match &err {
        OutputError::Io { path, .. } => assert_eq!(path, &squatter),
        other => panic!("expected Io, got {other:?}"),
    }
    assert!(leftover_temporaries(tmp.path()).is_empty());
    assert!(!tmp.path().join("summary.csv").exists());
    assert!(!tmp.path().join("provenance.toml").exists());
    assert_eq!(fs::read_to_string(squatter.join("keep")).unwrap(), "x");
}

#[test]
fn inconsistent_inputs_are_rejected_before_writing() {
    let _hdf5 = hdf5_files_shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let f = Fixture::new();
    let summary = f.summary();
    let check = |result: Result<Written, OutputError>| {
        match result {
            Err(OutputError::Io { source, .. }) => {
                assert_eq!(source.kind(), ErrorKind::InvalidInput)
            }
            other => panic!("expected InvalidInput, got {other:?}"),
        }
        assert!(!dir.exists(), "nothing may be created for invalid input");
    };

    let units = names(&["cases"]);
    check(write_results(&dir, false, &f.prov, &f.series, &units, &f.years, &f.runs, &summary));

    let mut runs = f.runs.clone();
    runs[1].values.pop();
    check(write_results(&dir, false, &f.prov, &f.series, &f.units, &f.years, &runs, &summary));

    let mut runs = f.runs.clone();
    runs[1].run_index = runs[0].run_index;
    check(write_results(&dir, false, &f.prov, &f.series, &f.units, &f.years, &runs, &summary));

    let mut prov = f.prov.clone();
    prov.run_indices = vec![7, 4, 2];
    check(write_results(&dir, false, &prov, &f.series, &f.units, &f.years, &f.runs, &summary));

    let mut shuffled = summary.clone();
    shuffled.swap(0, 1);
    check(write_results(&dir, false, &f.prov, &f.series, &f.units, &f.years, &f.runs, &shuffled));
}

#[test]
fn zero_completed_runs_still_write() {
    let _hdf5 = hdf5_files_shared();
    // A batch interrupted before its first run finished still records what was attempted.
    let tmp = tempfile::tempdir().unwrap();
    let mut f = Fixture::new();
    f.runs.clear();
    f.prov.run_indices.clear();
    let w = f.write(tmp.path(), false).unwrap();
    let file = hdf5::File::open(&w.hdf5).unwrap();
    let values = file.dataset("runs/values").unwrap();
    assert_eq!(values.shape(), [0, 2, 3]);
    assert!(values.read_raw::<f64>().unwrap().is_empty());
    assert_eq!(file.dataset("provenance/run_indices").unwrap().shape(), [0]);
    let mean = file.dataset("summary/mean").unwrap().read_raw::<f64>().unwrap();
    assert_eq!(mean.len(), 6);
    assert!(mean.iter().all(|v| v.is_nan()));
}

#[test]
fn h5dump_reads_the_file() {
    let _hdf5 = hdf5_files_exclusive();
    let available = Command::new("h5dump").arg("--version").output();
    if !matches!(&available, Ok(out) if out.status.success()) {
        eprintln!("skipping h5dump_reads_the_file: h5dump is not on PATH (apt install hdf5-tools)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let w = Fixture::new().write(tmp.path(), false).unwrap();
    let out = Command::new("h5dump").arg("-H").arg(&w.hdf5).output().unwrap();
    let header = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "h5dump failed: {}", String::from_utf8_lossy(&out.stderr));
    for needle in [
        "ATTRIBUTE \"master_seed\"",
        "ATTRIBUTE \"created_utc\"",
        "DATASET \"values\"",
        "DATASPACE  SIMPLE { ( 3, 2, 3 ) / ( 3, 2, 3 ) }",
        "DATASET \"scenario_text\"",
        "CSET H5T_CSET_UTF8",
        "GROUP \"summary\"",
    ] {
        assert!(header.contains(needle), "h5dump -H lacks {needle:?}:\n{header}");
    }
}
