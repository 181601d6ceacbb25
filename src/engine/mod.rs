//! One simulated run: the world (agents, cases in flight, stocks), the calendar, arrivals and
//! the step loop. The stages of the case flow live in `crate::stages`, what is counted in
//! `crate::record`; this module only holds the state and orders the stages in time.
//!
//! - [`World`] (`world`): everything a run holds, in named parts, and the step loop;
//! - `calendar`: today, the dated entries in force, the appointments of cases with stages;
//! - `arrivals`: each day's share of the year's inflow;
//! - `case`: a case in flight, the slots of its random words, the store of cases;
//! - `stocks`: prisoners and pre-trial detainees;
//! - [`agents`]: the officials, their traits, rosters and staffing;
//! - [`draws`], [`dist`]: the run's random words and the distributions read from them.
//!
//! Each simulated day, in this order:
//! 1. a new period starts every `learning.period_days`: agents update workloads and beliefs;
//! 2. a new year starts: year-end stocks are recorded, judges' yearly records are reset;
//! 3. the day's new cases arrive (registered crimes, then misdemeanours, then private
//!    complaints), in the order of their identity;
//! 4. the day's appointments run in the order they were made (a complete, stable order:
//!    time, then insertion sequence);
//! 5. prisoners whose term ends today are released.

pub mod agents;
mod arrivals;
mod calendar;
mod case;
pub mod dist;
pub mod draws;
mod stocks;
mod world;

use std::sync::Arc;

use crate::record::Tally;
use crate::record::trace::{NoTrace, Trace};
use crate::scenario::{Beta, Gravity, Scenario};
use crate::stages::common::GuidedCdf;
use crate::stages::investigation::{SHORT_CUSTODY_HOURS, complaint_chance, custody_release_chance};
use crate::stages::trial::jurisdiction_by_group;
use agents::TraitTables;
use dist::{BetaTable, ExpDaysWords, PoissonWords, PowAtMostWords, TriageTable};
use draws::BelowUnit;

