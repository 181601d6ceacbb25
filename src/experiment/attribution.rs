//! Attribution of change between two years to the dated changes that took effect in between
//! (`caseflow attribute`): the players of a Shapley decomposition, and the scenario variant in
//! which only a given coalition of them is applied.
//!
//! The players for a change from year FROM to year TO:
//! - every `[[rules]]`, `[[incentives]]` and `[[staff_change]]` entry whose `from` date falls
//!   in (end of FROM, end of TO], i.e. from 1 January of FROM + 1 to 31 December of TO;
//!   off: the entry is removed from the scenario (later entries still patch what they name);
//! - every `[[campaign]]` active (its `from`-`to` span meets the year) in TO but not in FROM;
//!   off: removed;
//! - every campaign active in FROM but not in TO (it ended); off: its `to` is moved to the
//!   end of TO, so that it goes on through TO;
//! - "inflow": the year's inputs, when TO's `[[inflow]]` counts (registered crimes, private
//!   complaints, misdemeanours) differ from FROM's; off: TO's counts are set to FROM's.
//!
//! `v(S)` is a series' value in year TO (mean over the runs) with only the players in S on.
//! `v(all)` is the scenario itself, `v(none)` the scenario with nothing new in TO; the
//! contributions add up to `v(all) - v(none)`. The change observed in the scenario is
//! `value(TO) - value(FROM)` of the scenario itself; what the players do not explain,
//! `observed - (v(all) - v(none)) = v(none) - value(FROM)`, is the passage of time with nothing
//! changed (stocks filling, agents learning, the lagged effects of earlier changes), Bargain's
//! "all other effects".

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use toml::de::{DeTable, DeValue};

use super::shapley::{self, Coalition, Plan, shapley};
use super::stats::mean_sd;
use crate::batch::{Batch, Runner, Series};
use crate::record::series_defs;
use crate::scenario::edit::{entry_ranges, from_date, splice};
use crate::scenario::{self, Scenario};

/// What switching a player off does to the scenario text.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Off {
    /// Remove this byte range (a whole dated entry).
    Remove(Range<usize>),
    /// Replace these byte ranges by these texts (a campaign's `to`, an inflow's counts; an
    /// empty range inserts).
    Replace(Vec<(Range<usize>, String)>),
}

/// One player: a dated change, or the inflow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Player {
    /// Short name, e.g. `rules 2013-07-01`, `campaign "drug cases" ends`, `inflow`.
    pub name: String,
    /// The entry's `note`, or what the player stands for.
    pub note: String,
    off: Off,
}

/// The players of a change and the scenario they act on.
#[derive(Clone, Debug)]
pub struct Players {
    pub from: i32,
    pub to: i32,
    pub players: Vec<Player>,
    text: String,
}

/// Why the players cannot be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayersError(pub String);

impl fmt::Display for PlayersError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PlayersError {}

/// The dated arrays whose entries are players.
pub const DATED: [&str; 3] = ["rules", "incentives", "staff_change"];

fn year_of(date: &str) -> Option<i32> {
    date.get(..4)?.parse().ok()
}

fn string_of(t: &DeTable<'_>, key: &str) -> String {
    match t.get(key).map(|v| v.get_ref()) {
        Some(DeValue::String(s)) => s.to_string(),
        _ => String::new(),
    }
}

fn int_of(t: &DeTable<'_>, key: &str) -> Option<i64> {
    match t.get(key)?.get_ref() {
        DeValue::Integer(n) => i64::from_str_radix(n.as_str(), n.radix()).ok(),
        _ => None,
    }
}

