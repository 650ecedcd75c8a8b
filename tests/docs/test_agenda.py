"""The instructor's agenda, ``docs/{en,zh}/agenda.md``: every section it names exists, and its
times add up.

A path is a level-2 heading that ends with its length, ``(90 min)`` or ``（90 分钟）``, followed by
a table whose rows are ``| start | minutes | what | where the minutes come from |``. For each path:

- the starts run from ``0:00`` and each is the previous start plus the previous row's minutes;
- the minutes add up to the path's length;
- every link points to a page of the same language and, with an anchor, to a heading it has;
- a link to a numbered section ("## 3. ...") of a page that states a time per step (a table
  ``| 3 | ... | 10 min |`` / ``10 分钟``) takes exactly that many minutes, and a link to a whole
  page (no anchor) takes the page's **Time:** line: the agenda uses the modules' stated times;
- a row without a link (a break, questions) is allowed, with the minutes it says.

Both languages have the same paths with the same rows: same minutes, and links to the same page
and the same heading (by position, since the anchors are translated).

The opening's total (the whole workshop's minutes of teaching, in hours too, and Modules 1 to 6's)
is the sum of the pages' **Time:** lines, the agenda's own left out.
"""
from __future__ import annotations

import re

import pytest

import pages

AGENDA = "agenda.md"
PATH = {"en": re.compile(r"^## .*\((\d+) min\)$"), "zh": re.compile(r"^## .*（(\d+) 分钟）$")}
ROW = re.compile(r"^\|\s*(\d+):(\d\d)\s*\|\s*(\d+)\s*\|(.*)\|(.*)\|\s*$")
LINK = re.compile(r"\[[^\]]+\]\(([^)\s]+)\)")
#: A page's stated time (its opening line) and a step's time in its step table.
PAGE_TIME = {"en": re.compile(r"\*\*Time:\*\* (\d+) minutes"),
             "zh": re.compile(r"\*\*时间：\*\* (\d+) 分钟")}
#: The opening's total: "takes 510 minutes (8.5 hours) of teaching ... Modules 1 to 6 alone take 385".
TOTAL = {"en": re.compile(r"takes (\d+) minutes \(([\d.]+) hours\) of teaching.*?"
                          r"Modules 1 to 6 alone take (\d+)", re.S),
         "zh": re.compile(r"共需 (\d+) 分钟（([\d.]+) 小时）的授课时间.*?"
                          r"仅模块 1 到模块 6 就要 (\d+) 分钟", re.S)}
STEP_TIME = {"en": re.compile(r"^\| (\d+) \|.*\| (\d+) min \|$", re.M),
             "zh": re.compile(r"^\| (\d+) \|.*\| (\d+) 分钟 \|$", re.M)}


def paths(text: str, lang: str) -> list[tuple[str, int, list[tuple[int, int, list[str]]]]]:
    """``(heading, length, rows)`` per path; a row is ``(start in minutes, minutes, links)``."""
    found = []
    for line in pages.outside_fences(text):
        if m := PATH[lang].match(line):
            found.append((line, int(m[1]), []))
        elif line.startswith("## "):
            found.append(None)  # a heading that is not a path ends the previous one
        elif (row := ROW.match(line)) and found and found[-1]:
            hours, mins, minutes, what, _ = row.groups()
            found[-1][2].append((int(hours) * 60 + int(mins), int(minutes), LINK.findall(what)))
    return [p for p in found if p]


def stated_minutes(lang: str, href: str) -> int | None | str:
    """The minutes the page states for what ``href`` points to: the step's time, or the page's
    time for a whole page; ``None`` when it states none; a message when the link is broken."""
    page, _, anchor = href.partition("#")
    if "/" in page or not (pages.DOCS / lang / page).is_file():
        return f"{href}: no page docs/{lang}/{page}"
    text = pages.read(lang, page)
    if not anchor:
        m = PAGE_TIME[lang].search(text)
        return int(m[1]) if m else None
    if anchor not in pages.heading_ids(text):
        return f"{href}: docs/{lang}/{page} has no heading with the id {anchor!r}"
    step = re.match(r"^(\d+)-", anchor)
    steps = dict(STEP_TIME[lang].findall(text))
    return int(steps[step[1]]) if step and step[1] in steps else None


def agenda_problems(text: str, lang: str) -> list[str]:
    """Everything wrong with an agenda page; empty when nothing is."""
    found = paths(text, lang)
    problems = [] if found else ["no path (a '## ... (N min)' heading with a table)"]
    for heading, length, rows in found:
        clock = 0
        for start, minutes, links in rows:
            where = f"{heading} | {start // 60}:{start % 60:02d}"
            if start != clock:
                problems.append(f"{where}: starts at {start} min, but the rows before end at {clock}")
            clock = start + minutes
            for href in links:
                stated = stated_minutes(lang, href)
                if isinstance(stated, str):
                    problems.append(f"{where}: {stated}")
                elif stated is not None and stated != minutes:
                    problems.append(f"{where}: {minutes} min for {href}, but that page states {stated}")
        total = sum(minutes for _, minutes, _ in rows)
        if total != length:
            problems.append(f"{heading}: the rows add up to {total} min, not {length}")
    return problems


