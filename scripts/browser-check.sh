#!/usr/bin/env bash
# Opens the HTML report of `caseflow report` in a real browser (headless Chromium) and checks
# that its inlined script drew the charts, with and without any network, and that the page asks
# the network for nothing. Saves the screenshot the README shows, docs/images/report.png.
#
#   scripts/browser-check.sh              # installs chromium from Debian if it is missing
#   SEEDS=4 scripts/browser-check.sh      # fewer runs (default 8)
#
# Steps: build the release binary; run the shipped scenario (8 seeds); build its report; then
#   1. load the page and read the DOM after its scripts ran: every chart with published figures
#      has a uPlot canvas in its container, with painted pixels, and no chart reports an error;
#   2. the same behind a proxy that refuses every connection (loopback included);
#   3. a copy with every collapsed section opened: the other series draw too;
#   4. a copy without the page's Content-Security-Policy (which would block a request before it
#      is made), with Chromium's network log: the page requests nothing but file:// URLs. A
#      probe copy with one remote image must be caught by the same test, or the test is void;
#   5. a 1200x900 screenshot, copied to docs/images/report.png.
# Exits nonzero on the first failure, saying what failed; prints each check as it passes.
set -euo pipefail
cd "$(dirname "$0")/.."

SEEDS=${SEEDS:-8}

say() { printf '%s\n' "$*"; }
fail() {
  printf 'browser check FAILED: %s\n' "$*" >&2
  exit 1
}

# ---------------------------------------------------------------- Chromium
. scripts/lib/apt-install.sh
command -v chromium >/dev/null 2>&1 || apt_install chromium
say "browser: $(chromium --version 2>/dev/null | head -n 1)"

work=$(mktemp -d "${TMPDIR:-/tmp}/caseflow-browser-check.XXXXXX")
# Chromium's helper processes may still write into its profile for a moment after it returns:
# retry the removal, and keep the script's own exit status.
cleanup() {
  local status=$?
  for _ in 1 2 3 4 5; do
    rm -rf "$work" 2>/dev/null && break
    sleep 1
  done
  exit "$status"
}
trap cleanup EXIT

# Flags of every launch: headless, its own throwaway profile, no first-run or background
# traffic of the browser's own.
browser() {
  timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$work/profile" --no-first-run --no-default-browser-check \
    --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
    "$@" 2>>"$work/chromium.log"
}
# A proxy on the discard port, where nothing listens: every connection is refused, loopback
# included (`<-loopback>` removes the implicit loopback bypass).
no_network=(--proxy-server=127.0.0.1:9 --proxy-bypass-list='<-loopback>')

# ---------------------------------------------------------------- the report
say "building the release binary"
cargo build --release --locked --quiet
say "running scenarios/kazakhstan.toml, $SEEDS seeds"
target/release/caseflow run scenarios/kazakhstan.toml --seeds "$SEEDS" --seed 1 --out "$work/run" >/dev/null
target/release/caseflow report "$work/run" --targets data/targets.csv >"$work/report.out"
cat "$work/report.out"
page="$work/run/report.html"
[ -s "$page" ] || fail "no report at $page"
url="file://$page"

# The value of attribute $2 on <body> in DOM dump $1 (empty when absent).
body_attr() {
  grep -o "<body[^>]*>" "$1" | head -n 1 | grep -o " $2=\"[^\"]*\"" | sed 's/.*="\(.*\)"/\1/' || true
}

