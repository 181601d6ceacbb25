//! The officials: investigators, procurators, trial judges and appellate judges, each with
//! traits drawn at creation, a workload, and beliefs learned from their own and their province
//! colleagues' experience between periods.

use std::sync::Arc;

use super::dist::{BetaTable, logistic, normal_quantile};
use super::draws::{RunStream, unit};
use crate::scenario::{Scenario, Staff};

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
    /// province's annualised work per investigator (`World::province_work`), effort =
    /// (0.5 + diligence)(1 + clearance_effort x clearance weight). It changes only with the
    /// load (between periods) and the weights (at a dated change), so it is kept here.
    pub clear_exponent: f64,
}

#[derive(Clone, Debug)]
pub struct Procurator {
    pub uid: u64,
    pub province: u16,
    pub zeal: f64,
    /// Defendants this procurator sent to court whose trial ended this period, and of those
    /// how many were acquitted.
    pub tried: u32,
    pub acquitted: u32,
    /// Belief: acquittal chance of an average case sent to court.
    pub acquittal_belief: f64,
}

#[derive(Clone, Debug)]
pub struct Judge {
    pub uid: u64,
    pub province: u16,
    pub independence: f64,
    /// Decisions overturned on appeal in the current calendar year (the monitored indicator).
    pub reversals_year: u32,
    /// Cases decided in the current period.
    pub decided: u32,
    /// Annualised caseload (smoothed).
    pub load: f64,
    /// Beliefs: chance an acquittal / a conviction of hers is overturned.
    pub belief_reverse_acquittal: f64,
    pub belief_reverse_conviction: f64,
    /// Appeals against her acquittals / convictions decided this period, and reversals among them.
    pub obs: [u32; 4],
}

#[derive(Clone, Debug)]
pub struct AppellateJudge {
    pub uid: u64,
    pub province: u16,
    pub deference: f64,
}

/// Province-level state: closeness of local officials, a shift on the log-odds of decisions.
#[derive(Clone, Debug)]
pub struct ProvinceState {
    pub reconciliation_shift: f64,
    pub acquittal_shift: f64,
    pub detention_shift: f64,
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
        let t = &s.traits;
        TraitTables {
            diligence: BetaTable::new(t.investigator_diligence),
            venality: BetaTable::new(t.investigator_venality),
            zeal: BetaTable::new(t.procurator_zeal),
            independence: BetaTable::new(t.judge_independence),
            deference: BetaTable::new(t.appellate_deference),
        }
    }
}

/// All officials of a run, grouped by province: agents of a kind in province `p` occupy
/// `ranges[p]` of their vector, so assigning a case is one draw over a contiguous range.
pub struct Agents {
    pub investigators: Vec<Investigator>,
    pub procurators: Vec<Procurator>,
    pub judges: Vec<Judge>,
    pub appellate: Vec<AppellateJudge>,
    pub investigator_ranges: Vec<(u32, u32)>,
    pub procurator_ranges: Vec<(u32, u32)>,
    pub judge_ranges: Vec<(u32, u32)>,
    pub appellate_ranges: Vec<(u32, u32)>,
    pub provinces: Vec<ProvinceState>,
    /// The next uid for a newly hired agent (replacements after dismissal).
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

fn ranges(counts: &[u32]) -> Vec<(u32, u32)> {
    let mut start = 0;
    counts
        .iter()
        .map(|&c| {
            let r = (start, start + c);
            start += c;
            r
        })
        .collect()
}

/// Initial beliefs of a judge: what the appellate system would do at its base rates.
pub fn prior_reversal_beliefs(s: &Scenario) -> (f64, f64) {
    let a = &s.behaviour.appeal;
    let acq = a.procurator_appeal_acquittal * logistic(a.overturn_acquittal_logit);
    let conv = a.defendant_appeal_custodial * logistic(a.overturn_conviction_logit);
    (acq, conv)
}

impl Agents {
    pub fn new(s: &Scenario, tables: &TraitTables, stream: &mut RunStream) -> Agents {
        let shares: Vec<f64> = s.provinces.iter().map(|p| p.staff_share).collect();
        let Staff { investigators, procurators, trial_judges, appellate_judges, .. } = s.staff;
        let n_inv = split_staff(investigators, &shares);
        let n_proc = split_staff(procurators, &shares);
        let n_judge = split_staff(trial_judges, &shares);
        let n_app = split_staff(appellate_judges, &shares);
        let (acq0, conv0) = prior_reversal_beliefs(s);
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
            investigator_ranges: ranges(&n_inv),
            procurator_ranges: ranges(&n_proc),
            judge_ranges: ranges(&n_judge),
            appellate_ranges: ranges(&n_app),
            provinces: Vec::new(),
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
                    tried: 0,
                    acquitted: 0,
                    acquittal_belief: s.behaviour.procurator.acquittal_belief_scale,
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
                    (acq0, conv0),
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
                });
            }
        }
        let t = &s.traits;
        for p in 0..s.provinces.len() {
            let w = stream.province_words(p);
            agents.provinces.push(ProvinceState {
                reconciliation_shift: t.province_sd_reconciliation * normal_quantile(unit(w[0])),
                acquittal_shift: t.province_sd_acquittal * normal_quantile(unit(w[1])),
                detention_shift: t.province_sd_detention * normal_quantile(unit(w[2])),
            });
        }
        // Replacements are numbered after every initial agent, far above them.
        agents.next_uid = (1 << 32) + uid;
        agents
    }

    /// Replaces a dismissed judge with a newcomer drawn from the same trait distribution.
    /// The newcomer starts from the province colleagues' current beliefs (she learns the
    /// local climate from them), with no reversals on record.
    pub fn replace_judge(&mut self, index: usize, tables: &TraitTables, stream: &mut RunStream, capacity: f64) {
        let uid = self.next_uid;
        self.next_uid += 1;
        let province = self.judges[index].province;
        let (lo, hi) = self.judge_ranges[province as usize];
        let n = (hi - lo) as f64;
        let (mut acq, mut conv) = (0.0, 0.0);
        for j in &self.judges[lo as usize..hi as usize] {
            acq += j.belief_reverse_acquittal / n;
            conv += j.belief_reverse_conviction / n;
        }
        let w = stream.agent_words(uid);
        let independence = tables.independence.sample(unit(w[0]));
        self.judges[index] = new_judge(uid, province, independence, capacity, (acq, conv));
    }
}

fn new_judge(uid: u64, province: u16, independence: f64, capacity: f64, beliefs: (f64, f64)) -> Judge {
    Judge {
        uid,
        province,
        independence,
        reversals_year: 0,
        decided: 0,
        load: capacity,
        belief_reverse_acquittal: beliefs.0,
        belief_reverse_conviction: beliefs.1,
        obs: [0; 4],
    }
}

#[cfg(test)]
mod tests {
    use super::split_staff;

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
