//! The world of one run: everything a run holds in memory, grouped by what it is for, and the
//! step loop that moves it day by day. What the stages may touch is in the named parts:
//! the calendar, the cases in flight, the stocks, the provinces' state, the jury news, the
//! defence's demand, and the recorder.

use super::agents::{Agents, VerdictMemory};
use super::arrivals::InflowCursor;
use super::calendar::{Calendar, Stage};
use super::case::CaseStore;
use super::dist::{TriageMixture, below_logistic, normal_quantile};
use super::draws::{RunStream, unit};
use super::stocks::Stocks;
use super::{Model, Prepared, RuleWords, RunOutput};
use crate::record::trace::{NoTrace, Tracer};
use crate::record::{Event, Recorder, Subject, Terminal};
use crate::scenario::{DAYS_PER_YEAR, Incentives, Rules, Scenario, Staff};
use crate::stages::investigation::share_from_all_reports;

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
    /// How far the chiefs have escalated the prison-population target's pressure, in units of
    /// the weight in force (0: not at all): it grows each period the population stays above
    /// the target level and eases while it is below (`escalate_prison_target`).
    pub(crate) prison_escalation: f64,
    /// The first amnesty of `Scenario::amnesties` not yet applied.
    next_amnesty: usize,
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
    /// The first day of the period after `clearance_key`'s (0: not computed yet).
    pub(crate) clearance_until: u32,
    /// The triage mixtures of the provinces' weights at the last recomputation of the
    /// clearance exponents, one per weight (`recompute_clearance_exponents`).
    pub(crate) triage_mixtures: Vec<TriageMixture>,
    /// The rules and incentives in force today (`calendar.rules`, `calendar.incentives`), set
    /// when the day moves on: a case reads them several times, and each lookup in the dated
    /// lists cost a bounds check and a multiplication (some 25 instructions a case).
    rules_in_force: &'s Rules,
    incentives_in_force: &'s Incentives,
    /// The rules' shares as counts of words (`Prepared::rule_words`), set with them.
    rule_words_in_force: &'s RuleWords,
}

/// What a province's officials share.
pub(crate) struct ProvinceState {
    /// What the closeness of the province's officials to one another (the procurator with the
    /// local police and with the judges: a standard normal score drawn once per run) does to
    /// each decision (log-odds), from `Traits::local_pull`: a
    /// close network settles more cases by reconciliation, and its judges acquit less and
    /// back more detention requests; the more outside checks a decision faces, the less the
    /// local tie moves it.
    pub reconciliation_shift: f64,
    pub detention_shift: f64,
    /// The closeness itself (standard normal score): an acquittal's shift depends on the
    /// checks it faces under today's rules and indicators (`stages::trial::acquittal_checks`).
    pub closeness: f64,
    /// How far officials' registration practice has moved towards total registration (0: hide
    /// what hurts the clearance rate; 1: register everything).
    pub compliance: f64,
    /// The share of its registered reports that come from all reports at that compliance
    /// (`stages::investigation::share_from_all_reports`), updated with it: every registered
    /// case reads it, and computing it there cost a division per case.
    pub from_all_reports: f64,
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
    /// The annualised reports per investigator that would be solved without overload (full
    /// investigations), smoothed like `work`: what her ceiling (`overtime_ceiling`) is set
    /// against.
    pub solvable: f64,
    /// This period's reports that would be solved without overload, cleared or triaged away.
    pub would_solve: f64,
    /// What the province's judges together remember of their verdicts' fate: the colleagues'
    /// experience each judge weighs beside her own.
    pub verdicts: VerdictMemory,
}

/// Reconciled single-judge cases judges saw this period, and how many of them were closed.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ReleasesSeen {
    pub reconciled: u32,
    pub closed: u32,
}

/// Defendants tried and acquitted by juries in the whole country this year, and the juries'
/// acquittal rate as the country has come to know it over the years: what the accused hear of
/// juries, and what the Procuracy answers.
#[derive(Default)]
pub(crate) struct JuryNews {
    pub tried_this_year: u32,
    pub acquitted_this_year: u32,
    /// Smoothed acquittal rate of juries in past years (0 before any jury sat).
    pub known_rate: f64,
}

/// Defendants sent to court this year and last year, for the defence's coverage.
#[derive(Default)]
pub(crate) struct DefenceDemand {
    pub sent_this_year: f64,
    pub sent_last_year: f64,
}

impl JuryNews {
    /// The year's rate joins the known one (`memory` of the old carries over); a year with no
    /// jury verdicts brings no news.
    pub fn new_year(&mut self, memory: f64) {
        let (tried, acquitted) =
            (std::mem::take(&mut self.tried_this_year), std::mem::take(&mut self.acquitted_this_year));
        if tried > 0 {
            self.known_rate = memory * self.known_rate + (1.0 - memory) * acquitted as f64 / tried as f64;
        }
    }
}

