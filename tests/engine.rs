//! The engine's guarantees: every case ends exactly once, counts are conserved between stages,
//! stocks never go negative, results depend only on (scenario, master seed, run index) and
//! not on threads, and a dated change leaves everything before its date untouched (common
//! random numbers).

use std::sync::atomic::AtomicBool;

use caseflow::batch::{Batch, RunDone, Runner, Series};
use caseflow::engine::{N_TERMINALS, RunOutput, Terminal, simulate};
use caseflow::output::summary_csv;
use caseflow::record::{Counter, Tally};
use caseflow::scenario::{self, Scenario};
use proptest::prelude::*;

fn tiny() -> Scenario {
    scenario::load_path(std::path::Path::new("tests/fixtures/tiny.toml")).expect("tiny fixture loads")
}

/// The fixture's text with its registered crimes multiplied by `k`.
fn scaled(text: &str, k: u32) -> String {
    let mut text = text.to_string();
    for n in [3000, 3200, 3100] {
        text = text.replace(&format!("registered_crimes = {n}\n"), &format!("registered_crimes = {}\n", n * k));
    }
    text
}

/// The tiny fixture at three times its inflow (investigators overloaded), with the line `old`
/// of its text replaced by `new`.
fn tripled_with(old: &str, new: &str) -> Scenario {
    let text = scaled(&tiny().source_text, 3);
    assert!(text.contains(old), "tiny.toml no longer has `{old}`");
    scenario::load_str(&text.replacen(old, new, 1), "tripled").expect("loads")
}

fn total(t: &Tally, c: Counter) -> u64 {
    (0..t.n_years()).map(|y| t.get(y, c)).sum()
}

/// Invariants every run must satisfy, whatever the scenario.
fn check_invariants(out: &RunOutput) {
    let t = &out.tally;
    // Every case created ends in exactly one terminal state (pending at the end included).
    let ended: u64 = out.terminals.iter().sum();
    assert_eq!(ended, out.created, "terminal states {:?} vs {} cases created", out.terminals, out.created);
    assert!(out.min_stock >= 0, "a stock went negative: {}", out.min_stock);
    // Prison: everyone sentenced has left on a release day or is due out later (an overturned
    // sentence whose term had already ended once freed its prisoners a second time).
    assert_eq!(out.final_prisoners, out.prisoners_due_later, "prison in/out does not balance");
    // Pre-trial detention: everyone detained has left or is still there.
    assert_eq!(
        total(t, Counter::Detained) as i64 - total(t, Counter::DetentionExits) as i64,
        out.final_pretrial,
        "detention in/out does not balance"
    );
    for y in 0..t.n_years() {
        let g = |c| t.get(y, c);
        assert!(g(Counter::JudgeApproved) <= g(Counter::JudgeDecided));
        assert!(g(Counter::ProcuratorApproved) <= g(Counter::ProcuratorDecided));
        assert_eq!(g(Counter::Detained), g(Counter::JudgeApproved) + g(Counter::ProcuratorApproved));
        assert_eq!(
            g(Counter::DetentionRequests),
            g(Counter::JudgeDecided) + g(Counter::ProcuratorDecided) + g(Counter::ProcuratorRefusals),
            "every detention request is decided exactly once (year {y})"
        );
        assert!(g(Counter::CustodyShort) <= g(Counter::CustodyHeld));
        assert!(g(Counter::CustodyReleased) <= g(Counter::CustodyHeld));
        assert!(g(Counter::ReleasedOnClosure) <= g(Counter::DetentionExits));
        assert!(g(Counter::CustodialSentences) <= g(Counter::SentencedDefendants));
        assert_eq!(g(Counter::SentencedDefendants), g(Counter::TrialConvicted));
        assert!(g(Counter::ConvictedJobless) <= g(Counter::SentencedDefendants));
        assert!(
            g(Counter::TrialClosedReconciled)
                + g(Counter::PrivateWithdrawn)
                + g(Counter::TrialClosedExonerating)
                + g(Counter::TrialClosedOtherNonrehab)
                == g(Counter::TrialClosed)
        );
        assert!(
            g(Counter::PrivateClosed) + g(Counter::PrivateTransferred) + g(Counter::PrivateSentenceCases)
                <= g(Counter::PrivateCases)
        );
        assert!(g(Counter::PrivateAcquitted) <= g(Counter::TrialAcquitted));
        assert!(g(Counter::TrialAcquittedPublic) + g(Counter::PrivateAcquitted) == g(Counter::TrialAcquitted));
        assert!(g(Counter::JuryAcquitted) <= g(Counter::TrialAcquittedPublic));
        assert!(g(Counter::ReconciledPretrial) <= g(Counter::ClosedNonrehab));
        assert!(g(Counter::TortureToCourt) <= g(Counter::TortureOpened));
        assert!(g(Counter::TortureOpened) <= g(Counter::TortureRegistered));
        assert!(g(Counter::PretrialDetainees) <= g(Counter::PrisonPopulation));
        // Cases heard at first instance are each decided one way.
        assert_eq!(
            g(Counter::CourtHeard),
            g(Counter::TrialSentenceCases) - g(Counter::PrivateSentenceCases)
                + (g(Counter::TrialClosed) - g(Counter::PrivateClosed))
                + g(Counter::ReturnedSupplementary)
                + g(Counter::ReturnedToProcurator),
            "public cases heard = sentenced (convicted or acquitted) + closed + returned (year {y})"
        );
    }
}

#[test]
fn every_case_ends_once_and_stocks_balance() {
    let s = tiny();
    for run in 0..3 {
        let out = simulate(&s, 11, run);
        check_invariants(&out);
        assert!(out.created > 5_000, "the fixture should make thousands of cases, made {}", out.created);
    }
}

#[test]
fn public_acquittals_in_cases_never_exceed_defendants() {
    let s = tiny();
    let out = simulate(&s, 3, 0);
    for y in 0..out.tally.n_years() {
        assert!(out.tally.get(y, Counter::AcquittedPublicCases) <= out.tally.get(y, Counter::TrialAcquittedPublic));
    }
}

/// Exact counts for the tiny fixture, master seed 2026, run 0. These pin the whole model:
/// any change to a decision rule, a draw or the fixture changes them, and must be deliberate.
#[test]
fn exact_counts_tiny_fixture() {
    let s = tiny();
    let out = simulate(&s, 2026, 0);
    let t = &out.tally;
    let y = 1; // 2011, the first reported year
    let got = [
        t.get(y, Counter::Registered),
        t.get(y, Counter::SentToCourt),
        t.get(y, Counter::ClosedNonrehab),
        t.get(y, Counter::TrialConvicted),
        t.get(y, Counter::TrialAcquitted),
        t.get(y, Counter::TrialClosedReconciled),
        t.get(y, Counter::Detained),
        t.get(y, Counter::PrisonPopulation),
    ];
    assert_eq!(got, EXPECTED_2011, "counts for 2011 changed");
    assert_eq!(out.terminals, EXPECTED_TERMINALS, "terminal states changed");
}

const EXPECTED_2011: [u64; 8] = [3300, 1443, 39, 943, 29, 115, 287, 831];
const EXPECTED_TERMINALS: [u64; N_TERMINALS] = [3135, 63, 67, 0, 49, 2111, 77, 291, 4, 43, 2, 79, 165, 29, 0, 479];

#[test]
fn same_seed_same_tally_different_seed_different_tally() {
    let s = tiny();
    let a = simulate(&s, 5, 1);
    let b = simulate(&s, 5, 1);
    let c = simulate(&s, 5, 2);
    let d = simulate(&s, 6, 1);
    let key =
        |o: &RunOutput| (0..o.tally.n_years()).map(|y| o.tally.get(y, Counter::TrialConvicted)).collect::<Vec<_>>();
    assert_eq!(key(&a), key(&b));
    assert_eq!(a.terminals, b.terminals);
    assert_ne!(key(&a), key(&c), "run index must change the stream");
    assert_ne!(key(&a), key(&d), "master seed must change the stream");
}

fn batch_csv(s: &Scenario, threads: usize) -> String {
    let r = Runner::new(threads).expect("threads start").run(s, &Batch::new(99, 0..6));
    assert!(r.complete);
    summary_csv(&r.summary())
}

#[test]
fn summary_is_byte_identical_across_thread_counts_and_reruns() {
    let s = tiny();
    let one = batch_csv(&s, 1);
    let two = batch_csv(&s, 2);
    let again = batch_csv(&s, 2);
    assert_eq!(one, two, "1 thread and 2 threads differ");
    assert_eq!(two, again, "a second run differs");
    assert!(one.starts_with("series,year,mean,sd,p05,p95\n"));
}

#[test]
fn a_stop_request_before_start_runs_nothing() {
    let s = tiny();
    let stop = AtomicBool::new(true);
    let r = Runner::new(1).unwrap().run(&s, &Batch::new(1, 0..4).stop_on(&stop));
    assert!(!r.complete);
    assert!(r.runs.is_empty());
    assert_eq!(r.cases, 0);
}

