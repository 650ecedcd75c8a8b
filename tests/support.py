"""What the tests share besides fixtures: the repository root and the one way to load a lab.

Labs are programs (``python labs/module3/round_trip.py``), not packages; a test that calls a
lab's functions loads it with :func:`load_lab`, which imports it the way it runs: with its own
folder and ``labs/`` first on ``sys.path`` (a lab imports its neighbours, e.g. ``from bench import
...``, and the installed ``workshop`` helpers).
"""
from __future__ import annotations

import importlib.util
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
