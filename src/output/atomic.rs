//! Temporary files that become real files only once complete.
//!
//! A file is written under a hidden temporary name in its final directory, flushed and
//! fsynced, then renamed over the final name. A rename within one directory is atomic on
//! POSIX file systems, so a reader (or a crash) sees either the old file or the complete new
//! one, never a truncated one.
//!
//! A process killed outright (SIGKILL, power loss) cannot remove its temporaries. They are
//! named `.<final name>.<pid>.<nanos>.<n>.tmp`, and [`remove_stale`] deletes those whose
//! process is gone the next time results are written to the same directory, so they do not
//! accumulate.

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

/// Distinguishes temporaries made by one process (e.g. tests writing in parallel).
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// File names of the temporaries this process is writing right now: [`remove_stale`] must not
/// take another thread's file for a leftover of an earlier process that had the same pid.
/// (Names, not paths: the same directory may be spelt differently; the counter in the name
/// makes it unique within the process.)
static LIVE: Mutex<Option<HashSet<OsString>>> = Mutex::new(None);

fn live() -> MutexGuard<'static, Option<HashSet<OsString>>> {
    // A panic while holding the lock leaves the set consistent (single insert/remove).
    LIVE.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn set_live(path: &Path, is_live: bool) {
    let Some(name) = path.file_name() else {
        return;
    };
    let mut guard = live();
    let set = guard.get_or_insert_with(HashSet::new);
    if is_live {
        set.insert(name.to_os_string());
    } else {
        set.remove(name);
    }
}

/// Temporary files not yet renamed into place; dropping the set deletes them, so every early
/// return (and a panic) cleans up.
#[derive(Debug, Default)]
pub(crate) struct TempFiles {
    pending: Vec<PathBuf>,
}

impl TempFiles {
    /// Creates a new, empty temporary file in `dir` for the final name `final_name`, and
    /// returns its path. The name starts with '.' (hidden) and ends with `.tmp`.
    ///
    /// The file is created exclusively, so a leftover temporary of a crashed run (in a
    /// container the process id is often the same from run to run) is never reused.
    pub fn create(&mut self, dir: &Path, final_name: &str) -> io::Result<PathBuf> {
        let pid = std::process::id();
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        // Bounded so that a file system answering "exists" to everything cannot hang us.
        let mut last_error = None;
        for _ in 0..100 {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!(".{final_name}.{pid}.{nanos}.{n}.tmp"));
            // Registered before it exists, so that no concurrent `remove_stale` ever sees it
            // unregistered.
            set_live(&path, true);
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(_) => {
                    self.pending.push(path.clone());
                    return Ok(path);
                }
                // Someone else's name: try the next counter value.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    set_live(&path, false);
                    last_error = Some(e);
                }
                Err(e) => {
                    set_live(&path, false);
                    return Err(e);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("no free temporary file name")))
    }

    /// Renames temporary `tmp` (made by [`TempFiles::create`]) to `dest`, replacing `dest`.
    pub fn publish(&mut self, tmp: &Path, dest: &Path) -> io::Result<()> {
        fs::rename(tmp, dest)?;
        self.pending.retain(|p| p != tmp);
        set_live(tmp, false);
        Ok(())
    }
}

impl Drop for TempFiles {
    fn drop(&mut self) {
        for path in &self.pending {
            // Best effort: the error being reported matters more than a leftover temporary,
            // and hidden `*.tmp` files are easy to recognise and delete.
            let _ = fs::remove_file(path);
            set_live(path, false);
        }
    }
}

