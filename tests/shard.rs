//! Cluster runs without a cluster (issue 22): a batch computed as shards (`run --shard I/N` or
//! a Slurm job array's variables) and joined by `caseflow merge` gives the same `summary.csv`
//! bytes and the same per-run values as one machine; a shard given twice is taken once; a
//! missing shard is named with the `sbatch` line that reruns it; shards of another master seed
//! are refused; a half-set pair of Slurm variables is refused; a shard killed with SIGKILL
//! leaves no half-written file and its rerun completes the merge; a shard whose results.h5
//! disagrees with its provenance.toml is refused, naming the shard and the field.
//! `scripts/slurm-check.sh` does the same on a real Slurm.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread::sleep;
use std::time::Instant;

use caseflow::output::read_results_h5;

const RESULT_FILES: [&str; 3] = ["results.h5", "summary.csv", "provenance.toml"];

fn tiny() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny.toml")
}

/// The binary with no Slurm variables from the environment the tests run in.
fn caseflow() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_caseflow"));
    cmd.env("RUST_BACKTRACE", "1").stdin(Stdio::null());
    for (key, _) in std::env::vars() {
        if key.starts_with("SLURM_") || key.starts_with("CASEFLOW_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

fn output(cmd: &mut Command) -> Output {
    cmd.output().expect("the caseflow binary starts")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_exit(o: &Output, code: i32, what: &str) {
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{what}: exit status\nstdout:\n{}\nstderr:\n{stderr}", text(&o.stdout));
    assert!(!stderr.contains("panicked"), "{what}: panicked:\n{stderr}");
}

/// `caseflow run tiny.toml --seeds 6 --seed 5 --out OUT EXTRA...`.
fn run_tiny(out: &Path, extra: &[&str]) -> Command {
    let mut cmd = caseflow();
    cmd.arg("run").arg(tiny()).args(["--seeds", "6", "--seed", "5", "--out"]).arg(out).args(extra);
    cmd
}

fn merge(inputs: &[&Path], out: &Path) -> Output {
    output(caseflow().arg("merge").args(inputs).arg("--out").arg(out))
}

/// Every run's values, bit for bit, and the run indices.
fn run_values(dir: &Path) -> Vec<(u64, Vec<u64>)> {
    let read = read_results_h5(&dir.join("results.h5")).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    read.runs.into_iter().map(|r| (r.run_index, r.values.iter().map(|v| v.to_bits()).collect())).collect()
}

fn assert_same_as_one_machine(one: &Path, merged: &Path) {
    let a = fs::read(one.join("summary.csv")).unwrap();
    let b = fs::read(merged.join("summary.csv")).unwrap();
    assert!(a == b, "merged summary.csv differs from one machine's:\n--- one\n{}\n--- merged\n{}", text(&a), text(&b));
    assert_eq!(run_values(one), run_values(merged), "per-run values differ");
}

#[test]
fn shards_merge_to_the_bytes_of_one_machine_and_duplicates_are_taken_once() {
    let tmp = tempfile::tempdir().unwrap();
    let one = tmp.path().join("one");
    assert_exit(&output(&mut run_tiny(&one, &[])), 0, "one machine");

    // Shard 0 from the flag, shards 1 and 2 as a job array's tasks would see them.
    let batch = tmp.path().join("batch");
    assert_exit(&output(&mut run_tiny(&batch, &["--shard", "0/3"])), 0, "shard 0");
    for id in ["1", "2"] {
        let o = output(
            run_tiny(&batch, &[])
                .env("SLURM_ARRAY_TASK_ID", id)
                .env("SLURM_ARRAY_TASK_COUNT", "3")
                .env("SLURM_ARRAY_TASK_MIN", "0")
                .env("SLURM_ARRAY_TASK_MAX", "2"),
        );
        assert_exit(&o, 0, "shard from the environment");
        assert!(
            text(&o.stderr).contains(&format!("shard {id}/3 (from SLURM_ARRAY_TASK_ID={id}, SLURM_ARRAY_TASK_COUNT=3")),
            "the shard's source is said:\n{}",
            text(&o.stderr)
        );
    }
    let shard1 = batch.join("shard-0001-of-0003");
    let prov = fs::read_to_string(shard1.join("provenance.toml")).unwrap();
    for line in ["run_indices = [2, 3]", "complete = true", "[shard]", "index = 1", "count = 3", "batch_runs = 6"] {
        assert!(prov.lines().any(|l| l == line), "shard provenance lacks `{line}`:\n{prov}");
    }
    assert!(prov.contains("scenario_sha256 = ") && prov.contains("git_revision = "), "{prov}");

    // The batch directory stands for its shards; a copy of shard 1 is given as well.
    let copy = tmp.path().join("copy-of-shard-1");
    fs::create_dir(&copy).unwrap();
    for f in RESULT_FILES {
        fs::copy(shard1.join(f), copy.join(f)).unwrap();
    }
    let merged = tmp.path().join("merged");
    let o = merge(&[&batch, &copy], &merged);
    assert_exit(&o, 0, "merge");
    assert!(text(&o.stderr).contains("shard 1/3 given twice"), "{}", text(&o.stderr));
    assert_same_as_one_machine(&one, &merged);
    let prov = fs::read_to_string(merged.join("provenance.toml")).unwrap();
    assert!(prov.contains("run_indices = [0, 1, 2, 3, 4, 5]") && !prov.contains("[shard]"), "{prov}");

    // Merging into the batch directory itself, as scripts/slurm/caseflow-array.sh does, and again.
    for _ in 0..2 {
        let o = output(caseflow().arg("merge").arg(&batch).arg("--out").arg(&batch).arg("--force"));
        assert_exit(&o, 0, "merge into the batch directory");
    }
    assert_same_as_one_machine(&one, &batch);
}

#[test]
fn a_missing_shard_is_named_with_its_rerun_line_and_another_seed_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let batch = tmp.path().join("batch");
    // An array numbered from 1 (--array=1-3): shard 1 is task 2.
    for id in ["1", "3"] {
        let o = output(
            run_tiny(&batch, &[])
                .env("SLURM_ARRAY_TASK_ID", id)
                .env("SLURM_ARRAY_TASK_COUNT", "3")
                .env("SLURM_ARRAY_TASK_MIN", "1")
                .env("SLURM_ARRAY_TASK_MAX", "3"),
        );
        assert_exit(&o, 0, "shard");
    }
    // A shard that did not finish leaves at most an empty directory.
    fs::create_dir_all(batch.join("shard-0001-of-0003")).unwrap();
    let merged = tmp.path().join("merged");
    let o = merge(&[&batch], &merged);
    assert_exit(&o, 3, "merge with a shard missing");
    let stderr = text(&o.stderr);
    assert!(stderr.contains("shard 1/3 (array task 2): missing"), "{stderr}");
    let rerun =
        "sbatch --array=2 --export=ALL,CASEFLOW_SHARD_COUNT=3,CASEFLOW_SHARD_BASE=1 scripts/slurm/caseflow-array.sh";
    assert!(stderr.lines().any(|l| l.trim() == rerun), "no line `{rerun}` in:\n{stderr}");
    assert!(!merged.exists(), "nothing is written when shards are missing");

    // The rerun line's environment: task 2 of an array of one task.
    let o = output(
        run_tiny(&batch, &[])
            .env("SLURM_ARRAY_TASK_ID", "2")
            .env("SLURM_ARRAY_TASK_COUNT", "1")
            .env("SLURM_ARRAY_TASK_MIN", "2")
            .env("SLURM_ARRAY_TASK_MAX", "2")
            .env("CASEFLOW_SHARD_COUNT", "3")
            .env("CASEFLOW_SHARD_BASE", "1"),
    );
    assert_exit(&o, 0, "the rerun");
    assert!(text(&o.stderr).contains("shard 1/3"), "{}", text(&o.stderr));
    assert_exit(&merge(&[&batch], &merged), 0, "merge after the rerun");
    let one = tmp.path().join("one");
    assert_exit(&output(&mut run_tiny(&one, &[])), 0, "one machine");
    assert_same_as_one_machine(&one, &merged);

    // Shard 1 of another master seed.
    let other = tmp.path().join("other");
    let o = output(
        caseflow().arg("run").arg(tiny()).args(["--seeds", "6", "--seed", "6", "--shard", "1/3", "--out"]).arg(&other),
    );
    assert_exit(&o, 0, "shard of seed 6");
    let o = merge(
        &[&batch.join("shard-0000-of-0003"), &other.join("shard-0001-of-0003"), &batch.join("shard-0002-of-0003")],
        &tmp.path().join("mixed"),
    );
    assert_exit(&o, 2, "merge of two seeds");
    let stderr = text(&o.stderr);
    assert!(stderr.contains("has master seed 5") && stderr.contains("has 6"), "{stderr}");
    assert!(
        stderr.contains("shard-0000-of-0003") && stderr.contains("other/shard-0001-of-0003"),
        "names both: {stderr}"
    );
    assert!(!tmp.path().join("mixed").exists());

    // Not a shard at all.
    let o = merge(&[&one], &tmp.path().join("x"));
    assert_exit(&o, 2, "merge of a one-machine result");
    assert!(text(&o.stderr).contains("not a shard"), "{}", text(&o.stderr));
}

#[test]
fn bad_shard_input_is_refused_before_running() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // (environment, arguments, what the message says)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str], &'a str);
    let cases: [Case<'_>; 6] = [
        (&[("SLURM_ARRAY_TASK_ID", "1")], &[], "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not"),
        (&[("SLURM_ARRAY_TASK_COUNT", "4")], &[], "SLURM_ARRAY_TASK_COUNT is set but SLURM_ARRAY_TASK_ID is not"),
        (&[("SLURM_ARRAY_TASK_ID", "x"), ("SLURM_ARRAY_TASK_COUNT", "4")], &[], "SLURM_ARRAY_TASK_ID=\"x\""),
        (&[], &["--shard", "3/3"], "--shard \"3/3\""),
        (&[], &["--shard", "0/7"], "more shards than runs"),
        (&[("SLURM_CPUS_PER_TASK", "none")], &[], "SLURM_CPUS_PER_TASK=\"none\""),
    ];
    for (env, args, message) in cases {
        let mut cmd = run_tiny(&out, args);
        cmd.envs(env.iter().copied());
        let o = output(&mut cmd);
        assert_exit(&o, 2, message);
        assert!(text(&o.stderr).contains(message), "expected `{message}` in:\n{}", text(&o.stderr));
        assert!(!out.exists(), "{message}: nothing is written");
    }
}

#[test]
fn threads_follow_slurm_and_progress_is_logged_in_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = caseflow();
    cmd.arg("run").arg(tiny()).args(["--seeds", "3", "--out"]).arg(tmp.path().join("a"));
    cmd.env("SLURM_CPUS_PER_TASK", "1").env("CASEFLOW_PROGRESS_SECONDS", "0");
    let o = output(&mut cmd);
    assert_exit(&o, 0, "run");
    let stderr = text(&o.stderr);
    assert!(stderr.contains("threads: 1 (from SLURM_CPUS_PER_TASK=1)"), "{stderr}");
    for done in 1..=3 {
        assert!(stderr.contains(&format!("{done}/3 runs, ")), "no progress line for {done}/3:\n{stderr}");
    }
    assert!(stderr.contains(" left"), "{stderr}");
}

