#!/usr/bin/env bash
# Opens the workshop page of `caseflow serve` in a real browser (headless Chromium, driven over
# the DevTools protocol by scripts/workshop_cdp.py, standard-library Python only) and uses it as
# a participant would: waits for the baseline, drags the judges' reversal-cost slider with the
# mouse, clicks Run, and checks that the numbers, the variant's series and the chart's pixels
# changed and that the page asked nothing of any other site. Saves the screenshot the README
# shows, docs/images/workshop.png.
#
#   scripts/workshop-check.sh      # installs chromium from Debian if it is missing
#
# The server runs the shipped scenario on loopback (port chosen by the system), scaled down as
# the workshop runs it; it is stopped (by its pid) when the check ends.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '%s\n' "$*"; }
fail() {
  printf 'workshop check FAILED: %s\n' "$*" >&2
  exit 1
}

# ---------------------------------------------------------------- Chromium and Python
. scripts/lib/apt-install.sh
command -v chromium >/dev/null 2>&1 || apt_install chromium
command -v python3 >/dev/null 2>&1 || apt_install python3
say "browser: $(chromium --version 2>/dev/null | head -n 1)"

work=$(mktemp -d "${TMPDIR:-/tmp}/caseflow-workshop-check.XXXXXX")
server_pid=""
browser_pid=""
cleanup() {
  local status=$?
  # Chromium runs in its own process group (setsid below): stop its helper processes too, or
  # they keep writing into the profile while it is being removed.
  [ -n "$browser_pid" ] && { kill -- "-$browser_pid" 2>/dev/null || kill "$browser_pid" 2>/dev/null || true; }
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  for _ in 1 2 3 4 5; do
    rm -rf "$work" 2>/dev/null && break
    sleep 1
  done
  exit "$status"
}
trap cleanup EXIT

# Waits up to $2 seconds for a line matching $3 in file $1 and prints the first match.
wait_for_line() {
  local file=$1 limit=$2 pattern=$3 i
  for ((i = 0; i < limit * 4; i++)); do
    if grep -m 1 -o "$pattern" "$file" 2>/dev/null; then
      return 0
    fi
    sleep 0.25
  done
  return 1
}

# ---------------------------------------------------------------- the server
say "building the release binary"
cargo build --release --locked --quiet
target/release/caseflow serve scenarios/kazakhstan.toml --host 127.0.0.1 --port 0 >"$work/server.log" 2>&1 &
server_pid=$!
url=$(wait_for_line "$work/server.log" 60 'http://127\.0\.0\.1:[0-9]*/') ||
  fail "the server did not start: $(cat "$work/server.log")"
say "server: $url (pid $server_pid)"

# ---------------------------------------------------------------- the browser
setsid chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --user-data-dir="$work/profile" --no-first-run --no-default-browser-check \
  --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
  --remote-debugging-address=127.0.0.1 --remote-debugging-port=0 about:blank 2>"$work/chromium.log" &
browser_pid=$!
ws=$(wait_for_line "$work/chromium.log" 60 'ws://127\.0\.0\.1:[0-9]*/') ||
  fail "chromium did not open its DevTools port: $(tail -n 5 "$work/chromium.log")"
devtools="http://${ws#ws://}"
devtools=${devtools%/}

mkdir -p docs/images
timeout 300 python3 scripts/workshop_cdp.py "$devtools" "$url" "$work/workshop.png"
[ -s "$work/workshop.png" ] || fail "the screenshot is empty"
cp "$work/workshop.png" docs/images/workshop.png
say "ok: screenshot (1280x1500) copied to docs/images/workshop.png"
kill "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
server_pid=""
say "workshop check passed"
