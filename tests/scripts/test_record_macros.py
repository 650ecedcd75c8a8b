"""Figures from recorded runs (``scripts/record_macros.py``): every ``record(...)`` call on a page
resolves, a page and its Chinese twin make the same calls, and a page that makes them renders
macros. The strict build (``tests/docs/test_pages.py``) then shows the recorded values."""
from __future__ import annotations

import json
import re
from collections import Counter

import pytest

import record_macros
from support import ROOT
import pages

CALL = re.compile(r"\{\{\s*(record\([^}]*\))\s*\}\}")


def calls(lang: str, page: str) -> Counter:
    return Counter(re.sub(r"\s+", "", c) for c in CALL.findall(pages.read(lang, page)))


@pytest.mark.parametrize("page", pages.pages("en"))
def test_twins_quote_the_same_recorded_figures(page):
    """A figure changed or typed in one language only fails here."""
    assert calls("en", page) == calls("zh", page)


@pytest.mark.parametrize("lang", pages.LANGS)
def test_every_call_resolves_on_a_page_that_renders_macros(lang):
    used = 0
    for page in pages.pages(lang):
        found = calls(lang, page)
        if not found:
            continue
        assert re.search(r"^render_macros: true$", pages.read(lang, page).split("\n---", 1)[0], re.M), \
            f"{lang}/{page} quotes recorded figures but does not set render_macros: true"
        for call in found:
            eval(call, {"record": record_macros.record})  # noqa: S307 - the page's own macro call
            used += 1
    assert used, "no page quotes a recorded figure through record()"


def test_record_fails_on_a_missing_key_or_a_file_outside_labs():
    assert record_macros.record("labs/module5/record/why_vllm.json", "ways.2.requests") == "32"
    ridge = json.loads((ROOT / "labs/module5/record/roofline.json").read_text())["ridge_batch"]   # 31.4: "31"
    assert record_macros.record("labs/module5/record/roofline.json", "ridge_batch", 0) == f"{ridge:.0f}"
    with pytest.raises(KeyError):
        record_macros.record("labs/module5/record/why_vllm.json", "ways.9.requests")
    with pytest.raises(ValueError):
        record_macros.record("pyproject.toml", "project")
