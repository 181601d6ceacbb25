# Sourced by the check scripts: `apt_install PKG...` installs Debian packages the check needs
# (apt-get, through sudo unless it runs as root), or exits 1 saying what to install by hand.
# One place for what each check used to write out again.
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    printf 'missing: %s; there is no apt-get here: install it with your package manager\n' "$*" >&2
    exit 1
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      printf 'missing: %s; installing it needs root or sudo\n' "$*" >&2
      exit 1
    fi
    sudo=sudo
  fi
  printf 'installing %s (apt-get)\n' "$*" >&2
  $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "$@" >/dev/null
}
