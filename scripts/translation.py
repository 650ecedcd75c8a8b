"""Which version of its English twin each Chinese page translates.

A Chinese page records, in its front matter, the English page it was translated from:
``translated_from: "<the first 12 hex digits of the SHA-256 of docs/en/<page>>"``. When the
English page changes and the Chinese one is not brought up to date, the two differ and the
translation is stale: ``tests/docs/test_chinese.py`` names the page (and the commit whose English
it translates, for ``git diff``), and the built site shows a note on it (``scripts/mkdocs_hooks.py``).

    python scripts/translation.py              # every page: current or stale
    python scripts/translation.py module6      # docs/zh/module6.md now translates docs/en/module6.md
                                               # as it is: record that (after updating the translation)
"""
from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
KEY = "translated_from"
FRONT_MATTER = re.compile(r"\A---\n(?P<body>.*?\n)?---\n", re.DOTALL)
RECORDED = re.compile(rf"^{KEY}:[ \t]*[\"']?(?P<hash>[0-9a-f]*)[\"']?[ \t]*$", re.MULTILINE)
#: How to refresh a page's record, for messages.
COMMAND = "python scripts/translation.py"


def source_hash(text: str) -> str:
    """The record of an English page's text: the first 12 hex digits of its SHA-256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def english_hash(page: str, docs: Path = DOCS) -> str:
    """The record of ``docs/en/<page>`` as it is now."""
    return source_hash((docs / "en" / page).read_text(encoding="utf-8"))


def recorded(text: str) -> str | None:
    """The ``translated_from`` of a Chinese page's text (``None`` when it has none)."""
    m = FRONT_MATTER.match(text)
    found = RECORDED.search(m["body"] or "") if m else None
    return found["hash"] if found else None


def is_stale(page: str, docs: Path = DOCS) -> bool:
    """True when ``docs/zh/<page>`` does not record the English page as it is now."""
    return recorded((docs / "zh" / page).read_text(encoding="utf-8")) != english_hash(page, docs)


def with_record(text: str, value: str) -> str:
    """``text`` (a page with front matter) with ``translated_from`` set to ``value``."""
    m = FRONT_MATTER.match(text)
    if not m:
        raise ValueError("the page has no front matter (--- ... ---) to record the translation in")
    body = m["body"] or ""
    line = f'{KEY}: "{value}"\n'
    body = RECORDED.sub(line.rstrip("\n"), body) if RECORDED.search(body) else body + line
    return f"---\n{body}---\n" + text[m.end():]


def refresh(page: str, docs: Path = DOCS) -> str:
    """Record in ``docs/zh/<page>`` that it translates ``docs/en/<page>`` as it is now."""
    zh = docs / "zh" / page
    value = english_hash(page, docs)
    zh.write_text(with_record(zh.read_text(encoding="utf-8"), value), encoding="utf-8")
    return value


def commit_of(page: str, value: str, root: Path = ROOT, limit: int = 200) -> str | None:
    """The latest commit whose ``docs/en/<page>`` has the record ``value`` (``None``: not found,
    or no git)."""
    path = f"docs/en/{page}"
    try:
        log = subprocess.run(["git", "log", f"-{limit}", "--format=%h", "--", path], cwd=root,
                             capture_output=True, text=True, timeout=30).stdout.split()
        for commit in log:
            old = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=root,
                                 capture_output=True, text=True, timeout=30)
            if old.returncode == 0 and source_hash(old.stdout) == value:
                return commit
    except (OSError, subprocess.SubprocessError):
        return None
    return None


def explain(page: str, docs: Path = DOCS, root: Path = ROOT) -> str:
    """What to do about a stale page, in one message."""
    name = page.removesuffix(".md")
    value = recorded((docs / "zh" / page).read_text(encoding="utf-8"))
    if value is None:
        return (f"docs/zh/{page} does not record which English it translates: when it matches "
                f"docs/en/{page}, run `{COMMAND} {name}`")
    commit = commit_of(page, value, root)
    changed = (f"see `git diff {commit} -- docs/en/{page}`" if commit else
               "the version it translates is not in the recent history")
    return (f"docs/zh/{page} translates an older docs/en/{page} ({changed}): update the "
            f"translation, then run `{COMMAND} {name}`")


def pages(docs: Path = DOCS) -> list[str]:
    """The Chinese pages (paths inside ``docs/zh``) that have an English twin."""
    return sorted(p.relative_to(docs / "zh").as_posix() for p in (docs / "zh").rglob("*.md")
                  if (docs / "en" / p.relative_to(docs / "zh")).is_file())


def main(argv: list[str]) -> int:
    if any(a.startswith("-") for a in argv):
        print(__doc__.strip().split("\n\n", 2)[-1])
        return 0 if set(argv) <= {"-h", "--help"} else 2
    if not argv:
        stale = [p for p in pages() if is_stale(p)]
        for page in pages():
            print(f"{'stale  ' if page in stale else 'current'}  docs/zh/{page}")
        for page in stale:
            print(explain(page), file=sys.stderr)
        return 1 if stale else 0
    for name in argv:
        page = name.removeprefix("docs/zh/").removeprefix("docs/en/")
        page = page if page.endswith(".md") else f"{page}.md"
        if page not in pages():
            print(f"error: no page docs/zh/{page} with an English twin. fix: name one of "
                  f"{', '.join(p.removesuffix('.md') for p in pages())}", file=sys.stderr)
            return 2
        print(f"docs/zh/{page}: translated_from {refresh(page)} (docs/en/{page} as it is now)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
