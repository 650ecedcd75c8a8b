"""Module 5 lab: read vLLM's ``/metrics`` while it is under load, as an operator's dashboard does.

Run: ``python labs/module5/metrics_watch.py [--requests N] [--max-tokens T]``  (the defaults,
24 x 48; see the page for the times measured and the load they were measured under)

Sends ``N`` ACME questions at once and, while they run, samples ``GET /metrics`` (Prometheus text, parsed with
``prometheus_client``'s own parser) every ``--every`` seconds, printing one row per sample:
``vllm:num_requests_running``, ``vllm:num_requests_waiting`` and ``vllm:kv_cache_usage_perc`` (a
fraction 0..1, shown in %). Then, from the difference between the metrics before and after the
load (the counters and histograms only grow), it prints requests and generated tokens, the mean
and estimated p50/p95 of ``vllm:time_to_first_token_seconds`` and
``vllm:inter_token_latency_seconds`` (ms; the percentiles interpolate in the histogram's buckets,
as Prometheus' ``histogram_quantile`` does) and the prefix-cache hit rate
(``vllm:prefix_cache_hits`` / ``vllm:prefix_cache_queries``, in tokens).

The questions share a prefix, ACME's system prompt followed by its six FAQ pages (about 780
tokens), sent once before the load as a warm-up. vLLM's prefix cache keeps whole KV blocks
(``block_size`` in ``vllm:cache_config_info``: 128 tokens here), so a shared part shorter than one
block, such as the system prompt alone (39 tokens), is never reused. The last line checks the
claim: every question found at least one cached block (hits >= questions x block size).

Metric names are those of the installed vLLM (``vllm/v1/metrics/loggers.py``). Exit status 1
with ``error: ... fix: ...`` when the server cannot be used, or ``/metrics`` is missing.
"""
from __future__ import annotations

import argparse
import asyncio
import time

import httpx
from prometheus_client.parser import text_string_to_metric_families

import workshop
from acme import faq_documents
from bench import SYSTEM, conversations


def shared_prefix() -> str:
    """ACME's system prompt and its six FAQ pages: the prefix every question of the load shares,
    longer than one KV block (a shorter one is never found in the prefix cache)."""
    pages = "\n\n".join(f"# {d['title']}\n{d['text']}" for d in faq_documents())
    return f"{SYSTEM}\n\nACME's FAQ, for your answers:\n\n{pages}"


def questions(n: int) -> list[list[dict]]:
    """``n`` conversations: the shared prefix as the system message, then one ACME question."""
    prefix = shared_prefix()
    return [[{"role": "system", "content": prefix}, conv[1]] for conv in conversations(n)]


def block_size(metrics: dict) -> int:
    """The server's KV block size (``vllm:cache_config_info``), 16 when it does not say."""
    for s in metrics.get("vllm:cache_config_info", []):
        if s.labels.get("block_size", "").isdigit():
            return int(s.labels["block_size"])
    return 16


# --8<-- [start:parse]
async def scrape(http: httpx.AsyncClient, root: str | None = None) -> dict[str, list]:
    """``{metric family name: [samples]}`` from ``/metrics``, served at the server's root (next
    to ``/v1``, not under it; ``root`` defaults to the workshop server's). Raises
    ``WorkshopError`` when it is not there."""
    root = root or workshop.server_root()
    r = await http.get(f"{root}/metrics")
    if r.status_code != 200:
        raise workshop.WorkshopError(f"{root}/metrics answered HTTP {r.status_code}."
                                     "\n  fix: check that VLLM_BASE_URL points at a vLLM server")
    return {family.name: family.samples for family in text_string_to_metric_families(r.text)}


def value(metrics: dict, name: str, sample: str | None = None) -> float:
    """The sum over label sets of ``name`` (or of its ``sample``, e.g. ``..._sum``)."""
    return sum(s.value for s in metrics.get(name, []) if s.name == (sample or name))


