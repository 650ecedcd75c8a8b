"""Module 5 lab: tuning experiments. One flag changed, the same workload, before and after.

Run: ``python labs/module5/tune.py EXPERIMENT [--quick]``  (``python labs/module5/tune.py --list``)

Each experiment starts two servers of its own, one after the other, from the CPU profile
(``labs/serve/serve_cpu.sh``) on a free port: **A** as the profile is, **B** with one change. Each
server gets the same workload (ACME questions, ``bench.conversations``), streamed, so that the lab
measures on the client what a user feels: TTFT (time to the first token), ITL (time between
tokens), request latency, and output tokens/s over the whole run. Prints a before/after table
(ms for latencies, p50 and p95 over the requests) and saves it to
``.workshop/bench/tune_<experiment>.json``; each server's log is kept next to it. A server start
takes 30-60 s on the workshop's 2-core CPU, so one experiment takes 1.5 to 3 minutes
(``--quick`` halves the workload). Your own workshop server keeps running; it should be idle
meanwhile.

Experiments (the flags are vLLM 0.32's, checked by its argument parser in the suite):

``max-num-seqs``      B: ``--max-num-seqs 2``: at most 2 requests in a batch; 16 wait their turn
``prefix-caching``    B: ``--no-enable-prefix-caching``: 16 questions behind one long shared
                      system prompt (ACME's FAQ) are prefilled from scratch every time
``batched-tokens``    B: ``--max-num-batched-tokens 256``: long prompts are prefilled in
                      smaller chunks between decode steps (chunked prefill)
``threads``           B: ``VLLM_CPU_OMP_THREADS_BIND`` set to the first core only
``eager``             B: without ``--enforce-eager``: vLLM compiles the model with
                      ``torch.compile`` at start-up (slower start; faster steps?)

Exit status 1 with ``error: ... fix: ...`` when a server does not start (its log's last lines
are printed) or the workload fails.
"""
from __future__ import annotations

import asyncio
import statistics
import sys
import time
from contextlib import contextmanager

import openai

import workshop
import workshop_server
from bench import BENCH_DIR, ROOT, SYSTEM, conversations, save, shown

FAQ = ROOT / "labs" / "acme" / "faq"


def long_system_prompt() -> str:
    """ACME's system prompt followed by its whole FAQ (six pages, about 480 words), shared by every request."""
    pages = "\n\n".join(p.read_text() for p in sorted(FAQ.glob("*.md")))
    return f"{SYSTEM}\n\nACME's FAQ, for your answers:\n\n{pages}"


#: name: (what B changes, B's extra flags, B's environment, workload settings)
EXPERIMENTS = {
    "max-num-seqs": ("--max-num-seqs 2", ["--max-num-seqs", "2"], {},
                     {"requests": 16, "concurrency": 16, "max_tokens": 32}),
    "prefix-caching": ("--no-enable-prefix-caching", ["--no-enable-prefix-caching"], {},
                       {"requests": 16, "concurrency": 1, "max_tokens": 8, "long_prefix": True}),
    "batched-tokens": ("--max-num-batched-tokens 256", ["--max-num-batched-tokens", "256"], {},
                       {"requests": 16, "concurrency": 8, "max_tokens": 32, "long_prefix": True,
                        "unique_prefix": True}),
    "threads": ("VLLM_CPU_OMP_THREADS_BIND=0 (one core)", [], {"VLLM_CPU_OMP_THREADS_BIND": "0"},
                {"requests": 16, "concurrency": 16, "max_tokens": 32}),
    "eager": ("no --enforce-eager (torch.compile)", ["--no-enforce-eager"], {},
              {"requests": 16, "concurrency": 16, "max_tokens": 32}),
}


@contextmanager
def server(name: str, flags: list[str], env: dict[str, str]):
    """A CPU-profile server with ``flags`` on a free port (``labs/workshop_server.py``, the workshop's
    one server lifecycle); yields its ``/v1`` URL and its start-up seconds, stops it after."""
    srv = workshop_server.Server(f"tune-{name}", flags=flags, env=env, log=BENCH_DIR / f"tune_{name}.log")
    srv.start()
    try:
        try:
            startup = srv.wait(600, progress=workshop_server.say)  # a line every 15 s
        except workshop_server.ServerError as exc:
            raise workshop.WorkshopError(   # exc ends with the likely fix
                f"the {name} server did not start ({' '.join(flags) or 'profile as is'}): {exc}") from exc
        yield srv.base_url, startup
    finally:
        srv.stop()


