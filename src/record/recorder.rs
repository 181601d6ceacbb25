//! The recorder: the one place where what happened to cases becomes counts. It decides which
//! events enter the published statistics at all, in which unit each counter counts (court
//! cases, registered cases (episodes), defendants), which province counters they feed, and it
//! counts every case's terminal state.

use super::event::{AppealOutcome, Event, Exit, Grounds, N_TERMINALS, Queue, Return, Subject, Terminal, Torture};
use super::{Counter, N_COUNTERS, ProvinceCounter, Tally};
use crate::engine::Verdict;
use crate::engine::draws::Source;
use crate::scenario::{DetentionApprover, Rules};

/// Counts of one run: the tally of the published counters and the cases by terminal state.
pub struct Recorder {
    tally: Tally,
    terminals: [u64; N_TERMINALS],
    /// The national counts of year index `open_year` not yet added to the tally: an event
    /// adds to this row at a fixed place (its counter is a constant at every call), where an
    /// addition to the tally looked the year's row up, bounds check and all, for each counter
    /// (some 8 additions a case). Added to the tally when another year is opened (`turn_to`)
    /// and at `finish`; sums of whole numbers, so the same counts in any order.
    open_year: usize,
    open: [u64; N_COUNTERS],
}

/// Where `Recorder::record` counts: the open year's national row and the tally's provinces.
struct Counts<'a> {
    national: &'a mut [u64; N_COUNTERS],
    tally: &'a mut Tally,
}

impl Counts<'_> {
    /// `Tally::add` for the open year (`_year`, the same).
    #[inline(always)]
    fn add(&mut self, _year: usize, c: Counter, n: u64) {
        self.national[c as usize] += n;
    }

    #[inline(always)]
    fn add_province(&mut self, year: usize, province: usize, c: ProvinceCounter, n: u64) {
        self.tally.add_province(year, province, c, n);
    }
}

