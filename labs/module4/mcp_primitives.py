"""Module 4 lab: talk to ACME's MCP server as any MCP client does: tools, resources, prompts.

Run: ``python labs/module4/mcp_primitives.py`` (starts the server over stdio), or
``python labs/module4/mcp_primitives.py --url http://127.0.0.1:PORT/mcp`` (a server already
running with ``--http``).

With the official MCP SDK's ``ClientSession``, it lists the three primitives the server offers,
reads one resource, renders the prompt, calls a read tool, and calls a write tool with arguments
that break the schema (the server refuses them, nothing is written). No model is involved: this is the
protocol alone. Prints what it finds; exits 1 if a primitive is missing or a call misbehaves.
"""
from __future__ import annotations

import workshop
import asyncio
import json
import sys
from contextlib import asynccontextmanager

from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

SERVER = ["labs/module4/acme_mcp_server.py"]


@asynccontextmanager
async def open_session(url: str | None):
    """A started ``ClientSession``: over streamable HTTP to ``url``, else over stdio to a server
    this process starts (and stops at the end)."""
    if url:
        async with streamable_http_client(url) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                yield session
    else:
        params = StdioServerParameters(command=sys.executable, args=SERVER)
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                yield session


async def main_async(url: str | None) -> int:
    problems = 0
    # --8<-- [start:primitives]
    async with open_session(url) as session:
        tools = (await session.list_tools()).tools
        for tool in tools:
            kind = "read" if tool.annotations and tool.annotations.read_only_hint else "write"
            print(f"tool      {tool.name:17} {kind:5} {json.dumps(tool.input_schema['properties'])[:60]}...")
        templates = (await session.list_resource_templates()).resource_templates
        resources = (await session.list_resources()).resources
        print("resources", [r.uri for r in resources] + [t.uri_template for t in templates])
        article = await session.read_resource("acme://faq/refunds.md")
        print("read      acme://faq/refunds.md:", article.contents[0].text.splitlines()[0])
        prompt = await session.get_prompt("support_reply", {"customer_message": "Where is my rake?"})
        print("prompt    support_reply:", prompt.messages[0].content.text[:70], "...")
        # --8<-- [end:primitives]
        # --8<-- [start:calls]
        result = await session.call_tool("get_order_status", {"order_id": "ACME-1042"})
        order = json.loads(result.content[0].text)
        print(f"call      get_order_status -> is_error={result.is_error}, status={order['status']}")
        result = await session.call_tool("create_ticket", {"customer_email": "not an email",
                                                           "category": "urgent", "priority": "low",
                                                           "summary": "x"})
        print(f"call      create_ticket with bad arguments -> is_error={result.is_error}")
        print("         ", result.content[0].text.splitlines()[0][:90])
        # --8<-- [end:calls]
        problems += len(tools) != 5 or not templates or not resources or not prompt.messages
        problems += result.is_error is not True or order["status"] != "shipped"
    if problems:
        raise workshop.WorkshopError(
            "the ACME MCP server did not answer as the page shows (5 tools, templates, resources, the "
            "prompt; ACME-1042 shipped; create_ticket refusing bad arguments): see the lines above.\n"
            "  fix: restart an --http server you started before labs/acme/ changed; "
            "python -m pytest tests/labs/module4 shows which part differs")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = workshop.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", help="a streamable HTTP endpoint, e.g. http://127.0.0.1:8765/mcp")
    args = ap.parse_args(argv)
    try:
        return asyncio.run(main_async(args.url))
    except workshop.WorkshopError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BaseExceptionGroup as group:  # the SDK's task groups wrap connection errors
        exc = group
        while isinstance(exc, BaseExceptionGroup):
            exc = exc.exceptions[0]
        where = args.url or "the stdio server (python " + " ".join(SERVER) + ")"
        print(f"error: cannot talk to {where}: {type(exc).__name__}: {exc}\n"
              "  fix: start the server first (python labs/module4/acme_mcp_server.py --http "
              "--port PORT) and check the URL, which ends in /mcp", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
