//! Typed, position-aware reading of a parsed TOML document.
//!
//! `toml::de::DeTable::parse` gives the document as nested maps whose keys and values carry byte
//! spans. The loader reads it through [`Table`], which converts and range-checks each value and
//! records every problem as a [`Diagnostic`] with its line and column, instead of stopping at the
//! first one. When a [`Table`] is dropped it reports the keys nobody asked for (typos, keys in
//! the wrong section), so the set of valid keys is, by construction, the set the loader reads.

use std::cell::RefCell;
use std::fmt;
use std::num::IntErrorKind;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diagnostic::{Diagnostic, closest};
use super::types::{Beta, GRAVITIES, PerGravity};

/// A value of the parsed document with its byte span.
pub(super) type Value<'t> = Spanned<DeValue<'t>>;

/// The file being read: its label, its text (for positions and for quoting values), and the
/// diagnostics found so far. Shared immutably by every [`Table`]; diagnostics go through a
/// `RefCell` so that readers of sibling tables can all report.
pub(super) struct Ctx<'t> {
    file: String,
    text: &'t str,
    /// Byte offset of the start of each line, for offset -> (line, column).
    line_starts: Vec<usize>,
    diagnostics: RefCell<Vec<Diagnostic>>,
}

impl<'t> Ctx<'t> {
    pub(super) fn new(file: &str, text: &'t str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Ctx { file: file.to_string(), text, line_starts, diagnostics: RefCell::new(Vec::new()) }
    }

    /// 1-based line and column (counted in characters, as editors do) of a byte offset.
    pub(super) fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        // `line_starts[0] == 0 <= offset`, so this is at least 1.
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts.get(line - 1).copied().unwrap_or(0);
        let column = match self.text.get(start..offset) {
            // A byte-order mark is invisible in editors: it does not take a column.
            Some(prefix) => prefix.trim_start_matches('\u{feff}').chars().count() + 1,
            // Not on a character boundary (should not happen with parser spans): count bytes.
            None => offset - start + 1,
        };
        (line, column)
    }

    /// Records a problem at byte offset `at` for the dotted key path `key`.
    pub(super) fn error(&self, at: usize, key: impl Into<String>, message: impl Into<String>) {
        let (line, column) = self.line_col(at);
        self.diagnostics.borrow_mut().push(Diagnostic {
            file: self.file.clone(),
            line,
            column,
            key: key.into(),
            message: message.into(),
        });
    }

    /// The source text of a value, as the user wrote it (for "found 1.5" messages).
    pub(super) fn source_of(&self, value: &Value<'_>) -> &'t str {
        self.text.get(value.span()).unwrap_or("?")
    }

    /// All diagnostics, in the order they appear in the file.
    pub(super) fn into_diagnostics(self) -> Vec<Diagnostic> {
        let mut diagnostics = self.diagnostics.into_inner();
        // Stable: problems at the same spot keep the order in which they were found.
        diagnostics.sort_by_key(|d| (d.line, d.column));
        diagnostics
    }
}

/// What to do when a key is absent.
pub(super) enum Need<T> {
    /// Absent is an error ("missing required key").
    Required,
    /// Absent means this value (a documented default, or the previous regime's value).
    Or(T),
    /// Absent is fine but yields no value. Used when patching an entry whose base could not be
    /// read: its own keys are still checked, but nothing is reported missing twice.
    Optional,
}

/// What the keys of a dated entry (`[[rules]]`, `[[incentives]]`) default to.
pub(super) enum Base<'b, T> {
    /// The first entry: every key is required.
    First,
    /// A later entry: absent keys keep the previous entry's value.
    Patch(&'b T),
    /// A later entry after one that failed to read: absent keys are fine, no value results.
    Orphan,
}

// Manual impls: a derive would require `T: Clone`, but `Base` only holds a reference.
impl<T> Clone for Base<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Base<'_, T> {}

