//! What the stages report: one typed event for each thing that happened to a case (or, for a
//! few, to an official because of a case), and the terminal state every case ends in. Events
//! say what happened, never what it counts for: that is the recorder's business.

use crate::engine::Verdict;
use crate::engine::draws::CaseId;
use crate::scenario::DetentionApprover;

/// What the recorder needs to know about the case an event is about: where it is counted
/// (province), in which units (episodes, defendants), whether it enters the statistics at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subject {
    pub id: CaseId,
    pub province: u16,
    /// Registered criminal cases joined in this case.
    pub episodes: u8,
    /// Accused persons (0 while no suspect has been found).
    pub defendants: u8,
    /// In the published statistics (a misdemeanour may not be).
    pub counted: bool,
    pub jobless: bool,
    /// Brought by the victim (private prosecution), not by a procurator.
    pub private: bool,
}

impl Subject {
    /// The subject of an event about an official, not a case (a dismissal between periods):
    /// counted, with no case behind it.
    pub fn official(province: u16) -> Subject {
        Subject {
            id: CaseId(u64::MAX),
            province,
            episodes: 0,
            defendants: 0,
            counted: true,
            jobless: false,
            private: false,
        }
    }
}

/// How a case ended: every case ends in exactly one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Terminal {
    Unsolved,
    ClosedNonrehabPretrial,
    ClosedExoneratingPretrial,
    /// Registered, but no crime behind it: closed on exonerating grounds.
    ClosedBaseless,
    DroppedAfterReturn,
    Convicted,
    Acquitted,
    ClosedReconciledTrial,
    ClosedExoneratingTrial,
    ClosedOtherNonrehabTrial,
    AcquittedOnAppeal,
    PrivateRejected,
    PrivateClosed,
    /// An accepted private complaint sent on to the procurator or another court.
    PrivateTransferred,
    /// A would-be private complaint the police registered as a public crime.
    PrivateRegisteredByPolice,
    /// Still in the system when the simulation ended.
    Pending,
}

pub const N_TERMINALS: usize = Terminal::Pending as usize + 1;

/// Grounds on which a case is closed without a verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grounds {
    /// The parties reconciled (non-rehabilitative).
    Reconciled,
    /// Active repentance, the other non-rehabilitative ground.
    Repentance,
    /// No crime, or no proof of one: the accused is cleared.
    Exonerating,
}

/// Where a judge sends a case back to instead of deciding it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Return {
    /// To the investigator, for supplementary investigation.
    Supplementary,
    /// To the procurator.
    ToProcurator,
}

/// A step of a complaint of torture or coercion against officers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Torture {
    /// A complaint made during the investigation was registered.
    Registered,
    /// A criminal case was opened against the officers.
    CaseOpened,
    /// That case reached court.
    CaseToCourt,
    /// The accused complained at his own trial.
    RaisedAtTrial,
}

/// Why an accused leaves pre-trial detention.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The case was closed, dropped, or ended in an acquittal.
    Closure,
    /// Sentenced: to prison, or free under a non-custodial sentence.
    Sentence,
}

/// What an appellate court did with a verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppealOutcome {
    Upheld,
    /// Overturned and sent back for a new trial.
    Retrial,
    /// A conviction overturned and the accused acquitted by the appellate court itself.
    Acquitted,
}

/// Where a case waits when the official who should take it up has no time left this period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Queue {
    /// The procurator's review of a completed investigation.
    Review,
    /// A public-prosecution trial.
    Trial,
    /// A private-prosecution hearing.
    PrivateTrial,
    /// An appeal before the appellate court.
    Appeal,
}

/// Something that happened to a case, reported by the stage where it happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    // Investigation.
    /// A crime (or misdemeanour) was registered.
    Registered,
    /// A registered report with no crime behind it, closed on exonerating grounds.
    ClosedBaseless,
    /// A suspect was found.
    Cleared,
    /// The suspect was held in police custody, for 48 hours or less or longer.
    HeldInCustody {
        within_48_hours: bool,
    },
    /// The procurator released the suspect from police custody for lack of grounds.
    ReleasedFromCustody,
    TortureComplaint(Torture),

    // Pre-trial detention.
    /// The investigator asked for detention.
    DetentionRequested,
    /// The procurator refused to back the request before a judge.
    DetentionNotBacked,
    DetentionDecided {
        by: DetentionApprover,
        approved: bool,
    },
    /// Denied detention, the accused was released on bail or to house arrest.
    Bailed,
    /// The accused left pre-trial detention. Counted for every case, a misdemeanour too,
    /// although entering detention (`DetentionDecided`) is counted only for counted cases:
    /// kept as the model has always counted it (after 2015 the exits of misdemeanour detainees
    /// enter `detention.released_on_closure_share` while their entries are left out).
    LeftDetention(Exit),

    // The procurator's review.
    SentToCourt,
    ClosedPretrial(Grounds),

    // Public-prosecution trial.
    ClosedAtTrial(Grounds),
    Returned(Return),
    Convicted {
        jury: bool,
    },
    Acquitted {
        jury: bool,
    },
    /// A convicted case (public or private) was sentenced, to custody or not.
    Sentenced {
        custodial: bool,
    },

    // Private prosecution.
    /// A judge took up a complaint (not rejected).
    PrivateHeard,
    PrivateTransferred,
    /// Closed on the parties' accord: withdrawn by the complainant, or reconciled.
    PrivateClosed {
        withdrawn: bool,
    },
    PrivateConvicted,
    PrivateAcquitted,

    // Appeal.
    AppealDecided {
        verdict: Verdict,
        outcome: AppealOutcome,
    },
    /// A trial judge was dismissed for her reversals (the last of them on this case).
    JudgeDismissed,

    /// The official whose turn it was had used her budget of decisions for the period: the
    /// case waits for the next period (see `stages::common::budget_spent`).
    Postponed(Queue),

    /// The case ended.
    Ended(Terminal),
}
