//! Cases in flight: what a case carries through the stages (its identity, fixed random words,
//! attributes and the officials handling it), the slots of its words, and the store that holds
//! the cases in flight and reuses the slots of those that ended.

use std::ops::{Index, IndexMut};

use super::dist::normal_quantile;
use super::draws::{CaseDraws, CaseId, Source, unit};
use super::stocks::CohortId;
use crate::record::Subject;
use crate::scenario::{CrimeMix, Gravity};

/// The verdict a case carries into an appeal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Convicted,
    Acquitted,
}

/// A case in flight. Its random numbers are fixed by its identity (see `draws`).
#[derive(Clone, Debug)]
pub struct Case {
    pub id: CaseId,
    /// Its random numbers, read through [`Case::u`].
    pub draws: CaseDraws,
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
    /// The charge when the suspect was found, which sets the victim's demand (see
    /// [`Case::means_and_demand`]); `None` for a case whose means and demand were never drawn
    /// (a private complaint), which then has none.
    pub demand_gravity: Option<Gravity>,
    pub evidence: f64,
    pub investigator: u32,
    pub procurator: u32,
    pub judge: u32,
    pub coerced: bool,
    pub detained: bool,
    pub reconciled_pretrial: bool,
    /// The accused asked for a jury when the investigation closed (he reads the case file and
    /// files his motions then), under the jurisdiction in force that day; set each time the
    /// procurator sends the case to court, where `trial.jury_request_when_sent` holds.
    pub jury_requested: bool,
    pub verdict: Verdict,
    /// Times the case came back to a stage (returns, retrials), which selects fresh draws.
    pub visits: u8,
    /// The uid of the judge who decided it at trial (a reversal goes on her record only if she
    /// still holds the post).
    pub judge_uid: u64,
    /// Sentenced to custody, and the prisoners' cohort in the stock (to free them on reversal).
    pub custodial: bool,
    pub cohort: CohortId,
}

impl Case {
    /// A case as it enters the flow: who it is (the caller fills in what it knows with struct
    /// update syntax) and nothing yet happened to it: no official assigned, not coerced, not
    /// detained, no verdict, no visit.
    pub(crate) fn arriving(id: CaseId, draws: CaseDraws, source: Source, province: u16, counted: bool) -> Case {
        Case {
            id,
            draws,
            source,
            province,
            kind: 0,
            gravity: Gravity::Minor,
            episodes: 1,
            defendants: 1,
            juvenile: false,
            first_offence: false,
            jobless: false,
            dangerous: false,
            death: false,
            counted,
            demand_gravity: None,
            evidence: 0.0,
            investigator: 0,
            procurator: 0,
            judge: 0,
            coerced: false,
            detained: false,
            reconciled_pretrial: false,
            jury_requested: false,
            verdict: Verdict::Convicted,
            visits: 0,
            judge_uid: 0,
            custodial: false,
            cohort: 0,
        }
    }

    /// The uniform in (0, 1) of the case's word in `slot`: slots from
    /// [`slot::FIRST_REVISITABLE`] on are read at the case's current visit, the others at its
    /// first.
    #[inline]
    pub fn u(&self, slot: usize) -> f64 {
        unit(self.word(slot))
    }

    /// The word behind [`Case::u`] (the same slot and visit), for comparisons with a fixed
    /// share as a count of words (`draws::BelowUnit`).
    #[inline]
    pub fn word(&self, slot: usize) -> u32 {
        let visit = if slot >= slot::FIRST_REVISITABLE { self.visits } else { 0 };
        self.draws.word(visit, slot)
    }

    /// What the accused can pay and what the victim asks, in common units: log-normal, from the
    /// case's words in `slot::MEANS` and `slot::DEMAND` at the log-means fixed when the suspect
    /// was found (employment, and the charge then: a later reclassification does not change
    /// the demand). Computed from the words each time a bargain reads them instead of stored
    /// when the suspect is found: only the cases offered a bargain (a minority of those
    /// cleared) pay for two normal quantiles and two `exp`, and a word reads the same whenever
    /// it is read, so the values are those drawn at clearance, to the bit. Both 0 for a case
    /// that never had them drawn.
    pub fn means_and_demand(&self, crime: &CrimeMix) -> (f64, f64) {
        match self.ln_means_and_demand(crime) {
            Some((ln_means, ln_demand)) => (ln_means.exp(), ln_demand.exp()),
            None => (0.0, 0.0),
        }
    }

    /// The logarithms whose `exp` [`Case::means_and_demand`] returns (`None`: a case that never
    /// had them drawn): a bargain mostly needs only to compare them
    /// (`stages::common::bargain_of_logs`).
    #[inline]
    pub fn ln_means_and_demand(&self, crime: &CrimeMix) -> Option<(f64, f64)> {
        let gravity = self.demand_gravity?;
        let means_mu = if self.jobless { crime.means_log_mean_jobless } else { crime.means_log_mean_employed };
        let ln_means = means_mu + crime.means_log_sd * normal_quantile(self.u(slot::MEANS));
        let ln_demand =
            crime.demand_log_mean[gravity.index()] + crime.demand_log_sd * normal_quantile(self.u(slot::DEMAND));
        Some((ln_means, ln_demand))
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
/// stages a case can revisit and take new words on each revisit (`Case::visits`).
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
    pub const PAROLE: usize = 63;
    pub const FIRST_REVISITABLE: usize = INVESTIGATION_DAYS;
}

/// The cases in flight, addressed by the index `insert` gave them; the slot of a case that
/// ended is given to the next new case.
#[derive(Default)]
pub(crate) struct CaseStore {
    all: Vec<Case>,
    free: Vec<u32>,
}

impl CaseStore {
    /// Stores a new case and returns its index.
    pub fn insert(&mut self, case: Case) -> u32 {
        match self.free.pop() {
            Some(i) => {
                self.all[i as usize] = case;
                i
            }
            None => {
                self.all.push(case);
                (self.all.len() - 1) as u32
            }
        }
    }

    /// Frees the slot of a case that ended.
    pub fn remove(&mut self, index: u32) {
        self.free.push(index);
    }

    /// Cases stored and not ended.
    pub fn in_flight(&self) -> u64 {
        self.all.len() as u64 - self.free.len() as u64
    }
}

impl Index<u32> for CaseStore {
    type Output = Case;
    #[inline]
    fn index(&self, index: u32) -> &Case {
        &self.all[index as usize]
    }
}

impl IndexMut<u32> for CaseStore {
    #[inline]
    fn index_mut(&mut self, index: u32) -> &mut Case {
        &mut self.all[index as usize]
    }
}
