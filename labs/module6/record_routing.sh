#!/usr/bin/env bash
# Module 6: record the routing run its page shows (instructors: for your own hardware).
#
# Run: bash labs/module6/record_routing.sh   (about 15 minutes on the workshop's 2-core CPU;
#      leave the machine alone meanwhile: the workshop's own server may run, idle)
#
# Starts two replicas of the CPU profile, each bound to one core (VLLM_CPU_OMP_THREADS_BIND=0 and
# =1, 1 GiB of KV cache each), and runs labs/module6/routing.py's full load through a router of
# each policy (16 conversations x 4 turns x 64 tokens), then its failover run (stopping the second
# replica); then one server with both cores and the same load without a router. Keeps what each
# printed in labs/module6/record/routing.txt and failover.txt, and the JSON in
# labs/module6/record/routing_policies.json and routing_direct.json (the page renders its
# figures from them). Every server it starts is stopped at the end, also after a failure or
# Ctrl+C. Exit status 1 with `error: ... fix: ...` when a step fails.
set -euo pipefail
source labs/workshop.sh
ws_no_options "$@"
rec=labs/module6/record
names=(record-replica-a record-replica-b record-one-server)
cleanup() {
  for name in "${names[@]}"; do python scripts/server.py stop --name "$name" > /dev/null 2>&1 || true; done
}
trap cleanup EXIT
start() {  # start NAME CORES: the CPU profile bound to CORES on a free port; prints its URL
  local port
  port=$(python scripts/server.py free-port)
  VLLM_PORT=$port VLLM_CPU_OMP_THREADS_BIND=$2 VLLM_CPU_KVCACHE_SPACE=1 \
    python scripts/server.py start --name "$1" >&2 || ws_error "$1 did not start" "read .workshop/run/$1.log"
  echo "http://127.0.0.1:$port"
}
load=(--conversations 16 --turns 4 --max-tokens 64)
a=$(start record-replica-a 0)
b=$(start record-replica-b 1)
python labs/module6/routing.py policies --replicas "$a" "$b" "${load[@]}" | tee "$rec/routing.txt" \
  || ws_error "the policies run failed" "read its output above"
python labs/module6/routing.py failover --replicas "$a" "$b" --stop record-replica-b --seconds 30 \
  | tee "$rec/failover.txt" || ws_error "requests failed while a replica stopped" "read $rec/failover.txt"
python scripts/server.py stop --name record-replica-a > /dev/null
one=$(start record-one-server "0-$(( $(nproc) - 1 ))")
echo | tee -a "$rec/routing.txt"
python labs/module6/routing.py direct --replicas "$one" "${load[@]}" | tee -a "$rec/routing.txt" \
  || ws_error "the one-server run failed" "read its output above"
cp .workshop/bench/routing_policies.json .workshop/bench/routing_direct.json "$rec/"
echo "recorded: $rec/routing.txt, $rec/failover.txt, $rec/routing_policies.json, $rec/routing_direct.json"
