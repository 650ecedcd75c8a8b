"""Module 4's vllm_mcp.py beyond what its page runs: it says what it waits for."""
from __future__ import annotations

from support import says_what_it_waits_for


def test_vllm_mcp_says_what_it_waits_for(vllm_server):
    """Importing vLLM's request model took 34 s at load 7 in a walkthrough (over 120 s at load
    16), with nothing on the screen but vLLM's Triton line: the first line now says what it waits
    for, a line follows every second here (WORKSHOP_PROGRESS_EVERY=1), then the result."""
    lines = says_what_it_waits_for("labs/module4/vllm_mcp.py", "importing vLLM's request model ...",
                                   VLLM_BASE_URL=vllm_server.base_url)
    assert any(line.startswith("  still importing: ") for line in lines), lines
    assert lines[-1].startswith("connections to the MCP server_url: 0 | MCP items: 0"), lines[-2:]
