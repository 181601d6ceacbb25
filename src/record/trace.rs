//! Case stories: an optional collector of what happened to chosen cases, stage by stage — who
//! decided (role, uid, province), among which options, with which utilities or chances, the
//! uniform drawn and the option chosen — and the events each decision produced.
//!
//! The stages hand decisions and events to the run's [`Tracer`], a type parameter of the
//! world: an ordinary run has [`NoTrace`], whose methods are empty and compile away (no check,
//! no dispatch, nothing built); `engine::Model::simulate_traced` runs with a [`Trace`]. A
//! decision comes as a closure, called only for a traced case. Tracing only reads: a traced
//! run counts exactly what an untraced one does.
//!
//! A decision may carry the named parts of its utilities ([`Term`]), each tied, where it comes
//! from one, to the dated incentive weight behind it; [`Decision::pushes`] then tells how much
//! each part moved the chance of the option chosen (the chance without it, all else equal).
//! What a case is (its kind, province, gravity, accused) reaches the tracer as [`CaseFacts`];
//! a trace built by [`Trace::sample`] uses them to follow a random sample of the cases of one
//! kind registered in a window of days, chosen as the run goes (bottom-k by a hash of the case
//! id, so the sample does not depend on anything but the seed and the selection).

use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::ops::Range;

use super::event::Event;
use crate::engine::Case;
use crate::engine::draws::{CaseId, Source};
use crate::scenario::Gravity;

/// The kind of official who decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Investigator,
    Procurator,
    Judge,
    /// A judge deciding on detention in the investigation (from 2015 an investigative judge).
    DetentionJudge,
    Jury,
    AppellateJudge,
    /// The accused (appealing a conviction, or complaining of torture).
    Defendant,
    /// The victim who brought a private complaint.
    Complainant,
}

/// Who decided: the role, the agent's uid (none for a jury) and the province.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decider {
    pub role: Role,
    pub uid: Option<u64>,
    pub province: u16,
}

/// How the options were weighed.
#[derive(Clone, Debug, PartialEq)]
pub enum Odds {
    /// A multinomial logit: one utility per option (minus infinity: not available).
    Utilities(Vec<f64>),
    /// Two options: the chance of the first.
    Chance(f64),
    /// No choice: the law (or the only option left) decides, nothing is drawn.
    Forced,
}

/// A dated incentive weight: its key in the scenario (`trial_judge.reversals`) and its value in
/// force when the decision was taken.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Weight {
    pub key: &'static str,
    pub value: f64,
}

/// A named part of one option's utility (for a yes/no chance, of the first option's log-odds
/// against the second, whose utility is 0): the utility is the sum of its parts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Term {
    /// The option whose utility it is part of.
    pub option: usize,
    /// What it stands for, in plain words ("the reversal risk the judge believes an acquittal
    /// carries").
    pub what: &'static str,
    /// The dated incentive weight it comes from, if any (none: a trait, a constant, the
    /// evidence).
    pub weight: Option<Weight>,
    /// Its contribution to the utility.
    pub value: f64,
}

impl Term {
    /// A part that comes from no incentive weight.
    pub fn part(option: usize, what: &'static str, value: f64) -> Term {
        Term { option, what, weight: None, value }
    }

    /// A part that comes from the incentive weight `key`, whose value in force is `weight`.
    pub fn weighted(option: usize, what: &'static str, key: &'static str, weight: f64, value: f64) -> Term {
        Term { option, what, weight: Some(Weight { key, value: weight }), value }
    }
}

/// How much one part of the utilities moved the chance of the option chosen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Push {
    /// Index of the part in [`Decision::terms`].
    pub term: usize,
    /// The chance of the option chosen, as it was and without this part (all else equal).
    pub with: f64,
    pub without: f64,
}

impl Push {
    /// Positive: the part made the choice more likely.
    pub fn change(&self) -> f64 {
        self.with - self.without
    }
}

/// One decision about a case.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// The stage (as named in `stages`) and what was decided there.
    pub stage: &'static str,
    pub question: &'static str,
    pub decider: Decider,
    pub options: &'static [&'static str],
    pub odds: Odds,
    /// The uniform the decision read (none when forced).
    pub draw: Option<f64>,
    /// Index of the option chosen.
    pub chosen: usize,
    /// The named parts of the utilities, where the stage tells them (built only when tracing).
    pub terms: Vec<Term>,
}

