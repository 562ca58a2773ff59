# shellcheck shell=bash
# Shared by scripts/test and scripts/serve: make sure the toolchain and the system libraries the build
# links against (SQLite for GRDB, zlib for compress-nio) are there. apt runs only when something is missing.

MOCKFILES_APT_PACKAGES=(libsqlite3-dev zlib1g-dev)

# One optimised build serves the server, the Swift tests (@testable needs -enable-testing) and the
# acceptance suite: a debug build parses multipart ~100x slower, and two configurations would mean
# building every dependency twice.
MOCKFILES_SWIFT_FLAGS=(-c release -Xswiftc -enable-testing)

# Swift 6.3 lives in /opt/swift on our machines; put it on PATH when a login shell has not.
ensure_swift() {
  if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
  fi
  command -v swift >/dev/null 2>&1 || { echo "error: swift not found on PATH (expected /opt/swift/usr/bin)" >&2; return 1; }
}

apt_installed() {
  dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'
}

# ensure_system_packages [extra-package ...]: install whatever of MOCKFILES_APT_PACKAGES and the extras is missing.
ensure_system_packages() {
  local pkg missing=()
  for pkg in "${MOCKFILES_APT_PACKAGES[@]}" "$@"; do
    apt_installed "$pkg" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "system packages present: ${MOCKFILES_APT_PACKAGES[*]} $*"
    return 0
  fi
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "installing missing system packages: ${missing[*]}"
  "${sudo[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
}
