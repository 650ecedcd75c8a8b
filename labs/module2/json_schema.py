"""Module 2 lab: triage customer messages into tickets constrained by a JSON Schema.

Run: ``python labs/module2/json_schema.py``

Sends each message of ``ticket.MESSAGES`` twice, constrained by ``ticket.TICKET_SCHEMA``:

1. with the OpenAI-style ``response_format={"type": "json_schema", "json_schema": {...}}``;
2. with vLLM's own ``structured_outputs`` request field, ``{"json": <schema>}``, passed through
   the ``openai`` client's ``extra_body``.

Every reply goes through ``ticket.parse_ticket``, which validates it with ``jsonschema``; the lab
prints one line per ticket and exits 1 if any reply is not a valid ticket.
Source of the request fields: vLLM 0.32 ``ChatCompletionRequest`` (``response_format``,
``structured_outputs``) and ``vllm.sampling_params.StructuredOutputsParams``.
"""
import json

import ticket
import workshop


def main() -> int:
    client = workshop.client()
    model = workshop.model(client)

    # --8<-- [start:triage]
    def triage(message: str, **constraint) -> dict:
        response = client.chat.completions.create(
            model=model,
            messages=[{"role": "system", "content": ticket.SYSTEM_PROMPT},
                      {"role": "user", "content": message}],
            temperature=0,
            max_tokens=200,
            **constraint,
        )
        choice = response.choices[0]
        return ticket.parse_ticket(choice.message.content, choice.finish_reason)
    # --8<-- [end:triage]

    # --8<-- [start:constraints]
    constraints = {
        "response_format": {"response_format": {
            "type": "json_schema",
            "json_schema": {"name": "ticket", "schema": ticket.TICKET_SCHEMA, "strict": True},
        }},
        "structured_outputs": {"extra_body": {
            "structured_outputs": {"json": ticket.TICKET_SCHEMA},
        }},
    }
    # --8<-- [end:constraints]
    failures = 0
    for name, constraint in constraints.items():
        for message in ticket.MESSAGES:
            try:
                result = triage(message, **constraint)
            except ticket.InvalidOutput as err:
                failures += 1
                print(f"{name:18} | INVALID | {err}")
            else:
                print(f"{name:18} | valid   | {json.dumps(result)}")
    if failures:
        raise workshop.WorkshopError(
            f"{failures} of {len(constraints) * len(ticket.MESSAGES)} replies are not valid tickets (INVALID "
            "above): the server did not apply the JSON schema.\n  fix: restart the workshop server (python scripts/server.py restart, the CPU profile); "
            "Module 2, section 2 'JSON Schema, two ways'")
    return 0


if __name__ == "__main__":
    workshop.run(main, arguments=False)
