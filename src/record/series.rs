//! The published series: each defined from a year's counters, with the published definition
//! (a count, a ratio, a share), nationally and per province.

use super::{Counter, N_COUNTERS, ProvinceCounter, Tally};
use crate::scenario::Scenario;

/// How a series is computed from the counters of a year.
#[derive(Clone, Copy, Debug)]
enum Def {
    Count(Counter),
    Ratio(Counter, Counter),
    /// (a) / (a + b)
    ShareOfSum(Counter, Counter),
    /// Any other function of a year's counters.
    Custom(fn(&Tally, usize) -> f64),
    ProvinceCount(ProvinceCounter),
    /// The sum of the first counters over the sum of the second, in the province.
    ProvinceRatio(&'static [ProvinceCounter], &'static [ProvinceCounter]),
    /// The coefficient of variation (`cv_across`) across provinces of a province ratio, over
    /// the provinces where it is defined: how far provinces drift apart.
    ProvinceCv(&'static [ProvinceCounter], &'static [ProvinceCounter]),
    /// The part of that spread that chance alone would not produce (`excess_cv_across`), with
    /// the noise of a count drawn as `Sampling` says.
    ProvinceExcessCv(&'static [ProvinceCounter], &'static [ProvinceCounter], Sampling),
}

/// How a province's count varies by chance around its expected value, given its denominator.
#[derive(Clone, Copy, Debug)]
pub enum Sampling {
    /// The numerator is part of the denominator (a share): binomial, variance r(1 - r)/n.
    Binomial,
    /// The numerator is counted apart (acquittals per conviction): Poisson, variance r/n.
    Poisson,
}

/// A published (or extra) series: its name, unit and definition.
pub struct SeriesDef {
    pub name: String,
    pub unit: &'static str,
    province: Option<usize>,
    def: Def,
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 { f64::NAN } else { num as f64 / den as f64 }
}

fn province_ratio(t: &Tally, y: usize, p: usize, num: &[ProvinceCounter], den: &[ProvinceCounter]) -> f64 {
    let sum = |cs: &[ProvinceCounter]| cs.iter().map(|&c| t.get_province(y, p, c)).sum::<u64>();
    ratio(sum(num), sum(den))
}

/// The coefficient of variation of `values` (population standard deviation over mean), NaN
/// values left out; NaN when fewer than two remain or their mean is 0.
pub fn cv_across(values: &[f64]) -> f64 {
    let defined: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    let n = defined.len() as f64;
    let mean = defined.iter().sum::<f64>() / n;
    if defined.len() < 2 || mean == 0.0 {
        return f64::NAN;
    }
    let var = defined.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    var.sqrt() / mean
}

/// The between-province coefficient of variation of the rates `num[p] / den[p]` beyond what
/// chance alone would give: the method-of-moments estimate of the spread of the provinces'
/// underlying rates (as in DerSimonian and Laird's random-effects meta-analysis, unweighted),
/// sqrt(max(0, var(r_p) - mean_p(v_p))) / mean(r_p), where v_p is the sampling variance of
/// province p's rate at the pooled rate (`Sampling`). A few dozen acquittals a province make
/// a wide observed spread out of identical practices; this measure sees through it. Provinces
/// with no denominator are left out; NaN when fewer than two remain or their mean is 0.
pub fn excess_cv_across(num: &[u64], den: &[u64], sampling: Sampling) -> f64 {
    let pairs: Vec<(f64, f64)> =
        num.iter().zip(den).filter(|(_, d)| **d > 0).map(|(&a, &d)| (a as f64, d as f64)).collect();
    let n = pairs.len() as f64;
    let rates: Vec<f64> = pairs.iter().map(|(a, d)| a / d).collect();
    let mean = rates.iter().sum::<f64>() / n;
    if pairs.len() < 2 || mean == 0.0 {
        return f64::NAN;
    }
    let pooled = pairs.iter().map(|p| p.0).sum::<f64>() / pairs.iter().map(|p| p.1).sum::<f64>();
    let observed = rates.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n;
    let chance = pairs
        .iter()
        .map(|(_, d)| match sampling {
            Sampling::Binomial => pooled * (1.0 - pooled) / d,
            Sampling::Poisson => pooled / d,
        })
        .sum::<f64>()
        / n;
    (observed - chance).max(0.0).sqrt() / mean
}