pub use crate::record::{N_TERMINALS, Terminal};
pub use calendar::Stage;
pub use case::{Case, Verdict, slot};
pub(crate) use world::ReleasesSeen;
pub use world::World;

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
    pub province_cdf: GuidedCdf,
    pub kind_cdf: GuidedCdf,
    /// Per kind, the cumulative gravity distribution.
    pub gravity_cdf: Vec<[f64; 4]>,
    /// Extra episodes of a public case, extra defendants of a public and of a private case.
    pub extra_episodes: PoissonWords,
    pub extra_defendants: PoissonWords,
    pub private_extra_defendants: PoissonWords,
    /// The fixed shares a case's word is compared with, as counts of words
    /// (`draws::BelowUnit`): jobless, juvenile and first-offence accused; per kind, dangerous
    /// and fatal cases; per gravity, police custody.
    pub jobless: BelowUnit,
    pub juvenile: BelowUnit,
    pub first_offence: BelowUnit,
    pub dangerous: Vec<BelowUnit>,
    pub death: Vec<BelowUnit>,
    pub custody: [BelowUnit; 4],
    /// Per dated rules entry (`calendar.rules`), their shares by gravity as counts of words.
    pub rule_words: Vec<RuleWords>,
    /// `traits.local_pull(k)` for k = 0..=`traits.checks_on_acquittal`: a trial reads the
    /// pull for the checks an acquittal faces today (at most that count, which the loader
    /// bounds by 10), and `powi` for every trial cost a call.
    pub acquittal_pull: Vec<f64>,
    /// The chance that a coerced accused complains of torture, by gravity: during the
    /// investigation and at trial (`stages::investigation::complaint_chance` of the scenario's
    /// intercepts): constants of the scenario, and libm's `exp` for every complaint decision
    /// before.
    pub complaint_investigation: [f64; 4],
    pub complaint_trial: [f64; 4],
    /// The days a case sent to court waits for its trial (`procurator.days_mean` plus
    /// `trial.days_mean`, `stages::procurator`), for most words from a table.
    pub days_to_court: ExpDaysWords,
    /// A custodial sentence's term by gravity (`sentencing.term_days`), likewise.
    pub term_days: [ExpDaysWords; 4],
    /// The days to an appeal, to a retrial (public and private) and back to the procurator
    /// after a return (`appeal.days_mean`, `trial.days_mean`, `private.days_mean`,
    /// `investigation.days_mean`), likewise.
    pub appeal_days: ExpDaysWords,
    pub trial_days: ExpDaysWords,
    pub private_days: ExpDaysWords,
    pub investigation_days: ExpDaysWords,
    /// ln `trial.returns_after_ban`, which every trial after the ban on supplementary
    /// investigation adds to the moved option's utility (`stages::trial`): libm's `ln` of a
    /// constant of the scenario for each of them before.
    pub returns_after_ban_ln: f64,
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
        // Share of public cases with more than one accused, 1 - exp(-extra_defendants_mean):
        // how a partial jury jurisdiction splits between single and group charges
        // (`RuleWords::jury_share`).
        let group_share = 1.0 - (-s.crime.extra_defendants_mean).exp();
        let solvability_selected = Beta {
            a: s.crime.solvability.a + s.behaviour.investigation.registration_selectivity,
            b: s.crime.solvability.b,
        };
        // Build the tables side by side first (each is cached per process, and the same
        // whoever builds it), so a batch of one scenario on several threads does not wait for
        // them one after another: some 40 ms for the national scenario's eight, while every
        // worker but one would idle. The calls below then find them built.
        let mut betas = TraitTables::betas(s).to_vec();
        betas.extend([s.crime.solvability, solvability_selected, s.crime.evidence]);
        BetaTable::build_missing(&betas);
        Prepared {
            traits: TraitTables::new(s),
            solvability: BetaTable::new(s.crime.solvability),
            solvability_selected: BetaTable::new(solvability_selected),
            selected_share: dist::beta_moment(s.crime.solvability, s.behaviour.investigation.registration_selectivity),
            evidence: BetaTable::new(s.crime.evidence),
            triage: TriageTable::new(s.crime.solvability, s.behaviour.investigation.registration_selectivity),
            province_cdf: GuidedCdf::new(cumulative(&mut s.provinces.iter().map(|p| p.crime_share))),
            kind_cdf: GuidedCdf::new(cumulative(&mut s.crime.kinds.iter().map(|k| k.share))),
            gravity_cdf: s
                .crime
                .kinds
                .iter()
                .map(|k| {
                    let c = cumulative(&mut k.gravity.iter().copied());
                    [c[0], c[1], c[2], c[3]]
                })
                .collect(),
            extra_episodes: PoissonWords::new(s.crime.extra_episodes_mean),
            extra_defendants: PoissonWords::new(s.crime.extra_defendants_mean),
            private_extra_defendants: PoissonWords::new(s.crime.private_extra_defendants_mean),
            acquittal_pull: (0..=s.traits.checks_on_acquittal).map(|k| s.traits.local_pull(k)).collect(),
            complaint_investigation: Gravity::ALL
                .map(|g| complaint_chance(&s.behaviour.torture, s.behaviour.torture.complain_investigation_logit, g)),
            complaint_trial: Gravity::ALL
                .map(|g| complaint_chance(&s.behaviour.torture, s.behaviour.torture.complain_trial_logit, g)),
            days_to_court: ExpDaysWords::new(s.behaviour.procurator.days_mean + s.behaviour.trial.days_mean),
            term_days: s.behaviour.sentencing.term_days.map(ExpDaysWords::new),
            appeal_days: ExpDaysWords::new(s.behaviour.appeal.days_mean),
            trial_days: ExpDaysWords::new(s.behaviour.trial.days_mean),
            private_days: ExpDaysWords::new(s.behaviour.private.days_mean),
            investigation_days: ExpDaysWords::new(s.behaviour.investigation.days_mean),
            returns_after_ban_ln: s.behaviour.trial.returns_after_ban.ln(),
            jobless: BelowUnit::new(s.crime.jobless_share),
            juvenile: BelowUnit::new(s.crime.juvenile_share),
            first_offence: BelowUnit::new(s.crime.first_offence_share),
            dangerous: s.crime.kinds.iter().map(|k| BelowUnit::new(k.dangerous_share)).collect(),
            death: s.crime.kinds.iter().map(|k| BelowUnit::new(k.death_share)).collect(),
            custody: s.behaviour.investigation.custody.map(BelowUnit::new),
            rule_words: s
                .rules
                .iter()
                .map(|r| RuleWords {
                    mandatory_detention: r.value.mandatory_detention.map(BelowUnit::new),
                    jury_compulsory: r.value.jury_compulsory.map(BelowUnit::new),
                    custodial_scope: r.value.noncustodial_scope.map(BelowUnit::not_at_least),
                    custody_release: BelowUnit::new(custody_release_chance(&s.behaviour.procurator, &r.value)),
                    custody_within_48_hours: PowAtMostWords::new(
                        r.value.police_custody_hours as f64,
                        s.behaviour.detention.custody_hours_shape,
                        SHORT_CUSTODY_HOURS,
                    ),
                    jury_share: std::array::from_fn(|g| {
                        let (single, group) = jurisdiction_by_group(
                            r.value.jury_jurisdiction[g],
                            s.behaviour.trial.jury_group_weight,
                            group_share,
                        );
                        [BelowUnit::new(single), BelowUnit::new(group)]
                    }),
                })
                .collect(),
        }
    }
}

/// A dated rules entry's shares by gravity that a case's word is compared with, as counts of
/// words (`draws::BelowUnit`): mandatory detention, compulsory jury trial, and the
/// non-custodial scope (`!custodial_scope[g].holds(w)`: the sentence must be custodial).
pub(crate) struct RuleWords {
    pub mandatory_detention: [BelowUnit; 4],
    pub jury_compulsory: [BelowUnit; 4],
    pub custodial_scope: [BelowUnit; 4],
    /// The share of single and of group charges within the jury's jurisdiction
    /// (`stages::trial::jurisdiction_by_group` of the entry's jurisdiction, the behaviour's
    /// group weight and the share of group charges, 1 - exp(-extra_defendants_mean)), by
    /// gravity: [single, group].
    pub jury_share: [[BelowUnit; 2]; 4],
    /// The procurator's release from police custody where grounds are lacking
    /// (`stages::investigation::custody_release_chance`, a logistic of constants): libm's
    /// `exp` for every such suspect before.
    pub custody_release: BelowUnit,
    /// Whether a suspect's hours in police custody, `police_custody_hours` x u^shape
    /// (`detention.custody_hours_shape`), are within 48 (`stages::investigation`), for most
    /// words from two counts (`PowAtMostWords`).
    pub custody_within_48_hours: PowAtMostWords,
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
    /// Sentenced prisoners due out after the run's last day, by their release days: equal to
    /// `final_prisoners` when every release matched an imprisonment.
    pub prisoners_due_later: i64,
}

/// Runs one seed of a scenario (preparing it first; to run many seeds, build a [`Model`] once).
pub fn simulate(s: &Scenario, master_seed: u64, run_index: u64) -> RunOutput {
    Model::new(s).simulate(master_seed, run_index)
}
