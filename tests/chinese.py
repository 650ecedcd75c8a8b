"""Checks of the Chinese pages' prose: English left untranslated, and terms off the term list.

:func:`english_lines` returns prose lines of a zh page (outside code fences) whose words are
mostly English once code, links, URLs, HTML comments and product names are taken out.
:func:`glossary` reads the translators' term list ``tests/zh_terms.yml`` (a YAML list of
``{en, zh, avoid: [...]}``; the learners' glossary is ``docs/{en,zh}/glossary.md``) and
:func:`off_glossary` finds the avoided variants in a page; :func:`broken_lines` finds a sentence
split over two source lines, which the browser shows with a stray space. Both of those return ``(line, text)``
pairs; :func:`glossary` returns ``(english, chinese, avoided variants)`` rows.

:func:`typesetting` runs AutoCorrect (``autocorrect-py``, the rules in ``.autocorrectrc``) over a
page's prose: spaces between CJK and Latin text or inline code, full-width punctuation in Chinese
sentences, no stray spaces beside it. It returns ``(line, message)`` pairs.
"""
from __future__ import annotations

import difflib
import re
from pathlib import Path

import autocorrect_py
import yaml

import pages

#: The translators' term list (see its header comment).
TERMS = Path(__file__).resolve().parent / "zh_terms.yml"
#: AutoCorrect's rules for the Chinese pages (see its comments).
AUTOCORRECT_RC = pages.ROOT / ".autocorrectrc"

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
# What a Chinese sentence legitimately keeps in Latin script.
KEEP = [re.compile(p) for p in (
    r"`[^`]*`",                    # inline code
    r"<!--.*?-->",                 # directives and comments
    r"\]\([^)]*\)",                # link targets (the link text stays)
    r"https?://\S+",               # bare URLs
    r"\b(?:vLLM|OpenAI|ACME|Corp|Pydantic|Lark|GBNF|EBNF|JSON|Schema|API|GPU|CPU|HTTP|SSE|TTFT|"
    r"ITL|token|tokens|Docker|Podman|Python|Hugging|Face|MkDocs|Material|Chromium|MCP|GuideLLM|"
    r"SmolLM2|Instruct|Qwen|xgrammar|guidance|outlines|curl|pip|venv|Linux|macOS|Windows|WSL|"
    r"CUDA|Sybil|pytest|CI|GitHub|SQLite|URL|ID|DSL|SQL|regex)\b",
)]


def prose_lines(text: str) -> list[tuple[int, str]]:
    """``(line number, text)`` of the lines outside code fences."""
    inside, out = None, []
    for number, line in enumerate(text.split("\n"), 1):
        m = pages.OPEN.match(line)
        if inside is None and m:
            inside = m["fence"]
        elif inside is not None and line.strip().startswith(inside[0] * len(inside)) and \
                not line.strip().strip(inside[0]):
            inside = None
        elif inside is None:
            out.append((number, line))
    return out


def english_lines(text: str, min_words: int = 5) -> list[tuple[int, str]]:
    """Prose lines with at least ``min_words`` English words and fewer CJK characters than
    English words (product names, code and links do not count as English)."""
    found = []
    front = FRONT_MATTER.match(text)
    front_lines = front[0].count("\n") if front else 0   # a hash such as 5c3ec72bb3be reads as words
    for number, line in prose_lines(text):
        if number <= front_lines:
            continue
        rest = line
        for pattern in KEEP:
            rest = pattern.sub(" ", rest)
        words, cjk = LATIN_WORD.findall(rest), CJK.findall(rest)
        if len(words) >= min_words and len(cjk) < len(words):
            found.append((number, line.strip()))
    return found


#: CJK ideographs and full-width punctuation (，。：；？！（）「」…).
CJK_OR_PUNCT = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
NOT_PROSE = re.compile(r"\s*(?:[|#>]|[-*+]\s|\d+\.\s|<!--|---|\w+:\s)|\s{4}")


def broken_lines(text: str) -> list[tuple[int, str]]:
    """Lines of a paragraph that end on a Chinese character and continue on the next line with
    one: Markdown joins the two with a space, which shows as a gap in the middle of a Chinese
    sentence (English joins its lines with a space on purpose; Chinese must not). Table rows,
    headings, list items, indented blocks and code are left alone."""
    prose = prose_lines(text)
    found = []
    for (n, line), (m, following) in zip(prose, prose[1:]):
        if m != n + 1 or not line.strip() or not following.strip():
            continue
        if NOT_PROSE.match(line) or NOT_PROSE.match(following):
            continue
        if CJK_OR_PUNCT.match(line.rstrip()[-1]) and CJK_OR_PUNCT.match(following.lstrip()[0]):
            found.append((n, f"{line.rstrip()[-12:]} / {following.strip()[:12]}"))
    return found


