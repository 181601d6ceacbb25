#!/usr/bin/env bash
# A window's ensemble as a forecaster at the end of the window would run it: every member keeps
# its fitted values, and the values set by hand by looking at figures after the window are set
# back to values chosen without them (results/calibration/README.md, "Rolling origin").
#
#   scripts/blind-ensemble.sh ENSEMBLE.csv > BLIND.csv
#   scripts/blind-ensemble.sh --point > POINT-BLIND.csv   the fitted point alone with the blind
#                                                         values: one member, no fitted column
#
# The output is an ensemble file like any other (`caseflow run --ensemble`, and `ENSEMBLE=` of
# scripts/check-seeds.sh): the input's columns, then one column per value below, the same in
# every member. scripts/refit.sh checks each rolling-origin window's forecasts over it.
#
# The values. Stage 29 set four behavioural parameters by hand, by looking at the figures of
# 2011-2012 (the spread of total registration: torture complaints registered, the private track
# of 2011); they are not fitted, so the fits of 2000-2009 and 2000-2010 keep them from the common
# start. They act only once total registration is the rule (2011), so a window ending before it
# is fitted exactly as it would be from the blind values (tests/shipped_scenario.rs checks that
# every series of 1994-2010 is the same with either), and only its forecast depends on them.
# The blind values are the ones a forecaster in 2010 could have set:
#   behaviour.learning.compliance_rate = 0.2       officials close the gap to a new registration
#                                                  rule at the rate they revise their beliefs
#                                                  (behaviour.learning.rate, 0.2 a period)
#   behaviour.learning.compliance_imitation = 0    the loader's default: no imitation
#   behaviour.torture.register_reluctance = 1      the default: complaints against colleagues
#                                                  are registered like other reports
#   behaviour.private.police_readiness = 1         the default: the police register named
#                                                  complaints as they register other crimes
# COMPLIANCE_RATE=R sets the first to R instead (a share per period, 0 to 1), to see how much a
# forecast rests on that choice (results/calibration/README.md tries 0.05 and 0.5).
set -euo pipefail

keys=(behaviour.learning.compliance_rate behaviour.learning.compliance_imitation
    behaviour.torture.register_reluctance behaviour.private.police_readiness)
rate=${COMPLIANCE_RATE:-0.2}
if ! [[ $rate =~ ^(0(\.[0-9]+)?|1(\.0+)?)$ ]]; then
    echo "blind-ensemble.sh: COMPLIANCE_RATE is a share per period from 0 to 1, such as 0.05, not '$rate'" >&2
    exit 2
fi
values=("$rate" 0 1 1)
extra_keys=$(IFS=,; echo "${keys[*]}")
extra_values=$(IFS=,; echo "${values[*]}")
if [ $# -eq 1 ] && [ "$1" = --point ]; then
    printf 'member,particle,%s\n0,0,%s\n' "$extra_keys" "$extra_values"
    exit 0
fi
if [ $# -ne 1 ] || [ ! -f "$1" ]; then
    echo "usage: scripts/blind-ensemble.sh ENSEMBLE.csv > BLIND.csv  (or --point > POINT-BLIND.csv)" >&2
    exit 2
fi
header=$(head -n 1 "$1")
case "$header" in
member,*) ;;
*)
    echo "blind-ensemble.sh: $1 is not an ensemble file (its header does not start with 'member,')" >&2
    exit 2
    ;;
esac
for k in "${keys[@]}"; do
    # A fitted value is the fit's, never replaced: refuse rather than write the key twice.
    if tr ',' '\n' <<<"$header" | grep -qx "$k"; then
        echo "blind-ensemble.sh: $1 already has a column $k (a fitted value, not a hand-set one)" >&2
        exit 2
    fi
done
awk -v k="$extra_keys" -v v="$extra_values" 'NR == 1 { print $0 "," k; next } { print $0 "," v }' "$1"
