"""Figures from recorded runs, rendered into the pages by mkdocs-macros-plugin (mkdocs.yml).

A page that shows a figure of a recorded run (a ratio, tokens/s, seconds "measured here") sets
``render_macros: true`` in its front matter and writes the figure as a macro call, in both
languages, never as typed digits::

    vLLM at concurrency 32 made {{ record("labs/module5/record/why_vllm.json", "ways.2.vs_transformers") }}x
    the tokens/s of transformers

so that a new recorded run changes every page that quotes it, and a figure cannot be edited in
one language only (``tests/scripts/test_record_macros.py`` checks that a page and its twin make
the same calls, and that every call resolves). Only pages with ``render_macros: true`` are
rendered (``render_by_default: false``): the other pages hold ``{{`` as text, e.g. Podman's
``--format '{{.Size}}'``.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@lru_cache
def _load(path: str) -> object:
    file = (ROOT / path).resolve()
    if ROOT not in file.parents or not path.startswith("labs/") or file.suffix != ".json":
        raise ValueError(f"record(): {path!r} is not a JSON file under labs/")
    return json.loads(file.read_text(encoding="utf-8"))


def record(path: str, key: str, digits: int | None = None) -> str:
    """The value at ``key`` (dotted: ``ways.2.tokens_per_s``; a number picks a list item) in the
    JSON file ``path`` (relative to the repository root, under ``labs/``), as text: numbers as
    recorded, or rounded to ``digits`` decimals (``0``: an integer, with no thousands separator).

    Raises ``ValueError`` for a path outside ``labs/`` and ``KeyError`` for a key that is not
    there, so that ``mkdocs build --strict`` fails instead of showing a wrong figure."""
    value = _load(path)
    for part in key.split("."):
        try:
            value = value[int(part)] if isinstance(value, list) else value[part]
        except (KeyError, IndexError, ValueError, TypeError):
            raise KeyError(f"record(): {path} has no {key!r} (failed at {part!r})") from None
    if digits is not None and isinstance(value, (int, float)):
        return f"{value:.{digits}f}"
    return str(value)


def define_env(env) -> None:
    """mkdocs-macros-plugin's entry point: the page macros."""
    env.macro(record)
