//! The world of one run: everything a run holds in memory, grouped by what it is for, and the
//! step loop that moves it day by day. What the stages may touch is in the named parts:
//! the calendar, the cases in flight, the stocks, the provinces' state, the jury news, the
//! defence's demand, and the recorder.

use super::agents::Agents;
use super::arrivals::InflowCursor;
use super::calendar::{Calendar, Stage};
use super::case::{CaseStore, slot};
use super::dist::normal_quantile;
use super::draws::{RunStream, unit};
use super::stocks::Stocks;
use super::{Model, Prepared, RunOutput};
use crate::record::event::Exit;
use crate::record::trace::{NoTrace, Tracer};
use crate::record::{Event, Recorder, Subject, Terminal};
use crate::scenario::{DAYS_PER_YEAR, Incentives, Rules, Scenario, Staff};

/// Everything a run has in memory.
pub struct World<'s, T: Tracer = NoTrace> {
    pub(crate) s: &'s Scenario,
    pub(crate) prep: &'s Prepared,
    pub(crate) stream: RunStream,
    pub(crate) agents: Agents,
    /// Today, the dated entries in force, and the cases' appointments with stages.
    pub(crate) calendar: Calendar,
    pub(crate) cases: CaseStore,
    pub(crate) stocks: Stocks,
    /// Per province (by index), what its officials share.
    pub(crate) provinces: Vec<ProvinceState>,
    pub(crate) jury_news: JuryNews,
    pub(crate) defence_demand: DefenceDemand,
    /// Counts what happens (the only place that does).
    pub(crate) recorder: Recorder,
    /// Where decisions and events go to be told as case stories (`NoTrace`: nowhere, at no
    /// cost). A stage hands over a decision as `self.trace.decision(day, case, || ...)`.
    pub(crate) trace: T,
    pub(super) inflow: InflowCursor,
    /// The incentive regime and period the investigators' clearance exponents were computed
    /// for (`usize::MAX`: not yet).
    pub(crate) clearance_key: (usize, u32),
}

/// What a province's officials share.
pub(crate) struct ProvinceState {
    /// Closeness of local officials: shifts on the log-odds of their decisions, drawn once.
    pub reconciliation_shift: f64,
    pub acquittal_shift: f64,
    pub detention_shift: f64,
    /// How far officials' registration practice has moved towards total registration (0: hide
    /// what hurts the clearance rate; 1: register everything).
    pub compliance: f64,
    /// The share of reconciled single-judge cases its judges close (their release practice),
    /// and what colleagues saw of it this period.
    pub release_practice: f64,
    pub releases_seen: ReleasesSeen,
    /// The annualised work per investigator (in full investigations), smoothed with
    /// `learning.workload_rate`: investigators of a department share its pile of cases.
    pub work: f64,
    /// The work this period's cases ask for: a case that would be solved without overload
    /// counts 1 (`reconcile_work` once steered to reconciliation), any other report
    /// `unsolved_work`.
    pub worked: f64,
}

/// Reconciled single-judge cases judges saw this period, and how many of them were closed.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ReleasesSeen {
    pub reconciled: u32,
    pub closed: u32,
}

/// Defendants acquitted by juries in the whole country this year and last year: what the
/// accused hear of juries, and what the Procuracy answers.
#[derive(Default)]
pub(crate) struct JuryNews {
    pub acquitted_this_year: u32,
    pub acquitted_last_year: u32,
}

/// Defendants sent to court this year and last year, for the defence's coverage.
#[derive(Default)]
pub(crate) struct DefenceDemand {
    pub sent_this_year: f64,
    pub sent_last_year: f64,
}

impl DefenceDemand {
    /// Defendants expected at court this year: last year's count of defendants sent to court
    /// (never below one, so coverage is defined in the first year).
    pub fn expected(&self) -> f64 {
        self.sent_last_year.max(1.0)
    }
}

