//! What a participant may change, and how a change becomes a scenario: the controls of the
//! workshop page (incentive weights and rules), their values in force in a year, and a
//! request turned into a question scenario (`base = ...` plus one dated `[[incentives]]` and
//! one `[[rules]]` entry from the chosen year's first day), loaded and validated by the
//! scenario loader like any scenario file.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::scenario::{self, DAYS_PER_YEAR, Eligibility, Incentives, Rules, Scenario};

/// Most seeds a participant may ask for (each is a run of the scaled scenario).
pub const MAX_SEEDS: u64 = 16;

/// How a control is shown and what it takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// A number on a slider from `min` to `max` in steps of `step` (the scenario loader still
    /// has the last word on what is valid).
    Number { min: f64, max: f64, step: f64 },
    /// On or off.
    Switch,
}

/// One control of the page.
#[derive(Clone, Copy, Debug)]
pub struct Control {
    /// `incentives.<key>` or `rules.<key>`, the key as in the scenario's dated entries.
    pub key: &'static str,
    pub label: &'static str,
    pub kind: Kind,
}

const fn number(key: &'static str, label: &'static str, min: f64, max: f64, step: f64) -> Control {
    Control { key, label, kind: Kind::Number { min, max, step } }
}

const fn switch(key: &'static str, label: &'static str) -> Control {
    Control { key, label, kind: Kind::Switch }
}

/// The controls, in the order the page shows them.
pub const CONTROLS: &[Control] = &[
    number("incentives.trial_judge.reversals", "judges: cost of a reversal (stability of sentences)", 0.0, 4.0, 0.1),
    switch("incentives.monitoring", "judges: monthly monitoring of reversals (3 = failing, 5 = dismissal)"),
    number("incentives.trial_judge.caseload", "judges: weight of their own caseload", 0.0, 3.0, 0.1),
    number("incentives.trial_judge.abscond_risk", "judges: cost of releasing one who may abscond", 0.0, 4.0, 0.1),
    number("incentives.procurator.convictions", "procurators: reward per conviction", 0.0, 3.0, 0.1),
    number("incentives.procurator.acquittals", "procurators: penalty per acquittal", 0.0, 6.0, 0.1),
    number(
        "incentives.procurator.nonrehab_closures",
        "procurators: reward per non-rehabilitative closure",
        0.0,
        3.0,
        0.1,
    ),
    number("incentives.procurator.exonerating_closures", "procurators: reward per exonerating closure", -2.0, 2.0, 0.1),
    number(
        "incentives.procurator.prison_target",
        "procurators: pressure to lower the prison population",
        0.0,
        3.0,
        0.1,
    ),
    number("incentives.investigator.clearance", "investigators: weight of the clearance rate", 0.0, 3.0, 0.1),
    number("incentives.investigator.sent_to_court", "investigators: reward per case sent to court", 0.0, 3.0, 0.1),
    number("incentives.appellate.procuracy_alignment", "appellate courts: pull towards the procuracy", 0.0, 3.0, 0.1),
    number("incentives.appellate.reversal_cost", "appellate courts: cost of reversing", 0.0, 3.0, 0.1),
    number(
        "rules.jury_jurisdiction.especially_grave",
        "share of especially grave charges a jury may hear",
        0.0,
        1.0,
        0.05,
    ),
    number("rules.jury_jurisdiction.grave", "share of grave charges a jury may hear", 0.0, 1.0, 0.05),
    switch(
        "rules.reconciliation",
        "release on reconciliation allowed (off: banned everywhere, before trial and at trial)",
    ),
    switch("rules.supplementary_investigation", "judges may return cases for supplementary investigation"),
    switch("rules.procurator_appeal_acquittals", "procurators may appeal acquittals"),
    switch("rules.police_confessions_admissible", "confessions made in police custody are admissible"),
    switch("rules.defence_independent", "an independent defence bar"),
];

/// What a participant sends: a year and the values that differ from those in force then.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantRequest {
    /// The changes apply from 1 January of this year.
    pub year: i32,
    /// Control key -> new value (a number or true/false).
    #[serde(default)]
    pub changes: BTreeMap<String, Value>,
    /// Seeds (runs) for the comparison: 1 to [`MAX_SEEDS`]; none: the server's default.
    #[serde(default)]
    pub seeds: Option<u64>,
}

/// A request that cannot become a scenario: said so a participant can fix it. `status` is the
/// HTTP status to answer with (400 malformed, 422 invalid).
#[derive(Clone, Debug, PartialEq)]
pub struct Invalid {
    pub status: u16,
    pub message: String,
}

fn invalid(message: impl Into<String>) -> Invalid {
    Invalid { status: 422, message: message.into() }
}

/// Index of the entry in force on `day` (entries sorted by `from_day`, the first at day 0).
fn in_force<T>(entries: &[scenario::Dated<T>], day: u32) -> &T {
    let i = entries.iter().rposition(|e| e.from_day <= day).unwrap_or(0);
    &entries[i].value
}