/// A shard (any subset of run indices) gives each of its runs exactly the values that run has
/// in the full batch, so shards run apart and merged equal the whole.
#[test]
fn a_shard_of_runs_gives_the_same_runs_as_the_whole_batch() {
    let s = tiny();
    let runner = Runner::new(2).unwrap();
    let whole = runner.run(&s, &Batch::new(7, 0..6));
    let shard = runner.run(&s, &Batch::new(7, [4, 1, 4]));
    assert_eq!(shard.runs.iter().map(|r| r.run_index).collect::<Vec<_>>(), [1, 4], "ascending, repeats dropped");
    for run in &shard.runs {
        let same = whole.runs.iter().find(|w| w.run_index == run.run_index).unwrap();
        assert_eq!(format!("{:?}", run.values), format!("{:?}", same.values), "run {}", run.run_index);
    }
    assert!(shard.complete);
}

/// Several scenarios in one call, delivered as each completes, equal each scenario run alone;
/// every run is reported once to the progress callback.
#[test]
fn several_scenarios_in_one_call_equal_each_run_alone() {
    let a = tiny();
    let b = tiny_with(&[("registration_selectivity = 1.0", "registration_selectivity = 3.0")]);
    let runner = Runner::new(2).unwrap();
    let done = std::sync::Mutex::new(Vec::new());
    let on_run = |d: RunDone| done.lock().unwrap().push(d);
    let batch = Batch::new(3, 0..4).on_run_done(&on_run);
    let mut delivered = Vec::new();
    runner.run_each(&[&a, &b, &a], &batch, |k, runs| delivered.push((k, runs)));
    delivered.sort_by_key(|(k, _)| *k);
    assert_eq!(delivered.iter().map(|(k, _)| *k).collect::<Vec<_>>(), [0, 1, 2]);
    let alone_a = runner.run(&a, &Batch::new(3, 0..4));
    let alone_b = runner.run(&b, &Batch::new(3, 0..4));
    assert_ne!(summary_csv(&alone_a.summary()), summary_csv(&alone_b.summary()), "the two scenarios must differ");
    for ((_, got), want) in delivered.iter().zip([&alone_a, &alone_b, &alone_a]) {
        assert_eq!(summary_csv(&got.summary()), summary_csv(&want.summary()));
        assert_eq!((got.cases, got.terminals), (want.cases, want.terminals));
    }
    let mut done = done.into_inner().unwrap();
    done.sort_by_key(|d| (d.scenario, d.run_index));
    assert_eq!(done.len(), 12);
    assert_eq!(done[5], RunDone { scenario: 1, run_index: 1 });
}

/// Named series and a cut year keep exactly those series and years, with the values of the
/// full run.
#[test]
fn a_series_subset_cut_at_a_year_keeps_the_full_runs_values() {
    let s = tiny();
    let runner = Runner::new(1).unwrap();
    let full = runner.run(&s, &Batch::new(5, 0..3));
    let name = full.series[1].clone();
    let cut_year = full.years[1];
    let part = runner
        .run(&s, &Batch::new(5, 0..3).series(Series::Only([name.clone()].into_iter().collect())).until(Some(cut_year)));
    assert_eq!(part.series, [name]);
    assert_eq!(part.years, full.years[..2]);
    let n = full.years.len();
    for (p, f) in part.runs.iter().zip(&full.runs) {
        assert_eq!(format!("{:?}", p.values), format!("{:?}", &f.values[n..n + 2]));
    }
}

/// A rule change dated in the last year must leave every earlier year exactly as it was:
/// the same cases meet the same random numbers, so only the reform's consequences differ.
#[test]
fn a_reform_changes_nothing_before_its_date() {
    let base = tiny();
    let text = base.source_text.replace(
        "[[incentives]]\nfrom = 2012-01-01",
        "[[rules]]\nfrom = 2012-01-01\nsupplementary_investigation = false\nreconciliation = { minor = \"banned\", medium_first = \"banned\", medium_repeat = \"banned\" }\n\n[[incentives]]\nfrom = 2012-01-01",
    );
    assert_ne!(text, base.source_text, "fixture layout changed: the patch did not apply");
    let reformed = scenario::load_str(&text, "reformed").expect("reformed scenario loads");
    let a = simulate(&base, 8, 0);
    let b = simulate(&reformed, 8, 0);
    let first_reform_year = 2; // 2012
    for y in 0..first_reform_year {
        for c in [
            Counter::Registered,
            Counter::SentToCourt,
            Counter::TrialConvicted,
            Counter::TrialClosedReconciled,
            Counter::Detained,
        ] {
            assert_eq!(a.tally.get(y, c), b.tally.get(y, c), "{c:?} changed in year index {y}, before the reform");
        }
    }
    let y = first_reform_year;
    // From the reform on, no case returns for supplementary investigation and no public case is
    // reconciled at trial (withdrawn private complaints still close on the parties' accord).
    assert_eq!(b.tally.get(y, Counter::ReturnedSupplementary), 0);
    // Pre-trial closures of 2012 come only from cases the parties settled in 2011, before the ban.
    assert!(
        b.tally.get(y, Counter::ReconciledPretrial) * 3 < a.tally.get(y, Counter::ReconciledPretrial),
        "pre-trial reconciliations barely fell after the ban"
    );
    assert_eq!(
        b.tally.get(y, Counter::TrialClosedReconciled),
        b.tally.get(y, Counter::PrivateClosed) - b.tally.get(y, Counter::PrivateWithdrawn),
        "only private closures remain"
    );
    assert!(a.tally.get(y, Counter::TrialClosedReconciled) > b.tally.get(y, Counter::TrialClosedReconciled));
    // Registration is an input: the reform leaves it alone.
    assert_eq!(a.tally.get(y, Counter::Registered), b.tally.get(y, Counter::Registered));
}

/// Incentives act through decisions: with no acquittal penalty, no reversal weight and
/// procurators unable to appeal, judges acquit more; with a heavy reversal weight, fewer.
#[test]
fn judges_respond_to_the_reversal_weight() {
    let base = tiny();
    let with_weight = |w: f64| {
        // The 2012 entry sets no reversal weight, so `w` holds through 2011 and 2012.
        // Acquittals are rare under the procurator's pressure; take it away so the effect is
        // measurable.
        let text = scaled(&base.source_text, 5).replace("procurator_pressure = 1.0", "procurator_pressure = 0.0").replace(
            "[[incentives]]\nfrom = 2012-01-01",
            &format!("[[incentives]]\nfrom = 2011-01-01\ntrial_judge = {{ reversals = {w} }}\n\n[[incentives]]\nfrom = 2012-01-01"),
        );
        assert_ne!(text, base.source_text);
        let s = scenario::load_str(&text, "weights").expect("loads");
        (0..4)
            .map(|run| {
                let o = simulate(&s, 21, run);
                o.tally.get(1, Counter::TrialAcquittedPublic) + o.tally.get(2, Counter::TrialAcquittedPublic)
            })
            .sum::<u64>()
    };
    let none = with_weight(0.0);
    let heavy = with_weight(20.0);
    assert!(
        none > heavy,
        "acquittals with no reversal weight ({none}) should exceed those under a heavy one ({heavy})"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]

    /// Invariants hold for any seed, inflow size and a range of rule settings.
    #[test]
    fn invariants_hold_for_varied_scenarios(
        seed in 0u64..1_000_000,
        run in 0u64..8,
        scale in 1u32..4,
        jury in 0.0f64..=1.0,
        supplementary in proptest::bool::ANY,
        total in proptest::bool::ANY,
    ) {
        let base = tiny();
        let text = scaled(&base.source_text, scale).replace(
            "[[incentives]]\nfrom = 2012-01-01",
            &format!("[[rules]]\nfrom = 2011-09-01\njury_jurisdiction = {{ minor = 0.0, medium = 0.0, grave = {jury}, especially_grave = {jury} }}\nsupplementary_investigation = {supplementary}\ntotal_registration = {total}\n\n[[incentives]]\nfrom = 2012-01-01"),
        );
        let s = scenario::load_str(&text, "prop").map_err(|e| TestCaseError::fail(e.to_string()))?;
        let out = simulate(&s, seed, run);
        check_invariants(&out);
        prop_assert!(out.terminals[Terminal::Unsolved as usize] > 0);
    }
}

/// Registration is an input: each year registers exactly the crimes and misdemeanours the
/// scenario feeds in (counted in registered criminal cases, however they are joined into court
/// cases), with misdemeanours counted while the rules say so.
#[test]
fn registered_crimes_equal_the_inflow_exactly() {
    let s = tiny();
    for run in 0..3 {
        let out = simulate(&s, 4, run);
        for (y, inflow) in s.inflow.iter().enumerate() {
            assert_eq!(
                out.tally.get(y, Counter::Registered),
                (inflow.registered_crimes + inflow.misdemeanours) as u64,
                "year {}",
                inflow.year
            );
        }
    }
}

