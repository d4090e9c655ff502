#!/usr/bin/env bash
# Installs what caduce needs on Debian 12 and is missing: the Debian packages listed in
# scripts/debian-packages.txt. Safe to run again: it installs only what is absent.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' scripts/debian-packages.txt | grep -v '^$')
missing=()
for p in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${#missing[@]} Debian package(s): ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# exceljs for the interop tests, from tests/interop/package-lock.json. Debian's nodejs
# has no npm of its own: install the npm package when the command is missing.
if [ ! -d tests/interop/node_modules ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "setup: installing the Debian package npm"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  echo "setup: installing tests/interop npm packages"
  if [ -f tests/interop/package-lock.json ]; then
    (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  else
    (cd tests/interop && npm install --no-audit --no-fund --loglevel=error >/dev/null)
  fi
fi

# jmap-jam, the JMAP client of tests/jmap/client, from its package-lock.json.
if [ ! -d tests/jmap/client/node_modules ] || \
   [ tests/jmap/client/package-lock.json -nt tests/jmap/client/node_modules/.package-lock.json ]; then
  echo "setup: installing tests/jmap/client npm packages"
  (cd tests/jmap/client && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

# The web UI: its npm packages from web/package-lock.json, then web/dist, rebuilt only
# when a source is newer than the last build (quick and idempotent otherwise).
if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  echo "setup: installing web npm packages"
  (cd web && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
if [ ! -f web/dist/index.html ] || [ -n "$(find web/src web/index.html web/package.json web/vite.config.ts \
     -newer web/dist/index.html -print -quit)" ]; then
  echo "setup: building the web UI (web/dist)"
  (cd web && npm run --silent build) || { echo "setup: the web UI build failed" >&2; exit 1; }
fi
