//! Recording: the stages emit counts; this module aggregates them by year (and province) and
//! turns them into the published series, with the published definitions (cases or defendants,
//! flows in a year or stocks at year end). Recording never feeds back into the dynamics.

use crate::scenario::Scenario;

/// National counters, one slot per year. Units in the comments: "cases" are court cases,
/// "episodes" registered criminal cases (several may be joined into one court case),
/// "defendants" accused persons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Counter {
    Registered,               // episodes
    Cleared,                  // episodes with a suspect found
    SentToCourt,              // episodes
    DefendantsToCourt,        // defendants
    ClosedNonrehab,           // episodes, by procurators before trial
    ClosedExonerating,        // episodes, by procurators before trial
    DefendantsClosed,         // defendants whose case a procurator closed
    ReconciledPretrial,       // episodes
    TrialSentenceCases,       // cases (public + private) ending with a sentence, convicting or acquitting
    TrialConvicted,           // defendants (public + private)
    TrialAcquitted,           // defendants (public + private)
    TrialAcquittedPublic,     // defendants
    AcquittedPublicCases,     // cases
    ReturnedSupplementary,    // cases
    ReturnedToProcurator,     // cases
    TrialClosed,              // cases (public + private), all grounds
    TrialClosedReconciled,    // cases (public + private)
    TrialClosedExonerating,   // cases
    TrialClosedOtherNonrehab, // cases: active repentance
    CourtHeard,               // public cases decided at first instance
    PrivateCases,             // private-prosecution cases decided
    PrivateClosed,
    PrivateTransferred,   // sent on to the procurator or another court
    PrivateSentenceCases, // convicting or acquitting
    PrivateConvicted,     // defendants
    PrivateAcquitted,     // defendants
    JuryCases,
    JuryConvicted,      // defendants
    JuryAcquitted,      // defendants
    DetentionRequests,  // requests made by investigators (defendants)
    ProcuratorRefusals, // requests procurators refused to back (judge era)
    ProcuratorDecided,  // requests decided by procurators as approvers
    ProcuratorApproved,
    JudgeDecided, // requests decided by (investigative) judges
    JudgeApproved,
    Detained,                // defendants placed in pre-trial detention
    BailReleases,            // bail or house arrest instead of detention
    DetentionExits,          // defendants leaving pre-trial detention
    ReleasedOnClosure,       // of which because the case was closed (or the accused acquitted)
    CustodyHeld,             // suspects held in police custody
    CustodyShort,            // of which held 48 hours or less
    CustodyReleased,         // released by procurators for lack of grounds
    SentencedDefendants,     // convicted defendants sentenced (public + private)
    CustodialSentences,      // of which to prison
    ConvictedJobless,        // convicted defendants who are jobless
    AppealReviewedPublic,    // defendants in public cases reviewed on appeal
    AcquittalsOverturned,    // defendants
    SentencesOverturned,     // cases with a conviction overturned
    AcquittedByHigherCourts, // defendants
    TortureRegistered,       // complaints registered
    TortureOpened,           // criminal cases opened against officers
    TortureToCourt,
    TortureTrialComplaints,
    JudgesDismissed,
    PrisonPopulation,  // stock at year end: sentenced + pre-trial
    PretrialDetainees, // stock at year end
}

pub const N_COUNTERS: usize = Counter::PretrialDetainees as usize + 1;

/// Province counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum ProvinceCounter {
    DetentionApproved,
    DetentionDecided,
    AcquittedExoneratedPublic,
    ConvictedPublic,
    ReconciledByJudges,
    CasesHeard,
}

pub const N_PROVINCE_COUNTERS: usize = ProvinceCounter::CasesHeard as usize + 1;

/// Everything one run counted, by year index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    n_provinces: usize,
    national: Vec<[u64; N_COUNTERS]>,
    province: Vec<u64>,
}

impl Tally {
    pub fn new(n_years: usize, n_provinces: usize) -> Tally {
        Tally {
            n_provinces,
            national: vec![[0; N_COUNTERS]; n_years],
            province: vec![0; n_years * n_provinces * N_PROVINCE_COUNTERS],
        }
    }

    #[inline]
    pub fn add(&mut self, year: usize, c: Counter, n: u64) {
        if let Some(row) = self.national.get_mut(year) {
            row[c as usize] += n;
        }
    }

    #[inline]
    pub fn set(&mut self, year: usize, c: Counter, n: u64) {
        if let Some(row) = self.national.get_mut(year) {
            row[c as usize] = n;
        }
    }

    #[inline]
    pub fn add_province(&mut self, year: usize, province: usize, c: ProvinceCounter, n: u64) {
        let i = (year * self.n_provinces + province) * N_PROVINCE_COUNTERS + c as usize;
        if let Some(v) = self.province.get_mut(i) {
            *v += n;
        }
    }

    pub fn get(&self, year: usize, c: Counter) -> u64 {
        self.national[year][c as usize]
    }

    pub fn get_province(&self, year: usize, province: usize, c: ProvinceCounter) -> u64 {
        self.province[(year * self.n_provinces + province) * N_PROVINCE_COUNTERS + c as usize]
    }

    pub fn n_years(&self) -> usize {
        self.national.len()
    }
}

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
    ProvinceRatio(ProvinceCounter, ProvinceCounter),
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

/// The national series: every series of the calibration targets, with its definition, plus
/// the extra series analysts asked for.
fn national_defs() -> Vec<(&'static str, &'static str, Def)> {
    use Counter::*;
    vec![
        ("registered.crimes", "cases", Def::Count(Registered)),
        ("investigation.cleared", "cases", Def::Count(Cleared)),
        ("investigation.clearance_rate", "share", Def::Ratio(Cleared, Registered)),
        ("procurator.sent_to_court", "cases", Def::Count(SentToCourt)),
        ("procurator.closed_nonrehabilitative", "cases", Def::Count(ClosedNonrehab)),
        ("procurator.closed_exonerating", "cases", Def::Count(ClosedExonerating)),
        ("procurator.defendants_closed", "defendants", Def::Count(DefendantsClosed)),
        ("procurator.defendants_to_court", "defendants", Def::Count(DefendantsToCourt)),
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
    ]
}

fn province_defs() -> Vec<(&'static str, &'static str, Def)> {
    use ProvinceCounter::*;
    vec![
        ("detention_approved", "defendants", Def::ProvinceCount(DetentionApproved)),
        ("detention_approval_rate", "share", Def::ProvinceRatio(DetentionApproved, DetentionDecided)),
        ("acquitted_exonerated_public", "defendants", Def::ProvinceCount(AcquittedExoneratedPublic)),
        ("convicted_public", "defendants", Def::ProvinceCount(ConvictedPublic)),
        ("reconciled_by_judges", "cases", Def::ProvinceCount(ReconciledByJudges)),
        ("reconciled_share_of_cases", "share", Def::ProvinceRatio(ReconciledByJudges, CasesHeard)),
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
            Def::ProvinceRatio(a, b) => {
                let p = self.province.unwrap_or(0);
                ratio(t.get_province(y, p, a), t.get_province(y, p, b))
            }
        }
    }
}
