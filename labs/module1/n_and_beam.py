"""Module 1 lab: several replies to one request: ``n``, and beam search (``use_beam_search``).

Run: ``python labs/module1/n_and_beam.py``

``n`` asks for several independent samples of the same prompt in one request: the reply has
``n`` choices (``index`` 0 to n-1) and ``usage.completion_tokens`` counts the tokens of all of
them. The prompt is processed once. With ``temperature`` above 0 the choices differ.

Beam search is not in the OpenAI API: vLLM takes it as an extra field, ``use_beam_search: true``
(``extra_body`` in the ``openai`` client), and then ``n`` is the beam width and the number of
beams returned, best first (``ChatCompletionRequest.to_beam_search_params`` in
``vllm/entrypoints/openai/chat_completion/protocol.py``, vLLM 0.32). It is deterministic and
costs several sequences per request, which makes it slow; offline, ``LLM.beam_search`` does the
same (Module 1, section 8). Prints the choices of each request; exits 1 if the server returns
another number of choices than asked.
"""

import workshop

QUESTION = [{"role": "user", "content": "Suggest a name for a garden shop."}]


def main() -> int:
    client = workshop.client()
    model = workshop.model(client)
    # --8<-- [start:n]
    sampled = client.chat.completions.create(
        model=model, messages=QUESTION, n=3, temperature=1.0, seed=1, max_tokens=12)
    for choice in sampled.choices:
        print(f"n=3      | choice {choice.index}: {choice.message.content!r}")
    print(f"n=3      | {len({c.message.content for c in sampled.choices})} different replies, "
          f"{sampled.usage.completion_tokens} completion tokens in all")
    # --8<-- [end:n]
    # --8<-- [start:beam]
    beams = client.chat.completions.create(
        model=model, messages=QUESTION, n=2, max_tokens=8,
        extra_body={"use_beam_search": True})  # vLLM's extra field: n is the beam width
    for choice in beams.choices:
        print(f"beam n=2 | beam {choice.index}: {choice.message.content!r}")
    # --8<-- [end:beam]
    if (len(sampled.choices), len(beams.choices)) != (3, 2):
        raise workshop.WorkshopError(
            f"asked for 3 sampled choices and 2 beams, got {len(sampled.choices)} and {len(beams.choices)}: "
            "this server does not honour n or use_beam_search as vLLM does.\n  fix: run the lab "
            "against a vLLM server (python scripts/server.py status shows the workshop's)")
    return 0


if __name__ == "__main__":
    workshop.run(main, arguments=False)
