//! The shipped scenario gives plausible magnitudes: every published figure of 2010 (the year
//! with the most targets) is matched within a factor of two by the mean of the default runs.
//! The close fit is the calibration's job (see results/calibration/); this guards against a
//! change that breaks the shipped parameters, pins the documented hits of the fit, and checks
//! that the rolling-origin windows' blind forecasts rest on values that act only after them.

use caseflow::calibrate::{TargetKind, load_targets};
use caseflow::engine::Model;
use caseflow::record::series_defs;
use caseflow::scenario;
use rayon::prelude::*;

#[test]
fn every_2010_target_within_a_factor_of_two() {
    let s = scenario::load_path(std::path::Path::new("scenarios/kazakhstan.toml")).expect("shipped scenario loads");
    let targets = load_targets(std::path::Path::new("data/targets.csv")).expect("targets load");
    let model = Model::new(&s);
    // The eight runs of the shipped results (`caseflow run` defaults: master seed 1, runs 0..8).
    let runs: Vec<_> = (0..8u64).into_par_iter().map(|run| model.simulate_until(1, run, 2010)).collect();
    let defs = series_defs(&s);
    let y = (2010 - s.calendar.first_year) as usize;
    let mut checked = 0;
    let mut failures = Vec::new();
    for t in targets.iter().filter(|t| t.year == 2010 && t.kind == TargetKind::Target) {
        let def = defs.iter().find(|d| d.name == t.series).unwrap_or_else(|| panic!("no series {}", t.series));
        let mean = runs.iter().map(|o| def.value(&o.tally, y)).sum::<f64>() / runs.len() as f64;
        let ratio = mean / t.value;
        checked += 1;
        if !(0.5..=2.0).contains(&ratio) {
            failures.push(format!("{}: published {}, simulated {mean:.4} (x{ratio:.2})", t.series, t.value));
        }
    }
    assert!(checked >= 35, "only {checked} targets of 2010 were checked");
    assert!(failures.is_empty(), "outside a factor of two:\n{}", failures.join("\n"));
}

/// The fit the README and `results/calibration/README.md` report: the default eight runs of the
/// shipped scenario, compared with the 169 published figures of 2000-2012, give exactly this
/// many hits. The runs are deterministic, so a change of this count means the model or the
/// shipped parameters changed: recalibrate, or re-state the fit in both READMEs. (148 with the
/// ChaCha8 case windows the calibration ran on; 137 since the counter-based case draws of
/// issue 24 gave every case new numbers; 102 after the mechanisms of issue 19, 103 once the
/// outcome shares left became actors' choices, 100 with the local ties between officials, 108
/// after the refit of issue 20 at 120 evaluations, 122 at 300: scripts/refit.sh 120 300; 121
/// once judges learned from remembered counts with a prior and `procurator_pressure` was reset
/// by hand to keep public acquittals; 134 after the refit under that learning,
/// scripts/refit.sh 150 600; 134 again, other rows, after the refit of stage 21 with a
/// U-shaped solvability of all reports and the local tie bounded, scripts/refit.sh 600 600; 139
/// after the refit of stage 26, where judges' closures on active repentance answer their load
/// and the procurator's indicator; 140 after the refit of stage 27, where private complaints grow
/// before 2010 instead of standing at 6,000 from the start; 140 again, other rows, after the
/// refit of stage 29, where compliance with total registration spreads late and sharply; 139
/// after the refit of stage 30, from nothing once an overturned sentence whose term had ended
/// no longer freed its prisoners twice.)
const DOCUMENTED_HITS_2000_2012: usize = 139;

#[test]
fn the_documented_fit_holds() {
    use caseflow::batch::{Batch, Runner};
    use caseflow::calibrate::compare;

    let s = scenario::load_path(std::path::Path::new("scenarios/kazakhstan.toml")).expect("shipped scenario loads");
    let targets = load_targets(std::path::Path::new("data/targets.csv")).expect("targets load");
    // `caseflow run` defaults: master seed 1, eight runs.
    let r = Runner::new(0).expect("threads start").run(&s, &Batch::new(1, 0..8));
    let summary = r.summary();
    let fit = compare(&summary, &targets, Some(2000..=2012));
    assert_eq!(fit.total(), 169, "the targets of 2000-2012 changed");
    assert_eq!(fit.missing(), 0, "a target series is missing from the outputs");
    assert_eq!(fit.hits(), DOCUMENTED_HITS_2000_2012, "hits of the shipped scenario:\n{}", fit.table());
}

/// The rolling-origin windows forecast over a blind ensemble (`scripts/blind-ensemble.sh`): the
/// values stage 29 set by hand from figures of 2011-2012 set back to values chosen without them.
/// The windows keep the hand-set values in their fits, so this is the same as fitting from the
/// blind values only if they do not act before 2011: every series of every year to 2010 must be
/// the same, bit for bit, with either, and 2011 must differ (they do act once total
/// registration is the rule).
#[test]
fn the_blind_values_act_only_from_2011() {
    use caseflow::calibrate::load_ensemble;
    use std::path::Path;
    let fit = Path::new("results/calibration/forecast-2010");
    let dir = tempfile::tempdir().unwrap();
    let blind_csv = dir.path().join("ensemble-blind.csv");
    let out = std::process::Command::new("bash")
        .arg("scripts/blind-ensemble.sh")
        .arg(fit.join("ensemble.csv"))
        .output()
        .expect("bash runs");
    assert!(out.status.success(), "blind-ensemble.sh failed: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(&blind_csv, &out.stdout).unwrap();
    let text = std::fs::read_to_string(fit.join("fitted.toml")).unwrap();
    let member = |csv: &Path| {
        let texts = load_ensemble(csv).unwrap().member_texts(&text, "fitted.toml").unwrap();
        scenario::load_str(&texts[0], "fitted.toml").expect("member loads")
    };
    let plain = member(&fit.join("ensemble.csv"));
    let blind = member(&blind_csv);
    let defs = series_defs(&plain);
    let runs: Vec<_> =
        [&plain, &blind].into_par_iter().map(|s| Model::new(s).simulate_until(1, 0, 2011).tally).collect();
    let first = plain.calendar.first_year;
    let differs = |year: i32| {
        let y = (year - first) as usize;
        defs.iter()
            .filter(|d| d.value(&runs[0], y).to_bits() != d.value(&runs[1], y).to_bits())
            .map(|d| d.name.clone())
            .collect::<Vec<_>>()
    };
    for year in first..=2010 {
        assert!(differs(year).is_empty(), "the blind values act in {year}: {:?}", differs(year));
    }
    assert!(!differs(2011).is_empty(), "the blind values do not act in 2011: the test checks nothing");
}
