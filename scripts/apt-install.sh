#!/usr/bin/env bash
# apt-install.sh "WHAT THEY ARE FOR" PACKAGE...: installs Debian packages when the machine
# allows it (apt-get, and root or password-less sudo); otherwise says what will not work and
# exits 0, so `make` goes on. Used by ensure-browser.sh and ensure-pdf-libs.sh.
set -euo pipefail
purpose=$1
shift
if ! command -v apt-get >/dev/null 2>&1; then
  echo "$* not installed and apt-get is not available: $purpose." >&2
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
  echo "$* not installed and cannot be without root: $purpose." >&2
  exit 0
fi
echo "Installing $*..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
