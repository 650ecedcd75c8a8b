#!/usr/bin/env bash
# Module 1 lab: what --api-key protects. Starts a second CPU server on port 8011 with a key,
# asks it four questions, and stops it again (about a minute on a 2-core CPU).
# Run from the repository root: bash labs/module1/api_key.sh
set -euo pipefail
PORT="${API_KEY_DEMO_PORT:-8011}"
LOG="$(mktemp)"
# --8<-- [start:start]
VLLM_PORT=$PORT bash labs/serve/serve_cpu.sh --api-key acme-secret-key > "$LOG" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null; wait $SERVER_PID 2>/dev/null; rm -f "$LOG"' EXIT
until curl -fs -o /dev/null "http://127.0.0.1:$PORT/health"; do
  kill -0 $SERVER_PID 2>/dev/null || { tail -n 20 "$LOG"; exit 1; }
  sleep 2
done
# --8<-- [end:start]
# --8<-- [start:probe]
code() { curl -s -o /dev/null -w "%{http_code}" "$@"; }
echo "/health without a key:    HTTP $(code "http://127.0.0.1:$PORT/health")"
echo "/v1/models without a key: HTTP $(code "http://127.0.0.1:$PORT/v1/models")"
echo "/v1/models, wrong key:    HTTP $(code -H 'Authorization: Bearer guess' "http://127.0.0.1:$PORT/v1/models")"
echo "/v1/models, right key:    HTTP $(code -H 'Authorization: Bearer acme-secret-key' "http://127.0.0.1:$PORT/v1/models")"
# --8<-- [end:probe]
