"""labs/module1/entrypoints.py: ``python -m vllm.entrypoints.openai.api_server`` is ``vllm serve``,
and the 10 to 30 s of importing vLLM's argument parsers are not a silence (issue 21, long waits)."""
from __future__ import annotations

import os
import subprocess
import sys

from support import ROOT


def test_it_says_what_it_waits_for_then_compares():
    """The first line comes before vLLM is imported, a line follows every second of the import
    (WORKSHOP_PROGRESS_EVERY=1), then the comparison finds no option that differs."""
    p = subprocess.run([sys.executable, "labs/module1/entrypoints.py"], cwd=ROOT, capture_output=True,
                       text=True, timeout=300, env={**os.environ, "WORKSHOP_PROGRESS_EVERY": "1"})
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "importing vLLM's argument parsers ...", lines[:3]
    assert any(line.startswith("  still importing: ") for line in lines), lines
    assert "different: 0" in p.stdout and "both run the same run_server: True" in p.stdout
