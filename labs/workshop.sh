# Shared helper of the bash labs: where the server is, which model, and clear errors.
# Source it from the repository root: `source labs/workshop.sh` (the labs do).
#
# Reads the same variables as the Python labs (labs/workshop.py):
#   VLLM_BASE_URL  the OpenAI-compatible root, default http://localhost:8000/v1
#   VLLM_API_KEY   the key the server was started with (--api-key), default EMPTY
#   VLLM_MODEL     the model to use, default the first model the server lists
# Sets BASE (the root, ending in /v1), ROOT_URL (the same without /v1) and AUTH (the header).
#
# ws_connect   checks that the server answers, accepts the key and serves the model, and sets
#              MODEL. Each lab calls it first, so that a server that is down, a wrong URL, key or
#              model ends the lab with one `error: ... fix: ...` message and exit status 1,
#              instead of curl's codes or a JSON parser's traceback; the lab's own requests are
#              then plain curl, as you would type them.
# ws_curl ...  curl with the same arguments and the same clear errors (used by ws_connect); on
#              success it prints the response body, like curl.
# ws_no_options "$@"   for a lab that takes no arguments: -h/--help prints the lab's header
#              comment, anything else ends it with `error: ... fix: ...` and exit status 2, before
#              it talks to a server, instead of running as if nothing was said.
# ws_help "$@"   for a lab that takes arguments of its own: -h/--help prints the lab's header
#              comment and exits 0 (before the lab reads its arguments, which would take it for one).
# ws_check F   after `curl ... -o F`: when the server answered with an error (a JSON body with
#              "error"), end with `error: <the server's message>` and its fix.
# ... | ws_tool_output LOG   behind a Python tool (`tool 2>&1 | ws_tool_output LOG || ...`): its
#              output goes to the terminal as it comes and to LOG, except a traceback, which goes
#              to LOG only: the lab then ends with one `error: ... fix: ...` line that names LOG.
# ws_waiting_start WHAT ... ws_waiting_end   around a long step: prints "WHAT ...", a line
#              "  still <WHAT's first word>: N s" every $WORKSHOP_PROGRESS_EVERY seconds (default
#              15, whole seconds) while it runs, and "WHAT: done in N s" at the end, as
#              workshop.waiting does in the Python labs: a wait is never silent. A lab that ends
#              with ws_error meanwhile stops the ticker too (an EXIT trap).
# Errors need nothing but curl and python3 (for JSON), so they work with or without the venv.

BASE="${VLLM_BASE_URL:-http://localhost:8000/v1}"
BASE="${BASE%/}"
ROOT_URL="${BASE%/v1}"
AUTH="Authorization: Bearer ${VLLM_API_KEY:-EMPTY}"
WS_START_HINT="start the workshop server with ./scripts/start (or see 'Before you begin'), or export VLLM_BASE_URL=<your server>/v1"

ws_error() {  # ws_error MESSAGE FIX: print both, exit 1
  printf 'error: %s\n  fix: %s\n' "$1" "$2" >&2
  exit 1
}

ws_help() {  # ws_help "$@": see the header
  case "${1:-}" in
    -h|--help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
  esac
}

