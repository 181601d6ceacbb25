//! Question scenarios: a scenario that names a `base` scenario and adds only the dated entries
//! that pose a "what if" (`scenarios/questions/*.toml`).
//!
//! ```toml
//! base = "../kazakhstan.toml"          # relative to this file
//! name = "no-stability-indicator"
//! description = "What if judges were not scored on reversals?"
//!
//! [[incentives]]
//! from = 2009-01-01
//! trial_judge = { reversals = 0.0 }
//! monitoring = false
//! ```
//!
//! Everything not named comes from the base. A dated entry of the question (`[[rules]]`,
//! `[[incentives]]`, `[[staff_change]]`) *pins* the keys it names from its date on: they keep
//! the question's values even where a later entry of the base changes them (a base entry of 2013
//! that raises a weight the question set to zero leaves it at zero), while keys the question
//! does not name follow the base's own timeline. This is what an analyst means by "what if, from
//! 2012, procurators had stayed on the old indicator". `[[campaign]]` and `[[amnesty]]` entries are
//! added to the base's; `[[inflow_scale]]` multiplies the base's inflow over a span of years ("registered
//! crime +50% from 2013").
//!
//! The scenario's `source_text` is the question's text followed by its base's, so its SHA-256
//! (in every output's provenance) covers both files.

use std::path::{Path, PathBuf};

use toml::de::DeTable;

use super::diagnostic::ScenarioError;
use super::load::{
    load_path_at_depth, non_empty, read_amnesties, read_campaigns, read_incentives, read_rules, read_staff,
    string_or_report,
};
use super::toml_walk::{Base, Ctx, Date, Lookup, Need, Num, Table, fmt_num};
use super::types::{Calendar, Dated, Scenario};

/// How deep bases may nest (a question on a question); beyond it a cycle is the likely cause.
pub(super) const MAX_BASE_DEPTH: usize = 4;

/// Separates the question's text from its base's in `Scenario::source_text`.
const BASE_TEXT_MARK: &str = "\n# ---- base scenario";

/// The base file named by `base`, relative to the directory of the question file.
fn resolve(question_label: &str, base: &str) -> PathBuf {
    let base = Path::new(base);
    if base.is_absolute() {
        return base.to_path_buf();
    }
    Path::new(question_label).parent().map_or_else(|| base.to_path_buf(), |dir| dir.join(base))
}

/// Loads the base named by the document's `base` key. `Err` carries the diagnostics to return:
/// the question's own (a bad `base` value) or the base file's.
pub(super) fn load_base(
    cx: &Ctx<'_>,
    doc: &toml::Spanned<DeTable<'_>>,
    file_label: &str,
    depth: usize,
) -> Result<Scenario, Option<ScenarioError>> {
    let root = doc.get_ref();
    let Some(value) = root.get("base") else { return Err(None) };
    let at = value.span().start;
    let Some(name) = string_or_report(cx, value, "base") else { return Err(None) };
    if depth >= MAX_BASE_DEPTH {
        cx.error(at, "base", format!("bases nest more than {MAX_BASE_DEPTH} deep: is there a cycle?"));
        return Err(None);
    }
    let path = resolve(file_label, &name);
    load_path_at_depth(&path, depth + 1).map_err(|e| {
        // Say where the base was named; the base's own problems follow.
        cx.error(at, "base", format!("the base scenario `{}` does not load (its errors follow)", path.display()));
        Some(e)
    })
}