/// Deletes temporaries in `dir` left behind by a process that no longer runs (killed before
/// it could clean up), for the final names `final_names`. Returns how many were deleted.
///
/// A temporary is stale when its name's pid is this process's own and this process is not
/// writing it (in a container the pid is often the same from run to run), or when no
/// process with that pid exists. Where that cannot be told (no `/proc`), nothing is deleted.
/// Best effort: errors are ignored, since a leftover hidden file harms nothing.
pub(crate) fn remove_stale(dir: &Path, final_names: &[&str]) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let own_pid = std::process::id();
    let proc_fs = Path::new("/proc/self").exists();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = temporary_pid(&name, final_names) else {
            continue;
        };
        let path = entry.path();
        let stale = if pid == own_pid {
            !live().as_ref().is_some_and(|set| set.contains(&name))
        } else {
            proc_fs && !Path::new("/proc").join(pid.to_string()).exists()
        };
        if stale && entry.file_type().is_ok_and(|t| t.is_file()) && fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// The pid in `name` if it is a temporary made by [`TempFiles::create`] for one of
/// `final_names`: `.<final name>.<pid>.<nanos>.<n>.tmp`.
fn temporary_pid(name: &OsStr, final_names: &[&str]) -> Option<u32> {
    let name = name.to_str()?.strip_prefix('.')?.strip_suffix(".tmp")?;
    let rest = final_names.iter().find_map(|f| name.strip_prefix(f)?.strip_prefix('.'))?;
    let mut parts = rest.split('.');
    let pid = parts.next()?;
    let numbers_only = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let (nanos, n) = (parts.next()?, parts.next()?);
    if parts.next().is_some() || !numbers_only(pid) || !numbers_only(nanos) || !numbers_only(n) {
        return None;
    }
    pid.parse().ok()
}

/// Writes `bytes` to the existing file `path`, then flushes it to the disk.
pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new().write(true).truncate(true).open(path)?;
    file.write_all(bytes)?;
    // Without the fsync, a crash soon after the rename can leave the new name pointing at
    // an empty file on some file systems (ext4 delayed allocation, XFS).
    file.sync_all()
}

/// Flushes an already written and closed file (e.g. one written by the HDF5 library).
pub(crate) fn sync_file(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()
}

/// Makes the renames in `dir` durable. Best effort: some file systems refuse to fsync a
/// directory, and by then the files themselves are complete and in place.
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_are_recognised_exactly() {
        let names = ["results.h5", "summary.csv"];
        let pid = |s: &str| temporary_pid(OsStr::new(s), &names);
        assert_eq!(pid(".results.h5.123.456789.0.tmp"), Some(123));
        assert_eq!(pid(".summary.csv.7.0.12.tmp"), Some(7));
        assert_eq!(pid("results.h5.123.456789.0.tmp"), None);
        assert_eq!(pid(".results.h5.123.456789.tmp"), None);
        assert_eq!(pid(".results.h5.123.456789.0.1.tmp"), None);
        assert_eq!(pid(".results.h5.12a.456789.0.tmp"), None);
        assert_eq!(pid(".other.h5.123.456789.0.tmp"), None);
        assert_eq!(pid(".results.h5.123.456789.0.tmp.bak"), None);
    }

    #[test]
    fn stale_temporaries_are_removed_and_live_ones_kept() {
        let dir = std::env::temp_dir().join(format!("caseflow-atomic-{}-{}", std::process::id(), line!()));
        fs::create_dir_all(&dir).unwrap();
        let mut temps = TempFiles::default();
        let live_tmp = temps.create(&dir, "results.h5").unwrap();
        // A leftover of an earlier process with our pid, and one of a process that is gone
        // (pids above the kernel's maximum, 2^22, are never used).
        let own_leftover = dir.join(format!(".results.h5.{}.1.999999.tmp", std::process::id()));
        let dead_leftover = dir.join(".summary.csv.4194305.1.0.tmp");
        let foreign = dir.join(".notes.txt.4194305.1.0.tmp");
        for p in [&own_leftover, &dead_leftover, &foreign] {
            fs::write(p, "x").unwrap();
        }
        let removed = remove_stale(&dir, &["results.h5", "summary.csv"]);
        let expected = if Path::new("/proc/self").exists() { 2 } else { 1 };
        assert_eq!(removed, expected);
        assert!(live_tmp.exists());
        assert!(!own_leftover.exists());
        assert!(foreign.exists());
        drop(temps);
        assert!(!live_tmp.exists());
        fs::remove_dir_all(&dir).unwrap();
    }
}
