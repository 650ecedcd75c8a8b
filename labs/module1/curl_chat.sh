#!/usr/bin/env bash
# Module 1 lab: a chat completion and a text completion with nothing but curl.
# Run from the repository root: bash labs/module1/curl_chat.sh
# Reads VLLM_BASE_URL, VLLM_API_KEY and VLLM_MODEL (default: the first model the server lists).
set -euo pipefail
source labs/workshop.sh   # BASE, AUTH; ws_connect sets MODEL or ends with a clear error
ws_no_options "$@"
ws_connect
# --8<-- [start:chat]
curl -sS "$BASE/chat/completions" \
  -H "Content-Type: application/json" \
  -H "$AUTH" \
  -d '{
        "model": "'"$MODEL"'",
        "messages": [{"role": "user", "content": "What is the capital of France?"}],
        "temperature": 0,
        "max_tokens": 32
      }' | python3 -m json.tool --indent 2
# --8<-- [end:chat]
# --8<-- [start:completion]
curl -sS "$BASE/completions" \
  -H "Content-Type: application/json" \
  -H "$AUTH" \
  -d '{"model": "'"$MODEL"'", "prompt": "The capital of France is", "max_tokens": 8, "temperature": 0}' |
  python3 -c 'import json, sys; r = json.load(sys.stdin); print(r["object"], "|", repr(r["choices"][0]["text"]))'
# --8<-- [end:completion]
