//! caseflow: an agent-based simulator of how criminal cases move through a national justice
//! system, and of why. Officials (investigators, procurators, judges, juries) choose what
//! happens to each case under dated performance indicators and legal rules; the published
//! statistics come out of those choices.
//!
//! Layout, in the order a case meets it:
//! - [`scenario`]: the TOML scenario, read and validated into typed values;
//! - [`engine`]: one simulated run: agents, the event calendar and the step loop;
//! - [`stages`]: one module per stage of the case flow, each owning its decisions;
//! - [`record`]: what the stages emit, aggregated into the published series;
//! - [`batch`]: many seeds in parallel, summarised across seeds;
//! - [`output`]: results written to disk (HDF5, CSV) with their provenance;
//! - [`report`]: results as one offline HTML page and SVG figures, for reading.

pub mod batch;
pub mod calibrate;
pub mod engine;
pub mod output;
pub mod record;
pub mod report;
pub mod scenario;
pub mod stages;