/// Public cases ending in reconciliation, before trial or at it, and the public cases decided
/// with or without a trial they are a share of: the whole of a province's reconciliation, which
/// the judges' share alone hides (a close network settles before trial what would otherwise
/// reach the judges).
const RECONCILED_ALL_STAGES: &[ProvinceCounter] =
    &[ProvinceCounter::ReconciledByJudges, ProvinceCounter::ReconciledPretrial];
const CASES_DECIDED: &[ProvinceCounter] = &[ProvinceCounter::CasesHeard, ProvinceCounter::ReconciledPretrial];

/// The national series: every series of the calibration targets, with its definition, plus
/// the extra series analysts asked for.
fn national_defs() -> Vec<(&'static str, &'static str, Def)> {
    use Counter::*;
    let mut defs = vec![
        ("registered.crimes", "cases", Def::Count(Registered)),
        ("investigation.cleared", "cases", Def::Count(Cleared)),
        ("investigation.clearance_rate", "share", Def::Ratio(Cleared, Registered)),
        ("procurator.sent_to_court", "cases", Def::Count(SentToCourt)),
        ("procurator.closed_nonrehabilitative", "cases", Def::Count(ClosedNonrehab)),
        ("procurator.closed_exonerating", "cases", Def::Count(ClosedExonerating)),
        ("procurator.defendants_closed", "defendants", Def::Count(DefendantsClosed)),
        ("procurator.defendants_to_court", "defendants", Def::Count(DefendantsToCourt)),
        ("procurator.reviews_postponed", "cases", Def::Count(ReviewsPostponed)),
        ("trial.cases_with_sentence", "cases", Def::Count(TrialSentenceCases)),
        ("trial.convicted", "defendants", Def::Count(TrialConvicted)),
        ("trial.acquitted", "defendants", Def::Count(TrialAcquitted)),
        ("trial.acquitted_public", "defendants", Def::Count(TrialAcquittedPublic)),
        ("trial.returned_supplementary", "cases", Def::Count(ReturnedSupplementary)),
        ("trial.returned_supplementary_share", "share", Def::Ratio(ReturnedSupplementary, CourtHeard)),
        ("trial.returned_to_procurator", "cases", Def::Count(ReturnedToProcurator)),
        ("trial.closed", "cases", Def::Count(TrialClosed)),
        ("trial.closed_reconciliation", "cases", Def::Count(TrialClosedReconciled)),
        ("trial.closed_exonerating", "cases", Def::Count(TrialClosedExonerating)),
        ("court.cases_heard", "cases", Def::Count(CourtHeard)),
        ("court.hearings_postponed", "cases", Def::Count(HearingsPostponed)),
        ("appeal.postponed", "cases", Def::Count(AppealsPostponed)),
        ("appeal.cases_decided", "cases", Def::Count(AppealsDecided)),
        ("private.cases", "cases", Def::Count(PrivateCases)),
        ("private.closed", "cases", Def::Count(PrivateClosed)),
        ("private.transferred", "cases", Def::Count(PrivateTransferred)),
        ("private.cases_with_sentence", "cases", Def::Count(PrivateSentenceCases)),
        ("private.convicted", "defendants", Def::Count(PrivateConvicted)),
        ("private.acquitted", "defendants", Def::Count(PrivateAcquitted)),
        ("private.share_of_all_acquittals", "share", Def::Ratio(PrivateAcquitted, TrialAcquitted)),
        ("jury.cases", "cases", Def::Count(JuryCases)),
        ("jury.convicted", "defendants", Def::Count(JuryConvicted)),
        ("jury.acquitted", "defendants", Def::Count(JuryAcquitted)),
        ("jury.acquittal_rate", "share", Def::ShareOfSum(JuryAcquitted, JuryConvicted)),
        ("jury.share_of_public_acquittals", "share", Def::Ratio(JuryAcquitted, TrialAcquittedPublic)),
        ("detention.judge_approval_rate", "share", Def::Ratio(JudgeApproved, JudgeDecided)),
        ("detention.detained", "defendants", Def::Count(Detained)),
        ("detention.procurator_approval_rate", "share", Def::Ratio(ProcuratorApproved, ProcuratorDecided)),
        ("detention.procurator_refusals", "defendants", Def::Count(ProcuratorRefusals)),
        ("detention.procurator_refusal_rate", "share", Def::Ratio(ProcuratorRefusals, DetentionRequests)),
        ("detention.bail_releases", "defendants", Def::Count(BailReleases)),
        ("detention.released_on_closure_share", "share", Def::Ratio(ReleasedOnClosure, DetentionExits)),
        ("detention.released_from_police_custody", "persons", Def::Count(CustodyReleased)),
        ("detention.short_custody_share", "share", Def::Ratio(CustodyShort, CustodyHeld)),
        ("prison.population", "persons", Def::Count(PrisonPopulation)),
        ("prison.pretrial_detainees", "persons", Def::Count(PretrialDetainees)),
        ("prison.pretrial_share", "share", Def::Ratio(PretrialDetainees, PrisonPopulation)),
        ("prison.amnesty_released", "persons", Def::Count(AmnestyReleased)),
        ("prison.paroled", "persons", Def::Count(Paroled)),
        ("sentencing.prison_share", "share", Def::Ratio(CustodialSentences, SentencedDefendants)),
        ("sentencing.convicted_jobless_share", "share", Def::Ratio(ConvictedJobless, SentencedDefendants)),
        ("reconciliation.court_share_of_heard", "share", Def::Ratio(TrialClosedReconciled, CourtHeard)),
        (
            "reconciliation.total",
            "cases",
            Def::Custom(|t, y| {
                (t.get(y, Counter::ReconciledPretrial) + t.get(y, Counter::TrialClosedReconciled)) as f64
            }),
        ),
        ("reconciliation.pretrial", "cases", Def::Count(ReconciledPretrial)),
        ("reconciliation.pretrial_share", "share", Def::ShareOfSum(ReconciledPretrial, TrialClosedReconciled)),
        (
            "reconciliation.share_of_judicial_nonrehab_closures",
            "share",
            Def::ShareOfSum(TrialClosedReconciled, TrialClosedOtherNonrehab),
        ),
        ("appeal.persons_reviewed_public", "defendants", Def::Count(AppealReviewedPublic)),
        ("appeal.acquittals_overturned", "defendants", Def::Count(AcquittalsOverturned)),
        ("appeal.acquittals_overturned_share", "share", Def::Ratio(AcquittalsOverturned, TrialAcquitted)),
        ("appeal.sentences_overturned", "cases", Def::Count(SentencesOverturned)),
        ("appeal.sentences_overturned_share", "share", Def::Ratio(SentencesOverturned, TrialSentenceCases)),
        ("appeal.acquitted_by_higher_courts", "defendants", Def::Count(AcquittedByHigherCourts)),
        ("torture.complaints_registered", "complaints", Def::Count(TortureRegistered)),
        ("torture.cases_opened", "cases", Def::Count(TortureOpened)),
        ("torture.cases_to_court", "cases", Def::Count(TortureToCourt)),
        ("torture.trial_complaints", "complaints", Def::Count(TortureTrialComplaints)),
        ("judges.dismissed", "persons", Def::Count(JudgesDismissed)),
        ("private.withdrawn", "cases", Def::Count(PrivateWithdrawn)),
    ];
    // Every observed spread, then every spread beyond chance.
    defs.extend(SPREADS.iter().map(|r| (r.cv, "ratio", Def::ProvinceCv(r.rate.0, r.rate.1))));
    defs.extend(
        SPREADS
            .iter()
            .map(|r| (r.excess_cv, "ratio", Def::ProvinceExcessCv(r.beyond_chance.0, r.beyond_chance.1, r.sampling))),
    );
    defs
}

