#!/usr/bin/env bash
# Module 5 lab: `vllm bench serve`, vLLM's own load generator, on the same workload as the
# GuideLLM sweep (128 prompt tokens, 32 output tokens, ignore_eos: every reply is exactly 32; greedy).
#
# Run: bash labs/module5/bench_serve.sh [CONCURRENCY ...]    (default: 1 8; about 40 s on the
#      workshop's 2-core CPU)
#
# One run per concurrency: that many requests in flight at a time (--max-concurrency), 2 per
# in-flight slot in all (at least 4). Each run prints vLLM's result table (request throughput,
# output tokens/s, TTFT, TPOT, ITL and end-to-end latency with p50/p95) and saves it as
# .workshop/bench/vllm_bench/c<N>.json; labs/module5/compare.py puts them next to GuideLLM's.
# The tokenizer comes from the model's local folder, so nothing is fetched from a hub.
#
# Environment: VLLM_BASE_URL, VLLM_API_KEY, VLLM_MODEL as in every lab; WORKSHOP_MODEL_DIR (default
# .workshop/models/SmolLM2-135M-Instruct); BENCH_OUTPUT_TOKENS (default 32). Exit status 1 with
# `error: ... fix: ...` when the server cannot be used.
set -euo pipefail
source labs/workshop.sh
levels=("$@"); [ ${#levels[@]} -gt 0 ] || levels=(1 8)
for c in "${levels[@]}"; do   # all checked before anything runs
  [[ "$c" =~ ^[1-9][0-9]*$ ]] || ws_error "'$c' is not a concurrency" "give whole numbers: bash labs/module5/bench_serve.sh 1 8"
done
ws_connect

model_dir="${WORKSHOP_MODEL_DIR:-.workshop/models/SmolLM2-135M-Instruct}"
out=.workshop/bench/vllm_bench
mkdir -p "$out"
for c in "${levels[@]}"; do
  prompts=$(( c * 2 > 4 ? c * 2 : 4 ))
  # --8<-- [start:run]
  OPENAI_API_KEY="${VLLM_API_KEY:-EMPTY}" HF_HUB_OFFLINE=1 vllm bench serve \
    --backend openai-chat --base-url "$ROOT_URL" --endpoint /v1/chat/completions \
    --model "$MODEL" --tokenizer "$model_dir" \
    --dataset-name random --random-input-len 128 --random-output-len "${BENCH_OUTPUT_TOKENS:-32}" \
    --ignore-eos --temperature 0 --num-prompts "$prompts" --max-concurrency "$c" --seed 0 \
    --percentile-metrics ttft,tpot,itl,e2el --metric-percentiles 50,95 \
    --save-result --result-dir "$out" --result-filename "c$c.json" --disable-tqdm \
    > "$out/c$c.log" 2>&1 || ws_error "vllm bench serve failed at concurrency $c: $(tail -n 3 "$out/c$c.log")" "read $out/c$c.log"
  # --8<-- [end:run]
  # vLLM's result table only; everything it printed is in the log (including, at exit, a list of
  # "nanobind: leaked ..." lines from the Triton package vLLM imports: harmless, CPU has no Triton).
  awk '/Serving Benchmark Result/,/^=+$/' "$out/c$c.log"
done
python labs/module5/bench.py stamp "$out" "$MODEL"
echo "saved: $out/c*.json (full logs: $out/c*.log)"
