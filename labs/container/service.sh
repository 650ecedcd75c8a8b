#!/usr/bin/env bash
# The workshop's CPU server as a systemd service that restarts: write and check its unit file.
#
#   bash labs/container/service.sh      # from the repository root; the image must exist (build.sh)
#
# Podman 4.4 and later read labs/container/vllm-workshop.container (Quadlet) directly: copy it to
# /etc/containers/systemd/. Podman 4.3 (Debian 12) has no Quadlet, so this script makes the same
# service the older way: `podman create` a container with run.sh's options (nothing starts, no
# port is bound), `podman generate systemd --new --restart-policy=always` turns it into a unit
# file (.workshop/container/vllm-workshop.service; with --new the service creates a fresh
# container on every start and removes it on stop), then the container is removed.
# When systemd-analyze exists, `systemd-analyze verify` checks the unit file.
#
# Environment: WORKSHOP_CONTAINER (default vllm-workshop), SERVICE_PORT (default 8000: a service
# has a fixed port; run.sh's CONTAINER_PORT, a random free port the page exports, is not used here),
# CONTAINER_ADDR, CONTAINER_CPUS, CONTAINER_MEMORY: as in run.sh.
# Output: the unit file's path and "verified" (or why it was not). Errors: `error: ... fix: ...`.
set -euo pipefail
source labs/container/common.sh
ct_no_options "$@"
[ "$ENGINE" = podman ] || ct_error "this script writes a Podman service" "with Docker, use: docker run --restart unless-stopped ... (see the page)"
ct_need_engine
name="${WORKSHOP_CONTAINER:-vllm-workshop}"
unit="$STATE/$name.service"
"$ENGINE" image inspect "$IMAGE" >/dev/null 2>&1 || ct_error "the image $IMAGE does not exist" "build it: bash labs/container/build.sh"
"$ENGINE" container inspect "$name" >/dev/null 2>&1 &&
  ct_error "a container named $name exists already" "$ENGINE rm -f $name, or WORKSHOP_CONTAINER=another-name bash labs/container/service.sh"
if [ -x /usr/libexec/podman/quadlet ] || [ -x /usr/lib/podman/quadlet ]; then
  echo "this Podman has Quadlet: copy labs/container/vllm-workshop.container to /etc/containers/systemd/"
fi
mkdir -p "$STATE"
"$ENGINE" create --init --name "$name" --publish "${CONTAINER_ADDR:-127.0.0.1}:${SERVICE_PORT:-8000}:8000" \
  --cpus "${CONTAINER_CPUS:-2}" --memory "${CONTAINER_MEMORY:-6g}" --shm-size "${CONTAINER_SHM:-1g}" "$IMAGE" >/dev/null
trap '"$ENGINE" rm -f "$name" >/dev/null 2>&1 || true' EXIT
"$ENGINE" generate systemd --new --name --restart-policy=always "$name" > "$unit" ||
  ct_error "podman generate systemd failed (message above)" "check the container: $ENGINE container inspect $name"
echo "wrote $unit"
if command -v systemd-analyze >/dev/null 2>&1; then
  if ! out="$(systemd-analyze verify "$unit" 2>&1)"; then
    echo "$out" >&2
    ct_error "systemd-analyze verify found problems in $unit (above)" "read them; the unit comes from: podman generate systemd --new"
  fi
  echo "verified by systemd-analyze verify"
else
  echo "not verified: systemd-analyze is not installed"
fi
echo "install it: sudo cp $unit /etc/systemd/system/ && sudo systemctl daemon-reload && sudo systemctl enable --now $name"