impl<'b, T> Base<'b, T> {
    /// How to treat an absent key whose previous value is `get(base)`.
    pub(super) fn need<U>(self, get: impl FnOnce(&'b T) -> U) -> Need<U> {
        match self {
            Base::First => Need::Required,
            Base::Patch(base) => Need::Or(get(base)),
            Base::Orphan => Need::Optional,
        }
    }

    /// Like [`Base::need`], for a key added after scenarios were written: absent from the first
    /// entry, it takes `default` (the value under which the model behaved before the key
    /// existed), so that earlier scenarios keep their meaning.
    pub(super) fn need_or<U>(self, default: U, get: impl FnOnce(&'b T) -> U) -> Need<U> {
        match self {
            Base::First => Need::Or(default),
            Base::Patch(base) => Need::Or(get(base)),
            Base::Orphan => Need::Optional,
        }
    }

    /// The base of a sub-table (patch semantics apply inside sub-tables too).
    pub(super) fn sub<U>(self, get: impl FnOnce(&'b T) -> &'b U) -> Base<'b, U> {
        match self {
            Base::First => Base::First,
            Base::Patch(base) => Base::Patch(get(base)),
            Base::Orphan => Base::Orphan,
        }
    }
}

/// Result of looking up a structured value (table, array of tables).
pub(super) enum Lookup<T> {
    Found(T),
    /// Not there (and reported as missing if it was required).
    Absent,
    /// There, but of the wrong type (already reported).
    Invalid,
}

/// Constraint on a number read as `f64`.
#[derive(Clone, Copy, Debug)]
pub(super) enum Num {
    /// Any finite number (log-odds, constants, shifts, incentive weights).
    Finite,
    /// Finite and >= 0 (weights and coefficients whose sign is fixed by their meaning).
    NonNeg,
    /// Finite and > 0 (durations, capacities, spreads).
    Positive,
    /// A chance or share, in [0, 1].
    Prob,
    /// A point on a [0, 1] scale that is not a chance (evidence strength thresholds).
    Unit,
}

impl Num {
    pub(super) fn describe(self) -> &'static str {
        match self {
            Num::Finite => "a finite number",
            Num::NonNeg => "a number >= 0",
            Num::Positive => "a number > 0",
            Num::Prob => "a probability (a number in [0, 1])",
            Num::Unit => "a number in [0, 1]",
        }
    }

    fn accepts(self, x: f64) -> bool {
        x.is_finite()
            && match self {
                Num::Finite => true,
                Num::NonNeg => x >= 0.0,
                Num::Positive => x > 0.0,
                Num::Prob | Num::Unit => (0.0..=1.0).contains(&x),
            }
    }
}

/// A calendar date as written in the scenario (no time of day).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Date {
    pub(super) year: i32,
    pub(super) month: u32,
    pub(super) day: u32,
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// "a string", "an integer", ...: what the user wrote, for "expected X, found Y" messages.
pub(super) fn type_name(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(dt) => match (dt.date.is_some(), dt.time.is_some()) {
            (true, false) => "a date",
            (false, _) => "a time of day",
            (true, true) => "a date-time",
        },
        DeValue::Array(items) => {
            if !items.is_empty() && items.iter().all(|v| v.get_ref().is_table()) {
                "an array of tables"
            } else {
                "an array"
            }
        }
        DeValue::Table(_) => "a table",
    }
}

