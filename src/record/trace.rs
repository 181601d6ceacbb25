//! Case stories: an optional collector of what happened to chosen cases, stage by stage — who
//! decided (role, uid, province), among which options, with which utilities or chances, the
//! uniform drawn and the option chosen — and the events each decision produced.
//!
//! The stages hand decisions and events to the run's [`Tracer`], a type parameter of the
//! world: an ordinary run has [`NoTrace`], whose methods are empty and compile away (no check,
//! no dispatch, nothing built); `engine::Model::simulate_traced` runs with a [`Trace`]. A
//! decision comes as a closure, called only for a traced case. Tracing only reads: a traced
//! run counts exactly what an untraced one does.

use std::collections::BTreeSet;

use super::event::Event;
use crate::engine::draws::CaseId;

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
    /// The accused (appealing a conviction).
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
        Decision { stage, question, decider, options, odds: Odds::Chance(chance), draw: Some(draw), chosen }
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
        Decision { stage, question, decider, options, odds, draw: Some(draw), chosen }
    }

    /// A decision the law (or the only option left) takes: nothing is drawn.
    pub fn forced(
        stage: &'static str,
        question: &'static str,
        decider: Decider,
        options: &'static [&'static str],
        chosen: usize,
    ) -> Decision {
        Decision { stage, question, decider, options, odds: Odds::Forced, draw: None, chosen }
    }

    /// The chance of each option.
    pub fn probabilities(&self) -> Vec<f64> {
        match &self.odds {
            Odds::Utilities(u) => {
                let max = u.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let w: Vec<f64> = u.iter().map(|&v| (v - max).exp()).collect();
                let total: f64 = w.iter().sum();
                w.iter().map(|x| x / total).collect()
            }
            Odds::Chance(p) => vec![*p, 1.0 - p],
            Odds::Forced => (0..self.options.len()).map(|i| if i == self.chosen { 1.0 } else { 0.0 }).collect(),
        }
    }

    /// The name of the option chosen.
    pub fn outcome(&self) -> &'static str {
        self.options[self.chosen]
    }
}

/// Where the stages hand what they decide and what happens.
pub trait Tracer {
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

/// The stories of the traced cases, in the order things happened.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// The cases followed (`None`: every case).
    cases: Option<BTreeSet<CaseId>>,
    entries: Vec<Entry>,
}

impl Trace {
    /// Follows every case (for small scenarios).
    pub fn all() -> Trace {
        Trace { cases: None, entries: Vec::new() }
    }

    /// Follows the given cases only.
    pub fn cases(ids: impl IntoIterator<Item = CaseId>) -> Trace {
        Trace { cases: Some(ids.into_iter().collect()), entries: Vec::new() }
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
}
