//! The published figures a run is compared with (`data/targets.csv`), and the CSV reading
//! shared with `summary.csv`.
//!
//! The file has the columns `series,year,value,unit,kind,source,note` (RFC 4180: a field may be
//! quoted, and a quoted field may hold commas, doubled quotes and line breaks). `kind` is
//! `input` (a figure the scenario takes as given, such as registered crimes) or `target` (an
//! outcome the model must reproduce); only targets are compared. Every problem is reported
//! with its file, line and column name, all of them in one pass, as scenario errors are.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use super::{CalibrateError, Problem};

/// Whether a row is a model input or an outcome to reproduce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    Input,
    Target,
}

/// One row of the targets file.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetRow {
    pub series: String,
    pub year: i32,
    /// The published value.
    pub value: f64,
    /// `cases`, `defendants`, `share`, ...; a `share` is compared with an absolute tolerance too.
    pub unit: String,
    pub kind: TargetKind,
    pub source: String,
    pub note: String,
    /// 1-based line where the row starts in its file (0 for rows made in code).
    pub line: usize,
}

impl TargetRow {
    /// A target row made in code (tests, targets generated from the model itself).
    pub fn target(series: &str, year: i32, value: f64, unit: &str) -> TargetRow {
        TargetRow {
            series: series.to_string(),
            year,
            value,
            unit: unit.to_string(),
            kind: TargetKind::Target,
            source: String::new(),
            note: String::new(),
            line: 0,
        }
    }

    /// True for proportions, which the hit rule and the loss treat on an absolute scale.
    pub fn is_share(&self) -> bool {
        self.unit == "share"
    }

    /// The series group this row counts towards (see [`series_group`]).
    pub fn group(&self) -> &str {
        series_group(&self.series)
    }
}

/// The group of a series for the per-group hits and loss: the part of its name before the
/// first '.', with `court` counted as `trial` (cases heard are the trial courts' workload) and
/// `sentencing` as `prison` (the prison share of sentences feeds the prison population). Any
/// other prefix is its own group.
pub fn series_group(series: &str) -> &str {
    let prefix = series.split('.').next().unwrap_or(series);
    match prefix {
        "court" => "trial",
        "sentencing" => "prison",
        other => other,
    }
}

/// The groups named in the issue, in the order reports list them; other groups follow in
/// alphabetical order.
pub const GROUP_ORDER: [&str; 9] =
    ["procurator", "trial", "private", "jury", "detention", "prison", "reconciliation", "appeal", "torture"];

/// Reads and validates a targets file (all rows, inputs included).
///
/// # Errors
/// [`CalibrateError::Input`] listing every problem (file, line, column), or for an unreadable
/// file.
pub fn load_targets(path: &Path) -> Result<Vec<TargetRow>, CalibrateError> {
    let label = path.display().to_string();
    let text = super::read_text(path, &label)?;
    parse_targets(&text, &label)
}

