//! The validated scenario: typed, checked values the engine reads. The engine never sees raw
//! TOML; `scenario::load` builds these structs and guarantees the invariants documented here
//! (probabilities in [0, 1], shares summing to 1, dated regimes in order, years covered).

/// Days in a simulated year. Time is integer days; leap days are folded into 28 February, so
/// every year has the same length and a date maps to exactly one day index.
pub const DAYS_PER_YEAR: u32 = 365;

/// Gravity classes of the Criminal Code, in increasing order.
pub const GRAVITIES: [&str; 4] = ["minor", "medium", "grave", "especially_grave"];

/// A value for each gravity class, indexed like [`GRAVITIES`].
pub type PerGravity<T> = [T; 4];

/// Gravity of a charge; the discriminant indexes [`PerGravity`] arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Gravity {
    Minor = 0,
    Medium = 1,
    Grave = 2,
    EspeciallyGrave = 3,
}

impl Gravity {
    pub const ALL: [Gravity; 4] = [Gravity::Minor, Gravity::Medium, Gravity::Grave, Gravity::EspeciallyGrave];
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A fully validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// Where it was read from and its exact text (kept for provenance).
    pub source_path: String,
    pub source_text: String,
    pub calendar: Calendar,
    pub provinces: Vec<Province>,
    /// Staff in force, sorted by `from_day`: `[staff]` from day 0, then one entry per
    /// `[[staff_change]]` (each the full counts from its date on).
    pub staffing: Vec<Dated<Staff>>,
    pub traits: Traits,
    pub crime: CrimeMix,
    /// One entry per simulated year, `inflow[i].year == calendar.first_year + i`.
    pub inflow: Vec<YearInflow>,
    /// Legal rules in force, sorted by `from_day`; the first starts at day 0.
    pub rules: Vec<Dated<Rules>>,
    /// Indicator weights in force, sorted by `from_day`; the first starts at day 0.
    pub incentives: Vec<Dated<Incentives>>,
    pub campaigns: Vec<Campaign>,
    /// Amnesties, sorted by day (`[[amnesty]]`; none when absent).
    pub amnesties: Vec<Amnesty>,
    pub behaviour: Behaviour,
}

impl Scenario {
    /// The staff in force at the start (`[staff]`).
    pub fn initial_staff(&self) -> &Staff {
        &self.staffing[0].value
    }
}

/// The simulated span. Years before `first_reported_year` are warm-up: simulated so that stocks
/// (prisoners, detainees, judges' records, beliefs) are not empty, but not reported.
#[derive(Clone, Debug, PartialEq)]
pub struct Calendar {
    pub first_year: i32,
    pub first_reported_year: i32,
    pub last_year: i32,
}

