"""API guide lab: the Responses API (``POST /v1/responses``) as vLLM 0.32 serves it.

Run: ``python labs/api/responses.py``

Environment as in every lab (``VLLM_BASE_URL``, ``VLLM_API_KEY``, ``VLLM_MODEL``). Prints, in
order:

1. one response: ``instructions`` + ``input`` in, ``output_text``, ``status`` and token usage out;
2. the same request streamed: the event types in the order they arrived (each type once, with
   how many times it came) and the text rebuilt from the ``response.output_text.delta`` events;
3. what ``previous_response_id`` does on this server: vLLM keeps no responses unless it was
   started with ``VLLM_ENABLE_RESPONSES_API_STORE=1`` (``vllm/envs.py``: kept in memory only and
   never freed), so the id is unknown (HTTP 404); the stateless way, sending the earlier turns
   in ``input``, works everywhere.

Exit status 1 with a fix when the server is not reachable or the model is wrong.
"""
from collections import Counter

import openai

import workshop


def main() -> None:
    client = workshop.client()
    model = workshop.model(client)
    # --8<-- [start:create]
    response = client.responses.create(
        model=model,
        instructions="You are ACME Corp's support assistant. Answer in one sentence.",
        input="What is the capital of France?",
        max_output_tokens=32,
        temperature=0,
    )
    print("status:     ", response.status)
    print("output_text:", response.output_text)
    print("usage:      ", response.usage.input_tokens, "input tokens +",
          response.usage.output_tokens, "output tokens")
    # --8<-- [end:create]
    # --8<-- [start:stream]
    events, text = Counter(), ""
    stream = client.responses.create(model=model, input="Say hello to ACME's customers.",
                                     max_output_tokens=16, temperature=0, stream=True)
    for event in stream:
        events[event.type] += 1
        if event.type == "response.output_text.delta":
            text += event.delta
    for kind, count in events.items():  # in order of first arrival
        print(f"{count:3d} x {kind}")
    print("streamed text:", text)
    # --8<-- [end:stream]
    # --8<-- [start:state]
    try:
        client.responses.create(model=model, input="And what is my order number?",
                                previous_response_id=response.id, max_output_tokens=16)
        print("previous_response_id: accepted (this server stores responses)")
    except openai.NotFoundError as exc:
        print("previous_response_id: HTTP", exc.status_code, "-", exc.message.split(" - ")[-1])
    follow_up = client.responses.create(  # stateless: send the earlier turns yourself
        model=model,
        input=[
            {"role": "user", "content": "My order is ACME-1042."},
            {"role": "assistant", "content": "Thank you, I have noted order ACME-1042."},
            {"role": "user", "content": "Repeat my order number, nothing else."},
        ],
        max_output_tokens=16,
        temperature=0,
    )
    print("stateless follow-up:", follow_up.output_text)
    # --8<-- [end:state]


if __name__ == "__main__":
    workshop.run(main, arguments=False)
