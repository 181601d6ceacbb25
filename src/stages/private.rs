//! Private prosecution (libel, battery and similar): the victim files a complaint directly
//! with a court and no procurator takes part. Judges show no accusatorial bias here: they
//! reject or close most complaints (a withdrawn complaint closes the case), rarely reconcile
//! the parties, and acquit more often than they convict.

use super::appeal::Appellant;
use super::common::{pick_cdf, pick_in};
use crate::engine::agents::VerdictKind;
use crate::engine::dist::{exp_days, logistic, logit};
use crate::engine::draws::{CaseId, Source};
use crate::engine::{Case, Stage, Verdict, World, slot};
use crate::record::recorder::counts_case;
use crate::record::trace::{CaseFacts, Decider, Decision, Role, Tracer, case_details, case_facts};
use crate::record::{Event, Subject, Terminal};

/// The weakness of a complainant's proof at which `withdraw` and `acquit_logit` are the chance
/// and the log-odds: a reference point, fixed because moving it only moves those intercepts.
const PRIVATE_REFERENCE_WEAKNESS: f64 = 0.3;

impl<T: Tracer> World<'_, T> {
    pub(crate) fn file_private_complaint(&mut self, id: CaseId) {
        let draws = self.stream.case_draws(id);
        let s = self.s;
        let u = |k: usize| draws.u(0, k);
        let province = pick_cdf(&self.prep.province_cdf, u(slot::PROVINCE));
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
            defendants: 1 + self.prep.private_extra_defendants.sample(u(slot::DEFENDANTS)) as u8,
            first_offence: u(slot::FIRST_OFFENCE) < s.crime.first_offence_share,
            jobless: u(slot::JOBLESS) < s.crime.jobless_share,
            evidence: self.prep.evidence.sample(rank),
            judge: pick_in(&self.agents.judge_rosters[province], u(slot::JUDGE)),
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
        // A retrial after appeal cannot reject the complaint again.
        if c.visits == 0 && u(slot::PRIVATE_REJECT) < b.reject {
            return self.finish(index, Terminal::PrivateRejected);
        }
        self.agents.judges[judge].decided += 1;
        let judge_uid = self.agents.judges[judge].uid;
        self.cases[index].judge_uid = judge_uid;
        self.record(&subject, Event::PrivateHeard);
        // Some complaints the judge sends on rather than deciding (only at the first hearing).
        if c.visits == 0 && u(slot::PRIVATE_TRANSFER) < b.transfer {
            self.record(&subject, Event::PrivateTransferred);
            return self.finish(index, Terminal::PrivateTransferred);
        }
        // A withdrawn complaint, like a reconciliation, closes the case on the parties' accord.
        // A complainant who cannot prove her case gives it up more readily.
        let weakness = 1.0 - c.evidence;
        let withdraw = if b.withdraw_weakness == 0.0 {
            b.withdraw
        } else {
            logistic(logit(b.withdraw) + b.withdraw_weakness * (weakness - PRIVATE_REFERENCE_WEAKNESS))
        };
        let withdrawn = u(slot::PRIVATE_WITHDRAW) < withdraw;
        if withdrawn || u(slot::PRIVATE_RECONCILE) < b.reconcile {
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
        let (chance, draw) = (logistic(x), u(slot::PRIVATE_ACQUIT));
        let by = Decider { role: Role::Judge, uid: Some(judge_uid), province: c.province };
        self.trace.decision(self.calendar.day, c.id, move || {
            Decision::chance("private", "verdict", by, &["acquit", "convict"], chance, draw)
        });
        let verdict = if draw < chance { Verdict::Acquitted } else { Verdict::Convicted };
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
