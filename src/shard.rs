//! One share of a batch, for cluster job arrays: which shard this process computes (`--shard
//! I/N`, or a Slurm job array's environment), which runs that shard owns, and how many worker
//! threads the allocation gives.
//!
//! A shard owns a contiguous block of the batch's run indices: shard `i` of `n` runs
//! `runs * i / n .. runs * (i + 1) / n`. Each run's random stream still comes from (master
//! seed, global run index), so the union of the shards' runs is exactly the batch a single
//! machine runs, and merging them gives the same bytes.
//!
//! Slurm numbers the tasks of an array as the submission says (`--array=0-3`, `--array=1-4`);
//! a shard's index is its task id less the array's first id. A rerun of some tasks only
//! (`--array=1,3`) sees an array of 2 tasks starting at 1, so the rerun line printed by
//! `caseflow merge` says the batch's shard count and first id in `CASEFLOW_SHARD_COUNT` and
//! `CASEFLOW_SHARD_BASE`, which then take precedence over the array's own count and first id.

use std::fmt;
use std::ops::Range;

/// Environment variables read when `--shard` is not given.
pub const ENV_TASK_ID: &str = "SLURM_ARRAY_TASK_ID";
pub const ENV_TASK_COUNT: &str = "SLURM_ARRAY_TASK_COUNT";
pub const ENV_TASK_MIN: &str = "SLURM_ARRAY_TASK_MIN";
pub const ENV_TASK_MAX: &str = "SLURM_ARRAY_TASK_MAX";
pub const ENV_SHARD_COUNT: &str = "CASEFLOW_SHARD_COUNT";
pub const ENV_SHARD_BASE: &str = "CASEFLOW_SHARD_BASE";
pub const ENV_CPUS_PER_TASK: &str = "SLURM_CPUS_PER_TASK";

/// Shard `index` of `count` (0-based), and the array task id of shard 0 (`base`), so that a
/// rerun line can name the tasks as the array did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
    pub base: u64,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Bad shard input: the message names the flag or variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardError(pub String);

impl fmt::Display for ShardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ShardError {}

impl Shard {
    /// `I/N` as given to `--shard` (0 <= I < N).
    ///
    /// # Errors
    /// When the text is not two integers `I/N` with `I < N`.
    pub fn parse(text: &str) -> Result<Shard, ShardError> {
        let bad = || ShardError(format!("--shard {text:?}: expected I/N with 0 <= I < N, e.g. 2/8"));
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u64 = i.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count, base: 0 })
    }

    /// The run indices this shard owns out of a batch of `runs` (`0..runs`).
    pub fn runs(&self, runs: u64) -> Range<u64> {
        let at = |k: u64| (u128::from(runs) * u128::from(k) / u128::from(self.count)) as u64;
        at(self.index)..at(self.index + 1)
    }

    /// The shard's directory name inside the batch's output directory, e.g.
    /// `shard-0002-of-0004`; zero-padded so that the shards list in order.
    pub fn dir_name(&self) -> String {
        format!("shard-{:04}-of-{:04}", self.index, self.count)
    }

    /// The Slurm array task id of this shard.
    pub fn task_id(&self) -> u64 {
        self.base + self.index
    }
}

/// Where the shard came from, to tell the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardChoice {
    pub shard: Shard,
    /// E.g. `--shard` or `SLURM_ARRAY_TASK_ID=2, SLURM_ARRAY_TASK_COUNT=4`.
    pub source: String,
}