/// Whether the statistics count a case from `source` registered under `rules` (its
/// `Subject::counted`, fixed at registration): crimes, public or private, always; criminal
/// misdemeanours only while the rules count them with crimes (before 2015).
pub fn counts_case(source: Source, rules: &Rules) -> bool {
    match source {
        Source::PublicCrime | Source::PrivateComplaint => true,
        Source::Misdemeanour => rules.count_misdemeanours,
    }
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
/// misdemeanour (`counts_case`).
#[inline]
fn enters_statistics(s: &Subject, event: Event) -> bool {
    match event {
        Event::TortureComplaint(_) | Event::JudgeDismissed | Event::LeftDetention(_) | Event::Ended(_) => true,
        _ => s.counted,
    }
}

impl Recorder {
    pub fn new(n_years: usize, n_provinces: usize) -> Recorder {
        Recorder {
            tally: Tally::new(n_years, n_provinces),
            terminals: [0; N_TERMINALS],
            open_year: 0,
            open: [0; N_COUNTERS],
        }
    }

    /// Adds the open year's counts to the tally (a year outside it is dropped, as
    /// `Tally::add` drops it) and opens `year`.
    #[cold]
    #[inline(never)]
    fn open(&mut self, year: usize) {
        self.tally.add_row(self.open_year, &std::mem::replace(&mut self.open, [0; N_COUNTERS]));
        self.open_year = year;
    }

    /// Counts `event` about case `s` in year index `year`.
    #[inline(always)]
    pub fn record(&mut self, year: usize, s: &Subject, event: Event) {
        self.turn_to(year);
        self.record_in_open_year(s, event);
    }

    /// Makes `year` the open year (`record_in_open_year` counts in it). The run turns to the
    /// year of each day as the day begins (`World::run`), so that an event need not compare
    /// its year with the open one (two loads, a comparison and a branch, some 12 M events a
    /// national run). Opening a year before its first event rather than at it adds the same
    /// row to the tally: the open row is only ever added to, and nothing reads the tally
    /// before `finish` (`year_end_stocks` sets counters no event adds to).
    #[inline]
    pub fn turn_to(&mut self, year: usize) {
        if year != self.open_year {
            self.open(year);
        }
    }

    /// `record(year, s, event)` for the open year (`turn_to`). Always inlined: at every call
    /// the event is a constant, so the match folds away and only its counter additions remain.
    #[inline(always)]
    pub fn record_in_open_year(&mut self, s: &Subject, event: Event) {
        use Counter::*;
        if !enters_statistics(s, event) {
            return;
        }
        // Units: `n` defendants, `episodes` registered criminal cases, 1 a court case.
        let n = s.defendants as u64;
        let episodes = s.episodes as u64;
        let p = s.province as usize;
        let year = self.open_year;
        let t = &mut Counts { national: &mut self.open, tally: &mut self.tally };
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
                        t.add_province(year, p, ProvinceCounter::DetentionDecidedCases, 1);
                        if approved {
                            t.add(year, JudgeApproved, n);
                            t.add_province(year, p, ProvinceCounter::DetentionApproved, n);
                        } else {
                            t.add_province(year, p, ProvinceCounter::DetentionRefusedCases, 1);
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
                        t.add_province(year, p, ProvinceCounter::ReconciledPretrial, 1);
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
                        t.add_province(year, p, ProvinceCounter::AcquittedExoneratedPublicCases, 1);
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
                t.add_province(year, p, ProvinceCounter::ConvictedPublicCases, 1);
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
                t.add_province(year, p, ProvinceCounter::AcquittedExoneratedPublicCases, 1);
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
            // The trial series count private reconciliations with the reconciliations at trial;
            // a withdrawn complaint is a closure but no reconciliation.
            Event::PrivateClosed { withdrawn } => {
                t.add(year, PrivateClosed, 1);
                t.add(year, TrialClosed, 1);
                if withdrawn {
                    t.add(year, PrivateWithdrawn, 1);
                } else {
                    t.add(year, TrialClosedReconciled, 1);
                }
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
                t.add(year, AppealsDecided, 1);
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
            Event::Postponed(Queue::Review) => t.add(year, ReviewsPostponed, 1),
            Event::Postponed(Queue::Trial | Queue::PrivateTrial) => t.add(year, HearingsPostponed, 1),
            Event::Postponed(Queue::Appeal) => t.add(year, AppealsPostponed, 1),

            Event::Ended(how) => self.terminals[how as usize] += 1,
        }
    }

    /// Cases still in flight when the run ends.
    pub fn pending(&mut self, cases: u64) {
        self.terminals[Terminal::Pending as usize] += cases;
    }

    /// Prisoners an amnesty freed today, counted in the open year (`turn_to`).
    pub fn amnestied(&mut self, n: u64) {
        self.open[Counter::AmnestyReleased as usize] += n;
    }

    /// Prisoners paroled today, counted in the open year (`turn_to`).
    pub fn paroled(&mut self, n: u64) {
        self.open[Counter::Paroled as usize] += n;
    }

    /// The stocks at the end of year index `year`: sentenced prisoners and pre-trial
    /// detainees (never negative: the conservation tests check it; clamp only the cast).
    pub fn year_end_stocks(&mut self, year: usize, prisoners: i64, pretrial: i64) {
        self.tally.set(year, Counter::PrisonPopulation, (prisoners + pretrial).max(0) as u64);
        self.tally.set(year, Counter::PretrialDetainees, pretrial.max(0) as u64);
    }

    /// The year `record_in_open_year` counts in.
    pub fn open_year(&self) -> usize {
        self.open_year
    }

    /// What the run counted.
    pub fn finish(mut self) -> (Tally, [u64; N_TERMINALS]) {
        let year = self.open_year;
        self.open(year);
        (self.tally, self.terminals)
    }
}

/// A public case heard at first instance, by a jury or not.
#[inline]
fn heard(t: &mut Counts, year: usize, p: usize, jury: bool) {
    t.add(year, Counter::CourtHeard, 1);
    t.add_province(year, p, ProvinceCounter::CasesHeard, 1);
    if jury {
        t.add(year, Counter::JuryCases, 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::draws::CaseId;
    use Counter::*;

    fn subject(counted: bool) -> Subject {
        Subject { id: CaseId(7), province: 1, episodes: 3, defendants: 2, counted, jobless: true, private: false }
    }

    /// Counts of years recorded in any order, and of a year outside the tally (dropped), are
    /// those added straight to the tally: the open year's row changes nothing.
    #[test]
    fn the_open_year_adds_up_to_the_tally() {
        let s = subject(true);
        let mut r = Recorder::new(2, 3);
        let mut want = Tally::new(2, 3);
        for year in [1, 1, 0, 5, 1, 0, 0, 2, 1] {
            r.record(year, &s, Event::Registered);
            r.record(year, &s, Event::SentToCourt);
            want.add(year, Registered, 3);
            want.add(year, SentToCourt, 3);
            want.add(year, DefendantsToCourt, 2);
        }
        r.year_end_stocks(1, 7, 2);
        want.set(1, PrisonPopulation, 9);
        want.set(1, PretrialDetainees, 2);
        assert_eq!(r.finish().0, want);
    }

    /// Turning to each day's year before its events (as the run does), with days that record
    /// nothing, years out of range, a year's stocks set before its row is added and events
    /// that do not enter the statistics, counts what recording each event with its year does.
    #[test]
    fn turning_to_the_year_first_counts_the_same() {
        let (counted, not_counted) = (subject(true), subject(false));
        let days: [(usize, usize); 9] = [(0, 2), (0, 0), (1, 1), (1, 3), (2, 0), (5, 1), (1, 2), (0, 0), (1, 1)];
        let (mut lazy, mut turned) = (Recorder::new(2, 3), Recorder::new(2, 3));
        for (day, &(year, events)) in days.iter().enumerate() {
            turned.turn_to(year);
            if day == 2 {
                // The run sets the last year's stocks as the new year's first day begins.
                lazy.year_end_stocks(0, 7, 2);
                turned.year_end_stocks(0, 7, 2);
            }
            for k in 0..events {
                let s = if k == 1 { &not_counted } else { &counted };
                for e in [Event::Registered, Event::Convicted { jury: false }, Event::Ended(Terminal::Convicted)] {
                    lazy.record(year, s, e);
                    turned.record_in_open_year(s, e);
                }
            }
        }
        let (lazy, turned) = (lazy.finish(), turned.finish());
        assert_eq!(lazy.0, turned.0);
        assert_eq!(lazy.1, turned.1);
    }

    /// What `events` about `s` count in year 1 of a two-year, three-province tally.
    fn counted(s: Subject, events: &[Event]) -> (Tally, [u64; N_TERMINALS]) {
        let mut r = Recorder::new(2, 3);
        for &e in events {
            r.record(1, &s, e);
        }
        r.finish()
    }

    /// The expected tally: `national` and `province` (for province 1) counts in year 1.
    fn tally(national: &[(Counter, u64)], province: &[(ProvinceCounter, u64)]) -> Tally {
        let mut t = Tally::new(2, 3);
        for &(c, n) in national {
            t.add(1, c, n);
        }
        for &(c, n) in province {
            t.add_province(1, 1, c, n);
        }
        t
    }

    #[test]
    fn a_jury_acquittal_counts_court_cases_and_defendants_nationally_and_in_the_province() {
        let (t, terminals) = counted(subject(true), &[Event::Acquitted { jury: true }]);
        let expected = tally(
            &[
                (CourtHeard, 1),
                (JuryCases, 1),
                (TrialAcquitted, 2),
                (TrialAcquittedPublic, 2),
                (AcquittedPublicCases, 1),
                (TrialSentenceCases, 1),
                (JuryAcquitted, 2),
            ],
            &[
                (ProvinceCounter::CasesHeard, 1),
                (ProvinceCounter::AcquittedExoneratedPublic, 2),
                (ProvinceCounter::AcquittedExoneratedPublicCases, 1),
            ],
        );
        assert_eq!(t, expected);
        assert_eq!(terminals, [0; N_TERMINALS], "an acquittal is not yet an end (it may be appealed)");
    }

    #[test]
    fn a_province_counts_verdicts_and_detention_refusals_in_cases_beside_defendants() {
        let (t, _) = counted(subject(true), &[Event::Convicted { jury: false }]);
        let expected = tally(
            &[(CourtHeard, 1)],
            &[
                (ProvinceCounter::CasesHeard, 1),
                (ProvinceCounter::ConvictedPublic, 2),
                (ProvinceCounter::ConvictedPublicCases, 1),
            ],
        );
        assert_eq!(t, expected);
        let by = DetentionApprover::Judge;
        let (t, _) = counted(
            subject(true),
            &[Event::DetentionDecided { by, approved: false }, Event::DetentionDecided { by, approved: true }],
        );
        let expected = tally(
            &[(JudgeDecided, 4), (JudgeApproved, 2), (Detained, 2)],
            &[
                (ProvinceCounter::DetentionDecided, 4),
                (ProvinceCounter::DetentionApproved, 2),
                (ProvinceCounter::DetentionDecidedCases, 2),
                (ProvinceCounter::DetentionRefusedCases, 1),
            ],
        );
        assert_eq!(t, expected);
    }

    #[test]
    fn closures_before_trial_count_episodes_and_defendants() {
        let (t, _) = counted(subject(true), &[Event::ClosedPretrial(Grounds::Reconciled)]);
        // Episodes nationally; the province counts the case once.
        assert_eq!(
            t,
            tally(
                &[(DefendantsClosed, 2), (ClosedNonrehab, 3), (ReconciledPretrial, 3)],
                &[(ProvinceCounter::ReconciledPretrial, 1)]
            )
        );
    }

    #[test]
    fn an_uncounted_case_counts_only_what_is_not_about_a_criminal_case() {
        let s = subject(false);
        let (t, terminals) = counted(
            s,
            &[
                Event::Registered,
                Event::Cleared,
                Event::DetentionRequested,
                Event::DetentionDecided { by: DetentionApprover::Judge, approved: true },
                Event::SentToCourt,
                Event::Convicted { jury: false },
                Event::Sentenced { custodial: true },
                Event::AppealDecided { verdict: Verdict::Convicted, outcome: AppealOutcome::Acquitted },
            ],
        );
        assert_eq!(t, Tally::new(2, 3), "a misdemeanour left out of the statistics counted");
        assert_eq!(terminals, [0; N_TERMINALS]);
        let (t, terminals) = counted(
            s,
            &[
                Event::TortureComplaint(Torture::Registered),
                Event::TortureComplaint(Torture::RaisedAtTrial),
                Event::JudgeDismissed,
                Event::LeftDetention(Exit::Closure),
                Event::Ended(Terminal::AcquittedOnAppeal),
            ],
        );
        let expected = tally(
            &[
                (TortureRegistered, 1),
                (TortureTrialComplaints, 1),
                (JudgesDismissed, 1),
                (DetentionExits, 2),
                (ReleasedOnClosure, 2),
            ],
            &[],
        );
        assert_eq!(t, expected);
        assert_eq!(terminals[Terminal::AcquittedOnAppeal as usize], 1);
        assert_eq!(terminals.iter().sum::<u64>(), 1);
    }

    #[test]
    fn misdemeanours_are_counted_only_while_the_rules_say_so() {
        let s = crate::scenario::load_path(std::path::Path::new("tests/fixtures/tiny.toml")).expect("tiny loads");
        let mut rules = s.rules[0].value.clone();
        for count in [true, false] {
            rules.count_misdemeanours = count;
            assert_eq!(counts_case(Source::Misdemeanour, &rules), count);
            assert!(counts_case(Source::PublicCrime, &rules) && counts_case(Source::PrivateComplaint, &rules));
        }
    }
}
