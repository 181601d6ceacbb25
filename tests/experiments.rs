//! Experiments (issue 21): common random numbers keep a change out of the years before it
//! (contamination test), and the `diff`, `sweep`, `sensitivity` and `attribute` commands as a
//! user meets them: located errors with exit status 2, results never overwritten without
//! `--force`, a sweep killed with SIGKILL resumed to the same bytes as a sweep never
//! interrupted, attributions that add up.
//!
//! `CASEFLOW_SALIB=1` also runs `scripts/salib-check.sh` (SALib from PyPI; slow).

mod common;
use common::*;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use caseflow::batch::{Batch, Runner, ScenarioRuns};
use caseflow::scenario::edit::{entry_ranges, locate, splice};
use caseflow::scenario::{self, Scenario};
use toml::de::DeTable;

/// A fresh directory under the system's temporary folder.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("caseflow-experiments-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn set_value(text: &str, key: &str, value: &str) -> String {
    let doc = DeTable::parse(text).unwrap();
    let at = locate(doc.get_ref(), key).unwrap_or_else(|e| panic!("{key}: {e}"));
    splice(text, &[(at.span, value.to_string())]).unwrap()
}

/// `line` inserted as the first key of the `[[array]]` entry from `date`.
fn insert_in_entry(text: &str, array: &str, date: &str, line: &str) -> String {
    let doc = DeTable::parse(text).unwrap();
    let ranges = entry_ranges(text, doc.get_ref(), array).unwrap();
    let range = ranges
        .iter()
        .find(|r| text[(*r).clone()].contains(&format!("from = {date}")))
        .unwrap_or_else(|| panic!("no [[{array}]] from {date}"));
    let at = range.start + text[range.start..].find('\n').unwrap() + 1;
    splice(text, &[(at..at, format!("{line}\n"))]).unwrap()
}

// ---------------------------------------------------------------- contamination

/// The runs every contamination check uses: three runs of master seed 1.
const RUNS: u64 = 3;

/// Runs `alt` on the base's runs up to the end of `first_changed_year` and checks that every
/// series of every run is exactly equal to the base's (`base`, run at least that far) in every
/// year before it, and that the change does change something in that year (else the test
/// would prove nothing).
fn assert_uncontaminated(runner: &Runner, base: &ScenarioRuns, alt: &Scenario, first_changed_year: i32, what: &str) {
    let a = runner.run(alt, &Batch::new(1, 0..RUNS).until(Some(first_changed_year)));
    assert_eq!(base.series, a.series);
    let (nb, na) = (base.years.len(), a.years.len());
    let mut changed_at_change = 0;
    for (rb, ra) in base.runs.iter().zip(&a.runs) {
        assert_eq!(rb.run_index, ra.run_index);
        for (s, name) in base.series.iter().enumerate() {
            for (y, &year) in a.years.iter().enumerate() {
                let (vb, va) = (rb.values[s * nb + y], ra.values[s * na + y]);
                if year < first_changed_year {
                    // Exactly zero difference: the same bits (NaN where both are NaN).
                    assert!(
                        vb.to_bits() == va.to_bits(),
                        "{what}: run {} `{name}` differs in {year}, before the change: {vb} vs {va}",
                        rb.run_index
                    );
                } else if vb.to_bits() != va.to_bits() {
                    changed_at_change += 1;
                }
            }
        }
    }
    assert!(
        changed_at_change > 0,
        "{what}: the change changes nothing in {first_changed_year}: the test proves nothing"
    );
}

