//! Scenario loading: every kind of error is reported with its position and key, the shipped
//! scenarios load with the expected values, later regimes patch earlier ones, and no mangled
//! input makes the loader panic.

use std::path::{Path, PathBuf};

use caseflow::scenario::{
    AmnestyClause, DetentionApprover, Diagnostic, Eligibility, Gravity, Monitoring, Scenario, ScenarioError, in_force,
    load_path, load_str,
};
use proptest::prelude::*;

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn load_ok(path: &Path) -> Scenario {
    load_path(path).unwrap_or_else(|e| panic!("{} should load, but:\n{e}", path.display()))
}

fn tiny_text() -> String {
    std::fs::read_to_string(repo_path("tests/fixtures/tiny.toml")).expect("tiny.toml is readable")
}

/// One diagnostic a bad fixture must produce.
struct Expected {
    file: &'static str,
    /// A substring of the message.
    message: &'static str,
    key: &'static str,
    line: usize,
    column: usize,
}

const fn expect(file: &'static str, message: &'static str, key: &'static str, line: usize, column: usize) -> Expected {
    Expected { file, message, key, line, column }
}

/// Every file in tests/fixtures/bad/ with the diagnostics it must produce. Most fixtures are
/// fragments, so they also give "missing required key" errors; only the listed one is checked.
/// Whole-file problems have line and column 0.
const BAD: &[Expected] = &[
    expect("syntax.toml", "TOML syntax error", "", 5, 14),
    expect(
        "unknown_key.toml",
        "unknown key `judge_capacty`, did you mean `judge_capacity`?",
        "behaviour.trial.judge_capacty",
        4,
        1,
    ),
    expect(
        "unknown_key_list.toml",
        "unknown key `lawyers`; valid keys here: `investigators`, `procurators`",
        "staff.lawyers",
        4,
        1,
    ),
    expect("unknown_section.toml", "unknown key `calender`, did you mean `calendar`?", "calender", 4, 2),
    expect(
        "wrong_type.toml",
        "expected a probability (a number in [0, 1]), found a string",
        "behaviour.learning.rate",
        4,
        8,
    ),
    expect("missing_key.toml", "missing required key `conscience`", "behaviour.trial.conscience", 2, 1),
    expect("probability.toml", "expected a probability (a number in [0, 1]), found 1.5", "crime.juvenile_share", 3, 18),
    expect("share_sum.toml", "`share` values sum to 0.9, expected 1", "crime.kind", 3, 1),
    expect("gravity_sum.toml", "the gravity shares sum to 1.1, expected 1", "crime.kind[0].gravity", 5, 11),
    expect("province_shares.toml", "missing `crime_share`: province[0] gives one", "province[1].crime_share", 6, 1),
    expect("negative_count.toml", "expected a whole number >= 0, found -3000", "inflow[0].registered_crimes", 4, 21),
    expect("negative_duration.toml", "expected a number > 0, found -20.0", "behaviour.procurator.days_mean", 3, 13),
    expect(
        "regime_order.toml",
        "overlapping or out-of-order regime: 2011-03-01 is not after 2011-07-01",
        "rules[2].from",
        13,
        8,
    ),
    expect(
        "regime_late_start.toml",
        "the first regime must be in force when the simulation starts",
        "incentives[0].from",
        8,
        8,
    ),
    expect("regime_after_end.toml", "2013-01-01 is outside the simulated range", "rules[1].from", 10, 8),
    expect("regime_datetime.toml", "expected a date (YYYY-MM-DD), found a date-time", "rules[0].from", 3, 8),
    expect("inflow_outside.toml", "year 2012 is outside the simulated range 2010 to 2011", "inflow[2].year", 18, 8),
    expect("inflow_missing_year.toml", "missing inflow for year 2011", "inflow", 13, 8),
    expect(
        "inflow_duplicate_year.toml",
        "duplicate inflow for year 2010 (already given on line 8)",
        "inflow[1].year",
        13,
        8,
    ),
    expect("inflow_out_of_order.toml", "inflow for year 2010 is out of order", "inflow[1].year", 13, 8),
    expect("inflow_provenance.toml", "give either `source` or `assumption`, not both", "inflow[0].assumption", 7, 1),
    expect(
        "calendar_year.toml",
        "expected a year (a whole number in [1900, 2200]), found 20120",
        "calendar.last_year",
        5,
        13,
    ),
    expect("calendar_span.toml", "longer than 256 years", "calendar.last_year", 6, 13),
    expect(
        "campaign_kind.toml",
        "unknown crime kind `drug`, did you mean `drugs`? (known kinds: `theft`, `drugs`)",
        "campaign[0].kind",
        13,
        8,
    ),
    expect("too_large_u32.toml", "number too large for a 32-bit count", "staff.investigators", 3, 17),
    expect("too_large_i64.toml", "number too large for a TOML integer", "traits.local_tie_logit", 3, 19),
    expect(
        "float_for_integer.toml",
        "expected a whole number in [1, 365], found a float",
        "behaviour.learning.period_days",
        3,
        15,
    ),
    expect("unknown_choice.toml", "found `jduge`, did you mean `judge`?", "rules[0].detention_approver", 4, 22),
    expect("per_gravity_partial.toml", "missing `minor`, `medium`", "rules[1].jury_jurisdiction", 6, 21),
    expect(
        "staff_per_province.toml",
        "expected at least 2, one per province, found 1",
        "staff.appellate_judges",
        10,
        20,
    ),
    expect(
        "monitoring.toml",
        "dismissed_at (3) must be at least failing_at (5)",
        "incentives[0].monitoring.dismissed_at",
        4,
        47,
    ),
    expect(
        "province_not_array.toml",
        "expected an array of tables ([[province]]), found a single table",
        "province",
        2,
        1,
    ),
    expect("duplicate_name.toml", "duplicate province `North` (first defined on line 3)", "province[1].name", 6, 8),
    expect("empty.toml", "the file is empty", "", 0, 0),
    expect("comments_only.toml", "the file is empty", "", 0, 0),
    expect("binary.toml", "not a text file", "", 0, 0),
    expect("not_utf8.toml", "not valid UTF-8 (byte 0xE9): save the file as UTF-8", "", 1, 12),
    // A complete scenario with exactly these three errors (checked for exactness below).
    expect(
        "three_errors.toml",
        "expected a probability (a number in [0, 1]), found 1.06",
        "crime.juvenile_share",
        47,
        18,
    ),
    expect(
        "three_errors.toml",
        "overlapping or out-of-order regime: 2009-07-01 is not after 2010-01-01",
        "rules[1].from",
        123,
        8,
    ),
    expect("three_errors.toml", "unknown crime kind `drug`", "campaign[0].kind", 146, 8),
];

