#!/usr/bin/env bash
# Module 1 lab: the server's plain HTTP endpoints, with curl.
# Run from the repository root: bash labs/module1/endpoints.sh
# Reads VLLM_BASE_URL (default http://localhost:8000/v1) and VLLM_API_KEY; prints the /health
# status, the /version body and one line per served model.
set -euo pipefail
source labs/workshop.sh   # BASE, ROOT_URL, AUTH; ws_connect: a clear error if the server is not usable
ws_no_options "$@"
ws_connect
# --8<-- [start:health]
curl -sS -o /dev/null -w "GET /health -> HTTP %{http_code}\n" "$ROOT_URL/health"
curl -sS "$ROOT_URL/version"; echo
# --8<-- [end:health]
# --8<-- [start:models]
curl -sS "$BASE/models" -H "$AUTH" |
  python3 -c 'import json, sys; [print(m["id"], "| max_model_len:", m["max_model_len"]) for m in json.load(sys.stdin)["data"]]'
# --8<-- [end:models]
