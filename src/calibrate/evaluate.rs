//! Candidates evaluated on common random numbers: each candidate's scenario is loaded from
//! the template and run through the batch runner on the same runs as every other candidate,
//! then scored against the targets.

use super::{CalibrationSpec, Objective, Progress, TargetRow, Template, compare};
use crate::batch::{Batch, Runner, Series};
use crate::scenario::{self, Scenario};
use crate::summary::SummaryRow;

/// Runs candidates on common random numbers and scores them.
pub(super) struct Evaluator<'a> {
    pub(super) template: &'a Template,
    pub(super) spec: &'a CalibrationSpec,
    /// Target rows only, all years.
    pub(super) targets: &'a [TargetRow],
    /// Built once, used by every generation.
    pub(super) runner: Runner,
    pub(super) progress: &'a (dyn Fn(Progress) + Sync),
}

impl Evaluator<'_> {
    /// The loss of each candidate over the fit years; +inf for a candidate whose scenario does
    /// not load (bounds that are each valid may still combine into an invalid scenario).
    pub(super) fn losses(&self, generation: u64, candidates: &[Vec<f64>]) -> Vec<f64> {
        // Years after the last fitted year cannot change the loss: stop the runs there.
        let cut = self.spec.years.as_ref().map(|y| *y.end());
        self.summaries(Some(generation), candidates, cut)
            .iter()
            .map(|s| match s {
                Ok(summary) => {
                    let fit = compare(summary, self.targets, self.spec.years.clone());
                    match self.spec.objective {
                        Objective::Loss => fit.loss_beyond(self.spec.tolerance),
                        Objective::SoftMisses => {
                            fit.soft_misses_banded(self.spec.tolerance, self.spec.far_pull, self.spec.band_hits)
                        }
                    }
                }
                Err(_) => f64::INFINITY,
            })
            .collect()
    }

    /// The summary (target series only) of each candidate over runs `0..seeds` of the master
    /// seed, through the batch runner: every candidate meets the same random numbers, so
    /// candidates differ only through their parameters, and the results do not depend on the
    /// number of threads. `generation`: reported with each finished candidate, when given.
    /// `cut`: run only up to the end of that year (the summary then covers the reported years
    /// up to it).
    pub(super) fn summaries(
        &self,
        generation: Option<u64>,
        candidates: &[Vec<f64>],
        cut: Option<i32>,
    ) -> Vec<Result<Vec<SummaryRow>, String>> {
        let scenarios: Vec<Result<Scenario, String>> = candidates
            .iter()
            .map(|values| {
                self.template
                    .text_with(values)
                    .and_then(|text| scenario::load_str(&text, self.template.label()).map_err(|e| e.to_string()))
            })
            .collect();
        let loaded: Vec<(usize, &Scenario)> =
            scenarios.iter().enumerate().filter_map(|(c, s)| s.as_ref().ok().map(|s| (c, s))).collect();
        let wanted = Series::Only(self.targets.iter().map(|t| t.series.clone()).collect());
        let batch = Batch::new(self.spec.master_seed, 0..self.spec.seeds).series(wanted).until(cut);
        let mut summaries: Vec<Result<Vec<SummaryRow>, String>> =
            scenarios.iter().map(|s| s.as_ref().map(|_| Vec::new()).map_err(Clone::clone)).collect();
        let list: Vec<&Scenario> = loaded.iter().map(|&(_, s)| s).collect();
        self.runner.run_each(&list, &batch, |k, runs| {
            let candidate = loaded[k].0;
            summaries[candidate] = Ok(runs.summary());
            if let Some(generation) = generation {
                (self.progress)(Progress::CandidateDone { generation, candidate });
            }
        });
        summaries
    }
}
