//! `caseflow compare` and `caseflow calibrate`: exact hit counts and losses on a hand-made
//! fixture, located errors for bad inputs, recovery of known parameters from targets the model
//! generated itself, and bit-identical results for repeated and for interrupted-then-resumed
//! calibrations.
//!
//! The calibration tests prepare about 200 candidate scenarios and run each a few times; most
//! of the time goes to preparing (`engine::Model::new` tabulates the Beta distributions, about
//! 0.17 s in release), little to the runs (about 3 ms each). About 20 s in release on 2 cores
//! (`cargo test --release --test calibrate`), about 2 minutes in the debug profile.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use caseflow::batch::{Batch, Runner};
use caseflow::calibrate::{
    self, CalibrateError, CalibrateOptions, CalibrationOutcome, CalibrationSpec, Objective, Progress, Status,
    StopReason, TargetRow, Template,
};
use caseflow::scenario;

mod common;

fn fixture(name: &str) -> PathBuf {
    Path::new("tests/fixtures/calibrate").join(name)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

// ---------------------------------------------------------------------------------------------
// compare
// ---------------------------------------------------------------------------------------------

/// The fixture's expectations, worked out by hand (targets.csv notes say the same per row):
///
/// | row | published | mean (p05-p95) | result | e | row loss |
/// |---|---|---|---|---|---|
/// | procurator.sent_to_court 2011 | 1000 | 1100 (1050-1150) | hit, rel +10% | 0.1 | 0.01 |
/// | procurator.sent_to_court 2012 | 1000 | 1200 (1150-1250) | miss, +20% | 0.2 | 0.04 |
/// | trial.convicted 2011 | 500 | 700 (450-900) | hit, in band | 0.4 | 0.16 |
/// | court.cases_heard 2011 (trial) | 800 | 400 (350-450) | miss, -50% | -0.5 | 0.25 |
/// | jury.acquittal_rate 2011 | 0.10 | 0.115 (0.11-0.12) | hit, rel 15% | 0.15 | 0.0225 |
/// | jury.acquittal_rate 2012 | 0.05 | 0.069 (0.065-0.075) | hit, abs 0.019 | 0.38 | 0.1444 |
/// | sentencing.prison_share 2011 (prison) | 0.50 | 0.40 (0.38-0.42) | miss, abs 0.10 | -0.2 | 0.04 |
/// | prison.population 2011 | 1000 | NaN | miss | - | 1 |
/// | torture.cases_opened 2011 | 10 | absent | missing | - | 1 |
/// | torture.cases_to_court 2011 | 0 | 0 (0-0) | hit, in band | 0 | 0 |
/// | appeal.acquittals_overturned 2013 | 5 | absent year | missing | - | 1 |
/// | province.North.convicted_public 2011 | 100 | 300 (250-350) | miss, +200% | 2 | 1 (capped) |
///
/// Groups (in report order): procurator 1/2, loss 0.025; trial 1/2, 0.205; jury 2/2, 0.08345;
/// prison 0/2, 0.52; appeal 0/1, 1; torture 1/2, 0.5; province 0/1, 1. Overall: 5 hits of 12,
/// 2 missing, loss (0.025 + 0.205 + 0.08345 + 0.52 + 1 + 0.5 + 1) / 7 = 3.33345 / 7.
#[test]
fn compare_on_the_fixture_gives_exact_hits_and_loss() {
    let results = calibrate::read_results(&fixture("results")).expect("fixture results read");
    assert_eq!(results.info.scenario_name, "tiny");
    assert_eq!(results.info.master_seed, "7");
    assert_eq!(results.info.n_runs, 4);
    let targets = calibrate::load_targets(&fixture("targets.csv")).expect("fixture targets read");
    assert_eq!(targets.len(), 13, "12 targets and 1 input");
    assert_eq!(targets[3].source, "made up, with a comma", "a quoted field keeps its comma");

    let c = calibrate::compare(&results.summary, &targets, None);
    assert_eq!(c.total(), 12, "the input row is not compared");
    assert_eq!(c.hits(), 5);
    assert_eq!(c.missing(), 2);
    let status: Vec<(&str, i32, Status)> = c.rows.iter().map(|r| (r.series.as_str(), r.year, r.status)).collect();
    use Status::{Hit, Miss, Missing};
    assert_eq!(
        status,
        vec![
            ("procurator.sent_to_court", 2011, Hit),
            ("procurator.sent_to_court", 2012, Miss),
            ("trial.convicted", 2011, Hit),
            ("court.cases_heard", 2011, Miss),
            ("jury.acquittal_rate", 2011, Hit),
            ("jury.acquittal_rate", 2012, Hit),
            ("sentencing.prison_share", 2011, Miss),
            ("prison.population", 2011, Miss),
            ("appeal.acquittals_overturned", 2013, Missing),
            ("torture.cases_opened", 2011, Missing),
            ("torture.cases_to_court", 2011, Hit),
            ("province.North.convicted_public", 2011, Miss),
        ]
    );
    let groups: Vec<(&str, usize, usize, usize)> =
        c.groups.iter().map(|g| (g.group.as_str(), g.hits, g.rows, g.missing)).collect();
    assert_eq!(
        groups,
        vec![
            ("procurator", 1, 2, 0),
            ("trial", 1, 2, 0),
            ("jury", 2, 2, 0),
            ("prison", 0, 2, 0),
            ("appeal", 0, 1, 1),
            ("torture", 1, 2, 1),
            ("province", 0, 1, 0),
        ]
    );
    let losses: Vec<f64> = c.groups.iter().map(|g| g.loss).collect();
    for (got, want) in losses.iter().zip([0.025, 0.205, 0.08345, 0.52, 1.0, 0.5, 1.0]) {
        assert!(close(*got, want), "group losses {losses:?}");
    }
    assert!(close(c.loss(), 3.33345 / 7.0), "loss {}", c.loss());

    // Only 2012-2013: sent_to_court 2012 (miss, 0.04), jury 2012 (hit, 0.1444), appeal 2013
    // (missing, 1): one group each, loss (0.04 + 0.1444 + 1) / 3.
    let late = calibrate::compare(&results.summary, &targets, Some(2012..=2013));
    assert_eq!((late.total(), late.hits(), late.missing()), (3, 1, 1));
    assert!(close(late.loss(), 1.1844 / 3.0), "loss {}", late.loss());
    // The tolerant loss of calibration: errors of 0.2 and 0.38 cost (0.2 - 0.1)^2 and
    // (0.38 - 0.1)^2 at tolerance 0.1, nothing at 0.5; a missing row still costs 1; and at
    // tolerance 0 it is the compare loss, bit for bit.
    assert!(close(late.loss_beyond(0.1), (0.01 + 0.0784 + 1.0) / 3.0), "{}", late.loss_beyond(0.1));
    assert!(close(late.loss_beyond(0.5), 1.0 / 3.0), "{}", late.loss_beyond(0.5));
    assert_eq!(c.loss_beyond(0.0).to_bits(), c.loss().to_bits());

    let table = c.table();
    assert!(table.contains("hits: 5 of 12 targets (2 missing from the results"), "{table}");
    assert!(table.contains("jury: 2 of 2 hits, loss 0.0835"), "{table}");
    let csv = c.csv();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("series,year,group,published,mean,p05,p95,rel_error,abs_error,hit"));
    assert_eq!(lines.next(), Some("procurator.sent_to_court,2011,procurator,1000,1100,1050,1150,0.1,100,hit"));
    assert!(csv.contains("\ntorture.cases_opened,2011,torture,10,NaN,NaN,NaN,NaN,NaN,missing\n"), "{csv}");
    assert_eq!(csv.lines().count(), 13, "header and 12 rows, no totals");
}