impl<'s, T: Tracer> World<'s, T> {
    pub(super) fn new(model: &'s Model<'s>, master_seed: u64, run_index: u64, trace: T) -> World<'s, T> {
        let s = model.s;
        let prep = &model.prep;
        let mut stream = RunStream::new(master_seed, run_index);
        let agents = Agents::new(s, &prep.traits, &mut stream);
        let t = &s.traits;
        let compliance = if s.rules[0].value.total_registration { 1.0 } else { 0.0 };
        let provinces = (0..s.provinces.len())
            .map(|p| {
                let w = stream.province_words(p);
                ProvinceState {
                    reconciliation_shift: t.province_sd_reconciliation * normal_quantile(unit(w[0])),
                    acquittal_shift: t.province_sd_acquittal * normal_quantile(unit(w[1])),
                    detention_shift: t.province_sd_detention * normal_quantile(unit(w[2])),
                    compliance,
                    release_practice: 0.0,
                    releases_seen: ReleasesSeen::default(),
                    work: s.behaviour.investigation.capacity,
                    worked: 0.0,
                }
            })
            .collect();
        World {
            s,
            prep,
            stream,
            agents,
            calendar: Calendar::new(s),
            cases: CaseStore::default(),
            stocks: Stocks::new(s.calendar.n_days()),
            provinces,
            jury_news: JuryNews::default(),
            defence_demand: DefenceDemand::default(),
            recorder: Recorder::new(s.calendar.n_years(), s.provinces.len()),
            trace,
            inflow: InflowCursor::default(),
            clearance_key: (usize::MAX, 0),
        }
    }

    /// Runs the calendar up to the end of `last_year` and returns what was counted (and the
    /// tracer, with the stories it kept).
    pub(super) fn run(mut self, last_year: i32) -> (RunOutput, T) {
        let cal = &self.s.calendar;
        let n_days = ((last_year - cal.first_year + 1).max(0) as u32 * DAYS_PER_YEAR).min(cal.n_days());
        let period = self.s.behaviour.learning.period_days;
        let mut created = 0u64;
        let mut min_stock = 0i64;
        for day in 0..n_days {
            if self.calendar.advance(self.s, day) {
                self.restaff();
            }
            if day > 0 && day % period == 0 {
                self.end_period();
            }
            if day > 0 && day % DAYS_PER_YEAR == 0 {
                self.end_year(self.calendar.year - 1);
            }
            let n = self.arrivals(day);
            created += n;
            self.run_appointments();
            self.stocks.release_due(day);
            min_stock = min_stock.min(self.stocks.prisoners).min(self.stocks.pretrial);
        }
        if n_days > 0 {
            self.end_year((n_days / DAYS_PER_YEAR) as usize - 1);
        }
        // Cases still in flight end as pending.
        self.recorder.pending(self.cases.in_flight());
        let (tally, terminals) = self.recorder.finish();
        let out = RunOutput {
            tally,
            terminals,
            created,
            min_stock,
            final_pretrial: self.stocks.pretrial,
            final_prisoners: self.stocks.prisoners,
        };
        (out, self.trace)
    }

    /// The rules in force today.
    pub(crate) fn rules(&self) -> &'s Rules {
        &self.s.rules[self.calendar.rules].value
    }

    /// The incentives in force today.
    pub(crate) fn incentives(&self) -> &'s Incentives {
        &self.s.incentives[self.calendar.incentives].value
    }

    /// The staff in force today.
    pub(crate) fn staff(&self) -> &'s Staff {
        &self.s.staffing[self.calendar.staffing].value
    }

    /// A dated staff change: rosters grow or shrink to the new counts, and every
    /// investigator's clearance exponent is set again (a newcomer has none yet).
    fn restaff(&mut self) {
        let staff = self.staff();
        self.agents.restaff(self.s, staff, &self.prep.traits, &mut self.stream);
        self.clearance_key = (usize::MAX, 0);
        self.refresh_clearance_exponents();
    }

    /// Today's appointments, in the order they were made.
    fn run_appointments(&mut self) {
        let today = self.calendar.take_today();
        for a in today.iter() {
            match a.stage {
                Stage::ProcuratorReview => self.procurator_review(a.case),
                Stage::Trial => self.trial(a.case),
                Stage::PrivateTrial => self.private_trial(a.case),
                Stage::Appeal => self.appeal(a.case),
            }
        }
        self.calendar.give_back(today);
    }

    /// Reports what happened to a case (see `record::Recorder` for what it counts).
    #[inline(always)]
    pub(crate) fn record(&mut self, subject: &Subject, event: Event) {
        self.recorder.record(self.calendar.year, subject, event);
        self.trace.event(self.calendar.day, subject.id, event);
    }

    /// Ends a case: records its terminal state and frees its slot.
    #[inline]
    pub(crate) fn finish(&mut self, case: u32, how: Terminal) {
        let subject = self.cases[case].subject();
        self.record(&subject, Event::Ended(how));
        self.cases.remove(case);
    }

    /// A case's words for revisitable stages are refreshed when it comes back.
    pub(crate) fn revisit(&mut self, case: u32) {
        let c = &mut self.cases[case];
        c.visits = c.visits.saturating_add(1);
        // Visit v reads blocks 2v-2 and 2v-1: every revisit gets numbers of its own.
        let v = c.visits as u32;
        let a = self.stream.revisit_words(c.id, 2 * v - 2);
        let b = self.stream.revisit_words(c.id, 2 * v - 1);
        let c = &mut self.cases[case];
        c.w[slot::FIRST_REVISITABLE..slot::FIRST_REVISITABLE + 16].copy_from_slice(&a);
        c.w[slot::FIRST_REVISITABLE + 16..].copy_from_slice(&b);
    }

    /// Moves a detainee out of pre-trial detention (nothing if the accused is not detained).
    #[inline]
    pub(crate) fn leave_detention(&mut self, case: u32, why: Exit) {
        let c = &mut self.cases[case];
        if !c.detained {
            return;
        }
        c.detained = false;
        self.stocks.pretrial -= c.defendants as i64;
        let subject = c.subject();
        self.record(&subject, Event::LeftDetention(why));
    }

    fn end_year(&mut self, year: usize) {
        self.recorder.year_end_stocks(year, self.stocks.prisoners, self.stocks.pretrial);
        for j in &mut self.agents.judges {
            j.reversals_year = 0;
        }
        let d = &mut self.defence_demand;
        d.sent_last_year = d.sent_this_year;
        d.sent_this_year = 0.0;
        let news = &mut self.jury_news;
        news.acquitted_last_year = std::mem::take(&mut news.acquitted_this_year);
    }

    /// Between periods agents update what they expect: workloads from the cases they received,
    /// and judges' and procurators' beliefs from what happened to their decisions, blended with
    /// their province colleagues' experience.
    fn end_period(&mut self) {
        let l = &self.s.behaviour.learning;
        let per_year = DAYS_PER_YEAR as f64 / l.period_days as f64;
        let rate = l.rate;
        let target = if self.rules().total_registration { 1.0 } else { 0.0 };
        for p in &mut self.provinces {
            p.compliance = compliance_step(p.compliance, target, l.compliance_rate, l.compliance_imitation);
        }
        for p in &mut self.provinces {
            let seen = p.releases_seen;
            if seen.reconciled > 0 {
                p.release_practice +=
                    l.practice_rate * (seen.closed as f64 / seen.reconciled as f64 - p.release_practice);
            }
            p.releases_seen = ReleasesSeen::default();
        }
        for inv in &mut self.agents.investigators {
            inv.load = (1.0 - rate) * inv.load + rate * inv.assigned as f64 * per_year;
            inv.assigned = 0;
        }
        let n_prov = self.s.provinces.len();
        // Work per investigator, pooled over the province's investigators.
        for (p, roster) in self.provinces.iter_mut().zip(&self.agents.investigator_rosters) {
            let n = roster.len();
            if n > 0 {
                p.work += l.workload_rate * (std::mem::take(&mut p.worked) / n as f64 * per_year - p.work);
            }
        }
        // Province pools of judges' observations.
        let mut pool = vec![[0u32; 4]; n_prov];
        for j in &self.agents.judges {
            for (total, own) in pool[j.province as usize].iter_mut().zip(j.obs) {
                *total += own;
            }
        }
        for j in &mut self.agents.judges {
            j.load = (1.0 - rate) * j.load + rate * j.decided as f64 * per_year;
            j.decided = 0;
            let p = &pool[j.province as usize];
            j.belief_reverse_acquittal =
                learn(j.belief_reverse_acquittal, j.obs[0], j.obs[1], p[0], p[1], rate, l.peer_weight);
            j.belief_reverse_conviction =
                learn(j.belief_reverse_conviction, j.obs[2], j.obs[3], p[2], p[3], rate, l.peer_weight);
            j.obs = [0; 4];
        }
        let mut ppool = vec![[0u32; 2]; n_prov];
        for p in &self.agents.procurators {
            ppool[p.province as usize][0] += p.tried;
            ppool[p.province as usize][1] += p.acquitted;
        }
        for p in &mut self.agents.procurators {
            let pp = &ppool[p.province as usize];
            p.acquittal_belief = learn(p.acquittal_belief, p.tried, p.acquitted, pp[0], pp[1], rate, l.peer_weight);
            p.tried = 0;
            p.acquitted = 0;
        }
    }

    /// Recomputes the investigators' clearance exponents when their inputs changed: a new
    /// period (workloads) or a new incentive regime (the clearance weight).
    /// The share of a province's registered cases that officials register only because they
    /// comply with total registration, drawn from all reports; the rest are those they would
    /// register anyway, drawn from the solvable ones. A report is registered with chance
    /// c + (1 - c) s^k at compliance c, so the share is c / (c + (1 - c) E[s^k]).
    pub(crate) fn share_from_all_reports(&self, province: usize) -> f64 {
        let c = self.provinces[province].compliance;
        let denominator = c + (1.0 - c) * self.prep.selected_share;
        if denominator > 0.0 { c / denominator } else { 0.0 }
    }

    pub(crate) fn refresh_clearance_exponents(&mut self) {
        let period = self.calendar.day / self.s.behaviour.learning.period_days;
        let key = (self.calendar.incentives, period);
        if key == self.clearance_key {
            return;
        }
        self.clearance_key = key;
        let b = &self.s.behaviour.investigation;
        let w_clearance = self.incentives().investigator.clearance;
        let w_all: Vec<f64> = (0..self.s.provinces.len()).map(|p| self.share_from_all_reports(p)).collect();
        for inv in &mut self.agents.investigators {
            let effort = (0.5 + inv.diligence) * (1.0 + b.clearance_effort * w_clearance);
            let work = self.provinces[inv.province as usize].work;
            let coverage = (b.capacity * effort / work.max(1.0)).min(1.0);
            inv.clear_exponent =
                self.prep.triage.exponent(coverage.powf(b.overload_elasticity), w_all[inv.province as usize]);
        }
    }
}

