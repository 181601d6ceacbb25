//! The stages of the case flow, one module each, in the order a case meets them. Each stage
//! owns its decisions: who decides, with which options, under which weights and rules.
//!
//! - [`investigation`]: registration, clearance, police custody, coercion, detention
//!   requests, reclassification and steering to reconciliation (investigators);
//! - [`detention`]: backing and approving detention (procurators, then judges);
//! - [`procurator`]: the procurator's review: send to court or close;
//! - [`trial`]: public-prosecution trials (single judge or jury) and sentencing;
//! - [`private`]: private-prosecution complaints;
//! - [`appeal`]: appeals and their feedback on judges' records.

pub mod appeal;
pub mod detention;
pub mod investigation;
pub mod private;
pub mod procurator;
pub mod trial;

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

/// The victim and the accused bargain: the accused pays if his means cover the victim's
/// demand after the pressure officials put on the victim to accept less.
pub fn bargain(c: &Case, pressure: f64) -> bool {
    c.means >= c.demand * (1.0 - pressure.clamp(0.0, 0.95))
}

/// Picks an agent index from a province's roster with a uniform.
#[inline]
pub fn pick_in(roster: &[u32], u: f64) -> u32 {
    let n = roster.len();
    roster[((u * n as f64) as usize).min(n - 1)]
}

/// Picks an index from a cumulative distribution.
#[inline]
pub fn pick_cdf(cdf: &[f64], u: f64) -> usize {
    let total = cdf.last().copied().unwrap_or(1.0);
    let x = u * total;
    cdf.iter().position(|&c| x < c).unwrap_or(cdf.len() - 1)
}
