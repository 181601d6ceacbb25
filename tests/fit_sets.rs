//! The sets of files `caseflow calibrate`, `screen` and `ensemble` write into a directory, each
//! one file at a time, are whole or refused: each set has a marker (`calibrate.provenance.toml`,
//! `screen.provenance.toml`, `ensemble.provenance.toml`) that says "writing" before its first
//! file is replaced and "complete", with every file's SHA-256, after its last; the readers of a
//! set's files (a scenario such as `fitted.toml`, a FREE.toml such as `screened.free.toml`, an
//! `ensemble.csv`) refuse with exit 2 a set marked "writing" (killed or interrupted part way)
//! or whose files do not match, naming the directory and what is wrong. Fit directories
//! written before markers existed (the committed ones) are read as before.
//!
//! Each command runs the tiny scenario with the smallest settings: a few seconds in all.

mod common;
use common::*;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};

use caseflow::calibrate::{self, CalibrateOptions, Progress, StopReason};

const TINY: &str = "tests/fixtures/tiny.toml";
const SMALL_FREE: &str = "tests/fixtures/calibrate/small.toml";
const COVERAGE_FREE: &str = "tests/fixtures/calibrate/coverage.free.toml";
const FIXTURE_TARGETS: &str = "tests/fixtures/calibrate/targets.csv";

/// A published share the tiny scenario can be weighed by.
fn share_targets(dir: &Path) -> PathBuf {
    let path = dir.join("targets.csv");
    fs::write(&path, "series,year,value,unit,kind,source,note\nsentencing.prison_share,2011,0.5,share,target,test,\n")
        .unwrap();
    path
}

fn args(list: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<std::ffi::OsString> {
    list.iter().map(|a| a.as_ref().to_os_string()).collect()
}

fn calibrate_args(out: &Path, budget: &str) -> Vec<std::ffi::OsString> {
    args(&[
        &"calibrate",
        &TINY,
        &"--targets",
        &FIXTURE_TARGETS,
        &"--free",
        &SMALL_FREE,
        &"--budget",
        &budget,
        &"--threads",
        &"2",
        &"--out",
        &out,
    ])
}

fn ensemble_args(scenario: &Path, targets: &Path, out: &Path, seed: &str) -> Vec<std::ffi::OsString> {
    args(&[
        &"ensemble",
        &scenario,
        &"--targets",
        &targets,
        &"--free",
        &COVERAGE_FREE,
        &"--particles",
        &"6",
        &"--generations",
        &"1",
        &"--seed",
        &seed,
        &"--threads",
        &"2",
        &"--out",
        &out,
        &"--force",
    ])
}

fn screen_args(targets: &Path, out: &Path) -> Vec<std::ffi::OsString> {
    args(&[
        &"screen",
        &TINY,
        &"--targets",
        &targets,
        &"--free",
        &COVERAGE_FREE,
        &"--trajectories",
        &"2",
        &"--threads",
        &"2",
        &"--out",
        &out,
        &"--force",
    ])
}

fn assert_no_panic(o: &Output, what: &str) {
    let stderr = text(&o.stderr);
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
}

/// The bytes of `names` in `dir` (None for a missing file).
fn snapshot(dir: &Path, names: &[&str]) -> Vec<Option<Vec<u8>>> {
    names.iter().map(|n| fs::read(dir.join(n)).ok()).collect()
}

fn restore(dir: &Path, names: &[&str], bytes: &[Option<Vec<u8>>]) {
    for (name, b) in names.iter().zip(bytes) {
        match b {
            Some(b) => fs::write(dir.join(name), b).unwrap(),
            None => {
                let _ = fs::remove_file(dir.join(name));
            }
        }
    }
}

/// A set's files and its marker, the marker last.
fn with_marker(set: &caseflow::output::MarkedSet) -> Vec<&'static str> {
    set.files.iter().copied().chain(std::iter::once(set.marker)).collect()
}

/// The marker of `set` in `dir` parsed, after checking that it says complete and records the
/// SHA-256 of every file of the set as it is.
fn assert_complete(set: &caseflow::output::MarkedSet, dir: &Path) -> toml::Table {
    let text = fs::read_to_string(dir.join(set.marker)).unwrap_or_else(|e| panic!("{}: {e}", set.marker));
    let table: toml::Table = text.parse().unwrap();
    assert_eq!(table["status"].as_str(), Some("complete"), "{text}");
    assert_eq!(table["crate_version"].as_str(), Some(caseflow::output::CRATE_VERSION), "{text}");
    assert_eq!(table["git_revision"].as_str(), Some(caseflow::output::GIT_REVISION), "{text}");
    for name in set.files {
        let bytes = fs::read(dir.join(name)).unwrap();
        assert_eq!(
            table["sha256"][*name].as_str(),
            Some(caseflow::output::sha256_hex(&bytes).as_str()),
            "{name} in {}",
            set.marker
        );
    }
    table
}

