//! The options of the calibration scripts that the records name: `scripts/blind-ensemble.sh`
//! (the blind values, `--point`, `COMPLIANCE_RATE`, its refusals), `scripts/refit.sh`'s `WINDOWS`
//! (which fits run, in which order, over which ensemble) and `scripts/check-seeds.sh`'s refusal
//! of `ENSEMBLE` with `POINT=1`. The scripts' real runs are `.ci/run`'s documented checks; here
//! `refit.sh` runs in a copy of the tree whose `cargo` and `caseflow` only log their arguments,
//! so the test sees the order of the commands in seconds.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::repo_path;

const BLIND_KEYS: &str = "behaviour.learning.compliance_rate,behaviour.learning.compliance_imitation,\
                          behaviour.torture.register_reluctance,behaviour.private.police_readiness";

fn blind(args: &[&str], rate: Option<&str>) -> Output {
    let mut c = Command::new("bash");
    c.arg(repo_path("scripts/blind-ensemble.sh")).args(args).env_remove("COMPLIANCE_RATE");
    if let Some(r) = rate {
        c.env("COMPLIANCE_RATE", r);
    }
    c.output().unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn refused(o: &Output, says: &str) {
    assert_eq!(o.status.code(), Some(2), "expected exit 2: {}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stdout.is_empty(), "a refusal writes nothing to stdout");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(says), "stderr does not say {says:?}: {err}");
}

#[test]
fn blind_ensemble_adds_the_blind_values_to_every_member() {
    assert_eq!(stdout(&blind(&["--point"], None)), format!("member,particle,{BLIND_KEYS}\n0,0,0.2,0,1,1\n"));
    assert_eq!(stdout(&blind(&["--point"], Some("0.05"))), format!("member,particle,{BLIND_KEYS}\n0,0,0.05,0,1,1\n"));

    let dir = tempfile::tempdir().unwrap();
    let ensemble = dir.path().join("ensemble.csv");
    std::fs::write(&ensemble, "member,particle,behaviour.trial.conscience\n0,3,1.5\n1,7,2.5\n").unwrap();
    let path = ensemble.to_str().unwrap();
    assert_eq!(
        stdout(&blind(&[path], Some("0.5"))),
        format!("member,particle,behaviour.trial.conscience,{BLIND_KEYS}\n0,3,1.5,0.5,0,1,1\n1,7,2.5,0.5,0,1,1\n")
    );

    // A fitted value is never replaced, a file that is not an ensemble is not extended, and a
    // rate outside [0, 1] is refused.
    std::fs::write(&ensemble, "member,particle,behaviour.private.police_readiness\n0,0,0.4\n").unwrap();
    refused(&blind(&[path], None), "already has a column behaviour.private.police_readiness");
    std::fs::write(&ensemble, "series,year,value\n").unwrap();
    refused(&blind(&[path], None), "is not an ensemble file");
    refused(&blind(&["--point"], Some("1.5")), "COMPLIANCE_RATE is a share per period");
    refused(&blind(&[], None), "usage");
}

/// A copy of the scripts in `root` whose `cargo` and `target/release/caseflow` log their
/// arguments to `root/calls` (the stub `caseflow ensemble` writes a one-member ensemble where
/// `--out` points, as the real one does).
fn stub_tree(root: &Path) -> std::ffi::OsString {
    std::fs::create_dir_all(root.join("scripts")).unwrap();
    std::fs::create_dir_all(root.join("target/release")).unwrap();
    std::fs::create_dir_all(root.join("bin")).unwrap();
    for s in ["refit.sh", "blind-ensemble.sh", "check-seeds.sh"] {
        std::fs::copy(repo_path(&format!("scripts/{s}")), root.join("scripts").join(s)).unwrap();
    }
    let calls = root.join("calls");
    let caseflow = format!(
        "#!/bin/bash\necho \"caseflow $*\" >> '{}'\nprev=\nfor a in \"$@\"; do\n  if [ \"$prev\" = --out ]; then\n    \
         mkdir -p \"$a\"\n    [ \"$1\" = ensemble ] && printf 'member,particle,x\\n0,0,1\\n' > \"$a/ensemble.csv\"\n  fi\n  \
         prev=$a\ndone\n",
        calls.display()
    );
    let cargo = format!("#!/bin/bash\necho \"cargo $*\" >> '{}'\n", calls.display());
    for (path, text) in [(root.join("target/release/caseflow"), caseflow), (root.join("bin/cargo"), cargo)] {
        std::fs::write(&path, text).unwrap();
        Command::new("chmod").arg("+x").arg(&path).status().unwrap();
    }
    let mut path = root.join("bin").into_os_string();
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    path
}

fn refit(root: &Path, path: &std::ffi::OsStr, windows: &str) -> Output {
    Command::new("bash").arg(root.join("scripts/refit.sh")).env("PATH", path).env("WINDOWS", windows).output().unwrap()
}

#[test]
fn refit_runs_the_windows_it_is_given_and_forecasts_over_blind_ensembles() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let path = stub_tree(root);

    let o = refit(root, &path, "2010 2012");
    assert!(o.status.success(), "refit.sh failed: {}", String::from_utf8_lossy(&o.stderr));
    let calls = std::fs::read_to_string(root.join("calls")).unwrap();
    // Each command with its first two arguments: which step, on which scenario or results.
    let steps: Vec<String> =
        calls.lines().map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" ")).collect();
    let d10 = "results/calibration/forecast-2010";
    let d12 = "results/calibration/kazakhstan";
    assert_eq!(
        steps,
        [
            "cargo build --release".to_string(),
            "caseflow calibrate scenarios/calibration/kazakhstan-start.toml".into(),
            format!("caseflow ensemble {d10}/fitted.toml"),
            format!("caseflow run {d10}/fitted.toml"),
            format!("caseflow compare {d10}/check-seed2-n20"),
            "caseflow calibrate scenarios/calibration/kazakhstan-start.toml".into(),
            format!("caseflow ensemble {d12}/fitted.toml"),
            format!("caseflow run {d12}/fitted.toml"),
            format!("caseflow compare {d12}/check-seed2-n20"),
        ]
    );
    // The window forecasts over its blind ensemble, the 2000-2012 fit over its own.
    assert!(calls.contains("--fit-years 2000-2010 --budget 600"));
    assert!(calls.contains(&format!("--ensemble {d10}/ensemble-blind.csv --seeds 20 --seed 2")));
    assert!(calls.contains(&format!("--ensemble {d12}/ensemble.csv --seeds 20 --seed 2")));
    assert_eq!(
        std::fs::read_to_string(root.join(d10).join("ensemble-blind.csv")).unwrap(),
        format!("member,particle,x,{BLIND_KEYS}\n0,0,1,0.2,0,1,1\n")
    );
    assert!(!root.join("results/calibration/forecast-2009").exists(), "a window not asked for ran");

    // A window that does not exist, or none, is refused before anything is built or run.
    std::fs::remove_file(root.join("calls")).unwrap();
    refused(&refit(root, &path, "2009 2011"), "not '2011'");
    refused(&refit(root, &path, " "), "WINDOWS is empty");
    assert!(!root.join("calls").exists(), "a refused WINDOWS still ran a command");
}

#[test]
fn check_seeds_refuses_an_ensemble_with_the_point() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let path = stub_tree(root);
    std::fs::create_dir_all(root.join("fit")).unwrap();
    std::fs::write(root.join("fit/fitted.toml"), "").unwrap();
    let o = Command::new("bash")
        .arg(root.join("scripts/check-seeds.sh"))
        .arg(root.join("fit"))
        .env("PATH", &path)
        .env("POINT", "1")
        .env("ENSEMBLE", root.join("fit/blind.csv"))
        .output()
        .unwrap();
    refused(&o, "POINT=1 checks the fitted point alone");
    assert!(!root.join("calls").exists(), "a refused check still ran a command");
}