/// The first day of `year` in the run's day numbers.
pub fn first_day(s: &Scenario, year: i32) -> u32 {
    (year - s.calendar.first_year).max(0) as u32 * DAYS_PER_YEAR
}

/// The value of control `key` in force in `year` (a number or a boolean).
pub fn value_in_force(s: &Scenario, year: i32, key: &str) -> Option<Value> {
    let day = first_day(s, year);
    let inc: &Incentives = in_force(&s.incentives, day);
    let rules: &Rules = in_force(&s.rules, day);
    let v = match key {
        "incentives.trial_judge.reversals" => json!(inc.trial_judge.reversals),
        "incentives.monitoring" => json!(inc.monitoring.is_some()),
        "incentives.trial_judge.caseload" => json!(inc.trial_judge.caseload),
        "incentives.trial_judge.abscond_risk" => json!(inc.trial_judge.abscond_risk),
        "incentives.procurator.convictions" => json!(inc.procurator.convictions),
        "incentives.procurator.acquittals" => json!(inc.procurator.acquittals),
        "incentives.procurator.nonrehab_closures" => json!(inc.procurator.nonrehab_closures),
        "incentives.procurator.exonerating_closures" => json!(inc.procurator.exonerating_closures),
        "incentives.procurator.prison_target" => json!(inc.procurator.prison_target),
        "incentives.investigator.clearance" => json!(inc.investigator.clearance),
        "incentives.investigator.sent_to_court" => json!(inc.investigator.sent_to_court),
        "incentives.appellate.procuracy_alignment" => json!(inc.appellate.procuracy_alignment),
        "incentives.appellate.reversal_cost" => json!(inc.appellate.reversal_cost),
        "rules.jury_jurisdiction.especially_grave" => json!(rules.jury_jurisdiction[3]),
        "rules.jury_jurisdiction.grave" => json!(rules.jury_jurisdiction[2]),
        "rules.reconciliation" => {
            let r = &rules.reconciliation;
            let any = [r.minor, r.medium_first, r.medium_repeat, r.grave_juvenile_first]
                .iter()
                .any(|e| *e != Eligibility::Banned);
            json!(any || r.pretrial)
        }
        "rules.supplementary_investigation" => json!(rules.supplementary_investigation),
        "rules.procurator_appeal_acquittals" => json!(rules.procurator_appeal_acquittals),
        "rules.police_confessions_admissible" => json!(rules.police_confessions_admissible),
        "rules.defence_independent" => json!(rules.defence_independent),
        _ => return None,
    };
    Some(v)
}

/// The controls with their values in force in every reported year, for the page.
pub fn controls_json(s: &Scenario) -> Value {
    let years: Vec<i32> = (s.calendar.first_reported_year..=s.calendar.last_year).collect();
    let controls: Vec<Value> = CONTROLS
        .iter()
        .map(|c| {
            let values: Vec<Value> =
                years.iter().map(|&y| value_in_force(s, y, c.key).unwrap_or(Value::Null)).collect();
            let kind = match c.kind {
                Kind::Number { min, max, step } => json!({"type": "number", "min": min, "max": max, "step": step}),
                Kind::Switch => json!({"type": "switch"}),
            };
            json!({"key": c.key, "label": c.label, "kind": kind, "values": values})
        })
        .collect();
    json!({"years": years, "controls": controls})
}

fn toml_number(x: f64) -> String {
    let s = format!("{x}");
    if s.contains(['.', 'e', 'E']) || s.contains("inf") || s.contains("NaN") { s } else { format!("{s}.0") }
}

