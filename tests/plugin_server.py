"""pytest plugin: one live vLLM server for the whole session, and the run's summary record.

Registered in pyproject.toml (``-p plugin_server``) so that its fixtures reach both ``tests/``
and the Sybil items collected from ``docs/``.

The ``vllm_server`` fixture:
- reuses the server at ``$VLLM_BASE_URL`` (default ``http://localhost:8000/v1``) when its
  ``/health`` answers 200: this is how an instructor runs the suite against a GPU server;
- otherwise, for a local URL, starts the CPU profile once with ``scripts/server.py`` and stops it
  after the session (set ``WORKSHOP_KEEP_SERVER=1`` to keep it running);
- for a remote URL that does not answer, fails every test that needs it with the fix.
It exports ``VLLM_BASE_URL`` so that labs run by the docs read the same server.

At the end of the run it prints the examples per language (and how many commands a language
reused from its twin's identical blocks) and the time of each phase: the set-up steps that
``scripts/test`` ran before pytest (read from ``$WORKSHOP_PHASES``, lines ``<phase>\t<seconds>``),
the server start, the docs of each language, the browser checks, the link check and the other
tests. pytest's own ``--durations=10`` (pyproject.toml) lists the ten slowest items.
"""
from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import os
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest

import server as server_ctl  # scripts/server.py (pyproject.toml puts scripts/ on the path)

ROOT = Path(__file__).resolve().parents[1]

RECORD = ROOT / ".workshop" / "verified.json"


@dataclass
class VllmServer:
    """The server the session uses. ``base_url`` ends in ``/v1``; ``root`` does not."""

    base_url: str
    root: str
    started_here: bool
    log_path: Path | None  # the server's log when this machine's scripts/server.py started it

    def get_json(self, path: str) -> object:
        """``GET {root}{path}`` parsed as JSON (with ``$VLLM_API_KEY`` as bearer when set)."""
        req = urllib.request.Request(self.root + path)
        if os.environ.get("VLLM_API_KEY", "EMPTY") != "EMPTY":
            req.add_header("Authorization", f"Bearer {os.environ['VLLM_API_KEY']}")
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)


_SERVER: VllmServer | None = None
_facts: dict[str, str] = {}


@pytest.fixture(scope="session")
def vllm_server() -> VllmServer:
    """The live vLLM server (see the module docstring)."""
    global _SERVER
    explicit = "VLLM_BASE_URL" in os.environ
    base = os.environ.get("VLLM_BASE_URL", "http://localhost:8000/v1").rstrip("/")
    root = base.removesuffix("/v1")
    parsed = urlparse(root)
    started = False
    if not server_ctl.is_healthy(root):
        if explicit and parsed.hostname not in ("localhost", "127.0.0.1", "::1"):
            pytest.fail(f"VLLM_BASE_URL={base} does not answer /health. Fix: check the URL and that "
                        "the server runs, or unset VLLM_BASE_URL to test against the CPU server.")
        os.environ["VLLM_HOST"] = "127.0.0.1"
        os.environ["VLLM_PORT"] = str(parsed.port or 8000)
        t0 = time.monotonic()
        if server_ctl.start([], timeout=float(os.environ.get("VLLM_START_TIMEOUT", 900))) != 0:
            pytest.fail("could not start the CPU vLLM server; see the log tail above")
        _phases["server start"] = time.monotonic() - t0
        started = server_ctl.read_pid() is not None
    os.environ["VLLM_BASE_URL"] = base
    local_log = server_ctl.LOG_FILE if server_ctl.read_pid() is not None else None
    _SERVER = VllmServer(base_url=base, root=root, started_here=started, log_path=local_log)
    try:  # for the "verified with" record, read while the server is surely up
        _facts["vllm"] = _SERVER.get_json("/version")["version"]
        _facts["model"] = _SERVER.get_json("/v1/models")["data"][0]["id"]
    except (OSError, KeyError, IndexError) as exc:
        pytest.fail(f"the server at {base} answers /health but not /version or /v1/models: {exc!r}")
    yield _SERVER
    if started and not os.environ.get("WORKSHOP_KEEP_SERVER"):
        server_ctl.stop()


# ------------------------------------------------------------------ per-language summary

_outcomes: dict[str, Counter] = {"en": Counter(), "zh": Counter()}


def _lang(nodeid: str) -> str | None:
    for lang in _outcomes:
        if nodeid.startswith(f"docs/{lang}/"):
            return lang
    return None


