"""pytest plugin: what runs side by side when pytest-xdist spreads the suite over workers.

``scripts/test`` runs ``pytest -n N --dist loadscope`` (pytest-xdist): most of the suite's time
is spent waiting for the one vLLM server, and continuous batching serves concurrent requests
nearly as fast as one (Module 5 measures it), so pages run concurrently against it. Two rules:

- **Work units: a page with its Chinese twin, or a test file.** One worker runs a unit's items in
  collection order: the English page, then the Chinese one, whose identical commands reuse the
  English results (:mod:`plugins.docs`); a test file's module fixtures are made once. Pages
  that change the same files are one unit (:data:`SHARED_STATE`), so they never run at once. This is
  xdist's ``loadscope`` with our own scope (:class:`PageScheduling`, through xdist's
  ``pytest_xdist_make_scheduler`` hook): xdist's ``loadgroup`` marks do not reach the scheduler
  under pytest 9, whose nodes no longer read the ``_nodeid`` that loadgroup rewrites.
- **Items marked ``alone`` run with no other item at the same time**: their checks hold only on a
  quiet server (counters read from ``/metrics``, a timing compared with another), or they keep
  every core busy with threads of their own, which other work would leave waiting (a training, a
  model loading). A docs block is ``alone`` when one of its ``$`` commands matches
  :data:`ALONE_BLOCKS` (both languages) or :data:`CORE_HEAVY_BLOCKS` (the English page). Each item holds a shared ``flock`` on
  ``.workshop/run/schedule.lock`` while it runs, an ``alone`` item an exclusive one; a turnstile
  lock makes new items wait behind a waiting ``alone`` item, so it cannot starve. Module 5's other
  benchmarks run beside other pages: their outputs on the page are elided (``...``), since no two
  runs share figures, and the figures the page quotes come from its recorded run.

Without xdist (one process) the locks are taken but never contended.
"""
from __future__ import annotations

import fcntl
import os
import re
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

import workshop_server as ws  # labs/workshop_server.py

LOCK_DIR = ws.RUN_DIR
#: Commands whose checks need a quiet server (a regular expression on the block): why.
ALONE_BLOCKS = {
    r"labs/module5/metrics_watch\.py": "counts the requests and tokens of /metrics, which other pages move",
    r"labs/checkpoint\.py 5\b": "times 8 requests at once against 8 one by one",
    r"labs/module5/guidellm_sweep\.sh": "needs one request to finish within 15 s (about 1.5 s on a quiet "
                                         "server; in a suite run beside other pages, none did)",
}
#: Commands that keep every core busy with threads of their own (PyTorch in the lab's process, a
#: vLLM engine loading): beside other work their threads wait for each other, and the cores are
#: spent on waiting. Measured in one suite run: why_vllm.py's quick profile 436 s (49 s alone), a
#: quick adapter training 162 to 377 s (50 s alone). They run alone where they run: on the English
#: page (its Chinese twin reuses the result of an identical block).
CORE_HEAVY_BLOCKS = {
    r"labs/module5/why_vllm\.py": "measures speed, and its transformers and vLLM threads need the cores",
    r"labs/module5/tune\.py (?!--list)": "starts vLLM servers and measures them",
    r"labs/module5/step_profile\.py": "starts a vLLM server of its own and times its steps (alone here: 43 s "
                                       "with the server's start; beside other pages, 227 s)",
    r"labs/module6/train_adapter\.py": "trains with PyTorch threads on every core",
    r"labs/module1/offline_batch\.py|labs/module2/offline\.py|labs/module3/offline_tools\.py":
        "loads vLLM's engine into the lab's own process",
    r"scripts/server\.py start --name (?!router)": "a vLLM server loading its model",
}
#: Pages that change the same files, and the unit they form: ACME's database
#: (``.workshop/acme/acme.db``), which Module 4's page resets while Module 3's and the app's read it.
SHARED_STATE = {"module3.md": "docs/acme-db", "module4.md": "docs/acme-db", "app.md": "docs/acme-db"}


