#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (tests/docs/test_site.py), if it is not there yet.
#
# Playwright drives this system browser (executable_path), so no browser download from a CDN is
# needed. Needs root or password-less sudo; otherwise it says what to run and exits 1.
# Skipped when $CHROMIUM points at an existing browser.
set -euo pipefail
target="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$target" ] && exit 0
if [ "$(id -u)" = 0 ]; then sudo=()
elif sudo -n true 2>/dev/null; then sudo=(sudo -n)
else
  echo "error: the browser tests need Chromium at $target." >&2
  echo "  fix: sudo apt-get install -y chromium   (or export CHROMIUM=/path/to/chromium)" >&2
  exit 1
fi
printf '\033[1m==> %s\033[0m\n' "installing Debian's chromium for the browser tests (about 1 minute)" >&2
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends chromium >/dev/null; then
  "${sudo[@]}" apt-get update -q >/dev/null
  "${sudo[@]}" apt-get install -y -q --no-install-recommends chromium >/dev/null
fi
[ -x "$target" ] || { echo "error: chromium installed, but $target is missing" >&2; exit 1; }
