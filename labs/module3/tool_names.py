"""Module 3 lab: which names a tool may have, and why to keep to ``^[a-zA-Z0-9_-]{1,64}$``.

Run: ``python labs/module3/tool_names.py``

OpenAI's API accepts a function name only if it matches ``^[a-zA-Z0-9_-]{1,64}$`` (letters,
digits, ``_`` and ``-``, at most 64), and rejects the request otherwise. vLLM 0.32 does not check
the name at all: the lab sends a tool named ``get order status`` and gets a call to it back. The
rule still matters, because the name travels as text: the chat template writes it into the
prompt, the model writes it back, and the server's tool parser must read it. The ``pythonic``
format (Llama 3.2, ToolACE) writes a call as a Python expression, so a name must also be a Python
identifier: with a ``-`` the call reads as a subtraction, with a space it does not parse. ACME's
tools use ``snake_case``, which every format and every API accepts. Prints one line per check;
exits 1 if one of ACME's names breaks the rule.
"""
import ast
import re

import workshop
from acme.tools import openai_tools

# --8<-- [start:rule]
NAME_RULE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")  # OpenAI's rule for a function's name
# --8<-- [end:rule]


def main() -> int:
    client = workshop.client()
    model = workshop.model(client)
    # --8<-- [start:check]
    names = [tool["function"]["name"] for tool in openai_tools()]
    bad = [name for name in names if not NAME_RULE.match(name) or not name.isidentifier()]
    print(f"ACME's {len(names)} tool names: {', '.join(names)} | outside the rule: {bad or 'none'}")

    spaced = {"type": "function", "function": {
        "name": "get order status", "description": "Look up an ACME order.",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}},
                       "required": ["order_id"]}}}
    reply = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Where is order ACME-1042?"}],
        tools=[spaced], tool_choice="required", parallel_tool_calls=False, max_tokens=60,
        temperature=0)
    calls = reply.choices[0].message.tool_calls or []
    print("vLLM, a tool named 'get order status': HTTP 200, call to",
          repr(calls[0].function.name) if calls else "none", "(vLLM does not check names)")

    for text in ('[get_order_status(order_id="ACME-1042")]',   # how pythonic models write calls
                 '[get-order-status(order_id="ACME-1042")]',
                 '[get order status(order_id="ACME-1042")]'):
        try:
            node = ast.parse(text, mode="eval").body.elts[0]
            found = f"a call to {node.func.id!r}" if isinstance(node, ast.Call) else \
                f"not a call: {type(node).__name__} (a subtraction)"
        except SyntaxError:
            found = "not Python: SyntaxError"
        print(f"pythonic format, {text:42} -> {found}")
    # --8<-- [end:check]
    if bad:
        raise workshop.WorkshopError(
            f"ACME tool names outside the rule: {bad}.\n  fix: rename them in labs/acme/tools.py to at "
            "most 64 letters, digits and underscores, a Python identifier (git diff labs/acme/tools.py "
            "shows what changed)")
    return 0


if __name__ == "__main__":
    workshop.run(main, arguments=False)
