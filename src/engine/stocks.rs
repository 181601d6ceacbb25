//! Stocks of people held: sentenced prisoners (in cohorts: those sentenced together, with
//! what an amnesty asks of them and the day they are due out) and pre-trial detainees. The
//! stages move people in and out; the step loop releases those whose term ends; the recorder
//! reads the stocks at each year's end.

use std::collections::BTreeMap;

use crate::scenario::{AmnestyClause, Gravity};

/// The accused of one case sentenced to custody on one day: they serve together, so a law or
/// an amnesty treats them alike and an appeal that overturns the sentence frees them all.
#[derive(Clone, Copy, Debug)]
struct Cohort {
    start: u32,
    /// Due out on this day (moved by a milder law or an amnesty; set to the day they left
    /// when an appeal frees them).
    release: u32,
    n: u8,
    gravity: Gravity,
    first_offence: bool,
}

/// Which cohort a case's prisoners are in (`Stocks::imprison`), to free them on appeal.
pub(crate) type CohortId = u32;

pub(crate) struct Stocks {
    pub prisoners: i64,
    pub pretrial: i64,
    /// Every custodial sentence of the run, in the order given; never removed, so a
    /// [`CohortId`] held by a case stays valid (some 12 bytes a sentence).
    cohorts: Vec<Cohort>,
    /// Prisoners (sentenced) whose term ends on each day of the run, summed.
    releases: Vec<u32>,
    /// Those due out after the run's last day, by day: they never leave within the run unless
    /// a milder law or an amnesty shortens their terms, so they must be kept.
    late: BTreeMap<u32, u32>,
    /// Parole hearings by day of the run: the cohort and the word its court's decision reads.
    hearings: Vec<Vec<(CohortId, u32)>>,
}

impl Stocks {
    pub fn new(n_days: u32) -> Stocks {
        Stocks {
            prisoners: 0,
            pretrial: 0,
            cohorts: Vec::new(),
            releases: vec![0; n_days as usize + 1],
            late: BTreeMap::new(),
            hearings: vec![Vec::new(); n_days as usize + 1],
        }
    }

    /// Adds `n` sentenced prisoners on `day` for `term_days`; returns their cohort.
    pub fn imprison(&mut self, day: u32, n: u8, term_days: u32, gravity: Gravity, first_offence: bool) -> CohortId {
        self.prisoners += n as i64;
        let release = day.saturating_add(term_days);
        self.add_release(release, n as u32);
        self.cohorts.push(Cohort { start: day, release, n, gravity, first_offence });
        (self.cohorts.len() - 1) as CohortId
    }

    /// A parole hearing for `cohort` on `day` (none if that day is past the run's end), whose
    /// decision reads `word`.
    pub fn schedule_hearing(&mut self, cohort: CohortId, day: u32, word: u32) {
        if let Some(h) = self.hearings.get_mut(day as usize) {
            h.push((cohort, word));
        }
    }

    /// The hearings of `day`, taken: those whose cohort is still due out after `day`, with
    /// the word each decision reads.
    pub fn take_hearings(&mut self, day: u32) -> Vec<(CohortId, u32)> {
        let mut due = std::mem::take(&mut self.hearings[day as usize]);
        due.retain(|&(c, _)| self.cohorts[c as usize].release > day);
        due
    }

    /// Paroles a cohort still serving: it goes out at the end of `day`. Returns how many.
    pub fn parole(&mut self, cohort: CohortId, day: u32) -> u64 {
        let c = self.cohorts[cohort as usize];
        if c.release <= day {
            return 0;
        }
        self.move_release(cohort as usize, day);
        c.n as u64
    }

    fn add_release(&mut self, day: u32, n: u32) {
        match self.releases.get_mut(day as usize) {
            Some(r) => *r += n,
            None => *self.late.entry(day).or_default() += n,
        }
    }

    fn remove_release(&mut self, day: u32, n: u32) {
        match self.releases.get_mut(day as usize) {
            Some(r) => *r -= n,
            None => {
                if let Some(r) = self.late.get_mut(&day) {
                    *r -= n;
                }
            }
        }
    }

    /// Moves a cohort's release to `day` (a milder law, an amnesty).
    fn move_release(&mut self, cohort: usize, day: u32) {
        let c = self.cohorts[cohort];
        if day != c.release {
            self.remove_release(c.release, c.n as u32);
            self.add_release(day, c.n as u32);
            self.cohorts[cohort].release = day;
        }
    }

    /// Releases on `today` a cohort whose sentence was overturned; nothing if it is already
    /// out (its term ended, perhaps cut by a milder law or an amnesty).
    pub fn release_early(&mut self, cohort: CohortId, today: u32) {
        let c = self.cohorts[cohort as usize];
        if c.release < today {
            return;
        }
        self.prisoners -= c.n as i64;
        self.remove_release(c.release, c.n as u32);
        // Out today: a later amnesty or law finds nothing left to move.
        self.cohorts[cohort as usize].release = today.saturating_sub(1);
    }

