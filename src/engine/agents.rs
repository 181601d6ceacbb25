//! The officials: investigators, procurators, trial judges and appellate judges, each with
//! traits drawn at creation, a workload, and beliefs learned from their own and their province
//! colleagues' experience between periods.

use std::sync::Arc;

use super::Verdict;
use super::dist::{BetaTable, logistic};
use super::draws::{KeptPeriodWords, RunStream, unit};
use crate::scenario::{Beta, Scenario, Staff};

#[derive(Clone, Debug)]
pub struct Investigator {
    pub uid: u64,
    pub province: u16,
    pub diligence: f64,
    pub venality: f64,
    /// Registered criminal cases (episodes) assigned in the current period.
    pub assigned: u32,
    /// Annualised caseload the investigator expects (smoothed over periods).
    pub load: f64,
    /// A case of solvability s is cleared with chance s^clear_exponent, where the exponent
    /// makes the cleared share coverage^overload_elasticity of what it is without overload
    /// (`dist::TriageTable`), coverage = min(1, capacity x effort / work), work being the
    /// province's annualised work per investigator (`ProvinceState::work`), effort =
    /// (0.5 + diligence)(1 + clearance_effort x clearance weight). It changes only with the
    /// load (between periods) and the weights (at a dated change), so it is kept here.
    ///
    /// Mostly kept as screened (`TriageMixture::screened_exponent`): the exponent then lies
    /// within a factor e^`clear_slack` of this value, which decides most cases
    /// (`dist::at_least_pow_within`); a case it cannot decide computes the exponent itself from
    /// `clear_inputs` and keeps it, with `clear_slack` 0 (exact).
    pub clear_exponent: f64,
    pub clear_slack: f64,
    /// What the exponent was computed from: coverage, ceiling and the province's mixture weight
    /// (`World::exact_clear_exponent`).
    pub clear_inputs: ClearInputs,
}

/// The inputs of an investigator's clearance exponent in the current period.
#[derive(Clone, Copy, Debug)]
pub struct ClearInputs {
    pub coverage: f64,
    pub ceiling: f64,
    pub w_all: f64,
}

impl ClearInputs {
    pub const UNSET: ClearInputs = ClearInputs { coverage: f64::NAN, ceiling: f64::NAN, w_all: f64::NAN };
}

#[derive(Clone, Debug)]
pub struct Procurator {
    pub uid: u64,
    pub province: u16,
    pub zeal: f64,
    /// What became of the defendants this procurator sent to court whose trial ended this
    /// period.
    pub trials: TrialRecord,
    /// Belief: acquittal chance of an average case sent to court.
    pub acquittal_belief: f64,
    /// Reviews completed in the current period.
    pub reviewed: u32,
}

#[derive(Clone, Debug)]
pub struct Judge {
    pub uid: u64,
    pub province: u16,
    pub independence: f64,
    /// Decisions overturned on appeal in the current calendar year (the monitored indicator):
    /// her criminal verdicts, and those of her other caseload (civil and administrative cases,
    /// outside the model; see `World::background_reversals`).
    pub reversals_year: u32,
    /// Cases decided in the current period (detention hearings included).
    pub decided: u32,
    /// Of which detention hearings: they never wait, and do not use her budget for trials.
    pub detention_hearings: u32,
    /// Annualised caseload (smoothed).
    pub load: f64,
    /// What she believes becomes of each kind of verdict of hers: how often it is appealed and
    /// how often overturned, learned from her own and her province colleagues' verdicts.
    pub risks: VerdictRisks,
    /// What she remembers of her own verdicts' fate (`VerdictMemory`), from which `risks` is
    /// estimated each period.
    pub memory: VerdictMemory,
    /// Her verdicts this period, and the appeals against them filed and decided.
    pub record: VerdictRecord,
    /// Her words for the next periods, kept from the last ChaCha8 refill that computed them
    /// (`World::background_reversals` reads one a period).
    pub period_words: KeptPeriodWords,
}

