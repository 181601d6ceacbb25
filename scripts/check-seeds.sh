#!/usr/bin/env bash
# The check of a fit with several master seeds, and the ceiling it shows
# (results/calibration/README.md, "Results" and "What the misses need"):
#
#   scripts/check-seeds.sh FIT_DIR [SEED...]      (seeds 2 3 4 5 6 by default)
#
# For each master seed: 20 runs of FIT_DIR/fitted.toml over FIT_DIR/ensemble.csv (POINT=1: of the
# fitted point alone), compared with the published figures of 2000-2012 (FIT_YEARS, 2000-2012 by
# default, are the fitted years; later ones are reported apart as forecasts by `caseflow
# compare`). It prints each seed's hits and band, their mean, and, over the seeds, how many
# target rows are hits in every check, in none and in some: a fit can reach at most "every" +
# "some" rows without new mechanisms or data. Rows are judged by the in-sample rule (band, 15%
# or 0.02 for shares), the `hit` column of each `compare.csv`. Every step is a seeded caseflow
# command, so the output repeats exactly.
#
# ENSEMBLE=FILE runs over FILE instead of FIT_DIR/ensemble.csv (the blind ensemble of a
# rolling-origin window, scripts/blind-ensemble.sh).
#
# Results go to OUT (default results/runs/check-seeds/<fit folder name>[-point or -<ENSEMBLE's
# name>]/seed<N>/), with rows.csv (each target row and the number of checks that hit it) and
# summary.md beside them.
# THREADS sets the worker threads (results do not depend on it).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ] || [ ! -f "$1/fitted.toml" ]; then
    echo "usage: scripts/check-seeds.sh FIT_DIR [SEED...]  (FIT_DIR holds fitted.toml and ensemble.csv)" >&2
    exit 2
fi
fit=${1%/}
shift
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(2 3 4 5 6)
for s in "${seeds[@]}"; do
    if ! [[ $s =~ ^[0-9]+$ ]]; then
        echo "check-seeds.sh: a master seed is a whole number, not '$s'" >&2
        exit 2
    fi
done
point=${POINT:-0}
fit_years=${FIT_YEARS:-2000-2012}
threads=${THREADS:-0}
if [ "$point" != 0 ] && [ "$point" != 1 ]; then
    echo "check-seeds.sh: POINT is 1 (the fitted point alone) or 0 (the ensemble), not '$point'" >&2
    exit 2
fi
if [ "$point" = 1 ] && [ -n "${ENSEMBLE:-}" ]; then
    echo "check-seeds.sh: POINT=1 checks the fitted point alone, without an ensemble: drop ENSEMBLE" >&2
    exit 2
fi
if ! [[ $fit_years =~ ^[0-9]{4}-[0-9]{4}$ ]]; then
    echo "check-seeds.sh: FIT_YEARS is a span of years such as 2000-2009, not '$fit_years'" >&2
    exit 2
fi
if ! [[ $threads =~ ^[0-9]+$ ]]; then
    echo "check-seeds.sh: THREADS is a whole number, not '$threads'" >&2
    exit 2
fi
# How to repeat this check, for the summary.
command="scripts/check-seeds.sh $fit"
[ "$fit_years" = 2000-2012 ] || command="FIT_YEARS=$fit_years $command"
[ "$point" = 0 ] || command="POINT=1 $command"
targets=data/targets.csv
bin=target/release/caseflow
ensemble=()
suffix=""
if [ "$point" = 1 ]; then
    suffix="-point"
else
    members=${ENSEMBLE:-$fit/ensemble.csv}
    if [ ! -f "$members" ]; then
        echo "check-seeds.sh: $members not found (POINT=1 checks the fitted point alone)" >&2
        exit 2
    fi
    ensemble=(--ensemble "$members")
    if [ -n "${ENSEMBLE:-}" ]; then
        command="ENSEMBLE=$ENSEMBLE $command"
        suffix="-$(basename "$ENSEMBLE" .csv)"
    fi
fi
out=${OUT:-results/runs/check-seeds/$(basename "$fit")$suffix}
cargo build --release --locked >/dev/null
mkdir -p "$out"

lines=()
hits_sum=0
forecast_sum=0
forecast_checks=0
for s in "${seeds[@]}"; do
    dir="$out/seed$s"
    "$bin" run "$fit/fitted.toml" "${ensemble[@]}" --seeds 20 --seed "$s" --threads "$threads" \
        --out "$dir" --force >/dev/null
    "$bin" compare "$dir" --targets "$targets" --years 2000-2012 --fit-years "$fit_years" \
        --out "$dir/compare.csv" > "$dir/compare.txt"
    hits=$(awk -F, 'NR > 1 && $10 == "hit"' "$dir/compare.csv" | wc -l)
    rows=$(awk -F, 'NR > 1' "$dir/compare.csv" | wc -l)
    band=$(grep -o 'band width: [0-9.]*%' "$dir/compare.txt" | head -n 1 | sed 's/band width: //' || true)
    forecast=$(grep '^forecast years' "$dir/compare.txt" | grep -o '[0-9]* of [0-9]*' | head -n 1 || true)
    lines+=("| $s | $hits of $rows | ${forecast:--} | $band |")
    hits_sum=$((hits_sum + hits))
    if [ -n "$forecast" ]; then
        forecast_sum=$((forecast_sum + ${forecast%% *}))
        forecast_checks=$((forecast_checks + 1))
    fi
done

# Each row's hits over the checks (series, year, checks that hit it).
n=${#seeds[@]}
{
    echo "series,year,hit_in_checks,checks"
    awk -F, -v n=$n '
        FNR > 1 { key = $1 "," $2; hits[key] += ($10 == "hit") }
        END { for (k in hits) print k "," hits[k] "," n }' \
        $(for s in "${seeds[@]}"; do echo "$out/seed$s/compare.csv"; done) | sort
} > "$out/rows.csv"
every=$(awk -F, -v n=$n 'NR > 1 && $3 == n' "$out/rows.csv" | wc -l)
never=$(awk -F, 'NR > 1 && $3 == 0' "$out/rows.csv" | wc -l)
some=$(awk -F, -v n=$n 'NR > 1 && $3 > 0 && $3 < n' "$out/rows.csv" | wc -l)
mean=$(awk -v t=$hits_sum -v c=$n 'BEGIN { printf "%.1f", t / c }')
# The mean of the forecast hits, where the fit leaves years to forecast.
forecast_mean=""
if [ $forecast_checks -gt 0 ]; then
    forecast_mean=$(awk -v t=$forecast_sum -v c=$forecast_checks 'BEGIN { printf " (forecast hits: %.1f)", t / c }')
fi
what=$([ "$point" = 1 ] && echo "the fitted point alone" || echo "the ensemble")
{
    echo "# Check of \`$fit\` with master seeds ${seeds[*]}"
    echo
    echo "20 runs of each master seed over $what; fitted years $fit_years; hits by the in-sample rule"
    echo "(band, 15%, or 0.02 for shares); forecast hits as \`caseflow compare\` counts them (band,"
    echo "25%, or 0.03). Command: \`$command ${seeds[*]}\`."
    echo
    echo "| master seed | hits, 2000-2012, in-sample rule | forecast hits | median band width |"
    echo "|---:|---:|---:|---:|"
    printf '%s\n' "${lines[@]}"
    echo
    echo "Mean hits: $mean$forecast_mean. Over the $n checks, $every rows are hits every time, $never never and $some"
    echo "sometimes: at most $((every + some)) without new mechanisms or data. Each row: \`rows.csv\`."
} > "$out/summary.md"
cat "$out/summary.md"
