//! The `caseflow` binary as a user meets it: bad scenarios give the same diagnostics from
//! `check` and `run` (exit 2, no output written), existing results are never overwritten
//! without `--force`, a run killed with SIGKILL at any moment leaves every result file either
//! as it was or complete, and never a provenance.toml beside files it does not describe (a kill
//! between renames leaves none, and `compare` and `report` refuse that directory), Ctrl-C keeps the finished runs and says so (exit 130), and an
//! unwritable or full output directory gives a clear error without leftovers.
//!
//! Every test runs the built binary. A run costs about half a second of CPU per seed in the
//! debug profile, so the seed counts are small.

mod common;
use common::*;

use std::fs;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread::sleep;
use std::time::{Duration, Instant};

const RESULT_FILES: [&str; 3] = ["results.h5", "summary.csv", "provenance.toml"];

/// Exit statuses of the binary.
const EXIT_FAILURE: i32 = 1;
const EXIT_INTERRUPTED: i32 = 130;

// ---------------------------------------------------------------- helpers

fn tiny() -> PathBuf {
    repo_path("tests/fixtures/tiny.toml")
}

/// libhdf5 opens files without close-on-exec: a child started while this process has an HDF5
/// file open inherits the descriptor (and its lock) until the child exits. Reading only takes
/// shared locks, so that is harmless here, except that an inherited descriptor of a file on
/// the test tmpfs keeps it busy for `umount`. Opening HDF5 files holds this lock shared;
/// the full-disk test holds it exclusively while it spawns and waits.
static HDF5_FILES: RwLock<()> = RwLock::new(());

fn hdf5_files_shared() -> RwLockReadGuard<'static, ()> {
    HDF5_FILES.read().unwrap_or_else(PoisonError::into_inner)
}

fn hdf5_files_exclusive() -> RwLockWriteGuard<'static, ()> {
    HDF5_FILES.write().unwrap_or_else(PoisonError::into_inner)
}

fn assert_no_panic(stderr: &str, what: &str) {
    for sign in ["panicked", "stack backtrace", "RUST_BACKTRACE"] {
        assert!(!stderr.contains(sign), "{what}: stderr shows a panic ({sign:?}):\n{stderr}");
    }
}

/// Names in `dir` ending in `.tmp` (temporaries of an interrupted write).
fn temporaries(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    names.sort();
    names
}

fn read_results(dir: &Path) -> Vec<Vec<u8>> {
    RESULT_FILES
        .iter()
        .map(|n| fs::read(dir.join(n)).unwrap_or_else(|e| panic!("{}/{n}: {e}", dir.display())))
        .collect()
}

/// Waits for `child`, killing it and failing after `limit`.
fn wait_at_most(child: &mut Child, limit: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("caseflow did not finish within {limit:?}");
        }
        sleep(Duration::from_millis(5));
    }
}

fn signal(child: &Child, sig: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits pid_t");
    // SAFETY: kill(2) with a pid of our own unreaped child and a valid signal number.
    let rc = unsafe { libc::kill(pid, sig) };
    assert_eq!(rc, 0, "kill({pid}, {sig}): {}", std::io::Error::last_os_error());
}

/// What a complete result directory holds.
#[derive(Debug)]
struct Complete {
    master_seed: u64,
    complete: bool,
    run_indices: Vec<u64>,
    /// Rows of summary.csv, without the header.
    summary_rows: usize,
}

/// Checks that summary.csv is whole: the header, then `series x years` rows of 6 fields,
/// newline-terminated. Returns the number of data rows.
fn check_summary_csv(bytes: &[u8], expected_rows: Option<usize>) -> Result<usize, String> {
    let s = std::str::from_utf8(bytes).map_err(|e| format!("summary.csv is not UTF-8: {e}"))?;
    if !s.ends_with('\n') {
        return Err("summary.csv does not end with a newline (truncated?)".into());
    }
    let mut lines = s.lines();
    if lines.next() != Some("series,year,mean,sd,p05,p95") {
        return Err("summary.csv has no header".into());
    }
    let mut rows = 0;
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != 6 || fields[1].parse::<i32>().is_err() {
            return Err(format!("summary.csv row {rows} is malformed: {line:?}"));
        }
        for f in &fields[2..] {
            f.parse::<f64>().map_err(|_| format!("summary.csv row {rows}: not a number: {f:?}"))?;
        }
        rows += 1;
    }
    if let Some(want) = expected_rows
        && rows != want
    {
        return Err(format!("summary.csv has {rows} rows, expected {want}"));
    }
    Ok(rows)
}

