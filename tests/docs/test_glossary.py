"""The learners' glossary, ``docs/{en,zh}/glossary.md``: a table of term, meaning and where the
workshop first uses the term.

Each "first used" link must point to a page (and, with an anchor, a section) that exists and
really contains the term: on the English page, every name in the term cell (``TTFT (time to first
token)`` has two), case-insensitive and in any word form (``constrained decoding`` matches
"constrain decoding", ``serving`` matches "serve"); on the Chinese page, the Chinese name(s),
exactly. A row without a link names a module in preparation, whose page must not exist yet.
Both languages have the same rows, linked to the same page and section.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

import pages

GLOSSARY = "glossary.md"
LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
PLANNED = {"en": re.compile(r"^Module (\d+) \(in preparation\)$"),
           "zh": re.compile(r"^模块 (\d+)（编写中）$")}
HEADER = {"en": "Term", "zh": "术语"}
#: Endings dropped from an English word before matching it, so that other forms match too.
ENDINGS = ("ing", "ed", "es", "s", "e")


@dataclass(frozen=True)
class Row:
    """One row of a glossary table."""

    line: int
    term: str
    meaning: str
    where: str


def rows(text: str, lang: str) -> list[Row]:
    """The rows of the glossary's table (header and separator left out)."""
    found = []
    for number, line in enumerate(text.split("\n"), 1):
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] == HEADER[lang] or set(cells[0]) <= set("-: "):
            continue
        found.append(Row(number, *cells))
    return found


def names(term: str, lang: str) -> list[str]:
    """The names a term cell gives: ``**a** / **b** (c)`` gives a, b and, in English, c (in
    Chinese the parenthesis holds the English term, which the Chinese page need not use)."""
    plain = term.replace("**", "").replace("`", "")
    inside = [p.strip() for p in re.findall(r"[(（]([^)）]*)[)）]", plain)]
    outside = re.sub(r"\s*[(（][^)）]*[)）]", "", plain)
    found = [n.strip() for n in outside.split(" / ")]
    if lang == "en":
        found += inside
    return [n for n in found if n]


def stem(word: str) -> str:
    """``word`` without a common English ending (only for plain words longer than four letters)."""
    if word.isalpha() and len(word) > 4:
        for ending in ENDINGS:
            if word.endswith(ending):
                return word[: -len(ending)]
    return word


def name_pattern(name: str) -> re.Pattern:
    """A case-insensitive pattern for an English name in any word form, across line breaks."""
    words = [re.escape(stem(w.lower())) + r"\w*" for w in name.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words), re.IGNORECASE)


def uses(text: str, name: str, lang: str) -> bool:
    """True when ``text`` (a page) uses ``name``."""
    return bool(name_pattern(name).search(text)) if lang == "en" else name in text


def target(lang: str, href: str) -> tuple[str, int | None] | str:
    """``(page, index of the heading)`` a link points to (index ``None`` without an anchor), or
    a message saying why it points nowhere."""
    page, _, anchor = href.partition("#")
    if not (pages.DOCS / lang / page).is_file():
        return f"{href}: no page docs/{lang}/{page}"
    if not anchor:
        return page, None
    ids = pages.heading_ids(pages.read(lang, page))
    if anchor not in ids:
        return f"{href}: docs/{lang}/{page} has no heading with the id {anchor!r}"
    return page, ids.index(anchor)


def row_problems(row: Row, lang: str) -> list[str]:
    """What is wrong with one row's "first used" cell; empty when nothing is."""
    where = f"line {row.line} ({row.term})"
    links = LINK.findall(row.where)
    if not links:
        m = PLANNED[lang].match(row.where)
        if not m:
            return [f"{where}: neither a link nor {PLANNED[lang].pattern!r}: {row.where!r}"]
        if (pages.DOCS / lang / f"module{m[1]}.md").exists():
            return [f"{where}: module{m[1]}.md exists now: link the section that uses the term"]
        return []
    problems = []
    for _, href in links:
        found = target(lang, href)
        if isinstance(found, str):
            problems.append(f"{where}: {found}")
            continue
        text = pages.read(lang, found[0])
        problems += [f"{where}: docs/{lang}/{found[0]} does not use {name!r}"
                     for name in names(row.term, lang) if not uses(text, name, lang)]
    return problems


