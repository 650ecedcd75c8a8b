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
import subprocess
import sys
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


def says_what_it_waits_for(path: str, first_line: str, **env: str) -> list[str]:
    """Run the lab ``path`` (``python labs/x/y.py``, no arguments, stdin closed) with a progress
    line every second (``WORKSHOP_PROGRESS_EVERY=1``; ``env`` adds variables such as
    ``VLLM_BASE_URL``) and return its output lines, after checking that it exited 0, that its
    first line is ``first_line`` (said before the long wait begins) and that a ``  still ...``
    line of ``workshop.waiting`` followed: a long wait is never a silence (issue 21)."""
    p = subprocess.run([sys.executable, path], cwd=ROOT, capture_output=True, text=True,
                       timeout=600, stdin=subprocess.DEVNULL,
                       env={**os.environ, "WORKSHOP_PROGRESS_EVERY": "1", **env})
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == first_line, lines[:3]
    assert any(line.startswith("  still ") for line in lines), lines
    return lines


class Terminal(io.StringIO):
    """Stands for a terminal in a test of a program's terminal-only output: what is written
    (``getvalue()``), and ``isatty()`` true."""

    def isatty(self) -> bool:
        return True
