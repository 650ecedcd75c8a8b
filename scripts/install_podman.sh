#!/usr/bin/env bash
# Install Debian's Podman for the container tests (tests/labs/container/test_container.py, docs/*/containers.md),
# if it is not there yet.
#
#   bash scripts/install_podman.sh     # exit 0: podman, runc and mmdebstrap are on PATH
#
# Installs with apt, by package name, only what is missing:
#   podman      the container engine (Debian bookworm: 4.3.1)
#   runc        the OCI runtime that labs/container/podman.sh selects where crun cannot run
#               (a sandbox whose root lacks CAP_SYS_RESOURCE; see shared notes, "Containers")
#   mmdebstrap  builds a Debian base image where no image registry can be reached
#               (labs/container/base.sh)
# Needs root or password-less sudo; otherwise it prints `error: ... fix: ...` with the command to
# run and exits 1. scripts/test records that failure and goes on: the container tests then skip
# with this reason and fix.
set -euo pipefail
need=()
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v runc >/dev/null 2>&1 || need+=(runc)
command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then sudo=()
elif sudo -n true 2>/dev/null; then sudo=(sudo -n)
else
  echo "error: the container tests need ${need[*]} (not installed, and no root or password-less sudo here)." >&2
  echo "  fix: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
printf '\033[1m==> %s\033[0m\n' "installing Debian's ${need[*]} for the container tests (about 1 minute)" >&2
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" apt-get install -y -q "${need[@]}" >/dev/null 2>&1; then
  "${sudo[@]}" apt-get update -q >/dev/null
  if ! "${sudo[@]}" apt-get install -y -q "${need[@]}" >/dev/null; then
    echo "error: apt-get could not install ${need[*]}." >&2
    echo "  fix: read apt's message above, then: sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi
for cmd in "${need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || { echo "error: $cmd installed, but not on PATH. fix: check the package: dpkg -L $cmd" >&2; exit 1; }
done