/// The shard to compute: `--shard` when given, else a Slurm job array's variables, else none
/// (the whole batch). `var` looks up an environment variable (`std::env::var(..).ok()` in the
/// binary; a map in tests).
///
/// # Errors
/// A malformed `--shard` or variable, only one of `SLURM_ARRAY_TASK_ID` and
/// `SLURM_ARRAY_TASK_COUNT` set, a task id outside the array, or an array with gaps.
pub fn choose(flag: Option<&str>, var: impl Fn(&str) -> Option<String>) -> Result<Option<ShardChoice>, ShardError> {
    if let Some(text) = flag {
        return Ok(Some(ShardChoice { shard: Shard::parse(text)?, source: "--shard".into() }));
    }
    let number = |name: &str| -> Result<Option<u64>, ShardError> {
        match var(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .map(Some)
                .map_err(|_| ShardError(format!("{name}={v:?} is not a non-negative integer"))),
        }
    };
    let (id, array_count) = match (number(ENV_TASK_ID)?, number(ENV_TASK_COUNT)?) {
        (None, None) => return Ok(None),
        (Some(id), Some(count)) => (id, count),
        (Some(_), None) | (None, Some(_)) => {
            let (set, unset) =
                if var(ENV_TASK_ID).is_some() { (ENV_TASK_ID, ENV_TASK_COUNT) } else { (ENV_TASK_COUNT, ENV_TASK_ID) };
            return Err(ShardError(format!(
                "{set} is set but {unset} is not: cannot tell which shard to run; set both (as a Slurm job \
                 array does) or pass --shard I/N"
            )));
        }
    };
    let (count, base, source) = match number(ENV_SHARD_COUNT)? {
        // A rerun of some tasks of an array: the batch's count and first id are given.
        Some(count) => {
            let base = number(ENV_SHARD_BASE)?.unwrap_or(0);
            (count, base, format!("{ENV_TASK_ID}={id} with {ENV_SHARD_COUNT}={count}, {ENV_SHARD_BASE}={base}"))
        }
        None => {
            let min = number(ENV_TASK_MIN)?.unwrap_or(0);
            if let Some(max) = number(ENV_TASK_MAX)? {
                if max.checked_sub(min).and_then(|d| d.checked_add(1)) != Some(array_count) {
                    return Err(ShardError(format!(
                        "the job array has gaps ({ENV_TASK_MIN}={min}, {ENV_TASK_MAX}={max}, \
                         {ENV_TASK_COUNT}={array_count}): submit --array={min}-{} or pass --shard I/N \
                         (or set {ENV_SHARD_COUNT} and {ENV_SHARD_BASE}, as the rerun line of `caseflow merge` does)",
                        min + array_count.saturating_sub(1)
                    )));
                }
            }
            (array_count, min, format!("{ENV_TASK_ID}={id}, {ENV_TASK_COUNT}={array_count}, first task id {min}"))
        }
    };
    if count == 0 {
        return Err(ShardError(format!("{source}: the shard count is 0")));
    }
    let index = id.checked_sub(base).filter(|&i| i < count).ok_or_else(|| {
        ShardError(format!("{source}: task id {id} is not one of the {count} shards numbered from {base}"))
    })?;
    Ok(Some(ShardChoice { shard: Shard { index, count, base }, source }))
}

/// Worker threads: `--threads` when not 0, else `SLURM_CPUS_PER_TASK` when set (a Slurm task
/// must not use more cores than it was given), else 0 (one per core). The second value says
/// where a non-zero count came from.
///
/// # Errors
/// More than [`MAX_THREADS`] asked, or a `SLURM_CPUS_PER_TASK` that is not a whole number from 1
/// to [`MAX_THREADS`].
pub fn threads(flag: usize, var: impl Fn(&str) -> Option<String>) -> Result<(usize, Option<String>), ShardError> {
    if flag > MAX_THREADS {
        return Err(ShardError(format!("--threads {flag}: at most {MAX_THREADS}")));
    }
    if flag != 0 {
        return Ok((flag, None));
    }
    match var(ENV_CPUS_PER_TASK) {
        None => Ok((0, None)),
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if n > 0 && n <= MAX_THREADS => Ok((n, Some(format!("{ENV_CPUS_PER_TASK}={n}")))),
            _ => Err(ShardError(format!(
                "{ENV_CPUS_PER_TASK}={v:?} is not a whole number of cores from 1 to {MAX_THREADS}"
            ))),
        },
    }
}

/// The most worker threads a command starts: more than any node has cores (a thousand threads
/// take seconds to start, ten thousand minutes), so a larger number is a typing slip.
pub const MAX_THREADS: usize = 1024;

