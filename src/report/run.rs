//! The report of one run against the published figures: for every series with published
//! figures, a chart of the simulated mean and p05-p95 band with the figures on top, grouped by
//! actor as `caseflow compare` groups them; the hit table of `compare`; the series without
//! published figures, collapsed; and how the results were made.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::chart::{Chart, format_value, group_thousands};
use super::html::{OFFLINE_NOTE, Page, UPLOT_VERSION, escape};
use super::svg;
use crate::calibrate::{
    self, CalibrateError, CompareRow, Comparison, GROUP_ORDER, Results, Status, TargetKind, TargetRow, series_group,
};
use crate::summary::SummaryRow;

/// What a results directory says about how it was made: the keys of `provenance.toml`.
/// Keys that [`calibrate::read_results`] does not require may be absent (`None`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunProvenance {
    pub results_dir: String,
    pub scenario_name: String,
    pub scenario_path: String,
    pub scenario_sha256: Option<String>,
    pub master_seed: String,
    pub n_runs: u64,
    pub run_indices: Vec<i64>,
    pub complete: bool,
    pub crate_version: Option<String>,
    pub git_revision: Option<String>,
    pub created_utc: Option<String>,
    pub command_line: Option<String>,
}

/// A run's results, the published figures and their comparison: everything the report shows.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// The results directory.
    pub dir: PathBuf,
    pub provenance: RunProvenance,
    /// The targets file as named on the command line.
    pub targets_file: String,
    /// Only the targets of these years are compared (`--years`), as in `caseflow compare`.
    pub years: Option<RangeInclusive<i32>>,
    pub comparison: Comparison,
    summary: Vec<SummaryRow>,
    targets: Vec<TargetRow>,
}

/// One SVG figure to write.
#[derive(Clone, Debug, PartialEq)]
pub struct SvgFigure {
    pub series: String,
    /// The series name made safe as a file name, with `.svg`.
    pub file_name: String,
    pub text: String,
}

/// One series with published figures.
struct Published<'a> {
    series: &'a str,
    unit: &'a str,
    rows: Vec<&'a TargetRow>,
    /// True when every published figure of it is an input of the scenario, not a target.
    input_only: bool,
}

/// A series' summary, aligned by year.
#[derive(Default)]
struct SeriesValues {
    years: Vec<i32>,
    mean: Vec<f64>,
    p05: Vec<f64>,
    p95: Vec<f64>,
}

impl RunReport {
    /// Reads the results in `results` (a directory written by `caseflow run`) and the targets
    /// file, and compares them (only the targets of `years` when given).
    ///
    /// # Errors
    /// [`CalibrateError::Input`] naming the file (and line) that is missing or malformed.
    pub fn read(
        results: &Path,
        targets: &Path,
        years: Option<RangeInclusive<i32>>,
    ) -> Result<RunReport, CalibrateError> {
        let res = calibrate::read_results(results)?;
        let target_rows = calibrate::load_targets(targets)?;
        // `read_results` has read and checked provenance.toml; the keys it does not need are
        // read here, as optional.
        let extras = fs::read_to_string(res.info.dir.join("provenance.toml"))
            .ok()
            .and_then(|text| text.parse::<toml::Table>().ok())
            .unwrap_or_default();
        let report = RunReport::new(res, &extras, target_rows, &targets.display().to_string(), years);
        // `--years` with no target row in them (a typo, most likely) is refused as `compare`
        // refuses it; without `--years` a page of inputs only still shows its charts.
        if let Some(y) = &report.years {
            calibrate::require_target_rows(&report.comparison, &report.targets, Some(y), &report.targets_file)?;
        }
        Ok(report)
    }