#[test]
fn compare_results_writes_its_csv_and_requires_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("compare.csv");
    let report =
        calibrate::compare_results(&fixture("results"), &fixture("targets.csv"), None, None, Some(&out), "test")
            .unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), report.comparison.csv());
    assert!(report.header().contains("scenario `tiny`"), "{}", report.header());
    assert!(report.header().contains("master seed 7, 4 runs"), "{}", report.header());

    // The same summary without its provenance.toml is refused.
    let bare = dir.path().join("bare");
    std::fs::create_dir(&bare).unwrap();
    std::fs::copy(fixture("results/summary.csv"), bare.join("summary.csv")).unwrap();
    let err = calibrate::compare_results(&bare, &fixture("targets.csv"), None, None, Some(&out), "test").unwrap_err();
    assert!(err.is_bad_input());
    assert!(err.to_string().contains("provenance.toml: no provenance"), "{err}");

    // It replaces an earlier comparison, and nothing else: not the run's own files, not its
    // targets, not a directory (each refused as bad input, the file as it was).
    let again =
        calibrate::compare_results(&fixture("results"), &fixture("targets.csv"), None, None, Some(&out), "test")
            .unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), again.comparison.csv());
    let run = dir.path().join("run");
    std::fs::create_dir(&run).unwrap();
    for name in ["summary.csv", "provenance.toml"] {
        std::fs::copy(fixture("results").join(name), run.join(name)).unwrap();
    }
    let targets = dir.path().join("targets.csv");
    std::fs::copy(fixture("targets.csv"), &targets).unwrap();
    for victim in [run.join("summary.csv"), run.join("provenance.toml"), targets.clone(), run.clone()] {
        let before = std::fs::read(&victim).ok();
        let err = calibrate::compare_results(&run, &targets, None, None, Some(&victim), "test").unwrap_err();
        assert!(err.is_bad_input(), "{}: {err}", victim.display());
        assert!(err.to_string().contains("`compare` replaces only an earlier comparison"), "{err}");
        assert_eq!(std::fs::read(&victim).ok(), before, "{} changed", victim.display());
    }
}

/// Fitted on 2011, the rows of 2012 and 2013 are forecasts: procurator.sent_to_court 2012
/// (+20%: a miss in sample, a hit as a forecast within 25%), jury.acquittal_rate 2012 (a hit
/// either way, 0.019 off) and appeal 2013 (missing). The 9 rows of 2011 keep their 4 hits.
#[test]
fn compare_reports_the_forecast_years_apart() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("compare.csv");
    let report = calibrate::compare_results(
        &fixture("results"),
        &fixture("targets.csv"),
        None,
        Some(2011..=2011),
        Some(&out),
        "test",
    )
    .unwrap();
    let split = report.split.expect("a split with --fit-years");
    assert_eq!((split.fitted_rows, split.fitted_hits), (9, 4));
    assert_eq!((split.forecast_rows, split.forecast_hits, split.forecast_strict_hits), (3, 2, 1));
    let text = split.describe();
    assert!(text.contains("fitted years 2011-2011: 4 of 9 hits"), "{text}");
    assert!(
        text.contains(
            "forecast years (after 2011): 2 of 3 hits (band, 25%, or 0.03 for shares); 1 by the in-sample rule"
        ),
        "{text}"
    );
    // The CLI prints the same lines.
    let o = common::run([
        "compare",
        fixture("results").to_str().unwrap(),
        "--targets",
        fixture("targets.csv").to_str().unwrap(),
        "--fit-years",
        "2011",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        common::text(&o.stdout).contains("forecast years (after 2011): 2 of 3 hits"),
        "{}",
        common::text(&o.stdout)
    );
}

