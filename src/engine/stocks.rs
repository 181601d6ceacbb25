//! Stocks of people held: sentenced prisoners (with the day each is due out) and pre-trial
//! detainees. The stages move people in and out; the step loop releases those whose term
//! ends; the recorder reads the stocks at each year's end.

pub(crate) struct Stocks {
    pub prisoners: i64,
    pub pretrial: i64,
    /// Prisoners (sentenced) whose term ends on each day, summed.
    releases: Vec<u32>,
}

impl Stocks {
    pub fn new(n_days: u32) -> Stocks {
        Stocks { prisoners: 0, pretrial: 0, releases: vec![0; n_days as usize + 1] }
    }

    /// Adds `n` sentenced prisoners on `day` for `term_days`; returns their release day.
    pub fn imprison(&mut self, day: u32, n: u32, term_days: u32) -> u32 {
        self.prisoners += n as i64;
        let release = day.saturating_add(term_days);
        if let Some(r) = self.releases.get_mut(release as usize) {
            *r += n;
        }
        release
    }

    /// Releases `n` prisoners early who were due out on `release_day`.
    pub fn release_early(&mut self, n: u32, release_day: u32) {
        self.prisoners -= n as i64;
        if let Some(r) = self.releases.get_mut(release_day as usize) {
            *r -= n;
        }
    }

    /// Releases the prisoners whose term ends on `day`.
    pub fn release_due(&mut self, day: u32) {
        self.prisoners -= self.releases[day as usize] as i64;
    }
}
