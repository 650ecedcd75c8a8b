"""Module 5 lab: GuideLLM and ``vllm bench serve`` side by side, on the same workload.

Run: ``python labs/module5/compare.py [--from DIR]``  (after ``guidellm_sweep.sh`` and
``bench_serve.sh``; DIR defaults to ``.workshop/bench``)

Pairs the runs that send the same load: ``vllm bench serve --max-concurrency 1`` with GuideLLM's
``synchronous`` benchmark (one request at a time), and ``--max-concurrency 8`` with GuideLLM's
``throughput`` benchmark (capped at 8 in flight). Prints output tokens/s, p50/p95 TTFT and p95
ITL (ms) from each tool's own JSON (``.workshop/bench/vllm_bench/c<N>.json``: ``output_throughput``,
``p50_ttft_ms``, ``p95_ttft_ms``, ``p95_itl_ms``; GuideLLM's via ``slo.guidellm_rows``). The two
tools measure on the client, each its own way, so expect close but not equal figures; on a small
machine the load generator's own CPU use shows too. Exit status 1 with ``error: ... fix: ...``
when a result is missing.
"""
from __future__ import annotations

import workshop
import json
import sys
from pathlib import Path

from bench import BENCH_DIR, shown
from slo import guidellm_rows

PAIRS = [("one at a time", 1, "synchronous"), ("8 in flight", 8, "throughput")]


def main() -> int:
    ap = workshop.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="src", type=Path, default=BENCH_DIR)
    src = ap.parse_args().src
    sweep_file = src / "guidellm" / "benchmarks.json"
    missing = [shown(p) for p in [sweep_file, *(src / "vllm_bench" / f"c{c}.json" for _, c, _ in PAIRS)]
               if not p.exists()]
    if missing:
        print(f"error: missing {', '.join(missing)}\n  fix: run bash labs/module5/guidellm_sweep.sh "
              "and bash labs/module5/bench_serve.sh first", file=sys.stderr)
        return 1
    sweep = {r["strategy"]: r for r in guidellm_rows(sweep_file)["rows"]}
    print(f"{'load':<15}{'tool':<18}{'tokens/s':>9}{'TTFT p50':>10}{'TTFT p95':>10}{'ITL p95':>9}")
    for label, concurrency, strategy in PAIRS:
        b = json.loads((src / "vllm_bench" / f"c{concurrency}.json").read_text())
        g = sweep.get(strategy)
        print(f"{label:<15}{'vllm bench serve':<18}{b['output_throughput']:>9.1f}{b['p50_ttft_ms']:>10.0f}"
              f"{b['p95_ttft_ms']:>10.0f}{b['p95_itl_ms']:>9.0f}")
        if g:
            print(f"{'':<15}{'GuideLLM':<18}{g['output_tokens_per_s']:>9.1f}{g['ttft_p50_ms']:>10.0f}"
                  f"{g['ttft_p95_ms']:>10.0f}{g['itl_p95_ms']:>9.0f}")
    print("(ms; each tool's own figures for the requests that completed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