    /// A milder law on `today`: every prisoner still due out after today has the rest of the
    /// term cut to `ratio` of it ([`shortened_release`]). The stock is unchanged today; the
    /// releases come earlier.
    pub fn shorten_terms(&mut self, today: u32, ratio: f64) {
        for i in 0..self.cohorts.len() {
            let release = self.cohorts[i].release;
            if release > today {
                self.move_release(i, shortened_release(today, release, ratio));
            }
        }
    }

    /// An amnesty on `today`: each prisoner still due out after today whom a clause covers
    /// keeps the clause's `remaining` share of the unserved term (the most generous clause
    /// that covers him); those left with nothing go out at the end of today. Returns how
    /// many it frees today.
    pub fn amnesty(&mut self, today: u32, clauses: &[AmnestyClause]) -> u64 {
        let mut freed = 0u64;
        for i in 0..self.cohorts.len() {
            let c = self.cohorts[i];
            if c.release <= today {
                continue;
            }
            let Some(remaining) = clauses.iter().filter(|k| covers(k, &c, today)).map(|k| k.remaining).reduce(f64::min)
            else {
                continue;
            };
            let rest = ((c.release - today) as f64 * remaining).ceil() as u32;
            if rest == 0 {
                freed += c.n as u64;
            }
            self.move_release(i, today + rest);
        }
        freed
    }

    /// Prisoners due out after `day`.
    pub fn due_after(&self, day: u32) -> i64 {
        let in_run: u64 = self.releases.iter().skip(day as usize + 1).map(|&n| n as u64).sum();
        let late: u64 = self.late.values().map(|&n| n as u64).sum();
        (in_run + late) as i64
    }

    /// Releases the prisoners whose term ends on `day`.
    pub fn release_due(&mut self, day: u32) {
        self.prisoners -= self.releases[day as usize] as i64;
    }
}

/// Whether an amnesty's clause covers a cohort still serving on `today`.
fn covers(clause: &AmnestyClause, c: &Cohort, today: u32) -> bool {
    let term = (c.release - c.start) as f64;
    let served = today.saturating_sub(c.start) as f64;
    c.gravity <= clause.up_to
        && (c.first_offence || !clause.first_offence_only)
        && clause.term_at_most_days.is_none_or(|most| c.release - c.start <= most)
        && served >= clause.served_at_least * term
        && clause.left_at_most_days.is_none_or(|most| c.release - today <= most)
}

