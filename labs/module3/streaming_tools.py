"""Module 3 lab: tool calls in a stream: fragments by ``index``, assembled into whole calls.

Run: ``python labs/module3/streaming_tools.py``

With ``stream=True`` a call arrives in pieces, in ``choices[0].delta.tool_calls``: each piece has
the ``index`` of the call it belongs to; the first piece of a call carries its ``id`` and
``function.name``, later pieces add to ``function.arguments`` (a string, concatenated). The lab
prints every piece, the assembled calls and the ``finish_reason``, then sends the same request
without streaming (temperature 0) and checks that both give the same calls (names, and
arguments compared as JSON). Exits 1 if they
differ or no call came.
"""
import json

import workshop
from acme.tools import openai_tools

REQUEST = {
    "messages": [{"role": "user", "content": "Where is my order ACME-1042?"}],
    "tools": openai_tools(["get_order_status", "get_customer"]),
    "tool_choice": "required",
    "parallel_tool_calls": False,
    "temperature": 0,
    "max_tokens": 100,
}


def main() -> int:
    client = workshop.client()
    model = workshop.model(client)
    # --8<-- [start:accumulate]
    calls: dict[int, dict] = {}  # index -> {"id", "name", "arguments"}
    finish_reason = None
    for chunk in client.chat.completions.create(model=model, stream=True, **REQUEST):
        if not chunk.choices:
            continue
        choice = chunk.choices[0]
        for piece in choice.delta.tool_calls or []:
            print(f"piece: index={piece.index} id={piece.id} "
                  f"name={piece.function.name} arguments={piece.function.arguments!r}")
            call = calls.setdefault(piece.index, {"id": None, "name": "", "arguments": ""})
            call["id"] = call["id"] or piece.id
            call["name"] += piece.function.name or ""
            call["arguments"] += piece.function.arguments or ""
        finish_reason = choice.finish_reason or finish_reason
    streamed = [(c["name"], c["arguments"]) for _, c in sorted(calls.items())]
    print(f"assembled: {streamed} | finish_reason: {finish_reason}")
    # --8<-- [end:accumulate]
    # --8<-- [start:compare]
    response = client.chat.completions.create(model=model, **REQUEST)
    whole = [(c.function.name, c.function.arguments)
             for c in response.choices[0].message.tool_calls or []]
    print(f"without streaming: {whole} | finish_reason: {response.choices[0].finish_reason}")
    same = [(n, json.loads(a)) for n, a in streamed] == [(n, json.loads(a)) for n, a in whole]
    print(f"same calls: {same}")  # compared as JSON: some parsers space the pieces differently
    # --8<-- [end:compare]
    if not streamed:
        raise workshop.WorkshopError("the stream carried no tool-call pieces.\n  fix: restart the workshop "
                                     "server: python scripts/server.py restart (the CPU profile has "
                                     "the tool flags)")
    if not same:
        raise workshop.WorkshopError(
            "the calls assembled from the stream differ from those without streaming (above): the "
            "server's tool parser streams them wrongly.\n  fix: restart the workshop server: python "
            "scripts/server.py restart (the CPU profile); Module 3, section 7 'Streaming tool calls'")
    return 0


if __name__ == "__main__":
    workshop.run(main, arguments=False)
