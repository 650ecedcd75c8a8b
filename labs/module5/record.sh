#!/usr/bin/env bash
# Module 5: record a full benchmark run for the page (instructors: for your own hardware).
#
# Run: bash labs/module5/record.sh   (about 35 minutes on the workshop's 2-core CPU, of which
#      why_vllm.py --profile full 9 and step_profile.py --profile full 4 to 6; leave the machine alone
#      meanwhile, every other program skews the figures)
#
# Runs every Module 5 lab with its full profile against the workshop server and keeps what each
# printed (<lab>.txt, without the progress bars and the "Triton is installed, but doesn't include
# CPU backend" notes that loading a model prints, and of each wait only its "done in N s" line)
# and the JSON it wrote under labs/module5/record/, with machine.txt (the machine, versions, model and date), then draws the figures from that
# record into docs/assets/bench/ (labs/module5/plots.py). The Module 5 pages show this record:
# commit it with the pages. Exit status 1 with `error: ... fix: ...` when a lab fails.
set -euo pipefail
source labs/workshop.sh
ws_no_options "$@"
ws_connect
rec=labs/module5/record
mkdir -p "$rec" docs/assets/bench
run() {  # run NAME COMMAND...: the command's output, shown and kept as $rec/NAME.txt
  local name="$1"; shift
  echo "== $name: $*"
  "$@" 2>&1 | grep -v -E $'^\r?(Loading weights|Loading safetensors checkpoint shards|Triton is installed|  still [a-z]+: [0-9]+ s$)|^[^ ].* \\.\\.\\.$' | cat -s \
    | tee "$rec/$name.txt" || ws_error "$name failed" "read $rec/$name.txt"
}
run why_vllm python labs/module5/why_vllm.py --profile full
run prompt_length python labs/module5/prompt_length.py --profile full
run roofline python labs/module5/roofline.py
# The step profile writes its own record, the report it prints and its JSON (its server's progress
# is not part of it), against the roofline just measured.
echo "== step_profile: python labs/module5/step_profile.py --profile full --record $rec"
python labs/module5/step_profile.py --profile full --roofline .workshop/bench/roofline.json --record "$rec" \
  || ws_error "step_profile failed" "read .workshop/bench/step_profile_server.log"
run guidellm bash labs/module5/guidellm_sweep.sh full
run slo python labs/module5/slo.py
run bench_serve bash labs/module5/bench_serve.sh 1 8
run compare python labs/module5/compare.py
for experiment in max-num-seqs prefix-caching batched-tokens threads eager; do
  run "tune_$experiment" python labs/module5/tune.py "$experiment"
done
cp .workshop/bench/why_vllm.json .workshop/bench/prompt_length.json .workshop/bench/roofline.json .workshop/bench/tune_*.json "$rec/"
mkdir -p "$rec/guidellm" "$rec/vllm_bench"
cp .workshop/bench/guidellm/benchmarks.json .workshop/bench/guidellm/machine.json "$rec/guidellm/"
cp .workshop/bench/vllm_bench/c1.json .workshop/bench/vllm_bench/c8.json .workshop/bench/vllm_bench/machine.json "$rec/vllm_bench/"
python labs/module5/bench.py describe "$rec/why_vllm.json" > "$rec/machine.txt"
python labs/module5/plots.py --from "$rec" --to docs/assets/bench
