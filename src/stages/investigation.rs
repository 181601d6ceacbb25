//! Investigation: a crime is registered and an investigator works it. The investigator decides
//! (by her incentives, workload and traits) whether a suspect is found, holds the suspect in
//! police custody, may coerce a confession, asks for detention, may lower a charge so that
//! reconciliation becomes legal, and may steer the parties to reconcile. A coerced suspect's
//! complaint of torture starts here too.
//!
//! It also owns what investigators learn between periods: their workloads, the work per
//! investigator in each province, and how far officials comply with total registration; and
//! the effort model those feed (each investigator's clearance exponent).

use super::common::{REFERENCE_GRAVITY, REFERENCE_LOAD, bargain_of_logs, gravity_scale, pick_cdf, pick_in_word};
use super::law::reconciliation_eligibility;
use crate::engine::agents::ClearInputs;
use crate::engine::dist::{
    TriageMixture, TriageTable, at_least_pow, at_least_pow_within, below_logistic, below_logistic_of_pow,
    below_scaled_logistic, exp_days, logistic, logit,
};
use crate::engine::draws::{CaseId, Source};
use crate::engine::{Case, Stage, World, slot};
use crate::record::event::Torture;
use crate::record::recorder::counts_case;
use crate::record::trace::{CaseFacts, Decider, Decision, Role, Term, Tracer, case_details, case_facts};
use crate::record::{Event, Subject, Terminal};
use crate::scenario::{
    DAYS_PER_YEAR, DetentionApprover, Eligibility, Gravity, ProcuratorBehaviour, Rules, TortureBehaviour,
};

/// What a trait adds to its base: an investigator of no diligence still works, and one of no
/// venality still leans on a victim, at half the reference (a trait of 0.5, the middle of its
/// range, gives the reference 1). Fixed because the scale of the trait's distribution is the
/// scenario's to set.
const HONEST_SHARE: f64 = 0.5;

/// The published `detention.short_custody_share` counts stays in police custody of at most 48
/// hours: a reporting definition of the source, not a decision (the legal limit is the rule
/// `police_custody_hours`).
pub(crate) const SHORT_CUSTODY_HOURS: f64 = 48.0;

/// The delay exponent (`days_load_exponent`) at which the stretch is computed as `sqrt`, which
/// is correctly rounded, rather than `powf(0.5)`, which may differ in the last bit: runs made
/// when the delay was a fixed square root keep their outputs to the bit.
const SQUARE_ROOT: f64 = 0.5;

/// The work of one full investigation: the unit in which `unsolved_work`, `reconcile_work` and
/// `detained_work` are scenario keys, so it is 1 by definition, not a parameter.
const FULL_INVESTIGATION: f64 = 1.0;