/// A run cut at the end of a year counts exactly what the full run counts up to that year:
/// nothing before the cut depends on what comes after (calibration relies on it).
#[test]
fn a_run_cut_short_matches_the_full_run_up_to_the_cut() {
    let s = tiny();
    let model = caseflow::engine::Model::new(&s);
    let full = model.simulate(12, 1);
    let cut = model.simulate_until(12, 1, 2011);
    for y in 0..2 {
        for c in [Counter::Registered, Counter::SentToCourt, Counter::TrialConvicted, Counter::PrisonPopulation] {
            assert_eq!(full.tally.get(y, c), cut.tally.get(y, c), "{c:?} in year index {y}");
        }
    }
    assert_eq!(cut.tally.get(2, Counter::Registered), 0, "the cut year is not simulated");
    assert_eq!(cut.terminals.iter().sum::<u64>(), cut.created);
}

/// Case stories (issue 18): a traced run counts exactly what an untraced one does; a trace of
/// one case holds that case's decisions and events only, the same as a trace of every case
/// tells of it; and each decision's draw falls in the share of the option it chose.
#[test]
fn a_traced_run_counts_the_same_and_tells_a_chosen_cases_story() {
    use caseflow::record::Event;
    use caseflow::record::trace::{Item, Trace};
    let s = tiny();
    let model = caseflow::engine::Model::new(&s);
    let plain = model.simulate(2026, 0);
    let (traced, all) = model.simulate_traced(2026, 0, Trace::all());
    assert_eq!(traced.tally, plain.tally);
    assert_eq!(traced.terminals, plain.terminals);
    // A case a judge ruled on (a choice among five options).
    let ruled = all
        .entries()
        .iter()
        .find(|e| matches!(&e.item, Item::Decision(d) if d.stage == "trial" && d.question == "ruling"))
        .expect("some case reaches a judge's ruling")
        .case;
    let (again, one) = model.simulate_traced(2026, 0, Trace::cases([ruled]));
    assert_eq!(again.tally, plain.tally);
    let story: Vec<_> = all.story(ruled).cloned().collect();
    assert_eq!(one.entries(), &story[..], "the case's story alone, as the full trace tells it");

    // Registered, then the investigator's clearance decision (a suspect was found).
    assert_eq!(story[0].item, Item::Event(Event::Registered));
    match &story[1].item {
        Item::Decision(d) => assert_eq!((d.stage, d.outcome()), ("investigation", "found")),
        other => panic!("expected the clearance decision, got {other:?}"),
    }
    assert!(story.windows(2).all(|w| w[0].day <= w[1].day), "days go backwards in {story:#?}");
    let ends = story.iter().filter(|e| matches!(e.item, Item::Event(Event::Ended(_)))).count();
    assert!(ends <= 1, "the case ended {ends} times");
    let mut decisions = 0;
    for d in story.iter().filter_map(|e| match &e.item {
        Item::Decision(d) => Some(d),
        Item::Event(_) => None,
    }) {
        decisions += 1;
        let p = d.probabilities();
        assert_eq!(p.len(), d.options.len());
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{d:?}");
        if let Some(u) = d.draw {
            let below: f64 = p[..d.chosen].iter().sum();
            assert!(below <= u + 1e-12 && u < below + p[d.chosen] + 1e-12, "draw {u} outside the chosen share: {d:?}");
        }
    }
    assert!(decisions >= 3, "clearance, review and ruling at least: {story:#?}");
}

// ---------------------------------------------------------------------------------------------
// The mechanisms of registration, triage, exonerating grounds, release practice and private
// transfers, each checked where it must act and where it must not.
// ---------------------------------------------------------------------------------------------

/// The tiny fixture with `key = old` replaced by `key = new` (the line must exist).
fn tiny_with(edits: &[(&str, &str)]) -> Scenario {
    let mut text = tiny().source_text;
    for (old, new) in edits {
        assert!(text.contains(old), "tiny.toml no longer has `{old}`");
        text = text.replacen(old, new, 1);
    }
    scenario::load_str(&text, "tiny (edited)").expect("edited fixture loads")
}

/// The fixture with `line` added after its line `after` (a key the fixture leaves out).
fn tiny_adding(after: &str, line: &str) -> Scenario {
    tiny_with(&[(after, &format!("{after}\n{line}"))])
}

#[test]
fn hidden_reports_are_the_unsolvable_ones_until_registration_is_total() {
    let run = |edits: &[(&str, &str)]| simulate(&tiny_with(edits), 11, 0);
    // Discretionary registration (the fixture): selecting the solvable reports raises clearance.
    let open = run(&[("registration_selectivity = 1.0", "registration_selectivity = 0.0")]);
    let selective = run(&[("registration_selectivity = 1.0", "registration_selectivity = 3.0")]);
    let (a, b) = (total(&open.tally, Counter::Cleared), total(&selective.tally, Counter::Cleared));
    assert!(b as f64 > 1.1 * a as f64, "selectivity 3 cleared {b}, none {a}");
    // Total registration from the start: everything is registered, selectivity changes nothing.
    let total_reg = ("total_registration = false", "total_registration = true");
    let open = run(&[total_reg, ("registration_selectivity = 1.0", "registration_selectivity = 0.0")]);
    let selective = run(&[total_reg, ("registration_selectivity = 1.0", "registration_selectivity = 3.0")]);
    assert_eq!(open.tally, selective.tally);
    assert_eq!(open.terminals, selective.terminals);
}

#[test]
fn exonerating_closures_need_weak_proof() {
    let no_baseless = ("baseless_logit = -2.5", "baseless_logit = -1000.0");
    let never = simulate(
        &tiny_with(&[no_baseless, ("exonerating_evidence_max = 0.8", "exonerating_evidence_max = 0.0")]),
        4,
        0,
    );
    assert_eq!(total(&never.tally, Counter::ClosedExonerating), 0);
    let any = simulate(
        &tiny_with(&[no_baseless, ("exonerating_evidence_max = 0.8", "exonerating_evidence_max = 1.0")]),
        4,
        0,
    );
    assert!(total(&any.tally, Counter::ClosedExonerating) > 0, "with any proof allowed some cases close");
}

#[test]
fn release_practice_acts_only_through_what_judges_learn() {
    let run = |edits: &[(&str, &str)]| simulate(&tiny_with(edits), 8, 0);
    let off = run(&[("release_practice_weight = 2.0", "release_practice_weight = 0.0")]);
    // A practice that never moves from its start (0) adds nothing, whatever its weight.
    let frozen = run(&[
        ("release_practice_weight = 2.0", "release_practice_weight = 8.0"),
        ("practice_rate = 0.05", "practice_rate = 0.0"),
    ]);
    assert_eq!(off.tally, frozen.tally);
    // A practice that is learned raises releases on reconciliation at trial.
    let learned = run(&[
        ("release_practice_weight = 2.0", "release_practice_weight = 8.0"),
        ("practice_rate = 0.05", "practice_rate = 0.5"),
    ]);
    let (a, b) =
        (total(&off.tally, Counter::TrialClosedReconciled), total(&learned.tally, Counter::TrialClosedReconciled));
    assert!(b > a, "learned practice closed {b}, none {a}");
}

#[test]
fn private_complaints_sent_on_are_neither_closed_nor_sentenced() {
    let all = simulate(&tiny_with(&[("transfer_logit = -2.2", "transfer_logit = 1000.0")]), 2, 0);
    let t = &all.tally;
    assert!(total(t, Counter::PrivateCases) > 0);
    assert_eq!(total(t, Counter::PrivateTransferred), total(t, Counter::PrivateCases));
    assert_eq!(total(t, Counter::PrivateClosed) + total(t, Counter::PrivateSentenceCases), 0);
    let none = simulate(&tiny_with(&[("transfer_logit = -2.2", "transfer_logit = -1000.0")]), 2, 0);
    assert_eq!(total(&none.tally, Counter::PrivateTransferred), 0);
}

#[test]
fn overload_elasticity_sets_how_clearances_follow_the_caseload() {
    // The fixture's investigators are overloaded already; tripling the inflow triples their
    // clearances when overload costs nothing (0, and no ceiling on what they complete) and
    // leaves them near capacity at 1.
    let cleared = |scale: u32, elasticity: &str| {
        let text = scaled(&tiny().source_text, scale).replacen(
            "overload_elasticity = 1.0",
            &format!("overload_elasticity = {elasticity}\novertime_ceiling = 1e9"),
            1,
        );
        let s = scenario::load_str(&text, "overload").expect("loads");
        total(&simulate(&s, 21, 0).tally, Counter::Cleared) as f64
    };
    let free = cleared(3, "0.0") / cleared(1, "0.0");
    let bound = cleared(3, "1.0") / cleared(1, "1.0");
    assert!(free > 2.7 && free < 3.3, "no overload cost: x{free:.2}");
    assert!(bound > 0.8 && bound < 1.3, "clearances at capacity: x{bound:.2}");
}

#[test]
fn the_overtime_ceiling_caps_what_overloaded_investigators_clear() {
    // Overload that costs nothing (elasticity 0) under three times the fixture's inflow: with
    // no ceiling investigators clear everything they would unloaded; at a ceiling of their
    // nominal work (1) they clear far less, whatever the elasticity allows.
    let cleared = |ceiling: &str| {
        let s = tripled_with(
            "overload_elasticity = 1.0",
            &format!("overload_elasticity = 0.0\novertime_ceiling = {ceiling}"),
        );
        total(&simulate(&s, 21, 0).tally, Counter::Cleared) as f64
    };
    let (unbounded, capped) = (cleared("1e9"), cleared("1.0"));
    assert!(capped < 0.8 * unbounded, "ceiling 1 clears {capped}, no ceiling {unbounded}");
}

