"""``labs/module5/tune.py`` without an experiment: the list, then one ``error: ... fix: ...`` and a
non-zero exit. It printed the list and exited with status 2 and no message: the learner could not
tell what was wrong (seen in the walkthrough of 7 December 2026)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

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


@pytest.mark.alone   # starts two vLLM servers of its own, one after the other
def test_no_step_is_silent():
    """Each server's start is said, and a line comes every few seconds while measuring: a full
    experiment's measuring took up to 29 s with no line, then stopping A and starting B 15 s more
    (the quiet walkthrough of 7 December 2026 saw 21 s without a line with ``--quick``)."""
    p = subprocess.run([sys.executable, "labs/module5/tune.py", "prefix-caching", "--quick"], cwd=ROOT,
                       capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
                       env={**os.environ, "WORKSHOP_PROGRESS_EVERY": "1"})
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    for label in ("A: profile", "B: --no-enable-prefix-caching"):
        start = lines.index(f"{label}: starting its server ...")
        ready = next(i for i, l in enumerate(lines) if l.startswith(f"{label}: server ready in "))
        done = next(i for i, l in enumerate(lines) if l.startswith(f"measuring {label}: done in "))
        assert start < ready < done, p.stdout
        assert any(l.startswith("  still measuring: ") for l in lines[ready:done]), p.stdout
