"""Module 5 lab: why vLLM, measured. The same model and prompts, four ways, in one run.

Run: ``python labs/module5/why_vllm.py [--requests N] [--max-tokens T] [--offline]``
(``--profile full`` = 32 requests x 64 tokens with the offline batch and the concurrency sweep,
about 9 minutes on the workshop's idle 2-core CPU; the default ``quick`` = 16 x 32 without them,
about 50 s: measured 49 s on an idle machine)

1. **transformers** ``generate``, one request at a time (how a first prototype often serves a
   model), on the first ``--hf-requests`` prompts (its rate does not depend on how many wait);
2. the **vLLM server**, one request at a time (concurrency 1);
3. the **vLLM server**, all ``N`` requests at once (concurrency N): continuous batching puts
   them in one batch, and PagedAttention keeps their KV cache without waste;
4. with ``--offline``, **vLLM offline**: ``LLM.chat`` on all prompts as one batch, in this
   process (its start-up is not counted);
5. with ``--sweep``, the **server at rising concurrency** (1, 8, 32, 64, 128, then doubling
   while tokens/s still rises by 5 %): tokens/s and the ratio to transformers at each level, the
   **peak** (the most tokens/s) and the **knee** (the first level with 90 % of the peak).

Every way generates exactly ``T`` tokens per request (``min_new_tokens`` / ``ignore_eos``),
greedy, float32, from the same chat-formatted ACME questions (``bench.conversations``). Prints
one line per way: requests, output tokens, seconds (wall clock), output tokens/s, and the ratio to
transformers; saves everything with the machine's facts to ``.workshop/bench/why_vllm.json``.

A note says so first when other programs keep more than half of the cores busy
(``workshop.busy_cores``). Exit status 1 with ``error: ... fix: ...`` when the server cannot be used (``workshop.run``) or
when batching did not beat one-at-a-time by ``--expect`` (default 2x): on a machine busy with
other work the figures mean little. Environment: ``VLLM_BASE_URL``, ``VLLM_API_KEY``,
``VLLM_MODEL`` as in every lab; ``WORKSHOP_MODEL_DIR`` for the weights transformers and the
offline engine load (default ``.workshop/models/SmolLM2-135M-Instruct``, the server's model).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import time

import workshop
from bench import MODEL_DIR, conversations, save, shown


def engine_environment() -> None:
    """The environment of this process's torch and offline vLLM engine, set before either is
    imported (``main`` calls it first; importing the lab changes nothing)."""
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    # vLLM's offline engine otherwise keeps one core for this process (its log: "core ids=[0]",
    # "reserved_cpus=[1]" on 2 cores) and ran at about half the server's speed; the server profile
    # (labs/serve/serve_cpu.sh) gives inference every core, and so does this lab.
    os.environ.setdefault("VLLM_CPU_OMP_THREADS_BIND", f"0-{(os.cpu_count() or 1) - 1}")
    os.environ.setdefault("VLLM_CPU_NUM_OF_RESERVED_CPU", "0")
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
    os.environ.setdefault("TORCH_CPP_LOG_LEVEL", "ERROR")
    os.environ.setdefault("PYTHONWARNINGS", "ignore:`torch.distributed.reduce_op` is deprecated:FutureWarning")

PROFILES = {"quick": {"requests": 16, "max_tokens": 32, "hf_requests": 4, "offline": False, "sweep": False},
            "full": {"requests": 32, "max_tokens": 64, "hf_requests": 32, "offline": True, "sweep": True}}
#: The sweep's first levels; it goes on doubling while tokens/s still rises by RISE.
SWEEP = (1, 8, 32, 64, 128)
RISE = 1.05
#: The knee: the first concurrency that reaches this share of the peak's tokens/s.
KNEE_SHARE = 0.9


def sweep(convs_for, max_tokens: int, model: str, base: float,
          known: dict[int, tuple[int, int, float]] | None = None) -> list[dict]:
    """tokens/s of the server at each concurrency of :data:`SWEEP`, then doubling until the rise is
    below :data:`RISE` (the server's ``--max-num-seqs`` caps a batch; beyond it requests queue).
    Each level sends ``max(32, concurrency)`` requests (``convs_for(n)``), so a batch can fill.
    ``known`` holds levels measured already, ``{concurrency: (requests, tokens, seconds)}`` (the
    ways above), which are not measured again. Returns rows ``{concurrency, requests,
    output_tokens, seconds, tokens_per_s, vs_transformers}``."""
    known = known or {}
    rows, level, levels = [], 0, list(SWEEP)
    while level < len(levels):
        c = levels[level]
        n = max(32, c)
        if known.get(c, (None,))[0] == n:
            _, tokens, secs = known[c]
        else:
            with workshop.waiting(f"measuring the server at concurrency {c} ({n} requests)"):
                tokens, secs = asyncio.run(vllm_server(convs_for(n), max_tokens, c, model))
        rows.append({"concurrency": c, "requests": n, "output_tokens": tokens, "seconds": round(secs, 2),
                     "tokens_per_s": round(tokens / secs, 1), "vs_transformers": round(tokens / secs / base, 1)})
        if level == len(levels) - 1 and len(rows) > 1 and rows[-1]["tokens_per_s"] >= RISE * rows[-2]["tokens_per_s"]:
            levels.append(c * 2)   # still rising: one more level
        level += 1
    return rows


def knee_and_peak(rows: list[dict]) -> tuple[dict, dict]:
    """(the knee row: the first that reaches KNEE_SHARE of the peak's tokens/s, the peak row)."""
    peak = max(rows, key=lambda r: r["tokens_per_s"])
    knee = next(r for r in rows if r["tokens_per_s"] >= KNEE_SHARE * peak["tokens_per_s"])
    return knee, peak


# --8<-- [start:transformers]
def transformers_sequential(convs: list[list[dict]], max_tokens: int) -> tuple[int, float]:
    """(output tokens, seconds): ``generate`` one conversation at a time, batch size 1."""
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(MODEL_DIR)
    model = AutoModelForCausalLM.from_pretrained(MODEL_DIR, dtype=torch.float32).eval()

    def generate(conv):
        ids = tokenizer.apply_chat_template(conv, add_generation_prompt=True, return_tensors="pt",
                                            return_dict=True)
        with torch.inference_mode():
            out = model.generate(**ids, max_new_tokens=max_tokens, min_new_tokens=max_tokens,
                                 do_sample=False, pad_token_id=tokenizer.eos_token_id)
        return out.shape[1] - ids["input_ids"].shape[1]

    generate(convs[0])                      # warm-up, not timed (the server is warm too)
    start = time.perf_counter()
    tokens = sum(generate(conv) for conv in convs)
    return tokens, time.perf_counter() - start
# --8<-- [end:transformers]


# --8<-- [start:server]
async def vllm_server(convs: list[list[dict]], max_tokens: int, concurrency: int,
                      model: str) -> tuple[int, float]:
    """(output tokens, seconds): every conversation through the server, ``concurrency`` at a time."""
    client = workshop.async_client()
    gate = asyncio.Semaphore(concurrency)

    async def one(conv):
        async with gate:
            reply = await client.chat.completions.create(
                model=model, messages=conv, max_tokens=max_tokens, temperature=0,
                extra_body={"ignore_eos": True})    # exactly max_tokens tokens, as transformers
            return reply.usage.completion_tokens

    await one(convs[0])                     # warm-up, not timed
    start = time.perf_counter()
    tokens = sum(await asyncio.gather(*(one(conv) for conv in convs)))
    seconds = time.perf_counter() - start
    await client.close()
    return tokens, seconds
# --8<-- [end:server]


# --8<-- [start:offline]
def vllm_offline(convs: list[list[dict]], max_tokens: int) -> tuple[int, float]:
    """(output tokens, seconds): ``LLM.chat`` on all conversations as one batch (start-up not timed)."""
    from vllm import LLM, SamplingParams

    with workshop.waiting("loading the model into this process"):
        llm = LLM(model=MODEL_DIR, dtype="float32", enforce_eager=True, max_model_len=2048, seed=0)
    params = SamplingParams(temperature=0, max_tokens=max_tokens, ignore_eos=True)
    llm.chat(convs[:1], params, use_tqdm=False)     # warm-up, not timed
    start = time.perf_counter()
    outputs = llm.chat(convs, params, use_tqdm=False)
    seconds = time.perf_counter() - start
    return sum(len(o.outputs[0].token_ids) for o in outputs), seconds
# --8<-- [end:offline]


def main() -> int:
    engine_environment()
    ap = workshop.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", choices=PROFILES, default="quick")
    ap.add_argument("--requests", type=int, help="N, the requests per vLLM way")
    ap.add_argument("--max-tokens", type=int, help="T, output tokens per request")
    ap.add_argument("--hf-requests", type=int, help="requests for transformers (its rate is per request)")
    ap.add_argument("--offline", action=argparse.BooleanOptionalAction, default=None)
    ap.add_argument("--expect", type=float, default=2.0, help="the least speed-up that counts as sane")
    ap.add_argument("--sweep", action=argparse.BooleanOptionalAction, default=None,
                    help="the server at concurrency 1, 8, 32, 64, 128 and on while tokens/s rises "
                         "(default: with --profile full)")
    args = ap.parse_args()
    p = PROFILES[args.profile]
    n, t = args.requests or p["requests"], args.max_tokens or p["max_tokens"]
    hf_n = min(args.hf_requests or p["hf_requests"], n)
    offline = p["offline"] if args.offline is None else args.offline
    convs = conversations(n)
    model = workshop.model()                # fail fast: server, key and model checked first
    print(f"why vLLM: {model}, {n} requests x {t} output tokens, greedy, float32")
    cores, busy = os.cpu_count() or 1, workshop.busy_cores()
    if busy > cores / 2:
        # torch's threads wait for each other at every step: a walkthrough here at load average 20
        # saw transformers alone take 749 s (the whole quick profile: 49 s on an idle machine)
        print(f"note: other programs keep {busy:.1f} of {cores} cores busy now: transformers' threads "
              "will wait for them (minutes instead of seconds) and the figures will mean little; for "
              "figures worth keeping, run it when the machine is idle (uptime shows the load)")
    ways = []

    def measure(way: str, requests: int, run) -> None:
        # Each way takes seconds to minutes (more on a busy machine): a line while it runs.
        with workshop.waiting(f"measuring {way}"):
            ways.append((way, requests, *run()))
    measure("transformers generate, one at a time", hf_n, lambda: transformers_sequential(convs[:hf_n], t))
    measure("vLLM server, concurrency 1", n, lambda: asyncio.run(vllm_server(convs, t, 1, model)))
    measure(f"vLLM server, concurrency {n}", n, lambda: asyncio.run(vllm_server(convs, t, n, model)))
    if offline:
        measure("vLLM offline, one batch", n, lambda: vllm_offline(convs, t))

    base = ways[0][2] / ways[0][3]
    rows = [{"way": way, "requests": reqs, "output_tokens": tokens, "seconds": round(secs, 2),
             "tokens_per_s": round(tokens / secs, 1), "vs_transformers": round(tokens / secs / base, 1)}
            for way, reqs, tokens, secs in ways]
    print(f"{'way':<38} {'requests':>8} {'tokens':>7} {'seconds':>8} {'tokens/s':>9} {'vs transformers':>16}")
    for r in rows:
        print(f"{r['way']:<38} {r['requests']:>8} {r['output_tokens']:>7} {r['seconds']:>8.2f} "
              f"{r['tokens_per_s']:>9.1f} {r['vs_transformers']:>15.1f}x")
    record = {"model": model, "requests": n, "max_tokens": t, "ways": rows}
    sweeping = p["sweep"] if args.sweep is None else args.sweep
    if sweeping:
        measured = {1: ways[1][1:], n: ways[2][1:]}   # (requests, tokens, seconds) of the server's ways
        levels = sweep(conversations, t, model, base, measured)
        knee, peak = knee_and_peak(levels)
        print(f"\nthe server at each concurrency ({t} output tokens per request):")
        print(f"{'concurrency':>11} {'requests':>8} {'tokens':>7} {'seconds':>8} {'tokens/s':>9} {'vs transformers':>16}")
        for r in levels:
            print(f"{r['concurrency']:>11} {r['requests']:>8} {r['output_tokens']:>7} {r['seconds']:>8.2f} "
                  f"{r['tokens_per_s']:>9.1f} {r['vs_transformers']:>15.1f}x")
        print(f"peak: {peak['tokens_per_s']:.1f} tokens/s at concurrency {peak['concurrency']} "
              f"({peak['vs_transformers']:.1f}x transformers); knee: concurrency {knee['concurrency']} "
              f"(the first level with {KNEE_SHARE:.0%} of the peak)")
        record.update(sweep=levels, knee=knee, peak=peak)   # the rows: the page quotes their figures
    path = save("why_vllm", record)
    print(f"saved: {shown(path)}")
    best = max(r["vs_transformers"] for r in rows[1:])
    if best < args.expect:
        raise workshop.WorkshopError(
            f"vLLM was only {best:.1f}x transformers here, less than --expect {args.expect}: the "
            "machine is probably busy with other work.\n  fix: close other programs (or wait for "
            "them) and run the lab again; uptime shows the load")
    return 0


if __name__ == "__main__":
    workshop.run(main)
