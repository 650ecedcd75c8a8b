"""Module 1 lab: stream a reply token by token (``stream=True``) and measure TTFT and ITL.

Run: ``python labs/module1/streaming.py``

Prints the reply as it arrives, then: the number of content chunks, the time to first token
(TTFT, milliseconds from sending the request to the first content chunk) and the mean
inter-token latency (ITL, milliseconds between later chunks). Each chunk carries one
``choices[0].delta``; the last content chunk has ``finish_reason`` set. With
``stream_options={"include_usage": True}`` the server sends one more chunk after it: empty
``choices`` and the request's token ``usage`` (streamed replies carry no usage otherwise); the
loop must skip it, because ``chunk.choices[0]`` does not exist there.
"""
import time

import workshop


def main() -> None:
    client = workshop.client()
    model = workshop.model(client)
    # --8<-- [start:stream]
    start = time.perf_counter()
    arrivals = []  # seconds since start, one per content chunk
    finish_reason = None
    stream = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "Write two sentences about customer support."}],
        temperature=0,
        max_tokens=64,
        stream=True,
        stream_options={"include_usage": True},  # one more chunk at the end: the token usage
    )
    usage = None
    for chunk in stream:
        if not chunk.choices:  # the usage-only last chunk: no choices, only usage
            usage = chunk.usage
            continue
        choice = chunk.choices[0]
        if choice.delta.content:
            arrivals.append(time.perf_counter() - start)
            print(choice.delta.content, end="", flush=True)
        finish_reason = choice.finish_reason or finish_reason
    print()
    # --8<-- [end:stream]
    # --8<-- [start:metrics]
    print(f"usage chunk: choices=[] | {usage.prompt_tokens} prompt + "
          f"{usage.completion_tokens} completion tokens")
    ttft_ms = arrivals[0] * 1000
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    itl_ms = 1000 * sum(gaps) / len(gaps) if gaps else float("nan")
    print(f"chunks: {len(arrivals)}  finish_reason: {finish_reason}")
    print(f"TTFT: {ttft_ms:.0f} ms  mean ITL: {itl_ms:.1f} ms")
    # --8<-- [end:metrics]


if __name__ == "__main__":
    workshop.run(main, arguments=False)
