#!/usr/bin/env bash
# Module 6: record the adapter runs its page shows (instructors: for your own hardware).
#
# Run: bash labs/module6/record_adapters.sh   (about 10 minutes on the workshop's 2-core CPU, with
#      the workshop's server running and idle: python scripts/server.py start; leave the machine
#      alone meanwhile, training and tokens/s both slow down beside other work)
#
# Trains both adapters with the full profile (labs/module6/train_adapter.py: what a learner runs
# without --profile), starts the adapter server of section 3 on a free port (the CPU profile plus
# the LoRA flags, --max-loras 3), measures the house style (measure_style.py) and the mixed batch
# (mixed.py); then starts a plain server from the same profile, so that both are fresh and have
# served the same requests, and compares them (cost.py: memory and tokens/s). Keeps what each
# printed in labs/module6/record/: train_adapter.txt, measure_style.txt and .json,
# mixed_max_loras_3.txt, cost.txt. (mixed_max_loras_2.txt, the --max-loras 2 defect, is not
# re-recorded here.) The servers it starts are stopped at the end, also after a failure or
# Ctrl+C. Exit status 1 with `error: ... fix: ...` when a step fails.
set -euo pipefail
source labs/workshop.sh
ws_no_options "$@"
ws_connect
rec=labs/module6/record
name=record-adapters plain=record-plain
trap 'for n in "$name" "$plain"; do python scripts/server.py stop --name "$n" > /dev/null 2>&1 || true; done' EXIT
run() {  # run FILE COMMAND...: the command's output, shown and kept as $rec/FILE
  local file="$1"; shift
  echo "== $file: $*"
  "$@" 2>&1 | tee "$rec/$file" || ws_error "$* failed" "read $rec/$file"
}
run train_adapter.txt python labs/module6/train_adapter.py
python labs/module6/train_adapter.py --style terse > /dev/null || ws_error "training acme-terse failed" \
  "python labs/module6/train_adapter.py --style terse shows why"
port=$(python scripts/server.py free-port)
VLLM_PORT=$port python scripts/server.py start --name "$name" -- bash labs/serve/serve_cpu.sh \
  --enable-lora --max-lora-rank 8 --max-loras 3 \
  --lora-modules acme-tone=.workshop/adapters/acme-tone acme-terse=.workshop/adapters/acme-terse \
  || ws_error "the adapter server did not start" "read .workshop/run/$name.log"
export VLLM_BASE_URL=http://127.0.0.1:$port/v1 VLLM_API_KEY=EMPTY
run measure_style.txt python labs/module6/measure_style.py
cp .workshop/adapters/measure_style.json "$rec/"
run mixed_max_loras_3.txt python labs/module6/mixed.py
port=$(python scripts/server.py free-port)
VLLM_PORT=$port python scripts/server.py start --name "$plain" \
  || ws_error "the plain server did not start" "read .workshop/run/$plain.log"
run cost.txt python labs/module6/cost.py "$plain" "$name" --max-tokens 32
echo "recorded: $rec/train_adapter.txt, measure_style.txt, measure_style.json, mixed_max_loras_3.txt, cost.txt"
