//! Editing a scenario's TOML text in place: finding the value at a key path and replacing its
//! bytes, and finding the text of a whole dated entry (to remove it).
//!
//! Everything is done on the text, through the spans of toml's parser (the same parser the
//! loader uses): every other byte of the scenario, comments and layout included, stays as it
//! was, and the edited text goes back through the loader, which validates it as it validates
//! any scenario. Calibration puts candidate values into the scenario this way, sweeps put
//! their design points, attribution removes dated entries.
//!
//! Key paths are dotted bare keys, where an array element is picked by its position or, for
//! the dated entries (`[[rules]]`, `[[incentives]]`, `[[staff_change]]`, `[[campaign]]`), by
//! the date in its `from` key:
//!
//! ```text
//! behaviour.trial.conscience
//! incentives[2].trial_judge.reversals          # the third [[incentives]] entry (from 0)
//! incentives[2009-01-01].trial_judge.reversals # the [[incentives]] entry from 2009-01-01
//! ```
//!
//! So one value can have two paths. The readers of key lists (sweep files, FREE.toml,
//! ensemble CSVs) locate every key and refuse two that reach the same value ([`overlaps`]),
//! naming both; [`splice`] refuses overlapping edits too, rather than write one value twice.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::closest;

/// How one step of a key path picks an element of an array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// The element at this position, from 0.
    Index(usize),
    /// The element whose `from` key is this date (`YYYY-MM-DD`).
    From(String),
}

/// One step of a key path: a table key, optionally picking an array element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub name: String,
    pub select: Option<Selector>,
}

/// Splits `behaviour.trial.effort_acquittal`, `incentives[1].trial_judge.reversals` or
/// `incentives[2009-01-01].trial_judge.reversals` into segments. Keys are bare TOML keys
/// (letters, digits, `_`, `-`).
///
/// # Errors
/// A message saying what is wrong with the path and how to write one.
pub fn parse_key_path(path: &str) -> Result<Vec<Segment>, String> {
    let bad = |why: &str| {
        Err(format!(
            "`{path}` is not a key path ({why}); write dotted bare keys such as `behaviour.trial.effort_acquittal`, \
             `incentives[1].trial_judge.reversals` or `incentives[2009-01-01].trial_judge.reversals`"
        ))
    };
    if path.is_empty() {
        return bad("it is empty");
    }
    let mut out = Vec::new();
    for part in path.split('.') {
        let (name, select) = match part.split_once('[') {
            None => (part, None),
            Some((name, rest)) => match rest.strip_suffix(']') {
                Some(inner) if is_date(inner) => (name, Some(Selector::From(inner.to_string()))),
                Some(inner) => match inner.parse::<usize>() {
                    Ok(i) => (name, Some(Selector::Index(i))),
                    Err(_) => return bad("an element is picked with `[N]` or `[YYYY-MM-DD]` at the end of a key"),
                },
                None => return bad("an element is picked with `[N]` or `[YYYY-MM-DD]` at the end of a key"),
            },
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return bad("empty key or a character other than letters, digits, `_` and `-`");
        }
        out.push(Segment { name: name.to_string(), select });
    }
    Ok(out)
}

/// `YYYY-MM-DD` in shape (the loader checks real dates; here it only tells a date from an index).
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// What kind of TOML value sits at a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    Integer,
    Float,
    Boolean,
    String,
    Date,
}

impl ValueKind {
    /// "an integer", "a float", ...: for messages.
    pub fn described(self) -> &'static str {
        match self {
            Self::Integer => "an integer",
            Self::Float => "a float",
            Self::Boolean => "a boolean",
            Self::String => "a string",
            Self::Date => "a date",
        }
    }
}

/// A value found at a key path.
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    /// Byte range of the value in the text.
    pub span: Range<usize>,
    pub kind: ValueKind,
    /// The value as a number, for integers and finite floats.
    pub number: Option<f64>,
    /// The path as walked, with array positions (`incentives[2].trial_judge.reversals`), for
    /// messages.
    pub walked: String,
}

