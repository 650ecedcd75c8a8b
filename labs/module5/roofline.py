"""Module 5 lab: the limit. How fast can decoding be on this machine, and on common GPUs?

Run: ``python labs/module5/roofline.py``  (about 10 s: it measures this machine)
     ``python labs/module5/roofline.py --params 8e9 --bytes 2 --gpu``  (a calculator: no measuring)

Each decode step of a batch of ``B`` requests reads every weight once (``params x bytes`` bytes)
and does about ``2 x params x B`` floating-point operations (a multiply and an add per weight
per token). So a step takes at least ``max(weight bytes / memory bandwidth,
2 x params x B / peak FLOP/s)`` seconds, and output tokens/s is at most ``B`` over that:

- at batch 1 the first term wins: decoding is **memory-bound**, ``bandwidth / weight bytes``
  tokens/s, however fast the cores are;
- the two terms meet at ``B* = peak FLOP/s x bytes / (2 x bandwidth)`` (the roofline's ridge);
  beyond it decoding is **compute-bound**: ``peak FLOP/s / (2 x params)`` tokens/s.

Attention and the KV cache add bytes and FLOPs that grow with context; the bound ignores them,
so real figures stay below it. Measured here: memory bandwidth (a ``torch`` copy of a 512 MiB
tensor, counted as read + write, best of 5) and peak FLOP/s (a float32 2048 x 2048 matrix product,
best of 5), both with all the cores torch uses. The model's size comes from its safetensors files
(``WORKSHOP_MODEL_DIR``). If ``.workshop/bench/why_vllm.json`` exists (``why_vllm.py``), the
measured vLLM rates are compared with the bound. ``--gpu`` prints the same bound for GPUs from
their datasheets' peak bandwidth and dense BF16 tensor FLOP/s (not measured here; real kernels
reach perhaps 70-90 % of the bandwidth). Saves ``.workshop/bench/roofline.json``.
"""
from __future__ import annotations

import workshop
import json
import time
from pathlib import Path

from bench import BENCH_DIR, MODEL_DIR, save, shown

#: Datasheet figures: (name, memory bandwidth GB/s, dense BF16 tensor TFLOP/s). Sources: NVIDIA's
#: A100 (80GB SXM), H100 (SXM) and L4 datasheets; sparsity figures are halved to dense.
GPUS = [("NVIDIA L4 24GB", 300, 121), ("NVIDIA A100 80GB SXM", 2039, 312),
        ("NVIDIA H100 80GB SXM", 3350, 989)]


# --8<-- [start:bound]
def bound(params: float, bytes_per_param: float, bandwidth: float, flops: float,
          batch: int) -> float:
    """Upper bound of decode output tokens/s at ``batch`` (bandwidth in bytes/s, FLOP/s)."""
    step = max(params * bytes_per_param / bandwidth, 2 * params * batch / flops)
    return batch / step


def ridge(bytes_per_param: float, bandwidth: float, flops: float) -> float:
    """The batch size where decoding turns from memory-bound to compute-bound."""
    return flops * bytes_per_param / (2 * bandwidth)
# --8<-- [end:bound]


