#!/usr/bin/env bash
# Run the workshop's CPU server image as a container with a published port, and wait until healthy.
#
#   bash labs/container/run.sh                        # from the repository root
#   CONTAINER_PORT=$(python3 scripts/server.py free-port) bash labs/container/run.sh   # a port you choose (default: a free one)
#   bash labs/container/run.sh --api-key KEY          # extra arguments go to `vllm serve`
#   bash labs/container/run.sh --help                 # this text (vLLM's own: podman run --rm IMAGE --help)
#
# Environment (all optional):
#   WORKSHOP_CONTAINER    the container's name (default vllm-workshop)
#   CONTAINER_PORT    the host port published to the container's 8000 (default: a free port)
#   CONTAINER_ADDR    the host address it listens on (default 127.0.0.1: this machine only;
#                     0.0.0.0 opens it to your network)
#   CONTAINER_CPUS    CPUs the container may use (default: all of this machine's, `nproc`)
#   CONTAINER_MEMORY  memory limit (default 6g: the model in float32, 2 GiB of KV cache, Python)
#   CONTAINER_SHM     size of /dev/shm (default 1g; vLLM's processes share tensors there, and the
#                     engines' default of 64 MB is too small: "Insufficient space in /dev/shm")
#   MODEL_DIR         a model folder on this machine to serve instead of the image's own: mounted
#                     read-only at /models/model (WORKSHOP_MODEL_DIR inside the container)
#   WAIT_S            seconds to wait for /health (default 300)
#   WORKSHOP_IMAGE    the image (default localhost/vllm-workshop-cpu:latest, made by build.sh)
#   WORKSHOP_PROGRESS_EVERY  seconds between the waiting lines (default 15)
#
# Output: the `podman run` command, a line every 15 s while the server loads (seconds waited and
# the container's last log line: 35 s to healthy on the quiet workshop machine, 203 s while other
# tests ran there), then "healthy after N s" and the VLLM_BASE_URL to export.
# Errors (each `error: ... fix: ...`, exit 1): CONTAINER_PORT is not a port number, the engine or
# the image is missing, the name is in use, the port is taken (or CONTAINER_ADDR is not an address
# of this machine), the container exits before it is healthy or is not healthy in WAIT_S (both
# print its last log lines first).
set -euo pipefail
source labs/container/common.sh
ct_help "$@"
name="${WORKSHOP_CONTAINER:-vllm-workshop}"
addr="${CONTAINER_ADDR:-127.0.0.1}"
port="${CONTAINER_PORT:-$(python3 scripts/server.py free-port)}"
wait_s="${WAIT_S:-300}"
if [[ ! "$port" =~ ^[0-9]{1,5}$ ]] || [ "$((10#$port))" -lt 1 ] || [ "$((10#$port))" -gt 65535 ]; then
  ct_error "CONTAINER_PORT=$port is not a port number (1 to 65535)" "export CONTAINER_PORT=\$(python3 scripts/server.py free-port)   (a free port of this machine)"
fi
ct_need_engine

"$ENGINE" image inspect "$IMAGE" >/dev/null 2>&1 ||
  ct_error "the image $IMAGE does not exist" "build it: bash labs/container/build.sh"
if "$ENGINE" container inspect "$name" >/dev/null 2>&1; then
  ct_error "a container named $name exists already" "$ENGINE rm -f $name   (or WORKSHOP_CONTAINER=another-name bash labs/container/run.sh)"
fi
bind="$(python3 -c '
import errno, socket, sys
try:
    socket.socket().bind((sys.argv[1], int(sys.argv[2])))
except OSError as exc:
    print("taken" if exc.errno == errno.EADDRINUSE else exc.strerror or exc)' "$addr" "$port" 2>&1)"