impl Players {
    /// Finds the players of the change from `from` to `to` in the scenario `text` (which must
    /// load: the caller loads it first).
    ///
    /// # Errors
    /// When `from` is not before `to`, or the text is not TOML or holds its dated entries in a
    /// form that cannot be removed entry by entry.
    pub fn find(text: &str, from: i32, to: i32) -> Result<Players, PlayersError> {
        if from >= to {
            return Err(PlayersError(format!("--from ({from}) must be a year before --to ({to})")));
        }
        let doc =
            DeTable::parse(text).map_err(|e| PlayersError(format!("cannot read the scenario: {}", e.message())))?;
        let root = doc.get_ref();
        let mut players = Vec::new();
        for array in DATED {
            let ranges = entry_ranges(text, root, array).map_err(PlayersError)?;
            let Some(DeValue::Array(items)) = root.get(array).map(|v| v.get_ref()) else { continue };
            for (item, range) in items.iter().zip(ranges) {
                let Some(date) = from_date(item) else { continue };
                let Some(year) = year_of(&date) else { continue };
                if year > from && year <= to {
                    let note = match item.get_ref() {
                        DeValue::Table(t) => string_of(t, "note"),
                        _ => String::new(),
                    };
                    players.push(Player { name: format!("{array} {date}"), note, off: Off::Remove(range) });
                }
            }
        }
        // Entries in date order whatever their kind, so the table reads as a chronology.
        players.sort_by(|a, b| {
            let date = |p: &Player| p.name.rsplit(' ').next().unwrap_or("").to_string();
            date(a).cmp(&date(b))
        });

        let ranges = entry_ranges(text, root, "campaign").map_err(PlayersError)?;
        if let Some(DeValue::Array(items)) = root.get("campaign").map(|v| v.get_ref()) {
            for (item, range) in items.iter().zip(ranges) {
                let DeValue::Table(t) = item.get_ref() else { continue };
                let date = |key: &str| match t.get(key).map(|v| v.get_ref()) {
                    Some(DeValue::Datetime(d)) => Some(d.to_string()),
                    _ => None,
                };
                let (Some(start), Some(end)) = (date("from"), date("to")) else { continue };
                let (Some(y0), Some(y1)) = (year_of(&start), year_of(&end)) else { continue };
                let active = |y: i32| y0 <= y && y <= y1;
                let name = string_of(t, "name");
                if active(to) && !active(from) {
                    players.push(Player {
                        name: format!("campaign \"{name}\""),
                        note: format!("campaign from {start} to {end}, active in {to} and not in {from}"),
                        off: Off::Remove(range),
                    });
                } else if active(from) && !active(to) {
                    // `to` is present (read above), so its span is there.
                    let span = t.get("to").map(|v| v.span()).unwrap_or(0..0);
                    players.push(Player {
                        name: format!("campaign \"{name}\" ends"),
                        note: format!("campaign from {start} to {end}, active in {from} and not in {to}; off: it goes on to {to}-12-31"),
                        off: Off::Replace(vec![(span, format!("{to}-12-31"))]),
                    });
                }
            }
        }

        if let Some(inflow) = inflow_player(text, root, from, to)? {
            players.push(inflow);
        }
        Ok(Players { from, to, players, text: text.to_string() })
    }

    /// The scenario text with only the players in `coalition` on (bit `i` = player `i`).
    ///
    /// # Errors
    /// When two players' edits overlap (each removes or rewrites its own entry, so a message
    /// for a bug).
    pub fn variant(&self, coalition: Coalition) -> Result<String, String> {
        let mut edits: Vec<(Range<usize>, String)> = Vec::new();
        for (i, p) in self.players.iter().enumerate() {
            if coalition & (1 << i) != 0 {
                continue;
            }
            match &p.off {
                Off::Remove(range) => edits.push((range.clone(), String::new())),
                Off::Replace(replacements) => edits.extend(replacements.iter().cloned()),
            }
        }
        splice(&self.text, &edits)
    }
}

/// The counts of an `[[inflow]]` entry that the inflow player moves, and their defaults when
/// absent.
const INFLOW_COUNTS: [(&str, i64); 3] = [("registered_crimes", -1), ("private_complaints", -1), ("misdemeanours", 0)];

/// The inflow player, when TO's counts differ from FROM's.
fn inflow_player(text: &str, root: &DeTable<'_>, from: i32, to: i32) -> Result<Option<Player>, PlayersError> {
    let Some(DeValue::Array(items)) = root.get("inflow").map(|v| v.get_ref()) else { return Ok(None) };
    let entry = |year: i32| {
        items.iter().find_map(|item| match item.get_ref() {
            DeValue::Table(t) if int_of(t, "year") == Some(i64::from(year)) => Some((item.span(), t)),
            _ => None,
        })
    };
    let (Some((_, from_t)), Some((to_header, to_t))) = (entry(from), entry(to)) else {
        return Err(PlayersError(format!("the scenario has no [[inflow]] entry for {from} or {to}")));
    };
    // After the `[[inflow]]` header line of TO: where a missing count is inserted.
    let insert_at = text[to_header.start..].find('\n').map_or(text.len(), |i| to_header.start + i + 1);
    let mut replacements = Vec::new();
    let mut differs = Vec::new();
    for (key, default) in INFLOW_COUNTS {
        let value_from = int_of(from_t, key).unwrap_or(default);
        let value_to = int_of(to_t, key).unwrap_or(default);
        if value_from == value_to {
            continue;
        }
        differs.push(format!("{key} {value_from} -> {value_to}"));
        match to_t.get(key) {
            Some(v) => replacements.push((v.span(), value_from.to_string())),
            None => replacements.push((insert_at..insert_at, format!("{key} = {value_from}\n"))),
        }
    }
    if replacements.is_empty() {
        return Ok(None);
    }
    Ok(Some(Player {
        name: "inflow".to_string(),
        note: format!("the year's inflow ({}); off: {to} gets {from}'s", differs.join(", ")),
        off: Off::Replace(replacements),
    }))
}

