"""Module 3 lab: the first forced tool call pays for compiling its grammar; later ones do not.

Run: ``python labs/module3/grammar_latency.py``

A forced call (``tool_choice="required"`` or a named function) is decoded under a grammar made
from the tools' schemas. vLLM compiles that grammar (xgrammar) on the first request that needs
it and caches it (``vllm/v1/structured_output/``), so the first request with a new set of tools
is slower than the next ones with the same tools. The lab makes its tool set new on every run
(a random word in one description, which is part of the cached key), sends the same named call
three times, and prints each request's latency in milliseconds and the first one's extra time.
The figures are yours: on a GPU the decode is faster and the compile is a larger share.
Exits 1 if a request returns no call.
"""
import secrets
import statistics
import time

import workshop
from acme.tools import openai_tools


def main() -> int:
    client = workshop.client()
    model = workshop.model(client)
    # --8<-- [start:measure]
    tools = openai_tools(["get_order_status"])
    parameters = tools[0]["function"]["parameters"]
    parameters["properties"]["order_id"]["description"] += f" (run {secrets.token_hex(4)})"
    latencies_ms = []
    for _ in range(3):
        start = time.perf_counter()
        response = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Where is order ACME-1042?"}],
            tools=tools, tool_choice={"type": "function", "function": {"name": "get_order_status"}},
            temperature=0, max_tokens=80)
        latencies_ms.append((time.perf_counter() - start) * 1000)
        if not response.choices[0].message.tool_calls:
            print("no tool call came back")
            return 1
    later = statistics.median(latencies_ms[1:])
    print("latency per request:", ", ".join(f"{ms:.0f} ms" for ms in latencies_ms))
    print(f"first request: {latencies_ms[0] - later:+.0f} ms against the later ones "
          "(grammar compiled once, then cached)")
    # --8<-- [end:measure]
    return 0


if __name__ == "__main__":
    workshop.run(main, arguments=False)
