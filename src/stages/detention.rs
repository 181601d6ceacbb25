//! Pre-trial detention. Before 30 Aug 2008 the procurator approves an investigator's request;
//! afterwards the procurator decides whether to back it and a judge (from 2015 an
//! investigative judge) approves or denies. The prison-population target pushes procurators
//! to back fewer requests; a judge who releases an accused who then absconds is disciplined,
//! so judges approve almost everything they see. Where the law allows, a denial may come with
//! bail or house arrest instead. The detainee leaves when the case is closed or decided.

use super::common::{REFERENCE_GRAVITY, gravity_scale, pick_in_word};
use crate::engine::dist::{at_least_logistic, below_logistic, logistic};
use crate::engine::{Case, World, slot};
use crate::record::Event;
use crate::record::event::Exit;
use crate::record::trace::{Decider, Decision, Role, Term, Tracer};
use crate::scenario::DetentionApprover;

impl<T: Tracer> World<'_, T> {
    /// Decides an investigator's detention request for `case` (not yet stored).
    pub(crate) fn decide_detention(&mut self, case: &mut Case) {
        let s = self.s;
        let b = &s.behaviour.detention;
        let rules = self.rules();
        let inc = self.incentives();
        let u = |k: usize| case.u(k);
        let n = case.defendants as u64;
        let p = case.province as usize;
        let shift = self.provinces[p].detention_shift;
        let subject = case.subject();
        self.record(&subject, Event::DetentionRequested);
        let procurator = &self.agents.procurators[case.procurator as usize];
        let zeal = procurator.zeal;
        let procurator = Decider { role: Role::Procurator, uid: Some(procurator.uid), province: p as u16 };
        let by = rules.detention_approver;
        // Where the code makes detention mandatory, no target overrides it: the procurator
        // must back the request and the judge approve it.
        // As `u(slot) < share`, compared as a count of words (`BelowUnit`).
        let mandatory =
            self.rule_words().mandatory_detention[case.gravity.index()].holds(case.word(slot::DETENTION_MANDATORY));
        const OPTIONS: &[&str; 2] = &["detain", "release"];
        // Who denies, if the request fails: the procurator, or the judge who heard it.
        let mut denier = procurator;
        let approved = match by {
            DetentionApprover::Procurator => {
                let pressure = self.prison_pressure();
                let x = b.procurator_approve_logit - pressure + zeal + shift;
                let draw = u(slot::DETENTION_DECIDE);
                self.trace.decision(self.calendar.day, case.id, move || {
                    Decision::chance("detention", "approve", procurator, OPTIONS, logistic(x), draw).with_terms(
                        procurator_terms(
                            ("procurators' leaning to approve", b.procurator_approve_logit),
                            inc.procurator.prison_target,
                            pressure,
                            zeal,
                            shift,
                        ),
                    )
                });
                let ok = below_logistic(draw, x);
                self.record(&subject, Event::DetentionDecided { by, approved: ok });
                ok
            }
            DetentionApprover::Judge | DetentionApprover::InvestigativeJudge => {
                let pb = &s.behaviour.procurator;
                let pressure = pb.back_detention_target_response * self.prison_pressure();
                let back = pb.back_detention_logit - pressure + zeal + shift;
                let draw = u(slot::DETENTION_BACK);
                self.trace.decision(self.calendar.day, case.id, move || {
                    Decision::chance(
                        "detention",
                        "back the request",
                        procurator,
                        &["back", "refuse"],
                        logistic(back),
                        draw,
                    )
                    .with_terms(procurator_terms(
                        ("procurators' leaning to back a request", pb.back_detention_logit),
                        inc.procurator.prison_target,
                        pressure,
                        zeal,
                        shift,
                    ))
                });
                if !mandatory && at_least_logistic(draw, back) {
                    self.record(&subject, Event::DetentionNotBacked);
                    false
                } else {
                    // The judge weighs the risk that a released accused absconds (greater the
                    // graver the charge, from 0 for a minor charge to 1 for an especially grave
                    // one, so `trial_judge.abscond_risk` is its weight at the gravest) against
                    // nothing much: releases are not rewarded.
                    let gravity_risk = gravity_scale(case.gravity);
                    let x = b.judge_approve_logit + inc.trial_judge.abscond_risk * gravity_risk + shift;
                    let draw = u(slot::DETENTION_DECIDE);
                    let ok = mandatory || below_logistic(draw, x);
                    // The judge who heard it counts it in her workload; a detention hearing
                    // cannot wait (the law limits custody), so it is heard whatever her budget.
                    let j = pick_in_word(&self.agents.judge_rosters[p], case.word(slot::DETENTION_JUDGE));
                    let judge = &mut self.agents.judges[j as usize];
                    judge.decided += 1;
                    judge.detention_hearings += 1;
                    let judge = Decider { role: Role::DetentionJudge, uid: Some(judge.uid), province: p as u16 };
                    denier = judge;
                    self.trace.decision(self.calendar.day, case.id, move || match mandatory {
                        true => Decision::forced("detention", "approve", judge, OPTIONS, 0),
                        false => Decision::chance("detention", "approve", judge, OPTIONS, logistic(x), draw)
                            .with_terms(vec![
                                Term::part(0, "judges' leaning to approve", b.judge_approve_logit),
                                Term::weighted(
                                    0,
                                    "the risk that a released accused absconds",
                                    "trial_judge.abscond_risk",
                                    inc.trial_judge.abscond_risk,
                                    inc.trial_judge.abscond_risk * gravity_risk,
                                ),
                                Term::part(0, "the province's leaning", shift),
                            ]),
                    });
                    self.record(&subject, Event::DetentionDecided { by, approved: ok });
                    ok
                }
            }
        };
        if approved {
            case.detained = true;
            self.stocks.pretrial += n as i64;
        } else if rules.restraint_alternatives {
            // Whoever denied may impose bail or house arrest instead of plain release, the more
            // readily the likelier the accused is to abscond.
            let risk = inc.trial_judge.abscond_risk * (gravity_scale(case.gravity) - REFERENCE_GRAVITY);
            let flight = b.alternative_flight_response * risk;
            let chance = logistic(b.alternative_logit + flight);
            let draw = u(slot::DETENTION_ALTERNATIVE);
            self.trace.decision(self.calendar.day, case.id, move || {
                Decision::chance(
                    "detention",
                    "restrain otherwise",
                    denier,
                    &["bail or house arrest", "release"],
                    chance,
                    draw,
                )
                .with_terms(vec![
                    Term::part(0, "the leaning to an alternative restraint", b.alternative_logit),
                    Term::weighted(
                        0,
                        "the risk that the accused absconds (from the middle of the gravity scale)",
                        "trial_judge.abscond_risk",
                        inc.trial_judge.abscond_risk,
                        flight,
                    ),
                ])
            });
            if draw < chance {
                self.record(&subject, Event::Bailed);
            }
        }
    }

    /// Moves a detainee out of pre-trial detention (nothing if the accused is not detained).
    #[inline]
    pub(crate) fn leave_detention(&mut self, case: u32, why: Exit) {
        let c = &mut self.cases[case];
        if !c.detained {
            return;
        }
        c.detained = false;
        self.stocks.pretrial -= c.defendants as i64;
        let subject = c.subject();
        self.record(&subject, Event::LeftDetention(why));
    }
}

/// The terms of a procurator's detention choice (approving, or backing a request before a
/// judge), for the story: his leaning, the prison-population target's pressure now (under the
/// weight `prison_target`), his zeal and the province's leaning.
fn procurator_terms(
    leaning: (&'static str, f64),
    prison_target: f64,
    pressure: f64,
    zeal: f64,
    shift: f64,
) -> Vec<Term> {
    vec![
        Term::part(0, leaning.0, leaning.1),
        Term::weighted(
            0,
            "the prison-population target (its pressure now)",
            "procurator.prison_target",
            prison_target,
            -pressure,
        ),
        Term::part(0, "his zeal", zeal),
        Term::part(0, "the province's leaning", shift),
    ]
}
