#!/usr/bin/env bash
# Module 4 lab: ACME's MCP server over streamable HTTP: start it on a free port, talk to it at
# http://127.0.0.1:PORT/mcp with the same client as over stdio, stop it.
# Run from the repository root, with the virtual environment active: bash labs/module4/mcp_http.sh
# Every wait is bounded: the server must listen within 15 s; on exit it gets SIGTERM, then
# SIGKILL after 5 s. MCP_PORT chooses the port (default: a free one); a server that exits before
# it listens (a port in use) ends the lab with its messages and one error: ... fix: ..., and so
# does a port where another program listens already.
set -euo pipefail
source labs/workshop.sh   # ws_no_options: an argument it does not take is one error/fix
ws_no_options "$@"
case "${MCP_PORT:-}" in   # MCP_PORT: a port of your choice (1 to 65535); unset, a free one
  "") ;;
  *[!0-9]*|0*|??????*) ws_error "MCP_PORT=$MCP_PORT is not a port number" "unset MCP_PORT (the lab picks a free port), or export MCP_PORT=<a free port such as 8765>" ;;
  *) [ "$MCP_PORT" -le 65535 ] || ws_error "MCP_PORT=$MCP_PORT is not a port number (1 to 65535)" "unset MCP_PORT (the lab picks a free port), or export MCP_PORT=<a free port such as 8765>" ;;
esac
PORT="${MCP_PORT:-$(python3 scripts/server.py free-port)}"
# A port where a program listens already (MCP_PORT=8000, the vLLM server's): the wait below would
# take that program's answer for the MCP server's, and the client would talk to the wrong server.
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  ws_error "port $PORT on 127.0.0.1 is taken by another program" "unset MCP_PORT (the lab picks a free port), or export MCP_PORT=\$(python3 scripts/server.py free-port)"
fi
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
  curl -s --max-time 2 -o /dev/null "http://127.0.0.1:$PORT/mcp" && break
  kill -0 "$SERVER_PID" 2>/dev/null || { sed 's/^/  | /' "$LOG" >&2; ws_error "the MCP server exited before it listened on port $PORT (its messages above)" "unset MCP_PORT (the lab picks a free port), or run the server by hand to read its error: python labs/module4/acme_mcp_server.py --http --port $PORT"; }
  sleep 0.5
done
python labs/module4/mcp_primitives.py --url "http://127.0.0.1:$PORT/mcp"
# --8<-- [end:http]
