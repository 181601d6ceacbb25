//! What produced a result: the scenario, the seeds, the code, the command; and its TOML form.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::io;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{CRATE_VERSION, GIT_REVISION};
use crate::shard::Shard;

/// How a result was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// The scenario's own name (from inside the file).
    pub scenario_name: String,
    /// The path the scenario was read from, as given on the command line.
    pub scenario_path: String,
    /// The full scenario text as read, so a result can be re-run even if the file changed.
    pub scenario_text: String,
    /// The seed every run's seed is derived from.
    pub master_seed: u64,
    /// The runs (seeds) actually completed, ascending.
    pub run_indices: Vec<u64>,
    /// The command line that produced the result.
    pub command_line: String,
    /// False when the batch was interrupted; the results then cover the finished runs only.
    pub complete: bool,
    /// Set when these results are one shard of a larger batch (`--shard`, a Slurm job array).
    pub shard: Option<ShardOf>,
    /// Set when the runs went over a parameter ensemble (`run --ensemble`): run `i` took member
    /// `i mod members`.
    pub ensemble: Option<EnsembleOf>,
}

/// The parameter ensemble runs went over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnsembleOf {
    /// The ensemble file's path as given.
    pub file: String,
    pub sha256: String,
    pub members: u64,
}

/// Which share of which batch a shard's results are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardOf {
    pub shard: Shard,
    /// Runs of the whole batch (run indices `0..batch_runs`); the shard owns
    /// `shard.runs(batch_runs)`.
    pub batch_runs: u64,
}

impl Provenance {
    /// SHA-256 of the scenario text's UTF-8 bytes, as 64 lowercase hex digits; equal to what
    /// `sha256sum` prints for the scenario file when it was read unchanged.
    pub fn scenario_sha256(&self) -> String {
        sha256_hex(self.scenario_text.as_bytes())
    }
}

/// SHA-256 of `bytes` as 64 lowercase hex digits: the fingerprint of every input recorded in
/// a provenance or a calibration state (equal to what `sha256sum` prints for a file).
pub fn sha256_hex(bytes: &[u8]) -> String {
    lower_hex(&Sha256::digest(bytes))
}

/// A digest as lowercase hex digits.
fn lower_hex(digest: &[u8]) -> String {
    digest.iter().fold(String::with_capacity(2 * digest.len()), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

/// SHA-256 of the file at `path`, read in pieces (a `results.h5` may be large), as
/// [`sha256_hex`] gives it.
///
/// # Errors
/// The I/O error of opening or reading the file.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut hasher = Sha256::new();
    io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    Ok(lower_hex(&hasher.finalize()))
}

/// `provenance.toml` read back (by `caseflow compare`, to say which runs it compares): every
/// key `provenance_toml` writes, and no other.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvenanceRecord {
    pub crate_version: String,
    pub git_revision: String,
    pub created_utc: String,
    pub command_line: String,
    pub complete: bool,
    pub scenario_name: String,
    pub scenario_path: String,
    pub scenario_sha256: String,
    pub master_seed: TomlU64,
    pub n_runs: u64,
    pub run_indices: Vec<TomlU64>,
    pub files: Vec<String>,
    /// SHA-256 of each result file but `provenance.toml` itself, by file name; absent from the
    /// provenance of versions before it was recorded (those are still read, unchecked).
    #[serde(default)]
    pub sha256: Option<BTreeMap<String, String>>,
    /// Present in a shard's results only.
    #[serde(default)]
    pub shard: Option<ShardRecord>,
    /// Present when the runs went over a parameter ensemble.
    #[serde(default)]
    pub ensemble: Option<EnsembleRecord>,
}

/// The `[ensemble]` table of `provenance.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnsembleRecord {
    pub file: String,
    pub sha256: String,
    pub members: u64,
}

/// The `[shard]` table of a shard's `provenance.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardRecord {
    pub index: u64,
    pub count: u64,
    /// The Slurm array task id of shard 0 (0 unless the array was numbered otherwise).
    pub task_base: u64,
    pub batch_runs: u64,
}

/// A u64 as `provenance.toml` holds it: a TOML integer, or a decimal string above i64::MAX.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum TomlU64 {
    Integer(u64),
    Text(String),
}

impl fmt::Display for TomlU64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TomlU64::Integer(n) => write!(f, "{n}"),
            TomlU64::Text(s) => f.write_str(s),
        }
    }
}

/// Reads the text of a `provenance.toml`.
///
/// # Errors
/// toml's error (with its span) for bad TOML, an unknown or missing key, or a wrong type.
pub fn read_provenance_toml(text: &str) -> Result<ProvenanceRecord, toml::de::Error> {
    toml::from_str(text)
}