/// Parses the text of a targets file; `file` names it in diagnostics.
///
/// Columns may come in any order; `series`, `year`, `value`, `unit` and `kind` are required,
/// `source` and `note` optional, any other column is an error (most likely a typo). Two
/// `target` rows for the same series and year are an error: one of them would count twice.
///
/// # Errors
/// [`CalibrateError::Input`] listing every problem found.
pub fn parse_targets(text: &str, file: &str) -> Result<Vec<TargetRow>, CalibrateError> {
    const REQUIRED: [&str; 5] = ["series", "year", "value", "unit", "kind"];
    const OPTIONAL: [&str; 2] = ["source", "note"];
    let records = parse_csv_records(text, file)?;
    let (header, rows) = split_header(&records, file)?;

    let mut problems = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, name) in header.fields.iter().enumerate() {
        let name = name.trim();
        if !REQUIRED.contains(&name) && !OPTIONAL.contains(&name) {
            problems.push(Problem::at(
                file,
                header.line,
                &format!("column {}", i + 1),
                format!(
                    "unknown column `{name}` (the columns are {})",
                    REQUIRED.iter().chain(&OPTIONAL).copied().collect::<Vec<_>>().join(",")
                ),
            ));
        } else if index.insert(name, i).is_some() {
            problems.push(Problem::at(file, header.line, &column(name), "the column appears twice".to_string()));
        }
    }
    for name in REQUIRED {
        if !index.contains_key(name) {
            problems.push(Problem::at(file, header.line, &column(name), "required column is missing".to_string()));
        }
    }
    if !problems.is_empty() {
        return Err(CalibrateError::Input(problems));
    }
    // All required columns are present, so these lookups cannot fail.
    let col = |name: &str| index.get(name).copied();

    let mut out = Vec::with_capacity(rows.len());
    // (series, year) of each target row -> the line it was first given on.
    let mut seen: HashMap<(String, i32), usize> = HashMap::new();
    for record in rows {
        if record.fields.len() != header.fields.len() {
            problems.push(field_count_problem(file, record, header.fields.len(), " (as in the header)"));
            continue;
        }
        let get = |name: &str| col(name).map_or("", |i| record.fields[i].as_str());
        let mut bad =
            |name: &str, message: String| problems.push(Problem::at(file, record.line, &column(name), message));

        let series = get("series").trim();
        if series.is_empty() {
            bad("series", "the series name is empty".to_string());
        }
        let year = match get("year").trim().parse::<i32>() {
            Ok(y) => Some(y),
            Err(_) => {
                bad("year", format!("expected a year (an integer), found `{}`", get("year")));
                None
            }
        };
        let value = match get("value").trim().parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                bad("value", format!("expected a finite number, found `{}`", get("value")));
                None
            }
        };
        let unit = get("unit").trim();
        if unit.is_empty() {
            bad("unit", "the unit is empty (e.g. cases, defendants, share)".to_string());
        }
        let kind = match get("kind").trim() {
            "input" => Some(TargetKind::Input),
            "target" => Some(TargetKind::Target),
            other => {
                bad("kind", format!("expected `input` or `target`, found `{other}`"));
                None
            }
        };
        let (Some(year), Some(value), Some(kind)) = (year, value, kind) else { continue };
        if series.is_empty() || unit.is_empty() {
            continue;
        }
        if kind == TargetKind::Target
            && let Some(first) = seen.insert((series.to_string(), year), record.line)
        {
            problems.push(Problem::at(
                file,
                record.line,
                "",
                format!("duplicate target: {series} {year} is already given on line {first}"),
            ));
            continue;
        }
        out.push(TargetRow {
            series: series.to_string(),
            year,
            value,
            unit: unit.to_string(),
            kind,
            source: get("source").to_string(),
            note: get("note").to_string(),
            line: record.line,
        });
    }
    if problems.is_empty() { Ok(out) } else { Err(CalibrateError::Input(problems)) }
}

fn column(name: &str) -> String {
    format!("column `{name}`")
}

/// One CSV record and the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

/// Splits CSV text into records with the `csv` crate (RFC 4180, plus what real files do: LF
/// or CRLF line ends, a final line without a line end, a UTF-8 byte-order mark, blank lines
/// skipped), each with the line it starts on.
///
/// The crate reads malformed quoting leniently rather than failing (a quote that is never
/// closed takes the rest of the file into its field, a quote inside an unquoted field is kept
/// as a character). A well-formed record holds an even number of quotes, so a record with an
/// odd number is reported here, at its line.
///
/// # Errors
/// [`CalibrateError::Input`] with every record whose quotes do not pair up.
pub(crate) fn parse_csv_records(text: &str, file: &str) -> Result<Vec<Record>, CalibrateError> {
    let bytes = text.as_bytes();
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut records = Vec::new();
    let mut starts = Vec::new();
    for result in reader.records() {
        let record = result.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            CalibrateError::Input(vec![Problem::at(file, line, "", format!("not valid CSV: {e}"))])
        })?;
        // The crate's position is where the record's reading began, before the blank lines it
        // skipped (and its line count leaves them out): the record starts at the first byte
        // after them.
        let mut at = record.position().map_or(0, |p| p.byte() as usize).min(bytes.len());
        while at < bytes.len() && matches!(bytes[at], b'\n' | b'\r') {
            at += 1;
        }
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        starts.push(at);
        records.push(Record { line, fields: record.iter().map(str::to_string).collect() });
    }
    let mut problems = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let raw = &bytes[starts[i]..starts.get(i + 1).copied().unwrap_or(bytes.len())];
        if raw.iter().filter(|&&b| b == b'"').count() % 2 == 1 {
            problems.push(Problem::at(
                file,
                record.line,
                "",
                "unbalanced quotes: a quoted field is never closed, or a quote stands inside an unquoted \
                 field (quote the whole field and double the quotes inside it)"
                    .to_string(),
            ));
        }
    }
    if problems.is_empty() { Ok(records) } else { Err(CalibrateError::Input(problems)) }
}