/// Opens `results.h5` and checks its datasets agree: /summary/mean is `[series, years]` with
/// `summary_rows` cells, /runs/values has one slab per run index. Returns (master seed,
/// complete flag, run indices).
fn check_results_h5(path: &Path, summary_rows: usize) -> Result<(u64, bool, Vec<u64>), String> {
    let _guard = hdf5_files_shared();
    let e = |what: &str| {
        let what = what.to_owned();
        move |err: hdf5::Error| format!("{}: {what}: {err}", path.display())
    };
    let file = hdf5::File::open(path).map_err(e("open"))?;
    let mean = file.dataset("summary/mean").map_err(e("/summary/mean"))?;
    let shape = mean.shape();
    let values: Vec<f64> = mean.read_raw().map_err(e("read /summary/mean"))?;
    if shape.len() != 2 || shape[0] * shape[1] != summary_rows || values.len() != summary_rows {
        return Err(format!("/summary/mean has shape {shape:?}, expected {summary_rows} cells"));
    }
    let indices: Vec<u64> =
        file.dataset("provenance/run_indices").and_then(|d| d.read_raw()).map_err(e("/provenance/run_indices"))?;
    let runs = file.dataset("runs/values").map_err(e("/runs/values"))?;
    let run_values: Vec<f64> = runs.read_raw().map_err(e("read /runs/values"))?;
    if runs.shape() != [indices.len(), shape[0], shape[1]] || run_values.len() != indices.len() * summary_rows {
        return Err(format!("/runs/values has shape {:?} for {} runs", runs.shape(), indices.len()));
    }
    let seed = file.attr("master_seed").and_then(|a| a.read_scalar::<u64>()).map_err(e("master_seed"))?;
    let complete = file.attr("complete").and_then(|a| a.read_scalar::<u8>()).map_err(e("complete"))?;
    Ok((seed, complete == 1, indices))
}

/// Parses provenance.toml: (master seed, complete, run indices, n_runs agrees).
fn check_provenance(bytes: &[u8]) -> Result<(u64, bool, Vec<u64>), String> {
    let s = std::str::from_utf8(bytes).map_err(|e| format!("provenance.toml is not UTF-8: {e}"))?;
    let table: toml::Table = s.parse().map_err(|e| format!("provenance.toml does not parse: {e}"))?;
    let int =
        |key: &str| table.get(key).and_then(toml::Value::as_integer).ok_or(format!("provenance.toml: no `{key}`"));
    let seed = u64::try_from(int("master_seed")?).map_err(|e| e.to_string())?;
    let complete =
        table.get("complete").and_then(toml::Value::as_bool).ok_or("provenance.toml: no `complete`".to_owned())?;
    let indices: Vec<u64> = table
        .get("run_indices")
        .and_then(toml::Value::as_array)
        .ok_or("provenance.toml: no `run_indices`".to_owned())?
        .iter()
        .map(|v| v.as_integer().and_then(|i| u64::try_from(i).ok()).ok_or("bad run index".to_owned()))
        .collect::<Result<_, _>>()?;
    if usize::try_from(int("n_runs")?).ok() != Some(indices.len()) {
        return Err("provenance.toml: n_runs does not match run_indices".into());
    }
    if table.get("files").and_then(toml::Value::as_array).map(Vec::len) != Some(3) {
        return Err("provenance.toml: no `files` list (truncated?)".into());
    }
    Ok((seed, complete, indices))
}

/// Checks that `dir` holds a complete, self-consistent result and returns what it says.
fn check_complete(dir: &Path, expected_rows: Option<usize>) -> Complete {
    let files = read_results(dir);
    let rows = check_summary_csv(&files[1], expected_rows).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let (h5_seed, h5_complete, h5_indices) =
        check_results_h5(&dir.join("results.h5"), rows).unwrap_or_else(|e| panic!("{e}"));
    let (seed, complete, indices) = check_provenance(&files[2]).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    assert_eq!((h5_seed, h5_complete, &h5_indices), (seed, complete, &indices), "results.h5 vs provenance.toml");
    Complete { master_seed: seed, complete, run_indices: indices, summary_rows: rows }
}

