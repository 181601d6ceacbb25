//! Private prosecution (libel, battery and similar): the victim files a complaint directly
//! with a court and no procurator takes part. Judges show no accusatorial bias here: they
//! reject or close most complaints (a withdrawn complaint closes the case), rarely reconcile
//! the parties, and acquit more often than they convict.

use super::pick_in;
use crate::engine::dist::{exp_days, logistic, poisson};
use crate::engine::draws::{CASE_WORDS, CaseId, Source, unit};
use crate::engine::{Case, Stage, Terminal, Verdict, World, slot};
use crate::record::Counter;
use crate::scenario::Gravity;

impl World<'_> {
    pub(crate) fn file_private_complaint(&mut self, id: CaseId) {
        let mut w = [0u32; CASE_WORDS];
        self.stream.case_words(id, &mut w);
        let s = self.s;
        let u = |k: usize| unit(w[k]);
        let province = super::pick_cdf(&self.prep.province_cdf, u(slot::PROVINCE));
        // Under total registration the police register many would-be private complaints
        // (battery and the like) as public crimes; those are inside the registered-crime inflow.
        let divert = self.compliance[province] * s.behaviour.private.police_registration;
        if u(slot::PRIVATE_POLICE) < divert {
            self.terminals[Terminal::PrivateRegisteredByPolice as usize] += 1;
            return;
        }
        let days = exp_days(s.behaviour.private.days_mean, u(slot::TRIAL_DAYS));
        let case = Case {
            id,
            w,
            source: Source::PrivateComplaint,
            province: province as u16,
            kind: 0,
            gravity: Gravity::Minor,
            episodes: 1,
            defendants: 1 + poisson(s.crime.private_extra_defendants_mean, u(slot::DEFENDANTS)) as u8,
            juvenile: false,
            first_offence: u(slot::FIRST_OFFENCE) < s.crime.first_offence_share,
            jobless: u(slot::JOBLESS) < s.crime.jobless_share,
            dangerous: false,
            death: false,
            counted: true,
            means: 0.0,
            demand: 0.0,
            evidence: self.prep.evidence.sample(u(slot::EVIDENCE)),
            investigator: 0,
            procurator: 0,
            judge: pick_in(self.agents.judge_ranges[province], u(slot::JUDGE)),
            coerced: false,
            detained: false,
            reconciled_pretrial: false,
            verdict: Verdict::Convicted,
            visits: 0,
            judge_uid: 0,
            custodial: false,
            release_day: 0,
        };
        let index = self.insert(case);
        self.schedule(index, Stage::PrivateTrial, days);
    }

    pub(crate) fn private_trial(&mut self, index: u32) {
        let s = self.s;
        let b = &s.behaviour.private;
        // A copy: the stage reads the case while it updates the world.
        let c = self.cases[index as usize].clone();
        let c = &c;
        let u = |k: usize| unit(c.w[k]);
        let n = c.defendants as u64;
        let judge = c.judge as usize;
        // A retrial after appeal cannot reject the complaint again.
        if c.visits == 0 && u(slot::PRIVATE_REJECT) < b.reject {
            return self.finish(index, Terminal::PrivateRejected);
        }
        self.agents.judges[judge].decided += 1;
        let judge_uid = self.agents.judges[judge].uid;
        self.cases[index as usize].judge_uid = judge_uid;
        self.count(Counter::PrivateCases, 1);
        // Some complaints the judge sends on rather than deciding (only at the first hearing).
        if c.visits == 0 && u(slot::PRIVATE_TRANSFER) < b.transfer {
            self.count(Counter::PrivateTransferred, 1);
            return self.finish(index, Terminal::PrivateTransferred);
        }
        // A withdrawn complaint, like a reconciliation, closes the case on the parties' accord.
        if u(slot::PRIVATE_WITHDRAW) < b.withdraw || u(slot::PRIVATE_RECONCILE) < b.reconcile {
            self.count(Counter::PrivateClosed, 1);
            self.count(Counter::TrialClosed, 1);
            self.count(Counter::TrialClosedReconciled, 1);
            return self.finish(index, Terminal::PrivateClosed);
        }
        // No procurator, no accusatorial bias: the judge weighs the complainant's proof, and her
        // independence makes her readier to acquit.
        let independence = self.agents.judges[judge].independence;
        let weakness = 1.0 - c.evidence;
        let x = b.acquit_logit + 2.0 * (weakness - 0.3) + independence;
        if u(slot::PRIVATE_ACQUIT) < logistic(x) {
            self.count(Counter::PrivateAcquitted, n);
            self.count(Counter::TrialAcquitted, n);
            // An acquittal is a sentence too (an acquitting one).
            self.count(Counter::PrivateSentenceCases, 1);
            self.count(Counter::TrialSentenceCases, 1);
            let ab = &s.behaviour.appeal;
            let c = &mut self.cases[index as usize];
            if unit(c.w[slot::APPEAL_FILE]) < ab.private_appeal {
                c.verdict = Verdict::Acquitted;
                let days = exp_days(ab.days_mean, unit(c.w[slot::APPEAL_DAYS]));
                self.schedule(index, Stage::Appeal, days);
            } else {
                self.finish(index, Terminal::Acquitted);
            }
        } else {
            self.count(Counter::PrivateSentenceCases, 1);
            self.count(Counter::PrivateConvicted, n);
            self.sentence(index);
        }
    }
}
