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

use std::fmt;
use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::shapley::Coalition;
use crate::scenario::edit::{entry_ranges, from_date, splice};

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
    pub fn variant(&self, coalition: Coalition) -> String {
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
        assert_eq!(p.variant(super::super::shapley::all(n)), text);
        for s in 0..(1u64 << n) {
            let v = p.variant(s);
            scenario::load_str(&v, "variant").unwrap_or_else(|e| panic!("coalition {s:b}: {e}\n{v}"));
        }
    }

    #[test]
    fn from_must_precede_to() {
        assert!(Players::find(&tiny(), 2012, 2012).is_err());
    }
}