/// `tiny.toml` with every `registered_crimes = N` divided by `divisor`, written into `dir`.
/// (A run's cost in the debug profile is mostly fixed set-up, so this shortens it only a
/// little there; more in release builds.)
fn scaled_tiny(dir: &Path, divisor: u64) -> PathBuf {
    let original = fs::read_to_string(tiny()).expect("tiny.toml is readable");
    let mut replaced = 0;
    let scaled: String = original
        .lines()
        .map(|line| {
            if let Some(n) = line.strip_prefix("registered_crimes = ").and_then(|n| n.trim().parse::<u64>().ok()) {
                replaced += 1;
                format!("registered_crimes = {}\n", (n / divisor).max(1))
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    assert!(replaced > 0, "tiny.toml has no `registered_crimes = N` lines");
    let path = dir.join("scaled.toml");
    fs::write(&path, scaled).unwrap();
    path
}

// ---------------------------------------------------------------- bad input

#[test]
fn bad_fixtures_fail_identically_in_check_and_run() {
    let tmp = tempfile::tempdir().unwrap();
    let mut fixtures: Vec<PathBuf> =
        fs::read_dir(repo_path("tests/fixtures/bad")).unwrap().map(|e| e.unwrap().path()).collect();
    fixtures.sort();
    assert!(fixtures.len() >= 20, "expected the bad fixtures, found {}", fixtures.len());

    for fixture in &fixtures {
        let name = fixture.file_name().unwrap().to_string_lossy().into_owned();
        let out = tmp.path().join(&name);
        let check = run([Path::new("check"), fixture]);
        let ran = run([Path::new("run"), fixture, Path::new("--seeds"), Path::new("1"), Path::new("--out"), &out]);
        assert_exit(&check, EXIT_BAD_INPUT, &format!("check {name}"));
        assert_exit(&ran, EXIT_BAD_INPUT, &format!("run {name}"));
        let (check_err, run_err) = (text(&check.stderr), text(&ran.stderr));
        assert_eq!(check_err, run_err, "{name}: `check` and `run` print different diagnostics");
        assert_no_panic(&check_err, &name);
        assert!(check.stdout.is_empty() && ran.stdout.is_empty(), "{name}: diagnostics belong on stderr");
        // Every diagnostic names the file; the last line counts them.
        let lines: Vec<&str> = check_err.lines().collect();
        let (last, diagnostics) = lines.split_last().unwrap_or_else(|| panic!("{name}: nothing on stderr"));
        assert!(!diagnostics.is_empty(), "{name}: no diagnostic:\n{check_err}");
        let label = fixture.display().to_string();
        for d in diagnostics {
            assert!(d.starts_with(&format!("{label}:")), "{name}: diagnostic does not start with the file: {d}");
        }
        assert!(last.ends_with(&format!("in {label}")) && last.contains("error"), "{name}: last line: {last}");
        assert!(!out.exists(), "{name}: `run` created {}", out.display());
    }
}

#[test]
fn missing_directory_and_empty_scenarios_name_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-scenario.toml");
    let directory = tmp.path().join("a-directory.toml");
    fs::create_dir(&directory).unwrap();
    let empty = tmp.path().join("empty.toml");
    fs::write(&empty, "").unwrap();

    for (path, says) in [(&missing, "no such file"), (&directory, "is a directory"), (&empty, "empty")] {
        let out = tmp.path().join("out");
        let check = run([Path::new("check"), path]);
        let ran = run([Path::new("run"), path, Path::new("--out"), &out]);
        for (cmd, o) in [("check", &check), ("run", &ran)] {
            let what = format!("{cmd} {}", path.display());
            assert_exit(o, EXIT_BAD_INPUT, &what);
            let err = text(&o.stderr);
            assert_no_panic(&err, &what);
            assert!(err.contains(&path.display().to_string()), "{what}: the message does not name the path:\n{err}");
            assert!(err.contains(says), "{what}: expected {says:?} in:\n{err}");
        }
        assert_eq!(check.stderr, ran.stderr);
        assert!(!out.exists());
    }
}

/// A question that scales an inflow past a count: `check` and `run` name the factor's own key
/// and line, once (not `registered_crimes` at the table's header once per year).
#[test]
fn an_inflow_scale_too_large_is_reported_once_at_its_key() {
    let tmp = tempfile::tempdir().unwrap();
    let sub = tmp.path().join("sub");
    fs::create_dir(&sub).unwrap();
    fs::copy(tiny(), tmp.path().join("tiny.toml")).unwrap();
    let question = sub.join("is.toml");
    fs::write(
        &question,
        "base = \"../tiny.toml\"\nname = \"q\"\n[[inflow_scale]]\nfrom = 2011\nprivate_complaints = 1e9\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let check = run([Path::new("check"), &question]);
    let ran = run([Path::new("run"), &question, Path::new("--seeds"), Path::new("1"), Path::new("--out"), &out]);
    let label = question.display().to_string();
    let expected = format!(
        "{label}:5:22: key `inflow_scale[0].private_complaints`: the scaled inflow of 2011-2012 is too large: \
         the base's counts times 1e9 exceed 4294967295 a year\n1 error in {label}\n"
    );
    for (cmd, o) in [("check", &check), ("run", &ran)] {
        assert_exit(o, EXIT_BAD_INPUT, cmd);
        assert_eq!(text(&o.stderr), expected, "{cmd}");
    }
    assert!(!out.exists());
}

// ---------------------------------------------------------------- results

#[test]
fn run_writes_results_and_refuses_to_overwrite_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("results");
    let args = |force: bool| {
        let mut a = vec!["run".into(), tiny().into_os_string(), "--seeds".into(), "2".into(), "--out".into()];
        a.push(out.clone().into_os_string());
        if force {
            a.push("--force".into());
        }
        a
    };

    let first = run(args(false));
    assert_exit(&first, 0, "first run");
    assert_no_panic(&text(&first.stderr), "first run");
    assert!(text(&first.stdout).contains(&out.display().to_string()), "the report names the output directory");
    let mut names: Vec<String> =
        fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["provenance.toml", "results.h5", "summary.csv"], "exactly the three results, no temporaries");
    // Results are shared on clusters and lab machines: the usual permissions (0666 less the
    // umask), not the owner-only mode of a temporary file. The test process's umask is at most
    // 022 in CI, so group and others can read.
    for name in &names {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(out.join(name)).unwrap().permissions().mode();
        assert_eq!(mode & 0o044, 0o044, "{name} is readable by group and others (mode {mode:o})");
    }
    let result = check_complete(&out, None);
    assert!(result.complete);
    assert_eq!(result.run_indices, [0, 1]);
    let before = read_results(&out);

    let again = run(args(false));
    assert_exit(&again, EXIT_BAD_INPUT, "second run without --force");
    let err = text(&again.stderr);
    assert!(err.contains("--force") && err.contains("already exists"), "{err}");
    assert!(err.contains(&out.display().to_string()), "the message names the file: {err}");
    assert_no_panic(&err, "second run");
    assert_eq!(read_results(&out), before, "a refused run changed the results");
    assert!(temporaries(&out).is_empty());

    let forced = run(args(true));
    assert_exit(&forced, 0, "run with --force");
    let after = check_complete(&out, Some(result.summary_rows));
    assert_eq!(after.run_indices, [0, 1]);
    assert!(temporaries(&out).is_empty());
    // Same scenario and seeds: the same numbers (provenance.toml and results.h5 carry a
    // timestamp and the command line, so only summary.csv is byte-stable).
    assert_eq!(read_results(&out)[1], before[1]);
}

/// One file of a result directory after a kill: the previous bytes, a complete new file, or
/// (provenance.toml only, the commit marker removed before the first rename) none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Previous,
    New,
    Gone,
}