#: The run's timeline: one line per item run under the schedule lock, written by the workers and
#: read by :mod:`plugins.report` (its path is set in the main process before the workers start,
#: which inherit it).
TIMELINE_ENV = "WORKSHOP_TIMELINE"


def pytest_configure(config) -> None:
    """Register the ``alone`` mark; in the main process, start the run's timeline file
    (``.workshop/run/timeline-<pid>.tsv``), which the workers inherit through the environment."""
    config.addinivalue_line("markers", "alone: runs with no other test at the same time (it measures "
                                       "speed or reads the server's global gauges)")
    if hasattr(config, "workerinput"):
        return
    LOCK_DIR.mkdir(parents=True, exist_ok=True)
    for old in LOCK_DIR.glob("timeline-*.tsv"):   # an earlier run's, unless that run still goes on
        if not Path(f"/proc/{old.stem.removeprefix('timeline-')}").exists():
            old.unlink(missing_ok=True)
    path = LOCK_DIR / f"timeline-{os.getpid()}.tsv"
    path.write_text("")
    os.environ[TIMELINE_ENV] = str(path)


def unit_of(nodeid: str) -> str:
    """The work unit of an item: ``docs/<page>`` for both languages of a page (or the unit of
    :data:`SHARED_STATE` it belongs to), else its file."""
    path = nodeid.split("::", 1)[0]
    parts = path.split("/")
    if len(parts) >= 3 and parts[0] == "docs":
        page = "/".join(parts[2:])
        return SHARED_STATE.get(page, f"docs/{page}")
    return path


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        example = getattr(item, "example", None)   # a Sybil item: one block of a page
        if example is None:
            continue
        lines = str(example.parsed).splitlines()
        prompts = [line for line in lines if line.startswith("$ ")]
        # A console block's commands follow "$ "; a bash block is all commands; an include of a
        # lab's source (--8<--) runs nothing.
        commands = "\n".join(prompts or [line for line in lines if not line.startswith("--8<--")])
        heavy = CORE_HEAVY_BLOCKS if item.nodeid.startswith("docs/en/") else {}
        for pattern, why in {**ALONE_BLOCKS, **heavy}.items():
            if re.search(pattern, commands):
                item.add_marker(pytest.mark.alone(why))


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


@contextmanager
def turn(alone: bool, lock_dir: Path = LOCK_DIR):
    """Hold the schedule lock: shared, or exclusive when ``alone`` (see the module docstring).
    A reader passes the turnstile and lets it go; a writer keeps it until it is done, so that
    readers arriving after it wait."""
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / "schedule.turnstile", "w") as gate, open(lock_dir / "schedule.lock", "w") as lock:
        fcntl.flock(gate, fcntl.LOCK_EX)
        fcntl.flock(lock, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        if not alone:
            fcntl.flock(gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            fcntl.flock(gate, fcntl.LOCK_UN)


def timeline_line(worker: str, nodeid: str, alone: bool, asked: float, began: float, ended: float) -> str:
    """One timeline line: ``worker, alone (0/1), asked, began, ended, nodeid``, tab-separated;
    times in seconds since the epoch (``time.time()``): asked for the lock, got it, let it go."""
    return f"{worker}\t{int(alone)}\t{asked:.3f}\t{began:.3f}\t{ended:.3f}\t{nodeid}\n"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):  # noqa: ARG001 - pytest API
    """Hold the schedule lock for the item's set-up, call and tear-down (under xdist only), and
    add the item's line to the run's timeline (:func:`timeline_line`)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        yield
        return
    alone = item.get_closest_marker("alone") is not None
    asked = time.time()
    with turn(alone):
        began = time.time()
        yield
    ended = time.time()
    if path := os.environ.get(TIMELINE_ENV):
        with open(path, "a", encoding="utf-8") as f:   # one short write per line: O_APPEND keeps lines whole
            f.write(timeline_line(worker, item.nodeid, alone, asked, began, ended))
