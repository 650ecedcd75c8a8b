"""Module 5 lab: where a decode step's time goes, at batch 1 and at the knee, against the roofline.

Run: ``python labs/module5/step_profile.py``  (the quick profile: 5 steps at each batch, about a
     minute of work after a 30-60 s server start on the workshop's 2-core CPU)
     ``python labs/module5/step_profile.py --profile full --record labs/module5/record``  (16 steps
     at each batch, more time to settle; writes ``step_profile.json`` and ``step_profile.txt``
     there: the recorded run the page shows)
     ``python labs/module5/step_profile.py --trace FILE --batch B``  (only the split of a saved trace)
     ``python labs/module5/step_profile.py --from RECORD.json``  (print a saved record's report again)

How: the lab starts a vLLM server of its own (``labs/workshop_server.py``: the CPU profile on a
free port, one start and one stop) with vLLM's torch profiler switched on
(``--profiler-config``, ``vllm/config/profiler.py``: CPU activity only, no Python stacks, no
front-end trace, the detailed per-step annotation) and ``VLLM_CUSTOM_SCOPES_FOR_PROFILING=1``
(vLLM's ``record_function`` ranges, among them ``gpu_model_runner: sample``). For each batch
size ``B`` (default: 1 and the knee of a concurrency sweep: ``knee`` in your
``.workshop/bench/why_vllm.json`` from ``why_vllm.py --sweep``, else in the recorded
``labs/module5/record/why_vllm.json``, else 32) it sends ``B`` ACME questions at once (greedy,
``ignore_eos``, as ``why_vllm.py``), waits until all ``B`` decode, measures the step time without
the profiler (``vllm:generation_tokens_total`` from ``/metrics`` over a few seconds: one token per
request per step), then asks for ``--steps`` profiled steps (``POST /start_profile`` with
``max_iterations``; vLLM's engine process writes a Chrome trace, ``*.pt.trace.json.gz``), and
cancels the requests.

The split of each step (from one ``execute_...`` annotation to the next, on the engine's thread),
in ms, from the trace's CPU events (µs in the trace):

- **matrix products**: top-level ops that are or contain a matrix product (``aten::mm``,
  ``addmm``, ``linear``, ``matmul``, vLLM's CPU GEMMs ``_C::onednn_mm``, ``weight_packed_linear``);
- **attention**: top-level ops that are or contain attention (``_C::cpu_attention_with_kv_cache``,
  ``_C::cpu_attn_reshape_and_cache``, ``vllm::unified_attention...``);
- **other tensor ops**: the other top-level ops (norms, activations, rotary embedding, copies);
- **sampling**: the ``gpu_model_runner: sample`` range, its ops and Python (greedy: an argmax);
- **Python in the model runner**: the rest of the model runner's ranges (``execute_...``, and its
  bookkeeping after the sampler): its own code between the ops;
- **scheduling and engine loop**: the rest of the step (vLLM's scheduler, its bookkeeping of the
  outputs, the engine loop; also the profiler's own cost per op, see "without the profiler").

Then, per batch, the roofline (``roofline.py``'s two bounds, with this machine's bandwidth and
peak from ``.workshop/bench/roofline.json``, else the recorded ``labs/module5/record/roofline.json``,
or ``--roofline FILE``): bytes moved per step (every weight once, plus the KV cache read:
``2 x layers x KV heads x head dim x 4`` bytes per context token, from the model's
``config.json``) over the memory bandwidth, and FLOPs per step (``2 x parameters x B`` plus
attention's ``4 x layers x heads x head dim`` per context token) over the peak FLOP/s; which bound
applies, the step's ratio to it, and a verdict, where a difference within the step times' own
spread is called "within the noise". Saves ``.workshop/bench/step_profile.json``.

Errors (one ``error: ... fix: ...``, exit status 1; bad options: exit status 2): the server does
not start (its log's last lines), no trace appears, a trace holds no decode step at batch ``B``, a
file given does not exist or is not what it should be.
"""
from __future__ import annotations

import asyncio
import gzip
import json
import os
import re
import shutil
import statistics
import sys
import textwrap
import time
from pathlib import Path

import httpx
import openai

import workshop
import workshop_server
from bench import BENCH_DIR, MODEL_DIR, ROOT, conversations, save, shown
from metrics_watch import scrape, value

