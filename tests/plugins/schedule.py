"""pytest plugin: what runs side by side when pytest-xdist spreads the suite over workers.

``scripts/test`` runs ``pytest -n N --dist loadscope`` (pytest-xdist): most of the suite's time
is spent waiting for the one vLLM server, and continuous batching serves concurrent requests
nearly as fast as one (Module 5 measures it), so pages run concurrently against it. Two rules:

- **Work units: a page with its Chinese twin, or a test file.** One worker runs a unit's items in
  collection order: the English page, then the Chinese one, whose identical commands reuse the
  English results (:mod:`plugins.docs`); a test file's module fixtures are made once. This is
  xdist's ``loadscope`` with our own scope (:class:`PageScheduling`, through xdist's
  ``pytest_xdist_make_scheduler`` hook): xdist's ``loadgroup`` marks do not reach the scheduler
  under pytest 9, whose nodes no longer read the ``_nodeid`` that loadgroup rewrites.
- **Items marked ``alone`` run with no other item at the same time**: they measure speed, or read
  the server's global gauges. Every page of :data:`ALONE_PAGES` is ``alone``. Each item holds a
  shared ``flock`` on ``.workshop/run/schedule.lock`` while it runs, an ``alone`` item an exclusive
  one; a turnstile lock makes new items wait behind a waiting ``alone`` item, so it cannot starve.

Without xdist (one process) the locks are taken but never contended.
"""
from __future__ import annotations

import fcntl
import os

import pytest

import workshop_server as ws  # labs/workshop_server.py

LOCK_DIR = ws.RUN_DIR
#: Pages whose blocks measure speed (page path inside the language folder): why.
ALONE_PAGES = {"module5.md": "benchmarks and tuning experiments measure tokens/s and latency"}


def docs_page(item) -> str | None:
    """``page.md`` for a docs item (``docs/<lang>/page.md::line:...``), else ``None``."""
    parts = item.nodeid.split("::", 1)[0].split("/")
    if len(parts) >= 3 and parts[0] == "docs":
        return "/".join(parts[2:])
    return None


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "alone: runs with no other test at the same time (it measures "
                                       "speed or reads the server's global gauges)")


def unit_of(nodeid: str) -> str:
    """The work unit of an item: ``docs/<page>`` for both languages of a page, else its file."""
    path = nodeid.split("::", 1)[0]
    parts = path.split("/")
    if len(parts) >= 3 and parts[0] == "docs":
        return "docs/" + "/".join(parts[2:])
    return path


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        page = docs_page(item)
        if page in ALONE_PAGES:
            item.add_marker(pytest.mark.alone(ALONE_PAGES[page]))


@pytest.hookimpl(optionalhook=True)   # an xdist hook: unknown when xdist is off (-p no:xdist)
def pytest_xdist_make_scheduler(config, log):
    """With ``--dist loadscope``: xdist's scope scheduler with :func:`unit_of` as the scope."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class PageScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

    return PageScheduling(config, log)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):  # noqa: ARG001 - pytest API
    """Hold the shared or exclusive lock for the item's set-up, call and tear-down."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        yield
        return
    LOCK_DIR.mkdir(parents=True, exist_ok=True)
    alone = item.get_closest_marker("alone") is not None
    with open(LOCK_DIR / "schedule.turnstile", "w") as gate, open(LOCK_DIR / "schedule.lock", "w") as lock:
        fcntl.flock(gate, fcntl.LOCK_EX)
        fcntl.flock(lock, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        if not alone:
            fcntl.flock(gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            fcntl.flock(gate, fcntl.LOCK_UN)
