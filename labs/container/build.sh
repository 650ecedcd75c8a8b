#!/usr/bin/env bash
# Build the workshop's CPU server image: localhost/vllm-workshop-cpu:<hash>, also tagged :latest.
#
#   bash labs/container/build.sh            # from the repository root
#   BASE=docker.io/library/python:3.12-slim-bookworm bash labs/container/build.sh   # another base
#   CONTAINER_ENGINE=docker bash labs/container/build.sh                            # Docker
#
# Cache: the tag is the first 12 hex digits of a SHA-256 over the build's inputs (the
# Containerfile, the engine and model groups of pyproject.toml, the files of labs/serve/,
# scripts/prepare_model.py, scripts/vllm_cpu_cli.py) and the base image's name; when an image
# with that tag exists, nothing is built (about 1 s). The image gets a pyproject.toml with just
# those two groups, so a change to the docs or test pins rebuilds nothing. Two builds at once
# (the test suite starts one in the background) wait for each other.
# Change a pin or the server profile and the next run builds anew (first build: 5-10 minutes,
# 3.5-4 GB; later builds reuse the unchanged layers).
#
# Base image: $BASE if set; else the Containerfile's default (python:3.12-slim-bookworm on
# Docker Hub) when it is already here or docker.io answers within 5 s; else (no registry, as on
# the workshop's CI machines) localhost/workshop-base:bookworm, built first by base.sh.
#
# Your machine's pip settings: when `pip config list` shows any (a CA bundle, find-links, index
# or constraints files: company proxies, offline wheel folders), they go into a pip.conf that the
# build mounts read-only with the local files and folders it names, for the build only: nothing
# of them is in the Containerfile or left in the image. Podman only (docker build has no volumes).
#
# Output: the image's name on stdout's last line. The build log: .workshop/container/build.log.
# Errors: the log's last lines, then `error: ... fix: ...` with the likely fix; exit 1.
set -euo pipefail
source labs/container/common.sh
ct_no_options "$@"
ct_need_engine
mkdir -p "$STATE"   # a fresh clone has no .workshop/container/ yet
exec 9> "$STATE/build.lock"
flock 9   # a build already running finishes first; this one then finds its image