/// Runs `reader`, expecting a refusal (exit 2) that names `dir` and says `words`.
fn assert_refused(reader: &mut Command, dir: &Path, words: &str, what: &str) {
    let o = reader.output().unwrap();
    assert_exit(&o, EXIT_BAD_INPUT, what);
    assert_no_panic(&o, what);
    let stderr = text(&o.stderr);
    assert!(stderr.contains(&dir.display().to_string()), "{what}: the directory is not named:\n{stderr}");
    assert!(stderr.contains(words), "{what}: no {words:?} in:\n{stderr}");
}

fn check_cmd(scenario: &Path) -> Command {
    let mut c = caseflow();
    c.arg("check").arg(scenario);
    c
}

fn run_over(ensemble: &Path, out: &Path) -> Command {
    let mut c = caseflow();
    c.args(["run", TINY, "--seeds", "1", "--threads", "2", "--force", "--ensemble"])
        .arg(ensemble)
        .arg("--out")
        .arg(out);
    c
}

fn calibrate_with_free(free: &Path, out: &Path) -> Command {
    let mut c = caseflow();
    c.args(["calibrate", TINY, "--targets", FIXTURE_TARGETS, "--free"])
        .arg(free)
        .args(["--budget", "1", "--out"])
        .arg(out);
    c
}