/// "`a`, `b`, `c`".
pub(super) fn backticked(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// Shortest readable form of a computed number (sums in messages): at most 9 decimals.
pub(super) fn fmt_num(x: f64) -> String {
    let s = format!("{x:.9}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// Joins a table path and a key into a dotted path.
pub(super) fn join(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_string() } else { format!("{path}.{name}") }
}

/// A TOML table being read. Every key read through it (present or not) becomes a valid key of
/// the table; when dropped, it reports the keys present in the file that were never read.
pub(super) struct Table<'a, 't> {
    cx: &'a Ctx<'t>,
    map: &'a DeTable<'t>,
    /// Byte offset of the table in the file: its `[header]`, its `{`, or 0 for the root.
    at: usize,
    /// Dotted key path of the table ("" for the root).
    path: String,
    /// Keys read so far, in the order the loader reads them (types.rs field order).
    known: Vec<&'static str>,
}

impl<'a, 't> Table<'a, 't> {
    pub(super) fn root(cx: &'a Ctx<'t>, doc: &'a Spanned<DeTable<'t>>) -> Self {
        Table::new(cx, doc.get_ref(), doc.span().start, String::new())
    }

    fn new(cx: &'a Ctx<'t>, map: &'a DeTable<'t>, at: usize, path: String) -> Self {
        Table { cx, map, at, path, known: Vec::new() }
    }

    pub(super) fn cx(&self) -> &'a Ctx<'t> {
        self.cx
    }

    /// The same table read again through another context: a question scenario applies one
    /// dated entry over several regimes of its base, and only the first reading, in the file's
    /// own context, may report problems (the others report into a context that is dropped).
    pub(super) fn reopen<'c>(&self, cx: &'c Ctx<'t>) -> Table<'c, 't>
    where
        'a: 'c,
    {
        Table::new(cx, self.map, self.at, self.path.clone())
    }

    /// Byte offset of the table itself (where "missing key" errors point).
    pub(super) fn at(&self) -> usize {
        self.at
    }

    /// Dotted path of a key of this table.
    pub(super) fn key(&self, name: &str) -> String {
        join(&self.path, name)
    }

    /// Whether the key is present (does not mark it as read).
    pub(super) fn has(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// Offset of a key's value if present, else of the table (for errors found after reading).
    pub(super) fn pos(&self, name: &str) -> usize {
        self.map.get(name).map_or(self.at, |v| v.span().start)
    }

    /// Offset of a key's name if present, else of the table.
    pub(super) fn key_pos(&self, name: &str) -> usize {
        self.map.get_key_value(name).map_or(self.at, |(k, _)| k.span().start)
    }

    /// Reports a problem with key `name` of this table at offset `at`.
    pub(super) fn error(&self, at: usize, name: &str, message: impl Into<String>) {
        self.cx.error(at, self.key(name), message);
    }

    /// Marks `name` as a valid key here and returns its raw value if present (for values whose
    /// type decides how they are read, like `monitoring = false`).
    pub(super) fn value(&mut self, name: &'static str) -> Option<&'a Value<'t>> {
        self.lookup(name)
    }

    /// Marks `name` as a valid key here and returns its value if present.
    fn lookup(&mut self, name: &'static str) -> Option<&'a Value<'t>> {
        if !self.known.contains(&name) {
            self.known.push(name);
        }
        self.map.get(name)
    }

    /// Reads key `name`: converts it with `convert` if present, else applies `need`.
    /// `expected` describes a valid value for the "missing required key" message.
    fn read<T>(
        &mut self,
        name: &'static str,
        need: Need<T>,
        expected: &str,
        convert: impl FnOnce(&'a Ctx<'t>, &'a Value<'t>, &str) -> Option<T>,
    ) -> Option<T> {
        let key = self.key(name);
        match self.lookup(name) {
            Some(value) => convert(self.cx, value, &key),
            None => match need {
                Need::Or(default) => Some(default),
                Need::Optional => None,
                Need::Required => {
                    self.cx.error(self.at, key, format!("missing required key `{name}` (expected {expected})"));
                    None
                }
            },
        }
    }

    pub(super) fn f64(&mut self, name: &'static str, check: Num, need: Need<f64>) -> Option<f64> {
        self.read(name, need, check.describe(), |cx, v, key| to_f64(cx, v, key, check))
    }

    /// A `u32` in `lo..=hi`.
    pub(super) fn u32(&mut self, name: &'static str, lo: u32, hi: u32, need: Need<u32>) -> Option<u32> {
        let expected = describe_u32(lo, hi);
        self.read(name, need, &expected, |cx, v, key| {
            let n = to_integer(cx, v, key, &expected)?;
            if n < 0 {
                cx.error(v.span().start, key, format!("expected {expected}, found {n}"));
                return None;
            }
            let Ok(n) = u32::try_from(n) else {
                cx.error(
                    v.span().start,
                    key,
                    format!("number too large for a 32-bit count (at most {}), found {n}", u32::MAX),
                );
                return None;
            };
            if !(lo..=hi).contains(&n) {
                cx.error(v.span().start, key, format!("expected {expected}, found {n}"));
                return None;
            }
            Some(n)
        })
    }

    /// A calendar year in 1900..=2200 (the span the day arithmetic is meant for).
    pub(super) fn year(&mut self, name: &'static str, need: Need<i32>) -> Option<i32> {
        const EXPECTED: &str = "a year (a whole number in [1900, 2200])";
        self.read(name, need, EXPECTED, |cx, v, key| {
            let n = to_integer(cx, v, key, EXPECTED)?;
            match i32::try_from(n) {
                Ok(y) if (1900..=2200).contains(&y) => Some(y),
                _ => {
                    cx.error(v.span().start, key, format!("expected {EXPECTED}, found {n}"));
                    None
                }
            }
        })
    }

    pub(super) fn bool(&mut self, name: &'static str, need: Need<bool>) -> Option<bool> {
        const EXPECTED: &str = "a boolean (true or false)";
        self.read(name, need, EXPECTED, |cx, v, key| match v.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            other => {
                type_error(cx, v, key, EXPECTED, other);
                None
            }
        })
    }

    pub(super) fn string(&mut self, name: &'static str, need: Need<String>) -> Option<String> {
        self.read(name, need, "a string", |cx, v, key| match v.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            other => {
                type_error(cx, v, key, "a string", other);
                None
            }
        })
    }

    /// A date: a TOML local date (`2008-08-30`) or the same in a string.
    pub(super) fn date(&mut self, name: &'static str, need: Need<Date>) -> Option<Date> {
        self.read(name, need, DATE, to_date)
    }

    /// One of a fixed set of strings.
    pub(super) fn choice<T: Copy>(
        &mut self,
        name: &'static str,
        options: &[(&'static str, T)],
        need: Need<T>,
    ) -> Option<T> {
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        let expected = format!("one of {}", backticked(&names));
        self.read(name, need, &expected, |cx, v, key| match v.get_ref() {
            DeValue::String(s) => {
                if let Some((_, value)) = options.iter().find(|(n, _)| *n == s.as_ref()) {
                    return Some(*value);
                }
                let hint = closest(s, &names).map(|c| format!(", did you mean `{c}`?")).unwrap_or_default();
                cx.error(v.span().start, key, format!("expected {expected}, found `{s}`{hint}"));
                None
            }
            other => {
                type_error(cx, v, key, &expected, other);
                None
            }
        })
    }

    /// A sub-table. A wrong type is reported; absence is reported only if `required`.
    pub(super) fn table(&mut self, name: &'static str, required: bool) -> Lookup<Table<'a, 't>> {
        let key = self.key(name);
        match self.lookup(name) {
            None => {
                if required {
                    self.cx.error(
                        self.at,
                        key,
                        format!("missing required table `{name}` (expected [{}])", self.key(name)),
                    );
                }
                Lookup::Absent
            }
            Some(value) => match value.get_ref() {
                DeValue::Table(map) => Lookup::Found(Table::new(self.cx, map, value.span().start, key)),
                other => {
                    let expected = format!("a table ([{key}])");
                    type_error(self.cx, value, &key, &expected, other);
                    Lookup::Invalid
                }
            },
        }
    }

    /// A required section read with `read`.
    pub(super) fn section<T>(
        &mut self,
        name: &'static str,
        read: impl FnOnce(&mut Table<'a, 't>) -> Option<T>,
    ) -> Option<T> {
        match self.table(name, true) {
            Lookup::Found(mut table) => read(&mut table),
            Lookup::Absent | Lookup::Invalid => None,
        }
    }

    /// A sub-table of a dated entry: absent keeps the base (patch semantics), present is read
    /// against the base so that it too may give only the keys that change.
    pub(super) fn patch<'b, T: Clone>(
        &mut self,
        name: &'static str,
        base: Base<'b, T>,
        read: impl FnOnce(&mut Table<'a, 't>, Base<'b, T>) -> Option<T>,
    ) -> Option<T> {
        match self.table(name, matches!(base, Base::First)) {
            Lookup::Found(mut table) => read(&mut table, base),
            Lookup::Absent => match base {
                Base::Patch(previous) => Some(previous.clone()),
                Base::First | Base::Orphan => None,
            },
            Lookup::Invalid => None,
        }
    }

    /// An array of tables (`[[name]]`, or an inline array of inline tables). Absent is
    /// reported only if `required`; an absent optional array is found empty.
    pub(super) fn array_of_tables(&mut self, name: &'static str, required: bool) -> Lookup<Vec<Table<'a, 't>>> {
        let key = self.key(name);
        let expected = format!("an array of tables ([[{key}]])");
        let Some(value) = self.lookup(name) else {
            if required {
                self.cx.error(self.at, key, format!("missing required key `{name}` (expected {expected})"));
                return Lookup::Absent;
            }
            return Lookup::Found(Vec::new());
        };
        let DeValue::Array(items) = value.get_ref() else {
            let found = match value.get_ref() {
                // The commonest slip: `[province]` for `[[province]]`.
                DeValue::Table(_) => format!("a single table ([{key}])"),
                other => type_name(other).to_string(),
            };
            self.cx.error(value.span().start, key, format!("expected {expected}, found {found}"));
            return Lookup::Invalid;
        };
        let mut tables = Vec::with_capacity(items.len());
        let mut valid = true;
        for (i, item) in items.iter().enumerate() {
            let item_key = format!("{key}[{i}]");
            match item.get_ref() {
                DeValue::Table(map) => {
                    tables.push(Table::new(self.cx, map, item.span().start, item_key));
                }
                other => {
                    type_error(self.cx, item, &item_key, "a table", other);
                    valid = false;
                }
            }
        }
        if valid { Lookup::Found(tables) } else { Lookup::Invalid }
    }

    /// A Beta distribution written `{ a = .., b = .. }`, both > 0.
    pub(super) fn beta(&mut self, name: &'static str) -> Option<Beta> {
        const EXPECTED: &str = "a Beta distribution { a = .., b = .. } with a, b > 0";
        let key = self.key(name);
        match self.lookup(name) {
            None => {
                self.cx.error(self.at, key, format!("missing required key `{name}` (expected {EXPECTED})"));
                None
            }
            Some(value) => match value.get_ref() {
                DeValue::Table(map) => {
                    let mut t = Table::new(self.cx, map, value.span().start, key);
                    let a = t.f64("a", Num::Positive, Need::Required);
                    let b = t.f64("b", Num::Positive, Need::Required);
                    Some(Beta { a: a?, b: b? })
                }
                other => {
                    type_error(self.cx, value, &key, EXPECTED, other);
                    None
                }
            },
        }
    }

    /// A value per gravity class: a table with exactly the keys of [`GRAVITIES`]. Even in a
    /// patch all four must be given: a partial table would be too easy to misread.
    pub(super) fn per_gravity(
        &mut self,
        name: &'static str,
        check: Num,
        need: Need<PerGravity<f64>>,
    ) -> Option<PerGravity<f64>> {
        let expected = format!("a table {{ minor, medium, grave, especially_grave }} of {}s", check.describe());
        self.read(name, need, &expected, |cx, v, key| match v.get_ref() {
            DeValue::Table(map) => {
                // One diagnostic for all missing classes: a partial table is one mistake.
                let missing: Vec<&str> = GRAVITIES.into_iter().filter(|g| !map.contains_key(*g)).collect();
                if !missing.is_empty() {
                    cx.error(
                        v.span().start,
                        key,
                        format!(
                            "missing {}: a per-gravity table gives all four classes (minor, \
                             medium, grave, especially_grave), also in a later entry",
                            backticked(&missing)
                        ),
                    );
                }
                let mut t = Table::new(cx, map, v.span().start, key.to_string());
                let [minor, medium, grave, especially] = GRAVITIES.map(|g| t.f64(g, check, Need::Optional));
                Some([minor?, medium?, grave?, especially?])
            }
            other => {
                type_error(cx, v, key, &expected, other);
                None
            }
        })
    }
}

impl Drop for Table<'_, '_> {
    /// Reports the keys of this table that the loader never read: they are unknown here.
    fn drop(&mut self) {
        for (key, _) in self.map.iter() {
            let name: &str = key.get_ref();
            if self.known.contains(&name) {
                continue;
            }
            let path = self.key(name);
            let message = match (retired(&path), closest(name, &self.known)) {
                (Some(why), _) => format!("unknown key `{name}`: it was {why}"),
                (None, Some(near)) => format!("unknown key `{name}`, did you mean `{near}`?"),
                (None, None) => format!("unknown key `{name}`; valid keys here: {}", backticked(&self.known)),
            };
            self.cx.error(key.span().start, path, message);
        }
    }
}

/// Keys that were outcome shares used directly as chances, replaced by an actor's decision
/// (issue 19): the full key and what replaced it, so that an old scenario fails with a pointer.
const RETIRED: &[(&str, &str)] = &[
    ("behaviour.investigation.baseless_share", "replaced by `baseless_logit` (log-odds) and `baseless_load`"),
    (
        "behaviour.detention.alternative_share",
        "replaced by `alternative_logit` (log-odds) and `alternative_flight_response`",
    ),
    (
        "behaviour.trial.supplementary_return_back",
        "replaced by the procurator's choice `supplementary_back_logit` (log-odds), `supplementary_back_indicator` and `supplementary_back_evidence`",
    ),
    (
        "behaviour.private.reject",
        "replaced by the judge's choice `reject_logit` (log-odds), `reject_load` and `reject_weakness`",
    ),
    ("behaviour.private.transfer", "replaced by the judge's choice `transfer_logit` (log-odds) and `transfer_load`"),
    (
        "behaviour.private.withdraw",
        "replaced by the complainant's choice `withdraw_logit` (log-odds), `withdraw_weakness` and `withdraw_wait`",
    ),
    (
        "behaviour.private.reconcile",
        "replaced by the parties' choice `reconcile_logit` (log-odds) and `reconcile_load`",
    ),
    (
        "behaviour.appeal.acquit_on_overturn",
        "replaced by the appellate judges' choice `acquit_on_overturn_logit` (log-odds), `acquit_on_overturn_weakness` and `acquit_on_overturn_alignment`",
    ),
    (
        "behaviour.torture.complain_investigation",
        "replaced by `complain_investigation_logit` (log-odds) and `complain_gravity`",
    ),
    ("behaviour.torture.complain_trial", "replaced by `complain_trial_logit` (log-odds) and `complain_gravity`"),
    (
        "behaviour.torture.register_discretionary",
        "replaced by `register_discretionary_logit` (log-odds) and `register_clearance_response`",
    ),
    (
        "behaviour.torture.register_total",
        "replaced by `register_total_logit` (log-odds) and `register_clearance_response`",
    ),
    (
        "behaviour.torture.open_case",
        "replaced by the procurator's choice `open_case_logit` (log-odds) and `open_case_conviction_response`",
    ),
    (
        "behaviour.torture.to_court",
        "replaced by the procurator's choice `to_court_logit` (log-odds) and `to_court_acquittal_response`",
    ),
    ("behaviour.torture.reconciled", "replaced by `reconciled_logit` (log-odds) and `reconciled_closure_response`"),
];

/// What replaced a retired key (by its full path), if it is one.
fn retired(path: &str) -> Option<&'static str> {
    RETIRED.iter().find(|(key, _)| *key == path).map(|(_, why)| *why)
}

const DATE: &str = "a date (YYYY-MM-DD)";

fn describe_u32(lo: u32, hi: u32) -> String {
    match (lo, hi) {
        (0, u32::MAX) => "a whole number >= 0".to_string(),
        (lo, u32::MAX) => format!("a whole number >= {lo}"),
        (lo, hi) => format!("a whole number in [{lo}, {hi}]"),
    }
}

/// "expected X, found Y" for a value of the wrong TOML type.
fn type_error(cx: &Ctx<'_>, value: &Value<'_>, key: &str, expected: &str, found: &DeValue<'_>) {
    let hint = match found {
        DeValue::Float(_) if expected.starts_with("a whole number") || expected.starts_with("a year") => {
            " (write whole numbers without a decimal point)"
        }
        _ => "",
    };
    cx.error(value.span().start, key, format!("expected {expected}, found {}{hint}", type_name(found)));
}

/// A TOML integer as `i64`; a float or anything else is a type error.
fn to_integer(cx: &Ctx<'_>, value: &Value<'_>, key: &str, expected: &str) -> Option<i64> {
    match value.get_ref() {
        DeValue::Integer(int) => match i64::from_str_radix(int.as_str(), int.radix()) {
            Ok(n) => Some(n),
            Err(e) => {
                let message = match e.kind() {
                    IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => {
                        format!("number too large for a TOML integer (64 bits), found {}", cx.source_of(value))
                    }
                    _ => format!("expected {expected}, found `{}`", cx.source_of(value)),
                };
                cx.error(value.span().start, key, message);
                None
            }
        },
        other => {
            type_error(cx, value, key, expected, other);
            None
        }
    }
}

/// A number (TOML integer or float) that satisfies `check`.
fn to_f64(cx: &Ctx<'_>, value: &Value<'_>, key: &str, check: Num) -> Option<f64> {
    let expected = check.describe();
    let at = value.span().start;
    let x = match value.get_ref() {
        DeValue::Integer(_) => to_integer(cx, value, key, expected)? as f64,
        DeValue::Float(float) => match float.as_str().parse::<f64>() {
            Ok(x) if x.is_infinite() && !float.as_str().contains("inf") => {
                cx.error(at, key, format!("number too large for a 64-bit float, found {}", cx.source_of(value)));
                return None;
            }
            Ok(x) => x,
            Err(_) => {
                cx.error(at, key, format!("expected {expected}, found `{}`", cx.source_of(value)));
                return None;
            }
        },
        other => {
            type_error(cx, value, key, expected, other);
            return None;
        }
    };
    if check.accepts(x) {
        Some(x)
    } else {
        cx.error(at, key, format!("expected {expected}, found {}", cx.source_of(value)));
        None
    }
}

/// A date without time of day: a TOML local date, or a string holding one.
fn to_date(cx: &Ctx<'_>, value: &Value<'_>, key: &str) -> Option<Date> {
    let at = value.span().start;
    let datetime = match value.get_ref() {
        DeValue::Datetime(dt) => *dt,
        DeValue::String(s) => match s.trim().parse::<toml::value::Datetime>() {
            Ok(dt) => dt,
            Err(_) => {
                cx.error(at, key, format!("expected {DATE}, found the string \"{s}\""));
                return None;
            }
        },
        other => {
            type_error(cx, value, key, DATE, other);
            return None;
        }
    };
    match (datetime.date, datetime.time) {
        (Some(d), None) => Some(Date { year: i32::from(d.year), month: u32::from(d.month), day: u32::from(d.day) }),
        (Some(_), Some(_)) => {
            cx.error(at, key, format!("expected {DATE}, found a date-time; drop the time of day"));
            None
        }
        (None, _) => {
            cx.error(at, key, format!("expected {DATE}, found a time of day"));
            None
        }
    }
}