impl DefenceDemand {
    pub fn new_year(&mut self) {
        self.sent_last_year = self.sent_this_year;
        self.sent_this_year = 0.0;
    }

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
                let closeness = normal_quantile(unit(stream.province_words(p)[0]));
                ProvinceState {
                    reconciliation_shift: t.local_pull(t.checks_on_reconciliation) * closeness,
                    detention_shift: t.local_pull(t.checks_on_detention) * closeness,
                    closeness,
                    compliance,
                    from_all_reports: share_from_all_reports(compliance, prep.selected_share),
                    release_practice: 0.0,
                    releases_seen: ReleasesSeen::default(),
                    work: s.behaviour.investigation.capacity,
                    worked: 0.0,
                    solvable: s.behaviour.investigation.capacity,
                    would_solve: 0.0,
                    verdicts: VerdictMemory::default(),
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
            prison_escalation: 0.0,
            next_amnesty: 0,
            defence_demand: DefenceDemand::default(),
            recorder: Recorder::new(s.calendar.n_years(), s.provinces.len()),
            trace,
            inflow: InflowCursor::default(),
            clearance_key: (usize::MAX, 0),
            clearance_until: 0,
            triage_mixtures: Vec::new(),
            rules_in_force: &s.rules[0].value,
            rule_words_in_force: &prep.rule_words[0],
            incentives_in_force: &s.incentives[0].value,
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
            let staff_changed = self.calendar.advance(self.s, day);
            // Everything recorded today counts in today's year (`Recorder::turn_to`).
            self.recorder.turn_to(self.calendar.year);
            let term_scale_before = self.rules_in_force.term_scale;
            self.rules_in_force = &self.s.rules[self.calendar.rules].value;
            if self.rules_in_force.term_scale < term_scale_before {
                self.shorten_terms(day, self.rules_in_force.term_scale / term_scale_before);
            }
            self.apply_amnesties(day);
            self.hear_paroles(day);
            self.rule_words_in_force = &self.prep.rule_words[self.calendar.rules];
            self.incentives_in_force = &self.s.incentives[self.calendar.incentives].value;
            if staff_changed {
                self.restaff();
            }
            if day > 0 && day % period == 0 {
                self.end_period(day / period);
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
            prisoners_due_later: self.stocks.due_after(n_days.saturating_sub(1)),
        };
        (out, self.trace)
    }