/// Each command marks its set complete with every file's SHA-256, and each reader refuses, with
/// exit 2 naming the directory, a set marked as being written, a file of the set changed since
/// (even one the reader does not read: report.md beside fitted.toml), and a file missing; a set
/// without a marker (written before markers existed) is read as before, and so are the
/// committed fits.
#[test]
fn readers_refuse_a_fit_set_that_is_not_whole_and_read_one_without_a_marker() {
    let tmp = tempfile::tempdir().unwrap();
    let targets = share_targets(tmp.path());
    let fit = tmp.path().join("fit");
    let screen = tmp.path().join("screen");
    let scratch = tmp.path().join("scratch");
    for (what, a) in [
        ("calibrate", calibrate_args(&fit, "1")),
        ("ensemble", ensemble_args(&fit.join("fitted.toml"), &targets, &fit, "1")),
        ("screen", screen_args(&targets, &screen)),
    ] {
        let o = run(a);
        assert_exit(&o, 0, what);
    }
    let cal = assert_complete(&calibrate::CALIBRATE_SET, &fit);
    assert_eq!(cal["budget"].as_integer(), Some(1));
    assert_eq!(cal["free"].as_str(), Some(SMALL_FREE));
    let ens = assert_complete(&calibrate::ENSEMBLE_SET, &fit);
    assert_eq!(ens["scenario"].as_str(), Some(fit.join("fitted.toml").to_str().unwrap()));
    assert_eq!(
        ens["scenario_sha256"].as_str(),
        Some(caseflow::output::sha256_hex(&fs::read(fit.join("fitted.toml")).unwrap()).as_str())
    );
    assert_complete(&calibrate::SCREEN_SET, &screen);

    let fitted = fit.join("fitted.toml");
    let ensemble = fit.join("ensemble.csv");
    let screened = screen.join("screened.free.toml");
    assert_exit(&check_cmd(&fitted).output().unwrap(), 0, "check of a whole fit");
    assert_exit(&run_over(&ensemble, &scratch).output().unwrap(), 0, "run over a whole ensemble");
    calibrate::load_free(&screened).unwrap();

    // (set, its directory, the reader, a file of the set the reader does not read itself)
    type Reader<'a> = Box<dyn Fn() -> Command + 'a>;
    let cases: [(caseflow::output::MarkedSet, &Path, Reader<'_>, &str); 3] = [
        (calibrate::CALIBRATE_SET, &fit, Box::new(|| check_cmd(&fitted)), "report.md"),
        (calibrate::ENSEMBLE_SET, &fit, Box::new(|| run_over(&ensemble, &scratch)), "particles.csv"),
        (calibrate::SCREEN_SET, &screen, Box::new(|| calibrate_with_free(&screened, &scratch)), "screening.md"),
    ];
    for (set, dir, reader, other) in &cases {
        let names = with_marker(set);
        let whole = snapshot(dir, &names);
        let marker = dir.join(set.marker);
        let what = |case: &str| format!("{} set, {case}", set.command);

        let text = fs::read_to_string(&marker).unwrap();
        fs::write(&marker, text.replace("status = \"complete\"", "status = \"writing\"")).unwrap();
        assert_refused(
            &mut reader(),
            dir,
            &format!("are incomplete: {} says the command was still writing", set.marker),
            &what("marked writing"),
        );
        restore(dir, &names, &whole);

        let mut changed = fs::read(dir.join(other)).unwrap();
        changed.extend_from_slice(b"\n");
        fs::write(dir.join(other), changed).unwrap();
        assert_refused(
            &mut reader(),
            dir,
            &format!("{other} has changed since the command wrote it"),
            &what("a file changed"),
        );
        restore(dir, &names, &whole);

        fs::remove_file(dir.join(other)).unwrap();
        assert_refused(&mut reader(), dir, &format!("{other} is missing"), &what("a file missing"));
        restore(dir, &names, &whole);

        fs::write(&marker, "status = [").unwrap();
        assert_refused(&mut reader(), dir, &format!("{} is damaged", set.marker), &what("a damaged marker"));
        restore(dir, &names, &whole);
    }

    // Without markers, as fits written before them: read as before (the reader's own checks
    // only).
    for set in calibrate::FIT_SETS {
        let _ = fs::remove_file(fit.join(set.marker));
        let _ = fs::remove_file(screen.join(set.marker));
    }
    assert_exit(&check_cmd(&fitted).output().unwrap(), 0, "check of a fit without marker");
    assert_exit(&run_over(&ensemble, &scratch).output().unwrap(), 0, "run over an ensemble without marker");
    calibrate::load_free(&screened).unwrap();

    // The committed fits stay readable: stage 30's 2000-2009 and 2000-2012 fits were written
    // before markers, its 2000-2010 fit (resumed later) with them, marked complete.
    for dir in
        ["results/calibration/kazakhstan", "results/calibration/forecast-2009", "results/calibration/forecast-2010"]
    {
        let dir = repo_path(dir);
        calibrate::check_fit_file(&dir.join("fitted.toml")).unwrap();
        calibrate::load_ensemble(&dir.join("ensemble.csv")).unwrap();
        caseflow::scenario::load_path(&dir.join("fitted.toml")).unwrap();
    }
    calibrate::load_free(&repo_path("results/calibration/screening/screened.free.toml")).unwrap();
}

/// A calibration interrupted (the stop flag, as Ctrl-C sets it) after a generation has a new
/// state.toml beside the fitted.toml of the calibration before: its set stays marked as being
/// written, and fitted.toml is refused until the same calibration resumes and finishes.
#[test]
fn an_interrupted_calibration_leaves_its_fit_refused_until_it_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("fit");
    let text = fs::read_to_string(TINY).unwrap();
    let spec = calibrate::load_free(Path::new(SMALL_FREE)).unwrap();
    let targets = calibrate::load_targets(Path::new(FIXTURE_TARGETS)).unwrap();
    let options = |budget| CalibrateOptions {
        budget,
        out_dir: Some(out.clone()),
        threads: 2,
        command_line: "tests/fit_sets.rs".into(),
        targets_label: FIXTURE_TARGETS.into(),
    };
    let go = AtomicBool::new(false);
    let first = calibrate::calibrate(&text, TINY, &spec, &targets, &options(1), &go, &|_| {}).unwrap();
    assert_ne!(first.reason, StopReason::Interrupted);
    let fitted = out.join("fitted.toml");
    calibrate::check_fit_file(&fitted).unwrap();
    let before = fs::read(&fitted).unwrap();

    // More budget, and a stop after the first new generation.
    let stop = AtomicBool::new(false);
    let progress = |p: Progress| {
        if let Progress::GenerationDone(g) = p {
            if g.generation >= 1 {
                stop.store(true, Ordering::SeqCst);
            }
        }
    };
    let budget = 1 + 3 * spec.population as u64;
    let cut = calibrate::calibrate(&text, TINY, &spec, &targets, &options(budget), &stop, &progress).unwrap();
    assert_eq!(cut.reason, StopReason::Interrupted);
    assert_eq!(fs::read(&fitted).unwrap(), before, "fitted.toml is the earlier calibration's");
    let err = calibrate::check_fit_file(&fitted).unwrap_err();
    assert!(err.contains("calibrate.provenance.toml says the command was still writing"), "{err}");
    assert_refused(&mut check_cmd(&fitted), &out, "the same command resumes it", "check after an interruption");

    let done = calibrate::calibrate(&text, TINY, &spec, &targets, &options(budget), &go, &|_| {}).unwrap();
    assert_ne!(done.reason, StopReason::Interrupted);
    assert!(done.files.contains(&out.join("calibrate.provenance.toml")), "{:?}", done.files);
    assert_complete(&calibrate::CALIBRATE_SET, &out);
    assert_exit(&check_cmd(&fitted).output().unwrap(), 0, "check after the resumed calibration");
}