#[test]
fn overloaded_investigations_take_longer_by_the_delay_exponent() {
    // Three times the fixture's inflow: investigators work above capacity. With the delay
    // exponent at 1 an investigation stretches in proportion to the caseload ratio, at 0 not
    // at all, so more cases are still in flight (pending) when the run ends.
    let pending = |exponent: &str| {
        let s = tripled_with(
            "overload_elasticity = 1.0",
            &format!("overload_elasticity = 1.0\ndays_load_exponent = {exponent}"),
        );
        simulate(&s, 21, 0).terminals[Terminal::Pending as usize]
    };
    let (none, proportional) = (pending("0.0"), pending("1.0"));
    assert!(proportional > none, "pending at the end: exponent 1 {proportional}, exponent 0 {none}");
}

#[test]
fn cheap_outcomes_free_capacity() {
    // Three times the fixture's inflow: investigators are overloaded. When a reconciled case or
    // an unsolvable report takes no work, the same capacity covers more of the solvable cases,
    // so more are cleared, under the same draws. Summed over four seeds: the gain from free
    // reconciliation is about 3 % and varies between 1.9 % and 4.2 % from seed to seed.
    let cleared = |edits: &[(&str, &str)]| {
        let text = scaled(&tiny().source_text, 3);
        let text = edits.iter().fold(text, |t, (old, new)| {
            assert!(t.contains(old), "tiny.toml no longer has `{old}`");
            t.replacen(old, new, 1)
        });
        let s = scenario::load_str(&text, "work").expect("loads");
        let (mut cleared, mut reconciled) = (0.0, 0);
        for seed in 23..27 {
            let out = simulate(&s, seed, 0);
            cleared += total(&out.tally, Counter::Cleared) as f64;
            reconciled += total(&out.tally, Counter::ReconciledPretrial);
        }
        (cleared, reconciled)
    };
    let (full, reconciled) = cleared(&[("reconcile_work = 0.5", "reconcile_work = 1.0")]);
    let (cheap, _) = cleared(&[("reconcile_work = 0.5", "reconcile_work = 0.0")]);
    assert!(reconciled > 100, "the fixture reconciles before trial ({reconciled})");
    assert!(cheap > 1.02 * full, "reconciling for free cleared {cheap}, at full work {full}");
    let (heavy, _) = cleared(&[("unsolved_work = 0.5", "unsolved_work = 1.0")]);
    let (light, _) = cleared(&[("unsolved_work = 0.5", "unsolved_work = 0.0")]);
    assert!(light > 1.2 * heavy, "unsolvable reports free cleared {light}, at full work {heavy}");
}

#[test]
fn a_frozen_sense_of_workload_never_triages() {
    // With workload_rate 0 investigators keep the work they started with (their capacity), so
    // they never feel overloaded: tripling the inflow triples the clearances even at overload
    // elasticity 1 (compare `overload_elasticity_sets_how_clearances_follow_the_caseload`).
    let cleared = |scale: u32| {
        let text = scaled(&tiny().source_text, scale).replacen("workload_rate = 0.8", "workload_rate = 0.0", 1);
        let s = scenario::load_str(&text, "frozen").expect("loads");
        total(&simulate(&s, 21, 0).tally, Counter::Cleared) as f64
    };
    let ratio = cleared(3) / cleared(1);
    assert!(ratio > 2.7 && ratio < 3.3, "x{ratio:.2}");
}

#[test]
fn the_pull_of_saved_effort_can_saturate_with_the_load() {
    // Overloaded investigators (load ratio above 1): an exponent below 1 on the load ratio
    // weakens the pull to reconcile, so fewer cases are reconciled before trial.
    let reconciled = |exponent: &str| {
        let s = tripled_with("reconcile_load_exponent = 0.8", &format!("reconcile_load_exponent = {exponent}"));
        total(&simulate(&s, 5, 0).tally, Counter::ReconciledPretrial)
    };
    let (proportional, saturating) = (reconciled("1.0"), reconciled("0.2"));
    assert!(saturating < proportional, "exponent 0.2 reconciled {saturating}, 1 reconciled {proportional}");
}

#[test]
fn complaints_against_colleagues_are_registered_last() {
    // Every coerced suspect complains; nothing is registered without compliance, everything at
    // full compliance. Total registration from mid-2011, so compliance is partial for a while:
    // with reluctance 6 a complaint needs compliance^6 rather than compliance, a subset.
    let run = |reluctance: &str| {
        let s = tiny_with(&[
            ("complain_investigation_logit = -1.8", "complain_investigation_logit = 1000.0"),
            ("register_discretionary_logit = -0.75", "register_discretionary_logit = -1000.0"),
            ("register_total_logit = 1.0", "register_total_logit = 1000.0"),
            ("register_reluctance = 2.0", &format!("register_reluctance = {reluctance}")),
            ("coercion_logit = -5.0", "coercion_logit = -1.0"),
            (
                "reconciliation = { minor = \"mandatory\" }",
                "reconciliation = { minor = \"mandatory\" }\ntotal_registration = true",
            ),
        ]);
        total(&simulate(&s, 13, 0).tally, Counter::TortureRegistered)
    };
    let (eager, reluctant) = (run("1.0"), run("6.0"));
    assert!(eager > 0);
    assert!(reluctant < eager, "reluctance 6 registered {reluctant}, 1 registered {eager}");
}

#[test]
fn a_campaign_reaches_proven_cases_only_while_it_runs() {
    // No exonerating grounds outside a campaign (ceiling 0, no baseless reports); the drug
    // campaign (2011) reaches any case when its own ceiling is 1.
    let base = [
        ("baseless_logit = -2.5", "baseless_logit = -1000.0"),
        ("exonerating_evidence_max = 0.8", "exonerating_evidence_max = 0.0"),
    ];
    let run = |campaign_max: &str| {
        let mut edits = base.to_vec();
        let line = format!("exonerating_evidence_max = 0.0\ncampaign_evidence_max = {campaign_max}");
        edits[1].1 = &line;
        simulate(&tiny_with(&edits), 5, 0)
    };
    let by_year = |out: &RunOutput| (0..3).map(|y| out.tally.get(y, Counter::ClosedExonerating)).collect::<Vec<_>>();
    // The default reaches no further than the ceiling: nothing is closed that way.
    assert_eq!(by_year(&run("0.0")), vec![0, 0, 0]);
    assert_eq!(run("0.0").tally, simulate(&tiny_with(&base), 5, 0).tally, "0 is the default");
    let reach = by_year(&run("1.0"));
    assert_eq!((reach[0], reach[2]), (0, 0), "only 2011 has a campaign: {reach:?}");
    assert!(reach[1] > 20, "the 2011 campaign closed {reach:?}");
}

#[test]
fn a_campaign_reaches_the_higher_courts_only_while_it_runs() {
    let run = |appellate: Option<&str>| {
        let line = appellate.map_or("judge_exonerate = 2.0".to_string(), |a| {
            format!("judge_exonerate = 2.0\nappellate_overturn = {a}")
        });
        simulate(&tiny_with(&[("judge_exonerate = 2.0", &line)]), 6, 0)
    };
    let by_year = |out: &RunOutput, counter| (0..3).map(|y| out.tally.get(y, counter)).collect::<Vec<_>>();
    let base = run(None);
    assert_eq!(run(Some("0.0")).tally, base.tally, "0 is the default");
    let campaign = run(Some("4.0"));
    let (before, during) =
        (by_year(&base, Counter::SentencesOverturned), by_year(&campaign, Counter::SentencesOverturned));
    // Nothing changes before the 2011 campaign; during it the higher courts overturn more
    // convictions, and acquit some of those defendants themselves.
    assert_eq!(before[0], during[0], "2010 has no campaign: {before:?} {during:?}");
    assert!(during[1] as f64 > 1.5 * before[1] as f64 + 5.0, "2011: {before:?} -> {during:?}");
    let acquitted = |out: &RunOutput| out.tally.get(1, Counter::AcquittedByHigherCourts);
    assert!(acquitted(&campaign) > acquitted(&base), "{} -> {}", acquitted(&base), acquitted(&campaign));
}

/// The fixture edit that puts every grave and especially grave charge within jury jurisdiction.
const GRAVE_BY_JURY: (&str, &str) = (
    "jury_jurisdiction = { minor = 0.0, medium = 0.0, grave = 0.0, especially_grave = 0.0 }",
    "jury_jurisdiction = { minor = 0.0, medium = 0.0, grave = 1.0, especially_grave = 1.0 }",
);