impl Judge {
    /// Trials and private hearings she decided this period: what her budget counts.
    pub fn trials_decided(&self) -> u32 {
        self.decided - self.detention_hearings
    }
}

/// The kinds of verdict whose fate a judge learns apart: acquittals and convictions, in public
/// cases (the procurator appeals acquittals) and private ones (the complainant does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerdictKind {
    PublicAcquittal,
    PublicConviction,
    PrivateAcquittal,
    PrivateConviction,
}

impl VerdictKind {
    pub const ALL: [VerdictKind; 4] = [
        VerdictKind::PublicAcquittal,
        VerdictKind::PublicConviction,
        VerdictKind::PrivateAcquittal,
        VerdictKind::PrivateConviction,
    ];

    pub fn of(public: bool, verdict: Verdict) -> VerdictKind {
        match (public, verdict) {
            (true, Verdict::Acquitted) => VerdictKind::PublicAcquittal,
            (true, Verdict::Convicted) => VerdictKind::PublicConviction,
            (false, Verdict::Acquitted) => VerdictKind::PrivateAcquittal,
            (false, Verdict::Convicted) => VerdictKind::PrivateConviction,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A judge's belief about one kind of verdict: the chance it is appealed, and the chance it is
/// overturned (both per verdict given, not per appeal: what a verdict exposes her to).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Risk {
    pub appealed: f64,
    pub overturned: f64,
}

/// A judge's beliefs for each kind of verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct VerdictRisks([Risk; 4]);

impl VerdictRisks {
    pub fn get(&self, kind: VerdictKind) -> Risk {
        self.0[kind.index()]
    }

    pub fn get_mut(&mut self, kind: VerdictKind) -> &mut Risk {
        &mut self.0[kind.index()]
    }

    /// Her own estimate weighted against her colleagues' (`others`, whose weight is
    /// `others_weight`).
    pub fn blend(&self, others: &VerdictRisks, others_weight: f64) -> VerdictRisks {
        let mut risks = *self;
        for (r, o) in risks.0.iter_mut().zip(&others.0) {
            r.appealed = (1.0 - others_weight) * r.appealed + others_weight * o.appealed;
            r.overturned = (1.0 - others_weight) * r.overturned + others_weight * o.overturned;
        }
        risks
    }

    /// The mean of several judges' beliefs (a newcomer takes on her colleagues').
    pub fn mean<'a>(all: impl Iterator<Item = &'a VerdictRisks>) -> Option<VerdictRisks> {
        let mut sum = VerdictRisks::default();
        let mut n = 0.0;
        for r in all {
            for (s, x) in sum.0.iter_mut().zip(&r.0) {
                s.appealed += x.appealed;
                s.overturned += x.overturned;
            }
            n += 1.0;
        }
        (n > 0.0).then(|| {
            for s in &mut sum.0 {
                s.appealed /= n;
                s.overturned /= n;
            }
            sum
        })
    }
}

/// Counts of one kind of verdict in a period: given, appealed, overturned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VerdictCount {
    pub given: u32,
    pub appealed: u32,
    pub overturned: u32,
}

/// A judge's verdicts of a period and the appeals against them filed and decided in it (or
/// the sum of a province's judges').
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VerdictRecord([VerdictCount; 4]);

impl VerdictRecord {
    pub fn get(&self, kind: VerdictKind) -> VerdictCount {
        self.0[kind.index()]
    }

    pub fn given(&mut self, kind: VerdictKind) {
        self.0[kind.index()].given += 1;
    }

    pub fn appealed(&mut self, kind: VerdictKind) {
        self.0[kind.index()].appealed += 1;
    }

    pub fn overturned(&mut self, kind: VerdictKind) {
        self.0[kind.index()].overturned += 1;
    }

    pub fn add(&mut self, other: &VerdictRecord) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            a.given += b.given;
            a.appealed += b.appealed;
            a.overturned += b.overturned;
        }
    }
}