/// A province rate (numerator and denominator counters).
type Rate = (&'static [ProvinceCounter], &'static [ProvinceCounter]);

/// A province rate whose spread across provinces is reported twice: as observed
/// (`provinces.cv.*`, from `rate`) and beyond what chance gives (`provinces.excess_cv.*`, from
/// `beyond_chance`, drawn as `sampling` says).
struct Spread {
    cv: &'static str,
    excess_cv: &'static str,
    rate: Rate,
    beyond_chance: Rate,
    sampling: Sampling,
}

const SPREADS: [Spread; 5] = {
    use ProvinceCounter::*;
    const JUDGES_RECONCILED: Rate = (&[ReconciledByJudges], &[CasesHeard]);
    const ALL_STAGES: Rate = (RECONCILED_ALL_STAGES, CASES_DECIDED);
    const APPROVED: Rate = (&[DetentionApproved], &[DetentionDecided]);
    const REFUSED: Rate = (&[DetentionRefusedCases], &[DetentionDecidedCases]);
    [
        Spread {
            cv: "provinces.cv.reconciled_share_of_cases",
            excess_cv: "provinces.excess_cv.reconciled_share_of_cases",
            rate: JUDGES_RECONCILED,
            beyond_chance: JUDGES_RECONCILED,
            sampling: Sampling::Binomial,
        },
        Spread {
            cv: "provinces.cv.reconciled_share_all_stages",
            excess_cv: "provinces.excess_cv.reconciled_share_all_stages",
            rate: ALL_STAGES,
            beyond_chance: ALL_STAGES,
            sampling: Sampling::Binomial,
        },
        Spread {
            cv: "provinces.cv.detention_approval_rate",
            excess_cv: "provinces.excess_cv.detention_approval_rate",
            rate: APPROVED,
            beyond_chance: APPROVED,
            sampling: Sampling::Binomial,
        },
        Spread {
            cv: "provinces.cv.detention_refusal_rate",
            excess_cv: "provinces.excess_cv.detention_refusal_rate",
            rate: REFUSED,
            beyond_chance: REFUSED,
            sampling: Sampling::Binomial,
        },
        Spread {
            cv: "provinces.cv.acquittals_per_conviction",
            excess_cv: "provinces.excess_cv.acquittals_per_conviction",
            // Observed in defendants, as published; beyond chance in cases: the accused of one
            // case share its verdict, so counting them would take the chance spread of a
            // clustered count (a group case acquitted moves a province's count by several)
            // for a difference between provinces.
            rate: (&[AcquittedExoneratedPublic], &[ConvictedPublic]),
            beyond_chance: (&[AcquittedExoneratedPublicCases], &[ConvictedPublicCases]),
            sampling: Sampling::Poisson,
        },
    ]
};

