"""Module 4 lab: ACME's MCP server: the same tools as Module 3, for any MCP client.

Run (stdio, the way an MCP client starts it): ``python labs/module4/acme_mcp_server.py``
Run over streamable HTTP (``http://127.0.0.1:PORT/mcp``):
``python labs/module4/acme_mcp_server.py --http --port PORT``

Built with the official MCP Python SDK (``mcp`` 2.x: ``from mcp.server import MCPServer``). It
offers the three MCP primitives over ACME's domain (``labs/acme/``, the same functions and the same
SQLite database as Module 3):

- **tools**: reads (``get_order_status``, ``get_customer``, ``search_faq``), marked
  ``readOnlyHint``; writes (``create_ticket``, ``issue_refund``), marked ``destructiveHint``.
  Their input schemas come from the type hints (``Annotated[..., Field(...)]``): patterns for IDs
  and emails, enums for categories, bounds for text and amounts. ``issue_refund`` also asks the
  person at the client to confirm, through MCP *elicitation* (``ctx.elicit``), before it writes;
  a client that cannot ask (no elicitation capability) gets an error result saying so, and
  nothing is paid;
- **resources**: ACME's help articles, ``acme://faq/{name}`` (for example
  ``acme://faq/refunds.md``), and their index ``acme://faq``;
- **prompts**: ``support_reply``, a ready-made prompt for answering a customer message.

A tool that refuses a request (unknown customer, refund above what is left) answers with an error
result (``is_error``) carrying the reason, which the client passes to the model; arguments that
break the schema are refused by the SDK before the function runs.
Environment: ``ACME_DB`` selects the database (default ``.workshop/acme/acme.db``).
"""
from __future__ import annotations

import workshop
import argparse
import errno
import json
import socket
import sys
from typing import Annotated, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError
from mcp_types import ClientCapabilities, ElicitationCapability, ToolAnnotations
from pydantic import BaseModel, Field

from acme import tools as acme

# --8<-- [start:server]
mcp = MCPServer("acme", log_level="WARNING", instructions="ACME Corp's customer support tools: orders, customers, "
                "help articles, tickets and refunds. Money is in US cents.")

OrderId = Annotated[str, Field(pattern=acme.ORDER_ID_PATTERN,
                               description="An ACME order ID, e.g. ACME-1234.")]
Email = Annotated[str, Field(pattern=acme.EMAIL_PATTERN,
                             description="The customer's email address, in lower case.")]
READ = ToolAnnotations(readOnlyHint=True)
WRITE = ToolAnnotations(readOnlyHint=False, destructiveHint=True)


def refusing(function, *args):
    """Run an ACME function; its refusal becomes the SDK's ``ToolError``, whose message the client
    sees (any other exception stays on the server, and the client only learns that it failed)."""
    try:
        return function(*args)
    except acme.ToolError as exc:
        raise ToolError(str(exc)) from None


@mcp.tool(annotations=READ)
def get_order_status(order_id: OrderId) -> dict:
    """Look up an ACME order: status, carrier, tracking number, items and total in cents."""
    return acme.get_order_status(order_id)


@mcp.tool(annotations=READ)
def get_customer(email: Email) -> dict:
    """Look up a customer account by email: name, tier, orders and open support tickets."""
    return acme.get_customer(email)


@mcp.tool(annotations=READ)
def search_faq(query: Annotated[str, Field(min_length=1, max_length=200,
                                           description="The customer's question or keywords.")],
               max_results: Annotated[int, Field(ge=1, le=5, description="At most this many "
                                                 "articles, 1 to 5.")] = 3) -> dict:
    """Search ACME's help articles (returns, shipping, warranty, refunds, order tracking,
    passwords) and return the best matching excerpts."""
    return acme.search_faq(query, max_results)
# --8<-- [end:server]


# --8<-- [start:writes]
@mcp.tool(annotations=WRITE)
def create_ticket(customer_email: Email,
                  category: Literal["billing", "shipping", "product", "account", "other"],
                  priority: Literal["low", "medium", "high", "urgent"],
                  summary: Annotated[str, Field(min_length=5, max_length=120,
                                                description="The problem in one sentence.")],
                  order_id: OrderId | None = None) -> dict:
    """Open a support ticket for a known customer, for a human to follow up; returns its ID."""
    return refusing(acme.create_ticket, customer_email, category, priority, summary, order_id)


class RefundConfirmation(BaseModel):
    """What the person at the client answers when a refund asks for confirmation."""

    confirm: bool = Field(description="true to pay the refund now")


