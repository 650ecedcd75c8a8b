"""Module 4's safety.py beyond what its page runs: it says what it waits for."""
from __future__ import annotations

import os
import subprocess
import sys

from support import ROOT


def test_safety_says_while_the_agent_runs(vllm_server, db):
    """The agent runs as a subprocess whose output the lab reads at the end: 70 s of silence in a
    walkthrough at load 12. A line now says what runs, then one every second here
    (WORKSHOP_PROGRESS_EVERY=1) until it ends, before the agent's decision."""
    p = subprocess.run([sys.executable, "labs/module4/safety.py"], cwd=ROOT, capture_output=True,
                       text=True, timeout=600, stdin=subprocess.DEVNULL,
                       env={**os.environ, "VLLM_BASE_URL": vllm_server.base_url,
                            "WORKSHOP_PROGRESS_EVERY": "1"})
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    start = lines.index("running the agent on Jane's tickets ...")
    decision = next(i for i, line in enumerate(lines) if line.startswith("agent: "))
    assert start < decision and lines[start - 1].startswith("stored ticket T-"), lines
    assert any(line.startswith("  still running: ") for line in lines[start:decision]), lines
    assert lines[decision] == "agent: decision: deny (no decision given: denied)", lines
    assert lines[-1] == "database unchanged: True", lines[-2:]