/// A shard of a bigger batch (`tiny` with 40 times its crimes), for killing while it runs.
fn slow_tiny(dir: &Path) -> PathBuf {
    let original = fs::read_to_string(tiny()).unwrap();
    let scaled: String = original
        .lines()
        .map(|line| match line.strip_prefix("registered_crimes = ").and_then(|n| n.trim().parse::<u64>().ok()) {
            Some(n) => format!("registered_crimes = {}\n", n * 40),
            None => format!("{line}\n"),
        })
        .collect();
    let path = dir.join("slow.toml");
    fs::write(&path, scaled).unwrap();
    path
}

#[test]
fn a_shard_killed_with_sigkill_leaves_no_half_written_file_and_its_rerun_completes_the_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = slow_tiny(tmp.path());
    let batch = tmp.path().join("batch");
    let shard = |i: u32| {
        let mut cmd = caseflow();
        cmd.arg("run").arg(&scenario).args(["--seeds", "4", "--threads", "2", "--force", "--shard"]);
        cmd.arg(format!("{i}/2")).arg("--out").arg(&batch).stdout(Stdio::null()).stderr(Stdio::null());
        cmd
    };
    assert_exit(&output(&mut shard(0)), 0, "shard 0");
    let dir = batch.join("shard-0001-of-0002");
    // Kill shard 1 at moments spread over its run, including around the writing at its end.
    let started = Instant::now();
    assert_exit(&output(&mut shard(1)), 0, "shard 1, timed");
    let full = started.elapsed();
    fs::remove_dir_all(&dir).unwrap();
    for k in 1..=6u32 {
        let mut child = shard(1).spawn().unwrap();
        sleep(full * k / 6);
        let _ = child.kill(); // SIGKILL; it may have finished already.
        let _ = child.wait();
        let present: Vec<&str> = RESULT_FILES.iter().copied().filter(|f| dir.join(f).exists()).collect();
        // Either no result at all, or the three complete files (provenance.toml is renamed last).
        if present.contains(&"provenance.toml") {
            assert_eq!(present.len(), 3, "kill {k}: {present:?}");
            run_values(&dir);
            let _ = fs::remove_dir_all(&dir);
        } else if let Ok(entries) = fs::read_dir(&dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                // results.h5 and summary.csv may already be in place (renamed, complete) when the
                // kill hits between renames; anything else is a hidden temporary.
                if name == "results.h5" {
                    run_values(&dir);
                } else {
                    assert!(
                        name == "summary.csv" || (name.starts_with('.') && name.ends_with(".tmp")),
                        "kill {k}: {name}"
                    );
                }
            }
        }
        // What is left is never taken for a shard's results.
        let o = merge(&[&batch], &tmp.path().join("m"));
        assert_exit(&o, 3, "merge after a kill");
        assert!(text(&o.stderr).contains("shard 1/2 (array task 1)"), "{}", text(&o.stderr));
    }
    assert_exit(&output(&mut shard(1)), 0, "rerun of shard 1");
    let merged = tmp.path().join("m");
    assert_exit(&merge(&[&batch], &merged), 0, "merge after the rerun");
    let leftovers: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporaries left after the rerun: {leftovers:?}");
    let one = tmp.path().join("one");
    let o = output(caseflow().arg("run").arg(&scenario).args(["--seeds", "4", "--out"]).arg(&one));
    assert_exit(&o, 0, "one machine");
    assert_same_as_one_machine(&one, &merged);
}

