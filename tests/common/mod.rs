//! Helpers shared by the integration tests that run the `caseflow` binary: where the repository
//! is, how to start the binary, and how to say why an exit status was not the expected one.
//!
//! Each test file compiles this module on its own (`mod common;`) and uses only part of it.
#![allow(dead_code)]

use std::ffi::{OsStr, OsString};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Exit status for bad input (a scenario, a flag, a file that does not parse).
pub const EXIT_BAD_INPUT: i32 = 2;

/// A path inside the repository.
pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The binary, with a backtrace asked for, so that any panic would be plain to see.
pub fn caseflow() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_caseflow"));
    cmd.env("RUST_BACKTRACE", "1").stdin(Stdio::null());
    cmd
}

/// Runs the binary with `args` to the end.
pub fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    caseflow().args(args).output().expect("the caseflow binary starts")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Panics (with everything the process printed) unless it exited with `code`.
pub fn assert_exit(output: &Output, code: i32, what: &str) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "{what}: expected exit status {code}, got {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
}

/// strace, when it is installed and may trace: `strace -f -e inject=SYSCALL:signal=SIGKILL:when=N`
/// kills the traced process as it enters its N-th rename, the moment a set of files is half
/// replaced. Without it the kill-at-each-rename tests are skipped, saying so.
pub fn strace_can_inject() -> bool {
    let probe = Command::new("strace")
        .args(["-f", "-o", "/dev/null", "-e", "inject=/^rename:retval=0", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let ok = probe.is_ok_and(|s| s.success());
    if !ok {
        eprintln!("strace is missing or may not trace here: the kill-at-each-rename test is skipped");
    }
    ok
}

/// Runs the binary with `args`, killed with SIGKILL as it enters its `n`-th rename; true when
/// it was killed, false when it finished first (fewer renames than `n`).
pub fn killed_at_rename(args: &[OsString], n: usize) -> bool {
    let status = Command::new("strace")
        .args(["-f", "-o", "/dev/null", "-e"])
        .arg(format!("inject=/^rename:signal=SIGKILL:when={n}"))
        .arg(env!("CARGO_BIN_EXE_caseflow"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    if status.success() {
        return false;
    }
    // strace ends as its tracee did (killed by the signal), or exits with 128 + it.
    let killed = status.signal() == Some(libc::SIGKILL) || status.code() == Some(128 + libc::SIGKILL);
    assert!(killed, "{args:?} at rename {n}: {status:?}");
    true
}