ws_no_options() {  # ws_no_options "$@": see the header
  [ $# -eq 0 ] && return 0
  ws_help "$@"
  printf 'error: bash %s takes no arguments, not: %s\n  fix: bash %s  (--help says what it does)\n' "$0" "$*" "$0" >&2
  exit 2
}

ws_tool_output() {  # ws_tool_output LOG: see the header
  tee "$1" | sed -u '/^Traceback (most recent call last):/,$d'
}

ws_waiting_start() {  # ws_waiting_start WHAT: see the header
  WS_WAIT_WHAT=$1 WS_WAIT_START=$SECONDS
  echo "$1 ..."
  local every="${WORKSHOP_PROGRESS_EVERY:-15}" word="${1%% *}"
  (
    trap 'kill "$s" 2>/dev/null || true; exit 0' TERM    # the sleep too: it holds the output open
    while :; do
      sleep "$every" & s=$!
      wait "$s"
      echo "  still $word: $(( SECONDS - WS_WAIT_START )) s"
    done
  ) &
  WS_WAIT_PID=$!
  trap 'kill "$WS_WAIT_PID" 2>/dev/null || true' EXIT
}

ws_waiting_end() {  # ws_waiting_end: see the header
  kill "$WS_WAIT_PID" 2>/dev/null || true
  wait "$WS_WAIT_PID" 2>/dev/null || true
  trap - EXIT
  echo "$WS_WAIT_WHAT: done in $(( SECONDS - WS_WAIT_START )) s"
}

ws_message() {  # ws_message FILE: vLLM's error message in a response body (or its first line)
  python3 -c '
import json, sys
text = open(sys.argv[1], errors="replace").read()
try:
    body = json.loads(text)
    error = body.get("error", body) if isinstance(body, dict) else body
    if isinstance(error, dict):
        error = error.get("message") or error.get("detail") or json.dumps(error)
    print(error)
except ValueError:
    print(text.strip().splitlines()[0][:200] if text.strip() else "(empty body)")
' "$1"
}

ws_curl() {  # ws_curl CURL-ARGS...: see the header
  local body code status=0 rest
  case "$BASE" in   # curl takes localhost:8000/v1 as http://, but not htp://... or http//...
    [Hh][Tt][Tt][Pp]://*|[Hh][Tt][Tt][Pp][Ss]://*) ;;
    *) rest="$(printf '%s' "$BASE" | sed -E 's#^[A-Za-z0-9_]+(:/+|//)##')"
       [ "$rest" = "$BASE" ] ||
         ws_error "VLLM_BASE_URL=$BASE does not start with http:// or https://" "export VLLM_BASE_URL=http://$rest" ;;
  esac
  body="$(mktemp)"
  code="$(curl -s --connect-timeout 5 --max-time 300 -o "$body" -w '%{http_code}' "$@")" || status=$?
  if [ "$status" -ne 0 ]; then
    rm -f "$body"
    case "$status" in
      6|7) ws_error "no vLLM server answers at $BASE (curl exit $status: cannot connect)" "$WS_START_HINT" ;;
      28) ws_error "the server at $BASE did not answer in time (curl exit 28)" "check that it is not still loading: python scripts/server.py status" ;;
      *) ws_error "the request to $BASE failed (curl exit $status)" "$WS_START_HINT" ;;
    esac
  fi
  if [ "$code" -ge 400 ]; then
    local message
    message="$(ws_message "$body")"
    rm -f "$body"
    case "$code" in
      401) ws_error "the server at $BASE refused the API key (HTTP 401)" "export VLLM_API_KEY=<the key given to vllm serve --api-key>" ;;
      404) case "$BASE" in
             */v1) ws_error "HTTP 404 from $BASE: $message" "check the model name: bash labs/module1/endpoints.sh lists the served ones" ;;
             *) ws_error "HTTP 404 from $BASE: $message (VLLM_BASE_URL must be the OpenAI-compatible root)" "export VLLM_BASE_URL=${BASE}/v1  (it ends in /v1)" ;;
           esac ;;
      *) ws_error "HTTP $code from $BASE: $message" "read the server's message above; the lab's page explains the request" ;;
    esac
  fi
  cat "$body"
  rm -f "$body"
}

ws_check() {  # ws_check FILE: an error body from the server becomes error/fix
  local message
  message="$(python3 -c '
import json, sys
try:
    body = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    print("the reply is not JSON"); raise SystemExit
if isinstance(body, dict) and "error" in body:
    error = body["error"]
    print(error.get("message", error) if isinstance(error, dict) else error)
' "$1")"
  [ -z "$message" ] && return 0
  case "$message" in
    *tool*parser*|*auto-tool-choice*) ws_error "the server refused the request: $message" "restart it with tool calling: python scripts/server.py restart (the CPU profile has --enable-auto-tool-choice and --tool-call-parser)" ;;
    *) ws_error "the server refused the request: $message" "read the message; the lab's page explains the request" ;;
  esac
}

ws_connect() {  # ws_connect: check server, key and model; set MODEL
  local models served
  models="$(ws_curl -H "$AUTH" "$BASE/models")" || exit 1
  served="$(printf '%s' "$models" | python3 -c '
import json, sys
try:
    print(" ".join(m["id"] for m in json.load(sys.stdin)["data"]))
except (ValueError, KeyError, TypeError):
    pass
')"
  [ -n "$served" ] || ws_error "$BASE/models did not list any model: is this a vLLM server?" "export VLLM_BASE_URL=http://<host>:<port>/v1 (it must end in /v1)"
  if [ -n "${VLLM_MODEL:-}" ]; then
    case " $served " in
      *" $VLLM_MODEL "*) MODEL="$VLLM_MODEL" ;;
      *) ws_error "the server does not serve the model '$VLLM_MODEL'; it serves: $served" "export VLLM_MODEL=${served%% *}  (or unset VLLM_MODEL to use the first one)" ;;
    esac
  else
    MODEL="${served%% *}"
  fi
}