def glossary_problems(text: str, lang: str) -> list[str]:
    """Problems of a whole glossary page in ``lang``."""
    found = rows(text, lang)
    if not found:
        return [f"no glossary table (a header starting with {HEADER[lang]!r} and three columns)"]
    return [p for row in found for p in row_problems(row, lang)]


def places(text: str, lang: str) -> list[tuple]:
    """For each row, where it points: the targets of its links, or the planned module's number."""
    out = []
    for row in rows(text, lang):
        links = LINK.findall(row.where)
        m = PLANNED[lang].match(row.where)
        out.append(tuple(target(lang, href) for _, href in links) if links
                   else ("planned", m[1] if m else row.where))
    return out


def twin_problems(en: str, zh: str) -> list[str]:
    """Differences between the English and the Chinese glossary: rows, links and sections."""
    en_places, zh_places = places(en, "en"), places(zh, "zh")
    if len(en_places) != len(zh_places):
        return [f"{len(en_places)} rows in English, {len(zh_places)} in Chinese"]
    en_rows = rows(en, "en")
    return [f"row {n} ({row.term}): English {a}, Chinese {b}"
            for n, (row, a, b) in enumerate(zip(en_rows, en_places, zh_places), 1) if a != b]


@pytest.mark.parametrize("lang", pages.LANGS)
def test_glossary_links_point_to_pages_that_use_the_term(lang):
    problems = glossary_problems(pages.read(lang, GLOSSARY), lang)
    assert not problems, f"docs/{lang}/{GLOSSARY}:\n" + "\n".join(problems)


def test_both_glossaries_have_the_same_rows_and_links():
    problems = twin_problems(pages.read("en", GLOSSARY), pages.read("zh", GLOSSARY))
    assert not problems, "\n".join(problems)


def test_glossary_checks_can_fail():
    head = "# Glossary\n\n| Term | Meaning | First used |\n|---|---|---|\n"
    good = head + ("| **streaming** | x | [Module 1](module1.md#5-streaming) |\n"
                   "| **constrained decoding** | x | [Module 2](module2.md) |\n"
                   "| **TTFT** (time to first token) | x | [Module 1](module1.md) |\n"
                   "| **PagedAttention** | x | Module 9 (in preparation) |\n")
    assert glossary_problems(good, "en") == []
    bad = head + ("| **PagedAttention** | x | [Module 1](module1.md) |\n"
                  "| **streaming** | x | [Module 1](module1.md#no-such-section) |\n"
                  "| **streaming** | x | [Module 7](module7.md) |\n"
                  "| **TTFT** (time to nothing) | x | [Module 1](module1.md) |\n"
                  "| **token** | x | Module 1 (in preparation) |\n"
                  "| **token** | x | soon |\n")
    problems = glossary_problems(bad, "en")
    assert len(problems) == 6, problems
    assert glossary_problems("# Glossary\n\nNo table.\n", "en")
    zh_good = ("# 术语表\n\n| 术语 | 含义 | 首次出现 |\n|---|---|---|\n"
               "| **流式输出**（streaming） | x | [模块 1](module1.md#5-流式输出) |\n"
               "| **约束解码**（constrained decoding） | x | [模块 2](module2.md) |\n"
               "| **PagedAttention** | x | 模块 9（编写中） |\n")
    assert glossary_problems(zh_good, "zh") == []
    assert twin_problems(good.replace("| **TTFT** (time to first token) | x | [Module 1](module1.md) |\n", ""),
                         zh_good) == []
    assert twin_problems(good, zh_good), "a missing row must be reported"
    assert glossary_problems(zh_good.replace("流式输出**", "流式传送**"), "zh"), \
        "a Chinese name the page does not use must be reported"
    moved = zh_good.replace("module1.md#5-流式输出", "module1.md#6-采样参数")
    assert twin_problems(good.replace("| **TTFT** (time to first token) | x | [Module 1](module1.md) |\n", ""),
                         moved), "a link to another section must be reported"
