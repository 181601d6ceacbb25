//! Private prosecution (libel, battery and similar): the victim files a complaint directly
//! with a court and no procurator takes part. Judges show no accusatorial bias here: they
//! reject or close most complaints (a withdrawn complaint closes the case), rarely reconcile
//! the parties, and acquit more often than they convict.

use super::appeal::Appellant;
use super::common::{REFERENCE_LOAD, budget_spent, pick_in_word};
use crate::engine::agents::VerdictKind;
use crate::engine::dist::{below_logistic, exp_days, logistic};
use crate::engine::draws::{CaseId, Source};
use crate::engine::{Case, Stage, Verdict, World, slot};
use crate::record::event::Queue;
use crate::record::recorder::counts_case;
use crate::record::trace::{CaseFacts, Decider, Decision, Role, Term, Tracer, case_details, case_facts};
use crate::record::{Event, Subject, Terminal};

/// The weakness of a complainant's proof at which `reject_logit`, `withdraw_logit` and
/// `acquit_logit` are the log-odds: a reference point, fixed because moving it only moves those
/// intercepts.
const PRIVATE_REFERENCE_WEAKNESS: f64 = 0.3;

impl<T: Tracer> World<'_, T> {
    pub(crate) fn file_private_complaint(&mut self, id: CaseId) {
        let draws = self.stream.case_draws(id);
        let s = self.s;
        let u = |k: usize| draws.u(0, k);
        let province = self.prep.province_cdf.pick_word(draws.word(0, slot::PROVINCE));
        // Under total registration the police register many would-be private complaints
        // (battery and the like) as public crimes; those are inside the registered-crime inflow.
        // A complaint names its accused, so registering it costs the clearance rate nothing:
        // they may do so early (`police_readiness` below 1). Registering what cannot be proven
        // does hurt, so they may take the best-proven complaints first and leave the weaker
        // ones to the private track: with selectivity 1 exactly the best-proven share
        // `registered` goes, with 0 a random one, and the share registered is the same.
        let b = &s.behaviour.private;
        let counted = counts_case(Source::PrivateComplaint, self.rules());
        let rank = u(slot::EVIDENCE);
        let compliance = self.provinces[province].compliance;
        let readiness = if b.police_readiness == 1.0 { compliance } else { compliance.powf(b.police_readiness) };
        let registered = readiness * b.police_registration;
        let best_proven = if rank >= 1.0 - registered { 1.0 } else { 0.0 };
        let divert = (1.0 - b.police_selectivity) * registered + b.police_selectivity * best_proven;
        if u(slot::PRIVATE_POLICE) < divert {
            let complaint = Subject {
                id,
                province: province as u16,
                episodes: 1,
                defendants: 0,
                counted,
                jobless: false,
                private: true,
            };
            self.record(&complaint, Event::Ended(Terminal::PrivateRegisteredByPolice));
            return;
        }
        let days = exp_days(b.days_mean, u(slot::TRIAL_DAYS));
        let case = Case {
            defendants: 1 + self.prep.private_extra_defendants.sample_word(draws.word(0, slot::DEFENDANTS)) as u8,
            // Fixed shares compare the word itself (`BelowUnit`: the same as `u(slot) < share`).
            first_offence: self.prep.first_offence.holds(draws.word(0, slot::FIRST_OFFENCE)),
            jobless: self.prep.jobless.holds(draws.word(0, slot::JOBLESS)),
            evidence: self.prep.evidence.sample(rank),
            judge: pick_in_word(&self.agents.judge_rosters[province], draws.word(0, slot::JUDGE)),
            ..Case::arriving(id, draws, Source::PrivateComplaint, province as u16, counted)
        };
        self.trace.facts(self.calendar.day, id, || CaseFacts {
            kind: None,
            details: Some(case_details(&case)),
            ..case_facts(&case)
        });
        let index = self.cases.insert(case);
        self.calendar.schedule(index, Stage::PrivateTrial, days);
    }

    pub(crate) fn private_trial(&mut self, index: u32) {
        let s = self.s;
        let b = &s.behaviour.private;
        // A copy: the stage reads the case while it updates the world.
        let c = self.cases[index].clone();
        let c = &c;
        let u = |k: usize| c.u(k);
        let subject = c.subject();
        let judge = c.judge as usize;
        let (ceiling, period_days) =
            (s.behaviour.trial.judge_capacity * s.behaviour.trial.judge_ceiling, s.behaviour.learning.period_days);
        if budget_spent(self.agents.judges[judge].trials_decided(), ceiling, period_days) {
            return self.postpone(index, Stage::PrivateTrial, Queue::PrivateTrial);
        }
        let weakness = 1.0 - c.evidence;
        // No procurator takes part: the judge's own caseload above her capacity, as far as she
        // is scored on it (her caseload weight), pushes her to be rid of complaints, by
        // rejecting, sending on or reconciling them.
        let ratio = self.agents.judges[judge].load / s.behaviour.trial.judge_capacity;
        let busy = self.incentives().trial_judge.caseload * (ratio - REFERENCE_LOAD);
        let judge_uid = self.agents.judges[judge].uid;
        let by = Decider { role: Role::Judge, uid: Some(judge_uid), province: c.province };
        let (w_caseload, day) = (self.incentives().trial_judge.caseload, self.calendar.day);
        // A retrial after appeal cannot reject the complaint again.
        if c.visits == 0 {
            let (load, proof) = (b.reject_load * busy, b.reject_weakness * (weakness - PRIVATE_REFERENCE_WEAKNESS));
            // Only the story computes the chance; the decision is screened (`below_logistic`).
            let x = b.reject_logit + load + proof;
            let chance = move || logistic(x);
            let draw = u(slot::PRIVATE_REJECT);
            self.trace.decision(day, c.id, move || {
                Decision::chance("private", "accept the complaint", by, &["reject", "hear"], chance(), draw).with_terms(
                    vec![
                        Term::part(0, "judges' leaning to reject a complaint", b.reject_logit),
                        Term::weighted(
                            0,
                            "her caseload (above her capacity)",
                            "trial_judge.caseload",
                            w_caseload,
                            load,
                        ),
                        Term::part(0, "the weakness of the complainant's proof", proof),
                    ],
                )
            });
            if below_logistic(draw, x) {
                return self.finish(index, Terminal::PrivateRejected);
            }
        }
        self.agents.judges[judge].decided += 1;
        self.cases[index].judge_uid = judge_uid;
        self.record(&subject, Event::PrivateHeard);
        // Some complaints the judge sends on rather than deciding (only at the first hearing).
        if c.visits == 0 {
            let load = b.transfer_load * busy;
            let x = b.transfer_logit + load;
            let chance = move || logistic(x);
            let draw = u(slot::PRIVATE_TRANSFER);
            self.trace.decision(day, c.id, move || {
                Decision::chance("private", "send on", by, &["send on", "decide"], chance(), draw).with_terms(vec![
                    Term::part(0, "judges' leaning to send a complaint on", b.transfer_logit),
                    Term::weighted(0, "her caseload (above her capacity)", "trial_judge.caseload", w_caseload, load),
                ])
            });
            if below_logistic(draw, x) {
                self.record(&subject, Event::PrivateTransferred);
                return self.finish(index, Terminal::PrivateTransferred);
            }
        }
        // A withdrawn complaint, like a reconciliation, closes the case on the parties' accord.
        // A complainant who cannot prove her case gives it up more readily, and so does one kept
        // waiting longer (the wait to this hearing, in mean waits beyond the mean).
        // `exp_days_word(b.days_mean, word)`, mostly from a table.
        let wait = self.prep.private_days.days(c.word(slot::TRIAL_DAYS)) as f64 / b.days_mean - 1.0;
        let (proof, waited) = (b.withdraw_weakness * (weakness - PRIVATE_REFERENCE_WEAKNESS), b.withdraw_wait * wait);
        let x = b.withdraw_logit + proof + waited;
        let chance = move || logistic(x);
        let draw = u(slot::PRIVATE_WITHDRAW);
        let complainant = Decider { role: Role::Complainant, uid: None, province: c.province };
        self.trace.decision(day, c.id, move || {
            Decision::chance("private", "withdraw", complainant, &["withdraw", "go on"], chance(), draw).with_terms(
                vec![
                    Term::part(0, "complainants' leaning to withdraw", b.withdraw_logit),
                    Term::part(0, "the weakness of her proof", proof),
                    Term::part(0, "the time she waited", waited),
                ],
            )
        });
        let withdrawn = below_logistic(draw, x);
        // Otherwise the parties may reconcile, the more readily the busier the judge who
        // encourages it (a closure is less work than a verdict).
        let reconciled = !withdrawn && {
            let load = b.reconcile_load * busy;
            let x = b.reconcile_logit + load;
            let chance = move || logistic(x);
            let draw = u(slot::PRIVATE_RECONCILE);
            self.trace.decision(day, c.id, move || {
                Decision::chance("private", "reconcile", complainant, &["reconcile", "go to a verdict"], chance(), draw)
                    .with_terms(vec![
                        Term::part(0, "the parties' leaning to reconcile", b.reconcile_logit),
                        Term::weighted(
                            0,
                            "the judge's encouragement (her caseload above her capacity)",
                            "trial_judge.caseload",
                            w_caseload,
                            load,
                        ),
                    ])
            });
            below_logistic(draw, x)
        };
        if withdrawn || reconciled {
            self.record(&subject, Event::PrivateClosed { withdrawn });
            return self.finish(index, Terminal::PrivateClosed);
        }
        // No procurator, no accusatorial bias: the judge weighs the complainant's proof, and her
        // independence makes her readier to acquit. Her career still counts: whichever verdict
        // she expects to be appealed and overturned more often costs her more.
        let independence = self.agents.judges[judge].independence;
        let career = self.career_costs(judge, false);
        let x = b.acquit_logit
            + b.acquit_weakness * (weakness - PRIVATE_REFERENCE_WEAKNESS)
            + independence
            + career.conviction
            - career.acquittal;
        let (chance, draw) = (move || logistic(x), u(slot::PRIVATE_ACQUIT));
        self.trace.decision(self.calendar.day, c.id, move || {
            Decision::chance("private", "verdict", by, &["acquit", "convict"], chance(), draw)
        });
        let verdict = if below_logistic(draw, x) { Verdict::Acquitted } else { Verdict::Convicted };
        self.agents.judges[judge].record.given(VerdictKind::of(false, verdict));
        if verdict == Verdict::Acquitted {
            self.record(&subject, Event::PrivateAcquitted);
            let chance = s.behaviour.appeal.private_appeal;
            self.appeal_or_end(index, Verdict::Acquitted, Appellant::Complainant, chance);
        } else {
            self.record(&subject, Event::PrivateConvicted);
            self.sentence(index);
        }
    }
}