/// The new release day of a prisoner due out on `release` when a law on `today` cuts the rest
/// of the term to `ratio` of it (at least one day more: nobody leaves on the day the law
/// comes in). ASSUMPTION: the remaining term shrinks in proportion, a stand-in for the new
/// maximum less the time already served, which the stock does not know.
pub(crate) fn shortened_release(today: u32, release: u32, ratio: f64) -> u32 {
    if release <= today {
        return release;
    }
    let rest = ((release - today) as f64 * ratio).ceil() as u32;
    today + rest.clamp(1, release - today)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINOR: Gravity = Gravity::Minor;

    fn imprison(s: &mut Stocks, day: u32, n: u8, term: u32) -> CohortId {
        s.imprison(day, n, term, MINOR, false)
    }

    #[test]
    fn shorter_terms_move_releases_earlier_and_keep_the_stock() {
        let mut s = Stocks::new(100);
        imprison(&mut s, 0, 2, 50); // due on day 50
        imprison(&mut s, 0, 3, 90); // due on day 90
        let late = imprison(&mut s, 0, 4, 400); // due after the run (day 400)
        s.shorten_terms(10, 0.5);
        assert_eq!(s.prisoners, 9);
        // 40 days left -> 20 (day 30); 80 -> 40 (day 50); 390 -> 195 (day 205, still late).
        assert_eq!((s.releases[30], s.releases[50], s.releases[90]), (2, 3, 0));
        assert_eq!(s.late.get(&205), Some(&4));
        assert_eq!(s.late.get(&400), Some(&0));
        assert_eq!(s.cohorts[late as usize].release, 205);
        for day in 0..=100 {
            s.release_due(day);
        }
        assert_eq!(s.prisoners, 4);
    }

    #[test]
    fn a_late_release_comes_into_the_run_and_an_early_release_finds_it() {
        let mut s = Stocks::new(100);
        let five = imprison(&mut s, 0, 5, 150);
        let two = imprison(&mut s, 0, 2, 40);
        s.shorten_terms(50, 0.4); // 100 days left -> 40: day 90
        assert_eq!(s.cohorts[five as usize].release, shortened_release(50, 150, 0.4));
        assert_eq!(s.cohorts[five as usize].release, 90);
        s.release_early(five, 60);
        // A release already made is not made again.
        s.release_early(two, 60);
        s.release_early(five, 61);
        assert_eq!(s.prisoners, 2);
        for day in 0..=100 {
            s.release_due(day);
        }
        assert_eq!(s.prisoners, 0);
    }

    #[test]
    fn nobody_leaves_on_the_day_of_the_law_and_no_term_grows() {
        assert_eq!(shortened_release(10, 11, 0.01), 11);
        assert_eq!(shortened_release(10, 10, 0.5), 10);
        assert_eq!(shortened_release(10, 30, 1.0), 30);
        assert_eq!(shortened_release(10, 30, 2.0), 30);
    }

    fn clause(up_to: Gravity) -> AmnestyClause {
        AmnestyClause {
            up_to,
            first_offence_only: false,
            term_at_most_days: None,
            served_at_least: 0.0,
            left_at_most_days: None,
            remaining: 0.0,
        }
    }

    #[test]
    fn an_amnesty_frees_whom_its_clauses_cover_and_no_one_else() {
        let mut s = Stocks::new(1000);
        let minor_first = s.imprison(0, 1, 900, Gravity::Minor, true);
        let medium_repeat = s.imprison(0, 2, 900, Gravity::Medium, false);
        let grave_first = s.imprison(0, 3, 300, Gravity::Grave, true);
        let grave_repeat = s.imprison(0, 4, 2000, Gravity::Grave, false);
        let especially = s.imprison(0, 5, 110, Gravity::EspeciallyGrave, true);
        let clauses = [
            // First offenders, minor and medium: freed.
            AmnestyClause { first_offence_only: true, ..clause(Gravity::Medium) },
            // Other minor and medium: half the rest.
            AmnestyClause { remaining: 0.5, ..clause(Gravity::Medium) },
            // First-time grave after half the term.
            AmnestyClause { first_offence_only: true, served_at_least: 0.5, ..clause(Gravity::Grave) },
            // Anyone but especially grave with at most 20 days left.
            AmnestyClause { left_at_most_days: Some(20), ..clause(Gravity::Grave) },
        ];
        // Day 100: grave_first has served 100 of 300 (a third: not covered), especially grave
        // has 10 days left (not covered: especially grave).
        assert_eq!(s.amnesty(100, &clauses), 1);
        let release = |s: &Stocks, c: CohortId| s.cohorts[c as usize].release;
        assert_eq!(release(&s, minor_first), 100);
        assert_eq!(release(&s, medium_repeat), 100 + 400);
        assert_eq!(release(&s, grave_first), 300);
        assert_eq!(release(&s, grave_repeat), 2000);
        assert_eq!(release(&s, especially), 110);
        // Day 150: grave_first has served half (covered), medium_repeat halved again.
        assert_eq!(s.amnesty(150, &clauses), 3);
        assert_eq!((release(&s, grave_first), release(&s, medium_repeat)), (150, 150 + 175));
        // Those freed leave at the end of the amnesty's day, not before.
        assert_eq!(s.prisoners, 15);
        for day in 0..=150 {
            s.release_due(day);
        }
        assert_eq!(s.prisoners, 15 - 1 - 5 - 3);
        // An appeal that overturns an amnestied sentence later frees nobody twice.
        s.release_early(grave_first, 200);
        assert_eq!(s.prisoners, 6);
        assert_eq!(s.due_after(150), 6);
    }

    #[test]
    fn a_clause_on_short_terms_reads_the_term_in_force() {
        let mut s = Stocks::new(1000);
        let short = s.imprison(0, 1, 300, Gravity::EspeciallyGrave, true);
        let long = s.imprison(0, 2, 900, Gravity::EspeciallyGrave, true);
        let short_terms = [AmnestyClause { term_at_most_days: Some(500), ..clause(Gravity::EspeciallyGrave) }];
        assert_eq!(s.amnesty(10, &short_terms), 1);
        assert_eq!(s.cohorts[long as usize].release, 900);
        // A milder law cuts the long term to 10 + 445 = 455 days: now it is a short one.
        s.shorten_terms(10, 0.5);
        assert_eq!(s.amnesty(20, &short_terms), 2);
        assert_eq!((s.cohorts[short as usize].release, s.cohorts[long as usize].release), (10, 20));
    }

    #[test]
    fn a_hearing_finds_only_prisoners_still_inside_and_parole_frees_them_that_day() {
        let mut s = Stocks::new(1000);
        let a = imprison(&mut s, 0, 2, 400);
        let b = imprison(&mut s, 0, 3, 100);
        s.schedule_hearing(a, 200, 7);
        s.schedule_hearing(b, 200, 9);
        s.schedule_hearing(a, 5000, 1); // past the run: no hearing
        assert_eq!(s.take_hearings(199), vec![]);
        // b is out (day 100): only a is heard.
        assert_eq!(s.take_hearings(200), vec![(a, 7)]);
        assert_eq!(s.take_hearings(200), vec![], "a day's hearings are taken once");
        assert_eq!(s.parole(a, 200), 2);
        assert_eq!(s.parole(a, 201), 0, "paroled once");
        for day in 0..=200 {
            s.release_due(day);
        }
        assert_eq!((s.prisoners, s.due_after(200)), (0, 0));
    }
}
