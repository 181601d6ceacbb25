//! The chart model that the page's interactive charts and the static SVG figures both draw: a
//! quantity over the years as shaded bands, lines and points, with the axes (range, ticks and
//! their labels) decided here once, so the HTML and the SVG of a series show the same picture.
//!
//! Two kinds of chart are built from it: a series of a run against its published figures
//! ([`Chart::simulated`]) and the paired difference between two scenarios as a fan chart
//! ([`Chart::difference`], for a comparison of scenarios).

use serde::Serialize;

/// Colours (Okabe-Ito based, readable in grey print and by colour-blind readers).
pub const MEAN_COLOUR: &str = "#1f4e79";
pub const BAND_FILL: &str = "rgba(31, 78, 121, 0.18)";
pub const PUBLISHED_COLOUR: &str = "#d55e00";
pub const DIFFERENCE_COLOUR: &str = "#5b2a86";
pub const DIFFERENCE_FILL: &str = "rgba(91, 42, 134, 0.2)";
pub const ZERO_COLOUR: &str = "#777777";

/// Labels of the parts of a [`Chart::simulated`] chart, as the legend shows them.
pub const MEAN_LABEL: &str = "simulated mean";
pub const BAND_LABEL: &str = "p05-p95 of runs";
pub const PUBLISHED_LABEL: &str = "published";

