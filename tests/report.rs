//! `caseflow report` as a user meets it: the tiny scenario is run with the built binary, its
//! results turned into a report, and the page and figures checked against the results
//! themselves: the page makes no network request, its embedded data are the numbers of
//! `summary.csv`, its hit counts are `compare`'s, each SVG is well-formed XML with one line per
//! series and its provenance, the same inputs give the same bytes, and bad inputs exit with
//! status 2 naming the file (and line) at fault, writing nothing.

mod common;
use common::*;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use caseflow::calibrate::{self, Status, TargetKind};

/// Runs of the tiny scenario behind every test (about half a second each in the test profile).
const SEEDS: &str = "3";
const MASTER_SEED: &str = "5";

fn targets_csv() -> PathBuf {
    repo_path("data/targets.csv")
}

/// A scratch directory of this test binary, emptied when the process first asks for it (one
/// fixed place, so runs do not pile up).
fn scratch(name: &str) -> PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    let root = ROOT.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-tests");
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).expect("scratch directory");
        root
    });
    let dir = root.join(name);
    fs::create_dir_all(&dir).expect("scratch subdirectory");
    dir
}

/// One run of the tiny scenario and its report with the default paths, shared by the tests.
struct Fixture {
    results: PathBuf,
    html_path: PathBuf,
    html: String,
    svg_dir: PathBuf,
    stdout: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let results = scratch("fixture").join("tiny");
        let ran = run([
            "run".as_ref(),
            repo_path("tests/fixtures/tiny.toml").as_os_str(),
            "--seeds".as_ref(),
            SEEDS.as_ref(),
            "--seed".as_ref(),
            MASTER_SEED.as_ref(),
            "--out".as_ref(),
            results.as_os_str(),
        ]);
        assert_exit(&ran, 0, "caseflow run of the tiny scenario");
        let report = run(["report".as_ref(), results.as_os_str(), "--targets".as_ref(), targets_csv().as_os_str()]);
        assert_exit(&report, 0, "caseflow report");
        let html_path = results.join("report.html");
        let html = fs::read_to_string(&html_path).expect("report.html is written into the results directory");
        Fixture { svg_dir: results.join("report-svg"), results, html_path, html, stdout: text(&report.stdout) }
    })
}

/// The embedded data of a page.
fn embedded_data(html: &str) -> serde_json::Value {
    let open = r#"<script type="application/json" id="caseflow-data">"#;
    assert_eq!(html.matches(open).count(), 1, "exactly one data element");
    let start = html.find(open).map(|i| i + open.len()).unwrap_or_default();
    let end = start + html[start..].find("</script>").expect("the data element is closed");
    serde_json::from_str(&html[start..end]).expect("the embedded data is JSON")
}

/// `summary.csv` as (series, year) -> [mean, p05, p95], read here independently of the crate.
fn summary_csv(dir: &Path) -> BTreeMap<(String, i32), [f64; 3]> {
    let text = fs::read_to_string(dir.join("summary.csv")).expect("summary.csv");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("series,year,mean,sd,p05,p95"));
    lines
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), 6, "summary line `{line}`");
            let num = |s: &str| s.parse::<f64>().unwrap_or_else(|_| panic!("number in `{line}`"));
            ((f[0].to_string(), f[1].parse().expect("year")), [num(f[2]), num(f[4]), num(f[5])])
        })
        .collect()
}

/// Every `src=`, `href=` or `url(` target in `html` that reaches the network: an absolute
/// `http://`/`https://` URL or a protocol-relative `//host`. Also flags script calls that
/// fetch (`fetch(`, `XMLHttpRequest`, `@import`).
fn network_references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    let lower = html.to_ascii_lowercase();
    for attr in ["src=", "href=", "url(", "srcset=", "action=", "poster=", "data="] {
        for (i, _) in lower.match_indices(attr) {
            let rest = lower[i + attr.len()..].trim_start_matches(['"', '\'', ' ']);
            if rest.starts_with("http://") || rest.starts_with("https://") || rest.starts_with("//") {
                let end = (i + 80).min(html.len());
                found.push(html[i..end].to_string());
            }
        }
    }
    for call in ["fetch(", "xmlhttprequest", "@import", "new websocket", "eventsource(", "sendbeacon"] {
        if lower.contains(call) {
            found.push(call.to_string());
        }
    }
    found
}

// ---------------------------------------------------------------- the page

