#!/usr/bin/env bash
# The refit of the shipped scenario, start to end (results/calibration/README.md):
#
#   1. with SCREEN=1 only: screen every behavioural parameter of
#      scenarios/calibration/all.free.toml by its effect on the loss (Morris), keeping those
#      whose mu* is at least a quarter of the largest, and write them to
#      scenarios/calibration/kazakhstan.free.toml. Without it the committed free set is used as
#      it stands: the shipped fit's, kept by a screen of stage 20 (results/calibration/README.md
#      says how it was chosen, and what today's screen would keep instead);
#   2. rolling origin: fit 2000-2009 and 2000-2010 from the same start, each with its parameter
#      ensemble, and check the years after each window on 20 runs of master seed 2 over the
#      window's blind ensemble (scripts/blind-ensemble.sh: the hand-set values chosen from
#      figures of 2011-2012 set back to values chosen without them);
#   3. fit 2000-2012, with its ensemble: the shipped scenario and its ensemble.
#
# Every step is a caseflow command, seeded, and resumes or repeats byte for byte: a calibration
# resumes from its state.toml; the screen and the ensembles are rerun whole (minutes each).
#
#   scripts/refit.sh [BUDGET [FINAL_BUDGET]]   candidate evaluations per rolling-origin fit
#                                              and for the 2000-2012 fit (600 each by default:
#                                              a forecast is only as good as its window's fit,
#                                              and 150 left the 2000-2009 search far from done)
#
# About an hour on 2 cores (measured on 2026-12-05: the screen 4 minutes, each fit 9-12,
# each ensemble 5; on 2026-12-06 the three windows took 51 minutes after the screen). Set
# THREADS to use another number of worker threads; SCREEN=1 screens first (4-11 minutes);
# WINDOWS picks the fits to run, e.g. WINDOWS=2012 repeats the shipped fit alone (default
# "2009 2010 2012"; each window is fitted from the same start, so any subset repeats). A
# fit whose state.toml has spent its budget finishes at once (it only
# writes its report again), so with the committed states the script redraws the ensembles and
# their checks alone.
set -euo pipefail
cd "$(dirname "$0")/.."

budget=${1:-600}
final_budget=${2:-600}
threads=${THREADS:-0}
windows=${WINDOWS:-2009 2010 2012}
for w in $windows; do
    case $w in
    2009 | 2010 | 2012) ;;
    *)
        echo "refit.sh: WINDOWS lists fits by their last year, 2009, 2010 or 2012, not '$w'" >&2
        exit 2
        ;;
    esac
done
if [ -z "${windows// /}" ]; then
    echo "refit.sh: WINDOWS is empty: name at least one of 2009, 2010, 2012" >&2
    exit 2
fi
start=scenarios/calibration/kazakhstan-start.toml
targets=data/targets.csv
out=results/calibration
bin=target/release/caseflow
cargo build --release --locked >/dev/null

say() { printf '\n== %s\n' "$*" >&2; }

# 1. Screening, then the rule that keeps a parameter free: mu* at least a quarter of the
#    largest (the screen's own screened.free.toml uses its --threshold of 0.1 and keeps more).
#    One bound is narrower in the fit than in the screen: the strength of local ties between
#    officials (narrow_key), if kept, may not pass narrow_max. No target is about provinces, so nothing in the
#    loss holds it, and above about 1.8 the brief's province pattern breaks (beyond chance,
#    reconciliation differs between provinces much more than detention refusals do:
#    tests/provinces.rs; the stage-20 refit went to 2.13 with the screen's bound of 3,
#    results/calibration/README.md). The screen still explores the whole prior.
free=scenarios/calibration/kazakhstan.free.toml
narrow_key=traits.local_tie_logit
narrow_max=1.7
if [ -n "${SKIP_SCREEN:-}" ]; then
    # The former switch: skipping the screen is now the default.
    if [ "${SCREEN:-0}" = 1 ]; then
        echo "refit.sh: SCREEN=1 and SKIP_SCREEN contradict each other" >&2
        exit 2
    fi
    echo "refit.sh: note: SKIP_SCREEN is no longer needed (the committed free set is the default)" >&2