/// The value (a number, boolean, string or date) at `path` in the parsed document.
///
/// # Errors
/// A message naming the step that fails: a missing key (with the closest existing key when it
/// looks like a typo), an element that does not exist, a table or array where a value was
/// expected.
pub fn locate(root: &DeTable<'_>, path: &str) -> Result<Located, String> {
    let segments = parse_key_path(path)?;
    let mut table = root;
    let mut walked = String::new();
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let Some(value) = table.get(seg.name.as_str()) else {
            let keys: Vec<&str> = table.keys().map(|k| k.get_ref().as_ref()).collect();
            let hint = closest(&seg.name, &keys).map_or_else(String::new, |k| format!("; did you mean `{k}`?"));
            let place = if walked.is_empty() { "at the top level".to_string() } else { format!("in `{walked}`") };
            return Err(format!("there is no key `{}` {place}{hint}", seg.name));
        };
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(&seg.name);
        let value = match &seg.select {
            None => value,
            Some(select) => {
                let (index, item) = select_element(value, select, &walked)?;
                walked.push_str(&format!("[{index}]"));
                item
            }
        };
        match (value.get_ref(), last) {
            (DeValue::Table(t), false) => table = t,
            (DeValue::Array(_), false) => {
                return Err(format!(
                    "`{walked}` is an array: pick an element with `{0}[N]` or `{0}[YYYY-MM-DD]`",
                    seg.name
                ));
            }
            (_, false) => return Err(format!("`{walked}` is a value, not a table")),
            (DeValue::Table(_), true) => {
                return Err(format!(
                    "`{walked}` is a table, not a number, boolean, string or date: name one of its keys"
                ));
            }
            (DeValue::Array(_), true) => return Err(format!("`{walked}` is an array, not a single value")),
            (other, true) => {
                let (kind, number) = match other {
                    DeValue::Integer(n) => {
                        let x = i64::from_str_radix(n.as_str(), n.radix())
                            .map_err(|_| format!("`{walked}` is an integer too large to set"))?;
                        (ValueKind::Integer, Some(x as f64))
                    }
                    DeValue::Float(f) => {
                        (ValueKind::Float, f.as_str().replace('_', "").parse::<f64>().ok().filter(|x| x.is_finite()))
                    }
                    DeValue::Boolean(_) => (ValueKind::Boolean, None),
                    DeValue::String(_) => (ValueKind::String, None),
                    _ => (ValueKind::Date, None),
                };
                return Ok(Located { span: value.span(), kind, number, walked });
            }
        }
    }
    // parse_key_path never returns an empty path.
    Err(format!("`{path}` is empty"))
}

/// The element of the array `value` that `select` picks, with its position.
fn select_element<'a, 't>(
    value: &'a Spanned<DeValue<'t>>,
    select: &Selector,
    walked: &str,
) -> Result<(usize, &'a Spanned<DeValue<'t>>), String> {
    let DeValue::Array(items) = value.get_ref() else {
        return Err(format!("`{walked}` is not an array, so no element of it can be picked"));
    };
    match select {
        Selector::Index(index) => match items.get(*index) {
            Some(item) => Ok((*index, item)),
            None => Err(format!("`{walked}` has {} elements (from 0), so no [{index}]", items.len())),
        },
        Selector::From(date) => {
            let dates: Vec<Option<String>> = items.iter().map(from_date).collect();
            let matching: Vec<usize> = (0..items.len()).filter(|&i| dates[i].as_deref() == Some(date)).collect();
            match matching.as_slice() {
                [i] => Ok((*i, &items[*i])),
                [] => {
                    let known: Vec<String> = dates.into_iter().flatten().collect();
                    let list = if known.is_empty() { "none".to_string() } else { known.join(", ") };
                    Err(format!("no `{walked}` entry is `from = {date}` (its entries are from {list})"))
                }
                _ => Err(format!(
                    "{} `{walked}` entries are `from = {date}`: pick one by position, e.g. `[{}]`",
                    matching.len(),
                    matching[0]
                )),
            }
        }
    }
}

/// The `from` date of an array element (a dated entry), as written.
pub fn from_date(item: &Spanned<DeValue<'_>>) -> Option<String> {
    let DeValue::Table(t) = item.get_ref() else { return None };
    match t.get("from")?.get_ref() {
        DeValue::Datetime(d) => Some(d.to_string()),
        _ => None,
    }
}

/// Whether two edits at these byte ranges would touch the same bytes (the same value reached
/// by two key paths, such as `incentives[2].x` and `incentives[2009-01-01].x`): the callers
/// refuse such a pair, naming both keys, before [`splice`] would.
pub fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a == b || (a.start < b.end && b.start < a.end)
}

/// `text` with each byte range replaced by its text (an empty range inserts; insertions at
/// the same offset go in the order given).
///
/// # Errors
/// When two ranges overlap (two edits of the same bytes: the callers refuse them before,
/// naming the keys, so this is a second line of defence), or a range is reversed, past the
/// end of the text or not on character boundaries.
pub fn splice(text: &str, edits: &[(Range<usize>, String)]) -> Result<String, String> {
    let mut order: Vec<usize> = (0..edits.len()).collect();
    order.sort_by_key(|&i| (edits[i].0.start, edits[i].0.end));
    let mut out = String::with_capacity(text.len() + edits.iter().map(|e| e.1.len()).sum::<usize>());
    let mut at = 0;
    let mut previous: Option<&Range<usize>> = None;
    for i in order {
        let (range, replacement) = &edits[i];
        if range.start < at {
            let earlier = previous.map_or_else(String::new, |p| format!(" and {}..{}", p.start, p.end));
            return Err(format!("two edits of the scenario overlap (bytes {}..{}{earlier})", range.start, range.end));
        }
        let inside = range.start <= range.end && text.get(range.clone()).is_some();
        let Some(before) = text.get(at..range.start).filter(|_| inside) else {
            return Err(format!(
                "an edit of the scenario at bytes {}..{} is reversed, outside its text ({} bytes) or splits a character",
                range.start,
                range.end,
                text.len()
            ));
        };
        out.push_str(before);
        out.push_str(replacement);
        at = range.end;
        previous = Some(range);
    }
    out.push_str(&text[at..]);
    Ok(out)
}