impl Decision {
    /// A yes/no decision taken as `draw < chance`: the first option when it holds.
    pub fn chance(
        stage: &'static str,
        question: &'static str,
        decider: Decider,
        options: &'static [&'static str; 2],
        chance: f64,
        draw: f64,
    ) -> Decision {
        let chosen = if draw < chance { 0 } else { 1 };
        Decision {
            stage,
            question,
            decider,
            options,
            odds: Odds::Chance(chance),
            draw: Some(draw),
            chosen,
            terms: Vec::new(),
        }
    }

    /// A choice among options by a multinomial logit over `utilities` (see `dist::choose`).
    pub fn logit(
        stage: &'static str,
        question: &'static str,
        decider: Decider,
        options: &'static [&'static str],
        utilities: &[f64],
        draw: f64,
        chosen: usize,
    ) -> Decision {
        let odds = Odds::Utilities(utilities.to_vec());
        Decision { stage, question, decider, options, odds, draw: Some(draw), chosen, terms: Vec::new() }
    }

    /// A decision the law (or the only option left) takes: nothing is drawn.
    pub fn forced(
        stage: &'static str,
        question: &'static str,
        decider: Decider,
        options: &'static [&'static str],
        chosen: usize,
    ) -> Decision {
        Decision { stage, question, decider, options, odds: Odds::Forced, draw: None, chosen, terms: Vec::new() }
    }

    /// The same decision with the named parts of its utilities.
    pub fn with_terms(mut self, terms: Vec<Term>) -> Decision {
        self.terms = terms;
        self
    }

    /// The chance of each option.
    pub fn probabilities(&self) -> Vec<f64> {
        match &self.odds {
            Odds::Utilities(u) => logit_shares(u),
            Odds::Chance(p) => vec![*p, 1.0 - p],
            Odds::Forced => (0..self.options.len()).map(|i| if i == self.chosen { 1.0 } else { 0.0 }).collect(),
        }
    }

    /// The utilities the chances follow from (a chance p as log-odds against 0); none when the
    /// decision was forced.
    pub fn utilities(&self) -> Option<Vec<f64>> {
        match &self.odds {
            Odds::Utilities(u) => Some(u.clone()),
            Odds::Chance(p) => Some(vec![(p / (1.0 - p)).ln(), 0.0]),
            Odds::Forced => None,
        }
    }

    /// For each part of the utilities, how much it moved the chance of the option chosen: that
    /// chance as it was and with the part taken out of its option's utility, all else equal.
    /// Empty for a forced decision or one without parts.
    pub fn pushes(&self) -> Vec<Push> {
        let Some(u) = self.utilities() else {
            return Vec::new();
        };
        let with = self.probabilities()[self.chosen];
        self.terms
            .iter()
            .enumerate()
            .filter(|(_, t)| t.option < u.len() && u[t.option].is_finite())
            .map(|(i, t)| {
                let mut v = u.clone();
                v[t.option] -= t.value;
                Push { term: i, with, without: logit_shares(&v)[self.chosen] }
            })
            .collect()
    }

    /// The part coming from a dated incentive weight that did most for the option chosen (the
    /// greatest [`Push::change`]; negative when every such part worked against it); none when
    /// no part comes from an incentive weight.
    pub fn weighed_most(&self) -> Option<Push> {
        self.pushes()
            .into_iter()
            .filter(|p| self.terms[p.term].weight.is_some())
            .max_by(|a, b| a.change().total_cmp(&b.change()))
    }

    /// The name of the option chosen.
    pub fn outcome(&self) -> &'static str {
        self.options[self.chosen]
    }
}

/// Shares proportional to exp(utility): minus infinity is an option not available; plus
/// infinity one that is certain (several share equally).
fn logit_shares(u: &[f64]) -> Vec<f64> {
    let max = u.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::INFINITY {
        let n = u.iter().filter(|&&v| v == f64::INFINITY).count() as f64;
        return u.iter().map(|&v| if v == f64::INFINITY { 1.0 / n } else { 0.0 }).collect();
    }
    let w: Vec<f64> = u.iter().map(|&v| (v - max).exp()).collect();
    let total: f64 = w.iter().sum();
    w.iter().map(|x| x / total).collect()
}

