"""ACME Corp, the workshop's garden-tool shop: its database and its customer-support tools.

``acme.db`` holds the SQLite database (customers, products, orders, tickets, callbacks,
refunds) with fixed seed data; ``acme.tools`` holds the seven tools the assistant calls, their
strict JSON Schemas and the helpers every front door uses (OpenAI tools in Module 3, the MCP
server in Module 4, the web chat app). Create or reset the database with
``python labs/acme/db.py [--reset]`` (or ``python -m acme.db``).

The names below are re-exported (``from acme import call, TOOLS``); they are imported on first
use, so that ``python -m acme.db`` does not load ``acme.db`` twice.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_EXPORTS = {
    "acme.db": ["connect", "create", "db_path", "fingerprint"],
    "acme.tools": ["TOOLS", "Tool", "ToolError", "call", "create_ticket", "faq_documents",
                   "get_customer", "get_order_status", "issue_refund", "openai_tools",
                   "schedule_callback", "search_faq", "search_products", "tool_message"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_MODULE_OF)

if TYPE_CHECKING:  # what the lazy names are, for editors and type checkers
    from acme.db import connect, create, db_path, fingerprint  # noqa: F401
    from acme.tools import (  # noqa: F401
        TOOLS, Tool, ToolError, call, create_ticket, faq_documents, get_customer,
        get_order_status, issue_refund, openai_tools, schedule_callback, search_faq,
        search_products, tool_message)


def __getattr__(name: str) -> object:
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'acme' has no attribute {name!r}")
    return getattr(importlib.import_module(_MODULE_OF[name]), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
