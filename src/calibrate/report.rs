//! What a finished calibration leaves for people: the header of `fitted.toml`, `report.md`
//! and `generations.csv` (`fit.csv` is the comparison's own CSV).

use std::fmt::Write as _;

use crate::output::csv_text;

use super::{
    CalibrateOptions, CalibrationOutcome, CalibrationSpec, Fit, GenerationRecord, Objective, REL_TOLERANCE,
    SHARE_ABS_TOLERANCE, StopReason,
};

pub(super) struct ReportContext<'a> {
    pub(super) scenario_label: &'a str,
    pub(super) scenario_name: &'a str,
    pub(super) spec: &'a CalibrationSpec,
    pub(super) options: &'a CalibrateOptions,
    pub(super) outcome: &'a CalibrationOutcome,
    pub(super) fit: &'a Fit,
    pub(super) fingerprints: &'a (String, String, String),
    pub(super) fit_rows: usize,
}

impl ReportContext<'_> {
    fn years(&self) -> String {
        self.spec.years.as_ref().map_or("all years".to_string(), |y| format!("{}-{}", y.start(), y.end()))
    }

    fn reason(&self) -> &'static str {
        match self.outcome.reason {
            StopReason::Converged => "converged (step size below 0.001 of the bound widths)",
            StopReason::BudgetSpent => "budget spent (another generation would exceed it)",
            StopReason::Interrupted => "interrupted",
        }
    }
}

/// One line for a comment: no line breaks.
fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

pub(super) fn fitted_header(c: &ReportContext<'_>) -> String {
    let o = c.outcome;
    let mut h = String::new();
    let _ = writeln!(h, "# Fitted by `caseflow calibrate` (sep-CMA-ES, method of simulated moments); see report.md");
    let _ = writeln!(h, "# next to this file. This is {} with these values changed:", one_line(c.scenario_label));
    for p in &o.params {
        let _ = writeln!(
            h,
            "#   {} = {} (was {}; bounds {} to {})",
            p.key,
            fmt_param(p.fitted),
            fmt_param(p.original),
            p.min,
            p.max
        );
    }
    let _ = writeln!(h, "# command: {}", one_line(&c.options.command_line));
    let _ = writeln!(
        h,
        "# fit: {} target rows of {} in {}; each candidate ran runs 0..{} of master seed {}",
        c.fit_rows,
        c.years(),
        one_line(&c.options.targets_label),
        c.spec.seeds,
        c.spec.master_seed
    );
    let _ = writeln!(
        h,
        "# loss {:.6} at the start -> {:.6} fitted ({} hits of {} -> {}), after {} ({} evaluations)",
        o.start_loss,
        o.best_loss,
        c.fit.start_fit_years.hits(),
        c.fit.fitted_fit_years.total(),
        c.fit.fitted_fit_years.hits(),
        generations(o.generations),
        o.evaluations
    );
    h.push('\n');
    h
}

/// "1 generation", "2 generations".
fn generations(n: u64) -> String {
    format!("{n} generation{}", if n == 1 { "" } else { "s" })
}

/// A parameter value for people: shortest round-trip form.
fn fmt_param(v: f64) -> String {
    format!("{v}")
}

pub(super) fn generations_csv(history: &[GenerationRecord]) -> String {
    csv_text(
        &["generation", "evaluations", "best_loss", "mean_loss", "sigma"],
        history.iter().map(|h| {
            [
                h.generation.to_string(),
                h.evaluations.to_string(),
                h.best_loss.to_string(),
                h.mean_loss.to_string(),
                h.sigma.to_string(),
            ]
        }),
    )
}

