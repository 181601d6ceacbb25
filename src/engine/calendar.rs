//! Time: today, the dated entries (rules, incentives, staff) in force today, and the calendar
//! of appointments cases have with stages, one bucket a day in a ring. Appointments of a day
//! keep the order they were made in: with the day, a complete and stable order.

use crate::scenario::{DAYS_PER_YEAR, Dated, Scenario, in_force};

/// Stages a case can be scheduled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The procurator reviews a completed investigation.
    ProcuratorReview,
    /// A public-prosecution trial reaches its decision.
    Trial,
    /// A private-prosecution complaint reaches its decision.
    PrivateTrial,
    /// An appeal is decided.
    Appeal,
}

/// Days in the ring of buckets. Every delay is at least one day and shorter than the ring, so
/// a bucket is never written while it is being read.
pub(crate) const RING_DAYS: u32 = 4096;

/// A case's appointment with a stage.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Appointment {
    pub case: u32,
    pub stage: Stage,
}

pub(crate) struct Calendar {
    /// Today, in days from the first day of the first year, and its year index.
    pub day: u32,
    pub year: usize,
    /// Indices of the dated rules, incentives and staff in force today.
    pub rules: usize,
    pub incentives: usize,
    pub staffing: usize,
    /// Indices of the campaigns running today (`Scenario::campaigns`, in their order): a
    /// procurator's review, a trial and an appeal ask for the campaigns on their case's kind,
    /// and scanning every campaign's dates for each (some 5 M asks a national run, about 20
    /// instructions each) cost more than finding them once a day.
    pub campaigns: Vec<usize>,
    /// Days in the scenario's calendar: appointments after its end are dropped.
    n_days: u32,
    ring: Vec<Vec<Appointment>>,
}

impl Calendar {
    pub fn new(s: &Scenario) -> Calendar {
        Calendar {
            day: 0,
            year: 0,
            rules: 0,
            incentives: 0,
            staffing: 0,
            campaigns: Vec::new(),
            n_days: s.calendar.n_days(),
            ring: (0..RING_DAYS).map(|_| Vec::new()).collect(),
        }
    }

    /// Moves to `day` and finds the entries in force; returns whether the staff changed.
    pub fn advance(&mut self, s: &Scenario, day: u32) -> bool {
        self.day = day;
        self.year = (day / DAYS_PER_YEAR) as usize;
        self.rules = regime_index(&s.rules, day, self.rules);
        self.incentives = regime_index(&s.incentives, day, self.incentives);
        let staffing = regime_index(&s.staffing, day, self.staffing);
        let changed = staffing != self.staffing;
        self.staffing = staffing;
        self.campaigns.clear();
        self.campaigns.extend(
            s.campaigns.iter().enumerate().filter(|(_, cp)| cp.from_day <= day && day <= cp.to_day).map(|(i, _)| i),
        );
        changed
    }

    /// Schedules `stage` for a case `delay` days from today. Appointments past the end of the
    /// calendar are dropped: the case stays pending.
    pub fn schedule(&mut self, case: u32, stage: Stage, delay: u32) {
        let delay = delay.clamp(1, RING_DAYS - 1);
        let at = self.day + delay;
        if at >= self.n_days {
            return;
        }
        self.ring[(at % RING_DAYS) as usize].push(Appointment { case, stage });
    }

    /// Today's appointments, taken out of the ring; hand the emptied bucket back with
    /// `give_back` so its capacity is reused, not reallocated.
    pub fn take_today(&mut self) -> Vec<Appointment> {
        std::mem::take(&mut self.ring[(self.day % RING_DAYS) as usize])
    }

    pub fn give_back(&mut self, mut bucket: Vec<Appointment>) {
        bucket.clear();
        let today = &mut self.ring[(self.day % RING_DAYS) as usize];
        if today.is_empty() {
            *today = bucket;
        }
    }
}

/// Index of the dated entry in force on `day`, searching forward from the last one.
fn regime_index<T>(entries: &[Dated<T>], day: u32, from: usize) -> usize {
    let mut i = from;
    while i + 1 < entries.len() && entries[i + 1].from_day <= day {
        i += 1;
    }
    debug_assert!(std::ptr::eq(&entries[i].value, in_force(entries, day)));
    i
}