impl<T: Tracer> World<'_, T> {
    /// A crime is registered (public prosecution, or a criminal misdemeanour). Returns the
    /// episodes (registered criminal cases) it joins, at most `max_episodes`.
    pub(crate) fn register(&mut self, id: CaseId, source: Source, max_episodes: u32) -> u32 {
        let draws = self.stream.case_draws(id);
        let s = self.s;
        let crime = &s.crime;
        let u = |k: usize| draws.u(0, k);
        // What registration and the clearance decision need; the rest of the case is drawn
        // only once a suspect is found (about half the cases end here).
        let kind = self.prep.kind_cdf.pick_word(draws.word(0, slot::KIND));
        let k = &crime.kinds[kind];
        let province = self.prep.province_cdf.pick_word(draws.word(0, slot::PROVINCE));
        let counted = counts_case(source, self.rules());
        let episodes = if source == Source::Misdemeanour {
            1
        } else {
            (1 + self.prep.extra_episodes.sample_word(draws.word(0, slot::EPISODES))).min(max_episodes)
        };
        // What the recorder knows of the report before a suspect is found.
        let report = Subject {
            id,
            province: province as u16,
            episodes: episodes as u8,
            defendants: 0,
            counted,
            jobless: false,
            private: false,
        };
        self.trace.facts(self.calendar.day, id, || CaseFacts {
            source,
            kind: Some(kind as u8),
            province: province as u16,
            episodes: episodes as u8,
            details: None,
        });
        self.record(&report, Event::Registered);
        let investigator = pick_in_word(&self.agents.investigator_rosters[province], draws.word(0, slot::INVESTIGATOR));
        self.refresh_clearance_exponents();
        let inv = &mut self.agents.investigators[investigator as usize];
        inv.assigned += episodes;
        // The caseload her choices answer saturates at `load_ratio_ceiling` times her capacity:
        // past it she is as pressed as she can be, so ever more reports do not push ever more
        // of them to cheap ends (a response linear in the load would, in the end, leave no
        // case investigated at all: throughput would fall as inflow rises).
        let load = inv.load.min(s.behaviour.investigation.capacity * s.behaviour.investigation.load_ratio_ceiling);
        let (venality, clear_exponent, clear_slack) = (inv.venality, inv.clear_exponent, inv.clear_slack);
        let clear_inputs = inv.clear_inputs;
        let investigator_uid = inv.uid;

        // Under total registration officials register reports they used to shelve, some with no
        // crime behind them; the procurator closes those on exonerating grounds. Those who comply
        // (the share `compliance`) register such a report the more readily the less time their
        // caseload leaves to check it first.
        let bi = &s.behaviour.investigation;
        let compliance = self.provinces[province].compliance;
        if compliance > 0.0 {
            let busy = bi.baseless_load * (load / bi.capacity - REFERENCE_LOAD);
            // Computed only for the story: the decision screens it (`below_logistic`).
            let chance = move || compliance * logistic(bi.baseless_logit + busy);
            let draw = u(slot::BASELESS);
            self.trace.decision(self.calendar.day, id, move || {
                let by = Decider { role: Role::Investigator, uid: Some(investigator_uid), province: province as u16 };
                Decision::chance("investigation", "register a baseless report", by, &["register", "no"], chance(), draw)
                    .with_terms(vec![
                        Term::part(0, "a complying official's leaning to register unchecked", bi.baseless_logit),
                        Term::part(0, "her caseload (above her capacity)", busy),
                        // Only the officials complying with total registration (the share
                        // `compliance`) register such reports: what the others take off.
                        Term::part(
                            0,
                            "the officials not yet complying with total registration",
                            logit(chance()) - (bi.baseless_logit + busy),
                        ),
                    ])
            });
            if below_scaled_logistic(draw, compliance, bi.baseless_logit + busy) {
                self.add_work(province, episodes, s.behaviour.investigation.unsolved_work);
                self.record(&report, Event::ClosedBaseless);
                self.record(&report, Event::Ended(Terminal::ClosedBaseless));
                return episodes;
            }
        }

        // Clearance: a suspect is found with the case's solvability; an investigator whose
        // caseload exceeds what her effort covers triages, dropping hard cases first (see
        // `Investigator::clear_exponent`).
        // One uniform picks the part of the mixture and the quantile within it.
        // Without total registration (a weight of 0, +-) every case is from the selected part
        // at (us - 0) / (1 - 0), which is us exactly: the table's sample from the word
        // (`BetaTable::sample_word`, the same to the bit) without the division and conversion.
        let w_all = self.share_from_all_reports(province);
        let us = u(slot::SOLVABILITY);
        let drawn = if w_all == 0.0 {
            self.prep.solvability_selected.sample_word(draws.word(0, slot::SOLVABILITY))
        } else if us < w_all {
            self.prep.solvability.sample(us / w_all)
        } else {
            self.prep.solvability_selected.sample((us - w_all) / (1.0 - w_all))
        };
        let solvability = (drawn + k.solvability_shift).clamp(0.0, 1.0);
        // p_clear = s^e with e >= 1 (`TriageTable::exponent`) never exceeds s, nor does libm's
        // `powf` of s in [0, 1] (within an ulp of the true value, which is below s): a draw at
        // or above s is unsolved whatever the exponent, so `powf` is needed only below s.
        let (triage, elasticity) = (&self.prep.triage, bi.overload_elasticity);
        let p_clear = move || {
            let e = if clear_slack == 0.0 {
                clear_exponent
            } else {
                exact_clear_exponent(triage, elasticity, clear_inputs)
            };
            if e == 1.0 { solvability } else { solvability.powf(e) }
        };
        let draw = u(slot::CLEAR);
        self.trace.decision(self.calendar.day, id, move || {
            let by = Decider { role: Role::Investigator, uid: Some(investigator_uid), province: province as u16 };
            Decision::chance("investigation", "find a suspect", by, &["found", "unsolved"], p_clear(), draw)
        });
        if draw < solvability {
            self.provinces[province].would_solve += episodes as f64;
        }
        // `at_least_pow` is `draw >= solvability.powf(clear_exponent)`, mostly without the `powf`;
        // a screened exponent (`clear_slack` > 0) decides through `at_least_pow_within`, and
        // where that cannot tell, the exact exponent is computed and kept.
        let unsolved = draw >= solvability
            || if clear_slack == 0.0 {
                clear_exponent != 1.0 && at_least_pow(draw, solvability, clear_exponent)
            } else {
                match at_least_pow_within(draw, solvability, clear_exponent, clear_slack) {
                    Some(unsolved) => unsolved,
                    None => self.unsolved_at_exact_exponent(investigator, draw, solvability),
                }
            };
        if unsolved {
            // Coverage compares capacity with the work the caseload asks for: a report that
            // would be solved without overload needs a full investigation even when triage
            // drops it; one that would not takes only `unsolved_work`.
            let needed = if draw < solvability { FULL_INVESTIGATION } else { s.behaviour.investigation.unsolved_work };
            self.add_work(province, episodes, needed);
            self.record(&report, Event::Ended(Terminal::Unsolved));
            return episodes;
        }
        self.record(&report, Event::Cleared);

        let gravity = if source == Source::Misdemeanour {
            Gravity::Minor
        } else {
            Gravity::ALL[pick_cdf(&self.prep.gravity_cdf[kind], u(slot::GRAVITY))]
        };
        // Fixed shares compare the word itself (`BelowUnit`: the same as `u(slot) < share`).
        let prep = self.prep;
        let word = |k: usize| draws.word(0, k);
        let jobless = prep.jobless.holds(word(slot::JOBLESS));
        let mut case = Case {
            kind: kind as u8,
            gravity,
            episodes: episodes as u8,
            defendants: 1 + prep.extra_defendants.sample_word(word(slot::DEFENDANTS)) as u8,
            juvenile: prep.juvenile.holds(word(slot::JUVENILE)),
            first_offence: prep.first_offence.holds(word(slot::FIRST_OFFENCE)),
            jobless,
            dangerous: gravity == Gravity::EspeciallyGrave && prep.dangerous[kind].holds(word(slot::DANGEROUS)),
            death: k.negligence && prep.death[kind].holds(word(slot::DEATH)),
            // Means and demand are drawn now (`slot::MEANS`, `slot::DEMAND`) but computed only
            // if a bargain reads them (`Case::means_and_demand`).
            demand_gravity: Some(gravity),
            evidence: prep.evidence.sample_word(word(slot::EVIDENCE)),
            investigator,
            procurator: pick_in_word(&self.agents.procurator_rosters[province], word(slot::PROCURATOR)),
            ..Case::arriving(id, draws, source, province as u16, counted)
        };
        let b = &s.behaviour.investigation;
        let w_inv = &self.incentives().investigator;
        let load_ratio = load / b.capacity;

        // Police custody before any court order.
        let rules = self.rules();
        let mut in_custody = prep.custody[gravity.index()].holds(word(slot::CUSTODY));
        if in_custody {
            // Hours held: police_custody_hours * u^custody_hours_shape; only whether they are
            // within 48 is recorded, which `scaled_pow_at_most` tells mostly without the `powf`,
            // and the rules entry's counts of words (`PowAtMostWords`) mostly without either.
            let within_48_hours = self.rule_words().custody_within_48_hours.holds(word(slot::CUSTODY_HOURS));
            self.record(&case.subject(), Event::HeldInCustody { within_48_hours });
            // The procurator checks the grounds for arrest and releases where they are lacking,
            // less readily while he approves the detention himself (`custody_release_chance`,
            // fixed by the rules in force: compared as a count of words, `RuleWords`).
            if case.evidence < s.behaviour.procurator.custody_grounds_threshold
                && self.rule_words().custody_release.holds(word(slot::CUSTODY_RELEASE))
            {
                in_custody = false;
                self.record(&case.subject(), Event::ReleasedFromCustody);
            }
        }

        // Coercion: pressure to clear (the clearance weight times the caseload) pushes
        // investigators to extract confessions from suspects they hold, as long as a confession
        // to the police counts as evidence; where it does not, the pressure gains them nothing.
        if in_custody {
            let pays = if rules.police_confessions_admissible { 1.0 } else { 0.0 };
            let x = b.coercion_logit + pays * b.coercion_pressure * w_inv.clearance * load_ratio + venality;
            if below_logistic(u(slot::COERCE), x) {
                case.coerced = true;
                if rules.police_confessions_admissible {
                    case.evidence = (case.evidence + b.confession_evidence).min(1.0);
                }
                self.torture_complaint(&case);
            }
        }

        // Detention request, then the procurator's and the approver's decisions.
        let economic_barred = k.economic && !rules.economic_detention_allowed;
        if in_custody && !economic_barred {
            let shift = self.provinces[province].detention_shift;
            let prison_target = self.prison_pressure();
            let x = b.detention_request_logit[gravity.index()] + b.detention_ease * w_inv.sent_to_court
                - b.prison_target_response * prison_target
                + shift;
            // Where the code makes detention mandatory the investigator must ask.
            let mandatory =
                self.rule_words().mandatory_detention[gravity.index()].holds(word(slot::DETENTION_MANDATORY));
            if mandatory || below_logistic(u(slot::DETENTION_REQUEST), x) {
                self.decide_detention(&mut case);
            }
        }

        // Reclassification: a venal investigator lowers a grave charge to medium gravity where
        // that makes reconciliation legal.
        if case.gravity == Gravity::Grave && reconciliation_eligibility(s, rules, &case) == Eligibility::Banned {
            let mut lowered = case.clone();
            lowered.gravity = Gravity::Medium;
            if reconciliation_eligibility(s, rules, &lowered) != Eligibility::Banned
                && below_logistic(u(slot::RECLASSIFY), b.reclassify_logit + b.reclassify_venality * venality)
            {
                case.gravity = Gravity::Medium;
            }
        }

        // Steering to reconciliation before trial: far less work than a full investigation, and
        // a venal investigator takes a cut; it costs a case sent to court, and pays when the
        // procurator counts closures. From 2015 the investigating body must offer it.
        let eligible = reconciliation_eligibility(s, rules, &case);
        if rules.reconciliation.pretrial && eligible != Eligibility::Banned {
            let w_proc = &self.incentives().procurator;
            let shift = self.provinces[province].reconciliation_shift;
            // The saving is load_ratio^reconcile_load_exponent; `below_logistic_of_pow` decides
            // mostly without computing it (x is monotone in it).
            let x = |saving: f64| {
                b.reconcile_logit + b.reconcile_effort_saving * saving + b.reconcile_venality_gain * venality
                    - w_inv.sent_to_court
                    + b.reconcile_closure_response * w_proc.nonrehab_closures
                    + shift
            };
            let offered = rules.reconciliation.investigator_duty
                || below_logistic_of_pow(u(slot::STEER), load_ratio, b.reconcile_load_exponent, x);
            let pressure = s.behaviour.trial.official_pressure * (HONEST_SHARE + venality);
            // The local network leans on the victim as it does at trial.
            if offered && bargain_of_logs(case.ln_means_and_demand(crime), pressure, shift) {
                case.reconciled_pretrial = true;
            }
        }

        // A case settled by reconciliation is far less work than a full investigation, and a
        // suspect held in detention makes a case easier to complete.
        let work = if case.reconciled_pretrial {
            b.reconcile_work
        } else if case.detained {
            b.detained_work
        } else {
            FULL_INVESTIGATION
        };
        self.add_work(province, episodes, work);

        self.trace
            .facts(self.calendar.day, id, || CaseFacts { details: Some(case_details(&case)), ..case_facts(&case) });
        // Above capacity the work is delayed, not lost: the investigation stretches with the
        // caseload ratio (`days_load_exponent`; `sqrt` where it is 1/2, exact where `powf`
        // may differ in the last bit).
        let busy = load_ratio.max(1.0);
        let stretch = if b.days_load_exponent == SQUARE_ROOT { busy.sqrt() } else { busy.powf(b.days_load_exponent) };
        let days = exp_days(b.days_mean * stretch, u(slot::INVESTIGATION_DAYS));
        // The code limits detention during an investigation: a detainee's case is finished
        // within it, whatever the caseload (extensions are the exception, not modelled).
        let days = if case.detained { days.min(rules.custody_investigation_days) } else { days };
        let episodes = case.episodes as u32;
        let index = self.cases.insert(case);
        self.calendar.schedule(index, Stage::ProcuratorReview, days);
        episodes
    }

    /// The share of a province's registered cases that officials register only because they
    /// comply with total registration, drawn from all reports; the rest are those they would
    /// register anyway, drawn from the solvable ones. A report is registered with chance
    /// c + (1 - c) s^k at compliance c, so the share is c / (c + (1 - c) E[s^k]).
    /// Kept with the compliance it follows (`ProvinceState::from_all_reports`): it is read for
    /// every registered case and changes only between periods.
    #[inline]
    fn share_from_all_reports(&self, province: usize) -> f64 {
        self.provinces[province].from_all_reports
    }

    /// Recomputes the investigators' clearance exponents when their inputs changed: a new
    /// period (workloads) or a new incentive regime (the clearance weight).
    /// Called for every registered case, so the check is inlined and the recomputation (once a
    /// period) kept out of line: as one function, every call paid its prologue and epilogue.
    /// The check compares today with the first day of the next period (`clearance_until`)
    /// rather than dividing the day by the period's length for every case: days only move
    /// forward, so the period changes exactly when that day is reached.
    #[inline]
    pub(crate) fn refresh_clearance_exponents(&mut self) {
        if self.calendar.day >= self.clearance_until || self.calendar.incentives != self.clearance_key.0 {
            self.recompute_clearance_exponents();
        }
    }

    #[cold]
    #[inline(never)]
    fn recompute_clearance_exponents(&mut self) {
        let period_days = self.s.behaviour.learning.period_days;
        let period = self.calendar.day / period_days;
        self.clearance_key = (self.calendar.incentives, period);
        self.clearance_until = period.saturating_add(1).saturating_mul(period_days);
        let b = &self.s.behaviour.investigation;
        let w_clearance = self.incentives().investigator.clearance;
        // Per province, the triage table at its mixture weight (`TriageTable::exponent`, with
        // what the province's investigators share computed once). A mixture is a function of
        // the table and the weight alone (`TriageMixture::is_for`), so provinces of the same
        // weight share one, and a weight of the last recomputation keeps its mixture and the
        // logarithms computed in it: the same exponents. The provinces' weights move together
        // (all from one compliance path), and stay 0 until total registration: about one
        // mixture a period instead of one per province, and none before total registration.
        let triage = &self.prep.triage;
        let weights: Vec<f64> = (0..self.s.provinces.len()).map(|p| self.share_from_all_reports(p)).collect();
        let mut kept = std::mem::take(&mut self.triage_mixtures);
        let mut mixtures: Vec<TriageMixture> = Vec::new();
        let mixture_of: Vec<usize> = weights
            .iter()
            .map(|&w| {
                if let Some(i) = mixtures.iter().position(|m| m.is_for(w)) {
                    return i;
                }
                let mixture = match kept.iter().position(|m| m.is_for(w)) {
                    Some(i) => kept.swap_remove(i),
                    None => triage.mixture(w),
                };
                mixtures.push(mixture);
                mixtures.len() - 1
            })
            .collect();
        for inv in &mut self.agents.investigators {
            let effort = (HONEST_SHARE + inv.diligence) * (1.0 + b.clearance_effort * w_clearance);
            let province = &self.provinces[inv.province as usize];
            let coverage = (b.capacity * effort / province.work.max(1.0)).min(1.0);
            // The share of what she would clear unloaded: coverage^elasticity, but never more
            // cases than her ceiling (`overtime_ceiling` times her nominal work), however many
            // solvable reports come in.
            let ceiling = b.overtime_ceiling * b.capacity * effort / province.solvable.max(1.0);
            let p = inv.province as usize;
            inv.clear_inputs = ClearInputs { coverage, ceiling, w_all: weights[p] };
            // Screened where the screen's bound is tight enough (`screened_exponent`); the
            // decision reads it through `at_least_pow_within`. Otherwise the exact exponent.
            (inv.clear_exponent, inv.clear_slack) =
                match mixtures[mixture_of[p]].screened_exponent(coverage, b.overload_elasticity, ceiling) {
                    Some(screened) => screened,
                    None => {
                        // pow(1, y) is 1 for every y (NaN too; IEEE 754 and C's pow): an
                        // unloaded investigator's share without the call (a quarter of them).
                        let unloaded = if coverage == 1.0 { 1.0 } else { coverage.powf(b.overload_elasticity) };
                        let cleared_share = unloaded.min(ceiling);
                        (mixtures[mixture_of[p]].exponent(cleared_share), 0.0)
                    }
                };
        }
        self.triage_mixtures = mixtures;
    }

    /// The clearance decision where the screened exponent could not tell: the exponent as
    /// `recompute_clearance_exponents` computes it without the screen (the same inputs and
    /// arithmetic, `exact_clear_exponent`), kept for the investigator's other cases this period.
    #[cold]
    #[inline(never)]
    fn unsolved_at_exact_exponent(&mut self, investigator: u32, draw: f64, solvability: f64) -> bool {
        let elasticity = self.s.behaviour.investigation.overload_elasticity;
        let inv = &mut self.agents.investigators[investigator as usize];
        let e = exact_clear_exponent(&self.prep.triage, elasticity, inv.clear_inputs);
        (inv.clear_exponent, inv.clear_slack) = (e, 0.0);
        e != 1.0 && at_least_pow(draw, solvability, e)
    }

    /// Between periods: registration practice moves, province by province, towards the rule
    /// in force (see `compliance_step`).
    pub(crate) fn learn_registration(&mut self) {
        let l = &self.s.behaviour.learning;
        let target = if self.rules().total_registration { 1.0 } else { 0.0 };
        for p in &mut self.provinces {
            p.compliance = compliance_step(p.compliance, target, l.compliance_rate, l.compliance_imitation);
            p.from_all_reports = share_from_all_reports(p.compliance, self.prep.selected_share);
        }
    }

    /// Between periods: investigators' expected caseloads follow the episodes they were given,
    /// and each province's work per investigator the work its cases asked for, pooled over
    /// the province's investigators (they share the department's pile).
    pub(crate) fn learn_investigation_workloads(&mut self) {
        let l = &self.s.behaviour.learning;
        let per_year = DAYS_PER_YEAR as f64 / l.period_days as f64;
        let rate = l.rate;
        for inv in &mut self.agents.investigators {
            inv.load = (1.0 - rate) * inv.load + rate * inv.assigned as f64 * per_year;
            inv.assigned = 0;
        }
        for (p, roster) in self.provinces.iter_mut().zip(&self.agents.investigator_rosters) {
            let n = roster.len();
            if n > 0 {
                p.work += l.workload_rate * (std::mem::take(&mut p.worked) / n as f64 * per_year - p.work);
                p.solvable += l.workload_rate * (std::mem::take(&mut p.would_solve) / n as f64 * per_year - p.solvable);
            }
        }
    }

    /// Books `units` of a full investigation's work per episode to the province's pile; its
    /// investigators' clearance exponents follow the work, updated between periods.
    fn add_work(&mut self, province: usize, episodes: u32, units: f64) {
        self.provinces[province].worked += episodes as f64 * units;
    }

    /// A coerced suspect may complain; officials register the complaint (the more readily the
    /// further their practice has moved towards total registration, the less the more they are
    /// scored on clearance); the procurator opens a case on some, settles or sends some to court.
    fn torture_complaint(&mut self, case: &Case) {
        let t = &self.s.behaviour.torture;
        let u = |k: usize| case.u(k);
        let day = self.calendar.day;
        // `complaint_chance` of the scenario's intercept, kept by gravity (`Prepared`).
        let (chance, draw) = (self.prep.complaint_investigation[case.gravity.index()], u(slot::COMPLAIN));
        let accused = Decider { role: Role::Defendant, uid: None, province: case.province };
        let gravity = case.gravity;
        self.trace.decision(day, case.id, move || {
            complaint_decision("investigation", t, t.complain_investigation_logit, gravity, accused, chance, draw)
        });
        if draw >= chance {
            return;
        }
        let inc = self.incentives();
        let procurator = Decider {
            role: Role::Procurator,
            uid: self.agents.procurators.get(case.procurator as usize).map(|p| p.uid),
            province: case.province,
        };
        // Officials register complaints as far as their practice has moved towards total
        // registration (gradually, after non-registration became a crime): the share who
        // comply register as the rule asks, the others at their discretion; both register a
        // complaint against a colleague the less readily the more the clearance it threatens
        // counts for them.
        let complying = self.provinces[case.province as usize].compliance.powf(t.register_reluctance);
        let clearance = t.register_clearance_response * inc.investigator.clearance;
        let p_discretionary = logistic(t.register_discretionary_logit - clearance);
        let p_total = logistic(t.register_total_logit - clearance);
        let p_register = p_discretionary + complying * (p_total - p_discretionary);
        let draw = u(slot::COMPLAINT_REGISTERED);
        let w_clearance = inc.investigator.clearance;
        self.trace.decision(day, case.id, move || {
            Decision::chance(
                "investigation",
                "register a torture complaint",
                procurator,
                &["register", "shelve"],
                p_register,
                draw,
            )
            .with_terms(vec![
                Term::part(0, "officials' leaning to register, at their discretion", t.register_discretionary_logit),
                Term::weighted(0, "the clearance it threatens", "investigator.clearance", w_clearance, -clearance),
                // The officials complying with total registration (the share `complying`)
                // register as the rule asks: what they add to the log-odds.
                Term::part(
                    0,
                    "the officials complying with total registration",
                    logit(p_register) - logit(p_discretionary),
                ),
            ])
        });
        if draw >= p_register {
            return;
        }
        let subject = case.subject();
        self.record(&subject, Event::TortureComplaint(Torture::Registered));
        // Registering everything adds complaints that officials would have shelved as
        // unsubstantiated: opening a case needs substance, so the number opened does not grow
        // with registration (the share of registered complaints with substance is the
        // discretionary chance over the registration chance).
        let substance = (p_discretionary / p_register).min(1.0);
        let convictions = t.open_case_conviction_response * inc.procurator.convictions;
        let p_open = substance * logistic(t.open_case_logit - convictions);
        let draw = u(slot::COMPLAINT_OPENED);
        let w_convictions = inc.procurator.convictions;
        self.trace.decision(day, case.id, move || {
            Decision::chance("investigation", "open a torture case", procurator, &["open", "refuse"], p_open, draw)
                .with_terms(vec![
                    Term::part(0, "procurators' leaning to open a case of substance", t.open_case_logit),
                    Term::part(
                        0,
                        "the complaints without substance that registration adds",
                        logit(p_open) - (t.open_case_logit - convictions),
                    ),
                    Term::weighted(
                        0,
                        "the conviction the confession props up",
                        "procurator.convictions",
                        w_convictions,
                        -convictions,
                    ),
                ])
        });
        if draw >= p_open {
            return;
        }
        self.record(&subject, Event::TortureComplaint(Torture::CaseOpened));
        // Until 2018 the law let a torture case end in reconciliation before court, which the
        // procurator counts as a non-rehabilitative closure.
        if self.rules().reconciliation.torture {
            let closures = t.reconciled_closure_response * inc.procurator.nonrehab_closures;
            let chance = logistic(t.reconciled_logit + closures);
            let draw = u(slot::COMPLAINT_SETTLED);
            let w = inc.procurator.nonrehab_closures;
            self.trace.decision(day, case.id, move || {
                Decision::chance(
                    "investigation",
                    "settle a torture case",
                    procurator,
                    &["reconcile", "go on"],
                    chance,
                    draw,
                )
                .with_terms(vec![
                    Term::part(0, "the leaning to settle", t.reconciled_logit),
                    Term::weighted(0, "non-rehabilitative closures", "procurator.nonrehab_closures", w, closures),
                ])
            });
            if draw < chance {
                return;
            }
        }
        // Sending officers to court risks an acquittal, which the procurator's indicators punish.
        let acquittals = t.to_court_acquittal_response * inc.procurator.acquittals;
        let chance = logistic(t.to_court_logit - acquittals);
        let draw = u(slot::COMPLAINT_TO_COURT);
        let w = inc.procurator.acquittals;
        self.trace.decision(day, case.id, move || {
            Decision::chance(
                "investigation",
                "send a torture case to court",
                procurator,
                &["to court", "close"],
                chance,
                draw,
            )
            .with_terms(vec![
                Term::part(0, "procurators' leaning to send it", t.to_court_logit),
                Term::weighted(0, "the acquittal it risks", "procurator.acquittals", w, -acquittals),
            ])
        });
        if draw < chance {
            self.record(&subject, Event::TortureComplaint(Torture::CaseToCourt));
        }
    }
}