/// A number as it is written into a scenario: an integer, or a float in Rust's shortest
/// round-trip form (always with a `.` or an exponent, so TOML reads a float back), so the
/// scenario loaded back holds exactly this value.
pub fn format_number(v: f64, integral: bool) -> String {
    if integral { format!("{}", v as i64) } else { format!("{v:?}") }
}

/// Whether the loader insists on an integer at `span` (holding `original`): write a
/// non-integer there and see whether the scenario still loads. (The loader reads most numbers
/// as floats, which accept integers, and a few, such as `behaviour.learning.period_days`, as
/// integers.)
pub fn wants_integer(text: &str, label: &str, span: &Range<usize>, original: f64) -> bool {
    splice(text, &[(span.clone(), format_number(original + 0.5, false))])
        .map_or(true, |probe| super::load_str(&probe, label).is_err())
}

/// A string as a TOML basic string, escaped as TOML requires.
pub fn format_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The byte range of each element of the array of tables `name` at the top level (a dated
/// entry such as `[[rules]]`, with its sub-tables such as `[rules.reconciliation]`), in order:
/// from the start of its `[[name]]` header to the start of the next header that is not one of
/// its own sub-tables, or the end of the text. Removing that range removes the entry.
///
/// # Errors
/// When `name` is written as an inline array (`name = [...]`) rather than `[[name]]` tables.
pub fn entry_ranges(text: &str, root: &DeTable<'_>, name: &str) -> Result<Vec<Range<usize>>, String> {
    let Some(value) = root.get(name) else { return Ok(Vec::new()) };
    let DeValue::Array(items) = value.get_ref() else {
        return Err(format!("`{name}` is not an array of tables"));
    };
    let mut headers = Vec::new();
    collect_headers(text, root, &mut headers);
    headers.sort_unstable();
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let start = item.span().start;
        if !text[start..].starts_with("[[") {
            return Err(format!("`{name}` must be written as `[[{name}]]` tables to be removed entry by entry"));
        }
        let mut own = Vec::new();
        if let DeValue::Table(t) = item.get_ref() {
            collect_headers(text, t, &mut own);
        }
        let end = headers.iter().copied().find(|&h| h > start && !own.contains(&h)).unwrap_or(text.len());
        out.push(start..end);
    }
    Ok(out)
}

/// Start offsets of every table header (`[a]`, `[[a]]`) at or below `table`.
fn collect_headers(text: &str, table: &DeTable<'_>, out: &mut Vec<usize>) {
    for value in table.values() {
        match value.get_ref() {
            DeValue::Table(t) => {
                if text[value.span().start..].starts_with('[') {
                    out.push(value.span().start);
                }
                collect_headers(text, t, out);
            }
            DeValue::Array(items) => {
                for item in items {
                    if let DeValue::Table(t) = item.get_ref() {
                        if text[item.span().start..].starts_with("[[") {
                            out.push(item.span().start);
                        }
                        collect_headers(text, t, out);
                    }
                }
            }
            _ => {}
        }
    }
}

