//! Reading a scenario file into a validated [`Scenario`].
//!
//! The file is parsed with toml's spanned document parser, then walked section by section
//! (see `toml_walk`). Every problem is collected with its line, column and dotted key path, so
//! one run reports all of them; only a TOML syntax error stops the walk, because after one the
//! structure of the rest of the file is unknown.
//!
//! Format notes that are not evident from `types.rs`:
//! - `[[rules]]` and `[[incentives]]` are dated regimes. The first entry gives every key; each
//!   later entry gives only the keys that change (also inside sub-tables such as
//!   `reconciliation = { torture = false }`), and is stored merged with the one before. A
//!   per-gravity table (`{ minor, medium, grave, especially_grave }`) is always given whole.
//! - `monitoring = false` in a later `[[incentives]]` entry switches monitoring of judges off;
//!   leaving `monitoring` out of the first entry means no monitoring.
//! - dates are TOML local dates (`2008-08-30`) or strings holding one; a time of day is an error.
//! - array elements are numbered from 0 in key paths: `rules[0]` is the first `[[rules]]`.

use std::path::Path;

use toml::de::{DeTable, DeValue};

use super::diagnostic::{ScenarioError, closest};
use super::question;
use super::toml_walk::{Base, Ctx, Date, Lookup, Need, Num, Table, backticked, fmt_num, type_name};
use super::types::{
    Amnesty, AmnestyClause, AppealBehaviour, AppellateWeights, Behaviour, Calendar, Campaign, CrimeKind, CrimeMix,
    Dated, DetentionApprover, DetentionBehaviour, Eligibility, GRAVITIES, Gravity, Incentives, InvestigationBehaviour,
    InvestigatorWeights, JudgeWeights, LearningBehaviour, Monitoring, PrivateBehaviour, ProcuratorBehaviour,
    ProcuratorWeights, Province, ReconciliationRules, Rules, Scenario, SentencingBehaviour, Staff, TortureBehaviour,
    Traits, TrialBehaviour, YearInflow,
};

/// Shares that must add up to 1 may be off by this much (rounding in hand-written decimals).
const SHARE_TOLERANCE: f64 = 1e-6;

/// Reads and validates the scenario at `path`. `Scenario::source_path` is `path` as given.
pub fn load_path(path: &Path) -> Result<Scenario, ScenarioError> {
    load_path_at_depth(path, 0)
}

/// [`load_path`] for a file named as the `base` of a question scenario `depth` levels up.
pub(super) fn load_path_at_depth(path: &Path, depth: usize) -> Result<Scenario, ScenarioError> {
    let label = path.display().to_string();
    let fail = |message: String| ScenarioError::whole_file(&label, message);
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(fail("no such file".to_string()));
        }
        Err(e) => return Err(fail(format!("cannot read the file: {e}"))),
        Ok(meta) if meta.is_dir() => {
            return Err(fail("is a directory, expected a scenario file".to_string()));
        }
        Ok(meta) if !meta.is_file() => return Err(fail(super::diagnostic::NOT_A_REGULAR_FILE.to_string())),
        Ok(_) => {}
    }
    let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read the file: {e}")))?;
    if let Some((line, column, byte)) = super::diagnostic::first_bad_utf8(&bytes) {
        let mut e = fail(super::diagnostic::bad_utf8_message(byte));
        e.diagnostics[0].line = line;
        e.diagnostics[0].column = column;
        return Err(e);
    }
    let text = String::from_utf8(bytes).map_err(|_| fail("not a text file (it is not valid UTF-8)".to_string()))?;
    // A fitted.toml of a calibration that was not finished, or whose files changed since, is
    // refused: beside a newer state.toml it is not the fit it seems (a question's `base`
    // comes through here too).
    crate::calibrate::check_fit_file(path).map_err(fail)?;
    load_str_at_depth(&text, &label, depth)
}

/// Reads and validates a scenario from its text; `file_label` names it in diagnostics and
/// becomes `Scenario::source_path`. A question scenario's `base` is found relative to the
/// directory of `file_label`.
pub fn load_str(text: &str, file_label: &str) -> Result<Scenario, ScenarioError> {
    load_str_at_depth(text, file_label, 0)
}

fn load_str_at_depth(text: &str, file_label: &str, depth: usize) -> Result<Scenario, ScenarioError> {
    // TOML forbids NUL anyway, but a file with NULs is almost surely not a scenario at all, and
    // saying so is more useful than a syntax error at the first NUL.
    if text.contains('\0') {
        return Err(ScenarioError::whole_file(file_label, "not a text file (it contains NUL bytes)"));
    }
    if text.trim().is_empty() {
        return Err(ScenarioError::whole_file(file_label, "the file is empty"));
    }
    let cx = Ctx::new(file_label, text);
    let doc = match DeTable::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            // Only toml's first error: after it, the structure of the rest is a guess.
            let mut message = e.message().trim().replace('\n', "; ");
            let span = e.span().unwrap_or(0..0);
            // toml says "duplicate key" without naming it; its span covers the key.
            if message.starts_with("duplicate key")
                && let Some(name) = text.get(span.clone()).filter(|n| !n.is_empty())
            {
                message = format!("{message} `{name}` (a key or table may be defined only once)");
            }
            cx.error(span.start, "", format!("TOML syntax error: {message}"));
            return Err(ScenarioError { diagnostics: cx.into_diagnostics() });
        }
    };
    if doc.get_ref().is_empty() {
        return Err(ScenarioError::whole_file(file_label, "the file is empty (it holds only comments)"));
    }
    let scenario = if doc.get_ref().contains_key("base") {
        match question::load_base(&cx, &doc, file_label, depth) {
            Ok(base) => question::read_question(&cx, &doc, text, file_label, base),
            Err(Some(base_errors)) => {
                let mut diagnostics = cx.into_diagnostics();
                diagnostics.extend(base_errors.diagnostics);
                return Err(ScenarioError { diagnostics });
            }
            Err(None) => None,
        }
    } else {
        read_scenario(&cx, &doc, text, file_label)
    };
    let diagnostics = cx.into_diagnostics();
    match scenario {
        Some(scenario) if diagnostics.is_empty() => Ok(scenario),
        _ if !diagnostics.is_empty() => Err(ScenarioError { diagnostics }),
        // Every path that yields no scenario reports why; this guards the "never empty" promise
        // should a future reader forget to.
        _ => Err(ScenarioError::whole_file(
            file_label,
            "the scenario could not be read (internal error: no diagnostic was recorded)",
        )),
    }
}

/// Reads every listed field of a struct from table `$t` (the key is the field name), then
/// builds the struct if all were valid. All keys are read before any `?`, so every error in
/// the table is reported, not just the first, and no key is wrongly reported as unknown.
macro_rules! read_struct {
    ($t:ident, $ty:ident { $($field:ident: $method:ident($($arg:expr),* $(,)?)),* $(,)? }) => {{
        $(let $field = $t.$method(stringify!($field) $(, $arg)*);)*
        Some($ty { $($field: $field?),* })
    }};
}

fn found<T>(lookup: Lookup<T>) -> Option<T> {
    match lookup {
        Lookup::Found(value) => Some(value),
        Lookup::Absent | Lookup::Invalid => None,
    }
}

