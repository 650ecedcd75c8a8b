#!/usr/bin/env bash
# Module 5 lab: a GuideLLM sweep against the workshop server, with JSON, CSV and HTML reports.
#
# Run: bash labs/module5/guidellm_sweep.sh [quick|full]
#   quick (default, about 1 minute on the workshop's 2-core CPU): 3 strategies of 15 s each
#   full  (about 5 minutes): 8 strategies of 30 s each
#
# A sweep runs the same workload several ways: synchronous (one request at a time), throughput
# (as many at once as max_concurrency allows: GuideLLM's default is 512, far too many for a
# small machine, so the sweep caps it at 8, like bench_serve.sh's highest level), then constant
# request rates spread between those two. The workload is synthetic text of 128 prompt tokens
# and 32 output tokens, counted with the model's own tokenizer from its local folder: without a
# local tokenizer, GuideLLM would try the Hugging Face hub (and fail offline).
# Writes .workshop/bench/guidellm/benchmarks.{json,csv,html}; labs/module5/slo.py reads the JSON.
#
# Everything GuideLLM printed is kept in .workshop/bench/guidellm/run.log.
#
# Environment: VLLM_BASE_URL, VLLM_API_KEY, VLLM_MODEL as in every lab; WORKSHOP_MODEL_DIR for
# the tokenizer (default .workshop/models/SmolLM2-135M-Instruct). Exit status 1 with
# `error: ... fix: ...` when the server cannot be used, GuideLLM is not installed, or the sweep
# fails: most often because no request finished within a strategy's seconds (GuideLLM then has
# no rate to sweep between: "Invalid rates in sweep"), which happens on a server busy with other
# work, where one request of 128 + 32 tokens takes more than 15 s instead of about 1.5 s.
set -euo pipefail
source labs/workshop.sh
ws_help "$@"   # --help: the header above
[ $# -le 1 ] || ws_error "one profile at most, not: $*" "use quick or full: bash labs/module5/guidellm_sweep.sh quick"
profile="${1:-quick}"
case "$profile" in
  quick) strategies=3; seconds=15; output_tokens=32 ;;
  full) strategies=8; seconds=30; output_tokens=32 ;;
  *) ws_error "unknown profile '$profile'" "use quick or full: bash labs/module5/guidellm_sweep.sh quick" ;;
esac
ws_connect

command -v guidellm > /dev/null || ws_error "guidellm is not installed in this environment" \
  "activate the workshop's venv (source .venv/bin/activate); ./scripts/start installs it"
model_dir="${WORKSHOP_MODEL_DIR:-.workshop/models/SmolLM2-135M-Instruct}"
out=.workshop/bench/guidellm
mkdir -p "$out"

# GuideLLM is a load generator: on a machine this small it competes with vLLM for the same cores.
# One worker process and a polling loop that sleeps keep its share small; its log goes with the results.
export GUIDELLM__MAX_WORKER_PROCESSES=1 GUIDELLM__DEFAULT_ASYNC_LOOP_SLEEP=0.005
export GUIDELLM__LOGGING__LOG_FILE="$out/guidellm.log"
sweep_failed() {  # after GuideLLM ended with an error: say which, in one line
  if grep -q "Invalid rates in sweep" "$out/run.log"; then
    ws_error "no request finished within a strategy's $seconds s, so GuideLLM had no rate to sweep" \
      "run it when nothing else uses the server (one request should take about 1.5 s: python labs/module1/first_chat.py), or the full profile (30 s a strategy)"
  fi
  ws_error "guidellm failed: $(grep -v '^ ' "$out/run.log" | tail -n 1)" "read $out/run.log"
}
rm -f "$out"/benchmarks.*   # a failed sweep must not leave the last one's reports to be read as its own
export PYTHONUNBUFFERED=1   # its lines reach the terminal as they come, through the pipe below
# --8<-- [start:run]
HF_HUB_OFFLINE=1 guidellm run \
  --backend "kind=openai_http,target=$ROOT_URL,model=$MODEL,api_key=${VLLM_API_KEY:-EMPTY}" \
  --tokenizer "kind=huggingface_auto,model=$model_dir" \
  --data "kind=synthetic_text,prompt_tokens=128,output_tokens=$output_tokens" \
  --profile "kind=sweep,sweep_size=$strategies,max_concurrency=8" \
  --constraint "kind=max_duration,seconds=$seconds" \
  --seed kind=static,value=0 \
  --output "kind=json,path=$out/benchmarks.json" \
  --output "kind=csv,path=$out/benchmarks.csv" \
  --output "kind=html,path=$out/benchmarks.html" \
  --disable-console-interactive 2>&1 | ws_tool_output "$out/run.log" || sweep_failed
# --8<-- [end:run]
python labs/module5/bench.py stamp "$out" "$MODEL"
