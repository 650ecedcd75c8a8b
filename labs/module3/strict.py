"""Module 3 lab: what ``"strict": true`` changes: the same call, with and without it.

Run: ``python labs/module3/strict.py``

Asks for a named call of ``get_customer`` twice at temperature 0: once with the tool marked
``"strict": false``, once ``"strict": true``. vLLM 0.32 holds a call's arguments to the tool's
JSON Schema only for a strict tool (or on a server started with ``--tool-strict-level
parameter``): ``resolve_tool_strictness`` and ``get_function_parameters`` in
``vllm/tool_parsers/structural_tag_registry.py`` leave a non-strict tool's arguments free (any
JSON). The forced envelope still makes it a ``get_customer`` call, but the arguments are
whatever the model writes. (With a parser that has no structural tag, such as ``xlam``, vLLM
uses its generic JSON schema for forced calls, strict or not.)

Prints, for each run, the arguments and what ``jsonschema`` says about them. Exits 1 when the
strict call's arguments break the schema; the non-strict result is shown, not asserted, since a
model may by chance write valid arguments.
"""
import json

import workshop
from acme.tools import openai_tools, schema_errors

QUESTION = "Is jane@example.com one of our customers?"


def main() -> int:
    client = workshop.client()
    model = workshop.model(client)
    results = {}
    # --8<-- [start:compare]
    for strict in (False, True):
        response = client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": QUESTION}],
            tools=openai_tools(["get_customer"], strict=strict),
            tool_choice={"type": "function", "function": {"name": "get_customer"}},
            temperature=0,
            max_tokens=100,
        )
        calls = response.choices[0].message.tool_calls or []
        arguments = calls[0].function.arguments if calls else None
        try:
            errors = schema_errors("get_customer", json.loads(arguments))
        except (TypeError, ValueError):
            errors = [f"not JSON (finish_reason={response.choices[0].finish_reason})"]
        results[strict] = errors
        verdict = "valid" if not errors else "INVALID: " + "; ".join(errors)[:70]
        print(f"strict={str(strict):5} | arguments: {arguments} | {verdict}")
    # --8<-- [end:compare]
    if results[True]:
        raise workshop.WorkshopError(
            f"strict=True arguments break the schema: {'; '.join(results[True])}; a strict tool's "
            "arguments are constrained to it.\n  fix: restart the workshop server: python "
            "scripts/server.py restart (the CPU profile); Module 3, section 4")
    return 0


if __name__ == "__main__":
    workshop.run(main, arguments=False)
