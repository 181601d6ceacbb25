//! Any set of result files written into one directory the way `write_results` writes a run's:
//! refused when they exist (unless forced), each written to a temporary in the directory and
//! fsynced, and all renamed into place only once every one is complete, in the order given
//! (put the file that vouches for the others, such as a provenance, last: it is the commit
//! marker, see [`publish_set`]). The experiment commands (`diff`, `sweep`, `sensitivity`,
//! `attribute`) write their files through it.

use std::path::{Path, PathBuf};

use super::atomic::{self, TempFiles};
use super::{OutputError, create_dir, hdf5_message, io_err, refuse_existing};

/// The contents of one result file.
pub enum Content<'a> {
    /// Bytes, e.g. a CSV or TOML text.
    Bytes(Vec<u8>),
    /// An HDF5 file, written by the function into the (temporary) path it is given; the
    /// function must close the file before returning.
    Hdf5(Hdf5Writer<'a>),
}

/// Writes an HDF5 file at the path it is given, and closes it.
pub type Hdf5Writer<'a> = Box<dyn FnOnce(&Path) -> hdf5::Result<()> + 'a>;

/// Prepares `dir` for the files `names` before any work: refuses existing ones unless `force`,
/// creates `dir`, deletes temporaries of killed processes, and checks that a file can be made
/// there. Returns whether `dir` was created.
///
/// # Errors
/// [`OutputError::Exists`], or [`OutputError::Io`] when `dir` cannot be made or written to.
pub fn prepare_dir_for(dir: &Path, force: bool, names: &[&str]) -> Result<bool, OutputError> {
    if !force {
        let finals: Vec<PathBuf> = names.iter().map(|n| dir.join(n)).collect();
        refuse_existing(&finals.iter().collect::<Vec<_>>())?;
    }
    let existed = dir.is_dir();
    create_dir(dir)?;
    atomic::remove_stale(dir, names);
    let mut probe = TempFiles::default();
    probe.create(dir, names.first().copied().unwrap_or("probe")).map_err(io_err(dir))?;
    Ok(!existed)
}