/// Reads a question scenario over its loaded `base`.
pub(super) fn read_question(
    cx: &Ctx<'_>,
    doc: &toml::Spanned<DeTable<'_>>,
    text: &str,
    file_label: &str,
    base: Scenario,
) -> Option<Scenario> {
    let mut root = Table::root(cx, doc);
    // Already read by `load_base`; marked as known here.
    let _ = root.value("base");
    let name = root.string("name", Need::Required);
    let name = non_empty(&root, "name", name);
    let description = root.string("description", Need::Or(base.description.clone()));
    let calendar = &base.calendar;
    let n_provinces = base.provinces.len();
    let scratch = Ctx::new(file_label, text);

    let rules = match root.array_of_tables("rules", false) {
        Lookup::Found(tables) => overlay(&scratch, tables, &base.rules, calendar, read_rules),
        Lookup::Absent => Some(base.rules.clone()),
        Lookup::Invalid => None,
    };
    let incentives = match root.array_of_tables("incentives", false) {
        Lookup::Found(tables) => overlay(&scratch, tables, &base.incentives, calendar, read_incentives),
        Lookup::Absent => Some(base.incentives.clone()),
        Lookup::Invalid => None,
    };
    let staffing = match root.array_of_tables("staff_change", false) {
        Lookup::Found(tables) => {
            overlay(&scratch, tables, &base.staffing, calendar, |t, b| read_staff(t, n_provinces, b))
        }
        Lookup::Absent => Some(base.staffing.clone()),
        Lookup::Invalid => None,
    };
    let kinds: Vec<String> = base.crime.kinds.iter().map(|k| k.name.clone()).collect();
    let campaigns = match root.array_of_tables("campaign", false) {
        Lookup::Found(tables) => read_campaigns(tables, Some(calendar), Some(&kinds)).map(|extra| {
            let mut all = base.campaigns.clone();
            all.extend(extra);
            all
        }),
        Lookup::Absent => Some(base.campaigns.clone()),
        Lookup::Invalid => None,
    };
    let amnesties = match root.array_of_tables("amnesty", false) {
        Lookup::Found(tables) => read_amnesties(tables, Some(calendar)).map(|extra| {
            let mut all = base.amnesties.clone();
            all.extend(extra);
            // Stable: an act of the base comes before one of the question on the same day.
            all.sort_by_key(|a| a.day);
            all
        }),
        Lookup::Absent => Some(base.amnesties.clone()),
        Lookup::Invalid => None,
    };
    let inflow = match root.array_of_tables("inflow_scale", false) {
        Lookup::Found(tables) => scale_inflow(tables, &base),
        Lookup::Absent => Some(base.inflow.clone()),
        Lookup::Invalid => None,
    };
    drop(root);

    let source_text =
        format!("{text}{BASE_TEXT_MARK} ({}), as read with this question ----\n{}", base.source_path, base.source_text);
    Some(Scenario {
        name: name?,
        description: description?,
        source_path: file_label.to_string(),
        source_text,
        rules: rules?,
        incentives: incentives?,
        staffing: staffing?,
        campaigns: campaigns?,
        amnesties: amnesties?,
        inflow: inflow?,
        ..base
    })
}

/// One dated entry of the question, read once in the file's context.
struct Override<'a, 't> {
    table: Table<'a, 't>,
    from_day: u32,
    label: String,
    note: String,
}

