"""Reading the site's pages for the structure tests: fences, headings, admonitions, directives.

Shapes: :func:`fences` yields :class:`Fence` records (1-based line of the opening fence, the
indentation, the info string such as ``python title="x.py"``, and the body with the indentation
removed). Only the pages under ``docs/en`` and ``docs/zh`` are read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
LANGS = ("en", "zh")
OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
DIRECTIVE = re.compile(r"^[ \t]*<!--\s*(skip|verified-with|clear-namespace)\b.*-->[ \t]*$")


@dataclass(frozen=True)
class Fence:
    """One fenced code block of a page."""

    line: int
    indent: str
    info: str
    body: str

    @property
    def language(self) -> str:
        """The first word of the info string ('' when there is none)."""
        return self.info.split()[0] if self.info.split() else ""


def pages(lang: str) -> list[str]:
    """Relative paths (POSIX) of the Markdown pages of one language, sorted."""
    base = DOCS / lang
    return sorted(p.relative_to(base).as_posix() for p in base.rglob("*.md"))


def read(lang: str, page: str) -> str:
    """The text of ``docs/<lang>/<page>``."""
    return (DOCS / lang / page).read_text(encoding="utf-8")


def fences(text: str) -> list[Fence]:
    """Every fenced block in ``text``, in order (nested fences inside a fence are body text)."""
    found, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        m = OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, body = m["indent"], m["fence"], []
        close = re.compile(rf"^{re.escape(indent)}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        j = i + 1
        while j < len(lines) and not close.match(lines[j]):
            body.append(lines[j][len(indent):] if lines[j].startswith(indent) else lines[j])
            j += 1
        found.append(Fence(i + 1, indent, m["info"].strip(), "\n".join(body)))
        i = j + 1
    return found


def outside_fences(text: str) -> list[str]:
    """The lines of ``text`` that are not inside a fenced block."""
    inside = set()
    for f in fences(text):
        inside.update(range(f.line, f.line + f.body.count("\n") + 3))
    return [l for n, l in enumerate(text.split("\n"), 1) if n not in inside]


def headings(text: str) -> list[int]:
    """Heading levels (1-6) of the ATX headings outside fences, in order."""
    return [len(m[1]) for l in outside_fences(text) if (m := re.match(r"^(#{1,6}) ", l))]


def admonitions(text: str) -> list[str]:
    """Admonition and details types (``!!! tip``, ``??? note``) outside fences, in order."""
    return [m[1] + " " + m[2] for l in outside_fences(text)
            if (m := re.match(r"^[ \t]*(!!!|\?\?\?\+?)[ \t]+(\w+)", l))]


def tabs(text: str) -> int:
    """How many content tabs (``=== "label"``) the page has."""
    return sum(1 for l in outside_fences(text) if re.match(r'^[ \t]*===\+?[ \t]+"', l))


def directives(text: str) -> list[str]:
    """The Sybil and site directives (HTML comments such as ``<!-- skip: next "why" -->``)."""
    return [l.strip() for l in outside_fences(text) if DIRECTIVE.match(l)]


def heading_ids(text: str) -> list[str]:
    """The ids MkDocs gives the headings of a page, in order: mkdocs.yml's toc ``slugify``
    (pymdownx.slugs, case=lower) of the heading's text; duplicates get ``_1``, ``_2``."""
    from pymdownx.slugs import slugify

    slug_of = slugify(case="lower")
    ids: list[str] = []
    for line in outside_fences(text):
        m = re.match(r"^#{1,6} (.+?)\s*#*\s*$", line)
        if not m:
            continue
        title = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", m[1]).replace("`", "").replace("**", "")
        slug, n = slug_of(title, "-"), 0
        while (slug if n == 0 else f"{slug}_{n}") in ids:
            n += 1
        ids.append(slug if n == 0 else f"{slug}_{n}")
    return ids


def lab_test_paths(page: str) -> list[str]:
    """The unit tests of the labs a page uses: ``tests/labs/<folder>/`` for every ``labs/<folder>/``
    the English page names (in includes or commands) that has such a test folder. Paths relative
    to the root, sorted."""
    folders = set(re.findall(r"\blabs/([\w-]+)/", read("en", page)))
    found = sorted(f"tests/labs/{f}" for f in folders if (ROOT / "tests" / "labs" / f).is_dir())
    return found


if __name__ == "__main__":   # python tests/pages.py tests-for PAGE (used by scripts/page)
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "tests-for":
        for path in lab_test_paths(sys.argv[2]):
            print(path)
    else:
        sys.exit("usage: python tests/pages.py tests-for PAGE.md")
