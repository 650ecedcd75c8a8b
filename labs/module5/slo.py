"""Module 5 lab: does the GuideLLM sweep meet ACME's service-level objectives (SLOs)?

Run: ``python labs/module5/slo.py [--ttft-ms 1000] [--itl-ms 150] [FILE]``
(default FILE: ``.workshop/bench/guidellm/benchmarks.json``, written by ``guidellm_sweep.sh``)

ACME's chat must feel responsive: the first words within a second (**p95 TTFT <= 1000 ms**) and
then text at reading speed or faster (**p95 ITL <= 150 ms**, about 7 tokens/s, more than people
read). p95 means 95 of 100 requests do at least this well: an average would hide the slow ones.

Prints one row per benchmark of the sweep, in the order GuideLLM ran them: the strategy
(``synchronous``, ``throughput``, ``constant@<rate>``), requests/s completed, mean requests in
flight (concurrency), output tokens/s, p50 and p95 of TTFT and ITL (ms), and whether both
objectives hold. Then the highest request rate that met them, ACME's capacity on this server.
The figures are GuideLLM's own (``benchmarks[].metrics.<metric>.successful``: ``mean``,
``percentiles.p50``/``p95``), for the requests that completed. Exit status 0 whatever the verdict
(a missed SLO is a finding, not an error); 1 with ``error: ... fix: ...`` when the file is missing
or is not a GuideLLM report.
"""
from __future__ import annotations

import workshop
import json
import sys
from pathlib import Path

from bench import BENCH_DIR, shown

DEFAULT = BENCH_DIR / "guidellm" / "benchmarks.json"
#: ACME's objectives (ms): p95 TTFT and p95 ITL.
TTFT_MS, ITL_MS = 1000.0, 150.0


# --8<-- [start:rows]
def guidellm_rows(path: Path) -> dict:
    """``{"model", "machine", "rows": [...]}`` from a GuideLLM JSON report; one row per
    benchmark with ``strategy``, ``requests_per_s``, ``concurrency``, ``output_tokens_per_s``,
    ``ttft_p50_ms``, ``ttft_p95_ms``, ``itl_p50_ms``, ``itl_p95_ms``, ``completed``. ``machine``
    is ``machine.json`` beside the report (written by ``guidellm_sweep.sh``), when there."""
    report = json.loads(path.read_text())
    rows = []
    for b in report["benchmarks"]:
        strategy, m = b["config"]["strategy"], b["metrics"]
        name = strategy["type_"] + (f"@{strategy['rate']:.2f}" if strategy.get("rate") else "")

        def ok(metric: str) -> dict:
            return m[metric]["successful"]

        rows.append({"strategy": name,
                     "requests_per_s": ok("requests_per_second")["mean"],
                     "concurrency": ok("request_concurrency")["mean"],
                     "output_tokens_per_s": ok("output_tokens_per_second")["mean"],
                     **{f"{short}_{q}_ms": ok(metric)["percentiles"][q]
                        for short, metric in (("ttft", "time_to_first_token_ms"),
                                              ("itl", "inter_token_latency_ms"))
                        for q in ("p50", "p95")},
                     "completed": m["request_totals"]["successful"]})
    side = path.with_name("machine.json")
    meta = json.loads(side.read_text()) if side.exists() else {"machine": None, "model": None}
    return {"model": meta["model"], "machine": meta["machine"], "rows": rows}
# --8<-- [end:rows]


def main() -> int:
    ap = workshop.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--ttft-ms", type=float, default=TTFT_MS, help="p95 TTFT objective (ms)")
    ap.add_argument("--itl-ms", type=float, default=ITL_MS, help="p95 ITL objective (ms)")
    args = ap.parse_args()
    try:
        sweep = guidellm_rows(args.file)
    except FileNotFoundError:
        print(f"error: {shown(args.file)} does not exist\n  fix: run the sweep first: "
              "bash labs/module5/guidellm_sweep.sh", file=sys.stderr)
        return 1
    except (KeyError, TypeError, ValueError) as exc:
        print(f"error: {shown(args.file)} is not a GuideLLM 0.8 JSON report ({type(exc).__name__}: "
              f"{exc})\n  fix: pass the benchmarks.json that guidellm run wrote", file=sys.stderr)
        return 1
    print(f"ACME's SLO: p95 TTFT <= {args.ttft_ms:.0f} ms, p95 ITL <= {args.itl_ms:.0f} ms")
    print(f"{'strategy':<16}{'req/s':>7}{'in flight':>10}{'tokens/s':>9}{'TTFT p50':>9}{'p95':>7}"
          f"{'ITL p50':>8}{'p95':>6}  SLO")
    best = None
    for r in sweep["rows"]:
        meets = r["ttft_p95_ms"] <= args.ttft_ms and r["itl_p95_ms"] <= args.itl_ms and r["completed"]
        if meets and (best is None or r["requests_per_s"] > best["requests_per_s"]):
            best = r
        print(f"{r['strategy']:<16}{r['requests_per_s']:>7.2f}{r['concurrency']:>10.1f}"
              f"{r['output_tokens_per_s']:>9.1f}{r['ttft_p50_ms']:>9.0f}{r['ttft_p95_ms']:>7.0f}"
              f"{r['itl_p50_ms']:>8.0f}{r['itl_p95_ms']:>6.0f}  {'met' if meets else 'missed'}")
    if best:
        print(f"capacity within the SLO: {best['requests_per_s']:.2f} requests/s ({best['strategy']})")
    else:
        print("capacity within the SLO: none of the rates met it on this server")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