/// The datasets of a `sweep.h5` that hold the design and the values, bit for bit.
fn sweep_values(path: &Path) -> Vec<(String, Vec<u64>)> {
    let file = hdf5::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ["points/values", "points/mean", "design/values", "design/unit", "design/real"]
        .iter()
        .map(|name| {
            let values = file.dataset(name).and_then(|d| d.read_raw::<f64>()).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name.to_string(), values.iter().map(|v| v.to_bits()).collect())
        })
        .collect()
}

#[test]
fn sweep_shards_merge_to_the_values_of_one_machine() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = tmp.path().join("grid.toml");
    fs::write(
        &sweep,
        format!(
            "scenario = \"{}\"\nruns = 2\nseries = [\"trial.convicted\", \"detention.detained\"]\n[design]\n\
             kind = \"grid\"\n[[param]]\nkey = \"behaviour.trial.conscience\"\nmin = 2.0\nmax = 10.0\nlevels = 4\n\
             [[param]]\nkey = \"incentives[2012-01-01].procurator.prison_target\"\nvalues = [0.0, 1.0]\n",
            tiny().display()
        ),
    )
    .unwrap();
    let sweep_cmd = |out: &Path| {
        let mut cmd = caseflow();
        cmd.arg("sweep").arg(&sweep).arg("--out").arg(out);
        cmd
    };
    let one = tmp.path().join("one");
    assert_exit(&output(&mut sweep_cmd(&one)), 0, "sweep on one machine");

    let batch = tmp.path().join("batch");
    assert_exit(&output(sweep_cmd(&batch).args(["--shard", "0/3"])), 0, "sweep shard 0");
    let o = output(sweep_cmd(&batch).env("SLURM_ARRAY_TASK_ID", "2").env("SLURM_ARRAY_TASK_COUNT", "3"));
    assert_exit(&o, 0, "sweep shard 2 from the environment");
    assert!(text(&o.stderr).contains("shard 2/3 (from SLURM_ARRAY_TASK_ID=2"), "{}", text(&o.stderr));

    let merged = tmp.path().join("merged");
    let o = merge(&[&batch], &merged);
    assert_exit(&o, 3, "sweep merge with shard 1 missing");
    let rerun =
        "sbatch --array=1 --export=ALL,CASEFLOW_SHARD_COUNT=3,CASEFLOW_SHARD_BASE=0 scripts/slurm/caseflow-array.sh";
    assert!(text(&o.stderr).lines().any(|l| l.trim() == rerun), "{}", text(&o.stderr));
    assert!(!merged.join("sweep.h5").exists());

    assert_exit(&output(sweep_cmd(&batch).args(["--shard", "1/3"])), 0, "sweep shard 1");
    // Shard 1 given twice.
    assert_exit(&merge(&[&batch, &batch.join("shard-0001-of-0003")], &merged), 0, "sweep merge");
    assert_eq!(sweep_values(&one.join("sweep.h5")), sweep_values(&merged.join("sweep.h5")));

    // A shard of another sweep (another master seed) is refused, naming both directories.
    let other = tmp.path().join("other.toml");
    fs::write(&other, fs::read_to_string(&sweep).unwrap().replace("runs = 2\n", "runs = 2\nseed = 9\n")).unwrap();
    let odd = tmp.path().join("odd");
    let o = output(caseflow().arg("sweep").arg(&other).args(["--shard", "1/3", "--out"]).arg(&odd));
    assert_exit(&o, 0, "shard of another sweep");
    let o = merge(
        &[&batch.join("shard-0000-of-0003"), &odd.join("shard-0001-of-0003"), &batch.join("shard-0002-of-0003")],
        &tmp.path().join("mixed"),
    );
    assert_exit(&o, 2, "merge of two sweeps");
    let stderr = text(&o.stderr);
    assert!(stderr.contains("shards of different sweeps") && stderr.contains("odd/shard-0001-of-0003"), "{stderr}");

    // A run's shard given beside a sweep's is refused, not left out without a word.
    let runs = tmp.path().join("runs");
    assert_exit(&output(&mut run_tiny(&runs, &["--shard", "0/2"])), 0, "a run's shard");
    let o = merge(&[&batch, &runs.join("shard-0000-of-0002")], &tmp.path().join("both"));
    assert_exit(&o, 2, "merge of a sweep's shards and a run's");
    let stderr = text(&o.stderr);
    assert!(stderr.contains("runs/shard-0000-of-0002 holds a run's results, not a sweep's shard"), "{stderr}");
    assert!(!tmp.path().join("both").exists(), "nothing is written");
}