#[test]
fn each_defendant_may_ask_for_a_jury() {
    let asking = |per_defendant: bool, extra_defendants: &str| {
        let s = tiny_with(&[
            GRAVE_BY_JURY,
            (
                "jury_request_logit = -2.1",
                &format!("jury_request_logit = -2.1\njury_request_per_defendant = {per_defendant}"),
            ),
            ("extra_defendants_mean = 0.2", &format!("extra_defendants_mean = {extra_defendants}")),
        ]);
        simulate(&s, 8, 0).tally
    };
    // One defendant per case: asking per defendant is asking per case.
    assert_eq!(asking(true, "0.0"), asking(false, "0.0"));
    // Several: any co-defendant's request takes the case to a jury, so jury cases are more
    // often the ones with several defendants.
    let per_case = |t: &Tally| {
        let defendants = total(t, Counter::JuryConvicted) + total(t, Counter::JuryAcquitted);
        (total(t, Counter::JuryCases), defendants as f64 / total(t, Counter::JuryCases) as f64)
    };
    let (cases_once, ratio_once) = per_case(&asking(false, "1.0"));
    let (cases_each, ratio_each) = per_case(&asking(true, "1.0"));
    assert!(cases_once > 30, "{cases_once} jury cases");
    assert!(cases_each as f64 > 1.3 * cases_once as f64, "{cases_each} against {cases_once}");
    assert!(ratio_each > ratio_once + 0.1, "{ratio_each} defendants per jury case against {ratio_once}");
}

/// The fixture's second `[[rules]]` entry (1 July 2011), with `line` added to it.
fn from_july_2011(line: &str) -> (&'static str, String) {
    let old =
        "from = 2011-07-01\nnote = \"judges approve detention; reconciliation of minor offences becomes mandatory\"\n";
    (old, format!("{old}{line}\n"))
}

#[test]
fn the_accused_may_ask_for_a_jury_as_his_case_is_sent_to_court() {
    let none = "jury_jurisdiction = { minor = 0.0, medium = 0.0, grave = 0.0, especially_grave = 0.0 }";
    let all = GRAVE_BY_JURY.1;
    // Jury cases of 2011 and 2012 over four runs, with juries for every grave charge from the
    // start (`from_start`), from 1 July 2011 (`widened`), or until then (`narrowed`); the
    // accused asks at trial or (`when_sent`) as his case is sent to court.
    let juries = |when_sent: bool, edits: &[(&str, &str)]| {
        let asking =
            ("jury_request_logit = -2.1", format!("jury_request_logit = -2.1\njury_request_when_sent = {when_sent}"));
        let mut edits = edits.to_vec();
        edits.push((asking.0, &asking.1));
        let s = tiny_with(&edits);
        (0..4)
            .map(|run| simulate(&s, 8, run).tally)
            .fold([0u64; 2], |[a, b], t| [a + t.get(1, Counter::JuryCases), b + t.get(2, Counter::JuryCases)])
    };
    let at_trial = ("jury_request_logit = -2.1", "jury_request_logit = -2.1\njury_request_when_sent = false");
    assert_eq!(
        simulate(&tiny_with(&[GRAVE_BY_JURY, at_trial]), 8, 0).tally,
        simulate(&tiny_with(&[GRAVE_BY_JURY]), 8, 0).tally,
        "false is the default"
    );
    let (widening, narrowing) = (from_july_2011(all), from_july_2011(none));
    for when_sent in [false, true] {
        let from_start = juries(when_sent, &[GRAVE_BY_JURY]);
        let widened = juries(when_sent, &[(widening.0, &widening.1)]);
        let narrowed = juries(when_sent, &[GRAVE_BY_JURY, (narrowing.0, &narrowing.1)]);
        assert!(from_start[0] > 100, "{from_start:?} jury cases in 2011 and 2012");
        // A jurisdiction that narrows takes every case it no longer covers from the jury at
        // once, even one whose accused asked before: juries until July 2011, and none in 2012.
        assert!(narrowed[0] > 0, "{narrowed:?}");
        assert_eq!(narrowed[1], 0, "{narrowed:?}");
        // One that widens: asked at trial, the juries of the second half of 2011 are about
        // those of `from_start` less those of `narrowed`; asked as the case is sent, it
        // reaches only the cases sent to court after it, not those sent before July and tried
        // after it.
        let second_half = (from_start[0] - narrowed[0]) as f64;
        assert!(widened[0] > 0, "{widened:?}");
        if when_sent {
            assert!((widened[0] as f64) < 0.85 * second_half, "2011: {widened:?} against {second_half}");
        } else {
            assert!((widened[0] as f64) > 0.9 * second_half, "2011: {widened:?} against {second_half}");
        }
    }
}

#[test]
fn a_partial_jurisdiction_takes_group_charges_first() {
    // Juries for a given share of grave charges; several defendants per case, each asking on
    // his own.
    let scenario = |share: &str, weight_line: &str| {
        tiny_with(&[
            (
                GRAVE_BY_JURY.0,
                &format!(
                    "jury_jurisdiction = {{ minor = 0.0, medium = 0.0, grave = {share}, especially_grave = {share} }}"
                ),
            ),
            (
                "jury_request_logit = -2.1",
                &format!("jury_request_logit = -2.1\njury_request_per_defendant = true\n{weight_line}"),
            ),
            ("extra_defendants_mean = 0.2", "extra_defendants_mean = 0.5"),
        ])
    };
    let tally = |share: &str, weight_line: &str| simulate(&scenario(share, weight_line), 8, 0).tally;
    assert_eq!(tally("0.35", "jury_group_weight = 1.0"), tally("0.35", ""), "1 is the default");
    // A full jurisdiction has no room to prefer: the weight changes nothing.
    assert_eq!(tally("1.0", "jury_group_weight = 2.5"), tally("1.0", ""));
    // A partial one takes group charges first, its share of all charges unchanged: jury cases
    // have more defendants each, and a little more often one of them asks.
    // Jury cases and their defendants over four runs.
    let juries = |weight_line: &str| {
        let s = scenario("0.35", weight_line);
        (0..4).map(|run| simulate(&s, 8, run).tally).fold((0, 0), |(cases, defendants), t| {
            let tried = total(&t, Counter::JuryConvicted) + total(&t, Counter::JuryAcquitted);
            (cases + total(&t, Counter::JuryCases), defendants + tried)
        })
    };
    let ((cases, defendants), (cases_grouped, defendants_grouped)) = (juries(""), juries("jury_group_weight = 2.5"));
    let (ratio, ratio_grouped) = (defendants as f64 / cases as f64, defendants_grouped as f64 / cases_grouped as f64);
    assert!(cases > 100, "{cases} jury cases");
    assert!(cases_grouped > cases, "{cases_grouped} jury cases against {cases}");
    assert!(ratio_grouped > ratio + 0.15, "{ratio_grouped} defendants per jury case against {ratio}");
}

#[test]
fn procurators_release_fewer_from_custody_while_they_approve_detention_themselves() {
    let run = |line: &str| {
        let s = tiny_with(&[("custody_grounds_threshold = 0.5", &format!("custody_grounds_threshold = 0.5\n{line}"))]);
        simulate(&s, 9, 0).tally
    };
    let base = run("");
    assert_eq!(run("custody_release_own_approval = 0.0"), base, "0 is the default");
    let own = run("custody_release_own_approval = 3.0");
    let released = |t: &Tally| (0..3).map(|y| t.get(y, Counter::CustodyReleased)).collect::<Vec<_>>();
    let (before, after) = (released(&base), released(&own));
    // Procurators approve detention in 2010 and until July 2011, judges from then on: the
    // releases of 2010 fall, those of 2012 do not change.
    assert!(before[0] > 10, "{before:?}");
    assert!((after[0] as f64) < 0.5 * before[0] as f64, "2010: {before:?} -> {after:?}");
    assert_eq!(before[2], after[2], "2012: {before:?} -> {after:?}");
}

/// The fixture with juries for every grave case from the start, asked for often and acquitting
/// often (so that each year has acquittals to learn from), and the given jury-learning lines
/// and procurators' acquittal weight.
fn jury_learning(lines: &str, acquittal_weight: &str) -> Tally {
    let s = tiny_with(&[
        GRAVE_BY_JURY,
        ("jury_request_logit = -2.1", "jury_request_logit = 0.0"),
        ("jury_acquit_logit = -1.2", "jury_acquit_logit = 0.0"),
        ("jury_weakness_slope = 5.0", &format!("jury_weakness_slope = 5.0\n{lines}")),
        ("acquittals = 3.0", &format!("acquittals = {acquittal_weight}")),
    ]);
    simulate(&s, 8, 0).tally
}

#[test]
fn word_of_jury_acquittals_brings_more_requests_the_next_year() {
    let base = jury_learning("", "3.0");
    assert_eq!(jury_learning("jury_news = 0.0", "3.0"), base, "0 is the default");
    // Per unit of the known acquittal rate (about 0.3 here): 3 adds about 0.5 log-odds.
    let news = jury_learning("jury_news = 3.0", "3.0");
    let cases = |t: &Tally| (0..3).map(|y| t.get(y, Counter::JuryCases)).collect::<Vec<_>>();
    let (quiet, heard) = (cases(&base), cases(&news));
    // The first year has no earlier acquittals to hear of; the later years ask more.
    assert!(
        base.get(0, Counter::JuryAcquitted) > 10,
        "{} jury acquittals in 2010",
        base.get(0, Counter::JuryAcquitted)
    );
    assert_eq!(quiet[0], heard[0], "{quiet:?} {heard:?}");
    for y in 1..3 {
        assert!(heard[y] as f64 > 1.15 * quiet[y] as f64, "year {y}: {quiet:?} -> {heard:?}");
    }
}

