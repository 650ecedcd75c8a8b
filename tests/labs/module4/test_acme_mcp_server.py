"""ACME's MCP server (``labs/module4/acme_mcp_server.py``) through a client that is not the
workshop's agent: the official MCP Python SDK's ``ClientSession`` over stdio, as any MCP client
starts it. No vLLM server is needed."""
from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import subprocess
import sys

import mcp_types as types
import pytest
from mcp import StdioServerParameters
from mcp.client.session import ClientSession
from mcp.client.stdio import get_default_environment, stdio_client

from support import ROOT

SERVER = "labs/module4/acme_mcp_server.py"


def call(tool: str, arguments: dict, **session_options) -> types.CallToolResult:
    """Start the server over stdio, call one tool with a plain SDK client, return its result."""
    params = StdioServerParameters(command=sys.executable, args=[SERVER], cwd=str(ROOT),
                                   env={**get_default_environment(), **os.environ})

    async def go():
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write, **session_options) as session:
                await session.initialize()
                return await session.call_tool(tool, arguments)

    return asyncio.run(asyncio.wait_for(go(), 120))


def call_over_http(tool: str, arguments: dict) -> types.CallToolResult:
    """The same through streamable HTTP (``--http --port N``), a plain SDK client again."""
    from mcp.client.streamable_http import streamable_http_client
    from workshop_server import free_port

    port = free_port()
    server = subprocess.Popen([sys.executable, SERVER, "--http", "--port", str(port)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    async def go():
        for _ in range(100):  # wait until it listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                await asyncio.sleep(0.2)
        async with streamable_http_client(f"http://127.0.0.1:{port}/mcp") as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await session.call_tool(tool, arguments)

    try:
        return asyncio.run(asyncio.wait_for(go(), 120))
    finally:
        server.terminate()
        server.wait(timeout=30)


def text(result: types.CallToolResult) -> str:
    return " ".join(c.text for c in result.content if isinstance(c, types.TextContent))


def test_a_refund_through_a_client_that_cannot_ask_a_person_is_a_readable_refusal(db):
    """A client without the elicitation capability cannot ask anyone to confirm: the refund is not
    paid, and the client gets a tool error result that says why (not JSON-RPC -32601)."""
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    result = call("issue_refund", {"order_id": "ACME-1046", "amount_cents": 2000,
                                   "reason": "the hose leaks"})
    assert result.is_error, text(result)
    message = text(result)
    assert "confirm" in message and "cannot ask" in message, message
    assert "Method not found" not in message, message
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    over_http = call_over_http("issue_refund", {"order_id": "ACME-1046", "amount_cents": 2000,
                                                "reason": "the hose leaks"})
    assert over_http.is_error and "cannot ask" in text(over_http), text(over_http)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_a_refund_through_a_client_that_asks_is_paid_when_the_person_confirms(db):
    """The same call through a client with an elicitation callback that accepts: paid."""
    asked = []

    async def person(context, params):  # noqa: ARG001 - SDK API
        asked.append(params.message)
        return types.ElicitResult(action="accept", content={"confirm": True})

    result = call("issue_refund", {"order_id": "ACME-1046", "amount_cents": 2000,
                                   "reason": "the hose leaks"}, elicitation_callback=person)
    assert not result.is_error, text(result)
    assert asked and "ACME-1046" in asked[0]
    assert "20.00 USD" in asked[0]


def serve(*args: str) -> subprocess.CompletedProcess:
    """Run the server with ``args`` and no client (stdin closed), as a person typing it would."""
    return subprocess.run([sys.executable, SERVER, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def one_error_and_fix(p: subprocess.CompletedProcess) -> str:
    """The run's one ``error:`` line, after checking exit 2, a fix and no traceback."""
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    errors = [line for line in p.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "\n  fix: " in p.stderr, p.stderr
    assert "Traceback" not in p.stderr, p.stderr
    return errors[0]


@pytest.mark.parametrize("port", ["0", "70000", "-1"])
def test_a_port_out_of_range_is_one_error(port):
    """``--http --port 70000`` was a traceback from uvicorn (OverflowError: bind(): port must be
    0-65535) and 0 was taken for 'no port given'."""
    assert "1 to 65535" in one_error_and_fix(serve("--http", "--port", port))


def test_a_port_taken_by_another_program_is_one_error_with_a_fix():
    """A port where something listens (the vLLM server's 8000, in a walkthrough) was uvicorn's
    'ERROR: [Errno 98] ... address already in use' and exit 3, with no fix."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        p = serve("--http", "--port", port)
    error = one_error_and_fix(p)
    assert f"127.0.0.1:{port}" in error and "address already in use" in error, error
    assert "free-port" in p.stderr


def test_an_address_this_machine_lacks_is_one_error_with_a_fix():
    """``--host 1.2.3.4`` was uvicorn's 'ERROR: [Errno 99] ... cannot assign requested address'."""
    error = one_error_and_fix(serve("--http", "--port", "8765", "--host", "192.0.2.1"))
    assert "192.0.2.1" in error, error


@pytest.mark.parametrize("args", [["--port", "8765"], ["--host", "0.0.0.0"]])
def test_http_options_without_http_are_refused(args):
    """``--port 8765`` alone started the stdio server, which ignored it: a person who wanted HTTP
    saw a program waiting in silence (and a client, a server on stdio)."""
    assert "--http" in one_error_and_fix(serve(*args))
