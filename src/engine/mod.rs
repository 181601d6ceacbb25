//! One simulated run: the world (agents, cases in flight, stocks), the event calendar, and the
//! step loop. The stages of the case flow live in `crate::stages`; this module only orders
//! them in time.
//!
//! Each simulated day, in this order:
//! 1. a new period starts every `learning.period_days`: agents update workloads and beliefs;
//! 2. a new year starts: year-end stocks are recorded, judges' yearly records are reset;
//! 3. the day's new cases arrive (registered crimes, then misdemeanours, then private
//!    complaints), in the order of their identity;
//! 4. the day's scheduled events run in the order they were scheduled (a complete, stable
//!    order: time, then insertion sequence);
//! 5. prisoners whose term ends today are released.

pub mod agents;
pub mod dist;
pub mod draws;

use crate::record::event::Exit;
use crate::record::trace::{NoTrace, Trace, Tracer};
use crate::record::{Event, Recorder, Subject, Tally};
use crate::scenario::{Beta, DAYS_PER_YEAR, Gravity, Incentives, Rules, Scenario, Staff, in_force};
use std::sync::Arc;

use agents::{Agents, TraitTables};
use dist::{BetaTable, TriageTable};
use draws::{CASE_WORDS, CaseId, RunStream, Source};

pub use crate::record::{N_TERMINALS, Terminal};

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

/// The verdict a case carries into an appeal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Convicted,
    Acquitted,
}

/// A case in flight. Its random numbers are fixed at creation (see `draws`).
#[derive(Clone, Debug)]
pub struct Case {
    pub id: CaseId,
    pub w: [u32; CASE_WORDS],
    pub source: Source,
    pub province: u16,
    pub kind: u8,
    pub gravity: Gravity,
    pub episodes: u8,
    pub defendants: u8,
    pub juvenile: bool,
    pub first_offence: bool,
    pub jobless: bool,
    pub dangerous: bool,
    pub death: bool,
    /// Counted in the published statistics (misdemeanours may not be).
    pub counted: bool,
    /// What the accused can pay and what the victim asks, in common units.
    pub means: f64,
    pub demand: f64,
    pub evidence: f64,
    pub investigator: u32,
    pub procurator: u32,
    pub judge: u32,
    pub coerced: bool,
    pub detained: bool,
    pub reconciled_pretrial: bool,
    pub verdict: Verdict,
    /// Times the case came back to a stage (returns, retrials), which selects fresh draws.
    pub visits: u8,
    /// The uid of the judge who decided it at trial (a reversal goes on her record only if she
    /// still holds the post).
    pub judge_uid: u64,
    /// Sentenced to custody, and the day the prisoners are due out (to undo on reversal).
    pub custodial: bool,
    pub release_day: u32,
}

impl Case {
    /// The uniform in (0, 1) of the case's word in `slot`.
    #[inline]
    pub fn u(&self, slot: usize) -> f64 {
        draws::unit(self.w[slot])
    }

    /// What the recorder needs to know about the case.
    #[inline]
    pub fn subject(&self) -> Subject {
        Subject {
            id: self.id,
            province: self.province,
            episodes: self.episodes,
            defendants: self.defendants,
            counted: self.counted,
            jobless: self.jobless,
            private: self.source == Source::PrivateComplaint,
        }
    }
}