/// The top level: sections in the order of `Scenario`, cross-section checks where needed.
fn read_scenario(cx: &Ctx<'_>, doc: &toml::Spanned<DeTable<'_>>, text: &str, file_label: &str) -> Option<Scenario> {
    let mut root = Table::root(cx, doc);
    let name = root.string("name", Need::Required);
    let name = non_empty(&root, "name", name);
    let description = root.string("description", Need::Or(String::new()));
    let calendar = root.section("calendar", read_calendar);

    let province_tables = root.array_of_tables("province", true);
    let (province_at, province_key) = (root.pos("province"), root.key("province"));
    // Staff counts are checked against the number of provinces even when a province is invalid.
    let n_provinces = match &province_tables {
        Lookup::Found(tables) => tables.len(),
        Lookup::Absent | Lookup::Invalid => 0,
    };
    let provinces = found(province_tables).and_then(|t| read_provinces(cx, t, province_at, &province_key));
    let staff = root.section("staff", |t| read_staff(t, n_provinces, Base::First));
    let staff_change_tables = root.array_of_tables("staff_change", false);
    let staffing =
        found(staff_change_tables).and_then(|t| read_staff_changes(t, calendar.as_ref(), staff.as_ref(), n_provinces));
    let traits = root.section("traits", read_traits);
    // Campaigns name crime kinds; the names are kept even if another crime key is invalid, so
    // that a wrong campaign kind is reported in the same run.
    let mut kind_names = None;
    let crime = root.section("crime", |t| read_crime(t, &mut kind_names));

    let inflow_tables = root.array_of_tables("inflow", true);
    let (inflow_at, inflow_key) = (root.pos("inflow"), root.key("inflow"));
    let inflow = found(inflow_tables).and_then(|t| read_inflow(cx, t, calendar.as_ref(), inflow_at, &inflow_key));

    let rules_tables = root.array_of_tables("rules", true);
    let rules_at = root.pos("rules");
    let rules = found(rules_tables).and_then(|t| read_dated(cx, t, calendar.as_ref(), rules_at, "rules", read_rules));

    let incentive_tables = root.array_of_tables("incentives", true);
    let incentives_at = root.pos("incentives");
    let incentives = found(incentive_tables)
        .and_then(|t| read_dated(cx, t, calendar.as_ref(), incentives_at, "incentives", read_incentives));

    let campaign_tables = root.array_of_tables("campaign", false);
    let campaigns = found(campaign_tables).and_then(|t| read_campaigns(t, calendar.as_ref(), kind_names.as_deref()));
    let amnesty_tables = root.array_of_tables("amnesty", false);
    let amnesties = found(amnesty_tables).and_then(|t| read_amnesties(t, calendar.as_ref()));
    let behaviour = root.section("behaviour", read_behaviour);
    // Reports unknown top-level keys now, before the diagnostics are collected.
    drop(root);

    Some(Scenario {
        name: name?,
        description: description?,
        source_path: file_label.to_string(),
        source_text: text.to_string(),
        calendar: calendar?,
        provinces: provinces?,
        staffing: staffing?,
        traits: traits?,
        crime: crime?,
        inflow: inflow?,
        rules: rules?,
        incentives: incentives?,
        campaigns: campaigns?,
        amnesties: amnesties?,
        behaviour: behaviour?,
    })
}

/// Rejects an empty (or blank) string where a name is needed.
pub(super) fn non_empty(t: &Table<'_, '_>, name: &str, value: Option<String>) -> Option<String> {
    let value = value?;
    if value.trim().is_empty() {
        t.error(t.pos(name), name, "expected a non-empty string");
        return None;
    }
    Some(value)
}

/// Reports a set of shares that does not add up to 1.
fn check_sum(cx: &Ctx<'_>, at: usize, key: &str, what: &str, shares: &[f64]) -> bool {
    let sum: f64 = shares.iter().sum();
    let ok = (sum - 1.0).abs() <= SHARE_TOLERANCE;
    if !ok {
        cx.error(at, key, format!("{what} sum to {}, expected 1 (within {SHARE_TOLERANCE:e})", fmt_num(sum)));
    }
    ok
}

/// Reports a name used twice in an array of tables; `seen` holds (name, line) of earlier ones.
fn check_unique(t: &Table<'_, '_>, what: &str, name: &str, seen: &mut Vec<(String, usize)>) -> bool {
    if let Some((_, line)) = seen.iter().find(|(n, _)| n == name) {
        t.error(t.pos("name"), "name", format!("duplicate {what} `{name}` (first defined on line {line})"));
        return false;
    }
    let (line, _) = t.cx().line_col(t.pos("name"));
    seen.push((name.to_string(), line));
    true
}

fn read_calendar(t: &mut Table<'_, '_>) -> Option<Calendar> {
    let first = t.year("first_year", Need::Required);
    let reported = t.year("first_reported_year", Need::Required);
    let last = t.year("last_year", Need::Required);
    let (first, reported, last) = (first?, reported?, last?);
    if first > last {
        t.error(t.pos("last_year"), "last_year", format!("last_year ({last}) is before first_year ({first})"));
        return None;
    }
    // A case's identity holds the year index in 8 bits (see engine::draws::CaseId).
    if last - first >= 256 {
        t.error(t.pos("last_year"), "last_year", format!("the simulated span {first}-{last} is longer than 256 years"));
        return None;
    }
    if !(first..=last).contains(&reported) {
        t.error(
            t.pos("first_reported_year"),
            "first_reported_year",
            format!(
                "first_reported_year ({reported}) must lie between first_year ({first}) and \
                 last_year ({last})"
            ),
        );
        return None;
    }
    Some(Calendar { first_year: first, first_reported_year: reported, last_year: last })
}

/// One `[[province]]` as read, before the cross-province share checks.
struct ProvinceRead {
    name: Option<String>,
    population: Option<f64>,
    /// Whether `crime_share` is given, and its value if given and valid.
    crime_share: (bool, Option<f64>),
    staff_share: (bool, Option<f64>),
}

fn read_provinces(cx: &Ctx<'_>, tables: Vec<Table<'_, '_>>, at: usize, key: &str) -> Option<Vec<Province>> {
    if tables.is_empty() {
        cx.error(at, key, "expected at least one [[province]]");
        return None;
    }
    let mut seen = Vec::new();
    let mut read = Vec::with_capacity(tables.len());
    for mut t in tables {
        let name = t.string("name", Need::Required);
        let mut name = non_empty(&t, "name", name);
        if let Some(n) = &name
            && !check_unique(&t, "province", n, &mut seen)
        {
            name = None;
        }
        let population = t.f64("population", Num::Positive, Need::Required);
        let crime_share = (t.has("crime_share"), t.f64("crime_share", Num::Prob, Need::Optional));
        let staff_share = (t.has("staff_share"), t.f64("staff_share", Num::Prob, Need::Optional));
        let province = ProvinceRead { name, population, crime_share, staff_share };
        read.push((t, province));
    }
    let crime_shares = explicit_shares(cx, &read, at, key, "crime_share", |r| r.crime_share);
    let staff_shares = explicit_shares(cx, &read, at, key, "staff_share", |r| r.staff_share);
    let populations: Option<Vec<f64>> = read.iter().map(|(_, r)| r.population).collect();
    let names: Option<Vec<String>> = read.iter().map(|(_, r)| r.name.clone()).collect();
    let (Some(populations), Some(names), Ok(crime_shares), Ok(staff_shares)) =
        (populations, names, crime_shares, staff_shares)
    else {
        return None;
    };
    // Default shares follow population (all populations are > 0, so the total is too).
    let total: f64 = populations.iter().sum();
    let by_population: Vec<f64> = populations.iter().map(|p| p / total).collect();
    let crime_shares = crime_shares.unwrap_or_else(|| by_population.clone());
    let staff_shares = staff_shares.unwrap_or(by_population);
    let provinces = names
        .into_iter()
        .zip(populations)
        .zip(crime_shares.into_iter().zip(staff_shares))
        .map(|((name, population), (crime_share, staff_share))| Province { name, population, crime_share, staff_share })
        .collect();
    Some(provinces)
}