impl Calendar {
    pub fn n_years(&self) -> usize {
        (self.last_year - self.first_year + 1) as usize
    }
    pub fn n_days(&self) -> u32 {
        self.n_years() as u32 * DAYS_PER_YEAR
    }
    /// Year in which simulated day `day` falls.
    pub fn year_of_day(&self, day: u32) -> i32 {
        self.first_year + (day / DAYS_PER_YEAR) as i32
    }
    /// Index of the year (0 = first simulated year) of day `day`.
    pub fn year_index(&self, day: u32) -> usize {
        (day / DAYS_PER_YEAR) as usize
    }
    pub fn reported_years(&self) -> std::ops::RangeInclusive<i32> {
        self.first_reported_year..=self.last_year
    }
    /// Day index of a calendar date; dates before the start map to day 0 (a regime already in
    /// force when the simulation begins). Returns `None` after the end.
    pub fn day_of_date(&self, year: i32, month: u32, day: u32) -> Option<u32> {
        const CUM: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
        if year < self.first_year {
            return Some(0);
        }
        if year > self.last_year {
            return None;
        }
        const LEN: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        let m = month.clamp(1, 12) as usize;
        // 29 February folds into 28 February.
        let doy = CUM[m - 1] + day.clamp(1, LEN[m - 1]) - 1;
        Some((year - self.first_year) as u32 * DAYS_PER_YEAR + doy)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Province {
    pub name: String,
    /// Population in thousands (outside figure; sets default shares).
    pub population: f64,
    /// Share of national crime registered here (sums to 1 over provinces).
    pub crime_share: f64,
    /// Share of national staff posted here (sums to 1 over provinces).
    pub staff_share: f64,
}

/// National agent counts; each is split between provinces by `staff_share`.
#[derive(Clone, Debug, PartialEq)]
pub struct Staff {
    pub investigators: u32,
    pub procurators: u32,
    pub trial_judges: u32,
    pub appellate_judges: u32,
    /// Defence lawyers (not split by province: they take cases nationally).
    pub defence_lawyers: u32,
}

/// A Beta(a, b) distribution of a trait in [0, 1].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Beta {
    pub a: f64,
    pub b: f64,
}

impl Beta {
    pub fn mean(&self) -> f64 {
        self.a / (self.a + self.b)
    }
}

/// Distributions of agents' traits; each agent draws its own at creation.
#[derive(Clone, Debug, PartialEq)]
pub struct Traits {
    /// Investigators' diligence: how hard they work a case (raises clearance).
    pub investigator_diligence: Beta,
    /// Investigators' venality: readiness to broker paid reconciliations and to coerce.
    pub investigator_venality: Beta,
    /// Procurators' zeal: taste for sending cases to court rather than closing them.
    pub procurator_zeal: Beta,
    /// Trial judges' independence: weight they give to the evidence against career risk.
    pub judge_independence: Beta,
    /// Appellate judges' deference to the procuracy.
    pub appellate_deference: Beta,
    /// Local ties among a province's officials (the procurator with the local police and with
    /// the judges). Each province's closeness is a standard normal score drawn once per run;
    /// its pull on a decision taken in the province with nobody outside it reviewing the
    /// decision is `local_tie_logit` log-odds per standard deviation of closeness.
    pub local_tie_logit: f64,
    /// Share of a local tie's pull that survives one outside check of the decision (an appeal,
    /// the procuracy hierarchy, the monitoring of judges): each check keeps this share.
    pub outside_check_retention: f64,
    /// Outside checks each decision faces (counts): reconciliation is settled locally;
    /// acquittals and detention are reviewed from above. How far the local tie moves each
    /// decision follows from these counts, not from separate spreads.
    pub checks_on_reconciliation: u32,
    pub checks_on_acquittal: u32,
    pub checks_on_detention: u32,
}

impl Traits {
    /// The local tie's pull (log-odds per standard deviation of closeness) on a decision that
    /// faces `checks` outside checks.
    pub fn local_pull(&self, checks: u32) -> f64 {
        self.local_tie_logit * self.outside_check_retention.powi(checks as i32)
    }
}

/// One kind of crime in the public-prosecution inflow.
#[derive(Clone, Debug, PartialEq)]
pub struct CrimeKind {
    pub name: String,
    /// Share of registered crimes of this kind (sums to 1 over kinds).
    pub share: f64,
    /// Distribution of gravity within the kind (sums to 1).
    pub gravity: PerGravity<f64>,
    /// There is an individual victim who can reconcile.
    pub victim: bool,
    /// Negligent crime (traffic): may cause death.
    pub negligence: bool,
    /// Economic crime (arrest restricted from Dec 2017).
    pub economic: bool,
    /// Harm to public or state interests (reconciliation only through repentance rules).
    pub public_harm: bool,
    /// Corruption: never closed on reconciliation or repentance.
    pub corruption: bool,
    /// Share of especially grave cases of this kind that are "dangerous" (murder, terrorism,
    /// extremism, crimes against children): never reconcilable.
    pub dangerous_share: f64,
    /// Share of cases where negligence caused a death (only meaningful when `negligence`).
    pub death_share: f64,
    /// Added to the solvability drawn from `CrimeMix::solvability` for crimes of this kind
    /// (the result is clamped to [0, 1]).
    pub solvability_shift: f64,
}

/// How crimes and the people in them are drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct CrimeMix {
    pub kinds: Vec<CrimeKind>,
    /// Chance a reported crime can be solved with full effort, over all reports. What is
    /// registered depends on the registration practice: see
    /// `InvestigationBehaviour::registration_selectivity`.
    pub solvability: Beta,
    /// Extra accused per case beyond the first: Poisson mean.
    pub extra_defendants_mean: f64,
    /// Extra registered crimes (episodes) joined to the same court case: Poisson mean.
    /// Procurators' statistics count registered criminal cases; courts count joined cases.
    pub extra_episodes_mean: f64,
    /// Share of accused who are minors.
    pub juvenile_share: f64,
    /// Share of accused with no previous conviction.
    pub first_offence_share: f64,
    /// Share of accused who are jobless.
    pub jobless_share: f64,
    /// Log-normal means an accused can pay (in units of a typical victim's demand): log-mean
    /// for employed and jobless accused, and the common log-sd.
    pub means_log_mean_employed: f64,
    pub means_log_mean_jobless: f64,
    pub means_log_sd: f64,
    /// Victim's demand (log-normal, same units) by gravity: log-mean, and common log-sd.
    pub demand_log_mean: PerGravity<f64>,
    pub demand_log_sd: f64,
    /// Evidence strength of a cleared case: Beta; a confession raises it.
    pub evidence: Beta,
    /// Extra accused per private-prosecution complaint: Poisson mean.
    pub private_extra_defendants_mean: f64,
}

/// Inputs for one simulated year.
#[derive(Clone, Debug, PartialEq)]
pub struct YearInflow {
    pub year: i32,
    /// Registered crimes (public prosecution) counted as the statistics count them.
    pub registered_crimes: u32,
    /// Private-prosecution complaints filed with courts.
    pub private_complaints: u32,
    /// Criminal misdemeanours registered on top (from 2015 outside most statistics).
    pub misdemeanours: u32,
    /// Where the figures come from, or why they are an assumption.
    pub source: String,
    pub assumption: bool,
}

/// A value in force from `from_day` until the next entry's `from_day`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dated<T> {
    pub from_day: u32,
    /// The date as written in the scenario, for messages and provenance.
    pub from_label: String,
    pub note: String,
    pub value: T,
}

/// Looks up the regime in force on `day` (entries sorted by `from_day`, first at day 0).
pub fn in_force<T>(entries: &[Dated<T>], day: u32) -> &T {
    let i = entries.partition_point(|e| e.from_day <= day);
    &entries[i.saturating_sub(1)].value
}

/// Who decides on pre-trial detention.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DetentionApprover {
    Procurator,
    Judge,
    InvestigativeJudge,
}

