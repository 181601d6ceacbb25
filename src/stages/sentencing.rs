//! Sentencing: the sentence of a convicted case, public or private. Custody where the code
//! requires it, otherwise the judge's choice, pushed down by the procurators' prison-population
//! target; a sentence to custody moves the convicted into prison until the term ends. Then the
//! convicted may appeal.

use super::appeal::Appellant;
use crate::engine::dist::{below_logistic, logistic};
use crate::engine::{Verdict, World, slot};
use crate::record::Event;
use crate::record::event::Exit;
use crate::record::trace::{Decider, Decision, Role, Tracer};

impl<T: Tracer> World<'_, T> {
    /// Sentences a convicted case; it then goes to appeal or ends convicted.
    // Inlined into the day loop with `World::run_appointments` (see there why pinned).
    #[inline(always)]
    pub(crate) fn sentence(&mut self, index: u32) {
        let s = self.s;
        let sb = &s.behaviour.sentencing;
        // A copy: the stage reads the case while it updates the world.
        let c = self.cases[index].clone();
        let c = &c;
        let g = c.gravity.index();
        // `u >= noncustodial_scope[g]`, compared as a count of words (`BelowUnit::not_at_least`).
        let must_jail = !self.rule_words().custodial_scope[g].holds(c.word(slot::CUSTODIAL_SCOPE));
        let x = sb.custodial_logit[g] + if c.jobless { sb.jobless_custodial_shift } else { 0.0 }
            - sb.prison_target_response * self.prison_pressure();
        let draw = c.u(slot::CUSTODIAL);
        let custodial = must_jail || below_logistic(draw, x);
        let (judge_uid, province) = (self.agents.judges.get(c.judge as usize).map(|j| j.uid), c.province);
        self.trace.decision(self.calendar.day, c.id, move || {
            let judge = Decider { role: Role::Judge, uid: judge_uid, province };
            let options = &["custody", "non-custodial"];
            match must_jail {
                true => Decision::forced("sentencing", "sentence", judge, options, 0),
                false => Decision::chance("sentencing", "sentence", judge, options, logistic(x), draw),
            }
        });
        // `exp_days_word(sb.term_days[g], word)`, mostly from a table, under the code in force.
        let term = scaled_term(self.prep.term_days[g].days(c.word(slot::TERM)), self.rules().term_scale);
        self.record(&c.subject(), Event::Sentenced { custodial });
        // A detainee sentenced to custody moves from pre-trial detention to prison.
        self.leave_detention(index, Exit::Sentence);
        if custodial {
            let day = self.calendar.day;
            let cohort = self.stocks.imprison(day, c.defendants, term, c.gravity, c.first_offence);
            self.cases[index].cohort = cohort;
            // Eligible for parole after the code's share of the term (none at a share of 1).
            let eligible_after = (self.rules().parole_after[g] * term as f64).ceil() as u32;
            if eligible_after < term {
                self.stocks.schedule_hearing(cohort, day + eligible_after, c.word(slot::PAROLE));
            }
        }
        self.cases[index].custodial = custodial;
        let appeal = &s.behaviour.appeal;
        let chance = if custodial { appeal.defendant_appeal_custodial } else { appeal.defendant_appeal_other };
        self.appeal_or_end(index, Verdict::Convicted, Appellant::Defendant, chance);
    }
}

/// A term of `days` under a code whose terms are `scale` times the behavioural ones (at least a
/// day). At scale 1 the term is left exactly as drawn.
fn scaled_term(days: u32, scale: f64) -> u32 {
    if scale == 1.0 { days } else { ((days as f64 * scale).round() as u32).max(1) }
}