# Checks a DOM dump: $1 the dump, $2 what it is, $3 the body attribute holding how many charts
# must be drawn (data-charts-main: those with published figures; data-charts-total: all).
check_drawn() {
  local dom=$1 what=$2 expected_attr=$3
  local expected drawn painted canvases errors
  expected=$(body_attr "$dom" "$expected_attr")
  drawn=$(body_attr "$dom" data-charts-drawn)
  painted=$(body_attr "$dom" data-charts-painted)
  [ -n "$expected" ] && [ "$expected" -gt 0 ] || fail "$what: the page does not say how many charts it has ($expected_attr)"
  [ -n "$drawn" ] || fail "$what: the page's script did not run (no data-charts-drawn on <body>)"
  # The chart containers' opening tags (the page's script also names these attributes, in
  # its comments, so only tags count).
  grep -o '<div class="plot"[^>]*>' "$dom" >"$dom.plots" || true
  canvases=$(grep -c 'data-drawn="canvas"' "$dom.plots" || true)
  errors=$(grep -o 'data-chart-error="[^"]*"' "$dom.plots" | head -n 3 || true)
  [ -z "$errors" ] || fail "$what: charts failed: $errors"
  [ "$drawn" -eq "$expected" ] || fail "$what: $drawn of $expected charts drawn"
  [ "$canvases" -eq "$expected" ] || fail "$what: $canvases chart containers hold a canvas, expected $expected"
  [ "$(grep -o '<canvas' "$dom" | wc -l)" -ge "$expected" ] || fail "$what: fewer <canvas> elements than charts"
  [ "$painted" = "$expected" ] || fail "$what: ${painted:-no} canvases have painted pixels, expected $expected"
  say "ok: $what: $drawn of $expected charts drawn by the inlined uPlot, each a canvas with painted pixels, no errors"
}

# 1. As written.
browser --dump-dom "$url" >"$work/dom.html" || fail "chromium could not load $url"
check_drawn "$work/dom.html" "the page" data-charts-main

# 2. With every connection refused.
browser "${no_network[@]}" --dump-dom "$url" >"$work/dom-offline.html" || fail "chromium (no network) could not load $url"
check_drawn "$work/dom-offline.html" "the page with all network refused" data-charts-main

# 3. Every collapsed section opened (a copy, with a line of script that opens them).
sed 's|</body>|<script>document.querySelectorAll("details").forEach(function (d) { d.open = true; });</script></body>|' \
  "$page" >"$work/run/open.html"
browser --virtual-time-budget=5000 --dump-dom "file://$work/run/open.html" >"$work/dom-open.html" ||
  fail "chromium could not load the opened copy"
check_drawn "$work/dom-open.html" "the page with every section opened" data-charts-total

# 4. Requests the page makes, seen in Chromium's network log with the CSP taken out.
# Page requests are those whose network isolation key is the file:// origin; any whose URL is
# not file:// is a request to the network.
page_requests() {
  grep '"network_isolation_key":"file://' "$1" | grep -o '"url":"[^"]*"' | grep -v '"url":"file:' || true
}
sed 's|<meta http-equiv="Content-Security-Policy"[^>]*>||' "$page" >"$work/run/nocsp.html"
grep -q 'Content-Security-Policy' "$work/run/nocsp.html" && fail "could not take the CSP out of the copy"
sed 's|</body>|<img src="http://example.invalid/probe.png" alt=""></body>|' "$work/run/nocsp.html" >"$work/run/probe.html"
browser "${no_network[@]}" --log-net-log="$work/probe-net.json" --dump-dom "file://$work/run/probe.html" >/dev/null ||
  fail "chromium could not load the probe page"
[ -n "$(page_requests "$work/probe-net.json")" ] ||
  fail "the network-log test did not see the probe page's remote image: it cannot be trusted"
say "ok: the network-log test sees a remote image planted in a probe copy of the page"
browser "${no_network[@]}" --log-net-log="$work/net.json" --dump-dom "file://$work/run/nocsp.html" >"$work/dom-nocsp.html" ||
  fail "chromium could not load the copy without CSP"
requests=$(page_requests "$work/net.json")
[ -z "$requests" ] || fail "the page requested: $requests"
check_drawn "$work/dom-nocsp.html" "the page without its CSP" data-charts-main
say "ok: without its CSP the page still requests nothing but file:// URLs"

# 5. The screenshot.
browser --window-size=1200,900 --screenshot="$work/report.png" "$url" >/dev/null || fail "no screenshot"
[ -s "$work/report.png" ] || fail "the screenshot is empty"
mkdir -p docs/images
cp "$work/report.png" docs/images/report.png
say "ok: screenshot (1200x900) saved as docs/images/report.png"
say "browser check passed"
