"""``labs/module5/tune.py`` without an experiment: the list, then one ``error: ... fix: ...`` and a
non-zero exit. It printed the list and exited with status 2 and no message: the learner could not
tell what was wrong (seen in the walkthrough of 7 December 2026)."""
from __future__ import annotations

import subprocess
import sys

from support import ROOT


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "labs/module5/tune.py", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)


def test_no_experiment_is_one_error_with_its_fix():
    p = run()
    assert p.returncode == 2
    assert "prefix-caching  B: --no-enable-prefix-caching" in p.stdout
    assert p.stderr.count("error: ") == 1 and "fix: python labs/module5/tune.py prefix-caching" in p.stderr, p.stderr


def test_list_is_not_an_error():
    p = run("--list")
    assert p.returncode == 0 and p.stderr == "" and "eager" in p.stdout
