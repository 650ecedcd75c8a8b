"""Module 1 lab: a text completion (``/v1/completions``): the model continues a prompt, no chat template.

Run: ``python labs/module1/completion.py``

Environment as in every lab (``VLLM_BASE_URL``, ``VLLM_API_KEY``, ``VLLM_MODEL``). Prints the
prompt followed by the model's continuation and the finish reason.
"""
import workshop


def main() -> None:
    client = workshop.client()
    model = workshop.model(client)
    # --8<-- [start:request]
    prompt = "ACME Corp's customer support team answers every ticket"
    response = client.completions.create(
        model=model,
        prompt=prompt,
        max_tokens=24,
        temperature=0,
    )
    print(prompt + response.choices[0].text)
    print("finish_reason:", response.choices[0].finish_reason)
    # --8<-- [end:request]


if __name__ == "__main__":
    workshop.run(main, arguments=False)