/// Regression test for issue 21 (after Rceattle PR #124): a dated change leaves every year
/// before it exactly as it was, in every series and every run.
#[test]
fn issue_21_dated_changes_do_not_contaminate_earlier_years() {
    let path = repo_path("scenarios/kazakhstan.toml");
    let text = fs::read_to_string(&path).unwrap();
    let label = path.display().to_string();
    let base = scenario::load_str(&text, &label).unwrap();
    let runner = Runner::new(0).unwrap();
    // The base once, as far as any change below or any question needs.
    let base_runs = runner.run(&base, &Batch::new(1, 0..RUNS));
    let changes = [
        (
            "incentives 2009: no reversals weight",
            set_value(&text, "incentives[2009-01-01].trial_judge.reversals", "0.0"),
            2009,
        ),
        (
            "rules 2015: procurators may not appeal acquittals",
            insert_in_entry(&text, "rules", "2015-01-01", "procurator_appeal_acquittals = false"),
            2015,
        ),
        ("staff 2014: fewer judges", set_value(&text, "staff_change[2014-01-01].trial_judges", "500"), 2014),
    ];
    for (what, alt_text, year) in changes {
        let alt = scenario::load_str(&alt_text, &label).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_uncontaminated(&runner, &base_runs, &alt, year, what);
    }

    // The questions analysts ask of the shipped scenario, when there are any: the change's
    // year is the earliest `from` among dated entries the question has and the base has not.
    let questions = repo_path("scenarios/questions");
    let Ok(entries) = fs::read_dir(&questions) else { return };
    let base_doc = DeTable::parse(&text).unwrap();
    for entry in entries.flatten() {
        let qpath = entry.path();
        if qpath.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let qtext = fs::read_to_string(&qpath).unwrap();
        let Ok(alt) = scenario::load_str(&qtext, &qpath.display().to_string()) else { continue };
        let qdoc = DeTable::parse(&qtext).unwrap();
        let mut first: Option<i32> = None;
        for array in ["rules", "incentives", "staff_change", "campaign"] {
            let known: Vec<&str> =
                entry_ranges(&text, base_doc.get_ref(), array).unwrap().into_iter().map(|r| text[r].trim()).collect();
            for r in entry_ranges(&qtext, qdoc.get_ref(), array).unwrap() {
                let body = qtext[r].trim();
                if known.contains(&body) {
                    continue;
                }
                let year = body
                    .lines()
                    .find_map(|l| l.trim().strip_prefix("from = "))
                    .and_then(|d| d.get(..4))
                    .and_then(|y| y.parse::<i32>().ok());
                if let Some(y) = year {
                    first = Some(first.map_or(y, |f: i32| f.min(y)));
                }
            }
        }
        match first {
            Some(year) if year > base.calendar.first_year => {
                assert_uncontaminated(&runner, &base_runs, &alt, year, &qpath.display().to_string());
            }
            _ => eprintln!("{}: no new dated entry; not a dated change, skipped", qpath.display()),
        }
    }
}

// ---------------------------------------------------------------- diff

fn tiny() -> PathBuf {
    repo_path("tests/fixtures/tiny.toml")
}

/// The tiny scenario with the procurators' prison target raised from 2012.
fn tiny_alternative(dir: &Path) -> PathBuf {
    let text = fs::read_to_string(tiny()).unwrap();
    let alt = set_value(&text, "incentives[2012-01-01].procurator.prison_target", "3.0");
    let path = dir.join("tiny-alt.toml");
    fs::write(&path, alt).unwrap();
    path
}

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    fs::read_to_string(path).unwrap().lines().map(|l| l.split(',').map(str::to_string).collect()).collect()
}

