"""ACME Corp's support tools: one domain, three front doors.

The customer-support assistant never touches the database itself: it asks for a tool call, and
this module runs it. The same seven tools serve every front door of the workshop:

- Module 3, OpenAI tool calling: :func:`openai_tools` gives the ``tools=[...]`` of a chat
  completion request, :func:`call` runs a returned ``tool_call`` and :func:`tool_message` turns
  the result (or the error) into the ``{"role": "tool", ...}`` message sent back to the model;
- Module 4, the MCP server: each :class:`Tool` in :data:`TOOLS` becomes an MCP tool with the same
  name, description and ``parameters`` as its input schema (``kind == "read"``: read-only);
- the web chat app: the same calls, through either door.

Read tools (``get_order_status``, ``get_customer``, ``search_products``, ``search_faq``) never
write. Nothing found is a normal result, ``{"found": false, ...}``, which the model can tell the
customer about. Write tools (``create_ticket``, ``schedule_callback``, ``issue_refund``) check the
business rules inside one transaction and raise :class:`ToolError` with a readable message for a
request they refuse (unknown customer or order, refund above what is left, ...): sent back to the
model, the message says what to change. Money is always in integer cents (``2499`` is 24.99 USD).

Each tool's ``parameters`` is a JSON Schema written for strict constrained decoding (vLLM with
xgrammar): an object whose properties are all ``required``, ``additionalProperties: false``,
patterns for IDs, emails and dates, enums for categories and bounds for numbers and text.
:func:`call` validates model arguments against it (``jsonschema``, draft 2020-12) before the
function runs, so a model without constrained decoding cannot slip past it either.

Every function takes ``db=None`` (keyword): the database file, default ``acme.db.db_path()``;
the database is created on first use. Values only ever reach SQL as ``?`` parameters.
"""
from __future__ import annotations

import copy
import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import date as Date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

from jsonschema import Draft202012Validator

from . import db as acme_db

DbPath = str | os.PathLike | None

ORDER_ID_PATTERN = r"^ACME-[0-9]{4}$"
# Bounded parts keep the decoding grammar small. A single `[a-z0-9.-]{1,190}` for the domain made
# xgrammar 0.2.8 fail to compile the grammar (an internal check in grammar_functor.cc), which
# vLLM answered with HTTP 500: labels of at most 63 characters, as DNS has them, compile.
EMAIL_PATTERN = r"^[a-z0-9._%+-]{1,64}@[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})*\.[a-z]{2,24}$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
MAX_REFUND_CENTS = 100_000  # 1,000.00 USD: larger refunds are for a human
FAQ_DIR = Path(__file__).with_name("faq")


class ToolError(Exception):
    """A tool request that cannot be carried out; the message says why and what to send instead."""


# ---------------------------------------------------------------------------------------------
# Argument checks for direct calls (call() has already checked the schema; these keep the
# functions safe when a lab calls them directly).

def _text(name: str, value: object, min_len: int, max_len: int) -> str:
    """``value`` stripped, or :class:`ToolError` unless it is a string of min..max characters."""
    if not isinstance(value, str):
        raise ToolError(f"{name} must be a string, got {type(value).__name__}")
    value = value.strip()
    if not min_len <= len(value) <= max_len:
        raise ToolError(f"{name} must be {min_len} to {max_len} characters, got {len(value)}")
    return value


def _choice(name: str, value: object, choices: Iterable[str]) -> str:
    """``value`` if it is one of ``choices``, else :class:`ToolError` listing them."""
    choices = tuple(choices)
    if value not in choices:
        raise ToolError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value  # type: ignore[return-value]


def _key(name: str, value: object, upper: bool = False) -> str:
    """A lookup key (order ID, email): stripped and case-folded; :class:`ToolError` if not str."""
    if not isinstance(value, str):
        raise ToolError(f"{name} must be a string, got {type(value).__name__}")
    return value.strip().upper() if upper else value.strip().lower()