/// `t` as ISO-8601 UTC to the second, e.g. `2024-03-01T12:00:00Z`.
///
/// The civil date is computed here (Howard Hinnant's `civil_from_days`) to avoid a date-time
/// dependency for one timestamp.
pub(crate) fn iso8601_utc(t: SystemTime) -> String {
    // Signed seconds, so a clock set before 1970 still gives a correct (if odd) date.
    let secs: i64 = match t.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let d = before.duration();
            // Round towards the past so the printed second is the one `t` falls in.
            let whole = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            -whole - i64::from(d.subsec_nanos() > 0)
        }
    };
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", of_day / 3600, of_day % 3600 / 60, of_day % 60)
}

/// (year, month 1-12, day 1-31) of the proleptic Gregorian date `days` after 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    // Shift the epoch to 0000-03-01, so leap days fall at the end of each (March-based) year.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097); // [0, 146096]
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153; // [0, 11]
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Everything `provenance.toml` holds besides the [`Provenance`] itself.
pub(crate) struct ProvenanceFile<'a> {
    pub prov: &'a Provenance,
    pub scenario_sha256: &'a str,
    pub created_utc: &'a str,
    /// Names of the files written, relative to the output directory.
    pub files: &'a [&'a str],
    /// File name of the HDF5 results, for the reading hint.
    pub hdf5_name: &'a str,
    /// (file name, SHA-256) of each file written beside `provenance.toml`.
    pub sha256: &'a [(&'a str, String)],
}