RECORD_DIR = ROOT / "labs" / "module5" / "record"
TRACE_DIR = BENCH_DIR / "step_profile"
PROFILES = {"quick": {"steps": 5, "window_s": 2.0, "settle_tokens": 3},
            "full": {"steps": 16, "window_s": 6.0, "settle_tokens": 6}}
#: The knee when the recorded sweep has none (section 1's concurrency).
DEFAULT_KNEE = 32
#: Bytes per KV-cache value and per activation: the profile serves ``--dtype float32``.
DTYPE_BYTES = 4
#: The smallest difference not called "within the noise" (else twice the steps' own spread).
NOISE_FLOOR = 0.05

# The split's rows, in the order printed: (key, label).
CATEGORIES = [("matrix_products", "matrix products"), ("attention", "attention"),
              ("other_ops", "other tensor ops"), ("sampling", "sampling"),
              ("python", "Python in the model runner"), ("scheduling", "scheduling and engine loop")]
ATTENTION = re.compile(r"attention|attn", re.I)
MATMUL = re.compile(r"^aten::(mm|addmm|bmm|matmul|linear)$|onednn_mm|weight_packed_linear|"
                    r"linear_unary|gemm", re.I)
#: vLLM's per-step annotation (``detailed_trace_annotation``; ``vllm/v1/worker/gpu_worker.py``).
STEP = re.compile(r"^execute_(?P<tokens>\d+)_context_(?P<context>\d+)\(sq\d+sk(?P<ctx_kv>\d+)sqsq\d+sqsk\d+\)"
                  r"_generation_(?P<generation>\d+)\(sq\d+sk(?P<gen_kv>\d+)")
SAMPLE = "gpu_model_runner: sample"
#: vLLM's ranges of the model runner's own work (preprocess, forward, postprocess, bookkeep, ...).
RUNNER = "gpu_model_runner: "


class Trace:
    """The CPU events of one thread of a torch profiler trace: ``ops`` (``cpu_op``), ``steps``
    (vLLM's ``execute_...`` annotations), ``samples`` (the sampler's range) and ``runner`` (the
    model runner's other ranges), each a list of ``(start µs, end µs, name)`` sorted by start."""

    def __init__(self, events: list[dict]):
        def spans(keep) -> list[tuple[float, float, str]]:
            # by start, and the outer of two spans that start together first
            return sorted(((e["ts"], e["ts"] + e["dur"], e["name"]) for e in events
                           if e.get("ph") == "X" and "dur" in e and e.get("tid") == self.tid and keep(e)),
                          key=lambda s: (s[0], -s[1]))

        steps = [e for e in events if e.get("ph") == "X" and STEP.match(str(e.get("name", "")))]
        if not steps:
            raise workshop.WorkshopError(
                "the trace holds no vLLM step (no 'execute_..._generation_...' annotation).\n  fix: "
                "profile a server started with --profiler-config "
                "'{\"profiler\": \"torch\", \"detailed_trace_annotation\": true, ...}' as this lab does")
        self.tid = steps[0].get("tid")
        self.ops = spans(lambda e: e.get("cat") == "cpu_op")
        self.steps = spans(lambda e: STEP.match(e["name"]))
        self.samples = spans(lambda e: e["name"] == SAMPLE)
        self.runner = spans(lambda e: e["name"].startswith(RUNNER) and e["name"] != SAMPLE)


def load_trace(path: Path) -> Trace:
    """The :class:`Trace` in a Chrome trace file (``.json`` or ``.json.gz``), as vLLM's torch
    profiler writes it. Raises ``WorkshopError`` when the file is missing or is no trace."""
    try:
        raw = path.read_bytes()
        data = json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
        events = data["traceEvents"] if isinstance(data, dict) else data
        return Trace([e for e in events if isinstance(e, dict)])
    except FileNotFoundError:
        raise workshop.WorkshopError(f"no file {path}.\n  fix: give a trace this lab or vLLM's "
                                     f"profiler wrote (they are in {shown(TRACE_DIR)}/)") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise workshop.WorkshopError(f"{path} is not a torch profiler trace ({exc}).\n  fix: give a "
                                     "*.pt.trace.json(.gz) file that vLLM's profiler wrote") from None


# --8<-- [start:classify]
def classify(names: list[str]) -> str:
    """The category of a top-level op from its own and its children's names (``names[0]`` is the
    op's): attention before matrix products (an attention op may multiply matrices inside)."""
    if any(ATTENTION.search(n) for n in names):
        return "attention"
    if any(MATMUL.search(n) for n in names):
        return "matrix_products"
    return "other_ops"
