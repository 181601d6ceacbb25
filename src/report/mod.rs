//! `caseflow report`: one self-contained HTML page of a run's results for a policy analyst, and
//! static SVG figures beside it for papers.
//!
//! - `chart` ([`Chart`]): the chart model both renderers draw (bands, lines, points, axes
//!   decided once): a run's series against its published figures ([`Chart::simulated`]), or,
//!   for a comparison of two scenarios, the paired difference as a fan chart
//!   ([`Chart::difference`]);
//! - `html` ([`Page`]): the page: fragments, figures and their data, with the vendored chart
//!   library and the data inlined, so it opens offline;
//! - `svg` ([`render_svg`]): the same charts as standalone SVG files, each with a title and a
//!   provenance line;
//! - `run` ([`RunReport`]): the report of one results directory: charts grouped as
//!   `caseflow compare` groups the targets, its hit table, the provenance.
//!
//! A report of another kind of result (a comparison of two scenarios, per series and year the
//! base and alternative means and the paired difference with its interval) is a second builder
//! beside `run`: [`Chart::difference`] charts in a [`Page`], the same [`render_svg`].
//!
//! Files are written as everything else the tool writes: each to a temporary in its final
//! directory, then renamed into place; an existing file is not replaced without `force`, and
//! that is checked for every file before any is written.

mod chart;
mod html;
mod run;
mod svg;

use std::fmt;
use std::fs;
use std::io;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

pub use chart::{Band, Chart, Line, Points, format_tick, format_value};
pub use html::{DATA_ELEMENT_ID, OFFLINE_NOTE, Page, UPLOT_VERSION, escape};
pub use run::{RunProvenance, RunReport, SvgFigure, svg_file_name};
pub use svg::render as render_svg;

use crate::calibrate::CalibrateError;

/// What `caseflow report` was asked to do.
#[derive(Clone, Debug)]
pub struct ReportRequest {
    /// A results directory written by `caseflow run` (or its `summary.csv`).
    pub results: PathBuf,
    /// The published figures (`data/targets.csv`).
    pub targets: PathBuf,
    /// Compare only the targets of these years.
    pub years: Option<RangeInclusive<i32>>,
    /// The HTML file; `None`: [`default_out`].
    pub out: Option<PathBuf>,
    /// Where the SVG figures go; `None`: [`default_svg_dir`] of the HTML file.
    pub svg_dir: Option<PathBuf>,
    /// Replace files already there.
    pub force: bool,
    /// The command line, shown in the page's footer.
    pub command_line: String,
}

/// What was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub html: PathBuf,
    pub svg_dir: PathBuf,
    pub svgs: usize,
    /// The comparison's hits and rows, as on the page.
    pub hits: usize,
    pub total: usize,
    /// False when the results come from an interrupted batch.
    pub complete: bool,
}

/// Why a report could not be made.
#[derive(Debug)]
pub enum ReportError {
    /// The results or the targets are missing or malformed (every problem, with file and line).
    Input(CalibrateError),
    /// A file to be written is already there and `force` was not given.
    Exists { path: PathBuf },
    /// An output path that cannot be used even with `force` (a directory where a file goes).
    BadOutput { path: PathBuf, message: String },
    /// A file-system error while writing.
    Io { path: PathBuf, source: io::Error },
    /// Anything else.
    Other(String),
}

