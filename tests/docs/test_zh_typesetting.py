"""Chinese typesetting, checked by a maintained linter rather than hand-written patterns:
AutoCorrect (PyPI ``autocorrect-py``, pinned in pyproject.toml) with the project's rules in
``.autocorrectrc``, over the prose of every Chinese page (code blocks are the English twin's and
are not linted). Its editor plugins and CLI read the same file."""
import pytest

import chinese
import pages


@pytest.mark.parametrize("page", pages.pages("zh"))
def test_typesetting(page):
    found = chinese.typesetting(pages.read("zh", page))
    assert not found, "\n".join([f"docs/zh/{page}:{n}: {message}" for n, message in found] + [
        "(AutoCorrect's fix; rewording is as good, e.g. a digit：digit reads as a time or ratio, "
        "so a section reference is written 模块 1 · 1. as in the glossary; rules: .autocorrectrc)"])


def test_typesetting_finds_what_it_should_and_nothing_else():
    page = ("---\ndescription: 代码abc不在正文里\n---\n# 标题\n\n"
            "不合格时返回HTTP 422。\n\n"                      # 6: a Latin word next to CJK
            "还会带上`Last-Event-ID`请求头。\n\n"              # 8: inline code next to CJK
            "已完成[模块 1](module1.md)和 `x` 之后再看。\n\n"  # 10: a link is not a bracket; fine
            "!!! tip \"提示\"\n    提示框里的正文也算abc。\n\n"  # 13: indented admonition prose
            "```python\nprint('代码abc不检查')\n```\n\n"
            "“Where is my order?” 和它。\n")                  # 19: spaces outside “”
    assert [n for n, _ in chinese.typesetting(page)] == [6, 8, 13, 19]
    assert chinese.typesetting("正确的写法：返回 HTTP 422，带上 `Last-Event-ID` 请求头。\n") == []
