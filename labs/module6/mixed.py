"""One server, many models: send requests for the base model and every adapter at the same time.

Run from the repository root against a server started with two adapters (docs/en/module6.md, section 3)::

    python labs/module6/mixed.py                   # 8 requests per served model
    python labs/module6/mixed.py --per-model 16

It reads the served models from ``/v1/models`` (the base model and each ``--lora-modules`` name),
fires ``--per-model`` requests for each of them together (held-out questions of
``house_style.py``, temperature 0, ``max_tokens`` 64), and prints per model: requests answered,
replies in ACME's house style and in the terse style, completion tokens; then the wall time and the
total completion tokens per second of the whole mixed batch. A model that never answers is an
error, not a row.

vLLM puts requests for different adapters into one batch; how many adapters one batch may hold is
``--max-loras`` (default 1, ``vllm/config/lora.py``): with the default, requests for a second
adapter wait for the first adapter's batch. Start the server with ``--max-loras 2`` for two.

Server: ``$VLLM_BASE_URL``, ``$VLLM_API_KEY``, ``$VLLM_MODEL`` as every lab (``labs/workshop.py``).
Errors (one ``error:`` line and its ``fix:``, exit status 1): no server, a URL without ``/v1``, a
refused key, an unknown ``$VLLM_MODEL``, a server that serves no adapter.
"""
from __future__ import annotations

import argparse
import asyncio
import time

import workshop
from workshop import WorkshopError

import house_style
from measure_style import ADAPTER_HINT, replies

MAX_TOKENS = 64


def positive(value: str) -> int:
    """``--per-model``: an integer from 1 to 64."""
    n = int(value)
    if not 1 <= n <= 64:
        raise argparse.ArgumentTypeError(f"{value}: choose 1 to 64")
    return n


def table(results: list[tuple[str, str, int]], models: list[str], seconds: float) -> str:
    """The per-model rows and the total line for ``results`` ``(model, text, tokens)``."""
    lines = [f"{'model':<24} {'answered':>8} {'house':>5} {'terse':>5} {'tokens':>6}"]
    for model in models:
        mine = [(text, tokens) for m, text, tokens in results if m == model]
        lines.append(f"{model:<24} {sum(1 for t, _ in mine if t.strip()):>8} "
                     f"{sum(house_style.follows_house_style(t) for t, _ in mine):>5} "
                     f"{sum(house_style.follows_terse_style(t) for t, _ in mine):>5} "
                     f"{sum(n for _, n in mine):>6}")
    total = sum(n for _, _, n in results)
    lines.append(f"\n{len(results)} requests in {seconds:.1f} s: {total} completion tokens, "
                 f"{total / seconds:.1f} tokens/s")
    return "\n".join(lines)


def main() -> int:
    ap = workshop.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-model", type=positive, default=8, help="requests per served model (default 8)")
    args = ap.parse_args()

    client = workshop.client()
    base = workshop.model(client)
    models = workshop.served_models(client)
    models = [base] + [m for m in models if m != base]
    if len(models) < 2:
        raise WorkshopError(f"the server at {workshop.base_url()} serves no adapter, only {base}.\n"
                            f"  fix: {ADAPTER_HINT}")
    questions = (house_style.held_out() * 4)[:args.per_model]
    t0 = time.monotonic()
    results = asyncio.run(replies(models, questions, max_tokens=MAX_TOKENS))
    print(table(results, models, time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    workshop.run(main)