impl ReportError {
    /// True when the user's input is at fault (exit status 2), false for failures while
    /// writing (status 1).
    pub fn is_bad_input(&self) -> bool {
        matches!(self, Self::Input(_) | Self::Exists { .. } | Self::BadOutput { .. })
    }
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Input(e) => write!(f, "{e}"),
            Self::Exists { path } => {
                write!(f, "{} already exists; pass --force to overwrite it, or choose another -o", path.display())
            }
            Self::BadOutput { path, message } => write!(f, "{}: {message}", path.display()),
            Self::Io { path, source } => write!(f, "cannot write {}: {source}", path.display()),
            Self::Other(message) => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for ReportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// `report.html` in the results directory.
pub fn default_out(results_dir: &Path) -> PathBuf {
    results_dir.join("report.html")
}

/// `<stem>-svg/` beside the HTML file (`report-svg/` for `report.html`).
pub fn default_svg_dir(html: &Path) -> PathBuf {
    let stem = html.file_stem().map_or_else(|| "report".into(), |s| s.to_string_lossy().into_owned());
    parent_of(html).join(format!("{stem}-svg"))
}

/// The directory a file is in (`.` for a bare file name).
fn parent_of(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// `caseflow report`: reads the results and the targets, then writes the SVG figures and the
/// page (the page last, and a previous page removed before the first figure is replaced, so
/// that a page on disk always has its own figures beside it).
///
/// # Errors
/// See [`ReportError`]; nothing is written when an input is at fault or a file exists.
pub fn make_report(request: &ReportRequest) -> Result<Written, ReportError> {
    let report =
        RunReport::read(&request.results, &request.targets, request.years.clone()).map_err(ReportError::Input)?;
    let html_path = request.out.clone().unwrap_or_else(|| default_out(&report.dir));
    let svg_dir = request.svg_dir.clone().unwrap_or_else(|| default_svg_dir(&html_path));
    let figures = report.svgs();

    // Refuse before writing anything.
    if html_path.is_dir() {
        return Err(ReportError::BadOutput { path: html_path, message: "is a directory, expected a file name".into() });
    }
    if svg_dir.exists() && !svg_dir.is_dir() {
        return Err(ReportError::BadOutput { path: svg_dir, message: "exists and is not a directory".into() });
    }
    if !request.force {
        let targets = std::iter::once(html_path.clone()).chain(figures.iter().map(|f| svg_dir.join(&f.file_name)));
        for path in targets {
            // `symlink_metadata`: even a dangling link counts as there.
            if path.symlink_metadata().is_ok() {
                return Err(ReportError::Exists { path });
            }
        }
    }

    if !figures.is_empty() {
        // The page, written last, vouches for the figures beside it: a page being replaced goes
        // first, so a report killed while its figures are replaced leaves no page beside them.
        match fs::remove_file(&html_path) {
            Ok(()) => crate::output::sync_dir(parent_of(&html_path)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(ReportError::Io { path: html_path, source }),
        }
        fs::create_dir_all(&svg_dir).map_err(|source| ReportError::Io { path: svg_dir.clone(), source })?;
    }
    for figure in &figures {
        write_atomic(&svg_dir.join(&figure.file_name), figure.text.as_bytes())?;
    }
    let base = if figures.is_empty() { None } else { Some(href_to(parent_of(&html_path), &svg_dir)) };
    let href = |file: &str| base.as_ref().map(|b| format!("{b}/{}", percent_encode(file)));
    let page = report.page(&href, &request.command_line).map_err(|e| ReportError::Other(e.to_string()))?;
    write_atomic(&html_path, page.as_bytes())?;
    Ok(Written {
        html: html_path,
        svg_dir,
        svgs: figures.len(),
        hits: report.comparison.hits(),
        total: report.comparison.total(),
        complete: report.provenance.complete,
    })
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    crate::output::write_file_atomic(path, bytes).map_err(|source| ReportError::Io { path: path.to_path_buf(), source })
}

/// A link from a page in `from` to the directory `to`: relative when `to` is inside `from`
/// (as the default is), else absolute; percent-encoded.
fn href_to(from: &Path, to: &Path) -> String {
    let relative = |from: &Path, to: &Path| to.strip_prefix(from).ok().map(Path::to_path_buf);
    let path = relative(from, to)
        .or_else(|| match (fs::canonicalize(from), fs::canonicalize(to)) {
            (Ok(f), Ok(t)) => relative(&f, &t).or(Some(t)),
            _ => None,
        })
        .unwrap_or_else(|| to.to_path_buf());
    let text = path.to_string_lossy().replace('\\', "/");
    let text = text.strip_prefix("./").unwrap_or(&text);
    let encoded = percent_encode(text.trim_end_matches('/'));
    if encoded.is_empty() { ".".to_string() } else { encoded }
}

/// Every byte but unreserved URL characters and `/` as `%XX`.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_paths_sit_beside_each_other() {
        assert_eq!(default_out(Path::new("results/runs/x")), PathBuf::from("results/runs/x/report.html"));
        assert_eq!(
            default_svg_dir(Path::new("results/runs/x/report.html")),
            PathBuf::from("results/runs/x/report-svg")
        );
        assert_eq!(default_svg_dir(Path::new("paper.html")), PathBuf::from("./paper-svg"));
    }

    #[test]
    fn links_to_the_figures_are_relative_and_encoded() {
        assert_eq!(href_to(Path::new("out"), Path::new("out/report-svg")), "report-svg");
        assert_eq!(href_to(Path::new("."), Path::new("./my figs")), "my%20figs");
        assert_eq!(percent_encode("a b/ü.svg"), "a%20b/%C3%BC.svg");
    }
}
