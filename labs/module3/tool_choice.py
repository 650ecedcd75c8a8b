"""Module 3 lab: what each ``tool_choice`` guarantees, shown by four runs of the same question.

Run: ``python labs/module3/tool_choice.py``

Sends one customer question with ACME's two lookup tools (``get_order_status``,
``get_customer``, both ``"strict": true``) four times, at temperature 0:

- ``"auto"``: the model decides: a call or a text answer (the tiny CPU model usually answers in
  text; a larger model calls the tool);
- ``"required"``: at least one call, of a tool the model picks;
- ``{"type": "function", "function": {"name": "get_order_status"}}``: exactly that tool;
- ``"none"``: no call, a text answer.

Prints one line per choice: ``finish_reason`` and the calls or the first characters of the text.
``parallel_tool_calls=False`` keeps a forced call to one (without it the tiny model repeats the
same call until ``max_tokens``). Exits 1 when a choice breaks its guarantee (no call for
``required`` or a named function, a call for ``"none"``, another tool than the named one).
"""
import json

import workshop
from acme.tools import openai_tools, schema_errors

QUESTION = "Where is my order ACME-1042?"


def main() -> int:
    client = workshop.client()
    model = workshop.model(client)
    tools = openai_tools(["get_order_status", "get_customer"])
    broken = 0
    # --8<-- [start:choices]
    choices = {
        "auto": "auto",
        "required": "required",
        "named": {"type": "function", "function": {"name": "get_order_status"}},
        "none": "none",
    }
    for label, tool_choice in choices.items():
        response = client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": QUESTION}],
            tools=tools,
            tool_choice=tool_choice,
            parallel_tool_calls=False,
            temperature=0,
            max_tokens=100,
        )
        choice = response.choices[0]
        calls = choice.message.tool_calls or []
        shown = [f"{c.function.name}({c.function.arguments})" for c in calls] or \
            [f"text: {(choice.message.content or '')[:40]!r}..."]
        print(f"{label:8} | finish_reason={choice.finish_reason:10} | {'; '.join(shown)}")
        # --8<-- [end:choices]
        # --8<-- [start:guarantees]
        if label in ("required", "named") and not calls:
            print(f"  {label} must return a call")
            broken += 1
        if label == "named" and any(c.function.name != "get_order_status" for c in calls):
            print("  a named choice must call that tool")
            broken += 1
        if label == "none" and calls:
            print("  none must not return a call")
            broken += 1
        for c in calls:  # strict tools: the arguments always match the schema
            errors = schema_errors(c.function.name, json.loads(c.function.arguments))
            if errors:
                print(f"  {c.function.name}: arguments break the schema: {errors}")
                broken += 1
        # --8<-- [end:guarantees]
    if broken:
        raise workshop.WorkshopError(
            f"{broken} tool_choice guarantee(s) broken (the indented lines above).\n  fix: restart "
            "the workshop server: python scripts/server.py restart (the CPU profile has the tool "
            "flags); Module 3, section 3 says what each value guarantees")
    return 0


if __name__ == "__main__":
    workshop.run(main, arguments=False)
