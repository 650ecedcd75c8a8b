"""pytest plugin: the vLLM servers of a test session, started once and stopped at its end.

The servers (:data:`SPECS`), all through ``labs/workshop_server.py``:

``server``
    the workshop's server at ``$VLLM_BASE_URL`` (default ``http://localhost:8000/v1``; a free port
    when 8000 is taken by something else). A healthy server there is reused and left running: an
    instructor's GPU server, or the learner's ``./scripts/start``. Otherwise, for a local URL, the
    CPU profile is started (``.workshop/run/server.log``); a remote URL that does not answer fails
    every test that needs it, with the fix.
``keyed-test``
    the same profile with ``--api-key`` and without tool calling (``WORKSHOP_TOOL_CALLING=off``),
    a small KV cache and context: one server answers both "no key" (HTTP 401) and "tool calling
    not enabled" (HTTP 400) for the bad-input tests.

**Who starts.** A server starts as soon as a collected item needs it (its fixture), so that it
loads while the first tests run; never with ``--collect-only``. Under pytest-xdist every worker
collects, and the first to take ``.workshop/run/NAME.lock`` starts the server; the others wait for
its ``/health``. The main process (xdist's controller, or the only process) picks the URLs before
the workers exist and exports them (``VLLM_BASE_URL``, ``WORKSHOP_KEYED_URL``).

**Who stops.** The main process, at ``pytest_unconfigure``: after the last test, after Ctrl+C, and
after SIGTERM or SIGHUP, which it turns into ``KeyboardInterrupt`` so that pytest unwinds; an
``atexit`` hook is the last resort. It stops the servers this session started (their
``.workshop/run/NAME.owner`` names the session), including a page's own server still running (a
page that failed before its own ``server.py stop``: ``Server.start`` writes the owner file when
``WORKSHOP_TEST_SESSION`` is set); servers that a person or another session started are left alone. Set
``WORKSHOP_KEEP_SERVER=1`` to keep the workshop's server running for the next run.
"""
from __future__ import annotations

import atexit
import fcntl
import json
import os
import signal
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest

import workshop_server as ws  # labs/workshop_server.py

ROOT = ws.ROOT
KEY = "acme-test-key"
LOCAL = ("localhost", "127.0.0.1", "::1")
START_TIMEOUT = float(os.environ.get("VLLM_START_TIMEOUT", 900))


@dataclass
class VllmServer:
    """The server the session uses. ``base_url`` ends in ``/v1``; ``root`` does not."""

    base_url: str
    root: str
    started_here: bool
    log_path: Path | None  # the server's log when this machine's scripts started it


@dataclass
class KeyedServer:
    """A vLLM server that wants an API key and has no tool-calling flags."""

    base_url: str   # ends in /v1
    key: str


def _root(url: str) -> str:
    return url.rstrip("/").removesuffix("/v1")


def _server_spec() -> ws.Server:
    root = _root(os.environ["VLLM_BASE_URL"])
    p = urlparse(root)
    return ws.Server("server", host="127.0.0.1" if p.hostname in LOCAL else p.hostname,
                     port=p.port or 8000)


def _keyed_spec() -> ws.Server:
    p = urlparse(os.environ["WORKSHOP_KEYED_URL"])
    return ws.Server("keyed-test", host="127.0.0.1", port=p.port,
                     flags=["--api-key", KEY, "--max-model-len", "2048"],
                     env={"WORKSHOP_TOOL_CALLING": "off", "VLLM_CPU_KVCACHE_SPACE": "1"})


#: name: (the fixture that needs it, how to make it)
SPECS = {"server": ("vllm_server", _server_spec), "keyed-test": ("keyed_server", _keyed_spec)}


def _owner_file(name: str) -> Path:
    return ws.RUN_DIR / f"{name}.owner"


def _owner(name: str) -> dict:
    try:
        return json.loads(_owner_file(name).read_text())
    except (OSError, ValueError):
        return {}


