#!/usr/bin/env bash
# Module 1 lab: what --api-key protects. Starts a second CPU server with a key on a free port,
# asks it four questions, and stops it again (2 to 3 minutes on the workshop's 2-core machine while
# other programs ran; Module 1's page gives the times measured).
# Run from the repository root, with the virtual environment active: bash labs/module1/api_key.sh
#
# The server is started and stopped by scripts/server.py, the workshop's one way to run a server:
# it waits at most API_KEY_DEMO_TIMEOUT seconds (default 300) for /health, showing on stderr the
# seconds waited and the server log's last line (in a terminal: one line rewritten every second;
# otherwise a new line every 15 s), and says why when the server does not
# come up; on exit the server's whole process group gets SIGTERM, then SIGKILL
# after 30 s (vLLM's shutdown can hang). Each probe takes at most 10 s. Set API_KEY_DEMO_PORT to
# choose the port.
set -euo pipefail
source labs/workshop.sh   # ws_no_options: an argument it does not take is one error/fix
ws_no_options "$@"
command -v vllm >/dev/null || { printf 'error: the vllm command is not on PATH\n  fix: source .venv/bin/activate (CPU path), or install vLLM\n' >&2; exit 1; }
PORT="${API_KEY_DEMO_PORT:-$(python3 scripts/server.py free-port)}"
NAME="api-key-demo-$PORT"   # a name of its own: a second run at the same time must not stop this one
trap 'python3 scripts/server.py stop --name "$NAME" > /dev/null' EXIT
# --8<-- [start:start]
VLLM_PORT="$PORT" python3 scripts/server.py start --name "$NAME" \
  --timeout "${API_KEY_DEMO_TIMEOUT:-300}" -- bash labs/serve/serve_cpu.sh --api-key acme-secret-key >&2
# --8<-- [end:start]
# --8<-- [start:probe]
code() { curl -s --max-time 10 -o /dev/null -w "%{http_code}" "$@"; }
echo "/health without a key:    HTTP $(code "http://127.0.0.1:$PORT/health")"
echo "/v1/models without a key: HTTP $(code "http://127.0.0.1:$PORT/v1/models")"
echo "/v1/models, wrong key:    HTTP $(code -H 'Authorization: Bearer guess' "http://127.0.0.1:$PORT/v1/models")"
echo "/v1/models, right key:    HTTP $(code -H 'Authorization: Bearer acme-secret-key' "http://127.0.0.1:$PORT/v1/models")"
# --8<-- [end:probe]
