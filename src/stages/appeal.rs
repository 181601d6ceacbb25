//! Appeals. Procurators appeal acquittals, defendants appeal convictions, complainants appeal
//! private acquittals (`appeal_or_end`, called where a verdict is given). Appellate judges,
//! most trained in the Soviet period and deferring to the procuracy, overturn acquittals far
//! more readily than convictions, and rarely acquit themselves. A reversal goes on the trial
//! judge's record while she holds the post: under monitoring, reversals in a year mark a
//! failing judge and then dismiss her.

use super::common::pick_in;
use crate::engine::dist::{exp_days, logistic, logit};
use crate::engine::draws::Source;
use crate::engine::{Stage, Verdict, World, slot};
use crate::record::event::AppealOutcome;
use crate::record::trace::{Decider, Decision, Role, Term, Tracer};
use crate::record::{Event, Subject, Terminal};

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
    pub(crate) fn appeal_or_end(&mut self, index: u32, verdict: Verdict, by: Appellant, chance: f64) {
        let days_mean = self.s.behaviour.appeal.days_mean;
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
            let days = exp_days(days_mean, self.cases[index].u(slot::APPEAL_DAYS));
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
        // A copy: the stage reads the case while it updates the world.
        let c = self.cases[index].clone();
        let c = &c;
        let u = |k: usize| c.u(k);
        let subject = c.subject();
        let public = c.source != Source::PrivateComplaint;
        let appellate = pick_in(&self.agents.appellate_rosters[c.province as usize], u(slot::APPEAL_JUDGE));
        let appellate = &self.agents.appellate[appellate as usize];
        let deference = appellate.deference;
        let by = Decider { role: Role::AppellateJudge, uid: Some(appellate.uid), province: c.province };
        let weakness = 1.0 - c.evidence;
        let (verdict, judge) = (c.verdict, c.judge as usize);
        // The decision goes on the trial judge's record only if she still holds the post (a
        // dismissed judge's successor does not inherit her reversals).
        let on_record = self.agents.judges[judge].uid == c.judge_uid;
        // The parts of the log-odds of overturning, named for case stories: (leaning,
        // procuracy's pull, evidence, campaign).
        let (chance, leaning, alignment, evidence, campaign) = match verdict {
            Verdict::Acquitted => {
                // The procuracy's appeal carries weight with deferent judges; a strong case
                // makes the acquittal look wrong. Private complainants carry no such weight.
                let alignment = if public { inc.procuracy_alignment * deference } else { 0.0 };
                let x = b.overturn_acquittal_logit + 2.0 * alignment - inc.reversal_cost + 2.0 * (0.5 - weakness);
                (logistic(x), b.overturn_acquittal_logit, 2.0 * alignment, 2.0 * (0.5 - weakness), 0.0)
            }
            Verdict::Convicted => {
                // A campaign against, say, fabricated drug cases reaches the higher courts too.
                let campaign = self.campaign_bonus(c.kind as usize, |cp| cp.appellate_overturn);
                let x = b.overturn_conviction_logit - inc.reversal_cost + 2.0 * (weakness - 0.5) + campaign;
                (logistic(x), b.overturn_conviction_logit, 0.0, 2.0 * (weakness - 0.5), campaign)
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
            Decision::chance("appeal", "overturn", by, &["overturn", "uphold"], chance, draw).with_terms(terms)
        });
        let overturn = draw < chance;
        if on_record {
            self.agents.judges[judge].appeals.decided(verdict, overturn);
        }
        if !overturn {
            self.record(&subject, Event::AppealDecided { verdict, outcome: AppealOutcome::Upheld });
            let how = if verdict == Verdict::Acquitted { Terminal::Acquitted } else { Terminal::Convicted };
            return self.finish(index, how);
        }
        if on_record {
            self.record_reversal(judge, &subject);
        }
        if verdict == Verdict::Convicted {
            self.release_overturned(index);
            if u(slot::APPEAL_ACQUIT) < b.acquit_on_overturn {
                self.record(&subject, Event::AppealDecided { verdict, outcome: AppealOutcome::Acquitted });
                return self.finish(index, Terminal::AcquittedOnAppeal);
            }
        }
        self.record(&subject, Event::AppealDecided { verdict, outcome: AppealOutcome::Retrial });
        // Sent back for a new trial.
        self.revisit(index);
        let c = &self.cases[index];
        let (stage, mean_days) = if public {
            (Stage::Trial, s.behaviour.trial.days_mean)
        } else {
            (Stage::PrivateTrial, s.behaviour.private.days_mean)
        };
        let days = exp_days(mean_days, c.u(slot::TRIAL_DAYS));
        self.calendar.schedule(index, stage, days);
    }

    /// A reversal goes on the trial judge's yearly record; under monitoring enough of them
    /// dismiss her and a newcomer takes the post.
    fn record_reversal(&mut self, judge: usize, case: &Subject) {
        let j = &mut self.agents.judges[judge];
        j.reversals_year += 1;
        let reversals = j.reversals_year;
        if let Some(m) = &self.incentives().monitoring
            && reversals >= m.dismissed_at
        {
            let capacity = self.s.behaviour.trial.judge_capacity;
            self.agents.replace_judge(judge, &self.prep.traits, &mut self.stream, capacity);
            self.record(case, Event::JudgeDismissed);
        }
    }

    /// A convicted prisoner whose sentence is overturned leaves prison now, not at term end.
    fn release_overturned(&mut self, index: u32) {
        let c = &mut self.cases[index];
        if !c.custodial {
            return;
        }
        c.custodial = false;
        let (n, day) = (c.defendants as u32, c.release_day);
        self.stocks.release_early(n, day);
    }

    /// A new calendar year: judges' reversals on record start again from none.
    pub(crate) fn new_monitoring_year(&mut self) {
        for j in &mut self.agents.judges {
            j.reversals_year = 0;
        }
    }
}

/// Chance that a procurator appeals an acquittal, given the acquittal weight in force.
pub(crate) fn procurator_appeal_chance(base: f64, acquittal_weight: f64) -> f64 {
    // The base chance applies at the reference weight 1; the log-odds move with the weight.
    if base <= 0.0 {
        return 0.0;
    }
    logistic(logit(base) + (acquittal_weight - 1.0))
}
