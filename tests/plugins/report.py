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
- **schedule** (under pytest-xdist): how much of the wall time ``alone`` items held every other
  worker back, how long items waited for their turn, and the longest ``alone`` items, from the
  timeline :mod:`plugins.schedule` writes;
- **CPU by kind of process** (with the cores busy): the CPU seconds of the vLLM engines and API
  servers (the workshop server, the pages' own servers, the offline labs' engines and the
  container's), Chromium, Podman and the pytest processes themselves, sampled from ``/proc`` every
  2 s (:class:`CpuSampler`); the rest is the short-lived processes (labs, curl, mkdocs) and what
  ran between two samples. It says which work to cut when the run is bound by the cores;
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
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from plugins import schedule, servers

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


def cpu_ticks(stat: str | None = None) -> tuple[int, int] | None:
    """``(busy, total)`` clock ticks of all cores since boot, from the first line of ``/proc/stat``
    (proc(5): user nice system idle iowait irq softirq steal ...; idle and iowait are not busy);
    ``None`` where there is no ``/proc/stat``. ``stat``: the file's text, for a test."""
    try:
        fields = [int(x) for x in (stat or Path("/proc/stat").read_text()).splitlines()[0].split()[1:9]]
    except (OSError, ValueError, IndexError):
        return None
    return sum(fields) - fields[3] - fields[4], sum(fields)


def busy_share(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """The share of all cores' time that was busy between two :func:`cpu_ticks` readings (0 to 1)."""
    if not before or not after or after[1] <= before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1])


_cpu_at_start: list[tuple[int, int] | None] = [None]


def process_kind(comm: str, cmdline: str) -> str:
    """The kind of a process for :class:`CpuSampler`, from its ``/proc/PID/comm`` (the name,
    or the title vLLM sets: ``VLLM::EngineCore``) and its command line (arguments joined by
    spaces): a vLLM engine, a vLLM API server, Chromium, Podman, pytest, or ``""`` (the rest)."""
    if comm.startswith("VLLM::"):
        return "vLLM engines"
    if comm == "vllm" or " vllm serve " in f" {cmdline} " or "vllm.entrypoints" in cmdline:
        return "vLLM API servers"
    if comm.startswith(("chrom", "headless_shell")):
        return "Chromium"
    if comm in ("podman", "conmon", "crun", "runc", "netavark", "aardvark-dns", "pasta", "slirp4netns"):
        return "Podman"
    # pytest-xdist's workers are started by execnet: python -u -c "import sys;exec(eval(sys.stdin.readline()))"
    if "pytest" in cmdline or "exec(eval(sys.stdin.readline()))" in cmdline:
        return "pytest processes"
    return ""


class CpuSampler:
    """CPU seconds per :func:`process_kind` over a run, read from ``/proc/PID/stat`` (utime and
    stime, fields 14 and 15 of proc(5), in clock ticks) every ``every`` seconds by a daemon
    thread. A process's time counts from its first sample on, so what a process spends before
    it is first seen (or in its life, if shorter than ``every``) falls to the rest, which the
    caller takes from the whole machine's busy time (:func:`cpu_ticks`)."""

    def __init__(self, every: float = 2.0, proc: Path = Path("/proc")):
        self.every, self.proc = every, proc
        self.seconds: dict[str, float] = defaultdict(float)
        self._last: dict[int, tuple[str, int]] = {}   # pid: (command line, ticks at the last sample)
        self._tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self._done = threading.Event()

    def sample(self) -> None:
        """Add each process's ticks since the last sample to its kind."""
        seen = {}
        for d in self.proc.iterdir():
            if not d.name.isdigit():
                continue
            pid = int(d.name)
            try:
                stat = (d / "stat").read_text()
                fields = stat[stat.rindex(")") + 2:].split()
                ticks = int(fields[11]) + int(fields[12])   # utime, stime (fields 14, 15)
                # The kind is read at every sample: vLLM's engine starts as a multiprocessing child
                # ("python -c from multiprocessing.spawn ...") and takes its title VLLM::EngineCore
                # a moment later (a run that classified it once put every engine in the rest).
                comm = stat[stat.index("(") + 1:stat.rindex(")")]
                if pid in self._last:
                    cmdline, before = self._last[pid]
                else:
                    cmdline = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                    before = ticks
            except (OSError, ValueError, IndexError):
                continue   # the process ended while it was read
            if ticks >= before:
                self.seconds[process_kind(comm, cmdline)] += (ticks - before) / self._tick
            seen[pid] = (cmdline, ticks)
        self._last = seen

    def start(self) -> None:
        def run() -> None:
            while not self._done.wait(self.every):
                self.sample()
        if self.proc.is_dir():
            self.sample()
            self.seconds.clear()
            threading.Thread(target=run, daemon=True).start()

    def stop(self) -> dict[str, float]:
        """Stop sampling; the seconds per kind (the rest under ``""``)."""
        self._done.set()
        if self.proc.is_dir():
            self.sample()
        return dict(self.seconds)