/// An investigator's clearance exponent from its inputs, as `recompute_clearance_exponents`
/// computes it without the screen: `TriageTable::exponent` is `TriageMixture::exponent` at the
/// same weight (the same search and arithmetic), so the same value to the bit.
fn exact_clear_exponent(triage: &TriageTable, elasticity: f64, inputs: ClearInputs) -> f64 {
    triage.exponent(inputs.coverage.powf(elasticity).min(inputs.ceiling), inputs.w_all)
}

/// The chance that the procurator releases a suspect held without grounds from police custody,
/// under `rules`: less while he approves the detention himself. A constant of the scenario and
/// the rules entry, so `Prepared` keeps it as a count of words (`RuleWords::custody_release`):
/// `BelowUnit::holds(word)` is `unit(word) < chance`, the comparison made before, to the bit.
pub(crate) fn custody_release_chance(pb: &ProcuratorBehaviour, rules: &Rules) -> f64 {
    let own_approval = match rules.detention_approver {
        DetentionApprover::Procurator => pb.custody_release_own_approval,
        DetentionApprover::Judge | DetentionApprover::InvestigativeJudge => 0.0,
    };
    logistic(pb.custody_release_logit - own_approval)
}

/// The chance that a coerced accused complains, from the intercept `logit` (during the
/// investigation or at trial): the graver the charge, the more the coerced confession costs him.
pub(crate) fn complaint_chance(t: &TortureBehaviour, logit: f64, gravity: Gravity) -> f64 {
    logistic(logit + t.complain_gravity * (gravity_scale(gravity) - REFERENCE_GRAVITY))
}