/// What a case is, as far as it is known: told when it is registered (or filed), and again
/// with its details once they are drawn (a suspect found).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CaseFacts {
    pub source: Source,
    /// The crime kind (index into the scenario's kinds); none for a private complaint.
    pub kind: Option<u8>,
    pub province: u16,
    /// Registered criminal cases (episodes) joined in this case.
    pub episodes: u8,
    pub details: Option<CaseDetails>,
}

/// What is drawn about a case once it has an accused.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CaseDetails {
    pub gravity: Gravity,
    pub defendants: u8,
    pub juvenile: bool,
    pub first_offence: bool,
    pub jobless: bool,
    /// Strength of the evidence, 0 to 1 (a coerced confession included, where admissible).
    pub evidence: f64,
    /// A confession was coerced in police custody.
    pub coerced: bool,
    /// The parties reconciled before trial.
    pub reconciled: bool,
}

/// What a case in the store is, without its details.
pub(crate) fn case_facts(c: &Case) -> CaseFacts {
    CaseFacts { source: c.source, kind: Some(c.kind), province: c.province, episodes: c.episodes, details: None }
}

/// A case's details as they stand.
pub(crate) fn case_details(c: &Case) -> CaseDetails {
    CaseDetails {
        gravity: c.gravity,
        defendants: c.defendants,
        juvenile: c.juvenile,
        first_offence: c.first_offence,
        jobless: c.jobless,
        evidence: c.evidence,
        coerced: c.coerced,
        reconciled: c.reconciled_pretrial,
    }
}

/// Where the stages hand what they decide and what happens.
pub trait Tracer {
    /// What `case` is, on `day`; `facts` is called only if the tracer may follow the case.
    fn facts(&mut self, day: u32, case: CaseId, facts: impl FnOnce() -> CaseFacts);
    /// A decision about `case` on `day`; `decision` is called only if the case is followed.
    fn decision(&mut self, day: u32, case: CaseId, decision: impl FnOnce() -> Decision);
    /// Something that happened to `case` on `day`.
    fn event(&mut self, day: u32, case: CaseId, event: Event);
}

/// The tracer of an ordinary run: keeps nothing, and compiles to nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoTrace;

impl Tracer for NoTrace {
    #[inline(always)]
    fn facts(&mut self, _: u32, _: CaseId, _: impl FnOnce() -> CaseFacts) {}
    #[inline(always)]
    fn decision(&mut self, _: u32, _: CaseId, _: impl FnOnce() -> Decision) {}
    #[inline(always)]
    fn event(&mut self, _: u32, _: CaseId, _: Event) {}
}

/// What a line of a story holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Decision(Decision),
    Event(Event),
}

/// One line of a case's story.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub day: u32,
    pub case: CaseId,
    pub item: Item,
}

/// Which registered crimes a [`Trace::sample`] draws from, and how many it keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Days of registration (the run's day numbers).
    pub days: Range<u32>,
    /// Only this crime kind (index into the scenario's kinds); none: every kind.
    pub kind: Option<u8>,
    /// How many cases are followed: the `pool` with the least hashes of their ids.
    pub pool: usize,
    /// Mixed into the hash, so that another salt draws another sample.
    pub salt: u64,
}

/// The state of a sampling trace: the followed cases by their hash, greatest on top.
#[derive(Clone, Debug)]
struct Sampler {
    spec: Sample,
    pool: BinaryHeap<(u64, CaseId)>,
}

/// The stories of the traced cases, in the order things happened.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// The cases followed (`None`: every case).
    cases: Option<BTreeSet<CaseId>>,
    entries: Vec<Entry>,
    /// What each followed case is, as far as told.
    facts: BTreeMap<CaseId, CaseFacts>,
    sampler: Option<Sampler>,
}

impl Trace {
    /// Follows every case (for small scenarios).
    pub fn all() -> Trace {
        Trace::default()
    }

    /// Follows the given cases only.
    pub fn cases(ids: impl IntoIterator<Item = CaseId>) -> Trace {
        Trace { cases: Some(ids.into_iter().collect()), ..Trace::default() }
    }