# --8<-- [start:measure]
async def measure(base_url: str, convs: list[list[dict]], max_tokens: int, concurrency: int) -> dict:
    """Stream every conversation, ``concurrency`` at a time; client-side TTFT, ITL, latency (s)."""
    client = openai.AsyncOpenAI(base_url=base_url, api_key=workshop.api_key(), max_retries=0, timeout=600)
    model = (await client.models.list()).data[0].id
    gate = asyncio.Semaphore(concurrency)
    ttft, itl, latency, tokens = [], [], [], 0

    async def one(conv):
        nonlocal tokens
        async with gate:
            sent = time.perf_counter()
            stamps = []
            stream = await client.chat.completions.create(
                model=model, messages=conv, max_tokens=max_tokens, temperature=0, stream=True,
                stream_options={"include_usage": True}, extra_body={"ignore_eos": True})
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    stamps.append(time.perf_counter())
                if chunk.usage:
                    tokens += chunk.usage.completion_tokens
            ttft.append(stamps[0] - sent)
            itl.extend(b - a for a, b in zip(stamps, stamps[1:]))
            latency.append(stamps[-1] - sent)

    await one(convs[0])                             # warm-up, not counted
    ttft.clear(), itl.clear(), latency.clear()
    tokens = 0
    start = time.perf_counter()
    await asyncio.gather(*(one(c) for c in convs))
    seconds = time.perf_counter() - start
    await client.close()
    return {"ttft": ttft, "itl": itl, "latency": latency, "tokens": tokens, "seconds": seconds}
# --8<-- [end:measure]


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, in ms (``statistics.quantiles``, inclusive)."""
    if len(values) < 2:
        return 1000 * values[0] if values else float("nan")
    return 1000 * statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def summary(run: dict, startup: float) -> dict:
    return {"server_start_s": round(startup, 1), "tokens_per_s": round(run["tokens"] / run["seconds"], 1),
            **{f"{name}_{label}_ms": round(pct(run[name], q), 1)
               for name in ("ttft", "itl", "latency") for label, q in (("p50", 0.5), ("p95", 0.95))}}


def workload(settings: dict, quick: bool) -> list[list[dict]]:
    n = settings["requests"] // (2 if quick else 1)
    convs = conversations(n)
    if settings.get("long_prefix"):
        system = long_system_prompt()
        for i, conv in enumerate(convs):
            # unique_prefix: a different first line, so no request can reuse another's cache
            conv[0]["content"] = (f"Session {i}.\n" if settings.get("unique_prefix") else "") + system
    return convs


def main() -> int:
    ap = workshop.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("experiment", nargs="?", choices=EXPERIMENTS)
    ap.add_argument("--quick", action="store_true", help="half the requests")
    ap.add_argument("--list", action="store_true", help="list the experiments and exit")
    args = ap.parse_args()
    if args.list or not args.experiment:
        for name, (change, *_rest) in EXPERIMENTS.items():
            print(f"{name:<15} B: {change}")
        if args.list:
            return 0
        # No experiment named: the list above, then one error and its fix (not a bare exit 2).
        print("error: name the experiment to run, one of the list above\n  fix: python "
              "labs/module5/tune.py prefix-caching --quick  (or --list to see them only)", file=sys.stderr)
        return 2
    change, flags, env, settings = EXPERIMENTS[args.experiment]
    workshop.model()              # fail fast: the workshop server, its key and VLLM_MODEL are checked
    convs = workload(settings, args.quick)
    print(f"experiment {args.experiment}: {len(convs)} requests, {settings['concurrency']} at a time, "
          f"{settings['max_tokens']} output tokens each")
    rows = {}
    for label, extra, extra_env in (("A: profile", [], {}), (f"B: {change}", flags, env)):
        # A line at each step, and one every 15 s while measuring: a full experiment's measuring
        # took up to 29 s, and stopping A and starting B 15 s more, with no line before.
        print(f"{label}: starting its server ...", flush=True)
        with server(f"{args.experiment}_{label[0]}", extra, extra_env) as (url, startup):
            print(f"{label}: server ready in {startup:.0f} s, measuring ...", flush=True)
            with workshop.waiting(f"measuring {label}", announce=False):
                rows[label] = summary(asyncio.run(measure(url, convs, settings["max_tokens"],
                                                          settings["concurrency"])), startup)
    cols = ["tokens_per_s", "ttft_p50_ms", "ttft_p95_ms", "itl_p50_ms", "itl_p95_ms", "latency_p95_ms",
            "server_start_s"]
    heads = ["tokens/s", "TTFT p50", "TTFT p95", "ITL p50", "ITL p95", "latency p95", "start s"]
    width = max(len(k) for k in rows) + 2
    print(f"{'':<{width}}" + "".join(f"{h:>12}" for h in heads))
    for label, row in rows.items():
        print(f"{label:<{width}}" + "".join(f"{row[c]:>12.1f}" for c in cols))
    print("(latencies in ms, measured by this client; tokens/s = output tokens / wall time)")
    path = save(f"tune_{args.experiment}", {"experiment": args.experiment, "change": change,
                                           "settings": settings, "quick": args.quick, "rows": rows})
    print(f"saved: {shown(path)}")
    return 0


if __name__ == "__main__":
    workshop.run(main)