/// The case story's account of an accused's torture complaint (`stage`: where he complains).
pub(crate) fn complaint_decision(
    stage: &'static str,
    t: &TortureBehaviour,
    logit: f64,
    gravity: Gravity,
    accused: Decider,
    chance: f64,
    draw: f64,
) -> Decision {
    let stake = t.complain_gravity * (gravity_scale(gravity) - REFERENCE_GRAVITY);
    Decision::chance(stage, "complain of torture", accused, &["complain", "keep quiet"], chance, draw).with_terms(vec![
        Term::part(0, "coerced suspects' leaning to complain", logit),
        Term::part(0, "what the charge puts at stake", stake),
    ])
}

/// The share of a province's registered reports that come from all reports at compliance `c`
/// ([`World::share_from_all_reports`]; `selected_share` is E[s^k]).
pub(crate) fn share_from_all_reports(c: f64, selected_share: f64) -> f64 {
    let denominator = c + (1.0 - c) * selected_share;
    if denominator > 0.0 { c / denominator } else { 0.0 }
}

/// One period of a province's compliance `c` with the registration rule (`target` 1: total
/// registration, 0: officials may shelve reports). Officials adopt a new practice on their own
/// (`rate`) and, once some comply, by imitation (`imitation` x `c`): a Bass diffusion, slow at
/// first and then fast. Dropping a practice needs no example.
fn compliance_step(c: f64, target: f64, rate: f64, imitation: f64) -> f64 {
    let imitation = if target > c { imitation * c } else { 0.0 };
    c + (rate + imitation).min(1.0) * (target - c)
}