#[test]
fn sigkill_at_any_moment_leaves_previous_or_complete_new_results() {
    const SEEDS: &str = "4";
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tiny();
    let baseline = tmp.path().join("baseline");
    let out = tmp.path().join("out");
    let args = |seed: &str, dir: &Path| -> Vec<std::ffi::OsString> {
        let mut a: Vec<std::ffi::OsString> = vec!["run".into(), scenario.clone().into()];
        for s in ["--seeds", SEEDS, "--threads", "2", "--seed", seed, "--force", "--out"] {
            a.push(s.into());
        }
        a.push(dir.into());
        a
    };

    // The previous result (master seed 1), and how long a run takes here.
    let started = Instant::now();
    let prev = run(args("1", &baseline));
    let run_time = started.elapsed();
    assert_exit(&prev, 0, "baseline run");
    let previous = check_complete(&baseline, None);
    let previous_bytes = read_results(&baseline);
    fs::create_dir(&out).unwrap();

    // Kill points: when each temporary is there (during the HDF5 write, during the CSV
    // write, just before the renames), and at fractions of the run time. The run time
    // measured above may be inflated by other tests starting at the same moment; the first
    // kill, at the start of the write, measures it again.
    enum When {
        After(f64),
        Writing(&'static str),
    }
    let points = [
        When::Writing(".results.h5."),
        When::After(0.02),
        When::After(0.35),
        When::After(0.7),
        When::After(0.95),
        When::Writing(".provenance.toml."),
        When::Writing(".summary.csv."),
    ];
    let mut run_time = run_time;
    let mut killed_mid_write = 0;
    let mut killed_between_renames = 0;
    let mut outcomes = Vec::new();
    for point in &points {
        // Start from the previous complete result (leftover temporaries stay).
        for (name, bytes) in RESULT_FILES.iter().zip(&previous_bytes) {
            fs::write(out.join(name), bytes).unwrap();
        }
        let mut child = caseflow().args(args("2", &out)).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let spawned = Instant::now();
        let pid = child.id();
        match point {
            When::After(fraction) => sleep(run_time.mul_f64(*fraction)),
            When::Writing(prefix) => {
                // Temporaries of this child (earlier kills leave theirs behind).
                let mine = |prefix: &str| {
                    let tag = format!("{prefix}{pid}.");
                    temporaries(&out).into_iter().filter(move |n| n.starts_with(&tag))
                };
                // Wait for the HDF5 temporary, polling gently. The empty probe made before
                // the batch starts has the same kind of name but lives for microseconds:
                // only a temporary seen twice, a poll apart, is the write.
                let mut seen: Vec<String> = Vec::new();
                let mut writing = false;
                while !writing && child.try_wait().unwrap().is_none() {
                    let names: Vec<String> = mine(".results.h5.").collect();
                    writing = names.iter().any(|n| seen.contains(n));
                    seen = names;
                    sleep(Duration::from_micros(300));
                }
                if writing {
                    run_time = run_time.min(spawned.elapsed());
                }
                // The later temporaries follow within milliseconds: spin.
                while writing && mine(prefix).next().is_none() && child.try_wait().unwrap().is_none() {
                    std::thread::yield_now();
                }
            }
        }
        let finished_first = child.try_wait().unwrap().is_some();
        if !finished_first {
            signal(&child, libc::SIGKILL);
        }
        let status = wait_at_most(&mut child, Duration::from_secs(60));
        let mut stderr = String::new();
        child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        assert!(
            status.signal() == Some(libc::SIGKILL) || status.success(),
            "the run ended with {status:?} instead of being killed or finishing:\n{stderr}"
        );

        // Every data file is still there, either as it was or complete and new; provenance.toml
        // may be gone (a kill between the renames), never beside files it does not describe.
        let files: Vec<Option<Vec<u8>>> = RESULT_FILES.iter().map(|n| fs::read(out.join(n)).ok()).collect();
        let mut states = Vec::new();
        for (i, name) in RESULT_FILES.iter().enumerate() {
            let Some(bytes) = &files[i] else {
                assert_eq!(*name, "provenance.toml", "after SIGKILL, {name} is missing");
                states.push(State::Gone);
                continue;
            };
            let state = if *bytes == previous_bytes[i] {
                State::Previous
            } else {
                let checked = match i {
                    0 => check_results_h5(&out.join(name), previous.summary_rows).and_then(|(seed, complete, idx)| {
                        if seed == 2 && complete && idx == previous.run_indices {
                            Ok(())
                        } else {
                            Err(format!("unexpected content: seed {seed}, complete {complete}, runs {idx:?}"))
                        }
                    }),
                    1 => check_summary_csv(bytes, Some(previous.summary_rows)).map(drop),
                    _ => check_provenance(bytes).and_then(|(seed, complete, idx)| {
                        if seed == 2 && complete && idx == previous.run_indices {
                            Ok(())
                        } else {
                            Err(format!("unexpected content: seed {seed}, complete {complete}, runs {idx:?}"))
                        }
                    }),
                };
                if let Err(e) = checked {
                    panic!("after SIGKILL, {name} is neither the previous file nor a complete new one: {e}");
                }
                State::New
            };
            states.push(state);
        }
        // provenance.toml is the commit marker: the previous one goes before the first rename,
        // the new one is renamed in last. So one is there only beside the files it describes.
        match states[2] {
            State::New => assert_eq!(states, [State::New; 3], "provenance.toml is new but the other files are not"),
            State::Previous => {
                assert_eq!(states, [State::Previous; 3], "the previous provenance.toml vouches for new files")
            }
            State::Gone => {
                // Readers refuse the directory as incomplete instead of taking it for a result.
                let o = run([
                    "compare".as_ref(),
                    out.as_os_str(),
                    "--targets".as_ref(),
                    repo_path("data/targets.csv").as_os_str(),
                ]);
                assert_exit(&o, EXIT_BAD_INPUT, "compare of a directory killed between renames");
                assert!(text(&o.stderr).contains("incomplete or damaged"), "{}", text(&o.stderr));
                killed_between_renames += 1;
            }
        }
        // Leftovers may only be this tool's temporaries.
        let leftovers = temporaries(&out);
        for name in &leftovers {
            assert!(RESULT_FILES.iter().any(|f| name.starts_with(&format!(".{f}."))), "unexpected temporary {name}");
        }
        let of_this_run = leftovers.iter().filter(|n| n.contains(&format!(".{pid}."))).count();
        if !finished_first && of_this_run > 0 {
            killed_mid_write += 1;
            // The run got as far as writing, so it had deleted the temporaries of the runs
            // killed before it.
            assert_eq!(of_this_run, leftovers.len(), "temporaries of earlier killed runs accumulate: {leftovers:?}");
        }
        outcomes.push((finished_first, states, leftovers.len()));
    }
    eprintln!(
        "run time {run_time:?}; (finished before the kill, file states, temporaries) per kill: {outcomes:?}; \
         {killed_between_renames} between renames"
    );
    assert!(killed_mid_write >= 1, "no kill landed during the write: {outcomes:?}");

    // The next run cleans up the temporaries of killed runs and writes complete results.
    eprintln!("temporaries before the last run: {:?}", temporaries(&out));
    let last = run(args("3", &out));
    assert_exit(&last, 0, "run after the kills");
    assert_eq!(temporaries(&out), Vec::<String>::new(), "temporaries of killed runs are not cleaned up");
    let result = check_complete(&out, Some(previous.summary_rows));
    assert_eq!((result.master_seed, result.complete), (3, true));
}

#[test]
fn ctrl_c_keeps_finished_runs_marked_incomplete() {
    // Far more runs than could finish in the test: the signal always comes mid-batch.
    const SEEDS: u64 = 100_000;
    let tmp = tempfile::tempdir().unwrap();
    let scenario = scaled_tiny(tmp.path(), 10);
    let out = tmp.path().join("out");
    // If no run has finished when the signal comes (a slow machine), nothing is written;
    // then try again, waiting longer.
    let mut wait = Duration::from_millis(600);
    for attempt in 1..=3 {
        let mut child = caseflow()
            .arg("run")
            .arg(&scenario)
            .args(["--seeds", &SEEDS.to_string(), "--threads", "1", "--out"])
            .arg(&out)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        sleep(wait);
        assert!(child.try_wait().unwrap().is_none(), "the run finished before it could be interrupted");
        signal(&child, libc::SIGINT);
        let status = wait_at_most(&mut child, Duration::from_secs(60));
        let mut stderr = String::new();
        child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        assert_no_panic(&stderr, "interrupted run");
        assert_eq!(status.code(), Some(EXIT_INTERRUPTED), "exit status after SIGINT: {status:?}\n{stderr}");
        assert!(stderr.contains("interrupted"), "{stderr}");
        if stderr.contains("before any run finished") {
            assert!(!out.exists(), "nothing finished, yet {} was left", out.display());
            eprintln!("attempt {attempt}: no run had finished after {wait:?}; waiting longer");
            wait = wait.mul_f64(2.5);
            continue;
        }

        // "interrupted: K of N runs finished and were written; ..."
        let finished: usize = stderr
            .lines()
            .find_map(|l| {
                l.strip_prefix("interrupted: ")?.strip_suffix(&format!(
                    " of {SEEDS} runs finished and were written; the results are marked incomplete"
                ))
            })
            .and_then(|k| k.parse().ok())
            .unwrap_or_else(|| panic!("no count of finished runs in:\n{stderr}"));
        assert!((1..SEEDS as usize).contains(&finished), "{finished} runs finished");
        let result = check_complete(&out, None);
        assert!(!result.complete, "provenance.toml must say complete = false");
        let expected: Vec<u64> = (0..finished as u64).collect();
        assert_eq!(result.run_indices, expected, "with one thread, runs 0..{finished} finished");
        let toml = fs::read_to_string(out.join("provenance.toml")).unwrap();
        assert!(toml.contains("complete = false"), "{toml}");
        assert!(temporaries(&out).is_empty());
        return;
    }
    panic!("no run finished before SIGINT in three attempts");
}

#[test]
fn unwritable_output_directory_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("plain-file");
    fs::write(&file, "not a directory").unwrap();
    for out in [file.join("sub"), file.clone()] {
        let started = Instant::now();
        let o = run([Path::new("run"), &tiny(), Path::new("--out"), &out]);
        let what = format!("run --out {}", out.display());
        assert_exit(&o, EXIT_FAILURE, &what);
        let err = text(&o.stderr);
        assert_no_panic(&err, &what);
        assert!(err.starts_with("error: ") && err.contains(&file.display().to_string()), "{what}: {err}");
        assert!(err.contains("not a directory"), "{what}: {err}");
        // Reported before the batch runs, not after.
        assert!(o.stdout.is_empty(), "{what}: {}", text(&o.stdout));
        eprintln!("{what}: refused after {:?}", started.elapsed());
    }
    assert_eq!(fs::read_to_string(&file).unwrap(), "not a directory");
    assert!(temporaries(tmp.path()).is_empty());
}

