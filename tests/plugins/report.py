"""pytest plugin: what a run did and how long each part took, and the record of a green run.

At the end of the run (in the main process, which receives every item's report, also from
pytest-xdist's workers) it prints:

- **docs examples per language**: executed (passed, failed) and skipped, and how many commands a
  language ran or reused from its twin's identical block (:mod:`plugins.docs`);
- **time per phase**: the set-up steps that ``scripts/test`` timed before pytest (read from
  ``$WORKSHOP_PHASES``, lines ``<phase>\\t<seconds>``), each server this session started (seconds
  to healthy), the summed item time of the docs of each language, the browser checks, the link
  check and the other tests (items run side by side, so these add up to more than the wall time,
  printed last);
- **time per page**: each page's summed item time in each language;
- pytest's own ``--durations=10`` (pyproject.toml) lists the ten slowest items.

It writes ``.workshop/verified.json`` (the site's "verified with" box) only when the run executed
every page of both languages and nothing failed, so a partial or red run never changes what the
site shows.
"""
from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import os
import time
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from plugins import servers

ROOT = Path(__file__).resolve().parents[2]
RECORD = ROOT / ".workshop" / "verified.json"
LANGS = ("en", "zh")

_outcomes: dict[str, Counter] = {lang: Counter() for lang in LANGS}
_commands: dict[str, Counter] = {lang: Counter() for lang in LANGS}
_phases: dict[str, float] = defaultdict(float)
_pages: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
_pages_run: set[str] = set()
_start = time.monotonic()


def _lang(nodeid: str) -> str | None:
    for lang in LANGS:
        if nodeid.startswith(f"docs/{lang}/"):
            return lang
    return None


def phase_of(nodeid: str) -> str:
    """The phase a test item belongs to, for the timing summary."""
    lang = _lang(nodeid)
    if lang:
        return f"docs ({lang})"
    if "test_site.py::test_link" in nodeid:
        return "links"
    if "test_site.py" in nodeid:
        return "browser"
    return "other tests"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Add the item's time to its phase and page; count each docs example once: failed or skipped
    in any phase, else passed at call."""
    _phases[phase_of(report.nodeid)] += report.duration
    for name, value in report.user_properties:
        if name == "commands":
            for lang, counts in value.items():
                _commands.setdefault(lang, Counter()).update(counts)
    lang = _lang(report.nodeid)
    if lang is None:
        return
    path = report.nodeid.split("::", 1)[0]
    _pages_run.add(path)
    _pages[path.split("/", 2)[2]][lang] += report.duration
    if report.skipped:
        _outcomes[lang]["skipped"] += 1
    elif report.failed:
        _outcomes[lang]["failed"] += 1
    elif report.when == "call":
        _outcomes[lang]["passed"] += 1


def all_pages() -> set[str]:
    """Every page of both languages with a code block, as ``docs/<lang>/<page>.md`` paths."""
    return {p.relative_to(ROOT).as_posix() for lang in LANGS
            for p in (ROOT / "docs" / lang).rglob("*.md") if "```" in p.read_text(encoding="utf-8")}


def setup_phases() -> list[tuple[str, float]]:
    """The phases ``scripts/test`` timed before pytest started (``$WORKSHOP_PHASES``)."""
    try:
        lines = Path(os.environ["WORKSHOP_PHASES"]).read_text().splitlines()
    except (KeyError, OSError):
        return []
    return [(name, float(sec)) for name, sec in (l.split("\t", 1) for l in lines if "\t" in l)]


_setup: list[tuple[str, float]] = []


def pytest_sessionstart(session) -> None:  # noqa: ARG001 - pytest API
    """Read the set-up phases now (a test that runs scripts/start appends more)."""
    _setup[:] = setup_phases()


def write_phases(tr) -> None:
    """The time-per-phase and time-per-page sections (see the module docstring)."""
    tr.section("time per phase")
    rows = list(_setup)
    rows += [(f"server start ({name})", sec) for name, sec in servers.started_this_session().items()]
    rows += sorted(_phases.items())
    for name, sec in rows:
        tr.write_line(f"{name:<32} {sec:7.1f} s")
    workers = getattr(tr.config.option, "numprocesses", None)
    tr.write_line(f"{'pytest, wall time':<32} {time.monotonic() - _start:7.1f} s"
                  + (f"  ({workers} workers; the phases above are summed item times)" if workers else ""))
    if _pages:
        tr.section("time per page (summed item time, s)")
        tr.write_line(f"{'page':<24}" + "".join(f"{lang:>9}" for lang in LANGS))
        for page, times in sorted(_pages.items(), key=lambda kv: -sum(kv[1].values())):
            tr.write_line(f"{page:<24}" + "".join(f"{times.get(lang, 0):9.1f}" for lang in LANGS))


def _server_facts() -> dict[str, str]:
    """The session's server's vLLM version and model, for the record."""
    root = os.environ["VLLM_BASE_URL"].removesuffix("/v1")
    facts = {}
    for key, path, read in (("vllm", "/version", lambda d: d["version"]),
                            ("model", "/v1/models", lambda d: d["data"][0]["id"])):
        req = urllib.request.Request(root + path)
        if os.environ.get("VLLM_API_KEY", "EMPTY") != "EMPTY":
            req.add_header("Authorization", f"Bearer {os.environ['VLLM_API_KEY']}")
        with urllib.request.urlopen(req, timeout=30) as r:
            facts[key] = read(json.load(r))
    return facts


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Print the examples per language and the times, and write ``.workshop/verified.json``."""
    if hasattr(config, "workerinput"):
        return
    tr = terminalreporter
    write_phases(tr)
    if not any(_outcomes.values()):
        return
    tr.section("docs examples per language")
    for lang, c in _outcomes.items():
        runs = _commands.get(lang, Counter())
        tr.write_line(f"{lang}: {c['passed'] + c['failed']} executed ({c['passed']} passed, "
                      f"{c['failed']} failed), {c['skipped']} skipped; commands: {runs['ran']} run, "
                      f"{runs['reused']} reused from the identical block of the other language")
    missing = all_pages() - _pages_run
    failed = exitstatus != 0 or any(c["failed"] for c in _outcomes.values())
    why = "the run failed" if failed else f"{len(missing)} page(s) not run" if missing else None
    facts = {}
    if why is None:
        try:
            facts = _server_facts()
        except (OSError, KeyError, IndexError, ValueError) as exc:
            why = f"the server did not answer /version or /v1/models: {exc!r}"
    if why:
        tr.write_line(f"{RECORD.relative_to(ROOT)} not updated ({why}): the site's "
                      "'verified with' box only shows complete, green runs")
        return
    record = {"date": dt.date.today().isoformat(),
              "openai": importlib.metadata.version("openai"),
              "examples": {lang: dict(c) for lang, c in _outcomes.items()},
              "server": os.environ["VLLM_BASE_URL"], **facts}
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(json.dumps(record, indent=2) + "\n")