#[cfg(test)]
mod tests {
    use super::compliance_step;
    use crate::engine::dist::BetaTable;
    use crate::engine::draws::unit;
    use crate::scenario::Beta;

    /// libm's pow(1, y) is 1 for every y, which the unloaded investigators' shortcut in
    /// `recompute_clearance_exponents` relies on.
    #[test]
    fn one_to_any_power_is_one() {
        for y in [0.0, -0.0, 0.3, 1.0, 2.5, -7.0, 1e300, -1e300, f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
            assert_eq!(1.0f64.powf(y).to_bits(), 1.0f64.to_bits(), "{y}");
        }
    }

    /// The custody release compared as a count of words (`RuleWords::custody_release`) is the
    /// plain `unit(word) < logistic(custody_release_logit - own_approval)`, for each approver,
    /// at the words next to the count and across them, and in every rules entry of the fixture.
    #[test]
    fn custody_release_by_count_is_the_plain_comparison() {
        use super::custody_release_chance;
        use crate::engine::dist::logistic;
        use crate::engine::draws::BelowUnit;
        use crate::scenario::DetentionApprover;
        let s = crate::scenario::load_path(std::path::Path::new("tests/fixtures/tiny.toml")).expect("tiny loads");
        let model = crate::engine::Model::new(&s);
        let mut pb = s.behaviour.procurator.clone();
        for own in [0.0, 0.7, pb.custody_release_own_approval] {
            pb.custody_release_own_approval = own;
            for approver in
                [DetentionApprover::Procurator, DetentionApprover::Judge, DetentionApprover::InvestigativeJudge]
            {
                let mut rules = s.rules[0].value.clone();
                rules.detention_approver = approver;
                let own_approval = if approver == DetentionApprover::Procurator { own } else { 0.0 };
                let plain = logistic(pb.custody_release_logit - own_approval);
                assert_eq!(custody_release_chance(&pb, &rules).to_bits(), plain.to_bits());
                let count = BelowUnit::new(plain);
                let n = count.words();
                let near = (n.saturating_sub(3)..n + 3).filter(|&w| w <= u32::MAX as u64).map(|w| w as u32);
                for w in near.chain((0..=u32::MAX).step_by(1 << 20)).chain([u32::MAX]) {
                    assert_eq!(count.holds(w), unit(w) < plain, "{approver:?} {own} {w}");
                }
            }
        }
        for (entry, words) in s.rules.iter().zip(&model.prep.rule_words) {
            let chance = custody_release_chance(&s.behaviour.procurator, &entry.value);
            assert_eq!(words.custody_release, BelowUnit::new(chance));
        }
    }