/// Unmounts on drop (also when the test fails).
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let status = Command::new("umount").arg(&self.0).status();
        if !matches!(status, Ok(s) if s.success()) {
            eprintln!("warning: could not unmount {}: {status:?}", self.0.display());
        }
    }
}

#[test]
fn full_disk_is_a_clear_error_and_keeps_previous_results() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: mounting a small tmpfs needs root");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let disk = tmp.path().join("disk");
    fs::create_dir(&disk).unwrap();
    let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"]).arg(&disk).output();
    match mounted {
        Ok(o) if o.status.success() => {}
        other => {
            eprintln!("skipped: cannot mount a tmpfs here: {other:?}");
            return;
        }
    }
    let _unmount = Mount(disk.clone());
    // No HDF5 file of this process may be open in a child while the tmpfs is in use.
    let _hdf5 = hdf5_files_exclusive();

    let out = disk.join("out");
    let run_into = |seed: &str| {
        caseflow()
            .arg("run")
            .arg(tiny())
            .args(["--seeds", "1", "--seed", seed, "--force", "--out"])
            .arg(&out)
            .output()
            .unwrap()
    };
    let first = run_into("1");
    assert_exit(&first, 0, "run onto the small disk");
    let before = read_results(&out);

    // Fill the disk, then free a little less than a results.h5 and a summary.csv need: the
    // write fails part-way (in the HDF5 file or the CSV, depending on sizes).
    let filler = disk.join("filler");
    {
        use std::io::Write;
        let mut f = fs::File::create(&filler).unwrap();
        let block = vec![0u8; 4096];
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
        let full = f.metadata().unwrap().len();
        f.set_len(full.saturating_sub(before[0].len() as u64 + 4096)).unwrap();
    }

    let second = run_into("2");
    let what = "run onto a full disk";
    assert_exit(&second, EXIT_FAILURE, what);
    let err = text(&second.stderr);
    assert_no_panic(&err, what);
    assert!(err.starts_with("error: cannot write"), "{what}: {err}");
    assert!(err.contains("No space left on device"), "{what}: {err}");
    assert_eq!(err.lines().count(), 1, "{what}: the error fits on one line: {err}");
    assert_eq!(temporaries(&out), Vec::<String>::new(), "{what}: temporaries left behind");
    assert_eq!(read_results(&out), before, "{what}: the previous results changed");
    fs::remove_file(&filler).unwrap();
}