/// One period of a province's compliance `c` with the registration rule (`target` 1: total
/// registration, 0: officials may shelve reports). Officials adopt a new practice on their own
/// (`rate`) and, once some comply, by imitation (`imitation` x `c`): a Bass diffusion, slow at
/// first and then fast. Dropping a practice needs no example.
fn compliance_step(c: f64, target: f64, rate: f64, imitation: f64) -> f64 {
    let imitation = if target > c { imitation * c } else { 0.0 };
    c + (rate + imitation).min(1.0) * (target - c)
}

/// Blends an agent's belief about a rate towards what it saw this period: its own events
/// (`own_hits` of `own_n`) weighted against its province's (`peer_hits` of `peer_n`), each
/// counted only when observed.
fn learn(belief: f64, own_n: u32, own_hits: u32, peer_n: u32, peer_hits: u32, rate: f64, peer_weight: f64) -> f64 {
    let own = (own_n > 0).then(|| own_hits as f64 / own_n as f64);
    let peer = (peer_n > 0).then(|| peer_hits as f64 / peer_n as f64);
    let seen = match (own, peer) {
        (Some(o), Some(p)) => (1.0 - peer_weight) * o + peer_weight * p,
        (None, Some(p)) => p,
        (Some(o), None) => o,
        (None, None) => return belief,
    };
    (1.0 - rate) * belief + rate * seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compliance_spreads_slowly_then_fast_and_drops_without_example() {
        // Without imitation: the same share of the gap each period.
        assert_eq!(compliance_step(0.0, 1.0, 0.1, 0.0), 0.1);
        assert!((compliance_step(0.5, 1.0, 0.1, 0.0) - 0.55).abs() < 1e-15);
        // With imitation the step grows with compliance reached: an S-curve.
        let mut c = 0.0;
        let mut steps = Vec::new();
        for _ in 0..40 {
            let next = compliance_step(c, 1.0, 0.02, 0.3);
            steps.push(next - c);
            c = next;
        }
        let peak = steps.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
        assert!(peak > 3 && peak < 39, "the largest step comes in the middle, not at {peak}");
        assert!(c > 0.95 && c <= 1.0);
        // Back to discretionary registration: imitation plays no part.
        assert!((compliance_step(0.8, 0.0, 0.1, 0.3) - 0.72).abs() < 1e-15);
        // The step never overshoots the target.
        assert_eq!(compliance_step(0.9, 1.0, 0.9, 1.0), 1.0);
    }

    #[test]
    fn learning_moves_towards_observation() {
        assert_eq!(learn(0.1, 0, 0, 0, 0, 0.5, 0.3), 0.1);
        let b = learn(0.1, 10, 5, 0, 0, 0.5, 0.3);
        assert!((b - 0.3).abs() < 1e-12);
        let b = learn(0.1, 10, 5, 10, 0, 0.5, 0.3);
        assert!((b - (0.5 * 0.1 + 0.5 * 0.35)).abs() < 1e-12);
    }
}
