//! The journal of a sweep: an append-only file holding each finished point's values, written
//! as points finish, so that a sweep stopped at any moment (Ctrl-C, SIGKILL) loses at most the
//! points under way, and resumes from the points the journal holds.
//!
//! Points are written as they finish (a kill loses none of them: they are in the operating
//! system's cache) and synced to the disk after each batch of points (a power loss loses at
//! most the last batch), not after each point: on small scenarios a sync per point cost more
//! than the point.
//!
//! Layout: a header line `caseflow sweep journal 1 <fingerprint>\n`, then records
//! `[b"PNT1"][point: u64][count: u64][count x f64][checksum: u64]`, little-endian; the checksum
//! is FNV-1a (64 bit) of the point, count and value bytes. A record cut short or damaged by a
//! kill is at the end, and is cut off when the journal is opened again. The fingerprint names
//! what the values depend on (sweep file, scenario, caseflow build); a journal with another
//! fingerprint is never mixed with new points.
//!
//! Memory does not grow with the values: the journal keeps only each point's offset in the
//! file, and reads a point's values back when asked.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 4] = b"PNT1";
const HEADER: &str = "caseflow sweep journal 1 ";

/// Why a journal cannot be used.
#[derive(Debug)]
pub enum JournalError {
    /// The journal belongs to another sweep (another fingerprint).
    Mismatch {
        path: PathBuf,
    },
    Io {
        path: PathBuf,
        source: io::Error,
    },
}

impl std::fmt::Display for JournalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Mismatch { path } => write!(
                f,
                "{} holds the finished points of another sweep (another sweep file, scenario or caseflow build); \
                 pass --force to start over, or choose another --out",
                path.display()
            ),
            Self::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for JournalError {}

/// An open journal.
pub struct Journal {
    path: PathBuf,
    file: File,
    /// Byte offset of each finished point's values.
    offsets: BTreeMap<u64, u64>,
    /// Values per point.
    count: usize,
    /// Where the next record goes.
    end: u64,
    /// Bytes of damaged or cut-short records cut off when it was opened.
    dropped: u64,
}