case "$bind" in
  "") ;;
  taken) ct_error "port $port on $addr is taken by another program" "pick a free port: export CONTAINER_PORT=\$(python3 scripts/server.py free-port)   (ss -ltnp | grep :$port shows who has it)" ;;
  *) ct_error "cannot listen on $addr:$port ($bind)" "CONTAINER_ADDR must be an address of this machine: 127.0.0.1 (the default) or 0.0.0.0 (your network); unset CONTAINER_ADDR" ;;
esac

opts=(--detach --init --name "$name" --publish "$addr:$port:8000"
      --cpus "${CONTAINER_CPUS:-$(nproc)}" --memory "${CONTAINER_MEMORY:-6g}" --shm-size "${CONTAINER_SHM:-1g}")
if [ -n "${MODEL_DIR:-}" ]; then
  [ -f "$MODEL_DIR/config.json" ] || ct_error "MODEL_DIR=$MODEL_DIR holds no model (no config.json)" "point MODEL_DIR at a Hugging Face model folder, e.g. .workshop/models/SmolLM2-135M-Instruct"
  opts+=(--volume "$(cd "$MODEL_DIR" && pwd):/models/model:ro" --env WORKSHOP_MODEL_DIR=/models/model)
fi
echo "$ENGINE run ${opts[*]} $IMAGE $*"
if ! out="$("$ENGINE" run "${opts[@]}" "$IMAGE" "$@" 2>&1)"; then
  echo "$out" >&2
  "$ENGINE" rm -f "$name" >/dev/null 2>&1 || true
  case "$out" in
    *"address already in use"*) ct_error "port $port is taken" "export CONTAINER_PORT=\$(python3 scripts/server.py free-port) and run this again" ;;
    *) ct_error "$ENGINE could not start the container (message above)" "check it with: $ENGINE run --rm $IMAGE --help" ;;
  esac
fi

start=$SECONDS
every="${WORKSHOP_PROGRESS_EVERY:-15}"; next=$every   # a line while it loads: never a silent wait
until curl -fsS -o /dev/null --max-time 5 "http://127.0.0.1:$port/health" 2>/dev/null; do
  if [ "$("$ENGINE" container inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" != true ]; then
    "$ENGINE" logs --tail 30 "$name" >&2 || true
    code="$("$ENGINE" container inspect -f '{{.State.ExitCode}}' "$name" 2>/dev/null || echo '?')"
    case "$("$ENGINE" logs "$name" 2>&1 | tail -n 200)" in
      *"space in /dev/shm"*) fix="$ENGINE rm $name, then give it more shared memory: CONTAINER_SHM=2g bash labs/container/run.sh" ;;
      *"Permission denied"*) fix="MODEL_DIR must be readable by the container's user (uid 10001): chmod -R a+rX \$MODEL_DIR; then $ENGINE rm $name" ;;
      *"Killed"*|*"out of memory"*) fix="$ENGINE rm $name, then allow more memory: CONTAINER_MEMORY=8g bash labs/container/run.sh" ;;
      *) fix="read them; then $ENGINE rm $name and run this again" ;;
    esac
    ct_error "the container $name exited (code $code) before it was healthy; its last log lines are above" "$fix"
  fi
  if [ $(( SECONDS - start )) -ge "$wait_s" ]; then
    "$ENGINE" logs --tail 30 "$name" >&2 || true
    ct_error "the container $name was not healthy after $wait_s s; its last log lines are above" "wait longer (WAIT_S=600), or give it more CPUs or memory (CONTAINER_CPUS, CONTAINER_MEMORY)"
  fi
  if [ $(( SECONDS - start )) -ge "$next" ]; then
    echo "  waiting for /health: $(( SECONDS - start )) s | $("$ENGINE" logs --tail 1 "$name" 2>&1 | tail -n 1 | cut -c1-100)"
    next=$(( next + every ))
  fi
  sleep 2
done
echo "healthy after $(( SECONDS - start )) s"
echo "export VLLM_BASE_URL=http://127.0.0.1:$port/v1"