pub(super) fn report_md(c: &ReportContext<'_>) -> String {
    let o = c.outcome;
    let f = c.fit;
    let spec = c.spec;
    let mut r = String::new();
    let _ = writeln!(r, "# Calibration of `{}`\n", c.scenario_name);
    let objective = if spec.objective == Objective::SoftMisses {
        let pull = if spec.far_pull > 0.0 {
            format!(
                ", plus {} per unit of relative error beyond 15% (at most one unit) for a row missed",
                spec.far_pull
            )
        } else {
            String::new()
        };
        let band = if spec.band_hits {
            "; a row whose published value lies within the simulated p05-p95 band costs 0, as the hit \
             rule counts it a hit"
        } else {
            ""
        };
        format!(
            "the share of targets missed, softened (each row costs 0 within a relative error of \
             {}, 1 from the hit rule's 15% on, a quadratic ramp between{pull}{band}; the tables below \
             give the compare loss",
            spec.tolerance
        )
    } else if spec.tolerance > 0.0 {
        format!(
            "the loss of `caseflow compare` with relative errors up to {} free (the mean over series \
             groups of the mean row loss min(1, (|e| - {})^2), 0 within; the tables below give the \
             compare loss itself",
            spec.tolerance, spec.tolerance
        )
    } else {
        "the loss of `caseflow compare` (the mean over series groups of the mean row loss \
         min(e^2, 1)"
            .to_string()
    };
    let _ = writeln!(
        r,
        "Method of simulated moments: the free parameters below were moved to minimise {objective}; \
         see docs/calibration.md) over the {} target rows of {} in `{}`, with sep-CMA-ES (CMA-ES with a \
         diagonal covariance, Ros & Hansen 2008) on the parameters normalised to their bounds. Every \
         candidate ran runs 0..{} of master seed {} (common random numbers: candidates differ only \
         through their parameters). Population {} per generation, optimiser seed {}, initial step {} \
         of each bound width.\n",
        c.fit_rows,
        c.years(),
        c.options.targets_label,
        spec.seeds,
        spec.master_seed,
        spec.population,
        spec.seed,
        spec.sigma0
    );
    let _ = writeln!(r, "Command: `{}`\n", one_line(&c.options.command_line));
    let rows: Vec<(&str, i32)> =
        c.fit.fitted_fit_years.rows.iter().map(|row| (row.series.as_str(), row.year)).collect();
    let _ = writeln!(
        r,
        "Free parameters against figures: {} free, {} target rows, of which {} independent (the rank of what \
         the rows say about each year's counts: a published rate whose two counts are published too adds \
         nothing; `record::independent_rows`).\n",
        spec.free.len(),
        c.fit_rows,
        crate::record::independent_rows(&rows)
    );
    let _ = writeln!(
        r,
        "Running the same command again gives the same result; it resumes from `state.toml` in this \
         directory (a larger `--budget` continues the search), and once the calibration has ended it \
         only rewrites these files.\n"
    );
    let _ = writeln!(r, "| input | file | sha256 |\n|---|---|---|");
    let _ = writeln!(r, "| scenario | `{}` | `{}` |", c.scenario_label, c.fingerprints.0);
    let _ = writeln!(r, "| free parameters | `{}` | `{}` |", spec.file, c.fingerprints.1);
    let _ = writeln!(r, "| targets (target rows) | `{}` | `{}` |\n", c.options.targets_label, c.fingerprints.2);
    let _ = writeln!(
        r,
        "Stopped: {}, after {} and {} candidate evaluations (budget {}).\n",
        c.reason(),
        generations(o.generations),
        o.evaluations,
        c.options.budget
    );

    let _ = writeln!(r, "## Parameters\n");
    let _ = writeln!(r, "| key | min | max | scenario | fitted |\n|---|---:|---:|---:|---:|");
    for p in &o.params {
        let _ = writeln!(
            r,
            "| `{}` | {} | {} | {} | {} |",
            p.key,
            p.min,
            p.max,
            fmt_param(p.original),
            fmt_param(p.fitted)
        );
    }

    let _ = writeln!(r, "\n## Fit\n");
    let _ = writeln!(r, "| scenario | loss, {} | hits, {} | loss, all years | hits, all years |", c.years(), c.years());
    let _ = writeln!(r, "|---|---:|---:|---:|---:|");
    for (name, fy, all) in
        [("start", &f.start_fit_years, &f.start_all_years), ("fitted", &f.fitted_fit_years, &f.fitted_all_years)]
    {
        let _ = writeln!(
            r,
            "| {name} | {:.6} | {}/{} | {:.6} | {}/{} |",
            fy.loss(),
            fy.hits(),
            fy.total(),
            all.loss(),
            all.hits(),
            all.total()
        );
    }
    if let Some(years) = &c.spec.years {
        let split = f.fitted_all_years.forecast_split(years.clone());
        let _ = writeln!(
            r,
            "\nFitted and forecast years apart (the forecast rule is wider: a forecast also carries the error of the years it did not see):\n"
        );
        for line in split.describe().lines() {
            let _ = writeln!(r, "- {line}");
        }
    }
    let _ = writeln!(r, "\nBy group, {}:\n", c.years());
    let _ = writeln!(r, "| group | rows | hits, start | hits, fitted | loss, start | loss, fitted |");
    let _ = writeln!(r, "|---|---:|---:|---:|---:|---:|");
    for g in &f.fitted_fit_years.groups {
        let start = f.start_fit_years.groups.iter().find(|s| s.group == g.group);
        let _ = writeln!(
            r,
            "| {} | {} | {} | {} | {} | {:.4} |",
            g.group,
            g.rows,
            start.map_or("-".to_string(), |s| s.hits.to_string()),
            g.hits,
            start.map_or("-".to_string(), |s| format!("{:.4}", s.loss)),
            g.loss
        );
    }

    let _ = writeln!(r, "\n## Loss by generation\n");
    let _ = writeln!(
        r,
        "Generation 0 is the starting point. `best` is the lowest loss of any candidate so far, \
         `generation mean` the mean over the generation's candidates, `sigma` the step size (in \
         bound widths) after the generation. Also in generations.csv.\n"
    );
    let _ = writeln!(r, "| generation | evaluations | best | generation best | generation mean | sigma | invalid |");
    let _ = writeln!(r, "|---:|---:|---:|---:|---:|---:|---:|");
    for h in &o.history {
        let _ = writeln!(
            r,
            "| {} | {} | {:.6} | {:.6} | {:.6} | {:.4} | {} |",
            h.generation, h.evaluations, h.best_loss, h.generation_best, h.mean_loss, h.sigma, h.invalid
        );
    }

    let _ = writeln!(r, "\n## Every target, fitted scenario\n");
    let _ = writeln!(
        r,
        "All years (each row also in fit.csv). A hit: the published value within the simulated p05-p95 \
         band, or a relative error of at most {}% (for shares, or an absolute error of at most {}).\n",
        REL_TOLERANCE * 100.0,
        SHARE_ABS_TOLERANCE
    );
    let _ = writeln!(r, "```text\n{}```", f.fitted_all_years.table());
    r
}
