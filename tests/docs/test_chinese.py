"""Chinese pages read as Chinese: no English prose left over, one name per idea (the translators'
term list, ``tests/zh_terms.yml``). The learners' glossary pages are checked by test_glossary.py."""
import pytest

import chinese
import pages
import translation

STANDARD = ["推理", "流式输出", "结构化输出", "工具调用", "吞吐量", "延迟", "首个 token 延迟",
            "提供服务", "前提条件", "格式"]


@pytest.mark.parametrize("page", pages.pages("zh"))
def test_no_english_prose(page):
    found = chinese.english_lines(pages.read("zh", page))
    assert not found, "\n".join(f"docs/zh/{page}:{n}: untranslated? {line[:100]}" for n, line in found)


@pytest.mark.parametrize("page", pages.pages("zh"))
def test_no_sentence_is_split_over_two_lines(page):
    found = chinese.broken_lines(pages.read("zh", page))
    assert not found, "\n".join(f"docs/zh/{page}:{n}: join these lines (a space would show): {m}"
                                 for n, m in found)


@pytest.mark.parametrize("page", pages.pages("zh"))
def test_translation_is_current(page):
    """The page records the English it translates (front matter ``translated_from``); when the
    English changes, this names the page and says how to refresh it (scripts/translation.py)."""
    assert not translation.is_stale(page), translation.explain(page)


@pytest.mark.parametrize("page", pages.pages("zh"))
def test_one_troubleshooting_header(page):
    """Every troubleshooting table says 症状 | 原因 | 解决方法 (not 现象, not 解决办法)."""
    found = chinese.troubleshooting_headers(pages.read("zh", page))
    assert all(h == chinese.TROUBLESHOOTING_HEADER for h in found), \
        f"docs/zh/{page}: troubleshooting table header {found}, want {chinese.TROUBLESHOOTING_HEADER!r}"


def test_split_sentences_are_found():
    page = ("# 标题\n\n第一句话写到这里，\n接着写第二行。\n\n| 表格 | 行 |\n| 下一 | 行 |\n\n"
            "- 列表项，\n- 另一项\n\n**我需要 GPU 吗？**\n不需要。\n\n```text\n代码，\n不算\n```\n")
    assert [n for n, _ in chinese.broken_lines(page)] == [3]


def test_term_list_has_the_standard_terms():
    rows = chinese.glossary()
    chinese_terms = [zh for _, zh, _ in rows]
    assert not [t for t in STANDARD if t not in chinese_terms]
    assert len({en for en, _, _ in rows}) == len(rows), "an English term is listed twice"
    # A preferred term must not contain a variant the list avoids: every page using it would fail.
    clashes = [(zh, v) for _, zh, _ in rows for _, _, avoided in rows for v in avoided if v in zh]
    assert not clashes, f"preferred terms that contain an avoided variant: {clashes}"


@pytest.mark.parametrize("page", pages.pages("zh"))
def test_terms_follow_the_term_list(page):
    found = chinese.off_glossary(pages.read("zh", page), chinese.glossary())
    assert not found, "\n".join(f"docs/zh/{page}:{n}: {message}" for n, message in found)


def test_checks_catch_english_and_off_glossary_terms(tmp_path):
    page = ("# 标题\n\nThis paragraph was never translated into Chinese at all.\n\n"
            "用 `client.chat.completions.create(model=model)` 调用 vLLM 的 OpenAI API。\n\n"
            "```python\nprint('code is not prose, so English here is fine')\n```\n\n"
            "服务器支持流式传输。\n\n列出正在部署的模型。\n\n用容器部署 vLLM。\n")
    assert [n for n, _ in chinese.english_lines(page)] == [3]
    # The front matter is not prose: translated_from: "5c3ec72bb3be" was taken for five English words.
    fronted = '---\ndescription: 中文描述\ntranslated_from: "5c3ec72bb3be"\n---\n' + page
    assert [n for n, _ in chinese.english_lines(fronted)] == [7]
    rows = chinese.glossary()
    assert [n for n, _ in chinese.off_glossary(page, rows)] == [11, 13]
    broken = tmp_path / "terms.yml"
    broken.write_text("- en: inference\n  zh: 推理\n")
    with pytest.raises(ValueError, match="needs en, zh and avoid"):
        chinese.glossary(broken)