/// Explicit per-province shares: given by every province or by none, and then summing to 1.
/// `Ok(None)`: none given, use population shares. `Err`: reported (or a value was invalid).
fn explicit_shares(
    cx: &Ctx<'_>,
    read: &[(Table<'_, '_>, ProvinceRead)],
    at: usize,
    key: &str,
    field: &str,
    get: fn(&ProvinceRead) -> (bool, Option<f64>),
) -> Result<Option<Vec<f64>>, ()> {
    let Some(first) = read.iter().position(|(_, r)| get(r).0) else {
        return Ok(None);
    };
    let mut ok = true;
    let mut values = Vec::with_capacity(read.len());
    for (t, r) in read {
        match get(r) {
            (false, _) => {
                t.error(
                    t.at(),
                    field,
                    format!(
                        "missing `{field}`: {key}[{first}] gives one, so every province must (or \
                         none, to use population shares)"
                    ),
                );
                ok = false;
            }
            (true, None) => ok = false,
            (true, Some(v)) => values.push(v),
        }
    }
    let what = format!("the provinces' `{field}` values");
    if ok && check_sum(cx, at, key, &what, &values) { Ok(Some(values)) } else { Err(()) }
}

/// Reads `[staff]` (`base` First) or a `[[staff_change]]` over the staff before it (`base` Patch:
/// absent keys keep their count).
pub(super) fn read_staff(t: &mut Table<'_, '_>, n_provinces: usize, base: Base<'_, Staff>) -> Option<Staff> {
    // Each province needs at least one agent of each kind; the engine splits by staff share.
    let min = u32::try_from(n_provinces).unwrap_or(u32::MAX).max(1);
    let mut count = |name: &'static str, get: fn(&Staff) -> u32| {
        let n = t.u32(name, 0, u32::MAX, base.need(get))?;
        if n < min {
            let why =
                if n_provinces > 1 { format!("at least {min}, one per province") } else { format!("at least {min}") };
            t.error(t.pos(name), name, format!("expected {why}, found {n}"));
            return None;
        }
        Some(n)
    };
    let investigators = count("investigators", |s| s.investigators);
    let procurators = count("procurators", |s| s.procurators);
    let trial_judges = count("trial_judges", |s| s.trial_judges);
    let appellate_judges = count("appellate_judges", |s| s.appellate_judges);
    // Defence lawyers take cases nationally, so one is enough.
    let defence_lawyers = t.u32("defence_lawyers", 1, u32::MAX, base.need(|s| s.defence_lawyers));
    Some(Staff {
        investigators: investigators?,
        procurators: procurators?,
        trial_judges: trial_judges?,
        appellate_judges: appellate_judges?,
        defence_lawyers: defence_lawyers?,
    })
}

/// Reads the dated `[[staff_change]]` entries (optional) into the staff schedule: `[staff]` from
/// the start, then each change as a patch over the staff before it, dates strictly increasing
/// and after the start.
fn read_staff_changes(
    tables: Vec<Table<'_, '_>>,
    calendar: Option<&Calendar>,
    staff: Option<&Staff>,
    n_provinces: usize,
) -> Option<Vec<Dated<Staff>>> {
    let start = calendar.map(|c| Date { year: c.first_year, month: 1, day: 1 });
    let mut entries = Vec::with_capacity(tables.len() + 1);
    if let (Some(staff), Some(start)) = (staff, start) {
        entries.push(Dated {
            from_day: 0,
            from_label: start.to_string(),
            note: "[staff]".to_string(),
            value: staff.clone(),
        });
    }
    let mut valid = true;
    let mut previous = staff.cloned();
    // The last accepted date: the start of the simulation before the first change.
    let mut last_date: Option<(Date, String)> = start.map(|d| (d, "the start of the simulation".to_string()));
    for (i, mut t) in tables.into_iter().enumerate() {
        let base = match &previous {
            Some(value) => Base::Patch(value),
            None => Base::Orphan,
        };
        let from = t.date("from", Need::Required);
        let note = t.string("note", Need::Or(String::new()));
        let value = read_staff(&mut t, n_provinces, base);
        let from_day = from.and_then(|date| {
            let at = t.pos("from");
            if let Some((last, what)) = &last_date
                && date <= *last
            {
                let what = if i == 0 { what.clone() } else { format!("`{what}`") };
                t.error(
                    at,
                    "from",
                    format!(
                        "a staff change must come after {what} ({last}): dates must increase, and \
                         the staff at the start is `[staff]`"
                    ),
                );
                return None;
            }
            let calendar = calendar?;
            if date.year > calendar.last_year {
                t.error(
                    at,
                    "from",
                    format!("{date} is after the simulated range, which ends {}-12-31", calendar.last_year),
                );
                return None;
            }
            last_date = Some((date, t.key("from")));
            calendar.day_of_date(date.year, date.month, date.day)
        });
        previous = value.clone();
        match (from, from_day, note, value) {
            (Some(date), Some(from_day), Some(note), Some(value)) => {
                entries.push(Dated { from_day, from_label: date.to_string(), note, value })
            }
            _ => valid = false,
        }
    }
    (valid && staff.is_some() && calendar.is_some()).then_some(entries)
}

/// The most outside checks a decision can face: a bound that catches typos (a decision in the
/// shipped scenario faces at most two).
const MAX_CHECKS: u32 = 10;

fn read_traits(t: &mut Table<'_, '_>) -> Option<Traits> {
    read_struct!(
        t,
        Traits {
            investigator_diligence: beta(),
            investigator_venality: beta(),
            procurator_zeal: beta(),
            judge_independence: beta(),
            appellate_deference: beta(),
            local_tie_logit: f64(Num::NonNeg, Need::Required),
            outside_check_retention: f64(Num::Prob, Need::Required),
            checks_on_reconciliation: u32(0, MAX_CHECKS, Need::Required),
            checks_on_acquittal: u32(0, MAX_CHECKS, Need::Required),
            checks_on_detention: u32(0, MAX_CHECKS, Need::Required),
        }
    )
}

/// The crime section; `kind_names` receives the kinds' names when they all are valid.
fn read_crime(t: &mut Table<'_, '_>, kind_names: &mut Option<Vec<String>>) -> Option<CrimeMix> {
    let kind_tables = t.array_of_tables("kind", true);
    let (kinds_at, kinds_key) = (t.pos("kind"), t.key("kind"));
    let kinds = found(kind_tables).and_then(|k| read_kinds(t.cx(), k, kinds_at, &kinds_key, kind_names));
    let solvability = t.beta("solvability");
    let extra_defendants_mean = t.f64("extra_defendants_mean", Num::NonNeg, Need::Required);
    let extra_episodes_mean = t.f64("extra_episodes_mean", Num::NonNeg, Need::Required);
    let juvenile_share = t.f64("juvenile_share", Num::Prob, Need::Required);
    let first_offence_share = t.f64("first_offence_share", Num::Prob, Need::Required);
    let jobless_share = t.f64("jobless_share", Num::Prob, Need::Required);
    let means_log_mean_employed = t.f64("means_log_mean_employed", Num::Finite, Need::Required);
    let means_log_mean_jobless = t.f64("means_log_mean_jobless", Num::Finite, Need::Required);
    let means_log_sd = t.f64("means_log_sd", Num::Positive, Need::Required);
    let demand_log_mean = t.per_gravity("demand_log_mean", Num::Finite, Need::Required);
    let demand_log_sd = t.f64("demand_log_sd", Num::Positive, Need::Required);
    let evidence = t.beta("evidence");
    let private_extra_defendants_mean = t.f64("private_extra_defendants_mean", Num::NonNeg, Need::Required);
    Some(CrimeMix {
        kinds: kinds?,
        solvability: solvability?,
        extra_defendants_mean: extra_defendants_mean?,
        extra_episodes_mean: extra_episodes_mean?,
        juvenile_share: juvenile_share?,
        first_offence_share: first_offence_share?,
        jobless_share: jobless_share?,
        means_log_mean_employed: means_log_mean_employed?,
        means_log_mean_jobless: means_log_mean_jobless?,
        means_log_sd: means_log_sd?,
        demand_log_mean: demand_log_mean?,
        demand_log_sd: demand_log_sd?,
        evidence: evidence?,
        private_extra_defendants_mean: private_extra_defendants_mean?,
    })
}

