#!/usr/bin/env bash
# Module 4 lab: ACME's MCP server over streamable HTTP: start it on a free port, talk to it at
# http://127.0.0.1:PORT/mcp with the same client as over stdio, stop it.
# Run from the repository root, with the virtual environment active: bash labs/module4/mcp_http.sh
# Every wait is bounded: the server must listen within 15 s; on exit it gets SIGTERM, then
# SIGKILL after 5 s.
set -euo pipefail
source labs/workshop.sh   # ws_no_options: an argument it does not take is one error/fix
ws_no_options "$@"
PORT="${MCP_PORT:-$(python3 scripts/server.py free-port)}"
LOG="$(mktemp)"
stop() {
  kill "$SERVER_PID" 2>/dev/null || return 0
  for _ in $(seq 10); do kill -0 "$SERVER_PID" 2>/dev/null || return 0; sleep 0.5; done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
}
# --8<-- [start:http]
python labs/module4/acme_mcp_server.py --http --port "$PORT" > "$LOG" 2>&1 &
SERVER_PID=$!
trap 'stop; rm -f "$LOG"' EXIT
for _ in $(seq 30); do   # any HTTP answer means it listens
  curl -s -o /dev/null "http://127.0.0.1:$PORT/mcp" && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$LOG" >&2; echo "error: the MCP server exited" >&2; exit 1; }
  sleep 0.5
done
python labs/module4/mcp_primitives.py --url "http://127.0.0.1:$PORT/mcp"
# --8<-- [end:http]
