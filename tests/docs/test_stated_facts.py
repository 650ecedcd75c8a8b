"""Sentences that state a fact no block runs: each checked here, in both languages.

- "Before you begin", GPU tab: the sizing line (weights = parameters x bytes per weight, plus the
  KV cache). Every calculation it writes in inline code, ``a x b ... = c`` with units ``B`` and
  ``GB``, must come out right, and both languages must write the same calculations.
- Module 3, section 1: the tool-name rule the page states is the one the lab checks
  (``labs/module3/tool_names.py``), and ACME's tools keep to it.
"""
from __future__ import annotations

import re

import pytest

import pages
from support import load_lab

#: An inline calculation: `8.2e9 x 2 B = 16.4 GB`, `5.2 GB / 147456 B = 35265 tokens`.
CALCULATION = re.compile(r"`([0-9][0-9.e]*(?: [A-Za-z]+)?(?: [x/+-] [0-9][0-9.e]*(?: [A-Za-z]+)?)+)"
                         r" = ([0-9][0-9.e]*)(?: ([A-Za-z]+))?`")
UNITS = {"B": 1, "GB": 1e9, "tokens": 1, "": 1}


def gpu_tab(lang: str) -> str:
    """The GPU tab of "Before you begin" (from its ``=== "GPU"`` line to the next tab)."""
    text = pages.read(lang, "before-you-begin.md")
    return re.search(r'^=== "GPU"\n(.*?)(?=^=== )', text, re.M | re.S)[1]


def value(term: str) -> float:
    """``"8.2e9"`` -> 8.2e9, ``"24 GB"`` -> 24e9."""
    number, _, unit = term.partition(" ")
    return float(number) * UNITS[unit]


def calculation_problems(text: str) -> list[str]:
    """The inline calculations of ``text`` that do not come out right (within rounding)."""
    problems = []
    for expression, result, unit in CALCULATION.findall(text):
        terms = re.split(r" ([x/+-]) ", expression)
        total = value(terms[0])
        for op, term in zip(terms[1::2], terms[2::2]):
            total = {"x": total * value(term), "/": total / value(term),
                     "+": total + value(term), "-": total - value(term)}[op]
        stated = float(result) * UNITS[unit]
        if abs(total - stated) > 0.005 * abs(stated):
            problems.append(f"`{expression} = {result} {unit}`: it is {total:.6g}")
    return problems


@pytest.mark.parametrize("lang", pages.LANGS)
def test_sizing_line_adds_up(lang):
    tab = gpu_tab(lang)
    assert len(CALCULATION.findall(tab)) >= 4, "the sizing line lost its calculations"
    assert calculation_problems(tab) == []


def test_sizing_line_is_the_same_in_both_languages():
    assert CALCULATION.findall(gpu_tab("en")) == CALCULATION.findall(gpu_tab("zh"))


def test_the_calculation_check_catches_a_wrong_sum():
    assert calculation_problems("`8.2e9 x 2 B = 16.4 GB` and `0.9 x 24 GB = 21.6 GB`") == []
    assert calculation_problems("`8.2e9 x 2 B = 18 GB`") == ["`8.2e9 x 2 B = 18 GB`: it is 1.64e+10"]


@pytest.mark.parametrize("lang", pages.LANGS)
def test_tool_name_rule_is_the_labs(lang):
    lab = load_lab("labs/module3/tool_names.py")
    section = pages.read(lang, "module3.md").split("\n## 2.", 1)[0]
    assert f"`{lab.NAME_RULE.pattern}`" in section, "Module 3 states another tool-name rule"
    names = [tool["function"]["name"] for tool in lab.openai_tools()]  # ACME's (labs/acme/tools.py)
    assert names and all(lab.NAME_RULE.match(n) and n.isidentifier() for n in names), names