fn province_defs() -> Vec<(&'static str, &'static str, Def)> {
    use ProvinceCounter::*;
    vec![
        ("detention_approved", "defendants", Def::ProvinceCount(DetentionApproved)),
        ("detention_approval_rate", "share", Def::ProvinceRatio(&[DetentionApproved], &[DetentionDecided])),
        ("acquitted_exonerated_public", "defendants", Def::ProvinceCount(AcquittedExoneratedPublic)),
        ("convicted_public", "defendants", Def::ProvinceCount(ConvictedPublic)),
        ("reconciled_by_judges", "cases", Def::ProvinceCount(ReconciledByJudges)),
        ("reconciled_share_of_cases", "share", Def::ProvinceRatio(&[ReconciledByJudges], &[CasesHeard])),
        ("reconciled_pretrial", "cases", Def::ProvinceCount(ReconciledPretrial)),
        ("reconciled_share_all_stages", "share", Def::ProvinceRatio(RECONCILED_ALL_STAGES, CASES_DECIDED)),
    ]
}

/// Every output series of a scenario, in output order: national series, then per province.
pub fn series_defs(scenario: &Scenario) -> Vec<SeriesDef> {
    let mut out: Vec<SeriesDef> = national_defs()
        .into_iter()
        .map(|(name, unit, def)| SeriesDef { name: name.to_string(), unit, province: None, def })
        .collect();
    for (p, province) in scenario.provinces.iter().enumerate() {
        for (name, unit, def) in province_defs() {
            out.push(SeriesDef { name: format!("province.{}.{}", province.name, name), unit, province: Some(p), def });
        }
    }
    out
}

