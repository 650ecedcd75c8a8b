#!/usr/bin/env bash
# Module 1 lab: the server's plain HTTP endpoints, with curl.
# Run: bash labs/module1/endpoints.sh   (reads VLLM_BASE_URL, default http://localhost:8000/v1)
set -euo pipefail
BASE="${VLLM_BASE_URL:-http://localhost:8000/v1}"
ROOT="${BASE%/v1}"
# --8<-- [start:health]
curl -sS -o /dev/null -w "GET /health -> HTTP %{http_code}\n" "$ROOT/health"
curl -sS "$ROOT/version"; echo
# --8<-- [end:health]
# --8<-- [start:models]
curl -sS "$BASE/models" -H "Authorization: Bearer ${VLLM_API_KEY:-EMPTY}" |
  python -c 'import json, sys; [print(m["id"], "| max_model_len:", m["max_model_len"]) for m in json.load(sys.stdin)["data"]]'
# --8<-- [end:models]