/// Slots of a case's random words. Slots below 32 are read once; slots from 32 on belong to
/// stages a case can revisit and are refreshed on each revisit.
pub mod slot {
    pub const PROVINCE: usize = 0;
    pub const KIND: usize = 1;
    pub const GRAVITY: usize = 2;
    pub const EPISODES: usize = 3;
    pub const DEFENDANTS: usize = 4;
    pub const JUVENILE: usize = 5;
    pub const FIRST_OFFENCE: usize = 6;
    pub const JOBLESS: usize = 7;
    pub const MEANS: usize = 8;
    pub const DEMAND: usize = 9;
    pub const SOLVABILITY: usize = 10;
    pub const EVIDENCE: usize = 11;
    pub const DANGEROUS: usize = 12;
    pub const DEATH: usize = 13;
    pub const INVESTIGATOR: usize = 14;
    pub const PROCURATOR: usize = 15;
    pub const CLEAR: usize = 16;
    pub const CUSTODY: usize = 17;
    pub const CUSTODY_HOURS: usize = 18;
    pub const CUSTODY_RELEASE: usize = 19;
    pub const COERCE: usize = 20;
    pub const COMPLAIN: usize = 21;
    pub const COMPLAINT_REGISTERED: usize = 22;
    pub const COMPLAINT_OPENED: usize = 23;
    pub const COMPLAINT_TO_COURT: usize = 24;
    pub const DETENTION_REQUEST: usize = 25;
    pub const DETENTION_BACK: usize = 26;
    pub const DETENTION_DECIDE: usize = 27;
    pub const DETENTION_MANDATORY: usize = 28;
    pub const DETENTION_ALTERNATIVE: usize = 29;
    pub const RECLASSIFY: usize = 30;
    pub const STEER: usize = 31;
    // Revisitable from here on.
    pub const INVESTIGATION_DAYS: usize = 32;
    pub const PROCURATOR_DECIDE: usize = 33;
    pub const PROCURATOR_DAYS: usize = 34;
    pub const JUDGE: usize = 35;
    pub const JURY_ELIGIBLE: usize = 36;
    pub const JURY_REQUEST: usize = 37;
    pub const TRIAL_DAYS: usize = 38;
    pub const DETENTION_JUDGE: usize = 39;
    pub const TRIAL_RECONCILE_JUDGE: usize = 40;
    pub const TRIAL_DECIDE: usize = 41;
    pub const JURY_DECIDE: usize = 42;
    pub const CUSTODIAL_SCOPE: usize = 43;
    pub const CUSTODIAL: usize = 44;
    pub const TERM: usize = 45;
    pub const TRIAL_COMPLAINT: usize = 46;
    pub const OTHER_NONREHAB: usize = 47;
    pub const DEFENCE: usize = 48;
    pub const SUPPLEMENTARY_BACK: usize = 49;
    pub const APPEAL_FILE: usize = 50;
    pub const APPEAL_DAYS: usize = 51;
    pub const APPEAL_JUDGE: usize = 52;
    pub const APPEAL_DECIDE: usize = 53;
    pub const APPEAL_ACQUIT: usize = 54;
    pub const PRIVATE_REJECT: usize = 55;
    pub const PRIVATE_WITHDRAW: usize = 56;
    pub const PRIVATE_RECONCILE: usize = 57;
    pub const PRIVATE_ACQUIT: usize = 58;
    pub const PRIVATE_POLICE: usize = 59;
    pub const COMPLAINT_SETTLED: usize = 60;
    pub const BASELESS: usize = 61;
    pub const PRIVATE_TRANSFER: usize = 62;
    pub const FIRST_REVISITABLE: usize = INVESTIGATION_DAYS;
}

/// The calendar: one bucket of events per day in a ring. Every delay is at least one day and
/// shorter than the ring, so a bucket is never written while it is being read.
pub(crate) const RING_DAYS: u32 = 4096;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Appointment {
    pub case: u32,
    pub stage: Stage,
}

/// A scenario prepared for running: the tables derived from it (distributions tabulated,
/// cumulative shares), built once and shared by every run of a batch.
pub struct Model<'s> {
    pub(crate) s: &'s Scenario,
    pub(crate) prep: Prepared,
}

