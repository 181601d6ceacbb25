#!/bin/bash
# One caseflow batch as a Slurm job array: each task computes one shard of the runs; then
# one merge joins the shards into the result one machine would write, byte for byte.
#
# Edit the three places marked EDIT, then, from the repository (after `cargo build --release`):
#   sbatch scripts/slurm/caseflow-array.sh          # the shards (prints the job id)
#   scripts/slurm/caseflow-array.sh merge           # once they are done (cheap: login node)
# Each task writes OUT/shard-IIII-of-NNNN/ atomically; the merge writes OUT/summary.csv,
# OUT/results.h5 and OUT/provenance.toml. If a task failed or was cancelled, the merge says
# which (exit status 3) and prints the sbatch line that reruns only those tasks; run it, then
# merge again. SCENARIO, RUNS, SEED, OUT and CASEFLOW may also be set in the environment of
# `sbatch` (it passes it to the job).
#
#SBATCH --job-name=caseflow
#SBATCH --array=0-3
#   ^ EDIT (shards): --array=0-(N-1) for N shards. To cap the tasks running at once: 0-99%20.
#SBATCH --cpus-per-task=2
#   caseflow runs on the cores given here (SLURM_CPUS_PER_TASK), one run per core at a time.
#SBATCH --time=02:00:00
#SBATCH --output=slurm-%A_%a.out

set -euo pipefail

SCENARIO=${SCENARIO:-scenarios/kazakhstan.toml}   # EDIT (scenario)
RUNS=${RUNS:-1000}                               # EDIT (runs: run indices 0..RUNS, master seed SEED)
SEED=${SEED:-1}
# For a sweep instead (its points are sharded; SCENARIO, RUNS and SEED come from the sweep
# file): SWEEP=scenarios/sweeps/<file>.toml
SWEEP=${SWEEP:-}
if [[ -n "$SWEEP" ]]; then
    OUT=${OUT:-results/sweeps/$(basename "$SWEEP" .toml)}
else
    OUT=${OUT:-results/runs/$(basename "$SCENARIO" .toml)-seed$SEED-n$RUNS}
fi
CASEFLOW=${CASEFLOW:-target/release/caseflow}

if [[ "${1:-}" == merge ]]; then
    exec "$CASEFLOW" merge "$OUT" --out "$OUT" --force --job-script "$0"
fi
if [[ -z "${SLURM_ARRAY_TASK_ID:-}" ]]; then
    echo "$0: not a job array task; submit it with sbatch, or pass 'merge'" >&2
    exit 2
fi
# The shard comes from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (caseflow says so on
# stderr). A sweep shard resumes from its journal; a run shard's --force replaces what an
# interrupted earlier try left.
if [[ -n "$SWEEP" ]]; then
    exec "$CASEFLOW" sweep "$SWEEP" --out "$OUT"
fi
exec "$CASEFLOW" run "$SCENARIO" --seeds "$RUNS" --seed "$SEED" --out "$OUT" --force