fi
if [ "${SCREEN:-0}" = 1 ]; then
    say "screening the parameters of scenarios/calibration/all.free.toml"
    "$bin" screen "$start" --targets "$targets" --free scenarios/calibration/all.free.toml \
        --trajectories 4 --levels 4 --radius 0.2 --threshold 0.1 --fit-years 2000-2012 \
        --threads "$threads" --out "$out/screening" --force
    keep=$(awk -F, 'NR == 2 { max = $3 } NR > 1 && $3 >= 0.25 * max { print $2 }' "$out/screening/screening.csv")
    total=$(grep -c '^\[\[free\]\]' scenarios/calibration/all.free.toml)
    kept=$(echo $keep | wc -w)
    {
        cat <<EOF
# The free parameters of the refit of scenarios/kazakhstan.toml (issue 20, scripts/refit.sh):
# the parameters of all.free.toml whose Morris mu* (mean absolute elementary effect on the loss,
# results/calibration/screening/screening.csv) is at least a quarter of the largest. The other
# $((total - kept)) keep the values of scenarios/calibration/kazakhstan-start.toml: the earlier fit's, or set
# by hand for the mechanisms of issue 19. scripts/refit.sh writes this file from the screen with
# the same rule. Bounds are the prior of the ensemble; the bound of $narrow_key is
# narrowed to $narrow_max, where the brief's province pattern holds (scripts/refit.sh says why).

EOF
        sed -n '1,/^# Investigation/p' scenarios/calibration/all.free.toml | sed '$d' | sed '1,/^$/d'
        for k in $keep; do
            max_line=$([ "$k" = "$narrow_key" ] && echo "max = $narrow_max" || true)
            awk -v k="\"$k\"" -v max_line="$max_line" '$1 == "key" && $3 == k {
                    print "[[free]]"; print; getline; print; getline
                    print (max_line != "" ? max_line : $0)
                }' scenarios/calibration/all.free.toml
        done
    } > "$out/screening/kept.free.toml"
    # The fits below use the screen's selection; git diff shows what it changed.
    if ! cmp -s "$out/screening/kept.free.toml" "$free"; then
        echo "note: the screen changed the free parameters: $free rewritten (git diff $free)" >&2
        cp "$out/screening/kept.free.toml" "$free"
    fi
fi

# One fitted window: calibrate, ensemble, then 20 runs of master seed 2 (which no fit uses) over
# the ensemble, compared with the forecast years apart. A rolling-origin window's forecasts run
# over its blind ensemble (scripts/blind-ensemble.sh): the values stage 29 set by hand from
# figures of 2011-2012 are set back to values chosen without them; they act only from 2011, so
# the window's fit is the same with either.
window() {
    local last=$1 dir=$2 budget=$3
    say "fit 2000-$last into $dir"
    "$bin" calibrate "$start" --targets "$targets" --free "$free" --fit-years "2000-$last" \
        --budget "$budget" --threads "$threads" --out "$dir"
    say "ensemble of the 2000-$last fit"
    "$bin" ensemble "$dir/fitted.toml" --targets "$targets" --free "$free" --fit-years "2000-$last" \
        --sampler smc --particles 48 --moves 1 --generations 6 --width 0.02 --threads "$threads" --out "$dir" --force
    local members=$dir/ensemble.csv
    if [ "$last" -lt 2012 ]; then
        members=$dir/ensemble-blind.csv
        scripts/blind-ensemble.sh "$dir/ensemble.csv" > "$members.tmp"
        mv "$members.tmp" "$members"
    fi
    say "20 runs of master seed 2 over $members"
    "$bin" run "$dir/fitted.toml" --ensemble "$members" --seeds 20 --seed 2 \
        --threads "$threads" --out "$dir/check-seed2-n20" --force >/dev/null
    "$bin" compare "$dir/check-seed2-n20" --targets "$targets" --years 2000-2012 --fit-years "2000-$last" \
        --out "$dir/check-seed2-n20/compare.csv" | tail -n 3 | tee "$dir/check.txt"
}

for w in $windows; do
    if [ "$w" = 2012 ]; then
        window 2012 "$out/kazakhstan" "$final_budget"
    else
        window "$w" "$out/forecast-$w" "$budget"
    fi
done

case " $windows " in
*" 2012 "*) say "done: the shipped scenario is $out/kazakhstan/fitted.toml (copy it to scenarios/kazakhstan.toml)" ;;
*) say "done: $windows" ;;
esac
