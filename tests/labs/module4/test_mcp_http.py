"""Module 4's mcp_http.sh beyond what its page runs: a server that cannot start, and a bad
MCP_PORT, end the lab with one error and its fix."""
from __future__ import annotations

import os
import socket
import subprocess

import pytest

from support import ROOT


def mcp_http(port: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MCP_PORT": port, "PATH": f"{ROOT / '.venv/bin'}:{os.environ['PATH']}"}
    return subprocess.run(["bash", "labs/module4/mcp_http.sh"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def one_error_and_fix(p: subprocess.CompletedProcess) -> str:
    assert p.returncode == 1, (p.stdout, p.stderr)
    errors = [line for line in p.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "\n  fix: " in p.stderr, p.stderr
    return errors[0]


def test_a_port_in_use_ends_with_the_servers_message_and_a_fix():
    """The server could not bind (seen: 'address already in use') and the lab said only
    'error: the MCP server exited', with no fix."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = str(taken.getsockname()[1])
        p = mcp_http(port)
    assert one_error_and_fix(p).startswith(f"error: the MCP server exited before it listened on port {port}")
    assert "address already in use" in p.stderr


@pytest.mark.parametrize("port", ["abc", "0", "70000", "1234567"])
def test_a_port_that_is_not_a_number_is_named(port):
    """MCP_PORT=abc printed the server's argparse error, then 'error: the MCP server exited': two
    errors, the fix for the server's options rather than for MCP_PORT; 70000 was the server's
    traceback (OverflowError from bind) and then the same."""
    assert one_error_and_fix(mcp_http(port)).startswith(f"error: MCP_PORT={port} is not a port number")


def test_a_port_where_another_http_server_answers_is_named_as_taken():
    """MCP_PORT=8000, where the vLLM server answers: the lab took vLLM's answer for its MCP
    server's, talked to it and said 'cannot talk to http://127.0.0.1:8000/mcp: MCPError: Not
    Found', fix 'start the server first', though it had started one (which could not bind)."""
    import http.server
    import threading

    other = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        port = str(other.server_address[1])
        p = mcp_http(port)
    finally:
        other.shutdown()
        other.server_close()
    error = one_error_and_fix(p)
    assert error == f"error: port {port} on 127.0.0.1 is taken by another program", p.stderr
    assert "start the server first" not in p.stderr, p.stderr