#[test]
fn page_makes_no_network_request() {
    let f = fixture();
    assert_eq!(network_references(&f.html), Vec::<String>::new(), "the page must open offline");
    assert!(
        f.html.contains(r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none';"#),
        "the page forbids network access to the browser too"
    );
    // The chart library is inlined, not linked.
    assert!(f.html.contains("var uPlot="), "uPlot is inlined");
    assert!(!f.html.contains("<script src") && !f.html.contains("<link"), "no external script or stylesheet");

    // The check itself catches what it is meant to.
    for bad in [
        r#"<script src="https://cdn.jsdelivr.net/npm/uplot"></script>"#,
        r#"<link rel="stylesheet" href='http://example.org/a.css'>"#,
        "<style>@font-face { src: url(//fonts.example/x.woff) }</style>",
        "<script>fetch('data.json')</script>",
        "<script>new XMLHttpRequest()</script>",
    ] {
        assert!(!network_references(bad).is_empty(), "not caught: {bad}");
    }
    assert!(network_references(r##"<a href="report-svg/a.svg">SVG</a><a href="#hits">x</a>"##).is_empty());
}

#[test]
fn page_names_what_was_run() {
    let f = fixture();
    assert!(f.html.contains("Scenario <q>tiny</q>: 3 runs compared with the published figures"), "heading");
    for needed in ["How to read this.", "id=\"provenance\"", "id=\"hits\"", "id=\"other\"", "master seed 5"] {
        assert!(f.html.contains(needed), "the page has `{needed}`");
    }
    let data = embedded_data(&f.html);
    let prov = &data["meta"]["provenance"];
    assert_eq!(prov["scenario_name"], "tiny");
    assert_eq!(prov["master_seed"], MASTER_SEED);
    assert_eq!(prov["n_runs"], 3);
    assert_eq!(prov["complete"], true);
    assert_eq!(prov["run_indices"], serde_json::json!([0, 1, 2]));
    let sha = prov["scenario_sha256"].as_str().expect("the scenario's SHA-256");
    assert_eq!(sha.len(), 64);
    assert!(f.html.contains(sha), "the SHA-256 is shown");
    assert_eq!(prov["git_revision"], caseflow::output::GIT_REVISION);
    assert_eq!(prov["crate_version"], caseflow::output::CRATE_VERSION);
    assert!(prov["command_line"].as_str().is_some_and(|c| c.contains(" run ")), "the run's command line");
}

#[test]
fn embedded_data_are_the_numbers_of_summary_csv() {
    let f = fixture();
    let data = embedded_data(&f.html);
    let summary = summary_csv(&f.results);
    let charts = data["charts"].as_array().expect("charts");
    let as_number = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN);
    let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
    let mut checked = 0;
    for series in ["procurator.sent_to_court", "trial.convicted", "reconciliation.court_share_of_heard"] {
        let chart = charts.iter().find(|c| c["title"] == series).unwrap_or_else(|| panic!("a chart of {series}"));
        let years: Vec<i64> = chart["years"].as_array().expect("years").iter().filter_map(|y| y.as_i64()).collect();
        let mean = &chart["lines"][0];
        assert_eq!(mean["label"], "simulated mean");
        let band = &chart["bands"][0];
        for ((name, year), [m, p05, p95]) in summary.iter().filter(|((s, _), _)| s == series) {
            let i = years.iter().position(|y| *y == i64::from(*year)).unwrap_or_else(|| panic!("{name} {year}"));
            assert!(same(as_number(&mean["values"][i]), *m), "{name} {year} mean: page {} csv {m}", mean["values"][i]);
            assert!(same(as_number(&band["lo"][i]), *p05), "{name} {year} p05");
            assert!(same(as_number(&band["hi"][i]), *p95), "{name} {year} p95: page {} csv {p95}", band["hi"][i]);
            checked += 1;
        }
        // The published figures are the targets file's.
        let published: Vec<(i64, f64)> = years
            .iter()
            .zip(chart["points"][0]["values"].as_array().expect("points"))
            .filter_map(|(y, v)| v.as_f64().map(|v| (*y, v)))
            .collect();
        let targets = calibrate::load_targets(&targets_csv()).expect("targets");
        let expected: Vec<(i64, f64)> =
            targets.iter().filter(|t| t.series == series).map(|t| (i64::from(t.year), t.value)).collect();
        assert_eq!(published, expected, "{series}: published points");
    }
    assert_eq!(checked, 3 * 2, "three series, two reported years each");
}

#[test]
fn hit_counts_are_those_of_compare() {
    let f = fixture();
    let results = calibrate::read_results(&f.results).expect("results");
    let targets = calibrate::load_targets(&targets_csv()).expect("targets");
    let c = calibrate::compare(&results.summary, &targets, None);
    assert!(c.total() > 100 && c.hits() > 0, "a comparison worth checking: {} of {}", c.hits(), c.total());

    let total = format!(r#"id="hits-total" data-hits="{}" data-total="{}""#, c.hits(), c.total());
    assert!(f.html.contains(&total), "page headline: want {total}");
    assert!(f.stdout.contains(&format!("({} of {} published figures hit)", c.hits(), c.total())), "{}", f.stdout);
    for g in &c.groups {
        let row = format!(r#"<tr data-group="{}" data-hits="{}" data-total="{}">"#, g.group, g.hits, g.rows);
        assert!(f.html.contains(&row), "scoreboard row for {}: want {row}", g.group);
        let head = format!("{} of {} hits</th>", g.hits, g.rows);
        assert!(f.html.contains(&head), "hit table group header for {}", g.group);
    }
    // Every row of the table, with its result.
    let rows = |status: Status| c.rows.iter().filter(|r| r.status == status).count();
    assert_eq!(f.html.matches("<tr class=\"hit\">").count(), rows(Status::Hit));
    assert_eq!(f.html.matches("<tr class=\"miss\">").count(), rows(Status::Miss));
    assert_eq!(f.html.matches("<tr class=\"missing\">").count(), rows(Status::Missing));
    let data = embedded_data(&f.html);
    assert_eq!(data["meta"]["hits"], c.hits());
    assert_eq!(data["meta"]["total"], c.total());
    assert_eq!(data["meta"]["rows"].as_array().map(Vec::len), Some(c.total()));
}

#[test]
fn charts_are_grouped_as_compare_groups_them() {
    let f = fixture();
    let positions: Vec<usize> = calibrate::GROUP_ORDER
        .iter()
        .map(|g| f.html.find(&format!("<section id=\"group-{g}\">")).unwrap_or_else(|| panic!("section of {g}")))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "sections in compare's order");
    // Every series with published figures has its figure, in the section of its group.
    let targets = calibrate::load_targets(&targets_csv()).expect("targets");
    for t in targets.iter().filter(|t| t.kind == TargetKind::Target) {
        let figure = f.html.find(&format!("<figure class=\"chart\" id=\"series-{}\">", t.series));
        let section = f.html.find(&format!("<section id=\"group-{}\">", calibrate::series_group(&t.series)));
        assert!(figure.is_some() && figure > section, "{} in its group's section", t.series);
    }
    // The series without published figures are collapsed.
    let other = f.html.find("<section id=\"other\">").expect("other series");
    assert!(f.html[other..].contains("<details><summary>"), "collapsed");
    assert!(f.html[other..].contains("id=\"series-investigation.clearance_rate\""));
}

// ---------------------------------------------------------------- the figures

#[test]
fn svg_figures_are_well_formed_with_one_line_per_series_and_the_provenance() {
    let f = fixture();
    let targets = calibrate::load_targets(&targets_csv()).expect("targets");
    let mut series: Vec<&str> = targets.iter().map(|t| t.series.as_str()).collect();
    series.dedup();
    let files: Vec<_> = fs::read_dir(&f.svg_dir).expect("the SVG directory").collect();
    let mut unique = series.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(files.len(), unique.len(), "one SVG per series with published figures");
    let summary = summary_csv(&f.results);
    let mut undefined = 0;
    let short_git: String = caseflow::output::GIT_REVISION.chars().take(12).collect();
    for name in &unique {
        let path = f.svg_dir.join(format!("{name}.svg"));
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{} is not XML: {e}", path.display()));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.tag_name().namespace(), Some("http://www.w3.org/2000/svg"));
        let class = |n: &roxmltree::Node<'_, '_>, c: &str| n.attribute("class") == Some(c);
        let lines: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("path") && class(n, "line")).collect();
        assert_eq!(lines.len(), 1, "{name}: one line (the simulated mean)");
        assert_eq!(lines[0].attribute("data-label"), Some("simulated mean"));
        // Drawn where the summary has a mean (a ratio undefined in every run has none).
        let d = lines[0].attribute("d").unwrap_or_default();
        let simulated = summary.iter().filter(|((s, _), v)| s == name && v[0].is_finite()).count();
        let mut points: Vec<&str> = d.split(['M', 'L', ' ']).filter(|p| !p.is_empty()).collect();
        points.sort_unstable();
        points.dedup();
        assert_eq!(points.len(), simulated, "{name}: the line goes through every mean: {d}");
        assert_eq!(d.is_empty(), simulated == 0, "{name}: line `{d}`");
        assert_eq!(doc.descendants().filter(|n| n.has_tag_name("path") && class(n, "band")).count(), 1);
        let points = doc.descendants().find(|n| class(n, "points")).expect("published points");
        let published = targets.iter().filter(|t| t.series == *name).count();
        assert_eq!(points.children().filter(|n| n.has_tag_name("circle")).count(), published, "{name}: points");
        if simulated == 0 {
            undefined += 1;
            let note = doc.descendants().find(|n| class(n, "no-values")).and_then(|n| n.text()).unwrap_or_default();
            assert!(note.contains("no simulated value"), "{name}: says why there is no line");
        }
        let title = doc.descendants().find(|n| n.has_tag_name("title")).and_then(|n| n.text()).unwrap_or_default();
        assert!(title.starts_with(name), "{name}: title `{title}`");
        let provenance = doc.descendants().find(|n| class(n, "provenance")).and_then(|n| n.text()).unwrap_or_default();
        for needed in ["scenario tiny", "master seed 5", "3 runs", &format!("git {short_git}")] {
            assert!(provenance.contains(needed), "{name}: provenance `{provenance}` lacks `{needed}`");
        }
    }
    assert!(undefined < unique.len() / 4, "most series have values: {undefined} of {} have none", unique.len());
    // The page links each figure.
    assert!(f.html.contains(r#"<a href="report-svg/procurator.sent_to_court.svg">SVG</a>"#));
}

// ---------------------------------------------------------------- writing

#[test]
fn same_inputs_give_the_same_bytes_and_an_existing_report_is_kept_without_force() {
    let f = fixture();
    let before = fs::read(&f.html_path).expect("report");
    let again = run(["report".as_ref(), f.results.as_os_str(), "--targets".as_ref(), targets_csv().as_os_str()]);
    assert_exit(&again, EXIT_BAD_INPUT, "a second report without --force");
    let stderr = text(&again.stderr);
    assert!(stderr.contains("report.html already exists; pass --force"), "{stderr}");
    assert_eq!(fs::read(&f.html_path).expect("report"), before, "the report is untouched");

    // With --force, into a copy so the shared fixture stays as it was; the same command line
    // (the page shows it) gives the same bytes.
    let dir = scratch("force");
    let out = dir.join("r.html");
    let args = |force: bool| {
        let mut a =
            vec!["report".into(), f.results.clone().into_os_string(), "-o".into(), out.clone().into_os_string()];
        a.extend(["--targets".into(), targets_csv().into_os_string()]);
        if force {
            a.push("--force".into());
        }
        a
    };
    assert_exit(&run(args(true)), 0, "first report");
    let first = fs::read(&out).expect("r.html");
    let svg = fs::read(dir.join("r-svg/trial.convicted.svg")).expect("the SVG beside r.html");
    assert_exit(&run(args(true)), 0, "report again with --force");
    assert_eq!(fs::read(&out).expect("r.html"), first, "byte-identical page");
    assert_eq!(fs::read(dir.join("r-svg/trial.convicted.svg")).expect("svg"), svg, "byte-identical SVG");
    // An SVG alone in the way is refused too, before anything is written.
    fs::remove_file(&out).expect("remove r.html");
    let refused = run(args(false));
    assert_exit(&refused, EXIT_BAD_INPUT, "an SVG already there");
    assert!(text(&refused.stderr).contains("r-svg/"), "{}", text(&refused.stderr));
    assert!(!out.exists(), "nothing written");
    // No temporaries left behind.
    let leftovers: Vec<String> = fs::read_dir(&dir)
        .expect("dir")
        .chain(fs::read_dir(dir.join("r-svg")).expect("svg dir"))
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert_eq!(leftovers, Vec::<String>::new());
}

#[test]
fn svg_dir_option_puts_figures_elsewhere_and_links_them() {
    let f = fixture();
    let dir = scratch("svg-dir");
    let out = dir.join("page.html");
    let figures = dir.join("figures for the paper");
    let output = run([
        "report".as_ref(),
        f.results.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--svg-dir".as_ref(),
        figures.as_os_str(),
        "--targets".as_ref(),
        targets_csv().as_os_str(),
        "--years".as_ref(),
        "2012".as_ref(),
    ]);
    assert_exit(&output, 0, "report with --svg-dir and --years");
    assert!(figures.join("trial.convicted.svg").is_file());
    assert!(!dir.join("page-svg").exists());
    let html = fs::read_to_string(&out).expect("page.html");
    assert!(html.contains(r#"<a href="figures%20for%20the%20paper/trial.convicted.svg">SVG</a>"#));
    // --years counts only that year's targets, as compare does.
    let results = calibrate::read_results(&f.results).expect("results");
    let targets = calibrate::load_targets(&targets_csv()).expect("targets");
    let c = calibrate::compare(&results.summary, &targets, Some(2012..=2012));
    assert!(html.contains(&format!(r#"id="hits-total" data-hits="{}" data-total="{}""#, c.hits(), c.total())));
    assert!(html.contains("published figures of 2012 are hits"));
}

// ---------------------------------------------------------------- bad input

#[test]
fn a_missing_results_directory_exits_2_naming_it() {
    let dir = scratch("missing");
    let missing = dir.join("no-such-run");
    let output = run(["report".as_ref(), missing.as_os_str(), "--targets".as_ref(), targets_csv().as_os_str()]);
    assert_exit(&output, EXIT_BAD_INPUT, "missing results");
    let stderr = text(&output.stderr);
    assert!(stderr.contains(&format!("{}: no such directory", missing.display())), "{stderr}");
    assert!(!missing.exists(), "nothing created");
}

#[test]
fn a_summary_that_does_not_parse_exits_2_naming_file_and_line() {
    let f = fixture();
    let dir = scratch("bad-summary");
    for file in ["summary.csv", "provenance.toml"] {
        fs::copy(f.results.join(file), dir.join(file)).expect("copy");
    }
    let path = dir.join("summary.csv");
    let text_in = fs::read_to_string(&path).expect("summary");
    let mut lines: Vec<&str> = text_in.lines().collect();
    lines[2] = "procurator.sent_to_court,2012,lots,0,1,2";
    fs::write(&path, lines.join("\n") + "\n").expect("write");
    let output = run(["report".as_ref(), dir.as_os_str(), "--targets".as_ref(), targets_csv().as_os_str()]);
    assert_exit(&output, EXIT_BAD_INPUT, "malformed summary.csv");
    let stderr = text(&output.stderr);
    assert!(stderr.contains(&format!("{}:3:", path.display())), "file and line named: {stderr}");
    assert!(stderr.contains("lots"), "the offending value shown: {stderr}");
    assert!(!dir.join("report.html").exists() && !dir.join("report-svg").exists(), "nothing written");
}

#[test]
fn missing_targets_or_provenance_exit_2_naming_the_file() {
    let f = fixture();
    let missing = scratch("no-targets").join("targets.csv");
    let out = scratch("no-targets").join("r.html");
    let output = run([
        "report".as_ref(),
        f.results.as_os_str(),
        "--targets".as_ref(),
        missing.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert_exit(&output, EXIT_BAD_INPUT, "missing targets");
    assert!(text(&output.stderr).contains(&format!("{}: no such file", missing.display())), "{}", text(&output.stderr));
    assert!(!out.exists());

    let dir = scratch("no-provenance");
    fs::copy(f.results.join("summary.csv"), dir.join("summary.csv")).expect("copy");
    let output = run(["report".as_ref(), dir.as_os_str(), "--targets".as_ref(), targets_csv().as_os_str()]);
    assert_exit(&output, EXIT_BAD_INPUT, "results without provenance");
    assert!(text(&output.stderr).contains("provenance.toml"), "{}", text(&output.stderr));
}

#[test]
fn results_of_an_interrupted_batch_are_marked_incomplete() {
    let f = fixture();
    let dir = scratch("incomplete");
    fs::copy(f.results.join("summary.csv"), dir.join("summary.csv")).expect("copy");
    let provenance = fs::read_to_string(f.results.join("provenance.toml")).expect("provenance");
    assert!(provenance.contains("complete = true\n"));
    fs::write(dir.join("provenance.toml"), provenance.replace("complete = true\n", "complete = false\n"))
        .expect("write");
    let output = run(["report".as_ref(), dir.as_os_str(), "--targets".as_ref(), targets_csv().as_os_str()]);
    assert_exit(&output, 0, "report of incomplete results");
    assert!(text(&output.stderr).contains("incomplete"), "{}", text(&output.stderr));
    let html = fs::read_to_string(dir.join("report.html")).expect("page");
    assert!(html.contains("<strong>Incomplete results.</strong>"), "the page says so at the top");
    assert_eq!(embedded_data(&html)["meta"]["provenance"]["complete"], false);
    let svg = fs::read_to_string(dir.join("report-svg/trial.convicted.svg")).expect("svg");
    assert!(svg.contains("3 runs, INCOMPLETE (interrupted)"), "the figures say so too");
}