/// A comparison written elsewhere (`--out`) says how it was made: beside the CSV,
/// `<stem>.provenance.toml` holds the run's provenance (scenario, seeds, the caseflow that made
/// it), the targets file and its SHA-256, the CSV's SHA-256 and this caseflow; the printed
/// header says the same. The CSV itself is unchanged (its readers, such as
/// scripts/check-seeds.sh, take every line after the first as a row). A file at the provenance
/// path that is not an earlier comparison's is refused and left as it was.
#[test]
fn a_comparison_written_elsewhere_carries_its_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("elsewhere").join("mine.csv");
    let results = fixture("results");
    let targets = fixture("targets.csv");
    let compare = || {
        common::run([
            "compare".as_ref(),
            results.as_os_str(),
            "--targets".as_ref(),
            targets.as_os_str(),
            "--years".as_ref(),
            "2011-2012".as_ref(),
            "--fit-years".as_ref(),
            "2011".as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
        ])
    };
    let o = compare();
    common::assert_exit(&o, 0, "compare --out elsewhere");
    let sidecar = dir.path().join("elsewhere").join("mine.provenance.toml");
    let text = std::fs::read_to_string(&sidecar).expect("the comparison's provenance beside the CSV");
    let prov: toml::Table = text.parse().unwrap();
    let csv = std::fs::read(&out).unwrap();
    let sha = |bytes: &[u8]| toml::Value::String(caseflow::output::sha256_hex(bytes));
    let get = |path: &[&str]| {
        let mut v = prov.get(path[0]).unwrap_or_else(|| panic!("no {path:?} in:\n{text}"));
        for key in &path[1..] {
            v = v.get(key).unwrap_or_else(|| panic!("no {path:?} in:\n{text}"));
        }
        v.clone()
    };
    let s = |v: &str| toml::Value::String(v.to_string());
    assert_eq!(get(&["csv"]), s("mine.csv"));
    assert_eq!(get(&["csv_sha256"]), sha(&csv));
    assert_eq!(get(&["crate_version"]), s(caseflow::output::CRATE_VERSION));
    assert_eq!(get(&["git_revision"]), s(caseflow::output::GIT_REVISION));
    assert!(get(&["command_line"]).as_str().unwrap().contains("--years 2011-2012"), "{text}");
    assert_eq!(get(&["years"]), toml::Value::Array(vec![2011.into(), 2012.into()]));
    assert_eq!(get(&["fit_years"]), toml::Value::Array(vec![2011.into(), 2011.into()]));
    assert_eq!(get(&["targets", "file"]), s("tests/fixtures/calibrate/targets.csv"));
    assert_eq!(get(&["targets", "sha256"]), sha(&std::fs::read(&targets).unwrap()));
    assert_eq!(get(&["results", "scenario_name"]), s("tiny"));
    assert_eq!(get(&["results", "scenario_path"]), s("tests/fixtures/tiny.toml"));
    assert_eq!(get(&["results", "master_seed"]), toml::Value::Integer(7));
    assert_eq!(get(&["results", "run_indices"]), toml::Value::Array((0..4).map(toml::Value::Integer).collect()));
    assert_eq!(get(&["results", "git_revision"]), s("fixture"));
    assert_eq!(get(&["results", "provenance_sha256"]), sha(&std::fs::read(results.join("provenance.toml")).unwrap()));
    let stdout = common::text(&o.stdout);
    let targets_sha = caseflow::output::sha256_hex(&std::fs::read(&targets).unwrap());
    for words in [
        "made by caseflow 0.1.0 (git fixture)".to_string(),
        format!("targets: tests/fixtures/calibrate/targets.csv (SHA-256 {targets_sha})"),
        format!("compared by caseflow {} (git {})", caseflow::output::CRATE_VERSION, caseflow::output::GIT_REVISION),
        format!("how: {}", sidecar.display()),
    ] {
        assert!(stdout.contains(&words), "no {words:?} in:\n{stdout}");
    }
    // The CSV holds its header and rows only, as before.
    let csv_text = String::from_utf8(csv).unwrap();
    assert!(csv_text.starts_with("series,year,group,"), "{csv_text}");
    assert!(csv_text.lines().skip(1).all(|l| l.split(',').count() == 10), "{csv_text}");

    // Another file where the provenance goes is not replaced.
    std::fs::write(&sidecar, "my notes\n").unwrap();
    let o = compare();
    common::assert_exit(&o, common::EXIT_BAD_INPUT, "compare onto a foreign file");
    assert!(common::text(&o.stderr).contains("mine.provenance.toml: a file that is not a comparison"));
    assert_eq!(std::fs::read_to_string(&sidecar).unwrap(), "my notes\n");
    std::fs::remove_file(&sidecar).unwrap();
    common::assert_exit(&compare(), 0, "compare again");
    assert!(std::fs::read_to_string(&sidecar).unwrap().starts_with("# How the comparison beside this file was made"));
    common::assert_exit(&compare(), 0, "compare replaces its own comparison");
}