_sampler = CpuSampler()


def pytest_sessionstart(session) -> None:
    """Read the set-up phases now (a test that runs scripts/start appends more), and the cores'
    ticks (the run's CPU use is printed with the wall time); in the main process, start sampling
    the CPU by kind of process."""
    _setup[:] = setup_phases()
    _cpu_at_start[0] = cpu_ticks()
    if not hasattr(session.config, "workerinput"):
        _sampler.start()


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
    busy = busy_share(_cpu_at_start[0], cpu_ticks())
    if busy is not None:   # near 100 %: the run is bound by the cores, and only less work makes it faster
        tr.write_line(f"{'cores busy':<32} {100 * busy:7.1f} %  (of {os.cpu_count()} cores, whole machine, over the run)")
        write_cpu_by_kind(tr, _cpu_at_start[0], cpu_ticks(), _sampler.stop())
    if _pages:
        tr.section("time per page (summed item time, s)")
        tr.write_line(f"{'page':<24}" + "".join(f"{lang:>9}" for lang in LANGS))
        for page, times in sorted(_pages.items(), key=lambda kv: -sum(kv[1].values())):
            tr.write_line(f"{page:<24}" + "".join(f"{times.get(lang, 0):9.1f}" for lang in LANGS))


def write_cpu_by_kind(tr, before, after, seconds: dict[str, float]) -> None:
    """The CPU seconds of each kind of process (:class:`CpuSampler`) and their share of the
    machine's busy time between the :func:`cpu_ticks` readings ``before`` and ``after``; the
    rest is the busy time no sampled process accounts for."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    busy = (after[0] - before[0]) / tick if before and after else 0
    if busy <= 0:
        return
    named = {k: v for k, v in seconds.items() if k}
    rows = sorted(named.items(), key=lambda kv: -kv[1])
    rows.append(("the rest (labs, curl, mkdocs, ...)", max(0.0, busy - sum(named.values()))))
    for kind, sec in rows:
        tr.write_line(f"  CPU: {kind:<34} {sec:7.0f} s  {100 * sec / busy:5.1f} %")


def schedule_summary(lines: list[str]) -> list[str]:
    """The schedule section's lines from a timeline's lines (:func:`plugins.schedule.timeline_line`:
    ``worker, alone, asked, began, ended, nodeid``, seconds since the epoch): items run, the
    seconds ``alone`` items ran (nothing else ran then), the seconds items waited for their turn
    (summed over workers) and the five longest ``alone`` items. Malformed lines are skipped."""
    rows = []
    for line in lines:
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 6:
            continue
        try:
            rows.append((parts[0], parts[1] == "1", *map(float, parts[2:5]), parts[5]))
        except ValueError:
            continue
    if not rows:
        return []
    alone = sorted(((ended - began, nodeid) for _, is_alone, _, began, ended, nodeid in rows if is_alone),
                   reverse=True)
    waited = sum(began - asked for _, _, asked, began, _, _ in rows)
    span = max(r[4] for r in rows) - min(r[2] for r in rows)
    out = [f"{'items':<32} {len(rows):7d}  over {span:.1f} s",
           f"{'alone items':<32} {len(alone):7d}  {sum(d for d, _ in alone):.1f} s with no other item running",
           f"{'waiting for a turn':<32} {waited:7.1f} s  (summed over workers)"]
    out += [f"  {d:7.1f} s  {nodeid}" for d, nodeid in alone[:5]]
    return out


def write_schedule(tr) -> None:
    """The schedule section, from this run's timeline (nothing without pytest-xdist)."""
    path = os.environ.get(schedule.TIMELINE_ENV)
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines() if path else []
    except OSError:
        lines = []
    if summary := schedule_summary(lines):
        tr.section("schedule (pytest-xdist)")
        for line in summary:
            tr.write_line(line)


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
    write_schedule(tr)
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
