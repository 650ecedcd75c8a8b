"""labs/api/no_chat_template.py: a model without a chat template, and the two fixes; the imports
of transformers and vLLM before its first result are not a silence (issue 21, long waits)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from support import ROOT


@pytest.mark.server
def test_it_says_what_it_waits_for_then_shows_both_fixes(vllm_server):
    """A walkthrough on the busy 2-core machine waited 40 s for the first line: the first line
    now comes before the imports, a line follows every second of them (WORKSHOP_PROGRESS_EVERY=1),
    then the lab's own lines."""
    p = subprocess.run([sys.executable, "labs/api/no_chat_template.py"], cwd=ROOT, capture_output=True,
                       text=True, timeout=300, stdin=subprocess.DEVNULL,
                       env={**os.environ, "VLLM_BASE_URL": vllm_server.base_url,
                            "WORKSHOP_PROGRESS_EVERY": "1"})
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "importing transformers and vLLM's chat template code ...", lines[:3]
    assert any(line.startswith("  still importing: ") for line in lines), lines
    assert lines[-4] == "chat template: None", lines[-5:]
    assert lines[-1] == ("fix 2, --chat-template labs/api/plain_chat.jinja -> prompt "
                         "'User: Where is order ACME-1042?\\nAssistant:'"), lines[-1]
