#!/usr/bin/env bash
# caseflow developer entry point: installs what the build needs, then builds and runs.
#
#   ./dev.sh run [ARGS...]   run the shipped scenario, or `caseflow run ARGS` (e.g. --seeds 50)
#   ./dev.sh test            run the whole test suite
#   ./dev.sh check           formatting, lints and tests (what CI runs)
#   ./dev.sh deps            only install the system packages
#
# The only system library caseflow needs is HDF5 (Debian/Ubuntu: libhdf5-dev); pkg-config
# finds it. On a machine without it, this script installs it with apt-get (through sudo
# unless it already runs as root). `test` and `check` also install strace, which one test uses.
set -euo pipefail
cd "$(dirname "$0")"

# need_packages [tests]: with `tests`, also what the test suite uses beyond the build: strace,
# with which a test kills `run` at each of its renames (it skips itself only where the kernel
# forbids tracing).
need_packages() {
  local missing=()
  if [ "${1:-}" = tests ]; then
    command -v strace >/dev/null 2>&1 || missing+=(strace)
  fi
  command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
  if ! pkg-config --exists hdf5 2>/dev/null && ! dpkg -s libhdf5-dev >/dev/null 2>&1; then
    missing+=(libhdf5-dev)
  fi
  command -v h5dump >/dev/null 2>&1 || missing+=(hdf5-tools)
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "caseflow needs the HDF5 C library and pkg-config (missing: ${missing[*]})." >&2
    echo "Install them with your package manager (e.g. libhdf5-dev on Debian, hdf5 on Homebrew) and retry." >&2
    exit 1
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
  fi
  echo "installing system packages: ${missing[*]}" >&2
  $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

cmd=${1:-run}
shift || true
case "$cmd" in
  deps)
    need_packages
    ;;
  run)
    need_packages
    cargo build --release --locked
    # Without a scenario (no arguments, or only options), run the shipped one.
    if [ $# -eq 0 ] || [[ "$1" == -* ]]; then
      set -- scenarios/kazakhstan.toml "$@"
    fi
    exec target/release/caseflow run "$@"
    ;;
  test)
    need_packages tests
    exec cargo test --locked
    ;;
  check)
    need_packages tests
    cargo fmt --check
    cargo clippy --locked --all-targets -- -D warnings
    exec cargo test --locked
    ;;
  *)
    echo "usage: ./dev.sh [run [ARGS...] | test | check | deps]" >&2
    exit 2
    ;;
esac