fn describe(error: &ScenarioError) -> String {
    error.diagnostics.iter().map(|d| format!("  {d}\n")).collect()
}

fn matches(d: &Diagnostic, e: &Expected) -> bool {
    d.message.contains(e.message) && d.key == e.key && d.line == e.line && d.column == e.column
}

#[test]
fn every_bad_fixture_reports_its_error_with_position_and_key() {
    let dir = repo_path("tests/fixtures/bad");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/fixtures/bad exists")
        .map(|entry| entry.expect("readable entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut failures = Vec::new();
    for file in &files {
        let expected: Vec<&Expected> = BAD.iter().filter(|e| e.file == file).collect();
        if expected.is_empty() {
            failures.push(format!("{file}: no expectation in BAD; add one"));
            continue;
        }
        let path = dir.join(file);
        let error = match load_path(&path) {
            Ok(_) => {
                failures.push(format!("{file}: loaded without error"));
                continue;
            }
            Err(error) => error,
        };
        assert!(!error.diagnostics.is_empty(), "{file}: empty ScenarioError");
        for d in &error.diagnostics {
            assert_eq!(d.file, path.display().to_string(), "{file}: diagnostic names the file");
        }
        for e in expected {
            if !error.diagnostics.iter().any(|d| matches(d, e)) {
                failures.push(format!(
                    "{file}: expected `{}` at key `{}` line {} column {}; got:\n{}",
                    e.message,
                    e.key,
                    e.line,
                    e.column,
                    describe(&error)
                ));
            }
        }
    }
    for e in BAD {
        if !files.iter().any(|f| f == e.file) {
            failures.push(format!("{}: listed in BAD but not in tests/fixtures/bad", e.file));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn three_errors_are_all_reported_and_nothing_else() {
    let path = repo_path("tests/fixtures/bad/three_errors.toml");
    let error = load_path(&path).expect_err("three_errors.toml must not load");
    assert_eq!(error.diagnostics.len(), 3, "got:\n{}", describe(&error));
    // In file order.
    let lines: Vec<usize> = error.diagnostics.iter().map(|d| d.line).collect();
    assert_eq!(lines, vec![47, 123, 146]);
    let shown = error.to_string();
    assert!(shown.ends_with(&format!("3 errors in {}", path.display())), "{shown}");
}

/// Single edits of tiny.toml, each of which must give exactly one diagnostic: the loader does
/// not cascade one mistake into several.
#[test]
fn single_edits_of_tiny_give_exactly_one_diagnostic() {
    let tiny = tiny_text();
    // (text to replace, replacement, message substring, key, text of the reported line)
    let cases = [
        (
            "days_mean = 45.0",
            "days_mean = \"long\"",
            "expected a number > 0, found a string",
            "behaviour.trial.days_mean",
            "days_mean = \"long\"",
        ),
        (
            "custody_hours_shape = 1.5",
            "custody_hours_shape = 1.5\nshort_custody_share_72h = 0.6",
            "unknown key `short_custody_share_72h`",
            "behaviour.detention.short_custody_share_72h",
            "short_custody_share_72h",
        ),
        (
            "reconciliation = { minor = \"mandatory\" }",
            "reconciliation = { minor = \"mandatory\", tortue = false }",
            "did you mean `torture`?",
            "rules[1].reconciliation.tortue",
            "tortue",
        ),
        (
            "medium_repeat = \"banned\"",
            "medium_repeat = \"forbidden\"",
            "expected one of `banned`, `discretionary`, `mandatory`",
            "rules[0].reconciliation.medium_repeat",
            "forbidden",
        ),
        (
            "monitoring = { failing_at = 3, dismissed_at = 5 }",
            "monitoring = true",
            "or false (no monitoring), found true",
            "incentives[1].monitoring",
            "monitoring = true",
        ),
        ("staff_share = 0.55", "staff_share = 0.65", "`staff_share` values sum to 1.1", "province", "[[province]]"),
        (
            "reconciliation = { minor = \"mandatory\" }",
            "reconciliation = { minor = \"mandatory\" }\nterm_scale = 0",
            "expected a number > 0, found 0",
            "rules[1].term_scale",
            "term_scale = 0",
        ),
        (
            "police_custody_hours = 72",
            "police_custody_hours = 0",
            "expected a whole number in [1, 240], found 0",
            "rules[0].police_custody_hours",
            "police_custody_hours = 0",
        ),
        (
            "evidence = { a = 4.0, b = 1.5 }",
            "evidence = 0.5",
            "expected a Beta distribution",
            "crime.evidence",
            "evidence = 0.5",
        ),
        (
            "first_reported_year = 2011",
            "first_reported_year = 2013",
            "must lie between first_year (2010) and last_year (2012)",
            "calendar.first_reported_year",
            "first_reported_year",
        ),
        (
            "to = 2011-12-31",
            "to = 2010-12-31",
            "the campaign ends (2010-12-31) before it starts (2011-01-01)",
            "campaign[0].to",
            "to = 2010-12-31",
        ),
        (
            "judge_exonerate = 2.0",
            "judge_exonerate = 2.0\nappellate_overturn = \"strong\"",
            "expected a finite number, found a string",
            "campaign[0].appellate_overturn",
            "appellate_overturn",
        ),
        (
            "police_registration = 0.6",
            "police_registration = 0.6\npolice_readiness = 0.0",
            "expected a number > 0, found 0.0",
            "behaviour.private.police_readiness",
            "police_readiness",
        ),
        (
            "custody_grounds_threshold = 0.5",
            "custody_grounds_threshold = 0.5\ncustody_release_own_approval = \"high\"",
            "expected a number >= 0, found a string",
            "behaviour.procurator.custody_release_own_approval",
            "custody_release_own_approval",
        ),
        (
            "jury_weakness_slope = 5.0",
            "jury_weakness_slope = 5.0\njury_resistance = -0.01",
            "expected a number >= 0, found -0.01",
            "behaviour.trial.jury_resistance",
            "jury_resistance",
        ),
        (
            "jury_weakness_slope = 5.0",
            "jury_weakness_slope = 5.0\njury_group_weight = -1",
            "expected a number >= 0, found -1",
            "behaviour.trial.jury_group_weight",
            "jury_group_weight",
        ),
        (
            "[behaviour.private]\nreject_logit = -1.75\n",
            "[behaviour.private]\n",
            "missing required key `reject_logit`",
            "behaviour.private.reject_logit",
            "[behaviour.private]",
        ),
        (
            "[traits]",
            "[[staff_change]]\nfrom = 2012-01-01\ntrial_judjes = 20\n\n[traits]",
            "unknown key `trial_judjes`, did you mean `trial_judges`?",
            "staff_change[0].trial_judjes",
            "trial_judjes",
        ),
        (
            "[traits]",
            "[[staff_change]]\nfrom = 2012-01-01\ntrial_judges = 1\n\n[traits]",
            "at least 2, one per province",
            "staff_change[0].trial_judges",
            "trial_judges = 1\n",
        ),
        (
            "[traits]",
            "[[staff_change]]\nfrom = 2009-06-01\ntrial_judges = 20\n\n[traits]",
            "must come after the start of the simulation (2010-01-01)",
            "staff_change[0].from",
            "from = 2009-06-01",
        ),
        (
            "[traits]",
            "[[staff_change]]\nfrom = 2012-01-01\ntrial_judges = 20\n\n[[staff_change]]\nfrom = 2011-01-01\ntrial_judges = 30\n\n[traits]",
            "must come after `staff_change[0].from` (2012-01-01)",
            "staff_change[1].from",
            "from = 2011-01-01",
        ),
        (
            "[traits]",
            "[[staff_change]]\nfrom = 2013-03-01\ntrial_judges = 20\n\n[traits]",
            "2013-03-01 is after the simulated range, which ends 2012-12-31",
            "staff_change[0].from",
            "from = 2013-03-01",
        ),
        (
            "[traits]",
            "[[staff_change]]\ntrial_judges = 20\n\n[traits]",
            "missing required key `from`",
            "staff_change[0].from",
            "[[staff_change]]",
        ),
        // A key that was an outcome share used as a chance names the actor's choice that
        // replaced it (issue 19).
        (
            "reject_logit = -1.75\n",
            "reject_logit = -1.75\nreject = 0.15\n",
            "unknown key `reject`: it was replaced by the judge's choice `reject_logit` (log-odds)",
            "behaviour.private.reject",
            "reject = 0.15",
        ),
        (
            "to_court_logit = 0.9\n",
            "to_court_logit = 0.9\nto_court = 0.5\n",
            "unknown key `to_court`: it was replaced by the procurator's choice `to_court_logit`",
            "behaviour.torture.to_court",
            "to_court = 0.5",
        ),
        (
            "[behaviour.investigation]",
            "[[amnesty]]\nname = \"a\"\ndate = 2011-05-01\n[[amnesty.clause]]\nup_to = \"severe\"\n\n[behaviour.investigation]",
            "expected one of `minor`, `medium`, `grave`, `especially_grave`, found `severe`",
            "amnesty[0].clause[0].up_to",
            "\"severe\"",
        ),
        (
            "[behaviour.investigation]",
            "[[amnesty]]\nname = \"a\"\ndate = 2011-05-01\n[[amnesty.clause]]\nup_to = \"grave\"\nremaining = 1.5\n\n[behaviour.investigation]",
            "expected a number in [0, 1]",
            "amnesty[0].clause[0].remaining",
            "remaining = 1.5",
        ),
        (
            "[behaviour.investigation]",
            "[[amnesty]]\nname = \"a\"\ndate = 1990-05-01\n[[amnesty.clause]]\nup_to = \"grave\"\n\n[behaviour.investigation]",
            "1990-05-01 is outside the simulated range 2010-01-01 to 2012-12-31",
            "amnesty[0].date",
            "1990-05-01",
        ),
        (
            "[behaviour.investigation]",
            "[[amnesty]]\nname = \"a\"\ndate = 2011-05-01\n[[amnesty.clause]]\nup_to = \"grave\"\nserved = 0.5\n\n[behaviour.investigation]",
            "unknown key `served`",
            "amnesty[0].clause[0].served",
            "served = 0.5",
        ),
    ];
    for (from, to, message, key, marker) in cases {
        assert_eq!(tiny.matches(from).count(), 1, "`{from}` must occur once in tiny.toml");
        let text = tiny.replacen(from, to, 1);
        let error = load_str(&text, "tiny-edit.toml").expect_err(key);
        assert_eq!(error.diagnostics.len(), 1, "editing `{from}` -> `{to}`:\n{}", describe(&error));
        let d = &error.diagnostics[0];
        assert!(d.message.contains(message), "{key}: got {d}");
        assert_eq!(d.key, key, "got {d}");
        let offset = text.find(marker).expect("marker present");
        let line = text[..offset].matches('\n').count() + 1;
        assert_eq!(d.line, line, "{key}: got {d}");
    }
}

/// Keys name the entry an error is in, even when an earlier entry could not be read.
#[test]
fn inflow_errors_name_their_own_entry() {
    let text =
        tiny_text().replacen("\nyear = 2010", "\nyear = \"2010\"", 1).replacen("\nyear = 2012", "\nyear = 2013", 1);
    let error = load_str(&text, "tiny-years.toml").expect_err("two bad years");
    let keys: Vec<&str> = error.diagnostics.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(keys, ["inflow[0].year", "inflow[2].year"], "got:\n{}", describe(&error));
    assert!(error.diagnostics[1].message.contains("year 2013 is outside the simulated range 2010 to 2012"));
}

/// A campaign whose two dates both lie outside the simulated span gets one diagnostic for each,
/// and no complaint about their order.
#[test]
fn campaign_dates_outside_the_span_are_each_named() {
    let text = tiny_text().replacen("from = 2011-01-01\nto = 2011-12-31", "from = 2009-06-01\nto = 2013-01-01", 1);
    let error = load_str(&text, "tiny-campaign.toml").expect_err("two dates outside the span");
    let keys: Vec<&str> = error.diagnostics.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(keys, ["campaign[0].from", "campaign[0].to"], "got:\n{}", describe(&error));
    assert!(
        error.diagnostics[0].message.contains("2009-06-01 is outside the simulated range 2010-01-01 to 2012-12-31")
    );
    assert!(
        error.diagnostics[1].message.contains("2013-01-01 is outside the simulated range 2010-01-01 to 2012-12-31")
    );
}

/// A question's `[[inflow_scale]]` whose factors make inflows too large for a count: one
/// diagnostic per factor at fault, at that factor's key and line, naming the years it overflows
/// (not one per year, nor always at `registered_crimes` and the table's header).
#[test]
fn inflow_scale_overflow_names_each_factor_at_fault_once() {
    let dir = tempfile::tempdir().unwrap();
    let question = dir.path().join("is.toml");
    // tiny's inflow: registered 3000/3200/3100, private 150/150/160, misdemeanours only in 2011.
    let text = format!(
        "base = \"{}\"\nname = \"q\"\n[[inflow_scale]]\nfrom = 2010\n\
         registered_crimes = 2e6\nprivate_complaints = 2.7e7\nmisdemeanours = 2e9\nnote = \"big\"\n",
        repo_path("tests/fixtures/tiny.toml").display()
    );
    std::fs::write(&question, text).unwrap();
    let error = load_path(&question).expect_err("inflows past a 32-bit count");
    let label = question.display().to_string();
    let got: Vec<(usize, usize, &str)> = error.diagnostics.iter().map(|d| (d.line, d.column, d.key.as_str())).collect();
    assert_eq!(
        got,
        [
            (5, 21, "inflow_scale[0].registered_crimes"),
            (6, 22, "inflow_scale[0].private_complaints"),
            (7, 17, "inflow_scale[0].misdemeanours"),
        ],
        "got:\n{}",
        describe(&error)
    );
    for (d, years, factor) in [(0, "2010-2012", "2e6"), (1, "2012", "2.7e7"), (2, "2011", "2e9")] {
        let d = &error.diagnostics[d];
        assert_eq!(d.file, label);
        assert_eq!(
            d.message,
            format!(
                "the scaled inflow of {years} is too large: the base's counts times {factor} exceed 4294967295 a year"
            )
        );
    }
    assert_eq!(
        error.diagnostics[1].to_string(),
        format!(
            "{label}:6:22: key `inflow_scale[0].private_complaints`: the scaled inflow of 2012 is too large: \
             the base's counts times 2.7e7 exceed 4294967295 a year"
        )
    );
    // Within a count, the same factors load.
    let fits =
        std::fs::read_to_string(&question).unwrap().replace("2e6", "2").replace("2.7e7", "2").replace("2e9", "2");
    std::fs::write(&question, fits).unwrap();
    let s = load_ok(&question);
    assert_eq!(s.inflow.iter().map(|y| y.registered_crimes).collect::<Vec<_>>(), [6000, 6400, 6200]);
}

#[test]
fn file_level_problems() {
    let missing = repo_path("tests/fixtures/no_such_scenario.toml");
    let error = load_path(&missing).expect_err("missing file");
    let d = &error.diagnostics[0];
    assert_eq!((d.line, d.column, d.key.as_str()), (0, 0, ""));
    assert_eq!(d.message, "no such file");
    assert_eq!(d.to_string(), format!("{}: no such file", missing.display()));

    let dir = repo_path("tests/fixtures");
    let error = load_path(&dir).expect_err("directory");
    assert_eq!(error.diagnostics[0].message, "is a directory, expected a scenario file");

    // A path through a regular file cannot be opened (ENOTDIR): the unreadable-file case that
    // works even when the tests run as root, who can read files without permission bits.
    let through_file = repo_path("tests/fixtures/tiny.toml/inner.toml");
    let error = load_path(&through_file).expect_err("unreadable");
    assert!(error.diagnostics[0].message.starts_with("cannot read the file"), "{error}");

    let error = load_str("", "x.toml").expect_err("empty");
    assert_eq!(error.to_string(), "x.toml: the file is empty\n1 error in x.toml");
    let error = load_str("  \n\n", "x.toml").expect_err("blank");
    assert_eq!(error.diagnostics[0].message, "the file is empty");
}

#[test]
fn display_formats() {
    let d = Diagnostic {
        file: "a.toml".into(),
        line: 3,
        column: 7,
        key: "rules[3].reconciliation.minor".into(),
        message: "expected one of `banned`".into(),
    };
    assert_eq!(d.to_string(), "a.toml:3:7: key `rules[3].reconciliation.minor`: expected one of `banned`");
    let syntax = Diagnostic { key: String::new(), ..d.clone() };
    assert_eq!(syntax.to_string(), "a.toml:3:7: expected one of `banned`");
    let error = ScenarioError { diagnostics: vec![d.clone(), syntax] };
    let shown = error.to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2], "2 errors in a.toml");
    let _: &dyn std::error::Error = &error;
}

#[test]
fn kazakhstan_loads_with_expected_values() {
    let path = repo_path("scenarios/kazakhstan.toml");
    let s = load_ok(&path);
    assert_eq!(s.name, "kazakhstan");
    assert_eq!(s.source_path, path.display().to_string());
    assert_eq!(s.source_text, std::fs::read_to_string(&path).expect("readable"));
    assert_eq!(s.provinces.len(), 16);
    assert_eq!(s.calendar.first_year, 1994);
    assert_eq!(s.calendar.first_reported_year, 2000);
    assert_eq!(s.calendar.last_year, 2018);

    // Staff: 620 trial judges until 2014, 775 from then; 4,000 defence lawyers until 2015.
    let counts: Vec<_> =
        s.staffing.iter().map(|e| (e.from_label.as_str(), e.value.trial_judges, e.value.defence_lawyers)).collect();
    assert_eq!(counts, [("1994-01-01", 620, 4000), ("2014-01-01", 775, 4000), ("2015-01-01", 775, 4500)]);
    assert_eq!(s.staffing[2].value.investigators, s.initial_staff().investigators);

    // Shares default to population shares.
    let total: f64 = s.provinces.iter().map(|p| p.population).sum();
    let almaty = &s.provinces[0];
    assert_eq!(almaty.name, "Almaty City");
    assert!((almaty.crime_share - 1700.0 / total).abs() < 1e-12);
    assert!((almaty.staff_share - 1700.0 / total).abs() < 1e-12);
    let crime_sum: f64 = s.provinces.iter().map(|p| p.crime_share).sum();
    assert!((crime_sum - 1.0).abs() < 1e-9);

    // One inflow per year, in order.
    let years: Vec<i32> = s.inflow.iter().map(|y| y.year).collect();
    assert_eq!(years, (1994..=2018).collect::<Vec<_>>());
    assert!(s.inflow[0].assumption);
    let y2008 = &s.inflow[2008 - 1994];
    assert_eq!(y2008.registered_crimes, 140249);
    assert!(!y2008.assumption);
    assert!(y2008.source.starts_with("Trochev 2017"));
    assert_eq!(y2008.misdemeanours, 0);

    // Dated rules: judges approve detention from 30 August 2008.
    let day = |y, m, d| s.calendar.day_of_date(y, m, d).expect("in range");
    assert_eq!(s.rules[0].from_day, 0);
    assert_eq!(s.rules[0].from_label, "1994-01-01");
    assert_eq!(in_force(&s.rules, day(2008, 8, 30)).detention_approver, DetentionApprover::Judge);
    assert_eq!(in_force(&s.rules, day(2008, 8, 29)).detention_approver, DetentionApprover::Procurator);
    assert_eq!(in_force(&s.rules, day(2015, 1, 1)).detention_approver, DetentionApprover::InvestigativeJudge);
    // Patches accumulate: 2018 keeps 2002's mandatory release for first-time medium offences and 2014's ban on
    // negligent deaths, and adds its own exclusion of torture.
    let r2018 = in_force(&s.rules, day(2018, 6, 1));
    assert_eq!(r2018.reconciliation.minor, Eligibility::Discretionary);
    assert_eq!(r2018.reconciliation.medium_first, Eligibility::Mandatory);
    assert!(!r2018.reconciliation.negligence_death);
    assert!(!r2018.reconciliation.torture);
    assert!(r2018.reconciliation.investigator_duty);
    assert_eq!(r2018.police_custody_hours, 48);
    assert_eq!(r2018.jury_jurisdiction, [0.0, 0.0, 0.03, 0.3]);
    assert!(in_force(&s.rules, day(2017, 12, 20)).economic_detention_allowed);
    assert!(!in_force(&s.rules, day(2017, 12, 21)).economic_detention_allowed);

    // Incentives: monitoring from 2009 carries on; 2013 changes only the named weights.
    assert_eq!(in_force(&s.incentives, day(2008, 12, 31)).monitoring, None);
    let i2013 = in_force(&s.incentives, day(2013, 1, 1));
    assert_eq!(i2013.monitoring, Some(Monitoring { failing_at: 3, dismissed_at: 5 }));
    assert_eq!(i2013.investigator.sent_to_court, 0.0);
    assert_eq!(i2013.investigator.clearance, 1.0);
    // Inherited from 2012, when closures started to count; not in force in 2011.
    let i2012 = in_force(&s.incentives, day(2012, 6, 1));
    assert_eq!(i2013.procurator.nonrehab_closures, i2012.procurator.nonrehab_closures);
    assert!(i2012.procurator.nonrehab_closures > in_force(&s.incentives, day(2011, 6, 1)).procurator.nonrehab_closures);
    assert_eq!(i2013.procurator.exonerating_closures, 0.5);
    assert_eq!(i2013.procurator.acquittals, 3.0);
    assert_eq!(i2013.trial_judge.reversals, 1.0);
    assert_eq!(i2013.prison_population_target, Some(50000.0));

    // Campaigns resolve their crime kind.
    assert_eq!(s.campaigns.len(), 2);
    assert_eq!(s.crime.kinds[s.campaigns[0].kind].name, "drugs");
    assert_eq!(s.crime.kinds[s.campaigns[1].kind].name, "business");
    assert_eq!([s.campaigns[0].appellate_overturn, s.campaigns[1].appellate_overturn], [4.0, 5.0]);
    assert_eq!(s.campaigns[0].from_day, day(2011, 1, 1));
    assert_eq!(s.campaigns[0].to_day, day(2011, 12, 31));

    // Optional crime-kind keys take their defaults.
    let theft = &s.crime.kinds[0];
    assert!(!theft.negligence && !theft.economic && !theft.public_harm);
    assert_eq!((theft.dangerous_share, theft.solvability_shift), (0.0, 0.0));
}

#[test]
fn tiny_loads_with_expected_values() {
    let s = load_ok(&repo_path("tests/fixtures/tiny.toml"));
    assert_eq!(s.provinces.len(), 2);
    assert_eq!(s.calendar.n_years(), 3);
    assert_eq!(s.calendar.reported_years(), 2011..=2012);
    assert_eq!(s.provinces[0].crime_share, 0.4);
    assert_eq!(s.provinces[1].staff_share, 0.55);
    assert_eq!(s.inflow.len(), 3);
    assert_eq!(s.inflow[1].misdemeanours, 100);
    assert_eq!(s.inflow[0].misdemeanours, 0);
    assert!(s.inflow[0].assumption && !s.inflow[1].assumption);
    assert_eq!(s.inflow[0].source, "warm-up; test figures");
    assert_eq!(s.rules.len(), 2);
    assert_eq!(s.incentives.len(), 2);
    assert_eq!(s.campaigns.len(), 1);
    assert_eq!(s.crime.kinds[s.campaigns[0].kind].name, "drugs");
    assert_eq!(s.campaigns[0].appellate_overturn, 0.0, "absent key: the campaign stops at trial");
    // Absent private-track keys: no preference for proof, compliance followed as it is, proof
    // weighing 2 in the verdict and nothing in withdrawals.
    let p = &s.behaviour.private;
    assert_eq!(
        (p.police_selectivity, p.police_readiness, p.acquit_weakness, p.withdraw_weakness),
        (0.0, 1.0, 2.0, 0.0)
    );
    assert_eq!(s.behaviour.procurator.custody_release_own_approval, 0.0, "absent key: no difference");
    // Absent jury-learning keys: juries' acquittals change neither requests nor prosecution.
    assert_eq!((s.behaviour.trial.jury_news, s.behaviour.trial.jury_resistance), (0.0, 0.0));
    assert_eq!(s.behaviour.trial.jury_group_weight, 1.0, "absent key: group charges weigh as others");
    assert_eq!(s.behaviour.learning.period_days, 30);
    assert_eq!(s.initial_staff().defence_lawyers, 60);
}

#[test]
fn later_entries_change_only_the_keys_they_give() {
    let s = load_ok(&repo_path("tests/fixtures/tiny.toml"));
    let mut expected = s.rules[0].value.clone();
    expected.detention_approver = DetentionApprover::Judge;
    expected.reconciliation.minor = Eligibility::Mandatory;
    assert_eq!(s.rules[1].value, expected);
    assert_eq!(s.rules[1].from_label, "2011-07-01");
    assert_eq!(s.rules[1].from_day, 365 + 181);
    assert!(s.rules[1].note.starts_with("judges approve"));

    let mut expected = s.incentives[0].value.clone();
    expected.procurator.prison_target = 1.0;
    expected.monitoring = Some(Monitoring { failing_at: 3, dismissed_at: 5 });
    assert_eq!(s.incentives[1].value, expected);

    // `monitoring = false` switches monitoring off and keeps the rest; a date may be a string.
    let text = tiny_text().replacen(
        "[[campaign]]",
        "[[incentives]]\nfrom = \"2012-07-01\"\nmonitoring = false\n\n[[campaign]]",
        1,
    );
    let s2 = load_str(&text, "tiny-monitoring.toml").unwrap_or_else(|e| panic!("{e}"));
    let third = &s2.incentives[2];
    assert_eq!(third.from_label, "2012-07-01");
    assert_eq!(third.value.monitoring, None);
    assert_eq!(third.value.procurator, s.incentives[1].value.procurator);

    // A later monitoring table patches the thresholds in force.
    let text = tiny_text().replacen(
        "[[campaign]]",
        "[[incentives]]\nfrom = 2012-07-01\nmonitoring = { dismissed_at = 9 }\n\n[[campaign]]",
        1,
    );
    let s3 = load_str(&text, "tiny-monitoring.toml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s3.incentives[2].value.monitoring, Some(Monitoring { failing_at: 3, dismissed_at: 9 }));

    // Staff: `[staff]` is in force from the start; each change patches the counts before it.
    assert_eq!(s.staffing.len(), 1);
    assert_eq!((s.staffing[0].from_day, s.staffing[0].value.trial_judges), (0, 10));
    let text = tiny_text().replacen(
        "[traits]",
        "[[staff_change]]\nfrom = 2011-03-01\nnote = \"more judges\"\ntrial_judges = 20\n\n\
         [[staff_change]]\nfrom = 2012-01-01\ndefence_lawyers = 90\n\n[traits]",
        1,
    );
    let s4 = load_str(&text, "tiny-staff.toml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s4.initial_staff(), s.initial_staff());
    let mut expected = s.initial_staff().clone();
    expected.trial_judges = 20;
    assert_eq!(
        (s4.staffing[1].from_day, &s4.staffing[1].note, &s4.staffing[1].value),
        (365 + 59, &"more judges".to_string(), &expected)
    );
    expected.defence_lawyers = 90;
    assert_eq!((s4.staffing[2].from_label.as_str(), &s4.staffing[2].value), ("2012-01-01", &expected));
}

/// A small edit of the scenario text.
#[derive(Clone, Debug)]
enum Mutation {
    DeleteByte(usize),
    DuplicateByte(usize),
    ReplaceByte(usize, u8),
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    /// Replace the n-th digit in the text with this digit.
    SetDigit(usize, u8),
    /// Insert one of a few troublesome snippets at a byte position.
    Insert(usize, usize),
}

const SNIPPETS: [&str; 8] =
    ["-", "\"", "[", "\n[[rules]]\nfrom = 1990-01-01\n", "\nx = 1\n", "99999999999999999999", "1e999", "é"];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteByte),
        any::<usize>().prop_map(Mutation::DuplicateByte),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::ReplaceByte(i, b)),
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<usize>(), 0u8..10).prop_map(|(i, d)| Mutation::SetDigit(i, d)),
        (any::<usize>(), 0..SNIPPETS.len()).prop_map(|(i, s)| Mutation::Insert(i, s)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    let n = bytes.len();
    match *m {
        Mutation::DeleteByte(i) => {
            bytes.remove(i % n);
        }
        Mutation::DuplicateByte(i) => bytes.insert(i % n, bytes[i % n]),
        Mutation::ReplaceByte(i, b) => bytes[i % n] = b,
        Mutation::SetDigit(i, d) => {
            let digits: Vec<usize> = (0..n).filter(|&j| bytes[j].is_ascii_digit()).collect();
            if !digits.is_empty() {
                bytes[digits[i % digits.len()]] = b'0' + d;
            }
        }
        Mutation::Insert(i, s) => {
            let at = i % (n + 1);
            bytes.splice(at..at, SNIPPETS[s].bytes());
        }
        Mutation::DeleteLine(_) | Mutation::DuplicateLine(_) | Mutation::SwapLines(..) => {
            let mut lines: Vec<Vec<u8>> = bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
            let k = lines.len();
            match *m {
                Mutation::DeleteLine(i) => {
                    lines.remove(i % k);
                }
                Mutation::DuplicateLine(i) => lines.insert(i % k, lines[i % k].clone()),
                Mutation::SwapLines(a, b) => lines.swap(a % k, b % k),
                _ => unreachable!(),
            }
            *bytes = lines.join(&b'\n');
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Mangled scenarios never make the loader panic; errors always come with positions.
    #[test]
    fn mutated_scenarios_never_panic(mutations in prop::collection::vec(mutation(), 1..6)) {
        let original = std::fs::read(repo_path("scenarios/kazakhstan.toml")).expect("readable");
        let mut bytes = original;
        for m in &mutations {
            apply(&mut bytes, m);
        }
        let text = String::from_utf8_lossy(&bytes);
        let n_lines = text.split('\n').count();
        match load_str(&text, "mutated.toml") {
            Ok(s) => prop_assert_eq!(s.source_text, text.as_ref()),
            Err(error) => {
                prop_assert!(!error.diagnostics.is_empty());
                for d in &error.diagnostics {
                    let file_level = d.line == 0 && d.column == 0 && d.key.is_empty();
                    prop_assert!(file_level || (d.line >= 1 && d.column >= 1), "{}", d);
                    prop_assert!(d.line <= n_lines, "{} (file has {} lines)", d, n_lines);
                    prop_assert!(!d.message.is_empty());
                    prop_assert_eq!(&d.file, "mutated.toml");
                }
            }
        }
    }
}

/// Every key the shipped scenario sets is documented in docs/scenario-reference.md, by its name
/// in backticks (alone or as the last part of a dotted name). Sections are headings, and the
/// parts of a per-gravity value (`minor` ... `especially_grave`) or of a Beta (`a`, `b`) are
/// documented with their type.
#[test]
fn every_key_of_the_shipped_scenario_is_documented() {
    fn walk(value: &toml::Value, path: &str, found: &mut Vec<String>) {
        match value {
            toml::Value::Table(table) => {
                for (key, inner) in table {
                    let dotted = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                    let part_of_a_type =
                        ["minor", "medium", "grave", "especially_grave", "a", "b"].contains(&key.as_str());
                    // A section or an array of sections is a heading, not a key.
                    let section = match inner {
                        toml::Value::Table(_) => true,
                        toml::Value::Array(items) => items.iter().all(|item| item.is_table()),
                        _ => false,
                    };
                    if !section && !part_of_a_type {
                        found.push(dotted.clone());
                    }
                    walk(inner, &dotted, found);
                }
            }
            toml::Value::Array(items) => items.iter().for_each(|item| walk(item, path, found)),
            _ => {}
        }
    }
    let text = std::fs::read_to_string(repo_path("scenarios/kazakhstan.toml")).unwrap();
    let reference = std::fs::read_to_string(repo_path("docs/scenario-reference.md")).unwrap();
    let value: toml::Value = toml::from_str(&text).unwrap();
    let mut keys = Vec::new();
    walk(&value, "", &mut keys);
    assert!(keys.len() > 150, "only {} keys found", keys.len());
    let undocumented: Vec<_> = keys
        .iter()
        .filter(|dotted| {
            let key = dotted.rsplit('.').next().unwrap();
            !reference.contains(&format!("`{key}`")) && !reference.contains(&format!(".{key}`"))
        })
        .collect();
    assert!(undocumented.is_empty(), "not in docs/scenario-reference.md: {undocumented:?}");
}

/// A file that is not a regular file (a FIFO: reading it would wait for a writer forever) is
/// refused at once, by the scenario loader and by the targets reader alike.
#[test]
fn a_fifo_is_refused_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.toml");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(status.success());
    let error = load_path(&fifo).expect_err("a FIFO");
    assert_eq!(error.diagnostics[0].message, "not a regular file");
    let error = caseflow::calibrate::load_targets(&fifo).expect_err("a FIFO");
    assert!(error.to_string().contains("fifo.toml: not a regular file"), "{error}");
}

/// An amnesty reads into its day and clauses, with the defaults an act leaves unsaid; one
/// without a clause is an error.
#[test]
fn amnesties_load_with_their_clauses_in_date_order() {
    let act = |date: &str, clauses: &str| format!("[[amnesty]]\nname = \"act of {date}\"\ndate = {date}\n{clauses}\n");
    let clauses = "[[amnesty.clause]]\nup_to = \"medium\"\nfirst_offence_only = true\n\n\
                   [[amnesty.clause]]\nup_to = \"grave\"\nterm_at_most_days = 2190\nserved_at_least = 0.5\n\
                   left_at_most_days = 365\n\
                   remaining = 0.5\n";
    let text = tiny_text().replacen(
        "[behaviour.investigation]",
        &format!(
            "{}{}[behaviour.investigation]",
            act("2012-02-19", clauses),
            act("2011-01-01", "[[amnesty.clause]]\nup_to = \"minor\"")
        ),
        1,
    );
    let s = load_str(&text, "tiny-amnesty.toml").unwrap_or_else(|e| panic!("{e}"));
    assert!(load_ok(&repo_path("tests/fixtures/tiny.toml")).amnesties.is_empty());
    let days: Vec<(u32, &str)> = s.amnesties.iter().map(|a| (a.day, a.name.as_str())).collect();
    assert_eq!(days, vec![(365, "act of 2011-01-01"), (2 * 365 + 49, "act of 2012-02-19")]);
    let c = &s.amnesties[1].clauses;
    assert_eq!(
        c[0],
        AmnestyClause {
            up_to: Gravity::Medium,
            first_offence_only: true,
            term_at_most_days: None,
            served_at_least: 0.0,
            left_at_most_days: None,
            remaining: 0.0
        }
    );
    assert_eq!(
        c[1],
        AmnestyClause {
            up_to: Gravity::Grave,
            first_offence_only: false,
            term_at_most_days: Some(2190),
            served_at_least: 0.5,
            left_at_most_days: Some(365),
            remaining: 0.5
        }
    );
    let text = tiny_text().replacen(
        "[behaviour.investigation]",
        &format!("{}[behaviour.investigation]", act("2011-01-01", "")),
        1,
    );
    let error = load_str(&text, "tiny-amnesty.toml").expect_err("an amnesty without a clause");
    assert_eq!(error.diagnostics.len(), 1, "{error}");
    assert!(error.diagnostics[0].message.contains("missing required key `clause`"), "{error}");
    assert_eq!(error.diagnostics[0].key, "amnesty[0].clause");
}