#[test]
fn the_procuracy_answers_jury_acquittals_as_far_as_it_is_scored_on_acquittals() {
    let rate = |t: &Tally, y: usize| {
        let acquitted = t.get(y, Counter::JuryAcquitted) as f64;
        acquitted / (acquitted + t.get(y, Counter::JuryConvicted) as f64)
    };
    let base = jury_learning("", "3.0");
    assert_eq!(jury_learning("jury_resistance = 0.0", "3.0"), base, "0 is the default");
    let answered = jury_learning("jury_resistance = 1.0", "3.0");
    // The first year has nothing to answer; later juries acquit less.
    assert_eq!(rate(&base, 0), rate(&answered, 0));
    for y in 1..3 {
        assert!(rate(&answered, y) < rate(&base, y) - 0.05, "year {y}: {} -> {}", rate(&base, y), rate(&answered, y));
    }
    // Procurators not scored on acquittals do not answer them.
    assert_eq!(jury_learning("jury_resistance = 1.0", "0.0"), jury_learning("", "0.0"));
}

#[test]
fn investigators_feel_the_procurators_closure_weight_as_much_as_they_are_told() {
    let run = |closure_weight: &str, response: &str| {
        let s = tiny_with(&[
            ("nonrehab_closures = 0.0", &format!("nonrehab_closures = {closure_weight}")),
            ("reconcile_venality_gain", &format!("reconcile_closure_response = {response}\nreconcile_venality_gain")),
        ]);
        simulate(&s, 6, 0).tally
    };
    // Without a closure weight the response has nothing to act on.
    assert_eq!(run("0.0", "0.0"), run("0.0", "1.0"));
    // With one, investigators steer more cases to reconciliation the more they feel it.
    let reconciled = |t: &Tally| total(t, Counter::ReconciledPretrial);
    let (deaf, told) = (reconciled(&run("2.0", "0.0")), reconciled(&run("2.0", "1.0")));
    assert!(deaf > 20, "{deaf}");
    assert!(told as f64 > 1.3 * deaf as f64, "response 1 reconciled {told}, response 0 {deaf}");
}

/// A judge's closure on active repentance weighs crossing the procurator (ODD 7.15): the cost
/// acts only while the procurator is opposed, and where it acts it lowers such closures.
#[test]
fn repentance_closures_answer_the_procurators_opposition() {
    let run = |closure_weight: &str, cost: &str| {
        let s = tiny_with(&[
            ("nonrehab_closures = 0.0", &format!("nonrehab_closures = {closure_weight}")),
            ("discretionary_release_cost = 1.5", &format!("discretionary_release_cost = {cost}")),
        ]);
        simulate(&s, 6, 0).tally
    };
    // Closures that count as much as convictions leave the procurator nothing to oppose.
    assert_eq!(run("1.0", "0.0"), run("1.0", "3.0"));
    // Opposed, a judge who pays for crossing him closes fewer cases on repentance.
    let repentance = |t: &Tally| total(t, Counter::TrialClosedOtherNonrehab);
    let (free, costly) = (repentance(&run("0.0", "0.0")), repentance(&run("0.0", "3.0")));
    assert!(free > 50, "{free}");
    assert!(free as f64 > 3.0 * costly as f64, "cost 0 closed {free} on repentance, cost 3 {costly}");
}

/// The fixture with many private complaints, every one heard and decided (none rejected, sent
/// on, withdrawn or reconciled unless `extra` says so), proof weighing heavily on the verdict,
/// and, when `total`, total registration in force from mid-2011 (compliance rising from 0).
fn private_track(total: bool, extra: &[(&str, &str)]) -> RunOutput {
    let mut edits: Vec<(&str, &str)> = vec![
        ("private_complaints = 150", "private_complaints = 3000"),
        ("private_complaints = 150", "private_complaints = 3000"),
        ("private_complaints = 160", "private_complaints = 3000"),
        ("reject_logit = -1.75", "reject_logit = -1000.0"),
        ("withdraw_logit = 0.0", "withdraw_logit = -1000.0"),
        ("transfer_logit = -2.2", "transfer_logit = -1000.0"),
        ("reconcile_logit = -1.75\nreconcile_load", "reconcile_logit = -1000.0\nreconcile_load"),
        ("acquit_logit = -0.5", "acquit_logit = -0.5\nacquit_weakness = 8.0"),
        ("police_registration = 0.6", "police_registration = 0.8"),
    ];
    if total {
        edits.push((
            "reconciliation = { minor = \"mandatory\" }",
            "reconciliation = { minor = \"mandatory\" }\ntotal_registration = true",
        ));
    }
    edits.extend_from_slice(extra);
    simulate(&tiny_with(&edits), 21, 0)
}

/// Acquitted among the defendants of decided private complaints, over all years.
fn private_acquittal_share(out: &RunOutput) -> f64 {
    let (a, c) = (total(&out.tally, Counter::PrivateAcquitted), total(&out.tally, Counter::PrivateConvicted));
    a as f64 / (a + c) as f64
}

/// The same in 2012, the year compliance with total registration is highest.
fn private_acquittal_share_2012(out: &RunOutput) -> f64 {
    let (a, c) = (out.tally.get(2, Counter::PrivateAcquitted), out.tally.get(2, Counter::PrivateConvicted));
    a as f64 / (a + c) as f64
}

#[test]
fn the_police_take_the_private_complaints_with_proof() {
    let selective = ("police_registration = 0.8", "police_registration = 0.8\npolice_selectivity = 1.0");
    // Without total registration nobody diverts complaints, so the preference changes nothing.
    assert_eq!(private_track(false, &[]).tally, private_track(false, &[selective]).tally);
    // Under it, taking the best-proven first leaves the weaker ones to the private track, where
    // weak proof means acquittal.
    let (open, chosen) = (private_track(true, &[]), private_track(true, &[selective]));
    let cases = |out: &RunOutput| total(&out.tally, Counter::PrivateCases);
    // The share registered is the same (a random share and the best-proven share differ only
    // by chance in number); which complaints are registered is not.
    let ratio = cases(&chosen) as f64 / cases(&open) as f64;
    assert!((ratio - 1.0).abs() < 0.03, "{} left when the best-proven go, {} at random", cases(&chosen), cases(&open));
    let (a, b) = (private_acquittal_share_2012(&open), private_acquittal_share_2012(&chosen));
    assert!(b > a + 0.05, "acquitted share in 2012 {a:.3} -> {b:.3}");
    // 0 is the default.
    let zero = ("police_registration = 0.8", "police_registration = 0.8\npolice_selectivity = 0.0");
    assert_eq!(private_track(true, &[zero]).tally, open.tally);
}

#[test]
fn complaints_that_name_their_accused_are_registered_early() {
    let readiness = |r: &str| {
        let line = format!("police_registration = 0.8\npolice_readiness = {r}");
        private_track(true, &[("police_registration = 0.8", &line)])
    };
    let cases = |out: &RunOutput| total(&out.tally, Counter::PrivateCases);
    let default = private_track(true, &[]);
    assert_eq!(readiness("1.0").tally, default.tally, "1 is the default");
    // While compliance is partial, compliance^0.3 exceeds compliance: more are diverted (with
    // common random numbers, a superset of those diverted at readiness 1).
    let (late, early) = (cases(&default), cases(&readiness("0.3")));
    assert!((early as f64) < 0.95 * late as f64, "{early} left with readiness 0.3, {late} with 1");
}

#[test]
fn complainants_without_proof_withdraw_and_are_acquitted() {
    let withdraw = |w: &str| {
        let line = format!("withdraw_logit = -0.85\nwithdraw_weakness = {w}");
        private_track(false, &[("withdraw_logit = -1000.0", &line)])
    };
    let flat = withdraw("0.0");
    assert_eq!(
        private_track(false, &[("withdraw_logit = -1000.0", "withdraw_logit = -0.85")]).tally,
        flat.tally,
        "0 is the default"
    );
    // Withdrawing the weak complaints leaves stronger ones to be decided: fewer acquittals.
    let (a, b) = (private_acquittal_share(&flat), private_acquittal_share(&withdraw("6.0")));
    assert!(b < a - 0.05, "acquitted share {a:.3} -> {b:.3}");
    // The weight of proof in the verdict: 2 is the default, and more of it acquits the weak.
    // Judges not scored on reversals: the verdict then weighs proof and independence alone
    // (their career costs are tested apart).
    let weakness = |w: &str| {
        let line = format!("acquit_logit = -0.5\nacquit_weakness = {w}");
        private_track(
            false,
            &[("acquit_logit = -0.5\nacquit_weakness = 8.0", &line), ("reversals = 1.0", "reversals = 0.0")],
        )
    };
    let plain = simulate(&tiny_with(&[("private_complaints = 150", "private_complaints = 3000")]), 21, 0);
    let two = simulate(
        &tiny_with(&[
            ("private_complaints = 150", "private_complaints = 3000"),
            ("acquit_logit = -0.5", "acquit_logit = -0.5\nacquit_weakness = 2.0"),
        ]),
        21,
        0,
    );
    assert_eq!(plain.tally, two.tally, "2 is the default");
    // Proof decides more verdicts when it weighs more: the share acquitted moves (it falls,
    // since most complaints are better proven than the reference weakness 0.3).
    let (none, heavy) = (private_acquittal_share(&weakness("0.0")), private_acquittal_share(&weakness("16.0")));
    assert!(heavy < none - 0.02, "acquitted share {none:.3} with weight 0, {heavy:.3} with 16");
}