    /// Follows a random sample of the public crimes `sample` describes: of all such cases the
    /// `sample.pool` whose ids hash least (with `sample.salt`), decided as they are registered
    /// (a case pushed out of the pool by a later one is forgotten). Every such case is in the
    /// pool with the same chance, whatever becomes of it, so the followed cases that reach a
    /// stage are a random sample of those that do.
    pub fn sample(sample: Sample) -> Trace {
        Trace {
            cases: Some(BTreeSet::new()),
            sampler: Some(Sampler { spec: sample, pool: BinaryHeap::new() }),
            ..Trace::default()
        }
    }

    /// The cases of a sampling trace with their hashes, least first (the order to take them
    /// in); empty for other traces.
    pub fn sampled(&self) -> Vec<(u64, CaseId)> {
        let mut out: Vec<(u64, CaseId)> = self.sampler.iter().flat_map(|s| s.pool.iter().copied()).collect();
        out.sort_unstable();
        out
    }

    /// What a followed case is, as far as it was told.
    pub fn facts_of(&self, id: CaseId) -> Option<&CaseFacts> {
        self.facts.get(&id)
    }

    /// A sampling trace decides whether to follow a newly registered case.
    fn consider(&mut self, day: u32, id: CaseId, facts: &CaseFacts) {
        let Some(sampler) = &mut self.sampler else {
            return;
        };
        let spec = &sampler.spec;
        if facts.details.is_some()
            || facts.source != Source::PublicCrime
            || !spec.days.contains(&day)
            || spec.kind.is_some_and(|k| facts.kind != Some(k))
            || spec.pool == 0
        {
            return;
        }
        let key = mix(spec.salt ^ mix(id.0));
        let cases = self.cases.get_or_insert_with(BTreeSet::new);
        if sampler.pool.len() < spec.pool {
            sampler.pool.push((key, id));
            cases.insert(id);
        } else if sampler.pool.peek().is_some_and(|&(top, _)| key < top) {
            if let Some((_, out)) = sampler.pool.pop() {
                cases.remove(&out);
                self.facts.remove(&out);
                self.entries.retain(|e| e.case != out);
            }
            sampler.pool.push((key, id));
            cases.insert(id);
        }
    }

    #[inline]
    pub fn follows(&self, id: CaseId) -> bool {
        self.cases.as_ref().is_none_or(|c| c.contains(&id))
    }

    /// Everything recorded, in order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// One case's story, in order.
    pub fn story(&self, id: CaseId) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |e| e.case == id)
    }
}

impl Tracer for Trace {
    fn facts(&mut self, day: u32, case: CaseId, facts: impl FnOnce() -> CaseFacts) {
        if self.sampler.is_none() && !self.follows(case) {
            return;
        }
        let facts = facts();
        self.consider(day, case, &facts);
        if self.follows(case) {
            self.facts.insert(case, facts);
        }
    }

    fn decision(&mut self, day: u32, case: CaseId, decision: impl FnOnce() -> Decision) {
        if self.follows(case) {
            self.entries.push(Entry { day, case, item: Item::Decision(decision()) });
        }
    }

    fn event(&mut self, day: u32, case: CaseId, event: Event) {
        if self.follows(case) {
            self.entries.push(Entry { day, case, item: Item::Event(event) });
        }
    }
}

