"""Module 3 lab: bad tool calls go back to the model as errors, and the database is untouched.

Run: ``python labs/module3/bad_calls.py``  (no server needed; uses ACME's database)

A model, or someone who talks it into it, can propose a call that must not run as asked. The
lab sends five such calls through ``run_tool_calls``, the same function as the round trip
(``labs/module3/round_trip.py``), and prints the ``tool`` message each one gets: an unknown tool,
arguments that break the schema, an SQL injection attempt (the schema's ``pattern`` refuses it,
and the query would take it as a ``?`` parameter anyway), a write the tool refuses (a refund
larger than what is left), and arguments that are not JSON. Then it shows the mistake a popular
guide makes: ``get_order_status(*arguments)`` passes the dict's *keys*.

Exits 1 unless the database file is byte for byte the same afterwards (SHA-256 of the file),
or, with one ``error: ... fix: ...``, when ``$ACME_DB`` names a place where no database can be.
"""
import hashlib
import json
import sys
from types import SimpleNamespace

from acme.db import AcmeDbError, create, db_path
from acme.tools import get_order_status
from round_trip import run_tool_calls


def proposed(call_id: str, name: str, arguments: str) -> SimpleNamespace:
    """A tool call shaped like ``message.tool_calls[i]`` from the ``openai`` client."""
    return SimpleNamespace(id=call_id, function=SimpleNamespace(name=name, arguments=arguments))


def main() -> int:
    try:
        create()  # the database exists before we take its hash
    except (AcmeDbError, OSError) as exc:  # ACME_DB points where no database can be
        message = str(exc) if isinstance(exc, AcmeDbError) else \
            f"cannot create the ACME database at {db_path()} ({exc.strerror})"
        message, _, fix = message.partition(" fix: ")
        print(f"error: {message}\n  fix: {fix or 'export ACME_DB=<a writable file path such as /tmp/acme.db>, or unset it'}",
              file=sys.stderr)
        return 1
    before = hashlib.sha256(db_path().read_bytes()).hexdigest()
    # --8<-- [start:bad]
    calls = [
        proposed("call_1", "delete_all_orders", "{}"),
        proposed("call_2", "get_order_status", '{"order_id": 1042}'),
        proposed("call_3", "get_order_status", '{"order_id": "1; DROP TABLE orders"}'),
        proposed("call_4", "issue_refund",
                 '{"order_id": "ACME-1047", "amount_cents": 500, "reason": "Changed my mind"}'),
        proposed("call_5", "get_customer", "{'email': 'jane@example.com'}"),
    ]
    replies = run_tool_calls(calls)
    print("what the model gets back for call_3:", replies[2])
    # --8<-- [end:bad]
    # --8<-- [start:star]
    arguments = json.loads('{"order_id": "ACME-1042"}')
    wrong = get_order_status(*arguments)   # the dict's keys: order_id="order_id"
    right = get_order_status(**arguments)  # its items: order_id="ACME-1042"
    print(f"get_order_status(*arguments)  -> found={wrong['found']} ({wrong['order_id']})")
    print(f"get_order_status(**arguments) -> found={right['found']} ({right['order_id']})")
    # --8<-- [end:star]
    after = hashlib.sha256(db_path().read_bytes()).hexdigest()
    print(f"database file unchanged: {before == after}")
    if before != after:
        print("error: a refused tool call changed the database file: run_tool_calls ran a call it "
              "should have refused.\n  fix: restore the checks in labs/module3/round_trip.py "
              "(git diff labs/module3/round_trip.py labs/acme shows what changed); Module 3, "
              "section 6 'When a call is wrong'", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    import workshop

    workshop.no_options(settings="ACME_DB")  # an option it does not take ends it with error/fix
    raise SystemExit(main())
