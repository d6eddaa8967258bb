#!/usr/bin/env bash
# Installs the system libraries WeasyPrint needs to build the monthly editions (Pango and
# HarfBuzz's subsetter) when they are missing and the machine allows it. Without them the
# portal still serves pages, but building an edition fails with the reason.
set -euo pipefail
PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
exec "$(dirname "$0")/apt-install.sh" "monthly editions (WeasyPrint) cannot be built" "${missing[@]}"