/// 1-based line and character column of byte offset `at` in `text`.
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_paths() {
        assert_eq!(parse_key_path("a.b").unwrap().len(), 2);
        let s = parse_key_path("incentives[1].trial_judge.reversals").unwrap();
        assert_eq!(s[0], Segment { name: "incentives".into(), select: Some(Selector::Index(1)) });
        let s = parse_key_path("incentives[2009-01-01].trial_judge").unwrap();
        assert_eq!(s[0].select, Some(Selector::From("2009-01-01".into())));
        assert!(parse_key_path("a..b").is_err());
        assert!(parse_key_path("a[x]").is_err());
        assert!(parse_key_path("a[2009-1-1]").is_err());
        assert!(parse_key_path("a b").is_err());
    }

    const DOC: &str = "x = 1\n[a]\nb = { c = 2.5, d = \"s\", e = true }\n\
                       [[r]]\nfrom = 2001-01-01\nv = 3\n[r.sub]\nw = 1\n\
                       # between\n[[r]]\nfrom = 2005-06-01\nv = -4e-2\n[z]\nq = 1\n";

    #[test]
    fn locate_values_in_tables_inline_tables_and_arrays() {
        let doc = DeTable::parse(DOC).unwrap();
        let root = doc.get_ref();
        let l = locate(root, "a.b.c").unwrap();
        assert_eq!((&DOC[l.span], l.number, l.kind), ("2.5", Some(2.5), ValueKind::Float));
        let l = locate(root, "r[1].v").unwrap();
        assert_eq!((&DOC[l.span.clone()], l.number), ("-4e-2", Some(-0.04)));
        assert_eq!(locate(root, "r[2005-06-01].v").unwrap().span, l.span);
        assert_eq!(l.walked, "r[1].v");
        assert_eq!(locate(root, "x").unwrap().kind, ValueKind::Integer);
        assert_eq!(locate(root, "a.b.d").unwrap().kind, ValueKind::String);
        assert_eq!(locate(root, "a.b.e").unwrap().kind, ValueKind::Boolean);
        assert_eq!(locate(root, "r[0].from").unwrap().kind, ValueKind::Date);
        assert!(locate(root, "a.b").unwrap_err().contains("a table"));
        assert!(locate(root, "r[2].v").unwrap_err().contains("2 elements"));
        assert!(locate(root, "r[2003-01-01].v").unwrap_err().contains("2001-01-01, 2005-06-01"));
        assert!(locate(root, "a.b.cc").unwrap_err().contains("did you mean `c`"));
        assert!(locate(root, "r.v").unwrap_err().contains("is an array"));
    }

    #[test]
    fn entries_span_their_sub_tables() {
        let doc = DeTable::parse(DOC).unwrap();
        let ranges = entry_ranges(DOC, doc.get_ref(), "r").unwrap();
        assert_eq!(ranges.len(), 2);
        assert_eq!(&DOC[ranges[0].clone()], "[[r]]\nfrom = 2001-01-01\nv = 3\n[r.sub]\nw = 1\n# between\n");
        assert_eq!(&DOC[ranges[1].clone()], "[[r]]\nfrom = 2005-06-01\nv = -4e-2\n");
        let without_first = splice(DOC, &[(ranges[0].clone(), String::new())]).unwrap();
        assert!(DeTable::parse(&without_first).is_ok());
        assert!(entry_ranges(DOC, doc.get_ref(), "none").unwrap().is_empty());
    }

    #[test]
    fn splice_keeps_everything_else() {
        let text = "a = 1.0 # one\nb = { c = 2, d = 3 }\n";
        assert_eq!(
            splice(text, &[(31..32, "30".to_string()), (4..7, "0.1".to_string()), (0..0, "# top\n".to_string())])
                .unwrap(),
            "# top\na = 0.1 # one\nb = { c = 2, d = 30 }\n"
        );
        // Touching ranges are not overlapping.
        assert_eq!(
            splice(text, &[(4..7, "2".into()), (7..7, "0".into())]).unwrap(),
            "a = 20 # one\nb = { c = 2, d = 3 }\n"
        );
    }

    #[test]
    fn overlapping_or_impossible_edits_are_errors_not_panics() {
        let text = "a = 1.0 # one\nb = é\n";
        // The same value twice (two spellings of one key), and one range inside another.
        let twice = splice(text, &[(4..7, "2.0".into()), (4..7, "3.0".into())]).unwrap_err();
        assert!(twice.contains("overlap") && twice.contains("4..7"), "{twice}");
        assert!(splice(text, &[(0..13, String::new()), (4..7, "2.0".into())]).unwrap_err().contains("overlap"));
        assert!(splice(text, &[(5..5, "x".into()), (4..7, "2.0".into())]).unwrap_err().contains("overlap"));
        // Reversed, past the end, inside a character.
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = 7..4;
        assert!(splice(text, &[(reversed, String::new())]).is_err());
        assert!(splice(text, &[(4..99, String::new())]).unwrap_err().contains("outside"));
        assert!(splice(text, &[(18..19, String::new())]).is_err());
    }

    #[test]
    fn formatted_values_round_trip() {
        for v in [0.1, 1.0 / 3.0, 1e-7, 12345678.9, -2.5, 1e16, 5e-324] {
            let s = format_number(v, false);
            assert_eq!(s.parse::<f64>().unwrap().to_bits(), v.to_bits(), "{s}");
            assert!(s.contains(['.', 'e']), "{s} would read back as a TOML integer");
        }
        assert_eq!(format_number(30.0, true), "30");
        for s in ["plain", "a\"b", "it's", "x\ny\\"] {
            let line = format!("k = {}", format_string(s));
            let doc = DeTable::parse(&line).unwrap();
            assert!(matches!(doc.get_ref().get("k").unwrap().get_ref(), DeValue::String(v) if v == s), "{s}");
        }
    }

    #[test]
    fn line_and_column() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("é\nx", 2), (1, 2));
    }
}