impl SeriesDef {
    /// Value of the series in year index `y` of a run's tally (NaN where a ratio is undefined).
    pub fn value(&self, t: &Tally, y: usize) -> f64 {
        match self.def {
            Def::Count(c) => t.get(y, c) as f64,
            Def::Ratio(a, b) => ratio(t.get(y, a), t.get(y, b)),
            Def::ShareOfSum(a, b) => ratio(t.get(y, a), t.get(y, a) + t.get(y, b)),
            Def::Custom(f) => f(t, y),
            Def::ProvinceCount(c) => t.get_province(y, self.province.unwrap_or(0), c) as f64,
            Def::ProvinceRatio(a, b) => province_ratio(t, y, self.province.unwrap_or(0), a, b),
            Def::ProvinceCv(a, b) => {
                let shares: Vec<f64> = (0..t.n_provinces()).map(|p| province_ratio(t, y, p, a, b)).collect();
                cv_across(&shares)
            }
            Def::ProvinceExcessCv(a, b, sampling) => {
                let sum = |p: usize, cs: &[ProvinceCounter]| cs.iter().map(|&c| t.get_province(y, p, c)).sum::<u64>();
                let num: Vec<u64> = (0..t.n_provinces()).map(|p| sum(p, a)).collect();
                let den: Vec<u64> = (0..t.n_provinces()).map(|p| sum(p, b)).collect();
                excess_cv_across(&num, &den, sampling)
            }
        }
    }
}

/// How many of the national `rows` (series name, year) are independent of each other: the
/// rank, year by year, of what they say about the year's counters in logarithms. A count says
/// `log c`, a ratio `a / b` and a share `a / (a + b)` both say `log a - log b`; a published
/// ratio whose two counts are also published adds nothing. Rows of other forms (sums, spreads
/// across provinces) and names that are not national series count as independent.
pub fn independent_rows(rows: &[(&str, i32)]) -> usize {
    let defs = national_defs();
    let mut years: Vec<i32> = rows.iter().map(|r| r.1).collect();
    years.sort_unstable();
    years.dedup();
    let mut total = 0;
    for year in years {
        let mut constraints: Vec<Vec<f64>> = Vec::new();
        for &(name, _) in rows.iter().filter(|r| r.1 == year) {
            let mut v = vec![0.0; N_COUNTERS];
            match defs.iter().find(|d| d.0 == name).map(|d| d.2) {
                Some(Def::Count(c)) => v[c as usize] = 1.0,
                Some(Def::Ratio(a, b) | Def::ShareOfSum(a, b)) => {
                    v[a as usize] += 1.0;
                    v[b as usize] -= 1.0;
                }
                _ => {
                    total += 1;
                    continue;
                }
            }
            constraints.push(v);
        }
        total += rank(constraints);
    }
    total
}

/// Rank of a small matrix by Gaussian elimination with partial pivoting (entries are small
/// integers, so a tolerance of 1e-9 separates zero from not).
fn rank(mut m: Vec<Vec<f64>>) -> usize {
    let cols = m.first().map_or(0, Vec::len);
    let mut r = 0;
    for c in 0..cols {
        let Some(p) = (r..m.len()).max_by(|&i, &j| m[i][c].abs().total_cmp(&m[j][c].abs())) else { break };
        if m[p][c].abs() < 1e-9 {
            continue;
        }
        m.swap(r, p);
        let pivot = m[r].clone();
        for (i, row) in m.iter_mut().enumerate() {
            if i != r {
                let f = row[c] / pivot[c];
                if f != 0.0 {
                    for (x, p) in row[c..].iter_mut().zip(&pivot[c..]) {
                        *x -= f * p;
                    }
                }
            }
        }
        r += 1;
    }
    r
}

#[cfg(test)]
mod independence_tests {
    use super::independent_rows;

    #[test]
    fn a_ratio_of_published_counts_adds_nothing() {
        // Jury acquitted, convicted and the acquittal rate: two independent figures.
        let rows = [("jury.acquitted", 2010), ("jury.convicted", 2010), ("jury.acquittal_rate", 2010)];
        assert_eq!(independent_rows(&rows), 2);
        // In another year each is new.
        assert_eq!(independent_rows(&[("jury.acquitted", 2010), ("jury.acquitted", 2011)]), 2);
        // A rate alone is a figure; a sum (reconciliation.total) always counts.
        assert_eq!(independent_rows(&[("jury.acquittal_rate", 2010), ("reconciliation.total", 2010)]), 2);
        // pretrial, court share of heard... : pretrial_share with pretrial and the court count it
        // shares with court_share_of_heard (TrialClosedReconciled / CourtHeard) and court.cases_heard.
        let rows = [
            ("reconciliation.pretrial", 2005),
            ("reconciliation.court_share_of_heard", 2005),
            ("court.cases_heard", 2005),
            ("reconciliation.pretrial_share", 2005),
        ];
        assert_eq!(independent_rows(&rows), 3);
    }
}