/// The base's dated entries with the question's entries pinned over them (module comment):
/// a regime starts at every date of either list; its value is the base's regime in force then,
/// with every question entry dated on or before it applied in file order.
fn overlay<'a, 't, T: Clone>(
    scratch: &Ctx<'t>,
    tables: Vec<Table<'a, 't>>,
    base: &[Dated<T>],
    calendar: &Calendar,
    read: impl Fn(&mut Table<'_, 't>, Base<'_, T>) -> Option<T>,
) -> Option<Vec<Dated<T>>> {
    let mut overrides: Vec<Override<'a, 't>> = Vec::with_capacity(tables.len());
    let mut valid = true;
    let mut last: Option<Date> = None;
    for mut t in tables {
        let from = t.date("from", Need::Required);
        let note = t.string("note", Need::Or(String::new()));
        let day = from.and_then(|date| {
            if let Some(prev) = last
                && date < prev
            {
                t.error(
                    t.pos("from"),
                    "from",
                    format!("{date} comes before the entry above ({prev}): dates must not decrease"),
                );
                return None;
            }
            last = Some(date);
            let day = calendar.day_of_date(date.year, date.month, date.day);
            if day.is_none() {
                t.error(
                    t.pos("from"),
                    "from",
                    format!("{date} is after the simulated range, which ends {}-12-31", calendar.last_year),
                );
            }
            day
        });
        // Check the entry's own keys once, here, over the base's regime in force on its date;
        // only this reading reports.
        let regime = in_force_at(base, day.unwrap_or(0));
        let checked = read(&mut t, Base::Patch(regime)).is_some();
        match (from, day, note) {
            (Some(date), Some(from_day), Some(note)) if checked => {
                overrides.push(Override { table: t, from_day, label: date.to_string(), note })
            }
            _ => valid = false,
        }
    }
    if !valid {
        return None;
    }
    let mut days: Vec<u32> = base.iter().map(|e| e.from_day).chain(overrides.iter().map(|o| o.from_day)).collect();
    days.sort_unstable();
    days.dedup();
    let mut out = Vec::with_capacity(days.len());
    for day in days {
        let base_entry = &base[base.partition_point(|e| e.from_day <= day) - 1];
        let mut value = base_entry.value.clone();
        let mut notes = Vec::new();
        if base_entry.from_day == day && !base_entry.note.is_empty() {
            notes.push(base_entry.note.clone());
        }
        let mut label = base_entry.from_label.clone();
        for o in overrides.iter().filter(|o| o.from_day <= day) {
            let mut again = o.table.reopen(scratch);
            value = read(&mut again, Base::Patch(&value))?;
            if o.from_day == day {
                label = o.label.clone();
                if !o.note.is_empty() {
                    notes.push(o.note.clone());
                }
            }
        }
        if base_entry.from_day != day && notes.is_empty() {
            notes.push("(question entry in force)".to_string());
        }
        out.push(Dated { from_day: day, from_label: label, note: notes.join("; "), value });
    }
    Some(out)
}

fn in_force_at<T>(entries: &[Dated<T>], day: u32) -> &T {
    &entries[entries.partition_point(|e| e.from_day <= day).max(1) - 1].value
}

/// `[[inflow_scale]]`: `from` and `to` (years, `to` defaults to the last simulated year) and a
/// factor for each inflow (`registered_crimes`, `private_complaints`, `misdemeanours`, default
/// 1), applied to the base's inflow of those years and rounded to whole cases.
fn scale_inflow(tables: Vec<Table<'_, '_>>, base: &Scenario) -> Option<Vec<super::types::YearInflow>> {
    let cal = &base.calendar;
    let mut inflow = base.inflow.clone();
    let mut valid = true;
    for mut t in tables {
        let from = t.year("from", Need::Required);
        let to = t.year("to", Need::Or(cal.last_year));
        let note = t.string("note", Need::Or(String::new()));
        let factors = [
            t.f64("registered_crimes", Num::NonNeg, Need::Or(1.0)),
            t.f64("private_complaints", Num::NonNeg, Need::Or(1.0)),
            t.f64("misdemeanours", Num::NonNeg, Need::Or(1.0)),
        ];
        let (Some(from), Some(to), Some(note), [Some(reg), Some(private), Some(misd)]) = (from, to, note, factors)
        else {
            valid = false;
            continue;
        };
        if from > to || from < cal.first_year || to > cal.last_year {
            t.error(
                t.pos("from"),
                "from",
                format!(
                    "the years {from}-{to} must be in order and within the simulated range {}-{}",
                    cal.first_year, cal.last_year
                ),
            );
            valid = false;
            continue;
        }
        // Each inflow scaled over the years, or the years where it outgrows a 32-bit count:
        // one error per factor at fault, at its key, naming those years.
        let scale = |n: u32, f: f64| -> Option<u32> {
            let x = (n as f64 * f).round();
            (x <= u32::MAX as f64).then_some(x as u32)
        };
        let factors = [("registered_crimes", reg), ("private_complaints", private), ("misdemeanours", misd)];
        let mut entry_valid = true;
        for (name, factor) in factors {
            let too_large: Vec<i32> = inflow
                .iter_mut()
                .filter(|y| (from..=to).contains(&y.year))
                .filter_map(|y| scale(*count_mut(y, name), factor).is_none().then_some(y.year))
                .collect();
            if !too_large.is_empty() {
                // The factor as written (a factor that large is always written: the default is 1).
                let written = t.value(name).map_or_else(|| fmt_num(factor), |v| t.cx().source_of(v).to_string());
                t.error(
                    t.pos(name),
                    name,
                    format!(
                        "the scaled inflow of {} is too large: the base's counts times {written} exceed {} a year",
                        year_list(&too_large),
                        u32::MAX
                    ),
                );
                entry_valid = false;
            }
        }
        if !entry_valid {
            valid = false;
            continue;
        }
        for y in inflow.iter_mut().filter(|y| (from..=to).contains(&y.year)) {
            for (name, factor) in factors {
                let n = count_mut(y, name);
                // Checked above: every scaled count fits.
                *n = scale(*n, factor).unwrap_or(u32::MAX);
            }
            y.assumption = true;
            let what = if note.is_empty() { "question's inflow scale".to_string() } else { note.clone() };
            y.source = format!("{} (scaled: {what})", y.source);
        }
    }
    valid.then_some(inflow)
}

/// The count of a year's inflow that the `[[inflow_scale]]` factor `name` scales.
fn count_mut<'y>(y: &'y mut super::types::YearInflow, name: &str) -> &'y mut u32 {
    match name {
        "registered_crimes" => &mut y.registered_crimes,
        "private_complaints" => &mut y.private_complaints,
        _ => &mut y.misdemeanours,
    }
}

/// Years as a short list: `2013`, `2013-2018`, `2001, 2005-2006`.
fn year_list(years: &[i32]) -> String {
    let mut runs: Vec<(i32, i32)> = Vec::new();
    for &y in years {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == y => *last = y,
            _ => runs.push((y, y)),
        }
    }
    runs.iter().map(|&(a, b)| if a == b { a.to_string() } else { format!("{a}-{b}") }).collect::<Vec<_>>().join(", ")
}

/// The question's text without its base's, from a `source_text` (for tools that show it).
pub fn own_text(source_text: &str) -> &str {
    source_text.split(BASE_TEXT_MARK).next().unwrap_or(source_text)
}
