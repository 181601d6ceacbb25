//! The recorder: the one place where what happened to cases becomes counts. It decides which
//! events enter the published statistics at all, in which unit each counter counts (court
//! cases, registered cases (episodes), defendants), which province counters they feed, and it
//! counts every case's terminal state.

use super::event::{AppealOutcome, Event, Exit, Grounds, N_TERMINALS, Return, Subject, Terminal, Torture};
use super::{Counter, ProvinceCounter, Tally};
use crate::engine::Verdict;
use crate::scenario::DetentionApprover;

/// Counts of one run: the tally of the published counters and the cases by terminal state.
pub struct Recorder {
    tally: Tally,
    terminals: [u64; N_TERMINALS],
}

/// Whether an event about this case enters the statistics.
///
/// The published statistics count criminal cases; from 2015 criminal misdemeanours are a
/// category of their own that the series leave out (`Subject::counted` is false for them
/// then). A few events count whatever the case:
/// - complaints of torture: they are complaints against officials, not criminal cases, and are
///   counted whoever made them, a misdemeanour suspect too;
/// - a judge's dismissal: it is about the judge, whatever case brought the last reversal;
/// - leaving pre-trial detention: counted for misdemeanour detainees too, although their
///   entering detention is not (kept as it was; see `Event::LeftDetention`);
/// - a case's end: every case ends in exactly one terminal state, counted or not.
///
/// Private complaints always pass: a private prosecution is a criminal case, never a
/// misdemeanour (its `counted` is set at filing and never cleared).
#[inline]
fn enters_statistics(s: &Subject, event: Event) -> bool {
    match event {
        Event::TortureComplaint(_) | Event::JudgeDismissed | Event::LeftDetention(_) | Event::Ended(_) => true,
        _ => s.counted,
    }
}

impl Recorder {
    pub fn new(n_years: usize, n_provinces: usize) -> Recorder {
        Recorder { tally: Tally::new(n_years, n_provinces), terminals: [0; N_TERMINALS] }
    }

