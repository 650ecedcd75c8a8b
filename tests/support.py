"""What the tests share besides fixtures: the repository root and the one way to load a lab.

Labs are programs (``python labs/module3/round_trip.py``), not packages; a test that calls a
lab's functions loads it with :func:`load_lab`, which imports it the way it runs: with its own
folder and ``labs/`` first on ``sys.path`` (a lab imports its neighbours, e.g. ``from bench import
...``, and the installed ``workshop`` helpers).
"""
from __future__ import annotations

import importlib.util
import io
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import ModuleType

#: The repository root.
ROOT = Path(__file__).resolve().parents[1]


def load_lab(path: str) -> ModuleType:
    """Import the lab ``path`` (relative to the root, e.g. ``"labs/module3/parsers.py"``) as a
    module named after it (``labs.module3.parsers`` becomes ``lab_module3_parsers``), once per
    process; its folder stays on ``sys.path``. Raises ``FileNotFoundError`` for a missing file."""
    file = ROOT / path
    if not file.is_file():
        raise FileNotFoundError(file)
    name = "lab_" + "_".join(file.relative_to(ROOT / "labs").with_suffix("").parts)
    if name in sys.modules:
        return sys.modules[name]
    for folder in (str(ROOT / "labs"), str(file.parent)):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(name, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


#: The longest a lab may leave the terminal without a new line (issue 21, long silent waits):
#: ``workshop.waiting`` prints one every ``$WORKSHOP_PROGRESS_EVERY`` seconds (default 15).
SILENCE = 15.0


def timed_output(path: str, env: dict[str, str], timeout: float = 600) -> tuple[int, list[tuple[float, str, str]], float]:
    """Run the lab ``path`` (``python labs/x/y.py``, no arguments, stdin closed, unbuffered) with
    ``env`` and return ``(exit status, lines, seconds)``: every output line as ``(seconds since
    the start, "out" or "err", text)`` in the order they came, and the seconds until the process
    ended and closed its output."""
    start = time.monotonic()
    p = subprocess.Popen([sys.executable, path], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, text=True, env={**env, "PYTHONUNBUFFERED": "1"})
    lines: list[tuple[float, str, str]] = []
    lock = threading.Lock()

    def read(stream, name):
        for text in stream:
            with lock:
                lines.append((time.monotonic() - start, name, text.rstrip("\n")))
    readers = [threading.Thread(target=read, args=(p.stdout, "out")), threading.Thread(target=read, args=(p.stderr, "err"))]
    for reader in readers:
        reader.start()
    try:
        status = p.wait(timeout=timeout)
    finally:
        p.kill()
        for reader in readers:
            reader.join()
    return status, lines, time.monotonic() - start


def longest_silence(lines: list[tuple[float, str, str]], end: float) -> tuple[float, str]:
    """The longest stretch without a new line (from the start, between two lines, or from the
    last line to the end ``end``) of :func:`timed_output`'s lines, and the line that ended it."""
    times = [0.0] + [t for t, _, _ in lines] + [end]
    after = [text for _, _, text in lines] + ["(the end of the program)"]
    gap, index = max((b - a, i) for i, (a, b) in enumerate(zip(times, times[1:])))
    return gap, after[index]


def says_what_it_waits_for(path: str, first_line: str, **env: str) -> list[str]:
    """Run the lab ``path`` (``python labs/x/y.py``, no arguments, stdin closed) with a progress
    line every second (``WORKSHOP_PROGRESS_EVERY=1``; ``env`` adds variables such as
    ``VLLM_BASE_URL``) and return its output lines, after checking that it exited 0, that its
    first line is ``first_line`` (said before the long wait begins), that a ``  still ...``
    line of ``workshop.waiting`` followed, and that the terminal was never silent (stdout and
    stderr together) for more than :data:`SILENCE` seconds, its exit included: a long wait is
    never a silence (issue 21)."""
    status, timed, seconds = timed_output(path, {**os.environ, "WORKSHOP_PROGRESS_EVERY": "1", **env})
    lines = [text for _, stream, text in timed if stream == "out"]
    everything = "\n".join(text for _, _, text in timed)
    assert status == 0, everything
    assert lines[0] == first_line, lines[:3]
    assert any(line.startswith("  still ") for line in lines), lines
    gap, before = longest_silence(timed, seconds)
    assert gap <= SILENCE, f"{gap:.1f} s without output before {before!r}:\n{everything}"
    return lines


def waits(lines: list[str]) -> list[str]:
    """The waits a lab announced with ``workshop.waiting``, in order: each ``what`` of a line
    ``what ...`` that a line ``what: done in N s`` closes later."""
    return [line[:-4] for i, line in enumerate(lines) if line.endswith(" ...")
            and any(re.fullmatch(rf"{re.escape(line[:-4])}: done in \d+ s", later) for later in lines[i + 1:])]


def offline_waits(*calls: str) -> list[str]:
    """What an offline lab (one that builds a ``vllm.LLM``) waits for, in order, with the
    ``LLM`` methods it ``calls`` (``"chat"`` becomes ``running chat``): each announced at once and
    followed by a line every ``$WORKSHOP_PROGRESS_EVERY`` s. On a busy 2-core machine importing
    vLLM, the first batch and the exit were each silent for 6 to 27 s in a walkthrough (issue 21);
    the exit is ``workshop.finish``'s."""
    return ["importing vLLM", "loading the model into this process", *(f"running {c}" for c in calls),
            "stopping vLLM's engine"]


class Terminal(io.StringIO):
    """Stands for a terminal in a test of a program's terminal-only output: what is written
    (``getvalue()``), and ``isatty()`` true."""

    def isatty(self) -> bool:
        return True
