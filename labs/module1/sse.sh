#!/usr/bin/env bash
# Module 1 lab: the raw Server-Sent Events behind stream=True.
# Run: bash labs/module1/sse.sh   (reads VLLM_BASE_URL, VLLM_API_KEY, VLLM_MODEL)
# Prints the first three "data:" lines and the last one; each is one JSON chunk, the stream
# ends with "data: [DONE]".
set -euo pipefail
stream=$(mktemp); trap 'rm -f "$stream"' EXIT
BASE="${VLLM_BASE_URL:-http://localhost:8000/v1}"
MODEL="${VLLM_MODEL:-$(curl -sS "$BASE/models" -H "Authorization: Bearer ${VLLM_API_KEY:-EMPTY}" |
  python -c 'import json, sys; print(json.load(sys.stdin)["data"][0]["id"])')}"
# --8<-- [start:stream]
curl -sS -N "$BASE/chat/completions" \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer ${VLLM_API_KEY:-EMPTY}" \
  -d '{"model": "'"$MODEL"'", "stream": true, "max_tokens": 16, "temperature": 0,
       "messages": [{"role": "user", "content": "Say hello."}]}' > "$stream"
grep '^data: ' "$stream" | head -n 3
grep '^data: ' "$stream" | tail -n 1
# --8<-- [end:stream]