/// A shard directory a killed `run --force` left: no provenance.toml (the commit marker,
/// removed before the first rename) beside the data files is an incomplete shard, named with
/// its rerun line (exit 3), never merged; the mixed state older versions left (a results.h5 of
/// another seed beside the previous provenance.toml) is refused with exit 2, naming the shard
/// and the field on which the two files disagree.
#[test]
fn a_shard_whose_results_h5_disagrees_with_its_provenance_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let batch = tmp.path().join("batch");
    for i in ["0/2", "1/2"] {
        assert_exit(&output(&mut run_tiny(&batch, &["--shard", i])), 0, "shard");
    }
    // Shard 1 again with another master seed, elsewhere.
    let other = tmp.path().join("other");
    let mut cmd = caseflow();
    cmd.arg("run").arg(tiny()).args(["--seeds", "6", "--seed", "9", "--shard", "1/2", "--out"]).arg(&other);
    assert_exit(&output(&mut cmd), 0, "shard 1 of seed 9");
    let shard1 = batch.join("shard-0001-of-0002");
    let new_h5 = other.join("shard-0001-of-0002/results.h5");
    assert_exit(&merge(&[&batch], &tmp.path().join("good")), 0, "merge of the complete shards");

    // Killed between renames: the new results.h5 in place, provenance.toml gone.
    let saved = fs::read(shard1.join("provenance.toml")).unwrap();
    fs::copy(&new_h5, shard1.join("results.h5")).unwrap();
    fs::remove_file(shard1.join("provenance.toml")).unwrap();
    let o = merge(&[&batch], &tmp.path().join("m1"));
    assert_exit(&o, 3, "merge with a shard killed between renames");
    let stderr = text(&o.stderr);
    assert!(stderr.contains("shard 1/2 (array task 1)") && stderr.contains("damaged"), "{stderr}");
    assert!(stderr.contains("without provenance.toml") && stderr.contains("sbatch --array=1 "), "{stderr}");
    assert!(!tmp.path().join("m1").exists(), "nothing is written");

    // The same kill by an older caseflow: the previous provenance.toml still there.
    fs::write(shard1.join("provenance.toml"), &saved).unwrap();
    let o = merge(&[&batch], &tmp.path().join("m2"));
    assert_exit(&o, 2, "merge of a shard whose results.h5 disagrees with its provenance");
    let stderr = text(&o.stderr);
    let named = format!("{} (shard 1/2) is damaged", shard1.display());
    for words in
        [named.as_str(), "master_seed is 9 in results.h5 but 5 in provenance.toml", "Rerun that shard with --force"]
    {
        assert!(stderr.contains(words), "no {words:?} in:\n{stderr}");
    }
    assert!(!stderr.contains("merged"), "{stderr}");
    assert!(!tmp.path().join("m2").exists(), "nothing is written");

    // Rerunning the shard with --force repairs the batch.
    assert_exit(&output(&mut run_tiny(&batch, &["--shard", "1/2", "--force"])), 0, "rerun of shard 1");
    assert_exit(&merge(&[&batch], &tmp.path().join("m3")), 0, "merge after the rerun");
    assert_same_as_one_machine(&tmp.path().join("good"), &tmp.path().join("m3"));
}