/// The problem of a record with another number of fields than `expected` (`what` says where
/// the expectation comes from, e.g. " (as in the header)").
pub(crate) fn field_count_problem(file: &str, record: &Record, expected: usize, what: &str) -> Problem {
    let found = record.fields.len();
    Problem::at(file, record.line, "", format!("expected {expected} fields{what}, found {found}"))
}

/// Splits the header record from the rows; an empty file is an error.
pub(crate) fn split_header<'r>(
    records: &'r [Record],
    file: &str,
) -> Result<(&'r Record, &'r [Record]), CalibrateError> {
    records.split_first().ok_or_else(|| {
        CalibrateError::Input(vec![Problem::whole_file(file, "the file is empty: expected a header line")])
    })
}

impl fmt::Display for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TargetKind::Input => "input",
            TargetKind::Target => "target",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<Record> {
        parse_csv_records(text, "t.csv").unwrap()
    }

    fn fields(text: &str) -> Vec<Vec<String>> {
        read(text).into_iter().map(|r| r.fields).collect()
    }

    #[test]
    fn csv_quoting_per_rfc_4180() {
        assert_eq!(fields("a,b\n1,\"x, y\"\n"), vec![vec!["a", "b"], vec!["1", "x, y"]]);
        assert_eq!(fields("\"say \"\"hi\"\"\",2"), vec![vec!["say \"hi\"", "2"]]);
        assert_eq!(fields("a,\n,b\r\n"), vec![vec!["a", ""], vec!["", "b"]]);
        assert_eq!(fields("\u{feff}a\n\n\nb\n"), vec![vec!["a"], vec!["b"]]);
        assert_eq!(fields("\"\"\n"), vec![vec![""]]);
    }

    #[test]
    fn csv_line_numbers_count_line_breaks_inside_quotes() {
        let records = read("h\n\"two\nlines\"\nnext\n\n\nlast\r\n");
        assert_eq!(records.iter().map(|r| r.line).collect::<Vec<_>>(), vec![1, 2, 4, 7]);
        let with_bom = read("\u{feff}h\n\nx\n");
        assert_eq!(with_bom.iter().map(|r| r.line).collect::<Vec<_>>(), vec![1, 3]);
    }

    #[test]
    fn unbalanced_quotes_are_reported_at_their_record() {
        let err = |text: &str| parse_csv_records(text, "t.csv").unwrap_err().to_string();
        assert!(err("a,b\n1,2\n3,\"open\n4,5\n").starts_with("t.csv:3: unbalanced quotes"));
        assert!(err("a\nb\"c\n").starts_with("t.csv:2: unbalanced quotes"));
        let p = field_count_problem("t.csv", &read("a,b\n1\n")[1], 2, " (as in the header)").to_string();
        assert_eq!(p, "t.csv:2: expected 2 fields (as in the header), found 1");
    }

    #[test]
    fn groups() {
        assert_eq!(series_group("court.cases_heard"), "trial");
        assert_eq!(series_group("sentencing.prison_share"), "prison");
        assert_eq!(series_group("jury.cases"), "jury");
        assert_eq!(series_group("province.North.convicted_public"), "province");
        assert_eq!(series_group("nodot"), "nodot");
    }
}
