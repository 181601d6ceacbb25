//! Recording: the stages report what happened to each case as typed events ([`Event`]); the
//! [`Recorder`] turns them into counters by year (and province), with the published
//! definitions (cases or defendants, flows in a year or stocks at year end), and [`series`]
//! turns the counters into the published series. Recording never feeds back into the dynamics.
//!
//! - [`event`]: what the stages report, and how a case ends ([`Terminal`]);
//! - [`recorder`]: which events are counted, in which counters and units;
//! - [`series`]: the output series defined from the counters;
//! - [`trace`]: case stories: the decisions taken about chosen cases and their events.

pub mod event;
pub mod recorder;
pub mod series;
pub mod trace;

pub use event::{Event, N_TERMINALS, Subject, Terminal};
pub use recorder::Recorder;
pub use series::{SeriesDef, independent_rows, series_defs};

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
    PrivateWithdrawn,     // closed because the complainant withdrew (part of PrivateClosed)
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
    ReviewsPostponed,  // cases whose review waited for the next period (each wait counted)
    HearingsPostponed, // public and private cases whose hearing waited (each wait counted)
    AppealsPostponed,  // appeals that waited for the next period (each wait counted)
    AppealsDecided,    // appeals decided (cases)
    PrisonPopulation,  // stock at year end: sentenced + pre-trial
    PretrialDetainees, // stock at year end
    AmnestyReleased,   // sentenced prisoners an amnesty freed
    Paroled,           // sentenced prisoners released on parole
}

pub const N_COUNTERS: usize = Counter::Paroled as usize + 1;

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
    /// Public cases closed before trial on reconciliation (cases, whatever the accused).
    ReconciledPretrial,
    /// `AcquittedExoneratedPublic` and `ConvictedPublic` in cases, whatever the accused: the
    /// accused of one case share its verdict, so only cases are independent events for the
    /// spread that chance gives (`provinces.excess_cv.acquittals_per_conviction`).
    AcquittedExoneratedPublicCases,
    ConvictedPublicCases,
    /// Judges' detention decisions and refusals, in cases (one decision covers its accused):
    /// the brief compares provinces' refusal rates (`provinces.excess_cv.detention_refusal_rate`).
    DetentionDecidedCases,
    DetentionRefusedCases,
}

pub const N_PROVINCE_COUNTERS: usize = ProvinceCounter::DetentionRefusedCases as usize + 1;

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

    /// Adds a year's national counts (nothing for a year outside the tally, as `add`).
    pub fn add_row(&mut self, year: usize, counts: &[u64; N_COUNTERS]) {
        if let Some(row) = self.national.get_mut(year) {
            for (r, c) in row.iter_mut().zip(counts) {
                *r += c;
            }
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

    pub fn n_provinces(&self) -> usize {
        self.n_provinces
    }

    pub fn n_years(&self) -> usize {
        self.national.len()
    }
}
