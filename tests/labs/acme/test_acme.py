"""ACME's data and tool layer (labs/acme): the database, the seven tools, call(); no server.

Every test works on a database in its own ``tmp_path``; ``ACME_DB`` points at a file that must
never appear, so a call that forgets ``db=`` fails the test instead of touching the repository's
database.
"""
from __future__ import annotations

import inspect
import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from acme import db as acme_db
from acme import tools
from acme.tools import TOOLS, Tool, ToolError, call

from support import ROOT  # noqa: E402
NOW = datetime(2025, 6, 5, 12, 30, tzinfo=timezone.utc)

# One valid argument object per tool, accepted by its schema and by the seed data.
EXAMPLES = {
    "get_order_status": {"order_id": "ACME-1042"},
    "get_customer": {"email": "jane@example.com"},
    "search_products": {"query": "garden hose", "category": None, "max_results": 5},
    "search_faq": {"query": "how long does shipping take", "max_results": 3},
    "create_ticket": {"customer_email": "jane@example.com", "category": "shipping",
                      "priority": "high", "summary": "The leaf rake has not arrived yet",
                      "order_id": "ACME-1042"},
    "schedule_callback": {"customer_email": "jane@example.com", "date": "2025-06-06",
                          "slot": "morning", "reason": "Talk about the late rake delivery"},
    "issue_refund": {"order_id": "ACME-1042", "amount_cents": 999,
                     "reason": "One pair of gloves arrived torn"},
}


@pytest.fixture(autouse=True)
def guard_default_db(tmp_path, monkeypatch):
    """Point the default database at a file that must still be absent after the test."""
    sentinel = tmp_path / "default" / "acme.db"
    monkeypatch.setenv("ACME_DB", str(sentinel))
    monkeypatch.setattr(acme_db, "utc_now", lambda: NOW)
    yield
    assert not sentinel.exists(), "a call used the default database instead of db="


@pytest.fixture
def db(tmp_path) -> Path:
    return acme_db.create(tmp_path / "acme.db")


def changes(before: dict, after: dict) -> dict:
    """``{table: (rows only before, rows only after)}`` for the tables that differ."""
    diff = {}
    for table in sorted(set(before) | set(after)):
        old = [tuple(r) for r in before.get(table, [])]
        new = [tuple(r) for r in after.get(table, [])]
        if old != new:
            diff[table] = ([r for r in old if r not in new], [r for r in new if r not in old])
    return diff


# --- the database ------------------------------------------------------------------------------

def test_default_path_and_env_override(monkeypatch, tmp_path):
    monkeypatch.delenv("ACME_DB")
    assert acme_db.db_path() == ROOT / ".workshop" / "acme" / "acme.db"
    monkeypatch.setenv("ACME_DB", str(tmp_path / "x.db"))
    assert acme_db.db_path() == tmp_path / "x.db"


def test_create_is_idempotent_and_deterministic(tmp_path):
    first = acme_db.create(tmp_path / "a.db")
    fingerprint, content = acme_db.fingerprint(first), first.read_bytes()
    assert acme_db.create(first) == first
    assert acme_db.fingerprint(first) == fingerprint and first.read_bytes() == content
    other = acme_db.create(tmp_path / "sub" / "b.db")  # a fresh database elsewhere is identical
    assert acme_db.fingerprint(other) == fingerprint
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.db", "sub"]  # no temp files left


def test_create_keeps_written_rows_and_reset_rebuilds(db):
    fresh = acme_db.fingerprint(db)
    tools.create_ticket(**EXAMPLES["create_ticket"], db=db)
    written = acme_db.fingerprint(db)
    assert written != fresh
    acme_db.create(db)
    assert acme_db.fingerprint(db) == written  # create() does not undo the learner's writes
    acme_db.create(db, reset=True)
    assert acme_db.fingerprint(db) == fresh
    assert [p.name for p in db.parent.iterdir()] == [db.name]


def test_reset_replaces_the_file_atomically(db):
    before = os.stat(db).st_ino
    with closing(sqlite3.connect(db)) as old:  # a reader of the old file keeps a consistent database
        acme_db.create(db, reset=True)
        assert old.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 10
    assert os.stat(db).st_ino != before