/// What an attribution runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttributionSpec {
    pub from: i32,
    pub to: i32,
    /// Series attributed (`None`: every series of the scenario).
    pub series: Option<Vec<String>>,
    pub master_seed: u64,
    /// Runs per coalition: indices `0..seeds`.
    pub seeds: u64,
    /// Beyond `shapley::MAX_EXACT` players: permutations sampled, and their seed.
    pub permutations: usize,
    pub permutation_seed: u64,
}

/// The attribution of one series' change.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesAttribution {
    pub series: String,
    pub unit: String,
    /// The scenario's value (mean over runs) in FROM and TO.
    pub from_value: f64,
    pub to_value: f64,
    /// `v(none)`: TO with no player on.
    pub none_value: f64,
    /// One per player, in player order.
    pub contributions: Vec<f64>,
    /// Standard errors (0 when exact).
    pub se: Vec<f64>,
    /// The largest pairwise interaction (exact only): players `i`, `j` and its size.
    pub interaction: Option<(usize, usize, f64)>,
}

impl SeriesAttribution {
    /// `to_value - from_value`.
    pub fn observed(&self) -> f64 {
        self.to_value - self.from_value
    }

    /// `v(all) - v(none)`: what the players change.
    pub fn total(&self) -> f64 {
        self.to_value - self.none_value
    }

    /// The observed change not due to the players (the passage of time).
    pub fn other_effects(&self) -> f64 {
        self.observed() - self.contributions.iter().sum::<f64>()
    }

    /// `|sum of contributions - total|`: zero up to rounding.
    pub fn efficiency_gap(&self) -> f64 {
        (self.contributions.iter().sum::<f64>() - self.total()).abs()
    }
}

/// A whole attribution.
#[derive(Clone, Debug)]
pub struct Attribution {
    pub players: Players,
    pub exact: bool,
    /// Coalitions run, and permutations sampled (0 when exact).
    pub coalitions: usize,
    pub permutations: usize,
    pub rows: Vec<SeriesAttribution>,
    pub complete: bool,
}

/// Why an attribution cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributionError {
    /// Bad input: years, series, a variant that does not load.
    Input(String),
    /// Interrupted before every coalition finished.
    Interrupted,
}

impl fmt::Display for AttributionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Input(m) => f.write_str(m),
            Self::Interrupted => f.write_str("interrupted before every coalition was run: nothing to attribute"),
        }
    }
}

impl std::error::Error for AttributionError {}

/// Progress: coalitions done out of all.
pub type OnCoalition<'a> = &'a mut dyn FnMut(usize, usize);

