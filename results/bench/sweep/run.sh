#!/usr/bin/env bash
# The sweep measurements of results/bench/sweep-2026-12-04.md: wall time, user time and maximum
# resident set size (GNU time) of sweeps against plain runs of the same number of runs.
#   results/bench/sweep/run.sh [OUT]     (OUT: where results go, default /tmp/caseflow-sweep-bench)
set -euo pipefail
cd "$(dirname "$0")/../../.."
OUT=${1:-/tmp/caseflow-sweep-bench}
mkdir -p "$OUT"
cargo build --release --quiet
B=target/release/caseflow
T() { /usr/bin/time -f "%e s wall, %U s user, %M kB max RSS" "$@" > /dev/null; }
for n in 100 1000; do
  echo "sweep tiny, $n points x 2 runs:"; T $B sweep results/bench/sweep/tiny-$n.toml --out "$OUT/tiny-$n" --force
  echo "run tiny, $((2 * n)) runs:";      T $B run tests/fixtures/tiny.toml --seeds $((2 * n)) --out "$OUT/run-tiny-$n" --force
done
echo "sweep national, 2 points x 8 runs:"; T $B sweep results/bench/sweep/kazakhstan-2.toml --out "$OUT/kz-2" --force
echo "run national, 16 runs:";            T $B run scenarios/kazakhstan.toml --seeds 16 --out "$OUT/run-kz-16" --force
