//! Arrivals: each day's share of the year's inflow (registered crimes, misdemeanours, private
//! complaints), handed to the stage that takes each source in.

use std::ops::{Index, IndexMut};

use super::World;
use super::draws::{CaseId, Source};
use crate::record::trace::Tracer;
use crate::scenario::DAYS_PER_YEAR;

/// The next episode (or complaint) of this year's inflow, by source.
#[derive(Default)]
pub(crate) struct InflowCursor([u32; 3]);

impl Index<Source> for InflowCursor {
    type Output = u32;
    fn index(&self, source: Source) -> &u32 {
        &self.0[source as usize]
    }
}

impl IndexMut<Source> for InflowCursor {
    fn index_mut(&mut self, source: Source) -> &mut u32 {
        &mut self.0[source as usize]
    }
}

impl<T: Tracer> World<'_, T> {
    /// Creates today's cases of every source; returns how many. Cases of a year are spread
    /// evenly over its days, in the order of their sequence number.
    ///
    /// The inflow counts registered criminal cases (episodes), as the statistics do; one case
    /// of the model may join several episodes against the same accused, so each case consumes
    /// its episodes from the year's count and the year registers exactly the input.
    ///
    /// Kept out of line: inlined into the day loop (as it came to be when the rules in force
    /// became a field of `World`), the registration path compiled to some 65 M instructions more
    /// a national run.
    #[inline(never)]
    pub(super) fn arrivals(&mut self, day: u32) -> u64 {
        let y = (day / DAYS_PER_YEAR) as usize;
        let d = day % DAYS_PER_YEAR;
        if d == 0 {
            self.inflow = InflowCursor::default();
        }
        let inflow = &self.s.inflow[y];
        let mut n = 0;
        for (source, total) in [
            (Source::PublicCrime, inflow.registered_crimes),
            (Source::Misdemeanour, inflow.misdemeanours),
            (Source::PrivateComplaint, inflow.private_complaints),
        ] {
            let (_, hi) = day_share(total, d);
            while self.inflow[source] < hi {
                let seq = self.inflow[source];
                let id = CaseId::new(source, y, seq);
                let used = match source {
                    Source::PrivateComplaint => {
                        self.file_private_complaint(id);
                        1
                    }
                    _ => self.register(id, source, total - seq),
                };
                self.inflow[source] += used;
                n += 1;
            }
        }
        n
    }
}

/// The sequence numbers `[lo, hi)` of a year's `total` arrivals that fall on day-of-year `d`.
fn day_share(total: u32, d: u32) -> (u32, u32) {
    let lo = (total as u64 * d as u64 / DAYS_PER_YEAR as u64) as u32;
    let hi = (total as u64 * (d as u64 + 1) / DAYS_PER_YEAR as u64) as u32;
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_share_spreads_a_year_exactly() {
        for total in [0, 1, 364, 365, 366, 132_183] {
            let mut sum = 0;
            let mut prev_hi = 0;
            for d in 0..DAYS_PER_YEAR {
                let (lo, hi) = day_share(total, d);
                assert_eq!(lo, prev_hi);
                prev_hi = hi;
                sum += hi - lo;
            }
            assert_eq!(sum, total);
        }
    }
}
