"""Module 5 lab: how prompt length moves tokens/s at the knee. ACME's short prompts, then long ones.

Run: ``python labs/module5/prompt_length.py [--profile quick|full] [--concurrency C] [--history N]``
(``quick``, the default: 16 requests at once, 32 output tokens each, for the suite and a first
look; ``full``: 128 at once, the knee of the recorded sweep, 64 tokens each, what the page's
recorded run used)

The same ``C`` requests at once through the workshop server, twice:

1. **ACME's prompts** (``bench.conversations``: a two-sentence system prompt and one question,
   what ``why_vllm.py`` measures);
2. **long prompts**: the same conversations with an order history of ``N`` lines (default 4)
   before each question, different in every request, so that the prefix cache cannot share it
   (a shared system prompt would be computed once: Module 5, section 6, ``prefix-caching``).

ACME's prompts run again at the end: the two runs of the same requests differ by the noise of
this machine at that moment, and a change smaller than that is reported as within the noise;
when they differ by more than 25 %, other work shared the cores and the lab draws no conclusion.
Each request generates exactly ``T`` tokens (``ignore_eos``, greedy). Prints the prompt tokens per
request (the server's own count, ``POST /tokenize``, mean of the first 8), output tokens/s and
the change. Every prompt token is computed once (prefill), in the same steps that decode the other
requests' next tokens: longer prompts take step time from decoding. Saves
``.workshop/bench/prompt_length.json``.

Exit status 1 with ``error: ... fix: ...`` when the server cannot be used (``workshop.run``).
Environment: ``VLLM_BASE_URL``, ``VLLM_API_KEY``, ``VLLM_MODEL`` as in every lab.
"""
from __future__ import annotations

import asyncio

import httpx

import workshop
from bench import conversations, save, shown
from why_vllm import vllm_server

#: Two runs of the same requests that differ by more than this share: the machine is busy, no verdict.
BUSY = 0.25
#: (concurrency, output tokens per request) of each profile.
PROFILES = {"quick": (16, 32), "full": (128, 64)}


def long_conversations(n: int, history: int) -> list[list[dict]]:
    """``conversations(n)`` with ``history`` lines of the customer's past orders before each
    question; the lines name the request's own order, so no two prompts share them."""
    convs = conversations(n)
    for i, conv in enumerate(convs):
        lines = [f"- ACME-{1040 + i}-{j:02d}: {j % 3 + 1} x {('rake', 'hose', 'shears', 'gloves')[j % 4]}, "
                 f"shipped on day {j + 1}, delivered to locker {(i * 31 + j * 7) % 97}" for j in range(history)]
        conv[-1] = {"role": "user", "content": "My past orders:\n" + "\n".join(lines) + "\n\n" + conv[-1]["content"]}
    return convs


def prompt_tokens(conv: list[dict], model: str) -> int:
    """The prompt tokens the server counts for one chat conversation (``POST /tokenize``)."""
    r = httpx.post(f"{workshop.server_root()}/tokenize", timeout=30,
                   headers={"Authorization": f"Bearer {workshop.api_key()}"},
                   json={"model": model, "messages": conv, "add_generation_prompt": True})
    r.raise_for_status()
    return r.json()["count"]


def change(short: list[float], long: float) -> str:
    """``long`` tokens/s against the mean of ``short``'s runs, in %; "within the noise" when it is
    smaller than the relative difference between ``short``'s runs (the same requests twice)."""
    mean = sum(short) / len(short)
    diff, noise = (long - mean) / mean, (max(short) - min(short)) / mean
    return f"{diff:+.0%}" + (f" (within the noise: the same requests twice differ by {noise:.0%})"
                             if abs(diff) <= noise else "")


def main() -> int:
    ap = workshop.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", choices=PROFILES, default="quick",
                    help="quick: 16 requests x 32 tokens (default); full: 128 x 64")
    ap.add_argument("--concurrency", type=int, help="requests sent at once (default: the profile's)")
    ap.add_argument("--history", type=int, default=4, help="order-history lines per long prompt (4)")
    args = ap.parse_args()
    c, max_tokens = PROFILES[args.profile]
    c = c if args.concurrency is None else args.concurrency
    if c < 1 or args.history < 1:
        raise workshop.WorkshopError("--concurrency and --history must be 1 or more.\n"
                                     "  fix: leave them out for the profile's concurrency and 4 lines")
    model = workshop.model()
    rows = []
    for label, convs in (("ACME's prompts", conversations(c)), ("long prompts", long_conversations(c, args.history)),
                         ("ACME's prompts", conversations(c))):
        with workshop.waiting(f"measuring {label}, {c} requests at once"):
            tokens, secs = asyncio.run(vllm_server(convs, max_tokens, c, model))
        rows.append({"prompts": label, "prompt_tokens": round(sum(prompt_tokens(x, model) for x in convs[:8]) / 8),
                     "output_tokens": tokens, "seconds": round(secs, 2), "tokens_per_s": round(tokens / secs, 1)})
    print(f"{'prompts':<16} {'prompt tokens':>13} {'output tokens':>13} {'seconds':>8} {'tokens/s':>9}")
    for r in rows:
        print(f"{r['prompts']:<16} {r['prompt_tokens']:>13} {r['output_tokens']:>13} {r['seconds']:>8.2f} "
              f"{r['tokens_per_s']:>9.1f}")
    short, long = [rows[0], rows[2]], rows[1]
    tps = [r["tokens_per_s"] for r in short]
    spread = (max(tps) - min(tps)) / (sum(tps) / len(tps))
    if spread > BUSY:
        verdict = "no conclusion"
        print(f"no conclusion: ACME's prompts ran twice and differed by {spread:.0%}, so other work "
              "shared the cores; run it again when the machine is idle (uptime shows the load)")
    else:
        verdict = change(tps, long["tokens_per_s"])
        print(f"{long['prompt_tokens'] / short[0]['prompt_tokens']:.1f}x the prompt tokens: {verdict} output "
              f"tokens/s at concurrency {c}")
    path = save("prompt_length", {"model": model, "concurrency": c, "max_tokens": max_tokens,
                                  "rows": rows, "change": verdict})
    print(f"saved: {shown(path)}")
    return 0


if __name__ == "__main__":
    workshop.run(main)
