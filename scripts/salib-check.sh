#!/usr/bin/env bash
# Checks caseflow's Sobol' and Morris indices against SALib's, on the same design and outputs.
#
#   scripts/salib-check.sh            # prints both tables, exits 1 on a disagreement
#
# Runs two small sweeps of the tiny test scenario (a Sobol'-Saltelli design and a Morris one),
# has `caseflow sensitivity` compute the indices and export the design (design.csv), the
# outputs (Y.txt) and the problem (problem.json) in SALib's row order, then installs SALib from
# PyPI into a virtual environment and runs SALib's own analysis on those files. It checks:
#   - the point estimates (S1, ST; mu, mu_star, sigma) agree to 1e-9: same estimators, same
#     normalisation (SALib's `analyze.sobol` with calc_second_order=False, `analyze.morris`);
#   - each of caseflow's estimates lies within SALib's bootstrap half-width of SALib's, and
#     the half-widths agree within a factor of 2 (the two bootstraps draw different resamples,
#     100 each: their half-widths scatter by about 7% around each other).
#
# Slow-ish: builds caseflow in release, about 1,300 tiny runs, and a pip install (SALib pulls
# numpy, scipy, pandas, matplotlib). Needs python3 with venv (installed with apt-get when
# missing, through sudo unless root). Environment: SALIB_CHECK_DIR (work folder, default a new
# temporary one), SALIB_VERSION (pip requirement, default "SALib").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=${SALIB_CHECK_DIR:-$(mktemp -d /tmp/caseflow-salib.XXXXXX)}
mkdir -p "$WORK"
echo "work folder: $WORK"

cargo build --release --locked --quiet
BIN=$ROOT/target/release/caseflow

# Three parameters of the tiny scenario that move convictions; 2 runs per point.
params() {
  cat <<EOF
[[param]]
key = "behaviour.trial.conscience"
min = 2.0
max = 10.0

[[param]]
key = "behaviour.trial.procurator_pressure"
min = 0.0
max = 4.0

[[param]]
key = "incentives[2012-01-01].procurator.prison_target"
min = 0.0
max = 2.0
EOF
}
cat > "$WORK/sobol.toml" <<EOF
scenario = "$ROOT/tests/fixtures/tiny.toml"
runs = 2
seed = 1

[design]
kind = "sobol"
base_samples = 64
seed = 1

$(params)
EOF
cat > "$WORK/morris.toml" <<EOF
scenario = "$ROOT/tests/fixtures/tiny.toml"
runs = 2
seed = 1

[design]
kind = "morris"
trajectories = 40
levels = 4
seed = 1

$(params)
EOF

OUTPUT=trial.convicted:2011-2012
for design in sobol morris; do
  "$BIN" sweep "$WORK/$design.toml" --out "$WORK/$design" --force
  "$BIN" sensitivity "$WORK/$design" --output "$OUTPUT" --force
done

if ! python3 -m venv "$WORK/venv" >/dev/null 2>&1; then
  . "$ROOT/scripts/lib/apt-install.sh"
  apt_install python3-venv
  rm -rf "$WORK/venv"
  python3 -m venv "$WORK/venv"
fi
"$WORK/venv/bin/pip" install -q --disable-pip-version-check "${SALIB_VERSION:-SALib}"

"$WORK/venv/bin/python" - "$WORK" <<'EOF'
import csv, json, sys
import numpy as np
from importlib.metadata import version
from SALib.analyze import morris, sobol

work = sys.argv[1]
failures = []

def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))

def check(name, ours, theirs, keys):
    print(f"\n{name} (SALib {version('SALib')}):")
    print(f"{'param':<50} {'index':<8} {'caseflow':>12} {'SALib':>12} {'|diff|':>9} {'conf ours':>10} {'conf SALib':>10}")
    for i, row in enumerate(ours):
        for key, conf in keys:
            a, b = float(row[key]), float(theirs[key][i])
            line = f"{row['param']:<50} {key:<8} {a:>12.6f} {b:>12.6f} {abs(a - b):>9.2e}"
            if conf:
                ca, cb = float(row[conf]), float(theirs[conf][i])
                line += f" {ca:>10.4f} {cb:>10.4f}"
                if abs(a - b) > cb:
                    failures.append(f"{name} {row['param']} {key}: {a} is outside SALib's {b} ± {cb}")
                if not (0.5 <= ca / cb <= 2.0):
                    failures.append(f"{name} {row['param']} {conf}: {ca} vs SALib's {cb} (more than a factor 2)")
            if abs(a - b) > 1e-9:
                failures.append(f"{name} {row['param']} {key}: {a} vs SALib's {b} (estimators differ)")
            print(line)

d = f"{work}/sobol"
problem = json.load(open(f"{d}/problem.json"))
Y = np.loadtxt(f"{d}/Y.txt")
Si = sobol.analyze(problem, Y, calc_second_order=False, seed=1)
check("Sobol'", rows(f"{d}/sobol_indices.csv"), Si, [("S1", "S1_conf"), ("ST", "ST_conf")])

d = f"{work}/morris"
problem = json.load(open(f"{d}/problem.json"))
X = np.loadtxt(f"{d}/design.csv", delimiter=",", skiprows=1, ndmin=2)
Y = np.loadtxt(f"{d}/Y.txt")
Mi = morris.analyze(problem, X, Y, num_levels=4, seed=1)
check("Morris", rows(f"{d}/morris.csv"), Mi, [("mu", None), ("mu_star", "mu_star_conf"), ("sigma", None)])

if failures:
    print("\nDISAGREEMENTS:")
    for f in failures:
        print("  " + f)
    sys.exit(1)
print("\nSALib agrees: identical point estimates, caseflow's within SALib's bootstrap intervals")
EOF