    /// The complaint chances kept by gravity are `complaint_chance` of each intercept and
    /// gravity, to the bit (the tiny fixture and the shipped scenario).
    #[test]
    fn kept_complaint_chances_are_the_computed_ones() {
        use super::complaint_chance;
        use crate::scenario::Gravity;
        for path in ["tests/fixtures/tiny.toml", "scenarios/kazakhstan.toml"] {
            let s = crate::scenario::load_path(std::path::Path::new(path)).expect("loads");
            let model = crate::engine::Model::new(&s);
            let t = &s.behaviour.torture;
            for g in Gravity::ALL {
                let (inv, trial) = (
                    complaint_chance(t, t.complain_investigation_logit, g),
                    complaint_chance(t, t.complain_trial_logit, g),
                );
                assert_eq!(model.prep.complaint_investigation[g.index()].to_bits(), inv.to_bits(), "{path} {g:?}");
                assert_eq!(model.prep.complaint_trial[g.index()].to_bits(), trial.to_bits(), "{path} {g:?}");
            }
        }
    }

    /// At a mixture weight of 0 (or -0) the solvability drawn from the selected part is the
    /// table's sample from the word, to the bit, at the words' ends and across them.
    #[test]
    fn solvability_without_total_registration_is_the_sample_from_the_word() {
        let table = BetaTable::new(Beta { a: 2.6, b: 1.6 });
        for w_all in [0.0, -0.0] {
            for word in (0..=u32::MAX).step_by(65_537).chain([1, u32::MAX - 1, u32::MAX]) {
                let us = unit(word);
                assert!(us >= w_all);
                let plain = table.sample((us - w_all) / (1.0 - w_all));
                assert_eq!(plain.to_bits(), table.sample_word(word).to_bits(), "{w_all} {word}");
            }
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
}