@mcp.tool(annotations=WRITE)
async def issue_refund(order_id: OrderId,
                       amount_cents: Annotated[int, Field(ge=1, le=acme.MAX_REFUND_CENTS,
                                                          description="The amount in US cents.")],
                       reason: Annotated[str, Field(min_length=5, max_length=120,
                                                    description="Why, in one sentence.")],
                       ctx: Context) -> dict:
    """Refund part of an order to the original payment method, after the person confirms."""
    cannot_ask = ("a person must confirm a refund, and this MCP client cannot ask one (it does not "
                  "support elicitation); nothing was paid. Use a client that supports elicitation.")
    if not ctx.request_context.session.check_client_capability(
            ClientCapabilities(elicitation=ElicitationCapability())):
        raise ToolError(cannot_ask)
    try:
        answer = await ctx.elicit(
            message=f"Refund {amount_cents / 100:.2f} USD on order {order_id} ({reason})?",
            schema=RefundConfirmation)
    except MCPError as exc:  # declared the capability, but the question did not reach a person
        raise ToolError(f"{cannot_ask} ({exc})") from None
    if answer.action != "accept" or not answer.data.confirm:
        return {"refunded": False, "order_id": order_id,
                "message": f"the refund was not confirmed ({answer.action}); nothing was paid"}
    return refusing(acme.issue_refund, order_id, amount_cents, reason)
# --8<-- [end:writes]


# --8<-- [start:resources]
@mcp.resource("acme://faq", mime_type="application/json")
def faq_index() -> str:
    """The list of ACME's help articles: name and title."""
    return json.dumps([{"name": d["name"], "title": d["title"]} for d in acme.faq_documents()])


@mcp.resource("acme://faq/{name}", mime_type="text/markdown")
def faq_article(name: str) -> str:
    """One help article, as Markdown (``name`` from ``acme://faq``, e.g. ``refunds.md``)."""
    for doc in acme.faq_documents():
        if doc["name"] == name:
            return doc["text"]
    raise ValueError(f"no help article named {name!r}; acme://faq lists them")


@mcp.prompt()
def support_reply(customer_message: str) -> str:
    """A prompt for answering a customer message with ACME's tools and tone."""
    return ("You are ACME Corp's support assistant. Look up orders and customers with the "
            "tools before you answer, never invent details, and answer in at most three "
            f"friendly sentences.\n\nCustomer message: {customer_message}")
# --8<-- [end:resources]


def port_number(text: str) -> int:
    """``--port``'s type: a TCP port, 1 to 65535 (0 would mean "any", which no client can find)."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: give one from 1 to 65535")
    return int(text)


def can_listen(host: str, port: int) -> None:
    """Check that ``host:port`` is free to listen on, as uvicorn will bind it (``SO_REUSEADDR``);
    raise :class:`SystemExit` (2) with one ``error: ... fix: ...`` otherwise. Without this a taken
    port or an address this machine lacks ended in uvicorn's ``ERROR: [Errno 98] ...`` (exit 3,
    no fix), and a port above 65535 in a traceback."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        reason = (exc.strerror or str(exc))
        reason = reason[:1].lower() + reason[1:]
        fix = ("--port $(python3 scripts/server.py free-port)  (a port nothing else uses)"
               if exc.errno == errno.EADDRINUSE else
               "--host 127.0.0.1 (this machine only), or an address of this machine (hostname -I)")
        print(f"error: cannot serve on {host}:{port}: {reason}\n  fix: {fix}", file=sys.stderr)
        raise SystemExit(2) from None


def main(argv: list[str] | None = None) -> int:
    """Serve over stdio (default) or streamable HTTP (``--http --port N``); a bad ``--port`` or
    ``--host``, or either without ``--http``, is one ``error: ... fix: ...`` and exit 2."""
    ap = workshop.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--http", action="store_true", help="serve streamable HTTP at /mcp")
    ap.add_argument("--host", help="with --http (default 127.0.0.1)")
    ap.add_argument("--port", type=port_number, help="with --http (required)")
    args = ap.parse_args(argv)
    if args.http:
        if not args.port:
            print("error: --http needs --port\n  fix: --port $(python3 scripts/server.py free-port)",
                  file=sys.stderr)
            return 2
        host = args.host or "127.0.0.1"
        can_listen(host, args.port)
        mcp.run(transport="streamable-http", host=host, port=args.port)
    elif args.port or args.host:
        ap.error("--port and --host go with --http: without it the server speaks stdio, to the "
                 "client that starts it")
    else:
        mcp.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
