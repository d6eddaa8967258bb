#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests when it is missing and we may install
# packages (root, or password-less sudo). Otherwise says so: the browser tests then skip,
# unless REQUIRE_BROWSER=1 (CI), which makes them fail.
set -euo pipefail
CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium not found at $CHROMIUM and apt-get is not available: browser tests will be skipped." >&2
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
  echo "chromium not found and cannot install it without root: browser tests will be skipped." >&2
  exit 0
fi
echo "Installing Debian's chromium for the browser tests..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
