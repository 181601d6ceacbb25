//! Helpers shared by the integration tests that run the `caseflow` binary: where the repository
//! is, how to start the binary, and how to say why an exit status was not the expected one.
//!
//! Each test file compiles this module on its own (`mod common;`) and uses only part of it.
#![allow(dead_code)]

use std::ffi::OsStr;
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
