#!/usr/bin/env bash
# Build a Debian bookworm base image without any image registry: localhost/workshop-base:bookworm.
#
#   bash labs/container/base.sh        # from the repository root; as root (mmdebstrap, podman import)
#
# What: mmdebstrap (variant apt) makes a root file system with Python 3.11 (python3, python3-venv,
# python3-pip), ca-certificates, libnuma1 (vLLM's CPU kernels load libnuma.so.1) and curl, from the
# Debian mirror this machine's apt already uses (read from /etc/apt/sources.list*), and
# `podman import` turns that tar into an image. About 100 s and 250 MB. Skipped when the image
# exists, and when docker.io answers (build.sh then pulls the Containerfile's default base,
# docker.io/library/python:3.12-slim-bookworm, instead; BUILD_BASE=1 builds this one anyway).
# build.sh calls this (with BUILD_BASE=1) only when docker.io cannot be reached.
# Errors: `error: ... fix: ...` on stderr, exit 1.
set -euo pipefail
source labs/container/common.sh
ct_no_options "$@"
ct_need_engine
if "$ENGINE" image exists "$LOCAL_BASE" 2>/dev/null; then
  echo "$LOCAL_BASE exists"
  exit 0
fi
if [ -z "${BUILD_BASE:-}" ] && curl -s -o /dev/null --connect-timeout 5 --max-time 10 https://registry-1.docker.io/v2/; then
  echo "docker.io answers: build.sh pulls $(sed -n 's/^ARG BASE=//p' labs/container/Containerfile) and needs no $LOCAL_BASE (BUILD_BASE=1 builds it anyway)"
  exit 0
fi
command -v mmdebstrap >/dev/null 2>&1 || ct_error "mmdebstrap is not installed" "sudo apt-get install -y mmdebstrap   (or bash scripts/install_podman.sh)"
[ "$(id -u)" = 0 ] || ct_error "mmdebstrap needs root here (it makes device files and owns files as root)" "sudo bash labs/container/base.sh"
# The first http(s) Debian mirror apt uses (deb822 "URIs:" or one-line "deb URL suite ...").
mirror="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
  awk '/^URIs:/ {print $2} /^deb / {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; break}}' |
  grep -E '/debian/?$' | head -n 1 || true)"
mirror="${mirror:-http://deb.debian.org/debian}"
mkdir -p "$STATE"
tar="$STATE/workshop-base.tar"
echo "building $LOCAL_BASE from $mirror (about 100 s)"
if ! mmdebstrap --quiet --variant=apt \
       --include=python3,python3-venv,python3-pip,ca-certificates,libnuma1,curl \
       bookworm "$tar" "$mirror" > "$STATE/base.log" 2>&1; then
  tail -n 20 "$STATE/base.log" >&2
  ct_error "mmdebstrap could not build the Debian root file system (log: $STATE/base.log)" "check that apt can reach $mirror (sudo apt-get update)"
fi
"$ENGINE" import --quiet "$tar" "$LOCAL_BASE" >/dev/null ||
  ct_error "$ENGINE import of $tar failed" "read the message above; podman system info shows the storage in use"
rm -f "$tar"
echo "built $LOCAL_BASE"