# --8<-- [end:classify]


def _union(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The disjoint intervals that cover ``spans`` (``(start, end)`` pairs), sorted."""
    merged: list[list[float]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def _overlap(a: float, b: float, spans) -> float:
    """µs of ``[a, b)`` inside the disjoint ``spans``."""
    return sum(max(0.0, min(b, s[1]) - max(a, s[0])) for s in spans)


def split_steps(trace: Trace) -> list[dict]:
    """One dict per step that has a next step (its wall time runs from its ``execute_...``
    annotation to the next one): ``{"batch", "context", "kv_tokens", "wall_ms", "ms": {category:
    ms}}``, where ``batch`` is the requests decoding, ``context`` the requests in prefill,
    ``kv_tokens`` the context tokens all of them attend to, and the categories
    (:data:`CATEGORIES`) add up to ``wall_ms``."""
    # Top-level ops: not inside another op; each with the names of the ops inside it.
    tops: list[list] = []           # [start, end, [names]]
    for s, e, name in trace.ops:
        if tops and s < tops[-1][1] and e <= tops[-1][1] + 1e-3:
            tops[-1][2].append(name)
        else:
            tops.append([s, e, [name]])
    steps = []
    for (s0, e0, label), (s1, _, _) in zip(trace.steps, trace.steps[1:]):
        m = STEP.match(label)
        samples = _union([(max(a, s0), min(b, s1)) for a, b, _ in trace.samples if a < s1 and b > s0])
        # The model runner's own time: its execute_... range and its other ranges (bookkeeping
        # after the sampler), without the sampler.
        runner = _union([(s0, min(e0, s1))] + [(max(a, s0), min(b, s1)) for a, b, _ in trace.runner
                                                if a < s1 and b > s0])

        def outside_sampling(a: float, b: float, within=((s0, s1),)) -> float:
            """µs of [a, b) inside ``within`` and not inside the sampler's range."""
            return sum(max(0.0, min(b, w1) - max(a, w0)) - _overlap(max(a, w0), min(b, w1), samples)
                       for w0, w1 in within if min(b, w1) > max(a, w0))

        us = dict.fromkeys((k for k, _ in CATEGORIES), 0.0)
        us["sampling"] = sum(b - a for a, b in samples)
        ops_in_runner = 0.0
        for a, b, names in tops:
            if b > s0 and a < s1:
                us[classify(names)] += outside_sampling(a, b)
                ops_in_runner += outside_sampling(a, b, runner)
        us["python"] = max(0.0, sum(outside_sampling(a, b) for a, b in runner) - ops_in_runner)
        us["scheduling"] = (s1 - s0) - sum(v for k, v in us.items() if k != "scheduling")
        steps.append({"batch": int(m["generation"]), "context": int(m["context"]),
                      "kv_tokens": int(m["gen_kv"]) + int(m["ctx_kv"]),
                      "wall_ms": (s1 - s0) / 1000, "ms": {k: v / 1000 for k, v in us.items()}})
    return steps


def summarize(steps: list[dict], batch: int) -> dict:
    """The mean split of the decode steps at ``batch`` (no request in prefill), ms rounded to 0.01:
    ``{"batch", "steps", "step_ms", "step_ms_sd", "kv_tokens", "ms": {...}, "pct": {...}}``.
    Raises ``WorkshopError`` when there is none."""
    chosen = [s for s in steps if s["batch"] == batch and s["context"] == 0]
    if not chosen:
        seen = sorted({(s["batch"], s["context"]) for s in steps})
        raise workshop.WorkshopError(
            f"the trace has no decode step at batch {batch} (steps seen, as (decoding, in prefill): "
            f"{seen or 'none'}).\n  fix: profile more steps (--steps), or pass the batch the trace "
            "holds (--batch)")
    walls = [s["wall_ms"] for s in chosen]
    step_ms = statistics.fmean(walls)
    ms = {k: round(statistics.fmean(s["ms"][k] for s in chosen), 2) for k, _ in CATEGORIES}
    return {"batch": batch, "steps": len(chosen), "step_ms": round(step_ms, 2),
            "step_ms_sd": round(statistics.stdev(walls), 2) if len(walls) > 1 else 0.0,
            "kv_tokens": round(statistics.fmean(s["kv_tokens"] for s in chosen)),
            "ms": ms, "pct": {k: round(100 * v / step_ms, 1) for k, v in ms.items()}}


# ------------------------------------------------------------------ the roofline


def model_shape(model_dir: str | Path = MODEL_DIR) -> dict:
    """``{"layers", "heads", "kv_heads", "head_dim"}`` from the model's ``config.json``."""
    path = Path(model_dir) / "config.json"
    if not path.is_absolute():
        path = ROOT / path
    try:
        c = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise workshop.WorkshopError(f"cannot read {path} ({exc}).\n  fix: run ./scripts/start once "
                                     "(it prepares the bundled model), or set WORKSHOP_MODEL_DIR") from None
    heads = c["num_attention_heads"]
    return {"layers": c["num_hidden_layers"], "heads": heads,
            "kv_heads": c.get("num_key_value_heads", heads),
            "head_dim": c.get("head_dim") or c["hidden_size"] // heads}


def roofline_file(given: str | None) -> Path:
    """``given``, else this machine's ``.workshop/bench/roofline.json`` (``roofline.py``), else the
    recorded one. Raises ``WorkshopError`` for a ``given`` file that does not exist."""
    if given:
        if not Path(given).is_file():
            raise workshop.WorkshopError(f"no file {given}.\n  fix: python labs/module5/roofline.py "
                                         "writes .workshop/bench/roofline.json; or leave --roofline out")
        return Path(given)
    mine = BENCH_DIR / "roofline.json"
    return mine if mine.is_file() else RECORD_DIR / "roofline.json"


def against_roofline(row: dict, roof: dict, shape: dict) -> dict:
    """The two bounds of ``row``'s step (``summarize``) from ``roof`` (``params``,
    ``bytes_per_param``, ``bandwidth_bytes_per_s``, ``flops_per_s``, as ``roofline.py`` saves them):
    bytes (weights + KV cache read) and FLOPs per step, each bound in ms, which applies, the step
    over that bound (``unprofiled_step_ms`` when the row has it, else ``step_ms``), and the matrix
    products' speed (GB/s of weights and GFLOP/s, each also in % of the measured bandwidth and peak)."""
    b, kv = row["batch"], row["kv_tokens"]
    weights = roof["params"] * roof["bytes_per_param"]
    kv_bytes = kv * 2 * shape["layers"] * shape["kv_heads"] * shape["head_dim"] * DTYPE_BYTES
    matmul_flops = 2 * roof["params"] * b
    flops = matmul_flops + kv * 4 * shape["layers"] * shape["heads"] * shape["head_dim"]
    memory_ms = 1000 * (weights + kv_bytes) / roof["bandwidth_bytes_per_s"]
    compute_ms = 1000 * flops / roof["flops_per_s"]
    bound = "memory" if memory_ms >= compute_ms else "compute"
    mm = row["ms"]["matrix_products"]
    return {"bytes_per_step": round(weights + kv_bytes), "kv_bytes_per_step": round(kv_bytes),
            "flops_per_step": round(flops), "memory_bound_ms": round(memory_ms, 2),
            "weights_read_ms": round(1000 * weights / roof["bandwidth_bytes_per_s"], 2),
            "compute_bound_ms": round(compute_ms, 2), "bound": bound,
            # the step as it runs without the profiler (when measured) over the bound
            "vs_bound": round((row.get("unprofiled_step_ms") or row["step_ms"]) / max(memory_ms, compute_ms), 2),
            "matmul_gb_per_s": round(weights / mm / 1e6, 1) if mm else None,
            "matmul_bandwidth_pct": round(100 * weights / (mm / 1000) / roof["bandwidth_bytes_per_s"])
            if mm else None,
            "matmul_gflop_per_s": round(matmul_flops / mm / 1e6, 1) if mm else None,
            "matmul_peak_pct": round(100 * matmul_flops / (mm / 1000) / roof["flops_per_s"]) if mm else None}


def noise(row: dict) -> float:
    """The relative difference below which two times of this batch are "within the noise": twice
    the steps' own spread (standard deviation over mean), at least :data:`NOISE_FLOOR`."""
    return max(NOISE_FLOOR, 2 * row["step_ms_sd"] / row["step_ms"])


def versus(measured: float, reference: float, tolerance: float) -> str:
    """How ``measured`` compares with ``reference``, to stand before "the ...": "as long as,
    within the noise (±N %)," when their ratio is within ``tolerance`` of 1, else "N.Nx"."""
    ratio = measured / reference
    if abs(ratio - 1) <= tolerance:
        return f"as long as, within the noise (±{100 * tolerance:.0f} %),"
    return f"{ratio:.1f}x"


def verdict(row: dict, roof: dict) -> str:
    """One paragraph: which bound applies to ``row`` (with its ``roofline`` figures), how far the
    step is from it, and where the time beyond the matrix products goes."""
    r, ms, b = row["roofline"], row["ms"], row["batch"]
    rest = {label: ms[k] for k, label in CATEGORIES if k != "matrix_products"}
    top = max(rest, key=rest.get)
    tail = (f"the other {row['step_ms'] - ms['matrix_products']:.1f} ms are attention "
            f"{ms['attention']:.1f}, other tensor ops {ms['other_ops']:.1f}, sampling {ms['sampling']:.1f}, "
            f"Python {ms['python']:.1f}, scheduling and engine loop {ms['scheduling']:.1f} ms (most: {top})")
    if r["bound"] == "memory":
        return (f"batch {b}: memory-bound. Reading the weights and the KV cache "
                f"({r['bytes_per_step'] / 1e6:.0f} MB) at {roof['bandwidth_bytes_per_s'] / 1e9:.1f} GB/s "
                f"takes at least {r['memory_bound_ms']:.1f} ms, the arithmetic {r['compute_bound_ms']:.1f} ms. "
                f"The matrix products took {ms['matrix_products']:.1f} ms, "
                f"{versus(ms['matrix_products'], r['weights_read_ms'], noise(row))} the time to read the "
                f"weights once ({r['weights_read_ms']:.1f} ms): they stream the weights at "
                f"{r['matmul_gb_per_s']:.1f} GB/s ({r['matmul_bandwidth_pct']} % of the measured bandwidth). "
                f"The step took {row['unprofiled_step_ms']:.1f} ms without the profiler, {r['vs_bound']:.1f}x the "
                f"bound; of its {row['step_ms']:.1f} ms under the profiler {tail}.")
    peak = roof["flops_per_s"] / 1e9
    return (f"batch {b}: compute-bound. The arithmetic ({r['flops_per_step'] / 1e9:.1f} GFLOP at "
            f"{peak:.0f} GFLOP/s) takes at least {r['compute_bound_ms']:.1f} ms, the read "
            f"{r['memory_bound_ms']:.1f} ms. The matrix products took {ms['matrix_products']:.1f} ms: "
            f"{r['matmul_gflop_per_s']:.0f} GFLOP/s, {r['matmul_peak_pct']} % of the "
            f"measured peak (a 2048 x 2048 product), {versus(ms['matrix_products'], r['compute_bound_ms'], noise(row))} "
            f"the bound. The step took {row['unprofiled_step_ms']:.1f} ms without the profiler, "
            f"{r['vs_bound']:.1f}x the bound; of its {row['step_ms']:.1f} ms under the profiler {tail}.")


# ------------------------------------------------------------------ the report


def report(record: dict) -> str:
    """The text the lab prints for ``record`` (what it saves): a pure function of the JSON, so the
    recorded ``.txt`` can be recomputed from the recorded ``.json``."""
    rows, roof = record["rows"], record["roofline"]
    width = 34
    out = [f"step profile: {record['model']}, {record['profile']} profile, greedy, float32, "
           f"{record['steps']} profiled steps per batch",
           "traced by vLLM's torch profiler in the server's engine process (--profiler-config)",
           f"machine load (1-minute load average) {record['load_average_1m'][0]:.1f} at the start, "
           f"{record['load_average_1m'][1]:.1f} at the end, on {record['machine']['cores']} cores",
           f"roofline ({roof['source']}): {roof['bandwidth_bytes_per_s'] / 1e9:.1f} GB/s, "
           f"{roof['flops_per_s'] / 1e9:.0f} GFLOP/s, {roof['params'] / 1e6:.0f} M parameters x "
           f"{roof['bytes_per_param']:.0f} bytes",
           "",
           "where a decode step's time goes (mean of the decode steps; ms and % of the step)",
           f"{'':<{width}}" + "".join(f"{'batch ' + str(r['batch']):>16}" for r in rows)]
    for key, label in CATEGORIES:
        out.append(f"{label:<{width}}" + "".join(f"{r['ms'][key]:>9.1f} {r['pct'][key]:>4.0f} %" for r in rows))
    out.append(f"{'step, profiled':<{width}}" + "".join(f"{r['step_ms']:>9.1f} {100:>4} %" for r in rows))
    out.append(f"{'step, spread (sd)':<{width}}" + "".join(f"{r['step_ms_sd']:>9.1f}{'':7}" for r in rows))
    out.append(f"{'step, without the profiler':<{width}}"
               + "".join(f"{r['unprofiled_step_ms']:>9.1f}{'':7}" for r in rows))
    out.append(f"{'decode steps profiled':<{width}}" + "".join(f"{r['steps']:>9}{'':7}" for r in rows))
    out.append(f"{'context tokens read per step':<{width}}" + "".join(f"{r['kv_tokens']:>9}{'':7}" for r in rows))
    out += ["", "against the roofline", f"{'':<{width}}" + "".join(f"{'batch ' + str(r['batch']):>16}" for r in rows)]
    lines = [("MB moved per step", lambda f: f"{f['bytes_per_step'] / 1e6:.1f}"),
             ("memory bound (ms)", lambda f: f"{f['memory_bound_ms']:.1f}"),
             ("GFLOP per step", lambda f: f"{f['flops_per_step'] / 1e9:.2f}"),
             ("compute bound (ms)", lambda f: f"{f['compute_bound_ms']:.1f}"),
             ("the bound that applies", lambda f: f["bound"]),
             ("step without the profiler / bound", lambda f: f"{f['vs_bound']:.2f}x"),
             ("matrix products: GB/s of weights", lambda f: f"{f['matmul_gb_per_s']:.1f}"),
             ("matrix products: GFLOP/s", lambda f: f"{f['matmul_gflop_per_s']:.1f}")]
    for label, cell in lines:
        out.append(f"{label:<{width}}" + "".join(f"{cell(r['roofline']):>16}" for r in rows))
    out += ["", "verdict:"]
    out += [textwrap.fill(r["verdict"], 100, initial_indent="  ", subsequent_indent="    ") for r in rows]
    return "\n".join(out) + "\n"


def build_record(model: str, profile: str, steps: int, rows: list[dict], roof_path: Path,
                 shape: dict, load: list[float]) -> dict:
    """The record of a run: ``rows`` (``summarize`` plus ``unprofiled_step_ms``) with their
    roofline figures and verdicts, the roofline's inputs and where they came from, and ``load``,
    the 1-minute load average at the start and at the end (other programs skew the figures)."""
    roof = json.loads(roof_path.read_text())
    roof = {"source": shown(roof_path), **{k: roof[k] for k in
            ("params", "bytes_per_param", "bandwidth_bytes_per_s", "flops_per_s")}}
    for row in rows:
        row["roofline"] = against_roofline(row, roof, shape)
        row["verdict"] = verdict(row, roof)
    return {"model": model, "profile": profile, "steps": steps, "model_shape": shape,
            "roofline": roof, "rows": rows, "load_average_1m": load}


# ------------------------------------------------------------------ the live run


# --8<-- [start:flags]
def profiler_flags(trace_dir: Path) -> list[str]:
    """The server flags that switch vLLM's torch profiler on (``vllm/config/profiler.py``)."""
    config = {"profiler": "torch", "torch_profiler_dir": str(trace_dir),
              "torch_profiler_with_stack": False,     # Python stacks cost more than the step itself
              "ignore_frontend": True,                # the engine's trace only, not the API server's
              "detailed_trace_annotation": True}      # each step's context tokens, for the KV bytes
    return ["--profiler-config", json.dumps(config)]
# --8<-- [end:flags]


async def wait_for(http: httpx.AsyncClient, root: str, check, what: str, timeout: float) -> dict:
    """Poll ``/metrics`` every 0.2 s until ``check(metrics)``; return them. ``WorkshopError`` after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        m = await scrape(http, root)
        if check(m):
            return m
        if time.monotonic() > deadline:
            raise workshop.WorkshopError(
                f"the profiling server did not reach '{what}' in {timeout:.0f} s (running "
                f"{value(m, 'vllm:num_requests_running'):.0f}, waiting "
                f"{value(m, 'vllm:num_requests_waiting'):.0f}).\n  fix: use a batch the server can "
                "hold (--batches, at most its --max-num-seqs, 128 on the CPU) and a quiet machine; "
                f"its log: {shown(BENCH_DIR / 'step_profile_server.log')}")
        await asyncio.sleep(0.2)


def generated(m: dict) -> float:
    return value(m, "vllm:generation_tokens", "vllm:generation_tokens_total")


async def step_time(http: httpx.AsyncClient, root: str, batch: int, window: float) -> float:
    """ms per decode step without the profiler: from one change of ``vllm:generation_tokens_total``
    (a step's ``batch`` tokens) to the last change seen after ``window`` seconds and at least 3
    steps, polled every 0.1 s (each poll costs the server a little), as the time per ``batch`` tokens."""
    first = generated(await scrape(http, root))
    while (g0 := generated(await scrape(http, root))) == first:     # wait for a step to end
        await asyncio.sleep(0.1)
    t0 = t1 = time.monotonic()
    g1 = g0
    while t1 - t0 < window or g1 - g0 < 3 * batch:
        await asyncio.sleep(0.1)
        g = generated(await scrape(http, root))
        if g != g1:
            g1, t1 = g, time.monotonic()
    return 1000 * (t1 - t0) * batch / (g1 - g0)


async def profile_batch(root: str, model: str, batch: int, steps: int, settings: dict) -> dict:
    """Hold ``batch`` requests in decode on the server at ``root``; measure the unprofiled step
    (ms), profile ``steps`` steps, cancel the requests. Returns the split (:func:`summarize`) with
    ``unprofiled_step_ms`` and ``trace`` (the file)."""
    client = openai.AsyncOpenAI(base_url=root + "/v1", api_key="EMPTY", max_retries=0, timeout=900)
    prefix = f"batch{batch}"
    async with httpx.AsyncClient(timeout=30) as http:
        start = generated(await scrape(http, root))
        # Enough tokens to outlast the profile, few enough for the KV cache (2 GiB: about 46,000
        # tokens of this model); cancelled once the trace is written.
        max_tokens = min(2048, max(96, 16384 // batch))
        load = [asyncio.create_task(client.chat.completions.create(
            model=model, messages=conv, max_tokens=max_tokens, temperature=0, extra_body={"ignore_eos": True}))
            for conv in conversations(batch)]
        try:
            def decoding(m):
                return (value(m, "vllm:num_requests_running") == batch
                        and value(m, "vllm:num_requests_waiting") == 0
                        and generated(m) - start >= settings["settle_tokens"] * batch)
            await wait_for(http, root, decoding, f"{batch} requests decoding", 600)
            unprofiled = await step_time(http, root, batch, settings["window_s"])
            r = await http.post(f"{root}/start_profile",
                                json={"profile_prefix": prefix, "max_iterations": steps + 1})
            r.raise_for_status()
            trace = None
            deadline = time.monotonic() + 300
            while trace is None:       # the engine writes the trace when max_iterations are done
                done = sorted(TRACE_DIR.glob(f"{prefix}_*.pt.trace.json*"))
                size = done[-1].stat().st_size if done else 0
                await asyncio.sleep(0.5)
                if size and done[-1].stat().st_size == size:    # written, and not growing
                    trace = done[-1]
                elif time.monotonic() > deadline:
                    raise workshop.WorkshopError(
                        f"vLLM's profiler wrote no trace into {shown(TRACE_DIR)} in 300 s.\n  fix: "
                        f"read the server's log, {shown(BENCH_DIR / 'step_profile_server.log')}")
            (await http.post(f"{root}/stop_profile")).raise_for_status()
        finally:
            for task in load:
                task.cancel()                  # closing the connections aborts the requests
            await asyncio.gather(*load, return_exceptions=True)
            await client.close()
        await wait_for(http, root, lambda m: value(m, "vllm:num_requests_running") == 0,
                       "no request running", 120)
    row = summarize(split_steps(load_trace(trace)), batch)
    return {**row, "unprofiled_step_ms": round(unprofiled, 2), "trace": shown(trace)}


async def run_batches(batches: list[int], steps: int, settings: dict) -> tuple[str, list[dict]]:
    """Start the profiling server, profile each batch in turn, stop it. Returns (model, rows)."""
    if TRACE_DIR.exists():
        shutil.rmtree(TRACE_DIR)
    TRACE_DIR.mkdir(parents=True)
    srv = workshop_server.Server("step-profile", flags=profiler_flags(TRACE_DIR),
                                 env={"VLLM_CUSTOM_SCOPES_FOR_PROFILING": "1"},
                                 log=BENCH_DIR / "step_profile_server.log")
    srv.start()
    try:
        try:
            started = srv.wait(600, progress=workshop_server.say)
        except workshop_server.ServerError as exc:
            raise workshop.WorkshopError(f"the profiling server did not start: {exc}") from exc
        workshop_server.say(f"profiling server ready in {started:.0f} s on port {srv.port}")
        async with openai.AsyncOpenAI(base_url=srv.base_url, api_key="EMPTY", max_retries=0) as c:
            model = (await c.models.list()).data[0].id
            await c.chat.completions.create(model=model, messages=conversations(1)[0], max_tokens=8)
        rows = []
        for batch in batches:      # a line every 15 s: the knee's batch takes 20 s and more
            with workshop.waiting(f"profiling batch {batch}: {batch} requests, then {steps} profiled steps"):
                rows.append(await profile_batch(srv.root, model, batch, steps, settings))
        return model, rows
    finally:
        srv.stop()


def recorded_knee() -> tuple[int, str]:
    """(the knee of a concurrency sweep, where it came from): yours (``why_vllm.py --sweep`` saves
    it in ``.workshop/bench/why_vllm.json``), else the recorded one, else :data:`DEFAULT_KNEE`."""
    for path in (BENCH_DIR / "why_vllm.json", RECORD_DIR / "why_vllm.json"):
        try:
            knee = json.loads(path.read_text())["knee"]     # the sweep's row: {"concurrency": ...}
            return int(knee["concurrency"] if isinstance(knee, dict) else knee), \
                f"the knee of the sweep in {shown(path)}"
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return DEFAULT_KNEE, f"no sweep with a knee yet (why_vllm.py --sweep): {DEFAULT_KNEE}"


def batch_list(text: str) -> list[int]:
    """``"1,64"`` -> ``[1, 64]``: batch sizes from 1 to 256, for ``--batches``."""
    try:
        batches = [int(b) for b in text.split(",")]
    except ValueError:
        raise ValueError(f"not a list of whole numbers: {text}") from None
    if not batches or any(not 1 <= b <= 256 for b in batches):
        raise ValueError(f"batch sizes go from 1 to 256: {text}")
    return batches


def main() -> int:
    ap = workshop.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", choices=PROFILES, default="quick")
    ap.add_argument("--batches", type=batch_list, help="batch sizes, e.g. 1,64 (default: 1 and the knee)")
    ap.add_argument("--steps", type=int, choices=range(2, 201), metavar="2..200",
                    help="profiled steps per batch (default: the profile's)")
    ap.add_argument("--roofline", help="roofline.json with the bandwidth and peak (default: yours, "
                                       "else the recorded one)")
    ap.add_argument("--record", metavar="DIR", help="also write step_profile.json and .txt into DIR")
    ap.add_argument("--trace", help="only split this saved trace (no server)")
    ap.add_argument("--batch", type=int, default=1, help="with --trace: the batch to summarize")
    ap.add_argument("--from", dest="source", metavar="RECORD", help="print a saved record's report")
    args = ap.parse_args()
    if args.source:
        try:
            print(report(json.loads(Path(args.source).read_text())), end="")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise workshop.WorkshopError(f"cannot read the record {args.source} ({exc!r}).\n  fix: give "
                                         "a step_profile.json this lab saved") from None
        return 0
    if args.trace:
        row = summarize(split_steps(load_trace(Path(args.trace))), args.batch)
        print(f"{args.trace}: {row['steps']} decode steps at batch {args.batch}, "
              f"{row['step_ms']:.1f} ms each (sd {row['step_ms_sd']:.1f})")
        for key, label in CATEGORIES:
            print(f"  {label:<28} {row['ms'][key]:>8.2f} ms {row['pct'][key]:>5.1f} %")
        return 0

    settings = PROFILES[args.profile]
    steps = args.steps or settings["steps"]
    roof_path, shape = roofline_file(args.roofline), model_shape()
    if args.batches:
        batches = args.batches
    else:
        knee, where = recorded_knee()
        batches = sorted({1, knee})
        workshop_server.say(f"batches: 1 and the knee, {knee} ({where})")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    load = [round(os.getloadavg()[0], 2)]
    model, rows = asyncio.run(run_batches(batches, steps, settings))
    record = build_record(model, args.profile, steps, rows, roof_path, shape,
                          load + [round(os.getloadavg()[0], 2)])
    path = save("step_profile", record)
    record = json.loads(path.read_text())           # with the machine block the report names
    text = report(record)
    print(text, end="")
    print(f"saved: {shown(path)}")
    if args.record:
        folder = Path(args.record)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, folder / "step_profile.json")
        (folder / "step_profile.txt").write_text(text)
        print(f"recorded: {shown(folder / 'step_profile.json')} and step_profile.txt", file=sys.stderr)
    return 0


if __name__ == "__main__":
    workshop.run(main)
