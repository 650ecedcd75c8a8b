#!/usr/bin/env bash
# Module 1 lab: what --api-key protects. Starts a second CPU server with a key on a free port,
# asks it four questions, and stops it again (30 to 60 s on a 2-core CPU).
# Run from the repository root, with the virtual environment active: bash labs/module1/api_key.sh
#
# Every step is bounded: the server must be healthy within API_KEY_DEMO_TIMEOUT seconds
# (default 300), each probe within 10 s, and on exit the server's whole process group gets
# SIGTERM, then SIGKILL after 20 s (vLLM's shutdown can hang: a `wait` without a bound once kept
# this lab alive for 10 minutes). Set API_KEY_DEMO_PORT to choose the port.
set -euo pipefail
command -v vllm >/dev/null || { printf 'error: the vllm command is not on PATH\n  fix: source .venv/bin/activate (CPU path), or install vLLM\n' >&2; exit 1; }
PORT="${API_KEY_DEMO_PORT:-$(python3 scripts/server.py free-port)}"
LOG="$(mktemp)"
stop_server() {  # TERM the server's process group, KILL it if it is still there after 20 s
  kill -TERM -- "-$SERVER_PID" 2>/dev/null || return 0
  for _ in $(seq 40); do kill -0 -- "-$SERVER_PID" 2>/dev/null || return 0; sleep 0.5; done
  kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
}
# --8<-- [start:start]
setsid env VLLM_PORT="$PORT" bash labs/serve/serve_cpu.sh --api-key acme-secret-key > "$LOG" 2>&1 &
SERVER_PID=$!
trap 'stop_server; rm -f "$LOG"' EXIT
deadline=$(( SECONDS + ${API_KEY_DEMO_TIMEOUT:-300} ))
until curl -fs --max-time 2 -o /dev/null "http://127.0.0.1:$PORT/health"; do
  if ! kill -0 "$SERVER_PID" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
    tail -n 20 "$LOG" >&2
    printf 'error: the server with a key did not become healthy on port %s\n  fix: read the log lines above; python scripts/server.py status shows whether the main server uses the memory\n' "$PORT" >&2
    exit 1
  fi
  sleep 2
done
# --8<-- [end:start]
# --8<-- [start:probe]
code() { curl -s --max-time 10 -o /dev/null -w "%{http_code}" "$@"; }
echo "/health without a key:    HTTP $(code "http://127.0.0.1:$PORT/health")"
echo "/v1/models without a key: HTTP $(code "http://127.0.0.1:$PORT/v1/models")"
echo "/v1/models, wrong key:    HTTP $(code -H 'Authorization: Bearer guess' "http://127.0.0.1:$PORT/v1/models")"
echo "/v1/models, right key:    HTTP $(code -H 'Authorization: Bearer acme-secret-key' "http://127.0.0.1:$PORT/v1/models")"
# --8<-- [end:probe]