fn fnv1a(state: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(state, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

impl Journal {
    /// Opens the journal at `path`, or creates it. An existing journal with another
    /// `fingerprint` is refused; its damaged tail, if any, is cut off. `count` values per point.
    ///
    /// # Errors
    /// [`JournalError::Mismatch`] for another sweep's journal, [`JournalError::Io`] otherwise.
    pub fn open(path: &Path, fingerprint: &str, count: usize) -> Result<Journal, JournalError> {
        let io_err = |source| JournalError::Io { path: path.to_path_buf(), source };
        let header = format!("{HEADER}{fingerprint}\n");
        let mut file =
            OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path).map_err(io_err)?;
        let mut len = file.metadata().map_err(io_err)?.len();
        if 0 < len && len < header.len() as u64 {
            // A header cut short by a kill right after the journal was created: start it anew.
            let mut start = Vec::new();
            file.read_to_end(&mut start).map_err(io_err)?;
            if header.as_bytes().starts_with(&start) {
                file.set_len(0).map_err(io_err)?;
                file.seek(SeekFrom::Start(0)).map_err(io_err)?;
                len = 0;
            }
        }
        if len == 0 {
            file.write_all(header.as_bytes()).map_err(io_err)?;
            file.sync_all().map_err(io_err)?;
            if let Some(dir) = path.parent() {
                // The journal's name must survive a crash too.
                let _ = File::open(if dir.as_os_str().is_empty() { Path::new(".") } else { dir })
                    .and_then(|d| d.sync_all());
            }
            return Ok(Journal {
                path: path.to_path_buf(),
                file,
                offsets: BTreeMap::new(),
                count,
                end: header.len() as u64,
                dropped: 0,
            });
        }
        let mut reader = BufReader::new(&file);
        let mut found = vec![0u8; header.len()];
        if reader.read_exact(&mut found).is_err() || found != header.as_bytes() {
            return Err(JournalError::Mismatch { path: path.to_path_buf() });
        }
        let mut offsets = BTreeMap::new();
        let mut at = header.len() as u64;
        let record = 4 + 8 + 8 + 8 * count as u64 + 8;
        let mut buf = vec![0u8; record as usize];
        while reader.read_exact(&mut buf).is_ok() {
            let point = u64::from_le_bytes(buf[4..12].try_into().unwrap_or_default());
            let n = u64::from_le_bytes(buf[12..20].try_into().unwrap_or_default());
            let body = &buf[4..buf.len() - 8];
            let sum = u64::from_le_bytes(buf[buf.len() - 8..].try_into().unwrap_or_default());
            if &buf[..4] != MAGIC || n != count as u64 || fnv1a(FNV_OFFSET, body) != sum {
                break;
            }
            offsets.insert(point, at + 20);
            at += record;
        }
        drop(reader);
        if at < len {
            // A record cut short (or damaged) by a kill: drop it; its point runs again.
            file.set_len(at).map_err(io_err)?;
            file.sync_all().map_err(io_err)?;
        }
        Ok(Journal { path: path.to_path_buf(), file, offsets, count, end: at, dropped: len.saturating_sub(at) })
    }

    /// Bytes cut off when the journal was opened: records a kill cut short or damaged, and any
    /// after them (their points run again).
    pub fn dropped_bytes(&self) -> u64 {
        self.dropped
    }

    /// Whether `point` is finished.
    pub fn contains(&self, point: u64) -> bool {
        self.offsets.contains_key(&point)
    }

    /// Finished points.
    pub fn len(&self) -> usize {
        self.offsets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    /// Appends a finished point. Once written it survives the process being killed (it is in
    /// the operating system's cache); [`Journal::sync`] makes it survive a power loss too.
    ///
    /// # Errors
    /// On a write failure (the record may then be cut short; it is dropped when the journal is
    /// opened again).
    ///
    /// # Panics
    /// If `values` does not hold the journal's count of values: a bug in the caller.
    pub fn append(&mut self, point: u64, values: &[f64]) -> Result<(), JournalError> {
        assert_eq!(values.len(), self.count, "point {point}: {} values for a journal of {}", values.len(), self.count);
        let mut body = Vec::with_capacity(16 + 8 * values.len());
        body.extend_from_slice(&point.to_le_bytes());
        body.extend_from_slice(&(values.len() as u64).to_le_bytes());
        for v in values {
            body.extend_from_slice(&v.to_le_bytes());
        }
        let sum = fnv1a(FNV_OFFSET, &body);
        let mut record = Vec::with_capacity(body.len() + 12);
        record.extend_from_slice(MAGIC);
        record.extend_from_slice(&body);
        record.extend_from_slice(&sum.to_le_bytes());
        let io_err = |source| JournalError::Io { path: self.path.clone(), source };
        self.file.seek(SeekFrom::Start(self.end)).map_err(io_err)?;
        self.file.write_all(&record).map_err(io_err)?;
        self.offsets.insert(point, self.end + 20);
        self.end += record.len() as u64;
        Ok(())
    }

    /// Flushes the points appended so far to the disk.
    ///
    /// # Errors
    /// On a sync failure.
    pub fn sync(&self) -> Result<(), JournalError> {
        self.file.sync_data().map_err(|source| JournalError::Io { path: self.path.clone(), source })
    }

    /// The values of a finished point, or `None` if it is not in the journal.
    ///
    /// # Errors
    /// On a read failure.
    pub fn read(&mut self, point: u64) -> Result<Option<Vec<f64>>, JournalError> {
        let Some(&offset) = self.offsets.get(&point) else { return Ok(None) };
        let io_err = |source| JournalError::Io { path: self.path.clone(), source };
        let mut buf = vec![0u8; 8 * self.count];
        self.file.seek(SeekFrom::Start(offset)).map_err(io_err)?;
        self.file.read_exact(&mut buf).map_err(io_err)?;
        Ok(Some(buf.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap_or_default())).collect()))
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("caseflow-journal-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("sweep.journal")
    }

    #[test]
    fn points_survive_reopening_and_a_torn_tail_is_dropped() {
        let path = temp("torn");
        let mut j = Journal::open(&path, "abc", 3).unwrap();
        j.append(5, &[1.0, 2.0, f64::NAN]).unwrap();
        j.append(0, &[4.0, 5.0, 6.0]).unwrap();
        drop(j);
        // A third record cut short, as a kill during the write would leave it.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"PNT1\x07\x00\x00").unwrap();
        drop(f);
        let mut j = Journal::open(&path, "abc", 3).unwrap();
        assert_eq!(j.len(), 2);
        assert!(j.contains(5) && j.contains(0) && !j.contains(7));
        let v = j.read(5).unwrap().unwrap();
        assert_eq!(&v[..2], &[1.0, 2.0]);
        assert!(v[2].is_nan());
        j.append(7, &[7.0, 7.0, 7.0]).unwrap();
        drop(j);
        let mut j = Journal::open(&path, "abc", 3).unwrap();
        assert_eq!(j.read(7).unwrap().unwrap(), vec![7.0; 3]);
        assert_eq!(j.read(1).unwrap(), None);
    }

    #[test]
    fn a_header_cut_short_starts_the_journal_anew() {
        let path = temp("short");
        std::fs::write(&path, &format!("{HEADER}ab")[..10]).unwrap();
        let mut j = Journal::open(&path, "abc", 1).unwrap();
        assert!(j.is_empty());
        j.append(0, &[1.0]).unwrap();
        drop(j);
        assert_eq!(Journal::open(&path, "abc", 1).unwrap().len(), 1);
    }

    #[test]
    fn another_sweeps_journal_is_refused() {
        let path = temp("mismatch");
        drop(Journal::open(&path, "one", 1).unwrap());
        assert!(matches!(Journal::open(&path, "two", 1), Err(JournalError::Mismatch { .. })));
    }

    #[test]
    fn a_damaged_record_ends_the_journal_there() {
        let path = temp("damaged");
        let mut j = Journal::open(&path, "x", 1).unwrap();
        j.append(0, &[1.0]).unwrap();
        j.append(1, &[2.0]).unwrap();
        drop(j);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 10;
        bytes[last] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let j = Journal::open(&path, "x", 1).unwrap();
        assert_eq!(j.len(), 1);
        // The damaged record (4 + 8 + 8 + 8 + 8 bytes) is cut off, and said so.
        assert_eq!(j.dropped_bytes(), 36);
        drop(j);
        assert_eq!(Journal::open(&path, "x", 1).unwrap().dropped_bytes(), 0, "the journal is whole again");
    }
}
