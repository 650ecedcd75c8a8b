"""Module 3 lab: the full round trip: the model asks, ACME's database answers, the model replies.

Run: ``python labs/module3/round_trip.py``  (uses ACME's database, ``.workshop/acme/acme.db``,
created on first use; ``$ACME_DB`` points elsewhere)

Each question goes through the loop every tool-calling client has:

1. send the question with the tools; the model proposes calls (``message.tool_calls``);
2. for each call: validate the arguments against the tool's JSON Schema, run the real function
   against SQLite with the arguments as keywords, and answer with a ``tool`` message carrying the
   call's ``tool_call_id``; a bad call (unknown tool, arguments that break the schema, a tool
   that refuses or fails) is answered with ``{"error": ...}`` too, so the loop never crashes;
3. send everything back; the model writes the answer, or proposes more calls (at most
   ``MAX_STEPS`` rounds).

Two questions: an order lookup (``tool_choice="required"``: the model picks the tool) and a
request to open a ticket (a named choice: ``create_ticket``, a write). Prints every step. Ends
with ``error: ... fix: ...`` and exit status 1 when the database did not change exactly as the
tools reported: one new ticket row with the values the tool returned if ``create_ticket``
succeeded, no change at all if it was refused (another program writing to it meanwhile).
"""
import json

import workshop
from acme.db import connect, db_path, fingerprint
from acme.tools import ToolError, call, openai_tools, tool_message

MAX_STEPS = 3
#: Tokens for each reply after the first: two sentences, or one more call (create_ticket's is about
#: 90). At temperature 0 the tiny model repeats a sentence until the limit (seen: the ticket answer
#: looped for 256 tokens, 37 s of waiting at load average 5).
ANSWER_TOKENS = 128
SYSTEM = ("You are ACME Corp's support assistant. Use the tools to look things up; never "
          "invent order details. Answer in at most two sentences.")


# --8<-- [start:run]
def run_tool_calls(tool_calls) -> list[dict]:
    """Run each proposed call; one ``tool`` message per call, in order, errors included."""
    messages = []
    for tool_call in tool_calls:
        name, arguments = tool_call.function.name, tool_call.function.arguments
        try:
            result = call(name, arguments)  # validates, then runs name(**arguments)
            print(f"  tool   {name}({arguments}) -> {json.dumps(result)[:90]}...")
        except ToolError as err:
            result = err
            print(f"  tool   {name}({arguments}) -> error: {err}")
        messages.append(tool_message(tool_call.id, result))
    return messages
# --8<-- [end:run]


# --8<-- [start:loop]
def converse(client, model, question: str, tools: list[dict], first_choice) -> str:
    """Ask ``question``; run the tool calls the model proposes; return its final answer."""
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]
    print(f"user     {question}")
    for step in range(MAX_STEPS):
        response = client.chat.completions.create(
            model=model, messages=messages, tools=tools,
            tool_choice=first_choice if step == 0 else "auto",
            parallel_tool_calls=False, temperature=0,
            max_tokens=256 if step == 0 else ANSWER_TOKENS)  # a call; then an answer, or a call
        message = response.choices[0].message
        if not message.tool_calls:
            print(f"  answer {message.content}")
            return message.content or ""
        print(f"  model  proposes {len(message.tool_calls)} call(s)")
        messages.append(message.model_dump(include={"role", "content", "tool_calls"}))
        messages += run_tool_calls(message.tool_calls)
    return "(no answer after the tool calls: MAX_STEPS reached)"
# --8<-- [end:loop]


def tickets() -> list[dict]:
    """Every ticket row, as dicts."""
    with connect() as conn:
        return [dict(row) for row in conn.execute("SELECT * FROM tickets ORDER BY ticket_id")]


def main() -> int:
    client = workshop.client()
    model = workshop.model(client)
    # --8<-- [start:questions]
    converse(client, model, "Where is my order ACME-1042?",
             openai_tools(["get_order_status", "get_customer"]), "required")
    before, print_before = tickets(), fingerprint()
    converse(client, model,
             "I am jane@example.com. The rake from order ACME-1042 arrived with a broken "
             "handle. Please open a ticket for a human to follow up.",
             openai_tools(["create_ticket"]),
             {"type": "function", "function": {"name": "create_ticket"}})
    # --8<-- [end:questions]
    after = tickets()
    new = [t for t in after if t not in before]
    print(f"tickets before: {len(before)}, after: {len(after)}")
    if new:
        print(f"new ticket {new[0]['ticket_id']}: {new[0]['customer_email']} | "
              f"{new[0]['category']} | {new[0]['priority']} | {new[0]['order_id']}")
        if len(new) == 1 and len(after) == len(before) + 1:
            return 0
        raise workshop.WorkshopError(
            f"the tool created one ticket, but the database has {len(after) - len(before)} more "
            f"rows in tickets: another program wrote to {db_path()} while this lab ran (a second "
            "terminal, the chat app, a test run).\n  fix: run the lab again while nothing else "
            "uses the database, or give it one of its own: ACME_DB=/tmp/acme.db python "
            "labs/module3/round_trip.py")
    unchanged = fingerprint() == print_before
    print(f"no ticket created: the tool refused the call, and the database is "
          f"{'unchanged' if unchanged else 'CHANGED'}")
    if not unchanged:
        raise workshop.WorkshopError(
            f"the tool refused the call, yet {db_path()} changed while this lab ran: another "
            "program wrote to it.\n  fix: run the lab again while nothing else uses the "
            "database, or give it one of its own: ACME_DB=/tmp/acme.db python labs/module3/round_trip.py")
    return 0


if __name__ == "__main__":
    workshop.run(main, arguments=False)