/// Supplementary investigation banned from 2012 in the fixture, with `extra` lines added to the
/// judges' behaviour.
fn supplementary_banned(extra: &str) -> Tally {
    let s = tiny_with(&[
        (
            "[[incentives]]\nfrom = 2012-01-01",
            "[[rules]]\nfrom = 2012-01-01\nsupplementary_investigation = false\n\n[[incentives]]\nfrom = 2012-01-01",
        ),
        ("return_to_procurator_constant = -6.0", &format!("return_to_procurator_constant = -6.0\n{extra}")),
    ]);
    simulate(&s, 8, 0).tally
}

#[test]
fn banned_returns_go_on_as_returns_to_the_procurator() {
    let allowed = simulate(&tiny(), 8, 0).tally;
    let banned = supplementary_banned("");
    assert_eq!(supplementary_banned("returns_after_ban = 1.0"), banned, "1 is the default");
    let ban_year = 2; // 2012
    assert!(allowed.get(ban_year, Counter::ReturnedSupplementary) > 20, "too few returns to test");
    // The judges who would have sent a case for supplementary investigation return it to the
    // procurator instead, decision for decision: the two kinds merge and nothing else changes.
    let mut merged = allowed.clone();
    for y in ban_year..allowed.n_years() {
        let both = allowed.get(y, Counter::ReturnedSupplementary) + allowed.get(y, Counter::ReturnedToProcurator);
        merged.set(y, Counter::ReturnedToProcurator, both);
        merged.set(y, Counter::ReturnedSupplementary, 0);
    }
    assert_eq!(banned, merged);
    // A ban that works: those judges choose among the other options, and fewer cases return.
    let effective = supplementary_banned("returns_after_ban = 0.0");
    assert_eq!(effective.get(ban_year, Counter::ReturnedSupplementary), 0);
    assert!(
        effective.get(ban_year, Counter::ReturnedToProcurator) * 2
            < banned.get(ban_year, Counter::ReturnedToProcurator),
        "{} returns with an effective ban, {} with the practice going on",
        effective.get(ban_year, Counter::ReturnedToProcurator),
        banned.get(ban_year, Counter::ReturnedToProcurator)
    );
}

