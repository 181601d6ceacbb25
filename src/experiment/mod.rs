//! Experiments with the model: what a change does (`caseflow diff`), sweeps over parameters
//! (`caseflow sweep`), global sensitivity indices from a sweep (`caseflow sensitivity`), and
//! the attribution of a change between two years to the dated reforms in between (`caseflow
//! attribute`).
//!
//! Every experiment runs its scenario variants on common random numbers: the same master seed
//! and run indices for every variant, so that each case and agent draws the same numbers in
//! every variant and two variants differ only through what was changed.
//!
//! - [`stats`]: means, sds, t and Welch intervals, normal quantiles;
//! - [`diff`]: the paired (or unpaired) difference of two scenarios per series and year;
//! - [`design`], [`sobol_seq`]: grid, Latin hypercube, Sobol'-Saltelli and Morris designs;
//! - [`sweep_file`]: the sweep file, checked against the base scenario;
//! - [`journal`]: a sweep's finished points, on disk as they finish;
//! - [`sensitivity`]: Sobol' and Morris indices, as SALib computes them;
//! - [`shapley`], [`attribution`]: Shapley values over the dated changes between two years.

pub mod attribution;
pub mod design;
pub mod diff;
pub mod journal;
pub mod record;
pub mod sensitivity;
pub mod shapley;
pub mod sobol_seq;
pub mod stats;
pub mod sweep;
pub mod sweep_file;
pub mod sweep_h5;