/// `compare` and `report` of `dir` (the shipped targets), with their outputs outside `dir`.
fn readers_of(dir: &Path, scratch: &Path) -> Vec<(&'static str, std::process::Output)> {
    let targets = repo_path("data/targets.csv");
    let compare = caseflow()
        .arg("compare")
        .arg(dir)
        .arg("--targets")
        .arg(&targets)
        .arg("--out")
        .arg(scratch.join("compare.csv"))
        .output()
        .unwrap();
    let report = caseflow()
        .arg("report")
        .arg(dir)
        .arg("--targets")
        .arg(&targets)
        .arg("-o")
        .arg(scratch.join("report.html"))
        .output()
        .unwrap();
    vec![("compare", compare), ("report", report)]
}

/// A `run --force` killed between its renames: with provenance.toml the commit marker, the
/// directory holds new data files and no provenance.toml; readers refuse it (exit 2) and say
/// the results are incomplete and to rerun. The mixed state older versions left (a new
/// results.h5 beside the previous provenance.toml) is refused too, naming the fields.
#[test]
fn readers_refuse_results_left_by_a_write_killed_between_renames() {
    let tmp = tempfile::tempdir().unwrap();
    let scratch = tmp.path().join("scratch");
    fs::create_dir(&scratch).unwrap();
    let run_into = |dir: &Path, seed: &str, seeds: &str| {
        let o = run([
            "run".as_ref(),
            tiny().as_os_str(),
            "--seeds".as_ref(),
            seeds.as_ref(),
            "--seed".as_ref(),
            seed.as_ref(),
            "--force".as_ref(),
            "--out".as_ref(),
            dir.as_os_str(),
        ]);
        assert_exit(&o, 0, "run");
    };
    let old = tmp.path().join("old");
    let new = tmp.path().join("new");
    run_into(&old, "1", "2");
    run_into(&new, "7", "3");
    // The complete results are read.
    for (what, o) in readers_of(&old, &scratch) {
        assert_exit(&o, 0, what);
    }
    fs::remove_dir_all(&scratch).unwrap();
    fs::create_dir(&scratch).unwrap();

    // Killed after the provenance went and results.h5 and summary.csv were renamed in.
    let killed = tmp.path().join("killed");
    fs::create_dir(&killed).unwrap();
    for f in ["results.h5", "summary.csv"] {
        fs::copy(new.join(f), killed.join(f)).unwrap();
    }
    for (what, o) in readers_of(&killed, &scratch) {
        assert_exit(&o, EXIT_BAD_INPUT, what);
        let stderr = text(&o.stderr);
        assert_no_panic(&stderr, what);
        for words in ["incomplete or damaged", "results.h5 and summary.csv without provenance.toml", "rerun"] {
            assert!(stderr.contains(words), "{what}: no {words:?} in:\n{stderr}");
        }
    }

    // What older versions left: the new results.h5 beside the previous provenance.toml.
    let mixed = tmp.path().join("mixed");
    fs::create_dir(&mixed).unwrap();
    fs::copy(new.join("results.h5"), mixed.join("results.h5")).unwrap();
    for f in ["summary.csv", "provenance.toml"] {
        fs::copy(old.join(f), mixed.join(f)).unwrap();
    }
    for (what, o) in readers_of(&mixed, &scratch) {
        assert_exit(&o, EXIT_BAD_INPUT, what);
        let stderr = text(&o.stderr);
        assert_no_panic(&stderr, what);
        for words in ["damaged", "master_seed is 7 in results.h5 but 1 in provenance.toml", "run_indices", "rerun"] {
            assert!(stderr.contains(words), "{what}: no {words:?} in:\n{stderr}");
        }
    }
    assert!(!scratch.join("compare.csv").exists() && !scratch.join("report.html").exists(), "nothing is written");
}