/// The fixture's lines of `batch_csv` for years before `year`.
fn summary_before(csv: &str, year: i32) -> Vec<String> {
    csv.lines()
        .skip(1)
        .filter(|l| l.split(',').nth(1).and_then(|y| y.parse::<i32>().ok()).is_some_and(|y| y < year))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_staff_change_acts_from_its_date_only() {
    let base = tiny();
    let change =
        |lines: &str| tiny_with(&[("[traits]", &format!("[[staff_change]]\nfrom = 2012-01-01\n{lines}\n\n[traits]"))]);
    // Four times the judges from 2012: everything before is the same, bit for bit.
    let more = change("trial_judges = 40\ndefence_lawyers = 600");
    let (a, b) = (batch_csv(&base, 2), batch_csv(&more, 2));
    assert_ne!(a, b, "the change changed nothing");
    let before = summary_before(&a, 2012);
    assert!(before.len() > 40, "{} rows before 2012", before.len());
    assert_eq!(before, summary_before(&b, 2012));
    // A change that restates the counts in force changes nothing at all.
    assert_eq!(batch_csv(&change("trial_judges = 10"), 2), a);
    // Defence lawyers are not agents: their count in force on the day of a trial sets the
    // coverage, so a change of them alone acts from its date too.
    let lawyers = batch_csv(&change("defence_lawyers = 1"), 2);
    assert_ne!(lawyers, a, "the lawyers in force were not read");
    assert_eq!(summary_before(&lawyers, 2012), before);
    // Cuts and increases keep every case accounted for.
    for lines in ["trial_judges = 40", "investigators = 16\nprocurators = 2\ntrial_judges = 2\nappellate_judges = 2"] {
        check_invariants(&simulate(&change(lines), 3, 0));
    }
}

#[test]
fn more_judges_lighten_the_load_and_cheap_outcomes_lose_their_pull() {
    // Judges' discretionary releases on reconciliation save effort in proportion to the load;
    // with five times the judges from 2012 each hears a fifth of the cases, and fewer are
    // released while convictions take their place.
    let run = |judges: &str| {
        let s = tiny_with(&[
            ("[traits]", &format!("[[staff_change]]\nfrom = 2011-07-01\ntrial_judges = {judges}\n\n[traits]")),
            ("registered_crimes = 3100", "registered_crimes = 9300"),
        ]);
        (0..4).map(|run| simulate(&s, 5, run).tally.get(2, Counter::TrialClosedReconciled)).sum::<u64>()
    };
    let (same, more) = (run("10"), run("50"));
    assert!(same > 100, "{same} releases in 2012");
    assert!((more as f64) < 0.9 * same as f64, "releases with 10 judges {same}, with 50 {more}");
}

/// The prison-population target acts through the gap between the stock and the level: a level
/// far below the stock leaves the full weight (the same run as no level at all); a level far
/// above it takes the pressure away, so procurators back, and judges approve, more detentions.
#[test]
fn the_prison_target_acts_through_the_gap_to_its_level() {
    let with_level = |level: &str| {
        let entry = format!("procurator = {{ prison_target = 1.0 }}\n{level}");
        simulate(&tiny_with(&[("procurator = { prison_target = 1.0 }", &entry)]), 31, 0).tally
    };
    let none = with_level("");
    let far_below = with_level("prison_population_target = 1");
    let far_above = with_level("prison_population_target = 1000000000");
    assert_eq!(none, far_below, "a stock far above the level: the full weight, as without a level");
    let detained = |t: &Tally| t.get(2, Counter::Detained);
    assert!(
        detained(&far_above) > detained(&none),
        "2012 detentions: {} with no pressure, {} under the full weight",
        detained(&far_above),
        detained(&none)
    );
    // Before the entry (2011) the runs are the same.
    assert_eq!(far_above.get(1, Counter::Detained), none.get(1, Counter::Detained));
}

/// A target missed is pressed harder: with `prison_escalation` the pressure grows while the
/// stock stays above the level, so a level far below the stock (where the gap alone is already
/// at the full weight) now means fewer detentions the longer it is missed; a rate of 0 is the
/// run without the key, bit for bit; and a level far above the stock never escalates.
#[test]
fn a_prison_target_missed_is_pressed_harder() {
    let with = |level: &str, rate: &str| {
        let entry = format!("procurator = {{ prison_target = 1.0 }}\n{level}");
        simulate(
            &tiny_with(&[
                ("procurator = { prison_target = 1.0 }", &entry),
                ("prison_gap_scale = 0.25", &format!("prison_gap_scale = 0.25\nprison_escalation = {rate}")),
            ]),
            31,
            0,
        )
        .tally
    };
    let without_key =
        simulate(&tiny_adding("procurator = { prison_target = 1.0 }", "prison_population_target = 1"), 31, 0).tally;
    let flat = with("prison_population_target = 1", "0");
    assert_eq!(flat, without_key, "a rate of 0 is the model without the key");
    let pressed = with("prison_population_target = 1", "5");
    let detained = |t: &Tally| t.get(2, Counter::Detained);
    assert!(
        (detained(&pressed) as f64) < 0.8 * detained(&flat) as f64,
        "2012 detentions: {} with the gap alone, {} when the missed target is pressed harder",
        detained(&flat),
        detained(&pressed)
    );
    // Before the target's entry (2011) nothing escalates.
    assert_eq!(pressed.get(1, Counter::Detained), flat.get(1, Counter::Detained));
    // Below the level the pressure never builds.
    assert_eq!(with("prison_population_target = 1000000000", "5"), with("prison_population_target = 1000000000", "0"));
}

/// Judges answer to the prison-population target through `sentencing.prison_target_response`:
/// 1 (the default) is the model before the key, bit for bit; 0 leaves the pressure out of their
/// choice, so under the fixture's full weight of 2012 they send more of the convicted to prison,
/// and the same as before the weight (2011).
#[test]
fn judges_answer_to_the_prison_target_through_their_response() {
    let response = |r: &str| {
        simulate(&tiny_adding("jobless_custodial_shift = 0.4", &format!("prison_target_response = {r}")), 23, 0).tally
    };
    assert_eq!(response("1"), simulate(&tiny(), 23, 0).tally, "a response of 1 is the model without the key");
    let (deaf, heard) = (response("0"), response("1"));
    let custodial = |t: &Tally, y: usize| t.get(y, Counter::CustodialSentences);
    assert_eq!(custodial(&deaf, 1), custodial(&heard, 1), "2011: no pressure yet");
    assert!(
        custodial(&deaf, 2) as f64 > 1.1 * custodial(&heard, 2) as f64,
        "2012 custodial sentences: {} heeding the target, {} not",
        custodial(&heard, 2),
        custodial(&deaf, 2)
    );
}

/// The code's limit on detention during an investigation shortens detainees' stays, so the
/// pre-trial stock falls while detentions do not: the same cases are detained (the limit acts
/// after the decision), they leave sooner.
#[test]
fn a_limit_on_custody_during_investigation_shortens_the_pretrial_stock() {
    let limited = |days: &str| {
        let s = tiny_adding("economic_detention_allowed = true", &format!("custody_investigation_days = {days}"));
        simulate(&s, 17, 0).tally
    };
    let free = simulate(&tiny(), 17, 0).tally;
    let tight = limited("20");
    // A limit no investigation reaches changes nothing at all.
    assert_eq!(limited("3650"), free, "a limit of ten years");
    assert_eq!(tight.get(0, Counter::Detained), free.get(0, Counter::Detained), "the same detentions");
    let stock = |t: &Tally| t.get(2, Counter::PretrialDetainees);
    assert!(
        (stock(&tight) as f64) < 0.8 * stock(&free) as f64,
        "pre-trial detainees at the end of 2012: {} without a limit, {} with 20 days",
        stock(&free),
        stock(&tight)
    );
}

/// A judge's other caseload puts reversals on her monitored record: with many of them,
/// monitoring (from 2012 in the fixture) dismisses judges; before it, nobody is dismissed.
#[test]
fn reversals_of_other_caseloads_dismiss_judges_under_monitoring() {
    let s = tiny_with(&[("other_reversal_rate = 0.005", "other_reversal_rate = 0.05")]);
    let t = simulate(&s, 7, 0).tally;
    assert_eq!(t.get(1, Counter::JudgesDismissed), 0, "2011: no monitoring yet");
    assert!(t.get(2, Counter::JudgesDismissed) > 0, "2012: monitoring dismisses judges with 18 reversals a year");
}

/// The fixture with a milder code from 2012: custodial terms at `scale` of the behavioural ones.
fn terms_from_2012(scale: &str) -> Scenario {
    let first_incentives = "[[incentives]]\nfrom = 2010-01-01";
    let entry =
        format!("[[rules]]\nfrom = 2012-01-01\nnote = \"terms changed\"\nterm_scale = {scale}\n\n{first_incentives}");
    tiny_with(&[(first_incentives, &entry)])
}

/// The year-end value of `series` in `year` from a summary CSV.
fn summary_mean(csv: &str, series: &str, year: i32) -> f64 {
    let row = csv.lines().find(|l| l.starts_with(&format!("{series},{year},"))).expect("row present");
    row.split(',').nth(2).unwrap().parse().unwrap()
}

#[test]
fn a_milder_code_shortens_terms_from_its_date_and_those_already_served() {
    let base = batch_csv(&tiny(), 2);
    // Absent, the key means the terms as they are; stated as 1 it changes nothing at all.
    assert_eq!(tiny().rules[0].value.term_scale, 1.0);
    assert_eq!(batch_csv(&terms_from_2012("1.0"), 2), base);
    let milder = batch_csv(&terms_from_2012("0.5"), 2);
    assert_eq!(summary_before(&milder, 2012), summary_before(&base, 2012));
    // Sentenced prisoners at the end of 2012 (the stock less the pre-trial detainees): the
    // prisoners of 2011 leave sooner (the law is retroactive) and those of 2012 serve half.
    let sentenced =
        |csv: &str| summary_mean(csv, "prison.population", 2012) - summary_mean(csv, "prison.pretrial_detainees", 2012);
    let (before, after) = (sentenced(&base), sentenced(&milder));
    assert!(after < 0.9 * before, "sentenced at the end of 2012: {after} with half terms, {before} without");
    // A harsher code (terms doubled) is not retroactive: it can only hold more.
    let harsher = batch_csv(&terms_from_2012("2.0"), 2);
    assert_eq!(summary_before(&harsher, 2012), summary_before(&base, 2012));
    assert!(sentenced(&harsher) > before, "doubled terms held no more prisoners");
    for s in ["0.5", "2.0", "0.01"] {
        for run in 0..3 {
            check_invariants(&simulate(&terms_from_2012(s), 5, run));
        }
    }
}

/// The fixture with an amnesty on 1 March 2012 whose one clause says `clause`.
fn amnesty_in_2012(clause: &str) -> Scenario {
    let before = "[behaviour.investigation]";
    let act = format!("[[amnesty]]\nname = \"test\"\ndate = 2012-03-01\n[[amnesty.clause]]\n{clause}\n\n{before}");
    tiny_with(&[(before, &act)])
}

#[test]
fn an_amnesty_frees_whom_it_covers_on_its_day_and_acts_on_nothing_before() {
    let base = batch_csv(&tiny(), 2);
    let sentenced =
        |csv: &str| summary_mean(csv, "prison.population", 2012) - summary_mean(csv, "prison.pretrial_detainees", 2012);
    let freed = |csv: &str| summary_mean(csv, "prison.amnesty_released", 2012);
    // A clause nobody meets (the whole term served: they are out already) changes nothing.
    assert_eq!(batch_csv(&amnesty_in_2012("up_to = \"especially_grave\"\nserved_at_least = 1.0"), 2), base);
    assert_eq!(freed(&base), 0.0);
    // Everyone: the prisoners of that day go, and nothing before it changes.
    let everyone = batch_csv(&amnesty_in_2012("up_to = \"especially_grave\""), 2);
    assert_eq!(summary_before(&everyone, 2012), summary_before(&base, 2012));
    let stock_2011 =
        summary_mean(&base, "prison.population", 2011) - summary_mean(&base, "prison.pretrial_detainees", 2011);
    assert!(freed(&everyone) > 0.5 * stock_2011, "freed {} of {stock_2011} held at the end of 2011", freed(&everyone));
    assert!(
        sentenced(&everyone) < 0.8 * sentenced(&base),
        "{} held after, {} without",
        sentenced(&everyone),
        sentenced(&base)
    );
    // Minor offences only: fewer freed than everyone.
    let minor = batch_csv(&amnesty_in_2012("up_to = \"minor\""), 2);
    assert!(freed(&minor) < freed(&everyone), "minor {} vs all {}", freed(&minor), freed(&everyone));
    // Half the rest of every term: nobody freed that day, fewer held at the year's end.
    let halved = batch_csv(&amnesty_in_2012("up_to = \"especially_grave\"\nremaining = 0.5"), 2);
    assert_eq!(freed(&halved), 0.0);
    assert!(sentenced(&halved) < sentenced(&base) && sentenced(&halved) > sentenced(&everyone));
    for clause in ["up_to = \"especially_grave\"", "up_to = \"grave\"\nfirst_offence_only = true\nremaining = 0.3"] {
        for run in 0..3 {
            check_invariants(&simulate(&amnesty_in_2012(clause), 5, run));
        }
    }
}

/// The fixture with parole after `share` of every term, its courts' log-odds `logit` and their
/// answer `response` to the prison-population pressure (the fixture's target weighs from 2012).
fn parole(share: &str, logit: &str, response: &str) -> Scenario {
    let rule = format!(
        "economic_detention_allowed = true\nparole_after = {{ minor = {share}, medium = {share}, grave = {share}, \
         especially_grave = {share} }}"
    );
    let courts = format!("jobless_custodial_shift = 0.4\nparole_logit = {logit}\nparole_target_response = {response}");
    tiny_with(&[("economic_detention_allowed = true", &rule), ("jobless_custodial_shift = 0.4", &courts)])
}

#[test]
fn parole_frees_prisoners_at_their_hearing_and_answers_the_prison_target() {
    let base = batch_csv(&tiny(), 2);
    let sentenced =
        |csv: &str| summary_mean(csv, "prison.population", 2012) - summary_mean(csv, "prison.pretrial_detainees", 2012);
    let paroled = |csv: &str| (2011..=2012).map(|y| summary_mean(csv, "prison.paroled", y)).sum::<f64>();
    // The whole term to serve, or courts that never grant it: nothing changes at all.
    assert_eq!(batch_csv(&parole("1.0", "2.0", "0.0"), 2), base);
    assert_eq!(batch_csv(&parole("0.5", "-40.0", "0.0"), 2), base);
    // Courts that always grant it after half: prisoners leave at half their terms.
    let always = batch_csv(&parole("0.5", "40.0", "0.0"), 2);
    assert!(paroled(&always) > 0.0);
    assert!(
        sentenced(&always) < 0.8 * sentenced(&base),
        "{} held, {} without parole",
        sentenced(&always),
        sentenced(&base)
    );
    // Even odds, then the target's pressure (from 2012) pushes the courts to grant more.
    let even = batch_csv(&parole("0.5", "0.0", "0.0"), 2);
    let pressed = batch_csv(&parole("0.5", "0.0", "3.0"), 2);
    assert_eq!(summary_before(&pressed, 2012), summary_before(&even, 2012), "no pressure before 2012");
    assert!(paroled(&even) < paroled(&always));
    assert!(paroled(&pressed) > 1.1 * paroled(&even), "pressed {} vs even odds {}", paroled(&pressed), paroled(&even));
    for run in 0..3 {
        check_invariants(&simulate(&parole("0.3", "0.5", "2.0"), 5, run));
    }
}
