#!/usr/bin/env bash
# Module 5 lab: `vllm bench serve`, vLLM's own load generator, on the same workload as the
# GuideLLM sweep (128 prompt tokens, 32 output tokens, ignore_eos: every reply is exactly 32; greedy).
#
# Run: bash labs/module5/bench_serve.sh [CONCURRENCY ...]    (default: 1 8; about 40 s on the
#      workshop's 2-core CPU)
#
# One run per concurrency: that many requests in flight at a time (--max-concurrency), 2 per
# in-flight slot in all (at least 4). Each run says when it starts, prints a line every 15 s while
# it runs (about 20 s each here, vLLM's import included), then vLLM's result table (request throughput,
# output tokens/s, TTFT, TPOT, ITL and end-to-end latency with p50/p95) and saves it as
# .workshop/bench/vllm_bench/c<N>.json; labs/module5/compare.py puts them next to GuideLLM's.
# The tokenizer comes from the model's local folder, so nothing is fetched from a hub.
#
# Environment: VLLM_BASE_URL, VLLM_API_KEY, VLLM_MODEL as in every lab; WORKSHOP_MODEL_DIR (default
# .workshop/models/SmolLM2-135M-Instruct); BENCH_OUTPUT_TOKENS (default 32). Exit status 1 with
# `error: ... fix: ...` when the server cannot be used, when those two are not a model folder and a
# whole number (checked before anything runs), or when vllm bench serve fails (its last line that is
# not a traceback's frame, and its log).
set -euo pipefail
source labs/workshop.sh
ws_help "$@"   # --help: the header above
levels=("$@"); [ ${#levels[@]} -gt 0 ] || levels=(1 8)
for c in "${levels[@]}"; do   # all checked before anything runs
  [[ "$c" =~ ^[1-9][0-9]*$ ]] || ws_error "'$c' is not a concurrency" "give whole numbers: bash labs/module5/bench_serve.sh 1 8"
done
model_dir="${WORKSHOP_MODEL_DIR:-.workshop/models/SmolLM2-135M-Instruct}"
[[ "${BENCH_OUTPUT_TOKENS:-32}" =~ ^[1-9][0-9]*$ ]] || ws_error "BENCH_OUTPUT_TOKENS='$BENCH_OUTPUT_TOKENS' is not a number of tokens" "unset BENCH_OUTPUT_TOKENS (32), or give a whole number: BENCH_OUTPUT_TOKENS=64"
[ -f "$model_dir/tokenizer.json" ] || ws_error "no tokenizer in WORKSHOP_MODEL_DIR='$model_dir' (vllm bench serve counts tokens with it)" "unset WORKSHOP_MODEL_DIR, or point it at the model's folder (the one with tokenizer.json)"
ws_connect

out=.workshop/bench/vllm_bench
mkdir -p "$out"
for c in "${levels[@]}"; do
  prompts=$(( c * 2 > 4 ? c * 2 : 4 ))
  ws_waiting_start "measuring concurrency $c, $prompts requests"   # vllm bench serve prints nothing until its table
  # --8<-- [start:run]
  OPENAI_API_KEY="${VLLM_API_KEY:-EMPTY}" HF_HUB_OFFLINE=1 vllm bench serve \
    --backend openai-chat --base-url "$ROOT_URL" --endpoint /v1/chat/completions \
    --model "$MODEL" --tokenizer "$model_dir" \
    --dataset-name random --random-input-len 128 --random-output-len "${BENCH_OUTPUT_TOKENS:-32}" \
    --ignore-eos --temperature 0 --num-prompts "$prompts" --max-concurrency "$c" --seed 0 \
    --percentile-metrics ttft,tpot,itl,e2el --metric-percentiles 50,95 \
    --save-result --result-dir "$out" --result-filename "c$c.json" --disable-tqdm \
    > "$out/c$c.log" 2>&1 || ws_error "vllm bench serve failed at concurrency $c: $(grep -v '^[[:space:]]' "$out/c$c.log" | tail -n 1)" "read $out/c$c.log"
  # --8<-- [end:run]
  ws_waiting_end
  # vLLM's result table only; everything it printed is in the log (including, at exit, a list of
  # "nanobind: leaked ..." lines from the Triton package vLLM imports: harmless, CPU has no Triton).
  awk '/Serving Benchmark Result/,/^=+$/' "$out/c$c.log"
done
python labs/module5/bench.py stamp "$out" "$MODEL"
echo "saved: $out/c*.json (full logs: $out/c*.log)"
