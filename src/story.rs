//! Case stories for people (`caseflow trace`, and the workshop page): a random sample of the
//! cases of one kind registered in one year, followed through one run, told stage by stage —
//! who decided, the options with their utilities and chances, the uniform drawn, the outcome,
//! and the incentive weight that pushed the choice most — as text for a student or as JSON.
//!
//! The run is an ordinary run with a sampling [`Trace`]: its counts are the untraced run's
//! (`tests/trace.rs` checks it), so the stories are of the very cases the series count.

use serde_json::{Value, json};

use crate::engine::draws::{CaseId, Source};
use crate::engine::{Model, RunOutput};
use crate::output::{CRATE_VERSION, GIT_REVISION};
use crate::record::Event;
use crate::record::trace::{CaseFacts, Decision, Item, Odds, Role, Sample, Trace};
use crate::scenario::{DAYS_PER_YEAR, Gravity, Scenario, closest};

/// Most cases one call tells (a story is a few dozen lines).
pub const MAX_CASES: usize = 1000;

/// How many more cases a `tried` request follows than it tells.
const TRIED_OVERSAMPLE: usize = 40;

/// What to tell.
#[derive(Clone, Debug, PartialEq)]
pub struct StoryRequest {
    /// How many cases (at most [`MAX_CASES`]).
    pub cases: usize,
    /// Master seed; the run is run index 0 of it.
    pub seed: u64,
    /// A crime kind by name (none: every kind).
    pub kind: Option<String>,
    /// The year of registration (none: the scenario's first reported year).
    pub year: Option<i32>,
    /// Only cases that reached a trial (drawn from a larger sample).
    pub tried: bool,
}

/// A request the scenario cannot answer, said so a person can fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoryError(pub String);

impl std::fmt::Display for StoryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoryError {}

/// The request checked against the scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Checked {
    pub cases: usize,
    pub seed: u64,
    pub kind: Option<usize>,
    pub year: i32,
    pub tried: bool,
}

/// Checks a request against the scenario: the kind must be one of its kinds, the year within
/// its calendar, the number of cases from 1 to [`MAX_CASES`].
pub fn check(s: &Scenario, r: &StoryRequest) -> Result<Checked, StoryError> {
    if r.cases == 0 || r.cases > MAX_CASES {
        return Err(StoryError(format!("--cases must be from 1 to {MAX_CASES}, not {}", r.cases)));
    }
    let names: Vec<&str> = s.crime.kinds.iter().map(|k| k.name.as_str()).collect();
    let kind = match &r.kind {
        None => None,
        Some(k) => match names.iter().position(|n| n == k) {
            Some(i) => Some(i),
            None => {
                let hint = closest(k, &names).map(|c| format!(" (did you mean \"{c}\"?)")).unwrap_or_default();
                return Err(StoryError(format!(
                    "unknown crime kind \"{k}\"{hint}; the kinds of `{}` are: {}",
                    s.name,
                    names.join(", ")
                )));
            }
        },
    };
    let (first, last) = (s.calendar.first_year, s.calendar.last_year);
    let year = r.year.unwrap_or(s.calendar.first_reported_year);
    if year < first || year > last {
        return Err(StoryError(format!("--year {year} is outside the scenario's years {first}-{last}")));
    }
    Ok(Checked { cases: r.cases, seed: r.seed, kind, year, tried: r.tried })
}

/// The stories told, with what they came from.
pub struct Stories {
    pub request: Checked,
    pub trace: Trace,
    /// The followed cases, in the order to tell them.
    pub cases: Vec<CaseId>,
    pub output: RunOutput,
}

/// Runs the scenario once (run index 0 of `request.seed`) following a sample of the cases the
/// request describes.
pub fn tell(s: &Scenario, request: &StoryRequest) -> Result<Stories, StoryError> {
    let request = check(s, request)?;
    let start = (request.year - s.calendar.first_year) as u32 * DAYS_PER_YEAR;
    let sample = Sample {
        days: start..start + DAYS_PER_YEAR,
        kind: request.kind.map(|k| k as u8),
        // Most cases end before trial: to find `cases` that reached one, follow many more.
        pool: if request.tried { request.cases * TRIED_OVERSAMPLE } else { request.cases },
        salt: request.seed,
    };
    let model = Model::new(s);
    let (output, trace) = model.simulate_traced(request.seed, 0, Trace::sample(sample));
    let reached_trial = |id: CaseId| {
        trace.story(id).any(|e| matches!(&e.item, Item::Decision(d) if d.stage == "trial" || d.stage == "private"))
    };
    let cases = trace
        .sampled()
        .into_iter()
        .map(|(_, id)| id)
        .filter(|&id| !request.tried || reached_trial(id))
        .take(request.cases)
        .collect();
    Ok(Stories { request, trace, cases, output })
}

