//! The procurator's review of a completed investigation: send the case to court, close it on
//! non-rehabilitative grounds (reconciliation, active repentance), or close it on exonerating
//! grounds. The choice weighs the indicators in force: convictions, the expected acquittal
//! (a failure), closures counted with convictions from 2012, exonerating closures rewarded
//! from 2013, campaigns on particular crimes. Between periods procurators learn what share of
//! the defendants they send to court is acquitted.

use super::common::REFERENCE_WEAKNESS;
use super::common::{budget_spent, learn};
use super::law::{reconciliation_eligibility, repentance_eligible};
use crate::engine::agents::TrialRecord;
use crate::engine::dist::choose;
use crate::engine::{Stage, World, slot};
use crate::record::event::{Exit, Grounds, Queue};
use crate::record::trace::{Decider, Decision, Role, Term, Tracer};
use crate::record::{Event, Terminal};
use crate::scenario::Eligibility;

/// The procurator's options at review, in the order of their utilities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Review {
    Send,
    Close(Closure),
}

impl Review {
    const OPTIONS: [Review; 3] =
        [Review::Send, Review::Close(Closure::NonRehabilitative), Review::Close(Closure::Exonerating)];
    const NAMES: &[&str] = &["send to court", "close on non-rehabilitative grounds", "close on exonerating grounds"];
    /// The option the law imposes once the parties reconciled where release is mandatory.
    const MANDATORY_RELEASE: usize = 1;
}

const _: () = assert!(matches!(Review::OPTIONS[Review::MANDATORY_RELEASE], Review::Close(Closure::NonRehabilitative)));

/// How a case is closed before trial.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Closure {
    /// Reconciliation or active repentance.
    NonRehabilitative,
    Exonerating,
    /// The procurator drops a case that keeps coming back.
    Abandoned,
}

/// Returns after which the procurator gives up on a case rather than review it again.
const MAX_VISITS: u8 = 3;