def _integer(name: str, value: object, minimum: int, maximum: int) -> int:
    """``value`` if it is an integer (not a bool) in minimum..maximum, else :class:`ToolError`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ToolError(f"{name} must be an integer, got {value!r}")
    if not minimum <= value <= maximum:
        raise ToolError(f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


def _order_money(conn: sqlite3.Connection, order_id: str) -> tuple[int, int]:
    """``(total_cents, refunded_cents)`` of an order: the sum of its items at the prices paid,
    and the sum of its refunds so far."""
    total = conn.execute("SELECT COALESCE(SUM(qty * unit_price_cents), 0) FROM order_items "
                         "WHERE order_id = ?", (order_id,)).fetchone()[0]
    refunded = conn.execute("SELECT COALESCE(SUM(amount_cents), 0) FROM refunds "
                            "WHERE order_id = ?", (order_id,)).fetchone()[0]
    return total, refunded


def _customer_id(conn: sqlite3.Connection, email: str) -> int:
    """The id of the customer with ``email``, or :class:`ToolError` when there is none."""
    row = conn.execute("SELECT id FROM customers WHERE email = ?", (email,)).fetchone()
    if row is None:
        raise ToolError(f"no customer has the email {email!r}; check the address with "
                        "get_customer before writing anything")
    return row["id"]


# ---------------------------------------------------------------------------------------------
# Read tools

def get_order_status(order_id: str, *, db: DbPath = None) -> dict:
    """Status, shipping and contents of one order.

    ``order_id`` like ``ACME-1042`` (case and surrounding spaces are ignored). Returns
    ``{"found": true, "order_id", "status", "placed_on", "shipped_on", "carrier", "tracking",
    "items": [{"sku", "name", "qty", "unit_price_cents"}], "total_cents", "refunded_cents"}``
    (``shipped_on``/``carrier``/``tracking`` are null until shipped), or ``{"found": false,
    "order_id", "message"}``. Raises :class:`ToolError` only if ``order_id`` is not a string.
    """
    order_id = _key("order_id", order_id, upper=True)
    with closing(acme_db.connect(db)) as conn:
        order = conn.execute("SELECT order_id, status, placed_on, shipped_on, carrier, tracking "
                             "FROM orders WHERE order_id = ?", (order_id,)).fetchone()
        if order is None:
            return {"found": False, "order_id": order_id,
                    "message": "no order has this ID; ACME order IDs look like ACME-1042"}
        items = conn.execute("SELECT i.sku, p.name, i.qty, i.unit_price_cents "
                             "FROM order_items AS i JOIN products AS p ON p.sku = i.sku "
                             "WHERE i.order_id = ? ORDER BY i.sku", (order_id,)).fetchall()
        total, refunded = _order_money(conn, order_id)
    return {"found": True, **dict(order), "items": [dict(item) for item in items],
            "total_cents": total, "refunded_cents": refunded}


def get_customer(email: str, *, db: DbPath = None) -> dict:
    """A customer's account, orders and open tickets, looked up by email (case-insensitive).

    Returns ``{"found": true, "customer_id", "name", "email", "phone", "tier", "orders":
    [{"order_id", "status", "placed_on", "total_cents"}] (newest first), "open_tickets":
    [{"ticket_id", "order_id", "category", "priority", "summary", "created_at"}]}``, or
    ``{"found": false, "email", "message"}``. Raises :class:`ToolError` only for a non-string.
    """
    email = _key("email", email)
    with closing(acme_db.connect(db)) as conn:
        customer = conn.execute("SELECT id AS customer_id, name, email, phone, tier "
                                "FROM customers WHERE email = ?", (email,)).fetchone()
        if customer is None:
            return {"found": False, "email": email,
                    "message": "no customer has this email; ask the customer to check it"}
        orders = conn.execute(
            "SELECT o.order_id, o.status, o.placed_on, "
            "COALESCE(SUM(i.qty * i.unit_price_cents), 0) AS total_cents "
            "FROM orders AS o LEFT JOIN order_items AS i ON i.order_id = o.order_id "
            "WHERE o.customer_id = ? GROUP BY o.order_id ORDER BY o.placed_on DESC, o.order_id",
            (customer["customer_id"],)).fetchall()
        tickets = conn.execute(
            "SELECT ticket_id, order_id, category, priority, summary, created_at FROM tickets "
            "WHERE customer_email = ? AND status = 'open' ORDER BY ticket_id", (email,)).fetchall()
    return {"found": True, **dict(customer), "orders": [dict(o) for o in orders],
            "open_tickets": [dict(t) for t in tickets]}


_STOPWORDS = frozenset(
    "a an and are at be can do does for from get has have how i if in is it my me of on or our "
    "the to what when where which will with you your".split())


def _words(text: str) -> list[str]:
    """Lower-case words of ``text`` without stopwords, plural ``s`` dropped (``rakes``->``rake``)."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
            for w in words if w not in _STOPWORDS]