/// One quantity over the years. Values are aligned with `years`; `None` is a gap (a year not
/// simulated, a ratio undefined in every run), serialised as `null`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Chart {
    /// Unique within a page: the key under which the page's script finds the chart.
    pub id: String,
    /// The series name, e.g. `procurator.sent_to_court`.
    pub title: String,
    /// What the y axis measures (`cases`, `share`, ...); empty when unknown.
    pub unit: String,
    /// Ascending, without repeats.
    pub years: Vec<i32>,
    /// Shaded ranges, drawn first.
    pub bands: Vec<Band>,
    /// Lines, drawn over the bands in order.
    pub lines: Vec<Line>,
    /// Markers, drawn last.
    pub points: Vec<Points>,
    /// The y axis: from, to.
    pub y_range: [f64; 2],
    /// Where the y axis has ticks, and their labels.
    pub y_ticks: Vec<f64>,
    pub y_labels: Vec<String>,
    /// The years that carry a label on the x axis.
    pub x_ticks: Vec<i32>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Band {
    pub label: String,
    /// How the interactive chart lists the two edges' values.
    pub lo_label: String,
    pub hi_label: String,
    pub lo: Vec<Option<f64>>,
    pub hi: Vec<Option<f64>>,
    pub fill: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Line {
    pub label: String,
    pub values: Vec<Option<f64>>,
    pub colour: String,
    /// Stroke width in pixels.
    pub width: f64,
    pub dashed: bool,
    /// False: not drawn, only listed with its values where the reader points (the interactive
    /// chart's legend); the SVG leaves it out.
    pub shown: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Points {
    pub label: String,
    pub values: Vec<Option<f64>>,
    pub colour: String,
}

impl Chart {
    /// A simulated series against its published figures: the mean across runs as a line, the
    /// p05-p95 band of the runs, the published figures as points. The years are those
    /// simulated and those published (a figure of a year not simulated still shows).
    ///
    /// `mean`, `p05` and `p95` are aligned with `years`; NaN is a gap.
    #[allow(clippy::too_many_arguments)]
    pub fn simulated(
        id: &str,
        series: &str,
        unit: &str,
        years: &[i32],
        mean: &[f64],
        p05: &[f64],
        p95: &[f64],
        published: &[(i32, f64)],
    ) -> Chart {
        let all_years = union_years(years, published.iter().map(|p| p.0));
        let at = |values: &[f64]| align(&all_years, years, values);
        let (pub_years, pub_values): (Vec<i32>, Vec<f64>) = published.iter().copied().unzip();
        Chart::new(
            id,
            series,
            unit,
            all_years.clone(),
            vec![Band {
                label: BAND_LABEL.into(),
                lo_label: "p05".into(),
                hi_label: "p95".into(),
                lo: at(p05),
                hi: at(p95),
                fill: BAND_FILL.into(),
            }],
            vec![Line {
                label: MEAN_LABEL.into(),
                values: at(mean),
                colour: MEAN_COLOUR.into(),
                width: 2.0,
                dashed: false,
                shown: true,
            }],
            vec![Points {
                label: PUBLISHED_LABEL.into(),
                values: align(&all_years, &pub_years, &pub_values),
                colour: PUBLISHED_COLOUR.into(),
            }],
            false,
        )
    }

    /// A fan chart of the difference an alternative scenario makes to a series: the mean
    /// paired difference (alternative minus base, run by run on common random numbers) as a
    /// line, its interval (e.g. the 90% interval, `interval_label`) shaded, a dashed zero line;
    /// the base and alternative means are listed with the values but not drawn.
    ///
    /// Every slice is aligned with `years`; NaN is a gap.
    #[allow(clippy::too_many_arguments)]
    pub fn difference(
        id: &str,
        series: &str,
        unit: &str,
        years: &[i32],
        base_mean: &[f64],
        alternative_mean: &[f64],
        difference_mean: &[f64],
        difference_lo: &[f64],
        difference_hi: &[f64],
        interval_label: &str,
    ) -> Chart {
        let years = union_years(years, std::iter::empty());
        let opt = |values: &[f64]| values.iter().map(|&v| finite(v)).collect::<Vec<_>>();
        let hidden = |label: &str, values: &[f64]| Line {
            label: label.into(),
            values: opt(values),
            colour: ZERO_COLOUR.into(),
            width: 1.0,
            dashed: false,
            shown: false,
        };
        let unit = if unit.is_empty() { "difference".to_string() } else { format!("difference in {unit}") };
        Chart::new(
            id,
            series,
            &unit,
            years.clone(),
            vec![Band {
                label: interval_label.into(),
                lo_label: format!("{interval_label}, low"),
                hi_label: format!("{interval_label}, high"),
                lo: opt(difference_lo),
                hi: opt(difference_hi),
                fill: DIFFERENCE_FILL.into(),
            }],
            vec![
                Line {
                    label: "no difference".into(),
                    values: vec![Some(0.0); years.len()],
                    colour: ZERO_COLOUR.into(),
                    width: 1.0,
                    dashed: true,
                    shown: true,
                },
                Line {
                    label: "mean difference".into(),
                    values: opt(difference_mean),
                    colour: DIFFERENCE_COLOUR.into(),
                    width: 2.0,
                    dashed: false,
                    shown: true,
                },
                hidden("base mean", base_mean),
                hidden("alternative mean", alternative_mean),
            ],
            Vec::new(),
            true,
        )
    }

    /// Assembles a chart and decides its axes from every value drawn.
    #[allow(clippy::too_many_arguments)]
    fn new(
        id: &str,
        title: &str,
        unit: &str,
        years: Vec<i32>,
        bands: Vec<Band>,
        lines: Vec<Line>,
        points: Vec<Points>,
        with_zero: bool,
    ) -> Chart {
        let drawn = bands
            .iter()
            .flat_map(|b| b.lo.iter().chain(&b.hi))
            .chain(lines.iter().filter(|l| l.shown).flat_map(|l| &l.values))
            .chain(points.iter().flat_map(|p| &p.values))
            .filter_map(|v| *v);
        let axis = NiceAxis::covering(drawn, with_zero);
        let x_ticks = year_ticks(&years);
        Chart {
            id: id.to_string(),
            title: title.to_string(),
            unit: unit.to_string(),
            years,
            bands,
            lines,
            points,
            y_range: [axis.from, axis.to],
            y_labels: axis.ticks.iter().map(|&v| format_tick(v, axis.decimals)).collect(),
            y_ticks: axis.ticks,
            x_ticks,
        }
    }

    /// True when the chart has anything to draw.
    pub fn has_values(&self) -> bool {
        let any = |v: &[Option<f64>]| v.iter().any(Option::is_some);
        self.bands.iter().any(|b| any(&b.lo) || any(&b.hi))
            || self.lines.iter().any(|l| l.shown && any(&l.values))
            || self.points.iter().any(|p| any(&p.values))
    }
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// `years` and `more`, ascending, each once.
fn union_years(years: &[i32], more: impl Iterator<Item = i32>) -> Vec<i32> {
    let mut all: Vec<i32> = years.iter().copied().chain(more).collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// `values` (aligned with `years`) placed on `all_years`; `None` where a year has no value.
fn align(all_years: &[i32], years: &[i32], values: &[f64]) -> Vec<Option<f64>> {
    all_years
        .iter()
        .map(|y| years.iter().position(|x| x == y).and_then(|i| values.get(i).copied()).and_then(finite))
        .collect()
}

/// Years to label: every year up to 12 of them, then every 2nd, then every 5th (multiples of
/// the step, so the labels are round years).
fn year_ticks(years: &[i32]) -> Vec<i32> {
    let (Some(&first), Some(&last)) = (years.first(), years.last()) else {
        return Vec::new();
    };
    let span = last - first + 1;
    let step = if span <= 12 {
        1
    } else if span <= 24 {
        2
    } else {
        5
    };
    (first..=last).filter(|y| y.rem_euclid(step) == 0).collect()
}

/// A y axis with round ticks.
#[derive(Clone, Debug, PartialEq)]
struct NiceAxis {
    from: f64,
    to: f64,
    ticks: Vec<f64>,
    decimals: usize,
}

impl NiceAxis {
    /// An axis covering `values`, about five ticks at a round step (1, 2, 2.5 or 5 times a
    /// power of ten). Non-negative values whose least is under half their largest start at
    /// zero, as counts and shares are best read from it; `with_zero` always includes zero.
    fn covering(values: impl Iterator<Item = f64>, with_zero: bool) -> NiceAxis {
        let (mut lo, mut hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        if !lo.is_finite() || !hi.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
        if with_zero || (lo >= 0.0 && lo < 0.5 * hi) {
            lo = lo.min(0.0);
            hi = hi.max(0.0);
        }
        if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
            let pad = if hi == 0.0 { 1.0 } else { hi.abs() * 0.1 };
            (lo, hi) = (lo - pad, hi + pad);
            if lo < 0.0 && (hi - pad) >= 0.0 {
                lo = 0.0;
            }
        }
        let (step, decimals) = nice_step((hi - lo) / 5.0);
        let first = (lo / step).floor() as i64;
        let last = (hi / step).ceil() as i64;
        let scale = 10f64.powi(decimals as i32);
        // Ticks as integer multiples of the step, rounded to the step's decimals, so that 3 x 0.1
        // is 0.3 and not 0.30000000000000004.
        let ticks: Vec<f64> = (first..=last).map(|k| (k as f64 * step * scale).round() / scale).collect();
        let from = ticks.first().copied().unwrap_or(lo);
        let to = ticks.last().copied().unwrap_or(hi);
        NiceAxis { from, to, ticks, decimals }
    }
}

/// The smallest round step (1, 2, 2.5 or 5 times a power of ten) at least `raw`, and the
/// decimals its multiples need.
fn nice_step(raw: f64) -> (f64, usize) {
    let raw = if raw.is_finite() && raw > 0.0 { raw } else { 1.0 };
    let base = 10f64.powi(raw.log10().floor() as i32);
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * base)
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * base);
    let decimals = (0..=12)
        .find(|&d| {
            let scaled = step * 10f64.powi(d);
            (scaled - scaled.round()).abs() < 1e-6 * scaled.abs().max(1.0)
        })
        .unwrap_or(12) as usize;
    (step, decimals)
}

/// A tick label: `decimals` places, thousands separated by commas (`120,000`, `0.25`).
pub fn format_tick(v: f64, decimals: usize) -> String {
    let v = if v == 0.0 { 0.0 } else { v }; // no "-0"
    group_thousands(&format!("{v:.decimals$}"))
}

/// A value for reading (tables, captions): shares to 3 decimals, counts from 100 on rounded
/// to whole numbers with thousands separated, smaller ones to 3 significant digits; `-` for
/// no value.
pub fn format_value(v: f64, share: bool) -> String {
    if !v.is_finite() {
        return "-".to_string();
    }
    if share {
        return format!("{v:.3}");
    }
    let a = v.abs();
    let text = if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    };
    group_thousands(&text)
}

/// Commas between groups of three digits of the integer part (`-1234567.5` -> `-1,234,567.5`).
pub(crate) fn group_thousands(number: &str) -> String {
    let (sign, rest) = number.strip_prefix('-').map_or(("", number), |r| ("-", r));
    let (int, frac) = rest.split_once('.').map_or((rest, None), |(i, f)| (i, Some(f)));
    if int.len() <= 4 {
        // 1234 reads better than 1,234 on an axis; 10,000 does not.
        return number.to_string();
    }
    let mut out = String::with_capacity(number.len() + int.len() / 3);
    out.push_str(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_steps_and_their_decimals() {
        assert_eq!(nice_step(0.9), (1.0, 0));
        assert_eq!(nice_step(1.1), (2.0, 0));
        assert_eq!(nice_step(2.2), (2.5, 1));
        assert_eq!(nice_step(0.022), (0.025, 3));
        assert_eq!(nice_step(0.04), (0.05, 2));
        assert_eq!(nice_step(23_000.0), (25_000.0, 0));
        assert_eq!(nice_step(7_000.0), (10_000.0, 0));
        assert_eq!(nice_step(0.07), (0.1, 1));
    }

    #[test]
    fn axis_covers_the_values_with_round_ticks() {
        let a = NiceAxis::covering([52_000.0, 61_500.0].into_iter(), false);
        assert_eq!(a.ticks, vec![52_000.0, 54_000.0, 56_000.0, 58_000.0, 60_000.0, 62_000.0]);
        assert_eq!((a.from, a.to), (52_000.0, 62_000.0));
        // Counts far from their maximum start at zero.
        let a = NiceAxis::covering([10.0, 95.0].into_iter(), false);
        assert_eq!((a.from, a.to), (0.0, 100.0));
        // Shares: decimals exact.
        let a = NiceAxis::covering([0.1, 0.3].into_iter(), false);
        assert_eq!(a.ticks, vec![0.0, 0.1, 0.2, 0.3]);
        assert_eq!(a.decimals, 1);
        // Differences straddle zero; a constant series gets some room.
        let a = NiceAxis::covering([-3.0, 1.0].into_iter(), true);
        assert!(a.from <= -3.0 && a.to >= 1.0 && a.ticks.contains(&0.0));
        let a = NiceAxis::covering([5.0, 5.0].into_iter(), false);
        assert!(a.from <= 5.0 && a.to > 5.0);
        let a = NiceAxis::covering(std::iter::empty(), false);
        assert_eq!((a.from, a.to), (0.0, 1.0));
    }

    #[test]
    fn labels_and_values_read_plainly() {
        assert_eq!(format_tick(120_000.0, 0), "120,000");
        assert_eq!(format_tick(2000.0, 0), "2000");
        assert_eq!(format_tick(0.25, 2), "0.25");
        assert_eq!(format_tick(-0.0, 1), "0.0");
        assert_eq!(format_value(1_234_567.4, false), "1,234,567");
        assert_eq!(format_value(-12_345.0, false), "-12,345");
        assert_eq!(format_value(12.34, false), "12.3");
        assert_eq!(format_value(0.1234, true), "0.123");
        assert_eq!(format_value(f64::NAN, false), "-");
    }

    #[test]
    fn simulated_chart_spans_simulated_and_published_years() {
        let c = Chart::simulated(
            "c0",
            "a.count",
            "cases",
            &[2001, 2002],
            &[10.0, f64::NAN],
            &[8.0, f64::NAN],
            &[12.0, f64::NAN],
            &[(2000, 9.0), (2002, 11.0)],
        );
        assert_eq!(c.years, vec![2000, 2001, 2002]);
        assert_eq!(c.lines[0].values, vec![None, Some(10.0), None]);
        assert_eq!(c.bands[0].lo, vec![None, Some(8.0), None]);
        assert_eq!(c.points[0].values, vec![Some(9.0), None, Some(11.0)]);
        assert_eq!(c.x_ticks, vec![2000, 2001, 2002]);
        assert!(c.y_range[0] <= 8.0 && c.y_range[1] >= 12.0);
        assert!(c.has_values());
    }

    #[test]
    fn difference_chart_is_a_fan_around_zero() {
        let c = Chart::difference(
            "d0",
            "trial.acquitted",
            "cases",
            &[2015, 2016],
            &[100.0, 110.0],
            &[130.0, 150.0],
            &[30.0, 40.0],
            &[20.0, 25.0],
            &[40.0, 55.0],
            "90% interval",
        );
        assert_eq!(c.unit, "difference in cases");
        assert_eq!(c.bands[0].hi, vec![Some(40.0), Some(55.0)]);
        let shown: Vec<&str> = c.lines.iter().filter(|l| l.shown).map(|l| l.label.as_str()).collect();
        assert_eq!(shown, vec!["no difference", "mean difference"]);
        // Zero is on the axis even though every difference is positive; hidden means are not.
        assert_eq!(c.y_range[0], 0.0);
        assert!(c.y_range[1] >= 55.0 && c.y_range[1] < 100.0);
    }
}
