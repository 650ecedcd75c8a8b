#!/usr/bin/env bash
# Module 1 lab: a chat completion and a text completion with nothing but curl.
# Run: bash labs/module1/curl_chat.sh   (reads VLLM_BASE_URL, VLLM_API_KEY, VLLM_MODEL)
set -euo pipefail
BASE="${VLLM_BASE_URL:-http://localhost:8000/v1}"
MODEL="${VLLM_MODEL:-$(curl -sS "$BASE/models" -H "Authorization: Bearer ${VLLM_API_KEY:-EMPTY}" |
  python -c 'import json, sys; print(json.load(sys.stdin)["data"][0]["id"])')}"
# --8<-- [start:chat]
curl -sS "$BASE/chat/completions" \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer ${VLLM_API_KEY:-EMPTY}" \
  -d '{
        "model": "'"$MODEL"'",
        "messages": [{"role": "user", "content": "What is the capital of France?"}],
        "temperature": 0,
        "max_tokens": 32
      }' | python -m json.tool --indent 2
# --8<-- [end:chat]
# --8<-- [start:completion]
curl -sS "$BASE/completions" \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer ${VLLM_API_KEY:-EMPTY}" \
  -d '{"model": "'"$MODEL"'", "prompt": "The capital of France is", "max_tokens": 8, "temperature": 0}' |
  python -c 'import json, sys; r = json.load(sys.stdin); print(r["object"], "|", repr(r["choices"][0]["text"]))'
# --8<-- [end:completion]