/// Shapley values of the dated changes between `spec.from` and `spec.to` for each series,
/// every coalition run on the same runs (common random numbers), each run cut at the end of TO.
///
/// # Errors
/// [`AttributionError::Input`] for years outside the scenario, unknown series, or a coalition
/// whose scenario does not load (all checked before anything runs);
/// [`AttributionError::Interrupted`] when stopped.
pub fn attribute(
    runner: &Runner,
    scenario: &Scenario,
    spec: &AttributionSpec,
    stop: &AtomicBool,
    progress: OnCoalition<'_>,
) -> Result<Attribution, AttributionError> {
    let cal = &scenario.calendar;
    for (name, year) in [("--from", spec.from), ("--to", spec.to)] {
        if !(cal.first_reported_year..=cal.last_year).contains(&year) {
            return Err(AttributionError::Input(format!(
                "{name} {year} is not a reported year of `{}` ({} to {})",
                scenario.name, cal.first_reported_year, cal.last_year
            )));
        }
    }
    let players = Players::find(&scenario.source_text, spec.from, spec.to).map_err(|e| AttributionError::Input(e.0))?;
    let n = players.players.len();
    let defs = series_defs(scenario);
    let all_names: Vec<String> = defs.iter().map(|d| d.name.clone()).collect();
    let wanted: Vec<String> = match &spec.series {
        None => all_names.clone(),
        Some(list) => {
            for name in list {
                if !all_names.contains(name) {
                    let names: Vec<&str> = all_names.iter().map(String::as_str).collect();
                    let hint = crate::scenario::closest(name, &names)
                        .map_or_else(String::new, |c| format!("; did you mean `{c}`?"));
                    return Err(AttributionError::Input(format!("the scenario has no series `{name}`{hint}")));
                }
            }
            all_names.iter().filter(|s| list.contains(s)).cloned().collect()
        }
    };
    if n > shapley::MAX_EXACT && spec.permutations == 0 {
        return Err(AttributionError::Input(format!(
            "{n} dated changes are more than {} to attribute exactly: --permutations must be at least 1",
            shapley::MAX_EXACT
        )));
    }
    let plan = Plan::new(n, spec.permutations, spec.permutation_seed);
    let coalitions = plan.coalitions();
    // Every variant loads, or nothing runs.
    for &c in &coalitions {
        let text = players.variant(c).map_err(AttributionError::Input)?;
        scenario::load_str(&text, &scenario.source_path).map_err(|e| {
            let off: Vec<&str> =
                (0..n).filter(|i| c & (1 << i) == 0).map(|i| players.players[i].name.as_str()).collect();
            AttributionError::Input(format!("the scenario without {} does not load:\n{e}", off.join(", ")))
        })?;
    }

    let to_index = (spec.to - cal.first_reported_year) as usize;
    let from_index = (spec.from - cal.first_reported_year) as usize;
    let batch = Batch::new(spec.master_seed, 0..spec.seeds)
        .series(Series::Only(wanted.iter().cloned().collect()))
        .until(Some(spec.to))
        .stop_on(stop);
    // values[c] = per series, the mean over runs in TO; and the full coalition's FROM values.
    let mut values: BTreeMap<Coalition, Vec<f64>> = BTreeMap::new();
    let mut from_values: Vec<f64> = Vec::new();
    let full = shapley::all(n);
    let chunk = (4 * runner.threads()).max(2);
    let mut interrupted = false;
    for ids in coalitions.chunks(chunk) {
        if stop.load(Ordering::Relaxed) {
            interrupted = true;
            break;
        }
        let scenarios: Vec<Scenario> = ids
            .iter()
            .map(|&c| {
                players
                    .variant(c)
                    .and_then(|text| scenario::load_str(&text, &scenario.source_path).map_err(|e| e.to_string()))
            })
            .collect::<Result<_, _>>()
            .map_err(AttributionError::Input)?;
        let refs: Vec<&Scenario> = scenarios.iter().collect();
        runner.run_each(&refs, &batch, |k, runs| {
            if !runs.complete {
                interrupted = true;
                return;
            }
            let n_years = runs.years.len();
            let at = |s: usize, y: usize| mean_sd(runs.runs.iter().map(|r| r.values[s * n_years + y])).0;
            values.insert(ids[k], (0..runs.series.len()).map(|s| at(s, to_index)).collect());
            if ids[k] == full {
                from_values = (0..runs.series.len()).map(|s| at(s, from_index)).collect();
            }
            progress(values.len(), coalitions.len());
        });
    }
    if interrupted || values.len() < coalitions.len() {
        return Err(AttributionError::Interrupted);
    }
    let rows = wanted
        .iter()
        .enumerate()
        .map(|(s, name)| {
            let v: BTreeMap<Coalition, f64> = values.iter().map(|(&c, vals)| (c, vals[s])).collect();
            let result = shapley(&plan, &v);
            let interaction = match plan {
                Plan::Exact { .. } if n >= 2 => shapley::interactions(n, &v)
                    .into_iter()
                    .filter(|x| x.2.is_finite())
                    .max_by(|a, b| a.2.abs().total_cmp(&b.2.abs())),
                _ => None,
            };
            SeriesAttribution {
                series: name.clone(),
                unit: defs.iter().find(|d| &d.name == name).map_or("", |d| d.unit).to_string(),
                from_value: from_values[s],
                to_value: v[&full],
                none_value: v[&0],
                contributions: result.phi,
                se: result.se,
                interaction,
            }
        })
        .collect();
    let (exact, permutations) = match &plan {
        Plan::Exact { .. } => (true, 0),
        Plan::Sampled { permutations, .. } => (false, permutations.len()),
    };
    Ok(Attribution { players, exact, coalitions: coalitions.len(), permutations, rows, complete: true })
}

