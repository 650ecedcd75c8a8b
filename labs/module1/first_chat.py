"""Module 1 lab: a first chat completion with the official ``openai`` client.

Run: ``python labs/module1/first_chat.py``

Reads ``VLLM_BASE_URL`` (default ``http://localhost:8000/v1``), ``VLLM_API_KEY`` (default
``EMPTY``) and ``VLLM_MODEL`` (default: the first model the server lists). Prints the model, the
reply, the finish reason and the token usage. Exit status 1 with a fix when the server is not
reachable or the model name is wrong.
"""
import os

from openai import OpenAI

import workshop


def main() -> None:
    # --8<-- [start:client]
    client = OpenAI(
        base_url=os.environ.get("VLLM_BASE_URL", "http://localhost:8000/v1"),
        api_key=os.environ.get("VLLM_API_KEY", "EMPTY"),  # checked only if the server has --api-key
    )
    model = workshop.model(client)  # $VLLM_MODEL, else the first model the server serves
    # --8<-- [end:client]
    # --8<-- [start:request]
    response = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "What is the capital of France?"}],
        temperature=0,
        max_tokens=64,
    )
    choice = response.choices[0]
    print("model:        ", response.model)
    print("reply:        ", choice.message.content)
    print("finish_reason:", choice.finish_reason)
    print("usage:        ", response.usage.prompt_tokens, "prompt tokens +",
          response.usage.completion_tokens, "completion tokens")
    # --8<-- [end:request]


if __name__ == "__main__":
    workshop.run(main, arguments=False)
