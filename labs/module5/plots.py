"""Module 5 lab: figures from your benchmark results (matplotlib, PNG).

Run: ``python labs/module5/plots.py [--from DIR] [--to DIR]``  (default both ``.workshop/bench``)

Reads the JSON the other Module 5 labs wrote and draws, for the files that are there:

- ``why_vllm.png``: output tokens/s of each way (``why_vllm.json``), with the ratio to transformers;
- ``throughput.png``: output tokens/s against the number of requests in flight: ``vllm bench
  serve`` (``vllm_bench/c<N>.json``, x = ``--max-concurrency``) and GuideLLM's sweep
  (``guidellm/benchmarks.json``, x = the mean concurrency it measured);
- ``latency.png``: p50 and p95 of TTFT and ITL (ms) against the requests/s GuideLLM's benchmarks
  completed, with ACME's objectives (``slo.TTFT_MS``, ``slo.ITL_MS``) as dotted lines.

Each figure's footer names the machine, the model and the versions from the record's
``machine`` block, so a figure never travels without its context. Prints one line per figure
written; exit status 1 with ``error: ... fix: ...`` when no result is there to plot.
"""
from __future__ import annotations

import workshop
import json
import sys
from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")  # files only, no window
import matplotlib.pyplot as plt  # noqa: E402

from bench import BENCH_DIR, shown  # noqa: E402
from slo import ITL_MS, TTFT_MS, guidellm_rows  # noqa: E402

#: PNG metadata without the matplotlib version and date, so the same data gives the same file.
PNG = {"metadata": {"Software": None}, "dpi": 110}


# --8<-- [start:footer]
def footer(fig, machine: dict | None, model: str | None) -> None:
    """The figure's context in small print: model, CPU, cores, versions, date of the run."""
    if not machine:
        return
    v = machine["versions"]
    fig.text(0.01, 0.01, f"{model} on {machine['cpu']} ({machine['cores']} cores), vLLM {v['vllm']}, "
             f"torch {v['torch']}, {machine['date']}", fontsize=7, color="#555")
# --8<-- [end:footer]


def why_vllm(record: dict, out: Path) -> Path:
    ways = record["ways"]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    names = [w["way"] for w in ways][::-1]
    rates = [w["tokens_per_s"] for w in ways][::-1]
    bars = ax.barh(names, rates, color=["#3b6ea8"] * (len(ways) - 1) + ["#888"])  # transformers grey
    for bar, w in zip(bars, ways[::-1]):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {w['tokens_per_s']:.0f} "
                f"({w['vs_transformers']:.1f}x)", va="center", fontsize=8)
    ax.set_xlabel("output tokens/s (higher is better)")
    ax.set_title(f"Why vLLM: {record['requests']} requests x {record['max_tokens']} output tokens",
                 fontsize=10)
    ax.set_xlim(0, max(rates) * 1.25)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    footer(fig, record["machine"], record["model"])
    path = out / "why_vllm.png"
    fig.savefig(path, **PNG)
    plt.close(fig)
    return path


def throughput(bench: list[dict], sweep: dict | None, out: Path) -> Path:
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    if bench:
        bench = sorted(bench, key=lambda r: r["max_concurrency"])
        ax.plot([r["max_concurrency"] for r in bench], [r["output_throughput"] for r in bench],
                "o-", label="vllm bench serve")
    if sweep:
        rows = sorted(sweep["rows"], key=lambda r: r["concurrency"])
        ax.plot([r["concurrency"] for r in rows], [r["output_tokens_per_s"] for r in rows],
                "s--", label="GuideLLM sweep")
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.set_xlabel("requests in flight (concurrency)")
    ax.set_ylabel("output tokens/s")
    ax.set_title("Throughput against concurrency", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    source = sweep or bench[0]
    footer(fig, source["machine"], source["model"])
    path = out / "throughput.png"
    fig.savefig(path, **PNG)
    plt.close(fig)
    return path


def latency(sweep: dict, out: Path) -> Path:
    rows = sorted(sweep["rows"], key=lambda r: r["requests_per_s"])
    x = [r["requests_per_s"] for r in rows]
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.6))
    for ax, metric, label, target in ((axes[0], "ttft", "TTFT", TTFT_MS), (axes[1], "itl", "ITL", ITL_MS)):
        for q, style in (("p50", "o-"), ("p95", "s--")):
            ax.plot(x, [r[f"{metric}_{q}_ms"] for r in rows], style, label=q)
        ax.axhline(target, color="#b00", linewidth=1, linestyle=":", label="ACME's SLO (p95)")
        ax.set_xlabel("requests/s completed")
        ax.set_ylabel(f"{label} (ms)")
        ax.set_title(f"{label} against load", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    footer(fig, sweep["machine"], sweep["model"])
    path = out / "latency.png"
    fig.savefig(path, **PNG)
    plt.close(fig)
    return path


def main() -> int:
    ap = workshop.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="src", type=Path, default=BENCH_DIR)
    ap.add_argument("--to", dest="out", type=Path, default=BENCH_DIR)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    written = []
    why = args.src / "why_vllm.json"
    if why.exists():
        written.append(why_vllm(json.loads(why.read_text()), args.out))
    bench = [json.loads(p.read_text()) for p in sorted((args.src / "vllm_bench").glob("c*.json"))]
    side = args.src / "vllm_bench" / "machine.json"
    for record in bench:   # vllm bench's JSON has no machine block: bench_serve.sh writes it beside
        record.update(json.loads(side.read_text()) if side.exists() else {"machine": None, "model": None})
    sweep_file = args.src / "guidellm" / "benchmarks.json"
    sweep = guidellm_rows(sweep_file) if sweep_file.exists() else None
    if bench or sweep:
        written.append(throughput(bench, sweep, args.out))
    if sweep:
        written.append(latency(sweep, args.out))
    if not written:
        print(f"error: no results to plot in {shown(args.src)}\n  fix: run the Module 5 labs first "
              "(python labs/module5/why_vllm.py, bash labs/module5/guidellm_sweep.sh)", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {shown(path)}")
    if not sweep:
        print(f"not drawn: latency.png, which needs a GuideLLM sweep in {shown(sweep_file.parent)} "
              "(bash labs/module5/guidellm_sweep.sh)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
