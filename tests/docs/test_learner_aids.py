"""Every module page opens with time, prerequisites and what you will build, and ends with a
checkpoint (``python labs/checkpoint.py <n>``, itself run by the docs suite) and troubleshooting."""
import re

import pytest

import pages

LABELS = {"en": ("**Time:**", "**Prerequisites:**", "**You will build:**"),
          "zh": ("**时间：**", "**前提条件：**", "**你将构建：**")}
HEADINGS = {"en": ("## Checkpoint", "## Troubleshooting"), "zh": ("## 阶段自测", "## 故障排除")}
MODULES = [p for p in pages.pages("en") if re.fullmatch(r"module\d+\.md", p)]


def aid_problems(text: str, lang: str, number: int) -> list[str]:
    """What a module page lacks of the learner aids; empty when it has them all."""
    problems = []
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.DOTALL)  # the front matter
    opening = text.split("\n", 1)[1].strip().split("\n\n")[0] if "\n" in text else ""
    problems += [f"the opening paragraph lacks {label}" for label in LABELS[lang]
                 if label not in opening]
    checkpoint, troubleshooting = HEADINGS[lang]
    headings = [line for line in pages.outside_fences(text) if line.startswith("## ")]
    if checkpoint not in headings or troubleshooting not in headings:
        return problems + [f"missing {checkpoint!r} or {troubleshooting!r}"]
    if headings.index(troubleshooting) < len(headings) - 1 or headings[-2] != checkpoint:
        problems.append(f"the page must end with {checkpoint!r} then {troubleshooting!r}")
    section = text.split(checkpoint, 1)[1].split(troubleshooting, 1)[0]
    if f"$ python labs/checkpoint.py {number}\n" not in section:
        problems.append(f"the checkpoint section does not run python labs/checkpoint.py {number}")
    return problems


@pytest.mark.parametrize("lang", pages.LANGS)
@pytest.mark.parametrize("page", MODULES)
def test_module_pages_have_learner_aids(page, lang):
    number = int(re.findall(r"\d+", page)[0])
    problems = aid_problems(pages.read(lang, page), lang, number)
    assert not problems, f"docs/{lang}/{page}: " + "; ".join(problems)


def test_aid_check_catches_a_page_without_them():
    page = "# Module 9\n\nSome text.\n\n## Troubleshooting\n\nNone.\n"
    problems = aid_problems(page, "en", 9)
    assert len(problems) == 4, problems
    good = ("# Module 9\n\n**Time:** 5 min · **Prerequisites:** none · **You will build:** x\n\n"
            "## Checkpoint\n\n```console\n$ python labs/checkpoint.py 9\n```\n\n"
            "## Troubleshooting\n\nNone.\n")
    assert aid_problems(good, "en", 9) == []
    assert aid_problems(good.replace("checkpoint.py 9", "checkpoint.py 8"), "en", 9)