impl<'s> Model<'s> {
    pub fn new(s: &'s Scenario) -> Model<'s> {
        Model { s, prep: Prepared::new(s) }
    }

    /// Runs one seed: the run's stream is (master seed, run index).
    pub fn simulate(&self, master_seed: u64, run_index: u64) -> RunOutput {
        World::new(self, master_seed, run_index, NoTrace).run(self.s.calendar.last_year).0
    }

    /// Runs one seed as `simulate` does, telling the stories of the cases `trace` follows (the
    /// decisions taken about them and what came of each). The counts are the untraced run's.
    pub fn simulate_traced(&self, master_seed: u64, run_index: u64, trace: Trace) -> (RunOutput, Trace) {
        World::new(self, master_seed, run_index, trace).run(self.s.calendar.last_year)
    }

    /// Runs one seed up to the end of `last_year` only (for calibrating on earlier years:
    /// nothing before the cut depends on what comes after it, so those years are exactly
    /// what a full run gives). Later years are left empty in the tally.
    pub fn simulate_until(&self, master_seed: u64, run_index: u64, last_year: i32) -> RunOutput {
        World::new(self, master_seed, run_index, NoTrace).run(last_year.min(self.s.calendar.last_year)).0
    }
}

/// Tables derived from the scenario.
pub(crate) struct Prepared {
    pub traits: TraitTables,
    /// Solvability of all reports, and of those registered under discretionary registration.
    pub solvability: Arc<BetaTable>,
    pub solvability_selected: Arc<BetaTable>,
    /// E[s^k] over all reports, k the registration selectivity: the share of reports officials
    /// would register (relative to registering all) under discretionary registration.
    pub selected_share: f64,
    pub evidence: Arc<BetaTable>,
    /// Overloaded investigators' triage exponents for the solvability distribution.
    pub triage: TriageTable,
    /// Cumulative shares for drawing a province and a crime kind.
    pub province_cdf: Vec<f64>,
    pub kind_cdf: Vec<f64>,
    /// Per kind, the cumulative gravity distribution.
    pub gravity_cdf: Vec<[f64; 4]>,
    /// Share of public cases with more than one accused, 1 - exp(-extra_defendants_mean): how
    /// a partial jury jurisdiction splits between single and group charges.
    pub group_share: f64,
}

impl Prepared {
    fn new(s: &Scenario) -> Prepared {
        let cumulative = |xs: &mut dyn Iterator<Item = f64>| {
            let mut acc = 0.0;
            xs.map(|x| {
                acc += x;
                acc
            })
            .collect::<Vec<f64>>()
        };
        Prepared {
            traits: TraitTables::new(s),
            solvability: BetaTable::new(s.crime.solvability),
            solvability_selected: BetaTable::new(Beta {
                a: s.crime.solvability.a + s.behaviour.investigation.registration_selectivity,
                b: s.crime.solvability.b,
            }),
            selected_share: dist::beta_moment(s.crime.solvability, s.behaviour.investigation.registration_selectivity),
            evidence: BetaTable::new(s.crime.evidence),
            triage: TriageTable::new(s.crime.solvability, s.behaviour.investigation.registration_selectivity),
            province_cdf: cumulative(&mut s.provinces.iter().map(|p| p.crime_share)),
            kind_cdf: cumulative(&mut s.crime.kinds.iter().map(|k| k.share)),
            gravity_cdf: s
                .crime
                .kinds
                .iter()
                .map(|k| {
                    let c = cumulative(&mut k.gravity.iter().copied());
                    [c[0], c[1], c[2], c[3]]
                })
                .collect(),
            group_share: 1.0 - (-s.crime.extra_defendants_mean).exp(),
        }
    }
}

/// Everything a run has in memory.
pub struct World<'s, T: Tracer = NoTrace> {
    pub(crate) s: &'s Scenario,
    pub(crate) prep: &'s Prepared,
    pub(crate) stream: RunStream,
    pub(crate) agents: Agents,
    pub(crate) cases: Vec<Case>,
    free: Vec<u32>,
    ring: Vec<Vec<Appointment>>,
    /// Prisoners (sentenced) whose term ends on each day, summed.
    releases: Vec<u32>,
    pub(crate) prisoners: i64,
    pub(crate) pretrial: i64,
    /// Defendants sent to court this year and last year (for the defence's coverage).
    pub(crate) defendants_sent_this_year: f64,
    pub(crate) defendants_sent_last_year: f64,
    /// Defendants acquitted by juries in the whole country this year and last year (what the
    /// accused hear of juries, and what the Procuracy answers).
    pub(crate) jury_acquittals_this_year: u32,
    pub(crate) jury_acquittals_last_year: u32,
    /// Counts what happens (the only place that does).
    pub(crate) recorder: Recorder,
    /// Where decisions and events go to be told as case stories (`NoTrace`: nowhere, at no
    /// cost). A stage hands over a decision as `self.trace.decision(self.day, case, || ...)`.
    pub(crate) trace: T,
    /// Per province, how far officials' registration practice has moved towards total
    /// registration (0: hide what hurts the clearance rate; 1: register everything).
    pub(crate) compliance: Vec<f64>,
    /// Per province, the share of reconciled single-judge cases its judges close (their
    /// release practice), and this period's reconciled cases and closures.
    pub(crate) release_practice: Vec<f64>,
    pub(crate) release_seen: Vec<[u32; 2]>,
    /// Per province, the annualised work per investigator (in full investigations), smoothed
    /// with `learning.workload_rate`: investigators of a department share its pile of cases.
    pub(crate) province_work: Vec<f64>,
    /// Per province, the work this period's cases ask for: a case that would be solved without
    /// overload counts 1 (`reconcile_work` once steered to reconciliation), any other report
    /// `unsolved_work`.
    pub(crate) province_worked: Vec<f64>,
    /// Today, and the rules and weights in force today.
    pub(crate) day: u32,
    pub(crate) year: usize,
    rules_index: usize,
    staffing_index: usize,
    incentives_index: usize,
    /// Next episode (or complaint) of this year's inflow, by source.
    inflow_cursor: [u32; 3],
    /// The incentive regime and period the investigators' clearance exponents were computed
    /// for (`usize::MAX`: not yet).
    clearance_key: (usize, u32),
}