/// A shard whose results.h5 was changed in place (one byte of a value: it still opens, and its
/// attributes still agree with its provenance.toml) does not match the SHA-256 its
/// provenance.toml records: merge refuses it with exit 2, naming the shard and the file,
/// instead of merging the changed value.
#[test]
fn a_shard_whose_results_h5_does_not_match_its_recorded_sha256_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let batch = tmp.path().join("batch");
    for i in ["0/2", "1/2"] {
        assert_exit(&output(&mut run_tiny(&batch, &["--shard", i])), 0, "shard");
    }
    let h5 = batch.join("shard-0001-of-0002/results.h5");
    let offset = {
        let file = hdf5::File::open(&h5).unwrap();
        let offset = file.dataset("runs/values").unwrap().offset().expect("a contiguous dataset");
        file.close().unwrap();
        usize::try_from(offset).unwrap()
    };
    let mut bytes = fs::read(&h5).unwrap();
    bytes[offset + 5] ^= 0x10;
    fs::write(&h5, &bytes).unwrap();
    let o = merge(&[&batch], &tmp.path().join("merged"));
    assert_exit(&o, 2, "merge of a shard changed in place");
    let stderr = text(&o.stderr);
    let named = format!("{} (shard 1/2) is damaged", h5.parent().unwrap().display());
    for words in [named.as_str(), "results.h5 does not match the SHA-256 provenance.toml records", "--force"] {
        assert!(stderr.contains(words), "no {words:?} in:\n{stderr}");
    }
    assert!(!tmp.path().join("merged").exists(), "nothing is written");
}