#: Seconds per phase of this pytest run (the server start is measured by the fixture).
_phases: dict[str, float] = {}


def phase_of(nodeid: str) -> str:
    """The phase a test item belongs to, for the timing summary."""
    lang = _lang(nodeid)
    if lang:
        return f"docs ({lang})"
    if nodeid.startswith("tests/test_site.py::test_link"):
        return "links"
    if nodeid.startswith("tests/test_site.py"):
        return "browser"
    return "other tests"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Add the item's time to its phase; count each docs example once: failed or skipped in any
    phase, else passed at call."""
    _phases[phase_of(report.nodeid)] = _phases.get(phase_of(report.nodeid), 0.0) + report.duration
    lang = _lang(report.nodeid)
    if lang is None:
        return
    if report.skipped:
        _outcomes[lang]["skipped"] += 1
    elif report.failed:
        _outcomes[lang]["failed"] += 1
    elif report.when == "call":
        _outcomes[lang]["passed"] += 1


_pages_collected: set[str] = set()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Remember which pages this session runs: the record is only written for all of them."""
    for item in session.items:
        path = Path(str(item.path)).resolve()
        if _lang(item.nodeid) is not None and path.suffix == ".md":
            _pages_collected.add(path.relative_to(ROOT).as_posix())


def all_pages() -> set[str]:
    """Every page of both languages with a code block, as ``docs/<lang>/<page>.md`` paths."""
    return {p.relative_to(ROOT).as_posix() for lang in _outcomes
            for p in (ROOT / "docs" / lang).rglob("*.md") if "```" in p.read_text(encoding="utf-8")}


_setup_phases: list[tuple[str, float]] = []


def setup_phases() -> list[tuple[str, float]]:
    """The phases ``scripts/test`` timed before pytest started (``$WORKSHOP_PHASES``)."""
    try:
        lines = Path(os.environ["WORKSHOP_PHASES"]).read_text().splitlines()
    except (KeyError, OSError):
        return []
    return [(name, float(sec)) for name, sec in (l.split("\t", 1) for l in lines if "\t" in l)]


def pytest_sessionstart(session) -> None:  # noqa: ARG001 - pytest API
    """Start the clock; read the set-up phases now (a test that runs scripts/start appends more)."""
    _phases["_start"] = time.monotonic()
    _setup_phases[:] = setup_phases()


def write_phases(tr) -> None:
    """The phase timings section (see the module docstring)."""
    total = time.monotonic() - _phases.pop("_start", time.monotonic())
    tr.section("time per phase")
    rows = _setup_phases + [(name, sec) for name, sec in sorted(_phases.items())]
    if "server start" in _phases:  # the start is inside the first test that needed the server
        rows.append(("  (the server start is included in the phase that first needed it)", -1))
    for name, sec in rows:
        tr.write_line(name if sec < 0 else f"{name:<28} {sec:7.1f} s")
    tr.write_line(f"{'pytest in all':<28} {total:7.1f} s")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001
    """Print the examples per language and the phase times, and write ``.workshop/verified.json``.

    The record (the site's "verified with" box) is written only when the session ran every page
    of both languages and nothing failed, so a partial or red run never changes what the site shows.
    """
    tr = terminalreporter
    write_phases(tr)
    if not any(_outcomes.values()):
        return
    import plugin_docs

    tr.section("docs examples per language")
    for lang, c in _outcomes.items():
        executed = c["passed"] + c["failed"]
        runs = plugin_docs.STATS.get(lang, {"ran": 0, "reused": 0})
        tr.write_line(f"{lang}: {executed} executed ({c['passed']} passed, {c['failed']} failed), "
                      f"{c['skipped']} skipped; commands: {runs['ran']} run, {runs['reused']} "
                      "reused from the identical block of the other language")
    missing = all_pages() - _pages_collected
    failed = exitstatus != 0 or any(c["failed"] for c in _outcomes.values())
    if _SERVER is None or failed or missing:
        why = ("the run failed" if failed else f"{len(missing)} page(s) not run" if missing
               else "no server")
        tr.write_line(f"{RECORD.relative_to(ROOT)} not updated ({why}): the site's "
                      "'verified with' box only shows complete, green runs")
        return
    record = {"date": dt.date.today().isoformat(),
              "openai": importlib.metadata.version("openai"),
              "examples": {lang: dict(c) for lang, c in _outcomes.items()},
              "server": _SERVER.base_url, **_facts}
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(json.dumps(record, indent=2) + "\n")