@contextmanager
def _locked(name: str):
    ws.RUN_DIR.mkdir(parents=True, exist_ok=True)
    with open(ws.RUN_DIR / f"{name}.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def ensure(name: str, wait: bool = True) -> ws.Server:
    """The server ``name`` of :data:`SPECS`, reused or started (once per session, whichever
    process asks first); with ``wait``, healthy. Fails the asking test with the server's log when
    it does not start, or with the fix when a remote server does not answer."""
    srv = SPECS[name][1]()
    with _locked(name):
        if srv.healthy():
            pass
        elif srv.host not in LOCAL:
            pytest.fail(f"VLLM_BASE_URL={srv.base_url} does not answer /health. Fix: check the URL "
                        "and that the server runs, or unset VLLM_BASE_URL to test against the CPU server.")
        elif _owner(name).get("session") == os.environ["WORKSHOP_TEST_SESSION"] and srv.pid():
            pass  # another process of this session is starting it
        else:
            srv.stop()  # a stale PID file
            srv.start()
            _owner_file(name).write_text(json.dumps(
                {"session": os.environ["WORKSHOP_TEST_SESSION"], "started": time.time()}))
    if wait and not srv.healthy():
        try:
            srv.wait(START_TIMEOUT)
        except ws.ServerError as exc:
            pytest.fail(str(exc), pytrace=False)
        owner = _owner(name)
        if owner.get("session") == os.environ["WORKSHOP_TEST_SESSION"] and "healthy_after" not in owner:
            owner["healthy_after"] = round(time.time() - owner["started"], 1)
            _owner_file(name).write_text(json.dumps(owner))
    return srv


def started_this_session() -> dict[str, float]:
    """``{name: seconds to healthy}`` of the servers this session started (for the report)."""
    return {name: _owner(name)["healthy_after"] for name in SPECS
            if _owner(name).get("session") == os.environ.get("WORKSHOP_TEST_SESSION")
            and "healthy_after" in _owner(name)}


@pytest.fixture(scope="session")
def vllm_server() -> VllmServer:
    """The live vLLM server (see the module docstring); ``VLLM_BASE_URL`` names it for the labs."""
    srv = ensure("server")
    ours = _owner("server").get("session") == os.environ["WORKSHOP_TEST_SESSION"]
    return VllmServer(base_url=srv.base_url, root=srv.root, started_here=ours,
                      log_path=srv.log if srv.pid() is not None else None)


@pytest.fixture(scope="session")
def keyed_server(vllm_server) -> KeyedServer:  # noqa: ARG001 - after the main server
    """A second real vLLM server for the bad-input tests (see the module docstring)."""
    return KeyedServer(base_url=ensure("keyed-test").base_url, key=KEY)


# ------------------------------------------------------------------ the main process


def _is_main(config) -> bool:
    return not hasattr(config, "workerinput")


def _pick_urls() -> None:
    """Export the URLs every process of the session uses (before xdist starts its workers)."""
    if "VLLM_BASE_URL" not in os.environ:
        default = "http://127.0.0.1:8000"
        root = default if ws.is_healthy(default) or not ws.port_open(default) else \
            f"http://127.0.0.1:{ws.free_port()}"
        os.environ["VLLM_BASE_URL"] = root.replace("127.0.0.1", "localhost") + "/v1"
    os.environ["VLLM_BASE_URL"] = os.environ["VLLM_BASE_URL"].rstrip("/")
    os.environ.setdefault("WORKSHOP_KEYED_URL", f"http://127.0.0.1:{ws.free_port()}/v1")


def stop_session_servers() -> list[str]:
    """Stop what this session started (see the module docstring); returns the names stopped."""
    stopped = []
    session = os.environ.get("WORKSHOP_TEST_SESSION")
    keep = {"server"} if os.environ.get("WORKSHOP_KEEP_SERVER") else set()
    for name in SPECS:
        if name not in keep and session and _owner(name).get("session") == session:
            if ws.named(name).stop():
                stopped.append(name)
            _owner_file(name).unlink(missing_ok=True)
    for pid_file in sorted(ws.RUN_DIR.glob("*.pid")):  # a page's own server, left by a failure
        name = pid_file.stem
        # Only servers this session started (Server.start writes the owner file): a server a
        # person or another session started meanwhile on the same machine is not ours to stop.
        if (name not in SPECS and session and _owner(name).get("session") == session
                and ws.named(name).stop()):
            stopped.append(name)
    return stopped


def _interrupt(signum, frame):  # noqa: ARG001 - signal API
    raise KeyboardInterrupt(f"signal {signum}")


#: The environment once the session is configured, before any test module is imported.
_ENVIRONMENT: dict[str, str] = {}


def restore_environment(saved: dict[str, str]) -> None:
    """Make ``os.environ`` equal to ``saved`` again (keys added since removed, values put back)."""
    for name in set(os.environ) - set(saved):
        del os.environ[name]
    os.environ.update(saved)


def pytest_configure(config) -> None:
    """Main process: name the session, pick the URLs, make sure the servers stop however it ends.
    Every process: remember the environment (see :func:`pytest_collection_finish`)."""
    if _is_main(config):
        os.environ["WORKSHOP_TEST_SESSION"] = uuid.uuid4().hex
        _pick_urls()
    _ENVIRONMENT.update(os.environ)
    if not _is_main(config):
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    atexit.register(stop_session_servers)


def pytest_unconfigure(config) -> None:
    if _is_main(config):
        stop_session_servers()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session) -> None:
    """Start the servers the collected items need, without waiting (see the module docstring).

    First the environment is put back as it was before collection: a lab that a test module
    imports may set variables for its own vLLM engine (``VLLM_LOGGING_LEVEL=ERROR`` hid the server
    log's INFO lines that Module 1 reads), and the servers and the pages' terminals start from it."""
    restore_environment(_ENVIRONMENT)
    if session.config.option.collectonly:
        return
    for name, (fixture, _) in SPECS.items():
        if any(fixture in getattr(item, "fixturenames", ()) for item in session.items):
            try:
                ensure(name, wait=False)
            except pytest.fail.Exception:
                pass  # reported by the first test that needs it
