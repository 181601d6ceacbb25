//! Files that become real files only once complete.
//!
//! A file is written under a hidden temporary name in its final directory
//! (`tempfile::NamedTempFile`), flushed and fsynced, then renamed over the final name
//! (`persist`). A rename within one directory is atomic on POSIX file systems, so a reader (or a
//! crash) sees either the old file or the complete new one, never a truncated one. Dropping a
//! temporary that was not renamed deletes it, so every early return (and a panic) cleans up.
//!
//! What tempfile does not do, and is kept here: a process killed outright (SIGKILL, power loss)
//! cannot remove its temporaries, so they are named `.<final name>.<pid>.<random>.tmp`, and
//! [`remove_stale`] deletes those whose process is gone the next time results are written to
//! the same directory (the kill-safety tests in `tests/cli.rs` check that they do not
//! accumulate). In a container the pid is often the same from run to run, so a temporary with
//! this process's own pid is a leftover unless this process is writing it: the names being
//! written are registered in [`LIVE`] for that.

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use tempfile::NamedTempFile;

/// File names of the temporaries this process is writing right now: [`remove_stale`] must not
/// take another thread's file for a leftover of an earlier process that had the same pid.
/// (Names, not paths: the same directory may be spelt differently; the random part of the name
/// makes it unique.) A temporary is created and registered under this lock, so no
/// `remove_stale` ever sees it unregistered.
static LIVE: Mutex<Option<HashSet<OsString>>> = Mutex::new(None);

fn live() -> MutexGuard<'static, Option<HashSet<OsString>>> {
    // A panic while holding the lock leaves the set consistent (single insert/remove).
    LIVE.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn unregister(path: &Path) {
    if let (Some(name), Some(set)) = (path.file_name(), live().as_mut()) {
        set.remove(name);
    }
}

/// Temporary files not yet renamed into place; dropping the set deletes them.
#[derive(Debug, Default)]
pub(crate) struct TempFiles {
    pending: Vec<NamedTempFile>,
}

impl TempFiles {
    /// Creates a new, empty temporary file in `dir` for the final name `final_name`, and
    /// returns its path. The name starts with '.' (hidden) and ends with `.tmp`; it is
    /// created exclusively, so a leftover temporary of a crashed run is never reused.
    pub fn create(&mut self, dir: &Path, final_name: &str) -> io::Result<PathBuf> {
        let mut guard = live();
        let prefix = format!(".{final_name}.{}.", std::process::id());
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp").rand_bytes(8);
        // tempfile makes its files private (0600); results are ordinary files, created with the
        // mode any other file gets (0666 less the umask), so colleagues can read them.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(fs::Permissions::from_mode(0o666));
        }
        let file = builder.tempfile_in(dir)?;
        let path = file.path().to_path_buf();
        if let Some(name) = path.file_name() {
            guard.get_or_insert_with(HashSet::new).insert(name.to_os_string());
        }
        self.pending.push(file);
        Ok(path)
    }

    /// Renames temporary `tmp` (made by [`TempFiles::create`]) to `dest`, replacing `dest`.
    pub fn publish(&mut self, tmp: &Path, dest: &Path) -> io::Result<()> {
        let Some(at) = self.pending.iter().position(|f| f.path() == tmp) else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} is not a pending temporary", tmp.display()),
            ));
        };
        let file = self.pending.remove(at);
        // On failure the temporary comes back in the error and is deleted when it drops.
        let result = file.persist(dest).map(drop).map_err(|e| e.error);
        unregister(tmp);
        result
    }
}

impl Drop for TempFiles {
    fn drop(&mut self) {
        for file in self.pending.drain(..) {
            let path = file.path().to_path_buf();
            // Best effort: the error being reported matters more than a leftover temporary,
            // and hidden `*.tmp` files are easy to recognise and delete.
            drop(file);
            unregister(&path);
        }
    }
}

/// Writes `bytes` to `path` atomically (a temporary in the same directory, fsynced, renamed
/// over `path`, the directory synced), creating the directory if needed. Temporaries of
/// killed processes left next to `path` are deleted first.
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    fs::create_dir_all(dir)?;
    remove_stale(dir, &[name]);
    let mut temps = TempFiles::default();
    let tmp = temps.create(dir, name)?;
    write_synced(&tmp, bytes)?;
    temps.publish(&tmp, path)?;
    sync_dir(dir);
    Ok(())
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
/// `final_names`: `.<final name>.<pid>.<random>.tmp`.
fn temporary_pid(name: &OsStr, final_names: &[&str]) -> Option<u32> {
    let name = name.to_str()?.strip_prefix('.')?.strip_suffix(".tmp")?;
    let rest = final_names.iter().find_map(|f| name.strip_prefix(f)?.strip_prefix('.'))?;
    let (pid, random) = rest.split_once('.')?;
    let numbers_only = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
    let random_only = !random.is_empty() && random.bytes().all(|b| b.is_ascii_alphanumeric());
    if !numbers_only || !random_only {
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
pub fn sync_dir(dir: &Path) {
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
        assert_eq!(pid(".results.h5.123.aZ09xYw1.tmp"), Some(123));
        assert_eq!(pid(".summary.csv.7.0a.tmp"), Some(7));
        assert_eq!(pid("results.h5.123.aZ09xYw1.tmp"), None);
        assert_eq!(pid(".results.h5.123.tmp"), None);
        assert_eq!(pid(".results.h5.123.aZ09.xYw1.tmp"), None);
        assert_eq!(pid(".results.h5.12a.aZ09xYw1.tmp"), None);
        assert_eq!(pid(".other.h5.123.aZ09xYw1.tmp"), None);
        assert_eq!(pid(".results.h5.123.aZ09xYw1.tmp.bak"), None);
    }

    #[test]
    fn stale_temporaries_are_removed_and_live_ones_kept() {
        let dir = std::env::temp_dir().join(format!("caseflow-atomic-{}-{}", std::process::id(), line!()));
        fs::create_dir_all(&dir).unwrap();
        let mut temps = TempFiles::default();
        let live_tmp = temps.create(&dir, "results.h5").unwrap();
        // A leftover of an earlier process with our pid, and one of a process that is gone
        // (pids above the kernel's maximum, 2^22, are never used).
        let own_leftover = dir.join(format!(".results.h5.{}.x999999.tmp", std::process::id()));
        let dead_leftover = dir.join(".summary.csv.4194305.Ab10.tmp");
        let foreign = dir.join(".notes.txt.4194305.Ab10.tmp");
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