/// SplitMix64's finaliser: a well-mixed 64-bit hash of a 64-bit word.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge() -> Decider {
        Decider { role: Role::Judge, uid: Some(7), province: 1 }
    }

    #[test]
    fn probabilities_follow_the_odds() {
        let d = Decision {
            stage: "trial",
            question: "ruling",
            decider: judge(),
            options: &["a", "b", "c"],
            odds: Odds::Utilities(vec![0.0, 2f64.ln(), f64::NEG_INFINITY]),
            draw: Some(0.5),
            chosen: 1,
            terms: Vec::new(),
        };
        let p = d.probabilities();
        assert!((p[0] - 1.0 / 3.0).abs() < 1e-12 && (p[1] - 2.0 / 3.0).abs() < 1e-12 && p[2] == 0.0);
        assert_eq!(d.outcome(), "b");
        let c = Decision::chance("appeal", "overturn", judge(), &["overturn", "uphold"], 0.25, 0.3);
        assert_eq!((c.chosen, c.probabilities()), (1, vec![0.25, 0.75]));
    }

    #[test]
    fn a_trace_of_some_cases_keeps_only_theirs() {
        let (a, b) = (CaseId(1), CaseId(2));
        let mut t = Trace::cases([a]);
        t.event(3, a, Event::Registered);
        t.event(3, b, Event::Registered);
        t.decision(4, b, || panic!("a decision about an untraced case is never built"));
        assert_eq!(t.entries().len(), 1);
        assert_eq!(t.story(a).count(), 1);
    }

    #[test]
    fn a_push_is_the_chance_lost_without_the_part() {
        // Convict 0 + nothing, acquit -3 of which -2 is the reversal risk: without that part
        // the acquittal has utility -1.
        let d =
            Decision::logit("trial", "ruling", judge(), &["convict", "acquit"], &[0.0, -3.0], 0.2, 0).with_terms(vec![
                Term::weighted(1, "reversal risk of an acquittal", "trial_judge.reversals", 2.0, -2.0),
                Term::part(1, "the work of an acquittal", -1.0),
            ]);
        let pushes = d.pushes();
        let logistic = |x: f64| 1.0 / (1.0 + (-x).exp());
        assert!((pushes[0].with - logistic(3.0)).abs() < 1e-12);
        assert!((pushes[0].without - logistic(1.0)).abs() < 1e-12);
        assert!((pushes[1].without - logistic(2.0)).abs() < 1e-12);
        let most = d.weighed_most().expect("one part has a weight");
        assert_eq!((most.term, most.change() > 0.0), (0, true));

        // A chance: the log-odds of the first option against 0.
        let c = Decision::chance("detention", "approve", judge(), &["detain", "release"], logistic(1.5), 0.9)
            .with_terms(vec![Term::weighted(0, "abscond risk", "trial_judge.abscond_risk", 2.0, 1.0)]);
        assert_eq!(c.chosen, 1);
        let p = c.pushes()[0];
        assert!((p.with - (1.0 - logistic(1.5))).abs() < 1e-12 && (p.without - (1.0 - logistic(0.5))).abs() < 1e-12);
        assert!(p.change() < 0.0, "the abscond risk worked against releasing");

        // Forced decisions, and options that are not available, have no pushes.
        let f = Decision::forced("trial", "reconciliation", judge(), &["release", "go on"], 0)
            .with_terms(vec![Term::part(0, "x", 1.0)]);
        assert!(f.pushes().is_empty() && f.weighed_most().is_none());
    }

    #[test]
    fn a_sample_keeps_the_least_hashes_of_the_cases_it_may_take() {
        let public =
            |kind| CaseFacts { source: Source::PublicCrime, kind: Some(kind), province: 0, episodes: 1, details: None };
        let spec = Sample { days: 10..20, kind: Some(1), pool: 3, salt: 7 };
        let mut t = Trace::sample(spec.clone());
        let mut eligible = Vec::new();
        for i in 0..200u64 {
            let (day, kind) = (5 + (i % 20) as u32, (i % 3) as u8);
            let id = CaseId(i);
            t.facts(day, id, || public(kind));
            t.event(day, id, Event::Registered);
            if (10..20).contains(&day) && kind == 1 {
                eligible.push((mix(7 ^ mix(i)), id));
            }
        }
        eligible.sort_unstable();
        let kept: Vec<CaseId> = t.sampled().iter().map(|p| p.1).collect();
        assert_eq!(kept, eligible[..3].iter().map(|p| p.1).collect::<Vec<_>>());
        // Only the kept cases' facts and events remain, each once.
        assert_eq!(t.entries().len(), 3);
        assert!(kept.iter().all(|&id| t.facts_of(id).is_some() && t.story(id).count() == 1));
        // A private complaint, and details told later, are no candidates.
        let mut p = Trace::sample(spec);
        p.facts(12, CaseId(1), || CaseFacts { source: Source::PrivateComplaint, kind: None, ..public(1) });
        assert!(p.sampled().is_empty());
    }
}