def buckets(metrics: dict, name: str) -> list[tuple[float, float]]:
    """A histogram's cumulative ``(upper bound, count)`` pairs, summed over label sets."""
    counts: dict[float, float] = {}
    for s in metrics.get(name, []):
        if s.name == name + "_bucket":
            bound = float(s.labels["le"])
            counts[bound] = counts.get(bound, 0.0) + s.value
    return sorted(counts.items())


def quantile(q: float, before: list, after: list) -> float | None:
    """The ``q`` quantile of the observations between two scrapes of one histogram, by linear
    interpolation inside the bucket it falls in (Prometheus' ``histogram_quantile``)."""
    earlier = dict(before)
    delta = [(bound, count - earlier.get(bound, 0.0)) for bound, count in after]
    if not delta or delta[-1][1] <= 0:
        return None
    rank, lower, below = q * delta[-1][1], 0.0, 0.0
    for bound, count in delta:
        if count >= rank:
            if bound == float("inf"):
                return lower
            return lower + (bound - lower) * (rank - below) / max(count - below, 1e-12)
        lower, below = bound, count
    return lower
# --8<-- [end:parse]


async def main_async(n: int, max_tokens: int, every: float) -> int:
    model = workshop.model()
    client = workshop.async_client()

    async def ask(conv):
        await client.chat.completions.create(model=model, messages=conv, max_tokens=max_tokens,
                                             temperature=0, extra_body={"ignore_eos": True})

    async with httpx.AsyncClient(timeout=10) as http:
        await ask(questions(1)[0])      # warm-up: the shared prefix's full blocks are now cached
        before = await scrape(http)

        # --8<-- [start:load]
        load = asyncio.gather(*(ask(conv) for conv in questions(n)))
        start = time.perf_counter()
        print(f"{'time s':>6} {'running':>8} {'waiting':>8} {'KV cache':>9}")
        while not load.done():
            m = await scrape(http)
            print(f"{time.perf_counter() - start:>6.1f} {value(m, 'vllm:num_requests_running'):>8.0f} "
                  f"{value(m, 'vllm:num_requests_waiting'):>8.0f} "
                  f"{100 * value(m, 'vllm:kv_cache_usage_perc'):>8.1f}%")
            await asyncio.wait([load], timeout=every)
        await load
        # --8<-- [end:load]
        after = await scrape(http)
    await client.close()

    def delta(name, sample=None):
        return value(after, name, sample) - value(before, name, sample)

    print(f"requests: {delta('vllm:request_success', 'vllm:request_success_total'):.0f}, "
          f"generated tokens: {delta('vllm:generation_tokens', 'vllm:generation_tokens_total'):.0f}")
    for label, name in (("TTFT", "vllm:time_to_first_token_seconds"),
                        ("ITL", "vllm:inter_token_latency_seconds")):
        count = delta(name, name + "_count")
        mean = delta(name, name + "_sum") / count if count else float("nan")
        p50, p95 = (quantile(q, buckets(before, name), buckets(after, name)) for q in (0.5, 0.95))
        print(f"{label:<4} mean {1000 * mean:7.1f} ms   p50 ~{1000 * (p50 or 0):7.1f} ms   "
              f"p95 ~{1000 * (p95 or 0):7.1f} ms   ({count:.0f} observations)")
    queries = delta("vllm:prefix_cache_queries", "vllm:prefix_cache_queries_total")
    hits = delta("vllm:prefix_cache_hits", "vllm:prefix_cache_hits_total")
    print(f"prefix cache: {hits:.0f} of {queries:.0f} prompt tokens found cached "
          f"({100 * hits / queries if queries else 0:.0f}%)")
    block = block_size(after)
    reused = hits >= n * block
    print(f"every question reused the cached shared prefix (at least one {block}-token block each): "
          + ("yes" if reused else "no: is prefix caching off (--no-enable-prefix-caching)?"))
    return 0


def main() -> int:
    ap = workshop.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=24)
    ap.add_argument("--max-tokens", type=int, default=48)
    ap.add_argument("--every", type=float, default=1.0, help="seconds between samples")
    args = ap.parse_args()
    return asyncio.run(main_async(args.requests, args.max_tokens, args.every))


if __name__ == "__main__":
    workshop.run(main)