/// The text of `provenance.toml`.
///
/// Hand-written rather than serialised so that the comments (how to read the HDF5) and the
/// key order stay as a human reader expects.
pub(crate) fn provenance_toml(file: &ProvenanceFile<'_>) -> String {
    let prov = file.prov;
    let h5 = file.hdf5_name;
    let h5_quoted = toml_string(h5);
    let crate_version = toml_string(CRATE_VERSION);
    let git_revision = toml_string(GIT_REVISION);
    let created_utc = toml_string(file.created_utc);
    let command_line = toml_string(&prov.command_line);
    let complete = prov.complete;
    let scenario_name = toml_string(&prov.scenario_name);
    let scenario_path = toml_string(&prov.scenario_path);
    let scenario_sha256 = toml_string(file.scenario_sha256);
    let master_seed = toml_u64(prov.master_seed);
    let n_runs = prov.run_indices.len();
    let run_indices = join(prov.run_indices.iter().map(|&i| toml_u64(i)));
    let files = join(file.files.iter().map(|f| toml_string(f)));
    let sha256: String =
        file.sha256.iter().map(|(name, hash)| format!("{} = {}\n", toml_string(name), toml_string(hash))).collect();
    let shard = match prov.shard {
        None => String::new(),
        Some(ShardOf { shard, batch_runs }) => format!(
            "\n# One shard of a batch of {batch_runs} runs (`caseflow merge` joins the shards); it owns the runs\n\
             # {:?}. task_base is the Slurm array task id of shard 0.\n\
             [shard]\nindex = {}\ncount = {}\ntask_base = {}\nbatch_runs = {batch_runs}\n",
            shard.runs(batch_runs),
            shard.index,
            shard.count,
            shard.base
        ),
    };
    let ensemble = match &prov.ensemble {
        None => String::new(),
        Some(e) => format!(
            "\n# The runs went over a parameter ensemble: run i took member i mod {} of the file.\n\
             [ensemble]\nfile = {}\nsha256 = {}\nmembers = {}\n",
            e.members,
            toml_string(&e.file),
            toml_string(&e.sha256),
            e.members
        ),
    };
    format!(
        r#"# Provenance of the results in this directory, written by caseflow {CRATE_VERSION}.
# The scenario text itself is stored in {h5} (/provenance/scenario_text).
#
# Read the results in Python (h5py):
#   import h5py
#   with h5py.File({h5_quoted}, "r") as f:
#       values = f["runs/values"][...]           # [run, series, year]
#       names = f["series/names"].asstr()[...]
#       years = f["years"][...]
#       mean = f["summary/mean"][...]            # [series, year]; also sd, p05, p95
#       seed = f.attrs["master_seed"]
# or list its layout with: h5dump -H {h5}
#
# Integers above 9223372036854775807 do not fit a TOML integer and are written as strings.

crate_version = {crate_version}
git_revision = {git_revision}
created_utc = {created_utc}
command_line = {command_line}
complete = {complete}

scenario_name = {scenario_name}
scenario_path = {scenario_path}
scenario_sha256 = {scenario_sha256}

master_seed = {master_seed}
n_runs = {n_runs}
run_indices = [{run_indices}]

files = [{files}]

# SHA-256 of each file above but this one (what `sha256sum` prints): `compare`, `report` and
# `merge` refuse a file that does not match, e.g. one cut short when copied.
[sha256]
{sha256}{shard}{ensemble}"#
    )
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

/// A TOML integer when the value fits TOML's i64, else a decimal string (see the file header).
fn toml_u64(v: u64) -> String {
    if i64::try_from(v).is_ok() { v.to_string() } else { format!("\"{v}\"") }
}

/// `s` as a TOML basic string, escaping what the TOML spec requires.
pub fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            // Other C0 controls and DEL are not allowed raw in a basic string (C1 ones are).
            c if c < ' ' || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn iso8601_known_instants() {
        assert_eq!(iso8601_utc(at(0)), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601_utc(at(951_782_400)), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601_utc(at(1_700_000_000)), "2023-11-14T22:13:20Z");
        assert_eq!(iso8601_utc(at(4_107_542_399)), "2100-02-28T23:59:59Z");
        assert_eq!(iso8601_utc(at(4_107_542_400)), "2100-03-01T00:00:00Z");
        assert_eq!(iso8601_utc(UNIX_EPOCH - Duration::from_secs(1)), "1969-12-31T23:59:59Z");
        assert_eq!(iso8601_utc(UNIX_EPOCH - Duration::from_millis(500)), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn toml_string_escapes() {
        assert_eq!(toml_string("plain"), "\"plain\"");
        assert_eq!(toml_string("a\"b\\c\nd\te\u{1}f\u{7f}"), "\"a\\\"b\\\\c\\nd\\te\\u0001f\\u007F\"");
        // Non-ASCII text is valid raw in TOML and stays readable.
        assert_eq!(toml_string("Қарағанды"), "\"Қарағанды\"");
    }

    // Vectors from NIST's "SHA-256 examples" (FIPS 180-4 appendix / CSRC example values): the
    // fingerprints recorded in provenance and calibration states must stay what `sha256sum`
    // prints, whatever implements them.
    #[test]
    fn sha256_standard_vectors() {
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        // Two-block message: the padding spills into a second block.
        assert_eq!(
            sha256_hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        let million_a = vec![b'a'; 1_000_000];
        assert_eq!(sha256_hex(&million_a), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    }

    #[test]
    fn provenance_toml_reads_back() {
        let prov = Provenance {
            scenario_name: "tiny \"x\"".into(),
            scenario_path: "a\\b.toml".into(),
            scenario_text: "name = 1".into(),
            master_seed: u64::MAX,
            run_indices: vec![0, 3, u64::MAX],
            command_line: "caseflow run".into(),
            complete: false,
            shard: Some(ShardOf { shard: Shard { index: 1, count: 3, base: 1 }, batch_runs: 10 }),
            ensemble: None,
        };
        let text = provenance_toml(&ProvenanceFile {
            prov: &prov,
            scenario_sha256: &prov.scenario_sha256(),
            created_utc: "2024-03-01T12:00:00Z",
            files: &["results.h5"],
            hdf5_name: "results.h5",
            sha256: &[("results.h5", sha256_hex(b"h5"))],
        });
        let read = read_provenance_toml(&text).unwrap();
        assert_eq!(read.scenario_name, prov.scenario_name);
        assert_eq!(read.scenario_path, prov.scenario_path);
        assert_eq!(read.master_seed.to_string(), u64::MAX.to_string());
        assert_eq!(
            read.run_indices.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["0", "3", &u64::MAX.to_string()]
        );
        assert_eq!((read.n_runs, read.complete), (3, false));
        assert_eq!(read.shard, Some(ShardRecord { index: 1, count: 3, task_base: 1, batch_runs: 10 }));
        let hashes = read.sha256.expect("a [sha256] table");
        assert_eq!(hashes.get("results.h5").map(String::as_str), Some(sha256_hex(b"h5").as_str()));
        // The provenance of earlier versions, without it, is still read.
        let start = text.find("\n[sha256]").unwrap();
        let end = text[start + 1..].find("\n\n").map_or(text.len(), |i| start + 1 + i);
        let older = format!("{}{}", &text[..start], &text[end..]);
        assert!(!older.contains("[sha256]"), "{older}");
        assert_eq!(read_provenance_toml(&older).unwrap().sha256, None);
        let unknown = read_provenance_toml(&format!("{text}extra = 1\n")).unwrap_err();
        assert!(unknown.message().contains("unknown field `extra`"), "{unknown}");
    }

    #[test]
    fn sha256_of_a_file_read_in_pieces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(sha256_file(&path).unwrap(), sha256_hex(&bytes));
    }

    #[test]
    fn toml_u64_beyond_i64() {
        assert_eq!(toml_u64(42), "42");
        assert_eq!(toml_u64(u64::MAX), "\"18446744073709551615\"");
    }
}
