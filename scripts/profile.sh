#!/usr/bin/env bash
# Profiles one seed of a scenario (default: the national one) and prints the top functions.
#
#   scripts/profile.sh [SCENARIO] [TOP]
#
# Uses `perf` (Debian: apt-get install linux-perf) with DWARF call graphs, so functions inlined
# into `World::run` (the stages, the draws, libm) are attributed too; falls back to
# `valgrind --tool=callgrind` (instruction counts, about 50x slower) when perf cannot sample.
# The release profile keeps line tables (`debug = 1` in Cargo.toml), which is what makes the
# inlined frames and source lines visible.
#
# Prints three tables:
#   1. self time by symbol (where the CPU is, after inlining);
#   2. inclusive time by function, inlined frames included, restricted to caseflow, rand and
#      libm (what each stage and helper costs with everything it calls);
#   3. self time by source file (inlined code lands in the file it was written in).
#
# Environment: CARGO_TARGET_DIR (default target), PROFILE_DIR (default /tmp/caseflow-profile),
# FREQ (perf sampling frequency, default 1999 Hz).
set -eu

cd "$(dirname "$0")/.."
SCENARIO=${1:-scenarios/kazakhstan.toml}
TOP=${2:-15}
TARGET=${CARGO_TARGET_DIR:-target}
OUT=${PROFILE_DIR:-/tmp/caseflow-profile}
FREQ=${FREQ:-1999}
mkdir -p "$OUT"

cargo build --release --quiet
BIN="$TARGET/release/caseflow"
RUN=("$BIN" run "$SCENARIO" --seeds 1 --threads 1 --timings --out "$OUT/run" --force)

echo "# profile of: ${RUN[*]}"
if git rev-parse --git-dir >/dev/null 2>&1; then
    echo "# git: $(git rev-parse HEAD)$(git diff --quiet HEAD || echo ' (dirty tree)')"
else
    echo "# git: not a checkout ($(pwd))"
fi

if command -v perf >/dev/null && perf record -q -o "$OUT/probe.data" true >/dev/null 2>&1; then
    # cpu-clock works in VMs without hardware counters; dwarf unwinding needs no frame pointers.
    perf record -q -e cpu-clock -F "$FREQ" --call-graph dwarf,16384 -o "$OUT/perf.data" -- "${RUN[@]}"
    report=(perf report -i "$OUT/perf.data" --stdio)
    echo
    echo "## 1. self time by symbol (top $TOP)"
    "${report[@]}" --no-children --sort sym -g none 2>/dev/null | grep -E '^ +[0-9]' | head -n "$TOP"
    echo
    echo "## 2. inclusive time, inlined frames included (caseflow functions, ChaCha, libm, malloc; top $TOP)"
    "${report[@]}" --children --inline --sort sym -g none 2>/dev/null | grep -E '^ +[0-9]' |
        grep -E 'caseflow::|refill_wide::impl|set_stream_param::impl|__ieee754|_int_malloc|memmove' |
        grep -vE 'run_batch|engine::simulate ' | head -n "$TOP"
    echo
    echo "## 3. self time by source file (top $TOP)"
    "${report[@]}" --no-children --sort srcfile -g none 2>/dev/null | grep -E '^ +[0-9]' | head -n "$TOP"
    echo
    echo "# data: $OUT/perf.data (perf report -i $OUT/perf.data --children --inline)"
elif command -v valgrind >/dev/null; then
    echo "# perf unavailable: using callgrind (instruction counts)"
    valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" "${RUN[@]}" >/dev/null
    echo
    echo "## self instructions by function (top $TOP)"
    callgrind_annotate "$OUT/callgrind.out" | grep -E '^ *[0-9,]+ ' | head -n "$TOP"
    echo
    echo "## inclusive instructions by function (top $TOP)"
    callgrind_annotate --inclusive=yes "$OUT/callgrind.out" | grep -E '^ *[0-9,]+ ' | head -n "$TOP"
    echo "# data: $OUT/callgrind.out (callgrind_annotate --inclusive=yes)"
else
    echo "error: neither perf (apt-get install linux-perf) nor valgrind is installed" >&2
    exit 1
fi