/// `day` of the run as a date (years of 365 days, as the model counts them).
pub fn date(s: &Scenario, day: u32) -> String {
    const MONTHS: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let year = s.calendar.first_year + (day / DAYS_PER_YEAR) as i32;
    let mut d = day % DAYS_PER_YEAR;
    let mut month = 0;
    while month < 11 && d >= MONTHS[month] {
        d -= MONTHS[month];
        month += 1;
    }
    format!("{year}-{:02}-{:02}", month + 1, d + 1)
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Investigator => "investigator",
        Role::Procurator => "procurator",
        Role::Judge => "judge",
        Role::DetentionJudge => "detention judge",
        Role::Jury => "jury",
        Role::AppellateJudge => "appellate judge",
        Role::Defendant => "the accused",
        Role::Complainant => "the complainant",
    }
}

fn gravity_name(g: Gravity) -> &'static str {
    match g {
        Gravity::Minor => "minor",
        Gravity::Medium => "medium",
        Gravity::Grave => "grave",
        Gravity::EspeciallyGrave => "especially grave",
    }
}

fn source_name(s: Source) -> &'static str {
    match s {
        Source::PublicCrime => "registered crime",
        Source::PrivateComplaint => "private complaint",
        Source::Misdemeanour => "misdemeanour",
    }
}

/// An event in words.
pub fn event_text(e: &Event) -> String {
    let s = format!("{e:?}");
    // Debug names are CamelCase: split them into words.
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 && !out.ends_with(['(', ' ', '{']) {
            out.push(' ');
        }
        out.push(ch.to_ascii_lowercase());
    }
    out
}

fn province_name(s: &Scenario, p: u16) -> &str {
    s.provinces.get(p as usize).map_or("?", |p| p.name.as_str())
}

fn facts_json(s: &Scenario, f: &CaseFacts) -> Value {
    let mut v = json!({
        "source": source_name(f.source),
        "kind": f.kind.and_then(|k| s.crime.kinds.get(k as usize)).map(|k| k.name.clone()),
        "province": province_name(s, f.province),
        "province_index": f.province,
        "episodes": f.episodes,
    });
    if let Some(d) = &f.details {
        v["gravity"] = json!(gravity_name(d.gravity));
        v["defendants"] = json!(d.defendants);
        v["juvenile"] = json!(d.juvenile);
        v["first_offence"] = json!(d.first_offence);
        v["jobless"] = json!(d.jobless);
        v["evidence"] = json!(d.evidence);
        v["coerced_confession"] = json!(d.coerced);
        v["reconciled_before_trial"] = json!(d.reconciled);
    }
    v
}

/// A finite number for JSON (utilities may be minus infinity: not available).
fn num(x: f64) -> Value {
    if x.is_finite() { json!(x) } else { Value::Null }
}

fn decision_json(s: &Scenario, d: &Decision) -> Value {
    let p = d.probabilities();
    let u = d.utilities();
    let options: Vec<Value> = d
        .options
        .iter()
        .enumerate()
        .map(|(i, name)| {
            json!({
                "option": name,
                "utility": u.as_ref().map_or(Value::Null, |u| num(u[i])),
                "probability": p[i],
            })
        })
        .collect();
    let pushes = d.pushes();
    let terms: Vec<Value> = d
        .terms
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let push = pushes.iter().find(|p| p.term == i);
            json!({
                "option": d.options.get(t.option).copied(),
                "what": t.what,
                "weight": t.weight.map(|w| json!({"key": w.key, "value": w.value})),
                "value": t.value,
                "chance_of_outcome_without": push.map(|p| p.without),
            })
        })
        .collect();
    let most = d.weighed_most().map(|p| {
        let t = &d.terms[p.term];
        json!({
            "what": t.what,
            "key": t.weight.map(|w| w.key),
            "weight": t.weight.map(|w| w.value),
            "chance_with": p.with,
            "chance_without": p.without,
        })
    });
    json!({
        "stage": d.stage,
        "question": d.question,
        "decider": {
            "role": role_name(d.decider.role),
            "agent_id": d.decider.uid,
            "province": province_name(s, d.decider.province),
        },
        "kind": match d.odds { Odds::Utilities(_) => "logit", Odds::Chance(_) => "chance", Odds::Forced => "forced by law" },
        "options": options,
        "draw": d.draw,
        "outcome": d.outcome(),
        "terms": terms,
        "pushed_most": most,
    })
}

/// How the stories were made.
fn made_json(s: &Scenario, st: &Stories) -> Value {
    json!({
        "scenario": s.name,
        "scenario_path": s.source_path,
        "scenario_sha256": crate::output::sha256_hex(s.source_text.as_bytes()),
        "master_seed": st.request.seed,
        "run_index": 0,
        "year": st.request.year,
        "kind": st.request.kind.map(|k| s.crime.kinds[k].name.clone()),
        "cases_asked": st.request.cases,
        "only_tried": st.request.tried,
        "version": CRATE_VERSION,
        "git_revision": GIT_REVISION,
    })
}