/// Writes `files` into `dir` atomically (see the module's documentation) and returns their
/// paths in the same order.
///
/// # Errors
/// [`OutputError::Exists`] when a file exists and `force` is false (nothing is written);
/// [`OutputError::Io`] or [`OutputError::Hdf5`] when writing fails (nothing is published:
/// the temporaries are removed).
pub fn write_files(dir: &Path, force: bool, files: Vec<(&str, Content<'_>)>) -> Result<Vec<PathBuf>, OutputError> {
    let finals: Vec<PathBuf> = files.iter().map(|(name, _)| dir.join(name)).collect();
    let names: Vec<&str> = files.iter().map(|(name, _)| *name).collect();
    if !force {
        refuse_existing(&finals.iter().collect::<Vec<_>>())?;
    }
    create_dir(dir)?;
    atomic::remove_stale(dir, &names);
    let mut temps = TempFiles::default();
    let mut written = Vec::with_capacity(files.len());
    for ((name, content), dest) in files.into_iter().zip(&finals) {
        let tmp = temps.create(dir, name).map_err(io_err(dest))?;
        match content {
            Content::Bytes(bytes) => atomic::write_synced(&tmp, &bytes).map_err(io_err(dest))?,
            Content::Hdf5(write) => {
                hdf5::silence_errors(true);
                write(&tmp).map_err(|e| OutputError::Hdf5 { path: dest.clone(), message: hdf5_message(&e) })?;
                atomic::sync_file(&tmp).map_err(io_err(dest))?;
            }
        }
        written.push(tmp);
    }
    // Check again: another process may have written here meanwhile.
    if !force {
        refuse_existing(&finals.iter().collect::<Vec<_>>())?;
    }
    let pairs: Vec<(PathBuf, PathBuf)> = written.into_iter().zip(finals.iter().cloned()).collect();
    publish_set(&mut temps, dir, &pairs, &mut |_| Ok(()))?;
    Ok(finals)
}

/// Renames the complete temporaries of one result set into place, `(temporary, final path)`
/// in order, the last being the file that vouches for the others (a provenance): it is the
/// commit marker. When a set replaces an older one, the old marker is deleted before the
/// first rename and the new one renamed in last, the directory synced in between, so a
/// process killed (or a machine losing power) part way leaves a directory without its marker,
/// which every reader refuses as incomplete, never new files beside an old marker that would
/// vouch for them falsely. A set of one file needs none of this: its rename is atomic.
///
/// `step` is called after the old marker is gone (with 0) and after each rename (with the
/// number of files renamed so far); an error from it stops the publication there, as a
/// kill would (the tests use it to look at every intermediate state).
pub(crate) fn publish_set(
    temps: &mut TempFiles,
    dir: &Path,
    pairs: &[(PathBuf, PathBuf)],
    step: &mut dyn FnMut(usize) -> std::io::Result<()>,
) -> Result<(), OutputError> {
    let Some(((marker_tmp, marker), data)) = pairs.split_last() else {
        return Ok(());
    };
    if !data.is_empty() {
        match std::fs::remove_file(marker) {
            Ok(()) => atomic::sync_dir(dir),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(marker)(e)),
        }
    }
    step(0).map_err(io_err(marker))?;
    for (k, (tmp, dest)) in data.iter().enumerate() {
        temps.publish(tmp, dest).map_err(io_err(dest))?;
        step(k + 1).map_err(io_err(dest))?;
    }
    if !data.is_empty() {
        // The data files' renames reach the disk before the marker's.
        atomic::sync_dir(dir);
    }
    temps.publish(marker_tmp, marker).map_err(io_err(marker))?;
    step(pairs.len()).map_err(io_err(marker))?;
    atomic::sync_dir(dir);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_written_together_and_not_overwritten() {
        let dir = std::env::temp_dir().join(format!("caseflow-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        assert!(prepare_dir_for(&dir, false, &["a.csv", "b.txt"]).unwrap());
        let files = || vec![("a.csv", Content::Bytes(b"x\n".to_vec())), ("b.txt", Content::Bytes(b"y\n".to_vec()))];
        let paths = write_files(&dir, false, files()).unwrap();
        assert_eq!(std::fs::read(&paths[1]).unwrap(), b"y\n");
        assert!(matches!(write_files(&dir, false, files()), Err(OutputError::Exists { .. })));
        assert!(matches!(prepare_dir_for(&dir, false, &["a.csv"]), Err(OutputError::Exists { .. })));
        write_files(&dir, true, files()).unwrap();
        // Nothing but the two files: no temporary left.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Replacing a set stopped (as by a kill) at every point of its publication: the old
    /// marker is gone before any data file is replaced, and a marker is there again only once
    /// every data file is new, so no marker ever sits beside files it does not describe.
    #[test]
    fn a_replacement_stopped_anywhere_never_leaves_a_marker_beside_other_files() {
        let names = ["results.h5", "summary.csv", "provenance.toml"];
        for stop in 0..=names.len() {
            let dir = std::env::temp_dir().join(format!("caseflow-publish-{}-{stop}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            for n in names {
                std::fs::write(dir.join(n), "old").unwrap();
            }
            let mut temps = TempFiles::default();
            let pairs: Vec<(PathBuf, PathBuf)> = names
                .iter()
                .map(|n| {
                    let tmp = temps.create(&dir, n).unwrap();
                    atomic::write_synced(&tmp, b"new").unwrap();
                    (tmp, dir.join(n))
                })
                .collect();
            let mut seen = Vec::new();
            let result = publish_set(&mut temps, &dir, &pairs, &mut |k| {
                seen.push(k);
                if k == stop { Err(std::io::Error::other("killed")) } else { Ok(()) }
            });
            assert!(result.is_err(), "stop {stop}");
            assert_eq!(seen, (0..=stop).collect::<Vec<_>>());
            let state: Vec<Option<String>> = names.iter().map(|n| std::fs::read_to_string(dir.join(n)).ok()).collect();
            let new = |k: usize| if k <= stop { Some("new".to_string()) } else { Some("old".to_string()) };
            let marker = if stop == names.len() { Some("new".to_string()) } else { None };
            assert_eq!(state, vec![new(1), new(2), marker], "stopped after {stop} renames");
            drop(temps);
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
}