fn read_kinds(
    cx: &Ctx<'_>,
    tables: Vec<Table<'_, '_>>,
    at: usize,
    key: &str,
    kind_names: &mut Option<Vec<String>>,
) -> Option<Vec<CrimeKind>> {
    if tables.is_empty() {
        cx.error(at, key, "expected at least one [[crime.kind]]");
        return None;
    }
    let mut names: Option<Vec<String>> = Some(Vec::with_capacity(tables.len()));
    let mut seen = Vec::new();
    let mut kinds = Vec::with_capacity(tables.len());
    let mut valid = true;
    for mut t in tables {
        let name = t.string("name", Need::Required);
        let mut name = non_empty(&t, "name", name);
        if let Some(n) = &name
            && !check_unique(&t, "crime kind", n, &mut seen)
        {
            name = None;
        }
        match (&mut names, &name) {
            (Some(names), Some(name)) => names.push(name.clone()),
            _ => names = None,
        }
        let share = t.f64("share", Num::Prob, Need::Required);
        let mut gravity = t.per_gravity("gravity", Num::Prob, Need::Required);
        if let Some(g) = gravity
            && !check_sum(cx, t.pos("gravity"), &t.key("gravity"), "the gravity shares", &g)
        {
            gravity = None;
        }
        let victim = t.bool("victim", Need::Required);
        let negligence = t.bool("negligence", Need::Or(false));
        let economic = t.bool("economic", Need::Or(false));
        let public_harm = t.bool("public_harm", Need::Or(false));
        let corruption = t.bool("corruption", Need::Or(false));
        let dangerous_share = t.f64("dangerous_share", Num::Prob, Need::Or(0.0));
        let death_share = t.f64("death_share", Num::Prob, Need::Or(0.0));
        let solvability_shift = t.f64("solvability_shift", Num::Finite, Need::Or(0.0));
        let kind = (|| {
            Some(CrimeKind {
                name: name?,
                share: share?,
                gravity: gravity?,
                victim: victim?,
                negligence: negligence?,
                economic: economic?,
                public_harm: public_harm?,
                corruption: corruption?,
                dangerous_share: dangerous_share?,
                death_share: death_share?,
                solvability_shift: solvability_shift?,
            })
        })();
        match kind {
            Some(kind) => kinds.push(kind),
            None => valid = false,
        }
    }
    *kind_names = names;
    if !valid {
        return None;
    }
    let shares: Vec<f64> = kinds.iter().map(|k| k.share).collect();
    if !check_sum(cx, at, key, "the crime kinds' `share` values", &shares) {
        return None;
    }
    Some(kinds)
}

fn read_inflow(
    cx: &Ctx<'_>,
    tables: Vec<Table<'_, '_>>,
    calendar: Option<&Calendar>,
    at: usize,
    key: &str,
) -> Option<Vec<YearInflow>> {
    if tables.is_empty() {
        cx.error(at, key, "expected one [[inflow]] entry per simulated year");
        return None;
    }
    let n_entries = tables.len();
    let mut entries = Vec::with_capacity(n_entries);
    // (entry index, year, offset of its `year` value) of every readable year, in file order.
    let mut years: Vec<(usize, i32, usize)> = Vec::new();
    let mut valid = true;
    for (i, mut t) in tables.into_iter().enumerate() {
        let year = t.year("year", Need::Required);
        let registered_crimes = t.u32("registered_crimes", 0, u32::MAX, Need::Required);
        let private_complaints = t.u32("private_complaints", 0, u32::MAX, Need::Required);
        let misdemeanours = t.u32("misdemeanours", 0, u32::MAX, Need::Or(0));
        let source = t.string("source", Need::Optional);
        let assumption = t.string("assumption", Need::Optional);
        // Exactly one of the two: every figure says where it comes from or that it is assumed.
        let provenance = match (t.has("source"), t.has("assumption")) {
            (true, true) => {
                t.error(t.key_pos("assumption"), "assumption", "give either `source` or `assumption`, not both");
                None
            }
            (false, false) => {
                t.error(
                    t.at(),
                    "source",
                    "missing `source` or `assumption`: say where the figures come from, or why \
                     they are an assumption",
                );
                None
            }
            (true, false) => source.map(|s| (s, false)),
            (false, true) => assumption.map(|s| (s, true)),
        };
        if let Some(y) = year {
            years.push((i, y, t.pos("year")));
        }
        let (Some(year), Some(registered_crimes), Some(private_complaints), Some(misdemeanours)) =
            (year, registered_crimes, private_complaints, misdemeanours)
        else {
            valid = false;
            continue;
        };
        let Some((source, assumption)) = provenance else {
            valid = false;
            continue;
        };
        entries.push(YearInflow { year, registered_crimes, private_complaints, misdemeanours, source, assumption });
    }
    let calendar = calendar?;
    let years_key = |i: usize| format!("{key}[{i}].year");
    let (first, last) = (calendar.first_year, calendar.last_year);
    let mut seen: Vec<(i32, usize)> = Vec::new();
    let mut latest: Option<i32> = None;
    for &(i, year, pos) in &years {
        if !(first..=last).contains(&year) {
            cx.error(pos, years_key(i), format!("year {year} is outside the simulated range {first} to {last}"));
            valid = false;
        } else if let Some(&(_, earlier)) = seen.iter().find(|(y, _)| *y == year) {
            let (line, _) = cx.line_col(earlier);
            cx.error(pos, years_key(i), format!("duplicate inflow for year {year} (already given on line {line})"));
            valid = false;
        } else {
            if let Some(previous) = latest.filter(|&l| l > year) {
                cx.error(
                    pos,
                    years_key(i),
                    format!(
                        "inflow for year {year} is out of order: it comes after year {previous}; \
                         list the years in order"
                    ),
                );
                valid = false;
            }
            seen.push((year, pos));
            latest = latest.max(Some(year));
        }
    }
    // Missing years, grouped into runs so that a short array does not give one error per year.
    // Each run is reported at the entry that follows the gap (or the last entry). Skipped when
    // a year could not be read: that year would be reported missing as well.
    if years.len() == n_entries {
        let mut year = first;
        while year <= last {
            if seen.iter().any(|(y, _)| *y == year) {
                year += 1;
                continue;
            }
            let start = year;
            while year < last && !seen.iter().any(|(y, _)| *y == year + 1) {
                year += 1;
            }
            let end = year;
            let after =
                seen.iter().filter(|(y, _)| *y > end).min_by_key(|(y, _)| *y).or(seen.last()).map_or(at, |(_, p)| *p);
            let which = if start == end { format!("year {start}") } else { format!("years {start} to {end}") };
            cx.error(
                after,
                key,
                format!(
                    "missing inflow for {which}: every simulated year from {first} to {last} \
                     needs an [[inflow]] entry"
                ),
            );
            valid = false;
            year += 1;
        }
    }
    valid.then_some(entries)
}

