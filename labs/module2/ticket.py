"""Module 2 lab: ACME's ticket contract, a JSON Schema that every stored ticket must satisfy.

Run: ``python labs/module2/ticket.py`` (no server needed)

The other Module 2 labs import this file (``import ticket``) for:

- ``TICKET_SCHEMA``: a JSON Schema (draft 2020-12) object with five required properties:
  ``ticket_type`` and ``priority`` and ``sentiment`` (enums), ``summary`` (1 to 80 characters)
  and ``escalate`` (boolean); no other properties allowed;
- ``SYSTEM_PROMPT`` and ``MESSAGES``: the triage instruction and three customer messages;
- ``validation_errors(instance) -> list[str]``: why an instance is not a ticket (empty if it is),
  computed by the ``jsonschema`` library;
- ``parse_ticket(content, finish_reason) -> dict``: the only way model output becomes a ticket.
  Raises :class:`InvalidOutput` when the reply was cut off (``finish_reason == "length"``), is
  not JSON, or breaks the schema, so that broken output is never passed on as data;
- ``whitespace_between_tokens(content) -> int``: how many whitespace characters a JSON reply has
  outside its strings (0 for compact JSON), used by ``offline.py`` and ``whitespace.py``.

Run as a program, it prints the schema's properties and checks one good and one bad ticket.
"""
from __future__ import annotations

import json
import sys

from jsonschema import Draft202012Validator

# --8<-- [start:schema]
TICKET_SCHEMA = {
    "type": "object",
    "properties": {
        "ticket_type": {"type": "string", "enum": ["billing", "shipping", "product", "account"]},
        "priority": {"type": "string", "enum": ["low", "medium", "high", "urgent"]},
        "summary": {"type": "string", "minLength": 1, "maxLength": 80},
        "sentiment": {"type": "string", "enum": ["positive", "neutral", "negative"]},
        "escalate": {"type": "boolean"},
    },
    "required": ["ticket_type", "priority", "summary", "sentiment", "escalate"],
    "additionalProperties": False,
}
# --8<-- [end:schema]

SYSTEM_PROMPT = (
    "You are ACME Corp's ticket triage service. Read the customer's message and return one "
    "support ticket as JSON with these fields: ticket_type (billing, shipping, product or "
    "account), priority (low, medium, high or urgent), summary (the problem in a few words), "
    "sentiment (positive, neutral or negative) and escalate (true if a human must act today)."
)

MESSAGES = [
    "My order #4521 arrived with a broken rake handle. I need a replacement before the weekend!",
    "I was charged twice for invoice 7781. Please refund the duplicate payment.",
    "Thanks, the new garden hose works great. How do I change my delivery address?",
]

VALIDATOR = Draft202012Validator(TICKET_SCHEMA)
Draft202012Validator.check_schema(TICKET_SCHEMA)  # a broken schema fails at import, not later


class InvalidOutput(ValueError):
    """Model output that must not become a ticket; the message says why and what to change."""


# --8<-- [start:parse]
def validation_errors(instance: object) -> list[str]:
    """Every reason ``instance`` breaks ``TICKET_SCHEMA``, as ``"<path>: <message>"``; [] if valid."""
    return [f"{'/'.join(map(str, e.path)) or '(ticket)'}: {e.message}"
            for e in sorted(VALIDATOR.iter_errors(instance), key=lambda e: list(e.path))]


def parse_ticket(content: str | None, finish_reason: str | None) -> dict:
    """Turn a model reply into a ticket dict, or raise :class:`InvalidOutput`."""
    if finish_reason == "length":
        raise InvalidOutput("the reply was cut off at max_tokens (finish_reason='length'); "
                            "raise max_tokens and retry")
    try:
        instance = json.loads(content or "")
    except json.JSONDecodeError as err:
        raise InvalidOutput(f"the reply is not JSON ({err}); was the request constrained?") from err
    errors = validation_errors(instance)
    if errors:
        raise InvalidOutput("the reply breaks the ticket schema: " + "; ".join(errors))
    return instance
# --8<-- [end:parse]


def whitespace_between_tokens(content: str) -> int:
    """Whitespace characters of the JSON text ``content`` outside its strings (0 when compact)."""
    count, in_string, escaped = 0, False, False
    for char in content:
        if escaped:            # the character after a backslash, inside a string
            escaped = False
        elif in_string:
            escaped = char == "\\"
            in_string = char != '"'
        elif char == '"':
            in_string = True
        elif char.isspace():
            count += 1
    return count


def main() -> int:
    print("required:", ", ".join(TICKET_SCHEMA["required"]))
    good = {"ticket_type": "shipping", "priority": "high", "summary": "Rake arrived broken",
            "sentiment": "negative", "escalate": False}
    bad = {"ticket_type": "shipping", "priority": "asap", "summary": "", "sentiment": "negative"}
    print("good ticket errors:", validation_errors(good))
    print("bad ticket errors:")
    for error in validation_errors(bad):
        print("  -", error)
    try:
        parse_ticket(json.dumps(bad), "stop")
    except InvalidOutput as err:
        print("parse_ticket refused it:", str(err)[:45], "...")
        return 0
    print("error: parse_ticket accepted the bad ticket above, which breaks the schema in the ways "
          "listed.\n  fix: restore labs/module2/ticket.py's TICKET_SCHEMA and parse_ticket "
          "(git diff labs/module2/ticket.py shows what changed)", file=sys.stderr)
    return 1


if __name__ == "__main__":
    import workshop

    workshop.no_options(settings=None)  # an option it does not take ends it with error/fix
    raise SystemExit(main())