/// The question scenario's text for `request` on the base at `base_path` (absolute), with the
/// seeds it asks for. Checks the request's shape (known keys, value types, the year, seeds);
/// the values themselves are for the loader to judge.
pub fn question_text(
    base: &Scenario,
    base_path: &Path,
    request: &VariantRequest,
    default_seeds: u64,
) -> Result<(String, u64), Invalid> {
    let (first, last) = (base.calendar.first_reported_year, base.calendar.last_year);
    if request.year < first || request.year > last {
        return Err(invalid(format!("the year must be from {first} to {last}, not {}", request.year)));
    }
    let seeds = request.seeds.unwrap_or(default_seeds);
    if seeds == 0 || seeds > MAX_SEEDS {
        return Err(invalid(format!("seeds must be from 1 to {MAX_SEEDS}, not {seeds}")));
    }
    if request.changes.len() > CONTROLS.len() {
        return Err(invalid(format!("at most {} changes, one per control", CONTROLS.len())));
    }
    // Section ("incentives"/"rules") -> top key -> (sub key or "" -> TOML value).
    let mut sections: BTreeMap<&str, BTreeMap<String, BTreeMap<String, String>>> = BTreeMap::new();
    for (key, value) in &request.changes {
        let Some(control) = CONTROLS.iter().find(|c| c.key == key) else {
            let names: Vec<&str> = CONTROLS.iter().map(|c| c.key).collect();
            let hint = scenario::closest(key, &names).map(|c| format!(" (did you mean \"{c}\"?)")).unwrap_or_default();
            let shown: String = key.chars().take(80).collect();
            return Err(invalid(format!("unknown control \"{shown}\"{hint}; the controls are: {}", names.join(", "))));
        };
        let text = match (control.kind, value) {
            (Kind::Number { .. }, Value::Number(n)) => match n.as_f64() {
                Some(x) if x.is_finite() => toml_number(x),
                _ => return Err(invalid(format!("{key}: expected a finite number, found {n}"))),
            },
            (Kind::Switch, Value::Bool(b)) => b.to_string(),
            (Kind::Number { .. }, other) => return Err(invalid(format!("{key}: expected a number, found {other}"))),
            (Kind::Switch, other) => return Err(invalid(format!("{key}: expected true or false, found {other}"))),
        };
        let mut parts = key.splitn(3, '.');
        let (section, top, sub) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        sections.entry(section).or_default().entry(top.to_string()).or_default().insert(sub.to_string(), text);
    }

    let date = format!("{}-01-01", request.year);
    let mut out = String::new();
    out.push_str("# A workshop participant's change, as a question scenario on the workshop's baseline.\n");
    out.push_str(&format!(
        "base = \"{}\"\n",
        base_path.display().to_string().replace('\\', "\\\\").replace('"', "\\\"")
    ));
    out.push_str("name = \"workshop-variant\"\n");
    out.push_str(&format!("description = \"Workshop variant: changes from {date}\"\n"));
    let day = first_day(base, request.year);
    let rules_now: &Rules = in_force(&base.rules, day);
    for (section, tops) in &sections {
        out.push_str(&format!("\n[[{section}]]\nfrom = {date}\nnote = \"workshop participant's change\"\n"));
        for (top, subs) in tops {
            match (*section, top.as_str()) {
                ("incentives", "monitoring") => {
                    let on = subs.get("").is_some_and(|v| v == "true");
                    if on {
                        out.push_str("monitoring = { failing_at = 3, dismissed_at = 5 }\n");
                    } else {
                        out.push_str("monitoring = false\n");
                    }
                }
                ("rules", "reconciliation") => {
                    // On: as the base has it (nothing to pin); off: banned everywhere.
                    if subs.get("").is_some_and(|v| v == "false") {
                        out.push_str(
                            "reconciliation = { minor = \"banned\", medium_first = \"banned\", medium_repeat = \"banned\", \
                             grave_juvenile_first = \"banned\", public_harm_repentance = false, pretrial = false }\n",
                        );
                    }
                }
                ("rules", "jury_jurisdiction") => {
                    // A per-gravity table gives all four classes: the others as in force.
                    let names = ["minor", "medium", "grave", "especially_grave"];
                    let cells: Vec<String> = names
                        .iter()
                        .enumerate()
                        .map(|(i, n)| {
                            let v =
                                subs.get(*n).cloned().unwrap_or_else(|| toml_number(rules_now.jury_jurisdiction[i]));
                            format!("{n} = {v}")
                        })
                        .collect();
                    out.push_str(&format!("jury_jurisdiction = {{ {} }}\n", cells.join(", ")));
                }
                (_, top) => {
                    if let Some(v) = subs.get("") {
                        out.push_str(&format!("{top} = {v}\n"));
                    } else {
                        let cells: Vec<String> = subs.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                        out.push_str(&format!("{top} = {{ {} }}\n", cells.join(", ")));
                    }
                }
            }
        }
    }
    Ok((out, seeds))
}

/// Loads the question text as the loader loads any scenario; its message on failure.
pub fn load_variant(text: &str) -> Result<Scenario, Invalid> {
    scenario::load_str(text, "workshop-variant.toml").map_err(|e| {
        invalid(format!("the scenario loader rejected this change:\n{e}\n\nthe change as a question scenario:\n{text}"))
    })
}

/// The scenario scaled down: inflow and staff multiplied by `scale` (at least one official of
/// each kind per province, as staffing always gives). Counts come out about `scale` times
/// the full run's, shares about the same.
pub fn scaled(s: &Scenario, scale: f64) -> Scenario {
    let mut s = s.clone();
    if scale == 1.0 {
        return s;
    }
    let f = |n: u32| ((n as f64 * scale).round() as u32).max(1);
    for y in &mut s.inflow {
        y.registered_crimes = f(y.registered_crimes);
        y.private_complaints = f(y.private_complaints);
        y.misdemeanours = (y.misdemeanours as f64 * scale).round() as u32;
    }
    for st in &mut s.staffing {
        let v = &mut st.value;
        v.investigators = f(v.investigators);
        v.procurators = f(v.procurators);
        v.trial_judges = f(v.trial_judges);
        v.appellate_judges = f(v.appellate_judges);
        v.defence_lawyers = f(v.defence_lawyers);
    }
    s
}
