"""Module 2 lab: a reply cut off at ``max_tokens`` is half a JSON document; detect it.

Run: ``python labs/module2/truncation.py``

Constrained decoding guarantees the *prefix* of a valid document, not its end: when
``max_tokens`` runs out first, the reply stops mid-way and ``finish_reason`` is ``"length"``.
The lab provokes that with ``max_tokens=12`` and shows the two guards:

1. ``ticket.parse_ticket`` refuses any reply whose ``finish_reason`` is ``"length"``;
2. the ``openai`` client's ``chat.completions.parse`` raises ``openai.LengthFinishReasonError``.

Exits 1 if a truncated reply got through either guard.
"""
import openai

import ticket
import workshop

MESSAGES = [{"role": "system", "content": ticket.SYSTEM_PROMPT},
            {"role": "user", "content": ticket.MESSAGES[0]}]
TICKET_FORMAT = {"type": "json_schema",
                 "json_schema": {"name": "ticket", "schema": ticket.TICKET_SCHEMA, "strict": True}}


def main() -> int:
    client = workshop.client()
    model = workshop.model(client)
    # --8<-- [start:detect]
    response = client.chat.completions.create(
        model=model, messages=MESSAGES, temperature=0, max_tokens=12, response_format=TICKET_FORMAT)
    choice = response.choices[0]
    print(f"finish_reason: {choice.finish_reason} | content: {choice.message.content!r}")
    try:
        ticket.parse_ticket(choice.message.content, choice.finish_reason)
    except ticket.InvalidOutput as err:
        print(f"parse_ticket refused it: {err}")
    else:
        raise workshop.WorkshopError("a truncated reply was accepted as a ticket.\n  fix: restore "
                                     "the finish_reason check in labs/module2/ticket.py's parse_ticket")
    # --8<-- [end:detect]
    # --8<-- [start:parse]
    try:
        client.chat.completions.parse(
            model=model, messages=MESSAGES, temperature=0, max_tokens=12,
            response_format=TICKET_FORMAT)
    except openai.LengthFinishReasonError:
        print("chat.completions.parse raised LengthFinishReasonError")
    else:
        raise workshop.WorkshopError("chat.completions.parse returned a truncated reply.\n  fix: "
                                     "install the workshop's openai (openai==3.54.0): ./scripts/setup.sh")
    # --8<-- [end:parse]
    return 0


if __name__ == "__main__":
    workshop.run(main, arguments=False)