/// Reads dated regimes (`[[rules]]`, `[[incentives]]`): the first entry in full, each later one
/// as a patch over the one before; dates strictly increasing, the first in force at the start.
fn read_dated<'a, 't, T: Clone>(
    cx: &Ctx<'_>,
    tables: Vec<Table<'a, 't>>,
    calendar: Option<&Calendar>,
    at: usize,
    key: &str,
    read: impl Fn(&mut Table<'a, 't>, Base<'_, T>) -> Option<T>,
) -> Option<Vec<Dated<T>>> {
    if tables.is_empty() {
        cx.error(
            at,
            key,
            format!(
                "expected at least one [[{key}]] entry: the first gives the regime in force when \
                 the simulation starts"
            ),
        );
        return None;
    }
    let mut entries: Vec<Dated<T>> = Vec::with_capacity(tables.len());
    let mut valid = true;
    // The merged value of the previous entry, base of the next patch; None after a failure.
    let mut previous: Option<T> = None;
    // Date and key of the last entry whose date was accepted, for the ordering check.
    let mut last_date: Option<(Date, String)> = None;
    for (i, mut t) in tables.into_iter().enumerate() {
        let base = match (i, &previous) {
            (0, _) => Base::First,
            (_, Some(value)) => Base::Patch(value),
            (_, None) => Base::Orphan,
        };
        let from = t.date("from", Need::Required);
        let note = t.string("note", Need::Or(String::new()));
        let value = read(&mut t, base);
        let from_day = from.and_then(|date| {
            let ok = check_regime_date(&t, i, date, calendar, last_date.as_ref());
            if ok {
                last_date = Some((date, t.key("from")));
            }
            let day = calendar?.day_of_date(date.year, date.month, date.day);
            ok.then_some(day).flatten()
        });
        previous = value.clone();
        match (from, from_day, note, value) {
            (Some(date), Some(from_day), Some(note), Some(value)) => {
                entries.push(Dated { from_day, from_label: date.to_string(), note, value })
            }
            _ => valid = false,
        }
    }
    valid.then_some(entries)
}

/// Checks one regime's `from` date; reports and returns false if it is out of place.
fn check_regime_date(
    t: &Table<'_, '_>,
    index: usize,
    date: Date,
    calendar: Option<&Calendar>,
    last: Option<&(Date, String)>,
) -> bool {
    let at = t.pos("from");
    if let Some((previous, previous_key)) = last
        && date <= *previous
    {
        t.error(
            at,
            "from",
            format!(
                "overlapping or out-of-order regime: {date} is not after {previous} \
                 (`{previous_key}`); dates must increase from one entry to the next"
            ),
        );
        return false;
    }
    let Some(calendar) = calendar else {
        return true;
    };
    let start = Date { year: calendar.first_year, month: 1, day: 1 };
    if index == 0 && date > start {
        t.error(
            at,
            "from",
            format!(
                "the first regime must be in force when the simulation starts: expected a date \
                 on or before {start}, found {date}"
            ),
        );
        return false;
    }
    if date.year > calendar.last_year {
        t.error(at, "from", format!("{date} is outside the simulated range {start} to {}-12-31", calendar.last_year));
        return false;
    }
    true
}

/// `term_scale` where a scenario does not set it: the terms of `behaviour.sentencing.term_days`
/// as they are (the model before the key existed).
const NO_TERM_CHANGE: f64 = 1.0;

/// `parole_after` where a scenario does not set it: the whole term served in every class, so no
/// parole (the model before the key existed).
const NO_PAROLE: [f64; 4] = [1.0; 4];

/// `custody_investigation_days` where a scenario does not set it: investigations with the
/// accused in custody take as long as any other (the model before the key existed).
pub(crate) const NO_CUSTODY_LIMIT: u32 = u32::MAX;

/// The longest limit `custody_investigation_days` accepts: ten years of days, beyond any code's.
const MAX_CUSTODY_INVESTIGATION_DAYS: u32 = 3650;

const APPROVERS: [(&str, DetentionApprover); 3] = [
    ("procurator", DetentionApprover::Procurator),
    ("judge", DetentionApprover::Judge),
    ("investigative_judge", DetentionApprover::InvestigativeJudge),
];

const ELIGIBILITY: [(&str, Eligibility); 3] = [
    ("banned", Eligibility::Banned),
    ("discretionary", Eligibility::Discretionary),
    ("mandatory", Eligibility::Mandatory),
];

pub(super) fn read_rules(t: &mut Table<'_, '_>, base: Base<'_, Rules>) -> Option<Rules> {
    read_struct!(
        t,
        Rules {
            detention_approver: choice(&APPROVERS, base.need(|b| b.detention_approver)),
            restraint_alternatives: bool(base.need(|b| b.restraint_alternatives)),
            mandatory_detention: per_gravity(Num::Prob, base.need(|b| b.mandatory_detention)),
            police_custody_hours: u32(1, 240, base.need(|b| b.police_custody_hours)),
            economic_detention_allowed: bool(base.need(|b| b.economic_detention_allowed)),
            custody_investigation_days: u32(
                1,
                MAX_CUSTODY_INVESTIGATION_DAYS,
                base.need_or(NO_CUSTODY_LIMIT, |b| b.custody_investigation_days),
            ),
            reconciliation: patch(base.sub(|b| &b.reconciliation), read_reconciliation),
            jury_jurisdiction: per_gravity(Num::Prob, base.need(|b| b.jury_jurisdiction)),
            jury_compulsory: per_gravity(Num::Prob, base.need(|b| b.jury_compulsory)),
            jury_death_compulsory: bool(base.need(|b| b.jury_death_compulsory)),
            supplementary_investigation: bool(base.need(|b| b.supplementary_investigation)),
            total_registration: bool(base.need(|b| b.total_registration)),
            count_misdemeanours: bool(base.need(|b| b.count_misdemeanours)),
            noncustodial_scope: per_gravity(Num::Prob, base.need(|b| b.noncustodial_scope)),
            term_scale: f64(Num::Positive, base.need_or(NO_TERM_CHANGE, |b| b.term_scale)),
            parole_after: per_gravity(Num::Unit, base.need_or(NO_PAROLE, |b| b.parole_after)),
            procurator_appeal_acquittals: bool(base.need(|b| b.procurator_appeal_acquittals)),
            police_confessions_admissible: bool(base.need(|b| b.police_confessions_admissible)),
            defence_independent: bool(base.need(|b| b.defence_independent)),
        }
    )
}

fn read_reconciliation(t: &mut Table<'_, '_>, base: Base<'_, ReconciliationRules>) -> Option<ReconciliationRules> {
    read_struct!(
        t,
        ReconciliationRules {
            minor: choice(&ELIGIBILITY, base.need(|b| b.minor)),
            medium_first: choice(&ELIGIBILITY, base.need(|b| b.medium_first)),
            medium_repeat: choice(&ELIGIBILITY, base.need(|b| b.medium_repeat)),
            grave_juvenile_first: choice(&ELIGIBILITY, base.need(|b| b.grave_juvenile_first)),
            public_harm_repentance: bool(base.need(|b| b.public_harm_repentance)),
            negligence_death: bool(base.need(|b| b.negligence_death)),
            torture: bool(base.need(|b| b.torture)),
            investigator_duty: bool(base.need(|b| b.investigator_duty)),
            pretrial: bool(base.need(|b| b.pretrial)),
        }
    )
}

pub(super) fn read_incentives(t: &mut Table<'_, '_>, base: Base<'_, Incentives>) -> Option<Incentives> {
    // Incentive weights may be negative (a penalty), so they are only required to be finite.
    let w = Num::Finite;
    let investigator = t.patch("investigator", base.sub(|b| &b.investigator), |t, base| {
        read_struct!(
            t,
            InvestigatorWeights {
                sent_to_court: f64(w, base.need(|b| b.sent_to_court)),
                clearance: f64(w, base.need(|b| b.clearance)),
            }
        )
    });
    let procurator = t.patch("procurator", base.sub(|b| &b.procurator), |t, base| {
        read_struct!(
            t,
            ProcuratorWeights {
                convictions: f64(w, base.need(|b| b.convictions)),
                nonrehab_closures: f64(w, base.need(|b| b.nonrehab_closures)),
                exonerating_closures: f64(w, base.need(|b| b.exonerating_closures)),
                acquittals: f64(w, base.need(|b| b.acquittals)),
                prison_target: f64(w, base.need(|b| b.prison_target)),
            }
        )
    });
    let trial_judge = t.patch("trial_judge", base.sub(|b| &b.trial_judge), |t, base| {
        read_struct!(
            t,
            JudgeWeights {
                reversals: f64(w, base.need(|b| b.reversals)),
                caseload: f64(w, base.need(|b| b.caseload)),
                abscond_risk: f64(w, base.need(|b| b.abscond_risk)),
            }
        )
    });
    let appellate = t.patch("appellate", base.sub(|b| &b.appellate), |t, base| {
        read_struct!(
            t,
            AppellateWeights {
                procuracy_alignment: f64(w, base.need(|b| b.procuracy_alignment)),
                reversal_cost: f64(w, base.need(|b| b.reversal_cost)),
            }
        )
    });
    let monitoring = read_monitoring(t, base.sub(|b| &b.monitoring));
    let prison_population_target = read_prison_level(t, base.sub(|b| &b.prison_population_target));
    Some(Incentives {
        investigator: investigator?,
        procurator: procurator?,
        trial_judge: trial_judge?,
        appellate: appellate?,
        monitoring: monitoring?,
        prison_population_target: prison_population_target?,
    })
}

/// `prison_population_target = 60000` (persons, > 0), or `false` for none. Absent: none in the
/// first entry, unchanged in later ones. The outer `Option` is `None` when the value could not
/// be read.
fn read_prison_level(t: &mut Table<'_, '_>, base: Base<'_, Option<f64>>) -> Option<Option<f64>> {
    const KEY: &str = "prison_population_target";
    let Some(value) = t.value(KEY) else {
        return match base {
            Base::First => Some(None),
            Base::Patch(previous) => Some(*previous),
            Base::Orphan => None,
        };
    };
    match value.get_ref() {
        DeValue::Boolean(false) => Some(None),
        _ => t.f64(KEY, Num::Positive, Need::Required).map(Some),
    }
}

/// `monitoring = { failing_at, dismissed_at }`, or `monitoring = false` for none (the way a
/// later entry switches monitoring off). Absent: none in the first entry, unchanged in later
/// ones. The outer `Option` is `None` when the value could not be read.
fn read_monitoring(t: &mut Table<'_, '_>, base: Base<'_, Option<Monitoring>>) -> Option<Option<Monitoring>> {
    const EXPECTED: &str = "a table { failing_at, dismissed_at } or false (no monitoring)";
    let Some(value) = t.value("monitoring") else {
        return match base {
            Base::First => Some(None),
            Base::Patch(previous) => Some(previous.clone()),
            Base::Orphan => None,
        };
    };
    match value.get_ref() {
        DeValue::Boolean(false) => Some(None),
        DeValue::Table(_) => {
            let Lookup::Found(mut m) = t.table("monitoring", false) else {
                return None;
            };
            // Patch the thresholds in force if there are any; otherwise both are needed.
            let base = match base {
                Base::Patch(Some(previous)) => Base::Patch(previous),
                Base::First | Base::Patch(None) => Base::First,
                Base::Orphan => Base::Orphan,
            };
            let failing_at = m.u32("failing_at", 1, u32::MAX, base.need(|b| b.failing_at));
            let dismissed_at = m.u32("dismissed_at", 1, u32::MAX, base.need(|b| b.dismissed_at));
            let (failing_at, dismissed_at) = (failing_at?, dismissed_at?);
            if dismissed_at < failing_at {
                m.error(
                    m.pos("dismissed_at"),
                    "dismissed_at",
                    format!("dismissed_at ({dismissed_at}) must be at least failing_at ({failing_at})"),
                );
                return None;
            }
            Some(Some(Monitoring { failing_at, dismissed_at }))
        }
        other => {
            let found = match other {
                DeValue::Boolean(true) => "true",
                other => type_name(other),
            };
            t.error(value.span().start, "monitoring", format!("expected {EXPECTED}, found {found}"));
            None
        }
    }
}

pub(super) fn read_campaigns(
    tables: Vec<Table<'_, '_>>,
    calendar: Option<&Calendar>,
    kind_names: Option<&[String]>,
) -> Option<Vec<Campaign>> {
    let mut campaigns = Vec::with_capacity(tables.len());
    let mut valid = true;
    for mut t in tables {
        let name = t.string("name", Need::Required);
        let name = non_empty(&t, "name", name);
        let from = t.date("from", Need::Required);
        let to = t.date("to", Need::Required);
        let kind = t.string("kind", Need::Required);
        let procurator_exonerate = t.f64("procurator_exonerate", Num::Finite, Need::Required);
        let judge_exonerate = t.f64("judge_exonerate", Num::Finite, Need::Required);
        let appellate_overturn = t.f64("appellate_overturn", Num::Finite, Need::Or(0.0));

        let kind = match (kind, kind_names) {
            (Some(kind), Some(kind_names)) => {
                let index = kind_names.iter().position(|k| *k == kind);
                if index.is_none() {
                    let names: Vec<&str> = kind_names.iter().map(String::as_str).collect();
                    let hint = closest(&kind, &names).map(|c| format!(", did you mean `{c}`?")).unwrap_or_default();
                    t.error(
                        t.pos("kind"),
                        "kind",
                        format!("unknown crime kind `{kind}`{hint} (known kinds: {})", backticked(&names)),
                    );
                }
                index
            }
            // Without valid kinds the name cannot be resolved; the crime section says why.
            _ => None,
        };
        let days = match (from, to, calendar) {
            (Some(from), Some(to), Some(calendar)) => campaign_days(&t, from, to, calendar),
            _ => None,
        };
        match (name, days, kind, procurator_exonerate, judge_exonerate, appellate_overturn) {
            (Some(name), Some((from_day, to_day)), Some(kind), Some(p), Some(j), Some(a)) => {
                campaigns.push(Campaign {
                    name,
                    from_day,
                    to_day,
                    kind,
                    procurator_exonerate: p,
                    judge_exonerate: j,
                    appellate_overturn: a,
                });
            }
            _ => valid = false,
        }
    }
    valid.then_some(campaigns)
}

/// Reads `[[amnesty]]` entries: a name, a date within the simulated span and at least one
/// `[[amnesty.clause]]`. Sorted by day (a stable sort: two acts of one day apply in the file's
/// order).
pub(super) fn read_amnesties(tables: Vec<Table<'_, '_>>, calendar: Option<&Calendar>) -> Option<Vec<Amnesty>> {
    let mut amnesties = Vec::with_capacity(tables.len());
    let mut valid = true;
    for mut t in tables {
        let name = t.string("name", Need::Required);
        let name = non_empty(&t, "name", name);
        let date = t.date("date", Need::Required);
        // A note on the act (its number, what it says): kept in the file for the reader.
        let _note = t.string("note", Need::Optional);
        let clauses = match t.array_of_tables("clause", true) {
            Lookup::Found(clauses) if clauses.is_empty() => {
                t.error(t.pos("clause"), "clause", "an amnesty needs at least one [[amnesty.clause]]");
                None
            }
            Lookup::Found(clauses) => read_amnesty_clauses(clauses),
            Lookup::Absent | Lookup::Invalid => None,
        };
        let day = match (date, calendar) {
            (Some(date), Some(calendar)) => day_within(&t, "date", date, calendar),
            _ => None,
        };
        match (name, day, clauses) {
            (Some(name), Some(day), Some(clauses)) => amnesties.push(Amnesty { name, day, clauses }),
            _ => valid = false,
        }
    }
    amnesties.sort_by_key(|a| a.day);
    valid.then_some(amnesties)
}

fn read_amnesty_clauses(tables: Vec<Table<'_, '_>>) -> Option<Vec<AmnestyClause>> {
    let gravities: Vec<(&'static str, Gravity)> = GRAVITIES.into_iter().zip(Gravity::ALL).collect();
    let mut clauses = Vec::with_capacity(tables.len());
    let mut valid = true;
    for mut t in tables {
        let up_to = t.choice("up_to", &gravities, Need::Required);
        let first_offence_only = t.bool("first_offence_only", Need::Or(false));
        let served_at_least = t.f64("served_at_least", Num::Unit, Need::Or(0.0));
        let mut days_at_most = |key: &'static str| match t.has(key) {
            true => t.u32(key, 1, 36_500, Need::Required).map(Some),
            false => Some(None),
        };
        let term_at_most_days = days_at_most("term_at_most_days");
        let left_at_most_days = days_at_most("left_at_most_days");
        let remaining = t.f64("remaining", Num::Unit, Need::Or(0.0));
        match (up_to, first_offence_only, term_at_most_days, served_at_least, left_at_most_days, remaining) {
            (
                Some(up_to),
                Some(first),
                Some(term_at_most_days),
                Some(served),
                Some(left_at_most_days),
                Some(remaining),
            ) => clauses.push(AmnestyClause {
                up_to,
                first_offence_only: first,
                term_at_most_days,
                served_at_least: served,
                left_at_most_days,
                remaining,
            }),
            _ => valid = false,
        }
    }
    valid.then_some(clauses)
}

/// The day of `date` (the value of `key`), which must lie within the simulated span.
fn day_within(t: &Table<'_, '_>, key: &str, date: Date, calendar: &Calendar) -> Option<u32> {
    let start = Date { year: calendar.first_year, month: 1, day: 1 };
    let end = Date { year: calendar.last_year, month: 12, day: 31 };
    if date < start || date > end {
        t.error(t.pos(key), key, format!("{date} is outside the simulated range {start} to {end}"));
        return None;
    }
    calendar.day_of_date(date.year, date.month, date.day)
}

/// A campaign's first and last day; both dates within the simulated span, `from <= to`.
fn campaign_days(t: &Table<'_, '_>, from: Date, to: Date, calendar: &Calendar) -> Option<(u32, u32)> {
    // Both dates are checked, so that two wrong dates give two diagnostics.
    let (from_day, to_day) = (day_within(t, "from", from, calendar), day_within(t, "to", to, calendar));
    let (from_day, to_day) = (from_day?, to_day?);
    if to < from {
        t.error(t.pos("to"), "to", format!("the campaign ends ({to}) before it starts ({from})"));
        return None;
    }
    Some((from_day, to_day))
}

fn read_behaviour(t: &mut Table<'_, '_>) -> Option<Behaviour> {
    read_struct!(
        t,
        Behaviour {
            investigation: section(read_investigation),
            procurator: section(read_procurator),
            detention: section(read_detention),
            trial: section(read_trial),
            private: section(read_private),
            appeal: section(read_appeal),
            sentencing: section(read_sentencing),
            torture: section(read_torture),
            learning: section(read_learning),
        }
    )
}

// The behaviour sections. Constraints follow the doc comments in types.rs: chances, shares and
// fractions are probabilities; log-odds, constants and shifts may have any sign; durations,
// capacities and spreads are positive; other weights and coefficients are >= 0. Thresholds and
// increments on the evidence scale are in [0, 1] (`Num::Unit`).

const REQ: Need<f64> = Need::Required;

// Officials' ceilings where a scenario does not set them: assumptions (no published figure
// gives them), documented with the keys in docs/scenario-reference.md.
/// An investigator gets through at most twice her nominal work.
const OVERTIME_CEILING: f64 = 2.0;
/// An investigator's choices stop responding to her caseload at 20 times her capacity.
const LOAD_RATIO_CEILING: f64 = 20.0;
/// A judge decides at most four times her nominal caseload in a period.
const JUDGE_CEILING: f64 = 4.0;
/// A procurator completes at most this many reviews a year.
const REVIEW_CEILING: f64 = 300.0;

fn read_investigation(t: &mut Table<'_, '_>) -> Option<InvestigationBehaviour> {
    read_struct!(
        t,
        InvestigationBehaviour {
            capacity: f64(Num::Positive, REQ),
            overload_elasticity: f64(Num::Unit, REQ),
            overtime_ceiling: f64(Num::Positive, Need::Or(OVERTIME_CEILING)),
            load_ratio_ceiling: f64(Num::Positive, Need::Or(LOAD_RATIO_CEILING)),
            clearance_effort: f64(Num::NonNeg, REQ),
            days_mean: f64(Num::Positive, REQ),
            days_load_exponent: f64(Num::NonNeg, Need::Or(0.5)),
            custody: per_gravity(Num::Prob, Need::Required),
            detention_request_logit: per_gravity(Num::Finite, Need::Required),
            detention_ease: f64(Num::NonNeg, REQ),
            reconcile_logit: f64(Num::Finite, REQ),
            reconcile_effort_saving: f64(Num::NonNeg, REQ),
            reconcile_load_exponent: f64(Num::NonNeg, Need::Or(1.0)),
            reconcile_venality_gain: f64(Num::NonNeg, REQ),
            reconcile_closure_response: f64(Num::NonNeg, Need::Or(1.0)),
            reclassify_logit: f64(Num::Finite, REQ),
            reclassify_venality: f64(Num::NonNeg, Need::Or(3.0)),
            coercion_logit: f64(Num::Finite, REQ),
            coercion_pressure: f64(Num::NonNeg, REQ),
            confession_evidence: f64(Num::Unit, REQ),
            prison_target_response: f64(Num::NonNeg, REQ),
            baseless_logit: f64(Num::Finite, REQ),
            baseless_load: f64(Num::NonNeg, Need::Or(0.0)),
            detained_work: f64(Num::Unit, Need::Or(1.0)),
            registration_selectivity: f64(Num::NonNeg, Need::Or(0.0)),
            unsolved_work: f64(Num::Unit, Need::Or(1.0)),
            reconcile_work: f64(Num::Unit, Need::Or(1.0)),
        }
    )
}

fn read_procurator(t: &mut Table<'_, '_>) -> Option<ProcuratorBehaviour> {
    read_struct!(
        t,
        ProcuratorBehaviour {
            days_mean: f64(Num::Positive, REQ),
            custody_release_logit: f64(Num::Finite, REQ),
            custody_grounds_threshold: f64(Num::Unit, REQ),
            custody_release_own_approval: f64(Num::NonNeg, Need::Or(0.0)),
            back_detention_logit: f64(Num::Finite, REQ),
            back_detention_target_response: f64(Num::NonNeg, REQ),
            prison_gap_scale: f64(Num::Positive, REQ),
            prison_escalation: f64(Num::NonNeg, Need::Or(0.0)),
            evidence_weight: f64(Num::NonNeg, REQ),
            exonerating_weakness_factor: f64(Num::NonNeg, Need::Or(2.0)),
            close_nonrehab_constant: f64(Num::Finite, REQ),
            close_exonerating_constant: f64(Num::Finite, REQ),
            exonerating_evidence_max: f64(Num::Unit, Need::Or(1.0)),
            campaign_evidence_max: f64(Num::Unit, Need::Or(0.0)),
            acquittal_belief_scale: f64(Num::Prob, REQ),
            indicator_sensitivity: f64(Num::NonNeg, REQ),
            review_ceiling: f64(Num::Positive, Need::Or(REVIEW_CEILING)),
        }
    )
}

fn read_detention(t: &mut Table<'_, '_>) -> Option<DetentionBehaviour> {
    read_struct!(
        t,
        DetentionBehaviour {
            judge_approve_logit: f64(Num::Finite, REQ),
            procurator_approve_logit: f64(Num::Finite, REQ),
            alternative_logit: f64(Num::Finite, REQ),
            alternative_flight_response: f64(Num::NonNeg, Need::Or(0.0)),
            // An exponent on a uniform draw: > 0, larger means shorter stays.
            custody_hours_shape: f64(Num::Positive, REQ),
        }
    )
}

fn read_trial(t: &mut Table<'_, '_>) -> Option<TrialBehaviour> {
    read_struct!(
        t,
        TrialBehaviour {
            days_mean: f64(Num::Positive, REQ),
            effort_sentence: f64(Num::NonNeg, REQ),
            effort_acquittal: f64(Num::NonNeg, REQ),
            effort_closure: f64(Num::NonNeg, REQ),
            effort_return: f64(Num::NonNeg, REQ),
            appeal_scrutiny: f64(Num::NonNeg, REQ),
            reversal_penalty: f64(Num::NonNeg, REQ),
            failing_cost: f64(Num::NonNeg, REQ),
            dismissal_cost: f64(Num::NonNeg, REQ),
            procurator_pressure: f64(Num::NonNeg, REQ),
            closure_scrutiny: f64(Num::Unit, REQ),
            other_decisions_per_year: f64(Num::NonNeg, REQ),
            other_reversal_rate: f64(Num::Prob, REQ),
            judge_capacity: f64(Num::Positive, REQ),
            judge_ceiling: f64(Num::Positive, Need::Or(JUDGE_CEILING)),
            conscience: f64(Num::NonNeg, REQ),
            return_supplementary_constant: f64(Num::Finite, REQ),
            jury_request_logit: f64(Num::Finite, REQ),
            jury_request_per_defendant: bool(Need::Or(false)),
            jury_request_when_sent: bool(Need::Or(false)),
            jury_group_weight: f64(Num::NonNeg, Need::Or(1.0)),
            jury_acquit_logit: f64(Num::Finite, REQ),
            jury_weakness_slope: f64(Num::NonNeg, REQ),
            jury_news: f64(Num::NonNeg, Need::Or(0.0)),
            jury_resistance: f64(Num::NonNeg, Need::Or(0.0)),
            jury_news_memory: f64(Num::Unit, Need::Or(0.5)),
            official_pressure: f64(Num::Prob, REQ),
            pressure_load_cap: f64(Num::Positive, Need::Or(3.0)),
            supplementary_back_logit: f64(Num::Finite, REQ),
            supplementary_back_indicator: f64(Num::NonNeg, Need::Or(0.0)),
            supplementary_back_evidence: f64(Num::NonNeg, Need::Or(0.0)),
            return_to_procurator_constant: f64(Num::Finite, REQ),
            returns_after_ban: f64(Num::Prob, Need::Or(1.0)),
            discretionary_release_cost: f64(Num::NonNeg, REQ),
            release_practice_weight: f64(Num::NonNeg, Need::Or(0.0)),
            close_exonerating_constant: f64(Num::Finite, REQ),
            defence_cases_per_lawyer: f64(Num::Positive, REQ),
            dependent_defence_contests: f64(Num::Prob, REQ),
            defence_effect: f64(Num::Unit, REQ),
            // Documented as a share but named and used as log-odds: any finite number.
            other_nonrehab_logit: f64(Num::Finite, REQ),
        }
    )
}

fn read_private(t: &mut Table<'_, '_>) -> Option<PrivateBehaviour> {
    read_struct!(
        t,
        PrivateBehaviour {
            reject_logit: f64(Num::Finite, REQ),
            reject_load: f64(Num::NonNeg, Need::Or(0.0)),
            reject_weakness: f64(Num::NonNeg, Need::Or(0.0)),
            withdraw_logit: f64(Num::Finite, REQ),
            withdraw_weakness: f64(Num::NonNeg, Need::Or(0.0)),
            withdraw_wait: f64(Num::NonNeg, Need::Or(0.0)),
            transfer_logit: f64(Num::Finite, Need::Or(f64::NEG_INFINITY)),
            transfer_load: f64(Num::NonNeg, Need::Or(0.0)),
            reconcile_logit: f64(Num::Finite, REQ),
            reconcile_load: f64(Num::NonNeg, Need::Or(0.0)),
            acquit_logit: f64(Num::Finite, REQ),
            acquit_weakness: f64(Num::NonNeg, Need::Or(2.0)),
            days_mean: f64(Num::Positive, REQ),
            police_registration: f64(Num::Prob, REQ),
            police_selectivity: f64(Num::Unit, Need::Or(0.0)),
            police_readiness: f64(Num::Positive, Need::Or(1.0)),
        }
    )
}

fn read_appeal(t: &mut Table<'_, '_>) -> Option<AppealBehaviour> {
    read_struct!(
        t,
        AppealBehaviour {
            procurator_appeal_acquittal: f64(Num::Prob, REQ),
            defendant_appeal_custodial: f64(Num::Prob, REQ),
            defendant_appeal_other: f64(Num::Prob, REQ),
            alignment_weight: f64(Num::NonNeg, Need::Or(2.0)),
            weakness_weight: f64(Num::NonNeg, Need::Or(2.0)),
            overturn_acquittal_logit: f64(Num::Finite, REQ),
            overturn_conviction_logit: f64(Num::Finite, REQ),
            acquit_on_overturn_logit: f64(Num::Finite, REQ),
            acquit_on_overturn_weakness: f64(Num::NonNeg, Need::Or(0.0)),
            acquit_on_overturn_alignment: f64(Num::NonNeg, Need::Or(0.0)),
            private_appeal: f64(Num::Prob, REQ),
            days_mean: f64(Num::Positive, REQ),
            appellate_ceiling: f64(Num::Positive, Need::Or(APPELLATE_CEILING)),
        }
    )
}

/// Default of `appeal.appellate_ceiling` (appeals an appellate judge decides a year): an
/// assumption, set above the shipped run's busiest appellate judge (ODD §7.22d).
const APPELLATE_CEILING: f64 = 300.0;

fn read_sentencing(t: &mut Table<'_, '_>) -> Option<SentencingBehaviour> {
    read_struct!(
        t,
        SentencingBehaviour {
            custodial_logit: per_gravity(Num::Finite, Need::Required),
            term_days: per_gravity(Num::Positive, Need::Required),
            jobless_custodial_shift: f64(Num::Finite, REQ),
            prison_target_response: f64(Num::NonNeg, Need::Or(1.0)),
            parole_logit: f64(Num::Finite, Need::Or(0.0)),
            parole_target_response: f64(Num::NonNeg, Need::Or(0.0)),
        }
    )
}

fn read_torture(t: &mut Table<'_, '_>) -> Option<TortureBehaviour> {
    read_struct!(
        t,
        TortureBehaviour {
            complain_investigation_logit: f64(Num::Finite, REQ),
            complain_trial_logit: f64(Num::Finite, REQ),
            complain_gravity: f64(Num::NonNeg, Need::Or(0.0)),
            register_discretionary_logit: f64(Num::Finite, REQ),
            register_total_logit: f64(Num::Finite, REQ),
            register_clearance_response: f64(Num::NonNeg, Need::Or(0.0)),
            register_reluctance: f64(Num::Positive, Need::Or(1.0)),
            open_case_logit: f64(Num::Finite, REQ),
            open_case_conviction_response: f64(Num::NonNeg, Need::Or(0.0)),
            to_court_logit: f64(Num::Finite, REQ),
            to_court_acquittal_response: f64(Num::NonNeg, Need::Or(0.0)),
            reconciled_logit: f64(Num::Finite, REQ),
            reconciled_closure_response: f64(Num::NonNeg, Need::Or(0.0)),
        }
    )
}

/// Default of `learning.prior_verdicts`: the prior counts for ten verdicts, about two periods'
/// convictions of one judge and several years' acquittals of a province (an assumption).
const PRIOR_VERDICTS: f64 = 10.0;

fn read_learning(t: &mut Table<'_, '_>) -> Option<LearningBehaviour> {
    read_struct!(
        t,
        LearningBehaviour {
            period_days: u32(1, 365, Need::Required),
            rate: f64(Num::Prob, REQ),
            peer_weight: f64(Num::Prob, REQ),
            prior_verdicts: f64(Num::Positive, Need::Or(PRIOR_VERDICTS)),
            compliance_rate: f64(Num::Prob, REQ),
            compliance_imitation: f64(Num::Prob, Need::Or(0.0)),
            workload_rate: f64(Num::Prob, Need::Or(1.0)),
            practice_rate: f64(Num::Prob, Need::Or(0.05)),
        }
    )
}

/// A string value, or a reported type error (for keys read before the walk, like `base`).
pub(super) fn string_or_report(cx: &Ctx<'_>, value: &toml::Spanned<DeValue<'_>>, key: &str) -> Option<String> {
    match value.get_ref() {
        DeValue::String(s) if !s.trim().is_empty() => Some(s.to_string()),
        DeValue::String(_) => {
            cx.error(value.span().start, key, "expected a non-empty string (the path of the base scenario)");
            None
        }
        other => {
            cx.error(
                value.span().start,
                key,
                format!("expected a string (the path of the base scenario), found {}", type_name(other)),
            );
            None
        }
    }
}
