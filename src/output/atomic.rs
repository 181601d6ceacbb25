//! Temporary files that become real files only once complete.
//!
//! A file is written under a hidden temporary name in its final directory, flushed and
//! fsynced, then renamed over the final name. A rename within one directory is atomic on
//! POSIX file systems, so a reader (or a crash) sees either the old file or the complete new
//! one, never a truncated one.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Distinguishes temporaries made by one process (e.g. tests writing in parallel).
static COUNTER: AtomicU64 = AtomicU64::new(0);

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
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(_) => {
                    self.pending.push(path.clone());
                    return Ok(path);
                }
                // Someone else's name: try the next counter value.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("no free temporary file name")))
    }

    /// Renames temporary `tmp` (made by [`TempFiles::create`]) to `dest`, replacing `dest`.
    pub fn publish(&mut self, tmp: &Path, dest: &Path) -> io::Result<()> {
        fs::rename(tmp, dest)?;
        self.pending.retain(|p| p != tmp);
        Ok(())
    }
}

impl Drop for TempFiles {
    fn drop(&mut self) {
        for path in &self.pending {
            // Best effort: the error being reported matters more than a leftover temporary,
            // and hidden `*.tmp` files are easy to recognise and delete.
            let _ = fs::remove_file(path);
        }
    }
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
