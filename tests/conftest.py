"""Fixtures shared by the tests in ``tests/``: the one strict build of the site, and a second,
deliberately different vLLM server for the bad-input tests.

Ports come from ``server.free_port()`` (scripts/server.py), the one helper the scripts, labs and
tests share.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import server as server_ctl

ROOT = Path(__file__).resolve().parents[1]
free_port = server_ctl.free_port


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """``mkdocs build --strict`` of both languages, once per session, into a temporary folder.

    Not ``-q``: it hides the very warnings that ``--strict`` counts.
    """
    out = tmp_path_factory.mktemp("site")
    p = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-4000:]
    return out


@dataclass
class KeyedServer:
    """A vLLM server that wants an API key and has no tool-calling flags."""

    base_url: str   # ends in /v1
    key: str


KEY = "acme-test-key"
_keyed: dict[str, object] = {}


def start_keyed_server(log: Path) -> None:
    """Start the keyed server in the background (see :func:`keyed_server`); idempotent."""
    if _keyed:
        return
    port = free_port()
    model = os.environ.get("WORKSHOP_MODEL_DIR", str(ROOT / ".workshop/models/SmolLM2-135M-Instruct"))
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1",
           "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    cmd = ["vllm", "serve", model, "--served-model-name", "SmolLM2-135M-Instruct",
           "--dtype", "float32", "--enforce-eager", "--max-model-len", "2048",
           "--host", "127.0.0.1", "--port", str(port), "--api-key", KEY]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    _keyed.update(proc=proc, root=f"http://127.0.0.1:{port}", log=log)


def pytest_collection_finish(session) -> None:
    """Start the keyed server as soon as the run is known to need it: it loads while the first
    tests run, instead of when the first bad-input test asks for it."""
    if any("keyed_server" in getattr(item, "fixturenames", ()) for item in session.items):
        start_keyed_server(Path(session.config._tmp_path_factory.mktemp("keyed")) / "server.log")


@pytest.fixture(scope="session")
def keyed_server(vllm_server, tmp_path_factory):  # noqa: ARG001 - after the main server
    """A second real vLLM server for the bad-input tests: ``--api-key`` and none of the
    tool-calling flags, so one server answers both "no key / wrong key" (HTTP 401) and "tool
    calling without the flags" (HTTP 400). Same model and CPU settings as
    ``labs/serve/serve_cpu.sh``, minus the tool flags; a small KV cache, because the main server
    runs beside it. Started at collection (above) or here; its whole process group is stopped
    at the end of the session.
    """
    start_keyed_server(tmp_path_factory.mktemp("keyed") / "server.log")
    proc, root, log = _keyed["proc"], _keyed["root"], _keyed["log"]
    try:
        deadline = time.monotonic() + 300
        while not server_ctl.is_healthy(root):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the keyed test server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(1)
        yield KeyedServer(base_url=root + "/v1", key=KEY)
    finally:
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)
                proc.wait(timeout=wait)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue


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
