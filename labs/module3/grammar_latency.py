"""Module 3 lab: the first forced tool call pays for compiling its grammar; later ones do not.

Run: ``python labs/module3/grammar_latency.py``

A forced call (``tool_choice="required"`` or a named function) is decoded under a grammar made
from the tools' schemas. vLLM compiles that grammar (xgrammar) on the first request that needs
it and caches it (``vllm/v1/structured_output/``), so the first request with a new set of tools
is slower than the next ones with the same tools. The lab makes its tool set new on every run
(a random word in one description, which is part of the cached key), sends the same named call
five times, and prints each request's latency in milliseconds as it comes (a request took 4 to
21 s on the busy workshop machine: five in a row are no silent wait), then all five and the first
one's extra time against the median of the other four. It draws the conclusion only when that extra time is
larger than the spread of the other four (the noise of this machine at this moment); otherwise it
says the difference is inside the noise. The figures are yours: on a GPU the decode is faster and
the compile is a larger share.
Exits 1 if a request returns no call.
"""
import secrets
import statistics
import time

import workshop
from acme.tools import openai_tools

LATER = 4  # requests after the first: their spread is the noise the first one is judged against


# --8<-- [start:judge]
def judge(latencies_ms: list[float]) -> str:
    """The first request's extra time against the median of the later ones, and a conclusion
    only when it is larger than their spread (max - min): the noise of this machine right now. A
    first request faster by more than the spread means the load changed during the run: no
    conclusion either, and the output says so rather than "inside the noise"."""
    first, later = latencies_ms[0], latencies_ms[1:]
    extra, noise = first - statistics.median(later), max(later) - min(later)
    result = (f"first request: {extra:+.0f} ms against the later ones' median; "
              f"the later ones spread over {noise:.0f} ms\n")
    if extra > noise:
        return result + "the first request paid for compiling the grammar; the later ones reused it"
    if extra < -noise:  # faster than every later one by more than their spread: the load grew
        return result + ("the first request was the fastest by more than the spread: the machine got "
                         "busier during the run, so it cannot tell whether the first request paid for "
                         "a compile (run it again when the machine is quieter)")
    return result + ("inside the noise: this run cannot tell whether the first request paid for "
                     "a compile (run it again when the machine is quieter)")
# --8<-- [end:judge]


def main() -> int:
    client = workshop.client()
    model = workshop.model(client)
    # --8<-- [start:measure]
    tools = openai_tools(["get_order_status"])
    parameters = tools[0]["function"]["parameters"]
    parameters["properties"]["order_id"]["description"] += f" (run {secrets.token_hex(4)})"
    latencies_ms = []
    for n in range(1, 2 + LATER):
        start = time.perf_counter()
        response = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Where is order ACME-1042?"}],
            tools=tools, tool_choice={"type": "function", "function": {"name": "get_order_status"}},
            temperature=0, max_tokens=80)
        latencies_ms.append((time.perf_counter() - start) * 1000)
        if not response.choices[0].message.tool_calls:
            raise workshop.WorkshopError("no tool call came back for a named tool_choice.\n  fix: "
                                         "restart the server with its tool flags: python "
                                         "scripts/server.py restart (the CPU profile)")
        print(f"request {n} of {1 + LATER}: {latencies_ms[-1]:.0f} ms", flush=True)  # as it comes
    print("latency per request:", ", ".join(f"{ms:.0f} ms" for ms in latencies_ms))
    print(judge(latencies_ms))
    # --8<-- [end:measure]
    return 0


if __name__ == "__main__":
    workshop.run(main, arguments=False)
