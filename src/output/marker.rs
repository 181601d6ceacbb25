//! The commit marker of a set of files that a command writes one at a time into a directory
//! it may share with other sets (`caseflow calibrate`, `screen` and `ensemble`: a fit's
//! directory holds the calibration's files and the ensemble's).
//!
//! Each file of the set is written atomically on its own, but a set is more than its files: a
//! process killed between two of them would leave new files beside old ones, which look like a
//! finished result. So, as a run's `provenance.toml` vouches for its files, a marker file
//! vouches for the set: before the first file of the set is touched it is replaced (atomically)
//! by one that says `status = "writing"`, and once every file is in place by one that says
//! `status = "complete"` with the SHA-256 of each file and how they were made. A reader refuses
//! a set whose marker says "writing" (killed or interrupted part way) or whose files do not
//! match it.
//!
//! The marker is rewritten first rather than removed (as a run's `provenance.toml` is) so that
//! an absent marker keeps one meaning: a set written before markers existed (the committed fits
//! under `results/calibration/`), which readers accept as they always did. A set that a
//! marker-aware caseflow has started to write always has one.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;
use std::time::SystemTime;

use serde::Deserialize;

use super::provenance::{iso8601_utc, sha256_file, toml_string};
use super::{CRATE_VERSION, GIT_REVISION, write_file_atomic};

/// `status` of a marker whose set is being written.
pub const WRITING: &str = "writing";
/// `status` of a marker whose set is whole.
pub const COMPLETE: &str = "complete";

/// A set of files one command writes into a directory, and its marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarkedSet {
    /// The command, as in `caseflow <command>`.
    pub command: &'static str,
    /// The marker's file name.
    pub marker: &'static str,
    /// The files of the set, written before the marker is completed.
    pub files: &'static [&'static str],
    /// What to do about a set left incomplete, for the reader's message.
    pub remedy: &'static str,
}

/// A marker read back: what a reader needs of it.
#[derive(Debug, Deserialize)]
struct MarkerRecord {
    status: String,
    #[serde(default)]
    sha256: BTreeMap<String, String>,
}

impl MarkedSet {
    /// Marks the set in `dir` as being written (creating `dir`): call it before the first file
    /// of the set is replaced.
    ///
    /// # Errors
    /// The I/O error of writing the marker; nothing of the set has been touched then.
    pub fn begin(&self, dir: &Path, command_line: &str) -> io::Result<()> {
        let text = format!(
            "{}# Being written: a set left so was not finished (killed or interrupted), and readers refuse it.\n\n\
             status = {}\n{}",
            self.head(),
            toml_string(WRITING),
            common_keys(command_line)
        );
        write_file_atomic(&dir.join(self.marker), text.as_bytes())
    }

    /// Completes the set in `dir`: its marker says `complete`, with `about` (TOML `key = value`
    /// lines: how the files were made, their inputs) and the SHA-256 of each file of the set
    /// as it is on disk. Call it once every file is in place.
    ///
    /// # Errors
    /// The I/O error of reading a file of the set or of writing the marker (which then still
    /// says `writing`).
    pub fn finish(&self, dir: &Path, command_line: &str, about: &str) -> io::Result<()> {
        let mut hashes = String::new();
        for name in self.files {
            let hash = sha256_file(&dir.join(name))?;
            hashes.push_str(&format!("{} = {}\n", toml_string(name), toml_string(&hash)));
        }
        let text = format!(
            "{}\nstatus = {}\n{}\n{about}\n# SHA-256 of each file of the set (what `sha256sum` prints): readers refuse a file that\n\
             # does not match (changed by hand: copy it out of this directory first).\n[sha256]\n{hashes}",
            self.head(),
            toml_string(COMPLETE),
            common_keys(command_line)
        );
        write_file_atomic(&dir.join(self.marker), text.as_bytes())
    }

    /// The opening comment of the marker.
    fn head(&self) -> String {
        format!(
            "# The record of the files `caseflow {}` wrote into this directory, and the mark that\n\
             # they are whole: it says \"writing\" before the first is replaced and \"complete\" after\n\
             # the last (docs/calibration.md, \"Fit directories\"). The files: {}.\n",
            self.command,
            self.files.join(", ")
        )
    }

