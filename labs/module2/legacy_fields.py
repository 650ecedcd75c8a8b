"""Module 2 lab: the removed ``guided_*`` fields are ignored, silently; notice it.

Run: ``python labs/module2/legacy_fields.py``

Older tutorials send ``extra_body={"guided_json": schema}`` (also ``guided_regex``,
``guided_choice``, ``guided_grammar``). vLLM removed those fields (0.12): a current server accepts
the request with HTTP 200, does not constrain the output, and only logs a warning on the server.
The lab sends the same request with ``guided_json`` and with ``structured_outputs`` and
validates both replies with ``ticket.parse_ticket``: validation is how a client notices.
Prints one line per request; exits 1 if the two fields behave otherwise than described.
The server logs its warning with ``logger.warning_once``: once per server process for each set of
removed fields, so running the lab again adds nothing to the server's log.
Source: ``vllm/entrypoints/serve/engine/protocol.py`` (``_REMOVED_GUIDED_FIELDS`` and
``OpenAIBaseModel.__log_extra_fields__``), vLLM 0.32.
"""
import ticket
import workshop


def main() -> int:
    client = workshop.client()
    model = workshop.model(client)
    results = {}
    # --8<-- [start:compare]
    for field in ("guided_json", "structured_outputs"):
        value = ticket.TICKET_SCHEMA if field == "guided_json" else {"json": ticket.TICKET_SCHEMA}
        response = client.chat.completions.with_raw_response.create(
            model=model,
            messages=[{"role": "system", "content": ticket.SYSTEM_PROMPT},
                      {"role": "user", "content": ticket.MESSAGES[1]}],
            temperature=0,
            max_tokens=120,
            extra_body={field: value},
        )
        choice = response.parse().choices[0]
        try:
            ticket.parse_ticket(choice.message.content, choice.finish_reason)
            results[field] = "valid ticket"
        except ticket.InvalidOutput as err:
            results[field] = f"NOT a ticket: {str(err)[:40]}..."
        print(f"{field:18} | HTTP {response.status_code} | {results[field]}")
    # --8<-- [end:compare]
    as_described = results["structured_outputs"] == "valid ticket" != results["guided_json"]
    if not as_described:
        raise workshop.WorkshopError(
            f"expected structured_outputs to give a valid ticket and guided_json not, got "
            f"{results['structured_outputs']!r} and {results['guided_json']!r}: this vLLM treats the "
            "fields differently from the one the page describes.\n  fix: compare your vLLM's version "
            "(python -c 'import vllm; print(vllm.__version__)') with the page's; Module 2, section 8")
    return 0


if __name__ == "__main__":
    workshop.run(main, arguments=False)
