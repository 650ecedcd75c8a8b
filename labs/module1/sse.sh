#!/usr/bin/env bash
# Module 1 lab: the raw Server-Sent Events behind stream=True.
# Run from the repository root: bash labs/module1/sse.sh   (reads VLLM_BASE_URL, VLLM_API_KEY, VLLM_MODEL)
# Prints the first three "data:" lines and the last one; each is one JSON chunk, the stream
# ends with "data: [DONE]".
set -euo pipefail
source labs/workshop.sh   # BASE, AUTH; ws_connect sets MODEL or ends with a clear error
ws_no_options "$@"
ws_connect
stream="$(mktemp)"; trap 'rm -f "$stream"' EXIT
# --8<-- [start:stream]
curl -sS -N "$BASE/chat/completions" \
  -H "Content-Type: application/json" \
  -H "$AUTH" \
  -d '{"model": "'"$MODEL"'", "stream": true, "max_tokens": 16, "temperature": 0,
       "messages": [{"role": "user", "content": "Say hello."}]}' > "$stream"
grep '^data: ' "$stream" | head -n 3
grep '^data: ' "$stream" | tail -n 1
# --8<-- [end:stream]