#[test]
fn diff_writes_paired_differences_and_refuses_to_overwrite() {
    let dir = scratch("diff");
    let alt = tiny_alternative(&dir);
    let out = dir.join("out");
    let (tiny, alt, out_s) = (tiny(), alt.display().to_string(), out.display().to_string());
    let args = ["diff", tiny.to_str().unwrap(), &alt, "--seeds", "3", "--out", &out_s];
    let first = run(args);
    assert_exit(&first, 0, "diff");
    let stdout = text(&first.stdout);
    assert!(stdout.contains("How to read it"), "{stdout}");
    let rows = csv_rows(&out.join("diff.csv"));
    assert_eq!(rows[0].join(","), "series,year,base_mean,alt_mean,diff_mean,diff_sd,diff_lo,diff_hi,rel_change");
    // 2011 comes before the 2012 change: exactly zero, interval included (a ratio undefined
    // in every run is NaN in both).
    for row in rows.iter().skip(1).filter(|r| r[1] == "2011" && r[2] != "NaN") {
        assert_eq!(&row[4..8], ["0", "0", "0", "0"], "{row:?}");
    }
    assert!(rows.iter().skip(1).any(|r| r[1] == "2012" && r[4] != "0"), "the change shows in 2012");
    let prov: toml::Table = fs::read_to_string(out.join("provenance.toml")).unwrap().parse().unwrap();
    let scenarios = prov["scenario"].as_array().unwrap();
    assert_eq!(scenarios.len(), 2);
    assert_eq!(scenarios[0]["sha256"].as_str().unwrap().len(), 64);
    assert_ne!(scenarios[0]["sha256"].as_str(), scenarios[1]["sha256"].as_str());
    let h5 = hdf5::File::open(out.join("diff.h5")).unwrap();
    assert_eq!(h5.dataset("base/values").unwrap().shape()[0], 3);
    assert!(h5.dataset("provenance/alternative_scenario_text").is_ok());
    drop(h5);

    let again = run(args);
    assert_exit(&again, EXIT_BAD_INPUT, "diff into existing results");
    assert!(text(&again.stderr).contains("--force"), "{}", text(&again.stderr));
    let mut forced = args.to_vec();
    forced.push("--force");
    assert_exit(&run(&forced), 0, "diff --force");

    // Independent runs: Welch intervals, wider than the paired ones.
    let out2 = dir.join("independent").display().to_string();
    let ind = run(["diff", tiny.to_str().unwrap(), &alt, "--seeds", "4", "--out", &out2, "--independent"]);
    assert_exit(&ind, 0, "diff --independent");
    assert!(text(&ind.stdout).contains("Interval widths, independent runs / common random numbers: median"));
    let rows = csv_rows(&Path::new(&out2).join("diff.csv"));
    assert!(rows[0].ends_with(&["crn_lo".to_string(), "crn_hi".to_string(), "width_ratio".to_string()]));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn diff_refuses_bad_scenarios_with_located_errors() {
    let dir = scratch("diff-bad");
    let bad = dir.join("bad.toml");
    let broken = fs::read_to_string(tiny()).unwrap().replace("conscience = 6.0", "consciense = 6.0");
    fs::write(&bad, broken).unwrap();
    let out = run(["diff", tiny().to_str().unwrap(), bad.to_str().unwrap(), "--out", dir.join("o").to_str().unwrap()]);
    assert_exit(&out, EXIT_BAD_INPUT, "diff with a bad alternative");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("bad.toml:") && stderr.contains("consciense"), "{stderr}");
    assert!(!dir.join("o").exists(), "nothing written");
    // Two valid scenarios over different years: named, with their years.
    let shorter = dir.join("shorter.toml");
    fs::write(
        &shorter,
        fs::read_to_string(tiny()).unwrap().replace("first_reported_year = 2011", "first_reported_year = 2012"),
    )
    .unwrap();
    let out =
        run(["diff", tiny().to_str().unwrap(), shorter.to_str().unwrap(), "--out", dir.join("o").to_str().unwrap()]);
    assert_exit(&out, EXIT_BAD_INPUT, "diff over different years");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("tiny.toml reports 2011-2012 and ") && stderr.contains("shorter.toml reports 2012-2012"),
        "{stderr}"
    );
    assert!(!dir.join("o").exists(), "nothing written");
    let _ = fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------- sweep

fn write_sweep(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    let scenario = tiny().display().to_string();
    fs::write(&path, format!("scenario = \"{scenario}\"\n{body}")).unwrap();
    path
}

