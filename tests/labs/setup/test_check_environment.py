"""``labs/setup/check_environment.py`` when nothing answers at ``VLLM_BASE_URL``: the fix names the
variable as well as the start command, as the bash labs' does (``WS_START_HINT``).

A learner on the remote-server path who mistyped the address was told only to "start the workshop
server with ./scripts/start", which is not their fix (seen in the walkthrough of 7 December 2026).
"""
from __future__ import annotations

import os
import subprocess
import sys

from support import ROOT
from workshop_server import free_port


def test_nothing_at_the_url_names_the_variable_too():
    url = f"http://127.0.0.1:{free_port()}/v1"
    p = subprocess.run([sys.executable, "labs/setup/check_environment.py"], cwd=ROOT,
                       env={**os.environ, "VLLM_BASE_URL": url}, capture_output=True, text=True,
                       timeout=120, stdin=subprocess.DEVNULL)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "FAIL server /health" in p.stdout
    assert "./scripts/start" in p.stderr and "export VLLM_BASE_URL=" in p.stderr, p.stderr
