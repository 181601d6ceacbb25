//! Stocks of people held: sentenced prisoners (with the day each is due out) and pre-trial
//! detainees. The stages move people in and out; the step loop releases those whose term
//! ends; the recorder reads the stocks at each year's end.

use std::collections::BTreeMap;

pub(crate) struct Stocks {
    pub prisoners: i64,
    pub pretrial: i64,
    /// Prisoners (sentenced) whose term ends on each day of the run, summed.
    releases: Vec<u32>,
    /// Those due out after the run's last day, by day: they never leave within the run unless
    /// a milder law shortens their terms (`shorten_terms`), so they must be kept.
    late: BTreeMap<u32, u32>,
}

impl Stocks {
    pub fn new(n_days: u32) -> Stocks {
        Stocks { prisoners: 0, pretrial: 0, releases: vec![0; n_days as usize + 1], late: BTreeMap::new() }
    }

    /// Adds `n` sentenced prisoners on `day` for `term_days`; returns their release day.
    pub fn imprison(&mut self, day: u32, n: u32, term_days: u32) -> u32 {
        self.prisoners += n as i64;
        let release = day.saturating_add(term_days);
        self.add_release(release, n);
        release
    }

    fn add_release(&mut self, day: u32, n: u32) {
        match self.releases.get_mut(day as usize) {
            Some(r) => *r += n,
            None => *self.late.entry(day).or_default() += n,
        }
    }

    /// Releases on `today` `n` prisoners who were due out on `release_day`; nothing if that day
    /// is past (their term ended, and they left then: a short term, or one a milder law cut).
    pub fn release_early(&mut self, n: u32, release_day: u32, today: u32) {
        if release_day < today {
            return;
        }
        self.prisoners -= n as i64;
        match self.releases.get_mut(release_day as usize) {
            Some(r) => *r -= n,
            None => {
                if let Some(r) = self.late.get_mut(&release_day) {
                    *r -= n;
                }
            }
        }
    }

    /// A milder law on `today`: every prisoner still due out after today has the rest of the
    /// term cut to `ratio` of it ([`shortened_release`]). The stock is unchanged today; the
    /// releases come earlier.
    pub fn shorten_terms(&mut self, today: u32, ratio: f64) {
        // Ascending: a day's prisoners move to an earlier (or the same) day, already visited,
        // so none moves twice.
        for day in today as usize + 1..self.releases.len() {
            let n = std::mem::take(&mut self.releases[day]);
            if n > 0 {
                self.add_release(shortened_release(today, day as u32, ratio), n);
            }
        }
        for (day, n) in std::mem::take(&mut self.late) {
            if n > 0 {
                self.add_release(shortened_release(today, day, ratio), n);
            }
        }
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

    #[test]
    fn shorter_terms_move_releases_earlier_and_keep_the_stock() {
        let mut s = Stocks::new(100);
        s.imprison(0, 2, 50); // due on day 50
        s.imprison(0, 3, 90); // due on day 90
        s.imprison(0, 4, 400); // due after the run (day 400)
        s.shorten_terms(10, 0.5);
        assert_eq!(s.prisoners, 9);
        // 40 days left -> 20 (day 30); 80 -> 40 (day 50); 390 -> 195 (day 205, still late).
        assert_eq!((s.releases[30], s.releases[50], s.releases[90]), (2, 3, 0));
        assert_eq!(s.late.get(&205), Some(&4));
        assert_eq!(s.late.get(&400), None);
        for day in 0..=100 {
            s.release_due(day);
        }
        assert_eq!(s.prisoners, 4);
    }

    #[test]
    fn a_late_release_comes_into_the_run_and_an_early_release_finds_it() {
        let mut s = Stocks::new(100);
        let due = s.imprison(0, 5, 150);
        assert_eq!(due, 150);
        s.shorten_terms(50, 0.4); // 100 days left -> 40: day 90
        let moved = shortened_release(50, due, 0.4);
        assert_eq!(moved, 90);
        s.release_early(2, moved, 60);
        // A release already made is not made again.
        s.release_early(1, 40, 60);
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
}