#[test]
fn sweep_files_are_checked_with_located_errors_before_anything_runs() {
    let dir = scratch("sweep-bad");
    let cases = [
        (
            "runs = 2\nrunz = 3\n[design]\nkind = \"grid\"\n[[param]]\nkey = \"behaviour.trial.conscience\"\nvalues = [1.0]\n",
            "sweep.toml:3:1: key `runz`: unknown key; did you mean `runs`?",
        ),
        (
            "[design]\nkind = \"sobol\"\nbase_samples = 10\n[[param]]\nkey = \"behaviour.trial.conscience\"\nmin = 1\nmax = 2\n",
            "sweep.toml:4:16: key `design.base_samples`: must be a power of 2",
        ),
        (
            "[design]\nkind = \"grid\"\n[[param]]\nkey = \"behaviour.trial.conscienc\"\nvalues = [1.0]\n",
            "sweep.toml:5:7: key `param `behaviour.trial.conscienc``: there is no key `conscienc` in `behaviour.trial`; did you mean `conscience`?",
        ),
        // One value under two keys, by date and by position: refused, naming both (it would
        // be set twice at every point).
        (
            "[design]\nkind = \"grid\"\n[[param]]\nkey = \"incentives[2012-01-01].procurator.prison_target\"\nvalues = [0.0, 2.0]\n\
             [[param]]\nkey = \"incentives[1].procurator.prison_target\"\nvalues = [1.0]\n",
            "sweep.toml:8:7: key `param `incentives[1].procurator.prison_target``: already swept by an earlier [[param]] as \
             `incentives[2012-01-01].procurator.prison_target` (line 5): both keys name \
             `incentives[1].procurator.prison_target` in ",
        ),
        (
            "[design]\nkind = \"grid\"\n[[param]]\nkey = \"rules[2011-07-01].detention_approver\"\nvalues = [\"judge\", \"nobody\"]\n",
            "point 1 of the design (rules[2011-07-01].detention_approver = \"nobody\") makes the scenario invalid",
        ),
    ];
    for (body, expected) in cases {
        let path = write_sweep(&dir, "sweep.toml", body);
        let out = run(["sweep", path.to_str().unwrap(), "--out", dir.join("o").to_str().unwrap()]);
        assert_exit(&out, EXIT_BAD_INPUT, expected);
        let stderr = text(&out.stderr).replace(&format!("{}/", dir.display()), "");
        assert!(stderr.contains(expected), "expected `{expected}` in:\n{stderr}");
        assert!(!dir.join("o").join("sweep.h5").exists());
    }
    let _ = fs::remove_dir_all(&dir);
}

/// The sweep files shipped in `scenarios/sweeps/` hold against the shipped scenario, every
/// point included.
#[test]
fn shipped_sweep_files_are_valid() {
    use caseflow::experiment::sweep_file::{SweepPlan, load_sweep};
    let dir = repo_path("scenarios/sweeps");
    let mut checked = 0;
    for entry in fs::read_dir(&dir).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let spec = load_sweep(&path).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        let text = fs::read_to_string(&spec.scenario).unwrap();
        let label = spec.scenario.display().to_string();
        let plan = SweepPlan::new(spec, &text, &label).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        plan.check_points(&plan.points()).unwrap();
        checked += 1;
    }
    assert!(checked > 0, "no sweep file in {}", dir.display());
}