/// Task ids as Slurm's `--array` takes them, runs of consecutive ids as ranges: `1,3-5,9`.
pub fn array_spec(ids: &[u64]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < ids.len() {
        let mut j = i;
        while j + 1 < ids.len() && ids[j + 1] == ids[j] + 1 {
            j += 1;
        }
        parts.push(if j == i { ids[i].to_string() } else { format!("{}-{}", ids[i], ids[j]) });
        i = j + 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn shards_cover_the_runs_once() {
        for runs in 0..20 {
            for count in 1..8 {
                let mut all = Vec::new();
                for index in 0..count {
                    all.extend(Shard { index, count, base: 0 }.runs(runs));
                }
                assert_eq!(all, (0..runs).collect::<Vec<_>>(), "{runs} runs in {count} shards");
            }
        }
    }

    #[test]
    fn parse_flag() {
        assert_eq!(Shard::parse("2/4").unwrap(), Shard { index: 2, count: 4, base: 0 });
        for bad in ["4/4", "1", "a/2", "1/0", "-1/3", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn environment() {
        assert_eq!(choose(None, env(&[])).unwrap(), None);
        let c = choose(None, env(&[(ENV_TASK_ID, "3"), (ENV_TASK_COUNT, "4")])).unwrap().unwrap();
        assert_eq!(c.shard, Shard { index: 3, count: 4, base: 0 });
        assert!(c.source.contains("SLURM_ARRAY_TASK_ID=3"), "{}", c.source);
        // --shard wins over the environment.
        let c = choose(Some("0/2"), env(&[(ENV_TASK_ID, "3"), (ENV_TASK_COUNT, "4")])).unwrap().unwrap();
        assert_eq!((c.shard.index, c.source.as_str()), (0, "--shard"));
        // An array numbered from 1.
        let c =
            choose(None, env(&[(ENV_TASK_ID, "1"), (ENV_TASK_COUNT, "4"), (ENV_TASK_MIN, "1"), (ENV_TASK_MAX, "4")]))
                .unwrap()
                .unwrap();
        assert_eq!(c.shard, Shard { index: 0, count: 4, base: 1 });
        // A rerun of tasks 1 and 3 of 0-3.
        let rerun = [
            (ENV_TASK_ID, "3"),
            (ENV_TASK_COUNT, "2"),
            (ENV_TASK_MIN, "1"),
            (ENV_TASK_MAX, "3"),
            (ENV_SHARD_COUNT, "4"),
            (ENV_SHARD_BASE, "0"),
        ];
        assert_eq!(choose(None, env(&rerun)).unwrap().unwrap().shard, Shard { index: 3, count: 4, base: 0 });
    }

    #[test]
    fn environment_errors_name_the_variable() {
        let e = choose(None, env(&[(ENV_TASK_ID, "3")])).unwrap_err();
        assert!(e.0.contains("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not"), "{e}");
        let e = choose(None, env(&[(ENV_TASK_COUNT, "3")])).unwrap_err();
        assert!(e.0.contains("SLURM_ARRAY_TASK_COUNT is set but SLURM_ARRAY_TASK_ID is not"), "{e}");
        let e = choose(None, env(&[(ENV_TASK_ID, "x"), (ENV_TASK_COUNT, "3")])).unwrap_err();
        assert!(e.0.contains("SLURM_ARRAY_TASK_ID=\"x\""), "{e}");
        // Gaps: --array=1,3 without the rerun variables.
        let e =
            choose(None, env(&[(ENV_TASK_ID, "3"), (ENV_TASK_COUNT, "2"), (ENV_TASK_MIN, "1"), (ENV_TASK_MAX, "3")]))
                .unwrap_err();
        assert!(e.0.contains("gaps"), "{e}");
        let e = choose(None, env(&[(ENV_TASK_ID, "7"), (ENV_TASK_COUNT, "4")])).unwrap_err();
        assert!(e.0.contains("task id 7"), "{e}");
    }

    #[test]
    fn threads_follow_the_allocation() {
        assert_eq!(threads(0, env(&[])).unwrap(), (0, None));
        assert_eq!(threads(0, env(&[(ENV_CPUS_PER_TASK, "2")])).unwrap().0, 2);
        assert_eq!(threads(3, env(&[(ENV_CPUS_PER_TASK, "2")])).unwrap(), (3, None));
        assert!(threads(0, env(&[(ENV_CPUS_PER_TASK, "0")])).is_err());
        assert_eq!(threads(MAX_THREADS, env(&[])).unwrap(), (MAX_THREADS, None));
        assert!(threads(MAX_THREADS + 1, env(&[])).unwrap_err().0.contains("at most 1024"));
        assert!(threads(0, env(&[(ENV_CPUS_PER_TASK, "100000")])).is_err());
    }

    #[test]
    fn array_specs() {
        assert_eq!(array_spec(&[1]), "1");
        assert_eq!(array_spec(&[0, 1, 2, 5, 7, 8]), "0-2,5,7-8");
        assert_eq!(array_spec(&[]), "");
    }
}
