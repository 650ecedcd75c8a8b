"""Does the adapter write in ACME's house style? Count it on questions it never saw.

Run from the repository root against a server that serves the adapter (docs/en/module6.md, section 3, shows how to
start one)::

    python labs/module6/measure_style.py                    # base model vs acme-tone
    python labs/module6/measure_style.py --adapter my-tone  # another adapter's served name

It sends each held-out question of ``house_style.py`` (22, none in the training set) twice, once
with ``model=`` the base model and once with ``model=`` the adapter's served name, at temperature
0 with ``max_tokens`` 120 (a house-style reply is about 40 tokens), all at once (vLLM batches
them, base and adapter requests together). It prints, per model, how many replies follow the
house style (``house_style.follows_house_style``: opens with ``Hi there,``, closes with
``— ACME Support``), a verdict (:func:`verdict`: the adapter learned the style only when it
follows it in at least 3 of 4 replies and the base model in at most 1 of 10; a gap of 2 replies
or fewer is no difference) and one reply each; it writes the counts to
``.workshop/adapters/measure_style.json``. It exits 0 whatever the count: it measures, the
verdict says what the count means.

Server: ``$VLLM_BASE_URL`` (default ``http://localhost:8000/v1``), ``$VLLM_API_KEY``; the base
model is ``$VLLM_MODEL`` or the server's first model (``workshop.model()``), the adapter the
served name given to ``--lora-modules NAME=PATH``, which ``/v1/models`` lists beside the base.

Errors (one ``error:`` line and its ``fix:``, exit status 1): no server, a URL without ``/v1``,
a refused key, an unknown ``$VLLM_MODEL`` (from ``workshop``), and a server that does not serve
the adapter.
"""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import workshop
from workshop import WorkshopError

import house_style

MAX_TOKENS = 120
OUT = Path(__file__).resolve().parents[2] / ".workshop" / "adapters" / "measure_style.json"
ADAPTER_HINT = ("python scripts/server.py start --name adapters -- bash labs/serve/serve_cpu.sh "
                "--enable-lora --lora-modules acme-tone=.workshop/adapters/acme-tone --max-lora-rank 8 "
                "(with VLLM_PORT set to a free port), then export VLLM_BASE_URL to it")


def require_adapter(served: list[str], adapter: str) -> None:
    """Raise :class:`WorkshopError` when ``adapter`` is not among the ``served`` model names."""
    if adapter not in served:
        raise WorkshopError(f"the server at {workshop.base_url()} does not serve the adapter "
                            f"{adapter!r}; it serves: {', '.join(served)}.\n  fix: {ADAPTER_HINT}")


# --8<-- [start:measure]
async def replies(models: list[str], questions: list[str], max_tokens: int = MAX_TOKENS,
                  temperature: float = 0.0) -> list[tuple[str, str, int]]:
    """Ask every question of every model at once; ``(model, reply text, completion tokens)``
    for each request, in order (models outer, questions inner)."""
    client = workshop.async_client()

    async def ask(model: str, question: str) -> tuple[str, str, int]:
        r = await client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": question}],
            temperature=temperature, max_tokens=max_tokens)
        return model, r.choices[0].message.content or "", r.usage.completion_tokens

    try:
        return await asyncio.gather(*(ask(m, q) for m in models for q in questions))
    finally:
        await client.close()
# --8<-- [end:measure]


def verdict(adapter: int, base: int, n: int) -> str:
    """What ``adapter`` and ``base`` replies in house style out of ``n`` each mean."""
    if adapter >= 0.75 * n and base <= 0.1 * n:
        return "the adapter writes in the house style; the base model does not"
    if adapter - base <= 2:
        return ("no difference beyond two replies: the adapter did not learn the style "
                "(train longer: python labs/module6/train_adapter.py --profile full)")
    return f"the adapter follows the style more often than the base model, but not reliably"


def main() -> int:
    ap = workshop.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--adapter", default="acme-tone",
                    help="the adapter's served name (default acme-tone)")
    args = ap.parse_args()

    client = workshop.client()
    base = workshop.model(client)
    require_adapter(workshop.served_models(client), args.adapter)
    questions = house_style.held_out()
    results = asyncio.run(replies([base, args.adapter], questions))

    print(f"{len(questions)} held-out questions, temperature 0, max_tokens {MAX_TOKENS}\n")
    print(f"{'model':<24} {'house style':>11}")
    counts = {}
    for model in (base, args.adapter):
        texts = [text for m, text, _ in results if m == model]
        counts[model] = sum(house_style.follows_house_style(t) for t in texts)
        print(f"{model:<24} {counts[model]:>5} of {len(texts)}")
    print(f"verdict: {verdict(counts[args.adapter], counts[base], len(questions))}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"questions": len(questions), "base": base, "adapter": args.adapter,
                               "in_house_style": counts}, indent=2) + "\n")
    for model in (base, args.adapter):
        first = next(text for m, text, _ in results if m == model)
        print(f"\n{model} on {questions[0]!r}:\n{first.strip()}")
    return 0


if __name__ == "__main__":
    workshop.run(main)
