//! Appeals. Procurators appeal acquittals, defendants appeal convictions, complainants appeal
//! private acquittals (`appeal_or_end`, called where a verdict is given). Appellate judges,
//! most trained in the Soviet period and deferring to the procuracy, overturn acquittals far
//! more readily than convictions, and rarely acquit themselves. A reversal goes on the trial
//! judge's record while she holds the post: under monitoring, reversals in a year mark a
//! failing judge and then dismiss her.

use super::common::REFERENCE_WEAKNESS;
use super::common::{budget_spent, pick_in_word};
use crate::engine::agents::VerdictKind;
use crate::engine::dist::{below_logistic, logistic, logit, poisson};
use crate::engine::draws::{Source, unit};
use crate::engine::{Stage, Verdict, World, slot};
use crate::record::event::{AppealOutcome, Queue};
use crate::record::trace::{Decider, Decision, Role, Term, Tracer};
use crate::record::{Event, Subject, Terminal};
use crate::scenario::DAYS_PER_YEAR;

/// Who may appeal a verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Appellant {
    /// The procurator, against an acquittal in a public case.
    Procurator,
    /// The convicted.
    Defendant,
    /// The victim who brought a private complaint, against an acquittal.
    Complainant,
}

impl<T: Tracer> World<'_, T> {
    /// A verdict was given: the party who lost appeals with chance `chance`, and the case goes
    /// to the appellate court carrying the verdict; otherwise the case ends with it.
    // Inlined into the day loop with `World::run_appointments` (see there why pinned).
    #[inline(always)]
    pub(crate) fn appeal_or_end(&mut self, index: u32, verdict: Verdict, by: Appellant, chance: f64) {
        let c = &mut self.cases[index];
        c.verdict = verdict;
        let draw = c.u(slot::APPEAL_FILE);
        let (id, province) = (c.id, c.province);
        let procurator_uid = self.agents.procurators.get(c.procurator as usize).map(|p| p.uid);
        self.trace.decision(self.calendar.day, id, move || {
            let (role, uid) = match by {
                Appellant::Procurator => (Role::Procurator, procurator_uid),
                Appellant::Defendant => (Role::Defendant, None),
                Appellant::Complainant => (Role::Complainant, None),
            };
            let decider = Decider { role, uid, province };
            Decision::chance("appeal", "file an appeal", decider, &["appeal", "accept the verdict"], chance, draw)
        });
        if draw < chance {
            // The judge who gave the verdict sees it appealed (while she holds the post).
            if let Some(j) = self.verdict_judge(index) {
                let public = self.cases[index].source != Source::PrivateComplaint;
                self.agents.judges[j].record.appealed(VerdictKind::of(public, verdict));
            }
            // `exp_days_word(appeal.days_mean, word)`, mostly from a table.
            let days = self.prep.appeal_days.days(self.cases[index].word(slot::APPEAL_DAYS));
            self.calendar.schedule(index, Stage::Appeal, days);
        } else {
            let how = match verdict {
                Verdict::Convicted => Terminal::Convicted,
                Verdict::Acquitted => Terminal::Acquitted,
            };
            self.finish(index, how);
        }
    }

    pub(crate) fn appeal(&mut self, index: u32) {
        let s = self.s;
        let b = &s.behaviour.appeal;
        let inc = &self.incentives().appellate;
        let appellate_index = {
            let c = &self.cases[index];
            pick_in_word(&self.agents.appellate_rosters[c.province as usize], c.word(slot::APPEAL_JUDGE))
        };
        // An appellate judge who has decided her budget of appeals this period leaves the rest
        // for the next (the same judge: the case's draw picks her again). Checked before the
        // case is copied.
        if budget_spent(
            self.agents.appellate[appellate_index as usize].decided,
            b.appellate_ceiling,
            s.behaviour.learning.period_days,
        ) {
            return self.postpone(index, Stage::Appeal, Queue::Appeal);
        }
        self.agents.appellate[appellate_index as usize].decided += 1;
        // A copy: the stage reads the case while it updates the world.
        let c = self.cases[index].clone();
        let c = &c;
        let u = |k: usize| c.u(k);
        let subject = c.subject();
        let public = c.source != Source::PrivateComplaint;
        let appellate = &self.agents.appellate[appellate_index as usize];
        let deference = appellate.deference;
        let by = Decider { role: Role::AppellateJudge, uid: Some(appellate.uid), province: c.province };
        let weakness = 1.0 - c.evidence;
        let verdict = c.verdict;
        let on_record = self.verdict_judge(index);
        // The parts of the log-odds of overturning, named for case stories: (leaning,
        // procuracy's pull, evidence, campaign).
        let (x, leaning, alignment, evidence, campaign) = match verdict {
            Verdict::Acquitted => {
                // The procuracy's appeal carries weight with deferent judges; a strong case
                // makes the acquittal look wrong. Private complainants carry no such weight.
                let alignment = if public { inc.procuracy_alignment * deference } else { 0.0 };
                let (pull, evidence) =
                    (b.alignment_weight * alignment, b.weakness_weight * (REFERENCE_WEAKNESS - weakness));
                let x = b.overturn_acquittal_logit + pull - inc.reversal_cost + evidence;
                (x, b.overturn_acquittal_logit, pull, evidence, 0.0)
            }
            Verdict::Convicted => {
                // A campaign against, say, fabricated drug cases reaches the higher courts too.
                let campaign = self.campaign_bonus(c.kind as usize, |cp| cp.appellate_overturn);
                let evidence = b.weakness_weight * (weakness - REFERENCE_WEAKNESS);
                let x = b.overturn_conviction_logit - inc.reversal_cost + evidence + campaign;
                (x, b.overturn_conviction_logit, 0.0, evidence, campaign)
            }
        };
        let draw = u(slot::APPEAL_DECIDE);
        self.trace.decision(self.calendar.day, c.id, move || {
            let mut terms = vec![
                Term::part(0, "appellate courts' leaning to overturn such a verdict", leaning),
                Term::weighted(
                    0,
                    "the cost of reversing",
                    "appellate.reversal_cost",
                    inc.reversal_cost,
                    -inc.reversal_cost,
                ),
                Term::part(0, "how the evidence makes the verdict look", evidence),
            ];
            if alignment != 0.0 {
                terms.push(Term::weighted(
                    0,
                    "the pull of the procuracy's appeal",
                    "appellate.procuracy_alignment",
                    inc.procuracy_alignment,
                    alignment,
                ));
            }
            if campaign != 0.0 {
                terms.push(Term::weighted(
                    0,
                    "a campaign on this kind of crime",
                    "campaign.appellate_overturn",
                    campaign,
                    campaign,
                ));
            }
            Decision::chance("appeal", "overturn", by, &["overturn", "uphold"], logistic(x), draw).with_terms(terms)
        });
        // `draw < logistic(x)`, mostly without libm's `exp`.
        let overturn = below_logistic(draw, x);
        if !overturn {
            self.record(&subject, Event::AppealDecided { verdict, outcome: AppealOutcome::Upheld });
            let how = if verdict == Verdict::Acquitted { Terminal::Acquitted } else { Terminal::Convicted };
            return self.finish(index, how);
        }
        if let Some(judge) = on_record {
            self.agents.judges[judge].record.overturned(VerdictKind::of(public, verdict));
            self.record_reversal(judge, &subject);
        }
        if verdict == Verdict::Convicted {
            self.release_overturned(index);
            // Overturning, the appellate judges acquit themselves rather than send the case
            // back the weaker the evidence; acquitting defies the procuracy, which carries
            // weight with deferent judges (public cases).
            let proof = b.acquit_on_overturn_weakness * (weakness - REFERENCE_WEAKNESS);
            let pull = if public { b.acquit_on_overturn_alignment * inc.procuracy_alignment * deference } else { 0.0 };
            let x = b.acquit_on_overturn_logit + proof - pull;
            let draw = u(slot::APPEAL_ACQUIT);
            let w = inc.procuracy_alignment;
            self.trace.decision(self.calendar.day, c.id, move || {
                Decision::chance("appeal", "acquit", by, &["acquit", "send back"], logistic(x), draw).with_terms(vec![
                    Term::part(0, "appellate courts' leaning to acquit themselves", b.acquit_on_overturn_logit),
                    Term::part(0, "the weakness of the evidence", proof),
                    Term::weighted(0, "the pull of the procuracy", "appellate.procuracy_alignment", w, -pull),
                ])
            });
            if below_logistic(draw, x) {
                self.record(&subject, Event::AppealDecided { verdict, outcome: AppealOutcome::Acquitted });
                return self.finish(index, Terminal::AcquittedOnAppeal);
            }
        }
        self.record(&subject, Event::AppealDecided { verdict, outcome: AppealOutcome::Retrial });
        // Sent back for a new trial.
        self.revisit(index);
        let c = &self.cases[index];
        // `exp_days_word` of the trial's mean days (public or private), mostly from a table.
        let (stage, mean_days) =
            if public { (Stage::Trial, &self.prep.trial_days) } else { (Stage::PrivateTrial, &self.prep.private_days) };
        let days = mean_days.days(c.word(slot::TRIAL_DAYS));
        self.calendar.schedule(index, stage, days);
    }

    /// The judge who gave a case's verdict, if she still holds the post: the appeal goes on her
    /// record and into her experience (a dismissed judge's successor inherits neither).
    fn verdict_judge(&self, index: u32) -> Option<usize> {
        let c = &self.cases[index];
        let j = c.judge as usize;
        (self.agents.judges.get(j).map(|judge| judge.uid) == Some(c.judge_uid)).then_some(j)
    }

    /// A reversal goes on the trial judge's yearly record; under monitoring enough of them
    /// dismiss her and a newcomer takes the post.
    fn record_reversal(&mut self, judge: usize, case: &Subject) {
        self.agents.judges[judge].reversals_year += 1;
        if self.dismissal_due(judge) {
            self.dismiss(judge);
            self.record(case, Event::JudgeDismissed);
        }
    }

    /// Whether monitoring in force dismisses judge `j` for the reversals on her record.
    fn dismissal_due(&self, j: usize) -> bool {
        self.incentives().monitoring.as_ref().is_some_and(|m| self.agents.judges[j].reversals_year >= m.dismissed_at)
    }

    fn dismiss(&mut self, j: usize) {
        let capacity = self.s.behaviour.trial.judge_capacity;
        self.agents.replace_judge(j, &self.prep.traits, &mut self.stream, capacity);
    }

    /// Between periods: the reversals of each serving judge's other caseload (civil and
    /// administrative cases, outside the model) in the period go on her monitored record,
    /// drawn from her own words for the period; under monitoring they can dismiss her too.
    /// Between periods: appellate judges' budgets of appeals renew.
    pub(crate) fn renew_appellate_budgets(&mut self) {
        for a in &mut self.agents.appellate {
            a.decided = 0;
        }
    }

    pub(crate) fn background_reversals(&mut self, period: u32) {
        let b = &self.s.behaviour.trial;
        let l = &self.s.behaviour.learning;
        let mean = b.other_decisions_per_year * b.other_reversal_rate * l.period_days as f64 / DAYS_PER_YEAR as f64;
        if mean <= 0.0 {
            return;
        }
        for p in 0..self.agents.judge_rosters.len() {
            for k in 0..self.agents.judge_rosters[p].len() {
                let j = self.agents.judge_rosters[p][k] as usize;
                let judge = &mut self.agents.judges[j];
                let u = unit(self.stream.agent_period_words(judge.uid, period, &mut judge.period_words)[0]);
                self.agents.judges[j].reversals_year += poisson(mean, u);
                if self.dismissal_due(j) {
                    self.dismiss(j);
                    self.record_official(p as u16, Event::JudgeDismissed);
                }
            }
        }
    }

    /// A convicted prisoner whose sentence is overturned leaves prison now, not at term end.
    fn release_overturned(&mut self, index: u32) {
        let c = &mut self.cases[index];
        if !c.custodial {
            return;
        }
        c.custodial = false;
        let cohort = c.cohort;
        self.stocks.release_early(cohort, self.calendar.day);
    }

    /// A new calendar year: judges' reversals on record start again from none.
    pub(crate) fn new_monitoring_year(&mut self) {
        for j in &mut self.agents.judges {
            j.reversals_year = 0;
        }
    }
}

/// The acquittal weight at which `appeal.procurator_appeal_acquittal` is the chance that a
/// procurator appeals an acquittal (the weight's unit: the brief's scale of indicator weights).
const REFERENCE_ACQUITTAL_WEIGHT: f64 = 1.0;

/// Chance that a procurator appeals an acquittal, given the acquittal weight in force.
pub(crate) fn procurator_appeal_chance(base: f64, acquittal_weight: f64) -> f64 {
    if base <= 0.0 {
        return 0.0;
    }
    // The brief's utility: weight times the expected change of the indicator. An appeal may
    // undo the acquittal, one acquittal off his record, so each unit of weight above the
    // reference adds one log-odds (the chance it succeeds is in the base).
    logistic(logit(base) + (acquittal_weight - REFERENCE_ACQUITTAL_WEIGHT))
}
