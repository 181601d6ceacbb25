//! The law on closing a case without a verdict, as the rules in force say: where
//! reconciliation may (or must) end a case, and where active repentance may. Read by the
//! investigator (steering and lowering a charge), the procurator and the trial judge.

use crate::engine::Case;
use crate::scenario::{Eligibility, Gravity, Rules, Scenario};

/// Whether the law lets reconciliation end this case, under the rules in force.
pub fn reconciliation_eligibility(s: &Scenario, rules: &Rules, c: &Case) -> Eligibility {
    let kind = &s.crime.kinds[c.kind as usize];
    let r = &rules.reconciliation;
    if c.dangerous || !kind.victim || kind.corruption {
        return Eligibility::Banned;
    }
    if c.death && !r.negligence_death {
        return Eligibility::Banned;
    }
    match c.gravity {
        Gravity::Minor => r.minor,
        Gravity::Medium if c.first_offence => r.medium_first,
        Gravity::Medium => r.medium_repeat,
        Gravity::Grave if c.juvenile && c.first_offence && !c.death => r.grave_juvenile_first,
        _ => Eligibility::Banned,
    }
}

/// Whether a case can be closed on non-rehabilitative grounds other than reconciliation:
/// active repentance for a first minor or medium offence (art. 65), where the harm is to public
/// or state interests only once the rules allow sincere repentance there, never for corruption.
pub fn repentance_eligible(s: &Scenario, rules: &Rules, c: &Case) -> bool {
    let kind = &s.crime.kinds[c.kind as usize];
    c.first_offence
        && c.gravity <= Gravity::Medium
        && !c.dangerous
        && !kind.corruption
        && (!kind.public_harm || rules.reconciliation.public_harm_repentance)
}