/// Byte offset in `path` (a results.h5) of the first value of `/runs/values`, stored
/// contiguously: where a changed byte alters a value without touching HDF5's own structures.
fn first_value_offset(path: &Path) -> u64 {
    let _hdf5 = hdf5_files_shared();
    let file = hdf5::File::open(path).unwrap();
    let offset = file.dataset("runs/values").unwrap().offset().expect("a contiguous dataset");
    file.close().unwrap();
    offset
}

/// `provenance.toml` records the SHA-256 of `results.h5` and `summary.csv` (what `sha256sum`
/// prints), and `compare` and `report` refuse (exit 2), naming the file, a summary.csv cut at a
/// line boundary (it parses, as fewer rows, and used to be compared) and a results.h5 with a
/// value changed in place. A provenance.toml of earlier versions, without the hashes, is still
/// read.
#[test]
fn readers_refuse_result_files_that_do_not_match_their_recorded_sha256() {
    let tmp = tempfile::tempdir().unwrap();
    let scratch = tmp.path().join("scratch");
    fs::create_dir(&scratch).unwrap();
    let dir = tmp.path().join("run");
    let o =
        run(["run".as_ref(), tiny().as_os_str(), "--seeds".as_ref(), "3".as_ref(), "--out".as_ref(), dir.as_os_str()]);
    assert_exit(&o, 0, "run");
    let prov_text = fs::read_to_string(dir.join("provenance.toml")).unwrap();
    let record = caseflow::output::read_provenance_toml(&prov_text).unwrap();
    let hashes = record.sha256.expect("a [sha256] table");
    for name in ["results.h5", "summary.csv"] {
        let bytes = fs::read(dir.join(name)).unwrap();
        assert_eq!(hashes.get(name), Some(&caseflow::output::sha256_hex(&bytes)), "{name}");
    }
    assert_eq!(hashes.len(), 2, "{hashes:?}");
    for (what, o) in readers_of(&dir, &scratch) {
        assert_exit(&o, 0, what);
    }
    fs::remove_dir_all(&scratch).unwrap();
    fs::create_dir(&scratch).unwrap();
    let summary = fs::read(dir.join("summary.csv")).unwrap();
    let h5 = fs::read(dir.join("results.h5")).unwrap();

    // summary.csv cut at a line boundary: the header and half of the rows.
    let text_summary = String::from_utf8(summary.clone()).unwrap();
    let rows = text_summary.lines().count();
    let cut: String = text_summary.lines().take(rows / 2).map(|l| format!("{l}\n")).collect();
    fs::write(dir.join("summary.csv"), &cut).unwrap();
    for (what, o) in readers_of(&dir, &scratch) {
        assert_exit(&o, EXIT_BAD_INPUT, &format!("{what} of a summary.csv cut short"));
        let stderr = text(&o.stderr);
        assert_no_panic(&stderr, what);
        let named = format!("{} does not match the SHA-256 provenance.toml records", dir.join("summary.csv").display());
        assert!(stderr.contains(&named), "{what}: {stderr}");
    }
    fs::write(dir.join("summary.csv"), &summary).unwrap();

    // One byte of a value in results.h5: it still opens, and its attributes still agree.
    let mut changed = h5.clone();
    let at = usize::try_from(first_value_offset(&dir.join("results.h5"))).unwrap() + 3;
    changed[at] ^= 0x40;
    fs::write(dir.join("results.h5"), &changed).unwrap();
    for (what, o) in readers_of(&dir, &scratch) {
        assert_exit(&o, EXIT_BAD_INPUT, &format!("{what} of a results.h5 changed in place"));
        assert!(text(&o.stderr).contains("results.h5 does not match the SHA-256"), "{what}: {}", text(&o.stderr));
    }
    fs::write(dir.join("results.h5"), &h5).unwrap();
    assert!(!scratch.join("compare.csv").exists() && !scratch.join("report.html").exists(), "nothing is written");

    // A provenance.toml of an earlier version: no [sha256] table, and still read.
    let start = prov_text.find("\n# SHA-256 of each file").expect("the table's comment");
    let end = prov_text[start..].find("\n\n").map_or(prov_text.len(), |i| start + i + 1);
    let older = format!("{}{}", &prov_text[..start + 1], &prov_text[end..]);
    assert!(!older.contains("sha256]") && older.contains("files = ["), "{older}");
    fs::write(dir.join("provenance.toml"), &older).unwrap();
    for (what, o) in readers_of(&dir, &scratch) {
        assert_exit(&o, 0, &format!("{what} of results with an older provenance.toml"));
    }
}

