//! The stages of the case flow, one module each, in the order a case meets them. Each stage
//! owns its decisions: who decides, with which options, under which weights and rules.
//!
//! - [`investigation`]: registration, clearance, police custody, coercion, detention
//!   requests, reclassification and steering to reconciliation (investigators), and what
//!   investigators learn between periods (workloads, registration practice);
//! - [`detention`]: backing and approving detention (procurators, then judges), and leaving it;
//! - [`procurator`]: the procurator's review: send to court or close; procurators' belief
//!   about acquittals;
//! - [`trial`]: public-prosecution trials (single judge or jury); judges' workloads, reversal
//!   beliefs and release practice;
//! - [`sentencing`]: the sentence of a convicted case, public or private;
//! - [`private`]: private-prosecution complaints;
//! - [`appeal`]: who appeals, appeals, and their feedback on judges' records.
//!
//! Shared by several stages: [`law`] (where reconciliation and repentance may end a case) and
//! [`common`] (picking officials, the victim's bargain, campaigns, learning a rate).

pub mod appeal;
pub mod common;
pub mod detention;
pub mod investigation;
pub mod law;
pub mod private;
pub mod procurator;
pub mod sentencing;
pub mod trial;
