#!/usr/bin/env bash
# Module 3 lab: a tool call on the wire, with curl: the request's "tools" and "tool_choice", and
# the reply's "tool_calls" (arguments are a JSON *string*, to be parsed by the client).
# Run from the repository root: bash labs/module3/curl_tools.sh   (reads VLLM_BASE_URL, VLLM_API_KEY, VLLM_MODEL)
set -euo pipefail
source labs/workshop.sh   # BASE, AUTH; ws_connect sets MODEL or ends with a clear error
ws_no_options "$@"
ws_connect
reply="$(mktemp)"; trap 'rm -f "$reply"' EXIT
# --8<-- [start:request]
curl -sS "$BASE/chat/completions" -o "$reply" \
  -H "Content-Type: application/json" \
  -H "$AUTH" \
  -d '{
        "model": "'"$MODEL"'",
        "messages": [{"role": "user", "content": "Where is my order ACME-1042?"}],
        "tools": [{
          "type": "function",
          "function": {
            "name": "get_order_status",
            "description": "Look up an ACME order by its ID.",
            "parameters": {
              "type": "object",
              "properties": {"order_id": {"type": "string", "pattern": "^ACME-[0-9]{4}$"}},
              "required": ["order_id"],
              "additionalProperties": false
            },
            "strict": true
          }
        }],
        "tool_choice": "required",
        "temperature": 0,
        "max_tokens": 100
      }'
ws_check "$reply"   # an error answer (e.g. no tool parser on the server) -> error: and fix:
python3 -c 'import json, sys; c = json.load(open(sys.argv[1]))["choices"][0]
print(json.dumps({"finish_reason": c["finish_reason"], "message": {k: c["message"][k] for k in ("role", "content", "tool_calls")}}, indent=2))' "$reply"
# --8<-- [end:request]
