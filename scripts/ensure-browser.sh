#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests when it is missing and we may install
# packages (root, or password-less sudo). Otherwise says so: the browser tests then skip,
# unless REQUIRE_BROWSER=1 (CI), which makes them fail.
set -euo pipefail
CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] && exit 0
exec "$(dirname "$0")/apt-install.sh" "browser tests will be skipped (chromium not at $CHROMIUM)" \
  chromium fonts-dejavu-core
