"""Module 2 lab: the constraints a request cannot carry, and what the refusal says.

Run: ``python labs/module2/bad_constraints.py``

Sends one request for each entry of ``BROKEN`` (the value is the request's ``structured_outputs``):

- a JSON Schema with a type that does not exist, a regex with an unclosed ``[`` and a GBNF grammar
  with an unclosed ``(``: the grammar engine cannot compile them;
- a regex with a look-ahead ``(?=...)`` and one with a back-reference ``\\1``: the grammar engines
  support neither (with the default backend ``auto``, xgrammar refuses the regex and so does
  guidance, the fallback: ``SamplingParams._validate_structured_outputs`` in ``vllm/sampling_params.py``);
- two kinds of constraint in one request. ``json`` with ``regex`` is refused by
  ``ChatCompletionRequest.check_structured_outputs_count``
  (``vllm/entrypoints/openai/chat_completion/protocol.py``, which counts only ``json``, ``regex``
  and ``choice``); ``json`` with ``grammar`` by ``StructuredOutputsParams.__post_init__``
  (``vllm/sampling_params.py``), with other wording.

vLLM checks the constraint before generating anything and answers HTTP 400 with the message of
the check that failed; the ``openai`` client raises ``openai.BadRequestError``. For each case the
lab prints ``<case>: HTTP <status>`` and the server's message (the error body's ``message``),
indented. Then it passes ``structured_outputs=`` as a keyword argument instead of in
``extra_body``: the ``openai`` client has no such parameter and raises ``TypeError`` before
sending anything; the lab prints ``structured_outputs= keyword: TypeError: <message>``.

Exits 1 if a case is accepted, or refused without the words ``MUST_NAME`` gives for it (vLLM
0.32.0, xgrammar 0.2.8, llguidance 1.7.6), or if the client accepts the keyword.
"""
import openai

import workshop

# --8<-- [start:broken]
BROKEN = {
    "json": {"json": {"type": "objekt"}},                 # no such JSON Schema type
    "regex": {"regex": "ACME-[A-Z{4}"},                   # the [ is never closed
    "look-ahead": {"regex": "ACME-(?=[A-Z]{4})[A-Z]{4}"}, # a look-around
    "back-reference": {"regex": r"([A-Z])\1-[0-9]{4}"},   # \1 repeats group 1
    "grammar": {"grammar": "root ::= (("},                # GBNF with an unclosed group
    "json + regex": {"json": {"type": "object"}, "regex": "ACME-[0-9]{4}"},  # two at once
    "json + grammar": {"json": {"type": "object"}, "grammar": 'root ::= "ACME"'},
}
# --8<-- [end:broken]

#: Words the server's message must contain for each case: it names what failed.
MUST_NAME = {
    "json": "Invalid type",
    "regex": "unclosed character class",
    "look-ahead": "look-around, including look-ahead and look-behind, is not supported",
    "back-reference": "backreferences are not supported",
    "grammar": "Expected ')'",
    "json + regex": "You can only use one kind of constraints for structured outputs",
    "json + grammar": "You can only use one kind of structured outputs constraint",
}


def main() -> int:
    client = workshop.client()
    model = workshop.model(client)
    failures = 0
    for case, structured_outputs in BROKEN.items():
        # --8<-- [start:request]
        try:
            client.chat.completions.create(
                model=model,
                messages=[{"role": "user", "content": "Create a ticket."}],
                max_tokens=20,
                extra_body={"structured_outputs": structured_outputs},
            )
        except openai.BadRequestError as err:
            detail = err.body["message"] if isinstance(err.body, dict) else err.message
            print(f"{case}: HTTP {err.status_code}")
            print("  " + detail.replace("\n", "\n  "))
        # --8<-- [end:request]
            if MUST_NAME[case] not in detail:
                failures += 1
                print(f"  (expected the message to name: {MUST_NAME[case]})")
        else:
            failures += 1
            print(f"{case}: accepted, the server did not refuse this constraint")

    # --8<-- [start:keyword]
    try:
        client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": "Create a ticket ID."}],
            max_tokens=20,
            structured_outputs={"regex": "ACME-[0-9]{4}"},  # belongs in extra_body
        )
    except TypeError as err:
        print(f"structured_outputs= keyword: TypeError: {err}")
    # --8<-- [end:keyword]
        failures += "structured_outputs" not in str(err)
    else:
        failures += 1
        print("structured_outputs= keyword: accepted by the openai client")
    if failures:
        raise workshop.WorkshopError(
            f"{failures} of the {len(BROKEN) + 1} broken constraints were not refused as the page shows "
            "(the lines above say which).\n  fix: restart the workshop server (python scripts/server.py restart, the CPU profile); Module 2, section 8 "
            "'What goes wrong' shows each refusal")
    return 0


if __name__ == "__main__":
    workshop.run(main, arguments=False)