impl<T: Tracer> World<'_, T> {
    pub(crate) fn procurator_review(&mut self, index: u32) {
        let s = self.s;
        let b = &s.behaviour.procurator;
        let rules = self.rules();
        let inc = &self.incentives().procurator;
        // The procurator's budget first: a case that waits costs nothing more.
        let reviewed = &mut self.agents.procurators[self.cases[index].procurator as usize].reviewed;
        if budget_spent(*reviewed, b.review_ceiling, s.behaviour.learning.period_days) {
            return self.postpone(index, Stage::ProcuratorReview, Queue::Review);
        }
        *reviewed += 1;
        // A copy: the stage reads the case while it updates the world.
        let c = self.cases[index].clone();
        let c = &c;
        let u = |k: usize| c.u(k);
        let proc = &self.agents.procurators[c.procurator as usize];

        if c.visits >= MAX_VISITS {
            return self.close_before_trial(index, Closure::Abandoned);
        }

        // Expected acquittal chance of this case if sent: the procurator's belief about an
        // average case (of weakness REFERENCE_WEAKNESS), in proportion to this case's weakness.
        let weakness = 1.0 - c.evidence;
        let p_acquit = (proc.acquittal_belief * weakness / REFERENCE_WEAKNESS).min(1.0);
        // How strongly procurators respond to their indicators (a behavioural constant).
        let k = b.indicator_sensitivity;
        let zeal = proc.zeal;
        let send = k * (inc.convictions * (1.0 - p_acquit) - inc.acquittals * p_acquit) + zeal;
        let reconciliation_shift = self.provinces[c.province as usize].reconciliation_shift;

        let eligible = reconciliation_eligibility(s, rules, c);
        let nonrehab_grounds = c.reconciled_pretrial || repentance_eligible(s, rules, c);
        let nonrehab = if !nonrehab_grounds {
            f64::NEG_INFINITY
        } else if c.reconciled_pretrial && eligible == Eligibility::Mandatory {
            // The law obliges release once the parties have reconciled.
            f64::INFINITY
        } else {
            b.close_nonrehab_constant + k * inc.nonrehab_closures + reconciliation_shift
        };
        // Exonerating grounds need weak proof, whatever the indicators reward; a campaign on
        // the case's kind may reach further (an instruction from above is the justification).
        let (under_campaign, campaign) = self
            .campaigns_today(c.kind as usize)
            .fold((false, 0.0), |(_, bonus), cp| (true, bonus + cp.procurator_exonerate));
        let ceiling = if under_campaign {
            b.exonerating_evidence_max.max(b.campaign_evidence_max)
        } else {
            b.exonerating_evidence_max
        };
        let exonerate = if c.evidence < ceiling {
            b.close_exonerating_constant
                + k * inc.exonerating_closures
                + b.exonerating_weakness_factor * b.evidence_weight * weakness
                + campaign
        } else {
            f64::NEG_INFINITY
        };

        let utilities = [send, nonrehab, exonerate];
        let forced = nonrehab == f64::INFINITY;
        let draw = u(slot::PROCURATOR_DECIDE);
        let choice = if forced { Review::MANDATORY_RELEASE } else { choose(&utilities, draw) };
        let by = Decider { role: Role::Procurator, uid: Some(proc.uid), province: c.province };
        self.trace.decision(self.calendar.day, c.id, move || match forced {
            true => Decision::forced("procurator", "review", by, Review::NAMES, choice),
            false => {
                let mut terms = vec![
                    Term::weighted(
                        0,
                        "the conviction he expects",
                        "procurator.convictions",
                        inc.convictions,
                        k * inc.convictions * (1.0 - p_acquit),
                    ),
                    Term::weighted(
                        0,
                        "the acquittal he fears",
                        "procurator.acquittals",
                        inc.acquittals,
                        -k * inc.acquittals * p_acquit,
                    ),
                    Term::part(0, "his zeal", zeal),
                ];
                if nonrehab.is_finite() {
                    terms.push(Term::part(
                        1,
                        "closing on non-rehabilitative grounds, as such",
                        b.close_nonrehab_constant,
                    ));
                    terms.push(Term::weighted(
                        1,
                        "closures counted as results",
                        "procurator.nonrehab_closures",
                        inc.nonrehab_closures,
                        k * inc.nonrehab_closures,
                    ));
                    terms.push(Term::part(1, "the province's leaning", reconciliation_shift));
                }
                if exonerate.is_finite() {
                    terms.push(Term::part(2, "closing on exonerating grounds, as such", b.close_exonerating_constant));
                    terms.push(Term::weighted(
                        2,
                        "exonerating closures rewarded or penalised",
                        "procurator.exonerating_closures",
                        inc.exonerating_closures,
                        k * inc.exonerating_closures,
                    ));
                    terms.push(Term::part(
                        2,
                        "the weakness of the evidence",
                        b.exonerating_weakness_factor * b.evidence_weight * weakness,
                    ));
                    if campaign != 0.0 {
                        terms.push(Term::weighted(
                            2,
                            "a campaign on this kind of crime",
                            "campaign.procurator_exonerate",
                            campaign,
                            campaign,
                        ));
                    }
                }
                Decision::logit("procurator", "review", by, Review::NAMES, &utilities, draw, choice).with_terms(terms)
            }
        });
        match Review::OPTIONS[choice] {
            Review::Send => {
                // The accused, reading the case file, may ask for a jury now.
                if s.behaviour.trial.jury_request_when_sent {
                    let asks = self.asks_for_jury(c);
                    self.cases[index].jury_requested = asks;
                }
                // `exp_days_word(b.days_mean + trial.days_mean, word)`, mostly from a table.
                let days = self.prep.days_to_court.days(c.word(slot::PROCURATOR_DAYS));
                self.defence_demand.sent_this_year += c.defendants as f64;
                self.record(&c.subject(), Event::SentToCourt);
                self.calendar.schedule(index, Stage::Trial, days);
            }
            Review::Close(how) => self.close_before_trial(index, how),
        }
    }

    /// Closes a case before trial.
    fn close_before_trial(&mut self, index: u32, how: Closure) {
        let c = &self.cases[index];
        let subject = c.subject();
        // Non-rehabilitative grounds are the parties' reconciliation where they reconciled,
        // active repentance otherwise.
        let (grounds, terminal) = match how {
            Closure::NonRehabilitative if c.reconciled_pretrial => {
                (Some(Grounds::Reconciled), Terminal::ClosedNonrehabPretrial)
            }
            Closure::NonRehabilitative => (Some(Grounds::Repentance), Terminal::ClosedNonrehabPretrial),
            Closure::Exonerating => (Some(Grounds::Exonerating), Terminal::ClosedExoneratingPretrial),
            Closure::Abandoned => (None, Terminal::DroppedAfterReturn),
        };
        if let Some(grounds) = grounds {
            self.record(&subject, Event::ClosedPretrial(grounds));
        }
        self.leave_detention(index, Exit::Closure);
        self.finish(index, terminal);
    }

    /// Between periods: procurators' belief about the acquittal chance of an average case
    /// moves towards what became of the defendants they sent to court, blended with their
    /// province colleagues' experience; their budget of reviews renews.
    pub(crate) fn learn_acquittal_beliefs(&mut self) {
        let l = &self.s.behaviour.learning;
        let rate = l.rate;
        let mut pool = vec![TrialRecord::default(); self.s.provinces.len()];
        for p in &self.agents.procurators {
            pool[p.province as usize].add(&p.trials);
        }
        for p in &mut self.agents.procurators {
            let (own, peers) = (p.trials, pool[p.province as usize]);
            p.acquittal_belief =
                learn(p.acquittal_belief, own.tried, own.acquitted, peers.tried, peers.acquitted, rate, l.peer_weight);
            p.trials = TrialRecord::default();
            p.reviewed = 0;
        }
    }
}
