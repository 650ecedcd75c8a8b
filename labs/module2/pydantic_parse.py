"""Module 2 lab: the ticket as a Pydantic model, with ``client.chat.completions.parse``.

Run: ``python labs/module2/pydantic_parse.py``

``parse(..., response_format=Ticket)`` turns the Pydantic model into a strict JSON Schema, sends
it as ``response_format`` and returns the reply already parsed: ``message.parsed`` is a
``Ticket`` instance (``None`` only if the model refused). The ``openai`` client raises
``openai.LengthFinishReasonError`` instead of parsing a reply cut off at ``max_tokens``.
The lab also checks each parsed ticket against ``ticket.TICKET_SCHEMA`` with ``jsonschema``:
the Pydantic model and the JSON Schema describe the same contract. Exits 1 if any check fails.
"""
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

import ticket
import workshop


# --8<-- [start:model]
class Ticket(BaseModel):
    """One support ticket, as ACME's ticket store accepts it."""

    model_config = ConfigDict(extra="forbid")

    ticket_type: Literal["billing", "shipping", "product", "account"]
    priority: Literal["low", "medium", "high", "urgent"]
    summary: str = Field(min_length=1, max_length=80)
    sentiment: Literal["positive", "neutral", "negative"]
    escalate: bool
# --8<-- [end:model]


def main() -> int:
    client = workshop.client()
    model = workshop.model(client)
    failures = 0
    for message in ticket.MESSAGES:
        # --8<-- [start:parse]
        completion = client.chat.completions.parse(
            model=model,
            messages=[{"role": "system", "content": ticket.SYSTEM_PROMPT},
                      {"role": "user", "content": message}],
            response_format=Ticket,
            temperature=0,
            max_tokens=200,
        )
        parsed = completion.choices[0].message.parsed  # a Ticket, or None on a refusal
        # --8<-- [end:parse]
        if parsed is None:
            failures += 1
            print("no ticket: the model refused")
            continue
        errors = ticket.validation_errors(parsed.model_dump(mode="json"))
        failures += bool(errors)
        print(f"{type(parsed).__name__}: {parsed.ticket_type}/{parsed.priority} "
              f"escalate={parsed.escalate} | matches TICKET_SCHEMA: {not errors}")
    if failures:
        raise workshop.WorkshopError(
            f"{failures} of {len(ticket.MESSAGES)} parsed tickets were refused or do not match "
            "TICKET_SCHEMA (see above).\n  fix: restart the workshop server (python scripts/server.py restart, the CPU profile); Module 2, section 3 "
            "'Pydantic and parse()'")
    return 0


if __name__ == "__main__":
    workshop.run(main, arguments=False)