/// What a judge (or a province's judges together) remembers of verdicts' fate, per kind:
/// verdicts given, appealed and overturned, each period's counts added to what is left of
/// earlier ones after forgetting the share `learning.rate`.
///
/// Why counts and not a smoothed ratio of each period: acquittals are rare (a judge gives
/// about one in several years, a province a few a year), so most periods see none, and a period
/// with one acquittal and one overturn would move a ratio-learner's belief by the full learning
/// rate, towards certainty. Remembered counts weigh each verdict once, however the verdicts
/// fall into periods, and the prior (`estimate`) keeps a handful of rare events from
/// outweighing what every judge knows of the appellate system. Frequent verdicts
/// (convictions) are learned from experience almost alone.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct VerdictMemory([RememberedCount; 4]);

/// Remembered (discounted) counts of one kind of verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RememberedCount {
    pub given: f64,
    pub appealed: f64,
    pub overturned: f64,
}

impl VerdictMemory {
    pub fn get(&self, kind: VerdictKind) -> RememberedCount {
        self.0[kind.index()]
    }

    /// Forgets the share `rate` of what was remembered and adds the period's record.
    pub fn remember(&mut self, record: &VerdictRecord, rate: f64) {
        for (m, r) in self.0.iter_mut().zip(&record.0) {
            m.given = (1.0 - rate) * m.given + r.given as f64;
            m.appealed = (1.0 - rate) * m.appealed + r.appealed as f64;
            m.overturned = (1.0 - rate) * m.overturned + r.overturned as f64;
        }
    }

    /// The chances a verdict of each kind is appealed and overturned: the remembered counts
    /// with the prior counted as `prior_verdicts` verdicts (a Beta prior's pseudo-counts), so
    /// with nothing remembered the estimate is the prior and with much remembered it is the
    /// experience. Appeals and reversals answer verdicts of earlier periods, so the counts may
    /// briefly say more than one per verdict; a chance does not.
    pub fn estimate(&self, prior: &VerdictRisks, prior_verdicts: f64) -> VerdictRisks {
        let mut risks = VerdictRisks::default();
        for ((r, m), p) in risks.0.iter_mut().zip(&self.0).zip(&prior.0) {
            let weigh = |prior: f64, hits: f64| ((prior_verdicts * prior + hits) / (prior_verdicts + m.given)).min(1.0);
            r.appealed = weigh(p.appealed, m.appealed);
            r.overturned = weigh(p.overturned, m.overturned);
        }
        risks
    }
}

/// Defendants whose trial ended, and how many of them were acquitted: a procurator's record
/// for a period (or the sum of a province's procurators').
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrialRecord {
    pub tried: u32,
    pub acquitted: u32,
}

impl TrialRecord {
    pub fn add(&mut self, other: &TrialRecord) {
        self.tried += other.tried;
        self.acquitted += other.acquitted;
    }
}

#[derive(Clone, Debug)]
pub struct AppellateJudge {
    pub uid: u64,
    pub province: u16,
    pub deference: f64,
    /// Appeals decided in the current period (her budget, `appeal.appellate_ceiling`).
    pub decided: u32,
}

/// Trait tables, built once per run from the scenario's Beta distributions.
pub struct TraitTables {
    pub diligence: Arc<BetaTable>,
    pub venality: Arc<BetaTable>,
    pub zeal: Arc<BetaTable>,
    pub independence: Arc<BetaTable>,
    pub deference: Arc<BetaTable>,
}

impl TraitTables {
    pub fn new(s: &Scenario) -> TraitTables {
        let [diligence, venality, zeal, independence, deference] = TraitTables::betas(s).map(BetaTable::new);
        TraitTables { diligence, venality, zeal, independence, deference }
    }

    /// The distributions of the tables, in the order of the fields.
    pub fn betas(s: &Scenario) -> [Beta; 5] {
        let t = &s.traits;
        [
            t.investigator_diligence,
            t.investigator_venality,
            t.procurator_zeal,
            t.judge_independence,
            t.appellate_deference,
        ]
    }
}