def search_products(query: str, category: str | None = None, max_results: int = 5, *,
                    db: DbPath = None) -> dict:
    """Products whose name, category or SKU share words with ``query``, best match first.

    ``category``: one of ``acme.db.PRODUCT_CATEGORIES`` or ``None`` for all; ``max_results``:
    1 to 10. Returns ``{"found", "query", "category", "results": [{"sku", "name", "category",
    "price_cents", "stock", "in_stock"}]}`` (``found`` is false when nothing matches).
    Raises :class:`ToolError` for an unknown category or an out-of-range ``max_results``.
    """
    query = _text("query", query, 1, 100)
    if category is not None:
        _choice("category", category, acme_db.PRODUCT_CATEGORIES)
    max_results = _integer("max_results", max_results, 1, 10)
    wanted = set(_words(query))
    with closing(acme_db.connect(db)) as conn:
        if category is None:
            rows = conn.execute("SELECT * FROM products ORDER BY sku").fetchall()
        else:
            rows = conn.execute("SELECT * FROM products WHERE category = ? ORDER BY sku",
                                (category,)).fetchall()
    scored = []
    for row in rows:
        score = len(wanted & set(_words(f"{row['name']} {row['category']} {row['sku']}")))
        score += 10 if query.upper() == row["sku"] else 0
        if score:
            scored.append((-score, row["sku"], row))
    results = [{**dict(row), "in_stock": row["stock"] > 0}
               for _, _, row in sorted(scored, key=lambda s: s[:2])[:max_results]]
    answer = {"found": bool(results), "query": query, "category": category, "results": results}
    if not results:
        answer["message"] = ("no product matches; categories are "
                             + ", ".join(acme_db.PRODUCT_CATEGORIES))
    return answer


def faq_documents() -> list[dict]:
    """The FAQ pages in ``acme/faq/``: ``[{"name": "refunds.md", "title": "Refunds: getting
    your money back", "text": <markdown>}, ...]`` sorted by name; the title is the page's first
    ``# `` heading. (For the MCP server's resources and the web app's help page.)"""
    return [dict(doc) for doc in _faq()]


@cache
def _faq() -> tuple[dict, ...]:
    """The FAQ pages, read once per process (they ship with the package and do not change)."""
    docs = []
    for path in sorted(FAQ_DIR.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")),
                     path.stem)
        docs.append({"name": path.name, "title": title, "text": text})
    return tuple(docs)


def _excerpt(text: str, wanted: set[str], limit: int = 200) -> str:
    """The paragraph of ``text`` sharing most words with ``wanted``, cut to ``limit`` characters."""
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n")
                  if p.strip() and not p.startswith("# ")]
    best = max(paragraphs, key=lambda p: len(wanted & set(_words(p))), default="")
    return best if len(best) <= limit else best[:limit].rsplit(" ", 1)[0] + " ..."


def search_faq(query: str, max_results: int = 3, *, db: DbPath = None) -> dict:
    """FAQ pages ranked by keyword overlap with ``query`` (title words count 3, body words 1).

    ``max_results``: 1 to 5. Returns ``{"found", "query", "results": [{"name": "refunds.md",
    "title", "excerpt" (the best-matching paragraph, at most about 200 characters), "score"}]}``,
    best first; ``found`` is false when no page shares a word with the query. The FAQ is files,
    not database rows: ``db`` is accepted like every tool's and not used.
    """
    query = _text("query", query, 1, 200)
    max_results = _integer("max_results", max_results, 1, 5)
    wanted = set(_words(query))
    scored = []
    for doc in _faq():
        title_words = set(_words(doc["title"]))
        body_words = _words(doc["text"])
        score = sum(3 * (w in title_words) + min(body_words.count(w), 3) for w in wanted)
        if score:
            scored.append((-score, doc["name"], doc))
    results = [{"name": doc["name"], "title": doc["title"],
                "excerpt": _excerpt(doc["text"], wanted), "score": -neg}
               for neg, _, doc in sorted(scored, key=lambda s: s[:2])[:max_results]]
    return {"found": bool(results), "query": query, "results": results}