/// `run --force` over previous results, killed (with strace) as it enters each of its renames in
/// turn: no kill leaves a provenance.toml beside files it does not describe, and the readers
/// refuse what is left with exit 2; a rerun completes it.
#[test]
fn run_force_killed_at_each_rename_never_leaves_a_mixed_result() {
    if !strace_can_inject() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let scratch = tmp.path().join("scratch");
    fs::create_dir(&scratch).unwrap();
    let out = tmp.path().join("out");
    let args = |seed: &str, seeds: &str| -> Vec<std::ffi::OsString> {
        let mut a: Vec<std::ffi::OsString> = vec!["run".into(), tiny().into()];
        for s in ["--seeds", seeds, "--seed", seed, "--force", "--out"] {
            a.push(s.into());
        }
        a.push(out.clone().into());
        a
    };
    assert_exit(&run(args("1", "2")), 0, "previous run");
    let previous = read_results(&out);
    let mut kills = 0;
    for n in 1..=3 {
        if !killed_at_rename(&args("7", "3"), n) {
            continue; // fewer renames than n: nothing to kill
        }
        kills += 1;
        let prov = out.join("provenance.toml");
        assert!(!prov.exists(), "killed at rename {n}: a provenance.toml is left beside the new files");
        assert!(out.join("results.h5").exists() && out.join("summary.csv").exists(), "killed at rename {n}");
        for (what, o) in readers_of(&out, &scratch) {
            assert_exit(&o, EXIT_BAD_INPUT, what);
            assert!(text(&o.stderr).contains("incomplete or damaged"), "{what}: {}", text(&o.stderr));
        }
        // Back to the previous complete results for the next kill.
        for (name, bytes) in RESULT_FILES.iter().zip(&previous) {
            fs::write(out.join(name), bytes).unwrap();
        }
    }
    assert_eq!(kills, 3, "three renames (results.h5, summary.csv, provenance.toml), each killed");
    assert_exit(&run(args("7", "3")), 0, "rerun");
    let result = check_complete(&out, None);
    assert_eq!((result.master_seed, result.run_indices), (7, vec![0, 1, 2]));
    assert!(temporaries(&out).is_empty(), "{:?}", temporaries(&out));
}
