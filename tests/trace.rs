//! Case stories (`caseflow trace`, issue 23): a traced run gives exactly the outcomes of an
//! untraced one; the named parts of a decision's utilities add up to its utilities; the text
//! and JSON a student or a tool reads have their shape; a bad `--kind` or `--year` is exit 2
//! with a message saying what to use instead.

use std::path::PathBuf;
use std::process::Command;

use caseflow::batch::{Batch, Runner};
use caseflow::engine::Model;
use caseflow::record::trace::{Item, Odds, Sample, Trace};
use caseflow::scenario::{DAYS_PER_YEAR, load_path};
use caseflow::story::{self, StoryRequest};

fn tiny_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny.toml")
}

fn caseflow(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_caseflow")).args(args).output().expect("caseflow runs")
}

#[test]
fn a_sampling_trace_counts_exactly_what_an_untraced_run_counts() {
    let s = load_path(&tiny_path()).expect("tiny loads");
    let model = Model::new(&s);
    for seed in [1u64, 7] {
        let plain = model.simulate(seed, 0);
        let sample = Sample { days: DAYS_PER_YEAR..2 * DAYS_PER_YEAR, kind: None, pool: 25, salt: seed };
        let (traced, trace) = model.simulate_traced(seed, 0, Trace::sample(sample));
        assert_eq!(traced.tally, plain.tally, "seed {seed}: the traced run's counts differ");
        assert_eq!(traced.terminals, plain.terminals);
        assert_eq!(traced.created, plain.created);
        assert_eq!(trace.sampled().len(), 25, "the sample is full");
        // Every followed case has facts and a story that starts with its registration.
        for (_, id) in trace.sampled() {
            assert!(trace.facts_of(id).is_some());
            assert!(trace.story(id).next().is_some());
        }
    }
    // The stories command's run: its summary is the untraced batch's, byte for byte.
    let stories = story::tell(&s, &StoryRequest { cases: 5, seed: 3, kind: None, year: Some(2011), tried: true })
        .expect("stories");
    let runner = Runner::new(1).expect("runner");
    let batch = Batch::new(3, [0]);
    let untraced = runner.run(&s, &batch);
    let defs = caseflow::record::series_defs(&s);
    let first_reported = (s.calendar.first_reported_year - s.calendar.first_year) as usize;
    for (k, def) in defs.iter().enumerate() {
        for y in 0..untraced.years.len() {
            let a = def.value(&stories.output.tally, first_reported + y);
            let b = untraced.runs[0].values[k * untraced.years.len() + y];
            assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()), "{} year {y}: {a} vs {b}", def.name);
        }
    }
}

#[test]
fn the_parts_of_a_utility_add_up_to_it() {
    let s = load_path(&tiny_path()).expect("tiny loads");
    let model = Model::new(&s);
    let (_, all) = model.simulate_traced(2026, 0, Trace::all());
    let mut checked = 0;
    for e in all.entries() {
        let Item::Decision(d) = &e.item else { continue };
        if d.terms.is_empty() || matches!(d.odds, Odds::Forced) {
            continue;
        }
        let u = d.utilities().expect("not forced");
        // The options whose every part is named: a judge's conviction and acquittal, a
        // procurator's sending to court, a yes/no chance's first option.
        let full: &[usize] = match (d.stage, d.question) {
            ("trial", "ruling") => &[0, 1],
            ("procurator", "review") => &[0],
            _ => &[0],
        };
        for &o in full {
            let sum: f64 = d.terms.iter().filter(|t| t.option == o).map(|t| t.value).sum();
            assert!(
                (sum - u[o]).abs() < 1e-9,
                "{} / {}: parts of option {o} sum to {sum}, utility {}",
                d.stage,
                d.question,
                u[o]
            );
        }
        for p in d.pushes() {
            assert!((0.0..=1.0).contains(&p.with) && (0.0..=1.0).contains(&p.without));
        }
        checked += 1;
    }
    assert!(checked > 50, "only {checked} decisions with parts");
}

#[test]
fn trace_text_and_json_have_their_shape() {
    let tiny = tiny_path();
    let tiny = tiny.to_str().expect("utf-8 path");
    let out = caseflow(&["trace", tiny, "--cases", "3", "--seed", "2", "--year", "2011", "--tried"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.starts_with("Case stories: 3 case(s) of every kind that reached a trial registered in 2011, scenario `tiny` (master seed 2, run 0), caseflow "), "{text}");
    assert_eq!(text.matches("\nCase ").count(), 3, "{text}");
    for needle in [
        "registered",
        "investigation / find a suspect: investigator #",
        "options: ",
        "draw ",
        "trial / ",
        "pushed most: ",
    ] {
        assert!(text.contains(needle), "no {needle:?} in\n{text}");
    }

    let out = caseflow(&["trace", tiny, "--cases", "2", "--seed", "2", "--year", "2011", "--kind", "theft", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let made = &v["made"];
    assert_eq!(made["scenario"], "tiny");
    assert_eq!(
        (made["master_seed"].as_u64(), made["year"].as_i64(), made["kind"].as_str()),
        (Some(2), Some(2011), Some("theft"))
    );
    assert!(
        made["git_revision"].is_string()
            && made["version"].is_string()
            && made["scenario_sha256"].as_str().unwrap().len() == 64
    );
    let cases = v["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 2);
    for c in cases {
        assert_eq!(c["facts"]["kind"], "theft");
        assert!(c["id"].is_u64());
        let story = c["story"].as_array().expect("story");
        assert_eq!(story[0]["type"], "event");
        assert_eq!(story[0]["event"], "registered");
        for e in story {
            assert!(e["date"].as_str().unwrap().starts_with("201"), "{e}");
            if e["type"] == "decision" {
                for key in ["stage", "question", "decider", "options", "outcome", "terms", "kind"] {
                    assert!(!e[key].is_null(), "no {key} in {e}");
                }
                assert!(e["decider"]["role"].is_string() && e["decider"]["province"].is_string());
                let p: f64 = e["options"].as_array().unwrap().iter().map(|o| o["probability"].as_f64().unwrap()).sum();
                assert!((p - 1.0).abs() < 1e-9);
            }
        }
    }
}

#[test]
fn a_bad_kind_or_year_is_exit_2_with_a_message() {
    let tiny = tiny_path();
    let tiny = tiny.to_str().expect("utf-8 path");
    let cases: [(&[&str], &str); 4] = [
        (
            &["--kind", "thef"],
            "unknown crime kind \"thef\" (did you mean \"theft\"?); the kinds of `tiny` are: theft, drugs, violence",
        ),
        (&["--year", "1999"], "--year 1999 is outside the scenario's years 2010-2012"),
        (&["--cases", "0"], "--cases must be from 1 to 1000, not 0"),
        (&["--year", "soon"], "invalid value 'soon'"),
    ];
    for (args, expected) in cases {
        let mut all = vec!["trace", tiny];
        all.extend_from_slice(args);
        let out = caseflow(&all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: expected {expected:?} in {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(out.stdout.is_empty());
    }
}
