//! Static SVG figures of [`Chart`]s, for papers: one self-standing file per chart with its
//! title, a legend and a provenance line as text.
//!
//! Written by hand rather than with `plotters`: a chart here is a band, a few lines and some
//! points on two linear axes whose ticks the chart model already chose (the interactive page
//! uses the same ticks), so a plotting crate would add a dependency and a second idea of the
//! axes for about as much code as it saves. The output is plain SVG 1.1 text, byte-identical
//! for the same chart, and needs no font files: text is set in the viewer's generic
//! `sans-serif`.
//!
//! Every part is one element a script can find: the band one `<path class="band">`, each line
//! drawn one `<path class="line">` (gaps as separate subpaths of the same path), the points one
//! `<g class="points">` of circles.

use std::fmt::Write as _;

use super::chart::{Chart, format_value};
use super::html::escape;

/// Figure size in pixels (SVG user units).
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 400.0;
/// The plot area's margins: room for the y labels, the title, the x labels, legend and footer.
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 48.0;
const BOTTOM: f64 = 88.0;

/// The SVG text of `chart`, with `footer` (the provenance line) at the bottom.
pub fn render(chart: &Chart, footer: &str) -> String {
    let plot = Plot::of(chart);
    let mut s = String::with_capacity(8 * 1024);
    let title = if chart.unit.is_empty() { chart.title.clone() } else { format!("{} ({})", chart.title, chart.unit) };
    let _ = writeln!(s, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, "<title>{}</title>", escape(&title));
    let _ = writeln!(s, "<desc>{}</desc>", escape(footer));
    let _ = writeln!(s, r##"<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>"##);
    let _ = writeln!(
        s,
        r##"<text class="title" x="{LEFT}" y="24" font-size="15" font-weight="bold" fill="#222222">{}</text>"##,
        escape(&title)
    );

    // Grid and y labels.
    let _ = writeln!(s, r##"<g class="y-axis" fill="#444444" text-anchor="end">"##);
    for (v, label) in chart.y_ticks.iter().zip(&chart.y_labels) {
        let y = plot.y(*v);
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#e3e3e3"/><text x="{:.1}" y="{:.1}">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            escape(label)
        );
    }
    let _ = writeln!(s, "</g>");
    // x labels.
    let _ = writeln!(s, r##"<g class="x-axis" fill="#444444" text-anchor="middle">"##);
    let base = HEIGHT - BOTTOM;
    for &year in &chart.x_ticks {
        let x = plot.x(year);
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" x2="{x:.1}" y1="{base:.1}" y2="{:.1}" stroke="#999999"/><text x="{x:.1}" y="{:.1}">{year}</text>"##,
            base + 4.0,
            base + 18.0
        );
    }
    let _ = writeln!(
        s,
        r##"<line x1="{LEFT}" x2="{:.1}" y1="{base:.1}" y2="{base:.1}" stroke="#999999"/>"##,
        WIDTH - RIGHT
    );
    let _ = writeln!(s, "</g>");

    for band in &chart.bands {
        let (fill, opacity) = colour(&band.fill);
        let _ = writeln!(
            s,
            r#"<path class="band" data-label="{}" fill="{fill}"{opacity} stroke="none" d="{}"/>"#,
            escape(&band.label),
            band_path(&plot, &chart.years, &band.lo, &band.hi)
        );
    }
    for line in chart.lines.iter().filter(|l| l.shown) {
        let dash = if line.dashed { r#" stroke-dasharray="5 4""# } else { "" };
        let _ = writeln!(
            s,
            r#"<path class="line" data-label="{}" fill="none" stroke="{}" stroke-width="{}" stroke-linejoin="round" stroke-linecap="round"{dash} d="{}"/>"#,
            escape(&line.label),
            colour(&line.colour).0,
            line.width,
            line_path(&plot, &chart.years, &line.values)
        );
    }
    for points in &chart.points {
        let _ = writeln!(
            s,
            r##"<g class="points" data-label="{}" fill="{}" stroke="#ffffff" stroke-width="1">"##,
            escape(&points.label),
            colour(&points.colour).0
        );
        for (year, v) in chart.years.iter().zip(&points.values) {
            if let Some(v) = v {
                let _ = writeln!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="4.5"><title>{year}: {}</title></circle>"#,
                    plot.x(*year),
                    plot.y(*v),
                    format_value(*v, chart.unit == "share")
                );
            }
        }
        let _ = writeln!(s, "</g>");
    }

    if !chart.lines.iter().any(|l| l.shown && l.values.iter().any(Option::is_some)) {
        let _ = writeln!(
            s,
            r##"<text class="no-values" x="{:.1}" y="{:.1}" text-anchor="middle" fill="#666666">no simulated value (not in the results, or undefined in every run)</text>"##,
            (LEFT + WIDTH - RIGHT) / 2.0,
            (TOP + HEIGHT - BOTTOM) / 2.0
        );
    }
    legend(&mut s, chart);
    let _ = writeln!(
        s,
        r##"<text class="provenance" x="{LEFT}" y="{:.1}" font-size="10" fill="#666666">{}</text>"##,
        HEIGHT - 10.0,
        escape(footer)
    );
    s.push_str("</svg>\n");
    s
}

/// One row under the plot: a swatch and the label of each part drawn.
fn legend(s: &mut String, chart: &Chart) {
    let y = HEIGHT - BOTTOM + 42.0;
    let mut x = LEFT;
    let _ = writeln!(s, r##"<g class="legend" fill="#333333">"##);
    for band in &chart.bands {
        let (fill, opacity) = colour(&band.fill);
        let _ = writeln!(
            s,
            r#"<rect x="{x:.1}" y="{:.1}" width="22" height="10" fill="{fill}"{opacity}/><text x="{:.1}" y="{y:.1}">{}</text>"#,
            y - 9.0,
            x + 28.0,
            escape(&band.label)
        );
        x += 40.0 + 6.5 * band.label.chars().count() as f64;
    }
    for line in chart.lines.iter().filter(|l| l.shown) {
        let dash = if line.dashed { r#" stroke-dasharray="5 4""# } else { "" };
        let _ = writeln!(
            s,
            r#"<line x1="{x:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="{}" stroke-width="{}"{dash}/><text x="{:.1}" y="{y:.1}">{}</text>"#,
            x + 22.0,
            y - 4.0,
            y - 4.0,
            colour(&line.colour).0,
            line.width,
            x + 28.0,
            escape(&line.label)
        );
        x += 40.0 + 6.5 * line.label.chars().count() as f64;
    }
    for points in &chart.points {
        let _ = writeln!(
            s,
            r#"<circle cx="{:.1}" cy="{:.1}" r="4.5" fill="{}"/><text x="{:.1}" y="{y:.1}">{}</text>"#,
            x + 11.0,
            y - 4.0,
            colour(&points.colour).0,
            x + 28.0,
            escape(&points.label)
        );
        x += 40.0 + 6.5 * points.label.chars().count() as f64;
    }
    let _ = writeln!(s, "</g>");
}

/// A CSS colour as SVG 1.1 wants it: `rgba(r, g, b, a)` becomes `rgb(r, g, b)` and a
/// ` fill-opacity="a"` attribute (some SVG readers of papers' toolchains ignore rgba).
fn colour(css: &str) -> (String, String) {
    let Some(inner) = css.strip_prefix("rgba(").and_then(|r| r.strip_suffix(')')) else {
        return (css.to_string(), String::new());
    };
    let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
    match parts.as_slice() {
        [r, g, b, a] => (format!("rgb({r}, {g}, {b})"), format!(r#" fill-opacity="{a}""#)),
        _ => (css.to_string(), String::new()),
    }
}

/// Maps years and values to the plot area.
struct Plot {
    first_year: f64,
    year_span: f64,
    y_from: f64,
    y_span: f64,
}

impl Plot {
    fn of(chart: &Chart) -> Plot {
        let first = chart.years.first().copied().unwrap_or(0);
        let last = chart.years.last().copied().unwrap_or(first);
        let [from, to] = chart.y_range;
        Plot {
            first_year: f64::from(first),
            year_span: f64::from((last - first).max(0)),
            y_from: from,
            y_span: if to > from { to - from } else { 1.0 },
        }
    }

    /// A single year sits in the middle; otherwise the first and last years touch the sides,
    /// with a small inset so their markers are not cut.
    fn x(&self, year: i32) -> f64 {
        let inset = 12.0;
        let width = WIDTH - LEFT - RIGHT - 2.0 * inset;
        if self.year_span == 0.0 {
            return LEFT + inset + width / 2.0;
        }
        LEFT + inset + (f64::from(year) - self.first_year) / self.year_span * width
    }

    fn y(&self, v: f64) -> f64 {
        let height = HEIGHT - TOP - BOTTOM;
        HEIGHT - BOTTOM - (v - self.y_from) / self.y_span * height
    }
}

/// `M x,y L x,y ...`, a new subpath after each gap; a lone value is a zero-length segment,
/// drawn as a dot by the line's round cap.
fn line_path(plot: &Plot, years: &[i32], values: &[Option<f64>]) -> String {
    let mut d = String::new();
    for run in runs(values) {
        for (k, i) in run.clone().enumerate() {
            let (x, y) = (plot.x(years[i]), plot.y(values[i].unwrap_or(0.0)));
            let _ = write!(d, "{}{x:.1},{y:.1} ", if k == 0 { "M" } else { "L" });
        }
        if run.len() == 1 {
            // A zero-length segment, which the round cap draws as a dot.
            let (x, y) = (plot.x(years[run.start]), plot.y(values[run.start].unwrap_or(0.0)));
            let _ = write!(d, "L{x:.1},{y:.1} ");
        }
    }
    d.trim_end().to_string()
}

/// The area between `lo` and `hi`: per stretch of years where both are known, along `hi`
/// forward and back along `lo`. A single year is a thin bar.
fn band_path(plot: &Plot, years: &[i32], lo: &[Option<f64>], hi: &[Option<f64>]) -> String {
    let both: Vec<Option<(f64, f64)>> = lo.iter().zip(hi).map(|(l, h)| l.zip(*h)).collect();
    let mut d = String::new();
    for run in runs(&both) {
        let half = if run.len() == 1 { 4.0 } else { 0.0 };
        for (k, i) in run.clone().enumerate() {
            let (_, h) = both[i].unwrap_or_default();
            let _ = write!(d, "{}{:.1},{:.1} ", if k == 0 { "M" } else { "L" }, plot.x(years[i]) - half, plot.y(h));
            if half > 0.0 {
                let _ = write!(d, "L{:.1},{:.1} ", plot.x(years[i]) + half, plot.y(h));
            }
        }
        for i in run.clone().rev() {
            let (l, _) = both[i].unwrap_or_default();
            if half > 0.0 {
                let _ = write!(d, "L{:.1},{:.1} ", plot.x(years[i]) + half, plot.y(l));
            }
            let _ = write!(d, "L{:.1},{:.1} ", plot.x(years[i]) - half, plot.y(l));
        }
        d.push_str("Z ");
    }
    d.trim_end().to_string()
}

/// The index ranges of consecutive known values.
fn runs<T>(values: &[Option<T>]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, v) in values.iter().enumerate() {
        match (v.is_some(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(s..values.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_split_runs() {
        assert_eq!(runs(&[None, Some(1), Some(2), None, Some(3)]), vec![1..3, 4..5]);
        assert_eq!(runs::<i32>(&[None, None]), Vec::<std::ops::Range<usize>>::new());
    }

    #[test]
    fn one_path_per_line_even_with_gaps() {
        let c = Chart::simulated(
            "c0",
            "a.count",
            "cases",
            &[2000, 2001, 2002, 2003],
            &[1.0, f64::NAN, 3.0, 4.0],
            &[0.5, f64::NAN, 2.5, 3.5],
            &[1.5, f64::NAN, 3.5, 4.5],
            &[(2001, 2.0)],
        );
        let svg = render(&c, "scenario x & y");
        assert_eq!(svg.matches(r#"<path class="line""#).count(), 1);
        assert_eq!(svg.matches(r#"<path class="band""#).count(), 1);
        // Two stretches: the lone 2000 value and 2002-2003.
        let line = svg.lines().find(|l| l.starts_with(r#"<path class="line""#)).unwrap_or_default();
        assert_eq!(line.matches('M').count(), 2, "{line}");
        assert_eq!(svg.matches("<circle cx").count(), 1 + 1, "one point and its legend swatch");
        assert!(svg.contains("scenario x &amp; y"));
        assert!(svg.contains(r#"fill="rgb(31, 78, 121)" fill-opacity="0.18""#));
    }

    #[test]
    fn a_difference_is_a_fan_around_a_dashed_zero_line() {
        let c = Chart::difference(
            "d0",
            "trial.acquitted",
            "cases",
            &[2015, 2016, 2017],
            &[100.0, 110.0, 120.0],
            &[130.0, 150.0, 110.0],
            &[30.0, 40.0, -10.0],
            &[20.0, 25.0, -20.0],
            &[40.0, 55.0, 0.0],
            "90% interval",
        );
        let svg = render(&c, "scenario base vs alternative");
        let lines: Vec<&str> = svg.lines().filter(|l| l.starts_with(r#"<path class="line""#)).collect();
        assert_eq!(lines.len(), 2, "the zero line and the mean difference; the means are not drawn");
        assert!(lines[0].contains(r#"data-label="no difference""#) && lines[0].contains("stroke-dasharray"));
        assert!(lines[1].contains(r#"data-label="mean difference""#));
        assert_eq!(svg.matches(r#"<path class="band" data-label="90% interval""#).count(), 1);
        assert!(!svg.contains(r#"class="points""#));
        assert!(svg.contains("<title>trial.acquitted (difference in cases)</title>"));
    }
}
