"""A block that only works on another server says so, and the page shows what the workshop's does.

Some blocks run only where the session's server can do something the workshop's CPU server
cannot (``<!-- skip: next server_refuses_images() -->``: a model that reads images). On the
workshop server they are skipped, but a reader types them there all the same. Such a block must
(1) say in its title what it needs (a title the docs plugin knows, ``BLOCK_TITLES``, translated
in the Chinese twin), and (2) follow a block with the same command that runs on the workshop
server (skipped by the inverse condition only), so the page shows what this server answers.
"""
from __future__ import annotations

import re

import pytest

import pages
import plugins.docs as plugin_docs

#: A run-time skip because the server cannot do something -> the skip of its counterpart block,
#: and the kind of title the block needs (``plugin_docs.BLOCK_TITLES``).
SERVER_CONDITIONS = {"server_refuses_images": ("server_takes_images", "needs-vision-model")}
SKIP_NEXT = re.compile(r"^\s*<!--\s*skip:\s*next\s+(\w+)\(\)\s*-->\s*$")


def condition_before(text: str, fence: pages.Fence) -> str | None:
    """The condition function of a ``skip: next f()`` directive right before ``fence``."""
    before = [l for l in text.split("\n")[:fence.line - 1] if l.strip()]
    m = SKIP_NEXT.match(before[-1]) if before else None
    return m[1] if m else None


def first_command(fence: pages.Fence) -> str:
    lines = fence.body.splitlines()
    return lines[0].removeprefix("$ ").split(";")[0].split("||")[0].strip() if lines else ""


def problems(text: str) -> list[str]:
    found, fences = [], pages.fences(text)
    for i, fence in enumerate(fences):
        condition = condition_before(text, fence)
        if condition not in SERVER_CONDITIONS:
            continue
        inverse, kind = SERVER_CONDITIONS[condition]
        title = plugin_docs.title_of(fence.info) or ""
        if plugin_docs.BLOCK_TITLES.get(title) != kind:
            found.append(f"line {fence.line}: a block skipped by {condition}() needs a title saying so "
                         f"(one of {[t for t, k in plugin_docs.BLOCK_TITLES.items() if k == kind]}), has {title!r}")
        command = first_command(fence)
        if not any(first_command(f) == command and condition_before(text, f) == inverse for f in fences[:i]):
            found.append(f"line {fence.line}: `{command}` is shown only for a server that can run it: add "
                         f"before it a block with the same command skipped by {inverse}() (what the "
                         f"workshop server answers)")
    return found


@pytest.mark.parametrize("lang", pages.LANGS)
@pytest.mark.parametrize("page", pages.pages("en"))
def test_a_block_for_another_server_is_titled_and_paired_with_the_workshop_servers_answer(lang, page):
    assert problems(pages.read(lang, page)) == []


def test_the_inverse_conditions_exist():
    """Every counterpart condition is one the page's skips can call."""
    for inverse, _ in SERVER_CONDITIONS.values():
        assert inverse in plugin_docs.CONDITIONS