    /// The rules in force today.
    pub(crate) fn rules(&self) -> &'s Rules {
        self.rules_in_force
    }

    /// The rules' shares in force today as counts of words.
    pub(crate) fn rule_words(&self) -> &'s RuleWords {
        self.rule_words_in_force
    }

    /// The incentives in force today.
    pub(crate) fn incentives(&self) -> &'s Incentives {
        self.incentives_in_force
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
    ///
    /// Inlined into the day loop, as are the stages' `sentence`, `appeal_or_end` and
    /// `career_costs` (`#[inline(always)]` there too): LLVM chose this on its own, and changes
    /// elsewhere (a smaller `choose`, one `powf` more in a learning step) tipped its budget so
    /// that all four went out of line, some 45 M instructions more a national run. Pinned, the
    /// build is the one LLVM chose, whatever such changes do to its estimates.
    #[inline(always)]
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
        debug_assert_eq!(self.recorder.open_year(), self.calendar.year);
        self.recorder.record_in_open_year(subject, event);
        self.trace.event(self.calendar.day, subject.id, event);
    }

    /// How hard the prison-population target pushes now, in units of the procurators' prison
    /// weight: the weight in force times the gap between the prison population (sentenced and
    /// pre-trial) and the target level ([`Self::prison_gap`], bounded to [0, 1]) plus what the
    /// chiefs have added for the years it was missed (`prison_escalation`); the full weight
    /// where the scenario sets no level.
    pub(crate) fn prison_pressure(&self) -> f64 {
        let w = self.incentives().procurator.prison_target;
        match self.prison_gap() {
            None => w,
            Some(gap) => w * (gap.clamp(0.0, 1.0) + self.prison_escalation),
        }
    }

    /// The prison population's distance above the target level in force, as a share of
    /// `prison_gap_scale` x the level (negative below it); `None` where no level is set.
    fn prison_gap(&self) -> Option<f64> {
        let level = self.incentives().prison_population_target?;
        let stock = (self.stocks.prisoners + self.stocks.pretrial) as f64;
        Some((stock - level) / (level * self.s.behaviour.procurator.prison_gap_scale))
    }

    /// Between periods: a target missed is a target the chiefs press harder. The Procurator
    /// General reports on the prison population to the President (BRIEF), so each period the
    /// population stays above the level adds `prison_escalation` (a rate a year) times the gap
    /// (bounded to [-1, 1]) to the pressure, and each period below takes it off, never below
    /// none: a feedback on the level itself, where the gap alone stops pushing harder once the
    /// population is `prison_gap_scale` above it.
    fn escalate_prison_target(&mut self) {
        let rate = self.s.behaviour.procurator.prison_escalation;
        if rate == 0.0 {
            return;
        }
        if let Some(gap) = self.prison_gap() {
            let years = self.s.behaviour.learning.period_days as f64 / DAYS_PER_YEAR as f64;
            self.prison_escalation = (self.prison_escalation + rate * years * gap.clamp(-1.0, 1.0)).max(0.0);
        }
    }

    /// A milder code comes in on `day`: it applies to those already serving (the Criminal
    /// Code's rule for a law that lessens punishment), so every prisoner's remaining term
    /// shrinks by `ratio` (a case under appeal finds its prisoners' new day in the stock).
    fn shorten_terms(&mut self, day: u32, ratio: f64) {
        self.stocks.shorten_terms(day, ratio);
    }

    /// The amnesties of `day`, in order: each cuts the terms of the prisoners it covers
    /// (`Stocks::amnesty`); those it frees are counted in the day's year.
    fn apply_amnesties(&mut self, day: u32) {
        while let Some(act) = self.s.amnesties.get(self.next_amnesty).filter(|a| a.day == day) {
            let freed = self.stocks.amnesty(day, &act.clauses);
            self.recorder.amnestied(freed);
            self.next_amnesty += 1;
        }
    }

    /// The parole hearings of `day`: the court grants parole with log-odds `parole_logit` plus
    /// `parole_target_response` times the prison pressure now (the procurator, answering to
    /// the target, stops opposing releases); those paroled go out at the end of the day.
    fn hear_paroles(&mut self, day: u32) {
        let due = self.stocks.take_hearings(day);
        if due.is_empty() {
            return;
        }
        let sb = &self.s.behaviour.sentencing;
        let x = sb.parole_logit + sb.parole_target_response * self.prison_pressure();
        let mut paroled = 0;
        for (cohort, word) in due {
            if below_logistic(unit(word), x) {
                paroled += self.stocks.parole(cohort, day);
            }
        }
        self.recorder.paroled(paroled);
    }

    /// Reports what happened to an official outside any case (a dismissal between periods).
    pub(crate) fn record_official(&mut self, province: u16, event: Event) {
        self.recorder.turn_to(self.calendar.year);
        self.recorder.record_in_open_year(&Subject::official(province), event);
    }

    /// Ends a case: records its terminal state and frees its slot.
    #[inline]
    pub(crate) fn finish(&mut self, case: u32, how: Terminal) {
        let subject = self.cases[case].subject();
        self.record(&subject, Event::Ended(how));
        self.cases.remove(case);
    }

    /// A case that comes back to a stage reads new words in the revisitable slots: those of
    /// its next visit (see `Case::u`), so every revisit gets numbers of its own.
    pub(crate) fn revisit(&mut self, case: u32) {
        let c = &mut self.cases[case];
        c.visits = c.visits.saturating_add(1);
    }

    fn end_year(&mut self, year: usize) {
        self.recorder.year_end_stocks(year, self.stocks.prisoners, self.stocks.pretrial);
        self.new_monitoring_year();
        self.defence_demand.new_year();
        self.jury_news.new_year(self.s.behaviour.trial.jury_news_memory);
    }

    /// Between periods agents update what they expect, each beside the stage it belongs to.
    /// Each step reads only what it updates (and the period's observations), so the order is
    /// a convention; it is this one:
    /// 1. registration practice moves towards the rule in force (`stages::investigation`);
    /// 2. judges' release practice follows what colleagues did with reconciled cases
    ///    (`stages::trial`);
    /// 3. investigators' workloads and their provinces' work per investigator
    ///    (`stages::investigation`);
    /// 4. judges' workloads and beliefs about reversals, and their budgets (`stages::trial`);
    /// 5. procurators' beliefs about acquittals, and their budgets of reviews (`stages::procurator`);
    /// 6. appellate judges' budgets of appeals renew (`stages::appeal`);
    /// 7. reversals of judges' other caseload go on their records (`stages::appeal`), which
    ///    under monitoring may dismiss some; `period` numbers the period that starts now;
    /// 8. the chiefs press the prison-population target harder if it is missed.
    fn end_period(&mut self, period: u32) {
        self.learn_registration();
        self.learn_release_practice();
        self.learn_investigation_workloads();
        self.learn_judges();
        self.learn_acquittal_beliefs();
        self.renew_appellate_budgets();
        self.background_reversals(period);
        self.escalate_prison_target();
    }
}