impl Attribution {
    /// The text of `attribution.csv`: `series,player,contribution,share,se`, one line per
    /// player, then `(other effects)` (observed change minus the contributions), `(all
    /// players)` (v(all) - v(none)) and `(observed change FROM-TO)`; shares are of the
    /// observed change (NaN when it is zero).
    pub fn csv(&self) -> String {
        let mut rows: Vec<[String; 5]> = Vec::new();
        for r in &self.rows {
            let observed = r.observed();
            let share = |x: f64| if observed != 0.0 { x / observed } else { f64::NAN };
            let mut row = |player: String, x: f64, se: f64| {
                rows.push([r.series.clone(), player, x.to_string(), share(x).to_string(), se.to_string()]);
            };
            for (i, p) in self.players.players.iter().enumerate() {
                row(p.name.clone(), r.contributions[i], r.se[i]);
            }
            let se_sum = if self.exact { 0.0 } else { f64::NAN };
            row("(other effects)".into(), r.other_effects(), se_sum);
            row("(all players)".into(), r.total(), se_sum);
            row(format!("(observed change {}-{})", self.players.from, self.players.to), observed, 0.0);
        }
        crate::output::csv_text(&["series", "player", "contribution", "share", "se"], rows)
    }

    /// A terminal table for one series.
    pub fn table(&self, r: &SeriesAttribution) -> String {
        let (from, to) = (self.players.from, self.players.to);
        let fmt = |x: f64| if r.unit == "share" { format!("{x:+.4}") } else { format!("{x:+.1}") };
        let plain = |x: f64| if r.unit == "share" { format!("{x:.4}") } else { format!("{x:.1}") };
        let observed = r.observed();
        let pct = |x: f64| if observed != 0.0 { format!("{:>7.1}%", 100.0 * x / observed) } else { "       -".into() };
        let w = self.players.players.iter().map(|p| p.name.len()).max().unwrap_or(10).max(28);
        let mut out = format!(
            "{}: {} in {from}, {} in {to}: observed change {}\n",
            r.series,
            plain(r.from_value),
            plain(r.to_value),
            fmt(observed)
        );
        out.push_str(&format!(
            "  {:<w$}  {:>12}  {:>8}{}\n",
            "player",
            "contribution",
            "share",
            if self.exact { "" } else { "        se" }
        ));
        for (i, p) in self.players.players.iter().enumerate() {
            let se = if self.exact { String::new() } else { format!("  {:>8}", plain(r.se[i])) };
            out.push_str(&format!(
                "  {:<w$}  {:>12}  {}{se}\n",
                p.name,
                fmt(r.contributions[i]),
                pct(r.contributions[i])
            ));
        }
        out.push_str(&format!(
            "  {:<w$}  {:>12}  {}\n",
            "(other effects: time, stocks)",
            fmt(r.other_effects()),
            pct(r.other_effects())
        ));
        out.push_str(&format!(
            "  efficiency: contributions add up to {} = v(all) - v(none) = {} (gap {:.2e})\n",
            fmt(r.contributions.iter().sum()),
            fmt(r.total()),
            r.efficiency_gap()
        ));
        if let Some((i, j, x)) = r.interaction {
            out.push_str(&format!(
                "  largest pairwise interaction: {} x {}: {}\n",
                self.players.players[i].name,
                self.players.players[j].name,
                fmt(x)
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;

    fn tiny() -> String {
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny.toml")).unwrap()
    }

    #[test]
    fn players_of_the_tiny_fixture() {
        let text = tiny();
        let p = Players::find(&text, 2011, 2012).unwrap();
        let names: Vec<&str> = p.players.iter().map(|p| p.name.as_str()).collect();
        // The 2012 incentives entry; the drug campaign (2011 only) ends; the inflow changes.
        assert!(names.contains(&"incentives 2012-01-01"), "{names:?}");
        assert!(names.iter().any(|n| n.starts_with("campaign") && n.ends_with("ends")), "{names:?}");
        // Every variant loads, the full coalition is the scenario itself.
        let n = p.players.len();
        assert_eq!(p.variant(super::super::shapley::all(n)).unwrap(), text);
        for s in 0..(1u64 << n) {
            let v = p.variant(s).unwrap();
            scenario::load_str(&v, "variant").unwrap_or_else(|e| panic!("coalition {s:b}: {e}\n{v}"));
        }
    }

    #[test]
    fn from_must_precede_to() {
        assert!(Players::find(&tiny(), 2012, 2012).is_err());
    }
}
