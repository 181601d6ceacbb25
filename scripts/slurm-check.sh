#!/usr/bin/env bash
# The cluster path on a real Slurm: starts munged (if not running), slurmctld and slurmd for
# this host in a scratch folder, submits scripts/slurm/caseflow-array.sh as a 4-task job array
# (`sbatch --wait`), merges, and checks that the merged summary.csv is byte-identical to a
# one-machine run. Then submits a second array with one task cancelled (`scancel JOBID_2`),
# checks that `caseflow merge` names the missing shard and prints the rerun line, runs that
# line, merges again and checks the bytes again. Installs slurm-wlm and munge from Debian when
# absent (apt-get; through sudo unless root). Stops every daemon it started, by pid, also on
# failure. About a minute on 2 cores after the release build.
#
#   scripts/slurm-check.sh            # from anywhere; .ci/run calls it
#   KEEP=1 scripts/slurm-check.sh     # keep the scratch folder (logs, results) for a look
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

say() { printf 'slurm-check: %s\n' "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }
as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }

# --- Slurm and munge from Debian, when absent.
. scripts/lib/apt-install.sh
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    apt_install slurm-wlm munge
fi

say "building caseflow (release)"
cargo build --release --locked --quiet
caseflow=$repo/target/release/caseflow

scratch=$(mktemp -d /tmp/caseflow-slurm-check.XXXXXX)
pids=()
started_munged=""
cleanup() {
    local rc=$?
    # Jobs first (their steps are children of slurmd's stepd, not ours), then the daemons.
    if [[ -n "${SLURM_CONF:-}" && -f "$SLURM_CONF" ]]; then
        scancel --quiet --user="$(id -un)" 2>/dev/null || true
        sleep 1
    fi
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    if [[ -n "$started_munged" ]]; then
        as_root kill "$started_munged" 2>/dev/null || true
    fi
    if [[ $rc != 0 ]]; then
        for log in "$scratch"/slurmctld.log "$scratch"/slurmd.log "$scratch"/out/*.out; do
            [[ -f $log ]] && { say "--- $log (last lines)"; tail -n 20 "$log" >&2; }
        done
    fi
    if [[ -n "${KEEP:-}" ]]; then say "kept $scratch"; else rm -rf "$scratch"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- munge: a key, then the daemon (unless one already answers).
if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
    if [[ ! -s /etc/munge/munge.key ]]; then
        say "creating /etc/munge/munge.key"
        as_root mkdir -p /etc/munge
        as_root dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
        as_root chown munge:munge /etc/munge/munge.key
        as_root chmod 400 /etc/munge/munge.key
    fi
    as_root mkdir -p /run/munge
    as_root chown munge:munge /run/munge
    as_root runuser -u munge -- /usr/sbin/munged
    for _ in $(seq 50); do [[ -s /run/munge/munged.pid ]] && break; sleep 0.1; done
    started_munged=$(cat /run/munge/munged.pid)
    say "started munged (pid $started_munged)"
fi

# --- slurmctld and slurmd for this host, everything in the scratch folder.
host=$(hostname -s)
cpus=$(nproc)
memory=$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
port=$((20000 + RANDOM % 20000))
mkdir -p "$scratch"/{state,spool,out}
export SLURM_CONF=$scratch/slurm.conf
cat >"$SLURM_CONF" <<CONF
ClusterName=caseflowcheck
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$scratch/state
SlurmdSpoolDir=$scratch/spool
SlurmctldPidFile=$scratch/slurmctld.pid
SlurmdPidFile=$scratch/slurmd.pid
SlurmctldLogFile=$scratch/slurmctld.log
SlurmdLogFile=$scratch/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=check Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
setsid slurmctld -D -f "$SLURM_CONF" >"$scratch/slurmctld.stdout" 2>&1 &
pids+=($!)
setsid slurmd -D -f "$SLURM_CONF" >"$scratch/slurmd.stdout" 2>&1 &
pids+=($!)
say "started slurmctld (pid ${pids[0]}) and slurmd (pid ${pids[1]}) on port $port"
for i in $(seq 60); do
    [[ $(sinfo -h -o %T 2>/dev/null) == idle ]] && break
    [[ $i == 60 ]] && fail "the node did not become idle: $(sinfo 2>&1)"
    sleep 0.5
done

# --- The batch: the tiny scenario, 8 runs, 4 shards; 1 cpu per task so that 2 run at once.
export SCENARIO=tests/fixtures/tiny.toml RUNS=8 SEED=3 CASEFLOW=$caseflow
"$caseflow" run "$SCENARIO" --seeds "$RUNS" --seed "$SEED" --out "$scratch/one" >/dev/null 2>&1
array=(--array=0-3 --cpus-per-task=1 --output="$scratch/out/slurm-%A_%a.out")

say "array 1: sbatch --wait, 4 shards"
export OUT=$scratch/a
sbatch --wait --quiet "${array[@]}" scripts/slurm/caseflow-array.sh || fail "array 1 failed"
scripts/slurm/caseflow-array.sh merge >/dev/null || fail "merge of array 1 failed"
cmp "$scratch/one/summary.csv" "$OUT/summary.csv" || fail "array 1: merged summary.csv differs from one machine"
say "array 1: merged summary.csv is byte-identical to one machine"

say "array 2: task 2 cancelled"
export OUT=$scratch/b
job=$(sbatch --parsable --hold "${array[@]}" scripts/slurm/caseflow-array.sh)
job=${job%%;*}
scancel "${job}_2"
scontrol release "$job"
for i in $(seq 600); do
    [[ -z $(squeue -h -j "$job" 2>/dev/null) ]] && break
    [[ $i == 600 ]] && fail "array 2 did not finish"
    sleep 0.5
done
set +e
merge_out=$(scripts/slurm/caseflow-array.sh merge 2>&1)
rc=$?
set -e
[[ $rc == 3 ]] || fail "merge with a shard missing: exit $rc, expected 3: $merge_out"
grep -q "shard 2/4 (array task 2): missing" <<<"$merge_out" || fail "merge does not name shard 2: $merge_out"
rerun=$(grep -E '^ +sbatch ' <<<"$merge_out" | sed 's/^ *//')
expected="sbatch --array=2 --export=ALL,CASEFLOW_SHARD_COUNT=4,CASEFLOW_SHARD_BASE=0 scripts/slurm/caseflow-array.sh"
[[ $rerun == "$expected" ]] || fail "rerun line: got '$rerun', expected '$expected'"
say "merge names the missing shard and prints: $rerun"
# The printed line as a user runs it, plus --wait and this check's log folder and cores.
${rerun/sbatch /sbatch --wait --quiet --cpus-per-task=1 --output=$scratch/out/slurm-%A_%a.out } || fail "rerun failed"
scripts/slurm/caseflow-array.sh merge >/dev/null || fail "merge after the rerun failed"
cmp "$scratch/one/summary.csv" "$OUT/summary.csv" || fail "array 2: merged summary.csv differs from one machine"
say "array 2: after the rerun, merged summary.csv is byte-identical to one machine"

# --- The README's path: the script edited in its three places, submitted with no environment.
say "array 3: the README's path (an edited copy of the script, 3 shards of 6 runs)"
sed -e 's|^SCENARIO=.*|SCENARIO=tests/fixtures/tiny.toml|' -e 's|^RUNS=.*|RUNS=6|' \
    -e 's|^#SBATCH --array=.*|#SBATCH --array=0-2|' \
    -e "s|^#SBATCH --output=.*|#SBATCH --output=$scratch/out/slurm-%A_%a.out|" \
    -e "s|^    OUT=\${OUT:-results/runs/|    OUT=\${OUT:-$scratch/readme/|" \
    scripts/slurm/caseflow-array.sh >"$scratch/edited.sh"
grep -q "^SCENARIO=tests/fixtures/tiny.toml" "$scratch/edited.sh" && grep -q "$scratch/readme/" "$scratch/edited.sh" \
    || fail "could not edit the array script"
env -u SCENARIO -u RUNS -u SEED -u OUT -u CASEFLOW sbatch --wait --quiet --cpus-per-task=1 "$scratch/edited.sh" \
    || fail "array 3 failed"
env -u SCENARIO -u RUNS -u SEED -u OUT -u CASEFLOW bash "$scratch/edited.sh" merge >/dev/null || fail "merge of array 3 failed"
"$caseflow" run tests/fixtures/tiny.toml --seeds 6 --out "$scratch/one6" >/dev/null 2>&1
cmp "$scratch/one6/summary.csv" "$scratch/readme/tiny-seed1-n6/summary.csv" || fail "array 3: summary.csv differs"
say "array 3: merged summary.csv is byte-identical to one machine"

# --- A sweep's points over 3 tasks.
say "array 4: a sweep of 8 points in 3 shards"
cat >"$scratch/grid.toml" <<SWEEP
scenario = "$repo/tests/fixtures/tiny.toml"
runs = 2
series = ["trial.convicted", "detention.detained"]
[design]
kind = "grid"
[[param]]
key = "behaviour.trial.conscience"
min = 2.0
max = 10.0
levels = 4
[[param]]
key = "incentives[2012-01-01].procurator.prison_target"
values = [0.0, 1.0]
SWEEP
"$caseflow" sweep "$scratch/grid.toml" --out "$scratch/sweep-one" >/dev/null 2>&1
SWEEP=$scratch/grid.toml OUT=$scratch/sweep sbatch --wait --quiet --array=0-2 --cpus-per-task=1 \
    --output="$scratch/out/slurm-%A_%a.out" scripts/slurm/caseflow-array.sh || fail "array 4 failed"
SWEEP=$scratch/grid.toml OUT=$scratch/sweep scripts/slurm/caseflow-array.sh merge >/dev/null || fail "merge of array 4 failed"
if command -v h5dump >/dev/null; then
    # Everything but the file name and the command line recorded.
    strip() { h5dump "$1" | tail -n +2 | grep -v 'caseflow sweep\|caseflow merge'; }
    cmp <(strip "$scratch/sweep-one/sweep.h5") <(strip "$scratch/sweep/sweep.h5") \
        || fail "array 4: sweep.h5 differs from one machine's beyond the command line"
    say "array 4: merged sweep.h5 holds what one machine's holds (h5dump, command line aside)"
else
    [[ -s $scratch/sweep/sweep.h5 ]] || fail "array 4: no sweep.h5"
    say "array 4: merged sweep.h5 written (h5dump absent: values compared by tests/shard.rs only)"
fi
say "ok"