/// Whether reconciliation ends a case of a given class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eligibility {
    /// Not allowed.
    Banned,
    /// Allowed; the official may refuse.
    Discretionary,
    /// Release is mandatory once the parties reconcile.
    Mandatory,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReconciliationRules {
    pub minor: Eligibility,
    pub medium_first: Eligibility,
    pub medium_repeat: Eligibility,
    /// Minors' first grave offence without death or grave harm.
    pub grave_juvenile_first: Eligibility,
    /// Sincere repentance where the harm is to public or state interests.
    pub public_harm_repentance: bool,
    /// Allowed where negligence caused a death.
    pub negligence_death: bool,
    /// Allowed for torture by officials.
    pub torture: bool,
    /// The investigating body must offer reconciliation (from 2015).
    pub investigator_duty: bool,
    /// Reconciliation may close a case before trial (false: left to judges alone).
    pub pretrial: bool,
}

/// Legal rules in force over a period.
#[derive(Clone, Debug, PartialEq)]
pub struct Rules {
    pub detention_approver: DetentionApprover,
    /// The approver may choose bail or house arrest instead of detention.
    pub restraint_alternatives: bool,
    /// Share of cases of each gravity where detention is mandatory once requested.
    pub mandatory_detention: PerGravity<f64>,
    /// Longest police custody before a court order, hours.
    pub police_custody_hours: u32,
    /// Arrest allowed for economic crimes.
    pub economic_detention_allowed: bool,
    /// Longest investigation with the accused in custody, days: the code's limit on detention
    /// during an investigation, which makes investigators finish a detainee's case first
    /// (`u32::MAX` where a scenario does not set one: no limit, the model before the key).
    pub custody_investigation_days: u32,
    pub reconciliation: ReconciliationRules,
    /// Share of charges of each gravity within jury jurisdiction.
    pub jury_jurisdiction: PerGravity<f64>,
    /// Share of charges of each gravity that a jury tries whether or not the accused asks
    /// (compulsory jury trial; such charges are within the jurisdiction whatever
    /// `jury_jurisdiction` says).
    pub jury_compulsory: PerGravity<f64>,
    /// Every case in which a death was caused is tried by a jury, whatever its gravity.
    pub jury_death_compulsory: bool,
    /// Courts may return a case for supplementary investigation.
    pub supplementary_investigation: bool,
    /// Non-registration of crimes and complaints is itself a crime.
    pub total_registration: bool,
    /// Criminal misdemeanours are counted in the published statistics.
    pub count_misdemeanours: bool,
    /// Share of convictions of each gravity for which the code allows a non-custodial sentence.
    pub noncustodial_scope: PerGravity<f64>,
    /// The code's custodial terms as a multiple of `behaviour.sentencing.term_days` (1 where a
    /// scenario does not say). A lower value than the previous entry's is a milder law, which
    /// also shortens the terms of those already serving (it applies retroactively).
    pub term_scale: f64,
    /// The share of the term a prisoner must have served, by gravity, before a court may
    /// release him on parole (the 1997 Code's art. 70 part 3: a third, a third, half and two
    /// thirds in its later wording, docs/ODD.md §7.18); 1 where a scenario does not say, so that
    /// nobody is paroled (the model before the key existed). Fixed for a prisoner by the code in
    /// force when he is sentenced.
    pub parole_after: PerGravity<f64>,
    /// Procurators may appeal acquittals.
    pub procurator_appeal_acquittals: bool,
    /// Confessions made to the police (not before a judge) are admissible evidence.
    pub police_confessions_admissible: bool,
    /// Defence lawyers' legal-aid pay does not depend on law-enforcement approval.
    pub defence_independent: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct InvestigatorWeights {
    /// Reward per case sent to court.
    pub sent_to_court: f64,
    /// Reward on the clearance rate (solved / registered).
    pub clearance: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProcuratorWeights {
    /// Reward per conviction.
    pub convictions: f64,
    /// Reward per case closed before trial on non-rehabilitative grounds.
    pub nonrehab_closures: f64,
    /// Reward (or, negative, penalty) per case closed on exonerating grounds.
    pub exonerating_closures: f64,
    /// Penalty per acquittal (enter as a positive number: the cost of a failure).
    pub acquittals: f64,
    /// Pressure to lower the prison population (cost per detention backed or custodial
    /// sentence sought).
    pub prison_target: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct JudgeWeights {
    /// Cost per decision overturned on appeal ("stability of sentences").
    pub reversals: f64,
    /// Weight on the judge's own workload (effort costs scale with it).
    pub caseload: f64,
    /// Cost of releasing an accused who may abscond (detention hearings).
    pub abscond_risk: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AppellateWeights {
    /// Pull towards the procuracy's appeal of an acquittal.
    pub procuracy_alignment: f64,
    /// Institutional cost of reversing any decision without the chair's approval.
    pub reversal_cost: f64,
}

/// Reversal thresholds under monitoring of judges.
#[derive(Clone, Debug, PartialEq)]
pub struct Monitoring {
    /// Reversals in a calendar year that mark a failing judge.
    pub failing_at: u32,
    /// Reversals in a calendar year that dismiss the judge.
    pub dismissed_at: u32,
}

/// Indicator weights in force over a period.
#[derive(Clone, Debug, PartialEq)]
pub struct Incentives {
    pub investigator: InvestigatorWeights,
    pub procurator: ProcuratorWeights,
    pub trial_judge: JudgeWeights,
    pub appellate: AppellateWeights,
    /// `None`: judges' reversals are not monitored.
    pub monitoring: Option<Monitoring>,
    /// The prison population (persons, sentenced and pre-trial) the Procurator General has to
    /// bring the country down to. Procurators are pushed by the gap between the actual stock
    /// and it (`World::prison_pressure`). `None`: no level; the prison-target weight acts in
    /// full whatever the population.
    pub prison_population_target: Option<f64>,
}

/// A dated campaign on one kind of crime: officials are rewarded for exonerating in it.
#[derive(Clone, Debug, PartialEq)]
pub struct Campaign {
    pub name: String,
    pub from_day: u32,
    /// Last day in force (inclusive).
    pub to_day: u32,
    /// Index into `CrimeMix::kinds`.
    pub kind: usize,
    /// Extra utility of closing on exonerating grounds, for procurators and for judges.
    pub procurator_exonerate: f64,
    pub judge_exonerate: f64,
    /// Extra log-odds that an appellate court overturns a conviction of this kind: the
    /// instruction reaches the higher courts too. 0 when the key is absent.
    pub appellate_overturn: f64,
}

/// An amnesty act: on its day, every sentenced prisoner whom one of its clauses covers has
/// the unserved rest of the term cut (to nothing: released). A dated legal input; the counts
/// it releases come out of the prison stock the model holds then.
#[derive(Clone, Debug, PartialEq)]
pub struct Amnesty {
    pub name: String,
    pub day: u32,
    pub clauses: Vec<AmnestyClause>,
}

/// Whom one article of an amnesty covers, and what it does for them. A prisoner covered by
/// several clauses gets the most generous (the smallest `remaining`).
#[derive(Clone, Debug, PartialEq)]
pub struct AmnestyClause {
    /// The gravest class covered: the acts name "minor and medium" or "all but especially
    /// grave" offences.
    pub up_to: Gravity,
    /// Only prisoners serving their first sentence.
    pub first_offence_only: bool,
    /// Only prisoners sentenced to at most this many days (the term in force: a milder law
    /// or an earlier amnesty may have cut it); `None`: any term.
    pub term_at_most_days: Option<u32>,
    /// Covered once this share of the term has been served.
    pub served_at_least: f64,
    /// Covered only with at most this many days left (`None`: whatever is left).
    pub left_at_most_days: Option<u32>,
    /// The share of the unserved term that stays to serve: 0 releases, 0.5 halves the rest.
    pub remaining: f64,
}

/// Behavioural parameters: constant across years.
#[derive(Clone, Debug, PartialEq)]
pub struct Behaviour {
    pub investigation: InvestigationBehaviour,
    pub procurator: ProcuratorBehaviour,
    pub detention: DetentionBehaviour,
    pub trial: TrialBehaviour,
    pub private: PrivateBehaviour,
    pub appeal: AppealBehaviour,
    pub sentencing: SentencingBehaviour,
    pub torture: TortureBehaviour,
    pub learning: LearningBehaviour,
}

#[derive(Clone, Debug, PartialEq)]
pub struct InvestigationBehaviour {
    /// Cases one investigator can work fully in a year.
    pub capacity: f64,
    /// How far overload cuts the share of cases cleared. Overloaded investigators triage,
    /// dropping hard cases first: the cleared share is coverage^overload_elasticity times what
    /// it is without overload, coverage = min(1, capacity x effort / caseload). At 1 clearances
    /// stay at capacity however many cases come in; below 1 they still grow with the caseload
    /// (at 0 overload costs nothing). Above 1 is refused: clearances would fall as the caseload
    /// grows, and a justice system under load saturates, it does not bend backward.
    pub overload_elasticity: f64,
    /// The most an investigator gets through, as a multiple of her nominal work (`capacity`
    /// times her effort): however large the caseload, a province clears at most this many
    /// full investigations per investigator and the rest is triaged away. The staff set the
    /// ceiling; below it clearances follow `overload_elasticity`.
    pub overtime_ceiling: f64,
    /// The caseload ratio (load over capacity) beyond which an investigator's choices no
    /// longer respond to more load (baseless closures, coercion, reconciliation, delay).
    pub load_ratio_ceiling: f64,
    /// How strongly the clearance weight raises effort.
    pub clearance_effort: f64,
    /// Mean days from registration to the end of the investigation, at or below capacity.
    pub days_mean: f64,
    /// Above capacity an investigation takes longer in proportion to the caseload ratio to
    /// this power (0: no delay; 1: the same work per day, so as much longer as she is busier).
    pub days_load_exponent: f64,
    /// Chance a cleared suspect is held in police custody, by gravity.
    pub custody: PerGravity<f64>,
    /// Log-odds of asking for detention, by gravity, before incentives.
    pub detention_request_logit: PerGravity<f64>,
    /// Utility of detention for completing a case (weighted by the sent-to-court weight).
    pub detention_ease: f64,
    /// Log-odds of steering an eligible case to reconciliation, before incentives.
    pub reconcile_logit: f64,
    /// Effort saved by a reconciliation, scaled by the investigator's load ratio raised to
    /// `reconcile_load_exponent`.
    pub reconcile_effort_saving: f64,
    /// How the pull of the effort saved grows with the load ratio: 1 (the default) in
    /// proportion, below 1 less than in proportion (the saving matters most when the load first
    /// exceeds what the investigator can do).
    pub reconcile_load_exponent: f64,
    /// Gain a venal investigator takes from a brokered reconciliation.
    pub reconcile_venality_gain: f64,
    /// How much of the procurator's weight on non-rehabilitative closures the investigator
    /// feels when steering (1, the default: all of it). The indicator is the procurator's,
    /// passed down through his pressure on the investigator, not the investigator's own.
    pub reconcile_closure_response: f64,
    /// Log-odds of lowering a grave charge to medium so that reconciliation becomes legal.
    pub reclassify_logit: f64,
    /// Log-odds added to reclassifying per unit of the investigator's venality. Default 3.
    pub reclassify_venality: f64,
    /// Log-odds of coercing a confession, before clearance pressure.
    pub coercion_logit: f64,
    /// How clearance pressure (weight x load) raises coercion.
    pub coercion_pressure: f64,
    /// Evidence added by a confession.
    pub confession_evidence: f64,
    /// How strongly the prison-population target, pressed down the hierarchy by chiefs and
    /// procurators, lowers the log-odds of asking for detention.
    pub prison_target_response: f64,
    /// Log-odds that an official complying with total registration registers a report with no
    /// crime behind it (one that used to be shelved; the procurator closes it on exonerating
    /// grounds), for an investigator at her capacity. The chance is compliance times
    /// logistic(this + `baseless_load` x (caseload ratio - 1)).
    pub baseless_logit: f64,
    /// Log-odds of registering a baseless report added per unit of the investigator's caseload
    /// ratio (load / capacity) above 1: the busier, the less she checks first. Default 0.
    pub baseless_load: f64,
    /// Share of a full investigation's work a case needs when its suspect is detained: a
    /// suspect in custody makes a case easier to complete. Default 1 (no saving).
    pub detained_work: f64,
    /// How selectively officials register reports while hiding them is tolerated: a report of
    /// solvability s is registered with chance proportional to s^this, so the registered are
    /// the solvable ones (solvability Beta(a + this, b)); as officials comply with total
    /// registration the registered move towards all reports (Beta(a, b)). 0 (the default): no
    /// selection.
    pub registration_selectivity: f64,
    /// Work an unsolved (or baseless) report takes, as a share of a full investigation; it
    /// counts against capacity. 1 (the default): every registered report counts as a case.
    pub unsolved_work: f64,
    /// Work a case steered to reconciliation before trial takes, as a share of a full
    /// investigation; below 1 reconciling frees capacity to clear other cases. Default 1.
    pub reconcile_work: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProcuratorBehaviour {
    /// Mean days a procurator takes on a case.
    pub days_mean: f64,
    /// Log-odds of releasing a suspect from police custody when evidence is weak.
    pub custody_release_logit: f64,
    /// Evidence below which grounds for arrest are lacking.
    pub custody_grounds_threshold: f64,
    /// Log-odds taken off that release while procurators approve detention themselves: a
    /// procurator who would approve the detention himself has less reason to release a
    /// suspect than one who must argue the grounds before a judge. Default 0.
    pub custody_release_own_approval: f64,
    /// Log-odds of backing an investigator's detention request.
    pub back_detention_logit: f64,
    /// Log-odds taken off backing a request per unit of prison pressure: the procurator who
    /// backs a request answers for it to the prison-population target himself.
    pub back_detention_target_response: f64,
    /// How far above the target level (as a share of it) the prison population must be for the
    /// prison-target weight to act in full; below the level it does not act, in between it
    /// grows in proportion. Bounds the pressure, so a gap never pushes beyond the weight.
    pub prison_gap_scale: f64,
    /// How fast the chiefs escalate the target's pressure while it is missed: added to the
    /// pressure (in units of the weight) per year the population stays `prison_gap_scale`
    /// above the level, taken off per year as far below it. Default 0: the gap alone.
    pub prison_escalation: f64,
    /// Weight of the weakness of the evidence in favour of an exonerating closure.
    pub evidence_weight: f64,
    /// How many times `evidence_weight` weakness weighs in an exonerating closure: weak proof
    /// is its very ground. Default 2.
    pub exonerating_weakness_factor: f64,
    /// Constant utilities of the options (sending is the reference option).
    pub close_nonrehab_constant: f64,
    pub close_exonerating_constant: f64,
    /// Exonerating grounds exist only for a case whose evidence is below this (on the
    /// evidence scale): a procurator who closes a well-proven case as if the accused were
    /// innocent invites a charge of covering up a crime. 1 (the default): any case.
    pub exonerating_evidence_max: f64,
    /// Under a campaign on the case's kind, exonerating grounds reach cases with evidence up to
    /// this when it is above `exonerating_evidence_max`: a campaign against fabricated cases
    /// is an instruction from above, which justifies closing a case whose file looks well
    /// proven. 0 (the default): campaigns reach no further than the ceiling.
    pub campaign_evidence_max: f64,
    /// Procurators' initial belief about the acquittal chance of an average case; a case's
    /// expected acquittal chance is twice the belief times the weakness of its evidence.
    pub acquittal_belief_scale: f64,
    /// How strongly procurators respond to their indicator weights (multiplies every weight
    /// in the review).
    pub indicator_sensitivity: f64,
    /// The most reviews one procurator completes a year (pro rata per period); a case that
    /// finds its procurator's budget spent waits for the next period.
    pub review_ceiling: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DetentionBehaviour {
    /// Log-odds of approval at a hearing, before incentives (judges).
    pub judge_approve_logit: f64,
    /// Log-odds of approval when procurators decide.
    pub procurator_approve_logit: f64,
    /// Log-odds that whoever denies detention (the procurator who does not back the request, or
    /// the judge) imposes bail or house arrest instead of plain release, where the law allows,
    /// at the middle of the gravity scale.
    pub alternative_logit: f64,
    /// Log-odds of an alternative restraint added per unit of absconding risk above the middle:
    /// the judges' `abscond_risk` weight times (gravity scale - 0.5). Default 0.
    pub alternative_flight_response: f64,
    /// Shape of police-custody length: hours held = limit x u^shape (u uniform); larger values
    /// mean shorter stays.
    pub custody_hours_shape: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TrialBehaviour {
    /// Mean days from filing to a trial decision.
    pub days_mean: f64,
    /// Effort of each outcome (in units of utility at reference load).
    pub effort_sentence: f64,
    pub effort_acquittal: f64,
    pub effort_closure: f64,
    pub effort_return: f64,
    /// What a verdict costs the judge's career, per unit of her stability-of-sentences weight
    /// (`incentives.trial_judge.reversals`), in units of utility: defending a verdict the
    /// losing party appealed before the higher court (per appeal she expects), ...
    pub appeal_scrutiny: f64,
    /// ... and a reversal on her record (per reversal she expects).
    pub reversal_penalty: f64,
    /// Under monitoring, the cost of the reversal that marks her a failing judge and of the one
    /// that dismisses her, in reversal penalties, weighted by the chance that a reversal of
    /// this verdict is that one (her reversals so far this year plus those she expects in the
    /// rest of it, as a Poisson count).
    pub failing_cost: f64,
    pub dismissal_cost: f64,
    /// What a procurator's accusations of incompetence or venality cost a judge who acquits,
    /// per unit of his acquittal weight (`incentives.procurator.acquittals`): he fights the
    /// acquittals that count against him.
    pub procurator_pressure: f64,
    /// The share of an acquittal's career costs (appeal, reversal, the procurator's pressure)
    /// that a closure on exonerating grounds carries: it clears the accused too, but is less
    /// often contested.
    pub closure_scrutiny: f64,
    /// A judge's decisions a year outside the model (civil and administrative cases) and the
    /// share of them overturned: their reversals count in her monitored record too.
    pub other_decisions_per_year: f64,
    pub other_reversal_rate: f64,
    /// Cases one judge hears a year at reference load.
    pub judge_capacity: f64,
    /// The most cases a judge decides in a period, as a multiple of `judge_capacity` pro rata;
    /// a case that finds its judge's budget spent waits for the next period. Public and
    /// private cases share the budget.
    pub judge_ceiling: f64,
    /// Utility of acting on the evidence, scaled by the judge's independence.
    pub conscience: f64,
    /// Constant utility of returning a case for supplementary investigation (where allowed):
    /// the way out of a weak case that avoids both an acquittal and a reversal.
    pub return_supplementary_constant: f64,
    /// Log-odds of an accused asking for a jury when eligible.
    pub jury_request_logit: f64,
    /// Whether each defendant of a case asks for a jury on his own, the case going to a jury
    /// when any of them asks (true), or the case asks once whatever its defendants (false,
    /// the default). Co-defendants are tried together, so one request takes all to a jury.
    pub jury_request_per_defendant: bool,
    /// When the accused asks for a jury: as his case is sent to court, reading the case file,
    /// under the jurisdiction of that day (true; at trial the case must still be within the
    /// jurisdiction), or at trial (false, the default).
    pub jury_request_when_sent: bool,
    /// How many times as likely a charge against more than one accused is to be within a
    /// partial jury jurisdiction as a charge against one (as far as chances up to 1 allow),
    /// the rule's share of all charges staying what it is: where the law gives juries only the
    /// gravest charges, committing the crime in a group is one of the aggravating features
    /// that bring a charge there. Default 1: group and single charges alike.
    pub jury_group_weight: f64,
    /// Jury acquittal log-odds: intercept and slope on weakness of the evidence.
    pub jury_acquit_logit: f64,
    pub jury_weakness_slope: f64,
    /// Log-odds added to each defendant's jury request per unit of the juries' acquittal rate
    /// as the country has come to know it (`JuryNews::known_rate`): word of juries that acquit
    /// spreads among the accused and their lawyers. Default 0.
    pub jury_news: f64,
    /// Log-odds taken off a jury's acquittal per unit of that known acquittal rate, per unit of
    /// the procurators' acquittal weight: the Procuracy resists juries and answers their
    /// acquittals with harder prosecution before the next juries. A rate, not a count, so a
    /// large jury caseload does not make the answer swing from year to year. Default 0.
    pub jury_resistance: f64,
    /// How much of the known jury acquittal rate carries over from one year to the next (the
    /// rest is the year just ended): news and resistance follow a smoothed rate. Default 0.5.
    pub jury_news_memory: f64,
    /// Pressure officials put on victims to accept less (fraction of demand waived).
    pub official_pressure: f64,
    /// A judge's pressure on the victim grows with her load, (1 + load) / 2 times
    /// `official_pressure`, up to this many times (1 + load) / 2 can reach. Default 3.
    pub pressure_load_cap: f64,
    /// Log-odds that the procurator brings a returned case back to court rather than drop it,
    /// at evidence 0.5 with his convictions and exonerating-closures weights equal.
    pub supplementary_back_logit: f64,
    /// Log-odds of bringing it back per unit of the procurators' convictions weight minus
    /// their exonerating-closures weight (dropping a case counts as a closure). Default 0.
    pub supplementary_back_indicator: f64,
    /// Log-odds of bringing it back per unit of evidence above 0.5. Default 0.
    pub supplementary_back_evidence: f64,
    /// Constant utility of returning a case to the procurator.
    pub return_to_procurator_constant: f64,
    /// Once returns for supplementary investigation are banned, the share of them that judges
    /// go on making as returns to the procurator (1: the practice continues unchanged under
    /// the other name; 0: the ban works and those judges choose among the other options).
    pub returns_after_ban: f64,
    /// Cost to a judge of a discretionary release on reconciliation, per unit of the
    /// procurator's opposition (his conviction weight above his closure weight).
    pub discretionary_release_cost: f64,
    /// Weight of the province's release practice in a discretionary release: judges follow
    /// what their colleagues do with reconciled cases (the share of reconciled cases before a
    /// single judge that are closed, learned at `learning.practice_rate`). Default 0.
    pub release_practice_weight: f64,
    /// Constant utility of closing on exonerating grounds.
    pub close_exonerating_constant: f64,
    /// Defendants one lawyer can defend in a year.
    pub defence_cases_per_lawyer: f64,
    /// Chance a lawyer who depends on law-enforcement approval contests the evidence at all.
    pub dependent_defence_contests: f64,
    /// Evidence an effective defence takes away (a coerced confession, weak proof).
    pub defence_effect: f64,
    /// A judge's leaning (log-odds) to close a case on non-rehabilitative grounds other than
    /// reconciliation (active repentance, where the law allows it), at no load and no procurator
    /// opposition: her load and the opposition enter as in a discretionary release (ODD 7.15).
    pub other_nonrehab_logit: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PrivateBehaviour {
    /// Log-odds the judge rejects a complaint at its first hearing, at her capacity (annual
    /// caseload over `trial.judge_capacity` 1) and weakness 0.3.
    pub reject_logit: f64,
    /// Log-odds of rejecting added per unit of the judge's caseload ratio above 1, times her
    /// caseload weight (`trial_judge.caseload`). Default 0.
    pub reject_load: f64,
    /// Log-odds of rejecting added per unit of weakness of the complainant's proof above 0.3.
    /// Default 0.
    pub reject_weakness: f64,
    /// Log-odds the complainant withdraws (closing the case) among heard complaints, at
    /// weakness 0.3 (evidence 0.7) and a wait of `days_mean`.
    pub withdraw_logit: f64,
    /// Log-odds of withdrawal added per `days_mean` the complainant waited beyond `days_mean`.
    /// Default 0.
    pub withdraw_wait: f64,
    /// Log-odds of withdrawal added per unit of missing proof: a complainant who cannot prove
    /// her case gives it up more readily. Default 0.
    pub withdraw_weakness: f64,
    /// Log-odds that the judge sends a heard complaint on rather than decide it (to the
    /// procurator, as public prosecution, where the victim cannot defend her interests, or to
    /// another court by jurisdiction), at her capacity. Default minus infinity (never).
    pub transfer_logit: f64,
    /// Log-odds of sending it on per unit of the judge's caseload ratio above 1, times her
    /// caseload weight. Default 0.
    pub transfer_load: f64,
    /// Log-odds the parties reconcile among the rest, with a judge at her capacity.
    pub reconcile_logit: f64,
    /// Log-odds of reconciling per unit of the judge's caseload ratio above 1, times her caseload
    /// weight (a busy judge encourages it: a closure is less work than a verdict). Default 0.
    pub reconcile_load: f64,
    /// Log-odds of acquittal among tried complaints (at evidence 0.7).
    pub acquit_logit: f64,
    /// Log-odds of acquittal added per unit of missing proof. Default 2.
    pub acquit_weakness: f64,
    /// Mean days to decision.
    pub days_mean: f64,
    /// Share of would-be private complaints (battery and the like) that the police register as
    /// public crimes once officials fully comply with total registration.
    pub police_registration: f64,
    /// How far the police take the best-proven complaints first when they register them
    /// (registering what cannot be proven hurts the clearance rate): 0 (the default) takes a
    /// random share, 1 exactly the best-proven share. The share registered does not change.
    pub police_selectivity: f64,
    /// How early the police register these complaints as compliance with total registration
    /// spreads: the chance follows compliance to this power. A complaint names its accused, so
    /// it is solved on registration and costs the clearance rate nothing: below 1 the police
    /// register these before the crimes they hid because they could not solve them. Default 1.
    pub police_readiness: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AppealBehaviour {
    /// Chance a procurator appeals an acquittal at acquittal weight 1.
    pub procurator_appeal_acquittal: f64,
    /// Chance a convicted defendant appeals (custodial, non-custodial).
    pub defendant_appeal_custodial: f64,
    pub defendant_appeal_other: f64,
    /// Log-odds an appellate judge overturns a verdict per unit of the procuracy's alignment
    /// (its acquittal appeals carry weight with deferent judges). Default 2.
    pub alignment_weight: f64,
    /// Log-odds an appellate judge overturns a verdict per unit of evidence against it (weak
    /// evidence for a conviction, strong evidence for an acquittal), from the reference
    /// weakness 0.5. Default 2.
    pub weakness_weight: f64,
    /// Log-odds an appellate judge overturns an acquittal / a conviction.
    pub overturn_acquittal_logit: f64,
    pub overturn_conviction_logit: f64,
    /// Log-odds that appellate judges who overturn a conviction acquit themselves rather than
    /// send the case back, at weakness 0.5 and no pull of the procuracy.
    pub acquit_on_overturn_logit: f64,
    /// Log-odds of acquitting per unit of weakness above 0.5. Default 0.
    pub acquit_on_overturn_weakness: f64,
    /// Log-odds of acquitting lost per unit of the procuracy's pull (the appellate
    /// `procuracy_alignment` weight times the judge's deference; public cases). Default 0.
    pub acquit_on_overturn_alignment: f64,
    /// Chance a private-prosecution acquittal is appealed by the complainant.
    pub private_appeal: f64,
    /// Mean days to an appellate decision.
    pub days_mean: f64,
    /// The most appeals one appellate judge decides a year, pro rata per period (appeals a
    /// judge-year): an appeal that finds its judge's budget spent waits for the next period.
    /// An assumption, not a figure; default 300.
    pub appellate_ceiling: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SentencingBehaviour {
    /// Log-odds of a custodial sentence by gravity, where the code allows either.
    pub custodial_logit: PerGravity<f64>,
    /// Mean custodial term in days, by gravity.
    pub term_days: PerGravity<f64>,
    /// Jobless accused are likelier to get custody (no employer, no surety).
    pub jobless_custodial_shift: f64,
    /// Log-odds taken off a custodial sentence per unit of prison pressure: the judge hears the
    /// procurator, who answers to the prison-population target. Default 1 (the model before the
    /// key, where the pressure was subtracted as it is).
    pub prison_target_response: f64,
    /// Log-odds that the court grants parole at a prisoner's hearing (the day he becomes
    /// eligible under the rule `parole_after`), before the prison-population pressure. Default
    /// 0; it matters only where the rule lets prisoners out before their term ends.
    pub parole_logit: f64,
    /// Log-odds added to granting parole per unit of prison pressure: the procurator, who
    /// answers to the prison-population target, stops opposing releases. Default 0.
    pub parole_target_response: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TortureBehaviour {
    /// Log-odds a coerced accused complains during the investigation / at trial, at the middle
    /// of the gravity scale (0 minor, 1 especially grave).
    pub complain_investigation_logit: f64,
    pub complain_trial_logit: f64,
    /// Log-odds of complaining per unit of the gravity scale above the middle: the more the
    /// charge puts at stake, the readier he is to complain. Default 0.
    pub complain_gravity: f64,
    /// Log-odds that officials who do not / do comply with total registration register a
    /// complaint against a colleague, at a clearance weight of 0.
    pub register_discretionary_logit: f64,
    pub register_total_logit: f64,
    /// Log-odds of registering lost per unit of the investigators' clearance weight (a
    /// registered complaint threatens the confession the clearance rests on). Default 0.
    pub register_clearance_response: f64,
    /// How late in the spread of total registration officials register complaints against a
    /// fellow officer: the share of officials registering as total registration asks is
    /// compliance^this (1, the default: in step with compliance; larger: complaints against
    /// colleagues are the last thing registered).
    pub register_reluctance: f64,
    /// Log-odds the procurator opens a criminal case against officers on a registered complaint
    /// of substance, at a convictions weight of 0. Registering more dilutes the complaints of
    /// substance (the extra ones are those officials would have shelved).
    pub open_case_logit: f64,
    /// Log-odds of opening lost per unit of the procurators' convictions weight. Default 0.
    pub open_case_conviction_response: f64,
    /// Log-odds the procurator sends such a case to court, at an acquittals weight of 0.
    pub to_court_logit: f64,
    /// Log-odds of sending it lost per unit of the procurators' acquittals weight. Default 0.
    pub to_court_acquittal_response: f64,
    /// Log-odds an opened torture case is settled by reconciliation, where the law allows it,
    /// at a non-rehabilitative-closures weight of 0.
    pub reconciled_logit: f64,
    /// Log-odds of settling per unit of the procurators' non-rehabilitative-closures weight.
    /// Default 0.
    pub reconciled_closure_response: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LearningBehaviour {
    /// Days between belief updates.
    pub period_days: u32,
    /// Weight of the newest period in an agent's beliefs (exponential smoothing).
    pub rate: f64,
    /// Weight of province colleagues' experience against the agent's own.
    pub peer_weight: f64,
    /// How many verdicts' worth of experience a judge's prior about her verdicts' fate counts
    /// for (verdicts): what she expects of the appellate system before seeing any of it weighs
    /// like this many remembered verdicts of her own (and her colleagues'). Rare verdicts
    /// (acquittals) are then judged mostly by the prior, frequent ones (convictions) by
    /// experience. An assumption, not a figure; default 10.
    pub prior_verdicts: f64,
    /// Share of the gap between officials' registration practice and the rule in force (total
    /// registration or not) closed each period: compliance with a new rule spreads gradually.
    pub compliance_rate: f64,
    /// Imitation: while compliance rises, the share of the gap closed each period grows by this
    /// times the compliance already reached (officials follow colleagues who comply), so a new
    /// rule spreads slowly at first and then fast (a Bass diffusion). 0 (the default) leaves
    /// only `compliance_rate`.
    pub compliance_imitation: f64,
    /// Share of the gap to the last period's work that investigators' sense of their workload
    /// closes each period (for the triage at capacity). 1 (the default): the last period's.
    pub workload_rate: f64,
    /// Share of the gap between a province's release practice (see
    /// `trial.release_practice_weight`) and what its judges did this period closed each
    /// period: a practice changes more slowly than beliefs about risks. Default 0.05.
    pub practice_rate: f64,
}