#: The one header of a troubleshooting table (symptom, cause, fix).
TROUBLESHOOTING_HEADER = "| 症状 | 原因 | 解决方法 |"


def troubleshooting_headers(text: str) -> list[str]:
    """The header row of each table under the ``## 故障排除`` heading."""
    section = text.split("\n## 故障排除", 1)
    if len(section) == 1:
        return []
    rows = section[1].split("\n## ", 1)[0].split("\n")
    return [row.strip() for prev, row in zip([""] + rows, rows)
            if row.startswith("|") and not prev.startswith("|")]


def glossary(path: Path = TERMS) -> list[tuple[str, str, list[str]]]:
    """Rows ``(english, chinese, avoided variants)`` of the term list at ``path``."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a YAML list of {{en, zh, avoid}}")
    rows = []
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not {"en", "zh", "avoid"} <= entry.keys():
            raise ValueError(f"{path}: entry {n} needs en, zh and avoid: {entry!r}")
        avoided = entry["avoid"] or []
        if not isinstance(avoided, list) or not all(isinstance(v, str) and v for v in avoided):
            raise ValueError(f"{path}: entry {n} ({entry['en']}): avoid must be a list of strings")
        rows.append((str(entry["en"]), str(entry["zh"]), list(avoided)))
    return rows


def off_glossary(text: str, rows) -> list[tuple[int, str]]:
    """``(line, message)`` for each avoided variant used in the prose of ``text``."""
    found = []
    for number, line in prose_lines(text):
        for english, chinese, avoided in rows:
            for variant in avoided:
                if variant in line:
                    found.append((number, f"{variant!r}: write {chinese!r} ({english})"))
    return found


# ------------------------------------------------------------------ typesetting (AutoCorrect)

FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
COMMENT_LINE = re.compile(r"^\s*<!--.*-->\s*$")
LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def prose_view(text: str) -> str:
    """``text`` with what is not prose blanked (front matter, code fences, directive lines) and
    indentation removed, line for line: Material's admonitions and tabs indent their prose by
    four spaces, which a Markdown linter would take for an indented code block."""
    m = FRONT_MATTER.match(text)
    skip = set(range(1, m[0].count("\n") + 1)) if m else set()
    keep = dict(prose_lines(text))
    lines = text.split("\n")
    return "\n".join("" if n in skip or n not in keep or COMMENT_LINE.match(line) else line.strip()
                     for n, line in enumerate(lines, 1))


def _rules(path: Path = AUTOCORRECT_RC) -> dict[str, int]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]


def _configure(rules: dict[str, int]) -> None:
    """AutoCorrect's configuration is global to the process and merged: set every rule."""
    autocorrect_py.load_config(yaml.safe_dump({"rules": rules}))


def _excerpt(old: str, new: str, width: int = 12) -> str:
    """Each change from ``old`` to ``new``, as ``'…before…' -> '…after…'`` with some context."""
    changes = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag != "equal":
            changes.append(f"{old[max(0, i1 - width):i2 + width].strip()!r} -> "
                           f"{new[max(0, j1 - width):j2 + width].strip()!r}")
    return "; ".join(changes)


def typesetting(text: str, rc: Path = AUTOCORRECT_RC) -> list[tuple[int, str]]:
    """``(line, message)`` for each AutoCorrect finding in the prose of a Chinese page.

    Two passes with AutoCorrect's own rules: its Markdown linter over :func:`prose_view`, then,
    because that linter leaves inline code alone by design (huacnlee/autocorrect#125, #304), its
    ``space-backticks`` rule alone over each prose line that has inline code (links reduced to
    their text, which the plain-text formatter would otherwise space like brackets)."""
    rules = _rules(rc)
    view = prose_view(text)
    found = []
    _configure(rules)
    for r in autocorrect_py.lint_for(view + "\n", "md").lines:
        found.append((r.line, _excerpt(r.old, r.new)))
    if rules.get("space-backticks"):
        _configure({rule: 0 for rule in rules} | {"space-backticks": rules["space-backticks"]})
        try:
            for n, line in enumerate(view.split("\n"), 1):
                if "`" in line:
                    plain = LINK.sub(r"\1", line)
                    fixed = autocorrect_py.format(plain)
                    if fixed != plain:
                        found.append((n, _excerpt(plain, fixed)))
        finally:
            _configure(rules)
    return sorted(found)