image_exists() { "$ENGINE" image inspect "$1" >/dev/null 2>&1; }
# Files only, in this order (it is the hash's): the __pycache__ folder Python leaves in labs/serve/
# once a server has loaded the tool parser plugin is not an input (it made `cat` and `cp` fail).
inputs=(labs/container/Containerfile)
for f in labs/serve/*; do if [ -f "$f" ]; then inputs+=("$f"); fi; done
inputs+=(scripts/prepare_model.py scripts/vllm_cpu_cli.py)
# The two dependency groups the image installs, as a pyproject.toml of their own.
groups="$(python3 -c 'import tomllib, json; g = tomllib.load(open("pyproject.toml", "rb"))["dependency-groups"]
print("[dependency-groups]"); [print(k, "=", json.dumps(g[k])) for k in ("engine", "model")]')"
default_base="$(sed -n 's/^ARG BASE=//p' labs/container/Containerfile)"

if [ -n "${BASE:-}" ]; then base="$BASE"
elif image_exists "$default_base" ||
     curl -s -o /dev/null --connect-timeout 5 --max-time 10 https://registry-1.docker.io/v2/; then
  base="$default_base"
else
  echo "docker.io cannot be reached: using a Debian base built here ($LOCAL_BASE)"
  BUILD_BASE=1 bash labs/container/base.sh
  base="$LOCAL_BASE"
fi

hash="$( { printf '%s\n' "$base" "$groups"; for f in "${inputs[@]}"; do printf '%s\n' "$f"; cat "$f"; done; } | sha256sum | cut -c1-12)"
tagged="$IMAGE_REPO:$hash"
if image_exists "$tagged"; then
  "$ENGINE" tag "$tagged" "$IMAGE_REPO:latest"
  echo "up to date (inputs unchanged)"
  echo "$tagged"
  exit 0
fi

# The build context: just the inputs, so that nothing else of the folder (.venv: GBs) is sent.
ctx="$STATE/context"
rm -rf "$ctx" && mkdir -p "$ctx"
for f in "${inputs[@]}"; do mkdir -p "$ctx/$(dirname "$f")" && cp "$f" "$ctx/$f"; done
printf '%s\n' "$groups" > "$ctx/pyproject.toml"

args=(--format docker --layers --pull=missing --build-arg "BASE=$base")
[ "$ENGINE" = docker ] && args=(--build-arg "BASE=$base")
# This machine's pip settings (see the header), as a pip.conf plus read-only volumes.
if [ "$ENGINE" = podman ] && settings="$(python3 -m pip config list 2>/dev/null)" && [ -n "$settings" ]; then
  mkdir -p "$STATE/pip"
  mounts="$(SETTINGS="$settings" python3 - "$STATE/pip/pip.conf" <<'PY'
import os, re, sys
conf = {}
for line in os.environ["SETTINGS"].splitlines():   # global.cert='/x' or :env:.find-links='/y'
    m = re.match(r"(?::env:|global|install)\.([\w-]+)='(.*)'$", line)
    if m:
        conf[m.group(1)] = m.group(2)
with open(sys.argv[1], "w") as f:
    f.write("[global]\n" + "".join(f"{k} = {v}\n" for k, v in conf.items()))
# Local paths to mount; a file:// index's pages link to files beside it (../files), so for an
# index folder named "simple" its parent is mounted.
paths = {os.path.dirname(p.rstrip("/")) if w.startswith("file://") and p.rstrip("/").endswith("/simple") else p
         for v in conf.values() for w in v.split() for p in [w.removeprefix("file://")]}
print("\n".join(sorted(p for p in paths if p.startswith("/") and os.path.exists(p))))
print("extra-index-url=" + conf.get("extra-index-url", ""))
PY
)"
  args+=(--volume "$STATE/pip:/run/workshop-pip:ro" --build-arg PIP_CONFIG_FILE=/run/workshop-pip/pip.conf)
  while IFS= read -r p; do
    case "$p" in
      extra-index-url=?*) args+=(--build-arg "PIP_EXTRA_INDEX_URL=${p#extra-index-url=}") ;;
      /*) args+=(--volume "$p:$p:ro") ;;
    esac
  done <<< "$mounts"
  echo "using this machine's pip settings for the build ($STATE/pip/pip.conf)"
fi

echo "building $tagged from $base (first time: 5-10 minutes; log: $STATE/build.log)"
start=$SECONDS
if ! "$ENGINE" build "${args[@]}" -f "$ctx/labs/container/Containerfile" -t "$tagged" "$ctx" > "$STATE/build.log" 2>&1; then
  tail -n 25 "$STATE/build.log" >&2
  log="$(tail -n 60 "$STATE/build.log")"
  case "$log" in
    *torch==2.13.0+cpu*|*"No matching distribution found for torch"*)
      fix="pip found no torch==2.13.0+cpu: export PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu and run this again" ;;
    *setrlimit*|*"hybrid mode"*)
      fix="the OCI runtime cannot set the container's limits: write a containers.conf as labs/container/common.sh explains and export CONTAINERS_CONF" ;;
    *"no space left"*)
      fix="free disk space: podman system prune (removes unused images), df -h /var/lib/containers" ;;
    *"initializing source"*|*"pinging container registry"*|*"manifest unknown"*)
      fix="the base image $base could not be pulled: check the network, or run BASE=$LOCAL_BASE bash labs/container/build.sh (after bash labs/container/base.sh)" ;;
    *"Could not fetch URL"*|*"SSL"*|*"Temporary failure in name resolution"*)
      fix="pip in the build cannot reach the package index: set your proxy (HTTPS_PROXY) or pip's settings (pip config list); this script passes them to the build" ;;
    *) fix="read the log's last lines above (full log: $STATE/build.log)" ;;
  esac
  ct_error "$ENGINE build of $tagged failed after $(( SECONDS - start )) s" "$fix"
fi
"$ENGINE" tag "$tagged" "$IMAGE_REPO:latest"
echo "built in $(( SECONDS - start )) s"
echo "$tagged"