    /// Counts `event` about case `s` in year index `year`. Always inlined: at every call the
    /// event is a constant, so the match folds away and only its counter additions remain.
    #[inline(always)]
    pub fn record(&mut self, year: usize, s: &Subject, event: Event) {
        use Counter::*;
        if !enters_statistics(s, event) {
            return;
        }
        // Units: `n` defendants, `episodes` registered criminal cases, 1 a court case.
        let n = s.defendants as u64;
        let episodes = s.episodes as u64;
        let p = s.province as usize;
        let t = &mut self.tally;
        match event {
            Event::Registered => t.add(year, Registered, episodes),
            // Closed by the procurator on exonerating grounds, with no defendant to count.
            Event::ClosedBaseless => t.add(year, ClosedExonerating, episodes),
            Event::Cleared => t.add(year, Cleared, episodes),
            Event::HeldInCustody { within_48_hours } => {
                t.add(year, CustodyHeld, n);
                if within_48_hours {
                    t.add(year, CustodyShort, n);
                }
            }
            Event::ReleasedFromCustody => t.add(year, CustodyReleased, n),
            // One complaint, one case against officers, whatever the number of accused.
            Event::TortureComplaint(step) => {
                let c = match step {
                    Torture::Registered => TortureRegistered,
                    Torture::CaseOpened => TortureOpened,
                    Torture::CaseToCourt => TortureToCourt,
                    Torture::RaisedAtTrial => TortureTrialComplaints,
                };
                t.add(year, c, 1);
            }

            Event::DetentionRequested => t.add(year, DetentionRequests, n),
            Event::DetentionNotBacked => t.add(year, ProcuratorRefusals, n),
            Event::DetentionDecided { by, approved } => {
                match by {
                    DetentionApprover::Procurator => {
                        t.add(year, ProcuratorDecided, n);
                        if approved {
                            t.add(year, ProcuratorApproved, n);
                        }
                    }
                    DetentionApprover::Judge | DetentionApprover::InvestigativeJudge => {
                        t.add(year, JudgeDecided, n);
                        t.add_province(year, p, ProvinceCounter::DetentionDecided, n);
                        if approved {
                            t.add(year, JudgeApproved, n);
                            t.add_province(year, p, ProvinceCounter::DetentionApproved, n);
                        }
                    }
                }
                if approved {
                    t.add(year, Detained, n);
                }
            }
            Event::Bailed => t.add(year, BailReleases, n),
            Event::LeftDetention(exit) => {
                t.add(year, DetentionExits, n);
                if exit == Exit::Closure {
                    t.add(year, ReleasedOnClosure, n);
                }
            }

            Event::SentToCourt => {
                t.add(year, SentToCourt, episodes);
                t.add(year, DefendantsToCourt, n);
            }
            Event::ClosedPretrial(grounds) => {
                t.add(year, DefendantsClosed, n);
                match grounds {
                    Grounds::Reconciled => {
                        t.add(year, ClosedNonrehab, episodes);
                        t.add(year, ReconciledPretrial, episodes);
                    }
                    Grounds::Repentance => t.add(year, ClosedNonrehab, episodes),
                    Grounds::Exonerating => t.add(year, ClosedExonerating, episodes),
                }
            }

            // A public case decided at first instance is heard, whatever the decision; court
            // cases count once, whatever the number of accused.
            Event::ClosedAtTrial(grounds) => {
                heard(t, year, p, false);
                t.add(year, TrialClosed, 1);
                match grounds {
                    Grounds::Reconciled => {
                        t.add(year, TrialClosedReconciled, 1);
                        t.add_province(year, p, ProvinceCounter::ReconciledByJudges, 1);
                    }
                    Grounds::Repentance => t.add(year, TrialClosedOtherNonrehab, 1),
                    Grounds::Exonerating => {
                        t.add(year, TrialClosedExonerating, 1);
                        t.add_province(year, p, ProvinceCounter::AcquittedExoneratedPublic, n);
                    }
                }
            }
            Event::Returned(to) => {
                heard(t, year, p, false);
                let c = match to {
                    Return::Supplementary => ReturnedSupplementary,
                    Return::ToProcurator => ReturnedToProcurator,
                };
                t.add(year, c, 1);
            }
            // The sentence itself is counted with `Sentenced`.
            Event::Convicted { jury } => {
                heard(t, year, p, jury);
                t.add_province(year, p, ProvinceCounter::ConvictedPublic, n);
                if jury {
                    t.add(year, JuryConvicted, n);
                }
            }
            Event::Acquitted { jury } => {
                heard(t, year, p, jury);
                t.add(year, TrialAcquitted, n);
                t.add(year, TrialAcquittedPublic, n);
                t.add(year, AcquittedPublicCases, 1);
                // An acquittal is a sentence too (an acquitting one).
                t.add(year, TrialSentenceCases, 1);
                t.add_province(year, p, ProvinceCounter::AcquittedExoneratedPublic, n);
                if jury {
                    t.add(year, JuryAcquitted, n);
                }
            }
            Event::Sentenced { custodial } => {
                t.add(year, TrialSentenceCases, 1);
                t.add(year, TrialConvicted, n);
                t.add(year, SentencedDefendants, n);
                if custodial {
                    t.add(year, CustodialSentences, n);
                }
                if s.jobless {
                    t.add(year, ConvictedJobless, n);
                }
            }

            Event::PrivateHeard => t.add(year, PrivateCases, 1),
            Event::PrivateTransferred => t.add(year, PrivateTransferred, 1),
            // The trial series count private closures with the reconciliations at trial.
            Event::PrivateClosed => {
                t.add(year, PrivateClosed, 1);
                t.add(year, TrialClosed, 1);
                t.add(year, TrialClosedReconciled, 1);
            }
            Event::PrivateConvicted => {
                t.add(year, PrivateSentenceCases, 1);
                t.add(year, PrivateConvicted, n);
            }
            Event::PrivateAcquitted => {
                t.add(year, PrivateAcquitted, n);
                t.add(year, TrialAcquitted, n);
                // An acquittal is a sentence too (an acquitting one).
                t.add(year, PrivateSentenceCases, 1);
                t.add(year, TrialSentenceCases, 1);
            }

            // Persons reviewed are counted for public cases only; overturned acquittals for
            // private ones too.
            Event::AppealDecided { verdict, outcome } => {
                if !s.private {
                    t.add(year, AppealReviewedPublic, n);
                }
                match (verdict, outcome) {
                    (_, AppealOutcome::Upheld) => {}
                    (Verdict::Acquitted, _) => t.add(year, AcquittalsOverturned, n),
                    (Verdict::Convicted, outcome) => {
                        t.add(year, SentencesOverturned, 1);
                        if outcome == AppealOutcome::Acquitted {
                            t.add(year, AcquittedByHigherCourts, n);
                        }
                    }
                }
            }
            Event::JudgeDismissed => t.add(year, JudgesDismissed, 1),

            Event::Ended(how) => self.terminals[how as usize] += 1,
        }
    }

    /// Cases still in flight when the run ends.
    pub fn pending(&mut self, cases: u64) {
        self.terminals[Terminal::Pending as usize] += cases;
    }

    /// The stocks at the end of year index `year`: sentenced prisoners and pre-trial
    /// detainees (never negative: the conservation tests check it; clamp only the cast).
    pub fn year_end_stocks(&mut self, year: usize, prisoners: i64, pretrial: i64) {
        self.tally.set(year, Counter::PrisonPopulation, (prisoners + pretrial).max(0) as u64);
        self.tally.set(year, Counter::PretrialDetainees, pretrial.max(0) as u64);
    }

    /// What the run counted.
    pub fn finish(self) -> (Tally, [u64; N_TERMINALS]) {
        (self.tally, self.terminals)
    }
}

/// A public case heard at first instance, by a jury or not.
#[inline]
fn heard(t: &mut Tally, year: usize, p: usize, jury: bool) {
    t.add(year, Counter::CourtHeard, 1);
    t.add_province(year, p, ProvinceCounter::CasesHeard, 1);
    if jury {
        t.add(year, Counter::JuryCases, 1);
    }
}
