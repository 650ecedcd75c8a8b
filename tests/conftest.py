"""Fixtures shared by the tests in ``tests/``: the one strict build of the site and the browser.

The vLLM servers' fixtures (``vllm_server``, ``keyed_server``) are in ``tests/plugins/servers.py``;
ports come from ``workshop_server.free_port()``, the one helper the scripts, labs and tests share.
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workshop_server import free_port  # noqa: F401 - the tests' one free-port finder

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _environment_unchanged():
    """Each test leaves ``os.environ`` as it found it: a lab loaded by a test may set variables
    for its own engine at import, which later servers and page terminals would inherit."""
    from plugins.servers import restore_environment

    saved = dict(os.environ)
    yield
    restore_environment(saved)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """``mkdocs build --strict`` of both languages, once per test session (also across
    pytest-xdist's workers: the first builds under a lock, the others reuse its folder).

    Not ``-q``: it hides the very warnings that ``--strict`` counts.
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # xdist: one per worker
    out = shared / "site"
    with open(shared / "site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / ".built").exists():
            p = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
                               cwd=ROOT, capture_output=True, text=True, timeout=600)
            assert p.returncode == 0, p.stderr[-4000:]
            (out / ".built").write_text(p.stderr)
    return out


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's, or ``$CHROMIUM``) driven by Playwright, one per test module;
    fails with the install command when the browser is missing (tests/site_checks.py)."""
    import site_checks

    missing = site_checks.chromium_missing()
    if missing:
        pytest.fail(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=site_checks.CHROMIUM, args=site_checks.CHROMIUM_ARGS)
        yield b
        b.close()
