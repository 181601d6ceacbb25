//! Problems found in a scenario file, located by line, column and key path, and the "did you
//! mean" hint for a misspelt name. Kept apart from the loader (`load`) and the TOML walker
//! (`toml_walk`), which both report through it.

use std::fmt;

/// One problem found in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    /// 1-based; 0 when the whole file is at fault (missing, a directory, not text, empty).
    pub line: usize,
    /// 1-based, in characters; 0 with `line`.
    pub column: usize,
    /// Dotted key path, e.g. `rules[3].reconciliation.minor` (array elements count from 0);
    /// empty when the whole file is at fault or for a TOML syntax error.
    pub key: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    /// `FILE:LINE:COLUMN: key `KEY`: MESSAGE`, or `FILE: MESSAGE` for whole-file problems.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        write!(f, ": ")?;
        if !self.key.is_empty() {
            write!(f, "key `{}`: ", self.key)?;
        }
        write!(f, "{}", self.message)
    }
}

/// Why a scenario could not be loaded: every problem found, in file order. Never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub diagnostics: Vec<Diagnostic>,
}

impl ScenarioError {
    /// A problem with the file as a whole (line and column 0).
    pub(super) fn whole_file(file: &str, message: impl Into<String>) -> Self {
        ScenarioError {
            diagnostics: vec![Diagnostic {
                file: file.to_string(),
                line: 0,
                column: 0,
                key: String::new(),
                message: message.into(),
            }],
        }
    }
}

impl fmt::Display for ScenarioError {
    /// One diagnostic per line, then `N error(s) in FILE`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in &self.diagnostics {
            writeln!(f, "{diagnostic}")?;
        }
        let n = self.diagnostics.len();
        let file = self.diagnostics.first().map_or("", |d| d.file.as_str());
        let noun = if n == 1 { "error" } else { "errors" };
        write!(f, "{n} {noun} in {file}")
    }
}

impl std::error::Error for ScenarioError {}

/// The candidate nearest to `word`, if it is close enough to be a plausible typo: about a third
/// of the candidate's length, at least 1 and at most 3 edits. The distance counts insertions,
/// deletions, substitutions and swaps of adjacent characters (optimal string alignment), so
/// `jduge` is one edit from `judge`. The one "did you mean" of every input file.
pub(crate) fn closest<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    candidates
        .iter()
        .map(|&c| (strsim::osa_distance(word, c), c))
        .filter(|&(d, c)| d <= (c.chars().count().div_ceil(3)).clamp(1, 3))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Where a file's bytes first stop being UTF-8, as (1-based line, 1-based character column,
/// the offending byte), or `None` for valid UTF-8: a file saved in another encoding (a Latin-1
/// or Windows-1251 byte in a comment) is reported at its place, not as a whole.
pub(crate) fn first_bad_utf8(bytes: &[u8]) -> Option<(usize, usize, u8)> {
    let at = std::str::from_utf8(bytes).err()?.valid_up_to();
    let good = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
    let line = good.matches('\n').count() + 1;
    let column = good.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Some((line, column, bytes[at]))
}

/// The message for [`first_bad_utf8`]'s byte.
pub(crate) fn bad_utf8_message(byte: u8) -> String {
    format!("not valid UTF-8 (byte 0x{byte:02X}): save the file as UTF-8")
}

/// The message for a path that exists but is not a regular file (a FIFO, a device): reading it
/// could block or never end.
pub(crate) const NOT_A_REGULAR_FILE: &str = "not a regular file";