    /// Checks, for a reader of one of the set's files in `dir`, that the set there is whole:
    /// a marker that says it is complete, and every file matching the SHA-256 it records. A
    /// directory without the marker holds a set written before markers existed (or none):
    /// accepted, as before.
    ///
    /// # Errors
    /// One message naming the directory, the marker and what is wrong or missing.
    pub fn check(&self, dir: &Path) -> Result<(), String> {
        let marker = dir.join(self.marker);
        let text = match std::fs::read_to_string(&marker) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(format!("cannot read {}: {e}", marker.display())),
        };
        let what = format!("the files of `caseflow {}` in {}", self.command, dir.display());
        let record: MarkerRecord = toml::from_str(&text).map_err(|e| {
            format!("{what} cannot be trusted: {} is damaged ({}); {}", self.marker, e.message().trim(), self.remedy)
        })?;
        if record.status != COMPLETE {
            return Err(format!(
                "{what} are incomplete: {} says the command was still writing them (it was killed or \
                 interrupted part way), so new files may sit beside old ones; {}",
                self.marker, self.remedy
            ));
        }
        for name in self.files {
            let Some(want) = record.sha256.get(*name) else {
                return Err(format!(
                    "{what} cannot be trusted: {} records no SHA-256 for {name}; {}",
                    self.marker, self.remedy
                ));
            };
            let got = match sha256_file(&dir.join(name)) {
                Ok(h) => h,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Err(format!(
                        "{what} are incomplete: {name} is missing ({} lists it); {}",
                        self.marker, self.remedy
                    ));
                }
                Err(e) => return Err(format!("cannot read {}: {e}", dir.join(name).display())),
            };
            if got != *want {
                return Err(format!(
                    "{what} disagree with {}: {name} has changed since the command wrote it (a file edited \
                     by hand: copy it out of this directory first); {}",
                    self.marker, self.remedy
                ));
            }
        }
        Ok(())
    }
}

/// The keys both states of a marker hold: which caseflow, when, and the command line.
fn common_keys(command_line: &str) -> String {
    format!(
        "crate_version = {}\ngit_revision = {}\ncreated_utc = {}\ncommand_line = {}\n",
        toml_string(CRATE_VERSION),
        toml_string(GIT_REVISION),
        toml_string(&iso8601_utc(SystemTime::now())),
        toml_string(command_line)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SET: MarkedSet =
        MarkedSet { command: "test", marker: "test.provenance.toml", files: &["a.csv", "b.md"], remedy: "rerun it" };

    #[test]
    fn a_set_is_whole_only_between_finish_and_the_next_begin() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // No marker: a set of before markers, accepted.
        SET.check(d).unwrap();
        SET.begin(d, "caseflow test").unwrap();
        let err = SET.check(d).unwrap_err();
        assert!(err.contains("are incomplete: test.provenance.toml says the command was still writing"), "{err}");
        std::fs::write(d.join("a.csv"), "x\n").unwrap();
        std::fs::write(d.join("b.md"), "y\n").unwrap();
        SET.finish(d, "caseflow test", "seed = 1\n").unwrap();
        SET.check(d).unwrap();
        let text = std::fs::read_to_string(d.join(SET.marker)).unwrap();
        let table: toml::Table = text.parse().unwrap();
        assert_eq!(table["status"].as_str(), Some(COMPLETE));
        assert_eq!(table["seed"].as_integer(), Some(1));
        assert_eq!(table["sha256"]["a.csv"].as_str(), Some(super::super::sha256_hex(b"x\n").as_str()));

        std::fs::write(d.join("b.md"), "z\n").unwrap();
        let err = SET.check(d).unwrap_err();
        assert!(err.contains("disagree with test.provenance.toml: b.md has changed"), "{err}");
        std::fs::remove_file(d.join("b.md")).unwrap();
        let err = SET.check(d).unwrap_err();
        assert!(err.contains("b.md is missing"), "{err}");
        std::fs::write(d.join(SET.marker), "status = ").unwrap();
        assert!(SET.check(d).unwrap_err().contains("test.provenance.toml is damaged"));
    }
}