def test_create_refuses_what_is_not_an_acme_database(tmp_path):
    foreign = tmp_path / "notes.db"
    foreign.write_text("not a database")
    for reset in (False, True):  # never overwritten, not even by a reset
        with pytest.raises(acme_db.AcmeDbError, match="is not an ACME database, so it is left"):
            acme_db.create(foreign, reset=reset)
    assert foreign.read_text() == "not a database"
    with pytest.raises(acme_db.AcmeDbError, match="is a directory"):
        acme_db.create(tmp_path)
    with pytest.raises(acme_db.AcmeDbError, match="is a file, not a folder"):
        acme_db.create(foreign / "acme.db")
    empty = tmp_path / "empty.db"
    empty.touch()  # e.g. left by sqlite3.connect(): safe to fill
    assert acme_db.counts(acme_db.create(empty))["orders"] == 10


def test_an_old_schema_version_needs_a_reset(db):
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA user_version = 0")
    with pytest.raises(acme_db.AcmeDbError, match="schema version 0, not 1. fix: python "
                                                  "labs/acme/db.py --reset"):
        acme_db.create(db)
    acme_db.create(db, reset=True)
    assert acme_db.fingerprint(db) == acme_db.fingerprint(acme_db.create(db.with_name("b.db")))


def test_seed_data(db):
    counts = acme_db.counts(db)
    assert counts == {"customers": 6, "products": 10, "orders": 10, "order_items": 14,
                      "tickets": 2, "callbacks": 0, "refunds": 1}
    with closing(acme_db.connect(db)) as conn:
        statuses = dict(conn.execute("SELECT order_id, status FROM orders").fetchall())
        jane = conn.execute("SELECT * FROM customers WHERE email = ?",
                            ("jane@example.com",)).fetchone()
        tickets = [r[0] for r in conn.execute("SELECT ticket_id FROM tickets ORDER BY 1")]
    assert statuses["ACME-1042"] == "shipped"
    assert {"placed", "shipped", "delivered", "cancelled", "returned"} == set(statuses.values())
    assert jane["name"] == "Jane Doe"
    assert tickets == ["T-0001", "T-0002"]


def test_connect_gives_rows_and_foreign_keys(db):
    conn = acme_db.connect(db)
    try:
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        row = conn.execute("SELECT * FROM products WHERE sku = ?", ("RAKE-01",)).fetchone()
        assert row["price_cents"] == 2499
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO refunds (order_id, amount_cents, reason, created_at) "
                         "VALUES (?, ?, ?, ?)", ("ACME-9999", 1, "x", "2025-01-01T00:00:00Z"))
    finally:
        conn.close()


def test_connect_creates_a_missing_database(tmp_path):
    path = tmp_path / "new" / "acme.db"
    acme_db.connect(path).close()
    assert acme_db.counts(path)["customers"] == 6