/// A sweep killed with SIGKILL part-way, then run again with the same command, ends with the
/// same bytes as the same sweep run without interruption (into the same directory, so that
/// the recorded command line is the same).
#[test]
fn a_killed_sweep_resumes_to_the_same_bytes() {
    let dir = scratch("sweep-kill");
    let sweep = write_sweep(
        &dir,
        "grid.toml",
        "runs = 2\nseries = [\"trial.convicted\", \"detention.detained\"]\n[design]\nkind = \"grid\"\n\
         [[param]]\nkey = \"behaviour.trial.conscience\"\nmin = 2.0\nmax = 10.0\nlevels = 40\n\
         [[param]]\nkey = \"incentives[2012-01-01].procurator.prison_target\"\nvalues = [0.0, 1.0, 2.0]\n",
    );
    let out = dir.join("out");
    let args = ["sweep", sweep.to_str().unwrap(), "--out", out.to_str().unwrap(), "--threads", "2"];
    let started = Instant::now();
    assert_exit(&run(args), 0, "uninterrupted sweep");
    let full_time = started.elapsed();
    let reference = fs::read(out.join("sweep.h5")).unwrap();
    fs::remove_file(out.join("sweep.h5")).unwrap();

    // Kill once the journal holds some points but not all.
    let journal = out.join("sweep.journal");
    let mut child = caseflow().args(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + full_time * 20 + Duration::from_secs(30);
    let header_and_some = 200;
    loop {
        let len = fs::metadata(&journal).map(|m| m.len()).unwrap_or(0);
        if len > header_and_some || Instant::now() > deadline {
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let finished_first = child.try_wait().unwrap().is_some();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!finished_first, "the sweep finished before it could be killed (took {full_time:?} uninterrupted)");
    assert!(!out.join("sweep.h5").exists(), "killed before the end: no results file yet");
    assert!(journal.exists(), "the journal keeps the finished points");

    let resumed = run(args);
    assert_exit(&resumed, 0, "resumed sweep");
    assert!(text(&resumed.stderr).contains("resuming:"), "{}", text(&resumed.stderr));
    let after = fs::read(out.join("sweep.h5")).unwrap();
    assert!(after == reference, "the resumed sweep's file differs from the uninterrupted one");
    assert!(!journal.exists(), "the journal goes once the results are written");

    // Results are not overwritten without --force.
    assert_exit(&run(args), EXIT_BAD_INPUT, "sweep into existing results");
    let _ = fs::remove_dir_all(&dir);
}

/// Ctrl-C (SIGINT) finishes the points under way, keeps them, says how to resume, and exits
/// with 130; the same command then finishes the sweep.
#[test]
fn an_interrupted_sweep_says_how_to_resume() {
    let dir = scratch("sweep-int");
    let sweep = write_sweep(
        &dir,
        "grid.toml",
        "runs = 2\nseries = [\"trial.convicted\"]\n[design]\nkind = \"grid\"\n\
         [[param]]\nkey = \"behaviour.trial.conscience\"\nmin = 2.0\nmax = 10.0\nlevels = 300\n",
    );
    let out = dir.join("out");
    let args = ["sweep", sweep.to_str().unwrap(), "--out", out.to_str().unwrap()];
    let journal = out.join("sweep.journal");
    let child = caseflow().args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while fs::metadata(&journal).map(|m| m.len()).unwrap_or(0) < 200 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    // SAFETY: kill(2) on our own child, which has not been waited for, with a valid signal.
    let rc = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(rc, 0);
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    if output.status.code() == Some(0) {
        eprintln!("the sweep finished before the interrupt landed; nothing to check");
    } else {
        assert_exit(&output, 130, "interrupted sweep");
        assert!(stderr.contains("run the same command again to resume"), "{stderr}");
        assert!(!out.join("sweep.h5").exists());
        let resumed = run(args);
        assert_exit(&resumed, 0, "resumed after Ctrl-C");
        assert!(text(&resumed.stderr).contains("resuming:"), "{}", text(&resumed.stderr));
    }
    let h5 = hdf5::File::open(out.join("sweep.h5")).unwrap();
    assert_eq!(h5.dataset("points/values").unwrap().shape(), vec![300, 2, 1, 2]);
    drop(h5);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn sensitivity_of_a_small_sobol_sweep_and_refusals() {
    let dir = scratch("sensitivity");
    let sweep = write_sweep(
        &dir,
        "sobol.toml",
        "runs = 2\n[design]\nkind = \"sobol\"\nbase_samples = 8\n\
         [[param]]\nkey = \"behaviour.trial.conscience\"\nmin = 2.0\nmax = 10.0\n\
         [[param]]\nkey = \"incentives[2012-01-01].procurator.prison_target\"\nmin = 0.0\nmax = 2.0\n",
    );
    let out = dir.join("out");
    assert_exit(&run(["sweep", sweep.to_str().unwrap(), "--out", out.to_str().unwrap()]), 0, "sobol sweep");
    let s = run(["sensitivity", out.to_str().unwrap(), "--output", "detention.detained:2012"]);
    assert_exit(&s, 0, "sensitivity");
    let rows = csv_rows(&out.join("sobol_indices.csv"));
    assert_eq!(rows[0].join(","), "output,param,S1,S1_conf,ST,ST_conf,N,runs");
    assert_eq!(rows.len(), 3);
    assert_eq!(&rows[1][6..], ["8", "2"]);
    let y = fs::read_to_string(out.join("Y.txt")).unwrap();
    assert_eq!(y.lines().count(), 1 + 8 * 4, "a comment and N (D + 2) outputs");
    let design = fs::read_to_string(out.join("design.csv")).unwrap();
    assert_eq!(design.lines().count(), 1 + 8 * 4);
    assert!(fs::read_to_string(out.join("problem.json")).unwrap().contains("\"num_vars\": 2"));

    for (args, expected) in [
        (vec!["--output", "detention.detaned:2012"], "did you mean `detention.detained`?"),
        (vec!["--output", "detention.detained:1990"], "the sweep holds the years 2011 to 2012"),
        (vec!["--output", "detention.detained:2012"], "already exists"),
    ] {
        let mut all = vec!["sensitivity", out.to_str().unwrap()];
        all.extend(args);
        let r = run(&all);
        assert_exit(&r, EXIT_BAD_INPUT, expected);
        assert!(text(&r.stderr).contains(expected), "expected `{expected}` in:\n{}", text(&r.stderr));
    }
    let _ = fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------- attribute

#[test]
fn attribution_adds_up_and_names_its_players() {
    let dir = scratch("attribute");
    let out = dir.join("out");
    let r = run([
        "attribute",
        tiny().to_str().unwrap(),
        "--from",
        "2011",
        "--to",
        "2012",
        "--series",
        "detention.detained,trial.convicted",
        "--seeds",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_exit(&r, 0, "attribute");
    let stdout = text(&r.stdout);
    for expected in [
        "incentives 2012-01-01",
        "campaign \"drug cases\" ends",
        "inflow",
        "efficiency:",
        "largest pairwise interaction",
    ] {
        assert!(stdout.contains(expected), "missing `{expected}` in:\n{stdout}");
    }
    let rows = csv_rows(&out.join("attribution.csv"));
    assert_eq!(rows[0].join(","), "series,player,contribution,share,se");
    for series in ["detention.detained", "trial.convicted"] {
        let value = |player: &str| -> f64 {
            rows.iter().find(|r| r[0] == series && r[1].starts_with(player)).unwrap()[2].parse().unwrap()
        };
        let players: f64 = rows
            .iter()
            .filter(|r| r[0] == series && !r[1].starts_with('('))
            .map(|r| r[2].parse::<f64>().unwrap())
            .sum();
        assert!((players - value("(all players)")).abs() < 1e-9, "{series}: contributions do not add up");
        assert!((players + value("(other effects)") - value("(observed change")).abs() < 1e-9);
    }
    let bad =
        run(["attribute", tiny().to_str().unwrap(), "--from", "2012", "--to", "2011", "--out", out.to_str().unwrap()]);
    assert_exit(&bad, EXIT_BAD_INPUT, "attribute backwards");
    let _ = fs::remove_dir_all(&dir);
}

/// SALib's own analysis of caseflow's exported designs and outputs (`scripts/salib-check.sh`):
/// only with `CASEFLOW_SALIB=1`, as it installs SALib from PyPI.
#[test]
fn salib_agrees_when_asked() {
    if std::env::var("CASEFLOW_SALIB").as_deref() != Ok("1") {
        eprintln!("skipped: set CASEFLOW_SALIB=1 to run scripts/salib-check.sh");
        return;
    }
    let out = Command::new("bash").arg(repo_path("scripts/salib-check.sh")).output().unwrap();
    assert!(out.status.success(), "salib-check failed:\n{}\n{}", text(&out.stdout), text(&out.stderr));
}

// ---------------------------------------------------------------- absurd requests

/// Requests that could only end in an allocation failure or a panic are refused before
/// anything runs, with exit 2 and nothing written: runs whose results would not fit in memory
/// (run, diff, attribute), and an attribution of more than 12 dated changes without sampled
/// permutations (the shipped scenario has 19 between 2000 and 2018).
#[test]
fn absurd_requests_are_refused_before_anything_runs() {
    let dir = scratch("absurd");
    let shipped = repo_path("scenarios/kazakhstan.toml");
    let shipped = shipped.to_str().unwrap();
    let tiny = tiny();
    let tiny = tiny.to_str().unwrap();
    let out = dir.join("out");
    let out = out.to_str().unwrap();
    let cases: [(Vec<&str>, &str); 4] = [
        (vec!["run", tiny, "--seeds", "99999999999999", "--out", out], "runs would keep about"),
        (vec!["diff", tiny, tiny, "--seeds", "99999999999999", "--out", out], "runs would keep about"),
        (
            vec!["attribute", tiny, "--from", "2011", "--to", "2012", "--seeds", "99999999999999", "--out", out],
            "runs would keep about",
        ),
        (
            vec![
                "attribute",
                shipped,
                "--from",
                "2000",
                "--to",
                "2018",
                "--permutations",
                "0",
                "--series",
                "trial.convicted",
                "--out",
                out,
            ],
            "--permutations must be at least 1",
        ),
    ];
    for (args, says) in cases {
        let r = run(args.clone());
        assert_exit(&r, EXIT_BAD_INPUT, says);
        assert!(text(&r.stderr).contains(says), "{args:?}: expected `{says}` in:\n{}", text(&r.stderr));
        assert!(!Path::new(out).exists(), "{args:?} left {out}");
    }
    let _ = fs::remove_dir_all(&dir);
}
