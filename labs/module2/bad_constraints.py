"""Module 2 lab: what the server says about a broken schema, regex or grammar (HTTP 400).

Run: ``python labs/module2/bad_constraints.py``

Sends three requests whose constraint cannot be compiled: a JSON Schema with a type that does not
exist, a regex with an unclosed ``[``, and a GBNF grammar with an unclosed ``(``. vLLM validates the
constraint before generating and answers HTTP 400 with the compiler's message; the ``openai``
client raises ``openai.BadRequestError``. The lab prints the status and the server's message (the
error body's ``message``). Exits 1 if the server accepted a broken constraint.
"""
import openai

import workshop

# --8<-- [start:broken]
BROKEN = {
    "json": {"type": "objekt"},    # no such JSON Schema type
    "regex": "ACME-[A-Z{4}",       # the [ is never closed
    "grammar": "root ::= ((",      # GBNF with an unclosed group
}
# --8<-- [end:broken]


def main() -> int:
    client = workshop.client()
    model = workshop.model(client)
    accepted = 0
    for kind, constraint in BROKEN.items():
        # --8<-- [start:request]
        try:
            client.chat.completions.create(
                model=model,
                messages=[{"role": "user", "content": "Create a ticket."}],
                max_tokens=20,
                extra_body={"structured_outputs": {kind: constraint}},
            )
        except openai.BadRequestError as err:
            detail = err.body["message"] if isinstance(err.body, dict) else err.message
            print(f"{kind}: HTTP {err.status_code}")
            print("  " + detail.replace("\n", "\n  "))
        # --8<-- [end:request]
        else:
            accepted += 1
            print(f"{kind}: accepted, the server did not validate this constraint")
    return 1 if accepted else 0


if __name__ == "__main__":
    workshop.run(main)