/// Replaces a whole set (`write`) killed as it enters each of its renames in turn: after every
/// kill, the set's reader either reads the previous set, every file as it was, or refuses the
/// directory with exit 2 as incomplete; never a mix of new and old files. (Before markers,
/// a kill between two files left new files beside old ones that the readers took as a
/// finished fit.)
fn kill_at_each_rename(
    set: &caseflow::output::MarkedSet,
    dir: &Path,
    write: &[std::ffi::OsString],
    reader: &dyn Fn() -> Command,
) -> usize {
    let names = with_marker(set);
    let previous = snapshot(dir, &names);
    let mut refusals = 0;
    let mut n = 1;
    while killed_at_rename(write, n) {
        let what = format!("{} killed at rename {n}", set.command);
        let o = reader().output().unwrap();
        assert_no_panic(&o, &what);
        let now = snapshot(dir, set.files);
        if o.status.success() {
            assert!(now == previous[..set.files.len()], "{what}: the reader took a set that is not the previous one");
        } else {
            assert_exit(&o, EXIT_BAD_INPUT, &what);
            assert!(text(&o.stderr).contains("are incomplete"), "{what}: {}", text(&o.stderr));
            refusals += 1;
        }
        restore(dir, &names, &previous);
        n += 1;
    }
    // Not killed: the new set is complete and read.
    assert_complete(set, dir);
    assert_exit(&reader().output().unwrap(), 0, &format!("{} after the uninterrupted write", set.command));
    assert!(refusals > 0, "{}: no kill left a set that was refused", set.command);
    n - 1
}

#[test]
fn a_fit_command_killed_at_each_rename_never_leaves_a_mixed_set_that_is_read() {
    if !strace_can_inject() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let targets = share_targets(tmp.path());
    let fit = tmp.path().join("fit");
    let screen = tmp.path().join("screen");
    let scratch = tmp.path().join("scratch");
    assert_exit(&run(calibrate_args(&fit, "1")), 0, "calibrate");
    let fitted = fit.join("fitted.toml");
    let tiny = PathBuf::from(TINY);
    assert_exit(&run(ensemble_args(&tiny, &targets, &fit, "1")), 0, "ensemble");
    assert_exit(&run(screen_args(&targets, &screen)), 0, "screen");

    // The ensemble replaced by another seed's: the marker, three files, the marker.
    let ensemble = fit.join("ensemble.csv");
    let renames =
        kill_at_each_rename(&calibrate::ENSEMBLE_SET, &fit, &ensemble_args(&tiny, &targets, &fit, "2"), &|| {
            run_over(&ensemble, &scratch)
        });
    assert_eq!(renames, 5, "the ensemble's renames");

    // The calibration resumed with more budget: the marker, state.toml after the generation,
    // the four files of the report, the marker.
    let population = calibrate::load_free(Path::new(SMALL_FREE)).unwrap().population;
    let budget = (1 + population).to_string();
    let renames =
        kill_at_each_rename(&calibrate::CALIBRATE_SET, &fit, &calibrate_args(&fit, &budget), &|| check_cmd(&fitted));
    assert_eq!(renames, 7, "the calibration's renames");

    // The screen again, with another seed.
    let screened = screen.join("screened.free.toml");
    let mut again = screen_args(&targets, &screen);
    again.extend(["--seed".into(), "2".into()]);
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let renames = kill_at_each_rename(&calibrate::SCREEN_SET, &screen, &again, &|| {
        // The reader of screened.free.toml: refused at once, or a one-evaluation calibration
        // (each into a directory of its own: a calibration resumes only from its own inputs).
        let k = calls.fetch_add(1, Ordering::SeqCst);
        calibrate_with_free(&screened, &scratch.join(format!("c{k}")))
    });
    assert_eq!(renames, 5, "the screen's renames");
}