def workshop_minutes(lang: str) -> tuple[int, float, int]:
    """``(minutes, hours, minutes of Modules 1 to 6)``: the **Time:** lines of every page of
    ``lang`` but the agenda added up (pages without one, the home page and the glossary, add
    nothing); the hours rounded to the half hour."""
    times = {page: int(m[1]) for page in pages.pages(lang) if page != AGENDA
             if (m := PAGE_TIME[lang].search(pages.read(lang, page)))}
    total = sum(times.values())
    modules = sum(minutes for page, minutes in times.items() if re.fullmatch(r"module\d+\.md", page))
    return total, round(total / 30) / 2, modules


def where_to(lang: str, href: str) -> tuple[str, int | str | None]:
    """``(page, index of the heading)`` a link goes to (``None`` for a whole page; the anchor
    itself when the page has no such heading, which the other test reports)."""
    page, _, anchor = href.partition("#")
    if not anchor or not (pages.DOCS / lang / page).is_file():
        return page, anchor or None
    ids = pages.heading_ids(pages.read(lang, page))
    return page, ids.index(anchor) if anchor in ids else anchor


def shape(lang: str) -> list:
    """What both languages must share: per path its length, per row its minutes and where each
    link goes."""
    return [(length, [(minutes, [where_to(lang, href) for href in links])
                      for _, minutes, links in rows])
            for _, length, rows in paths(pages.read(lang, AGENDA), lang)]


@pytest.mark.parametrize("lang", pages.LANGS)
def test_agenda_sections_exist_and_times_add_up(lang):
    problems = agenda_problems(pages.read(lang, AGENDA), lang)
    assert not problems, f"docs/{lang}/{AGENDA}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("lang", pages.LANGS)
def test_the_workshop_total_is_the_pages_times(lang):
    """The opening said "about six hours" when the pages' Time lines added up to 510 minutes."""
    stated = TOTAL[lang].search(pages.read(lang, AGENDA))
    assert stated, f"docs/{lang}/{AGENDA} states no total as {TOTAL[lang].pattern!r}"
    minutes, hours, modules = stated.groups()
    assert (int(minutes), float(hours), int(modules)) == workshop_minutes(lang)


def test_both_languages_have_the_same_agenda():
    assert shape("en") == shape("zh")


def test_agenda_has_the_three_paths():
    """90 minutes (the seeds' session), half a day, a full day."""
    assert [length for _, length, _ in paths(pages.read("en", AGENDA), "en")] == [90, 240, 480]


def test_the_check_catches_a_broken_agenda():
    """A wrong anchor, a missing page, minutes that differ from the module's, a wrong start and
    a wrong total are each reported."""
    good = ("## Short (15 min)\n\n| Start | Minutes | Section | From |\n|---|---|---|---|\n"
            "| 0:00 | 5 | [Overview](overview.md) | its page |\n"
            "| 0:05 | 10 | [Module 3, 3](module3.md#3-tool_choice-what-each-value-guarantees) | "
            "Module 3 |\n")
    assert agenda_problems(good, "en") == []
    broken = (good.replace("#3-tool_choice", "#3-tool-choice")
              + "| 0:15 | 10 | [Module 9](module9.md) | none |\n"
              + "| 0:26 | 5 | [Module 2, 2](module2.md#2-json-schema-two-ways) | Module 2 |\n")
    problems = agenda_problems(broken, "en")
    assert any("no heading with the id '3-tool-choice" in p for p in problems), problems
    assert any("no page docs/en/module9.md" in p for p in problems), problems
    assert any("starts at 26 min, but the rows before end at 25" in p for p in problems), problems
    assert any("5 min for module2.md#2-json-schema-two-ways, but that page states 10" in p
               for p in problems), problems
    assert any("add up to 30 min, not 15" in p for p in problems), problems
    wrong_whole = good.replace("| 0:00 | 5 | [Overview]", "| 0:00 | 7 | [Overview]")
    assert any("7 min for overview.md, but that page states 5" in p
               for p in agenda_problems(wrong_whole, "en"))


#: Module 5's idle time of why_vllm.py's quick profile, and the agenda's quote of it.
WHY_VLLM = {"en": (re.compile(r"The quick profile took (\d+ to \d+) s here on an idle"),
                   "quick profile ({} s alone on an idle machine, Module 5 says)"),
            "zh": (re.compile(r"在一台空闲的 2 核机器上，快速档（quick）用了 (\d+ 到 \d+) 秒"),
                   "在空闲机器上单独运行用了 {} 秒"),}


@pytest.mark.parametrize("lang", pages.LANGS)
def test_the_agenda_quotes_module5s_idle_time_as_module5_states_it(lang):
    """The agenda said why_vllm.py's quick profile took "49 s alone on an idle machine, Module 5
    says" while Module 5 says 49 to 64 s (the newcomer walkthrough; issue 21, a claim that did
    not hold): the agenda quotes Module 5's range."""
    pattern, quote = WHY_VLLM[lang]
    found = pattern.search(pages.read(lang, "module5.md"))
    assert found, f"docs/{lang}/module5.md no longer states the quick profile's idle time; update this test"
    assert quote.format(found.group(1)) in pages.read(lang, AGENDA), f"docs/{lang}/agenda.md does not quote {found.group(1)}"