def measure_bandwidth(mib: int = 512, repeats: int = 5) -> float:
    """Bytes/s of a tensor copy (read + write), best of ``repeats``."""
    import torch

    src = torch.ones(mib * 2**20 // 4, dtype=torch.float32)
    dst = torch.empty_like(src)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        dst.copy_(src)
        best = min(best, time.perf_counter() - start)
    return 2 * src.numel() * 4 / best


def measure_flops(n: int = 2048, repeats: int = 5) -> float:
    """FLOP/s of a float32 ``n x n`` matrix product, best of ``repeats``."""
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best


def model_params(model_dir: str) -> tuple[float, float]:
    """(parameters, bytes per parameter) from the safetensors files of ``model_dir``."""
    from safetensors import safe_open

    params, size = 0, 0
    files = sorted(Path(model_dir).glob("*.safetensors"))
    if not files:
        raise SystemExit(f"error: no *.safetensors in {model_dir}\n  fix: run ./scripts/start once "
                         "(it prepares the bundled model), or pass --params and --bytes")
    for f in files:
        size += f.stat().st_size
        with safe_open(f, "pt") as weights:
            for name in weights.keys():
                shape = weights.get_slice(name).get_shape()
                count = 1
                for d in shape:
                    count *= d
                params += count
    return float(params), size / params


def table(params: float, bpp: float, bandwidth: float, flops: float, batches=(1, 8, 32, 256)) -> None:
    print(f"  weights: {params / 1e6:,.0f} M parameters x {bpp:.3g} bytes = {params * bpp / 1e9:.2f} GB")
    print(f"  memory-bound at batch 1: {bound(params, bpp, bandwidth, flops, 1):,.0f} tokens/s; "
          f"compute-bound from batch ~{ridge(bpp, bandwidth, flops):,.0f}: "
          f"{flops / (2 * params):,.0f} tokens/s")
    print("  " + "  ".join(f"batch {b}: {bound(params, bpp, bandwidth, flops, b):,.0f}" for b in batches)
          + "  (tokens/s, at most)")


def against_bound(why: dict, params: float, bpp: float, bandwidth: float, flops: float) -> list[dict]:
    """``why_vllm.py``'s rates (its JSON: ``ways``, and the sweep's ``knee`` and ``peak`` rows when
    it has them) against the bound at each one's batch: one dict per rate, in that order, with
    ``way``, ``batch`` (the concurrency; the offline batch's requests; 1 for one at a time),
    ``tokens_per_s``, ``bound_tokens_per_s`` (rounded to 0.1) and ``pct_of_bound`` (a whole %)."""
    rates = [(way["way"], way) for way in why["ways"]]
    rates += [(f"vLLM server, concurrency {why[name]['concurrency']} ({name})", why[name])
              for name in ("knee", "peak") if isinstance(why.get(name), dict)]
    rows = []
    for way, rate in rates:
        if "concurrency" in rate:
            batch = rate["concurrency"]
        elif "concurrency" in way:       # "vLLM server, concurrency 32"
            batch = int(way.rsplit(" ", 1)[1])
        else:                            # the offline batch holds all its requests; else one at a time
            batch = rate["requests"] if "offline" in way else 1
        limit = bound(params, bpp, bandwidth, flops, batch)
        rows.append({"way": way, "batch": batch, "tokens_per_s": rate["tokens_per_s"],
                     "bound_tokens_per_s": round(limit, 1), "pct_of_bound": round(100 * rate["tokens_per_s"] / limit)})
    return rows


def main() -> int:
    ap = workshop.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", type=float, help="parameters (default: the bundled model's)")
    ap.add_argument("--bytes", type=float, help="bytes per parameter: 4 float32, 2 bf16, 1 int8/fp8")
    ap.add_argument("--gpu", action="store_true", help="only the GPU datasheet table (no measuring)")
    args = ap.parse_args()
    if args.params and args.bytes:
        params, bpp = args.params, args.bytes
    else:
        params, bpp = model_params(MODEL_DIR)
        params, bpp = args.params or params, args.bytes or bpp
    if args.gpu:
        for name, gbs, tflops in GPUS:
            print(f"{name}: {gbs} GB/s, {tflops} TFLOP/s (datasheet)")
            table(params, bpp, gbs * 1e9, tflops * 1e12)
        return 0

    bandwidth, flops = measure_bandwidth(), measure_flops()
    print(f"this machine: memory bandwidth {bandwidth / 1e9:.1f} GB/s, peak {flops / 1e9:.0f} GFLOP/s "
          f"(float32, measured)")
    table(params, bpp, bandwidth, flops)
    record = {"params": params, "bytes_per_param": bpp, "bandwidth_bytes_per_s": bandwidth,
              "flops_per_s": flops, "ridge_batch": ridge(bpp, bandwidth, flops)}
    why = BENCH_DIR / "why_vllm.json"
    if why.exists():
        print(f"measured ({shown(why)}):")
        record["measured_from"] = shown(why)
        record["measured"] = against_bound(json.loads(why.read_text()), params, bpp, bandwidth, flops)
        for row in record["measured"]:
            print(f"  {row['way']:<38} {row['tokens_per_s']:>7.1f} tokens/s = {row['pct_of_bound']:3d} % of "
                  f"the bound at batch {row['batch']} ({row['bound_tokens_per_s']:,.0f})")
    print(f"saved: {shown(save('roofline', record))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
