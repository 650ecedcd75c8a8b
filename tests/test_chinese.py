"""Chinese pages read as Chinese: no English prose left over, one name per idea (the glossary)."""
import pytest

import chinese
import pages

GLOSSARY = "glossary.md"
STANDARD = ["推理", "流式输出", "结构化输出", "工具调用", "吞吐量", "延迟", "首个 token 延迟"]


@pytest.mark.parametrize("page", pages.pages("zh"))
def test_no_english_prose(page):
    found = chinese.english_lines(pages.read("zh", page))
    assert not found, "\n".join(f"docs/zh/{page}:{n}: untranslated? {line[:100]}" for n, line in found)


def test_glossary_has_the_standard_terms():
    chinese_terms = [zh for _, zh, _ in chinese.glossary(pages.read("zh", GLOSSARY))]
    assert not [t for t in STANDARD if t not in chinese_terms]
    assert chinese.glossary(pages.read("en", GLOSSARY)) == chinese.glossary(pages.read("zh", GLOSSARY)), \
        "the English and Chinese glossaries list different terms"


@pytest.mark.parametrize("page", [p for p in pages.pages("zh") if p != GLOSSARY])
def test_terms_follow_the_glossary(page):
    rows = chinese.glossary(pages.read("zh", GLOSSARY))
    found = chinese.off_glossary(pages.read("zh", page), rows)
    assert not found, "\n".join(f"docs/zh/{page}:{n}: {message}" for n, message in found)


def test_checks_catch_english_and_off_glossary_terms():
    page = ("# 标题\n\nThis paragraph was never translated into Chinese at all.\n\n"
            "用 `client.chat.completions.create(model=model)` 调用 vLLM 的 OpenAI API。\n\n"
            "```python\nprint('code is not prose, so English here is fine')\n```\n\n"
            "服务器支持流式传输。\n")
    assert [n for n, _ in chinese.english_lines(page)] == [3]
    rows = chinese.glossary(pages.read("zh", GLOSSARY))
    assert [n for n, _ in chinese.off_glossary(page, rows)] == [11]