/// The stories as JSON: `{"made": {...}, "cases": [{"id", "facts", "story": [...]}]}`.
pub fn to_json(s: &Scenario, st: &Stories) -> Value {
    let cases: Vec<Value> = st
        .cases
        .iter()
        .map(|&id| {
            let story: Vec<Value> = st
                .trace
                .story(id)
                .map(|e| match &e.item {
                    Item::Decision(d) => {
                        let mut v = decision_json(s, d);
                        v["day"] = json!(e.day);
                        v["date"] = json!(date(s, e.day));
                        v["type"] = json!("decision");
                        v
                    }
                    Item::Event(ev) => {
                        json!({"type": "event", "day": e.day, "date": date(s, e.day), "event": event_text(ev)})
                    }
                })
                .collect();
            json!({
                "id": id.0,
                "facts": st.trace.facts_of(id).map(|f| facts_json(s, f)),
                "story": story,
            })
        })
        .collect();
    json!({"made": made_json(s, st), "cases": cases})
}

fn pct(p: f64) -> String {
    format!("{:.0}%", 100.0 * p)
}

/// The stories as text for a student.
pub fn to_text(s: &Scenario, st: &Stories) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let mut kind = st.request.kind.map_or("every kind".to_owned(), |k| s.crime.kinds[k].name.clone());
    if st.request.tried {
        kind.push_str(" that reached a trial");
    }
    let _ = writeln!(
        out,
        "Case stories: {} case(s) of {kind} registered in {}, scenario `{}` (master seed {}, run 0), caseflow {} ({})",
        st.cases.len(),
        st.request.year,
        s.name,
        st.request.seed,
        CRATE_VERSION,
        GIT_REVISION
    );
    if st.cases.is_empty() {
        let _ = writeln!(out, "No such case was registered in {} in this run.", st.request.year);
    }
    for &id in &st.cases {
        let _ = writeln!(out);
        let _ = write!(out, "Case {}", id.0);
        if let Some(f) = st.trace.facts_of(id) {
            let kind = f.kind.and_then(|k| s.crime.kinds.get(k as usize)).map_or("", |k| k.name.as_str());
            let _ = write!(
                out,
                ": {} ({kind}), {}, {} episode(s)",
                source_name(f.source),
                province_name(s, f.province),
                f.episodes
            );
            if let Some(d) = &f.details {
                let _ = write!(
                    out,
                    "; {}, {} accused{}{}, evidence {:.2}{}",
                    gravity_name(d.gravity),
                    d.defendants,
                    if d.juvenile { ", juvenile" } else { "" },
                    if d.first_offence { ", first offence" } else { ", repeat offence" },
                    d.evidence,
                    if d.coerced { ", confession coerced in custody" } else { "" }
                );
            }
        }
        let _ = writeln!(out);
        for e in st.trace.story(id) {
            let when = date(s, e.day);
            match &e.item {
                Item::Event(ev) => {
                    let _ = writeln!(out, "  {when}  {}", event_text(ev));
                }
                Item::Decision(d) => {
                    let who = match d.decider.uid {
                        Some(uid) => format!("{} #{uid}", role_name(d.decider.role)),
                        None => role_name(d.decider.role).to_owned(),
                    };
                    let _ = writeln!(
                        out,
                        "  {when}  {} / {}: {who} ({}) decides -> {}",
                        d.stage,
                        d.question,
                        province_name(s, d.decider.province),
                        d.outcome()
                    );
                    if let Odds::Forced = d.odds {
                        let _ = writeln!(out, "      no choice: the law decides");
                        continue;
                    }
                    let p = d.probabilities();
                    let u = d.utilities().unwrap_or_default();
                    let opts: Vec<String> = d
                        .options
                        .iter()
                        .enumerate()
                        .filter(|&(i, _)| u.get(i).is_none_or(|x| x.is_finite()))
                        .map(|(i, name)| match &d.odds {
                            Odds::Utilities(_) => format!("{name} {} (utility {:.2})", pct(p[i]), u[i]),
                            _ => format!("{name} {}", pct(p[i])),
                        })
                        .collect();
                    let _ = writeln!(out, "      options: {}", opts.join(" | "));
                    if let Some(draw) = d.draw {
                        let _ = writeln!(out, "      draw {draw:.3} -> {}", d.outcome());
                    }
                    match d.weighed_most() {
                        Some(p) if p.change().abs() < 0.005 => {
                            let _ =
                                writeln!(out, "      no incentive weight moved this choice by half a point or more");
                        }
                        Some(p) => {
                            let t = &d.terms[p.term];
                            let w = t.weight.map_or(String::new(), |w| format!("{} = {}", w.key, w.value));
                            let _ = writeln!(
                                out,
                                "      pushed most: {} ({w}): chance of \"{}\" {} with it, {} without",
                                t.what,
                                d.outcome(),
                                pct(p.with),
                                pct(p.without)
                            );
                        }
                        None if !d.terms.is_empty() => {
                            let _ = writeln!(out, "      no incentive weight entered this choice");
                        }
                        None => {}
                    }
                }
            }
        }
    }
    out
}