# ---------------------------------------------------------------------------------------------
# Write tools

def create_ticket(customer_email: str, category: str, priority: str, summary: str,
                  order_id: str | None = None, *, db: DbPath = None,
                  now: datetime | None = None) -> dict:
    """Open a support ticket for a known customer; the ID is the next free ``T-NNNN``.

    ``category``: billing/shipping/product/account/other; ``priority``: low/medium/high/urgent;
    ``summary``: 5 to 200 characters; ``order_id``: ``None`` or one of this customer's orders;
    ``now``: the creation time (default :func:`acme.db.utc_now`). Inserts one ``tickets`` row
    and returns ``{"created": true, "ticket_id", "status": "open", "customer_email", "order_id",
    "category", "priority", "summary", "created_at"}``. Raises :class:`ToolError` for an unknown
    customer or order, an order of another customer, or an invalid field.
    """
    email = _key("customer_email", customer_email)
    _choice("category", category, acme_db.TICKET_CATEGORIES)
    _choice("priority", priority, acme_db.PRIORITIES)
    summary = _text("summary", summary, 5, 120)
    order_id = None if order_id is None else _key("order_id", order_id, upper=True)
    created_at = acme_db.timestamp(now or acme_db.utc_now())
    with closing(acme_db.connect(db)) as conn, acme_db.transaction(conn):
        customer_id = _customer_id(conn, email)
        if order_id is not None:
            order = conn.execute("SELECT customer_id FROM orders WHERE order_id = ?",
                                 (order_id,)).fetchone()
            if order is None:
                raise ToolError(f"no order has the ID {order_id!r}; use null when the ticket "
                                "is not about a particular order")
            if order["customer_id"] != customer_id:
                raise ToolError(f"order {order_id} is not an order of {email}; check the "
                                "customer's orders with get_customer")
        number = conn.execute("SELECT COALESCE(MAX(CAST(substr(ticket_id, 3) AS INTEGER)), 0) "
                              "+ 1 FROM tickets").fetchone()[0]
        ticket = {"ticket_id": f"T-{number:04d}", "status": "open", "customer_email": email,
                  "order_id": order_id, "category": category, "priority": priority,
                  "summary": summary, "created_at": created_at}
        conn.execute("INSERT INTO tickets (ticket_id, customer_email, order_id, category, "
                     "priority, summary, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (ticket["ticket_id"], email, order_id, category, priority, summary,
                      "open", created_at))
    return {"created": True, **ticket}


