//! Build script: embeds the git revision of the source tree as `CASEFLOW_GIT_REVISION`, so
//! that every result file can say which code produced it (`caseflow::output::GIT_REVISION`).
//!
//! The value is `git rev-parse HEAD`, with `-dirty` appended when `git status --porcelain`
//! reports anything (uncommitted edits or untracked files), or `unknown` when git is not
//! installed or the crate is not built from a git checkout (e.g. from a packaged tarball).
//! A build must never fail because git is missing, so every failure degrades to `unknown`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| ".".into()));

    let revision = git_revision(&root).unwrap_or_else(|| "unknown".to_owned());
    println!("cargo::rustc-env=CASEFLOW_GIT_REVISION={revision}");

    for path in watched_paths(&root) {
        println!("cargo::rerun-if-changed={}", path.display());
    }
}

/// Runs git in `root` and returns its trimmed stdout, or `None` on any failure.
fn git(root: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        // Never take the index lock or refresh the index: other processes (editors, other
        // builds, the developer's own git commands) may be using the same repository, and a
        // refreshed `.git/index` would make Cargo rerun this script on the next build.
        .arg("--no-optional-locks")
        .args(args)
        .current_dir(root)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    Some(String::from_utf8(output.stdout).ok()?.trim().to_owned())
}

fn git_revision(root: &Path) -> Option<String> {
    let head = git(root, &["rev-parse", "HEAD"])?;
    // A commit hash is plain hex; anything else means git answered something unexpected.
    if head.is_empty() || !head.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let dirty = !git(root, &["status", "--porcelain"])?.is_empty();
    Some(if dirty { format!("{head}-dirty") } else { head })
}

/// Files whose change may change the revision string, so Cargo reruns this script.
///
/// Declaring any `rerun-if-changed` switches off Cargo's default (rerun when any file of the
/// package changes), so the list must cover both halves of the string:
/// - the commit: `HEAD` (branch switch), the branch's ref file and `packed-refs` (new commit),
///   and `index` (staging, which also changes on commit);
/// - the dirty flag: the directories and files of the crate that are tracked by git, because
///   editing a tracked file changes `git status` without touching anything under `.git`.
///
/// Without a git repository nothing is declared, so Cargo keeps its default behaviour.
fn watched_paths(root: &Path) -> Vec<PathBuf> {
    // `--git-path` resolves correctly for worktrees and for a `.git` file (submodules).
    let Some(git_paths) =
        git(root, &["rev-parse", "--git-path", "HEAD", "--git-path", "index", "--git-path", "packed-refs"])
    else {
        return Vec::new();
    };

    let mut paths: Vec<PathBuf> = git_paths.lines().map(|p| root.join(p)).collect();
    // The ref HEAD points at (e.g. refs/heads/main) moves on every commit; a detached HEAD has
    // none, and then HEAD itself holds the hash.
    if let Some(branch_ref) = git(root, &["symbolic-ref", "-q", "HEAD"])
        && let Some(ref_path) = git(root, &["rev-parse", "--git-path", &branch_ref])
    {
        paths.push(root.join(ref_path));
    }
    for entry in ["build.rs", "Cargo.toml", "Cargo.lock", "src", "tests", "benches", "scenarios", "data", "docs"] {
        paths.push(root.join(entry));
    }
    // Cargo treats a missing path as always changed (a rerun on every build), so only watch
    // what exists.
    paths.retain(|p| p.exists());
    paths
}