/// All officials of a run. The roster of a kind in province `p` (`*_rosters[p]`) lists the
/// indices of those serving there, so assigning a case is one draw over the roster. Agents who
/// leave (a dated staff cut) drop off the roster but stay in the vector, finishing the cases
/// they hold; hires are appended, so an index, once given to a case, stays valid.
pub struct Agents {
    pub investigators: Vec<Investigator>,
    pub procurators: Vec<Procurator>,
    pub judges: Vec<Judge>,
    pub appellate: Vec<AppellateJudge>,
    pub investigator_rosters: Vec<Vec<u32>>,
    pub procurator_rosters: Vec<Vec<u32>>,
    pub judge_rosters: Vec<Vec<u32>>,
    pub appellate_rosters: Vec<Vec<u32>>,
    /// The next uid for a newly hired agent (replacements after dismissal, staff increases).
    next_uid: u64,
}

/// Splits `total` between provinces by `shares` (largest remainder), at least one each.
pub fn split_staff(total: u32, shares: &[f64]) -> Vec<u32> {
    let n = shares.len();
    let spare = total.saturating_sub(n as u32) as f64;
    let mut counts: Vec<u32> = shares.iter().map(|s| 1 + (s * spare).floor() as u32).collect();
    let mut assigned: u32 = counts.iter().sum();
    let mut order: Vec<usize> = (0..n).collect();
    // Largest fractional part first; ties by index, so the split is deterministic.
    order.sort_by(|&a, &b| {
        let fa = shares[a] * spare - (shares[a] * spare).floor();
        let fb = shares[b] * spare - (shares[b] * spare).floor();
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    let mut i = 0;
    while assigned < total.max(n as u32) {
        counts[order[i % n]] += 1;
        assigned += 1;
        i += 1;
    }
    counts
}

/// Rosters of agents created province by province: province `p` gets the next `counts[p]`
/// indices.
fn rosters(counts: &[u32]) -> Vec<Vec<u32>> {
    let mut start = 0;
    counts
        .iter()
        .map(|&c| {
            let r = (start..start + c).collect();
            start += c;
            r
        })
        .collect()
}

/// The mean of `value` over the agents on a roster (`fallback` for an empty one).
fn roster_mean<A>(agents: &[A], roster: &[u32], value: impl Fn(&A) -> f64, fallback: f64) -> f64 {
    if roster.is_empty() {
        return fallback;
    }
    roster.iter().map(|&i| value(&agents[i as usize])).sum::<f64>() / roster.len() as f64
}

/// Initial beliefs of a judge: what the appellate system would do at its base rates, before
/// she has seen any of it (the warm-up years let her learn the rest).
pub fn prior_risks(s: &Scenario) -> VerdictRisks {
    let a = &s.behaviour.appeal;
    let risk = |appealed: f64, overturn_logit: f64| Risk { appealed, overturned: appealed * logistic(overturn_logit) };
    let mut r = VerdictRisks::default();
    *r.get_mut(VerdictKind::PublicAcquittal) = risk(a.procurator_appeal_acquittal, a.overturn_acquittal_logit);
    *r.get_mut(VerdictKind::PublicConviction) = risk(a.defendant_appeal_custodial, a.overturn_conviction_logit);
    *r.get_mut(VerdictKind::PrivateAcquittal) = risk(a.private_appeal, a.overturn_acquittal_logit);
    *r.get_mut(VerdictKind::PrivateConviction) = risk(a.defendant_appeal_other, a.overturn_conviction_logit);
    r
}

impl Agents {
    pub fn new(s: &Scenario, tables: &TraitTables, stream: &mut RunStream) -> Agents {
        let shares: Vec<f64> = s.provinces.iter().map(|p| p.staff_share).collect();
        let Staff { investigators, procurators, trial_judges, appellate_judges, .. } = *s.initial_staff();
        let n_inv = split_staff(investigators, &shares);
        let n_proc = split_staff(procurators, &shares);
        let n_judge = split_staff(trial_judges, &shares);
        let n_app = split_staff(appellate_judges, &shares);
        let risks0 = prior_risks(s);
        let capacity = s.behaviour.investigation.capacity;
        let judge_capacity = s.behaviour.trial.judge_capacity;
        // Initial agents are numbered in creation order; their uid addresses their draws.
        let mut uid = 0u64;
        let next = |uid: &mut u64| {
            *uid += 1;
            *uid - 1
        };
        let mut agents = Agents {
            investigators: Vec::new(),
            procurators: Vec::new(),
            judges: Vec::new(),
            appellate: Vec::new(),
            investigator_rosters: rosters(&n_inv),
            procurator_rosters: rosters(&n_proc),
            judge_rosters: rosters(&n_judge),
            appellate_rosters: rosters(&n_app),
            next_uid: 0,
        };
        for (p, &n) in n_inv.iter().enumerate() {
            for _ in 0..n {
                let w = stream.agent_words(next(&mut uid));
                agents.investigators.push(Investigator {
                    uid: uid - 1,
                    province: p as u16,
                    diligence: tables.diligence.sample(unit(w[0])),
                    venality: tables.venality.sample(unit(w[1])),
                    assigned: 0,
                    load: capacity,
                    clear_exponent: f64::NAN,
                    clear_slack: 0.0,
                    clear_inputs: ClearInputs::UNSET,
                });
            }
        }
        for (p, &n) in n_proc.iter().enumerate() {
            for _ in 0..n {
                let w = stream.agent_words(next(&mut uid));
                agents.procurators.push(Procurator {
                    uid: uid - 1,
                    province: p as u16,
                    zeal: tables.zeal.sample(unit(w[0])),
                    trials: TrialRecord::default(),
                    acquittal_belief: s.behaviour.procurator.acquittal_belief_scale,
                    reviewed: 0,
                });
            }
        }
        for (p, &n) in n_judge.iter().enumerate() {
            for _ in 0..n {
                let w = stream.agent_words(next(&mut uid));
                agents.judges.push(new_judge(
                    uid - 1,
                    p as u16,
                    tables.independence.sample(unit(w[0])),
                    judge_capacity,
                    risks0,
                ));
            }
        }
        for (p, &n) in n_app.iter().enumerate() {
            for _ in 0..n {
                let w = stream.agent_words(next(&mut uid));
                agents.appellate.push(AppellateJudge {
                    uid: uid - 1,
                    province: p as u16,
                    deference: tables.deference.sample(unit(w[0])),
                    decided: 0,
                });
            }
        }
        // Replacements are numbered after every initial agent, far above them.
        agents.next_uid = (1 << 32) + uid;
        agents
    }

    /// Replaces a dismissed judge with a newcomer drawn from the same trait distribution.
    /// The newcomer starts from the province colleagues' current beliefs (she learns the
    /// local climate from them), with no reversals on record.
    pub fn replace_judge(&mut self, index: usize, tables: &TraitTables, stream: &mut RunStream, capacity: f64) {
        let uid = self.hire_uid();
        let province = self.judges[index].province;
        let roster = &self.judge_rosters[province as usize];
        let risks = VerdictRisks::mean(roster.iter().map(|&j| &self.judges[j as usize].risks)).unwrap_or_default();
        let w = stream.agent_words(uid);
        let independence = tables.independence.sample(unit(w[0]));
        self.judges[index] = new_judge(uid, province, independence, capacity, risks);
    }

    /// Brings every roster to the national counts of `staff` (split by staff share, as at the
    /// start). A province short of officials hires newcomers, drawn from the same trait
    /// distributions, who take on the beliefs and workload their colleagues there have now (they
    /// join the same docket and the same local climate); one with too many lets its latest
    /// arrivals go (they finish the cases they hold).
    pub fn restaff(&mut self, s: &Scenario, staff: &Staff, tables: &TraitTables, stream: &mut RunStream) {
        let shares: Vec<f64> = s.provinces.iter().map(|p| p.staff_share).collect();
        let risks0 = prior_risks(s);
        let uid = &mut self.next_uid;
        for (p, n) in split_staff(staff.investigators, &shares).into_iter().enumerate() {
            let roster = &mut self.investigator_rosters[p];
            let load = roster_mean(&self.investigators, roster, |a| a.load, s.behaviour.investigation.capacity);
            fill_roster(&mut self.investigators, roster, n, uid, |uid| {
                let w = stream.agent_words(uid);
                Investigator {
                    uid,
                    province: p as u16,
                    diligence: tables.diligence.sample(unit(w[0])),
                    venality: tables.venality.sample(unit(w[1])),
                    assigned: 0,
                    load,
                    // Set before the newcomer's first case (`World::refresh_clearance_exponents`).
                    clear_exponent: f64::NAN,
                    clear_slack: 0.0,
                    clear_inputs: ClearInputs::UNSET,
                }
            });
        }
        for (p, n) in split_staff(staff.procurators, &shares).into_iter().enumerate() {
            let roster = &mut self.procurator_rosters[p];
            let belief = roster_mean(
                &self.procurators,
                roster,
                |a| a.acquittal_belief,
                s.behaviour.procurator.acquittal_belief_scale,
            );
            fill_roster(&mut self.procurators, roster, n, uid, |uid| {
                let w = stream.agent_words(uid);
                Procurator {
                    uid,
                    province: p as u16,
                    zeal: tables.zeal.sample(unit(w[0])),
                    trials: TrialRecord::default(),
                    acquittal_belief: belief,
                    reviewed: 0,
                }
            });
        }
        for (p, n) in split_staff(staff.trial_judges, &shares).into_iter().enumerate() {
            let roster = &mut self.judge_rosters[p];
            let load = roster_mean(&self.judges, roster, |j| j.load, s.behaviour.trial.judge_capacity);
            let risks = VerdictRisks::mean(roster.iter().map(|&j| &self.judges[j as usize].risks)).unwrap_or(risks0);
            fill_roster(&mut self.judges, roster, n, uid, |uid| {
                let independence = tables.independence.sample(unit(stream.agent_words(uid)[0]));
                new_judge(uid, p as u16, independence, load, risks)
            });
        }
        for (p, n) in split_staff(staff.appellate_judges, &shares).into_iter().enumerate() {
            fill_roster(&mut self.appellate, &mut self.appellate_rosters[p], n, uid, |uid| AppellateJudge {
                uid,
                province: p as u16,
                deference: tables.deference.sample(unit(stream.agent_words(uid)[0])),
                decided: 0,
            });
        }
    }

    fn hire_uid(&mut self) -> u64 {
        self.next_uid += 1;
        self.next_uid - 1
    }
}

/// Brings `roster` to `n` agents: appends newcomers made by `hire` (given each a fresh uid from
/// `next_uid`), or lets the latest arrivals go (they stay in `agents`, off the roster).
fn fill_roster<A>(
    agents: &mut Vec<A>,
    roster: &mut Vec<u32>,
    n: u32,
    next_uid: &mut u64,
    mut hire: impl FnMut(u64) -> A,
) {
    while roster.len() < n as usize {
        roster.push(agents.len() as u32);
        agents.push(hire(*next_uid));
        *next_uid += 1;
    }
    roster.truncate(n as usize);
}

fn new_judge(uid: u64, province: u16, independence: f64, load: f64, risks: VerdictRisks) -> Judge {
    Judge {
        uid,
        province,
        independence,
        reversals_year: 0,
        decided: 0,
        detention_hearings: 0,
        load,
        risks,
        memory: VerdictMemory::default(),
        record: VerdictRecord::default(),
        period_words: KeptPeriodWords::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;

    /// A record of `given` verdicts of one kind, `appealed` and `overturned` of them.
    fn record(kind: VerdictKind, given: u32, appealed: u32, overturned: u32) -> VerdictRecord {
        let mut r = VerdictRecord::default();
        r.0[kind.index()] = VerdictCount { given, appealed, overturned };
        r
    }

    #[test]
    fn remembered_verdicts_weigh_against_the_prior_as_counts() {
        let acq = VerdictKind::PublicAcquittal;
        let mut prior = VerdictRisks::default();
        *prior.get_mut(acq) = Risk { appealed: 0.7, overturned: 0.06 };
        let mut m = VerdictMemory::default();
        // Nothing remembered: the prior.
        assert_eq!(m.estimate(&prior, 10.0).get(acq), prior.get(acq));
        // One acquittal, appealed and overturned: one verdict against the prior's ten, not the
        // certainty a ratio of the period would say.
        m.remember(&record(acq, 1, 1, 1), 0.2);
        let r = m.estimate(&prior, 10.0).get(acq);
        assert!((r.appealed - (7.0 + 1.0) / 11.0).abs() < 1e-12, "{r:?}");
        assert!((r.overturned - (0.6 + 1.0) / 11.0).abs() < 1e-12, "{r:?}");
        // A period later with no verdicts, a fifth of it is forgotten.
        m.remember(&VerdictRecord::default(), 0.2);
        let r = m.estimate(&prior, 10.0).get(acq);
        assert!((r.overturned - (0.6 + 0.8) / 10.8).abs() < 1e-12, "{r:?}");
        // Much experience outweighs the prior: 1,000 verdicts a period, a tenth overturned.
        let conv = VerdictKind::PublicConviction;
        for _ in 0..50 {
            m.remember(&record(conv, 1000, 300, 100), 0.2);
        }
        let r = m.estimate(&prior, 10.0).get(conv);
        assert!((r.appealed - 0.3).abs() < 1e-3 && (r.overturned - 0.1).abs() < 1e-3, "{r:?}");
        // Reversals answering verdicts of earlier periods may outnumber this memory's verdicts:
        // a chance stays at most 1.
        let mut late = VerdictMemory::default();
        late.remember(&record(acq, 0, 30, 30), 0.2);
        assert_eq!(late.estimate(&prior, 10.0).get(acq).appealed, 1.0);
    }

    #[test]
    fn a_blend_weighs_colleagues_by_their_weight() {
        let k = VerdictKind::PrivateConviction;
        let (mut own, mut peers) = (VerdictRisks::default(), VerdictRisks::default());
        *own.get_mut(k) = Risk { appealed: 0.2, overturned: 0.1 };
        *peers.get_mut(k) = Risk { appealed: 0.6, overturned: 0.3 };
        let r = own.blend(&peers, 0.25).get(k);
        assert!((r.appealed - 0.3).abs() < 1e-12 && (r.overturned - 0.15).abs() < 1e-12, "{r:?}");
        assert_eq!(own.blend(&peers, 0.0), own);
    }

    /// Each roster holds exactly the split counts, of agents of its province, every index once.
    fn check_rosters<A>(agents: &[A], rosters: &[Vec<u32>], counts: &[u32], province: impl Fn(&A) -> u16) {
        let mut seen = vec![false; agents.len()];
        for (p, (roster, &n)) in rosters.iter().zip(counts).enumerate() {
            assert_eq!(roster.len(), n as usize, "province {p}");
            for &i in roster {
                assert_eq!(province(&agents[i as usize]) as usize, p);
                assert!(!std::mem::replace(&mut seen[i as usize], true), "agent {i} on two rosters");
            }
        }
    }

    #[test]
    fn restaffing_hires_and_lets_go_by_province() {
        let s = scenario::load_path(std::path::Path::new("tests/fixtures/tiny.toml")).expect("tiny fixture loads");
        let tables = TraitTables::new(&s);
        let mut stream = RunStream::new(1, 0);
        let mut agents = Agents::new(&s, &tables, &mut stream);
        let shares: Vec<f64> = s.provinces.iter().map(|p| p.staff_share).collect();
        let initial_uids: Vec<u64> = agents.judges.iter().map(|j| j.uid).collect();
        // Beliefs the province's judges hold when the newcomers arrive.
        for (k, j) in agents.judges.iter_mut().enumerate() {
            j.risks.get_mut(VerdictKind::PublicAcquittal).overturned = 0.01 * k as f64;
        }
        let before: Vec<f64> =
            agents.judges.iter().map(|j| j.risks.get(VerdictKind::PublicAcquittal).overturned).collect();
        let mean_of = |roster: &[u32]| roster.iter().map(|&i| before[i as usize]).sum::<f64>() / roster.len() as f64;
        let province_means: Vec<f64> = agents.judge_rosters.iter().map(|r| mean_of(r)).collect();

        let mut more = s.initial_staff().clone();
        more.investigators *= 2;
        more.procurators += 5;
        more.trial_judges *= 3;
        more.appellate_judges += 2;
        agents.restaff(&s, &more, &tables, &mut stream);
        check_rosters(
            &agents.investigators,
            &agents.investigator_rosters,
            &split_staff(more.investigators, &shares),
            |a| a.province,
        );
        check_rosters(&agents.procurators, &agents.procurator_rosters, &split_staff(more.procurators, &shares), |a| {
            a.province
        });
        check_rosters(&agents.judges, &agents.judge_rosters, &split_staff(more.trial_judges, &shares), |a| a.province);
        check_rosters(
            &agents.appellate,
            &agents.appellate_rosters,
            &split_staff(more.appellate_judges, &shares),
            |a| a.province,
        );
        // The serving judges are untouched; newcomers have uids of their own and start from
        // their province colleagues' beliefs.
        assert_eq!(agents.judges.len(), 3 * initial_uids.len());
        assert!(agents.judges.iter().zip(&initial_uids).all(|(j, &uid)| j.uid == uid));
        let mut uids: Vec<u64> = agents.judges.iter().map(|j| j.uid).collect();
        uids.sort_unstable();
        uids.dedup();
        assert_eq!(uids.len(), agents.judges.len());
        for j in &agents.judges[initial_uids.len()..] {
            let got = j.risks.get(VerdictKind::PublicAcquittal).overturned;
            assert!((got - province_means[j.province as usize]).abs() < 1e-15);
            assert!(j.uid >= 1 << 32);
        }

        // A cut: the latest arrivals leave the rosters but stay in the vectors (they finish
        // their cases), so every index a case may hold stays valid.
        let fewer = s.initial_staff().clone();
        agents.restaff(&s, &fewer, &tables, &mut stream);
        check_rosters(&agents.judges, &agents.judge_rosters, &split_staff(fewer.trial_judges, &shares), |a| a.province);
        check_rosters(
            &agents.investigators,
            &agents.investigator_rosters,
            &split_staff(fewer.investigators, &shares),
            |a| a.province,
        );
        assert_eq!(agents.judges.len(), 3 * initial_uids.len());
        let serving: Vec<u64> = agents.judge_rosters.iter().flatten().map(|&i| agents.judges[i as usize].uid).collect();
        assert!(serving.iter().all(|uid| initial_uids.contains(uid)), "the first judges serve on");
    }

    #[test]
    fn split_staff_conserves_and_gives_everyone_one() {
        let shares = [0.5, 0.3, 0.15, 0.05];
        for total in [4, 5, 17, 100, 2600] {
            let c = split_staff(total, &shares);
            assert_eq!(c.iter().sum::<u32>(), total);
            assert!(c.iter().all(|&x| x >= 1));
        }
        assert_eq!(split_staff(100, &shares), vec![49, 30, 15, 6]);
    }
}