/// What a run produces.
pub struct RunOutput {
    pub tally: Tally,
    /// Cases by how they ended (every case exactly once; `Pending` at the end of the run).
    pub terminals: [u64; N_TERMINALS],
    /// Cases created, of every source (public, private, misdemeanour).
    pub created: u64,
    /// The lowest value either stock (sentenced prisoners, pre-trial detainees) took at any
    /// day's end; negative would mean people left who never entered.
    pub min_stock: i64,
    /// Pre-trial detainees and sentenced prisoners at the end of the run.
    pub final_pretrial: i64,
    pub final_prisoners: i64,
}

impl<'s, T: Tracer> World<'s, T> {
    fn new(model: &'s Model<'s>, master_seed: u64, run_index: u64, trace: T) -> World<'s, T> {
        let s = model.s;
        let prep = &model.prep;
        let mut stream = RunStream::new(master_seed, run_index);
        let agents = Agents::new(s, &prep.traits, &mut stream);
        let n_days = s.calendar.n_days() as usize;
        World {
            s,
            prep,
            stream,
            agents,
            cases: Vec::new(),
            free: Vec::new(),
            ring: (0..RING_DAYS).map(|_| Vec::new()).collect(),
            releases: vec![0; n_days + 1],
            prisoners: 0,
            pretrial: 0,
            defendants_sent_this_year: 0.0,
            defendants_sent_last_year: 0.0,
            jury_acquittals_this_year: 0,
            jury_acquittals_last_year: 0,
            recorder: Recorder::new(s.calendar.n_years(), s.provinces.len()),
            trace,
            compliance: vec![if s.rules[0].value.total_registration { 1.0 } else { 0.0 }; s.provinces.len()],
            release_practice: vec![0.0; s.provinces.len()],
            province_work: vec![s.behaviour.investigation.capacity; s.provinces.len()],
            province_worked: vec![0.0; s.provinces.len()],
            release_seen: vec![[0; 2]; s.provinces.len()],
            day: 0,
            year: 0,
            rules_index: 0,
            staffing_index: 0,
            incentives_index: 0,
            inflow_cursor: [0; 3],
            clearance_key: (usize::MAX, 0),
        }
    }

    /// Runs the calendar up to the end of `last_year` and returns what was counted (and the
    /// trace, when tracing).
    fn run(mut self, last_year: i32) -> (RunOutput, T) {
        let cal = &self.s.calendar;
        let n_days = ((last_year - cal.first_year + 1).max(0) as u32 * DAYS_PER_YEAR).min(cal.n_days());
        let period = self.s.behaviour.learning.period_days;
        let mut created = 0u64;
        let mut min_stock = 0i64;
        for day in 0..n_days {
            self.day = day;
            self.year = (day / DAYS_PER_YEAR) as usize;
            self.rules_index = regime_index(&self.s.rules, day, self.rules_index);
            self.incentives_index = regime_index(&self.s.incentives, day, self.incentives_index);
            let staffing_index = regime_index(&self.s.staffing, day, self.staffing_index);
            if staffing_index != self.staffing_index {
                self.staffing_index = staffing_index;
                self.restaff();
            }
            if day > 0 && day % period == 0 {
                self.end_period();
            }
            if day > 0 && day % DAYS_PER_YEAR == 0 {
                self.end_year(self.year - 1);
            }
            let n = self.arrivals(day);
            created += n;
            self.run_events(day);
            self.release_prisoners(day);
            min_stock = min_stock.min(self.prisoners).min(self.pretrial);
        }
        if n_days > 0 {
            self.end_year((n_days / DAYS_PER_YEAR) as usize - 1);
        }
        // Cases still in flight end as pending.
        let pending = self.cases.len() as u64 - self.free.len() as u64;
        self.recorder.pending(pending);
        let (tally, terminals) = self.recorder.finish();
        let out = RunOutput {
            tally,
            terminals,
            created,
            min_stock,
            final_pretrial: self.pretrial,
            final_prisoners: self.prisoners,
        };
        (out, self.trace)
    }

    pub(crate) fn rules(&self) -> &'s Rules {
        &self.s.rules[self.rules_index].value
    }

    pub(crate) fn incentives(&self) -> &'s Incentives {
        &self.s.incentives[self.incentives_index].value
    }

    /// The staff in force today.
    pub(crate) fn staff(&self) -> &'s Staff {
        &self.s.staffing[self.staffing_index].value
    }

    /// A dated staff change: rosters grow or shrink to the new counts, and every
    /// investigator's clearance exponent is set again (a newcomer has none yet).
    fn restaff(&mut self) {
        let staff = self.staff();
        self.agents.restaff(self.s, staff, &self.prep.traits, &mut self.stream);
        self.clearance_key = (usize::MAX, 0);
        self.refresh_clearance_exponents();
    }

    /// Creates today's cases of every source. Cases of a year are spread evenly over its days,
    /// in the order of their sequence number.
    ///
    /// The inflow counts registered criminal cases (episodes), as the statistics do; one case
    /// of the model may join several episodes against the same accused, so each case consumes
    /// its episodes from the year's count and the year registers exactly the input.
    fn arrivals(&mut self, day: u32) -> u64 {
        let y = (day / DAYS_PER_YEAR) as usize;
        let d = day % DAYS_PER_YEAR;
        if d == 0 {
            self.inflow_cursor = [0; 3];
        }
        let inflow = &self.s.inflow[y];
        let mut n = 0;
        for (k, (source, total)) in [
            (Source::PublicCrime, inflow.registered_crimes),
            (Source::Misdemeanour, inflow.misdemeanours),
            (Source::PrivateComplaint, inflow.private_complaints),
        ]
        .into_iter()
        .enumerate()
        {
            let (_, hi) = day_share(total, d);
            while self.inflow_cursor[k] < hi {
                let seq = self.inflow_cursor[k];
                let id = CaseId::new(source, y, seq);
                let used = match source {
                    Source::PrivateComplaint => {
                        self.file_private_complaint(id);
                        1
                    }
                    _ => self.register(id, source, total - seq),
                };
                self.inflow_cursor[k] += used;
                n += 1;
            }
        }
        n
    }

    fn run_events(&mut self, day: u32) {
        let bucket = (day % RING_DAYS) as usize;
        let mut events = std::mem::take(&mut self.ring[bucket]);
        for ev in events.iter() {
            match ev.stage {
                Stage::ProcuratorReview => self.procurator_review(ev.case),
                Stage::Trial => self.trial(ev.case),
                Stage::PrivateTrial => self.private_trial(ev.case),
                Stage::Appeal => self.appeal(ev.case),
            }
        }
        events.clear();
        // Give the emptied bucket back so its capacity is reused, not reallocated.
        if self.ring[bucket].is_empty() {
            self.ring[bucket] = events;
        }
    }

    /// Recomputes the investigators' clearance exponents when their inputs changed: a new
    /// period (workloads) or a new incentive regime (the clearance weight).
    /// The share of a province's registered cases that officials register only because they
    /// comply with total registration, drawn from all reports; the rest are those they would
    /// register anyway, drawn from the solvable ones. A report is registered with chance
    /// c + (1 - c) s^k at compliance c, so the share is c / (c + (1 - c) E[s^k]).
    pub(crate) fn share_from_all_reports(&self, province: usize) -> f64 {
        let c = self.compliance[province];
        let denominator = c + (1.0 - c) * self.prep.selected_share;
        if denominator > 0.0 { c / denominator } else { 0.0 }
    }

    pub(crate) fn refresh_clearance_exponents(&mut self) {
        let period = self.day / self.s.behaviour.learning.period_days;
        let key = (self.incentives_index, period);
        if key == self.clearance_key {
            return;
        }
        self.clearance_key = key;
        let b = &self.s.behaviour.investigation;
        let w_clearance = self.incentives().investigator.clearance;
        let w_all: Vec<f64> = (0..self.s.provinces.len()).map(|p| self.share_from_all_reports(p)).collect();
        for inv in &mut self.agents.investigators {
            let effort = (0.5 + inv.diligence) * (1.0 + b.clearance_effort * w_clearance);
            let work = self.province_work[inv.province as usize];
            let coverage = (b.capacity * effort / work.max(1.0)).min(1.0);
            inv.clear_exponent =
                self.prep.triage.exponent(coverage.powf(b.overload_elasticity), w_all[inv.province as usize]);
        }
    }

    /// Schedules `stage` for a case `delay` days from today. Appointments past the end of the
    /// calendar are dropped: the case stays pending.
    pub(crate) fn schedule(&mut self, case: u32, stage: Stage, delay: u32) {
        let delay = delay.clamp(1, RING_DAYS - 1);
        let at = self.day + delay;
        if at >= self.s.calendar.n_days() {
            return;
        }
        self.ring[(at % RING_DAYS) as usize].push(Appointment { case, stage });
    }

    /// Stores a new case and returns its index.
    pub(crate) fn insert(&mut self, case: Case) -> u32 {
        match self.free.pop() {
            Some(i) => {
                self.cases[i as usize] = case;
                i
            }
            None => {
                self.cases.push(case);
                (self.cases.len() - 1) as u32
            }
        }
    }

    /// Ends a case: records its terminal state and frees its slot.
    #[inline]
    pub(crate) fn finish(&mut self, case: u32, how: Terminal) {
        let subject = self.cases[case as usize].subject();
        self.record(&subject, Event::Ended(how));
        self.free.push(case);
    }

    /// Reports what happened to a case (see `record::Recorder` for what it counts).
    #[inline(always)]
    pub(crate) fn record(&mut self, subject: &Subject, event: Event) {
        self.recorder.record(self.year, subject, event);
        self.trace.event(self.day, subject.id, event);
    }

    /// A case's words for revisitable stages are refreshed when it comes back.
    pub(crate) fn revisit(&mut self, case: u32) {
        let c = &mut self.cases[case as usize];
        c.visits = c.visits.saturating_add(1);
        // Visit v reads blocks 2v-2 and 2v-1: every revisit gets numbers of its own.
        let v = c.visits as u32;
        let a = self.stream.revisit_words(c.id, 2 * v - 2);
        let b = self.stream.revisit_words(c.id, 2 * v - 1);
        let c = &mut self.cases[case as usize];
        c.w[slot::FIRST_REVISITABLE..slot::FIRST_REVISITABLE + 16].copy_from_slice(&a);
        c.w[slot::FIRST_REVISITABLE + 16..].copy_from_slice(&b);
    }

    /// Adds `n` sentenced prisoners for `term_days`; returns their release day.
    pub(crate) fn add_prisoners(&mut self, n: u32, term_days: u32) -> u32 {
        self.prisoners += n as i64;
        let release = self.day.saturating_add(term_days);
        if let Some(r) = self.releases.get_mut(release as usize) {
            *r += n;
        }
        release
    }

    /// Releases `n` prisoners early who were due out on `release_day`.
    pub(crate) fn cancel_release(&mut self, n: u32, release_day: u32) {
        self.prisoners -= n as i64;
        if let Some(r) = self.releases.get_mut(release_day as usize) {
            *r -= n;
        }
    }

    fn release_prisoners(&mut self, day: u32) {
        self.prisoners -= self.releases[day as usize] as i64;
    }

    /// Moves a detainee out of pre-trial detention (nothing if the accused is not detained).
    #[inline]
    pub(crate) fn leave_detention(&mut self, case: u32, why: Exit) {
        let c = &mut self.cases[case as usize];
        if !c.detained {
            return;
        }
        c.detained = false;
        self.pretrial -= c.defendants as i64;
        let subject = c.subject();
        self.record(&subject, Event::LeftDetention(why));
    }

    fn end_year(&mut self, year: usize) {
        self.recorder.year_end_stocks(year, self.prisoners, self.pretrial);
        for j in &mut self.agents.judges {
            j.reversals_year = 0;
        }
        self.defendants_sent_last_year = self.defendants_sent_this_year;
        self.defendants_sent_this_year = 0.0;
        self.jury_acquittals_last_year = std::mem::take(&mut self.jury_acquittals_this_year);
    }

    /// Between periods agents update what they expect: workloads from the cases they received,
    /// and judges' and procurators' beliefs from what happened to their decisions, blended with
    /// their province colleagues' experience.
    fn end_period(&mut self) {
        let l = &self.s.behaviour.learning;
        let per_year = DAYS_PER_YEAR as f64 / l.period_days as f64;
        let rate = l.rate;
        let target = if self.rules().total_registration { 1.0 } else { 0.0 };
        for c in &mut self.compliance {
            *c = compliance_step(*c, target, l.compliance_rate, l.compliance_imitation);
        }
        for (practice, seen) in self.release_practice.iter_mut().zip(&mut self.release_seen) {
            if seen[0] > 0 {
                *practice += l.practice_rate * (seen[1] as f64 / seen[0] as f64 - *practice);
            }
            *seen = [0; 2];
        }
        for inv in &mut self.agents.investigators {
            inv.load = (1.0 - rate) * inv.load + rate * inv.assigned as f64 * per_year;
            inv.assigned = 0;
        }
        let n_prov = self.s.provinces.len();
        // Work per investigator, pooled over the province's investigators.
        for ((work, worked), roster) in
            self.province_work.iter_mut().zip(&mut self.province_worked).zip(&self.agents.investigator_rosters)
        {
            let n = roster.len();
            if n > 0 {
                *work += l.workload_rate * (std::mem::take(worked) / n as f64 * per_year - *work);
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

/// Index of the dated entry in force on `day`, searching forward from the last one.
fn regime_index<T>(entries: &[crate::scenario::Dated<T>], day: u32, from: usize) -> usize {
    let mut i = from;
    while i + 1 < entries.len() && entries[i + 1].from_day <= day {
        i += 1;
    }
    debug_assert!(std::ptr::eq(&entries[i].value, in_force(entries, day)));
    i
}

/// The sequence numbers `[lo, hi)` of a year's `total` arrivals that fall on day-of-year `d`.
fn day_share(total: u32, d: u32) -> (u32, u32) {
    let lo = (total as u64 * d as u64 / DAYS_PER_YEAR as u64) as u32;
    let hi = (total as u64 * (d as u64 + 1) / DAYS_PER_YEAR as u64) as u32;
    (lo, hi)
}

/// Runs one seed of a scenario (preparing it first; to run many seeds, build a [`Model`] once).
pub fn simulate(s: &Scenario, master_seed: u64, run_index: u64) -> RunOutput {
    Model::new(s).simulate(master_seed, run_index)
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
