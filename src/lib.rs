//! caseflow: an agent-based simulator of how criminal cases move through a national justice
//! system, and of why. Officials (investigators, procurators, judges, juries) choose what
//! happens to each case under dated performance indicators and legal rules; the published
//! statistics come out of those choices.
//!
//! Layout, in the order a case meets it:
//! - [`scenario`]: the TOML scenario, read and validated into typed values;
//! - [`engine`]: one simulated run: the world in named parts (calendar, cases in flight,
//!   stocks, provinces' state), arrivals and the step loop; the officials (agents) and the
//!   run's random words;
//! - [`stages`]: one module per stage of the case flow, each owning its decisions and what its
//!   officials learn between periods; the law on closures and helpers they share;
//! - [`record`]: what the stages report (typed events), the recorder that alone turns them
//!   into counters and the published series, and case stories (traces of decisions);
//! - [`batch`]: the one runner of many runs in parallel (for one scenario or several on the
//!   same runs), each run reduced to its series values as it finishes;
//! - [`summary`]: those values summarised across runs;
//! - [`output`]: results written to disk (HDF5, CSV) atomically, with their provenance, and
//!   shards of a batch merged into one result;
//! - [`shard`]: which share of a batch a cluster task computes, and its threads;
//! - [`calibrate`]: comparison with the published figures, and fitting parameters to them;
//! - [`experiment`]: what-if differences, sweeps, sensitivity indices and attribution of change;
//! - [`report`]: results as one offline HTML page and SVG figures, for reading;
//! - [`story`]: case stories (`caseflow trace`): sampled cases told decision by decision;
//! - [`serve`]: the workshop page (`caseflow serve`), a local server with a bounded queue.

pub mod batch;
pub mod calibrate;
pub mod engine;
pub mod experiment;
pub mod output;
pub mod record;
pub mod report;
pub mod scenario;
pub mod serve;
pub mod shard;
pub mod stages;
pub mod story;
pub mod summary;