    /// The report of `results` against `targets`; `provenance` is the parsed
    /// `provenance.toml` (its optional keys).
    pub fn new(
        results: Results,
        provenance: &toml::Table,
        targets: Vec<TargetRow>,
        targets_file: &str,
        years: Option<RangeInclusive<i32>>,
    ) -> RunReport {
        let text = |key: &str| provenance.get(key).and_then(|v| v.as_str()).map(str::to_string);
        let run_indices = provenance
            .get("run_indices")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(toml::Value::as_integer).collect())
            .unwrap_or_default();
        let info = results.info;
        let dir = info.dir.clone();
        let prov = RunProvenance {
            results_dir: info.dir.display().to_string(),
            scenario_name: info.scenario_name,
            scenario_path: info.scenario_path,
            scenario_sha256: text("scenario_sha256"),
            master_seed: info.master_seed,
            n_runs: info.n_runs,
            run_indices,
            complete: info.complete,
            crate_version: text("crate_version"),
            git_revision: text("git_revision"),
            created_utc: text("created_utc"),
            command_line: text("command_line"),
        };
        let comparison = calibrate::compare(&results.summary, &targets, years.clone());
        RunReport {
            dir,
            provenance: prov,
            targets_file: targets_file.to_string(),
            years,
            comparison,
            summary: results.summary,
            targets,
        }
    }

    /// Series with published figures, in the order of the targets file.
    fn published(&self) -> Vec<Published<'_>> {
        let mut out: Vec<Published<'_>> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for row in &self.targets {
            let i = *index.entry(row.series.as_str()).or_insert_with(|| {
                out.push(Published { series: &row.series, unit: &row.unit, rows: Vec::new(), input_only: true });
                out.len() - 1
            });
            out[i].rows.push(row);
            out[i].input_only &= row.kind == TargetKind::Input;
        }
        out
    }

    /// Every series of the summary with its values, in the summary's order.
    fn series_values(&self) -> Vec<(&str, SeriesValues)> {
        let mut out: Vec<(&str, SeriesValues)> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for row in &self.summary {
            let i = *index.entry(row.series.as_str()).or_insert_with(|| {
                out.push((&row.series, SeriesValues::default()));
                out.len() - 1
            });
            let v = &mut out[i].1;
            v.years.push(row.year);
            v.mean.push(row.mean);
            v.p05.push(row.p05);
            v.p95.push(row.p95);
        }
        out
    }

    /// The chart of `series` with its published figures (none for a series without).
    fn chart(&self, id: &str, series: &str, unit: &str, values: Option<&SeriesValues>, rows: &[&TargetRow]) -> Chart {
        let empty = SeriesValues::default();
        let v = values.unwrap_or(&empty);
        let published: Vec<(i32, f64)> = rows.iter().map(|r| (r.year, r.value)).collect();
        Chart::simulated(id, series, unit, &v.years, &v.mean, &v.p05, &v.p95, &published)
    }

    /// The provenance line of the SVG figures.
    pub fn provenance_line(&self) -> String {
        let p = &self.provenance;
        let sha = p.scenario_sha256.as_deref().map_or("not recorded".to_string(), |s| s.chars().take(12).collect());
        let git = p.git_revision.as_deref().map_or("not recorded".to_string(), short_revision);
        let version = p.crate_version.as_deref().unwrap_or("?");
        let incomplete = if p.complete { "" } else { ", INCOMPLETE (interrupted)" };
        format!(
            "caseflow {version}, scenario {} (SHA-256 {sha}), master seed {}, {} runs{incomplete}, git {git}",
            p.scenario_name, p.master_seed, p.n_runs
        )
    }

    /// One SVG figure per series with published figures, in the targets file's order.
    pub fn svgs(&self) -> Vec<SvgFigure> {
        let values = self.series_values();
        let find = |s: &str| values.iter().find(|(name, _)| *name == s).map(|(_, v)| v);
        let footer = self.provenance_line();
        self.published()
            .iter()
            .map(|p| {
                let chart = self.chart("svg", p.series, p.unit, find(p.series), &p.rows);
                SvgFigure {
                    series: p.series.to_string(),
                    file_name: svg_file_name(p.series),
                    text: svg::render(&chart, &footer),
                }
            })
            .collect()
    }

    /// The HTML page. `svg_href` gives the link to a series' SVG figure from its file name
    /// (`None`: no links); `report_command` is the command line that made the page.
    ///
    /// # Errors
    /// Only if the embedded data cannot be serialised (it always can).
    pub fn page(
        &self,
        svg_href: &dyn Fn(&str) -> Option<String>,
        report_command: &str,
    ) -> Result<String, serde_json::Error> {
        let p = &self.provenance;
        let values = self.series_values();
        let value_of = |s: &str| values.iter().find(|(name, _)| *name == s).map(|(_, v)| v);
        let published = self.published();
        let c = &self.comparison;

        let mut page =
            Page::new(&format!("caseflow: {} ({} runs) against the published figures", p.scenario_name, p.n_runs));
        let n_main = published.len();
        page.body_attribute("data-charts-main", &n_main.to_string());
        page.html("<main>\n");

        // Heading: what was run.
        page.html(&format!(
            "<h1>Scenario <q>{}</q>: {} run{} compared with the published figures</h1>\n",
            escape(&p.scenario_name),
            p.n_runs,
            if p.n_runs == 1 { "" } else { "s" }
        ));
        let mut sub = vec![format!("master seed {}", escape(&p.master_seed))];
        if let Some(v) = &p.crate_version {
            sub.push(format!("caseflow {}", escape(v)));
        }
        if let Some(g) = &p.git_revision {
            sub.push(format!("git <code>{}</code>", escape(&short_revision(g))));
        }
        if let Some(t) = &p.created_utc {
            sub.push(format!("run at {}", escape(t)));
        }
        sub.push(format!("published figures from <code>{}</code>", escape(&self.targets_file)));
        page.html(&format!("<p class=\"subtitle\">{}</p>\n", sub.join(" &middot; ")));
        if !p.complete {
            page.html(&format!(
                "<p class=\"warning\"><strong>Incomplete results.</strong> The batch was interrupted; only {} run{} \
                 finished, and everything below is computed from them.</p>\n",
                p.n_runs,
                if p.n_runs == 1 { "" } else { "s" }
            ));
        }

        // Scoreboard and how to read.
        page.html("<div class=\"top\">\n<section class=\"scoreboard\" aria-label=\"hits\">\n");
        let percent = |hits: usize, total: usize| if total == 0 { 0.0 } else { 100.0 * hits as f64 / total as f64 };
        let years_note = self.years.as_ref().map_or(String::new(), |y| format!(" of {}", years_label(y)));
        page.html(&format!(
            "<p class=\"headline\" id=\"hits-total\" data-hits=\"{}\" data-total=\"{}\"><strong>{} of {}</strong> published \
             figures{years_note} are hits ({:.0}%).</p>\n<table>\n",
            c.hits(),
            c.total(),
            c.hits(),
            c.total(),
            percent(c.hits(), c.total())
        ));
        for g in &c.groups {
            page.html(&format!(
                "<tr data-group=\"{0}\" data-hits=\"{1}\" data-total=\"{2}\"><td><a href=\"#group-{0}\">{3}</a></td>\
                 <td class=\"n\">{1} of {2}</td><td><div class=\"bar\"><span style=\"width:{4:.0}%\"></span></div></td></tr>\n",
                escape(&g.group),
                g.hits,
                g.rows,
                escape(group_title(&g.group)),
                percent(g.hits, g.rows)
            ));
        }
        page.html("</table>\n</section>\n<section class=\"howto\">\n");
        page.html(&format!(
            "<p><strong>How to read this.</strong> Each chart follows one published statistic over the years. The \
             blue line is the mean of the {n} simulated runs, and the shaded band holds the middle 90% of the runs \
             (from the 5th to the 95th percentile): how much the outcome varies by chance alone. The orange dots are \
             the published figures. A published figure counts as a <em>hit</em> when it lies inside the band, or \
             within {rel:.0}% of the simulated mean, or, for a share, within {abs} of it. Point at a chart to read \
             its values (away from it, the legend shows the last year); the table further down lists every published \
             figure with its result.{static}</p>\n",
            n = p.n_runs,
            rel = 100.0 * calibrate::REL_TOLERANCE,
            abs = calibrate::SHARE_ABS_TOLERANCE,
            static = if svg_href("x.svg").is_some() {
                " Static SVG versions of the charts, for papers, are linked beside each chart's name."
            } else {
                ""
            }
        ));
        // Table of contents.
        page.html("<nav class=\"toc\" aria-label=\"contents\"><strong>Contents:</strong><ol>\n");
        let groups = self.chart_groups(&published);
        for (group, _) in &groups {
            page.html(&format!("<li><a href=\"#group-{}\">{}</a></li>\n", escape(group), escape(group_title(group))));
        }
        page.html(
            "<li><a href=\"#hits\">Every published figure</a></li>\n<li><a href=\"#other\">Other series</a></li>\n\
             <li><a href=\"#provenance\">How this was made</a></li>\n</ol></nav>\n</section>\n</div>\n",
        );

        // One section per group of charts.
        for (group, members) in &groups {
            let result = c.groups.iter().find(|g| &g.group == group);
            let count = result.map_or(String::new(), |g| format!("{} of {} hits", g.hits, g.rows));
            page.html(&format!(
                "<section id=\"group-{0}\">\n<h2>{1}<span class=\"count\">{2}</span></h2>\n<p class=\"caption\">{3}</p>\n\
                 <div class=\"charts\">\n",
                escape(group),
                escape(group_title(group)),
                count,
                group_caption(group)
            ));
            for member in members {
                let rows: Vec<&CompareRow> = c.rows.iter().filter(|r| r.series == member.series).collect();
                let chart = self.chart(
                    &page.next_chart_id(),
                    member.series,
                    member.unit,
                    value_of(member.series),
                    &member.rows,
                );
                let caption = self.figure_caption(member, &rows, value_of(member.series).is_none(), svg_href);
                page.figure(chart, &series_anchor(member.series), &caption);
            }
            page.html("</div>\n</section>\n");
        }

        self.hit_table(&mut page);
        self.other_series(&mut page, &values, &published);
        self.provenance_section(&mut page);
        page.html(&format!(
            "<footer><p>Made by <code>{}</code> (caseflow {}, git <code>{}</code>). Charts drawn by uPlot {UPLOT_VERSION} \
             (MIT licence), inlined in this file with the data. {OFFLINE_NOTE}</p></footer>\n</main>\n",
            escape(report_command),
            crate::output::CRATE_VERSION,
            escape(crate::output::GIT_REVISION)
        ));
        page.finish("run", &self.meta())
    }

    /// The groups of charts in report order: `compare`'s groups first (its order), then any
    /// other group of targets alphabetically, then the series whose figures are all inputs.
    fn chart_groups<'a, 'b>(&self, published: &'b [Published<'a>]) -> Vec<(String, Vec<&'b Published<'a>>)> {
        let mut groups: Vec<(String, Vec<&Published<'_>>)> = Vec::new();
        for p in published {
            let group = if p.input_only { INPUTS_GROUP } else { series_group(p.series) };
            match groups.iter_mut().find(|(g, _)| g == group) {
                Some((_, members)) => members.push(p),
                None => groups.push((group.to_string(), vec![p])),
            }
        }
        groups.sort_by_key(|(g, _)| group_rank(g));
        groups
    }

    fn figure_caption(
        &self,
        member: &Published<'_>,
        rows: &[&CompareRow],
        not_simulated: bool,
        svg_href: &dyn Fn(&str) -> Option<String>,
    ) -> String {
        let mut caption = format!("<span class=\"name\"><code>{}</code></span>", escape(member.series));
        if !member.unit.is_empty() {
            let _ = write!(caption, " ({})", escape(member.unit));
        }
        caption.push_str("<br>");
        if member.input_only {
            caption.push_str("An input of the scenario, not counted. ");
        } else {
            let hits = rows.iter().filter(|r| r.status == Status::Hit).count();
            let _ = write!(
                caption,
                "{hits} of {} published figure{} hit. ",
                rows.len(),
                if rows.len() == 1 { "" } else { "s" }
            );
        }
        if not_simulated {
            caption.push_str("<strong>Not in the results.</strong> ");
        }
        let mut sources: Vec<&str> = Vec::new();
        for r in &member.rows {
            let s = r.source.trim();
            if !s.is_empty() && !sources.contains(&s) {
                sources.push(s);
            }
        }
        if !sources.is_empty() {
            let _ = write!(caption, "Source: {}. ", escape(&sources.join("; ")));
        }
        if let Some(href) = svg_href(&svg_file_name(member.series)) {
            let _ = write!(caption, "<a href=\"{}\">SVG</a>", escape(&href));
        }
        caption
    }

    /// `compare`'s table: every published figure with the simulated mean, band, error and
    /// result, grouped, each group headed by its hits.
    fn hit_table(&self, page: &mut Page) {
        let c = &self.comparison;
        page.html(&format!(
            "<section id=\"hits\">\n<h2>Every published figure<span class=\"count\">{} of {} hits</span></h2>\n\
             <p class=\"caption\">As <code>caseflow compare</code> prints them{}: the published value, the mean of the \
             runs and their p05-p95 band, and the error of the mean relative to the published value (for shares also \
             the absolute difference).</p>\n<table class=\"hits\">\n<thead><tr><th>Series</th><th>Year</th>\
             <th>Published</th><th>Simulated mean</th><th>p05 - p95</th><th>Error</th><th>Result</th></tr></thead>\n",
            c.hits(),
            c.total(),
            self.years.as_ref().map_or(String::new(), |y| format!(" (only the figures of {})", years_label(y)))
        ));
        for g in &c.groups {
            page.html(&format!(
                "<tbody data-group=\"{0}\">\n<tr class=\"group\"><th colspan=\"7\">{1}: {2} of {3} hits</th></tr>\n",
                escape(&g.group),
                escape(group_title(&g.group)),
                g.hits,
                g.rows
            ));
            for r in c.rows.iter().filter(|r| r.group == g.group) {
                let share = r.unit == "share";
                let band = if r.p05.is_finite() && r.p95.is_finite() {
                    format!("{} - {}", format_value(r.p05, share), format_value(r.p95, share))
                } else {
                    "-".to_string()
                };
                let error = if !r.rel_error.is_finite() {
                    if share && r.abs_error.is_finite() { format!("({:+.3})", r.abs_error) } else { "-".to_string() }
                } else if share {
                    format!("{:+.1}% ({:+.3})", 100.0 * r.rel_error, r.abs_error)
                } else {
                    format!("{:+.1}%", 100.0 * r.rel_error)
                };
                page.html(&format!(
                    "<tr class=\"{status}\"><td><a href=\"#{anchor}\"><code>{series}</code></a></td><td>{}</td>\
                     <td>{}</td><td>{}</td><td>{band}</td><td>{error}</td><td class=\"result\">{status}</td></tr>\n",
                    r.year,
                    group_thousands(&format!("{}", r.published)),
                    format_value(r.mean, share),
                    anchor = escape(&series_anchor(&r.series)),
                    series = escape(&r.series),
                    status = r.status.as_str(),
                ));
            }
            page.html("</tbody>\n");
        }
        page.html("</table>\n</section>\n");
    }

    /// The series without published figures, collapsed: one group per prefix, one per
    /// province; their charts are drawn when opened.
    fn other_series(&self, page: &mut Page, values: &[(&str, SeriesValues)], published: &[Published<'_>]) {
        let mut groups: Vec<(String, Vec<&(&str, SeriesValues)>)> = Vec::new();
        for entry in values.iter().filter(|(s, _)| !published.iter().any(|p| p.series == *s)) {
            let name = match entry.0.strip_prefix("province.").and_then(|rest| rest.rsplit_once('.')) {
                Some((province, _)) => format!("province {province}"),
                None => series_group(entry.0).to_string(),
            };
            match groups.iter_mut().find(|(g, _)| *g == name) {
                Some((_, members)) => members.push(entry),
                None => groups.push((name, vec![entry])),
            }
        }
        // National groups first (in the summary's order), then the provinces.
        groups.sort_by_key(|(g, _)| g.starts_with("province "));
        let n: usize = groups.iter().map(|(_, m)| m.len()).sum();
        page.html(&format!(
            "<section id=\"other\">\n<h2>Other series<span class=\"count\">{n} series, no published figure</span></h2>\n\
             <p class=\"caption\">What the model reports where no figure was published: drawn for reading, not \
             compared. Open a group to draw its charts.</p>\n<details><summary>Show the other series</summary>\n"
        ));
        for (group, members) in &groups {
            page.html(&format!(
                "<details><summary>{} ({} series)</summary>\n<div class=\"charts\">\n",
                escape(group),
                members.len()
            ));
            for (series, v) in members {
                let chart = Chart::simulated(&page.next_chart_id(), series, "", &v.years, &v.mean, &v.p05, &v.p95, &[]);
                page.figure(
                    chart,
                    &series_anchor(series),
                    &format!("<span class=\"name\"><code>{}</code></span>", escape(series)),
                );
            }
            page.html("</div>\n</details>\n");
        }
        page.html("</details>\n</section>\n");
    }

    fn provenance_section(&self, page: &mut Page) {
        let p = &self.provenance;
        let or_not = |v: &Option<String>| {
            v.as_deref().map_or("<em>not recorded</em>".to_string(), |s| format!("<code>{}</code>", escape(s)))
        };
        let runs = if p.run_indices.is_empty() {
            p.n_runs.to_string()
        } else {
            format!("{} (run indices {})", p.n_runs, ranges(&p.run_indices))
        };
        let items = [
            ("Scenario", format!("<q>{}</q> from <code>{}</code>", escape(&p.scenario_name), escape(&p.scenario_path))),
            ("Scenario SHA-256", or_not(&p.scenario_sha256)),
            ("Master seed", escape(&p.master_seed)),
            ("Runs", runs),
            (
                "Complete",
                if p.complete {
                    "yes".to_string()
                } else {
                    "<strong>no</strong>: interrupted; only the runs listed".to_string()
                },
            ),
            ("caseflow version", or_not(&p.crate_version)),
            ("Git revision", or_not(&p.git_revision)),
            ("Run at (UTC)", or_not(&p.created_utc)),
            ("Command line", or_not(&p.command_line)),
            ("Results", format!("<code>{}</code>", escape(&p.results_dir))),
            (
                "Published figures",
                format!(
                    "<code>{}</code>{}",
                    escape(&self.targets_file),
                    self.years.as_ref().map_or(String::new(), |y| format!(", years {}", years_label(y)))
                ),
            ),
        ];
        page.html(
            "<section id=\"provenance\">\n<h2>How this was made</h2>\n<p class=\"caption\">From the results' \
             <code>provenance.toml</code>; the scenario text itself is stored in <code>results.h5</code>. The same \
             scenario, master seed and runs give the same results on any machine and thread count.</p>\n\
             <dl class=\"provenance\">\n",
        );
        for (k, v) in items {
            page.html(&format!("<dt>{k}</dt><dd>{v}</dd>\n"));
        }
        page.html("</dl>\n</section>\n");
    }

    /// The data about the comparison embedded in the page, beside the charts.
    fn meta(&self) -> RunMeta<'_> {
        let c = &self.comparison;
        RunMeta {
            provenance: &self.provenance,
            targets_file: &self.targets_file,
            years: self.years.as_ref().map(|y| [*y.start(), *y.end()]),
            hits: c.hits(),
            total: c.total(),
            groups: c
                .groups
                .iter()
                .map(|g| GroupMeta { group: &g.group, hits: g.hits, rows: g.rows, missing: g.missing, loss: g.loss })
                .collect(),
            rows: c
                .rows
                .iter()
                .map(|r| RowMeta {
                    series: &r.series,
                    year: r.year,
                    group: &r.group,
                    published: r.published,
                    mean: r.mean,
                    p05: r.p05,
                    p95: r.p95,
                    rel_error: r.rel_error,
                    result: r.status.as_str(),
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct RunMeta<'a> {
    provenance: &'a RunProvenance,
    targets_file: &'a str,
    years: Option<[i32; 2]>,
    hits: usize,
    total: usize,
    groups: Vec<GroupMeta<'a>>,
    rows: Vec<RowMeta<'a>>,
}

#[derive(Serialize)]
struct GroupMeta<'a> {
    group: &'a str,
    hits: usize,
    rows: usize,
    missing: usize,
    loss: f64,
}

/// A row of the hit table (NaN as `null`).
#[derive(Serialize)]
struct RowMeta<'a> {
    series: &'a str,
    year: i32,
    group: &'a str,
    published: f64,
    mean: f64,
    p05: f64,
    p95: f64,
    rel_error: f64,
    result: &'static str,
}

/// The pseudo-group of series whose published figures are all inputs of the scenario.
const INPUTS_GROUP: &str = "inputs";

/// `compare`'s groups in its order, other groups alphabetically, the inputs last.
fn group_rank(group: &str) -> (usize, String) {
    match GROUP_ORDER.iter().position(|g| *g == group) {
        Some(i) => (i, String::new()),
        None if group == INPUTS_GROUP => (GROUP_ORDER.len() + 1, String::new()),
        None => (GROUP_ORDER.len(), group.to_string()),
    }
}

/// A group's heading.
fn group_title(group: &str) -> &str {
    match group {
        "procurator" => "Procurators",
        "trial" => "Trials",
        "private" => "Private prosecution",
        "jury" => "Juries",
        "detention" => "Detention",
        "prison" => "Prisons",
        "reconciliation" => "Reconciliation",
        "appeal" => "Appeals",
        "torture" => "Torture complaints",
        INPUTS_GROUP => "Inputs",
        other => other,
    }
}

/// A group's plain-language caption (HTML).
fn group_caption(group: &str) -> &'static str {
    match group {
        "procurator" => {
            "What procurators do with the criminal cases investigators bring them: send them to court, or close them, \
             on non-rehabilitative grounds (reconciliation, repentance) or on exonerating grounds. Counted in \
             registered criminal cases."
        }
        "trial" => {
            "What the courts of first instance do with public prosecutions: cases heard, convictions and acquittals, \
             cases closed at trial (by reconciliation or on exonerating grounds), and cases sent back for \
             supplementary investigation or to the procurator. Counted in court cases (several registered cases \
             against one accused make one court case)."
        }
        "private" => {
            "Private prosecution: complaints a victim brings straight to a judge, with no procurator. Most are \
             rejected, withdrawn or closed; some end in a sentence or an acquittal."
        }
        "jury" => {
            "Trials by jury, where the charge allows one and an accused asks for it: how many cases, how many \
             defendants are convicted or acquitted, and the juries' share of all acquittals in public prosecutions."
        }
        "detention" => {
            "Pre-trial detention: suspects released from police custody, and how often requests to detain are \
             approved, by procurators until August 2008 and by judges since."
        }
        "prison" => {
            "People in prison and in pre-trial detention at the end of each year, and the share of sentences that \
             send the convicted to prison."
        }
        "reconciliation" => {
            "Cases that end because the victim and the accused reconciled: before trial, closed by the procurator, \
             and in court, with their shares."
        }
        "appeal" => {
            "Appeals: how many acquittals and sentences the higher courts overturn, and how many defendants they \
             acquit themselves."
        }
        "torture" => {
            "Complaints of torture and ill-treatment by officials: registered, investigated as criminal cases, sent \
             to court, and raised by defendants at trial."
        }
        INPUTS_GROUP => {
            "Figures the scenario takes as given rather than produces (such as the crimes registered each year), \
             drawn to show that the run reproduces them. They are not counted as hits or misses."
        }
        _ => "Series of this group with published figures.",
    }
}

/// A series name as a file name: letters, digits, `.`, `-` and `_` kept, anything else `_`.
pub fn svg_file_name(series: &str) -> String {
    format!("{}.svg", safe_name(series))
}

/// The id of a series' figure on the page: `series-` and the name made safe as an id (no
/// spaces, which province names have).
fn series_anchor(series: &str) -> String {
    format!("series-{}", safe_name(series))
}

fn safe_name(series: &str) -> String {
    series.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' }).collect()
}

/// A git revision to 12 hex digits, keeping a `-dirty` mark.
fn short_revision(revision: &str) -> String {
    let short: String = revision.chars().take(12).collect();
    if revision.ends_with("-dirty") && !short.ends_with("-dirty") { format!("{short}-dirty") } else { short }
}

/// `2008-2012`, or `2012` for one year.
fn years_label(years: &RangeInclusive<i32>) -> String {
    if years.start() == years.end() { years.start().to_string() } else { format!("{}-{}", years.start(), years.end()) }
}

/// Ascending integers as ranges: `0-7, 9, 11-12`.
fn ranges(values: &[i64]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < values.len() {
        let mut j = i;
        while j + 1 < values.len() && values[j + 1] == values[j] + 1 {
            j += 1;
        }
        out.push(if j > i { format!("{}-{}", values[i], values[j]) } else { values[i].to_string() });
        i = j + 1;
    }
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_revisions_keep_the_dirty_mark() {
        assert_eq!(short_revision("0123456789abcdef0123"), "0123456789ab");
        assert_eq!(short_revision("0123456789abcdef0123-dirty"), "0123456789ab-dirty");
        assert_eq!(short_revision("unknown"), "unknown");
    }

    #[test]
    fn run_indices_compress_to_ranges() {
        assert_eq!(ranges(&[0, 1, 2, 3, 5, 7, 8]), "0-3, 5, 7-8");
        assert_eq!(ranges(&[]), "");
    }

    #[test]
    fn file_names_are_safe() {
        assert_eq!(svg_file_name("trial.convicted"), "trial.convicted.svg");
        assert_eq!(svg_file_name("province.North Kazakhstan/x"), "province.North_Kazakhstan_x.svg");
    }

    #[test]
    fn groups_follow_compare_then_inputs() {
        let mut g = vec!["inputs", "zeta", "torture", "procurator"];
        g.sort_by_key(|g| group_rank(g));
        assert_eq!(g, vec!["procurator", "torture", "zeta", "inputs"]);
    }
}