def test_fingerprint_never_creates(tmp_path):
    with pytest.raises(acme_db.AcmeDbError, match="no database"):
        acme_db.fingerprint(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()


# --- read tools ----------------------------------------------------------------------------------

def test_get_order_status(db):
    order = tools.get_order_status("ACME-1042", db=db)
    assert order["found"] and order["status"] == "shipped"
    assert (order["carrier"], order["tracking"]) == ("UPS", "1Z999AA10123456784")
    assert order["total_cents"] == 2499 + 2 * 999 and order["refunded_cents"] == 0
    assert {i["sku"] for i in order["items"]} == {"RAKE-01", "GLOVE-01"}
    assert tools.get_order_status(" acme-1044 ", db=db)["status"] == "placed"
    placed = tools.get_order_status("ACME-1044", db=db)
    assert placed["shipped_on"] is None and placed["tracking"] is None
    assert tools.get_order_status("ACME-1047", db=db)["refunded_cents"] == 4499
    missing = tools.get_order_status("ACME-9999", db=db)
    assert missing["found"] is False and "ACME-1042" in missing["message"]
    json.dumps(order)


def test_get_customer(db):
    jane = tools.get_customer("Jane@Example.com", db=db)
    assert jane["found"] and jane["name"] == "Jane Doe" and jane["tier"] == "gold"
    assert [o["order_id"] for o in jane["orders"]] == ["ACME-1042", "ACME-1046"]
    assert jane["open_tickets"] == []  # T-0001 is closed
    raj = tools.get_customer("raj.patel@example.com", db=db)
    assert [t["ticket_id"] for t in raj["open_tickets"]] == ["T-0002"]
    assert tools.get_customer("nobody@example.com", db=db) == {
        "found": False, "email": "nobody@example.com",
        "message": "no customer has this email; ask the customer to check it"}


def test_search_products(db):
    result = tools.search_products("pruning shears", db=db)
    assert result["found"] and result["results"][0]["sku"] == "SHEAR-02"
    hoses = tools.search_products("hoses", category="hoses", max_results=2, db=db)
    assert [p["sku"] for p in hoses["results"]] == ["HOSE-01", "HOSE-02"]
    assert hoses["results"][1]["in_stock"] is False
    assert tools.search_products("rake", category="shears", db=db)["found"] is False
    assert tools.search_products("RAKE-02", db=db)["results"][0]["sku"] == "RAKE-02"
    nothing = tools.search_products("chainsaw", db=db)
    assert nothing["found"] is False and nothing["results"] == [] and "rakes" in nothing["message"]
    with pytest.raises(ToolError, match="category must be one of"):
        tools.search_products("rake", category="power tools", db=db)
    with pytest.raises(ToolError, match="max_results"):
        tools.search_products("rake", max_results=0, db=db)


def test_search_faq(db):
    top = {q: tools.search_faq(q, db=db)["results"][0]["name"] for q in [
        "how long does shipping take", "I forgot my password", "can I get my money back",
        "where is my parcel, tracking number", "warranty on broken shears", "return policy"]}
    assert top == {"how long does shipping take": "shipping.md",
                   "I forgot my password": "password-reset.md",
                   "can I get my money back": "refunds.md",
                   "where is my parcel, tracking number": "order-tracking.md",
                   "warranty on broken shears": "warranty.md",
                   "return policy": "returns.md"}
    result = tools.search_faq("refund", max_results=2, db=db)
    assert len(result["results"]) == 2
    assert set(result["results"][0]) == {"name", "title", "excerpt", "score"}
    assert all(len(r["excerpt"]) <= 204 for r in result["results"])
    assert tools.search_faq("xyzzy", db=db) == {"found": False, "query": "xyzzy", "results": []}
    assert {d["name"] for d in tools.faq_documents()} >= {"returns.md", "shipping.md",
                                                          "warranty.md", "refunds.md"}


def test_sql_injection_finds_nothing_and_changes_nothing(db):
    before = acme_db.fingerprint(db)
    assert tools.get_order_status("1; DROP TABLE orders", db=db)["found"] is False
    assert tools.get_order_status("ACME-1042' OR '1'='1", db=db)["found"] is False
    assert tools.get_customer("' OR 1=1 --", db=db)["found"] is False
    assert tools.search_products("' OR 1=1 --", db=db)["found"] is False
    assert acme_db.fingerprint(db) == before
    ticket = tools.create_ticket("jane@example.com", "other", "low",
                                 "Robert'); DROP TABLE tickets; --", db=db)
    stored = tools.get_customer("jane@example.com", db=db)["open_tickets"]
    assert stored[0]["summary"] == "Robert'); DROP TABLE tickets; --" == ticket["summary"]
    assert acme_db.counts(db)["orders"] == 10


# --- write tools ---------------------------------------------------------------------------------

def test_create_ticket_adds_exactly_one_row(db):
    before = acme_db.dump(db)
    ticket = tools.create_ticket(**EXAMPLES["create_ticket"], db=db)
    assert ticket == {"created": True, "ticket_id": "T-0003", "status": "open",
                      "customer_email": "jane@example.com", "order_id": "ACME-1042",
                      "category": "shipping", "priority": "high",
                      "summary": "The leaf rake has not arrived yet",
                      "created_at": "2025-06-05T12:30:00Z"}
    assert changes(before, acme_db.dump(db)) == {"tickets": ([], [(
        "T-0003", "jane@example.com", "ACME-1042", "shipping", "high",
        "The leaf rake has not arrived yet", "open", "2025-06-05T12:30:00Z")])}
    later = datetime(2025, 7, 1, 8, 0, tzinfo=timezone.utc)
    second = tools.create_ticket("raj.patel@example.com", "billing", "low", "Invoice address",
                                 db=db, now=later)
    assert (second["ticket_id"], second["order_id"], second["created_at"]) == (
        "T-0004", None, "2025-07-01T08:00:00Z")


@pytest.mark.parametrize("arguments, message", [
    ({"customer_email": "nobody@example.com"}, "no customer has the email"),
    ({"order_id": "ACME-1043"}, "is not an order of jane@example.com"),
    ({"order_id": "ACME-9999"}, "no order has the ID"),
    ({"priority": "asap"}, "priority must be one of low, medium, high, urgent"),
    ({"summary": "   "}, "summary must be 5 to 120 characters"),
])
def test_create_ticket_refusals_change_nothing(db, arguments, message):
    before = acme_db.fingerprint(db)
    with pytest.raises(ToolError, match=message):
        tools.create_ticket(**{**EXAMPLES["create_ticket"], **arguments}, db=db)
    assert acme_db.fingerprint(db) == before


def test_schedule_callback(db):
    before = acme_db.dump(db)
    booked = tools.schedule_callback(**EXAMPLES["schedule_callback"], db=db)
    assert booked == {"scheduled": True, "callback_id": 1, "customer_email": "jane@example.com",
                      "date": "2025-06-06", "slot": "morning",
                      "reason": "Talk about the late rake delivery"}
    assert changes(before, acme_db.dump(db)) == {"callbacks": ([], [(
        1, "jane@example.com", "2025-06-06", "morning", "Talk about the late rake delivery")])}
    today = tools.schedule_callback("jane@example.com", "2025-06-05", "evening", "Same-day call",
                                    db=db)
    assert today["callback_id"] == 2


@pytest.mark.parametrize("arguments, message", [
    ({"date": "2025-06-04"}, r"in the past \(today is 2025-06-05 UTC\)"),
    ({"date": "2025-02-30"}, "not a calendar date"),
    ({"date": "June 6"}, "date must be YYYY-MM-DD"),
    ({"slot": "night"}, "slot must be one of morning, afternoon, evening"),
    ({"customer_email": "nobody@example.com"}, "no customer has the email"),
])
def test_schedule_callback_refusals_change_nothing(db, arguments, message):
    before = acme_db.fingerprint(db)
    with pytest.raises(ToolError, match=message):
        tools.schedule_callback(**{**EXAMPLES["schedule_callback"], **arguments}, db=db)
    assert acme_db.fingerprint(db) == before


def test_schedule_callback_refuses_a_booked_slot(db):
    tools.schedule_callback(**EXAMPLES["schedule_callback"], db=db)
    after_first = acme_db.fingerprint(db)
    with pytest.raises(ToolError, match="already has callback 1 on 2025-06-06"):
        tools.schedule_callback(**EXAMPLES["schedule_callback"], db=db)
    assert acme_db.fingerprint(db) == after_first


def test_issue_refund_adds_exactly_one_row(db):
    before = acme_db.dump(db)
    refund = tools.issue_refund(**EXAMPLES["issue_refund"], db=db)
    assert refund == {"refunded": True, "refund_id": 2, "order_id": "ACME-1042",
                      "amount_cents": 999, "reason": "One pair of gloves arrived torn",
                      "created_at": "2025-06-05T12:30:00Z", "order_total_cents": 4497,
                      "refunded_total_cents": 999, "remaining_cents": 3498}
    assert changes(before, acme_db.dump(db)) == {"refunds": ([], [(
        2, "ACME-1042", 999, "One pair of gloves arrived torn", "2025-06-05T12:30:00Z")])}
    assert tools.get_order_status("ACME-1042", db=db)["refunded_cents"] == 999


def test_refund_limits(db):
    def refund(order_id, cents):
        return tools.issue_refund(order_id, cents, "Customer complaint", db=db)

    with pytest.raises(ToolError, match="4498 cents is more than is left to refund on "
                                        r"ACME-1042: 4497 cents \(total 4497, refunded before 0\)"):
        refund("ACME-1042", 4498)
    refund("ACME-1042", 4000)
    with pytest.raises(ToolError, match="498 cents is more than is left.*: 497 cents"):
        refund("ACME-1042", 498)
    assert refund("ACME-1042", 497)["remaining_cents"] == 0
    fingerprint = acme_db.fingerprint(db)
    for order_id, cents, message in [
            ("ACME-1042", 1, "already refunded in full"),
            ("ACME-1047", 100, "already refunded in full"),  # returned, refunded in the seed
            ("ACME-1045", 100, "is cancelled"),
            ("ACME-9999", 100, "no order has the ID"),
            ("ACME-1043", 0, "amount_cents must be between 1 and 100000"),
            ("ACME-1043", True, "amount_cents must be an integer"),
            ("ACME-1043", 12.5, "amount_cents must be an integer")]:
        with pytest.raises(ToolError, match=message):
            refund(order_id, cents)
    assert acme_db.fingerprint(db) == fingerprint


# --- call() ------------------------------------------------------------------------------------

def test_call_runs_every_tool_with_its_example(db):
    """Each example fits its schema, and call() passes it to the function by keyword."""
    for name, arguments in EXAMPLES.items():
        assert Draft202012Validator(TOOLS[name].parameters).is_valid(arguments), name
        result = call(name, json.dumps(arguments), db=db)
        json.dumps(result)
        assert result.get("found", True) is True, name
    assert call("get_order_status", {"order_id": "ACME-1043"}, db=db)["status"] == "delivered"


def test_read_tools_never_write(db):
    before = acme_db.fingerprint(db)
    for name, tool in TOOLS.items():
        if tool.kind == "read":
            call(name, EXAMPLES[name], db=db)
    assert acme_db.fingerprint(db) == before
    assert {n for n, t in TOOLS.items() if t.kind == "write"} == {
        "create_ticket", "schedule_callback", "issue_refund"}


@pytest.mark.parametrize("name, arguments, expected", [
    ("drop_tables", {}, ["unknown tool 'drop_tables', available: get_order_status, "
                         "get_customer"]),
    ("get_order_status", "ACME-1042", ["arguments for get_order_status are not valid JSON"]),
    ("get_order_status", "", ["not valid JSON"]),
    ("get_order_status", '["ACME-1042"]', ["must be a JSON object, got list"]),
    ("get_order_status", {}, ["(arguments): 'order_id' is a required property"]),
    ("get_order_status", {"order_id": 1042}, ["order_id: 1042 is not of type 'string'"]),
    ("get_order_status", {"order_id": "1; DROP TABLE orders"},
     ["order_id: '1; DROP TABLE orders' does not match '^ACME-[0-9]{4}$'"]),
    ("get_customer", {"email": "' OR 1=1 --"}, ["email: \"' OR 1=1 --\" does not match"]),
    ("get_order_status", {"order_id": "ACME-1042", "db": "/tmp/other.db"},
     ["Additional properties are not allowed ('db' was unexpected)"]),
    ("issue_refund", '{"order_id": "ACME-1042", "amount_cents": "999", "reason": "x"}',
     ["amount_cents: '999' is not of type 'integer'", "reason: 'x' is too short"]),
    ("issue_refund", {"order_id": "ACME-1042", "amount_cents": 100001, "reason": "Too much"},
     ["amount_cents: 100001 is greater than the maximum of 100000"]),
    ("search_products", {"query": "rake", "max_results": 5},
     ["'category' is a required property"]),
    ("search_products", {"query": "rake", "category": "power tools", "max_results": 50},
     ["category: 'power tools' is not one of", "max_results: 50 is greater than the maximum"]),
    ("create_ticket", {**EXAMPLES["create_ticket"], "priority": "asap", "order_id": "1042"},
     ["order_id: '1042' does not match", "priority: 'asap' is not one of"]),
    ("schedule_callback", {**EXAMPLES["schedule_callback"], "date": "06/06/2025"},
     ["date: '06/06/2025' does not match"]),
])
def test_call_rejects_bad_requests_and_changes_nothing(db, name, arguments, expected):
    before = acme_db.fingerprint(db)
    with pytest.raises(ToolError) as caught:
        call(name, arguments, db=db)
    for part in expected:
        assert part in str(caught.value), str(caught.value)
    assert acme_db.fingerprint(db) == before


def test_call_passes_tool_errors_and_wraps_other_exceptions(db, monkeypatch):
    with pytest.raises(ToolError, match="is cancelled"):
        call("issue_refund", {"order_id": "ACME-1045", "amount_cents": 100,
                              "reason": "Damaged in transit"}, db=db)

    def broken(**kwargs):
        raise KeyError("boom")

    original = TOOLS["get_customer"]
    monkeypatch.setitem(TOOLS, "get_customer", Tool(original.name, broken, original.description,
                                                    original.parameters, original.kind))
    with pytest.raises(ToolError, match="get_customer failed: KeyError: 'boom'"):
        call("get_customer", EXAMPLES["get_customer"], db=db)


def test_call_write_tool_changes_exactly_one_row(db):
    before = acme_db.dump(db)
    result = call("create_ticket", json.dumps({**EXAMPLES["create_ticket"], "order_id": None}),
                  db=db)
    assert result["ticket_id"] == "T-0003" and result["order_id"] is None
    diff = changes(before, acme_db.dump(db))
    assert list(diff) == ["tickets"] and diff["tickets"][0] == []
    assert [row[0] for row in diff["tickets"][1]] == ["T-0003"]


# --- schemas and the OpenAI definitions ----------------------------------------------------------

def walk(schema: object):
    """Every dict inside a schema, itself included."""
    if isinstance(schema, dict):
        yield schema
        for value in schema.values():
            yield from walk(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from walk(value)


@pytest.mark.parametrize("name", list(TOOLS))
def test_schema_is_valid_and_strict(name):
    tool = TOOLS[name]
    assert tool.name == name and tool.kind in ("read", "write")
    assert tool.description.endswith(".") and tool.description.count(". ") == 0
    Draft202012Validator.check_schema(tool.parameters)
    schema = tool.parameters
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert sorted(schema["required"]) == sorted(schema["properties"])
    for prop_name, prop in schema["properties"].items():
        assert prop["description"].endswith("."), prop_name
        types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
        if "string" in types:
            assert {"pattern", "enum", "maxLength"} & set(prop), f"{prop_name} is unbounded"
        if "integer" in types:
            assert "minimum" in prop and "maximum" in prop, prop_name
    assert not any("format" in node or "$ref" in node for node in walk(schema))


@pytest.mark.parametrize("name", list(TOOLS))
def test_schema_matches_the_function_signature(name):
    """call() passes exactly the schema's properties by keyword, plus db=."""
    parameters = inspect.signature(TOOLS[name].function).parameters
    properties = set(TOOLS[name].parameters["properties"])
    assert properties <= set(parameters) and "db" in parameters
    needed = {p.name for p in parameters.values() if p.default is inspect.Parameter.empty}
    assert needed <= properties
    assert all(parameters[p].kind is not inspect.Parameter.POSITIONAL_ONLY for p in properties)


def test_schemas_compile_for_xgrammar():
    """vLLM's default structured-output backend compiles every schema, alone and wrapped as vLLM
    wraps tools for ``tool_choice="required"``, with the served model's tokenizer (the
    compilation step is where a too-large pattern once failed, which vLLM answered with HTTP 500;
    ``Grammar.from_json_schema`` alone did not catch it). Matching is checked on examples.

    ``_is_grammar_accept_string`` is xgrammar's test helper (xgrammar.testing, 0.2.x).
    """
    import xgrammar as xgr
    import xgrammar.testing as testing
    from transformers import AutoTokenizer

    from vllm.tool_parsers.utils import get_json_schema_from_tools
    from vllm.entrypoints.openai.chat_completion.protocol import ChatCompletionToolsParam

    model = ROOT / ".workshop" / "models" / "SmolLM2-135M-Instruct"
    compiler = xgr.GrammarCompiler(xgr.TokenizerInfo.from_huggingface(AutoTokenizer.from_pretrained(model)))
    for name, tool in TOOLS.items():
        compiler.compile_json_schema(json.dumps(tool.parameters), any_whitespace=True)
        grammar = xgr.Grammar.from_json_schema(json.dumps(tool.parameters), strict_mode=True)
        assert testing._is_grammar_accept_string(grammar, json.dumps(EXAMPLES[name])), name
        extra = json.dumps({**EXAMPLES[name], "extra": 1})
        assert not testing._is_grammar_accept_string(grammar, extra), name
    params = [ChatCompletionToolsParam.model_validate(t) for t in tools.openai_tools()]
    required = get_json_schema_from_tools(tool_choice="required", tools=params, parallel_tool_calls=False)
    compiler.compile_json_schema(json.dumps(required), any_whitespace=True)


def test_openai_tools_shape():
    definitions = tools.openai_tools()
    assert [d["function"]["name"] for d in definitions] == list(TOOLS)
    for definition in definitions:
        assert definition["type"] == "function" and set(definition) == {"type", "function"}
        function = definition["function"]
        assert set(function) == {"name", "description", "parameters", "strict"}
        assert function["strict"] is True
        assert function["parameters"] == TOOLS[function["name"]].parameters
    json.dumps(definitions)
    definitions[0]["function"]["parameters"]["properties"].clear()  # a copy, not the registry
    assert TOOLS["get_order_status"].parameters["properties"]
    chosen = tools.openai_tools(["issue_refund", "get_order_status"], strict=False)
    assert [d["function"]["name"] for d in chosen] == ["issue_refund", "get_order_status"]
    assert chosen[0]["function"]["strict"] is False
    with pytest.raises(ToolError, match="unknown tool 'refund'"):
        tools.openai_tools(["refund"])


def test_tool_message():
    ok = tools.tool_message("call_1", {"found": True, "name": "李伟"})
    assert ok == {"role": "tool", "tool_call_id": "call_1",
                  "content": '{"found": true, "name": "李伟"}'}
    error = tools.tool_message("call_2", ToolError("order ACME-1045 is cancelled"))
    assert json.loads(error["content"]) == {"error": "order ACME-1045 is cancelled"}
    assert error["role"] == "tool" and error["tool_call_id"] == "call_2"


# --- the command line --------------------------------------------------------------------------

def run_db(*args: str, acme_db_path: Path, module: bool = False) -> subprocess.CompletedProcess:
    command = ([sys.executable, "-m", "acme.db"] if module
               else [sys.executable, str(ROOT / "labs" / "acme" / "db.py")])
    return subprocess.run([*command, *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "ACME_DB": str(acme_db_path)}, timeout=60)


def test_command_line_creates_and_resets(tmp_path):
    path = tmp_path / "cli" / "acme.db"
    created = run_db(acme_db_path=path)
    assert created.returncode == 0, created.stderr
    assert f"ready: {path}" in created.stdout and "orders" in created.stdout
    assert "10 rows" in created.stdout and created.stderr == ""
    tools.create_ticket(**EXAMPLES["create_ticket"], db=path)
    reset = run_db("--reset", acme_db_path=path, module=True)
    assert reset.returncode == 0 and reset.stderr == ""  # no runpy warning for -m acme.db
    assert f"reset: {path}" in reset.stdout
    assert acme_db.counts(path)["tickets"] == 2


@pytest.mark.parametrize("where", ["directory", "under_a_file", "foreign_file"])
def test_command_line_bad_path(tmp_path, where):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    path = {"directory": tmp_path, "under_a_file": blocker / "acme.db",
            "foreign_file": blocker}[where]
    result = run_db(acme_db_path=path)
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and " fix: " in lines[0], lines
    assert blocker.read_text() == "a file, not a folder"
