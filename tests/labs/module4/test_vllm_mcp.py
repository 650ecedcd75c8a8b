"""Module 4's vllm_mcp.py beyond what its page runs: it says what it waits for."""
from __future__ import annotations

import os
import subprocess
import sys

from support import ROOT


def test_vllm_mcp_says_what_it_waits_for(vllm_server):
    """Importing vLLM's request model took 34 s at load 7 in a walkthrough (over 120 s at load
    16), with nothing on the screen but vLLM's Triton line: the first line now says what it waits
    for, a line follows every second here (WORKSHOP_PROGRESS_EVERY=1), then the result."""
    p = subprocess.run([sys.executable, "labs/module4/vllm_mcp.py"], cwd=ROOT, capture_output=True,
                       text=True, timeout=600, stdin=subprocess.DEVNULL,
                       env={**os.environ, "VLLM_BASE_URL": vllm_server.base_url,
                            "WORKSHOP_PROGRESS_EVERY": "1"})
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "importing vLLM's request model ...", lines[:3]
    assert any(line.startswith("  still importing: ") for line in lines), lines
    assert lines[-1].startswith("connections to the MCP server_url: 0 | MCP items: 0"), lines[-2:]