def schedule_callback(customer_email: str, date: str, slot: str, reason: str, *,
                      db: DbPath = None, now: datetime | None = None) -> dict:
    """Book a phone call from support to a known customer.

    ``date``: ``YYYY-MM-DD``, today (UTC, from ``now``, default :func:`acme.db.utc_now`) or later;
    ``slot``: morning/afternoon/evening; ``reason``: 5 to 200 characters. Inserts one
    ``callbacks`` row and returns ``{"scheduled": true, "callback_id", "customer_email", "date",
    "slot", "reason"}``. Raises :class:`ToolError` for an unknown customer, a date that is not a
    real calendar date or is in the past, or a slot the customer has already booked that day.
    """
    email = _key("customer_email", customer_email)
    if not isinstance(date, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", date):
        raise ToolError(f"date must be YYYY-MM-DD, got {date!r}")
    try:
        day = Date.fromisoformat(date)
    except ValueError:
        raise ToolError(f"date {date} is not a calendar date") from None
    today = (now or acme_db.utc_now()).date()
    if day < today:
        raise ToolError(f"date {date} is in the past (today is {today.isoformat()} UTC); "
                        "choose today or a later date")
    _choice("slot", slot, acme_db.SLOTS)
    reason = _text("reason", reason, 5, 120)
    with closing(acme_db.connect(db)) as conn, acme_db.transaction(conn):
        _customer_id(conn, email)
        booked = conn.execute("SELECT id FROM callbacks WHERE customer_email = ? AND date = ? "
                              "AND slot = ?", (email, date, slot)).fetchone()
        if booked is not None:
            raise ToolError(f"{email} already has callback {booked['id']} on {date} ({slot}); "
                            "choose another slot or date")
        cursor = conn.execute("INSERT INTO callbacks (customer_email, date, slot, reason) "
                              "VALUES (?, ?, ?, ?)", (email, date, slot, reason))
    return {"scheduled": True, "callback_id": cursor.lastrowid, "customer_email": email,
            "date": date, "slot": slot, "reason": reason}


def issue_refund(order_id: str, amount_cents: int, reason: str, *, db: DbPath = None,
                 now: datetime | None = None) -> dict:
    """Refund part or all of an order to the original payment method.

    ``amount_cents``: integer cents, 1 to ``MAX_REFUND_CENTS`` (100000), and at most the
    order's total minus its earlier refunds; ``reason``: 5 to 200 characters; ``now``: the
    refund time (default :func:`acme.db.utc_now`). Inserts one ``refunds`` row and returns
    ``{"refunded": true, "refund_id", "order_id", "amount_cents", "reason", "created_at",
    "order_total_cents", "refunded_total_cents", "remaining_cents"}`` (totals after this
    refund). Raises :class:`ToolError` for an unknown or cancelled order, or too large an amount.
    """
    order_id = _key("order_id", order_id, upper=True)
    amount = _integer("amount_cents", amount_cents, 1, MAX_REFUND_CENTS)
    reason = _text("reason", reason, 5, 120)
    created_at = acme_db.timestamp(now or acme_db.utc_now())
    with closing(acme_db.connect(db)) as conn, acme_db.transaction(conn):
        order = conn.execute("SELECT status FROM orders WHERE order_id = ?",
                             (order_id,)).fetchone()
        if order is None:
            raise ToolError(f"no order has the ID {order_id!r}; check it with get_order_status")
        if order["status"] == "cancelled":
            raise ToolError(f"order {order_id} is cancelled: it was never charged, so there is "
                            "nothing to refund")
        total, refunded = _order_money(conn, order_id)
        left = total - refunded
        if left <= 0:
            raise ToolError(f"order {order_id} is already refunded in full ({refunded} cents)")
        if amount > left:
            raise ToolError(f"{amount} cents is more than is left to refund on {order_id}: "
                            f"{left} cents (total {total}, refunded before {refunded})")
        cursor = conn.execute("INSERT INTO refunds (order_id, amount_cents, reason, created_at) "
                              "VALUES (?, ?, ?, ?)", (order_id, amount, reason, created_at))
    return {"refunded": True, "refund_id": cursor.lastrowid, "order_id": order_id,
            "amount_cents": amount, "reason": reason, "created_at": created_at,
            "order_total_cents": total, "refunded_total_cents": refunded + amount,
            "remaining_cents": left - amount}


# ---------------------------------------------------------------------------------------------
# Schemas and the registry

def _object(**properties: dict) -> dict:
    """A strict object schema: every property required, nothing else allowed."""
    return {"type": "object", "properties": properties, "required": list(properties),
            "additionalProperties": False}


def _order_id(description: str) -> dict:
    return {"type": "string", "pattern": ORDER_ID_PATTERN, "description": description}


def _email(description: str) -> dict:
    return {"type": "string", "pattern": EMAIL_PATTERN, "description": description}


def _free_text(description: str, min_len: int, max_len: int) -> dict:
    return {"type": "string", "minLength": min_len, "maxLength": max_len,
            "description": description}


@dataclass(frozen=True)
class Tool:
    """One tool: ``function(**arguments, db=...)`` returns a JSON-serialisable dict.

    ``parameters`` is the strict JSON Schema of ``arguments``; ``kind`` is ``"read"`` (never
    writes) or ``"write"`` (changes the database, so a front door may ask before running it).
    """

    name: str
    function: Callable[..., dict]
    description: str
    parameters: dict
    kind: Literal["read", "write"]


# --8<-- [start:registry]
TOOLS: dict[str, Tool] = {tool.name: tool for tool in [
    Tool("get_order_status", get_order_status,
         "Look up an ACME order by its ID and return its status, carrier, tracking number, "
         "items and total in cents.",
         _object(order_id=_order_id("The order ID exactly as the customer wrote it, "
                                    "e.g. ACME-1234.")),
         "read"),
    Tool("get_customer", get_customer,
         "Look up a customer account by email and return the name, tier, orders and open "
         "support tickets.",
         _object(email=_email("The customer's email address in lower case, "
                              "e.g. name@example.com.")),
         "read"),
    Tool("search_products", search_products,
         "Search ACME's garden tool catalogue by keywords and return matching products with "
         "price in cents and stock.",
         _object(
             query=_free_text("Keywords describing the product, e.g. 'hose' or 'pruning "
                              "shears'.", 1, 100),
             category={"type": ["string", "null"],
                       "enum": [*acme_db.PRODUCT_CATEGORIES, None],
                       "description": "Only search this product category, or null to search "
                                      "all categories."},
             max_results={"type": "integer", "minimum": 1, "maximum": 10,
                          "description": "The most products to return, 1 to 10; use 5 "
                                         "unless the customer wants more."}),
         "read"),
    Tool("search_faq", search_faq,
         "Search ACME's help articles (returns, shipping, warranty, refunds, order tracking, "
         "password reset) and return the best matching excerpts.",
         _object(
             query=_free_text("The customer's question or its keywords, e.g. 'how long does "
                              "shipping take'.", 1, 200),
             max_results={"type": "integer", "minimum": 1, "maximum": 5,
                          "description": "The most articles to return, 1 to 5; use 3 "
                                         "unless told otherwise."}),
         "read"),
    # --8<-- [start:create_ticket]
    Tool("create_ticket", create_ticket,
         "Open a support ticket for a known customer when a human must follow up; returns "
         "the new ticket ID.",
         _object(
             customer_email=_email("The email address of the customer's account, in lower "
                                   "case."),
             category={"type": "string", "enum": list(acme_db.TICKET_CATEGORIES),
                       "description": "What the problem is about: billing, shipping, product, "
                                      "account or other."},
             priority={"type": "string", "enum": list(acme_db.PRIORITIES),
                       "description": "How soon a human must act: low, medium, high or "
                                      "urgent."},
             summary=_free_text("The problem in one sentence, for the support agent.", 5, 120),
             order_id={"type": ["string", "null"], "pattern": ORDER_ID_PATTERN,
                       "description": "The order the ticket is about, e.g. ACME-1234, or null "
                                      "if it is not about one order."}),
         "write"),
    # --8<-- [end:create_ticket]
    Tool("schedule_callback", schedule_callback,
         "Book a phone call from ACME support to a known customer on a given day and time "
         "slot.",
         _object(
             customer_email=_email("The email address of the customer's account, in lower "
                                   "case."),
             date={"type": "string", "pattern": DATE_PATTERN,
                   "description": "The day of the call as YYYY-MM-DD, today or later."},
             slot={"type": "string", "enum": list(acme_db.SLOTS),
                   "description": "The time of day: morning (9-12), afternoon (12-17) or "
                                  "evening (17-20)."},
             reason=_free_text("What the customer wants to discuss, in one sentence.", 5,
                               120)),
         "write"),
    Tool("issue_refund", issue_refund,
         "Refund part or all of an order to the original payment method; the amount is in "
         "cents and cannot exceed what is left to refund.",
         _object(
             order_id=_order_id("The ID of the order to refund, e.g. ACME-1234."),
             amount_cents={"type": "integer", "minimum": 1, "maximum": MAX_REFUND_CENTS,
                           "description": "The amount to refund in US cents, e.g. 2499 for "
                                          "24.99 USD."},
             reason=_free_text("Why the refund is given, in one sentence.", 5, 120)),
         "write"),
]}
# --8<-- [end:registry]



def _validator(schema: dict) -> Draft202012Validator:
    """A validator for ``schema``; a broken schema fails at import, not in front of a learner."""
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


_VALIDATORS = {name: _validator(tool.parameters) for name, tool in TOOLS.items()}


def openai_tools(names: Iterable[str] | None = None, strict: bool = True) -> list[dict]:
    """Tool definitions for ``client.chat.completions.create(tools=...)``.

    ``names``: which tools, in that order (default all, in :data:`TOOLS` order; one name may be
    a plain string). Each item is ``{"type": "function", "function": {"name", "description",
    "parameters", "strict"}}``, a fresh copy that the caller may change; ``strict=True`` asks
    the server to constrain the arguments to ``parameters``. Raises :class:`ToolError` for an
    unknown name.
    """
    chosen = list(TOOLS) if names is None else [names] if isinstance(names, str) else list(names)
    for name in chosen:
        _tool(name)
    return [{"type": "function",
             "function": {"name": name, "description": TOOLS[name].description,
                          "parameters": copy.deepcopy(TOOLS[name].parameters),
                          "strict": strict}}
            for name in chosen]


def _tool(name: str) -> Tool:
    if name not in TOOLS:
        raise ToolError(f"unknown tool {name!r}, available: {', '.join(TOOLS)}")
    return TOOLS[name]


def schema_errors(name: str, arguments: object) -> list[str]:
    """Every way ``arguments`` break tool ``name``'s schema, as ``"<path>: <message>"``
    (``(arguments)`` for the object itself); ``[]`` when they fit."""
    errors = sorted(_VALIDATORS[_tool(name).name].iter_errors(arguments),
                    key=lambda e: [str(p) for p in e.path])
    return [f"{'/'.join(map(str, e.path)) or '(arguments)'}: {e.message}" for e in errors]


# --8<-- [start:call]
def call(name: str, arguments: str | dict, db: DbPath = None) -> dict:
    """Run tool ``name`` with ``arguments`` (the model's JSON string, or a dict); return its dict.

    Raises :class:`ToolError` when the tool is unknown, the arguments are not a JSON object or
    break the tool's schema (every problem listed with its path), or the tool refuses the
    request; any other exception from the tool becomes a :class:`ToolError` naming its type.
    The arguments are passed by keyword, never by position.
    """
    tool = _tool(name)
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError as exc:
            raise ToolError(f"arguments for {name} are not valid JSON ({exc}): "
                            f"{arguments[:200]!r}") from None
    if not isinstance(arguments, dict):
        raise ToolError(f"arguments for {name} must be a JSON object, "
                        f"got {type(arguments).__name__}")
    errors = schema_errors(name, arguments)
    if errors:
        raise ToolError(f"arguments for {name} break its schema: " + "; ".join(errors))
    try:
        return tool.function(**arguments, db=db)
    except ToolError:
        raise
    except Exception as exc:  # noqa: BLE001 - the model gets a message, the caller a ToolError
        raise ToolError(f"{name} failed: {type(exc).__name__}: {exc}") from exc
# --8<-- [end:call]


def tool_message(tool_call_id: str, result_or_error: dict | BaseException) -> dict:
    """The ``{"role": "tool", "tool_call_id", "content"}`` message that answers one tool call.

    ``content`` is the result as a JSON string, or ``{"error": "<message>"}`` for an exception
    (normally the :class:`ToolError` from :func:`call`), so the model can read what went wrong.
    """
    if isinstance(result_or_error, BaseException):
        payload: Any = {"error": str(result_or_error)}
    else:
        payload = result_or_error
    return {"role": "tool", "tool_call_id": tool_call_id,
            "content": json.dumps(payload, ensure_ascii=False)}


# --8<-- [start:main]
def main(argv: list[str] | None = None) -> int:
    """``python -m acme.tools [NAME]``: list the tools (kind and description); with a tool's
    name, print its OpenAI tool definition (the JSON sent in ``tools=[...]``). ``--help`` says
    so; an unknown name or option is one ``error: ... fix: ...``, exit status 2."""
    import sys

    import workshop

    parser = workshop.ArgumentParser(
        prog="python -m acme.tools", description="List ACME's support tools, or print one "
        "tool's OpenAI definition: the JSON your code sends in tools=[...].")
    parser.add_argument("name", nargs="?", help="a tool's name (without it: the list of tools)")
    args = parser.parse_args(argv)
    if args.name:
        try:
            print(json.dumps(openai_tools(args.name)[0], indent=2))
        except ToolError as err:
            print(f"error: {err}\n  fix: python -m acme.tools lists the names", file=sys.stderr)
            return 2
        return 0
    for tool in TOOLS.values():
        print(f"{tool.name:18} {tool.kind:5} {tool.description[:70]}...")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
# --8<-- [end:main]