/// `--years` with no target row in them is bad input (exit 2) for `compare` and `report`, with
/// the years asked and those the targets file covers named; nothing is written. (It was exit 0,
/// "no target rows to compare", which reads as a result.) The fixture's targets are of 2011-2013,
/// with an input row of 2011 that does not count.
#[test]
fn years_without_target_rows_are_refused_naming_both_spans() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("compare.csv");
    let results = fixture("results");
    let targets = fixture("targets.csv");
    let compare = |years: &str| {
        common::run([
            "compare".as_ref(),
            results.as_os_str(),
            "--targets".as_ref(),
            targets.as_os_str(),
            "--years".as_ref(),
            years.as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
        ])
    };
    for (years, asked) in [("1990-1995", "1990-1995"), ("2014", "2014")] {
        let o = compare(years);
        common::assert_exit(&o, common::EXIT_BAD_INPUT, &format!("compare --years {years}"));
        let err = common::text(&o.stderr);
        let want = format!(
            "tests/fixtures/calibrate/targets.csv: no target rows in {asked} (--years): it has target rows for \
             2011-2013"
        );
        assert!(err.contains(&want), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!out.exists(), "nothing is written");
    }
    common::assert_exit(&compare("2013"), 0, "compare --years 2013 (one target row)");

    let html = dir.path().join("report.html");
    let o = common::run([
        "report".as_ref(),
        results.as_os_str(),
        "--targets".as_ref(),
        targets.as_os_str(),
        "--years".as_ref(),
        "1990".as_ref(),
        "-o".as_ref(),
        html.as_os_str(),
    ]);
    common::assert_exit(&o, common::EXIT_BAD_INPUT, "report --years 1990");
    assert!(common::text(&o.stderr).contains("no target rows in 1990 (--years): it has target rows for 2011-2013"));
    assert!(!html.exists(), "no page is written");

    // A targets file of inputs only has nothing to compare, whatever the years.
    let inputs = dir.path().join("inputs.csv");
    std::fs::write(&inputs, "series,year,value,unit,kind\nregistered.crimes,2011,5000,cases,input\n").unwrap();
    let o = common::run([
        "compare".as_ref(),
        results.as_os_str(),
        "--targets".as_ref(),
        inputs.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    common::assert_exit(&o, common::EXIT_BAD_INPUT, "compare with inputs only");
    assert!(common::text(&o.stderr).contains("no target rows to compare: it has no target rows at all (only inputs)"));
}

#[test]
fn target_csv_errors_name_file_line_and_column() {
    let err = calibrate::load_targets(&fixture("bad_targets.csv")).unwrap_err();
    let CalibrateError::Input(problems) = &err else { panic!("expected input problems, got {err}") };
    let found: Vec<(usize, &str)> = problems.iter().map(|p| (p.line, p.field.as_str())).collect();
    assert_eq!(
        found,
        vec![(3, "column `year`"), (4, "column `value`"), (5, "column `kind`"), (6, ""), (7, "")],
        "{err}"
    );
    let text = err.to_string();
    assert!(text.contains("bad_targets.csv:3: column `year`: expected a year (an integer), found `20x1`"), "{text}");
    assert!(text.contains("bad_targets.csv:6: expected 7 fields (as in the header), found 6"), "{text}");
    assert!(text.contains("bad_targets.csv:7: duplicate target: trial.acquitted 2010 is already given on line 2"));
    assert!(text.ends_with("5 errors in tests/fixtures/calibrate/bad_targets.csv"), "{text}");

    let err = calibrate::parse_targets("series,year,value,unit,kind\na,2000,1,cases,target\n\"b,2001", "t.csv")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("t.csv:3: unbalanced quotes: a quoted field is never closed"), "{err}");
    let err = calibrate::parse_targets("series,year,value,units,kind\n", "t.csv").unwrap_err().to_string();
    assert!(err.contains("t.csv:1: column 4: unknown column `units`"), "{err}");
    assert!(err.contains("t.csv:1: column `unit`: required column is missing"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// FREE.toml
// ---------------------------------------------------------------------------------------------

#[test]
fn free_toml_errors_are_located() {
    // Every value out of its range, in one pass.
    let text = "[calibration]\nseeds = 0\ntolerance = 1\nobjective = \"hits\"\n[[free]]\nkey = \"behaviour.trial.effort_acquittal\"\nmin = 5.0\nmax = 2.0\n\n[[free]]\nkey = \"behaviour.trial.effort_acquittal\"\nmin = 1\nmax = 9\n";
    let err = calibrate::parse_free(text, "FREE.toml").unwrap_err().to_string();
    for expected in [
        "FREE.toml:2:9: key `calibration.seeds`: expected an integer 1 to 100000, found 0",
        "FREE.toml:3:13: key `calibration.tolerance`: expected a number in [0, 1), found 1",
        "FREE.toml:4:13: key `calibration.objective`: expected \"loss\" or \"soft_misses\", found \"hits\"",
        "FREE.toml:8:7: key `free[0].max`: max (2) must be greater than min (5)",
    ] {
        assert!(err.contains(expected), "missing `{expected}` in:\n{err}");
    }
    assert!(err.ends_with("4 errors in FREE.toml"), "{err}");
    // Structure and types are checked first (serde, with unknown keys denied): the first such
    // problem, at its line and column, with the key's path.
    let free = "[[free]]\nkey = \"behaviour.trial.effort_acquittal\"\nmin = 1\nmax = 9\n";
    for (text, expected) in [
        (
            format!("[calibration]\nseeds = 4\nspeed = 1\n{free}"),
            "FREE.toml:3:1: key `calibration.speed`: unknown field `speed`, expected one of `targets_years`, ",
        ),
        (
            format!("{free}step = 1\n"),
            "FREE.toml:5:1: key `free[0].step`: unknown field `step`, expected one of `key`, `min`, `max`",
        ),
        (format!("{free}[[free]]\nkey = \"x\"\nmax = 1\n"), "FREE.toml:5:1: key `free[1]`: missing field `min`"),
        (
            format!("[calibrate]\n{free}"),
            "FREE.toml:1:2: key `calibrate`: unknown field `calibrate`, expected `calibration` or `free`",
        ),
        (
            format!("[calibration]\nseeds = 2.5\n{free}"),
            "FREE.toml:2:9: key `calibration.seeds`: invalid type: floating point `2.5`, expected i64",
        ),
    ] {
        let err = calibrate::parse_free(&text, "FREE.toml").unwrap_err();
        assert!(err.is_bad_input());
        assert!(err.to_string().starts_with(expected), "expected `{expected}`, got:\n{err}");
    }
    // A pull on missed rows (a number in [0, 1]) and rows inside the band as hits (a boolean):
    // each only for soft_misses.
    for (line, expected) in [
        ("far_pull = 2", "F.toml:2:12: key `calibration.far_pull`: expected a number in [0, 1], found 2"),
        ("far_pull = 0.2", "F.toml:2:12: key `calibration.far_pull`: applies only with objective = \"soft_misses\""),
        ("band_hits = 1", "F.toml:2:13: key `calibration.band_hits`: invalid type: integer `1`, expected a boolean"),
        ("band_hits = true", "F.toml:2:13: key `calibration.band_hits`: applies only with objective = \"soft_misses\""),
    ] {
        let err = calibrate::parse_free(&format!("[calibration]\n{line}\n{free}"), "F.toml").unwrap_err();
        assert!(err.to_string().contains(expected), "{line}: {err}");
    }
    let spec =
        calibrate::parse_free(&format!("[calibration]\nobjective = \"soft_misses\"\nfar_pull = 0.2\n{free}"), "F.toml")
            .unwrap();
    assert_eq!(spec.far_pull, 0.2);
    assert!(!spec.band_hits, "off by default");

    // Keys are checked against the scenario, with the FREE.toml line of the key.
    let tiny = std::fs::read_to_string("tests/fixtures/tiny.toml").unwrap();
    let spec = calibrate::parse_free(
        "[[free]]\nkey = \"behaviour.trial.effort_aquittal\"\nmin = 1\nmax = 9\n\n\
         [[free]]\nkey = \"behaviour.sentencing.custodial_logit\"\nmin = 1\nmax = 9\n\n\
         [[free]]\nkey = \"behaviour.private.police_registration\"\nmin = 0.1\nmax = 1.5\n\n\
         [[free]]\nkey = \"behaviour.learning.period_days\"\nmin = 10.2\nmax = 10.8\n\n\
         [[free]]\nkey = \"behaviour.trial.conscience\"\nmin = 100\nmax = 200\n",
        "FREE.toml",
    )
    .expect("well-formed");
    let err = Template::new(&tiny, "tiny.toml", &spec).unwrap_err().to_string();
    for expected in [
        "FREE.toml:2:7: key `behaviour.trial.effort_aquittal`: there is no key `effort_aquittal` in `behaviour.trial`; did you mean `effort_acquittal`?",
        "FREE.toml:7:7: key `behaviour.sentencing.custodial_logit`: `behaviour.sentencing.custodial_logit` is a table, not a number",
        "FREE.toml:12:7: key `behaviour.private.police_registration`: the scenario does not accept max = 1.5 here",
        "FREE.toml:17:7: key `behaviour.learning.period_days`: the scenario wants an integer here, and no integer lies in [10.2, 10.8]",
        // Never clamped in silence: the fit would start, and a screen look, where the scenario
        // never was.
        "FREE.toml:22:7: key `behaviour.trial.conscience`: the scenario's value 6 lies outside the bounds [100, 200]; widen the bounds or change the value in tiny.toml",
    ] {
        assert!(err.contains(expected), "missing `{expected}` in:\n{err}");
    }
}

/// One number under two keys (a dated entry by its date and by its position) is one free
/// parameter named twice: refused by `calibrate`, `screen` and `ensemble` before anything runs,
/// at the second key's line, naming both keys (the key strings differ, so FREE.toml alone
/// cannot tell).
#[test]
fn one_number_under_two_keys_is_refused_with_both_named() {
    let dir = tempfile::tempdir().unwrap();
    let free = dir.path().join("FREE.toml");
    std::fs::write(
        &free,
        "[[free]]\nkey = \"incentives[2012-01-01].procurator.prison_target\"\nmin = 0.0\nmax = 3.0\n\n\
         [[free]]\nkey = \"incentives[1].procurator.prison_target\"\nmin = 0.0\nmax = 3.0\n",
    )
    .unwrap();
    let label = free.display().to_string();
    let expected = format!(
        "{label}:7:7: key `incentives[1].procurator.prison_target`: already a free parameter as \
         `incentives[2012-01-01].procurator.prison_target` (line 2): both keys name \
         `incentives[1].procurator.prison_target` in tests/fixtures/tiny.toml\n1 error in {label}\n"
    );
    let spec = calibrate::load_free(&free).expect("well-formed on its own");
    let tiny = std::fs::read_to_string("tests/fixtures/tiny.toml").unwrap();
    let err = Template::new(&tiny, "tests/fixtures/tiny.toml", &spec).unwrap_err();
    assert!(err.is_bad_input());
    assert_eq!(format!("{err}\n"), expected);
    let targets = fixture("targets.csv");
    for command in ["calibrate", "screen", "ensemble"] {
        let out = dir.path().join(command);
        let o = common::run([
            command,
            "tests/fixtures/tiny.toml",
            "--targets",
            targets.to_str().unwrap(),
            "--free",
            free.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        common::assert_exit(&o, common::EXIT_BAD_INPUT, command);
        assert_eq!(common::text(&o.stderr), expected, "{command}");
        // (`screen` and `ensemble` make the output directory before they read their inputs,
        // and remove it again when they refuse them.)
        assert!(!out.exists(), "{command}: left {}", out.display());
    }
}

#[test]
fn template_changes_only_the_numbers() {
    let tiny = std::fs::read_to_string("tests/fixtures/tiny.toml").unwrap();
    let spec = calibrate::parse_free(
        "[[free]]\nkey = \"behaviour.sentencing.custodial_logit.medium\"\nmin = -3\nmax = 2\n\n\
         [[free]]\nkey = \"behaviour.learning.period_days\"\nmin = 10\nmax = 60\n\n\
         [[free]]\nkey = \"incentives[1].procurator.prison_target\"\nmin = 0\nmax = 3\n",
        "FREE.toml",
    )
    .unwrap();
    let t = Template::new(&tiny, "tiny.toml", &spec).unwrap();
    assert_eq!(t.original_values(), vec![-0.5, 30.0, 1.0]);
    let values = t.values(&[0.25, 0.511, 1.0]);
    assert_eq!(values, vec![-1.75, 36.0, 3.0], "period_days is an integer in the scenario: rounded");
    let text = t.text_with(&values).unwrap();
    let expected = tiny
        .replace(
            "medium = -0.5, grave = 1.0, especially_grave = 3.0",
            "medium = -1.75, grave = 1.0, especially_grave = 3.0",
        )
        .replace("period_days = 30", "period_days = 36")
        .replace("procurator = { prison_target = 1.0 }", "procurator = { prison_target = 3.0 }");
    assert_eq!(text, expected);
    let s = scenario::load_str(&text, "edited").unwrap();
    assert_eq!(s.behaviour.sentencing.custodial_logit[1], -1.75);
    assert_eq!(s.behaviour.learning.period_days, 36);
}

/// The shipped FREE.toml names keys of the shipped scenario, each a number the scenario loader
/// accepts at both bounds (a renamed or removed parameter must fail here, not an hour into a
/// calibration).
/// The same holds for the documented calibration command: its FREE.toml and its start.
#[test]
fn shipped_free_parameters_fit_the_shipped_scenario() {
    // Every value inside its bounds too (Template::new checks): stale bounds once made the
    // screen explore two jury keys at a sixtieth of their values.
    for (free, scenario) in [
        ("scenarios/calibration/stage.free.toml", "scenarios/kazakhstan.toml"),
        ("scenarios/calibration/stage.free.toml", "scenarios/calibration/kazakhstan-start.toml"),
        ("scenarios/calibration/all.free.toml", "scenarios/calibration/kazakhstan-start.toml"),
        ("scenarios/calibration/all.free.toml", "scenarios/kazakhstan.toml"),
        ("scenarios/calibration/kazakhstan.free.toml", "scenarios/calibration/kazakhstan-start.toml"),
        ("scenarios/calibration/kazakhstan.free.toml", "scenarios/kazakhstan.toml"),
    ] {
        let spec = calibrate::load_free(Path::new(free)).unwrap_or_else(|e| panic!("{e}"));
        let text = std::fs::read_to_string(scenario).unwrap();
        let template = Template::new(&text, scenario, &spec).unwrap_or_else(|e| panic!("{free}: {e}"));
        assert_eq!(template.dimension(), spec.free.len());
    }
}

// ---------------------------------------------------------------------------------------------
// calibrate
// ---------------------------------------------------------------------------------------------

/// tests/fixtures/tiny.toml with its registered crimes and private complaints tripled: a run
/// costs little more than preparing the scenario, and the targets are less noisy.
fn tiny_x3() -> String {
    let mut text = std::fs::read_to_string("tests/fixtures/tiny.toml").unwrap();
    for (key, n) in [
        ("registered_crimes", 3000),
        ("registered_crimes", 3200),
        ("registered_crimes", 3100),
        ("private_complaints", 150),
        ("private_complaints", 160),
    ] {
        let before = text.clone();
        text = text.replace(&format!("{key} = {n}\n"), &format!("{key} = {}\n", 3 * n));
        assert_ne!(text, before, "tiny.toml no longer has `{key} = {n}`");
    }
    text
}

fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "`{from}` should occur once in the scenario");
    text.replace(from, to)
}

/// Targets generated by the model itself: the means of `series` over runs 0..4 of
/// `master_seed`, every reported year.
fn targets_from_model(text: &str, master_seed: u64, series: &[&str]) -> Vec<TargetRow> {
    let s = scenario::load_str(text, "truth").unwrap();
    let r = Runner::new(0).unwrap().run(&s, &Batch::new(master_seed, 0..4));
    let summary = r.summary();
    let mut out = Vec::new();
    for name in series {
        let unit = &r.units[r.series.iter().position(|n| n == name).expect("series exists")];
        for row in summary.iter().filter(|row| row.series == *name) {
            assert!(row.mean.is_finite() && row.mean > 0.0, "{name} {} is {}", row.year, row.mean);
            out.push(TargetRow::target(name, row.year, row.mean, unit));
        }
    }
    out
}

fn options(out: &Path, budget: u64) -> CalibrateOptions {
    CalibrateOptions {
        budget,
        out_dir: Some(out.to_path_buf()),
        threads: 0,
        command_line: "caseflow calibrate (test)".to_string(),
        targets_label: "generated by the test".to_string(),
    }
}

fn run(
    text: &str,
    spec: &CalibrationSpec,
    targets: &[TargetRow],
    out: &Path,
    budget: u64,
    stop: &AtomicBool,
    progress: &(dyn Fn(Progress) + Sync),
) -> CalibrationOutcome {
    calibrate::calibrate(text, "tiny-x3", spec, targets, &options(out, budget), stop, progress)
        .unwrap_or_else(|e| panic!("calibration failed: {e}"))
}

/// Recovery: targets made by the model at known parameter values (runs of another master seed
/// than the calibration's, so the truth does not fit them exactly), a start far from the truth;
/// the fit must land within 15% of each bound width of the truth, and the loss must fall from
/// the start's to below 0.01 (about 10% relative error per series).
#[test]
fn calibration_recovers_known_parameters() {
    let truth_text = tiny_x3();
    // Series that respond clearly to the free parameters (a series that responds to none
    // only adds noise to the loss): capacity drives the flow to court, withdraw_logit the private
    // prosecutions, the custodial logit the prison.
    let series = [
        "procurator.sent_to_court",
        "trial.convicted",
        "private.closed",
        "private.cases_with_sentence",
        "prison.population",
        "sentencing.prison_share",
    ];
    let targets = targets_from_model(&truth_text, 2026, &series);
    assert_eq!(targets.len(), 12, "6 series x 2 reported years");

    // The truth: capacity 30, withdraw_logit 0 (a chance of about a half), custodial_logit.medium
    // -0.5. The start: 45, -1.1 (about a quarter), 1.0.
    let start_text = replace_once(&truth_text, "capacity = 30.0", "capacity = 45.0");
    let start_text = replace_once(&start_text, "withdraw_logit = 0.0", "withdraw_logit = -1.1");
    let start_text =
        replace_once(&start_text, "medium = -0.5, grave = 1.0, especially", "medium = 1.0, grave = 1.0, especially");
    let spec = calibrate::load_free(&fixture("recover.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let outcome = run(&start_text, &spec, &targets, dir.path(), 1 + 8 * 12, &AtomicBool::new(false), &|_| ());
    let elapsed = started.elapsed();

    let truth = [30.0, 0.0, -0.5];
    let report: Vec<String> = outcome
        .params
        .iter()
        .zip(truth)
        .map(|(p, t)| format!("{}: start {} fitted {} truth {t}", p.key, p.original, p.fitted))
        .collect();
    eprintln!(
        "recovery in {elapsed:.1?}: {} generations, loss {} -> {}\n  {}",
        outcome.generations,
        outcome.start_loss,
        outcome.best_loss,
        report.join("\n  ")
    );
    for h in &outcome.history {
        eprintln!(
            "  generation {:>2}: best loss {:.5}, generation mean {:.5}, sigma {:.4}",
            h.generation, h.best_loss, h.mean_loss, h.sigma
        );
    }
    for (p, t) in outcome.params.iter().zip(truth) {
        let tolerance = 0.15 * (p.max - p.min);
        assert!((p.fitted - t).abs() <= tolerance, "{} fitted {} is not within {tolerance} of {t}", p.key, p.fitted);
    }
    assert!(outcome.start_loss > 0.1, "the start should fit badly, loss {}", outcome.start_loss);
    assert!(outcome.best_loss < 0.01, "fitted loss {} is not below 0.01", outcome.best_loss);
    let fit = outcome.fit.as_ref().expect("a finished calibration has a fit");
    assert_eq!(fit.fitted_fit_years.loss(), outcome.best_loss, "the report re-runs the same runs");
    assert!(fit.fitted_fit_years.hits() > fit.start_fit_years.hits());
    for name in ["fitted.toml", "report.md", "generations.csv", "fit.csv", "state.toml"] {
        assert!(dir.path().join(name).is_file(), "{name} not written");
    }
    // The fitted scenario loads and holds the fitted values.
    let fitted = scenario::load_path(&dir.path().join("fitted.toml")).unwrap();
    assert_eq!(fitted.behaviour.investigation.capacity, outcome.params[0].fitted);
    assert_eq!(fitted.behaviour.private.withdraw_logit, outcome.params[1].fitted);
    assert_eq!(fitted.behaviour.sentencing.custodial_logit[1], outcome.params[2].fitted);
}

fn small_setup() -> (String, CalibrationSpec, Vec<TargetRow>) {
    let truth_text = tiny_x3();
    let targets = targets_from_model(&truth_text, 99, &["procurator.sent_to_court", "private.closed"]);
    let start_text = replace_once(&truth_text, "capacity = 30.0", "capacity = 20.0");
    let spec = calibrate::load_free(&fixture("small.toml")).unwrap();
    (start_text, spec, targets)
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The same calibration twice gives byte-identical files; one stopped after a generation
/// (by a small budget, or by the stop flag) and resumed ends exactly as an uninterrupted one.
#[test]
fn calibration_is_deterministic_and_resumes_exactly() {
    let (text, spec, targets) = small_setup();
    let no_stop = AtomicBool::new(false);
    // 1 start evaluation + 4 generations of 4 candidates.
    let budget = 17;
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let full = run(&text, &spec, &targets, a.path(), budget, &no_stop, &|_| ());
    assert_eq!((full.generations, full.evaluations, full.reason), (4, 17, StopReason::BudgetSpent));
    // Fitting ran the runs only to the end of 2011; the report re-ran them whole, and the
    // loss over 2011 is the same to the last bit.
    let fit = full.fit.as_ref().expect("finished");
    assert_eq!(fit.fitted_fit_years.loss(), full.best_loss);
    assert_eq!((fit.fitted_fit_years.total(), fit.fitted_all_years.total()), (2, 4));
    run(&text, &spec, &targets, b.path(), budget, &no_stop, &|_| ());
    for name in ["fitted.toml", "state.toml", "report.md", "generations.csv", "fit.csv"] {
        assert_eq!(read(a.path(), name), read(b.path(), name), "{name} differs between two identical runs");
    }

    // Stopped by the budget after generation 1, then resumed with the full budget.
    let c = tempfile::tempdir().unwrap();
    let part = run(&text, &spec, &targets, c.path(), 5, &no_stop, &|_| ());
    assert_eq!((part.generations, part.reason), (1, StopReason::BudgetSpent));
    let resumed = run(&text, &spec, &targets, c.path(), budget, &no_stop, &|_| ());
    assert_eq!(resumed.resumed_from, Some(1));
    assert_eq!(read(a.path(), "state.toml"), read(c.path(), "state.toml"), "resumed state differs");
    assert_eq!(read(a.path(), "fitted.toml"), read(c.path(), "fitted.toml"));

    // Stopped by the flag once generation 2 is done (as Ctrl-C would), then resumed.
    let d = tempfile::tempdir().unwrap();
    let stop = AtomicBool::new(false);
    let seen = Mutex::new(Vec::new());
    let on_progress = |p: Progress| {
        if let Progress::GenerationDone(record) = p {
            seen.lock().unwrap().push(record.generation);
            if record.generation == 2 {
                stop.store(true, Ordering::SeqCst);
            }
        }
    };
    let stopped = run(&text, &spec, &targets, d.path(), budget, &stop, &on_progress);
    assert_eq!((stopped.generations, stopped.reason), (2, StopReason::Interrupted));
    assert_eq!(*seen.lock().unwrap(), vec![0, 1, 2]);
    assert!(
        stopped.fit.is_none() && !d.path().join("fitted.toml").exists(),
        "an interrupted run writes only its state"
    );
    let resumed = run(&text, &spec, &targets, d.path(), budget, &no_stop, &|_| ());
    assert_eq!(resumed.resumed_from, Some(2));
    assert_eq!(read(a.path(), "state.toml"), read(d.path(), "state.toml"), "resumed state differs");
    assert_eq!(read(a.path(), "fitted.toml"), read(d.path(), "fitted.toml"));

    // A finished calibration run again only rewrites its files.
    let again = run(&text, &spec, &targets, a.path(), budget, &no_stop, &|_| ());
    assert_eq!((again.resumed_from, again.generations), (Some(4), 4));
    assert_eq!(read(a.path(), "fitted.toml"), read(b.path(), "fitted.toml"));

    // A resume with other inputs is refused, before any run.
    let mut other = spec.clone();
    other.text.push_str("\n# edited\n");
    let err = calibrate::calibrate(&text, "tiny-x3", &other, &targets, &options(a.path(), budget), &no_stop, &|_| ())
        .unwrap_err();
    assert!(err.is_bad_input());
    assert!(err.to_string().contains("a calibration made from a different FREE.toml"), "{err}");
    let changed = replace_once(&text, "withdraw_logit = 0.0", "withdraw_logit = 0.4");
    let err = calibrate::calibrate(&changed, "tiny-x3", &spec, &targets, &options(a.path(), budget), &no_stop, &|_| ())
        .unwrap_err();
    assert!(err.to_string().contains("a calibration made from a different scenario"), "{err}");
}

#[test]
fn calibration_minimises_the_objective_its_free_file_names() {
    // Budget 1 evaluates only the start: its recorded loss must be the chosen objective of the
    // start's runs (the same runs, computed here independently), so a calibration that ignored
    // `objective`, `tolerance`, `far_pull` or `band_hits` would fail.
    let (text, spec, targets) = small_setup();
    let s = scenario::load_str(&text, "start").unwrap();
    let r = Runner::new(0).unwrap().run(&s, &Batch::new(spec.master_seed, 0..spec.seeds));
    let fit = calibrate::compare(&r.summary(), &targets, spec.years.clone());
    let cases = [
        (Objective::Loss, 0.0, 0.0, false, fit.loss()),
        (Objective::Loss, 0.1, 0.0, false, fit.loss_beyond(0.1)),
        (Objective::SoftMisses, 0.08, 0.0, false, fit.soft_misses(0.08)),
        (Objective::SoftMisses, 0.08, 0.5, false, fit.soft_misses_pulled(0.08, 0.5)),
    ];
    let mut seen = Vec::new();
    for (objective, tolerance, far_pull, band_hits, want) in cases {
        let spec = CalibrationSpec { objective, tolerance, far_pull, band_hits, ..spec.clone() };
        let dir = tempfile::tempdir().unwrap();
        let outcome = run(&text, &spec, &targets, dir.path(), 1, &AtomicBool::new(false), &|_| ());
        assert!(
            (outcome.start_loss - want).abs() < 1e-12,
            "{objective:?} at {tolerance}: {} != {want}",
            outcome.start_loss
        );
        seen.push(outcome.start_loss);
    }
    // The objectives differ on this start, so the check above tells them apart.
    assert!(seen.windows(2).all(|w| w[0] != w[1]), "{seen:?}");

    // With `band_hits`, rows whose published value lies inside the start's band cost nothing:
    // put the targets there, off the mean, so that without the band they cost something.
    let summary = r.summary();
    let inside: Vec<TargetRow> = targets
        .iter()
        .map(|t| {
            let row = summary.iter().find(|x| x.series == t.series && x.year == t.year).expect("simulated");
            TargetRow { value: row.p05 + 0.1 * (row.p95 - row.p05), ..t.clone() }
        })
        .collect();
    let fit = calibrate::compare(&summary, &inside, spec.years.clone());
    assert!(fit.soft_misses_banded(0.0, 0.5, true) < fit.soft_misses_banded(0.0, 0.5, false));
    for band_hits in [false, true] {
        let spec = CalibrationSpec {
            objective: Objective::SoftMisses,
            tolerance: 0.0,
            far_pull: 0.5,
            band_hits,
            ..spec.clone()
        };
        let dir = tempfile::tempdir().unwrap();
        let outcome = run(&text, &spec, &inside, dir.path(), 1, &AtomicBool::new(false), &|_| ());
        assert_eq!(outcome.start_loss, fit.soft_misses_banded(0.0, 0.5, band_hits), "band_hits {band_hits}");
    }
}

#[test]
fn fit_years_on_the_command_line_override_free_toml_and_its_fingerprint() {
    let spec = calibrate::load_free(&fixture("small.toml")).unwrap();
    assert_eq!(spec.years, Some(2011..=2011));
    let same = spec.clone().with_fit_years(None);
    assert_eq!(same, spec);
    let wider = spec.clone().with_fit_years(Some(2011..=2012));
    assert_eq!(wider.years, Some(2011..=2012));
    assert_ne!(wider.text, spec.text, "a state saved under other fit years is not resumed");
}

/// A targets file saved in another encoding is reported at its first bad byte, with line and
/// column, not as a whole.
#[test]
fn a_latin1_byte_in_the_targets_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("targets.csv");
    std::fs::write(
        &path,
        b"series,year,value,unit,kind,source,note\nsentencing.prison_share,2011,0.5,share,target,t\xe9st,\n",
    )
    .unwrap();
    let error = calibrate::load_targets(&path).unwrap_err();
    assert!(error.is_bad_input());
    let text = error.to_string();
    assert!(text.contains("targets.csv:2:48: not valid UTF-8 (byte 0xE9): save the file as UTF-8"), "{text}");
}

/// A budget of no evaluation at all is refused (exit 2) before anything is read or written.
#[test]
fn a_budget_of_zero_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fit");
    let o = common::run([
        "calibrate",
        "tests/fixtures/tiny.toml",
        "--targets",
        fixture("targets.csv").to_str().unwrap(),
        "--free",
        "tests/fixtures/calibrate/coverage.free.toml",
        "--budget",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]);
    common::assert_exit(&o, common::EXIT_BAD_INPUT, "--budget 0");
    assert!(common::text(&o.stderr).contains("--budget"), "{}", common::text(&o.stderr));
    assert!(!out.exists(), "nothing written");
}
